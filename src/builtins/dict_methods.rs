//! Methods of `dict` and its views (`dict_keys`, `dict_values`,
//! `dict_items`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::constructors::dict_fill;
use super::functions::{fn_iter, new_classmethod};
use super::{add_attr, add_method, check_args, native};
use crate::syntax::ast::{BinOp, CmpOp};
use crate::vm::dict::Dict;
use crate::vm::error::{Error, Res};
use crate::vm::iter::{DictIter, DictIterKind};
use crate::vm::object::{downcast, Builtin, ClassObj, NativeFnPtr, NativeObject};
use crate::vm::ops::payload_of;
use crate::vm::value::*;
use crate::vm::Vm;

thread_local! {
    /// The classes of the three view types, created by `install`.
    static VIEW_CLASSES: RefCell<Option<[Rc<ClassObj>; 3]>> = const { RefCell::new(None) };
}

pub fn install(vm: &mut Vm) {
    let dict = vm.types.dict.clone();
    let methods: &[(&'static str, NativeFnPtr)] = &[
        ("keys", dict_keys),
        ("values", dict_values),
        ("items", dict_items),
        ("get", dict_get),
        ("setdefault", dict_setdefault),
        ("pop", dict_pop),
        ("popitem", dict_popitem),
        ("update", dict_update),
        ("clear", dict_clear),
        ("copy", dict_copy),
        ("__len__", dict_len),
        ("__getitem__", dict_getitem),
        ("__setitem__", dict_setitem),
        ("__delitem__", dict_delitem),
        ("__contains__", dict_contains),
        ("__iter__", dict_iter),
        ("__eq__", dict_eq),
        ("__ne__", dict_ne),
        ("__or__", dict_or),
        ("__ror__", dict_ror),
        ("__ior__", dict_ior),
        ("__reversed__", dict_reversed),
        ("__repr__", dict_repr),
    ];
    for (name, f) in methods {
        add_method(vm, &dict, name, *f);
    }
    add_attr(vm, &dict, "__hash__", Value::None);
    let fromkeys = native("fromkeys", dict_fromkeys);
    add_attr(vm, &dict, "fromkeys", new_classmethod(fromkeys));

    let object = vm.types.object.clone();
    let mk =
        |name: &str| crate::vm::types::new_class(name, vec![object.clone()], Builtin::Object, true);
    let classes = [mk("dict_keys"), mk("dict_values"), mk("dict_items")];
    for (i, c) in classes.iter().enumerate() {
        let common: &[(&'static str, NativeFnPtr)] = &[
            ("__iter__", view_iter),
            ("__len__", view_len),
            ("__reversed__", view_reversed),
        ];
        for (name, f) in common {
            add_method(vm, c, name, *f);
        }
        if i == 1 {
            continue;
        }
        // dict_values has no __contains__: `in` scans it.
        let setlike: &[(&'static str, NativeFnPtr)] = &[
            ("__contains__", view_contains),
            ("__and__", view_and),
            ("__rand__", view_rand),
            ("__or__", view_or),
            ("__ror__", view_ror),
            ("__sub__", view_sub),
            ("__rsub__", view_rsub),
            ("__xor__", view_xor),
            ("__rxor__", view_rxor),
            ("__eq__", view_eq),
            ("__ne__", view_ne),
            ("__le__", view_le),
            ("__lt__", view_lt),
            ("__ge__", view_ge),
            ("__gt__", view_gt),
            ("isdisjoint", view_isdisjoint),
        ];
        for (name, f) in setlike {
            add_method(vm, c, name, *f);
        }
        add_attr(vm, c, "__hash__", Value::None);
    }
    VIEW_CLASSES.with(|v| *v.borrow_mut() = Some(classes));
}

// ----- views -------------------------------------------------------------------

/// A live view of a dict's keys, values or items.
pub struct DictView {
    pub dict: Rc<DictObj>,
    pub kind: DictIterKind,
}

impl DictView {
    fn index(&self) -> usize {
        match self.kind {
            DictIterKind::Keys => 0,
            DictIterKind::Values => 1,
            DictIterKind::Items => 2,
        }
    }
    /// The view's elements, in dict order.
    fn elements(&self) -> Vec<Value> {
        let d = self.dict.d.borrow();
        match self.kind {
            DictIterKind::Keys => d.keys(),
            DictIterKind::Values => d.values(),
            DictIterKind::Items => d
                .items()
                .into_iter()
                .map(|(k, v)| Value::tuple(vec![k, v]))
                .collect(),
        }
    }
}

impl NativeObject for DictView {
    fn type_name(&self) -> &str {
        ["dict_keys", "dict_values", "dict_items"][self.index()]
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        let i = self.index();
        VIEW_CLASSES.with(|v| v.borrow().as_ref().map(|c| c[i].clone()))
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&Value::Dict(self.dict.clone()));
    }
    fn len(&self) -> Option<usize> {
        Some(self.dict.d.borrow().len())
    }
    fn repr(&self, vm: &mut Vm) -> Res<Option<String>> {
        let items = Value::list(self.elements());
        Ok(Some(format!("{}({})", self.type_name(), vm.repr(&items)?)))
    }
}

fn new_view(d: Rc<DictObj>, kind: DictIterKind) -> Value {
    Value::object(DictView { dict: d, kind })
}

fn this_view(args: &[Value]) -> Res<&DictView> {
    args.first()
        .and_then(downcast::<DictView>)
        .ok_or_else(|| Error::type_error("descriptor requires a dict view"))
}

fn view_iter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let v = this_view(args)?;
    let len = v.dict.d.borrow().len();
    Ok(Value::object(DictIter {
        dict: Value::Dict(v.dict.clone()),
        pos: Cell::new(0),
        kind: v.kind,
        len,
    }))
}

fn view_len(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let v = this_view(args)?;
    Ok(Value::Int(v.dict.d.borrow().len() as i64))
}

fn view_contains(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let v = this_view(args)?;
    let r = rest(args, "__contains__", 1, 1)?;
    let x = &r[0];
    let found = match v.kind {
        DictIterKind::Keys => vm.dict_get(&v.dict, x)?.is_some(),
        DictIterKind::Items => match x {
            Value::Tuple(t) if t.items.len() == 2 => match vm.dict_get(&v.dict, &t.items[0])? {
                Some(val) => val.is(&t.items[1]) || vm.eq(&val, &t.items[1])?,
                None => false,
            },
            _ => false,
        },
        DictIterKind::Values => {
            let vals = v.dict.d.borrow().values();
            let mut hit = false;
            for val in &vals {
                if val.is(x) || vm.eq(val, x)? {
                    hit = true;
                    break;
                }
            }
            hit
        }
    };
    Ok(Value::bool(found))
}

/// Iterates a dict backwards, failing if its size changes meanwhile.
fn reverse_iter(d: Rc<DictObj>, kind: DictIterKind) -> Value {
    let len = d.d.borrow().len();
    let pos = Cell::new(d.d.borrow().slots());
    let name = match kind {
        DictIterKind::Keys => "dict_reversekeyiterator",
        DictIterKind::Values => "dict_reversevalueiterator",
        DictIterKind::Items => "dict_reverseitemiterator",
    };
    let held = vec![Value::Dict(d.clone())];
    fn_iter(name, held, move |_vm| {
        let t = d.d.borrow();
        if t.len() != len {
            pos.set(0);
            return Err(Error::runtime_error(
                "dictionary changed size during iteration",
            ));
        }
        let mut p = pos.get().min(t.slots());
        while p > 0 {
            p -= 1;
            if let Some(e) = t.slot(p) {
                pos.set(p);
                return Ok(Some(match kind {
                    DictIterKind::Keys => e.key.clone(),
                    DictIterKind::Values => e.value.clone(),
                    DictIterKind::Items => Value::tuple(vec![e.key.clone(), e.value.clone()]),
                }));
            }
        }
        pos.set(0);
        Ok(None)
    })
}

fn view_reversed(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let v = this_view(args)?;
    Ok(reverse_iter(v.dict.clone(), v.kind))
}

/// The view's elements as a new set.
fn view_set(vm: &mut Vm, v: &DictView) -> Res<Value> {
    let items = v.elements();
    vm.new_set(items)
}

/// Any iterable as a set, for the set operations of views.
fn other_set(vm: &mut Vm, o: &Value) -> Res<Option<Value>> {
    if let Some(v) = downcast::<DictView>(o) {
        return view_set(vm, v).map(Some);
    }
    match o {
        Value::Set(_) | Value::FrozenSet(_) => Ok(Some(o.clone())),
        _ => {
            if vm.get_iter(o).is_err() {
                return Ok(None);
            }
            vm.set_from_iter(o, false).map(Some)
        }
    }
}

fn view_binop(vm: &mut Vm, args: &[Value], op: BinOp, reflected: bool) -> Res<Value> {
    let v = this_view(args)?;
    let r = rest(args, "view operation", 1, 1)?;
    let mine = view_set(vm, v)?;
    let Some(other) = other_set(vm, &r[0])? else {
        return Ok(vm.types.not_implemented.clone());
    };
    let (a, b) = if reflected {
        (other, mine)
    } else {
        (mine, other)
    };
    // The result is always a plain set.
    let a = match a {
        Value::FrozenSet(s) => Value::set(s.d.borrow().clone()),
        a => a,
    };
    vm.set_binary(op, &a, &b)
}

fn view_and(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_binop(vm, args, BinOp::BitAnd, false)
}
fn view_rand(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_binop(vm, args, BinOp::BitAnd, true)
}
fn view_or(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_binop(vm, args, BinOp::BitOr, false)
}
fn view_ror(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_binop(vm, args, BinOp::BitOr, true)
}
fn view_sub(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_binop(vm, args, BinOp::Sub, false)
}
fn view_rsub(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_binop(vm, args, BinOp::Sub, true)
}
fn view_xor(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_binop(vm, args, BinOp::BitXor, false)
}
fn view_rxor(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_binop(vm, args, BinOp::BitXor, true)
}

/// Comparisons of set-like views with sets and other set-like views.
fn view_cmp(vm: &mut Vm, args: &[Value], op: CmpOp) -> Res<Value> {
    let v = this_view(args)?;
    let r = rest(args, "view comparison", 1, 1)?;
    let other_is_setlike = matches!(r[0], Value::Set(_) | Value::FrozenSet(_))
        || downcast::<DictView>(&r[0]).is_some_and(|o| o.kind != DictIterKind::Values);
    if !other_is_setlike {
        return Ok(vm.types.not_implemented.clone());
    }
    let mine = view_set(vm, v)?;
    let Some(other) = other_set(vm, &r[0])? else {
        return Ok(vm.types.not_implemented.clone());
    };
    let res = match op {
        CmpOp::Eq => vm.set_eq(&mine, &other)?,
        CmpOp::NotEq => !vm.set_eq(&mine, &other)?,
        _ => vm.set_order(op, &mine, &other)?,
    };
    Ok(Value::bool(res))
}

fn view_eq(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_cmp(vm, args, CmpOp::Eq)
}
fn view_ne(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_cmp(vm, args, CmpOp::NotEq)
}
fn view_le(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_cmp(vm, args, CmpOp::LtE)
}
fn view_lt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_cmp(vm, args, CmpOp::Lt)
}
fn view_ge(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_cmp(vm, args, CmpOp::GtE)
}
fn view_gt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    view_cmp(vm, args, CmpOp::Gt)
}

fn view_isdisjoint(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let v = this_view(args)?;
    let r = rest(args, "isdisjoint", 1, 1)?;
    let mine = view_set(vm, v)?;
    let Value::Set(s) = &mine else {
        return Ok(Value::Bool(Truth::True));
    };
    for x in vm.iterate(&r[0])? {
        if vm.set_contains(s, &x)? {
            return Ok(Value::Bool(Truth::False));
        }
    }
    Ok(Value::Bool(Truth::True))
}

// ----- dict --------------------------------------------------------------------

fn this_dict(args: &[Value], name: &str) -> Res<Rc<DictObj>> {
    let v = args
        .first()
        .map(|v| payload_of(v).unwrap_or_else(|| v.clone()));
    match v {
        Some(Value::Dict(d)) => Ok(d),
        _ => Err(match args.first() {
            Some(v) => Error::type_error(format!(
                "descriptor '{name}' for 'dict' objects doesn't apply to a '{}' object",
                v.type_name()
            )),
            None => Error::type_error(format!(
                "descriptor '{name}' of 'dict' object needs an argument"
            )),
        }),
    }
}

fn rest<'a>(args: &'a [Value], qual: &str, min: usize, max: usize) -> Res<&'a [Value]> {
    let rest = args.get(1..).unwrap_or(&[]);
    check_args(qual, rest, min, max)?;
    Ok(rest)
}

/// CPython's "X expected at most N arguments, got M" form.
fn rest_expected<'a>(args: &'a [Value], name: &str, min: usize, max: usize) -> Res<&'a [Value]> {
    let rest = args.get(1..).unwrap_or(&[]);
    let n = rest.len();
    if n < min {
        return Err(Error::type_error(format!(
            "{name} expected at least {min} argument{}, got {n}",
            if min == 1 { "" } else { "s" }
        )));
    }
    if n > max {
        return Err(Error::type_error(format!(
            "{name} expected at most {max} argument{}, got {n}",
            if max == 1 { "" } else { "s" }
        )));
    }
    Ok(rest)
}

fn dict_keys(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "keys")?;
    rest(args, "dict.keys", 0, 0)?;
    Ok(new_view(d, DictIterKind::Keys))
}

fn dict_values(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "values")?;
    rest(args, "dict.values", 0, 0)?;
    Ok(new_view(d, DictIterKind::Values))
}

fn dict_items(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "items")?;
    rest(args, "dict.items", 0, 0)?;
    Ok(new_view(d, DictIterKind::Items))
}

fn dict_get(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "get")?;
    let r = rest_expected(args, "get", 1, 2)?;
    Ok(vm
        .dict_get(&d, &r[0])?
        .unwrap_or_else(|| r.get(1).cloned().unwrap_or(Value::None)))
}

fn dict_setdefault(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "setdefault")?;
    let r = rest_expected(args, "setdefault", 1, 2)?;
    if let Some(v) = vm.dict_get(&d, &r[0])? {
        return Ok(v);
    }
    let dflt = r.get(1).cloned().unwrap_or(Value::None);
    vm.dict_set(&d, r[0].clone(), dflt.clone())?;
    Ok(dflt)
}

fn dict_pop(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "pop")?;
    let r = rest_expected(args, "pop", 1, 2)?;
    match vm.dict_remove(&d, &r[0])? {
        Some(v) => Ok(v),
        None => match r.get(1) {
            Some(dflt) => Ok(dflt.clone()),
            None => Err(Error::key_error(r[0].clone())),
        },
    }
}

fn dict_popitem(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "popitem")?;
    rest(args, "dict.popitem", 0, 0)?;
    let popped = d.d.borrow_mut().pop_last();
    match popped {
        Some((k, v)) => Ok(Value::tuple(vec![k, v])),
        None => Err(Error::new(
            crate::vm::error::ExcType::KeyError,
            "popitem(): dictionary is empty",
        )),
    }
}

fn dict_update(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "update")?;
    let r = rest_expected(args, "update", 0, 1)?;
    dict_fill(vm, &Value::Dict(d), r, kw)?;
    Ok(Value::None)
}

fn dict_clear(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "clear")?;
    rest(args, "dict.clear", 0, 0)?;
    // Drop the entries outside the borrow: destructors may run code.
    let old = std::mem::take(&mut *d.d.borrow_mut());
    drop(old);
    Ok(Value::None)
}

fn dict_copy(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "copy")?;
    rest(args, "dict.copy", 0, 0)?;
    let table = d.d.borrow().clone();
    Ok(Value::dict(table))
}

fn dict_fromkeys(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = rest_expected(args, "fromkeys", 1, 2)?;
    let value = r.get(1).cloned().unwrap_or(Value::None);
    let keys = vm.iterate(&r[0])?;
    let is_plain = match args.first() {
        Some(Value::Class(c)) => Rc::ptr_eq(c, &vm.types.dict),
        _ => true,
    };
    if is_plain {
        let d = Rc::new(DictObj {
            gc: crate::vm::gc::GcSlot::new(),
            d: RefCell::new(Dict::with_capacity(keys.len())),
        });
        for k in keys {
            vm.dict_set(&d, k, value.clone())?;
        }
        return Ok(Value::Dict(d));
    }
    let obj = vm.call(&args[0], &[], &[])?;
    for k in keys {
        vm.setitem(&obj, k, value.clone())?;
    }
    Ok(obj)
}

fn dict_len(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__len__")?;
    let n = d.d.borrow().len();
    Ok(Value::Int(n as i64))
}

fn dict_getitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__getitem__")?;
    let r = rest(args, "__getitem__", 1, 1)?;
    if let Some(v) = vm.dict_get(&d, &r[0])? {
        return Ok(v);
    }
    if let Value::Instance(i) = &args[0] {
        let missing = vm.intern_static("__missing__");
        if let Some(m) = i.class.lookup(&missing) {
            return vm.call(&m, &[args[0].clone(), r[0].clone()], &[]);
        }
    }
    Err(Error::key_error(r[0].clone()))
}

fn dict_setitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__setitem__")?;
    let r = rest(args, "__setitem__", 2, 2)?;
    vm.dict_set(&d, r[0].clone(), r[1].clone())?;
    Ok(Value::None)
}

fn dict_delitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__delitem__")?;
    let r = rest(args, "__delitem__", 1, 1)?;
    match vm.dict_remove(&d, &r[0])? {
        Some(_) => Ok(Value::None),
        None => Err(Error::key_error(r[0].clone())),
    }
}

fn dict_contains(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__contains__")?;
    let r = rest(args, "__contains__", 1, 1)?;
    Ok(Value::bool(vm.dict_get(&d, &r[0])?.is_some()))
}

fn dict_iter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__iter__")?;
    vm.get_iter(&Value::Dict(d))
}

fn other_dict(v: &Value) -> Option<Rc<DictObj>> {
    match payload_of(v).unwrap_or_else(|| v.clone()) {
        Value::Dict(d) => Some(d),
        _ => None,
    }
}

fn dict_eq(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__eq__")?;
    let r = rest(args, "__eq__", 1, 1)?;
    match other_dict(&r[0]) {
        Some(o) => Ok(Value::bool(vm.dict_eq(&d, &o)?)),
        None => Ok(vm.types.not_implemented.clone()),
    }
}

fn dict_ne(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__ne__")?;
    let r = rest(args, "__ne__", 1, 1)?;
    match other_dict(&r[0]) {
        Some(o) => Ok(Value::bool(!vm.dict_eq(&d, &o)?)),
        None => Ok(vm.types.not_implemented.clone()),
    }
}

fn dict_or(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__or__")?;
    let r = rest(args, "__or__", 1, 1)?;
    let Some(o) = other_dict(&r[0]) else {
        return Ok(vm.types.not_implemented.clone());
    };
    let out = Value::dict(d.d.borrow().clone());
    vm.dict_merge(&out, &Value::Dict(o), false)?;
    Ok(out)
}

fn dict_ror(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__ror__")?;
    let r = rest(args, "__ror__", 1, 1)?;
    let Some(o) = other_dict(&r[0]) else {
        return Ok(vm.types.not_implemented.clone());
    };
    let out = Value::dict(o.d.borrow().clone());
    vm.dict_merge(&out, &Value::Dict(d), false)?;
    Ok(out)
}

fn dict_ior(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__ior__")?;
    let r = rest(args, "__ior__", 1, 1)?;
    dict_fill(vm, &Value::Dict(d), r, &[])?;
    Ok(args[0].clone())
}

fn dict_reversed(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__reversed__")?;
    Ok(reverse_iter(d, DictIterKind::Keys))
}

fn dict_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = this_dict(args, "__repr__")?;
    Ok(Value::string(vm.repr(&Value::Dict(d))?))
}
