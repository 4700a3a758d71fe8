// SPDX-License-Identifier: GPL-2.0
/*
 * The page cache's events for the eviction policy's access history: probes on the
 * mm_filemap_* tracepoints, found by name with for_each_kernel_tracepoint() (a module cannot
 * name them directly). Each probe only turns its arguments into (mapping, first index, page
 * count) and calls into Rust; tracepoints call probes with preemption disabled, so the Rust
 * side must not sleep.
 *
 * Pages of shmem and unevictable mappings are skipped: reclaim never asks about them.
 */
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "learned_os_shim.h"

enum lo_filemap_tp {
	LO_TP_ADD,
	LO_TP_DELETE,
	LO_TP_GET_PAGES,
	LO_TP_FAULT,
	LO_TP_COUNT,
};

static const char *const lo_tp_names[LO_TP_COUNT] = {
	[LO_TP_ADD] = "mm_filemap_add_to_page_cache",
	[LO_TP_DELETE] = "mm_filemap_delete_from_page_cache",
	[LO_TP_GET_PAGES] = "mm_filemap_get_pages",
	[LO_TP_FAULT] = "mm_filemap_fault",
};

static struct tracepoint *lo_tps[LO_TP_COUNT];
static void *lo_tp_probes[LO_TP_COUNT];
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
		lo_filemap_cb(lo_filemap_ctx, ev, (u64)(uintptr_t)mapping, folio->index,
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
		lo_filemap_cb(lo_filemap_ctx, LO_FILEMAP_ACCESS, (u64)(uintptr_t)mapping, index,
			      last_index - index + 1);
}

static void lo_probe_fault(void *data, struct address_space *mapping, pgoff_t index)
{
	if (lo_tracked(mapping))
		lo_filemap_cb(lo_filemap_ctx, LO_FILEMAP_ACCESS, (u64)(uintptr_t)mapping, index, 1);
}

static void lo_find_tp(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < LO_TP_COUNT; i++)
		if (!strcmp(tp->name, lo_tp_names[i]))
			lo_tps[i] = tp;
}

/* Unregisters the probes registered so far and waits until none is running. */
void lo_filemap_probes_unregister(void)
{
	bool any = false;
	int i;

	for (i = 0; i < LO_TP_COUNT; i++) {
		if (lo_tps[i] && lo_tp_probes[i]) {
			tracepoint_probe_unregister(lo_tps[i], lo_tp_probes[i], NULL);
			any = true;
		}
		lo_tp_probes[i] = NULL;
		lo_tps[i] = NULL;
	}
	if (any)
		tracepoint_synchronize_unregister();
}

/*
 * Calls @cb with @ctx for every page-cache event until lo_filemap_probes_unregister().
 * Returns -ENOENT if a tracepoint is missing (all or nothing).
 */
int lo_filemap_probes_register(const void *ctx, lo_filemap_event_t cb)
{
	static void *const probes[LO_TP_COUNT] = {
		[LO_TP_ADD] = lo_probe_add,
		[LO_TP_DELETE] = lo_probe_delete,
		[LO_TP_GET_PAGES] = lo_probe_get_pages,
		[LO_TP_FAULT] = lo_probe_fault,
	};
	int i, ret;

	lo_filemap_ctx = ctx;
	lo_filemap_cb = cb;
	for_each_kernel_tracepoint(lo_find_tp, NULL);
	for (i = 0; i < LO_TP_COUNT; i++) {
		if (!lo_tps[i]) {
			pr_warn("learned_os: tracepoint %s not found\n", lo_tp_names[i]);
			ret = -ENOENT;
			goto fail;
		}
		ret = tracepoint_probe_register(lo_tps[i], probes[i], NULL);
		if (ret)
			goto fail;
		lo_tp_probes[i] = probes[i];
	}
	return 0;
fail:
	lo_filemap_probes_unregister();
	return ret;
}
