/* SPDX-License-Identifier: GPL-2.0 */
/* kjumpctl's commands and the helpers they share. */
#ifndef KJUMPCTL_H
#define KJUMPCTL_H

#include <stdint.h>
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

int cmd_dump(int argc, char **argv);

#endif
