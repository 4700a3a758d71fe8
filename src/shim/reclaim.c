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
#include <linux/slab.h>

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

/*
 * One registration: the ops the kernel calls, and what they call back. The kernel passes the
 * ops to every callback, which finds its registration from them (container_of).
 */
struct lo_reclaim_hook {
	struct reclaim_hook_ops ops;
	const void *ctx;
	lo_reclaim_verdict_t verdict;
	lo_reclaim_insert_t insert;
};

static enum reclaim_verdict lo_folio_verdict(const struct reclaim_hook_ops *ops,
					     struct folio *folio,
					     enum reclaim_verdict kernel_verdict)
{
	const struct lo_reclaim_hook *h = container_of(ops, struct lo_reclaim_hook, ops);

	return h->verdict(h->ctx, folio, (u64)(uintptr_t)folio->mapping, folio->index,
			  kernel_verdict);
}

static bool lo_folio_insert_cold(const struct reclaim_hook_ops *ops, struct folio *folio)
{
	const struct lo_reclaim_hook *h = container_of(ops, struct lo_reclaim_hook, ops);

	return h->insert(h->ctx, folio, (u64)(uintptr_t)folio->mapping, folio->index);
}

/*
 * Registers @verdict and @insert with @ctx; *@out is the registration for
 * lo_reclaim_hook_unregister(). -EOPNOTSUPP without the hook; -EBUSY if another policy holds it.
 */
int lo_reclaim_hook_register(const void *ctx, lo_reclaim_verdict_t verdict,
			     lo_reclaim_insert_t insert, struct lo_reclaim_hook **out)
{
	typeof(&reclaim_hook_register) reg = symbol_get(reclaim_hook_register);
	struct lo_reclaim_hook *h;
	int ret;

	if (!reg)
		return -EOPNOTSUPP;
	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h) {
		ret = -ENOMEM;
		goto out;
	}
	h->ops.folio_verdict = lo_folio_verdict;
	h->ops.folio_insert_cold = lo_folio_insert_cold;
	h->ctx = ctx;
	h->verdict = verdict;
	h->insert = insert;
	ret = reg(&h->ops);
	if (ret)
		kfree(h);
	else
		*out = h;
out:
	symbol_put(reclaim_hook_register);
	return ret;
}

/* Unregisters @h; returns once no reclaimer is still in its callbacks. */
void lo_reclaim_hook_unregister(struct lo_reclaim_hook *h)
{
	typeof(&reclaim_hook_unregister) unreg = symbol_get(reclaim_hook_unregister);

	/* Registered, so the hook exists: this module depends on it until here. */
	if (!WARN_ON(!unreg)) {
		unreg(&h->ops);
		symbol_put(reclaim_hook_unregister);
	}
	kfree(h);
}
#else
int lo_reclaim_hook_register(const void *ctx, lo_reclaim_verdict_t verdict,
			     lo_reclaim_insert_t insert, struct lo_reclaim_hook **out)
{
	return -EOPNOTSUPP;
}

void lo_reclaim_hook_unregister(struct lo_reclaim_hook *h)
{
}
#endif
