//! Inline caches for attribute instructions, one per name of a code
//! object (sites that use the same name in one function nearly always see
//! the same class).
//!
//! - [MethodCache] remembers the method `obj.name(...)` resolved to, or
//!   the property getter `obj.name` runs, for one class, valid while no
//!   class dict has changed ([CLASS_EPOCH]).
//! - An attribute hint (a plain `Cell<u32>` on the code object) remembers
//!   where `name` sat in the last instance dict, so a load or store checks
//!   that entry first (see [SymMap::get_hinted]).

use std::cell::UnsafeCell;
use std::rc::{Rc, Weak};

use super::object::{ClassObj, CLASS_EPOCH};
use super::value::Value;

/// The current class epoch.
#[inline(always)]
pub fn class_epoch() -> u64 {
    CLASS_EPOCH.with(|e| e.get())
}

/// What a [MethodCache] entry holds for its class.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Cached {
    /// The plain function or built-in `obj.name(...)` calls.
    Method,
    /// The getter function of a property `obj.name` reads.
    Getter,
    /// A marker: `obj.name = v` may store straight into the instance dict
    /// (the class has no `__setattr__` and no data descriptor of that
    /// name, though it may have others).
    PlainStore,
}

struct MethodEntry {
    /// Held weakly so the class can die, and so its address is never
    /// reused for another class while the entry names it.
    class: Weak<ClassObj>,
    epoch: u64,
    kind: Cached,
    method: Value,
}

/// Ways of a [MethodCache]: a call site that sees a few classes (the
/// subclasses of one base, say) keeps one entry for each.
const WAYS: usize = 4;

struct Entries {
    ways: [MethodEntry; WAYS],
    /// The way the next fill replaces (round robin).
    next: usize,
}

/// The plain functions or built-ins a method name resolved to on the last
/// few classes seen.
pub struct MethodCache(UnsafeCell<Entries>);

impl Default for MethodCache {
    fn default() -> Self {
        MethodCache(UnsafeCell::new(Entries {
            ways: std::array::from_fn(|_| MethodEntry {
                class: Weak::new(),
                epoch: u64::MAX,
                kind: Cached::Method,
                method: Value::Undef,
            }),
            next: 0,
        }))
    }
}

impl MethodCache {
    /// The cached [kind] of value when the receiver's class is [class] and
    /// no class has changed since the entry was filled.
    #[inline(always)]
    pub fn get(&self, class: *const ClassObj, epoch: u64, kind: Cached) -> Option<Value> {
        // SAFETY: the VM is single-threaded and no reference into the
        // entries outlives this call or `fill`.
        let es = unsafe { &*self.0.get() };
        es.ways
            .iter()
            .find(|e| std::ptr::eq(e.class.as_ptr(), class) && e.epoch == epoch && e.kind == kind)
            .map(|e| e.method.clone())
    }

    /// Records that [class]'s lookup of the name gave [method].
    pub fn fill(&self, class: &Rc<ClassObj>, epoch: u64, kind: Cached, method: Value) {
        let new = MethodEntry {
            class: Rc::downgrade(class),
            epoch,
            kind,
            method,
        };
        // SAFETY: as in `get`; the old entry is dropped after the borrow
        // ends, so a destructor it runs cannot observe a half-made entry.
        let old = unsafe {
            let es = &mut *self.0.get();
            // Stale entries (an older epoch) go first, then round robin.
            let way = match es.ways.iter().position(|e| e.epoch != epoch) {
                Some(w) => w,
                None => {
                    let w = es.next;
                    es.next = (w + 1) % WAYS;
                    w
                }
            };
            std::mem::replace(&mut es.ways[way], new)
        };
        drop(old);
    }
}
