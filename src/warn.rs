// SPDX-License-Identifier: GPL-2.0

//! Rate-limited warnings about refused user input.
//!
//! Every refusal of user input gets one `pr_warn` line saying why, but a process writing
//! garbage in a loop must not flood the log: a shared rate limit drops the excess.

extern "C" {
    fn lo_warn_ratelimit() -> bool;
}

/// Whether a rate-limited warning may be printed now.
pub(crate) fn allowed() -> bool {
    // SAFETY: `lo_warn_ratelimit` only updates its own ratelimit state under that state's lock.
    unsafe { lo_warn_ratelimit() }
}

/// `pr_warn!`, subject to the module's shared rate limit.
macro_rules! warn_ratelimited {
    ($($arg:tt)*) => {
        if $crate::warn::allowed() {
            ::kernel::pr_warn!($($arg)*);
        }
    };
}
pub(crate) use warn_ratelimited;
