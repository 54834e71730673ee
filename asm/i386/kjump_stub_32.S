/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kjump i386 jump stub (PAE and non-PAE): mainline's 32-bit kexec-jump
 * protocol, written anew.
 *
 * As on x86_64, kjump_enter and kjump_return run from module text; the
 * blob kjump_stub_start..kjump_stub_end is copied into the control area
 * (lowmem) and runs at its physical address.  The jump tables map the
 * control area 1:1 and share this kernel's upper half (module text).
 *
 * Unlike x86_64, the swap and the peer run with paging OFF: the blob turns
 * it off as soon as it runs identity-mapped, so the region may be anywhere
 * below 4 GiB and the peer is entered the way the 32-bit boot protocol
 * wants it (protected mode, flat CS 0x10 / DS 0x18, no paging).
 *
 * Protocol with the peer: entered by `call` with interrupts off; 0(%esp)
 * is our re-entry point (kjump_reentry), 4(%esp) a reserved slot.  The
 * peer comes back by calling kjump_reentry or by storing its next entry at
 * 4(%esp) and `ret`; 0(%esp) on arrival is the peer's re-entry point.  The
 * peer may come back with paging on if its tables map this page 1:1.
 *
 * On the way back CR4 (with PAE) is restored before CR0.PG is set, and
 * PAE never changes while paging is on (mainline's 32-bit path gets this
 * wrong for PAE).  Registers in the blob: %ebx = the blob's physical base,
 * %esp the identity stack, %ebp the peer's re-entry point on the way back.
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include "../kjump_stub.h"

#define D(f)	(KJUMP_STUB_DATA + (f))(%ebx)

	.text
	.code32

/*
 * unsigned long kjump_enter(void *ctrl_va, unsigned long ident_entry)
 * The kernel is built with -mregparm=3: %eax = ctrl_va, %edx = ident_entry.
 */
	.globl	kjump_enter
	.type	kjump_enter, @function
kjump_enter:
	pushl	%ebx
	pushl	%esi
	pushl	%edi
	pushl	%ebp
	pushfl
	leal	KJUMP_STUB_DATA(%eax), %ecx
	movl	%esp, KJS_RSP(%ecx)
	movl	%cr0, %eax
	movl	%eax, KJS_CR0(%ecx)
	movl	%cr3, %eax
	movl	%eax, KJS_CR3(%ecx)
	movl	%cr4, %eax
	movl	%eax, KJS_CR4(%ecx)
	sidt	KJS_IDTR(%ecx)
	movw	%fs, KJS_FS(%ecx)
	movw	%ss, KJS_SS(%ecx)
	movl	KJS_PGD(%ecx), %eax
	movl	%eax, %cr3
	ANNOTATE_RETPOLINE_SAFE
	jmp	*%edx
	.size	kjump_enter, . - kjump_enter

/*
 * kjump_return: from the blob with %eax = control area VA, paging on with
 * the jump tables.  Restores this kernel's CR3, stack, GDT (writable
 * alias), segments with the per-CPU %fs, and IDT before any C runs; the
 * caller then runs restore_processor_state().
 */
	.globl	kjump_return
	.type	kjump_return, @function
kjump_return:
	leal	KJUMP_STUB_DATA(%eax), %ecx
	movl	KJS_CR3(%ecx), %eax
	movl	%eax, %cr3
	movl	KJS_RSP(%ecx), %esp
	lgdt	KJS_GDTR(%ecx)
	ljmp	$__KERNEL_CS, $1f
1:	movw	KJS_SS(%ecx), %ax
	movw	%ax, %ss
	movl	$__USER_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movw	KJS_FS(%ecx), %ax
	movw	%ax, %fs
	xorl	%eax, %eax
	movl	%eax, %gs
	lidt	KJS_IDTR(%ecx)
	movl	KJS_PEER(%ecx), %eax
	popfl
	popl	%ebp
	popl	%edi
	popl	%esi
	popl	%ebx
	ANNOTATE_UNRET_SAFE
	ret
	.size	kjump_return, . - kjump_return

	.pushsection .discard.func_stack_frame_non_standard, "aw"
	.long	kjump_enter
	.long	kjump_return
	.popsection

/* ---- the blob: copied into the control area, runs at its physical address ---- */
	.section .rodata.kjump_stub, "a"
	.p2align 12
	.globl	kjump_stub_start
kjump_stub_start:

/* %ebx = the blob's physical base, whatever the stack holds. */
.macro FIND_BASE
	call	9f
9:	popl	%ebx
	subl	$(9b - kjump_stub_start), %ebx
.endm

/*
 * Our GDT, flat segments and IDT, paging off, CR4 clear (flushes globals)
 * but for MCE, kept on if it was (as on x86_64).
 */
.macro KNOWN_STATE
	cld
	lgdt	D(KJS_MYGDTR)
	pushl	$KJUMP_CS
	leal	(8f - kjump_stub_start)(%ebx), %eax
	pushl	%eax
	lret
8:	movl	$KJUMP_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	lidt	D(KJS_MYIDTR)
	movl	%cr0, %eax
	andl	$~(X86_CR0_PG | X86_CR0_AM | X86_CR0_WP | X86_CR0_TS | X86_CR0_EM), %eax
	movl	%eax, %cr0
	jmp	7f
7:	movl	%cr4, %eax
	andl	$X86_CR4_MCE, %eax
	movl	%eax, %cr4
	xorl	%eax, %eax
	movl	%eax, %cr3
.endm

	.globl	kjump_identity
kjump_identity:
	FIND_BASE
	leal	KJUMP_STUB_STACK(%ebx), %esp
	KNOWN_STATE
	cmpl	$0, D(KJS_SELFTEST)	/* the NMI path's test (selftest_nmi=) */
	je	1f
	int	$2
1:	rdtsc
	movl	%eax, D(KJS_TSC_OUT)
	movl	%edx, D(KJS_TSC_OUT + 4)
	movl	D(KJS_HEAD), %eax
	call	kj_swap_pages
	movl	%eax, D(KJS_SWAPPED)
	rdtsc
	movl	%eax, D(KJS_TSC_AWAY)
	movl	%edx, D(KJS_TSC_AWAY + 4)
	subl	D(KJS_TSC_OUT), %eax
	sbbl	D(KJS_TSC_OUT + 4), %edx
	movl	%eax, D(KJS_TSC_OUT)
	movl	%edx, D(KJS_TSC_OUT + 4)
	movl	D(KJS_ENTRY), %edx
	pushl	$0			/* 4(%esp) for the peer: its next entry */
	call	*%edx

	.globl	kjump_reentry
kjump_reentry:
	cli
	movl	(%esp), %ebp
	FIND_BASE
	leal	KJUMP_STUB_STACK(%ebx), %esp
	KNOWN_STATE
	movl	%ebp, D(KJS_PEER)
	rdtsc
	movl	%eax, D(KJS_TSC_IN)	/* the swap's start; kj_swap_pages clobbers */
	movl	%edx, D(KJS_TSC_IN + 4)
	subl	D(KJS_TSC_AWAY), %eax
	sbbl	D(KJS_TSC_AWAY + 4), %edx
	movl	%eax, D(KJS_TSC_AWAY)
	movl	%edx, D(KJS_TSC_AWAY + 4)
	movl	D(KJS_HEAD), %eax
	call	kj_swap_pages
	rdtsc
	subl	D(KJS_TSC_IN), %eax
	sbbl	D(KJS_TSC_IN + 4), %edx
	movl	%eax, D(KJS_TSC_IN)
	movl	%edx, D(KJS_TSC_IN + 4)
	/*
	 * EFER.NXE first where the CPU has NX: with it clear, the NX bits of
	 * this kernel's page tables would be reserved bits (#PF on its stack).
	 */
	cmpl	$0, D(KJS_NXE)
	je	2f
	movl	$0xc0000080, %ecx	/* MSR_EFER */
	movl	D(KJS_EFER), %eax
	movl	D(KJS_EFER + 4), %edx
	wrmsr
2:	/* Paging back on: CR4 (PAE) first, then our tables, then CR0.PG. */
	movl	D(KJS_CR4), %eax
	movl	%eax, %cr4
	movl	D(KJS_PGD), %eax
	movl	%eax, %cr3
	movl	D(KJS_CR0), %eax
	movl	%eax, %cr0
	jmp	1f
1:	movl	D(KJS_RETURN), %ecx
	movl	D(KJS_VIRT), %eax
	jmp	*%ecx

/*
 * kj_swap_pages: walk the indirection list whose head entry is %eax and
 * swap each destination page with its source (physical addresses, paging
 * off).  Returns the pages swapped in %eax.  Keeps %ebx; clobbers the rest
 * but %esp.  Frame: 0 list pointer, 4 destination, 8 count.
 */
kj_swap_pages:
	pushl	%ebx
	pushl	%ebp
	subl	$12, %esp
	movl	$0, 8(%esp)
	testl	%eax, %eax
	jz	9f
	movl	%eax, %ecx
	jmp	2f
1:	movl	0(%esp), %esi
	movl	(%esi), %ecx
	addl	$4, 0(%esp)
2:	movl	%ecx, %eax
	andl	$0xfffff000, %eax
	testb	$KJ_IND_DESTINATION, %cl
	jz	3f
	movl	%eax, 4(%esp)
	jmp	1b
3:	testb	$KJ_IND_INDIRECTION, %cl
	jz	4f
	movl	%eax, 0(%esp)
	jmp	1b
4:	testb	$KJ_IND_DONE, %cl
	jnz	9f
	testb	$KJ_IND_SOURCE, %cl
	jz	1b
	movl	%eax, %esi
	movl	4(%esp), %edi
	movl	$512, %ebp		/* 4096 / 8 */
5:	movl	0(%esi), %eax
	movl	0(%edi), %ebx
	movl	%ebx, 0(%esi)
	movl	%eax, 0(%edi)
	movl	4(%esi), %eax
	movl	4(%edi), %ebx
	movl	%ebx, 4(%esi)
	movl	%eax, 4(%edi)
	addl	$8, %esi
	addl	$8, %edi
	decl	%ebp
	jnz	5b
	addl	$4096, 4(%esp)
	incl	8(%esp)
	jmp	1b
9:	movl	8(%esp), %eax
	addl	$12, %esp
	popl	%ebp
	popl	%ebx
	ret

/* ---- diagnostics on the serial port; %ebx = base ---- */

/* kj_putc: %al.  Clobbers %edx, %ecx.  At most ~100000 polls (as x86_64). */
kj_putc:
	movl	D(KJS_SERIAL), %edx
	testl	%edx, %edx
	jz	2f
	pushl	%eax
	movl	$100000, %ecx
	addl	$5, %edx
1:	inb	%dx, %al
	testb	$0x20, %al
	jnz	3f
	decl	%ecx
	jnz	1b
3:	subl	$5, %edx
	popl	%eax
	outb	%al, %dx
2:	ret

/* kj_puts: string at %esi (physical).  Clobbers %eax, %ecx, %edx, %esi. */
kj_puts:
1:	movb	(%esi), %al
	testb	%al, %al
	jz	2f
	call	kj_putc
	incl	%esi
	jmp	1b
2:	ret

/* kj_puthex: %eax as 8 hex digits.  Clobbers %eax, %ecx, %edx, %edi, %ebp. */
kj_puthex:
	movl	%eax, %edi
	movl	$8, %ebp
1:	roll	$4, %edi
	movl	%edi, %eax
	andl	$0xf, %eax
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	2f
	addb	$('a' - '0' - 10), %al
2:	call	kj_putc
	decl	%ebp
	jnz	1b
	ret

/* kj_putfield: label at offset %esi from the base, value %eax. */
kj_putfield:
	pushl	%eax
	addl	%ebx, %esi
	call	kj_puts
	popl	%eax
	jmp	kj_puthex

/*
 * Exceptions while paging is off.  Stack: vector, error code, eip, cs,
 * eflags.  #BP and NMIs return (as on x86_64); anything else prints and
 * halts, a machine check saying so first.
 */
kj_exception:
	cmpl	$3, (%esp)
	je	3f
	cmpl	$2, (%esp)
	jne	1f
3:	addl	$8, %esp
	iret
1:	cmpl	$18, (%esp)
	jne	4f
	pushal
	FIND_BASE
	leal	(kj_msg_mce - kjump_stub_start)(%ebx), %esi
	call	kj_puts
	popal
4:	pushal				/* edi esi ebp esp ebx edx ecx eax */
	movl	%esp, %esi
	FIND_BASE
	movl	%esi, %esp		/* FIND_BASE's push is popped: same esp */
	pushl	%esi
	movl	$(kj_msg_exc - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	32(%eax), %eax
	call	kj_putfield
	movl	$(kj_msg_err - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	36(%eax), %eax
	call	kj_putfield
	movl	$(kj_msg_rip - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	40(%eax), %eax
	call	kj_putfield
	movl	$(kj_msg_cr2 - kjump_stub_start), %esi
	movl	%cr2, %eax
	call	kj_putfield
	movl	$(kj_msg_regs - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	28(%eax), %eax		/* eax */
	call	kj_putfield
	movl	$(kj_msg_regs + 7 - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	16(%eax), %eax		/* ebx */
	call	kj_putfield
	movl	$(kj_msg_regs + 14 - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	24(%eax), %eax		/* ecx */
	call	kj_putfield
	movl	$(kj_msg_regs + 21 - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	20(%eax), %eax		/* edx */
	call	kj_putfield
	movl	$(kj_msg_regs + 28 - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	4(%eax), %eax		/* esi */
	call	kj_putfield
	movl	$(kj_msg_regs + 35 - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	0(%eax), %eax		/* edi */
	call	kj_putfield
	movl	$(kj_msg_regs + 42 - kjump_stub_start), %esi
	movl	0(%esp), %eax
	movl	8(%eax), %eax		/* ebp */
	call	kj_putfield
	movl	$(kj_msg_regs + 49 - kjump_stub_start), %esi
	movl	0(%esp), %eax
	addl	$52, %eax		/* esp before the exception */
	call	kj_putfield
	movb	$'\n', %al
	call	kj_putc
kj_halt:
	cli
	hlt
	jmp	kj_halt

	.p2align 4
	.globl	kjump_vectors
kjump_vectors:
	vector = 0
	.rept	KJUMP_NR_VECTORS
	.p2align 4
	.if !(vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30)
	pushl	$0
	.endif
	pushl	$vector
	jmp	kj_exception
	vector = vector + 1
	.endr

kj_msg_mce:	.asciz	"\nkjump: machine check (#MC) during the jump; the machine is halted"
kj_msg_exc:	.asciz	"\nkjump: exception "
kj_msg_err:	.asciz	" error "
kj_msg_rip:	.asciz	" eip "
kj_msg_cr2:	.asciz	" cr2 "
kj_msg_regs:		/* 6 characters each, 7 apart */
	.asciz	"\n eax "
	.asciz	"  ebx "
	.asciz	"  ecx "
	.asciz	"  edx "
	.asciz	"\n esi "
	.asciz	"  edi "
	.asciz	"  ebp "
	.asciz	"  esp "

	.org	kjump_stub_start + KJUMP_STUB_DATA, 0xcc
	.fill	KJS_SIZE, 1, 0
	.globl	kjump_stub_end
kjump_stub_end:
