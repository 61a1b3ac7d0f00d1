#!/usr/bin/env python3
"""tests/qemu/ring_test.py - every device example on both ring formats, with and without
indirect descriptors (issue 14).

Boots each example on qemu-system-riscv64 -M virt, modern virtio-mmio only (legacy devices have
32 feature bits and never offer VIRTIO_F_RING_PACKED), with the device properties

    packed=on|off  x  indirect_desc=on|off

(QEMU 7.2 offers RING_PACKED only with packed=on; it offers INDIRECT_DESC by default). The core
takes both whenever they are offered, so the four runs drive the packed and the split ring, each
with and without indirect tables. A run passes on the example's own verdict (exit status 0, no
FAIL line, its closing line) plus what it says it negotiated where it prints that:

  blk      a fresh 8 MiB disk; every check of examples/blk.c (many-segment requests, batches,
           re-init with queues of 256, 16 and 4), closing line PASS; "features negotiated"
           names RING_PACKED and INDIRECT_DESC exactly when offered
  rng      examples/rng.c: blocking reads and four buffers through submit/kick/poll, PASS
  console  examples/console.c on a UNIX socket: 256 KiB of random bytes (no 0x04) echoed byte
           for byte, sent with a 16 KiB window, then 0x04: a summary and exit status 0
  net      examples/net.c with the loopback peer of net_peer.py (127.0.0.1 only): ARP, ping,
           UDP echoes of 60..1514-byte frames in a burst, then the stop frame: exit status 0;
           bits 34 and 28 of the negotiated features as offered
  gpu      examples/gpu.c: "gpu: ready", `u` -> "gpu: updated", `q` -> "gpu: done", status 0
  input    examples/input.c with a keyboard, mouse and tablet; through QMP `input-send-event`:
           keys a, b, Enter -> `input: line "ab"`, a mouse move, Escape -> "input: done", 0

For console, gpu and input, QEMU's own view through QMP x-query-virtio-status must show
RING_PACKED and INDIRECT_DESC negotiated exactly when offered (blk and net print theirs).

Prints one line per run, `PASS qemu-ring/<device>/<packed|split>,indirect=<on|off>` or
`FAIL ...: (why)`, and exits 1 if any failed. Each run leaves its command and output in
BUILD/qemu-ring/<device>-<variant>/. Python 3 standard library only; every run has a timeout.

    python3 tests/qemu/ring_test.py [--build DIR] [-k SUBSTRING]
"""

import argparse
import json
import os
import random
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import net_peer as P  # noqa: E402

QEMU = os.environ.get("QEMU64", "qemu-system-riscv64")
TIMEOUT = 60  # seconds per run; a healthy one takes a few
WINDOW = 16 << 10  # console bytes sent and not yet echoed, at most
EMERG = b"virtio.h console example: emergency write, before any setup\0\n"  # examples/console.c
F_INDIRECT_DESC, F_RING_PACKED = 28, 34
VARIANTS = [(packed, ind) for packed in ("on", "off") for ind in ("on", "off")]


class Qemu:
    """One QEMU boot of an example, its UART on stdio (a pipe both ways)."""

    def __init__(self, workdir, elf, args):
        self.cmd = [QEMU, "-M", "virt", "-smp", "1,maxcpus=2", "-bios", "none",
                    "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot",
                    # modern virtio-mmio: packed rings need VIRTIO_F_VERSION_1 (feature bit 34)
                    "-global", "virtio-mmio.force-legacy=false"] + args + ["-kernel", str(elf)]
        (workdir / "cmd").write_text(" ".join(shlex.quote(a) for a in self.cmd) + "\n")
        self.log = open(workdir / "output", "w")
        self.lines, self.cond = [], threading.Condition()
        self.deadline = time.monotonic() + TIMEOUT
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.log.write(line + "\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern):
        """The first line matching `pattern` (or a FAIL line); None if QEMU ended first."""
        rx = re.compile(pattern + r"|^FAIL")
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    if rx.search(line):
                        return line
                seen = len(self.lines)
                left = self.deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return None
                self.cond.wait(min(left, 0.2))

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def finish(self):
        """Exit status (None: killed at the deadline)."""
        try:
            status = self.proc.wait(max(0.1, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            status = None
        self.reader.join(2)
        self.log.close()
        return status

    def text(self):
        with self.cond:
            return "\n".join(self.lines)

    def tail(self, n=6):
        with self.cond:
            return " | ".join(self.lines[-n:]) or "(no output)"


def verdict(q, status, closing):
    """None if the run passed on the example's own terms, else why not."""
    fail = re.search(r"^FAIL.*$", q.text(), re.M)
    if fail:
        return "guest: " + fail.group(0)
    if status != 0:
        return "exit status {}: {}".format(status, q.tail())
    if closing and not re.search(closing, q.text(), re.M):
        return "no line matching {!r}: {}".format(closing, q.tail())
    return None


def negotiated_names(text, packed, ind):
    """blk prints `features negotiated 0x... NAMES`."""
    m = re.search(r"^features negotiated (0x[0-9a-f]+)", text, re.M)
    if not m:
        return "no 'features negotiated' line"
    return feature_bits(int(m.group(1), 16), packed, ind)


def feature_bits(feats, packed, ind):
    if bool(feats >> F_RING_PACKED & 1) != (packed == "on"):
        return "RING_PACKED {}negotiated with packed={}".format(
            "" if feats >> F_RING_PACKED & 1 else "not ", packed)
    if bool(feats >> F_INDIRECT_DESC & 1) != (ind == "on"):
        return "INDIRECT_DESC {}negotiated with indirect_desc={}".format(
            "" if feats >> F_INDIRECT_DESC & 1 else "not ", ind)
    return None


def qmp_rings(qmp, packed, ind):
    """What every virtio device of the running machine negotiated, from QMP x-query-virtio-status
    (QEMU's own view): RING_PACKED and INDIRECT_DESC exactly as offered. None if so."""
    devs = qmp.cmd("x-query-virtio").get("return") or []
    if not devs:
        return "QMP x-query-virtio lists no virtio device"
    for d in devs:
        st = qmp.cmd("x-query-virtio-status", {"path": d["path"]}).get("return", {})
        names = " ".join(st.get("guest-features", {}).get("transports", []))
        for flag, want in (("VIRTIO_F_RING_PACKED", packed == "on"),
                           ("VIRTIO_RING_F_INDIRECT_DESC", ind == "on")):
            if (flag in names) != want:
                return "QEMU says {} {} {}negotiated".format(d["name"], flag,
                                                           "" if flag in names else "not ")
    return None


# ---- Devices ------------------------------------------------------------------------------------
def run_blk(build, wd, props, packed, ind):
    disk = wd / "disk.img"
    with open(disk, "wb") as f:
        f.truncate(8 << 20)
    q = Qemu(wd, build / "riscv64" / "blk.elf",
             ["-drive", "file={},if=none,format=raw,id=d0".format(disk),
              "-device", "virtio-blk-device,drive=d0," + props])
    status = q.finish()
    why = verdict(q, status, r"^PASS$") or negotiated_names(q.text(), packed, ind)
    if why is None:
        disk.unlink()
    return why


def run_rng(build, wd, props, packed, ind):
    q = Qemu(wd, build / "riscv64" / "rng.elf", ["-device", "virtio-rng-device," + props])
    return verdict(q, q.finish(), r"^PASS$")


def run_console(build, wd, props, packed, ind):
    path = wd / "console.sock"
    if path.exists():
        path.unlink()
    qmp_path = wd / "qmp.sock"
    if qmp_path.exists():
        qmp_path.unlink()
    q = Qemu(wd, build / "riscv64" / "console.elf",
             ["-device", "virtio-serial-device," + props, "-device", "virtconsole,chardev=c0",
              "-chardev", "socket,id=c0,path={},server=on,wait=on".format(path),
              "-qmp", "unix:{},server=on,wait=off".format(qmp_path)])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(200):  # QEMU waits for this connection before it runs the guest
        try:
            s.connect(str(path))
            break
        except OSError:
            time.sleep(0.05)
    else:
        q.proc.kill()
        q.finish()
        return "could not connect to the console socket"
    # Every byte value but 0x04, which ends the echo.
    data = bytes(b if b != 4 else 5 for b in random.Random(1234).randbytes(256 << 10))
    got = bytearray()

    def reader():
        s.settimeout(TIMEOUT)
        try:
            while len(got) < len(EMERG) + len(data):
                b = s.recv(65536)
                if not b:
                    return
                got.extend(b)
        except OSError:
            return

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        # With a window: QEMU drops what a virtconsole port cannot pass on at once.
        sent, end = 0, time.monotonic() + TIMEOUT
        while sent < len(data) and time.monotonic() < end:
            if sent - (len(got) - len(EMERG)) < WINDOW:
                s.sendall(data[sent:sent + 4096])
                sent += len(data[sent:sent + 4096])
            else:
                time.sleep(0.001)
        t.join(max(0.1, end - time.monotonic()))
        m = Qmp(qmp_path)
        rings = qmp_rings(m, packed, ind)
        m.close()
        s.sendall(b"\x04")
    except OSError as e:
        q.proc.kill()
        q.finish()
        return "console socket: {}".format(e)
    status = q.finish()
    s.close()
    why = verdict(q, status, None) or rings
    if why:
        return why
    if not got.startswith(EMERG):
        return "the console did not start with the emergency line: {!r}".format(bytes(got[:64]))
    echo = bytes(got[len(EMERG):])
    if echo != data:
        n = next((i for i in range(min(len(echo), len(data))) if echo[i] != data[i]),
                 min(len(echo), len(data)))
        return "echo differs at byte {} of {} (got {} bytes)".format(n, len(data), len(echo))
    return None


def run_net(build, wd, props, packed, ind):
    log = open(wd / "output", "w")
    g = P.Guest(build / "riscv64" / "net.elf", legacy=False, device_props=props, log=log,
                timeout=TIMEOUT)
    try:
        (wd / "cmd").write_text("(net_peer.Guest) " + props + "\n")
        g.start()
        (wd / "cmd").write_text(" ".join(shlex.quote(a) for a in g.cmd) + "\n")
        why = feature_bits(g.info.get("features", 0), packed, ind)
        if why:
            return why
        g.send(P.eth(P.BROADCAST, P.PEER_MAC, 0x0806,
                     P.arp(1, P.PEER_MAC, P.PEER_IP, bytes(6), P.GUEST_IP)))
        if g.recv(5.0) != P.expect_arp(g.mac, P.PEER_MAC, P.PEER_IP):
            return "no ARP reply: " + g.tail()
        g.send(P.eth(g.mac, P.PEER_MAC, 0x0800,
                     P.ipv4(P.PEER_IP, P.GUEST_IP, 1, P.icmp_echo(8, 7, 1, b"ring"), ident=5)))
        if g.recv(5.0) != P.expect_icmp(g.mac, 5, 7, 1, b"ring"):
            return "no ping reply: " + g.tail()
        # A burst of UDP echoes, 60..1514-byte frames: more than one receive buffer in flight
        # and transmit chains of several pieces.
        sizes = [60, 61, 128, 590, 1000, 1400, 1513, 1514] * 4
        want = []
        for i, size in enumerate(sizes):
            payload = bytes((i * 7 + k) & 0xFF for k in range(P.udp_payload_for_frame(size)))
            g.send(P.udp_frame(g.mac, 2000 + i, 7, payload, ident=0x400 + i))
            want.append(P.expect_udp_echo(g.mac, 2000 + i, payload, 0x400 + i))
        got = []
        while len(got) < len(want):
            f = g.recv(5.0)
            if f is None:
                break
            got.append(f)
        if sorted(got) != sorted(want):
            return "{} of {} UDP echoes right: {}".format(
                sum(1 for f in got if f in want), len(want), g.tail())
        status = g.stop()
        if status != 0:
            return "exit status {} after the stop frame: {}".format(status, g.tail())
        fail = g.wait_line(r"^FAIL", exit_ok=True, timeout=0.1)
        return "guest: " + fail if fail else None
    except P.GuestError as e:
        return str(e)
    finally:
        g.kill()
        log.close()


def run_gpu(build, wd, props, packed, ind):
    qmp_path = wd / "qmp.sock"
    if qmp_path.exists():
        qmp_path.unlink()
    q = Qemu(wd, build / "riscv64" / "gpu.elf", ["-device", "virtio-gpu-device," + props,
                                                 "-qmp", "unix:{},server=on,wait=off".format(qmp_path)])
    rings = None
    for key, line in ((None, r"^gpu: ready"), ("u", r"^gpu: updated"), ("q", r"^gpu: done")):
        if key == "u":
            m = Qmp(qmp_path)
            rings = qmp_rings(m, packed, ind)
            m.close()
        if key:
            q.type(key)
        got = q.wait_line(line)
        if got is None or got.startswith("FAIL"):
            q.proc.kill()
            q.finish()
            return "waiting for {!r}: {}".format(line, got or q.tail())
    return verdict(q, q.finish(), r"^gpu: done") or rings


class Qmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(200):
            try:
                self.s.connect(str(path))
                break
            except OSError:
                time.sleep(0.05)
        self.s.settimeout(10)
        self.f = self.s.makefile("rwb")
        self.f.readline()  # greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, args=None):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r or "error" in r:
                return r

    def key(self, qcode, down):
        return self.cmd("input-send-event", {"events": [
            {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": qcode}}}]})

    def close(self):
        self.s.close()


def run_input(build, wd, props, packed, ind):
    qmp_path = wd / "qmp.sock"
    if qmp_path.exists():
        qmp_path.unlink()
    q = Qemu(wd, build / "riscv64" / "input.elf",
             ["-qmp", "unix:{},server=on,wait=off".format(qmp_path),
              "-device", "virtio-keyboard-device," + props,
              "-device", "virtio-mouse-device," + props,
              "-device", "virtio-tablet-device," + props])
    got = q.wait_line(r"^input: ready")
    if got is None or got.startswith("FAIL"):
        q.proc.kill()
        q.finish()
        return "not ready: " + (got or q.tail())
    m = Qmp(qmp_path)
    try:
        rings = qmp_rings(m, packed, ind)
        for k in ("a", "b", "ret"):
            for down in (True, False):
                r = m.key(k, down)
                if "error" in r:
                    return "QMP: {}".format(r["error"])
        got = q.wait_line(r'^input: line "ab"$')
        if got is None or got.startswith("FAIL"):
            return "no line \"ab\": " + (got or q.tail())
        m.cmd("input-send-event", {"events": [{"type": "rel", "data": {"axis": "x", "value": 5}}]})
        m.key("esc", True)
        m.key("esc", False)
        got = q.wait_line(r"^input: done")
        if got is None or got.startswith("FAIL"):
            return "no 'input: done': " + (got or q.tail())
    finally:
        m.close()
    return verdict(q, q.finish(), r"^input: done") or rings


DEVICES = {"blk": run_blk, "rng": run_rng, "console": run_console, "net": run_net,
           "gpu": run_gpu, "input": run_input}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default="", help="run only the runs whose name contains this")
    a = ap.parse_args()
    build = Path(a.build)
    if not build.is_absolute():
        build = ROOT / build
    failed = 0
    for dev, fn in DEVICES.items():
        for packed, ind in VARIANTS:
            name = "qemu-ring/{}/{},indirect={}".format(dev, "packed" if packed == "on"
                                                        else "split", ind)
            if a.k not in name:
                continue
            wd = build / "qemu-ring" / "{}-{}-{}".format(dev, "packed" if packed == "on"
                                                         else "split", ind)
            wd.mkdir(parents=True, exist_ok=True)
            props = "packed={},indirect_desc={}".format(packed, ind)
            t0 = time.monotonic()
            try:
                why = fn(build, wd, props, packed, ind)
            except Exception as e:  # a harness error is a failed run, not a crash of the suite
                why = "harness: {}: {}".format(type(e).__name__, e)
            if why is None:
                print("PASS {} ({:.1f} s)".format(name, time.monotonic() - t0), flush=True)
            else:
                failed += 1
                print("FAIL {}: {} ({})".format(name, why, wd), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
