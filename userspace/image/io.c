// SPDX-License-Identifier: GPL-2.0
/*
 * The hibernation image on its device: bytes of the image through its
 * extent table, and the header area read and checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include "image.h"

int kjh_rw(struct kjh_io *io, void *buf, size_t len, uint64_t off, int wr)
{
	char *p = buf;
	size_t i;

	for (i = 0; i < io->n && len; i++) {
		const struct kjh_extent *e = &io->ext[i];
		uint64_t n;
		ssize_t r;

		if (off < e->logical || off >= e->logical + e->length)
			continue;
		n = e->logical + e->length - off;
		if (n > len)
			n = len;
		r = wr ? pwrite(io->fd, p, n, (off_t)(e->physical + off - e->logical)) :
			 pread(io->fd, p, n, (off_t)(e->physical + off - e->logical));
		if (r != (ssize_t)n)
			return r < 0 ? -errno : -EIO;
		p += n;
		off += n;
		len -= n;
		i = (size_t)-1;		/* extents need not be sorted */
	}
	return len ? -ENOSPC : 0;
}

/*
 * Read and check the header area at DEV:OFF: magic, version, layout and
 * hash.  Returns 1 for an image already resumed, -ENOENT for none.
 */
int kjh_read_header(struct kjh_io *io, uint64_t off, struct kjh_header **hp,
		    struct kjh_range **rp, char *why, size_t wlen)
{
	struct kjh_header *h = calloc(1, KJH_PAGE);
	struct kjh_range *r = NULL;
	uint64_t devsize = 0;
	size_t i;
	int ret;

	if (!h)
		return -ENOMEM;
	if (ioctl(io->fd, BLKGETSIZE64, &devsize))
		devsize = 0;
	if (pread(io->fd, h, KJH_PAGE, (off_t)off) != (ssize_t)KJH_PAGE) {
		snprintf(why, wlen, "cannot read the header at offset %" PRIu64, off);
		ret = -EINVAL;
		goto bad;
	}
	ret = kjh_check_header(h, why, wlen);
	if (!ret)
		ret = kjh_check_extents(h, off, devsize, why, wlen);
	if (ret)
		goto bad;
	io->n = h->nr_extents;
	io->capacity = 0;
	for (i = 0; i < io->n; i++) {
		io->ext[i] = h->ext[i];
		io->capacity += h->ext[i].length;
	}
	ret = -EINVAL;
	r = malloc((size_t)(h->header_size - KJH_PAGE) + 1);	/* bounded by the check */
	if (!r || kjh_rw(io, r, h->header_size - KJH_PAGE, KJH_PAGE, 0)) {
		snprintf(why, wlen, "the image is truncated or unreadable (range table)");
		goto bad;
	}
	if (kjh_check_table(h, r, why, wlen))
		goto bad;
	*hp = h;
	*rp = r;
	return 0;
bad:
	free(r);
	free(h);
	return ret;
}

void kjh_progress(const char *what, uint64_t done, uint64_t total, int *last)
{
	int pct = total ? (int)(done * 100 / total) : 100;

	if (pct / 5 != *last / 5 || done == total) {
		fprintf(stderr, "\rkjump: %s: %3d%% (%" PRIu64 " of %" PRIu64 " MiB)", what, pct,
			done >> 20, total >> 20);
		if (done == total)
			fputc('\n', stderr);
		*last = pct;
	}
}

struct kjh_times kjh_t;
uint64_t kjh_raw_chunks;

double kjh_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* @n page-aligned buffers of @size each; -ENOMEM if any is missing (free them all). */
int kjh_alloc_bufs(char **buf, int n, size_t size)
{
	int i, ret = 0;

	for (i = 0; i < n; i++)
		if (posix_memalign((void **)&buf[i], KJH_PAGE, size)) {
			buf[i] = NULL;
			ret = -ENOMEM;
		}
	return ret;
}
