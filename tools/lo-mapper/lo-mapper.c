// SPDX-License-Identifier: GPL-2.0
/*
 * lo-mapper: a process whose working set is a mapped file, for the eviction policy's scope
 * kselftest. A static binary for the busybox guest.
 *
 * Usage:
 *   lo-mapper FILE OFFSET_KIB KIB READY STOP [SECONDS]
 *       reads KIB KiB of FILE (a file or a block device) from OFFSET_KIB with pread(), so
 *       that every page is in the page cache and each was seen accessed by the page cache's
 *       tracepoints; maps the range read-only and shared and touches every page once (the
 *       warm-up); creates the file READY; then touches every page again and again until the
 *       file STOP exists (or SECONDS, default 120, have passed). No madvise(): the kernel
 *       ignores page-table references from MADV_RANDOM and MADV_SEQUENTIAL mappings
 *       (vma_has_recency()). Prints
 *       "mapper pid=P pages=N passes=K warm_majflt=W majflt=M" where W is the major faults of
 *       the warm-up and M those after it: the pages of its working set that were evicted
 *       while it was using them. Before each pass it flushes its TLB (mprotect to PROT_NONE
 *       and back): reclaim clears a page's accessed bit without a TLB flush, and a CPU sets
 *       it again only on a TLB miss; QEMU's TCG keeps translations for long, so without the
 *       flush the pages in use would look unused to the kernel.
 *       With LO_MAPPER_TRACE=FILE set, writes "t MS pass N majflt M" to FILE whenever M
 *       changed and every 100 passes (at most 400 lines).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long majflt(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_majflt;
}

static unsigned long touch(const volatile unsigned char *p, size_t len, size_t page)
{
	unsigned long sum = 0;
	size_t off;

	for (off = 0; off < len; off += page)
		sum += p[off];
	return sum;
}

int main(int argc, char **argv)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned long passes = 0, sink = 0;
	static char buf[65536];
	size_t done;
	ssize_t n;
	long warm, after, last;
	FILE *trace;
	int lines = 0;
	time_t deadline;
	size_t len;
	off_t off;
	struct stat st;
	void *map;
	int fd;

	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: lo-mapper FILE OFFSET_KIB KIB READY STOP [SECONDS]\n");
		return 2;
	}
	off = (off_t)strtoull(argv[2], NULL, 10) * 1024;
	len = (size_t)strtoull(argv[3], NULL, 10) * 1024;
	deadline = time(NULL) + (argc == 7 ? atol(argv[6]) : 120);
	if (!len || off % (off_t)page) {
		fprintf(stderr, "lo-mapper: bad range\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror("lo-mapper: open");
		return 1;
	}
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);
	if (map == MAP_FAILED) {
		perror("lo-mapper: mmap");
		return 1;
	}
	for (done = 0; done < len; done += (size_t)n) {
		n = pread(fd, buf, sizeof(buf) < len - done ? sizeof(buf) : len - done,
			  off + (off_t)done);
		if (n <= 0) {
			perror("lo-mapper: pread");
			return 1;
		}
	}
	sink += touch(map, len, page);
	warm = majflt();
	fd = open(argv[4], O_WRONLY | O_CREAT, 0644);
	if (fd < 0) {
		perror("lo-mapper: ready file");
		return 1;
	}
	close(fd);
	trace = getenv("LO_MAPPER_TRACE") ? fopen(getenv("LO_MAPPER_TRACE"), "w") : NULL;
	last = warm;
	while (stat(argv[5], &st) && time(NULL) < deadline) {
		if (mprotect(map, len, PROT_NONE) || mprotect(map, len, PROT_READ)) {
			perror("lo-mapper: mprotect");
			return 1;
		}
		sink += touch(map, len, page);
		passes++;
		if (trace && (majflt() != last || passes % 100 == 0) && lines < 400) {
			struct timespec ts;

			clock_gettime(CLOCK_BOOTTIME, &ts);
			last = majflt();
			fprintf(trace, "t %lld pass %lu majflt %ld\n",
				(long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, passes, last - warm);
			lines++;
		}
	}
	if (trace)
		fclose(trace);
	after = majflt() - warm;
	printf("mapper pid=%d pages=%zu passes=%lu warm_majflt=%ld majflt=%ld sum=%lu\n", getpid(),
	       len / page, passes, warm, after, sink & 1);
	return 0;
}
