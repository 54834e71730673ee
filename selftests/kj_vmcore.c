// SPDX-License-Identifier: GPL-2.0
/*
 * kj_vmcore: check that B's /proc/vmcore is A's memory.
 *
 *   kj_vmcore pattern N LIST   (in A) fill N locked pages with a pattern
 *                              derived from their index, write "PHYS INDEX"
 *                              lines to LIST, then hold the pages (sleeps)
 *   kj_vmcore check LIST CORE  (in B) read each listed physical page from
 *                              the ELF core file CORE and compare
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL

static void fill(uint64_t *p, uint64_t idx)
{
	size_t i;

	for (i = 0; i < PAGE / 8; i++)
		p[i] = 0x4b4a554d50000000ULL ^ (idx << 12) ^ i;	/* "KJUMP" */
}

static int pattern(unsigned long n, const char *list)
{
	char *mem = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int pm = open("/proc/self/pagemap", O_RDONLY);
	FILE *f = fopen(list, "w");
	unsigned long i;

	if (mem == MAP_FAILED || pm < 0 || !f || mlock(mem, n * PAGE)) {
		perror("kj_vmcore pattern");
		return 1;
	}
	for (i = 0; i < n; i++)
		fill((uint64_t *)(mem + i * PAGE), i);
	for (i = 0; i < n; i++) {
		uint64_t e;
		off_t off = (off_t)(((uintptr_t)mem + i * PAGE) / PAGE * 8);

		if (pread(pm, &e, 8, off) != 8 || !(e & (1ULL << 63)) || !(e & ((1ULL << 55) - 1))) {
			fprintf(stderr, "kj_vmcore: no pfn for page %lu (need root)\n", i);
			return 1;
		}
		fprintf(f, "%" PRIx64 " %lu\n", (uint64_t)((e & ((1ULL << 55) - 1)) * PAGE), i);
	}
	fclose(f);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int check(const char *list, const char *core)
{
	int fd = open(core, O_RDONLY);
	FILE *f = fopen(list, "r");
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	unsigned long ok = 0, bad = 0, missing = 0, shadowed = 0;
	uint64_t phys, idx;
	static uint64_t page[PAGE / 8], want[PAGE / 8];

	if (fd < 0 || !f || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64) {
		fprintf(stderr, "kj_vmcore: %s is not an ELF64 core\n", core);
		return 1;
	}
	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph || pread(fd, ph, eh.e_phnum * sizeof(*ph), (off_t)eh.e_phoff) !=
	    (ssize_t)(eh.e_phnum * sizeof(*ph)))
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
				/* A kjump core maps region pages elsewhere (shadows). */
				shadowed += ph[i].p_offset != ph[i].p_paddr;
			}
			break;
		}
		missing += !found;
	}
	printf("%lu ok %lu bad %lu missing %lu shadowed\n", ok, bad, missing, shadowed);
	return bad || missing || !ok;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "pattern"))
		return pattern(strtoul(argv[2], NULL, 0), argv[3]);
	if (argc == 4 && !strcmp(argv[1], "check"))
		return check(argv[2], argv[3]);
	fprintf(stderr, "usage: kj_vmcore pattern N LIST | check LIST CORE\n");
	return 2;
}
