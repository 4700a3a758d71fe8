// SPDX-License-Identifier: GPL-2.0
/*
 * lo-race: writers racing on a policy's knobs, faster than shell loops can, for the
 * concurrency kselftest. A static binary for the busybox guest.
 *
 * Usage:
 *   lo-race toggle DIR KEY TRIALS [FILE VALUE]
 *       TRIALS races of two writers of DIR/enabled, each with a file of its own, pinned to
 *       a CPU of its own (if there are two) and released together from a spin barrier: one
 *       writes 0 then 1, the other 1 then 0 (which one is which alternates). Once both
 *       returned, DIR/enabled must equal the value of KEY in DIR/stats and, if FILE is
 *       given, FILE must read VALUE whenever DIR/enabled reads 0. Prints the first
 *       disagreements and how often the writes overlapped on stderr, then
 *       "toggle trials=N disagreed=M"; exits 1 if a write or read failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * What the two writers share: the trial released, the trial the second writer finished,
 * whether a write failed, and each writer's first write's start and last write's end in the
 * latest trial (ns).
 */
struct shared {
	int go;
	int done;
	int failed;
	uint64_t start[2], end[2];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Reads FILE whole (at most LEN - 1 bytes) into BUF; -1 on error. */
static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* The value of KEY in a stats text ("key value" lines); -1 if absent. */
static long long stat_value(const char *stats, const char *key)
{
	size_t k = strlen(key);
	const char *p = stats;

	while (*p) {
		if (!strncmp(p, key, k) && p[k] == ' ')
			return strtoll(p + k + 1, NULL, 10);
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return -1;
}

/*
 * One writer's part of trial T: the barrier, then the value the other writer ends with and
 * its own (the second writer's own is 1 in even trials, the first's in odd ones).
 */
static void write_turn(struct shared *sh, int fd, int t, int second)
{
	char own = '0' + ((t & 1) ^ second);
	int k;

	while (__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE) != t)
		;
	sh->start[second] = now_ns();
	for (k = 0; k < 2; k++)
		if (pwrite(fd, (char[]){ k ? own : own ^ 1, '\n' }, 2, 0) != 2)
			__atomic_store_n(&sh->failed, 1, __ATOMIC_RELEASE);
	sh->end[second] = now_ns();
}

static int toggle(const char *dir, const char *key, int trials, const char *file,
		  const char *value)
{
	char enabled[512], stats[512], buf[8192], got[256];
	struct shared *sh;
	int fd, t, bad = 0, overlapped = 0, status;
	uint64_t skew, skew_sum = 0, dur_sum = 0;
	long long e, s;
	pid_t pid;

	snprintf(enabled, sizeof(enabled), "%s/enabled", dir);
	snprintf(stats, sizeof(stats), "%s/stats", dir);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	sh->go = -1;
	sh->done = -1;
	pid = fork();
	if (pid < 0)
		return 1;
	/*
	 * Each writer opens the file itself: writes through one open file would be serialized
	 * by its kernfs mutex.
	 */
	fd = open(enabled, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "lo-race: %s: %s\n", enabled, strerror(errno));
		if (pid == 0)
			_exit(1);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return 1;
	}
	if (pid == 0) {
		pin(1);
		for (t = 0; t < trials; t++) {
			write_turn(sh, fd, t, 1);
			__atomic_store_n(&sh->done, t, __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	pin(0);
	for (t = 0; t < trials && !sh->failed; t++) {
		__atomic_store_n(&sh->go, t, __ATOMIC_RELEASE);
		write_turn(sh, fd, t, 0);
		while (__atomic_load_n(&sh->done, __ATOMIC_ACQUIRE) != t)
			;
		skew = sh->start[1] > sh->start[0] ? sh->start[1] - sh->start[0] :
						     sh->start[0] - sh->start[1];
		skew_sum += skew;
		dur_sum += sh->end[0] - sh->start[0];
		overlapped += sh->start[1] < sh->end[0] && sh->start[0] < sh->end[1];
		if (read_file(enabled, buf, sizeof(buf)))
			break;
		e = strtoll(buf, NULL, 10);
		if (read_file(stats, buf, sizeof(buf)))
			break;
		s = stat_value(buf, key);
		if (e != s) {
			if (bad < 5)
				fprintf(stderr, "trial %d: enabled %lld, %s %lld\n", t, e, key, s);
			bad++;
			continue;
		}
		if (file && e == 0) {
			if (read_file(file, got, sizeof(got)))
				break;
			got[strcspn(got, "\n")] = 0;
			if (strcmp(got, value)) {
				if (bad < 5)
					fprintf(stderr, "trial %d: enabled 0, %s %s\n", t, file, got);
				bad++;
			}
		}
	}
	if (t < trials) {
		/* The other writer waits at the barrier for a trial that never comes. */
		kill(pid, SIGKILL);
		fprintf(stderr, "lo-race: trial %d: a write or read failed\n", t);
	}
	waitpid(pid, &status, 0);
	fprintf(stderr, "writes overlapped in %d trials; mean skew %.1f us, mean write %.1f us\n",
		overlapped, t ? (double)skew_sum / t / 1000 : 0.0,
		t ? (double)dur_sum / t / 2 / 1000 : 0.0);
	printf("toggle trials=%d disagreed=%d\n", t, bad);
	return t < trials;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc == 5 || argc == 7) && !strcmp(argv[1], "toggle") && atoi(argv[4]) > 0)
		return toggle(argv[2], argv[3], atoi(argv[4]), argc == 7 ? argv[5] : NULL,
			      argc == 7 ? argv[6] : NULL);
	fprintf(stderr, "usage: lo-race toggle DIR KEY TRIALS [FILE VALUE]\n");
	return 2;
}
