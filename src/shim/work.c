// SPDX-License-Identifier: GPL-2.0
/*
 * One delayed work item for the buffer-cache sizer's periodic decision (6.12's Rust has no
 * delayed work). The callback runs in process context on the system workqueue and may sleep;
 * it re-arms itself with lo_sizer_work_schedule().
 */
#include <linux/jiffies.h>
#include <linux/workqueue.h>

#include "learned_os_shim.h"

static const void *lo_work_ctx;
static lo_work_fn_t lo_work_fn;

static void lo_work_run(struct work_struct *work)
{
	lo_work_fn(lo_work_ctx);
}

static DECLARE_DELAYED_WORK(lo_sizer_work, lo_work_run);

/* Sets the callback; before the first lo_sizer_work_schedule(). */
void lo_sizer_work_init(const void *ctx, lo_work_fn_t fn)
{
	lo_work_ctx = ctx;
	lo_work_fn = fn;
}

/* Runs the callback once, @ms milliseconds from now (if not already pending). */
void lo_sizer_work_schedule(unsigned int ms)
{
	queue_delayed_work(system_wq, &lo_sizer_work, msecs_to_jiffies(ms));
}

/*
 * Runs the callback as soon as possible, pending or not: an early decision. Any context,
 * irqs included (mod_delayed_work() is irq-safe).
 */
void lo_sizer_work_kick(void)
{
	mod_delayed_work(system_wq, &lo_sizer_work, 0);
}

/* Cancels the work and waits for a running callback; works even if it re-arms itself. */
void lo_sizer_work_cancel(void)
{
	cancel_delayed_work_sync(&lo_sizer_work);
}
