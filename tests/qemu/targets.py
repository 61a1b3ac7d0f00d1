"""tests/qemu/targets.py - the QEMU machines every example runs on, in one place.

Every QEMU test script (tests/qemu/*_test.py) builds its command line from a `Machine` here, so a
new target is one entry in MACHINES and every device's cases run on it. A build target (the
directory of build/<target>/NAME.elf, as examples/*.mk build it) may run on several machines:
aarch64 on a Cortex-A53 and a Cortex-A72, riscv64-sbi with one hart and with two.

    machine          binary               QEMU machine, firmware, exit status        slots
    riscv64          qemu-system-riscv64  virt, -bios none (M-mode), SiFive test     8 x 0x1000 at 0x10001000
    riscv64-sbi      qemu-system-riscv64  virt, default OpenSBI, payload 0x80200000   8
    riscv64-sbi-smp2   the same with -smp 2: the payload may start on hart 1
    riscv32          qemu-system-riscv32  virt, -bios none                            8
    aarch64          qemu-system-aarch64  virt, -cpu cortex-a53, EL1, semihosting    32 x 0x200 at 0x0a000000
    aarch64-a72        the same with -cpu cortex-a72
    m68k             qemu-system-m68k     virt (68040), virt_ctrl, modern only       128 x 0x200 at 0xff010000
    x86-q35          qemu-system-x86_64   q35, SeaBIOS, multiboot, isa-debug-exit     none: PCI only
    x86-pc             the same on `pc` (i440FX: no ECAM; configuration through ports either way)

The x86 machines have no virtio-mmio: only the hello and PCI suites boot them (`pci_only`), and
`Machine.dev` turns a script's `virtio-X-device` into `virtio-X-pci` there. Their exit status
comes from isa-debug-exit, (value << 1) | 1; `Machine.exit_status` turns it back into the
guest's status (and anything even, such as a triple fault under -no-reboot, into -1), and every
script reads QEMU's status through it, so 0 still means the example passed.

QEMU fills the virtio-mmio slots from the top in command-line order on every one of these: the
first `-device` lands in the highest slot, the next one below it. A device goes to a low slot
(slot 0) behind `slots - 1` devices of other types (`Machine.fill`), to the highest slot by
coming first.

One judge for every example on every machine (`judge`): the guest passed when it printed a line
`PASS`, no line starting `FAIL`, and QEMU exited with status 0; an expected failure is a line
starting `FAIL` (matching what the case expects) and a nonzero status.

Tiers: riscv64 runs every script's full matrix; every other machine runs the "port" subset of
each script (each example, legacy and modern where the machine has legacy, the device in a low
and in a high slot); the second machine of a target (aarch64-a72, riscv64-sbi-smp2) runs the
port subset in modern only. `--full` (make test-full) runs the full matrix everywhere. A case the
machine cannot run (legacy on m68k, a case that needs a riscv-only build) is reported as
`SKIP ... (why)`, never as a pass.
"""

import os
import re
import statistics
import subprocess
import time

# Debian's QEMU 7.2 binaries; QEMU_<TARGET> in the environment overrides one (QEMU_AARCH64=...).
BINARIES = {
    "riscv64": "qemu-system-riscv64",
    "riscv32": "qemu-system-riscv32",
    "aarch64": "qemu-system-aarch64",
    "m68k": "qemu-system-m68k",
    "x86_64": "qemu-system-x86_64",
}


class Machine:
    """One way to boot build/<target>/NAME.elf in QEMU."""

    def __init__(self, name, target, arch, machine="virt", cpu=None, bios="none",
                 smp="1,maxcpus=2", extra=(), slots=8, slot_base=0x10001000, slot_stride=0x1000,
                 legacy=True, tier="port", discovery="device tree", port_versions=None,
                 note="", no_legacy_why=None, pci_only=False, debug_exit=False):
        self.name = name          # what the case lines say: PASS qemu-blk/<name>/modern: ...
        self.target = target      # build/<target>/NAME.elf
        self.arch = arch          # key of BINARIES
        self.machine, self.cpu, self.bios, self.smp = machine, cpu, bios, smp
        self.extra = list(extra)
        self.slots, self.slot_base, self.slot_stride = slots, slot_base, slot_stride
        self.legacy = legacy      # the machine can show legacy (version 1) virtio-mmio
        self.tier = tier          # "full": every case of every script; "port": the subset
        self.discovery = discovery  # what the examples should say they used
        # The transport versions of the port subset: a second CPU or hart count of a target
        # whose first machine runs both runs modern only (both with --full).
        self.port_versions = port_versions or ("legacy", "modern")
        self.note = note
        self.no_legacy_why = no_legacy_why or ("QEMU %s virt presents only modern virtio-mmio"
                                               % arch)
        self.pci_only = pci_only  # no virtio-mmio: devices are virtio-X-pci (dev())
        self.debug_exit = debug_exit  # exit status through isa-debug-exit: (v << 1) | 1

    def exit_status(self, rc):
        """The guest's exit status from QEMU's (None stays None). isa-debug-exit makes QEMU exit
        with (v << 1) | 1; an even status means the guest never wrote it (-1)."""
        if rc is None or not self.debug_exit:
            return rc
        return (rc - 1) >> 1 if rc & 1 else -1

    def dev(self, device):
        """A -device value for this machine: virtio-X-device becomes virtio-X-pci where there
        is no virtio-mmio."""
        if self.pci_only and device.startswith("virtio-"):
            name, sep, props = device.partition(",")
            if name.endswith("-device"):
                return name[:-len("-device")] + "-pci" + sep + props
        return device

    @property
    def qemu(self):
        return os.environ.get("QEMU_" + self.arch.upper(), BINARIES[self.arch])

    def wants(self, version, full):
        """Whether this run boots `version` at all (not a skip: the subset's choice)."""
        return full or version in self.port_versions

    def skip_version(self, version):
        if version == "legacy" and not self.legacy:
            return self.no_legacy_why
        return None

    def elf(self, build, name):
        return build / self.target / name

    def cmd(self, version="modern", smp=None):
        """QEMU's command line up to the devices and the console: binary, machine, CPU,
        firmware, harts, what the machine needs to report an exit status, the transport
        version. The caller adds -kernel, the console (-nographic or -serial ...) and devices."""
        c = [self.qemu, "-M", self.machine]
        if self.cpu:
            c += ["-cpu", self.cpu]
        # "-smp 1,maxcpus=2" on riscv and aarch64: QEMU before 8.1 drops the guest's fences
        # under TCG when the machine can only ever have one CPU, and then loses a virtqueue
        # notification now and then (the I/O thread runs in parallel all the same; fixed
        # upstream by "tcg: Do not elide memory barriers for !CF_PARALLEL in system mode"). A
        # second possible CPU keeps the fences. m68k virt has one CPU at most.
        s = smp or self.smp
        if s:
            c += ["-smp", s]
        if self.bios:
            c += ["-bios", self.bios]
        c += self.extra + ["-no-reboot"]
        if not self.pci_only:
            c += ["-global", "virtio-mmio.force-legacy=" + ("true" if version == "legacy"
                                                             else "false")]
        return c

    def slot_of(self, position):
        """The slot of the position-th virtio device on the command line (0 = first)."""
        return self.slots - 1 - position

    def slot_addr(self, slot):
        return self.slot_base + self.slot_stride * slot

    def fill(self, others, slot=0):
        """-device arguments that put the next device in `slot`: devices cycled from `others`
        (types the example must scan past) in every slot above it."""
        return [a for d in self.fill_list(others, slot) for a in ("-device", d)]

    def fill_list(self, others, slot=0):
        """The same as a list of -device values. A device QEMU allows once (the balloon) is
        taken from `others` the first time round only."""
        n = self.slots - 1 - slot
        again = [d for d in others if not d.startswith(SINGLETONS)] or ["virtio-rng-device"]
        out = list(others[:n])
        while len(out) < n:
            out.append(again[(len(out) - len(others)) % len(again)])
        return out

    def missing(self, build, names):
        """'' when the machine's QEMU runs and the ELFs exist, else what is missing."""
        miss = ["%s/%s" % (self.target, n) for n in names
                if not self.elf(build, n).exists()]
        if not available(self.qemu):
            miss.append(self.qemu)
        return ", ".join(miss)


# Devices QEMU accepts once per machine.
SINGLETONS = ("virtio-balloon-device",)

_AVAILABLE = {}


def available(binary):
    if binary not in _AVAILABLE:
        try:
            subprocess.run([binary, "--version"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True, timeout=20)
            _AVAILABLE[binary] = True
        except (OSError, subprocess.SubprocessError):
            _AVAILABLE[binary] = False
    return _AVAILABLE[binary]


AARCH64_EXTRA = [
    # No default network card: without it QEMU looks for efi-virtio.rom.
    "-nic", "none",
    # SYS_EXIT from the guest gives QEMU's exit status (without this the instruction traps).
    "-semihosting-config", "enable=on,target=native",
]

# isa-debug-exit gives the exit status; no default network card (its option ROM), no window.
X86_EXTRA = ["-nic", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]

MACHINES = [
    Machine("riscv64", "riscv64", "riscv64", tier="full"),
    # The ring formats: every device's port subset again with each device's `packed` and
    # `indirect_desc` set for the whole machine (-global on the abstract virtio-device type
    # reaches every virtio device; a -device property of a case still wins). The core takes
    # RING_PACKED and INDIRECT_DESC whenever offered, so these drive the packed ring, and both
    # formats without indirect tables; riscv64 itself is split with indirect. Legacy devices
    # have 32 feature bits and never offer RING_PACKED, so these run modern only.
    Machine("riscv64-packed", "riscv64", "riscv64", legacy=False, port_versions=("modern",),
            extra=["-global", "virtio-device.packed=on"],
            no_legacy_why="packed rings need VIRTIO_F_RING_PACKED (bit 34): modern only",
            note="every device with packed=on"),
    Machine("riscv64-packed-direct", "riscv64", "riscv64", legacy=False,
            port_versions=("modern",),
            extra=["-global", "virtio-device.packed=on",
                   "-global", "virtio-device.indirect_desc=off"],
            no_legacy_why="packed rings need VIRTIO_F_RING_PACKED (bit 34): modern only",
            note="every device with packed=on,indirect_desc=off"),
    Machine("riscv64-split-direct", "riscv64", "riscv64", legacy=False,
            port_versions=("modern",),
            extra=["-global", "virtio-device.indirect_desc=off"],
            no_legacy_why="this machine checks the split ring without indirect tables on "
                          "modern; riscv64 runs legacy",
            note="every device with indirect_desc=off"),
    Machine("riscv64-sbi", "riscv64-sbi", "riscv64", bios=None,
            note="S-mode under QEMU's OpenSBI, payload at 0x80200000"),
    Machine("riscv64-sbi-smp2", "riscv64-sbi", "riscv64", bios=None, smp="2",
            port_versions=("modern",),
            note="two harts: OpenSBI may start the payload on hart 1; the other one parks"),
    Machine("riscv32", "riscv32", "riscv32"),
    Machine("aarch64", "aarch64", "aarch64", cpu="cortex-a53", bios=None, extra=AARCH64_EXTRA,
            slots=32, slot_base=0x0A000000, slot_stride=0x200),
    Machine("aarch64-a72", "aarch64", "aarch64", cpu="cortex-a72", bios=None,
            port_versions=("modern",),
            extra=AARCH64_EXTRA, slots=32, slot_base=0x0A000000, slot_stride=0x200),
    # virt_ctrl PANIC exits QEMU with status 0 unless the panic action says otherwise.
    Machine("m68k", "m68k", "m68k", bios=None, smp=None,
            extra=["-action", "panic=exit-failure"], slots=128, slot_base=0xFF010000,
            slot_stride=0x200, legacy=False, discovery="bootinfo"),
    # x86: SeaBIOS (the default firmware) assigns the BARs; the program comes in through QEMU's
    # multiboot loader. No virtio-mmio: PCI only, devices through Machine.dev.
    Machine("x86-q35", "x86_64", "x86_64", machine="q35", bios=None, slots=0, slot_base=0,
            slot_stride=0, legacy=False, pci_only=True, debug_exit=True, discovery="none",
            extra=X86_EXTRA, no_legacy_why="no virtio-mmio on x86 (PCI only)",
            note="q35 (PCIe, ICH9), SeaBIOS"),
    Machine("x86-pc", "x86_64", "x86_64", machine="pc", bios=None, slots=0, slot_base=0,
            slot_stride=0, legacy=False, pci_only=True, debug_exit=True, discovery="none",
            extra=X86_EXTRA, no_legacy_why="no virtio-mmio on x86 (PCI only)",
            note="pc (i440FX, PCI), SeaBIOS"),
]
BY_NAME = {m.name: m for m in MACHINES}
TARGETS = sorted({m.target for m in MACHINES}, key=[m.target for m in MACHINES].index)


def add_arguments(ap):
    """--target/--machine/--full for a test script's argument parser."""
    ap.add_argument("--target", action="append", default=[],
                    help="build target(s) to run (default: every one; repeatable; "
                         "also a comma-separated list): " + ", ".join(TARGETS))
    ap.add_argument("--machine", action="append", default=[],
                    help="machine(s) to run: " + ", ".join(BY_NAME))
    ap.add_argument("--full", action="store_true",
                    help="the full matrix on every machine (make test-full)")


def selected(args, pci=False):
    """The machines args ask for, in MACHINES order; each with its tier for this run. Machines
    without virtio-mmio (pci_only) only for the scripts that say they can boot them (pci)."""
    targets = [t for a in args.target for t in a.replace(",", " ").split()]
    names = [n for a in args.machine for n in a.replace(",", " ").split()]
    bad = [t for t in targets if t not in TARGETS] + [n for n in names if n not in BY_NAME]
    if bad:
        raise SystemExit("unknown target or machine: %s (known: %s)" % (
            ", ".join(bad), ", ".join(list(BY_NAME))))
    out = []
    for m in MACHINES:
        if (targets or names) and m.target not in targets and m.name not in names:
            continue
        if m.pci_only and not pci:
            continue
        out.append(m)
    return out


def full(machine, args):
    """True when this machine runs the script's full matrix in this run."""
    return machine.tier == "full" or getattr(args, "full", False)


# ---- The judge -----------------------------------------------------------------------------------
def judge(text, status, expect_fail=None, timed_out=False, machine=None):
    """'' when the guest did what the case wants, else why not.

    expect_fail None: a line `PASS`, no line starting `FAIL`, exit status 0.
    expect_fail a regex: a line starting `FAIL` that matches it, and a nonzero exit status.
    machine: when a passing guest says how it found its devices (`devices: device tree`), it
    must be the way the machine offers (device tree on riscv and aarch64, bootinfo on m68k); a
    guest that found nothing may have fallen back to the slot scan."""
    text = text.replace("\r", "")
    fail = re.search(r"^FAIL.*$", text, re.M)
    if timed_out:
        return "QEMU timed out" + (" after: %s" % last_line(text) if text.strip() else "")
    if expect_fail is not None:
        if status in (0, None):
            return "exit status %s, want nonzero (a FAIL line: %s)" % (
                status, fail.group(0) if fail else "none")
        if not fail:
            return "no FAIL line from the guest (exit status %s)" % status
        if not re.search(expect_fail, fail.group(0)):
            return "expected %r, got %r" % (expect_fail, fail.group(0))
        return ""
    if fail:
        return "guest: " + fail.group(0).strip()
    if status != 0:
        return "exit status %s: %s" % (status, last_line(text))
    if not re.search(r"^PASS\s*$", text, re.M):
        return "no PASS line (exit status 0): %s" % last_line(text)
    said = discovery_said(text)
    if machine is not None and said is not None and said != machine.discovery:
        return "the guest found its devices by %s, want %s" % (said, machine.discovery)
    return ""


def last_line(text):
    lines = [l for l in text.replace("\r", "").splitlines() if l.strip()]
    return lines[-1][:120] if lines else "(no output)"


def discovery_said(text):
    """What the guest says it used to find its devices (`devices: ...`), or None."""
    m = re.search(r"^devices: (device tree|bootinfo|slot scan)\s*$", text, re.M)
    return m.group(1) if m else None


# ---- Case lines -------------------------------------------------------------------------------
class Report:
    """PASS / FAIL / SKIP lines in the form tests/run_all.sh counts, with per-machine totals."""

    def __init__(self, suite, only=""):
        self.suite, self.only = suite, only
        self.passed = self.failed = self.skipped = 0
        self.per = {}

    def wanted(self, *names):
        return not self.only or any(self.only in n for n in names)

    def _count(self, tag, kind):
        m = tag.split("/")[0]
        self.per.setdefault(m, [0, 0, 0])[kind] += 1

    def case(self, tag, name, why, detail=""):
        if why:
            self.failed += 1
            self._count(tag, 1)
            print("FAIL %s/%s: %s (%s)" % (self.suite, tag, name, why), flush=True)
        else:
            self.passed += 1
            self._count(tag, 0)
            print("PASS %s/%s: %s%s" % (self.suite, tag, name, detail), flush=True)

    def skip(self, tag, name, why):
        self.skipped += 1
        self._count(tag, 2)
        print("SKIP %s/%s: %s (%s)" % (self.suite, tag, name, why), flush=True)

    def summary(self, seconds):
        for m, (p, f, s) in self.per.items():
            print("INFO %s/%s: %d run, %d passed, %d failed, %d skipped" % (
                self.suite, m, p + f, p, f, s), flush=True)
        print("INFO %s: %d passed, %d failed, %d skipped, %.1f s" % (
            self.suite, self.passed, self.failed, self.skipped, seconds), flush=True)


# ---- Boot time ------------------------------------------------------------------------------------
def boot_seconds(cmd, timeout=60):
    """Wall time of one QEMU run from start to exit, and its exit status."""
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=timeout)
    return time.monotonic() - t0, p.returncode  # QEMU's: Machine.exit_status for the guest's


def median(xs):
    return statistics.median(xs) if xs else float("nan")
