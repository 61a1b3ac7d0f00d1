/* sim_rng.c - the simulated entropy device: see sim_rng.h. */
#include "sim_rng.h"

uint8_t sim_rng_byte(uint64_t n) {
    uint64_t x = (n + 77) * 0xD1B54A32D192ED03ull;
    return (uint8_t)((x >> 53) ^ (x >> 17));
}

/* Every writable byte of the chain (up to rng_max_fill, none with rng_zero) from the stream. */
static uint32_t rng_chain(sim *s, unsigned queue, uint16_t head, sim_chain *c) {
    uint64_t n = c->wlen, i;
    unsigned k;
    (void)queue;
    (void)head;
    if (c->nread) sim_violation(s, "rng: driver placed a device-readable buffer in the queue");
    if (s->rng_max_fill && n > s->rng_max_fill) n = s->rng_max_fill;
    if (s->rng_zero) n = 0;
    for (i = 0, k = 0; k < c->n && i < n; k++) {
        sim_seg *sg = &c->seg[k];
        uint32_t j;
        if (!sg->w) continue;
        for (j = 0; j < sg->len && i < n; j++, i++)
            sg->p[j] = sim_rng_byte(s->rng_pos++);
    }
    return (uint32_t)n;
}

static const sim_backend_ops rng_ops = {rng_chain, NULL, NULL, NULL};

void sim_init_rng(sim *s, sim_arena *a, uint32_t version) {
    sim_init_custom(s, a, version, 4, &rng_ops, NULL);
    s->config_len = 0;
}
