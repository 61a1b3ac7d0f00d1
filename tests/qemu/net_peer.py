"""tests/qemu/net_peer.py - the host side of examples/net.c: QEMU with a loopback peer.

Shared by net_test.py and net_bench.py. A Guest boots build/<target>/net.elf (or a variant) on
a machine of targets.py (riscv64 unless told), behind any devices given to fill the slots above:

    <targets.py command line> ... \
        -netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=P1,\
                remote.type=inet,remote.host=127.0.0.1,remote.port=P2 \
        -device virtio-net-device,netdev=n0,...

and owns a UDP socket on 127.0.0.1:P2, so every datagram is one raw Ethernet frame to or from
the guest's virtio-net device. Only 127.0.0.1 is ever used (never user-mode networking).

The frame builders make what a peer sends; the expect_* functions make, byte for byte, what
examples/net.c must answer (its header comment is the contract). Python 3 standard library only.
"""

import os
import re
import socket
import struct
import subprocess
import threading
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets as T  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
QEMU = os.environ.get("QEMU", "qemu-system-riscv64")

GUEST_IP = bytes([10, 0, 2, 15])   # NET_IP, the example's default
PEER_IP = bytes([10, 0, 2, 2])
PEER_MAC = bytes([0x02, 0x50, 0x45, 0x45, 0x52, 0x01])  # locally administered, unicast
BROADCAST = b"\xff" * 6
STATS_PORT = 7777
STATS_WORDS = ("magic", "rx_frames", "tx_frames", "reads", "writes", "rx_dropped",
               "rx_assembled", "ignored", "arp", "icmp", "udp")


# ---- Frames --------------------------------------------------------------------------------------
def csum(data, start=0):
    """The Internet checksum (RFC 1071) of data, added to a partial sum `start`."""
    if len(data) % 2:
        data = data + b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa


def ipv4(src, dst, proto, payload, ident=0, flags_frag=0, ttl=64, options=b"", bad_csum=False):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(payload), ident, flags_frag,
                      ttl, proto, 0, src, dst) + options
    c = csum(hdr) ^ (0x5555 if bad_csum else 0)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def icmp_echo(typ, ident, seq, data):
    body = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + data
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]


def udp(src_ip, dst_ip, sport, dport, payload, checksum=True, bad_csum=False):
    length = 8 + len(payload)
    u = struct.pack("!HHHH", sport, dport, length, 0) + payload
    if not checksum:
        return u
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 17, length)
    c = csum(pseudo + u) or 0xFFFF
    if bad_csum:
        c ^= 0x0101
    return u[:6] + struct.pack("!H", c) + u[8:]


def udp_frame(guest_mac, sport, dport, payload, ident=0, **kw):
    """A whole frame: peer -> guest, UDP over IPv4."""
    return eth(guest_mac, PEER_MAC, 0x0800,
               ipv4(PEER_IP, GUEST_IP, 17, udp(PEER_IP, GUEST_IP, sport, dport, payload, **kw),
                    ident=ident))


def udp_payload_for_frame(frame_len):
    """UDP payload length that makes a frame of frame_len bytes (14 + 20 + 8 + payload)."""
    return frame_len - 42


# ---- What examples/net.c answers -----------------------------------------------------------------
def expect_arp(guest_mac, sha, spa):
    return eth(sha, guest_mac, 0x0806, arp(2, guest_mac, GUEST_IP, sha, spa))


def expect_ip(guest_mac, peer_mac, peer_ip, proto, payload, ident):
    return eth(peer_mac, guest_mac, 0x0800, ipv4(GUEST_IP, peer_ip, proto, payload, ident=ident))


def expect_icmp(guest_mac, ident_ip, ident, seq, data, peer_mac=PEER_MAC, peer_ip=PEER_IP):
    return expect_ip(guest_mac, peer_mac, peer_ip, 1, icmp_echo(0, ident, seq, data), ident_ip)


def expect_udp_echo(guest_mac, sport, payload, ident, peer_mac=PEER_MAC, peer_ip=PEER_IP):
    return expect_ip(guest_mac, peer_mac, peer_ip, 17,
                     udp(GUEST_IP, peer_ip, 7, sport, payload), ident)


def parse_stats(frame):
    """The counters in a reply from the stats port, or None."""
    if len(frame) < 42 + 4 * len(STATS_WORDS):
        return None
    words = struct.unpack("<%dI" % len(STATS_WORDS), frame[42:42 + 4 * len(STATS_WORDS)])
    if words[0] != 0x4154534E:
        return None
    return dict(zip(STATS_WORDS, words))


def mac_str(m):
    return ":".join("%02x" % b for b in m)


# ---- The guest -----------------------------------------------------------------------------------
def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Guest:
    """One QEMU running net.elf, with the host end of its network on 127.0.0.1."""

    def __init__(self, elf, legacy, device_props="", extra_args=(), timeout=30, log=None,
                 qemu=QEMU, machine=None, before=(), device="virtio-net-device"):
        self.elf, self.legacy, self.timeout, self.qemu = str(elf), legacy, timeout, qemu
        self.machine = machine or T.BY_NAME["riscv64"]
        self.before = list(before)  # -device values ahead of the net device (higher slots)
        self.lines, self.cond = [], threading.Condition()
        self.log = log
        self.proc = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.host_port = self.sock.getsockname()[1]
        self.deadline = time.monotonic() + timeout
        self.device_props = device_props
        self.device = device  # the QEMU device type (virtio-net-pci for tests/qemu/pci_test.py)
        self.extra_args = list(extra_args)
        self.mac = None
        self.info = {}

    # -- lifetime --
    def start(self, wait_ready=True):
        for attempt in range(5):
            self.qemu_port = free_udp_port()
            netdev = ("dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={},"
                      "remote.type=inet,remote.host=127.0.0.1,remote.port={}"
                      .format(self.qemu_port, self.host_port))
            dev = self.device + ",netdev=n0"
            if self.device_props:
                dev += "," + self.device_props
            # The machine's command line (targets.py; QEMU= still names the riscv64 binary).
            self.cmd = self.machine.cmd("legacy" if self.legacy else "modern")
            if self.machine.name == "riscv64":
                self.cmd[0] = self.qemu
            self.cmd += ["-display", "none", "-serial", "stdio", "-monitor", "none",
                         "-netdev", netdev]
            for d in self.before:
                self.cmd += ["-device", d]
            self.cmd += ["-device", dev, "-kernel", self.elf] + self.extra_args
            self.lines = []
            self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT)
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()
            if not wait_ready:
                return
            ok = self.wait_line(r"^ready$|^FAIL", exit_ok=True)
            if ok is None and self.proc.poll() is not None and \
                    any("Address already in use" in l for l in self.lines):
                continue  # lost the race for the port: another one
            if ok is None or ok.startswith("FAIL"):
                raise GuestError("guest did not get ready: " + self.tail())
            self._parse_info()
            return
        raise GuestError("could not start QEMU: " + self.tail())

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if self.log:
                self.log.write(line + "\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pattern, exit_ok=False, timeout=None):
        """The first output line matching `pattern`, waiting up to the deadline; None if QEMU
        exited (or the time ran out) first."""
        rx = re.compile(pattern)
        end = min(self.deadline, time.monotonic() + timeout) if timeout else self.deadline
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    if rx.search(line):
                        return line
                seen = len(self.lines)
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return None
                self.cond.wait(min(left, 0.2))

    def _parse_info(self):
        text = "\n".join(self.lines)
        m = re.search(r"^mac ([0-9a-f:]{17})", text, re.M)
        if not m:
            raise GuestError("no mac line: " + self.tail())
        self.mac = bytes(int(x, 16) for x in m.group(1).split(":"))
        m = re.search(r"^mtu (\d+) .*max frame (\d+), header (\d+) bytes", text, re.M)
        if m:
            self.info["mtu"], self.info["max_frame"], self.info["hdr_len"] = map(int, m.groups())
        m = re.search(r"^rx queue (\d+), tx queue (\d+), rx buffers (\d+) x (\d+), "
                      r"frame_mem (\d+), driver memory (\d+) of (\d+) bytes", text, re.M)
        if m:
            (self.info["rxq"], self.info["txq"], self.info["rx_bufs"], self.info["rx_buf_size"],
             self.info["frame_mem"], self.info["mem_used"], self.info["mem_size"]) = \
                map(int, m.groups())
        m = re.search(r"^features negotiated (0x[0-9a-f]+)", text, re.M)
        if m:
            self.info["features"] = int(m.group(1), 16)
        self.info["mrg"] = "mrg_rxbuf on" in text
        self.info["split"] = "header in its own descriptor" in text
        m = re.search(r"^link (up|down)", text, re.M)
        self.info["link"] = m.group(1) if m else None

    def wait_exit(self, timeout=None):
        left = max(0.1, self.deadline - time.monotonic())
        if timeout is not None:
            left = min(left, timeout)
        try:
            rc = self.proc.wait(left)
        except subprocess.TimeoutExpired:
            return None
        return self.machine.exit_status(rc) if self.machine else rc  # the guest's status

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()

    def text(self):
        with self.cond:
            return "\n".join(self.lines)

    def tail(self, n=12):
        with self.cond:
            return " | ".join(self.lines[-n:])

    # -- frames --
    def send(self, frame):
        self.sock.sendto(frame, ("127.0.0.1", self.qemu_port))

    def recv(self, timeout=2.0):
        """The next frame from the guest, or None after `timeout` seconds."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data, addr = self.sock.recvfrom(70000)
            except socket.timeout:
                return None
            if addr == ("127.0.0.1", self.qemu_port):
                return data

    def drain(self, timeout=0.2):
        """Frames that arrive within `timeout` seconds (expecting none, usually)."""
        got = []
        while True:
            f = self.recv(timeout)
            if f is None:
                return got
            got.append(f)

    def stats(self, sport=40000):
        self.send(udp_frame(self.mac, sport, STATS_PORT, b"stats?"))
        for _ in range(8):
            f = self.recv(3.0)
            if f is None:
                return None
            s = parse_stats(f)
            if s:
                return s
        return None

    def stop(self):
        """UDP to port 9: the guest powers off. Returns its exit status (None: it did not)."""
        self.send(udp_frame(self.mac, 40009, 9, b"bye"))
        return self.wait_exit(10)


class GuestError(Exception):
    pass
