//! The poll loop the scheduler sleeps in when no thread can run: one
//! `mio::Poll`, woken by I/O readiness, by the nearest timer, or by a
//! signal (SIGINT, SIGQUIT) through a self-pipe.

use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::OnceLock;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};

/// The token of the signal pipe.
const SIGNAL: Token = Token(usize::MAX);

/// The read end of the pipe that signal handlers write a byte to.
static SIGNAL_PIPE: OnceLock<Option<mio::unix::pipe::Receiver>> = OnceLock::new();

/// Creates the signal pipe once and routes SIGINT and SIGQUIT to it (the
/// flag-setting handlers of `vm::interrupt` run as well).
fn signal_pipe() -> Option<RawFd> {
    SIGNAL_PIPE
        .get_or_init(|| {
            let (tx, rx) = mio::unix::pipe::new().ok()?;
            let fd = tx.as_raw_fd();
            for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGQUIT] {
                signal_hook::low_level::pipe::register_raw(sig, fd).ok()?;
            }
            // The write end lives as long as the process.
            std::mem::forget(tx);
            Some(rx)
        })
        .as_ref()
        .map(|rx| rx.as_raw_fd())
}

pub struct Reactor {
    poll: Option<Poll>,
    events: Events,
}

impl Reactor {
    pub fn new() -> Reactor {
        let poll = Poll::new().ok();
        if let (Some(p), Some(fd)) = (&poll, signal_pipe()) {
            let _ = p
                .registry()
                .register(&mut SourceFd(&fd), SIGNAL, Interest::READABLE);
        }
        Reactor {
            poll,
            events: Events::with_capacity(256),
        }
    }

    /// Waits until [timeout] passes (None: forever) or a signal arrives.
    pub fn wait(&mut self, timeout: Option<Duration>) {
        let Some(poll) = &mut self.poll else {
            std::thread::sleep(timeout.unwrap_or(Duration::from_millis(10)));
            return;
        };
        match poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => std::thread::sleep(Duration::from_millis(1)),
        }
        let signalled = self.events.iter().any(|e| e.token() == SIGNAL);
        if signalled {
            drain_signal_pipe();
        }
    }
}

impl Default for Reactor {
    fn default() -> Self {
        Reactor::new()
    }
}

fn drain_signal_pipe() {
    if let Some(Some(rx)) = SIGNAL_PIPE.get() {
        let mut buf = [0u8; 64];
        let mut r: &mio::unix::pipe::Receiver = rx;
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    }
}
