// SPDX-License-Identifier: GPL-2.0
/*
 * kj_workload: what A is busy with while it jumps away and back.
 *
 *   kj_workload hold PERCENT STATEFILE
 *       Holds PERCENT of MemTotal in mlocked pages, each filled from its
 *       index and checked against a stored checksum.  On SIGUSR1 it checks
 *       every page and writes "ok PAGES" or "bad PAGE" to STATEFILE.
 *   kj_workload count STATEFILE
 *       Counts, writing the count to STATEFILE about 20 times a second.
 *   kj_workload zeroes MIB
 *       Takes MIB MiB of fresh anonymous memory, which the kernel hands out
 *       zeroed, and says how many of its pages are not all zero (exit 1
 *       if any is).
 *
 * Both write "ready" to STATEFILE once set up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

static volatile sig_atomic_t check_requested;

static void on_usr1(int sig)
{
	(void)sig;
	check_requested = 1;
}

static void put_state(const char *file, const char *fmt, unsigned long v)
{
	char tmp[256], buf[64];
	int fd, n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), fmt, v);
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return;
	}
	close(fd);
	rename(tmp, file);	/* readers see a whole line */
}

static unsigned long mem_total_kib(void)
{
	char line[128];
	unsigned long kib = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* xorshift64*: cheap, and a wrong byte anywhere changes the sum. */
static uint64_t fill_page(uint64_t *p, uint64_t idx)
{
	uint64_t x = idx * 0x9e3779b97f4a7c15ULL + 1, sum = 0;
	size_t i;

	for (i = 0; i < PAGE / 8; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		p[i] = x * 0x2545f4914f6cdd1dULL;
		sum += p[i] ^ i;
	}
	return sum;
}

static uint64_t sum_page(const uint64_t *p)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < PAGE / 8; i++)
		sum += p[i] ^ i;
	return sum;
}

static int hold(unsigned long pct, const char *state)
{
	unsigned long pages = mem_total_kib() / 4 * pct / 100, i;
	uint64_t *sums;
	char *mem;

	sums = calloc(pages, sizeof(*sums));
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (!sums || mem == MAP_FAILED) {
		fprintf(stderr, "kj_workload: cannot get %lu pages: %s\n", pages, strerror(errno));
		return 1;
	}
	if (mlock(mem, pages * PAGE))
		fprintf(stderr, "kj_workload: mlock: %s (going on unlocked)\n", strerror(errno));
	for (i = 0; i < pages; i++)
		sums[i] = fill_page((uint64_t *)(mem + i * PAGE), i);
	signal(SIGUSR1, on_usr1);
	put_state(state, "ready %lu\n", pages);
	for (;;) {
		pause();
		if (!check_requested)
			continue;
		check_requested = 0;
		for (i = 0; i < pages; i++)
			if (sum_page((uint64_t *)(mem + i * PAGE)) != sums[i])
				break;
		if (i == pages)
			put_state(state, "ok %lu\n", pages);
		else
			put_state(state, "bad %lu\n", i);
	}
}

static _Noreturn void count(const char *state)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	unsigned long n = 0;

	put_state(state, "ready %lu\n", 0);
	for (;;) {
		put_state(state, "%lu\n", ++n);
		nanosleep(&ts, NULL);
	}
}

static int zeroes(unsigned long mib)
{
	unsigned long pages = mib * (1024 * 1024 / PAGE), bad = 0, i, j;
	const uint64_t *p;
	char *mem;

	/* Written to, so that every page is a page of its own, not the zero page. */
	mem = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "kj_workload: cannot get %lu MiB: %s\n", mib, strerror(errno));
		return 2;
	}
	for (i = 0; i < pages; i++) {
		p = (const uint64_t *)(mem + i * PAGE);
		for (j = 0; j < PAGE / 8 && !p[j]; j++)
			;
		bad += j < PAGE / 8;
	}
	printf("%lu of %lu fresh pages not zero\n", bad, pages);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return hold(strtoul(argv[2], NULL, 0), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "count"))
		count(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "zeroes"))
		return zeroes(strtoul(argv[2], NULL, 0));
	fprintf(stderr, "usage: kj_workload hold PERCENT STATEFILE | count STATEFILE | zeroes MIB\n");
	return 2;
}
