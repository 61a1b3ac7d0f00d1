/* guest_start.S - entry and trap vector of hvtest.c, a test guest for the hypervisor (S-mode,
   SBI, linked at 0x80200000 by guest.ld). The trap vector records the cause and tval and
   skips the instruction that trapped, so hvtest.c can check what the hypervisor refused; an
   interrupt is recorded and masked (sie.SEIE cleared). */
        .section .text.start, "ax"
        .globl _start
_start:
        la      sp, guest_stack_top
        la      t0, guest_vector
        csrw    stvec, t0
        la      t0, __bss_start
        la      t1, __bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:      call    main
        call    guest_exit              /* with main's status in a0 */

        .balign 4
guest_vector:
        addi    sp, sp, -32
        sd      t0, 0(sp)
        sd      t1, 8(sp)
        sd      t2, 16(sp)
        la      t1, guest_traps
        csrr    t0, scause
        sd      t0, 0(t1)
        csrr    t0, stval
        sd      t0, 8(t1)
        ld      t0, 16(t1)              /* count */
        addi    t0, t0, 1
        sd      t0, 16(t1)
        csrr    t0, scause
        bltz    t0, 4f                  /* an interrupt: mask it, resume where it came */
        csrr    t0, sepc
        lhu     t1, 0(t0)
        andi    t1, t1, 3
        li      t2, 3
        addi    t0, t0, 2
        bne     t1, t2, 3f
        addi    t0, t0, 2
3:      csrw    sepc, t0
        j       5f
4:      li      t0, 0x200               /* sie.SEIE */
        csrc    sie, t0
5:      ld      t0, 0(sp)
        ld      t1, 8(sp)
        ld      t2, 16(sp)
        addi    sp, sp, 32
        sret
