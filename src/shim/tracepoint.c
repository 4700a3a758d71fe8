// SPDX-License-Identifier: GPL-2.0
/*
 * Probes on tracepoints a module cannot name directly: found by name with
 * for_each_kernel_tracepoint() and registered all or nothing. Used by the page-cache events
 * (filemap.c) and the scheduler's (sched.c).
 */
#include <linux/errno.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "learned_os_shim.h"

static void lo_tp_find(struct tracepoint *tp, void *priv)
{
	struct lo_tp *set = priv;

	for (; set->name; set++)
		if (!strcmp(tp->name, set->name))
			set->tp = tp;
}

/*
 * Unregisters the probes of @set (ended by an entry with a NULL name) registered so far and
 * waits until none is running.
 */
void lo_tp_unregister(struct lo_tp *set)
{
	bool any = false;

	for (; set->name; set++) {
		if (set->tp && set->registered) {
			tracepoint_probe_unregister(set->tp, set->probe, NULL);
			any = true;
		}
		set->registered = false;
		set->tp = NULL;
	}
	if (any)
		tracepoint_synchronize_unregister();
}

/* Registers every probe of @set; -ENOENT if a tracepoint is missing (then none stays). */
int lo_tp_register(struct lo_tp *set)
{
	struct lo_tp *t;
	int ret;

	for_each_kernel_tracepoint(lo_tp_find, set);
	for (t = set; t->name; t++) {
		if (!t->tp) {
			pr_warn("learned_os: tracepoint %s not found\n", t->name);
			ret = -ENOENT;
			goto fail;
		}
		ret = tracepoint_probe_register(t->tp, t->probe, NULL);
		if (ret)
			goto fail;
		t->registered = true;
	}
	return 0;
fail:
	lo_tp_unregister(set);
	return ret;
}
