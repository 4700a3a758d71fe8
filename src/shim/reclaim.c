// SPDX-License-Identifier: GPL-2.0
/*
 * The eviction policy's entry from reclaim, through the reclaim hook of
 * patches/0001-mm-vmscan-reclaim-hook.patch. The hook is looked up with symbol_get(), so
 * the module also loads on a kernel without the patch, where registration reports
 * -EOPNOTSUPP and the policy reports itself unsupported.
 */
#include <linux/cgroup.h>
#include <linux/errno.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mm_types.h>
#include <linux/module.h>
#include <linux/rcupdate.h>

#include "learned_os_shim.h"

/* Whether @folio is mapped into some process's page tables. */
bool lo_folio_mapped(struct folio *folio)
{
	return folio_mapped(folio);
}

/*
 * Whether @folio is charged to the memory cgroup of @cgrp or of a cgroup below it. The caller
 * keeps the folio's memcg binding stable (folio locked, as reclaim's hook and the page-cache
 * events have it) and holds @cgrp. False for an uncharged folio.
 */
bool lo_folio_in_cgroup(struct folio *folio, struct cgroup *cgrp)
{
	struct mem_cgroup *memcg;
	bool in;

	rcu_read_lock();
	memcg = folio_memcg(folio);
	in = memcg && cgroup_is_descendant(memcg->css.cgroup, cgrp);
	rcu_read_unlock();
	return in;
}

#if __has_include(<linux/reclaim_hook.h>)
#include <linux/reclaim_hook.h>

static const void *lo_reclaim_ctx;
static lo_reclaim_verdict_t lo_reclaim_cb;
static lo_reclaim_insert_t lo_insert_cb;
static typeof(&reclaim_hook_unregister) lo_unregister;

static enum reclaim_verdict lo_folio_verdict(struct folio *folio,
					     enum reclaim_verdict kernel_verdict)
{
	return lo_reclaim_cb(lo_reclaim_ctx, folio, (u64)(uintptr_t)folio->mapping,
			     folio->index, kernel_verdict);
}

static bool lo_folio_insert_cold(struct folio *folio)
{
	return lo_insert_cb(lo_reclaim_ctx, folio, (u64)(uintptr_t)folio->mapping, folio->index);
}

static const struct reclaim_hook_ops lo_reclaim_ops = {
	.folio_verdict = lo_folio_verdict,
	.folio_insert_cold = lo_folio_insert_cold,
};

/*
 * Registers @cb and @insert (called with @ctx) as the reclaim policy; -EOPNOTSUPP without the
 * hook. A kernel with the verdict hook but not the insertion one (patch 0006) never calls
 * @insert.
 */
int lo_reclaim_hook_register(const void *ctx, lo_reclaim_verdict_t cb,
			     lo_reclaim_insert_t insert)
{
	typeof(&reclaim_hook_register) reg = symbol_get(reclaim_hook_register);
	int ret;

	lo_unregister = symbol_get(reclaim_hook_unregister);
	if (!reg || !lo_unregister) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	lo_reclaim_ctx = ctx;
	lo_reclaim_cb = cb;
	lo_insert_cb = insert;
	ret = reg(&lo_reclaim_ops);
out:
	if (reg)
		symbol_put(reclaim_hook_register);
	if (ret && lo_unregister) {
		symbol_put(reclaim_hook_unregister);
		lo_unregister = NULL;
	}
	return ret;
}

/* Unregisters; returns once no reclaimer is still in the callback. */
void lo_reclaim_hook_unregister(void)
{
	if (!lo_unregister)
		return;
	lo_unregister(&lo_reclaim_ops);
	symbol_put(reclaim_hook_unregister);
	lo_unregister = NULL;
}
#else
int lo_reclaim_hook_register(const void *ctx, lo_reclaim_verdict_t cb,
			     lo_reclaim_insert_t insert)
{
	return -EOPNOTSUPP;
}

void lo_reclaim_hook_unregister(void)
{
}
#endif
