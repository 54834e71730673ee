// SPDX-License-Identifier: GPL-2.0
/*
 * Reading an image's chunks: D's reader thread, D's first pass (verify)
 * and C's decoder thread.
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

static int kjh_reader_rw(struct kjh_reader *rd, char *p, size_t len, uint64_t off)
{
	int ret = -EINVAL;

	if (rd->dio.fd >= 0) {
		ret = kjh_rw(&rd->dio, p, len, off, 0);
		if (ret == -EINVAL) {	/* alignment: buffered from here on */
			close(rd->dio.fd);
			rd->dio.fd = -1;
		}
	}
	return rd->dio.fd < 0 ? kjh_rw(rd->io, p, len, off, 0) : ret;
}

static void *kjh_reader_main(void *arg)
{
	struct kjh_reader *rd = arg;

	for (; rd->n < rd->nr_chunks; rd->n++) {
		struct kjh_chunk *c;
		unsigned int slot;
		uint64_t total = 0;
		int err;

		pthread_mutex_lock(&rd->lock);
		while (rd->tail - rd->head == KJH_RBUFS && !rd->stop)
			pthread_cond_wait(&rd->cond, &rd->lock);
		slot = rd->tail % KJH_RBUFS;
		err = rd->stop;
		pthread_mutex_unlock(&rd->lock);
		if (err)
			break;
		c = (struct kjh_chunk *)rd->buf[slot];
		err = kjh_reader_rw(rd, rd->buf[slot], KJH_ALIGN, rd->next);
		if (!err) {
			total = kjh_chunk_span(c);
			if (c->magic != KJH_CHUNK_MAGIC || total > rd->cap)
				err = -EBADMSG;
		}
		if (!err && total > KJH_ALIGN)
			err = kjh_reader_rw(rd, rd->buf[slot] + KJH_ALIGN, total - KJH_ALIGN,
					    rd->next + KJH_ALIGN);
		pthread_mutex_lock(&rd->lock);
		rd->pos[slot] = rd->next;
		rd->err[slot] = err ? err : 0;
		rd->tail++;
		pthread_cond_broadcast(&rd->cond);
		pthread_mutex_unlock(&rd->lock);
		if (err)
			break;
		rd->next += total;
	}
	return NULL;
}

int kjh_reader_start(struct kjh_reader *rd, struct kjh_io *io, const char *dev,
		     const struct kjh_header *h)
{
	memset(rd, 0, sizeof(*rd));
	pthread_mutex_init(&rd->lock, NULL);
	pthread_cond_init(&rd->cond, NULL);
	rd->io = io;
	rd->dio = *io;
	rd->dio.fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	rd->cap = kjh_align(sizeof(struct kjh_chunk) +
			    ZSTD_compressBound(KJH_CHUNK_PAGES * KJH_PAGE) + KJH_ALIGN, KJH_PAGE);
	rd->next = h->header_size;
	rd->nr_chunks = h->nr_chunks;
	if (kjh_alloc_bufs(rd->buf, KJH_RBUFS, rd->cap))
		return -ENOMEM;
	return pthread_create(&rd->thread, NULL, kjh_reader_main, rd) ? -ENOMEM : 0;
}

/* The next chunk (whole, with its position), or the error it met. */
int kjh_reader_next(struct kjh_reader *rd, char **buf, uint64_t *pos)
{
	unsigned int slot;
	int err;

	pthread_mutex_lock(&rd->lock);
	while (rd->head == rd->tail)
		pthread_cond_wait(&rd->cond, &rd->lock);
	slot = rd->head % KJH_RBUFS;
	pthread_mutex_unlock(&rd->lock);
	*buf = rd->buf[slot];
	*pos = rd->pos[slot];
	err = rd->err[slot];
	return err;
}

/*
 * Chunk @n (counted from the first), at most KJH_RBUFS - 1 ahead of the
 * last one done; -ECANCELED once the reader is stopped.
 */
static int kjh_reader_at(struct kjh_reader *rd, uint64_t n, char **buf, uint64_t *pos)
{
	unsigned int slot = n % KJH_RBUFS;
	int stop;

	pthread_mutex_lock(&rd->lock);
	while (rd->tail <= n && !rd->stop)
		pthread_cond_wait(&rd->cond, &rd->lock);
	stop = rd->stop;
	pthread_mutex_unlock(&rd->lock);
	if (stop)
		return -ECANCELED;
	*buf = rd->buf[slot];
	*pos = rd->pos[slot];
	return rd->err[slot];
}

static void kjh_reader_cancel(struct kjh_reader *rd)
{
	pthread_mutex_lock(&rd->lock);
	rd->stop = 1;
	pthread_cond_broadcast(&rd->cond);
	pthread_mutex_unlock(&rd->lock);
}

void kjh_reader_done(struct kjh_reader *rd)
{
	pthread_mutex_lock(&rd->lock);
	rd->head++;
	pthread_cond_broadcast(&rd->cond);
	pthread_mutex_unlock(&rd->lock);
}

void kjh_reader_stop(struct kjh_reader *rd)
{
	int i;

	if (rd->thread) {
		kjh_reader_cancel(rd);
		pthread_join(rd->thread, NULL);
	}
	if (rd->dio.fd >= 0)
		close(rd->dio.fd);
	for (i = 0; i < KJH_RBUFS; i++)
		free(rd->buf[i]);
	memset(rd, 0, sizeof(*rd));
	rd->dio.fd = -1;
}

/* Pass 1: every chunk in order, complete, with its checksum and zero padding. */
int kjh_verify(struct kjh_io *io, const char *dev, const struct kjh_header *h,
	       char *why, size_t wlen)
{
	struct kjh_reader rd;
	uint64_t pos = h->header_size, k = 0, n, at;
	int last = -1, ret = 0;
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	char *buf, *pages = malloc(KJH_CHUNK_PAGES * KJH_PAGE);

	if (!dctx || !pages || kjh_reader_start(&rd, io, dev, h)) {
		if (dctx && pages)
			kjh_reader_stop(&rd);
		ZSTD_freeDCtx(dctx);
		free(pages);
		snprintf(why, wlen, "out of memory");
		return -ENOMEM;
	}
	for (n = 0; n < h->nr_chunks && !ret; n++) {
		struct kjh_chunk *c;
		int err = kjh_reader_next(&rd, &buf, &at);

		c = (struct kjh_chunk *)buf;
		ret = kjh_chunk_check(h, c, err, n, k, pos, why, wlen);
		/*
		 * A frame that fails to decompress must fail here, before the
		 * image is marked used: its hash covers only what was stored.
		 */
		if (!ret && c->flags != KJH_CHUNK_RAW && kjh_decompress(dctx, c, pages)) {
			snprintf(why, wlen, "chunk %" PRIu64 " at byte %" PRIu64 " does not "
				 "decompress: the image is damaged", n, pos);
			ret = -EINVAL;
		}
		if (!ret) {
			k += c->npages;
			pos += kjh_chunk_span(c);
			kjh_progress("verifying the image", pos, h->image_size, &last);
		}
		kjh_reader_done(&rd);
	}
	kjh_reader_stop(&rd);
	ZSTD_freeDCtx(dctx);
	free(pages);
	if (!ret)
		ret = kjh_chunks_complete(h, k, pos, why, wlen);
	return ret;
}

static void *kjh_decoder_main(void *arg)
{
	struct kjh_decoder *d = arg;
	uint64_t n, k = 0, pos = d->h->header_size;

	for (n = 0; n < d->h->nr_chunks; n++) {
		unsigned int slot = n % KJH_DSLOTS;
		struct kjh_chunk *c;
		char *buf;
		uint64_t at;
		double t;
		int ret;

		pthread_mutex_lock(&d->lock);
		while (d->made - d->used == KJH_DSLOTS && !d->stop)
			pthread_cond_wait(&d->cond, &d->lock);
		ret = d->stop;
		pthread_mutex_unlock(&d->lock);
		if (ret)
			break;
		t = kjh_mono();
		ret = kjh_reader_at(d->rd, n, &buf, &at);
		kjh_t.read += kjh_mono() - t;
		if (ret == -ECANCELED)
			break;
		t = kjh_mono();
		c = (struct kjh_chunk *)buf;
		ret = kjh_chunk_check(d->h, c, ret, n, k, pos, d->out[slot].why,
				      sizeof(d->out[slot].why));
		kjh_t.verify += kjh_mono() - t;
		t = kjh_mono();
		/* A stored chunk is staged straight from the read buffer. */
		d->out[slot].src = !ret && c->flags == KJH_CHUNK_RAW ? buf + sizeof(*c) :
				   d->pages[slot];
		if (!ret && c->flags != KJH_CHUNK_RAW && kjh_decompress(d->dctx, c, d->pages[slot])) {
			snprintf(d->out[slot].why, sizeof(d->out[slot].why),
				 "chunk %" PRIu64 " does not decompress: the image is damaged", n);
			ret = -EINVAL;
		}
		kjh_t.zstd += kjh_mono() - t;
		d->out[slot].ret = ret;
		d->out[slot].npages = ret ? 0 : c->npages;
		if (!ret) {
			k += c->npages;
			pos += kjh_chunk_span(c);
		}
		d->out[slot].end = pos;
		pthread_mutex_lock(&d->lock);
		d->made++;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
		if (ret)
			break;
	}
	return NULL;
}

int kjh_decoder_start(struct kjh_decoder *d, struct kjh_reader *rd,
		      const struct kjh_header *h)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->rd = rd;
	d->h = h;
	d->dctx = ZSTD_createDCtx();
	if (kjh_alloc_bufs(d->pages, KJH_DSLOTS, KJH_CHUNK_PAGES * KJH_PAGE))
		return -ENOMEM;
	if (!d->dctx || pthread_create(&d->thread, NULL, kjh_decoder_main, d))
		return -ENOMEM;
	return 0;
}

/* Chunk @n decoded: its slot (0 or why not), or -ECANCELED after a stop. */
int kjh_decoder_next(struct kjh_decoder *d, uint64_t n)
{
	int ret;

	pthread_mutex_lock(&d->lock);
	while (d->made <= n && !d->stop)
		pthread_cond_wait(&d->cond, &d->lock);
	ret = d->made > n ? 0 : -ECANCELED;
	pthread_mutex_unlock(&d->lock);
	return ret;
}

void kjh_decoder_done(struct kjh_decoder *d)
{
	pthread_mutex_lock(&d->lock);
	d->used++;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

/* Stops the reader too (the decoder may be waiting on it). */
void kjh_decoder_stop(struct kjh_decoder *d)
{
	int i;

	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	kjh_reader_cancel(d->rd);
	if (d->thread)
		pthread_join(d->thread, NULL);
	kjh_reader_stop(d->rd);
	if (d->dctx)
		ZSTD_freeDCtx(d->dctx);
	for (i = 0; i < KJH_DSLOTS; i++)
		free(d->pages[i]);
	memset(d, 0, sizeof(*d));
}
