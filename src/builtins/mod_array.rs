//! The `array` module: typed arrays of numbers. Instances are user-class
//! instances whose payload is a native [Arr] (so operators dispatch).

use std::cell::RefCell;
use std::rc::Rc;

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};

use super::stdlib_data::{install_cmp, native_class};
use super::{add_method, check_args};
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("array", None);
    let c = array_class(vm);
    m.set_str("array", Value::Class(c.clone()));
    m.set_str("ArrayType", Value::Class(c));
    m.set_str("typecodes", Value::str("bBuhHiIlLqQfd"));
    m
}

pub struct Arr {
    code: char,
    items: RefCell<Vec<Value>>,
}

impl NativeObject for Arr {
    fn type_name(&self) -> &str {
        "array.array"
    }
    fn len(&self) -> Option<usize> {
        Some(self.items.borrow().len())
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "typecode" => Some(Value::string(self.code.to_string())),
            "itemsize" => Some(Value::Int(itemsize(self.code) as i64)),
            _ => None,
        })
    }
}

fn itemsize(code: char) -> usize {
    match code {
        'b' | 'B' => 1,
        'h' | 'H' => 2,
        'i' | 'I' | 'f' | 'u' => 4,
        _ => 8,
    }
}

fn array_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "array.array",
        "array",
        "array",
        None,
        Builtin::Object,
        |vm, c| {
            let methods: &[(&'static str, NativeFnPtr)] = &[
                ("__init__", a_init),
                ("append", a_append),
                ("extend", a_extend),
                ("fromlist", a_extend),
                ("pop", a_pop),
                ("insert", a_insert),
                ("remove", a_remove),
                ("index", a_index),
                ("count", a_count),
                ("reverse", a_reverse),
                ("tolist", a_tolist),
                ("tobytes", a_tobytes),
                ("frombytes", a_frombytes),
                ("buffer_info", a_buffer_info),
                ("__len__", a_len),
                ("__getitem__", a_getitem),
                ("__setitem__", a_setitem),
                ("__delitem__", a_delitem),
                ("__iter__", a_iter),
                ("__contains__", a_contains),
                ("__repr__", a_repr),
                ("__add__", a_add),
                ("__mul__", a_mul),
                ("__rmul__", a_mul),
                ("__iadd__", a_iadd),
                ("__imul__", a_imul),
                ("__copy__", a_copy),
            ];
            for (n, f) in methods {
                add_method(vm, c, n, *f);
            }
            super::add_attr(vm, c, "__hash__", Value::None);
            install_cmp(
                vm,
                c,
                a_cmp,
                &["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"],
            );
        },
    )
}

fn state(v: &Value) -> Res<Value> {
    let p = match v {
        Value::Instance(i) => i.payload.borrow().clone(),
        other => other.clone(),
    };
    if downcast::<Arr>(&p).is_some() {
        Ok(p)
    } else {
        Err(Error::type_error(format!(
            "descriptor requires a 'array.array' object but received a '{}'",
            v.type_name()
        )))
    }
}

macro_rules! arr {
    ($v:expr, $a:ident) => {
        let __state = state($v)?;
        let $a = downcast::<Arr>(&__state).ok_or_else(|| Error::type_error("array expected"))?;
    };
}

fn range_err(what: &str, big: bool) -> Error {
    Error::overflow_error(format!(
        "{what} is {} {}",
        if big { "greater than" } else { "less than" },
        if big { "maximum" } else { "minimum" }
    ))
}

/// Checks and normalises [v] for an array of type [code].
fn convert(code: char, v: &Value) -> Res<Value> {
    if matches!(code, 'f' | 'd') {
        let f = match v {
            Value::Float(f) => f.get(),
            Value::Int(i) => *i as f64,
            Value::Bool(b) => b.get() as i64 as f64,
            Value::BigInt(b) => b.to_f64().unwrap_or(f64::INFINITY),
            other => {
                return Err(Error::type_error(format!(
                    "must be real number, not {}",
                    other.type_name()
                )))
            }
        };
        return Ok(Value::float(if code == 'f' { f as f32 as f64 } else { f }));
    }
    let n: Result<i64, BigInt> = match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        Value::BigInt(b) => Err((**b).clone()),
        other => {
            return Err(Error::type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                other.type_name()
            )))
        }
    };
    let n = match n {
        Ok(n) => n,
        Err(b) => {
            let neg = b.is_negative();
            return match code {
                'L' | 'Q' if !neg && b.to_u64().is_some() => Ok(Value::bigint(b)),
                'I' | 'L' if neg => Err(Error::overflow_error(
                    "can't convert negative value to unsigned int",
                )),
                'I' | 'L' => Err(Error::overflow_error(
                    "Python int too large to convert to C unsigned long",
                )),
                'Q' if neg => Err(Error::overflow_error(
                    "can't convert negative int to unsigned",
                )),
                'q' | 'Q' => Err(Error::overflow_error("int too big to convert")),
                _ => Err(Error::overflow_error(
                    "Python int too large to convert to C long",
                )),
            };
        }
    };
    let check = |lo: i64, hi: i64, what: &str| -> Res<()> {
        if n > hi {
            Err(range_err(what, true))
        } else if n < lo {
            Err(range_err(what, false))
        } else {
            Ok(())
        }
    };
    match code {
        'b' => {
            check(i16::MIN as i64, i16::MAX as i64, "signed short integer")?;
            check(i8::MIN as i64, i8::MAX as i64, "signed char")?;
        }
        'B' => check(0, 255, "unsigned byte integer")?,
        'h' => check(i16::MIN as i64, i16::MAX as i64, "signed short integer")?,
        'H' => {
            check(i32::MIN as i64, i32::MAX as i64, "signed integer")?;
            check(0, u16::MAX as i64, "unsigned short")?;
        }
        'i' => check(i32::MIN as i64, i32::MAX as i64, "signed integer")?,
        'I' => {
            if n < 0 {
                return Err(Error::overflow_error(
                    "can't convert negative value to unsigned int",
                ));
            }
            check(0, u32::MAX as i64, "unsigned int")?;
        }
        'L' if n < 0 => {
            return Err(Error::overflow_error(
                "can't convert negative value to unsigned int",
            ))
        }
        'Q' if n < 0 => {
            return Err(Error::overflow_error(
                "can't convert negative int to unsigned",
            ))
        }
        _ => {}
    }
    Ok(Value::Int(n))
}

fn bad_typecode() -> Error {
    Error::value_error("bad typecode (must be b, B, u, h, H, i, I, l, L, q, Q, f or d)")
}

fn a_init(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    super::no_kwargs("array", kw)?;
    let a = &args[1..];
    if a.is_empty() || a.len() > 2 {
        return Err(Error::type_error(format!(
            "array() takes at most 2 arguments ({} given)",
            a.len()
        )));
    }
    let code = match &a[0] {
        Value::Str(s) if s.char_len() == 1 => s.as_str().chars().next().unwrap_or('?'),
        other => {
            return Err(Error::type_error(format!(
                "array() argument 1 must be a unicode character, not {}",
                other.type_name()
            )))
        }
    };
    if !"bBhHiIlLqQfd".contains(code) {
        return Err(bad_typecode());
    }
    let arr = Arr {
        code,
        items: RefCell::new(Vec::new()),
    };
    if let Some(init) = a.get(1) {
        match init {
            Value::Bytes(_) | Value::ByteArray(_) => {
                let b = vm.bytes_of(init)?.to_vec();
                frombytes(&arr, &b)?;
            }
            Value::Str(_) => {
                return Err(Error::type_error(format!(
                    "cannot use a str to initialize an array with typecode '{code}'"
                )))
            }
            other => {
                let src = match state(other) {
                    Ok(s) => downcast::<Arr>(&s).map(|x| x.items.borrow().clone()),
                    Err(_) => None,
                };
                let vals = match src {
                    Some(v) => v,
                    None => vm.iterate(other)?,
                };
                let mut out = Vec::with_capacity(vals.len());
                for v in &vals {
                    out.push(convert(code, v)?);
                }
                *arr.items.borrow_mut() = out;
            }
        }
    }
    match &args[0] {
        Value::Instance(i) => *i.payload.borrow_mut() = Value::object(arr),
        _ => return Err(Error::type_error("array.__init__ needs an array instance")),
    }
    Ok(Value::None)
}

fn new_array(vm: &mut Vm, like: &Value, code: char, items: Vec<Value>) -> Res<Value> {
    let cls = match like {
        Value::Instance(i) => i.class.clone(),
        _ => array_class(vm),
    };
    let inst = vm.new_instance(&cls);
    if let Value::Instance(i) = &inst {
        *i.payload.borrow_mut() = Value::object(Arr {
            code,
            items: RefCell::new(items),
        });
    }
    Ok(inst)
}

fn a_append(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("append", args, 2, 2)?;
    arr!(&args[0], a);
    let v = convert(a.code, &args[1])?;
    a.items.borrow_mut().push(v);
    Ok(Value::None)
}

fn a_extend(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("extend", args, 2, 2)?;
    arr!(&args[0], a);
    let vals = match state(&args[1]) {
        Ok(s) => {
            let o = downcast::<Arr>(&s).ok_or_else(|| Error::type_error("array expected"))?;
            if o.code != a.code {
                return Err(Error::type_error("can only extend with array of same kind"));
            }
            o.items.borrow().clone()
        }
        Err(_) => vm.iterate(&args[1])?,
    };
    let mut out = Vec::with_capacity(vals.len());
    for v in &vals {
        out.push(convert(a.code, v)?);
    }
    a.items.borrow_mut().extend(out);
    Ok(Value::None)
}

fn norm(i: i64, len: usize) -> Option<usize> {
    let j = if i < 0 { i + len as i64 } else { i };
    if j < 0 || j >= len as i64 {
        None
    } else {
        Some(j as usize)
    }
}

fn a_pop(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("pop", args, 1, 2)?;
    let i = match args.get(1) {
        Some(v) => vm.index_value(v)?,
        None => -1,
    };
    arr!(&args[0], a);
    let mut items = a.items.borrow_mut();
    if items.is_empty() {
        return Err(Error::index_error("pop from empty array"));
    }
    let Some(j) = norm(i, items.len()) else {
        return Err(Error::index_error("pop index out of range"));
    };
    Ok(items.remove(j))
}

fn a_insert(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("insert", args, 3, 3)?;
    let i = vm.index_value(&args[1])?;
    arr!(&args[0], a);
    let v = convert(a.code, &args[2])?;
    let mut items = a.items.borrow_mut();
    let len = items.len() as i64;
    let j = if i < 0 { (i + len).max(0) } else { i.min(len) } as usize;
    items.insert(j, v);
    Ok(Value::None)
}

fn find(vm: &mut Vm, a: &Arr, x: &Value) -> Res<Option<usize>> {
    let items = a.items.borrow().clone();
    for (i, v) in items.iter().enumerate() {
        if vm.eq(v, x)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn a_remove(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("remove", args, 2, 2)?;
    arr!(&args[0], a);
    match find(vm, a, &args[1])? {
        Some(i) => {
            a.items.borrow_mut().remove(i);
            Ok(Value::None)
        }
        None => Err(Error::value_error("array.remove(x): x not in array")),
    }
}

fn a_index(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("index", args, 2, 4)?;
    arr!(&args[0], a);
    let items = a.items.borrow().clone();
    let len = items.len() as i64;
    let clamp = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
    let start = match args.get(2) {
        Some(v) => clamp(vm.index_value(v)?),
        None => 0,
    };
    let stop = match args.get(3) {
        Some(v) => clamp(vm.index_value(v)?),
        None => len,
    };
    for i in start..stop {
        if vm.eq(&items[i as usize], &args[1])? {
            return Ok(Value::Int(i));
        }
    }
    Err(Error::value_error("array.index(x): x not in array"))
}

fn a_count(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("count", args, 2, 2)?;
    arr!(&args[0], a);
    let items = a.items.borrow().clone();
    let mut n = 0;
    for v in &items {
        if vm.eq(v, &args[1])? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn a_reverse(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    arr!(&args[0], a);
    a.items.borrow_mut().reverse();
    Ok(Value::None)
}

fn a_tolist(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    arr!(&args[0], a);
    let items = a.items.borrow().clone();
    Ok(Value::list(items))
}

fn to_bytes(a: &Arr) -> Vec<u8> {
    let mut out = Vec::new();
    for v in a.items.borrow().iter() {
        match (a.code, v) {
            ('f', Value::Float(f)) => out.extend((f.get() as f32).to_le_bytes()),
            ('d', Value::Float(f)) => out.extend(f.get().to_le_bytes()),
            (c, Value::Int(n)) => out.extend(&n.to_le_bytes()[..itemsize(c)]),
            (_, Value::BigInt(b)) => out.extend(b.to_u64().unwrap_or(0).to_le_bytes()),
            _ => {}
        }
    }
    out
}

fn frombytes(a: &Arr, b: &[u8]) -> Res<()> {
    let size = itemsize(a.code);
    if !b.len().is_multiple_of(size) {
        return Err(Error::value_error(
            "bytes length not a multiple of item size",
        ));
    }
    let mut items = a.items.borrow_mut();
    for chunk in b.chunks(size) {
        let mut buf = [0u8; 8];
        buf[..size].copy_from_slice(chunk);
        let v = match a.code {
            'b' => Value::Int(chunk[0] as i8 as i64),
            'B' => Value::Int(chunk[0] as i64),
            'h' => Value::Int(i16::from_le_bytes([chunk[0], chunk[1]]) as i64),
            'H' => Value::Int(u16::from_le_bytes([chunk[0], chunk[1]]) as i64),
            'i' => Value::Int(i32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as i64),
            'I' => Value::Int(u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as i64),
            'f' => Value::float(f32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as f64),
            'd' => Value::float(f64::from_le_bytes(buf)),
            'L' | 'Q' => {
                let u = u64::from_le_bytes(buf);
                if u > i64::MAX as u64 {
                    Value::bigint(BigInt::from(u))
                } else {
                    Value::Int(u as i64)
                }
            }
            _ => Value::Int(i64::from_le_bytes(buf)),
        };
        items.push(v);
    }
    Ok(())
}

fn a_tobytes(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    arr!(&args[0], a);
    Ok(Value::bytes(to_bytes(a)))
}

fn a_frombytes(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("frombytes", args, 2, 2)?;
    let b = vm.bytes_of(&args[1])?.to_vec();
    arr!(&args[0], a);
    frombytes(a, &b)?;
    Ok(Value::None)
}

fn a_buffer_info(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    arr!(&args[0], a);
    let n = a.items.borrow().len();
    Ok(Value::tuple(vec![
        Value::Int(a.items.as_ptr() as i64),
        Value::Int(n as i64),
    ]))
}

fn a_len(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    arr!(&args[0], a);
    let n = a.items.borrow().len();
    Ok(Value::Int(n as i64))
}

fn a_getitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__getitem__", args, 2, 2)?;
    arr!(&args[0], a);
    if let Value::Slice(s) = &args[1] {
        let items = a.items.borrow().clone();
        let idx = vm.slice_indices(s, items.len())?;
        let out: Vec<Value> = idx.indices().map(|i| items[i].clone()).collect();
        let code = a.code;
        return new_array(vm, &args[0], code, out);
    }
    let i = vm.index_value(&args[1])?;
    let items = a.items.borrow();
    match norm(i, items.len()) {
        Some(j) => Ok(items[j].clone()),
        None => Err(Error::index_error("array index out of range")),
    }
}

fn a_setitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__setitem__", args, 3, 3)?;
    arr!(&args[0], a);
    if let Value::Slice(s) = &args[1] {
        let src = state(&args[2])
            .ok()
            .and_then(|st| downcast::<Arr>(&st).map(|o| (o.code, o.items.borrow().clone())));
        let Some((code, vals)) = src else {
            return Err(Error::type_error(format!(
                "can only assign array (not \"{}\") to array slice",
                args[2].type_name()
            )));
        };
        if code != a.code {
            return Err(Error::type_error(
                "bad argument type for built-in operation",
            ));
        }
        let len = a.items.borrow().len();
        let idx = vm.slice_indices(s, len)?;
        let mut items = a.items.borrow_mut();
        if idx.step == 1 {
            let start = idx
                .indices()
                .next()
                .unwrap_or(idx.start.max(0) as usize)
                .min(len);
            let end = (start + idx.len).min(len);
            items.splice(start..end, vals);
        } else {
            let ix: Vec<usize> = idx.indices().collect();
            if ix.len() != vals.len() {
                return Err(Error::value_error(format!(
                    "attempt to assign array of size {} to extended slice of size {}",
                    vals.len(),
                    ix.len()
                )));
            }
            for (i, v) in ix.into_iter().zip(vals) {
                items[i] = v;
            }
        }
        return Ok(Value::None);
    }
    let i = vm.index_value(&args[1])?;
    let v = convert(a.code, &args[2])?;
    let mut items = a.items.borrow_mut();
    match norm(i, items.len()) {
        Some(j) => {
            items[j] = v;
            Ok(Value::None)
        }
        None => Err(Error::index_error("array assignment index out of range")),
    }
}

fn a_delitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__delitem__", args, 2, 2)?;
    arr!(&args[0], a);
    if let Value::Slice(s) = &args[1] {
        let len = a.items.borrow().len();
        let idx = vm.slice_indices(s, len)?;
        let mut drop: Vec<usize> = idx.indices().collect();
        drop.sort_unstable();
        let mut items = a.items.borrow_mut();
        for i in drop.into_iter().rev() {
            if i < items.len() {
                items.remove(i);
            }
        }
        return Ok(Value::None);
    }
    let i = vm.index_value(&args[1])?;
    let mut items = a.items.borrow_mut();
    match norm(i, items.len()) {
        Some(j) => {
            items.remove(j);
            Ok(Value::None)
        }
        None => Err(Error::index_error("array assignment index out of range")),
    }
}

fn a_iter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    arr!(&args[0], a);
    let l = Value::list(a.items.borrow().clone());
    vm.get_iter(&l)
}

fn a_contains(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__contains__", args, 2, 2)?;
    arr!(&args[0], a);
    Ok(Value::bool(find(vm, a, &args[1])?.is_some()))
}

fn a_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    arr!(&args[0], a);
    let items = a.items.borrow().clone();
    let name = args[0].type_name();
    if items.is_empty() {
        return Ok(Value::string(format!("{name}('{}')", a.code)));
    }
    let l = vm.repr(&Value::list(items))?;
    Ok(Value::string(format!("{name}('{}', {l})", a.code)))
}

fn other_items(a: &Arr, other: &Value) -> Res<Vec<Value>> {
    let s = state(other).map_err(|_| {
        Error::type_error(format!(
            "can only append array (not \"{}\") to array",
            other.type_name()
        ))
    })?;
    let o = downcast::<Arr>(&s).ok_or_else(|| Error::type_error("array expected"))?;
    if o.code != a.code {
        return Err(Error::type_error(
            "bad argument type for built-in operation",
        ));
    }
    let items = o.items.borrow().clone();
    Ok(items)
}

fn a_add(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__add__", args, 2, 2)?;
    arr!(&args[0], a);
    let mut items = a.items.borrow().clone();
    items.extend(other_items(a, &args[1])?);
    let code = a.code;
    new_array(vm, &args[0], code, items)
}

fn a_iadd(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__iadd__", args, 2, 2)?;
    arr!(&args[0], a);
    let more = other_items(a, &args[1])?;
    a.items.borrow_mut().extend(more);
    Ok(args[0].clone())
}

fn repeat(vm: &mut Vm, a: &Arr, n: &Value) -> Res<Option<Vec<Value>>> {
    if !matches!(n, Value::Int(_) | Value::Bool(_)) {
        return Ok(None);
    }
    let n = vm.index_value(n)?.max(0) as usize;
    let one = a.items.borrow().clone();
    if one.len().saturating_mul(n) > 100_000_000 {
        return Err(Error::memory_error(""));
    }
    let mut out = Vec::with_capacity(one.len() * n);
    for _ in 0..n {
        out.extend(one.iter().cloned());
    }
    Ok(Some(out))
}

fn a_mul(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__mul__", args, 2, 2)?;
    arr!(&args[0], a);
    match repeat(vm, a, &args[1])? {
        Some(items) => {
            let code = a.code;
            new_array(vm, &args[0], code, items)
        }
        None => Ok(vm.types.not_implemented.clone()),
    }
}

fn a_imul(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__imul__", args, 2, 2)?;
    arr!(&args[0], a);
    match repeat(vm, a, &args[1])? {
        Some(items) => {
            *a.items.borrow_mut() = items;
            Ok(args[0].clone())
        }
        None => Ok(vm.types.not_implemented.clone()),
    }
}

fn a_copy(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    arr!(&args[0], a);
    let items = a.items.borrow().clone();
    let code = a.code;
    new_array(vm, &args[0], code, items)
}

fn a_cmp(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_cmp", args, 3, 3)?;
    let (Ok(x), Ok(y)) = (state(&args[0]), state(&args[1])) else {
        return Ok(vm.types.not_implemented.clone());
    };
    let lx = downcast::<Arr>(&x)
        .map(|a| a.items.borrow().clone())
        .unwrap_or_default();
    let ly = downcast::<Arr>(&y)
        .map(|a| a.items.borrow().clone())
        .unwrap_or_default();
    let op = match args[2].as_str() {
        Some("==") => crate::syntax::ast::CmpOp::Eq,
        Some("<") => crate::syntax::ast::CmpOp::Lt,
        Some("<=") => crate::syntax::ast::CmpOp::LtE,
        Some(">") => crate::syntax::ast::CmpOp::Gt,
        _ => crate::syntax::ast::CmpOp::GtE,
    };
    vm.compare(op, &Value::list(lx), &Value::list(ly))
}
