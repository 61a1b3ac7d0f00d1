#!/usr/bin/env python3
"""tests/qemu/gpu_bench.py - what a full-screen update costs with virtio_gpu.h in QEMU.

Boots examples/gpu_bench.c (BUILD/riscv64/gpu_bench.elf) on a virtio-gpu-device with
xres=1280,yres=800 and `-display none`, legacy and modern, each way:

  timed    plain TCG, 3 boots (medians): full-screen updates per second (transfer + flush of
           1280x800x4 bytes) with virtio_gpu_update (one call: both commands, one
           notification, waits) and with submit / kick / wait_all, and register accesses per
           update (counted in the guest by examples/platform/count_regs.h around the MMIO
           accessor);
  icount   `-icount shift=0`: the guest's `instret` counter is then an exact count of retired
           instructions. Per update: all instructions of virtio_gpu_update (waiting for the
           device included: the guest polls while QEMU's main loop runs the command), and,
           through submit / kick / poll with `instret` read around every call, the
           instructions outside the wait: building and publishing the two commands and the
           two polls that take their answers (the polls that found nothing are counted apart).
           The guest draws nothing during the measurement: no pixel writes are in any figure.

Prints a table and INFO lines and writes BUILD/bench-gpu.json. A benchmark: a slow machine
gives smaller rates, never a failure; it exits 1 only if a run breaks (no report, a FAIL line).
Python 3 standard library only; every QEMU run has a timeout.

    python3 tests/qemu/gpu_bench.py [--build DIR] [--runs N]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QEMU = os.environ.get("QEMU", "qemu-system-riscv64")
TIMEOUT = 180
WIDTH, HEIGHT = 1280, 800


def boot(build, version, icount):
    """One boot; returns ({phase: {key: int}}, None) or (None, why)."""
    # "-smp 1,maxcpus=2": QEMU before 8.1 drops the guest's fences under TCG when the machine
    # can only ever have one CPU, and then loses a virtqueue notification now and then (the
    # I/O thread runs in parallel all the same; fixed upstream by "tcg: Do not elide memory
    # barriers for !CF_PARALLEL in system mode"). A second possible CPU keeps the fences.
    cmd = [QEMU, "-M", "virt", "-smp", "1,maxcpus=2", "-bios", "none", "-display", "none",
           "-monitor", "none", "-serial", "stdio", "-no-reboot",
           "-global", "virtio-mmio.force-legacy=%s" % ("true" if version == "legacy" else "false"),
           "-device", "virtio-gpu-device,xres=%d,yres=%d" % (WIDTH, HEIGHT),
           "-kernel", str(build / "riscv64" / "gpu_bench.elf")]
    if icount:
        cmd[1:1] = ["-icount", "shift=0"]
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "QEMU timed out after %d s" % TIMEOUT
    out = p.stdout.decode(errors="replace").replace("\r", "")
    fail = re.search(r"^FAIL.*$", out, re.M)
    if fail:
        return None, fail.group(0)
    if p.returncode != 0:
        return None, "exit status %d: %s" % (p.returncode, (out + p.stderr.decode(
            errors="replace")).strip()[-300:])
    phases = {}
    for m in re.finditer(r"^BENCH (\w+)(.*)$", out, re.M):
        phases[m.group(1)] = {k: (int(v) if v.isdigit() else v)
                              for k, v in re.findall(r"(\w+)=(\S+)", m.group(2))}
    if not {"device", "update", "pipelined", "work", "done"} <= set(phases):
        return None, "incomplete report: %r" % out.strip()[-300:]
    dev = phases["device"]
    if (dev["width"], dev["height"]) != (WIDTH, HEIGHT):
        return None, "scanout 0 is %dx%d, want %dx%d" % (dev["width"], dev["height"],
                                                        WIDTH, HEIGHT)
    return phases, None


def rates(ph):
    """Updates per second, MiB/s and register accesses per update of a timed phase."""
    n, secs = max(ph["updates"], 1), max(ph["ticks"], 1) / ph["hz"]
    return {"updates": ph["updates"], "seconds": round(secs, 3),
            "updates_per_s": round(ph["updates"] / secs, 1),
            "mib_per_s": round(ph["bytes"] / secs / (1 << 20), 1),
            "register_reads_per_update": round(ph["reg_reads"] / n, 3),
            "register_writes_per_update": round(ph["reg_writes"] / n, 3),
            "register_accesses_per_update": round((ph["reg_reads"] + ph["reg_writes"]) / n, 3)}


def median_of(runs):
    """Per figure, the median over runs (QEMU's timing is noisy on a shared machine)."""
    first = runs[0]
    if isinstance(first, dict):
        return {k: median_of([r[k] for r in runs]) for k in first}
    m = statistics.median(runs)
    return round(m, 3) if isinstance(m, float) else m


def instructions(phases):
    """Guest instructions per update from the -icount boot."""
    w, n = phases["work"], max(phases["work"]["updates"], 1)
    up = phases["update"]
    outside = (w["submit_kick_insns"] + w["answer_poll_insns"]) / n
    return {
        "update_call_incl_waiting": round(up["instret"] / max(up["updates"], 1)),
        "outside_waiting": round(outside, 1),
        "submit_and_kick": round(w["submit_kick_insns"] / n, 1),
        "answer_polls": round(w["answer_poll_insns"] / n, 1),
        "idle_polls_per_update": round(w["idle_polls"] / n, 1),
        "instructions_per_idle_poll": round(w["idle_poll_insns"] / max(w["idle_polls"], 1), 1),
        "register_accesses_per_update_submit_kick_poll": round(
            (w["reg_reads"] + w["reg_writes"]) / n, 3),
        "updates_measured": w["updates"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--runs", type=int, default=3,
                    help="timed boots per transport; medians reported")
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    elf = build / "riscv64" / "gpu_bench.elf"
    if not elf.exists():
        print("FAIL bench-gpu: %s missing (make examples)" % elf)
        return 1
    qemu_version = subprocess.run([QEMU, "--version"], capture_output=True,
                                  text=True).stdout.splitlines()[0]
    results = {"qemu": qemu_version, "width": WIDTH, "height": HEIGHT,
               "bytes_per_update": WIDTH * HEIGHT * 4,
               "command": "make bench-gpu (tests/qemu/gpu_bench.py)", "transports": {}}
    failed = 0
    for version in ("legacy", "modern"):
        timed = []
        for _ in range(max(1, args.runs)):
            phases, err = boot(build, version, False)
            if err:
                break
            timed.append(phases)
        if err:
            print("FAIL bench-gpu/%s: %s" % (version, err), flush=True)
            failed += 1
            continue
        counted, err = boot(build, version, True)
        if err:
            print("FAIL bench-gpu/%s (icount): %s" % (version, err), flush=True)
            failed += 1
            continue
        d = timed[0]["device"]
        results["transports"][version] = {
            "probe_register_accesses": d["probe_reg_reads"] + d["probe_reg_writes"],
            "init_register_accesses": d["init_reg_reads"] + d["init_reg_writes"],
            "timed_boots": len(timed),
            "update": median_of([rates(t["update"]) for t in timed]),
            "pipelined": median_of([rates(t["pipelined"]) for t in timed]),
            "instructions": instructions(counted),
        }

    print("virtio_gpu.h, full-screen updates at %dx%d (%s, TCG, riscv64 virt, -smp 1,maxcpus=2)"
          % (WIDTH, HEIGHT, qemu_version))
    head = ("transport", "call", "updates/s", "MiB/s", "regs/update", "insns/update",
            "outside wait")
    print("%-9s %-26s %10s %8s %12s %13s %13s" % head)
    for version, r in results["transports"].items():
        ins = r["instructions"]
        print("%-9s %-26s %10.1f %8.1f %12.3f %13d %13s" % (
            version, "virtio_gpu_update", r["update"]["updates_per_s"],
            r["update"]["mib_per_s"], r["update"]["register_accesses_per_update"],
            ins["update_call_incl_waiting"], "-"))
        print("%-9s %-26s %10.1f %8.1f %12.3f %13s %13.1f" % (
            version, "submit x2, kick, wait_all", r["pipelined"]["updates_per_s"],
            r["pipelined"]["mib_per_s"], r["pipelined"]["register_accesses_per_update"], "-",
            ins["outside_waiting"]))
    for version, r in results["transports"].items():
        ins = r["instructions"]
        print("INFO bench-gpu/%s: probe %d, init %d register accesses" % (
            version, r["probe_register_accesses"], r["init_register_accesses"]))
        print("INFO bench-gpu/%s: instructions per update outside the wait: %.1f (submit + "
              "kick %.1f, 2 answering polls %.1f); %.1f idle polls of %.1f instructions while "
              "QEMU worked; virtio_gpu_update with its wait: %d" % (
                  version, ins["outside_waiting"], ins["submit_and_kick"], ins["answer_polls"],
                  ins["idle_polls_per_update"], ins["instructions_per_idle_poll"],
                  ins["update_call_incl_waiting"]))
    out = build / "bench-gpu.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print("INFO bench-gpu: wrote %s" % os.path.relpath(out, ROOT))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
