//! The cycle collector. Values are reference counted; this module finds
//! groups of containers that only reference each other (garbage cycles)
//! and clears them, using the trial-deletion scheme CPython uses:
//!
//! 1. every tracked container starts with its reference count;
//! 2. each reference from one tracked container to another is subtracted;
//! 3. containers left with a positive count are referenced from outside
//!    (the value stack, globals, native code in flight) and, with all they
//!    reach, are alive;
//! 4. the rest are garbage: clearing their contents breaks the cycles and
//!    reference counting frees them.
//!
//! Because native code holds ordinary strong references, anything it is
//! using counts as referenced from outside: collection is safe at any
//! point where no container is mutably borrowed (the dispatch loop).

use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::frame::GeneratorObj;
use super::object::*;
use super::value::*;

/// Something that can hold references to other values.
pub trait GcNode {
    /// Calls [f] on every value held.
    fn traverse(&self, f: &mut dyn FnMut(&Value));
    /// Drops every value held (breaking a cycle).
    fn clear(&self);
    /// Where the container records its place in the registry.
    fn gc_slot(&self) -> &GcSlot;
}

/// A container's index in the registry of tracked containers, or
/// `UNTRACKED`. The container leaves the registry in its `Drop`, so the
/// registry only ever points at live containers and a freed container's
/// memory goes straight back to the allocator (a weak reference would
/// keep every dead container's allocation until the next collection).
pub struct GcSlot(Cell<u32>);

const UNTRACKED: u32 = u32::MAX;

impl GcSlot {
    pub const fn new() -> GcSlot {
        GcSlot(Cell::new(UNTRACKED))
    }
    fn index(&self) -> Option<usize> {
        let i = self.0.get();
        (i != UNTRACKED).then_some(i as usize)
    }
}

impl Default for GcSlot {
    fn default() -> Self {
        GcSlot::new()
    }
}

impl Drop for GcSlot {
    /// Leaves the registry: the last entry moves into the freed place.
    /// Runs first when its container drops (the slot is the container's
    /// first field), while every other registered container is alive.
    #[inline]
    fn drop(&mut self) {
        if let Some(i) = self.index() {
            untrack_at(i);
        }
    }
}

#[inline(never)]
fn untrack_at(i: usize) {
    REGISTRY.with(|reg| {
        let mut r = reg.borrow_mut();
        r.objects.swap_remove(i);
        if let Some(&moved) = r.objects.get(i) {
            // SAFETY: registered containers are alive (each leaves the
            // registry before its memory is released).
            unsafe { (*moved).gc_slot().0.set(i as u32) };
        }
    });
}

struct Registry {
    /// Every tracked container; each one's GcSlot holds its index here.
    objects: Vec<*const dyn GcNode>,
    /// Tracked containers left by the last collection.
    survivors: usize,
    enabled: bool,
}

/// Collect once the tracked containers outnumber the last survivors by
/// this much (or by the survivors' own count, when larger): containers
/// freed by reference counting never count, so a program whose garbage
/// has no cycles never pays for a collection.
const MIN_THRESHOLD: usize = 50_000;

thread_local! {
    // ManuallyDrop: no destructor, so access needs no lazy-registration
    // check. Values never cross threads (Rc is !Send).
    static REGISTRY: RefCell<ManuallyDrop<Registry>> = const {
        RefCell::new(ManuallyDrop::new(Registry {
            objects: Vec::new(),
            survivors: 0,
            enabled: true,
        }))
    };
}

/// Set when enough containers were allocated that a collection is due;
/// the dispatch loop polls it at loop back-edges and calls.
pub static COLLECT_PENDING: AtomicBool = AtomicBool::new(false);

/// The registry entry and slot of a container value, or None for values
/// the collector need not see.
fn node_of(v: &Value) -> Option<(*const dyn GcNode, &GcSlot)> {
    fn node<T: GcNode + 'static>(r: &Rc<T>) -> Option<(*const dyn GcNode, &GcSlot)> {
        Some((Rc::as_ptr(r) as *const dyn GcNode, r.gc_slot()))
    }
    match v {
        Value::List(r) => node(r),
        Value::Tuple(r) => node(r),
        Value::Dict(r) => node(r),
        Value::Set(r) | Value::FrozenSet(r) => node(r),
        Value::Instance(r) => node(r),
        Value::Function(r) => node(r),
        Value::Cell(r) => node(r),
        Value::BoundMethod(r) => node(r),
        Value::Generator(r) => node(r),
        Value::Object(r) => node(r),
        _ => None,
    }
}

/// Starts tracking a container value.
pub fn track(v: &Value) {
    if let Value::Tuple(r) = v {
        // A tuple of atoms can never be part of a cycle.
        if r.items
            .iter()
            .all(|x| x.ptr().is_none() || matches!(x, Value::Str(_)))
        {
            return;
        }
    }
    let Some((p, slot)) = node_of(v) else {
        return;
    };
    if slot.index().is_some() {
        return;
    }
    REGISTRY.with(|reg| {
        let mut r = reg.borrow_mut();
        slot.0.set(r.objects.len() as u32);
        r.objects.push(p);
        if r.enabled
            && r.objects.len().saturating_sub(r.survivors) >= MIN_THRESHOLD.max(r.survivors)
        {
            COLLECT_PENDING.store(true, Ordering::Relaxed);
        }
    });
}

/// Turns automatic collection on or off (`gc.disable()`).
pub fn set_enabled(on: bool) {
    REGISTRY.with(|reg| reg.borrow_mut().enabled = on);
}

/// Number of containers currently tracked.
pub fn tracked_count() -> usize {
    REGISTRY.with(|reg| reg.borrow().objects.len())
}

/// Runs a full collection; returns the number of containers cleared.
pub fn collect() -> usize {
    COLLECT_PENDING.store(false, Ordering::Relaxed);
    // A strong reference to every tracked container: nothing is freed,
    // so the registry (and every slot index) stays as it is, until
    // `live` is dropped at the end.
    let live: Vec<Rc<dyn GcNode>> = REGISTRY.with(|reg| {
        reg.borrow()
            .objects
            .iter()
            .map(|&p| {
                // SAFETY: registered containers are alive and were
                // allocated by an Rc (see node_of); the count taken here
                // is given back when `live` drops.
                unsafe {
                    Rc::increment_strong_count(p);
                    Rc::from_raw(p)
                }
            })
            .collect()
    });
    let index_of = |child: &Value| -> Option<usize> {
        node_of(child)
            .and_then(|(_, slot)| slot.index())
            .filter(|&j| j < live.len())
    };
    // Our own reference is one of each count.
    let mut refs: Vec<isize> = live
        .iter()
        .map(|s| Rc::strong_count(s) as isize - 1)
        .collect();
    for s in &live {
        s.traverse(&mut |child| {
            if let Some(j) = index_of(child) {
                refs[j] -= 1;
            }
        });
    }
    // Everything reachable from an externally referenced container lives.
    let mut alive: Vec<bool> = refs.iter().map(|&r| r > 0).collect();
    let mut work: Vec<usize> = (0..live.len()).filter(|&i| alive[i]).collect();
    while let Some(i) = work.pop() {
        live[i].traverse(&mut |child| {
            if let Some(j) = index_of(child) {
                if !alive[j] {
                    alive[j] = true;
                    work.push(j);
                }
            }
        });
    }
    let mut freed = 0;
    for (i, s) in live.iter().enumerate() {
        if !alive[i] {
            s.clear();
            freed += 1;
        }
    }
    // Garbage goes now; each container leaves the registry as it drops.
    drop(live);
    REGISTRY.with(|reg| {
        let mut r = reg.borrow_mut();
        r.survivors = r.objects.len();
        if std::env::var_os("CON_GC_DEBUG").is_some() {
            eprintln!("gc: {freed} freed, {} alive", r.survivors);
        }
    });
    freed
}

// ----- what each container holds --------------------------------------------

fn try_each(cell: &RefCell<Vec<Value>>, f: &mut dyn FnMut(&Value)) {
    if let Ok(items) = cell.try_borrow() {
        for v in items.iter() {
            f(v);
        }
    }
}

impl GcNode for ListObj {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        try_each(&self.items, f);
    }
    fn clear(&self) {
        let old = self
            .items
            .try_borrow_mut()
            .map(|mut v| std::mem::take(&mut *v));
        drop(old);
    }
}

impl GcNode for TupleObj {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        for v in self.items.iter() {
            f(v);
        }
    }
    // Tuples are immutable; a cycle through one always passes through a
    // mutable container, whose clearing breaks it.
    fn clear(&self) {}
}

fn dict_traverse(d: &RefCell<super::dict::Dict>, f: &mut dyn FnMut(&Value)) {
    if let Ok(d) = d.try_borrow() {
        for e in d.iter() {
            f(&e.key);
            f(&e.value);
        }
    }
}

fn dict_clear(d: &RefCell<super::dict::Dict>) {
    let old = d.try_borrow_mut().map(|mut d| std::mem::take(&mut *d));
    drop(old);
}

impl GcNode for DictObj {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        dict_traverse(&self.d, f);
    }
    fn clear(&self) {
        dict_clear(&self.d);
    }
}

impl GcNode for SetObj {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        dict_traverse(&self.d, f);
    }
    fn clear(&self) {
        dict_clear(&self.d);
    }
}

impl GcNode for InstanceObj {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        if let Ok(d) = self.dict.try_borrow() {
            for v in d.values() {
                f(v);
            }
        }
        if let Ok(p) = self.payload.try_borrow() {
            f(&p);
        }
    }
    fn clear(&self) {
        let old = self
            .dict
            .try_borrow_mut()
            .map(|mut d| std::mem::take(&mut *d));
        drop(old);
        let old = self
            .payload
            .try_borrow_mut()
            .map(|mut p| std::mem::take(&mut *p));
        drop(old);
    }
}

impl GcNode for FunctionObj {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        for v in self
            .defaults
            .iter()
            .chain(&self.kwdefaults)
            .chain(&self.closure)
        {
            f(v);
        }
        if let Ok(d) = self.dict.try_borrow() {
            if let Some(d) = d.as_ref() {
                for v in d.values() {
                    f(v);
                }
            }
        }
    }
    fn clear(&self) {
        let old = self.dict.try_borrow_mut().map(|mut d| d.take());
        drop(old);
    }
}

impl GcNode for CellObj {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        if let Ok(v) = self.value.try_borrow() {
            f(&v);
        }
    }
    fn clear(&self) {
        let old = self
            .value
            .try_borrow_mut()
            .map(|mut v| std::mem::take(&mut *v));
        drop(old);
    }
}

impl GcNode for BoundMethodObj {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.func);
        f(&self.receiver);
    }
    // Immutable: cleared through the objects it points at.
    fn clear(&self) {}
}

impl GcNode for GeneratorObj {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        if let Ok(st) = self.state.try_borrow() {
            for v in &st.saved {
                f(v);
            }
        }
    }
    fn clear(&self) {
        let old = self.state.try_borrow_mut().map(|mut st| {
            st.finished = true;
            st.frame = None;
            std::mem::take(&mut st.saved)
        });
        drop(old);
    }
}

impl GcNode for NativeBox {
    fn gc_slot(&self) -> &GcSlot {
        &self.gc
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        (**self).traverse(f);
    }
    fn clear(&self) {
        (**self).clear();
    }
}
