//! `con` synchronisation objects (SPEC §3.4): Queue, Event, Value,
//! Semaphore and Lock. They follow the switching protocol of the pipe in
//! `mod_con.rs`: `vm.begin_switch` first, then finish at once or park the
//! thread in the object's wait list and return `Error::Suspend`; whoever
//! causes the event wakes the waiters in FIFO order.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use super::mod_con::{add_switching_method, wake_first, Waiter};
use super::mod_con_chan::{new_link, self_value, with_self_link, Channel, SelfLink};
use super::stdlib_data::native_class;
use super::{add_method, arg_or_kw, check_args, kwarg, no_kwargs};
use crate::runtime::Wake;
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn install(vm: &mut Vm, m: &ModuleObj) {
    let classes = [
        ("Queue", queue_class(vm)),
        ("Event", event_class(vm)),
        ("Value", value_class(vm)),
        ("Semaphore", sem_class(vm, false)),
        ("Lock", sem_class(vm, true)),
    ];
    for (name, c) in classes {
        m.set_str(name, Value::Class(c));
    }
}

/// Wakes every live waiter of [q], in order, with [wake].
fn wake_all(vm: &mut Vm, q: &RefCell<VecDeque<Waiter>>, wake: impl Fn() -> Wake) {
    let waiters: Vec<Waiter> = q.borrow_mut().drain(..).collect();
    for (tid, token) in waiters {
        vm.wake(tid, token, wake());
    }
}

/// The number of waiters in [q] still parked there.
fn live_waiters(vm: &Vm, q: &RefCell<VecDeque<Waiter>>) -> usize {
    q.borrow()
        .iter()
        .filter(|(tid, token)| vm.waiter_alive(*tid, *token))
        .count()
}

fn this<'a, T: NativeObject>(v: &'a Value, class: &str, what: &str) -> Res<&'a T> {
    downcast::<T>(v).ok_or_else(|| {
        Error::type_error(format!(
            "descriptor '{what}' requires a '{class}' object but received a '{}'",
            v.type_name()
        ))
    })
}

/// The optional integer argument after the receiver (or class), given
/// by position or as keyword [name].
fn int_arg(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], name: &str) -> Res<Option<i64>> {
    if args.len() > 1 && kwarg(kw, name).is_some() {
        return Err(Error::type_error(format!(
            "got multiple values for argument '{name}'"
        )));
    }
    match arg_or_kw(args, kw, 1, name) {
        Some(v) => Ok(Some(vm.index_value(v)?)),
        None => Ok(None),
    }
}

/// Rejects keyword arguments other than [allowed].
fn only_kwarg(func: &str, kw: &[(Sym, Value)], allowed: &str) -> Res<()> {
    match kw.iter().find(|(k, _)| k.as_str() != allowed) {
        Some((k, _)) => Err(Error::type_error(format!(
            "{func}() got an unexpected keyword argument '{}'",
            k.as_str()
        ))),
        None => Ok(()),
    }
}

// ----- Queue ------------------------------------------------------------

/// A FIFO queue between threads; `maxsize` 0 means unbounded.
pub struct Queue {
    cls: Rc<ClassObj>,
    me: SelfLink,
    chan: Channel,
}

impl NativeObject for Queue {
    fn type_name(&self) -> &str {
        "Queue"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn is_iterator(&self) -> bool {
        true
    }
    fn next(&self, vm: &mut Vm) -> Res<Option<Value>> {
        self.chan.get(vm, self_value(&self.me), "next", "get")
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        self.chan.traverse(f);
    }
    fn clear(&self) {
        self.chan.clear();
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        Ok(Some(format!(
            "<Queue size={} maxsize={}{}>",
            self.chan.items.borrow().len(),
            self.chan.capacity,
            if self.chan.closed.get() {
                " closed"
            } else {
                ""
            }
        )))
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "maxsize" => Some(Value::Int(self.chan.capacity as i64)),
            "closed" => Some(Value::bool(self.chan.closed.get())),
            _ => None,
        })
    }
}

fn queue_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "con.Queue",
        "con",
        "Queue",
        None,
        Builtin::Object,
        |vm, c| {
            add_method(vm, c, "__new__", queue_new);
            add_switching_method(vm, c, "put", queue_put);
            add_switching_method(vm, c, "get", queue_get);
            add_method(vm, c, "close", queue_close);
            add_method(vm, c, "qsize", queue_qsize);
            add_method(vm, c, "empty", queue_empty);
            add_method(vm, c, "full", queue_full);
            add_method(vm, c, "__iter__", same);
        },
    )
}

fn queue_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("Queue", args, 1, 2)?;
    only_kwarg("Queue", kw, "maxsize")?;
    // As in Python, a maxsize of zero or less means unbounded.
    let maxsize = int_arg(vm, args, kw, "maxsize")?.unwrap_or(0).max(0) as usize;
    let cls = queue_class(vm);
    Ok(with_self_link(
        Queue {
            cls,
            me: new_link(),
            chan: Channel::new(maxsize, "queue"),
        },
        |q| &q.me,
    ))
}

fn queue_put(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("put", args, 2, 2)?;
    no_kwargs("put", kw)?;
    let q = this::<Queue>(&args[0], "Queue", "put")?;
    q.chan.put(vm, args[0].clone(), args[1].clone())
}

fn queue_get(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("get", args, 1, 1)?;
    no_kwargs("get", kw)?;
    let q = this::<Queue>(&args[0], "Queue", "get")?;
    q.chan.get_or_end(vm, args[0].clone())
}

fn queue_close(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("close", args, 1, 1)?;
    no_kwargs("close", kw)?;
    this::<Queue>(&args[0], "Queue", "close")?.chan.close(vm);
    Ok(Value::None)
}

fn queue_qsize(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("qsize", args, 1, 1)?;
    no_kwargs("qsize", kw)?;
    let q = this::<Queue>(&args[0], "Queue", "qsize")?;
    Ok(Value::Int(q.chan.items.borrow().len() as i64))
}

fn queue_empty(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("empty", args, 1, 1)?;
    no_kwargs("empty", kw)?;
    let q = this::<Queue>(&args[0], "Queue", "empty")?;
    Ok(Value::bool(q.chan.items.borrow().is_empty()))
}

fn queue_full(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("full", args, 1, 1)?;
    no_kwargs("full", kw)?;
    let q = this::<Queue>(&args[0], "Queue", "full")?;
    Ok(Value::bool(q.chan.is_full()))
}

/// `__iter__` of an object that is its own iterator.
fn same(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__iter__", args, 1, 1)?;
    Ok(args[0].clone())
}

// ----- Event ------------------------------------------------------------

/// A flag threads can wait for.
pub struct Event {
    cls: Rc<ClassObj>,
    flag: Cell<bool>,
    waiters: RefCell<VecDeque<Waiter>>,
}

impl NativeObject for Event {
    fn type_name(&self) -> &str {
        "Event"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        let state = if self.flag.get() { "set" } else { "unset" };
        Ok(Some(format!("<Event {state}>")))
    }
}

fn event_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "con.Event",
        "con",
        "Event",
        None,
        Builtin::Object,
        |vm, c| {
            add_method(vm, c, "__new__", event_new);
            add_method(vm, c, "set", event_set);
            add_method(vm, c, "clear", event_clear);
            add_method(vm, c, "is_set", event_is_set);
            add_switching_method(vm, c, "wait", event_wait);
        },
    )
}

fn event_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("Event", args, 1, 1)?;
    no_kwargs("Event", kw)?;
    let cls = event_class(vm);
    Ok(Value::object(Event {
        cls,
        flag: Cell::new(false),
        waiters: RefCell::new(VecDeque::new()),
    }))
}

fn event_set(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("set", args, 1, 1)?;
    no_kwargs("set", kw)?;
    let e = this::<Event>(&args[0], "Event", "set")?;
    e.flag.set(true);
    wake_all(vm, &e.waiters, || Wake::Value(Value::Bool(Truth::True)));
    Ok(Value::None)
}

fn event_clear(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("clear", args, 1, 1)?;
    no_kwargs("clear", kw)?;
    this::<Event>(&args[0], "Event", "clear")?.flag.set(false);
    Ok(Value::None)
}

fn event_is_set(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("is_set", args, 1, 1)?;
    no_kwargs("is_set", kw)?;
    let e = this::<Event>(&args[0], "Event", "is_set")?;
    Ok(Value::bool(e.flag.get()))
}

fn event_wait(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("wait", args, 1, 1)?;
    no_kwargs("wait", kw)?;
    let e = this::<Event>(&args[0], "Event", "wait")?;
    vm.begin_switch("wait")?;
    if e.flag.get() {
        return Ok(Value::Bool(Truth::True));
    }
    let w = vm.park("wait", Some(args[0].clone()));
    e.waiters.borrow_mut().push_back(w);
    Err(Error::Suspend)
}

// ----- Value ------------------------------------------------------------

/// A variable whose changes threads can wait for.
pub struct ValueBox {
    cls: Rc<ClassObj>,
    value: RefCell<Value>,
    waiters: RefCell<VecDeque<Waiter>>,
}

impl NativeObject for ValueBox {
    fn type_name(&self) -> &str {
        "Value"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.value.borrow());
    }
    fn clear(&self) {
        *self.value.borrow_mut() = Value::None;
    }
    fn repr(&self, vm: &mut Vm) -> Res<Option<String>> {
        // The VM's guard against self-containing values, keyed by our
        // address (a Value may hold itself, directly or in a list).
        let key = self as *const Self as usize;
        if vm.repr_guard.contains(&key) {
            return Ok(Some("<Value ...>".to_string()));
        }
        if vm.repr_guard.len() >= 300 {
            return Err(Error::new(
                ExcType::RecursionError,
                "maximum recursion depth exceeded while getting the repr of an object",
            ));
        }
        vm.repr_guard.push(key);
        let v = self.value.borrow().clone();
        let r = vm.repr(&v);
        vm.repr_guard.pop();
        Ok(Some(format!("<Value {}>", r?)))
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "value" => Some(self.value.borrow().clone()),
            _ => None,
        })
    }
}

fn value_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "con.Value",
        "con",
        "Value",
        None,
        Builtin::Object,
        |vm, c| {
            add_method(vm, c, "__new__", value_new);
            add_method(vm, c, "set", value_set);
            add_switching_method(vm, c, "wait", value_wait);
        },
    )
}

fn value_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("Value", args, 1, 2)?;
    only_kwarg("Value", kw, "value")?;
    if args.len() > 1 && !kw.is_empty() {
        return Err(Error::type_error(
            "got multiple values for argument 'value'",
        ));
    }
    let init = arg_or_kw(args, kw, 1, "value")
        .cloned()
        .unwrap_or(Value::None);
    let cls = value_class(vm);
    Ok(Value::object(ValueBox {
        cls,
        value: RefCell::new(init),
        waiters: RefCell::new(VecDeque::new()),
    }))
}

fn value_set(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("set", args, 2, 2)?;
    no_kwargs("set", kw)?;
    let b = this::<ValueBox>(&args[0], "Value", "set")?;
    let v = args[1].clone();
    // The old value is dropped only after the borrow ends (its destructor
    // may run user code).
    let old = b.value.replace(v.clone());
    wake_all(vm, &b.waiters, || Wake::Value(v.clone()));
    drop(old);
    Ok(Value::None)
}

fn value_wait(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("wait", args, 1, 1)?;
    no_kwargs("wait", kw)?;
    let b = this::<ValueBox>(&args[0], "Value", "wait")?;
    vm.begin_switch("wait")?;
    let w = vm.park("wait", Some(args[0].clone()));
    b.waiters.borrow_mut().push_back(w);
    Err(Error::Suspend)
}

// ----- Semaphore and Lock -------------------------------------------------

/// A counting semaphore; a Lock is one with a single permit whose
/// release while unlocked is an error.
pub struct Semaphore {
    cls: Rc<ClassObj>,
    count: Cell<i64>,
    lock: bool,
    waiters: RefCell<VecDeque<Waiter>>,
}

impl Semaphore {
    /// Gives [n] permits back: straight to the first live waiters (so no
    /// newcomer can overtake them), the rest to the count.
    fn release(&self, vm: &mut Vm, n: i64) -> Res<()> {
        if self.lock && self.count.get() > 0 {
            return Err(Error::runtime_error("release unlocked lock"));
        }
        let mut left = n;
        // Handoff: a permit must reach its new owner even if an
        // interruption lands before it runs, or it would be lost.
        while left > 0
            && wake_first(vm, &self.waiters, || {
                Wake::Handoff(Value::Bool(Truth::True))
            })
        {
            left -= 1;
        }
        self.count.set(self.count.get().saturating_add(left));
        Ok(())
    }
}

impl NativeObject for Semaphore {
    fn type_name(&self) -> &str {
        if self.lock {
            "Lock"
        } else {
            "Semaphore"
        }
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn repr(&self, vm: &mut Vm) -> Res<Option<String>> {
        let n = live_waiters(vm, &self.waiters);
        let waiters = if n > 0 {
            format!(" waiters={n}")
        } else {
            String::new()
        };
        Ok(Some(if self.lock {
            let state = if self.count.get() > 0 {
                "unlocked"
            } else {
                "locked"
            };
            format!("<Lock {state}{waiters}>")
        } else {
            format!("<Semaphore value={}{waiters}>", self.count.get())
        }))
    }
}

fn sem_class(vm: &mut Vm, lock: bool) -> Rc<ClassObj> {
    if lock {
        native_class(
            vm,
            "con.Lock",
            "con",
            "Lock",
            None,
            Builtin::Object,
            |vm, c| {
                add_method(vm, c, "__new__", lock_new);
                sem_methods(vm, c);
            },
        )
    } else {
        native_class(
            vm,
            "con.Semaphore",
            "con",
            "Semaphore",
            None,
            Builtin::Object,
            |vm, c| {
                add_method(vm, c, "__new__", sem_new);
                sem_methods(vm, c);
            },
        )
    }
}

fn sem_methods(vm: &mut Vm, c: &Rc<ClassObj>) {
    add_switching_method(vm, c, "acquire", sem_acquire);
    add_method(vm, c, "release", sem_release);
    add_method(vm, c, "locked", sem_locked);
}

fn new_sem(vm: &mut Vm, count: i64, lock: bool) -> Value {
    let cls = sem_class(vm, lock);
    Value::object(Semaphore {
        cls,
        count: Cell::new(count),
        lock,
        waiters: RefCell::new(VecDeque::new()),
    })
}

fn sem_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("Semaphore", args, 1, 2)?;
    only_kwarg("Semaphore", kw, "value")?;
    let n = int_arg(vm, args, kw, "value")?.unwrap_or(1);
    if n < 0 {
        return Err(Error::value_error("semaphore initial value must be >= 0"));
    }
    Ok(new_sem(vm, n, false))
}

fn lock_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("Lock", args, 1, 1)?;
    no_kwargs("Lock", kw)?;
    Ok(new_sem(vm, 1, true))
}

fn sem_of<'a>(v: &'a Value, what: &str) -> Res<&'a Semaphore> {
    this::<Semaphore>(v, "Semaphore", what)
}

fn sem_acquire(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("acquire", args, 1, 1)?;
    no_kwargs("acquire", kw)?;
    let s = sem_of(&args[0], "acquire")?;
    vm.begin_switch("acquire")?;
    // A positive count means nobody waits (release hands permits to
    // waiters first), so taking one keeps the order FIFO.
    if s.count.get() > 0 {
        s.count.set(s.count.get() - 1);
        return Ok(Value::Bool(Truth::True));
    }
    let w = vm.park("acquire", Some(args[0].clone()));
    s.waiters.borrow_mut().push_back(w);
    Err(Error::Suspend)
}

fn sem_release(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("release", args, 1, 2)?;
    let s = sem_of(&args[0], "release")?;
    if s.lock {
        check_args("release", args, 1, 1)?;
        no_kwargs("release", kw)?;
    } else {
        only_kwarg("release", kw, "n")?;
    }
    let n = int_arg(vm, args, kw, "n")?.unwrap_or(1);
    if n < 1 {
        return Err(Error::value_error("n must be one or more"));
    }
    s.release(vm, n)?;
    Ok(Value::None)
}

fn sem_locked(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("locked", args, 1, 1)?;
    no_kwargs("locked", kw)?;
    Ok(Value::bool(sem_of(&args[0], "locked")?.count.get() == 0))
}
