/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Layout shared by the jump stubs (asm/) and the C that prepares them.
 *
 * The control area is KJUMP_CTRL_PAGES pages of this kernel, outside the
 * region, identity-mapped in the jump tables:
 *   page 0   the stub, copied from kjump_stub_start..kjump_stub_end, with
 *            its data block at KJUMP_STUB_DATA (offsets KJS_* below)
 *   page 1   the stack used while identity-mapped (top = end of page 1)
 *   page 2   exception stack
 *   page 3   spare
 */
#ifndef KJUMP_STUB_H
#define KJUMP_STUB_H

#include <linux/bits.h>

#define KJUMP_CTRL_ORDER	2
#define KJUMP_CTRL_PAGES	BIT(KJUMP_CTRL_ORDER)
#define KJUMP_STUB_DATA		0xa00	/* data block offset in page 0 */
#define KJUMP_STUB_STACK	0x2000	/* identity stack top */
#define KJUMP_STUB_XSTACK	0x3000	/* exception stack top */

/* Data block fields (byte offsets from KJUMP_STUB_DATA). */
#define KJS_PGD		0x00	/* in: identity page table (CR3) */
#define KJS_HEAD	0x08	/* in: indirection list head, 0 = no swap */
#define KJS_ENTRY	0x10	/* in: where to call the peer */
#define KJS_PEER	0x18	/* out: the peer's re-entry point, its 0(sp) */
#define KJS_RSP		0x20	/* saved: this kernel's stack pointer */
#define KJS_CR0		0x28
#define KJS_CR3		0x30
#define KJS_CR4		0x38
#define KJS_GSBASE	0x40	/* x86_64: MSR_GS_BASE (per-CPU base) */
#define KJS_EFER	0x48
#define KJS_GDTR	0x50	/* sgdt image: limit(2) base(4|8) */
#define KJS_IDTR	0x60	/* sidt image */
#define KJS_VIRT	0x70	/* in: the control area's kernel virtual address */
#define KJS_RETURN	0x78	/* in: kernel virtual address of the return code */
#define KJS_SERIAL	0x80	/* in: 8250 I/O base for diagnostics, 0 = none */
#define KJS_TSC_OUT	0x88	/* out: TSC cycles of the outbound swap */
#define KJS_TSC_IN	0x90	/* out: TSC cycles of the return swap */
#define KJS_TSC_AWAY	0x98	/* out: TSC cycles from the call to the return */
#define KJS_SWAPPED	0xa0	/* out: pages swapped on the way out */
#define KJS_FS		0xa8	/* i386: saved %fs (per-CPU segment) */
#define KJS_SS		0xac
#define KJS_MYGDTR	0xb0	/* in: our GDT's descriptor (phys base) */
#define KJS_SELFTEST	0xbc	/* in: 1 = raise vector 2 (NMI) once identity-mapped */
#define KJS_MYIDTR	0xc0	/* in: our IDT's descriptor (phys base) */
#define KJS_NXE		0xcc	/* in, i386: 1 = write KJS_EFER back before paging */
#define KJS_GDT		0xd0	/* our GDT: null, null, code (0x10), data (0x18) */
#define KJS_GDT_SIZE	0x20
#define KJS_IDT		0x100	/* our IDT: 32 gates (16 bytes on x86_64, 8 on i386) */
#define KJS_SIZE	0x300

#define KJUMP_NR_VECTORS	32
#define KJUMP_VECTOR_STRIDE	16	/* bytes between vector entry stubs */

/* kexec indirection entry flags (UAPI KJUMP_IND_*; checked equal in C). */
#define KJ_IND_DESTINATION	0x1
#define KJ_IND_INDIRECTION	0x2
#define KJ_IND_DONE		0x4
#define KJ_IND_SOURCE		0x8

/* Selectors in our GDT: the boot protocol's __BOOT_CS and __BOOT_DS. */
#define KJUMP_CS		0x10
#define KJUMP_DS		0x18

#ifndef __ASSEMBLY__
/* The stub's symbols, for module/arch_x86.c. */
extern const u8 kjump_stub_start[], kjump_stub_end[];
extern const u8 kjump_identity[], kjump_reentry[], kjump_vectors[];
unsigned long kjump_enter(void *ctrl, unsigned long ident_entry);
void kjump_return(void);
#endif

#endif /* KJUMP_STUB_H */
