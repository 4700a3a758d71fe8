// SPDX-License-Identifier: GPL-2.0
/*
 * Raw spinlocks for kapi/sync.rs: what rust/helpers/spinlock.c has for spinlock_t (6.12's
 * Rust has no raw spinlock), as one-line helpers around the kernel's macros.
 */
#include <linux/spinlock.h>

#include "learned_os_shim.h"

void lo_raw_spin_lock_init(raw_spinlock_t *lock, const char *name, struct lock_class_key *key)
{
#ifdef CONFIG_DEBUG_SPINLOCK
	__raw_spin_lock_init(lock, name, key, LD_WAIT_SPIN);
#else
	raw_spin_lock_init(lock);
#endif
}

unsigned long lo_raw_spin_lock_irqsave(raw_spinlock_t *lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(lock, flags);
	return flags;
}

void lo_raw_spin_unlock_irqrestore(raw_spinlock_t *lock, unsigned long flags)
{
	raw_spin_unlock_irqrestore(lock, flags);
}
