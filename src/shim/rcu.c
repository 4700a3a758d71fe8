// SPDX-License-Identifier: GPL-2.0
/* RCU entry points for Rust: 6.12 has no Rust RCU abstraction. */
#include <linux/rcupdate.h>

#include "learned_os_shim.h"

void lo_rcu_read_lock(void)
{
	rcu_read_lock();
}

void lo_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void lo_synchronize_rcu(void)
{
	synchronize_rcu();
}
