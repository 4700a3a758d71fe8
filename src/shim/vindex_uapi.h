/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/learned_os_vindex: the learned VA->PA range index's ioctl ABI, shared by the module
 * (shim/vindex.c, mirrored in src/vindex/abi.rs) and the user tool (tools/lo-vindex).
 *
 * One open file holds at most one registration: a process (pid) and an address range. The
 * registration ends with LO_VINDEX_UNREGISTER, close(), or the process's exit (the index is
 * dropped then, and TRANSLATE fails with ESRCH). Needs CAP_SYS_ADMIN: answers are physical
 * frame numbers, which /proc/PID/pagemap shows only to CAP_SYS_ADMIN too. REGISTER applies
 * pagemap's rule to its caller: the file's opener must have CAP_SYS_ADMIN (EPERM) and the
 * caller must pass the ptrace read check on the process (EACCES); ESRCH for no such process
 * or a kernel thread. For 64-bit callers only: a 32-bit (compat) ioctl gets ENOTTY.
 */
#ifndef LEARNED_OS_VINDEX_UAPI_H
#define LEARNED_OS_VINDEX_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define LO_VINDEX_DEVICE "/dev/learned_os_vindex"

/* A TRANSLATE result for a page that is not present (no frame). */
#define LO_VINDEX_NOT_PRESENT (~(__u64)0)
/* The most addresses one TRANSLATE takes. */
#define LO_VINDEX_MAX_BATCH (1u << 20)

/* Which path answered, per entry of LO_VINDEX_TRANSLATE's @paths. */
enum lo_vindex_path {
	LO_VINDEX_PATH_LEARNED = 0,	/* the index (verified run): learned, or the LO_VINDEX_VIA_* */
	LO_VINDEX_PATH_WALK = 1,	/* the exact page-table walk found a frame */
	LO_VINDEX_PATH_NOT_PRESENT = 2,	/* the exact walk found no present page */
};

/* Index the present pages of process @pid in [@start, @end) (page aligned, @start < @end). */
struct lo_vindex_register {
	__s32 pid;
	__u32 flags;	/* 0 */
	__u64 start;
	__u64 end;
};

/*
 * LO_VINDEX_TRANSLATE @flags: answer the index's part from a conventional structure over the
 * same runs instead of the learned segments (the benchmark's baselines; at most one). The
 * answers, their exactness and coherence are the same; only the search differs.
 */
#define LO_VINDEX_VIA_SEARCH	(1u << 0)	/* binary search over the runs array */
#define LO_VINDEX_VIA_RBTREE	(1u << 1)	/* a red-black tree of the runs (kernel rbtree) */
/*
 * LO_VINDEX_TRANSLATE @flags: answer from the index as it stands, without rebuilding it first
 * (it still is built if there is none). The tests use it to translate from an index that
 * invalidations have just trimmed.
 */
#define LO_VINDEX_NO_REBUILD	(1u << 2)

/*
 * Translate @count virtual addresses (@vaddrs, u64 each) of the registered process into frame
 * numbers (@pfns, u64 each; LO_VINDEX_NOT_PRESENT for none). @paths, if not 0, gets one u8
 * enum lo_vindex_path per entry. Out: the counts per path. Addresses outside the registered
 * range are answered by the walk.
 */
struct lo_vindex_translate {
	__u64 count;
	__u64 vaddrs;
	__u64 pfns;
	__u64 paths;
	__u32 flags;	/* at most one LO_VINDEX_VIA_*, and LO_VINDEX_NO_REBUILD */
	__u32 pad;	/* 0 */
	__u64 learned;
	__u64 walked;
	__u64 not_present;
};

/* The registration's index. */
struct lo_vindex_stats {
	__u64 runs;
	__u64 segments;
	__u64 bytes;
	__u64 pages;
	__u64 epsilon;
	__u64 rebuilds;
	__u64 invalidations;
	__u64 learned;
	__u64 walked;
	__u64 not_present;
	__u64 built;		/* 1 if an index is in place now */
	__u64 released;		/* 1 once the process has exited */
	__u64 tree_nodes;	/* the LO_VINDEX_VIA_RBTREE tree, if built: its nodes */
	__u64 tree_bytes;	/* and its bytes (slab objects) */
};

#define LO_VINDEX_IOC 0xB7
#define LO_VINDEX_REGISTER	_IOW(LO_VINDEX_IOC, 1, struct lo_vindex_register)
#define LO_VINDEX_TRANSLATE	_IOWR(LO_VINDEX_IOC, 2, struct lo_vindex_translate)
#define LO_VINDEX_STATS		_IOR(LO_VINDEX_IOC, 3, struct lo_vindex_stats)
#define LO_VINDEX_UNREGISTER	_IO(LO_VINDEX_IOC, 4)

#endif /* LEARNED_OS_VINDEX_UAPI_H */
