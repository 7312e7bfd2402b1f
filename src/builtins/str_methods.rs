//! Methods of `str`. Indices and counts are in code points; ASCII strings
//! (the common case) index bytes directly. Character classes come from
//! tables generated from CPython's own Unicode database.

#[rustfmt::skip]
mod unicode_tables;

use std::cmp::Ordering;
use std::rc::Rc;

use super::functions::new_staticmethod;
use super::{add_attr, add_method, check_args, native, no_kwargs};
use crate::vm::dict::Dict;
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::object::NativeFnPtr;
use crate::vm::ops::payload_of;
use crate::vm::value::*;
use crate::vm::Vm;
use unicode_tables as ut;

pub fn install(vm: &mut Vm) {
    let c = vm.types.str_.clone();
    let methods: &[(&'static str, NativeFnPtr)] = &[
        ("capitalize", str_capitalize),
        ("casefold", str_casefold),
        ("center", str_center),
        ("count", str_count),
        ("encode", str_encode),
        ("endswith", str_endswith),
        ("expandtabs", str_expandtabs),
        ("find", str_find),
        ("format", str_format_m),
        ("format_map", str_format_map),
        ("index", str_index),
        ("isalnum", str_isalnum),
        ("isalpha", str_isalpha),
        ("isascii", str_isascii),
        ("isdecimal", str_isdecimal),
        ("isdigit", str_isdigit),
        ("isidentifier", str_isidentifier),
        ("islower", str_islower),
        ("isnumeric", str_isnumeric),
        ("isprintable", str_isprintable),
        ("isspace", str_isspace),
        ("istitle", str_istitle),
        ("isupper", str_isupper),
        ("join", str_join),
        ("ljust", str_ljust),
        ("lower", str_lower),
        ("lstrip", str_lstrip),
        ("partition", str_partition),
        ("removeprefix", str_removeprefix),
        ("removesuffix", str_removesuffix),
        ("replace", str_replace),
        ("rfind", str_rfind),
        ("rindex", str_rindex),
        ("rjust", str_rjust),
        ("rpartition", str_rpartition),
        ("rsplit", str_rsplit),
        ("rstrip", str_rstrip),
        ("split", str_split),
        ("splitlines", str_splitlines),
        ("startswith", str_startswith),
        ("strip", str_strip),
        ("swapcase", str_swapcase),
        ("title", str_title),
        ("translate", str_translate),
        ("upper", str_upper),
        ("zfill", str_zfill),
        ("__len__", str_len),
        ("__contains__", str_contains),
        ("__getitem__", str_getitem),
        ("__add__", str_add),
        ("__mul__", str_mul),
        ("__rmul__", str_mul),
        ("__mod__", str_mod),
        ("__eq__", str_eq),
        ("__ne__", str_ne),
        ("__lt__", str_lt),
        ("__le__", str_le),
        ("__gt__", str_gt),
        ("__ge__", str_ge),
        ("__hash__", str_hash),
        ("__iter__", str_iter),
        ("__str__", str_str),
        ("__repr__", str_repr_m),
        ("__format__", str_format_dunder),
    ];
    for (name, f) in methods {
        add_method(vm, &c, name, *f);
    }
    add_attr(
        vm,
        &c,
        "maketrans",
        new_staticmethod(native("maketrans", str_maketrans)),
    );
}

// ----- character classes ---------------------------------------------------

fn in_table(t: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    t.binary_search_by(|&(a, b)| {
        if b < c {
            Ordering::Less
        } else if a > c {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    })
    .is_ok()
}

/// Python's `str.isspace` for one character (also what `split()` and
/// `strip()` use).
pub fn is_space(c: char) -> bool {
    if c.is_ascii() {
        return matches!(c, '\t'..='\r' | '\x1c'..='\x20');
    }
    matches!(
        c,
        '\t'..='\r'
            | '\x1c'..='\x20'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        in_table(ut::ALPHA, c)
    }
}
fn is_decimal(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_table(ut::DECIMAL, c)
    }
}
fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_table(ut::DIGIT, c)
    }
}
fn is_numeric(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_digit()
    } else {
        in_table(ut::NUMERIC, c)
    }
}
fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        is_alpha(c) || is_numeric(c)
    }
}
fn is_printable(c: char) -> bool {
    if c.is_ascii() {
        (' '..='~').contains(&c)
    } else {
        in_table(ut::PRINTABLE, c)
    }
}
fn is_lower(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_lowercase()
    } else {
        in_table(ut::LOWER, c)
    }
}
fn is_upper(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_uppercase()
    } else {
        in_table(ut::UPPER, c)
    }
}
fn is_titlecase(c: char) -> bool {
    !c.is_ascii() && in_table(ut::TITLE, c)
}
fn is_cased(c: char) -> bool {
    is_lower(c) || is_upper(c) || is_titlecase(c)
}
fn is_case_ignorable(c: char) -> bool {
    in_table(ut::CASE_IGNORABLE, c)
}

fn map_lookup(t: &'static [(u32, &'static str)], c: char) -> Option<&'static str> {
    t.binary_search_by_key(&(c as u32), |&(k, _)| k)
        .ok()
        .map(|i| t[i].1)
}

/// Whether the capital sigma at byte [i] of [s] ends a word.
fn final_sigma(s: &str, i: usize) -> bool {
    let before = s[..i].chars().rev().find(|&c| !is_case_ignorable(c));
    if !before.is_some_and(is_cased) {
        return false;
    }
    let after = s[i + 'Σ'.len_utf8()..]
        .chars()
        .find(|&c| !is_case_ignorable(c));
    !after.is_some_and(is_cased)
}

/// Appends the full lowercase of the char [c] at byte [i] of [s].
fn push_lower(out: &mut String, s: &str, i: usize, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if c == 'Σ' {
        out.push(if final_sigma(s, i) { 'ς' } else { 'σ' });
    } else {
        out.extend(c.to_lowercase());
    }
}

fn push_upper(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_uppercase());
    } else {
        out.extend(c.to_uppercase());
    }
}

fn push_title(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_uppercase());
    } else if let Some(t) = map_lookup(ut::TITLE_MAP, c) {
        out.push_str(t);
    } else {
        out.extend(c.to_uppercase());
    }
}

// ----- argument helpers ----------------------------------------------------

/// The string held by [v]: a str or an instance of a str subclass.
pub fn str_of(v: &Value) -> Option<Rc<StrObj>> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Instance(_) => match payload_of(v) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn this(args: &[Value], name: &str) -> Res<Rc<StrObj>> {
    let Some(v) = args.first() else {
        return Err(Error::type_error(format!(
            "unbound method str.{name}() needs an argument"
        )));
    };
    str_of(v).ok_or_else(|| {
        Error::type_error(if name.starts_with("__") {
            format!(
                "descriptor '{name}' requires a 'str' object but received a '{}'",
                v.type_name()
            )
        } else {
            format!(
                "descriptor '{name}' for 'str' objects doesn't apply to a '{}' object",
                v.type_name()
            )
        })
    })
}

/// Arity check of a dunder taking one operand.
fn one_operand(args: &[Value]) -> Res<()> {
    let n = args.len().saturating_sub(1);
    if n == 1 {
        Ok(())
    } else {
        Err(Error::type_error(format!("expected 1 argument, got {n}")))
    }
}

/// A str argument, else TypeError "must be str, not T".
fn str_arg(v: &Value) -> Res<Rc<StrObj>> {
    str_of(v).ok_or_else(|| Error::type_error(format!("must be str, not {}", v.type_name())))
}

/// A str argument checked as argument clinic does (None is named "None").
fn str_arg_named(v: &Value, what: &str) -> Res<Rc<StrObj>> {
    str_of(v).ok_or_else(|| {
        let t = if v.is_none() {
            "None".to_string()
        } else {
            v.type_name()
        };
        Error::type_error(format!("{what} must be str, not {t}"))
    })
}

/// Checks the argument count (self excluded) as argument-clinic does.
fn clinic_args(name: &str, args: &[Value], min: usize, max: usize) -> Res<()> {
    let n = args.len().saturating_sub(1);
    let plural = |k: usize| if k == 1 { "" } else { "s" };
    if n < min {
        return Err(Error::type_error(if min == max {
            format!("{name} expected {min} argument{}, got {n}", plural(min))
        } else {
            format!(
                "{name} expected at least {min} argument{}, got {n}",
                plural(min)
            )
        }));
    }
    if n > max {
        return Err(Error::type_error(if min == max {
            format!("{name} expected {max} argument{}, got {n}", plural(max))
        } else {
            format!(
                "{name} expected at most {max} argument{}, got {n}",
                plural(max)
            )
        }));
    }
    Ok(())
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
    let mut out: Vec<Option<&Value>> = names.iter().enumerate().map(|(i, _)| pos.get(i)).collect();
    for (k, v) in kw {
        match names.iter().position(|n| *n == k.as_str()) {
            Some(i) if out[i].is_none() => out[i] = Some(v),
            Some(_) => {
                return Err(Error::type_error(format!(
                    "argument for {name}() given by name ('{}') and position ({})",
                    k.as_str(),
                    names.iter().position(|n| *n == k.as_str()).unwrap_or(0) + 1
                )))
            }
            None => {
                return Err(Error::type_error(format!(
                    "{name}() got an unexpected keyword argument '{}'",
                    k.as_str()
                )))
            }
        }
    }
    Ok(out)
}

/// An optional slice bound (None or absent means default).
pub fn slice_bound(vm: &mut Vm, v: Option<&Value>) -> Res<Option<i64>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(Value::BigInt(b)) => Ok(Some(if num_traits::Signed::is_negative(&**b) {
            i64::MIN / 2
        } else {
            i64::MAX / 2
        })),
        Some(v) => vm.index_value(v).map(Some).map_err(|_| {
            Error::type_error("slice indices must be integers or None or have an __index__ method")
        }),
    }
}

/// CPython's ADJUST_INDICES: (start, end) in 0..=len for end, start may
/// exceed len.
pub fn adjust_indices(
    vm: &mut Vm,
    start: Option<&Value>,
    end: Option<&Value>,
    len: usize,
) -> Res<(i64, i64)> {
    let len = len as i64;
    let start = slice_bound(vm, start)?.unwrap_or(0);
    let end = slice_bound(vm, end)?.unwrap_or(len);
    let end = if end > len {
        len
    } else if end < 0 {
        (end + len).max(0)
    } else {
        end
    };
    let start = if start < 0 {
        (start + len).max(0)
    } else {
        start
    };
    Ok((start, end))
}

/// Number of chars in a UTF-8 byte slice.
fn count_chars(b: &[u8]) -> usize {
    b.iter().filter(|&&x| (x as i8) >= -0x40).count()
}

/// Byte offsets of the char range [a, b) (0 <= a <= b <= char_len).
fn byte_range(s: &StrObj, a: i64, b: i64) -> (usize, usize) {
    let (a, b) = (a as usize, b as usize);
    if s.is_ascii() {
        return (a, b);
    }
    if a == 0 && b == s.char_len() {
        return (0, s.s.len());
    }
    let mut start = s.s.len();
    let mut end = s.s.len();
    for (ci, (bi, _)) in s.s.char_indices().enumerate() {
        if ci == a {
            start = bi;
        }
        if ci == b {
            end = bi;
            break;
        }
    }
    (start, end)
}

/// Char index of byte offset [bi].
fn char_index(s: &StrObj, bi: usize) -> usize {
    if s.is_ascii() {
        bi
    } else {
        count_chars(&s.s.as_bytes()[..bi])
    }
}

fn index_arg(vm: &mut Vm, v: &Value) -> Res<i64> {
    vm.index_value(v)
}

// ----- case --------------------------------------------------------------

fn str_lower(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "lower")?;
    if s.is_ascii() {
        return Ok(Value::string(s.s.to_ascii_lowercase()));
    }
    let mut out = String::with_capacity(s.s.len());
    for (i, c) in s.s.char_indices() {
        push_lower(&mut out, &s.s, i, c);
    }
    Ok(Value::string(out))
}

fn str_upper(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "upper")?;
    if s.is_ascii() {
        return Ok(Value::string(s.s.to_ascii_uppercase()));
    }
    Ok(Value::string(s.s.to_uppercase()))
}

fn str_casefold(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "casefold")?;
    if s.is_ascii() {
        return Ok(Value::string(s.s.to_ascii_lowercase()));
    }
    let mut out = String::with_capacity(s.s.len());
    for c in s.s.chars() {
        match map_lookup(ut::CASEFOLD_MAP, c) {
            Some(f) => out.push_str(f),
            None => out.extend(c.to_lowercase()),
        }
    }
    Ok(Value::string(out))
}

fn str_capitalize(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "capitalize")?;
    let mut out = String::with_capacity(s.s.len());
    for (i, c) in s.s.char_indices() {
        if i == 0 {
            push_title(&mut out, c);
        } else {
            push_lower(&mut out, &s.s, i, c);
        }
    }
    Ok(Value::string(out))
}

fn str_title(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "title")?;
    let mut out = String::with_capacity(s.s.len());
    let mut prev_cased = false;
    for (i, c) in s.s.char_indices() {
        if prev_cased {
            push_lower(&mut out, &s.s, i, c);
        } else {
            push_title(&mut out, c);
        }
        prev_cased = is_cased(c);
    }
    Ok(Value::string(out))
}

fn str_swapcase(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "swapcase")?;
    let mut out = String::with_capacity(s.s.len());
    for (i, c) in s.s.char_indices() {
        if is_upper(c) {
            push_lower(&mut out, &s.s, i, c);
        } else if is_lower(c) {
            push_upper(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Ok(Value::string(out))
}

// ----- predicates ----------------------------------------------------------

fn all_chars(args: &[Value], name: &str, f: fn(char) -> bool) -> Res<Value> {
    let s = this(args, name)?;
    Ok(Value::bool(!s.s.is_empty() && s.s.chars().all(f)))
}

fn str_isalnum(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_chars(args, "isalnum", is_alnum)
}
fn str_isalpha(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_chars(args, "isalpha", is_alpha)
}
fn str_isdecimal(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_chars(args, "isdecimal", is_decimal)
}
fn str_isdigit(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_chars(args, "isdigit", is_digit)
}
fn str_isnumeric(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_chars(args, "isnumeric", is_numeric)
}
fn str_isspace(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    all_chars(args, "isspace", is_space)
}
fn str_isascii(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "isascii")?;
    Ok(Value::bool(s.is_ascii()))
}
fn str_isprintable(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "isprintable")?;
    Ok(Value::bool(s.s.chars().all(is_printable)))
}

fn str_isidentifier(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "isidentifier")?;
    let mut it = s.s.chars();
    let ok = match it.next() {
        None => false,
        Some(c) => {
            let start = |c: char| {
                c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && in_table(ut::ID_START, c))
            };
            let cont = |c: char| {
                c.is_ascii_alphanumeric()
                    || c == '_'
                    || (!c.is_ascii() && in_table(ut::ID_CONTINUE, c))
            };
            start(c) && it.all(cont)
        }
    };
    Ok(Value::bool(ok))
}

fn str_islower(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "islower")?;
    let mut cased = false;
    for c in s.s.chars() {
        if is_upper(c) || is_titlecase(c) {
            return Ok(Value::Bool(Truth::False));
        }
        if is_lower(c) {
            cased = true;
        }
    }
    Ok(Value::bool(cased))
}

fn str_isupper(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "isupper")?;
    let mut cased = false;
    for c in s.s.chars() {
        if is_lower(c) || is_titlecase(c) {
            return Ok(Value::Bool(Truth::False));
        }
        if is_upper(c) {
            cased = true;
        }
    }
    Ok(Value::bool(cased))
}

fn str_istitle(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "istitle")?;
    let mut cased = false;
    let mut prev_cased = false;
    for c in s.s.chars() {
        if is_upper(c) || is_titlecase(c) {
            if prev_cased {
                return Ok(Value::Bool(Truth::False));
            }
            prev_cased = true;
            cased = true;
        } else if is_lower(c) {
            if !prev_cased {
                return Ok(Value::Bool(Truth::False));
            }
            prev_cased = true;
            cased = true;
        } else {
            prev_cased = false;
        }
    }
    Ok(Value::bool(cased))
}

// ----- searching -----------------------------------------------------------

/// Parses `(sub[, start[, end]])` for find-like methods.
fn find_args(
    vm: &mut Vm,
    args: &[Value],
    kw: &[(Sym, Value)],
    name: &str,
) -> Res<(Rc<StrObj>, Rc<StrObj>, i64, i64)> {
    no_kwargs(name, kw)?;
    let s = this(args, name)?;
    check_args(name, &args[1..], 1, 3)?;
    let sub = str_arg(&args[1])?;
    let (start, end) = adjust_indices(vm, args.get(2), args.get(3), s.char_len())?;
    Ok((s, sub, start, end))
}

fn find_impl(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], name: &str, rev: bool) -> Res<i64> {
    let (s, sub, start, end) = find_args(vm, args, kw, name)?;
    if end - start < sub.char_len() as i64 {
        return Ok(-1);
    }
    let (a, b) = byte_range(&s, start, end);
    let hay = &s.s[a..b];
    let found = if rev {
        hay.rfind(&*sub.s)
    } else {
        hay.find(&*sub.s)
    };
    Ok(match found {
        Some(p) => char_index(&s, a + p) as i64,
        None => -1,
    })
}

fn str_find(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    find_impl(vm, args, kw, "find", false).map(Value::Int)
}
fn str_rfind(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    find_impl(vm, args, kw, "rfind", true).map(Value::Int)
}
fn str_index(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    match find_impl(vm, args, kw, "index", false)? {
        -1 => Err(Error::value_error("substring not found")),
        i => Ok(Value::Int(i)),
    }
}
fn str_rindex(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    match find_impl(vm, args, kw, "rindex", true)? {
        -1 => Err(Error::value_error("substring not found")),
        i => Ok(Value::Int(i)),
    }
}

fn str_count(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (s, sub, start, end) = find_args(vm, args, kw, "count")?;
    if end - start < sub.char_len() as i64 {
        return Ok(Value::Int(0));
    }
    if sub.s.is_empty() {
        return Ok(Value::Int(end - start + 1));
    }
    let (a, b) = byte_range(&s, start, end);
    let hay = &s.s[a..b];
    Ok(Value::Int(hay.matches(&*sub.s).count() as i64))
}

fn tail_match(
    vm: &mut Vm,
    args: &[Value],
    kw: &[(Sym, Value)],
    name: &str,
    at_end: bool,
) -> Res<Value> {
    no_kwargs(name, kw)?;
    let s = this(args, name)?;
    check_args(name, &args[1..], 1, 3)?;
    let (start, end) = adjust_indices(vm, args.get(2), args.get(3), s.char_len())?;
    let check = |p: &StrObj| -> bool {
        if end - start < p.char_len() as i64 {
            return false;
        }
        let (a, b) = byte_range(&s, start, end);
        let hay = &s.s[a..b];
        if at_end {
            hay.ends_with(&*p.s)
        } else {
            hay.starts_with(&*p.s)
        }
    };
    match &args[1] {
        Value::Tuple(t) => {
            for p in t.items.iter() {
                let p = str_of(p).ok_or_else(|| {
                    Error::type_error(format!(
                        "tuple for {name} must only contain str, not {}",
                        p.type_name()
                    ))
                })?;
                if check(&p) {
                    return Ok(Value::Bool(Truth::True));
                }
            }
            Ok(Value::Bool(Truth::False))
        }
        v => {
            let p = str_of(v).ok_or_else(|| {
                Error::type_error(format!(
                    "{name} first arg must be str or a tuple of str, not {}",
                    v.type_name()
                ))
            })?;
            Ok(Value::bool(check(&p)))
        }
    }
}

fn str_startswith(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    tail_match(vm, args, kw, "startswith", false)
}
fn str_endswith(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    tail_match(vm, args, kw, "endswith", true)
}

// ----- padding -------------------------------------------------------------

fn fill_char(v: Option<&Value>) -> Res<char> {
    match v {
        None => Ok(' '),
        Some(v) => {
            let s = str_of(v).ok_or_else(|| {
                Error::type_error(format!(
                    "The fill character must be a unicode character, not {}",
                    v.type_name()
                ))
            })?;
            let mut it = s.s.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Ok(c),
                _ => Err(Error::type_error(
                    "The fill character must be exactly one character long",
                )),
            }
        }
    }
}

fn pad(s: &StrObj, left: usize, right: usize, fill: char) -> Value {
    let mut out = String::with_capacity(s.s.len() + (left + right) * fill.len_utf8());
    out.extend(std::iter::repeat_n(fill, left));
    out.push_str(&s.s);
    out.extend(std::iter::repeat_n(fill, right));
    Value::string(out)
}

/// (self, padding, fill) of a padding call.
type PadArgs = (Rc<StrObj>, usize, char);

/// Returns (self, width, fill) or the unchanged string when no padding is
/// needed.
fn pad_args(
    vm: &mut Vm,
    args: &[Value],
    kw: &[(Sym, Value)],
    name: &str,
) -> Res<Result<PadArgs, Value>> {
    no_kwargs(name, kw)?;
    let s = this(args, name)?;
    clinic_args(name, args, 1, 2)?;
    let width = size_limit(index_arg(vm, &args[1])?)?;
    let fill = fill_char(args.get(2))?;
    let len = s.char_len() as i64;
    if width <= len {
        return Ok(Err(Value::Str(s)));
    }
    Ok(Ok((s, (width - len) as usize, fill)))
}

fn str_ljust(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(match pad_args(vm, args, kw, "ljust")? {
        Ok((s, n, f)) => pad(&s, 0, n, f),
        Err(v) => v,
    })
}
fn str_rjust(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(match pad_args(vm, args, kw, "rjust")? {
        Ok((s, n, f)) => pad(&s, n, 0, f),
        Err(v) => v,
    })
}
fn str_center(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(match pad_args(vm, args, kw, "center")? {
        Ok((s, marg, f)) => {
            let width = marg + s.char_len();
            // CPython's rounding: odd margins favour the left when the
            // width is odd.
            let left = marg / 2 + (marg & width & 1);
            pad(&s, left, marg - left, f)
        }
        Err(v) => v,
    })
}

fn str_zfill(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("zfill", kw)?;
    let s = this(args, "zfill")?;
    check_args("zfill", &args[1..], 1, 1)?;
    let width = size_limit(index_arg(vm, &args[1])?)?;
    let len = s.char_len() as i64;
    if width <= len {
        return Ok(Value::Str(s));
    }
    let n = (width - len) as usize;
    let mut out = String::with_capacity(s.s.len() + n);
    let rest = match s.s.as_bytes().first() {
        Some(b'+') | Some(b'-') => {
            out.push_str(&s.s[..1]);
            &s.s[1..]
        }
        _ => &s.s[..],
    };
    out.extend(std::iter::repeat_n('0', n));
    out.push_str(rest);
    Ok(Value::string(out))
}

fn str_expandtabs(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "expandtabs")?;
    let p = bind("expandtabs", args, kw, &["tabsize"])?;
    let tab = match p[0] {
        Some(v) => index_arg(vm, v)?,
        None => 8,
    };
    let mut out = String::with_capacity(s.s.len());
    let mut col: i64 = 0;
    for c in s.s.chars() {
        match c {
            '\t' => {
                if tab > 0 {
                    let n = tab - col % tab;
                    size_limit(out.len() as i64 + n)?;
                    out.extend(std::iter::repeat_n(' ', n as usize));
                    col += n;
                }
            }
            '\n' | '\r' => {
                out.push(c);
                col = 0;
            }
            _ => {
                out.push(c);
                col += 1;
            }
        }
    }
    Ok(Value::string(out))
}

// ----- strip / prefix --------------------------------------------------------

fn strip_impl(
    args: &[Value],
    kw: &[(Sym, Value)],
    name: &str,
    left: bool,
    right: bool,
) -> Res<Value> {
    no_kwargs(name, kw)?;
    let s = this(args, name)?;
    clinic_args(name, args, 0, 1)?;
    let chars = match args.get(1) {
        None | Some(Value::None) => None,
        Some(v) => Some(
            str_of(v)
                .ok_or_else(|| Error::type_error(format!("{name} arg must be None or str")))?,
        ),
    };
    let t: &str = &s.s;
    let r = match &chars {
        None => {
            let t = if left {
                t.trim_start_matches(is_space)
            } else {
                t
            };
            if right {
                t.trim_end_matches(is_space)
            } else {
                t
            }
        }
        Some(cs) => {
            let set: &str = &cs.s;
            let pred = |c: char| set.contains(c);
            let t = if left { t.trim_start_matches(pred) } else { t };
            if right {
                t.trim_end_matches(pred)
            } else {
                t
            }
        }
    };
    if r.len() == s.s.len() {
        return Ok(Value::Str(s));
    }
    Ok(Value::str(r))
}

fn str_strip(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    strip_impl(args, kw, "strip", true, true)
}
fn str_lstrip(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    strip_impl(args, kw, "lstrip", true, false)
}
fn str_rstrip(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    strip_impl(args, kw, "rstrip", false, true)
}

fn str_removeprefix(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("removeprefix", kw)?;
    let s = this(args, "removeprefix")?;
    check_args("removeprefix", &args[1..], 1, 1)?;
    let p = str_arg_named(&args[1], "removeprefix() argument")?;
    Ok(match s.s.strip_prefix(&*p.s) {
        Some(r) if !p.s.is_empty() => Value::str(r),
        _ => Value::Str(s),
    })
}

fn str_removesuffix(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("removesuffix", kw)?;
    let s = this(args, "removesuffix")?;
    check_args("removesuffix", &args[1..], 1, 1)?;
    let p = str_arg_named(&args[1], "removesuffix() argument")?;
    Ok(match s.s.strip_suffix(&*p.s) {
        Some(r) if !p.s.is_empty() => Value::str(r),
        _ => Value::Str(s),
    })
}

// ----- split / join / partition ----------------------------------------------

fn split_args(
    vm: &mut Vm,
    args: &[Value],
    kw: &[(Sym, Value)],
    name: &str,
) -> Res<(Rc<StrObj>, Option<Rc<StrObj>>, i64)> {
    let s = this(args, name)?;
    let p = bind(name, args, kw, &["sep", "maxsplit"])?;
    let sep = match p[0] {
        None | Some(Value::None) => None,
        Some(v) => {
            let sep = str_of(v).ok_or_else(|| {
                Error::type_error(format!("must be str or None, not {}", v.type_name()))
            })?;
            if sep.s.is_empty() {
                return Err(Error::value_error("empty separator"));
            }
            Some(sep)
        }
    };
    let maxsplit = match p[1] {
        Some(v) => index_arg(vm, v)?,
        None => -1,
    };
    Ok((s, sep, maxsplit))
}

fn split_whitespace_ascii(s: &str, maxsplit: i64) -> Vec<Value> {
    let b = s.as_bytes();
    let sp = |x: u8| matches!(x, b'\t'..=b'\r' | 0x1c..=0x20);
    let mut out = Vec::with_capacity(8);
    let mut i = 0;
    loop {
        while i < b.len() && sp(b[i]) {
            i += 1;
        }
        if i == b.len() {
            break;
        }
        if maxsplit >= 0 && out.len() as i64 >= maxsplit {
            out.push(Value::str(&s[i..]));
            break;
        }
        let start = i;
        while i < b.len() && !sp(b[i]) {
            i += 1;
        }
        out.push(Value::str(&s[start..i]));
    }
    out
}

fn split_whitespace(s: &str, maxsplit: i64) -> Vec<Value> {
    if s.is_ascii() {
        return split_whitespace_ascii(s, maxsplit);
    }
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches(is_space);
        if rest.is_empty() {
            break;
        }
        if maxsplit >= 0 && out.len() as i64 >= maxsplit {
            out.push(Value::str(rest));
            break;
        }
        match rest.find(is_space) {
            Some(i) => {
                out.push(Value::str(&rest[..i]));
                rest = &rest[i..];
            }
            None => {
                out.push(Value::str(rest));
                break;
            }
        }
    }
    out
}

fn rsplit_whitespace(s: &str, maxsplit: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_end_matches(is_space);
        if rest.is_empty() {
            break;
        }
        if maxsplit >= 0 && out.len() as i64 >= maxsplit {
            out.push(Value::str(rest));
            break;
        }
        match rest.rfind(is_space) {
            Some(i) => {
                let w = rest[i..].chars().next().map_or(1, char::len_utf8);
                out.push(Value::str(&rest[i + w..]));
                rest = &rest[..i];
            }
            None => {
                out.push(Value::str(rest));
                break;
            }
        }
    }
    out.reverse();
    out
}

fn str_split(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (s, sep, maxsplit) = split_args(vm, args, kw, "split")?;
    let items: Vec<Value> = match sep {
        None => split_whitespace(&s.s, maxsplit),
        Some(sep) => {
            if maxsplit < 0 {
                s.s.split(&*sep.s).map(Value::str).collect()
            } else {
                let n = (maxsplit as u64).saturating_add(1).min(usize::MAX as u64) as usize;
                s.s.splitn(n, &*sep.s).map(Value::str).collect()
            }
        }
    };
    Ok(Value::list(items))
}

fn str_rsplit(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (s, sep, maxsplit) = split_args(vm, args, kw, "rsplit")?;
    let items: Vec<Value> = match sep {
        None => rsplit_whitespace(&s.s, maxsplit),
        Some(sep) => {
            let mut v: Vec<Value> = if maxsplit < 0 {
                s.s.rsplit(&*sep.s).map(Value::str).collect()
            } else {
                let n = (maxsplit as u64).saturating_add(1).min(usize::MAX as u64) as usize;
                s.s.rsplitn(n, &*sep.s).map(Value::str).collect()
            };
            v.reverse();
            v
        }
    };
    Ok(Value::list(items))
}

/// Length of the line break starting at byte [i] (0 if none).
fn line_break_len(b: &[u8], i: usize) -> usize {
    match (b[i], b.get(i + 1), b.get(i + 2)) {
        (b'\r', Some(b'\n'), _) => 2,
        (b'\r' | b'\n' | 0x0b | 0x0c | 0x1c | 0x1d | 0x1e, _, _) => 1,
        // U+0085, U+2028, U+2029 in UTF-8.
        (0xc2, Some(0x85), _) => 2,
        (0xe2, Some(0x80), Some(0xa8 | 0xa9)) => 3,
        _ => 0,
    }
}

fn str_splitlines(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "splitlines")?;
    let p = bind("splitlines", args, kw, &["keepends"])?;
    let keep = match p[0] {
        Some(v) => index_arg(vm, v)? != 0,
        None => false,
    };
    let t: &str = &s.s;
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let n = line_break_len(b, i);
        if n == 0 {
            i += 1;
            continue;
        }
        let end = if keep { i + n } else { i };
        out.push(Value::str(&t[start..end]));
        i += n;
        start = i;
    }
    if start < b.len() {
        out.push(Value::str(&t[start..]));
    }
    Ok(Value::list(out))
}

fn str_join(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("join", kw)?;
    let sep = this(args, "join")?;
    check_args("str.join", &args[1..], 1, 1)?;
    let items: Vec<Value> = match &args[1] {
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
    let mut parts = Vec::with_capacity(items.len());
    let mut total = sep.s.len() * items.len().saturating_sub(1);
    for (i, x) in items.iter().enumerate() {
        match str_of(x) {
            Some(p) => {
                total += p.s.len();
                parts.push(p);
            }
            None => {
                return Err(Error::type_error(format!(
                    "sequence item {i}: expected str instance, {} found",
                    x.type_name()
                )))
            }
        }
    }
    if parts.len() == 1 && matches!(items[0], Value::Str(_)) {
        return Ok(items[0].clone());
    }
    let mut out = String::with_capacity(total);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep.s);
        }
        out.push_str(&p.s);
    }
    Ok(Value::string(out))
}

fn partition_impl(args: &[Value], kw: &[(Sym, Value)], name: &str, rev: bool) -> Res<Value> {
    no_kwargs(name, kw)?;
    let s = this(args, name)?;
    check_args(name, &args[1..], 1, 1)?;
    let sep = str_arg(&args[1])?;
    if sep.s.is_empty() {
        return Err(Error::value_error("empty separator"));
    }
    let found = if rev {
        s.s.rfind(&*sep.s)
    } else {
        s.s.find(&*sep.s)
    };
    Ok(match found {
        Some(i) => Value::tuple(vec![
            Value::str(&s.s[..i]),
            Value::Str(sep.clone()),
            Value::str(&s.s[i + sep.s.len()..]),
        ]),
        None if rev => Value::tuple(vec![Value::str(""), Value::str(""), Value::Str(s)]),
        None => Value::tuple(vec![Value::Str(s), Value::str(""), Value::str("")]),
    })
}

fn str_partition(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    partition_impl(args, kw, "partition", false)
}
fn str_rpartition(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    partition_impl(args, kw, "rpartition", true)
}

// ----- replace / translate ---------------------------------------------------

fn str_replace(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("replace", kw)?;
    let s = this(args, "replace")?;
    clinic_args("replace", args, 2, 3)?;
    let old = str_arg_named(&args[1], "replace() argument 1")?;
    let new = str_arg_named(&args[2], "replace() argument 2")?;
    let count = match args.get(3) {
        Some(v) => index_arg(vm, v)?,
        None => -1,
    };
    if count == 0 {
        return Ok(Value::Str(s));
    }
    if old.s.is_empty() {
        // Insert [new] before every char and at the end, [count] times.
        let slots = s.char_len() as i64 + 1;
        let n = if count < 0 { slots } else { count.min(slots) } as usize;
        let mut out = String::with_capacity(s.s.len() + n * new.s.len());
        let mut done = 0;
        for c in s.s.chars() {
            if done < n {
                out.push_str(&new.s);
                done += 1;
            }
            out.push(c);
        }
        if done < n {
            out.push_str(&new.s);
        }
        return Ok(Value::string(out));
    }
    if !s.s.contains(&*old.s) {
        return Ok(Value::Str(s));
    }
    Ok(Value::string(if count < 0 {
        s.s.replace(&*old.s, &new.s)
    } else {
        s.s.replacen(&*old.s, &new.s, count as usize)
    }))
}

fn str_translate(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("translate", kw)?;
    let s = this(args, "translate")?;
    check_args("translate", &args[1..], 1, 1)?;
    let table = args[1].clone();
    let mut out = String::with_capacity(s.s.len());
    for c in s.s.chars() {
        let key = Value::Int(c as i64);
        let r = match &table {
            Value::Dict(d) => vm.dict_get(d, &key)?,
            t => match vm.getitem(t, &key) {
                Ok(v) => Some(v),
                Err(e) if vm.error_is(&e, ExcType::LookupError) => None,
                Err(e) => return Err(e),
            },
        };
        match r {
            None => out.push(c),
            Some(Value::None) => {}
            Some(Value::Int(i)) => match u32::try_from(i).ok().and_then(char::from_u32) {
                Some(ch) => out.push(ch),
                None => {
                    return Err(Error::value_error(
                        "character mapping must be in range(0x110000)",
                    ))
                }
            },
            Some(v) => match str_of(&v) {
                Some(t) => out.push_str(&t.s),
                None => {
                    return Err(Error::type_error(
                        "character mapping must return integer, None or str",
                    ))
                }
            },
        }
    }
    Ok(Value::string(out))
}

fn str_maketrans(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("maketrans", kw)?;
    if args.is_empty() || args.len() > 3 {
        return Err(Error::type_error(format!(
            "maketrans() takes {} ({} given)",
            if args.is_empty() {
                "at least 1 argument"
            } else {
                "at most 3 arguments"
            },
            args.len()
        )));
    }
    let out = Value::dict(Dict::new());
    let Value::Dict(d) = &out else {
        return Ok(out);
    };
    if args.len() == 1 {
        let src = match &args[0] {
            Value::Dict(src) => src.d.borrow().items(),
            v => match payload_of(v) {
                Some(Value::Dict(src)) => src.d.borrow().items(),
                _ => {
                    return Err(Error::type_error(
                        "if you give only one argument to maketrans it must be a dict",
                    ))
                }
            },
        };
        for (k, v) in src {
            let key = match &k {
                Value::Int(_) => k.clone(),
                Value::Bool(b) => Value::Int(*b as i64),
                _ => match str_of(&k) {
                    Some(s) => {
                        let mut it = s.s.chars();
                        match (it.next(), it.next()) {
                            (Some(c), None) => Value::Int(c as i64),
                            _ => {
                                return Err(Error::value_error(
                                    "string keys in translate table must be of length 1",
                                ))
                            }
                        }
                    }
                    None => {
                        return Err(Error::type_error(
                            "keys in translate table must be strings or integers",
                        ))
                    }
                },
            };
            vm.dict_set(d, key, v)?;
        }
        return Ok(out);
    }
    let y = str_arg_named(&args[1], "maketrans() argument 2")?;
    let z = match args.get(2) {
        Some(v) => Some(str_arg_named(v, "maketrans() argument 3")?),
        None => None,
    };
    let x = str_of(&args[0]).ok_or_else(|| {
        Error::type_error("first maketrans argument must be a string if there is a second argument")
    })?;
    if x.char_len() != y.char_len() {
        return Err(Error::value_error(
            "the first two maketrans arguments must have equal length",
        ));
    }
    for (a, b) in x.s.chars().zip(y.s.chars()) {
        vm.dict_set(d, Value::Int(a as i64), Value::Int(b as i64))?;
    }
    if let Some(z) = z {
        for c in z.s.chars() {
            vm.dict_set(d, Value::Int(c as i64), Value::None)?;
        }
    }
    Ok(out)
}

// ----- encode / format -------------------------------------------------------

/// The codecs con implements.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Utf8,
    Ascii,
    Latin1,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::Utf8 => "utf-8",
            Codec::Ascii => "ascii",
            Codec::Latin1 => "latin-1",
        }
    }
}

/// Finds a codec by any of Python's aliases.
pub fn lookup_codec(name: &str) -> Res<Codec> {
    let n: String = name
        .trim()
        .chars()
        .map(|c| {
            if c == '_' || c == ' ' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    Ok(match n.as_str() {
        "utf-8" | "utf8" | "u8" | "utf" | "cp65001" => Codec::Utf8,
        "ascii" | "us-ascii" | "646" | "us" | "ansi-x3.4-1968" => Codec::Ascii,
        "latin-1" | "latin1" | "latin" | "l1" | "iso-8859-1" | "iso8859-1" | "8859" | "cp819"
        | "iso-ir-100" => Codec::Latin1,
        _ => {
            return Err(Error::new(
                ExcType::LookupError,
                format!("unknown encoding: {name}"),
            ))
        }
    })
}

pub fn unknown_handler(errors: &str) -> Error {
    Error::new(
        ExcType::LookupError,
        format!("unknown error handler name '{errors}'"),
    )
}

/// A UnicodeEncodeError/UnicodeDecodeError carrying its attributes.
#[allow(clippy::too_many_arguments)]
pub fn unicode_error(
    vm: &mut Vm,
    t: ExcType,
    msg: String,
    encoding: &str,
    object: Value,
    start: usize,
    end: usize,
    reason: &str,
) -> Error {
    let cls = vm.types.exc(t);
    let exc = vm.new_exception(&cls, vec![Value::string(msg)]);
    let attrs = [
        (vm.intern_static("encoding"), Value::str(encoding)),
        (vm.intern_static("object"), object),
        (vm.intern_static("start"), Value::Int(start as i64)),
        (vm.intern_static("end"), Value::Int(end as i64)),
        (vm.intern_static("reason"), Value::str(reason)),
    ];
    if let Value::Instance(i) = &exc {
        let mut d = i.dict.borrow_mut();
        for (k, v) in attrs {
            d.insert(k, v);
        }
    }
    Error::Raised(exc)
}

fn char_escape(c: char) -> String {
    let u = c as u32;
    if u < 0x100 {
        format!("\\x{u:02x}")
    } else if u < 0x10000 {
        format!("\\u{u:04x}")
    } else {
        format!("\\U{u:08x}")
    }
}

/// Encodes [s] with [codec] and error handler [errors].
pub fn encode_str(vm: &mut Vm, s: &Rc<StrObj>, codec: Codec, errors: &str) -> Res<Vec<u8>> {
    let limit: u32 = match codec {
        Codec::Utf8 => return Ok(s.s.as_bytes().to_vec()),
        Codec::Ascii => 0x80,
        Codec::Latin1 => 0x100,
    };
    if s.is_ascii() {
        return Ok(s.s.as_bytes().to_vec());
    }
    let chars: Vec<char> = s.s.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if (c as u32) < limit {
            out.push(c as u32 as u8);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && chars[j] as u32 >= limit {
            j += 1;
        }
        let bad = &chars[i..j];
        match errors {
            "strict" => {
                let reason = format!("ordinal not in range({limit})");
                let what = if j - i == 1 {
                    format!("character '{}' in position {i}", char_escape(c))
                } else {
                    format!("characters in position {i}-{}", j - 1)
                };
                let msg = format!("'{}' codec can't encode {what}: {reason}", codec.name());
                return Err(unicode_error(
                    vm,
                    ExcType::UnicodeEncodeError,
                    msg,
                    codec.name(),
                    Value::Str(s.clone()),
                    i,
                    j,
                    &reason,
                ));
            }
            "replace" => out.extend(std::iter::repeat_n(b'?', bad.len())),
            "ignore" => {}
            "backslashreplace" => {
                for &b in bad {
                    out.extend_from_slice(char_escape(b).as_bytes());
                }
            }
            "xmlcharrefreplace" => {
                for &b in bad {
                    out.extend_from_slice(format!("&#{};", b as u32).as_bytes());
                }
            }
            _ => return Err(unknown_handler(errors)),
        }
        i = j;
    }
    Ok(out)
}

fn str_encode(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "encode")?;
    let p = bind("encode", args, kw, &["encoding", "errors"])?;
    let encoding = match p[0] {
        Some(v) => str_arg_named(v, "encode() argument 'encoding'")?,
        None => Rc::new(StrObj::new("utf-8")),
    };
    let errors = match p[1] {
        Some(v) => str_arg_named(v, "encode() argument 'errors'")?,
        None => Rc::new(StrObj::new("strict")),
    };
    let codec = lookup_codec(&encoding.s)?;
    Ok(Value::bytes(encode_str(vm, &s, codec, &errors.s)?))
}

fn str_format_m(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "format")?;
    let r = crate::vm::format::str_format(vm, &s.s, &args[1..], kw)?;
    Ok(Value::string(r))
}

/// The names of the keyword fields of a format string (nested ones too).
fn field_names(fmt: &str, out: &mut Vec<String>) {
    let b = fmt.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' if b.get(i + 1) == Some(&b'{') => i += 2,
            b'{' => {
                // Find the matching close brace.
                let start = i + 1;
                let mut depth = 1;
                let mut j = start;
                while j < b.len() && depth > 0 {
                    match b[j] {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                let end = if depth == 0 { j - 1 } else { b.len() };
                let field = &fmt[start..end];
                let name_end = field.find(['.', '[', '!', ':']).unwrap_or(field.len());
                let name = &field[..name_end];
                if !name.is_empty()
                    && !name.bytes().all(|c| c.is_ascii_digit())
                    && !out.iter().any(|n| n == name)
                {
                    out.push(name.to_string());
                }
                if let Some(colon) = field[name_end..].find(':') {
                    field_names(&field[name_end + colon + 1..], out);
                }
                i = j;
            }
            _ => i += 1,
        }
    }
}

fn str_format_map(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("format_map", kw)?;
    let s = this(args, "format_map")?;
    check_args("format_map", &args[1..], 1, 1)?;
    let mapping = args[1].clone();
    let mut names = Vec::new();
    field_names(&s.s, &mut names);
    let mut kwargs = Vec::with_capacity(names.len());
    for n in names {
        let v = vm.getitem(&mapping, &Value::str(&n))?;
        kwargs.push((vm.intern(&n), v));
    }
    let r = crate::vm::format::str_format(vm, &s.s, &[], &kwargs)?;
    Ok(Value::string(r))
}

// ----- dunders ---------------------------------------------------------------

fn str_len(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__len__")?;
    Ok(Value::Int(s.char_len() as i64))
}

fn str_contains(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__contains__")?;
    one_operand(args)?;
    match str_of(&args[1]) {
        Some(sub) => Ok(Value::bool(s.s.contains(&*sub.s))),
        None => Err(Error::type_error(format!(
            "'in <string>' requires string as left operand, not {}",
            args[1].type_name()
        ))),
    }
}

fn str_getitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__getitem__")?;
    one_operand(args)?;
    vm.getitem(&Value::Str(s), &args[1])
}

fn str_add(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__add__")?;
    one_operand(args)?;
    match str_of(&args[1]) {
        Some(o) => {
            let mut r = String::with_capacity(s.s.len() + o.s.len());
            r.push_str(&s.s);
            r.push_str(&o.s);
            Ok(Value::string(r))
        }
        None => Err(Error::type_error(format!(
            "can only concatenate str (not \"{}\") to str",
            args[1].type_name()
        ))),
    }
}

fn str_mul(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__mul__")?;
    one_operand(args)?;
    let n = index_arg(vm, &args[1])?;
    vm.binary(crate::syntax::ast::BinOp::Mul, Value::Str(s), Value::Int(n))
}

fn str_mod(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__mod__")?;
    one_operand(args)?;
    let r = crate::vm::format::percent_format(vm, &s.s, &args[1])?;
    Ok(Value::string(r))
}

fn cmp_impl(vm: &mut Vm, args: &[Value], name: &str, f: fn(Ordering) -> bool) -> Res<Value> {
    let s = this(args, name)?;
    check_args(name, &args[1..], 1, 1)?;
    match str_of(&args[1]) {
        Some(o) => Ok(Value::bool(f(s.s.cmp(&o.s)))),
        None => Ok(vm.types.not_implemented.clone()),
    }
}

fn str_eq(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__eq__", |o| o == Ordering::Equal)
}
fn str_ne(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__ne__", |o| o != Ordering::Equal)
}
fn str_lt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__lt__", |o| o == Ordering::Less)
}
fn str_le(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__le__", |o| o != Ordering::Greater)
}
fn str_gt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__gt__", |o| o == Ordering::Greater)
}
fn str_ge(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    cmp_impl(vm, args, "__ge__", |o| o != Ordering::Less)
}

fn str_hash(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__hash__")?;
    Ok(Value::Int(vm.hash(&Value::Str(s))? as i64))
}

fn str_iter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__iter__")?;
    vm.get_iter(&Value::Str(s))
}

fn str_str(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Str(this(args, "__str__")?))
}

fn str_repr_m(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__repr__")?;
    Ok(Value::string(crate::vm::repr::str_repr(&s.s)))
}

fn str_format_dunder(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(args, "__format__")?;
    one_operand(args)?;
    let spec = str_of(&args[1]).ok_or_else(|| {
        Error::type_error(format!(
            "__format__() argument must be str, not {}",
            args[1].type_name()
        ))
    })?;
    Ok(Value::string(vm.format(&Value::Str(s), &spec.s)?))
}

/// Refuses result sizes CPython could not allocate either.
fn size_limit(n: i64) -> Res<i64> {
    if n > crate::vm::ops::MAX_SEQ as i64 {
        return Err(Error::memory_error(""));
    }
    Ok(n)
}
