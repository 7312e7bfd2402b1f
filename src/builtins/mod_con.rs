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

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use super::mod_con_chan::{new_link, self_value, with_self_link, Channel, SelfLink};
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
    crate::runtime::io::install(vm, &m);
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
    let at = Vm::deadline_after(secs, "sleep length")?;
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

// ----- pipes ------------------------------------------------------------

/// A micro-pipe: room for one value between a writer and a reader.
pub struct Pipe {
    cls: Rc<ClassObj>,
    me: SelfLink,
    chan: Channel,
}

impl NativeObject for Pipe {
    fn type_name(&self) -> &str {
        "pipe"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn is_iterator(&self) -> bool {
        true
    }
    fn next(&self, vm: &mut Vm) -> Res<Option<Value>> {
        self.chan.get(vm, self_value(&self.me), "next", "next")
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        self.chan.traverse(f);
    }
    fn clear(&self) {
        self.chan.clear();
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        let state = if self.chan.closed.get() {
            "closed"
        } else if self.chan.is_full() {
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
    Ok(with_self_link(
        Pipe {
            cls,
            me: new_link(),
            chan: Channel::new(1, "pipe"),
        },
        |p| &p.me,
    ))
}

fn this_pipe<'a>(v: &'a Value, what: &str) -> Res<&'a Pipe> {
    downcast::<Pipe>(v).ok_or_else(|| Error::type_error(format!("{what}() needs a pipe")))
}

fn pipe_put(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("put", args, 2, 2)?;
    let p = this_pipe(&args[0], "put")?;
    p.chan.put(vm, args[0].clone(), args[1].clone())
}

fn pipe_get(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("get", args, 1, 1)?;
    this_pipe(&args[0], "get")?
        .chan
        .get_or_end(vm, args[0].clone())
}

fn pipe_close(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("close", args, 1, 1)?;
    this_pipe(&args[0], "close")?.chan.close(vm);
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
    Vm::deadline_after(seconds, "timeout")?;
    let cls = timeout_class(vm);
    Ok(Value::object(Timeout {
        cls,
        seconds,
        scope: RefCell::new(None),
    }))
}

fn timeout_enter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let t = downcast::<Timeout>(&args[0]).ok_or_else(|| Error::type_error("timeout expected"))?;
    let at = Vm::deadline_after(t.seconds, "timeout")?;
    let depth = vm.frames.len().saturating_sub(1) as u32;
    let generator = vm
        .frames
        .last()
        .and_then(|f| f.generator.as_ref())
        .map_or(0, |g| Rc::as_ptr(g) as usize);
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
        generator,
        armed: Cell::new(true),
        rechecking: Cell::new(false),
        fired: Cell::new(false),
    });
    s.add_timer(at, TimerKind::Timeout(scope.clone()));
    *t.scope.borrow_mut() = Some(scope);
    Ok(args[0].clone())
}

fn timeout_exit(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let t = downcast::<Timeout>(&args[0]).ok_or_else(|| Error::type_error("timeout expected"))?;
    let Some(scope) = t.scope.borrow_mut().take() else {
        return Ok(Value::Bool(Truth::False));
    };
    scope.armed.set(false);
    if !scope.fired.get() {
        return Ok(Value::Bool(Truth::False));
    }
    // Our interruption, delivered or still pending, ends with the block.
    if let Some(th) = vm.sched.as_mut().and_then(|s| s.cur()) {
        if th.pending() == Some(scope.target) {
            th.set_pending(None);
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
    Ok(Value::Bool(Truth::False))
}
