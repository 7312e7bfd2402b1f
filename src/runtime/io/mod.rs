//! I/O over the scheduler's poll loop (SPEC §3.4, I/O): sockets, and the
//! glue that parks a thread on a descriptor and wakes it with the result.
//!
//! Every I/O primitive has the same shape: try the system call; if it
//! would block, park the thread with an operation (`IoOp`) that the
//! scheduler retries when the descriptor becomes ready, and return
//! `Error::Suspend`. The operation wakes the thread with the result; an
//! interruption removes the operation from its slot.

pub mod addr;
pub mod file;
pub mod listen;
pub mod process;
pub mod registry;
pub mod tcp;
pub mod udp;

use std::rc::Rc;
use std::time::Duration;

use registry::{Dir, IoOp, Waiting};

use crate::runtime::thread::Retry;
use crate::runtime::{Tid, Wake};
use crate::vm::error::Error;
use crate::vm::object::{downcast, ModuleObj};
use crate::vm::value::Value;
use crate::vm::Vm;

/// Adds the I/O functions and classes to the native `_con` module.
pub fn install(vm: &mut Vm, m: &Rc<ModuleObj>) {
    addr::install(vm, m);
    tcp::install(vm, m);
    listen::install(vm, m);
    udp::install(vm, m);
    process::install(vm, m);
}

/// The registry slots an I/O object parks threads on (for cancelling a
/// wait that was interrupted).
fn slots_of(obj: &Value) -> Vec<usize> {
    if let Some(c) = downcast::<tcp::TcpConn>(obj) {
        return c.slot().into_iter().collect();
    }
    if let Some(l) = downcast::<listen::TcpListen>(obj) {
        return l.slots();
    }
    if let Some(u) = downcast::<udp::Udp>(obj) {
        return u.slot().into_iter().collect();
    }
    if let Some(p) = downcast::<process::Proc>(obj) {
        return p.slots();
    }
    Vec::new()
}

/// Removes what thread [tid] parked on [obj] (its wait was interrupted).
pub fn cancel_wait(obj: &Value, tid: Tid) {
    crate::builtins::mod_io::cancel_wait(obj, tid);
    for slot in slots_of(obj) {
        registry::cancel(slot, tid);
    }
}

impl Vm {
    /// Parks the running thread on [slot] until [op] completes; [what]
    /// and [obj] describe the wait in reports.
    pub fn park_io(
        &mut self,
        what: &'static str,
        obj: &Value,
        slots: &[usize],
        dir: Dir,
        mut make_op: impl FnMut() -> IoOp,
    ) -> Error {
        let (tid, token) = self.park(what, Some(obj.clone()));
        for &slot in slots {
            registry::park(
                slot,
                dir,
                Waiting {
                    tid,
                    token,
                    op: make_op(),
                    again: None,
                },
            );
        }
        Error::Suspend
    }

    /// Parks the running thread on [slot] like `park_io`, but when the
    /// descriptor becomes ready the thread is only woken, and runs [op]
    /// itself in its turn. A server's threads then each read and reply in
    /// turn, as a callback loop would, instead of every read of a batch
    /// happening before the first reply.
    pub fn park_io_retry(
        &mut self,
        what: &'static str,
        obj: &Value,
        slot: usize,
        dir: Dir,
        op: IoOp,
    ) -> Error {
        let (tid, token) = self.park(what, Some(obj.clone()));
        let again = Some(registry::Again {
            what,
            obj: obj.clone(),
            slot,
            dir,
        });
        registry::park(
            slot,
            dir,
            Waiting {
                tid,
                token,
                op,
                again,
            },
        );
        Error::Suspend
    }

    /// Runs a blocking job on a worker thread while the running thread is
    /// parked; the job's completion gives what the thread wakes with.
    pub fn park_job(
        &mut self,
        what: &'static str,
        obj: Option<Value>,
        job: registry::Job,
    ) -> Error {
        let (tid, token) = self.park(what, obj);
        registry::submit(tid, token, job);
        Error::Suspend
    }

    /// Waits in the poll loop for at most [timeout] (None: until something
    /// happens) and completes the operations that became ready.
    pub(crate) fn poll_io(&mut self, timeout: Option<Duration>) {
        let ready = registry::poll(timeout);
        for (slot, readable, writable) in ready.slots {
            if readable {
                self.complete_parked(slot, Dir::Read);
            }
            if writable {
                self.complete_parked(slot, Dir::Write);
            }
        }
        for (tid, token, completion) in ready.done {
            if self.waiter_alive(tid, token) {
                let wake = completion(self);
                self.wake(tid, token, wake);
            }
        }
    }

    /// Retries, in order, the operations parked on [slot] for [dir] until
    /// one would block again.
    fn complete_parked(&mut self, slot: usize, dir: Dir) {
        while let Some(mut w) = registry::take_first(slot, dir) {
            if !self.waiter_alive(w.tid, w.token) {
                continue;
            }
            if let Some(again) = w.again.take() {
                let retry = Box::new(Retry { op: w.op, again });
                self.wake(w.tid, w.token, Wake::Retry(retry));
                continue;
            }
            match (w.op)(self) {
                Some(wake) => {
                    // A wait parked on several slots (accept@ on several
                    // listeners, a subprocess's pipes) leaves the others.
                    let obj = self
                        .sched
                        .as_ref()
                        .and_then(|s| s.thread(w.tid).and_then(|t| t.wait_obj().cloned()));
                    self.wake(w.tid, w.token, wake);
                    if let Some(obj) = obj {
                        for other in slots_of(&obj) {
                            if other != slot {
                                registry::cancel(other, w.tid);
                            }
                        }
                    }
                }
                None => {
                    registry::put_back(slot, dir, w);
                    break;
                }
            }
        }
    }
}

/// The wake of an operation that failed with [e].
pub fn wake_error(vm: &mut Vm, e: Error) -> Wake {
    Wake::Throw(vm.materialize(e))
}
