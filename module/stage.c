// SPDX-License-Identifier: GPL-2.0
/*
 * Resume without D: C stages A's saved pages in its own free memory and
 * the stub puts them in place at the last moment, as swsusp does, instead
 * of booting a D to write them.
 *
 * Every page an image restores (a "declared" page) may hold C's own code
 * or data right now, so a staged copy must lie in a page that is not
 * declared ("safe"), and so must everything the stub uses: its control
 * area, its page tables and the indirection list.  The list pairs each
 * declared page with its copy; the stub's swap leaves A's data in the
 * declared page and C's old contents in the copy, which A sees as free.
 * A declared page that this kernel's allocator hands us is better still:
 * it is its own home, and its data goes straight there with no list entry.
 *
 * Nothing of A's is written before the jump: until then C is intact, and
 * STAGE_DROP gives all of it back.  docs/abi.md has the contract.
 */
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include "kjump.h"

#define KJUMP_STAGE_MAP_SIZE_VER0	offsetofend(struct kjump_stage_map, reserved)
#define KJUMP_STAGE_SIZE_VER0		offsetofend(struct kjump_restore, reserved)
/* Free memory STAGE leaves to the rest of C (its initramfs, the tool). */
#define KJUMP_STAGE_RESERVE		((16UL << 20) >> PAGE_SHIFT)
/* Pages taken from the allocator at a time: one trip for many pages. */
#define KJUMP_STAGE_BULK		64

struct kjump_stage {
	unsigned long nr_pfns;		/* the bitmaps cover pfns below this */
	unsigned long *declared;	/* the image's pages */
	unsigned long *staged;		/* ... whose data has arrived */
	unsigned long *home;		/* ... whose own page we hold */
	struct xarray copies;		/* declared pfn -> struct page of its copy */
	struct list_head held;		/* i386: pages the stub cannot address */
	unsigned long nr_declared, nr_staged, nr_copies;
	unsigned long jump_buf_pfn;
	u64 ns_alloc, ns_copy;		/* where STAGE's time goes */
	long budget;			/* pages to take before asking again */
	unsigned int nr_cache;		/* pages taken in bulk, not yet used */
	struct page *cache[KJUMP_STAGE_BULK];
};

static bool kjump_stage_test(const struct kjump_stage *s, const unsigned long *map,
			     unsigned long pfn)
{
	return pfn < s->nr_pfns && test_bit(pfn, map);
}

void kjump_stage_free(struct kjump_stage *s)
{
	struct page *page, *tmp;
	unsigned long pfn;

	if (!s)
		return;
	while (s->nr_cache)
		__free_page(s->cache[--s->nr_cache]);
	xa_for_each(&s->copies, pfn, page)
		__free_page(page);
	xa_destroy(&s->copies);
	list_for_each_entry_safe(page, tmp, &s->held, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
	if (s->home) {
		for_each_set_bit(pfn, s->home, s->nr_pfns)
			__free_page(pfn_to_page(pfn));
	}
	kvfree(s->home);
	kvfree(s->staged);
	kvfree(s->declared);
	kfree(s);
}

unsigned long kjump_stage_pages(const struct kjump_stage *s)
{
	return s ? s->nr_staged : 0;
}

/*
 * A free page of this kernel, leaving KJUMP_STAGE_RESERVE available:
 * si_mem_available() walks every zone, so it is asked every 1024 pages.
 */
static struct page *kjump_stage_alloc_page(struct kjump_stage *s)
{
	if (!s->nr_cache) {
		if (s->budget <= 0)
			s->budget = min(si_mem_available() - (long)KJUMP_STAGE_RESERVE, 1024L);
		if (s->budget <= 0)
			return NULL;
		memset(s->cache, 0, sizeof(s->cache));
		s->nr_cache = kjump_alloc_pages_bulk(GFP_HIGHUSER | __GFP_NORETRY | __GFP_NOWARN,
						     min_t(long, s->budget, KJUMP_STAGE_BULK),
						     s->cache);
		s->budget -= s->nr_cache;
		if (!s->nr_cache)
			return NULL;
	}
	return s->cache[--s->nr_cache];
}

/*
 * A page no declared page's data will land in.  Declared pages met on the
 * way are kept: as homes for data still to come, or, when their data is
 * already in a copy, they take it and the copy's page is the safe one.
 */
static struct page *kjump_stage_alloc_safe(struct kjump_stage *s)
{
	for (;;) {
		struct page *page, *copy;
		unsigned long pfn;

		page = kjump_stage_alloc_page(s);
		if (!page)
			return NULL;
		pfn = page_to_pfn(page);
		/*
		 * The list holds unsigned long addresses (i386: below 4 GiB);
		 * keep such a page aside so the allocator offers another.
		 */
		if (PFN_PHYS(pfn) != (unsigned long)PFN_PHYS(pfn)) {
			list_add(&page->lru, &s->held);
			continue;
		}
		if (!kjump_stage_test(s, s->declared, pfn))
			return page;
		__set_bit(pfn, s->home);
		if (!test_bit(pfn, s->staged))
			continue;
		copy = xa_erase(&s->copies, pfn);
		copy_highpage(page, copy);
		s->nr_copies--;
		return copy;
	}
}

static int kjump_stage_range_ok(u64 pfn, u64 nr)
{
	u64 start = PFN_PHYS(pfn), len = nr << PAGE_SHIFT;

	if (!nr || PHYS_PFN(start) != pfn || len >> PAGE_SHIFT != nr || start + len < start)
		return -EADDRNOTAVAIL;
	if (start + len - 1 != (unsigned long)(start + len - 1))
		return -ERANGE;	/* i386: the stub's list is 32-bit; D can do it */
	if (region_intersects(start, len, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_INTERSECTS)
		return -EADDRNOTAVAIL;
	return 0;
}

#define KJUMP_STAGE_BATCH	256

/* Copy the ranges in, checked; @end only measured when @s is NULL. */
static int kjump_stage_walk(const struct kjump_stage_map *req, struct kjump_stage *s,
			    u64 *end)
{
	const struct kjump_stage_range __user *u = u64_to_user_ptr(req->ranges);
	struct kjump_stage_range *r;
	u32 i, j, n;
	int ret = 0;

	r = kmalloc_array(KJUMP_STAGE_BATCH, sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	for (i = 0; i < req->nr_ranges && !ret; i += n) {
		n = min_t(u32, KJUMP_STAGE_BATCH, req->nr_ranges - i);
		if (copy_from_user(r, u + i, n * sizeof(*r))) {
			ret = -EFAULT;
			break;
		}
		for (j = 0; j < n && !ret; j++) {
			ret = kjump_stage_range_ok(r[j].pfn, r[j].nr);
			if (ret == -ERANGE)
				pr_warn_ratelimited("stage: pages 0x%llx+%llu lie above 4 GiB\n",
						    r[j].pfn, r[j].nr);
			else if (ret)
				pr_warn_ratelimited("stage: pages 0x%llx+%llu are not this kernel's RAM\n",
						    r[j].pfn, r[j].nr);
			else if (!s)
				*end = max(*end, r[j].pfn + r[j].nr);
			else if (r[j].pfn + r[j].nr > s->nr_pfns)
				ret = -EINVAL;	/* changed since the first pass */
			else if (find_next_bit(s->declared, r[j].pfn + r[j].nr, r[j].pfn) <
				 r[j].pfn + r[j].nr)
				ret = -EINVAL;	/* a page declared twice */
			else
				bitmap_set(s->declared, r[j].pfn, r[j].nr);
			if (s && !ret)
				s->nr_declared += r[j].nr;
		}
	}
	kfree(r);
	return ret;
}

long kjump_ioctl_stage_map(void __user *arg)
{
	struct kjump_stage_map req;
	unsigned long nr_declared;
	struct kjump_stage *s;
	u64 end = 0;
	u32 size;
	int ret;

	ret = kjump_may_load();
	if (ret)
		return ret;
	ret = kjump_copy_arg(&req, sizeof(req), KJUMP_STAGE_MAP_SIZE_VER0, PAGE_SIZE, arg, &size);
	if (ret)
		return ret;
	if (req.flags || req.pad || memchr_inv(req.reserved, 0, sizeof(req.reserved)) ||
	    !req.nr_ranges)
		return -EINVAL;
	if (req.nr_ranges > KJUMP_STAGE_MAX_RANGES)
		return -E2BIG;
	ret = kjump_stage_walk(&req, NULL, &end);
	if (ret)
		return ret;
	if (end > ULONG_MAX / 2)
		return -EADDRNOTAVAIL;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	xa_init(&s->copies);
	INIT_LIST_HEAD(&s->held);
	s->nr_pfns = end;
	s->declared = kvcalloc(BITS_TO_LONGS(end), sizeof(long), GFP_KERNEL);
	s->staged = kvcalloc(BITS_TO_LONGS(end), sizeof(long), GFP_KERNEL);
	s->home = kvcalloc(BITS_TO_LONGS(end), sizeof(long), GFP_KERNEL);
	if (!s->declared || !s->staged || !s->home) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = kjump_stage_walk(&req, s, NULL);
	if (ret)
		goto err_free;
	if (!kjump_stage_test(s, s->declared, req.jump_buf_pfn)) {
		pr_warn_ratelimited("stage: the jump buffer's page is not among the declared\n");
		ret = -EINVAL;
		goto err_free;
	}
	s->jump_buf_pfn = req.jump_buf_pfn;

	nr_declared = s->nr_declared;

	ret = kjump_lock();
	if (ret)
		goto err_free;
	if (kjump.stage || kjump.state != KJUMP_STATE_EMPTY || kjump.peer_buf_pfn) {
		pr_warn_ratelimited("stage: only in a kernel with nothing loaded or staged, and no peer\n");
		ret = -EBUSY;
	} else {
		kjump.stage = s;
	}
	mutex_unlock(&kjump.lock);
	if (ret)
		goto err_free;
	pr_info("stage: %u ranges declared, %lu pages\n", req.nr_ranges, nr_declared);
	return 0;

err_free:
	kjump_stage_free(s);
	return ret;
}

long kjump_ioctl_stage_drop(void)
{
	struct kjump_stage *s = NULL;
	int ret = 0;

	ret = kjump_lock();
	if (ret)
		return ret;
	if (!kjump.stage)
		ret = -ENOENT;
	else
		swap(s, kjump.stage);
	mutex_unlock(&kjump.lock);
	if (ret)
		return ret;
	kjump_stage_free(s);
	pr_info("stage: dropped\n");
	return 0;
}

/* Copy page @i of the pinned buffer into @dst. */
static void kjump_stage_copy(struct page *dst, struct page **pages, unsigned long off,
			     unsigned long i)
{
	void *d = kmap_local_page(dst);

	kjump_copy_pinned(d, pages, off + i * PAGE_SIZE, PAGE_SIZE);
	kunmap_local(d);
}

/*
 * Under kjump.lock.  Two steps, so that a failure stages nothing: every
 * page that needs a copy gets its safe page first, then the data moves.
 */
static int kjump_stage_pages_in(struct kjump_stage *s, u64 pfn, u64 nr,
				struct page **pages, unsigned long off, struct page **copy)
{
	u64 i, t0 = ktime_get_ns(), t1;

	for (i = 0; i < nr; i++) {
		if (!kjump_stage_test(s, s->declared, pfn + i))
			return -EADDRNOTAVAIL;
		if (test_bit(pfn + i, s->staged))
			return -EEXIST;
	}
	for (i = 0; i < nr; i++) {
		copy[i] = NULL;
		if (test_bit(pfn + i, s->home))
			continue;
		copy[i] = kjump_stage_alloc_safe(s);
		if (!copy[i])
			goto err_free;
		if (xa_insert(&s->copies, pfn + i, copy[i], GFP_KERNEL)) {
			__free_page(copy[i]);
			goto err_free;
		}
	}
	t1 = ktime_get_ns();
	for (i = 0; i < nr; i++) {
		if (test_bit(pfn + i, s->home)) {
			/* Its own page came to us after its copy was taken. */
			if (copy[i]) {
				xa_erase(&s->copies, pfn + i);
				__free_page(copy[i]);
			}
			kjump_stage_copy(pfn_to_page(pfn + i), pages, off, i);
		} else {
			kjump_stage_copy(copy[i], pages, off, i);
			s->nr_copies++;
		}
		__set_bit(pfn + i, s->staged);
	}
	s->nr_staged += nr;
	s->ns_alloc += t1 - t0;
	s->ns_copy += ktime_get_ns() - t1;
	return 0;

err_free:
	while (i--) {
		if (!copy[i])
			continue;
		xa_erase(&s->copies, pfn + i);
		__free_page(copy[i]);
	}
	return -ENOMEM;
}

/* Is @jb A's way back into a kernel of our kind? */
static bool kjump_stage_jb_ok(const struct kjump_jump_buf *jb)
{
	return !kjump_jump_buf_check(jb, PAGE_SIZE) && jb->entry && jb->control &&
	       jb->arch == (IS_ENABLED(CONFIG_X86_64) ? KJUMP_ARCH_X86_64 : KJUMP_ARCH_I386);
}

/*
 * The jump buffer is checked as it arrives, so that a tool learns of a
 * bad one before it marks the image used, not at the jump.
 */
static int kjump_stage_check_jb(struct kjump_stage *s, u64 pfn, u64 nr, struct page **pages,
				unsigned long off, void *tmp)
{
	if (s->jump_buf_pfn < pfn || s->jump_buf_pfn - pfn >= nr)
		return 0;
	kjump_copy_pinned(tmp, pages, off + (s->jump_buf_pfn - pfn) * PAGE_SIZE, PAGE_SIZE);
	if (kjump_stage_jb_ok(tmp))
		return 0;
	pr_warn_ratelimited("stage: page 0x%lx holds no usable jump buffer\n", s->jump_buf_pfn);
	return -EINVAL;
}

long kjump_ioctl_stage(void __user *arg)
{
	struct kjump_restore req;
	struct page **pages = NULL, **copy = NULL;
	void *jb = NULL;
	unsigned long off = 0;
	int npin = 0;
	u32 size;
	int ret;

	ret = kjump_may_load();
	if (ret)
		return ret;
	ret = kjump_copy_arg(&req, sizeof(req), KJUMP_STAGE_SIZE_VER0, PAGE_SIZE, arg, &size);
	if (ret)
		return ret;
	if ((req.flags & ~KJUMP_RESTORE_CHECK) ||
	    memchr_inv(req.reserved, 0, sizeof(req.reserved)) || !req.nr_pages)
		return -EINVAL;
	if (req.nr_pages > KJUMP_RESTORE_MAX_PAGES)
		return -E2BIG;
	if (req.buf != (unsigned long)req.buf)
		return -EFAULT;

	if (!(req.flags & KJUMP_RESTORE_CHECK)) {
		copy = kvmalloc_array(req.nr_pages, sizeof(*copy), GFP_KERNEL);
		jb = kmalloc(PAGE_SIZE, GFP_KERNEL);
		if (!copy || !jb) {
			ret = -ENOMEM;
			goto out;
		}
		pages = kjump_pin_buf(req.buf, req.nr_pages << PAGE_SHIFT, &off, &npin);
		if (IS_ERR(pages)) {
			ret = PTR_ERR(pages);
			goto out;
		}
	}

	ret = kjump_lock();
	if (ret) {
		kjump_unpin_buf(pages, npin);
		goto out;
	}
	if (!kjump.stage) {
		pr_warn_ratelimited("stage: nothing declared: STAGE_MAP first\n");
		ret = -ENOENT;
	} else if (req.pfn >= kjump.stage->nr_pfns ||
		   req.nr_pages > kjump.stage->nr_pfns - req.pfn) {
		ret = -EADDRNOTAVAIL;	/* beyond every declared page */
	} else if (req.flags & KJUMP_RESTORE_CHECK) {
		u64 i;

		for (i = 0; i < req.nr_pages && !ret; i++)
			if (!kjump_stage_test(kjump.stage, kjump.stage->declared, req.pfn + i))
				ret = -EADDRNOTAVAIL;
	} else {
		ret = kjump_stage_check_jb(kjump.stage, req.pfn, req.nr_pages, pages, off, jb);
		if (!ret)
			ret = kjump_stage_pages_in(kjump.stage, req.pfn, req.nr_pages, pages, off,
						   copy);
	}
	mutex_unlock(&kjump.lock);
	kjump_unpin_buf(pages, npin);
out:
	kfree(jb);
	kvfree(copy);
	return ret;
}

/* The indirection list: declared page, then its copy; runs share one entry. */
struct kjump_stage_list {
	struct kjump_alloc *alloc;
	struct list_head pages;
	unsigned long *entries, *link;
	unsigned int slot;
};

static int kjump_stage_add(struct kjump_stage_list *l, unsigned long val)
{
	if (!l->entries || l->slot == PAGE_SIZE / sizeof(unsigned long) - 1) {
		struct page *p = kjump_alloc_outside(l->alloc, 0, __GFP_ZERO);

		if (!p)
			return -ENOMEM;
		list_add_tail(&p->lru, &l->pages);
		*l->link = page_to_phys(p) | KJUMP_IND_INDIRECTION;
		l->entries = page_address(p);
		l->slot = 0;
	}
	l->entries[l->slot] = val;
	l->link = &l->entries[++l->slot];
	return 0;
}

static int kjump_stage_build_list(struct kjump_stage *s, struct kjump_stage_list *l,
				  unsigned long *head)
{
	unsigned long pfn, next = ULONG_MAX;
	struct page *page;
	int ret = 0;

	l->link = head;
	xa_for_each(&s->copies, pfn, page) {
		if (pfn != next)
			ret = kjump_stage_add(l, PFN_PHYS(pfn) | KJUMP_IND_DESTINATION);
		if (!ret)
			ret = kjump_stage_add(l, page_to_phys(page) | KJUMP_IND_SOURCE);
		if (ret)
			return ret;
		next = pfn + 1;
	}
	return kjump_stage_add(l, KJUMP_IND_DONE);
}

static void kjump_stage_free_list(struct kjump_stage_list *l)
{
	struct page *p, *tmp;

	list_for_each_entry_safe(p, tmp, &l->pages, lru) {
		list_del(&p->lru);
		__free_page(p);
	}
}

/* The staged copy of A's jump buffer: leave it status RESTORED. */
static int kjump_stage_jump_buf(struct kjump_stage *s, phys_addr_t extra[3],
				unsigned long *entry)
{
	unsigned long pfn = s->jump_buf_pfn;
	struct page *page = test_bit(pfn, s->home) ? pfn_to_page(pfn) :
			    xa_load(&s->copies, pfn);
	struct kjump_jump_buf *jb = kmap_local_page(page);
	int ret = 0;

	/* Checked at STAGE already; the copy is ours, so this is cheap insurance. */
	if (!kjump_stage_jb_ok(jb)) {
		pr_warn("stage: the staged page 0x%lx holds no usable jump buffer\n", pfn);
		ret = -EINVAL;
	} else {
		*entry = jb->entry;
		extra[0] = jb->control;
		extra[1] = jb->entry;
		extra[2] = PFN_PHYS(pfn);
		jb->status = KJUMP_PEER_RESTORED;
		kjump_jump_buf_seal(jb);
	}
	kunmap_local(jb);
	return ret;
}

/* Under kjump.lock, with a stage.  Returns only if the jump failed. */
int kjump_stage_jump(struct kjump_jump *res)
{
	struct kjump_stage *s = kjump.stage;
	/*
	 * The image is marked used by now: fail rather than wake the OOM
	 * killer, and the tool can still go through D.
	 */
	struct kjump_alloc alloc = {
		.held = LIST_HEAD_INIT(alloc.held),
		.avoid = s->declared,
		.avoid_pfns = s->nr_pfns,
		.gfp = __GFP_NORETRY | __GFP_NOMEMALLOC,
	};
	struct kjump_stage_list l = { .alloc = &alloc, .pages = LIST_HEAD_INIT(l.pages) };
	struct kjump_ctx c = {};
	unsigned long head = 0, entry = 0, peer = 0;
	phys_addr_t extra[3];
	int ret;

	if (s->nr_staged != s->nr_declared) {
		pr_warn_ratelimited("stage: %lu of %lu pages staged; the rest first\n",
				    s->nr_staged, s->nr_declared);
		return -ENODATA;
	}
	ret = kjump_stage_jump_buf(s, extra, &entry);
	if (ret)
		return ret;
	ret = kjump_ctx_init(&c, &alloc, extra, ARRAY_SIZE(extra));
	if (!ret)
		ret = kjump_stage_build_list(s, &l, &head);
	kjump_alloc_done(&alloc);
	if (ret)
		goto out;

	pr_info("stage: %lu pages staged (%lu in place, %lu copies; allocating %llu ms, copying %llu ms); jumping into A\n",
		s->nr_staged, s->nr_staged - s->nr_copies, s->nr_copies,
		div_u64(s->ns_alloc, NSEC_PER_MSEC), div_u64(s->ns_copy, NSEC_PER_MSEC));
	ret = kjump_pm_jump(&c, head, entry, res, NULL, &peer);
	if (!ret) {
		/* Only A could come back here, and it has no reason to. */
		pr_warn("stage: A came back (re-entry 0x%lx)\n", peer);
		res->peer_entry = peer;
	}
out:
	kjump_stage_free_list(&l);
	kjump_ctx_free(&c);
	return ret;
}
