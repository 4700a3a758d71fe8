// SPDX-License-Identifier: GPL-2.0
/*
 * The page cache's events for the eviction policy's access history: probes on the
 * mm_filemap_* tracepoints, found by name with for_each_kernel_tracepoint() (a module cannot
 * name them directly). Each probe only turns its arguments into (mapping, first index, page
 * count) and calls into Rust; tracepoints call probes with preemption disabled, so the Rust
 * side must not sleep.
 *
 * Pages of shmem and unevictable mappings are skipped: reclaim never asks about them.
 *
 * Also the per-CPU counters of the eviction policy's statistics, so that a probe's counting
 * touches no cache line another CPU writes.
 */
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/percpu.h>
#include <linux/shmem_fs.h>

#include "learned_os_shim.h"

static const void *lo_filemap_ctx;
static lo_filemap_event_t lo_filemap_cb;

static bool lo_tracked(struct address_space *mapping)
{
	return mapping && !shmem_mapping(mapping) && !mapping_unevictable(mapping);
}

static void lo_folio_event(struct folio *folio, enum lo_filemap_event ev)
{
	struct address_space *mapping = folio->mapping;

	if (lo_tracked(mapping))
		lo_filemap_cb(lo_filemap_ctx, ev, folio, (u64)(uintptr_t)mapping, folio->index,
			      folio_nr_pages(folio));
}

static void lo_probe_add(void *data, struct folio *folio)
{
	lo_folio_event(folio, LO_FILEMAP_ADD);
}

static void lo_probe_delete(void *data, struct folio *folio)
{
	lo_folio_event(folio, LO_FILEMAP_DELETE);
}

static void lo_probe_get_pages(void *data, struct address_space *mapping, pgoff_t index,
			       pgoff_t last_index)
{
	/* The tracepoint passes the last index of the range, inclusive. */
	if (lo_tracked(mapping) && last_index >= index)
		lo_filemap_cb(lo_filemap_ctx, LO_FILEMAP_ACCESS, NULL, (u64)(uintptr_t)mapping,
			      index, last_index - index + 1);
}

static void lo_probe_fault(void *data, struct address_space *mapping, pgoff_t index)
{
	if (lo_tracked(mapping))
		lo_filemap_cb(lo_filemap_ctx, LO_FILEMAP_ACCESS, NULL, (u64)(uintptr_t)mapping,
			      index, 1);
}

static struct lo_tp lo_filemap_tps[] = {
	{ .name = "mm_filemap_add_to_page_cache", .probe = lo_probe_add },
	{ .name = "mm_filemap_delete_from_page_cache", .probe = lo_probe_delete },
	{ .name = "mm_filemap_get_pages", .probe = lo_probe_get_pages },
	{ .name = "mm_filemap_fault", .probe = lo_probe_fault },
	{}
};

/* Unregisters the probes registered so far and waits until none is running. */
void lo_filemap_probes_unregister(void)
{
	lo_tp_unregister(lo_filemap_tps);
}

/*
 * Calls @cb with @ctx for every page-cache event until lo_filemap_probes_unregister().
 * Returns -ENOENT if a tracepoint is missing (all or nothing).
 */
int lo_filemap_probes_register(const void *ctx, lo_filemap_event_t cb)
{
	lo_filemap_ctx = ctx;
	lo_filemap_cb = cb;
	return lo_tp_register(lo_filemap_tps);
}

/* @n counters per CPU, zeroed; NULL without memory. Process context. */
u64 __percpu *lo_percpu_alloc(unsigned int n)
{
	return __alloc_percpu(n * sizeof(u64), sizeof(u64));
}

void lo_percpu_free(u64 __percpu *c)
{
	free_percpu(c);
}

/* Adds @v to this CPU's counter @i and returns its new value. Any context. */
u64 lo_percpu_add_return(u64 __percpu *c, unsigned int i, u64 v)
{
	return this_cpu_add_return(c[i], v);
}

/* Counter @i summed over every CPU. Any context. */
u64 lo_percpu_sum(u64 __percpu *c, unsigned int i)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(*per_cpu_ptr(&c[i], cpu));
	return sum;
}
