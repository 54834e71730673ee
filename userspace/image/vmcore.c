// SPDX-License-Identifier: GPL-2.0
/*
 * B's view of A: A's memory through /proc/vmcore, and the saved pages'
 * range table from A's save map.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <zstd.h>
#include "image.h"

/*
 * A's memory through /proc/vmcore, read through a mapped window: read()
 * maps and unmaps every page of A on its own (a TLB flush each), mmap
 * maps a window at once.  pread() if the kernel refuses the mapping.
 */
#define KJH_WINDOW		(32UL << 20)

/* @len bytes at file offset @off, inside @ph, in a mapped window; NULL if not mappable. */
static const char *kjh_vm_window(struct kjh_vmcore *v, const Elf64_Phdr *ph, uint64_t off,
				 size_t len)
{
	uint64_t end = (ph->p_offset + ph->p_filesz + KJH_PAGE - 1) & ~(uint64_t)(KJH_PAGE - 1);
	uint64_t start;

	while (!v->nommap && (off < v->woff || off + len > v->woff + v->wlen)) {
		if (v->win)
			munmap(v->win, v->wlen);
		v->win = NULL;
		start = off & ~(uint64_t)(KJH_WINDOW - 1);
		if (start < (ph->p_offset & ~(uint64_t)(KJH_PAGE - 1)))
			start = ph->p_offset & ~(uint64_t)(KJH_PAGE - 1);
		if (off + len > start + KJH_WINDOW)
			start = off & ~(uint64_t)(KJH_PAGE - 1);
		v->woff = start;
		v->wlen = end - start < KJH_WINDOW ? end - start : KJH_WINDOW;
		if (off + len > v->woff + v->wlen)
			break;		/* larger than a window: read */
		v->win = mmap(NULL, v->wlen, PROT_READ, MAP_PRIVATE, v->fd, (off_t)v->woff);
		if (v->win == MAP_FAILED) {
			v->win = NULL;
			v->nommap = 1;
		}
	}
	if (v->win && off >= v->woff && off + len <= v->woff + v->wlen)
		return v->win + (off - v->woff);
	return NULL;
}

static int kjh_vm_pread(struct kjh_vmcore *v, const Elf64_Phdr *ph, void *buf, uint64_t off,
			size_t len)
{
	const char *p = kjh_vm_window(v, ph, off, len);

	if (p) {
		memcpy(buf, p, len);
		return 0;
	}
	return pread(v->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}

/*
 * A's bytes [paddr, paddr + len) where they are mapped, when one PT_LOAD
 * and one window hold them all: the compressor reads them in place
 * instead of from a copy.  NULL: read them with kjh_vm_read.
 */
const char *kjh_vm_map(struct kjh_vmcore *v, uint64_t paddr, size_t len)
{
	unsigned int i;

	for (i = 0; i < v->n; i++) {
		const Elf64_Phdr *ph = &v->ph[i];

		if (ph->p_type == PT_LOAD && paddr >= ph->p_paddr &&
		    paddr + len <= ph->p_paddr + ph->p_filesz)
			return kjh_vm_window(v, ph, ph->p_offset + paddr - ph->p_paddr, len);
	}
	return NULL;
}

int kjh_vmcore_open(struct kjh_vmcore *v)
{
	Elf64_Ehdr eh;

	v->fd = open("/proc/vmcore", O_RDONLY | O_CLOEXEC);
	if (v->fd < 0 || pread(v->fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -ENOENT;
	v->n = eh.e_phnum;
	v->ph = calloc(v->n, sizeof(*v->ph));
	if (!v->ph || pread(v->fd, v->ph, v->n * sizeof(*v->ph), (off_t)eh.e_phoff) !=
	    (ssize_t)(v->n * sizeof(*v->ph)))
		return -EIO;
	return 0;
}

/* A's physical bytes [paddr, paddr + len), across PT_LOADs; -ENXIO for a hole. */
int kjh_vm_read(struct kjh_vmcore *v, uint64_t paddr, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		unsigned int i;

		for (i = 0; i < v->n; i++) {
			const Elf64_Phdr *ph = &v->ph[i];
			uint64_t n;

			if (ph->p_type != PT_LOAD || paddr < ph->p_paddr ||
			    paddr >= ph->p_paddr + ph->p_filesz)
				continue;
			n = ph->p_paddr + ph->p_filesz - paddr;
			if (n > len)
				n = len;
			if (kjh_vm_pread(v, ph, p, ph->p_offset + paddr - ph->p_paddr, n))
				return -EIO;
			p += n;
			paddr += n;
			len -= n;
			break;
		}
		if (i == v->n)
			return -ENXIO;
	}
	return 0;
}

static int kjh_vm_has(const struct kjh_vmcore *v, uint64_t paddr)
{
	unsigned int i;

	for (i = 0; i < v->n; i++)
		if (v->ph[i].p_type == PT_LOAD && paddr >= v->ph[i].p_paddr &&
		    paddr < v->ph[i].p_paddr + v->ph[i].p_filesz)
			return 1;
	return 0;
}

/* The save map A's module left: bits -> ranges of pfns to save. */
int kjh_ranges(struct kjh_vmcore *v, const struct kjump_jump_buf *jb,
	       struct kjh_range **out, uint64_t *nr, uint64_t *pages)
{
	uint64_t *index = malloc(KJH_PAGE), cap = 1024, pfn;
	unsigned char *bits = malloc(KJH_PAGE);
	struct kjh_range *r = malloc(cap * sizeof(*r));
	uint64_t nbits = jb->savemap_pfns, skipped = 0;

	*nr = *pages = 0;
	if (!index || !bits || !r || kjh_vm_read(v, jb->savemap, index, KJH_PAGE))
		return -EIO;
	for (pfn = 0; pfn < nbits; pfn++) {
		uint64_t pg = pfn / (KJH_PAGE * 8), bit = pfn % (KJH_PAGE * 8);

		if (!bit && kjh_vm_read(v, index[pg], bits, KJH_PAGE))
			return -EIO;
		if (!(bits[bit / 8] & (1u << (bit % 8))))
			continue;
		if (!kjh_vm_has(v, pfn * KJH_PAGE)) {
			skipped++;
			continue;
		}
		if (*nr && r[*nr - 1].pfn + r[*nr - 1].nr == pfn) {
			r[*nr - 1].nr++;
		} else {
			if (*nr == cap) {
				struct kjh_range *t = realloc(r, 2 * cap * sizeof(*r));

				if (!t)
					return -ENOMEM;
				r = t;
				cap *= 2;
			}
			r[(*nr)++] = (struct kjh_range){ pfn, 1 };
		}
		(*pages)++;
	}
	if (skipped)
		fprintf(stderr, "kjump: %" PRIu64 " pages of the save map are not in /proc/vmcore; "
			"left out\n", skipped);
	free(index);
	free(bits);
	*out = r;
	return 0;
}
