// SPDX-License-Identifier: GPL-2.0
/* One rate limit for the module's warnings about refused user input. */
#include <linux/ratelimit.h>

#include "learned_os_shim.h"

static DEFINE_RATELIMIT_STATE(lo_warn_rs, 5 * HZ, 10);

bool lo_warn_ratelimit(void)
{
	return __ratelimit(&lo_warn_rs);
}
