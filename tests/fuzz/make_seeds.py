#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_device.c (tests/fuzz/corpus/device/): one well-formed
program per device and version: bring-up, a few descriptors, a notification, an interrupt
acknowledge. The fuzzer mutates from these. Rerun after changing the program format.

Also the hand-made seeds of the driver fuzzers that start from an honest device
(fuzz_driver_{net,rng,gpu,input}.c, fuzz_queue.c; tests/fuzz/hostile.h): an input of zero
bytes is a device that answers every request as a real one would, so `honest-modern` (first
byte 0: modern, the packed ring offered) and `honest-legacy` (first byte 1: legacy, split) run
each driver through its calls with a working device. The rest of those corpora are inputs
the fuzzers found (libFuzzer -merge=1 of short runs, kept small) and the regression inputs
named in tests/fuzz/README.md."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "device")
RAM = 0x80000000


def bring_up(qsize_log2=3, features=(1 << 28) | (1 << 29)):
    return bytes([3, qsize_log2]) + struct.pack("<I", features)


def desc(q, i, ram_off, length, flags, nxt):
    # v: bit 15 clear (address in RAM: RAM_GPA + v - 0x100), bit 14 set (4-byte length)
    v = ((ram_off + 0x100) & 0x3fff) | 0x4000
    return bytes([4, q, i]) + struct.pack("<H", v) + struct.pack("<I", length) + bytes([flags, nxt])


def post(q, head):
    return bytes([5, q, head])


def ack():
    return bytes([8])


def wreg(off, val, width_log2=2):
    return bytes([0]) + struct.pack("<H", off) + bytes([width_log2]) + struct.pack("<I", val)


def ram(off, data):
    return bytes([2]) + struct.pack("<H", off) + bytes([len(data)]) + data


seeds = {}
for legacy in (0, 1):
    v = "v1" if legacy else "v2"
    L = legacy << 2
    # echo: out 8 bytes + in 16 bytes, and an indirect table
    seeds[f"echo-{v}"] = (bytes([0 | L]) + bring_up() + ram(0x2000, b"payload!") +
                          desc(0, 0, 0x2000, 8, 1, 1) + desc(0, 1, 0x2100, 16, 2, 0) +
                          post(0, 0) + ack() + ram(0x3000, struct.pack("<QIHH", RAM + 0x2000, 8, 1, 1) +
                                                   struct.pack("<QIHH", RAM + 0x2100, 8, 2, 0)) +
                          desc(1, 2, 0x3000, 32, 4, 0) + post(1, 2) + ack())
    # blk: read sector 1 (header 16, data 512, status 1)
    hdr = struct.pack("<IIQ", 0, 0, 1)
    seeds[f"blk-read-{v}"] = (bytes([1 | L]) + bring_up() + ram(0x2000, hdr) +
                              desc(0, 0, 0x2000, 16, 1, 1) + desc(0, 1, 0x2200, 512, 3, 2) +
                              desc(0, 2, 0x2100, 1, 2, 0) + post(0, 0) + ack())
    hdr = struct.pack("<IIQ", 1, 0, 2)
    seeds[f"blk-write-{v}"] = (bytes([1 | L]) + bring_up() + ram(0x2000, hdr) +
                               desc(0, 0, 0x2000, 16, 1, 1) + desc(0, 1, 0x2200, 512, 1, 2) +
                               desc(0, 2, 0x2100, 1, 2, 0) + post(0, 0) + ack())
    hdr = struct.pack("<IIQ", 8, 0, 0)
    seeds[f"blk-getid-{v}"] = (bytes([1 | L]) + bring_up() + ram(0x2000, hdr) +
                               desc(0, 0, 0x2000, 16, 1, 1) + desc(0, 1, 0x2200, 20, 3, 2) +
                               desc(0, 2, 0x2100, 1, 2, 0) + post(0, 0) + ack())
    # console: tx "hi", rx buffer and host input, emergency write
    seeds[f"console-{v}"] = (bytes([2 | L]) + wreg(0x108, 0x41) + bring_up() +
                             ram(0x2000, b"hi") + desc(1, 0, 0x2000, 2, 0, 0) + post(1, 0) +
                             desc(0, 0, 0x2100, 16, 2, 0) + post(0, 0) +
                             bytes([6, 5]) + b"input" + bytes([7, 100, 0]) + ack())
    # rng: two writable buffers
    seeds[f"rng-{v}"] = (bytes([3 | L]) + bring_up() + desc(0, 0, 0x2000, 16, 3, 1) +
                         desc(0, 1, 0x2100, 16, 2, 0) + post(0, 0) + ack())
# registers only: every offset read, then a few writes
seeds["registers"] = bytes([0]) + b"".join(bytes([1]) + struct.pack("<H", o) + bytes([2])
                                          for o in range(0, 0x110, 4)) + wreg(0x70, 1) + wreg(0x70, 3)

for target in ("driver-net", "driver-rng", "driver-gpu", "driver-input", "queue"):
    d = os.path.join(os.path.dirname(OUT), target)
    os.makedirs(d, exist_ok=True)
    for name, first in (("honest-modern", 0), ("honest-legacy", 1)):
        with open(os.path.join(d, name), "wb") as f:
            f.write(bytes([first]) + bytes(3071))

os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {OUT}")
