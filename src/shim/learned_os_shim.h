/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin C glue for kernel interfaces that Linux 6.12 has no Rust abstractions for.
 * No policy lives here: every decision is made by the Rust callbacks.
 */
#ifndef LEARNED_OS_SHIM_H
#define LEARNED_OS_SHIM_H

#include <linux/types.h>

struct file;
struct lo_sysfs_dir;

/*
 * Callbacks into Rust. @ctx is the pointer given at directory creation; @dir_id and
 * @file_id identify the file. show() writes at most @size bytes into @buf and returns the
 * length or a negative errno; store() returns @len or a negative errno.
 */
typedef ssize_t (*lo_sysfs_show_t)(const void *ctx, u32 dir_id, u32 file_id, char *buf,
				   size_t size);
typedef ssize_t (*lo_sysfs_store_t)(const void *ctx, u32 dir_id, u32 file_id,
				    const char *buf, size_t len);
/*
 * A chunk of a write to a binary file through the open file @filp, at file offset @off;
 * returns @len or -errno.
 */
typedef ssize_t (*lo_sysfs_write_bin_t)(const void *ctx, u32 dir_id, u32 file_id,
					struct file *filp, const char *buf, loff_t off,
					size_t len);

int lo_sysfs_dir_create(struct lo_sysfs_dir *parent, const char *name, const void *ctx,
			u32 dir_id, lo_sysfs_show_t show, lo_sysfs_store_t store,
			lo_sysfs_write_bin_t write_bin, struct lo_sysfs_dir **out);
int lo_sysfs_file_create(struct lo_sysfs_dir *dir, const char *name, umode_t mode,
			 u32 file_id);
int lo_sysfs_bin_file_create(struct lo_sysfs_dir *dir, const char *name, umode_t mode,
			     u32 file_id);
void lo_sysfs_dir_destroy(struct lo_sysfs_dir *dir);
void lo_sysfs_file_get(struct file *filp);
void lo_sysfs_file_put(struct file *filp);
bool lo_sysfs_file_shared(struct file *filp);

bool lo_warn_ratelimit(void);

void lo_rcu_read_lock(void);
void lo_rcu_read_unlock(void);
void lo_synchronize_rcu(void);

/*
 * Reclaim's question for one inactive file folio @folio (the page @index of the mapping at
 * @owner, keyed like the page-cache events); verdicts as enum reclaim_verdict
 * (0 default, 1 reclaim, 2 keep, 3 activate). Called under rcu_read_lock() with @folio
 * locked: must not sleep.
 */
struct folio;
struct cgroup;
typedef unsigned int (*lo_reclaim_verdict_t)(const void *ctx, struct folio *folio, u64 owner,
					     u64 index, unsigned int kernel_verdict);
/*
 * Whether new file folio @folio (keyed as above) goes to the inactive tail. Called by
 * lru_add() under the LRU lock with interrupts off: must not sleep, must be brief.
 */
typedef bool (*lo_reclaim_insert_t)(const void *ctx, struct folio *folio, u64 owner, u64 index);
struct lo_reclaim_hook;
int lo_reclaim_hook_register(const void *ctx, lo_reclaim_verdict_t verdict,
			     lo_reclaim_insert_t insert, struct lo_reclaim_hook **out);
void lo_reclaim_hook_unregister(struct lo_reclaim_hook *h);
/* What the eviction policy's scope asks of a folio (reclaim.c). */
bool lo_folio_mapped(struct folio *folio);
bool lo_folio_in_cgroup(struct folio *folio, struct cgroup *cgrp);

/* For the tracepoint probes that kapi/tracepoint.rs registers (tracepoint.c). */
void lo_tracepoint_synchronize_unregister(void);

/*
 * A page-cache event for pages [@index, @index + @nr) of the mapping at @owner (an opaque
 * key): @folio is the folio added or deleted, NULL for an access (made by the current task).
 * Called from tracepoints with preemption disabled: must not sleep.
 */
enum lo_filemap_event {
	LO_FILEMAP_ADD,
	LO_FILEMAP_DELETE,
	LO_FILEMAP_ACCESS,
};
void learned_os_filemap_event(void *data, u32 event, struct folio *folio, u64 owner, u64 index,
			      u64 nr);
/* The probes (filemap.c), which src/filemap.rs registers with its context as @data. */
struct address_space;
void lo_filemap_probe_add(void *data, struct folio *folio);
void lo_filemap_probe_delete(void *data, struct folio *folio);
void lo_filemap_probe_get_pages(void *data, struct address_space *mapping, pgoff_t index,
				pgoff_t last_index);
void lo_filemap_probe_fault(void *data, struct address_space *mapping, pgoff_t index);
/* Counters kept per CPU (filemap.c): @n of them, zeroed; NULL without memory. */
u64 __percpu *lo_percpu_alloc(unsigned int n);
void lo_percpu_free(u64 __percpu *c);
u64 lo_percpu_add_return(u64 __percpu *c, unsigned int i, u64 v);
u64 lo_percpu_sum(u64 __percpu *c, unsigned int i);

/* Cgroup v2 targets and their memory limits, in pages (cgroup.c). */
struct cgroup;
int lo_cgroup_get(const char *path, struct cgroup **out);
void lo_cgroup_put(struct cgroup *cgrp);
bool lo_cgroup_dying(struct cgroup *cgrp);
bool lo_cgroup_has_current(struct cgroup *cgrp);
int lo_memcg_limits(struct cgroup *cgrp, u64 *high, u64 *max, u64 *usage);
int lo_memcg_set_high(struct cgroup *cgrp, u64 pages);
u64 lo_memcg_reclaim(struct cgroup *cgrp, u64 pages);
int lo_memcg_file_pages(struct cgroup *cgrp, u64 *pages);
u64 lo_pages_max(void);

/*
 * The learned VA->PA index (vindex.c): /dev/learned_os_vindex, an MMU notifier per
 * registration, and the exact page-table walk. The fops and the notifier call these Rust
 * callbacks; @session is what open() stored. Return 0 or a negative errno.
 */
struct file;
struct lo_vindex_mm;
struct lo_vindex_register;
struct lo_vindex_translate;
struct lo_vindex_stats;
struct lo_vindex_ops {
	int (*open)(const void *ctx, void **session);
	void (*close)(void *session);
	/* @file: the open file the ioctl came through (its opener's credentials). */
	int (*register_range)(const void *session, const struct lo_vindex_register *reg,
			      struct file *file);
	int (*translate)(const void *session, struct lo_vindex_translate *tr);
	int (*stats)(const void *session, struct lo_vindex_stats *st);
	int (*unregister)(const void *session);
	int (*bad_ioctl)(const void *session, unsigned int cmd);
	/* The notifier's: may be called in any process context, must not sleep. */
	void (*invalidate_start)(const void *session, u64 start, u64 end);
	void (*invalidate_end)(const void *session, u64 start, u64 end);
	void (*release)(const void *session);
};
struct lo_vindex_device;
int lo_vindex_device_register(const struct lo_vindex_ops *ops, const void *ctx,
			      struct lo_vindex_device **out);
void lo_vindex_device_deregister(struct lo_vindex_device *d);
int lo_vindex_mm_register(struct file *file, s32 pid, const void *session,
			  struct lo_vindex_mm **out);
void lo_vindex_mm_unregister(struct lo_vindex_mm *m);
bool lo_vindex_mm_enter(struct lo_vindex_mm *m);
void lo_vindex_mm_exit(struct lo_vindex_mm *m);
int lo_vindex_mm_lock(struct lo_vindex_mm *m);
void lo_vindex_mm_unlock(struct lo_vindex_mm *m);
/* A present stretch: pages @vpn..@vpn+@nr map to frames @pfn..@pfn+@nr; nonzero stops. */
typedef int (*lo_vindex_page_t)(void *ctx, u64 vpn, u64 pfn, u64 nr);
int lo_vindex_walk(struct lo_vindex_mm *m, u64 start, u64 end, lo_vindex_page_t page,
		   void *ctx);
u64 lo_vindex_translate_one(struct lo_vindex_mm *m, u64 addr);

/*
 * The scheduler policy (sched.c). Events from the scheduler's tracepoints, for task @pid
 * (global pid) that started at @start_time, at @now (lo_sched_now()'s clock), with
 * LO_SCHED_F_* @flags. Called with the runqueue lock held or from wakeups in any context,
 * interrupts included: must not sleep, and may take only raw spinlocks (lo_raw_spin_*).
 */
enum lo_sched_event {
	LO_SCHED_WAKE,	/* woken (sched_waking, sched_wakeup_new) */
	LO_SCHED_RUN,	/* switched in */
	LO_SCHED_STOP,	/* switched out */
	LO_SCHED_EXIT,	/* exiting */
};
#define LO_SCHED_F_VOLUNTARY	(1u << 0)	/* STOP: the task blocked */
#define LO_SCHED_F_IRQ		(1u << 1)	/* WAKE: from an interrupt */
#define LO_SCHED_F_ELIGIBLE	(1u << 2)	/* a normal user task in the cgroup, if set */
void learned_os_sched_event(void *data, u32 event, s32 pid, u64 start_time, u64 now, u32 flags);
/* The probes (sched.c), which src/sched/probes.rs registers with its context as @data. */
struct task_struct;
void lo_sched_probe_switch(void *data, bool preempt, struct task_struct *prev,
			   struct task_struct *next, unsigned int prev_state);
void lo_sched_probe_waking(void *data, struct task_struct *p);
void lo_sched_probe_exit(void *data, struct task_struct *p);
u64 lo_sched_now(void);
void lo_sched_set_cgroup(struct cgroup *cgrp);
void lo_sched_set_recording(bool on);
struct task_struct;
struct task_struct *lo_sched_task_get(s32 pid, u64 start_time);
void lo_sched_task_put(struct task_struct *p);
int lo_sched_task_slice(struct task_struct *p, u64 *slice, bool *custom);
int lo_sched_task_set_slice(struct task_struct *p, u64 runtime);
bool lo_sched_task_in_cgroup(struct task_struct *p, struct cgroup *cgrp);

/* Raw spinlocks for kapi/sync.rs (sync.c), as rust/helpers/spinlock.c has for spinlock_t. */
struct lock_class_key;
struct raw_spinlock;
void lo_raw_spin_lock_init(struct raw_spinlock *lock, const char *name,
			   struct lock_class_key *key);
unsigned long lo_raw_spin_lock_irqsave(struct raw_spinlock *lock);
void lo_raw_spin_unlock_irqrestore(struct raw_spinlock *lock, unsigned long flags);

#endif /* LEARNED_OS_SHIM_H */
