// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memmap.h"

static int kj_add(struct kj_memmap *m, uint64_t start, uint64_t end, uint32_t type)
{
	if (m->n == KJ_MAX_RANGES)
		return -E2BIG;
	m->r[m->n].start = start;
	m->r[m->n].end = end;
	m->r[m->n].type = type;
	m->n++;
	return 0;
}

static int kj_cmp(const void *a, const void *b)
{
	const struct kj_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

void kj_sort_ranges(struct kj_memmap *m)
{
	qsort(m->r, m->n, sizeof(m->r[0]), kj_cmp);
}

int kj_read_system_ram(struct kj_memmap *m)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");
	int ret = 0;

	m->n = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		uint64_t s, e;
		int off = 0;

		/* Top level only: children are indented. */
		if (line[0] == ' ')
			continue;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " : %n", &s, &e, &off) != 2 || !off)
			continue;
		if (strncmp(line + off, "System RAM", 10))
			continue;
		ret = kj_add(m, s, e, KJ_E820_RAM);
		if (ret)
			break;
	}
	fclose(f);
	if (!ret && m->n && m->r[m->n - 1].end == 0)
		return -EPERM;	/* addresses hidden: not root */
	kj_sort_ranges(m);
	return ret;
}

static uint32_t kj_type(const char *s)
{
	static const struct { const char *name; uint32_t type; } t[] = {
		{ "System RAM", KJ_E820_RAM },
		{ "Reserved", KJ_E820_RESERVED },
		{ "ACPI Tables", KJ_E820_ACPI },
		{ "ACPI Non-volatile Storage", KJ_E820_NVS },
		{ "Unusable memory", KJ_E820_UNUSABLE },
		{ "Persistent Memory (legacy)", KJ_E820_PRAM },
		{ "Persistent Memory", KJ_E820_PMEM },
		{ "Soft Reserved", KJ_E820_SOFT_RESERVED },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].name))
			return t[i].type;
	return KJ_E820_RESERVED;
}

static int kj_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	char *nl;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return 0;
}

int kj_read_firmware_map(struct kj_memmap *m)
{
	char path[96], buf[64];
	int i, ret;

	m->n = 0;
	for (i = 0; ; i++) {
		uint64_t s, e;

		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/start", i);
		if (kj_read_line(path, buf, sizeof(buf)))
			break;
		s = strtoull(buf, NULL, 0);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/end", i);
		if ((ret = kj_read_line(path, buf, sizeof(buf))))
			return ret;
		e = strtoull(buf, NULL, 0);
		snprintf(path, sizeof(path), "/sys/firmware/memmap/%d/type", i);
		if ((ret = kj_read_line(path, buf, sizeof(buf))))
			return ret;
		ret = kj_add(m, s, e, kj_type(buf));
		if (ret)
			return ret;
	}
	if (!m->n)
		return -ENOENT;
	kj_sort_ranges(m);
	return 0;
}

/*
 * The span of the running kernel's image (its "Kernel code/rodata/data/bss"
 * lines in /proc/iomem): B must not overwrite it, offline CPUs park in it.
 */
int kj_read_kernel_image(uint64_t *start, uint64_t *end)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");
	uint64_t lo = UINT64_MAX, hi = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		uint64_t s, e;
		int off = 0;

		if (sscanf(line, " %" SCNx64 "-%" SCNx64 " : %n", &s, &e, &off) != 2 || !off)
			continue;
		if (strncmp(line + off, "Kernel ", 7))
			continue;
		if (s < lo)
			lo = s;
		if (e + 1 > hi)
			hi = e + 1;
	}
	fclose(f);
	if (!hi || !lo)
		return -ENOENT;
	*start = lo;
	*end = hi;
	return 0;
}
