#!/usr/bin/env python3
"""tests/qemu/console_test.py - virtio_console.h on QEMU, checked from the host.

Boots examples/console.c and examples/console_multi.c on every machine of tests/qemu/targets.py,
legacy (virtio-mmio version 1) and modern (version 2; legacy SKIPped where the machine has none).
riscv64 runs every case (every machine with --full); the others the port subset (*). Every port's chardev is a unix socket in
BUILD/qemu-console/ on which this script listens; QEMU connects to it at start-up (chardev
`socket` in client mode), so nothing the guest writes can go out before the host listens.

Cases, for each transport version:
  emergency write * the first bytes on the console are the example's emergency-write line
  echo 1 MiB *      1 MiB of random bytes (every value but 0x04) to port 0 and back, byte-exact,
                    then 0x04 ends the guest with exit status 0 (256 KiB in the port subset)
  slot 0 *          the console in slot 0 behind devices of other types in every slot above
  minimal *         console_min.elf (VIRTIO_MINIMAL but the device tree readers; modern only):
                    emergency write skipped, no SIZE, EMERG_WRITE or MULTIPORT, 64 KiB echo
  slot + event_idx  the console in slot 5 behind two other devices, VIRTIO_F_EVENT_IDX off:
                    the guest must scan to find it (the top slots hold rng devices) and must
                    not negotiate EVENT_IDX; 64 KiB echo
  no emergency      a device without VIRTIO_CONSOLE_F_EMERG_WRITE: the guest skips the line
                    (VIRTIO_ENOTSUP from virtio_console_emerg_init) and echoes 64 KiB
  multiport *       two named virtserialports at ids the guest does not know (found by name):
                    greetings, 256 KiB random echo on each at once, the summary on port 0
  port refused      a third port at an id beyond the guest's memory is refused with
                    PORT_READY 0 (QEMU reports "Guest failure in adding port 5") and gets no data
  host close        the host closes one port; the guest sees PORT_OPEN 0 and says so on port 0

The host sends with a window (at most WINDOW bytes sent and not yet echoed): QEMU drops what a
virtconsole port cannot write to its chardev at once (only virtserialports push back), and the
window keeps every socket buffer far from full.

Prints one line per case, `PASS qemu-console/<machine>/<version>: <case>`, `FAIL ...: <case> (why)`
or `SKIP ...`, INFO lines with timings, and exits 1 if any case failed. Each run leaves its QEMU
command, UART output and QEMU's stderr in BUILD/qemu-console/<machine>-<version>-<run>/. Python 3
standard library only; every QEMU run has a timeout, every wait a bound, and only unix sockets.

    python3 tests/qemu/console_test.py [--build DIR] [-k SUBSTRING] [--target T] [--machine M]
                                       [--full]
"""

import argparse
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets as T  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60        # seconds per QEMU run; a healthy run takes about one
ACCEPT_TIMEOUT = 10
WINDOW = 64 * 1024  # bytes sent and not yet echoed, at most
CHUNK = 4096
END = b"\x04"

# Must match the examples.
EMERG_LINE = b"virtio.h console example: emergency write, before any setup\0\n"  # NUL too
ALPHA, BETA, EXTRA = "org.virtio-h.alpha", "org.virtio-h.beta", "org.virtio-h.extra"
ALPHA_NR, BETA_NR, EXTRA_NR = 2, 1, 5  # EXTRA_NR is beyond console_multi.c's 4 ports


def random_data(n, seed):
    """n random bytes without END (0x04 ends the echo)."""
    data = random.Random(seed).randbytes(n)
    return data.replace(END, b"\x05")


class Peer:
    """The host end of one chardev: a listening unix socket, then the connection from QEMU,
    with a reader thread collecting everything that arrives."""

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.srv.settimeout(ACCEPT_TIMEOUT)
        self.conn = None
        self.rx = bytearray()
        self.eof = False
        self.cond = threading.Condition()
        self.thread = None

    def accept(self):
        self.conn, _ = self.srv.accept()
        self.conn.settimeout(None)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                b = self.conn.recv(65536)
            except OSError:
                b = b""
            with self.cond:
                if not b:
                    self.eof = True
                else:
                    self.rx += b
                self.cond.notify_all()
            if not b:
                return

    def wait(self, pred, timeout):
        """Waits until pred(rx) holds (True) or the time is up or the peer closed (False)."""
        end = time.monotonic() + timeout
        with self.cond:
            while not pred(self.rx):
                left = end - time.monotonic()
                if left <= 0 or self.eof:
                    return pred(self.rx)
                self.cond.wait(min(left, 0.5))
            return True

    def echo(self, data, prefix, timeout):
        """Sends data in CHUNKs, never more than WINDOW ahead of what came back after `prefix`
        bytes, then END. Returns None or why it stopped."""
        end = time.monotonic() + timeout
        sent = 0
        while sent < len(data):
            limit = sent - WINDOW
            if not self.wait(lambda rx: len(rx) - prefix >= limit, end - time.monotonic()):
                return "echo stalled after %d of %d bytes sent, %d back" % (
                    sent, len(data), max(0, len(self.rx) - prefix))
            n = min(CHUNK, len(data) - sent)
            try:
                self.conn.sendall(data[sent:sent + n])
            except OSError as e:
                return "send failed: %s" % e
            sent += n
        try:
            self.conn.sendall(END)
        except OSError as e:
            return "send failed: %s" % e
        return None

    def close(self):
        # shutdown first: a plain close() leaves the socket open while the reader thread sits
        # in recv() on it, and QEMU would never see the end.
        if self.conn is not None:
            try:
                self.conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for s in (self.conn, self.srv):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        if os.path.exists(self.path):
            os.unlink(self.path)


class Run:
    """One QEMU boot with a peer per chardev. QEMU's UART goes to stdout (collected), its
    stderr to a file."""

    def __init__(self, build, m, name, version, elf, devices, chardevs):
        self.machine = m
        self.dir = build / "qemu-console" / ("%s-%s-%s" % (m.name, version, name))
        self.dir.mkdir(parents=True, exist_ok=True)
        rel = os.path.relpath(self.dir, ROOT)  # short socket paths: QEMU runs in ROOT
        self.peers = {c: Peer(os.path.join(rel, c + ".sock")) for c in chardevs}
        # The machine's command line (targets.py), then the console, the program, the devices.
        self.cmd = m.cmd(version) + ["-display", "none", "-monitor", "none",
                                     "-serial", "stdio", "-kernel", str(m.elf(build, elf))]
        for d in devices:
            self.cmd += ["-device", d]
        for c, p in self.peers.items():
            self.cmd += ["-chardev", "socket,id=%s,path=%s" % (c, p.path)]
        (self.dir / "cmd").write_text(" ".join(shlex.quote(a) for a in self.cmd) + "\n")
        self.stderr = open(self.dir / "stderr", "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        self.uart = b""
        self.status = None
        self.error = None
        try:
            for p in self.peers.values():
                p.accept()
        except OSError as e:
            self.error = "QEMU did not connect its chardevs: %s" % e

    def finish(self, gave_up=False):
        """Waits for QEMU (bounded; a few seconds only when the host gave up already, since the
        guest may be waiting for input that will not come) and collects its output. Returns the
        exit status, None if it had to be killed."""
        left = max(1.0, TIMEOUT - (time.monotonic() - self.t0))
        if gave_up:
            left = min(left, 5.0)
        try:
            self.uart, _ = self.proc.communicate(timeout=left)
            self.status = self.machine.exit_status(self.proc.returncode)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.uart, _ = self.proc.communicate()
            self.status = None
            self.error = self.error or "QEMU timed out after %d s" % TIMEOUT
        self.seconds = time.monotonic() - self.t0
        for p in self.peers.values():
            if p.thread:
                p.thread.join(5)
            p.close()
        self.stderr.close()
        (self.dir / "uart").write_bytes(self.uart)
        return self.status

    def qemu_stderr(self):
        return (self.dir / "stderr").read_bytes().decode(errors="replace")

    def uart_text(self):
        return self.uart.decode(errors="replace")

    def guest_said(self):
        """The guest's verdict (the judge of targets.py): '' when it passed, else why not."""
        return self.error or T.judge(self.uart_text(), self.status, machine=self.machine)


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b))


def check_stream(got, want):
    """None if got == want, else a short description of the first difference."""
    if got == want:
        return None
    i = first_diff(got, want)
    return "got %d bytes, want %d; first difference at byte %d (got %r, want %r)" % (
        len(got), len(want), i, bytes(got[i:i + 8]), bytes(want[i:i + 8]))


# ---- examples/console.c -----------------------------------------------------------------------
def console_run(build, m, version, name, size, seed, devices, emerg=EMERG_LINE,
                elf="console.elf"):
    """Boots console.elf (or `elf`), echoes `size` random bytes on port 0 after the emergency line
    `emerg`. Returns (run, data, error)."""
    run = Run(build, m, name, version, elf, devices, ["c0"])
    data = random_data(size, seed)
    err = run.error
    if not err:
        peer = run.peers["c0"]
        # The emergency line first, then the echo.
        if not peer.wait(lambda rx: len(rx) >= len(emerg), 10):
            err = "no emergency line within 10 s"
        else:
            err = peer.echo(data, len(emerg), TIMEOUT)
        if not err:
            want = len(emerg) + len(data)
            peer.wait(lambda rx: len(rx) >= want, 20)
    run.finish(gave_up=bool(err))
    return run, data, err


def test_console(build, rep, m, version, full):
    tag = "%s/%s" % (m.name, version)
    size = 1 << 20 if full else 256 << 10
    names = ["emergency write is the first output",
             "echo %d KiB both ways, byte-exact" % (size >> 10)]
    if any(rep.wanted(n) for n in names):
        run, data, err = console_run(build, m, version, "echo", size, 1,
                                     ["virtio-serial-device", "virtconsole,chardev=c0"])
        rx = bytes(run.peers["c0"].rx)
        if rep.wanted(names[0]):
            head = rx[:len(EMERG_LINE)]
            rep.case(tag, names[0], err if err and not head else
                     (None if head == EMERG_LINE else "console began with %r" % head[:80]))
        if rep.wanted(names[1]):
            why = err or run.guest_said() or check_stream(rx[len(EMERG_LINE):], data)
            if not why and not rx.startswith(EMERG_LINE):
                why = "the stream does not start with the emergency line"
            rep.case(tag, names[1], why)
            g = re.search(r"echoed (\d+) bytes in (\d+) buffers, (\d+) ms", run.uart_text())
            if g:
                print("INFO qemu-console/%s: guest echoed %s bytes in %s buffers in %s ms "
                      "(QEMU run %.1f s)" % (tag, g.group(1), g.group(2), g.group(3),
                                             run.seconds), flush=True)

    name = "console found in slot 0 behind %d devices of other types, 64 KiB echo" % (
        m.slots - 1)
    if rep.wanted(name):
        run, data, err = console_run(build, m, version, "slot0", 64 << 10, 4,
                                     m.fill_list(["virtio-rng-device"])
                                     + ["virtio-serial-device", "virtconsole,chardev=c0"])
        rx = bytes(run.peers["c0"].rx)
        rep.case(tag, name, err or run.guest_said() or check_stream(rx, EMERG_LINE + data))

    name = "minimal build: no emergency write, no SIZE or MULTIPORT, 64 KiB echo"
    if version == "modern" and rep.wanted(name):  # the minimal build has no legacy
        run, data, err = console_run(build, m, version, "minimal", 64 << 10, 5,
                                     ["virtio-serial-device", "virtconsole,chardev=c0"],
                                     emerg=b"", elf="console_min.elf")
        rx = bytes(run.peers["c0"].rx)
        why = err or run.guest_said() or check_stream(rx, data)
        if not why and "emergency write not offered by the device: skipped" not in run.uart_text():
            why = "the guest did not skip the emergency write"
        if not why and not re.search(r"emerg_write off, size off, multiport off", run.uart_text()):
            why = "the minimal build negotiated SIZE, EMERG_WRITE or MULTIPORT"
        rep.case(tag, name, why)
    if not full:
        return

    name = "console found in slot 5 behind two devices, event_idx off, 64 KiB echo"
    if rep.wanted(name):
        # The first -device takes the highest slot: rng 7, rng 6, console 5.
        run, data, err = console_run(build, m, version, "slot", 64 << 10, 2,
                                     ["virtio-rng-device", "virtio-rng-device",
                                      "virtio-serial-device,event_idx=off",
                                      "virtconsole,chardev=c0"])
        rx = bytes(run.peers["c0"].rx)
        why = err or run.guest_said() or check_stream(rx, EMERG_LINE + data)
        if not why and not re.search(r"console found, %s" % version, run.uart_text()):
            why = "the guest did not report a %s console" % version
        if not why:
            g = re.search(r"negotiated: event_idx (on|off)", run.uart_text())
            if not g:
                why = "the guest did not report its features"
            elif g.group(1) == "on":
                why = "VIRTIO_F_EVENT_IDX negotiated though the device did not offer it"
        rep.case(tag, name, why)

    name = "emergency write not offered (emergency-write=off): skipped, 64 KiB echo"
    if rep.wanted(name):
        run, data, err = console_run(build, m, version, "noemerg", 64 << 10, 3,
                                     ["virtio-serial-device,emergency-write=off",
                                      "virtconsole,chardev=c0"], emerg=b"")
        rx = bytes(run.peers["c0"].rx)
        why = err or run.guest_said() or check_stream(rx, data)
        if not why and "emergency write not offered by the device: skipped" not in run.uart_text():
            why = "the guest did not report the missing feature"
        rep.case(tag, name, why)


# ---- examples/console_multi.c -------------------------------------------------------------------
def test_multi(build, rep, m, version):
    tag = "%s/%s" % (m.name, version)
    names = ["multiport: 2 named ports found by name, 256 KiB echo on each at once",
             "multiport: port 5 beyond the guest's memory refused with PORT_READY 0",
             "multiport: host closes a port, guest sees PORT_OPEN 0"]
    if not any(rep.wanted(n) for n in names):
        return
    devices = ["virtio-serial-device", "virtconsole,chardev=c0",
               "virtserialport,nr=%d,name=%s,chardev=c1" % (ALPHA_NR, ALPHA),
               "virtserialport,nr=%d,name=%s,chardev=c2" % (BETA_NR, BETA),
               "virtserialport,nr=%d,name=%s,chardev=c3" % (EXTRA_NR, EXTRA)]
    run = Run(build, m, "multi", version, "console_multi.elf", devices, ["c0", "c1", "c2", "c3"])
    size = 256 << 10
    ports = {"c1": (ALPHA, ALPHA_NR, random_data(size, 11)),
             "c2": (BETA, BETA_NR, random_data(size, 12))}
    greet = {c: b"hello %s on port %d\n" % (n.encode(), nr) for c, (n, nr, _) in ports.items()}
    summary = b"multi: alpha %d bytes, beta %d bytes, refused 1, bad control messages 0\n" % (
        size, size)
    closed = b"multi: alpha closed by the host\n"
    errors = {}
    if run.error:
        errors["run"] = run.error
    else:
        # Something for the refused port: it must never reach a guest that refused the port.
        try:
            run.peers["c3"].conn.sendall(b"nobody is listening\n")
        except OSError:
            pass

        def one(c):
            peer = run.peers[c]
            if not peer.wait(lambda rx: len(rx) >= len(greet[c]), 15):
                errors[c] = "no greeting within 15 s"
                return
            why = peer.echo(ports[c][2], len(greet[c]), TIMEOUT)
            if why:
                errors[c] = why
                return
            want = len(greet[c]) + size
            peer.wait(lambda rx: len(rx) >= want, 20)

        threads = [threading.Thread(target=one, args=(c,)) for c in ports]
        for t in threads:
            t.start()
        for t in threads:
            t.join(TIMEOUT)
        # The summary on port 0 says both ports saw their 0x04: then close alpha.
        if not run.peers["c0"].wait(lambda rx: summary in rx or b"\n" in rx, 20):
            errors.setdefault("c0", "no summary on port 0 within 20 s")
        run.peers["c1"].close()
        run.peers["c0"].wait(lambda rx: closed in rx, 15)
    run.finish(gave_up=bool(errors))
    said = run.guest_said()
    rx = {c: bytes(p.rx) for c, p in run.peers.items()}

    if rep.wanted(names[0]):
        why = errors.get("run") or errors.get("c1") or errors.get("c2")
        for c in ports:
            why = why or check_stream(rx[c], greet[c] + ports[c][2])
        why = why or (None if rx["c0"].startswith(summary) else
                      "port 0 has %r, want the summary %r" % (rx["c0"][:120], summary))
        rep.case(tag, names[0], why or said)
        print("INFO qemu-console/%s: multiport run %.1f s" % (tag, run.seconds), flush=True)
    if rep.wanted(names[1]):
        why = errors.get("run")
        if not why and not re.search(r"Guest failure in adding port %d\b" % EXTRA_NR,
                                     run.qemu_stderr()):
            why = "QEMU did not report the refusal of port %d" % EXTRA_NR
        if not why and rx["c3"]:
            why = "the refused port received %r" % rx["c3"][:40]
        if not why and not re.search(r"ports served 4, refused 1, bad control messages 0",
                                     run.uart_text()):
            why = "the guest did not report 4 ports served and 1 refused"
        rep.case(tag, names[1], why or said)
    if rep.wanted(names[2]):
        why = errors.get("run") or (None if rx["c0"] == summary + closed else
                                    "port 0 has %r, want %r" % (rx["c0"][-80:], summary + closed))
        rep.case(tag, names[2], why or said)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    T.add_arguments(ap)
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    rep = T.Report("qemu-console", args.k)
    t0 = time.monotonic()
    for m in T.selected(args):
        miss = m.missing(build, ["console.elf", "console_multi.elf", "console_min.elf"])
        if miss:
            rep.case(m.name, "console examples built, QEMU present",
                     "missing %s (make examples; tests/deps.sh)" % miss)
            continue
        for version in ("legacy", "modern"):
            if not m.wants(version, T.full(m, args)):
                continue
            why = m.skip_version(version)
            if why:
                rep.skip("%s/%s" % (m.name, version), "every console case", why)
                continue
            test_console(build, rep, m, version, T.full(m, args))
            test_multi(build, rep, m, version)
    rep.summary(time.monotonic() - t0)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
