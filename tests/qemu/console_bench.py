#!/usr/bin/env python3
"""tests/qemu/console_bench.py - console output: virtio-console port 0 against the ns16550 UART.

Boots examples/console_bench.c once per transport version (legacy, modern) with the UART and
port 0 each going to a file chardev (files never push back, so nothing is dropped), then
checks from the host that every byte arrived (the UART payload between its markers, the sum of
all port 0 writes) and turns the guest's report into bytes per second for each output, their
ratio, and register accesses per KiB sent (the guest counts its virtio register accesses with
examples/platform/count_regs.h; the UART costs one LSR read and one THR write per byte).

Writes BUILD/bench-console.json and prints INFO lines. A benchmark: a slow machine makes the
numbers small, never a failure; only a run that breaks (no report, bytes missing) prints FAIL
and exits 1. Python 3 standard library only; every QEMU run has a timeout.

    python3 tests/qemu/console_bench.py [--build DIR]
"""

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QEMU = os.environ.get("QEMU", "qemu-system-riscv64")
TIMEOUT = 120
UART_REGS_PER_BYTE = 2  # platform.c: LSR read (THRE is always set in QEMU), THR write


def run(build, version):
    out = build / "bench-console"
    out.mkdir(parents=True, exist_ok=True)
    uart = out / ("%s.uart" % version)
    port0 = out / ("%s.port0" % version)
    for f in (uart, port0):
        if f.exists():
            f.unlink()
    # "-smp 1,maxcpus=2": QEMU before 8.1 drops the guest's fences under TCG when the machine
    # can only ever have one CPU, and then loses a virtqueue notification now and then (the
    # I/O thread runs in parallel all the same; fixed upstream by "tcg: Do not elide memory
    # barriers for !CF_PARALLEL in system mode"). A second possible CPU keeps the fences.
    cmd = [QEMU, "-M", "virt", "-smp", "1,maxcpus=2",
           "-bios", "none", "-display", "none", "-monitor", "none",
           "-no-reboot", "-global",
           "virtio-mmio.force-legacy=%s" % ("true" if version == "legacy" else "false"),
           "-serial", "file:%s" % uart, "-kernel", str(build / "riscv64" / "console_bench.elf"),
           "-device", "virtio-serial-device", "-device", "virtconsole,chardev=c0",
           "-chardev", "file,id=c0,path=%s" % port0]
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "QEMU timed out after %d s" % TIMEOUT
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace")[-300:]
        return None, "QEMU exit status %d: %s" % (p.returncode, err)
    text = uart.read_bytes()
    port0_bytes = port0.stat().st_size if port0.exists() else 0
    port0.unlink(missing_ok=True)  # megabytes of payload, counted: no need to keep them

    m = re.search(rb"BENCH uart payload begins\r?\n(.*?)\r?\nBENCH uart payload ends", text, re.S)
    u = re.search(rb"BENCH uart bytes=(\d+) us=(\d+)", text)
    cons = re.findall(rb"BENCH console buf=(\d+) bytes=(\d+) us=(\d+) reads=(\d+) writes=(\d+)",
                      text)
    init = re.search(rb"BENCH transport version=(\d+) init_reads=(\d+) init_writes=(\d+)", text)
    probe = re.search(rb"BENCH probe reads=(\d+) writes=(\d+)", text)
    if not (m and u and cons and init and probe and b"BENCH done" in text):
        return None, "incomplete report on the UART: %r" % text[-300:]
    uart_bytes, uart_us = int(u.group(1)), max(1, int(u.group(2)))
    if len(m.group(1)) != uart_bytes:
        return None, "the UART delivered %d payload bytes, the guest sent %d" % (
            len(m.group(1)), uart_bytes)
    sent = sum(int(c[1]) for c in cons)
    if port0_bytes != sent:
        return None, "port 0 delivered %d bytes, the guest sent %d" % (port0_bytes, sent)

    res = {
        "transport": version,
        "probe_register_accesses": {"reads": int(probe.group(1)), "writes": int(probe.group(2))},
        "init_register_accesses": {"reads": int(init.group(2)), "writes": int(init.group(3))},
        "uart": {"bytes": uart_bytes, "us": uart_us,
                 "bytes_per_s": round(uart_bytes * 1e6 / uart_us),
                 "register_accesses_per_kib": UART_REGS_PER_BYTE * 1024},
        "console": [],
    }
    for c in cons:
        buf, nbytes, us, reads, writes = (int(x) for x in c)
        us = max(1, us)
        res["console"].append({
            "buffer": buf, "bytes": nbytes, "us": us,
            "bytes_per_s": round(nbytes * 1e6 / us),
            "reads": reads, "writes": writes,
            "register_accesses_per_kib": round((reads + writes) * 1024 / nbytes, 3),
            "ratio_to_uart": round(nbytes * 1e6 / us / res["uart"]["bytes_per_s"], 1),
        })
    return res, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    if not (build / "riscv64" / "console_bench.elf").exists():
        print("FAIL bench-console: %s missing (make examples)"
              % (build / "riscv64" / "console_bench.elf"))
        return 1
    results, failed = {}, 0
    for version in ("legacy", "modern"):
        res, err = run(build, version)
        if err:
            print("FAIL bench-console/%s: %s" % (version, err))
            failed += 1
            continue
        results[version] = res
        u = res["uart"]
        print("INFO bench-console/%s: probe %d reads %d writes, init %d reads %d writes" % (
            version, res["probe_register_accesses"]["reads"],
            res["probe_register_accesses"]["writes"], res["init_register_accesses"]["reads"],
            res["init_register_accesses"]["writes"]))
        print("INFO bench-console/%s: UART %d B/s (%d bytes in %d us, %d register accesses/KiB)" % (
            version, u["bytes_per_s"], u["bytes"], u["us"], u["register_accesses_per_kib"]))
        for c in res["console"]:
            print("INFO bench-console/%s: port 0, %6d-byte buffers: %11d B/s = %8.1f x UART, "
                  "%8.3f register accesses/KiB" % (
                      version, c["buffer"], c["bytes_per_s"], c["ratio_to_uart"],
                      c["register_accesses_per_kib"]))
    out = build / "bench-console.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("INFO bench-console: wrote %s" % os.path.relpath(out, ROOT))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
