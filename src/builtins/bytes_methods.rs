//! Methods of `bytes` and `bytearray`. Most are shared: they read the
//! receiver's bytes and build a result of the receiver's type.

use std::cell::RefCell;
use std::rc::Rc;

use super::functions::{new_classmethod, new_staticmethod};
use super::str_methods::{
    adjust_indices, encode_str, lookup_codec, str_of, unicode_error, unknown_handler, Codec,
};
use super::{add_attr, add_method, check_args, native, no_kwargs};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::object::NativeFnPtr;
use crate::vm::ops::payload_of;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn install(vm: &mut Vm) {
    let shared: &[(&'static str, NativeFnPtr)] = &[
        ("decode", b_decode),
        ("hex", b_hex),
        ("count", b_count),
        ("find", b_find),
        ("rfind", b_rfind),
        ("index", b_index),
        ("rindex", b_rindex),
        ("startswith", b_startswith),
        ("endswith", b_endswith),
        ("join", b_join),
        ("split", b_split),
        ("rsplit", b_rsplit),
        ("splitlines", b_splitlines),
        ("strip", b_strip),
        ("lstrip", b_lstrip),
        ("rstrip", b_rstrip),
        ("replace", b_replace),
        ("upper", b_upper),
        ("lower", b_lower),
        ("capitalize", b_capitalize),
        ("swapcase", b_swapcase),
        ("title", b_title),
        ("isdigit", b_isdigit),
        ("isalpha", b_isalpha),
        ("isalnum", b_isalnum),
        ("isspace", b_isspace),
        ("islower", b_islower),
        ("isupper", b_isupper),
        ("istitle", b_istitle),
        ("isascii", b_isascii),
        ("partition", b_partition),
        ("rpartition", b_rpartition),
        ("removeprefix", b_removeprefix),
        ("removesuffix", b_removesuffix),
        ("zfill", b_zfill),
        ("center", b_center),
        ("ljust", b_ljust),
        ("rjust", b_rjust),
        ("expandtabs", b_expandtabs),
        ("translate", b_translate),
        ("__len__", b_len),
        ("__getitem__", b_getitem),
        ("__contains__", b_contains),
        ("__iter__", b_iter),
        ("__add__", b_add),
        ("__mul__", b_mul),
        ("__rmul__", b_mul),
        ("__eq__", b_eq),
        ("__ne__", b_ne),
        ("__lt__", b_lt),
        ("__le__", b_le),
        ("__gt__", b_gt),
        ("__ge__", b_ge),
        ("__repr__", b_repr),
    ];
    for class in [vm.types.bytes.clone(), vm.types.bytearray.clone()] {
        for (name, f) in shared {
            add_method(vm, &class, name, *f);
        }
        add_attr(
            vm,
            &class,
            "fromhex",
            new_classmethod(native("fromhex", b_fromhex)),
        );
        add_attr(
            vm,
            &class,
            "maketrans",
            new_staticmethod(native("maketrans", b_maketrans)),
        );
    }
    let b = vm.types.bytes.clone();
    add_method(vm, &b, "__hash__", b_hash);
    let ba = vm.types.bytearray.clone();
    let own: &[(&'static str, NativeFnPtr)] = &[
        ("append", ba_append),
        ("extend", ba_extend),
        ("pop", ba_pop),
        ("insert", ba_insert),
        ("remove", ba_remove),
        ("clear", ba_clear),
        ("reverse", ba_reverse),
        ("copy", ba_copy),
        ("__setitem__", ba_setitem),
        ("__delitem__", ba_delitem),
    ];
    for (name, f) in own {
        add_method(vm, &ba, name, *f);
    }
}

// ----- receivers and arguments -------------------------------------------------

/// The receiver's bytes and whether it is a bytearray.
fn this(args: &[Value], name: &str) -> Res<(Rc<Vec<u8>>, bool)> {
    let v = args.first().cloned().unwrap_or(Value::None);
    let v = payload_of(&v).unwrap_or(v);
    match &v {
        Value::Bytes(b) => Ok((b.clone(), false)),
        Value::ByteArray(b) => Ok((Rc::new(b.borrow().clone()), true)),
        _ => Err(Error::type_error(if name.starts_with("__") {
            format!(
                "descriptor '{name}' requires a 'bytes' object but received a '{}'",
                v.type_name()
            )
        } else {
            format!(
                "descriptor '{name}' for 'bytes' objects doesn't apply to a '{}' object",
                v.type_name()
            )
        })),
    }
}

fn this_ba(args: &[Value], name: &str) -> Res<Rc<RefCell<Vec<u8>>>> {
    let v = args.first().cloned().unwrap_or(Value::None);
    let v = payload_of(&v).unwrap_or(v);
    match &v {
        Value::ByteArray(b) => Ok(b.clone()),
        _ => Err(Error::type_error(format!(
            "descriptor '{name}' requires a 'bytearray' object but received a '{}'",
            v.type_name()
        ))),
    }
}

/// A result of the receiver's type.
fn make(b: Vec<u8>, ba: bool) -> Value {
    if ba {
        Value::ByteArray(Rc::new(RefCell::new(b)))
    } else {
        Value::bytes(b)
    }
}

/// The bytes of a bytes-like value.
fn buf_of(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::Bytes(b) => Some((**b).clone()),
        Value::ByteArray(b) => Some(b.borrow().clone()),
        Value::Instance(_) => payload_of(v).and_then(|p| buf_of(&p)),
        _ => None,
    }
}

fn buf_arg(v: &Value) -> Res<Vec<u8>> {
    buf_of(v).ok_or_else(|| {
        Error::type_error(format!(
            "a bytes-like object is required, not '{}'",
            v.type_name()
        ))
    })
}

/// A type name as argument clinic reports it (None is named "None").
fn clinic_name(v: &Value) -> String {
    if v.is_none() {
        "None".to_string()
    } else {
        v.type_name()
    }
}

fn byte_value(vm: &mut Vm, v: &Value) -> Res<u8> {
    let i = vm.index_value(v)?;
    u8::try_from(i).map_err(|_| Error::value_error("byte must be in range(0, 256)"))
}

/// The needle of find/count/index/`in`: an int or bytes-like value.
fn needle(vm: &mut Vm, v: &Value) -> Res<Vec<u8>> {
    if let Some(b) = buf_of(v) {
        return Ok(b);
    }
    if matches!(v, Value::Int(_) | Value::Bool(_) | Value::BigInt(_)) || vm.index_value(v).is_ok() {
        return Ok(vec![byte_value(vm, v)?]);
    }
    Err(Error::type_error(format!(
        "argument should be integer or bytes-like object, not '{}'",
        v.type_name()
    )))
}

fn find_sub(hay: &[u8], sub: &[u8]) -> Option<usize> {
    if sub.is_empty() {
        return Some(0);
    }
    if sub.len() == 1 {
        return hay.iter().position(|&b| b == sub[0]);
    }
    if sub.len() > hay.len() {
        return None;
    }
    let first = sub[0];
    (0..=hay.len() - sub.len()).find(|&i| hay[i] == first && &hay[i..i + sub.len()] == sub)
}

fn rfind_sub(hay: &[u8], sub: &[u8]) -> Option<usize> {
    if sub.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - sub.len())
        .rev()
        .find(|&i| &hay[i..i + sub.len()] == sub)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Binds positional-or-keyword parameters [names] (self excluded).
fn bind<'a>(
    name: &str,
    args: &'a [Value],
    kw: &'a [(Sym, Value)],
    names: &[&str],
) -> Res<Vec<Option<&'a Value>>> {
    let pos = args.get(1..).unwrap_or(&[]);
    if pos.len() > names.len() {
        return Err(Error::type_error(format!(
            "{name}() takes at most {} argument{} ({} given)",
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            pos.len()
        )));
    }
    let mut out: Vec<Option<&Value>> = (0..names.len()).map(|i| pos.get(i)).collect();
    for (k, v) in kw {
        match names.iter().position(|n| *n == k.as_str()) {
            Some(i) if out[i].is_none() => out[i] = Some(v),
            _ => {
                return Err(Error::type_error(format!(
                    "{name}() got an unexpected keyword argument '{}'",
                    k.as_str()
                )))
            }
        }
    }
    Ok(out)
}

// ----- decode / hex --------------------------------------------------------------

/// Decodes [b] with [codec] and error handler [errors]; [obj] is the
/// value reported in a UnicodeDecodeError.
pub fn decode_bytes(vm: &mut Vm, b: &[u8], codec: Codec, errors: &str, obj: &Value) -> Res<String> {
    let mut out = String::with_capacity(b.len());
    let mut pos = 0;
    while pos < b.len() {
        // Find the next bad run: (start, length, reason).
        let (good_end, bad) = match codec {
            Codec::Latin1 => {
                out.extend(b[pos..].iter().map(|&x| x as char));
                return Ok(out);
            }
            Codec::Ascii => match b[pos..].iter().position(|&x| x >= 0x80) {
                None => (b.len(), None),
                Some(i) => (pos + i, Some((1, "ordinal not in range(128)"))),
            },
            Codec::Utf8 => match std::str::from_utf8(&b[pos..]) {
                Ok(_) => (b.len(), None),
                Err(e) => {
                    let start = pos + e.valid_up_to();
                    match e.error_len() {
                        None => (start, Some((b.len() - start, "unexpected end of data"))),
                        Some(n) => {
                            let lead = b[start];
                            let reason = if (0x80..0xc2).contains(&lead) || lead > 0xf4 {
                                "invalid start byte"
                            } else {
                                "invalid continuation byte"
                            };
                            (start, Some((n, reason)))
                        }
                    }
                }
            },
        };
        // The prefix is valid UTF-8 (or ASCII) by construction.
        out.push_str(std::str::from_utf8(&b[pos..good_end]).unwrap_or_default());
        let Some((n, reason)) = bad else {
            break;
        };
        let start = good_end;
        match errors {
            "strict" => {
                let what = if n == 1 {
                    format!("byte 0x{:02x} in position {start}", b[start])
                } else {
                    format!("bytes in position {start}-{}", start + n - 1)
                };
                let msg = format!("'{}' codec can't decode {what}: {reason}", codec.name());
                return Err(unicode_error(
                    vm,
                    ExcType::UnicodeDecodeError,
                    msg,
                    codec.name(),
                    obj.clone(),
                    start,
                    start + n,
                    reason,
                ));
            }
            "replace" => out.push('\u{fffd}'),
            "ignore" => {}
            "backslashreplace" => {
                for &x in &b[start..start + n] {
                    out.push_str(&format!("\\x{x:02x}"));
                }
            }
            "surrogateescape" | "surrogatepass" => {
                // Lone surrogates can't live in a Rust string.
                out.extend(std::iter::repeat_n('\u{fffd}', n));
            }
            _ => return Err(unknown_handler(errors)),
        }
        pos = start + n;
    }
    Ok(out)
}

fn b_decode(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, ba) = this(args, "decode")?;
    let p = bind("decode", args, kw, &["encoding", "errors"])?;
    let arg = |v: Option<&Value>, what: &str, default: &str| -> Res<String> {
        match v {
            None => Ok(default.to_string()),
            Some(v) => str_of(v).map(|s| s.s.to_string()).ok_or_else(|| {
                Error::type_error(format!(
                    "decode() argument '{what}' must be str, not {}",
                    clinic_name(v)
                ))
            }),
        }
    };
    let encoding = arg(p[0], "encoding", "utf-8")?;
    let errors = arg(p[1], "errors", "strict")?;
    let codec = lookup_codec(&encoding)?;
    if codec == Codec::Utf8 {
        if let Ok(s) = std::str::from_utf8(&b) {
            return Ok(Value::str(s));
        }
    }
    let obj = if ba {
        Value::bytes((*b).clone())
    } else {
        Value::Bytes(b.clone())
    };
    Ok(Value::string(decode_bytes(vm, &b, codec, &errors, &obj)?))
}

fn b_hex(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, _) = this(args, "hex")?;
    let p = bind("hex", args, kw, &["sep", "bytes_per_sep"])?;
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let sep = match p[0] {
        None | Some(Value::None) => None,
        Some(v) => {
            let s: Vec<u8> = match str_of(v) {
                Some(s) => s.s.as_bytes().to_vec(),
                None => buf_of(v).ok_or_else(|| {
                    Error::type_error(format!("sep must be str or bytes, not {}", v.type_name()))
                })?,
            };
            if s.len() != 1 || !s[0].is_ascii() {
                return Err(Error::value_error(if s.len() == 1 {
                    "sep must be ASCII."
                } else {
                    "sep must be length 1."
                }));
            }
            Some(s[0])
        }
    };
    let per = match p[1] {
        Some(v) => vm.index_value(v)?,
        None => 1,
    };
    let mut out = String::with_capacity(b.len() * 3);
    let n = b.len();
    let group = per.unsigned_abs() as usize;
    for (i, &x) in b.iter().enumerate() {
        if let (Some(s), true) = (sep, i > 0 && group > 0) {
            // Groups count from the right for a positive bytes_per_sep.
            let boundary = if per > 0 {
                (n - i) % group == 0
            } else {
                i % group == 0
            };
            if boundary {
                out.push(s as char);
            }
        }
        out.push(DIGITS[(x >> 4) as usize] as char);
        out.push(DIGITS[(x & 15) as usize] as char);
    }
    Ok(Value::string(out))
}

fn b_fromhex(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("fromhex", kw)?;
    check_args("fromhex", args.get(1..).unwrap_or(&[]), 1, 1)?;
    let ba = match &args[0] {
        Value::Class(c) => c.is_subclass(&vm.types.bytearray),
        _ => false,
    };
    let s = str_of(&args[1]).ok_or_else(|| {
        Error::type_error(format!(
            "fromhex() argument must be str, not {}",
            clinic_name(&args[1])
        ))
    })?;
    let chars: Vec<char> = s.s.chars().collect();
    let mut out = Vec::with_capacity(chars.len() / 2);
    let bad = |i: usize| {
        Error::value_error(format!(
            "non-hexadecimal number found in fromhex() arg at position {i}"
        ))
    };
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii() && is_space(chars[i] as u8) {
            i += 1;
            continue;
        }
        let hi = chars[i]
            .to_digit(16)
            .filter(|_| chars[i].is_ascii())
            .ok_or_else(|| bad(i))?;
        let lo = chars
            .get(i + 1)
            .filter(|c| c.is_ascii())
            .and_then(|c| c.to_digit(16))
            .ok_or_else(|| bad(i + 1))?;
        out.push((hi * 16 + lo) as u8);
        i += 2;
    }
    Ok(make(out, ba))
}

// ----- searching -------------------------------------------------------------------

/// (receiver, needle, start, end) of a find-like call.
type FindArgs = (Rc<Vec<u8>>, Vec<u8>, i64, i64);

fn find_args(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], name: &str) -> Res<FindArgs> {
    no_kwargs(name, kw)?;
    let (b, _) = this(args, name)?;
    check_args(name, &args[1..], 1, 3)?;
    let sub = needle(vm, &args[1])?;
    let (start, end) = adjust_indices(vm, args.get(2), args.get(3), b.len())?;
    Ok((b, sub, start, end))
}

fn find_impl(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], name: &str, rev: bool) -> Res<i64> {
    let (b, sub, start, end) = find_args(vm, args, kw, name)?;
    if end - start < sub.len() as i64 {
        return Ok(-1);
    }
    let hay = &b[start as usize..end as usize];
    let r = if rev {
        rfind_sub(hay, &sub)
    } else {
        find_sub(hay, &sub)
    };
    Ok(r.map_or(-1, |i| start + i as i64))
}

fn b_find(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    find_impl(vm, args, kw, "find", false).map(Value::Int)
}
fn b_rfind(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    find_impl(vm, args, kw, "rfind", true).map(Value::Int)
}
fn b_index(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    match find_impl(vm, args, kw, "index", false)? {
        -1 => Err(Error::value_error("subsection not found")),
        i => Ok(Value::Int(i)),
    }
}
fn b_rindex(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    match find_impl(vm, args, kw, "rindex", true)? {
        -1 => Err(Error::value_error("subsection not found")),
        i => Ok(Value::Int(i)),
    }
}

fn b_count(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, sub, start, end) = find_args(vm, args, kw, "count")?;
    if end - start < sub.len() as i64 {
        return Ok(Value::Int(0));
    }
    if sub.is_empty() {
        return Ok(Value::Int(end - start + 1));
    }
    let mut hay = &b[start as usize..end as usize];
    let mut n = 0;
    while let Some(i) = find_sub(hay, &sub) {
        n += 1;
        hay = &hay[i + sub.len()..];
    }
    Ok(Value::Int(n))
}

fn tail_match(
    vm: &mut Vm,
    args: &[Value],
    kw: &[(Sym, Value)],
    name: &str,
    at_end: bool,
) -> Res<Value> {
    no_kwargs(name, kw)?;
    let (b, _) = this(args, name)?;
    check_args(name, &args[1..], 1, 3)?;
    let (start, end) = adjust_indices(vm, args.get(2), args.get(3), b.len())?;
    let check = |p: &[u8]| -> bool {
        if end - start < p.len() as i64 {
            return false;
        }
        let hay = &b[start as usize..end as usize];
        if at_end {
            hay.ends_with(p)
        } else {
            hay.starts_with(p)
        }
    };
    match &args[1] {
        Value::Tuple(t) => {
            for p in t.items.iter() {
                if check(&buf_arg(p)?) {
                    return Ok(Value::Bool(Truth::True));
                }
            }
            Ok(Value::Bool(Truth::False))
        }
        v => {
            let p = buf_of(v).ok_or_else(|| {
                Error::type_error(format!(
                    "{name} first arg must be bytes or a tuple of bytes, not {}",
                    v.type_name()
                ))
            })?;
            Ok(Value::bool(check(&p)))
        }
    }
}

fn b_startswith(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    tail_match(vm, args, kw, "startswith", false)
}
fn b_endswith(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    tail_match(vm, args, kw, "endswith", true)
}

// ----- split / join / partition -------------------------------------------------------

/// (receiver, is bytearray, separator, maxsplit) of a split call.
type SplitArgs = (Rc<Vec<u8>>, bool, Option<Vec<u8>>, i64);

fn split_args(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], name: &str) -> Res<SplitArgs> {
    let (b, ba) = this(args, name)?;
    let p = bind(name, args, kw, &["sep", "maxsplit"])?;
    let sep = match p[0] {
        None | Some(Value::None) => None,
        Some(v) => {
            let s = buf_arg(v)?;
            if s.is_empty() {
                return Err(Error::value_error("empty separator"));
            }
            Some(s)
        }
    };
    let maxsplit = match p[1] {
        Some(v) => vm.index_value(v)?,
        None => -1,
    };
    Ok((b, ba, sep, maxsplit))
}

fn b_split(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, ba, sep, maxsplit) = split_args(vm, args, kw, "split")?;
    let mut out = Vec::new();
    let mut rest: &[u8] = &b;
    match sep {
        None => loop {
            let skip = rest
                .iter()
                .position(|&x| !is_space(x))
                .unwrap_or(rest.len());
            rest = &rest[skip..];
            if rest.is_empty() {
                break;
            }
            if maxsplit >= 0 && out.len() as i64 >= maxsplit {
                out.push(make(rest.to_vec(), ba));
                break;
            }
            let end = rest.iter().position(|&x| is_space(x)).unwrap_or(rest.len());
            out.push(make(rest[..end].to_vec(), ba));
            rest = &rest[end..];
        },
        Some(sep) => {
            while maxsplit < 0 || (out.len() as i64) < maxsplit {
                match find_sub(rest, &sep) {
                    Some(i) => {
                        out.push(make(rest[..i].to_vec(), ba));
                        rest = &rest[i + sep.len()..];
                    }
                    None => break,
                }
            }
            out.push(make(rest.to_vec(), ba));
        }
    }
    Ok(Value::list(out))
}

fn b_rsplit(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, ba, sep, maxsplit) = split_args(vm, args, kw, "rsplit")?;
    let mut out = Vec::new();
    let mut rest: &[u8] = &b;
    match sep {
        None => loop {
            let keep = rest
                .iter()
                .rposition(|&x| !is_space(x))
                .map_or(0, |i| i + 1);
            rest = &rest[..keep];
            if rest.is_empty() {
                break;
            }
            if maxsplit >= 0 && out.len() as i64 >= maxsplit {
                out.push(make(rest.to_vec(), ba));
                break;
            }
            let start = rest.iter().rposition(|&x| is_space(x)).map_or(0, |i| i + 1);
            out.push(make(rest[start..].to_vec(), ba));
            rest = &rest[..start];
        },
        Some(sep) => {
            while maxsplit < 0 || (out.len() as i64) < maxsplit {
                match rfind_sub(rest, &sep) {
                    Some(i) => {
                        out.push(make(rest[i + sep.len()..].to_vec(), ba));
                        rest = &rest[..i];
                    }
                    None => break,
                }
            }
            out.push(make(rest.to_vec(), ba));
        }
    }
    out.reverse();
    Ok(Value::list(out))
}

fn b_splitlines(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, ba) = this(args, "splitlines")?;
    let p = bind("splitlines", args, kw, &["keepends"])?;
    let keep = match p[0] {
        Some(v) => vm.index_value(v)? != 0,
        None => false,
    };
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        let n = match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => 2,
            b'\r' | b'\n' => 1,
            _ => 0,
        };
        if n == 0 {
            i += 1;
            continue;
        }
        let end = if keep { i + n } else { i };
        out.push(make(b[start..end].to_vec(), ba));
        i += n;
        start = i;
    }
    if start < b.len() {
        out.push(make(b[start..].to_vec(), ba));
    }
    Ok(Value::list(out))
}

fn b_join(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("join", kw)?;
    let (sep, ba) = this(args, "join")?;
    check_args("join", &args[1..], 1, 1)?;
    let items = match &args[1] {
        Value::List(l) => l.items.borrow().clone(),
        Value::Tuple(t) => t.items.to_vec(),
        v => {
            let it = vm
                .get_iter(v)
                .map_err(|_| Error::type_error("can only join an iterable"))?;
            let mut items = Vec::new();
            while let Some(x) = vm.iter_next(&it)? {
                items.push(x);
            }
            items
        }
    };
    let mut out = Vec::new();
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&sep);
        }
        match x {
            Value::Bytes(b) => out.extend_from_slice(b),
            Value::ByteArray(b) => out.extend_from_slice(&b.borrow()),
            _ => match buf_of(x) {
                Some(b) => out.extend_from_slice(&b),
                None => {
                    return Err(Error::type_error(format!(
                        "sequence item {i}: expected a bytes-like object, {} found",
                        x.type_name()
                    )))
                }
            },
        }
    }
    Ok(make(out, ba))
}

fn partition_impl(args: &[Value], kw: &[(Sym, Value)], name: &str, rev: bool) -> Res<Value> {
    no_kwargs(name, kw)?;
    let (b, ba) = this(args, name)?;
    check_args(name, &args[1..], 1, 1)?;
    let sep = buf_arg(&args[1])?;
    if sep.is_empty() {
        return Err(Error::value_error("empty separator"));
    }
    let found = if rev {
        rfind_sub(&b, &sep)
    } else {
        find_sub(&b, &sep)
    };
    let empty = || make(Vec::new(), ba);
    Ok(Value::tuple(match found {
        Some(i) => vec![
            make(b[..i].to_vec(), ba),
            make(sep.clone(), ba),
            make(b[i + sep.len()..].to_vec(), ba),
        ],
        None if rev => vec![empty(), empty(), make(b.to_vec(), ba)],
        None => vec![make(b.to_vec(), ba), empty(), empty()],
    }))
}

fn b_partition(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    partition_impl(args, kw, "partition", false)
}
fn b_rpartition(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    partition_impl(args, kw, "rpartition", true)
}

// ----- transforming ----------------------------------------------------------------

fn strip_impl(
    args: &[Value],
    kw: &[(Sym, Value)],
    name: &str,
    left: bool,
    right: bool,
) -> Res<Value> {
    no_kwargs(name, kw)?;
    let (b, ba) = this(args, name)?;
    check_args(name, &args[1..], 0, 1)?;
    let set = match args.get(1) {
        None | Some(Value::None) => None,
        Some(v) => Some(buf_arg(v)?),
    };
    let strip = |x: u8| match &set {
        None => is_space(x),
        Some(s) => s.contains(&x),
    };
    let mut a = 0;
    let mut e = b.len();
    if left {
        while a < e && strip(b[a]) {
            a += 1;
        }
    }
    if right {
        while e > a && strip(b[e - 1]) {
            e -= 1;
        }
    }
    if a == 0 && e == b.len() && !ba {
        return Ok(Value::Bytes(b));
    }
    Ok(make(b[a..e].to_vec(), ba))
}

fn b_strip(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    strip_impl(args, kw, "strip", true, true)
}
fn b_lstrip(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    strip_impl(args, kw, "lstrip", true, false)
}
fn b_rstrip(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    strip_impl(args, kw, "rstrip", false, true)
}

fn b_removeprefix(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("removeprefix", kw)?;
    let (b, ba) = this(args, "removeprefix")?;
    check_args("removeprefix", &args[1..], 1, 1)?;
    let p = buf_arg(&args[1])?;
    let r = b.strip_prefix(p.as_slice()).unwrap_or(&b);
    Ok(make(r.to_vec(), ba))
}

fn b_removesuffix(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("removesuffix", kw)?;
    let (b, ba) = this(args, "removesuffix")?;
    check_args("removesuffix", &args[1..], 1, 1)?;
    let p = buf_arg(&args[1])?;
    let r = b.strip_suffix(p.as_slice()).unwrap_or(&b);
    Ok(make(r.to_vec(), ba))
}

fn b_replace(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("replace", kw)?;
    let (b, ba) = this(args, "replace")?;
    check_args("replace", &args[1..], 2, 3)?;
    let old = buf_arg(&args[1])?;
    let new = buf_arg(&args[2])?;
    let mut count = match args.get(3) {
        Some(v) => vm.index_value(v)?,
        None => -1,
    };
    let mut out = Vec::with_capacity(b.len());
    if old.is_empty() {
        for &x in b.iter() {
            if count != 0 {
                out.extend_from_slice(&new);
                count -= 1;
            }
            out.push(x);
        }
        if count != 0 {
            out.extend_from_slice(&new);
        }
        return Ok(make(out, ba));
    }
    let mut rest: &[u8] = &b;
    while count != 0 {
        match find_sub(rest, &old) {
            Some(i) => {
                out.extend_from_slice(&rest[..i]);
                out.extend_from_slice(&new);
                rest = &rest[i + old.len()..];
                count -= 1;
            }
            None => break,
        }
    }
    out.extend_from_slice(rest);
    Ok(make(out, ba))
}

fn map_bytes(args: &[Value], name: &str, f: impl Fn(&[u8]) -> Vec<u8>) -> Res<Value> {
    let (b, ba) = this(args, name)?;
    Ok(make(f(&b), ba))
}

fn b_upper(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    map_bytes(args, "upper", |b| b.to_ascii_uppercase())
}
fn b_lower(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    map_bytes(args, "lower", |b| b.to_ascii_lowercase())
}
fn b_swapcase(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    map_bytes(args, "swapcase", |b| {
        b.iter()
            .map(|&x| if x.is_ascii_alphabetic() { x ^ 0x20 } else { x })
            .collect()
    })
}
fn b_capitalize(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    map_bytes(args, "capitalize", |b| {
        b.iter()
            .enumerate()
            .map(|(i, &x)| {
                if i == 0 {
                    x.to_ascii_uppercase()
                } else {
                    x.to_ascii_lowercase()
                }
            })
            .collect()
    })
}
fn b_title(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    map_bytes(args, "title", |b| {
        let mut prev = false;
        b.iter()
            .map(|&x| {
                let r = if prev {
                    x.to_ascii_lowercase()
                } else {
                    x.to_ascii_uppercase()
                };
                prev = x.is_ascii_alphabetic();
                r
            })
            .collect()
    })
}

fn all_bytes(args: &[Value], name: &str, f: fn(&u8) -> bool) -> Res<Value> {
    let (b, _) = this(args, name)?;
    Ok(Value::bool(!b.is_empty() && b.iter().all(f)))
}
fn b_isdigit(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_bytes(args, "isdigit", u8::is_ascii_digit)
}
fn b_isalpha(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_bytes(args, "isalpha", u8::is_ascii_alphabetic)
}
fn b_isalnum(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_bytes(args, "isalnum", u8::is_ascii_alphanumeric)
}
fn b_isspace(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_bytes(args, "isspace", |&x| is_space(x))
}
fn b_isascii(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, _) = this(args, "isascii")?;
    Ok(Value::bool(b.is_ascii()))
}
fn b_islower(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, _) = this(args, "islower")?;
    Ok(Value::bool(
        b.iter().any(u8::is_ascii_lowercase) && !b.iter().any(u8::is_ascii_uppercase),
    ))
}
fn b_isupper(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, _) = this(args, "isupper")?;
    Ok(Value::bool(
        b.iter().any(u8::is_ascii_uppercase) && !b.iter().any(u8::is_ascii_lowercase),
    ))
}
fn b_istitle(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, _) = this(args, "istitle")?;
    let (mut cased, mut prev) = (false, false);
    for &x in b.iter() {
        if x.is_ascii_uppercase() {
            if prev {
                return Ok(Value::Bool(Truth::False));
            }
            prev = true;
            cased = true;
        } else if x.is_ascii_lowercase() {
            if !prev {
                return Ok(Value::Bool(Truth::False));
            }
            prev = true;
            cased = true;
        } else {
            prev = false;
        }
    }
    Ok(Value::bool(cased))
}

fn pad_impl(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], name: &str, how: u8) -> Res<Value> {
    no_kwargs(name, kw)?;
    let (b, ba) = this(args, name)?;
    check_args(name, &args[1..], 1, 2)?;
    let width = size_limit(vm.index_value(&args[1])?)?;
    let fill = match args.get(2) {
        None => b' ',
        Some(v) => match buf_of(v) {
            Some(f) if f.len() == 1 => f[0],
            _ => {
                return Err(Error::type_error(format!(
                    "{name}() argument 2 must be a byte string of length 1, not {}",
                    clinic_name(v)
                )))
            }
        },
    };
    let len = b.len() as i64;
    if width <= len {
        return Ok(if ba {
            make(b.to_vec(), ba)
        } else {
            Value::Bytes(b)
        });
    }
    let marg = (width - len) as usize;
    let left = match how {
        b'l' => 0,
        b'r' => marg,
        _ => marg / 2 + (marg & width as usize & 1),
    };
    let mut out = Vec::with_capacity(width as usize);
    out.resize(left, fill);
    out.extend_from_slice(&b);
    out.resize(width as usize, fill);
    Ok(make(out, ba))
}

fn b_center(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    pad_impl(vm, args, kw, "center", b'c')
}
fn b_ljust(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    pad_impl(vm, args, kw, "ljust", b'l')
}
fn b_rjust(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    pad_impl(vm, args, kw, "rjust", b'r')
}

fn b_zfill(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("zfill", kw)?;
    let (b, ba) = this(args, "zfill")?;
    check_args("zfill", &args[1..], 1, 1)?;
    let width = size_limit(vm.index_value(&args[1])?)?;
    if width <= b.len() as i64 {
        return Ok(make(b.to_vec(), ba));
    }
    let n = width as usize - b.len();
    let mut out = Vec::with_capacity(width as usize);
    let rest: &[u8] = match b.first() {
        Some(&s @ (b'+' | b'-')) => {
            out.push(s);
            &b[1..]
        }
        _ => &b,
    };
    out.resize(out.len() + n, b'0');
    out.extend_from_slice(rest);
    Ok(make(out, ba))
}

fn b_expandtabs(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, ba) = this(args, "expandtabs")?;
    let p = bind("expandtabs", args, kw, &["tabsize"])?;
    let tab = match p[0] {
        Some(v) => vm.index_value(v)?,
        None => 8,
    };
    let mut out = Vec::with_capacity(b.len());
    let mut col: i64 = 0;
    for &x in b.iter() {
        match x {
            b'\t' => {
                if tab > 0 {
                    let n = tab - col % tab;
                    size_limit(out.len() as i64 + n)?;
                    out.resize(out.len() + n as usize, b' ');
                    col += n;
                }
            }
            b'\n' | b'\r' => {
                out.push(x);
                col = 0;
            }
            _ => {
                out.push(x);
                col += 1;
            }
        }
    }
    Ok(make(out, ba))
}

fn b_translate(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, ba) = this(args, "translate")?;
    let p = bind("translate", args, kw, &["table", "delete"])?;
    let table = match p[0] {
        None | Some(Value::None) => None,
        Some(v) => {
            let t = buf_arg(v)?;
            if t.len() != 256 {
                return Err(Error::value_error(
                    "translation table must be 256 characters long",
                ));
            }
            Some(t)
        }
    };
    let delete = match p[1] {
        Some(v) => buf_arg(v)?,
        None => Vec::new(),
    };
    let out = b
        .iter()
        .filter(|x| !delete.contains(x))
        .map(|&x| table.as_ref().map_or(x, |t| t[x as usize]))
        .collect();
    Ok(make(out, ba))
}

fn b_maketrans(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("maketrans", kw)?;
    check_args("maketrans", args, 2, 2)?;
    let from = buf_arg(&args[0])?;
    let to = buf_arg(&args[1])?;
    if from.len() != to.len() {
        return Err(Error::value_error(
            "maketrans arguments must have same length",
        ));
    }
    let mut t: Vec<u8> = (0..=255u8).collect();
    for (&a, &b) in from.iter().zip(to.iter()) {
        t[a as usize] = b;
    }
    Ok(Value::bytes(t))
}

// ----- dunders -----------------------------------------------------------------------

fn receiver(args: &[Value], name: &str) -> Res<Value> {
    let v = args.first().cloned().unwrap_or(Value::None);
    let v = payload_of(&v).unwrap_or(v);
    match v {
        Value::Bytes(_) | Value::ByteArray(_) => Ok(v),
        _ => Err(Error::type_error(format!(
            "descriptor '{name}' requires a 'bytes' object but received a '{}'",
            v.type_name()
        ))),
    }
}

fn b_len(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int(match receiver(args, "__len__")? {
        Value::Bytes(b) => b.len(),
        Value::ByteArray(b) => b.borrow().len(),
        _ => 0,
    } as i64))
}

fn b_getitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = receiver(args, "__getitem__")?;
    check_args("__getitem__", &args[1..], 1, 1)?;
    vm.getitem(&r, &args[1])
}

fn b_contains(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, _) = this(args, "__contains__")?;
    check_args("__contains__", &args[1..], 1, 1)?;
    let sub = needle(vm, &args[1])?;
    Ok(Value::bool(find_sub(&b, &sub).is_some()))
}

fn b_iter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = receiver(args, "__iter__")?;
    vm.get_iter(&r)
}

fn b_add(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, ba) = this(args, "__add__")?;
    check_args("__add__", &args[1..], 1, 1)?;
    let o = buf_of(&args[1]).ok_or_else(|| {
        Error::type_error(format!(
            "can't concat {} to {}",
            args[1].type_name(),
            if ba { "bytearray" } else { "bytes" }
        ))
    })?;
    let mut out = Vec::with_capacity(b.len() + o.len());
    out.extend_from_slice(&b);
    out.extend_from_slice(&o);
    Ok(make(out, ba))
}

fn b_mul(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, ba) = this(args, "__mul__")?;
    check_args("__mul__", &args[1..], 1, 1)?;
    let n = vm.index_value(&args[1])?;
    if n <= 0 {
        return Ok(make(Vec::new(), ba));
    }
    if (n as u64).saturating_mul(b.len() as u64) > crate::vm::ops::MAX_SEQ {
        return Err(Error::memory_error("repeated bytes are too long"));
    }
    Ok(make(b.repeat(n as usize), ba))
}

fn cmp_impl(
    vm: &mut Vm,
    args: &[Value],
    name: &str,
    f: fn(std::cmp::Ordering) -> bool,
) -> Res<Value> {
    let (b, _) = this(args, name)?;
    check_args(name, &args[1..], 1, 1)?;
    match buf_of(&args[1]) {
        Some(o) => Ok(Value::bool(f(b.as_slice().cmp(o.as_slice())))),
        None => Ok(vm.types.not_implemented.clone()),
    }
}

fn b_eq(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__eq__", |o| o.is_eq())
}
fn b_ne(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__ne__", |o| o.is_ne())
}
fn b_lt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__lt__", |o| o.is_lt())
}
fn b_le(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__le__", |o| o.is_le())
}
fn b_gt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__gt__", |o| o.is_gt())
}
fn b_ge(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__ge__", |o| o.is_ge())
}

fn b_hash(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = receiver(args, "__hash__")?;
    Ok(Value::Int(vm.hash(&r)? as i64))
}

fn b_repr(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (b, ba) = this(args, "__repr__")?;
    let r = crate::vm::repr::bytes_repr(&b);
    Ok(Value::string(if ba {
        format!("bytearray({r})")
    } else {
        r
    }))
}

// ----- bytearray mutation ------------------------------------------------------------

fn ba_append(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("append", kw)?;
    let b = this_ba(args, "append")?;
    check_args("append", &args[1..], 1, 1)?;
    let x = byte_value(vm, &args[1])?;
    b.borrow_mut().push(x);
    Ok(Value::None)
}

fn ba_extend(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("extend", kw)?;
    let b = this_ba(args, "extend")?;
    check_args("extend", &args[1..], 1, 1)?;
    if let Some(o) = buf_of(&args[1]) {
        b.borrow_mut().extend_from_slice(&o);
        return Ok(Value::None);
    }
    let it = vm.get_iter(&args[1]).map_err(|_| {
        Error::type_error(format!(
            "can't extend bytearray with {}",
            args[1].type_name()
        ))
    })?;
    let mut add = Vec::new();
    while let Some(x) = vm.iter_next(&it)? {
        add.push(byte_value(vm, &x)?);
    }
    b.borrow_mut().extend_from_slice(&add);
    Ok(Value::None)
}

fn ba_pop(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("pop", kw)?;
    let b = this_ba(args, "pop")?;
    check_args("pop", &args[1..], 0, 1)?;
    let i = match args.get(1) {
        Some(v) => vm.index_value(v)?,
        None => -1,
    };
    let mut d = b.borrow_mut();
    if d.is_empty() {
        return Err(Error::index_error("pop from empty bytearray"));
    }
    let n = d.len() as i64;
    let j = if i < 0 { i + n } else { i };
    if j < 0 || j >= n {
        return Err(Error::index_error("pop index out of range"));
    }
    Ok(Value::Int(d.remove(j as usize) as i64))
}

fn ba_insert(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("insert", kw)?;
    let b = this_ba(args, "insert")?;
    check_args("insert", &args[1..], 2, 2)?;
    let i = vm.index_value(&args[1])?;
    let x = byte_value(vm, &args[2])?;
    let mut d = b.borrow_mut();
    let n = d.len() as i64;
    let j = if i < 0 { (i + n).max(0) } else { i.min(n) };
    d.insert(j as usize, x);
    Ok(Value::None)
}

fn ba_remove(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("remove", kw)?;
    let b = this_ba(args, "remove")?;
    check_args("remove", &args[1..], 1, 1)?;
    let x = byte_value(vm, &args[1])?;
    let mut d = b.borrow_mut();
    match d.iter().position(|&y| y == x) {
        Some(i) => {
            d.remove(i);
            Ok(Value::None)
        }
        None => Err(Error::value_error("value not found in bytearray")),
    }
}

fn ba_clear(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this_ba(args, "clear")?.borrow_mut().clear();
    Ok(Value::None)
}

fn ba_reverse(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this_ba(args, "reverse")?.borrow_mut().reverse();
    Ok(Value::None)
}

fn ba_copy(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = this_ba(args, "copy")?;
    let v = b.borrow().clone();
    Ok(make(v, true))
}

fn ba_setitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = this_ba(args, "__setitem__")?;
    check_args("__setitem__", &args[1..], 2, 2)?;
    vm.setitem(&Value::ByteArray(b), args[1].clone(), args[2].clone())?;
    Ok(Value::None)
}

fn ba_delitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let b = this_ba(args, "__delitem__")?;
    check_args("__delitem__", &args[1..], 1, 1)?;
    vm.delitem(&Value::ByteArray(b), &args[1])?;
    Ok(Value::None)
}

/// Encodes a str argument for `bytes(s, encoding)` style callers.
pub fn encode_with(vm: &mut Vm, s: &Rc<StrObj>, encoding: &str, errors: &str) -> Res<Vec<u8>> {
    let codec = lookup_codec(encoding)?;
    encode_str(vm, s, codec, errors)
}

/// Refuses result sizes CPython could not allocate either.
fn size_limit(n: i64) -> Res<i64> {
    if n > crate::vm::ops::MAX_SEQ as i64 {
        return Err(Error::memory_error(""));
    }
    Ok(n)
}
