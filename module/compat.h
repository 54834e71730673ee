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

/*
 * Whether a function's first 4 bytes are an ENDBR, or the NOP that sealed
 * one.  6.15 made is_endbr() take a pointer (and reads it with a fault
 * check, out of line); the test on the value became __is_endbr().
 */
#include <asm/ibt.h>
#if !HAS_KERNEL_IBT
#define kjump_is_endbr(insn)	false
#elif defined(KJUMP_HAVE___IS_ENDBR)
#define kjump_is_endbr(insn)	__is_endbr(insn)
#else
#define kjump_is_endbr(insn)	is_endbr(insn)
#endif

#endif /* KJUMP_COMPAT_H */
