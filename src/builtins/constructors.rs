//! Constructors of the built-in types (`int(...)`, `list(...)`, ...) and
//! the iterator-building builtins (`enumerate`, `zip`, `map`, ...).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use num_bigint::BigInt;

use super::functions::{fn_iter, new_classmethod, new_property, new_staticmethod};
use super::{add_fn, add_method, arg_or_kw, check_args, kwarg};
use crate::vm::descr::Property;
use crate::vm::dict::Dict;
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn install(vm: &mut Vm) {
    let t = &vm.types;
    let ctors: Vec<(Rc<ClassObj>, NativeFnPtr)> = vec![
        (t.int.clone(), int_new),
        (t.bool_.clone(), bool_new),
        (t.float.clone(), float_new),
        (t.str_.clone(), str_new),
        (t.list.clone(), list_new),
        (t.tuple.clone(), tuple_new),
        (t.dict.clone(), dict_new),
        (t.set.clone(), set_new),
        (t.frozenset.clone(), frozenset_new),
        (t.bytes.clone(), bytes_new),
        (t.bytearray.clone(), bytearray_new),
        (t.range.clone(), range_new),
        (t.slice.clone(), slice_new),
        (t.object.clone(), object_new),
        (t.type_.clone(), type_new),
        (t.base_exception.clone(), exc_new),
    ];
    for (c, f) in ctors {
        add_method(vm, &c, "__new__", f);
    }
    let t = &vm.types;
    let (list, dict, set, exc, object) = (
        t.list.clone(),
        t.dict.clone(),
        t.set.clone(),
        t.base_exception.clone(),
        t.object.clone(),
    );
    add_method(vm, &list, "__init__", list_init);
    add_method(vm, &dict, "__init__", dict_init);
    add_method(vm, &set, "__init__", set_init);
    add_method(vm, &exc, "__init__", exc_init);
    add_method(vm, &exc, "with_traceback", exc_with_traceback);
    add_method(vm, &exc, "add_note", exc_add_note);
    add_method(vm, &object, "__init__", object_init);
    let slice = vm.types.slice.clone();
    add_method(vm, &slice, "indices", slice_indices);
    add_method(vm, &object, "__eq__", object_eq);
    add_method(vm, &object, "__ne__", object_ne);
    add_method(vm, &object, "__hash__", object_hash);
    add_method(vm, &object, "__repr__", object_repr);
    add_method(vm, &object, "__str__", object_str);
    add_method(vm, &object, "__format__", object_format);
    add_method(vm, &object, "__setattr__", object_setattr);
    add_method(vm, &object, "__getattribute__", object_getattribute);
    add_method(vm, &object, "__delattr__", object_delattr);
    add_method(vm, &object, "__init_subclass__", object_init_subclass);
    let type_ = vm.types.type_.clone();
    add_method(vm, &type_, "mro", type_mro);
    add_method(vm, &type_, "__subclasses__", type_subclasses);

    // Descriptor types as real classes, so `@property` and `x.setter` work.
    let prop = crate::vm::types::new_class(
        "property",
        vec![vm.types.object.clone()],
        Builtin::Object,
        true,
    );
    add_method(vm, &prop, "__new__", property_new);
    add_method(vm, &prop, "setter", property_setter);
    add_method(vm, &prop, "getter", property_getter);
    add_method(vm, &prop, "deleter", property_deleter);
    add_method(vm, &prop, "__get__", property_get);
    let sm = crate::vm::types::new_class(
        "staticmethod",
        vec![vm.types.object.clone()],
        Builtin::Object,
        true,
    );
    add_method(vm, &sm, "__new__", staticmethod_new);
    let cm = crate::vm::types::new_class(
        "classmethod",
        vec![vm.types.object.clone()],
        Builtin::Object,
        true,
    );
    add_method(vm, &cm, "__new__", classmethod_new);
    let sup = crate::vm::types::new_class(
        "super",
        vec![vm.types.object.clone()],
        Builtin::Object,
        true,
    );
    add_method(vm, &sup, "__new__", super_new);

    let b = vm.builtins.clone();
    let t = &vm.types;
    for c in [
        &t.int,
        &t.bool_,
        &t.float,
        &t.str_,
        &t.list,
        &t.tuple,
        &t.dict,
        &t.set,
        &t.frozenset,
        &t.bytes,
        &t.bytearray,
        &t.range,
        &t.slice,
        &t.object,
        &t.type_,
    ] {
        b.set(&c.name.clone(), Value::Class(c.clone()));
    }
    for c in [prop, sm, cm, sup] {
        b.set(&c.name.clone(), Value::Class(c));
    }
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("enumerate", enumerate),
        ("zip", zip),
        ("map", map),
        ("filter", filter),
        ("reversed", reversed),
    ];
    for (name, f) in fns {
        add_fn(vm, &b, name, *f);
    }
}

// ----- numbers -----------------------------------------------------------

/// Parses an integer literal as `int(s, base)` does.
pub fn parse_int(s: &str, base: u32) -> Option<BigInt> {
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = t.to_ascii_lowercase();
    let (base, digits) = {
        let pref = |p: &str| lower.strip_prefix(p).map(|r| &t[t.len() - r.len()..]);
        match base {
            0 => {
                if let Some(r) = pref("0x") {
                    (16, r)
                } else if let Some(r) = pref("0o") {
                    (8, r)
                } else if let Some(r) = pref("0b") {
                    (2, r)
                } else {
                    if t.len() > 1 && t.starts_with('0') && t.chars().any(|c| c != '0' && c != '_')
                    {
                        return None;
                    }
                    (10, t)
                }
            }
            16 => (16, pref("0x").unwrap_or(t)),
            8 => (8, pref("0o").unwrap_or(t)),
            2 => (2, pref("0b").unwrap_or(t)),
            b => (b, t),
        }
    };
    let digits = digits
        .strip_prefix('_')
        .filter(|_| base != 10 || s.trim().len() != digits.len())
        .unwrap_or(digits);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if !clean.chars().all(|c| c.is_digit(base)) {
        return None;
    }
    let v = BigInt::parse_bytes(clean.as_bytes(), base)?;
    Some(if neg { -v } else { v })
}

fn int_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("int", args, 0, 2)?;
    let base = arg_or_kw(args, kw, 1, "base").cloned();
    let Some(x) = args.first() else {
        return Ok(Value::Int(0));
    };
    if let Some(b) = base {
        let b = vm.index_value(&b)?;
        if b != 0 && !(2..=36).contains(&b) {
            return Err(Error::value_error(
                "int() base must be >= 2 and <= 36, or 0",
            ));
        }
        let s = match x {
            Value::Str(s) => s.s.to_string(),
            Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            _ => {
                return Err(Error::type_error(
                    "int() can't convert non-string with explicit base",
                ))
            }
        };
        return int_from_str(&s, b as u32);
    }
    match x {
        Value::Int(_) | Value::BigInt(_) => Ok(x.clone()),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::Float(f) => float_to_int(f.get()),
        Value::Str(s) => int_from_str(&s.s, 10),
        Value::Bytes(b) => int_from_str(&String::from_utf8_lossy(b), 10),
        _ => {
            for name in ["__int__", "__index__", "__trunc__"] {
                let n = vm.intern(name);
                if let Some(m) = vm.lookup_special(x, &n) {
                    if matches!(x, Value::Instance(_)) {
                        return vm.call(&m, std::slice::from_ref(x), &[]);
                    }
                }
            }
            if let Some(p) = crate::vm::ops::payload_of(x) {
                return int_new(vm, &[Value::None, p], &[]);
            }
            Err(Error::type_error(format!(
                "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                x.type_name()
            )))
        }
    }
}

fn int_from_str(s: &str, base: u32) -> Res<Value> {
    let digits = s.trim().trim_start_matches(['-', '+']).len();
    let limit = crate::vm::repr::max_str_digits();
    if base == 10 && digits > limit {
        return Err(Error::value_error(format!(
            "Exceeds the limit ({limit} digits) for integer string conversion: value has {digits} digits; use sys.set_int_max_str_digits() to increase the limit"
        )));
    }
    match parse_int(s, base) {
        Some(v) => Ok(Value::bigint(v)),
        None => Err(Error::value_error(format!(
            "invalid literal for int() with base {}: {}",
            base,
            crate::vm::repr::str_repr(s)
        ))),
    }
}

pub fn float_to_int(f: f64) -> Res<Value> {
    if f.is_nan() {
        return Err(Error::value_error("cannot convert float NaN to integer"));
    }
    if f.is_infinite() {
        return Err(Error::overflow_error(
            "cannot convert float infinity to integer",
        ));
    }
    let t = f.trunc();
    if t.abs() < 9.2e18 {
        return Ok(Value::Int(t as i64));
    }
    Ok(Value::bigint(
        num_traits::FromPrimitive::from_f64(t).unwrap_or_default(),
    ))
}

fn bool_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("bool", args, 0, 1)?;
    match args.first() {
        Some(v) => Ok(Value::bool(vm.truthy(v)?)),
        None => Ok(Value::Bool(Truth::False)),
    }
}

/// Parses a float as `float(s)` does.
pub fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    let neg = lower.starts_with('-');
    let special = match body {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    };
    if let Some(v) = special {
        return Some(if neg { -v } else { v });
    }
    if t.contains("__")
        || t.starts_with('_')
        || t.ends_with('_')
        || t.contains("_.")
        || t.contains("._")
    {
        return None;
    }
    let clean: String = t.chars().filter(|&c| c != '_').collect();
    if clean.is_empty()
        || !clean
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    clean.parse::<f64>().ok()
}

fn float_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("float", args, 0, 1)?;
    let Some(x) = args.first() else {
        return Ok(Value::float(0.0));
    };
    match x {
        Value::Float(_) => Ok(x.clone()),
        Value::Int(i) => Ok(Value::float(*i as f64)),
        Value::Bool(b) => Ok(Value::float(*b as i64 as f64)),
        Value::BigInt(b) => Ok(Value::float(crate::vm::num::big_to_f64(b)?)),
        Value::Str(s) => parse_float(&s.s).map(Value::float).ok_or_else(|| {
            Error::value_error(format!(
                "could not convert string to float: {}",
                crate::vm::repr::str_repr(&s.s)
            ))
        }),
        _ => {
            for name in ["__float__", "__index__"] {
                let n = vm.intern(name);
                if let Some(m) = vm.lookup_special(x, &n) {
                    if matches!(x, Value::Instance(_)) {
                        let r = vm.call(&m, std::slice::from_ref(x), &[])?;
                        return float_new(vm, &[Value::None, r], &[]);
                    }
                }
            }
            if let Some(p) = crate::vm::ops::payload_of(x) {
                return float_new(vm, &[Value::None, p], &[]);
            }
            Err(Error::type_error(format!(
                "float() argument must be a string or a real number, not '{}'",
                x.type_name()
            )))
        }
    }
}

fn str_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("str", args, 0, 3)?;
    let Some(x) = args.first() else {
        return Ok(Value::str(""));
    };
    let encoding = arg_or_kw(args, kw, 1, "encoding");
    if let (Value::Bytes(_) | Value::ByteArray(_), Some(enc)) = (x, encoding) {
        // str(b, encoding, errors) is b.decode(encoding, errors).
        let mut dargs = vec![enc.clone()];
        dargs.extend(arg_or_kw(args, kw, 2, "errors").cloned());
        return vm.call_method(x, "decode", &dargs);
    }
    if let Value::Str(_) = x {
        return Ok(x.clone());
    }
    Ok(Value::string(vm.to_str(x)?))
}

// ----- containers ----------------------------------------------------------

fn list_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("list", args, 0, 1)?;
    match args.first() {
        Some(x) => Ok(Value::list(vm.iterate(x)?)),
        None => Ok(Value::list(Vec::new())),
    }
}

fn list_init(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("list.__init__", args, 1, 2)?;
    let target = match &args[0] {
        Value::Instance(i) => i.payload.borrow().clone(),
        v => v.clone(),
    };
    if let Value::List(l) = target {
        let items = match args.get(1) {
            Some(x) => vm.iterate(x)?,
            None => Vec::new(),
        };
        *l.items.borrow_mut() = items;
    }
    Ok(Value::None)
}

fn tuple_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("tuple", args, 0, 1)?;
    match args.first() {
        Some(Value::Tuple(_)) => Ok(args[0].clone()),
        Some(x) => Ok(Value::tuple(vm.iterate(x)?)),
        None => Ok(Value::tuple(Vec::new())),
    }
}

/// Fills dict [d] from `dict(mapping_or_pairs, **kw)` arguments.
pub fn dict_fill(vm: &mut Vm, d: &Value, args: &[Value], kw: &[(Sym, Value)]) -> Res<()> {
    if let Some(src) = args.first() {
        let is_mapping = matches!(src, Value::Dict(_))
            || (matches!(src, Value::Instance(_) | Value::Object(_)) && {
                let k = vm.intern_static("keys");
                vm.getattr_opt(src, &k)?.is_some()
            });
        if is_mapping {
            vm.dict_merge(d, src, false)?;
        } else {
            let Value::Dict(dd) = d else { return Ok(()) };
            let it = vm.get_iter(src)?;
            let mut i = 0;
            while let Some(pair) = vm.iter_next(&it)? {
                let kv = vm.iterate(&pair).map_err(|_| {
                    Error::type_error(format!(
                        "cannot convert dictionary update sequence element #{i} to a sequence"
                    ))
                })?;
                if kv.len() != 2 {
                    return Err(Error::value_error(format!(
                        "dictionary update sequence element #{i} has length {}; 2 is required",
                        kv.len()
                    )));
                }
                let mut kv = kv.into_iter();
                let (k, v) = (
                    kv.next().unwrap_or(Value::None),
                    kv.next().unwrap_or(Value::None),
                );
                vm.dict_set(dd, k, v)?;
                i += 1;
            }
        }
    }
    if let Value::Dict(dd) = d {
        for (k, v) in kw {
            vm.dict_set(dd, Value::Str(k.clone()), v.clone())?;
        }
    }
    Ok(())
}

fn dict_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("dict", args, 0, 1)?;
    let d = Value::dict(Dict::new());
    dict_fill(vm, &d, args, kw)?;
    Ok(d)
}

fn dict_init(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let target = match &args[0] {
        Value::Instance(i) => i.payload.borrow().clone(),
        v => v.clone(),
    };
    dict_fill(vm, &target, &args[1..], kw)?;
    Ok(Value::None)
}

fn set_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("set", args, 0, 1)?;
    match args.first() {
        Some(x) => vm.set_from_iter(x, false),
        None => Ok(Value::set(Dict::new())),
    }
}

fn set_init(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let target = match &args[0] {
        Value::Instance(i) => i.payload.borrow().clone(),
        v => v.clone(),
    };
    if let Some(src) = args.get(1) {
        for v in vm.iterate(src)? {
            vm.set_add(&target, v)?;
        }
    }
    Ok(Value::None)
}

fn frozenset_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("frozenset", args, 0, 1)?;
    match args.first() {
        Some(Value::FrozenSet(_)) => Ok(args[0].clone()),
        Some(x) => vm.set_from_iter(x, true),
        None => Ok(Value::frozenset(Dict::new())),
    }
}

fn bytes_from(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], name: &str) -> Res<Vec<u8>> {
    check_args(name, args, 0, 3)?;
    let Some(x) = args.first() else {
        return Ok(Vec::new());
    };
    Ok(match x {
        Value::Str(s) => {
            if arg_or_kw(args, kw, 1, "encoding").is_none() {
                return Err(Error::type_error("string argument without an encoding"));
            }
            s.s.as_bytes().to_vec()
        }
        Value::Int(n) => {
            if *n < 0 {
                return Err(Error::value_error("negative count"));
            }
            if *n as u64 > crate::vm::ops::MAX_SEQ {
                return Err(Error::memory_error("bytes too large"));
            }
            vec![0u8; *n as usize]
        }
        Value::Bytes(b) => (**b).clone(),
        Value::ByteArray(b) => b.borrow().clone(),
        _ => {
            let mut out = Vec::new();
            for v in vm.iterate(x)? {
                let i = vm.index_value(&v)?;
                if !(0..=255).contains(&i) {
                    return Err(Error::value_error("bytes must be in range(0, 256)"));
                }
                out.push(i as u8);
            }
            out
        }
    })
}

fn bytes_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::bytes(bytes_from(vm, &args[1..], kw, "bytes")?))
}

fn bytearray_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::ByteArray(Rc::new(RefCell::new(bytes_from(
        vm,
        &args[1..],
        kw,
        "bytearray",
    )?))))
}

fn range_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    if args.is_empty() {
        return Err(Error::type_error(
            "range expected at least 1 argument, got 0",
        ));
    }
    check_args("range", args, 1, 3)?;
    let mut v = Vec::with_capacity(3);
    for a in args {
        v.push(vm.index_value(a).map_err(|_| {
            Error::type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                a.type_name()
            ))
        })?);
    }
    let (start, stop, step) = match v.len() {
        1 => (0, v[0], 1),
        2 => (v[0], v[1], 1),
        _ => (v[0], v[1], v[2]),
    };
    if step == 0 {
        return Err(Error::value_error("range() arg 3 must not be zero"));
    }
    Ok(Value::Range(Rc::new(RangeObj { start, stop, step })))
}

fn slice_new(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    check_args("slice", args, 1, 3)?;
    let (start, stop, step) = match args.len() {
        1 => (Value::None, args[0].clone(), Value::None),
        2 => (args[0].clone(), args[1].clone(), Value::None),
        _ => (args[0].clone(), args[1].clone(), args[2].clone()),
    };
    Ok(Value::Slice(Rc::new(SliceObj { start, stop, step })))
}

fn slice_indices(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("indices", args, 2, 2)?;
    let Value::Slice(s) = &args[0] else {
        return Err(Error::type_error("indices() needs a slice"));
    };
    let n = vm.index_value(&args[1])?;
    if n < 0 {
        return Err(Error::value_error("length should not be negative"));
    }
    let idx = vm.slice_indices(s, n as usize)?;
    Ok(Value::tuple(vec![
        Value::Int(idx.start),
        Value::Int(idx.stop),
        Value::Int(idx.step),
    ]))
}

// ----- object and type -------------------------------------------------------

fn object_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    match args.first() {
        Some(Value::Class(c)) if !c.is_native || Rc::ptr_eq(c, &vm.types.object) => {
            let c = c.clone();
            if Rc::ptr_eq(&c, &vm.types.object) {
                return Ok(Value::Instance(Rc::new(InstanceObj {
                    gc: crate::vm::gc::GcSlot::new(),
                    class: c,
                    dict: RefCell::new(new_symmap()),
                    payload: RefCell::new(Value::Undef),
                })));
            }
            Ok(vm.new_instance(&c))
        }
        _ => Err(Error::type_error(
            "object.__new__(X): X is not a type object",
        )),
    }
}

fn object_init(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::None)
}

fn object_eq(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__eq__", args, 2, 2)?;
    Ok(if args[0].is(&args[1]) {
        Value::Bool(Truth::True)
    } else {
        vm.types.not_implemented.clone()
    })
}

fn object_ne(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__ne__", args, 2, 2)?;
    let r = vm.eq(&args[0], &args[1])?;
    Ok(Value::bool(!r))
}

fn object_hash(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int((args[0].ptr().unwrap_or(0) >> 4) as i64))
}

fn object_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let v = &args[0];
    let cls = vm.type_of(v);
    Ok(Value::string(format!(
        "<{}.{} object at {:#x}>",
        "__main__",
        cls.qualname.borrow().as_str(),
        v.ptr().unwrap_or(0)
    )))
}

fn object_str(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::string(vm.repr(&args[0])?))
}

fn object_format(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__format__", args, 2, 2)?;
    let spec = args[1].as_str().unwrap_or("").to_string();
    if !spec.is_empty() {
        return Err(Error::type_error(format!(
            "unsupported format string passed to {}.__format__",
            args[0].type_name()
        )));
    }
    Ok(Value::string(vm.to_str(&args[0])?))
}

fn object_setattr(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__setattr__", args, 3, 3)?;
    match (&args[0], &args[1]) {
        (Value::Instance(i), Value::Str(n)) => {
            i.dict.borrow_mut().insert(n.clone(), args[2].clone());
            Ok(Value::None)
        }
        _ => Err(Error::type_error("object.__setattr__ on a non-instance")),
    }
}

fn object_getattribute(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__getattribute__", args, 2, 2)?;
    match &args[1] {
        Value::Str(n) => {
            let n = vm.intern(n.as_str());
            vm.generic_getattr(&args[0], &n)
        }
        _ => Err(Error::type_error("attribute name must be string")),
    }
}

fn object_delattr(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__delattr__", args, 2, 2)?;
    match (&args[0], &args[1]) {
        (Value::Instance(i), Value::Str(n)) => {
            if i.dict.borrow_mut().shift_remove(n).is_none() {
                return Err(Error::attribute_error(n.as_str().to_string()));
            }
            Ok(Value::None)
        }
        _ => Err(Error::type_error("object.__delattr__ on a non-instance")),
    }
}

fn object_init_subclass(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::None)
}

fn type_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    match args.len() {
        1 => Ok(Value::Class(vm.type_of(&args[0]))),
        3 => {
            let Value::Str(name) = &args[0] else {
                return Err(Error::type_error("type.__new__() argument 1 must be str"));
            };
            let mut bases = Vec::new();
            for b in vm.iterate(&args[1])? {
                if let Value::Class(c) = b {
                    bases.push(c);
                }
            }
            let Value::Dict(ns) = &args[2] else {
                return Err(Error::type_error("type.__new__() argument 3 must be dict"));
            };
            let _ = kw;
            let cls = vm.create_class(name.clone(), bases, ns)?;
            Ok(Value::Class(cls))
        }
        _ => Err(Error::type_error("type() takes 1 or 3 arguments")),
    }
}

fn type_mro(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    match args.first() {
        Some(Value::Class(c)) => {
            let mut v = vec![Value::Class(c.clone())];
            v.extend(c.mro.iter().map(|b| Value::Class(b.clone())));
            Ok(Value::list(v))
        }
        _ => {
            let _ = vm;
            Err(Error::type_error("mro() needs a class"))
        }
    }
}

fn type_subclasses(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::list(Vec::new()))
}

// ----- exceptions --------------------------------------------------------------

fn exc_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let Some(Value::Class(c)) = args.first() else {
        return Err(Error::type_error(
            "BaseException.__new__(X): X is not a type object",
        ));
    };
    let c = c.clone();
    Ok(vm.new_exception(&c, args[1..].to_vec()))
}

fn exc_init(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let new_args = Value::tuple(args[1..].to_vec());
    crate::vm::exc::with_exc_data(&args[0], |d| *d.args.borrow_mut() = new_args);
    Ok(Value::None)
}

fn exc_with_traceback(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(args[0].clone())
}

fn exc_add_note(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("add_note", args, 2, 2)?;
    let name = vm.intern_static("__notes__");
    let notes = match vm.getattr_opt(&args[0], &name)? {
        Some(n) => n,
        None => {
            let l = Value::list(Vec::new());
            vm.setattr(&args[0], &name, l.clone())?;
            l
        }
    };
    if let Value::List(l) = notes {
        l.items.borrow_mut().push(args[1].clone());
    }
    Ok(Value::None)
}

// ----- descriptors and super ---------------------------------------------------

fn property_new(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let a = &args[1..];
    let get = |i: usize, n: &str| arg_or_kw(a, kw, i, n).cloned().unwrap_or(Value::None);
    Ok(new_property(
        get(0, "fget"),
        get(1, "fset"),
        get(2, "fdel"),
        get(3, "doc"),
    ))
}

fn with_property<R>(v: &Value, f: impl FnOnce(&Property) -> R) -> Res<R> {
    match v {
        Value::Object(o) => match o.downcast::<Property>() {
            Some(p) => Ok(f(p)),
            None => Err(Error::type_error("descriptor needs a property")),
        },
        _ => Err(Error::type_error("descriptor needs a property")),
    }
}

fn property_setter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("setter", args, 2, 2)?;
    with_property(&args[0], |p| {
        new_property(
            p.fget.clone(),
            args[1].clone(),
            p.fdel.borrow().clone(),
            p.doc.clone(),
        )
    })
}

fn property_getter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("getter", args, 2, 2)?;
    with_property(&args[0], |p| {
        new_property(
            args[1].clone(),
            p.fset.borrow().clone(),
            p.fdel.borrow().clone(),
            p.doc.clone(),
        )
    })
}

fn property_deleter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("deleter", args, 2, 2)?;
    with_property(&args[0], |p| {
        new_property(
            p.fget.clone(),
            p.fset.borrow().clone(),
            args[1].clone(),
            p.doc.clone(),
        )
    })
}

fn property_get(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__get__", args, 2, 3)?;
    if args[1].is_none() {
        return Ok(args[0].clone());
    }
    let g = with_property(&args[0], |p| p.fget.clone())?;
    vm.call(&g, &args[1..2], &[])
}

fn staticmethod_new(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("staticmethod", &args[1..], 1, 1)?;
    Ok(new_staticmethod(args[1].clone()))
}

fn classmethod_new(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("classmethod", &args[1..], 1, 1)?;
    Ok(new_classmethod(args[1].clone()))
}

/// `super(cls, obj)`: attribute lookup starting after [cls] in the MRO
/// of [obj]'s class.
pub struct Super {
    pub cls: Rc<ClassObj>,
    pub obj: Value,
}

impl NativeObject for Super {
    fn type_name(&self) -> &str {
        "super"
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.obj);
    }
    fn getattr(&self, vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        let start_cls = match &self.obj {
            Value::Class(c) if c.is_subclass(&self.cls) => c.clone(),
            other => vm.type_of(other),
        };
        let mut chain = vec![start_cls.clone()];
        chain.extend(start_cls.mro.iter().cloned());
        let pos = chain.iter().position(|c| Rc::ptr_eq(c, &self.cls));
        let Some(pos) = pos else {
            return Ok(None);
        };
        let sym = vm.intern(name);
        for c in &chain[pos + 1..] {
            let found = c.dict.borrow().get(&sym).cloned();
            if let Some(attr) = found {
                let receiver_is_class = matches!(self.obj, Value::Class(_));
                return Ok(Some(match &attr {
                    Value::Function(_) | Value::Native(_) => {
                        if receiver_is_class {
                            attr
                        } else {
                            Value::BoundMethod(Rc::new(BoundMethodObj {
                                gc: crate::vm::gc::GcSlot::new(),
                                func: attr,
                                receiver: self.obj.clone(),
                            }))
                        }
                    }
                    Value::Object(o) => {
                        if let Some(cm) = o.downcast::<crate::vm::descr::ClassMethod>() {
                            let recv = match &self.obj {
                                Value::Class(_) => self.obj.clone(),
                                other => Value::Class(vm.type_of(other)),
                            };
                            Value::BoundMethod(Rc::new(BoundMethodObj {
                                gc: crate::vm::gc::GcSlot::new(),
                                func: cm.0.clone(),
                                receiver: recv,
                            }))
                        } else if let Some(sm) = o.downcast::<crate::vm::descr::StaticMethod>() {
                            sm.0.clone()
                        } else if let Some(p) = o.downcast::<Property>() {
                            let g = p.fget.clone();
                            vm.call(&g, std::slice::from_ref(&self.obj), &[])?
                        } else {
                            attr
                        }
                    }
                    _ => attr,
                }));
            }
        }
        Ok(None)
    }
}

fn super_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let args = &args[1..];
    match args {
        [Value::Class(c), obj] => Ok(Value::object(Super {
            cls: c.clone(),
            obj: obj.clone(),
        })),
        [] => Err(Error::runtime_error("super(): no arguments")),
        _ => {
            let _ = vm;
            Err(Error::type_error("super() argument 1 must be a type"))
        }
    }
}

// ----- iterator builtins -------------------------------------------------------

fn enumerate(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("enumerate", args, 1, 2)?;
    let it = vm.get_iter(&args[0])?;
    let start = match arg_or_kw(args, kw, 1, "start") {
        Some(v) => vm.index_value(v)?,
        None => 0,
    };
    let n = Cell::new(start);
    let held = vec![it.clone()];
    Ok(fn_iter("enumerate", held, move |vm| {
        Ok(vm.iter_next(&it)?.map(|v| {
            let i = n.get();
            n.set(i + 1);
            Value::tuple(vec![Value::Int(i), v])
        }))
    }))
}

fn zip(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let strict = match kwarg(kw, "strict") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    let mut its = Vec::with_capacity(args.len());
    for a in args {
        its.push(vm.get_iter(a)?);
    }
    let held = its.clone();
    let done = Cell::new(its.is_empty());
    Ok(fn_iter("zip", held, move |vm| {
        if done.get() {
            return Ok(None);
        }
        let mut row = Vec::with_capacity(its.len());
        for (i, it) in its.iter().enumerate() {
            match vm.iter_next(it)? {
                Some(v) => row.push(v),
                None => {
                    done.set(true);
                    if strict && (i > 0 || its[1..].iter().any(|_| true)) {
                        if i > 0 {
                            return Err(Error::value_error(format!(
                                "zip() argument {} is shorter than argument{} 1{}",
                                i + 1,
                                if i > 1 { "s" } else { "" },
                                if i > 1 {
                                    format!("-{i}")
                                } else {
                                    String::new()
                                }
                            )));
                        }
                        for (j, other) in its.iter().enumerate().skip(1) {
                            if vm.iter_next(other)?.is_some() {
                                return Err(Error::value_error(format!(
                                    "zip() argument {} is longer than argument{} 1{}",
                                    j + 1,
                                    if j > 1 { "s" } else { "" },
                                    if j > 1 {
                                        format!("-{j}")
                                    } else {
                                        String::new()
                                    }
                                )));
                            }
                        }
                    }
                    return Ok(None);
                }
            }
        }
        Ok(Some(Value::tuple(row)))
    }))
}

fn map(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    if args.len() < 2 {
        return Err(Error::type_error("map() must have at least two arguments."));
    }
    let f = args[0].clone();
    let mut its = Vec::with_capacity(args.len() - 1);
    for a in &args[1..] {
        its.push(vm.get_iter(a)?);
    }
    let mut held = its.clone();
    held.push(f.clone());
    Ok(fn_iter("map", held, move |vm| {
        let mut row = Vec::with_capacity(its.len());
        for it in &its {
            match vm.iter_next(it)? {
                Some(v) => row.push(v),
                None => return Ok(None),
            }
        }
        vm.call(&f, &row, &[]).map(Some)
    }))
}

fn filter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("filter", args, 2, 2)?;
    let f = args[0].clone();
    let it = vm.get_iter(&args[1])?;
    let held = vec![f.clone(), it.clone()];
    Ok(fn_iter("filter", held, move |vm| loop {
        let Some(v) = vm.iter_next(&it)? else {
            return Ok(None);
        };
        let keep = if f.is_none() {
            vm.truthy(&v)?
        } else {
            let r = vm.call(&f, std::slice::from_ref(&v), &[])?;
            vm.truthy(&r)?
        };
        if keep {
            return Ok(Some(v));
        }
    }))
}

fn reversed(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("reversed", args, 1, 1)?;
    let v = &args[0];
    let name = vm.intern_static("__reversed__");
    if let Some(m) = vm.type_of(v).lookup(&name) {
        return vm.call(&m, std::slice::from_ref(v), &[]);
    }
    let items: Vec<Value> = match v {
        Value::List(_) | Value::Tuple(_) | Value::Str(_) | Value::Range(_) | Value::Bytes(_) => {
            vm.iterate(v)?
        }
        Value::Dict(d) => d.d.borrow().keys(),
        Value::Instance(_) => {
            let n = super::functions::length(vm, v)?;
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                out.push(vm.getitem(v, &Value::Int(i as i64))?);
            }
            out
        }
        _ => {
            return Err(Error::type_error(format!(
                "'{}' object is not reversible",
                v.type_name()
            )))
        }
    };
    let pos = Cell::new(items.len());
    let held = vec![];
    Ok(fn_iter("reversed", held, move |_vm| {
        let p = pos.get();
        if p == 0 {
            return Ok(None);
        }
        pos.set(p - 1);
        Ok(Some(items[p - 1].clone()))
    }))
}
