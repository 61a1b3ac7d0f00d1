/* sim_rng.h - a simulated entropy device (virtio-rng, device ID 4) for the host tests of
   virtio_rng.h, a custom backend of the simulator (tests/sim.h, "Extra backends").

   From the spec's "Device Types / Entropy Device": one request queue, no configuration space,
   no device features of its own. Every writable byte of a chain is filled from a fixed stream
   (sim_rng_byte), so a test knows what it must read. Switches in `struct sim`: `rng_max_fill`
   (fill at most this many bytes per chain, a partial fill as a rate-limited device gives) and
   `rng_zero` (use buffers with 0 bytes written: a broken device); `rng_pos` counts the bytes
   produced. A device-readable buffer in the queue is a violation. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include "sim.h"

/* An entropy device of `version` in `s` (zeroed first), using arena `a`. */
void sim_init_rng(sim *s, sim_arena *a, uint32_t version);

/* The entropy stream's n-th byte. */
uint8_t sim_rng_byte(uint64_t n);

#endif /* SIM_RNG_H */
