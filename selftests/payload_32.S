/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The i386 form of selftests/payload_64.S: entered by `call` with paging
 * off, 0(%esp) the caller's re-entry point and 4(%esp) the reserved slot;
 * stores its next entry (_start + 16 * N) at 4(%esp) and returns.
 */
	.code32
	.text
	.globl	_start
_start:
	.rept	16
	.p2align 4
	jmp	main
	.endr
main:
	call	1f
1:	popl	%ebp
	subl	$(1b - _start), %ebp		/* %ebp = where we run */
	incl	(count - _start)(%ebp)
	leal	(msg - _start)(%ebp), %esi
	call	puts
	movl	(count - _start)(%ebp), %eax
	xorl	%edx, %edx
	movl	$10, %ecx
	divl	%ecx
	leal	'0'(%edx), %ebx
	call	putc
	movb	$'\n', %bl
	call	putc
	movl	(count - _start)(%ebp), %eax
	andl	$15, %eax
	shll	$4, %eax
	addl	%ebp, %eax
	movl	%eax, 4(%esp)
	ret

/* putc: %bl to COM2, polled.  puts: the string at %esi. */
putc:	movw	$0x2fd, %dx
1:	inb	%dx, %al
	testb	$0x20, %al
	jz	1b
	movw	$0x2f8, %dx
	movb	%bl, %al
	outb	%al, %dx
	ret

puts:	movb	(%esi), %bl
	testb	%bl, %bl
	jz	2f
	call	putc
	incl	%esi
	jmp	puts
2:	ret

msg:	.asciz	"# payload: entry "
	.p2align 2
count:	.long	0
