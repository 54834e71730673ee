// SPDX-License-Identifier: GPL-2.0
/*
 * B's writer: A's saved pages, read through the vmcore, compressed into
 * chunks and written to the image while the next ones are compressed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <zstd.h>
#include "image.h"

#define KJH_ZSTD_LEVEL		1	/* zstd level 1: -3 was 0.1 s faster, 12 MiB larger */

/*
 * B's writer: chunks go to the disk while the next ones are compressed,
 * with O_DIRECT (no copy through B's small page cache, whose dirty limits
 * would stall the compressor); buffered if the device refuses it.
 */
#define KJH_WBUFS		4

struct kjh_writer {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *buf[KJH_WBUFS];
	uint64_t pos[KJH_WBUFS];
	size_t len[KJH_WBUFS];
	unsigned int head, tail;	/* written up to head, filled up to tail */
	int done, err;
	struct kjh_io *io, dio;		/* buffered, and direct (fd -1: none) */
};

static void *kjh_writer_main(void *arg)
{
	struct kjh_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		unsigned int slot;
		int ret = 0;

		while (w->head == w->tail && !w->done)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->head == w->tail)
			break;
		slot = w->head % KJH_WBUFS;
		pthread_mutex_unlock(&w->lock);
		if (w->dio.fd >= 0) {
			ret = kjh_rw(&w->dio, w->buf[slot], w->len[slot], w->pos[slot], 1);
			if (ret == -EINVAL) {	/* alignment: buffered from here on */
				close(w->dio.fd);
				w->dio.fd = -1;
			}
		}
		if (w->dio.fd < 0)
			ret = kjh_rw(w->io, w->buf[slot], w->len[slot], w->pos[slot], 1);
		pthread_mutex_lock(&w->lock);
		if (ret && !w->err)
			w->err = ret;
		w->head++;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/*
 * Random, compressed or encrypted data does not compress, and trying costs
 * B most of its time on such a workload.  Like btrfs's and zram's
 * heuristics, compress a sample first: KJH_SAMPLES pages spread over the
 * chunk; only when every one stays at 98% of its size or more is the
 * chunk stored raw without trying the rest.
 */
#define KJH_SAMPLES		8

static int kjh_incompressible(ZSTD_CCtx *cctx, const char *in, uint32_t np)
{
	static char scratch[KJH_PAGE + 512];
	uint32_t i;

	if (np < KJH_SAMPLES * 4)
		return 0;
	for (i = 0; i < KJH_SAMPLES; i++) {
		size_t cs = ZSTD_compressCCtx(cctx, scratch, sizeof(scratch),
					      in + (size_t)(i * np / KJH_SAMPLES) * KJH_PAGE,
					      KJH_PAGE, KJH_ZSTD_LEVEL);

		if (ZSTD_isError(cs) || cs * 100 < KJH_PAGE * 98)
			return 0;
	}
	return 1;
}

int kjh_write_chunks(struct kjh_io *io, struct kjh_vmcore *v, const char *dev,
		     struct kjh_header *h, const struct kjh_range *r)
{
	size_t inlen = KJH_CHUNK_PAGES * KJH_PAGE;
	size_t outcap = kjh_align(sizeof(struct kjh_chunk) + ZSTD_compressBound(inlen) +
				  KJH_ALIGN, KJH_PAGE);
	char *in = malloc(inlen);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	uint64_t pos = h->header_size, k = 0, ri = 0, roff = 0;
	struct kjh_writer w = {
		.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .io = io,
	};
	pthread_t thread;
	int last = -1, ret = 0, i;
	double t;

	w.dio = *io;
	w.dio.fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
	ret = kjh_alloc_bufs(w.buf, KJH_WBUFS, outcap);
	/* Each frame carries its content's checksum: D's first pass checks it. */
	if (cctx && (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel,
							 KJH_ZSTD_LEVEL)) ||
		     ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)))) {
		ZSTD_freeCCtx(cctx);
		cctx = NULL;
	}
	if (!in || !cctx || ret || pthread_create(&thread, NULL, kjh_writer_main, &w)) {
		ret = -ENOMEM;
		goto out_free;
	}
	while (k < h->nr_pages && !ret) {
		uint32_t np = 0, want = (uint32_t)(h->nr_pages - k < KJH_CHUNK_PAGES ?
						  h->nr_pages - k : KJH_CHUNK_PAGES);
		struct kjh_chunk *c;
		size_t cs, total;
		const char *src = in;
		char *out;

		/* A whole chunk in one range is compressed where it is mapped. */
		if (r[ri].nr - roff >= want) {
			t = kjh_mono();
			src = kjh_vm_map(v, (r[ri].pfn + roff) * KJH_PAGE, want * KJH_PAGE);
			kjh_t.read += kjh_mono() - t;
			if (src) {
				np = want;
				roff += want;
				if (roff == r[ri].nr) {
					ri++;
					roff = 0;
				}
			} else {
				src = in;
			}
		}
		/* Gather: contiguous pfns in one read. */
		while (np < want) {
			uint64_t run = r[ri].nr - roff;

			if (run > want - np)
				run = want - np;
			t = kjh_mono();
			ret = kjh_vm_read(v, (r[ri].pfn + roff) * KJH_PAGE, in + np * KJH_PAGE,
					  run * KJH_PAGE);
			kjh_t.read += kjh_mono() - t;
			if (ret)
				break;
			np += (uint32_t)run;
			roff += run;
			if (roff == r[ri].nr) {
				ri++;
				roff = 0;
			}
		}
		if (ret)
			break;
		/* A free buffer: the time spent here is the disk's. */
		t = kjh_mono();
		pthread_mutex_lock(&w.lock);
		while (w.tail - w.head == KJH_WBUFS && !w.err)
			pthread_cond_wait(&w.cond, &w.lock);
		ret = w.err;
		out = w.buf[w.tail % KJH_WBUFS];
		pthread_mutex_unlock(&w.lock);
		kjh_t.write += kjh_mono() - t;
		if (ret)
			break;

		t = kjh_mono();
		c = (struct kjh_chunk *)out;
		if (kjh_incompressible(cctx, src, np)) {
			cs = 0;
			kjh_raw_chunks++;
		} else {
			cs = ZSTD_compress2(cctx, out + sizeof(*c), outcap - sizeof(*c) - KJH_ALIGN,
					    src, np * KJH_PAGE);
		}
		memset(c, 0, sizeof(*c));
		if (!cs || ZSTD_isError(cs) || cs >= np * KJH_PAGE) {
			memcpy(out + sizeof(*c), src, np * KJH_PAGE);
			cs = np * KJH_PAGE;
			c->flags = KJH_CHUNK_RAW;
		}
		c->magic = KJH_CHUNK_MAGIC;
		c->npages = np;
		c->first = k;
		c->csize = (uint32_t)cs;
		c->hash = kjh_chunk_hash(c, out + sizeof(*c));
		total = kjh_align(sizeof(*c) + cs, KJH_ALIGN);
		memset(out + sizeof(*c) + cs, 0, total - sizeof(*c) - cs);
		kjh_t.zstd += kjh_mono() - t;

		pthread_mutex_lock(&w.lock);
		w.pos[w.tail % KJH_WBUFS] = pos;
		w.len[w.tail % KJH_WBUFS] = total;
		w.tail++;
		pthread_cond_broadcast(&w.cond);
		pthread_mutex_unlock(&w.lock);
		pos += total;
		h->data_bytes += cs;
		h->nr_chunks++;
		k += np;
		kjh_progress("saving A", k * KJH_PAGE, h->nr_pages * KJH_PAGE, &last);
	}
	t = kjh_mono();
	pthread_mutex_lock(&w.lock);
	w.done = 1;
	pthread_cond_broadcast(&w.cond);
	pthread_mutex_unlock(&w.lock);
	pthread_join(thread, NULL);
	if (!ret)
		ret = w.err;
	if (!ret && w.dio.fd >= 0 && fsync(w.dio.fd))
		ret = -errno;
	kjh_t.write += kjh_mono() - t;
	h->image_size = pos;
out_free:
	if (w.dio.fd >= 0)
		close(w.dio.fd);
	for (i = 0; i < KJH_WBUFS; i++)
		free(w.buf[i]);
	ZSTD_freeCCtx(cctx);
	free(in);
	return ret;
}
