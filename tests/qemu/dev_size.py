#!/usr/bin/env python3
"""dev_size.py - linked code size of virtio.h + each device header, default and smallest build.

For every device a small reference program (probe, init and the device's main operation) is
compiled with riscv64-unknown-elf-gcc -Os -march=rv64imac -mabi=lp64 -ffreestanding
-ffunction-sections -fdata-sections and linked with -nostdlib --gc-sections -e ref; the figure is
the bytes of every .text*, .rodata* and .srodata* section minus the bytes of `ref` itself (the
same measure as blk_bench.py's linked_sizes); also with the device's own VIRTIO_<DEV>_MINIMAL alone
(the core's defaults). "smallest" is -DVIRTIO_MINIMAL, which turns on
every leave-out macro of the core and of each device header (VIRTIO_BLK_MINIMAL,
VIRTIO_NET_MINIMAL, VIRTIO_CONSOLE_MINIMAL, VIRTIO_GPU_MINIMAL, VIRTIO_INPUT_MINIMAL, ...).

    python3 tests/qemu/dev_size.py [--build DIR] [--json]      (make size-devices)
"""
import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CC = "riscv64-unknown-elf-gcc"
SIZE = "riscv64-unknown-elf-size"
NM = "riscv64-unknown-elf-nm"

HEAD = r"""
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_{U}_IMPLEMENTATION
#include "virtio_{l}.h"
"""

# The main operation of each device, after probe and init (the smallest useful program).
BODIES = {
    "blk": r"""
static virtio_blk dev;
int ref(void *base, void *mem, size_t size, void *buf);
int ref(void *base, void *mem, size_t size, void *buf) {
    virtio_regs regs = virtio_mmio_regs(base);
    virtio_transport t;
    virtio_blk_params p = {0, 0};
    int r = virtio_mmio_transport(&t, &regs);
    if (r == 0) r = virtio_blk_init(&dev, &t, &p, mem, size);
    if (r == 0) r = virtio_blk_read(&dev, 0, buf, 512);
    if (r == 0) r = virtio_blk_write(&dev, 0, buf, 512);
    return r;
}
""",
    "net": r"""
static virtio_net dev;
int ref(void *base, void *mem, size_t size, void *buf);
int ref(void *base, void *mem, size_t size, void *buf) {
    virtio_regs regs = virtio_mmio_regs(base);
    virtio_transport t;
    virtio_net_frame f;
    int r = virtio_mmio_transport(&t, &regs);
    if (r == 0) r = virtio_net_init(&dev, &t, 0, mem, size);
    if (r == 0) r = virtio_net_send(&dev, buf, 60);
    if (r == 0) r = virtio_net_recv_wait(&dev, &f);
    if (r == 0) r = virtio_net_release(&dev, &f);
    return r;
}
""",
    "console": r"""
static virtio_console dev;
int ref(void *base, void *mem, size_t size, void *buf);
int ref(void *base, void *mem, size_t size, void *buf) {
    virtio_regs regs = virtio_mmio_regs(base);
    virtio_transport t;
    size_t got;
    int r = virtio_mmio_transport(&t, &regs);
    if (r == 0) r = virtio_console_init(&dev, &t, 0, mem, size);
    if (r == 0) r = virtio_console_write(&dev, 0, buf, 6);
    if (r == 0) r = virtio_console_read(&dev, 0, buf, 64, &got);
    return r;
}
""",
    "gpu": r"""
static virtio_gpu dev;
int ref(void *base, void *mem, size_t size, void *buf);
int ref(void *base, void *mem, size_t size, void *buf) {
    virtio_regs regs = virtio_mmio_regs(base);
    virtio_transport t;
    virtio_gpu_rect rect = {0, 0, 640, 480};
    int r = virtio_mmio_transport(&t, &regs);
    if (r == 0) r = virtio_gpu_init(&dev, &t, 0, mem, size);
    if (r == 0) r = virtio_gpu_resource_create(&dev, 1, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM, 640, 480);
    if (r == 0) r = virtio_gpu_attach_fb(&dev, 1, buf, 640u * 480u * 4u);
    if (r == 0) r = virtio_gpu_set_scanout(&dev, 0, 1, &rect);
    if (r == 0) r = virtio_gpu_update(&dev, 1, &rect);
    return r;
}
""",
    "input": r"""
static virtio_input dev;
int ref(void *base, void *mem, size_t size, void *buf);
int ref(void *base, void *mem, size_t size, void *buf) {
    virtio_regs regs = virtio_mmio_regs(base);
    virtio_transport t;
    int r = virtio_mmio_transport(&t, &regs);
    if (r == 0) r = virtio_input_init(&dev, &t, 0, mem, size);
    if (r == 0) r = virtio_input_recv_wait(&dev, (virtio_input_event *)buf);
    return r;
}
""",
    "rng": r"""
static virtio_rng dev;
int ref(void *base, void *mem, size_t size, void *buf);
int ref(void *base, void *mem, size_t size, void *buf) {
    virtio_regs regs = virtio_mmio_regs(base);
    virtio_transport t;
    int r = virtio_mmio_transport(&t, &regs);
    if (r == 0) r = virtio_rng_init(&dev, &t, 0, mem, size);
    if (r == 0) r = virtio_rng_read(&dev, buf, 32);
    return r;
}
""",
}

CONFIGS = {"default": [], "smallest": ["-DVIRTIO_MINIMAL"]}
# The device's own leave-out macro alone, with the core's defaults (rng has none).
DEVICE_MACRO = {"blk": "VIRTIO_BLK_MINIMAL", "net": "VIRTIO_NET_MINIMAL",
                "console": "VIRTIO_CONSOLE_MINIMAL", "gpu": "VIRTIO_GPU_MINIMAL",
                "input": "VIRTIO_INPUT_MINIMAL"}


def linked_size(work, dev, defs):
    src = work / "ref-{}.c".format(dev)
    src.write_text(HEAD.replace("{U}", dev.upper()).replace("{l}", dev) + BODIES[dev])
    elf = work / "ref-{}-{}.elf".format(dev, "-".join(d.lstrip("-D") for d in defs) or "default")
    subprocess.run([CC, "-Os", "-march=rv64imac", "-mabi=lp64", "-ffreestanding",
                    "-ffunction-sections", "-fdata-sections", "-nostdlib", "-Wl,--gc-sections",
                    "-Wl,-e,ref", "-Wl,--no-warn-rwx-segments", "-I", str(ROOT)] + defs +
                   [str(src), "-o", str(elf)], check=True)
    sysv = subprocess.run([SIZE, "-A", str(elf)], check=True, capture_output=True,
                          text=True).stdout
    text = sum(int(m.group(2)) for m in
               re.finditer(r"^(\.text\S*|\.s?rodata\S*)\s+(\d+)", sysv, re.M))
    nm = subprocess.run([NM, "-S", str(elf)], check=True, capture_output=True, text=True).stdout
    ref = sum(int(m.group(1), 16) for m in re.finditer(r"^\S+ (\S+) T ref$", nm, re.M))
    return text - ref


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("devices", nargs="*", default=list(BODIES))
    args = ap.parse_args()
    work = (ROOT / args.build / "dev-size").resolve()
    work.mkdir(parents=True, exist_ok=True)
    res = {}
    for dev in args.devices:
        res[dev] = {name: linked_size(work, dev, defs) for name, defs in CONFIGS.items()}
        if dev in DEVICE_MACRO:
            res[dev]["device_macro"] = linked_size(work, dev, ["-D" + DEVICE_MACRO[dev]])
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    print("core + device, .text + .rodata bytes linked into a reference program "
          "(rv64imac -Os, --gc-sections)")
    print("{:<8} {:>8} {:>22} {:>16}".format("device", "default", "VIRTIO_<DEV>_MINIMAL",
                                             "VIRTIO_MINIMAL"))
    for dev, v in res.items():
        print("{:<8} {:>8} {:>22} {:>16}".format(dev, v["default"], v.get("device_macro", "-"),
                                                 v["smallest"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
