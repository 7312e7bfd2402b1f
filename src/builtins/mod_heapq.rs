//! The `heapq` and `bisect` modules, with CPython's exact sift
//! algorithms (so heap layouts match) and comparisons through `<`.

use std::cell::RefCell;
use std::rc::Rc;

use super::functions::{fn_iter, sort_values};
use super::{add_fn, arg_or_kw, check_args, kwarg};
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

fn heap_list(v: &Value, name: &str) -> Res<Rc<ListObj>> {
    match v {
        Value::List(l) => return Ok(l.clone()),
        Value::Instance(_) => {
            if let Some(Value::List(l)) = crate::vm::ops::payload_of(v) {
                return Ok(l);
            }
        }
        _ => {}
    }
    Err(Error::type_error(format!(
        "{name}() argument 1 must be list, not {}",
        v.type_name()
    )))
}

fn get(l: &ListObj, i: usize) -> Res<Value> {
    l.items
        .borrow()
        .get(i)
        .cloned()
        .ok_or_else(|| Error::runtime_error("list changed size during iteration"))
}

fn set(l: &ListObj, i: usize, v: Value) -> Res<()> {
    match l.items.borrow_mut().get_mut(i) {
        Some(slot) => {
            *slot = v;
            Ok(())
        }
        None => Err(Error::runtime_error("list changed size during iteration")),
    }
}

fn siftdown(vm: &mut Vm, l: &ListObj, start: usize, mut pos: usize) -> Res<()> {
    let newitem = get(l, pos)?;
    while pos > start {
        let parentpos = (pos - 1) >> 1;
        let parent = get(l, parentpos)?;
        if vm.less_than(&newitem, &parent)? {
            set(l, pos, parent)?;
            pos = parentpos;
            continue;
        }
        break;
    }
    set(l, pos, newitem)
}

fn siftup(vm: &mut Vm, l: &ListObj, mut pos: usize) -> Res<()> {
    let endpos = l.items.borrow().len();
    let start = pos;
    let newitem = get(l, pos)?;
    let mut child = 2 * pos + 1;
    while child < endpos {
        let right = child + 1;
        if right < endpos {
            let (a, b) = (get(l, child)?, get(l, right)?);
            if !vm.less_than(&a, &b)? {
                child = right;
            }
        }
        let c = get(l, child)?;
        set(l, pos, c)?;
        pos = child;
        child = 2 * pos + 1;
    }
    set(l, pos, newitem)?;
    siftdown(vm, l, start, pos)
}

fn heappush(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("heappush", args, 2, 2)?;
    let l = heap_list(&args[0], "heappush")?;
    let n = {
        let mut items = l.items.borrow_mut();
        items.push(args[1].clone());
        items.len()
    };
    siftdown(vm, &l, 0, n - 1)?;
    Ok(Value::None)
}

fn heappop(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("heappop", args, 1, 1)?;
    let l = heap_list(&args[0], "heappop")?;
    let last = l
        .items
        .borrow_mut()
        .pop()
        .ok_or_else(|| Error::index_error("index out of range"))?;
    if l.items.borrow().is_empty() {
        return Ok(last);
    }
    let ret = get(&l, 0)?;
    set(&l, 0, last)?;
    siftup(vm, &l, 0)?;
    Ok(ret)
}

fn heapreplace(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("heapreplace", args, 2, 2)?;
    let l = heap_list(&args[0], "heapreplace")?;
    let ret = l
        .items
        .borrow()
        .first()
        .cloned()
        .ok_or_else(|| Error::index_error("index out of range"))?;
    set(&l, 0, args[1].clone())?;
    siftup(vm, &l, 0)?;
    Ok(ret)
}

fn heappushpop(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("heappushpop", args, 2, 2)?;
    let l = heap_list(&args[0], "heappushpop")?;
    let item = args[1].clone();
    let Some(top) = l.items.borrow().first().cloned() else {
        return Ok(item);
    };
    if !vm.less_than(&top, &item)? {
        return Ok(item);
    }
    let top = get(&l, 0).map_err(|_| Error::index_error("index out of range"))?;
    set(&l, 0, item)?;
    siftup(vm, &l, 0)?;
    Ok(top)
}

fn heapify(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("heapify", args, 1, 1)?;
    let l = heap_list(&args[0], "heapify")?;
    let n = l.items.borrow().len();
    for i in (0..n / 2).rev() {
        siftup(vm, &l, i)?;
    }
    Ok(Value::None)
}

fn n_best(
    vm: &mut Vm,
    name: &str,
    args: &[Value],
    kw: &[(Sym, Value)],
    reverse: bool,
) -> Res<Value> {
    check_args(name, args, 2, 3)?;
    let n = vm.index_value(&args[0])?;
    let key = arg_or_kw(args, kw, 2, "key")
        .filter(|k| !k.is_none())
        .cloned();
    let mut items = vm.iterate(&args[1])?;
    if n <= 0 {
        return Ok(Value::list(Vec::new()));
    }
    sort_values(vm, &mut items, key.as_ref(), reverse)?;
    items.truncate(n as usize);
    Ok(Value::list(items))
}

fn nlargest(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    n_best(vm, "nlargest", args, kw, true)
}
fn nsmallest(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    n_best(vm, "nsmallest", args, kw, false)
}

/// The current (value, key) of one merged iterator; None once exhausted.
type Head = Option<(Value, Value)>;

/// A lazy k-way merge; ties go to the earliest iterable, as CPython's.
fn merge(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let key = kwarg(kw, "key").filter(|k| !k.is_none()).cloned();
    let reverse = match kwarg(kw, "reverse") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    let mut its = Vec::with_capacity(args.len());
    for a in args {
        its.push(vm.get_iter(a)?);
    }
    // Current head of each iterator: (value, key), None once exhausted.
    let heads: RefCell<Option<Vec<Head>>> = RefCell::new(None);
    let mut held = its.clone();
    held.extend(key.clone());
    Ok(fn_iter("merge", held, move |vm| {
        if heads.borrow().is_none() {
            let mut h = Vec::with_capacity(its.len());
            for it in &its {
                h.push(match vm.iter_next(it)? {
                    Some(v) => {
                        let k = match &key {
                            Some(f) => vm.call(f, std::slice::from_ref(&v), &[])?,
                            None => v.clone(),
                        };
                        Some((v, k))
                    }
                    None => None,
                });
            }
            *heads.borrow_mut() = Some(h);
        }
        let snapshot: Vec<Option<Value>> = heads
            .borrow()
            .as_ref()
            .map(|h| {
                h.iter()
                    .map(|e| e.as_ref().map(|(_, k)| k.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut best: Option<(usize, Value)> = None;
        for (i, k) in snapshot.into_iter().enumerate() {
            let Some(k) = k else { continue };
            let better = match &best {
                None => true,
                Some((_, b)) => {
                    if reverse {
                        vm.less_than(b, &k)?
                    } else {
                        vm.less_than(&k, b)?
                    }
                }
            };
            if better {
                best = Some((i, k));
            }
        }
        let Some((i, _)) = best else {
            return Ok(None);
        };
        let next = match vm.iter_next(&its[i])? {
            Some(v) => {
                let k = match &key {
                    Some(f) => vm.call(f, std::slice::from_ref(&v), &[])?,
                    None => v.clone(),
                };
                Some((v, k))
            }
            None => None,
        };
        let mut h = heads.borrow_mut();
        let slot = h.as_mut().and_then(|h| h.get_mut(i));
        Ok(slot
            .and_then(|s| std::mem::replace(s, next))
            .map(|(v, _)| v))
    }))
}

pub fn create_heapq(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("heapq", None);
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("heappush", heappush),
        ("heappop", heappop),
        ("heapreplace", heapreplace),
        ("heappushpop", heappushpop),
        ("heapify", heapify),
        ("nlargest", nlargest),
        ("nsmallest", nsmallest),
        ("merge", merge),
    ];
    for (name, f) in fns {
        add_fn(vm, &m, name, *f);
    }
    m
}

// ----- bisect ------------------------------------------------------------------

struct BisectArgs {
    a: Value,
    x: Value,
    lo: usize,
    hi: usize,
    key: Option<Value>,
}

fn bisect_args(vm: &mut Vm, name: &str, args: &[Value], kw: &[(Sym, Value)]) -> Res<BisectArgs> {
    check_args(name, args, 0, 4)?;
    let a = arg_or_kw(args, kw, 0, "a").cloned().ok_or_else(|| {
        Error::type_error(format!("{name}() missing required argument 'a' (pos 1)"))
    })?;
    let x = arg_or_kw(args, kw, 1, "x").cloned().ok_or_else(|| {
        Error::type_error(format!("{name}() missing required argument 'x' (pos 2)"))
    })?;
    let lo = match arg_or_kw(args, kw, 2, "lo") {
        Some(v) => vm.index_value(v)?,
        None => 0,
    };
    if lo < 0 {
        return Err(Error::value_error("lo must be non-negative"));
    }
    let hi = match arg_or_kw(args, kw, 3, "hi") {
        Some(Value::None) | None => -1,
        Some(v) => vm.index_value(v)?,
    };
    let hi = if hi == -1 {
        super::functions::length(vm, &a)?
    } else {
        hi.max(0) as usize
    };
    let key = kwarg(kw, "key").filter(|k| !k.is_none()).cloned();
    Ok(BisectArgs {
        a,
        x,
        lo: lo as usize,
        hi,
        key,
    })
}

fn item_at(vm: &mut Vm, a: &Value, i: usize) -> Res<Value> {
    if let Value::List(l) = a {
        if let Some(v) = l.items.borrow().get(i) {
            return Ok(v.clone());
        }
    }
    vm.getitem(a, &Value::Int(i as i64))
}

/// The insertion point of [x] (already a key) in a[lo:hi].
fn search(vm: &mut Vm, b: &BisectArgs, x: &Value, right: bool) -> Res<usize> {
    let (mut lo, mut hi) = (b.lo, b.hi);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let mut item = item_at(vm, &b.a, mid)?;
        if let Some(k) = &b.key {
            item = vm.call(k, &[item], &[])?;
        }
        let go_left = if right {
            vm.less_than(x, &item)?
        } else {
            !vm.less_than(&item, x)?
        };
        if go_left {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(lo)
}

fn bisect_left(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let b = bisect_args(vm, "bisect_left", args, kw)?;
    let x = b.x.clone();
    Ok(Value::Int(search(vm, &b, &x, false)? as i64))
}
fn bisect_right(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let b = bisect_args(vm, "bisect_right", args, kw)?;
    let x = b.x.clone();
    Ok(Value::Int(search(vm, &b, &x, true)? as i64))
}

fn insort(vm: &mut Vm, name: &str, args: &[Value], kw: &[(Sym, Value)], right: bool) -> Res<Value> {
    let b = bisect_args(vm, name, args, kw)?;
    let k = match &b.key {
        Some(f) => vm.call(f, std::slice::from_ref(&b.x), &[])?,
        None => b.x.clone(),
    };
    let i = search(vm, &b, &k, right)?;
    if let Value::List(l) = &b.a {
        let mut items = l.items.borrow_mut();
        let i = i.min(items.len());
        items.insert(i, b.x.clone());
        return Ok(Value::None);
    }
    vm.call_method(&b.a, "insert", &[Value::Int(i as i64), b.x.clone()])?;
    Ok(Value::None)
}

fn insort_left(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    insort(vm, "insort_left", args, kw, false)
}
fn insort_right(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    insort(vm, "insort_right", args, kw, true)
}

pub fn create_bisect(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("bisect", None);
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("bisect_left", bisect_left),
        ("bisect_right", bisect_right),
        ("insort_left", insort_left),
        ("insort_right", insort_right),
    ];
    for (name, f) in fns {
        add_fn(vm, &m, name, *f);
    }
    m.set_str("bisect", super::native("bisect_right", bisect_right));
    m.set_str("insort", super::native("insort_right", insort_right));
    m
}
