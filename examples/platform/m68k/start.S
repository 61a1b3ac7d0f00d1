/* start.S - entry point for bare-metal programs on QEMU's m68k `virt` machine (68040).

   QEMU starts the ELF's entry in supervisor mode, interrupts masked (SR = 0x2700), the MMU and
   caches off, and the stack pointer 0. We set a stack, point the vector base register at a
   table whose every entry is trap_entry (any exception is a bug in the program), clear .bss,
   call main() and plat_exit with its return value. */

    .section .text.start, "ax"
    .globl _start
_start:
    move.l  #__stack_top, %sp
    move.l  #vectors, %d0
    movec   %d0, %vbr

    /* Fill the 256 vectors with trap_entry. */
    lea     vectors, %a0
    move.w  #255, %d1
1:  move.l  #trap_entry, (%a0)+
    dbra    %d1, 1b

    lea     __bss_start, %a0
    lea     __bss_end, %a1
2:  cmp.l   %a1, %a0
    bcc.s   3f
    clr.l   (%a0)+
    bra.s   2b
3:
    jsr     plat_init
    jsr     main
    move.l  %d0, -(%sp)
    jsr     plat_exit
park:
    stop    #0x2700
    bra.s   park

/* Exception frame (68040, every format): SR (word) at 0(sp), PC (long) at 2(sp), format and
   vector offset (word) at 6(sp). plat_trap(vector offset, pc, 0). */
    .balign 4
trap_entry:
    moveq   #0, %d0
    move.w  6(%sp), %d0
    andi.l  #0xfff, %d0
    move.l  2(%sp), %d1
    clr.l   -(%sp)
    move.l  %d1, -(%sp)
    move.l  %d0, -(%sp)
    jsr     plat_trap
    bra.s   park

    .section .bss
    .balign 4
vectors:
    .skip   1024
