// SPDX-License-Identifier: GPL-2.0
/*
 * kj_vmcore: check that B's /proc/vmcore is A's memory.
 *
 *   kj_vmcore pattern N LIST   (in A) fill N locked pages with a pattern
 *                              derived from their index, write "PHYS INDEX"
 *                              lines to LIST, then hold the pages (sleeps);
 *                              SIGHUP writes LIST again (LOAD migrates
 *                              pages out of the region) and reports moves
 *   kj_vmcore pipes N          (in A) fill N pages of pipe buffers with a
 *                              second pattern and hold them: unmovable
 *                              kernel pages, so those in the region stay
 *                              there and B sees them through shadows
 *   kj_vmcore count-pipes CORE 0xSTART-0xEND
 *                              (in A, CORE /proc/kcore) how many intact pipe
 *                              pages lie at those physical addresses: what
 *                              B must then find there
 *   kj_vmcore check LIST CORE [0xSTART-0xEND]
 *                              (in B) read each listed physical page from
 *                              the ELF core file CORE and compare; count
 *                              those in the range, and the intact pipe
 *                              pages at physical addresses in it
 */
#define _GNU_SOURCE
#include <elf.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL

#define TAG_ANON	0x4b4a554d50000000ULL	/* "KJUMP" */
#define TAG_PIPE	0x4b4a504950450000ULL	/* "KJPIPE" */

static void fill_tag(uint64_t *p, uint64_t tag, uint64_t idx)
{
	size_t i;

	for (i = 0; i < PAGE / 8; i++)
		p[i] = tag ^ (idx << 12) ^ i;
}

static void fill(uint64_t *p, uint64_t idx)
{
	fill_tag(p, TAG_ANON, idx);
}

static volatile sig_atomic_t relist;

static void on_hup(int sig)
{
	(void)sig;
	relist = 1;
}

/* Write "PHYS INDEX" for each page; count those whose PHYS changed. */
static int list_pages(char *mem, unsigned long n, const char *list,
		      uint64_t *phys, unsigned long *moved)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	FILE *f = fopen(list, "w");
	unsigned long i;

	if (pm < 0 || !f) {
		perror("kj_vmcore pagemap");
		return 1;
	}
	*moved = 0;
	for (i = 0; i < n; i++) {
		uint64_t e, pa;
		off_t off = (off_t)(((uintptr_t)mem + i * PAGE) / PAGE * 8);

		if (pread(pm, &e, 8, off) != 8 || !(e & (1ULL << 63)) || !(e & ((1ULL << 55) - 1))) {
			fprintf(stderr, "kj_vmcore: no pfn for page %lu (need root)\n", i);
			return 1;
		}
		pa = (e & ((1ULL << 55) - 1)) * PAGE;
		*moved += phys[i] && phys[i] != pa;
		phys[i] = pa;
		fprintf(f, "%" PRIx64 " %lu\n", pa, i);
	}
	close(pm);
	return fclose(f) != 0;
}

static int pattern(unsigned long n, const char *list)
{
	char *mem = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t *phys = calloc(n, sizeof(*phys));
	unsigned long i, moved;

	if (mem == MAP_FAILED || !phys || mlock(mem, n * PAGE)) {
		perror("kj_vmcore pattern");
		return 1;
	}
	signal(SIGHUP, on_hup);
	for (i = 0; i < n; i++)
		fill((uint64_t *)(mem + i * PAGE), i);
	if (list_pages(mem, n, list, phys, &moved))
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		pause();
		if (!relist)
			continue;
		relist = 0;
		if (list_pages(mem, n, list, phys, &moved))
			return 1;
		printf("relisted: %lu moved\n", moved);
		fflush(stdout);
	}
}

static int pipes(unsigned long n)
{
	static uint64_t page[PAGE / 8];
	unsigned long i = 0;

	while (i < n) {
		int fd[2];

		/* Non-blocking: a full pipe ends its loop, the next one goes on. */
		if (pipe2(fd, O_NONBLOCK) || fcntl(fd[1], F_SETPIPE_SZ, 1 << 20) < 0) {
			perror("kj_vmcore pipes");
			return 1;
		}
		/* Whole-page writes: each fills one fresh buffer page. */
		for (; i < n; i++) {
			fill_tag(page, TAG_PIPE, i);
			if (write(fd[1], page, PAGE) != PAGE)
				break;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

/*
 * Pipe pages at physical addresses [lo, hi]: in a kjump core those are the
 * region pages A kept, whose data B reads from their shadows.
 */
static void scan_range(int fd, const Elf64_Phdr *ph, int nph, uint64_t lo,
		       uint64_t hi, unsigned long *found, unsigned long *bad)
{
	static uint64_t page[PAGE / 8], want[PAGE / 8];
	uint64_t pa;
	int i;

	for (i = 0; i < nph; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		for (pa = ph[i].p_paddr; pa + PAGE <= ph[i].p_paddr + ph[i].p_filesz; pa += PAGE) {
			uint64_t idx;

			if (pa < lo || pa > hi)
				continue;
			if (pread(fd, page, PAGE, (off_t)(ph[i].p_offset + pa - ph[i].p_paddr)) != PAGE)
				break;
			if ((page[0] ^ TAG_PIPE) & ~0xffffffff000ULL)
				continue;
			idx = (page[0] ^ TAG_PIPE) >> 12;
			fill_tag(want, TAG_PIPE, idx);
			if (memcmp(page, want, PAGE))
				(*bad)++;
			else
				(*found)++;
		}
	}
}

/* "0xSTART-0xEND" into [lo, hi]. */
static int parse_range(const char *range, uint64_t *lo, uint64_t *hi)
{
	if (sscanf(range, "%" SCNx64 "-%" SCNx64, lo, hi) == 2)
		return 0;
	fprintf(stderr, "kj_vmcore: bad range %s (want 0xSTART-0xEND)\n", range);
	return -1;
}

/* CORE's ELF64 header and program headers (calloc'd), or NULL. */
static Elf64_Phdr *read_phdrs(int fd, const char *core, Elf64_Ehdr *eh)
{
	Elf64_Phdr *ph;

	if (fd < 0 || pread(fd, eh, sizeof(*eh), 0) != sizeof(*eh) ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "kj_vmcore: %s is not an ELF64 core\n", core);
		return NULL;
	}
	ph = calloc(eh->e_phnum, sizeof(*ph));
	if (ph && pread(fd, ph, eh->e_phnum * sizeof(*ph), (off_t)eh->e_phoff) !=
	    (ssize_t)(eh->e_phnum * sizeof(*ph))) {
		free(ph);
		return NULL;
	}
	return ph;
}

static int check(const char *list, const char *core, const char *range)
{
	int fd = open(core, O_RDONLY);
	FILE *f = fopen(list, "r");
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	unsigned long ok = 0, bad = 0, missing = 0, inregion = 0, pipe = 0, pipebad = 0;
	uint64_t lo = 1, hi = 0;
	uint64_t phys, idx;
	static uint64_t page[PAGE / 8], want[PAGE / 8];

	if (range && parse_range(range, &lo, &hi))
		return 1;
	if (!f) {
		fprintf(stderr, "kj_vmcore: cannot read %s\n", list);
		return 1;
	}
	ph = read_phdrs(fd, core, &eh);
	if (!ph)
		return 1;
	while (fscanf(f, "%" SCNx64 " %" SCNu64, &phys, &idx) == 2) {
		int i, found = 0;

		for (i = 0; i < eh.e_phnum; i++) {
			if (ph[i].p_type != PT_LOAD || phys < ph[i].p_paddr ||
			    phys - ph[i].p_paddr >= ph[i].p_filesz)
				continue;
			found = 1;
			if (pread(fd, page, PAGE, (off_t)(ph[i].p_offset + phys - ph[i].p_paddr)) != PAGE)
				break;
			fill(want, idx);
			if (memcmp(page, want, PAGE)) {
				if (bad++ < 3)
					printf("# mismatch at phys 0x%" PRIx64 " (page %" PRIu64 ")\n", phys, idx);
			} else {
				ok++;
				inregion += phys >= lo && phys <= hi;
			}
			break;
		}
		missing += !found;
	}
	if (range)
		scan_range(fd, ph, eh.e_phnum, lo, hi, &pipe, &pipebad);
	printf("%lu ok %lu bad %lu missing %lu inregion %lu pipe %lu pipebad\n",
	       ok, bad, missing, inregion, pipe, pipebad);
	return bad || missing || pipebad || !ok;
}

/* Intact and damaged pipe pages at physical [range] of CORE (A: /proc/kcore). */
static int count_pipes(const char *core, const char *range)
{
	int fd = open(core, O_RDONLY);
	unsigned long pipe = 0, pipebad = 0;
	uint64_t lo, hi;
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;

	if (parse_range(range, &lo, &hi))
		return 1;
	ph = read_phdrs(fd, core, &eh);
	if (!ph)
		return 1;
	scan_range(fd, ph, eh.e_phnum, lo, hi, &pipe, &pipebad);
	printf("%lu %lu\n", pipe, pipebad);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "pattern"))
		return pattern(strtoul(argv[2], NULL, 0), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "pipes"))
		return pipes(strtoul(argv[2], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "count-pipes"))
		return count_pipes(argv[2], argv[3]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "check"))
		return check(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: kj_vmcore pattern N LIST | pipes N | count-pipes CORE 0xSTART-0xEND |\n"
		"       check LIST CORE [0xSTART-0xEND]\n");
	return 2;
}
