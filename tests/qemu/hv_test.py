#!/usr/bin/env python3
"""tests/qemu/hv_test.py - the tiny hypervisor (examples/hv/) on QEMU, checked from the host.

Boots build/hv/hv.elf on qemu-system-riscv64 -M virt -cpu rv64,h=true with a guest image loaded
by -device loader: this project's own examples built for the riscv64-sbi target (S-mode,
unchanged), whose virtio devices are the hypervisor's, emulated with virtio_device.h.

Cases, for legacy (virtio-mmio version 1) and modern (version 2) emulated devices:
  blk               examples/blk.c passes its own checks on the emulated block device, whose
                    disk the host preloaded (sector 0 checksum and the host's pattern in the
                    scratch area are seen by the guest); the hypervisor refused nothing
  real disk         the same on QEMU's own virtio-blk disk, which the hypervisor drives with
                    virtio_blk.h (as a modern driver under a legacy guest and the reverse):
                    the host finds the guest's writes in the image
  console           examples/console.c echoes what the host types on the UART through the
                    emulated console (port 0, receive and transmit queues, emergency write)
  rng               examples/rng.c passes on the emulated entropy device
  refusals          examples/hv/hvtest.c tries what the hypervisor must refuse (a DMA buffer
                    outside its RAM, loads and stores outside RAM and the devices, narrow and
                    64-bit register accesses, a read-only register, a hypervisor CSR, an SBI
                    buffer outside RAM): each is refused the way the guest expects, and the
                    hypervisor names each refusal on its console
and once:
  exit status       rng.c without an entropy device: the guest's FAIL line, and QEMU exits
                    with the guest's status (1) through the hypervisor
  no guest          the hypervisor alone: the empty guest RAM traps; the hypervisor injects the
                    fault into a guest that has no handler and must not hang (timeout = FAIL)

Prints `PASS qemu-hv/<version>: <case>` or `FAIL qemu-hv/<version>: <case> (why)` per case and
exits 1 if any failed. Each run leaves its command, UART output and stderr in
BUILD/qemu-hv/<version>-<case>/. Python 3 standard library only; every run has a timeout.

    python3 tests/qemu/hv_test.py [--build DIR] [-k SUBSTRING]
    python3 tests/qemu/hv_test.py --bench [--build DIR]   # latency and instructions, see below

--bench boots examples/bench.c (riscv64-sbi) inside the hypervisor and, for comparison, the same
binary under OpenSBI on QEMU's own virtio-blk-device, and inside the hypervisor with QEMU's
virtio-blk behind the emulated one (virtio_blk.h in the hypervisor): three times in real time
(4 KiB read latency at queue depth 1 from the guest's 10 MHz clock, the median), once with
-icount shift=0 (one instruction = 1 ns of virtual time, so the guest's clock counts
instructions: instructions per request, guest and hypervisor together; the hypervisor's share
from its own count). On QEMU's device (and behind the hypervisor's driver) the count includes
the polling while QEMU's I/O thread works, so it depends on the host; the hypervisor's own
device serves a request inside the notify trap, so its count is exact.
"""

import argparse
import re
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import blk_test  # noqa: E402  (the block example's disk layout and pattern, in Python)

QEMU = "qemu-system-riscv64"
TIMEOUT = 60  # seconds per run; a healthy run takes about one

# hv.c's memory map and configuration word.
GUEST_LOAD = 0x82200000  # guest-physical 0x80200000
CFG_ADDR = 0x81FFF000
DISK_ADDR = 0x8A000000
DISK_SIZE = 16 << 20
CFG_LEGACY, CFG_NO_BLK, CFG_NO_CONSOLE, CFG_NO_RNG, CFG_REAL_DISK = 1, 2, 4, 8, 16

ECHO = b"".join(b"line %02d through the hypervisor: 0123456789 abcdefghijklmnopqrstuvwxyz\n" % i
                for i in range(4))


def hv_cmd(build, guest, cfg=0, extra=()):
    # "-smp 1,maxcpus=2" as every QEMU run of this project: QEMU 7.2's TCG drops fences when
    # the machine can only ever have one CPU.
    cmd = [QEMU, "-M", "virt", "-cpu", "rv64,h=true", "-m", "256M", "-smp", "1,maxcpus=2",
           "-bios", "none", "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-no-reboot", "-kernel", str(build / "hv" / "hv.elf")]
    if guest:
        cmd += ["-device", "loader,file=%s,addr=0x%x,force-raw=on"
                % (build / "hv" / "guest" / (guest + ".bin"), GUEST_LOAD)]
    if cfg:
        cmd += ["-device", "loader,addr=0x%x,data=%d,data-len=4" % (CFG_ADDR, cfg)]
    return cmd + list(extra)


class Run:
    """One QEMU boot; the UART is collected from stdout. `stdin` is typed once the UART shows
    `after` (the UART's receiver is reset when the hypervisor turns its FIFO on: a byte typed
    before that is lost, as on a real 16550)."""

    def __init__(self, build, tag, cmd, stdin=b"", after=None, timeout=TIMEOUT):
        self.dir = build / "qemu-hv" / tag
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cmd = cmd
        (self.dir / "cmd").write_text(" ".join(shlex.quote(a) for a in cmd) + "\n")
        self.error = None
        t0 = time.monotonic()
        out = bytearray()
        with open(self.dir / "stderr", "wb") as err:
            p = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=err)
            def read():
                for chunk in iter(lambda: p.stdout.read1(4096), b""):
                    out.extend(chunk)
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            deadline = t0 + timeout
            if after is not None:
                while after.encode() not in out and p.poll() is None \
                        and time.monotonic() < deadline:
                    time.sleep(0.02)
            try:
                p.stdin.write(stdin)
                p.stdin.close()
            except OSError:
                pass
            try:
                self.status = p.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                self.status = None
                self.error = "QEMU timed out after %d s" % timeout
            reader.join(5)
        self.uart = bytes(out)
        self.seconds = time.monotonic() - t0
        (self.dir / "uart").write_bytes(self.uart)
        self.text = self.uart.decode(errors="replace").replace("\r", "")

    def passed(self, refusals=0):
        """'' when the guest passed and the hypervisor stopped cleanly, else why not."""
        if self.error:
            return self.error
        m = re.search(r"^FAIL.*$", self.text, re.M)
        if m:
            return m.group(0).strip()
        if self.status != 0:
            return "exit status %s" % self.status
        if not re.search(r"^PASS\s*$", self.text, re.M):
            return "no PASS line from the guest"
        m = re.search(r"^hv: guest stopped with status 0;.* refused (\d+);", self.text, re.M)
        if not m:
            return "no 'hv: guest stopped with status 0' line"
        if refusals is not None and int(m.group(1)) != refusals:
            return "the hypervisor refused %s accesses, want %d" % (m.group(1), refusals)
        return ""


def disk_image(path):
    """16 MiB: a greeting in sector 0, the host's pattern in blk.c's scratch area."""
    capacity = DISK_SIZE // 512
    img = bytearray(DISK_SIZE)
    greeting = b"Hello from the host, through the hypervisor's disk.\n"
    img[: len(greeting)] = greeting
    scratch = blk_test.layout(capacity, 512)[0]
    data = blk_test.host_scratch(capacity, 512)
    img[scratch * 512: scratch * 512 + len(data)] = data
    path.write_bytes(img)
    return blk_test.fnv1a(bytes(img[:512]))


def case_blk(build, version, cfg):
    tag = version + "-blk"
    img = build / "qemu-hv" / "disk.img"
    img.parent.mkdir(parents=True, exist_ok=True)
    sum0 = disk_image(img)
    run = Run(build, tag, hv_cmd(build, "blk", cfg, ["-device", "loader,file=%s,addr=0x%x,"
                                                     "force-raw=on" % (img, DISK_ADDR)]))
    why = run.passed()
    if why:
        return why
    want = "transport %s (version %d)" % (version, 1 if version == "legacy" else 2)
    if want not in run.text:
        return "the guest did not say %r" % want
    if "sector 0: fnv1a32 0x%08x" % sum0 not in run.text:
        return "the guest did not read the host's sector 0 (checksum 0x%08x)" % sum0
    if not re.search(r"^scratch area holds the host's pattern", run.text, re.M):
        return "the guest did not read the host's pattern in the scratch area"
    return ""


def case_real_disk(build, version, cfg):
    """The emulated disk is QEMU's virtio-blk, driven by the hypervisor with virtio_blk.h (of
    the other transport version than the guest's): what the guest wrote is in the image."""
    host = "modern" if version == "legacy" else "legacy"
    img = build / "qemu-hv" / ("real-%s.img" % version)
    img.parent.mkdir(parents=True, exist_ok=True)
    sum0 = disk_image(img)
    run = Run(build, version + "-real-disk",
              hv_cmd(build, "blk", cfg | CFG_REAL_DISK | CFG_NO_CONSOLE,
                     ["-global", "virtio-mmio.force-legacy=%s" % str(host == "legacy").lower(),
                      "-drive", "file=%s,if=none,format=raw,id=d0" % img,
                      "-device", "virtio-blk-device,drive=d0"]))
    why = run.passed()
    if why:
        return why
    if "hv: disk: QEMU's virtio-blk" not in run.text:
        return "the hypervisor did not say it used QEMU's disk"
    if "sector 0: fnv1a32 0x%08x" % sum0 not in run.text:
        return "the guest did not read the host's sector 0 (checksum 0x%08x)" % sum0
    if not re.search(r"^scratch area holds the host's pattern", run.text, re.M):
        return "the guest did not read the host's pattern in the scratch area"
    data = img.read_bytes()
    scratch, mark_at = blk_test.layout(len(data) // 512, 512)
    if data[mark_at * 512: mark_at * 512 + 512] != blk_test.mark(mark_at, 512):
        return "the guest's mark is not in sector %d of the image" % mark_at
    m = re.search(r"^scratch final: sectors (\d+) count (\d+) seed 0x([0-9a-f]+)", run.text, re.M)
    if not m:
        return "no 'scratch final' line"
    first, count, seed = int(m.group(1)), int(m.group(2)), int(m.group(3), 16)
    if data[first * 512: (first + count) * 512] != blk_test.pattern(seed, first, count):
        return "the guest's last writes are not in the image"
    return ""


def case_console(build, version, cfg):
    run = Run(build, version + "-console", hv_cmd(build, "console", cfg), stdin=ECHO + b"\x04",
              after="console found")
    why = run.passed()
    if why:
        return why
    if ECHO.decode() not in run.text:
        return "the echo of the host's %d bytes is missing" % len(ECHO)
    m = re.search(r"^echoed (\d+) bytes", run.text, re.M)
    if not m or int(m.group(1)) != len(ECHO):
        return "the guest did not echo %d bytes" % len(ECHO)
    if "emergency write, before any setup" not in run.text:
        return "no emergency write line"
    return ""


def case_rng(build, version, cfg):
    run = Run(build, version + "-rng", hv_cmd(build, "rng", cfg))
    why = run.passed()
    if why:
        return why
    if not re.search(r"submit/kick/poll: 4 buffers back, 256 bytes", run.text):
        return "no submit/kick/poll line with 4 buffers and 256 bytes"
    return ""


# What hvtest.c makes the hypervisor refuse, in order, as hv.c names it.
REFUSALS = [
    r"a debug console buffer outside RAM at 0x40000000",
    r"a load the device does not accept at 0x1000\w002",
    r"a load the device does not accept at 0x1000\w001",
    r"a store the device does not accept at 0x1000\w000",
    r"a 64-bit load from a virtio-mmio register at 0x1000\w000",
    r"a load outside RAM and the devices at 0x40000000",
    r"a store outside RAM and the devices at 0x40000000",
    r"a load outside RAM and the devices at 0x88000000",
    r"a load outside RAM and the devices at 0x10000ffc",
    r"a hypervisor instruction or CSR",
]


def case_refusals(build, version, cfg):
    run = Run(build, version + "-refusals", hv_cmd(build, "hvtest", cfg))
    why = run.passed(refusals=None)
    if why:
        return why
    lines = re.findall(r"^hv: refused (.*)$", run.text, re.M)
    at = 0
    for want in REFUSALS:
        while at < len(lines) and not re.match(want, lines[at]):
            at += 1
        if at == len(lines):
            return "the hypervisor did not say it refused %r" % want
    if "read into a buffer outside RAM: VIRTIO_ENEEDS_RESET" not in run.text:
        return "the DMA outside RAM did not end in NEEDS_RESET"
    return ""


def case_exit_status(build):
    run = Run(build, "modern-exit-status", hv_cmd(build, "rng", CFG_NO_RNG))
    if run.error:
        return run.error
    if not re.search(r"^FAIL: no virtio-rng device in any slot", run.text, re.M):
        return "no FAIL line naming the missing device"
    if run.status != 1:
        return "exit status %s, want the guest's 1" % run.status
    if not re.search(r"^hv: guest stopped with status 1;", run.text, re.M):
        return "no 'hv: guest stopped with status 1' line"
    return ""


def case_no_guest(build):
    run = Run(build, "modern-no-guest", hv_cmd(build, None), timeout=20)
    if run.error:
        return run.error
    if run.status in (0, None):
        return "exit status %s, want nonzero" % run.status
    if not re.search(r"^hv: ", run.text, re.M):
        return "the hypervisor said nothing"
    return ""


# ---- The benchmark -------------------------------------------------------------------------------
def bench_phases(text):
    phases = {}
    for line in text.splitlines():
        m = re.match(r"BENCH (\w+) (.*)$", line)
        if m:
            phases[m.group(1)] = {k: (int(v) if re.fullmatch(r"\d+", v) else v)
                                  for k, v in re.findall(r"(\w+)=(\S+)", m.group(2))}
    return phases


def bench(build):
    img = build / "qemu-hv" / "bench.img"
    img.parent.mkdir(parents=True, exist_ok=True)
    img.write_bytes(bytes(8 << 20))
    sbi_bench = build / "riscv64-sbi" / "bench.elf"
    qemu_own = [QEMU, "-M", "virt", "-smp", "1,maxcpus=2", "-display", "none", "-monitor", "none",
                "-serial", "stdio", "-no-reboot", "-global", "virtio-mmio.force-legacy=false",
                "-drive", "file=%s,if=none,format=raw,id=d0,readonly=on" % img,
                "-device", "virtio-blk-device,drive=d0", "-kernel", str(sbi_bench)]
    setups = [("hypervisor (virtio_device.h)", hv_cmd(build, "bench", CFG_NO_CONSOLE)),
              ("hypervisor, disk via virtio_blk.h",
               hv_cmd(build, "bench", CFG_NO_CONSOLE | CFG_REAL_DISK,
                      ["-global", "virtio-mmio.force-legacy=false",
                       "-drive", "file=%s,if=none,format=raw,id=d0,readonly=on" % img,
                       "-device", "virtio-blk-device,drive=d0"])),
              ("QEMU virtio-blk (OpenSBI)", qemu_own)]
    print("4 KiB reads, examples/bench.c (riscv64-sbi, modern virtio-mmio), queue depth 1:")
    print("%-34s %11s %14s %14s %14s" % ("device", "latency us", "instr/request",
                                          "hv instr/req", "exits/request"))
    failed = 0
    for name, cmd in setups:
        slug = re.sub(r"\W+", "-", name).strip("-")
        reals = [Run(build, "bench-%s-%d" % (slug, i), cmd, timeout=120) for i in range(3)]
        counted = Run(build, "bench-icount-" + slug,
                      cmd[:1] + ["-icount", "shift=0"] + cmd[1:], timeout=300)
        ps, q = [bench_phases(r.text) for r in reals], bench_phases(counted.text)
        if any("qd1" not in p for p in ps) or "qd1" not in q:
            real = reals[0]
            print("%-34s could not run: %s" % (name, real.error or counted.error or
                                               real.text.strip()[-200:]))
            failed += 1
            continue
        # Real time: the median of three runs (the machine is shared).
        us = sorted(p["qd1"]["ticks"] * 1e6 / p["qd1"]["hz"] / p["qd1"]["requests"]
                    for p in ps)[1]
        b = q["qd1"]
        # -icount shift=0: 1 instruction = 1 ns of virtual time, the clock runs at hz.
        instr = b["ticks"] * (1e9 / b["hz"]) / b["requests"]
        # Register accesses (each one a trap to the hypervisor) are counted by the register
        # pass, qd1_regs; the timed pass qd1 runs without the counting accessor.
        r = q.get("qd1_regs", b)
        exits = (r["reg_reads"] + r["reg_writes"]) / r["requests"]
        m = re.search(r"hypervisor instructions (\d+) of (\d+)", counted.text)
        hv = "-"
        if m:
            # The hypervisor's share of all instructions of the run, applied to a request.
            hv = "%.0f" % (instr * int(m.group(1)) / int(m.group(2)))
        print("%-34s %11.1f %14.0f %14s %14.1f" % (name, us, instr, hv, exits))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--full", action="store_true", help="(no extra cases)")
    ap.add_argument("--no-build", action="store_true", help="(make builds the images)")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    ap.add_argument("--bench", action="store_true", help="measure instead of testing")
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    if args.bench:
        return bench(build)

    failed = 0
    t0 = time.monotonic()

    def report(tag, name, why):
        nonlocal failed
        if args.k and args.k not in "%s: %s" % (tag, name):
            return
        if why:
            failed += 1
            print("FAIL qemu-hv/%s: %s (%s)" % (tag, name, why), flush=True)
        else:
            print("PASS qemu-hv/%s: %s" % (tag, name), flush=True)

    def wanted(tag, name):
        return not args.k or args.k in "%s: %s" % (tag, name)

    for version, cfg in (("modern", 0), ("legacy", CFG_LEGACY)):
        cases = [("blk example passes on the emulated disk (host's data seen)", case_blk),
                 ("blk example passes on QEMU's disk behind the emulated device "
                  "(virtio_blk.h in the hypervisor, other version); its writes reach the image",
                  case_real_disk),
                 ("console example echoes the UART through the emulated console", case_console),
                 ("rng example passes on the emulated entropy device", case_rng),
                 ("hvtest: what the hypervisor must refuse is refused", case_refusals)]
        for name, fn in cases:
            if wanted(version, name):
                report(version, name, fn(build, version, cfg))
    name = "the guest's exit status (rng.c without rng: FAIL, status 1) comes out of QEMU"
    if wanted("modern", name):
        report("modern", name, case_exit_status(build))
    name = "no guest image: the hypervisor stops with a nonzero status, no hang"
    if wanted("modern", name):
        report("modern", name, case_no_guest(build))
    print("INFO qemu-hv: %.1f s" % (time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
