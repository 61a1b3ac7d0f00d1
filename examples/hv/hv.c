/* hv.c - a tiny hypervisor: one guest in VS-mode on QEMU's riscv64 `virt` machine with the H
   extension, its virtio devices emulated with virtio_device.h.

   Run (make hv-demo does this; tests/qemu/hv_test.py runs the matrix):
     qemu-system-riscv64 -M virt -cpu rv64,h=true -m 256M -bios none -nographic \
         -smp 1,maxcpus=2 -kernel build/hv/hv.elf \
         -device loader,file=build/hv/guest/blk.bin,addr=0x82200000,force-raw=on
   The guest is any S-mode program for the riscv64-sbi target (payload at 0x80200000, SBI for
   console, time and shutdown), e.g. this project's examples, unchanged. It finds a block, a
   console and an entropy device (virtio-mmio, version 2, or 1 with HV_CFG_LEGACY); the disk is
   memory, or QEMU's own virtio-blk driven with virtio_blk.h (HV_CFG_REAL_DISK).

   Design: the hypervisor runs in M-mode with -bios none and takes every trap of the guest
   itself. An HS-mode hypervisor under OpenSBI would be the shape of a real one, but here it
   would add a second SBI layer (the guest's ecalls reach HS, which would forward console and
   shutdown to OpenSBI) and a second trap path for timer and external interrupts, for nothing
   this example wants to show. M-mode can use all of the H extension a hypervisor needs: mret
   with mstatus.MPV=1 enters VS-mode, hgatp translates the guest's accesses, guest-page faults
   arrive with the guest-physical address in mtval2 and the instruction in mtinst, and
   HLVX reads guest memory as the guest sees it. The cost: no translation of our own (we run on
   physical addresses) and PMP to open memory to the guest.

   Memory (QEMU -m 256M, RAM at 0x80000000):
     HPA 0x80000000  this program (link.ld keeps it below 0x81000000)
     HPA 0x81fff000  the configuration word (HV_CFG_*), written by QEMU's -device loader
     HPA 0x82000000  the guest's RAM, 128 MiB, seen by the guest at GPA 0x80000000
     HPA 0x8a000000  the emulated disk, 16 MiB (zero, or an image put there by -device loader),
                     unless HV_CFG_REAL_DISK backs it with QEMU's own virtio-blk device
   G-stage (Sv39x4) maps exactly the guest's RAM, in 2 MiB pages. Everything else is a
   guest-page fault: the eight virtio-mmio slots at GPA 0x10001000 + 0x1000*i are emulated,
   and so is the SiFive test device at GPA 0x100000 (the guest's exit status); any other
   address is refused with an access fault injected into the guest.

   Interrupts: a device's interrupt line sets hvip.VSEIP (the guest sees a supervisor external
   interrupt). There is no emulated PLIC, so a guest that enables interrupts cannot claim them:
   the examples poll, and the hook is wired for whoever adds one. The M-mode timer (1 ms) polls
   the UART for the console device's input and raises hvip.VSTIP at the guest's SBI deadline. */

#include <stddef.h>
#include <stdint.h>

/* The device copies every byte of a request between the disk and the guest's buffers; the
   library's default copy is a byte loop (it may never become a libc call). Eight bytes at a
   time where both sides allow it: a 4 KiB read then costs a quarter of the instructions. */
static void hv_copy(void *d, const void *s, size_t n);
#define VIRTIO_MEMCPY(d, s, n) hv_copy((d), (s), (n))
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_BLK_IMPLEMENTATION
#include "virtio_blk.h"
#define VIRTIO_DEVICE_IMPLEMENTATION
#include "virtio_device.h"

typedef uint64_t __attribute__((may_alias)) hv_word; /* may alias any byte it copies */

static void hv_copy(void *d, const void *s, size_t n)
{
    uint8_t *o = (uint8_t *)d;
    const uint8_t *i = (const uint8_t *)s;
    if ((((uintptr_t)o ^ (uintptr_t)i) & 7u) == 0) {
        for (; n > 0 && ((uintptr_t)o & 7u) != 0; n--)
            *o++ = *i++;
        for (; n >= 8; n -= 8, o += 8, i += 8)
            *(hv_word *)(void *)o = *(const hv_word *)(const void *)i;
    }
    while (n-- > 0)
        *o++ = *i++;
}

/* ---- Machine and memory map -------------------------------------------------------------- */
#define HV_UART 0x10000000ul
#define HV_TEST 0x00100000ul /* SiFive test device: 0x5555 off, 0x3333 | code << 16 exit code */
#define HV_CLINT_MTIMECMP 0x02004000ul
#define HV_CLINT_MTIME 0x0200bff8ul
#define HV_TICK 10000u /* 1 ms of the 10 MHz timer */

#define HV_CFG_ADDR 0x81fff000ul
#define HV_GUEST_HPA 0x82000000ul
#define HV_GUEST_GPA 0x80000000ul
#define HV_GUEST_SIZE (128ul << 20)
#define HV_GUEST_ENTRY 0x80200000ul
#define HV_DISK_HPA 0x8a000000ul
#define HV_DISK_SIZE (16ul << 20)

#define HV_TEST_GPA 0x00100000ul /* the guest's own SiFive test device (emulated) */
#define HV_SLOTS 8u
#define HV_SLOT_GPA 0x10001000ul
#define HV_SLOT_SIZE 0x1000ul

/* The configuration word (0: modern devices, all three). */
#define HV_CFG_LEGACY 0x1u     /* virtio-mmio version 1 registers */
#define HV_CFG_NO_BLK 0x2u     /* no block device */
#define HV_CFG_NO_CONSOLE 0x4u /* no console device */
#define HV_CFG_NO_RNG 0x8u     /* no entropy device */
#define HV_CFG_REAL_DISK 0x10u /* the block device's disk is QEMU's virtio-blk (virtio_blk.h) */

/* ---- CSRs ----------------------------------------------------------------------------------- */
#define HV_CSR_READ(csr)                                                                          \
    ({                                                                                            \
        uint64_t v__;                                                                             \
        __asm__ volatile(".option push\n.option arch, +h\ncsrr %0, " #csr "\n.option pop"          \
                         : "=r"(v__));                                                            \
        v__;                                                                                      \
    })
#define HV_CSR_WRITE(csr, v)                                                                      \
    __asm__ volatile(".option push\n.option arch, +h\ncsrw " #csr ", %0\n.option pop"              \
                     :                                                                            \
                     : "r"((uint64_t)(v))                                                         \
                     : "memory")
#define HV_CSR_SET(csr, v)                                                                        \
    __asm__ volatile(".option push\n.option arch, +h\ncsrs " #csr ", %0\n.option pop"              \
                     :                                                                            \
                     : "r"((uint64_t)(v))                                                         \
                     : "memory")
#define HV_CSR_CLEAR(csr, v)                                                                      \
    __asm__ volatile(".option push\n.option arch, +h\ncsrc " #csr ", %0\n.option pop"              \
                     :                                                                            \
                     : "r"((uint64_t)(v))                                                         \
                     : "memory")

#define MSTATUS_MPP (3ull << 11)
#define MSTATUS_MPP_S (1ull << 11)
#define MSTATUS_MPV (1ull << 39)
#define MIP_VSSIP (1ull << 2)
#define MIP_VSTIP (1ull << 6)
#define MIP_VSEIP (1ull << 10)
#define MIE_MTIE (1ull << 7)
#define HSTATUS_SPVP (1ull << 8)

/* Exception causes (privileged spec, "Machine Cause Register"). */
#define CAUSE_FETCH_ACCESS 1u
#define CAUSE_ILLEGAL 2u
#define CAUSE_LOAD_ACCESS 5u
#define CAUSE_STORE_ACCESS 7u
#define CAUSE_ECALL_VS 10u
#define CAUSE_FETCH_GUEST_PAGE 20u
#define CAUSE_LOAD_GUEST_PAGE 21u
#define CAUSE_VIRTUAL_INSN 22u
#define CAUSE_STORE_GUEST_PAGE 23u
#define CAUSE_IRQ_MTIMER 7u

/* Exceptions the guest handles itself (medeleg and hedeleg): misaligned fetch, illegal
   instruction, breakpoint, misaligned load and store, ecall from VU, page faults. The rest stay
   here: access faults, ecall from VS (SBI), the guest-page faults, virtual instruction. */
#define HV_GUEST_EXCEPTIONS                                                                       \
    ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6) | (1u << 8) | (1u << 12) |         \
     (1u << 13) | (1u << 15))

/* ---- The guest's registers (start.S knows this layout) -------------------------------------- */
typedef struct hv_frame {
    uint64_t x[32]; /* x[0] stays 0 */
    uint64_t hv_sp; /* the hypervisor's stack while it handles a trap */
} hv_frame;

extern char hv_stack_top[];
void hv_enter(hv_frame *f) __attribute__((noreturn));
hv_frame *hv_trap(hv_frame *f);
uint64_t hv_fault(uint64_t cause, uint64_t epc, uint64_t tval);
void hv_main(void) __attribute__((noreturn));

static hv_frame guest;

/* GCC may call these even with -ffreestanding (struct copies, zeroing loops). */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n)
{
    unsigned char *p = (unsigned char *)d;
    while (n-- > 0)
        *p++ = (unsigned char)c;
    return d;
}
void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = (unsigned char *)d;
    const unsigned char *q = (const unsigned char *)s;
    while (n-- > 0)
        *p++ = *q++;
    return d;
}

/* ---- UART, exit --------------------------------------------------------------------------- */
static volatile uint8_t *const uart = (volatile uint8_t *)HV_UART;

static void putc_raw(uint8_t c)
{
    while ((uart[5] & 0x20u) == 0) /* LSR.THRE */
        ;
    uart[0] = c;
}

static void hv_putc(char c)
{
    if (c == '\n')
        putc_raw('\r');
    putc_raw((uint8_t)c);
}

static void hv_puts(const char *s)
{
    while (*s != '\0')
        hv_putc(*s++);
}

static void hv_put_hex(uint64_t v)
{
    int shift = 60;
    hv_puts("0x");
    while (shift > 0 && (v >> shift) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        hv_putc("0123456789abcdef"[(v >> shift) & 0xfu]);
}

static void hv_put_dec(uint64_t v)
{
    char d[20];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0)
        hv_putc(d[--n]);
}

static int uart_getc(void)
{
    if ((uart[5] & 0x01u) == 0) /* LSR.DR */
        return -1;
    return uart[0];
}

/* ---- Statistics: what the guest cost us ----------------------------------------------------- */
static struct {
    uint64_t mmio_reads, mmio_writes, sbi, ticks, other, refused;
    uint64_t insn_tinst, insn_fetched; /* where the trapped instruction came from */
    uint64_t irqs;                     /* times an interrupt line went up */
    uint64_t hv_instret; /* instructions retired inside hv_trap: exact under QEMU's -icount
                            (without it QEMU 7.2's instret counts host time, not instructions) */
} stats;

static void hv_exit(int status) __attribute__((noreturn));
static void hv_exit(int status)
{
    hv_puts("hv: guest stopped with status ");
    hv_put_dec((uint64_t)(uint32_t)status);
    hv_puts("; exits: mmio reads ");
    hv_put_dec(stats.mmio_reads);
    hv_puts(", mmio writes ");
    hv_put_dec(stats.mmio_writes);
    hv_puts(", sbi ");
    hv_put_dec(stats.sbi);
    hv_puts(", timer ");
    hv_put_dec(stats.ticks);
    hv_puts(", other ");
    hv_put_dec(stats.other);
    hv_puts("; instructions from mtinst ");
    hv_put_dec(stats.insn_tinst);
    hv_puts(", from guest memory ");
    hv_put_dec(stats.insn_fetched);
    hv_puts("; interrupts ");
    hv_put_dec(stats.irqs);
    hv_puts("; refused ");
    hv_put_dec(stats.refused);
    hv_puts("; hypervisor instructions ");
    hv_put_dec(stats.hv_instret);
    hv_puts(" of ");
    hv_put_dec(HV_CSR_READ(minstret));
    hv_puts("\n");
    volatile uint32_t *test = (volatile uint32_t *)HV_TEST;
    uint32_t code = (uint32_t)status & 0xffu;
    if (status != 0 && code == 0)
        code = 1;
    *test = code == 0 ? 0x5555u : (0x3333u | code << 16);
    for (;;)
        __asm__ volatile("wfi");
}

/* A refusal: what the guest did, said once per kind of thing up to a limit, counted always. */
static void refuse(const char *what, uint64_t addr, uint64_t pc)
{
    stats.refused++;
    if (stats.refused > 32)
        return;
    hv_puts("hv: refused ");
    hv_puts(what);
    hv_puts(" at ");
    hv_put_hex(addr);
    hv_puts(" (guest pc ");
    hv_put_hex(pc);
    hv_puts(")\n");
}

/* ---- Guest memory --------------------------------------------------------------------------- */
/* [gpa, gpa+len) -> a host pointer if all of it is guest RAM, else NULL. */
static void *gpa_to_host(uint64_t gpa, uint64_t len)
{
    if (gpa < HV_GUEST_GPA || len > HV_GUEST_SIZE || gpa - HV_GUEST_GPA > HV_GUEST_SIZE - len)
        return NULL;
    return (void *)(uintptr_t)(HV_GUEST_HPA + (gpa - HV_GUEST_GPA));
}

/* G-stage tables, Sv39x4 (privileged spec, "Two-Stage Address Translation"): a 16 KiB root of
   2048 entries, one level-1 table for GPA 2..3 GiB, 2 MiB leaves. G-stage leaves must have U
   set (every G-stage access counts as a user access); A and D are set so that no update is
   needed. */
static uint64_t gstage_root[2048] __attribute__((aligned(16384)));
static uint64_t gstage_l1[512] __attribute__((aligned(4096)));
#define PTE_V 0x01u
#define PTE_RWXU_AD (0x02u | 0x04u | 0x08u | 0x10u | 0x40u | 0x80u)

static void gstage_init(void)
{
    gstage_root[HV_GUEST_GPA >> 30] = ((uint64_t)(uintptr_t)gstage_l1 >> 12) << 10 | PTE_V;
    for (uint64_t off = 0; off < HV_GUEST_SIZE; off += 2ul << 20) {
        uint64_t gpa = HV_GUEST_GPA + off;
        gstage_l1[(gpa >> 21) & 511u] = ((HV_GUEST_HPA + off) >> 12) << 10 | PTE_V | PTE_RWXU_AD;
    }
    HV_CSR_WRITE(hgatp, 8ull << 60 | (uint64_t)(uintptr_t)gstage_root >> 12); /* Sv39x4, VMID 0 */
    __asm__ volatile(".option push\n.option arch, +h\nhfence.gvma zero, zero\n.option pop" ::
                         : "memory");
}

/* One 16-bit parcel of the guest's instruction at guest-virtual address gva, read as the guest
   sees it (HLVX: VS-stage and G-stage translation, execute permission). A fault here comes back
   to hv_fault, which skips the load and sets probe_faulted. */
static volatile int probing, probe_faulted;

static int fetch16(uint64_t gva, uint16_t *out)
{
    uint64_t v;
    probing = 1;
    probe_faulted = 0;
    __asm__ volatile(".option push\n.option arch, +h\nhlvx.hu %0, (%1)\n.option pop"
                     : "=&r"(v)
                     : "r"(gva)
                     : "memory");
    probing = 0;
    if (probe_faulted)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

uint64_t hv_fault(uint64_t cause, uint64_t epc, uint64_t tval)
{
    if (probing) {
        probe_faulted = 1;
        return epc + 4; /* hlvx.hu is a 32-bit instruction */
    }
    hv_puts("hv: trap in the hypervisor: cause ");
    hv_put_hex(cause);
    hv_puts(", pc ");
    hv_put_hex(epc);
    hv_puts(", tval ");
    hv_put_hex(tval);
    hv_puts("\n");
    hv_exit(98);
}

/* ---- Loads and stores that trapped ---------------------------------------------------------- */
typedef struct hv_access {
    int store;
    unsigned width; /* bytes */
    int sign;       /* a load that sign-extends */
    unsigned reg;   /* rd of a load, rs2 of a store */
    unsigned len;   /* instruction length: 2 or 4 */
} hv_access;

/* Decodes the integer loads and stores of RV64I and RV64C (unprivileged spec, "RV32I Base
   Integer Instruction Set: Load and Store Instructions" and "Compressed Instruction Formats").
   Anything else (atomics, floating point, a non-memory instruction): -1. */
static int decode(uint32_t insn, hv_access *a)
{
    if ((insn & 3u) == 3u) {
        unsigned op = insn & 0x7fu, f3 = (insn >> 12) & 7u;
        a->len = 4;
        if (op == 0x03u && f3 != 7u) { /* LB LH LW LD LBU LHU LWU */
            a->store = 0;
            a->width = 1u << (f3 & 3u);
            a->sign = f3 < 4u;
            a->reg = (insn >> 7) & 31u;
            return 0;
        }
        if (op == 0x23u && f3 < 4u) { /* SB SH SW SD */
            a->store = 1;
            a->width = 1u << f3;
            a->sign = 0;
            a->reg = (insn >> 20) & 31u;
            return 0;
        }
        return -1;
    }
    unsigned q = insn & 3u, f3 = (insn >> 13) & 7u;
    a->len = 2;
    a->sign = 1; /* C.LW sign-extends; C.LD needs none */
    if (q == 0u && (f3 == 2u || f3 == 3u || f3 == 6u || f3 == 7u)) { /* C.LW C.LD C.SW C.SD */
        a->store = f3 >= 6u;
        a->width = (f3 & 1u) ? 8u : 4u;
        a->reg = 8u + ((insn >> 2) & 7u); /* rd' or rs2' */
        return 0;
    }
    if (q == 2u && (f3 == 2u || f3 == 3u)) { /* C.LWSP C.LDSP */
        a->store = 0;
        a->width = (f3 & 1u) ? 8u : 4u;
        a->reg = (insn >> 7) & 31u;
        return 0;
    }
    if (q == 2u && (f3 == 6u || f3 == 7u)) { /* C.SWSP C.SDSP */
        a->store = 1;
        a->width = (f3 & 1u) ? 8u : 4u;
        a->reg = (insn >> 2) & 31u;
        return 0;
    }
    return -1;
}

/* The instruction that trapped, and its length: mtinst when the CPU gives one (a transformed
   instruction: bit 0 set; bit 1 clear when the original was a 16-bit one, the value then being
   its 32-bit equivalent), else read from guest memory at the pc (QEMU 7.2 leaves mtinst 0). */
static int trapped_insn(uint64_t tinst, uint64_t epc, uint32_t *insn, unsigned *len)
{
    uint16_t lo, hi;
    if (tinst != 0 && (tinst & 1u) == 0)
        return -1; /* a pseudoinstruction: the fault was the guest's page-table walk, not the
                      instruction's access (QEMU 7.2 never says so: a guest with paging and page
                      tables outside its RAM would be misread here) */
    if (tinst & 1u) {
        stats.insn_tinst++;
        *insn = (uint32_t)tinst | 3u;
        *len = (tinst & 2u) ? 4u : 2u;
        return 0;
    }
    stats.insn_fetched++;
    if (fetch16(epc, &lo) != 0)
        return -1;
    if ((lo & 3u) != 3u) {
        *insn = lo;
        *len = 2;
        return 0;
    }
    if (fetch16(epc + 2, &hi) != 0)
        return -1;
    *insn = (uint32_t)lo | (uint32_t)hi << 16;
    *len = 4;
    return 0;
}

/* Injects exception `cause` into the guest, as the CPU would have if it had been delegated
   (privileged spec, "Trap-Handling in VS-mode"): vsepc, vscause, vstval, vsstatus.SPP/SPIE/SIE,
   then the guest resumes at its vstvec. Returns the new pc. */
#define SSTATUS_SIE (1ull << 1)
#define SSTATUS_SPIE (1ull << 5)
#define SSTATUS_SPP (1ull << 8)
static uint64_t inject(uint64_t *mstatus, uint64_t epc, uint64_t cause, uint64_t tval)
{
    uint64_t vs = HV_CSR_READ(vsstatus);
    HV_CSR_WRITE(vsepc, epc);
    HV_CSR_WRITE(vscause, cause);
    HV_CSR_WRITE(vstval, tval);
    vs &= ~(SSTATUS_SPP | SSTATUS_SPIE);
    if (vs & SSTATUS_SIE)
        vs |= SSTATUS_SPIE;
    if ((*mstatus & MSTATUS_MPP) != 0)
        vs |= SSTATUS_SPP;
    vs &= ~SSTATUS_SIE;
    HV_CSR_WRITE(vsstatus, vs);
    *mstatus = (*mstatus & ~MSTATUS_MPP) | MSTATUS_MPP_S; /* the handler runs in VS */
    return HV_CSR_READ(vstvec) & ~3ull;
}

/* ---- The devices ---------------------------------------------------------------------------- */
static uint32_t hv_cfg;
static virtio_device_blk dev_blk;
static virtio_device_console dev_con;
static virtio_device_rng dev_rng;
static virtio_device *slot_dev[HV_SLOTS];
static uint32_t irq_lines; /* one bit per slot whose interrupt line is up */

typedef struct hv_slot_user {
    unsigned slot;
} hv_slot_user;
static hv_slot_user slot_user[HV_SLOTS];

static void *host_gpa(void *user, uint64_t gpa, uint64_t len, int write)
{
    (void)user;
    (void)write; /* the guest's RAM is all read-write */
    return gpa_to_host(gpa, len);
}

/* The interrupt hook: the guest sees a supervisor external interrupt while any line is up. */
static void host_irq(void *user, int level)
{
    uint32_t bit = 1u << ((hv_slot_user *)user)->slot;
    if (level)
        stats.irqs++;
    irq_lines = level ? (irq_lines | bit) : (irq_lines & ~bit);
    if (irq_lines != 0)
        HV_CSR_SET(hvip, MIP_VSEIP);
    else
        HV_CSR_CLEAR(hvip, MIP_VSEIP);
}

static void console_out(void *user, const uint8_t *p, size_t n)
{
    (void)user;
    for (size_t i = 0; i < n; i++)
        putc_raw(p[i]);
}

/* Not entropy: a xorshift generator seeded from the clock, enough for an example whose
   guest checks that two reads differ. Feed a real source here in anything else. */
static uint64_t rng_state;
static size_t rng_fill(void *user, uint8_t *p, size_t n)
{
    (void)user;
    for (size_t i = 0; i < n; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        p[i] = (uint8_t)(rng_state >> 32);
    }
    return n;
}

/* ---- The disk behind the emulated block device ------------------------------------------------
   A memory region (HV_DISK_HPA), or with HV_CFG_REAL_DISK the machine's own virtio-blk device,
   driven by this library's driver: the guest's driver talks to virtio_device.h, which talks to
   virtio_blk.h, which talks to QEMU. The device hands us byte ranges of any alignment (a guest
   may split a request's data at any byte); whole sectors go straight between the guest's
   buffer and the disk, partial ones through a bounce sector. */
static virtio_blk real_blk;
static uint8_t real_blk_mem[VIRTIO_BLK_MEM(64, 1)] __attribute__((aligned(4096)));
static uint8_t bounce[512];

static int real_read(void *user, uint64_t off, void *p, size_t n)
{
    uint8_t *o = (uint8_t *)p;
    (void)user;
    while (n > 0) {
        size_t in = (size_t)(off & 511u), k = 512u - in;
        if (in == 0 && n >= 512u) {
            k = n & ~(size_t)511u;
            if (virtio_blk_read(&real_blk, off >> 9, o, k) != 0)
                return -1;
        } else {
            k = k < n ? k : n;
            if (virtio_blk_read(&real_blk, off >> 9, bounce, 512u) != 0)
                return -1;
            hv_copy(o, bounce + in, k);
        }
        o += k;
        off += k;
        n -= k;
    }
    return 0;
}

static int real_write(void *user, uint64_t off, const void *p, size_t n)
{
    const uint8_t *i = (const uint8_t *)p;
    (void)user;
    while (n > 0) {
        size_t in = (size_t)(off & 511u), k = 512u - in;
        if (in == 0 && n >= 512u) {
            k = n & ~(size_t)511u;
            if (virtio_blk_write(&real_blk, off >> 9, i, k) != 0)
                return -1;
        } else { /* read, patch, write back */
            k = k < n ? k : n;
            if (virtio_blk_read(&real_blk, off >> 9, bounce, 512u) != 0)
                return -1;
            hv_copy(bounce + in, i, k);
            if (virtio_blk_write(&real_blk, off >> 9, bounce, 512u) != 0)
                return -1;
        }
        i += k;
        off += k;
        n -= k;
    }
    return 0;
}

static int real_flush(void *user)
{
    (void)user;
    return virtio_blk_can_flush(&real_blk) ? virtio_blk_flush(&real_blk) : 0;
}

/* The machine's first virtio-blk device (host-physical slots: the same addresses as the
   guest's emulated ones, in another address space). 0, or a VIRTIO_E* code. */
static int real_disk_init(void)
{
    virtio_mmio_slot slots[HV_SLOTS];
    int n = virtio_mmio_scan(NULL, (void *)HV_SLOT_GPA, HV_SLOT_SIZE, HV_SLOTS, slots, HV_SLOTS);
    for (int i = 0; i < n && i < (int)HV_SLOTS; i++) {
        if (slots[i].device_id != VIRTIO_ID_BLOCK)
            continue;
        virtio_transport t;
        virtio_regs regs = virtio_mmio_regs(slots[i].base);
        int r = virtio_mmio_transport(&t, &regs);
        virtio_blk_params p = {0};
        p.queue_size = 64;
        p.requests = 1; /* one request at a time: the guest's requests are served in order */
        if (r == 0)
            r = virtio_blk_init(&real_blk, &t, &p, real_blk_mem, sizeof real_blk_mem);
        if (r == 0 && virtio_blk_block_size(&real_blk) != 512u)
            r = VIRTIO_ENOTSUP;
        if (r == 0) {
            hv_puts("hv: disk: QEMU's virtio-blk at ");
            hv_put_hex((uint64_t)(uintptr_t)slots[i].base);
            hv_puts(", ");
            hv_put_dec(virtio_blk_capacity(&real_blk));
            hv_puts(" sectors, through virtio_blk.h\n");
        }
        return r;
    }
    return VIRTIO_ENODEV;
}

static void init_failed(const char *what, int r) __attribute__((noreturn));
static void init_failed(const char *what, int r)
{
    hv_puts("hv: ");
    hv_puts(what);
    hv_puts(" failed: ");
    hv_puts(virtio_result_str(r));
    hv_puts("\n");
    hv_exit(96);
}

/* One host description per slot (the interrupt hook needs to know whose line it is). Static:
   a device may keep the pointer. */
static virtio_device_host slot_host[HV_SLOTS];

static void devices_init(void)
{
    int legacy = (hv_cfg & HV_CFG_LEGACY) != 0;
    unsigned slot = HV_SLOTS;
    int r;
    for (unsigned i = 0; i < HV_SLOTS; i++) {
        slot_user[i].slot = i;
        slot_host[i].user = &slot_user[i];
        slot_host[i].gpa = host_gpa;
        slot_host[i].irq = host_irq;
    }
    /* Like QEMU, the first device takes the highest slot: the guest must scan. */
    if ((hv_cfg & HV_CFG_NO_BLK) == 0) {
        slot--;
        if (hv_cfg & HV_CFG_REAL_DISK) {
            static const virtio_device_blk_io io = {real_read, real_write, real_flush, NULL};
            r = real_disk_init();
            if (r != 0)
                init_failed("the real disk (virtio_blk_init)", r);
            r = virtio_device_blk_init_io(&dev_blk, &slot_host[slot], legacy, &io,
                                          virtio_blk_capacity(&real_blk));
            if (r == 0)
                virtio_device_blk_set_readonly(&dev_blk, virtio_blk_read_only(&real_blk));
        } else {
            r = virtio_device_blk_init(&dev_blk, &slot_host[slot], legacy, (void *)HV_DISK_HPA,
                                       HV_DISK_SIZE);
        }
        if (r != 0)
            init_failed("virtio_device_blk_init", r);
        slot_dev[slot] = &dev_blk.dev;
    }
    if ((hv_cfg & HV_CFG_NO_CONSOLE) == 0) {
        slot--;
        r = virtio_device_console_init(&dev_con, &slot_host[slot], legacy, console_out, NULL);
        if (r != 0)
            init_failed("virtio_device_console_init", r);
        slot_dev[slot] = &dev_con.dev;
    }
    if ((hv_cfg & HV_CFG_NO_RNG) == 0) {
        slot--;
        rng_state = *(volatile uint64_t *)HV_CLINT_MTIME * 0x9e3779b97f4a7c15ull | 1u;
        r = virtio_device_rng_init(&dev_rng, &slot_host[slot], legacy, rng_fill, NULL);
        if (r != 0)
            init_failed("virtio_device_rng_init", r);
        slot_dev[slot] = &dev_rng.dev;
    }
}

/* Console input: bytes from the UART wait here until the guest's console has buffers for them. */
static uint8_t con_in[256];
static size_t con_in_len;

static void console_feed(void)
{
    if ((hv_cfg & HV_CFG_NO_CONSOLE) != 0)
        return;
    int c;
    while (con_in_len < sizeof con_in && (c = uart_getc()) >= 0)
        con_in[con_in_len++] = (uint8_t)c;
    if (con_in_len == 0)
        return;
    size_t n = virtio_device_console_input(&dev_con, con_in, con_in_len);
    for (size_t i = n; i < con_in_len; i++)
        con_in[i - n] = con_in[i];
    con_in_len -= n;
}

/* An empty slot reads like QEMU's: the magic, the version, device ID 0, and zeros. */
static uint32_t empty_slot_read(uint64_t off)
{
    if (off == 0x000)
        return 0x74726976u;
    if (off == 0x004)
        return (hv_cfg & HV_CFG_LEGACY) ? 1u : 2u;
    return 0;
}

/* The guest's SiFive test device, as QEMU's: a 32-bit write of 0x5555 at offset 0 powers off
   (status 0), 0x3333 | code << 16 exits with `code`. The riscv64-sbi examples write it for a
   nonzero status; the hypervisor stops with that status. Loads read 0; a reset (0x7777) is
   refused: this hypervisor cannot reboot its guest. */
static void test_device(hv_frame *f, const hv_access *a, uint64_t gpa, uint64_t epc)
{
    if (!a->store) {
        if (a->reg != 0)
            f->x[a->reg] = 0;
        return;
    }
    uint32_t v = (uint32_t)f->x[a->reg];
    if (gpa == HV_TEST_GPA && a->width == 4u && (v & 0xffffu) == 0x5555u)
        hv_exit(0);
    if (gpa == HV_TEST_GPA && a->width == 4u && (v & 0xffffu) == 0x3333u)
        hv_exit((int)(v >> 16) != 0 ? (int)(v >> 16) : 1);
    refuse("a test device write other than pass or fail", gpa, epc);
}

/* ---- The MMIO trap: a load or store to an address G-stage does not map ------------------- */
static uint64_t mmio(hv_frame *f, uint64_t cause, uint64_t epc, uint64_t *mstatus)
{
    uint64_t gva = HV_CSR_READ(mtval), gpa = HV_CSR_READ(mtval2) << 2 | (gva & 3u);
    uint64_t tinst = HV_CSR_READ(mtinst);
    int store = cause == CAUSE_STORE_GUEST_PAGE;
    uint64_t access_fault = store ? CAUSE_STORE_ACCESS : CAUSE_LOAD_ACCESS;
    uint32_t insn;
    unsigned len;
    hv_access a;

    if (trapped_insn(tinst, epc, &insn, &len) != 0) {
        refuse("an access whose instruction cannot be read", gpa, epc);
        return inject(mstatus, epc, access_fault, gva);
    }
    if (decode(insn, &a) != 0 || a.store != store) {
        refuse(store ? "a store (atomic or floating point) to MMIO"
                     : "a load (floating point) from MMIO",
               gpa, epc);
        return inject(mstatus, epc, access_fault, gva);
    }
    a.len = len;
    if (gpa >= HV_TEST_GPA && gpa < HV_TEST_GPA + 0x1000u) {
        test_device(f, &a, gpa, epc);
        return epc + a.len;
    }
    uint64_t slot = (gpa - HV_SLOT_GPA) / HV_SLOT_SIZE, off = (gpa - HV_SLOT_GPA) % HV_SLOT_SIZE;
    if (gpa < HV_SLOT_GPA || slot >= HV_SLOTS || off % a.width != 0) {
        refuse(store ? "a store outside RAM and the devices" : "a load outside RAM and the devices",
               gpa, epc);
        return inject(mstatus, epc, access_fault, gva);
    }
    uint32_t v = 0;
    if (store) {
        stats.mmio_writes++;
        v = (uint32_t)f->x[a.reg];
        if (a.width == 8u) {
            refuse("a 64-bit store to a virtio-mmio register", gpa, epc);
        } else if (slot_dev[slot] != NULL) {
            int r = virtio_device_mmio(slot_dev[slot], off, a.width, 1, &v);
            if (r != 0)
                refuse("a store the device does not accept", gpa, epc);
        }
        console_feed(); /* a notify may have posted receive buffers */
    } else {
        stats.mmio_reads++;
        if (a.width == 8u) {
            refuse("a 64-bit load from a virtio-mmio register", gpa, epc);
        } else if (slot_dev[slot] != NULL) {
            if (virtio_device_mmio(slot_dev[slot], off, a.width, 0, &v) != 0) {
                refuse("a load the device does not accept", gpa, epc);
                v = 0;
            }
        } else if (a.width == 4u) {
            v = empty_slot_read(off);
        }
        uint64_t x = v;
        if (a.sign && a.width == 1u)
            x = (uint64_t)(int64_t)(int8_t)v;
        else if (a.sign && a.width == 2u)
            x = (uint64_t)(int64_t)(int16_t)v;
        else if (a.sign && a.width == 4u)
            x = (uint64_t)(int64_t)(int32_t)v;
        if (a.reg != 0)
            f->x[a.reg] = x;
    }
    return epc + a.len;
}

/* ---- SBI (the calls a bare-metal S-mode program makes) ---------------------------------------
   SBI 2.0: Base, legacy console and shutdown, TIME, DBCN (debug console), SRST (system reset).
   a7 = extension, a6 = function, a0..a5 = arguments; a0 = error, a1 = value. */
#define SBI_EXT_BASE 0x10u
#define SBI_EXT_TIME 0x54494d45u
#define SBI_EXT_DBCN 0x4442434eu
#define SBI_EXT_SRST 0x53525354u
#define SBI_ERR_NOT_SUPPORTED (-2)
#define SBI_ERR_INVALID_PARAM (-3)

static uint64_t guest_deadline = ~0ull;

static void timer_arm(void)
{
    uint64_t now = *(volatile uint64_t *)HV_CLINT_MTIME, next = guest_deadline;
    if ((hv_cfg & HV_CFG_NO_CONSOLE) == 0 && now + HV_TICK < next)
        next = now + HV_TICK;
    *(volatile uint64_t *)HV_CLINT_MTIMECMP = next;
}

static void guest_set_timer(uint64_t when)
{
    guest_deadline = when;
    HV_CSR_CLEAR(hvip, MIP_VSTIP);
    timer_arm();
}

static int sbi_probe(uint64_t ext)
{
    return ext == SBI_EXT_BASE || ext == SBI_EXT_TIME || ext == SBI_EXT_DBCN ||
           ext == SBI_EXT_SRST || ext == 0 || ext == 1 || ext == 2 || ext == 8;
}

/* The guest's status from an SRST reason: 0 none (status 0), 1 system failure (status 1), a
   vendor-specific reason 0xf0000000 + n (status n, the riscv64-sbi examples' plat_exit). */
static int srst_status(uint64_t reason)
{
    if (reason == 0)
        return 0;
    if ((reason & 0xffffffffull) >= 0xf0000000ull)
        return (int)(reason & 0xffu) != 0 ? (int)(reason & 0xffu) : 1;
    return 1;
}

static void sbi(hv_frame *f)
{
    uint64_t ext = f->x[17], fn = f->x[16], a0 = f->x[10], a1 = f->x[11], a2 = f->x[12];
    int64_t err = 0;
    uint64_t val = 0;

    stats.sbi++;
    switch (ext) {
    case 0: /* legacy set_timer */
        guest_set_timer(a0);
        f->x[10] = 0;
        return;
    case 1: /* legacy console_putchar */
        putc_raw((uint8_t)a0);
        f->x[10] = 0;
        return;
    case 2: /* legacy console_getchar */
        f->x[10] = (uint64_t)(int64_t)uart_getc();
        return;
    case 8: /* legacy shutdown */
        hv_exit(0);
    case SBI_EXT_BASE:
        if (fn == 0)
            val = 2u << 24; /* SBI 2.0 */
        else if (fn == 1)
            val = 0x76697274u; /* implementation ID: none registered; "virt" */
        else if (fn == 2)
            val = 1;
        else if (fn == 3)
            val = (uint64_t)sbi_probe(a0);
        else if (fn > 6)
            err = SBI_ERR_NOT_SUPPORTED;
        break;
    case SBI_EXT_TIME:
        if (fn == 0)
            guest_set_timer(a0);
        else
            err = SBI_ERR_NOT_SUPPORTED;
        break;
    case SBI_EXT_DBCN:
        if (fn == 0 || fn == 1) { /* write / read: a0 bytes at guest-physical a2:a1 */
            uint8_t *p = a2 != 0 ? NULL : (uint8_t *)gpa_to_host(a1, a0);
            if (p == NULL) {
                refuse("a debug console buffer outside RAM", a1, HV_CSR_READ(mepc));
                err = SBI_ERR_INVALID_PARAM;
                break;
            }
            if (fn == 0) {
                for (uint64_t i = 0; i < a0; i++)
                    putc_raw(p[i]);
                val = a0;
            } else {
                int c;
                while (val < a0 && (c = uart_getc()) >= 0)
                    p[val++] = (uint8_t)c;
            }
        } else if (fn == 2) {
            putc_raw((uint8_t)a0);
        } else {
            err = SBI_ERR_NOT_SUPPORTED;
        }
        break;
    case SBI_EXT_SRST:
        if (fn == 0 && a0 == 0) /* shutdown */
            hv_exit(srst_status(a1));
        err = a0 <= 2 ? SBI_ERR_NOT_SUPPORTED : SBI_ERR_INVALID_PARAM; /* no reboot */
        break;
    default:
        err = SBI_ERR_NOT_SUPPORTED;
        break;
    }
    f->x[10] = (uint64_t)err;
    f->x[11] = val;
}

/* ---- Traps from the guest ------------------------------------------------------------------- */
hv_frame *hv_trap(hv_frame *f)
{
    uint64_t t0 = HV_CSR_READ(minstret);
    uint64_t cause = HV_CSR_READ(mcause), epc = HV_CSR_READ(mepc);
    uint64_t status = HV_CSR_READ(mstatus);

    /* hstatus.SPVP: HLVX reads with the privilege the guest had (S, or U). */
    if ((status & MSTATUS_MPP) != 0)
        HV_CSR_SET(hstatus, HSTATUS_SPVP);
    else
        HV_CSR_CLEAR(hstatus, HSTATUS_SPVP);

    if (cause >> 63) {
        if ((cause & 0xffu) == CAUSE_IRQ_MTIMER) {
            stats.ticks++;
            if (*(volatile uint64_t *)HV_CLINT_MTIME >= guest_deadline) {
                HV_CSR_SET(hvip, MIP_VSTIP);
                guest_deadline = ~0ull;
            }
            console_feed();
            timer_arm();
        } else { /* everything else is delegated: this one would come back at once */
            hv_puts("hv: unexpected interrupt ");
            hv_put_hex(cause);
            hv_puts("\n");
            hv_exit(94);
        }
    } else {
        switch (cause) {
        case CAUSE_ECALL_VS:
            sbi(f);
            epc += 4;
            break;
        case CAUSE_LOAD_GUEST_PAGE:
        case CAUSE_STORE_GUEST_PAGE:
            epc = mmio(f, cause, epc, &status);
            break;
        case CAUSE_FETCH_GUEST_PAGE: {
            stats.other++;
            refuse("an instruction fetch outside RAM", HV_CSR_READ(mtval2) << 2, epc);
            uint64_t vector = inject(&status, epc, CAUSE_FETCH_ACCESS, HV_CSR_READ(mtval));
            if (vector == epc) { /* its trap vector is what faulted: it can never get out */
                hv_puts("hv: the guest's trap vector is outside its RAM: stopping it\n");
                hv_exit(95);
            }
            epc = vector;
            break;
        }
        case CAUSE_VIRTUAL_INSN: /* e.g. a hypervisor CSR: to the guest it is illegal */
            stats.other++;
            refuse("a hypervisor instruction or CSR", HV_CSR_READ(mtval), epc);
            epc = inject(&status, epc, CAUSE_ILLEGAL, HV_CSR_READ(mtval));
            break;
        default:
            hv_puts("hv: unexpected trap from the guest: cause ");
            hv_put_hex(cause);
            hv_puts(", pc ");
            hv_put_hex(epc);
            hv_puts(", tval ");
            hv_put_hex(HV_CSR_READ(mtval));
            hv_puts("\n");
            hv_exit(97);
        }
    }
    HV_CSR_WRITE(mepc, epc);
    HV_CSR_WRITE(mstatus, status);
    stats.hv_instret += HV_CSR_READ(minstret) - t0;
    return f;
}

void hv_main(void)
{
    hv_cfg = *(volatile uint32_t *)HV_CFG_ADDR;
    uart[3] = 0x03; /* 8N1 */
    uart[2] = 0x07; /* FIFOs on, cleared */
    hv_puts("hv: tiny hypervisor, guest RAM ");
    hv_put_hex(HV_GUEST_GPA);
    hv_puts("+");
    hv_put_dec(HV_GUEST_SIZE >> 20);
    hv_puts(" MiB, virtio-mmio ");
    hv_puts((hv_cfg & HV_CFG_LEGACY) ? "version 1 (legacy):" : "version 2 (modern):");
    if ((hv_cfg & HV_CFG_NO_BLK) == 0)
        hv_puts(" blk");
    if ((hv_cfg & HV_CFG_NO_CONSOLE) == 0)
        hv_puts(" console");
    if ((hv_cfg & HV_CFG_NO_RNG) == 0)
        hv_puts(" rng");
    hv_puts("\n");

    /* PMP: open all of memory to S and U (hence the guest); G-stage decides what it sees. */
    HV_CSR_WRITE(pmpaddr0, ~0ull >> 10);
    HV_CSR_WRITE(pmpcfg0, 0x1fu); /* NAPOT, R W X */

    devices_init();
    gstage_init();

    HV_CSR_WRITE(medeleg, HV_GUEST_EXCEPTIONS);
    HV_CSR_WRITE(hedeleg, HV_GUEST_EXCEPTIONS);
    /* VS-level interrupts go to the guest. The spec makes these mideleg bits read-only one
       when the H extension is there; QEMU 7.2 sets them only when mideleg is written. */
    HV_CSR_WRITE(mideleg, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP);
    HV_CSR_WRITE(hideleg, MIP_VSSIP | MIP_VSTIP | MIP_VSEIP);
    HV_CSR_WRITE(mcounteren, 7u); /* cycle, time, instret readable by the guest */
    HV_CSR_WRITE(hcounteren, 7u);
    HV_CSR_WRITE(htimedelta, 0);
    HV_CSR_WRITE(vsatp, 0);
    HV_CSR_WRITE(vsstatus, 0);
    HV_CSR_WRITE(hvip, 0);
    HV_CSR_WRITE(mie, MIE_MTIE);
    timer_arm();

    /* Enter the guest: VS-mode (MPP = S, MPV = 1) at its entry, a0 = hart 0, a1 = no device
       tree (the examples then scan the virt machine's slots). */
    uint64_t st = HV_CSR_READ(mstatus);
    st = (st & ~MSTATUS_MPP) | MSTATUS_MPP_S | MSTATUS_MPV;
    HV_CSR_WRITE(mstatus, st);
    HV_CSR_WRITE(mepc, HV_GUEST_ENTRY);
    guest.hv_sp = (uint64_t)(uintptr_t)hv_stack_top;
    guest.x[10] = 0;
    guest.x[11] = 0;
    hv_enter(&guest);
}
