// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoint probes (kapi/tracepoint.rs) find their tracepoints and register through
 * exported functions; only this inline needs a helper.
 */
#include <linux/tracepoint.h>

#include "learned_os_shim.h"

/* Returns once no probe unregistered before the call runs. */
void lo_tracepoint_synchronize_unregister(void)
{
	tracepoint_synchronize_unregister();
}
