/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A one-page payload that is not Linux, written for mainline's kexec-jump
 * protocol: entered by `call` with the caller's re-entry point at 0(%rsp),
 * it stores its own next entry at 8(%rsp) and returns with `ret`.
 *
 * It counts its entries in its own page and makes entry N+1 the address
 * _start + 16 * N, so the caller can tell from the re-entry points it gets
 * back that the page (and its count) survived between jumps.  Each entry
 * also prints "# payload: entry N" on COM2 (the tests' result channel).
 */
	.code64
	.text
	.globl	_start
_start:
	.rept	16
	.p2align 4
	jmp	main
	.endr
main:
	incq	count(%rip)
	leaq	msg(%rip), %rsi
	call	puts
	movq	count(%rip), %rax
	xorl	%edx, %edx
	movl	$10, %ecx
	divq	%rcx			/* last digit is enough: tests do a few */
	leal	'0'(%edx), %ebx
	call	putc
	movb	$'\n', %bl
	call	putc
	movq	count(%rip), %rax
	andq	$15, %rax
	shlq	$4, %rax
	leaq	_start(%rip), %rcx
	addq	%rcx, %rax
	movq	%rax, 8(%rsp)
	ret

/* putc: %bl to COM2, polled.  puts: the string at %rsi. */
putc:	movw	$0x2fd, %dx
1:	inb	%dx, %al
	testb	$0x20, %al
	jz	1b
	movw	$0x2f8, %dx
	movb	%bl, %al
	outb	%al, %dx
	ret

puts:	movb	(%rsi), %bl
	testb	%bl, %bl
	jz	2f
	call	putc
	incq	%rsi
	jmp	puts
2:	ret

msg:	.asciz	"# payload: entry "
	.p2align 3
count:	.quad	0
