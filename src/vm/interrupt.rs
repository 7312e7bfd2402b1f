//! Ctrl-C: SIGINT sets a flag that the dispatch loop polls at loop back
//! edges, where it raises `KeyboardInterrupt` as Python does. The handler
//! only stores to an atomic, which is async-signal-safe.

use std::sync::atomic::{AtomicBool, Ordering};

use super::error::{Error, ExcType};

/// Set by the SIGINT handler; cleared when the interruption is raised.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the SIGINT handler (the CLI does; embedders decide for
/// themselves).
pub fn install_sigint_handler() {
    // SAFETY: the action only stores to two atomics, which is
    // async-signal-safe.
    let _ =
        unsafe { signal_hook::low_level::register(signal_hook::consts::SIGINT, request_interrupt) };
}

/// Requests an interruption (as Ctrl-C does).
pub fn request_interrupt() {
    INTERRUPTED.store(true, Ordering::Relaxed);
    super::gc::COLLECT_PENDING.store(true, Ordering::Relaxed);
}

/// The pending interruption, if any, as the error to raise.
pub fn take_interrupt() -> Option<Error> {
    if INTERRUPTED.swap(false, Ordering::Relaxed) {
        Some(Error::New(ExcType::KeyboardInterrupt, None))
    } else {
        None
    }
}
