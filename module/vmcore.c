// SPDX-License-Identifier: GPL-2.0
/*
 * A's memory for B, as kdump presents it: an ELF core header that B's
 * kernel, booted with elfcorehdr=, turns into /proc/vmcore.
 *
 * Program headers, in the kexec-tools convention /proc/vmcore expects:
 * p_offset is where the bytes are in physical memory when B reads them,
 * p_paddr the physical address they belong to in A.  They differ only for
 * the region: while B runs, A's region pages sit in the shadow pages, so
 * each run of region pages with contiguous shadows gets its own PT_LOAD.
 *
 * The shadow pages themselves are left out of A's RAM (holes): they hold
 * copies of region pages, which the dump already has at their own
 * addresses, and nothing else of A's.  Hibernation asks for them
 * (KJUMP_LOAD_ELFCOREHDR_PHYS): it restores RAM as it physically was.
 *
 * The VMCOREINFO note is copied into the header segment itself: the note
 * may lie in the region, and the header segment is reserved (not RAM) in
 * B's memory map, so B reads it through the same path as old memory.
 *
 * On x86_64 the kernel image has a PT_LOAD of its own as well, at its
 * mapping above __START_KERNEL_map, as kexec-tools and the kernel's own
 * kexec_file_load give kdump ("Kernel code", p_vaddr _text).  Readers need
 * it: drgn reads the top page table (init_top_pgt) by that virtual address
 * before it can translate any other, and crash takes phys_base from it.
 * Its physical pages are in the RAM PT_LOADs too, as in a kdump header.
 */
#include <linux/elf.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/sort.h>
#include <linux/vmalloc.h>
#include "compat.h"
#include "kjump.h"

struct kjump_ehdr {
	struct elf64_hdr *ehdr;
	struct elf64_phdr *phdr;
	unsigned int max;
	const struct kjump_image *image;
	unsigned long *shadows;		/* the shadow pfns, sorted */
	unsigned long nr_shadows, next;	/* next: first not yet passed */
	bool text;			/* vaddr = paddr + text_delta, else __va */
	u64 text_delta;
};

static struct elf64_phdr *kjump_phdr(struct kjump_ehdr *h)
{
	if (h->ehdr->e_phnum >= h->max)
		return NULL;
	return &h->phdr[h->ehdr->e_phnum++];
}

static u64 kjump_vaddr(u64 paddr)
{
#ifdef CONFIG_X86_64
	return (u64)(unsigned long)__va(paddr);
#else
	return paddr < __pa(high_memory) ? (u64)(unsigned long)__va(paddr) : 0;
#endif
}

static int kjump_add_load(struct kjump_ehdr *h, u64 paddr, u64 offset, u64 len)
{
	struct elf64_phdr *p = kjump_phdr(h);

	if (!p)
		return -ENOSPC;
	p->p_type = PT_LOAD;
	p->p_flags = PF_R | PF_W | PF_X;
	p->p_offset = offset;
	p->p_paddr = paddr;
	p->p_vaddr = h->text ? paddr + h->text_delta : kjump_vaddr(paddr);
	p->p_filesz = len;
	p->p_memsz = len;
	p->p_align = 0;
	return 0;
}

/*
 * Region pages [first, first + n) of one part, in runs of contiguous
 * shadows.  Claimed pages held nothing of A's and are left out.
 */
static int kjump_add_region(struct kjump_ehdr *h, u64 start, unsigned long first,
			    unsigned long n)
{
	const unsigned long *sh = h->image->shadow_pfn;
	unsigned long i = 0, run;
	int ret;

	while (i < n) {
		if (!sh[first + i]) {
			i++;
			continue;
		}
		for (run = 1; i + run < n && sh[first + i + run] == sh[first + i] + run; run++)
			;
		ret = kjump_add_load(h, start + ((u64)i << PAGE_SHIFT),
				     PFN_PHYS(sh[first + i]), (u64)run << PAGE_SHIFT);
		if (ret)
			return ret;
		i += run;
	}
	return 0;
}

/* A's RAM [start, start + len) outside the region, less the shadow pages. */
static int kjump_add_plain(struct kjump_ehdr *h, u64 start, u64 len)
{
	unsigned long pfn = PHYS_PFN(start), end = PHYS_PFN(start + len), run;
	int ret;

	while (h->next < h->nr_shadows && h->shadows[h->next] < pfn)
		h->next++;
	while (pfn < end) {
		unsigned long stop = end;

		if (h->next < h->nr_shadows && h->shadows[h->next] < end)
			stop = h->shadows[h->next];
		if (stop > pfn) {
			ret = kjump_add_load(h, PFN_PHYS(pfn), PFN_PHYS(pfn), PFN_PHYS(stop - pfn));
			if (ret)
				return ret;
		}
		if (stop == end)
			break;
		for (run = 1; h->next + run < h->nr_shadows &&
		     h->shadows[h->next + run] == stop + run; run++)
			;
		h->next += run;
		pfn = min(stop + run, end);
	}
	return 0;
}

static int kjump_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* One System RAM range of A, cut where it meets the region's two parts. */
static int kjump_add_ram(struct resource *res, void *arg)
{
	struct kjump_ehdr *h = arg;
	const struct kjump_region *r = &h->image->region;
	u64 parts[2][3] = {
		{ r->low_start, r->low_size, 0 },
		{ r->start, r->size, r->low_size >> PAGE_SHIFT },
	};
	u64 cur = res->start, end = res->end + 1;
	int i, ret;

	for (i = 0; i < 2 && cur < end; i++) {
		u64 ps = parts[i][0], pe = ps + parts[i][1];
		u64 s, e;

		if (!parts[i][1] || pe <= cur || ps >= end)
			continue;
		if (ps > cur) {
			ret = kjump_add_plain(h, cur, ps - cur);
			if (ret)
				return ret;
		}
		s = max(cur, ps);
		e = min(end, pe);
		ret = kjump_add_region(h, s, parts[i][2] + ((s - ps) >> PAGE_SHIFT),
				       (e - s) >> PAGE_SHIFT);
		if (ret)
			return ret;
		cur = e;
	}
	if (cur < end)
		return kjump_add_plain(h, cur, end - cur);
	return 0;
}

#ifdef CONFIG_X86_64
static void kjump_phdr_reverse(struct elf64_phdr *phdr, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n / 2; i++)
		swap(phdr[i], phdr[n - 1 - i]);
}

/* phdr[a, c) becomes phdr[b, c) then phdr[a, b). */
static void kjump_phdr_rotate(struct elf64_phdr *phdr, unsigned int a, unsigned int b,
			      unsigned int c)
{
	kjump_phdr_reverse(phdr + a, b - a);
	kjump_phdr_reverse(phdr + b, c - b);
	kjump_phdr_reverse(phdr + a, c - a);
}

/* One physically contiguous run of the kernel image mapping, clipped to RAM. */
static int kjump_add_text_run(struct kjump_ehdr *h, unsigned long va, u64 pa, u64 len)
{
	if (!len)
		return 0;
	h->text_delta = (u64)va - pa;
	h->next = 0;
	return walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				   pa, pa + len - 1, h, kjump_add_ram);
}

/*
 * The kernel image as A maps it: _text to _end (rounded up to the large
 * page), less what A has unmapped since boot.  Read from the page tables,
 * as the image's bounds (_text, _end) are not exported to modules.
 */
static int kjump_add_text(struct kjump_ehdr *h)
{
	unsigned long va = __START_KERNEL_map, end = __START_KERNEL_map + KERNEL_IMAGE_SIZE;
	unsigned long run_va = 0;
	u64 run_pa = 0, run_len = 0;
	int ret;

	h->text = true;
	while (va < end) {
		unsigned int level;
		pte_t *pte = lookup_address(va, &level);
		unsigned long size, pfn;

		if (!pte) {
			/* The entry above @level is empty: skip what it maps. */
			if (level == PG_LEVEL_NONE)
				break;
			va = ALIGN(va + 1, page_level_size(level - 1));
			continue;
		}
		size = page_level_size(level);
		if (!(pte_flags(*pte) & _PAGE_PRESENT)) {
			va = ALIGN(va + 1, size);
			continue;
		}
		switch (level) {
		case PG_LEVEL_1G:
			pfn = pud_pfn(*(pud_t *)pte);
			break;
		case PG_LEVEL_2M:
			pfn = pmd_pfn(*(pmd_t *)pte);
			break;
		default:
			pfn = pte_pfn(*pte);
		}
		size -= va & (size - 1);
		pfn += (va & (page_level_size(level) - 1)) >> PAGE_SHIFT;
		if (run_len && va == run_va + run_len && PFN_PHYS(pfn) == run_pa + run_len) {
			run_len += size;
		} else {
			ret = kjump_add_text_run(h, run_va, run_pa, run_len);
			if (ret)
				goto out;
			run_va = va;
			run_pa = PFN_PHYS(pfn);
			run_len = size;
		}
		va += size;
	}
	ret = kjump_add_text_run(h, run_va, run_pa, run_len);
out:
	h->text = false;
	h->next = 0;
	return ret;
}
#endif

/*
 * Build the header for segment @seg (its bytes go into the shadows of its
 * destination pages, like any segment's).
 */
int kjump_build_elfcorehdr(struct kjump_image *image, const struct kjump_segment *seg,
			   bool phys)
{
	size_t size = seg->memsz, note_off, off;
	struct kjump_ehdr h = { .image = image };
	struct elf64_phdr *note;
	unsigned long i;
	void *buf;
	int ret;

	if (size < PAGE_SIZE + VMCOREINFO_NOTE_SIZE)
		return -ENOSPC;
	h.shadows = vmalloc(array_size(image->region_pages, sizeof(*h.shadows)));
	if (!h.shadows)
		return -ENOMEM;
	for (i = 0; i < image->region_pages && !phys; i++)
		if (image->shadow_pfn[i])
			h.shadows[h.nr_shadows++] = image->shadow_pfn[i];
	sort(h.shadows, h.nr_shadows, sizeof(*h.shadows), kjump_cmp_ulong, NULL);
	buf = vzalloc(size);
	if (!buf) {
		ret = -ENOMEM;
		goto out_shadows;
	}
	note_off = ALIGN(size - VMCOREINFO_NOTE_SIZE - 8, 8);
	h.ehdr = buf;
	h.phdr = buf + sizeof(*h.ehdr);
	h.max = (note_off - sizeof(*h.ehdr)) / sizeof(*h.phdr);

	memcpy(h.ehdr->e_ident, ELFMAG, SELFMAG);
	h.ehdr->e_ident[EI_CLASS] = ELFCLASS64;
	h.ehdr->e_ident[EI_DATA] = ELFDATA2LSB;
	h.ehdr->e_ident[EI_VERSION] = EV_CURRENT;
	h.ehdr->e_ident[EI_OSABI] = ELFOSABI_NONE;
	h.ehdr->e_type = ET_CORE;
	h.ehdr->e_machine = IS_ENABLED(CONFIG_X86_64) ? EM_X86_64 : EM_386;
	h.ehdr->e_version = EV_CURRENT;
	h.ehdr->e_phoff = sizeof(*h.ehdr);
	h.ehdr->e_ehsize = sizeof(*h.ehdr);
	h.ehdr->e_phentsize = sizeof(*h.phdr);

	/* VMCOREINFO, copied next to the headers (see the top of the file). */
	note = kjump_phdr(&h);
	memcpy(buf + note_off, __va(paddr_vmcoreinfo_note()), VMCOREINFO_NOTE_SIZE);
	note->p_type = PT_NOTE;
	note->p_offset = seg->mem + note_off;
	note->p_paddr = seg->mem + note_off;
	note->p_filesz = VMCOREINFO_NOTE_SIZE;
	note->p_memsz = VMCOREINFO_NOTE_SIZE;

	ret = walk_iomem_res_desc(IORES_DESC_NONE,
				  IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				  0, -1, &h, kjump_add_ram);
	if (ret) {
		pr_warn_ratelimited("load: ELF core header segment too small (%zu bytes)\n", size);
		goto out;
	}
#ifdef CONFIG_X86_64
	/*
	 * The kernel image's PT_LOADs go first after the note, as in kdump's
	 * headers; added last, so that the RAM always fits.  Hibernation
	 * (phys) reads RAM only.
	 */
	if (!phys) {
		unsigned int ram_end = h.ehdr->e_phnum;

		if (kjump_add_text(&h)) {
			h.ehdr->e_phnum = ram_end;
			pr_warn_ratelimited("load: no room for the kernel image's PT_LOAD (%zu bytes)\n",
					    size);
		}
		kjump_phdr_rotate(h.phdr, 1, ram_end, h.ehdr->e_phnum);
	}
#endif

	for (off = 0; off < size; off += PAGE_SIZE) {
		unsigned long idx = kjump_region_page(image, seg->mem + off);

		memcpy(kjump_region_data(image, idx), buf + off,
		       min_t(size_t, PAGE_SIZE, size - off));
	}
	pr_info("ELF core header: %u program headers at 0x%llx\n",
		h.ehdr->e_phnum, seg->mem);
out:
	vfree(buf);
out_shadows:
	vfree(h.shadows);
	return ret;
}
