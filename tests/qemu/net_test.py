#!/usr/bin/env python3
"""tests/qemu/net_test.py - examples/net.c (virtio_net.h) in QEMU, checked from a loopback peer.

Every configuration boots QEMU with the example and a virtio-net device whose backend is

    -netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=P1,
            remote.type=inet,remote.host=127.0.0.1,remote.port=P2

so this script, on 127.0.0.1:P2, exchanges raw Ethernet frames with the guest as UDP datagrams
(ports picked free for each run; never user-mode networking, never another address). For each
configuration it checks, one line per case:

  boot     what the guest reports (header length for the negotiated features, MRG_RXBUF, MTU,
           MAC, link state, queue sizes, driver memory within VIRTIO_NET_MEM) against what the
           QEMU options must produce;
  arp      the reply to an ARP request for 10.0.2.15, byte for byte; none for another address;
  icmp     echo replies byte for byte (empty, 56 bytes, the largest frame, IP options, padding);
  udp      1000 UDP echoes through port 7 (frames of 60 up to the largest, 1514 by default),
           several in flight, every reply byte for byte and in order;
  ignored  frames the guest must ignore or drop get no answer (wrong MAC, bad checksums,
           fragments, runts, frames above the MTU) and the guest still answers afterwards;
  stop     a UDP datagram to port 9 powers the guest off with exit status 0.

On every machine of tests/qemu/targets.py; riscv64 (and every machine with --full) runs the
matrix below, the other machines the port subset: legacy and modern (where the machine has
legacy), the device alone in the top slot and in slot 0 behind devices of other types, 200 UDP
echoes each. Configurations that boot a variant of the example (net-variants/, built for riscv64
only) are SKIPped elsewhere.

The matrix: legacy and modern virtio-mmio; mrg_rxbuf on and off; receive queues of 4 and 1024
entries (the example asks; QEMU's virtio-mmio offers QueueNumMax 1024); small receive buffers
put together with MRG_RXBUF (and refused without it); a legacy device without ANY_LAYOUT; MTUs
from the device (host_mtu 1280, and 9000 with and without MRG_RXBUF); status and event_idx off
and a given MAC; the minimal build (net-min.elf: VIRTIO_NET_MINIMAL and the core's leave-outs but
the device tree readers), which takes none of STATUS, MTU (1400 offered) and MRG_RXBUF. Every
QEMU run has a timeout.

    python3 tests/qemu/net_test.py [--build DIR] [--no-build] [-k SUBSTRING] [--echoes N] [-v]
                                   [--target T] [--machine M] [--full]
    python3 tests/qemu/net_test.py --demo     one configuration, the guest's output shown

Prints `PASS qemu-net/<machine>/<legacy|modern> <config>: <case>`, `FAIL ...` or `SKIP ...`, exits
1 if any failed. The guest's output of each configuration is left in BUILD/qemu-net/<name>.log.
The last case of each configuration (`stop`) is the judge of targets.py: a line `PASS` and exit
status 0; a configuration whose init must fail: a FAIL line and a nonzero status.
"""

import argparse
import os
import random
import re
import subprocess
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import net_peer as P  # noqa: E402
import targets as T  # noqa: E402

TIMEOUT = 60  # seconds per QEMU run; a healthy one takes a few
DEFAULT_IP = P.GUEST_IP


class Config:
    def __init__(self, name, legacy, props="", elf="net.elf", echoes=True, hdr=None, mrg=None,
                 split=False, mtu=1500, rxq=None, init_fails=None, link="up", mac=None,
                 posted=None, assembled=False, machine=None, ip=None, before=(), echoes_n=None,
                 no_packed=False):
        self.name, self.legacy, self.props, self.elf = name, legacy, props, elf
        self.echoes, self.hdr, self.mrg, self.split, self.mtu = echoes, hdr, mrg, split, mtu
        self.rxq, self.init_fails, self.link, self.mac = rxq, init_fails, link, mac
        self.assembled = assembled
        self.posted = posted  # bytes of receive buffers in the queue at most (small queues)
        self.machine = machine  # targets.py Machine
        self.ip = ip          # the guest's address when not the default (a build setting)
        self.before = list(before)  # -device values in the slots above the net device
        self.echoes_n = echoes_n    # UDP echoes, when not --echoes
        self.no_packed = no_packed  # built with VIRTIO_NO_PACKED

    @property
    def label(self):
        return "qemu-net/{}/{} {}".format(self.machine.name,
                                          "legacy" if self.legacy else "modern", self.name)


# Devices of other types for the slots above the net device.
OTHERS = ["virtio-rng-device", "virtio-serial-device", "virtio-keyboard-device"]


def port_matrix(m):
    """Every machine: legacy and modern, the device in the top slot and in slot 0."""
    c = []
    for legacy in [v == "legacy" for v in m.port_versions]:
        c.append(Config("mrg_rxbuf=on, top slot", legacy, "mrg_rxbuf=on",
                        hdr=10 if legacy else 12, mrg=False, rxq=1024, echoes_n=200))
        c.append(Config("slot 0 behind {} devices of other types".format(m.slots - 1), legacy,
                        "", hdr=10 if legacy else 12, mrg=False, rxq=1024,
                        before=m.fill_list(OTHERS), echoes_n=200))
    for x in c:
        x.machine = m
    return c


def matrix(m):
    """The whole matrix (riscv64; every machine with --full)."""
    c = port_matrix(m) if m.name != "riscv64" else []
    # Buffers of 1536 bytes hold any 1514-byte frame: MRG_RXBUF is not needed, so not taken
    # even when offered, and the header is 12 bytes on modern devices, 10 on legacy ones.
    for legacy in (True, False):
        for mrg in ("off", "on"):
            c.append(Config("mrg_rxbuf=" + mrg, legacy, "mrg_rxbuf=" + mrg,
                            hdr=10 if legacy else 12, mrg=False, rxq=1024))
    # A legacy device without ANY_LAYOUT: the receive header gets a descriptor of its own.
    c.append(Config("mrg_rxbuf=off any_layout=off", True, "mrg_rxbuf=off,any_layout=off", hdr=10,
                    mrg=False, split=True, rxq=1024))
    # Small queues: 4 receive entries (8 buffers, the rest wait idle), 2 transmit entries (one
    # frame in flight: the example waits on VIRTIO_ENOSPC).
    c.append(Config("small queues (rx 4, tx 2)", False, "mrg_rxbuf=off", elf="net-smallq.elf",
                    hdr=12, mrg=False, rxq=4))
    c.append(Config("small queues (rx 4, tx 2)", True, "mrg_rxbuf=on,rx_queue_size=256",
                    elf="net-smallq.elf", hdr=10, mrg=False, rxq=4))
    c.append(Config("any_layout=off small queues (rx 4, tx 2)", True, "any_layout=off",
                    elf="net-smallq.elf", hdr=10, mrg=False, split=True, rxq=4))
    c.append(Config("rx_queue_size=1024 tx_queue_size=1024", False,
                    "rx_queue_size=1024,tx_queue_size=1024", hdr=12, mrg=False, rxq=1024))
    # Receive buffers of 256 bytes: MRG_RXBUF is needed (12-byte header on legacy too), frames
    # are spread over several buffers and put together; without MRG_RXBUF init must fail.
    for legacy in (True, False):
        c.append(Config("mrg_rxbuf=on 256-byte buffers", legacy, "mrg_rxbuf=on",
                        elf="net-smallbuf.elf", hdr=12, mrg=True, assembled=True, rxq=1024))
        c.append(Config("mrg_rxbuf=on 256-byte buffers small queues (rx 16, tx 4)", legacy,
                        "mrg_rxbuf=on", elf="net-smallbufq.elf", hdr=12, mrg=True, assembled=True,
                        rxq=16, posted=16 * 256))
        c.append(Config("mrg_rxbuf=off 256-byte buffers", legacy, "mrg_rxbuf=off",
                        elf="net-smallbuf.elf", init_fails="VIRTIO_EFEATURES"))
    # MTU from the device: smaller (frames above it dropped by the driver), larger with
    # MRG_RXBUF (taken, for jumbo frames put together in frame_mem) and without (not taken).
    c.append(Config("host_mtu=1280", False, "host_mtu=1280,mrg_rxbuf=off", hdr=12, mrg=False,
                    mtu=1280))
    c.append(Config("host_mtu=9000 mrg_rxbuf=on", False, "host_mtu=9000,mrg_rxbuf=on", hdr=12,
                    mrg=True, mtu=9000, assembled=True))
    c.append(Config("host_mtu=9000 mrg_rxbuf=on", True, "host_mtu=9000,mrg_rxbuf=on", hdr=12,
                    mrg=True, mtu=9000, assembled=True))
    c.append(Config("host_mtu=9000 mrg_rxbuf=off", True, "host_mtu=9000,mrg_rxbuf=off", hdr=10,
                    mrg=False, mtu=1500))
    c.append(Config("status=off event_idx=off mac=02:12:34:56:78:9a", False,
                    "status=off,event_idx=off,mac=02:12:34:56:78:9a", hdr=12, mrg=False,
                    link="up (assumed", mac="02:12:34:56:78:9a"))
    c.append(Config("event_idx=off indirect_desc=off", True, "event_idx=off,indirect_desc=off",
                    hdr=10, mrg=False))
    # Another address, set at build time (NET_IP=192,168,7,2).
    c.append(Config("NET_IP=192.168.7.2", False, "", elf="net-ip.elf", hdr=12, mrg=False,
                    ip=bytes([192, 168, 7, 2])))
    # The minimal build (VIRTIO_NET_MINIMAL with the core's leave-outs but the device tree
    # readers): STATUS, MTU and MRG_RXBUF offered, none taken; link assumed up, MTU 1500.
    c.append(Config("minimal build, host_mtu=1400 mrg_rxbuf=on status=on", False,
                    "host_mtu=1400,mrg_rxbuf=on,status=on", elf="net-min.elf", hdr=12,
                    mrg=False, mtu=1500, link="up (assumed", no_packed=True))
    # The device in slot 0 behind devices of other types.
    for legacy in (True, False):
        c.append(Config("slot 0 behind {} devices of other types".format(m.slots - 1), legacy,
                        "", hdr=10 if legacy else 12, mrg=False, rxq=1024,
                        before=m.fill_list(OTHERS), echoes_n=200))
    for x in c:
        x.machine = m
    return c


# ---- Cases -------------------------------------------------------------------------------------
class Failed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


def diff(got, want):
    if got is None:
        return "no reply"
    if len(got) != len(want):
        return "reply of {} bytes, expected {}".format(len(got), len(want))
    i = next((i for i in range(len(want)) if got[i] != want[i]), None)
    if i is None:
        return "same"
    return "reply differs at byte {}: {} expected {}".format(
        i, got[i:i + 8].hex(), want[i:i + 8].hex())


def expect_frame(g, want, what, timeout=3.0):
    got = g.recv(timeout)
    check(got == want, "{}: {}".format(what, diff(got, want)))


def expect_eq(what, got, want):
    check(got == want, "{} {}, expected {}".format(what, got, want))


def to_guest(g, proto, payload, dst_ip=None, **kw):
    """An IPv4 frame from the peer to the guest (or to another address on the guest's MAC)."""
    return P.eth(g.mac, P.PEER_MAC, 0x0800,
                 P.ipv4(P.PEER_IP, dst_ip or P.GUEST_IP, proto, payload, **kw))


def arp_request(sha, spa, tpa):
    return P.eth(P.BROADCAST, sha, 0x0806, P.arp(1, sha, spa, bytes(6), tpa))


def case_boot(g, cfg):
    text = "\n".join(g.lines)
    i = g.info
    expect_eq("header bytes", i.get("hdr_len"), cfg.hdr)
    expect_eq("mrg_rxbuf negotiated", i["mrg"], cfg.mrg)
    expect_eq("header in its own descriptor", i["split"], cfg.split)
    expect_eq("mtu", i.get("mtu"), cfg.mtu)
    expect_eq("max frame", i.get("max_frame"), cfg.mtu + 14)
    link = re.search(r"^link (.*)$", text, re.M).group(1)
    check(link.startswith(cfg.link), "link '{}', expected '{}'".format(link, cfg.link))
    if cfg.mac:
        expect_eq("mac", P.mac_str(g.mac), cfg.mac)
    check(re.search(r"^mac .* \(from the device\)$", text, re.M), "mac not the device's")
    if cfg.rxq:
        expect_eq("rx queue", i.get("rxq"), cfg.rxq)
    ip = re.search(r"^ip ([0-9.]+)$", text, re.M)
    expect_eq("ip", ip and ip.group(1), ".".join(str(b) for b in P.GUEST_IP))
    # The driver's block: what init needs on this transport, within the compile-time bound.
    check("mem_used" in i and 0 < i["mem_used"] <= i["mem_size"],
          "driver memory {} of {} bytes".format(i.get("mem_used"), i.get("mem_size")))
    feats = i.get("features", 0)
    # Only what is implemented: no checksum or segmentation offload, control queue.
    for bit, name in ((0, "CSUM"), (1, "GUEST_CSUM"), (7, "GUEST_TSO4"), (11, "HOST_TSO4"),
                      (17, "CTRL_VQ"), (22, "MQ")):
        check(not feats >> bit & 1, "negotiated " + name)
    # The packed ring exactly where the machine offers it (targets.py: riscv64-packed*).
    packed = (not cfg.legacy and "virtio-device.packed=on" in g.machine.extra
              and not cfg.no_packed)
    expect_eq("RING_PACKED negotiated", bool(feats >> 34 & 1), packed)
    expect_eq("VERSION_1 negotiated", bool(feats >> 32 & 1), not cfg.legacy)
    return "mac {}, header {} bytes, mtu {}, rx queue {}, {} rx buffers x {}, memory {} of {}".format(
        P.mac_str(g.mac), i["hdr_len"], i["mtu"], i["rxq"], i["rx_bufs"], i["rx_buf_size"],
        i["mem_used"], i["mem_size"])


def case_arp(g, cfg):
    g.send(arp_request(P.PEER_MAC, P.PEER_IP, P.GUEST_IP))
    expect_frame(g, P.expect_arp(g.mac, P.PEER_MAC, P.PEER_IP), "ARP request for our address")
    # From another peer, padded to 60 bytes as on a wire: answered to that peer.
    other_mac, other_ip = bytes([0x02, 0, 0, 0, 0, 0x77]), bytes([10, 0, 2, 77])
    req = arp_request(other_mac, other_ip, P.GUEST_IP)
    g.send(req + bytes(60 - len(req)))
    expect_frame(g, P.expect_arp(g.mac, other_mac, other_ip), "padded ARP request, another peer")
    # Not for us: no reply.
    g.send(arp_request(P.PEER_MAC, P.PEER_IP, bytes([10, 0, 2, 99])))
    g.send(P.eth(g.mac, P.PEER_MAC, 0x0806, P.arp(2, P.PEER_MAC, P.PEER_IP, g.mac, P.GUEST_IP)))
    check(not g.drain(0.3), "answered an ARP request for another address, or a reply")
    return "replies byte for byte (to two peers), none for 10.0.2.99 or for an ARP reply"


def case_icmp(g, cfg):
    maxdata = cfg.mtu + 14 - 42
    n = 0
    for ident, size in ((1, 0), (2, 56), (3, 1), (4, maxdata)):
        data = bytes((ident * 7 + k) & 0xFF for k in range(size))
        g.send(to_guest(g, 1, P.icmp_echo(8, 0x1234, ident, data), ident=0x100 + ident))
        expect_frame(g, P.expect_icmp(g.mac, 0x100 + ident, 0x1234, ident, data),
                     "echo request with {} data bytes".format(size))
        n += 1
    # With IP options (not copied back) and with Ethernet padding (not echoed).
    g.send(to_guest(g, 1, P.icmp_echo(8, 0x4321, 9, b"options"), ident=0x200,
                    options=b"\x01\x01\x01\x00"))
    expect_frame(g, P.expect_icmp(g.mac, 0x200, 0x4321, 9, b"options"), "request with IP options")
    req = to_guest(g, 1, P.icmp_echo(8, 7, 7, b"pad"), ident=0x300)
    g.send(req + b"\xee" * (60 - len(req)))
    expect_frame(g, P.expect_icmp(g.mac, 0x300, 7, 7, b"pad"), "padded echo request")
    return "{} echo replies byte for byte (0..{} data bytes, IP options, padding)".format(
        n + 2, maxdata)


def case_udp(g, cfg, count, window=8):
    maxframe = cfg.mtu + 14
    rng = random.Random(zlib.crc32(cfg.label.encode()))
    sizes = []
    for i in range(count):
        k = i % 5
        if k == 0:
            sizes.append(60)
        elif k == 1:
            sizes.append(maxframe)
        elif k == 2 and maxframe >= 1514:
            sizes.append(1514)
        else:
            sizes.append(rng.randint(60, maxframe))
    pending = []
    sent = done = full = 0
    t0 = time.monotonic()
    while done < count:
        while sent < count and len(pending) < window:
            payload = bytes((sent + k) & 0xFF for k in range(P.udp_payload_for_frame(sizes[sent])))
            sport, ident = 20000 + sent % 20000, sent & 0xFFFF
            g.send(P.udp_frame(g.mac, sport, 7, payload, ident=ident))
            pending.append(P.expect_udp_echo(g.mac, sport, payload, ident))
            sent += 1
        got = g.recv(5.0)
        want = pending.pop(0)
        check(got == want, "echo {} of {} ({} bytes): {}".format(
            done + 1, count, len(want), diff(got, want)))
        full += len(want) == 1514
        done += 1
    rate = count / (time.monotonic() - t0)
    return ("{} UDP echoes byte for byte ({}..{}-byte frames, {} of 1514 bytes, {} in flight), "
            "{:.0f}/s".format(count, min(sizes), max(sizes), full, window, rate))


def case_ignored(g, cfg):
    before = g.stats()
    check(before is not None, "no answer from the stats port")
    other_ip = bytes([10, 0, 2, 16])
    icmp_bad = bytearray(P.icmp_echo(8, 1, 1, b"bad"))
    icmp_bad[2] ^= 1
    f = P.udp_frame(g.mac, 1001, 7, b"x" * 20)
    # What the example must ignore (counted by it).
    ignore = [
        P.udp_frame(bytes([0x02, 0, 0, 0, 0, 0x42]), 1000, 7, b"x" * 20),  # another MAC
        f[:24] + bytes([f[24] ^ 0xFF]) + f[25:],                            # bad IPv4 checksum
        P.udp_frame(g.mac, 1002, 7, b"y" * 20, bad_csum=True),               # bad UDP checksum
        to_guest(g, 17, P.udp(P.PEER_IP, other_ip, 1003, 7, b"z"), dst_ip=other_ip),
        to_guest(g, 17, P.udp(P.PEER_IP, P.GUEST_IP, 1004, 7, b"f"), flags_frag=0x2000),
        to_guest(g, 1, bytes(icmp_bad)),                                    # bad ICMP checksum
        P.udp_frame(g.mac, 1005, 5, b"nobody"),                             # no such port
        P.eth(g.mac, P.PEER_MAC, 0x86DD, bytes(40)),                         # IPv6
    ]
    # What the driver must drop (or, when it never gets there, the device).
    drop = [g.mac + P.PEER_MAC[:4],                                          # a 10-byte runt
            P.udp_frame(g.mac, 1006, 7, bytes(P.udp_payload_for_frame(cfg.mtu + 15)))]
    for size in (4000, 9014, 20000):
        # With MRG_RXBUF QEMU holds a frame until the posted buffers can take all of it: never
        # send one longer than they can (see virtio_net.h, RECEIVE).
        if size > cfg.mtu + 14 and (cfg.posted is None or size + 12 <= cfg.posted):
            drop.append(P.udp_frame(g.mac, 1007, 7, bytes(P.udp_payload_for_frame(size))))
    for frame in ignore + drop:
        g.send(frame)
    probe = b"still there?"
    g.send(P.udp_frame(g.mac, 1009, 7, probe, ident=0x7000))
    got = g.recv(5.0)
    want = P.expect_udp_echo(g.mac, 1009, probe, 0x7000)
    extra = g.drain(0.3)
    check(got == want, "after {} frames to ignore: {}".format(len(ignore + drop), diff(got, want)))
    check(not extra, "{} unexpected frame(s) after the probe".format(len(extra)))
    after = g.stats()
    check(after is not None, "no answer from the stats port afterwards")
    dropped = after["rx_dropped"] - before["rx_dropped"]
    ignored = after["ignored"] - before["ignored"]
    expect_eq("frames the example ignored:", ignored, len(ignore))
    # The runt always reaches the driver; a frame just above the MTU does when the device lets
    # it through (an MTU below the buffer size) or spreads it (MRG_RXBUF).
    least = 2 if (cfg.mtu < 1500 or cfg.mrg) else 1
    check(dropped >= least, "the driver dropped {} frame(s), expected at least {}".format(
        dropped, least))
    return ("{} frames without an answer (driver dropped {}, example ignored {}), then an "
            "echo".format(len(ignore + drop), dropped, ignored))


def case_stop(g, cfg):
    st = g.stats()
    check(st is not None, "no answer from the stats port")
    if cfg.assembled:
        check(st["rx_assembled"] > 0, "no frame was put together from several buffers")
    status = g.stop()
    check(status is not None, "the guest did not power off after UDP to port 9")
    expect_eq("exit status", status, 0)
    check(g.wait_line(r"^bye$", timeout=2) is not None, "no 'bye' line")
    g.wait_line(r"^PASS", timeout=2)
    why = T.judge(g.text(), status, machine=g.machine)
    check(not why, why)
    return ("UDP to port 9: exit status 0 ({} frames received, {} assembled, {} register "
            "accesses)".format(st["rx_frames"], st["rx_assembled"], st["reads"] + st["writes"]))


# ---- Running -----------------------------------------------------------------------------------
def run_config(cfg, args, results):
    logdir = Path(args.build) / "qemu-net"
    logdir.mkdir(parents=True, exist_ok=True)
    logname = re.sub(r"[^A-Za-z0-9=.-]+", "_", cfg.label.replace("qemu-net/", ""))
    m = cfg.machine
    if cfg.elf == "net.elf":
        elf = m.elf(Path(args.build), cfg.elf)
    else:
        elf = Path(args.build) / "net-variants" / cfg.elf
    with open(logdir / (logname + ".log"), "w") as log:
        g = P.Guest(elf, cfg.legacy, cfg.props, timeout=TIMEOUT, log=log, machine=m,
                    before=cfg.before)
        log.write("# host port {}\n".format(g.host_port))

        def report(case, fn, *a):
            try:
                msg = fn(g, cfg, *a)
                results.append(("PASS", "{}: {}: {}".format(cfg.label, case, msg)))
                print("PASS {}: {}: {}".format(cfg.label, case, msg), flush=True)
                return True
            except (Failed, P.GuestError, OSError) as e:
                print("FAIL {}: {}: {} [guest: {}]".format(cfg.label, case, e, g.tail(4)),
                      flush=True)
                results.append(("FAIL", cfg.label + ": " + case))
                return False

        P.GUEST_IP = cfg.ip or DEFAULT_IP
        try:
            if cfg.init_fails:
                def refused(g_, c_):
                    g_.start(wait_ready=False)
                    line = g_.wait_line(r"^FAIL|^ready$")
                    status = g_.wait_exit(10)
                    check(line is not None and line.startswith("FAIL: virtio_net_init") and
                          cfg.init_fails in line, "expected init to fail with {}, got {}".format(
                              cfg.init_fails, line))
                    why = T.judge(g_.text(), status, expect_fail=r"^FAIL: virtio_net_init",
                                  machine=g_.machine)
                    check(not why, why)
                    return "init refused: {}, exit status {}".format(cfg.init_fails, status)
                report("boot", refused)
                return
            try:
                g.start()
                log.write("# " + " ".join(g.cmd) + "\n")
            except P.GuestError as e:
                print("FAIL {}: boot: {}".format(cfg.label, e), flush=True)
                results.append(("FAIL", cfg.label + ": boot"))
                return
            if not report("boot", case_boot):
                return
            ok = report("arp", case_arp) and report("icmp", case_icmp)
            ok = report("udp", case_udp, cfg.echoes_n or args.echoes) and ok
            ok = report("ignored", case_ignored) and ok
            report("stop", case_stop)
        finally:
            g.kill()


def build(args, machines):
    targets = sorted({str(Path(args.build) / m.target / "net.elf") for m in machines}) + [
        str(Path(args.build) / "net-variants" / n)
        for n in ("net-smallq.elf", "net-smallbuf.elf", "net-smallbufq.elf", "net-ip.elf")]
    r = subprocess.run(["make", "-s", "BUILD=" + args.build] + targets, cwd=P.ROOT)
    if r.returncode != 0:
        print("FAIL qemu-net: building the example failed")
        sys.exit(1)


def demo(args):
    elf = args.elf or str(Path(args.build) / "riscv64" / "net.elf")
    g = P.Guest(elf, legacy=False, timeout=TIMEOUT, log=sys.stdout)
    print("# booting " + elf, flush=True)
    try:
        g.start()
        print("# QEMU: " + " ".join(g.cmd), flush=True)
        print("# peer on 127.0.0.1:{}: ARP request, UDP echo, stats, then UDP to port 9".format(
            g.host_port), flush=True)
        g.send(arp_request(P.PEER_MAC, P.PEER_IP, P.GUEST_IP))
        f = g.recv()
        print("# ARP reply: " + (f.hex() if f else "none"), flush=True)
        g.send(P.udp_frame(g.mac, 5000, 7, b"hello, guest"))
        f = g.recv()
        print("# UDP echo: " + (repr(f[42:]) if f else "none"), flush=True)
        print("# stats: {}".format(g.stats()), flush=True)
        status = g.stop()
        print("# QEMU exit status: {}".format(status), flush=True)
        return 0 if status == 0 else 1
    finally:
        g.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("-k", default="", help="only configurations whose label contains this")
    ap.add_argument("--echoes", type=int, default=1000)
    ap.add_argument("--demo", action="store_true")
    ap.add_argument("--elf")
    T.add_arguments(ap)
    args = ap.parse_args()
    machines = T.selected(args)
    if not args.no_build:
        build(args, machines)
    if args.demo:
        return demo(args)
    results = []
    t0 = time.monotonic()
    build_dir = (P.ROOT / args.build).resolve()
    for m in machines:
        miss = m.missing(build_dir, ["net.elf"])
        if miss:
            print("FAIL qemu-net/{}: net.elf built, QEMU present (missing {})".format(m.name, miss),
                  flush=True)
            results.append(("FAIL", m.name))
            continue
        for cfg in (matrix(m) if T.full(m, args) else port_matrix(m)):
            if args.k not in cfg.label:
                continue
            why = m.skip_version("legacy" if cfg.legacy else "modern")
            if not why and cfg.elf != "net.elf" and m.target != "riscv64":
                why = "the net-variants ELFs are built for riscv64 only"
            if why:
                print("SKIP {}: every case ({})".format(cfg.label, why), flush=True)
                results.append(("SKIP", cfg.label))
                continue
            run_config(cfg, args, results)
    for m in machines:
        mine = [r for r in results if r[1].startswith("qemu-net/{}/".format(m.name))]
        print("INFO qemu-net/{}: {} run, {} passed, {} failed, {} skipped".format(
            m.name, sum(r[0] != "SKIP" for r in mine), sum(r[0] == "PASS" for r in mine),
            sum(r[0] == "FAIL" for r in mine), sum(r[0] == "SKIP" for r in mine)))
    nfail = sum(1 for r in results if r[0] == "FAIL")
    nskip = sum(1 for r in results if r[0] == "SKIP")
    print("INFO qemu-net: {} passed, {} failed, {} skipped in {:.0f} s".format(
        len(results) - nfail - nskip, nfail, nskip, time.monotonic() - t0))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
