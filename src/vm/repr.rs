//! `repr()` and `str()` of every value, and the VM side of formatting.

use num_bigint::BigInt;

use super::error::{Error, ExcType, Res};
use super::format::{self, FormatHost};
use super::interp::Vm;
use super::value::*;

/// CPython's default limit on int <-> str conversion (digits).
pub const INT_MAX_STR_DIGITS: usize = 4300;

/// The limit in force (`sys.set_int_max_str_digits`; 0 means none).
pub static MAX_STR_DIGITS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(INT_MAX_STR_DIGITS);

pub fn max_str_digits() -> usize {
    match MAX_STR_DIGITS.load(std::sync::atomic::Ordering::Relaxed) {
        0 => usize::MAX,
        n => n,
    }
}

/// Python's repr of a string.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if is_unprintable(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn is_unprintable(c: char) -> bool {
    let n = c as u32;
    (0x80..0xa0).contains(&n)
        || n == 0xad
        || (0xd800..0xe000).contains(&n)
        || (0x2028..=0x2029).contains(&n)
        || (0xfff0..=0xffff).contains(&n)
        || n == 0x200b
        || (0xe000..0xf900).contains(&n)
}

/// Python's repr of bytes.
pub fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from("b");
    out.push(quote);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c as char == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote);
    out
}

pub fn int_to_string(b: &BigInt) -> Res<String> {
    // bits * log10(2) over-estimates digits by at most one.
    let limit = max_str_digits();
    if b.bits() as f64 * std::f64::consts::LOG10_2 > limit as f64 - 1.0 {
        let s = b.to_string();
        let digits = s.trim_start_matches('-').len();
        if digits > limit {
            return Err(Error::value_error(format!(
                "Exceeds the limit ({limit} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit"
            )));
        }
        return Ok(s);
    }
    Ok(b.to_string())
}

impl Vm {
    pub fn repr(&mut self, v: &Value) -> Res<String> {
        Ok(match v {
            Value::Undef => "<undefined>".into(),
            Value::None => "None".into(),
            Value::Bool(b) => if b.get() { "True" } else { "False" }.into(),
            Value::Int(i) => i.to_string(),
            Value::BigInt(b) => int_to_string(b)?,
            Value::Float(f) => format::float_repr(f.get()),
            Value::Str(s) => str_repr(&s.s),
            Value::Bytes(b) => bytes_repr(b),
            Value::ByteArray(b) => format!("bytearray({})", bytes_repr(&b.borrow())),
            Value::List(l) => {
                let items = l.items.borrow().clone();
                self.guarded(
                    v,
                    || "[...]".to_string(),
                    |vm| Ok(format!("[{}]", vm.join_reprs(&items)?)),
                )?
            }
            Value::Tuple(t) => {
                let items = t.items.clone();
                self.guarded(
                    v,
                    || "(...)".to_string(),
                    |vm| {
                        Ok(if items.len() == 1 {
                            format!("({},)", vm.repr(&items[0])?)
                        } else {
                            format!("({})", vm.join_reprs(&items)?)
                        })
                    },
                )?
            }
            Value::Dict(d) => {
                let items = d.d.borrow().items();
                self.guarded(
                    v,
                    || "{...}".to_string(),
                    |vm| {
                        let mut parts = Vec::with_capacity(items.len());
                        for (k, v) in &items {
                            parts.push(format!("{}: {}", vm.repr(k)?, vm.repr(v)?));
                        }
                        Ok(format!("{{{}}}", parts.join(", ")))
                    },
                )?
            }
            Value::Set(s) => {
                let items = crate::builtins::set_methods::ordered_keys(s);
                if items.is_empty() {
                    "set()".into()
                } else {
                    self.guarded(
                        v,
                        || "{...}".to_string(),
                        |vm| Ok(format!("{{{}}}", vm.join_reprs(&items)?)),
                    )?
                }
            }
            Value::FrozenSet(s) => {
                let items = crate::builtins::set_methods::ordered_keys(s);
                if items.is_empty() {
                    "frozenset()".into()
                } else {
                    format!("frozenset({{{}}})", self.join_reprs(&items)?)
                }
            }
            Value::Range(r) => {
                if r.step == 1 {
                    format!("range({}, {})", r.start, r.stop)
                } else {
                    format!("range({}, {}, {})", r.start, r.stop, r.step)
                }
            }
            Value::Slice(s) => format!(
                "slice({}, {}, {})",
                self.repr(&s.start)?,
                self.repr(&s.stop)?,
                self.repr(&s.step)?
            ),
            Value::Function(f) => format!(
                "<function {} at {:#x}>",
                f.qualname.borrow().as_str(),
                v.ptr().unwrap_or(0)
            ),
            Value::Native(n) => format!("<built-in function {}>", n.name),
            Value::BoundMethod(m) => {
                let name = match &m.func {
                    Value::Function(f) => f.qualname.borrow().as_str().to_string(),
                    Value::Native(n) => n.name.to_string(),
                    _ => "?".into(),
                };
                let recv = self.repr(&m.receiver)?;
                format!("<bound method {name} of {recv}>")
            }
            Value::Class(c) => {
                if c.is_native {
                    format!("<class '{}'>", c.name.as_str())
                } else {
                    let module = c
                        .dict
                        .borrow()
                        .get(&self.intern_static("__module__"))
                        .and_then(|m| m.as_str().map(|s| s.to_string()))
                        .unwrap_or_else(|| "__main__".into());
                    format!("<class '{}.{}'>", module, c.qualname.borrow().as_str())
                }
            }
            Value::Module(m) => match &m.file {
                Some(f) => format!("<module '{}' from '{}'>", m.name.as_str(), f),
                None => format!("<module '{}' (built-in)>", m.name.as_str()),
            },
            Value::Generator(g) => format!(
                "<generator object {} at {:#x}>",
                g.code.qualname.as_str(),
                v.ptr().unwrap_or(0)
            ),
            Value::Cell(_) => format!("<cell at {:#x}>", v.ptr().unwrap_or(0)),
            Value::Code(c) => format!("<code object {}>", c.name.as_str()),
            Value::Instance(i) => {
                let name = self.intern_static("__repr__");
                if let Some(m) = i.class.lookup(&name) {
                    if !matches!(m, Value::Native(_))
                        || !i.class.is_subclass(&self.types.base_exception)
                    {
                        let r = self.guarded(
                            v,
                            || Value::str("..."),
                            |vm| vm.call(&m, std::slice::from_ref(v), &[]),
                        )?;
                        return match r {
                            Value::Str(s) => Ok(s.s.to_string()),
                            Value::Undef => Ok("...".into()),
                            other => Err(Error::type_error(format!(
                                "__repr__ returned non-string (type {})",
                                other.type_name()
                            ))),
                        };
                    }
                }
                if i.class.is_subclass(&self.types.base_exception) {
                    let args = super::exc::with_exc_data(v, |d| d.args.borrow().clone())
                        .unwrap_or(Value::None);
                    let inner = match &args {
                        Value::Tuple(t) if t.items.len() == 1 => self.repr(&t.items[0])?,
                        Value::Tuple(t) => self.join_reprs(&t.items.clone())?,
                        _ => String::new(),
                    };
                    return Ok(format!("{}({})", i.class.name.as_str(), inner));
                }
                if let Some(p) = super::ops::payload_of(v) {
                    return self.repr(&p);
                }
                let module = i
                    .class
                    .dict
                    .borrow()
                    .get(&self.intern_static("__module__"))
                    .and_then(|m| m.as_str().map(|s| s.to_string()))
                    .unwrap_or_else(|| "__main__".into());
                format!(
                    "<{}.{} object at {:#x}>",
                    module,
                    i.class.qualname.borrow().as_str(),
                    v.ptr().unwrap_or(0)
                )
            }
            Value::Object(o) => {
                let o = o.clone();
                if let Some(s) = o.repr(self)? {
                    return Ok(s);
                }
                let name = self.intern_static("__repr__");
                if let Some(m) = o.class(self).and_then(|c| c.lookup(&name)) {
                    let r = self.call(&m, std::slice::from_ref(v), &[])?;
                    if let Value::Str(s) = r {
                        return Ok(s.s.to_string());
                    }
                }
                format!("<{} object at {:#x}>", o.type_name(), v.ptr().unwrap_or(0))
            }
        })
    }

    fn join_reprs(&mut self, items: &[Value]) -> Res<String> {
        let mut parts = Vec::with_capacity(items.len());
        for x in items {
            parts.push(self.repr(x)?);
        }
        Ok(parts.join(", "))
    }

    /// Runs [f] with [v] marked as being printed, so that a container
    /// that contains itself prints as [marker]; also bounds the depth.
    fn guarded<T>(
        &mut self,
        v: &Value,
        marker: impl FnOnce() -> T,
        f: impl FnOnce(&mut Vm) -> Res<T>,
    ) -> Res<T> {
        let p = v.ptr().unwrap_or(0);
        if self.repr_guard.contains(&p) {
            return Ok(marker());
        }
        if self.repr_guard.len() >= 300 || self.native_depth >= super::interp::MAX_NATIVE_DEPTH {
            return Err(Error::new(
                ExcType::RecursionError,
                "maximum recursion depth exceeded while getting the repr of an object",
            ));
        }
        self.repr_guard.push(p);
        let r = f(self);
        self.repr_guard.pop();
        r
    }

    /// `str(v)`.
    pub fn to_str(&mut self, v: &Value) -> Res<String> {
        match v {
            Value::Str(s) => Ok(s.s.to_string()),
            Value::Instance(i) => {
                let name = self.intern_static("__str__");
                if let Some(m) = i.class.lookup(&name) {
                    if !matches!(m, Value::Native(_)) {
                        let r = self.call(&m, std::slice::from_ref(v), &[])?;
                        return match r {
                            Value::Str(s) => Ok(s.s.to_string()),
                            other => Err(Error::type_error(format!(
                                "__str__ returned non-string (type {})",
                                other.type_name()
                            ))),
                        };
                    }
                }
                if i.class.is_subclass(&self.types.base_exception) {
                    return self.exception_str(v);
                }
                if let Some(Value::Str(s)) = super::ops::payload_of(v) {
                    return Ok(s.s.to_string());
                }
                self.repr(v)
            }
            Value::Object(o) => {
                let o = o.clone();
                let name = self.intern_static("__str__");
                if let Some(m) = o.class(self).and_then(|c| c.lookup(&name)) {
                    let r = self.call(&m, std::slice::from_ref(v), &[])?;
                    if let Value::Str(s) = r {
                        return Ok(s.s.to_string());
                    }
                }
                self.repr(v)
            }
            _ => self.repr(v),
        }
    }

    /// `ascii(v)`.
    pub fn ascii(&mut self, v: &Value) -> Res<String> {
        let r = self.repr(v)?;
        let mut out = String::with_capacity(r.len());
        for c in r.chars() {
            let n = c as u32;
            if n < 0x80 {
                out.push(c);
            } else if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else if n <= 0xffff {
                out.push_str(&format!("\\u{n:04x}"));
            } else {
                out.push_str(&format!("\\U{n:08x}"));
            }
        }
        Ok(out)
    }

    /// `format(v, spec)`.
    pub fn format(&mut self, v: &Value, spec: &str) -> Res<String> {
        match v {
            Value::Int(_) | Value::BigInt(_) => {
                let s = format::parse_spec(spec)?;
                format::format_int(&super::num::to_big(v).unwrap_or_default(), &s)
            }
            Value::Bool(b) => {
                if spec.is_empty() {
                    return Ok(if b.get() { "True" } else { "False" }.into());
                }
                let s = format::parse_spec(spec)?;
                format::format_int(&BigInt::from(b.get() as i64), &s)
            }
            Value::Float(f) => {
                let s = format::parse_spec(spec)?;
                format::format_float(f.get(), &s)
            }
            Value::Str(st) => {
                let s = format::parse_spec(spec)?;
                format::format_str(&st.s, &s)
            }
            Value::Instance(i) => {
                let name = self.intern_static("__format__");
                if let Some(m) = i.class.lookup(&name) {
                    if !matches!(m, Value::Native(_)) {
                        let r = self.call(&m, &[v.clone(), Value::str(spec)], &[])?;
                        return match r {
                            Value::Str(s) => Ok(s.s.to_string()),
                            _ => Err(Error::type_error("__format__ must return a str")),
                        };
                    }
                }
                if let Some(p) = super::ops::payload_of(v) {
                    return self.format(&p, spec);
                }
                self.format_default(v, spec)
            }
            _ => self.format_default(v, spec),
        }
    }

    fn format_default(&mut self, v: &Value, spec: &str) -> Res<String> {
        let s = self.to_str(v)?;
        if spec.is_empty() {
            return Ok(s);
        }
        let parsed = format::parse_spec(spec).map_err(|_| {
            Error::type_error(format!(
                "unsupported format string passed to {}.__format__",
                v.type_name()
            ))
        })?;
        if parsed.ty.is_some() && parsed.ty != Some('s') {
            return Err(Error::type_error(format!(
                "unsupported format string passed to {}.__format__",
                v.type_name()
            )));
        }
        format::format_str(&s, &parsed)
    }

    /// The FormatValue instruction.
    pub fn format_field(&mut self, v: Value, conv: u8, spec: Option<Value>) -> Res<Value> {
        let v = match conv {
            1 => Value::string(self.to_str(&v)?),
            2 => Value::string(self.repr(&v)?),
            3 => Value::string(self.ascii(&v)?),
            _ => v,
        };
        let spec = match &spec {
            Some(Value::Str(s)) => s.s.to_string(),
            _ => String::new(),
        };
        if spec.is_empty() {
            if let Value::Str(_) = v {
                return Ok(v);
            }
        }
        Ok(Value::string(self.format(&v, &spec)?))
    }
}

impl FormatHost for Vm {
    fn str_of(&mut self, v: &Value) -> Res<String> {
        self.to_str(v)
    }
    fn repr_of(&mut self, v: &Value) -> Res<String> {
        self.repr(v)
    }
    fn ascii_of(&mut self, v: &Value) -> Res<String> {
        self.ascii(v)
    }
    fn int_of(&mut self, v: &Value, conv: char) -> Res<BigInt> {
        match v {
            Value::Int(_) | Value::BigInt(_) | Value::Bool(_) => {
                Ok(super::num::to_big(v).unwrap_or_default())
            }
            Value::Float(f) if matches!(conv, 'd' | 'i' | 'u') => {
                if !f.get().is_finite() {
                    return Err(Error::overflow_error(
                        "cannot convert float infinity to integer",
                    ));
                }
                Ok(num_traits::FromPrimitive::from_f64(f.get().trunc()).unwrap_or_default())
            }
            Value::Instance(_) => {
                let i = self.index_value(v)?;
                Ok(BigInt::from(i))
            }
            _ => Err(Error::type_error(format!(
                "%{} format: {} is required, not {}",
                conv,
                if matches!(conv, 'd' | 'i' | 'u') {
                    "a real number"
                } else {
                    "an integer"
                },
                v.type_name()
            ))),
        }
    }
    fn float_of(&mut self, v: &Value) -> Res<f64> {
        match super::num::to_f64(v) {
            Some(r) => r,
            None => match super::ops::payload_of(v) {
                Some(p) => self.float_of(&p),
                None => Err(Error::type_error(format!(
                    "must be real number, not {}",
                    v.type_name()
                ))),
            },
        }
    }
    fn format_of(&mut self, v: &Value, spec: &str) -> Res<String> {
        self.format(v, spec)
    }
    fn getitem(&mut self, v: &Value, key: &Value) -> Res<Value> {
        Vm::getitem(self, v, key)
    }
    fn getattr(&mut self, v: &Value, name: &str) -> Res<Value> {
        let s = self.intern(name);
        Vm::getattr(self, v, &s)
    }
}
