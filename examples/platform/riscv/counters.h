/* counters.h - the riscv `time` and `instret` counters, read the same way in M-mode and S-mode
   (under OpenSBI, mcounteren lets S-mode read both). Included by riscv/platform.c and
   riscv-sbi/platform.c. */
#ifndef PLAT_RISCV_COUNTERS_H
#define PLAT_RISCV_COUNTERS_H

#include <stdint.h>

/* rv32 reads a 64-bit counter in two halves; retry if the low half wrapped in between. */
#if __riscv_xlen == 64
#define PLAT__CSR64(name)                                                                          \
    static inline uint64_t plat__csr_##name(void)                                                  \
    {                                                                                              \
        uint64_t v;                                                                                \
        __asm__ volatile("csrr %0, " #name : "=r"(v));                                             \
        return v;                                                                                  \
    }
#else
#define PLAT__CSR64(name)                                                                          \
    static inline uint64_t plat__csr_##name(void)                                                  \
    {                                                                                              \
        /* the asm sets them; zero first for cppcheck, which does not read asm outputs */       \
        uint32_t hi = 0, lo = 0, hi2 = 0;                                                          \
        do {                                                                                       \
            __asm__ volatile("csrr %0, " #name "h" : "=r"(hi));                                    \
            __asm__ volatile("csrr %0, " #name : "=r"(lo));                                        \
            __asm__ volatile("csrr %0, " #name "h" : "=r"(hi2));                                   \
        } while (hi != hi2);                                                                       \
        return ((uint64_t)hi << 32) | lo;                                                          \
    }
#endif

PLAT__CSR64(time)
PLAT__CSR64(instret)

/* QEMU's `virt` ACLINT timer: "timebase-frequency" in its device tree. */
#define PLAT_RISCV_TIMEBASE_HZ 10000000u

#endif
