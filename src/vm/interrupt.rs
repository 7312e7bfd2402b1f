//! Signals. SIGINT (Ctrl-C) sets a flag that the dispatch loop polls at
//! loop back edges and the scheduler polls at every switch; SIGQUIT
//! (Ctrl-\) asks for a dump of every thread's stack. The handlers only
//! store to atomics, which is async-signal-safe.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the SIGINT handler; cleared when the interruption is taken.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Set by the SIGQUIT handler; cleared when the dump is printed.
static DUMP: AtomicBool = AtomicBool::new(false);

/// Installs the SIGINT and SIGQUIT handlers (the CLI does; embedders
/// decide for themselves).
pub fn install_signal_handlers() {
    // SAFETY: the actions only store to atomics, which is
    // async-signal-safe.
    unsafe {
        let _ = signal_hook::low_level::register(signal_hook::consts::SIGINT, request_interrupt);
        let _ = signal_hook::low_level::register(signal_hook::consts::SIGQUIT, request_dump);
    }
}

/// Requests an interruption (as Ctrl-C does).
pub fn request_interrupt() {
    INTERRUPTED.store(true, Ordering::Relaxed);
    super::gc::COLLECT_PENDING.store(true, Ordering::Relaxed);
}

/// Requests a dump of the thread tree (as Ctrl-\ does).
pub fn request_dump() {
    DUMP.store(true, Ordering::Relaxed);
    super::gc::COLLECT_PENDING.store(true, Ordering::Relaxed);
}

/// Takes a pending Ctrl-C.
pub fn take_interrupt() -> bool {
    INTERRUPTED.load(Ordering::Relaxed) && INTERRUPTED.swap(false, Ordering::Relaxed)
}

/// Takes a pending dump request.
pub fn take_dump() -> bool {
    DUMP.load(Ordering::Relaxed) && DUMP.swap(false, Ordering::Relaxed)
}
