/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for kjump_test.c that know nothing of the test harness: small
 * file I/O, /proc/meminfo, /proc/iomem region picking, /dev/kmsg, module
 * load and unload.  All return -1 (errno set) or a negative value on
 * failure so the tests can tell "environment lacks it" from a module bug.
 */
#ifndef KJUMP_TEST_UTIL_H
#define KJUMP_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The harness runs each test under setjmp(); helpers inlined there draw
 * -Wclobbered, so they stay out of line (and may go unused).
 */
#define KJ_HELPER		static __attribute__((unused, noinline))

#define KIB			(1ULL << 10)
#define MIB			(1ULL << 20)
#define GIB			(1ULL << 30)
#define PAGE			4096ULL
#define ROUND_UP(x, a)		(((x) + (a) - 1) / (a) * (a))
#define ROUND_DOWN(x, a)	((x) / (a) * (a))

/* Read a whole small file (sysfs, procfs) into buf, NUL terminated. */
KJ_HELPER ssize_t read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	if (n >= 0)
		buf[n] = '\0';
	close(fd);
	return n;
}

/* One write(2), so the caller sees the errno of the store method itself. */
KJ_HELPER ssize_t write_file(const char *path, const char *str)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, str, strlen(str));
	err = errno;
	close(fd);
	errno = err;
	return n;
}

KJ_HELPER int read_u64(const char *path, uint64_t *val)
{
	char buf[64], *end;

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf || (*end && *end != '\n')) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* A /proc/meminfo field in bytes, or -1. */
KJ_HELPER int64_t meminfo(const char *field)
{
	char line[256];
	size_t flen = strlen(field);
	long long kb = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			kb = strtoll(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/*
 * Pages on the per-cpu free lists ("count:" in /proc/zoneinfo), in bytes.
 * MemFree leaves them out, and freeing 32 MiB page by page parks tens of
 * MiB there: without them MemFree alone swings more than any threshold.
 */
KJ_HELPER int64_t pcp_free(void)
{
	char line[256];
	long long n, total = 0;
	FILE *f;

	f = fopen("/proc/zoneinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lld", &n) == 1)
			total += n;
	fclose(f);
	return total * (int64_t)sysconf(_SC_PAGESIZE);
}

/* Freed page cache and slab would otherwise hide or fake a leak. */
KJ_HELPER void drop_caches(void)
{
	sync();
	write_file("/proc/sys/vm/drop_caches", "3");
}

/* Memory figures for leak checks, in bytes; -1 where unreadable. */
struct mem_snap {
	int64_t memfree;	/* MemFree */
	int64_t pcp;		/* on per-cpu free lists */
	int64_t free;		/* both: what was really handed back */
	int64_t sunreclaim;	/* SUnreclaim: slab that drop_caches cannot free */
};

KJ_HELPER int mem_read(struct mem_snap *m)
{
	drop_caches();
	/* Fold the per-cpu counter deltas in, or MemFree lags behind. */
	write_file("/proc/sys/vm/stat_refresh", "1");
	m->memfree = meminfo("MemFree");
	m->pcp = pcp_free();
	m->free = m->memfree < 0 || m->pcp < 0 ? -1 : m->memfree + m->pcp;
	m->sunreclaim = meminfo("SUnreclaim");
	return m->free < 0 || m->sunreclaim < 0 ? -1 : 0;
}

/* Figures that have settled: two readings 100 ms apart within 256 KiB. */
KJ_HELPER int mem_snap(struct mem_snap *m)
{
	struct mem_snap prev;

	if (mem_read(&prev))
		return -1;
	for (int i = 0; i < 20; i++) {
		usleep(100 * 1000);
		if (mem_read(m))
			return -1;
		if (llabs(m->free - prev.free) < 256 * 1024 &&
		    llabs(m->sunreclaim - prev.sunreclaim) < 256 * 1024)
			break;
		prev = *m;
	}
	return 0;
}

/* A top-level "System RAM" range of /proc/iomem, end exclusive. */
struct ram_range {
	uint64_t start;
	uint64_t end;
};

#define MAX_RAM_RANGES	64

/* Top-level System RAM ranges; 0 if none (e.g. addresses hidden). */
KJ_HELPER int iomem_ram(struct ram_range *r, int max)
{
	char line[256], name[128];
	uint64_t s, e;
	int n = 0;
	FILE *f;

	f = fopen("/proc/iomem", "re");
	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (line[0] == ' ')	/* nested resources are not ranges */
			continue;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " : %127[^\n]",
			   &s, &e, name) != 3)
			continue;
		if (strcmp(name, "System RAM") || e <= s)
			continue;
		r[n].start = s;
		r[n].end = e + 1;
		n++;
	}
	fclose(f);
	return n;
}

/* Is [start, end) wholly inside one System RAM range? */
KJ_HELPER bool iomem_is_ram(const struct ram_range *r, int n,
				uint64_t start, uint64_t end)
{
	for (int i = 0; i < n; i++)
		if (start >= r[i].start && end <= r[i].end)
			return true;
	return false;
}

/* Does [start, end) touch any System RAM range? */
KJ_HELPER bool iomem_touches_ram(const struct ram_range *r, int n,
				     uint64_t start, uint64_t end)
{
	for (int i = 0; i < n; i++)
		if (start < r[i].end && r[i].start < end)
			return true;
	return false;
}

/* The page-rounded part of the System RAM range starting below 640 KiB. */
KJ_HELPER void pick_low(const struct ram_range *r, int n,
			    uint64_t limit, uint64_t *start, uint64_t *size)
{
	*start = *size = 0;
	for (int i = 0; i < n; i++) {
		uint64_t s = ROUND_UP(r[i].start, PAGE);
		uint64_t e = ROUND_DOWN(r[i].end, PAGE);

		if (r[i].start >= limit)
			continue;
		if (e > limit)
			e = limit;
		if (e > s) {
			*start = s;
			*size = e - s;
			return;
		}
	}
}

/*
 * The largest piece of System RAM below min(4 GiB, limit), 2 MiB aligned
 * inwards, that stays clear of the 2 MiB block holding the page at avoid
 * (the jump buffer, which LOAD keeps out of the region).
 */
KJ_HELPER int largest_piece(const struct ram_range *r, int n, uint64_t limit,
			    uint64_t avoid, uint64_t *start, uint64_t *end)
{
	uint64_t best = 0, hole_s, hole_e;

	if (limit > 4 * GIB)
		limit = 4 * GIB;
	hole_s = ROUND_DOWN(avoid, 2 * MIB);
	hole_e = hole_s + 2 * MIB;
	for (int i = 0; i < n; i++) {
		uint64_t s = ROUND_UP(r[i].start, 2 * MIB);
		uint64_t e = ROUND_DOWN(r[i].end < limit ? r[i].end : limit, 2 * MIB);
		uint64_t piece[2][2] = { { s, e }, { e, e } };

		if (e <= s)
			continue;
		if (hole_s < e && s < hole_e) {	/* split around the hole */
			piece[0][1] = hole_s > s ? hole_s : s;
			piece[1][0] = hole_e < e ? hole_e : e;
		}
		for (int k = 0; k < 2; k++) {
			if (piece[k][1] > piece[k][0] &&
			    piece[k][1] - piece[k][0] > best) {
				best = piece[k][1] - piece[k][0];
				*start = piece[k][0];
				*end = piece[k][1];
			}
		}
	}
	return best ? 0 : -1;
}

/*
 * /dev/kmsg, non-blocking.  kmsg_open(true) starts at the end of the log,
 * to see only what the next steps print; false reads from the oldest
 * record still in the buffer.
 */
KJ_HELPER int kmsg_open(bool at_end)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0 && at_end)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The next record's text in buf (prefix and continuation lines cut), 1 if
 * one was read, 0 at the end of the log, -1 on error.
 */
KJ_HELPER int kmsg_next(int fd, char *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(fd, buf, len - 1);
		char *text, *nl;

		if (n < 0 && errno == EPIPE)	/* overwritten: skip on */
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		buf[n] = '\0';
		text = strchr(buf, ';');
		if (!text)
			continue;
		text++;
		nl = strchr(text, '\n');
		if (nl)
			*nl = '\0';
		memmove(buf, text, strlen(text) + 1);
		return 1;
	}
}

/* Does any record from fd's position on contain needle? */
KJ_HELPER bool kmsg_contains(int fd, const char *needle)
{
	char rec[2048];

	while (kmsg_next(fd, rec, sizeof(rec)) > 0)
		if (strstr(rec, needle))
			return true;
	return false;
}

KJ_HELPER bool module_present(void)
{
	return access("/sys/module/kjump", F_OK) == 0;
}

/* rmmod without the tool: fails (EWOULDBLOCK) while a file holds it. */
KJ_HELPER int module_remove(void)
{
	return syscall(SYS_delete_module, "kjump", O_NONBLOCK);
}

KJ_HELPER bool have_modprobe(void)
{
	return system("command -v modprobe >/dev/null 2>&1") == 0;
}

/*
 * Run a command, its output prefixed "# " so the TAP stream stays valid;
 * returns its exit status, or -1 if it could not be run.
 */
KJ_HELPER int run_cmd(const char *cmd)
{
	char line[512], full[512];
	FILE *p;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	fflush(stdout);
	p = popen(full, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		printf("#   | %s%s", line, strchr(line, '\n') ? "" : "\n");
	st = pclose(p);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}


/* ---- with kselftest_harness.h: assertions and the device ---- */
#ifdef TH_LOG
#include <sys/ioctl.h>
#include <linux/kjump.h>

#define SYSFS(attr)		KJUMP_SYSFS_DIR "/" attr

/*
 * call must return -1 with errno err.  errno is taken before anything can
 * log; the call, and the optional context, are named in the messages.
 */
#define EXPECT_ERRNO_AT(err, call, fmt, ...) do {			\
	long __r;							\
	int __e;							\
	errno = 0;							\
	__r = (long)(call);						\
	__e = errno;							\
	EXPECT_EQ(-1, __r) TH_LOG("%s succeeded " fmt, #call,		\
				  ##__VA_ARGS__);			\
	EXPECT_EQ(err, __e) TH_LOG("%s: errno %d (%s), want %s " fmt,	\
				   #call, __e, strerror(__e), #err,	\
				   ##__VA_ARGS__);			\
} while (0)
#define EXPECT_ERRNO(err, call)	EXPECT_ERRNO_AT(err, call, "")

/* call must return 0. */
#define __OK(check, call, fmt, ...) do {				\
	long __r;							\
	int __e;							\
	errno = 0;							\
	__r = (long)(call);						\
	__e = errno;							\
	check(0, __r) TH_LOG("%s: errno %d (%s) " fmt, #call, __e,	\
			     strerror(__e), ##__VA_ARGS__);		\
} while (0)
#define EXPECT_OK(call)			__OK(EXPECT_EQ, call, "")
#define EXPECT_OK_AT(call, fmt, ...)	__OK(EXPECT_EQ, call, fmt, ##__VA_ARGS__)
#define ASSERT_OK(call)			__OK(ASSERT_EQ, call, "")
#define ASSERT_OK_AT(call, fmt, ...)	__OK(ASSERT_EQ, call, fmt, ##__VA_ARGS__)

/* Enum and int constants as the __u32 fields they are compared with. */
#define U32(x)	((__u32)(x))

/* SKIP() in a 6.1 FIXTURE_SETUP does not stop the test body: do it here. */
#define RETURN_IF_SETUP_SKIPPED() do {					\
	if (_metadata->skip)						\
		return;							\
} while (0)

KJ_HELPER int status(int fd, struct kjump_status *st)
{
	memset(st, 0xcc, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, KJUMP_IOC_STATUS, st);
}

KJ_HELPER int open_dev(void)
{
	return open(KJUMP_DEVICE, O_RDWR | O_CLOEXEC);
}

/*
 * Why LOAD cannot succeed in this boot any more (the one-way tests ran
 * before, or the system is locked down), or NULL.
 */
KJ_HELPER const char *load_refused(int fd)
{
	struct kjump_status st;

	if (status(fd, &st))
		return NULL;
	if (st.flags & KJUMP_STATUS_LOCKDOWN)
		return "kernel is locked down: LOAD is refused until reboot";
	if (st.flags & KJUMP_STATUS_LOAD_DISABLED)
		return "kexec_load_disabled is set: LOAD is refused until reboot";
	return NULL;
}

#endif /* TH_LOG */

#endif /* KJUMP_TEST_UTIL_H */
