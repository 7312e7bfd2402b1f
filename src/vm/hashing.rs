//! Hashing and the dict/set operations that need it. Keys whose equality
//! is native are compared inside the table; user objects with `__eq__` are
//! compared outside any borrow, since their `__eq__` may touch the dict.

use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::dict::Dict;
use super::error::{Error, Res};
use super::interp::Vm;
use super::num;
use super::ops::native_eq;
use super::value::*;
use crate::syntax::ast::{BinOp, CmpOp};

fn fx(bytes: &[u8]) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    bytes.hash(&mut h);
    h.finish()
}

impl Vm {
    /// Python's `hash(v)`; ints and strings, the common keys, inline.
    #[inline]
    pub fn hash(&mut self, v: &Value) -> Res<u64> {
        match v {
            Value::Int(i) => Ok(num::hash_int(*i)),
            Value::Str(s) => Ok(s.hash_code()),
            _ => self.hash_any(v),
        }
    }

    fn hash_any(&mut self, v: &Value) -> Res<u64> {
        Ok(match v {
            Value::None => 0xfca86420,
            Value::Bool(b) => *b as u64,
            Value::Int(i) => num::hash_int(*i),
            Value::BigInt(b) => num::hash_big(b),
            Value::Float(f) => num::hash_float(f.get()),
            Value::Str(s) => s.hash_code(),
            Value::Bytes(b) => fx(b),
            Value::Tuple(t) => {
                let mut acc: u64 = 0x345678;
                for x in t.items.iter() {
                    let h = self.hash(x)?;
                    acc = (acc ^ h).wrapping_mul(1000003).rotate_left(5);
                }
                acc
            }
            Value::FrozenSet(s) => {
                let mut acc: u64 = 0x1b873593;
                for e in s.d.borrow().iter() {
                    acc ^= e.hash.wrapping_mul(0x9e3779b97f4a7c15);
                }
                acc
            }
            Value::List(_)
            | Value::Dict(_)
            | Value::Set(_)
            | Value::ByteArray(_)
            | Value::Slice(_) => {
                return Err(Error::type_error(format!(
                    "unhashable type: '{}'",
                    v.type_name()
                )))
            }
            Value::Instance(i) => {
                let hname = self.intern_static("__hash__");
                match i.class.lookup(&hname) {
                    Some(Value::None) => {
                        return Err(Error::type_error(format!(
                            "unhashable type: '{}'",
                            v.type_name()
                        )))
                    }
                    Some(f @ Value::Function(_)) => {
                        let r = self.call(&f, std::slice::from_ref(v), &[])?;
                        match r {
                            Value::Int(i) => num::hash_int(i),
                            Value::BigInt(b) => num::hash_big(&b),
                            Value::Bool(b) => b as u64,
                            _ => {
                                return Err(Error::type_error(
                                    "__hash__ method should return an integer",
                                ))
                            }
                        }
                    }
                    _ => {
                        // A class defining __eq__ without __hash__ is unhashable.
                        let eq = self.intern_static("__eq__");
                        let defines_eq = i.class.dict.borrow().contains_key(&eq);
                        if defines_eq {
                            return Err(Error::type_error(format!(
                                "unhashable type: '{}'",
                                v.type_name()
                            )));
                        }
                        match super::ops::payload_of(v) {
                            Some(p) => self.hash(&p)?,
                            None => (v.ptr().unwrap_or(0) >> 4) as u64,
                        }
                    }
                }
            }
            _ => (v.ptr().unwrap_or(0) >> 4) as u64,
        })
    }

    /// Finds the entry index of [key] in [d].
    #[inline]
    pub fn dict_find(
        &mut self,
        d: &std::cell::RefCell<Dict>,
        key: &Value,
        hash: u64,
    ) -> Res<Option<usize>> {
        if simple_key(key) {
            let table = d.borrow();
            return Ok(table.find(hash, |k| k.is(key) || native_eq(k, key).unwrap_or(false)));
        }
        self.dict_find_by_eq(d, key, hash)
    }

    /// dict_find for keys whose equality may run script code (`__eq__`).
    fn dict_find_by_eq(
        &mut self,
        d: &std::cell::RefCell<Dict>,
        key: &Value,
        hash: u64,
    ) -> Res<Option<usize>> {
        let candidates = d.borrow().candidates(hash);
        for i in candidates {
            let k = match d.borrow().slot(i) {
                Some(e) => e.key.clone(),
                None => continue,
            };
            if k.is(key) || self.eq(&k, key)? {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    pub fn dict_get(&mut self, d: &Rc<DictObj>, key: &Value) -> Res<Option<Value>> {
        let h = self.hash(key)?;
        Ok(self
            .dict_find(&d.d, key, h)?
            .map(|i| d.d.borrow().value_at(i).clone()))
    }

    pub fn dict_set(&mut self, d: &Rc<DictObj>, key: Value, value: Value) -> Res<()> {
        let h = self.hash(&key)?;
        self.dict_set_hashed(&d.d, key, value, h)
    }

    pub fn dict_set_hashed(
        &mut self,
        d: &std::cell::RefCell<Dict>,
        key: Value,
        value: Value,
        h: u64,
    ) -> Res<()> {
        match self.dict_find(d, &key, h)? {
            Some(i) => d.borrow_mut().set_value_at(i, value),
            None => d.borrow_mut().insert_new(h, key, value),
        }
        Ok(())
    }

    pub fn dict_remove(&mut self, d: &Rc<DictObj>, key: &Value) -> Res<Option<Value>> {
        let h = self.hash(key)?;
        Ok(self
            .dict_find(&d.d, key, h)?
            .map(|i| d.d.borrow_mut().remove_at(i).1))
    }

    pub fn new_dict_from_pairs(&mut self, items: Vec<Value>) -> Res<Value> {
        let d = Rc::new(DictObj {
            gc: crate::vm::gc::GcSlot::new(),
            d: std::cell::RefCell::new(Dict::with_capacity(items.len() / 2)),
        });
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            self.dict_set(&d, k, v)?;
        }
        let d = Value::Dict(d);
        super::gc::track(&d);
        Ok(d)
    }

    pub fn new_set(&mut self, items: Vec<Value>) -> Res<Value> {
        let s = Value::set(Dict::with_capacity(items.len()));
        for v in items {
            self.set_add(&s, v)?;
        }
        Ok(s)
    }

    pub fn set_add(&mut self, s: &Value, v: Value) -> Res<()> {
        match s {
            Value::Set(s) | Value::FrozenSet(s) => {
                let h = self.hash(&v)?;
                if self.dict_find(&s.d, &v, h)?.is_none() {
                    s.d.borrow_mut().insert_new(h, v, Value::None);
                }
                Ok(())
            }
            _ => Err(Error::type_error("set.add on a non-set")),
        }
    }

    pub fn set_contains(&mut self, s: &Rc<SetObj>, v: &Value) -> Res<bool> {
        let h = match self.hash(v) {
            Ok(h) => h,
            Err(e) => {
                // `[1] in {…}`: unhashable probes are never members... but
                // Python raises TypeError; keep that.
                return Err(e);
            }
        };
        Ok(self.dict_find(&s.d, v, h)?.is_some())
    }

    /// Builds a set from any iterable.
    pub fn set_from_iter(&mut self, v: &Value, frozen: bool) -> Res<Value> {
        let items = self.iterate(v)?;
        let s = self.new_set(items)?;
        if frozen {
            if let Value::Set(inner) = s {
                return Ok(Value::FrozenSet(inner));
            }
        }
        Ok(s)
    }

    pub fn set_binary(&mut self, op: BinOp, a: &Value, b: &Value) -> Res<Value> {
        crate::builtins::set_methods::set_operation(self, op, a, b)
    }

    /// Whether every element of [a] is in [b].
    pub fn set_subset(&mut self, a: &Rc<SetObj>, b: &Rc<SetObj>) -> Res<bool> {
        let xs: Vec<(u64, Value)> =
            a.d.borrow()
                .iter()
                .map(|e| (e.hash, e.key.clone()))
                .collect();
        for (h, k) in xs {
            if self.dict_find(&b.d, &k, h)?.is_none() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    pub fn set_eq(&mut self, a: &Value, b: &Value) -> Res<bool> {
        let (Value::Set(x) | Value::FrozenSet(x), Value::Set(y) | Value::FrozenSet(y)) = (a, b)
        else {
            return Ok(false);
        };
        if x.d.borrow().len() != y.d.borrow().len() {
            return Ok(false);
        }
        self.set_subset(x, y)
    }

    pub fn set_order(&mut self, op: CmpOp, a: &Value, b: &Value) -> Res<bool> {
        let (Value::Set(x) | Value::FrozenSet(x), Value::Set(y) | Value::FrozenSet(y)) = (a, b)
        else {
            return Ok(false);
        };
        let (lx, ly) = (x.d.borrow().len(), y.d.borrow().len());
        Ok(match op {
            CmpOp::LtE => self.set_subset(x, y)?,
            CmpOp::Lt => lx < ly && self.set_subset(x, y)?,
            CmpOp::GtE => self.set_subset(y, x)?,
            _ => lx > ly && self.set_subset(y, x)?,
        })
    }

    pub fn dict_eq(&mut self, a: &Rc<DictObj>, b: &Rc<DictObj>) -> Res<bool> {
        if a.d.borrow().len() != b.d.borrow().len() {
            return Ok(false);
        }
        let items = a.d.borrow().items();
        for (k, v) in items {
            match self.dict_get(b, &k)? {
                Some(w) => {
                    if !v.is(&w) && !self.eq(&v, &w)? {
                        return Ok(false);
                    }
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// `{**src}` / `dict.update(src)`; with [strict], duplicate keys are an
    /// error (`f(**a, **b)`).
    pub fn dict_merge(&mut self, dst: &Value, src: &Value, strict: bool) -> Res<()> {
        let Value::Dict(d) = dst else {
            return Err(Error::type_error("dict_merge target"));
        };
        let pairs: Vec<(Value, Value)> = match src {
            Value::Dict(s) => s.d.borrow().items(),
            _ => {
                let payload = super::ops::payload_of(src);
                if let Some(Value::Dict(s)) = payload {
                    s.d.borrow().items()
                } else {
                    let keys_attr = self.intern_static("keys");
                    let keys = match self.getattr_opt(src, &keys_attr)? {
                        Some(k) => k,
                        None => {
                            return Err(Error::type_error(format!(
                                "'{}' object is not a mapping",
                                src.type_name()
                            )))
                        }
                    };
                    let keys = self.call(&keys, &[], &[])?;
                    let keys = self.iterate(&keys)?;
                    let mut out = Vec::new();
                    for k in keys {
                        let v = self.getitem(src, &k)?;
                        out.push((k, v));
                    }
                    out
                }
            }
        };
        for (k, v) in pairs {
            if strict {
                if !matches!(k, Value::Str(_)) {
                    return Err(Error::type_error("keywords must be strings"));
                }
                if self.dict_get(d, &k)?.is_some() {
                    let e = Error::type_error(format!(
                        "got multiple values for keyword argument '{}'",
                        k.as_str().unwrap_or("")
                    ));
                    return Err(self.name_kwargs_error(e));
                }
            }
            self.dict_set(d, k, v)?;
        }
        Ok(())
    }
}

impl Vm {
    /// A clash while merging a call's keyword arguments names the
    /// callee, as CPython does (`__main__.f() got multiple values ...`).
    /// Only `Op::DictMerge` merges strictly, and the stack then holds
    /// `callee, args_tuple, kwargs_dict`.
    #[cold]
    fn name_kwargs_error(&mut self, e: Error) -> Error {
        let Error::New(super::error::ExcType::TypeError, Some(msg)) = &e else {
            return e;
        };
        if !msg.starts_with("got multiple values") {
            return e;
        }
        let Some(callee) = self
            .stack
            .len()
            .checked_sub(3)
            .and_then(|i| self.stack.get(i))
        else {
            return e;
        };
        let callee = match callee {
            Value::BoundMethod(m) => m.func.clone(),
            v => v.clone(),
        };
        let name = match &callee {
            Value::Function(f) => {
                let module = f.globals.get_str("__name__");
                match module {
                    Some(Value::Str(m)) if m.as_str() != "builtins" => {
                        format!("{}.{}", m.as_str(), f.code.qualname.as_str())
                    }
                    _ => f.code.qualname.as_str().to_string(),
                }
            }
            Value::Native(n) => n.name.to_string(),
            _ => return e,
        };
        Error::type_error(format!("{name}() {msg}"))
    }
}

/// Keys whose equality with any stored key is decided natively.
#[inline]
fn simple_key(v: &Value) -> bool {
    match v {
        Value::Instance(_) => false,
        Value::Tuple(t) => t.items.iter().all(simple_key),
        Value::FrozenSet(_) => false,
        _ => true,
    }
}
