/* start.S - the hypervisor's entry and its one trap vector (M-mode, QEMU riscv64 `virt`,
   -bios none). See hv.c for the design.

   mscratch says where a trap came from: while the guest runs it holds the guest's register
   frame (hv_frame in hv.c); while the hypervisor runs it holds 0. So the vector swaps sp with
   mscratch and knows at once whether it interrupted the guest (sp = the frame) or the hypervisor
   itself (sp = 0: only hv_fetch16's probing load may fault there). */

#define FRAME_HV_SP (32 * 8)

        .option arch, +h
        .section .text.start, "ax"
        .globl _start
_start:
        csrr    t0, mhartid             /* one hart runs the hypervisor; others sleep */
        bnez    t0, 9f
        la      sp, hv_stack_top
        la      t0, hv_vector
        csrw    mtvec, t0
        csrw    mscratch, zero
        la      t0, __bss_start
        la      t1, __bss_end
1:      bgeu    t0, t1, 2f
        sd      zero, 0(t0)
        addi    t0, t0, 8
        j       1b
2:      call    hv_main                 /* never returns: it calls hv_enter */
9:      wfi
        j       9b

/* void hv_enter(hv_frame *f): load the guest's registers from *f and mret into it (hv_main
   has set mepc and mstatus.MPP/MPV). Also the tail of every trap taken from the guest. */
        .globl  hv_enter
hv_enter:
        mv      t0, a0
        j       hv_resume

        .balign 4
hv_vector:
        csrrw   sp, mscratch, sp
        beqz    sp, hv_self_trap
        /* From the guest: sp = its frame, mscratch = its sp. */
        sd      x1, 1*8(sp)
        sd      x3, 3*8(sp)
        sd      x4, 4*8(sp)
        sd      x5, 5*8(sp)
        sd      x6, 6*8(sp)
        sd      x7, 7*8(sp)
        sd      x8, 8*8(sp)
        sd      x9, 9*8(sp)
        sd      x10, 10*8(sp)
        sd      x11, 11*8(sp)
        sd      x12, 12*8(sp)
        sd      x13, 13*8(sp)
        sd      x14, 14*8(sp)
        sd      x15, 15*8(sp)
        sd      x16, 16*8(sp)
        sd      x17, 17*8(sp)
        sd      x18, 18*8(sp)
        sd      x19, 19*8(sp)
        sd      x20, 20*8(sp)
        sd      x21, 21*8(sp)
        sd      x22, 22*8(sp)
        sd      x23, 23*8(sp)
        sd      x24, 24*8(sp)
        sd      x25, 25*8(sp)
        sd      x26, 26*8(sp)
        sd      x27, 27*8(sp)
        sd      x28, 28*8(sp)
        sd      x29, 29*8(sp)
        sd      x30, 30*8(sp)
        sd      x31, 31*8(sp)
        csrr    t0, mscratch
        sd      t0, 2*8(sp)
        csrw    mscratch, zero          /* the hypervisor runs now */
        mv      a0, sp
        ld      sp, FRAME_HV_SP(a0)
        call    hv_trap                 /* returns the frame to resume */
        mv      t0, a0
hv_resume:
        csrw    mscratch, t0            /* the guest runs again */
        ld      x1, 1*8(t0)
        ld      x2, 2*8(t0)
        ld      x3, 3*8(t0)
        ld      x4, 4*8(t0)
        ld      x6, 6*8(t0)
        ld      x7, 7*8(t0)
        ld      x8, 8*8(t0)
        ld      x9, 9*8(t0)
        ld      x10, 10*8(t0)
        ld      x11, 11*8(t0)
        ld      x12, 12*8(t0)
        ld      x13, 13*8(t0)
        ld      x14, 14*8(t0)
        ld      x15, 15*8(t0)
        ld      x16, 16*8(t0)
        ld      x17, 17*8(t0)
        ld      x18, 18*8(t0)
        ld      x19, 19*8(t0)
        ld      x20, 20*8(t0)
        ld      x21, 21*8(t0)
        ld      x22, 22*8(t0)
        ld      x23, 23*8(t0)
        ld      x24, 24*8(t0)
        ld      x25, 25*8(t0)
        ld      x26, 26*8(t0)
        ld      x27, 27*8(t0)
        ld      x28, 28*8(t0)
        ld      x29, 29*8(t0)
        ld      x30, 30*8(t0)
        ld      x31, 31*8(t0)
        ld      x5, 5*8(t0)             /* t0 last */
        mret

/* A trap taken in the hypervisor itself: back on the hypervisor's stack, save what a C call
   may clobber, and let hv_fault decide (it returns the pc to resume at, or stops the machine).
   The trap has overwritten mepc, mcause, mtval and mstatus.MPP/MPV: hv_trap saved the guest's
   copies before it probed, and restores them. */
hv_self_trap:
        csrrw   sp, mscratch, sp        /* sp back, mscratch 0 again */
        addi    sp, sp, -128
        sd      ra, 0(sp)
        sd      t0, 8(sp)
        sd      t1, 16(sp)
        sd      t2, 24(sp)
        sd      a0, 32(sp)
        sd      a1, 40(sp)
        sd      a2, 48(sp)
        sd      a3, 56(sp)
        sd      a4, 64(sp)
        sd      a5, 72(sp)
        sd      a6, 80(sp)
        sd      a7, 88(sp)
        sd      t3, 96(sp)
        sd      t4, 104(sp)
        sd      t5, 112(sp)
        sd      t6, 120(sp)
        csrr    a0, mcause
        csrr    a1, mepc
        csrr    a2, mtval
        call    hv_fault
        csrw    mepc, a0
        ld      ra, 0(sp)
        ld      t0, 8(sp)
        ld      t1, 16(sp)
        ld      t2, 24(sp)
        ld      a0, 32(sp)
        ld      a1, 40(sp)
        ld      a2, 48(sp)
        ld      a3, 56(sp)
        ld      a4, 64(sp)
        ld      a5, 72(sp)
        ld      a6, 80(sp)
        ld      a7, 88(sp)
        ld      t3, 96(sp)
        ld      t4, 104(sp)
        ld      t5, 112(sp)
        ld      t6, 120(sp)
        addi    sp, sp, 128
        mret
