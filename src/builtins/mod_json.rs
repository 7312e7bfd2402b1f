//! The `json` module: a native encoder and decoder with CPython's output
//! and error messages.

use std::rc::Rc;

use num_bigint::BigInt;

use super::stdlib_data::native_class;
use super::{add_fn, kwarg};
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("json", None);
    let e = decode_error_class(vm);
    m.set_str("JSONDecodeError", Value::Class(e));
    add_fn(vm, &m, "dumps", json_dumps);
    add_fn(vm, &m, "dump", json_dump);
    add_fn(vm, &m, "loads", json_loads);
    add_fn(vm, &m, "load", json_load);
    m
}

fn decode_error_class(vm: &mut Vm) -> Rc<ClassObj> {
    let base = vm.types.exc_named("ValueError");
    native_class(
        vm,
        "json.JSONDecodeError",
        "json.decoder",
        "JSONDecodeError",
        Some(base),
        Builtin::BaseException,
        |_, _| {},
    )
}

// ---------------------------------------------------------------------
// Encoding.

struct Enc {
    skipkeys: bool,
    ensure_ascii: bool,
    allow_nan: bool,
    indent: Option<String>,
    item_sep: String,
    key_sep: String,
    default: Option<Value>,
    sort_keys: bool,
    /// Containers being encoded, to detect cycles.
    stack: Vec<usize>,
}

pub fn quote(s: &str, ensure_ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && (c as u32) > 0x7e) => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", u));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Enc {
    fn float(&self, f: f64) -> Res<String> {
        if f.is_finite() {
            return Ok(crate::vm::format::float_repr(f));
        }
        if !self.allow_nan {
            return Err(Error::value_error(
                "Out of range float values are not JSON compliant",
            ));
        }
        Ok(if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        })
    }

    fn newline(&self, level: usize, out: &mut String) {
        if let Some(ind) = &self.indent {
            out.push('\n');
            for _ in 0..level {
                out.push_str(ind);
            }
        }
    }

    fn enter(&mut self, v: &Value) -> Res<()> {
        let p = v.ptr().unwrap_or(0);
        if self.stack.contains(&p) {
            return Err(Error::value_error("Circular reference detected"));
        }
        self.stack.push(p);
        Ok(())
    }

    fn key(&self, vm: &mut Vm, k: &Value) -> Res<Option<String>> {
        Ok(Some(match k {
            Value::Str(s) => s.as_str().to_string(),
            Value::Bool(b) => (if b.get() { "true" } else { "false" }).to_string(),
            Value::None => "null".to_string(),
            Value::Int(_) | Value::BigInt(_) => vm.repr(k)?,
            Value::Float(f) => self.float(f.get())?,
            Value::Instance(_) => match crate::vm::ops::payload_of(k) {
                Some(p @ (Value::Str(_) | Value::Int(_) | Value::BigInt(_) | Value::Float(_))) => {
                    return self.key(vm, &p)
                }
                _ => return self.bad_key(k),
            },
            _ => return self.bad_key(k),
        }))
    }

    fn bad_key(&self, k: &Value) -> Res<Option<String>> {
        if self.skipkeys {
            Ok(None)
        } else {
            Err(Error::type_error(format!(
                "keys must be str, int, float, bool or None, not {}",
                k.type_name()
            )))
        }
    }

    fn encode(&mut self, vm: &mut Vm, v: &Value, level: usize, out: &mut String) -> Res<()> {
        match v {
            Value::None => out.push_str("null"),
            Value::Bool(Truth::True) => out.push_str("true"),
            Value::Bool(Truth::False) => out.push_str("false"),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::BigInt(_) => out.push_str(&vm.repr(v)?),
            Value::Float(f) => out.push_str(&self.float(f.get())?),
            Value::Str(s) => quote(s.as_str(), self.ensure_ascii, out),
            Value::List(l) => {
                let items = l.items.borrow().clone();
                self.array(vm, v, &items, level, out)?;
            }
            Value::Tuple(t) => {
                let items = t.items.to_vec();
                self.array(vm, v, &items, level, out)?;
            }
            Value::Dict(d) => {
                let items = d.d.borrow().items();
                self.object(vm, v, items, level, out)?;
            }
            Value::Instance(_) => match crate::vm::ops::payload_of(v) {
                Some(Value::Dict(d)) => {
                    let items = d.d.borrow().items();
                    self.object(vm, v, items, level, out)?;
                }
                Some(Value::List(l)) => {
                    let items = l.items.borrow().clone();
                    self.array(vm, v, &items, level, out)?;
                }
                Some(Value::Tuple(t)) => {
                    let items = t.items.to_vec();
                    self.array(vm, v, &items, level, out)?;
                }
                Some(p @ (Value::Str(_) | Value::Int(_) | Value::BigInt(_) | Value::Float(_))) => {
                    self.encode(vm, &p, level, out)?
                }
                _ => self.fallback(vm, v, level, out)?,
            },
            _ => self.fallback(vm, v, level, out)?,
        }
        Ok(())
    }

    fn fallback(&mut self, vm: &mut Vm, v: &Value, level: usize, out: &mut String) -> Res<()> {
        let Some(f) = self.default.clone() else {
            return Err(Error::type_error(format!(
                "Object of type {} is not JSON serializable",
                v.type_name()
            )));
        };
        self.enter(v)?;
        let r = vm.call(&f, std::slice::from_ref(v), &[])?;
        self.encode(vm, &r, level, out)?;
        self.stack.pop();
        Ok(())
    }

    fn array(
        &mut self,
        vm: &mut Vm,
        v: &Value,
        items: &[Value],
        level: usize,
        out: &mut String,
    ) -> Res<()> {
        if items.is_empty() {
            out.push_str("[]");
            return Ok(());
        }
        self.enter(v)?;
        out.push('[');
        self.newline(level + 1, out);
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.item_sep);
                self.newline(level + 1, out);
            }
            self.encode(vm, x, level + 1, out)?;
        }
        self.newline(level, out);
        out.push(']');
        self.stack.pop();
        Ok(())
    }

    fn object(
        &mut self,
        vm: &mut Vm,
        v: &Value,
        items: Vec<(Value, Value)>,
        level: usize,
        out: &mut String,
    ) -> Res<()> {
        if items.is_empty() {
            out.push_str("{}");
            return Ok(());
        }
        self.enter(v)?;
        let items = if self.sort_keys {
            let mut pairs: Vec<Value> = items
                .into_iter()
                .map(|(k, v)| Value::tuple(vec![k, v]))
                .collect();
            let key = super::native("_json_key", first_item);
            super::functions::sort_values(vm, &mut pairs, Some(&key), false)?;
            pairs
                .into_iter()
                .filter_map(|p| match p {
                    Value::Tuple(t) if t.items.len() == 2 => {
                        Some((t.items[0].clone(), t.items[1].clone()))
                    }
                    _ => None,
                })
                .collect()
        } else {
            items
        };
        out.push('{');
        self.newline(level + 1, out);
        let mut first = true;
        for (k, x) in items {
            let Some(ks) = self.key(vm, &k)? else {
                continue;
            };
            if !first {
                out.push_str(&self.item_sep);
                self.newline(level + 1, out);
            }
            first = false;
            quote(&ks, self.ensure_ascii, out);
            out.push_str(&self.key_sep);
            self.encode(vm, &x, level + 1, out)?;
        }
        self.newline(level, out);
        out.push('}');
        self.stack.pop();
        Ok(())
    }
}

fn first_item(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    match args.first() {
        Some(Value::Tuple(t)) if !t.items.is_empty() => Ok(t.items[0].clone()),
        _ => Ok(Value::None),
    }
}

fn flag(vm: &mut Vm, kw: &[(Sym, Value)], name: &str, default: bool) -> Res<bool> {
    match kwarg(kw, name) {
        Some(v) => vm.truthy(v),
        None => Ok(default),
    }
}

fn encoder(vm: &mut Vm, kw: &[(Sym, Value)]) -> Res<Enc> {
    let indent = match kwarg(kw, "indent") {
        None | Some(Value::None) => None,
        Some(Value::Str(s)) => Some(s.as_str().to_string()),
        Some(v) => {
            let n = vm.index_value(v)?;
            Some(" ".repeat(n.max(0) as usize))
        }
    };
    let (mut item_sep, mut key_sep) = if indent.is_some() {
        (",".to_string(), ": ".to_string())
    } else {
        (", ".to_string(), ": ".to_string())
    };
    if let Some(sep) = kwarg(kw, "separators") {
        if !sep.is_none() {
            let parts = vm.iterate(sep)?;
            match (parts.first(), parts.get(1), parts.len()) {
                (Some(Value::Str(a)), Some(Value::Str(b)), 2) => {
                    item_sep = a.as_str().to_string();
                    key_sep = b.as_str().to_string();
                }
                _ => {
                    return Err(Error::value_error(
                        "separators must be a (item_separator, key_separator) tuple",
                    ))
                }
            }
        }
    }
    Ok(Enc {
        skipkeys: flag(vm, kw, "skipkeys", false)?,
        ensure_ascii: flag(vm, kw, "ensure_ascii", true)?,
        allow_nan: flag(vm, kw, "allow_nan", true)?,
        indent,
        item_sep,
        key_sep,
        default: kwarg(kw, "default").filter(|v| !v.is_none()).cloned(),
        sort_keys: flag(vm, kw, "sort_keys", false)?,
        stack: Vec::new(),
    })
}

pub fn dumps_value(vm: &mut Vm, v: &Value, kw: &[(Sym, Value)]) -> Res<String> {
    let mut enc = encoder(vm, kw)?;
    let mut out = String::new();
    enc.encode(vm, v, 0, &mut out)?;
    Ok(out)
}

fn json_dumps(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    if args.len() != 1 {
        return Err(Error::type_error(format!(
            "dumps() takes 1 positional argument but {} were given",
            args.len()
        )));
    }
    Ok(Value::string(dumps_value(vm, &args[0], kw)?))
}

fn json_dump(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    if args.len() != 2 {
        return Err(Error::type_error(format!(
            "dump() takes 2 positional arguments but {} were given",
            args.len()
        )));
    }
    let s = dumps_value(vm, &args[0], kw)?;
    vm.call_method(&args[1], "write", &[Value::string(s)])?;
    Ok(Value::None)
}

// ---------------------------------------------------------------------
// Decoding.

struct Dec<'a> {
    s: &'a [char],
    doc: Value,
    object_hook: Option<Value>,
    pairs_hook: Option<Value>,
    parse_float: Option<Value>,
    parse_int: Option<Value>,
    parse_constant: Option<Value>,
}

fn decode_error(vm: &mut Vm, msg: &str, doc: &Value, s: &[char], pos: usize) -> Error {
    let pos = pos.min(s.len());
    let lineno = s[..pos].iter().filter(|&&c| c == '\n').count() + 1;
    let colno = match s[..pos].iter().rposition(|&c| c == '\n') {
        Some(nl) => pos - nl,
        None => pos + 1,
    };
    let full = format!("{msg}: line {lineno} column {colno} (char {pos})");
    let cls = decode_error_class(vm);
    let e = vm.new_exception(&cls, vec![Value::string(full)]);
    if let Value::Instance(i) = &e {
        let mut d = i.dict.borrow_mut();
        d.insert(vm.intern_static("msg"), Value::str(msg));
        d.insert(vm.intern_static("doc"), doc.clone());
        d.insert(vm.intern_static("pos"), Value::Int(pos as i64));
        d.insert(vm.intern_static("lineno"), Value::Int(lineno as i64));
        d.insert(vm.intern_static("colno"), Value::Int(colno as i64));
    }
    Error::Raised(e)
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

impl Dec<'_> {
    fn err(&self, vm: &mut Vm, msg: &str, pos: usize) -> Error {
        decode_error(vm, msg, &self.doc, self.s, pos)
    }

    fn ws(&self, mut i: usize) -> usize {
        while i < self.s.len() && is_ws(self.s[i]) {
            i += 1;
        }
        i
    }

    fn starts(&self, i: usize, word: &str) -> bool {
        let w: Vec<char> = word.chars().collect();
        self.s.get(i..i + w.len()) == Some(&w[..])
    }

    fn constant(&self, vm: &mut Vm, name: &str, v: f64) -> Res<Value> {
        match &self.parse_constant {
            Some(f) => vm.call(f, &[Value::str(name)], &[]),
            None => Ok(Value::float(v)),
        }
    }

    /// Parses a value at [i] (no leading whitespace); returns it and the
    /// index after it.
    fn value(&self, vm: &mut Vm, i: usize, depth: usize) -> Res<(Value, usize)> {
        if depth > 2000 {
            return Err(Error::new(
                crate::vm::error::ExcType::RecursionError,
                "maximum recursion depth exceeded while decoding a JSON document",
            ));
        }
        let Some(&c) = self.s.get(i) else {
            return Err(self.err(vm, "Expecting value", i));
        };
        match c {
            '"' => {
                let (s, j) = self.string(vm, i)?;
                Ok((Value::string(s), j))
            }
            '{' => self.object(vm, i, depth),
            '[' => self.array(vm, i, depth),
            'n' if self.starts(i, "null") => Ok((Value::None, i + 4)),
            't' if self.starts(i, "true") => Ok((Value::Bool(Truth::True), i + 4)),
            'f' if self.starts(i, "false") => Ok((Value::Bool(Truth::False), i + 5)),
            'N' if self.starts(i, "NaN") => Ok((self.constant(vm, "NaN", f64::NAN)?, i + 3)),
            'I' if self.starts(i, "Infinity") => {
                Ok((self.constant(vm, "Infinity", f64::INFINITY)?, i + 8))
            }
            '-' if self.starts(i, "-Infinity") => {
                Ok((self.constant(vm, "-Infinity", f64::NEG_INFINITY)?, i + 9))
            }
            '-' | '0'..='9' => self.number(vm, i),
            _ => Err(self.err(vm, "Expecting value", i)),
        }
    }

    fn number(&self, vm: &mut Vm, start: usize) -> Res<(Value, usize)> {
        let s = self.s;
        let mut i = start;
        if s.get(i) == Some(&'-') {
            i += 1;
        }
        match s.get(i) {
            Some('0') => i += 1,
            Some(c) if c.is_ascii_digit() => {
                while s.get(i).is_some_and(|c| c.is_ascii_digit()) {
                    i += 1;
                }
            }
            _ => return Err(self.err(vm, "Expecting value", start)),
        }
        let mut is_float = false;
        if s.get(i) == Some(&'.') && s.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            is_float = true;
            i += 1;
            while s.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
        }
        if matches!(s.get(i), Some('e') | Some('E')) {
            let mut j = i + 1;
            if matches!(s.get(j), Some('+') | Some('-')) {
                j += 1;
            }
            if s.get(j).is_some_and(|c| c.is_ascii_digit()) {
                while s.get(j).is_some_and(|c| c.is_ascii_digit()) {
                    j += 1;
                }
                is_float = true;
                i = j;
            }
        }
        let text: String = s[start..i].iter().collect();
        let v = if is_float {
            match &self.parse_float {
                Some(f) => vm.call(f, &[Value::string(text)], &[])?,
                None => Value::float(text.parse::<f64>().unwrap_or(f64::NAN)),
            }
        } else {
            match &self.parse_int {
                Some(f) => vm.call(f, &[Value::string(text)], &[])?,
                None => match text.parse::<i64>() {
                    Ok(n) => Value::Int(n),
                    Err(_) => match text.parse::<BigInt>() {
                        Ok(b) => Value::bigint(b),
                        Err(_) => return Err(self.err(vm, "Expecting value", start)),
                    },
                },
            }
        };
        Ok((v, i))
    }

    fn hex4(&self, i: usize) -> Option<u32> {
        let h: String = self.s.get(i..i + 4)?.iter().collect();
        if h.chars().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(&h, 16).ok()
        } else {
            None
        }
    }

    /// Parses a string whose opening quote is at [start].
    fn string(&self, vm: &mut Vm, start: usize) -> Res<(String, usize)> {
        let s = self.s;
        let mut out = String::new();
        let mut i = start + 1;
        loop {
            let Some(&c) = s.get(i) else {
                return Err(self.err(vm, "Unterminated string starting at", start));
            };
            match c {
                '"' => return Ok((out, i + 1)),
                '\\' => {
                    let Some(&e) = s.get(i + 1) else {
                        return Err(self.err(vm, "Unterminated string starting at", start));
                    };
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\x08'),
                        'f' => out.push('\x0c'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let Some(u) = self.hex4(i + 2) else {
                                return Err(self.err(vm, "Invalid \\uXXXX escape", i + 1));
                            };
                            i += 6;
                            if (0xd800..0xdc00).contains(&u)
                                && s.get(i) == Some(&'\\')
                                && s.get(i + 1) == Some(&'u')
                            {
                                if let Some(lo) = self.hex4(i + 2) {
                                    if (0xdc00..0xe000).contains(&lo) {
                                        let cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                                        out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                                        i += 6;
                                        continue;
                                    }
                                }
                            }
                            out.push(char::from_u32(u).unwrap_or('\u{fffd}'));
                            continue;
                        }
                        _ => return Err(self.err(vm, "Invalid \\escape", i)),
                    }
                    i += 2;
                }
                c if (c as u32) < 0x20 => {
                    return Err(self.err(vm, "Invalid control character at", i));
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }

    fn array(&self, vm: &mut Vm, start: usize, depth: usize) -> Res<(Value, usize)> {
        let mut items = Vec::new();
        let mut i = self.ws(start + 1);
        if self.s.get(i) == Some(&']') {
            return Ok((Value::list(items), i + 1));
        }
        loop {
            let (v, j) = self.value(vm, i, depth + 1)?;
            items.push(v);
            i = self.ws(j);
            match self.s.get(i) {
                Some(']') => return Ok((Value::list(items), i + 1)),
                Some(',') => i = self.ws(i + 1),
                _ => return Err(self.err(vm, "Expecting ',' delimiter", i)),
            }
        }
    }

    fn object(&self, vm: &mut Vm, start: usize, depth: usize) -> Res<(Value, usize)> {
        let mut pairs: Vec<(String, Value)> = Vec::new();
        let mut i = self.ws(start + 1);
        if self.s.get(i) == Some(&'}') {
            return Ok((self.finish_object(vm, pairs)?, i + 1));
        }
        loop {
            if self.s.get(i) != Some(&'"') {
                return Err(self.err(vm, "Expecting property name enclosed in double quotes", i));
            }
            let (k, j) = self.string(vm, i)?;
            i = self.ws(j);
            if self.s.get(i) != Some(&':') {
                return Err(self.err(vm, "Expecting ':' delimiter", i));
            }
            i = self.ws(i + 1);
            let (v, j) = self.value(vm, i, depth + 1)?;
            pairs.push((k, v));
            i = self.ws(j);
            match self.s.get(i) {
                Some('}') => return Ok((self.finish_object(vm, pairs)?, i + 1)),
                Some(',') => {
                    i = self.ws(i + 1);
                    if self.s.get(i) != Some(&'"') {
                        return Err(self.err(
                            vm,
                            "Expecting property name enclosed in double quotes",
                            i,
                        ));
                    }
                }
                _ => return Err(self.err(vm, "Expecting ',' delimiter", i)),
            }
        }
    }

    fn finish_object(&self, vm: &mut Vm, pairs: Vec<(String, Value)>) -> Res<Value> {
        if let Some(h) = &self.pairs_hook {
            let list = Value::list(
                pairs
                    .into_iter()
                    .map(|(k, v)| Value::tuple(vec![Value::string(k), v]))
                    .collect(),
            );
            return vm.call(h, &[list], &[]);
        }
        let d = Value::dict(crate::vm::dict::Dict::new());
        if let Value::Dict(dd) = &d {
            for (k, v) in pairs {
                vm.dict_set(dd, Value::string(k), v)?;
            }
        }
        match &self.object_hook {
            Some(h) => vm.call(h, &[d], &[]),
            None => Ok(d),
        }
    }
}

pub fn loads_str(vm: &mut Vm, text: &str, doc: Value, kw: &[(Sym, Value)]) -> Res<Value> {
    let chars: Vec<char> = text.chars().collect();
    let hook = |n: &str| kwarg(kw, n).filter(|v| !v.is_none()).cloned();
    let dec = Dec {
        s: &chars,
        doc,
        object_hook: hook("object_hook"),
        pairs_hook: hook("object_pairs_hook"),
        parse_float: hook("parse_float"),
        parse_int: hook("parse_int"),
        parse_constant: hook("parse_constant"),
    };
    let i = dec.ws(0);
    let (v, j) = dec.value(vm, i, 0)?;
    let end = dec.ws(j);
    if end != chars.len() {
        return Err(dec.err(vm, "Extra data", end));
    }
    Ok(v)
}

fn json_loads(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    super::check_args("loads", args, 1, 1)?;
    let text = match &args[0] {
        Value::Str(s) => s.as_str().to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::ByteArray(b) => String::from_utf8_lossy(&b.borrow()).into_owned(),
        other => {
            return Err(Error::type_error(format!(
                "the JSON object must be str, bytes or bytearray, not {}",
                other.type_name()
            )))
        }
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map(|t| t.to_string())
        .unwrap_or(text);
    loads_str(vm, &text, args[0].clone(), kw)
}

fn json_load(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    super::check_args("load", args, 1, 1)?;
    let s = vm.call_method(&args[0], "read", &[])?;
    json_loads(vm, &[s], kw)
}
