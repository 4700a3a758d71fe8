// SPDX-License-Identifier: GPL-2.0

//! The module's own thin layer over kernel interfaces that 6.12's `kernel` crate does not wrap,
//! shaped like `rust/kernel`: each kind of callback is a `Registration` that holds its context
//! and finds it again from the C object (`container_of`), never from a global, so any number
//! of instances coexist; dropping a registration waits for its callbacks in flight.

pub(crate) mod sync;
pub(crate) mod tracepoint;
pub(crate) mod workqueue;
