/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which disk a job writes to, found the same way in every kernel.
 *
 * A /dev name or a major:minor says nothing across kernels: B binds its
 * drivers in another order, and /dev/vdb in A can be A's root disk in B.
 * A describes the disk by what the disk itself carries (size, partition
 * number, serial, WWID, the filesystem UUID of a file's filesystem, the
 * PCI path), and, just before the jump, writes a random nonce into the
 * first block the job will write.  B writes only to the one device that
 * matches the description and reads back that nonce (docs/protocol.md,
 * "The job's disk").
 */
#ifndef KJUMP_DISK_H
#define KJUMP_DISK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kj_disk_id {
	uint64_t sectors;		/* 512-byte sectors of the block device */
	unsigned int partition;		/* its number; 0 for a whole disk */
	char wwid[128];			/* the disk's, or empty */
	char serial[128];		/* the disk's, or empty */
	char fsuuid[40];		/* ext2/3/4, xfs or btrfs on it, or empty */
	char path[192];			/* pci-DDDD:BB:SS.F[-ata-N|-nvme-N|...] */
};

#define KJ_NONCE_LEN		16
#define KJ_NONCE_MAGIC		"KJNONCE1"

/* What the block device @dev is; 0, or -errno if sysfs does not know it. */
int kj_disk_identify(dev_t dev, struct kj_disk_id *id);
/* The description as "disk.KEY=VALUE" lines, for a job's configuration. */
int kj_disk_id_format(const struct kj_disk_id *id, char *out, size_t len);
/* One configuration line: 1 if it was a disk.* line, else 0. */
int kj_disk_id_line(struct kj_disk_id *id, const char *line);
/* "the 2048 MiB disk (serial X) at pci-..." for messages. */
void kj_disk_describe(const struct kj_disk_id *id, char *out, size_t len);
/*
 * A name for kjump.resume= that holds across boots: UUID=FS-UUID for a
 * file's filesystem, ID=WWID|SERIAL or PATH=... (-partN) for a device.
 */
void kj_disk_stable_name(const struct kj_disk_id *id, int file, char *out, size_t len);

/* A fresh random nonce, and its hex form (2 * KJ_NONCE_LEN + 1 bytes). */
int kj_nonce_new(uint8_t nonce[KJ_NONCE_LEN]);
void kj_nonce_hex(const uint8_t nonce[KJ_NONCE_LEN], char *hex);
int kj_nonce_parse(const char *hex, uint8_t nonce[KJ_NONCE_LEN]);
/*
 * A: write the nonce block at byte @off of @bdev, past any cache, and read
 * it back.  0, or -errno.
 */
int kj_nonce_put(const char *bdev, uint64_t off, const uint8_t nonce[KJ_NONCE_LEN]);

/*
 * B: the one block device that matches @id and holds @nonce at @off,
 * waiting up to @tenths tenths of a second for it (calling @kick once,
 * if given, after 3 s without it).  0 with its node in @dev; or
 * -ENODEV (nothing like it appeared), -ESTALE (it did, without the nonce),
 * -EEXIST (more than one holds it), with a sentence in @why.
 */
int kj_disk_find(const struct kj_disk_id *id, uint64_t off,
		 const uint8_t nonce[KJ_NONCE_LEN], int tenths, void (*kick)(void),
		 char *dev, size_t len, char *why, size_t wlen);

/* B: give every PCI device its driver (after binding only the disk's). */
void kj_pci_probe_all(void);

/*
 * C: the block device a kjump.resume= name means: /dev/..., UUID=,
 * ID=... or PATH=... (both with an optional -partN).  Waits up to @tenths.
 * 0 with its node in @dev, -ENODEV if none is there, -EEXIST if several.
 */
int kj_disk_resolve(const char *name, int tenths, char *dev, size_t len);

/*
 * A: the block device a job will write over, open read-write: refused
 * when it is in use (O_EXCL: mounted, active swap, held by dm or md) or,
 * unless @force, when libblkid finds a filesystem, swap, LVM, RAID, LUKS
 * or partition table signature on it.  An fd with its size in @size, or
 * -1 with a sentence in @why.
 */
int kj_open_target_device(const char *path, int force, uint64_t *size, char *why, size_t wlen);

#endif
