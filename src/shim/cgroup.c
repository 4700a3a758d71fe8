// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroup v2 and memory-cgroup glue for the buffer-cache sizer: look a cgroup up by path,
 * hold and release it, ask whether it is being removed and whether the current task is in
 * it, and read and set its memory limits. No policy here: Rust decides what to set.
 *
 * Limits are in pages. memory.high is written through the cgroup file system, as a user
 * writes it, so that the kernel's own handler (memory_high_write()) sets it and reclaims
 * down to it at once; where that file cannot be opened, lo_memcg_set_high() sets the page
 * counter directly and the limit takes effect on the cgroup's next charges
 * (mem_cgroup_handle_over_high()), without the immediate reclaim.
 */
#include <linux/cgroup.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/slab.h>
#include <linux/memcontrol.h>
#include <linux/page_counter.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

#include "learned_os_shim.h"

/* Holds the cgroup at @path in the v2 hierarchy ("/a/b") in *@out; -ENOENT if none. */
int lo_cgroup_get(const char *path, struct cgroup **out)
{
	struct cgroup *cgrp = cgroup_get_from_path(path);

	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
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
 * Opens the file @file of the cgroup at @path in the hierarchy, on the cgroup2 file system
 * mounted at /sys/fs/cgroup (anything else there is -ENOENT). Process context.
 */
static struct file *lo_cgroup_file_open(const char *path, const char *file, int flags)
{
	struct file *f;
	char *name;

	name = kasprintf(GFP_KERNEL, "/sys/fs/cgroup%s/%s", path, file);
	if (!name)
		return ERR_PTR(-ENOMEM);
	f = filp_open(name, flags, 0);
	kfree(name);
	if (!IS_ERR(f) && file_inode(f)->i_sb->s_magic != CGROUP2_SUPER_MAGIC) {
		filp_close(f, NULL);
		return ERR_PTR(-ENOENT);
	}
	return f;
}

/*
 * Writes @pages to the memory.high file of the cgroup at @path. Returns 0, or -errno with
 * nothing set. Process context: the handler may reclaim.
 */
int lo_memcg_write_high(const char *path, u64 pages)
{
	struct file *f = lo_cgroup_file_open(path, "memory.high", O_WRONLY);
	char val[24];
	loff_t pos = 0;
	ssize_t n;
	int len;

	if (IS_ERR(f))
		return PTR_ERR(f);
	if (pages >= PAGE_COUNTER_MAX)
		len = scnprintf(val, sizeof(val), "max\n");
	else
		len = scnprintf(val, sizeof(val), "%llu\n", pages << PAGE_SHIFT);
	n = kernel_write(f, val, len, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	return n == len ? 0 : -EIO;
}

/*
 * Reads up to @len - 1 bytes of the memory.stat file of the cgroup at @path into @buf,
 * NUL-terminated; returns the bytes read or -errno. Process context: may sleep; call it
 * holding no lock a sysfs or cgroup file access may take.
 */
ssize_t lo_memcg_read_stat(const char *path, char *buf, size_t len)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	if (!len)
		return -EINVAL;
	f = lo_cgroup_file_open(path, "memory.stat", O_RDONLY);
	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, len - 1, &pos);
	filp_close(f, NULL);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

u64 lo_pages_max(void)
{
	return PAGE_COUNTER_MAX;
}
