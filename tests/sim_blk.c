/* sim_blk.c - the simulated virtio-blk device (a RAM disk): see sim_blk.h. */
#include "sim_blk.h"

#include <stdlib.h>
#include <string.h>

static int drv_has(const sim *s, unsigned bit) { return (s->drv_features & SIM_F(bit)) != 0; }

uint8_t sim_disk_pattern(uint64_t byte) {
    uint64_t x = (byte + 1) * 0x9E3779B97F4A7C15ull;
    return (uint8_t)((x >> 56) ^ (x >> 29));
}

static uint8_t blk_rw(sim *s, sim_chain *c, int out, uint64_t sector, uint64_t len) {
    uint64_t n = len / 512u;
    if (len % 512u) {
        sim_violation(s, "blk: %s of %llu bytes, not a multiple of 512", out ? "write" : "read",
                      (unsigned long long)len);
        return SIM_BLK_S_IOERR;
    }
    if (sector > s->capacity || n > s->capacity - sector) {
        sim_violation(s, "blk: %s of sectors %llu+%llu past capacity %llu", out ? "write" : "read",
                      (unsigned long long)sector, (unsigned long long)n,
                      (unsigned long long)s->capacity);
        return SIM_BLK_S_IOERR;
    }
    /* QEMU fails a request that is not whole logical blocks with IOERR (the spec calls
       blk_size a hint; QEMU enforces it). */
    if (drv_has(s, SIM_BLK_F_BLK_SIZE)) {
        uint64_t bs = sim_cfg_r(s, 20, 4) / 512u;
        if (bs > 1 && ((sector | n) & (bs - 1))) return SIM_BLK_S_IOERR;
    }
    if (out) {
        /* QEMU answers a write to a read-only drive with IOERR and writes nothing. */
        if (s->blk_ro) return SIM_BLK_S_IOERR;
        sim_chain_copy(c, 0, 16, s->disk + sector * 512u, len, 0);
    } else {
        sim_chain_copy(c, 1, 0, s->disk + sector * 512u, len, 1);
    }
    return SIM_BLK_S_OK;
}

static uint8_t blk_dwz(sim *s, sim_log *lg, sim_chain *c, uint32_t type) {
    int discard = type == SIM_BLK_T_DISCARD;
    unsigned feat = discard ? SIM_BLK_F_DISCARD : SIM_BLK_F_WRITE_ZEROES;
    uint32_t max_sectors = (uint32_t)sim_cfg_r(s, discard ? 36u : 48u, 4);
    uint32_t max_seg = (uint32_t)sim_cfg_r(s, discard ? 40u : 52u, 4);
    uint64_t bytes = c->rlen - 16, i, nseg;
    uint8_t st = SIM_BLK_S_OK;
    if (!drv_has(s, feat)) {
        sim_violation(s, "blk: %s request without negotiating the feature",
                      discard ? "discard" : "write-zeroes");
        return SIM_BLK_S_UNSUPP;
    }
    if (bytes == 0 || bytes % 16u) {
        sim_violation(s, "blk: discard/write-zeroes data of %llu bytes", (unsigned long long)bytes);
        return SIM_BLK_S_IOERR;
    }
    nseg = bytes / 16u;
    lg->dwz_nseg = (uint32_t)nseg;
    if (nseg > max_seg)
        sim_violation(s, "blk: %llu discard/write-zeroes segments, max %u",
                      (unsigned long long)nseg, max_seg);
    for (i = 0; i < nseg; i++) {
        uint8_t seg[16];
        uint64_t sector;
        uint32_t num, flags;
        sim_chain_copy(c, 0, 16 + 16 * i, seg, 16, 0);
        sector = sim_ld64(s, seg); /* device order: legacy is the guest's */
        num = sim_ld32(s, seg + 8);
        flags = sim_ld32(s, seg + 12);
        if (i == 0) {
            lg->dwz_sector = sector;
            lg->dwz_num = num;
            lg->dwz_flags = flags;
        }
        if (flags & ~1u) return SIM_BLK_S_UNSUPP;
        if (discard && (flags & 1u)) {
            sim_violation(s, "blk: discard with the unmap flag set");
            return SIM_BLK_S_UNSUPP;
        }
        if (num > max_sectors)
            sim_violation(s, "blk: %s of %u sectors, max %u", discard ? "discard" : "write-zeroes",
                          num, max_sectors);
        if (sector > s->capacity || num > s->capacity - sector) {
            sim_violation(s, "blk: discard/write-zeroes past capacity");
            return SIM_BLK_S_IOERR;
        }
        if (s->blk_ro) return SIM_BLK_S_IOERR;
        memset(s->disk + sector * 512u, 0, (size_t)num * 512u);
    }
    return st;
}

static uint32_t be_blk(sim *s, sim_log *lg, sim_chain *c) {
    uint8_t hdr[16], st;
    uint32_t type, i;
    uint64_t sector, off, rdata, wdata;
    uint32_t size_max = (uint32_t)sim_cfg_r(s, 8, 4), seg_max = (uint32_t)sim_cfg_r(s, 12, 4);
    if (c->rlen < 16 || c->wlen < 1) {
        sim_violation(s, "blk: request with %llu readable and %llu writable bytes",
                      (unsigned long long)c->rlen, (unsigned long long)c->wlen);
        return 0;
    }
    sim_chain_copy(c, 0, 0, hdr, 16, 0);
    type = sim_ld32(s, hdr); /* device order: legacy is the guest's */
    sector = sim_ld64(s, hdr + 8);
    lg->type = type;
    lg->sector = sector;
    rdata = c->rlen - 16;
    wdata = c->wlen - 1;
    lg->data_len = (uint32_t)(rdata + wdata);
    /* Data descriptors: those holding a byte that is neither header nor status. */
    for (off = 0, i = 0; i < c->n; i++) {
        sim_seg *sg = &c->seg[i];
        uint64_t data;
        if (!sg->w) {
            uint64_t end = off + sg->len;
            data = end <= 16 ? 0 : (off >= 16 ? sg->len : end - 16);
            off = end;
        } else {
            data = sg->len - (i == c->n - 1 ? 1u : 0u);
        }
        if (data) {
            lg->ndata++;
            if (data > lg->max_data_desc) lg->max_data_desc = (uint32_t)data;
            if (drv_has(s, SIM_BLK_F_SIZE_MAX) && data > size_max)
                sim_violation(s, "blk: data segment of %llu bytes, size_max %u",
                              (unsigned long long)data, size_max);
        }
    }
    if (drv_has(s, SIM_BLK_F_SEG_MAX) && lg->ndata > seg_max)
        sim_violation(s, "blk: %u data segments, seg_max %u", lg->ndata, seg_max);
    /* Firecracker parses header, exactly one data descriptor, status (a flush: header,
       status); anything else is answered with used length 0 and nothing written. */
    if (s->hv == SIM_HV_FIRECRACKER) {
        unsigned want =
            (type == SIM_BLK_T_IN || type == SIM_BLK_T_OUT || type == SIM_BLK_T_GET_ID) ? 3u : 2u;
        if (c->n != want || c->seg[0].len != 16 || c->seg[c->n - 1].len != 1) return 0;
    }
    /* "Legacy Interface: Framing Requirements": without ANY_LAYOUT the header is one 16-byte
       descriptor and the status one separate 1-byte descriptor. */
    if (s->version == 1 && !drv_has(s, SIM_F_ANY_LAYOUT) &&
        (c->seg[0].len != 16 || c->seg[c->n - 1].len != 1))
        sim_violation(s, "blk: legacy framing: header %u bytes, status descriptor %u bytes",
                      c->seg[0].len, c->seg[c->n - 1].len);

    if (s->blk_fail_count > 0) {
        s->blk_fail_count--;
        st = s->blk_fail_status;
    } else {
        switch (type) {
        case SIM_BLK_T_IN:
            if (rdata)
                sim_violation(s, "blk: read with %llu readable data bytes",
                              (unsigned long long)rdata);
            st = blk_rw(s, c, 0, sector, wdata);
            break;
        case SIM_BLK_T_OUT:
            if (wdata)
                sim_violation(s, "blk: write with %llu writable data bytes",
                              (unsigned long long)wdata);
            st = blk_rw(s, c, 1, sector, rdata);
            break;
        case SIM_BLK_T_FLUSH:
            if (sector)
                sim_violation(s, "blk: flush with sector %llu, must be 0",
                              (unsigned long long)sector);
            if (rdata || wdata) sim_violation(s, "blk: flush carries data");
            if (!drv_has(s, SIM_BLK_F_FLUSH)) {
                sim_violation(s, "blk: flush without negotiating VIRTIO_BLK_F_FLUSH");
                st = SIM_BLK_S_UNSUPP;
            } else {
                s->blk_flushes++;
                st = SIM_BLK_S_OK;
            }
            break;
        case SIM_BLK_T_GET_ID: {
            uint8_t id[20];
            if (wdata != 20 || rdata)
                sim_violation(s, "blk: GET_ID with %llu data bytes, must be 20",
                              (unsigned long long)wdata);
            memset(id, 0, sizeof id);
            memcpy(id, s->blk_serial, strlen(s->blk_serial) < 20 ? strlen(s->blk_serial) : 20);
            sim_chain_copy(c, 1, 0, id, wdata < 20 ? wdata : 20, 1);
            st = SIM_BLK_S_OK;
            break;
        }
        case SIM_BLK_T_DISCARD:
        case SIM_BLK_T_WRITE_ZEROES:
            if (wdata) sim_violation(s, "blk: discard/write-zeroes with writable data");
            st = blk_dwz(s, lg, c, type);
            break;
        default: st = SIM_BLK_S_UNSUPP; break;
        }
    }
    s->blk_by_type[type & 15u]++;
    lg->status = st;
    sim_chain_copy(c, 1, c->wlen - 1, &st, 1, 1);
    /* QEMU reports the whole writable length (data + status) as used. */
    return (uint32_t)c->wlen;
}

/* ---- Backend callbacks --------------------------------------------------------------------- */
static uint32_t blk_chain(sim *s, unsigned queue, uint16_t head, sim_chain *c) {
    uint8_t h[4];
    (void)queue;
    (void)head;
    /* TinyEMU answers IN and OUT; it takes any other request off the ring and never uses it.
       The feature-gated types never reach it (it offers no block feature); GET_ID, which has no
       feature bit, does: held here for ever (SIM_DEFER, never completed). */
    if (s->hv == SIM_HV_TINYEMU && sim_chain_copy(c, 0, 0, h, 4, 0) == 4 &&
        sim_ld32(s, h) == SIM_BLK_T_GET_ID) {
        sim_chain_log(s)->type = SIM_BLK_T_GET_ID;
        return SIM_DEFER;
    }
    return be_blk(s, sim_chain_log(s), c);
}

/* Only `writeback` (byte 32) may be written, one byte wide, and only with CONFIG_WCE. */
static void blk_config_write(sim *s, uint32_t off, uint32_t value, unsigned width) {
    uint32_t i;
    /* A whole-word write (VIRTIO_REGS_F_CONFIG32, for crosvm) is taken if it leaves the
       read-only bytes next to writeback as they are. */
    if (off == 32 && width == 4 && (value >> 8) == (sim_cfg_r(s, 32, 4) >> 8)) width = 1;
    if (off != 32 || width != 1) {
        sim_violation(s, "blk: write of read-only config at %u", off);
        return;
    }
    if (!drv_has(s, SIM_BLK_F_CONFIG_WCE))
        sim_violation(s, "blk: writeback written without VIRTIO_BLK_F_CONFIG_WCE");
    for (i = 0; i < width; i++)
        s->config[off + i] = (uint8_t)(value >> (8 * i));
}

static void blk_destroy(sim *s) {
    free(s->disk);
    s->disk = NULL;
}

static const sim_backend_ops blk_ops = {blk_chain, blk_config_write, NULL, blk_destroy};

/* ---- Init ---------------------------------------------------------------------------------- */
int sim_init_blk(sim *s, sim_arena *a, uint32_t version, uint64_t capacity) {
    uint64_t i, bytes = capacity * 512u;
    sim_init_custom(s, a, version, 2, &blk_ops, NULL);
    s->q[0].num_max = 256;
    s->capacity = capacity;
    s->disk = (uint8_t *)malloc(bytes ? (size_t)bytes : 1u);
    if (!s->disk) return -1;
    for (i = 0; i < bytes; i++)
        s->disk[i] = sim_disk_pattern(i);
    s->dev_features |= SIM_F(SIM_BLK_F_SEG_MAX) | SIM_F(SIM_BLK_F_GEOMETRY) |
                       SIM_F(SIM_BLK_F_BLK_SIZE) | SIM_F(SIM_BLK_F_FLUSH) |
                       SIM_F(SIM_BLK_F_TOPOLOGY) | SIM_F(SIM_BLK_F_CONFIG_WCE) |
                       SIM_F(SIM_BLK_F_DISCARD) | SIM_F(SIM_BLK_F_WRITE_ZEROES);
    s->config_len = 60; /* up to write_zeroes_may_unmap and its padding */
    sim_cfg_w64(s, 0, capacity);
    sim_cfg_w32(s, 8, 0);     /* size_max: feature not offered */
    sim_cfg_w32(s, 12, 126);  /* seg_max: QEMU's queue size - 2 */
    sim_cfg_w16(s, 16, 1024); /* cylinders */
    sim_cfg_w8(s, 18, 16);    /* heads */
    sim_cfg_w8(s, 19, 63);    /* sectors */
    sim_cfg_w32(s, 20, 512);  /* blk_size */
    sim_cfg_w8(s, 24, 3);     /* physical_block_exp: 4 KiB physical blocks */
    sim_cfg_w8(s, 25, 0);
    sim_cfg_w16(s, 26, 1);        /* min_io_size */
    sim_cfg_w32(s, 28, 8);        /* opt_io_size */
    sim_cfg_w8(s, 32, 1);         /* writeback */
    sim_cfg_w32(s, 36, 0x3fffff); /* max_discard_sectors */
    sim_cfg_w32(s, 40, 1);        /* max_discard_seg */
    sim_cfg_w32(s, 44, 8);        /* discard_sector_alignment */
    sim_cfg_w32(s, 48, 0x3fffff); /* max_write_zeroes_sectors */
    sim_cfg_w32(s, 52, 1);        /* max_write_zeroes_seg */
    sim_cfg_w8(s, 56, 1);         /* write_zeroes_may_unmap */
    memcpy(s->blk_serial, "SIMDISK-0123456789AB", 20);
    return 0;
}
