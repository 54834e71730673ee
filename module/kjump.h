/* SPDX-License-Identifier: GPL-2.0 */
/* kjump internal interfaces, one section per room of the module. */
#ifndef KJUMP_INTERNAL_H
#define KJUMP_INTERNAL_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/mm.h>
#include <linux/kjump.h>

/* MAX_ORDER became inclusive and was renamed MAX_PAGE_ORDER in 6.8. */
#ifdef MAX_PAGE_ORDER
#define KJUMP_MAX_ORDER		MAX_PAGE_ORDER
#else
#define KJUMP_MAX_ORDER		(MAX_ORDER - 1)
#endif

/* B as loaded: the region, its shadow pages and the list that swaps them. */
struct kjump_image {
	struct kjump_region region;
	unsigned long region_pages;
	unsigned long *shadow_pfn;	/* region page index -> shadow pfn */
	struct list_head list_pages;	/* indirection list pages (page->lru) */
	unsigned long nr_list_pages;
	unsigned long head;		/* first entry: IND_INDIRECTION | phys */
	struct page *control;		/* control pages (stub, stack, tables) */
	unsigned long entry;
	unsigned long reentry;		/* peer's re-entry point, once known */
	unsigned int nr_segments;
};

/* All mutable module state; kjump_lock serialises every change to it. */
struct kjump_state_s {
	struct mutex lock;
	enum kjump_state state;
	struct kjump_image *image;
	struct kjump_jump_buf *jump_buf;	/* this kernel's own */
	unsigned long peer_buf_pfn;		/* set in B/D: A's jump buffer */
	u64 nr_jumps;
};

extern struct kjump_state_s kjump;

/* symbols.c: everything not exported, resolved once at load. */
struct kjump_syms {
	int (*freeze_processes)(void);
	void (*thaw_processes)(void);
	void (*suspend_console)(void);
	void (*resume_console)(void);
	int (*freeze_secondary_cpus)(int primary);
	void (*thaw_secondary_cpus)(void);
	void (*save_processor_state)(void);
	void (*restore_processor_state)(void);
	void (*clear_IO_APIC)(void);
	void (*restore_boot_irq_mode)(void);
};

extern struct kjump_syms kjump_sym;
int kjump_symbols_init(void);

/* image.c: LOAD and UNLOAD. */
int kjump_image_load(const struct kjump_load *req);
void kjump_image_free(struct kjump_image *image);

/* jump_buf.c: this kernel's jump buffer and the peer's. */
int kjump_jump_buf_init(void);
void kjump_jump_buf_uninit(void);
void kjump_jump_buf_fill(struct kjump_jump_buf *jb, const struct kjump_image *image);
void kjump_jump_buf_seal(struct kjump_jump_buf *jb);
int kjump_jump_buf_check(const struct kjump_jump_buf *jb, size_t avail);
int kjump_set_peer(unsigned long pfn);
unsigned long kjump_jump_buf_pfn(void);

/* main.c: policy shared by the device and sysfs. */
u32 kjump_refusals(void);
int kjump_may_load(void);

/* sysfs/attrs.c */
int kjump_sysfs_init(void);
void kjump_sysfs_uninit(void);

#endif /* KJUMP_INTERNAL_H */
