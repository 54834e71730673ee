/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hibernation image: checks that need nothing but its bytes
 * (format.c), and reading and writing it on its device (io.c).
 */
#ifndef KJ_IMAGE_IMAGE_H
#define KJ_IMAGE_IMAGE_H

#include <elf.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <zstd.h>
#include <linux/kjump.h>
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

/* io.c: progress, and where B's and D's time goes (their last lines, bench/). */
struct kjh_times {
	double read, zstd, write, verify;
};
extern struct kjh_times kjh_t;
extern uint64_t kjh_raw_chunks;	/* B: stored raw, the sample said incompressible */
double kjh_mono(void);
void kjh_progress(const char *what, uint64_t done, uint64_t total, int *last);
int kjh_alloc_bufs(char **buf, int n, size_t size);

/* vmcore.c: A's memory through /proc/vmcore, read through a mapped window. */
struct kjh_vmcore {
	int fd, nommap;
	Elf64_Phdr *ph;
	unsigned int n;
	char *win;
	uint64_t woff, wlen;
};

int kjh_vmcore_open(struct kjh_vmcore *v);
int kjh_vm_read(struct kjh_vmcore *v, uint64_t paddr, void *buf, size_t len);
const char *kjh_vm_map(struct kjh_vmcore *v, uint64_t paddr, size_t len);
int kjh_ranges(struct kjh_vmcore *v, const struct kjump_jump_buf *jb, struct kjh_range **out,
	       uint64_t *nr, uint64_t *pages);

/* writer.c */
int kjh_write_chunks(struct kjh_io *io, struct kjh_vmcore *v, const char *dev,
		     struct kjh_header *h, const struct kjh_range *r);

/* reader.c */
/*
 * D's reader: a thread reads the chunks ahead, in order, with O_DIRECT (the
 * copy is the disk's, not D's CPU's), while D hashes, decompresses and
 * writes the ones before.  Each slot holds one whole chunk, header to
 * padding; its err says it could not be read (-EIO) or its header is not
 * a chunk's (-EBADMSG), and nothing is read after that.
 */
#define KJH_RBUFS		4

struct kjh_reader {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct kjh_io *io, dio;		/* buffered, and direct (fd -1: none) */
	char *buf[KJH_RBUFS];
	uint64_t pos[KJH_RBUFS];
	int err[KJH_RBUFS];
	unsigned int head, tail;	/* consumed up to head, read up to tail */
	uint64_t next, nr_chunks, n;
	size_t cap;
	int stop;
	pthread_t thread;
};

int kjh_reader_start(struct kjh_reader *rd, struct kjh_io *io, const char *dev,
		     const struct kjh_header *h);
int kjh_reader_next(struct kjh_reader *rd, char **buf, uint64_t *pos);
void kjh_reader_done(struct kjh_reader *rd);
void kjh_reader_stop(struct kjh_reader *rd);
int kjh_verify(struct kjh_io *io, const char *dev, const struct kjh_header *h, char *why,
	       size_t wlen);
/*
 * C's decoder: a second thread checks and decompresses chunk n + 1 while
 * C stages chunk n (the two take about as long; C has more than one CPU).
 * Two output slots; a stored chunk's slot points into the reader's buffer,
 * which the reader keeps until C is done with that chunk.
 */
#define KJH_DSLOTS		2

struct kjh_decoder {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct kjh_reader *rd;
	const struct kjh_header *h;
	ZSTD_DCtx *dctx;
	char *pages[KJH_DSLOTS];
	struct {
		char *src;		/* the chunk's pages */
		uint32_t npages;
		uint64_t end;		/* where the chunk ends in the image */
		int ret;		/* 0, or why[] says what is wrong */
		char why[320];
	} out[KJH_DSLOTS];
	uint64_t made, used;		/* chunks decoded, chunks staged */
	int stop;
	pthread_t thread;
};

int kjh_decoder_start(struct kjh_decoder *d, struct kjh_reader *rd,
		      const struct kjh_header *h);
int kjh_decoder_next(struct kjh_decoder *d, uint64_t n);
void kjh_decoder_done(struct kjh_decoder *d);
void kjh_decoder_stop(struct kjh_decoder *d);

#endif
