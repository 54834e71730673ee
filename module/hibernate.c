// SPDX-License-Identifier: GPL-2.0
/*
 * Hibernation: A's save map, and D's RESTORE of A's pages.
 *
 * A: for a KJUMP_JUMP_SAVEMAP jump the pages of a bitmap over A's pfns are
 * allocated beforehand (outside the region, so B reads them in place) and
 * filled at the last moment, with one CPU left and interrupts off, so
 * nothing changes between the map and B's copy: every System RAM page,
 * less the free ones, the region (its A data sits in the shadows, which
 * are saved like any page and swapped back by A's own stub on resume) and
 * the map itself.  The jump buffer carries its index page.
 *
 * D: RESTORE writes pages of A from user memory, only where A (C, same
 * machine) has RAM and never into D's own.  The image format and the whole
 * sequence are in docs/image-format.md.
 */
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/poison.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "kjump.h"

#define KJUMP_MAP_BITS		(PAGE_SIZE * BITS_PER_BYTE)
#define KJUMP_MAP_MAX_PAGES	(PAGE_SIZE / sizeof(u64))
#define KJUMP_RESTORE_SIZE_VER0	offsetofend(struct kjump_restore, reserved)

struct kjump_savemap {
	struct page *index;
	unsigned long nr_pages;
	unsigned long pfns;
	unsigned long saved;
	unsigned long *bits[];		/* nr_pages pages of the bitmap */
};

static int kjump_ram_end(struct resource *res, void *arg)
{
	u64 *end = arg;

	*end = max_t(u64, *end, res->end + 1);
	return 0;
}

static void kjump_map_range(struct kjump_savemap *m, unsigned long pfn,
			    unsigned long nr, bool set)
{
	unsigned long end = min(pfn + nr, m->pfns);

	while (pfn < end) {
		unsigned long *map = m->bits[pfn / KJUMP_MAP_BITS];
		unsigned long bit = pfn % KJUMP_MAP_BITS;
		unsigned long n = min(end - pfn, KJUMP_MAP_BITS - bit);

		if (set)
			bitmap_set(map, bit, n);
		else
			bitmap_clear(map, bit, n);
		pfn += n;
	}
}

static int kjump_map_ram(struct resource *res, void *arg)
{
	unsigned long pfn = PFN_UP(res->start), end = PFN_DOWN(res->end + 1);

	if (end > pfn)
		kjump_map_range(arg, pfn, end - pfn, true);
	return 0;
}

struct kjump_savemap *kjump_savemap_alloc(struct kjump_image *image)
{
	struct kjump_alloc alloc = {
		.held = LIST_HEAD_INIT(alloc.held), .region = &image->region,
	};
	struct kjump_savemap *m;
	unsigned long nr, i;
	u64 end = 0, *index;

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
			    0, -1, &end, kjump_ram_end);
	nr = DIV_ROUND_UP(PHYS_PFN(end), KJUMP_MAP_BITS);
	if (!nr || nr > KJUMP_MAP_MAX_PAGES) {
		pr_warn_ratelimited("jump: RAM up to 0x%llx is beyond the save map's reach\n", end);
		return ERR_PTR(-E2BIG);
	}
	m = kzalloc(struct_size(m, bits, nr), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->pfns = PHYS_PFN(end);
	m->index = kjump_alloc_outside(&alloc, 0, __GFP_ZERO);
	if (!m->index)
		goto err;
	index = page_address(m->index);
	for (i = 0; i < nr; i++) {
		struct page *p = kjump_alloc_outside(&alloc, 0, __GFP_ZERO);

		if (!p)
			goto err;
		m->bits[i] = page_address(p);
		index[i] = page_to_phys(p);
		m->nr_pages++;
	}
	kjump_alloc_done(&alloc);
	return m;
err:
	kjump_alloc_done(&alloc);
	kjump_savemap_free(m);
	return ERR_PTR(-ENOMEM);
}

void kjump_savemap_free(struct kjump_savemap *m)
{
	unsigned long i;

	if (IS_ERR_OR_NULL(m))
		return;
	for (i = 0; i < m->nr_pages; i++)
		free_page((unsigned long)m->bits[i]);
	if (m->index)
		__free_page(m->index);
	kfree(m);
}

/* The buddy allocator's free blocks: on its lists, order in page_private. */
static void kjump_map_free_pages(struct kjump_savemap *m)
{
	unsigned int order, t;
	unsigned long flags;
	struct zone *zone;
	struct page *page;

	for (zone = kjump_next_zone(NULL); zone; zone = kjump_next_zone(zone)) {
		spin_lock_irqsave(&zone->lock, flags);
		for (order = 0; order < NR_PAGE_ORDERS; order++)
			for (t = 0; t < MIGRATE_TYPES; t++)
				list_for_each_entry(page, &zone->free_area[order].free_list[t],
						    buddy_list)
					kjump_map_range(m, page_to_pfn(page),
							1UL << page_private(page), false);
		spin_unlock_irqrestore(&zone->lock, flags);
	}
}

/* A free block's pages made zero, or the poison. */
static unsigned long kjump_clear_block(struct page *page, bool poison)
{
	unsigned long i, nr = 1UL << page_private(page);

	for (i = 0; i < nr; i++) {
		void *va = kmap_local_page(page + i);

		if (poison)
			memset(va, PAGE_POISON, PAGE_SIZE);
		else
			clear_page(va);
		kunmap_local(va);
	}
	return nr;
}

/*
 * Back from a resume: the pages A had free at the jump hold whatever the
 * kernels after it (C, D) left there.  With init_on_free the allocator
 * trusts free pages to be zero and skips zeroing them, and with page
 * poisoning it checks for the poison: make them so, as swsusp does after
 * its restore.  Interrupts off, one CPU: the free lists are the ones of
 * the jump.  Returns the pages cleared.
 */
unsigned long kjump_clear_free_pages(void)
{
	bool poison = page_poisoning_enabled_static();
	unsigned long n = 0;
	unsigned int order, t;
	struct zone *zone;
	struct page *page;

	if (!poison && !want_init_on_free())
		return 0;
	for (zone = kjump_next_zone(NULL); zone; zone = kjump_next_zone(zone)) {
		spin_lock(&zone->lock);
		for (order = 0; order < NR_PAGE_ORDERS; order++)
			for (t = 0; t < MIGRATE_TYPES; t++)
				list_for_each_entry(page, &zone->free_area[order].free_list[t],
						    buddy_list)
					n += kjump_clear_block(page, poison);
		spin_unlock(&zone->lock);
	}
	return n;
}

/* With interrupts off and one CPU: nothing allocates or frees any more. */
void kjump_savemap_fill(struct kjump_savemap *m, const struct kjump_image *image,
			struct kjump_jump_buf *jb)
{
	const struct kjump_region *r = &image->region;
	unsigned long i;

	for (i = 0; i < m->nr_pages; i++)
		bitmap_zero(m->bits[i], KJUMP_MAP_BITS);
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
			    0, -1, m, kjump_map_ram);
	kjump_map_free_pages(m);
	if (r->low_size)
		kjump_map_range(m, PHYS_PFN(r->low_start), PHYS_PFN(r->low_size), false);
	kjump_map_range(m, PHYS_PFN(r->start), PHYS_PFN(r->size), false);
	kjump_map_range(m, page_to_pfn(m->index), 1, false);
	for (i = 0; i < m->nr_pages; i++)
		kjump_map_range(m, PHYS_PFN(virt_to_phys(m->bits[i])), 1, false);
	m->saved = 0;
	for (i = 0; i < m->nr_pages; i++)
		m->saved += bitmap_weight(m->bits[i], KJUMP_MAP_BITS);

	jb->savemap = page_to_phys(m->index);
	jb->savemap_pfns = m->pfns;
	kjump_jump_buf_seal(jb);
}

unsigned long kjump_savemap_saved(const struct kjump_savemap *m)
{
	return m->saved;
}

/* D: may @len bytes at @phys be written?  In the peer's RAM, not in ours. */
static bool kjump_restore_allowed(u64 phys, u64 len)
{
	unsigned int i;

	if (region_intersects(phys, len, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return false;
	for (i = 0; i < kjump.peer_nr_ram; i++)
		if (phys >= kjump.peer_ram[i].start &&
		    phys + len <= kjump.peer_ram[i].end)
			return true;
	return false;
}

/* Copy @len bytes from the pinned user pages (@off into the first) to @dst. */
void kjump_copy_pinned(void *dst, struct page **pages, unsigned long off, u64 len)
{
	u64 pos = 0;

	while (pos < len) {
		unsigned long j = (off + pos) >> PAGE_SHIFT;
		unsigned long o = (off + pos) & ~PAGE_MASK;
		size_t n = min_t(u64, PAGE_SIZE - o, len - pos);
		void *src = kmap_local_page(pages[j]);

		memcpy(dst + pos, src + o, n);
		kunmap_local(src);
		pos += n;
	}
}

/*
 * Pin the user buffer @ubuf of @len bytes whole, read-only: RESTORE and
 * STAGE read it in place (no bounce copy), and a bad buffer fails here,
 * before anything is written.  Returns the page array (kvfree it after
 * kjump_unpin_buf()) and the offset into its first page.
 */
struct page **kjump_pin_buf(u64 ubuf, u64 len, unsigned long *off, int *npin)
{
	struct page **pages;
	int pinned;

	*off = ubuf & ~PAGE_MASK;
	*npin = DIV_ROUND_UP(*off + len, PAGE_SIZE);
	pages = kvmalloc_array(*npin, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	pinned = pin_user_pages_fast(ubuf & PAGE_MASK, *npin, 0, pages);
	if (pinned != *npin) {
		if (pinned > 0)
			unpin_user_pages(pages, pinned);
		kvfree(pages);
		return ERR_PTR(-EFAULT);
	}
	return pages;
}

void kjump_unpin_buf(struct page **pages, int npin)
{
	if (IS_ERR_OR_NULL(pages))
		return;
	unpin_user_pages(pages, npin);
	kvfree(pages);
}

/*
 * D writes the peer's RAM in ascending runs of up to a MiB: mapping each
 * run on its own (memremap, then a TLB flush on unmap) cost more than the
 * copy.  One window, up to KJUMP_RESTORE_WIN and never over our own RAM,
 * serves the runs that fall in it.  Under kjump.lock.
 */
#define KJUMP_RESTORE_WIN	(IS_ENABLED(CONFIG_64BIT) ? 64ULL << 20 : 8ULL << 20)

void kjump_restore_unmap(void)
{
	if (kjump.restore_win)
		memunmap(kjump.restore_win);
	kjump.restore_win = NULL;
	kjump.restore_win_len = 0;
}

static void *kjump_restore_map(u64 phys, u64 len)
{
	u64 end = phys + KJUMP_RESTORE_WIN;
	unsigned int i;

	if (kjump.restore_win && phys >= kjump.restore_win_start &&
	    phys + len <= kjump.restore_win_start + kjump.restore_win_len)
		return kjump.restore_win + (phys - kjump.restore_win_start);
	kjump_restore_unmap();
	for (i = 0; i < kjump.peer_nr_ram; i++)
		if (phys >= kjump.peer_ram[i].start && phys + len <= kjump.peer_ram[i].end)
			end = min(end, kjump.peer_ram[i].end);
	while (end - phys > len &&
	       region_intersects(phys, end - phys, IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) != REGION_DISJOINT)
		end = max(phys + len, phys + ((end - phys) / 2 & PAGE_MASK));
	kjump.restore_win = memremap(phys, end - phys, MEMREMAP_WB);
	if (!kjump.restore_win && end - phys > len) {	/* i386's small vmalloc space */
		end = phys + len;
		kjump.restore_win = memremap(phys, len, MEMREMAP_WB);
	}
	if (!kjump.restore_win)
		return NULL;
	kjump.restore_win_start = phys;
	kjump.restore_win_len = end - phys;
	return kjump.restore_win;
}

long kjump_ioctl_restore(void __user *arg)
{
	struct kjump_restore req;
	struct page **pages = NULL;
	unsigned long off = 0;
	int npin = 0;
	u64 phys, len;
	void *dst;
	u32 size;
	int ret;

	ret = kjump_may_load();
	if (ret)
		return ret;
	ret = kjump_copy_arg(&req, sizeof(req), KJUMP_RESTORE_SIZE_VER0, PAGE_SIZE,
			     arg, &size);
	if (ret)
		return ret;
	if ((req.flags & ~KJUMP_RESTORE_CHECK) ||
	    memchr_inv(req.reserved, 0, sizeof(req.reserved)) || !req.nr_pages)
		return -EINVAL;
	if (req.nr_pages > KJUMP_RESTORE_MAX_PAGES)
		return -E2BIG;
	if (req.buf != (unsigned long)req.buf)
		return -EFAULT;
	phys = PFN_PHYS(req.pfn);
	len = req.nr_pages << PAGE_SHIFT;
	if (PHYS_PFN(phys) != req.pfn || phys + len < phys)
		return -EADDRNOTAVAIL;

	if (!(req.flags & KJUMP_RESTORE_CHECK)) {
		pages = kjump_pin_buf(req.buf, len, &off, &npin);
		if (IS_ERR(pages))
			return PTR_ERR(pages);
	}

	ret = kjump_lock();
	if (ret) {
		kjump_unpin_buf(pages, npin);
		return ret;
	}
	if (!kjump.peer_nr_ram) {
		pr_warn_ratelimited("restore: no peer: write its kexec_jump_buf_pfn first\n");
		ret = -ENOENT;
	} else if (!kjump_restore_allowed(phys, len)) {
		pr_warn_ratelimited("restore: 0x%llx-0x%llx is not the peer's RAM outside ours\n",
				    phys, phys + len - 1);
		ret = -EADDRNOTAVAIL;
	} else if (pages) {
		dst = kjump_restore_map(phys, len);
		if (dst) {
			kjump_copy_pinned(dst, pages, off, len);
			kjump.restored_pages += req.nr_pages;
		} else {
			ret = -ENOMEM;
		}
	}
	mutex_unlock(&kjump.lock);
	kjump_unpin_buf(pages, npin);
	return ret;
}
