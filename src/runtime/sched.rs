//! The scheduler: a FIFO run queue of micro-threads, timers, and the loop
//! that runs threads until every one has ended (SPEC §3).
//!
//! Switching primitives never call the scheduler loop: they park the
//! running thread (`Vm::park`), register it where the event will find it,
//! and return `Error::Suspend`. Whoever causes the event calls `Vm::wake`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::chunked::{Fifo, Table};
use super::io::registry;
use super::thread::*;
use crate::bytecode::code::{FLAG_GENERATOR, FLAG_VARARGS, FLAG_VARKW};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::exc::with_exc_data;
use crate::vm::frame::{Resume, FRAME_NONATOMIC, FRAME_SIBLINGS};
use crate::vm::object::NativeKind;
use crate::vm::value::Value;
use crate::vm::Vm;

/// A `with timeout(...)` block being timed.
pub struct TimeoutScope {
    pub tid: Tid,
    pub serial: u32,
    pub target: Target,
    /// The generator whose frame holds the block (0: an ordinary frame).
    /// While that generator is suspended the block is not running, so
    /// the deadline waits until it runs again.
    pub generator: usize,
    /// Armed, then fired or cancelled.
    pub armed: std::cell::Cell<bool>,
    /// Past its deadline, waiting for its generator to run again: such a
    /// timer alone cannot end a deadlock.
    pub rechecking: std::cell::Cell<bool>,
    pub fired: std::cell::Cell<bool>,
}

pub enum TimerKind {
    /// Wakes a sleeping thread (if still parked with this token).
    Sleep(Tid, u64),
    Timeout(Rc<TimeoutScope>),
}

pub struct Timer {
    pub at: Instant,
    pub seq: u64,
    pub kind: TimerKind,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

pub struct Scheduler {
    pub threads: Table<Box<Thread>>,
    free: Vec<Tid>,
    pub runq: Fifo<Tid>,
    pub current: Tid,
    pub root: Tid,
    root_result: Option<Result<Value, Value>>,
    next_token: u64,
    next_serial: u32,
    next_scope: u32,
    pub timers: BinaryHeap<Reverse<Timer>>,
    timer_seq: u64,
    pub live: usize,
    /// The VM's native-call depth while threads run: a switch is possible
    /// only at this depth (not inside a callback from native code).
    pub base_depth: usize,
    /// CON_SCHEDULE_SEED: pick runnable threads in a seeded random order.
    shuffle: Option<u64>,
    /// I/O calls the running thread may still complete without waiting
    /// before it must let others run (a client that always has data
    /// ready must not starve the rest).
    io_budget: u32,
    /// Ctrl-C has interrupted the tree (a second one escapes).
    pub sigint: bool,
    sigint_handled: bool,
    /// The deadlock report, once one was found.
    deadlock: Option<String>,
    /// Threads left to run before the poll loop is checked again, so
    /// ready I/O is noticed even while threads keep the run queue full.
    round: usize,
}

/// I/O calls a thread may complete in a row without letting others run
/// (as Tokio's cooperative budget).
const IO_BUDGET: u32 = 128;

/// Wait tokens stay unique across schedulers, so a wait left behind by
/// one (a job still on a worker) never matches a thread of the next.
static NEXT_TOKEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Where a thread's run ended.
enum Outcome {
    Parked,
    Done(Result<Value, Value>),
}

impl Scheduler {
    fn new(base_depth: usize) -> Scheduler {
        let shuffle = std::env::var("CON_SCHEDULE_SEED")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|s| s.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        Scheduler {
            threads: Table::new(),
            free: Vec::new(),
            runq: Fifo::new(),
            current: 0,
            root: 0,
            root_result: None,
            next_token: NEXT_TOKEN.load(std::sync::atomic::Ordering::Relaxed),
            next_serial: 1,
            next_scope: 1,
            timers: BinaryHeap::new(),
            timer_seq: 0,
            live: 0,
            base_depth,
            shuffle,
            sigint: false,
            sigint_handled: false,
            deadlock: None,
            round: 0,
            io_budget: IO_BUDGET,
        }
    }

    pub fn thread(&self, tid: Tid) -> Option<&Thread> {
        self.threads.get(tid as usize).map(|t| &**t)
    }

    pub fn thread_mut(&mut self, tid: Tid) -> Option<&mut Thread> {
        self.threads.get_mut(tid as usize).map(|t| &mut **t)
    }

    pub fn cur(&mut self) -> Option<&mut Thread> {
        let c = self.current;
        self.thread_mut(c)
    }

    fn add_thread(&mut self, t: Thread) -> Tid {
        self.live += 1;
        let b = Box::new(t);
        match self.free.pop() {
            Some(i) => {
                if let Some(slot) = self.threads.slot(i as usize) {
                    *slot = Some(b);
                }
                i
            }
            None => self.threads.push(b) as Tid,
        }
    }

    fn new_serial(&mut self) -> u32 {
        let s = self.next_serial;
        self.next_serial += 1;
        s
    }

    pub fn new_scope(&mut self) -> u32 {
        self.next_scope += 1;
        self.next_scope
    }

    /// True when (tid, token) still names a thread parked with that token.
    pub fn waiter_alive(&self, tid: Tid, token: u64) -> bool {
        self.thread(tid)
            .is_some_and(|t| t.state == State::Blocked && t.token == token)
    }

    pub fn add_timer(&mut self, at: Instant, kind: TimerKind) {
        self.timer_seq += 1;
        self.timers.push(Reverse(Timer {
            at,
            seq: self.timer_seq,
            kind,
        }));
    }

    fn timer_alive(&self, t: &Timer) -> bool {
        match &t.kind {
            TimerKind::Sleep(tid, token) => self.waiter_alive(*tid, *token),
            TimerKind::Timeout(s) => s.armed.get(),
        }
    }

    fn next_runnable(&mut self) -> Option<Tid> {
        match &mut self.shuffle {
            None => self.runq.pop_front(),
            Some(state) => {
                if self.runq.is_empty() {
                    return None;
                }
                // xorshift64
                let mut x = *state;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *state = x;
                let i = (x % self.runq.len() as u64) as usize;
                self.runq.swap_remove(i)
            }
        }
    }

    /// Threads in creation order (serial), for reports and tree-wide
    /// interruption.
    pub fn tids_in_order(&self) -> Vec<Tid> {
        let mut v: Vec<(u32, Tid)> = self
            .threads
            .iter()
            .map(|(i, t)| (t.serial, i as Tid))
            .collect();
        v.sort_unstable();
        v.into_iter().map(|(_, t)| t).collect()
    }
}

impl Vm {
    /// `con.bootstrap(main, *args)`: runs `main@(*args)` as the root of a
    /// new scheduler until it and every thread under it have ended.
    pub fn bootstrap(
        &mut self,
        main: Value,
        args: Vec<Value>,
        kw: Vec<(crate::vm::value::Sym, Value)>,
    ) -> Res<Value> {
        if self.sched.is_some() {
            return Err(Error::runtime_error(
                "bootstrap() called inside a running scheduler",
            ));
        }
        let outer_stack = std::mem::take(&mut self.stack);
        let outer_frames = std::mem::take(&mut self.frames);
        let outer_handled = std::mem::take(&mut self.handled);
        let mut sched = Box::new(Scheduler::new(self.native_depth));
        let serial = sched.new_serial();
        let root = sched.add_thread(Thread::new(
            serial,
            StartCall {
                func: main,
                args,
                kw,
            },
            None,
        ));
        sched.root = root;
        sched.runq.push_back(root);
        self.sched = Some(sched);
        let r = self.drive();
        registry::clear_parked();
        let sched = self.sched.take();
        if let Some(s) = &sched {
            NEXT_TOKEN.store(s.next_token, std::sync::atomic::Ordering::Relaxed);
        }
        self.stack = outer_stack;
        self.frames = outer_frames;
        self.handled = outer_handled;
        drop(sched);
        r
    }

    /// The running scheduler (always there while `drive` runs).
    fn sched_mut(&mut self) -> Res<&mut Scheduler> {
        self.sched
            .as_deref_mut()
            .ok_or_else(|| Error::runtime_error("no running scheduler"))
    }

    /// Runs threads until the root and all its descendants have ended.
    fn drive(&mut self) -> Res<Value> {
        loop {
            if crate::vm::interrupt::take_dump() {
                self.dump_threads();
            }
            if crate::vm::interrupt::take_interrupt() {
                if let Some(s) = &mut self.sched {
                    if s.sigint {
                        // A second Ctrl-C while the tree unwinds: leave now.
                        return Err(Error::New(ExcType::KeyboardInterrupt, None));
                    }
                    s.sigint = true;
                }
            }
            let s = self.sched_mut()?;
            if s.sigint && !s.sigint_handled {
                s.sigint_handled = true;
                self.interrupt_tree();
                continue;
            }
            // Timers are checked at every switch, so a deadline that passed
            // during atomic work fires at the next switch point.
            if !s.timers.is_empty() {
                self.fire_timers();
            }
            let s = self.sched_mut()?;
            if !s.runq.is_empty() {
                if s.round == 0 {
                    s.round = s.runq.len();
                    if registry::busy() {
                        self.poll_io(Some(Duration::ZERO));
                    }
                }
                let s = self.sched_mut()?;
                s.round = s.round.saturating_sub(1);
                if let Some(tid) = s.next_runnable() {
                    self.run_thread(tid);
                }
                continue;
            }
            if s.live == 0 {
                break;
            }
            // Nothing runnable: wait for I/O until the nearest timer.
            let timeout = s
                .timers
                .peek()
                .map(|Reverse(t)| t.at.saturating_duration_since(Instant::now()));
            // Pending I/O is checked first: the timer scan (for one that
            // can wake a thread, not just re-check a suspended timeout)
            // only matters when a deadlock is in question.
            let wakes = |s: &Scheduler| {
                s.timers.iter().any(|Reverse(t)| match &t.kind {
                    TimerKind::Timeout(scope) => scope.armed.get() && !scope.rechecking.get(),
                    TimerKind::Sleep(..) => true,
                })
            };
            if registry::busy() || wakes(s) {
                s.round = 0;
                self.poll_io(timeout);
                continue;
            }
            // Every thread is blocked and nothing can wake one.
            if s.deadlock.is_none() {
                let report = self.deadlock_report();
                if let Some(s) = self.sched.as_mut() {
                    s.deadlock = Some(report);
                }
                self.interrupt_tree();
                continue;
            }
            // Still stuck after the tree was interrupted: abandon the rest.
            if let Some(s) = self.sched.as_mut() {
                s.threads.clear_all();
                s.live = 0;
            }
            break;
        }
        let s = self.sched_mut()?;
        if let Some(report) = s.deadlock.take() {
            return Err(Error::new(ExcType::DeadlockError, report));
        }
        let sigint = s.sigint;
        match s.root_result.take() {
            // A KeyboardInterrupt raised by a second Ctrl-C keeps its
            // traceback (where the runaway code was).
            Some(Err(e))
                if sigint
                    && self.error_is(&Error::Raised(e.clone()), ExcType::KeyboardInterrupt) =>
            {
                Err(Error::Raised(e))
            }
            _ if sigint => Err(Error::New(ExcType::KeyboardInterrupt, None)),
            Some(Ok(v)) => Ok(v),
            // MicroThreadExit ends even the root thread quietly.
            Some(Err(e)) if self.error_is(&Error::Raised(e.clone()), ExcType::MicroThreadExit) => {
                Ok(Value::None)
            }
            Some(Err(e)) => Err(Error::Raised(e)),
            None => Ok(Value::None),
        }
    }

    /// Fires due timers (sleeps end, timeouts interrupt their block).
    fn fire_timers(&mut self) {
        let now = Instant::now();
        loop {
            let Some(s) = self.sched.as_mut() else { return };
            let Some(Reverse(top)) = s.timers.peek() else {
                return;
            };
            if !s.timer_alive(top) {
                s.timers.pop();
                continue;
            }
            if top.at > now {
                return;
            }
            let Some(Reverse(t)) = s.timers.pop() else {
                return;
            };
            match t.kind {
                TimerKind::Sleep(tid, token) => {
                    self.wake(tid, token, Wake::Value(Value::None));
                }
                TimerKind::Timeout(scope) => {
                    let Some(s) = self.sched.as_mut() else { return };
                    let Some(t) = s.thread(scope.tid).filter(|t| t.serial == scope.serial) else {
                        scope.armed.set(false);
                        continue;
                    };
                    if scope.generator != 0 {
                        let running = t
                            .frames
                            .get(scope.target.depth() as usize)
                            .and_then(|f| f.generator.as_ref())
                            .is_some_and(|g| Rc::as_ptr(g) as usize == scope.generator);
                        if !running {
                            // Suspended at a yield: look again shortly.
                            scope.rechecking.set(true);
                            let again = now + Duration::from_millis(10);
                            s.add_timer(again, TimerKind::Timeout(scope));
                            continue;
                        }
                    }
                    scope.armed.set(false);
                    scope.fired.set(true);
                    self.interrupt_thread(scope.tid, scope.target);
                }
            }
        }
    }

    /// Swaps thread [tid] into the VM, runs it until it parks or ends,
    /// and swaps it out.
    fn run_thread(&mut self, tid: Tid) {
        let Some(s) = self.sched.as_mut() else { return };
        s.current = tid;
        s.io_budget = IO_BUDGET;
        let Some(t) = s.thread_mut(tid) else { return };
        t.state = State::Running;
        let wake = std::mem::replace(&mut t.wake, Wake::Continue);
        std::mem::swap(&mut self.stack, &mut t.stack);
        std::mem::swap(&mut self.frames, &mut t.frames);
        self.handled = t.take_handled();
        let r = self.resume_thread(wake);
        let outcome = match r {
            Err(Error::Suspend) => Outcome::Parked,
            Ok(v) => Outcome::Done(Ok(v)),
            Err(e) => {
                let exc = self.materialize(e);
                Outcome::Done(Err(exc))
            }
        };
        let Some(s) = self.sched.as_mut() else { return };
        let Some(t) = s.thread_mut(tid) else { return };
        std::mem::swap(&mut self.stack, &mut t.stack);
        std::mem::swap(&mut self.frames, &mut t.frames);
        t.set_handled(std::mem::take(&mut self.handled));
        match outcome {
            Outcome::Parked => {
                if t.state == State::Running {
                    t.state = State::Runnable;
                    s.runq.push_back(tid);
                }
            }
            Outcome::Done(r) => self.finish_thread(tid, r),
        }
    }

    /// Runs the swapped-in thread from where it was parked.
    fn resume_thread(&mut self, wake: Wake) -> Res<Value> {
        match wake {
            Wake::Start(func) => {
                // The arguments wait on the thread's stack: a plain function
                // takes them in place as its locals.
                let nargs = self.stack.len();
                if let Value::Function(f) = &func {
                    let c = &f.code;
                    if c.flags & (FLAG_VARARGS | FLAG_VARKW | FLAG_GENERATOR) == 0
                        && c.kwonlycount == 0
                        && nargs == c.argcount as usize
                    {
                        let f = f.clone();
                        self.frames.reserve_exact(1);
                        self.push_frame_in_place(&f, 0, 0, Resume::Normal)?;
                        if let Some(fr) = self.frames.last_mut() {
                            fr.flags |= FRAME_NONATOMIC;
                        }
                        return self.run(0);
                    }
                }
                let args: Vec<Value> = self.stack.drain(..).collect();
                if !self.start_call(func, args, Vec::new())? {
                    return Ok(self.stack.pop().unwrap_or(Value::None));
                }
            }
            Wake::StartKw(call) => {
                let StartCall { func, args, kw } = *call;
                if !self.start_call(func, args, kw)? {
                    return Ok(self.stack.pop().unwrap_or(Value::None));
                }
            }
            Wake::Value(v) | Wake::Handoff(v) => {
                if self.frames.is_empty() {
                    return Ok(v);
                }
                self.spush(v);
            }
            Wake::Throw(exc) => {
                if self.frames.is_empty() {
                    return Err(Error::Raised(exc));
                }
                if self.for_at_exhausted(&exc) {
                    return self.run(0);
                }
                self.handle_error(Error::Raised(exc), 0, false)?;
            }
            Wake::Rejoin => {
                let depth = self.frames.len().saturating_sub(1) as u32;
                let raising = self.cur_group(depth).and_then(|g| match &g.leaving {
                    Leaving::Raise(exc) => Some(exc.clone()),
                    _ => None,
                });
                if let Some(exc) = raising {
                    // The exception goes on leaving the frame.
                    self.handle_error(Error::Raised(exc), 0, true)?;
                } else if self.deliver_pending_interrupt() {
                    // An interruption that arrived during the join is raised
                    // now (the join was this thread's switch point): the
                    // frame drops its return value and leaves its Return.
                    self.stack.pop();
                    if let Some(f) = self.frames.last_mut() {
                        f.ip += 1;
                    }
                    let e = Error::New(ExcType::Interrupted, None);
                    self.handle_error(e, 0, false)?;
                }
            }
            Wake::Retry(r) => {
                let Retry { mut op, again } = *r;
                return match op(self) {
                    Some(wake) => self.resume_thread(wake),
                    None => {
                        let super::io::registry::Again {
                            what,
                            obj,
                            slot,
                            dir,
                        } = again;
                        Err(self.park_io_retry(what, &obj, slot, dir, op))
                    }
                };
            }
            Wake::Continue | Wake::Parked(_) => {}
        }
        if self.frames.is_empty() {
            return Ok(self.stack.pop().unwrap_or(Value::None));
        }
        self.run(0)
    }

    /// A thread parked in `for@` over a pipe that was closed: the loop
    /// ends instead of raising.
    fn for_at_exhausted(&mut self, exc: &Value) -> bool {
        let Some(f) = self.frames.last() else {
            return false;
        };
        let Some(crate::bytecode::Op::ForIterAt(exit)) =
            f.code.ops.get(f.ip.wrapping_sub(1)).copied()
        else {
            return false;
        };
        if !self.error_is(&Error::Raised(exc.clone()), ExcType::StopIteration) {
            return false;
        }
        self.stack.pop();
        if let Some(f) = self.frames.last_mut() {
            f.ip = exit as usize;
        }
        true
    }

    /// Makes a thread's first call non-atomically. Returns true when a
    /// frame was pushed; otherwise the result is on the stack.
    fn start_call(
        &mut self,
        func: Value,
        mut args: Vec<Value>,
        kw: Vec<(crate::vm::value::Sym, Value)>,
    ) -> Res<bool> {
        let (target, recv) = match &func {
            Value::BoundMethod(m) => (m.func.clone(), Some(m.receiver.clone())),
            _ => (func.clone(), None),
        };
        match &target {
            Value::Function(f) if !f.code.is_generator() => {
                if let Some(r) = recv {
                    args.insert(0, r);
                }
                let f = f.clone();
                let locals = self.bind_args(&f, &args, &kw)?;
                let base = self.stack.len();
                self.stack
                    .reserve_exact(f.code.nlocals as usize + f.code.max_stack as usize);
                self.stack.extend(locals);
                self.frames.reserve_exact(1);
                self.push_function_frame(&f, base)?;
                if let Some(fr) = self.frames.last_mut() {
                    fr.flags |= FRAME_NONATOMIC;
                }
                Ok(true)
            }
            Value::Native(n) if n.kind != NativeKind::Plain => {
                if let Some(r) = recv {
                    args.insert(0, r);
                }
                let f = n.func;
                self.switch_ctx = true;
                let r = f(self, &args, &kw);
                self.switch_ctx = false;
                self.spush(r?);
                Ok(false)
            }
            _ => {
                let r = self.call(&func, &args, &kw)?;
                self.spush(r);
                Ok(false)
            }
        }
    }

    /// Records the end of thread [tid] with its create frame's group.
    fn finish_thread(&mut self, tid: Tid, result: Result<Value, Value>) {
        let Some(s) = self.sched.as_mut() else { return };
        let Some(t) = s.threads.slot(tid as usize).and_then(|t| t.take()) else {
            return;
        };
        s.live -= 1;
        s.free.push(tid);
        if tid == s.root {
            s.root_result = Some(result);
            return;
        }
        let Some(c) = t.creator else { return };
        drop(t.frames);
        drop(t.stack);
        let failure = match result {
            Err(e) if !self.is_quiet_exit(&e) => Some(e),
            _ => None,
        };
        let Some(s) = self.sched.as_mut() else { return };
        let Some(creator) = s.thread_mut(c.tid) else {
            return;
        };
        if let Some(e) = &failure {
            // The creator's `sibling` statement joins the cactus path.
            if let Some(f) = creator.frames.get(c.depth() as usize) {
                let code = f.code.clone();
                with_exc_data(e, |d| d.traceback.borrow_mut().push((code, c.ip)));
            }
        }
        let Some(g) = creator.group_mut(c.depth()) else {
            return;
        };
        g.live = g.live.saturating_sub(1);
        let mut interrupt_now = false;
        if let Some(e) = failure {
            if g.first.is_none() {
                g.first = Some(e);
                interrupt_now = true;
            } else {
                g.later.push(e);
            }
        }
        let done = g.live == 0;
        if interrupt_now {
            self.interrupt_group(c.tid, c.depth());
            self.interrupt_thread(c.tid, Target::new(c.depth(), 0));
        }
        if done {
            let Some(s) = self.sched.as_mut() else { return };
            if let Some(t) = s.thread_mut(c.tid) {
                if t.waits_in("join") {
                    let token = t.token;
                    self.wake(c.tid, token, Wake::Rejoin);
                }
            }
        }
    }

    /// Interrupted and MicroThreadExit end a thread quietly.
    pub fn is_quiet_exit(&mut self, e: &Value) -> bool {
        let err = Error::Raised(e.clone());
        self.error_is(&err, ExcType::Interrupted) || self.error_is(&err, ExcType::MicroThreadExit)
    }

    /// Interrupts, in the order they were started, the live siblings
    /// started by the frame at [depth] of thread [tid].
    pub fn interrupt_group(&mut self, tid: Tid, depth: u32) {
        let children = {
            let Some(s) = self.sched.as_mut() else { return };
            let Some(g) = s.thread_mut(tid).and_then(|t| t.group_mut(depth)) else {
                return;
            };
            if g.interrupted {
                return;
            }
            g.interrupted = true;
            g.children.clone()
        };
        for (child, serial) in children {
            let alive = self
                .sched
                .as_ref()
                .and_then(|s| s.thread(child))
                .is_some_and(|t| t.serial == serial);
            if alive {
                self.interrupt_thread(child, Target::root());
            }
        }
    }

    /// Interrupts every thread (Ctrl-C, deadlock).
    fn interrupt_tree(&mut self) {
        let tids = match &self.sched {
            Some(s) => s.tids_in_order(),
            None => return,
        };
        for tid in tids {
            self.interrupt_thread(tid, Target::root());
        }
    }

    /// Raises `Interrupted` in thread [tid] at its current switch point
    /// (if parked) or its next one, travelling to [target].
    pub fn interrupt_thread(&mut self, tid: Tid, target: Target) {
        let Some(s) = self.sched.as_mut() else { return };
        let Some(t) = s.thread_mut(tid) else { return };
        if let Some(cur) = t.interrupt() {
            // Already unwinding: only an enclosing target is kept, for
            // after this one is reached.
            if target < cur {
                let p = t.pending().map_or(target, |p| p.min(target));
                t.set_pending(Some(p));
            }
            return;
        }
        if let Some(p) = t.pending() {
            t.set_pending(Some(p.min(target)));
            return;
        }
        let joining = t.waits_in("join");
        let raise_now = match t.state {
            State::Blocked if joining => {
                // The runtime's own wait goes on; its siblings are told.
                t.set_pending(Some(target));
                let depth = t.frames.len().saturating_sub(1) as u32;
                self.interrupt_group(tid, depth);
                false
            }
            State::Blocked => {
                t.state = State::Runnable;
                // An I/O wait's parked operation goes with it.
                if let Wake::Parked(obj) = std::mem::replace(&mut t.wake, Wake::Continue) {
                    super::io::cancel_wait(&obj, tid);
                }
                s.runq.push_back(tid);
                true
            }
            State::Runnable => match &t.wake {
                Wake::Start(_)
                | Wake::StartKw(_)
                | Wake::Value(_)
                | Wake::Continue
                | Wake::Parked(_)
                | Wake::Retry(_) => true,
                Wake::Handoff(_) | Wake::Rejoin | Wake::Throw(_) => {
                    t.set_pending(Some(target));
                    false
                }
            },
            State::Running => {
                t.set_pending(Some(target));
                false
            }
        };
        if raise_now {
            // It is parked at a switch point: Interrupted is raised there.
            let exc = self.materialize(Error::New(ExcType::Interrupted, None));
            if let Some(t) = self.sched.as_mut().and_then(|s| s.thread_mut(tid)) {
                t.set_interrupt(Some(target));
                t.wake = Wake::Throw(exc);
            }
        }
    }

    // ----- the API of switching primitives -----------------------------

    /// Checks that the running code may switch threads here: called as
    /// `name@(...)` from a non-atomic frame, not inside a callback from
    /// native code, and not while interrupted. Raises a pending
    /// interruption (this is a switch point).
    pub fn begin_switch(&mut self, name: &str) -> Res<()> {
        let asked = std::mem::take(&mut self.switch_ctx);
        let Some(s) = self.sched.as_mut() else {
            return Err(Error::new(
                ExcType::AtomicityError,
                format!("{name}() switches threads and needs a running scheduler: start one with con.bootstrap(main)"),
            ));
        };
        let top_ok = self
            .frames
            .last()
            .is_none_or(|f| f.flags & FRAME_NONATOMIC != 0);
        if !asked || !top_ok || self.native_depth != s.base_depth {
            return Err(Error::new(
                ExcType::AtomicityError,
                format!("{name}() may switch threads, so it must be called as {name}@(...) from a non-atomic function"),
            ));
        }
        let Some(t) = s.cur() else { return Ok(()) };
        if t.interrupt().is_some() {
            return Err(Error::new(
                ExcType::AtomicityError,
                format!("{name}@() called while the thread is being interrupted"),
            ));
        }
        if let Some(target) = t.take_pending() {
            t.set_interrupt(Some(target));
            return Err(Error::New(ExcType::Interrupted, None));
        }
        Ok(())
    }

    /// Parks the running thread (the primitive then returns
    /// `Error::Suspend`). Returns (tid, token) for the wait list.
    pub fn park(&mut self, what: &'static str, obj: Option<Value>) -> (Tid, u64) {
        let Some(s) = self.sched.as_mut() else {
            return (0, 0);
        };
        let token = s.next_token;
        s.next_token += 1;
        let tid = s.current;
        if let Some(t) = s.thread_mut(tid) {
            t.state = State::Blocked;
            t.token = token;
            t.what = what;
            t.wake = Wake::Parked(obj.unwrap_or(Value::None));
        }
        (tid, token)
    }

    /// True when (tid, token) names a thread still parked with that token.
    pub fn waiter_alive(&self, tid: Tid, token: u64) -> bool {
        self.sched
            .as_ref()
            .is_some_and(|s| s.waiter_alive(tid, token))
    }

    /// Makes a parked thread runnable; false if it no longer waits there.
    pub fn wake(&mut self, tid: Tid, token: u64, wake: Wake) -> bool {
        let Some(s) = self.sched.as_mut() else {
            return false;
        };
        if !s.waiter_alive(tid, token) {
            return false;
        }
        if let Some(t) = s.thread_mut(tid) {
            t.state = State::Runnable;
            t.wake = wake;
        }
        s.runq.push_back(tid);
        true
    }

    /// An I/O call that finished without waiting returns [v]; once the
    /// thread's budget of such calls is spent, it goes to the back of the
    /// run queue first (the result waits for it).
    pub fn io_complete(&mut self, v: Value) -> Res<Value> {
        let Some(s) = self.sched.as_mut() else {
            return Ok(v);
        };
        if s.io_budget > 0 {
            s.io_budget -= 1;
            return Ok(v);
        }
        if let Some(t) = s.cur() {
            t.wake = Wake::Handoff(v);
        }
        Err(Error::Suspend)
    }

    /// `idle@()`: the running thread goes to the back of the run queue.
    pub fn yield_now(&mut self) -> Error {
        if let Some(t) = self.sched.as_mut().and_then(|s| s.cur()) {
            t.wake = Wake::Value(Value::None);
        }
        Error::Suspend
    }

    /// Parks the running thread until [at].
    pub fn sleep_until(&mut self, at: Instant) -> Error {
        let (tid, token) = self.park("sleep", None);
        if let Some(s) = self.sched.as_mut() {
            s.add_timer(at, TimerKind::Sleep(tid, token));
        }
        Error::Suspend
    }

    /// The deadline [secs] from now, clamped far in the future; [what]
    /// names the quantity in errors ("sleep length", "timeout").
    pub fn deadline_after(secs: f64, what: &str) -> Res<Instant> {
        if secs.is_nan() {
            return Err(Error::value_error(format!("{what} must not be NaN")));
        }
        if secs < 0.0 {
            return Err(Error::value_error(format!("{what} must be non-negative")));
        }
        let now = Instant::now();
        let d = Duration::try_from_secs_f64(secs.min(3.0e9))
            .unwrap_or(Duration::from_secs(3_000_000_000));
        Ok(now
            .checked_add(d)
            .unwrap_or(now + Duration::from_secs(86_400 * 365 * 30)))
    }

    // ----- sibling -----------------------------------------------------

    /// The Spawn instruction: starts `func(*args, **kw)` as a sibling of
    /// the running frame.
    pub fn spawn_sibling(
        &mut self,
        func: Value,
        args: Vec<Value>,
        kw: Vec<(crate::vm::value::Sym, Value)>,
    ) -> Res<()> {
        let fi = self.frames.len() - 1;
        if self.frames[fi].flags & FRAME_NONATOMIC == 0 || self.sched.is_none() {
            return Err(self.atomicity_error("'sibling'"));
        }
        let ip = self.frames[fi].ip.saturating_sub(1) as u32;
        let Some(s) = self.sched.as_mut() else {
            return Err(Error::runtime_error("no scheduler"));
        };
        let cur = s.current;
        let interrupted = match s.thread(cur) {
            Some(t) => t.interrupt().is_some(),
            None => return Err(Error::runtime_error("no current thread")),
        };
        if interrupted {
            return Err(Error::new(
                ExcType::AtomicityError,
                "cannot start a sibling while the thread is being interrupted",
            ));
        }
        let serial = s.new_serial();
        let creator = Creator::new(cur, fi as u32, ip);
        let tid = s.add_thread(Thread::new(
            serial,
            StartCall { func, args, kw },
            Some(creator),
        ));
        s.runq.push_back(tid);
        if let Some(t) = s.thread_mut(cur) {
            let depth = fi as u32;
            match t.group_mut(depth) {
                Some(g) => {
                    g.children.push((tid, serial));
                    g.live += 1;
                }
                None => t.groups_mut().push(Group {
                    depth,
                    children: vec![(tid, serial)],
                    live: 1,
                    first: None,
                    later: Vec::new(),
                    leaving: Leaving::No,
                    interrupted: false,
                }),
            }
        }
        self.frames[fi].flags |= FRAME_SIBLINGS;
        Ok(())
    }

    /// A frame with siblings is returning [v] (the frame is on top, its ip
    /// just past the Return). Returns Ok(None) to go on returning,
    /// Ok(Some(err)) to raise err from the caller instead (the frame is
    /// popped), or Err(Suspend) after parking to join.
    pub fn join_on_return(&mut self, v: &Value) -> Res<Option<Error>> {
        let fi = self.frames.len() - 1;
        let depth = fi as u32;
        let Some(g) = self.cur_group(depth) else {
            return Ok(None);
        };
        if g.live > 0 {
            g.leaving = Leaving::Return;
            self.frames[fi].ip -= 1;
            self.spush(v.clone());
            self.park("join", None);
            return Err(Error::Suspend);
        }
        Ok(self.close_group(depth).map(Error::Raised))
    }

    /// An exception [exc] is leaving the frame on top, which started
    /// siblings. Returns the exception to go on with, or Err(Suspend)
    /// after parking to join the siblings first.
    pub fn join_on_raise(&mut self, exc: Value) -> Res<Value> {
        let depth = (self.frames.len() - 1) as u32;
        let quiet = self.is_interrupt(&exc);
        let Some(g) = self.cur_group(depth) else {
            return Ok(exc);
        };
        // Leaving::Raise: back from the join, [exc] already recorded.
        if !matches!(g.leaving, Leaving::Raise(_)) {
            if !quiet {
                match g.first {
                    None => g.first = Some(exc.clone()),
                    Some(_) => g.later.push(exc.clone()),
                }
            }
            if g.live > 0 {
                g.leaving = Leaving::Raise(exc.clone());
                let tid = self.sched.as_ref().map_or(0, |s| s.current);
                self.interrupt_group(tid, depth);
                if self.cur_group(depth).is_some_and(|g| g.live > 0) {
                    self.park("join", None);
                    return Err(Error::Suspend);
                }
            }
        }
        Ok(self.close_group(depth).unwrap_or(exc))
    }

    /// The sibling group of the running thread's frame at [depth].
    fn cur_group(&mut self, depth: u32) -> Option<&mut Group> {
        self.sched.as_mut()?.cur()?.group_mut(depth)
    }

    /// Raises a pending interruption's state (the caller raises the
    /// exception); false if none is pending.
    fn deliver_pending_interrupt(&mut self) -> bool {
        let Some(t) = self.sched.as_mut().and_then(|s| s.cur()) else {
            return false;
        };
        match t.take_pending() {
            Some(p) => {
                t.set_interrupt(Some(p));
                true
            }
            None => false,
        }
    }

    fn is_interrupt(&mut self, exc: &Value) -> bool {
        self.error_is(&Error::Raised(exc.clone()), ExcType::Interrupted)
    }

    /// Removes the finished group of the frame at [depth]; returns its
    /// first failure (with later ones as `__siblings__`).
    fn close_group(&mut self, depth: u32) -> Option<Value> {
        let t = self.sched.as_mut()?.cur()?;
        let i = t.groups().iter().position(|g| g.depth == depth)?;
        let g = t.groups_mut().swap_remove(i);
        let first = g.first?;
        if !g.later.is_empty() {
            let later = Value::list(g.later);
            with_exc_data(&first, |d| *d.siblings.borrow_mut() = later);
        }
        Some(first)
    }

    /// Called when the frame at [depth] leaves (by return or exception):
    /// interruptions aimed at it or inside it are over.
    pub fn frame_left(&mut self, depth: usize) {
        let Some(t) = self.sched.as_mut().and_then(|s| s.cur()) else {
            return;
        };
        let d = depth as u32;
        if t.interrupt().is_some_and(|x| x.depth() >= d) {
            t.set_interrupt(None);
        }
        if t.pending().is_some_and(|x| x.depth() >= d) {
            t.set_pending(None);
        }
    }

    /// The interrupted state of the running thread (for `with timeout`).
    pub fn current_interrupt(&mut self) -> Option<Target> {
        self.sched.as_mut()?.cur()?.interrupt()
    }

    pub fn clear_interrupt(&mut self) {
        if let Some(t) = self.sched.as_mut().and_then(|s| s.cur()) {
            t.set_interrupt(None);
        }
    }
}
