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
	       int unwritten_ok)
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

/*
 * The modules driving the device and the buses above it (virtio_blk,
 * virtio_pci, ...), for B's agent to load before it looks for the device.
 */
void kj_device_modules(dev_t dev, char *mods, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX + 32], target[PATH_MAX], *slash;
	size_t used = 0;

	*mods = 0;
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u/device", major(dev), minor(dev));
	if (!realpath(link, path)) {	/* a partition: its disk's device */
		snprintf(link, sizeof(link), "/sys/dev/block/%u:%u/../device",
			 major(dev), minor(dev));
		if (!realpath(link, path))
			return;
	}
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

/* B's initramfs: BASE, and an appended archive holding CONF at NAME. */
int kj_b_initrd(const char *base, const char *out_path, const char *name,
		const char *conf)
{
	FILE *in = fopen(base, "re"), *out = fopen(out_path, "we");
	char buf[1 << 16];
	size_t n;
	long pos;

	if (!in || !out) {
		if (in)
			fclose(in);
		if (out)
			fclose(out);
		return -errno;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	pos = ftell(out);
	fwrite("\0\0\0\0", 1, (size_t)((4 - pos % 4) % 4), out);
	kj_cpio_entry(out, "kjump", 040755, NULL, 0);
	kj_cpio_entry(out, name, 0100644, conf, strlen(conf));
	kj_cpio_entry(out, "TRAILER!!!", 0, NULL, 0);
	return fclose(out) ? -errno : 0;
}

/*
 * The dump's real end (the furthest byte any of its ELF headers name) and
 * the bytes of memory it holds.
 */
static int kj_elf_end(int fd, uint64_t *end, uint64_t *held)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int i;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -EINVAL;
	*end = eh.e_phoff + (uint64_t)eh.e_phnum * eh.e_phentsize;
	*held = 0;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    sizeof(ph))
			return -EIO;
		if (ph.p_offset + ph.p_filesz > *end)
			*end = ph.p_offset + ph.p_filesz;
		if (ph.p_type == PT_LOAD)
			*held += ph.p_filesz;
	}
	return 0;
}

static void kj_help_dump(FILE *f)
{
	fprintf(f,
"usage: %s dump [--kernel BZIMAGE] [--initrd FILE] [--append \"ARGS\"]\n"
"                [--region SIZE] [--level N] FILE\n"
"  Write a vmcore of this running kernel to FILE and carry on.  kjump jumps\n"
"  into kernel B (default /boot/vmlinuz-$(uname -r) with\n"
"  /var/lib/kjump/initrd.img-$(uname -r), the initramfs kjump's hook builds),\n"
"  B's makedumpfile writes A's memory into FILE's blocks (ELF, dump level N,\n"
"  default 17: zero and free pages left out; 31 also drops cache and user\n"
"  pages) and jumps back.\n"
"  FILE's filesystem needs room for the worst case, MemTotal + 16 MiB, while\n"
"  the dump runs; FILE is then cut to the dump's size.\n", prog);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		KJ_HELPER_OPTIONS,
		KJ_HELPER_REGION_OPTION,
		{ "level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct kj_extent ext[KJ_MAX_EXTENTS];
	char bdev[128], driver[256];
	const char *file;
	struct kj_helper b;
	uint64_t size, end = 0, held = 0, ram = 0;
	struct kj_memmap sysram;
	struct kjump_jump j;
	struct stat st;
	size_t n = 0, i, cl = 0;
	char *conf;
	int c, fd, kfd = -1, ret, level = 17;

	kj_helper_init(&b);
	while ((c = getopt_long(argc, argv, "k:i:a:R:l:h", opts, NULL)) != -1) {
		ret = kj_helper_option(&b, c, optarg);
		if (ret < 0)
			return 2;
		if (ret)
			continue;
		switch (c) {
		case 'l': level = atoi(optarg); break;
		case 'h': kj_help_dump(stdout); return 0;
		default: kj_help_dump(stderr); return 2;
		}
	}
	if (optind != argc - 1 || level < 0 || level > 31) {
		kj_help_dump(stderr);
		return 2;
	}
	file = argv[optind];
	if (kj_helper_ready(&b, "B"))
		return 1;
	kfd = kj_open();

	/* The file: room for the worst case, every block allocated and written. */
	size = ((kj_meminfo("MemTotal") + KJ_DUMP_SLACK + KJ_DUMP_TRAILER) + 4095) & ~4095ULL;
	fd = kj_create_target(file, size, "a dump of this machine", "dump elsewhere");
	if (fd < 0)
		return 1;
	printf("dump: %s, up to %" PRIu64 " MiB\n", file, size >> 20);
	ret = kj_fill(fd, size);
	if (!ret)
		ret = kj_extents(fd, size, ext, &n, KJ_MAX_EXTENTS, 0);
	if (!ret && fstat(fd, &st))
		ret = -errno;
	if (!ret)
		ret = kj_block_device(st.st_dev, bdev, sizeof(bdev));
	if (ret) {
		fprintf(stderr, "%s: cannot map %s's blocks for B (%s): use a plain local "
			"filesystem (ext4, xfs) or --device\n", prog, file, strerror(-ret));
		unlink(file);
		return 1;
	}
	kj_device_modules(st.st_dev, driver, sizeof(driver));

	/* B's instructions: device, driver, and the linear table of FILE's blocks. */
	conf = malloc(512 + n * 96);
	if (!conf)
		return 1;
	cl = (size_t)sprintf(conf, "device=%s\nmodules=%sdm_mod\nsize=%" PRIu64
			     "\nlevel=%d\ntrailer=%" PRIu64 "\n", bdev, driver, size, level,
			     (uint64_t)((size - KJ_DUMP_TRAILER) / 512));
	for (i = 0; i < n; i++)
		cl += (size_t)sprintf(conf + cl, "table %" PRIu64 " %" PRIu64 " linear %s %" PRIu64 "\n",
				      ext[i].logical / 512, ext[i].length / 512, bdev,
				      ext[i].physical / 512);
	ret = kj_helper_load(kfd, &b, KJ_DUMP_CONF, conf, "kjump.dump", 1, 0);
	free(conf);
	if (ret) {
		unlink(file);
		return 1;
	}
	printf("  jumping to B (%s) to write the dump; A stops meanwhile\n", b.kernel);
	fflush(NULL);
	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	ret = ioctl(kfd, KJUMP_IOC_JUMP, &j);
	ioctl(kfd, KJUMP_IOC_UNLOAD, KJUMP_UNLOAD_DISCARD);
	if (ret) {
		kj_jump_error("jump", errno);
		unlink(file);
		return 1;
	}

	/* B wrote under the page cache: drop A's cached zeros, then read. */
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	{
		char report[4096] = "";
		ssize_t r = pread(fd, report, sizeof(report) - 1, (off_t)(size - KJ_DUMP_TRAILER));

		if (r > 0 && !strncmp(report, "KJUMP-DUMP", 10))
			printf("%s", report + 11);
	}
	if (j.status != KJUMP_PEER_DUMPED || kj_elf_end(fd, &end, &held) || end > size) {
		fprintf(stderr, "%s: B did not write a dump (status %s); A carries on. B's "
			"console has the details\n", prog, kj_peer_status_name(j.status));
		unlink(file);
		return 1;
	}
	if (ftruncate(fd, (off_t)end) || fsync(fd)) {
		fprintf(stderr, "%s: cannot cut %s to its size: %s\n", prog, file, strerror(errno));
		return 1;
	}
	close(fd);
	if (!kj_read_system_ram(&sysram))
		for (i = 0; i < sysram.n; i++)
			ram += sysram.r[i].end - sysram.r[i].start + 1;
	printf("dump: %s: %" PRIu64 " MiB written (%" PRIu64 " bytes); %" PRIu64 " pages "
	       "dumped, %" PRIu64 " left out (zero and free at level %d); A stopped for %.0f ms\n",
	       file, end >> 20, end, held / 4096, ram > held ? (ram - held) / 4096 : 0, level,
	       (double)(j.ns_total + j.ns_away + j.ns_swap_out + j.ns_swap_in) / 1e6);
	return 0;
}
