// SPDX-License-Identifier: GPL-2.0
/*
 * lo-sched: tasks with known CPU bursts for the scheduler policy's kselftests and benchmark,
 * and a reader of a task's slice. A static binary for the busybox guest.
 *
 * Usage:
 *   lo-sched slice PID                 print PID's slice (sched_getattr's sched_runtime), ns
 *   lo-sched policy PID                print PID's policy (0 normal, 1 FIFO, 3 batch, ...)
 *   lo-sched fifo PID                  make PID SCHED_FIFO, priority 1
 *   lo-sched sleeper PERIOD_US SECONDS [BURST_US]
 *       a request/response task: BURST_US (default 50) of CPU, then sleep PERIOD_US;
 *       prints "sleeper pid=P wakeups=N p50_us=X p99_us=Y max_us=Z", the wakeup latency
 *       (how late it ran after each sleep was due)
 *   lo-sched hog SECONDS               a CPU-bound task; prints "hog pid=P loops=N per_s=X"
 *   lo-sched churn N                   N short-lived children, one after another, each
 *                                      sleeping and running a few short bursts, then exiting
 *   lo-sched random SECONDS SEED BMIN_US BMAX_US SMIN_US SMAX_US
 *       bursts and sleeps drawn anew every iteration from a generator seeded with SEED: a
 *       burst of BMIN_US to BMAX_US of CPU, then a sleep of SMIN_US to SMAX_US (both
 *       log-uniform, roughly); prints "random pid=P bursts=N cpu_ms=X"
 *   lo-sched phases SECONDS SEED       a task whose behaviour changes: phases of 10 to 100
 *       iterations alternate between short bursts (50 to 300 us, sleeps of 1 to 20 ms) and
 *       long ones (2 to 20 ms, sleeps of 0.5 to 5 ms); prints "phases pid=P bursts=N phases=M"
 *   lo-sched renice-race SECONDS [TARGETS]
 *       TARGETS (default 8, at most 64) tasks in a process group of their own on CPU 0,
 *       with bursts of 30 us to 8 ms and sleeps of 100 to 500 us (log-uniform), and a
 *       renicer on the last CPU setting the group's nice value (1, 2, ..., 19, 1, ...) with
 *       setpriority(PRIO_PGRP) in a tight loop for SECONDS, reading it back after each
 *       change; prints "renice-race pid=P targets=N sets=S reverted=M" (M: read-backs that
 *       did not see the value just set: the group's is its lowest, so an older value
 *       written back over any target's shows, but at the wrap from 19 to 1)
 *   lo-sched cgns CMD [ARGS...]        run CMD in a new cgroup namespace (unshare(2)
 *       CLONE_NEWCGROUP), rooted at the caller's cgroup; busybox's unshare has no -C
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
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

static int policy(pid_t pid)
{
	int p = sched_getscheduler(pid);

	if (p < 0) {
		fprintf(stderr, "lo-sched: sched_getscheduler %d: %s\n", pid, strerror(errno));
		return 1;
	}
	printf("%d\n", p);
	return 0;
}

static int fifo(pid_t pid)
{
	struct sched_param sp = { .sched_priority = 1 };

	if (sched_setscheduler(pid, SCHED_FIFO, &sp)) {
		fprintf(stderr, "lo-sched: sched_setscheduler %d: %s\n", pid, strerror(errno));
		return 1;
	}
	return 0;
}

static int sleeper(uint64_t period_us, uint64_t seconds, uint64_t burst_us)
{
	uint64_t cap = seconds * 1000000 / (period_us ? period_us : 1) + 1, n = 0, *lat,
		 end = now_ns() + seconds * 1000000000ULL, t;
	struct timespec req = { (time_t)(period_us / 1000000), (long)(period_us % 1000000) * 1000 };

	lat = calloc(cap, 8);
	if (!lat)
		return 1;
	/*
	 * Each wakeup's latency on its own: how late it ran after its own sleep was due. (An
	 * absolute schedule would carry one late wakeup's delay into all the later ones.)
	 */
	while (n < cap && now_ns() < end) {
		spin_ns(burst_us * 1000);
		t = now_ns();
		while (nanosleep(&req, &req) && errno == EINTR)
			;
		req.tv_sec = (time_t)(period_us / 1000000);
		req.tv_nsec = (long)(period_us % 1000000) * 1000;
		lat[n++] = now_ns() - t - period_us * 1000;
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

/* splitmix64: the seeded generator of random and phases. */
static uint64_t next_u64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Roughly log-uniform in [lo, hi] without libm: a uniform position t over the octaves
 * between lo and hi, then lo * 2^floor(t) * (1 + frac(t)) (2^f approximated by 1 + f).
 */
static uint64_t log_uniform(uint64_t *state, uint64_t lo, uint64_t hi)
{
	uint64_t octaves = 0, t, v;
	double ratio, frac;

	if (!lo)
		lo = 1;
	if (hi <= lo)
		return lo;
	ratio = (double)hi / (double)lo;
	while (ratio >= 2.0) {
		ratio /= 2.0;
		octaves++;
	}
	/* The octaves in 1/1024ths: octaves + (ratio - 1), ratio in [1, 2). */
	t = (octaves * 1024 + (uint64_t)((ratio - 1.0) * 1024.0)) * (next_u64(state) >> 40) >> 24;
	frac = (double)(t % 1024) / 1024.0;
	v = (uint64_t)((double)(lo << (t / 1024)) * (1.0 + frac));
	return v < lo ? lo : v > hi ? hi : v;
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int random_task(uint64_t seconds, uint64_t seed, uint64_t bmin, uint64_t bmax,
		       uint64_t smin, uint64_t smax)
{
	uint64_t end = now_ns() + seconds * 1000000000ULL, state = seed, n = 0, cpu = 0, b;

	while (now_ns() < end) {
		b = log_uniform(&state, bmin, bmax);
		spin_ns(b * 1000);
		cpu += b;
		n++;
		sleep_us(log_uniform(&state, smin, smax));
	}
	printf("random pid=%d bursts=%llu cpu_ms=%llu\n", getpid(), (unsigned long long)n,
	       (unsigned long long)(cpu / 1000));
	return 0;
}

static int phases(uint64_t seconds, uint64_t seed)
{
	uint64_t end = now_ns() + seconds * 1000000000ULL, state = seed, n = 0, phase = 0, left = 0;
	int shortp = next_u64(&state) & 1;

	while (now_ns() < end) {
		if (!left) {
			shortp = !shortp;
			left = 10 + next_u64(&state) % 91;
			phase++;
		}
		left--;
		n++;
		if (shortp) {
			spin_ns(log_uniform(&state, 50, 300) * 1000);
			sleep_us(log_uniform(&state, 1000, 20000));
		} else {
			spin_ns(log_uniform(&state, 2000, 20000) * 1000);
			sleep_us(log_uniform(&state, 500, 5000));
		}
	}
	printf("phases pid=%d bursts=%llu phases=%llu\n", getpid(), (unsigned long long)n,
	       (unsigned long long)phase);
	return 0;
}

/* Pins the caller to CPU (if there is such a CPU). */
static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A renice-race target on CPU 0: bursts of 30 us to 8 ms, each followed by a sleep of 100 to
 * 500 us (both log-uniform), so that its predicted class (and slice) keeps changing.
 */
static void renice_target(uint64_t seed)
{
	uint64_t state = seed;

	pin_cpu(0);
	for (;;) {
		spin_ns(log_uniform(&state, 30, 8000) * 1000);
		sleep_us(log_uniform(&state, 100, 500));
	}
}

/*
 * A renicer on the last CPU: sets the nice value of every task of process group PGRP to 1,
 * 2, ..., 19, 1, ... until END, reading the group's back after each change.
 */
static void renicer(pid_t pgrp, uint64_t end, uint64_t *sets, uint64_t *reverted)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), nice, got;
	uint64_t i;

	pin_cpu(ncpu > 1 ? ncpu - 1 : 0);
	for (i = 0; now_ns() < end; i++) {
		nice = 1 + (int)(i % 19);
		if (setpriority(PRIO_PGRP, pgrp, nice)) {
			perror("setpriority");
			_exit(1);
		}
		__atomic_add_fetch(sets, 1, __ATOMIC_RELAXED);
		errno = 0;
		got = getpriority(PRIO_PGRP, pgrp);
		if (got != nice && !errno)
			__atomic_add_fetch(reverted, 1, __ATOMIC_RELAXED);
	}
	_exit(0);
}

static void kill_all(pid_t *pids, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

static int renice_race(uint64_t seconds, int ntargets)
{
	uint64_t end = now_ns() + seconds * 1000000000ull, *count;
	pid_t targets[64], pid;
	int i, status = 0, rc = 0;

	if (ntargets < 1 || ntargets > 64) {
		fprintf(stderr, "lo-sched: renice-race: 1 to 64 targets\n");
		return 2;
	}
	count = mmap(NULL, 2 * sizeof(*count), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		     -1, 0);
	if (count == MAP_FAILED)
		return 1;
	for (i = 0; i < ntargets; i++) {
		targets[i] = fork();
		if (targets[i] < 0) {
			kill_all(targets, i);
			return 1;
		}
		if (targets[i] == 0) {
			setpgid(0, i ? targets[0] : 0);
			renice_target((uint64_t)i + 1);
		}
		/* Both sides, so that the group exists before the next target or the renicer. */
		setpgid(targets[i], targets[0]);
	}
	pid = fork();
	if (pid == 0)
		renicer(targets[0], end, &count[0], &count[1]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		rc = 1;
	kill_all(targets, ntargets);
	printf("renice-race pid=%d targets=%d sets=%llu reverted=%llu\n", getpid(), ntargets,
	       (unsigned long long)count[0], (unsigned long long)count[1]);
	return rc;
}

static int cgns(char **argv)
{
	if (unshare(CLONE_NEWCGROUP)) {
		perror("unshare(CLONE_NEWCGROUP)");
		return 1;
	}
	execvp(argv[0], argv);
	perror("execvp");
	return 127;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "slice"))
		return slice(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "policy"))
		return policy(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "fifo"))
		return fifo(atoi(argv[2]));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "sleeper"))
		return sleeper(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
			       argc == 5 ? strtoull(argv[4], NULL, 0) : 50);
	if (argc == 3 && !strcmp(argv[1], "hog"))
		return hog(strtoull(argv[2], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "churn"))
		return churn(atoi(argv[2]));
	if (argc == 8 && !strcmp(argv[1], "random"))
		return random_task(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
				   strtoull(argv[4], NULL, 0), strtoull(argv[5], NULL, 0),
				   strtoull(argv[6], NULL, 0), strtoull(argv[7], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "phases"))
		return phases(strtoull(argv[2], NULL, 0), strtoull(argv[3], NULL, 0));
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "renice-race"))
		return renice_race(strtoull(argv[2], NULL, 0), argc == 4 ? atoi(argv[3]) : 8);
	if (argc >= 3 && !strcmp(argv[1], "cgns"))
		return cgns(argv + 2);
	fprintf(stderr,
		"usage: lo-sched slice PID | policy PID | fifo PID | sleeper PERIOD_US SECONDS [BURST_US] | hog SECONDS | churn N\n"
		"       | random SECONDS SEED BMIN_US BMAX_US SMIN_US SMAX_US | phases SECONDS SEED\n"
		"       | renice-race SECONDS [TARGETS] | cgns CMD [ARGS...]\n");
	return 2;
}
