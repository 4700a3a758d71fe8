// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroup v2 and memory-cgroup glue for the policies that act on a cgroup: look a cgroup up by
 * path, hold and release it, ask whether it is being removed and whether the current task is
 * in it, and read and set its memory limits. No policy here: Rust decides what to set.
 *
 * Everything acts on the cgroup held, never on a path resolved again later: the path is
 * resolved once, in the writer's cgroup namespace, when a knob is written. Limits are in
 * pages; memory.high is set on the memory cgroup's page counter as memory_high_write() sets
 * it, and the caller reclaims down to it in bounded steps (lo_memcg_reclaim()).
 */
#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/memcontrol.h>
#include <linux/page_counter.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/swap.h>

#include "learned_os_shim.h"

/*
 * Holds the cgroup at @path ("/a/b") of the v2 hierarchy, as the current task's cgroup
 * namespace sees it, in *@out. -ENOENT if there is none, -EINVAL for the root cgroup (whose
 * limits the kernel does not let anyone set).
 */
int lo_cgroup_get(const char *path, struct cgroup **out)
{
	struct cgroup *cgrp = cgroup_get_from_path(path);

	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	if (!cgroup_parent(cgrp)) {
		cgroup_put(cgrp);
		return -EINVAL;
	}
	*out = cgrp;
	return 0;
}

void lo_cgroup_put(struct cgroup *cgrp)
{
	cgroup_put(cgrp);
}

/*
 * True once @cgrp was removed (rmdir): it is offline and goes away when the last reference
 * is put. cgroup_is_dead() (kernel/cgroup/cgroup-internal.h), which modules cannot include.
 */
bool lo_cgroup_dying(struct cgroup *cgrp)
{
	return !(READ_ONCE(cgrp->self.flags) & CSS_ONLINE);
}

/* Whether the current task is in @cgrp or below it. Any context. */
bool lo_cgroup_has_current(struct cgroup *cgrp)
{
	bool in;

	rcu_read_lock();
	in = cgroup_is_descendant(task_dfl_cgroup(current), cgrp);
	rcu_read_unlock();
	return in;
}

/* @cgrp's own memory cgroup, held; NULL if the memory controller is off for it. */
static struct mem_cgroup *lo_memcg_get(struct cgroup *cgrp)
{
	struct cgroup_subsys_state *css = cgroup_get_e_css(cgrp, &memory_cgrp_subsys);

	if (!css)
		return NULL;
	if (css->cgroup != cgrp) {
		/* An ancestor's: the controller is not enabled in @cgrp's parent. */
		css_put(css);
		return NULL;
	}
	return mem_cgroup_from_css(css);
}

/*
 * @cgrp's memory.high, memory.max and usage, in pages (LO_PAGES_MAX for "max").
 * -EOPNOTSUPP if the memory controller is not enabled for @cgrp.
 */
int lo_memcg_limits(struct cgroup *cgrp, u64 *high, u64 *max, u64 *usage)
{
	struct mem_cgroup *memcg = lo_memcg_get(cgrp);

	if (!memcg)
		return -EOPNOTSUPP;
	*high = READ_ONCE(memcg->memory.high);
	*max = READ_ONCE(memcg->memory.max);
	*usage = page_counter_read(&memcg->memory);
	css_put(&memcg->css);
	return 0;
}

/* Sets @cgrp's memory.high to @pages (at most PAGE_COUNTER_MAX, which is "max"). */
int lo_memcg_set_high(struct cgroup *cgrp, u64 pages)
{
	struct mem_cgroup *memcg = lo_memcg_get(cgrp);

	if (!memcg)
		return -EOPNOTSUPP;
	page_counter_set_high(&memcg->memory, min_t(u64, pages, PAGE_COUNTER_MAX));
	css_put(&memcg->css);
	return 0;
}

/*
 * Reclaims up to @pages pages from @cgrp's memory cgroup (one step of memory_high_write()'s
 * loop); returns the pages reclaimed. Process context: may sleep.
 */
u64 lo_memcg_reclaim(struct cgroup *cgrp, u64 pages)
{
	struct mem_cgroup *memcg = lo_memcg_get(cgrp);
	u64 done;

	if (!memcg)
		return 0;
	done = try_to_free_mem_cgroup_pages(memcg, pages, GFP_KERNEL, MEMCG_RECLAIM_MAY_SWAP,
					    NULL);
	css_put(&memcg->css);
	return done;
}

/*
 * @cgrp's page cache in pages ("file" in its memory.stat) in *@pages. -EOPNOTSUPP if the
 * memory controller is not enabled for @cgrp. Process context: the stats flush may sleep.
 */
int lo_memcg_file_pages(struct cgroup *cgrp, u64 *pages)
{
	struct mem_cgroup *memcg = lo_memcg_get(cgrp);

	if (!memcg)
		return -EOPNOTSUPP;
	mem_cgroup_flush_stats(memcg);
	*pages = memcg_page_state(memcg, NR_FILE_PAGES);
	css_put(&memcg->css);
	return 0;
}

u64 lo_pages_max(void)
{
	return PAGE_COUNTER_MAX;
}
