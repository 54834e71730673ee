/* SPDX-License-Identifier: GPL-2.0 */
/* kjumpctl's commands and the helpers they share. */
#ifndef KJUMPCTL_H
#define KJUMPCTL_H

#include <stdint.h>
#include <sys/types.h>
#include <linux/kjump.h>
#include "bootimage.h"

extern const char *prog;

int kj_open(void);
int kj_status(int fd, struct kjump_status *st);
int kj_load(int fd, struct kj_boot_opts *o, int quiet);
int kj_parse_region(const char *s, uint64_t *size, uint64_t *addr);
const char *kj_peer_status_name(uint32_t s);
void kj_print_times(const struct kjump_jump *j);
void kj_jump_error(const char *what, int err);

/* dump.c: what dump and hibernate share. */
struct kj_extent {
	uint64_t logical, physical, length;
};

uint64_t kj_mem_total(void);
int kj_extents(int fd, uint64_t size, struct kj_extent *ext, size_t *n, size_t cap,
	       int unwritten_ok);
int kj_block_device(dev_t dev, char *path, size_t len);
void kj_device_modules(dev_t dev, char *mods, size_t len);
int kj_b_initrd(const char *base, const char *out_path, const char *name,
		const char *conf);
int kj_cmdline_value(const char *key, char *val, size_t len);
int kj_write_pfn(uint64_t pfn);

int cmd_dump(int argc, char **argv);
int cmd_hibernate(int argc, char **argv);
int cmd_save_image(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_restore_image(int argc, char **argv);

#endif
