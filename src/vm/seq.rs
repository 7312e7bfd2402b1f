//! Subscription: `obj[key]`, `obj[key] = v`, `del obj[key]`, with
//! Python's indexing and slicing rules.

use std::rc::Rc;

use num_traits::{Signed, ToPrimitive};

use super::error::{Error, ExcType, Res};
use super::interp::Vm;
use super::value::*;

/// Resolved slice bounds for a sequence of a given length.
pub struct SliceIdx {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
    pub len: usize,
}

impl SliceIdx {
    pub fn indices(&self) -> impl Iterator<Item = usize> + '_ {
        let mut i = self.start;
        (0..self.len).map(move |_| {
            let r = i as usize;
            i += self.step;
            r
        })
    }
}

impl Vm {
    /// An integer from an index-like value (`__index__`).
    pub fn index_value(&mut self, v: &Value) -> Res<i64> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(*b as i64),
            Value::BigInt(b) => b.to_i64().ok_or_else(|| {
                Error::new(
                    ExcType::IndexError,
                    "cannot fit 'int' into an index-sized integer",
                )
            }),
            Value::Instance(_) => {
                let n = self.intern_static("__index__");
                match self.lookup_special(v, &n) {
                    Some(m) => {
                        let r = self.call(&m, std::slice::from_ref(v), &[])?;
                        self.index_value(&r)
                    }
                    None => match super::ops::payload_of(v) {
                        Some(p) => self.index_value(&p),
                        None => Err(Error::type_error(format!(
                            "'{}' object cannot be interpreted as an integer",
                            v.type_name()
                        ))),
                    },
                }
            }
            _ => Err(Error::type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                v.type_name()
            ))),
        }
    }

    #[inline]
    fn slice_part(&mut self, v: &Value) -> Res<Option<i64>> {
        match v {
            Value::None => Ok(None),
            Value::Int(i) => Ok(Some(*i)),
            Value::BigInt(b) => Ok(Some(if b.is_negative() {
                i64::MIN / 2
            } else {
                i64::MAX / 2
            })),
            _ => self.index_value(v).map(Some).map_err(|_| {
                Error::type_error(
                    "slice indices must be integers or None or have an __index__ method",
                )
            }),
        }
    }

    /// Resolves a slice against a sequence length, as `slice.indices`.
    pub fn slice_indices(&mut self, s: &SliceObj, len: usize) -> Res<SliceIdx> {
        let len_i = len as i64;
        let step = self.slice_part(&s.step)?.unwrap_or(1);
        if step == 0 {
            return Err(Error::value_error("slice step cannot be zero"));
        }
        let (lower, upper) = if step < 0 {
            (-1, len_i - 1)
        } else {
            (0, len_i)
        };
        let clamp = |v: Option<i64>, default: i64| -> i64 {
            match v {
                None => default,
                Some(i) if i < 0 => (i + len_i).max(lower),
                Some(i) => i.min(upper),
            }
        };
        let start = clamp(
            self.slice_part(&s.start)?,
            if step < 0 { upper } else { lower },
        );
        let stop = clamp(
            self.slice_part(&s.stop)?,
            if step < 0 { lower } else { upper },
        );
        let n = if step > 0 {
            if stop > start {
                (stop - start + step - 1) / step
            } else {
                0
            }
        } else if start > stop {
            (start - stop - step - 1) / (-step)
        } else {
            0
        };
        Ok(SliceIdx {
            start,
            stop,
            step,
            len: n as usize,
        })
    }

    /// Normalises a possibly negative index; None when out of range.
    pub fn norm_index(&mut self, key: &Value, len: usize) -> Res<Option<usize>> {
        let i = self.index_value(key)?;
        let i = if i < 0 { i + len as i64 } else { i };
        Ok(if i >= 0 && (i as usize) < len {
            Some(i as usize)
        } else {
            None
        })
    }

    pub fn getitem(&mut self, obj: &Value, key: &Value) -> Res<Value> {
        match (obj, key) {
            (Value::List(l), Value::Int(i)) => {
                let items = l.items.borrow();
                let n = items.len() as i64;
                let j = if *i < 0 { i + n } else { *i };
                if j >= 0 && j < n {
                    return Ok(items[j as usize].clone());
                }
                return Err(Error::index_error("list index out of range"));
            }
            (Value::Dict(d), _) => {
                return match self.dict_get(d, key)? {
                    Some(v) => Ok(v),
                    None => Err(Error::key_error(key.clone())),
                };
            }
            _ => {}
        }
        if let Value::Slice(s) = key {
            return self.get_slice(obj, s);
        }
        match obj {
            Value::List(l) => {
                let len = l.items.borrow().len();
                match self
                    .norm_index(key, len)
                    .map_err(|e| index_type_error("list", key, e))?
                {
                    Some(i) => Ok(l.items.borrow()[i].clone()),
                    None => Err(Error::index_error("list index out of range")),
                }
            }
            Value::Tuple(t) => match self
                .norm_index(key, t.items.len())
                .map_err(|e| index_type_error("tuple", key, e))?
            {
                Some(i) => Ok(t.items[i].clone()),
                None => Err(Error::index_error("tuple index out of range")),
            },
            Value::Str(s) => {
                let len = s.char_len();
                match self
                    .norm_index(key, len)
                    .map_err(|e| index_type_error("string", key, e))?
                {
                    Some(i) => {
                        let c = if s.is_ascii() {
                            s.s[i..i + 1].to_string()
                        } else {
                            s.s.chars()
                                .nth(i)
                                .map(|c| c.to_string())
                                .unwrap_or_default()
                        };
                        Ok(Value::string(c))
                    }
                    None => Err(Error::index_error("string index out of range")),
                }
            }
            Value::Bytes(b) => match self.norm_index(key, b.len())? {
                Some(i) => Ok(Value::Int(b[i] as i64)),
                None => Err(Error::index_error("index out of range")),
            },
            Value::ByteArray(b) => {
                let len = b.borrow().len();
                match self.norm_index(key, len)? {
                    Some(i) => Ok(Value::Int(b.borrow()[i] as i64)),
                    None => Err(Error::index_error("bytearray index out of range")),
                }
            }
            Value::Range(r) => {
                let len = r.len() as usize;
                match self.norm_index(key, len)? {
                    Some(i) => Ok(Value::Int(r.start + r.step * i as i64)),
                    None => Err(Error::index_error("range object index out of range")),
                }
            }
            Value::Instance(i) => {
                let name = self.intern_static("__getitem__");
                if let Some(m) = i.class.lookup(&name) {
                    return self.call(&m, &[obj.clone(), key.clone()], &[]);
                }
                if let Some(p) = super::ops::payload_of(obj) {
                    if let (Value::Dict(d), true) = (&p, true) {
                        if let Some(v) = self.dict_get(d, key)? {
                            return Ok(v);
                        }
                        let missing = self.intern_static("__missing__");
                        if let Some(m) = i.class.lookup(&missing) {
                            return self.call(&m, &[obj.clone(), key.clone()], &[]);
                        }
                        return Err(Error::key_error(key.clone()));
                    }
                    return self.getitem(&p, key);
                }
                Err(not_subscriptable(obj))
            }
            Value::Class(c) => {
                let name = self.intern_static("__class_getitem__");
                if let Some(m) = c.lookup(&name) {
                    return self.call(&m, std::slice::from_ref(key), &[]);
                }
                // `list[int]` style annotations evaluate to the class.
                Ok(obj.clone())
            }
            Value::Object(o) => {
                let o = o.clone();
                let name = self.intern_static("__getitem__");
                match o.class(self).and_then(|c| c.lookup(&name)) {
                    Some(m) => self.call(&m, &[obj.clone(), key.clone()], &[]),
                    None => Err(not_subscriptable(obj)),
                }
            }
            _ => Err(not_subscriptable(obj)),
        }
    }

    fn get_slice(&mut self, obj: &Value, s: &Rc<SliceObj>) -> Res<Value> {
        match obj {
            Value::List(l) => {
                let len = l.items.borrow().len();
                // Indices first: an `__index__` may run script code.
                let idx = self.slice_indices(s, len)?;
                let items = l.items.borrow();
                if idx.step == 1 && items.len() == len {
                    let a = idx.start.max(0) as usize;
                    return Ok(Value::list(items[a..a + idx.len].to_vec()));
                }
                // (If `__index__` shrank the list, skip what is gone.)
                let mut out = Vec::with_capacity(idx.len);
                for i in idx.indices() {
                    if let Some(x) = items.get(i) {
                        out.push(x.clone());
                    }
                }
                Ok(Value::list(out))
            }
            Value::Tuple(t) => {
                let idx = self.slice_indices(s, t.items.len())?;
                if idx.step == 1 && idx.len == t.items.len() {
                    return Ok(obj.clone());
                }
                Ok(Value::tuple(
                    idx.indices().map(|i| t.items[i].clone()).collect(),
                ))
            }
            Value::Str(st) => {
                if st.is_ascii() {
                    let idx = self.slice_indices(s, st.s.len())?;
                    if idx.step == 1 {
                        let a = idx.start.max(0) as usize;
                        return Ok(Value::str(&st.s[a..a + idx.len]));
                    }
                    let bytes = st.s.as_bytes();
                    let out: String = idx.indices().map(|i| bytes[i] as char).collect();
                    return Ok(Value::string(out));
                }
                let chars: Vec<char> = st.s.chars().collect();
                let idx = self.slice_indices(s, chars.len())?;
                Ok(Value::string(idx.indices().map(|i| chars[i]).collect()))
            }
            Value::Bytes(b) => {
                let idx = self.slice_indices(s, b.len())?;
                Ok(Value::bytes(idx.indices().map(|i| b[i]).collect()))
            }
            Value::ByteArray(b) => {
                let data = b.borrow().clone();
                let idx = self.slice_indices(s, data.len())?;
                Ok(Value::ByteArray(Rc::new(std::cell::RefCell::new(
                    idx.indices().map(|i| data[i]).collect(),
                ))))
            }
            Value::Range(r) => {
                let idx = self.slice_indices(s, r.len() as usize)?;
                Ok(Value::Range(Rc::new(RangeObj {
                    start: r.start + idx.start * r.step,
                    stop: r.start + idx.stop * r.step,
                    step: r.step * idx.step,
                })))
            }
            _ => {
                let key = Value::Slice(s.clone());
                if let Value::Instance(i) = obj {
                    let name = self.intern_static("__getitem__");
                    if let Some(m) = i.class.lookup(&name) {
                        return self.call(&m, &[obj.clone(), key], &[]);
                    }
                    if let Some(p) = super::ops::payload_of(obj) {
                        return self.get_slice(&p, s);
                    }
                }
                if let Value::Object(o) = obj {
                    let o = o.clone();
                    let name = self.intern_static("__getitem__");
                    if let Some(m) = o.class(self).and_then(|c| c.lookup(&name)) {
                        return self.call(&m, &[obj.clone(), key], &[]);
                    }
                }
                Err(not_subscriptable(obj))
            }
        }
    }

    pub fn setitem(&mut self, obj: &Value, key: Value, v: Value) -> Res<()> {
        match obj {
            Value::Dict(d) => self.dict_set(d, key, v),
            Value::List(l) => {
                if let Value::Slice(s) = &key {
                    let items = match &v {
                        // A list nothing else refers to (`a[i:j] = b[k:l]`
                        // builds one) gives up its items instead of being
                        // copied.
                        Value::List(t) if Rc::strong_count(t) == 1 => {
                            std::mem::take(&mut *t.items.borrow_mut())
                        }
                        _ => self.iterate(&v)?,
                    };
                    return self.set_list_slice(l, s, items);
                }
                let len = l.items.borrow().len();
                match self
                    .norm_index(&key, len)
                    .map_err(|e| index_type_error("list", &key, e))?
                {
                    Some(i) => {
                        let old = std::mem::replace(&mut l.items.borrow_mut()[i], v);
                        drop(old);
                        Ok(())
                    }
                    None => Err(Error::index_error("list assignment index out of range")),
                }
            }
            Value::ByteArray(b) => {
                if let Value::Slice(s) = &key {
                    let data = match &v {
                        Value::Int(_) => return Err(Error::type_error(
                            "can assign only bytes, buffers, or iterables of ints in range(0, 256)",
                        )),
                        Value::Bytes(_) | Value::ByteArray(_) => self.bytes_of(&v)?,
                        other => {
                            let mut out = Vec::new();
                            for x in self.iterate(other)? {
                                let i = self.index_value(&x)?;
                                if !(0..=255).contains(&i) {
                                    return Err(Error::value_error(
                                        "byte must be in range(0, 256)",
                                    ));
                                }
                                out.push(i as u8);
                            }
                            out
                        }
                    };
                    let len = b.borrow().len();
                    let idx = self.slice_indices(s, len)?;
                    let mut buf = b.borrow_mut();
                    if idx.step == 1 {
                        let a = idx.start.max(0) as usize;
                        let e = (a + idx.len).max(a);
                        buf.splice(a..e, data);
                        return Ok(());
                    }
                    if data.len() != idx.len {
                        return Err(Error::value_error(format!(
                            "attempt to assign bytes of size {} to extended slice of size {}",
                            data.len(),
                            idx.len
                        )));
                    }
                    for (i, x) in idx.indices().collect::<Vec<_>>().into_iter().zip(data) {
                        buf[i] = x;
                    }
                    return Ok(());
                }
                let len = b.borrow().len();
                let x = self.index_value(&v)?;
                if !(0..=255).contains(&x) {
                    return Err(Error::value_error("byte must be in range(0, 256)"));
                }
                match self.norm_index(&key, len)? {
                    Some(i) => {
                        b.borrow_mut()[i] = x as u8;
                        Ok(())
                    }
                    None => Err(Error::index_error("bytearray index out of range")),
                }
            }
            Value::Instance(i) => {
                let name = self.intern_static("__setitem__");
                if let Some(m) = i.class.lookup(&name) {
                    self.call(&m, &[obj.clone(), key, v], &[])?;
                    return Ok(());
                }
                if let Some(p) = super::ops::payload_of(obj) {
                    return self.setitem(&p, key, v);
                }
                Err(Error::type_error(format!(
                    "'{}' object does not support item assignment",
                    obj.type_name()
                )))
            }
            Value::Object(o) => {
                let o = o.clone();
                let name = self.intern_static("__setitem__");
                match o.class(self).and_then(|c| c.lookup(&name)) {
                    Some(m) => {
                        self.call(&m, &[obj.clone(), key, v], &[])?;
                        Ok(())
                    }
                    None => Err(Error::type_error(format!(
                        "'{}' object does not support item assignment",
                        obj.type_name()
                    ))),
                }
            }
            _ => Err(Error::type_error(format!(
                "'{}' object does not support item assignment",
                obj.type_name()
            ))),
        }
    }

    fn set_list_slice(&mut self, l: &Rc<ListObj>, s: &SliceObj, items: Vec<Value>) -> Res<()> {
        let len = l.items.borrow().len();
        let idx = self.slice_indices(s, len)?;
        let mut list = l.items.borrow_mut();
        if idx.step == 1 {
            let a = idx.start.max(0) as usize;
            let b = (a + idx.len).max(a);
            if items.len() == b - a {
                // Same size: overwrite in place. Dropping the old items
                // runs no script code, so the borrow can stay.
                for (dst, v) in list[a..b].iter_mut().zip(items) {
                    std::mem::replace(dst, v).discard();
                }
                return Ok(());
            }
            let removed: Vec<Value> = list.splice(a..b, items).collect();
            drop(list);
            drop(removed);
            return Ok(());
        }
        if items.len() != idx.len {
            return Err(Error::value_error(format!(
                "attempt to assign sequence of size {} to extended slice of size {}",
                items.len(),
                idx.len
            )));
        }
        for (i, v) in idx.indices().zip(items) {
            std::mem::replace(&mut list[i], v).discard();
        }
        Ok(())
    }

    pub fn delitem(&mut self, obj: &Value, key: &Value) -> Res<()> {
        match obj {
            Value::Dict(d) => match self.dict_remove(d, key)? {
                Some(_) => Ok(()),
                None => Err(Error::key_error(key.clone())),
            },
            Value::List(l) => {
                if let Value::Slice(s) = key {
                    let len = l.items.borrow().len();
                    let idx = self.slice_indices(s, len)?;
                    let mut del: Vec<usize> = idx.indices().collect();
                    del.sort_unstable();
                    let mut list = l.items.borrow_mut();
                    let mut removed = Vec::with_capacity(del.len());
                    for i in del.into_iter().rev() {
                        removed.push(list.remove(i));
                    }
                    drop(list);
                    return Ok(());
                }
                let len = l.items.borrow().len();
                match self.norm_index(key, len)? {
                    Some(i) => {
                        let v = l.items.borrow_mut().remove(i);
                        drop(v);
                        Ok(())
                    }
                    None => Err(Error::index_error("list assignment index out of range")),
                }
            }
            Value::ByteArray(b) => {
                let len = b.borrow().len();
                if let Value::Slice(s) = key {
                    let idx = self.slice_indices(s, len)?;
                    let mut del: Vec<usize> = idx.indices().collect();
                    del.sort_unstable();
                    let mut buf = b.borrow_mut();
                    for i in del.into_iter().rev() {
                        buf.remove(i);
                    }
                    return Ok(());
                }
                match self.norm_index(key, len)? {
                    Some(i) => {
                        b.borrow_mut().remove(i);
                        Ok(())
                    }
                    None => Err(Error::index_error("bytearray index out of range")),
                }
            }
            Value::Instance(i) => {
                let name = self.intern_static("__delitem__");
                if let Some(m) = i.class.lookup(&name) {
                    self.call(&m, &[obj.clone(), key.clone()], &[])?;
                    return Ok(());
                }
                if let Some(p) = super::ops::payload_of(obj) {
                    return self.delitem(&p, key);
                }
                Err(Error::type_error(format!(
                    "'{}' object does not support item deletion",
                    obj.type_name()
                )))
            }
            Value::Object(o) => {
                let o = o.clone();
                let name = self.intern_static("__delitem__");
                match o.class(self).and_then(|c| c.lookup(&name)) {
                    Some(m) => {
                        self.call(&m, &[obj.clone(), key.clone()], &[])?;
                        Ok(())
                    }
                    None => Err(Error::type_error(format!(
                        "'{}' object does not support item deletion",
                        obj.type_name()
                    ))),
                }
            }
            _ => Err(Error::type_error(format!(
                "'{}' object does not support item deletion",
                obj.type_name()
            ))),
        }
    }

    /// The bytes of a bytes-like value.
    pub fn bytes_of(&mut self, v: &Value) -> Res<Vec<u8>> {
        match v {
            Value::Bytes(b) => Ok((**b).clone()),
            Value::ByteArray(b) => Ok(b.borrow().clone()),
            _ => Err(Error::type_error(format!(
                "a bytes-like object is required, not '{}'",
                v.type_name()
            ))),
        }
    }
}

fn not_subscriptable(obj: &Value) -> Error {
    Error::type_error(format!("'{}' object is not subscriptable", obj.type_name()))
}

/// The error of a failed index conversion: a big int keeps its
/// IndexError ("cannot fit"), anything else is the wrong type.
fn index_type_error(what: &str, key: &Value, e: Error) -> Error {
    if matches!(key, Value::BigInt(_)) {
        e
    } else {
        list_index_type(what, key)
    }
}

fn list_index_type(what: &str, key: &Value) -> Error {
    Error::type_error(format!(
        "{what} indices must be integers or slices, not {}",
        key.type_name()
    ))
}
