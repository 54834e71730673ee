// SPDX-License-Identifier: GPL-2.0
/*
 * B's image in A: validation of LOAD, the shadow pages and the kexec-style
 * indirection list that the stub walks to swap them with the region.
 *
 * LOAD first claims what it can of the region from A: whole pageblocks
 * through alloc_contig_range() (A's movable pages there migrate out), then
 * any free region page the allocator hands it while it gets the rest.  A
 * claimed page is ours: B's data goes straight into it and stays there
 * while A runs.  Every other region page (A's unmovable kernel memory) gets
 * one shadow page outside the region: LOAD copies B's data into the shadow,
 * at the jump the stub swaps page and shadow (A's data out, B in) and on
 * the way back swaps again, so B's state waits in the shadows for the next
 * entry.  The list therefore says, for each shadowed region page in order,
 * IND_DESTINATION (at the start of each run) and IND_SOURCE shadow.
 */
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mmzone.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "kjump.h"

#define KJUMP_ENTRIES_PER_PAGE	(PAGE_SIZE / sizeof(unsigned long))
/* Keep this much available to A beyond what the image takes. */
#define KJUMP_RESERVE_PAGES	((16UL << 20) >> PAGE_SHIFT)
/* ... or this much beyond the min watermarks (see kjump_can_spare()). */
#define KJUMP_MIN_SLACK_PAGES	((4UL << 20) >> PAGE_SHIFT)

static bool kjump_in_range(u64 addr, u64 start, u64 size)
{
	return size && addr >= start && addr - start < size;
}

/* The physical address of region page @idx: low part first, then the range. */
static u64 kjump_region_addr(const struct kjump_region *r, unsigned long idx)
{
	unsigned long low_pages = r->low_size >> PAGE_SHIFT;

	if (idx < low_pages)
		return r->low_start + ((u64)idx << PAGE_SHIFT);
	return r->start + ((u64)(idx - low_pages) << PAGE_SHIFT);
}

/* Index of the region page at @addr: the inverse of kjump_region_addr(). */
static unsigned long kjump_region_index(const struct kjump_region *r, u64 addr)
{
	if (kjump_in_range(addr, r->low_start, r->low_size))
		return (addr - r->low_start) >> PAGE_SHIFT;
	return (r->low_size + addr - r->start) >> PAGE_SHIFT;
}

static bool kjump_in_one_part(const struct kjump_region *r, u64 start, u64 len)
{
	u64 last = start + len - 1;

	return (kjump_in_range(start, r->low_start, r->low_size) &&
		kjump_in_range(last, r->low_start, r->low_size)) ||
	       (kjump_in_range(start, r->start, r->size) &&
		kjump_in_range(last, r->start, r->size));
}

static bool kjump_overlaps(u64 a, u64 alen, u64 b, u64 blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static bool kjump_touches_region(const struct kjump_region *r, u64 start, u64 len)
{
	return kjump_overlaps(start, len, r->low_start, r->low_size) ||
	       kjump_overlaps(start, len, r->start, r->size);
}

static bool kjump_is_ram(u64 start, u64 size)
{
	return region_intersects(start, size, IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) == REGION_INTERSECTS;
}

u64 kjump_region_limit(void)
{
#ifdef CONFIG_X86_32
	return __pa(high_memory);
#else
	return U64_MAX;
#endif
}

static int kjump_check_region(const struct kjump_region *r)
{
	u64 low_end = r->low_start + r->low_size;
	u64 end = r->start + r->size;

	if (!PAGE_ALIGNED(r->low_start) || !PAGE_ALIGNED(r->low_size) ||
	    !PAGE_ALIGNED(r->start) || !PAGE_ALIGNED(r->size)) {
		pr_warn_ratelimited("load: region not page aligned\n");
		return -EINVAL;
	}
	if (!r->size) {
		pr_warn_ratelimited("load: region size is zero\n");
		return -EINVAL;
	}
	if (r->size > KJUMP_MAX_REGION) {
		pr_warn_ratelimited("load: region larger than %llu MiB\n",
				    KJUMP_MAX_REGION >> 20);
		return -E2BIG;
	}
	if (low_end < r->low_start || low_end > KJUMP_LOW_LIMIT) {
		pr_warn_ratelimited("load: low region must lie below 640 KiB\n");
		return -EINVAL;
	}
	if (end < r->start || r->start < low_end) {
		pr_warn_ratelimited("load: region range overlaps the low part or wraps\n");
		return -EINVAL;
	}
	/* i386: sources, destinations and control pages all in lowmem. */
	if (end > kjump_region_limit()) {
		pr_warn_ratelimited("load: the region must end below 0x%llx (lowmem) on i386\n",
				    kjump_region_limit());
		return -EADDRNOTAVAIL;
	}
	/* B reads A's jump buffer in place: it must not be swapped away. */
	if (kjump_touches_region(r, PFN_PHYS(kjump_jump_buf_pfn()), PAGE_SIZE)) {
		pr_warn_ratelimited("load: the jump buffer (pfn 0x%lx) lies in the region\n",
				    kjump_jump_buf_pfn());
		return -EADDRINUSE;
	}
	if ((r->low_size && !kjump_is_ram(r->low_start, r->low_size)) ||
	    !kjump_is_ram(r->start, r->size)) {
		pr_warn_ratelimited("load: region is not all System RAM\n");
		return -EADDRNOTAVAIL;
	}
	return 0;
}

static int kjump_check_segments(const struct kjump_load *req,
				const struct kjump_segment *seg)
{
	bool entry_ok = false;
	unsigned int i, j;

	for (i = 0; i < req->nr_segments; i++) {
		const struct kjump_segment *s = &seg[i];
		u64 end = s->mem + s->memsz;

		if (!PAGE_ALIGNED(s->mem) || !PAGE_ALIGNED(s->memsz)) {
			pr_warn_ratelimited("load: segment %u not page aligned\n", i);
			return -EADDRNOTAVAIL;
		}
		if (s->bufsz && s->buf != (unsigned long)s->buf) {
			pr_warn_ratelimited("load: segment %u buffer pointer out of range\n", i);
			return -EFAULT;
		}
		if (!s->memsz || s->bufsz > s->memsz || end < s->mem) {
			pr_warn_ratelimited("load: segment %u has bad sizes\n", i);
			return -EINVAL;
		}
		/* A segment lies wholly in the low part or wholly in the range. */
		if (!kjump_in_one_part(&req->region, s->mem, s->memsz)) {
			pr_warn_ratelimited("load: segment %u outside the region\n", i);
			return -EADDRNOTAVAIL;
		}
		for (j = 0; j < i; j++) {
			if (kjump_overlaps(s->mem, s->memsz, seg[j].mem, seg[j].memsz)) {
				pr_warn_ratelimited("load: segments %u and %u overlap\n", j, i);
				return -EINVAL;
			}
		}
		if (kjump_in_range(req->entry, s->mem, s->memsz))
			entry_ok = true;
	}
	if (!entry_ok) {
		pr_warn_ratelimited("load: entry 0x%llx is in no segment\n", req->entry);
		return -EADDRNOTAVAIL;
	}
	return 0;
}

/*
 * Pages outside the region.  The allocator prefers high addresses, where the
 * region usually is, so blocks that touch the region are held aside until
 * the whole LOAD is done (else they would be handed straight back) and
 * released by kjump_alloc_done().
 */
static bool kjump_alloc_avoided(const struct kjump_alloc *a, unsigned long pfn,
				unsigned long nr)
{
	if (!a->avoid || pfn >= a->avoid_pfns)
		return false;
	return find_next_bit(a->avoid, min(pfn + nr, a->avoid_pfns), pfn) <
	       min(pfn + nr, a->avoid_pfns);
}

struct page *kjump_alloc_outside(struct kjump_alloc *a, unsigned int order,
				 gfp_t extra)
{
	struct page *page;

	for (;;) {
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | a->gfp | extra, order);
		if (!page)
			return NULL;
		if ((!a->region ||
		     !kjump_touches_region(a->region, page_to_phys(page),
					   PAGE_SIZE << order)) &&
		    !kjump_alloc_avoided(a, page_to_pfn(page), 1UL << order))
			return page;
		set_page_private(page, order);
		list_add(&page->lru, &a->held);
		cond_resched();
	}
}

void kjump_alloc_done(struct kjump_alloc *a)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, &a->held, lru) {
		unsigned int order = page_private(page);

		list_del(&page->lru);
		set_page_private(page, 0);
		__free_pages(page, order);
	}
}

/*
 * The populated zone after @zone, or the first (@zone NULL); NULL at the
 * end.  for_each_populated_zone()'s helpers are not exported.
 */
struct zone *kjump_next_zone(struct zone *zone)
{
	pg_data_t *pgdat;
	int nid;

	if (zone) {
		pgdat = zone->zone_pgdat;
		zone++;
	} else {
		pgdat = NODE_DATA(first_online_node);
		zone = pgdat->node_zones;
	}
	for (;;) {
		for (; zone < pgdat->node_zones + MAX_NR_ZONES; zone++)
			if (populated_zone(zone))
				return zone;
		nid = next_online_node(pgdat->node_id);
		if (nid >= MAX_NUMNODES)
			return NULL;
		pgdat = NODE_DATA(nid);
		zone = pgdat->node_zones;
	}
}

/*
 * Can A spare @need pages?  Either MemAvailable covers them with
 * KJUMP_RESERVE_PAGES to spare, or the free pages above the zones' min
 * watermarks do with a little: the min watermarks are the kernel's own
 * reserve (with THP, tens of MiB even on a small machine), which a nearly
 * full machine hibernating a large workload cannot give up as well.
 */
static bool kjump_can_spare(unsigned long need, bool jump_now, unsigned long *avail)
{
	unsigned long free = global_zone_page_state(NR_FREE_PAGES), wmark = 0;
	struct zone *zone;

	for (zone = kjump_next_zone(NULL); zone; zone = kjump_next_zone(zone))
		wmark += min_wmark_pages(zone);
	/* A freezes at once: as deep as __GFP_HIGH may go, no slack. */
	if (jump_now) {
		wmark /= 2;
		free = free > wmark ? free - wmark : 0;
		*avail = free;
		return need <= free;
	}
	free = free > wmark ? free - wmark : 0;
	*avail = max_t(unsigned long, si_mem_available(), free);
	return need + KJUMP_RESERVE_PAGES <= si_mem_available() ||
	       need + KJUMP_MIN_SLACK_PAGES <= free;
}

/* At most this much per alloc_contig_range() try; halved on failure. */
#define KJUMP_CLAIM_CHUNK	((64UL << 20) >> PAGE_SHIFT)

static void kjump_mark_claimed(struct kjump_image *image, unsigned long pfn,
			       unsigned long nr)
{
	bitmap_set(image->claimed, kjump_region_index(&image->region, PFN_PHYS(pfn)), nr);
	image->nr_claimed += nr;
}

static void kjump_claim_range(struct kjump_image *image, unsigned long pfn,
			      unsigned long nr)
{
	unsigned long half;

	/*
	 * No gfp_extra here: __GFP_HIGH never reached the migration targets,
	 * and newer kernels (7.x) refuse it in this mask (-EINVAL).
	 */
	if (!alloc_contig_range(pfn, pfn + nr, KJUMP_ACR_MOVABLE, GFP_KERNEL | __GFP_NOWARN)) {
		kjump_mark_claimed(image, pfn, nr);
		return;
	}
	/* A pageblock with unmovable pages in it: its pages are shadowed. */
	if (nr <= pageblock_nr_pages || fatal_signal_pending(current))
		return;
	half = nr / pageblock_nr_pages / 2 * pageblock_nr_pages;
	kjump_claim_range(image, pfn, half);
	kjump_claim_range(image, pfn + half, nr - half);
}

/* The region's whole pageblocks, one zone per try. */
static void kjump_claim_region(struct kjump_image *image)
{
	const struct kjump_region *r = &image->region;
	unsigned long pfn = ALIGN(PHYS_PFN(r->start), pageblock_nr_pages);
	unsigned long end = ALIGN_DOWN(PHYS_PFN(r->start + r->size),
				       pageblock_nr_pages);

	while (pfn < end) {
		struct zone *zone = page_zone(pfn_to_page(pfn));
		unsigned long n = 0;

		while (pfn + n < end && n < KJUMP_CLAIM_CHUNK &&
		       page_zone(pfn_to_page(pfn + n)) == zone)
			n += pageblock_nr_pages;
		kjump_claim_range(image, pfn, n);
		pfn += n;
		cond_resched();
	}
}

/*
 * A shadow page for every region page not claimed, in the largest blocks
 * available.  A free region page the allocator hands out on the way is
 * claimed instead, which lowers the count still needed.
 */
static int kjump_alloc_shadows(struct kjump_image *image)
{
	unsigned long need = image->region_pages - image->nr_claimed;
	unsigned int order = KJUMP_MAX_ORDER;
	unsigned long got = 0, i, idx;
	unsigned long *pool;

	pool = kvcalloc(need, sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	while (got < need) {
		struct page *page;

		while (order && (1UL << order) > need - got)
			order--;
		/*
		 * High orders only if cheap; single pages may reclaim (page
		 * cache), but never OOM-kill: LOAD fails with ENOMEM instead.
		 */
		page = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NOMEMALLOC |
				   (order ? __GFP_NORETRY : __GFP_RETRY_MAYFAIL) |
				   image->gfp_extra, order);
		if (!page) {
			if (!order)
				break;
			order--;
			continue;
		}
		/* Order-0 pages from here on: freed one by one. */
		split_page(page, order);
		for (i = 0; i < (1UL << order); i++, page++) {
			if (kjump_touches_region(&image->region,
						 page_to_phys(page), PAGE_SIZE)) {
				kjump_mark_claimed(image, page_to_pfn(page), 1);
				need--;
			} else if (got < need) {
				pool[got++] = page_to_pfn(page);
			} else {
				__free_page(page);
			}
		}
		cond_resched();
	}
	while (got > need)
		__free_page(pfn_to_page(pool[--got]));
	if (got < need) {
		while (got)
			__free_page(pfn_to_page(pool[--got]));
		kvfree(pool);
		return -ENOMEM;
	}
	/* Shadows go to the unclaimed pages in order: runs stay contiguous. */
	for (idx = 0, i = 0; idx < image->region_pages; idx++)
		if (!test_bit(idx, image->claimed))
			image->shadow_pfn[idx] = pool[i++];
	kvfree(pool);
	return 0;
}

/* Appends kexec-style entries, chaining list pages as they fill. */
struct kjump_list_writer {
	struct kjump_image *image;
	struct kjump_alloc *alloc;
	unsigned long *entries;
	unsigned long *link;
	unsigned int slot;
};

static int kjump_list_put(struct kjump_list_writer *w, unsigned long val)
{
	/* The last slot of each page is kept for the link to the next. */
	if (!w->entries || w->slot == KJUMP_ENTRIES_PER_PAGE - 1) {
		struct page *p = kjump_alloc_outside(w->alloc, 0, __GFP_ZERO);

		if (!p)
			return -ENOMEM;
		list_add_tail(&p->lru, &w->image->list_pages);
		w->image->nr_list_pages++;
		*w->link = page_to_phys(p) | KJUMP_IND_INDIRECTION;
		w->entries = page_address(p);
		w->slot = 0;
	}
	w->entries[w->slot] = val;
	w->link = &w->entries[++w->slot];
	return 0;
}

/*
 * Build the indirection list: entries are unsigned long, physical, as in
 * kexec_core.c, so the same walker serves both directions of the swap.
 */
static int kjump_build_list(struct kjump_image *image, struct kjump_alloc *a)
{
	struct kjump_list_writer w = {
		.image = image, .alloc = a, .link = &image->head,
	};
	unsigned long i;
	u64 prev = 0;
	int ret;

	for (i = 0; i < image->region_pages; i++) {
		u64 dest = kjump_region_addr(&image->region, i);

		if (!image->shadow_pfn[i])
			continue;
		if (!prev || dest != prev + PAGE_SIZE) {
			ret = kjump_list_put(&w, dest | KJUMP_IND_DESTINATION);
			if (ret)
				return ret;
		}
		ret = kjump_list_put(&w, PFN_PHYS(image->shadow_pfn[i]) |
				     KJUMP_IND_SOURCE);
		if (ret)
			return ret;
		prev = dest;
	}
	return kjump_list_put(&w, KJUMP_IND_DONE);
}

static int kjump_copy_segments(struct kjump_image *image,
			       const struct kjump_segment *seg,
			       unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		const char __user *buf = u64_to_user_ptr(seg[i].buf);
		u64 off;

		for (off = 0; off < seg[i].memsz; off += PAGE_SIZE) {
			unsigned long idx = kjump_region_index(&image->region,
							       seg[i].mem + off);
			void *dst = kjump_region_data(image, idx);
			size_t n = 0;

			if (off < seg[i].bufsz)
				n = min_t(u64, PAGE_SIZE, seg[i].bufsz - off);
			if (n && copy_from_user(dst, buf + off, n)) {
				pr_warn_ratelimited("load: segment %u buffer unreadable\n", i);
				return -EFAULT;
			}
			memset(dst + n, 0, PAGE_SIZE - n);
			cond_resched();
		}
	}
	return 0;
}

/*
 * A region page pinned for DMA (VFIO passthrough, RDMA, io_uring fixed
 * buffers) is written by its device whenever the device likes, frozen A
 * or not: the jump would hand that physical page to B, and A's copy in the
 * shadow would miss the device's writes.  Only A's own pages (the ones
 * shadowed) can be pinned; the claimed ones are kjump's.  -EADDRINUSE
 * names the first one found.
 */
int kjump_region_check_pins(const struct kjump_image *image, const char *what)
{
	unsigned long idx;

	for (idx = 0; idx < image->region_pages; idx++) {
		u64 addr = kjump_region_addr(&image->region, idx);
		struct page *page;

		if (!image->shadow_pfn[idx] || !pfn_valid(PHYS_PFN(addr)))
			continue;
		page = pfn_to_page(PHYS_PFN(addr));
		if (folio_maybe_dma_pinned(page_folio(page))) {
			pr_warn_ratelimited("%s: region page 0x%llx is pinned for DMA (VFIO, RDMA, io_uring fixed buffers): release it, or choose another region\n",
					    what, addr);
			return -EADDRINUSE;
		}
		if (!(idx % 4096))
			cond_resched();
	}
	return 0;
}

unsigned long kjump_region_page(const struct kjump_image *image, u64 addr)
{
	return kjump_region_index(&image->region, addr);
}

/* Where B's copy of region page @idx lives while A runs. */
void *kjump_region_data(const struct kjump_image *image, unsigned long idx)
{
	if (image->shadow_pfn[idx])
		return page_address(pfn_to_page(image->shadow_pfn[idx]));
	return __va(kjump_region_addr(&image->region, idx));
}

void kjump_image_free(struct kjump_image *image)
{
	struct page *page, *tmp;
	unsigned long i;

	if (!image)
		return;
	kjump_ctx_free(&image->ctx);
	list_for_each_entry_safe(page, tmp, &image->list_pages, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	if (image->claimed) {
		for_each_set_bit(i, image->claimed, image->region_pages)
			__free_page(virt_to_page(kjump_region_data(image, i)));
		bitmap_free(image->claimed);
	}
	if (image->shadow_pfn) {
		for (i = 0; i < image->region_pages; i++)
			if (image->shadow_pfn[i])
				__free_page(pfn_to_page(image->shadow_pfn[i]));
		kvfree(image->shadow_pfn);
	}
	kfree(image);
}

int kjump_image_load(const struct kjump_load *req)
{
	struct kjump_alloc alloc = { .held = LIST_HEAD_INIT(alloc.held) };
	struct kjump_segment *seg;
	struct kjump_image *image;
	unsigned long need, avail;
	int ret;

	if ((req->flags & ~KJUMP_LOAD_FLAGS_MASK) ||
	    ((req->flags & KJUMP_LOAD_ELFCOREHDR_PHYS) && !(req->flags & KJUMP_LOAD_ELFCOREHDR))) {
		pr_warn_ratelimited("load: unknown or inconsistent flags 0x%x\n", req->flags);
		return -EINVAL;
	}
	if (memchr_inv(req->reserved, 0, sizeof(req->reserved)) ||
	    (req->elfcorehdr_seg && !(req->flags & KJUMP_LOAD_ELFCOREHDR))) {
		pr_warn_ratelimited("load: padding or reserved fields not zero\n");
		return -EINVAL;
	}
	if (!req->nr_segments) {
		pr_warn_ratelimited("load: no segments\n");
		return -EINVAL;
	}
	if (req->nr_segments > KJUMP_MAX_SEGMENTS) {
		pr_warn_ratelimited("load: %u segments, at most %u\n",
				    req->nr_segments, KJUMP_MAX_SEGMENTS);
		return -E2BIG;
	}
	ret = kjump_check_region(&req->region);
	if (ret)
		return ret;

	/* A 32-bit kernel must not drop the high half of a user pointer. */
	if (req->segments != (unsigned long)req->segments) {
		pr_warn_ratelimited("load: segment array pointer out of range\n");
		return -EFAULT;
	}
	seg = memdup_user(u64_to_user_ptr(req->segments),
			  req->nr_segments * sizeof(*seg));
	if (IS_ERR(seg)) {
		pr_warn_ratelimited("load: segment array unreadable\n");
		return PTR_ERR(seg);
	}
	ret = kjump_check_segments(req, seg);
	if (ret)
		goto err_seg;
	if ((req->flags & KJUMP_LOAD_ELFCOREHDR) &&
	    (req->elfcorehdr_seg >= req->nr_segments || seg[req->elfcorehdr_seg].bufsz)) {
		pr_warn_ratelimited("load: the ELF core header segment must exist and be empty\n");
		ret = -EINVAL;
		goto err_seg;
	}

	image = kzalloc(sizeof(*image), GFP_KERNEL);
	if (!image) {
		ret = -ENOMEM;
		goto err_seg;
	}
	INIT_LIST_HEAD(&image->list_pages);
	INIT_LIST_HEAD(&image->ctx.pgt_pages);
	image->region = req->region;
	image->region_pages = (req->region.low_size + req->region.size) >> PAGE_SHIFT;
	image->entry = req->entry;
	image->nr_segments = req->nr_segments;

	image->shadow_pfn = kvcalloc(image->region_pages, sizeof(unsigned long),
				     GFP_KERNEL);
	image->claimed = bitmap_zalloc(image->region_pages, GFP_KERNEL);
	if (!image->shadow_pfn || !image->claimed) {
		ret = -ENOMEM;
		goto err_image;
	}

	/*
	 * Every region page A uses needs a new home, migrated or shadowed,
	 * and every free one is available: so the region must fit in what
	 * A can spare, with some room left for A.  Refuse before migrating
	 * (a migration that runs out of memory warns in A's log).
	 */
	need = image->region_pages + image->region_pages / (KJUMP_ENTRIES_PER_PAGE - 2);
	if (req->flags & KJUMP_LOAD_JUMP_NOW)
		image->gfp_extra = __GFP_HIGH;
	if (!kjump_can_spare(need, req->flags & KJUMP_LOAD_JUMP_NOW, &avail)) {
		pr_warn_ratelimited("load: needs %lu MiB free, %lu MiB available\n",
				    need >> (20 - PAGE_SHIFT), avail >> (20 - PAGE_SHIFT));
		ret = -ENOMEM;
		goto err_image;
	}
	kjump_claim_region(image);
	ret = kjump_alloc_shadows(image);
	alloc.region = &image->region;
	if (!ret)
		ret = kjump_build_list(image, &alloc);
	if (!ret)
		ret = kjump_ctx_init(&image->ctx, &alloc, NULL, 0);
	kjump_alloc_done(&alloc);
	if (ret) {
		pr_warn_ratelimited("load: out of memory for %lu shadow pages\n",
				    image->region_pages - image->nr_claimed);
		goto err_image;
	}
	ret = kjump_region_check_pins(image, "load");
	if (!ret)
		ret = kjump_copy_segments(image, seg, req->nr_segments);
	if (!ret && (req->flags & KJUMP_LOAD_ELFCOREHDR))
		ret = kjump_build_elfcorehdr(image, &seg[req->elfcorehdr_seg],
					     req->flags & KJUMP_LOAD_ELFCOREHDR_PHYS);
	if (ret)
		goto err_image;

	kfree(seg);
	kjump.image = image;
	kjump_jump_buf_fill(kjump.jump_buf, image);
	pr_info("loaded: %u segments, entry 0x%lx, region %lu MiB (%lu pages claimed, %lu shadowed), %lu list pages\n",
		image->nr_segments, image->entry,
		image->region_pages >> (20 - PAGE_SHIFT), image->nr_claimed,
		image->region_pages - image->nr_claimed, image->nr_list_pages);
	return 0;

err_image:
	kjump_image_free(image);
err_seg:
	kfree(seg);
	return ret;
}
