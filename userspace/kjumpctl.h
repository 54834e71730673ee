/* SPDX-License-Identifier: GPL-2.0 */
/* kjumpctl's commands and the helpers they share. */
#ifndef KJUMPCTL_H
#define KJUMPCTL_H

#include <stdint.h>
#include <stdio.h>
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
/*
 * In a job kernel (B, D): jump back into the peer leaving it @status
 * (KJUMP_PEER_*, 0 for returned; not PANICKED) and @msg (why, for the
 * peer to show; NULL for none; cut to KJUMP_MSG_MAX bytes).  0 once the
 * peer has jumped into this kernel again; else -errno, said why on stderr.
 */
int kj_back(int kfd, uint32_t status, const char *msg);
/*
 * A's side of the peer's message.  Before JUMP (not BACK), give it @buf of
 * @size bytes (KJUMP_MSG_MAX + 1 holds any message): cleared, and after the
 * jump it holds the peer's text, j->msg_len bytes, NUL-terminated.  Then
 * kj_print_peer_msg() shows it on @f: for status PANICKED "WHO panicked;
 * its last lines:" and the lines, for any other status with a message
 * "WHO said:" and the text, nothing without one.  @who: "B", "D".
 */
void kj_jump_msg_buf(struct kjump_jump *j, char *buf, size_t size);
void kj_print_peer_msg(FILE *f, const char *who, const struct kjump_jump *j, const char *buf);

/*
 * helper.c: the kernel kjumpctl jumps into to do a job (B for dump and
 * hibernate, D for resume), the file such a job writes, /proc/meminfo.
 */
struct kj_helper {
	char kernel[256];
	char initrd[256];
	const char *append;
	uint64_t region_size;
	uint64_t region_addr;		/* 0: the highest fit below 4 GiB */
	int drop_caches;		/* see kj_drop_caches() */
	int jump_now;			/* A jumps right after LOAD (hibernate) */
	int vmcore_phys;		/* the vmcore shows RAM as it is (hibernate) */
	int region_set;			/* --region given: never grown to fit */
	const char *modules;		/* drivers the job needs, appended to its initramfs */
	uint64_t headroom;		/* more region than B needs (hibernate: for D) */
};

/* Its options (--region only where the command lets the user choose). */
#define KJ_HELPER_OPTIONS						\
	{ "kernel", required_argument, NULL, 'k' },			\
	{ "initrd", required_argument, NULL, 'i' },			\
	{ "append", required_argument, NULL, 'a' }
#define KJ_HELPER_REGION_OPTION	{ "region", required_argument, NULL, 'R' }

void kj_helper_init(struct kj_helper *k);
/* 1: option @c was the helper's; 0: it was not; -1: bad value (said why). */
int kj_helper_option(struct kj_helper *k, int c, const char *arg);
/* 0 if its kernel and initramfs are there; else says so (@which: "B", "D"). */
int kj_helper_ready(const struct kj_helper *k, const char *which);
/*
 * Load it: its initramfs with @conf appended as file @name (if @conf), its
 * command line followed by @extra, A's memory as /proc/vmcore if @vmcore,
 * at @region_addr if not 0.  0, or -1 with the reason printed.
 */
int kj_helper_load(int kfd, const struct kj_helper *k, const char *name, const char *conf,
		   const char *extra, int vmcore, uint64_t region_addr);
/* @path created empty with room for @size; an fd, or -1 said why. */
int kj_create_target(const char *path, uint64_t size, const char *what, const char *advice);
/* A /proc/meminfo field, in bytes (0 if absent). */
uint64_t kj_meminfo(const char *field);
int kj_drop_caches(void);
int kj_write_str(const char *path, const char *val);
double kj_mono(void);

/* dump.c: what dump and hibernate share. */
struct kj_extent {
	uint64_t logical, physical, length;
};

/* FILE's extents; *written (if given) set when one was written through the fs. */
int kj_extents(int fd, uint64_t size, struct kj_extent *ext, size_t *n, size_t cap,
	       int unwritten_ok, int *written);
int kj_block_device(dev_t dev, char *path, size_t len);
void kj_device_modules(dev_t dev, char *mods, size_t len);
void kj_device_pci(dev_t dev, char *out, size_t len);
int kj_b_initrd(const char *base, const char *out_path, const char *name,
		const char *conf, char *const *mods, size_t nmods);
/* What initramfs @path unpacks to, in bytes (*estimated: not exactly known). */
int kj_initrd_unpacked(const char *path, uint64_t *out, int *estimated);
/* In a job kernel: load the modules A appended (kjump/modules.load); how many. */
int kj_job_modules_load(void);
int kj_cmdline_value(const char *key, char *val, size_t len);
int kj_cmdline_flag(const char *key);
int kj_cmdline_pfn(uint64_t *pfn);
int kj_write_pfn(uint64_t pfn);

int cmd_dump(int argc, char **argv);
int cmd_hibernate(int argc, char **argv);
int cmd_save_image(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_restore_image(int argc, char **argv);
int cmd_image_info(int argc, char **argv);
int kj_job_init(int argc, char **argv);
int cmd_disk(int argc, char **argv);
int cmd_job_find(int argc, char **argv);
int cmd_job_modules(int argc, char **argv);

#endif
