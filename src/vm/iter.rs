//! The iteration protocol and the built-in iterators.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::error::{Error, ExcType, Res};
use super::frame::Resume;
use super::interp::Vm;
use super::object::*;
use super::value::*;

/// Iterator over a list; sees appends made during iteration, as Python's.
pub struct ListIter {
    pub list: Rc<ListObj>,
    pub index: Cell<usize>,
}
pub struct TupleIter {
    pub tuple: Rc<TupleObj>,
    pub index: Cell<usize>,
}
pub struct RangeIter {
    pub next: Cell<i64>,
    pub stop: i64,
    pub step: i64,
}
pub struct StrIter {
    pub s: Rc<StrObj>,
    pub pos: Cell<usize>,
}
pub struct BytesIter {
    pub b: Value,
    pub pos: Cell<usize>,
}
/// What a dict iterator yields.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DictIterKind {
    Keys,
    Values,
    Items,
}
pub struct DictIter {
    pub dict: Value,
    pub pos: Cell<usize>,
    pub kind: DictIterKind,
    pub len: usize,
}
/// `iter(obj)` for objects with only `__getitem__`.
pub struct SeqIter {
    pub obj: Value,
    pub index: Cell<i64>,
    pub done: Cell<bool>,
}
/// `iter(callable, sentinel)`.
pub struct CallIter {
    pub func: Value,
    pub sentinel: Value,
    pub done: Cell<bool>,
}
/// The step function of a [FnIter].
pub type IterStep = Box<dyn FnMut(&mut Vm) -> Res<Option<Value>>>;

/// An iterator defined by a Rust closure (map, filter, zip, ...).
pub struct FnIter {
    pub name: &'static str,
    pub state: RefCell<IterStep>,
    /// Values the closure holds, for the cycle collector.
    pub held: Vec<Value>,
}

macro_rules! iterator_boilerplate {
    ($s:ident, $name:expr) => {
        fn type_name(&$s) -> &str {
            $name
        }
        fn is_iterator(&self) -> bool {
            true
        }
    };
}

impl NativeObject for ListIter {
    iterator_boilerplate!(self, "list_iterator");
    fn next(&self, _vm: &mut Vm) -> Res<Option<Value>> {
        let i = self.index.get();
        let items = self.list.items.borrow();
        if i < items.len() {
            self.index.set(i + 1);
            Ok(Some(items[i].clone()))
        } else {
            self.index.set(usize::MAX / 2);
            Ok(None)
        }
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&Value::List(self.list.clone()));
    }
}
impl NativeObject for TupleIter {
    iterator_boilerplate!(self, "tuple_iterator");
    fn next(&self, _vm: &mut Vm) -> Res<Option<Value>> {
        let i = self.index.get();
        if i < self.tuple.items.len() {
            self.index.set(i + 1);
            Ok(Some(self.tuple.items[i].clone()))
        } else {
            Ok(None)
        }
    }
}
impl NativeObject for RangeIter {
    iterator_boilerplate!(self, "range_iterator");
    fn next(&self, _vm: &mut Vm) -> Res<Option<Value>> {
        let n = self.next.get();
        if (self.step > 0 && n < self.stop) || (self.step < 0 && n > self.stop) {
            self.next.set(n.saturating_add(self.step));
            Ok(Some(Value::Int(n)))
        } else {
            Ok(None)
        }
    }
}
impl NativeObject for StrIter {
    iterator_boilerplate!(self, "str_iterator");
    fn next(&self, _vm: &mut Vm) -> Res<Option<Value>> {
        let p = self.pos.get();
        match self.s.s[p..].chars().next() {
            Some(c) => {
                self.pos.set(p + c.len_utf8());
                let mut buf = [0u8; 4];
                Ok(Some(Value::str(c.encode_utf8(&mut buf))))
            }
            None => Ok(None),
        }
    }
}
impl NativeObject for BytesIter {
    iterator_boilerplate!(self, "bytes_iterator");
    fn next(&self, _vm: &mut Vm) -> Res<Option<Value>> {
        let p = self.pos.get();
        let b = match &self.b {
            Value::Bytes(b) => b.get(p).copied(),
            Value::ByteArray(b) => b.borrow().get(p).copied(),
            _ => None,
        };
        Ok(b.map(|x| {
            self.pos.set(p + 1);
            Value::Int(x as i64)
        }))
    }
}
impl NativeObject for DictIter {
    iterator_boilerplate!(
        self,
        match self.kind {
            DictIterKind::Keys => "dict_keyiterator",
            DictIterKind::Values => "dict_valueiterator",
            DictIterKind::Items => "dict_itemiterator",
        }
    );
    fn next(&self, _vm: &mut Vm) -> Res<Option<Value>> {
        let d = match &self.dict {
            Value::Dict(d) => &d.d,
            Value::Set(s) | Value::FrozenSet(s) => &s.d,
            _ => return Ok(None),
        };
        let d = d.borrow();
        if d.len() != self.len {
            self.pos.set(usize::MAX / 2);
            let what = if matches!(self.dict, Value::Dict(_)) {
                "dictionary"
            } else {
                "Set"
            };
            return Err(Error::runtime_error(format!(
                "{what} changed size during iteration"
            )));
        }
        let mut p = self.pos.get();
        while p < d.slots() {
            if let Some(e) = d.slot(p) {
                self.pos.set(p + 1);
                return Ok(Some(match self.kind {
                    DictIterKind::Keys => e.key.clone(),
                    DictIterKind::Values => e.value.clone(),
                    DictIterKind::Items => Value::tuple(vec![e.key.clone(), e.value.clone()]),
                }));
            }
            p += 1;
        }
        self.pos.set(p);
        Ok(None)
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.dict);
    }
}
impl NativeObject for SeqIter {
    iterator_boilerplate!(self, "iterator");
    fn next(&self, vm: &mut Vm) -> Res<Option<Value>> {
        if self.done.get() {
            return Ok(None);
        }
        let i = self.index.get();
        match vm.getitem(&self.obj, &Value::Int(i)) {
            Ok(v) => {
                self.index.set(i + 1);
                Ok(Some(v))
            }
            Err(e) => {
                if vm.error_is(&e, ExcType::IndexError) || vm.error_is(&e, ExcType::StopIteration) {
                    self.done.set(true);
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.obj);
    }
}
impl NativeObject for CallIter {
    iterator_boilerplate!(self, "callable_iterator");
    fn next(&self, vm: &mut Vm) -> Res<Option<Value>> {
        if self.done.get() {
            return Ok(None);
        }
        let v = vm.call(&self.func, &[], &[])?;
        if vm.eq(&v, &self.sentinel)? {
            self.done.set(true);
            return Ok(None);
        }
        Ok(Some(v))
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.func);
        f(&self.sentinel);
    }
}
impl NativeObject for FnIter {
    iterator_boilerplate!(self, self.name);
    fn next(&self, vm: &mut Vm) -> Res<Option<Value>> {
        let mut st = self
            .state
            .try_borrow_mut()
            .map_err(|_| Error::value_error("iterator already executing"))?;
        (st)(vm)
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        for v in &self.held {
            f(v);
        }
    }
}

impl Vm {
    /// `iter(v)`.
    pub fn get_iter(&mut self, v: &Value) -> Res<Value> {
        Ok(match v {
            Value::List(l) => Value::object(ListIter {
                list: l.clone(),
                index: Cell::new(0),
            }),
            Value::Tuple(t) => Value::object(TupleIter {
                tuple: t.clone(),
                index: Cell::new(0),
            }),
            Value::Range(r) => Value::object(RangeIter {
                next: Cell::new(r.start),
                stop: r.stop,
                step: r.step,
            }),
            Value::Str(s) => Value::object(StrIter {
                s: s.clone(),
                pos: Cell::new(0),
            }),
            Value::Bytes(_) | Value::ByteArray(_) => Value::object(BytesIter {
                b: v.clone(),
                pos: Cell::new(0),
            }),
            Value::Dict(d) => Value::object(DictIter {
                dict: v.clone(),
                pos: Cell::new(0),
                kind: DictIterKind::Keys,
                len: d.d.borrow().len(),
            }),
            Value::Set(_) | Value::FrozenSet(_) => crate::builtins::set_methods::ordered_iter(v),
            Value::Generator(_) => v.clone(),
            Value::Object(o) => {
                if o.is_iterator() {
                    return Ok(v.clone());
                }
                let name = self.intern_static("__iter__");
                if let Some(m) = o.class(self).and_then(|c| c.lookup(&name)) {
                    return self.call(&m, std::slice::from_ref(v), &[]);
                }
                return Err(self.not_iterable(v));
            }
            Value::Instance(i) => {
                let name = self.intern_static("__iter__");
                if let Some(m) = i.class.lookup(&name) {
                    let it = self.call(&m, std::slice::from_ref(v), &[])?;
                    return Ok(it);
                }
                let gi = self.intern_static("__getitem__");
                if i.class.lookup(&gi).is_some() {
                    return Ok(Value::object(SeqIter {
                        obj: v.clone(),
                        index: Cell::new(0),
                        done: Cell::new(false),
                    }));
                }
                if let Some(p) = super::ops::payload_of(v) {
                    return self.get_iter(&p);
                }
                return Err(self.not_iterable(v));
            }
            _ => return Err(self.not_iterable(v)),
        })
    }

    fn not_iterable(&self, v: &Value) -> Error {
        Error::type_error(format!("'{}' object is not iterable", v.type_name()))
    }

    /// Advances an iterator: Some(value) or None when exhausted.
    pub fn iter_next(&mut self, it: &Value) -> Res<Option<Value>> {
        match it {
            Value::Object(o) => {
                let o = o.clone();
                o.next(self)
            }
            Value::Generator(g) => {
                let g = g.clone();
                self.generator_send(&g, None)
            }
            Value::Instance(_) => {
                let name = self.intern_static("__next__");
                match self.lookup_special(it, &name) {
                    Some(m) => match self.call(&m, std::slice::from_ref(it), &[]) {
                        Ok(v) => Ok(Some(v)),
                        Err(e) => {
                            if self.error_is(&e, ExcType::StopIteration) {
                                Ok(None)
                            } else {
                                Err(e)
                            }
                        }
                    },
                    None => Err(Error::type_error(format!(
                        "'{}' object is not an iterator",
                        it.type_name()
                    ))),
                }
            }
            _ => Err(Error::type_error(format!(
                "'{}' object is not an iterator",
                it.type_name()
            ))),
        }
    }

    /// Like iter_next, but a finished iterator reports its return value
    /// as Err(StopIteration(value)) — used by `yield from`.
    pub fn iter_next_value(&mut self, it: &Value) -> Res<Option<Value>> {
        self.iter_next(it)
    }

    /// Resumes a generator from native code. Ok(None) when it finished;
    /// its return value is then available as StopIteration's value to
    /// callers that need it (`generator_send_full`).
    pub fn generator_send(
        &mut self,
        g: &Rc<GeneratorObj>,
        send: Option<Value>,
    ) -> Res<Option<Value>> {
        match self.generator_send_full(g, send)? {
            Ok(v) => Ok(Some(v)),
            Err(_) => Ok(None),
        }
    }

    /// Ok(Ok(yielded)) or Ok(Err(returned value)).
    pub fn generator_send_full(
        &mut self,
        g: &Rc<GeneratorObj>,
        send: Option<Value>,
    ) -> Res<Result<Value, Value>> {
        if !self.resume_generator(g, send, Resume::Normal)? {
            return Ok(Err(Value::None));
        }
        let v = self.run_nested()?;
        if g.is_finished() {
            Ok(Err(v))
        } else {
            Ok(Ok(v))
        }
    }

    /// Collects any iterable into a vector.
    pub fn iterate(&mut self, v: &Value) -> Res<Vec<Value>> {
        match v {
            Value::List(l) => return Ok(l.items.borrow().clone()),
            Value::Tuple(t) => return Ok(t.items.to_vec()),
            Value::Dict(d) => return Ok(d.d.borrow().keys()),
            Value::Set(s) | Value::FrozenSet(s) => {
                return Ok(crate::builtins::set_methods::ordered_keys(s))
            }
            Value::Range(r) => {
                let n = r.len();
                if n as u64 > super::ops::MAX_SEQ {
                    return Err(Error::memory_error("range too large to materialise"));
                }
                let mut out = Vec::with_capacity(n as usize);
                let mut i = r.start;
                for _ in 0..n {
                    out.push(Value::Int(i));
                    i = i.wrapping_add(r.step);
                }
                return Ok(out);
            }
            _ => {}
        }
        let it = self.get_iter(v)?;
        let mut out = Vec::new();
        while let Some(x) = self.iter_next(&it)? {
            out.push(x);
        }
        Ok(out)
    }

    /// UnpackSequence: pushes the items of [seq] so the first is on top.
    pub fn unpack(&mut self, seq: Value, n: usize) -> Res<()> {
        // Exact-length tuples and lists push straight from their storage.
        match &seq {
            Value::Tuple(t) if t.items.len() == n => {
                self.stack.extend(t.items.iter().rev().cloned());
                return Ok(());
            }
            Value::List(l) if l.items.borrow().len() == n => {
                self.stack.extend(l.items.borrow().iter().rev().cloned());
                return Ok(());
            }
            _ => {}
        }
        let items = match &seq {
            Value::Tuple(t) => t.items.to_vec(),
            Value::List(l) => l.items.borrow().clone(),
            _ => {
                let it = self.get_iter(&seq).map_err(|_| {
                    Error::type_error(format!(
                        "cannot unpack non-iterable {} object",
                        seq.type_name()
                    ))
                })?;
                let mut out = Vec::with_capacity(n);
                while let Some(x) = self.iter_next(&it)? {
                    out.push(x);
                    if out.len() > n {
                        return Err(Error::value_error(format!(
                            "too many values to unpack (expected {n})"
                        )));
                    }
                }
                out
            }
        };
        if items.len() != n {
            return Err(if items.len() > n {
                Error::value_error(format!("too many values to unpack (expected {n})"))
            } else {
                Error::value_error(format!(
                    "not enough values to unpack (expected {n}, got {})",
                    items.len()
                ))
            });
        }
        self.stack.extend(items.into_iter().rev());
        Ok(())
    }

    /// UnpackEx: `a, *b, c = seq`.
    pub fn unpack_ex(&mut self, seq: Value, before: usize, after: usize) -> Res<()> {
        let items = match &seq {
            Value::Tuple(_) | Value::List(_) => self.iterate(&seq)?,
            _ => {
                if self.get_iter(&seq).is_err() {
                    return Err(Error::type_error(format!(
                        "cannot unpack non-iterable {} object",
                        seq.type_name()
                    )));
                }
                self.iterate(&seq)?
            }
        };
        if items.len() < before + after {
            return Err(Error::value_error(format!(
                "not enough values to unpack (expected at least {}, got {})",
                before + after,
                items.len()
            )));
        }
        let mut items = items;
        let tail = items.split_off(items.len() - after);
        let middle = items.split_off(before);
        for v in tail.into_iter().rev() {
            self.stack.push(v);
        }
        self.stack.push(Value::list(middle));
        for v in items.into_iter().rev() {
            self.stack.push(v);
        }
        Ok(())
    }
}
