/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hibernation image on disk, defined once: every struct, magic and
 * limit, as docs/image-format.md describes them.  Integers are little
 * endian.  Every field has an explicit place: the asserts below hold on
 * x86_64 and i386 alike, so either build reads the other's images.
 */
#ifndef KJ_IMAGE_FORMAT_H
#define KJ_IMAGE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/kjump.h>

#define KJH_MAGIC		"KJHIBER1"
#define KJH_USED		"KJHIBUSD"	/* resumed once: never again */
#define KJH_VERSION		1
#define KJH_PAGE		((uint64_t)4096)
#define KJH_MAX_RAM		32		/* ram[] entries */
#define KJH_MAX_EXTENTS		128		/* extent table entries */
#define KJH_CHUNK_PAGES		256		/* pages in a chunk, at most */
#define KJH_CHUNK_MAGIC		0x48434a4bU	/* "KJCH" */
#define KJH_CHUNK_RAW		1U		/* stored, not compressed */
#define KJH_ALIGN		((uint64_t)512)	/* where chunks start */
/* Header area, page 0 and range table: 16M ranges (any real A has fewer). */
#define KJH_MAX_HEADER		((uint64_t)256 << 20)

/* A System RAM range of A, end exclusive. */
struct kjh_ram {
	uint64_t start, end;
};

/* Image bytes [logical, logical + length) are device bytes [physical, ...). */
struct kjh_extent {
	uint64_t logical, physical, length;
};

/* Page 0 of an image, followed in that page by the extent table. */
struct kjh_header {
	char magic[8];
	uint32_t version;
	uint32_t page_size;
	uint32_t arch;			/* KJUMP_ARCH_* */
	uint32_t nr_ram;
	uint32_t nr_extents;
	uint32_t pad;			/* 0 */
	uint64_t header_size;		/* page 0 + range table, page multiple */
	uint64_t image_size;		/* header + chunks, bytes */
	uint64_t created;		/* unix time */
	uint64_t jump_buf_pfn;		/* A's kexec_jump_buf_pfn */
	uint64_t entry;			/* A's re-entry point (informative) */
	struct kjump_region region;	/* where B ran; D must run there too */
	uint64_t nr_ranges;		/* saved pfn ranges, in the range table */
	uint64_t nr_pages;		/* saved pages */
	uint64_t nr_chunks;
	uint64_t data_bytes;		/* compressed bytes in all chunks */
	uint8_t boot_id[16];		/* A's boot */
	char release[68];		/* A's kernel release */
	char machine[40];		/* DMI product UUID, or empty */
	uint8_t pad2[4];		/* 0: ram[] on 8 bytes on i386 too */
	struct kjh_ram ram[KJH_MAX_RAM];	/* A's System RAM */
	uint64_t header_hash;		/* XXH64 of all header_size bytes, this zero */
	struct kjh_extent ext[];	/* image offset -> device offset */
};

/* The range table, after page 0: saved pfns, ascending, not overlapping. */
struct kjh_range {
	uint64_t pfn, nr;
};

/* Each chunk, on a KJH_ALIGN boundary, followed by csize bytes. */
struct kjh_chunk {
	uint32_t magic;
	uint32_t npages;
	uint64_t first;			/* index of its first page among the saved */
	uint32_t csize;			/* bytes that follow */
	uint32_t flags;			/* KJH_CHUNK_RAW */
	uint64_t hash;			/* XXH64 of the bytes, seeded (see the doc) */
};

#define KJH_AT(type, field, off) \
	_Static_assert(offsetof(struct type, field) == (off), #type "." #field " at " #off)
KJH_AT(kjh_header, magic, 0);
KJH_AT(kjh_header, version, 8);
KJH_AT(kjh_header, page_size, 12);
KJH_AT(kjh_header, arch, 16);
KJH_AT(kjh_header, nr_ram, 20);
KJH_AT(kjh_header, nr_extents, 24);
KJH_AT(kjh_header, pad, 28);
KJH_AT(kjh_header, header_size, 32);
KJH_AT(kjh_header, image_size, 40);
KJH_AT(kjh_header, created, 48);
KJH_AT(kjh_header, jump_buf_pfn, 56);
KJH_AT(kjh_header, entry, 64);
KJH_AT(kjh_header, region, 72);
KJH_AT(kjh_header, nr_ranges, 104);
KJH_AT(kjh_header, nr_pages, 112);
KJH_AT(kjh_header, nr_chunks, 120);
KJH_AT(kjh_header, data_bytes, 128);
KJH_AT(kjh_header, boot_id, 136);
KJH_AT(kjh_header, release, 152);
KJH_AT(kjh_header, machine, 220);
KJH_AT(kjh_header, pad2, 260);
KJH_AT(kjh_header, ram, 264);
KJH_AT(kjh_header, header_hash, 776);
KJH_AT(kjh_header, ext, 784);
KJH_AT(kjh_range, pfn, 0);
KJH_AT(kjh_range, nr, 8);
KJH_AT(kjh_extent, logical, 0);
KJH_AT(kjh_extent, physical, 8);
KJH_AT(kjh_extent, length, 16);
KJH_AT(kjh_chunk, magic, 0);
KJH_AT(kjh_chunk, npages, 4);
KJH_AT(kjh_chunk, first, 8);
KJH_AT(kjh_chunk, csize, 16);
KJH_AT(kjh_chunk, flags, 20);
KJH_AT(kjh_chunk, hash, 24);
#undef KJH_AT
_Static_assert(sizeof(struct kjump_region) == 32, "region: 4 x u64");
_Static_assert(sizeof(struct kjh_header) == 784, "header size");
_Static_assert(sizeof(struct kjh_range) == 16, "range size");
_Static_assert(sizeof(struct kjh_extent) == 24, "extent size");
_Static_assert(sizeof(struct kjh_chunk) == 32, "chunk header size");
_Static_assert(sizeof(struct kjh_header) + KJH_MAX_EXTENTS * sizeof(struct kjh_extent) <=
	       KJH_PAGE, "the extent table overflows the header page");

#endif
