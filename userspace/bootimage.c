// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <asm/bootparam.h>
#include "bootimage.h"
#include "memmap.h"

#define KJ_PAGE		4096ULL
#define KJ_ALIGN(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define KJ_LOW_LIMIT	KJUMP_LOW_LIMIT
#define KJ_MIN_PROTO	0x020c	/* 2.12: xloadflags, 64-bit entry */

static int kj_err(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * B's files, mapped rather than read: LOAD copies them straight from the
 * page cache into the region, and clean cache is memory A can reclaim,
 * where a copy in kjumpctl's heap is not (a hibernating A has little).
 */
static int kj_slurp(const char *path, void **buf, size_t *len, int *fdp)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !st.st_size) {
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	*buf = p;
	*len = (size_t)st.st_size;
	*fdp = fd;
	return 0;
}

/* B's files are read once: their cached pages would only crowd A. */
static void kj_unmap(void *buf, size_t len, int fd)
{
	if (!buf)
		return;
	munmap(buf, len);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

/*
 * The low part: A's first RAM range below 640 KiB, page-rounded, and not
 * holding @avoid (A's jump buffer, which B reads in place): the larger side
 * of it is kept.
 */
void kj_pick_low(const struct kj_memmap *ram, uint64_t avoid,
		 struct kjump_region *r)
{
	size_t i;

	for (i = 0; i < ram->n; i++) {
		uint64_t s = KJ_ALIGN(ram->r[i].start, KJ_PAGE);
		uint64_t e = (ram->r[i].end + 1) & ~(KJ_PAGE - 1);

		if (s >= KJ_LOW_LIMIT)
			continue;
		if (e > KJ_LOW_LIMIT)
			e = KJ_LOW_LIMIT;
		if (avoid >= s && avoid < e) {
			if (avoid - s >= e - avoid - KJ_PAGE)
				e = avoid;
			else
				s = avoid + KJ_PAGE;
		}
		if (e > s) {
			r->low_start = s;
			r->low_size = e - s;
		}
		return;
	}
}

/*
 * What the region must not hold: A's jump buffer (B reads it in place).
 * A chosen region also keeps clear of A's kernel image: its pages cannot be
 * claimed, so each would cost a shadow page and a swap.  An explicit one
 * may hold it (C resuming an image must use A's region wherever its own
 * kernel was loaded).
 */
struct kj_avoid {
	uint64_t start, end;	/* [start, end) */
};

static size_t kj_avoid_list(uint64_t jump_buf, struct kj_avoid *av)
{
	size_t n = 0;

	av[n].start = jump_buf;
	av[n++].end = jump_buf + KJ_PAGE;
	if (!kj_read_kernel_image(&av[n].start, &av[n].end))
		n++;
	return n;
}

/*
 * The main range: the highest aligned fit in one RAM range below 4 GiB
 * (and @limit) that holds nothing of @av.
 */
static int kj_pick_range(const struct kj_memmap *ram, uint64_t size,
			 uint64_t align, const struct kj_avoid *av, size_t nav,
			 uint64_t limit, uint64_t *start)
{
	size_t i, k;

	for (i = ram->n; i-- > 0;) {
		uint64_t lo = KJ_ALIGN(ram->r[i].start, align);
		uint64_t hi = ram->r[i].end + 1;
		uint64_t s;
		int moved;

		if (hi > (1ULL << 32))
			hi = 1ULL << 32;
		if (limit && hi > limit)
			hi = limit & ~(KJ_PAGE - 1);
		do {
			moved = 0;
			if (lo < (1ULL << 20) || hi <= lo || hi - lo < size)
				break;
			s = (hi - size) & ~(align - 1);
			if (s < lo)
				break;
			for (k = 0; k < nav; k++) {
				if (av[k].start < s + size && s < av[k].end) {
					hi = av[k].start;	/* try below it */
					moved = 1;
					break;
				}
			}
			if (!moved) {
				*start = s;
				return 0;
			}
		} while (moved);
	}
	return -ENOSPC;
}

int kj_in_ram(const struct kj_memmap *ram, uint64_t s, uint64_t len)
{
	size_t i;

	for (i = 0; i < ram->n; i++)
		if (s >= ram->r[i].start && s + len - 1 <= ram->r[i].end)
			return 1;
	return 0;
}

static void kj_e820_add(struct boot_params *bp, uint64_t addr, uint64_t size,
			uint32_t type)
{
	struct boot_e820_entry *e;

	if (bp->e820_entries >= E820_MAX_ENTRIES_ZEROPAGE)
		return;
	e = &bp->e820_table[bp->e820_entries++];
	e->addr = addr;
	e->size = size;
	e->type = type;
}

static int kj_e820_cmp(const void *a, const void *b)
{
	const struct boot_e820_entry *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * B's memory map: the region as RAM, A's firmware ranges as they are,
 * nothing else.  Also used by libkjump-kexec on kexec-tools' boot_params.
 */
int kj_boot_memmap(struct boot_params *bp, const struct kjump_region *r,
		   uint64_t rsv_start, uint64_t rsv_size)
{
	uint64_t end = r->start + r->size;
	struct kj_memmap fw;
	size_t i;

	bp->alt_mem_k = (uint32_t)((r->start + r->size - (1ULL << 20)) >> 10);
	bp->e820_entries = 0;
	if (r->low_size)
		kj_e820_add(bp, r->low_start, r->low_size, KJ_E820_RAM);
	if (rsv_size) {
		/* A piece B must read as old memory, not use (the ELF core header). */
		kj_e820_add(bp, r->start, rsv_start - r->start, KJ_E820_RAM);
		kj_e820_add(bp, rsv_start, rsv_size, KJ_E820_RESERVED);
		kj_e820_add(bp, rsv_start + rsv_size, end - rsv_start - rsv_size, KJ_E820_RAM);
	} else {
		kj_e820_add(bp, r->start, r->size, KJ_E820_RAM);
	}
	if (kj_read_firmware_map(&fw) == 0) {
		for (i = 0; i < fw.n; i++)
			if (fw.r[i].type != KJ_E820_RAM)
				kj_e820_add(bp, fw.r[i].start,
					    fw.r[i].end - fw.r[i].start + 1,
					    fw.r[i].type);
	}
	if (bp->e820_entries >= E820_MAX_ENTRIES_ZEROPAGE)
		return -E2BIG;
	qsort(bp->e820_table, bp->e820_entries, sizeof(bp->e820_table[0]),
	      kj_e820_cmp);
	return 0;
}

/* UEFI machines keep the RSDP out of the BIOS area: tell B where it is. */
static uint64_t kj_acpi_rsdp(void)
{
	char line[128];
	uint64_t addr = 0;
	FILE *f = fopen("/sys/firmware/efi/systab", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "ACPI20=%" SCNx64, &addr) == 1)
			break;
	fclose(f);
	return addr;
}

static unsigned int kj_add_seg(struct kj_boot_image *b, const void *buf,
			       uint64_t bufsz, uint64_t mem, uint64_t memsz)
{
	struct kjump_segment *s = &b->seg[b->nr_seg];

	s->buf = (uintptr_t)buf;
	s->bufsz = bufsz;
	s->mem = mem;
	s->memsz = KJ_ALIGN(memsz, KJ_PAGE);
	return b->nr_seg++;
}

/*
 * The entry blob: loads the boot_params pointer and jumps to the kernel's
 * entry, so the stub can `call` B like any payload (what kexec-tools'
 * purgatory does, without purgatory).
 */
static size_t kj_entry_blob(uint8_t *p, int entry32, uint64_t bp, uint64_t kentry)
{
	size_t n = 0;

	if (entry32) {
		p[n++] = 0xbe;			/* mov $bp, %esi */
		memcpy(p + n, &bp, 4), n += 4;
		p[n++] = 0xb8;			/* mov $kentry, %eax */
		memcpy(p + n, &kentry, 4), n += 4;
	} else {
		p[n++] = 0x48, p[n++] = 0xbe;	/* movabs $bp, %rsi */
		memcpy(p + n, &bp, 8), n += 8;
		p[n++] = 0x48, p[n++] = 0xb8;	/* movabs $kentry, %rax */
		memcpy(p + n, &kentry, 8), n += 8;
	}
	p[n++] = 0xff, p[n++] = 0xe0;		/* jmp *%(e|r)ax */
	return n;
}

/*
 * A flat payload: its bytes at the start of the region, entered there.
 * It gets no boot_params; the protocol alone (0(%rsp), 8(%rsp)) binds it.
 */
static int kj_raw_build(const struct kj_boot_opts *o, struct kj_boot_image *b,
			const struct kj_memmap *ram, char *err, size_t errlen)
{
	uint64_t avoid = o->jump_buf_pfn * KJ_PAGE, start = 0;
	struct kj_avoid av[2];
	size_t len;
	int ret;

	ret = kj_slurp(o->raw, &b->kernel_buf, &len, &b->kernel_fd);
	b->kernel_map = len;
	if (ret)
		return kj_err(err, errlen, ret, "cannot read payload %s: %s",
			      o->raw, strerror(-ret));
	if (!len || len > o->region_size)
		return kj_err(err, errlen, -EINVAL, "payload %s is empty or larger than "
			      "the region", o->raw);
	if (o->region_addr) {
		if (!kj_in_ram(ram, o->region_addr, o->region_size) ||
		    (avoid >= o->region_addr && avoid < o->region_addr + o->region_size))
			return kj_err(err, errlen, -EINVAL, "--region is not free RAM "
				      "for the payload (see /proc/iomem)");
		start = o->region_addr;
	} else if (kj_pick_range(ram, o->region_size, 2ULL << 20, av,
				 kj_avoid_list(avoid, av), o->region_limit, &start)) {
		return kj_err(err, errlen, -ENOSPC, "no room for a %" PRIu64 " MiB region",
			      o->region_size >> 20);
	}
	b->region.start = start;
	b->region.size = o->region_size;
	b->entry = start;
	b->kernel_addr = start;
	b->kernel_memsz = KJ_ALIGN(len, KJ_PAGE);
	b->used_end = start + b->kernel_memsz;
	snprintf(b->version, sizeof(b->version), "flat payload, %zu bytes", len);
	kj_add_seg(b, b->kernel_buf, len, start, len);
	return 0;
}

int kj_boot_build(const struct kj_boot_opts *o, struct kj_boot_image *b,
		  char *err, size_t errlen)
{
	struct setup_header *hdr;
	struct boot_params *bp;
	struct kj_memmap ram;
	size_t klen, ilen = 0, setup_len, hdr_end, blob_len, cl_len;
	uint64_t align, kmem, kfile, cur, end, need, cl_addr, kentry, start = 0, avoid;
	struct kj_avoid av[2];
	uint8_t *setup;
	char *k;
	int ret;

	memset(b, 0, sizeof(*b));
	b->elfcorehdr_seg = -1;
	if (o->raw) {
		ret = kj_read_system_ram(&ram);
		if (ret)
			return kj_err(err, errlen, ret, "cannot read /proc/iomem: %s",
				      strerror(-ret));
		return kj_raw_build(o, b, &ram, err, errlen);
	}
	ret = kj_slurp(o->kernel, &b->kernel_buf, &klen, &b->kernel_fd);
	b->kernel_map = klen;
	if (ret)
		return kj_err(err, errlen, ret, "cannot read kernel %s: %s",
			      o->kernel, strerror(-ret));
	k = b->kernel_buf;
	if (klen < 0x1000 || *(uint16_t *)(k + 0x1fe) != 0xaa55 ||
	    memcmp(k + 0x202, "HdrS", 4))
		return kj_err(err, errlen, -EINVAL,
			      "%s is not a bzImage (no x86 boot setup header)", o->kernel);
	hdr = (struct setup_header *)(k + 0x1f1);
	if (hdr->version < KJ_MIN_PROTO)
		return kj_err(err, errlen, -EINVAL,
			      "%s uses boot protocol %u.%02u; kjump needs 2.12 or later",
			      o->kernel, hdr->version >> 8, hdr->version & 0xff);
	if (!o->entry32 && !(hdr->xloadflags & XLF_KERNEL_64))
		return kj_err(err, errlen, -EINVAL,
			      "%s has no 64-bit entry point (not an x86_64 kernel?)", o->kernel);
	if (hdr->kernel_version && 0x200u + hdr->kernel_version < klen)
		snprintf(b->version, sizeof(b->version), "%s",
			 k + 0x200 + hdr->kernel_version);
	setup_len = ((size_t)(hdr->setup_sects ? hdr->setup_sects : 4) + 1) * 512;
	if (setup_len >= klen)
		return kj_err(err, errlen, -EINVAL, "%s is truncated", o->kernel);
	kfile = klen - setup_len;
	b->init_size = hdr->init_size;
	kmem = KJ_ALIGN(hdr->init_size > kfile ? hdr->init_size : kfile, KJ_PAGE);
	align = hdr->kernel_alignment > (2u << 20) ? hdr->kernel_alignment : (2u << 20);

	if (o->initrd) {
		ret = kj_slurp(o->initrd, &b->initrd_buf, &ilen, &b->initrd_fd);
		b->initrd_map = ilen;
		if (ret)
			return kj_err(err, errlen, ret, "cannot read initrd %s: %s",
				      o->initrd, strerror(-ret));
	}

	/* Region. */
	ret = kj_read_system_ram(&ram);
	if (ret)
		return kj_err(err, errlen, ret, ret == -EPERM ?
			      "cannot read physical addresses in /proc/iomem: run as root" :
			      "cannot read /proc/iomem: %s", strerror(-ret));
	avoid = o->jump_buf_pfn * KJ_PAGE;
	kj_pick_low(&ram, avoid, &b->region);
	b->region.size = o->region_size;
	/* B unpacks its initrd beside it: both must fit, with room to run. */
	need = kmem + 3 * KJ_PAGE + KJ_ALIGN(ilen, KJ_PAGE) + o->initrd_unpacked + KJ_RUN_ROOM;
	if (b->region.size < need)
		return kj_err(err, errlen, -ENOSPC,
			      "region of %" PRIu64 " MiB is too small for this kernel "
			      "(init_size %" PRIu64 " MiB + initrd %zu MiB, unpacking to %" PRIu64
			      " MiB, + %llu MiB to run): use --region %" PRIu64 "M or more",
			      b->region.size >> 20, kmem >> 20, ilen >> 20,
			      o->initrd_unpacked >> 20, KJ_RUN_ROOM >> 20,
			      (need + (1 << 20) - 1) >> 20);
	if (o->region_addr) {
		if (o->region_addr & (KJ_PAGE - 1) || o->region_size & (KJ_PAGE - 1))
			return kj_err(err, errlen, -EINVAL, "--region must be page aligned");
		if (avoid >= o->region_addr && avoid < o->region_addr + o->region_size)
			return kj_err(err, errlen, -EADDRINUSE,
				      "region 0x%" PRIx64 "+%" PRIu64 " MiB holds A's jump buffer "
				      "(pfn %" PRIu64 "): choose another --region",
				      o->region_addr, o->region_size >> 20, o->jump_buf_pfn);
		if (o->region_limit && o->region_addr + o->region_size > o->region_limit)
			return kj_err(err, errlen, -EINVAL,
				      "on this kernel the region must end below 0x%" PRIx64
				      " (i386: lowmem): choose a lower --region", o->region_limit);
		if (!kj_in_ram(&ram, o->region_addr, o->region_size))
			return kj_err(err, errlen, -EINVAL,
				      "region 0x%" PRIx64 "+%" PRIu64 " MiB is not one range "
				      "of System RAM (see /proc/iomem)",
				      o->region_addr, o->region_size >> 20);
		start = o->region_addr;
	} else if (kj_pick_range(&ram, o->region_size, align, av,
				 kj_avoid_list(avoid, av), o->region_limit, &start)) {
		return kj_err(err, errlen, -ENOSPC,
			      "no contiguous %" PRIu64 " MiB of RAM below 4 GiB: "
			      "use a smaller --region", o->region_size >> 20);
	}
	b->region.start = start;
	if (b->region.start < b->region.low_start + b->region.low_size) {
		b->region.low_start = 0;
		b->region.low_size = 0;
	}
	end = b->region.start + b->region.size;

	/* Layout: kernel, boot_params, entry blob + command line, initrd. */
	b->kernel_addr = KJ_ALIGN(b->region.start, align);
	if (!hdr->relocatable_kernel && b->kernel_addr != hdr->pref_address)
		return kj_err(err, errlen, -EINVAL,
			      "%s is not relocatable and must load at 0x%llx, outside the region",
			      o->kernel, (unsigned long long)hdr->pref_address);
	b->kernel_memsz = kmem;
	cur = b->kernel_addr + kmem;
	b->bp_addr = cur;
	cur += KJ_PAGE;
	b->elfcorehdr_seg = -1;
	if (o->vmcore) {
		/* Worst case: every region page its own run, every RAM range cut twice. */
		uint64_t phdrs = (b->region.low_size + b->region.size) / KJ_PAGE + 2 * ram.n + 8;

		b->elfcorehdr_addr = cur;
		b->elfcorehdr_size = KJ_ALIGN(64 + phdrs * 56 + 3 * KJ_PAGE, KJ_PAGE);
		cur += b->elfcorehdr_size;
	}

	b->cmdline = NULL;
	char core[64] = "";

	if (o->vmcore)
		snprintf(core, sizeof(core), " elfcorehdr=%" PRIu64 "K@0x%" PRIx64,
			 b->elfcorehdr_size >> 10, b->elfcorehdr_addr);
	if (asprintf(&b->cmdline, "kexec_jump_buf_pfn=%" PRIu64 "%s%s%s", o->jump_buf_pfn,
		     core, o->cmdline && *o->cmdline ? " " : "",
		     o->cmdline ? o->cmdline : "") < 0) {
		b->cmdline = NULL;
		return kj_err(err, errlen, -ENOMEM, "out of memory");
	}
	cl_len = strlen(b->cmdline) + 1;
	if (hdr->cmdline_size && cl_len > hdr->cmdline_size)
		return kj_err(err, errlen, -E2BIG,
			      "command line is %zu bytes; this kernel takes at most %u",
			      cl_len - 1, hdr->cmdline_size);
	b->setup_buf = calloc(1, KJ_ALIGN(64 + cl_len, KJ_PAGE));
	if (!b->setup_buf)
		return kj_err(err, errlen, -ENOMEM, "out of memory");
	setup = b->setup_buf;
	kentry = o->entry32 ? b->kernel_addr : b->kernel_addr + 0x200;
	blob_len = kj_entry_blob(setup, o->entry32, b->bp_addr, kentry);
	cl_addr = cur + 64;
	memcpy(setup + 64, b->cmdline, cl_len);
	b->entry = cur;
	cur += KJ_ALIGN(64 + cl_len, KJ_PAGE);
	(void)blob_len;

	if (ilen) {
		b->initrd_addr = cur;
		b->initrd_size = ilen;
		cur += KJ_ALIGN(ilen, KJ_PAGE);
		if (b->initrd_addr + ilen - 1 > hdr->initrd_addr_max &&
		    !(hdr->xloadflags & XLF_CAN_BE_LOADED_ABOVE_4G) && !o->entry32)
			return kj_err(err, errlen, -EINVAL,
				      "initrd would end above this kernel's initrd_addr_max 0x%x: "
				      "use a lower --region", hdr->initrd_addr_max);
	}
	b->used_end = cur;
	if (cur + KJ_RUN_ROOM > end)
		return kj_err(err, errlen, -ENOSPC, "region too small once aligned: "
			      "use a larger --region");

	/* boot_params: the kernel's own setup header, then our fields. */
	b->bp_buf = calloc(1, sizeof(*bp));
	if (!b->bp_buf)
		return kj_err(err, errlen, -ENOMEM, "out of memory");
	bp = b->bp_buf;
	hdr_end = 0x202 + (uint8_t)k[0x201];
	if (hdr_end > sizeof(*bp) || hdr_end > klen)
		return kj_err(err, errlen, -EINVAL, "%s: bad setup header length", o->kernel);
	memcpy((char *)bp + 0x1f1, k + 0x1f1, hdr_end - 0x1f1);
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.code32_start = (uint32_t)b->kernel_addr;
	bp->hdr.cmd_line_ptr = (uint32_t)cl_addr;
	bp->ext_cmd_line_ptr = (uint32_t)(cl_addr >> 32);
	bp->hdr.ramdisk_image = (uint32_t)b->initrd_addr;
	bp->ext_ramdisk_image = (uint32_t)(b->initrd_addr >> 32);
	bp->hdr.ramdisk_size = (uint32_t)ilen;
	bp->ext_ramdisk_size = (uint32_t)((uint64_t)ilen >> 32);
	bp->hdr.setup_data = 0;
	bp->hdr.hardware_subarch = 0;
	bp->acpi_rsdp_addr = kj_acpi_rsdp();
	if (kj_boot_memmap(bp, &b->region, b->elfcorehdr_addr, b->elfcorehdr_size))
		return kj_err(err, errlen, -E2BIG, "A's memory map has too many entries for B");

	/* Segments: low part (zeroed: no stale BIOS data for B), then image. */
	if (b->region.low_size)
		kj_add_seg(b, NULL, 0, b->region.low_start, b->region.low_size);
	kj_add_seg(b, k + setup_len, kfile, b->kernel_addr, kmem);
	kj_add_seg(b, bp, sizeof(*bp), b->bp_addr, KJ_PAGE);
	if (o->vmcore)
		b->elfcorehdr_seg = (int)kj_add_seg(b, NULL, 0, b->elfcorehdr_addr,
						    b->elfcorehdr_size);
	kj_add_seg(b, setup, 64 + cl_len, b->entry, 64 + cl_len);
	if (ilen)
		kj_add_seg(b, b->initrd_buf, ilen, b->initrd_addr, ilen);
	return 0;
}

void kj_boot_free(struct kj_boot_image *b)
{
	kj_unmap(b->kernel_buf, b->kernel_map, b->kernel_fd);
	kj_unmap(b->initrd_buf, b->initrd_map, b->initrd_fd);
	free(b->bp_buf);
	free(b->setup_buf);
	free(b->cmdline);
	memset(b, 0, sizeof(*b));
}
