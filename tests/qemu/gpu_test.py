#!/usr/bin/env python3
"""tests/qemu/gpu_test.py - virtio_gpu.h on QEMU, checked pixel by pixel from the host.

Boots examples/gpu.c on every machine of tests/qemu/targets.py with a virtio-gpu-device and
`-display none`, legacy (virtio-mmio version 1) and modern (version 2; SKIPped where the machine
has no legacy virtio-mmio). The
guest's UART is a unix socket (chardev `socket`, QEMU connects to this script's listener at
start-up, so nothing is lost) and so is QMP (`-mon chardev=...,mode=control`). For each run:

  1. wait for `gpu: ready`; the guest must have printed `gpu: scanout S WxH` for every scanout
     the device has, with the size QEMU gives it (head 0: `xres`x`yres`, 1280x800 by default;
     the other heads are disabled under `-display none`, so the guest uses 1024x768), and
     `edid: scanout 0: RHT "...", preferred WxH` for head 0 (unless the device has edid=off);
  2. QMP `screendump` of every head ("device" and "head" arguments, "format": "png") and a
     comparison of EVERY pixel with the example's pattern: for pixel (x, y) of scanout S,
     red = (x + 16*S) & 255, green = y & 255, blue = (x ^ y) & 255;
  3. the byte `u` on the UART; after `gpu: updated`, a screendump of every head again: inside
     W/4 <= x < 3W/4, H/4 <= y < 3H/4 each channel is 255 - pattern, outside it the pattern;
  4. the byte `q`: `gpu: done`, then the judge of targets.py: a line `PASS`, exit status 0.
Any FAIL line from the guest, a missing line, a wrong size or a wrong pixel fails the case.

Cases (legacy and modern; * = every machine, the rest riscv64, or every machine with --full):
  1280x800 default *               the GPU alone in the top slot, QEMU's default mode
  max_outputs=2                    head 0 at 1280x800 (enabled), head 1 disabled: 1024x768
  640x480, 1366x768                other xres/yres pairs (1366: W/4 and 3W/4 round down;
                                   640x480 with edid=off)
  1920x1080 x2 heads               the largest case the example's framebuffer pool must hold
  slot 0 behind the others *       rng, blk, input, serial devices in every slot above
  minimal build *                  gpu_min.elf (VIRTIO_GPU_MINIMAL and the core's leave-outs but
                                   the device tree readers), modern only: EDID offered and not
                                   negotiated (no EDID line), every pixel before and after u
  no GPU                           other devices only: a FAIL line and a nonzero exit status

The pixel check does not decode the PNG row by row in Python (too slow for 1280x800): it
applies each row's own PNG filter (the type byte QEMU's libpng chose, 0-4) to the EXPECTED
image with whole-image integer arithmetic and compares the result with the decompressed data
byte for byte. Filtering is a bijection given the row above, so equality of every filtered row
is equality of every pixel. On a mismatch a plain decoder finds the first wrong pixel and counts
them. If QEMU refuses "format": "png" (before 7.1) the test falls back to PPM.

Prints `PASS qemu-gpu/<machine>/<version>: <case>`, `FAIL qemu-gpu/...: <case> -> why` or
`SKIP ...`, INFO lines with timings, and exits 1 if any case failed. Each run leaves its QEMU
command, UART output, QEMU's stderr and the screendumps in
BUILD/qemu-gpu/<machine>-<version>-<run>/.
`--picture FILE` copies the riscv64 modern 1280x800 screendump after `u` (head 0) to FILE
(`make gpu-picture` writes docs/gpu.png this way). Python 3 standard library only; every QEMU
run has a timeout, every wait a bound, and only unix sockets are used.

    python3 tests/qemu/gpu_test.py [--build DIR] [--target T] [--machine M] [--full]
                                   [-k SUBSTRING] [--picture FILE] [--slow]
"""

import argparse
import functools
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
WAIT = 20            # seconds for one guest line
ACCEPT_TIMEOUT = 10
DEFAULT_MODE = (1280, 800)    # QEMU's virtio-gpu default (xres, yres)
DISABLED_MODE = (1024, 768)   # what examples/gpu.c uses for a disabled scanout
GPU_ID = "gpu0"               # QMP screendump's "device"

# Devices of other types for the slot case (none needs a backend beyond a scratch drive). On a
# machine with more slots, those without a backend are used again (targets.py fill_list).
OTHERS = ["virtio-rng-device", "virtio-blk-device,drive=d0", "virtio-keyboard-device",
          "virtio-rng-device", "virtio-serial-device", "virtio-mouse-device",
          "virtio-tablet-device"]
REFILL = [d for d in OTHERS if "drive=" not in d]


# ---- the pattern -------------------------------------------------------------------------------
COMPLEMENT = bytes(255 - i for i in range(256))
XOR_TABLES = [bytes(i ^ y for i in range(256)) for y in range(256)]


def rect_of(w, h):
    """The rectangle `u` complements: (x0, y0, x1, y1), x0 <= x < x1 (C integer division)."""
    return w // 4, h // 4, (3 * w) // 4, (3 * h) // 4


def expected_image(w, h, scanout, updated, bpp=3):
    """The example's screen as rows of RGB (bpp 3) or RGBA (bpp 4, alpha 255) bytes."""
    xs = bytes(x & 255 for x in range(w))
    red = bytes((x + 16 * scanout) & 255 for x in range(w))
    x0, y0, x1, y1 = rect_of(w, h)
    stride = w * bpp
    img = bytearray(h * stride)
    row = bytearray(stride)
    row[0::bpp] = red
    if bpp == 4:
        row[3::4] = b"\xff" * w
    for y in range(h):
        row[1::bpp] = bytes((y & 255,)) * w
        row[2::bpp] = xs.translate(XOR_TABLES[y & 255])
        if updated and y0 <= y < y1:
            r = bytearray(row)
            part = r[x0 * bpp:x1 * bpp].translate(COMPLEMENT)
            if bpp == 4:  # the alpha byte is not complemented
                part = bytearray(part)
                part[3::4] = b"\xff" * (x1 - x0)
            r[x0 * bpp:x1 * bpp] = part
            img[y * stride:(y + 1) * stride] = r
        else:
            img[y * stride:(y + 1) * stride] = row
    return bytes(img)


# ---- PNG / PPM ---------------------------------------------------------------------------------
class ImageError(Exception):
    pass


def png_parse(data):
    """(width, height, bpp, decompressed filtered scanlines) of an 8-bit RGB/RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ImageError("not a PNG (starts %r)" % data[:8])
    pos, ihdr, idat = 8, None, []
    while pos + 12 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        if len(body) != n or zlib.crc32(kind + body) & 0xffffffff != crc:
            raise ImageError("PNG chunk %r: bad length or CRC" % kind)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    if ihdr is None:
        raise ImageError("PNG without IHDR")
    w, h, depth, ctype, comp, filt, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or comp or filt or interlace:
        raise ImageError("unsupported PNG: depth %d, colour type %d, interlace %d"
                         % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    if len(raw) != h * (w * bpp + 1):
        raise ImageError("PNG data is %d bytes, want %d" % (len(raw), h * (w * bpp + 1)))
    return w, h, bpp, raw


def png_unfilter(w, h, bpp, raw):
    """The plain PNG decoder (filters 0-4, one byte at a time): slow, used for diagnostics."""
    stride = w * bpp
    out = bytearray(h * stride)
    prev = bytearray(stride)
    for y in range(h):
        base = y * (stride + 1)
        ftype = raw[base]
        line = bytearray(raw[base + 1:base + 1 + stride])
        if ftype > 4:
            raise ImageError("row %d: filter type %d" % (y, ftype))
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) >> 1
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            else:
                pred = 0
            line[i] = (line[i] + pred) & 255
        out[y * stride:(y + 1) * stride] = line
        prev = line
    return bytes(out)


def png_filtered(expected, w, h, bpp, ftypes):
    """The scanline stream a PNG encoder writes for `expected` with filter ftypes[y] on row y:
    computed with bytewise (SWAR) arithmetic on whole-image integers, so it is fast in Python."""
    stride = w * bpp
    n = len(expected)
    ones8 = int.from_bytes(b"\x01" * n, "big")
    high, low7, all8 = ones8 * 0x80, ones8 * 0x7f, ones8 * 0xff

    def sub(x, y):  # bytewise x - y mod 256
        return ((x | high) - (y & low7)) ^ ((x ^ y ^ all8) & high)

    def as_int(b):
        return int.from_bytes(b, "big")

    # Neighbours: a = left (0 for the first pixel of a row), b = up (0 on row 0), c = up-left.
    left = bytearray(bytes(bpp) + expected[:-bpp])
    for i in range(bpp):
        left[i::stride] = bytes(h)
    up = bytes(stride) + expected[:-stride]
    upleft = bytes(stride) + bytes(left[:-stride])
    e, a, b = as_int(expected), as_int(left), as_int(up)
    present = set(ftypes)
    f = {0: e}
    if 1 in present:
        f[1] = sub(e, a)
    if 2 in present:
        f[2] = sub(e, b)
    if 3 in present:
        f[3] = sub(e, (a & b) + (((a ^ b) >> 1) & low7))
    if 4 in present:
        # Paeth in 16-bit lanes (values up to 510 and a bias of 512 fit without carries).
        def widen(x):
            buf = bytearray(2 * n)
            buf[1::2] = x
            return int.from_bytes(buf, "big")
        one = int.from_bytes(b"\x00\x01" * n, "big")
        lane, bias = one * 0xffff, one * 512

        def ge(x, y):  # 0xffff in lanes where x >= y
            return (((x + bias - y) >> 9) & one) * 0xffff

        def absdiff(x, y):
            m = ge(x, y)
            return (((x + bias - y) & m) | ((y + bias - x) & (lane ^ m))) - bias

        wa, wb, wc = widen(left), widen(up), widen(upleft)
        pa, pb, pc = absdiff(wb, wc), absdiff(wa, wc), absdiff(wa + wb, wc + wc)
        m1 = ge(pb, pa) & ge(pc, pa)
        m2 = (lane ^ m1) & ge(pc, pb)
        m3 = lane ^ (m1 | m2)
        pred = (wa & m1) | (wb & m2) | (wc & m3)
        f[4] = sub(e, as_int(pred.to_bytes(2 * n, "big")[1::2]))
    fb = {t: v.to_bytes(n, "big") for t, v in f.items()}
    return b"".join(bytes((t,)) + fb[t][y * stride:(y + 1) * stride]
                    for y, t in enumerate(ftypes))


@functools.lru_cache(maxsize=8)
def expected_png_stream(w, h, scanout, updated, bpp, ftypes):
    """png_filtered of the example's screen; cached, since every architecture and transport
    shows the same screens (and QEMU's libpng picks the same filters for them)."""
    return png_filtered(expected_image(w, h, scanout, updated, bpp), w, h, bpp, ftypes)


def ppm_parse(data):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255) as QEMU writes it."""
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    if not m:
        raise ImageError("not a P6 PPM with maxval 255")
    w, h = int(m.group(1)), int(m.group(2))
    pix = data[m.end():]
    if len(pix) != w * h * 3:
        raise ImageError("PPM data is %d bytes, want %d" % (len(pix), w * h * 3))
    return w, h, pix


def first_wrong(got, want, w, bpp):
    """Describes the first differing pixel and how many differ."""
    stride = w * bpp
    bad, first = 0, None
    for y in range(len(want) // stride):
        rg, rw = got[y * stride:(y + 1) * stride], want[y * stride:(y + 1) * stride]
        if rg == rw:
            continue
        for x in range(w):
            pg, pw = rg[x * bpp:(x + 1) * bpp], rw[x * bpp:(x + 1) * bpp]
            if pg != pw:
                bad += 1
                if first is None:
                    first = "pixel (%d, %d) is %s, want %s" % (x, y, tuple(pg), tuple(pw))
    return "%s; %d pixels wrong" % (first, bad)


def check_screen(path, w, h, scanout, updated, slow=False):
    """None if the screendump at `path` is exactly the example's screen, else why not."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        return "no screendump: %s" % e
    try:
        if data[:2] == b"P6":
            gw, gh, pix = ppm_parse(data)
            if (gw, gh) != (w, h):
                return "screendump is %dx%d, want %dx%d" % (gw, gh, w, h)
            want = expected_image(w, h, scanout, updated)
            return None if pix == want else first_wrong(pix, want, w, 3)
        gw, gh, bpp, raw = png_parse(data)
        if (gw, gh) != (w, h):
            return "screendump is %dx%d, want %dx%d" % (gw, gh, w, h)
        ftypes = bytes(raw[0::w * bpp + 1])
        if any(t > 4 for t in ftypes):
            return "PNG row with filter type > 4"
        fast_ok = expected_png_stream(w, h, scanout, updated, bpp, ftypes) == raw
        if slow or not fast_ok:
            want = expected_image(w, h, scanout, updated, bpp)
            pix = png_unfilter(w, h, bpp, raw)
            slow_ok = pix == want
            if slow_ok != fast_ok:
                return "the two PNG checks disagree (filtered %s, decoded %s): a test bug" % (
                    fast_ok, slow_ok)
            if not slow_ok:
                return first_wrong(pix, want, w, bpp)
        return None
    except (ImageError, zlib.error, struct.error) as e:
        return "bad screendump: %s" % e


# ---- QEMU, its UART and QMP --------------------------------------------------------------------
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


class Qmp:
    """QMP over the accepted monitor socket: one command at a time, events skipped."""

    def __init__(self, listener):
        self.l = listener
        self.used = 0  # bytes of l.rx already consumed

    def _message(self, timeout):
        def line(rx):
            return rx.find(b"\n", self.used) >= 0
        if not self.l.wait(line, timeout):
            if self.l.eof:
                raise OSError("QEMU closed QMP before its answer (it exited?)")
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
            if "event" in m:
                continue
            return m


class Run:
    """One QEMU boot of gpu.elf with the UART and QMP on unix sockets of this script."""

    def __init__(self, build, m, version, name, devices, extra=(), elf="gpu.elf"):
        self.machine = m
        self.dir = build / "qemu-gpu" / ("%s-%s-%s" % (m.name, version, name))
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        rel = os.path.relpath(self.dir, ROOT)  # short socket paths: QEMU runs in ROOT
        self.uart = Listener(os.path.join(rel, "uart.sock"))
        self.mon = Listener(os.path.join(rel, "qmp.sock"))
        # The machine's command line (targets.py), then console, QMP, program, devices. -S: the
        # guest starts once QMP is up (cont below); a guest spinning on MMIO from its first
        # instruction could keep the main loop from sending the greeting on a loaded machine.
        self.cmd = m.cmd(version) + [
                    "-display", "none", "-monitor", "none", "-S",
                    "-chardev", "socket,id=ser0,path=%s" % self.uart.path,
                    "-serial", "chardev:ser0",
                    "-chardev", "socket,id=qmp0,path=%s" % self.mon.path,
                    "-mon", "chardev=qmp0,mode=control",
                    "-kernel", str(m.elf(build, elf))] + list(extra)
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
        self.png_ok = True
        try:
            self.uart.accept()
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

    def wait_line(self, line, timeout=WAIT):
        """'' once the guest printed `line` (a whole line), else why not."""
        pat = re.compile(rb"^" + re.escape(line.encode()) + rb"\r*$", re.M)
        fail = re.compile(rb"^FAIL.*$", re.M)
        got = self.uart.wait(lambda rx: pat.search(rx) or fail.search(rx), timeout)
        m = fail.search(bytes(self.uart.rx))
        if m:
            return "guest: " + m.group(0).decode(errors="replace").strip()
        if got:
            return ""
        if self.proc.poll() is not None:
            return "QEMU exited (status %s) before the guest printed %r" % (
                self.proc.returncode, line)
        return "no %r from the guest within %d s" % (line, timeout)

    def screendump(self, head, path):
        """'' once QEMU wrote the head's screen to path (PNG, else PPM), else why not.
        QEMU 7.2 takes "head" only together with "device" (the GPU's id=; without it: "'head'
        must be specified together with 'device'"); the file is complete when it answers."""
        args = {"filename": str(path), "device": GPU_ID, "head": head}
        if self.png_ok:
            r = self.qmp.command("screendump", format="png", **args)
            if "error" in r and "format" in r["error"].get("desc", ""):
                self.png_ok = False  # QEMU before 7.1: PPM only
            elif "error" in r:
                return "screendump head %d: %s" % (head, r["error"].get("desc"))
            else:
                return ""
        r = self.qmp.command("screendump", **args)
        return "screendump head %d: %s" % (head, r["error"].get("desc")) if "error" in r else ""

    def finish(self, gave_up=False):
        """Waits for QEMU (a few seconds only if the host gave up: the guest may be polling
        for a byte that will not come) and collects its exit status (None: killed)."""
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
        self.mon.close()
        self.stderr.close()
        return self.status


# ---- the cases ---------------------------------------------------------------------------------
def screen_check(run, heads, updated, slow):
    """Screendumps every head and compares; '' or why not."""
    stage = "updated" if updated else "ready"
    for s, (w, h) in enumerate(heads):
        path = run.dir / ("head%d-%s.%s" % (s, stage, "png" if run.png_ok else "ppm"))
        why = run.screendump(s, path)
        if not why and not path.exists():
            why = "QEMU wrote no %s" % path.name
        if not why:
            why = check_screen(path, w, h, s, updated, slow)
        if why:
            return "head %d after %r: %s" % (s, stage, why)
    return ""


def gpu_case(build, m, version, name, devices, heads, slow=False, extra=(), elf="gpu.elf"):
    """Boots the example and walks it through ready / u / q. Returns (run, why)."""
    # gpu_min.elf (VIRTIO_GPU_MINIMAL) never negotiates EDID: no EDID line.
    edid = not any("edid=off" in d for d in devices) and elf != "gpu_min.elf"
    run = Run(build, m, version, name, devices, extra, elf)
    why = run.error
    try:
        if not why:
            why = run.wait_line("gpu: ready")
        if not why:
            got = re.findall(r"^gpu: scanout (\d+) (\d+)x(\d+)$", run.text(), re.M)
            want = [(str(s), str(w), str(h)) for s, (w, h) in enumerate(heads)]
            if got != want:
                why = "scanout lines %s, want %s" % (
                    ["%s %sx%s" % g for g in got], ["%s %sx%s" % g for g in want])
        if not why:
            # Head 0 is the only enabled one: its EDID (QEMU's vendor "RHT") names its size.
            got = re.findall(r'^edid: scanout (\d+): (\w+) "(.*)", preferred (\d+)x(\d+)$',
                             run.text(), re.M)
            want = [("0", "RHT", str(heads[0][0]), str(heads[0][1]))] if edid else []
            if [(g[0], g[1], g[3], g[4]) for g in got] != want:
                why = "EDID lines %r, want %s" % (
                    got, ["scanout %s: %s, preferred %sx%s" % w for w in want] or "none")
        if not why:
            m = re.search(r"^transport: (legacy|modern)", run.text(), re.M)
            if not m or m.group(1) != version:
                why = "the guest did not report a %s transport" % version
        if not why:
            why = screen_check(run, heads, False, slow)
        if not why:
            run.uart.send(b"u")
            why = run.wait_line("gpu: updated")
        if not why:
            why = screen_check(run, heads, True, slow)
        if not why:
            run.uart.send(b"q")
            why = run.wait_line("gpu: done")
    except OSError as e:
        why = why or "lost QEMU: %s" % e
    run.finish(gave_up=bool(why))
    if not why:
        why = run.error or T.judge(run.text(), run.status, machine=run.machine)
    return run, why


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
        print("SKIP qemu-gpu/%s: %s (%s)" % (tag, name, why), flush=True)

    def wanted(self, name):
        return not self.only or self.only in name

    def case(self, tag, name, why, run=None):
        t = " (%.1f s)" % run.seconds if run is not None and not why else ""
        self.per.setdefault(tag.split("/")[0], [0, 0, 0])[1 if why else 0] += 1
        if why:
            self.failed += 1
            extra = " [%s]" % os.path.relpath(run.dir, ROOT) if run is not None else ""
            print("FAIL qemu-gpu/%s: %s -> %s%s" % (tag, name, why, extra), flush=True)
        else:
            self.passed += 1
            print("PASS qemu-gpu/%s: %s%s" % (tag, name, t), flush=True)


def gpu_dev(**props):
    return ",".join(["virtio-gpu-device", "id=" + GPU_ID] +
                    ["%s=%s" % kv for kv in props.items()])


def test_machine(build, rep, m, args, picture, full):
    # One per machine: the targets' jobs run two at a time, and QEMU locks an image it writes.
    scratch = build / "qemu-gpu" / ("scratch-%s.img" % m.name)
    scratch.parent.mkdir(parents=True, exist_ok=True)
    with open(scratch, "wb") as f:
        f.truncate(1 << 20)
    for version in ("legacy", "modern"):
        if not m.wants(version, full):
            continue
        tag = "%s/%s" % (m.name, version)
        # (name, short, devices, heads, extra, port)
        cases = [
            ("1280x800 default, every pixel before and after u", "default",
             [gpu_dev()], [DEFAULT_MODE], (), True),
            ("max_outputs=2: head 0 1280x800, head 1 disabled -> 1024x768", "two",
             [gpu_dev(max_outputs=2)], [DEFAULT_MODE, DISABLED_MODE], (), False),
            ("xres=640,yres=480, edid=off (no EDID line)", "640x480",
             [gpu_dev(xres=640, yres=480, edid="off")], [(640, 480)], (), False),
            ("xres=1366,yres=768 (W/4, 3W/4 round down)", "1366x768",
             [gpu_dev(xres=1366, yres=768)], [(1366, 768)], (), False),
            ("xres=1920,yres=1080, max_outputs=2: the largest case", "1920x1080x2",
             [gpu_dev(xres=1920, yres=1080, max_outputs=2)],
             [(1920, 1080), DISABLED_MODE], (), False),
            # The first -device takes the top slot, the last one slot 0: the GPU goes last.
            ("slot 0 behind %d devices of other types, xres=800,yres=600" % (m.slots - 1),
             "slot0", OTHERS + m.fill_list(REFILL, slot=len(OTHERS)) +
             [gpu_dev(xres=800, yres=600)], [(800, 600)],
             ("-drive", "file=%s,if=none,format=raw,id=d0" % scratch), True),
        ]
        for name, short, devices, heads, extra, port in cases:
            if not rep.wanted(name) and not rep.wanted(short):
                continue
            if not port and not full:
                continue
            if m.skip_version(version):
                rep.skip(tag, name, m.skip_version(version))
                continue
            run, why = gpu_case(build, m, version, short, devices, heads, args.slow, extra)
            rep.case(tag, name, why, run)
            if (picture and not why and m.name == "riscv64" and version == "modern"
                    and short == "default"):
                src = run.dir / "head0-updated.png"
                if src.exists():
                    picture.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, picture)
                    print("INFO qemu-gpu: copied %s to %s" % (os.path.relpath(src, ROOT),
                                                               os.path.relpath(picture, ROOT)),
                          flush=True)
        name = "minimal build (gpu_min.elf): EDID offered, not taken, every pixel before and after u"
        if version == "modern" and (rep.wanted(name) or rep.wanted("minimal")):
            if m.skip_version(version):
                rep.skip(tag, name, m.skip_version(version))
            else:
                run, why = gpu_case(build, m, version, "minimal", [gpu_dev()], [DEFAULT_MODE],
                                    args.slow, (), "gpu_min.elf")
                if not why and re.search(r"^edid", run.text(), re.M):
                    why = "the minimal build read an EDID"
                rep.case(tag, name, why, run)

    if full:
        name = "no GPU, 3 devices of other types: a FAIL line and a nonzero status"
        if rep.wanted(name) or rep.wanted("nogpu"):
            run = Run(build, m, "modern", "nogpu",
                      ["virtio-rng-device", "virtio-keyboard-device", "virtio-serial-device"])
            why = run.error
            if not why:
                run.uart.wait(lambda rx: re.search(rb"^FAIL", rx, re.M), WAIT)
            run.finish(gave_up=bool(why))
            if not why:
                why = T.judge(run.text(), run.status, expect_fail=r"^FAIL", machine=m)
                if not why and "gpu: ready" in run.text():
                    why = "the guest printed 'gpu: ready' without a GPU"
            rep.case("%s/modern" % m.name, name, why, run)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    ap.add_argument("--picture", default="", help="copy the riscv64 modern 1280x800 "
                    "screendump after 'u' here (docs/gpu.png)")
    T.add_arguments(ap)
    ap.add_argument("--slow", action="store_true",
                    help="also decode every PNG the plain way (slow) and cross-check")
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    picture = (ROOT / args.picture) if args.picture else None
    rep = Report(args.k)
    machines = T.selected(args)
    missing = [x for x in (m.missing(build, ["gpu.elf", "gpu_min.elf"]) for m in machines) if x]
    if missing:
        print("FAIL qemu-gpu: missing %s -> make examples; tests/deps.sh" % ", ".join(missing))
        return 1
    (build / "qemu-gpu").mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    if picture and picture.exists():
        picture.unlink()
    for m in machines:
        test_machine(build, rep, m, args, picture, T.full(m, args))
    for name, (p, f, s) in rep.per.items():
        print("INFO qemu-gpu/%s: %d run, %d passed, %d failed, %d skipped" % (
            name, p + f, p, f, s), flush=True)
    print("INFO qemu-gpu: %d passed, %d failed, %d skipped, %.1f s in all" % (
        rep.passed, rep.failed, rep.skipped, time.monotonic() - t0), flush=True)
    if picture and not picture.exists():
        print("FAIL qemu-gpu: no picture written to %s" % picture, flush=True)
        return 1
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
