// SPDX-License-Identifier: GPL-2.0
/*
 * The module's delayed work items (6.12's Rust has no delayed work), one per enum lo_work_id:
 * the buffer-cache sizer's periodic decision and the scheduler policy's slice updates. A
 * callback runs in process context on the module's own unbound workqueue (the sizer's
 * reclaim steps must not hold up the system workqueue's other users), may sleep, and re-arms
 * itself with lo_work_schedule().
 */
#include <linux/jiffies.h>
#include <linux/workqueue.h>

#include "learned_os_shim.h"

struct lo_work {
	struct delayed_work dwork;
	struct workqueue_struct *wq;
	const void *ctx;
	lo_work_fn_t fn;
};

static struct lo_work lo_works[LO_WORK_COUNT];

static void lo_work_run(struct work_struct *work)
{
	struct lo_work *w = container_of(to_delayed_work(work), struct lo_work, dwork);

	w->fn(w->ctx);
}

static struct lo_work *lo_work_get(u32 id)
{
	return id < LO_WORK_COUNT && lo_works[id].fn ? &lo_works[id] : NULL;
}

/* The module's workqueue for its work items; NULL if out of memory. */
struct workqueue_struct *lo_workqueue_alloc(void)
{
	return alloc_workqueue("learned_os", WQ_UNBOUND, 0);
}

/* Waits for every item queued on @wq and frees it. */
void lo_workqueue_destroy(struct workqueue_struct *wq)
{
	destroy_workqueue(wq);
}

/* Sets work @id's callback and queue; before any other call for @id. */
void lo_work_init(u32 id, struct workqueue_struct *wq, const void *ctx, lo_work_fn_t fn)
{
	if (id >= LO_WORK_COUNT)
		return;
	INIT_DELAYED_WORK(&lo_works[id].dwork, lo_work_run);
	lo_works[id].wq = wq;
	lo_works[id].ctx = ctx;
	lo_works[id].fn = fn;
}

/* Runs the callback once, @ms milliseconds from now (if not already pending). */
void lo_work_schedule(u32 id, unsigned int ms)
{
	struct lo_work *w = lo_work_get(id);

	if (w)
		queue_delayed_work(w->wq, &w->dwork, msecs_to_jiffies(ms));
}

/*
 * Runs the callback as soon as possible, pending or not. Any context, irqs included
 * (mod_delayed_work() is irq-safe).
 */
void lo_work_kick(u32 id)
{
	struct lo_work *w = lo_work_get(id);

	if (w)
		mod_delayed_work(w->wq, &w->dwork, 0);
}

/* Cancels the work and waits for a running callback; works even if it re-arms itself. */
void lo_work_cancel(u32 id)
{
	struct lo_work *w = lo_work_get(id);

	if (w)
		cancel_delayed_work_sync(&w->dwork);
}
