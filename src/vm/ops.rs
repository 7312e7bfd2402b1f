//! Operators: arithmetic, comparison, truth, subscription and `in`, with
//! the dunder-method protocol for user classes.

use std::cmp::Ordering;
use std::rc::Rc;

use super::error::{Error, Res};
use super::frame::Resume;
use super::interp::Vm;
use super::num::{self, float_op, int_op, is_int, to_f64};
use super::object::FunctionObj;
use super::value::*;
use crate::syntax::ast::{BinOp, CmpOp};

pub fn op_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "**",
        BinOp::LShift => "<<",
        BinOp::RShift => ">>",
        BinOp::BitOr => "|",
        BinOp::BitXor => "^",
        BinOp::BitAnd => "&",
    }
}

/// Every binary operator, in declaration order (`op as usize` indexes it).
pub const ALL_BINOPS: [BinOp; 12] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::FloorDiv,
    BinOp::Mod,
    BinOp::Pow,
    BinOp::LShift,
    BinOp::RShift,
    BinOp::BitOr,
    BinOp::BitXor,
    BinOp::BitAnd,
];

/// The interned `__op__`, `__rop__` and `__iop__` names of each operator.
pub fn binop_syms() -> Vec<(Sym, Sym, Sym)> {
    ALL_BINOPS
        .iter()
        .enumerate()
        .map(|(i, &op)| {
            debug_assert_eq!(op as usize, i);
            let (l, r, ip) = dunder(op);
            (intern(l), intern(r), intern(ip))
        })
        .collect()
}

pub fn dunder(op: BinOp) -> (&'static str, &'static str, &'static str) {
    match op {
        BinOp::Add => ("__add__", "__radd__", "__iadd__"),
        BinOp::Sub => ("__sub__", "__rsub__", "__isub__"),
        BinOp::Mul => ("__mul__", "__rmul__", "__imul__"),
        BinOp::Div => ("__truediv__", "__rtruediv__", "__itruediv__"),
        BinOp::FloorDiv => ("__floordiv__", "__rfloordiv__", "__ifloordiv__"),
        BinOp::Mod => ("__mod__", "__rmod__", "__imod__"),
        BinOp::Pow => ("__pow__", "__rpow__", "__ipow__"),
        BinOp::LShift => ("__lshift__", "__rlshift__", "__ilshift__"),
        BinOp::RShift => ("__rshift__", "__rrshift__", "__irshift__"),
        BinOp::BitOr => ("__or__", "__ror__", "__ior__"),
        BinOp::BitXor => ("__xor__", "__rxor__", "__ixor__"),
        BinOp::BitAnd => ("__and__", "__rand__", "__iand__"),
    }
}

/// Refuses to build sequences beyond this many items or bytes.
pub const MAX_SEQ: u64 = 1 << 32;

fn repeat_count(n: &Value, len: usize) -> Res<usize> {
    let n = match n {
        Value::Int(i) => *i,
        Value::Bool(b) => *b as i64,
        Value::BigInt(b) => {
            if num_traits::Signed::is_negative(&**b) {
                0
            } else {
                i64::MAX
            }
        }
        _ => 0,
    };
    if n <= 0 {
        return Ok(0);
    }
    if len > 0 && (n as u64).saturating_mul(len as u64) > MAX_SEQ {
        // Refused before allocating, as CPython's failed allocation is.
        return Err(Error::New(super::error::ExcType::MemoryError, None));
    }
    Ok(n as usize)
}

impl Vm {
    /// `a op b` for built-in types; None when the types don't support it.
    fn builtin_binary(&mut self, op: BinOp, a: &Value, b: &Value) -> Res<Option<Value>> {
        use Value::*;
        Ok(Some(match (a, b) {
            (Bool(x), Bool(y)) if matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor) => {
                Value::bool(match op {
                    BinOp::BitAnd => x.get() & y.get(),
                    BinOp::BitOr => x.get() | y.get(),
                    _ => x.get() ^ y.get(),
                })
            }
            _ if is_int(a) && is_int(b) => return int_op(op, a, b).map(Some),
            (Float(x), Float(y)) => return float_op(op, x.get(), y.get()).map(Some),
            (Float(_), _) | (_, Float(_))
                if matches!(a, Float(_) | Int(_) | Bool(_) | BigInt(_))
                    && matches!(b, Float(_) | Int(_) | Bool(_) | BigInt(_)) =>
            {
                if matches!(
                    op,
                    BinOp::LShift | BinOp::RShift | BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor
                ) {
                    return Ok(Option::None);
                }
                let x = to_f64(a).unwrap()?;
                let y = to_f64(b).unwrap()?;
                return float_op(op, x, y).map(Some);
            }
            (Str(x), Str(y)) if op == BinOp::Add => {
                let mut s = String::with_capacity(x.s.len() + y.s.len());
                s.push_str(&x.s);
                s.push_str(&y.s);
                Value::string(s)
            }
            (Str(x), n) | (n, Str(x)) if op == BinOp::Mul && is_int(n) => {
                let k = repeat_count(n, x.s.len())?;
                Value::string(x.s.repeat(k))
            }
            (Str(x), _) if op == BinOp::Mod => {
                let s = super::format::percent_format(self, &x.s, b)?;
                Value::string(s)
            }
            (List(x), List(y)) if op == BinOp::Add => {
                let mut v = x.items.borrow().clone();
                v.extend(y.items.borrow().iter().cloned());
                Value::list(v)
            }
            (List(x), n) | (n, List(x)) if op == BinOp::Mul && is_int(n) => {
                let items = x.items.borrow();
                let k = repeat_count(n, items.len())?;
                let mut v = Vec::with_capacity(items.len() * k);
                for _ in 0..k {
                    v.extend(items.iter().cloned());
                }
                Value::list(v)
            }
            (Tuple(x), Tuple(y)) if op == BinOp::Add => {
                let mut v = x.items.to_vec();
                v.extend(y.items.iter().cloned());
                Value::tuple(v)
            }
            (Tuple(x), n) | (n, Tuple(x)) if op == BinOp::Mul && is_int(n) => {
                let k = repeat_count(n, x.items.len())?;
                let mut v = Vec::with_capacity(x.items.len() * k);
                for _ in 0..k {
                    v.extend(x.items.iter().cloned());
                }
                Value::tuple(v)
            }
            (Bytes(x), Bytes(y)) if op == BinOp::Add => {
                let mut v = (**x).clone();
                v.extend_from_slice(y);
                Value::bytes(v)
            }
            (Bytes(x), n) | (n, Bytes(x)) if op == BinOp::Mul && is_int(n) => {
                let k = repeat_count(n, x.len())?;
                Value::bytes(x.repeat(k))
            }
            (ByteArray(x), Bytes(_) | ByteArray(_)) if op == BinOp::Add => {
                let mut v = x.borrow().clone();
                v.extend(self.bytes_of(b)?);
                Value::ByteArray(Rc::new(std::cell::RefCell::new(v)))
            }
            (Bytes(x), ByteArray(y)) if op == BinOp::Add => {
                let mut v = (**x).clone();
                v.extend_from_slice(&y.borrow());
                Value::bytes(v)
            }
            (ByteArray(x), n) | (n, ByteArray(x)) if op == BinOp::Mul && is_int(n) => {
                let data = x.borrow().clone();
                let k = repeat_count(n, data.len())?;
                Value::ByteArray(Rc::new(std::cell::RefCell::new(data.repeat(k))))
            }
            (Bytes(x), _) if op == BinOp::Mod => {
                // Bytes formatting runs the str formatter over latin-1
                // text, so %s of a bytes argument inserts its raw bytes.
                let latin1 = |v: &[u8]| v.iter().map(|&c| c as char).collect::<String>();
                let conv = |v: &Value| match v {
                    Bytes(b) => Value::string(latin1(b)),
                    ByteArray(b) => Value::string(latin1(&b.borrow())),
                    other => other.clone(),
                };
                let args = match b {
                    Tuple(t) => Value::tuple(t.items.iter().map(conv).collect()),
                    other => conv(other),
                };
                let s = super::format::percent_format(self, &latin1(x), &args)?;
                let mut out = Vec::with_capacity(s.len());
                for c in s.chars() {
                    if (c as u32) > 255 {
                        return Err(Error::type_error("%b requires a bytes-like object"));
                    }
                    out.push(c as u8);
                }
                Value::bytes(out)
            }
            (Set(_) | FrozenSet(_), Set(_) | FrozenSet(_))
                if matches!(
                    op,
                    BinOp::BitOr | BinOp::BitAnd | BinOp::Sub | BinOp::BitXor
                ) =>
            {
                return self.set_binary(op, a, b).map(Some);
            }
            (Dict(x), Dict(y)) if op == BinOp::BitOr => {
                let d = x.d.borrow().clone();
                let out = Value::dict(d);
                self.dict_merge(&out, &Dict(y.clone()), false)?;
                out
            }
            _ => return Ok(Option::None),
        }))
    }

    pub fn binary(&mut self, op: BinOp, a: Value, b: Value) -> Res<Value> {
        if let Some(v) = self.builtin_binary(op, &a, &b)? {
            return Ok(v);
        }
        self.binary_by_dunders(op, a, b, false)
    }

    /// The rest of `a op b` after `a.__op__(b)`, run in its own frame (see
    /// [Vm::dunder_frame]), returned NotImplemented.
    pub fn binary_after_left(&mut self, op: BinOp, a: Value, b: Value) -> Res<Value> {
        self.binary_by_dunders(op, a, b, true)
    }

    /// `a op b` through the operands' dunders (all but `a.__op__` when
    /// [left_done]), else the TypeError.
    fn binary_by_dunders(&mut self, op: BinOp, a: Value, b: Value, left_done: bool) -> Res<Value> {
        let (name, rname, _) = dunder(op);
        if let Some(v) = self.try_binary_dunder(&a, &b, name, rname, left_done)? {
            return Ok(v);
        }
        Err(self.binary_type_error(op, &a, &b))
    }

    /// The script function `a op b` (with [inplace], `a op= b`) calls
    /// first when it can run as a plain frame from the dispatch loop, and
    /// how its result is taken: [a] a plain instance whose class defines
    /// the dunder as a simple two-parameter function. `__iop__` comes
    /// first for `op=`; without one, `a op= b` is `a op b`, for which [b]
    /// must not be an instance of a proper subclass (whose reflected
    /// method would be tried first).
    pub fn dunder_frame(
        &self,
        op: BinOp,
        a: &Value,
        b: &Value,
        inplace: bool,
    ) -> Option<(Rc<FunctionObj>, Resume)> {
        let Value::Instance(ia) = a else {
            return None;
        };
        let syms = &self.binop_syms[op as usize];
        if inplace {
            match ia.class.lookup(&syms.2) {
                Some(Value::Function(f)) if super::call::bindable(&f, 2, None) => {
                    return Some((f, Resume::Inplace(op)));
                }
                Some(_) => return None,
                None => {}
            }
        }
        if let Value::Instance(ib) = b {
            if !Rc::ptr_eq(&ia.class, &ib.class) && ib.class.is_subclass(&ia.class) {
                return None;
            }
        }
        match ia.class.lookup(&syms.0) {
            Some(Value::Function(f)) if super::call::bindable(&f, 2, None) => {
                Some((f, Resume::Binary(op)))
            }
            _ => None,
        }
    }

    fn binary_type_error(&self, op: BinOp, a: &Value, b: &Value) -> Error {
        if op == BinOp::Add {
            if let Value::Str(_) = a {
                return Error::type_error(format!(
                    "can only concatenate str (not \"{}\") to str",
                    b.type_name()
                ));
            }
            if let Value::List(_) = a {
                return Error::type_error(format!(
                    "can only concatenate list (not \"{}\") to list",
                    b.type_name()
                ));
            }
            if let Value::Tuple(_) = a {
                return Error::type_error(format!(
                    "can only concatenate tuple (not \"{}\") to tuple",
                    b.type_name()
                ));
            }
        }
        if op == BinOp::Mul
            && matches!(a, Value::Str(_) | Value::List(_) | Value::Tuple(_))
            && matches!(b, Value::Float(_))
        {
            return Error::type_error(format!(
                "can't multiply sequence by non-int of type '{}'",
                b.type_name()
            ));
        }
        let sym = if op == BinOp::Pow {
            "** or pow()"
        } else {
            op_symbol(op)
        };
        Error::type_error(format!(
            "unsupported operand type(s) for {}: '{}' and '{}'",
            sym,
            a.type_name(),
            b.type_name()
        ))
    }

    /// Tries `a.name(b)` then `b.rname(a)` (reflected first when b's
    /// class is a subclass of a's).
    fn try_binary_dunder(
        &mut self,
        a: &Value,
        b: &Value,
        name: &'static str,
        rname: &'static str,
        left_done: bool,
    ) -> Res<Option<Value>> {
        let lname = intern_static(name);
        let rsym = intern_static(rname);
        let ta = self.type_of(a);
        let tb = self.type_of(b);
        let same = Rc::ptr_eq(&ta, &tb);
        let lm = if matches!(a, Value::Instance(_) | Value::Object(_)) {
            ta.lookup(&lname)
        } else {
            None
        };
        let rm = if !same && matches!(b, Value::Instance(_) | Value::Object(_)) {
            tb.lookup(&rsym)
        } else {
            None
        };
        let reflected_first = rm.is_some() && tb.is_subclass(&ta) && !same;
        if reflected_first {
            if let Some(r) = &rm {
                let v = self.call(r, &[b.clone(), a.clone()], &[])?;
                if !self.is_not_implemented(&v) {
                    return Ok(Some(v));
                }
            }
        }
        if let Some(l) = lm.filter(|_| !left_done) {
            let v = self.call(&l, &[a.clone(), b.clone()], &[])?;
            if !self.is_not_implemented(&v) {
                return Ok(Some(v));
            }
        }
        if !reflected_first {
            if let Some(r) = rm {
                let v = self.call(&r, &[b.clone(), a.clone()], &[])?;
                if !self.is_not_implemented(&v) {
                    return Ok(Some(v));
                }
            }
        }
        // Instances of classes deriving from built-ins: use the payload.
        let pa = payload_of(a);
        let pb = payload_of(b);
        if pa.is_some() || pb.is_some() {
            let a2 = pa.unwrap_or_else(|| a.clone());
            let b2 = pb.unwrap_or_else(|| b.clone());
            if !matches!(a2, Value::Instance(_)) && !matches!(b2, Value::Instance(_)) {
                let op = match name {
                    "__add__" => Some(BinOp::Add),
                    "__sub__" => Some(BinOp::Sub),
                    "__mul__" => Some(BinOp::Mul),
                    "__truediv__" => Some(BinOp::Div),
                    "__floordiv__" => Some(BinOp::FloorDiv),
                    "__mod__" => Some(BinOp::Mod),
                    "__pow__" => Some(BinOp::Pow),
                    "__or__" => Some(BinOp::BitOr),
                    "__and__" => Some(BinOp::BitAnd),
                    "__xor__" => Some(BinOp::BitXor),
                    "__lshift__" => Some(BinOp::LShift),
                    "__rshift__" => Some(BinOp::RShift),
                    _ => None,
                };
                if let Some(op) = op {
                    return self.builtin_binary(op, &a2, &b2);
                }
            }
        }
        Ok(None)
    }

    pub fn is_not_implemented(&self, v: &Value) -> bool {
        v.is(&self.types.not_implemented)
    }

    pub fn inplace(&mut self, op: BinOp, a: Value, b: Value) -> Res<Value> {
        match (&a, op) {
            (Value::List(l), BinOp::Add) => {
                let items = self.iterate(&b)?;
                l.items.borrow_mut().extend(items);
                return Ok(a);
            }
            (Value::List(l), BinOp::Mul) => {
                let k = repeat_count(&b, l.items.borrow().len())?;
                let mut items = l.items.borrow_mut();
                let orig = items.clone();
                items.clear();
                for _ in 0..k {
                    items.extend(orig.iter().cloned());
                }
                drop(items);
                return Ok(a);
            }
            (Value::ByteArray(x), BinOp::Add) => {
                let extra = self.bytes_of(&b)?;
                x.borrow_mut().extend(extra);
                return Ok(a);
            }
            (Value::Set(_), BinOp::BitOr | BinOp::BitAnd | BinOp::Sub | BinOp::BitXor)
                if matches!(b, Value::Set(_) | Value::FrozenSet(_)) =>
            {
                let r = self.set_binary(op, &a, &b)?;
                if let (Value::Set(dst), Value::Set(src)) = (&a, &r) {
                    let d = src.d.borrow().clone();
                    *dst.d.borrow_mut() = d;
                }
                return Ok(a);
            }
            (Value::Dict(_), BinOp::BitOr) => {
                crate::builtins::constructors::dict_fill(self, &a, std::slice::from_ref(&b), &[])?;
                return Ok(a);
            }
            (Value::Instance(i), _) => {
                let sym = self.binop_syms[op as usize].2.clone();
                if let Some(m) = i.class.lookup(&sym) {
                    let v = self.call(&m, &[a.clone(), b.clone()], &[])?;
                    if !self.is_not_implemented(&v) {
                        return Ok(v);
                    }
                }
            }
            _ => {}
        }
        self.binary(op, a, b)
    }

    // ----- unary -------------------------------------------------------

    pub fn unary_neg(&mut self, a: Value) -> Res<Value> {
        match &a {
            Value::Int(i) => Ok(match i.checked_neg() {
                Some(n) => Value::Int(n),
                None => Value::bigint(-num_bigint::BigInt::from(*i)),
            }),
            Value::Bool(b) => Ok(Value::Int(-(*b as i64))),
            Value::BigInt(b) => Ok(Value::bigint(-(**b).clone())),
            Value::Float(f) => Ok(Value::float(-f.get())),
            _ => self.unary_dunder(a, "__neg__", "-"),
        }
    }

    pub fn unary_pos(&mut self, a: Value) -> Res<Value> {
        match &a {
            Value::Int(_) | Value::BigInt(_) | Value::Float(_) => Ok(a),
            Value::Bool(b) => Ok(Value::Int(*b as i64)),
            _ => self.unary_dunder(a, "__pos__", "+"),
        }
    }

    pub fn unary_invert(&mut self, a: Value) -> Res<Value> {
        match &a {
            Value::Int(i) => Ok(Value::Int(!i)),
            Value::Bool(b) => Ok(Value::Int(!(*b as i64))),
            Value::BigInt(b) => Ok(Value::bigint(-(**b).clone() - 1)),
            _ => self.unary_dunder(a, "__invert__", "~"),
        }
    }

    fn unary_dunder(&mut self, a: Value, name: &str, sym: &str) -> Res<Value> {
        let n = self.intern(name);
        if let Some(m) = self.lookup_special(&a, &n) {
            if matches!(a, Value::Instance(_)) {
                return self.call(&m, &[a], &[]);
            }
        }
        Err(Error::type_error(format!(
            "bad operand type for unary {}: '{}'",
            sym,
            a.type_name()
        )))
    }

    // ----- truth -------------------------------------------------------

    pub fn truthy(&mut self, v: &Value) -> Res<bool> {
        Ok(match v {
            Value::Undef | Value::None => false,
            Value::Bool(b) => b.get(),
            Value::Int(i) => *i != 0,
            Value::Float(f) => f.get() != 0.0,
            Value::BigInt(_) => true,
            Value::Str(s) => !s.s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::ByteArray(b) => !b.borrow().is_empty(),
            Value::List(l) => !l.items.borrow().is_empty(),
            Value::Tuple(t) => !t.items.is_empty(),
            Value::Dict(d) => !d.d.borrow().is_empty(),
            Value::Set(s) | Value::FrozenSet(s) => !s.d.borrow().is_empty(),
            Value::Range(r) => !r.is_empty(),
            Value::Instance(i) => {
                let b = self.intern_static("__bool__");
                if let Some(m) = i.class.lookup(&b) {
                    let r = self.call(&m, std::slice::from_ref(v), &[])?;
                    return match r {
                        Value::Bool(b) => Ok(b.get()),
                        other => Err(Error::type_error(format!(
                            "__bool__ should return bool, returned {}",
                            other.type_name()
                        ))),
                    };
                }
                let l = self.intern_static("__len__");
                if let Some(m) = i.class.lookup(&l) {
                    let r = self.call(&m, std::slice::from_ref(v), &[])?;
                    return Ok(self.index_value(&r)? != 0);
                }
                let p = i.payload.borrow().clone();
                match p {
                    Value::Undef => true,
                    Value::Object(_) => true,
                    other => self.truthy(&other)?,
                }
            }
            Value::Object(o) => o.len().map(|n| n != 0).unwrap_or(true),
            _ => true,
        })
    }

    // ----- comparison ---------------------------------------------------

    pub fn compare(&mut self, op: CmpOp, a: &Value, b: &Value) -> Res<Value> {
        Ok(Value::bool(match op {
            CmpOp::Is => a.is(b),
            CmpOp::IsNot => !a.is(b),
            CmpOp::In => self.contains(b, a)?,
            CmpOp::NotIn => !self.contains(b, a)?,
            CmpOp::Eq => return self.rich_eq(a, b, false),
            CmpOp::NotEq => return self.rich_eq(a, b, true),
            _ => return self.rich_order(op, a, b),
        }))
    }

    /// `a == b` as a bool.
    pub fn eq(&mut self, a: &Value, b: &Value) -> Res<bool> {
        if let Some(r) = native_eq(a, b).filter(|_| !is_object(a) && !is_object(b)) {
            return Ok(r);
        }
        let v = self.rich_eq(a, b, false)?;
        match v {
            Value::Bool(b) => Ok(b.get()),
            other => self.truthy(&other),
        }
    }

    fn rich_eq(&mut self, a: &Value, b: &Value, negate: bool) -> Res<Value> {
        if let Some(r) = native_eq(a, b).filter(|_| !is_object(a) && !is_object(b)) {
            return Ok(Value::bool(r != negate));
        }
        // Containers of arbitrary items.
        let r = match (a, b) {
            (Value::List(x), Value::List(y)) => {
                let (xs, ys) = (x.items.borrow().clone(), y.items.borrow().clone());
                Some(self.seq_eq(&xs, &ys)?)
            }
            (Value::Tuple(x), Value::Tuple(y)) => Some(self.seq_eq(&x.items, &y.items)?),
            (Value::Dict(x), Value::Dict(y)) => Some(self.dict_eq(x, y)?),
            (Value::Set(_) | Value::FrozenSet(_), Value::Set(_) | Value::FrozenSet(_)) => {
                Some(self.set_eq(a, b)?)
            }
            _ => None,
        };
        if let Some(r) = r {
            return Ok(Value::bool(r != negate));
        }
        let (name, rname) = if negate {
            ("__ne__", "__ne__")
        } else {
            ("__eq__", "__eq__")
        };
        if matches!(a, Value::Instance(_) | Value::Object(_))
            || matches!(b, Value::Instance(_) | Value::Object(_))
        {
            if let Some(v) = self.try_cmp_dunder(a, b, name, rname)? {
                return Ok(v);
            }
            if negate {
                // Default __ne__ inverts __eq__.
                if let Some(v) = self.try_cmp_dunder(a, b, "__eq__", "__eq__")? {
                    let t = self.truthy(&v)?;
                    return Ok(Value::bool(!t));
                }
            }
            let pa = payload_of(a);
            let pb = payload_of(b);
            if pa.is_some() || pb.is_some() {
                let a2 = pa.unwrap_or_else(|| a.clone());
                let b2 = pb.unwrap_or_else(|| b.clone());
                if !matches!(a2, Value::Instance(_)) && !matches!(b2, Value::Instance(_)) {
                    return self.rich_eq(&a2, &b2, negate);
                }
            }
        }
        Ok(Value::bool(a.is(b) != negate))
    }

    fn try_cmp_dunder(
        &mut self,
        a: &Value,
        b: &Value,
        name: &'static str,
        rname: &'static str,
    ) -> Res<Option<Value>> {
        let n = intern_static(name);
        let rn = intern_static(rname);
        let ta = self.type_of(a);
        let tb = self.type_of(b);
        let user = |v: &Value, c: &Rc<super::object::ClassObj>, s: &Sym| match v {
            Value::Instance(_) => c.lookup(s).filter(|m| matches!(m, Value::Function(_))),
            Value::Object(_) => c.lookup(s),
            _ => None,
        };
        let lm = user(a, &ta, &n);
        let rm = user(b, &tb, &rn);
        let reflected_first = rm.is_some() && !Rc::ptr_eq(&ta, &tb) && tb.is_subclass(&ta);
        if reflected_first {
            let v = self.call(rm.as_ref().unwrap(), &[b.clone(), a.clone()], &[])?;
            if !self.is_not_implemented(&v) {
                return Ok(Some(v));
            }
        }
        if let Some(l) = lm {
            let v = self.call(&l, &[a.clone(), b.clone()], &[])?;
            if !self.is_not_implemented(&v) {
                return Ok(Some(v));
            }
        }
        if !reflected_first {
            if let Some(r) = rm {
                let v = self.call(&r, &[b.clone(), a.clone()], &[])?;
                if !self.is_not_implemented(&v) {
                    return Ok(Some(v));
                }
            }
        }
        Ok(None)
    }

    fn seq_eq(&mut self, xs: &[Value], ys: &[Value]) -> Res<bool> {
        if xs.len() != ys.len() {
            return Ok(false);
        }
        for (x, y) in xs.iter().zip(ys) {
            if !x.is(y) && !self.eq(x, y)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn rich_order(&mut self, op: CmpOp, a: &Value, b: &Value) -> Res<Value> {
        if let Some(ord) = self.builtin_order(a, b)? {
            let r = match ord {
                None => false,
                Some(o) => match op {
                    CmpOp::Lt => o == Ordering::Less,
                    CmpOp::LtE => o != Ordering::Greater,
                    CmpOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                },
            };
            return Ok(Value::bool(r));
        }
        if let (Value::Set(_) | Value::FrozenSet(_), Value::Set(_) | Value::FrozenSet(_)) = (a, b) {
            return self.set_order(op, a, b).map(Value::bool);
        }
        let (name, rname) = match op {
            CmpOp::Lt => ("__lt__", "__gt__"),
            CmpOp::LtE => ("__le__", "__ge__"),
            CmpOp::Gt => ("__gt__", "__lt__"),
            _ => ("__ge__", "__le__"),
        };
        if matches!(a, Value::Instance(_) | Value::Object(_))
            || matches!(b, Value::Instance(_) | Value::Object(_))
        {
            if let Some(v) = self.try_cmp_dunder(a, b, name, rname)? {
                return Ok(v);
            }
            let pa = payload_of(a);
            let pb = payload_of(b);
            if pa.is_some() || pb.is_some() {
                let a2 = pa.unwrap_or_else(|| a.clone());
                let b2 = pb.unwrap_or_else(|| b.clone());
                if !matches!(a2, Value::Instance(_)) && !matches!(b2, Value::Instance(_)) {
                    return self.rich_order(op, &a2, &b2);
                }
            }
        }
        let sym = match op {
            CmpOp::Lt => "<",
            CmpOp::LtE => "<=",
            CmpOp::Gt => ">",
            _ => ">=",
        };
        Err(Error::type_error(format!(
            "'{}' not supported between instances of '{}' and '{}'",
            sym,
            a.type_name(),
            b.type_name()
        )))
    }

    /// Ordering of built-in values: Some(None) for unordered (NaN),
    /// None when the types can't be ordered natively.
    pub fn builtin_order(&mut self, a: &Value, b: &Value) -> Res<Option<Option<Ordering>>> {
        use Value::*;
        Ok(Some(match (a, b) {
            (Int(x), Int(y)) => Some(x.cmp(y)),
            (Float(x), Float(y)) => x.get().partial_cmp(&y.get()),
            _ if is_int(a) && is_int(b) => {
                let (x, y) = (num::to_big(a).unwrap(), num::to_big(b).unwrap());
                Some(x.cmp(&y))
            }
            (Float(f), i) if is_int(i) => num::cmp_int_float(i, f.get()).map(|o| o.reverse()),
            (i, Float(f)) if is_int(i) => num::cmp_int_float(i, f.get()),
            (Str(x), Str(y)) => Some(x.s.cmp(&y.s)),
            (Bytes(x), Bytes(y)) => Some(x.cmp(y)),
            (List(x), List(y)) => {
                let (xs, ys) = (x.items.borrow().clone(), y.items.borrow().clone());
                self.seq_order(&xs, &ys)?
            }
            (Tuple(x), Tuple(y)) => {
                let (xs, ys) = (x.items.clone(), y.items.clone());
                self.seq_order(&xs, &ys)?
            }
            _ => return Ok(Option::None),
        }))
    }

    fn seq_order(&mut self, xs: &[Value], ys: &[Value]) -> Res<Option<Ordering>> {
        for (x, y) in xs.iter().zip(ys) {
            if x.is(y) || self.eq(x, y)? {
                continue;
            }
            let lt = self.compare(CmpOp::Lt, x, y)?;
            if self.truthy(&lt)? {
                return Ok(Some(Ordering::Less));
            }
            let gt = self.compare(CmpOp::Gt, x, y)?;
            if self.truthy(&gt)? {
                return Ok(Some(Ordering::Greater));
            }
            return Ok(None);
        }
        Ok(Some(xs.len().cmp(&ys.len())))
    }

    /// A total order used by `sorted` and `list.sort`: `a < b`.
    pub fn less_than(&mut self, a: &Value, b: &Value) -> Res<bool> {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Ok(x < y),
            (Value::Float(x), Value::Float(y)) => Ok(x.get() < y.get()),
            (Value::Str(x), Value::Str(y)) => Ok(x.s < y.s),
            _ => {
                let v = self.compare(CmpOp::Lt, a, b)?;
                match v {
                    Value::Bool(b) => Ok(b.get()),
                    other => self.truthy(&other),
                }
            }
        }
    }

    // ----- containment ---------------------------------------------------

    pub fn contains(&mut self, container: &Value, item: &Value) -> Res<bool> {
        match container {
            Value::Str(s) => match item {
                Value::Str(sub) => Ok(s.s.contains(&*sub.s)),
                _ => Err(Error::type_error(format!(
                    "'in <string>' requires string as left operand, not {}",
                    item.type_name()
                ))),
            },
            Value::List(l) => {
                // Items that compare natively need no copy of the list;
                // the first that might run `__eq__` sends the rest of the
                // search down the general path (which copies, as `__eq__`
                // may change the list).
                let mut from = 0;
                {
                    let items = l.items.borrow();
                    while from < items.len() {
                        let x = &items[from];
                        if x.is(item) {
                            return Ok(true);
                        }
                        match native_eq(x, item) {
                            Some(true) => return Ok(true),
                            Some(false) => from += 1,
                            Option::None => break,
                        }
                    }
                    if from == items.len() {
                        return Ok(false);
                    }
                }
                let items = l.items.borrow()[from..].to_vec();
                for x in &items {
                    if x.is(item) || self.eq(x, item)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Value::Tuple(t) => {
                for x in t.items.iter() {
                    if x.is(item) || self.eq(x, item)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Value::Dict(d) => Ok(self.dict_get(d, item)?.is_some()),
            Value::Set(s) | Value::FrozenSet(s) => self.set_contains(s, item),
            Value::Range(r) => {
                let i = match item {
                    Value::Int(i) => *i,
                    Value::Bool(b) => *b as i64,
                    Value::Float(f) if f.get().fract() == 0.0 => f.get() as i64,
                    _ => return Ok(false),
                };
                Ok(if r.step > 0 {
                    i >= r.start && i < r.stop && (i - r.start) % r.step == 0
                } else {
                    i <= r.start && i > r.stop && (r.start - i) % (-r.step) == 0
                })
            }
            Value::Bytes(_) | Value::ByteArray(_) => {
                let hay = self.bytes_of(container)?;
                match item {
                    Value::Int(i) => Ok(hay.contains(&(*i as u8))),
                    _ => {
                        let needle = self.bytes_of(item)?;
                        Ok(needle.is_empty()
                            || hay.windows(needle.len()).any(|w| w == needle.as_slice()))
                    }
                }
            }
            Value::Instance(i) => {
                let c = self.intern_static("__contains__");
                if let Some(m) = i.class.lookup(&c) {
                    let r = self.call(&m, &[container.clone(), item.clone()], &[])?;
                    return self.truthy(&r);
                }
                let p = i.payload.borrow().clone();
                if !p.is_undef() && !matches!(p, Value::Object(_)) {
                    return self.contains(&p, item);
                }
                self.contains_by_iter(container, item)
            }
            Value::Object(o) => {
                let c = self.intern_static("__contains__");
                if let Some(m) = o.class(self).and_then(|cls| cls.lookup(&c)) {
                    let r = self.call(&m, &[container.clone(), item.clone()], &[])?;
                    return self.truthy(&r);
                }
                self.contains_by_iter(container, item)
            }
            _ => self.contains_by_iter(container, item),
        }
    }

    fn contains_by_iter(&mut self, container: &Value, item: &Value) -> Res<bool> {
        let it = self.get_iter(container).map_err(|_| {
            Error::type_error(format!(
                "argument of type '{}' is not iterable",
                container.type_name()
            ))
        })?;
        while let Some(x) = self.iter_next(&it)? {
            if x.is(item) || self.eq(&x, item)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

fn is_object(v: &Value) -> bool {
    matches!(v, Value::Object(_))
}

/// The built-in payload of an instance of a class deriving from a
/// built-in type.
pub fn payload_of(v: &Value) -> Option<Value> {
    if let Value::Instance(i) = v {
        let p = i.payload.borrow();
        if !p.is_undef() && !matches!(&*p, Value::Object(_)) {
            return Some(p.clone());
        }
    }
    None
}

/// Equality of values whose comparison never runs script code; None when
/// script code might be involved.
pub fn native_eq(a: &Value, b: &Value) -> Option<bool> {
    use Value::*;
    Some(match (a, b) {
        (None, None) => true,
        (Int(x), Int(y)) => x == y,
        (Str(x), Str(y)) => x == y,
        (Bool(x), Bool(y)) => x == y,
        (Float(x), Float(y)) => x.get() == y.get(),
        (Int(x), Bool(y)) | (Bool(y), Int(x)) => *x == *y as i64,
        (Int(_) | Bool(_) | BigInt(_), Float(f)) | (Float(f), Int(_) | Bool(_) | BigInt(_)) => {
            let i = if matches!(a, Float(_)) { b } else { a };
            num::cmp_int_float(i, f.get()) == Some(Ordering::Equal)
        }
        (BigInt(x), BigInt(y)) => x == y,
        (BigInt(_), Int(_) | Bool(_)) | (Int(_) | Bool(_), BigInt(_)) => false,
        (Bytes(x), Bytes(y)) => x == y,
        (ByteArray(x), ByteArray(y)) => *x.borrow() == *y.borrow(),
        (Bytes(x), ByteArray(y)) | (ByteArray(y), Bytes(x)) => **x == *y.borrow(),
        (Range(x), Range(y)) => crate::builtins::list_methods::ranges_equal(x, y),
        (Tuple(x), Tuple(y)) => {
            if x.items.len() != y.items.len() {
                return Some(false);
            }
            for (p, q) in x.items.iter().zip(y.items.iter()) {
                if !native_eq(p, q)? {
                    return Some(false);
                }
            }
            true
        }
        (Instance(_), _) | (_, Instance(_)) => return Option::None,
        (BoundMethod(x), BoundMethod(y)) => x.func.is(&y.func) && x.receiver.is(&y.receiver),
        (Slice(x), Slice(y)) => {
            native_eq(&x.start, &y.start)?
                && native_eq(&x.stop, &y.stop)?
                && native_eq(&x.step, &y.step)?
        }
        (List(_), List(_)) | (Dict(_), Dict(_)) => return Option::None,
        (Set(_) | FrozenSet(_), Set(_) | FrozenSet(_)) => return Option::None,
        (Tuple(_), _) | (_, Tuple(_)) => false,
        (Object(_), _) | (_, Object(_)) => a.is(b),
        _ => {
            // Different built-in types (or identity-compared ones).
            if std::mem::discriminant(a) == std::mem::discriminant(b) {
                match a.ptr() {
                    Some(_) => a.is(b),
                    Option::None => false,
                }
            } else {
                false
            }
        }
    })
}
