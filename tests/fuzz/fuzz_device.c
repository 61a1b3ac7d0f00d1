/* fuzz_device.c - libFuzzer target: a hostile driver against virtio_device.h.
   clang -fsanitize=fuzzer,address,undefined -I. tests/fuzz/fuzz_device.c

   The input is a program. Byte 0 picks the device (echo with two queues, block, console,
   entropy), legacy or modern, and whether EVENT_IDX is offered. Then each operation is one
   opcode byte and its operands: register reads and writes of any offset and width, writes of
   guest RAM, descriptors and available-ring entries, a well-formed bring-up (so the fuzzer
   reaches the rings quickly), host input to the console. Guest RAM is one malloc of exactly
   RAM_SIZE bytes and gpa grants only ranges inside it (checked naively: a + len <= end), so
   ASan reports any device access beyond what gpa granted. The properties checked besides "no crash, no hang, no UB": the
   interrupt line is high exactly while InterruptStatus is nonzero, and once NEEDS_RESET is set
   a notification is refused until reset. */
#define VIRTIO_IMPLEMENTATION
#include "../../virtio.h"
#define VIRTIO_DEVICE_IMPLEMENTATION
#include "../../virtio_device.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RAM_GPA  0x80000000ull
#define RAM_SIZE 0x4000u
#define DISK     2048u

static uint8_t *ram;
static uint8_t *disk;
static int irq_level;

static void *f_gpa(void *user, uint64_t a, uint64_t len, int write) {
    (void)user;
    (void)write;
    /* the naive check a hasty hypervisor writes: the device must never ask for a range that
       wraps past 2^64, or this grants memory far outside RAM */
    if (a < RAM_GPA || a + len > RAM_GPA + RAM_SIZE) return NULL;
    return ram + (a - RAM_GPA);
}
static void f_irq(void *user, int level) {
    (void)user;
    irq_level = level;
}

typedef struct echo {
    virtio_device dev;
    virtio_device_chain chain;
} echo;
static void echo_notify(virtio_device *d, uint32_t q) {
    echo *e = (echo *)d;
    uint8_t buf[64];
    size_t n;
    while (virtio_device_pop(d, q, &e->chain) > 0) {
        n = virtio_device_chain_read(&e->chain, 1, buf, sizeof buf);
        n = virtio_device_chain_write(&e->chain, 3, buf, n);
        virtio_device_push(d, q, &e->chain, (uint32_t)n + 3u);
    }
}
static int echo_config(virtio_device *d, uint32_t off, unsigned width, uint32_t v) {
    (void)width;
    d->config[off] = (uint8_t)v;
    return off & 1u;
}
static const virtio_device_ops echo_ops = {0x7e, 2, 8, 8, 1u << 3, echo_notify, echo_config, NULL};

static void con_out(void *user, const uint8_t *p, size_t n) {
    volatile uint8_t sink = 0;
    (void)user;
    while (n--)
        sink ^= *p++; /* touch every byte: ASan checks the range */
    (void)sink;
}
static size_t rng_fill(void *user, uint8_t *p, size_t n) {
    size_t i;
    (void)user;
    if (n > 7) n = 7;
    for (i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 37u);
    return n;
}

static struct {
    echo e;
    virtio_device_blk blk;
    virtio_device_console con;
    virtio_device_rng rng;
} devs;

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;
static uint32_t take(reader *r, unsigned bytes) {
    uint32_t v = 0;
    unsigned i;
    for (i = 0; i < bytes; i++) {
        v |= (uint32_t)(r->n ? *r->p : 0) << (8u * i);
        if (r->n) r->p++, r->n--;
    }
    return v;
}

static uint32_t mmio(virtio_device *d, uint32_t off, unsigned width, int write, uint32_t v) {
    (void)virtio_device_mmio(d, off, width, write, &v);
    return v;
}

/* The rings of queue q in the bring-up: at q * 0x1000, used ring 0x800 further. */
static void bring_up(virtio_device *d, int legacy, uint32_t features, uint32_t qsize) {
    uint32_t q, nq = d->ops->queues;
    mmio(d, VIRTIO_MMIO_STATUS, 4, 1, 0);
    mmio(d, VIRTIO_MMIO_STATUS, 4, 1, 1);
    mmio(d, VIRTIO_MMIO_STATUS, 4, 1, 3);
    mmio(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1, 0);
    mmio(d, VIRTIO_MMIO_DRIVER_FEATURES, 4, 1, features);
    mmio(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1, 1);
    mmio(d, VIRTIO_MMIO_DRIVER_FEATURES, 4, 1, legacy ? 0 : 1);
    if (!legacy) mmio(d, VIRTIO_MMIO_STATUS, 4, 1, 11);
    for (q = 0; q < nq; q++) {
        uint64_t base = RAM_GPA + 0x1000u * q;
        mmio(d, VIRTIO_MMIO_QUEUE_SEL, 4, 1, q);
        mmio(d, VIRTIO_MMIO_QUEUE_SIZE, 4, 1, qsize);
        if (legacy) {
            mmio(d, VIRTIO_MMIO_QUEUE_ALIGN, 4, 1, 0x800);
            mmio(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4, 1, 0x1000);
            mmio(d, VIRTIO_MMIO_QUEUE_PFN, 4, 1, (uint32_t)(base >> 12));
        } else {
            mmio(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 4, 1, (uint32_t)base);
            mmio(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, 4, 1, (uint32_t)base + 16u * qsize);
            mmio(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, 4, 1, (uint32_t)base + 0x800u);
            mmio(d, VIRTIO_MMIO_QUEUE_READY, 4, 1, 1);
        }
    }
    mmio(d, VIRTIO_MMIO_STATUS, 4, 1, mmio(d, VIRTIO_MMIO_STATUS, 4, 0, 0) | 4u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    reader r;
    virtio_device_host h;
    virtio_device *d;
    uint32_t sel, legacy, qsize = 8;
    uint16_t avail_idx[2] = {0, 0};
    unsigned steps = 0;
    r.p = data;
    r.n = size;
    if (!ram) ram = (uint8_t *)malloc(RAM_SIZE);
    if (!disk) disk = (uint8_t *)malloc(DISK);
    if (!ram || !disk) abort();
    memset(ram, 0, RAM_SIZE);
    memset(disk, 0x5a, DISK);
    memset(&devs, 0, sizeof devs);
    memset(&h, 0, sizeof h);
    irq_level = 0;
    h.gpa = f_gpa;
    h.irq = f_irq;
    sel = take(&r, 1);
    legacy = (sel >> 2) & 1u;
    switch (sel & 3u) {
    case 0:
        virtio_device_init(&devs.e.dev, &echo_ops, &h, (int)legacy);
        d = &devs.e.dev;
        break;
    case 1:
        virtio_device_blk_init(&devs.blk, &h, (int)legacy, disk, DISK);
        virtio_device_blk_set_readonly(&devs.blk, (sel >> 4) & 1);
        d = &devs.blk.dev;
        break;
    case 2:
        virtio_device_console_init(&devs.con, &h, (int)legacy, con_out, NULL);
        d = &devs.con.dev;
        break;
    default:
        virtio_device_rng_init(&devs.rng, &h, (int)legacy, rng_fill, NULL);
        d = &devs.rng.dev;
        break;
    }
    if (sel & 8u) virtio_device_set_offer(d, virtio_device_offered(d) & ~(1ull << 29));
    while (r.n && steps++ < 4096) {
        uint32_t op = take(&r, 1), off, width, v, q, i;
        switch (op % 9u) {
        case 0: /* register write */
            off = take(&r, 2) & 0x1ffu;
            width = 1u << (take(&r, 1) % 4u);
            v = take(&r, 4);
            mmio(d, off, width, 1, v);
            break;
        case 1: /* register read */
            off = take(&r, 2) & 0x1ffu;
            width = 1u << (take(&r, 1) % 4u);
            (void)mmio(d, off, width, 0, 0);
            break;
        case 2: /* guest RAM bytes */
            off = take(&r, 2) % RAM_SIZE;
            v = take(&r, 1) % 64u;
            for (i = 0; i < v && off + i < RAM_SIZE; i++)
                ram[off + i] = (uint8_t)take(&r, 1);
            break;
        case 3:                               /* the well-formed bring-up */
            qsize = 1u << (take(&r, 1) % 4u); /* 1..8 */
            bring_up(d, (int)legacy, take(&r, 4), qsize);
            avail_idx[0] = avail_idx[1] = 0;
            break;
        case 4: { /* a descriptor of queue q (bring-up layout); v: bit 15 a raw 64-bit address, else
                     RAM_GPA - 0x100 + (v & 0x3fff); bit 14 a 32-bit length, else 8-bit */
            uint8_t *e;
            q = take(&r, 1) & 1u;
            i = take(&r, 1) % 8u;
            e = ram + 0x1000u * q + 16u * i;
            v = take(&r, 2);
            virtio_put_le64(e, (v & 0x8000u) ? ((uint64_t)take(&r, 4) << 32 | take(&r, 4))
                                             : RAM_GPA + (v & 0x3fffu) - 0x100u);
            virtio_put_le32(e + 8, (v & 0x4000u) ? take(&r, 4) : take(&r, 1));
            virtio_put_le16(e + 12, (uint16_t)take(&r, 1));
            virtio_put_le16(e + 14, (uint16_t)take(&r, 1));
            break;
        }
        case 5: /* publish a head (bring-up layout) and notify */
            q = take(&r, 1);
            v = take(&r, 1);
            avail_idx[q & 1u] = (uint16_t)(avail_idx[q & 1u] + ((q & 2u) ? take(&r, 2) : 1u));
            virtio_put_le16(ram + 0x1000u * (q & 1u) + 16u * qsize + 4u +
                                2u * ((avail_idx[q & 1u] - 1u) % qsize),
                            (uint16_t)v);
            virtio_put_le16(ram + 0x1000u * (q & 1u) + 16u * qsize + 2u, avail_idx[q & 1u]);
            mmio(d, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 1, q & 1u);
            break;
        case 6: { /* host input to the console */
            uint8_t in[40];
            v = take(&r, 1) % sizeof in;
            for (i = 0; i < v; i++)
                in[i] = (uint8_t)take(&r, 1);
            if ((sel & 3u) == 2) virtio_device_console_input(&devs.con, in, v);
            break;
        }
        case 7: /* a host configuration change */
            if ((sel & 3u) == 2)
                virtio_device_console_resize(&devs.con, (uint16_t)take(&r, 2), 9);
            else
                virtio_device_config_changed(d);
            break;
        default: /* the interrupt handler: read and acknowledge */
            mmio(d, VIRTIO_MMIO_INTERRUPT_ACK, 4, 1,
                 mmio(d, VIRTIO_MMIO_INTERRUPT_STATUS, 4, 0, 0));
            break;
        }
        /* the line is high exactly while InterruptStatus is nonzero */
        if (irq_level != (mmio(d, VIRTIO_MMIO_INTERRUPT_STATUS, 4, 0, 0) != 0)) abort();
        /* NEEDS_RESET: every notification refused */
        if ((virtio_device_status(d) & VIRTIO_STATUS_NEEDS_RESET) &&
            virtio_device_mmio(d, VIRTIO_MMIO_QUEUE_NOTIFY, 4, 1, &(uint32_t){0}) !=
                VIRTIO_ENEEDS_RESET)
            abort();
    }
    return 0;
}
