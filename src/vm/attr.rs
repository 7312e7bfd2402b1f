//! Attribute access: `obj.name`, method lookup and descriptors.

use std::rc::Rc;

use super::descr::{ClassMethod, Property, StaticMethod};
use super::error::{Error, Res};
use super::interp::Vm;
use super::object::*;
use super::value::*;

impl Vm {
    /// The class of any value (`type(v)`).
    pub fn type_of(&self, v: &Value) -> Rc<ClassObj> {
        let t = &self.types;
        match v {
            Value::Undef | Value::None => t.none.clone(),
            Value::Bool(_) => t.bool_.clone(),
            Value::Int(_) | Value::BigInt(_) => t.int.clone(),
            Value::Float(_) => t.float.clone(),
            Value::Str(_) => t.str_.clone(),
            Value::Bytes(_) => t.bytes.clone(),
            Value::ByteArray(_) => t.bytearray.clone(),
            Value::List(_) => t.list.clone(),
            Value::Tuple(_) => t.tuple.clone(),
            Value::Dict(_) => t.dict.clone(),
            Value::Set(_) => t.set.clone(),
            Value::FrozenSet(_) => t.frozenset.clone(),
            Value::Range(_) => t.range.clone(),
            Value::Slice(_) => t.slice.clone(),
            Value::Function(_) => t.function.clone(),
            Value::Native(_) => t.builtin_function.clone(),
            Value::BoundMethod(_) => t.method.clone(),
            Value::Class(c) => c
                .metaclass
                .borrow()
                .clone()
                .unwrap_or_else(|| t.type_.clone()),
            Value::Instance(i) => i.class.clone(),
            Value::Module(_) => t.module.clone(),
            Value::Generator(_) => t.generator.clone(),
            Value::Cell(_) => t.cell.clone(),
            Value::Code(_) => t.code.clone(),
            Value::Object(o) => match o.class(self) {
                Some(c) => c,
                None => self.native_class(o.type_name()),
            },
        }
    }

    /// The class standing for a native object type that has no methods of
    /// its own (iterators, descriptors): a builtin of that name if there is
    /// one, else a class made once per name.
    fn native_class(&self, name: &str) -> Rc<ClassObj> {
        if let Some(Value::Class(c)) = self.builtins.get_str(name) {
            if c.name.as_str() == name {
                return c;
            }
        }
        if let Some(c) = self.native_classes.borrow().get(name) {
            return c.clone();
        }
        let c = super::types::new_class(
            name,
            vec![self.types.object.clone()],
            super::object::Builtin::Object,
            true,
        );
        self.native_classes
            .borrow_mut()
            .insert(name.to_string(), c.clone());
        c
    }

    /// Looks up a special method on the value's type (not the instance),
    /// as Python does for dunders; returns the unbound function.
    pub fn lookup_special(&self, v: &Value, name: &Sym) -> Option<Value> {
        match v {
            Value::Instance(i) => i.class.lookup(name),
            _ => self.type_of(v).lookup(name),
        }
    }

    /// Applies the descriptor protocol to [attr] found on [obj]'s class.
    fn bind(&mut self, attr: Value, obj: &Value, cls: &Rc<ClassObj>) -> Res<Value> {
        match &attr {
            Value::Function(_) | Value::Native(_) => {
                let m = Value::BoundMethod(Rc::new(BoundMethodObj {
                    gc: crate::vm::gc::GcSlot::new(),
                    func: attr,
                    receiver: obj.clone(),
                }));
                super::gc::track(&m);
                Ok(m)
            }
            Value::Object(o) => {
                if let Some(p) = o.downcast::<Property>() {
                    if p.fget.is_none() {
                        return Err(Error::attribute_error("property has no getter"));
                    }
                    let g = p.fget.clone();
                    return self.call(&g, std::slice::from_ref(obj), &[]);
                }
                if let Some(s) = o.downcast::<StaticMethod>() {
                    return Ok(s.0.clone());
                }
                if let Some(c) = o.downcast::<ClassMethod>() {
                    return Ok(Value::BoundMethod(Rc::new(BoundMethodObj {
                        gc: crate::vm::gc::GcSlot::new(),
                        func: c.0.clone(),
                        receiver: Value::Class(cls.clone()),
                    })));
                }
                Ok(attr)
            }
            Value::Instance(_) => {
                let get = self.intern_static("__get__");
                match self.lookup_special(&attr, &get) {
                    Some(g) => self.call(
                        &g,
                        &[attr.clone(), obj.clone(), Value::Class(cls.clone())],
                        &[],
                    ),
                    None => Ok(attr),
                }
            }
            _ => Ok(attr),
        }
    }

    pub fn getattr(&mut self, obj: &Value, name: &Sym) -> Res<Value> {
        if let Value::Instance(inst) = obj {
            if inst.class.custom_getattribute.get() {
                let ga = self.intern_static("__getattribute__");
                if let Some(f) = inst.class.lookup(&ga) {
                    let r = self.call(&f, &[obj.clone(), Value::Str(name.clone())], &[]);
                    return match r {
                        Err(e) if self.error_is(&e, super::error::ExcType::AttributeError) => {
                            let gattr = self.intern_static("__getattr__");
                            match inst.class.lookup(&gattr) {
                                Some(g) => {
                                    self.call(&g, &[obj.clone(), Value::Str(name.clone())], &[])
                                }
                                None => Err(e),
                            }
                        }
                        other => other,
                    };
                }
            }
        }
        match self.generic_getattr(obj, name) {
            // `__getattr__` answers for any AttributeError of the normal
            // lookup, a property getter's included.
            Err(e) if self.error_is(&e, super::error::ExcType::AttributeError) => {
                if let Value::Instance(inst) = obj {
                    let ga = self.intern_static("__getattr__");
                    if let Some(f) = inst.class.lookup(&ga) {
                        return self.call(&f, &[obj.clone(), Value::Str(name.clone())], &[]);
                    }
                }
                Err(e)
            }
            r => r,
        }
    }

    /// Attribute lookup without a script-level `__getattribute__`
    /// (`object.__getattribute__`).
    pub fn generic_getattr(&mut self, obj: &Value, name: &Sym) -> Res<Value> {
        match obj {
            Value::Instance(inst) => {
                if let Some(v) = inst.dict.borrow().get(name) {
                    return Ok(v.clone());
                }
                if let Some(attr) = inst.class.lookup(name) {
                    let cls = inst.class.clone();
                    return self.bind(attr, obj, &cls);
                }
                if let Some(v) = self.special_instance_attr(inst, name)? {
                    return Ok(v);
                }
                Err(Error::no_attribute(
                    format!(
                        "'{}' object has no attribute '{}'",
                        inst.class.name.as_str(),
                        name.as_str()
                    ),
                    obj,
                    name.as_str(),
                ))
            }
            Value::Class(c) => self.class_getattr(c, name),
            Value::Module(m) => {
                if let Some(v) = m.get(name) {
                    return Ok(v);
                }
                match name.as_str() {
                    "__name__" => Ok(Value::Str(m.name.clone())),
                    "__dict__" => Ok(self.module_dict(m)),
                    "__file__" => Ok(m
                        .file
                        .as_ref()
                        .map(|f| Value::str(f))
                        .unwrap_or(Value::None)),
                    _ => Err(Error::no_attribute(
                        format!(
                            "module '{}' has no attribute '{}'",
                            m.name.as_str(),
                            name.as_str()
                        ),
                        obj,
                        name.as_str(),
                    )),
                }
            }
            _ => {
                if let Some(v) = self.special_value_attr(obj, name)? {
                    return Ok(v);
                }
                let cls = self.type_of(obj);
                if let Some(attr) = cls.lookup(name) {
                    return self.bind(attr, obj, &cls);
                }
                Err(self.no_attribute(obj, name))
            }
        }
    }

    pub fn no_attribute(&self, obj: &Value, name: &Sym) -> Error {
        Error::no_attribute(
            format!(
                "'{}' object has no attribute '{}'",
                obj.type_name(),
                name.as_str()
            ),
            obj,
            name.as_str(),
        )
    }

    fn class_getattr(&mut self, c: &Rc<ClassObj>, name: &Sym) -> Res<Value> {
        if let Some(attr) = c.lookup(name) {
            return Ok(match &attr {
                Value::Object(o) => {
                    if let Some(s) = o.downcast::<StaticMethod>() {
                        s.0.clone()
                    } else if let Some(cm) = o.downcast::<ClassMethod>() {
                        Value::BoundMethod(Rc::new(BoundMethodObj {
                            gc: crate::vm::gc::GcSlot::new(),
                            func: cm.0.clone(),
                            receiver: Value::Class(c.clone()),
                        }))
                    } else {
                        attr
                    }
                }
                Value::Instance(_) => {
                    let get = self.intern_static("__get__");
                    match self.lookup_special(&attr, &get) {
                        Some(g) => self.call(
                            &g,
                            &[attr.clone(), Value::None, Value::Class(c.clone())],
                            &[],
                        )?,
                        None => attr,
                    }
                }
                _ => attr,
            });
        }
        let v = match name.as_str() {
            "__name__" => Value::Str(c.name.clone()),
            "__qualname__" => Value::Str(c.qualname.borrow().clone()),
            "__bases__" => Value::tuple(c.bases.iter().map(|b| Value::Class(b.clone())).collect()),
            "__base__" => c
                .bases
                .first()
                .map(|b| Value::Class(b.clone()))
                .unwrap_or(Value::None),
            "__mro__" => {
                let mut v = vec![Value::Class(c.clone())];
                v.extend(c.mro.iter().map(|b| Value::Class(b.clone())));
                Value::tuple(v)
            }
            "__dict__" => {
                let mut d = super::dict::Dict::new();
                let items: Vec<(Sym, Value)> = c
                    .dict
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                for (k, v) in items {
                    d.insert_new(k.hash_code(), Value::Str(k), v);
                }
                Value::dict(d)
            }
            "__doc__" => Value::None,
            "__module__" => Value::str("builtins"),
            "__class__" => Value::Class(self.type_of(&Value::Class(c.clone()))),
            _ => {
                // Methods of `type` itself (mro, __subclasses__...).
                let meta = self.type_of(&Value::Class(c.clone()));
                if let Some(attr) = meta.lookup(name) {
                    return self.bind(attr, &Value::Class(c.clone()), &meta);
                }
                return Err(Error::no_attribute(
                    format!(
                        "type object '{}' has no attribute '{}'",
                        c.name.as_str(),
                        name.as_str()
                    ),
                    &Value::Class(c.clone()),
                    name.as_str(),
                ));
            }
        };
        Ok(v)
    }

    fn special_instance_attr(&mut self, inst: &Rc<InstanceObj>, name: &Sym) -> Res<Option<Value>> {
        Ok(match name.as_str() {
            "__class__" => Some(Value::Class(inst.class.clone())),
            "__dict__" => Some(crate::builtins::instance_dict::proxy(inst)),
            _ => {
                let payload = inst.payload.borrow().clone();
                match &payload {
                    Value::Object(o) => o.getattr(self, name.as_str())?,
                    _ => None,
                }
            }
        })
    }

    /// Data attributes of built-in values.
    fn special_value_attr(&mut self, obj: &Value, name: &Sym) -> Res<Option<Value>> {
        let n = name.as_str();
        Ok(match (obj, n) {
            (_, "__class__") => Some(Value::Class(self.type_of(obj))),
            (Value::Range(r), "start") => Some(Value::Int(r.start)),
            (Value::Range(r), "stop") => Some(Value::Int(r.stop)),
            (Value::Range(r), "step") => Some(Value::Int(r.step)),
            (Value::Slice(s), "start") => Some(s.start.clone()),
            (Value::Slice(s), "stop") => Some(s.stop.clone()),
            (Value::Slice(s), "step") => Some(s.step.clone()),
            (Value::Int(_) | Value::BigInt(_) | Value::Bool(_), "real" | "numerator") => {
                Some(match obj {
                    Value::Bool(b) => Value::Int(*b as i64),
                    _ => obj.clone(),
                })
            }
            (Value::Int(_) | Value::BigInt(_) | Value::Bool(_), "imag") => Some(Value::Int(0)),
            (Value::Int(_) | Value::BigInt(_) | Value::Bool(_), "denominator") => {
                Some(Value::Int(1))
            }
            (Value::Float(_), "real") => Some(obj.clone()),
            (Value::Float(_), "imag") => Some(Value::float(0.0)),
            (Value::Function(f), _) => self.function_attr(f, n),
            (Value::Native(f), "__name__" | "__qualname__") => Some(Value::str(f.name)),
            (Value::Native(_), "__doc__") => Some(Value::None),
            (Value::BoundMethod(m), "__self__") => Some(m.receiver.clone()),
            (Value::BoundMethod(m), "__func__") => Some(m.func.clone()),
            (Value::BoundMethod(m), "__name__" | "__qualname__" | "__doc__") => {
                let f = m.func.clone();
                Some(self.getattr(&f, name)?)
            }
            (Value::Generator(g), "__name__") => Some(Value::Str(g.code.name.clone())),
            (Value::Generator(g), "__qualname__") => Some(Value::Str(g.code.qualname.clone())),
            (Value::Generator(g), "gi_running") => Some(Value::bool(g.state.borrow().running)),
            (Value::Object(o), _) => {
                let o = o.clone();
                o.getattr(self, n)?
            }
            _ => None,
        })
    }

    fn function_attr(&mut self, f: &Rc<FunctionObj>, n: &str) -> Option<Value> {
        if let Some(d) = f.dict.borrow().as_ref() {
            if let Some(v) = d.get(&self.intern(n)) {
                return Some(v.clone());
            }
        }
        Some(match n {
            "__name__" => Value::Str(f.name.borrow().clone()),
            "__qualname__" => Value::Str(f.qualname.borrow().clone()),
            "__module__" => f.globals.get_str("__name__").unwrap_or(Value::None),
            "__doc__" => f
                .code
                .consts
                .first()
                .filter(|c| {
                    matches!(c, Value::Str(_))
                        && f.code.ops.len() > 2
                        && f.code.ops[0] == crate::bytecode::Op::LoadConst(0)
                        && f.code.ops[1] == crate::bytecode::Op::Pop
                })
                .cloned()
                .unwrap_or(Value::None),
            "__defaults__" => {
                if f.defaults.is_empty() {
                    Value::None
                } else {
                    Value::tuple(f.defaults.clone())
                }
            }
            "__dict__" => {
                let mut d = super::dict::Dict::new();
                if let Some(m) = f.dict.borrow().as_ref() {
                    for (k, v) in m.iter() {
                        d.insert_new(k.hash_code(), Value::Str(k.clone()), v.clone());
                    }
                }
                Value::dict(d)
            }
            "__code__" => Value::Code(f.code.clone()),
            "__globals__" => Value::Module(f.globals.clone()),
            _ => return None,
        })
    }

    pub fn module_dict(&mut self, m: &Rc<ModuleObj>) -> Value {
        let mut d = super::dict::Dict::new();
        for (k, v) in m.items() {
            d.insert_new(k.hash_code(), Value::Str(k), v);
        }
        Value::dict(d)
    }

    /// LoadMethod: returns `(function, self)` when the attribute is a
    /// plain method on the class, else `(attribute, Undef)`.
    pub fn load_method(&mut self, obj: Value, name: &Sym) -> Res<(Value, Value)> {
        match &obj {
            Value::Instance(inst) if inst.class.custom_getattribute.get() => {
                Ok((self.getattr(&obj, name)?, Value::Undef))
            }
            Value::Instance(inst) => {
                if let Some(v) = inst.dict.borrow().get(name) {
                    return Ok((v.clone(), Value::Undef));
                }
                if let Some(attr) = inst.class.lookup(name) {
                    if matches!(attr, Value::Function(_) | Value::Native(_)) {
                        return Ok((attr, obj));
                    }
                    let cls = inst.class.clone();
                    return Ok((self.bind(attr, &obj, &cls)?, Value::Undef));
                }
                Ok((self.getattr(&obj, name)?, Value::Undef))
            }
            Value::Class(_) | Value::Module(_) => Ok((self.getattr(&obj, name)?, Value::Undef)),
            Value::Object(o) => {
                // Data attributes (and `super` lookups) come first.
                let o = o.clone();
                if let Some(v) = o.getattr(self, name.as_str())? {
                    return Ok((v, Value::Undef));
                }
                let cls = self.type_of(&obj);
                if let Some(attr) = cls.lookup(name) {
                    if matches!(attr, Value::Native(_) | Value::Function(_)) {
                        return Ok((attr, obj));
                    }
                }
                Ok((self.getattr(&obj, name)?, Value::Undef))
            }
            _ => {
                let cls = self.type_of(&obj);
                if let Some(attr) = cls.lookup(name) {
                    if matches!(attr, Value::Native(_) | Value::Function(_)) {
                        return Ok((attr, obj));
                    }
                }
                Ok((self.getattr(&obj, name)?, Value::Undef))
            }
        }
    }

    pub fn setattr(&mut self, obj: &Value, name: &Sym, v: Value) -> Res<()> {
        match obj {
            Value::Instance(inst) if inst.class.plain_setattr.get() && !inst.class.is_native => {
                let old = inst.dict.borrow_mut().insert(name.clone(), v);
                // Only a new attribute can break `__slots__`: checked after
                // the store, so updates pay nothing.
                if old.is_none() {
                    if let Some(allowed) = &inst.class.slots {
                        if !slot_allowed(allowed, name) {
                            inst.dict.borrow_mut().shift_remove(name);
                            return Err(self.no_attribute(obj, name));
                        }
                    }
                }
                Ok(())
            }
            Value::Instance(inst) => {
                if let Some(attr) = inst.class.lookup(name) {
                    if let Value::Object(o) = &attr {
                        if let Some(p) = o.downcast::<Property>() {
                            let setter = p.fset.borrow().clone();
                            if setter.is_none() {
                                return Err(Error::attribute_error(format!(
                                    "property '{}' of '{}' object has no setter",
                                    name.as_str(),
                                    inst.class.name.as_str()
                                )));
                            }
                            self.call(&setter, &[obj.clone(), v], &[])?;
                            return Ok(());
                        }
                    }
                    if let Value::Instance(_) = &attr {
                        let set = self.intern_static("__set__");
                        if let Some(s) = self.lookup_special(&attr, &set) {
                            self.call(&s, &[attr.clone(), obj.clone(), v], &[])?;
                            return Ok(());
                        }
                    }
                }
                if Rc::ptr_eq(&inst.class, &self.types.object) {
                    return Err(self.no_attribute(obj, name));
                }
                if inst.class.custom_setattr.get() {
                    let sa = self.intern_static("__setattr__");
                    if let Some(f @ Value::Function(_)) = inst.class.lookup(&sa) {
                        self.call(&f, &[obj.clone(), Value::Str(name.clone()), v], &[])?;
                        return Ok(());
                    }
                }
                if let Some(allowed) = &inst.class.slots {
                    if !slot_allowed(allowed, name) {
                        return Err(self.no_attribute(obj, name));
                    }
                }
                inst.dict.borrow_mut().insert(name.clone(), v);
                Ok(())
            }
            Value::Class(c) => {
                if c.is_native {
                    return Err(Error::type_error(format!(
                        "cannot set '{}' attribute of immutable type '{}'",
                        name.as_str(),
                        c.name.as_str()
                    )));
                }
                c.dict.borrow_mut().insert(name.clone(), v);
                c.version.set(c.version.get().wrapping_add(1));
                super::object::classes_changed();
                if super::call::has_store_hooks(&c.dict.borrow()) {
                    c.plain_setattr.set(false);
                }
                if name.as_str() == "__setattr__" {
                    c.custom_setattr.set(true);
                }
                Ok(())
            }
            Value::Function(f) => {
                match name.as_str() {
                    "__name__" => {
                        if let Value::Str(s) = &v {
                            *f.name.borrow_mut() = s.clone();
                        }
                    }
                    "__qualname__" => {
                        if let Value::Str(s) = &v {
                            *f.qualname.borrow_mut() = s.clone();
                        }
                    }
                    _ => {
                        f.dict
                            .borrow_mut()
                            .get_or_insert_with(new_symmap)
                            .insert(name.clone(), v);
                    }
                }
                Ok(())
            }
            Value::Module(m) => {
                m.set(name, v);
                Ok(())
            }
            _ => Err(Error::attribute_error(format!(
                "'{}' object has no attribute '{}'",
                obj.type_name(),
                name.as_str()
            ))),
        }
    }

    pub fn delattr(&mut self, obj: &Value, name: &Sym) -> Res<()> {
        match obj {
            Value::Instance(inst) => {
                if let Some(Value::Object(o)) = inst.class.lookup(name) {
                    if let Some(p) = o.downcast::<Property>() {
                        let d = p.fdel.borrow().clone();
                        if !d.is_none() {
                            self.call(&d, std::slice::from_ref(obj), &[])?;
                            return Ok(());
                        }
                    }
                }
                let da = self.intern_static("__delattr__");
                if let Some(f @ Value::Function(_)) = inst.class.lookup(&da) {
                    self.call(&f, &[obj.clone(), Value::Str(name.clone())], &[])?;
                    return Ok(());
                }
                if inst.dict.borrow_mut().shift_remove(name).is_none() {
                    return Err(self.no_attribute(obj, name));
                }
                Ok(())
            }
            Value::Class(c) => {
                if c.dict.borrow_mut().shift_remove(name).is_none() {
                    return Err(Error::attribute_error(format!(
                        "type object '{}' has no attribute '{}'",
                        c.name.as_str(),
                        name.as_str()
                    )));
                }
                c.version.set(c.version.get().wrapping_add(1));
                super::object::classes_changed();
                Ok(())
            }
            Value::Module(m) => {
                if m.get(name).is_none() {
                    return Err(self.no_attribute(obj, name));
                }
                m.set(name, Value::Undef);
                Ok(())
            }
            Value::Function(f) => {
                if let Some(d) = f.dict.borrow_mut().as_mut() {
                    if d.shift_remove(name).is_some() {
                        return Ok(());
                    }
                }
                Err(self.no_attribute(obj, name))
            }
            _ => Err(self.no_attribute(obj, name)),
        }
    }

    /// `hasattr`-style lookup that turns AttributeError into None.
    pub fn getattr_opt(&mut self, obj: &Value, name: &Sym) -> Res<Option<Value>> {
        match self.getattr(obj, name) {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                if self.error_is(&e, super::error::ExcType::AttributeError) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
}

/// Whether [name] is among a class's slots (names are interned, so
/// pointer equality almost always decides).
pub(crate) fn slot_allowed(allowed: &[Sym], name: &Sym) -> bool {
    allowed.iter().any(|s| Rc::ptr_eq(s, name)) || allowed.contains(name)
}
