// SPDX-License-Identifier: GPL-2.0
/*
 * The page cache's events for the eviction policy's access history: probes on the
 * mm_filemap_* tracepoints, which src/filemap.rs registers (kapi/tracepoint.rs). Each probe
 * only turns its arguments into (mapping, first index, page count) and calls into Rust with
 * its @data; tracepoints call probes with preemption disabled, so the Rust side must not
 * sleep. They stay in C because they read struct folio and struct address_space fields and
 * inlines (folio_nr_pages, mapping_unevictable, shmem_mapping) that bindgen does not reach.
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

static bool lo_tracked(struct address_space *mapping)
{
	return mapping && !shmem_mapping(mapping) && !mapping_unevictable(mapping);
}

static void lo_folio_event(void *data, struct folio *folio, enum lo_filemap_event ev)
{
	struct address_space *mapping = folio->mapping;

	if (lo_tracked(mapping))
		learned_os_filemap_event(data, ev, folio, (u64)(uintptr_t)mapping, folio->index,
					 folio_nr_pages(folio));
}

/* Probes of mm_filemap_add_to_page_cache, mm_filemap_delete_from_page_cache,
 * mm_filemap_get_pages and mm_filemap_fault; @data is the registration's context. */
void lo_filemap_probe_add(void *data, struct folio *folio)
{
	lo_folio_event(data, folio, LO_FILEMAP_ADD);
}

void lo_filemap_probe_delete(void *data, struct folio *folio)
{
	lo_folio_event(data, folio, LO_FILEMAP_DELETE);
}

void lo_filemap_probe_get_pages(void *data, struct address_space *mapping, pgoff_t index,
				pgoff_t last_index)
{
	/* The tracepoint passes the last index of the range, inclusive. */
	if (lo_tracked(mapping) && last_index >= index)
		learned_os_filemap_event(data, LO_FILEMAP_ACCESS, NULL, (u64)(uintptr_t)mapping,
					 index, last_index - index + 1);
}

void lo_filemap_probe_fault(void *data, struct address_space *mapping, pgoff_t index)
{
	if (lo_tracked(mapping))
		learned_os_filemap_event(data, LO_FILEMAP_ACCESS, NULL, (u64)(uintptr_t)mapping,
					 index, 1);
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
