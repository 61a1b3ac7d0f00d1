#!/usr/bin/env python3
"""tests/qemu/rng_test.py - virtio_rng.h on QEMU, checked from the host.

Boots examples/rng.c on qemu-system-riscv64 and qemu-system-riscv32 -M virt, legacy (virtio-mmio
version 1) and modern (version 2), and reads what the guest printed on its UART.

Cases, for each architecture and transport version:
  alone             the device in slot 7: two 64-byte reads, printed in hex, not all zero and
                    different from each other; four buffers through submit / kick / poll, all
                    256 bytes back; the guest names the transport version; exit status 0
  slot 0            the device in the lowest slot, behind seven devices of other types (the
                    guest must scan past none of them), event_idx off
  slot 7, others    the device in the highest slot with devices of other types in lower slots:
                    the scan meets those first and must skip them
  rate limited      backend limited to 16 bytes per 50 ms: the device fills only part of each
                    buffer; the blocking reads still return 64 bytes each, poll fewer than 256
  no rng, others    devices of other types only: the guest prints a FAIL line and exits nonzero
and once per architecture:
  no device         an empty machine: a FAIL line and a nonzero exit status
  boots differ      the bytes of two boots (legacy and modern) are not the same

Prints one line per case, `PASS qemu-rng/<arch>/<version>: <case>` or `FAIL ...: <case> (why)`,
and exits 1 if any case failed. Each run leaves its QEMU command, UART output and QEMU's stderr in
BUILD/qemu-rng/<arch>-<version>-<run>/. Python 3 standard library only; every QEMU run has a
timeout.

    python3 tests/qemu/rng_test.py [--build DIR] [-k SUBSTRING]
"""

import argparse
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QEMU = {"riscv64": os.environ.get("QEMU64", "qemu-system-riscv64"),
        "riscv32": os.environ.get("QEMU32", "qemu-system-riscv32")}
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

    def __init__(self, build, arch, version, name, args):
        self.dir = build / "qemu-rng" / ("%s-%s-%s" % (arch, version, name))
        self.dir.mkdir(parents=True, exist_ok=True)
        legacy = "true" if version == "legacy" else "false"
        elf = build / arch / "rng.elf"
        # "-smp 1,maxcpus=2": QEMU before 8.1 drops the guest's fences under TCG when the machine
        # can only ever have one CPU, and then loses a virtqueue notification now and then (the
        # I/O thread runs in parallel all the same; fixed upstream by "tcg: Do not elide memory
        # barriers for !CF_PARALLEL in system mode"). A second possible CPU keeps the fences.
        self.cmd = [QEMU[arch], "-M", "virt", "-smp", "1,maxcpus=2",
                    "-bios", "none", "-display", "none",
                    "-monitor", "none", "-serial", "stdio", "-no-reboot", "-global",
                    "virtio-mmio.force-legacy=" + legacy] + args + ["-kernel", str(elf)]
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
        """'' when the guest passed, else why not."""
        m = re.search(r"^FAIL: .*$", self.text, re.M)
        if self.error:
            return self.error
        if m:
            return m.group(0).strip()
        if self.status != 0:
            return "exit status %s" % self.status
        if not re.search(r"^PASS\s*$", self.text, re.M):
            return "no PASS line from the guest"
        return ""

    def failed_cleanly(self):
        """'' when the guest failed as it should (FAIL line, nonzero status), else why not."""
        if self.error:
            return self.error
        if self.status in (0, None):
            return "exit status %s, want nonzero" % self.status
        if not re.search(r"^FAIL: no virtio-rng device in any slot", self.text, re.M):
            return "no FAIL line naming the missing device"
        return ""


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


class Report:
    def __init__(self, only):
        self.only = only
        self.failed = 0

    def wanted(self, name):
        return not self.only or self.only in name

    def case(self, tag, name, why):
        if why:
            self.failed += 1
            print("FAIL qemu-rng/%s: %s (%s)" % (tag, name, why), flush=True)
        else:
            print("PASS qemu-rng/%s: %s" % (tag, name), flush=True)


def test_arch(build, rep, arch):
    first = {}
    for version in ("legacy", "modern"):
        tag = "%s/%s" % (arch, version)
        name = "alone in slot 7: 2 x 64 random bytes, submit/kick/poll of 4 buffers"
        if rep.wanted(name) or rep.wanted("boots differ"):
            run = Run(build, arch, version, "alone", ["-device", "virtio-rng-device"])
            if rep.wanted(name):
                rep.case(tag, name, check_reads(run, version))
            if run.random_lines():
                first[version] = run.random_lines()[0]

        name = "slot 0 behind 7 devices of other types, event_idx off"
        if rep.wanted(name):
            args = [a for d in OTHERS for a in ("-device", d)]
            args += ["-device", "virtio-rng-device,event_idx=off"]
            rep.case(tag, name, check_reads(Run(build, arch, version, "slot0", args), version))

        name = "slot 7 with devices of other types in slots 4-6"
        if rep.wanted(name):
            args = ["-device", "virtio-rng-device"]
            args += [a for d in OTHERS[:3] for a in ("-device", d)]
            rep.case(tag, name, check_reads(Run(build, arch, version, "slot7", args), version))

        name = "rate limited (16 bytes / 50 ms): partial fills, reads still whole"
        if rep.wanted(name):
            run = Run(build, arch, version, "rate", RATE)
            rep.case(tag, name, check_reads(run, version, total=None))

        name = "no rng, 3 devices of other types: FAIL line, nonzero status"
        if rep.wanted(name):
            args = [a for d in OTHERS[:3] for a in ("-device", d)]
            rep.case(tag, name, Run(build, arch, version, "none", args).failed_cleanly())

    name = "no device at all: FAIL line, nonzero status"
    if rep.wanted(name):
        rep.case(arch, name, Run(build, arch, "modern", "empty", []).failed_cleanly())

    name = "boots differ: the first 64 bytes of two boots are not the same"
    if rep.wanted(name):
        why = ""
        if len(first) != 2:
            why = "a boot printed no random bytes"
        elif first["legacy"] == first["modern"]:
            why = "both boots printed %s" % first["legacy"]
        rep.case(arch, name, why)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    rep = Report(args.k)
    missing = ["%s/rng.elf" % a for a in QEMU if not (build / a / "rng.elf").exists()]
    for q in QEMU.values():
        try:
            subprocess.run([q, "--version"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            missing.append(q)
    if missing:
        print("FAIL qemu-rng: missing %s (make examples; tests/deps.sh)" % ", ".join(missing))
        return 1
    t0 = time.monotonic()
    for arch in QEMU:
        test_arch(build, rep, arch)
    print("INFO qemu-rng: %.1f s in all" % (time.monotonic() - t0), flush=True)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
