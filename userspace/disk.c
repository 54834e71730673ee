// SPDX-License-Identifier: GPL-2.0
/*
 * Which disk a job writes to (disk.h): describing a block device by what
 * it carries, finding it again in another kernel, and the nonce that
 * proves it is the one.  Only sysfs and the devices themselves: B and C's
 * early initramfs have no udev.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>
#include <blkid/blkid.h>
#include "disk.h"

#define KJ_SYS_BLOCK	"/sys/class/block"
#define KJ_NONCE_BLOCK	4096

/* The first line of a sysfs file, blanks trimmed; "" if there is none. */
static void kj_sys_read(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	char *s, *e;

	*out = 0;
	if (!f)
		return;
	if (!fgets(out, (int)len, f))
		*out = 0;
	fclose(f);
	for (s = out; *s == ' ' || *s == '\t'; s++)
		;
	memmove(out, s, strlen(s) + 1);
	e = out + strlen(out);
	while (e > out && (e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	/* Blanks inside a serial would split a configuration line's value. */
	for (s = out; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == ':' || (unsigned char)*s < 0x20)
			*s = '_';
}

static uint64_t kj_sys_u64(const char *path)
{
	char v[32];

	kj_sys_read(path, v, sizeof(v));
	return strtoull(v, NULL, 10);
}

static void kj_uuid_str(const uint8_t *u, char *out)
{
	sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		u[12], u[13], u[14], u[15]);
}

/* The UUID of an ext2/3/4, xfs or btrfs filesystem on @node, or "". */
static void kj_fs_uuid(const char *node, char *out)
{
	static const uint8_t zero[16];
	uint8_t sb[4096];
	int fd = open(node, O_RDONLY | O_CLOEXEC);

	*out = 0;
	if (fd < 0)
		return;
	if (pread(fd, sb, sizeof(sb), 0) == (ssize_t)sizeof(sb)) {
		if (sb[1024 + 56] == 0x53 && sb[1024 + 57] == 0xef &&
		    memcmp(sb + 1024 + 104, zero, 16))
			kj_uuid_str(sb + 1024 + 104, out);		/* ext2/3/4 */
		else if (!memcmp(sb, "XFSB", 4) && memcmp(sb + 32, zero, 16))
			kj_uuid_str(sb + 32, out);			/* xfs */
	}
	if (!*out && pread(fd, sb, sizeof(sb), 65536) == (ssize_t)sizeof(sb) &&
	    !memcmp(sb + 64, "_BHRfS_M", 8))
		kj_uuid_str(sb + 32, out);				/* btrfs */
	close(fd);
}

/*
 * udev's ID_PATH, from the device path: the PCI function nearest the disk,
 * then what tells the disks behind it apart and stays put from boot to
 * boot (an ATA port number, an NVMe namespace, a SCSI channel:target:lun),
 * never an index the kernel hands out in probe order (ataN, nvmeN,
 * virtioN, hostN).
 */
static void kj_disk_path(const char *disk, const char *real, char *out, size_t len)
{
	char copy[PATH_MAX], attr[PATH_MAX + 64], v[32], *tok, *save;
	unsigned int a, b, c, d;
	size_t used = 0;
	char end;

	*out = 0;
	snprintf(copy, sizeof(copy), "%s", real);
	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (sscanf(tok, "%x:%x:%x.%x%c", &a, &b, &c, &d, &end) == 4) {
			used = (size_t)snprintf(out, len, "pci-%s", tok);
		} else if (!used) {
			continue;
		} else if (sscanf(tok, "ata%u%c", &a, &end) == 1) {
			snprintf(attr, sizeof(attr), "/sys/class/ata_port/%s/port_no", tok);
			kj_sys_read(attr, v, sizeof(v));
			if (*v && used < len)
				used += (size_t)snprintf(out + used, len - used, "-ata-%s", v);
		} else if (sscanf(tok, "%u:%u:%u:%u%c", &a, &b, &c, &d, &end) == 4) {
			if (used < len)
				used += (size_t)snprintf(out + used, len - used, "-scsi-%u:%u:%u",
							 b, c, d);
		}
	}
	snprintf(attr, sizeof(attr), KJ_SYS_BLOCK "/%s/nsid", disk);
	kj_sys_read(attr, v, sizeof(v));
	if (*v && used && used < len)
		snprintf(out + used, len - used, "-nvme-%s", v);
}

/* Describe /sys/class/block/@name (a disk or a partition). */
static int kj_disk_identify_name(const char *name, struct kj_disk_id *id)
{
	char p[PATH_MAX], real[PATH_MAX], disk[NAME_MAX + 1], node[NAME_MAX + 8], *slash;

	memset(id, 0, sizeof(*id));
	snprintf(p, sizeof(p), KJ_SYS_BLOCK "/%s/size", name);
	if (access(p, R_OK))
		return -ENODEV;
	id->sectors = kj_sys_u64(p);
	snprintf(p, sizeof(p), KJ_SYS_BLOCK "/%s/partition", name);
	id->partition = (unsigned int)kj_sys_u64(p);
	snprintf(p, sizeof(p), KJ_SYS_BLOCK "/%s", name);
	if (!realpath(p, real))
		return -errno;
	/* A partition's directory sits inside its disk's. */
	snprintf(disk, sizeof(disk), "%s", name);
	if (id->partition) {
		slash = strrchr(real, '/');
		if (slash)
			*slash = 0;
		slash = strrchr(real, '/');
		if (slash)
			snprintf(disk, sizeof(disk), "%s", slash + 1);
	}
	snprintf(p, sizeof(p), KJ_SYS_BLOCK "/%s/wwid", disk);
	kj_sys_read(p, id->wwid, sizeof(id->wwid));
	if (!*id->wwid) {
		snprintf(p, sizeof(p), KJ_SYS_BLOCK "/%s/device/wwid", disk);
		kj_sys_read(p, id->wwid, sizeof(id->wwid));
	}
	snprintf(p, sizeof(p), KJ_SYS_BLOCK "/%s/serial", disk);
	kj_sys_read(p, id->serial, sizeof(id->serial));
	if (!*id->serial) {
		snprintf(p, sizeof(p), KJ_SYS_BLOCK "/%s/device/serial", disk);
		kj_sys_read(p, id->serial, sizeof(id->serial));
	}
	kj_disk_path(disk, real, id->path, sizeof(id->path));
	snprintf(node, sizeof(node), "/dev/%s", name);
	kj_fs_uuid(node, id->fsuuid);
	return 0;
}

int kj_disk_identify(dev_t dev, struct kj_disk_id *id)
{
	char link[64], real[PATH_MAX], *slash;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	if (!realpath(link, real))
		return -errno;
	slash = strrchr(real, '/');
	return kj_disk_identify_name(slash ? slash + 1 : real, id);
}

int kj_disk_id_format(const struct kj_disk_id *id, char *out, size_t len)
{
	int n = snprintf(out, len, "disk.sectors=%" PRIu64 "\ndisk.partition=%u\n"
			 "disk.wwid=%s\ndisk.serial=%s\ndisk.fsuuid=%s\ndisk.path=%s\n",
			 id->sectors, id->partition, id->wwid, id->serial, id->fsuuid,
			 id->path);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int kj_disk_id_line(struct kj_disk_id *id, const char *line)
{
	static const struct {
		const char *key;
		size_t off, len;
	} keys[] = {
		{ "disk.wwid=", offsetof(struct kj_disk_id, wwid), sizeof(id->wwid) },
		{ "disk.serial=", offsetof(struct kj_disk_id, serial), sizeof(id->serial) },
		{ "disk.fsuuid=", offsetof(struct kj_disk_id, fsuuid), sizeof(id->fsuuid) },
		{ "disk.path=", offsetof(struct kj_disk_id, path), sizeof(id->path) },
	};
	size_t i, kl;

	if (sscanf(line, "disk.sectors=%" SCNu64, &id->sectors) == 1 ||
	    sscanf(line, "disk.partition=%u", &id->partition) == 1)
		return 1;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		kl = strlen(keys[i].key);
		if (!strncmp(line, keys[i].key, kl)) {
			snprintf((char *)id + keys[i].off, keys[i].len, "%.*s",
				 (int)strcspn(line + kl, "\n"), line + kl);
			return 1;
		}
	}
	return 0;
}

void kj_disk_describe(const struct kj_disk_id *id, char *out, size_t len)
{
	size_t used;

	used = (size_t)snprintf(out, len, "the %" PRIu64 " MiB %s", id->sectors >> 11,
				id->partition ? "partition" : "disk");
	if (id->partition && used < len)
		used += (size_t)snprintf(out + used, len - used, " %u", id->partition);
	if (*id->serial && used < len)
		used += (size_t)snprintf(out + used, len - used, " (serial %s)", id->serial);
	else if (*id->wwid && used < len)
		used += (size_t)snprintf(out + used, len - used, " (wwid %s)", id->wwid);
	if (*id->path && used < len)
		snprintf(out + used, len - used, " at %s", id->path);
}

void kj_disk_stable_name(const struct kj_disk_id *id, int file, char *out, size_t len)
{
	char part[16] = "";

	if (id->partition)
		snprintf(part, sizeof(part), "-part%u", id->partition);
	if (file && *id->fsuuid)
		snprintf(out, len, "UUID=%s", id->fsuuid);
	else if (*id->wwid)
		snprintf(out, len, "ID=%s%s", id->wwid, part);
	else if (*id->serial)
		snprintf(out, len, "ID=%s%s", id->serial, part);
	else if (*id->path)
		snprintf(out, len, "PATH=%s%s", id->path, part);
	else
		*out = 0;
}

int kj_nonce_new(uint8_t nonce[KJ_NONCE_LEN])
{
	ssize_t n = getrandom(nonce, KJ_NONCE_LEN, 0);

	return n == KJ_NONCE_LEN ? 0 : -EIO;
}

void kj_nonce_hex(const uint8_t nonce[KJ_NONCE_LEN], char *hex)
{
	int i;

	for (i = 0; i < KJ_NONCE_LEN; i++)
		sprintf(hex + 2 * i, "%02x", nonce[i]);
}

int kj_nonce_parse(const char *hex, uint8_t nonce[KJ_NONCE_LEN])
{
	unsigned int v;
	int i;

	for (i = 0; i < KJ_NONCE_LEN; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		nonce[i] = (uint8_t)v;
	}
	return 0;
}

/* The nonce block: the magic, the nonce, zeros to the end of the block. */
static void kj_nonce_block(uint8_t *blk, const uint8_t nonce[KJ_NONCE_LEN])
{
	memset(blk, 0, KJ_NONCE_BLOCK);
	memcpy(blk, KJ_NONCE_MAGIC, 8);
	memcpy(blk + 8, nonce, KJ_NONCE_LEN);
}

int kj_nonce_put(const char *bdev, uint64_t off, const uint8_t nonce[KJ_NONCE_LEN])
{
	uint8_t *blk = NULL, *back = NULL;
	int fd, ret = 0, lbs = 512;
	size_t len;

	if (posix_memalign((void **)&blk, KJ_NONCE_BLOCK, KJ_NONCE_BLOCK) ||
	    posix_memalign((void **)&back, KJ_NONCE_BLOCK, KJ_NONCE_BLOCK)) {
		free(blk);
		return -ENOMEM;
	}
	kj_nonce_block(blk, nonce);
	/* Past A's page cache: B reads the disk, not A's memory of it. */
	fd = open(bdev, O_RDWR | O_DIRECT | O_SYNC | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (ioctl(fd, BLKSSZGET, &lbs) || lbs < 512 || lbs > KJ_NONCE_BLOCK)
		lbs = 512;
	/* One logical block: it is the first the job writes, and nothing past it. */
	len = (size_t)lbs;
	if (off % len) {
		ret = -EINVAL;
		goto out;
	}
	if (pwrite(fd, blk, len, (off_t)off) != (ssize_t)len ||
	    pread(fd, back, len, (off_t)off) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	else if (memcmp(blk, back, len))
		ret = -EIO;
out:
	if (fd >= 0)
		close(fd);
	free(blk);
	free(back);
	return ret;
}

/* 1: @node holds @nonce at @off; 0: it does not; -errno: unreadable. */
static int kj_nonce_check(const char *node, uint64_t off, const uint8_t nonce[KJ_NONCE_LEN])
{
	uint8_t want[KJ_NONCE_BLOCK], got[64];
	int fd = open(node, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	kj_nonce_block(want, nonce);
	ret = pread(fd, got, sizeof(got), (off_t)off) == (ssize_t)sizeof(got) ?
	      !memcmp(want, got, sizeof(got)) : -EIO;
	close(fd);
	return ret;
}

/* Does @c fit the description @id?  Every field A knew must agree. */
static int kj_disk_matches(const struct kj_disk_id *id, const struct kj_disk_id *c)
{
	if (c->sectors != id->sectors || c->partition != id->partition)
		return 0;
	if (*id->wwid && strcmp(id->wwid, c->wwid))
		return 0;
	if (*id->serial && strcmp(id->serial, c->serial))
		return 0;
	return !*id->fsuuid || !strcmp(id->fsuuid, c->fsuuid);
}

/* Block devices that may hold a job: no loop, ram or zram devices. */
static int kj_disk_candidate(const char *name)
{
	return *name != '.' && strncmp(name, "loop", 4) && strncmp(name, "ram", 3) &&
	       strncmp(name, "zram", 4);
}

int kj_disk_find(const struct kj_disk_id *id, uint64_t off,
		 const uint8_t nonce[KJ_NONCE_LEN], int tenths, void (*kick)(void),
		 char *dev, size_t len, char *why, size_t wlen)
{
	char desc[400], node[NAME_MAX + 8], first[NAME_MAX + 8] = "";
	int t, found, like;

	kj_disk_describe(id, desc, sizeof(desc));
	for (t = 0;; t++) {
		struct kj_disk_id c;
		struct dirent *e;
		DIR *d = opendir(KJ_SYS_BLOCK);

		found = 0;
		like = 0;
		while (d && (e = readdir(d))) {
			if (!kj_disk_candidate(e->d_name) || kj_disk_identify_name(e->d_name, &c) ||
			    !kj_disk_matches(id, &c))
				continue;
			snprintf(node, sizeof(node), "/dev/%s", e->d_name);
			like++;
			if (kj_nonce_check(node, off, nonce) != 1)
				continue;
			if (!found++)
				snprintf(first, sizeof(first), "%s", node);
			else
				snprintf(why, wlen, "both %s and %s hold A's nonce for %s: "
					 "refusing to guess", first, node, desc);
		}
		if (d)
			closedir(d);
		if (found == 1) {
			snprintf(dev, len, "%s", first);
			return 0;
		}
		if (found > 1)
			return -EEXIST;
		if (t >= tenths)
			break;
		if (kick && t == 30)
			kick();
		usleep(100000);
	}
	if (like) {
		snprintf(why, wlen, "%d device%s look%s like %s, but none holds the nonce A "
			 "wrote before the jump: not the disk A prepared; nothing written",
			 like, like == 1 ? "" : "s", like == 1 ? "s" : "", desc);
		return -ESTALE;
	}
	snprintf(why, wlen, "%s did not appear in %d s; nothing written", desc, tenths / 10);
	return -ENODEV;
}

/* NAME[-partN] into NAME and N. */
static unsigned int kj_split_part(char *name)
{
	char *p = strstr(name, "-part");
	char *end;
	unsigned long n;

	if (!p)
		return 0;
	n = strtoul(p + 5, &end, 10);
	if (*end || !n)
		return 0;
	*p = 0;
	return (unsigned int)n;
}

int kj_disk_resolve(const char *name, int tenths, char *dev, size_t len)
{
	char want[256], node[NAME_MAX + 8];
	unsigned int part = 0;
	int t, found, kind;

	if (*name == '/') {
		for (t = 0; t <= tenths; t++) {
			struct stat st;

			if (!stat(name, &st) && S_ISBLK(st.st_mode)) {
				snprintf(dev, len, "%s", name);
				return 0;
			}
			if (t < tenths)
				usleep(100000);
		}
		return -ENODEV;
	}
	if (!strncmp(name, "UUID=", 5))
		kind = 'U';
	else if (!strncmp(name, "ID=", 3))
		kind = 'I';
	else if (!strncmp(name, "PATH=", 5))
		kind = 'P';
	else
		return -EINVAL;
	snprintf(want, sizeof(want), "%s", strchr(name, '=') + 1);
	if (kind != 'U')
		part = kj_split_part(want);
	if (!*want)
		return -EINVAL;
	for (t = 0;; t++) {
		struct kj_disk_id c;
		struct dirent *e;
		DIR *d = opendir(KJ_SYS_BLOCK);

		found = 0;
		while (d && (e = readdir(d))) {
			if (!kj_disk_candidate(e->d_name) || kj_disk_identify_name(e->d_name, &c))
				continue;
			if (kind == 'U' ? strcasecmp(c.fsuuid, want) :
			    c.partition != part ||
			    (kind == 'I' ? strcmp(c.wwid, want) && strcmp(c.serial, want) :
			     strcmp(c.path, want)))
				continue;
			if (!found++)
				snprintf(dev, len, "/dev/%s", e->d_name);
			snprintf(node, sizeof(node), "/dev/%s", e->d_name);
		}
		if (d)
			closedir(d);
		if (found == 1)
			return 0;
		if (found > 1) {
			fprintf(stderr, "kjump: %s names more than one device (%s, %s)\n", name,
				dev, node);
			return -EEXIST;
		}
		if (t >= tenths)
			return -ENODEV;
		usleep(100000);
	}
}

/*
 * B bound its drivers to the disk's PCI devices only (jobinit.c); when the
 * disk is not behind them after all, every device gets its driver.
 */
void kj_pci_probe_all(void)
{
	struct dirent *e;
	DIR *dir = opendir("/sys/bus/pci/devices");
	int fd;

	fprintf(stderr, "kjump: B: the image's disk did not come up from its PCI devices; "
		"probing every PCI device\n");
	while (dir && (e = readdir(dir))) {
		if (*e->d_name == '.')
			continue;
		fd = open("/sys/bus/pci/drivers_probe", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			break;
		if (write(fd, e->d_name, strlen(e->d_name)) < 0) {
			/* A device no driver wants: nothing to do. */
		}
		close(fd);
	}
	if (dir)
		closedir(dir);
}

/*
 * What libblkid's safe probe finds on the device open at @fd: a
 * filesystem, swap, LVM, RAID or LUKS signature, or a partition table.
 * 0 for nothing, 1 with @what set, -1 when it cannot tell.
 */
static int kj_device_signature(int fd, char *what, size_t len)
{
	blkid_probe pr = blkid_new_probe();
	const char *v = NULL;
	int ret;

	if (!pr || blkid_probe_set_device(pr, fd, 0, 0)) {
		blkid_free_probe(pr);
		snprintf(what, len, "content libblkid cannot read");
		return -1;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	ret = blkid_do_safeprobe(pr);
	if (!ret && !blkid_probe_lookup_value(pr, "TYPE", &v, NULL))
		snprintf(what, len, "data (blkid: TYPE=%s)", v);
	else if (!ret && !blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL))
		snprintf(what, len, "a partition table (blkid: PTTYPE=%s)", v);
	else if (!ret)
		snprintf(what, len, "data (blkid found a signature)");
	else if (ret == -2)
		snprintf(what, len, "data (blkid found more than one signature)");
	else if (ret < 0)
		snprintf(what, len, "content libblkid cannot read");
	blkid_free_probe(pr);
	return ret == 1 ? 0 : ret == 0 || ret == -2 ? 1 : -1;
}

int kj_open_target_device(const char *path, int force, uint64_t *size, char *why, size_t wlen)
{
	char what[96];
	struct stat st;
	int fd, sig;

	/* O_EXCL: the kernel refuses a device mounted, active as swap, or held by dm/md. */
	fd = open(path, O_RDWR | O_EXCL | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || !S_ISBLK(st.st_mode) || ioctl(fd, BLKGETSIZE64, size)) {
		snprintf(why, wlen, "%s: %s: give an unused block device (not mounted, not in use)",
			 path, fd < 0 ? strerror(errno) : "not a block device");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	sig = force ? 0 : kj_device_signature(fd, what, sizeof(what));
	if (sig) {
		snprintf(why, wlen, "%s holds %s: kjumpctl does not write over it; give an empty "
			 "device, or --force if what it holds may go", path, what);
		close(fd);
		return -1;
	}
	return fd;
}
