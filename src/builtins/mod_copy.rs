//! The `copy` module: shallow and deep copies with CPython's rules
//! (atomic values are shared, `__copy__`/`__deepcopy__` hooks, a memo
//! dict keyed by id for shared and recursive structures).

use std::rc::Rc;

use super::{add_fn, arg_or_kw, check_args};
use crate::vm::dict::Dict;
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

/// Values copied by sharing them.
fn is_atomic(v: &Value) -> bool {
    matches!(
        v,
        Value::Undef
            | Value::None
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::BigInt(_)
            | Value::Str(_)
            | Value::Bytes(_)
            | Value::Range(_)
            | Value::Slice(_)
            | Value::Function(_)
            | Value::Native(_)
            | Value::BoundMethod(_)
            | Value::Class(_)
            | Value::Module(_)
            | Value::Code(_)
            | Value::Cell(_)
            | Value::Generator(_)
    )
}

fn hook(vm: &mut Vm, x: &Value, name: &str) -> Res<Option<Value>> {
    let s = vm.intern(name);
    match x {
        Value::Instance(i) => {
            if i.class.lookup(&s).is_some() {
                Ok(Some(vm.getattr(x, &s)?))
            } else {
                Ok(None)
            }
        }
        Value::Object(_) => vm.getattr_opt(x, &s),
        _ => Ok(None),
    }
}

fn shallow_payload(p: &Value) -> Value {
    match p {
        Value::List(l) => Value::list(l.items.borrow().clone()),
        Value::Dict(d) => Value::dict(d.d.borrow().clone()),
        Value::Set(s) => Value::set(s.d.borrow().clone()),
        other => other.clone(),
    }
}

fn copy(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("copy", args, 1, 1)?;
    let x = &args[0];
    if is_atomic(x) {
        return Ok(x.clone());
    }
    Ok(match x {
        Value::Tuple(_) | Value::FrozenSet(_) => x.clone(),
        Value::List(l) => Value::list(l.items.borrow().clone()),
        Value::Dict(d) => Value::dict(d.d.borrow().clone()),
        Value::Set(s) => Value::set(s.d.borrow().clone()),
        Value::ByteArray(b) => {
            Value::ByteArray(Rc::new(std::cell::RefCell::new(b.borrow().clone())))
        }
        Value::Instance(i) => {
            if let Some(f) = hook(vm, x, "__copy__")? {
                return vm.call(&f, &[], &[]);
            }
            let y = vm.new_instance(&i.class);
            if let Value::Instance(yi) = &y {
                *yi.dict.borrow_mut() = i.dict.borrow().clone();
                let p = i.payload.borrow().clone();
                *yi.payload.borrow_mut() = shallow_payload(&p);
            }
            y
        }
        _ => {
            if let Some(f) = hook(vm, x, "__copy__")? {
                return vm.call(&f, &[], &[]);
            }
            if let Some(f) = hook(vm, x, "copy")? {
                return vm.call(&f, &[], &[]);
            }
            return Err(Error::type_error(format!(
                "cannot pickle '{}' object",
                x.type_name()
            )));
        }
    })
}

fn memo_key(x: &Value) -> Value {
    Value::Int(x.ptr().unwrap_or(0) as i64)
}

fn deep(vm: &mut Vm, x: &Value, memo: &Rc<DictObj>) -> Res<Value> {
    if is_atomic(x) {
        return Ok(x.clone());
    }
    let key = memo_key(x);
    if let Some(y) = vm.dict_get(memo, &key)? {
        return Ok(y);
    }
    let y = match x {
        Value::List(l) => {
            let y = Rc::new(ListObj {
                gc: crate::vm::gc::GcSlot::new(),
                items: std::cell::RefCell::new(Vec::new()),
            });
            vm.dict_set(memo, key.clone(), Value::List(y.clone()))?;
            crate::vm::gc::track(&Value::List(y.clone()));
            let items = l.items.borrow().clone();
            for it in items {
                let c = deep(vm, &it, memo)?;
                y.items.borrow_mut().push(c);
            }
            Value::List(y)
        }
        Value::Tuple(t) => {
            let mut out = Vec::with_capacity(t.items.len());
            for it in t.items.iter() {
                out.push(deep(vm, it, memo)?);
            }
            // A recursive tuple may have been copied meanwhile.
            if let Some(y) = vm.dict_get(memo, &key)? {
                return Ok(y);
            }
            if out.iter().zip(t.items.iter()).all(|(a, b)| a.is(b)) {
                x.clone()
            } else {
                Value::tuple(out)
            }
        }
        Value::Dict(d) => {
            let y = Rc::new(DictObj {
                gc: crate::vm::gc::GcSlot::new(),
                d: std::cell::RefCell::new(Dict::new()),
            });
            vm.dict_set(memo, key.clone(), Value::Dict(y.clone()))?;
            crate::vm::gc::track(&Value::Dict(y.clone()));
            let items = d.d.borrow().items();
            for (k, v) in items {
                let k2 = deep(vm, &k, memo)?;
                let v2 = deep(vm, &v, memo)?;
                vm.dict_set(&y, k2, v2)?;
            }
            Value::Dict(y)
        }
        Value::Set(s) | Value::FrozenSet(s) => {
            let items = s.d.borrow().keys();
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                out.push(deep(vm, &it, memo)?);
            }
            let set = vm.new_set(out)?;
            match (x, set) {
                (Value::FrozenSet(_), Value::Set(inner)) => Value::FrozenSet(inner),
                (_, s) => s,
            }
        }
        Value::ByteArray(b) => {
            Value::ByteArray(Rc::new(std::cell::RefCell::new(b.borrow().clone())))
        }
        Value::Instance(i) => {
            if let Some(f) = hook(vm, x, "__deepcopy__")? {
                let y = vm.call(&f, &[Value::Dict(memo.clone())], &[])?;
                vm.dict_set(memo, key.clone(), y.clone())?;
                keep_alive(vm, memo, x)?;
                return Ok(y);
            }
            let y = vm.new_instance(&i.class);
            vm.dict_set(memo, key.clone(), y.clone())?;
            let Value::Instance(yi) = &y else {
                return Ok(y);
            };
            let state: Vec<(Sym, Value)> = i
                .dict
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let setstate = vm.intern_static("__setstate__");
            if i.class.lookup(&setstate).is_some() {
                let mut d = Dict::new();
                for (k, v) in &state {
                    d.insert_new(k.hash_code(), Value::Str(k.clone()), v.clone());
                }
                let st = deep(vm, &Value::dict(d), memo)?;
                let f = vm.getattr(&y, &setstate)?;
                vm.call(&f, &[st], &[])?;
            } else {
                for (k, v) in state {
                    let v2 = deep(vm, &v, memo)?;
                    yi.dict.borrow_mut().insert(k, v2);
                }
            }
            let p = i.payload.borrow().clone();
            let p2 = match &p {
                // The payload is private to x: copy its contents.
                Value::List(_) | Value::Dict(_) | Value::Set(_) => deep(vm, &p, memo)?,
                other => other.clone(),
            };
            *yi.payload.borrow_mut() = p2;
            y
        }
        _ => {
            if let Some(f) = hook(vm, x, "__deepcopy__")? {
                vm.call(&f, &[Value::Dict(memo.clone())], &[])?
            } else {
                return Err(Error::type_error(format!(
                    "cannot pickle '{}' object",
                    x.type_name()
                )));
            }
        }
    };
    vm.dict_set(memo, key, y.clone())?;
    keep_alive(vm, memo, x)?;
    Ok(y)
}

/// Keeps originals alive in `memo[id(memo)]` so ids are not reused.
fn keep_alive(vm: &mut Vm, memo: &Rc<DictObj>, x: &Value) -> Res<()> {
    let k = Value::Int(Rc::as_ptr(memo) as *const u8 as usize as i64);
    match vm.dict_get(memo, &k)? {
        Some(Value::List(l)) => l.items.borrow_mut().push(x.clone()),
        _ => vm.dict_set(memo, k, Value::list(vec![x.clone()]))?,
    }
    Ok(())
}

fn deepcopy(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("deepcopy", args, 1, 2)?;
    let memo = match arg_or_kw(args, kw, 1, "memo") {
        Some(Value::Dict(d)) => d.clone(),
        Some(Value::None) | None => Rc::new(DictObj {
            gc: crate::vm::gc::GcSlot::new(),
            d: std::cell::RefCell::new(Dict::new()),
        }),
        Some(v) => {
            return Err(Error::type_error(format!(
                "memo must be a dict, not {}",
                v.type_name()
            )))
        }
    };
    deep(vm, &args[0], &memo)
}

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("copy", None);
    add_fn(vm, &m, "copy", copy);
    add_fn(vm, &m, "deepcopy", deepcopy);
    let err = crate::vm::types::new_class(
        "Error",
        vec![vm.types.exc_named("Exception")],
        Builtin::BaseException,
        false,
    );
    super::add_attr(vm, &err, "__module__", Value::str("copy"));
    m.set_str("Error", Value::Class(err.clone()));
    m.set_str("error", Value::Class(err));
    m
}
