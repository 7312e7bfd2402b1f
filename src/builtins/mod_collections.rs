//! `_collections`: the native parts of `collections` (deque, defaultdict,
//! OrderedDict, Counter and a field-name parser for namedtuple).
//!
//! deque instances are user-class instances whose payload is a native
//! [Deque]; the dict subclasses carry a dict payload like `class D(dict)`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use super::stdlib_data::{install_cmp, native_class};
use super::{add_fn, add_method, arg_or_kw, check_args, native};
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::ops::payload_of;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("_collections", None);
    let d = deque_class(vm);
    m.set_str("deque", Value::Class(d));
    let dd = defaultdict_class(vm);
    m.set_str("defaultdict", Value::Class(dd));
    let od = ordereddict_class(vm);
    m.set_str("OrderedDict", Value::Class(od));
    let c = counter_class(vm);
    m.set_str("Counter", Value::Class(c));
    add_fn(vm, &m, "_field_names", field_names);
    add_fn(vm, &m, "_tuple_new", tuple_new);
    add_fn(vm, &m, "_payload_new", payload_new);
    m
}

// ---------------------------------------------------------------------
// deque

pub struct Deque {
    items: RefCell<VecDeque<Value>>,
    maxlen: Option<usize>,
}

impl NativeObject for Deque {
    fn type_name(&self) -> &str {
        "deque"
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        for v in self.items.borrow().iter() {
            f(v);
        }
    }
    fn clear(&self) {
        self.items.borrow_mut().clear();
    }
    fn len(&self) -> Option<usize> {
        Some(self.items.borrow().len())
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "maxlen" => Some(match self.maxlen {
                Some(n) => Value::Int(n as i64),
                None => Value::None,
            }),
            _ => None,
        })
    }
}

impl Deque {
    fn push_back(&self, v: Value) {
        let mut d = self.items.borrow_mut();
        if self.maxlen == Some(0) {
            return;
        }
        if let Some(m) = self.maxlen {
            if d.len() >= m {
                d.pop_front();
            }
        }
        d.push_back(v);
    }
    fn push_front(&self, v: Value) {
        let mut d = self.items.borrow_mut();
        if self.maxlen == Some(0) {
            return;
        }
        if let Some(m) = self.maxlen {
            if d.len() >= m {
                d.pop_back();
            }
        }
        d.push_front(v);
    }
    fn snapshot(&self) -> Vec<Value> {
        self.items.borrow().iter().cloned().collect()
    }
}

fn deque_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "collections.deque",
        "collections",
        "deque",
        None,
        Builtin::Object,
        |vm, c| {
            let methods: &[(&'static str, NativeFnPtr)] = &[
                ("__init__", dq_init),
                ("append", dq_append),
                ("appendleft", dq_appendleft),
                ("pop", dq_pop),
                ("popleft", dq_popleft),
                ("extend", dq_extend),
                ("extendleft", dq_extendleft),
                ("rotate", dq_rotate),
                ("clear", dq_clear),
                ("count", dq_count),
                ("index", dq_index),
                ("remove", dq_remove),
                ("insert", dq_insert),
                ("reverse", dq_reverse),
                ("copy", dq_copy),
                ("__copy__", dq_copy),
                ("__len__", dq_len),
                ("__bool__", dq_bool),
                ("__getitem__", dq_getitem),
                ("__setitem__", dq_setitem),
                ("__delitem__", dq_delitem),
                ("__iter__", dq_iter),
                ("__reversed__", dq_reversed),
                ("__contains__", dq_contains),
                ("__repr__", dq_repr),
                ("__add__", dq_add),
                ("__mul__", dq_mul),
                ("__rmul__", dq_mul),
                ("__iadd__", dq_iadd),
            ];
            for (n, f) in methods {
                add_method(vm, c, n, *f);
            }
            add_attr_none(vm, c, "__hash__");
            install_cmp(
                vm,
                c,
                dq_cmp,
                &["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"],
            );
        },
    )
}

fn add_attr_none(vm: &mut Vm, c: &Rc<ClassObj>, name: &str) {
    super::add_attr(vm, c, name, Value::None);
}

/// The deque state of [v] (a deque instance), kept alive by the returned
/// value.
fn dq_state(v: &Value) -> Res<Value> {
    let p = match v {
        Value::Instance(i) => i.payload.borrow().clone(),
        other => other.clone(),
    };
    if downcast::<Deque>(&p).is_some() {
        Ok(p)
    } else {
        Err(Error::type_error(format!(
            "descriptor requires a 'collections.deque' object but received a '{}'",
            v.type_name()
        )))
    }
}

macro_rules! deque {
    ($v:expr, $p:ident) => {
        let __state = dq_state($v)?;
        let $p = downcast::<Deque>(&__state).ok_or_else(|| Error::type_error("deque expected"))?;
    };
}

/// `deque(iterable=(), maxlen=None)`: stores the native state as the
/// instance payload.
fn dq_init(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let a = &args[1..];
    if a.len() > 2 {
        return Err(Error::type_error(format!(
            "deque() takes at most 2 arguments ({} given)",
            a.len()
        )));
    }
    let maxlen = match arg_or_kw(a, kw, 1, "maxlen") {
        Some(Value::None) | None => None,
        Some(v) => {
            let n = vm.index_value(v)?;
            if n < 0 {
                return Err(Error::value_error("maxlen must be non-negative"));
            }
            Some(n as usize)
        }
    };
    let d = Deque {
        items: RefCell::new(VecDeque::new()),
        maxlen,
    };
    if let Some(it) = arg_or_kw(a, kw, 0, "iterable") {
        for v in vm.iterate(it)? {
            d.push_back(v);
        }
    }
    match &args[0] {
        Value::Instance(i) => *i.payload.borrow_mut() = Value::object(d),
        _ => return Err(Error::type_error("deque.__init__ needs a deque instance")),
    }
    Ok(Value::None)
}

fn dq_append(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("append", args, 2, 2)?;
    deque!(&args[0], d);
    d.push_back(args[1].clone());
    Ok(Value::None)
}

fn dq_appendleft(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("appendleft", args, 2, 2)?;
    deque!(&args[0], d);
    d.push_front(args[1].clone());
    Ok(Value::None)
}

fn dq_pop(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("pop", args, 1, 1)?;
    deque!(&args[0], d);
    let v = d.items.borrow_mut().pop_back();
    v.ok_or_else(|| Error::index_error("pop from an empty deque"))
}

fn dq_popleft(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("popleft", args, 1, 1)?;
    deque!(&args[0], d);
    let v = d.items.borrow_mut().pop_front();
    v.ok_or_else(|| Error::index_error("pop from an empty deque"))
}

fn dq_extend(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("extend", args, 2, 2)?;
    let items = vm.iterate(&args[1])?;
    deque!(&args[0], d);
    for v in items {
        d.push_back(v);
    }
    Ok(Value::None)
}

fn dq_extendleft(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("extendleft", args, 2, 2)?;
    let items = vm.iterate(&args[1])?;
    deque!(&args[0], d);
    for v in items {
        d.push_front(v);
    }
    Ok(Value::None)
}

fn dq_rotate(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("rotate", args, 1, 2)?;
    let n = match args.get(1) {
        Some(v) => vm.index_value(v)?,
        None => 1,
    };
    deque!(&args[0], d);
    let mut items = d.items.borrow_mut();
    let len = items.len() as i64;
    if len > 1 {
        let k = n.rem_euclid(len) as usize;
        items.rotate_right(k);
    }
    Ok(Value::None)
}

fn dq_clear(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    deque!(&args[0], d);
    let old = std::mem::take(&mut *d.items.borrow_mut());
    drop(old);
    Ok(Value::None)
}

fn dq_count(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("count", args, 2, 2)?;
    deque!(&args[0], d);
    let mut n = 0;
    for v in d.snapshot() {
        if v.is(&args[1]) || vm.eq(&v, &args[1])? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn dq_index(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("index", args, 2, 4)?;
    deque!(&args[0], d);
    let items = d.snapshot();
    let len = items.len() as i64;
    let norm = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
    let start = match args.get(2) {
        Some(v) => norm(vm.index_value(v)?),
        None => 0,
    };
    let stop = match args.get(3) {
        Some(v) => norm(vm.index_value(v)?),
        None => len,
    };
    for i in start..stop {
        let v = &items[i as usize];
        if v.is(&args[1]) || vm.eq(v, &args[1])? {
            return Ok(Value::Int(i));
        }
    }
    let r = vm.repr(&args[1])?;
    Err(Error::value_error(format!("{r} is not in deque")))
}

fn dq_remove(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("remove", args, 2, 2)?;
    deque!(&args[0], d);
    let items = d.snapshot();
    for (i, v) in items.iter().enumerate() {
        if v.is(&args[1]) || vm.eq(v, &args[1])? {
            let mut it = d.items.borrow_mut();
            if i < it.len() {
                it.remove(i);
            }
            return Ok(Value::None);
        }
    }
    Err(Error::value_error("deque.remove(x): x not in deque"))
}

fn dq_insert(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("insert", args, 3, 3)?;
    let i = vm.index_value(&args[1])?;
    deque!(&args[0], d);
    let mut items = d.items.borrow_mut();
    if d.maxlen == Some(items.len()) {
        return Err(Error::index_error("deque already at its maximum size"));
    }
    let len = items.len() as i64;
    let i = if i < 0 { (i + len).max(0) } else { i.min(len) } as usize;
    items.insert(i, args[2].clone());
    Ok(Value::None)
}

fn dq_reverse(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    deque!(&args[0], d);
    d.items.borrow_mut().make_contiguous().reverse();
    Ok(Value::None)
}

fn new_like(vm: &mut Vm, this: &Value, items: Vec<Value>, maxlen: Option<usize>) -> Res<Value> {
    let cls = match this {
        Value::Instance(i) => i.class.clone(),
        _ => deque_class(vm),
    };
    let ml = maxlen.map(|m| Value::Int(m as i64)).unwrap_or(Value::None);
    vm.instantiate(&cls, &[Value::list(items), ml], &[])
}

fn dq_copy(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    deque!(&args[0], d);
    let (items, ml) = (d.snapshot(), d.maxlen);
    new_like(vm, &args[0], items, ml)
}

fn dq_len(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    deque!(&args[0], d);
    let n = d.items.borrow().len();
    Ok(Value::Int(n as i64))
}

fn dq_bool(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    deque!(&args[0], d);
    let n = d.items.borrow().len();
    Ok(Value::bool(n > 0))
}

fn dq_pos(vm: &mut Vm, d: &Deque, key: &Value) -> Res<usize> {
    if matches!(key, Value::Slice(_)) {
        return Err(Error::type_error(
            "sequence index must be integer, not 'slice'",
        ));
    }
    let i = vm.index_value(key)?;
    let len = d.items.borrow().len() as i64;
    let j = if i < 0 { i + len } else { i };
    if j < 0 || j >= len {
        return Err(Error::index_error("deque index out of range"));
    }
    Ok(j as usize)
}

fn dq_getitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__getitem__", args, 2, 2)?;
    deque!(&args[0], d);
    let i = dq_pos(vm, d, &args[1])?;
    let v = d.items.borrow().get(i).cloned();
    v.ok_or_else(|| Error::index_error("deque index out of range"))
}

fn dq_setitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__setitem__", args, 3, 3)?;
    deque!(&args[0], d);
    let i = dq_pos(vm, d, &args[1])?;
    if let Some(slot) = d.items.borrow_mut().get_mut(i) {
        *slot = args[2].clone();
    }
    Ok(Value::None)
}

fn dq_delitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__delitem__", args, 2, 2)?;
    deque!(&args[0], d);
    let i = dq_pos(vm, d, &args[1])?;
    d.items.borrow_mut().remove(i);
    Ok(Value::None)
}

fn dq_iter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    deque!(&args[0], d);
    let l = Value::list(d.snapshot());
    vm.get_iter(&l)
}

fn dq_reversed(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    deque!(&args[0], d);
    let mut items = d.snapshot();
    items.reverse();
    let l = Value::list(items);
    vm.get_iter(&l)
}

fn dq_contains(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__contains__", args, 2, 2)?;
    deque!(&args[0], d);
    for v in d.snapshot() {
        if v.is(&args[1]) || vm.eq(&v, &args[1])? {
            return Ok(Value::Bool(Truth::True));
        }
    }
    Ok(Value::Bool(Truth::False))
}

thread_local! {
    /// Containers whose repr is in progress, to print `[...]` for cycles.
    static REPR_STACK: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Runs [f] unless [v] is already being printed (then returns None).
fn repr_guard(v: &Value, f: impl FnOnce() -> Res<String>) -> Res<Option<String>> {
    let p = v.ptr().unwrap_or(0);
    if REPR_STACK.with(|s| s.borrow().contains(&p)) {
        return Ok(None);
    }
    REPR_STACK.with(|s| s.borrow_mut().push(p));
    let r = f();
    REPR_STACK.with(|s| s.borrow_mut().retain(|&x| x != p));
    r.map(Some)
}

fn class_name(v: &Value) -> String {
    v.type_name()
}

fn dq_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    deque!(&args[0], d);
    let (items, ml) = (d.snapshot(), d.maxlen);
    let name = class_name(&args[0]);
    let r = repr_guard(&args[0], || {
        let l = vm.repr(&Value::list(items))?;
        Ok(match ml {
            Some(m) => format!("{name}({l}, maxlen={m})"),
            None => format!("{name}({l})"),
        })
    })?;
    Ok(Value::string(r.unwrap_or_else(|| "[...]".into())))
}

fn dq_add(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__add__", args, 2, 2)?;
    let other = match dq_state(&args[1]) {
        Ok(s) => s,
        Err(_) => {
            return Err(Error::type_error(format!(
                "can only concatenate deque (not \"{}\") to deque",
                args[1].type_name()
            )))
        }
    };
    deque!(&args[0], d);
    let mut items = d.snapshot();
    if let Some(o) = downcast::<Deque>(&other) {
        items.extend(o.snapshot());
    }
    let ml = d.maxlen;
    new_like(vm, &args[0], items, ml)
}

fn dq_mul(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__mul__", args, 2, 2)?;
    let n = match &args[1] {
        Value::Int(_) | Value::Bool(_) => vm.index_value(&args[1])?,
        _ => return Ok(vm.types.not_implemented.clone()),
    };
    deque!(&args[0], d);
    let one = d.snapshot();
    let mut items = Vec::new();
    for _ in 0..n.max(0) {
        items.extend(one.iter().cloned());
        if let Some(m) = d.maxlen {
            if items.len() > 2 * m + one.len() {
                let cut = items.len() - m;
                items.drain(..cut);
            }
        }
    }
    let ml = d.maxlen;
    new_like(vm, &args[0], items, ml)
}

fn dq_iadd(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    dq_extend(vm, args, kw)?;
    Ok(args[0].clone())
}

fn dq_cmp(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_cmp", args, 3, 3)?;
    let (Ok(a), Ok(b)) = (dq_state(&args[0]), dq_state(&args[1])) else {
        return Ok(vm.types.not_implemented.clone());
    };
    let la = downcast::<Deque>(&a)
        .map(|d| d.snapshot())
        .unwrap_or_default();
    let lb = downcast::<Deque>(&b)
        .map(|d| d.snapshot())
        .unwrap_or_default();
    let op = match args[2].as_str() {
        Some("==") => crate::syntax::ast::CmpOp::Eq,
        Some("<") => crate::syntax::ast::CmpOp::Lt,
        Some("<=") => crate::syntax::ast::CmpOp::LtE,
        Some(">") => crate::syntax::ast::CmpOp::Gt,
        _ => crate::syntax::ast::CmpOp::GtE,
    };
    vm.compare(op, &Value::list(la), &Value::list(lb))
}

// ---------------------------------------------------------------------
// dict subclasses

fn dict_of(v: &Value) -> Res<Rc<DictObj>> {
    match payload_of(v) {
        Some(Value::Dict(d)) => Ok(d),
        _ => match v {
            Value::Dict(d) => Ok(d.clone()),
            _ => Err(Error::type_error(format!(
                "descriptor requires a 'dict' object but received a '{}'",
                v.type_name()
            ))),
        },
    }
}

fn dict_subclass(
    vm: &mut Vm,
    key: &'static str,
    name: &str,
    setup: fn(&mut Vm, &Rc<ClassObj>),
) -> Rc<ClassObj> {
    let base = vm.types.dict.clone();
    native_class(
        vm,
        key,
        "collections",
        name,
        Some(base),
        Builtin::Dict,
        setup,
    )
}

fn defaultdict_class(vm: &mut Vm) -> Rc<ClassObj> {
    dict_subclass(vm, "collections.defaultdict", "defaultdict", |vm, c| {
        add_method(vm, c, "__init__", dd_init);
        add_method(vm, c, "__missing__", dd_missing);
        add_method(vm, c, "__repr__", dd_repr);
        add_method(vm, c, "copy", dd_copy);
        add_method(vm, c, "__copy__", dd_copy);
    })
}

fn factory_of(vm: &mut Vm, this: &Value) -> Res<Value> {
    let s = vm.intern_static("default_factory");
    Ok(vm.getattr_opt(this, &s)?.unwrap_or(Value::None))
}

fn dd_init(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let this = &args[0];
    let factory = args.get(1).cloned().unwrap_or(Value::None);
    if !factory.is_none() {
        let callable = vm.builtins.get_str("callable");
        if let Some(c) = callable {
            let ok = vm.call(&c, std::slice::from_ref(&factory), &[])?;
            if !vm.truthy(&ok)? {
                return Err(Error::type_error("first argument must be callable or None"));
            }
        }
    }
    let s = vm.intern_static("default_factory");
    vm.setattr(this, &s, factory)?;
    let d = Value::Dict(dict_of(this)?);
    let rest = if args.len() > 2 { &args[2..] } else { &[] };
    if rest.len() > 1 {
        return Err(Error::type_error(format!(
            "dict expected at most 1 argument, got {}",
            rest.len()
        )));
    }
    super::constructors::dict_fill(vm, &d, rest, kw)?;
    Ok(Value::None)
}

fn dd_missing(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__missing__", args, 2, 2)?;
    let f = factory_of(vm, &args[0])?;
    if f.is_none() {
        return Err(Error::key_error(args[1].clone()));
    }
    let v = vm.call(&f, &[], &[])?;
    let d = dict_of(&args[0])?;
    vm.dict_set(&d, args[1].clone(), v.clone())?;
    Ok(v)
}

fn dd_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let f = factory_of(vm, &args[0])?;
    let d = Value::Dict(dict_of(&args[0])?);
    let name = class_name(&args[0]);
    let r = repr_guard(&args[0], || {
        let fr = vm.repr(&f)?;
        let dr = vm.repr(&d)?;
        Ok(format!("{name}({fr}, {dr})"))
    })?;
    Ok(Value::string(r.unwrap_or_else(|| "...".into())))
}

fn dd_copy(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let f = factory_of(vm, &args[0])?;
    let cls = match &args[0] {
        Value::Instance(i) => i.class.clone(),
        _ => defaultdict_class(vm),
    };
    let d = Value::Dict(dict_of(&args[0])?);
    vm.instantiate(&cls, &[f, d], &[])
}

fn ordereddict_class(vm: &mut Vm) -> Rc<ClassObj> {
    dict_subclass(vm, "collections.OrderedDict", "OrderedDict", |vm, c| {
        add_method(vm, c, "__init__", od_init);
        add_method(vm, c, "move_to_end", od_move_to_end);
        add_method(vm, c, "popitem", od_popitem);
        add_method(vm, c, "__repr__", od_repr);
        add_method(vm, c, "__reversed__", od_reversed);
        add_method(vm, c, "copy", od_copy);
        add_method(vm, c, "__copy__", od_copy);
        install_cmp(vm, c, od_cmp, &["__eq__", "__ne__"]);
        add_attr_none(vm, c, "__hash__");
    })
}

fn od_init(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    if args.len() > 2 {
        return Err(Error::type_error(format!(
            "expected at most 1 argument, got {}",
            args.len() - 1
        )));
    }
    let d = Value::Dict(dict_of(&args[0])?);
    super::constructors::dict_fill(vm, &d, &args[1..], kw)?;
    Ok(Value::None)
}

fn od_move_to_end(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("move_to_end", args, 2, 3)?;
    let last = match arg_or_kw(args, kw, 2, "last") {
        Some(v) => vm.truthy(v)?,
        None => true,
    };
    let d = dict_of(&args[0])?;
    let key = &args[1];
    let h = vm.hash(key)?;
    let Some(idx) = vm.dict_find(&d.d, key, h)? else {
        return Err(Error::key_error(key.clone()));
    };
    let mut dd = d.d.borrow_mut();
    if last {
        dd.move_to_end(idx);
    } else {
        let others: Vec<(u64, Value, Value)> = dd
            .iter()
            .map(|e| (e.hash, e.key.clone(), e.value.clone()))
            .collect();
        let mut rebuilt = crate::vm::dict::Dict::with_capacity(others.len());
        let first = dd.entry(idx).clone();
        rebuilt.insert_new(first.hash, first.key.clone(), first.value.clone());
        for (hh, k, v) in others {
            if !(hh == first.hash && k.is(&first.key)) {
                rebuilt.insert_new(hh, k, v);
            }
        }
        *dd = rebuilt;
    }
    Ok(Value::None)
}

fn od_popitem(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("popitem", args, 1, 2)?;
    let last = match arg_or_kw(args, kw, 1, "last") {
        Some(v) => vm.truthy(v)?,
        None => true,
    };
    let d = dict_of(&args[0])?;
    let r = if last {
        d.d.borrow_mut().pop_last()
    } else {
        d.d.borrow_mut().pop_first()
    };
    match r {
        Some((k, v)) => Ok(Value::tuple(vec![k, v])),
        None => Err(Error::key_error(Value::str("dictionary is empty"))),
    }
}

fn od_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = dict_of(&args[0])?;
    let name = class_name(&args[0]);
    let items = d.d.borrow().items();
    if items.is_empty() {
        return Ok(Value::string(format!("{name}()")));
    }
    let r = repr_guard(&args[0], || {
        let l = Value::list(
            items
                .into_iter()
                .map(|(k, v)| Value::tuple(vec![k, v]))
                .collect(),
        );
        Ok(format!("{name}({})", vm.repr(&l)?))
    })?;
    Ok(Value::string(r.unwrap_or_else(|| "...".into())))
}

fn od_reversed(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = dict_of(&args[0])?;
    let mut keys = d.d.borrow().keys();
    keys.reverse();
    let l = Value::list(keys);
    vm.get_iter(&l)
}

fn od_copy(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let cls = match &args[0] {
        Value::Instance(i) => i.class.clone(),
        _ => ordereddict_class(vm),
    };
    let d = Value::Dict(dict_of(&args[0])?);
    vm.instantiate(&cls, &[d], &[])
}

fn is_od(vm: &mut Vm, v: &Value) -> bool {
    let c = ordereddict_class(vm);
    matches!(v, Value::Instance(i) if i.class.is_subclass(&c))
}

fn od_cmp(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_cmp", args, 3, 3)?;
    let Ok(a) = dict_of(&args[0]) else {
        return Ok(vm.types.not_implemented.clone());
    };
    let Ok(b) = dict_of(&args[1]) else {
        return Ok(vm.types.not_implemented.clone());
    };
    if is_od(vm, &args[0]) && is_od(vm, &args[1]) {
        let ia = a.d.borrow().items();
        let ib = b.d.borrow().items();
        if ia.len() != ib.len() {
            return Ok(Value::Bool(Truth::False));
        }
        for ((ka, va), (kb, vb)) in ia.iter().zip(ib.iter()) {
            if !vm.eq(ka, kb)? || !vm.eq(va, vb)? {
                return Ok(Value::Bool(Truth::False));
            }
        }
        return Ok(Value::Bool(Truth::True));
    }
    Ok(Value::bool(vm.dict_eq(&a, &b)?))
}

// ---------------------------------------------------------------------
// Counter

fn counter_class(vm: &mut Vm) -> Rc<ClassObj> {
    dict_subclass(vm, "collections.Counter", "Counter", |vm, c| {
        let methods: &[(&'static str, NativeFnPtr)] = &[
            ("__init__", ct_init),
            ("__missing__", ct_missing),
            ("update", ct_update),
            ("subtract", ct_subtract),
            ("most_common", ct_most_common),
            ("elements", ct_elements),
            ("total", ct_total),
            ("copy", ct_copy),
            ("__copy__", ct_copy),
            ("__delitem__", ct_delitem),
            ("__repr__", ct_repr),
            ("__add__", ct_add),
            ("__sub__", ct_sub),
            ("__or__", ct_or),
            ("__and__", ct_and),
            ("__pos__", ct_pos),
            ("__neg__", ct_neg),
            ("__iadd__", ct_iadd),
            ("__isub__", ct_isub),
            ("fromkeys", ct_fromkeys),
        ];
        for (n, f) in methods {
            add_method(vm, c, n, *f);
        }
    })
}

fn is_mapping(vm: &mut Vm, v: &Value) -> Res<bool> {
    Ok(match v {
        Value::Dict(_) => true,
        Value::Instance(_) => {
            let k = vm.intern_static("keys");
            vm.getattr_opt(v, &k)?.is_some()
        }
        _ => false,
    })
}

fn mapping_items(vm: &mut Vm, v: &Value) -> Res<Vec<(Value, Value)>> {
    if let Ok(d) = dict_of(v) {
        return Ok(d.d.borrow().items());
    }
    let tmp = Value::dict(crate::vm::dict::Dict::new());
    vm.dict_merge(&tmp, v, false)?;
    Ok(match &tmp {
        Value::Dict(d) => d.d.borrow().items(),
        _ => Vec::new(),
    })
}

/// Adds (or with [sign] -1 subtracts) counts from [src] into [d].
fn count_into(vm: &mut Vm, d: &Rc<DictObj>, src: &Value, sign: i64) -> Res<()> {
    let op = if sign > 0 {
        crate::syntax::ast::BinOp::Add
    } else {
        crate::syntax::ast::BinOp::Sub
    };
    if is_mapping(vm, src)? {
        for (k, v) in mapping_items(vm, src)? {
            let cur = vm.dict_get(d, &k)?.unwrap_or(Value::Int(0));
            let n = vm.binary(op, cur, v)?;
            vm.dict_set(d, k, n)?;
        }
        return Ok(());
    }
    let it = vm.get_iter(src)?;
    while let Some(k) = vm.iter_next(&it)? {
        let cur = vm.dict_get(d, &k)?.unwrap_or(Value::Int(0));
        let n = match cur {
            Value::Int(c) => Value::Int(c + sign),
            other => vm.binary(op, other, Value::Int(1))?,
        };
        vm.dict_set(d, k, n)?;
    }
    Ok(())
}

fn kw_dict(kw: &[(Sym, Value)]) -> Value {
    let mut d = crate::vm::dict::Dict::new();
    for (k, v) in kw {
        d.insert_new(k.hash_code(), Value::Str(k.clone()), v.clone());
    }
    Value::dict(d)
}

fn ct_update_sign(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], sign: i64) -> Res<Value> {
    if args.len() > 2 {
        return Err(Error::type_error(format!(
            "expected at most 1 argument, got {}",
            args.len() - 1
        )));
    }
    let d = dict_of(&args[0])?;
    if let Some(src) = args.get(1) {
        if !src.is_none() {
            count_into(vm, &d, src, sign)?;
        }
    }
    if !kw.is_empty() {
        count_into(vm, &d, &kw_dict(kw), sign)?;
    }
    Ok(Value::None)
}

fn ct_init(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    ct_update_sign(vm, args, kw, 1)
}

fn ct_update(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    ct_update_sign(vm, args, kw, 1)
}

fn ct_subtract(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    ct_update_sign(vm, args, kw, -1)
}

fn ct_missing(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int(0))
}

fn second(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    match args.first() {
        Some(Value::Tuple(t)) if t.items.len() > 1 => Ok(t.items[1].clone()),
        _ => Ok(Value::None),
    }
}

fn sorted_counts(vm: &mut Vm, d: &Rc<DictObj>) -> Res<Vec<Value>> {
    let mut items: Vec<Value> =
        d.d.borrow()
            .items()
            .into_iter()
            .map(|(k, v)| Value::tuple(vec![k, v]))
            .collect();
    let key = native("_count", second);
    super::functions::sort_values(vm, &mut items, Some(&key), true)?;
    Ok(items)
}

fn ct_most_common(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("most_common", args, 1, 2)?;
    let d = dict_of(&args[0])?;
    let mut items = sorted_counts(vm, &d)?;
    if let Some(n) = arg_or_kw(args, kw, 1, "n").filter(|v| !v.is_none()) {
        let n = vm.index_value(n)?.max(0) as usize;
        items.truncate(n);
    }
    Ok(Value::list(items))
}

fn ct_elements(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = dict_of(&args[0])?;
    let mut out = Vec::new();
    let entries = d.d.borrow().items();
    for (k, v) in entries {
        let n = match v {
            Value::Int(n) => n,
            Value::Bool(b) => b as i64,
            other => {
                return Err(Error::type_error(format!(
                    "'{}' object cannot be interpreted as an integer",
                    other.type_name()
                )))
            }
        };
        for _ in 0..n.max(0) {
            out.push(k.clone());
        }
    }
    let l = Value::list(out);
    vm.get_iter(&l)
}

fn ct_total(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = dict_of(&args[0])?;
    let mut t = Value::Int(0);
    let entries = d.d.borrow().values();
    for v in entries {
        t = vm.binary(crate::syntax::ast::BinOp::Add, t, v)?;
    }
    Ok(t)
}

fn new_counter(vm: &mut Vm) -> Res<(Value, Rc<DictObj>)> {
    let c = counter_class(vm);
    let v = vm.instantiate(&c, &[], &[])?;
    let d = dict_of(&v)?;
    Ok((v, d))
}

fn ct_copy(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let cls = match &args[0] {
        Value::Instance(i) => i.class.clone(),
        _ => counter_class(vm),
    };
    let src = Value::Dict(dict_of(&args[0])?);
    vm.instantiate(&cls, &[src], &[])
}

fn ct_delitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__delitem__", args, 2, 2)?;
    let d = dict_of(&args[0])?;
    vm.dict_remove(&d, &args[1])?;
    Ok(Value::None)
}

fn ct_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = dict_of(&args[0])?;
    let name = class_name(&args[0]);
    if d.d.borrow().is_empty() {
        return Ok(Value::string(format!("{name}()")));
    }
    let items = match sorted_counts(vm, &d) {
        Ok(i) => i,
        Err(_) => {
            d.d.borrow()
                .items()
                .into_iter()
                .map(|(k, v)| Value::tuple(vec![k, v]))
                .collect()
        }
    };
    let r = repr_guard(&args[0], || {
        let mut parts = Vec::new();
        for it in &items {
            if let Value::Tuple(t) = it {
                parts.push(format!(
                    "{}: {}",
                    vm.repr(&t.items[0])?,
                    vm.repr(&t.items[1])?
                ));
            }
        }
        Ok(format!("{name}({{{}}})", parts.join(", ")))
    })?;
    Ok(Value::string(r.unwrap_or_else(|| "...".into())))
}

fn positive(vm: &mut Vm, v: &Value) -> Res<bool> {
    vm.less_than(&Value::Int(0), v)
}

fn counter_arg(vm: &mut Vm, v: &Value) -> Res<Option<Rc<DictObj>>> {
    let c = counter_class(vm);
    Ok(match v {
        Value::Instance(i) if i.class.is_subclass(&c) => Some(dict_of(v)?),
        _ => None,
    })
}

/// Counter arithmetic: [f] combines the two counts (missing = 0).
fn ct_binop(vm: &mut Vm, args: &[Value], f: fn(&mut Vm, Value, Value) -> Res<Value>) -> Res<Value> {
    check_args("op", args, 2, 2)?;
    let a = dict_of(&args[0])?;
    let Some(b) = counter_arg(vm, &args[1])? else {
        return Ok(vm.types.not_implemented.clone());
    };
    let (res, rd) = new_counter(vm)?;
    let entries = a.d.borrow().items();
    for (k, va) in entries {
        let vb = vm.dict_get(&b, &k)?.unwrap_or(Value::Int(0));
        let n = f(vm, va, vb)?;
        if positive(vm, &n)? {
            vm.dict_set(&rd, k, n)?;
        }
    }
    let entries = b.d.borrow().items();
    for (k, vb) in entries {
        if vm.dict_get(&a, &k)?.is_none() {
            let n = f(vm, Value::Int(0), vb)?;
            if positive(vm, &n)? {
                vm.dict_set(&rd, k, n)?;
            }
        }
    }
    Ok(res)
}

fn ct_add(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    ct_binop(vm, args, |vm, a, b| {
        vm.binary(crate::syntax::ast::BinOp::Add, a, b)
    })
}

fn ct_sub(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    ct_binop(vm, args, |vm, a, b| {
        vm.binary(crate::syntax::ast::BinOp::Sub, a, b)
    })
}

fn ct_or(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    ct_binop(vm, args, |vm, a, b| {
        Ok(if vm.less_than(&a, &b)? { b } else { a })
    })
}

fn ct_and(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    ct_binop(vm, args, |vm, a, b| {
        Ok(if vm.less_than(&a, &b)? { a } else { b })
    })
}

fn ct_unary(vm: &mut Vm, args: &[Value], neg: bool) -> Res<Value> {
    let a = dict_of(&args[0])?;
    let (res, rd) = new_counter(vm)?;
    let entries = a.d.borrow().items();
    for (k, v) in entries {
        let n = if neg {
            vm.binary(crate::syntax::ast::BinOp::Sub, Value::Int(0), v)?
        } else {
            v
        };
        if positive(vm, &n)? {
            vm.dict_set(&rd, k, n)?;
        }
    }
    Ok(res)
}

fn ct_pos(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    ct_unary(vm, args, false)
}

fn ct_neg(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    ct_unary(vm, args, true)
}

/// In-place `+=` / `-=`: update, then keep only positive counts.
fn ct_inplace(vm: &mut Vm, args: &[Value], sign: i64) -> Res<Value> {
    check_args("op", args, 2, 2)?;
    let Some(b) = counter_arg(vm, &args[1])? else {
        return Ok(vm.types.not_implemented.clone());
    };
    let a = dict_of(&args[0])?;
    count_into(vm, &a, &Value::Dict(b), sign)?;
    let entries = a.d.borrow().items();
    for (k, v) in entries {
        if !positive(vm, &v)? {
            vm.dict_remove(&a, &k)?;
        }
    }
    Ok(args[0].clone())
}

fn ct_iadd(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    ct_inplace(vm, args, 1)
}

fn ct_isub(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    ct_inplace(vm, args, -1)
}

fn ct_fromkeys(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Err(Error::new(
        crate::vm::error::ExcType::NotImplementedError,
        "Counter.fromkeys() is undefined.  Use Counter(iterable) instead.",
    ))
}

// ---------------------------------------------------------------------
// namedtuple support

fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    cs.all(|c| c == '_' || c.is_alphanumeric())
}

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// `_field_names(typename, field_names, rename)`: the validated field
/// names as a tuple of str, with namedtuple's errors.
fn field_names(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_field_names", args, 3, 3)?;
    let typename = match &args[0] {
        Value::Str(s) => s.as_str().to_string(),
        other => {
            return Err(Error::type_error(format!(
                "Type names and field names must be strings, not {}",
                other.type_name()
            )))
        }
    };
    let rename = vm.truthy(&args[2])?;
    let mut names: Vec<String> = match &args[1] {
        Value::Str(s) => s
            .as_str()
            .replace(',', " ")
            .split_whitespace()
            .map(|x| x.to_string())
            .collect(),
        other => {
            let mut out = Vec::new();
            for v in vm.iterate(other)? {
                match v {
                    Value::Str(s) => out.push(s.as_str().to_string()),
                    o => {
                        return Err(Error::type_error(format!(
                            "Type names and field names must be strings, not {}",
                            o.type_name()
                        )))
                    }
                }
            }
            out
        }
    };
    if rename {
        let mut seen: Vec<String> = Vec::new();
        for (i, n) in names.iter_mut().enumerate() {
            if !is_identifier(n)
                || KEYWORDS.contains(&n.as_str())
                || n.starts_with('_')
                || seen.contains(n)
            {
                *n = format!("_{i}");
            }
            seen.push(n.clone());
        }
    }
    for n in std::iter::once(&typename).chain(names.iter()) {
        if !is_identifier(n) {
            return Err(Error::value_error(format!(
                "Type names and field names must be valid identifiers: {}",
                crate::vm::repr::str_repr(n)
            )));
        }
        if KEYWORDS.contains(&n.as_str()) {
            return Err(Error::value_error(format!(
                "Type names and field names cannot be a keyword: {}",
                crate::vm::repr::str_repr(n)
            )));
        }
    }
    let mut seen: Vec<&String> = Vec::new();
    for n in &names {
        if n.starts_with('_') && !rename {
            return Err(Error::value_error(format!(
                "Field names cannot start with an underscore: {}",
                crate::vm::repr::str_repr(n)
            )));
        }
        if seen.contains(&n) {
            return Err(Error::value_error(format!(
                "Encountered duplicate field name: {}",
                crate::vm::repr::str_repr(n)
            )));
        }
        seen.push(n);
    }
    Ok(Value::tuple(names.into_iter().map(Value::string).collect()))
}

/// `_tuple_new(cls, iterable)`: an instance of tuple subclass [cls].
fn tuple_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_tuple_new", args, 2, 2)?;
    let Value::Class(c) = &args[0] else {
        return Err(Error::type_error("_tuple_new(X): X is not a type object"));
    };
    let items = match &args[1] {
        Value::Tuple(t) => t.items.to_vec(),
        other => vm.iterate(other)?,
    };
    let inst = vm.new_instance(c);
    if let Value::Instance(i) = &inst {
        *i.payload.borrow_mut() = Value::tuple(items);
    }
    Ok(inst)
}

/// `_payload_new(cls, value)`: an instance of [cls] (deriving from int,
/// str, ...) carrying [value] as its built-in payload (used by enum).
fn payload_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_payload_new", args, 2, 2)?;
    let Value::Class(c) = &args[0] else {
        return Err(Error::type_error("_payload_new(X): X is not a type object"));
    };
    let inst = vm.new_instance(c);
    if let Value::Instance(i) = &inst {
        if !matches!(c.builtin, Builtin::Object) {
            *i.payload.borrow_mut() = args[1].clone();
        }
    }
    Ok(inst)
}
