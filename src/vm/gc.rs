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

use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
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
}

enum Tracked {
    Node(Weak<dyn GcNode>),
    Native(Weak<Box<dyn NativeObject>>),
}

enum Strong {
    Node(Rc<dyn GcNode>),
    Native(NativeRef),
}

impl Strong {
    fn addr(&self) -> usize {
        match self {
            Strong::Node(r) => Rc::as_ptr(r) as *const u8 as usize,
            Strong::Native(r) => Rc::as_ptr(r) as *const u8 as usize,
        }
    }
    fn strong_count(&self) -> usize {
        match self {
            Strong::Node(r) => Rc::strong_count(r),
            Strong::Native(r) => Rc::strong_count(r),
        }
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        match self {
            Strong::Node(r) => r.traverse(f),
            Strong::Native(r) => r.traverse(f),
        }
    }
    fn clear(&self) {
        match self {
            Strong::Node(r) => r.clear(),
            Strong::Native(r) => r.clear(),
        }
    }
}

struct Registry {
    objects: Vec<Tracked>,
    /// Containers tracked since the last collection.
    since_last: usize,
    /// Collect when [since_last] reaches this.
    threshold: usize,
    enabled: bool,
}

const MIN_THRESHOLD: usize = 50_000;

thread_local! {
    static REGISTRY: RefCell<Registry> = const {
        RefCell::new(Registry {
            objects: Vec::new(),
            since_last: 0,
            threshold: MIN_THRESHOLD,
            enabled: true,
        })
    };
}

/// Set when enough containers were allocated that a collection is due;
/// the dispatch loop polls it at loop back-edges and calls.
pub static COLLECT_PENDING: AtomicBool = AtomicBool::new(false);

fn note_allocation(r: &mut Registry) {
    r.since_last += 1;
    if r.since_last >= r.threshold && r.enabled {
        COLLECT_PENDING.store(true, Ordering::Relaxed);
    }
}

/// Starts tracking a container value.
pub fn track(v: &Value) {
    let t = match v {
        Value::List(r) => Tracked::Node(Rc::downgrade(r) as Weak<dyn GcNode>),
        Value::Tuple(r) => {
            if r.items
                .iter()
                .all(|x| x.ptr().is_none() || matches!(x, Value::Str(_)))
            {
                return;
            }
            Tracked::Node(Rc::downgrade(r) as Weak<dyn GcNode>)
        }
        Value::Dict(r) => Tracked::Node(Rc::downgrade(r) as Weak<dyn GcNode>),
        Value::Set(r) | Value::FrozenSet(r) => Tracked::Node(Rc::downgrade(r) as Weak<dyn GcNode>),
        Value::Instance(r) => Tracked::Node(Rc::downgrade(r) as Weak<dyn GcNode>),
        Value::Function(r) => Tracked::Node(Rc::downgrade(r) as Weak<dyn GcNode>),
        Value::Cell(r) => Tracked::Node(Rc::downgrade(r) as Weak<dyn GcNode>),
        Value::BoundMethod(r) => Tracked::Node(Rc::downgrade(r) as Weak<dyn GcNode>),
        Value::Generator(r) => Tracked::Node(Rc::downgrade(r) as Weak<dyn GcNode>),
        Value::Object(r) => Tracked::Native(Rc::downgrade(r)),
        _ => return,
    };
    REGISTRY.with(|reg| {
        let mut r = reg.borrow_mut();
        r.objects.push(t);
        note_allocation(&mut r);
    });
}

/// Turns automatic collection on or off (`gc.disable()`).
pub fn set_enabled(on: bool) {
    REGISTRY.with(|reg| reg.borrow_mut().enabled = on);
}

/// Number of containers currently tracked (live or not yet pruned).
pub fn tracked_count() -> usize {
    REGISTRY.with(|reg| reg.borrow().objects.len())
}

/// Runs a full collection; returns the number of containers cleared.
pub fn collect() -> usize {
    COLLECT_PENDING.store(false, Ordering::Relaxed);
    let tracked = REGISTRY.with(|reg| std::mem::take(&mut reg.borrow_mut().objects));
    let mut live: Vec<Strong> = Vec::with_capacity(tracked.len());
    let mut kept: Vec<Tracked> = Vec::with_capacity(tracked.len());
    for t in tracked {
        let s = match &t {
            Tracked::Node(w) => w.upgrade().map(Strong::Node),
            Tracked::Native(w) => w.upgrade().map(Strong::Native),
        };
        if let Some(s) = s {
            live.push(s);
            kept.push(t);
        }
    }
    let index: FxHashMap<usize, usize> = live
        .iter()
        .enumerate()
        .map(|(i, s)| (s.addr(), i))
        .collect();
    // Our own upgrade holds one reference to each.
    let mut refs: Vec<isize> = live.iter().map(|s| s.strong_count() as isize - 1).collect();
    for s in &live {
        s.traverse(&mut |child| {
            if let Some(p) = child.ptr() {
                if let Some(&j) = index.get(&p) {
                    refs[j] -= 1;
                }
            }
        });
    }
    // Everything reachable from an externally referenced container lives.
    let mut alive = vec![false; live.len()];
    let mut work: Vec<usize> = (0..live.len()).filter(|&i| refs[i] > 0).collect();
    for &i in &work {
        alive[i] = true;
    }
    while let Some(i) = work.pop() {
        live[i].traverse(&mut |child| {
            if let Some(p) = child.ptr() {
                if let Some(&j) = index.get(&p) {
                    if !alive[j] {
                        alive[j] = true;
                        work.push(j);
                    }
                }
            }
        });
    }
    let mut freed = 0;
    let mut survivors = Vec::with_capacity(kept.len());
    for (i, t) in kept.into_iter().enumerate() {
        if alive[i] {
            survivors.push(t);
        } else {
            freed += 1;
        }
    }
    for (i, s) in live.iter().enumerate() {
        if !alive[i] {
            s.clear();
        }
    }
    let n_alive = survivors.len();
    if std::env::var_os("CON_GC_DEBUG").is_some() {
        eprintln!("gc: {freed} freed, {n_alive} alive");
    }
    REGISTRY.with(|reg| {
        let mut r = reg.borrow_mut();
        // Containers allocated while clearing are kept as well.
        let newer = std::mem::take(&mut r.objects);
        survivors.extend(newer);
        r.objects = survivors;
        r.since_last = 0;
        r.threshold = MIN_THRESHOLD.max(n_alive);
    });
    drop(live);
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
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        dict_traverse(&self.d, f);
    }
    fn clear(&self) {
        dict_clear(&self.d);
    }
}

impl GcNode for SetObj {
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        dict_traverse(&self.d, f);
    }
    fn clear(&self) {
        dict_clear(&self.d);
    }
}

impl GcNode for InstanceObj {
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
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.func);
        f(&self.receiver);
    }
    // Immutable: cleared through the objects it points at.
    fn clear(&self) {}
}

impl GcNode for GeneratorObj {
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
