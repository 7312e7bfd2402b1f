//! A micro-thread: its frame chain and value stack (swapped into the VM
//! while it runs), its scheduling state and its place in the cactus stack.

use crate::vm::frame::Frame;
use crate::vm::value::{Sym, Value};

/// Index of a thread in the scheduler's table.
pub type Tid = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// In the run queue.
    Runnable,
    /// Its frames are in the VM.
    Running,
    /// Parked on something (see `Thread::wait`).
    Blocked,
}

/// What the thread does when it next runs.
pub enum Wake {
    /// Continue the dispatch loop as it is.
    Continue,
    /// Make the thread's first call, of this callable with the positional
    /// arguments waiting on the thread's own stack (no other allocation).
    Start(Value),
    /// The first call with keyword arguments.
    StartKw(Box<StartCall>),
    /// The switching call returns this value.
    Value(Value),
    /// The switching call returns a value another thread handed over
    /// (a pipe or queue item): it must reach the thread even if an
    /// interruption lands first.
    Handoff(Value),
    /// The switching call raises this exception.
    Throw(Value),
    /// The frame joining its siblings may go on (they have all ended).
    Rejoin,
    /// Not a wake: the thread is parked, waiting on this object (None if
    /// there is none to show).
    Parked(Value),
    /// Its descriptor is ready: run the I/O operation now, then go on as
    /// it says (or park again if it still would block).
    Retry(Box<Retry>),
}

pub struct Retry {
    pub op: crate::runtime::io::registry::IoOp,
    pub again: crate::runtime::io::registry::Again,
}

pub struct StartCall {
    pub func: Value,
    pub args: Vec<Value>,
    pub kw: Vec<(Sym, Value)>,
}

/// Where an interruption stops: the frame at [depth] of the thread's
/// frame list (scope 0), or the `with timeout` block with that scope id
/// inside it. Ordered so that a smaller target encloses a larger one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    /// depth + 1, so that `Option<Target>` needs no extra tag.
    depth1: std::num::NonZeroU32,
    pub scope: u32,
}

impl Target {
    pub fn new(depth: u32, scope: u32) -> Target {
        let depth1 =
            std::num::NonZeroU32::new(depth.saturating_add(1)).unwrap_or(std::num::NonZeroU32::MAX);
        Target { depth1, scope }
    }
    /// The thread's root frame.
    pub fn root() -> Target {
        Target::new(0, 0)
    }
    pub fn depth(self) -> u32 {
        self.depth1.get() - 1
    }
}

/// The frame that started a thread: the thread's link in the cactus stack.
/// (The creator thread outlives the thread: its frame joins it.)
#[derive(Clone, Copy)]
pub struct Creator {
    pub tid: Tid,
    /// depth + 1, so that `Option<Creator>` needs no extra tag and the
    /// link fits in the thread record's header.
    depth1: std::num::NonZeroU32,
    /// The `sibling` statement in the creator frame, for tracebacks.
    pub ip: u32,
}

impl Creator {
    pub fn new(tid: Tid, depth: u32, ip: u32) -> Creator {
        let depth1 =
            std::num::NonZeroU32::new(depth.saturating_add(1)).unwrap_or(std::num::NonZeroU32::MAX);
        Creator { tid, depth1, ip }
    }
    pub fn depth(self) -> u32 {
        self.depth1.get() - 1
    }
}

/// How a frame with live siblings is leaving, while it waits for them.
pub enum Leaving {
    /// Still running (has not tried to leave yet).
    No,
    /// Returning: the Return instruction runs again after the join.
    Return,
    /// Raising this exception.
    Raise(Value),
}

/// The siblings started by one frame.
pub struct Group {
    pub depth: u32,
    /// Every sibling started, in order, as (tid, serial); entries whose
    /// thread has ended are skipped by comparing serials.
    pub children: Vec<(Tid, u32)>,
    pub live: usize,
    /// The first failure, and the ones raised after it.
    pub first: Option<Value>,
    pub later: Vec<Value>,
    pub leaving: Leaving,
    /// The siblings have been interrupted already.
    pub interrupted: bool,
}

/// The rarely used parts of a thread, boxed so that a thread that never
/// handles an exception, starts siblings or is interrupted stays small.
#[derive(Default)]
pub struct Extra {
    /// Exceptions being handled.
    pub handled: Vec<Value>,
    /// Sibling groups of its frames.
    pub groups: Vec<Group>,
    /// An interruption to raise at the next switch point.
    pub pending: Option<Target>,
    /// The interruption travelling to its target (the interrupted state).
    pub interrupt: Option<Target>,
}

pub struct Thread {
    /// The number shown in reports (1 is the root thread).
    pub serial: u32,
    pub state: State,
    pub stack: Vec<Value>,
    pub frames: Vec<Frame>,
    /// Changes at every block, so stale wait-list entries can be told
    /// from live ones.
    pub token: u64,
    /// Runnable: what to do when it next runs. Blocked: `Wake::Parked`
    /// with the object it waits on.
    pub wake: Wake,
    /// What a blocked thread waits in ("get", "join", ...), for reports.
    pub what: &'static str,
    pub creator: Option<Creator>,
    pub extra: Option<Box<Extra>>,
}

impl Thread {
    pub fn new(serial: u32, start: StartCall, creator: Option<Creator>) -> Thread {
        let StartCall { func, args, kw } = start;
        let (wake, stack) = if kw.is_empty() {
            // Sized for the root frame: a parked thread's memory is mostly
            // its stack and frame record.
            let need = match &func {
                Value::Function(f) => f.code.nlocals as usize + f.code.max_stack as usize,
                _ => 0,
            };
            let mut stack = Vec::with_capacity(need.max(args.len()));
            stack.extend(args);
            (Wake::Start(func), stack)
        } else {
            (
                Wake::StartKw(Box::new(StartCall { func, args, kw })),
                Vec::new(),
            )
        };
        Thread {
            serial,
            state: State::Runnable,
            stack,
            frames: Vec::new(),
            token: 0,
            wake,
            what: "",
            creator,
            extra: None,
        }
    }

    fn extra_mut(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Default::default)
    }

    /// Blocked in [what] (e.g. "join").
    pub fn waits_in(&self, what: &str) -> bool {
        self.state == State::Blocked && self.what == what
    }

    /// The object a blocked thread waits on.
    pub fn wait_obj(&self) -> Option<&Value> {
        match (&self.state, &self.wake) {
            (State::Blocked, Wake::Parked(v)) => Some(v),
            _ => None,
        }
    }

    pub fn interrupt(&self) -> Option<Target> {
        self.extra.as_ref().and_then(|e| e.interrupt)
    }

    pub fn set_interrupt(&mut self, i: Option<Target>) {
        if i.is_some() || self.extra.is_some() {
            self.extra_mut().interrupt = i;
        }
    }

    pub fn pending(&self) -> Option<Target> {
        self.extra.as_ref().and_then(|e| e.pending)
    }

    pub fn set_pending(&mut self, p: Option<Target>) {
        if p.is_some() || self.extra.is_some() {
            self.extra_mut().pending = p;
        }
    }

    pub fn take_pending(&mut self) -> Option<Target> {
        self.extra.as_mut().and_then(|e| e.pending.take())
    }

    pub fn take_handled(&mut self) -> Vec<Value> {
        self.extra
            .as_mut()
            .map_or_else(Vec::new, |e| std::mem::take(&mut e.handled))
    }

    pub fn set_handled(&mut self, h: Vec<Value>) {
        if !h.is_empty() || self.extra.is_some() {
            self.extra_mut().handled = h;
        }
    }

    pub fn groups(&self) -> &[Group] {
        self.extra.as_ref().map_or(&[], |e| &e.groups)
    }

    pub fn groups_mut(&mut self) -> &mut Vec<Group> {
        &mut self.extra_mut().groups
    }

    pub fn group_mut(&mut self, depth: u32) -> Option<&mut Group> {
        self.extra
            .as_mut()?
            .groups
            .iter_mut()
            .find(|g| g.depth == depth)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes() {
        eprintln!(
            "Thread {} Frame {} Wake {} Group {}",
            std::mem::size_of::<super::Thread>(),
            std::mem::size_of::<crate::vm::frame::Frame>(),
            std::mem::size_of::<super::Wake>(),
            std::mem::size_of::<super::Group>()
        );
    }
}
