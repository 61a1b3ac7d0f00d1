/* hvtest.c - a guest that tries what the hypervisor (hv.c) must refuse, and checks that it was
   refused the way a real machine would: S-mode, SBI, linked at guest-physical 0x80200000
   (guest_start.S, guest.ld). tests/qemu/hv_test.py boots it inside hv.elf.

   Checks, in order:
   - SBI: base version 2.0, DBCN and SRST present; a DBCN write from a buffer outside the
     guest's RAM fails with SBI_ERR_INVALID_PARAM (the hypervisor must not read it);
   - the virtio-mmio slots: magic in every one, one entropy device; a compressed load (c.lw)
     and store (c.sw) reach the registers;
   - a write to a read-only register (MagicValue) changes nothing; loads of 8, 16 and 64 bits
     from a register read 0 (registers are 32-bit);
   - a load and a store outside RAM and the devices, and a load past the end of RAM, each raise
     an access fault in the guest (cause 5 or 7, stval the address);
   - a hypervisor CSR (hgatp) is an illegal instruction to the guest (cause 2);
   - the entropy device (virtio_rng.h): a read works and leaves no interrupt pending; a buffer
     outside the guest's RAM, submitted, makes the device set DEVICE_NEEDS_RESET instead of
     writing there, with a configuration interrupt the guest takes (supervisor external
     interrupt) while it is up, and no more once it resets the device; a blocking read into
     such a buffer fails with VIRTIO_ENEEDS_RESET; after init again a read works.
   Last line "PASS" and status 0, or "FAIL: <what>" and status 1. */

#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#define VIRTIO_RNG_IMPLEMENTATION
#include "virtio_rng.h"

#define SLOTS 8u
#define SLOT_BASE 0x10001000ul
#define SLOT_STRIDE 0x1000ul
#define NOWHERE 0x40000000ul   /* neither RAM nor a device in the guest's view */
#define PAST_RAM 0x88000000ul  /* just past the guest's 128 MiB */

/* Written by guest_start.S's trap vector. */
volatile struct {
    uint64_t cause, tval, count;
} guest_traps;

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int main(void);
void guest_exit(int status) __attribute__((noreturn));

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

/* ---- SBI ---------------------------------------------------------------------------------- */
typedef struct sbiret {
    long error, value;
} sbiret;

static sbiret sbi(unsigned long ext, unsigned long fn, unsigned long a0, unsigned long a1,
                  unsigned long a2)
{
    register unsigned long r0 __asm__("a0") = a0, r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2, r6 __asm__("a6") = fn, r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    sbiret r = {(long)r0, (long)r1};
    return r;
}

#define SBI_DBCN 0x4442434eul
#define SBI_SRST 0x53525354ul

static void put(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\n')
            sbi(SBI_DBCN, 2, '\r', 0, 0);
        sbi(SBI_DBCN, 2, (unsigned char)*s, 0, 0);
    }
}

static void put_hex(uint64_t v)
{
    char b[19];
    int n = 18;
    b[n] = '\0';
    do {
        b[--n] = "0123456789abcdef"[v & 15u];
        v >>= 4;
    } while (v != 0);
    b[--n] = 'x';
    b[--n] = '0';
    put(b + n);
}

void guest_exit(int status)
{
    sbi(SBI_SRST, 0, 0, status == 0 ? 0 : 0xf0000000ul | (unsigned)(status & 0xff), 0);
    for (;;)
        ;
}

static void fail(const char *what, uint64_t got)
{
    put("FAIL: ");
    put(what);
    put(" (got ");
    put_hex(got);
    put(")\n");
    guest_exit(1);
}

static void check(int ok, const char *what, uint64_t got)
{
    if (!ok)
        fail(what, got);
}

/* ---- Accesses the hypervisor traps ------------------------------------------------------- */
static uint64_t load64(uintptr_t a)
{
    uint64_t v;
    __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static uint32_t load32c(uintptr_t a) /* c.lw: a compressed load (rd', rs1' in x8..x15) */
{
    register uintptr_t p __asm__("a1") = a;
    register int64_t v __asm__("a0");
    __asm__ volatile("c.lw %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
    return (uint32_t)v;
}

static void store32c(uintptr_t a, uint32_t v) /* c.sw: a compressed store */
{
    register uintptr_t p __asm__("a1") = a;
    register uint32_t x __asm__("a2") = v;
    __asm__ volatile("c.sw %0, 0(%1)" : : "r"(x), "r"(p) : "memory");
}

/* The supervisor external interrupt the hypervisor injects (hvip.VSEIP), taken: enabled in
   sie and sstatus around f(); the trap vector records it and masks it. (Reading sip would be
   simpler, but QEMU 7.2 shows only the software interrupt bit in a VS-mode sip.) Returns the
   number of external interrupts taken. */
#define SCAUSE_SEI (1ull << 63 | 9u)
static unsigned with_seie(void (*f)(void))
{
    uint64_t n = guest_traps.count;
    __asm__ volatile("csrs sie, %0" : : "r"(1ul << 9) : "memory");
    __asm__ volatile("csrs sstatus, %0" : : "r"(1ul << 1) : "memory");
    f();
    __asm__ volatile("csrc sstatus, %0" : : "r"(1ul << 1) : "memory");
    __asm__ volatile("csrc sie, %0" : : "r"(1ul << 9) : "memory");
    if (guest_traps.count == n || guest_traps.cause != SCAUSE_SEI)
        return 0;
    return (unsigned)(guest_traps.count - n);
}

static void nothing(void)
{
}

static void store32(uintptr_t a, uint32_t v)
{
    __asm__ volatile("sw %0, 0(%1)" : : "r"(v), "r"(a) : "memory");
}

/* A load that must fault: the trap vector skips it; returns the cause seen (0 = none). */
static uint64_t faulting_load(uintptr_t a)
{
    uint64_t n = guest_traps.count;
    (void)*(volatile uint32_t *)a;
    return guest_traps.count != n ? guest_traps.cause : 0;
}

static uint64_t faulting_store(uintptr_t a)
{
    uint64_t n = guest_traps.count;
    *(volatile uint32_t *)a = 0x12345678u;
    return guest_traps.count != n ? guest_traps.cause : 0;
}

static uint8_t rng_mem[VIRTIO_RNG_MEM(8)] __attribute__((aligned(4096)));
static uint8_t buf[64];
static virtio_rng rng;

static void kick(void)
{
    virtio_rng_kick(&rng);
}

int main(void)
{
    put("hvtest: a guest that tries what the hypervisor must refuse\n");

    /* SBI. */
    sbiret r = sbi(0x10, 0, 0, 0, 0);
    check(r.error == 0 && r.value == 0x2000000, "SBI spec version 2.0", (uint64_t)r.value);
    check(sbi(0x10, 3, SBI_DBCN, 0, 0).value == 1, "SBI probe DBCN", 0);
    check(sbi(0x10, 3, SBI_SRST, 0, 0).value == 1, "SBI probe SRST", 0);
    check(sbi(0x10, 3, 0x12345678, 0, 0).value == 0, "SBI probe of an unknown extension", 0);
    r = sbi(SBI_DBCN, 0, 16, NOWHERE, 0);
    check(r.error == -3, "DBCN write from outside RAM: SBI_ERR_INVALID_PARAM", (uint64_t)r.error);
    static const char hello[] = "hvtest: DBCN write\n";
    r = sbi(SBI_DBCN, 0, sizeof hello - 1, (uintptr_t)hello, 0);
    check(r.error == 0 && r.value == (long)sizeof hello - 1, "DBCN write", (uint64_t)r.error);

    /* The slots. */
    uintptr_t rng_slot = 0;
    for (unsigned i = 0; i < SLOTS; i++) {
        uintptr_t b = SLOT_BASE + i * SLOT_STRIDE;
        check(*(volatile uint32_t *)b == 0x74726976u, "magic in every slot", b);
        if (*(volatile uint32_t *)(b + 8) == 4u)
            rng_slot = b;
    }
    check(rng_slot != 0, "an entropy device in some slot", 0);
    put("hvtest: entropy device at ");
    put_hex(rng_slot);
    put("\n");
    check(load32c(rng_slot) == 0x74726976u, "c.lw of MagicValue", load32c(rng_slot));

    /* A compressed store: Status (0x70) reset, ACKNOWLEDGE, read back, reset. */
    store32c(rng_slot + 0x70, 0);
    store32c(rng_slot + 0x70, 1);
    check(load32c(rng_slot + 0x70) == 1, "c.sw then c.lw of Status", load32c(rng_slot + 0x70));
    store32c(rng_slot + 0x70, 0);
    check(load32c(rng_slot + 0x70) == 0, "Status after reset", load32c(rng_slot + 0x70));

    /* Refused register accesses: registers below 0x100 are 32-bit only (a narrower load reads
       0, as on QEMU's own virtio-mmio), MagicValue is read-only. */
    check(*(volatile uint16_t *)(rng_slot + 2) == 0, "16-bit load of MagicValue reads 0",
          *(volatile uint16_t *)(rng_slot + 2));
    check(*(volatile uint8_t *)(rng_slot + 1) == 0, "8-bit load of MagicValue reads 0",
          *(volatile uint8_t *)(rng_slot + 1));
    store32(rng_slot, 0xdeadbeefu);
    check(*(volatile uint32_t *)rng_slot == 0x74726976u, "MagicValue after a write to it",
          *(volatile uint32_t *)rng_slot);
    check(load64(rng_slot) == 0, "64-bit load of a register reads 0", load64(rng_slot));

    /* Outside RAM and the devices: access faults in the guest. */
    uint64_t c = faulting_load(NOWHERE);
    check(c == 5 && guest_traps.tval == NOWHERE, "load from nowhere: load access fault", c);
    c = faulting_store(NOWHERE);
    check(c == 7 && guest_traps.tval == NOWHERE, "store to nowhere: store access fault", c);
    c = faulting_load(PAST_RAM);
    check(c == 5, "load past the end of RAM: load access fault", c);
    c = faulting_load(SLOT_BASE - 4);
    check(c == 5, "load just below the slots: load access fault", c);

    /* A hypervisor CSR. */
    uint64_t n = guest_traps.count;
    __asm__ volatile(".option push\n.option arch, +h\ncsrr t0, hgatp\n.option pop" ::: "t0");
    check(guest_traps.count == n + 1 && guest_traps.cause == 2,
          "reading hgatp: illegal instruction", guest_traps.cause);

    /* The entropy device, and a buffer outside RAM. */
    virtio_transport t;
    virtio_regs regs = virtio_mmio_regs((void *)rng_slot);
    int e = virtio_mmio_transport(&t, &regs);
    check(e == 0, "virtio_mmio_transport", (uint64_t)(int64_t)e);
    e = virtio_rng_init(&rng, &t, NULL, rng_mem, sizeof rng_mem);
    check(e == 0, "virtio_rng_init", (uint64_t)(int64_t)e);
    e = virtio_rng_read(&rng, buf, sizeof buf);
    check(e == 0, "virtio_rng_read", (uint64_t)(int64_t)e);
    check(with_seie(nothing) == 0, "no interrupt pending after a polled read", 0);
    /* A buffer outside RAM, submitted: the device sets NEEDS_RESET and raises its configuration
       interrupt, which the hypervisor injects (hvip.VSEIP) until the driver resets the device. */
    e = virtio_rng_submit(&rng, (void *)NOWHERE, 64);
    check(e == 0, "virtio_rng_submit outside RAM", (uint64_t)(int64_t)e);
    check(with_seie(kick) == 1, "one external interrupt after the kick", guest_traps.cause);
    check((*(volatile uint32_t *)(rng_slot + 0x70) & 64u) != 0, "NEEDS_RESET after the kick",
          *(volatile uint32_t *)(rng_slot + 0x70));
    check((*(volatile uint32_t *)(rng_slot + 0x60) & 2u) != 0, "configuration interrupt",
          *(volatile uint32_t *)(rng_slot + 0x60));
    check(with_seie(nothing) == 1, "the interrupt stays up until the reset", 0);
    put("hvtest: NEEDS_RESET and its interrupt seen\n");
    e = virtio_rng_reset(&rng);
    check(e == 0, "virtio_rng_reset", (uint64_t)(int64_t)e);
    check(with_seie(nothing) == 0, "no interrupt after the reset", 0);
    e = virtio_rng_init(&rng, &t, NULL, rng_mem, sizeof rng_mem);
    check(e == 0, "virtio_rng_init after the reset", (uint64_t)(int64_t)e);
    e = virtio_rng_read(&rng, (void *)NOWHERE, 64);
    put("hvtest: read into a buffer outside RAM: ");
    put(virtio_result_str(e));
    put("\n");
    check(e == VIRTIO_ENEEDS_RESET, "virtio_rng_read outside RAM: VIRTIO_ENEEDS_RESET",
          (uint64_t)(int64_t)e);
    e = virtio_rng_init(&rng, &t, NULL, rng_mem, sizeof rng_mem);
    check(e == 0, "virtio_rng_init again", (uint64_t)(int64_t)e);
    e = virtio_rng_read(&rng, buf, sizeof buf);
    check(e == 0, "virtio_rng_read after init again", (uint64_t)(int64_t)e);
    virtio_rng_reset(&rng);

    put("PASS\n");
    return 0;
}
