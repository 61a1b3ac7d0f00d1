#!/usr/bin/env python3
"""tests/qemu/net_bench.py - network round trips through virtio_net.h in QEMU, from the host.

Boots examples/net.c (the polled responder) with QEMU's `-netdev dgram` on 127.0.0.1 and, for
frames of 60 and 1514 bytes, measures from the host peer:

  ping-pong   one UDP echo in flight at a time: round trips per second and microseconds each;
  pipelined   up to 32 echoes in flight: round trips (frames each way) per second;
  registers   virtio register accesses (reads, writes) the guest made per echo (one frame
              received and one sent), from its counting accessor, read through its stats port
              before and after (ping-pong; and pipelined, where notifications get suppressed).

for the legacy and modern transports and, on the modern one, without VIRTIO_F_EVENT_IDX.
Prints a table and writes BUILD/bench-net.json. A benchmark only: a slow machine gives small
numbers, never a failure (it exits nonzero only if the guest does not answer at all).

    python3 tests/qemu/net_bench.py [--build DIR] [--no-build] [--rounds N]
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import net_peer as P  # noqa: E402

CONFIGS = (("legacy", True, ""), ("modern", False, ""),
           ("modern event_idx=off", False, "event_idx=off"))
SIZES = (60, 1514)


def echoes(g, size, count, window):
    """count UDP echoes of `size`-byte frames with up to `window` in flight; seconds taken, or
    None if a reply went missing or was wrong."""
    payload = bytes(k & 0xFF for k in range(P.udp_payload_for_frame(size)))
    want = P.expect_udp_echo(g.mac, 30000, payload, 0)
    frame = P.udp_frame(g.mac, 30000, 7, payload, ident=0)
    sent = done = 0
    t0 = time.perf_counter()
    while done < count:
        while sent < count and sent - done < window:
            g.send(frame)
            sent += 1
        got = g.recv(5.0)
        if got != want:
            return None
        done += 1
    return time.perf_counter() - t0


def bench_config(args, name, legacy, props):
    elf = Path(args.build) / "riscv64" / "net.elf"
    g = P.Guest(elf, legacy, props, timeout=120)
    rows = []
    try:
        g.start()
        for size in SIZES:
            if echoes(g, size, 200, 8) is None:  # warm up
                raise P.GuestError("no echo of {}-byte frames".format(size))
            s0 = g.stats()
            t_pp = echoes(g, size, args.rounds, 1)
            s1 = g.stats()
            t_pl = echoes(g, size, args.rounds * 2, 32)
            s2 = g.stats()
            if None in (s0, s1, s2, t_pp, t_pl):
                raise P.GuestError("echoes of {}-byte frames went missing".format(size))
            # The stats request itself costs a frame each way: leave it out of the count.
            n = args.rounds
            reads = (s1["reads"] - s0["reads"]) / n
            writes = (s1["writes"] - s0["writes"]) / n
            rows.append({
                "transport": name, "frame_bytes": size,
                "pingpong_round_trips_per_s": round(n / t_pp),
                "pingpong_us_per_round_trip": round(t_pp / n * 1e6, 1),
                "pipelined_round_trips_per_s": round(2 * n / t_pl),
                "pipelined_window": 32,
                "register_reads_per_echo": round(reads, 2),
                "register_writes_per_echo": round(writes, 2),
                "register_accesses_per_frame": round((reads + writes) / 2, 2),
                "pipelined_register_accesses_per_echo": round(
                    (s2["reads"] + s2["writes"] - s1["reads"] - s1["writes"]) / (2 * n), 2),
            })
        g.stop()
    finally:
        g.kill()
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args()
    if not args.no_build:
        r = subprocess.run(["make", "-s", "BUILD=" + args.build,
                            str(Path(args.build) / "riscv64" / "net.elf")], cwd=P.ROOT)
        if r.returncode:
            print("bench-net: building the example failed")
            return 1
    rows, failed = [], 0
    for name, legacy, props in CONFIGS:
        try:
            rows += bench_config(args, name, legacy, props)
        except (P.GuestError, OSError) as e:
            print("bench-net: {}: {}".format(name, e))
            failed += 1
    qemu = subprocess.run([P.QEMU, "--version"], stdout=subprocess.PIPE,
                          text=True).stdout.split("\n")[0]
    out = {"what": "UDP echo round trips through examples/net.c (virtio_net.h) in QEMU, "
                   "host peer on 127.0.0.1 via -netdev dgram",
           "qemu": qemu, "host": platform.platform(), "cpus": os.cpu_count(),
           "rounds": args.rounds, "results": rows}
    path = Path(args.build) / "bench-net.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    print("virtio_net.h round trips ({}; {} echoes per figure)".format(qemu, args.rounds))
    fmt = "{:<22} {:>6} {:>14} {:>8} {:>15} {:>13} {:>10} {:>14}"
    print(fmt.format("transport", "frame", "ping-pong rt/s", "us/rt", "pipelined rt/s",
                     "regs r+w/echo", "regs/frame", "pipelined regs"))
    for r in rows:
        print(fmt.format(
            r["transport"], r["frame_bytes"], r["pingpong_round_trips_per_s"],
            r["pingpong_us_per_round_trip"], r["pipelined_round_trips_per_s"],
            "{:.2f}+{:.2f}".format(r["register_reads_per_echo"], r["register_writes_per_echo"]),
            r["register_accesses_per_frame"], r["pipelined_register_accesses_per_echo"]))
    print("wrote " + str(path))
    return 1 if failed == len(CONFIGS) else 0


if __name__ == "__main__":
    sys.exit(main())
