/* sim_gpu.c - the simulated GPU: see sim_gpu.h. Numbers are written down again from the spec
   ("Device Operation: Request header", "controlq", "cursorq"), not taken from virtio_gpu.h, so
   the driver's constants are checked against an independent copy. */
#include "sim_gpu.h"

#include <stdlib.h>
#include <string.h>

/* enum virtio_gpu_ctrl_type */
#define G_GET_DISPLAY_INFO 0x0100u
#define G_CREATE_2D        0x0101u
#define G_UNREF            0x0102u
#define G_SET_SCANOUT      0x0103u
#define G_FLUSH            0x0104u
#define G_TRANSFER         0x0105u
#define G_ATTACH           0x0106u
#define G_DETACH           0x0107u
#define G_GET_EDID         0x010au
#define G_UPDATE_CURSOR    0x0300u
#define G_MOVE_CURSOR      0x0301u
#define G_OK_NODATA        0x1100u
#define G_OK_DISPLAY_INFO  0x1101u
#define G_OK_EDID          0x1104u
#define G_ERR_UNSPEC       0x1200u
#define G_ERR_OOM          0x1201u
#define G_ERR_SCANOUT      0x1202u
#define G_ERR_RESOURCE     0x1203u
#define G_ERR_PARAMETER    0x1205u
#define G_FLAG_FENCE       1u
#define G_F_EDID           1
#define G_HDR              24u
#define G_DISPLAY_INFO_LEN 408u
#define G_EDID_LEN         1056u
#define G_MAX_REQ          (1u << 20)

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static void wr64(uint8_t *p, uint64_t v) {
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

sim_gpu *sim_gpu_of(sim *s) { return (sim_gpu *)s->ctx; }

sim_gpu_res *sim_gpu_res_find(sim *s, uint32_t id) {
    sim_gpu *g = sim_gpu_of(s);
    unsigned i;
    if (id == 0) return NULL;
    for (i = 0; i < SIM_GPU_MAX_RES; i++)
        if (g->res[i].id == id) return &g->res[i];
    return NULL;
}

static uint32_t num_scanouts(sim *s) {
    uint32_t n = (uint32_t)sim_cfg_r(s, 8, 4);
    return n > SIM_GPU_MAX_SCANOUTS ? SIM_GPU_MAX_SCANOUTS : n;
}

/* ---- Resources --------------------------------------------------------------------------------
 */
static void drop_backing(sim_gpu_res *r) {
    free(r->addr);
    free(r->len);
    r->addr = NULL;
    r->len = NULL;
    r->nentries = 0;
}

static void scanout_off(sim_gpu_scanout *so) {
    free(so->fb);
    memset(so, 0, sizeof *so);
}

static void drop_res(sim_gpu *g, sim_gpu_res *r) {
    unsigned i;
    for (i = 0; i < SIM_GPU_MAX_SCANOUTS; i++)
        if (g->scanout[i].res_id == r->id) scanout_off(&g->scanout[i]); /* as QEMU does */
    drop_backing(r);
    free(r->image);
    memset(r, 0, sizeof *r);
}

static int format_ok(uint32_t f) {
    return f == 1 || f == 2 || f == 3 || f == 4 || f == 67 || f == 68 || f == 121 || f == 134;
}

static int rect_inside(const uint8_t *r, uint32_t w, uint32_t h) {
    uint64_t x = rd32(r), y = rd32(r + 4), rw = rd32(r + 8), rh = rd32(r + 12);
    return x + rw <= w && y + rh <= h;
}

/* Copies `n` bytes at byte `off` of resource r's backing into dst; 0 if the backing ends first. */
static int backing_read(sim *s, const sim_gpu_res *r, uint64_t off, uint8_t *dst, uint64_t n) {
    uint32_t i;
    uint64_t base = 0;
    for (i = 0; i < r->nentries && n; i++) {
        uint64_t len = r->len[i];
        if (off < base + len) {
            uint64_t in = off - base, take = len - in < n ? len - in : n;
            uint8_t *p = (uint8_t *)sim_mem(s, r->addr[i] + in, take);
            if (!p) return 0;
            memcpy(dst, p, (size_t)take);
            dst += take;
            off += take;
            n -= take;
        }
        base += len;
    }
    return n == 0;
}

/* ---- Commands ---------------------------------------------------------------------------------
 */
/* Executes one control command; `req` holds rlen readable bytes, `resp` the answer to write.
   Returns the response type; *resp_len its size. */
static uint32_t do_cmd(sim *s, sim_gpu *g, const uint8_t *req, uint64_t rlen, uint8_t *resp,
                       uint32_t *resp_len) {
    uint32_t type = rd32(req);
    const uint8_t *b = req + G_HDR;
    sim_gpu_res *r;
    uint32_t i, n = num_scanouts(s);
    *resp_len = G_HDR;
    switch (type) {
    case G_GET_DISPLAY_INFO:
        for (i = 0; i < n; i++) {
            uint8_t *m = resp + G_HDR + 24u * i;
            wr32(m, g->display[i].x);
            wr32(m + 4, g->display[i].y);
            wr32(m + 8, g->display[i].width);
            wr32(m + 12, g->display[i].height);
            wr32(m + 16, g->display[i].enabled);
        }
        *resp_len = G_DISPLAY_INFO_LEN;
        return G_OK_DISPLAY_INFO;
    case G_GET_EDID:
        if (rlen < 32) return G_ERR_PARAMETER;
        if (!(s->drv_features & SIM_F(G_F_EDID)))
            sim_violation(s, "gpu: GET_EDID without VIRTIO_GPU_F_EDID negotiated");
        i = rd32(b);
        if (i >= n) return G_ERR_PARAMETER; /* QEMU */
        wr32(resp + G_HDR, SIM_GPU_EDID_LEN);
        memcpy(resp + 32, g->edid[i], SIM_GPU_EDID_LEN);
        *resp_len = G_EDID_LEN;
        return G_OK_EDID;
    case G_CREATE_2D: {
        uint32_t id = rd32(b), fmt = rd32(b + 4), w = rd32(b + 8), h = rd32(b + 12);
        if (id == 0 || sim_gpu_res_find(s, id)) return G_ERR_RESOURCE;
        if (!format_ok(fmt) || w == 0 || h == 0) return G_ERR_PARAMETER;
        for (i = 0; i < SIM_GPU_MAX_RES && g->res[i].id; i++) {
        }
        if (i == SIM_GPU_MAX_RES) return G_ERR_OOM;
        r = &g->res[i];
        r->image = (uint8_t *)calloc((size_t)w * h, 4);
        if (!r->image) return G_ERR_OOM;
        r->id = id;
        r->format = fmt;
        r->width = w;
        r->height = h;
        return G_OK_NODATA;
    }
    case G_UNREF:
        r = sim_gpu_res_find(s, rd32(b));
        if (!r) return G_ERR_RESOURCE;
        drop_res(g, r);
        return G_OK_NODATA;
    case G_ATTACH: {
        uint32_t nr = rd32(b + 4);
        r = sim_gpu_res_find(s, rd32(b));
        if (!r) return G_ERR_RESOURCE;
        if (r->nentries) return G_ERR_UNSPEC; /* QEMU: attached twice */
        if (nr == 0 || nr > 16384) return G_ERR_UNSPEC;
        if (rlen < 32u + 16u * (uint64_t)nr) {
            sim_violation(s, "gpu: ATTACH_BACKING with %u entries in %llu bytes", nr,
                          (unsigned long long)rlen);
            return G_ERR_UNSPEC;
        }
        r->addr = (uint64_t *)calloc(nr, sizeof *r->addr);
        r->len = (uint32_t *)calloc(nr, sizeof *r->len);
        if (!r->addr || !r->len) abort();
        for (i = 0; i < nr; i++) {
            r->addr[i] = rd64(req + 32 + 16u * i);
            r->len[i] = rd32(req + 32 + 16u * i + 8);
            if (!sim_mem(s, r->addr[i], r->len[i])) break; /* violation recorded */
        }
        if (i < nr) {
            drop_backing(r);
            return G_ERR_UNSPEC;
        }
        r->nentries = nr;
        g->last_nentries = nr;
        return G_OK_NODATA;
    }
    case G_DETACH:
        r = sim_gpu_res_find(s, rd32(b));
        if (!r) return G_ERR_RESOURCE;
        if (!r->nentries) return G_ERR_UNSPEC;
        drop_backing(r);
        return G_OK_NODATA;
    case G_SET_SCANOUT: {
        uint32_t so = rd32(b + 16), id = rd32(b + 20), w = rd32(b + 8), h = rd32(b + 12);
        sim_gpu_scanout *sc;
        if (so >= n) return G_ERR_SCANOUT;
        sc = &g->scanout[so];
        if (id == 0) {
            scanout_off(sc);
            return G_OK_NODATA;
        }
        r = sim_gpu_res_find(s, id);
        if (!r) return G_ERR_RESOURCE;
        if (w < 16 || h < 16 || !rect_inside(b, r->width, r->height)) return G_ERR_PARAMETER;
        if (!r->nentries) return G_ERR_UNSPEC;
        if (sc->width != w || sc->height != h) {
            free(sc->fb);
            sc->fb = (uint8_t *)calloc((size_t)w * h, 4);
            if (!sc->fb) abort();
        }
        sc->res_id = id;
        sc->x = rd32(b);
        sc->y = rd32(b + 4);
        sc->width = w;
        sc->height = h;
        return G_OK_NODATA;
    }
    case G_TRANSFER: {
        uint32_t x = rd32(b), y = rd32(b + 4), w = rd32(b + 8), h = rd32(b + 12), row;
        uint64_t off = rd64(b + 16), stride;
        r = sim_gpu_res_find(s, rd32(b + 24));
        if (!r) return G_ERR_RESOURCE;
        if (!rect_inside(b, r->width, r->height)) return G_ERR_PARAMETER;
        if (!r->nentries) return G_ERR_UNSPEC;
        stride = (uint64_t)r->width * 4;
        g->last_offset = off;
        for (i = 0; i < 4; i++)
            g->last_rect[i] = rd32(b + 4 * i);
        if (off != y * stride + (uint64_t)x * 4)
            sim_violation(s, "gpu: transfer offset %llu, QEMU needs y * stride + x * 4 = %llu",
                          (unsigned long long)off, (unsigned long long)(y * stride + x * 4ull));
        for (row = 0; row < h; row++) {
            uint8_t *dst = r->image + ((size_t)(y + row) * r->width + x) * 4;
            if (!backing_read(s, r, off + stride * row, dst, (uint64_t)w * 4)) {
                sim_violation(s, "gpu: transfer reads past the backing (row %u)", row);
                return G_ERR_UNSPEC;
            }
        }
        return G_OK_NODATA;
    }
    case G_FLUSH: {
        uint32_t x = rd32(b), y = rd32(b + 4), w = rd32(b + 8), h = rd32(b + 12), k, yy, xx;
        r = sim_gpu_res_find(s, rd32(b + 16));
        if (!r) return G_ERR_RESOURCE;
        if (!rect_inside(b, r->width, r->height)) return G_ERR_PARAMETER;
        for (k = 0; k < SIM_GPU_MAX_SCANOUTS; k++) {
            sim_gpu_scanout *sc = &g->scanout[k];
            if (sc->res_id != r->id) continue;
            sc->flushes++;
            for (yy = y; yy < y + h; yy++) {
                if (yy < sc->y || yy >= sc->y + sc->height) continue;
                for (xx = x; xx < x + w; xx++) {
                    if (xx < sc->x || xx >= sc->x + sc->width) continue;
                    memcpy(sc->fb + ((size_t)(yy - sc->y) * sc->width + (xx - sc->x)) * 4,
                           r->image + ((size_t)yy * r->width + xx) * 4, 4);
                }
            }
        }
        return G_OK_NODATA;
    }
    default: return G_ERR_UNSPEC;
    }
}

/* The least a request of `type` must carry (its struct). */
static uint32_t req_size(uint32_t type) {
    switch (type) {
    case G_GET_DISPLAY_INFO: return 24;
    case G_GET_EDID: return 32;
    case G_CREATE_2D: return 40;
    case G_UNREF: return 32;
    case G_SET_SCANOUT: return 48;
    case G_FLUSH: return 48;
    case G_TRANSFER: return 56;
    case G_ATTACH: return 32;
    case G_DETACH: return 32;
    default: return 24;
    }
}

/* The size of a successful answer to `type`. */
static uint32_t ok_size(uint32_t type) {
    return type == G_GET_DISPLAY_INFO ? G_DISPLAY_INFO_LEN
           : type == G_GET_EDID       ? G_EDID_LEN
                                      : G_HDR;
}

static uint32_t ctrl_chain(sim *s, sim_gpu *g, sim_chain *c) {
    uint8_t *req, resp[G_EDID_LEN];
    uint32_t type, rtype, rlen_out = G_HDR, used;
    uint64_t rlen = c->rlen;
    enum sim_gpu_mis mis = SIM_GPU_MIS_NONE;
    if (rlen < G_HDR || rlen > G_MAX_REQ) {
        sim_violation(s, "gpu: control request of %llu bytes", (unsigned long long)rlen);
        return 0;
    }
    req = (uint8_t *)calloc(1, (size_t)rlen);
    if (!req) abort();
    sim_chain_copy(c, 0, 0, req, rlen, 0);
    type = rd32(req);
    g->cmds++;
    g->last_type = type;
    if (type >= 0x100 && type < 0x110) g->by_type[type - 0x100]++;
    if (rd32(req + 4) & G_FLAG_FENCE) g->fenced++;
    if (rlen < req_size(type))
        sim_violation(s, "gpu: request 0x%x of %llu bytes, its struct has %u", type,
                      (unsigned long long)rlen, req_size(type));
    if (c->wlen != ok_size(type))
        sim_violation(s, "gpu: response buffer of %llu bytes for 0x%x, which answers with %u",
                      (unsigned long long)c->wlen, type, ok_size(type));
    memset(resp, 0, sizeof resp);
    if (g->err_count) {
        g->err_count--;
        rtype = g->err_type;
    } else {
        rtype = do_cmd(s, g, req, rlen, resp, &rlen_out);
    }
    if (g->mis_count) {
        g->mis_count--;
        mis = g->mis;
    }
    wr32(resp, rtype);
    if (rd32(req + 4) & G_FLAG_FENCE) { /* "Request header": echo flag and id */
        wr32(resp + 4, G_FLAG_FENCE);
        wr64(resp + 8, rd64(req + 8));
    }
    switch (mis) {
    case SIM_GPU_MIS_WRONG_TYPE:
        wr32(resp, rtype == G_OK_NODATA ? G_OK_DISPLAY_INFO : G_OK_NODATA);
        break;
    case SIM_GPU_MIS_UNKNOWN: wr32(resp, 0x1300u); break;
    case SIM_GPU_MIS_NO_FENCE: wr32(resp + 4, 0); break;
    case SIM_GPU_MIS_BAD_FENCE: wr64(resp + 8, rd64(req + 8) + 1); break;
    case SIM_GPU_MIS_EDID_SIZE:
        if (rtype == G_OK_EDID) wr32(resp + G_HDR, 2000);
        break;
    default: break;
    }
    used = rlen_out < c->wlen ? rlen_out : (uint32_t)c->wlen; /* QEMU truncates silently */
    if (mis == SIM_GPU_MIS_HDR_ONLY) {
        sim_chain_copy(c, 1, 0, resp, G_HDR < used ? G_HDR : used, 1);
        used = (uint32_t)(rlen + c->wlen);
    } else if (mis != SIM_GPU_MIS_NO_WRITE) {
        sim_chain_copy(c, 1, 0, resp, used, 1);
    }
    if (mis == SIM_GPU_MIS_SHORT && used) used--;
    free(req);
    return used;
}

static uint32_t cursor_chain(sim *s, sim_gpu *g, sim_chain *c) {
    uint8_t req[56];
    uint32_t type;
    sim_gpu_res *r;
    if (c->rlen < 56) {
        sim_violation(s, "gpu: cursor request of %llu bytes", (unsigned long long)c->rlen);
        return 0;
    }
    sim_chain_copy(c, 0, 0, req, 56, 0);
    type = rd32(req);
    g->cursor_scanout = rd32(req + 24);
    g->cursor_x = rd32(req + 28);
    g->cursor_y = rd32(req + 32);
    if (type == G_MOVE_CURSOR) {
        g->cursor_moves++;
    } else if (type == G_UPDATE_CURSOR) {
        uint32_t id = rd32(req + 40);
        g->cursor_updates++;
        r = sim_gpu_res_find(s, id);
        if (id != 0 && (!r || r->width != 64 || r->height != 64)) {
            g->cursor_ignored++; /* QEMU keeps the old image, without an error */
        } else {
            g->cursor_res = id;
            g->cursor_hot_x = rd32(req + 44);
            g->cursor_hot_y = rd32(req + 48);
        }
    } else {
        sim_violation(s, "gpu: command 0x%x on the cursor queue", type);
    }
    return 0; /* QEMU: used length 0, no response */
}

static uint32_t gpu_chain(sim *s, unsigned queue, uint16_t head, sim_chain *c) {
    sim_gpu *g = sim_gpu_of(s);
    (void)head;
    if (queue == 0) return ctrl_chain(s, g, c);
    if (queue == 1) return cursor_chain(s, g, c);
    sim_violation(s, "gpu: a chain on queue %u", queue);
    return 0;
}

/* events_clear is write-to-clear; the rest is read-only. */
static void gpu_config_write(sim *s, uint32_t off, uint32_t value, unsigned width) {
    if (off == 4 && width == 4) {
        sim_cfg_w32(s, 0, (uint32_t)sim_cfg_r(s, 0, 4) & ~value);
        return;
    }
    sim_violation(s, "gpu: config write of %u bytes at %u (only events_clear is writable)", width,
                  off);
}

static void gpu_reset(sim *s) {
    sim_gpu *g = sim_gpu_of(s);
    unsigned i;
    for (i = 0; i < SIM_GPU_MAX_RES; i++)
        if (g->res[i].id) drop_res(g, &g->res[i]);
    for (i = 0; i < SIM_GPU_MAX_SCANOUTS; i++)
        scanout_off(&g->scanout[i]);
    g->cursor_res = 0;
}

static void gpu_destroy(sim *s) {
    sim_gpu *g = sim_gpu_of(s);
    if (!g) return;
    gpu_reset(s);
    free(g);
    s->ctx = NULL;
}

static const sim_backend_ops gpu_ops = {gpu_chain, gpu_config_write, gpu_reset, gpu_destroy};

void sim_gpu_make_edid(uint8_t *e, uint32_t width, uint32_t height, const char *name,
                       uint16_t product) {
    static const uint8_t magic[8] = {0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00};
    uint8_t *d;
    unsigned i, sum = 0;
    memset(e, 0, 128);
    memcpy(e, magic, 8);
    /* "RHT": R = 18, H = 8, T = 20, five bits each, big-endian */
    e[8] = (uint8_t)((18u << 2) | (8u >> 3));
    e[9] = (uint8_t)(((8u & 7u) << 5) | 20u);
    e[10] = (uint8_t)product;
    e[11] = (uint8_t)(product >> 8);
    e[18] = 1; /* EDID 1.4 */
    e[19] = 4;
    d = e + 54; /* detailed timing: the preferred mode */
    d[0] = 0x40;
    d[1] = 0x1f; /* a pixel clock, nonzero */
    d[2] = (uint8_t)width;
    d[4] = (uint8_t)((width >> 8) << 4);
    d[5] = (uint8_t)height;
    d[7] = (uint8_t)((height >> 8) << 4);
    d = e + 72; /* monitor name */
    d[3] = 0xfc;
    for (i = 0; i < 13; i++)
        d[5 + i] = ' ';
    for (i = 0; i < 13 && name[i]; i++)
        d[5 + i] = (uint8_t)name[i];
    if (i < 13) d[5 + i] = 0x0a;
    for (i = 0; i < 127; i++)
        sum += e[i];
    e[127] = (uint8_t)(256u - (sum & 0xffu));
}

void sim_init_gpu(sim *s, sim_arena *a, uint32_t version, uint32_t nscanouts, uint32_t width,
                  uint32_t height) {
    sim_gpu *g = (sim_gpu *)calloc(1, sizeof *g);
    unsigned i;
    if (!g) abort();
    sim_init_custom(s, a, version, 16, &gpu_ops, g);
    s->dev_features |= SIM_F(G_F_EDID);
    s->q[0].num_max = 256;
    s->q[1].num_max = 16;
    s->config_len = 20;
    sim_cfg_w32(s, 8, nscanouts);
    g->display[0].width = width;
    g->display[0].height = height;
    g->display[0].enabled = 1;
    for (i = 0; i < SIM_GPU_MAX_SCANOUTS; i++)
        sim_gpu_make_edid(g->edid[i], i == 0 ? width : 1024, i == 0 ? height : 768, "QEMU Monitor",
                          (uint16_t)(0x1234 + i));
}

void sim_gpu_event(sim *s) {
    sim_cfg_w32(s, 0, (uint32_t)sim_cfg_r(s, 0, 4) | 1u);
    s->config_gen++;
}

uint32_t sim_gpu_pixel(sim *s, unsigned scanout, uint32_t x, uint32_t y) {
    sim_gpu_scanout *sc;
    uint32_t v;
    if (scanout >= SIM_GPU_MAX_SCANOUTS) return 0xdeadbeefu;
    sc = &sim_gpu_of(s)->scanout[scanout];
    if (!sc->fb || x >= sc->width || y >= sc->height) return 0xdeadbeefu;
    /* the 4 bytes as this host reads them, as a caller's uint32_t framebuffer holds them */
    memcpy(&v, sc->fb + ((size_t)y * sc->width + x) * 4, 4);
    return v;
}
