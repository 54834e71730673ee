// SPDX-License-Identifier: GPL-2.0
/*
 * The hibernation image's checks (userspace/image/), on the host, built
 * for x86_64 and i386 with ASan and UBSan by run.sh:
 *
 *   image_test                 TAP: a valid image passes, each damage is
 *                              refused with its sentence, nothing overflows
 *   image_test write FILE      write the test image to FILE
 *   image_test read FILE       check FILE as that image (the other build's)
 *   image_test break-frame FILE OFFSET
 *                              in the image at OFFSET of FILE, break the
 *                              zstd frame of the middle compressed chunk and
 *                              give it a matching hash again: only
 *                              decompressing finds it (next-hibernate.sh)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include "image/image.h"

static int test_n, test_failed;

static void tap(int ok, const char *what, const char *why)
{
	test_n++;
	test_failed += !ok;
	printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", test_n, what, why && *why ? ": " : "",
	       why ? why : "");
}

/* The test image: two ranges of 300 and 100 pages, a zstd chunk and a stored one. */
#define T_HEADER	(2 * KJH_PAGE)
#define T_PAGES		400

struct t_image {
	char *buf;
	size_t len;
};

static void t_pages(char *p, uint64_t first, uint32_t n)
{
	uint64_t i, w;

	/* Compressible, and different for every page. */
	for (i = 0; i < n * KJH_PAGE / 8; i++) {
		w = (first * KJH_PAGE / 8 + i) / 64;
		memcpy(p + i * 8, &w, 8);
	}
}

static size_t t_chunk(char *at, uint64_t first, uint32_t n, int raw)
{
	struct kjh_chunk *c = (struct kjh_chunk *)at;
	char *src = malloc(n * KJH_PAGE);
	size_t cs;

	t_pages(src, first, n);
	memset(c, 0, sizeof(*c));
	if (raw) {
		memcpy(c + 1, src, n * KJH_PAGE);
		cs = n * KJH_PAGE;
	} else {
		cs = ZSTD_compress(c + 1, ZSTD_compressBound(n * KJH_PAGE), src, n * KJH_PAGE, 1);
	}
	free(src);
	c->magic = KJH_CHUNK_MAGIC;
	c->npages = n;
	c->first = first;
	c->csize = (uint32_t)cs;
	c->flags = raw ? KJH_CHUNK_RAW : 0;
	c->hash = kjh_chunk_hash(c, c + 1);
	return kjh_chunk_span(c);
}

static void t_rehash(struct t_image *im)
{
	struct kjh_header *h = (struct kjh_header *)im->buf;

	h->header_hash = kjh_header_hash(h, (struct kjh_range *)(im->buf + KJH_PAGE));
}

static void t_build(struct t_image *im)
{
	struct kjh_header *h;
	struct kjh_range *r;
	size_t pos = T_HEADER;

	im->len = T_HEADER + 2 * kjh_align(sizeof(struct kjh_chunk) +
					   ZSTD_compressBound(KJH_CHUNK_PAGES * KJH_PAGE), KJH_PAGE);
	im->buf = calloc(1, im->len);
	h = (struct kjh_header *)im->buf;
	r = (struct kjh_range *)(im->buf + KJH_PAGE);
	memcpy(h->magic, KJH_MAGIC, 8);
	h->version = KJH_VERSION;
	h->page_size = KJH_PAGE;
	h->arch = KJUMP_ARCH_X86_64;
	h->nr_ram = 1;
	h->ram[0].start = 0x100000;
	h->ram[0].end = 0x40000000;
	h->nr_extents = 1;
	h->header_size = T_HEADER;
	h->nr_ranges = 2;
	r[0].pfn = 0x100;
	r[0].nr = 300;
	r[1].pfn = 0x1000;
	r[1].nr = 100;
	h->nr_pages = T_PAGES;
	snprintf(h->release, sizeof(h->release), "6.1.0-test-amd64");
	pos += t_chunk(im->buf + pos, 0, KJH_CHUNK_PAGES, 0);
	pos += t_chunk(im->buf + pos, KJH_CHUNK_PAGES, T_PAGES - KJH_CHUNK_PAGES, 1);
	h->nr_chunks = 2;
	h->image_size = pos;
	h->ext[0].logical = 0;
	h->ext[0].physical = 0;
	h->ext[0].length = im->len;
	t_rehash(im);
}

static int t_file(const struct t_image *im, char *path)
{
	int fd;

	strcpy(path, "/tmp/kj-image-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || pwrite(fd, im->buf, im->len, 0) != (ssize_t)im->len)
		return -1;
	return fd;
}

/* The whole of what resume checks, header to last chunk: 0, or why not. */
static int t_check_fd(int fd, char *why, size_t wlen)
{
	static struct kjh_io io;
	struct kjh_header *h;
	struct kjh_range *r;
	uint64_t pos, k = 0, n;
	char *buf = malloc(KJH_CHUNK_PAGES * KJH_PAGE + 2 * KJH_PAGE);
	char *pages = malloc(KJH_CHUNK_PAGES * KJH_PAGE);
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	int ret;

	io.fd = fd;
	ret = kjh_read_header(&io, 0, &h, &r, why, wlen);
	if (ret)
		goto out;
	for (n = 0, pos = h->header_size; n < h->nr_chunks && !ret; n++) {
		struct kjh_chunk *c = (struct kjh_chunk *)buf;
		int err = kjh_rw(&io, buf, KJH_ALIGN, pos, 0);

		/* As the reader does: the chunk header first, its span bounded. */
		if (!err && (c->magic != KJH_CHUNK_MAGIC ||
			     kjh_chunk_span(c) > KJH_CHUNK_PAGES * KJH_PAGE + 2 * KJH_PAGE))
			err = -EBADMSG;
		if (!err)
			err = kjh_rw(&io, buf, kjh_chunk_span(c), pos, 0);
		ret = kjh_chunk_check(h, c, err, n, k, pos, why, wlen);
		if (!ret && c->flags != KJH_CHUNK_RAW && kjh_decompress(dctx, c, pages)) {
			snprintf(why, wlen, "chunk %" PRIu64 " does not decompress", n);
			ret = -EINVAL;
		}
		if (!ret) {
			k += c->npages;
			pos += kjh_chunk_span(c);
		}
	}
	if (!ret)
		ret = kjh_chunks_complete(h, k, pos, why, wlen);
	free(h);
	free(r);
out:
	ZSTD_freeDCtx(dctx);
	free(pages);
	free(buf);
	return ret;
}

static int t_check(const struct t_image *im, char *why, size_t wlen)
{
	char path[64];
	int fd = t_file(im, path), ret;

	if (fd < 0) {
		snprintf(why, wlen, "cannot write a test file");
		return -EIO;
	}
	ret = t_check_fd(fd, why, wlen);
	close(fd);
	unlink(path);
	return ret;
}

/* A fresh image, damaged by @damage, must be refused with @expect in the sentence. */
static void t_refused(const char *what, void (*damage)(struct t_image *), const char *expect)
{
	struct t_image im;
	char why[256] = "", msg[320];
	int ret;

	t_build(&im);
	damage(&im);
	ret = t_check(&im, why, sizeof(why));
	snprintf(msg, sizeof(msg), "%s (%s)", ret ? "refused" : "ACCEPTED", why);
	tap(ret && strstr(why, expect), what, msg);
	free(im.buf);
}

#define H(im)	((struct kjh_header *)(im)->buf)
#define R(im)	((struct kjh_range *)((im)->buf + KJH_PAGE))
#define C0(im)	((struct kjh_chunk *)((im)->buf + T_HEADER))

static void d_header_4g(struct t_image *im)
{
	/* 4 GiB + 8 KiB: 4097 bytes where size_t has 32 bits, unless bounded. */
	H(im)->header_size = (1ULL << 32) + 2 * KJH_PAGE;
	H(im)->image_size = (1ULL << 33);
	H(im)->ext[0].length = (1ULL << 33);
}

static void d_overlap(struct t_image *im)
{
	R(im)[1].pfn = 0x100 + 299;
	t_rehash(im);
}

static void d_descending(struct t_image *im)
{
	R(im)[1].pfn = 0x10;
	t_rehash(im);
}

static void d_ext0(struct t_image *im)
{
	H(im)->ext[0].physical = 4096;
	t_rehash(im);
}

static void d_ext_wrap(struct t_image *im)
{
	H(im)->nr_extents = 2;
	H(im)->ext[1].logical = im->len;
	H(im)->ext[1].physical = 8192;
	H(im)->ext[1].length = UINT64_MAX - 4096;
	t_rehash(im);
}

static void d_csize(struct t_image *im)
{
	/* sizeof + csize wraps where size_t has 32 bits, unless computed in 64. */
	C0(im)->csize = 0xfffffff0U;
	C0(im)->hash = 0;
}

static void d_frame(struct t_image *im)
{
	/* The zstd frame's magic, and a hash that matches again. */
	((unsigned char *)(C0(im) + 1))[0] ^= 0xff;
	C0(im)->hash = kjh_chunk_hash(C0(im), C0(im) + 1);
}

static void d_hash(struct t_image *im)
{
	((unsigned char *)(C0(im) + 1))[100] ^= 0x5a;
}

static void d_magic(struct t_image *im)
{
	H(im)->magic[0] = 'X';
}

static void d_version(struct t_image *im)
{
	H(im)->version = 2;
	t_rehash(im);
}

static void d_header_hash(struct t_image *im)
{
	H(im)->created ^= 1;
}

static void d_pages(struct t_image *im)
{
	H(im)->nr_pages = T_PAGES + 1;
	t_rehash(im);
}

/* xorshift64: the same mutations on every run and build. */
static uint64_t t_rand(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

/*
 * Random damage: 1 to 4 bytes set to random values, or a field-sized run
 * set to 0, ~0 or 2^32, anywhere in the image.  Every byte of an image
 * is under a check (the header area's hash, a chunk's hash, magic, sizes
 * or zero padding), so each damaged image must be refused, and none may
 * make a reader overflow (the sanitizers stop the run on the first).
 */
#define T_FUZZ	1500

static void t_reseal(struct t_image *cur, const struct t_image *orig)
{
	uint64_t pos = T_HEADER, end = H(orig)->image_size;

	while (pos + sizeof(struct kjh_chunk) <= end) {
		struct kjh_chunk *c = (struct kjh_chunk *)(cur->buf + pos);
		uint64_t span = kjh_chunk_span((const struct kjh_chunk *)(orig->buf + pos));

		if ((uint64_t)sizeof(*c) + c->csize <= span)
			c->hash = kjh_chunk_hash(c, c + 1);
		pos += span;
	}
	if (H(cur)->header_size == T_HEADER)
		t_rehash(cur);
}

static void t_fuzz(void)
{
	static const uint64_t odd[] = { 0, ~0ULL, 1ULL << 32, (1ULL << 32) - 1, 1ULL << 63 };
	struct t_image im, cur;
	uint64_t st = 0x6b6a756d70ULL, size;
	char path[64], why[256], first[300] = "";
	int fd, i, k, n, bad = 0;

	t_build(&im);
	size = H(&im)->image_size;
	cur.len = im.len;
	cur.buf = malloc(im.len);
	fd = t_file(&im, path);
	for (i = 0; i < T_FUZZ && fd >= 0; i++) {
		int changed;

		memcpy(cur.buf, im.buf, im.len);
		n = 1 + (int)(t_rand(&st) % 4);
		for (k = 0; k < n; k++) {
			uint64_t at = t_rand(&st) % size;

			if (t_rand(&st) % 3) {
				cur.buf[at] = (char)t_rand(&st);
			} else {
				uint64_t v = odd[t_rand(&st) % 5];
				size_t w = (size_t)1 << (t_rand(&st) % 4);	/* 1, 2, 4 or 8 */

				if (at + w > size)
					at = size - w;
				memcpy(cur.buf + at, &v, w);
			}
		}
		/*
		 * Every other one sealed again (header and chunk hashes fixed
		 * where they still can be), so that the damage reaches the
		 * structure checks: those may accept it (a stored chunk's
		 * pages changed), but must not overflow.
		 */
		if (i % 2)
			t_reseal(&cur, &im);
		changed = !(i % 2) && memcmp(cur.buf, im.buf, (size_t)size) != 0;
		if (pwrite(fd, cur.buf, (size_t)size, 0) != (ssize_t)size)
			break;
		if (!t_check_fd(fd, why, sizeof(why)) && changed && !bad++)
			snprintf(first, sizeof(first), "mutation %d accepted", i);
	}
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	tap(i == T_FUZZ && !bad, "1500 randomly damaged images (half sealed again): the "
	    "unsealed are each refused, and nothing overflows", first);
	free(cur.buf);
	free(im.buf);
}

static int run_tests(void)
{
	struct t_image im;
	char why[256] = "";

	printf("TAP version 13\n1..14\n");
	t_build(&im);
	tap(!t_check(&im, why, sizeof(why)), "a valid image passes every check", why);
	free(im.buf);
	t_refused("a header area of 4 GiB + 8 KiB is refused, nothing overflows", d_header_4g,
		  "inconsistent sizes");
	t_refused("overlapping ranges are refused", d_overlap, "range table is inconsistent");
	t_refused("descending ranges are refused", d_descending, "range table is inconsistent");
	t_refused("a first extent that does not map the header page is refused", d_ext0,
		  "first extent");
	t_refused("an extent that wraps around is refused", d_ext_wrap, "wraps around");
	t_refused("a chunk of csize 0xfffffff0 is refused, nothing overflows", d_csize,
		  "is damaged");
	t_refused("a broken zstd frame with a matching hash is refused", d_frame,
		  "does not decompress");
	t_refused("a chunk that fails its checksum is refused", d_hash, "fails its checksum");
	t_refused("no magic: no image", d_magic, "no kjump image");
	t_refused("another version is refused", d_version, "not this kjumpctl's format");
	t_refused("a header that fails its checksum is refused", d_header_hash,
		  "checksum does not match");
	t_refused("a page count the range table does not hold is refused", d_pages,
		  "range table");
	t_fuzz();
	printf("# %d passed, %d failed\n", test_n - test_failed, test_failed);
	return test_failed ? 1 : 0;
}

/* break-frame FILE OFFSET: see the top of the file. */
static int break_frame(const char *path, uint64_t off)
{
	static struct kjh_io io;
	struct kjh_header *h;
	struct kjh_range *r;
	struct kjh_chunk c;
	uint64_t pos, n, target = (uint64_t)-1, tpos = 0;
	char why[256];
	unsigned char *data;

	io.fd = open(path, O_RDWR);
	if (io.fd < 0 || kjh_read_header(&io, off, &h, &r, why, sizeof(why))) {
		fprintf(stderr, "break-frame: %s: no image at %" PRIu64 "\n", path, off);
		return 1;
	}
	/* The compressed chunk nearest the middle. */
	for (n = 0, pos = h->header_size; n < h->nr_chunks; n++) {
		if (kjh_rw(&io, &c, sizeof(c), pos, 0))
			return 1;
		if (c.flags != KJH_CHUNK_RAW && (target == (uint64_t)-1 || n <= h->nr_chunks / 2)) {
			target = n;
			tpos = pos;
		}
		pos += kjh_chunk_span(&c);
	}
	if (target == (uint64_t)-1) {
		fprintf(stderr, "break-frame: no compressed chunk\n");
		return 1;
	}
	if (kjh_rw(&io, &c, sizeof(c), tpos, 0))
		return 1;
	data = malloc(c.csize);
	if (!data || kjh_rw(&io, data, c.csize, tpos + sizeof(c), 0))
		return 1;
	data[0] ^= 0xff;
	c.hash = kjh_chunk_hash(&c, data);
	if (kjh_rw(&io, data, c.csize, tpos + sizeof(c), 1) || kjh_rw(&io, &c, sizeof(c), tpos, 1))
		return 1;
	printf("chunk %" PRIu64 " at image byte %" PRIu64 "\n", target, tpos);
	return close(io.fd) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct t_image im;
	char why[256] = "";
	int fd;

	if (argc == 1)
		return run_tests();
	if (argc == 3 && !strcmp(argv[1], "write")) {
		t_build(&im);
		fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		fd = fd < 0 || write(fd, im.buf, im.len) != (ssize_t)im.len || close(fd);
		free(im.buf);
		return fd;
	}
	if (argc == 3 && !strcmp(argv[1], "read")) {
		fd = open(argv[2], O_RDONLY);
		if (fd < 0 || t_check_fd(fd, why, sizeof(why))) {
			fprintf(stderr, "read: %s: %s\n", argv[2], why);
			return 1;
		}
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "break-frame"))
		return break_frame(argv[2], strtoull(argv[3], NULL, 0));
	fprintf(stderr, "usage: image_test [write FILE | read FILE | break-frame FILE OFFSET]\n");
	return 2;
}
