#!/usr/bin/env python3
"""tests/qemu/blk_test.py - boot examples/blk.c in QEMU over a matrix of virtio-blk options.

Every case runs for the legacy (virtio-mmio version 1) and the modern (version 2) transport,
on every machine of tests/qemu/targets.py: the whole matrix on riscv64 (and everywhere with
--full), the cases marked `port` on the others (the default disk in the highest slot, the disk in
slot 0 behind devices of other types, the timeout example, no disk at all). Legacy cases on a
machine without legacy virtio-mmio (m68k) are SKIPped.
One case boots examples/blk_timeout.c instead, on a throttled drive: a read that times out must
leave the caller's buffer alone once it has returned. Another boots examples/blk_faults.c on a
drive behind QEMU's blkdebug driver (rules failing chosen reads, writes and a flush, errors
reported to the guest): each must fail that request alone with VIRTIO_EIO, on the same device
without a reset, and the image must hold exactly what the successful writes wrote. On modern
devices one boots examples/blk_min.c, the smallest build (VIRTIO_MINIMAL + VIRTIO_MMIO_ONLY):
another transport refused, init, sector 0, one 4 KiB write read back and flushed, which must
be all the image changed.
For each, the script makes fresh disk images, boots

    <targets.py command line of the machine> -nographic -kernel build/<target>/blk.elf ...

with a timeout, and checks three things: the exit status and serial output of the guest (it
powers off with 0 only when all its own checks passed), what the guest says it found (slot,
transport, queue size, features, serial, the checksum of sector 0 against what the host put
there), and what it did to the images from the host side (its mark and its last write batch are
in the image; nothing outside the scratch area changed; a read-only or unused disk is untouched).

Prints one line per case, `PASS qemu-blk/<machine>/<legacy|modern>: <case>`, `FAIL ...: <case>
(reason)` or `SKIP ...: <case> (why)`, and exits 1 if any failed. Each case leaves its QEMU
command and the guest's output in BUILD/qemu-tests/<machine>-<transport>-<case>/ (and, if it
failed, its disk images). Cases run in parallel, -j at a time (make runs it with -j 1: make
itself runs two test jobs at a time). Python 3 standard library only.

    python3 tests/qemu/blk_test.py [--build DIR] [--no-build] [-j N] [-k SUBSTRING] [-v]
                                   [--target T] [--machine M] [--full]
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
import time
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets as T  # noqa: E402

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

# Must match examples/blk_faults.c: blkdebug rules (event, iotype, sector or None, once) and
# what the program writes.
FAULT_READ_ONCE, FAULT_WRITE_ONCE, FAULT_READ_BAD, FAULT_WRITE_BAD = 1000, 2000, 3000, 4000
FAULT_RULES = [
    ("read_aio", "read", FAULT_READ_ONCE, True),
    ("write_aio", "write", FAULT_WRITE_ONCE, True),
    ("flush_to_disk", "flush", None, True),
    ("read_aio", "read", FAULT_READ_BAD, False),
    ("write_aio", "write", FAULT_WRITE_BAD, False),
]
FAULT_WRITE_SEED = 0x77726974
FAULT_BATCH, FAULT_GAP = 5, 4


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
                 block=SECTOR, throttle=False, faults=None):
        self.path, self.label, self.size, self.block = path, label, size, block
        self.readonly, self.serial = readonly, serial
        self.throttle = throttle  # one request per second (QEMU's block throttling)
        self.fail_io = fail_io  # "read" or "write": QEMU's blkdebug fails every such request
        # an errno: blkdebug rules of FAULT_RULES failing with it, the host pattern on the whole
        # disk, and errors reported to the guest (rerror/werror=report) instead of stopping the
        # VM (QEMU's default werror=enospc stops it on ENOSPC: the guest would just freeze)
        self.faults = faults
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
        if self.faults:
            self.path.write_bytes(pattern(HOST_SEED, 0, self.capacity))
        self.original = self.path.read_bytes()
        if self.faults:
            self.blkdebug = self.path.with_suffix(".blkdebug")
            text = ""
            for event, iotype, sector, once in FAULT_RULES:
                text += '[inject-error]\nevent = "{}"\niotype = "{}"\nerrno = "{}"\n'.format(
                    event, iotype, self.faults)
                if sector is not None:
                    text += 'sector = "{}"\n'.format(sector)
                text += 'once = "{}"\n\n'.format("on" if once else "off")
            self.blkdebug.write_text(text)
        if self.fail_io:
            self.blkdebug = self.path.with_suffix(".blkdebug")
            self.blkdebug.write_text('[inject-error]\nevent = "none"\niotype = "{}"\n'
                                     'errno = "5"\n'.format(self.fail_io))

    def qemu_args(self, idx, props=""):
        image = str(self.path)
        if self.fail_io or self.faults:
            image = "blkdebug:{}:{}".format(self.blkdebug, image)
        drive = "file={},if=none,format=raw,id=d{}".format(image, idx)
        if self.faults:
            drive += ",rerror=report,werror=report"
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
    slot 6, and so on; the guest takes the block device in the lowest slot, i.e. the last "blk".
    port: the case runs on every machine (otherwise on riscv64, or everywhere with --full);
    skip(machine) -> why the machine cannot run it, or None."""

    def __init__(self, name, props="", layout=("blk",), disks=None, kernel="blk.elf",
                 expect_fail=None, check=None, extra=(), verdict=None, port=False, skip=None):
        self.name, self.props, self.layout = name, props, layout
        # verdict(out, status, disk) -> reason or None replaces the checks of examples/blk.c's
        # output, for a case that boots another program
        self.verdict = verdict
        self.extra = list(extra)  # more QEMU arguments
        self.disks = disks or [{}]
        self.kernel = kernel
        self.port, self.skip = port, skip
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
    # Legacy devices show only 32 feature bits, so packed=on cannot be offered there; a modern
    # one offers it and the core takes it.
    def check(out, features, offered):
        if transport == "modern":
            if not offered >> F_RING_PACKED & 1:
                return "packed=on but RING_PACKED not offered"
            if not features >> F_RING_PACKED & 1:
                return "RING_PACKED offered but not negotiated"
        elif features >> F_RING_PACKED & 1:
            return "RING_PACKED negotiated on a legacy device"
        return None

    return check


def one_cpu(m):
    return "m68k virt has one CPU" if m.arch == "m68k" else None


def fixed_slots(m):
    # examples/blk_min.c scans the platform's fixed virtio-mmio slots (the smallest build has no
    # device tree reader): m68k lists its devices in bootinfo, x86_64 has PCI only.
    return "no fixed virtio-mmio slots" if m.arch in ("m68k", "x86_64") else None


def cases(transport, m):
    rng = "virtio-rng-device"
    top = m.slots - 1
    out = [
        Case("default", port=True),
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
        Case("slot {} (rng in slot {})".format(top - 1, top), layout=(rng, "blk")),
        Case("slot {} (rng in slot {})".format(top, top - 1), layout=("blk", rng)),
        Case("slot 0 ({} rngs above)".format(top), layout=(rng,) * top + ("blk",), port=True),
        Case("slot 3 (between rngs)", layout=(rng,) * (top - 3) + ("blk",) + (rng,) * 3),
        Case("two harts (-smp 2; the second one parks)", extra=["-smp", "2"], skip=one_cpu),
        # Negative: the guest must notice there is no disk and fail, and we must notice that.
        Case("no block device (must FAIL)", layout=(rng,), disks=[],
             expect_fail=r"FAIL: no virtio block device", port=True),
        # Device errors: every read (write) fails in QEMU's block layer; the device answers
        # VIRTIO_BLK_S_IOERR, which the driver must report as VIRTIO_EIO, not hang or crash.
        Case("injected read errors (must FAIL with EIO)", disks=[{"fail_io": "read"}],
             expect_fail=r"FAIL: read sector 0: .*(EIO|I/O error)"),
        Case("injected write errors (must FAIL with EIO)", disks=[{"fail_io": "write"}],
             expect_fail=r"FAIL: write: .*(EIO|I/O error)"),
        # A blocking read that times out on a throttled drive: once it returned, not one byte
        # of its buffer may change (the driver reset the device first).
        Case("read timeout on a throttled drive: buffer unchanged after the call",
             kernel="blk_timeout.elf", disks=[{"throttle": True}],
             verdict=timeout_verdict, port=True),
        # Injected errors on chosen requests (blkdebug rules, errors reported to the guest):
        # each fails that request alone with VIRTIO_EIO, later ones work on the same device.
        Case("injected read, write and flush errors: EIO on that request alone",
             kernel="blk_faults.elf", disks=[{"faults": 5, "size": 4 << 20}],
             verdict=faults_verdict, port=True),
        # The same with ENOSPC: any host errno is VIRTIO_BLK_S_IOERR to the guest.
        Case("injected ENOSPC errors, werror=report: EIO on that request alone",
             kernel="blk_faults.elf", disks=[{"faults": 28, "size": 4 << 20}],
             verdict=faults_verdict),
    ]
    if transport == "modern":  # VIRTIO_MINIMAL has no legacy transport
        out.append(Case("smallest build (VIRTIO_MINIMAL + VIRTIO_MMIO_ONLY): init, read, write, "
                        "flush", kernel="blk_min.elf", verdict=min_verdict, skip=fixed_slots))
    return out


def min_verdict(out, status, disk):
    """examples/blk_min.c: it checks its read-back itself; we check that it said so, that it
    saw sector 0 as it is, and that the disk holds exactly its 4 KiB write at capacity - 8."""
    fail_line = re.search(r"^FAIL: .*$", out, re.M)
    if fail_line:
        return "guest: " + fail_line.group(0)[6:]
    if status != 0 or not re.search(r"^PASS$", out, re.M):
        return "exit status {}, no PASS line".format(status)
    if not re.search(r"^other transport refused with VIRTIO_ENOTSUP, ok$", out, re.M):
        return "no 'other transport refused' line"
    m = re.search(r"^sector 0: fnv1a32 0x([0-9a-f]{8})", out, re.M)
    want = fnv1a(disk.original[:SECTOR])
    if not m or int(m.group(1), 16) != want:
        return "sector 0 checksum {}, expected {:08x}".format(m and m.group(1), want)
    img = bytearray(disk.original)
    if not disk.readonly:
        unit = disk.block // SECTOR
        at = disk.capacity // unit * unit - 8
        if not re.search(r"^wrote, read back and flushed 4 KiB at sector {}$".format(at), out,
                         re.M):
            return "no write at sector {}".format(at)
        img[at * SECTOR:(at + 8) * SECTOR] = bytes((i * 7 + 0x5a) & 0xff for i in range(4096))
    if disk.path.read_bytes() != bytes(img):
        return "the disk holds something else than the one 4 KiB write"
    return None


def faults_image(disk):
    """What examples/blk_faults.c leaves on the disk: the host pattern, its WRITE_ONCE write
    (8 sectors) and its last write batch's neighbours of WRITE_BAD; not one byte at WRITE_BAD,
    where every write failed."""
    img = bytearray(disk.original)
    img[FAULT_WRITE_ONCE * SECTOR:(FAULT_WRITE_ONCE + 8) * SECTOR] = pattern(
        FAULT_WRITE_SEED, FAULT_WRITE_ONCE, 8)
    first = FAULT_WRITE_BAD - FAULT_GAP * (FAULT_BATCH // 2)
    for k in range(FAULT_BATCH):
        sec = first + k * FAULT_GAP
        if sec != FAULT_WRITE_BAD:
            img[sec * SECTOR:(sec + 1) * SECTOR] = pattern(FAULT_WRITE_SEED + 1, sec, 1)
    return bytes(img)


def faults_verdict(out, status, disk):
    """examples/blk_faults.c checks each result itself; we check that every step said so (the
    injected ones failed with EIO) and that the image holds exactly what succeeded."""
    fail_line = re.search(r"^FAIL: .*$", out, re.M)
    if fail_line:
        return "guest: " + fail_line.group(0)[6:]
    if status != 0 or not re.search(r"^PASS$", out, re.M):
        return "exit status {}, no PASS line".format(status)
    injected = re.findall(r"^.*\(injected\): VIRTIO_EIO.*, as expected$", out, re.M)
    if len(injected) != 9:  # read, write, flush once; 2 x (read, read across, write) always
        return "{} injected errors reported as EIO, expected 9".format(len(injected))
    if len(re.findall(r"^(read|write) batch of 5 around .*: only that one failed, EIO, ok$",
                      out, re.M)) != 4:
        return "not 4 batches with one failure each"
    now = disk.path.read_bytes()
    want = faults_image(disk)
    if now != want:
        diff = next(i for i in range(len(now)) if now[i] != want[i])
        return "the image differs from what the guest's successful writes leave, first at " \
               "sector {}".format(diff // SECTOR)
    return None


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


def run_case(build, m, transport, case, verbose):
    """Returns (ok, reason, output)."""
    workdir = build / "qemu-tests" / "{}-{}-{}".format(m.name, transport, slug(case.name))
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)

    disks = []
    for i, spec in enumerate(case.disks):
        spec = dict(spec)
        spec.setdefault("serial", "{}{}-{}".format(transport[0], i, slug(case.name))[:20])
        d = Disk(workdir / "disk{}.img".format(i),
                 "{}/{}/{}/{}".format(m.name, transport, case.name, i),
                 **spec)
        d.create()
        disks.append(d)

    # The machine's command line (targets.py: binary, firmware, "-smp 1,maxcpus=2", exit
    # status, transport version), then the console, the program and the devices.
    cmd = m.cmd(transport) + ["-nographic", "-kernel", str(m.elf(build, case.kernel))]
    cmd += case.extra
    n_blk = 0
    slot = m.slots - 1
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

    reason = check_case(m, case, transport, out, status, disks, expected_slot, expected_disk)
    if reason is None:
        # Keep the images of failed cases only (with cmd.txt and output.txt) for a post-mortem.
        for d in disks:
            d.path.unlink()
    return reason is None, reason, out


def check_case(mach, case, transport, out, status, disks, expected_slot, expected_disk):
    # The one judge of every example on every machine (targets.py): PASS line and status 0, or
    # the expected FAIL line and a nonzero status.
    why = T.judge(out, status, expect_fail=case.expect_fail, machine=mach)
    if why or case.expect_fail:
        return why or None
    if case.verdict:
        return case.verdict(out, status, expected_disk)

    # What the guest says it found: the slot (or, found from a device tree, its address).
    m = re.search(r"using block device in slot (\d+) at 0x([0-9a-f]+), transport (\w+)", out)
    if not m:
        return "no 'using block device' line"
    if int(m.group(1)) != expected_slot and int(m.group(2), 16) != mach.slot_addr(expected_slot):
        return "used slot {} at 0x{}, expected slot {} at {:#x}".format(
            m.group(1), m.group(2), expected_slot, mach.slot_addr(expected_slot))
    if m.group(3) != transport:
        return "transport {}, expected {}".format(m.group(3), transport)
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
    T.add_arguments(ap)
    args = ap.parse_args()

    build = (ROOT / args.build).resolve()
    machines = T.selected(args)
    if not args.no_build:
        elfs = sorted({str(Path(args.build) / m.target / e) for m in machines
                       for e in ("blk.elf", "blk_timeout.elf", "blk_faults.elf")})
        r = subprocess.run(["make", "-s", "BUILD=" + args.build] + elfs, cwd=ROOT)
        if r.returncode != 0:
            print("FAIL qemu-blk/build: make of the examples failed")
            return 1

    rep = T.Report("qemu-blk")
    t0 = time.monotonic()
    work = []
    for m in machines:
        miss = m.missing(build, ["blk.elf", "blk_timeout.elf", "blk_faults.elf", "blk_min.elf"])
        if miss:
            rep.case(m.name, "examples built, QEMU present",
                     "missing " + miss + " (make examples; tests/deps.sh)")
            continue
        for t in ("legacy", "modern"):
            if not m.wants(t, T.full(m, args)):
                continue
            for c in cases(t, m):
                if args.select not in "{}/{}: {}".format(m.name, t, c.name):
                    continue
                if not c.port and not T.full(m, args):
                    continue
                why = m.skip_version(t) or (c.skip(m) if c.skip else None)
                if why:
                    rep.skip("{}/{}".format(m.name, t), c.name, why)
                    continue
                work.append((m, t, c))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, build, m, t, c, args.verbose) for m, t, c in work]
        for (m, t, c), fut in zip(work, futures):
            try:
                ok, reason, out = fut.result()
            except Exception as e:  # a bug in this script must not look like a pass
                ok, reason, out = False, "harness error: {!r}".format(e), ""
            rep.case("{}/{}".format(m.name, t), c.name, None if ok else reason)
            if not ok and args.verbose and out:
                print("    | " + "\n    | ".join(out.rstrip().splitlines()), flush=True)
    rep.summary(time.monotonic() - t0)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
