/* start.S - entry point for an S-mode payload under OpenSBI on QEMU's riscv `virt` machine.

   OpenSBI (fw_dynamic, QEMU's default -bios) enters here (0x80200000, see link.ld) in S-mode
   with a0 = hart id and a1 = the device tree. Which hart comes here is OpenSBI's choice (its
   boot-hart lottery: with -smp 2 or more it is often not hart 0), and other harts may run this
   code too if someone starts them (SBI HSM). There is no locking in the examples, so the first
   hart to arrive wins an atomic swap and every other hart parks itself. Then: set gp and sp,
   catch traps, zero .bss, keep the device tree address, call main() and shut down through SBI
   with main's return value. */

    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop

    /* The lottery: boot_claimed is in .data (1 word, starts 0, not cleared below). */
    la      t0, boot_claimed
    li      t1, 1
    amoswap.w.aqrl t1, t1, (t0)
    bnez    t1, park

    la      sp, __stack_top

    /* S-mode traps: a trap here is a bug in the program; report it and shut down. */
    la      t0, trap_entry
    csrw    stvec, t0

    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:
    la      t0, plat__boot_fdt
    sd      a1, 0(t0)
    la      t0, plat__boot_hart
    sd      a0, 0(t0)
    call    plat_init
    call    main
    call    plat_exit
park:
    /* No interrupts are enabled in sie, so wfi returns only spuriously: loop. */
    wfi
    j       park

    .balign 4
trap_entry:
    csrr    a0, scause
    csrr    a1, sepc
    csrr    a2, stval
    la      sp, __stack_top
    call    plat_trap
    j       park

    .section .data
    .balign 4
boot_claimed:
    .word   0
