/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels kjump builds for, decided by probing the
 * tree being built against (Kbuild), not by version numbers.
 */
#ifndef KJUMP_COMPAT_H
#define KJUMP_COMPAT_H

/* 6.9 moved VMCOREINFO out of crash_core.h. */
#ifdef KJUMP_HAVE_VMCORE_INFO_H
#include <linux/vmcore_info.h>
#else
#include <linux/crash_core.h>
#endif

#endif /* KJUMP_COMPAT_H */
