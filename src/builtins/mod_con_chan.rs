//! The buffer and wait lists behind `con` pipes (room for one value) and
//! queues (bounded or not): one implementation of put/get/close, so the
//! hand-off and close rules of SPEC §3.4 hold for both alike.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};

use super::mod_con::Waiter;
use crate::runtime::{Tid, Wake};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::object::NativeObject;
use crate::vm::value::Value;
use crate::vm::Vm;

/// A weak link from an object to its own `Value`, so that `next` (which
/// only gets `&self`) can name the object in wait reports.
pub type SelfLink = RefCell<Weak<crate::vm::object::NativeBox>>;

pub fn new_link() -> SelfLink {
    RefCell::new(Weak::new())
}

/// Wraps [o] as a Value and lets it find itself through [link].
pub fn with_self_link<T: NativeObject>(o: T, link: fn(&T) -> &SelfLink) -> Value {
    let v = Value::object(o);
    if let Value::Object(rc) = &v {
        if let Some(t) = rc.downcast::<T>() {
            *link(t).borrow_mut() = Rc::downgrade(rc);
        }
    }
    v
}

pub fn self_value(link: &SelfLink) -> Value {
    link.borrow().upgrade().map_or(Value::None, Value::Object)
}

pub struct Channel {
    pub items: RefCell<VecDeque<Value>>,
    /// 0: unbounded.
    pub capacity: usize,
    pub closed: Cell<bool>,
    getters: RefCell<VecDeque<Waiter>>,
    /// Putters waiting for room, each with the value it puts.
    putters: RefCell<VecDeque<(Tid, u64, Value)>>,
    /// "pipe" or "queue", for messages.
    kind: &'static str,
}

impl Channel {
    pub fn new(capacity: usize, kind: &'static str) -> Channel {
        Channel {
            items: RefCell::new(VecDeque::new()),
            capacity,
            closed: Cell::new(false),
            getters: RefCell::new(VecDeque::new()),
            putters: RefCell::new(VecDeque::new()),
            kind,
        }
    }

    pub fn is_full(&self) -> bool {
        self.capacity > 0 && self.items.borrow().len() >= self.capacity
    }

    /// `get@()`: [name] is the primitive's name (`get` or `next`), and
    /// [me] and [park_as] describe the wait in reports. Ok(None) when
    /// closed and empty (the caller decides between EndOfPipe and the end
    /// of a `for@`).
    pub fn get(
        &self,
        vm: &mut Vm,
        me: Value,
        name: &str,
        park_as: &'static str,
    ) -> Res<Option<Value>> {
        vm.begin_switch(name)?;
        let taken = self.items.borrow_mut().pop_front();
        if let Some(v) = taken {
            // There is room now: the first waiting putter's value moves in.
            loop {
                let w = self.putters.borrow_mut().pop_front();
                let Some((tid, token, val)) = w else { break };
                if vm.waiter_alive(tid, token) {
                    self.items.borrow_mut().push_back(val);
                    // Its put has completed, even if an interruption lands.
                    vm.wake(tid, token, Wake::Handoff(Value::None));
                    break;
                }
            }
            return Ok(Some(v));
        }
        if self.closed.get() {
            return Ok(None);
        }
        let w = vm.park(park_as, Some(me));
        self.getters.borrow_mut().push_back(w);
        Err(Error::Suspend)
    }

    /// `put@(v)`: hands [v] to a waiting getter, or stores it if there is
    /// room, or parks until there is.
    pub fn put(&self, vm: &mut Vm, me: Value, v: Value) -> Res<Value> {
        vm.begin_switch("put")?;
        if self.closed.get() {
            return Err(Error::new(
                ExcType::MicroThreadExit,
                format!("put@() on a closed {}", self.kind),
            ));
        }
        loop {
            let g = self.getters.borrow_mut().pop_front();
            let Some((tid, token)) = g else { break };
            if vm.wake(tid, token, Wake::Handoff(v.clone())) {
                return Ok(Value::None);
            }
        }
        if !self.is_full() {
            self.items.borrow_mut().push_back(v);
            return Ok(Value::None);
        }
        let (tid, token) = vm.park("put", Some(me));
        self.putters.borrow_mut().push_back((tid, token, v));
        Err(Error::Suspend)
    }

    /// `close()`: waiting getters get EndOfPipe, waiting putters
    /// MicroThreadExit; closing twice does nothing.
    pub fn close(&self, vm: &mut Vm) {
        if self.closed.replace(true) {
            return;
        }
        let getters: Vec<Waiter> = self.getters.borrow_mut().drain(..).collect();
        for (tid, token) in getters {
            if vm.waiter_alive(tid, token) {
                let e = vm.materialize(Error::New(ExcType::EndOfPipe, None));
                vm.wake(tid, token, Wake::Throw(e));
            }
        }
        let putters: Vec<(Tid, u64, Value)> = self.putters.borrow_mut().drain(..).collect();
        for (tid, token, _) in putters {
            if vm.waiter_alive(tid, token) {
                let e = vm.materialize(Error::New(ExcType::MicroThreadExit, None));
                vm.wake(tid, token, Wake::Throw(e));
            }
        }
    }

    /// `get@()` as a method: EndOfPipe once closed and empty.
    pub fn get_or_end(&self, vm: &mut Vm, me: Value) -> Res<Value> {
        match self.get(vm, me, "get", "get")? {
            Some(v) => Ok(v),
            None => Err(Error::new(
                ExcType::EndOfPipe,
                format!("get@() on a closed {}", self.kind),
            )),
        }
    }

    pub fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        for v in self.items.borrow().iter() {
            f(v);
        }
        for (_, _, v) in self.putters.borrow().iter() {
            f(v);
        }
    }

    pub fn clear(&self) {
        self.items.borrow_mut().clear();
        self.putters.borrow_mut().clear();
    }
}
