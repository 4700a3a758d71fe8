// SPDX-License-Identifier: GPL-2.0
/*
 * lo-vindex: drives /dev/learned_os_vindex (the learned VA->PA index) for the kselftests
 * and benchmarks. A static binary for the busybox guest.
 *
 * Usage:
 *   lo-vindex test SCENARIO [VIA]  contiguous|thp|frag|mremap|munmap|fork|reuse|exit|bad,
 *                             or the hardening ones: perm-user|perm-dumpable|kthread|
 *                             overlimit|race; VIA learned (default), search or rbtree:
 *                             which structure answers the index's part (LO_VINDEX_VIA_*)
 *   lo-vindex hold SECONDS    register this process, then sleep (rmmod while registered)
 *   lo-vindex bench LAYOUT MIB  batch translation throughput of the learned index, binary
 *                             search over the same runs, an rbtree of them, and the exact
 *                             walk alone (vindex/enabled 0), and each structure's bytes per
 *                             page; LAYOUT contiguous|typical|frag|thp
 *
 * Every scenario changes its mappings step by step and, after each change, translates every
 * page of its region through the device and compares each answer with /proc/PID/pagemap:
 * a present page must translate to pagemap's frame, a page not present to
 * LO_VINDEX_NOT_PRESENT. Prints one "step NAME pages=N learned=L walked=W not_present=A"
 * line per check and "PASS SCENARIO" (exit 0) or "FAIL SCENARIO: why" (exit 1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/shim/vindex_uapi.h"

#define PAGE 4096UL
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
/* The module's limit on an index's runs (src/vindex/session.rs MAX_RUNS). */
#define MAX_RUNS (1UL << 20)

static const char *scenario = "?";
static int expect_learned;	/* vindex/enabled is 1: steady state must use the index */
static uint32_t via;		/* LO_VINDEX_TRANSLATE flags: which structure answers */
static uint32_t lazy;		/* LO_VINDEX_NO_REBUILD, or 0 */
static int self_pagemap = -1;	/* /proc/self/pagemap opened while privileged, or -1 */

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s: ", scenario);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static int dev_open(void)
{
	int fd = open(LO_VINDEX_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail("open %s: %s", LO_VINDEX_DEVICE, strerror(errno));
	return fd;
}

static int do_register(int fd, pid_t pid, uint64_t start, uint64_t end)
{
	struct lo_vindex_register r = { .pid = pid, .start = start, .end = end };

	return ioctl(fd, LO_VINDEX_REGISTER, &r) ? -errno : 0;
}

static void must_register(int fd, pid_t pid, uint64_t start, uint64_t end)
{
	int err = do_register(fd, pid, start, end);

	if (err)
		fail("register pid %d [%#llx, %#llx): %s", pid, (unsigned long long)start,
		     (unsigned long long)end, strerror(-err));
}

static int translate(int fd, const uint64_t *va, uint64_t *pfn, uint8_t *path, uint64_t n,
		     struct lo_vindex_translate *out)
{
	struct lo_vindex_translate t = {
		.count = n,
		.vaddrs = (uintptr_t)va,
		.pfns = (uintptr_t)pfn,
		.paths = (uintptr_t)path,
		.flags = via | lazy,
	};

	if (ioctl(fd, LO_VINDEX_TRANSLATE, &t))
		return -errno;
	if (out)
		*out = t;
	return 0;
}

/* pagemap entries of @n pages from @start of process @pid (0: self). */
static void read_pagemap(pid_t pid, uint64_t start, uint64_t n, uint64_t *pm)
{
	char name[64];
	ssize_t got;
	int fd;

	if (pid)
		snprintf(name, sizeof(name), "/proc/%d/pagemap", pid);
	else
		snprintf(name, sizeof(name), "/proc/self/pagemap");
	/* pagemap shows frames to its opener's CAP_SYS_ADMIN: one opened before dropping it. */
	fd = !pid && self_pagemap >= 0 ? self_pagemap : open(name, O_RDONLY);
	if (fd < 0)
		fail("open %s: %s", name, strerror(errno));
	got = pread(fd, pm, n * 8, (off_t)(start / PAGE * 8));
	if (got != (ssize_t)(n * 8))
		fail("read %s: %zd of %llu bytes", name, got, (unsigned long long)(n * 8));
	if (fd != self_pagemap)
		close(fd);
}

static uint64_t expected(uint64_t pm)
{
	return (pm & PM_PRESENT) ? (pm & PM_PFN_MASK) : LO_VINDEX_NOT_PRESENT;
}

/*
 * Translates every page of [@start, @start + @n pages) of @pid through @fd and compares with
 * pagemap, read before and after: a page whose pagemap entry changed meanwhile (khugepaged,
 * compaction) is retried, any other difference fails. Without @steady (right after a change),
 * the index answers as it stands (LO_VINDEX_NO_REBUILD): trimmed by the change's
 * invalidations, not rebuilt. With @steady, it may be rebuilt first and must have answered
 * some pages (when vindex is enabled and some page is present).
 */
static void check(int fd, pid_t pid, uint64_t start, uint64_t n, const char *step, int steady)
{
	uint64_t *va = calloc(n, 8), *pfn = calloc(n, 8), *pm0 = calloc(n, 8),
		 *pm1 = calloc(n, 8);
	uint8_t *path = calloc(n, 1);
	struct lo_vindex_translate t = { 0 };
	uint64_t present = 0, i;
	int tries, err, bad = 0;

	if (!va || !pfn || !pm0 || !pm1 || !path)
		fail("out of memory");
	for (i = 0; i < n; i++)
		va[i] = start + i * PAGE + (i * 8) % PAGE;	/* any offset in the page */
	for (tries = 0; tries < 5; tries++) {
		read_pagemap(pid, start, n, pm0);
		lazy = steady ? 0 : LO_VINDEX_NO_REBUILD;
		err = translate(fd, va, pfn, path, n, &t);
		lazy = 0;
		if (err)
			fail("%s: translate: %s", step, strerror(-err));
		read_pagemap(pid, start, n, pm1);
		bad = 0;
		present = 0;
		for (i = 0; i < n; i++) {
			if (pm0[i] != pm1[i])
				break;	/* changed under us: try again */
			present += !!(pm0[i] & PM_PRESENT);
			if (pfn[i] != expected(pm0[i])) {
				if (bad++ < 5)
					printf("# %s: page %llu (%#llx): got %#llx via path %u, pagemap %#llx\n",
					       step, (unsigned long long)i,
					       (unsigned long long)va[i],
					       (unsigned long long)pfn[i], path[i],
					       (unsigned long long)expected(pm0[i]));
			}
			if (path[i] > LO_VINDEX_PATH_NOT_PRESENT ||
			    (path[i] == LO_VINDEX_PATH_NOT_PRESENT) !=
				    (pfn[i] == LO_VINDEX_NOT_PRESENT))
				fail("%s: page %llu: path %u with result %#llx", step,
				     (unsigned long long)i, path[i], (unsigned long long)pfn[i]);
		}
		if (i == n)
			break;
	}
	if (tries == 5)
		fail("%s: pagemap kept changing", step);
	if (bad)
		fail("%s: %d of %llu translations differ from pagemap", step, bad,
		     (unsigned long long)n);
	if (t.learned + t.walked + t.not_present != n)
		fail("%s: path counts %llu+%llu+%llu != %llu", step,
		     (unsigned long long)t.learned, (unsigned long long)t.walked,
		     (unsigned long long)t.not_present, (unsigned long long)n);
	printf("step %s pages=%llu present=%llu learned=%llu walked=%llu not_present=%llu\n",
	       step, (unsigned long long)n, (unsigned long long)present,
	       (unsigned long long)t.learned, (unsigned long long)t.walked,
	       (unsigned long long)t.not_present);
	if (steady && expect_learned && present && !t.learned)
		fail("%s: the learned index answered no page", step);
	free(va);
	free(pfn);
	free(pm0);
	free(pm1);
	free(path);
}

/* Checks twice: right after the change, then once more (the index rebuilt: learned). */
static void check2(int fd, pid_t pid, uint64_t start, uint64_t n, const char *step)
{
	char name[96];

	check(fd, pid, start, n, step, 0);
	snprintf(name, sizeof(name), "%s/again", step);
	check(fd, pid, start, n, name, 1);
}

static char *map(size_t len, int flags, void *hint)
{
	char *p = mmap(hint, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags,
		       -1, 0);

	if (p == MAP_FAILED)
		fail("mmap %zu: %s", len, strerror(errno));
	return p;
}

/* A 2 MiB-aligned anonymous region of @len bytes (with @guard bytes of slack). */
static char *map_aligned(size_t len)
{
	size_t huge = 2UL << 20;
	char *p = map(len + huge, 0, NULL);
	char *a = (char *)(((uintptr_t)p + huge - 1) & ~(huge - 1));

	if (a > p)
		munmap(p, a - p);
	munmap(a + len, p + len + huge - (a + len));
	return a;
}

static void touch(char *p, size_t len, size_t stride)
{
	size_t off;

	for (off = 0; off < len; off += stride)
		p[off] = (char)(off >> 12 | 1);
}

static void stats(int fd, struct lo_vindex_stats *st)
{
	if (ioctl(fd, LO_VINDEX_STATS, st))
		fail("stats: %s", strerror(errno));
}

static void scenario_contiguous(int fd)
{
	size_t len = 16UL << 20;
	char *p = map(len, 0, NULL);
	struct lo_vindex_stats st;
	uint64_t n = len / PAGE;

	madvise(p, len, MADV_NOHUGEPAGE);
	must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
	check2(fd, 0, (uintptr_t)p, n, "empty");
	touch(p, len, PAGE);
	check2(fd, 0, (uintptr_t)p, n, "touched");
	stats(fd, &st);
	printf("index runs=%llu segments=%llu bytes=%llu pages=%llu rebuilds=%llu\n",
	       (unsigned long long)st.runs, (unsigned long long)st.segments,
	       (unsigned long long)st.bytes, (unsigned long long)st.pages,
	       (unsigned long long)st.rebuilds);
	if (expect_learned && (!st.built || st.pages != n))
		fail("index built %llu with %llu pages, expected %llu", (unsigned long long)st.built,
		     (unsigned long long)st.pages, (unsigned long long)n);
	if (mprotect(p + len / 2, PAGE, PROT_READ))
		fail("mprotect: %s", strerror(errno));
	check2(fd, 0, (uintptr_t)p, n, "mprotect");
	madvise(p + PAGE, 8 * PAGE, MADV_DONTNEED);
	check2(fd, 0, (uintptr_t)p, n, "dontneed");
}

static void scenario_thp(int fd)
{
	size_t len = 8UL << 20;
	char *p = map_aligned(len);
	uint64_t n = len / PAGE;

	madvise(p, len, MADV_HUGEPAGE);
	must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
	touch(p, len, PAGE);
	check2(fd, 0, (uintptr_t)p, n, "huge");
	/* Split a huge PMD: change the protection of one page inside it. */
	if (mprotect(p + (2UL << 20) + 5 * PAGE, PAGE, PROT_READ))
		fail("mprotect: %s", strerror(errno));
	check2(fd, 0, (uintptr_t)p, n, "split");
	/* Zap part of another huge page, and all of a third. */
	madvise(p + (4UL << 20) + 17 * PAGE, 3 * PAGE, MADV_DONTNEED);
	madvise(p + (6UL << 20), 2UL << 20, MADV_DONTNEED);
	check2(fd, 0, (uintptr_t)p, n, "zap");
	touch(p + (6UL << 20), 2UL << 20, PAGE);
	check2(fd, 0, (uintptr_t)p, n, "refault");
}

static void scenario_frag(int fd)
{
	size_t len = 4UL << 20, i, n = len / PAGE;
	char *p = map(len, 0, NULL);
	unsigned int seed = 1;

	madvise(p, len, MADV_NOHUGEPAGE);
	must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
	/* Fault pages in a scrambled order, so frames are not in address order. */
	for (i = 0; i < n; i++)
		p[((i * 7919) % n) * PAGE] = 1;
	check2(fd, 0, (uintptr_t)p, n, "scrambled");
	for (i = 0; i < n; i += 3)
		madvise(p + i * PAGE, PAGE, MADV_DONTNEED);
	check2(fd, 0, (uintptr_t)p, n, "holes");
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		if (seed >> 28 == 0)
			p[i * PAGE] = 2;
	}
	check2(fd, 0, (uintptr_t)p, n, "refilled");
}

static void scenario_mremap(int fd)
{
	size_t len = 4UL << 20;
	char *area = map(3 * len, 0, NULL);	/* reserve old and new places together */
	char *old = area, *new = area + 2 * len, *q;
	uint64_t n = 3 * len / PAGE;

	munmap(new, len);
	touch(old, len, PAGE);
	must_register(fd, getpid(), (uintptr_t)area, (uintptr_t)area + 3 * len);
	check2(fd, 0, (uintptr_t)area, n, "before");
	q = mremap(old, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, new);
	if (q != new)
		fail("mremap: %s", strerror(errno));
	check2(fd, 0, (uintptr_t)area, n, "moved");
	q = mremap(new, len, 2 * len, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		fail("mremap grow: %s", strerror(errno));
	check2(fd, 0, (uintptr_t)area, n, "grown");
}

static void scenario_munmap(int fd)
{
	size_t len = 8UL << 20, off;
	char *p = map(len, 0, NULL);
	uint64_t n = len / PAGE;

	touch(p, len, PAGE);
	must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
	check2(fd, 0, (uintptr_t)p, n, "full");
	for (off = 0; off < len; off += 256 * 1024)
		munmap(p + off + 64 * 1024, 64 * 1024);
	check2(fd, 0, (uintptr_t)p, n, "holes");
	munmap(p, len / 2);
	check2(fd, 0, (uintptr_t)p, n, "half");
}

static void scenario_reuse(int fd)
{
	size_t len = 4UL << 20;
	char *p = map(len, 0, NULL), *q;
	uint64_t n = len / PAGE;
	int round;

	must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
	for (round = 0; round < 3; round++) {
		char name[32];

		touch(p, len, PAGE);
		snprintf(name, sizeof(name), "round%d", round);
		check2(fd, 0, (uintptr_t)p, n, name);
		/* Free it all and map fresh memory in the same place. */
		munmap(p, len);
		q = map(len, MAP_FIXED, p);
		if (q != p)
			fail("remap at %p: got %p", p, q);
		snprintf(name, sizeof(name), "round%d/remapped", round);
		check2(fd, 0, (uintptr_t)p, n, name);
	}
}

/*
 * A child that faults @len bytes in, acks on @ack, then writes them again (and acks) on each
 * byte read from @cmd, until @cmd's write end is closed.
 */
static pid_t child(char *p, size_t len, const int cmd_pipe[2], const int ack_pipe[2])
{
	int cmd = cmd_pipe[0], ack = ack_pipe[1];
	pid_t pid = fork();
	char c;

	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid)
		return pid;
	/* Only the parent writes commands: EOF once it closes its end. */
	close(cmd_pipe[1]);
	close(ack_pipe[0]);
	touch(p, len, PAGE);
	if (write(ack, "r", 1) != 1)
		_exit(1);
	while (read(cmd, &c, 1) == 1) {
		touch(p, len, PAGE);
		if (write(ack, "w", 1) != 1)
			_exit(1);
	}
	_exit(0);
}

static void scenario_fork(int fd)
{
	size_t len = 4UL << 20;
	char *p = map(len, 0, NULL), c;
	uint64_t n = len / PAGE;
	int cmd[2], ack[2], cfd = dev_open(), status;
	pid_t pid;

	madvise(p, len, MADV_NOHUGEPAGE);
	touch(p, len, PAGE);
	if (pipe(cmd) || pipe(ack))
		fail("pipe: %s", strerror(errno));
	pid = child(p, len, cmd, ack);
	if (read(ack[0], &c, 1) != 1)
		fail("child did not start");
	/* The parent indexes itself, and the child through a second file. */
	must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
	must_register(cfd, pid, (uintptr_t)p, (uintptr_t)p + len);
	check2(fd, 0, (uintptr_t)p, n, "parent");
	check2(cfd, pid, (uintptr_t)p, n, "child");
	/* The parent writes: COW breaks on its side (new frames for the parent). */
	touch(p, len, PAGE);
	check2(fd, 0, (uintptr_t)p, n, "parent-cow");
	check2(cfd, pid, (uintptr_t)p, n, "child-after-parent-cow");
	/* The child writes: its pages are its own now (reused, or copied if still shared). */
	if (write(cmd[1], "w", 1) != 1 || read(ack[0], &c, 1) != 1)
		fail("child did not write");
	check2(cfd, pid, (uintptr_t)p, n, "child-rewrite");
	check2(fd, 0, (uintptr_t)p, n, "parent-after-child");
	close(cmd[1]);
	waitpid(pid, &status, 0);
	close(cfd);
}

static void scenario_exit(int fd)
{
	size_t len = 2UL << 20;
	char *p = map(len, 0, NULL), c;
	int cmd[2], ack[2], err, status;
	struct lo_vindex_stats st;
	uint64_t va = (uintptr_t)p, pfn;
	pid_t pid;

	if (pipe(cmd) || pipe(ack))
		fail("pipe: %s", strerror(errno));
	pid = child(p, len, cmd, ack);
	if (read(ack[0], &c, 1) != 1)
		fail("child did not start");
	must_register(fd, pid, (uintptr_t)p, (uintptr_t)p + len);
	check2(fd, pid, (uintptr_t)p, len / PAGE, "alive");
	close(cmd[1]);
	waitpid(pid, &status, 0);
	err = translate(fd, &va, &pfn, NULL, 1, NULL);
	if (err != -ESRCH)
		fail("translate after exit: %s, expected ESRCH", strerror(-err));
	stats(fd, &st);
	if (!st.released || st.built)
		fail("after exit: released %llu built %llu", (unsigned long long)st.released,
		     (unsigned long long)st.built);
	printf("step exited released=1 built=0\n");
	if (ioctl(fd, LO_VINDEX_UNREGISTER))
		fail("unregister after exit: %s", strerror(errno));
}

static void expect_err(int got, int want, const char *what)
{
	if (got != -want)
		fail("%s: got %s, expected %s", what, got ? strerror(-got) : "success",
		     strerror(want));
	printf("step refused %s: %s\n", what, strerror(want));
}

/*
 * TRANSLATE with a bad @paths (or @pfns) pointer: EFAULT, no oops, and the registration's
 * counts unchanged (a failed translation counts nothing).
 */
static void bad_paths(int fd, uint64_t *va, uint64_t *pfn)
{
	static const struct {
		uintptr_t ptr;
		const char *what;
	} bad[] = {
		{ 8, "translate bad paths pointer (8)" },
		{ 0xffffffff81000000UL, "translate kernel paths pointer" },
		{ 0x00007ffffffff000UL, "translate paths pointer at the top of user space" },
	};
	struct lo_vindex_stats st0, st1;
	uint8_t *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (ro == MAP_FAILED)
		fail("mmap: %s", strerror(errno));
	stats(fd, &st0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_err(translate(fd, va, pfn, (uint8_t *)bad[i].ptr, 2, NULL), EFAULT,
			   bad[i].what);
	expect_err(translate(fd, va, pfn, ro, 2, NULL), EFAULT,
		   "translate read-only paths buffer");
	expect_err(translate(fd, va, (uint64_t *)0xffffffff81000000UL, NULL, 2, NULL), EFAULT,
		   "translate kernel output pointer");
	stats(fd, &st1);
	if (st0.learned != st1.learned || st0.walked != st1.walked ||
	    st0.not_present != st1.not_present)
		fail("failed translations counted: learned %llu->%llu walked %llu->%llu not_present %llu->%llu",
		     (unsigned long long)st0.learned, (unsigned long long)st1.learned,
		     (unsigned long long)st0.walked, (unsigned long long)st1.walked,
		     (unsigned long long)st0.not_present, (unsigned long long)st1.not_present);
	printf("step bad-pointers counted-nothing\n");
	munmap(ro, PAGE);
}

static void scenario_bad(int fd)
{
	char *p = map(PAGE * 4, 0, NULL);
	uint64_t a = (uintptr_t)p, va[2] = { a, a }, pfn[2];
	struct lo_vindex_register r = { .pid = getpid(), .start = a, .end = a + PAGE, .flags = 1 };
	struct lo_vindex_translate t = { 0 };

	expect_err(translate(fd, va, pfn, NULL, 1, NULL), EINVAL, "translate unregistered");
	expect_err(ioctl(fd, LO_VINDEX_UNREGISTER) ? -errno : 0, EINVAL,
		   "unregister unregistered");
	expect_err(ioctl(fd, LO_VINDEX_STATS, &(struct lo_vindex_stats){ 0 }) ? -errno : 0,
		   EINVAL, "stats unregistered");
	expect_err(do_register(fd, getpid(), a + PAGE, a), EINVAL, "register end < start");
	expect_err(do_register(fd, getpid(), a, a), EINVAL, "register empty range");
	expect_err(do_register(fd, getpid(), a + 1, a + PAGE), EINVAL, "register unaligned");
	expect_err(do_register(fd, 0, a, a + PAGE), EINVAL, "register pid 0");
	expect_err(do_register(fd, -5, a, a + PAGE), EINVAL, "register negative pid");
	expect_err(do_register(fd, 0x3ffffff0, a, a + PAGE), ESRCH, "register no such pid");
	expect_err(do_register(fd, getpid(), a, ~0ULL & ~(PAGE - 1)), EINVAL,
		   "register range past the address space");
	expect_err(ioctl(fd, LO_VINDEX_REGISTER, &r) ? -errno : 0, EINVAL,
		   "register with flags");
	expect_err(ioctl(fd, LO_VINDEX_REGISTER, (void *)8) ? -errno : 0, EFAULT,
		   "register bad pointer");
	expect_err(ioctl(fd, _IO(LO_VINDEX_IOC, 99)) ? -errno : 0, ENOTTY, "unknown ioctl");
	must_register(fd, getpid(), a, a + 4 * PAGE);
	expect_err(do_register(fd, getpid(), a, a + PAGE), EBUSY, "register twice");
	expect_err(translate(fd, va, pfn, NULL, (uint64_t)LO_VINDEX_MAX_BATCH + 1, NULL), EINVAL,
		   "translate too many");
	expect_err(translate(fd, (uint64_t *)8, pfn, NULL, 2, NULL), EFAULT,
		   "translate bad input pointer");
	expect_err(translate(fd, va, (uint64_t *)8, NULL, 2, NULL), EFAULT,
		   "translate bad output pointer");
	bad_paths(fd, va, pfn);
	t.count = 1;
	t.vaddrs = (uintptr_t)va;
	t.pfns = (uintptr_t)pfn;
	t.flags = LO_VINDEX_VIA_SEARCH | LO_VINDEX_VIA_RBTREE;
	expect_err(ioctl(fd, LO_VINDEX_TRANSLATE, &t) ? -errno : 0, EINVAL,
		   "translate via two structures");
	t.flags = 8;
	expect_err(ioctl(fd, LO_VINDEX_TRANSLATE, &t) ? -errno : 0, EINVAL,
		   "translate with unknown flags");
	t.flags = 0;
	t.pad = 1;
	expect_err(ioctl(fd, LO_VINDEX_TRANSLATE, &t) ? -errno : 0, EINVAL,
		   "translate with pad");
	if (translate(fd, va, pfn, NULL, 0, NULL))
		fail("translate of 0 addresses: %s", strerror(errno));
	/* Kernel addresses and addresses outside the range are answered, not present. */
	va[0] = 0xffffffff81000000ULL;
	va[1] = 0;
	if (translate(fd, va, pfn, NULL, 2, NULL) || pfn[0] != LO_VINDEX_NOT_PRESENT ||
	    pfn[1] != LO_VINDEX_NOT_PRESENT)
		fail("kernel or null address translated");
	printf("step kernel-address not_present\n");
	if (ioctl(fd, LO_VINDEX_UNREGISTER))
		fail("unregister: %s", strerror(errno));
	expect_err(ioctl(fd, LO_VINDEX_UNREGISTER) ? -errno : 0, EINVAL, "unregister twice");
	must_register(fd, getpid(), a, a + 4 * PAGE);
	check(fd, 0, a, 4, "re-registered", 0);
}

static int write_enabled(int on)
{
	int fd = open("/sys/kernel/learned_os/vindex/enabled", O_WRONLY);
	int ok = fd >= 0 && write(fd, on ? "1\n" : "0\n", 2) == 2;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * A "typical" process's memory in one region of @len bytes: half a big THP-backed anonymous
 * region, a quarter a malloc-like heap (chunks of 1-64 pages touched in random order, one in
 * eight freed again), an eighth a file mapping (a file of this size on the guest's rootfs,
 * read through a private mapping), a sixteenth thread stacks (8-32 pages at the top of each
 * 64-page slot) and a sixteenth never touched (guards, reservations).
 */
/*
 * Prints the present pages of [@p, @p + @len) and the runs of consecutive frames, ascending
 * or descending, they form (as the index's run builder counts them).
 */
static void print_part(const char *part, char *p, size_t len)
{
	uint64_t n = len / PAGE, *pm = calloc(n ? n : 1, 8), i, present = 0, runs = 0, prev = 0,
		 pfn;
	int dir = 2;	/* of the current run: 1 up, -1 down, 0 one page so far, 2 none */

	if (!pm)
		fail("out of memory");
	if (n)
		read_pagemap(0, (uintptr_t)p, n, pm);
	for (i = 0; i < n; i++) {
		if (!(pm[i] & PM_PRESENT)) {
			dir = 2;
			continue;
		}
		present++;
		pfn = pm[i] & PM_PFN_MASK;
		if (dir != 2 && dir != -1 && pfn == prev + 1)
			dir = 1;
		else if (dir != 2 && dir != 1 && pfn + 1 == prev)
			dir = -1;
		else
			runs++, dir = 0;
		prev = pfn;
	}
	printf("part typical %s pages=%llu present=%llu runs=%llu\n", part, (unsigned long long)n,
	       (unsigned long long)present, (unsigned long long)runs);
	free(pm);
}

static void layout_typical(char *p, size_t len, uint64_t *seed)
{
	size_t thp = len / 2, heap = len / 4, file = len / 8, stacks = len / 16;
	size_t n = heap / PAGE, at, i, c, chunks = 0, *order = calloc(n, sizeof(size_t)),
	       *size = calloc(n, sizeof(size_t));
	char *h = p + thp, *f = h + heap, *st = f + file, *buf = calloc(1, PAGE);
	const char *name = "/tmp/lo-vindex-typical";
	int fd;

	if (!order || !size || !buf)
		fail("out of memory");
	madvise(p, thp, MADV_HUGEPAGE);
	touch(p, thp, PAGE);
	madvise(h, len - thp, MADV_NOHUGEPAGE);
	for (at = 0; at < n; at += size[chunks++]) {
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		size[chunks] = 1 + (*seed >> 33) % 64;
		if (size[chunks] > n - at)
			size[chunks] = n - at;
		order[chunks] = at;
	}
	for (i = chunks; i > 1; i--) {	/* shuffle the chunks' order */
		size_t j, t;

		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		j = (*seed >> 33) % i;
		t = order[i - 1], order[i - 1] = order[j], order[j] = t;
		t = size[i - 1], size[i - 1] = size[j], size[j] = t;
	}
	for (c = 0; c < chunks; c++)
		touch(h + order[c] * PAGE, size[c] * PAGE, PAGE);
	for (c = 0; c < chunks; c += 8)
		madvise(h + order[c] * PAGE, size[c] * PAGE, MADV_DONTNEED);
	fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		fail("open %s: %s", name, strerror(errno));
	for (at = 0; at < file; at += PAGE) {
		memset(buf, (int)(at >> 12) | 1, PAGE);
		if (write(fd, buf, PAGE) != (ssize_t)PAGE)
			fail("write %s: %s", name, strerror(errno));
	}
	if (mmap(f, file, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED)
		fail("mmap %s: %s", name, strerror(errno));
	close(fd);
	unlink(name);
	for (at = 0; at < file; at += PAGE)	/* fault the file's pages in */
		(void)*(volatile char *)(f + at);
	for (at = 0; at + 64 * PAGE <= stacks; at += 64 * PAGE) {
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		c = 8 + (*seed >> 33) % 25;
		touch(st + at + (64 - c) * PAGE, c * PAGE, PAGE);
	}
	print_part("thp", p, thp);
	print_part("heap", h, heap);
	print_part("file", f, file);
	print_part("stacks", st, len - thp - heap - file);
	free(order);
	free(size);
	free(buf);
}

/*
 * Random batches of BATCH addresses over the present pages of a region of @mib MiB laid out
 * as @layout, translated by each structure in turn: the learned index, binary search over
 * the same runs, an rbtree of them, and the exact walk alone (vindex/enabled 0).
 */
static void bench(const char *layout, size_t mib)
{
	enum { BATCH = 4096, ROUNDS = 64 };
	static const struct {
		const char *name;
		uint32_t via;
		int enabled;
	} modes[] = {
		{ "learned", 0, 1 },
		{ "search", LO_VINDEX_VIA_SEARCH, 1 },
		{ "rbtree", LO_VINDEX_VIA_RBTREE, 1 },
		{ "walk", 0, 0 },
	};
	size_t len = mib << 20, n = len / PAGE, i, m, present = 0;
	uint64_t *va = calloc((size_t)BATCH * (ROUNDS + 1), 8), *pfn = calloc(BATCH, 8),
		 *pm = calloc(n, 8), *pages = calloc(n, 8), seed = 88172645463325252ULL;
	struct lo_vindex_translate t;
	struct lo_vindex_stats st;
	char *p = map_aligned(len);
	int fd = dev_open(), r;

	scenario = "bench";
	if (!va || !pfn || !pm || !pages)
		fail("out of memory");
	if (!strcmp(layout, "thp")) {
		madvise(p, len, MADV_HUGEPAGE);
		touch(p, len, PAGE);
	} else if (!strcmp(layout, "frag")) {
		madvise(p, len, MADV_NOHUGEPAGE);
		for (i = 0; i < n; i++)
			p[((i * 7919) % n) * PAGE] = 1;
		for (i = 0; i < n; i += 5)
			madvise(p + i * PAGE, PAGE, MADV_DONTNEED);
	} else if (!strcmp(layout, "typical")) {
		layout_typical(p, len, &seed);
	} else if (!strcmp(layout, "contiguous")) {
		madvise(p, len, MADV_NOHUGEPAGE);
		touch(p, len, PAGE);
	} else {
		fail("unknown layout %s", layout);
	}
	/* Lookups go to present pages (what the index is for), as pagemap lists them. */
	read_pagemap(0, (uintptr_t)p, n, pm);
	for (i = 0; i < n; i++)
		if (pm[i] & PM_PRESENT)
			pages[present++] = (uintptr_t)p + i * PAGE;
	if (!present)
		fail("no page present");
	/* The same addresses for every structure, drawn before any timing. */
	for (i = 0; i < (size_t)BATCH * (ROUNDS + 1); i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		va[i] = pages[seed % present];
	}
	must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		double t0 = 0, ns;
		uint64_t learned = 0, walked = 0;

		if (write_enabled(modes[m].enabled))
			fail("cannot write vindex/enabled");
		via = modes[m].via;
		for (r = -1; r < ROUNDS; r++) {
			if (r == 0)
				t0 = now_ns();
			if (translate(fd, va + (size_t)BATCH * (r + 1), pfn, NULL, BATCH, &t))
				fail("translate: %s", strerror(errno));
			if (r >= 0) {
				learned += t.learned;
				walked += t.walked + t.not_present;
			}
		}
		ns = now_ns() - t0;
		printf("bench %s mib=%zu mode=%s lookups=%d ns_per_lookup=%.1f mlookups_per_s=%.2f learned=%llu walked=%llu\n",
		       layout, mib, modes[m].name, BATCH * ROUNDS, ns / (BATCH * ROUNDS),
		       BATCH * ROUNDS * 1e3 / ns, (unsigned long long)learned,
		       (unsigned long long)walked);
		if (modes[m].via == LO_VINDEX_VIA_RBTREE) {
			stats(fd, &st);
			printf("index %s runs=%llu segments=%llu bytes=%llu pages=%llu bytes_per_page=%.4f tree_nodes=%llu tree_bytes=%llu tree_bytes_per_page=%.4f\n",
			       layout, (unsigned long long)st.runs,
			       (unsigned long long)st.segments, (unsigned long long)st.bytes,
			       (unsigned long long)st.pages,
			       st.pages ? (double)st.bytes / st.pages : 0.0,
			       (unsigned long long)st.tree_nodes,
			       (unsigned long long)st.tree_bytes,
			       st.pages ? (double)st.tree_bytes / st.pages : 0.0);
		}
	}
	via = 0;
	close(fd);
	munmap(p, len);
	free(va);
	free(pfn);
	free(pm);
	free(pages);
}

static int read_enabled(void)
{
	char c = '0';
	int fd = open("/sys/kernel/learned_os/vindex/enabled", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = '0';
		close(fd);
	}
	return c == '1';
}

/* ---- Hardening: who may register what, the run limit, races. ---- */

/* The value of @key in vindex/stats, or -1 if there is no such key. */
static long long vindex_stat(const char *key)
{
	FILE *f = fopen("/sys/kernel/learned_os/vindex/stats", "r");
	char k[64];
	long long v, found = -1;

	if (!f)
		fail("open vindex/stats: %s", strerror(errno));
	while (fscanf(f, "%63s %lld", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

static long long must_stat(const char *key)
{
	long long v = vindex_stat(key);

	if (v < 0)
		fail("vindex/stats has no key %s", key);
	return v;
}

/* Drops to uid/gid 65534 (nobody) for good, no supplementary groups, no capabilities. */
static void become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		fail("dropping to uid 65534: %s", strerror(errno));
}

/*
 * A file opened by root and kept by a process that dropped to uid 65534 (as if the fd had
 * been passed to it): registering root's processes is refused (EACCES, the ptrace check
 * against the caller), registering itself still works, and opening the device as uid 65534
 * fails.
 */
static void scenario_perm_user(int fd)
{
	size_t len = 16 * PAGE;
	char *p = map(len, 0, NULL), c;
	uint64_t a = (uintptr_t)p;
	int cmd[2], ack[2], status, nfd;
	pid_t pid;

	if (geteuid() != 0)
		fail("needs root");
	touch(p, len, PAGE);
	if (pipe(cmd) || pipe(ack))
		fail("pipe: %s", strerror(errno));
	pid = child(p, len, cmd, ack);	/* root's, like pid 1 */
	if (read(ack[0], &c, 1) != 1)
		fail("child did not start");
	self_pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (self_pagemap < 0)
		fail("open /proc/self/pagemap: %s", strerror(errno));
	become_nobody();
	printf("step dropped uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
	nfd = open(LO_VINDEX_DEVICE, O_RDWR | O_CLOEXEC);
	if (nfd >= 0 || (errno != EACCES && errno != EPERM))
		fail("open as uid 65534: %s, expected EACCES or EPERM",
		     nfd >= 0 ? "success" : strerror(errno));
	printf("step refused open as uid 65534: %s\n", strerror(errno));
	expect_err(do_register(fd, 1, a, a + len), EACCES, "register pid 1 (root's) as uid 65534");
	expect_err(do_register(fd, pid, a, a + len), EACCES,
		   "register a root-owned child as uid 65534");
	/* Nothing was left registered by the refusals: the file registers its holder. */
	must_register(fd, getpid(), a, a + len);
	check(fd, 0, a, len / PAGE, "self-as-uid-65534", 1);
	if (ioctl(fd, LO_VINDEX_UNREGISTER))
		fail("unregister: %s", strerror(errno));
	close(cmd[1]);	/* the child exits on EOF (uid 65534 may not signal it) */
	waitpid(pid, &status, 0);
}

static void caps(struct __user_cap_data_struct d[2], int set)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	if (syscall(set ? SYS_capset : SYS_capget, &h, d))
		fail("%s: %s", set ? "capset" : "capget", strerror(errno));
}

/* Sets or clears @cap in this process's effective set (the permitted set keeps it). */
static void effective_cap(int cap, int on)
{
	struct __user_cap_data_struct d[2];

	caps(d, 0);
	if (on)
		d[cap / 32].effective |= 1u << (cap % 32);
	else
		d[cap / 32].effective &= ~(1u << (cap % 32));
	caps(d, 1);
}

/*
 * A child that drops CAP_SYS_PTRACE for good (so that its permitted set is within the
 * parent's effective one once that lacks it, as commoncap's ptrace check wants), faults @len
 * bytes in, makes itself non-dumpable and acks; then, for each byte read from @cmd, sets
 * dumpable to that byte ('0' or '1') and acks, until EOF.
 */
static pid_t dumpable_child(char *p, size_t len, const int cmd_pipe[2], const int ack_pipe[2])
{
	pid_t pid = fork();
	char c;

	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid)
		return pid;
	close(cmd_pipe[1]);
	close(ack_pipe[0]);
	{
		struct __user_cap_data_struct d[2];

		caps(d, 0);
		d[CAP_SYS_PTRACE / 32].effective &= ~(1u << (CAP_SYS_PTRACE % 32));
		d[CAP_SYS_PTRACE / 32].permitted &= ~(1u << (CAP_SYS_PTRACE % 32));
		d[CAP_SYS_PTRACE / 32].inheritable &= ~(1u << (CAP_SYS_PTRACE % 32));
		caps(d, 1);
	}
	touch(p, len, PAGE);
	if (prctl(PR_SET_DUMPABLE, 0) || write(ack_pipe[1], "n", 1) != 1)
		_exit(1);
	while (read(cmd_pipe[0], &c, 1) == 1)
		if (prctl(PR_SET_DUMPABLE, c == '1') || write(ack_pipe[1], "d", 1) != 1)
			_exit(1);
	_exit(0);
}

/*
 * Root without CAP_SYS_PTRACE in its effective set may not register a non-dumpable child
 * (EACCES), may with CAP_SYS_PTRACE, and may once the child is dumpable again: the check is
 * ptrace's, not a blanket refusal.
 */
static void scenario_perm_dumpable(int fd)
{
	size_t len = 64 * PAGE;
	char *p = map(len, 0, NULL), c;
	uint64_t a = (uintptr_t)p, n = len / PAGE;
	int cmd[2], ack[2], status;
	pid_t pid;

	if (geteuid() != 0)
		fail("needs root");
	madvise(p, len, MADV_NOHUGEPAGE);
	if (pipe(cmd) || pipe(ack))
		fail("pipe: %s", strerror(errno));
	pid = dumpable_child(p, len, cmd, ack);
	if (read(ack[0], &c, 1) != 1)
		fail("child did not start");
	effective_cap(CAP_SYS_PTRACE, 0);
	expect_err(do_register(fd, pid, a, a + len), EACCES,
		   "register a non-dumpable process without CAP_SYS_PTRACE");
	effective_cap(CAP_SYS_PTRACE, 1);
	must_register(fd, pid, a, a + len);
	printf("step registered non-dumpable with CAP_SYS_PTRACE\n");
	if (ioctl(fd, LO_VINDEX_UNREGISTER))
		fail("unregister: %s", strerror(errno));
	effective_cap(CAP_SYS_PTRACE, 0);
	if (write(cmd[1], "1", 1) != 1 || read(ack[0], &c, 1) != 1)
		fail("child did not become dumpable");
	must_register(fd, pid, a, a + len);
	printf("step registered dumpable without CAP_SYS_PTRACE\n");
	check2(fd, pid, a, n, "dumpable-child");
	effective_cap(CAP_SYS_PTRACE, 1);
	if (ioctl(fd, LO_VINDEX_UNREGISTER))
		fail("unregister: %s", strerror(errno));
	close(cmd[1]);
	waitpid(pid, &status, 0);
}

/* A kernel thread (kthreadd, pid 2) has no mm: ESRCH, and the file stays usable. */
static void scenario_kthread(int fd)
{
	char comm[32] = "", *p = map(4 * PAGE, 0, NULL);
	uint64_t a = (uintptr_t)p;
	FILE *f = fopen("/proc/2/comm", "r");

	if (!f || !fgets(comm, sizeof(comm), f) || strcmp(comm, "kthreadd\n"))
		fail("pid 2 is not kthreadd (%s)", comm);
	fclose(f);
	expect_err(do_register(fd, 2, a, a + PAGE), ESRCH, "register kthreadd (pid 2, no mm)");
	touch(p, 4 * PAGE, PAGE);
	must_register(fd, getpid(), a, a + 4 * PAGE);
	check(fd, 0, a, 4, "after-kthread", 1);
	if (ioctl(fd, LO_VINDEX_UNREGISTER))
		fail("unregister: %s", strerror(errno));
}

/* Translates @n pages from @p once (no check), for the counts it leaves. */
static void translate_once(int fd, char *p, uint64_t n)
{
	uint64_t *va = calloc(n, 8), *pfn = calloc(n, 8), i;
	int err;

	if (!va || !pfn)
		fail("out of memory");
	for (i = 0; i < n; i++)
		va[i] = (uintptr_t)p + i * PAGE;
	err = translate(fd, va, pfn, NULL, n, NULL);
	if (err)
		fail("translate: %s", strerror(-err));
	free(va);
	free(pfn);
}

/*
 * A range over the run limit, made the cheapest way the ABI allows: MAX_RUNS + 4096 pages
 * read-faulted to the shared zero page (one frame, so every page is a run of its own; only
 * page tables are allocated), after 64 written pages. The first translation's build counts
 * the runs once and gives up (rebuild_failures + 1, over_limit 1); later ones try no build
 * (builds_skipped), all answers from the exact walk, equal to pagemap. Zapping a few pages
 * does not clear it; unmapping half the range does, and the next translation builds an
 * index that answers.
 */
static void scenario_overlimit(int fd)
{
	enum { ROUNDS = 4, HEAD = 64, WIN = 2048 };
	size_t zero = MAX_RUNS + 4096, n = HEAD + zero, len = n * PAGE, half;
	char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *z = p + HEAD * PAGE;
	long long rf0, rf1, bs0, bs1, ol0, ol;
	struct lo_vindex_stats st;
	double t0, ns;
	int r;

	if (p == MAP_FAILED)
		fail("mmap %zu: %s", len, strerror(errno));
	if (vindex_stat("over_limit") < 0)
		printf("# vindex/stats has no over_limit key\n");
	madvise(p, len, MADV_NOHUGEPAGE);
	if (mprotect(p, HEAD * PAGE, PROT_READ | PROT_WRITE))
		fail("mprotect: %s", strerror(errno));
	touch(p, HEAD * PAGE, PAGE);
	t0 = now_ns();
	if (madvise(z, zero * PAGE, MADV_POPULATE_READ)) {
		size_t i;

		for (i = 0; i < zero; i++)
			(void)*(volatile char *)(z + i * PAGE);
	}
	printf("step populated %zu zero pages in %.1f s\n", zero, (now_ns() - t0) / 1e9);
	must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
	rf0 = must_stat("rebuild_failures");
	/* The first translation: one counting walk, found over the limit. */
	expect_learned = 0;
	t0 = now_ns();
	check(fd, 0, (uintptr_t)p, WIN, "over-limit/head", 1);
	ns = now_ns() - t0;
	check(fd, 0, (uintptr_t)p + len - WIN * PAGE, WIN, "over-limit/tail", 1);
	stats(fd, &st);
	if (st.built)
		fail("an index of more than %lu runs was built", MAX_RUNS);
	rf1 = must_stat("rebuild_failures");
	printf("step first translation %.1f ms, rebuild_failures +%lld\n", ns / 1e6, rf1 - rf0);
	if (rf1 - rf0 != 1)
		fail("rebuild_failures +%lld after the first translations, expected +1", rf1 - rf0);
	/* Nothing changed: no translation walks the range again. */
	bs0 = vindex_stat("builds_skipped");
	t0 = now_ns();
	for (r = 0; r < ROUNDS; r++)
		translate_once(fd, p, WIN);
	ns = now_ns() - t0;
	rf1 = must_stat("rebuild_failures");
	printf("step %d more translations: %.1f ms each, rebuild_failures +%lld\n", ROUNDS,
	       ns / 1e6 / ROUNDS, rf1 - rf0);
	if (rf1 - rf0 != 1)
		fail("rebuild_failures +%lld after %d more translations of an unchanged range: a build each time",
		     rf1 - rf0, ROUNDS);
	bs1 = must_stat("builds_skipped");
	ol0 = must_stat("over_limit");
	if (bs1 - bs0 < ROUNDS || ol0 != 1)
		fail("builds_skipped +%lld (expected >= %d), over_limit %lld (expected 1)",
		     bs1 - bs0, ROUNDS, ol0);
	/* A small change cannot bring it under the limit: still no build. */
	madvise(z + 1000 * PAGE, 16 * PAGE, MADV_DONTNEED);
	check(fd, 0, (uintptr_t)z + 992 * PAGE, 32, "over-limit/zapped", 1);
	if (must_stat("rebuild_failures") != rf1 || must_stat("over_limit") != 1)
		fail("a 16-page zap retried the build (rebuild_failures %lld, over_limit %lld)",
		     must_stat("rebuild_failures"), must_stat("over_limit"));
	/* Unmapping half the zero pages brings it under: the next translation builds. */
	half = zero / 2;
	if (munmap(z + (zero - half) * PAGE, half * PAGE))
		fail("munmap: %s", strerror(errno));
	ol = must_stat("over_limit");
	if (ol != 0)
		fail("over_limit %lld after unmapping %zu pages, expected 0", ol, half);
	expect_learned = read_enabled();
	check(fd, 0, (uintptr_t)p, WIN, "under-limit/head", 1);
	check(fd, 0, (uintptr_t)z + (zero - half - WIN) * PAGE, WIN, "under-limit/tail", 1);
	stats(fd, &st);
	printf("index runs=%llu segments=%llu pages=%llu built=%llu\n",
	       (unsigned long long)st.runs, (unsigned long long)st.segments,
	       (unsigned long long)st.pages, (unsigned long long)st.built);
	if (expect_learned && !st.built)
		fail("no index built once under the limit");
	if (ioctl(fd, LO_VINDEX_UNREGISTER))
		fail("unregister: %s", strerror(errno));
	munmap(p, (HEAD + zero - half) * PAGE);
}

struct racer {
	int fd;
	char *p;
	uint64_t n;
	const uint64_t *pm;	/* pagemap of the region, read before the race */
	volatile int stop;
	uint64_t ok, einval;
	int bad_errno;
	const char *bad;
};

/* Translates the region in a loop: 0 (with exact answers) or EINVAL (not registered). */
static void *race_translate(void *arg)
{
	struct racer *r = arg;
	uint64_t *va = calloc(r->n, 8), *pfn = calloc(r->n, 8), i;
	uint8_t *path = calloc(r->n, 1);

	if (!va || !pfn || !path) {
		r->bad = "out of memory";
		return NULL;
	}
	for (i = 0; i < r->n; i++)
		va[i] = (uintptr_t)r->p + i * PAGE;
	while (!r->stop && !r->bad) {
		int err = translate(r->fd, va, pfn, path, r->n, NULL);

		if (err == -EINVAL) {
			r->einval++;
			continue;
		}
		if (err) {
			r->bad_errno = -err;
			r->bad = "translate";
			break;
		}
		for (i = 0; i < r->n; i++)
			if (pfn[i] != expected(r->pm[i]))
				r->bad = "translate answered a frame pagemap did not have";
		r->ok++;
	}
	free(va);
	free(pfn);
	free(path);
	return NULL;
}

/*
 * TRANSLATE from one thread and UNREGISTER/REGISTER from another on one file, for about
 * three seconds: every call returns 0 or a documented errno (TRANSLATE: EINVAL while not
 * registered; UNREGISTER: EINVAL; REGISTER: EBUSY), every answer equals pagemap.
 */
static void scenario_race(int fd)
{
	size_t len = 64 * PAGE;
	char *p = map(len, 0, NULL);
	uint64_t *pm = calloc(len / PAGE, 8), *pm1 = calloc(len / PAGE, 8), cycles = 0, unreg_einval = 0,
		 busy = 0;
	struct racer r = { .fd = fd, .p = p, .n = len / PAGE };
	pthread_t t;
	double end;
	int err;

	if (!pm || !pm1)
		fail("out of memory");
	madvise(p, len, MADV_NOHUGEPAGE);
	touch(p, len, PAGE);
	read_pagemap(0, (uintptr_t)p, len / PAGE, pm);
	r.pm = pm;
	must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
	if (pthread_create(&t, NULL, race_translate, &r))
		fail("pthread_create");
	end = now_ns() + 3e9;
	while (now_ns() < end && !r.bad) {
		err = ioctl(fd, LO_VINDEX_UNREGISTER) ? errno : 0;
		if (err == EINVAL)
			unreg_einval++;
		else if (err)
			fail("unregister racing translate: %s", strerror(err));
		err = do_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + len);
		if (err == -EBUSY)
			busy++;
		else if (err)
			fail("register racing translate: %s", strerror(-err));
		cycles++;
	}
	r.stop = 1;
	pthread_join(t, NULL);
	read_pagemap(0, (uintptr_t)p, len / PAGE, pm1);
	if (r.bad && memcmp(pm, pm1, len / PAGE * 8) == 0)
		fail("%s%s%s", r.bad, r.bad_errno ? ": " : "",
		     r.bad_errno ? strerror(r.bad_errno) : "");
	printf("step race cycles=%llu translate_ok=%llu translate_einval=%llu unregister_einval=%llu register_ebusy=%llu\n",
	       (unsigned long long)cycles, (unsigned long long)r.ok,
	       (unsigned long long)r.einval, (unsigned long long)unreg_einval,
	       (unsigned long long)busy);
	if (!cycles || !r.ok)
		fail("no race: %llu cycles, %llu translations", (unsigned long long)cycles,
		     (unsigned long long)r.ok);
	err = ioctl(fd, LO_VINDEX_UNREGISTER) ? errno : 0;
	if (err && err != EINVAL)
		fail("final unregister: %s", strerror(err));
	free(pm);
	free(pm1);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(int fd);
	} all[] = {
		{ "contiguous", scenario_contiguous }, { "thp", scenario_thp },
		{ "frag", scenario_frag },	       { "mremap", scenario_mremap },
		{ "munmap", scenario_munmap },	       { "fork", scenario_fork },
		{ "reuse", scenario_reuse },	       { "exit", scenario_exit },
		{ "bad", scenario_bad },
		{ "perm-user", scenario_perm_user },   { "perm-dumpable", scenario_perm_dumpable },
		{ "kthread", scenario_kthread },       { "overlimit", scenario_overlimit },
		{ "race", scenario_race },
	};
	size_t i;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "hold")) {
		char *p = map(PAGE * 16, 0, NULL);

		scenario = "hold";
		fd = dev_open();
		touch(p, PAGE * 16, PAGE);
		must_register(fd, getpid(), (uintptr_t)p, (uintptr_t)p + 16 * PAGE);
		check(fd, 0, (uintptr_t)p, 16, "held", 0);
		sleep(atoi(argv[2]));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "bench")) {
		bench(argv[2], strtoul(argv[3], NULL, 0));
		return 0;
	}
	if ((argc != 3 && argc != 4) || strcmp(argv[1], "test")) {
		fprintf(stderr,
			"usage: lo-vindex test SCENARIO [learned|search|rbtree] | hold SECONDS | bench LAYOUT MIB\n");
		return 2;
	}
	if (argc == 4 && !strcmp(argv[3], "search")) {
		via = LO_VINDEX_VIA_SEARCH;
	} else if (argc == 4 && !strcmp(argv[3], "rbtree")) {
		via = LO_VINDEX_VIA_RBTREE;
	} else if (argc == 4 && strcmp(argv[3], "learned")) {
		fprintf(stderr, "lo-vindex: unknown structure %s\n", argv[3]);
		return 2;
	}
	scenario = argv[2];
	expect_learned = read_enabled();
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (strcmp(all[i].name, scenario))
			continue;
		fd = dev_open();
		all[i].run(fd);
		close(fd);
		printf("PASS %s\n", scenario);
		return 0;
	}
	fprintf(stderr, "lo-vindex: unknown scenario %s\n", scenario);
	return 2;
}
