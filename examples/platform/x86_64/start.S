/* start.S - entry point for bare-metal programs on QEMU's x86 `q35` / `pc` machines.

   QEMU's multiboot loader (-kernel) finds the header below in the first 8 KiB of the file,
   copies the image to the addresses it names (link.ld), zeroes the rest up to _end and jumps
   to _start in 32-bit protected mode: flat segments, paging and interrupts off, eax =
   0x2BADB002, ebx = the multiboot information (unused: there is nothing in it we need).
   We go on to 64-bit long mode (AMD64 APM vol. 2, "Enabling and Activating Long Mode"):
   identity-map the first 4 GiB with 2 MiB pages (the top GiB, where PCI BARs, the APIC and
   the firmware live, uncached), set PAE, point CR3 at the tables, set EFER.LME, turn on paging,
   and jump through a 64-bit code segment. Then an IDT whose 32 exception vectors call
   plat_trap (any exception is a bug in the program), SSE enabled (for any libgcc routine that
   uses it), plat_init, main, and plat_exit with main's return value. */

#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00010000 /* bit 16: the address fields below are valid (a.out kludge) */

    .section .text.start, "ax"
    .code32
    .balign 4
mb_header:
    .long   MB_MAGIC
    .long   MB_FLAGS
    .long   -(MB_MAGIC + MB_FLAGS)
    .long   mb_header               /* header_addr: where this header lands */
    .long   _load_start             /* load_addr: the first byte of the image */
    .long   _load_end               /* load_end_addr: end of the file bytes to copy */
    .long   _end                    /* bss_end_addr: zeroed up to here */
    .long   _start                  /* entry_addr */

    .globl _start
_start:
    cli
    cld
    mov     $__stack_top, %esp

    /* Zero .bss (the loader did, per the multiboot spec; this does not rely on it). */
    mov     $__bss_start, %edi
    mov     $__bss_end, %ecx
    sub     %edi, %ecx
    shr     $2, %ecx
    xor     %eax, %eax
    rep stosl

    /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; PDn[j] = 2 MiB page (n << 30 | j << 21).
       Entry bits: 0x01 present, 0x02 writable, 0x80 page size (2 MiB); 0x18 PWT | PCD. */
    mov     $pdpt, %eax
    or      $0x03, %eax
    mov     %eax, pml4
    mov     $pd, %eax
    or      $0x03, %eax
    mov     $pdpt, %edi
    mov     $4, %ecx
1:  mov     %eax, (%edi)
    add     $0x1000, %eax
    add     $8, %edi
    loop    1b
    mov     $pd, %edi
    xor     %ebx, %ebx              /* the page number, 0..2047 */
2:  mov     %ebx, %eax
    shl     $21, %eax
    or      $0x83, %eax
    cmp     $1536, %ebx             /* from 3 GiB up: devices, uncached */
    jb      3f
    or      $0x18, %eax
3:  mov     %eax, (%edi)
    add     $8, %edi
    inc     %ebx
    cmp     $2048, %ebx
    jb      2b

    mov     $pml4, %eax
    mov     %eax, %cr3
    mov     %cr4, %eax
    or      $0x620, %eax            /* PAE; OSFXSR and OSXMMEXCPT for SSE */
    mov     %eax, %cr4
    mov     $0xc0000080, %ecx       /* EFER */
    rdmsr
    or      $0x100, %eax            /* LME */
    wrmsr
    mov     %cr0, %eax
    and     $~0x4, %eax             /* EM off (SSE) */
    or      $0x80000003, %eax       /* PG, MP, PE */
    mov     %eax, %cr0
    lgdt    gdt_ptr
    ljmp    $0x08, $long_entry

    .code64
long_entry:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     %ax, %fs
    mov     %ax, %gs
    mov     $__stack_top, %rsp

    /* IDT: 32 interrupt gates (type 0x8e, selector 0x08) to the stubs, 16 bytes apart. */
    lea     idt(%rip), %rdi
    lea     trap_stubs(%rip), %rax
    mov     $32, %ecx
4:  mov     %ax, (%rdi)
    movw    $0x08, 2(%rdi)
    movw    $0x8e00, 4(%rdi)
    mov     %rax, %rdx
    shr     $16, %rdx
    mov     %dx, 6(%rdi)
    mov     %rax, %rdx
    shr     $32, %rdx
    mov     %edx, 8(%rdi)
    movl    $0, 12(%rdi)
    add     $16, %rdi
    add     $16, %rax
    loop    4b
    lidt    idt_ptr(%rip)

    call    plat_init
    call    main
    mov     %eax, %edi
    call    plat_exit
park:
    cli
    hlt
    jmp     park

/* One stub per exception vector, 16 bytes apart. The CPU pushes an error code for vectors 8,
   10-14, 17, 21, 29 and 30; the others push a 0 in its place, so every frame is alike:
   vector, error code, rip. plat_trap(vector, rip, error code). */
    .balign 16
trap_stubs:
    .set    vec, 0
    .rept   32
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq   $0
    .endif
    pushq   $vec
    jmp     trap_common
    .set    vec, vec + 1
    .endr
trap_common:
    pop     %rdi
    pop     %rdx
    mov     (%rsp), %rsi
    and     $-16, %rsp
    call    plat_trap
    jmp     park

    .section .rodata
    .balign 16
gdt:
    .quad   0
    .quad   0x00af9a000000ffff      /* 0x08: 64-bit code */
    .quad   0x00cf92000000ffff      /* 0x10: data */
gdt_end:
gdt_ptr:
    .word   gdt_end - gdt - 1
    .long   gdt
    .balign 8
idt_ptr:
    .word   32 * 16 - 1
    .quad   idt

    .section .bss.pagetables, "aw", @nobits
    .balign 4096
pml4:
    .skip   4096
pdpt:
    .skip   4096
pd:
    .skip   4 * 4096
idt:
    .skip   32 * 16
