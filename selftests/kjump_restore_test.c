// SPDX-License-Identifier: GPL-2.0
/*
 * kjump selftest: KJUMP_IOC_RESTORE, D's writes of A's pages on resume.
 * In A (no peer) the argument checks; in a B (kexec_jump_buf_pfn= on the
 * command line; b-roundtrip runs this) what may be written: the peer's
 * RAM outside this kernel's own.  Apart from kjump_test so that a B can
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

TEST_HARNESS_MAIN
