// SPDX-License-Identifier: GPL-2.0
/*
 * kjump selftest: the foundation under the jump.  The ioctl ABI, LOAD's
 * validation of every input class, JUMP's refusals, sysfs, who may use
 * the device, leaks, and the module's load and unload.  No jump is made:
 * every JUMP here is one the module must refuse.
 *
 * Runs as root after "modprobe kjump", in a guest it may disturb: it
 * unloads and reloads the module, and its last two tests set
 * kernel.kexec_load_disabled and kernel lockdown, which stay for the boot.
 *
 * Every test is a TEST_F: the harness runs all fixtures after all plain
 * TEST()s, so fixtures declared in run order are what keeps the one-way
 * tests last (and TEST()'s wrapper trips -Wunused-parameter besides).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/kjump.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"	/* __timeout_handler */
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#include "kjump_test_util.h"

#define REGION_SIZE		(32 * MIB)
#define LEAK_CYCLES		200
#define LEAK_FREE_SLACK		(2 * MIB)
#define LEAK_SLAB_SLACK		(1 * MIB)
#define MISSING_SYMBOL		"kjump_no_such_symbol_xyz"
#define KEXEC_LOAD_DISABLED	"/proc/sys/kernel/kexec_load_disabled"
#define LOCKDOWN		"/sys/kernel/security/lockdown"

/* B's stand-in image: what a valid LOAD carries. */
struct req {
	struct kjump_load load;
	struct kjump_segment seg[3];
};

static unsigned char seg_main[64 * KIB];
static unsigned char seg_low[PAGE];

/*
 * 64 KiB of pattern at region.start (memsz 128 KiB, so a zeroed tail), a
 * zero-only segment 1 MiB in, and a page in the low part when there is
 * one; entry in the first segment.
 */
static void make_load(struct req *r, const struct kjump_region *reg)
{
	unsigned int n = 0;

	for (size_t i = 0; i < sizeof(seg_main); i++)
		seg_main[i] = (unsigned char)(i * 7 + 1);
	memset(seg_low, 0x5a, sizeof(seg_low));

	memset(r, 0, sizeof(*r));
	r->seg[n++] = (struct kjump_segment){
		.buf = (uintptr_t)seg_main, .bufsz = sizeof(seg_main),
		.mem = reg->start, .memsz = 128 * KIB,
	};
	r->seg[n++] = (struct kjump_segment){
		.buf = 0, .bufsz = 0, .mem = reg->start + MIB, .memsz = 64 * KIB,
	};
	if (reg->low_size >= PAGE)
		r->seg[n++] = (struct kjump_segment){
			.buf = (uintptr_t)seg_low, .bufsz = sizeof(seg_low),
			.mem = reg->low_start, .memsz = PAGE,
		};
	r->load.size = sizeof(r->load);
	r->load.flags = KJUMP_LOAD_PRESERVE_CONTEXT;
	r->load.entry = reg->start + PAGE;
	r->load.region = *reg;
	r->load.segments = (uintptr_t)r->seg;
	r->load.nr_segments = n;
}

static int load(int fd, struct req *r)
{
	return ioctl(fd, KJUMP_IOC_LOAD, &r->load);
}


/* What any region must respect, as STATUS tells it. */
struct bounds {
	uint64_t jump_buf;	/* A's jump buffer: never in the region */
	uint64_t limit;		/* the region ends at or below (i386: lowmem) */
};

static int get_bounds(int fd, struct bounds *b)
{
	struct kjump_status st;

	if (status(fd, &st))
		return -1;
	b->jump_buf = st.jump_buf_pfn * PAGE;
	b->limit = st.region_limit ? st.region_limit : UINT64_MAX;
	return 0;
}

/*
 * The test region: the low part (System RAM below 640 KiB, page rounded)
 * and size bytes at the top of the largest System RAM range below 4 GiB
 * and the region limit, 2 MiB aligned, clear of the jump buffer.  NULL,
 * or why there is none.
 */
static const char *pick_region(int fd, struct kjump_region *reg, uint64_t size)
{
	struct ram_range ram[MAX_RAM_RANGES];
	uint64_t s = 0, e = 0, ls, lsz;
	struct bounds b;
	int n;

	memset(reg, 0, sizeof(*reg));
	if (get_bounds(fd, &b))
		return "STATUS failed";
	n = iomem_ram(ram, MAX_RAM_RANGES);
	if (n < 0)
		return "cannot read /proc/iomem";
	if (n == 0)
		return "no System RAM in /proc/iomem (addresses hidden?)";
	pick_low(ram, n, KJUMP_LOW_LIMIT, &ls, &lsz);
	if (b.jump_buf >= ls && b.jump_buf < ls + lsz)
		lsz = b.jump_buf - ls;
	reg->low_start = lsz ? ls : 0;
	reg->low_size = lsz;
	if (largest_piece(ram, n, b.limit, b.jump_buf, &s, &e) ||
	    e - s < size + 2 * MIB)
		return "no System RAM range below 4 GiB big enough";
	reg->start = e - size;
	reg->size = size;
	return NULL;
}

/* An attribute's text without its newline, or "" if unreadable. */
static const char *sysfs_str(const char *path, char *buf, size_t len)
{
	if (read_file(path, buf, len) < 0)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* What the region attribute shows: "none", or "0xS-0xE" per part. */
static void region_str(const struct kjump_region *r, char *buf, size_t len)
{
	int n = 0;

	if (!r->size) {
		snprintf(buf, len, "none");
		return;
	}
	if (r->low_size)
		n = snprintf(buf, len, "0x%llx-0x%llx ",
			     (unsigned long long)r->low_start,
			     (unsigned long long)(r->low_start + r->low_size - 1));
	snprintf(buf + n, len - n, "0x%llx-0x%llx",
		 (unsigned long long)r->start,
		 (unsigned long long)(r->start + r->size - 1));
}

static void expect_region(struct __test_metadata *_metadata,
			  const struct kjump_region *want,
			  const struct kjump_region *got)
{
	EXPECT_EQ(want->low_start, got->low_start);
	EXPECT_EQ(want->low_size, got->low_size);
	EXPECT_EQ(want->start, got->start);
	EXPECT_EQ(want->size, got->size);
}

static void expect_reserved_zero(struct __test_metadata *_metadata,
				 const struct kjump_status *st)
{
	for (size_t i = 0; i < ARRAY_SIZE(st->reserved); i++) {
		EXPECT_EQ(0ULL, st->reserved[i]) TH_LOG("reserved[%zu]", i);
	}
}

/* Leave the module empty whatever a failed test left behind. */
static void unload_if_loaded(int fd)
{
	struct kjump_status st;

	if (fd >= 0 && !status(fd, &st) && st.state != KJUMP_STATE_EMPTY)
		ioctl(fd, KJUMP_IOC_UNLOAD, KJUMP_UNLOAD_DISCARD);
}


/* ---- ABI: VERSION, unknown commands, STATUS ---------------------------- */

FIXTURE(abi) {
	int fd;
};

FIXTURE_SETUP(abi)
{
	self->fd = open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s (modprobe kjump first)",
				      KJUMP_DEVICE, strerror(errno));
	unload_if_loaded(self->fd);
}

FIXTURE_TEARDOWN(abi)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(abi, version_ioctl_returns_abi_version)
{
	char buf[32];
	__u32 v;

	memset(&v, 0xcc, sizeof(v));
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_VERSION, &v));
	EXPECT_EQ(U32(KJUMP_ABI_VERSION), v);
	EXPECT_EQ(KJUMP_ABI_VERSION, atoi(sysfs_str(SYSFS("abi_version"),
						    buf, sizeof(buf))));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_VERSION, NULL));
}

TEST_F(abi, unknown_ioctl_is_enotty)
{
	char buf[8192] = { 0 };

	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(KJUMP_IOC_MAGIC, 0x7f), 0));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IO(KJUMP_IOC_MAGIC + 1, 0), 0));
	/* Same numbers, other size or direction: a different command. */
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOW(KJUMP_IOC_MAGIC, 1, __u64), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOR(KJUMP_IOC_MAGIC, 3,
						  struct kjump_status), buf));
	EXPECT_ERRNO(ENOTTY, ioctl(self->fd, _IOW(KJUMP_IOC_MAGIC, 0, __u32), buf));
}

TEST_F(abi, status_with_short_size_is_einval)
{
	const __u32 sizes[] = { 0, 4, 8, sizeof(struct kjump_status) - 8 };
	struct kjump_status st;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(&st, 0xcc, sizeof(st));
		st.size = sizes[i];
		EXPECT_ERRNO(EINVAL, ioctl(self->fd, KJUMP_IOC_STATUS, &st));
		/* Refused means nothing written back. */
		EXPECT_EQ(0xccccccccU, st.state) TH_LOG("size %u", sizes[i]);
	}
}

TEST_F(abi, status_on_empty_reports_empty_and_jump_buf_pfn)
{
	struct kjump_status st;
	uint64_t pfn;

	ASSERT_OK(status(self->fd, &st));
	ASSERT_OK(read_u64(SYSFS("kexec_jump_buf_pfn"), &pfn));
	EXPECT_EQ(sizeof(st), st.size);
	EXPECT_EQ(U32(KJUMP_STATE_EMPTY), st.state);
	EXPECT_EQ(0U, st.flags & KJUMP_STATUS_PEER);
	EXPECT_EQ(0U, st.flags & ~(KJUMP_STATUS_LOCKDOWN |
				   KJUMP_STATUS_LOAD_DISABLED | KJUMP_STATUS_PEER));
	EXPECT_EQ(0U, st.nr_segments);
	EXPECT_EQ(0ULL, st.entry);
	EXPECT_EQ(0ULL, st.reentry);
	EXPECT_EQ(0ULL, st.region.low_start);
	EXPECT_EQ(0ULL, st.region.low_size);
	EXPECT_EQ(0ULL, st.region.start);
	EXPECT_EQ(0ULL, st.region.size);
	EXPECT_NE(0ULL, st.jump_buf_pfn);
	EXPECT_EQ(pfn, st.jump_buf_pfn);
	EXPECT_EQ(0ULL, st.peer_buf_pfn);
	EXPECT_EQ(0ULL, st.shadow_pages);
	EXPECT_EQ(0ULL, st.list_pages);
	EXPECT_EQ(0ULL, st.nr_jumps);
	EXPECT_NE(0ULL, st.region_limit);
	expect_reserved_zero(_metadata, &st);
}

/* The ABI grows by size: a newer caller's bigger struct gets the known part. */
TEST_F(abi, status_with_larger_size_fills_known_part_only)
{
	unsigned char buf[sizeof(struct kjump_status) + 64];
	struct kjump_status *st = (struct kjump_status *)buf;

	memset(buf, 0xcc, sizeof(buf));
	st->size = sizeof(buf);
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_STATUS, buf));
	EXPECT_EQ(sizeof(*st), st->size);
	EXPECT_EQ(U32(KJUMP_STATE_EMPTY), st->state);
	for (size_t i = sizeof(*st); i < sizeof(buf); i++) {
		EXPECT_EQ(0xcc, buf[i]) TH_LOG("byte %zu past the struct", i);
	}
}

TEST_F(abi, status_with_bad_pointer_is_efault)
{
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_STATUS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_STATUS, (void *)1));
}

/* ---- A valid LOAD and UNLOAD ------------------------------------------ */

FIXTURE(load) {
	int fd;
	struct kjump_region reg;
	struct req req;
};

FIXTURE_SETUP(load)
{
	const char *why;

	self->fd = open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", KJUMP_DEVICE, strerror(errno));
	unload_if_loaded(self->fd);
	why = load_refused(self->fd) ?: pick_region(self->fd, &self->reg, REGION_SIZE);
	if (why)
		SKIP(return, "%s", why);
	make_load(&self->req, &self->reg);
}

FIXTURE_TEARDOWN(load)
{
	unload_if_loaded(self->fd);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(load, valid_load_is_reported_by_status_and_sysfs)
{
	struct kjump_status st;
	char buf[128], want[128];
	uint64_t pfn;

	RETURN_IF_SETUP_SKIPPED();
	TH_LOG("region: low 0x%llx+0x%llx, main 0x%llx+0x%llx, %u segments",
	       (unsigned long long)self->reg.low_start,
	       (unsigned long long)self->reg.low_size,
	       (unsigned long long)self->reg.start,
	       (unsigned long long)self->reg.size, self->req.load.nr_segments);
	ASSERT_OK(status(self->fd, &st));
	pfn = st.jump_buf_pfn;

	ASSERT_OK(load(self->fd, &self->req));
	ASSERT_OK(status(self->fd, &st));
	EXPECT_EQ(U32(KJUMP_STATE_LOADED), st.state);
	EXPECT_EQ(0U, st.flags & (KJUMP_STATUS_LOAD_DISABLED | KJUMP_STATUS_PEER));
	EXPECT_EQ(self->req.load.nr_segments, st.nr_segments);
	EXPECT_EQ(self->req.load.entry, st.entry);
	EXPECT_EQ(0ULL, st.reentry);
	expect_region(_metadata, &self->reg, &st.region);
	EXPECT_EQ(pfn, st.jump_buf_pfn);
	EXPECT_EQ(0ULL, st.peer_buf_pfn);
	EXPECT_EQ((self->reg.low_size + self->reg.size) / PAGE, st.shadow_pages);
	EXPECT_LT(0ULL, st.list_pages);
	EXPECT_GT(st.shadow_pages, st.list_pages);
	EXPECT_EQ(0ULL, st.nr_jumps);
	expect_reserved_zero(_metadata, &st);

	EXPECT_STREQ("loaded", sysfs_str(SYSFS("state"), buf, sizeof(buf)));
	region_str(&self->reg, want, sizeof(want));
	EXPECT_STREQ(want, sysfs_str(SYSFS("region"), buf, sizeof(buf)));
}

TEST_F(load, second_load_is_ebusy_and_keeps_the_first)
{
	struct kjump_region other = self->reg;
	struct req second;
	struct kjump_status st;

	RETURN_IF_SETUP_SKIPPED();
	ASSERT_OK(load(self->fd, &self->req));
	other.low_size = 0;
	make_load(&second, &other);
	EXPECT_ERRNO(EBUSY, load(self->fd, &second));
	EXPECT_ERRNO(EBUSY, load(self->fd, &self->req));
	ASSERT_OK(status(self->fd, &st));
	EXPECT_EQ(U32(KJUMP_STATE_LOADED), st.state);
	expect_region(_metadata, &self->reg, &st.region);
	EXPECT_EQ(self->req.load.nr_segments, st.nr_segments);
}

TEST_F(load, unload_empties_and_second_unload_is_enoent)
{
	struct kjump_status st;
	char buf[128];

	RETURN_IF_SETUP_SKIPPED();
	ASSERT_OK(load(self->fd, &self->req));
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_UNLOAD, 0));
	ASSERT_OK(status(self->fd, &st));
	EXPECT_EQ(U32(KJUMP_STATE_EMPTY), st.state);
	EXPECT_EQ(0U, st.nr_segments);
	EXPECT_EQ(0ULL, st.entry);
	EXPECT_EQ(0ULL, st.region.size);
	EXPECT_EQ(0ULL, st.region.low_size);
	EXPECT_EQ(0ULL, st.shadow_pages);
	EXPECT_EQ(0ULL, st.list_pages);
	EXPECT_STREQ("empty", sysfs_str(SYSFS("state"), buf, sizeof(buf)));
	EXPECT_STREQ("none", sysfs_str(SYSFS("region"), buf, sizeof(buf)));
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, KJUMP_IOC_UNLOAD, 0));
}

TEST_F(load, unload_with_unknown_flag_is_einval)
{
	struct kjump_status st;

	RETURN_IF_SETUP_SKIPPED();
	/* Flags are checked before state: EINVAL, not ENOENT, when empty. */
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, KJUMP_IOC_UNLOAD, 0x80));
	ASSERT_OK(load(self->fd, &self->req));
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, KJUMP_IOC_UNLOAD, 0x80));
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, KJUMP_IOC_UNLOAD,
				   KJUMP_UNLOAD_DISCARD | 0x80));
	ASSERT_OK(status(self->fd, &st));
	EXPECT_EQ(U32(KJUMP_STATE_LOADED), st.state);
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_UNLOAD, 0));
}

TEST_F(load, unload_with_discard_flag_unloads_loaded_image)
{
	struct kjump_status st;

	RETURN_IF_SETUP_SKIPPED();
	ASSERT_OK(load(self->fd, &self->req));
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_UNLOAD, KJUMP_UNLOAD_DISCARD));
	ASSERT_OK(status(self->fd, &st));
	EXPECT_EQ(U32(KJUMP_STATE_EMPTY), st.state);
}

TEST_F(load, region_without_low_part_is_accepted)
{
	struct kjump_region reg = self->reg;
	struct kjump_status st;

	RETURN_IF_SETUP_SKIPPED();
	reg.low_start = reg.low_size = 0;
	make_load(&self->req, &reg);
	ASSERT_OK(load(self->fd, &self->req));
	ASSERT_OK(status(self->fd, &st));
	EXPECT_EQ(reg.size / PAGE, st.shadow_pages);
	EXPECT_EQ(0ULL, st.region.low_size);
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_UNLOAD, 0));
}

/* The other half of the size rule: a longer struct with a zero tail loads. */
TEST_F(load, larger_size_with_zero_tail_is_accepted)
{
	static unsigned char buf[PAGE];
	const __u32 sizes[] = { sizeof(struct kjump_load) + 8, PAGE };

	RETURN_IF_SETUP_SKIPPED();
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &self->req.load, sizeof(self->req.load));
		((struct kjump_load *)buf)->size = sizes[i];
		EXPECT_OK_AT(ioctl(self->fd, KJUMP_IOC_LOAD, buf), "size %u", sizes[i]);
		EXPECT_OK(ioctl(self->fd, KJUMP_IOC_UNLOAD, 0));
	}
}

/* ---- LOAD refuses every bad input, and stays usable -------------------- */

FIXTURE(bad_load) {
	int fd;
	struct kjump_region reg;
	struct req req;
	struct ram_range ram[MAX_RAM_RANGES];
	int nram;
	struct bounds b;
};

FIXTURE_SETUP(bad_load)
{
	const char *why;

	self->fd = open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", KJUMP_DEVICE, strerror(errno));
	unload_if_loaded(self->fd);
	self->nram = iomem_ram(self->ram, MAX_RAM_RANGES);
	ASSERT_OK(get_bounds(self->fd, &self->b));
	why = load_refused(self->fd) ?: pick_region(self->fd, &self->reg, REGION_SIZE);
	if (why)
		SKIP(return, "%s", why);
	make_load(&self->req, &self->reg);
}

/* Each refusal must leave nothing behind: a valid LOAD+UNLOAD still works. */
FIXTURE_TEARDOWN(bad_load)
{
	struct kjump_status st;

	if (self->fd < 0)
		return;
	if (!_metadata->skip) {
		EXPECT_OK(status(self->fd, &st));
		EXPECT_EQ(U32(KJUMP_STATE_EMPTY), st.state)
			TH_LOG("a refused LOAD left an image loaded");
		unload_if_loaded(self->fd);
		make_load(&self->req, &self->reg);
		EXPECT_OK_AT(load(self->fd, &self->req),
			     "(module unusable after the bad input)");
		EXPECT_OK(ioctl(self->fd, KJUMP_IOC_UNLOAD, 0));
	}
	close(self->fd);
}

#define EXPECT_LOAD_FAILS(err) EXPECT_ERRNO(err, load(self->fd, &self->req))
#define RESET() make_load(&self->req, &self->reg)

TEST_F(bad_load, size_below_struct_is_einval)
{
	const __u32 sizes[] = { 0, 4, 8, sizeof(struct kjump_load) - 8 };

	RETURN_IF_SETUP_SKIPPED();
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		self->req.load.size = sizes[i];
		EXPECT_LOAD_FAILS(EINVAL);
	}
}

TEST_F(bad_load, size_above_page_is_e2big)
{
	const __u32 sizes[] = { PAGE + 1, 1U << 20, 0xffffffffU };

	RETURN_IF_SETUP_SKIPPED();
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		self->req.load.size = sizes[i];
		EXPECT_LOAD_FAILS(E2BIG);
	}
}

TEST_F(bad_load, nonzero_trailing_byte_is_e2big)
{
	unsigned char buf[sizeof(struct kjump_load) + 64];
	const size_t at[] = { sizeof(struct kjump_load), sizeof(buf) - 1 };

	RETURN_IF_SETUP_SKIPPED();
	for (size_t i = 0; i < ARRAY_SIZE(at); i++) {
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &self->req.load, sizeof(self->req.load));
		((struct kjump_load *)buf)->size = sizeof(buf);
		buf[at[i]] = 1;
		EXPECT_ERRNO(E2BIG, ioctl(self->fd, KJUMP_IOC_LOAD, buf));
	}
}

TEST_F(bad_load, unknown_flags_are_einval)
{
	const __u32 flags[] = { 1U << 1, 1U << 31, ~0U };

	RETURN_IF_SETUP_SKIPPED();
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		self->req.load.flags = KJUMP_LOAD_PRESERVE_CONTEXT | flags[i];
		EXPECT_LOAD_FAILS(EINVAL);
	}
}

TEST_F(bad_load, nonzero_pad_or_reserved_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.load.elfcorehdr_seg = 1;	/* without KJUMP_LOAD_ELFCOREHDR */
	EXPECT_LOAD_FAILS(EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(self->req.load.reserved); i++) {
		RESET();
		self->req.load.reserved[i] = 1ULL << 63;
		EXPECT_LOAD_FAILS(EINVAL);
	}
}

TEST_F(bad_load, zero_segments_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.load.nr_segments = 0;
	EXPECT_LOAD_FAILS(EINVAL);
}

TEST_F(bad_load, too_many_segments_is_e2big)
{
	const __u32 nr[] = { KJUMP_MAX_SEGMENTS + 1, 0x08000001, 0xffffffffU };

	RETURN_IF_SETUP_SKIPPED();
	for (size_t i = 0; i < ARRAY_SIZE(nr); i++) {
		self->req.load.nr_segments = nr[i];
		EXPECT_LOAD_FAILS(E2BIG);
	}
}

TEST_F(bad_load, bad_segments_pointer_is_efault)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.load.segments = 1;
	EXPECT_LOAD_FAILS(EFAULT);
	self->req.load.segments = 0;
	EXPECT_LOAD_FAILS(EFAULT);
}

/* Found only after all shadow pages are taken: exercises the unwind. */
TEST_F(bad_load, bad_segment_buffer_is_efault)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.seg[0].buf = 1;
	EXPECT_LOAD_FAILS(EFAULT);
	RESET();
	self->req.seg[self->req.load.nr_segments - 1].buf = 0;
	if (self->req.seg[self->req.load.nr_segments - 1].bufsz)
		EXPECT_LOAD_FAILS(EFAULT);
}

TEST_F(bad_load, misaligned_region_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.load.region.start += PAGE / 2;
	EXPECT_LOAD_FAILS(EINVAL);
	RESET();
	self->req.load.region.size -= PAGE / 2;
	EXPECT_LOAD_FAILS(EINVAL);
	RESET();
	self->req.load.region.low_start = PAGE + PAGE / 2;
	self->req.load.region.low_size = PAGE;
	EXPECT_LOAD_FAILS(EINVAL);
	RESET();
	self->req.load.region.low_size = PAGE / 2;
	EXPECT_LOAD_FAILS(EINVAL);
}

TEST_F(bad_load, zero_size_region_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.load.region.size = 0;
	EXPECT_LOAD_FAILS(EINVAL);
}

TEST_F(bad_load, region_above_max_is_e2big)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.load.region.size = KJUMP_MAX_REGION + PAGE;
	EXPECT_LOAD_FAILS(E2BIG);
	self->req.load.region.size = 1ULL << 63;
	EXPECT_LOAD_FAILS(E2BIG);
}

TEST_F(bad_load, low_part_reaching_above_640k_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.load.region.low_start = KJUMP_LOW_LIMIT - PAGE;
	self->req.load.region.low_size = 2 * PAGE;
	EXPECT_LOAD_FAILS(EINVAL);
	self->req.load.region.low_start = KJUMP_LOW_LIMIT;
	self->req.load.region.low_size = PAGE;
	EXPECT_LOAD_FAILS(EINVAL);
	/* low_start + low_size wraps to a small end. */
	self->req.load.region.low_start = -2 * PAGE;
	self->req.load.region.low_size = 4 * PAGE;
	EXPECT_LOAD_FAILS(EINVAL);
}

TEST_F(bad_load, region_overlapping_low_part_or_wrapping_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	if (self->reg.low_size) {
		self->req.load.region.start = self->reg.low_start;
		EXPECT_LOAD_FAILS(EINVAL);
		RESET();
	}
	self->req.load.region.start = -2 * PAGE;
	self->req.load.region.size = 4 * PAGE;
	EXPECT_LOAD_FAILS(EINVAL);
}

/* Does [start, start + size) hold the jump buffer (LOAD says EADDRINUSE)? */
static bool holds_jump_buf(const struct bounds *b, uint64_t start, uint64_t size)
{
	return b->jump_buf >= start && b->jump_buf - start < size;
}

TEST_F(bad_load, region_not_ram_is_eaddrnotavail)
{
	uint64_t top = 0, start;
	int tested = 0;

	RETURN_IF_SETUP_SKIPPED();
	/* The local APIC page: never RAM on x86. */
	if (!iomem_touches_ram(self->ram, self->nram, 0xfee00000, 0xfef00000)) {
		self->req.load.region.start = 0xfee00000;
		self->req.load.region.size = MIB;
		EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
		tested++;
	}
	/* Above the end of RAM. */
	for (int i = 0; i < self->nram; i++)
		if (self->ram[i].end > top)
			top = self->ram[i].end;
	RESET();
	self->req.load.region.start = ROUND_UP(top, 2 * MIB) + 2 * MIB;
	self->req.load.region.size = REGION_SIZE;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
	tested++;
	/*
	 * Straddling the end of a RAM range, below the region limit: its last
	 * whole page and the (partly) non-RAM page after it.
	 */
	for (int i = 0; i < self->nram; i++) {
		start = ROUND_DOWN(self->ram[i].end, PAGE) - PAGE;
		if (start < self->reg.low_start + self->reg.low_size ||
		    start + 2 * PAGE > self->b.limit ||
		    iomem_is_ram(self->ram, self->nram, start, start + 2 * PAGE) ||
		    holds_jump_buf(&self->b, start, 2 * PAGE))
			continue;
		RESET();
		self->req.load.region.start = start;
		self->req.load.region.size = 2 * PAGE;
		EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
		tested++;
		break;
	}
	/* A low part that is not RAM (page 0 is usually reserved). */
	if (!iomem_touches_ram(self->ram, self->nram, 0, PAGE)) {
		RESET();
		self->req.load.region.low_start = 0;
		self->req.load.region.low_size = PAGE;
		EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
		tested++;
	}
	TH_LOG("%d non-RAM regions tried", tested);
}

/*
 * reg changed to hold the jump buffer: in its low part, or in a 2 MiB main
 * range (around, ending at or starting at the buffer) that is all RAM
 * below the limit.  NULL, or why there is none.  Out of line: inlined
 * under the harness's setjmp it draws -Wclobbered.
 */
static __attribute__((noinline)) const char *
region_holding(const struct bounds *b, const struct ram_range *ram, int nram,
	       struct kjump_region *reg)
{
	uint64_t page = ROUND_DOWN(b->jump_buf, PAGE);
	const uint64_t try[] = {
		ROUND_DOWN(page, 2 * MIB), page + PAGE - 2 * MIB, page,
	};

	if (page < KJUMP_LOW_LIMIT) {
		reg->low_start = page;
		reg->low_size = PAGE;
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(try); i++) {
		/* try[1] wraps when the buffer lies in the first 2 MiB. */
		if (try[i] > page || try[i] + 2 * MIB > b->limit || try[i] < KJUMP_LOW_LIMIT ||
		    !iomem_is_ram(ram, nram, try[i], try[i] + 2 * MIB))
			continue;
		if (try[i] < reg->low_start + reg->low_size)
			reg->low_start = reg->low_size = 0;
		reg->start = try[i];
		reg->size = 2 * MIB;
		return NULL;
	}
	return "no 2 MiB of RAM below the limit around the jump buffer";
}

/* B reads A's jump buffer in place: swapping it away would lose it. */
TEST_F(bad_load, region_holding_jump_buffer_is_eaddrinuse)
{
	struct kjump_region reg = self->reg;
	const char *why;

	RETURN_IF_SETUP_SKIPPED();
	TH_LOG("jump buffer at 0x%llx", (unsigned long long)self->b.jump_buf);
	why = region_holding(&self->b, self->ram, self->nram, &reg);
	if (why)
		SKIP(return, "%s", why);
	make_load(&self->req, &reg);
	EXPECT_LOAD_FAILS(EADDRINUSE);
}

TEST_F(bad_load, misaligned_segment_is_eaddrnotavail)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.seg[0].mem += PAGE / 2;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
	/* The module treats a partial-page memsz as misplacement too. */
	RESET();
	self->req.seg[0].memsz -= PAGE / 2;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
}

TEST_F(bad_load, segment_outside_region_is_eaddrnotavail)
{
	RETURN_IF_SETUP_SKIPPED();
	/* RAM, but below the region. */
	self->req.seg[0].mem = self->reg.start - 4 * MIB;
	self->req.load.entry = self->req.seg[0].mem;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
	RESET();
	self->req.seg[1].mem = self->reg.start + self->reg.size;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
}

TEST_F(bad_load, segment_straddling_region_edge_is_eaddrnotavail)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.seg[1].mem = self->reg.start + self->reg.size - PAGE;
	self->req.seg[1].memsz = 2 * PAGE;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
	RESET();
	self->req.seg[0].mem = self->reg.start - PAGE;
	self->req.seg[0].memsz = 2 * PAGE;
	self->req.seg[0].bufsz = PAGE;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
	/* From the low part into the main range: one segment, two parts. */
	if (self->reg.low_size) {
		RESET();
		self->req.seg[2].memsz = self->reg.start + PAGE - self->reg.low_start;
		EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
	}
}

TEST_F(bad_load, bufsz_above_memsz_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.seg[0].memsz = 32 * KIB;	/* bufsz is 64 KiB */
	EXPECT_LOAD_FAILS(EINVAL);
	RESET();
	self->req.seg[1].bufsz = self->req.seg[1].memsz + 1;
	self->req.seg[1].buf = (uintptr_t)seg_main;
	EXPECT_LOAD_FAILS(EINVAL);
}

TEST_F(bad_load, zero_memsz_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.seg[1].memsz = 0;
	EXPECT_LOAD_FAILS(EINVAL);
}

TEST_F(bad_load, overlapping_segments_are_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->req.seg[1].mem = self->req.seg[0].mem + 64 * KIB;
	EXPECT_LOAD_FAILS(EINVAL);
	RESET();
	self->req.seg[1] = self->req.seg[0];
	EXPECT_LOAD_FAILS(EINVAL);
}

TEST_F(bad_load, entry_in_no_segment_is_eaddrnotavail)
{
	RETURN_IF_SETUP_SKIPPED();
	/* In the region, but in no segment. */
	self->req.load.entry = self->reg.start + self->reg.size - PAGE;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
	/* Just past the first segment. */
	self->req.load.entry = self->req.seg[0].mem + self->req.seg[0].memsz;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
	self->req.load.entry = 0;
	EXPECT_LOAD_FAILS(EADDRNOTAVAIL);
}

/*
 * ENOMEM: a region larger than MemAvailable.  Where RAM has no contiguous
 * piece that large (i386's lowmem limit, the jump buffer splitting the
 * range), memory is taken first with a locked mapping until a 256 MiB
 * region no longer fits.
 */
TEST_F_TIMEOUT(bad_load, region_larger_than_free_memory_is_enomem, 120)
{
	int64_t avail = meminfo("MemAvailable");
	uint64_t s = 0, e = 0, size, hog = 0;
	void *mem = MAP_FAILED;

	RETURN_IF_SETUP_SKIPPED();
	if (avail < 0)
		SKIP(return, "no MemAvailable in /proc/meminfo");
	if (largest_piece(self->ram, self->nram, self->b.limit, self->b.jump_buf,
			  &s, &e))
		SKIP(return, "no System RAM range below 4 GiB");
	size = e - s;
	if (size > KJUMP_MAX_REGION)
		size = KJUMP_MAX_REGION;
	if (size <= (uint64_t)avail) {
		if (size < 256 * MIB)
			SKIP(return, "no 256 MiB piece of RAM to load into");
		size = 256 * MIB;
		hog = avail - size / 2;
		if (sizeof(void *) == 4 && hog > 2 * GIB)
			SKIP(return, "too much memory to take from a 32-bit process");
		mem = mmap(NULL, hog, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
			   -1, 0);
		if (mem == MAP_FAILED)
			SKIP(return, "cannot lock %llu MiB: %s",
			     (unsigned long long)(hog / MIB), strerror(errno));
		avail = meminfo("MemAvailable");
	}
	TH_LOG("region %llu MiB, MemAvailable %lld MiB (%llu MiB locked by the test)",
	       (unsigned long long)(size / MIB), (long long)(avail / MIB),
	       (unsigned long long)(hog / MIB));
	memset(&self->req.load.region, 0, sizeof(self->req.load.region));
	self->req.load.region.start = e - size;
	self->req.load.region.size = size;
	self->req.load.nr_segments = 1;
	self->req.seg[0].mem = e - size;
	self->req.load.entry = e - size;
	if (size > (uint64_t)avail) {
		EXPECT_LOAD_FAILS(ENOMEM);
	} else {
		TH_LOG("MemAvailable did not drop below the region size");
	}
	if (mem != MAP_FAILED)
		munmap(mem, hog);
	if (size <= (uint64_t)avail)
		SKIP(return, "could not make the region exceed MemAvailable");
}

TEST_F(bad_load, bad_argument_pointer_is_efault)
{
	unsigned char *pages;
	struct kjump_load *l;

	RETURN_IF_SETUP_SKIPPED();
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_LOAD, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_LOAD, (void *)1));

	/* size readable, the rest of the struct on an unmapped page. */
	pages = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(pages != MAP_FAILED);
	ASSERT_OK(munmap(pages + PAGE, PAGE));
	l = (struct kjump_load *)(pages + PAGE - 8);
	memcpy(l, &self->req.load, 8);
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_LOAD, l));
	munmap(pages, PAGE);
}

/* ---- JUMP refuses before it goes anywhere ------------------------------ */

/*
 * Nothing is loaded and no peer is set, so no JUMP here can leave this
 * kernel: each must be refused, and none may count as a jump.
 */
FIXTURE(jump) {
	int fd;
	struct kjump_jump j;
};

FIXTURE_SETUP(jump)
{
	const char *why;

	self->fd = open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", KJUMP_DEVICE, strerror(errno));
	unload_if_loaded(self->fd);
	ASSERT_EQ(1, write_file(SYSFS("kexec_jump_buf_pfn"), "0"))
		TH_LOG("clearing the peer: %s", strerror(errno));
	why = load_refused(self->fd);
	if (why)
		SKIP(return, "%s", why);
	memset(&self->j, 0, sizeof(self->j));
	self->j.size = sizeof(self->j);
}

FIXTURE_TEARDOWN(jump)
{
	struct kjump_status st;

	if (self->fd < 0)
		return;
	if (!_metadata->skip) {
		EXPECT_OK(status(self->fd, &st));
		EXPECT_EQ(U32(KJUMP_STATE_EMPTY), st.state);
		EXPECT_EQ(0ULL, st.nr_jumps) TH_LOG("a refused JUMP counted as a jump");
	}
	close(self->fd);
}

#define EXPECT_JUMP_FAILS(err) \
	EXPECT_ERRNO(err, ioctl(self->fd, KJUMP_IOC_JUMP, &self->j))

TEST_F(jump, jump_with_nothing_loaded_is_enoent)
{
	RETURN_IF_SETUP_SKIPPED();
	EXPECT_JUMP_FAILS(ENOENT);
}

TEST_F(jump, jump_back_without_peer_is_enoent)
{
	RETURN_IF_SETUP_SKIPPED();
	self->j.flags = KJUMP_JUMP_BACK;
	EXPECT_JUMP_FAILS(ENOENT);
	self->j.status = KJUMP_PEER_RETURNED;
	EXPECT_JUMP_FAILS(ENOENT);
}

TEST_F(jump, jump_with_bad_fields_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->j.size = sizeof(self->j) - 8;
	EXPECT_JUMP_FAILS(EINVAL);
	self->j.size = 0;
	EXPECT_JUMP_FAILS(EINVAL);
	self->j.size = sizeof(self->j);
	self->j.flags = 1U << 31;
	EXPECT_JUMP_FAILS(EINVAL);
	self->j.flags = 0;
	self->j.pad = 1;
	EXPECT_JUMP_FAILS(EINVAL);
	self->j.pad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(self->j.reserved); i++) {
		self->j.reserved[i] = 1;
		EXPECT_JUMP_FAILS(EINVAL);
		self->j.reserved[i] = 0;
	}
	/* A status to leave only makes sense going back. */
	self->j.status = KJUMP_PEER_RETURNED;
	EXPECT_JUMP_FAILS(EINVAL);
}

TEST_F(jump, jump_with_nonzero_trailing_byte_is_e2big)
{
	unsigned char buf[sizeof(struct kjump_jump) + 64] = { 0 };

	RETURN_IF_SETUP_SKIPPED();
	((struct kjump_jump *)buf)->size = sizeof(buf);
	buf[sizeof(buf) - 1] = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, KJUMP_IOC_JUMP, buf));
}

TEST_F(jump, jump_with_bad_pointer_is_efault)
{
	RETURN_IF_SETUP_SKIPPED();
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_JUMP, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_JUMP, (void *)1));
}

/*
 * The status and message fields are checked before the peer: in A, with
 * no peer, a good BACK is ENOENT and a bad one EINVAL or EFAULT.
 */
TEST_F(jump, back_with_bad_status_or_message_is_refused)
{
	char big[KJUMP_MSG_MAX + 8];

	RETURN_IF_SETUP_SKIPPED();
	self->j.flags = KJUMP_JUMP_BACK;
	self->j.status = KJUMP_PEER_NO_TARGET;
	EXPECT_JUMP_FAILS(ENOENT);
	/* PANICKED is the panic path's own. */
	self->j.status = KJUMP_PEER_PANICKED;
	EXPECT_JUMP_FAILS(EINVAL);
	self->j.status = KJUMP_PEER_NO_TARGET + 1;
	EXPECT_JUMP_FAILS(EINVAL);
	self->j.status = KJUMP_PEER_FAILED;
	self->j.msg = (uintptr_t)"cannot save: no disk";
	EXPECT_JUMP_FAILS(ENOENT);
	/* msg_size sizes A's buffer for a peer's text: not BACK's. */
	self->j.msg_size = 16;
	EXPECT_JUMP_FAILS(EINVAL);
	self->j.msg_size = 0;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	self->j.msg = (uintptr_t)big;
	EXPECT_JUMP_FAILS(EINVAL);
	big[KJUMP_MSG_MAX] = 0;		/* exactly KJUMP_MSG_MAX bytes */
	EXPECT_JUMP_FAILS(ENOENT);
	self->j.msg = 1;
	EXPECT_JUMP_FAILS(EFAULT);
}

TEST_F(jump, jump_with_bad_message_buffer_is_refused)
{
	char buf[64];

	RETURN_IF_SETUP_SKIPPED();
	memset(buf, 'x', sizeof(buf));
	self->j.msg = (uintptr_t)buf;
	self->j.msg_size = sizeof(buf);
	EXPECT_JUMP_FAILS(ENOENT);
	EXPECT_EQ(0, buf[0]) TH_LOG("the peer's message buffer was not cleared");
	EXPECT_EQ(U32(0), self->j.msg_len);
	/* Checked before the jump: a bad buffer fails, nothing happens. */
	self->j.msg = 1;
	EXPECT_JUMP_FAILS(EFAULT);
	/* C resumes through a staged image: no peer talks to it. */
	self->j.flags = KJUMP_JUMP_STAGED;
	self->j.msg = (uintptr_t)buf;
	EXPECT_JUMP_FAILS(EINVAL);
}

TEST_F(jump, savemap_going_back_is_einval)
{
	RETURN_IF_SETUP_SKIPPED();
	self->j.flags = KJUMP_JUMP_BACK | KJUMP_JUMP_SAVEMAP;
	EXPECT_JUMP_FAILS(EINVAL);
}

/* ---- sysfs --------------------------------------------------------------- */

FIXTURE(sysfs) {
	uint64_t pfn;	/* kexec_jump_buf_pfn as the test found it */
};

FIXTURE_SETUP(sysfs)
{
	if (access(KJUMP_SYSFS_DIR, F_OK))
		SKIP(return, "%s missing: kjump not loaded", KJUMP_SYSFS_DIR);
	ASSERT_OK(read_u64(SYSFS("kexec_jump_buf_pfn"), &self->pfn));
}

FIXTURE_TEARDOWN(sysfs)
{
}

TEST_F(sysfs, attributes_exist_with_expected_modes)
{
	static const struct {
		const char *path;
		mode_t mode;
	} attrs[] = {
		{ SYSFS("kexec_jump_buf_pfn"), 0644 },
		{ SYSFS("state"), 0444 },
		{ SYSFS("region"), 0444 },
		{ SYSFS("abi_version"), 0444 },
	};
	struct stat sb;

	RETURN_IF_SETUP_SKIPPED();
	for (size_t i = 0; i < ARRAY_SIZE(attrs); i++) {
		ASSERT_OK_AT(stat(attrs[i].path, &sb), "%s", attrs[i].path);
		EXPECT_TRUE(S_ISREG(sb.st_mode)) TH_LOG("%s", attrs[i].path);
		EXPECT_EQ(attrs[i].mode, sb.st_mode & 07777)
			TH_LOG("%s: mode 0%o", attrs[i].path, sb.st_mode & 07777);
		EXPECT_EQ(0U, sb.st_uid) TH_LOG("%s", attrs[i].path);
		/* Read-only means no store, even for root. */
		if (!(attrs[i].mode & 0200))
			EXPECT_ERRNO_AT(EACCES, open(attrs[i].path, O_WRONLY | O_CLOEXEC),
					"(%s)", attrs[i].path);
	}
}

/* The pfn of one of our own pages: RAM in use that is not a jump buffer. */
static uint64_t own_page_pfn(void *page)
{
	uint64_t ent = 0;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), (uintptr_t)page / PAGE * sizeof(ent)) !=
	    sizeof(ent))
		ent = 0;
	close(fd);
	if (!(ent & (1ULL << 63)))	/* not present */
		return 0;
	return ent & ((1ULL << 55) - 1);
}

/*
 * Nothing but a valid jump buffer of another kernel may become the peer;
 * probing the page must not upset the kernel either (no WARN).
 */
TEST_F(sysfs, bogus_pfn_write_is_einval_and_keeps_value)
{
	struct ram_range ram[MAX_RAM_RANGES];
	struct {
		const char *what;
		char val[32];
	} bogus[6];
	uint64_t pfn, mine, top = 0;
	int n = 0, nram, kmsg;
	char rec[1024];
	void *page;

	RETURN_IF_SETUP_SKIPPED();
	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	ASSERT_TRUE(page != MAP_FAILED);
	memset(page, 0xcc, PAGE);
	mine = own_page_pfn(page);
	nram = iomem_ram(ram, MAX_RAM_RANGES);
	for (int i = 0; i < nram; i++)
		if (ram[i].end > top)
			top = ram[i].end;

#define BOGUS(w, fmt, ...) do {						\
	bogus[n].what = w;						\
	snprintf(bogus[n++].val, sizeof(bogus[0].val), fmt, ##__VA_ARGS__); \
} while (0)
	BOGUS("pfn 1", "1");
	BOGUS("not a number", "garbage");
	/* A valid jump buffer, but this kernel's own: not a peer. */
	BOGUS("own jump buffer", "%llu", (unsigned long long)self->pfn);
	if (mine)	/* on i386 most likely a highmem page */
		BOGUS("a page of this process", "%llu", (unsigned long long)mine);
	else
		TH_LOG("no pfn from /proc/self/pagemap: ordinary page not tried");
	/* Where a peer's buffer lies for B: not RAM to this kernel. */
	if (top && !iomem_touches_ram(ram, nram, top + 16 * PAGE, top + 17 * PAGE))
		BOGUS("past the end of RAM", "%llu",
		      (unsigned long long)(top / PAGE + 16));
#undef BOGUS

	kmsg = kmsg_open(true);
	for (int i = 0; i < n; i++) {
		EXPECT_ERRNO_AT(EINVAL, write_file(SYSFS("kexec_jump_buf_pfn"), bogus[i].val),
				"(%s: \"%s\")", bogus[i].what, bogus[i].val);
		ASSERT_OK(read_u64(SYSFS("kexec_jump_buf_pfn"), &pfn));
		EXPECT_EQ(self->pfn, pfn) TH_LOG("after %s", bogus[i].what);
		while (kmsg >= 0 && kmsg_next(kmsg, rec, sizeof(rec)) > 0) {
			bool warned = strstr(rec, "WARNING:");

			EXPECT_FALSE(warned)
				TH_LOG("writing %s (\"%s\") made the kernel warn: %s",
				       bogus[i].what, bogus[i].val, rec);
		}
	}
	if (kmsg >= 0)
		close(kmsg);
	munmap(page, PAGE);
}

TEST_F(sysfs, zero_pfn_write_succeeds_and_shows_own_buffer)
{
	struct kjump_status st;
	uint64_t pfn;
	int fd;

	RETURN_IF_SETUP_SKIPPED();
	EXPECT_EQ(1, write_file(SYSFS("kexec_jump_buf_pfn"), "0"))
		TH_LOG("write \"0\": %s", strerror(errno));
	ASSERT_OK(read_u64(SYSFS("kexec_jump_buf_pfn"), &pfn));
	fd = open_dev();
	ASSERT_LE(0, fd);
	ASSERT_OK(status(fd, &st));
	close(fd);
	EXPECT_EQ(st.jump_buf_pfn, pfn);
	EXPECT_EQ(0U, st.flags & KJUMP_STATUS_PEER);
	EXPECT_EQ(0ULL, st.peer_buf_pfn);
}

/* ---- Who may use the device -------------------------------------------- */

/* One step of a child's work: return value and errno. */
struct outcome {
	long ret;
	int err;
};

#define MAX_OUTCOMES	8
#define RECORD(o, call) do {						\
	errno = 0;							\
	(o)->ret = (long)(call);					\
	(o)->err = errno;						\
} while (0)

/*
 * Run fn in a child so its credential changes die with it; its outcomes
 * come back in out[].  Steps it did not reach read ret -2.
 */
static int in_child(void (*fn)(struct outcome *), struct outcome *out)
{
	struct outcome *shm;
	int st = -1;
	pid_t pid;

	shm = mmap(NULL, sizeof(*shm) * MAX_OUTCOMES, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return -1;
	for (int i = 0; i < MAX_OUTCOMES; i++)
		shm[i] = (struct outcome){ .ret = -2 };
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		fn(shm);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	memcpy(out, shm, sizeof(*shm) * MAX_OUTCOMES);
	munmap(shm, sizeof(*shm) * MAX_OUTCOMES);
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

static int become_nobody(void)
{
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return -1;
	return 0;
}

/* Drop one capability from the effective, permitted and inheritable sets. */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	data[CAP_TO_INDEX(cap)].inheritable &= ~CAP_TO_MASK(cap);
	return syscall(SYS_capset, &hdr, data);
}

FIXTURE(perm) {
	int unused;
};

FIXTURE_SETUP(perm)
{
	if (access(KJUMP_DEVICE, F_OK))
		SKIP(return, "%s missing: kjump not loaded", KJUMP_DEVICE);
	if (getuid() != 0)
		SKIP(return, "must run as root");
}

FIXTURE_TEARDOWN(perm)
{
}

TEST_F(perm, device_is_root_only_misc_char_device)
{
	struct stat sb;

	RETURN_IF_SETUP_SKIPPED();
	ASSERT_OK(stat(KJUMP_DEVICE, &sb));
	EXPECT_TRUE(S_ISCHR(sb.st_mode));
	EXPECT_EQ(0600U, sb.st_mode & 07777) TH_LOG("mode 0%o", sb.st_mode & 07777);
	EXPECT_EQ(0U, sb.st_uid);
	EXPECT_EQ(0U, sb.st_gid);
	EXPECT_EQ(10U, major(sb.st_rdev)) TH_LOG("not a misc device");
}

static void nobody_opens(struct outcome *o)
{
	RECORD(&o[0], become_nobody());
	RECORD(&o[1], open(KJUMP_DEVICE, O_RDWR | O_CLOEXEC));
	RECORD(&o[2], open(KJUMP_DEVICE, O_RDONLY | O_CLOEXEC));
}

TEST_F(perm, unprivileged_user_cannot_open)
{
	struct outcome o[MAX_OUTCOMES];

	RETURN_IF_SETUP_SKIPPED();
	ASSERT_OK(in_child(nobody_opens, o));
	ASSERT_EQ(0, o[0].ret) TH_LOG("setuid(65534): %s", strerror(o[0].err));
	EXPECT_EQ(-1, o[1].ret);
	EXPECT_EQ(EACCES, o[1].err) TH_LOG("O_RDWR: %s", strerror(o[1].err));
	EXPECT_EQ(-1, o[2].ret);
	EXPECT_EQ(EACCES, o[2].err) TH_LOG("O_RDONLY: %s", strerror(o[2].err));
}

static void root_without_cap_sys_boot(struct outcome *o)
{
	struct kjump_status st;
	struct kjump_load l = { .size = sizeof(l) };
	struct kjump_jump j = { .size = sizeof(j) };
	__u32 v;
	int fd = open_dev();

	RECORD(&o[0], fd < 0 ? -1 : drop_cap(CAP_SYS_BOOT));
	RECORD(&o[1], open_dev());
	RECORD(&o[2], ioctl(fd, KJUMP_IOC_VERSION, &v));
	RECORD(&o[3], status(fd, &st));
	RECORD(&o[4], ioctl(fd, KJUMP_IOC_LOAD, &l));
	RECORD(&o[5], ioctl(fd, KJUMP_IOC_UNLOAD, 0));
	RECORD(&o[6], ioctl(fd, KJUMP_IOC_JUMP, &j));
	RECORD(&o[7], write_file(SYSFS("kexec_jump_buf_pfn"), "0"));
}

TEST_F(perm, root_without_cap_sys_boot_gets_eperm)
{
	static const char *const step[] = {
		"capset", "open", "VERSION", "STATUS", "LOAD", "UNLOAD", "JUMP",
		"write kexec_jump_buf_pfn",
	};
	struct outcome o[MAX_OUTCOMES];

	RETURN_IF_SETUP_SKIPPED();
	ASSERT_OK(in_child(root_without_cap_sys_boot, o));
	ASSERT_EQ(0, o[0].ret) TH_LOG("open+capset: %s", strerror(o[0].err));
	for (size_t i = 1; i < ARRAY_SIZE(step); i++) {
		EXPECT_EQ(-1, o[i].ret) TH_LOG("%s succeeded", step[i]);
		EXPECT_EQ(EPERM, o[i].err)
			TH_LOG("%s: %s", step[i], strerror(o[i].err));
	}
}

static void open_then_become_nobody(struct outcome *o)
{
	__u32 v;
	int fd = open_dev();

	RECORD(&o[0], fd < 0 ? -1 : become_nobody());
	RECORD(&o[1], ioctl(fd, KJUMP_IOC_VERSION, &v));
}

/* Capabilities are checked per call, not just at open. */
TEST_F(perm, fd_opened_by_root_is_useless_after_setuid)
{
	struct outcome o[MAX_OUTCOMES];

	RETURN_IF_SETUP_SKIPPED();
	ASSERT_OK(in_child(open_then_become_nobody, o));
	ASSERT_EQ(0, o[0].ret) TH_LOG("open+setuid: %s", strerror(o[0].err));
	EXPECT_EQ(-1, o[1].ret);
	EXPECT_EQ(EPERM, o[1].err) TH_LOG("VERSION: %s", strerror(o[1].err));
}

/* ---- Lifecycle: leaks, rmmod, a refused module load --------------------- */

FIXTURE(lifecycle) {
	int fd;
	struct kjump_region reg;
	struct req req;
};

FIXTURE_SETUP(lifecycle)
{
	const char *why;

	if (!module_present() && have_modprobe())
		run_cmd("modprobe kjump");
	ASSERT_TRUE(module_present()) TH_LOG("kjump is not loaded");
	/* Tests open the device themselves: rmmod needs it closed. */
	self->fd = open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", KJUMP_DEVICE, strerror(errno));
	unload_if_loaded(self->fd);
	why = load_refused(self->fd) ?: pick_region(self->fd, &self->reg, REGION_SIZE);
	close(self->fd);
	self->fd = -1;
	if (why)
		SKIP(return, "%s", why);
	make_load(&self->req, &self->reg);
}

/* Later tests need the module back, whatever happened here. */
FIXTURE_TEARDOWN(lifecycle)
{
	if (self->fd >= 0)
		close(self->fd);
	if (!module_present()) {
		EXPECT_EQ(0, run_cmd("modprobe kjump"))
			TH_LOG("could not reload kjump for the remaining tests");
	}
}

static void log_mem(struct __test_metadata *_metadata, const char *when,
		    const struct mem_snap *m)
{
	TH_LOG("%-12s MemFree %lld KiB + per-cpu lists %lld KiB = free %lld KiB, SUnreclaim %lld KiB",
	       when, (long long)m->memfree / 1024, (long long)m->pcp / 1024,
	       (long long)m->free / 1024, (long long)m->sunreclaim / 1024);
}

TEST_F_TIMEOUT(lifecycle, load_unload_cycles_leak_nothing, 300)
{
	struct mem_snap m0, m1;

	RETURN_IF_SETUP_SKIPPED();
	self->fd = open_dev();
	ASSERT_LE(0, self->fd);

	/* Warm-up: first-use allocations (per-cpu lists, slabs) are not leaks. */
	ASSERT_OK(load(self->fd, &self->req));
	ASSERT_OK(ioctl(self->fd, KJUMP_IOC_UNLOAD, 0));
	if (mem_snap(&m0))
		SKIP(return, "no MemFree/SUnreclaim/zoneinfo to measure with");

	for (int i = 0; i < LEAK_CYCLES; i++) {
		ASSERT_OK_AT(load(self->fd, &self->req), "cycle %d", i);
		ASSERT_OK_AT(ioctl(self->fd, KJUMP_IOC_UNLOAD, 0), "cycle %d", i);
	}
	ASSERT_OK(mem_snap(&m1));

	TH_LOG("%d LOAD/UNLOAD cycles, %llu MiB region:", LEAK_CYCLES,
	       (unsigned long long)((self->reg.size + self->reg.low_size) / MIB));
	log_mem(_metadata, "before", &m0);
	log_mem(_metadata, "after", &m1);
	EXPECT_GE(m1.free + (int64_t)LEAK_FREE_SLACK, m0.free)
		TH_LOG("free memory dropped by %lld KiB", (long long)(m0.free - m1.free) / 1024);
	EXPECT_LE(m1.sunreclaim, m0.sunreclaim + (int64_t)LEAK_SLAB_SLACK)
		TH_LOG("SUnreclaim grew by %lld KiB",
		       (long long)(m1.sunreclaim - m0.sunreclaim) / 1024);
}

TEST_F(lifecycle, rmmod_with_image_loaded_frees_it)
{
	struct mem_snap before, loaded, after;
	struct kjump_status st;
	__u32 v;

	RETURN_IF_SETUP_SKIPPED();
	if (!have_modprobe())
		SKIP(return, "no modprobe to bring kjump back");
	if (mem_snap(&before))
		SKIP(return, "no MemFree/SUnreclaim/zoneinfo to measure with");

	self->fd = open_dev();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(load(self->fd, &self->req));
	close(self->fd);
	self->fd = -1;
	ASSERT_OK(mem_snap(&loaded));

	ASSERT_OK(module_remove());
	EXPECT_FALSE(module_present());
	EXPECT_NE(0, access(KJUMP_DEVICE, F_OK));
	EXPECT_NE(0, access(KJUMP_SYSFS_DIR, F_OK));
	ASSERT_OK(mem_snap(&after));
	log_mem(_metadata, "before load", &before);
	log_mem(_metadata, "loaded", &loaded);
	log_mem(_metadata, "after rmmod", &after);
	/* The image really held its shadow pages ... */
	EXPECT_LE(loaded.free + (int64_t)(self->reg.size / 2), before.free);
	/* ... and rmmod gave them back. */
	EXPECT_GE(after.free + (int64_t)LEAK_FREE_SLACK, before.free)
		TH_LOG("free memory dropped by %lld KiB",
		       (long long)(before.free - after.free) / 1024);

	ASSERT_EQ(0, run_cmd("modprobe kjump"));
	self->fd = open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open after modprobe: %s", strerror(errno));
	memset(&v, 0xcc, sizeof(v));
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_VERSION, &v));
	EXPECT_EQ(U32(KJUMP_ABI_VERSION), v);
	ASSERT_OK(status(self->fd, &st));
	EXPECT_EQ(U32(KJUMP_STATE_EMPTY), st.state);
}

TEST_F(lifecycle, rmmod_with_open_fd_is_refused)
{
	__u32 v;

	RETURN_IF_SETUP_SKIPPED();
	self->fd = open_dev();
	ASSERT_LE(0, self->fd);
	EXPECT_ERRNO(EWOULDBLOCK, module_remove());
	EXPECT_TRUE(module_present());
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_VERSION, &v));
}

TEST_F(lifecycle, missing_kernel_symbol_refuses_module_load)
{
	int kmsg, ret;
	__u32 v;

	RETURN_IF_SETUP_SKIPPED();
	if (!have_modprobe())
		SKIP(return, "no modprobe");
	kmsg = kmsg_open(true);
	if (kmsg < 0)
		SKIP(return, "no /dev/kmsg: %s", strerror(errno));

	ASSERT_OK(module_remove());
	ret = run_cmd("modprobe kjump require_symbol=" MISSING_SYMBOL);
	EXPECT_NE(0, ret) TH_LOG("modprobe with a missing symbol succeeded");
	EXPECT_FALSE(module_present());
	EXPECT_TRUE(kmsg_contains(kmsg, "kernel symbol " MISSING_SYMBOL " not found"))
		TH_LOG("no refusal naming the symbol in the kernel log");
	close(kmsg);

	if (module_present())
		module_remove();
	ASSERT_EQ(0, run_cmd("modprobe kjump"));
	self->fd = open_dev();
	ASSERT_LE(0, self->fd);
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_VERSION, &v));
}

/* ---- Last: the log, then the one-way switches -------------------------- */

FIXTURE(final) {
	int fd;
	struct kjump_region reg;
	struct req req;
	const char *why;	/* no region: LOAD cannot be tried */
};

FIXTURE_SETUP(final)
{
	self->fd = open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", KJUMP_DEVICE, strerror(errno));
	unload_if_loaded(self->fd);
	self->why = pick_region(self->fd, &self->reg, REGION_SIZE);
	if (!self->why)
		make_load(&self->req, &self->reg);
}

FIXTURE_TEARDOWN(final)
{
	unload_if_loaded(self->fd);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(final, kernel_log_has_no_warning_or_oops)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "KASAN",
		"UBSAN", "kernel BUG", "Call Trace",
	};
	char rec[2048];
	int fd, found = 0, context = 0;

	fd = kmsg_open(false);
	if (fd < 0)
		SKIP(return, "no /dev/kmsg: %s", strerror(errno));
	while (kmsg_next(fd, rec, sizeof(rec)) > 0) {
		bool hit = false;

		for (size_t i = 0; i < ARRAY_SIZE(bad) && !hit; i++)
			hit = strstr(rec, bad[i]);
		if (hit) {
			found++;
			context = 24;	/* enough of the trace to name the culprit */
		}
		if (hit || context-- > 0)
			TH_LOG("kernel log: %s", rec);
		if (strstr(rec, "---[ end trace"))
			context = 0;
	}
	close(fd);
	EXPECT_EQ(0, found);
}

/* What chroot_child works with (in_child passes no arguments). */
static struct {
	const char *dir;
	int fd;
	struct req *req;
} chroot_args;

/* LOAD from an empty chroot: no /proc there to read the sysctl from. */
static void chroot_child(struct outcome *o)
{
	RECORD(&o[0], chroot(chroot_args.dir) || chdir("/"));
	RECORD(&o[1], load(chroot_args.fd, chroot_args.req));
	if (o[1].ret == 0)
		ioctl(chroot_args.fd, KJUMP_IOC_UNLOAD, 0);
}

static bool locked_down(void)
{
	char buf[128];

	if (read_file(LOCKDOWN, buf, sizeof(buf)) < 0)
		return false;
	return !strstr(buf, "[none]");
}

/* One-way: kernel.kexec_load_disabled cannot be cleared until reboot. */
TEST_F(final, load_refused_when_kexec_load_disabled)
{
	char dir[] = "/tmp/kjump-chroot-XXXXXX";
	struct kjump_jump jump = { .size = sizeof(jump) };
	struct outcome o[MAX_OUTCOMES];
	struct kjump_status st;
	char buf[16];

	if (access(KEXEC_LOAD_DISABLED, F_OK))
		SKIP(return, "no %s (kernel without kexec)", KEXEC_LOAD_DISABLED);
	if (self->why)
		SKIP(return, "%s", self->why);
	ASSERT_EQ(1, write_file(KEXEC_LOAD_DISABLED, "1"))
		TH_LOG("write %s: %s", KEXEC_LOAD_DISABLED, strerror(errno));
	EXPECT_STREQ("1", sysfs_str(KEXEC_LOAD_DISABLED, buf, sizeof(buf)));

	EXPECT_ERRNO(EPERM, load(self->fd, &self->req));
	EXPECT_ERRNO(EPERM, ioctl(self->fd, KJUMP_IOC_JUMP, &jump));
	EXPECT_OK(status(self->fd, &st));
	EXPECT_EQ(U32(KJUMP_STATE_EMPTY), st.state);
	EXPECT_NE(0U, st.flags & KJUMP_STATUS_LOAD_DISABLED);
	if (!locked_down()) {
		EXPECT_EQ(0U, st.flags & KJUMP_STATUS_LOCKDOWN);
	}

	/* The sysctl binds every caller, also one that cannot see /proc. */
	if (!mkdtemp(dir)) {
		strcpy(dir, "/kjump-chroot-XXXXXX");
		ASSERT_TRUE(mkdtemp(dir) != NULL) TH_LOG("mkdtemp: %s", strerror(errno));
	}
	chroot_args.dir = dir;
	chroot_args.fd = self->fd;
	chroot_args.req = &self->req;
	EXPECT_OK(in_child(chroot_child, o));
	rmdir(dir);
	EXPECT_EQ(0, o[0].ret) TH_LOG("chroot: %s", strerror(o[0].err));
	EXPECT_EQ(-1, o[1].ret) TH_LOG("LOAD from a chroot without /proc succeeded");
	EXPECT_EQ(EPERM, o[1].err) TH_LOG("LOAD from chroot: %s", strerror(o[1].err));
}

/* One-way: lockdown can only be raised. */
TEST_F(final, load_refused_under_lockdown)
{
	struct kjump_jump jump = { .size = sizeof(jump) };
	struct kjump_status st;
	char buf[128];

	if (!*sysfs_str(LOCKDOWN, buf, sizeof(buf)))
		SKIP(return, "no %s: lockdown LSM not active", LOCKDOWN);
	if (!strstr(buf, "integrity"))
		SKIP(return, "lockdown offers no integrity mode: %s", buf);
	if (!locked_down() && write_file(LOCKDOWN, "integrity") < 0)
		SKIP(return, "lockdown refused \"integrity\": %s", strerror(errno));
	ASSERT_TRUE(locked_down());

	/* STATUS reports lockdown once a LOAD or JUMP has met it (asking the
	 * LSM logs a notice, so a query alone does not ask). */
	EXPECT_ERRNO(EPERM, ioctl(self->fd, KJUMP_IOC_JUMP, &jump));
	EXPECT_OK(status(self->fd, &st));
	EXPECT_NE(0U, st.flags & KJUMP_STATUS_LOCKDOWN);
	EXPECT_EQ(U32(KJUMP_STATE_EMPTY), st.state);
	if (self->why)
		SKIP(return, "%s", self->why);
	EXPECT_ERRNO(EPERM, load(self->fd, &self->req));
}

TEST_HARNESS_MAIN
