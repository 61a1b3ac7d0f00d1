#!/usr/bin/env python3
"""tests/qemu/input_test.py - virtio_input.h on QEMU, checked from the host.

Boots examples/input.c (and examples/fbcon.c) on every machine of tests/qemu/targets.py with
`-display none`, legacy (virtio-mmio version 1) and modern (version 2; SKIPped where the machine
has no legacy virtio-mmio). The guest's
UART is a unix socket and so is QMP (`-mon chardev=...,mode=control`); QEMU connects to this
script's listeners at start-up, so nothing is lost. Events go in through QMP `input-send-event`,
one batch per command: QEMU delivers a batch to each device as one report (its events, then
EV_SYN/SYN_REPORT), and QEMU routes only to devices past DRIVER_OK, so nothing is sent before
the guest's `input: ready`.

examples/input.c's contract (issue 10), every line checked:
  input: device D "NAME" bus B vendor V product P version R   D = 0, 1, ... in ascending slot order
  input: ready
  input: event D type T code C value V                        one per event, value signed
  input: line "TEXT"                                          on Enter pressed on a keyboard
  input: done                                                 Escape pressed and released; exit 0
(lines not starting with `input:` are not part of the transcript; the judge of targets.py wants
a line `PASS` and exit status 0 at the end.)
The host keeps a model of QEMU and of the US key map (Shift, Caps Lock, Backspace) and predicts
every line: which device gets each event (keys: the keyboard; rel: the mouse; abs: the tablet;
buttons: the mouse or tablet that reached DRIVER_OK last, i.e. the one with the highest D, since
QEMU hands a button to the handler activated most recently), the Linux codes QEMU sends and the
text of every line. Events of one device come in order; reports of different devices from one
batch may interleave, so the check is exact per device and exact for the order of everything
else. After each batch the host waits for its lines before sending the next (QEMU drops a whole
report when the guest has not re-posted enough buffers).

Cases (legacy and modern; * = every machine, the rest riscv64, or every machine with --full):
  keyboard + mouse + tablet * all three (the top three slots): text with Shift and Backspace, relative
                              motion (negative too), buttons, the wheel, absolute positions, and
                              a batch of 15 events (a report of 16 with its SYN)
  low and high slots *        a keyboard in slot 0 and a mouse in the top slot, devices of other
                              types between them; a tablet-less machine: buttons go to the mouse
  two keyboards               keyboard, mouse, keyboard, tablet (D 0-3, slots 4-7): keys go
                              to D 2, buttons and the wheel to the tablet, the first keyboard
                              gets nothing and still shows up
  Shift and Caps Lock text    a keyboard alone: Caps Lock on and off, Shift with Caps Lock,
                              both Shift keys, digits and punctuation shifted, Backspace past
                              the start of a line, empty lines
  minimal build *             input_min.elf (VIRTIO_INPUT_MINIMAL and the core's leave-outs but
                              the device tree readers), modern only, keyboard + mouse + tablet
                              as above: every device line has an empty name and zero ids (no
                              configuration read), every event and line as predicted
  no input device *           devices of other types only: a FAIL line naming the missing
                              device and a nonzero status (no QMP: the guest stops at once)
examples/fbcon.c (legacy and modern), GPU at 640x400 + keyboard:
  fbcon typed line *          two lines typed through QMP (each with a Backspace, Shift and
                              punctuation), Enter; the console echoes them under its prompt; a
                              QMP screendump compared pixel-exact with the screen rendered here
                              from examples/font.h (parsed: one source of truth for the glyphs)
                              and the few FB_* constants of examples/fbcon.c
  fbcon scrolls               20 lines wider than the screen: wrapped and scrolled, compared
                              pixel-exact likewise
  The host sends one key at a time and waits for fbcon's "fbcon: report N" before the next.
`--picture FILE` copies the riscv64 modern fbcon screendump to FILE (`make fbcon-picture` writes
docs/fbcon.png: the README's picture, taken by the test, never drawn by hand).

`--cost` runs only input_cost.elf (input.c built with -DINPUT_COST) under `-icount shift=0`,
keyboard + mouse, with and without event_idx: 64 reports of 15 motion events and their SYN into
the mouse, every line checked as above, then INFO lines with the register accesses (counted by
examples/platform/count_regs.h) and guest instructions (`instret`) spent in
virtio_input_recv_poll per received event, per 16 events, and per poll that found nothing
(`make input-cost`).

Prints `PASS qemu-input/<machine>/<version>: <case>`, `FAIL qemu-input/...: <case> -> why` or
`SKIP ...`, INFO lines, and exits 1 if any case failed. Each run leaves its QEMU command, UART
output, QEMU's stderr and screendumps in BUILD/qemu-input/<machine>-<version>-<run>/. Python 3
standard library only; every QEMU run has a timeout, every wait a bound, only unix sockets.

    python3 tests/qemu/input_test.py [--build DIR] [--target T] [--machine M] [--full]
                                     [-k SUBSTRING] [--picture FILE] [--no-fbcon] [--cost]
"""

import argparse
import json
import os
import re
import shlex
import shutil
import socket
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
TIMEOUT = 60         # seconds per QEMU run; a healthy run takes one or two
WAIT = 20            # seconds for the lines of one batch
ACCEPT_TIMEOUT = 10

# ---- QEMU's virtio-input devices (hw/input/virtio-input-hid.c, QEMU 7.2) ------------------------
KIND = {"virtio-keyboard-device": "keyboard", "virtio-mouse-device": "mouse",
        "virtio-tablet-device": "tablet"}
NAME = {"keyboard": "QEMU Virtio Keyboard", "mouse": "QEMU Virtio Mouse",
        "tablet": "QEMU Virtio Tablet"}
PRODUCT = {"keyboard": 1, "mouse": 2, "tablet": 3}
# The mouse and tablet report version 2: QEMU 7.2's configurations with the wheel axis (device
# property wheel-axis, on by default) are its "_v2" ones.
VERSION = {"keyboard": 1, "mouse": 2, "tablet": 2}
BUS_VIRTUAL, VENDOR = 6, 0x0627
EV_SYN, EV_KEY, EV_REL, EV_ABS = 0, 1, 2, 3
REL_X, REL_Y, REL_WHEEL = 0, 1, 8
ABS_X, ABS_Y = 0, 1
BUTTON = {"left": 0x110, "right": 0x111, "middle": 0x112, "side": 0x113, "extra": 0x114}
WHEEL_RELEASE = {"wheel-up": 0x151, "wheel-down": 0x150}  # BTN_GEAR_UP / BTN_GEAR_DOWN

# QEMU qcode -> Linux key code (QEMU's qcode_to_linux table), for the keys the tests press.
LINUX = {"esc": 1, "minus": 12, "equal": 13, "backspace": 14, "tab": 15,
         "bracket_left": 26, "bracket_right": 27, "ret": 28, "ctrl": 29, "semicolon": 39,
         "apostrophe": 40, "grave_accent": 41, "shift": 42, "backslash": 43, "comma": 51,
         "dot": 52, "slash": 53, "shift_r": 54, "alt": 56, "spc": 57, "caps_lock": 58}
for _i, _c in enumerate("1234567890"):
    LINUX[_c] = 2 + _i
for _row, _first in (("qwertyuiop", 16), ("asdfghjkl", 30), ("zxcvbnm", 44)):
    for _i, _c in enumerate(_row):
        LINUX[_c] = _first + _i

# The US layout the key map implements: qcode -> (plain, shifted). Letters also follow Caps Lock.
US = {"spc": (" ", " "), "minus": ("-", "_"), "equal": ("=", "+"), "bracket_left": ("[", "{"),
      "bracket_right": ("]", "}"), "backslash": ("\\", "|"), "semicolon": (";", ":"),
      "apostrophe": ("'", '"'), "grave_accent": ("`", "~"), "comma": (",", "<"),
      "dot": (".", ">"), "slash": ("/", "?")}
for _c, _s in zip("1234567890", "!@#$%^&*()"):
    US[_c] = (_c, _s)
for _c in "abcdefghijklmnopqrstuvwxyz":
    US[_c] = (_c, _c.upper())
# Characters to the keys that type them (for typing strings): char -> (qcode, shifted).
CHARS = {}
for _q, (_p, _s) in US.items():
    CHARS.setdefault(_p, (_q, False))
    CHARS.setdefault(_s, (_q, True))


# ---- QMP events ---------------------------------------------------------------------------------
def key(q, down):
    return {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": q}}}


def tap(q):
    return [key(q, True), key(q, False)]


def rel(axis, value):
    return {"type": "rel", "data": {"axis": axis, "value": value}}


def abs_(axis, value):
    return {"type": "abs", "data": {"axis": axis, "value": value}}


def btn(button, down):
    return {"type": "btn", "data": {"button": button, "down": down}}


def type_text(text):
    """Batches typing `text` as a person would: each character one batch (Shift held around a
    shifted character within the batch)."""
    out = []
    for ch in text:
        q, shifted = CHARS[ch]
        out.append(([key("shift", True)] + tap(q) + [key("shift", False)]) if shifted
                   else tap(q))
    return out


# ---- the model: what the guest must print -------------------------------------------------------
class Model:
    """Devices in D order (ascending slot). Predicts the guest's lines for each batch."""

    def __init__(self, kinds):
        self.kinds = kinds  # kinds[D]
        self.lines = {d: [] for d in range(len(kinds))}  # per device, in order
        self.kbd = {d: {"shift": set(), "caps": False, "text": ""}
                    for d, k in enumerate(kinds) if k == "keyboard"}
        self.events = 0     # event lines expected so far
        self.esc_down = {}
        self.done = False

    def last(self, kinds):
        """The device QEMU routes to: the most recently activated one of these kinds, i.e.
        the highest D (the guest brings them up in D order). None if there is none."""
        ds = [d for d, k in enumerate(self.kinds) if k in kinds]
        return ds[-1] if ds else None

    def _event(self, d, t, c, v):
        self.lines[d].append("input: event %d type %d code %d value %d" % (d, t, c, v))
        self.events += 1

    def _keyboard(self, d, q, down):
        st = self.kbd[d]
        self._event(d, EV_KEY, LINUX[q], 1 if down else 0)
        if q in ("shift", "shift_r"):
            (st["shift"].add if down else st["shift"].discard)(q)
        elif q == "caps_lock" and down:
            st["caps"] = not st["caps"]
        elif q == "backspace" and down:
            st["text"] = st["text"][:-1]
        elif q == "ret" and down:
            self.lines[d].append('input: line "%s"' % st["text"])
            st["text"] = ""
        elif q == "esc":
            if down:
                self.esc_down[d] = True
            elif self.esc_down.get(d):
                self.esc_pending = d
        elif q in US and down:
            plain, shifted = US[q]
            up = bool(st["shift"])
            if q.isalpha() and len(q) == 1 and st["caps"]:
                up = not up
            st["text"] += shifted if up else plain

    def batch(self, events):
        """Adds the lines of one QMP batch; returns the devices that got a report."""
        got = []
        self.esc_pending = None
        for e in events:
            t, data = e["type"], e["data"]
            if t == "key":
                d = self.last(("keyboard",))
                if d is None:
                    continue
                self._keyboard(d, data["key"]["data"], data["down"])
            elif t == "rel":
                d = self.last(("mouse",))
                if d is None:
                    continue
                self._event(d, EV_REL, {"x": REL_X, "y": REL_Y}[data["axis"]], data["value"])
            elif t == "abs":
                d = self.last(("tablet",))
                if d is None:
                    continue
                self._event(d, EV_ABS, {"x": ABS_X, "y": ABS_Y}[data["axis"]], data["value"])
            elif t == "btn":
                d = self.last(("mouse", "tablet"))
                if d is None:
                    continue
                b = data["button"]
                if b in WHEEL_RELEASE:
                    if data["down"]:
                        self._event(d, EV_REL, REL_WHEEL, 1 if b == "wheel-up" else -1)
                    else:
                        self._event(d, EV_KEY, WHEEL_RELEASE[b], 0)
                else:
                    self._event(d, EV_KEY, BUTTON[b], 1 if data["down"] else 0)
            if d not in got:
                got.append(d)
        for d in got:
            self._event(d, EV_SYN, 0, 0)
        if self.esc_pending is not None:
            self.done = True
        return got


# ---- PNG (QEMU's screendump), decoded plainly ---------------------------------------------------
class ImageError(Exception):
    pass


def png_decode(data):
    """(width, height, bytes per pixel, pixels row by row) of an 8-bit RGB/RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ImageError("not a PNG")
    pos, ihdr, idat = 8, None, []
    while pos + 12 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    if ihdr is None:
        raise ImageError("PNG without IHDR")
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ImageError("unsupported PNG (depth %d, colour type %d)" % (depth, ctype))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    out = bytearray(h * stride)
    prev = bytearray(stride)
    for y in range(h):
        base = y * (stride + 1)
        ft = raw[base]
        line = bytearray(raw[base + 1:base + 1 + stride])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ft == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif ft == 3:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((a + prev[i]) >> 1)) & 255
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif ft != 0:
            raise ImageError("row %d: filter type %d" % (y, ft))
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return w, h, bpp, bytes(out)


# ---- QEMU, its UART and QMP ---------------------------------------------------------------------
class Listener:
    """A unix socket this script listens on; QEMU connects to it at start-up (a chardev in
    client mode). A reader thread collects what arrives."""

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
                if b:
                    self.rx += b
                else:
                    self.eof = True
                self.cond.notify_all()
            if not b:
                return

    def wait(self, pred, timeout):
        """Waits until pred(rx) is true (returns it), the time is up or the peer closed."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                r = pred(self.rx)
                left = end - time.monotonic()
                if r or left <= 0 or self.eof:
                    return r
                self.cond.wait(min(left, 0.5))

    def send(self, data):
        self.conn.sendall(data)

    def close(self):
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
        if self.thread:
            self.thread.join(5)
        if os.path.exists(self.path):
            os.unlink(self.path)


class QmpClosed(OSError):
    """QEMU closed the QMP socket (it exited) before the answer to a command was sent."""


class Qmp:
    """QMP over the accepted monitor socket: one command at a time, events skipped."""

    def __init__(self, listener):
        self.l = listener
        self.used = 0

    def _message(self, timeout):
        if not self.l.wait(lambda rx: rx.find(b"\n", self.used) >= 0, timeout):
            if self.l.eof:
                raise QmpClosed("QEMU closed QMP before its answer (it exited?)")
            raise OSError("no QMP message within %d s" % timeout)
        with self.l.cond:
            end = self.l.rx.find(b"\n", self.used)
            msg = bytes(self.l.rx[self.used:end])
            self.used = end + 1
        return json.loads(msg)

    def greet(self):
        m = self._message(WAIT)
        if "QMP" not in m:
            raise OSError("no QMP greeting: %r" % m)
        return self.command("qmp_capabilities")

    def command(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.l.send(json.dumps(msg).encode() + b"\n")
        while True:
            m = self._message(WAIT)
            if "event" not in m:
                return m


class Run:
    """One QEMU boot of an example with the UART and QMP on unix sockets of this script."""

    def __init__(self, build, mach, version, name, elf, devices, extra=(), qmp=True):
        self.machine = mach
        self.dir = build / "qemu-input" / ("%s-%s-%s" % (mach.name, version, name))
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        rel_dir = os.path.relpath(self.dir, ROOT)  # short socket paths: QEMU runs in ROOT
        self.uart = Listener(os.path.join(rel_dir, "uart.sock"))
        # No QMP for a guest that stops at once: QEMU may be gone before its greeting is read.
        self.mon = Listener(os.path.join(rel_dir, "qmp.sock")) if qmp else None
        # The machine's command line (targets.py), then console, program, QMP, devices.
        self.cmd = mach.cmd(version) + [
                    "-display", "none", "-monitor", "none",
                    "-chardev", "socket,id=ser0,path=%s" % self.uart.path,
                    "-serial", "chardev:ser0",
                    "-kernel", str(mach.elf(build, elf))] + list(extra)
        if qmp:
            # Stopped until QMP is up (cont below): a guest spinning on MMIO from the first
            # instruction could keep the main loop from sending the greeting on a loaded machine.
            self.cmd += ["-S", "-chardev", "socket,id=qmp0,path=%s" % self.mon.path,
                         "-mon", "chardev=qmp0,mode=control"]
        for d in devices:
            self.cmd += ["-device", d]
        (self.dir / "cmd").write_text(" ".join(shlex.quote(a) for a in self.cmd) + "\n")
        self.stderr = open(self.dir / "stderr", "wb")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr)
        self.status = None
        self.error = None
        self.qmp = None
        try:
            self.uart.accept()
            if qmp:
                self.mon.accept()
                self.qmp = Qmp(self.mon)
                r = self.qmp.greet()
                if "return" in r:
                    r = self.qmp.command("cont")  # started with -S: runs once QMP is up
                if "return" not in r:
                    self.error = "qmp_capabilities or cont: %r" % r
        except (OSError, ValueError) as e:
            self.error = "QEMU did not connect its sockets or QMP failed: %s" % e

    def text(self):
        with self.uart.cond:
            return bytes(self.uart.rx).decode(errors="replace").replace("\r", "")

    def lines(self):
        return self.text().split("\n")[:-1]  # whole lines only

    def transcript(self):
        """The example's own lines (input: ...), without the platform's or the judge's."""
        return [x for x in self.lines() if x.startswith("input: ")]

    def wait_for(self, pred, what, timeout=WAIT):
        """'' once pred(lines) holds, else why not (a FAIL line from the guest wins)."""
        def check(_rx):
            ls = self.lines()
            return any(x.startswith("FAIL") for x in ls) or pred(ls)
        self.uart.wait(check, timeout)
        ls = self.lines()
        for x in ls:
            if x.startswith("FAIL"):
                return "guest: " + x.strip()
        if pred(ls):
            return ""
        if self.proc.poll() is not None:
            return "QEMU exited (status %s) before %s" % (self.proc.returncode, what)
        return "no %s from the guest within %d s" % (what, timeout)

    def wait_line(self, line, timeout=WAIT):
        return self.wait_for(lambda ls: line in ls, repr(line), timeout)

    def send(self, events, last=False):
        """One input-send-event; '' or why it failed. The last batch makes the guest power off,
        and QEMU may exit on that before it answers the command: a closed QMP socket then is
        no failure in itself (the transcript and the exit status judge the run)."""
        try:
            r = self.qmp.command("input-send-event", events=events)
        except QmpClosed:
            if last:
                return ""
            raise
        return "" if "return" in r else "input-send-event: %r" % r.get("error", r)

    def finish(self, gave_up=False):
        left = max(1.0, TIMEOUT - (time.monotonic() - self.t0))
        if gave_up:
            left = min(left, 3.0)
        try:
            self.status = self.proc.wait(timeout=left)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.status = None
            if not gave_up:
                self.error = self.error or "QEMU did not exit within %d s" % TIMEOUT
        self.seconds = time.monotonic() - self.t0
        (self.dir / "uart").write_bytes(bytes(self.uart.rx))
        self.uart.close()
        if self.mon is not None:
            self.mon.close()
        self.stderr.close()
        return self.status


# ---- examples/input.c ---------------------------------------------------------------------------
def slots_to_kinds(devices):
    """QEMU puts the first -device in slot 7, the next in slot 6, ...: the input devices in
    ascending slot order (D order) are the input devices of the command line, reversed."""
    return [KIND[d.split(",")[0]] for d in reversed(devices) if d.split(",")[0] in KIND]


def device_lines(kinds, minimal=False):
    if minimal:  # VIRTIO_INPUT_MINIMAL reads no configuration: no name, no ids
        return ['input: device %d "" bus 0 vendor 0 product 0 version 0' % d
                for d in range(len(kinds))] + ["input: ready"]
    return ['input: device %d "%s" bus %d vendor %d product %d version %d'
            % (d, NAME[k], BUS_VIRTUAL, VENDOR, PRODUCT[k], VERSION[k])
            for d, k in enumerate(kinds)] + ["input: ready"]


def check_transcript(lines, model, header):
    """'' if the guest's lines are exactly what the model predicts, else why not."""
    if lines[:len(header)] != header:
        for i, (g, w) in enumerate(zip(lines, header)):
            if g != w:
                return "line %d is %r, want %r" % (i + 1, g, w)
        return "the guest printed %d header lines, want %d: %r" % (
            min(len(lines), len(header)), len(header), lines[:len(header)])
    rest = lines[len(header):]
    per = {d: [] for d in model.lines}
    kbd = [d for d in model.lines if d in model.kbd]
    for i, x in enumerate(rest):
        m = re.match(r"input: event (\d+) ", x)
        if m and int(m.group(1)) in per:
            per[int(m.group(1))].append(x)
        elif x.startswith("input: line ") and kbd:
            per[model.last(("keyboard",))].append(x)
        elif x == "input: done" and i == len(rest) - 1 and model.done:
            continue
        else:
            return "unexpected line %d: %r" % (len(header) + i + 1, x)
    for d, want in model.lines.items():
        got = per[d]
        if got != want:
            for i, (g, w) in enumerate(zip(got, want)):
                if g != w:
                    return "device %d (%s): its line %d is %r, want %r" % (
                        d, model.kinds[d], i + 1, g, w)
            return "device %d (%s): %d lines, want %d (first missing or extra: %r)" % (
                d, model.kinds[d], len(got), len(want),
                (got[len(want):] or want[len(got):])[0])
    if model.done and (not rest or rest[-1] != "input: done"):
        return "no 'input: done' as the last line"
    return ""


def input_case(build, mach, version, short, devices, batches, elf="input.elf", extra=()):
    """Boots input.elf with `devices`, sends each batch and waits for its lines, then checks
    the whole transcript and the exit status. Returns (run, why)."""
    kinds = slots_to_kinds(devices)
    model = Model(kinds)
    header = device_lines(kinds, minimal=(elf == "input_min.elf"))
    run = Run(build, mach, version, short, elf, devices, extra)
    why = run.error
    try:
        if not why:
            why = run.wait_line("input: ready")
        if not why:
            why = check_transcript(run.transcript(), Model(kinds), header)
        for i, events in enumerate(batches):
            if why:
                break
            model.batch(events)
            why = run.send(events, last=(i == len(batches) - 1))
            n = model.events
            if not why:
                why = run.wait_for(
                    lambda ls: sum(x.startswith("input: event ") for x in ls) >= n,
                    "the %d-th event line" % n)
        if not why and model.done:
            why = run.wait_line("input: done")
    except OSError as e:
        why = why or "lost QEMU: %s" % e
    run.finish(gave_up=bool(why))
    if not why:
        lines = [x for x in run.transcript() if not x.startswith("input: cost ")]
        why = check_transcript(lines, model, header)
    if not why and not model.done:
        why = "the test sent no Escape (a test bug)"
    if not why:
        why = run.error or T.judge(run.text(), run.status, machine=run.machine)
    return run, why


ESCAPE = [[key("esc", True)], [key("esc", False)]]


def batches_all_three():
    b = type_text("Hi, virtio!")
    b += [tap("backspace"), tap("backspace")] + type_text("?")  # "Hi, virti?"
    b += [tap("ret")]
    b += [[rel("x", 5), rel("y", -3)], [rel("x", -120)], [rel("y", 77)]]
    b += [[btn("left", True)], [btn("left", False)],
          [btn("right", True), rel("x", 1), btn("right", False)],
          [btn("middle", True), btn("middle", False)]]
    b += [[btn("wheel-up", True), btn("wheel-up", False)],
          [btn("wheel-down", True), btn("wheel-down", False)]]
    b += [[abs_("x", 0), abs_("y", 0)], [abs_("x", 32767), abs_("y", 32767)],
          [abs_("x", 12345)], [abs_("y", 20000), abs_("x", 1)]]
    # 15 events and the SYN: a report of 16, the most a batch of the guest must hold
    b += [[rel("x", i - 7) if i % 2 else rel("y", 100 * i) for i in range(15)]]
    # keys and motion in one batch: two reports, one for each device
    b += [[key("a", True), rel("x", 3), key("a", False), rel("y", -4)]]
    b += [tap("ret")]  # "a"
    return b + ESCAPE


def batches_slots():
    b = type_text("slot0")
    b += [tap("ret"), [rel("x", -1), rel("y", 1)], [btn("left", True), btn("left", False)],
          [btn("wheel-down", True)], [btn("wheel-down", False)]]
    return b + [[key("esc", True), key("esc", False)]]


def batches_caps():
    b = type_text("Plain 123")
    b += [tap("ret")]
    b += [tap("caps_lock")] + type_text("caps on 1") + type_text("A")  # Shift+Caps: 'a'
    b += [[key("shift_r", True)] + tap("b") + tap("2") + [key("shift_r", False)]]  # 'b@'
    b += [tap("ret"), tap("caps_lock")] + type_text("off-_=+[]{};:'\",.<>/?\\|`~!@#$%^&*()")
    b += [tap("ret"), tap("ret")]  # an empty line
    b += [tap("backspace")] * 3 + type_text("xy") + [tap("backspace")] * 5 + type_text("z")
    b += [tap("ret")]
    # Shift held across batches, Caps Lock pressed while Shift is down
    b += [[key("shift", True)], tap("q"), tap("caps_lock"), tap("w"), [key("shift", False)],
          tap("e"), tap("caps_lock"), tap("r"), tap("ret")]
    return b + ESCAPE


def batches_two_keyboards():
    b = type_text("two") + [tap("ret")]
    b += [[rel("x", 9)], [abs_("x", 100), abs_("y", 200)], [btn("left", True)],
          [btn("left", False)], [btn("wheel-up", True), btn("wheel-up", False)]]
    return b + ESCAPE


OTHERS = ["virtio-rng-device", "virtio-balloon-device", "virtio-serial-device",
          "virtio-scsi-device", "virtio-rng-device", "virtio-serial-device"]


def input_cases(mach):
    """(name, short, devices, batches, port); the first -device lands in the top slot."""
    top = mach.slots - 1
    return [
        ("keyboard + mouse + tablet: text, motion, buttons, wheel, positions, 16-event report",
         "all", ["virtio-keyboard-device", "virtio-mouse-device", "virtio-tablet-device"],
         batches_all_three(), True),
        ("low and high slots: keyboard in slot 0, mouse in slot %d, %d devices between" % (
            top, top - 1),
         "slots", ["virtio-mouse-device"] + mach.fill_list(OTHERS, slot=1) +
         ["virtio-keyboard-device"], batches_slots(), True),
        ("two keyboards, a mouse and a tablet in slots 4-7: keys go to the keyboard set up "
         "last, buttons to the tablet (set up after the mouse)", "two",
         ["virtio-tablet-device", "virtio-keyboard-device", "virtio-mouse-device",
          "virtio-keyboard-device"], batches_two_keyboards(), False),
        ("Shift and Caps Lock text, Backspace, empty lines", "caps",
         ["virtio-keyboard-device"], batches_caps(), False),
    ]


def no_input_case(build, mach, version):
    run = Run(build, mach, version, "none", "input.elf",
              ["virtio-rng-device", "virtio-balloon-device"], qmp=False)
    why = run.error
    if not why:
        run.uart.wait(lambda rx: re.search(rb"^FAIL", rx, re.M), WAIT)
    run.finish(gave_up=bool(why))
    if not why:
        why = T.judge(run.text(), run.status, expect_fail=r"^FAIL: no virtio-input device",
                      machine=run.machine)
        if not why and "input: ready" in run.lines():
            why = "the guest printed 'input: ready' without an input device"
    return run, why


COST_REPORTS = 64


def cost_case(build, mach, version, eidx=True):
    """input_cost.elf under -icount shift=0 with a keyboard and a mouse: COST_REPORTS reports
    of 15 motion events and their SYN (16 events: one publication of the buffers each), then
    Escape. Every line is checked as usual. Returns (run, why, figures)."""
    batches = [[rel("x" if i % 2 else "y", (1 + (n * 16 + i) % 100) * (-1) ** i)
                for i in range(15)]
               for n in range(COST_REPORTS)]
    opt = "" if eidx else ",event_idx=off"
    run, why = input_case(build, mach, version, "cost" if eidx else "cost-noeidx",
                          ["virtio-keyboard-device" + opt, "virtio-mouse-device" + opt],
                          batches + ESCAPE,
                          elf="input_cost.elf", extra=("-icount", "shift=0"))
    if why:
        return run, why, None
    m = [x for x in run.lines() if x.startswith("input: cost ")]
    if len(m) != 1:
        return run, "no 'input: cost' line", None
    f = m[0].split()[2:]
    c = {k: int(v) for k, v in zip(f[0::2], f[1::2])}
    want = COST_REPORTS * 16 + 4  # and Escape's two reports of two events
    if c["events"] != want:
        return run, "the guest counted %d events, want %d" % (c["events"], want), None
    return run, "", c


def report_cost(tag, c):
    n = c["events"]
    acc = c["reads"] + c["writes"]
    print("INFO qemu-input/%s: cost per received event: %.2f register accesses (%.2f reads, "
          "%.2f writes), %.1f instructions; per 16 events: %.1f accesses, %.0f instructions "
          "(%d events); a poll finding nothing: %.2f accesses, %.1f instructions (%d polls)"
          % (tag, acc / n, c["reads"] / n, c["writes"] / n, c["instret"] / n, 16 * acc / n,
             16 * c["instret"] / n, n,
             (c["empty_reads"] + c["empty_writes"]) / max(c["empty"], 1),
             c["empty_instret"] / max(c["empty"], 1), c["empty"]), flush=True)


# ---- examples/fbcon.c ---------------------------------------------------------------------------
def parse_font():
    """examples/font.h: FONT_W, FONT_H, FONT_FIRST, FONT_LAST and the glyph rows (one byte
    per row, bit 7 the leftmost pixel) -> (w, h, first, {char code: [row bytes]})."""
    text = (ROOT / "examples" / "font.h").read_text()
    val = {n: int(re.search(r"#define\s+%s\s+(\d+)" % n, text).group(1))
           for n in ("FONT_W", "FONT_H", "FONT_FIRST", "FONT_LAST")}
    body = re.search(r"font_glyphs\[[^]]*\]\[[^]]*\]\s*=\s*\{(.*?)\n\};", text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    nums = [int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", body)]
    w, h, first, last = val["FONT_W"], val["FONT_H"], val["FONT_FIRST"], val["FONT_LAST"]
    if w != 8 or len(nums) != (last - first + 1) * h:
        raise ValueError("examples/font.h: %d rows, want %d" % (len(nums), (last - first + 1) * h))
    return w, h, first, {first + i: nums[i * h:(i + 1) * h] for i in range(last - first + 1)}


def parse_fbcon():
    """The few constants of examples/fbcon.c the picture depends on."""
    text = (ROOT / "examples" / "fbcon.c").read_text()
    val = {}
    for n in ("FB_SCALE", "FB_FG", "FB_BG", "FB_PROMPT_FG", "FB_MARGIN"):
        m = re.search(r"#define\s+%s\s+(0x[0-9a-fA-F]+|\d+)u?" % n, text)
        val[n] = int(m.group(1), 0)
    m = re.search(r'#define\s+FB_PROMPT\s+"([^"]*)"', text)
    val["FB_PROMPT"] = m.group(1)
    m = re.search(r'#define\s+FB_BANNER\s+"([^"]*)"', text)
    val["FB_BANNER"] = m.group(1)
    return val


class Screen:
    """The console as fbcon.c keeps it: cells of (char, colour), a cursor, scrolling."""

    def __init__(self, w, h, font, conf):
        self.fw, self.fh, _, self.glyphs = font
        self.s = conf["FB_SCALE"]
        self.m = conf["FB_MARGIN"]
        self.cols = (w - 2 * self.m) // (self.fw * self.s)
        self.rows = (h - 2 * self.m) // (self.fh * self.s)
        self.w, self.h = w, h
        self.cells = [[(" ", conf["FB_FG"])] * self.cols for _ in range(self.rows)]
        self.x = self.y = 0
        self.conf = conf

    def newline(self):
        self.x = 0
        if self.y + 1 < self.rows:
            self.y += 1
        else:
            self.cells = self.cells[1:] + [[(" ", self.conf["FB_FG"])] * self.cols]

    def put(self, ch, fg):
        if ch == "\n":
            self.newline()
            return
        if ch == "\b":
            if self.x > 0:
                self.x -= 1
                self.cells[self.y][self.x] = (" ", self.conf["FB_FG"])
            return
        if self.x >= self.cols:
            self.newline()
        self.cells[self.y][self.x] = (ch, fg)
        self.x += 1

    def write(self, text, fg=None):
        for ch in text:
            self.put(ch, self.conf["FB_FG"] if fg is None else fg)

    def render(self):
        """RGB bytes of the whole screen: background, glyphs, and the cursor (an underline in
        the last two font rows of the cursor's cell, drawn in the foreground colour)."""
        bg = self.conf["FB_BG"].to_bytes(4, "big")[1:]
        img = bytearray(bg * (self.w * self.h))
        s, fw, fh = self.s, self.fw, self.fh

        def fill(px, py, colour):
            c = colour.to_bytes(4, "big")[1:]
            for dy in range(s):
                o = ((py * s + dy) * self.w + px * s) * 3
                img[o:o + 3 * s] = c * s

        for r, row in enumerate(self.cells):
            for c, (ch, fg) in enumerate(row):
                if ch == " ":
                    continue
                bits = self.glyphs[ord(ch)]
                for gy in range(fh):
                    for gx in range(fw):
                        if bits[gy] & (0x80 >> gx):
                            fill((self.m // s) + c * fw + gx, (self.m // s) + r * fh + gy, fg)
        if self.x < self.cols:
            for gy in (fh - 2, fh - 1):
                for gx in range(fw):
                    fill((self.m // s) + self.x * fw + gx, (self.m // s) + self.y * fh + gy,
                         self.conf["FB_FG"])
        return bytes(img)


def compare_screen(path, want, w, h):
    try:
        gw, gh, bpp, pix = png_decode(Path(path).read_bytes())
    except (OSError, ImageError, zlib.error, struct.error) as e:
        return "bad screendump: %s" % e
    if (gw, gh) != (w, h):
        return "screendump is %dx%d, want %dx%d" % (gw, gh, w, h)
    if bpp == 4:
        pix = bytes(b for i, b in enumerate(pix) if i % 4 != 3)
    if pix == want:
        return ""
    bad = [(i // 3 % w, i // 3 // w) for i in range(0, len(want), 3)
           if pix[i:i + 3] != want[i:i + 3]]
    x, y = bad[0]
    o = (y * w + x) * 3
    return "%d pixels differ; first at (%d, %d): %s, want %s" % (
        len(bad), x, y, tuple(pix[o:o + 3]), tuple(want[o:o + 3]))


FB_W, FB_H = 640, 400


def fbcon_case(build, mach, version, short, typed, picture=None):
    """Boots fbcon.elf with a GPU (FB_W x FB_H) and a keyboard, types `typed` (a list of
    strings, each followed by Enter), screendumps and compares. Returns (run, why)."""
    font, conf = parse_font(), parse_fbcon()
    devices = ["virtio-gpu-device,id=gpu0,xres=%d,yres=%d" % (FB_W, FB_H),
               "virtio-keyboard-device"]
    run = Run(build, mach, version, short, "fbcon.elf", devices)
    screen = Screen(FB_W, FB_H, font, conf)
    screen.write(conf["FB_BANNER"] + "\n")
    screen.write(conf["FB_PROMPT"], conf["FB_PROMPT_FG"])
    why = run.error
    nlines = nreports = 0
    try:
        if not why:
            why = run.wait_line("fbcon: ready")
        for text in typed:
            for events in (type_text(text[:3]) + [tap("backspace")] + type_text(text[2:]) +
                           [tap("ret")]):
                if why:
                    break
                why = run.send(events)
                nreports += 1
                if not why:  # one report per batch: wait for it (QEMU drops what finds no room)
                    why = run.wait_line("fbcon: report %d" % nreports)
            nlines += 1
            if not why:
                why = run.wait_for(lambda ls: sum(x.startswith("fbcon: line ") for x in ls)
                                   >= nlines, "fbcon line %d" % nlines)
            if not why:
                got = [x for x in run.lines() if x.startswith("fbcon: line ")][-1]
                if got != 'fbcon: line "%s"' % text:
                    why = "the guest read %r, want %r" % (got, text)
            screen.write(text + "\n")
            screen.write("you typed: " + text + "\n")
            screen.write(conf["FB_PROMPT"], conf["FB_PROMPT_FG"])
        if not why:
            why = run.wait_line("fbcon: shown %d" % nlines)
        path = run.dir / "screen.png"
        if not why:
            r = run.qmp.command("screendump", filename=str(path), device="gpu0", head=0,
                                format="png")
            if "error" in r:
                why = "screendump: %r" % r["error"]
        if not why:
            why = compare_screen(path, screen.render(), FB_W, FB_H)
        if not why and picture is not None:
            picture.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, picture)
            print("INFO qemu-input: copied %s to %s" % (os.path.relpath(path, ROOT),
                                                       os.path.relpath(picture, ROOT)), flush=True)
        if not why:
            why = run.send([key("esc", True), key("esc", False)], last=True)
        if not why:
            why = run.wait_line("fbcon: done")
    except OSError as e:
        why = why or "lost QEMU: %s" % e
    run.finish(gave_up=bool(why))
    if not why:
        why = run.error or T.judge(run.text(), run.status, machine=run.machine)
    return run, why


# ---- the report ---------------------------------------------------------------------------------
class Report:
    def __init__(self, only):
        self.only = only
        self.failed = 0
        self.passed = 0
        self.skipped = 0
        self.per = {}

    def skip(self, tag, name, why):
        self.skipped += 1
        self.per.setdefault(tag.split("/")[0], [0, 0, 0])[2] += 1
        print("SKIP qemu-input/%s: %s (%s)" % (tag, name, why), flush=True)

    def wanted(self, *names):
        return not self.only or any(self.only in n for n in names)

    def case(self, tag, name, why, run=None):
        self.per.setdefault(tag.split("/")[0], [0, 0, 0])[1 if why else 0] += 1
        if why:
            self.failed += 1
            extra = " [%s]" % os.path.relpath(run.dir, ROOT) if run is not None else ""
            print("FAIL qemu-input/%s: %s -> %s%s" % (tag, name, why, extra), flush=True)
        else:
            self.passed += 1
            t = " (%.1f s)" % run.seconds if run is not None else ""
            print("PASS qemu-input/%s: %s%s" % (tag, name, t), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    T.add_arguments(ap)
    ap.add_argument("--picture", default="", help="copy the riscv64 modern fbcon screendump "
                    "here (docs/fbcon.png)")
    ap.add_argument("--no-fbcon", action="store_true", help="skip the fbcon cases")
    ap.add_argument("--cost", action="store_true", help="only measure input_cost.elf: register "
                    "accesses and instructions per received event (-icount shift=0)")
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    picture = (ROOT / args.picture) if args.picture else None
    rep = Report(args.k)
    machines = T.selected(args)
    elves = (["input_cost.elf"] if args.cost else
             ["input.elf", "input_min.elf"] + ([] if args.no_fbcon else ["fbcon.elf"]))
    missing = [x for x in (mach.missing(build, elves) for mach in machines) if x]
    if missing:
        print("FAIL qemu-input: missing %s -> make examples; tests/deps.sh" % ", ".join(missing))
        return 1
    (build / "qemu-input").mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    if picture and picture.exists():
        picture.unlink()
    for mach in machines:
        full = T.full(mach, args)
        for version in ("legacy", "modern"):
            if not mach.wants(version, full):
                continue
            tag = "%s/%s" % (mach.name, version)
            if mach.skip_version(version):
                rep.skip(tag, "every input and fbcon case", mach.skip_version(version))
                continue
            if args.cost:
                for eidx in (True, False):
                    name = "cost: %d reports of 16 events into a mouse, -icount shift=0%s" % (
                        COST_REPORTS, "" if eidx else ", event_idx=off")
                    run, why, c = cost_case(build, mach, version, eidx)
                    rep.case(tag, name, why, run)
                    if c:
                        report_cost(tag + ("" if eidx else "/event_idx=off"), c)
                continue
            for name, short, devices, batches, port in input_cases(mach):
                if rep.wanted(name, short) and (port or full):
                    run, why = input_case(build, mach, version, short, devices, batches)
                    rep.case(tag, name, why, run)
            name = ("minimal build (input_min.elf): keyboard + mouse + tablet, no names or ids, "
                    "every event and line")
            if version == "modern" and rep.wanted(name, "minimal"):
                run, why = input_case(build, mach, version, "minimal",
                                      ["virtio-keyboard-device", "virtio-mouse-device",
                                       "virtio-tablet-device"], batches_all_three(),
                                      elf="input_min.elf")
                rep.case(tag, name, why, run)
            name = "no input device, 2 devices of other types: a FAIL line, nonzero status"
            if rep.wanted(name, "none"):
                run, why = no_input_case(build, mach, version)
                rep.case(tag, name, why, run)
            if args.no_fbcon:
                continue
            name = "fbcon: a typed line echoed on screen, pixel-exact against examples/font.h"
            if rep.wanted(name, "fbcon"):
                pic = picture if (mach.name == "riscv64" and version == "modern") else None
                run, why = fbcon_case(build, mach, version, "fbcon",
                                      ["Hello, virtio!", "ls /boot && echo 42 # {ok?}"], pic)
                rep.case(tag, name, why, run)
            name = "fbcon: 20 lines typed, the screen scrolled, pixel-exact"
            if rep.wanted(name, "fbcon-scroll") and full:
                lines = ["line %d: The quick brown fox jumps over the lazy dog" % i
                         for i in range(20)]
                run, why = fbcon_case(build, mach, version, "fbcon-scroll", lines)
                rep.case(tag, name, why, run)
    for name, (p, f, s) in rep.per.items():
        print("INFO qemu-input/%s: %d run, %d passed, %d failed, %d skipped" % (
            name, p + f, p, f, s), flush=True)
    print("INFO qemu-input: %d passed, %d failed, %d skipped, %.1f s in all" % (
        rep.passed, rep.failed, rep.skipped, time.monotonic() - t0), flush=True)
    if picture and not picture.exists():
        print("FAIL qemu-input: no picture written to %s" % picture, flush=True)
        return 1
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
