// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel kjumpctl jumps into to do a job for A: B for dump and
 * hibernate, D for resume.  Its defaults (this kernel's image and the
 * initramfs kjump's hook builds), its options, and loading it with the
 * job's instructions appended to its initramfs; plus the target file those
 * jobs write into, and /proc/meminfo.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include "kjumpctl.h"

/*
 * The job kernel's command line: this kernel's consoles (so B's progress
 * shows where A's log does: a serial line, or the screen by default), its
 * fips= (a FIPS system's B runs in FIPS mode too) and panic=-1 (a job
 * kernel that panics powers nothing on; it returns).
 */
static const char *kj_job_cmdline(void)
{
	static char line[512];
	char cmd[4096], *tok, *save;
	size_t used = 0;
	FILE *f = fopen("/proc/cmdline", "re");

	*cmd = 0;
	if (f) {
		if (!fgets(cmd, sizeof(cmd), f))
			*cmd = 0;
		fclose(f);
	}
	for (tok = strtok_r(cmd, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save))
		if ((!strncmp(tok, "console=", 8) || !strncmp(tok, "fips=", 5)) &&
		    used + strlen(tok) + 12 < sizeof(line))
			used += (size_t)sprintf(line + used, "%s ", tok);
	snprintf(line + used, sizeof(line) - used, "panic=-1");
	return line;
}

void kj_helper_init(struct kj_helper *k)
{
	struct utsname un;

	memset(k, 0, sizeof(*k));
	uname(&un);
	snprintf(k->kernel, sizeof(k->kernel), "/boot/vmlinuz-%s", un.release);
	snprintf(k->initrd, sizeof(k->initrd), "/var/lib/kjump/initrd.img-%s", un.release);
	k->append = kj_job_cmdline();
	k->region_size = KJ_DEFAULT_REGION;
}

int kj_helper_option(struct kj_helper *k, int c, const char *arg)
{
	uint64_t addr;

	switch (c) {
	case 'k':
		snprintf(k->kernel, sizeof(k->kernel), "%s", arg);
		return 1;
	case 'i':
		snprintf(k->initrd, sizeof(k->initrd), "%s", arg);
		return 1;
	case 'a':
		k->append = arg;
		return 1;
	case 'R':
		if (kj_parse_region(arg, &k->region_size, &addr)) {
			fprintf(stderr, "%s: --region takes SIZE[K|M|G][@ADDR], e.g. 192M or "
				"192M@0x20000000\n", prog);
			return -1;
		}
		k->region_addr = addr;
		return 1;
	}
	return 0;
}

int kj_helper_ready(const struct kj_helper *k, const char *which)
{
	if (!access(k->kernel, R_OK) && !access(k->initrd, R_OK))
		return 0;
	fprintf(stderr, "%s: %s cannot be prepared: %s or %s is missing (install kjump's "
		"initramfs hook, or give --kernel and --initrd)\n", prog, which, k->kernel,
		k->initrd);
	return -1;
}

/*
 * For a job kernel that is this kernel's own image:
 *  - lpj=, this kernel's loops_per_jiffy (bogomips x 500000 / HZ).  Where
 *    the TSC is found unsynchronised (QEMU TCG), every CPU after the first
 *    otherwise calibrates its delay loop for most of a second, and the
 *    kernel asks for lpj= itself.  Not if HZ or bogomips cannot be read.
 *  - cryptomgr.notests: this very kernel ran its crypto self-tests on this
 *    machine when it booted; repeating them is 0.4 s of a job kernel's
 *    boot under TCG.  A's fips=1, which B gets too, keeps them: testmgr
 *    ignores notests in FIPS mode.
 * Nothing for another kernel (its HZ may differ, and lpj counts per jiffy).
 */
static void kj_job_own(const struct kj_helper *k, char *out, size_t len)
{
	char path[300], line[256];
	double bogomips = 0;
	unsigned long hz = 0;
	struct utsname un;
	FILE *f;

	*out = 0;
	uname(&un);
	snprintf(path, sizeof(path), "/boot/vmlinuz-%s", un.release);
	if (strcmp(path, k->kernel))
		return;
	snprintf(path, sizeof(path), "/boot/config-%s", un.release);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f) && sscanf(line, "CONFIG_HZ=%lu", &hz) != 1)
		;
	if (f)
		fclose(f);
	f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof(line), f) && sscanf(line, "bogomips : %lf", &bogomips) != 1)
		;
	if (f)
		fclose(f);
	snprintf(out, len, " cryptomgr.notests");
	if (hz >= 100 && hz <= 1000 && bogomips > 1)
		snprintf(out + strlen(out), len - strlen(out), " lpj=%lu",
			 (unsigned long)(bogomips * 500000.0 / (double)hz));
}

int kj_helper_load(int kfd, const struct kj_helper *k, const char *name, const char *conf,
		   const char *extra, int vmcore, uint64_t region_addr)
{
	struct kj_boot_opts o = {
		.kernel = k->kernel, .initrd = k->initrd, .region_size = k->region_size,
		.region_addr = region_addr ? region_addr : k->region_addr, .vmcore = vmcore, .drop_caches = k->drop_caches,
		.jump_now = k->jump_now, .vmcore_phys = k->vmcore_phys,
	};
	char tmp[PATH_MAX], own[64], *cmdline;
	int fd, ret;

	*tmp = 0;
	if (conf) {
		snprintf(tmp, sizeof(tmp), "%s/kjump-b-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		fd = mkstemp(tmp);
		if (fd < 0 || kj_b_initrd(k->initrd, tmp, name, conf)) {
			fprintf(stderr, "%s: cannot write the initramfs in $TMPDIR or /tmp: %s\n",
				prog, strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			return -1;
		}
		close(fd);
		o.initrd = tmp;
	}
	kj_job_own(k, own, sizeof(own));
	if (asprintf(&cmdline, "%s %s%s", k->append, extra, own) < 0)
		return -1;
	o.cmdline = cmdline;
	ret = kj_load(kfd, &o, 1);
	if (*tmp)
		unlink(tmp);
	free(cmdline);
	return ret;
}

int kj_create_target(const char *path, uint64_t size, const char *what, const char *advice)
{
	struct statvfs sv;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0) {
		fprintf(stderr, "%s: cannot create %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	if (fstatvfs(fd, &sv) || (uint64_t)sv.f_bavail * sv.f_frsize < size) {
		fprintf(stderr, "%s: %s's filesystem has %" PRIu64 " MiB free; %s may need %"
			PRIu64 " MiB: free space or %s\n", prog, path,
			(uint64_t)sv.f_bavail * sv.f_frsize >> 20, what, size >> 20, advice);
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

uint64_t kj_meminfo(const char *field)
{
	char line[128];
	size_t len = strlen(field);
	unsigned long long kib = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':' &&
		    sscanf(line + len + 1, "%llu", &kib) == 1)
			break;
	}
	if (f)
		fclose(f);
	return (uint64_t)kib << 10;
}

/*
 * What swsusp does before its snapshot: write dirty data out and drop what
 * can be read back, so that B's region fits beside a large workload.
 */
int kj_drop_caches(void)
{
	sync();
	return kj_write_str("/proc/sys/vm/drop_caches", "3");
}

/* VAL into a proc or sysfs file, in one write; -errno. */
int kj_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

double kj_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
