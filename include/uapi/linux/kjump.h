/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kjump: kexec jump for kernels built without CONFIG_KEXEC_JUMP.
 *
 * The only interface between the kjump module and its tools.  All
 * structures are fixed width, pointers travel as __u64, padding is explicit
 * and must be zero, and every ioctl argument starts with its own size so
 * the ABI can grow (the kernel accepts any size >= the first version's and
 * requires unknown trailing bytes to be zero).  The spec is docs/abi.md.
 */
#ifndef _UAPI_LINUX_KJUMP_H
#define _UAPI_LINUX_KJUMP_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KJUMP_ABI_VERSION	1
#define KJUMP_DEVICE		"/dev/kjump"
#define KJUMP_SYSFS_DIR		"/sys/kernel/kjump"

/* Hard limits, checked where input arrives (errno in brackets). */
#define KJUMP_MAX_SEGMENTS	16		/* nr_segments [E2BIG] */
#define KJUMP_LOW_LIMIT		0xa0000ULL	/* low part below 640 KiB [EINVAL] */
#define KJUMP_MAX_REGION	(16ULL << 30)	/* region size [E2BIG] */

/* One piece of B's image, as kexec_load(2) takes it. */
struct kjump_segment {
	__u64 buf;		/* user address of the bytes */
	__u64 bufsz;		/* bytes to copy, <= memsz */
	__u64 mem;		/* physical destination, page aligned */
	__u64 memsz;		/* page multiple; the tail past bufsz is zeroed */
};

/*
 * The region: the physical RAM B may use.  low_* is the part below 640 KiB
 * (may be empty), start/size the one contiguous range above it.  Both are
 * page aligned and must be System RAM of A.
 */
struct kjump_region {
	__u64 low_start;
	__u64 low_size;
	__u64 start;
	__u64 size;
};

#define KJUMP_LOAD_PRESERVE_CONTEXT	(1U << 0) /* kexec's name; implied, may be 0 */
/*
 * Segment elfcorehdr_seg (bufsz 0) receives an ELF core header of A, built
 * by the module: VMCOREINFO, and PT_LOADs for all of A's RAM with the
 * region's pages at their shadow pages.  B given elfcorehdr= its address
 * serves A's memory as /proc/vmcore.  docs/protocol.md says more.
 */
#define KJUMP_LOAD_ELFCOREHDR		(1U << 1)
/*
 * A jumps right after this LOAD and stays frozen while B runs (hibernate):
 * the region may take A's free memory down to half its min watermarks,
 * where the allocator's __GFP_HIGH callers may go, instead of keeping
 * 4 MiB above them.
 */
#define KJUMP_LOAD_JUMP_NOW		(1U << 2)
/*
 * With KJUMP_LOAD_ELFCOREHDR: describe A's RAM as it physically is while B
 * runs, the shadow pages included at their own addresses (hibernation
 * saves and restores them; the return swaps them back).  Without it (a
 * dump) the shadow pages are left out: they copy region pages, which the
 * header already gives at their own addresses.
 */
#define KJUMP_LOAD_ELFCOREHDR_PHYS	(1U << 3)
#define KJUMP_LOAD_FLAGS_MASK		(KJUMP_LOAD_PRESERVE_CONTEXT | KJUMP_LOAD_ELFCOREHDR | \
					 KJUMP_LOAD_JUMP_NOW | KJUMP_LOAD_ELFCOREHDR_PHYS)

struct kjump_load {
	__u32 size;		/* sizeof(struct kjump_load) */
	__u32 flags;		/* KJUMP_LOAD_* */
	__u64 entry;		/* physical entry of B, inside a segment */
	struct kjump_region region;
	__u64 segments;		/* user address of struct kjump_segment[] */
	__u32 nr_segments;
	__u32 elfcorehdr_seg;	/* with KJUMP_LOAD_ELFCOREHDR, else zero */
	__u64 reserved[4];	/* must be zero */
};

enum kjump_state {
	KJUMP_STATE_EMPTY = 0,		/* nothing loaded */
	KJUMP_STATE_LOADED = 1,		/* B loaded, never entered */
	KJUMP_STATE_JUMPING = 2,	/* a jump is in progress */
	KJUMP_STATE_SUSPENDED = 3,	/* B ran and jumped back; re-entry known */
};

/* STATUS flags: why LOAD/JUMP would be refused right now. */
#define KJUMP_STATUS_LOCKDOWN		(1U << 0) /* kernel lockdown (kexec) */
#define KJUMP_STATUS_LOAD_DISABLED	(1U << 1) /* kernel.kexec_load_disabled */
#define KJUMP_STATUS_PEER		(1U << 2) /* this kernel is a B/D: peer set */

/* UNLOAD of a B that ran and waits suspended loses its state: say so. */
#define KJUMP_UNLOAD_DISCARD		(1U << 0)

struct kjump_status {
	__u32 size;		/* in: sizeof(struct kjump_status) */
	__u32 state;		/* enum kjump_state */
	__u32 flags;		/* KJUMP_STATUS_* */
	__u32 nr_segments;
	__u64 entry;		/* B's first entry */
	__u64 reentry;		/* B's re-entry point, once suspended */
	struct kjump_region region;
	__u64 jump_buf_pfn;	/* this kernel's jump buffer */
	__u64 peer_buf_pfn;	/* the peer's, when this kernel is B or D */
	__u64 shadow_pages;	/* pages held for the region */
	__u64 list_pages;	/* indirection list pages */
	__u64 nr_jumps;		/* completed round trips */
	__u64 region_limit;	/* regions must end at or below this address */
	__u64 staged_pages;	/* C: pages of A staged (STAGE) so far */
	__u64 reserved[2];
};

/*
 * JUMP: A into B (the loaded image: its entry the first time, its re-entry
 * point after), or with KJUMP_JUMP_BACK, a B or D back into the kernel
 * whose jump buffer is set as peer (kexec_jump_buf_pfn), leaving it
 * 'status'.  Returns when someone jumps back here, with what happened.
 */
#define KJUMP_JUMP_BACK		(1U << 0)
/*
 * A into B for hibernation: just before the jump, with everything else
 * stopped, record in the jump buffer's save map which of A's pages B must
 * save (System RAM, not free, outside the region).
 */
#define KJUMP_JUMP_SAVEMAP	(1U << 1)
/*
 * C into A, resuming from an image without D: every page declared by
 * STAGE_MAP must have been staged [ENODATA].  The stub puts the staged
 * pages in place at the last moment and enters A with status RESTORED.
 */
#define KJUMP_JUMP_STAGED	(1U << 2)
#define KJUMP_JUMP_FLAGS_MASK	(KJUMP_JUMP_BACK | KJUMP_JUMP_SAVEMAP | KJUMP_JUMP_STAGED)

struct kjump_jump {
	__u32 size;		/* in: sizeof(struct kjump_jump) */
	__u32 flags;		/* in: KJUMP_JUMP_* */
	__u32 status;		/* in (BACK): the status to leave; out: the
				 * status the peer left us (kjump_peer_status)
				 */
	__u32 pad;
	__u64 peer_entry;	/* out: the peer's re-entry point */
	/* out: where the time went, nanoseconds */
	__u64 ns_total;		/* ioctl entry to return, wall clock */
	__u64 ns_freeze;	/* freeze_processes */
	__u64 ns_suspend;	/* devices: dpm suspend start + end */
	__u64 ns_cpu_down;	/* secondary CPUs offline */
	__u64 ns_away;		/* from the call into the peer to the return */
	__u64 ns_swap_out;	/* region swap on the way out */
	__u64 ns_swap_in;	/* region swap on the way back */
	__u64 ns_cpu_up;	/* secondary CPUs online */
	__u64 ns_resume;	/* devices: dpm resume start + end */
	__u64 ns_thaw;		/* console, processes */
	__u64 swapped_pages;	/* pages swapped each way */
	/*
	 * The peer's message (KJUMP_MSG_MAX bytes at most): with
	 * KJUMP_JUMP_BACK, in: user address of a NUL-terminated text left
	 * for the peer with the status (why a job failed), or 0; otherwise
	 * in: user address of msg_size bytes for the text the peer left
	 * (a panic's last log lines), or 0.
	 */
	__u64 msg;
	__u32 msg_size;		/* in: bytes at msg (without BACK) */
	__u32 msg_len;		/* out: bytes of the peer's text copied, no NUL */
	__u64 reserved[2];
};

#define KJUMP_IOC_MAGIC		0xb6
#define KJUMP_IOC_VERSION	_IOR(KJUMP_IOC_MAGIC, 0, __u32)
#define KJUMP_IOC_LOAD		_IOW(KJUMP_IOC_MAGIC, 1, struct kjump_load)
#define KJUMP_IOC_UNLOAD	_IO(KJUMP_IOC_MAGIC, 2)	/* arg: KJUMP_UNLOAD_* */
#define KJUMP_IOC_STATUS	_IOWR(KJUMP_IOC_MAGIC, 3, struct kjump_status)
#define KJUMP_IOC_JUMP		_IOWR(KJUMP_IOC_MAGIC, 4, struct kjump_jump)
#define KJUMP_IOC_RESTORE	_IOW(KJUMP_IOC_MAGIC, 5, struct kjump_restore)
#define KJUMP_IOC_STAGE_MAP	_IOW(KJUMP_IOC_MAGIC, 6, struct kjump_stage_map)
#define KJUMP_IOC_STAGE		_IOW(KJUMP_IOC_MAGIC, 7, struct kjump_restore)
#define KJUMP_IOC_STAGE_DROP	_IO(KJUMP_IOC_MAGIC, 8)

/*
 * RESTORE, in D: write nr_pages pages from buf to the peer's physical pages
 * from pfn on.  The peer is the kernel that loaded D (C); its jump buffer
 * lists its System RAM, the same as A's on the same machine.  Every page
 * must lie in one of those ranges and outside D's own RAM (the region):
 * anything else is refused with EADDRNOTAVAIL, before a byte is written.
 */
#define KJUMP_RESTORE_MAX_PAGES	1024	/* per call [E2BIG] */
#define KJUMP_RESTORE_CHECK	(1U << 0)	/* validate the range only */
struct kjump_restore {
	__u32 size;		/* sizeof(struct kjump_restore) */
	__u32 flags;		/* KJUMP_RESTORE_CHECK or zero */
	__u64 pfn;		/* first destination page frame */
	__u64 nr_pages;
	__u64 buf;		/* user address of nr_pages * page size */
				/* bytes (ignored with KJUMP_RESTORE_CHECK) */
	__u64 reserved[2];	/* must be zero */
};

/*
 * Resuming without D, in C (docs/abi.md).  STAGE_MAP declares the pages an
 * image restores (its range table) and A's jump buffer among them; STAGE
 * (struct kjump_restore, as RESTORE) copies page data into C's free memory,
 * away from every declared page; JUMP with KJUMP_JUMP_STAGED puts them in
 * place and enters A; STAGE_DROP frees it all.  Only in a kernel with
 * nothing loaded and no peer [EBUSY]; one staging at a time [EBUSY].
 * Declared pages must be System RAM of this kernel [EADDRNOTAVAIL], each
 * once [EINVAL]; STAGE takes only declared pages not yet staged
 * [EADDRNOTAVAIL, EEXIST], and ENOMEM when this kernel's free memory runs
 * out (nothing of that call staged).
 */
#define KJUMP_STAGE_MAX_RANGES	(1U << 20)	/* nr_ranges [E2BIG] */
struct kjump_stage_range {
	__u64 pfn;		/* first page frame */
	__u64 nr;		/* pages */
};

struct kjump_stage_map {
	__u32 size;		/* sizeof(struct kjump_stage_map) */
	__u32 flags;		/* must be zero */
	__u32 nr_ranges;
	__u32 pad;
	__u64 ranges;		/* user address of struct kjump_stage_range[] */
	__u64 jump_buf_pfn;	/* A's kexec_jump_buf_pfn, a declared page */
	__u64 reserved[2];	/* must be zero */
};

/*
 * The jump buffer: one page of A that tells a peer how to get back into A.
 * Its page frame number is kexec_jump_buf_pfn.  Layout spec: docs/protocol.md.
 * checksum is the CRC32 (crc32_le, seed ~0, final xor ~0: zlib's crc32) of
 * the first 'size' bytes with the checksum field taken as zero; whoever
 * changes a field (A at load and jump, B/D setting status) recomputes it.
 */
#define KJUMP_JUMP_BUF_MAGIC	0x504d554a4a4b4a4bULL	/* "KJKJJUMP" */
#define KJUMP_JUMP_BUF_VERSION	1

#define KJUMP_JB_MAX_RAM	32	/* System RAM ranges in a jump buffer */
#define KJUMP_ARCH_X86_64	1
#define KJUMP_ARCH_I386		2

enum kjump_peer_status {
	KJUMP_PEER_NONE = 0,		/* A jumped; peer has not reported */
	KJUMP_PEER_RETURNED = 1,	/* B returned after running */
	KJUMP_PEER_DUMPED = 2,		/* B saved a dump of A */
	KJUMP_PEER_RESTORED = 3,	/* D wrote A back from an image */
	KJUMP_PEER_FAILED = 4,		/* the peer failed; A resumes as is */
	KJUMP_PEER_PANICKED = 5,	/* the peer panicked (its message: the
					 * last log lines); it cannot be
					 * re-entered
					 */
	KJUMP_PEER_NO_TARGET = 6,	/* the job's disk was not found, or
					 * did not hold what A put there:
					 * nothing was written
					 */
};

/*
 * The peer's message lives in the jump buffer's page, after the struct:
 * msg_len bytes of text (no NUL) at KJUMP_JB_MSG_OFFSET, msg_crc their
 * CRC32 (as the checksum's).
 */
#define KJUMP_MSG_MAX		1024
#define KJUMP_JB_MSG_OFFSET	3072

struct kjump_jump_buf {
	__u64 magic;
	__u32 version;
	__u32 size;		/* sizeof(struct kjump_jump_buf) */
	__u32 checksum;
	__u32 arch;		/* KJUMP_ARCH_* */
	__u32 page_size;
	__u32 status;		/* enum kjump_peer_status, set by the peer */
	__u64 entry;		/* A's physical re-entry address */
	__u64 peer_entry;	/* the peer's re-entry point (its 0(sp)) */
	struct kjump_region region;
	__u64 shadow_list;	/* phys of the first indirection page */
	__u64 region_pages;	/* pages in the region (= shadow pages) */
	__u64 vmcoreinfo;	/* phys of A's VMCOREINFO ELF note */
	__u64 vmcoreinfo_size;
	__u64 control;		/* phys of A's first control page */
	__u64 nr_jumps;
	__u64 boot_id[2];	/* A's /proc/sys/kernel/random/boot_id */
	char release[68];	/* A's utsname release, NUL terminated */
	__u32 pad;
	__u32 msg_len;		/* the peer's message, set with status */
	__u32 msg_crc;
	__u64 reserved[7];
	/*
	 * Present when size reaches them.  The save map (KJUMP_JUMP_SAVEMAP):
	 * an index page of __u64 physical addresses of bitmap pages; bit N of
	 * the bitmap (byte N / 8, bit N % 8) set means pfn N must be saved.
	 */
	__u64 savemap;		/* phys of the index page, or 0 */
	__u64 savemap_pfns;	/* pfns the bitmap covers, from 0 */
	__u32 nr_ram;		/* entries in ram[] */
	__u32 pad2;
	struct kjump_ram_range {
		__u64 start;	/* first byte */
		__u64 end;	/* one past the last byte */
	} ram[KJUMP_JB_MAX_RAM];	/* this kernel's System RAM */
};

/* kexec-style indirection list entries (kexec_core.c's IND_*). */
#define KJUMP_IND_DESTINATION	0x1
#define KJUMP_IND_INDIRECTION	0x2
#define KJUMP_IND_DONE		0x4
#define KJUMP_IND_SOURCE	0x8

#endif /* _UAPI_LINUX_KJUMP_H */
