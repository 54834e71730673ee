// SPDX-License-Identifier: GPL-2.0
/*
 * kjumpctl dump: a live, consistent vmcore of this kernel (A), written to
 * a file while A stays up.
 *
 * How the bytes reach FILE without B mounting A's filesystems: A creates
 * FILE at the worst-case size, writes it full of zeros (so every block is
 * allocated and marked written) and syncs it, then maps its blocks with
 * FIEMAP.  B gets the block list (a device-mapper linear table) in a small
 * cpio archive appended to its initramfs, and its dump agent
 * (kjump-dump-agent) runs makedumpfile from /proc/vmcore onto that mapped
 * device.  Back in A, FILE's cached zero pages are dropped, its real end
 * is read from the ELF headers B wrote, and it is truncated to it.
 * Limits (docs/dump.md): FILE needs free space for the worst case
 * (MemTotal + 16 MiB) while the dump runs; filesystems that move or share
 * blocks (btrfs, reflinks, compression) are refused through FIEMAP's flags.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <elf.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include "disk.h"
#include "kjumpctl.h"
#include "memmap.h"

#define KJ_DUMP_SLACK	(16ULL << 20)	/* headers, notes, bitmaps */
#define KJ_DUMP_TRAILER	(64ULL << 10)	/* B's report, at the end of the area */
#define KJ_MAX_EXTENTS	4096
#define KJ_DUMP_CONF	"kjump/dump.conf"

/* Every block allocated and written: B writes them raw, A reads them back. */
static int kj_fill(int fd, uint64_t size)
{
	static char zero[1 << 20];
	uint64_t done = 0, step = size / 10;

	while (done < size) {
		size_t n = size - done < sizeof(zero) ? (size_t)(size - done) : sizeof(zero);
		ssize_t w = pwrite(fd, zero, n, (off_t)done);

		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		done += (uint64_t)w;
		if (step && done % step < (uint64_t)w) {
			printf("\r  preparing the file: %3d%%", (int)(done * 100 / size));
			fflush(stdout);
		}
	}
	printf("\r  preparing the file: 100%%\n");
	if (fsync(fd))
		return -errno;
	/* Its cached zeros are of no use, and A needs the memory for B. */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	return 0;
}

int kj_extents(int fd, uint64_t size, struct kj_extent *ext, size_t *n, size_t cap,
	       int unwritten_ok, int *written)
{
	size_t i;
	struct fiemap *fm = calloc(1, sizeof(*fm) + cap * sizeof(struct fiemap_extent));
	const uint32_t bad = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
			     FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_ENCRYPTED |
			     FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_INLINE |
			     FIEMAP_EXTENT_DATA_TAIL | FIEMAP_EXTENT_SHARED |
			     (unwritten_ok ? 0 : FIEMAP_EXTENT_UNWRITTEN);
	uint64_t covered = 0;

	if (!fm)
		return -ENOMEM;
	fm->fm_start = 0;
	fm->fm_length = size;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = (uint32_t)cap;
	if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
		free(fm);
		return -errno;
	}
	for (i = 0; i < fm->fm_mapped_extents; i++) {
		struct fiemap_extent *e = &fm->fm_extents[i];

		if ((e->fe_flags & bad) || e->fe_logical % 512 || e->fe_physical % 512 ||
		    e->fe_length % 512) {
			free(fm);
			return -EXDEV;
		}
		if (written && !(e->fe_flags & FIEMAP_EXTENT_UNWRITTEN))
			*written = 1;
		ext[i].logical = e->fe_logical;
		ext[i].physical = e->fe_physical;
		ext[i].length = e->fe_length;
		covered += e->fe_length;
	}
	*n = fm->fm_mapped_extents;
	free(fm);
	return covered >= size ? 0 : -EXDEV;
}

/* /dev/NAME of the block device holding FILE's filesystem. */
int kj_block_device(dev_t dev, char *path, size_t len)
{
	char uevent[96], line[120];
	FILE *f;
	int ok = 0;

	snprintf(uevent, sizeof(uevent), "/sys/dev/block/%u:%u/uevent", major(dev), minor(dev));
	f = fopen(uevent, "re");
	if (!f)
		return -ENODEV;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(path, len, "/dev/%s", line + 8);
			ok = 1;
		}
	}
	fclose(f);
	return ok ? 0 : -ENODEV;
}

/* The sysfs directory of the device under block device DEV (a partition's: its disk's). */
static int kj_device_sysfs(dev_t dev, char path[PATH_MAX])
{
	char link[64];

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u/device", major(dev), minor(dev));
	if (realpath(link, path))
		return 0;
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u/../device", major(dev), minor(dev));
	return realpath(link, path) ? 0 : -1;
}

/*
 * A device-mapper (or md) device's first slave, the disk under it: where
 * its drivers and PCI devices are.  0 when it has none.
 */
static dev_t kj_device_slave(dev_t dev)
{
	char path[96], link[PATH_MAX];
	unsigned int ma, mi;
	struct dirent *e;
	dev_t slave = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/slaves", major(dev), minor(dev));
	d = opendir(path);
	if (!d)
		return 0;
	while (!slave && (e = readdir(d))) {
		FILE *f;

		if (*e->d_name == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s/dev", path, e->d_name);
		f = fopen(link, "re");
		if (f && fscanf(f, "%u:%u", &ma, &mi) == 2)
			slave = makedev(ma, mi);
		if (f)
			fclose(f);
	}
	closedir(d);
	return slave;
}

/*
 * The modules driving the device and the buses above it (virtio_blk,
 * virtio_pci, ...), for B's agent to load before it looks for the device;
 * for a mapped device, those of the disk under it.
 */
void kj_device_modules(dev_t dev, char *mods, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX + 32], target[PATH_MAX], *slash;
	size_t used = 0;
	dev_t slave;
	int depth;

	*mods = 0;
	for (depth = 0; depth < 8 && (slave = kj_device_slave(dev)); depth++)
		dev = slave;
	if (kj_device_sysfs(dev, path))
		return;
	while (strlen(path) > strlen("/sys/devices")) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/driver/module", path);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			slash = strrchr(target, '/');
			used += (size_t)snprintf(mods + used, used < len ? len - used : 0, "%s ",
						 slash ? slash + 1 : target);
		}
		slash = strrchr(path, '/');
		if (!slash)
			break;
		*slash = 0;
	}
}

/*
 * The PCI devices above the disk (its controller, the bridges above it),
 * space separated: B binds only those to the drivers it loads.  For a
 * mapped device, the disk under it.
 */
void kj_device_pci(dev_t dev, char *out, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX + 32], target[PATH_MAX], *slash;
	unsigned int dom, bus, slot, fn;
	size_t used = 0;
	dev_t slave;
	int depth;
	char end;

	*out = 0;
	for (depth = 0; depth < 8 && (slave = kj_device_slave(dev)); depth++)
		dev = slave;
	if (kj_device_sysfs(dev, path))
		return;
	while ((slash = strrchr(path, '/')) && slash > path + strlen("/sys/devices")) {
		snprintf(link, sizeof(link), "%s/subsystem", path);
		if (sscanf(slash + 1, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &end) == 4 &&
		    realpath(link, target) && strlen(target) >= 8 &&
		    !strcmp(target + strlen(target) - 8, "/bus/pci") &&
		    used + strlen(slash + 1) + 2 < len)
			used += (size_t)snprintf(out + used, len - used, "%s ", slash + 1);
		*slash = 0;
	}
}

/* newc header for one entry. */
static void kj_cpio_entry(FILE *out, const char *name, unsigned int mode,
			  const void *data, size_t len)
{
	static const char zero[4];
	size_t nlen = strlen(name) + 1;

	fprintf(out, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
		0u, mode, 0u, 0u, 1u, 0u, len, 0u, 0u, 0u, 0u, nlen, 0u);
	fwrite(name, 1, nlen, out);
	fwrite(zero, 1, (4 - (110 + nlen) % 4) % 4, out);
	if (len) {
		fwrite(data, 1, len, out);
		fwrite(zero, 1, (4 - len % 4) % 4, out);
	}
}

/* A whole file into the archive as NAME; -errno. */
static int kj_cpio_file(FILE *out, const char *name, const char *path)
{
	FILE *f = fopen(path, "re");
	char *data = NULL;
	long len;
	int ret = 0;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		ret = -EIO;
	else if (!(data = malloc((size_t)len + 1)))
		ret = -ENOMEM;
	else if (fread(data, 1, (size_t)len, f) != (size_t)len)
		ret = -EIO;
	else
		kj_cpio_entry(out, name, 0100644, data, (size_t)len);
	free(data);
	fclose(f);
	return ret;
}

/*
 * B's initramfs: BASE, and an appended archive holding CONF at NAME and
 * the job's driver modules (MODS: paths, in load order) under
 * kjump/modules/, listed in kjump/modules.load.  Every write is checked:
 * a full /tmp must not hand B a cut archive.
 */
int kj_b_initrd(const char *base, const char *out_path, const char *name,
		const char *conf, char *const *mods, size_t nmods)
{
	FILE *in = fopen(base, "re"), *out = fopen(out_path, "we");
	char buf[1 << 16], list[4096], entry[160];
	size_t n, used = 0, i;
	long pos;
	int ret = 0;

	if (!in || !out) {
		ret = -errno;
		if (in)
			fclose(in);
		if (out)
			fclose(out);
		return ret;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			ret = -errno;
	if (ferror(in))
		ret = -EIO;
	fclose(in);
	pos = ftell(out);
	fwrite("\0\0\0\0", 1, (size_t)((4 - pos % 4) % 4), out);
	kj_cpio_entry(out, "kjump", 040755, NULL, 0);
	if (name && conf)
		kj_cpio_entry(out, name, 0100644, conf, strlen(conf));
	*list = 0;
	if (nmods)
		kj_cpio_entry(out, "kjump/modules", 040755, NULL, 0);
	for (i = 0; i < nmods && !ret; i++) {
		const char *b = strrchr(mods[i], '/') ? strrchr(mods[i], '/') + 1 : mods[i];

		snprintf(entry, sizeof(entry), "kjump/modules/%s", b);
		ret = kj_cpio_file(out, entry, mods[i]);
		if (used + strlen(b) + 2 > sizeof(list))
			ret = -E2BIG;
		else
			used += (size_t)sprintf(list + used, "%s\n", b);
	}
	if (nmods)
		kj_cpio_entry(out, "kjump/modules.load", 0100644, list, used);
	kj_cpio_entry(out, "TRAILER!!!", 0, NULL, 0);
	if (ferror(out) && !ret)
		ret = -EIO;
	if (fclose(out) && !ret)
		ret = -errno;
	return ret;
}

/*
 * The dump's real end (the furthest byte any of its ELF headers name) and
 * the bytes of memory it holds.
 */
static int kj_elf_end(int fd, uint64_t base, uint64_t *end, uint64_t *held)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i;

	if (pread(fd, &eh, sizeof(eh), (off_t)base) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -EINVAL;
	*end = eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize;
	*held = 0;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph),
			  (off_t)(base + eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != sizeof(ph))
			return -EIO;
		if (ph.p_offset + ph.p_filesz > *end)
			*end = ph.p_offset + ph.p_filesz;
		if (ph.p_type == PT_LOAD)
			*held += ph.p_filesz;
	}
	return 0;
}

/*
 * makedumpfile's kdump-compressed format (its diskdump_mod.h), as written
 * by the makedumpfile of this architecture: a header block, a sub-header,
 * two bitmaps (RAM, then dumped pages), one page descriptor per dumped
 * page, then the page data.  Only the fields used here are named.
 */
struct kj_kdump_header {
	char signature[8];		/* "KDUMP   " */
	int header_version;
	char utsname[6][65];
	struct { long sec, usec; } timestamp;
	unsigned int status;
	int block_size;
	int sub_hdr_size;		/* in blocks */
	unsigned int bitmap_blocks;
	unsigned int max_mapnr;
};

struct kj_kdump_sub {
	unsigned long phys_base;
	int dump_level;
	int split;
	unsigned long start_pfn, end_pfn;
	int64_t offset_vmcoreinfo;
	unsigned long size_vmcoreinfo;
	int64_t offset_note;
	unsigned long size_note;
	int64_t offset_eraseinfo;
	unsigned long size_eraseinfo;
	unsigned long long start_pfn_64, end_pfn_64, max_mapnr_64;
};

struct kj_kdump_desc {
	int64_t offset;
	unsigned int size;
	unsigned int flags;
	unsigned long long page_flags;
};

/* The end of a kdump-compressed dump: the furthest page descriptor's data. */
static int kj_kdump_end(int fd, uint64_t base, uint64_t *end, uint64_t *held)
{
	struct kj_kdump_header h;
	struct kj_kdump_sub sub;
	uint64_t bs, bitmap_bytes, descs, pos, i, n = 0;
	unsigned char *bm = NULL;
	struct kj_kdump_desc *d = NULL;
	int ret = -EINVAL;

	if (pread(fd, &h, sizeof(h), (off_t)base) != sizeof(h) ||
	    memcmp(h.signature, "KDUMP   ", 8) || h.block_size < 512 || h.sub_hdr_size < 1 ||
	    !h.bitmap_blocks || h.bitmap_blocks % 2)
		return -EINVAL;
	bs = (uint64_t)h.block_size;
	if (pread(fd, &sub, sizeof(sub), (off_t)(base + bs)) != sizeof(sub))
		return -EIO;
	bitmap_bytes = (uint64_t)h.bitmap_blocks / 2 * bs;
	bm = malloc(bitmap_bytes);
	d = malloc(4096 * sizeof(*d));
	if (!bm || !d) {
		ret = -ENOMEM;
		goto out;
	}
	/* The second bitmap: one bit per dumped page, one descriptor each. */
	pos = base + (1 + (uint64_t)h.sub_hdr_size) * bs + bitmap_bytes;
	if (pread(fd, bm, bitmap_bytes, (off_t)pos) != (ssize_t)bitmap_bytes) {
		ret = -EIO;
		goto out;
	}
	for (i = 0; i < bitmap_bytes; i++)
		n += (uint64_t)__builtin_popcount(bm[i]);
	descs = base + (1 + (uint64_t)h.sub_hdr_size + h.bitmap_blocks) * bs;
	*end = descs + n * sizeof(*d);
	*held = 0;
	for (i = 0; i < n; i += 4096) {
		uint64_t k, cnt = n - i < 4096 ? n - i : 4096;

		if (pread(fd, d, cnt * sizeof(*d), (off_t)(descs + i * sizeof(*d))) !=
		    (ssize_t)(cnt * sizeof(*d))) {
			ret = -EIO;
			goto out;
		}
		for (k = 0; k < cnt; k++) {
			if (d[k].offset < 0)
				goto out;
			if ((uint64_t)d[k].offset + d[k].size > *end)
				*end = (uint64_t)d[k].offset + d[k].size;
		}
	}
	*held = n * 4096;
	if (sub.offset_eraseinfo > 0 &&
	    (uint64_t)sub.offset_eraseinfo + sub.size_eraseinfo > *end)
		*end = (uint64_t)sub.offset_eraseinfo + sub.size_eraseinfo;
	ret = 0;
out:
	free(bm);
	free(d);
	return ret;
}

static void kj_help_dump(FILE *f)
{
	fprintf(f,
"usage: %s dump [--kernel BZIMAGE] [--initrd FILE] [--append \"ARGS\"]\n"
"                [--region SIZE[@ADDR]] [--level N] [--compress lzo|zlib|zstd]\n"
"                [--format elf|kdump] [--plain] FILE | --device DEV [--force]\n"
"  Write a vmcore of this running kernel to FILE (or the block device DEV)\n"
"  and carry on.  kjump jumps into kernel B (default /boot/vmlinuz-$(uname -r)\n"
"  with /var/lib/kjump/initrd.img-$(uname -r), the initramfs kjump's hook\n"
"  builds), B's makedumpfile writes A's memory and B jumps back.\n"
"  --level N    makedumpfile's dump level (default 17: zero and free pages\n"
"               left out; 31 also drops page cache and user pages)\n"
"  --format     elf (default; crash, drgn, gdb) or kdump (makedumpfile's\n"
"               kdump-compressed format; crash and makedumpfile)\n"
"  --compress   kdump format with pages compressed by makedumpfile (zstd\n"
"               only if its makedumpfile was built with it)\n"
"  --plain      B copies /proc/vmcore as it is (cp): nothing left out\n"
"  FILE must not exist (it is created, never overwritten) and its filesystem\n"
"  needs room for the worst case, MemTotal + 16 MiB, while the dump runs;\n"
"  FILE is then cut to the dump's size.  DEV must be unused (not mounted)\n"
"  and at least that large; it is written from its start.  A DEV holding a\n"
"  filesystem, swap, LVM, RAID or a partition table is refused: --force\n"
"  writes over it.\n",
		prog);
}

/* Does the makedumpfile here (and in B: the same package) compress so? */
static int kj_makedumpfile_has(const char *what)
{
	char cmd[64], line[128];
	int found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "makedumpfile -v 2>/dev/null");
	p = popen(cmd, "re");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p))
		if (!strncmp(line, what, strlen(what)) && strstr(line, "enabled"))
			found = 1;
	pclose(p);
	return found;
}

struct kj_dump_opts {
	int level;
	int kdump;		/* kdump-compressed, else ELF */
	char compress;		/* makedumpfile's flag letter, or 0 */
	int plain;		/* cp /proc/vmcore */
	const char *device;
	int force;		/* --device: write over a signature */
};

static int kj_dump_parse(struct kj_dump_opts *d, int c, const char *arg)
{
	switch (c) {
	case 'l':
		d->level = atoi(arg);
		return d->level < 0 || d->level > 31 || !*arg ? -1 : 1;
	case 'F':
		if (!strcmp(arg, "elf") || !strcmp(arg, "kdump")) {
			d->kdump = !strcmp(arg, "kdump");
			return 1;
		}
		fprintf(stderr, "%s: --format is elf or kdump, not '%s'\n", prog, arg);
		return -1;
	case 'C':
		d->kdump = 1;
		if (!strcmp(arg, "lzo"))
			d->compress = 'l';
		else if (!strcmp(arg, "zlib"))
			d->compress = 'c';
		else if (!strcmp(arg, "zstd"))
			d->compress = 'z';
		else if (strcmp(arg, "none")) {
			fprintf(stderr, "%s: --compress is lzo, zlib, zstd or none, not '%s'\n",
				prog, arg);
			return -1;
		}
		return 1;
	case 'P':
		d->plain = 1;
		return 1;
	case 'D':
		d->device = arg;
		return 1;
	case 'f':
		d->force = 1;
		return 1;
	}
	return 0;
}

/* The target: FILE made whole at the worst-case size, or DEV checked. */
static int kj_dump_target(const struct kj_dump_opts *d, const char *file, uint64_t *size,
			  struct kj_extent *ext, size_t *n, struct stat *st, char *bdev,
			  size_t blen)
{
	uint64_t need = *size, devsize = 0;
	int fd, ret;

	if (d->device) {
		char why[256];

		fd = kj_open_target_device(d->device, d->force, &devsize, why, sizeof(why));
		if (fd < 0 || fstat(fd, st)) {
			fprintf(stderr, "%s: %s\n", prog, fd < 0 ? why : strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (devsize < need) {
			fprintf(stderr, "%s: %s holds %" PRIu64 " MiB; a dump of this machine may "
				"need %" PRIu64 " MiB: use a larger device\n", prog, d->device,
				devsize >> 20, need >> 20);
			close(fd);
			return -1;
		}
		*size = devsize & ~4095ULL;
		snprintf(bdev, blen, "%s", d->device);
		ext[0].logical = 0;
		ext[0].physical = 0;
		ext[0].length = *size;
		*n = 1;
		st->st_dev = st->st_rdev;
		return fd;
	}
	fd = kj_create_target(file, need, "a dump of this machine", "dump elsewhere");
	if (fd < 0)
		return -1;
	printf("dump: %s, up to %" PRIu64 " MiB\n", file, need >> 20);
	ret = kj_fill(fd, need);
	if (!ret)
		ret = kj_extents(fd, need, ext, n, KJ_MAX_EXTENTS, 0, NULL);
	if (!ret && fstat(fd, st))
		ret = -errno;
	if (!ret)
		ret = kj_block_device(st->st_dev, bdev, blen);
	if (ret) {
		fprintf(stderr, "%s: cannot map %s's blocks for B (%s): use a plain local "
			"filesystem (ext4, xfs) or --device\n", prog, file, strerror(-ret));
		close(fd);
		unlink(file);
		return -1;
	}
	return fd;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		KJ_HELPER_OPTIONS,
		KJ_HELPER_REGION_OPTION,
		{ "level", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'F' },
		{ "compress", required_argument, NULL, 'C' },
		{ "plain", no_argument, NULL, 'P' },
		{ "device", required_argument, NULL, 'D' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct kj_extent ext[KJ_MAX_EXTENTS];
	struct kj_dump_opts d = { .level = 17 };
	char bdev[128], driver[256], dev_dev[160], hex[2 * KJ_NONCE_LEN + 1];
	char msg[KJUMP_MSG_MAX + 1] = "";
	uint8_t nonce[KJ_NONCE_LEN];
	struct kj_disk_id disk;
	const char *file = NULL, *what;
	struct kj_helper b;
	uint64_t size, end = 0, held = 0, ram = 0;
	struct kj_memmap sysram;
	struct kjump_jump j;
	struct stat st;
	size_t n = 0, i, cl = 0;
	char *conf;
	int c, fd, kfd = -1, ret;

	kj_helper_init(&b);
	while ((c = getopt_long(argc, argv, "k:i:a:R:l:F:C:PD:fh", opts, NULL)) != -1) {
		ret = kj_helper_option(&b, c, optarg);
		if (!ret)
			ret = kj_dump_parse(&d, c, optarg);
		if (ret < 0)
			return 2;
		if (ret)
			continue;
		switch (c) {
		case 'h': kj_help_dump(stdout); return 0;
		default: kj_help_dump(stderr); return 2;
		}
	}
	if (optind != argc - !d.device || (d.plain && (d.kdump || d.level != 17))) {
		if (d.plain && (d.kdump || d.level != 17))
			fprintf(stderr, "%s: --plain copies /proc/vmcore as it is: no --level, "
				"--format or --compress with it\n", prog);
		kj_help_dump(stderr);
		return 2;
	}
	if (!d.device)
		file = argv[optind];
	if (d.compress == 'z' && !kj_makedumpfile_has("zstd")) {
		fprintf(stderr, "%s: this makedumpfile is built without zstd (makedumpfile -v): "
			"use --compress lzo or zlib\n", prog);
		return 1;
	}
	if (d.compress == 'l' && !kj_makedumpfile_has("lzo")) {
		fprintf(stderr, "%s: this makedumpfile is built without lzo (makedumpfile -v): "
			"use --compress zlib\n", prog);
		return 1;
	}
	if (kj_helper_ready(&b, "B"))
		return 1;
	kfd = kj_open();

	/* The target: room for the worst case, every block allocated and written. */
	size = ((kj_meminfo("MemTotal") + KJ_DUMP_SLACK + KJ_DUMP_TRAILER) + 4095) & ~4095ULL;
	fd = kj_dump_target(&d, file, &size, ext, &n, &st, bdev, sizeof(bdev));
	if (fd < 0)
		return 1;
	what = d.device ? d.device : file;
	kj_device_modules(st.st_dev, driver, sizeof(driver) - 8);
	strcat(driver, "dm_mod");
	if (kj_disk_identify(st.st_dev, &disk) || kj_nonce_new(nonce)) {
		fprintf(stderr, "%s: cannot tell what %s is (sysfs): B could not find it again\n",
			prog, bdev);
		goto fail;
	}
	if (d.device)
		*disk.fsuuid = 0;
	kj_nonce_hex(nonce, hex);
	b.modules = driver;

	/*
	 * B's instructions: the disk as A sees it (B finds it by that and the
	 * nonce, never by name: the table's device is replaced with what B
	 * found), the drivers, and the linear table of the blocks.
	 */
	conf = malloc(2048 + n * 96);
	if (!conf)
		goto fail;
	snprintf(dev_dev, sizeof(dev_dev), "%s", d.plain ? "plain" : d.kdump ? "kdump" : "elf");
	cl = (size_t)sprintf(conf, "device=%s\nmodules=%s\nsize=%" PRIu64
			     "\nlevel=%d\nformat=%s\ncompress=%c\ntrailer=%" PRIu64 "\nnonce=%s\n"
			     "nonce.offset=%" PRIu64 "\n", bdev, driver, size, d.level, dev_dev,
			     d.compress ? d.compress : '-',
			     (uint64_t)((size - KJ_DUMP_TRAILER) / 512), hex, ext[0].physical);
	kj_disk_id_format(&disk, conf + cl, 1024);
	cl += strlen(conf + cl);
	for (i = 0; i < n; i++)
		cl += (size_t)sprintf(conf + cl, "table %" PRIu64 " %" PRIu64 " linear %s %" PRIu64 "\n",
				      ext[i].logical / 512, ext[i].length / 512, bdev,
				      ext[i].physical / 512);
	ret = kj_helper_load(kfd, &b, KJ_DUMP_CONF, conf, "kjump.dump", 1, 0);
	free(conf);
	if (ret)
		goto fail;
	/* Last before the jump: B writes only where it reads this back. */
	ret = kj_nonce_put(bdev, ext[0].physical, nonce);
	if (ret) {
		fprintf(stderr, "%s: cannot mark %s's first block for B: %s\n", prog, bdev,
			strerror(-ret));
		ioctl(kfd, KJUMP_IOC_UNLOAD, KJUMP_UNLOAD_DISCARD);
		goto fail;
	}
	{
		struct kjump_status st;

		if (!kj_status(kfd, &st))
			printf("  B's region: 0x%llx-0x%llx\n", (unsigned long long)st.region.start,
			       (unsigned long long)(st.region.start + st.region.size - 1));
	}
	printf("  jumping to B (%s) to write the dump; A stops meanwhile\n", b.kernel);
	fflush(NULL);
	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	j.msg = (uintptr_t)msg;
	j.msg_size = sizeof(msg) - 1;
	ret = ioctl(kfd, KJUMP_IOC_JUMP, &j);
	ioctl(kfd, KJUMP_IOC_UNLOAD, KJUMP_UNLOAD_DISCARD);
	if (ret) {
		kj_jump_error("jump", errno);
		if (file)
			unlink(file);
		return 1;
	}

	/* B wrote under the page cache: drop A's cached blocks, then read. */
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (d.device)
		ioctl(fd, BLKFLSBUF, 0);
	{
		char report[4096] = "";
		ssize_t r = pread(fd, report, sizeof(report) - 1, (off_t)(size - KJ_DUMP_TRAILER));

		if (r > 0 && !strncmp(report, "KJUMP-DUMP", 10))
			printf("%s", report + 11);
	}
	ret = j.status != KJUMP_PEER_DUMPED ? -EIO :
	      d.kdump ? kj_kdump_end(fd, 0, &end, &held) : kj_elf_end(fd, 0, &end, &held);
	if (ret || end > size - KJ_DUMP_TRAILER) {
		msg[j.msg_len < sizeof(msg) ? j.msg_len : sizeof(msg) - 1] = 0;
		fprintf(stderr, "%s: B did not write a dump (status %s); A carries on.%s%s%s\n",
			prog, kj_peer_status_name(j.status), *msg ? " B said:\n" : " B's console "
			"has the details", msg, *msg && msg[strlen(msg) - 1] != '\n' ? "\n" : "");
		if (file)
			unlink(file);
		return 1;
	}
	if (file && (ftruncate(fd, (off_t)end) || fsync(fd))) {
		fprintf(stderr, "%s: cannot cut %s to its size: %s\n", prog, file, strerror(errno));
		return 1;
	}
	close(fd);
	if (!kj_read_system_ram(&sysram))
		for (i = 0; i < sysram.n; i++)
			ram += sysram.r[i].end - sysram.r[i].start + 1;
	printf("dump: %s: %" PRIu64 " MiB written (%" PRIu64 " bytes, %s); %" PRIu64 " pages "
	       "dumped, %" PRIu64 " left out (%s); A stopped for %.0f ms\n",
	       what, end >> 20, end, dev_dev, held / 4096, ram > held ? (ram - held) / 4096 : 0,
	       d.plain ? "none: a plain copy" : d.level == 17 ? "zero and free pages" :
	       d.level == 31 ? "zero, free, cache and user pages" : "by the dump level",
	       (double)(j.ns_total + j.ns_away + j.ns_swap_out + j.ns_swap_in) / 1e6);
	return 0;
fail:
	close(fd);
	if (file)
		unlink(file);
	return 1;
}
