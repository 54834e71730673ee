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
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>
#include "disk.h"
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
		k->region_set = 1;
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

/* The release of bzImage @path (its version string's first word) and its init_size. */
static int kj_bzimage_info(const char *path, char *rel, size_t len, uint64_t *init_size)
{
	unsigned char hdr[0x300];
	char ver[128];
	uint16_t off;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret = -EINVAL;

	*rel = 0;
	*init_size = 0;
	if (fd < 0)
		return -errno;
	if (pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	    !memcmp(hdr + 0x202, "HdrS", 4)) {
		memcpy(init_size, hdr + 0x260, 4);
		memcpy(&off, hdr + 0x20e, 2);
		memset(ver, 0, sizeof(ver));
		if (off && pread(fd, ver, sizeof(ver) - 1, 0x200 + off) > 0) {
			snprintf(rel, len, "%.*s", (int)strcspn(ver, " "), ver);
			ret = 0;
		}
	}
	close(fd);
	return ret;
}

/* A module's name from its path: basename, no .ko[.xz|.zst|.gz], '-' as '_'. */
static void kj_mod_name(const char *path, char *name, size_t len)
{
	const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *p;

	snprintf(name, len, "%.*s", (int)strcspn(b, "."), b);
	for (p = name; *p; p++)
		if (*p == '-')
			*p = '_';
}

static int kj_mod_add(char **paths, size_t *n, size_t cap, const char *dir, const char *rel)
{
	size_t i;
	char *p;

	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		return -ENOMEM;
	for (i = 0; i < *n; i++)
		if (!strcmp(paths[i], p)) {
			free(p);
			return 0;
		}
	if (*n == cap) {
		free(p);
		return -E2BIG;
	}
	paths[(*n)++] = p;
	return 0;
}

/*
 * The files of modules @names (space separated) and of all they depend on,
 * from the job kernel's modules.dep, in load order (a module's
 * dependencies are listed so that the last loads first).  Built-in
 * drivers have no line and need nothing.
 */
static size_t kj_job_module_paths(const char *rel, const char *names, char **paths, size_t cap)
{
	char dir[300], dep[320], want[64], have[64], *line = NULL, *tok, *save, *colon;
	char *list = strdup(names ? names : ""), *w, *wsave;
	size_t n = 0, lcap = 0;
	FILE *f;

	snprintf(dir, sizeof(dir), "/lib/modules/%s", rel);
	snprintf(dep, sizeof(dep), "%s/modules.dep", dir);
	f = fopen(dep, "re");
	for (w = list ? strtok_r(list, " \t\n", &wsave) : NULL; f && w;
	     w = strtok_r(NULL, " \t\n", &wsave)) {
		kj_mod_name(w, want, sizeof(want));
		rewind(f);
		while (getline(&line, &lcap, f) > 0) {
			char *deps[64];
			int nd = 0;

			colon = strchr(line, ':');
			if (!colon)
				continue;
			*colon = 0;
			kj_mod_name(line, have, sizeof(have));
			if (strcmp(have, want))
				continue;
			for (tok = strtok_r(colon + 1, " \n", &save); tok && nd < 64;
			     tok = strtok_r(NULL, " \n", &save))
				deps[nd++] = tok;
			while (nd--)
				kj_mod_add(paths, &n, cap, dir, deps[nd]);
			kj_mod_add(paths, &n, cap, dir, line);
			break;
		}
	}
	if (f)
		fclose(f);
	free(line);
	free(list);
	return n;
}

/* Bytes one zstd frame expands to (decompressing it if its header does not say). */
static uint64_t kj_zstd_frame_size(const void *src, size_t len)
{
	unsigned long long c = ZSTD_getFrameContentSize(src, len);
	ZSTD_DStream *ds;
	ZSTD_inBuffer in = { src, len, 0 };
	static char out[1 << 17];
	uint64_t total = 0;

	if (c != ZSTD_CONTENTSIZE_UNKNOWN && c != ZSTD_CONTENTSIZE_ERROR)
		return c;
	ds = ZSTD_createDStream();
	if (!ds)
		return 0;
	ZSTD_initDStream(ds);
	while (in.pos < in.size) {
		ZSTD_outBuffer o = { out, sizeof(out), 0 };
		size_t r = ZSTD_decompressStream(ds, &o, &in);

		if (ZSTD_isError(r))
			break;
		total += o.pos;
		if (!r)
			break;
	}
	ZSTD_freeDStream(ds);
	return total;
}

static unsigned long kj_hex8(const unsigned char *p)
{
	char v[9];

	memcpy(v, p, 8);
	v[8] = 0;
	return strtoul(v, NULL, 16);
}

/*
 * What an initramfs unpacks to: its uncompressed cpio parts exactly, zstd
 * frames by their header (or by decompressing), a final gzip member by its
 * trailer; anything else is estimated at five times its size (*estimated).
 */
int kj_initrd_unpacked(const char *path, uint64_t *out, int *estimated)
{
	struct stat st;
	unsigned char *m;
	size_t p = 0, len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = 0;
	*estimated = 0;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	len = (size_t)st.st_size;
	m = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (m == MAP_FAILED)
		return len ? -errno : 0;
	while (p < len) {
		if (!m[p]) {
			p++;
			continue;
		}
		if (len - p >= 110 && !memcmp(m + p, "070701", 6)) {
			unsigned long fsz = kj_hex8(m + p + 54), nsz = kj_hex8(m + p + 94);
			int trailer = nsz == 11 && len - p >= 121 &&
				      !memcmp(m + p + 110, "TRAILER!!!", 10);

			p += (110 + nsz + 3) & ~3UL;
			p += (fsz + 3) & ~3UL;
			/* Each file takes whole pages in the rootfs, and an inode. */
			*out += ((fsz + 4095) & ~4095UL) + 512;
			if (trailer)
				continue;
		} else if (len - p >= 4 && !memcmp(m + p, "\x28\xb5\x2f\xfd", 4)) {
			size_t fl = ZSTD_findFrameCompressedSize(m + p, len - p);

			if (ZSTD_isError(fl))
				break;
			*out += kj_zstd_frame_size(m + p, fl);
			p += fl;
		} else if (len - p >= 18 && m[p] == 0x1f && m[p + 1] == 0x8b) {
			uint32_t isize;

			memcpy(&isize, m + len - 4, 4);
			*out += isize;
			break;
		} else {
			*out += (uint64_t)(len - p) * 5;
			*estimated = 1;
			break;
		}
	}
	munmap(m, len);
	return 0;
}

#define KJ_JOB_MAX_MODS		64
#define KJ_REGION_STEP		(8ULL << 20)

int kj_helper_load(int kfd, const struct kj_helper *k, const char *name, const char *conf,
		   const char *extra, int vmcore, uint64_t region_addr)
{
	struct kj_boot_opts o = {
		.kernel = k->kernel, .initrd = k->initrd, .region_size = k->region_size,
		.region_addr = region_addr ? region_addr : k->region_addr, .vmcore = vmcore, .drop_caches = k->drop_caches,
		.jump_now = k->jump_now, .vmcore_phys = k->vmcore_phys,
	};
	char tmp[PATH_MAX], own[64], rel[128], *cmdline, *mods[KJ_JOB_MAX_MODS];
	uint64_t init_size = 0, unpacked = 0, need;
	size_t nmods = 0, i;
	struct stat st;
	int fd, ret, estimated = 0;

	*tmp = 0;
	kj_bzimage_info(k->kernel, rel, sizeof(rel), &init_size);
	if (k->modules && *rel)
		nmods = kj_job_module_paths(rel, k->modules, mods, KJ_JOB_MAX_MODS);
	if (conf || nmods) {
		snprintf(tmp, sizeof(tmp), "%s/kjump-b-XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		fd = mkstemp(tmp);
		ret = fd < 0 ? -errno : kj_b_initrd(k->initrd, tmp, name, conf, mods, nmods);
		for (i = 0; i < nmods; i++)
			free(mods[i]);
		if (ret) {
			fprintf(stderr, "%s: cannot write B's initramfs in $TMPDIR or /tmp: %s\n",
				prog, strerror(-ret));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
			return -1;
		}
		close(fd);
		o.initrd = tmp;
	}
	/*
	 * The job kernel must fit its region: its kernel as it unpacks
	 * (init_size), the initramfs and what it unpacks to, room to run.
	 * The region grows to fit unless the user chose its size.
	 */
	if (o.initrd && !kj_initrd_unpacked(o.initrd, &unpacked, &estimated))
		o.initrd_unpacked = unpacked;
	if (o.initrd && !stat(o.initrd, &st) && init_size) {
		need = ((init_size + 4095) & ~4095ULL) + 3 * 4096 +
		       (((uint64_t)st.st_size + 4095) & ~4095ULL) + unpacked + KJ_RUN_ROOM +
		       k->headroom;
		need = (need + KJ_REGION_STEP - 1) / KJ_REGION_STEP * KJ_REGION_STEP;
		if (need > o.region_size && !k->region_set && !region_addr) {
			printf("  B's region: %" PRIu64 " MiB (kernel %" PRIu64 " MiB, initramfs %"
			       PRIu64 " MiB unpacking to %" PRIu64 " MiB%s, %llu MiB to run)\n",
			       need >> 20, init_size >> 20, (uint64_t)st.st_size >> 20,
			       unpacked >> 20, estimated ? " (estimated)" : "",
			       KJ_RUN_ROOM >> 20);
			o.region_size = need;
		}
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
	/* New, never an existing file nor through a symlink: it may hold data. */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		fprintf(stderr, "%s: cannot create %s: %s%s\n", prog, path, strerror(errno),
			errno == EEXIST ? " (kjumpctl writes only a file it creates: remove it "
			"or choose another path)" : "");
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

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE	4
#endif

/*
 * In B: the drivers A appended for the job's disk, whatever the job
 * initramfs was built with (a chroot's MODULES=dep holds the build host's
 * drivers).  finit_module, in the order A listed them; a module already
 * there (built into the job initramfs and loaded) is fine.
 */
int kj_job_modules_load(void)
{
	FILE *f = fopen("/kjump/modules.load", "re");
	char line[160], path[200];
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		size_t l = strcspn(line, "\n");
		int fd, flags = 0;

		line[l] = 0;
		if (!l)
			continue;
		snprintf(path, sizeof(path), "/kjump/modules/%s", line);
		if (!strstr(line, ".ko") || strstr(line, ".ko")[3])
			flags = MODULE_INIT_COMPRESSED_FILE;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!syscall(SYS_finit_module, fd, "", flags) || errno == EEXIST)
			n++;
		else
			fprintf(stderr, "kjump: cannot load %s: %s\n", line, strerror(errno));
		close(fd);
	}
	fclose(f);
	return n;
}

/*
 * kjumpctl disk [--wait TENTHS] NAME[:OFFSET]: the block device a
 * kjump.resume= name means (/dev/..., UUID=, ID=, PATH=), for the
 * initramfs scripts, which have no udev at that point.  Exit 3: not there.
 */
int cmd_disk(int argc, char **argv)
{
	char name[300], dev[300], *colon;
	long tenths = 0;
	int i = 1, ret;

	if (argc > 2 && !strcmp(argv[1], "--wait")) {
		char *end;

		tenths = strtol(argv[2], &end, 10);
		if (*end || tenths < 0 || tenths > 6000) {
			fprintf(stderr, "%s: disk: --wait takes tenths of a second (0-6000)\n",
				prog);
			return 2;
		}
		i = 3;
	}
	if (argc != i + 1) {
		fprintf(stderr, "usage: %s disk [--wait TENTHS] NAME[:OFFSET]\n"
			"  NAME: /dev/..., UUID=FS-UUID, ID=WWID-or-SERIAL[-partN] or "
			"PATH=pci-...[-partN]\n", prog);
		return 2;
	}
	snprintf(name, sizeof(name), "%s", argv[i]);
	colon = strrchr(name, ':');
	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
		*colon = 0;
	ret = kj_disk_resolve(name, (int)tenths, dev, sizeof(dev));
	if (ret == -EINVAL) {
		fprintf(stderr, "%s: disk: '%s' is not /dev/..., UUID=, ID= or PATH=\n", prog,
			name);
		return 2;
	}
	if (ret)
		return ret == -ENODEV ? 3 : 1;
	printf("%s\n", dev);
	return 0;
}

/*
 * kjumpctl job-find CONF: in B, the device a job's configuration
 * (dump.conf) describes and A's nonce marks (disk.h); for the dump agent.
 * Exit 4 with the reason on stderr: not found, written nothing.
 */
int cmd_job_find(int argc, char **argv)
{
	char line[256], hex[2 * KJ_NONCE_LEN + 1] = "", dev[200], why[512];
	struct kj_disk_id id = { .sectors = 0 };
	uint8_t nonce[KJ_NONCE_LEN];
	uint64_t off = 0;
	FILE *f;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s job-find CONF   (in B, run by the dump agent)\n", prog);
		return 2;
	}
	f = fopen(argv[1], "re");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[1], strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		if (kj_disk_id_line(&id, line))
			continue;
		if (!strncmp(line, "nonce=", 6))
			snprintf(hex, sizeof(hex), "%.*s", (int)strcspn(line + 6, "\n"), line + 6);
		else
			sscanf(line, "nonce.offset=%" SCNu64, &off);
	}
	fclose(f);
	if (!id.sectors || kj_nonce_parse(hex, nonce)) {
		fprintf(stderr, "%s: %s describes no disk (disk.*, nonce=)\n", prog, argv[1]);
		return 2;
	}
	/*
	 * Not there after 3 s (its controller not bound, a name that moved):
	 * every PCI device gets its driver.  Safe: nothing is written to a
	 * disk without A's nonce.
	 */
	ret = kj_disk_find(&id, off, nonce, 300, kj_pci_probe_all, dev, sizeof(dev), why,
			   sizeof(why));
	if (ret) {
		fprintf(stderr, "%s\n", why);
		return 4;
	}
	printf("%s\n", dev);
	return 0;
}

/* kjumpctl job-modules: in B, load the drivers A appended (the dump agent). */
int cmd_job_modules(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s job-modules   (in B)\n", prog);
		return 2;
	}
	printf("%d\n", kj_job_modules_load());
	return 0;
}
