/* start.S - entry point for bare-metal programs on QEMU's riscv `virt` machine in M-mode (rv64
   and rv32).

   With `-bios none` QEMU's reset code jumps here (0x80000000, see link.ld) in M-mode with
   a0 = hart id and a1 = device tree address. We run on hart 0 only: there is no locking in the
   examples, so any other hart parks itself. Then: set gp and sp, catch traps, zero .bss, keep
   the device tree address, call main() and power the machine off with main's return value as
   QEMU's exit status. */

    .section .text.start, "ax"
    .globl _start
_start:
    /* gp must be loaded without relaxation, or the assembler would express it relative to
       itself (gp is what relaxed code uses to reach small data). */
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop

    /* Only hart 0 continues; QEMU starts every hart here when -smp > 1. */
    csrr    t0, mhartid
    bnez    t0, park

    la      sp, __stack_top

    /* A trap here means a bug in the program (bad pointer, illegal instruction): report it
       and power off instead of looping forever, so a test run fails fast. */
    la      t0, trap_entry
    csrw    mtvec, t0

    /* C expects .bss to be zero; QEMU's RAM happens to start zeroed, real hardware does not.
       link.ld aligns both ends to 16 bytes, so word stores cover it exactly. */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:
    /* After the .bss clear: plat__boot_fdt lives in .sbss. */
    la      t0, plat__boot_fdt
#if __riscv_xlen == 64
    sd      a1, 0(t0)
#else
    sw      a1, 0(t0)
#endif
    call    plat_init
    call    main
    /* a0 holds main's return value: 0 powers off with status 0, anything else fails. */
    call    plat_exit
    /* plat_exit does not return; fall into park just in case. */
park:
    wfi
    j       park

    /* mtvec direct mode needs 4-byte alignment. */
    .balign 4
trap_entry:
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    /* A fresh stack: the trap may have come from a corrupted sp. */
    la      sp, __stack_top
    call    plat_trap
    j       park
