/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hibernation image: checks that need nothing but its bytes
 * (format.c), and reading and writing it on its device (io.c).
 */
#ifndef KJ_IMAGE_IMAGE_H
#define KJ_IMAGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "format.h"

/* An image on a block device, through its extent map. */
struct kjh_io {
	int fd;
	struct kjh_extent ext[KJH_MAX_EXTENTS];
	size_t n;
	uint64_t capacity;
};

/* format.c */
uint64_t kjh_align(uint64_t v, uint64_t a);
int kjh_any_nonzero(const char *p, size_t n);
uint64_t kjh_header_hash(struct kjh_header *h, const struct kjh_range *r);
uint64_t kjh_chunk_hash(const struct kjh_chunk *c, const void *data);
uint64_t kjh_chunk_span(const struct kjh_chunk *c);
int kjh_check_header(const struct kjh_header *h, char *why, size_t wlen);
int kjh_check_extents(const struct kjh_header *h, uint64_t off, uint64_t devsize, char *why,
		      size_t wlen);
int kjh_check_table(struct kjh_header *h, const struct kjh_range *r, char *why, size_t wlen);
int kjh_chunk_check(const struct kjh_header *h, const struct kjh_chunk *c, int err,
		    uint64_t n, uint64_t k, uint64_t pos, char *why, size_t wlen);
struct ZSTD_DCtx_s;
int kjh_decompress(struct ZSTD_DCtx_s *dctx, const struct kjh_chunk *c, char *pages);
int kjh_chunks_complete(const struct kjh_header *h, uint64_t k, uint64_t pos, char *why,
			size_t wlen);

/* io.c */
int kjh_rw(struct kjh_io *io, void *buf, size_t len, uint64_t off, int wr);
int kjh_read_header(struct kjh_io *io, uint64_t off, struct kjh_header **hp,
		    struct kjh_range **rp, char *why, size_t wlen);

#endif
