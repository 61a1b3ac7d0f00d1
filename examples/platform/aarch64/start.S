/* start.S - entry point for bare-metal programs on QEMU's arm `virt` machine (aarch64, EL1).

   QEMU starts the ELF's entry at EL1 with the MMU and caches off, x0 = 0 for a bare-metal ELF
   (x0 = the device tree only for a Linux kernel image) and the device tree at the start of RAM.
   We run on CPU 0 only (other CPUs stay off until PSCI CPU_ON; any that arrive park). Then: a
   stack, the trap vectors, .bss cleared, the MMU on with an identity map (below), main(), and
   plat_exit with main's return value.

   The map (4 KiB granule, 32-bit input addresses: T0SZ = 32, so the walk starts at level 1
   with four 1 GiB blocks):
     0x00000000..0x3fffffff  Device-nGnRE, never executable: flash, GIC, UART, RTC, virtio-mmio
     0x40000000..0xffffffff  Normal, inner and outer write-back cacheable, inner shareable: RAM
   MAIR_EL1: attribute 0 = 0x04 (Device-nGnRE), attribute 1 = 0xff (Normal WB, RW-allocate). */

#define SCTLR_M (1 << 0)  /* MMU */
#define SCTLR_A (1 << 1)  /* alignment check */
#define SCTLR_C (1 << 2)  /* data cache */
#define SCTLR_I (1 << 12) /* instruction cache */

#define PTE_BLOCK 1
#define PTE_ATTR(i) ((i) << 2)
#define PTE_SH_INNER (3 << 8)
#define PTE_AF (1 << 10)
#define PTE_PXN (1 << 53)
#define PTE_UXN (1 << 54)
#define PTE_DEVICE (PTE_BLOCK | PTE_ATTR(0) | PTE_AF | PTE_PXN | PTE_UXN)
#define PTE_NORMAL (PTE_BLOCK | PTE_ATTR(1) | PTE_SH_INNER | PTE_AF)

/* TCR_EL1: T0SZ = 32, IRGN0 = ORGN0 = 1 (write-back write-allocate), SH0 = 3 (inner shareable),
   TG0 = 0 (4 KiB), EPD1 = 1 (no TTBR1 walks), IPS = 0 (32-bit physical addresses). */
#define TCR_VALUE (32 | (1 << 8) | (1 << 10) | (3 << 12) | (1 << 23))
#define MAIR_VALUE 0xff04

    .section .text.start, "ax"
    .globl _start
_start:
    mov     x19, x0                 /* the device tree, if a boot loader passed one */

    mrs     x1, mpidr_el1
    and     x1, x1, #0xff
    cbnz    x1, park

    ldr     x1, =__stack_top
    mov     sp, x1

    ldr     x1, =vectors
    msr     vbar_el1, x1
    isb

    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:
    ldr     x1, =plat__boot_fdt
    str     x19, [x1]

    /* MMU on. Nothing is cached yet (the caches are off since reset, and QEMU's TCG has none to
       clean), so it is enough to invalidate the TLB before turning translation on. */
    ldr     x1, =MAIR_VALUE
    msr     mair_el1, x1
    ldr     x1, =TCR_VALUE
    msr     tcr_el1, x1
    ldr     x1, =pagetable
    msr     ttbr0_el1, x1
    isb
    tlbi    vmalle1
    dsb     ish
    isb
    mrs     x1, sctlr_el1
    ldr     x2, =(SCTLR_M | SCTLR_C | SCTLR_I)
    orr     x1, x1, x2
    bic     x1, x1, #SCTLR_A
    msr     sctlr_el1, x1
    isb

    bl      plat_init
    bl      main
    bl      plat_exit
park:
    wfe
    b       park

/* Every exception (synchronous, IRQ, FIQ, SError from any level) is a bug in the program:
   report ESR_EL1, ELR_EL1 and FAR_EL1 and exit with PLAT_EXIT_TRAP. 16 entries of 0x80 bytes,
   the table 2 KiB aligned. */
    .balign 2048
vectors:
    .rept 16
    .balign 128
    mrs     x0, esr_el1
    mrs     x1, elr_el1
    mrs     x2, far_el1
    ldr     x3, =__stack_top
    mov     sp, x3
    bl      plat_trap
    b       park
    .endr

    .section .data.pagetable, "aw"
    .balign 4096
pagetable:
    .quad   0x00000000 | PTE_DEVICE
    .quad   0x40000000 | PTE_NORMAL
    .quad   0x80000000 | PTE_NORMAL
    .quad   0xc0000000 | PTE_NORMAL
    .fill   508, 8, 0
