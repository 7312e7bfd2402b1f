//! Methods of `list`, `tuple` and `range`.

use std::cell::Cell;
use std::rc::Rc;

use super::functions::{fn_iter, sort_values};
use super::{add_attr, add_method, check_args, kwarg};
use crate::syntax::ast::{BinOp, CmpOp};
use crate::vm::error::{Error, Res};
use crate::vm::ops::payload_of;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn install(vm: &mut Vm) {
    let list = vm.types.list.clone();
    let methods: &[(&'static str, crate::vm::object::NativeFnPtr)] = &[
        ("append", list_append),
        ("extend", list_extend),
        ("insert", list_insert),
        ("remove", list_remove),
        ("pop", list_pop),
        ("clear", list_clear),
        ("index", list_index),
        ("count", list_count),
        ("sort", list_sort),
        ("reverse", list_reverse),
        ("copy", list_copy),
        ("__len__", seq_len),
        ("__getitem__", seq_getitem),
        ("__setitem__", list_setitem),
        ("__delitem__", list_delitem),
        ("__contains__", seq_contains),
        ("__iter__", seq_iter),
        ("__add__", list_add),
        ("__mul__", seq_mul),
        ("__rmul__", seq_mul),
        ("__iadd__", list_iadd),
        ("__imul__", list_imul),
        ("__eq__", seq_eq),
        ("__ne__", seq_ne),
        ("__lt__", seq_lt),
        ("__le__", seq_le),
        ("__gt__", seq_gt),
        ("__ge__", seq_ge),
        ("__reversed__", list_reversed),
        ("__repr__", seq_repr),
    ];
    for (name, f) in methods {
        add_method(vm, &list, name, *f);
    }
    add_attr(vm, &list, "__hash__", Value::None);

    let tuple = vm.types.tuple.clone();
    let methods: &[(&'static str, crate::vm::object::NativeFnPtr)] = &[
        ("count", tuple_count),
        ("index", tuple_index),
        ("__len__", seq_len),
        ("__getitem__", seq_getitem),
        ("__contains__", seq_contains),
        ("__iter__", seq_iter),
        ("__add__", tuple_add),
        ("__mul__", seq_mul),
        ("__rmul__", seq_mul),
        ("__eq__", seq_eq),
        ("__ne__", seq_ne),
        ("__lt__", seq_lt),
        ("__le__", seq_le),
        ("__gt__", seq_gt),
        ("__ge__", seq_ge),
        ("__hash__", seq_hash),
        ("__repr__", seq_repr),
    ];
    for (name, f) in methods {
        add_method(vm, &tuple, name, *f);
    }

    let range = vm.types.range.clone();
    let methods: &[(&'static str, crate::vm::object::NativeFnPtr)] = &[
        ("count", range_count),
        ("index", range_index),
        ("__len__", seq_len),
        ("__getitem__", seq_getitem),
        ("__contains__", seq_contains),
        ("__iter__", seq_iter),
        ("__reversed__", range_reversed),
        ("__eq__", range_eq),
        ("__ne__", range_ne),
        ("__hash__", seq_hash),
        ("__repr__", seq_repr),
    ];
    for (name, f) in methods {
        add_method(vm, &range, name, *f);
    }
}

/// The receiver with any subclass instance unwrapped to its payload.
fn base(args: &[Value]) -> Value {
    match args.first() {
        Some(v) => payload_of(v).unwrap_or_else(|| v.clone()),
        None => Value::None,
    }
}

fn wrong_receiver(name: &str, ty: &str, v: &Value) -> Error {
    Error::type_error(format!(
        "descriptor '{name}' for '{ty}' objects doesn't apply to a '{}' object",
        v.type_name()
    ))
}

fn this_list(args: &[Value], name: &str) -> Res<Rc<ListObj>> {
    match base(args) {
        Value::List(l) => Ok(l),
        _ => Err(match args.first() {
            Some(v) => wrong_receiver(name, "list", v),
            None => Error::type_error(format!(
                "descriptor '{name}' of 'list' object needs an argument"
            )),
        }),
    }
}

fn this_tuple(args: &[Value], name: &str) -> Res<Rc<TupleObj>> {
    match base(args) {
        Value::Tuple(t) => Ok(t),
        _ => Err(match args.first() {
            Some(v) => wrong_receiver(name, "tuple", v),
            None => Error::type_error(format!(
                "descriptor '{name}' of 'tuple' object needs an argument"
            )),
        }),
    }
}

fn this_range(args: &[Value], name: &str) -> Res<Rc<RangeObj>> {
    match base(args) {
        Value::Range(r) => Ok(r),
        _ => Err(match args.first() {
            Some(v) => wrong_receiver(name, "range", v),
            None => Error::type_error(format!(
                "descriptor '{name}' of 'range' object needs an argument"
            )),
        }),
    }
}

/// `args[1..]` checked against a count, named `qual()` in errors.
fn rest<'a>(args: &'a [Value], qual: &str, min: usize, max: usize) -> Res<&'a [Value]> {
    let rest = args.get(1..).unwrap_or(&[]);
    check_args(qual, rest, min, max)?;
    Ok(rest)
}

/// Clamps a start/stop argument of `index` the way slices do.
fn clamp_bound(vm: &mut Vm, v: Option<&Value>, len: usize, default: usize) -> Res<usize> {
    let Some(v) = v else { return Ok(default) };
    if v.is_none() {
        return Ok(default);
    }
    let i = vm.index_value(v).map_err(|_| {
        Error::type_error("slice indices must be integers or have an __index__ method")
    })?;
    let n = len as i64;
    let i = if i < 0 { (i + n).max(0) } else { i.min(n) };
    Ok(i as usize)
}

fn same(vm: &mut Vm, a: &Value, b: &Value) -> Res<bool> {
    Ok(a.is(b) || vm.eq(a, b)?)
}

// ----- list ----------------------------------------------------------------

fn list_append(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "append")?;
    let r = rest(args, "list.append", 1, 1)?;
    l.items.borrow_mut().push(r[0].clone());
    Ok(Value::None)
}

fn list_extend(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "extend")?;
    let r = rest(args, "list.extend", 1, 1)?;
    let items = vm.iterate(&r[0])?;
    l.items.borrow_mut().extend(items);
    Ok(Value::None)
}

fn list_insert(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "insert")?;
    let r = rest(args, "insert", 2, 2)?;
    let i = vm.index_value(&r[0])?;
    let mut items = l.items.borrow_mut();
    let n = items.len() as i64;
    let i = if i < 0 { (i + n).max(0) } else { i.min(n) };
    items.insert(i as usize, r[1].clone());
    Ok(Value::None)
}

fn list_remove(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "remove")?;
    let r = rest(args, "list.remove", 1, 1)?;
    let mut i = 0;
    loop {
        let x = match l.items.borrow().get(i) {
            Some(x) => x.clone(),
            None => break,
        };
        if same(vm, &x, &r[0])? {
            let mut items = l.items.borrow_mut();
            if i < items.len() {
                items.remove(i);
            }
            return Ok(Value::None);
        }
        i += 1;
    }
    Err(Error::value_error("list.remove(x): x not in list"))
}

fn list_pop(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "pop")?;
    let r = rest(args, "pop", 0, 1)?;
    let idx = match r.first() {
        Some(v) => vm.index_value(v)?,
        None => -1,
    };
    let mut items = l.items.borrow_mut();
    if items.is_empty() {
        return Err(Error::index_error("pop from empty list"));
    }
    let n = items.len() as i64;
    let i = if idx < 0 { idx + n } else { idx };
    if i < 0 || i >= n {
        return Err(Error::index_error("pop index out of range"));
    }
    Ok(items.remove(i as usize))
}

fn list_clear(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "clear")?;
    rest(args, "list.clear", 0, 0)?;
    // Drop the items after releasing the borrow: their destructors may run.
    let old = std::mem::take(&mut *l.items.borrow_mut());
    drop(old);
    Ok(Value::None)
}

fn list_index(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "index")?;
    let r = rest(args, "index", 1, 3)?;
    let len = l.items.borrow().len();
    let start = clamp_bound(vm, r.get(1), len, 0)?;
    let stop = clamp_bound(vm, r.get(2), len, len)?;
    let mut i = start;
    while i < stop {
        let x = match l.items.borrow().get(i) {
            Some(x) => x.clone(),
            None => break,
        };
        if same(vm, &x, &r[0])? {
            return Ok(Value::Int(i as i64));
        }
        i += 1;
    }
    Err(Error::value_error(format!(
        "{} is not in list",
        vm.repr(&r[0])?
    )))
}

fn list_count(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "count")?;
    let r = rest(args, "list.count", 1, 1)?;
    let items = l.items.borrow().clone();
    let mut n = 0;
    for x in &items {
        if same(vm, x, &r[0])? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn list_sort(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "sort")?;
    if args.len() > 1 {
        return Err(Error::type_error("sort() takes no positional arguments"));
    }
    for (k, _) in kw {
        if k.as_str() != "key" && k.as_str() != "reverse" {
            return Err(Error::type_error(format!(
                "'{}' is an invalid keyword argument for sort()",
                k.as_str()
            )));
        }
    }
    let key = kwarg(kw, "key").cloned();
    let reverse = match kwarg(kw, "reverse") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    // As in CPython the list appears empty while it is being sorted, so
    // that mutation by the key or comparisons can be detected.
    let mut items = std::mem::take(&mut *l.items.borrow_mut());
    let r = sort_values(vm, &mut items, key.as_ref(), reverse);
    let modified = !l.items.borrow().is_empty();
    let displaced = std::mem::replace(&mut *l.items.borrow_mut(), items);
    drop(displaced);
    r?;
    if modified {
        return Err(Error::value_error("list modified during sort"));
    }
    Ok(Value::None)
}

fn list_reverse(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "reverse")?;
    rest(args, "list.reverse", 0, 0)?;
    l.items.borrow_mut().reverse();
    Ok(Value::None)
}

fn list_copy(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "copy")?;
    rest(args, "list.copy", 0, 0)?;
    let items = l.items.borrow().clone();
    Ok(Value::list(items))
}

fn list_setitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this_list(args, "__setitem__")?;
    let r = rest(args, "__setitem__", 2, 2)?;
    vm.setitem(&base(args), r[0].clone(), r[1].clone())?;
    Ok(Value::None)
}

fn list_delitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this_list(args, "__delitem__")?;
    let r = rest(args, "__delitem__", 1, 1)?;
    vm.delitem(&base(args), &r[0])?;
    Ok(Value::None)
}

/// The list (or list subclass payload) inside [v], if any.
fn as_list(v: &Value) -> Option<Rc<ListObj>> {
    match payload_of(v).unwrap_or_else(|| v.clone()) {
        Value::List(l) => Some(l),
        _ => None,
    }
}

fn list_add(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "__add__")?;
    let r = rest(args, "__add__", 1, 1)?;
    match as_list(&r[0]) {
        Some(o) => {
            let mut v = l.items.borrow().clone();
            v.extend(o.items.borrow().iter().cloned());
            Ok(Value::list(v))
        }
        None => Err(Error::type_error(format!(
            "can only concatenate list (not \"{}\") to list",
            r[0].type_name()
        ))),
    }
}

fn list_iadd(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "__iadd__")?;
    let r = rest(args, "__iadd__", 1, 1)?;
    let items = vm.iterate(&r[0])?;
    l.items.borrow_mut().extend(items);
    Ok(args[0].clone())
}

fn list_imul(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "__imul__")?;
    let r = rest(args, "__imul__", 1, 1)?;
    if !crate::vm::num::is_int(&base(&r[..1])) {
        return Ok(vm.types.not_implemented.clone());
    }
    let whole = Value::List(l.clone());
    let repeated = vm.binary(BinOp::Mul, whole, base(&r[..1]))?;
    if let Value::List(n) = repeated {
        let items = n.items.borrow().clone();
        let old = std::mem::replace(&mut *l.items.borrow_mut(), items);
        drop(old);
    }
    Ok(args[0].clone())
}

fn list_reversed(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let l = this_list(args, "__reversed__")?;
    rest(args, "__reversed__", 0, 0)?;
    // Like CPython's list_reverseiterator: walks down from the current end
    // and stops once the index falls outside the (possibly shrunk) list.
    let next = Cell::new(l.items.borrow().len() as i64 - 1);
    let held = vec![Value::List(l.clone())];
    Ok(fn_iter("list_reverseiterator", held, move |_vm| {
        let i = next.get();
        if i < 0 {
            return Ok(None);
        }
        let items = l.items.borrow();
        match items.get(i as usize) {
            Some(x) => {
                next.set(i - 1);
                Ok(Some(x.clone()))
            }
            None => {
                next.set(-1);
                Ok(None)
            }
        }
    }))
}

// ----- shared sequence dunders ------------------------------------------

fn seq_check(args: &[Value], name: &str) -> Res<Value> {
    let b = base(args);
    match b {
        Value::List(_) | Value::Tuple(_) | Value::Range(_) => Ok(b),
        _ => Err(match args.first() {
            Some(v) => wrong_receiver(name, "sequence", v),
            None => Error::type_error(format!("descriptor '{name}' needs an argument")),
        }),
    }
}

fn seq_len(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = seq_check(args, "__len__")?;
    rest(args, "__len__", 0, 0)?;
    Ok(Value::Int(super::functions::length(vm, &b)? as i64))
}

fn seq_getitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = seq_check(args, "__getitem__")?;
    let r = rest(args, "__getitem__", 1, 1)?;
    vm.getitem(&b, &r[0])
}

fn seq_contains(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = seq_check(args, "__contains__")?;
    let r = rest(args, "__contains__", 1, 1)?;
    Ok(Value::bool(vm.contains(&b, &r[0])?))
}

fn seq_iter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = seq_check(args, "__iter__")?;
    rest(args, "__iter__", 0, 0)?;
    vm.get_iter(&b)
}

fn seq_mul(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = seq_check(args, "__mul__")?;
    let r = rest(args, "__mul__", 1, 1)?;
    let n = payload_of(&r[0]).unwrap_or_else(|| r[0].clone());
    if !crate::vm::num::is_int(&n) {
        if matches!(n, Value::Instance(_)) {
            let k = vm.index_value(&n)?;
            return vm.binary(BinOp::Mul, b, Value::Int(k));
        }
        return Err(Error::type_error(format!(
            "can't multiply sequence by non-int of type '{}'",
            r[0].type_name()
        )));
    }
    vm.binary(BinOp::Mul, b, n)
}

fn seq_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = seq_check(args, "__repr__")?;
    Ok(Value::string(vm.repr(&b)?))
}

fn seq_hash(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = seq_check(args, "__hash__")?;
    if let Value::List(_) = b {
        return Err(Error::type_error("unhashable type: 'list'"));
    }
    Ok(Value::Int(vm.hash(&b)? as i64))
}

/// Rich comparison of two sequences of the receiver's kind; NotImplemented
/// when [other] is not one.
fn seq_cmp(vm: &mut Vm, args: &[Value], op: CmpOp, name: &str) -> Res<Value> {
    let b = seq_check(args, name)?;
    let r = rest(args, name, 1, 1)?;
    let o = payload_of(&r[0]).unwrap_or_else(|| r[0].clone());
    let compatible = matches!(
        (&b, &o),
        (Value::List(_), Value::List(_)) | (Value::Tuple(_), Value::Tuple(_))
    );
    if !compatible {
        return Ok(vm.types.not_implemented.clone());
    }
    vm.compare(op, &b, &o)
}

fn seq_eq(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    seq_cmp(vm, args, CmpOp::Eq, "__eq__")
}
fn seq_ne(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    seq_cmp(vm, args, CmpOp::NotEq, "__ne__")
}
fn seq_lt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    seq_cmp(vm, args, CmpOp::Lt, "__lt__")
}
fn seq_le(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    seq_cmp(vm, args, CmpOp::LtE, "__le__")
}
fn seq_gt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    seq_cmp(vm, args, CmpOp::Gt, "__gt__")
}
fn seq_ge(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    seq_cmp(vm, args, CmpOp::GtE, "__ge__")
}

// ----- tuple ---------------------------------------------------------------

fn tuple_count(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let t = this_tuple(args, "count")?;
    let r = rest(args, "tuple.count", 1, 1)?;
    let mut n = 0;
    for x in t.items.iter() {
        if same(vm, x, &r[0])? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn tuple_index(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let t = this_tuple(args, "index")?;
    let r = rest(args, "index", 1, 3)?;
    let len = t.items.len();
    let start = clamp_bound(vm, r.get(1), len, 0)?;
    let stop = clamp_bound(vm, r.get(2), len, len)?;
    for i in start..stop {
        if same(vm, &t.items[i], &r[0])? {
            return Ok(Value::Int(i as i64));
        }
    }
    Err(Error::value_error("tuple.index(x): x not in tuple"))
}

fn tuple_add(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let t = this_tuple(args, "__add__")?;
    let r = rest(args, "__add__", 1, 1)?;
    match payload_of(&r[0]).unwrap_or_else(|| r[0].clone()) {
        Value::Tuple(o) => {
            let mut v = t.items.to_vec();
            v.extend(o.items.iter().cloned());
            Ok(Value::tuple(v))
        }
        _ => Err(Error::type_error(format!(
            "can only concatenate tuple (not \"{}\") to tuple",
            r[0].type_name()
        ))),
    }
}

// ----- range ---------------------------------------------------------------

/// The position of [x] in [r], for int-like x.
fn range_position(r: &RangeObj, x: &Value) -> Option<i64> {
    let i = match x {
        Value::Int(i) => *i as i128,
        Value::Bool(b) => *b as i128,
        _ => return None,
    };
    let (start, step, len) = (r.start as i128, r.step as i128, r.len() as i128);
    let off = i - start;
    if off % step != 0 {
        return None;
    }
    let k = off / step;
    (k >= 0 && k < len).then_some(k as i64)
}

fn range_count(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = this_range(args, "count")?;
    let a = rest(args, "range.count", 1, 1)?;
    if matches!(a[0], Value::Int(_) | Value::Bool(_)) {
        return Ok(Value::Int(range_position(&r, &a[0]).is_some() as i64));
    }
    let items = vm.iterate(&Value::Range(r))?;
    let mut n = 0;
    for x in &items {
        if same(vm, x, &a[0])? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn range_index(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = this_range(args, "index")?;
    let a = rest(args, "range.index", 1, 1)?;
    if matches!(a[0], Value::Int(_) | Value::Bool(_)) {
        if let Some(k) = range_position(&r, &a[0]) {
            return Ok(Value::Int(k));
        }
        return Err(Error::value_error(format!(
            "{} is not in range",
            vm.repr(&a[0])?
        )));
    }
    let items = vm.iterate(&Value::Range(r))?;
    for (i, x) in items.iter().enumerate() {
        if same(vm, x, &a[0])? {
            return Ok(Value::Int(i as i64));
        }
    }
    Err(Error::value_error("sequence.index(x): x not in sequence"))
}

fn range_reversed(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = this_range(args, "__reversed__")?;
    let n = r.len();
    let last = r.start as i128 + (n as i128 - 1) * r.step as i128;
    let cur = Cell::new(last);
    let left = Cell::new(n);
    let step = r.step as i128;
    Ok(fn_iter("range_iterator", vec![], move |_vm| {
        let k = left.get();
        if k <= 0 {
            return Ok(None);
        }
        left.set(k - 1);
        let v = cur.get();
        cur.set(v - step);
        Ok(Some(Value::Int(v as i64)))
    }))
}

/// Ranges are equal when they describe the same sequence.
pub fn ranges_equal(a: &RangeObj, b: &RangeObj) -> bool {
    let (la, lb) = (a.len(), b.len());
    if la != lb {
        return false;
    }
    if la == 0 {
        return true;
    }
    if a.start != b.start {
        return false;
    }
    la == 1 || a.step == b.step
}

fn range_eq(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = this_range(args, "__eq__")?;
    let a = rest(args, "__eq__", 1, 1)?;
    match &a[0] {
        Value::Range(o) => Ok(Value::bool(ranges_equal(&r, o))),
        _ => Ok(vm.types.not_implemented.clone()),
    }
}

fn range_ne(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = this_range(args, "__ne__")?;
    let a = rest(args, "__ne__", 1, 1)?;
    match &a[0] {
        Value::Range(o) => Ok(Value::bool(!ranges_equal(&r, o))),
        _ => Ok(vm.types.not_implemented.clone()),
    }
}
