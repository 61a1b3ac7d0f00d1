#!/usr/bin/env python3
"""tests/qemu/rng_test.py - virtio_rng.h on QEMU, checked from the host.

Boots examples/rng.c on every machine of tests/qemu/targets.py, legacy (virtio-mmio version 1)
and modern (version 2), and reads what the guest printed on its UART.

Cases, for each machine and transport version (* = the port subset, run on every machine; the
rest on riscv64, or everywhere with --full; legacy SKIPped where the machine has none):
  alone *           the device in the highest slot: two 64-byte reads, printed in hex, not all
                    zero and different from each other; four buffers through submit / kick /
                    poll, all 256 bytes back; the guest names the transport version; exit 0
  slot 0 *          the device in the lowest slot, behind devices of other types in every slot
                    above (the guest must scan past none of them), event_idx off
  top slot, others  the device in the highest slot with devices of other types in lower slots:
                    the scan meets those first and must skip them
  rate limited      backend limited to 16 bytes per 50 ms: the device fills only part of each
                    buffer; the blocking reads still return 64 bytes each, poll fewer than 256
  no rng, others *  devices of other types only: the guest prints a FAIL line and exits nonzero
and once per machine:
  no device         an empty machine: a FAIL line and a nonzero exit status
  boots differ      the bytes of two boots (legacy and modern) are not the same

Prints one line per case, `PASS qemu-rng/<machine>/<version>: <case>`, `FAIL ...: <case> (why)` or
`SKIP ...`, and exits 1 if any case failed. Each run leaves its QEMU command, UART output and
QEMU's stderr in BUILD/qemu-rng/<machine>-<version>-<run>/. Python 3 standard library only; every
QEMU run has a timeout.

    python3 tests/qemu/rng_test.py [--build DIR] [-k SUBSTRING] [--target T] [--machine M] [--full]
"""

import argparse
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets as T  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds per QEMU run; a healthy run takes well under one
NBUFS, BUF_SIZE = 4, 64  # must match examples/rng.c

# Devices of other types to fill the other slots (none needs a backend).
OTHERS = ["virtio-serial-device", "virtio-balloon-device", "virtio-keyboard-device",
          "virtio-scsi-device", "virtio-mouse-device", "virtio-tablet-device",
          "virtio-serial-device"]
RATE = ["-object", "rng-random,filename=/dev/urandom,id=r0",
        "-device", "virtio-rng-device,rng=r0,max-bytes=16,period=50"]


class Run:
    """One QEMU boot of rng.elf; the UART is collected from stdout."""

    def __init__(self, build, m, version, name, args):
        self.machine = m
        self.dir = build / "qemu-rng" / ("%s-%s-%s" % (m.name, version, name))
        self.dir.mkdir(parents=True, exist_ok=True)
        elf = m.elf(build, "rng.elf")
        # The machine's command line (targets.py), then the console, the devices, the program.
        self.cmd = m.cmd(version) + ["-display", "none", "-monitor", "none", "-serial", "stdio"
                                     ] + args + ["-kernel", str(elf)]
        (self.dir / "cmd").write_text(" ".join(shlex.quote(a) for a in self.cmd) + "\n")
        self.error = None
        t0 = time.monotonic()
        with open(self.dir / "stderr", "wb") as err:
            try:
                p = subprocess.run(self.cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=err, timeout=TIMEOUT)
                self.uart, self.status = p.stdout, p.returncode
            except subprocess.TimeoutExpired as e:
                self.uart, self.status = e.stdout or b"", None
                self.error = "QEMU timed out after %d s" % TIMEOUT
        self.seconds = time.monotonic() - t0
        (self.dir / "uart").write_bytes(self.uart)
        self.text = self.uart.decode(errors="replace")

    def random_lines(self):
        return re.findall(r"^random: ([0-9a-f]*)\s*$", self.text, re.M)

    def passed(self):
        """'' when the guest passed, else why not (the judge of targets.py)."""
        return self.error or T.judge(self.text, self.status, machine=self.machine)

    def failed_cleanly(self):
        """'' when the guest failed as it should (FAIL line, nonzero status), else why not."""
        return self.error or T.judge(self.text, self.status, machine=self.machine,
                                     expect_fail=r"^FAIL: no virtio-rng device")


def check_reads(run, version, total=NBUFS * BUF_SIZE):
    """Checks a passing run's output; total: the bytes poll must report (None: 1..256)."""
    why = run.passed()
    if why:
        return why
    want = "entropy device, %s (version %d)" % (version, 1 if version == "legacy" else 2)
    if want not in run.text:
        return "the guest did not say %r" % want
    lines = run.random_lines()
    if len(lines) != 2 or any(len(x) != 2 * BUF_SIZE for x in lines):
        return "want two lines of %d random bytes, got %r" % (BUF_SIZE, lines)
    if lines[0] == lines[1] or int(lines[0], 16) == 0:
        return "the random bytes are all zero or repeat: %r" % lines
    m = re.search(r"submit/kick/poll: (\d+) buffers back, (\d+) bytes", run.text)
    if not m or int(m.group(1)) != NBUFS:
        return "no submit/kick/poll line with %d buffers" % NBUFS
    got = int(m.group(2))
    if total is not None and got != total:
        return "poll gave %d bytes, want %d" % (got, total)
    if total is None and not 0 < got < NBUFS * BUF_SIZE:
        return "poll gave %d bytes, want a partial fill (1..%d)" % (got, NBUFS * BUF_SIZE - 1)
    return ""


def test_machine(build, rep, m, full):
    first = {}
    top = m.slots - 1
    for version in ("legacy", "modern"):
        if not m.wants(version, full):
            continue
        tag = "%s/%s" % (m.name, version)
        names = ["alone in slot %d: 2 x 64 random bytes, submit/kick/poll of 4 buffers" % top,
                 "slot 0 behind %d devices of other types, event_idx off" % top,
                 "slot %d with devices of other types in slots %d-%d" % (top, top - 3, top - 1),
                 "rate limited (16 bytes / 50 ms): partial fills, reads still whole",
                 "no rng, 3 devices of other types: FAIL line, nonzero status"]
        port = (0, 1, 4)
        skip = m.skip_version(version)
        for i, name in enumerate(names):
            if not rep.wanted(name) or (i not in port and not full):
                continue
            if skip:
                rep.skip(tag, name, skip)
                continue
            if i == 0:
                run = Run(build, m, version, "alone", ["-device", "virtio-rng-device"])
                rep.case(tag, name, check_reads(run, version))
                if run.random_lines():
                    first[version] = run.random_lines()[0]
            elif i == 1:
                args = m.fill(OTHERS) + ["-device", "virtio-rng-device,event_idx=off"]
                rep.case(tag, name, check_reads(Run(build, m, version, "slot0", args), version))
            elif i == 2:
                args = ["-device", "virtio-rng-device"]
                args += [a for d in OTHERS[:3] for a in ("-device", d)]
                rep.case(tag, name, check_reads(Run(build, m, version, "top", args), version))
            elif i == 3:
                run = Run(build, m, version, "rate", RATE)
                rep.case(tag, name, check_reads(run, version, total=None))
            else:
                args = [a for d in OTHERS[:3] for a in ("-device", d)]
                rep.case(tag, name, Run(build, m, version, "none", args).failed_cleanly())
    if not full:
        return

    name = "no device at all: FAIL line, nonzero status"
    if rep.wanted(name):
        rep.case(m.name, name, Run(build, m, "modern", "empty", []).failed_cleanly())

    name = "boots differ: the first 64 bytes of two boots are not the same"
    if rep.wanted(name):
        why = ""
        if not m.legacy:
            rep.skip(m.name, name, m.skip_version("legacy"))
            return
        if len(first) != 2:
            why = "a boot printed no random bytes"
        elif first["legacy"] == first["modern"]:
            why = "both boots printed %s" % first["legacy"]
        rep.case(m.name, name, why)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    T.add_arguments(ap)
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    rep = T.Report("qemu-rng", args.k)
    t0 = time.monotonic()
    for m in T.selected(args):
        miss = m.missing(build, ["rng.elf"])
        if miss:
            rep.case(m.name, "rng.elf built, QEMU present",
                     "missing %s (make examples; tests/deps.sh)" % miss)
            continue
        test_machine(build, rep, m, T.full(m, args))
    rep.summary(time.monotonic() - t0)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
