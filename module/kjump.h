/* SPDX-License-Identifier: GPL-2.0 */
/* kjump internal interfaces, one section per room of the module. */
#ifndef KJUMP_INTERNAL_H
#define KJUMP_INTERNAL_H

#include <linux/types.h>
#include <linux/console.h>
#include <linux/cpu.h>
#include <linux/freezer.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/static_call.h>
#include <linux/suspend.h>
#include <linux/kjump.h>
#include <asm/io_apic.h>
#include "compat.h"

/* MAX_ORDER became inclusive and was renamed MAX_PAGE_ORDER in 6.8. */
#ifdef MAX_PAGE_ORDER
#define KJUMP_MAX_ORDER		MAX_PAGE_ORDER
#else
#define KJUMP_MAX_ORDER		(MAX_ORDER - 1)
#endif

/* Allocation of pages outside the region (image.c). */
struct kjump_alloc {
	const struct kjump_region *region;	/* NULL: anywhere */
	const unsigned long *avoid;		/* bitmap of pfns to avoid, or NULL */
	unsigned long avoid_pfns;		/* pfns the bitmap covers */
	gfp_t gfp;				/* added to GFP_KERNEL */
	struct list_head held;
};

struct page *kjump_alloc_outside(struct kjump_alloc *a, unsigned int order,
				 gfp_t extra);
void kjump_alloc_done(struct kjump_alloc *a);

/*
 * What one kernel needs to jump anywhere: the control area (stub copy,
 * stacks) and the identity page tables, all identity-mapped (arch_x86.c).
 */
struct kjump_ctx {
	struct page *ctrl;
	struct list_head pgt_pages;
	phys_addr_t pgd;
};

/* Time spent inside the stub, in TSC cycles, and pages swapped. */
struct kjump_stub_stats {
	u64 swap_out, swap_in, away, swapped;
};

int kjump_ctx_init(struct kjump_ctx *c, struct kjump_alloc *a,
		   const phys_addr_t *extra, unsigned int nr_extra);
void kjump_ctx_free(struct kjump_ctx *c);
phys_addr_t kjump_ctx_reentry(const struct kjump_ctx *c);
unsigned long kjump_arch_jump(struct kjump_ctx *c, unsigned long head,
			      unsigned long entry, struct kjump_stub_stats *st);
u64 kjump_cycles_to_ns(u64 cycles);
void kjump_arch_park_cpus(void);
/* The panic path (peer.c): no sleeping, no locks, nothing traced. */
void kjump_arch_jump_dying(struct kjump_ctx *c, unsigned long entry);
void kjump_arch_park_others(void);
void kjump_arch_nmi_cpu(unsigned int cpu);
void kjump_arch_stop_hook(void (*fn)(int wait));
void kjump_arch_stop_unhook(void (*fn)(int wait));
void kjump_arch_stop_cpus(int wait);
const char *kjump_arch_unsupported(void);

/*
 * B as loaded: the region, its pages claimed from A or shadowed, and the
 * list that swaps the shadowed ones.
 */
struct kjump_image {
	struct kjump_region region;
	unsigned long region_pages;
	unsigned long *claimed;		/* bitmap: region page is ours, B's in place */
	unsigned long nr_claimed;
	unsigned long *shadow_pfn;	/* region page index -> shadow pfn, or 0 */
	gfp_t gfp_extra;		/* __GFP_HIGH with KJUMP_LOAD_JUMP_NOW */
	struct list_head list_pages;	/* indirection list pages (page->lru) */
	unsigned long nr_list_pages;
	unsigned long head;		/* first entry: IND_INDIRECTION | phys */
	struct kjump_ctx ctx;		/* control area and jump tables */
	unsigned long entry;
	unsigned long reentry;		/* peer's re-entry point, once known */
	unsigned int nr_segments;
};

/* All mutable module state; kjump_lock serialises every change to it. */
struct kjump_state_s {
	struct mutex lock;		/* serialises LOAD, UNLOAD, JUMP, peer */
	enum kjump_state state;
	struct kjump_image *image;
	struct kjump_jump_buf *jump_buf;	/* this kernel's own */
	unsigned long peer_buf_pfn;		/* set in B/D: A's jump buffer */
	struct kjump_jump_buf *peer_jb;		/* ... mapped while it is set */
	unsigned long peer_reentry;		/* the peer's latest re-entry point */
	struct kjump_ctx *peer_ctx;		/* B/D: how we jump back, built at set */
	bool peer_armed;			/* B/D: the panic path may jump back */
	/* D: the peer's System RAM, from its jump buffer, for RESTORE. */
	unsigned int peer_nr_ram;
	struct kjump_ram_range peer_ram[KJUMP_JB_MAX_RAM];
	u64 restored_pages;
	void *restore_win;			/* D: a mapped window of peer RAM */
	u64 restore_win_start, restore_win_len;
	u64 nr_jumps;
	struct kjump_stage *stage;		/* C: A's pages staged for the jump */
};

extern struct kjump_state_s kjump;

/*
 * Every wait for kjump.lock: interruptible.  The jump holds the lock while
 * it freezes tasks, and a task asleep in D state on it would fail the
 * freeze; this one is frozen instead, and its call restarts after the
 * thaw (-ERESTARTSYS).
 */
static inline int kjump_lock(void)
{
	return mutex_lock_interruptible(&kjump.lock) ? -ERESTARTSYS : 0;
}

void kjump_restore_unmap(void);

/*
 * symbols.c: everything not exported, resolved once at load.  Each is
 * called as static_call(kjump_sc_<name>)(...): the patched call site (or
 * its trampoline) branches directly, since with IBT an indirect call would
 * fault on the ENDBR objtool sealed in functions the kernel never takes the
 * address of.  The prototypes are the kernel's own declarations.
 */
DECLARE_STATIC_CALL(kjump_sc_freeze_processes, freeze_processes);
DECLARE_STATIC_CALL(kjump_sc_thaw_processes, thaw_processes);
DECLARE_STATIC_CALL(kjump_sc_suspend_console, kjump_suspend_console_fn);
DECLARE_STATIC_CALL(kjump_sc_resume_console, kjump_resume_console_fn);
DECLARE_STATIC_CALL(kjump_sc_freeze_secondary_cpus, freeze_secondary_cpus);
DECLARE_STATIC_CALL(kjump_sc_thaw_secondary_cpus, thaw_secondary_cpus);
DECLARE_STATIC_CALL(kjump_sc_save_processor_state, save_processor_state);
DECLARE_STATIC_CALL(kjump_sc_restore_processor_state, restore_processor_state);
#ifdef CONFIG_X86_IO_APIC
DECLARE_STATIC_CALL(kjump_sc_clear_IO_APIC, clear_IO_APIC);
DECLARE_STATIC_CALL(kjump_sc_restore_boot_irq_mode, restore_boot_irq_mode);
#endif

int kjump_symbols_init(void);

/* image.c: LOAD and UNLOAD. */
int kjump_image_load(const struct kjump_load *req);
u64 kjump_region_limit(void);
unsigned long kjump_region_page(const struct kjump_image *image, u64 addr);
int kjump_region_check_pins(const struct kjump_image *image, const char *what);
void *kjump_region_data(const struct kjump_image *image, unsigned long idx);
struct zone *kjump_next_zone(struct zone *zone);

/* vmcore.c: A's memory as B's /proc/vmcore. */
int kjump_build_elfcorehdr(struct kjump_image *image, const struct kjump_segment *seg,
			   bool phys);
void kjump_image_free(struct kjump_image *image);

/* jump_buf.c: this kernel's jump buffer and the peer's. */
int kjump_jump_buf_init(void);
void kjump_jump_buf_uninit(void);
void kjump_jump_buf_fill(struct kjump_jump_buf *jb, const struct kjump_image *image);
void kjump_jump_buf_seal(struct kjump_jump_buf *jb);
int kjump_jump_buf_check(const struct kjump_jump_buf *jb, size_t avail);
bool kjump_jump_buf_usable(const struct kjump_jump_buf *jb);
bool kjump_jump_buf_put_msg(struct kjump_jump_buf *jb, const char *text, u32 len);
int kjump_jump_buf_get_msg(const struct kjump_jump_buf *jb, char *text);
unsigned long kjump_jump_buf_pfn(void);

/* peer.c: this kernel as a B or D, its way back prepared, and on panic. */
int kjump_set_peer(unsigned long pfn);
void kjump_peer_drop(void);

/* hibernate.c: A's save map; D's RESTORE. */
struct kjump_savemap;
struct kjump_savemap *kjump_savemap_alloc(struct kjump_image *image);
void kjump_savemap_free(struct kjump_savemap *m);
void kjump_savemap_fill(struct kjump_savemap *m, const struct kjump_image *image,
			struct kjump_jump_buf *jb);
unsigned long kjump_savemap_saved(const struct kjump_savemap *m);
unsigned long kjump_clear_free_pages(void);
long kjump_ioctl_restore(void __user *arg);
struct page **kjump_pin_buf(u64 ubuf, u64 len, unsigned long *off, int *npin);
void kjump_unpin_buf(struct page **pages, int npin);
void kjump_copy_pinned(void *dst, struct page **pages, unsigned long off, u64 len);

/* jump.c: the preserve-context sequence around the stub. */
long kjump_ioctl_jump(void __user *arg);
int kjump_pm_jump(struct kjump_ctx *c, unsigned long head, unsigned long entry,
		  struct kjump_jump *res, struct kjump_savemap *map, unsigned long *peer);

/* stage.c: C resumes A from an image without D. */
struct kjump_stage;
long kjump_ioctl_stage_map(void __user *arg);
long kjump_ioctl_stage(void __user *arg);
long kjump_ioctl_stage_drop(void);
int kjump_stage_jump(struct kjump_jump *res);
void kjump_stage_free(struct kjump_stage *s);
unsigned long kjump_stage_pages(const struct kjump_stage *s);

/* main.c: policy shared by the device and sysfs. */
u32 kjump_refusals(void);
int kjump_read_init_file(const char *path, char *buf, size_t len);
int kjump_copy_arg(void *dst, size_t ksize, size_t min, size_t max,
		   void __user *arg, u32 *usize);
int kjump_may_load(void);

/* sysfs/attrs.c */
int kjump_sysfs_init(void);
void kjump_sysfs_uninit(void);

#endif /* KJUMP_INTERNAL_H */
