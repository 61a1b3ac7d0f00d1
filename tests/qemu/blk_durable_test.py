#!/usr/bin/env python3
"""tests/qemu/blk_durable_test.py - no lost writes: examples/blk_durable.c against a host model.

The guest does WRITES random writes (1 to 128 sectors, at random places in an 8 MiB area) with a
flush every 64 writes or so, from a xorshift32 generator seeded with a value this script puts in
sector 0. The script replays the same generator in Python (`plan`) to know which write last
touched each sector, and checks the image file after QEMU exits, byte for byte: every sector of
the area holds exactly what its last write put there (the guest also reads the whole area back
and checks it against its own record), and nothing outside the area changed.

Two kinds of case, on a raw image (cache=writeback, QEMU's default):
  full run   the guest runs to the end (PASS); the image must be exactly the model's, and the
             guest's counts (writes, bytes, flushes) must be the model's.
  kill at k  QEMU is killed with SIGKILL as soon as the guest prints "FLUSHED k w" (its k-th
             flush completed, after w writes). Every sector must hold what the first w writes
             left there; a sector that a later write touched may instead hold that later write
             (written after the flush: it may or may not have got there), and nothing else: no
             stale data, no torn sector, nothing outside the area.

Writes are blocking (depth 1) or up to 4 in flight (submit, kick, wait; a write that overlaps
one in flight waits, and a flush waits for every write before it). Every case runs for the
legacy and the modern transport; riscv64 runs full runs at both depths and kills at three
points, the other machines (tests/qemu/targets.py) a full run and a kill, 4 in flight. Prints
`PASS qemu-durable/<machine>/<transport>: <case>` lines (FAIL with the reason), and leaves
the command, the guest's output and (when it failed) the image in
BUILD/qemu-tests/durable-<machine>-<transport>-<case>/. Python 3 standard library only.

    python3 tests/qemu/blk_durable_test.py [--build DIR] [--no-build] [-j N] [-k SUBSTRING]
                                           [--writes N] [--target T] [--machine M] [--full]
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets as T  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120  # seconds per QEMU run; a full run of 10^4 writes takes about 4 under TCG
SECTOR = 512
IMAGE_SIZE = 8 << 20

# Must match examples/blk_durable.c.
DATA_FIRST = 8
MAX_SECTORS = 16384
BIG_SECTORS = 128
WRITES = 10000
M32 = 0xFFFFFFFF

DEPTH = 4  # writes in flight in the pipelined cases (the guest's MAX_DEPTH)
# (the flush after which QEMU is killed, depth): riscv64, then the other machines
KILL_POINTS_FULL = ((1, 1), (20, DEPTH), (80, DEPTH))
KILL_POINTS_PORT = ((20, DEPTH),)


# ---- What the guest does, in Python ----------------------------------------------------------
def plan(seed, writes, span):
    """The guest's writes: [(first sector, sectors, flush after)], write i at index i-1."""
    x = seed
    ops = []
    for _ in range(writes):
        x ^= (x << 13) & M32
        x ^= x >> 17
        x ^= (x << 5) & M32
        a = x
        x ^= (x << 13) & M32
        x ^= x >> 17
        x ^= (x << 5) & M32
        b = x
        n = 1 + (b & 0xFF) % (BIG_SECTORS if (b >> 8) & 3 == 0 else 16)
        at = DATA_FIRST + a % (span - n + 1)
        ops.append((at, n, (b >> 16) & 63 == 0))
    return ops


_PACK = struct.Struct("<128I").pack
_KC = [(k * 0xC2B2AE35) & M32 for k in range(32)]
_ZERO = bytes(SECTOR)


def content(seed, i, s):
    """What write i (0: none) leaves in sector s."""
    if i == 0:
        return _ZERO
    base = ((seed * 0x9E3779B1) ^ (i * 0x7FEB352D) ^ (s * 0x85EBCA6B)) & M32
    vals = []
    for k in range(32):
        vals += (i, s, k, base ^ _KC[k])
    return _PACK(*vals)


def header(seed, writes, depth):
    return b"vdur" + struct.pack("<III", seed, writes, depth)


def verify(img, original, seed, writes, upto):
    """None when the image holds what writes 1..upto left, where a sector touched by a write
    after `upto` may hold that write instead. Else why not. Returns (why, sectors, later)."""
    end = min(len(original) // SECTOR, MAX_SECTORS)
    ops = plan(seed, writes, end - DATA_FIRST)
    owner = [0] * end
    for i, (at, n, _) in enumerate(ops[:upto], 1):
        owner[at:at + n] = [i] * n
    later = {}
    for i, (at, n, _) in enumerate(ops[upto:], upto + 1):
        for s in range(at, at + n):
            later.setdefault(s, set()).add(i)
    if len(img) != len(original):
        return "image size {}, expected {}".format(len(img), len(original)), 0, 0
    if img[:DATA_FIRST * SECTOR] != original[:DATA_FIRST * SECTOR]:
        return "sectors 0..{} changed".format(DATA_FIRST - 1), 0, 0
    if img[end * SECTOR:] != original[end * SECTOR:]:
        return "bytes after sector {} changed".format(end - 1), 0, 0
    newer = 0
    for s in range(DATA_FIRST, end):
        got = img[s * SECTOR:(s + 1) * SECTOR]
        if got == content(seed, owner[s], s):
            continue
        who = struct.unpack_from("<I", got)[0]
        if who in later.get(s, ()) and got == content(seed, who, s):
            newer += 1
            continue
        return ("sector {} holds {} (first word {}), expected write {}{}".format(
            s, "something else" if got != content(seed, who, s) else "write {}".format(who),
            who, owner[s], " or one of the later writes {}".format(sorted(later[s])[:5])
            if s in later else ""), end - DATA_FIRST, newer)
    return None, end - DATA_FIRST, newer


# ---- Cases -----------------------------------------------------------------------------------
class Case:
    """depth: 1 = blocking writes; more = that many writes in flight (submit, kick, wait)."""

    def __init__(self, name, depth, kill_at=None):
        self.name, self.depth, self.kill_at = name, depth, kill_at


def cases(m, full, writes):
    out = [Case("{} random writes, {} in flight, byte-exact".format(writes, DEPTH), DEPTH)]
    if full:
        out.insert(0, Case("{} random writes, blocking, byte-exact".format(writes), 1))
    for k, depth in (KILL_POINTS_FULL if full else KILL_POINTS_PORT):
        out.append(Case("SIGKILL after flush {}, {}: every write before it in the image".format(
            k, "blocking" if depth == 1 else "{} in flight".format(depth)), depth, kill_at=k))
    return out


def slug(text):
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def run_qemu(cmd, kill_at):
    """Runs QEMU; with kill_at, SIGKILLs it on the line "FLUSHED kill_at w".
    Returns (output, exit status or None if killed, w or None, timed out)."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    timed_out = []

    def expire():
        timed_out.append(True)
        p.kill()

    timer = threading.Timer(TIMEOUT, expire)
    timer.start()
    lines, flushed = [], None
    try:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace").replace("\r", "")
            lines.append(line)
            if kill_at is not None and flushed is None:
                m = re.match(r"FLUSHED (\d+) (\d+)$", line.strip())
                if m and int(m.group(1)) == kill_at:
                    os.kill(p.pid, signal.SIGKILL)
                    flushed = int(m.group(2))
        p.wait()
    finally:
        timer.cancel()
        if p.poll() is None:
            p.kill()
            p.wait()
    return "".join(lines), (None if flushed is not None else p.returncode), flushed, \
        bool(timed_out)


def run_case(build, m, transport, case, writes):
    """Returns (ok, reason, detail)."""
    workdir = build / "qemu-tests" / "durable-{}-{}-{}".format(m.name, transport, slug(case.name))
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    seed = zlib.crc32("{}/{}/{}".format(m.name, transport, case.name).encode()) | 1
    img_path = workdir / "disk.img"
    with open(img_path, "wb") as f:
        f.truncate(IMAGE_SIZE)
        f.write(header(seed, writes, case.depth))
    original = img_path.read_bytes()
    cmd = m.cmd(transport) + ["-nographic", "-kernel", str(m.elf(build, "blk_durable.elf")),
                              "-drive", "file={},if=none,format=raw,id=d0,cache=writeback".format(
                                  img_path),
                              "-device", "virtio-blk-device,drive=d0"]
    (workdir / "cmd.txt").write_text(" ".join(cmd) + "\n")
    t0 = time.monotonic()
    out, status, flushed, timed_out = run_qemu(cmd, case.kill_at)
    secs = time.monotonic() - t0
    (workdir / "output.txt").write_text(out)

    ops = plan(seed, writes, min(IMAGE_SIZE // SECTOR, MAX_SECTORS) - DATA_FIRST)
    if not re.search(r"^seed 0x{:08x} writes {} depth {} ".format(seed, writes, case.depth),
                     out, re.M):
        return False, "the guest did not take seed 0x{:08x}, {} writes, depth {}".format(
            seed, writes, case.depth), ""
    if case.kill_at is None:
        why = T.judge(out, status, timed_out=timed_out, machine=m)
        if why:
            return False, why, ""
        m_done = re.search(r"^done: (\d+) writes, (\d+) bytes, (\d+) flushes", out, re.M)
        want = (writes, sum(n for _, n, _ in ops) * SECTOR, sum(f for _, _, f in ops) + 1)
        if not m_done or tuple(int(g) for g in m_done.groups()) != want:
            return False, "guest counts {}, the model's {}".format(
                m_done and m_done.groups(), want), ""
        m_depth = re.search(r", (\d+) in flight at most, ", out)
        if not m_depth or int(m_depth.group(1)) != case.depth:
            return False, "{} writes in flight at most, expected {}".format(
                m_depth and m_depth.group(1), case.depth), ""
        upto = writes
    else:
        if timed_out:
            return False, "QEMU timed out", ""
        if flushed is None:
            return False, "no line 'FLUSHED {}' (exit status {}): {}".format(
                case.kill_at, status, T.last_line(out)), ""
        upto = flushed
    why, sectors, newer = verify(img_path.read_bytes(), original, seed, writes, upto)
    if why:
        return False, why, ""
    img_path.unlink()
    if case.kill_at is None:
        detail = " ({} writes, {} bytes, {} flushes, {} sectors checked, seed 0x{:08x}, " \
                 "{:.1f} s)".format(writes, want[1], want[2], sectors, seed, secs)
    else:
        detail = " (killed after {} writes; {} sectors checked, {} of them already holding a " \
                 "later write; seed 0x{:08x}, {:.1f} s)".format(upto, sectors, newer, seed, secs)
    return True, None, detail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--no-build", action="store_true", help="do not run make first")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-k", dest="select", default="", help="run only cases whose name has this")
    ap.add_argument("--writes", type=int, default=WRITES, help="writes per run (at most 65535)")
    T.add_arguments(ap)
    args = ap.parse_args()

    build = (ROOT / args.build).resolve()
    machines = T.selected(args)
    if not args.no_build:
        elfs = sorted({str(Path(args.build) / m.target / "blk_durable.elf") for m in machines})
        if subprocess.run(["make", "-s", "BUILD=" + args.build] + elfs, cwd=ROOT).returncode:
            print("FAIL qemu-durable/build: make of the examples failed")
            return 1

    rep = T.Report("qemu-durable")  # qemu-[a-z]*: what tests/run_all.sh counts per machine
    t0 = time.monotonic()
    work = []
    for m in machines:
        miss = m.missing(build, ["blk_durable.elf"])
        if miss:
            rep.case(m.name, "example built, QEMU present",
                     "missing " + miss + " (make examples; tests/deps.sh)")
            continue
        for t in ("legacy", "modern"):
            if not m.wants(t, T.full(m, args)):
                continue
            for c in cases(m, T.full(m, args), args.writes):
                if args.select not in "{}/{}: {}".format(m.name, t, c.name):
                    continue
                why = m.skip_version(t)
                if why:
                    rep.skip("{}/{}".format(m.name, t), c.name, why)
                    continue
                work.append((m, t, c))
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, build, m, t, c, args.writes) for m, t, c in work]
        for (m, t, c), fut in zip(work, futures):
            try:
                ok, reason, detail = fut.result()
            except Exception as e:  # a bug in this script must not look like a pass
                ok, reason, detail = False, "harness error: {!r}".format(e), ""
            rep.case("{}/{}".format(m.name, t), c.name, reason, detail)
    rep.summary(time.monotonic() - t0)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
