//! Methods of `set` and `frozenset`, and CPython's iteration order for
//! sets of numbers.

use std::cell::Cell;
use std::rc::Rc;

use super::functions::fn_iter;
use super::{add_attr, add_method, check_args};
use crate::syntax::ast::{BinOp, CmpOp};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::iter::{DictIter, DictIterKind};
use crate::vm::object::NativeFnPtr;
use crate::vm::ops::payload_of;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn install(vm: &mut Vm) {
    let set = vm.types.set.clone();
    let frozenset = vm.types.frozenset.clone();
    let shared: &[(&'static str, NativeFnPtr)] = &[
        ("copy", set_copy),
        ("union", set_union),
        ("intersection", set_intersection),
        ("difference", set_difference),
        ("symmetric_difference", set_symmetric_difference),
        ("issubset", set_issubset),
        ("issuperset", set_issuperset),
        ("isdisjoint", set_isdisjoint),
        ("__len__", set_len),
        ("__contains__", set_contains),
        ("__iter__", set_iter),
        ("__eq__", set_eq),
        ("__ne__", set_ne),
        ("__le__", set_le),
        ("__lt__", set_lt),
        ("__ge__", set_ge),
        ("__gt__", set_gt),
        ("__or__", set_or),
        ("__ror__", set_ror),
        ("__and__", set_and),
        ("__rand__", set_rand),
        ("__sub__", set_sub),
        ("__rsub__", set_rsub),
        ("__xor__", set_xor),
        ("__rxor__", set_rxor),
        ("__repr__", set_repr),
    ];
    for (name, f) in shared {
        add_method(vm, &set, name, *f);
        add_method(vm, &frozenset, name, *f);
    }
    let mutators: &[(&'static str, NativeFnPtr)] = &[
        ("add", set_add),
        ("remove", set_remove),
        ("discard", set_discard),
        ("pop", set_pop),
        ("clear", set_clear),
        ("update", set_update),
        ("intersection_update", set_intersection_update),
        ("difference_update", set_difference_update),
        (
            "symmetric_difference_update",
            set_symmetric_difference_update,
        ),
        ("__ior__", set_ior),
        ("__iand__", set_iand),
        ("__isub__", set_isub),
        ("__ixor__", set_ixor),
    ];
    for (name, f) in mutators {
        add_method(vm, &set, name, *f);
    }
    add_attr(vm, &set, "__hash__", Value::None);
    add_method(vm, &frozenset, "__hash__", frozenset_hash);
}

// ----- CPython's table order ------------------------------------------------------

const EMPTY: usize = usize::MAX;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;

/// Puts entry [idx] of hash [hash] into the first free slot of its probe
/// sequence, as CPython's `set_insert_clean` (and `set_add_entry` on a
/// table without dummies) does.
fn insert_clean(table: &mut [usize], mask: usize, hash: u64, idx: usize) {
    let mut perturb = hash as usize;
    let mut i = hash as usize & mask;
    loop {
        if table[i] == EMPTY {
            table[i] = idx;
            return;
        }
        if i + LINEAR_PROBES <= mask {
            for j in 1..=LINEAR_PROBES {
                if table[i + j] == EMPTY {
                    table[i + j] = idx;
                    return;
                }
            }
        }
        perturb >>= PERTURB_SHIFT;
        i = i.wrapping_mul(5).wrapping_add(1).wrapping_add(perturb) & mask;
    }
}

/// The order in which CPython 3.11 iterates a set built by adding
/// distinct keys with these hashes one by one (no deletions): a
/// permutation of `0..hashes.len()`. Replays the table growth rule
/// (start at 8 slots; when fill*5 >= mask*3, grow to the smallest power
/// of two above used*4, or used*2 past 50000) and the probe sequence.
pub fn cpython_set_order(hashes: &[u64]) -> Vec<usize> {
    let mut mask: usize = 7;
    let mut table = vec![EMPTY; 8];
    let mut fill = 0usize;
    for (idx, &h) in hashes.iter().enumerate() {
        insert_clean(&mut table, mask, h, idx);
        fill += 1;
        if fill * 5 >= mask * 3 {
            let minused = if fill > 50000 { fill * 2 } else { fill * 4 };
            let mut size = 8usize;
            while size <= minused {
                size <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![EMPTY; size]);
            mask = size - 1;
            for e in old {
                if e != EMPTY {
                    insert_clean(&mut table, mask, hashes[e], e);
                }
            }
        }
    }
    table.into_iter().filter(|&e| e != EMPTY).collect()
}

/// Keys whose hash equals CPython's, so CPython's order can be replayed.
/// (Strings hash randomly in CPython, so their order is arbitrary there
/// and insertion order is as good as any.)
fn numeric_key(v: &Value) -> bool {
    matches!(
        v,
        Value::Int(_) | Value::Bool(_) | Value::BigInt(_) | Value::Float(_)
    )
}

/// The (hash, key) entries of a set in the order CPython would show
/// them: its table order for sets of numbers, insertion order otherwise.
pub fn ordered_entries(s: &SetObj) -> Vec<(u64, Value)> {
    let entries: Vec<(u64, Value)> =
        s.d.borrow()
            .iter()
            .map(|e| (e.hash, e.key.clone()))
            .collect();
    if entries.len() < 2 || !entries.iter().all(|e| numeric_key(&e.1)) {
        return entries;
    }
    let hashes: Vec<u64> = entries.iter().map(|e| e.0).collect();
    cpython_set_order(&hashes)
        .into_iter()
        .map(|i| entries[i].clone())
        .collect()
}

/// The keys of a set in [ordered_entries] order.
pub fn ordered_keys(s: &SetObj) -> Vec<Value> {
    ordered_entries(s).into_iter().map(|e| e.1).collect()
}

/// `a op b` (|, &, -, ^) for two set values, adding elements in the order
/// CPython's algorithms do so that the result's order matches; the result
/// is a frozenset when [a] is one.
pub fn set_operation(vm: &mut Vm, op: BinOp, a: &Value, b: &Value) -> Res<Value> {
    let (Value::Set(x) | Value::FrozenSet(x)) = a else {
        return Err(Error::type_error("bad set operand"));
    };
    let (Value::Set(y) | Value::FrozenSet(y)) = b else {
        return Err(Error::type_error("bad set operand"));
    };
    let out = std::cell::RefCell::new(crate::vm::dict::Dict::new());
    match op {
        BinOp::BitOr => {
            *out.borrow_mut() = x.d.borrow().clone();
            for (h, k) in ordered_entries(y) {
                if vm.dict_find(&out, &k, h)?.is_none() {
                    out.borrow_mut().insert_new(h, k, Value::None);
                }
            }
        }
        BinOp::BitAnd => {
            // CPython walks the smaller set (the right one on a tie).
            let (small, big) = if x.d.borrow().len() < y.d.borrow().len() {
                (x, y)
            } else {
                (y, x)
            };
            for (h, k) in ordered_entries(small) {
                if vm.dict_find(&big.d, &k, h)?.is_some() {
                    out.borrow_mut().insert_new(h, k, Value::None);
                }
            }
        }
        BinOp::Sub => {
            for (h, k) in ordered_entries(x) {
                if vm.dict_find(&y.d, &k, h)?.is_none() {
                    out.borrow_mut().insert_new(h, k, Value::None);
                }
            }
        }
        _ => {
            // A copy of b, then each element of a toggled.
            for (h, k) in ordered_entries(y) {
                out.borrow_mut().insert_new(h, k, Value::None);
            }
            for (h, k) in ordered_entries(x) {
                match vm.dict_find(&out, &k, h)? {
                    Some(i) => {
                        let removed = out.borrow_mut().remove_at(i);
                        drop(removed);
                    }
                    None => out.borrow_mut().insert_new(h, k, Value::None),
                }
            }
        }
    }
    let d = out.into_inner();
    Ok(if matches!(a, Value::FrozenSet(_)) {
        Value::frozenset(d)
    } else {
        Value::set(d)
    })
}

/// An iterator over a set (or frozenset) value in [ordered_keys] order,
/// raising RuntimeError if the set changes size meanwhile.
pub fn ordered_iter(v: &Value) -> Value {
    let (Value::Set(s) | Value::FrozenSet(s)) = v else {
        return Value::None;
    };
    let len = s.d.borrow().len();
    let numeric = len >= 2 && s.d.borrow().iter().all(|e| numeric_key(&e.key));
    if !numeric {
        return Value::object(DictIter {
            dict: v.clone(),
            pos: Cell::new(0),
            kind: DictIterKind::Keys,
            len,
        });
    }
    let keys = ordered_keys(s);
    let s = s.clone();
    let pos = Cell::new(0usize);
    fn_iter("set_iterator", vec![v.clone()], move |_vm| {
        if s.d.borrow().len() != len {
            pos.set(usize::MAX);
            return Err(Error::runtime_error("Set changed size during iteration"));
        }
        let p = pos.get();
        match keys.get(p) {
            Some(k) => {
                pos.set(p + 1);
                Ok(Some(k.clone()))
            }
            None => Ok(None),
        }
    })
}

// ----- receivers and helpers -----------------------------------------------------

fn unwrap(v: &Value) -> Value {
    payload_of(v).unwrap_or_else(|| v.clone())
}

/// The set or frozenset receiver (unwrapped from a subclass instance).
fn this(args: &[Value], name: &str) -> Res<(Value, Rc<SetObj>)> {
    match args.first().map(unwrap) {
        Some(Value::Set(s)) => Ok((Value::Set(s.clone()), s)),
        Some(Value::FrozenSet(s)) => Ok((Value::FrozenSet(s.clone()), s)),
        _ => Err(match args.first() {
            Some(v) => Error::type_error(format!(
                "descriptor '{name}' for 'set' objects doesn't apply to a '{}' object",
                v.type_name()
            )),
            None => Error::type_error(format!(
                "descriptor '{name}' of 'set' object needs an argument"
            )),
        }),
    }
}

fn rest<'a>(args: &'a [Value], qual: &str, min: usize, max: usize) -> Res<&'a [Value]> {
    let rest = args.get(1..).unwrap_or(&[]);
    check_args(qual, rest, min, max)?;
    Ok(rest)
}

/// A set usable as a key: an unhashable set probe is looked up as the
/// equal frozenset, as CPython does.
fn probe_key(v: &Value) -> Value {
    match v {
        Value::Set(s) => Value::FrozenSet(s.clone()),
        Value::Instance(_) => match payload_of(v) {
            Some(Value::Set(s)) => Value::FrozenSet(s.clone()),
            _ => v.clone(),
        },
        _ => v.clone(),
    }
}

/// [v] as a set value (itself when it already is one).
fn as_set(vm: &mut Vm, v: &Value) -> Res<Value> {
    match unwrap(v) {
        s @ (Value::Set(_) | Value::FrozenSet(_)) => Ok(s),
        other => vm.set_from_iter(&other, false),
    }
}

/// A fresh set (or frozenset, like [like]) holding a copy of [s].
fn copy_like(like: &Value, s: &SetObj) -> Value {
    let d = s.d.borrow().clone();
    match like {
        Value::FrozenSet(_) => Value::frozenset(d),
        _ => Value::set(d),
    }
}

/// Replaces the contents of [dst] by those of set value [src].
fn assign(dst: &SetObj, src: &Value) {
    if let Value::Set(s) | Value::FrozenSet(s) = src {
        let d = s.d.borrow().clone();
        let old = std::mem::replace(&mut *dst.d.borrow_mut(), d);
        drop(old);
    }
}

fn remove_key(vm: &mut Vm, s: &SetObj, key: &Value) -> Res<bool> {
    let key = probe_key(key);
    let h = vm.hash(&key)?;
    match vm.dict_find(&s.d, &key, h)? {
        Some(i) => {
            let removed = s.d.borrow_mut().remove_at(i);
            drop(removed);
            Ok(true)
        }
        None => Ok(false),
    }
}

// ----- mutators --------------------------------------------------------------------

fn set_add(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    if let [s @ Value::Set(_), item] = args {
        vm.set_add(s, item.clone())?;
        return Ok(Value::None);
    }
    let (v, _) = this(args, "add")?;
    let r = rest(args, "set.add", 1, 1)?;
    vm.set_add(&v, r[0].clone())?;
    Ok(Value::None)
}

fn set_remove(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "remove")?;
    let r = rest(args, "set.remove", 1, 1)?;
    if !remove_key(vm, &s, &r[0])? {
        return Err(Error::key_error(r[0].clone()));
    }
    Ok(Value::None)
}

fn set_discard(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "discard")?;
    let r = rest(args, "set.discard", 1, 1)?;
    remove_key(vm, &s, &r[0])?;
    Ok(Value::None)
}

fn set_pop(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "pop")?;
    rest(args, "set.pop", 0, 0)?;
    let len = s.d.borrow().len();
    if len == 0 {
        return Err(Error::new(ExcType::KeyError, "pop from an empty set"));
    }
    // Pop what CPython would pop first; the replay is O(n), so very large
    // sets fall back to insertion order to keep pop loops linear-ish.
    if len <= 4096 {
        let first = ordered_keys(&s).into_iter().next();
        if let Some(k) = first {
            let idx = {
                let d = s.d.borrow();
                (0..d.slots()).find(|&p| d.slot(p).is_some_and(|e| e.key.is(&k)))
            };
            if let Some(i) = idx {
                let (key, _) = s.d.borrow_mut().remove_at(i);
                return Ok(key);
            }
        }
    }
    let popped = s.d.borrow_mut().pop_first();
    Ok(popped.map(|(k, _)| k).unwrap_or(Value::None))
}

fn set_clear(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "clear")?;
    rest(args, "set.clear", 0, 0)?;
    let old = std::mem::take(&mut *s.d.borrow_mut());
    drop(old);
    Ok(Value::None)
}

fn set_update(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, _) = this(args, "update")?;
    for other in args.get(1..).unwrap_or(&[]) {
        for x in vm.iterate(&unwrap(other))? {
            vm.set_add(&v, x)?;
        }
    }
    Ok(Value::None)
}

fn set_intersection_update(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, s) = this(args, "intersection_update")?;
    let r = intersection_of(vm, &v, args.get(1..).unwrap_or(&[]))?;
    assign(&s, &r);
    Ok(Value::None)
}

fn set_difference_update(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "difference_update")?;
    for other in args.get(1..).unwrap_or(&[]) {
        let o = unwrap(other);
        let items = if let Value::Set(x) | Value::FrozenSet(x) = &o {
            if Rc::ptr_eq(x, &s) {
                let old = std::mem::take(&mut *s.d.borrow_mut());
                drop(old);
                continue;
            }
            x.d.borrow().keys()
        } else {
            vm.iterate(&o)?
        };
        for x in items {
            remove_key(vm, &s, &x)?;
        }
    }
    Ok(Value::None)
}

fn set_symmetric_difference_update(
    vm: &mut Vm,
    args: &[Value],
    _kw: &[(Sym, Value)],
) -> Res<Value> {
    let (_, s) = this(args, "symmetric_difference_update")?;
    let r = rest(args, "set.symmetric_difference_update", 1, 1)?;
    let o = as_set(vm, &r[0])?;
    toggle_all(vm, &s, &o)?;
    Ok(Value::None)
}

// ----- new-set operations ---------------------------------------------------------

fn set_copy(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, s) = this(args, "copy")?;
    rest(args, "set.copy", 0, 0)?;
    // A frozenset's copy is itself; a subclass copy is a plain one.
    if matches!(args[0], Value::FrozenSet(_)) {
        return Ok(args[0].clone());
    }
    Ok(copy_like(&v, &s))
}

fn set_union(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, s) = this(args, "union")?;
    let out = copy_like(&Value::Set(s.clone()), &s);
    for other in args.get(1..).unwrap_or(&[]) {
        for x in vm.iterate(&unwrap(other))? {
            vm.set_add(&out, x)?;
        }
    }
    Ok(like(&v, out))
}

/// Turns a result set into a frozenset when the receiver is one.
fn like(receiver: &Value, out: Value) -> Value {
    match (receiver, out) {
        (Value::FrozenSet(_), Value::Set(s)) => Value::FrozenSet(s),
        (_, out) => out,
    }
}

fn intersection_of(vm: &mut Vm, v: &Value, others: &[Value]) -> Res<Value> {
    let (Value::Set(s) | Value::FrozenSet(s)) = v else {
        return Ok(Value::None);
    };
    let mut acc = Value::set(s.d.borrow().clone());
    for other in others {
        let o = unwrap(other);
        acc = match o {
            Value::Set(_) | Value::FrozenSet(_) => set_operation(vm, BinOp::BitAnd, &acc, &o)?,
            _ => {
                // CPython keeps the iterable's order here.
                let Value::Set(cur) = &acc else { break };
                let cur = cur.clone();
                let out = Value::set(crate::vm::dict::Dict::new());
                for x in vm.iterate(&o)? {
                    if vm.set_contains(&cur, &probe_key(&x))? {
                        vm.set_add(&out, x)?;
                    }
                }
                out
            }
        };
    }
    Ok(acc)
}

/// Toggles the membership of every element of set value [other] in [s],
/// in place (CPython's symmetric_difference_update).
fn toggle_all(vm: &mut Vm, s: &SetObj, other: &Value) -> Res<()> {
    let (Value::Set(o) | Value::FrozenSet(o)) = other else {
        return Ok(());
    };
    let entries = if std::ptr::eq(&**o, s) {
        let old = std::mem::take(&mut *s.d.borrow_mut());
        drop(old);
        return Ok(());
    } else {
        ordered_entries(o)
    };
    for (h, k) in entries {
        match vm.dict_find(&s.d, &k, h)? {
            Some(i) => {
                let removed = s.d.borrow_mut().remove_at(i);
                drop(removed);
            }
            None => s.d.borrow_mut().insert_new(h, k, Value::None),
        }
    }
    Ok(())
}

fn set_intersection(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, _) = this(args, "intersection")?;
    let r = intersection_of(vm, &v, args.get(1..).unwrap_or(&[]))?;
    Ok(like(&v, r))
}

fn set_difference(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, s) = this(args, "difference")?;
    let mut acc = Value::set(s.d.borrow().clone());
    for other in args.get(1..).unwrap_or(&[]) {
        let o = as_set(vm, other)?;
        acc = set_operation(vm, BinOp::Sub, &acc, &o)?;
    }
    Ok(like(&v, acc))
}

fn set_symmetric_difference(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, s) = this(args, "symmetric_difference")?;
    let r = rest(args, "set.symmetric_difference", 1, 1)?;
    let o = as_set(vm, &r[0])?;
    let acc = set_operation(vm, BinOp::BitXor, &Value::set(s.d.borrow().clone()), &o)?;
    Ok(like(&v, acc))
}

fn set_issubset(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "issubset")?;
    let r = rest(args, "set.issubset", 1, 1)?;
    let o = as_set(vm, &r[0])?;
    let (Value::Set(o) | Value::FrozenSet(o)) = &o else {
        return Ok(Value::Bool(Truth::False));
    };
    Ok(Value::bool(vm.set_subset(&s, o)?))
}

fn set_issuperset(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "issuperset")?;
    let r = rest(args, "set.issuperset", 1, 1)?;
    for x in vm.iterate(&unwrap(&r[0]))? {
        if !vm.set_contains(&s, &probe_key(&x))? {
            return Ok(Value::Bool(Truth::False));
        }
    }
    Ok(Value::Bool(Truth::True))
}

fn set_isdisjoint(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "isdisjoint")?;
    let r = rest(args, "set.isdisjoint", 1, 1)?;
    for x in vm.iterate(&unwrap(&r[0]))? {
        if vm.set_contains(&s, &probe_key(&x))? {
            return Ok(Value::Bool(Truth::False));
        }
    }
    Ok(Value::Bool(Truth::True))
}

// ----- dunders -----------------------------------------------------------------------

fn set_len(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "__len__")?;
    let n = s.d.borrow().len();
    Ok(Value::Int(n as i64))
}

fn set_contains(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "__contains__")?;
    let r = rest(args, "__contains__", 1, 1)?;
    Ok(Value::bool(vm.set_contains(&s, &probe_key(&r[0]))?))
}

fn set_iter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, _) = this(args, "__iter__")?;
    Ok(ordered_iter(&v))
}

fn set_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, s) = this(args, "__repr__")?;
    let keys = ordered_keys(&s);
    let name = match &args[0] {
        Value::Instance(i) => i.class.name.as_str().to_string(),
        other => other.type_name(),
    };
    if keys.is_empty() {
        return Ok(Value::string(format!("{name}()")));
    }
    // The list repr carries the recursion guard for self-containing sets.
    let inner = vm.repr(&Value::list(keys))?;
    let body = format!("{{{}}}", inner.get(1..inner.len() - 1).unwrap_or(""));
    let plain_set = matches!(args[0], Value::Set(_)) && matches!(v, Value::Set(_));
    Ok(Value::string(if plain_set {
        body
    } else {
        format!("{name}({body})")
    }))
}

fn frozenset_hash(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (v, _) = this(args, "__hash__")?;
    let v = match v {
        Value::Set(s) => Value::FrozenSet(s),
        v => v,
    };
    Ok(Value::Int(vm.hash(&v)? as i64))
}

/// The other operand of a set operator, or None for NotImplemented.
fn operand(v: &Value) -> Option<Value> {
    match unwrap(v) {
        s @ (Value::Set(_) | Value::FrozenSet(_)) => Some(s),
        _ => None,
    }
}

fn set_binop(vm: &mut Vm, args: &[Value], op: BinOp, reflected: bool, name: &str) -> Res<Value> {
    let (v, _) = this(args, name)?;
    let r = rest(args, name, 1, 1)?;
    let Some(o) = operand(&r[0]) else {
        return Ok(vm.types.not_implemented.clone());
    };
    if reflected {
        set_operation(vm, op, &o, &v)
    } else {
        set_operation(vm, op, &v, &o)
    }
}

fn set_or(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_binop(vm, args, BinOp::BitOr, false, "__or__")
}
fn set_ror(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_binop(vm, args, BinOp::BitOr, true, "__ror__")
}
fn set_and(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_binop(vm, args, BinOp::BitAnd, false, "__and__")
}
fn set_rand(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_binop(vm, args, BinOp::BitAnd, true, "__rand__")
}
fn set_sub(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_binop(vm, args, BinOp::Sub, false, "__sub__")
}
fn set_rsub(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_binop(vm, args, BinOp::Sub, true, "__rsub__")
}
fn set_xor(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_binop(vm, args, BinOp::BitXor, false, "__xor__")
}
fn set_rxor(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_binop(vm, args, BinOp::BitXor, true, "__rxor__")
}

fn set_inplace(vm: &mut Vm, args: &[Value], op: BinOp, name: &str) -> Res<Value> {
    let (v, s) = this(args, name)?;
    let r = rest(args, name, 1, 1)?;
    let Some(o) = operand(&r[0]) else {
        return Ok(vm.types.not_implemented.clone());
    };
    let res = set_operation(vm, op, &v, &o)?;
    assign(&s, &res);
    Ok(args[0].clone())
}

fn set_ior(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_inplace(vm, args, BinOp::BitOr, "__ior__")
}
fn set_iand(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_inplace(vm, args, BinOp::BitAnd, "__iand__")
}
fn set_isub(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_inplace(vm, args, BinOp::Sub, "__isub__")
}
fn set_ixor(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (_, s) = this(args, "__ixor__")?;
    let r = rest(args, "__ixor__", 1, 1)?;
    let Some(o) = operand(&r[0]) else {
        return Ok(vm.types.not_implemented.clone());
    };
    toggle_all(vm, &s, &o)?;
    Ok(args[0].clone())
}

fn set_cmp(vm: &mut Vm, args: &[Value], op: CmpOp, name: &str) -> Res<Value> {
    let (v, _) = this(args, name)?;
    let r = rest(args, name, 1, 1)?;
    let Some(o) = operand(&r[0]) else {
        return Ok(vm.types.not_implemented.clone());
    };
    Ok(Value::bool(match op {
        CmpOp::Eq => vm.set_eq(&v, &o)?,
        CmpOp::NotEq => !vm.set_eq(&v, &o)?,
        _ => vm.set_order(op, &v, &o)?,
    }))
}

fn set_eq(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_cmp(vm, args, CmpOp::Eq, "__eq__")
}
fn set_ne(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_cmp(vm, args, CmpOp::NotEq, "__ne__")
}
fn set_le(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_cmp(vm, args, CmpOp::LtE, "__le__")
}
fn set_lt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_cmp(vm, args, CmpOp::Lt, "__lt__")
}
fn set_ge(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_cmp(vm, args, CmpOp::GtE, "__ge__")
}
fn set_gt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    set_cmp(vm, args, CmpOp::Gt, "__gt__")
}
