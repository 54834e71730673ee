// SPDX-License-Identifier: GPL-2.0
/*
 * libkjump-kexec.so: kexec jump with the distribution's own kexec-tools on a
 * kernel built without CONFIG_KEXEC_JUMP, through the kjump module.
 *
 *   LD_PRELOAD=/usr/lib/kjump/libkjump-kexec.so kexec ...
 *
 * It intercepts glibc's syscall() and reboot(), and fopen()/open() of
 * /sys/kernel/kexec_loaded, only while /dev/kjump exists:
 *
 * kexec_load(KEXEC_PRESERVE_CONTEXT) with a real image becomes
 *   KJUMP_IOC_LOAD.  The region is derived from the segments: the low part
 *   is A's RAM below 640 KiB as kjumpctl picks it (B needs it for its
 *   real-mode trampoline even if no segment lies there), the main range the
 *   smallest one covering every other destination.  kexec-tools fills every
 *   hole of [--mem-min, --mem-max] with "backup" segments (buf NULL,
 *   bufsz 0), so that range is --mem-min..--mem-max; the backup segments
 *   are kept as zero fill while they fit in KJUMP_MAX_SEGMENTS (B then
 *   starts on zeroed memory as with kexec) and dropped otherwise.
 *
 * B's boot_params are rewritten.  kexec-tools gives a preserve-context
 *   kernel A's full e820 (setup_e820() uses info->memory_range unless the
 *   load is a crash load), so B would use all of A's RAM.  The boot_params
 *   segment is the one kexec-tools' bzImage64 loader builds ("real_mode":
 *   boot_params, then the command line at kern16_size, in one add_buffer):
 *   "HdrS" at 0x202 and cmd_line_ptr inside it.  Its e820 becomes the
 *   region as RAM plus A's firmware ranges
 *   (kj_boot_memmap(), shared with kjumpctl); the EFI memory map and
 *   SETUP_EFI / SETUP_E820_EXT setup_data are dropped, as kjumpctl gives B
 *   none; kexec_jump_buf_pfn=N (A's jump buffer, which B's kjump needs to
 *   jump back) is appended to the command line.
 *
 * Purgatory.  kexec-tools' purgatory checks a SHA-256 over sha256_regions
 *   against sha256_digest and spins forever on a mismatch, and appends
 *   " kexec_jump_back_entry=0x..." at cmdline_end.  Clearing the regions
 *   (an empty hash) or setting skip_checks would work too, but would drop
 *   the integrity check kexec-tools asked for; so the shim recomputes it:
 *   it finds the purgatory ELF that kexec embeds (in /proc/self/exe), lays
 *   its sections out the way elf_rel_load() does to get the offsets of
 *   sha256_regions, sha256_digest, skip_checks and cmdline_end in the
 *   purgatory segment (the one holding the entry, verified by size and by
 *   purgatory_start == entry), then writes the regions it will hash (the
 *   segments with data; zero-fill segments are left out: kjump zeroes them,
 *   and hashing hundreds of MiB of zeros in purgatory is slow), their
 *   digest and the new cmdline_end.  Without the embedded ELF it searches
 *   the segment for kexec-tools' regions array, for kexec-tools' digest
 *   (recomputed) and for the old cmdline_end value.
 *
 * kexec_load(KEXEC_PRESERVE_CONTEXT) of a jump-back helper (segments
 *   without data, kexec --load-jump-back-helper) in a kernel with a kjump
 *   peer or kexec_jump_buf_pfn= on its command line: the peer is set (in
 *   the module, so it outlives this process) and --entry checked against
 *   kexec_jump_back_entry=; kjump jumps back to the re-entry point A's
 *   jump buffer names, which is that address.
 *
 * reboot(LINUX_REBOOT_CMD_KEXEC) is KJUMP_IOC_JUMP into the loaded image,
 *   or KJUMP_JUMP_BACK when only a peer is set.  Like a kernel with
 *   CONFIG_KEXEC_JUMP, it returns 0 when the other kernel jumps back (kexec
 *   -e then prints "kexec failed: Success" and exits 255).
 *
 * kexec_load with nr_segments == 0 (unload) also unloads kjump's image
 *   (discarding a suspended B, as kexec would) and clears the peer.  A new
 *   load replaces what was loaded, as with kexec.  kexec_file_load fails
 *   with ENOSYS so kexec-tools uses kexec_load.  /sys/kernel/kexec_loaded
 *   reads "1" while kjump holds an image or a peer.
 *
 * LIBKJUMP_KEXEC_DEBUG=1 prints what the shim did.  Docs: docs/kexec-tools.md.
 */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/bootparam.h>
#include <linux/kexec.h>
#include <linux/reboot.h>
#include <linux/kjump.h>
#include "bootimage.h"
#include "memmap.h"

#define KJK_PAGE		((uint64_t)4096)
#define KJK_LOADED_PATH		"/sys/kernel/kexec_loaded"
#define KJK_PFN_PATH		KJUMP_SYSFS_DIR "/kexec_jump_buf_pfn"
#define KJK_NSEG		(KEXEC_SEGMENT_MAX + 1)
/* kexec-tools: 16 hash regions; 64 spare bytes after the command line. */
#define KJK_SHA_REGIONS		16
#define KJK_PURG_CMDLINE_SPARE	64
/* " kexec_jump_back_entry=0x" + 16 hex digits, what purgatory appends. */
#define KJK_PURG_APPEND		41

/* ------------------------------------------------------------------ */
/* The real functions, messages. */

static void *kjk_real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f) {
		fprintf(stderr, "libkjump-kexec: cannot find the real %s\n", name);
		abort();
	}
	return f;
}

typedef long (*kjk_syscall_fn)(long, ...);
typedef int (*kjk_open_fn)(const char *, int, ...);
typedef int (*kjk_openat_fn)(int, const char *, int, ...);
typedef FILE *(*kjk_fopen_fn)(const char *, const char *);
typedef int (*kjk_reboot_fn)(int);

#define KJK_REAL(type, name) \
	static type real_##name; \
	if (!real_##name) \
		real_##name = (type)kjk_real(#name)

static long kjk_real_syscall(long nr, long a0, long a1, long a2, long a3,
			     long a4, long a5)
{
	KJK_REAL(kjk_syscall_fn, syscall);
	return real_syscall(nr, a0, a1, a2, a3, a4, a5);
}

static int kjk_real_open(const char *path, int flags, mode_t mode)
{
	KJK_REAL(kjk_open_fn, open);
	return real_open(path, flags, mode);
}

static int kjk_debug(void)
{
	static int d = -1;

	if (d < 0) {
		const char *e = getenv("LIBKJUMP_KEXEC_DEBUG");

		d = e && *e && strcmp(e, "0");
	}
	return d;
}

static void kjk_vmsg(const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "libkjump-kexec: %s\n", line);
}

/* One line to stderr; returns -1 with errno = @err. */
static int kjk_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kjk_vmsg(fmt, ap);
	va_end(ap);
	errno = err;
	return -1;
}

static void kjk_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kjk_vmsg(fmt, ap);
	va_end(ap);
}

#define kjk_dbg(...) do { if (kjk_debug()) kjk_msg(__VA_ARGS__); } while (0)

/* ------------------------------------------------------------------ */
/* The kjump device. */

/* /dev/kjump, or -1: errno ENOENT when the module is not loaded. */
static int kjk_dev(void)
{
	int fd = kjk_real_open(KJUMP_DEVICE, O_RDWR | O_CLOEXEC, 0);

	if (fd < 0 && (errno == ENXIO || errno == ENODEV))
		errno = ENOENT;
	return fd;
}

static int kjk_status(int fd, struct kjump_status *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, KJUMP_IOC_STATUS, st);
}

static int kjk_has_image(const struct kjump_status *st)
{
	return st->state == KJUMP_STATE_LOADED || st->state == KJUMP_STATE_SUSPENDED;
}

static int kjk_write_pfn(uint64_t pfn)
{
	char buf[32];
	int fd = kjk_real_open(KJK_PFN_PATH, O_WRONLY | O_CLOEXEC, 0);
	int n, ret = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", pfn);
	if (write(fd, buf, (size_t)n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* Drops what kjump holds (image and peer): a new load replaces it. */
static int kjk_replace(int fd, const struct kjump_status *st, const char *why)
{
	if (kjk_has_image(st)) {
		int discard = st->state == KJUMP_STATE_SUSPENDED;

		if (ioctl(fd, KJUMP_IOC_UNLOAD, discard ? KJUMP_UNLOAD_DISCARD : 0))
			return kjk_fail(errno, "%s: cannot unload the kernel kjump holds: %s",
					why, strerror(errno));
		if (discard)
			kjk_msg("%s: the suspended kernel kjump held is discarded", why);
	}
	if (st->flags & KJUMP_STATUS_PEER) {
		int ret = kjk_write_pfn(0);

		if (ret)
			return kjk_fail(-ret, "%s: cannot clear the jump-back peer: %s",
					why, strerror(-ret));
	}
	return 0;
}

/* The last KEY=value on this kernel's command line. */
static int kjk_cmdline_u64(const char *key, uint64_t *val)
{
	char buf[4096], *p;
	size_t klen = strlen(key);
	ssize_t n;
	int fd = kjk_real_open("/proc/cmdline", O_RDONLY | O_CLOEXEC, 0), ok = 0;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = strstr(buf, key); p; p = strstr(p + 1, key)) {
		if ((p != buf && p[-1] != ' ') || p[klen] != '=')
			continue;
		*val = strtoull(p + klen + 1, NULL, 0);
		ok = 1;
	}
	return ok;
}

/* The kernel's own /sys/kernel/kexec_loaded is 1. */
static int kjk_real_kexec_loaded(void)
{
	char c = '0';
	int fd = kjk_real_open(KJK_LOADED_PATH, O_RDONLY | O_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

/* ------------------------------------------------------------------ */
/* SHA-256, as kexec-tools' purgatory computes it (FIPS 180-4). */

struct kjk_sha {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	size_t n;
};

static const uint32_t kjk_sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define KJK_ROR(x, n)	(((x) >> (n)) | ((x) << (32 - (n))))

static void kjk_sha_block(uint32_t *h, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (KJK_ROR(w[i - 15], 7) ^ KJK_ROR(w[i - 15], 18) ^ (w[i - 15] >> 3)) +
		       (KJK_ROR(w[i - 2], 17) ^ KJK_ROR(w[i - 2], 19) ^ (w[i - 2] >> 10));
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (KJK_ROR(e, 6) ^ KJK_ROR(e, 11) ^ KJK_ROR(e, 25)) +
		     ((e & f) ^ (~e & g)) + kjk_sha_k[i] + w[i];
		t2 = (KJK_ROR(a, 2) ^ KJK_ROR(a, 13) ^ KJK_ROR(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

static void kjk_sha_init(struct kjk_sha *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->n = 0;
}

static void kjk_sha_update(struct kjk_sha *s, const void *data, uint64_t len)
{
	const uint8_t *p = data;

	s->len += len;
	if (s->n) {
		while (len && s->n < 64)
			s->buf[s->n++] = *p++, len--;
		if (s->n < 64)
			return;
		kjk_sha_block(s->h, s->buf);
		s->n = 0;
	}
	for (; len >= 64; p += 64, len -= 64)
		kjk_sha_block(s->h, p);
	memcpy(s->buf, p, (size_t)len);
	s->n = (size_t)len;
}

static void kjk_sha_zeros(struct kjk_sha *s, uint64_t len)
{
	static const uint8_t zero[4096];

	while (len) {
		uint64_t n = len < sizeof(zero) ? len : sizeof(zero);

		kjk_sha_update(s, zero, n);
		len -= n;
	}
}

static void kjk_sha_final(struct kjk_sha *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (s->n < 56 ? 56 : 120) - s->n;
	int i;

	for (i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	kjk_sha_update(s, pad, padlen + 8);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

/* ------------------------------------------------------------------ */
/* B's image as the shim handles it. */

struct kjk_seg {
	const uint8_t *buf;
	uint64_t bufsz, mem, memsz;
	int zero;		/* no data: kexec-tools' backup hole or our fill */
};

struct kjk_image {
	struct kjk_seg in[KJK_NSEG];	/* as kexec_load got them (non-empty) */
	unsigned int nin;
	struct kjk_seg seg[KJK_NSEG];	/* what goes to KJUMP_IOC_LOAD */
	unsigned int nseg;
	void *own[KJK_NSEG];		/* our copies of rewritten segments */
	uint64_t entry;
	struct kjump_region region;
	uint64_t jump_buf;		/* A's jump buffer, physical */
	int setup;			/* index in seg[] of boot_params, or -1 */
	int purg;			/* index in seg[] of purgatory, or -1 */
	int dropped;			/* backup segments left out */
	uint64_t old_cmdline_end, new_cmdline_end;	/* 0: unchanged */
};

struct kjk_purg_syms;
static const struct kjk_purg_syms *kjk_purgatory_syms(void);

static int kjk_in_seg(const struct kjk_seg *s, uint64_t addr, uint64_t len)
{
	return addr >= s->mem && len <= s->bufsz && addr - s->mem <= s->bufsz - len;
}

/* A writable copy of seg[i] the size of its memsz (tail zero). */
static uint8_t *kjk_own(struct kjk_image *im, int i)
{
	uint8_t *p;

	if (im->own[i])
		return im->own[i];
	p = calloc(1, (size_t)im->seg[i].memsz);
	if (!p)
		return NULL;
	memcpy(p, im->seg[i].buf, (size_t)im->seg[i].bufsz);
	im->own[i] = p;
	im->seg[i].buf = p;
	return p;
}

static void kjk_image_free(struct kjk_image *im)
{
	unsigned int i;

	for (i = 0; i < KJK_NSEG; i++)
		free(im->own[i]);
}

/* Region: A's low RAM as kjumpctl picks it, plus one range over the rest. */
static int kjk_region(struct kjk_image *im)
{
	struct kjump_region *r = &im->region;
	struct kj_memmap ram;
	uint64_t lo = UINT64_MAX, hi = 0, lend;
	unsigned int i;
	int ret;

	ret = kj_read_system_ram(&ram);
	if (ret)
		return kjk_fail(-ret, ret == -EPERM ?
				"cannot read physical addresses in /proc/iomem: run as root" :
				"cannot read /proc/iomem: %s", strerror(-ret));
	memset(r, 0, sizeof(*r));
	kj_pick_low(&ram, im->jump_buf, r);
	lend = r->low_start + r->low_size;
	for (i = 0; i < im->nin; i++) {
		const struct kjk_seg *s = &im->in[i];
		uint64_t end = s->mem + s->memsz;

		if (end <= KJUMP_LOW_LIMIT) {
			if (s->mem < r->low_start || end > lend)
				return kjk_fail(EADDRNOTAVAIL, "segment 0x%" PRIx64 "-0x%" PRIx64
						" is below 640 KiB but outside A's low RAM "
						"0x%" PRIx64 "-0x%" PRIx64 " (less its jump buffer): "
						"raise --mem-min", s->mem, end - 1, r->low_start,
						lend ? lend - 1 : 0);
			continue;
		}
		if (s->mem < KJUMP_LOW_LIMIT)
			return kjk_fail(EADDRNOTAVAIL, "segment 0x%" PRIx64 "-0x%" PRIx64
					" straddles 640 KiB", s->mem, end - 1);
		if (s->mem < lo)
			lo = s->mem;
		if (end > hi)
			hi = end;
	}
	if (!hi)
		return kjk_fail(EINVAL, "no segment above 640 KiB: nothing to give B as RAM");
	r->start = lo;
	r->size = hi - lo;
	if (!kj_in_ram(&ram, r->start, r->size))
		return kjk_fail(EADDRNOTAVAIL, "the segments span 0x%" PRIx64 "-0x%" PRIx64
				", which is not one range of System RAM (see /proc/iomem): "
				"choose --mem-min/--mem-max inside one", lo, hi - 1);
	if (im->jump_buf >= r->start && im->jump_buf < hi)
		return kjk_fail(EADDRINUSE, "0x%" PRIx64 "-0x%" PRIx64 " holds A's jump buffer "
				"(0x%" PRIx64 ", pfn %" PRIu64 "), which B reads in place: "
				"choose --mem-min/--mem-max above or below it", lo, hi - 1,
				im->jump_buf, im->jump_buf / KJK_PAGE);
	if (r->size > KJUMP_MAX_REGION)
		return kjk_fail(E2BIG, "B's memory 0x%" PRIx64 "-0x%" PRIx64 " is larger than "
				"kjump's %llu GiB limit", lo, hi - 1, KJUMP_MAX_REGION >> 30);
	return 0;
}

/* seg[]: the data segments, then zero fill while it fits. */
static void kjk_layout(struct kjk_image *im)
{
	const struct kjump_region *r = &im->region;
	unsigned int i, nzero = 0, lowseg = 0;

	im->nseg = 0;
	for (i = 0; i < im->nin; i++) {
		if (im->in[i].zero)
			nzero++;
		else
			im->seg[im->nseg++] = im->in[i];
		if (r->low_size && im->in[i].mem < r->low_start + r->low_size)
			lowseg = 1;
	}
	/* Backup holes become zero fill if they fit, else B's memory there is stale. */
	if (im->nseg + nzero <= KJUMP_MAX_SEGMENTS) {
		for (i = 0; i < im->nin; i++)
			if (im->in[i].zero)
				im->seg[im->nseg++] = im->in[i];
	} else {
		kjk_dbg("dropping %u backup segments (more than %u segments in all)",
			nzero, KJUMP_MAX_SEGMENTS);
		im->dropped = 1;
		lowseg = 0;
		for (i = 0; i < im->nseg; i++)
			if (r->low_size && im->seg[i].mem < r->low_start + r->low_size)
				lowseg = 1;
	}
	/* No stale BIOS data for B in its low memory (as kjumpctl). */
	if (r->low_size && !lowseg && im->nseg < KJUMP_MAX_SEGMENTS) {
		struct kjk_seg *s = &im->seg[im->nseg++];

		memset(s, 0, sizeof(*s));
		s->mem = r->low_start;
		s->memsz = r->low_size;
		s->zero = 1;
	}
	im->setup = im->purg = -1;
	for (i = 0; i < im->nseg; i++)
		if (!im->seg[i].zero && im->entry >= im->seg[i].mem &&
		    im->entry - im->seg[i].mem < im->seg[i].memsz)
			im->purg = (int)i;
}

static int kjk_drop_token(const char *t, size_t len)
{
	static const char * const drop[] = { "kexec_jump_buf_pfn=", "kexec_jump_back_entry=" };
	size_t i;

	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (len >= strlen(drop[i]) && !strncmp(t, drop[i], strlen(drop[i])))
			return 1;
	return 0;
}

/*
 * boot_params as kexec-tools' bzImage loaders write them: the region as
 * B's only RAM, no EFI memory map, A's jump buffer on the command line.
 */
static int kjk_rewrite_boot_params(struct kjk_image *im)
{
	struct boot_params *bp;
	struct setup_data *sd;
	uint64_t cl, off, addr;
	uint8_t *link;
	char *old, *new, *t;
	size_t oldlen, newlen = 0;
	unsigned int i, hops;
	int ret;

	for (i = 0; i < im->nseg; i++) {
		const struct kjk_seg *s = &im->seg[i];
		const struct boot_params *b = (const void *)s->buf;

		/* (kexec-tools overwrites boot_flag's 0xaa with aux_device_info.) */
		if (s->zero || s->bufsz < sizeof(*b) || memcmp(&b->hdr.header, "HdrS", 4))
			continue;
		cl = b->hdr.cmd_line_ptr | (uint64_t)b->ext_cmd_line_ptr << 32;
		if (kjk_in_seg(s, cl, 1))
			break;
	}
	if (i == im->nseg) {
		/* kexec-tools' ELF and multiboot loaders: their map stays A's. */
		if (kjk_purgatory_syms())
			kjk_msg("warning: no bzImage boot_params among the segments: B's memory "
				"map is not confined to the region (load a bzImage)");
		else
			kjk_dbg("no boot_params segment: B is not a Linux bzImage");
		return 0;
	}
	im->setup = (int)i;
	bp = (struct boot_params *)kjk_own(im, im->setup);
	if (!bp)
		return kjk_fail(ENOMEM, "out of memory");
	cl = bp->hdr.cmd_line_ptr | (uint64_t)bp->ext_cmd_line_ptr << 32;
	off = cl - im->seg[i].mem;
	old = (char *)bp + off;
	oldlen = strnlen(old, (size_t)(im->seg[i].bufsz - off));
	if (oldlen == im->seg[i].bufsz - off)
		return kjk_fail(EINVAL, "B's command line is not terminated");

	/* Command line: less stale jump parameters, plus A's jump buffer. */
	new = calloc(1, oldlen + 64);
	if (!new)
		return kjk_fail(ENOMEM, "out of memory");
	for (t = old; *t;) {
		size_t ws = strspn(t, " \t\n"), len = strcspn(t + ws, " \t\n");

		if (!len || !kjk_drop_token(t + ws, len)) {
			memcpy(new + newlen, t, ws + len);
			newlen += ws + len;
		}
		t += ws + len;
	}
	newlen += (size_t)sprintf(new + newlen, "%skexec_jump_buf_pfn=%" PRIu64,
				  newlen ? " " : "", im->jump_buf / KJK_PAGE);
	if (bp->hdr.cmdline_size && newlen + KJK_PURG_APPEND > bp->hdr.cmdline_size) {
		free(new);
		return kjk_fail(E2BIG, "B's command line would be %zu bytes with "
				"kexec_jump_buf_pfn= and kexec_jump_back_entry=; this kernel "
				"takes %u: shorten --append", newlen + KJK_PURG_APPEND,
				bp->hdr.cmdline_size);
	}
	if (off + newlen + 1 + KJK_PURG_CMDLINE_SPARE > im->seg[i].memsz) {
		free(new);
		return kjk_fail(E2BIG, "no room for kexec_jump_buf_pfn= in the boot_params "
				"segment: shorten --append");
	}
	memset(old, 0, (size_t)(im->seg[i].memsz - off));
	memcpy(old, new, newlen);
	free(new);
	im->seg[i].bufsz = off + newlen + 1 + KJK_PURG_CMDLINE_SPARE;
	im->old_cmdline_end = cl + oldlen;
	im->new_cmdline_end = cl + newlen;

	/* Memory map: only the region is RAM. */
	ret = kj_boot_memmap(bp, &im->region, 0, 0);
	if (ret)
		return kjk_fail(-ret, "A's memory map has too many entries for B's boot_params");
	bp->screen_info.ext_mem_k = (uint16_t)(bp->alt_mem_k < 0xfc00 ? bp->alt_mem_k : 0xfc00);
	memset(&bp->efi_info, 0, sizeof(bp->efi_info));

	/* setup_data: unlink the extended e820 and EFI's, keep the rest. */
	link = (uint8_t *)bp + offsetof(struct boot_params, hdr.setup_data);
	for (hops = 0; memcpy(&addr, link, 8), addr && hops < 64; hops++) {
		unsigned int k;

		for (k = 0; k < im->nseg; k++)
			if (!im->seg[k].zero && kjk_in_seg(&im->seg[k], addr, sizeof(*sd)))
				break;
		if (k == im->nseg)
			break;		/* not ours to follow */
		if (!kjk_own(im, (int)k))
			return kjk_fail(ENOMEM, "out of memory");
		sd = (struct setup_data *)((uint8_t *)im->own[k] + (addr - im->seg[k].mem));
		if (sd->type == SETUP_E820_EXT || sd->type == SETUP_EFI) {
			kjk_dbg("dropping setup_data type %u at 0x%" PRIx64, sd->type, addr);
			memcpy(link, &sd->next, 8);
		} else {
			link = (uint8_t *)sd + offsetof(struct setup_data, next);
		}
	}
	kjk_dbg("boot_params at 0x%" PRIx64 ": e820 of %u entries, cmdline \"%s\"",
		im->seg[i].mem, bp->e820_entries, old);
	return 0;
}

/* ------------------------------------------------------------------ */
/* kexec-tools' purgatory. */

struct kjk_purg_syms {
	int ok;
	uint64_t bufsz;			/* its loaded, non-bss bytes */
	uint64_t start;			/* purgatory_start */
	uint64_t regions, digest;	/* offsets in the loaded buffer */
	uint64_t skip_checks, cmdline_end;	/* 0: not found */
};

static const char *kjk_elf_str(const uint8_t *f, size_t flen, const Elf64_Shdr *strtab,
			       uint32_t off)
{
	if (strtab->sh_offset >= flen || off >= strtab->sh_size ||
	    strtab->sh_offset + strtab->sh_size > flen)
		return "";
	if (!memchr(f + strtab->sh_offset + off, 0, (size_t)(strtab->sh_size - off)))
		return "";
	return (const char *)f + strtab->sh_offset + off;
}

/* One relocatable x86_64 ELF at @f: laid out as kexec-tools' elf_rel_load(). */
static int kjk_parse_purgatory(const uint8_t *f, size_t flen, struct kjk_purg_syms *ps)
{
	const Elf64_Ehdr *eh = (const void *)f;
	static const char * const names[] = { "purgatory_start", "sha256_regions",
		"sha256_digest", "skip_checks", "cmdline_end" };
	uint64_t * const dst[] = { &ps->start, &ps->regions, &ps->digest,
				   &ps->skip_checks, &ps->cmdline_end };
	const Elf64_Shdr *sh;
	uint64_t secoff[64], bufsz = 0;
	unsigned int i, n, found = 0;

	if (flen < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_type != ET_REL || eh->e_machine != EM_X86_64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum > 64 ||
	    eh->e_shoff > flen || (uint64_t)eh->e_shnum * sizeof(*sh) > flen - eh->e_shoff)
		return -1;
	sh = (const void *)(f + eh->e_shoff);
	n = eh->e_shnum;
	for (i = 0; i < n; i++) {
		uint64_t align = sh[i].sh_addralign ? sh[i].sh_addralign : 1;

		secoff[i] = UINT64_MAX;
		if (!(sh[i].sh_flags & SHF_ALLOC) || sh[i].sh_type == SHT_NOBITS)
			continue;
		bufsz = (bufsz + align - 1) & ~(align - 1);
		secoff[i] = bufsz;
		bufsz += sh[i].sh_size;
	}
	memset(ps, 0, sizeof(*ps));
	for (i = 0; i < n; i++) {
		const Elf64_Shdr *strtab;
		uint64_t j;

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= n ||
		    sh[i].sh_offset > flen || sh[i].sh_size > flen - sh[i].sh_offset)
			continue;
		strtab = &sh[sh[i].sh_link];
		for (j = 0; j < sh[i].sh_size / sizeof(Elf64_Sym); j++) {
			const Elf64_Sym *sym = (const Elf64_Sym *)(f + sh[i].sh_offset) + j;
			const char *name = kjk_elf_str(f, flen, strtab, sym->st_name);
			unsigned int k;

			for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
				if (!strcmp(name, names[k]))
					break;
			if (k == sizeof(names) / sizeof(names[0]) || sym->st_shndx >= n ||
			    secoff[sym->st_shndx] == UINT64_MAX)
				continue;
			*dst[k] = secoff[sym->st_shndx] + sym->st_value;
			found |= 1u << k;
		}
	}
	/* purgatory_start, sha256_regions, sha256_digest at least. */
	if ((found & 7) != 7)
		return -1;
	ps->bufsz = bufsz;
	ps->ok = 1;
	return 0;
}

/* The purgatory kexec-tools embeds in its own binary, once. */
static const struct kjk_purg_syms *kjk_purgatory_syms(void)
{
	static struct kjk_purg_syms ps;
	static int done;
	struct stat st;
	uint8_t *f;
	size_t i;
	int fd;

	if (done)
		return ps.ok ? &ps : NULL;
	done = 1;
	fd = kjk_real_open("/proc/self/exe", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || st.st_size < 64) {
		close(fd);
		return NULL;
	}
	f = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED)
		return NULL;
	for (i = 1; i + 64 < (size_t)st.st_size; i++) {
		uint8_t *p = memchr(f + i, 0x7f, (size_t)st.st_size - i - 64);

		if (!p)
			break;
		i = (size_t)(p - f);
		if (!memcmp(p, ELFMAG, SELFMAG) &&
		    !kjk_parse_purgatory(p, (size_t)st.st_size - i, &ps))
			break;
	}
	munmap(f, (size_t)st.st_size);
	return ps.ok ? &ps : NULL;
}

static uint64_t kjk_find(const uint8_t *hay, uint64_t hlen, const void *needle,
			 size_t nlen, uint64_t step, int *count)
{
	uint64_t off, at = UINT64_MAX;

	*count = 0;
	for (off = 0; off + nlen <= hlen; off += step)
		if (!memcmp(hay + off, needle, nlen)) {
			if (at == UINT64_MAX)
				at = off;
			(*count)++;
		}
	return at;
}

/* The array kexec-tools' update_purgatory() stored, from the input segments. */
static void kjk_orig_regions(const struct kjk_image *im, uint64_t pmem,
			     uint64_t regions[2 * KJK_SHA_REGIONS], struct kjk_sha *sha)
{
	unsigned int i, j = 0;

	memset(regions, 0, sizeof(uint64_t) * 2 * KJK_SHA_REGIONS);
	for (i = 0; i < im->nin && j < KJK_SHA_REGIONS; i++) {
		if (im->in[i].mem == pmem)
			continue;
		regions[2 * j] = im->in[i].mem;
		regions[2 * j + 1] = im->in[i].memsz;
		j++;
		if (sha) {
			kjk_sha_update(sha, im->in[i].buf, im->in[i].bufsz);
			kjk_sha_zeros(sha, im->in[i].memsz - im->in[i].bufsz);
		}
	}
}

/*
 * Point purgatory's SHA-256 at what we load (data segments only) and its
 * cmdline_end at the end of the rewritten command line.
 */
static int kjk_patch_purgatory(struct kjk_image *im, int changed)
{
	const struct kjk_purg_syms *ps = kjk_purgatory_syms();
	uint64_t regions[2 * KJK_SHA_REGIONS], orig[2 * KJK_SHA_REGIONS];
	uint64_t roff = UINT64_MAX, doff = UINT64_MAX, coff = UINT64_MAX, pmem;
	uint8_t digest[32], *p;
	struct kjk_sha sha;
	struct kjk_seg *P;
	unsigned int i, j = 0;
	int skip = 0, cnt;

	if (im->purg < 0 || im->purg == im->setup)
		goto none;
	P = &im->seg[im->purg];
	pmem = P->mem;
	if (ps && ps->bufsz == P->bufsz && pmem + ps->start == im->entry &&
	    ps->digest + 32 <= P->bufsz && ps->regions + sizeof(regions) <= P->bufsz) {
		roff = ps->regions;
		doff = ps->digest;
		if (ps->cmdline_end && ps->cmdline_end + 8 <= P->bufsz)
			coff = ps->cmdline_end;
		if (ps->skip_checks && ps->skip_checks + 4 <= P->bufsz)
			memcpy(&skip, P->buf + ps->skip_checks, sizeof(skip));
		kjk_dbg("purgatory at 0x%" PRIx64 " (symbols from the embedded ELF)%s",
			pmem, skip ? ", skip_checks set" : "");
	} else {
		/* Not the embedded one: find kexec-tools' data by content. */
		kjk_sha_init(&sha);
		kjk_orig_regions(im, pmem, orig, &sha);
		roff = kjk_find(P->buf, P->bufsz, orig, sizeof(orig), 8, &cnt);
		if (cnt != 1)
			goto none;
		kjk_sha_final(&sha, digest);
		doff = kjk_find(P->buf, P->bufsz, digest, sizeof(digest), 1, &cnt);
		if (cnt != 1)
			return kjk_fail(ENOEXEC, "found purgatory's sha256_regions but not "
					"its digest: cannot fix its SHA-256 check");
		if (im->old_cmdline_end) {
			coff = kjk_find(P->buf, P->bufsz, &im->old_cmdline_end, 8, 8, &cnt);
			if (cnt != 1)
				coff = UINT64_MAX;
		}
		kjk_dbg("purgatory at 0x%" PRIx64 " (found by content)", pmem);
	}
	p = kjk_own(im, im->purg);
	if (!p)
		return kjk_fail(ENOMEM, "out of memory");

	if (im->old_cmdline_end) {
		uint64_t v = 0;

		if (coff != UINT64_MAX)
			memcpy(&v, p + coff, 8);
		if (v != im->old_cmdline_end)
			return kjk_fail(ENOEXEC, "cannot find purgatory's cmdline_end "
					"(0x%" PRIx64 "): it would overwrite B's command line",
					im->old_cmdline_end);
		memcpy(p + coff, &im->new_cmdline_end, 8);
	}
	if (skip)
		return 0;

	memset(regions, 0, sizeof(regions));
	kjk_sha_init(&sha);
	for (i = 0; i < im->nseg; i++) {
		const struct kjk_seg *s = &im->seg[i];

		if ((int)i == im->purg || s->zero)
			continue;
		if (j == KJK_SHA_REGIONS)
			return kjk_fail(E2BIG, "more than %d segments for purgatory to check",
					KJK_SHA_REGIONS);
		regions[2 * j] = s->mem;
		regions[2 * j + 1] = s->memsz;
		j++;
		kjk_sha_update(&sha, s->buf, s->bufsz);
		kjk_sha_zeros(&sha, s->memsz - s->bufsz);
	}
	kjk_sha_final(&sha, digest);
	if (kjk_debug()) {
		kjk_orig_regions(im, pmem, orig, NULL);
		if (memcmp(p + roff, orig, sizeof(orig)))
			kjk_msg("note: purgatory's sha256_regions were not kexec-tools' "
				"segment list");
	}
	memcpy(p + roff, regions, sizeof(regions));
	memcpy(p + doff, digest, sizeof(digest));
	kjk_dbg("purgatory checks %u regions, SHA-256 %02x%02x%02x%02x...", j,
		digest[0], digest[1], digest[2], digest[3]);
	return 0;

none:
	/* No purgatory we know: only safe if nothing it might check changed. */
	if (changed)
		return kjk_fail(ENOEXEC, "B's boot_params were rewritten but its purgatory "
				"is not kexec-tools' (no sha256_regions found): it would "
				"reject them");
	return 0;
}

/* ------------------------------------------------------------------ */
/* kexec_load. */

static const char *kjk_load_hint(int fd, int err)
{
	struct kjump_status st;

	switch (err) {
	case EPERM:
		if (!kjk_status(fd, &st) && (st.flags & KJUMP_STATUS_LOCKDOWN))
			return "the kernel is locked down";
		if (!kjk_status(fd, &st) && (st.flags & KJUMP_STATUS_LOAD_DISABLED))
			return "kernel.kexec_load_disabled is 1";
		return "needs root with CAP_SYS_BOOT";
	case ENOMEM:
		return "not enough free memory to hold A's pages displaced by B "
		       "(as much as --mem-max - --mem-min): free memory or shrink the range";
	case EADDRNOTAVAIL:
		return "a segment or the region is not where kjump accepts it "
		       "(dmesg says which)";
	case EADDRINUSE:
		return "the range holds A's jump buffer";
	default:
		return "dmesg says why";
	}
}

static int kjk_load(int fd, const struct kjump_status *st, uint64_t entry,
		    unsigned long nr, const struct kexec_segment *ks)
{
	struct kjump_segment out[KJK_NSEG];
	struct kjump_load req;
	struct kjk_image *im;
	uint64_t used = 0;
	unsigned int i;
	int ret = -1, changed, err;

	im = calloc(1, sizeof(*im));
	if (!im)
		return kjk_fail(ENOMEM, "out of memory");
	im->entry = entry;
	im->jump_buf = st->jump_buf_pfn * KJK_PAGE;
	for (i = 0; i < nr; i++) {
		struct kjk_seg *s = &im->in[im->nin];

		s->buf = ks[i].buf;
		s->bufsz = ks[i].bufsz;
		s->mem = (uintptr_t)ks[i].mem;
		s->memsz = ks[i].memsz;
		if (!s->memsz)
			continue;
		if (s->bufsz > s->memsz || (s->mem | s->memsz) & (KJK_PAGE - 1) ||
		    s->mem + s->memsz < s->mem) {
			kjk_fail(EADDRNOTAVAIL, "segment %u (0x%" PRIx64 "+0x%" PRIx64 ") is not "
				 "page aligned or bigger than its memory", i, s->mem, s->memsz);
			goto out;
		}
		s->zero = !s->bufsz;
		im->nin++;
	}
	if (kjk_region(im))
		goto out;
	kjk_layout(im);
	if (kjk_rewrite_boot_params(im))
		goto out;
	changed = im->setup >= 0 || im->dropped;
	if (kjk_patch_purgatory(im, changed))
		goto out;

	memset(&req, 0, sizeof(req));
	for (i = 0; i < im->nseg; i++) {
		out[i].buf = (uintptr_t)im->seg[i].buf;
		out[i].bufsz = im->seg[i].bufsz;
		out[i].mem = im->seg[i].mem;
		out[i].memsz = im->seg[i].memsz;
		if (!im->seg[i].zero)
			used += im->seg[i].memsz;
		kjk_dbg("segment %u: 0x%" PRIx64 "-0x%" PRIx64 " %s", i, out[i].mem,
			out[i].mem + out[i].memsz - 1,
			im->seg[i].zero ? "zero" : (int)i == im->setup ? "boot_params" :
			(int)i == im->purg ? "purgatory" : "data");
	}
	if (im->region.size < used + KJ_RUN_ROOM)
		kjk_msg("warning: B has only %" PRIu64 " MiB of its %" PRIu64 " MiB to run in "
			"past its image: widen --mem-min..--mem-max",
			(im->region.size - used) >> 20, im->region.size >> 20);

	if (kjk_replace(fd, st, "load"))
		goto out;
	req.size = sizeof(req);
	req.flags = KJUMP_LOAD_PRESERVE_CONTEXT;
	req.entry = entry;
	req.region = im->region;
	req.segments = (uintptr_t)out;
	req.nr_segments = im->nseg;
	if (ioctl(fd, KJUMP_IOC_LOAD, &req)) {
		err = errno;
		kjk_fail(err, "kjump refused the image: %s (%s)", strerror(err),
			 kjk_load_hint(fd, err));
		goto out;
	}
	kjk_dbg("loaded: entry 0x%" PRIx64 ", region 0x%" PRIx64 "-0x%" PRIx64
		" + low 0x%" PRIx64 "-0x%" PRIx64 ", %u segments", entry,
		(uint64_t)im->region.start, (uint64_t)(im->region.start + im->region.size - 1),
		(uint64_t)im->region.low_start,
		(uint64_t)(im->region.low_start + im->region.low_size - 1), im->nseg);
	ret = 0;
out:
	kjk_image_free(im);
	free(im);
	return ret;
}

/* kexec --load-jump-back-helper --entry=ADDR, in a B. */
static int kjk_load_helper(int fd, const struct kjump_status *st, uint64_t entry)
{
	uint64_t pfn = 0, want;
	int have_pfn = kjk_cmdline_u64("kexec_jump_buf_pfn", &pfn), ret;
	struct kjump_status now;

	if (kjk_cmdline_u64("kexec_jump_back_entry", &want) && want != entry)
		return kjk_fail(EINVAL, "--entry=0x%" PRIx64 " is not this kernel's "
				"kexec_jump_back_entry=0x%" PRIx64 ": kjump jumps back only "
				"to the kernel that jumped here", entry, want);
	if (kjk_has_image(st) && kjk_replace(fd, st, "jump-back helper"))
		return -1;
	if (st->flags & KJUMP_STATUS_PEER) {
		kjk_dbg("jump-back helper: peer pfn %" PRIu64 " already set, entry 0x%" PRIx64,
			(uint64_t)st->peer_buf_pfn, entry);
		return 0;
	}
	if (!have_pfn)
		return kjk_fail(ENOENT, "no kexec_jump_buf_pfn= on this kernel's command line: "
				"it was not started by a kjump jump");
	ret = kjk_write_pfn(pfn);
	if (ret)
		return kjk_fail(-ret, "kexec_jump_buf_pfn=%" PRIu64 " holds no valid jump "
				"buffer: %s", pfn, strerror(-ret));
	if (kjk_status(fd, &now) || !(now.flags & KJUMP_STATUS_PEER))
		return kjk_fail(EIO, "kjump did not take pfn %" PRIu64 " as its peer", pfn);
	kjk_dbg("jump-back helper: peer pfn %" PRIu64 ", entry 0x%" PRIx64, pfn, entry);
	return 0;
}

/* kexec_load(entry, 0, NULL, flags): unload kjump's too. */
static long kjk_unload(int fd, const struct kjump_status *st, long a[6])
{
	int had = kjk_has_image(st) || (st->flags & KJUMP_STATUS_PEER);
	long r;

	if (had && kjk_replace(fd, st, "unload"))
		return -1;
	r = kjk_real_syscall(SYS_kexec_load, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r && had) {
		kjk_dbg("kernel's own unload failed (%s); kjump's done", strerror(errno));
		r = 0;
	}
	return r;
}

/* Returns 1 when it handled the call, its result in *res. */
static int kjk_kexec_load(long a[6], long *res)
{
	uint64_t entry = (unsigned long)a[0];
	unsigned long nr = (unsigned long)a[1], i, flags = (unsigned long)a[3];
	const struct kexec_segment *ks = (const void *)a[2];
	struct kjump_status st;
	int fd, helper;

	if (flags & KEXEC_ON_CRASH)
		return 0;
	fd = kjk_dev();
	if (fd < 0) {
		if (errno == ENOENT && (flags & KEXEC_PRESERVE_CONTEXT) && nr) {
			*res = kjk_real_syscall(SYS_kexec_load, a[0], a[1], a[2], a[3], a[4], a[5]);
			if (*res && errno == EINVAL)
				kjk_fail(EINVAL, "the kernel refused KEXEC_PRESERVE_CONTEXT (no "
					 "CONFIG_KEXEC_JUMP) and the kjump module is not loaded: "
					 "modprobe kjump");
			return 1;
		}
		if (errno == ENOENT || !(flags & KEXEC_PRESERVE_CONTEXT))
			return 0;
		*res = kjk_fail(errno, "cannot open %s: %s", KJUMP_DEVICE, strerror(errno));
		return 1;
	}
	if (kjk_status(fd, &st)) {
		*res = kjk_fail(errno, "kjump status failed: %s", strerror(errno));
		goto done;
	}
	if (!nr) {
		*res = kjk_unload(fd, &st, a);
		goto done;
	}
	if (!(flags & KEXEC_PRESERVE_CONTEXT)) {
		/* A plain kexec load replaces whatever kjump holds. */
		*res = kjk_real_syscall(SYS_kexec_load, a[0], a[1], a[2], a[3], a[4], a[5]);
		if (!*res && (kjk_has_image(&st) || (st.flags & KJUMP_STATUS_PEER)))
			*res = kjk_replace(fd, &st, "kexec load");
		goto done;
	}
	if (nr > KEXEC_SEGMENT_MAX || !ks) {
		*res = kjk_fail(EINVAL, "%lu segments: at most %d", nr, KEXEC_SEGMENT_MAX);
		goto done;
	}
	for (helper = 1, i = 0; i < nr; i++)
		if (ks[i].bufsz)
			helper = 0;
	if (helper && ((st.flags & KJUMP_STATUS_PEER) ||
		       kjk_cmdline_u64("kexec_jump_buf_pfn", &(uint64_t){ 0 })))
		*res = kjk_load_helper(fd, &st, entry);
	else
		*res = kjk_load(fd, &st, entry, nr, ks);
	/* Ours replaces an image the kernel itself holds, as kexec would. */
	if (!*res && kjk_real_kexec_loaded())
		kjk_real_syscall(SYS_kexec_load, 0, 0, 0, (long)(flags & KEXEC_ARCH_MASK), 0, 0);
done:
	{
		int err = errno;

		close(fd);
		errno = err;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* reboot(LINUX_REBOOT_CMD_KEXEC). */

static const char *kjk_peer_status(uint32_t s)
{
	static const char * const names[] = { "did not report", "returned", "dumped A",
					      "restored A", "failed" };

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "left an unknown status";
}

static int kjk_reboot_kexec(int *res)
{
	struct kjump_status st;
	struct kjump_jump j;
	int fd = kjk_dev(), back, err;

	if (fd < 0)
		return 0;
	if (kjk_status(fd, &st) ||
	    (!kjk_has_image(&st) && !(st.flags & KJUMP_STATUS_PEER))) {
		close(fd);
		return 0;
	}
	back = !kjk_has_image(&st);
	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	j.flags = back ? KJUMP_JUMP_BACK : 0;
	fflush(NULL);
	if (ioctl(fd, KJUMP_IOC_JUMP, &j)) {
		err = errno;
		close(fd);
		*res = kjk_fail(err, "%s failed: %s (%s)", back ? "jump back" : "jump",
				strerror(err),
				err == EBUSY ? "another jump or load is in progress" :
				err == EPERM ? "locked down, kexec_load_disabled or not CAP_SYS_BOOT" :
				err == EINVAL ? "the peer's jump buffer is missing or corrupt" :
				"this kernel is intact; dmesg says which step failed");
		return 1;
	}
	close(fd);
	if (back)
		kjk_msg("back in this kernel: re-entered by the kernel it jumped back to");
	else
		kjk_msg("back from the jump: B %s (B's re-entry point 0x%" PRIx64 ")",
			kjk_peer_status(j.status), (uint64_t)j.peer_entry);
	errno = 0;
	*res = 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* /sys/kernel/kexec_loaded. */

static int kjk_fake_loaded_fd(const char *path, int flags)
{
	struct kjump_status st;
	int fd, loaded;

	if (!path || strcmp(path, KJK_LOADED_PATH) || (flags & O_ACCMODE) != O_RDONLY)
		return -1;
	if (kjk_real_kexec_loaded())
		return -1;
	fd = kjk_dev();
	if (fd < 0)
		return -1;
	loaded = !kjk_status(fd, &st) &&
		 (kjk_has_image(&st) || (st.flags & KJUMP_STATUS_PEER));
	close(fd);
	if (!loaded)
		return -1;
	fd = memfd_create("kexec_loaded", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return -1;
	if (write(fd, "1\n", 2) != 2 || lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return -1;
	}
	return fd;
}

static FILE *kjk_fopen(const char *path, const char *mode,
		       FILE *(*real)(const char *, const char *))
{
	if (mode && mode[0] == 'r' && !strchr(mode, '+')) {
		int fd = kjk_fake_loaded_fd(path, O_RDONLY | (strchr(mode, 'e') ? O_CLOEXEC : 0));

		if (fd >= 0) {
			FILE *f = fdopen(fd, "r");

			if (f)
				return f;
			close(fd);
		}
	}
	return real(path, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	KJK_REAL(kjk_fopen_fn, fopen);
	return kjk_fopen(path, mode, real_fopen);
}

FILE *fopen64(const char *path, const char *mode)
{
	KJK_REAL(kjk_fopen_fn, fopen64);
	return kjk_fopen(path, mode, real_fopen64);
}

static mode_t kjk_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;
	int fd = kjk_fake_loaded_fd(path, flags);

	va_start(ap, flags);
	mode = kjk_mode(flags, ap);
	va_end(ap);
	return fd >= 0 ? fd : kjk_real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	KJK_REAL(kjk_open_fn, open64);
	va_list ap;
	mode_t mode;
	int fd = kjk_fake_loaded_fd(path, flags);

	va_start(ap, flags);
	mode = kjk_mode(flags, ap);
	va_end(ap);
	return fd >= 0 ? fd : real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	KJK_REAL(kjk_openat_fn, openat);
	va_list ap;
	mode_t mode;
	int fd = kjk_fake_loaded_fd(path, flags);

	va_start(ap, flags);
	mode = kjk_mode(flags, ap);
	va_end(ap);
	return fd >= 0 ? fd : real_openat(dirfd, path, flags, mode);
}

/* ------------------------------------------------------------------ */
/* The entry points. */

int reboot(int howto)
{
	KJK_REAL(kjk_reboot_fn, reboot);
	int res;

	if (howto == (int)LINUX_REBOOT_CMD_KEXEC && kjk_reboot_kexec(&res))
		return res;
	return real_reboot(howto);
}

long syscall(long nr, ...)
{
	va_list ap;
	long a[6], res;
	int i, r;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	switch (nr) {
	case SYS_kexec_load:
		if (kjk_kexec_load(a, &res))
			return res;
		break;
#ifdef SYS_kexec_file_load
	case SYS_kexec_file_load:
		if (!access(KJUMP_DEVICE, F_OK)) {
			kjk_dbg("kexec_file_load: ENOSYS, so that kexec-tools uses kexec_load");
			errno = ENOSYS;
			return -1;
		}
		break;
#endif
	case SYS_reboot:
		if ((int)a[2] == (int)LINUX_REBOOT_CMD_KEXEC && kjk_reboot_kexec(&r))
			return r;
		break;
	}
	return kjk_real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
