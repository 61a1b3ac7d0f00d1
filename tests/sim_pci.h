/* sim_pci.h - a simulated virtio PCI function in front of the simulated device (tests/sim.c)

   The function has a 4 KiB configuration space (the type 0 header, a capability list), BARs
   that size like real ones, and behind them the virtio-pci structures, written down again
   from the spec's tables ("Virtio Over PCI Bus") with their own numbers (SIM_PCI_*):
   - modern: the common configuration, ISR, device configuration and notify structures in a
     64-bit memory BAR 4 (QEMU's layout: 4 KiB each), found through vendor capabilities;
   - transitional: the same plus the legacy header in I/O BAR 0;
   - legacy: BAR 0 only (no virtio capabilities), configuration at 20, or 24 with MSI-X on.
   Every access is translated into the simulated device's virtio-mmio registers (sim_regs), so
   the device side, its rings and every driver-rule check are the simulator's own; what only
   PCI has (vectors, notify offsets, queue_size read back, BAR sizing, capability writes) is
   checked here and reported through sim_violation. A test edits cfg[] to make the capability
   list hostile. The PCI configuration access capability (at SIM_PCI_CAP_PCICFG) works as
   the spec says and checks the driver's rules for it. The modern layout needs a version 2 `sim`,
   the legacy one version 1. */
#ifndef SIM_PCI_H
#define SIM_PCI_H

#include "sim.h"

enum sim_pci_layout { SIM_PCI_MODERN, SIM_PCI_TRANSITIONAL, SIM_PCI_LEGACY };

/* Configuration space offsets used to build it. */
#define SIM_PCI_CAP_MSIX   0x40u /* MSI-X capability (12 bytes), then the virtio ones */
#define SIM_PCI_CAP_COMMON 0x50u
#define SIM_PCI_CAP_ISR    0x60u
#define SIM_PCI_CAP_DEVICE 0x70u
#define SIM_PCI_CAP_NOTIFY 0x80u /* 20 bytes */
#define SIM_PCI_CAP_PCICFG 0x98u /* VIRTIO_PCI_CAP_PCI_CFG, 20 bytes: last */
/* BAR 4 layout (modern), offsets in the BAR. */
#define SIM_PCI_COMMON_OFF 0x0000u
#define SIM_PCI_ISR_OFF    0x1000u
#define SIM_PCI_DEVICE_OFF 0x2000u
#define SIM_PCI_NOTIFY_OFF 0x3000u
#define SIM_PCI_BAR4_SIZE  0x4000u
#define SIM_PCI_BAR0_SIZE  0x100u /* legacy header + configuration */

typedef struct sim_pci {
    sim *s;
    virtio_regs inner; /* sim_regs(s): what the translated accesses go through */
    enum sim_pci_layout layout;
    uint8_t cfg[4096];
    uint64_t bar_size[6];                /* 0: no BAR; bar 4 is 64-bit (bar 5 its upper half) */
    uint32_t notify_mul;                 /* notify_off_multiplier in the capability */
    uint16_t notify_off[SIM_MAX_QUEUES]; /* queue_notify_off per queue (default: the index) */
    uint16_t msix_config, msix_queue[SIM_MAX_QUEUES];
    uint16_t qsel, qsize[SIM_MAX_QUEUES];
    uint32_t dfsel, dfeat_written, gfeat;
    unsigned long config_space_reads, config_space_writes, cap_writes, bar_accesses;
    unsigned long notifies, isr_reads;
    /* The PCI configuration access capability at cfg_cap (0: none): cap.bar, cap.offset and
       cap.length are the driver's, and an access to pci_cfg_data makes the BAR access they
       name. bar_accesses counts device register accesses either way; bar_region_accesses
       those through a BAR region, window_accesses those through the window. */
    uint32_t cfg_cap;
    unsigned long bar_region_accesses, window_accesses;
} sim_pci;

/* Builds the function for the device `s` (layout SIM_PCI_MODERN / _TRANSITIONAL need
   s->version 2, SIM_PCI_LEGACY 1). BARs start unassigned (0), decoding off. */
void sim_pci_init(sim_pci *p, sim *s, enum sim_pci_layout layout);
/* Turns MSI-X on (legacy: configuration moves to offset 24). */
void sim_pci_msix(sim_pci *p, int enable);
/* The accessor: region VIRTIO_REGION_PCI_CONFIG and VIRTIO_REGION_PCI_BAR(n); dma and relax
   are the simulator's. */
virtio_regs sim_pci_regs(sim_pci *p);
/* Capability helpers for hostile lists: write a vendor capability at `at` (cap_len `len`),
   and a next pointer. */
void sim_pci_cap(sim_pci *p, uint32_t at, uint32_t len, uint32_t type, uint32_t bar, uint32_t off,
                 uint32_t length);
void sim_pci_set_next(sim_pci *p, uint32_t at, uint32_t next);

#endif
