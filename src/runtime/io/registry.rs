//! The one poll loop under every scheduler: file descriptors registered
//! with a `mio::Poll`, the threads parked on them, blocking jobs finished
//! by worker threads, and the self-pipe that signals wake it through.
//!
//! A parked I/O wait is a completion: the thread leaves an operation in
//! its descriptor's slot, and when the descriptor becomes ready the
//! scheduler performs the operation and wakes the thread with the result.
//! So a read that had to wait costs one readiness event and one `read`.
//!
//! Registrations are edge-triggered, so an operation always tries its
//! system call before parking: readiness is only ever awaited after the
//! descriptor said "would block".
//!
//! The registry is per OS thread (the VM is not `Send`). Operations are
//! always taken out of it before they run or are dropped, because an
//! operation owns script objects whose destructors release slots.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::runtime::{Tid, Wake};
use crate::vm::Vm;

/// The token of the signal pipe.
const SIGNAL: Token = Token(usize::MAX);
/// The token of the waker that worker threads use.
const WAKER: Token = Token(usize::MAX - 1);
/// Worker threads for blocking jobs (files, name lookups, child waits).
const MAX_WORKERS: usize = 8;

/// Which readiness an operation waits for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dir {
    Read,
    Write,
}

/// Tries the parked operation again: Some(wake) once it has finished.
pub type IoOp = Box<dyn FnMut(&mut Vm) -> Option<Wake>>;

/// A thread parked on a descriptor.
pub struct Waiting {
    pub tid: Tid,
    pub token: u64,
    pub op: IoOp,
    /// Set when the thread should run the operation itself, in its turn
    /// (see `Vm::park_io_retry`): how to park it again if it would block.
    pub again: Option<Again>,
}

/// Where a retried operation parks again if it still would block.
pub struct Again {
    pub what: &'static str,
    pub obj: crate::vm::value::Value,
    pub slot: usize,
    pub dir: Dir,
}

/// Turns a finished job's result into what the thread wakes with.
pub type Completion = Box<dyn FnOnce(&mut Vm) -> Wake + Send>;
/// A blocking job run on a worker thread.
pub type Job = Box<dyn FnOnce() -> Completion + Send>;

#[derive(Default)]
struct Slot {
    read: VecDeque<Waiting>,
    write: VecDeque<Waiting>,
    live: bool,
    /// No readable event since a read found nothing more to read: a
    /// read may park without trying first.
    drained: bool,
    /// The peer has closed its side: no event will follow the last
    /// data, so reads must always try.
    read_closed: bool,
}

impl Slot {
    fn queue(&mut self, dir: Dir) -> &mut VecDeque<Waiting> {
        match dir {
            Dir::Read => &mut self.read,
            Dir::Write => &mut self.write,
        }
    }
}

struct Done {
    tid: Tid,
    token: u64,
    completion: Completion,
}

/// Jobs waiting for a worker, and the workers waiting for a job, under
/// one lock: a job is handed to an idle worker only if that worker is not
/// already promised to an earlier job, so two jobs that depend on each
/// other (a FIFO's reader and writer) never queue behind one another.
#[derive(Default)]
struct Queue {
    jobs: VecDeque<(Tid, u64, Job)>,
    idle: usize,
}

/// The worker threads that run blocking jobs, and their results.
struct Pool {
    queue: Arc<(Mutex<Queue>, Condvar)>,
    done: Arc<Mutex<Vec<Done>>>,
    workers: usize,
}

struct Registry {
    poll: Option<Poll>,
    events: Events,
    waker: Option<Arc<Waker>>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    /// Operations parked in slots.
    parked: usize,
    /// Jobs handed to workers whose results have not come back.
    jobs_out: usize,
    pool: Option<Pool>,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::new());
}

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

impl Registry {
    fn new() -> Registry {
        let poll = Poll::new().ok();
        let mut waker = None;
        if let Some(p) = &poll {
            if let Some(fd) = signal_pipe() {
                let _ = p
                    .registry()
                    .register(&mut SourceFd(&fd), SIGNAL, Interest::READABLE);
            }
            waker = Waker::new(p.registry(), WAKER).ok().map(Arc::new);
        }
        Registry {
            poll,
            events: Events::with_capacity(1024),
            waker,
            slots: Vec::new(),
            free: Vec::new(),
            parked: 0,
            jobs_out: 0,
            pool: None,
        }
    }

    fn pool(&mut self) -> &mut Pool {
        self.pool.get_or_insert_with(|| Pool {
            queue: Arc::new((Mutex::new(Queue::default()), Condvar::new())),
            done: Arc::new(Mutex::new(Vec::new())),
            workers: 0,
        })
    }
}

fn with<R>(f: impl FnOnce(&mut Registry) -> R) -> Option<R> {
    REGISTRY.with(|r| r.try_borrow_mut().ok().map(|mut r| f(&mut r)))
}

/// Registers [src] for readability (and writability if [write]);
/// returns its slot. Writability is asked for only while a write waits:
/// otherwise every ACK from the peer would be an event.
pub fn register(src: &mut dyn Source, write: bool) -> std::io::Result<usize> {
    with(|r| {
        let Some(poll) = &r.poll else {
            return Err(std::io::Error::other("the poll loop is unavailable"));
        };
        let slot = match r.free.pop() {
            Some(s) => s,
            None => {
                r.slots.push(Slot::default());
                r.slots.len() - 1
            }
        };
        if let Err(e) = poll.registry().register(src, Token(slot), interest(write)) {
            r.free.push(slot);
            return Err(e);
        }
        r.slots[slot].live = true;
        r.slots[slot].drained = false;
        r.slots[slot].read_closed = false;
        Ok(slot)
    })
    .unwrap_or_else(|| Err(std::io::Error::other("the poll loop is busy")))
}

fn interest(write: bool) -> Interest {
    if write {
        Interest::READABLE | Interest::WRITABLE
    } else {
        Interest::READABLE
    }
}

/// Changes whether [slot] (registered for [src]) reports writability.
pub fn watch_writable(slot: usize, src: &mut dyn Source, write: bool) -> std::io::Result<()> {
    with(|r| match &r.poll {
        Some(poll) => poll
            .registry()
            .reregister(src, Token(slot), interest(write)),
        None => Err(std::io::Error::other("the poll loop is unavailable")),
    })
    .unwrap_or_else(|| Err(std::io::Error::other("the poll loop is busy")))
}

/// Releases [slot] (its descriptor is being closed; [src], when given, is
/// deregistered first). Returns the operations still parked there, for the
/// caller to fail and drop.
pub fn release(slot: usize, src: Option<&mut dyn Source>) -> Vec<Waiting> {
    with(|r| {
        if let (Some(poll), Some(src)) = (&r.poll, src) {
            let _ = poll.registry().deregister(src);
        }
        let Some(s) = r.slots.get_mut(slot) else {
            return Vec::new();
        };
        if !s.live {
            return Vec::new();
        }
        s.live = false;
        let mut out: Vec<Waiting> = s.read.drain(..).collect();
        out.extend(s.write.drain(..));
        r.parked -= out.len();
        r.free.push(slot);
        out
    })
    .unwrap_or_default()
}

/// Records that a read on [slot] found nothing more to read.
pub fn set_drained(slot: usize) {
    with(|r| {
        if let Some(s) = r.slots.get_mut(slot) {
            s.drained = true;
        }
    });
}

/// True if nothing arrived on [slot] since [set_drained].
pub fn is_drained(slot: usize) -> bool {
    with(|r| {
        r.slots
            .get(slot)
            .is_some_and(|s| s.drained && !s.read_closed)
    })
    .unwrap_or(false)
}

/// Parks an operation on [slot] until it is ready for [dir].
pub fn park(slot: usize, dir: Dir, w: Waiting) {
    let rejected = with(|r| match r.slots.get_mut(slot) {
        Some(s) if s.live => {
            s.queue(dir).push_back(w);
            r.parked += 1;
            None
        }
        _ => Some(w),
    });
    // A slot that is gone cannot wake anyone: the operation is dropped
    // (its thread is woken by whoever closed the descriptor).
    drop(rejected);
}

/// Removes the operations thread [tid] parked on [slot].
pub fn cancel(slot: usize, tid: Tid) {
    let removed: Vec<Waiting> = with(|r| {
        let Some(s) = r.slots.get_mut(slot) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for q in [&mut s.read, &mut s.write] {
            let mut i = 0;
            while i < q.len() {
                if q[i].tid == tid {
                    out.extend(q.remove(i));
                } else {
                    i += 1;
                }
            }
        }
        r.parked -= out.len();
        out
    })
    .unwrap_or_default();
    drop(removed);
}

/// Drops every parked operation (the scheduler that owned them ended).
pub fn clear_parked() {
    let all: Vec<Waiting> = with(|r| {
        let mut out = Vec::new();
        for s in r.slots.iter_mut() {
            out.extend(s.read.drain(..));
            out.extend(s.write.drain(..));
        }
        r.parked = 0;
        out
    })
    .unwrap_or_default();
    drop(all);
}

/// True while something can still wake a thread: a parked operation or
/// a job out on a worker.
pub fn busy() -> bool {
    with(|r| r.parked > 0 || r.jobs_out > 0).unwrap_or(false)
}

/// Runs [job] on a worker thread; thread (tid, token) is woken with its
/// completion.
pub fn submit(tid: Tid, token: u64, job: Job) {
    let waker = with(|r| r.waker.clone()).flatten();
    let taken = with(|r| {
        r.jobs_out += 1;
        let pool = r.pool();
        let (lock, ready) = &*pool.queue;
        let Ok(mut q) = lock.lock() else {
            return false;
        };
        q.jobs.push_back((tid, token, job));
        // Enough idle workers for every queued job: wake one. Otherwise
        // start another worker (up to the limit) rather than queue.
        let spawn = q.idle < q.jobs.len() && pool.workers < MAX_WORKERS;
        drop(q);
        if !spawn {
            ready.notify_one();
            return true;
        }
        let queue = pool.queue.clone();
        let done = pool.done.clone();
        let started = std::thread::Builder::new()
            .name("con-io".into())
            .spawn(move || worker(queue, done, waker));
        if started.is_ok() {
            pool.workers += 1;
        }
        pool.workers > 0
    });
    if taken != Some(true) {
        // No worker can run it: nothing will complete the job.
        with(|r| r.jobs_out -= 1);
    }
}

fn worker(
    queue: Arc<(Mutex<Queue>, Condvar)>,
    done: Arc<Mutex<Vec<Done>>>,
    waker: Option<Arc<Waker>>,
) {
    let (lock, ready) = &*queue;
    loop {
        let next = {
            let Ok(mut q) = lock.lock() else { return };
            loop {
                if let Some(job) = q.jobs.pop_front() {
                    break job;
                }
                q.idle += 1;
                q = match ready.wait(q) {
                    Ok(q) => q,
                    Err(_) => return,
                };
                q.idle -= 1;
            }
        };
        let (tid, token, job) = next;
        let completion = job();
        if let Ok(mut d) = done.lock() {
            d.push(Done {
                tid,
                token,
                completion,
            });
        }
        if let Some(w) = &waker {
            let _ = w.wake();
        }
    }
}

/// What one poll found: ready slots (slot, readable, writable) and
/// finished jobs.
pub struct Ready {
    pub slots: Vec<(usize, bool, bool)>,
    pub done: Vec<(Tid, u64, Completion)>,
}

/// Waits for readiness, a finished job, a signal or [timeout]
/// (None: forever).
pub fn poll(timeout: Option<Duration>) -> Ready {
    let mut ready = Ready {
        slots: Vec::new(),
        done: Vec::new(),
    };
    let polled = with(|r| {
        let Registry { poll, events, .. } = r;
        let Some(poll) = poll else {
            return false;
        };
        match poll.poll(events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => std::thread::sleep(Duration::from_millis(1)),
        }
        let mut signalled = false;
        for e in r.events.iter() {
            match e.token() {
                SIGNAL => signalled = true,
                WAKER => {}
                Token(slot) => {
                    // Errors and hang-ups wake both directions: the retried
                    // operation reports them.
                    let bad = e.is_error() || e.is_read_closed() || e.is_write_closed();
                    if e.is_readable() || bad {
                        if let Some(s) = r.slots.get_mut(slot) {
                            s.drained = false;
                            s.read_closed |= bad;
                        }
                    }
                    ready
                        .slots
                        .push((slot, e.is_readable() || bad, e.is_writable() || bad));
                }
            }
        }
        if signalled {
            drain_signal_pipe();
        }
        if let Some(pool) = &r.pool {
            if let Ok(mut d) = pool.done.lock() {
                for x in d.drain(..) {
                    ready.done.push((x.tid, x.token, x.completion));
                }
            }
        }
        r.jobs_out -= ready.done.len();
        true
    });
    if polled != Some(true) {
        std::thread::sleep(timeout.unwrap_or(Duration::from_millis(10)));
    }
    ready
}

/// Takes the first operation parked on [slot] for [dir].
pub fn take_first(slot: usize, dir: Dir) -> Option<Waiting> {
    with(|r| {
        let w = r.slots.get_mut(slot)?.queue(dir).pop_front()?;
        r.parked -= 1;
        Some(w)
    })
    .flatten()
}

/// Puts back an operation that is still not ready, at the front.
pub fn put_back(slot: usize, dir: Dir, w: Waiting) {
    let rejected = with(|r| match r.slots.get_mut(slot) {
        Some(s) if s.live => {
            s.queue(dir).push_front(w);
            r.parked += 1;
            None
        }
        _ => Some(w),
    });
    drop(rejected);
}
