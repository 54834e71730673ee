// SPDX-License-Identifier: GPL-2.0
/*
 * kjump selftest: KJUMP_IOC_RESTORE, D's writes of A's pages on resume.
 * In A (no peer) the argument checks; in a B (kexec_jump_buf_pfn= on the
 * command line; b-roundtrip runs this) what may be written: the peer's
 * RAM outside this kernel's own.  And STAGE_MAP, STAGE and STAGE_DROP, C's
 * way to resume without D: their checks, and that nothing is left behind.  Apart from kjump_test so that a B can
 * run these alone (this harness has no test filter).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kjump.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"	/* __timeout_handler */
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#include "kjump_test_util.h"

/* kexec_jump_buf_pfn= from the command line: set in a B or D. */
static int cmdline_peer_pfn(unsigned long long *pfn)
{
	char buf[4096], *p;
	FILE *f = fopen("/proc/cmdline", "re");
	int ok = 0;

	if (f && fgets(buf, sizeof(buf), f)) {
		p = strstr(buf, "kexec_jump_buf_pfn=");
		if (p && (p == buf || p[-1] == ' ')) {
			*pfn = strtoull(p + strlen("kexec_jump_buf_pfn="), NULL, 0);
			ok = 1;
		}
	}
	if (f)
		fclose(f);
	return ok;
}

/* The pfn of a page of this process: RAM of this kernel. */
static unsigned long long own_pfn(void)
{
	static char page[PAGE] __attribute__((aligned(PAGE)));
	unsigned long long e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	page[0] = 1;
	if (fd < 0 || pread(fd, &e, 8, (off_t)((uintptr_t)page / PAGE * 8)) != 8)
		e = 0;
	if (fd >= 0)
		close(fd);
	return (e & (1ULL << 63)) ? e & ((1ULL << 55) - 1) : 0;
}

FIXTURE(restore) {
	int fd;
	unsigned long long peer;	/* the peer's jump buffer pfn, or 0 */
	struct kjump_restore r;
};

FIXTURE_SETUP(restore)
{
	const char *why;

	self->fd = open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", KJUMP_DEVICE, strerror(errno));
	why = load_refused(self->fd);
	if (why)
		SKIP(return, "%s", why);
	self->peer = 0;
	if (!cmdline_peer_pfn(&self->peer))
		ASSERT_EQ(1, write_file(SYSFS("kexec_jump_buf_pfn"), "0"))
			TH_LOG("clearing the peer: %s", strerror(errno));
	memset(&self->r, 0, sizeof(self->r));
	self->r.size = sizeof(self->r);
	self->r.flags = KJUMP_RESTORE_CHECK;
	self->r.nr_pages = 1;
	self->r.pfn = 0x100;
}

FIXTURE_TEARDOWN(restore)
{
	if (self->fd >= 0)
		close(self->fd);
}

#define EXPECT_RESTORE_FAILS(err) \
	EXPECT_ERRNO(err, ioctl(self->fd, KJUMP_IOC_RESTORE, &self->r))

TEST_F(restore, restore_without_peer_is_enoent)
{
	RETURN_IF_SETUP_SKIPPED();
	if (self->peer)
		SKIP(return, "this kernel has a peer (it is a B)");
	EXPECT_RESTORE_FAILS(ENOENT);
}

TEST_F(restore, restore_with_bad_fields_is_einval_or_e2big)
{
	RETURN_IF_SETUP_SKIPPED();
	self->r.size = 8;
	EXPECT_RESTORE_FAILS(EINVAL);
	self->r.size = sizeof(self->r);
	self->r.flags = 1U << 7;
	EXPECT_RESTORE_FAILS(EINVAL);
	self->r.flags = KJUMP_RESTORE_CHECK;
	for (size_t i = 0; i < ARRAY_SIZE(self->r.reserved); i++) {
		self->r.reserved[i] = 1;
		EXPECT_RESTORE_FAILS(EINVAL);
		self->r.reserved[i] = 0;
	}
	self->r.nr_pages = 0;
	EXPECT_RESTORE_FAILS(EINVAL);
	self->r.nr_pages = KJUMP_RESTORE_MAX_PAGES + 1;
	EXPECT_RESTORE_FAILS(E2BIG);
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_RESTORE, NULL));
}

/*
 * In a B (peer set from the command line): what may be written is the
 * peer's RAM outside ours; our own RAM and what is no RAM at all are
 * refused before anything is written.  CHECK only: nothing is written.
 */
TEST_F(restore, restore_is_confined_to_the_peers_ram_outside_ours)
{
	char own[64];

	RETURN_IF_SETUP_SKIPPED();
	if (!self->peer)
		SKIP(return, "no kexec_jump_buf_pfn= on the command line: not a B");
	snprintf(own, sizeof(own), "%llu", self->peer);
	ASSERT_EQ((ssize_t)strlen(own), write_file(SYSFS("kexec_jump_buf_pfn"), own))
		TH_LOG("setting the peer %s: %s", own, strerror(errno));
	/* The peer's jump buffer: the peer's RAM, not ours. */
	self->r.pfn = self->peer;
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_RESTORE, &self->r));
	/* Our own memory: this fixture lives there. */
	self->r.pfn = own_pfn();
	ASSERT_NE(0ULL, self->r.pfn) TH_LOG("no pfn from /proc/self/pagemap");
	EXPECT_RESTORE_FAILS(EADDRNOTAVAIL);
	/* Far beyond any RAM of a test guest. */
	self->r.pfn = 1ULL << 30;
	EXPECT_RESTORE_FAILS(EADDRNOTAVAIL);
}

/* ---- STAGE: C's resume without D ---- */

FIXTURE(stage) {
	int fd;
	unsigned long long peer;
	struct kjump_stage_range ranges[2];
	struct kjump_stage_map map;
	struct kjump_restore r;
	char *data;
};

FIXTURE_SETUP(stage)
{
	struct kjump_status st = { .size = sizeof(st) };
	const char *why;

	self->data = NULL;
	self->fd = open_dev();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", KJUMP_DEVICE, strerror(errno));
	why = load_refused(self->fd);
	if (why)
		SKIP(return, "%s", why);
	ASSERT_OK(ioctl(self->fd, KJUMP_IOC_STATUS, &st));
	ASSERT_EQ(0ULL, st.staged_pages) TH_LOG("a staging was left behind");
	self->peer = (st.flags & KJUMP_STATUS_PEER) != 0;
	/* Two pages of this process: RAM of this kernel, in use. */
	self->data = aligned_alloc(PAGE, 2 * PAGE);
	ASSERT_TRUE(self->data != NULL);
	memset(self->data, 0x5a, 2 * PAGE);
	self->ranges[0].pfn = own_pfn();
	ASSERT_NE(0ULL, self->ranges[0].pfn) TH_LOG("no pfn from /proc/self/pagemap");
	self->ranges[0].nr = 1;
	self->ranges[1].pfn = self->ranges[0].pfn + 1;
	self->ranges[1].nr = 1;
	memset(&self->map, 0, sizeof(self->map));
	self->map.size = sizeof(self->map);
	self->map.nr_ranges = 2;
	self->map.ranges = (uintptr_t)self->ranges;
	self->map.jump_buf_pfn = self->ranges[0].pfn;
	memset(&self->r, 0, sizeof(self->r));
	self->r.size = sizeof(self->r);
	self->r.pfn = self->ranges[0].pfn;
	self->r.nr_pages = 1;
	self->r.buf = (uintptr_t)self->data;
}

FIXTURE_TEARDOWN(stage)
{
	if (self->fd >= 0) {
		ioctl(self->fd, KJUMP_IOC_STAGE_DROP, 0);
		close(self->fd);
	}
	free(self->data);
}

/*
 * MemAvailable, plus the free pages the per-CPU lists hold: those are not
 * counted free, and since 6.7 the lists can grow to tens of MiB when a
 * lot is freed at once, as STAGE_DROP does.
 */
static int64_t mem_available_all(void)
{
	int64_t avail = meminfo("MemAvailable"), pcp = 0;
	char line[256];
	long long n;
	FILE *f = fopen("/proc/zoneinfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &n) == 1)
			pcp += n;
	if (f)
		fclose(f);
	return avail + pcp * PAGE;
}

static unsigned long long staged_pages(int fd)
{
	struct kjump_status st = { .size = sizeof(st) };

	return ioctl(fd, KJUMP_IOC_STATUS, &st) ? ~0ULL : st.staged_pages;
}

#define EXPECT_MAP_FAILS(err) \
	EXPECT_ERRNO(err, ioctl(self->fd, KJUMP_IOC_STAGE_MAP, &self->map))

TEST_F(stage, stage_without_a_map_is_enoent)
{
	struct kjump_jump j = { .size = sizeof(j), .flags = KJUMP_JUMP_STAGED };

	RETURN_IF_SETUP_SKIPPED();
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, KJUMP_IOC_STAGE_DROP, 0));
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, KJUMP_IOC_JUMP, &j));
	j.flags = KJUMP_JUMP_STAGED | KJUMP_JUMP_BACK;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, KJUMP_IOC_JUMP, &j));
}

TEST_F(stage, stage_map_refuses_bad_fields_and_keeps_nothing)
{
	/* Checked before the peer (a B refuses STAGE_MAP with EBUSY), so in a B too. */
	RETURN_IF_SETUP_SKIPPED();
	self->map.size = 8;
	EXPECT_MAP_FAILS(EINVAL);
	self->map.size = sizeof(self->map);
	self->map.flags = 1;
	EXPECT_MAP_FAILS(EINVAL);
	self->map.flags = 0;
	self->map.pad = 1;
	EXPECT_MAP_FAILS(EINVAL);
	self->map.pad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(self->map.reserved); i++) {
		self->map.reserved[i] = 1;
		EXPECT_MAP_FAILS(EINVAL);
		self->map.reserved[i] = 0;
	}
	self->map.nr_ranges = 0;
	EXPECT_MAP_FAILS(EINVAL);
	self->map.nr_ranges = KJUMP_STAGE_MAX_RANGES + 1;
	EXPECT_MAP_FAILS(E2BIG);
	self->map.nr_ranges = 2;
	self->map.ranges = 0;
	EXPECT_MAP_FAILS(EFAULT);
	self->map.ranges = (uintptr_t)self->ranges;
	/*
	 * No RAM there (the IOAPIC's page; 4 TiB up, which an i386 kernel's
	 * 32-bit list could not reach anyway); an empty range; a page
	 * declared twice.
	 */
	self->ranges[1].pfn = 0xfec00;
	EXPECT_MAP_FAILS(EADDRNOTAVAIL);
	self->ranges[1].pfn = 1ULL << 30;
	EXPECT_MAP_FAILS(sizeof(long) == 4 ? ERANGE : EADDRNOTAVAIL);
	self->ranges[1].pfn = self->ranges[0].pfn + 1;
	self->ranges[1].nr = 0;
	EXPECT_MAP_FAILS(EADDRNOTAVAIL);
	self->ranges[1].pfn = self->ranges[0].pfn;
	self->ranges[1].nr = 1;
	EXPECT_MAP_FAILS(EINVAL);
	/* The jump buffer must be one of the declared pages. */
	self->ranges[1].pfn = self->ranges[0].pfn + 1;
	self->map.jump_buf_pfn = self->ranges[0].pfn + 2;
	EXPECT_MAP_FAILS(EINVAL);
	EXPECT_EQ(0ULL, staged_pages(self->fd));
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, KJUMP_IOC_STAGE_DROP, 0));
}

/*
 * A whole staging of two pages, short of a jump.  The declared jump
 * buffer's page gets this test's bytes, which are none: STAGE refuses
 * them as they arrive (a tool learns of it before it marks its image
 * used), and a call that carries them stages nothing.
 */
TEST_F(stage, stage_takes_each_declared_page_once_and_drops_all)
{
	struct kjump_jump j = { .size = sizeof(j), .flags = KJUMP_JUMP_STAGED };

	RETURN_IF_SETUP_SKIPPED();
	if (self->peer) {
		/* A B (or D) has a peer: staging is for a C. */
		EXPECT_MAP_FAILS(EBUSY);
		EXPECT_EQ(0ULL, staged_pages(self->fd));
		return;
	}
	ASSERT_OK(ioctl(self->fd, KJUMP_IOC_STAGE_MAP, &self->map));
	EXPECT_MAP_FAILS(EBUSY);
	/* C is nobody's peer while it stages. */
	EXPECT_EQ(-1, write_file(SYSFS("kexec_jump_buf_pfn"), "0"));
	EXPECT_EQ(EBUSY, errno);
	/* Not declared, also 4 GiB of pages on (i386 must not wrap); a bad buffer. */
	self->r.pfn = self->ranges[0].pfn + 2;
	EXPECT_ERRNO(EADDRNOTAVAIL, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	self->r.pfn = self->ranges[1].pfn + (1ULL << 32);
	EXPECT_ERRNO(EADDRNOTAVAIL, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	self->r.pfn = self->ranges[1].pfn;
	self->r.nr_pages = 2;
	EXPECT_ERRNO(EADDRNOTAVAIL, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	self->r.pfn = self->ranges[0].pfn;
	self->r.nr_pages = 3;
	EXPECT_ERRNO(EADDRNOTAVAIL, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	self->r.nr_pages = KJUMP_RESTORE_MAX_PAGES + 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	self->r.nr_pages = 1;
	self->r.buf = 4096;
	EXPECT_ERRNO(EFAULT, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	self->r.buf = (uintptr_t)self->data;
	self->r.flags = KJUMP_RESTORE_CHECK;
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	self->r.flags = 0;
	EXPECT_EQ(0ULL, staged_pages(self->fd));
	/* The jump buffer's page, alone or with the other: nothing staged. */
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	self->r.nr_pages = 2;
	EXPECT_ERRNO(EINVAL, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	EXPECT_EQ(0ULL, staged_pages(self->fd));
	/* One of two: the jump wants all of them. */
	self->r.pfn = self->ranges[1].pfn;
	self->r.nr_pages = 1;
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	EXPECT_EQ(1ULL, staged_pages(self->fd));
	EXPECT_ERRNO(EEXIST, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	EXPECT_ERRNO(ENODATA, ioctl(self->fd, KJUMP_IOC_JUMP, &j));
	EXPECT_EQ(1ULL, staged_pages(self->fd));
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_STAGE_DROP, 0));
	EXPECT_EQ(0ULL, staged_pages(self->fd));
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, KJUMP_IOC_STAGE_DROP, 0));
	EXPECT_ERRNO(ENOENT, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	/* And a peer may be set again. */
	EXPECT_EQ(1, write_file(SYSFS("kexec_jump_buf_pfn"), "0"));
}

/*
 * More than this kernel's free memory: staging the largest System RAM
 * range (nearly all of it, so nearly every page the allocator hands out
 * is itself declared and kept as a home) runs out.  That call fails with
 * ENOMEM and stages nothing, the module stays usable, and STAGE_DROP
 * gives every page back.
 */
TEST_F(stage, stage_out_of_memory_is_enomem_and_drop_gives_all_back)
{
	struct ram_range ram[MAX_RAM_RANGES];
	unsigned long long pfn, nr, done = 0, before_staged;
	int64_t before, low, after;
	int n, big = -1, err = 0;
	char *buf;

	RETURN_IF_SETUP_SKIPPED();
	if (self->peer)
		SKIP(return, "this kernel has a peer (it is a B): staging is for a C");
	n = iomem_ram(ram, MAX_RAM_RANGES);
	if (n <= 0)
		SKIP(return, "no System RAM in /proc/iomem (addresses hidden?)");
	for (int i = 0; i < n; i++)
		if (big < 0 || ram[i].end - ram[i].start > ram[big].end - ram[big].start)
			big = i;
	pfn = (ram[big].start + PAGE - 1) / PAGE;
	nr = ram[big].end / PAGE - pfn;
	self->ranges[0].pfn = pfn;
	self->ranges[0].nr = nr;
	self->map.nr_ranges = 1;
	/* The last page: memory runs out long before a batch carries it. */
	self->map.jump_buf_pfn = pfn + nr - 1;
	buf = aligned_alloc(PAGE, (size_t)KJUMP_RESTORE_MAX_PAGES * PAGE);
	ASSERT_TRUE(buf != NULL);
	memset(buf, 0xa5, (size_t)KJUMP_RESTORE_MAX_PAGES * PAGE);
	before = mem_available_all();
	ASSERT_OK(ioctl(self->fd, KJUMP_IOC_STAGE_MAP, &self->map));
	self->r.buf = (uintptr_t)buf;
	self->r.nr_pages = KJUMP_RESTORE_MAX_PAGES;
	for (; done + KJUMP_RESTORE_MAX_PAGES <= nr; done += KJUMP_RESTORE_MAX_PAGES) {
		self->r.pfn = pfn + done;
		if (ioctl(self->fd, KJUMP_IOC_STAGE, &self->r)) {
			err = errno;
			break;
		}
	}
	low = mem_available_all();
	before_staged = staged_pages(self->fd);
	EXPECT_EQ(ENOMEM, err) TH_LOG("staging %llu of %llu pages ended with %s", done, nr,
				     strerror(err));
	EXPECT_EQ(done, before_staged) TH_LOG("the failed call staged some of its pages");
	EXPECT_LT(low, before / 2) TH_LOG("available %lld -> %lld: nothing was taken?",
					  (long long)before, (long long)low);
	/* Still usable: a page already staged is EEXIST, not a crash. */
	if (done) {
		self->r.pfn = pfn;
		self->r.nr_pages = 1;
		EXPECT_ERRNO(EEXIST, ioctl(self->fd, KJUMP_IOC_STAGE, &self->r));
	}
	EXPECT_OK(ioctl(self->fd, KJUMP_IOC_STAGE_DROP, 0));
	after = mem_available_all();
	EXPECT_GT(after, before - (16LL << 20)) TH_LOG("available %lld before, %lld after the drop",
						     (long long)before, (long long)after);
	TH_LOG("staged %llu pages before ENOMEM; available %lld MiB -> %lld -> %lld",
	       done, (long long)(before >> 20), (long long)(low >> 20), (long long)(after >> 20));
	free(buf);
}

TEST_HARNESS_MAIN
