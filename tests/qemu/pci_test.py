#!/usr/bin/env python3
"""tests/qemu/pci_test.py - the examples over virtio-pci on QEMU, checked from the host.

Boots the examples with `virtio-*-pci` devices (no virtio-mmio device at all) on riscv64,
riscv32 and aarch64 (`-M virt,highmem=off`: the ECAM window below 1 GiB, inside the aarch64
platform's device map). The guest finds the PCIe host bridge in the device tree
(virtio_fdt_find_pci); nothing assigns BARs (-bios none, or no firmware on aarch64), so
examples/example.h does it with virtio_pci_assign. On x86-q35 and x86-pc (SeaBIOS assigns the
BARs, and numbers the buses behind bridges) the guest reaches configuration space through ports
0xCF8/0xCFC (virtio_pci_portio) and says so instead. Three flavours of each device:

  modern        disable-legacy=on    id 1af4:1040+type, capabilities only: "transport pci modern"
  transitional  (QEMU's default)     id 1af4:10xx, both interfaces: the guest must pick modern
  legacy        disable-modern=on    the BAR 0 header only: "transport pci legacy"

Cases, for each flavour:
  rng            examples/rng.c: two reads, submit/kick/poll of 4 buffers, PASS
  blk            examples/blk.c on an 8 MiB disk: every check of the example, the smaller
                 queue sizes included (legacy: the rings keep the device's fixed size)
  blk over the configuration access window  blk_pcicfg.elf (blk.c built with
                 EX_PCI_CFG_ACCESS) on riscv64, modern and transitional: BARs forgotten, every
                 device access through the PCI configuration access capability
  blk among others  blk.c with an entropy and a console function before the disk's: the scan
                 must skip them (modern only)
  rng behind bridges  the entropy function behind two PCIe root ports (modern), or behind a
                 root port and a PCIe-to-PCI bridge (legacy, an I/O BAR): the example numbers
                 the buses and opens the bridges' windows (virtio_pci_assign_all)
  console        examples/console.c: the emergency line, then a 64 KiB echo on port 0 (legacy:
                 virtio-serial's fixed 128-entry queues, the console's smaller ones inside)
  net            examples/net.c: ARP, ICMP echo, UDP echoes, stop (modern and legacy)
  gpu            examples/gpu_bench.c to its PASS line (virtio-gpu-pci is modern-only: QEMU
                 keeps it modern under disable-modern=on, which the case checks)
Other targets SKIP with the reason: m68k has no PCI host bridge, riscv64-sbi builds only some
of these examples (and its M-mode twin covers the same machine); the second machines of a
target (riscv64-* ring machines, aarch64-a72) are not booted here.

Prints `PASS qemu-pci/<machine>/<flavour>: <case>`, `FAIL ...`, `SKIP ...`; exits 1 if any case
failed. Each run leaves its command and output in BUILD/qemu-pci/<machine>-<flavour>-<case>/.

    python3 tests/qemu/pci_test.py [--build DIR] [-k SUBSTRING] [--target T] [--machine M]
"""

import argparse
import copy
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets as T  # noqa: E402
import console_test as C  # noqa: E402
import net_peer as P  # noqa: E402
import net_test as N  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
# The machines whose examples look for PCI (PLAT_PCI in their target.h) and that this test boots.
PCI_MACHINES = ("riscv64", "riscv32", "aarch64", "x86-q35", "x86-pc")
# QEMU's aarch64 `virt` puts ECAM at 0x4010000000, above the 4 GiB the aarch64 platform maps:
# highmem=off moves it (and the windows) below 1 GiB, into the platform's device map.
MACHINE_OPTS = {"aarch64": "virt,highmem=off"}
# The machines that also boot blk_pcicfg.elf (the disk through the PCI configuration access
# capability, BARs unmapped), modern and transitional: one is enough, each boot costs time.
CFG_WINDOW_MACHINES = ("riscv64",)
FLAVOURS = [("modern", "disable-legacy=on", "modern"),
            ("transitional", "", "modern"),
            ("legacy", "disable-modern=on", "legacy")]


def dev(name, props, more=""):
    return ",".join(x for x in (name, props, more) if x)


def boot(build, m, tag, elf, devices, extra=()):
    d = build / "qemu-pci" / tag.replace("/", "-")
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    cmd = m.cmd("modern") + ["-display", "none", "-monitor", "none", "-serial", "stdio",
                             "-kernel", str(m.elf(build, elf))] + list(extra)
    for x in devices:
        cmd += ["-device", x]
    (d / "cmd").write_text(" ".join(shlex.quote(a) for a in cmd) + "\n")
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
        out, status, timed_out = (p.stdout.decode(errors="replace"), m.exit_status(p.returncode),
                                  False)
    except subprocess.TimeoutExpired as e:
        out, status, timed_out = (e.stdout or b"").decode(errors="replace"), None, True
    (d / "output").write_text(out)
    return out, status, timed_out


def transport_said(out, want):
    """'' when the guest says it uses PCI with the interface `want`, else why not."""
    said = re.findall(r"^transport (\w+) (\w+)\s*$", out, re.M)
    if not said:
        return "the guest did not say which transport it uses"
    if ("pci", want) not in said:
        return "the guest says transport %s, want pci %s" % (
            ", ".join(" ".join(s) for s in said), want)
    return ""


def bridge_said(out, m):
    """'' when the guest found the PCI host bridge through the device tree (x86: through ports
    0xCF8/0xCFC, with the BARs SeaBIOS assigned), else why not."""
    if m.pci_only:
        if not re.search(r"^pci: ports 0xcf8/0xcfc, BARs as firmware assigned them\s*$", out,
                         re.M):
            return "the guest did not say it reached PCI through ports 0xcf8/0xcfc"
        return ""
    if not re.search(r"^pci: ECAM 0x\w+ from the device tree\s*$", out, re.M):
        return "the guest did not find the PCI host bridge in the device tree"
    return ""


def judged(m, out, status, timed_out, want):
    return (T.judge(out, status, timed_out=timed_out, machine=m) or transport_said(out, want)
            or bridge_said(out, m))


def net_case(build, m, flavour, props, want):
    """ARP, ICMP, UDP echoes and stop through net.elf on virtio-net-pci; '' or why not."""
    cfg = N.Config("pci " + flavour, want == "legacy", "", hdr=10 if want == "legacy" else 12,
                   mrg=False, rxq=256, echoes_n=50)
    cfg.machine = m
    logdir = build / "qemu-pci"
    logdir.mkdir(parents=True, exist_ok=True)
    with open(logdir / ("%s-%s-net.log" % (m.name, flavour)), "w") as log:
        # romfile=: no option ROM (QEMU would look for efi-virtio.rom, absent here).
        g = P.Guest(m.elf(build, "net.elf"), False, dev("romfile=", props), timeout=TIMEOUT,
                    log=log,
                    machine=m, device="virtio-net-pci")
        try:
            g.start()
            N.case_arp(g, cfg)
            N.case_icmp(g, cfg)
            N.case_udp(g, cfg, 50)
            N.case_stop(g, cfg)
            return transport_said(g.text(), want) or bridge_said(g.text(), m)
        except (N.Failed, P.GuestError, OSError) as e:
            return "%s [guest: %s]" % (e, g.tail(4))
        finally:
            g.kill()


def test_machine(build, rep, m):
    disk = build / "qemu-pci" / ("%s-disk.img" % m.name)
    disk.parent.mkdir(parents=True, exist_ok=True)
    drive = ["-drive", "file=%s,if=none,format=raw,id=d0" % disk]
    for flavour, props, want in FLAVOURS:
        tag = "%s/%s" % (m.name, flavour)
        name = "rng: reads and submit/kick/poll over virtio-rng-pci"
        if rep.wanted(name):
            out, st, to = boot(build, m, tag + "-rng", "rng.elf", [dev("virtio-rng-pci", props)])
            rep.case(tag, name, judged(m, out, st, to, want))
        name = "blk: every check of the block example over virtio-blk-pci (8 MiB disk)"
        if rep.wanted(name):
            with open(disk, "wb") as f:
                f.truncate(8 << 20)
            out, st, to = boot(build, m, tag + "-blk", "blk.elf",
                               [dev("virtio-blk-pci", props, "drive=d0")], drive)
            why = judged(m, out, st, to, want)
            if not why and "skipped" in out and "queue size" in out:
                why = "the smaller queue sizes were skipped"
            rep.case(tag, name, why)
        name = ("blk over the configuration access window: blk_pcicfg.elf, BARs unmapped "
                "(VIRTIO_REGS_F_PCI_CFG_ACCESS)")
        if want == "modern" and m.name in CFG_WINDOW_MACHINES and rep.wanted(name):
            if m.missing(build, ["blk_pcicfg.elf"]):
                rep.case(tag, name, "blk_pcicfg.elf not built")
            else:
                with open(disk, "wb") as f:
                    f.truncate(8 << 20)
                out, st, to = boot(build, m, tag + "-blk-pcicfg", "blk_pcicfg.elf",
                                   [dev("virtio-blk-pci", props, "drive=d0")], drive)
                why = judged(m, out, st, to, want)
                if not why and not re.search(r"^pci: BARs unmapped, every access through the "
                                             r"configuration access window\s*$", out, re.M):
                    why = "the guest did not say it used the configuration access window"
                rep.case(tag, name, why)
        name = "blk among other functions (rng, console first): the scan skips them"
        if flavour == "modern" and rep.wanted(name):
            with open(disk, "wb") as f:
                f.truncate(8 << 20)
            out, st, to = boot(build, m, tag + "-blk-others", "blk.elf",
                               [dev("virtio-rng-pci", props), dev("virtio-serial-pci", props),
                                dev("virtio-blk-pci", props, "drive=d0")], drive)
            rep.case(tag, name, judged(m, out, st, to, want))
        name = "rng behind bridges: %s" % (
            "the second of two pcie-root-ports (modern: PCIe ports take no legacy)" if want == "modern"
            else "pcie-root-port then pcie-pci-bridge (an I/O window for the legacy BAR 0)")
        if flavour != "transitional" and rep.wanted(name):
            if want == "modern":
                bridges = ["pcie-root-port,id=rp0,chassis=1", "pcie-root-port,id=rp1,chassis=2",
                           dev("virtio-rng-pci", props, "bus=rp1")]
            else:
                bridges = ["pcie-root-port,id=rp0,chassis=1",
                           "pcie-pci-bridge,id=pb0,bus=rp0",
                           dev("virtio-rng-pci", props, "bus=pb0,addr=1")]
            out, st, to = boot(build, m, tag + "-bridges", "rng.elf", bridges)
            rep.case(tag, name, judged(m, out, st, to, want))
        name = "console: emergency line, then a 64 KiB echo on port 0 (virtio-serial-pci)"
        if rep.wanted(name):
            run, data, err = C.console_run(build, m, "modern", "pci-" + flavour, 64 << 10, 7,
                                           [dev("virtio-serial-pci", props),
                                            "virtconsole,chardev=c0"])
            rx = bytes(run.peers["c0"].rx)
            # Legacy: the queues have the device's size (virtio-serial: 128), larger than the
            # console's small ones; the rings take the device's size, the driver fewer entries.
            rep.case(tag, name, err or run.guest_said() or
                     C.check_stream(rx, C.EMERG_LINE + data) or
                     transport_said(run.uart_text(), want))
        name = "net: ARP, ICMP, 50 UDP echoes, stop (virtio-net-pci)"
        if rep.wanted(name):
            rep.case(tag, name, net_case(build, m, flavour, props, want))
        name = "gpu: gpu_bench.elf to PASS (virtio-gpu-pci, modern-only device)"
        if rep.wanted(name):
            if m.missing(build, ["gpu_bench.elf"]):
                rep.skip(tag, name, "gpu_bench.elf not built")
            else:
                out, st, to = boot(build, m, tag + "-gpu", "gpu_bench.elf",
                                   [dev("virtio-gpu-pci", props)])
                rep.case(tag, name, judged(m, out, st, to, "modern"))
    if disk.exists():
        disk.unlink()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    T.add_arguments(ap)
    args = ap.parse_args()
    build = (ROOT / args.build).resolve()
    rep = T.Report("qemu-pci", args.k)
    t0 = time.monotonic()
    for m in T.selected(args, pci=True):
        if m.name not in PCI_MACHINES:
            if m.name == m.target:
                rep.skip(m.name, "virtio-pci examples",
                         "no PCI host bridge on this machine" if m.target == "m68k" else
                         "the riscv64 machine covers the same PCI bridge (riscv64-sbi builds "
                         "only some of the examples)")
            continue
        miss = m.missing(build, ["rng.elf", "blk.elf", "console.elf", "net.elf"])
        if miss:
            rep.case(m.name, "examples built, QEMU present",
                     "missing %s (make examples; tests/deps.sh)" % miss)
            continue
        if m.name in MACHINE_OPTS:
            m = copy.copy(m)
            m.machine = MACHINE_OPTS[m.name]
        test_machine(build, rep, m)
    rep.summary(time.monotonic() - t0)
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
