//! The micro-thread runtime: threads, the scheduler that runs them, the
//! timers and poll loop it waits on, and reports on the cactus stack.
//!
//! A thread is only a frame chain plus a little state. Because script
//! calls never recurse on the Rust stack, a thread that reaches a switch
//! point has nothing on the Rust stack: the dispatch loop returns
//! `Error::Suspend`, the scheduler swaps the thread's stacks out of the VM
//! and another thread's in.

pub mod chunked;
pub mod io;
pub mod report;
pub mod sched;
pub mod thread;

pub use sched::Scheduler;
pub use thread::{Target, Tid, Wake};
