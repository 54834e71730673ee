// SPDX-License-Identifier: GPL-2.0
/*
 * kexec-based hibernation (docs/image-format.md has the format and the
 * whole sequence):
 *
 *   A  hibernate --image TARGET  prepares TARGET (a device, or a file whose
 *                                blocks it maps), syncs, jumps into B with
 *                                the save map
 *   B  save-image CONF           writes A's pages from /proc/vmcore into
 *                                TARGET's blocks, then powers off
 *   C  resume --image DEV:OFF    checks the image against this machine and
 *                                kernel, loads D into A's region, jumps
 *   D  restore-image DEV:OFF     verifies the whole image, invalidates it,
 *                                writes A's pages back through the module
 *                                and jumps into A
 *
 * Page data is compressed with zstd in 1 MiB chunks; every chunk and the
 * header carry an XXH64 (libxxhash).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <elf.h>
#include <linux/fs.h>
#include <xxhash.h>
#include <zstd.h>
#include "disk.h"
#include "kjumpctl.h"
#include "memmap.h"
#include "image/image.h"

/* B only saves A: it needs less than a general B (KJ_DEFAULT_REGION). */
#define KJH_DEFAULT_REGION	(112ULL << 20)
#define KJH_D_HEADROOM		(16ULL << 20)
#define KJH_CONF		"kjump/hibernate.conf"
#define KJH_SLACK		((uint64_t)64 << 20)
#define KJH_READAHEAD		(8UL << 20)

_Static_assert(KJH_MAX_RAM >= KJUMP_JB_MAX_RAM, "the image holds every jump buffer RAM range");

static void kjh_machine(char *buf, size_t len)
{
	FILE *f = fopen("/sys/class/dmi/id/product_uuid", "re");

	*buf = 0;
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

/* "NAME:OFFSET" (OFFSET in bytes; none means 0): NAME as kj_disk_resolve() takes it. */
static int kjh_parse_spec(const char *spec, char *dev, size_t len, uint64_t *off)
{
	const char *colon = strrchr(spec, ':');

	*off = 0;
	if (colon && colon != spec && colon[1] &&
	    strspn(colon + 1, "0123456789xXabcdefABCDEF") == strlen(colon + 1)) {
		char *end;

		*off = strtoull(colon + 1, &end, 0);
		if (*end || *off % 512)
			return -EINVAL;
		snprintf(dev, len, "%.*s", (int)(colon - spec), spec);
	} else {
		snprintf(dev, len, "%s", spec);
	}
	return *dev == '/' || !strncmp(dev, "UUID=", 5) || !strncmp(dev, "ID=", 3) ||
	       !strncmp(dev, "PATH=", 5) ? 0 : -EINVAL;
}

/* Is this machine and kernel the one the image came from? */
static int kjh_check_identity(const struct kjh_header *h, int check_ram, char *why, size_t wlen)
{
	struct kj_memmap ram;
	struct utsname un;
	char machine[40];
	uint32_t i;

	uname(&un);
	if (strncmp(h->release, un.release, sizeof(h->release))) {
		snprintf(why, wlen, "the image is of kernel %.68s, this is %s: boot %.68s to resume it",
			 h->release, un.release, h->release);
		return -1;
	}
	kjh_machine(machine, sizeof(machine));
	if (*machine && *h->machine && strcmp(machine, h->machine)) {
		snprintf(why, wlen, "the image is from another machine (product UUID %.40s, this is %s)",
			 h->machine, machine);
		return -1;
	}
	if (!check_ram)
		return 0;
	if (kj_read_system_ram(&ram)) {
		snprintf(why, wlen, "cannot read this machine's memory map (/proc/iomem)");
		return -1;
	}
	if (ram.n != h->nr_ram) {
		snprintf(why, wlen, "the image is from a machine with another memory map "
			 "(%u RAM ranges there, %zu here)", h->nr_ram, ram.n);
		return -1;
	}
	for (i = 0; i < h->nr_ram; i++) {
		if (ram.r[i].start != h->ram[i].start || ram.r[i].end + 1 != h->ram[i].end) {
			snprintf(why, wlen, "the image is from a machine with another memory map "
				 "(RAM 0x%" PRIx64 "-0x%" PRIx64 " there, 0x%" PRIx64 "-0x%" PRIx64
				 " here)", h->ram[i].start, h->ram[i].end - 1, ram.r[i].start,
				 ram.r[i].end);
			return -1;
		}
	}
	return 0;
}

/* ---- A: hibernate ---- */

static void kjh_drop_caches(void)
{
	uint64_t before = kj_meminfo("MemFree");
	int ret = kj_drop_caches();

	if (ret)
		fprintf(stderr, "%s: cannot drop the caches (%s); going on\n", prog,
			strerror(-ret));
	printf("hibernate: synced and dropped clean caches: %" PRIu64 " MiB free (was %"
	       PRIu64 ")\n", kj_meminfo("MemFree") >> 20, before >> 20);
}

static void kjh_help_hibernate(FILE *f)
{
	fprintf(f,
"usage: %s hibernate --image TARGET [--kernel BZIMAGE] [--initrd FILE]\n"
"                    [--append \"ARGS\"] [--region SIZE[@ADDR]] [--keep-cache]\n"
"                    [--force]\n"
"  Save this kernel's memory to TARGET and power off; a later boot with\n"
"  kjump.resume=DEV:OFFSET (printed here) resumes it.  TARGET is a block\n"
"  device or partition, or a file on a local filesystem (ext4, xfs), which\n"
"  is created at the worst-case size (RAM in use + the region + 64 MiB), written\n"
"  raw by B through its block map; kjumpctl's own image file is reused in\n"
"  place (kjump.resume= stays the same), any other file is refused.  A\n"
"  device in use (mounted, swap, held) is refused, and so is one holding\n"
"  a filesystem, swap, LVM, RAID or a partition table unless --force.  No\n"
"  swap is needed.  kjump jumps into B\n"
"  (default /boot/vmlinuz-$(uname -r) with /var/lib/kjump/initrd.img-$(uname -r));\n"
"  B saves the pages A uses, zstd-compressed, and powers off.\n"
"  Like the kernel's own hibernation, A first syncs and drops its clean\n"
"  caches (--keep-cache keeps them): B's region (default %llu MiB) needs\n"
"  the memory, and the image is smaller.\n", prog, KJH_DEFAULT_REGION >> 20);
}

/*
 * The image file.  A new one is created; an existing one is reused in
 * place, like a swap file, so its first block -- and kjump.resume= -- stays
 * the same from one hibernation to the next.  Only a file whose every
 * block is allocated and unwritten (as kjumpctl leaves it: B and D use the
 * blocks raw) is reused: anything written through the filesystem is
 * someone's data and is refused, never truncated.  It grows if this
 * machine now needs more; *size becomes what is mapped.
 */
static int kjh_image_file(const char *image, uint64_t *size, int *made);

/*
 * Is @image free for an image: absent (it will be created), or kjumpctl's
 * own image file?  0, or -1 said why.  kjh_image_file() checks again as
 * it opens the file.
 */
static int kjh_image_file_usable(const char *image)
{
	struct stat st;
	uint64_t size = 0;
	int fd, made = 0;

	if (lstat(image, &st) && errno == ENOENT)
		return 0;
	fd = kjh_image_file(image, &size, &made);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int kjh_image_file(const char *image, uint64_t *size, int *made)
{
	struct kj_extent ext[KJH_MAX_EXTENTS];
	struct statvfs sv;
	struct stat st;
	size_t n;
	int fd, ret, written = 0;

	if (lstat(image, &st) && errno == ENOENT) {
		*made = 1;
		return kj_create_target(image, *size, "this machine's image",
					"use another target");
	}
	fd = open(image, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, image, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: %s is neither a regular file nor a block device\n", prog,
			image);
		goto fail;
	}
	if (st.st_size) {
		ret = kj_extents(fd, (uint64_t)st.st_size, ext, &n, KJH_MAX_EXTENTS, 1,
				 &written);
		if (!ret && written)
			ret = -EEXIST;
		if (ret) {
			fprintf(stderr, "%s: %s exists and is not a kjump image file (%s): "
				"kjumpctl reuses only its own (blocks allocated, never written "
				"through the filesystem); remove it or choose another path\n",
				prog, image, ret == -EEXIST ? "it holds data" : strerror(-ret));
			goto fail;
		}
	}
	if ((uint64_t)st.st_size >= *size) {
		*size = (uint64_t)st.st_size;
		return fd;
	}
	if (fstatvfs(fd, &sv) ||
	    (uint64_t)sv.f_bavail * sv.f_frsize < *size - (uint64_t)st.st_size) {
		fprintf(stderr, "%s: %s holds %" PRIu64 " MiB and its filesystem cannot grow it "
			"to the %" PRIu64 " MiB this machine's image may need: free space or "
			"use another target\n", prog, image, (uint64_t)st.st_size >> 20,
			*size >> 20);
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static void kjh_kmsg(const char *fmt, const char *arg);

int cmd_hibernate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'I' },
		KJ_HELPER_OPTIONS,
		KJ_HELPER_REGION_OPTION,
		{ "keep-cache", no_argument, NULL, 'K' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct kj_extent ext[KJH_MAX_EXTENTS];
	char bdev[128], driver[256], pci[256], stable[300], spec[320], why[256];
	char hex[2 * KJ_NONCE_LEN + 1], msg[KJUMP_MSG_MAX + 1] = "";
	uint8_t nonce[KJ_NONCE_LEN];
	struct kj_disk_id disk;
	const char *image = NULL;
	struct kj_helper b;
	struct kj_memmap sysram;
	uint64_t size, used, t0;
	struct kjump_jump j;
	struct timespec ts;
	struct stat st;
	size_t n = 0, i, cl;
	char *conf;
	int c, fd = -1, kfd, ret, is_dev, made = 0, keep_cache = 0, force = 0;

	kj_helper_init(&b);
	b.region_size = KJH_DEFAULT_REGION;
	while ((c = getopt_long(argc, argv, "I:k:i:a:R:Kfh", opts, NULL)) != -1) {
		ret = kj_helper_option(&b, c, optarg);
		if (ret < 0)
			return 2;
		if (ret)
			continue;
		switch (c) {
		case 'I': image = optarg; break;
		case 'K': keep_cache = 1; break;
		case 'f': force = 1; break;
		case 'h': kjh_help_hibernate(stdout); return 0;
		default: kjh_help_hibernate(stderr); return 2;
		}
	}
	if (!image || optind != argc) {
		kjh_help_hibernate(stderr);
		return 2;
	}
	if (kj_helper_ready(&b, "B"))
		return 1;
	kfd = kj_open();
	/* The target first: nothing changes on this machine until it is fit. */
	is_dev = !stat(image, &st) && S_ISBLK(st.st_mode);
	if (is_dev) {
		fd = kj_open_target_device(image, force, &size, why, sizeof(why));
		if (fd < 0) {
			fprintf(stderr, "%s: %s\n", prog, why);
			return 1;
		}
	} else if (kjh_image_file_usable(image)) {
		return 1;
	}
	if (!keep_cache) {
		kjh_drop_caches();
		b.drop_caches = 1;
	}
	/* A freezes right after LOAD: the region may take more of its memory. */
	b.jump_now = 1;
	/*
	 * D runs in this same region at resume, loaded by C with C's copies
	 * of the image disk's drivers: its initramfs may be larger than B's
	 * (seen: 4 MiB more with NVMe and AHCI), and it cannot grow then.
	 */
	b.headroom = KJH_D_HEADROOM;
	/* B saves the shadow pages too: D restores RAM as it physically was. */
	b.vmcore_phys = 1;

	/* Worst case: every page in use now, uncompressible, plus framing. */
	/*
	 * The save map is System RAM less free pages and the region: that
	 * counts what MemTotal leaves out (reserved at boot), and the shadow
	 * pages LOAD is about to take from free memory (up to the region).
	 */
	used = kj_meminfo("MemTotal");
	if (!kj_read_system_ram(&sysram)) {
		uint64_t total = 0;

		for (i = 0; i < sysram.n; i++)
			total += sysram.r[i].end - sysram.r[i].start + 1;
		if (total > used)
			used = total;
	}
	used = used - kj_meminfo("MemFree") + b.region_size;
	size = kjh_align(used + used / 128 + KJH_SLACK, KJH_PAGE);

	if (is_dev) {
		if (size < used + KJH_SLACK) {
			fprintf(stderr, "%s: %s holds %" PRIu64 " MiB; this machine's image may "
				"need %" PRIu64 " MiB: use a larger device\n", prog, image,
				size >> 20, (used + KJH_SLACK) >> 20);
			return 1;
		}
		snprintf(bdev, sizeof(bdev), "%s", image);
		ext[0].logical = 0;
		ext[0].physical = 0;
		ext[0].length = size;
		n = 1;
		st.st_dev = st.st_rdev;
	} else {
		fd = kjh_image_file(image, &size, &made);
		if (fd < 0)
			return 1;
		/* Allocated, not written: B writes the blocks raw, D reads them raw. */
		ret = fallocate(fd, 0, 0, (off_t)size) ? -errno : 0;
		if (!ret && fsync(fd))
			ret = -errno;
		if (!ret)
			ret = kj_extents(fd, size, ext, &n, KJH_MAX_EXTENTS, 1, NULL);
		if (!ret && fstat(fd, &st))
			ret = -errno;
		if (!ret)
			ret = kj_block_device(st.st_dev, bdev, sizeof(bdev));
		if (ret) {
			fprintf(stderr, "%s: cannot map %s's blocks for B (%s): use a plain local "
				"filesystem (ext4, xfs), a less fragmented file (at most %d "
				"extents), or a device\n", prog, image, strerror(-ret),
				KJH_MAX_EXTENTS);
			if (made)
				unlink(image);
			return 1;
		}
	}
	kj_device_modules(st.st_dev, driver, sizeof(driver));
	kj_device_pci(st.st_dev, pci, sizeof(pci));
	if (kj_disk_identify(st.st_dev, &disk) || kj_nonce_new(nonce)) {
		fprintf(stderr, "%s: cannot tell what %s is (sysfs): B could not find it again\n",
			prog, bdev);
		if (made)
			unlink(image);
		return 1;
	}
	/* A device's own content is about to go: only a file's filesystem names it. */
	if (is_dev)
		*disk.fsuuid = 0;
	kj_disk_stable_name(&disk, !is_dev, stable, sizeof(stable));
	kj_nonce_hex(nonce, hex);
	b.modules = driver;

	conf = malloc(2048 + sizeof(pci) + n * 80);
	if (!conf)
		return 1;
	cl = (size_t)sprintf(conf, "device=%s\nmodules=%s\npci=%s\nnonce=%s\nnonce.offset=%"
			     PRIu64 "\n", bdev, driver, pci, hex, ext[0].physical);
	kj_disk_id_format(&disk, conf + cl, 1024);
	cl += strlen(conf + cl);
	for (i = 0; i < n; i++)
		cl += (size_t)sprintf(conf + cl, "ext %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
				      ext[i].logical, ext[i].physical, ext[i].length);
	ret = kj_helper_load(kfd, &b, KJH_CONF, conf, "kjump.hibernate", 1, 0);
	free(conf);
	if (ret) {
		if (made)
			unlink(image);
		return 1;
	}
	/*
	 * The nonce goes into the image's first block last of all: B writes
	 * only where it reads it back.
	 */
	ret = kj_nonce_put(bdev, ext[0].physical, nonce);
	if (ret) {
		fprintf(stderr, "%s: cannot mark %s's first block for B: %s\n", prog, bdev,
			strerror(-ret));
		ioctl(kfd, KJUMP_IOC_UNLOAD, KJUMP_UNLOAD_DISCARD);
		if (made)
			unlink(image);
		return 1;
	}
	snprintf(spec, sizeof(spec), "%s:%" PRIu64, *stable ? stable : bdev, ext[0].physical);
	printf("hibernate: image to %s (%s, up to %" PRIu64 " MiB); resume with "
	       "kjump.resume=%s\n", image, bdev, size >> 20, spec);
	printf("  syncing, then jumping to B (%s), which saves A and powers off\n", b.kernel);
	/* In the kernel log too: the journal keeps it, and the console writes it at once. */
	kjh_kmsg("kjump: hibernate: kjump.resume=%s\n", spec);
	fflush(NULL);
	sync();
	clock_gettime(CLOCK_REALTIME, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;

	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	j.flags = KJUMP_JUMP_SAVEMAP;
	j.msg = (uintptr_t)msg;
	j.msg_size = sizeof(msg) - 1;
	ret = ioctl(kfd, KJUMP_IOC_JUMP, &j);
	if (ret) {
		kj_jump_error("jump", errno);
		ioctl(kfd, KJUMP_IOC_UNLOAD, KJUMP_UNLOAD_DISCARD);
		if (made)
			unlink(image);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	if (j.status != KJUMP_PEER_RESTORED) {
		ioctl(kfd, KJUMP_IOC_UNLOAD, KJUMP_UNLOAD_DISCARD);
		msg[j.msg_len < sizeof(msg) ? j.msg_len : sizeof(msg) - 1] = 0;
		fprintf(stderr, "%s: B did not save an image (status %s); A carries on.%s%s%s\n",
			prog, kj_peer_status_name(j.status), *msg ? " B said:\n" : " B's console "
			"has the details", msg, *msg && msg[strlen(msg) - 1] != '\n' ? "\n" : "");
		if (made)
			unlink(image);
		return 1;
	}
	{
		struct kjh_header *h = calloc(1, KJH_PAGE);
		int bfd = open(bdev, O_RDONLY | O_CLOEXEC);

		/* The header as D left it (marked used), raw: the file reads zeros. */
		if (bfd >= 0)
			posix_fadvise(bfd, 0, 0, POSIX_FADV_DONTNEED);
		if (h && bfd >= 0 &&
		    pread(bfd, h, KJH_PAGE, (off_t)ext[0].physical) == (ssize_t)KJH_PAGE &&
		    !memcmp(h->magic, KJH_USED, 8))
			printf("resumed from %s: %" PRIu64 " pages saved in %" PRIu64 " MiB\n",
			       image, h->nr_pages, h->image_size >> 20);
		else
			printf("resumed from %s\n", image);
		if (bfd >= 0)
			close(bfd);
		free(h);
	}
	printf("  A stopped for %.1f ms before the jump (freeze, devices, CPUs), %.1f ms after\n",
	       (double)(j.ns_freeze + j.ns_suspend + j.ns_cpu_down) / 1e6,
	       (double)(j.ns_cpu_up + j.ns_resume + j.ns_thaw) / 1e6);
	printf("  A was away %.1f s (save, power off, boot, restore)\n",
	       (double)((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 - t0) / 1000);
	close(fd);
	return 0;
}

/* ---- B: save-image ---- */

#define KJH_SAVE_USAGE \
	"usage: %s save-image CONF   (in B, run by its init: saves A, then powers off)\n"

/*
 * B's instructions (hibernate.conf), and the disk they name: the one
 * device that looks like what A described and holds A's nonce where the
 * image starts.  Waits for it as long as a real controller may take
 * (AHCI's link training is seconds); -errno with the reason in @why.
 */
#define KJH_DISK_WAIT		300	/* tenths of a second */

static int kjh_read_conf(const char *path, struct kjh_io *io, char *dev, size_t dlen,
			 char *why, size_t wlen)
{
	FILE *f = fopen(path, "re");
	char line[256], mods[256] = "", hex[2 * KJ_NONCE_LEN + 1] = "";
	uint8_t nonce[KJ_NONCE_LEN];
	struct kj_disk_id id = { .sectors = 0 };
	uint64_t noff = 0;
	int have_off = 0, ret;

	snprintf(why, wlen, "the configuration %s is unusable", path);
	if (!f)
		return -errno;
	io->n = 0;
	io->capacity = 0;
	*dev = 0;
	while (fgets(line, sizeof(line), f)) {
		struct kjh_extent e;

		if (kj_disk_id_line(&id, line))
			continue;
		if (sscanf(line, "nonce.offset=%" SCNu64, &noff) == 1)
			have_off = 1;
		else if (!strncmp(line, "nonce=", 6))
			snprintf(hex, sizeof(hex), "%.*s", (int)strcspn(line + 6, "\n"), line + 6);
		else if (!strncmp(line, "modules=", 8))
			snprintf(mods, sizeof(mods), "%.*s", (int)strcspn(line + 8, "\n"), line + 8);
		else if (sscanf(line, "ext %" SCNu64 " %" SCNu64 " %" SCNu64, &e.logical,
				&e.physical, &e.length) == 3 && io->n < KJH_MAX_EXTENTS) {
			io->ext[io->n++] = e;
			io->capacity += e.length;
		}
	}
	fclose(f);
	if (!io->n || !id.sectors || !have_off || kj_nonce_parse(hex, nonce))
		return -EINVAL;
	/* Never a name or a number from A: both may mean another disk here. */
	ret = kj_disk_find(&id, noff, nonce, KJH_DISK_WAIT, kj_pci_probe_all, dev, dlen, why,
			   wlen);
	if (ret == -ENODEV && *mods && strlen(why) + strlen(mods) + 24 < wlen)
		snprintf(why + strlen(why), wlen - strlen(why), " (its drivers: %s)", mods);
	return ret;
}

/* Let A, if it can be reached, go on as if nothing happened; else power off. */
static int kjh_save_failed(int kfd, uint32_t status, const char *why)
{
	char msg[KJUMP_MSG_MAX];

	fprintf(stderr, "kjump: cannot save A's image: %s; going back to A\n", why);
	snprintf(msg, sizeof(msg), "cannot save A's image: %s", why);
	kj_back(kfd, status, msg);
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}

int cmd_save_image(int argc, char **argv)
{
	static struct kjh_io io;
	struct kjh_header *h = calloc(1, KJH_PAGE);
	struct kjump_jump_buf *jb = calloc(1, KJH_PAGE);
	struct kjh_vmcore v = { .fd = -1 };
	struct kjh_range *r = NULL;
	struct timespec t0, t1;
	char dev[128], why[512];
	uint64_t pfn, worst;
	uint32_t i;
	int kfd, ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf(KJH_SAVE_USAGE, prog);
		return 0;
	}
	if (argc != 2 || !h || !jb) {
		fprintf(stderr, KJH_SAVE_USAGE, prog);
		return 2;
	}
	/*
	 * It powers the machine off: only in the kernel A started to save
	 * it, which A's command line for B marks.
	 */
	if (!kj_cmdline_flag("kjump.hibernate") || !kj_cmdline_pfn(&pfn)) {
		fprintf(stderr, "%s: save-image: this kernel is not a hibernation's B (its command "
			"line has no kjump.hibernate and kexec_jump_buf_pfn=): nothing done; "
			"'kjumpctl hibernate' runs it\n", prog);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kfd = kj_open();
	if (kj_write_pfn(pfn)) {
		fprintf(stderr, "kjump: kexec_jump_buf_pfn=%" PRIu64 " is no usable jump buffer; "
			"powering off\n", pfn);
		sync();
		reboot(RB_POWER_OFF);
		return 1;
	}
	ret = kjh_read_conf(argv[1], &io, dev, sizeof(dev), why, sizeof(why));
	if (ret)
		return kjh_save_failed(kfd, ret == -EINVAL ? KJUMP_PEER_FAILED :
				       KJUMP_PEER_NO_TARGET, why);
	io.fd = open(dev, O_RDWR | O_CLOEXEC);
	if (io.fd < 0)
		return kjh_save_failed(kfd, KJUMP_PEER_FAILED, "cannot open the image's device");
	if (kjh_vmcore_open(&v))
		return kjh_save_failed(kfd, KJUMP_PEER_FAILED,
				       "no /proc/vmcore (B needs elfcorehdr=)");
	if (kjh_vm_read(&v, pfn * KJH_PAGE, jb, KJH_PAGE) || jb->magic != KJUMP_JUMP_BUF_MAGIC ||
	    jb->size < offsetof(struct kjump_jump_buf, ram) + sizeof(jb->ram) || !jb->savemap)
		return kjh_save_failed(kfd, KJUMP_PEER_FAILED, "A's jump buffer holds no save map");

	memcpy(h->magic, KJH_MAGIC, 8);
	h->version = KJH_VERSION;
	h->page_size = KJH_PAGE;
	h->arch = jb->arch;
	h->created = (uint64_t)time(NULL);
	h->jump_buf_pfn = pfn;
	h->entry = jb->entry;
	h->region = jb->region;
	memcpy(h->boot_id, jb->boot_id, sizeof(h->boot_id));
	memcpy(h->release, jb->release, sizeof(h->release));
	kjh_machine(h->machine, sizeof(h->machine));
	h->nr_ram = jb->nr_ram < KJUMP_JB_MAX_RAM ? jb->nr_ram : KJUMP_JB_MAX_RAM;
	for (i = 0; i < h->nr_ram; i++) {
		h->ram[i].start = jb->ram[i].start;
		h->ram[i].end = jb->ram[i].end;
	}
	h->nr_extents = (uint32_t)io.n;
	memcpy(h->ext, io.ext, io.n * sizeof(io.ext[0]));

	if (kjh_ranges(&v, jb, &r, &h->nr_ranges, &h->nr_pages))
		return kjh_save_failed(kfd, KJUMP_PEER_FAILED,
				       "cannot read A's save map through /proc/vmcore");
	h->header_size = kjh_align(KJH_PAGE + h->nr_ranges * sizeof(*r), KJH_PAGE);
	{
		/* The table area is hashed and written whole, zero padded. */
		size_t tlen = h->header_size - KJH_PAGE;
		struct kjh_range *t = realloc(r, tlen + sizeof(*r));

		if (!t)
			return kjh_save_failed(kfd, KJUMP_PEER_FAILED, "out of memory");
		r = t;
		memset((char *)r + h->nr_ranges * sizeof(*r), 0,
		       tlen - h->nr_ranges * sizeof(*r));
	}
	worst = h->header_size + h->nr_pages * KJH_PAGE +
		(h->nr_pages / KJH_CHUNK_PAGES + 1) * (sizeof(struct kjh_chunk) + KJH_ALIGN);
	if (worst > io.capacity) {
		snprintf(why, sizeof(why), "%" PRIu64 " pages may need %" PRIu64 " MiB, the "
			 "target holds %" PRIu64 " MiB", h->nr_pages, worst >> 20, io.capacity >> 20);
		return kjh_save_failed(kfd, KJUMP_PEER_FAILED, why);
	}
	fprintf(stderr, "kjump: saving A (%.68s): %" PRIu64 " pages in %" PRIu64 " ranges to %s\n",
		h->release, h->nr_pages, h->nr_ranges, dev);

	/* No valid header until everything else is on the disk. */
	ret = kjh_rw(&io, calloc(1, KJH_PAGE), KJH_PAGE, 0, 1);
	if (!ret && fsync(io.fd))
		ret = -errno;
	if (!ret)
		ret = kjh_write_chunks(&io, &v, dev, h, r);
	if (!ret)
		ret = kjh_rw(&io, r, h->header_size - KJH_PAGE, KJH_PAGE, 1);
	if (!ret && fsync(io.fd))
		ret = -errno;
	if (!ret) {
		h->header_hash = kjh_header_hash(h, r);
		ret = kjh_rw(&io, h, KJH_PAGE, 0, 1);
	}
	if (!ret && fsync(io.fd))
		ret = -errno;
	if (ret) {
		snprintf(why, sizeof(why), "writing to %s failed: %s", dev, strerror(-ret));
		return kjh_save_failed(kfd, KJUMP_PEER_FAILED, why);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "kjump: image saved: %" PRIu64 " pages (%" PRIu64 " MiB) in %" PRIu64
		" MiB, %" PRIu64 " chunks (%" PRIu64 " incompressible), %.1f s (reading A %.1f s, "
		"compressing %.1f s, waiting for the disk %.1f s); powering off\n", h->nr_pages,
		h->nr_pages * KJH_PAGE >> 20, h->image_size >> 20, h->nr_chunks, kjh_raw_chunks,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		kjh_t.read, kjh_t.zstd, kjh_t.write);
	close(io.fd);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}

/* ---- C: resume; D: restore-image ---- */

static int kjh_open_image(const char *spec, struct kjh_io *io, uint64_t *off, char *dev,
			  size_t dlen, int wr)
{
	char name[256];
	int ret;

	if (kjh_parse_spec(spec, name, sizeof(name), off)) {
		fprintf(stderr, "%s: image '%s' is not DEVICE[:BYTE_OFFSET] (DEVICE: /dev/..., "
			"UUID=, ID= or PATH=)\n", prog, spec);
		return -EINVAL;
	}
	ret = kj_disk_resolve(name, 100, dev, dlen);
	if (ret) {
		fprintf(stderr, "%s: %s %s\n", prog, name, ret == -EEXIST ?
			"names more than one device: give /dev/... instead" : "did not appear");
		return ret;
	}
	io->fd = open(dev, (wr ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (io->fd < 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, dev, strerror(errno));
		return -errno;
	}
	return 0;
}

/* One line in the kernel log (the boot log of C shows the resume). */
static void kjh_kmsg(const char *fmt, const char *arg)
{
	FILE *f = fopen("/dev/kmsg", "we");

	if (f) {
		fprintf(f, fmt, arg);
		fclose(f);
	}
}

static double kjh_uptime(void)
{
	double up = 0;
	FILE *f = fopen("/proc/uptime", "re");

	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	return up;
}

/* Mark an image used without reading more than its magic. */
static int kjh_discard(const char *spec)
{
	static struct kjh_io io;
	char dev[200], *page = calloc(1, KJH_PAGE);
	uint64_t off;
	int ret = 1;

	io.fd = -1;
	if (!page || kjh_open_image(spec, &io, &off, dev, sizeof(dev), 1))
		goto out;
	/* The header is the first page at OFFSET; no extent map needed. */
	if (pread(io.fd, page, KJH_PAGE, (off_t)off) != (ssize_t)KJH_PAGE) {
		fprintf(stderr, "%s: %s: cannot read the header\n", prog, spec);
		goto out;
	}
	if (memcmp(page, KJH_MAGIC, 8)) {
		printf("resume: no unused kjump image at %s; nothing to discard\n", spec);
		ret = memcmp(page, KJH_USED, 8) ? 3 : 0;
		goto out;
	}
	memcpy(page, KJH_USED, 8);
	if (pwrite(io.fd, page, KJH_PAGE, (off_t)off) != (ssize_t)KJH_PAGE || fsync(io.fd)) {
		fprintf(stderr, "%s: %s: cannot mark the image used: %s\n", prog, spec,
			strerror(errno));
		goto out;
	}
	printf("resume: the image at %s is discarded (marked used)\n", spec);
	kjh_kmsg("kjump: resume: the image at %s is discarded\n", spec);
	ret = 0;
out:
	if (io.fd >= 0)
		close(io.fd);
	free(page);
	return ret;
}

static int kjh_resume_direct(int kfd, struct kjh_io *io, const char *dev, const char *spec,
			     struct kjh_header *h, const struct kjh_range *r, char *why,
			     size_t wlen);

/*
 * Can C hold all of A's saved pages beside itself?  STAGE needs one free
 * page per saved page; leave C's initramfs room to run.
 */
#define KJH_STAGE_SPARE		(48ULL << 20)

static int kjh_stage_fits(const struct kjh_header *h, uint64_t *avail)
{
	*avail = kj_meminfo("MemAvailable");
	return h->nr_pages * KJH_PAGE + KJH_STAGE_SPARE <= *avail;
}

static void kjh_help_resume(FILE *f)
{
	fprintf(f,
"usage: %s resume [--image DEV[:OFFSET]] [--kernel BZIMAGE] [--initrd FILE]\n"
"                 [--append \"ARGS\"] [--through-d] [--check | --discard]\n"
"  In C, early in boot (the initramfs, before any of A's filesystems is\n"
"  touched): check the hibernation image at DEV (default: kjump.resume= on\n"
"  the command line) against this machine and kernel, load kernel D (default\n"
"  /boot/vmlinuz-$(uname -r) with /var/lib/kjump/initrd.img-$(uname -r)) into\n"
"  the region A used, and jump into it; D restores A.  When A's pages fit in\n"
"  this kernel's free memory, it restores A itself instead, without D (faster;\n"
"  --through-d, or kjump.resume_via=d on the command line, always uses D).\n"
"  --check only checks.\n"
"  --discard marks the image used without resuming it: a C that boots on\n"
"  after a refusal changes the filesystems A had mounted, so the image must\n"
"  never be applied later (swsusp likewise drops its image once read).\n"
"  Exit status: 1 refused (C boots on), 3 no image there.\n", prog);
}

int cmd_resume(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'I' },
		KJ_HELPER_OPTIONS,
		{ "check", no_argument, NULL, 'c' },
		{ "discard", no_argument, NULL, 'D' },
		{ "through-d", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct kjh_io io;
	char spec[256] = "", dev[200], why[320], *extra;
	struct kj_helper d;
	struct kjh_header *h;
	struct kjh_range *r;
	struct kjump_status st;
	struct kjump_jump j;
	uint64_t off;
	int c, check = 0, discard = 0, through_d = 0, kfd, ret;
	uint64_t avail;

	kj_helper_init(&d);
	while ((c = getopt_long(argc, argv, "I:k:i:a:cDTh", opts, NULL)) != -1) {
		ret = kj_helper_option(&d, c, optarg);
		if (ret < 0)
			return 2;
		if (ret)
			continue;
		switch (c) {
		case 'I': snprintf(spec, sizeof(spec), "%s", optarg); break;
		case 'c': check = 1; break;
		case 'D': discard = 1; break;
		case 'T': through_d = 1; break;
		case 'h': kjh_help_resume(stdout); return 0;
		default: kjh_help_resume(stderr); return 2;
		}
	}
	if (optind != argc || (!*spec && !kj_cmdline_value("kjump.resume", spec, sizeof(spec)))) {
		kjh_help_resume(stderr);
		return 2;
	}
	if (discard)
		return kjh_discard(spec);
	/* Writable unless only checking: resuming without D marks it used. */
	if (kjh_open_image(spec, &io, &off, dev, sizeof(dev), !check))
		return 1;
	ret = kjh_read_header(&io, off, &h, &r, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, spec, why);
		return ret == -ENOENT ? 3 : 1;
	}
	if (kjh_check_identity(h, 1, why, sizeof(why))) {
		fprintf(stderr, "%s: %s: refused: %s\n", prog, spec, why);
		return 1;
	}
	printf("resume: image of %.68s at %s: %" PRIu64 " pages in %" PRIu64 " MiB, %" PRIu64
	       " chunks, region 0x%" PRIx64 "-0x%" PRIx64 "\n", h->release, spec, h->nr_pages,
	       h->image_size >> 20, h->nr_chunks, (uint64_t)h->region.start,
	       (uint64_t)(h->region.start + h->region.size - 1));
	if (check)
		return 0;
	if (kj_cmdline_value("kjump.resume_via", why, sizeof(why)) && !strcmp(why, "d"))
		through_d = 1;
	if (!through_d && kjh_stage_fits(h, &avail)) {
		kfd = kj_open();
		ret = kjh_resume_direct(kfd, &io, dev, spec, h, r, why, sizeof(why));
		if (ret != -ENOMEM) {
			fprintf(stderr, "%s: %s: not resumed: %s\n", prog, spec, why);
			return 1;
		}
		printf("resume: %s; resuming through D instead\n", why);
		kjh_kmsg("kjump: resume: %s; resuming through D instead\n", why);
		close(kfd);
	} else if (!through_d) {
		snprintf(why, sizeof(why), "A's %" PRIu64 " MiB do not fit in this kernel's %" PRIu64
			 " MiB available", (h->nr_pages * KJH_PAGE) >> 20, avail >> 20);
		printf("resume: %s; resuming through D\n", why);
		kjh_kmsg("kjump: resume: %s; resuming through D\n", why);
	}
	if (kj_helper_ready(&d, "D"))
		return 1;
	kfd = kj_open();
	{
		/* D loads these itself, without udev (docs/initramfs.md). */
		char mods[256], *p;
		struct stat ds;

		*mods = 0;
		if (!stat(dev, &ds) && S_ISBLK(ds.st_mode))
			kj_device_modules(ds.st_rdev, mods, sizeof(mods));
		mods[strcspn(mods, "\n")] = 0;
		while ((p = strrchr(mods, ' ')) && !p[1])
			*p = 0;
		for (p = mods; (p = strchr(p, ' ')); )
			*p = ',';
		if (asprintf(&extra, "kjump.restore=%s%s%s", spec, *mods ? " kjump.modules=" : "",
			     mods) < 0)
			return 1;
	}
	/* D's job initramfs may lack them (built elsewhere): C's copies go along. */
	{
		static char dmods[256];
		struct stat ds;

		*dmods = 0;
		if (!stat(dev, &ds) && S_ISBLK(ds.st_mode))
			kj_device_modules(ds.st_rdev, dmods, sizeof(dmods));
		d.modules = dmods;
	}
	d.region_size = h->region.size;
	ret = kj_helper_load(kfd, &d, NULL, NULL, extra, 0, h->region.start);
	free(extra);
	if (ret)
		return 1;
	if (kj_status(kfd, &st) || memcmp(&st.region, &h->region, sizeof(st.region))) {
		ioctl(kfd, KJUMP_IOC_UNLOAD, 0);
		fprintf(stderr, "%s: D could not be loaded into A's region exactly; refused\n", prog);
		return 1;
	}
	printf("resume: jumping into D (%s), which restores A\n", d.kernel);
	kjh_kmsg("kjump: resume: jumping into D to restore the image at %s\n", spec);
	fflush(NULL);
	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	ret = ioctl(kfd, KJUMP_IOC_JUMP, &j);
	ioctl(kfd, KJUMP_IOC_UNLOAD, KJUMP_UNLOAD_DISCARD);
	if (ret)
		kj_jump_error("jump", errno);
	else
		fprintf(stderr, "%s: D did not resume A (status %s); booting on\n", prog,
			kj_peer_status_name(j.status));
	return 1;
}

/* D: nothing written yet, so C can boot on. */
static int kjh_restore_refused(int kfd, const char *why)
{
	fprintf(stderr, "kjump: not resuming: %s; back to the booting kernel\n", why);
	kj_back(kfd, KJUMP_PEER_FAILED, why);
	sync();
	reboot(RB_AUTOBOOT);
	return 1;
}

/* D: A's memory is half written and C's is gone: only a reboot is left. */
static int kjh_restore_broken(const char *why)
{
	fprintf(stderr, "kjump: resume failed after writing started: %s; rebooting\n", why);
	sync();
	sleep(2);
	reboot(RB_AUTOBOOT);
	return 1;
}

static int kjh_page_call(int kfd, unsigned long cmd, uint64_t pfn, uint64_t nr, void *buf,
			 uint32_t flags)
{
	struct kjump_restore req = {
		.size = sizeof(req), .flags = flags, .pfn = pfn, .nr_pages = nr,
		.buf = (uintptr_t)buf,
	};

	return ioctl(kfd, cmd, &req) ? -errno : 0;
}

static int kjh_restore_call(int kfd, uint64_t pfn, uint64_t nr, void *buf, uint32_t flags)
{
	return kjh_page_call(kfd, KJUMP_IOC_RESTORE, pfn, nr, buf, flags);
}

/*
 * Hand a chunk's @np pages to the module (RESTORE in D, STAGE in C), in
 * runs along the range table; *ri and *roff say where the last one ended.
 */
static int kjh_put_pages(int kfd, unsigned long cmd, const struct kjh_range *r, uint64_t *ri,
			 uint64_t *roff, char *pages, uint32_t npages, char *why, size_t wlen)
{
	uint32_t np = 0;

	while (np < npages) {
		uint64_t run = r[*ri].nr - *roff;
		int ret;

		if (run > npages - np)
			run = npages - np;
		if (run > KJUMP_RESTORE_MAX_PAGES)
			run = KJUMP_RESTORE_MAX_PAGES;
		ret = kjh_page_call(kfd, cmd, r[*ri].pfn + *roff, run, pages + np * KJH_PAGE, 0);
		if (ret) {
			snprintf(why, wlen, "%s pages at pfn 0x%" PRIx64 ": %s",
				 cmd == KJUMP_IOC_STAGE ? "staging" : "writing", r[*ri].pfn + *roff,
				 strerror(-ret));
			return ret;
		}
		np += (uint32_t)run;
		*roff += run;
		if (*roff == r[*ri].nr) {
			(*ri)++;
			*roff = 0;
		}
	}
	return 0;
}

/*
 * C: resume without D (docs/abi.md, STAGE).  One pass: each chunk is
 * checked, decompressed and staged in C's free memory.  Nothing of A's is
 * in place before the jump, so a bad chunk still lets C boot on.
 * -ENOMEM: A's pages do not fit beside C; the caller goes through D.
 */
static int kjh_resume_direct(int kfd, struct kjh_io *io, const char *dev, const char *spec,
			     struct kjh_header *h, const struct kjh_range *r, char *why,
			     size_t wlen)
{
	static struct kjh_reader rd;
	static struct kjh_decoder dec;
	struct kjump_stage_map map = { .size = sizeof(map) };
	struct kjump_stage_range *sr = calloc(h->nr_ranges, sizeof(*sr));
	uint64_t i, n, k = 0, pos = h->header_size, ri = 0, roff = 0;
	char line[320];
	struct kjump_status st;
	struct kjump_jump j;
	int ret = 0, last = -1;
	double t;

	if (!sr) {
		snprintf(why, wlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < h->nr_ranges; i++) {
		sr[i].pfn = r[i].pfn;
		sr[i].nr = r[i].nr;
	}
	map.nr_ranges = (uint32_t)h->nr_ranges;
	map.ranges = (uintptr_t)sr;
	map.jump_buf_pfn = h->jump_buf_pfn;
	if (h->nr_ranges > KJUMP_STAGE_MAX_RANGES || ioctl(kfd, KJUMP_IOC_STAGE_MAP, &map)) {
		ret = h->nr_ranges > KJUMP_STAGE_MAX_RANGES ? -E2BIG : -errno;
		snprintf(why, wlen, "the module refuses the image's page list: %s%s", strerror(-ret),
			 ret == -EADDRNOTAVAIL ? " (pages outside this machine's RAM)" :
			 ret == -ERANGE ? " (pages above 4 GiB)" : "");
		if (ret == -EBUSY || ret == -ENOMEM || ret == -E2BIG || ret == -ERANGE)
			ret = -ENOMEM;	/* not the image's fault: D may still do it */
		goto out;
	}
	if (kjh_reader_start(&rd, io, dev, h)) {
		kjh_reader_stop(&rd);
		ret = -ENOMEM;
	} else if (kjh_decoder_start(&dec, &rd, h)) {
		kjh_decoder_stop(&dec);
		ret = -ENOMEM;
	}
	if (ret) {
		snprintf(why, wlen, "out of memory");
		goto out_drop;
	}
	kjh_kmsg("kjump: resume: staging the image at %s in this kernel (no D)\n", spec);
	for (n = 0; n < h->nr_chunks && !ret; n++) {
		unsigned int slot = n % KJH_DSLOTS;

		if (kjh_decoder_next(&dec, n)) {
			snprintf(why, wlen, "the decoder stopped at chunk %" PRIu64, n);
			ret = -EIO;
			break;
		}
		ret = dec.out[slot].ret;
		if (ret) {
			snprintf(why, wlen, "%s", dec.out[slot].why);
			break;
		}
		t = kj_mono();
		ret = kjh_put_pages(kfd, KJUMP_IOC_STAGE, r, &ri, &roff, dec.out[slot].src,
				    dec.out[slot].npages, why, wlen);
		kjh_t.write += kj_mono() - t;
		if (!ret) {
			k += dec.out[slot].npages;
			pos = dec.out[slot].end;
			kjh_progress("staging A's image", pos, h->image_size, &last);
		}
		kjh_reader_done(&rd);
		kjh_decoder_done(&dec);
	}
	kjh_decoder_stop(&dec);
	if (!ret)
		ret = kjh_chunks_complete(h, k, pos, why, wlen);
	if (ret)
		goto out_drop;

	if (kj_status(kfd, &st) || st.staged_pages != h->nr_pages) {
		snprintf(why, wlen, "the module holds %llu of %" PRIu64 " pages",
			 (unsigned long long)st.staged_pages, h->nr_pages);
		ret = -EIO;
		goto out_drop;
	}
	/* All of it checked and staged: mark it used, then jump. */
	memcpy(h->magic, KJH_USED, 8);
	if (kjh_rw(io, h, KJH_PAGE, 0, 1) || fsync(io->fd)) {
		snprintf(why, wlen, "cannot mark the image used");
		ret = -EIO;
		goto out_drop;
	}
	snprintf(line, sizeof(line), "kjump: resume: A staged (%" PRIu64 " pages) at C uptime "
		 "%.2f s; jumping into A (reading %.1f s, checking %.1f s, decompressing %.1f s, "
		 "staging %.1f s)\n", k, kjh_uptime(), kjh_t.read, kjh_t.verify, kjh_t.zstd,
		 kjh_t.write);
	kjh_kmsg("%s", line);
	printf("resume: %s", line + strlen("kjump: resume: "));
	fflush(NULL);
	memset(&j, 0, sizeof(j));
	j.size = sizeof(j);
	j.flags = KJUMP_JUMP_STAGED;
	ret = ioctl(kfd, KJUMP_IOC_JUMP, &j) ? -errno : -ECANCELED;
	/*
	 * A refused jump moved nothing of A's: the image is as good as
	 * before.  But a return (A came back) or EFAULT (copying the result
	 * out, after the jump) means A ran: the image stays spent.
	 */
	if (ret == -ECANCELED || ret == -EFAULT) {
		snprintf(why, wlen, "A came back from the jump (%s); the image of %s is spent",
			 strerror(-ret), spec);
		goto out_drop;
	}
	memcpy(h->magic, KJH_MAGIC, 8);
	if (kjh_rw(io, h, KJH_PAGE, 0, 1) || fsync(io->fd)) {
		snprintf(why, wlen, "the jump into A failed: %s; the image of %s could not be "
			 "marked unused again and is spent", strerror(-ret), spec);
		ret = -EIO;
	} else if (ret == -ENOMEM) {
		snprintf(why, wlen, "no memory left for the jump into A");
	} else {
		snprintf(why, wlen, "the jump into A failed: %s", strerror(-ret));
	}
out_drop:
	ioctl(kfd, KJUMP_IOC_STAGE_DROP, 0);
out:
	free(sr);
	return ret;
}

#define KJH_RESTORE_USAGE \
	"usage: %s restore-image [DEV[:OFFSET]]   (in D, run by its init; default\n" \
	"       kjump.restore= from the command line: writes A back, then jumps into it)\n"

int cmd_restore_image(int argc, char **argv)
{
	static struct kjh_io io;
	static struct kjh_reader rd;
	char spec[256] = "", cmdspec[256], dev[200], why[320];
	char *buf, *src, *pages = NULL;
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	struct kjh_header *h;
	struct kjh_range *r;
	uint64_t off, i, pos, ri = 0, roff = 0, done = 0, n, pfn;
	int kfd, ret, last = -1;
	double t;

	/* Page-aligned: RESTORE pins it and copies whole pages from it. */
	if (posix_memalign((void **)&pages, KJH_PAGE, KJH_CHUNK_PAGES * KJH_PAGE))
		pages = NULL;
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf(KJH_RESTORE_USAGE, prog);
		return 0;
	}
	if (argc > 2 || !pages || !dctx) {
		fprintf(stderr, KJH_RESTORE_USAGE, prog);
		return 2;
	}
	/*
	 * It jumps back to C, or reboots: only in the D that C's resume
	 * started, which C's command line for D marks.
	 */
	if (!kj_cmdline_value("kjump.restore", cmdspec, sizeof(cmdspec)) || !kj_cmdline_pfn(&pfn)) {
		fprintf(stderr, "%s: restore-image: this kernel is not a resume's D (its command "
			"line has no kjump.restore= and kexec_jump_buf_pfn=): nothing done; "
			"'kjumpctl resume' runs it\n", prog);
		return 1;
	}
	snprintf(spec, sizeof(spec), "%s", argc == 2 ? argv[1] : cmdspec);
	kfd = kj_open();
	/* The peer is C: its jump buffer says where RAM is, and the way back. */
	if (kj_write_pfn(pfn)) {
		fprintf(stderr, "kjump: kexec_jump_buf_pfn=%" PRIu64 " is no usable jump buffer\n",
			pfn);
		return 1;
	}
	if (kjh_open_image(spec, &io, &off, dev, sizeof(dev), 1))
		return kjh_restore_refused(kfd, "the image's device is unusable");
	/* D reads the image front to back, twice: let readahead run far ahead. */
	ioctl(io.fd, BLKRASET, (unsigned long)KJH_READAHEAD >> 9);
	ret = kjh_read_header(&io, off, &h, &r, why, sizeof(why));
	if (ret)
		return kjh_restore_refused(kfd, why);
	/* D sees only the region as RAM: the module checks C's map instead. */
	if (kjh_check_identity(h, 0, why, sizeof(why)))
		return kjh_restore_refused(kfd, why);
	for (i = 0, n = 0; i < h->nr_ranges; i++) {
		uint64_t p;

		n += r[i].nr;
		for (p = 0; p < r[i].nr; p += KJUMP_RESTORE_MAX_PAGES) {
			uint64_t cnt = r[i].nr - p < KJUMP_RESTORE_MAX_PAGES ? r[i].nr - p :
									  KJUMP_RESTORE_MAX_PAGES;

			if (kjh_restore_call(kfd, r[i].pfn + p, cnt, NULL, KJUMP_RESTORE_CHECK)) {
				snprintf(why, sizeof(why), "pages 0x%" PRIx64 "+%" PRIu64 " are not "
					 "this machine's RAM outside the region", r[i].pfn + p, cnt);
				return kjh_restore_refused(kfd, why);
			}
		}
	}
	if (n != h->nr_pages)
		return kjh_restore_refused(kfd, "the range table and the page count disagree");
	kjh_t.verify = kj_mono();
	if (kjh_verify(&io, dev, h, why, sizeof(why)))
		return kjh_restore_refused(kfd, why);
	kjh_t.verify = kj_mono() - kjh_t.verify;

	/* Verified: mark it used before the first page is written. */
	memcpy(h->magic, KJH_USED, 8);
	if (kjh_rw(&io, h, KJH_PAGE, 0, 1) || fsync(io.fd))
		return kjh_restore_refused(kfd, "cannot mark the image used");
	fprintf(stderr, "kjump: image verified and marked used; writing A back\n");

	if (kjh_reader_start(&rd, &io, dev, h))
		return kjh_restore_broken("out of memory");
	for (n = 0; n < h->nr_chunks; n++) {
		struct kjh_chunk *c;

		t = kj_mono();
		ret = kjh_reader_next(&rd, &buf, &pos);
		c = (struct kjh_chunk *)buf;
		/* Every check of the first pass again: the disk may have changed. */
		if (kjh_chunk_check(h, c, ret, n, done, pos, why, sizeof(why)))
			return kjh_restore_broken("the image changed while it was read");
		kjh_t.read += kj_mono() - t;
		t = kj_mono();
		/* A stored chunk is written straight from the read buffer. */
		src = c->flags == KJH_CHUNK_RAW ? buf + sizeof(*c) : pages;
		if (src == pages && kjh_decompress(dctx, c, pages))
			return kjh_restore_broken("a chunk does not decompress");
		kjh_t.zstd += kj_mono() - t;
		t = kj_mono();
		ret = kjh_put_pages(kfd, KJUMP_IOC_RESTORE, r, &ri, &roff, src, c->npages, why,
				    sizeof(why));
		if (ret)
			return kjh_restore_broken(why);
		kjh_t.write += kj_mono() - t;
		done += c->npages;
		kjh_reader_done(&rd);
		kjh_progress("restoring A", done * KJH_PAGE, h->nr_pages * KJH_PAGE, &last);
	}
	kjh_reader_stop(&rd);
	close(io.fd);
	if (kj_write_pfn(h->jump_buf_pfn))
		return kjh_restore_broken("A's jump buffer is not valid after the restore");
	fprintf(stderr, "kjump: A restored (%" PRIu64 " pages) at D uptime %.2f s; jumping into it "
		"(verifying %.1f s, then reading %.1f s, decompressing %.1f s, writing %.1f s)\n",
		done, kjh_uptime(), kjh_t.verify, kjh_t.read, kjh_t.zstd, kjh_t.write);
	kj_back(kfd, KJUMP_PEER_RESTORED, NULL);
	return kjh_restore_broken("the jump into A failed");
}
