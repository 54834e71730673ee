/* SPDX-License-Identifier: GPL-2.0 */
/*
 * B's image from a bzImage: the one writer of boot_params in kjump.  It
 * lays the kernel, boot_params, the command line, a register-setting entry
 * blob and the initrd out in the region, and gives B an e820 that lists only
 * the region as RAM (plus A's firmware ranges) and no EFI memory map, so B
 * cannot touch the rest of A's memory.
 */
#ifndef KJUMP_BOOTIMAGE_H
#define KJUMP_BOOTIMAGE_H

#include <stdint.h>
#include <stddef.h>
#include <linux/kjump.h>

struct kj_boot_opts {
	const char *kernel;
	const char *initrd;		/* may be NULL */
	const char *cmdline;		/* B's command line, without kjump's */
	uint64_t region_size;
	uint64_t region_addr;		/* 0: choose */
	uint64_t jump_buf_pfn;		/* A's kexec_jump_buf_pfn */
	int entry32;			/* enter B through the 32-bit protocol */
	const char *raw;		/* instead of a bzImage: a flat payload */
	uint64_t region_limit;		/* the module's: regions end below it */
	int vmcore;			/* give B A's memory as /proc/vmcore */
	int drop_caches;		/* sync and drop clean caches just before LOAD */
	int jump_now;			/* KJUMP_LOAD_JUMP_NOW: A jumps at once */
	int vmcore_phys;		/* KJUMP_LOAD_ELFCOREHDR_PHYS: shadows too */
	uint64_t initrd_unpacked;	/* what the initrd unpacks to, if known */
};

struct kj_boot_image {
	struct kjump_region region;
	struct kjump_segment seg[KJUMP_MAX_SEGMENTS];
	unsigned int nr_seg;
	uint64_t entry;
	/* For the report. */
	char version[128];
	uint64_t kernel_addr, kernel_memsz, init_size;
	uint64_t initrd_addr, initrd_size;
	uint64_t bp_addr, used_end;
	uint64_t elfcorehdr_addr, elfcorehdr_size;	/* with vmcore */
	int elfcorehdr_seg;				/* its segment, or -1 */
	char *cmdline;
	/* Owned buffers, freed by kj_boot_free; the files are mapped. */
	void *kernel_buf, *initrd_buf, *bp_buf, *setup_buf;
	size_t kernel_map, initrd_map;
	int kernel_fd, initrd_fd;			/* open while mapped */
};

/* Minimum room B needs past its image to boot and run. */
#define KJ_RUN_ROOM		(32ULL << 20)
#define KJ_DEFAULT_REGION	(192ULL << 20)
#define KJ_DEFAULT_RAW_REGION	(2ULL << 20)

int kj_boot_build(const struct kj_boot_opts *o, struct kj_boot_image *b,
		  char *err, size_t errlen);
void kj_boot_free(struct kj_boot_image *b);

/*
 * Shared with libkjump-kexec (kexec_shim.c), which gives a kexec-tools
 * built B the same region rules and memory map as kjumpctl's.
 */
struct boot_params;
struct kj_memmap;
/* The low part B gets: A's first RAM below 640 KiB, less the page @avoid. */
void kj_pick_low(const struct kj_memmap *ram, uint64_t avoid,
		 struct kjump_region *r);
/* [s, s + len) lies in one System RAM range of @ram. */
int kj_in_ram(const struct kj_memmap *ram, uint64_t s, uint64_t len);
/* B's e820 (region as RAM plus A's firmware ranges) and alt_mem_k. */
int kj_boot_memmap(struct boot_params *bp, const struct kjump_region *r,
		   uint64_t rsv_start, uint64_t rsv_size);

#endif
