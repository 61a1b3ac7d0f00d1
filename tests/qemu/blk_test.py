#!/usr/bin/env python3
"""tests/qemu/blk_test.py - boot examples/blk.c in QEMU over a matrix of virtio-blk options.

Every case runs for the legacy (virtio-mmio version 1) and the modern (version 2) transport.
One case boots examples/blk_timeout.c instead, on a throttled drive: a read that times out must
leave the caller's buffer alone once it has returned.
For each, the script makes fresh disk images, boots

    qemu-system-riscv64 -M virt -bios none -nographic -kernel build/riscv64/blk.elf ...

with a timeout, and checks three things: the exit status and serial output of the guest (it
powers off with 0 only when all its own checks passed), what the guest says it found (slot,
transport, queue size, features, serial, the checksum of sector 0 against what the host put
there), and what it did to the images from the host side (its mark and its last write batch are
in the image; nothing outside the scratch area changed; a read-only or unused disk is untouched).

Prints one line per case, `PASS qemu/<legacy|modern>: <case>` or `FAIL ...: <case> (reason)`,
and exits 1 if any failed. Each case leaves its QEMU command and the guest's output in
BUILD/qemu-tests/<transport>-<case>/ (and, if it failed, its disk images). Cases run in
parallel, one per CPU. Python 3 standard library only.

    python3 tests/qemu/blk_test.py [--build DIR] [--no-build] [-j N] [-k SUBSTRING] [-v]
"""

import argparse
import concurrent.futures
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 30  # seconds per QEMU run; a healthy run takes well under one
SECTOR = 512

# Must match examples/blk.c.
SCRATCH_SECTORS = 1024
HOST_SEED = 0x686F7374
FINAL_SEED = 0x66696E6C
MARK_TEXT = "virtio.h blk example wrote this sector ({})\n"

# VirtIO feature bits the checks look at.
F_INDIRECT_DESC = 28
F_EVENT_IDX = 29
F_RING_PACKED = 34
BLK_F_RO = 5
BLK_F_DISCARD = 13
BLK_F_WRITE_ZEROES = 14
BLK_F_CONFIG_WCE = 11


# ---- What the guest computes, in Python ---------------------------------------------------------
def pattern(seed, first, count):
    """examples/blk.c pattern_fill: 32 records of 16 bytes per sector."""
    out = bytearray()
    for sec in range(first, first + count):
        sec &= 0xFFFFFFFF
        for i in range(SECTOR // 16):
            mix = ((seed * 0x9E3779B1) ^ (sec * 0x85EBCA6B) ^ (i * 0xC2B2AE35)) & 0xFFFFFFFF
            out += struct.pack("<IIII", seed, sec, i, mix)
    return bytes(out)


def layout(capacity, block):
    """examples/blk.c's disk layout: (first scratch sector, first sector of the mark block)."""
    unit = block // SECTOR
    mark_at = capacity // unit * unit - unit
    return mark_at - SCRATCH_SECTORS, mark_at


@lru_cache(maxsize=None)
def host_scratch(capacity, block):
    """What the host writes into the scratch area of a disk of `capacity` sectors."""
    return pattern(HOST_SEED, layout(capacity, block)[0], SCRATCH_SECTORS)


def mark(sector, block):
    text = MARK_TEXT.format(sector).encode()
    return text + bytes(block - len(text))


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


# ---- Disks ---------------------------------------------------------------------------------------
class Disk:
    """A raw image: sector 0 says which disk it is, the scratch area holds the host pattern."""

    def __init__(self, path, label, size=8 << 20, readonly=False, serial=None, fail_io=None,
                 block=SECTOR, throttle=False):
        self.path, self.label, self.size, self.block = path, label, size, block
        self.readonly, self.serial = readonly, serial
        self.throttle = throttle  # one request per second (QEMU's block throttling)
        self.fail_io = fail_io  # "read" or "write": QEMU's blkdebug fails every such request
        self.capacity = size // SECTOR

    def create(self):
        greeting = "virtio.h test disk {}, sector 0\n".format(self.label).encode()
        # The rest of sector 0 differs per disk too, so the checksum tells the disks apart.
        seed = int.from_bytes(hashlib.sha256(self.label.encode()).digest()[:4], "little")
        sector0 = (greeting + pattern(seed, 0, 1))[:SECTOR]
        with open(self.path, "wb") as f:
            f.truncate(self.size)
            f.write(sector0)
            f.seek(layout(self.capacity, self.block)[0] * SECTOR)
            f.write(host_scratch(self.capacity, self.block))
        self.original = self.path.read_bytes()
        if self.fail_io:
            self.blkdebug = self.path.with_suffix(".blkdebug")
            self.blkdebug.write_text('[inject-error]\nevent = "none"\niotype = "{}"\n'
                                     'errno = "5"\n'.format(self.fail_io))

    def qemu_args(self, idx, props=""):
        image = str(self.path)
        if self.fail_io:
            image = "blkdebug:{}:{}".format(self.blkdebug, image)
        drive = "file={},if=none,format=raw,id=d{}".format(image, idx)
        if self.readonly:
            drive += ",readonly=on"
        if self.throttle:
            drive += ",throttling.iops-total=1"
        dev = "virtio-blk-device,drive=d{}".format(idx)
        if self.serial:
            dev += ",serial=" + self.serial
        if self.block != SECTOR:
            dev += ",logical_block_size={0},physical_block_size={0}".format(self.block)
        if props:
            dev += "," + props
        return ["-drive", drive, "-device", dev]


# ---- Cases ---------------------------------------------------------------------------------------
class Case:
    """One QEMU configuration. `layout` lists the virtio devices in command-line order: "blk"
    (the next disk) or another -device string. QEMU puts the first device in slot 7, the next in
    slot 6, and so on; the guest takes the block device in the lowest slot, i.e. the last "blk"."""

    def __init__(self, name, props="", layout=("blk",), disks=None, kernel="riscv64/blk.elf",
                 qemu="qemu-system-riscv64", expect_fail=None, check=None, extra=(),
                 verdict=None):
        self.name, self.props, self.layout = name, props, layout
        # verdict(out, status, disk) -> reason or None replaces the checks of examples/blk.c's
        # output, for a case that boots another program
        self.verdict = verdict
        self.extra = list(extra)  # more QEMU arguments
        self.disks = disks or [{}]
        self.kernel, self.qemu = kernel, qemu
        self.expect_fail = expect_fail  # regex of the guest's FAIL line, for negative cases
        self.check = check  # extra check(output, features, offered) -> reason or None


def feature_check(bit, negotiated=None, offered=None):
    def check(out, features, offered_bits):
        if offered is not None and bool(offered_bits >> bit & 1) != offered:
            return "feature bit {} {}offered".format(bit, "not " if offered else "")
        if negotiated is not None and bool(features >> bit & 1) != negotiated:
            return "feature bit {} {}negotiated".format(bit, "not " if negotiated else "")
        return None

    return check


def modern_only_packed(transport):
    # Legacy devices show only 32 feature bits, so packed=on cannot be offered there.
    def check(out, features, offered):
        if transport == "modern" and not offered >> F_RING_PACKED & 1:
            return "packed=on but RING_PACKED not offered"
        if features >> F_RING_PACKED & 1:
            return "RING_PACKED negotiated"
        return None

    return check


def cases(transport):
    rng = "virtio-rng-device"
    out = [
        Case("default"),
        Case("1 MiB disk", disks=[{"size": 1 << 20}]),
        Case("disk of 4 MiB + 7 sectors", disks=[{"size": (4 << 20) + 7 * SECTOR}]),
    ]
    for qs in (4, 16, 64, 256, 1024):
        out.append(Case("queue-size={}".format(qs), props="queue-size={}".format(qs)))
    out += [
        Case("event_idx=off", props="event_idx=off",
             check=feature_check(F_EVENT_IDX, negotiated=False, offered=False)),
        Case("indirect_desc=off", props="indirect_desc=off",
             check=feature_check(F_INDIRECT_DESC, offered=False)),
        Case("packed=on", props="packed=on", check=modern_only_packed(transport)),
        Case("packed=on,event_idx=off,indirect_desc=off,queue-size=4",
             props="packed=on,event_idx=off,indirect_desc=off,queue-size=4"),
        Case("read-only drive", disks=[{"readonly": True}],
             check=feature_check(BLK_F_RO, negotiated=True)),
        Case("read-only drive, queue-size=4", props="queue-size=4", disks=[{"readonly": True}]),
        Case("discard=off,write-zeroes=off", props="discard=off,write-zeroes=off",
             check=feature_check(BLK_F_DISCARD, offered=False)),
        Case("discard=on,write-zeroes=on", props="discard=on,write-zeroes=on",
             check=feature_check(BLK_F_WRITE_ZEROES, negotiated=True)),
        Case("config-wce=off", props="config-wce=off",
             check=feature_check(BLK_F_CONFIG_WCE, offered=False)),
        Case("num-queues=4", props="num-queues=4"),
        Case("serial of 20 characters", disks=[{"serial": "ABCDEFGHIJKLMNOPQRST"}]),
        Case("logical blocks of 4096 bytes",
             disks=[{"block": 4096, "size": (4 << 20) + 7 * SECTOR}]),
        Case("logical blocks of 4096 bytes, read-only",
             disks=[{"block": 4096, "readonly": True}]),
        Case("two disks", layout=("blk", "blk"), disks=[{}, {}]),
        Case("two disks, the one found first read-only", layout=("blk", "blk"),
             disks=[{}, {"readonly": True}]),
        Case("slot 6 (rng in slot 7)", layout=(rng, "blk")),
        Case("slot 7 (rng in slot 6)", layout=("blk", rng)),
        Case("slot 0 (seven rngs above)", layout=(rng,) * 7 + ("blk",)),
        Case("slot 3 (between rngs)", layout=(rng,) * 4 + ("blk",) + (rng,) * 3),
        Case("rv32 build, qemu-system-riscv32", kernel="riscv32/blk.elf",
             qemu="qemu-system-riscv32"),
        Case("two harts (-smp 2; the second one parks)", extra=["-smp", "2"]),
        # Negative: the guest must notice there is no disk and fail, and we must notice that.
        Case("no block device (must FAIL)", layout=(rng,), disks=[],
             expect_fail=r"FAIL: no virtio block device"),
        # Device errors: every read (write) fails in QEMU's block layer; the device answers
        # VIRTIO_BLK_S_IOERR, which the driver must report as VIRTIO_EIO, not hang or crash.
        Case("injected read errors (must FAIL with EIO)", disks=[{"fail_io": "read"}],
             expect_fail=r"FAIL: read sector 0: .*(EIO|I/O error)"),
        Case("injected write errors (must FAIL with EIO)", disks=[{"fail_io": "write"}],
             expect_fail=r"FAIL: write: .*(EIO|I/O error)"),
        # A blocking read that times out on a throttled drive: once it returned, not one byte
        # of its buffer may change (the driver reset the device first).
        Case("read timeout on a throttled drive: buffer unchanged after the call",
             kernel="riscv64/blk_timeout.elf", disks=[{"throttle": True}],
             verdict=timeout_verdict),
    ]
    return out


def timeout_verdict(out, status, disk):
    """examples/blk_timeout.c: it checks the buffer itself; we check that it said so, that
    the read it retried after initializing again saw the disk, and that the disk is as it was."""
    fail_line = re.search(r"^FAIL: .*$", out, re.M)
    if fail_line:
        return "guest: " + fail_line.group(0)[6:]
    if status != 0 or not re.search(r"^PASS$", out, re.M):
        return "exit status {}, no PASS line".format(status)
    if not re.search(r"^read \d+: VIRTIO_ETIMEDOUT", out, re.M):
        return "no read timed out"
    if not re.search(r"^buffer unchanged \d+ ms after the call returned, ok$", out, re.M):
        return "no 'buffer unchanged' line"
    m = re.search(r"^after init again: sector 0: fnv1a32 0x([0-9a-f]{8})", out, re.M)
    want = fnv1a(disk.original[:SECTOR])
    if not m or int(m.group(1), 16) != want:
        return "sector 0 checksum {}, expected {:08x}".format(m and m.group(1), want)
    if disk.path.read_bytes() != disk.original:
        return "the disk changed (the program only reads)"
    return None


# ---- Running one case ---------------------------------------------------------------------------
def slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def run_case(build, transport, case, verbose):
    """Returns (ok, reason, output)."""
    workdir = build / "qemu-tests" / "{}-{}".format(transport, slug(case.name))
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)

    disks = []
    for i, spec in enumerate(case.disks):
        spec = dict(spec)
        spec.setdefault("serial", "{}{}-{}".format(transport[0], i, slug(case.name))[:20])
        d = Disk(workdir / "disk{}.img".format(i), "{}/{}/{}".format(transport, case.name, i),
                 **spec)
        d.create()
        disks.append(d)

    # "-smp 1,maxcpus=2": QEMU before 8.1 drops the guest's fences under TCG when the machine
    # can only ever have one CPU, and then loses a virtqueue notification now and then (the
    # I/O thread runs in parallel all the same; fixed upstream by "tcg: Do not elide memory
    # barriers for !CF_PARALLEL in system mode"). A second possible CPU keeps the fences.
    cmd = [case.qemu, "-M", "virt", "-smp", "1,maxcpus=2",
           "-bios", "none", "-nographic", "-no-reboot",
           "-global", "virtio-mmio.force-legacy={}".format("true" if transport == "legacy"
                                                          else "false"),
           "-kernel", str(build / case.kernel)] + case.extra
    n_blk = 0
    slot = 7
    expected_slot, expected_disk = None, None
    for dev in case.layout:
        if dev == "blk":
            cmd += disks[n_blk].qemu_args(n_blk, case.props)
            expected_slot, expected_disk = slot, disks[n_blk]
            n_blk += 1
        else:
            cmd += ["-device", dev]
        slot -= 1
    (workdir / "cmd.txt").write_text(" ".join(cmd) + "\n")

    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
        out = p.stdout.decode("utf-8", "replace").replace("\r", "")
        status = p.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace").replace("\r", "")
        (workdir / "output.txt").write_text(out)
        return False, "timeout after {} s".format(TIMEOUT), out
    (workdir / "output.txt").write_text(out)

    reason = check_case(case, transport, out, status, disks, expected_slot, expected_disk)
    if reason is None:
        # Keep the images of failed cases only (with cmd.txt and output.txt) for a post-mortem.
        for d in disks:
            d.path.unlink()
    return reason is None, reason, out


def check_case(case, transport, out, status, disks, expected_slot, expected_disk):
    if case.verdict:
        return case.verdict(out, status, expected_disk)
    fail_line = re.search(r"^FAIL: .*$", out, re.M)
    if case.expect_fail:
        if status == 0:
            return "exit status 0, expected a failure"
        if not fail_line or not re.search(case.expect_fail, fail_line.group(0)):
            return "expected {!r}, got {!r}".format(case.expect_fail,
                                                     fail_line.group(0) if fail_line else None)
        return None
    if fail_line:
        return "guest: " + fail_line.group(0)[6:]
    if status != 0:
        last = out.strip().splitlines()[-1:] or ["(no output)"]
        return "exit status {}: {}".format(status, last[0])
    if not re.search(r"^PASS$", out, re.M):
        return "no PASS line"

    # What the guest says it found.
    m = re.search(r"using block device in slot (\d+) at 0x[0-9a-f]+, transport (\w+)", out)
    if not m:
        return "no 'using block device' line"
    if int(m.group(1)) != expected_slot:
        return "used slot {}, expected {}".format(m.group(1), expected_slot)
    if m.group(2) != transport:
        return "transport {}, expected {}".format(m.group(2), transport)
    m = re.search(r"^capacity (\d+) sectors", out, re.M)
    if not m or int(m.group(1)) != expected_disk.capacity:
        return "capacity {}, expected {}".format(m and m.group(1), expected_disk.capacity)
    m = re.search(r'^serial "(.*)"$', out, re.M)
    if not m or m.group(1) != expected_disk.serial:
        return "serial {!r}, expected {!r}".format(m and m.group(1), expected_disk.serial)
    m = re.search(r"^sector 0: fnv1a32 0x([0-9a-f]{8})", out, re.M)
    want = fnv1a(expected_disk.original[:SECTOR])
    if not m or int(m.group(1), 16) != want:
        return "sector 0 checksum {}, expected {:08x}".format(m and m.group(1), want)
    m = re.search(r"^queue size (\d+), max request", out, re.M)
    if not m or int(m.group(1)) != 1024:
        # virtio-mmio always offers QueueNumMax 1024 in QEMU; the guest asks for 1024.
        return "queue size {}, expected 1024".format(m and m.group(1))
    for qs in (256, 16, 4):
        if not re.search(r"^queue size {}: .*ok$".format(qs), out, re.M):
            return "no pass with a queue of {}".format(qs)
    if not re.search(r"^scratch area holds the host's pattern", out, re.M):
        return "the guest did not read the host's pattern in the scratch area"
    m1 = re.search(r"^features offered +0x([0-9a-f]+)", out, re.M)
    m2 = re.search(r"^features negotiated +0x([0-9a-f]+)", out, re.M)
    if not m1 or not m2:
        return "no features lines"
    offered, features = int(m1.group(1), 16), int(m2.group(1), 16)
    if case.check:
        reason = case.check(out, features, offered)
        if reason:
            return reason

    # What it did to the images.
    for d in disks:
        now = d.path.read_bytes()
        if d is not expected_disk or d.readonly:
            if now != d.original:
                return "{} changed ({})".format(
                    d.path.name, "read-only" if d.readonly else "not the disk in use")
            continue
        cap = d.capacity
        scratch, mark_at = layout(cap, d.block)
        mark_end = mark_at * SECTOR + d.block
        if now[: scratch * SECTOR] != d.original[: scratch * SECTOR]:
            return "bytes before the scratch area changed"
        if now[mark_end:] != d.original[mark_end:]:
            return "bytes after the mark changed"
        if now[mark_at * SECTOR:mark_end] != mark(mark_at, d.block):
            return "the guest's mark is not in the image"
        m = re.search(r"^scratch final: sectors (\d+) count (\d+) seed 0x([0-9a-f]+)", out, re.M)
        if not m:
            return "no 'scratch final' line"
        first, count, seed = int(m.group(1)), int(m.group(2)), int(m.group(3), 16)
        if first != scratch or seed != FINAL_SEED or count == 0 or first + count > mark_at:
            return "unexpected 'scratch final' line"
        if now[first * SECTOR:(first + count) * SECTOR] != pattern(seed, first, count):
            return "the guest's last write batch is not in the image"
    if any(d.readonly for d in disks if d is expected_disk):
        if not re.search(r"^read-only: .* refused with EROFS, ok$", out, re.M):
            return "no read-only check line"
    return None


# ---- Main ----------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"),
                    help="build directory, relative to the repository root (default: build)")
    ap.add_argument("--no-build", action="store_true", help="do not run make first")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-k", dest="select", default="", help="run only cases whose name has this")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the output of failures")
    args = ap.parse_args()

    build = (ROOT / args.build).resolve()
    if not args.no_build:
        r = subprocess.run(["make", "-s", "-f", "examples/examples.mk", "-f", "examples/blk.mk",
                            "BUILD=" + args.build,
                            str(Path(args.build) / "riscv64/blk.elf"),
                            str(Path(args.build) / "riscv32/blk.elf"),
                            str(Path(args.build) / "riscv64/blk_timeout.elf")], cwd=ROOT)
        if r.returncode != 0:
            print("FAIL qemu/build: make of the examples failed")
            return 1

    work = [(t, c) for t in ("legacy", "modern") for c in cases(t)
            if args.select in "{}: {}".format(t, c.name)]
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, build, t, c, args.verbose) for t, c in work]
        for (t, c), fut in zip(work, futures):
            try:
                ok, reason, out = fut.result()
            except Exception as e:  # a bug in this script must not look like a pass
                ok, reason, out = False, "harness error: {!r}".format(e), ""
            if ok:
                print("PASS qemu/{}: {}".format(t, c.name), flush=True)
            else:
                failed += 1
                print("FAIL qemu/{}: {} ({})".format(t, c.name, reason), flush=True)
                if args.verbose and out:
                    print("    | " + "\n    | ".join(out.rstrip().splitlines()), flush=True)
    print("qemu: {} of {} cases passed".format(len(work) - failed, len(work)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
