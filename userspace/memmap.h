/* SPDX-License-Identifier: GPL-2.0 */
/* A's physical memory map, as /proc/iomem and /sys/firmware/memmap show it. */
#ifndef KJUMP_MEMMAP_H
#define KJUMP_MEMMAP_H

#include <stdint.h>
#include <stddef.h>

#define KJ_MAX_RANGES	256

/* e820 types, as the boot protocol numbers them. */
enum {
	KJ_E820_RAM = 1,
	KJ_E820_RESERVED = 2,
	KJ_E820_ACPI = 3,
	KJ_E820_NVS = 4,
	KJ_E820_UNUSABLE = 5,
	KJ_E820_PMEM = 7,
	KJ_E820_PRAM = 12,
	KJ_E820_SOFT_RESERVED = 0xefffffff,
};

struct kj_range {
	uint64_t start;
	uint64_t end;	/* inclusive */
	uint32_t type;
};

struct kj_memmap {
	struct kj_range r[KJ_MAX_RANGES];
	size_t n;
};

/* Top-level "System RAM" of /proc/iomem (needs root to see addresses). */
int kj_read_system_ram(struct kj_memmap *m);
/* The firmware map, /sys/firmware/memmap/N/{start,end,type}. */
int kj_read_firmware_map(struct kj_memmap *m);
void kj_sort_ranges(struct kj_memmap *m);
int kj_read_kernel_image(uint64_t *start, uint64_t *end);

#endif
