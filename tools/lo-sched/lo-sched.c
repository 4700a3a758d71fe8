// SPDX-License-Identifier: GPL-2.0
/*
 * lo-sched: tasks with known CPU bursts for the scheduler policy's kselftests and benchmark,
 * and a reader of a task's slice. A static binary for the busybox guest.
 *
 * Usage:
 *   lo-sched slice PID                 print PID's slice (sched_getattr's sched_runtime), ns
 *   lo-sched sleeper PERIOD_US SECONDS [BURST_US]
 *       a request/response task: BURST_US (default 50) of CPU, then sleep until the next
 *       period; prints "sleeper pid=P wakeups=N p50_us=X p99_us=Y max_us=Z", the wakeup
 *       latency (how late it ran after its timer was due)
 *   lo-sched hog SECONDS               a CPU-bound task; prints "hog pid=P loops=N per_s=X"
 *   lo-sched churn N                   N short-lived children, one after another, each
 *                                      sleeping and running a few short bursts, then exiting
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct lo_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void spin_ns(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int slice(pid_t pid)
{
	struct lo_sched_attr a = { .size = sizeof(a) };

	if (syscall(SYS_sched_getattr, pid, &a, sizeof(a), 0)) {
		fprintf(stderr, "lo-sched: sched_getattr %d: %s\n", pid, strerror(errno));
		return 1;
	}
	printf("%llu\n", (unsigned long long)a.sched_runtime);
	return 0;
}

static int sleeper(uint64_t period_us, uint64_t seconds, uint64_t burst_us)
{
	uint64_t n = seconds * 1000000 / (period_us ? period_us : 1), i, *lat = calloc(n + 1, 8);
	struct timespec due;
	uint64_t t;

	if (!lat)
		return 1;
	t = now_ns();
	for (i = 0; i < n; i++) {
		spin_ns(burst_us * 1000);
		t += period_us * 1000;
		due.tv_sec = t / 1000000000ULL;
		due.tv_nsec = t % 1000000000ULL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
			;
		lat[i] = now_ns() - t;
	}
	qsort(lat, n, 8, cmp_u64);
	printf("sleeper pid=%d wakeups=%llu p50_us=%.1f p99_us=%.1f max_us=%.1f\n", getpid(),
	       (unsigned long long)n, n ? lat[n / 2] / 1e3 : 0.0,
	       n ? lat[n * 99 / 100] / 1e3 : 0.0, n ? lat[n - 1] / 1e3 : 0.0);
	free(lat);
	return 0;
}

static int hog(uint64_t seconds)
{
	uint64_t end = now_ns() + seconds * 1000000000ULL, loops = 0;
	volatile uint64_t x = 0;
	int k;

	while (now_ns() < end) {
		for (k = 0; k < 1000; k++)
			x += k;
		loops++;
	}
	printf("hog pid=%d loops=%llu per_s=%.0f\n", getpid(), (unsigned long long)loops,
	       (double)loops / (double)seconds);
	return 0;
}

static int churn(int n)
{
	struct timespec ms = { 0, 1000000 };
	int i, k;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0) {
			for (k = 0; k < 4; k++) {
				spin_ns(50000);
				nanosleep(&ms, NULL);
			}
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	printf("churn children=%d\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "slice"))
		return slice(atoi(argv[2]));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "sleeper"))
		return sleeper(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
			       argc == 5 ? strtoull(argv[4], NULL, 0) : 50);
	if (argc == 3 && !strcmp(argv[1], "hog"))
		return hog(strtoull(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "churn"))
		return churn(atoi(argv[2]));
	fprintf(stderr,
		"usage: lo-sched slice PID | sleeper PERIOD_US SECONDS [BURST_US] | hog SECONDS | churn N\n");
	return 2;
}
