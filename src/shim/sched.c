// SPDX-License-Identifier: GPL-2.0
/*
 * The scheduler policy's glue (Rust: src/sched.rs and src/sched/):
 *
 * - probes on sched_switch, sched_waking, sched_wakeup_new and sched_process_exit, which
 *   src/sched/probes.rs registers (kapi/tracepoint.rs) with its context as @data. Each
 *   turns its arguments into events (pid, task start time, a flags word: eligible means a
 *   normal user task in the policy's cgroup, if one is set) and calls into Rust. They run
 *   with the runqueue lock held or from wakeups in any context, interrupts included: the
 *   Rust side takes only a raw spinlock with interrupts off (kapi/sync.rs) and does bounded
 *   work. Not yet where it belongs: the eligibility and scope rules, and the recording flag
 *   and the cgroup they read, which are still this file's two globals (one policy instance
 *   only); they move to Rust with the switch path's per-CPU state (issue 17);
 * - per-task accessors for that work: look a task up by pid and start time, read and set its
 *   EEVDF slice alone (sched_set_slice(), patches/0005), test its cgroup.
 *
 * No policy here: which tasks get which slice is decided in Rust.
 */
#include <linux/cgroup.h>
#include <linux/errno.h>
#include <linux/hardirq.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <uapi/linux/sched.h>

#include "learned_os_shim.h"

/* The policy records events: while it does not, the probes pass only exits on. */
static bool lo_sched_recording;

/* Only tasks in this cgroup (or below) are eligible, if set. */
static struct cgroup __rcu *lo_sched_cgrp;

/* A normal (SCHED_NORMAL or SCHED_BATCH) user task: the only ones the policy may touch. */
static bool lo_sched_eligible(struct task_struct *p)
{
	return !(p->flags & PF_KTHREAD) &&
	       (p->policy == SCHED_NORMAL || p->policy == SCHED_BATCH);
}

/* Whether @p is in the policy's cgroup, if it has one. Any context. */
static bool lo_sched_in_scope(struct task_struct *p)
{
	struct cgroup *cgrp;
	bool in;

	rcu_read_lock();
	cgrp = rcu_dereference(lo_sched_cgrp);
	in = cgrp && cgroup_is_descendant(task_dfl_cgroup(p), cgrp);
	rcu_read_unlock();
	return in;
}

static void lo_sched_event(void *data, u32 ev, struct task_struct *p, u64 now, u32 flags)
{
	if (ev != LO_SCHED_EXIT && !READ_ONCE(lo_sched_recording))
		return;
	/* After its exit event, an exiting task's last switches would bring it back. */
	if (p->pid <= 0 || (ev != LO_SCHED_EXIT && (p->flags & PF_EXITING)))
		return;
	if (ev != LO_SCHED_EXIT && lo_sched_eligible(p) && lo_sched_in_scope(p))
		flags |= LO_SCHED_F_ELIGIBLE;
	learned_os_sched_event(data, ev, p->pid, p->start_time, now, flags);
}

/* Probes of sched_switch, sched_waking and sched_wakeup_new, sched_process_exit. */
void lo_sched_probe_switch(void *data, bool preempt, struct task_struct *prev,
			   struct task_struct *next, unsigned int prev_state)
{
	u64 now = ktime_get_mono_fast_ns();

	/* Blocking (any state but running) ends the burst; preemption and yields do not. */
	lo_sched_event(data, LO_SCHED_STOP, prev, now,
		       !preempt && prev_state != TASK_RUNNING ? LO_SCHED_F_VOLUNTARY : 0);
	lo_sched_event(data, LO_SCHED_RUN, next, now, 0);
}

void lo_sched_probe_waking(void *data, struct task_struct *p)
{
	lo_sched_event(data, LO_SCHED_WAKE, p, ktime_get_mono_fast_ns(),
		       in_hardirq() || in_serving_softirq() ? LO_SCHED_F_IRQ : 0);
}

void lo_sched_probe_exit(void *data, struct task_struct *p)
{
	lo_sched_event(data, LO_SCHED_EXIT, p, ktime_get_mono_fast_ns(), 0);
}

/*
 * Limits the events' eligible tasks to @cgrp and below (NULL: every task). The caller holds
 * @cgrp until it sets another one; when this returns, no probe uses the previous one.
 */
void lo_sched_set_cgroup(struct cgroup *cgrp)
{
	rcu_assign_pointer(lo_sched_cgrp, cgrp);
	synchronize_rcu();
}

/* Starts (@on) or stops passing events other than exits to the callback. Any context. */
void lo_sched_set_recording(bool on)
{
	WRITE_ONCE(lo_sched_recording, on);
}

/* The monotonic clock the probes stamp events with. */
u64 lo_sched_now(void)
{
	return ktime_get_mono_fast_ns();
}

/*
 * The task with global pid @pid if it is the one that started at @start_time (a pid can be
 * reused), with a reference; NULL if it is gone.
 */
struct task_struct *lo_sched_task_get(s32 pid, u64 start_time)
{
	struct task_struct *p;

	rcu_read_lock();
	p = pid_task(find_pid_ns(pid, &init_pid_ns), PIDTYPE_PID);
	if (p && p->start_time == start_time)
		get_task_struct(p);
	else
		p = NULL;
	rcu_read_unlock();
	return p;
}

void lo_sched_task_put(struct task_struct *p)
{
	put_task_struct(p);
}

/*
 * @p's slice: *@slice in ns and whether it was set (*@custom: through sched_setattr, by us
 * or anyone) rather than the default. -EPERM if @p is not a normal user task (any more).
 */
int lo_sched_task_slice(struct task_struct *p, u64 *slice, bool *custom)
{
	if (!lo_sched_eligible(p))
		return -EPERM;
	*slice = READ_ONCE(p->se.slice);
	*custom = READ_ONCE(p->se.custom_slice);
	return 0;
}

/*
 * Sets @p's slice to @runtime ns (the kernel clamps it to 0.1..100 ms), or back to the
 * default for 0, changing nothing else (sched_set_slice(), patches/0005: policy, nice value
 * and every other parameter stay as the kernel holds them, under the runqueue lock, so a
 * concurrent renice or setscheduler is never reverted). -EPERM if @p is not a normal user
 * task; -EINVAL if it stopped being a fair task meanwhile.
 */
int lo_sched_task_set_slice(struct task_struct *p, u64 runtime)
{
	if (!lo_sched_eligible(p))
		return -EPERM;
	return sched_set_slice(p, runtime);
}

/* Whether @p is in @cgrp or below it (cgroup v2). */
bool lo_sched_task_in_cgroup(struct task_struct *p, struct cgroup *cgrp)
{
	bool in;

	rcu_read_lock();
	in = cgroup_is_descendant(task_dfl_cgroup(p), cgrp);
	rcu_read_unlock();
	return in;
}
