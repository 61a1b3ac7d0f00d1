/* test_fdt.c - host tests of virtio_fdt_find_mmio, virtio.h's device tree reader.

   - the blobs QEMU 7.2 passes its riscv64 and aarch64 `virt` machines (tests/fixtures/, see its
     README), every slot checked for its exact base, size and interrupt;
   - hand-built blobs, one per class of malformation, and the cases a reader must get right
     (1-cell addresses, compatible lists, status, interrupt specifiers, NOPs, depth);
   - every truncation of each real blob, three ways, each copy in a malloc of exactly its
     length so that ASan reports a read one byte past it;
   - a few thousand random mutations of the real blobs (fixed seed) that must not crash.
   Run from the top of the repository (the fixtures are found at FDT_FIXTURES). */
#define VIRTIO_IMPLEMENTATION
#include "virtio.h"
#include "test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FDT_FIXTURES
#define FDT_FIXTURES "tests/fixtures"
#endif

/* ---- Blobs -------------------------------------------------------------------------------- */
typedef struct blob {
    unsigned char *p;
    size_t n;
} blob;

static blob load(const char *name) {
    char path[256];
    blob b = {NULL, 0};
    FILE *f;
    long n;
    snprintf(path, sizeof path, "%s/%s", FDT_FIXTURES, name);
    f = fopen(path, "rb");
    if (!f) return b;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        b.p = (unsigned char *)malloc((size_t)n);
        if (b.p && fread(b.p, 1, (size_t)n, f) == (size_t)n)
            b.n = (size_t)n;
        else {
            free(b.p);
            b.p = NULL;
        }
    }
    fclose(f);
    return b;
}

/* A copy of src[0..n) in a malloc of exactly n bytes (1 for n == 0, never read): the last
   byte of the copy is the last byte ASan lets anyone read. */
static unsigned char *exact_copy(const unsigned char *src, size_t n) {
    unsigned char *p = (unsigned char *)malloc(n ? n : 1);
    if (p && n) memcpy(p, src, n);
    return p;
}

static uint32_t get_be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* ---- A tiny blob builder: tokens and strings, then the header ------------------------------ */
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u

typedef struct builder {
    unsigned char st[4096];
    size_t nst;
    char str[1024];
    size_t nstr;
    unsigned char out[8192] __attribute__((aligned(8)));
    size_t nout;
} builder;

static void b_word(builder *b, uint32_t v) {
    put_be32(b->st + b->nst, v);
    b->nst += 4;
}
static void b_bytes(builder *b, const void *p, size_t n) {
    memcpy(b->st + b->nst, p, n);
    b->nst += n;
    while (b->nst & 3u)
        b->st[b->nst++] = 0;
}
static void b_begin(builder *b, const char *name) {
    b_word(b, FDT_BEGIN_NODE);
    b_bytes(b, name, strlen(name) + 1);
}
static void b_end(builder *b) { b_word(b, FDT_END_NODE); }
static uint32_t b_name(builder *b, const char *name) {
    size_t i = 0;
    while (i < b->nstr) { /* reuse a name already there */
        if (strcmp(b->str + i, name) == 0) return (uint32_t)i;
        i += strlen(b->str + i) + 1;
    }
    memcpy(b->str + b->nstr, name, strlen(name) + 1);
    b->nstr += strlen(name) + 1;
    return (uint32_t)i;
}
static void b_prop(builder *b, const char *name, const void *v, size_t n) {
    b_word(b, FDT_PROP);
    b_word(b, (uint32_t)n);
    b_word(b, b_name(b, name));
    b_bytes(b, v, n);
}
static void b_prop_str(builder *b, const char *name, const char *s) {
    b_prop(b, name, s, strlen(s) + 1);
}
static void b_prop_cells(builder *b, const char *name, int n, ...) {
    unsigned char v[64];
    va_list ap;
    int i;
    va_start(ap, n);
    for (i = 0; i < n; i++)
        put_be32(v + 4 * i, va_arg(ap, uint32_t));
    va_end(ap);
    b_prop(b, name, v, (size_t)n * 4);
}
/* header (40 bytes), an empty memory reservation block (16), structure block, strings */
static void b_finish(builder *b) {
    size_t st = 56, so = st + b->nst;
    memset(b->out, 0, sizeof b->out);
    put_be32(b->out, 0xd00dfeedu);
    put_be32(b->out + 4, (uint32_t)(so + b->nstr));
    put_be32(b->out + 8, (uint32_t)st);
    put_be32(b->out + 12, (uint32_t)so);
    put_be32(b->out + 16, 40);
    put_be32(b->out + 20, 17);
    put_be32(b->out + 24, 16);
    put_be32(b->out + 32, (uint32_t)b->nstr);
    put_be32(b->out + 36, (uint32_t)b->nst);
    memcpy(b->out + st, b->st, b->nst);
    memcpy(b->out + so, b->str, b->nstr);
    b->nout = so + b->nstr;
}
/* The start every hand-built blob shares: a root with 2/2 cells and a `soc` bus. */
static void b_start(builder *b, uint32_t ac, uint32_t sc) {
    memset(b, 0, sizeof *b);
    b_begin(b, "");
    b_prop_cells(b, "#address-cells", 1, 2u);
    b_prop_cells(b, "#size-cells", 1, 2u);
    b_begin(b, "soc");
    b_prop_cells(b, "#address-cells", 1, ac);
    b_prop_cells(b, "#size-cells", 1, sc);
}
/* A virtio node under soc with 2/2 cells. */
static void b_virtio(builder *b, uint64_t base, uint32_t irq) {
    b_begin(b, "virtio_mmio@0");
    b_prop_cells(b, "interrupts", 1, irq);
    b_prop_cells(b, "reg", 4, (uint32_t)(base >> 32), (uint32_t)base, 0u, 0x1000u);
    b_prop_str(b, "compatible", "virtio,mmio");
    b_end(b);
}
static void b_close(builder *b) { /* soc, root, FDT_END, header */
    b_end(b);
    b_end(b);
    b_word(b, FDT_END);
    b_finish(b);
}

/* Calls the reader on a copy of b's blob in a malloc of exactly its size. */
static int run(const unsigned char *p, size_t n, virtio_fdt_mmio *out, int max) {
    unsigned char *c = exact_copy(p, n);
    int r = virtio_fdt_find_mmio(c, n, out, max);
    free(c);
    return r;
}
static int run_b(builder *b, virtio_fdt_mmio *out, int max) {
    return run(b->out, b->nout, out, max);
}

/* ---- The QEMU blobs ------------------------------------------------------------------------ */
/* What the machines' sources say (QEMU 7.2 hw/riscv/virt.c, hw/arm/virt.c): riscv, 8 slots
   of 0x1000 from 0x10001000, PLIC sources 1..8, one interrupt cell, nodes in descending
   address order; aarch64, 32 slots of 0x200 from 0x0a000000, GIC SPIs 16..47 (type 0, edge
   rising = 1), ascending. */
static void check_qemu(const char *file, int arm) {
    blob b = load(file);
    virtio_fdt_mmio out[40];
    int n, i, want = arm ? 32 : 8;
    if (!b.p) T_SKIP("%s/%s not readable", FDT_FIXTURES, file);
    memset(out, 0xa5, sizeof out);
    n = run(b.p, b.n, out, 40);
    free(b.p);
    CHECK_EQ(n, want);
    for (i = 0; i < n; i++) {
        unsigned slot = arm ? (unsigned)i : (unsigned)(7 - i);
        uint64_t base = arm ? 0x0a000000u + 0x200u * slot : 0x10001000u + 0x1000u * slot;
        CHECK_MSG(out[i].base == base, "%s node %d: base 0x%llx want 0x%llx", file, i,
                  (unsigned long long)out[i].base, (unsigned long long)base);
        CHECK_EQ(out[i].size, arm ? 0x200u : 0x1000u);
        CHECK_EQ(out[i].irq, arm ? 16u + slot : 1u + slot);
        CHECK_EQ(out[i].irq_cells, arm ? 3u : 1u);
    }
    /* out of room: the count is still the whole, and nothing past max_out is written */
    memset(out, 0xa5, sizeof out);
    b = load(file);
    CHECK_EQ(run(b.p, b.n, out, 3), want);
    CHECK_EQ(run(b.p, b.n, NULL, 0), want);
    /* a max_size larger than totalsize is fine: only totalsize is read */
    {
        unsigned char *big = (unsigned char *)malloc(b.n + 64);
        CHECK(big != NULL);
        memcpy(big, b.p, b.n);
        n = virtio_fdt_find_mmio(big, b.n + 64, out, 3);
        free(big);
        CHECK_EQ(n, want);
    }
    free(b.p);
    CHECK_EQ(out[3].base, 0xa5a5a5a5a5a5a5a5ull);
    CHECK_EQ(out[2].size, arm ? 0x200u : 0x1000u);
}
static void t_riscv64(void) { check_qemu("riscv64-virt.dtb", 0); }
static void t_aarch64(void) { check_qemu("aarch64-virt.dtb", 1); }

/* Every prefix of a real blob, three ways, each in a buffer that ends where the prefix ends:
   (a) max_size = len, header untouched: totalsize > max_size, an error;
   (b) totalsize = len too: an error, or a correct prefix of the real list;
   (c) also the block sizes cut to what fits: the walker reads a structure block that stops
       early, so it must run out of tokens cleanly (error) or give a correct prefix. */
static void check_truncations(const char *file) {
    blob b = load(file);
    virtio_fdt_mmio full[40], out[40];
    int nfull, r, way, i;
    size_t len;
    unsigned long errors = 0, prefixes = 0;
    if (!b.p) T_SKIP("%s/%s not readable", FDT_FIXTURES, file);
    nfull = run(b.p, b.n, full, 40);
    CHECK_GE(nfull, 1);
    for (len = 0; len < b.n; len++) {
        for (way = 0; way < 3; way++) {
            unsigned char *c = exact_copy(b.p, len);
            CHECK(c != NULL);
            if (way >= 1 && len >= 8) put_be32(c + 4, (uint32_t)len);
            if (way == 2 && len >= 40) {
                uint32_t so = get_be32(c + 8), ss = get_be32(c + 36);
                uint32_t to = get_be32(c + 12), ts = get_be32(c + 32);
                if (so + ss > len) put_be32(c + 36, so <= len ? (uint32_t)((len - so) & ~3u) : 0);
                if (to + ts > len) put_be32(c + 32, to <= len ? (uint32_t)(len - to) : 0);
            }
            memset(out, 0, sizeof out);
            r = virtio_fdt_find_mmio(c, len, out, 40);
            free(c);
            if (r < 0) {
                errors++;
                CHECK_MSG(r == (len < 40 ? VIRTIO_ENODEV : VIRTIO_EINVAL),
                          "%s len %zu way %d: %d (%s)", file, len, way, r, t_rc_name(r));
                continue;
            }
            prefixes++;
            CHECK_MSG(way > 0, "%s len %zu: totalsize above max_size accepted", file, len);
            CHECK_LE(r, nfull);
            for (i = 0; i < r; i++)
                CHECK_MSG(memcmp(&out[i], &full[i], sizeof out[i]) == 0,
                          "%s len %zu way %d: node %d differs", file, len, way, i);
        }
    }
    free(b.p);
    printf("INFO fdt: %s: %zu lengths x 3: %lu errors, %lu correct prefixes\n", file, b.n, errors,
           prefixes);
}
static void t_trunc_riscv64(void) { check_truncations("riscv64-virt.dtb"); }
static void t_trunc_aarch64(void) { check_truncations("aarch64-virt.dtb"); }

/* Random mutations (fixed seed): a few bytes or words changed, sometimes the length cut; the
   reader must not crash or read outside (ASan), and whatever it returns must make sense. */
static uint32_t rng_state = 0x1234567u;
static uint32_t rnd(void) { /* xorshift32 */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}
static void t_mutations(void) {
    static const uint32_t words[] = {
        0,    1,    2,           3,           4,           9,           0x10,       0x11,
        0x28, 0x38, 0xffffffffu, 0x7fffffffu, 0x80000000u, 0xfffffffcu, 0xd00dfeedu};
    blob bl[2];
    virtio_fdt_mmio out[8];
    int iter, k, r;
    unsigned long ok = 0, err = 0;
    bl[0] = load("riscv64-virt.dtb");
    bl[1] = load("aarch64-virt.dtb");
    if (!bl[0].p || !bl[1].p) {
        free(bl[0].p);
        free(bl[1].p);
        T_SKIP("fixtures not readable");
    }
    for (iter = 0; iter < 6000; iter++) {
        blob *b = &bl[iter & 1];
        size_t n = b->n;
        unsigned char *c;
        if (rnd() % 8 == 0) n = rnd() % (b->n + 1);
        c = exact_copy(b->p, n);
        CHECK(c != NULL);
        for (k = (int)(1 + rnd() % 6); k > 0 && n >= 4; k--) {
            size_t at = rnd() % 4 == 0 ? rnd() % (n < 40 ? n : 40) : rnd() % n;
            if (rnd() & 1)
                c[at] = (unsigned char)rnd();
            else
                put_be32(c + ((at & ~(size_t)3) + 4 <= n ? at & ~(size_t)3 : n - 4),
                         words[rnd() % (sizeof words / sizeof words[0])]);
        }
        r = virtio_fdt_find_mmio(c, n, out, (int)(rnd() % 9));
        free(c);
        if (r < 0) {
            err++;
            CHECK_MSG(r == VIRTIO_EINVAL || r == VIRTIO_ENODEV, "iteration %d: %d", iter, r);
        } else {
            ok++;
            CHECK_LE(r, n / 8);
        }
    }
    free(bl[0].p);
    free(bl[1].p);
    printf("INFO fdt: 6000 mutated blobs: %lu parsed, %lu refused\n", ok, err);
}

/* ---- Hand-built blobs: what must be read right -------------------------------------------- */
static void t_good(void) {
    builder b;
    virtio_fdt_mmio out[8];
    b_start(&b, 2, 2);
    b_word(&b, FDT_NOP);
    b_virtio(&b, 0x123456789000ull, 5);
    b_word(&b, FDT_NOP);
    b_close(&b);
    CHECK_EQ(run_b(&b, out, 8), 1);
    CHECK_EQ(out[0].base, 0x123456789000ull);
    CHECK_EQ(out[0].size, 0x1000u);
    CHECK_EQ(out[0].irq, 5u);
    CHECK_EQ(out[0].irq_cells, 1u);
}

/* 1-cell address and size (a 32-bit bus), a compatible list, interrupt specifiers of 0, 2 and
   3 cells, status values. */
static void t_cells_lists_status(void) {
    builder b;
    virtio_fdt_mmio out[8];
    static const char list[] = "arm,foo\0virtio,mmio\0bar"; /* with its final NUL */
    b_start(&b, 1, 1);
    b_begin(&b, "a"); /* in a list, no interrupts */
    b_prop(&b, "compatible", list, sizeof list);
    b_prop_cells(&b, "reg", 2, 0x1000u, 0x200u);
    b_end(&b);
    b_begin(&b, "b"); /* two cells: the first; status okay */
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_prop_str(&b, "status", "okay");
    b_prop_cells(&b, "reg", 4, 0x2000u, 0x300u, 0x9999u, 0x9999u); /* only the first pair */
    b_prop_cells(&b, "interrupts", 2, 7u, 4u);
    b_end(&b);
    b_begin(&b, "c"); /* disabled: skipped */
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_prop_str(&b, "status", "disabled");
    b_prop_cells(&b, "reg", 2, 0x3000u, 0x200u);
    b_end(&b);
    b_begin(&b, "d"); /* GIC: three cells, the SPI number; status "ok" */
    b_prop_str(&b, "status", "ok");
    b_prop_cells(&b, "interrupts", 3, 0u, 0x2fu, 1u);
    b_prop_cells(&b, "reg", 2, 0x4000u, 0x200u);
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_end(&b);
    b_begin(&b, "e"); /* "fail": not usable, skipped */
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_prop_str(&b, "status", "fail");
    b_prop_cells(&b, "reg", 2, 0x5000u, 0x200u);
    b_end(&b);
    b_begin(&b, "f"); /* near misses of the string: not virtio */
    b_prop(&b, "compatible", "virtio,mmio-x\0xvirtio,mmio\0virtio,mmi", 38);
    b_end(&b);
    b_begin(&b, "g"); /* a child of a virtio node: the parent is judged first */
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_prop_cells(&b, "reg", 2, 0x6000u, 0x200u);
    b_prop_cells(&b, "#address-cells", 1, 3u); /* for g's children, none of them virtio */
    b_begin(&b, "child");
    b_prop_cells(&b, "reg", 3, 1u, 2u, 3u);
    b_end(&b);
    b_end(&b);
    b_close(&b);
    memset(out, 0, sizeof out);
    CHECK_EQ(run_b(&b, out, 8), 4);
    CHECK_EQ(out[0].base, 0x1000u);
    CHECK_EQ(out[0].size, 0x200u);
    CHECK_EQ(out[0].irq, 0u);
    CHECK_EQ(out[0].irq_cells, 0u);
    CHECK_EQ(out[1].base, 0x2000u);
    CHECK_EQ(out[1].size, 0x300u);
    CHECK_EQ(out[1].irq, 7u);
    CHECK_EQ(out[1].irq_cells, 2u);
    CHECK_EQ(out[2].base, 0x4000u);
    CHECK_EQ(out[2].irq, 0x2fu);
    CHECK_EQ(out[2].irq_cells, 3u);
    CHECK_EQ(out[3].base, 0x6000u);
}

/* A PCI-like bus with 3 address cells, holding no virtio node, is no error; a virtio node
   directly under the root reads with the root's cells; the defaults (2 and 1) apply when a
   parent does not say. */
static void t_other_buses(void) {
    builder b;
    virtio_fdt_mmio out[4];
    memset(&b, 0, sizeof b);
    b_begin(&b, "");
    b_prop_cells(&b, "#address-cells", 1, 1u);
    b_prop_cells(&b, "#size-cells", 1, 1u);
    b_begin(&b, "pci");
    b_prop_cells(&b, "#address-cells", 1, 3u);
    b_prop_cells(&b, "#size-cells", 1, 2u);
    b_prop_cells(&b, "reg", 2, 0x30000000u, 0x1000u);
    b_begin(&b, "dev");
    b_prop_cells(&b, "reg", 5, 0u, 0u, 0u, 0u, 0u);
    b_end(&b);
    b_end(&b);
    b_begin(&b, "virtio@a0000");
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_prop_cells(&b, "reg", 2, 0xa0000u, 0x200u);
    b_end(&b);
    b_begin(&b, "bus"); /* no cells given: 2 and 1 */
    b_begin(&b, "virtio@b0000");
    b_prop_str(&b, "compatible", "virtio,mmio");
    b_prop_cells(&b, "reg", 3, 0x1u, 0xb0000u, 0x400u);
    b_end(&b);
    b_end(&b);
    b_end(&b);
    b_word(&b, FDT_END);
    b_finish(&b);
    CHECK_EQ(run_b(&b, out, 4), 2);
    CHECK_EQ(out[0].base, 0xa0000u);
    CHECK_EQ(out[0].size, 0x200u);
    CHECK_EQ(out[1].base, 0x1000b0000ull);
    CHECK_EQ(out[1].size, 0x400u);
}

/* 16 levels deep is fine, 17 is refused. */
static void nest(builder *b, int levels, int virtio_at_bottom) {
    int i;
    memset(b, 0, sizeof *b);
    for (i = 0; i < levels; i++)
        b_begin(b, i ? "n" : "");
    if (virtio_at_bottom) {
        b_prop_str(b, "compatible", "virtio,mmio");
        b_prop_cells(b, "reg", 3, 0u, 0x1000u, 0x1000u);
    }
    for (i = 0; i < levels; i++)
        b_end(b);
    b_word(b, FDT_END);
    b_finish(b);
}
static void t_depth(void) {
    builder b;
    virtio_fdt_mmio out[1];
    nest(&b, 16, 1);
    CHECK_EQ(run_b(&b, out, 1), 1);
    CHECK_EQ(out[0].base, 0x1000u);
    nest(&b, 17, 0);
    CHECK_RC(run_b(&b, out, 1), VIRTIO_EINVAL);
    nest(&b, 200, 0);
    CHECK_RC(run_b(&b, out, 1), VIRTIO_EINVAL);
}

/* Caller errors. */
static void t_args(void) {
    builder b;
    virtio_fdt_mmio out[2];
    b_start(&b, 2, 2);
    b_virtio(&b, 0x1000, 1);
    b_close(&b);
    CHECK_RC(virtio_fdt_find_mmio(NULL, 100, out, 2), VIRTIO_EINVAL);
    CHECK_RC(virtio_fdt_find_mmio(b.out, b.nout, NULL, 1), VIRTIO_EINVAL);
    CHECK_RC(virtio_fdt_find_mmio(b.out, b.nout, out, -1), VIRTIO_EINVAL);
    memmove(b.out + 4, b.out, b.nout); /* misaligned by 4 is fine, by 2 is not */
    CHECK_EQ(virtio_fdt_find_mmio(b.out + 4, b.nout, out, 2), 1);
    memmove(b.out + 2, b.out + 4, b.nout);
    CHECK_RC(virtio_fdt_find_mmio(b.out + 2, b.nout, out, 2), VIRTIO_EINVAL);
    CHECK_EQ(virtio_fdt_find_mmio(b.out + 2, b.nout, NULL, 0), VIRTIO_EINVAL);
}

/* ---- Hand-built blobs: one per class of malformation --------------------------------------- */
typedef struct bad {
    const char *name;
    void (*make)(builder *b);
    int want; /* 0: VIRTIO_EINVAL */
} bad;

static void good_blob(builder *b) {
    b_start(b, 2, 2);
    b_virtio(b, 0x10001000u, 1);
    b_close(b);
}
/* header faults, on the good blob */
static void m_magic(builder *b) { good_blob(b), b->out[0] ^= 1; }
static void m_version(builder *b) { good_blob(b), put_be32(b->out + 20, 16); }
static void m_last_comp(builder *b) { good_blob(b), put_be32(b->out + 24, 18); }
static void m_total_big(builder *b) { good_blob(b), put_be32(b->out + 4, (uint32_t)b->nout + 1); }
static void m_total_small(builder *b) { good_blob(b), put_be32(b->out + 4, 39); }
static void m_short(builder *b) { good_blob(b), b->nout = 39; }
static void m_struct_off(builder *b) { good_blob(b), put_be32(b->out + 8, (uint32_t)b->nout + 4); }
static void m_struct_odd(builder *b) { good_blob(b), put_be32(b->out + 8, 58); }
static void m_struct_size(builder *b) { good_blob(b), put_be32(b->out + 36, (uint32_t)b->nout); }
static void m_struct_wrap(builder *b) { good_blob(b), put_be32(b->out + 36, 0xfffffffcu); }
static void m_struct_size_odd(builder *b) {
    good_blob(b), put_be32(b->out + 36, get_be32(b->out + 36) - 2);
}
static void m_strings_off(builder *b) {
    good_blob(b), put_be32(b->out + 12, (uint32_t)b->nout + 1);
}
static void m_strings_size(builder *b) {
    good_blob(b), put_be32(b->out + 32, get_be32(b->out + 32) + 1);
}
static void m_strings_wrap(builder *b) { good_blob(b), put_be32(b->out + 32, 0xffffffffu); }
/* structure faults */
static void m_bad_token(builder *b) {
    b_start(b, 2, 2);
    b_word(b, 5);
    b_close(b);
}
static void m_no_end(builder *b) { /* the block stops after the root's END_NODE */
    b_start(b, 2, 2);
    b_end(b);
    b_end(b);
    b_finish(b);
}
static void m_end_in_node(builder *b) {
    b_start(b, 2, 2);
    b_word(b, FDT_END);
    b_finish(b);
}
static void m_extra_end_node(builder *b) {
    b_start(b, 2, 2);
    b_end(b);
    b_end(b);
    b_end(b);
    b_word(b, FDT_END);
    b_finish(b);
}
static void m_prop_outside(builder *b) {
    memset(b, 0, sizeof *b);
    b_prop_str(b, "compatible", "virtio,mmio");
    b_begin(b, "");
    b_end(b);
    b_word(b, FDT_END);
    b_finish(b);
}
static void m_prop_after_subnode(builder *b) {
    b_start(b, 2, 2);
    b_begin(b, "x");
    b_end(b);
    b_prop_str(b, "compatible", "virtio,mmio");
    b_close(b);
}
static void m_name_unterminated(builder *b) { /* the block ends inside a node name */
    b_start(b, 2, 2);
    b_word(b, FDT_BEGIN_NODE);
    memcpy(b->st + b->nst, "abcd", 4);
    b->nst += 4;
    b_finish(b);
}
static void m_prop_len(builder *b) { /* value runs past the block */
    b_start(b, 2, 2);
    b_word(b, FDT_PROP);
    b_word(b, 0x100);
    b_word(b, b_name(b, "reg"));
    b_close(b);
}
static void m_prop_len_huge(builder *b) {
    b_start(b, 2, 2);
    b_word(b, FDT_PROP);
    b_word(b, 0xfffffff8u);
    b_word(b, b_name(b, "reg"));
    b_close(b);
}
static void m_prop_cut(builder *b) { /* a PROP token with no room for len and nameoff */
    b_start(b, 2, 2);
    b_end(b);
    b_end(b);
    b_word(b, FDT_PROP);
    b_finish(b);
}
static void m_nameoff(builder *b) {
    b_start(b, 2, 2);
    b_word(b, FDT_PROP);
    b_word(b, 0);
    b_word(b, 1000);
    b_close(b);
}
static void m_string_unterminated(builder *b) { /* the strings block ends inside a name */
    b_start(b, 2, 2);
    b_virtio(b, 0x1000, 1);
    b_begin(b, "x");
    b_word(b, FDT_PROP);
    b_word(b, 0);
    b_word(b, (uint32_t)b->nstr);
    memcpy(b->str + b->nstr, "abc", 3);
    b->nstr += 3;
    b_end(b);
    b_close(b);
}
static void m_compatible_unterminated(builder *b) {
    b_start(b, 2, 2);
    b_begin(b, "v");
    b_prop(b, "compatible", "virtio,mmio", 11); /* the padding after it is a NUL */
    b_prop_cells(b, "reg", 4, 0u, 0x1000u, 0u, 0x1000u);
    b_end(b);
    b_close(b);
}
static void m_compatible_empty(builder *b) {
    b_start(b, 2, 2);
    b_begin(b, "v");
    b_prop(b, "compatible", "", 0);
    b_end(b);
    b_close(b);
}
static void m_status_unterminated(builder *b) {
    b_start(b, 2, 2);
    b_begin(b, "v");
    b_prop(b, "status", "okay", 4);
    b_end(b);
    b_close(b);
}
static void m_address_cells_3(builder *b) {
    b_start(b, 3, 2);
    b_virtio(b, 0x1000, 1);
    b_close(b);
}
static void m_address_cells_0(builder *b) {
    b_start(b, 0, 2);
    b_virtio(b, 0x1000, 1);
    b_close(b);
}
static void m_size_cells_0(builder *b) {
    b_start(b, 2, 0);
    b_virtio(b, 0x1000, 1);
    b_close(b);
}
static void m_size_cells_big(builder *b) {
    b_start(b, 2, 0x80000001u);
    b_virtio(b, 0x1000, 1);
    b_close(b);
}
static void m_cells_len(builder *b) { /* #address-cells of 8 bytes */
    b_start(b, 2, 2);
    b_prop_cells(b, "#address-cells", 2, 0u, 2u);
    b_virtio(b, 0x1000, 1);
    b_close(b);
}
static void m_reg_short(builder *b) {
    b_start(b, 2, 2);
    b_begin(b, "v");
    b_prop_str(b, "compatible", "virtio,mmio");
    b_prop_cells(b, "reg", 3, 0u, 0x1000u, 0u);
    b_end(b);
    b_close(b);
}
static void m_reg_missing(builder *b) {
    b_start(b, 2, 2);
    b_begin(b, "v");
    b_prop_str(b, "compatible", "virtio,mmio");
    b_end(b);
    b_close(b);
}

static const bad bads[] = {
    {"bad magic", m_magic, VIRTIO_ENODEV},
    {"version 16", m_version, 0},
    {"last_comp_version 18", m_last_comp, 0},
    {"totalsize above max_size", m_total_big, 0},
    {"totalsize below the header", m_total_small, 0},
    {"max_size below the header", m_short, VIRTIO_ENODEV},
    {"structure block outside", m_struct_off, 0},
    {"structure block misaligned", m_struct_odd, 0},
    {"structure block too long", m_struct_size, 0},
    {"structure block size wraps", m_struct_wrap, 0},
    {"structure block size not whole tokens", m_struct_size_odd, 0},
    {"strings block outside", m_strings_off, 0},
    {"strings block too long", m_strings_size, 0},
    {"strings block size wraps", m_strings_wrap, 0},
    {"unknown token", m_bad_token, 0},
    {"no FDT_END", m_no_end, 0},
    {"FDT_END inside a node", m_end_in_node, 0},
    {"END_NODE without a node", m_extra_end_node, 0},
    {"property outside a node", m_prop_outside, 0},
    {"property after a subnode", m_prop_after_subnode, 0},
    {"node name unterminated", m_name_unterminated, 0},
    {"property past the block", m_prop_len, 0},
    {"property length wraps", m_prop_len_huge, 0},
    {"property header cut", m_prop_cut, 0},
    {"property name offset outside", m_nameoff, 0},
    {"property name unterminated", m_string_unterminated, 0},
    {"compatible unterminated", m_compatible_unterminated, 0},
    {"compatible empty", m_compatible_empty, 0},
    {"status unterminated", m_status_unterminated, 0},
    {"#address-cells 3 on a virtio parent", m_address_cells_3, 0},
    {"#address-cells 0 on a virtio parent", m_address_cells_0, 0},
    {"#size-cells 0 on a virtio parent", m_size_cells_0, 0},
    {"#size-cells huge on a virtio parent", m_size_cells_big, 0},
    {"#address-cells of 8 bytes", m_cells_len, 0},
    {"reg too short", m_reg_short, 0},
    {"reg missing", m_reg_missing, 0},
};

static const bad *cur_bad;
static void t_bad(void) {
    builder b;
    virtio_fdt_mmio out[4];
    good_blob(&b); /* the base case is good, so each fault alone is what is refused */
    CHECK_EQ(run_b(&b, out, 4), 1);
    cur_bad->make(&b);
    CHECK_RC(run_b(&b, out, 4), cur_bad->want ? cur_bad->want : VIRTIO_EINVAL);
}

typedef struct tcase_fdt {
    const char *name;
    void (*fn)(void);
} tcase_fdt;

static const tcase_fdt cases[] = {
    {"qemu riscv64 virt: 8 slots, base, size, PLIC source", t_riscv64},
    {"qemu aarch64 virt: 32 slots, base, size, GIC SPI", t_aarch64},
    {"every truncation of the riscv64 blob", t_trunc_riscv64},
    {"every truncation of the aarch64 blob", t_trunc_aarch64},
    {"random mutations of both blobs", t_mutations},
    {"a virtio node with NOPs around", t_good},
    {"1-cell bus, compatible list, interrupts of 0/2/3 cells, status", t_cells_lists_status},
    {"other buses, root's cells, default cells", t_other_buses},
    {"nesting: 16 levels read, 17 refused", t_depth},
    {"caller errors: NULL, misaligned, max_out", t_args},
};

int main(void) {
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t_begin("fdt: %s", cases[i].name);
        cases[i].fn();
        t_end();
    }
    for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        cur_bad = &bads[i];
        t_begin("fdt: refuses %s", bads[i].name);
        t_bad();
        t_end();
    }
    return t_summary("test_fdt");
}
