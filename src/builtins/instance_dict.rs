//! `obj.__dict__` and `vars(obj)`: a live mapping over an instance's
//! attributes. Attributes are stored in a name-keyed table for speed, so
//! the mapping is a proxy that reads and writes that table.

use std::rc::Rc;

use super::{add_method, check_args};
use crate::vm::dict::Dict;
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::types::new_class;
use crate::vm::value::*;
use crate::vm::Vm;

pub struct InstanceDict {
    pub inst: Rc<InstanceObj>,
}

impl NativeObject for InstanceDict {
    fn type_name(&self) -> &str {
        "dict"
    }
    fn class(&self, vm: &Vm) -> Option<Rc<ClassObj>> {
        vm.native_classes.borrow().get("__instance_dict__").cloned()
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&Value::Instance(self.inst.clone()));
    }
    fn len(&self) -> Option<usize> {
        Some(self.inst.dict.borrow().len())
    }
    fn repr(&self, vm: &mut Vm) -> Res<Option<String>> {
        let d = snapshot(&self.inst);
        vm.repr(&d).map(Some)
    }
}

/// The attributes as an ordinary dict (in insertion order).
fn snapshot(inst: &Rc<InstanceObj>) -> Value {
    let mut d = Dict::new();
    for (k, v) in inst.dict.borrow().iter() {
        d.insert_new(k.hash_code(), Value::Str(k.clone()), v.clone());
    }
    Value::dict(d)
}

fn this(v: &Value) -> Res<Rc<InstanceObj>> {
    downcast::<InstanceDict>(v)
        .map(|d| d.inst.clone())
        .ok_or_else(|| Error::type_error("expected an instance __dict__"))
}

fn key(vm: &mut Vm, k: &Value) -> Res<Sym> {
    match k {
        Value::Str(s) => Ok(vm.intern(s.as_str())),
        other => Err(Error::type_error(format!(
            "attribute name must be string, not '{}'",
            other.type_name()
        ))),
    }
}

pub fn install(vm: &mut Vm) {
    let cls = new_class("dict", vec![vm.types.dict.clone()], Builtin::Object, true);
    let methods: &[(&'static str, NativeFnPtr)] = &[
        ("__getitem__", getitem),
        ("__setitem__", setitem),
        ("__delitem__", delitem),
        ("__contains__", contains),
        ("__iter__", iter),
        ("__len__", len),
        ("__eq__", eq),
        ("get", get),
        ("keys", keys),
        ("values", values),
        ("items", items),
        ("copy", copy),
        ("update", update),
        ("pop", pop),
        ("setdefault", setdefault),
        ("clear", clear),
    ];
    for (n, f) in methods {
        add_method(vm, &cls, n, *f);
    }
    vm.native_classes
        .borrow_mut()
        .insert("__instance_dict__".into(), cls);
}

pub fn proxy(inst: &Rc<InstanceObj>) -> Value {
    Value::object(InstanceDict { inst: inst.clone() })
}

fn getitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__getitem__", args, 2, 2)?;
    let inst = this(&args[0])?;
    let k = key(vm, &args[1]).map_err(|_| Error::key_error(args[1].clone()))?;
    let v = inst.dict.borrow().get(&k).cloned();
    v.ok_or_else(|| Error::key_error(args[1].clone()))
}

fn setitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__setitem__", args, 3, 3)?;
    let inst = this(&args[0])?;
    let k = key(vm, &args[1])?;
    inst.dict.borrow_mut().insert(k, args[2].clone());
    Ok(Value::None)
}

fn delitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__delitem__", args, 2, 2)?;
    let inst = this(&args[0])?;
    let k = key(vm, &args[1]).map_err(|_| Error::key_error(args[1].clone()))?;
    let old = inst.dict.borrow_mut().shift_remove(&k);
    old.map(|_| Value::None)
        .ok_or_else(|| Error::key_error(args[1].clone()))
}

fn contains(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__contains__", args, 2, 2)?;
    let inst = this(&args[0])?;
    Ok(Value::bool(match key(vm, &args[1]) {
        Ok(k) => inst.dict.borrow().contains_key(&k),
        Err(_) => false,
    }))
}

fn iter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let d = snapshot(&this(&args[0])?);
    vm.get_iter(&d)
}

fn len(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int(this(&args[0])?.dict.borrow().len() as i64))
}

fn eq(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__eq__", args, 2, 2)?;
    let d = snapshot(&this(&args[0])?);
    let other = match downcast::<InstanceDict>(&args[1]) {
        Some(o) => snapshot(&o.inst),
        None => args[1].clone(),
    };
    Ok(Value::bool(vm.eq(&d, &other)?))
}

fn get(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("get", args, 2, 3)?;
    let inst = this(&args[0])?;
    let default = args.get(2).cloned().unwrap_or(Value::None);
    Ok(match key(vm, &args[1]) {
        Ok(k) => inst.dict.borrow().get(&k).cloned().unwrap_or(default),
        Err(_) => default,
    })
}

fn via_snapshot(vm: &mut Vm, args: &[Value], method: &str) -> Res<Value> {
    let d = snapshot(&this(&args[0])?);
    vm.call_method(&d, method, &[])
}

fn keys(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    via_snapshot(vm, args, "keys")
}

fn values(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    via_snapshot(vm, args, "values")
}

fn items(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    via_snapshot(vm, args, "items")
}

fn copy(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(snapshot(&this(&args[0])?))
}

fn update(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let inst = this(&args[0])?;
    let d = Value::dict(Dict::new());
    super::constructors::dict_fill(vm, &d, &args[1..], kw)?;
    if let Value::Dict(d) = d {
        for (k, v) in d.d.borrow().items() {
            let k = key(vm, &k)?;
            inst.dict.borrow_mut().insert(k, v);
        }
    }
    Ok(Value::None)
}

fn pop(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("pop", args, 2, 3)?;
    let inst = this(&args[0])?;
    let k = key(vm, &args[1])?;
    let old = inst.dict.borrow_mut().shift_remove(&k);
    match (old, args.get(2)) {
        (Some(v), _) => Ok(v),
        (None, Some(d)) => Ok(d.clone()),
        (None, None) => Err(Error::key_error(args[1].clone())),
    }
}

fn setdefault(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("setdefault", args, 2, 3)?;
    let inst = this(&args[0])?;
    let k = key(vm, &args[1])?;
    let default = args.get(2).cloned().unwrap_or(Value::None);
    let mut d = inst.dict.borrow_mut();
    Ok(d.get_or_insert_with(k, || default).clone())
}

fn clear(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this(&args[0])?.dict.borrow_mut().clear();
    Ok(Value::None)
}
