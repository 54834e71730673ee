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

/*
 * Newer kernels (7.x here) renamed suspend_console()/resume_console();
 * console_suspend() now takes one console.
 */
#ifdef KJUMP_HAVE_CONSOLE_SUSPEND_ALL
#define kjump_suspend_console_fn	console_suspend_all
#define kjump_resume_console_fn		console_resume_all
#else
#define kjump_suspend_console_fn	suspend_console
#define kjump_resume_console_fn		resume_console
#endif

/* The number of buddy orders: 6.8 named it (6.1's MAX_ORDER counted them). */
#include <linux/mmzone.h>
#ifndef NR_PAGE_ORDERS
#define NR_PAGE_ORDERS	MAX_ORDER
#endif

/*
 * 6.14 dropped the _array from the bulk page allocator's name (the new
 * name is a macro; before, alloc_pages_bulk_array was a function on 6.1).
 */
#include <linux/gfp.h>
#ifdef alloc_pages_bulk
#define kjump_alloc_pages_bulk(gfp, nr, pages)	alloc_pages_bulk(gfp, nr, pages)
#else
#define kjump_alloc_pages_bulk(gfp, nr, pages)	alloc_pages_bulk_array(gfp, nr, pages)
#endif

/*
 * alloc_contig_range()'s third argument: a migrate type until it became
 * acr_flags_t (7.x here), where MIGRATE_MOVABLE's value reads as ACR_FLAGS_CMA.
 */
#ifdef ACR_FLAGS_NONE
#define KJUMP_ACR_MOVABLE	ACR_FLAGS_NONE
#else
#define KJUMP_ACR_MOVABLE	MIGRATE_MOVABLE
#endif

/* Newer kernels named the 64-bit MSR read rdmsrq() (7.x has no rdmsrl()). */
#include <asm/msr.h>
#ifndef rdmsrq
#define rdmsrq(msr, val)	rdmsrl(msr, val)
#endif

#endif /* KJUMP_COMPAT_H */
