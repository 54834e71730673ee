// SPDX-License-Identifier: GPL-2.0
/*
 * The hibernation image's checks that need nothing but its bytes: no
 * device, no kernel.  Each returns 0, or fills @why with a sentence for
 * the user.  docs/image-format.md states what they check.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>
#include <zstd.h>
#include "image.h"

uint64_t kjh_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

int kjh_any_nonzero(const char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 1;
	return 0;
}

uint64_t kjh_header_hash(struct kjh_header *h, const struct kjh_range *r)
{
	XXH64_state_t *st = XXH64_createState();
	uint64_t saved = h->header_hash, v;

	h->header_hash = 0;
	XXH64_reset(st, 0);
	XXH64_update(st, h, KJH_PAGE);
	XXH64_update(st, r, h->header_size - KJH_PAGE);
	v = XXH64_digest(st);
	XXH64_freeState(st);
	h->header_hash = saved;
	return v;
}

uint64_t kjh_chunk_hash(const struct kjh_chunk *c, const void *data)
{
	return XXH64(data, c->csize, c->first ^ ((uint64_t)c->npages << 48) ^ c->flags);
}

/* A chunk's bytes on disk, header to padding; in 64 bits, wherever csize came from. */
uint64_t kjh_chunk_span(const struct kjh_chunk *c)
{
	return kjh_align((uint64_t)sizeof(*c) + c->csize, KJH_ALIGN);
}

/* Page 0 alone: magic, version, and sizes that agree with each other. */
int kjh_check_header(const struct kjh_header *h, char *why, size_t wlen)
{
	if (!memcmp(h->magic, KJH_USED, 8)) {
		snprintf(why, wlen, "the image was resumed once already; it is never applied twice");
		return 1;
	}
	if (memcmp(h->magic, KJH_MAGIC, 8)) {
		snprintf(why, wlen, "no kjump image there");
		return -ENOENT;
	}
	if (h->version != KJH_VERSION || h->page_size != KJH_PAGE) {
		snprintf(why, wlen, "image version %u, page size %u: not this kjumpctl's format",
			 h->version, h->page_size);
		return -EINVAL;
	}
	if (!h->nr_extents || h->nr_extents > KJH_MAX_EXTENTS || h->nr_ram > KJH_MAX_RAM ||
	    h->header_size < KJH_PAGE || h->header_size % KJH_PAGE ||
	    h->header_size > KJH_MAX_HEADER ||
	    h->nr_ranges > (h->header_size - KJH_PAGE) / sizeof(struct kjh_range) ||
	    h->image_size < h->header_size || h->nr_chunks > h->nr_pages) {
		snprintf(why, wlen, "the header is damaged (inconsistent sizes)");
		return -EINVAL;
	}
	return 0;
}

/*
 * The extent table: the image's first bytes where page 0 was read (@off),
 * within a device of @devsize bytes (0: unknown), no sum wrapping, and
 * room for the whole image.
 */
int kjh_check_extents(const struct kjh_header *h, uint64_t off, uint64_t devsize, char *why,
		      size_t wlen)
{
	uint64_t capacity = 0;
	uint32_t i;

	if (h->ext[0].logical || h->ext[0].physical != off || h->ext[0].length < KJH_PAGE) {
		snprintf(why, wlen, "the header is damaged: its first extent does not map the "
			 "header page");
		return -EINVAL;
	}
	for (i = 0; i < h->nr_extents; i++) {
		const struct kjh_extent *e = &h->ext[i];

		if (e->length > UINT64_MAX - e->physical || e->length > UINT64_MAX - e->logical ||
		    e->length > UINT64_MAX - capacity) {
			snprintf(why, wlen, "the header is damaged: extent %u wraps around", i);
			return -EINVAL;
		}
		capacity += e->length;
		if (devsize && e->physical + e->length > devsize) {
			snprintf(why, wlen, "the image is truncated: its blocks run past the end "
				 "of the device");
			return -EINVAL;
		}
	}
	if (h->image_size > capacity) {
		snprintf(why, wlen, "the header is damaged: the image (%" PRIu64 " bytes) is "
			 "larger than its blocks", h->image_size);
		return -EINVAL;
	}
	return 0;
}

/* The header area's hash, then the range table against the header. */
int kjh_check_table(struct kjh_header *h, const struct kjh_range *r, char *why, size_t wlen)
{
	uint64_t total;
	size_t i;

	if (kjh_header_hash(h, r) != h->header_hash) {
		snprintf(why, wlen, "the header checksum does not match: the image is damaged");
		return -EINVAL;
	}
	/* Hashed, but the hash is no proof a writer got it right. */
	for (i = 0, total = 0; i < h->nr_ranges; i++) {
		if (!r[i].nr || r[i].pfn + r[i].nr < r[i].pfn || r[i].nr > h->nr_pages - total ||
		    (i && r[i].pfn < r[i - 1].pfn + r[i - 1].nr)) {
			snprintf(why, wlen, "the range table is inconsistent (range %zu)", i);
			return -EINVAL;
		}
		total += r[i].nr;
	}
	if (total != h->nr_pages) {
		snprintf(why, wlen, "the range table holds %" PRIu64 " pages, the header says %"
			 PRIu64, total, h->nr_pages);
		return -EINVAL;
	}
	return 0;
}

/* Chunk @n, the reader's error @err for it, checked whole: 0 or why not. */
int kjh_chunk_check(const struct kjh_header *h, const struct kjh_chunk *c, int err,
		    uint64_t n, uint64_t k, uint64_t pos, char *why, size_t wlen)
{
	const char *data = (const char *)(c + 1);

	if (err == -EIO || err == -ENOSPC) {
		snprintf(why, wlen, "the image is truncated (chunk %" PRIu64 " cannot be read)", n);
		return -EIO;
	}
	if (err || c->first != k || !c->npages || c->npages > KJH_CHUNK_PAGES ||
	    c->npages > h->nr_pages - k || c->csize > c->npages * KJH_PAGE ||
	    (c->flags == KJH_CHUNK_RAW && c->csize != c->npages * KJH_PAGE) ||
	    c->flags > KJH_CHUNK_RAW) {
		snprintf(why, wlen, "chunk %" PRIu64 " at byte %" PRIu64 " is damaged", n, pos);
		return -EINVAL;
	}
	if (kjh_any_nonzero(data + c->csize, kjh_chunk_span(c) - sizeof(*c) - c->csize)) {
		snprintf(why, wlen, "chunk %" PRIu64 " is damaged (padding)", n);
		return -EINVAL;
	}
	if (kjh_chunk_hash(c, data) != c->hash) {
		snprintf(why, wlen, "chunk %" PRIu64 " fails its checksum: the image is damaged", n);
		return -EINVAL;
	}
	return 0;
}

/* After the last chunk: did they hold every page, and end where the image does? */
int kjh_chunks_complete(const struct kjh_header *h, uint64_t k, uint64_t pos, char *why,
			size_t wlen)
{
	if (k == h->nr_pages && pos == h->image_size)
		return 0;
	snprintf(why, wlen, "the chunks hold %" PRIu64 " pages, the header says %" PRIu64, k,
		 h->nr_pages);
	return -EINVAL;
}

/* Chunk @c's pages into @pages (KJH_CHUNK_PAGES pages): 0, or -EBADMSG. */
int kjh_decompress(ZSTD_DCtx *dctx, const struct kjh_chunk *c, char *pages)
{
	size_t d;

	if (c->flags == KJH_CHUNK_RAW) {
		memcpy(pages, c + 1, c->csize);
		return 0;
	}
	d = ZSTD_decompressDCtx(dctx, pages, KJH_CHUNK_PAGES * KJH_PAGE, c + 1, c->csize);
	return ZSTD_isError(d) || d != c->npages * KJH_PAGE ? -EBADMSG : 0;
}
