// SPDX-License-Identifier: GPL-2.0
/*
 * x86 glue for the jump: the control area, the identity page tables and
 * the call into the stub (asm/).  The stub's contract is in its header
 * comment; the data block layout in asm/kjump_stub.h.
 *
 * Built without stack protector and with notrace (see Kbuild): between the
 * stub's return and restore_processor_state() the CPU runs with only what
 * the stub restored.
 */
#include <linux/cc_platform.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/math64.h>
#include <linux/ioport.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/smp.h>
#include <asm/apic.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/smp.h>
#include <asm/special_insns.h>
#include <asm/tsc.h>
#include <xen/xen.h>
#include "kjump.h"
#include "../asm/kjump_stub.h"

/* The 8250 the stub reports exceptions on; 0 keeps it quiet. */
static ushort serial_port = 0x3f8;
module_param(serial_port, ushort, 0644);
MODULE_PARM_DESC(serial_port, "I/O port of the UART for the stub's diagnostics (0: none)");

/* Diagnostic: the stub takes vector 2 once identity-mapped (tests its NMI path). */
static bool selftest_nmi;
module_param(selftest_nmi, bool, 0600);
MODULE_PARM_DESC(selftest_nmi, "raise vector 2 in each jump's identity phase (diagnostic)");

/* Identity-table entries: present, writable, accessed, dirty; no NX. */
#define KJ_PT_TABLE	0x063ULL
#define KJ_PT_LARGE	0x0e3ULL	/* ... and PSE: a 2 MiB (or 4 MiB) page */
#define KJ_PT_ADDR	0x000ffffffffff000ULL
#define KJ_2M		BIT_ULL(21)

#define KJS(c, off)	((void *)page_address((c)->ctrl) + KJUMP_STUB_DATA + (off))

static void *kjump_pt_next(struct kjump_ctx *c, struct kjump_alloc *a,
			   u64 *table, unsigned int idx, u64 flags)
{
	if (!(table[idx] & 1)) {
		struct page *p = kjump_alloc_outside(a, 0, __GFP_ZERO);

		if (!p)
			return NULL;
		list_add(&p->lru, &c->pgt_pages);
		table[idx] = page_to_phys(p) | flags;
	}
	return page_address(pfn_to_page(PHYS_PFN(table[idx] & KJ_PT_ADDR)));
}

#ifdef CONFIG_X86_64
#define KJ_LARGE	KJ_2M
static bool kjump_la57(void)
{
	return native_read_cr4() & X86_CR4_LA57;
}

/* Map the 2 MiB page holding @addr 1:1 (4- or 5-level, like this kernel). */
static int kjump_map_large(struct kjump_ctx *c, struct kjump_alloc *a, u64 addr)
{
	u64 *t = page_address(pfn_to_page(PHYS_PFN(c->pgd)));

	if (kjump_la57()) {
		t = kjump_pt_next(c, a, t, (addr >> 48) & 511, KJ_PT_TABLE);
		if (!t)
			return -ENOMEM;
	}
	t = kjump_pt_next(c, a, t, (addr >> 39) & 511, KJ_PT_TABLE);
	if (t)
		t = kjump_pt_next(c, a, t, (addr >> 30) & 511, KJ_PT_TABLE);
	if (!t)
		return -ENOMEM;
	t[(addr >> 21) & 511] = (addr & ~(KJ_2M - 1)) | KJ_PT_LARGE;
	return 0;
}
#elif defined(CONFIG_X86_PAE)
#define KJ_LARGE	KJ_2M
/* PAE: a PDPT whose entries may carry only the present bit, 2 MiB pages. */
static int kjump_map_large(struct kjump_ctx *c, struct kjump_alloc *a, u64 addr)
{
	u64 *t = page_address(pfn_to_page(PHYS_PFN(c->pgd)));

	t = kjump_pt_next(c, a, t, (addr >> 30) & 3, 1);
	if (!t)
		return -ENOMEM;
	t[(addr >> 21) & 511] = (addr & ~(KJ_2M - 1)) | KJ_PT_LARGE;
	return 0;
}
#else
#define KJ_LARGE	BIT_ULL(22)
/* Two-level paging: 4 MiB pages (PSE) straight in the directory. */
static int kjump_map_large(struct kjump_ctx *c, struct kjump_alloc *a, u64 addr)
{
	u32 *t = page_address(pfn_to_page(PHYS_PFN(c->pgd)));

	t[(addr >> 22) & 1023] = (u32)(addr & ~(KJ_LARGE - 1)) | (u32)KJ_PT_LARGE;
	return 0;
}
#endif

static int kjump_map_range(struct kjump_ctx *c, struct kjump_alloc *a,
			   u64 start, u64 end)
{
	u64 addr;
	int ret;

	for (addr = start & ~(KJ_LARGE - 1); addr < end; addr += KJ_LARGE) {
		ret = kjump_map_large(c, a, addr);
		if (ret)
			return ret;
	}
	return 0;
}

#ifdef CONFIG_X86_64
struct kjump_map_walk {
	struct kjump_ctx *c;
	struct kjump_alloc *a;
};

static int kjump_map_ram(struct resource *res, void *arg)
{
	struct kjump_map_walk *w = arg;

	return kjump_map_range(w->c, w->a, res->start, res->end + 1);
}
#endif

/*
 * The control area and the jump tables.  The tables map all of this
 * kernel's RAM 1:1 (the region and the shadows among it), the first 2 MiB,
 * and @extra: the peer's pages when this kernel is a B or D, which lie
 * outside our RAM.  The upper half is filled from this kernel's own tables
 * at each jump, so module text stays mapped on them.
 */
int kjump_ctx_init(struct kjump_ctx *c, struct kjump_alloc *a,
		   const phys_addr_t *extra, unsigned int nr_extra)
{
	struct page *top;
	int ret;

	/* The stubs' copies of the UAPI's indirection flags. */
	BUILD_BUG_ON(KJUMP_IND_DESTINATION - KJ_IND_DESTINATION);
	BUILD_BUG_ON(KJUMP_IND_INDIRECTION - KJ_IND_INDIRECTION);
	BUILD_BUG_ON(KJUMP_IND_DONE - KJ_IND_DONE);
	BUILD_BUG_ON(KJUMP_IND_SOURCE - KJ_IND_SOURCE);

	INIT_LIST_HEAD(&c->pgt_pages);
	if (kjump_stub_end - kjump_stub_start > PAGE_SIZE)
		return -EINVAL;
	c->ctrl = kjump_alloc_outside(a, KJUMP_CTRL_ORDER, __GFP_ZERO);
	if (!c->ctrl)
		return -ENOMEM;
	memcpy(page_address(c->ctrl), kjump_stub_start, kjump_stub_end - kjump_stub_start);

	top = kjump_alloc_outside(a, 0, __GFP_ZERO);
	if (!top)
		return -ENOMEM;
	list_add(&top->lru, &c->pgt_pages);
	c->pgd = page_to_phys(top);

#ifdef CONFIG_X86_64
	struct kjump_map_walk w = { .c = c, .a = a };
	unsigned int i;

	ret = kjump_map_range(c, a, 0, KJ_2M);
	if (!ret)
		ret = walk_iomem_res_desc(IORES_DESC_NONE,
					  IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
					  0, -1, &w, kjump_map_ram);
	for (i = 0; !ret && i < nr_extra; i++)
		ret = kjump_map_range(c, a, extra[i], extra[i] + 1);
#else
	/* The blob turns paging off at once: only it must be mapped 1:1. */
	ret = kjump_map_range(c, a, page_to_phys(c->ctrl),
			      page_to_phys(c->ctrl) + (PAGE_SIZE << KJUMP_CTRL_ORDER));
#endif
	return ret;
}

void kjump_ctx_free(struct kjump_ctx *c)
{
	struct page *p, *tmp;

	if (c->ctrl)
		__free_pages(c->ctrl, KJUMP_CTRL_ORDER);
	c->ctrl = NULL;
	if (!c->pgt_pages.next)
		return;
	list_for_each_entry_safe(p, tmp, &c->pgt_pages, lru) {
		list_del(&p->lru);
		__free_page(p);
	}
}

phys_addr_t kjump_ctx_reentry(const struct kjump_ctx *c)
{
	return page_to_phys(c->ctrl) + (kjump_reentry - kjump_stub_start);
}

/* A descriptor-table register image as sgdt/lgdt see it. */
struct kjump_dtr {
	u16 limit;
	unsigned long base;
} __packed;

static notrace void kjump_fill_data(struct kjump_ctx *c, unsigned long head,
				    unsigned long entry)
{
	phys_addr_t ctrl = page_to_phys(c->ctrl);
	phys_addr_t data = ctrl + KJUMP_STUB_DATA;
	phys_addr_t vectors = ctrl + (kjump_vectors - kjump_stub_start);
	u64 *gdt = KJS(c, KJS_GDT);
	struct kjump_dtr *dtr;
	unsigned int i;

	*(u64 *)KJS(c, KJS_PGD) = c->pgd;
	*(u64 *)KJS(c, KJS_HEAD) = head;
	*(u64 *)KJS(c, KJS_ENTRY) = entry;
	*(u64 *)KJS(c, KJS_PEER) = 0;
	*(u64 *)KJS(c, KJS_VIRT) = (unsigned long)page_address(c->ctrl);
	*(u64 *)KJS(c, KJS_RETURN) = (unsigned long)kjump_return;
	*(u64 *)KJS(c, KJS_SERIAL) = serial_port;
	*(u32 *)KJS(c, KJS_SELFTEST) = READ_ONCE(selftest_nmi);
#ifdef CONFIG_X86_32
	/* EFER exists where NX does; the stub restores NXE before paging. */
	*(u32 *)KJS(c, KJS_NXE) = boot_cpu_has(X86_FEATURE_NX);
	if (boot_cpu_has(X86_FEATURE_NX))
		rdmsrq(MSR_EFER, *(u64 *)KJS(c, KJS_EFER));
#endif

	/* Flat segments: the boot protocol's 0x10 code and 0x18 data. */
	gdt[0] = 0;
	gdt[1] = 0;
#ifdef CONFIG_X86_64
	gdt[2] = 0x00af9b000000ffffULL;	/* 64-bit code, accessed */
#else
	gdt[2] = 0x00cf9b000000ffffULL;	/* 32-bit code, accessed */
#endif
	gdt[3] = 0x00cf93000000ffffULL;	/* data, accessed */
	dtr = KJS(c, KJS_MYGDTR);
	dtr->limit = KJS_GDT_SIZE - 1;
	dtr->base = data + KJS_GDT;

	for (i = 0; i < KJUMP_NR_VECTORS; i++) {
		u64 off = vectors + i * KJUMP_VECTOR_STRIDE;
#ifdef CONFIG_X86_64
		u64 *gate = KJS(c, KJS_IDT + i * 16);

		gate[0] = (off & 0xffff) | ((u64)KJUMP_CS << 16) |
			  (0x8eULL << 40) | ((off & 0xffff0000ULL) << 32);
		gate[1] = off >> 32;
#else
		u64 *gate = KJS(c, KJS_IDT + i * 8);

		gate[0] = (off & 0xffff) | ((u64)KJUMP_CS << 16) |
			  (0x8eULL << 40) | ((off & 0xffff0000ULL) << 32);
#endif
	}
	dtr = KJS(c, KJS_MYIDTR);
	dtr->limit = KJUMP_NR_VECTORS * (IS_ENABLED(CONFIG_X86_64) ? 16 : 8) - 1;
	dtr->base = data + KJS_IDT;

	/* The way back loads the writable GDT alias (see kjump_return). */
	dtr = KJS(c, KJS_GDTR);
	dtr->limit = GDT_SIZE - 1;
	dtr->base = (unsigned long)get_cpu_gdt_rw(smp_processor_id());
}

/* The jump tables' upper half, the data block: all the stub needs. */
static notrace void kjump_arch_prepare(struct kjump_ctx *c, unsigned long head,
				       unsigned long entry)
{
	pgd_t *mine = page_address(pfn_to_page(PHYS_PFN(c->pgd)));
	pgd_t *cur = __va(__read_cr3() & CR3_ADDR_MASK);

	/* Share this kernel's upper half: module text, stacks, direct map. */
	memcpy(mine + KERNEL_PGD_BOUNDARY, cur + KERNEL_PGD_BOUNDARY,
	       (PTRS_PER_PGD - KERNEL_PGD_BOUNDARY) * sizeof(pgd_t));
	kjump_fill_data(c, head, entry);
}

/*
 * A hardware breakpoint left armed would fire in the stub or the peer: off
 * for the jump, as machine_kexec() does, and this kernel's own put back
 * after (the peer leaves its own there).  Saved from the registers: 7.x
 * exports hw_breakpoint_restore() to KVM only.
 */
struct kjump_dregs {
	unsigned long dr0, dr1, dr2, dr3, dr7;
};

static __always_inline void kjump_dregs_off(struct kjump_dregs *d)
{
	get_debugreg(d->dr7, 7);
	get_debugreg(d->dr0, 0);
	get_debugreg(d->dr1, 1);
	get_debugreg(d->dr2, 2);
	get_debugreg(d->dr3, 3);
	hw_breakpoint_disable();
}

static __always_inline void kjump_dregs_back(const struct kjump_dregs *d)
{
	set_debugreg(d->dr0, 0);
	set_debugreg(d->dr1, 1);
	set_debugreg(d->dr2, 2);
	set_debugreg(d->dr3, 3);
	set_debugreg(d->dr7, 7);
}

/*
 * Jump: on the one online CPU, interrupts off, devices and syscore
 * suspended.  Returns the peer's re-entry point.
 */
notrace unsigned long kjump_arch_jump(struct kjump_ctx *c, unsigned long head,
				      unsigned long entry,
				      struct kjump_stub_stats *st)
{
	struct kjump_dregs dregs;
	unsigned long peer;

	kjump_arch_prepare(c, head, entry);
	static_call(kjump_sc_save_processor_state)();
	kjump_dregs_off(&dregs);
#ifdef CONFIG_X86_IO_APIC
	/* Legacy interrupt routing, so the peer gets its timer while booting. */
	static_call(kjump_sc_clear_IO_APIC)();
	static_call(kjump_sc_restore_boot_irq_mode)();
#endif
	peer = kjump_enter(page_address(c->ctrl), page_to_phys(c->ctrl) +
			   (kjump_identity - kjump_stub_start));
	static_call(kjump_sc_restore_processor_state)();
	kjump_dregs_back(&dregs);

	st->swap_out = *(u64 *)KJS(c, KJS_TSC_OUT);
	st->swap_in = *(u64 *)KJS(c, KJS_TSC_IN);
	st->away = *(u64 *)KJS(c, KJS_TSC_AWAY);
	st->swapped = *(u64 *)KJS(c, KJS_SWAPPED);
	return peer;
}

/*
 * The same jump, from a panicking peer with nothing to come back to: no
 * pages to swap, and none of the kallsyms-resolved calls (clear_IO_APIC()
 * takes a lock the dying kernel may hold): this kernel's CPU state is
 * never restored, and the kernel we return to restores its IO-APIC itself
 * (syscore_resume() masks and rewrites every entry).  Returns only if
 * something re-enters this kernel, which nothing should.
 */
notrace void kjump_arch_jump_dying(struct kjump_ctx *c, unsigned long entry)
{
	kjump_arch_prepare(c, 0, entry);
	hw_breakpoint_disable();
	kjump_enter(page_address(c->ctrl), page_to_phys(c->ctrl) +
		    (kjump_identity - kjump_stub_start));
}

u64 kjump_cycles_to_ns(u64 cycles)
{
	return tsc_khz ? mul_u64_u32_div(cycles, NSEC_PER_MSEC, tsc_khz) : 0;
}

/*
 * An offline CPU is not stopped: it reports itself dead first and only
 * then walks to hlt (or spins in mwait, which TCG does not sleep in) on its
 * own stack and page tables, and those may lie in the pages the stub is
 * about to swap; B's always do.  INIT stops it where it stands, in
 * wait-for-SIPI, deaf to interrupts and NMIs; the kernel that onlines it
 * next sends INIT/SIPI anyway.
 */
static notrace void kjump_arch_init_cpu(u32 id)
{
	apic->icr_write(APIC_INT_LEVELTRIG | APIC_INT_ASSERT | APIC_DM_INIT, id);
	if (apic->wait_icr_idle)
		apic->wait_icr_idle();
	apic->icr_write(APIC_INT_LEVELTRIG | APIC_DM_INIT, id);
	if (apic->wait_icr_idle)
		apic->wait_icr_idle();
}

void kjump_arch_park_cpus(void)
{
	unsigned int cpu;

	for_each_present_cpu(cpu) {
		u32 id = cpu_physical_id(cpu);

		if (cpu_online(cpu) || id == BAD_APICID)
			continue;
		kjump_arch_init_cpu(id);
	}
	/* Delivery is not acceptance: give the targets time to take it. */
	usleep_range(100, 200);
}

/*
 * The panic path's: every CPU but this one, stopped by panic() (halted,
 * marked offline) or not.  The local APIC may be software-disabled (panic
 * disables it): it still sends IPIs.  The apic callbacks are called
 * through pointers, but the kernel takes their addresses, so they keep
 * their ENDBR.
 */
notrace void kjump_arch_park_others(void)
{
	unsigned int cpu, self = smp_processor_id();

	for_each_present_cpu(cpu) {
		u32 id = cpu_physical_id(cpu);

		if (cpu == self || id == BAD_APICID)
			continue;
		kjump_arch_init_cpu(id);
	}
	/* Delivery is not acceptance (see kjump_arch_park_cpus). */
	mdelay(1);
}

/*
 * Machines a jump cannot be correct on, or NULL.  With memory encryption
 * the stub's identity map and B's region hold ciphertext it cannot name
 * (the C-bit, SME); a confidential guest's memory and CPU state belong to
 * the firmware's protocol (SEV, SEV-ES/SNP, TDX), which a jump outside it
 * breaks; a Xen PV guest has no page tables or CPU reset of its own.
 */
const char *kjump_arch_unsupported(void)
{
	if (cc_platform_has(CC_ATTR_GUEST_STATE_ENCRYPT))
		return "this is a confidential guest, its CPU state encrypted (SEV-ES/SNP, TDX)";
	if (cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT))
		return "this is a confidential guest, its memory encrypted (AMD SEV, Intel TDX)";
	if (cc_platform_has(CC_ATTR_MEM_ENCRYPT))
		return "memory encryption is active (AMD SME)";
	if (xen_pv_domain())
		return "this is a Xen PV guest";
	return NULL;
}

/* An NMI to @cpu, halted with interrupts off (panic path). */
notrace void kjump_arch_nmi_cpu(unsigned int cpu)
{
	apic->icr_write(APIC_DM_NMI, cpu_physical_id(cpu));
	if (apic->wait_icr_idle)
		apic->wait_icr_idle();
}

/*
 * The peer's panic path stands in for smp_ops.stop_other_cpus (peer.c
 * says why); the kernel's own stays callable through this.
 */
static void (*kjump_stop_saved)(int wait);

void kjump_arch_stop_hook(void (*fn)(int wait))
{
	kjump_stop_saved = smp_ops.stop_other_cpus;
	WRITE_ONCE(smp_ops.stop_other_cpus, fn);
}

void kjump_arch_stop_unhook(void (*fn)(int wait))
{
	/* Ours unless replaced since (nothing in the kernel does after boot). */
	if (smp_ops.stop_other_cpus == fn)
		WRITE_ONCE(smp_ops.stop_other_cpus, kjump_stop_saved);
}

notrace void kjump_arch_stop_cpus(int wait)
{
	kjump_stop_saved(wait);
}

/*
 * Between the stub's return and restore_processor_state() this CPU has
 * no per-CPU base or TSS of its own yet: no probe may land there.
 */
NOKPROBE_SYMBOL(kjump_arch_jump);
/* The panic path (peer.c) runs these: none of them may be probed. */
NOKPROBE_SYMBOL(kjump_fill_data);
NOKPROBE_SYMBOL(kjump_arch_prepare);
NOKPROBE_SYMBOL(kjump_arch_jump_dying);
NOKPROBE_SYMBOL(kjump_arch_init_cpu);
NOKPROBE_SYMBOL(kjump_arch_park_others);
NOKPROBE_SYMBOL(kjump_arch_nmi_cpu);
NOKPROBE_SYMBOL(kjump_arch_stop_cpus);
