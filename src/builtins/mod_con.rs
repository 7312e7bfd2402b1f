//! `_con`: the native half of the `con` module (SPEC §3.4): `bootstrap`,
//! `idle@`, `sleep@`, micro-pipes, `timeout`, `threads`. The sync
//! objects (Queue, Event, Value, Semaphore, Lock) are in
//! `mod_con_sync.rs`; `gather@`, `race@` and `pipeline@` are written in
//! con in `stdlib/con.con`.
//!
//! Switching primitives follow one protocol: `vm.begin_switch(name)?`
//! first (atomicity checks, pending interruptions), then either finish at
//! once or park the thread, record (tid, token) where the event will
//! find it, and return `Error::Suspend`.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use super::stdlib_data::native_class;
use super::{add_attr, add_fn, add_method, check_args};
use crate::runtime::sched::{TimeoutScope, TimerKind};
use crate::runtime::{Target, Tid, Wake};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("_con", None);
    add_fn(vm, &m, "bootstrap", bootstrap);
    add_switching_fn(vm, &m, "idle", idle);
    add_switching_fn(vm, &m, "sleep", sleep);
    add_fn(vm, &m, "pipe", pipe_new);
    add_fn(vm, &m, "timeout", timeout_new);
    add_fn(vm, &m, "threads", threads);
    let pc = pipe_class(vm);
    m.set_str("Pipe", Value::Class(pc));
    for name in [
        "Interrupted",
        "AtomicityError",
        "EndOfPipe",
        "MicroThreadExit",
        "DeadlockError",
        "TimeoutError",
    ] {
        m.set_str(name, Value::Class(vm.types.exc_named(name)));
    }
    super::mod_con_sync::install(vm, &m);
    m
}

/// A native function that switches threads (must be called with `@`).
pub fn switching(name: &'static str, func: NativeFnPtr) -> Value {
    Value::Native(Rc::new(NativeFn {
        name,
        func,
        data: None,
        kind: NativeKind::Switching,
    }))
}

pub fn add_switching_fn(vm: &mut Vm, m: &ModuleObj, name: &'static str, f: NativeFnPtr) {
    let sym = vm.intern(name);
    m.set(&sym, switching(name, f));
}

pub fn add_switching_method(vm: &mut Vm, c: &Rc<ClassObj>, name: &'static str, f: NativeFnPtr) {
    add_attr(vm, c, name, switching(name, f));
}

/// A float number of seconds.
pub fn seconds_arg(v: &Value, what: &str) -> Res<f64> {
    match crate::vm::num::to_f64(v) {
        Some(r) => r,
        None => Err(Error::type_error(format!(
            "{what}: a number of seconds is required, not '{}'",
            v.type_name()
        ))),
    }
}

fn bootstrap(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let Some(main) = args.first() else {
        return Err(Error::type_error(
            "bootstrap() missing required argument: 'main'",
        ));
    };
    vm.bootstrap(main.clone(), args[1..].to_vec(), kw.to_vec())
}

fn idle(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("idle", args, 0, 0)?;
    vm.begin_switch("idle")?;
    Err(vm.yield_now())
}

fn sleep(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("sleep", args, 1, 1)?;
    let secs = seconds_arg(&args[0], "sleep()")?;
    let at = Vm::deadline_after(secs)?;
    vm.begin_switch("sleep")?;
    if secs == 0.0 {
        return Err(vm.yield_now());
    }
    Err(vm.sleep_until(at))
}

fn threads(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("threads", args, 0, 0)?;
    Ok(vm.threads_snapshot())
}

/// A parked thread, as stored in a wait list.
pub type Waiter = (Tid, u64);

/// Wakes the first live waiter of [q] with [wake]; false if none.
pub fn wake_first(vm: &mut Vm, q: &RefCell<VecDeque<Waiter>>, wake: impl Fn() -> Wake) -> bool {
    loop {
        let w = q.borrow_mut().pop_front();
        match w {
            Some((tid, token)) => {
                if vm.wake(tid, token, wake()) {
                    return true;
                }
            }
            None => return false,
        }
    }
}

/// A new instance of built-in exception [t] with no arguments.
pub fn exc(vm: &mut Vm, t: ExcType) -> Value {
    let cls = vm.types.exc(t);
    vm.new_exception(&cls, Vec::new())
}

// ----- pipes ------------------------------------------------------------

/// A micro-pipe: room for one value between a writer and a reader.
pub struct Pipe {
    cls: Rc<ClassObj>,
    slot: RefCell<Option<Value>>,
    closed: Cell<bool>,
    readers: RefCell<VecDeque<Waiter>>,
    /// Writers waiting for the slot, each with the value it puts.
    writers: RefCell<VecDeque<(Tid, u64, Value)>>,
}

impl Pipe {
    /// `get@()`; Ok(None) when closed and empty (the caller decides
    /// between EndOfPipe and the end of a `for@`).
    fn get(&self, vm: &mut Vm, me: &Value, name: &str) -> Res<Option<Value>> {
        vm.begin_switch(name)?;
        let taken = self.slot.borrow_mut().take();
        if let Some(v) = taken {
            // The first waiting writer's value moves into the slot.
            loop {
                let w = self.writers.borrow_mut().pop_front();
                let Some((tid, token, val)) = w else { break };
                if vm.waiter_alive(tid, token) {
                    *self.slot.borrow_mut() = Some(val);
                    vm.wake(tid, token, Wake::Value(Value::None));
                    break;
                }
            }
            return Ok(Some(v));
        }
        if self.closed.get() {
            return Ok(None);
        }
        // `for@`/`next@` reach the pipe without its Value.
        let w = if me.is_none() {
            vm.park("next on a pipe", None)
        } else {
            vm.park("get", Some(me.clone()))
        };
        self.readers.borrow_mut().push_back(w);
        Err(Error::Suspend)
    }

    fn put(&self, vm: &mut Vm, me: &Value, v: Value) -> Res<Value> {
        vm.begin_switch("put")?;
        if self.closed.get() {
            return Err(Error::new(
                ExcType::MicroThreadExit,
                "put@() on a closed pipe",
            ));
        }
        // A waiting reader takes the value directly.
        loop {
            let r = self.readers.borrow_mut().pop_front();
            let Some((tid, token)) = r else { break };
            if vm.wake(tid, token, Wake::Handoff(v.clone())) {
                return Ok(Value::None);
            }
        }
        if self.slot.borrow().is_none() {
            *self.slot.borrow_mut() = Some(v);
            return Ok(Value::None);
        }
        let (tid, token) = vm.park("put", Some(me.clone()));
        self.writers.borrow_mut().push_back((tid, token, v));
        Err(Error::Suspend)
    }

    fn close(&self, vm: &mut Vm) {
        if self.closed.replace(true) {
            return;
        }
        let readers: Vec<Waiter> = self.readers.borrow_mut().drain(..).collect();
        for (tid, token) in readers {
            if vm.waiter_alive(tid, token) {
                let e = exc(vm, ExcType::EndOfPipe);
                vm.wake(tid, token, Wake::Throw(e));
            }
        }
        let writers: Vec<(Tid, u64, Value)> = self.writers.borrow_mut().drain(..).collect();
        for (tid, token, _) in writers {
            if vm.waiter_alive(tid, token) {
                let e = exc(vm, ExcType::MicroThreadExit);
                vm.wake(tid, token, Wake::Throw(e));
            }
        }
    }
}

impl NativeObject for Pipe {
    fn type_name(&self) -> &str {
        "pipe"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn is_iterator(&self) -> bool {
        true
    }
    fn next(&self, vm: &mut Vm) -> Res<Option<Value>> {
        // `for@ x in p` / `next@(p)`: the pipe object itself is needed for
        // the wait report, which `next` does not get; a placeholder will do.
        self.get(vm, &Value::None, "next")
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        if let Some(v) = &*self.slot.borrow() {
            f(v);
        }
        for (_, _, v) in self.writers.borrow().iter() {
            f(v);
        }
    }
    fn clear(&self) {
        self.slot.borrow_mut().take();
        self.writers.borrow_mut().clear();
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        let state = if self.closed.get() {
            "closed"
        } else if self.slot.borrow().is_some() {
            "full"
        } else {
            "empty"
        };
        Ok(Some(format!("<pipe {state}>")))
    }
}

fn pipe_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "con.pipe",
        "con",
        "pipe",
        None,
        Builtin::Object,
        |vm, c| {
            add_switching_method(vm, c, "put", pipe_put);
            add_switching_method(vm, c, "get", pipe_get);
            add_method(vm, c, "close", pipe_close);
            add_method(vm, c, "__iter__", pipe_iter);
        },
    )
}

fn pipe_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("pipe", args, 0, 0)?;
    let cls = pipe_class(vm);
    let p = Value::object(Pipe {
        cls,
        slot: RefCell::new(None),
        closed: Cell::new(false),
        readers: RefCell::new(VecDeque::new()),
        writers: RefCell::new(VecDeque::new()),
    });
    Ok(p)
}

fn this_pipe<'a>(v: &'a Value, what: &str) -> Res<&'a Pipe> {
    downcast::<Pipe>(v).ok_or_else(|| Error::type_error(format!("{what}() needs a pipe")))
}

fn pipe_put(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("put", args, 2, 2)?;
    let p = this_pipe(&args[0], "put")?;
    p.put(vm, &args[0], args[1].clone())
}

fn pipe_get(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("get", args, 1, 1)?;
    let p = this_pipe(&args[0], "get")?;
    match p.get(vm, &args[0], "get")? {
        Some(v) => Ok(v),
        None => Err(Error::new(ExcType::EndOfPipe, "get@() on a closed pipe")),
    }
}

fn pipe_close(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("close", args, 1, 1)?;
    this_pipe(&args[0], "close")?.close(vm);
    Ok(Value::None)
}

fn pipe_iter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__iter__", args, 1, 1)?;
    Ok(args[0].clone())
}

// ----- with timeout(seconds) ---------------------------------------------

struct Timeout {
    cls: Rc<ClassObj>,
    seconds: f64,
    scope: RefCell<Option<Rc<TimeoutScope>>>,
}

impl NativeObject for Timeout {
    fn type_name(&self) -> &str {
        "timeout"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
}

fn timeout_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "con.timeout",
        "con",
        "timeout",
        None,
        Builtin::Object,
        |vm, c| {
            add_method(vm, c, "__enter__", timeout_enter);
            add_method(vm, c, "__exit__", timeout_exit);
        },
    )
}

fn timeout_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("timeout", args, 1, 1)?;
    let seconds = seconds_arg(&args[0], "timeout()")?;
    Vm::deadline_after(seconds)?;
    let cls = timeout_class(vm);
    Ok(Value::object(Timeout {
        cls,
        seconds,
        scope: RefCell::new(None),
    }))
}

fn timeout_enter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let t = downcast::<Timeout>(&args[0]).ok_or_else(|| Error::type_error("timeout expected"))?;
    let at = Vm::deadline_after(t.seconds)?;
    let depth = vm.frames.len().saturating_sub(1) as u32;
    let Some(s) = vm.sched.as_mut() else {
        return Err(Error::runtime_error(
            "timeout() needs a running scheduler (inside con.bootstrap)",
        ));
    };
    let tid = s.current;
    let serial = s.thread(tid).map_or(0, |t| t.serial);
    let scope = Rc::new(TimeoutScope {
        tid,
        serial,
        target: Target::new(depth, s.new_scope()),
        armed: Cell::new(true),
        fired: Cell::new(false),
    });
    s.add_timer(at, TimerKind::Timeout(scope.clone()));
    *t.scope.borrow_mut() = Some(scope);
    Ok(args[0].clone())
}

fn timeout_exit(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let t = downcast::<Timeout>(&args[0]).ok_or_else(|| Error::type_error("timeout expected"))?;
    let Some(scope) = t.scope.borrow_mut().take() else {
        return Ok(Value::Bool(false));
    };
    scope.armed.set(false);
    if !scope.fired.get() {
        return Ok(Value::Bool(false));
    }
    // Our interruption, delivered or still pending, ends with the block.
    if let Some(th) = vm.sched.as_mut().and_then(|s| s.cur()) {
        if th.pending == Some(scope.target) {
            th.pending = None;
        }
    }
    let exc_v = args.get(2).cloned().unwrap_or(Value::None);
    let ours = vm.current_interrupt() == Some(scope.target);
    if ours {
        vm.clear_interrupt();
    }
    if ours && vm.error_is(&Error::Raised(exc_v), ExcType::Interrupted) {
        return Err(Error::new(ExcType::TimeoutError, "timed out"));
    }
    Ok(Value::Bool(false))
}
