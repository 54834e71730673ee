/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kjump x86_64 jump stub: mainline's kexec-jump protocol, written anew.
 *
 * Two halves.  kjump_enter and kjump_return run from module text in the
 * kernel half of the address space.  kjump_stub_start..kjump_stub_end is a
 * position-independent blob copied into the control area and run at its
 * physical (identity-mapped) address while the region is swapped.
 *
 * The jump tables (KJS_PGD) identity-map RAM in the lower half and share
 * this kernel's upper half, so module text stays reachable on them.
 *
 * Protocol with the peer (bit for bit mainline's):
 *   - the peer is entered by `call` at KJS_ENTRY, on our identity stack,
 *     64-bit mode, identity paging, interrupts off, our GDT (CS 0x10, DS
 *     0x18); 8(%rsp) is a reserved slot, 0(%rsp) our re-entry point
 *     (kjump_reentry, the jump buffer's entry);
 *   - the peer comes back by calling kjump_reentry (its own re-entry point
 *     then at 0(%rsp)), or by storing its next entry at 8(%rsp) and `ret`;
 *     either way 0(%rsp) on arrival is the peer's re-entry point.
 *
 * Registers in the blob: %rsp identity stack; %rbp the peer's re-entry
 * point on the way back; everything else scratch.  Data is reached
 * RIP-relative (D() below), so the blob runs wherever it is copied.
 */
#include <linux/linkage.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include "../kjump_stub.h"

#define D(f)	(kjump_stub_start + KJUMP_STUB_DATA + (f))(%rip)

	.text
	.code64

/*
 * unsigned long kjump_enter(void *ctrl_va, unsigned long ident_entry)
 * Saves this kernel's CPU state in the data block, switches to the jump
 * tables and continues at the blob's identity address.  "Returns" through
 * kjump_return with the peer's re-entry point.  Interrupts must be off.
 */
	.globl	kjump_enter
	.type	kjump_enter, @function
kjump_enter:
	endbr64
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushfq
	leaq	KJUMP_STUB_DATA(%rdi), %r8
	movq	%rsp, KJS_RSP(%r8)
	movq	%cr0, %rax
	movq	%rax, KJS_CR0(%r8)
	movq	%cr3, %rax
	movq	%rax, KJS_CR3(%r8)
	movq	%cr4, %rax
	movq	%rax, KJS_CR4(%r8)
	movl	$MSR_GS_BASE, %ecx
	rdmsr
	movl	%eax, KJS_GSBASE(%r8)
	movl	%edx, KJS_GSBASE + 4(%r8)
	movl	$MSR_EFER, %ecx
	rdmsr
	movl	%eax, KJS_EFER(%r8)
	movl	%edx, KJS_EFER + 4(%r8)
	sidt	KJS_IDTR(%r8)
	movq	KJS_PGD(%r8), %rax
	movq	%rax, %cr3
	ANNOTATE_RETPOLINE_SAFE		/* to the blob: not a speculation target */
	jmp	*%rsi
	.size	kjump_enter, . - kjump_enter

/*
 * kjump_return: entered from the blob with %rdi = control area VA, on the
 * jump tables, the region already swapped back.  Restores EFER, CR0, CR4,
 * CR3, then the GDT, segments and the per-CPU base before anything can
 * touch per-CPU data, `current` or the stack canary; the caller's C then
 * runs restore_processor_state() for the rest (TR, MSRs, FPU, ...).
 * KJS_GDTR is the writable GDT alias, filled in by C: the CPU may set
 * accessed bits, and the fixmap alias is read-only.
 */
	.globl	kjump_return
	.type	kjump_return, @function
kjump_return:
	endbr64
	leaq	KJUMP_STUB_DATA(%rdi), %r8
	movq	KJS_RSP(%r8), %rsp	/* mapped in both tables */
	movl	$MSR_EFER, %ecx
	movl	KJS_EFER(%r8), %eax
	movl	KJS_EFER + 4(%r8), %edx
	wrmsr
	movq	KJS_CR0(%r8), %rax
	movq	%rax, %cr0
	movq	KJS_CR4(%r8), %rax	/* our CR3 has PCID 0: PCIDE may be set */
	movq	%rax, %cr4
	movq	KJS_CR3(%r8), %rax
	movq	%rax, %cr3
	lgdt	KJS_GDTR(%r8)
	pushq	$__KERNEL_CS
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	movl	$__KERNEL_DS, %eax
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs		/* before the base: a selector load clears it */
	movl	$MSR_GS_BASE, %ecx
	movl	KJS_GSBASE(%r8), %eax
	movl	KJS_GSBASE + 4(%r8), %edx
	wrmsr
	lidt	KJS_IDTR(%r8)
	movq	KJS_PEER(%r8), %rax
	popfq
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	ANNOTATE_UNRET_SAFE		/* plain ret: the return thunk is not set up yet */
	ret
	.size	kjump_return, . - kjump_return

/* They switch page tables and stacks: objtool's unwinder checks skip them. */
	.pushsection .discard.func_stack_frame_non_standard, "aw"
	.quad	kjump_enter
	.quad	kjump_return
	.popsection

/* ---- the blob: copied into the control area, runs identity-mapped ---- */
	.section .rodata.kjump_stub, "a"
	.p2align 12
	.globl	kjump_stub_start
kjump_stub_start:

/*
 * Load our GDT, segments and IDT, and put CR0/CR4 in a known state:
 * PAE (and LA57 if on), no PGE (flushes global TLB entries: the peer's or
 * ours must not survive), no PCID, SMEP, SMAP, CET, LASS or FRED (events
 * come through our IDT).  MCE stays on if it was: with it off, a machine
 * check shuts the machine down without a word.  A macro, not a call: the
 * far return below needs a stack we trust.
 */
.macro KNOWN_STATE
	cld
	lgdt	D(KJS_MYGDTR)
	pushq	$KJUMP_CS
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	movl	$KJUMP_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	lidt	D(KJS_MYIDTR)
	movq	%cr4, %rax
	andl	$(X86_CR4_LA57 | X86_CR4_MCE), %eax	/* and bits 32+ (FRED) cleared */
	orl	$X86_CR4_PAE, %eax
	movq	%rax, %cr4
	movq	%cr0, %rax
	andq	$~(X86_CR0_AM | X86_CR0_TS | X86_CR0_EM), %rax
	orl	$(X86_CR0_PG | X86_CR0_PE), %eax
	movq	%rax, %cr0
.endm

.macro RDTSC64 reg
	rdtsc
	shlq	$32, %rdx
	orq	%rax, %rdx
	movq	%rdx, \reg
.endm

/* Outbound, from kjump_enter: jump tables loaded, still on this kernel's stack. */
	.globl	kjump_identity
kjump_identity:
	endbr64
	leaq	(kjump_stub_start + KJUMP_STUB_STACK)(%rip), %rsp
	KNOWN_STATE
	cmpl	$0, D(KJS_SELFTEST)	/* the NMI path's test (selftest_nmi=) */
	je	1f
	int	$2
1:	RDTSC64	%r13
	movq	D(KJS_HEAD), %rdi
	call	kj_swap_pages
	movq	%rax, D(KJS_SWAPPED)
	RDTSC64	%r14
	movq	%r14, D(KJS_TSC_AWAY)
	subq	%r13, %r14
	movq	%r14, D(KJS_TSC_OUT)
	movq	D(KJS_ENTRY), %rdx
	pushq	$0			/* 8(%rsp) for the peer: its next entry */
	call	*%rdx

/*
 * This kernel's re-entry point.  The peer arrives here by `ret` or by
 * `call`, in 64-bit mode with paging that maps this page; 0(%rsp) is its
 * re-entry point.
 */
	.globl	kjump_reentry
kjump_reentry:
	endbr64
	cli
	movq	(%rsp), %rbp
	movq	%cr4, %rax
	xorq	D(KJS_CR4), %rax
	testl	$X86_CR4_LA57, %eax
	jnz	kj_la57_mismatch
	movq	D(KJS_PGD), %rax
	movq	%rax, %cr3
	leaq	(kjump_stub_start + KJUMP_STUB_STACK)(%rip), %rsp
	KNOWN_STATE
	movq	%rbp, D(KJS_PEER)
	RDTSC64	%r13
	movq	%r13, %r14
	subq	D(KJS_TSC_AWAY), %r14
	movq	%r14, D(KJS_TSC_AWAY)
	movq	D(KJS_HEAD), %rdi
	call	kj_swap_pages
	RDTSC64	%r14
	subq	%r13, %r14
	movq	%r14, D(KJS_TSC_IN)
	movq	D(KJS_VIRT), %rdi
	movq	D(KJS_RETURN), %rax
	jmp	*%rax

/*
 * kj_swap_pages: walk the kexec indirection list whose head entry is %rdi
 * and swap each destination page with its source page, 8 bytes at a time
 * through registers (two reads, two writes: no bounce page).  Running it
 * twice restores both pages.  Returns the number of pages in %rax.
 * Clobbers %rcx, %rdx, %rsi, %rdi, %r8-%r12.
 */
kj_swap_pages:
	xorl	%eax, %eax
	testq	%rdi, %rdi
	jz	9f
	movq	%rdi, %rcx
	xorl	%r9d, %r9d		/* next list slot */
	xorl	%r10d, %r10d		/* destination */
	jmp	2f
1:	movq	(%r9), %rcx
	addq	$8, %r9
2:	movq	%rcx, %r11
	andq	$-4096, %r11
	testb	$KJ_IND_DESTINATION, %cl
	jz	3f
	movq	%r11, %r10
	jmp	1b
3:	testb	$KJ_IND_INDIRECTION, %cl
	jz	4f
	movq	%r11, %r9
	jmp	1b
4:	testb	$KJ_IND_DONE, %cl
	jnz	9f
	testb	$KJ_IND_SOURCE, %cl
	jz	1b
	movq	%r10, %rdi
	movq	%r11, %rsi
	movl	$128, %r12d		/* 4096 / 32 */
5:	movq	0(%rdi), %rdx
	movq	0(%rsi), %r8
	movq	%r8, 0(%rdi)
	movq	%rdx, 0(%rsi)
	movq	8(%rdi), %rdx
	movq	8(%rsi), %r8
	movq	%r8, 8(%rdi)
	movq	%rdx, 8(%rsi)
	movq	16(%rdi), %rdx
	movq	16(%rsi), %r8
	movq	%r8, 16(%rdi)
	movq	%rdx, 16(%rsi)
	movq	24(%rdi), %rdx
	movq	24(%rsi), %r8
	movq	%r8, 24(%rdi)
	movq	%rdx, 24(%rsi)
	addq	$32, %rdi
	addq	$32, %rsi
	decl	%r12d
	jnz	5b
	addq	$4096, %r10
	incq	%rax
	jmp	1b
9:	ret

/* ---- diagnostics on the serial port (8250 at KJS_SERIAL) ---- */

/*
 * kj_putc: %al. Clobbers %rdx, %r11.  A UART that never says it is ready
 * gets the byte anyway after about 100000 polls: the message is lost,
 * not the halt it precedes.
 */
kj_putc:
	movq	D(KJS_SERIAL), %rdx
	testq	%rdx, %rdx
	jz	2f
	pushq	%rcx
	movl	$100000, %ecx
	movb	%al, %r11b
	addq	$5, %rdx		/* line status register */
1:	inb	%dx, %al
	testb	$0x20, %al		/* transmit holding register empty */
	jnz	3f
	decl	%ecx
	jnz	1b
3:	subq	$5, %rdx
	movb	%r11b, %al
	outb	%al, %dx
	popq	%rcx
2:	ret

/* kj_puts: NUL-terminated string at %rsi. Clobbers %rax, %rdx, %rsi, %r11. */
kj_puts:
1:	movb	(%rsi), %al
	testb	%al, %al
	jz	2f
	call	kj_putc
	incq	%rsi
	jmp	1b
2:	ret

/* kj_puthex: %rax as 16 hex digits. Clobbers %rax, %rcx, %rdx, %r10, %r11. */
kj_puthex:
	movq	%rax, %r10
	movl	$16, %ecx
1:	rolq	$4, %r10
	movl	%r10d, %eax
	andl	$0xf, %eax
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	2f
	addb	$('a' - '0' - 10), %al
2:	call	kj_putc
	decl	%ecx
	jnz	1b
	ret

/* kj_putfield: label at %rsi, value at %rax. */
kj_putfield:
	pushq	%rax
	call	kj_puts
	popq	%rax
	jmp	kj_puthex

kj_la57_mismatch:
	leaq	kj_msg_la57(%rip), %rsi
	call	kj_puts
	jmp	kj_halt

/*
 * Exceptions while identity-mapped.  Stack on entry: vector, error code,
 * then the CPU's frame (rip, cs, rflags, rsp, ss).  #BP returns (a
 * debugger's int3 must not kill the jump), and so does an NMI (the perf
 * NMI watchdog, an NMI button: nothing here to hand it to, and the jump
 * must go on); anything else prints vector, error code, RIP, CR2 and the
 * registers, then halts: a message instead of a silent triple fault.  A
 * machine check says so first.
 */
kj_exception:
	cmpq	$3, (%rsp)
	je	3f
	cmpq	$2, (%rsp)
	jne	1f
3:	addq	$16, %rsp
	iretq
1:	cmpq	$18, (%rsp)
	jne	4f
	leaq	kj_msg_mce(%rip), %rsi
	call	kj_puts
4:	pushq	%r15
	pushq	%r14
	pushq	%r13
	pushq	%r12
	pushq	%r11
	pushq	%r10
	pushq	%r9
	pushq	%r8
	pushq	%rdi
	pushq	%rsi
	pushq	%rbp
	pushq	%rdx
	pushq	%rcx
	pushq	%rbx
	pushq	%rax
	movq	%rsp, %rbx		/* 15 registers, then vector, error, rip */
	leaq	kj_msg_exc(%rip), %rsi
	movq	15*8(%rbx), %rax
	call	kj_putfield
	leaq	kj_msg_err(%rip), %rsi
	movq	16*8(%rbx), %rax
	call	kj_putfield
	leaq	kj_msg_rip(%rip), %rsi
	movq	17*8(%rbx), %rax
	call	kj_putfield
	leaq	kj_msg_cr2(%rip), %rsi
	movq	%cr2, %rax
	call	kj_putfield
	leaq	kj_msg_rsp(%rip), %rsi
	movq	20*8(%rbx), %rax
	call	kj_putfield
	xorl	%r12d, %r12d
	leaq	kj_msg_regs(%rip), %r13
2:	movq	%r13, %rsi
	movq	(%rbx, %r12, 8), %rax
	call	kj_putfield
	addq	$7, %r13
	incl	%r12d
	cmpl	$15, %r12d
	jne	2b
	movb	$'\n', %al
	call	kj_putc
kj_halt:
	cli
	hlt
	jmp	kj_halt

/* One 16-byte entry per vector: push a dummy error code where the CPU
 * does not, push the vector, go to kj_exception. */
	.p2align 4
	.globl	kjump_vectors
kjump_vectors:
	vector = 0
	.rept	KJUMP_NR_VECTORS
	.p2align 4
	.if !(vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30)
	pushq	$0
	.endif
	pushq	$vector
	jmp	kj_exception
	vector = vector + 1
	.endr

kj_msg_la57:
	.asciz	"\nkjump: peer returned with a different paging depth (LA57); halted\n"
kj_msg_mce:	.asciz	"\nkjump: machine check (#MC) during the jump; the machine is halted"
kj_msg_exc:	.asciz	"\nkjump: exception "
kj_msg_err:	.asciz	" error "
kj_msg_rip:	.asciz	" rip "
kj_msg_cr2:	.asciz	" cr2 "
kj_msg_rsp:	.asciz	" rsp "
kj_msg_regs:		/* 6 characters each, kj_exception steps by 7 */
	.asciz	"\n rax "
	.asciz	"  rbx "
	.asciz	"  rcx "
	.asciz	"  rdx "
	.asciz	"\n rbp "
	.asciz	"  rsi "
	.asciz	"  rdi "
	.asciz	"  r8  "
	.asciz	"\n r9  "
	.asciz	"  r10 "
	.asciz	"  r11 "
	.asciz	"  r12 "
	.asciz	"\n r13 "
	.asciz	"  r14 "
	.asciz	"  r15 "

	.org	kjump_stub_start + KJUMP_STUB_DATA, 0xcc
	.fill	KJS_SIZE, 1, 0
	.globl	kjump_stub_end
kjump_stub_end:
