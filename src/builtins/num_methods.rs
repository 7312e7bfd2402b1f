//! Methods of `int`, `bool` and `float`.

use num_bigint::{BigInt, Sign};
use num_traits::{Signed, ToPrimitive, Zero};

use super::constructors::float_to_int;
use super::functions::new_classmethod;
use super::{add_attr, add_method, arg_or_kw, check_args, kwarg, native};
use crate::syntax::ast::{BinOp, CmpOp};
use crate::vm::error::{Error, Res};
use crate::vm::num::{is_int, to_big, to_f64};
use crate::vm::object::NativeFnPtr;
use crate::vm::ops::payload_of;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn install(vm: &mut Vm) {
    let int = vm.types.int.clone();
    let methods: &[(&'static str, NativeFnPtr)] = &[
        ("bit_length", int_bit_length),
        ("bit_count", int_bit_count),
        ("to_bytes", int_to_bytes),
        ("conjugate", int_self),
        ("as_integer_ratio", int_as_integer_ratio),
        ("__index__", int_self),
        ("__int__", int_self),
        ("__trunc__", int_self),
        ("__floor__", int_self),
        ("__ceil__", int_self),
        ("__pos__", int_self),
        ("__float__", num_float),
        ("__abs__", num_abs),
        ("__neg__", num_neg),
        ("__invert__", int_invert),
        ("__bool__", num_bool),
        ("__round__", num_round),
        ("__format__", num_format),
        ("__repr__", num_repr),
        ("__hash__", num_hash),
        ("__getnewargs__", num_getnewargs),
    ];
    for (name, f) in methods {
        add_method(vm, &int, name, *f);
    }
    let from_bytes = native("from_bytes", int_from_bytes);
    add_attr(vm, &int, "from_bytes", new_classmethod(from_bytes));
    install_ops(vm, &int, false);

    let float = vm.types.float.clone();
    let methods: &[(&'static str, NativeFnPtr)] = &[
        ("is_integer", float_is_integer),
        ("as_integer_ratio", float_as_integer_ratio),
        ("hex", float_hex),
        ("conjugate", float_self),
        ("__float__", float_self),
        ("__pos__", float_self),
        ("__int__", float_trunc),
        ("__trunc__", float_trunc),
        ("__floor__", float_floor),
        ("__ceil__", float_ceil),
        ("__abs__", num_abs),
        ("__neg__", num_neg),
        ("__bool__", num_bool),
        ("__round__", num_round),
        ("__format__", num_format),
        ("__repr__", num_repr),
        ("__hash__", num_hash),
        ("__getnewargs__", num_getnewargs),
    ];
    for (name, f) in methods {
        add_method(vm, &float, name, *f);
    }
    let fromhex = native("fromhex", float_fromhex);
    add_attr(vm, &float, "fromhex", new_classmethod(fromhex));
    install_ops(vm, &float, true);

    // bool's own &, |, ^ keep bools bool; everything else is int's.
    let b = vm.types.bool_.clone();
    add_method(vm, &b, "__and__", bool_and);
    add_method(vm, &b, "__rand__", bool_and);
    add_method(vm, &b, "__or__", bool_or);
    add_method(vm, &b, "__ror__", bool_or);
    add_method(vm, &b, "__xor__", bool_xor);
    add_method(vm, &b, "__rxor__", bool_xor);
    add_method(vm, &b, "__repr__", num_repr);
}

/// Registers the arithmetic and comparison dunders on int or float.
fn install_ops(vm: &mut Vm, class: &std::rc::Rc<crate::vm::object::ClassObj>, float: bool) {
    macro_rules! ops {
        ($(($name:expr, $rname:expr, $op:expr)),* $(,)?) => {
            $(
                {
                    fn fwd(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
                        arith(vm, args, $op, false, $name)
                    }
                    fn rev(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
                        arith(vm, args, $op, true, $rname)
                    }
                    let int_only = matches!($op, BinOp::LShift | BinOp::RShift | BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor);
                    if !(float && int_only) {
                        add_method(vm, class, $name, fwd);
                        add_method(vm, class, $rname, rev);
                    }
                }
            )*
        };
    }
    ops!(
        ("__add__", "__radd__", BinOp::Add),
        ("__sub__", "__rsub__", BinOp::Sub),
        ("__mul__", "__rmul__", BinOp::Mul),
        ("__truediv__", "__rtruediv__", BinOp::Div),
        ("__floordiv__", "__rfloordiv__", BinOp::FloorDiv),
        ("__mod__", "__rmod__", BinOp::Mod),
        ("__lshift__", "__rlshift__", BinOp::LShift),
        ("__rshift__", "__rrshift__", BinOp::RShift),
        ("__and__", "__rand__", BinOp::BitAnd),
        ("__or__", "__ror__", BinOp::BitOr),
        ("__xor__", "__rxor__", BinOp::BitXor),
    );
    add_method(vm, class, "__pow__", num_pow);
    add_method(vm, class, "__rpow__", num_rpow);
    add_method(vm, class, "__divmod__", num_divmod);
    add_method(vm, class, "__rdivmod__", num_rdivmod);
    macro_rules! cmps {
        ($(($name:expr, $op:expr)),* $(,)?) => {
            $(
                {
                    fn f(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
                        compare(vm, args, $op, $name)
                    }
                    add_method(vm, class, $name, f);
                }
            )*
        };
    }
    cmps!(
        ("__eq__", CmpOp::Eq),
        ("__ne__", CmpOp::NotEq),
        ("__lt__", CmpOp::Lt),
        ("__le__", CmpOp::LtE),
        ("__gt__", CmpOp::Gt),
        ("__ge__", CmpOp::GtE),
    );
}

// ----- receivers -------------------------------------------------------------

fn unwrap(v: &Value) -> Value {
    payload_of(v).unwrap_or_else(|| v.clone())
}

fn wrong_receiver(name: &str, ty: &str, v: Option<&Value>) -> Error {
    match v {
        Some(v) => Error::type_error(format!(
            "descriptor '{name}' for '{ty}' objects doesn't apply to a '{}' object",
            v.type_name()
        )),
        None => Error::type_error(format!(
            "descriptor '{name}' of '{ty}' object needs an argument"
        )),
    }
}

/// The int receiver (bools included), unwrapped from a subclass.
fn this_int(args: &[Value], name: &str) -> Res<Value> {
    match args.first().map(unwrap) {
        Some(v) if is_int(&v) => Ok(v),
        _ => Err(wrong_receiver(name, "int", args.first())),
    }
}

fn this_float(args: &[Value], name: &str) -> Res<f64> {
    match args.first().map(unwrap) {
        Some(Value::Float(f)) => Ok(f.get()),
        _ => Err(wrong_receiver(name, "float", args.first())),
    }
}

/// Either kind of number receiver.
fn this_num(args: &[Value], name: &str) -> Res<Value> {
    match args.first().map(unwrap) {
        Some(v) if is_int(&v) || matches!(v, Value::Float(_)) => Ok(v),
        _ => Err(wrong_receiver(name, "int", args.first())),
    }
}

fn rest<'a>(args: &'a [Value], qual: &str, min: usize, max: usize) -> Res<&'a [Value]> {
    let rest = args.get(1..).unwrap_or(&[]);
    check_args(qual, rest, min, max)?;
    Ok(rest)
}

/// A plain int from an int or bool.
fn plain_int(v: Value) -> Value {
    match v {
        Value::Bool(b) => Value::Int(b as i64),
        v => v,
    }
}

fn big(v: &Value) -> BigInt {
    to_big(v).unwrap_or_default()
}

// ----- shared dunders ----------------------------------------------------------

/// `self op other` (or `other op self` when [reflected]); NotImplemented
/// when [other] is not a number this type handles.
fn arith(vm: &mut Vm, args: &[Value], op: BinOp, reflected: bool, name: &str) -> Res<Value> {
    let a = this_num(args, name)?;
    let r = rest(args, name, 1, 1)?;
    let b = unwrap(&r[0]);
    let ok = if matches!(a, Value::Float(_)) {
        is_int(&b) || matches!(b, Value::Float(_))
    } else {
        is_int(&b)
    };
    if !ok {
        return Ok(vm.types.not_implemented.clone());
    }
    if reflected {
        vm.binary(op, b, a)
    } else {
        vm.binary(op, a, b)
    }
}

fn compare(vm: &mut Vm, args: &[Value], op: CmpOp, name: &str) -> Res<Value> {
    let a = this_num(args, name)?;
    let r = rest(args, name, 1, 1)?;
    let b = unwrap(&r[0]);
    let ok = if matches!(a, Value::Float(_)) {
        is_int(&b) || matches!(b, Value::Float(_))
    } else {
        is_int(&b)
    };
    if !ok {
        return Ok(vm.types.not_implemented.clone());
    }
    vm.compare(op, &a, &b)
}

fn num_pow(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__pow__")?;
    let r = rest(args, "__pow__", 1, 2)?;
    let b = unwrap(&r[0]);
    let ok = is_int(&b) || (matches!(b, Value::Float(_)) && matches!(a, Value::Float(_)));
    if !ok {
        return Ok(vm.types.not_implemented.clone());
    }
    match r.get(1) {
        Some(m) if !m.is_none() => {
            let pow = vm.builtins.get_str("pow").unwrap_or(Value::None);
            vm.call(&pow, &[a, b, unwrap(m)], &[])
        }
        _ => vm.binary(BinOp::Pow, a, b),
    }
}

fn num_rpow(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__rpow__")?;
    let r = rest(args, "__rpow__", 1, 2)?;
    let b = unwrap(&r[0]);
    let ok = is_int(&b) || (matches!(b, Value::Float(_)) && matches!(a, Value::Float(_)));
    if !ok {
        return Ok(vm.types.not_implemented.clone());
    }
    vm.binary(BinOp::Pow, b, a)
}

fn divmod_of(vm: &mut Vm, a: Value, b: Value) -> Res<Value> {
    let f = vm.builtins.get_str("divmod").unwrap_or(Value::None);
    vm.call(&f, &[a, b], &[])
}

fn num_divmod(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__divmod__")?;
    let r = rest(args, "__divmod__", 1, 1)?;
    let b = unwrap(&r[0]);
    if !(is_int(&b) || (matches!(b, Value::Float(_)) && matches!(a, Value::Float(_)))) {
        return Ok(vm.types.not_implemented.clone());
    }
    divmod_of(vm, a, b)
}

fn num_rdivmod(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__rdivmod__")?;
    let r = rest(args, "__rdivmod__", 1, 1)?;
    let b = unwrap(&r[0]);
    if !(is_int(&b) || (matches!(b, Value::Float(_)) && matches!(a, Value::Float(_)))) {
        return Ok(vm.types.not_implemented.clone());
    }
    divmod_of(vm, b, a)
}

fn num_float(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__float__")?;
    rest(args, "__float__", 0, 0)?;
    match to_f64(&a) {
        Some(f) => Ok(Value::float(f?)),
        None => Err(wrong_receiver("__float__", "int", args.first())),
    }
}

fn num_abs(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__abs__")?;
    rest(args, "__abs__", 0, 0)?;
    Ok(match a {
        Value::Float(f) => Value::float(f.get().abs()),
        Value::Bool(b) => Value::Int(b as i64),
        Value::Int(i) if i < 0 => return vm.unary_neg(Value::Int(i)),
        Value::BigInt(b) => Value::bigint(b.abs()),
        v => v,
    })
}

fn num_neg(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__neg__")?;
    rest(args, "__neg__", 0, 0)?;
    vm.unary_neg(a)
}

fn int_invert(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_int(args, "__invert__")?;
    rest(args, "__invert__", 0, 0)?;
    vm.unary_invert(a)
}

fn num_bool(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__bool__")?;
    rest(args, "__bool__", 0, 0)?;
    Ok(Value::bool(vm.truthy(&a)?))
}

fn num_round(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__round__")?;
    let r = rest(args, "__round__", 0, 1)?;
    let round = vm.builtins.get_str("round").unwrap_or(Value::None);
    let mut call = vec![a];
    if let Some(n) = r.first().or_else(|| kwarg(kw, "ndigits")) {
        call.push(n.clone());
    }
    vm.call(&round, &call, &[])
}

fn num_format(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__format__")?;
    let r = rest(args, "__format__", 1, 1)?;
    let spec = match &r[0] {
        Value::Str(s) => s.as_str().to_string(),
        other => {
            return Err(Error::type_error(format!(
                "__format__() argument must be str, not {}",
                other.type_name()
            )))
        }
    };
    Ok(Value::string(vm.format(&a, &spec)?))
}

fn num_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__repr__")?;
    Ok(Value::string(vm.repr(&a)?))
}

fn num_hash(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__hash__")?;
    Ok(Value::Int(vm.hash(&a)? as i64))
}

fn num_getnewargs(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_num(args, "__getnewargs__")?;
    Ok(Value::tuple(vec![plain_int(a)]))
}

// ----- int ---------------------------------------------------------------------

fn int_self(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_int(args, "__int__")?;
    rest(args, "__int__", 0, 0)?;
    Ok(plain_int(a))
}

fn int_bit_length(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_int(args, "bit_length")?;
    rest(args, "int.bit_length", 0, 0)?;
    Ok(Value::Int(match a {
        Value::Int(i) => (64 - i.unsigned_abs().leading_zeros()) as i64,
        v => big(&v).bits() as i64,
    }))
}

fn int_bit_count(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_int(args, "bit_count")?;
    rest(args, "int.bit_count", 0, 0)?;
    Ok(Value::Int(match a {
        Value::Int(i) => i.unsigned_abs().count_ones() as i64,
        v => {
            let (_, digits) = big(&v).to_u64_digits();
            digits.iter().map(|d| d.count_ones() as i64).sum()
        }
    }))
}

fn int_as_integer_ratio(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_int(args, "as_integer_ratio")?;
    rest(args, "int.as_integer_ratio", 0, 0)?;
    Ok(Value::tuple(vec![plain_int(a), Value::Int(1)]))
}

/// Reads the `byteorder` argument: true for little-endian.
fn little_endian(v: Option<&Value>) -> Res<bool> {
    match v {
        None => Ok(false),
        Some(Value::Str(s)) => match s.as_str() {
            "little" => Ok(true),
            "big" => Ok(false),
            _ => Err(Error::value_error(
                "byteorder must be either 'little' or 'big'",
            )),
        },
        Some(other) => Err(Error::type_error(format!(
            "to_bytes() argument 'byteorder' must be str, not {}",
            other.type_name()
        ))),
    }
}

fn int_to_bytes(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let a = this_int(args, "to_bytes")?;
    let r = rest(args, "to_bytes", 0, 2)?;
    for (k, _) in kw {
        if !matches!(k.as_str(), "length" | "byteorder" | "signed") {
            return Err(Error::type_error(format!(
                "to_bytes() got an unexpected keyword argument '{}'",
                k.as_str()
            )));
        }
    }
    let length = match arg_or_kw(r, kw, 0, "length") {
        Some(v) => vm.index_value(v)?,
        None => 1,
    };
    if length < 0 {
        return Err(Error::value_error("length argument must be non-negative"));
    }
    let little = little_endian(arg_or_kw(r, kw, 1, "byteorder"))?;
    let signed = match kwarg(kw, "signed") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    let n = big(&a);
    if n.is_negative() && !signed {
        return Err(Error::overflow_error(
            "can't convert negative int to unsigned",
        ));
    }
    // Bytes needed for the two's complement (or unsigned) form.
    let needed = if n.is_zero() {
        0
    } else if !signed {
        n.bits().div_ceil(8)
    } else if n.is_negative() {
        let m: BigInt = -&n - 1;
        (m.bits() + 8) / 8
    } else {
        (n.bits() + 8) / 8
    };
    if needed > length as u64 {
        return Err(Error::overflow_error("int too big to convert"));
    }
    let length = length as usize;
    let mut out = if n.is_negative() {
        let modulus = BigInt::from(1) << (8 * length);
        (modulus + &n).to_bytes_le().1
    } else {
        n.to_bytes_le().1
    };
    out.resize(length, 0);
    if out.len() > length {
        out.truncate(length);
    }
    if !little {
        out.reverse();
    }
    Ok(Value::bytes(out))
}

fn int_from_bytes(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    // args[0] is the class (classmethod).
    let r = rest(args, "from_bytes", 0, 2)?;
    for (k, _) in kw {
        if !matches!(k.as_str(), "bytes" | "byteorder" | "signed") {
            return Err(Error::type_error(format!(
                "from_bytes() got an unexpected keyword argument '{}'",
                k.as_str()
            )));
        }
    }
    let Some(src) = arg_or_kw(r, kw, 0, "bytes") else {
        return Err(Error::type_error(
            "from_bytes() missing required argument 'bytes' (pos 1)",
        ));
    };
    let mut data = match src {
        Value::Bytes(_) | Value::ByteArray(_) => vm.bytes_of(src)?,
        Value::Str(_) => {
            return Err(Error::type_error("cannot convert 'str' object to bytes"));
        }
        _ => {
            let mut out = Vec::new();
            for x in vm.iterate(src)? {
                let i = vm.index_value(&x)?;
                if !(0..256).contains(&i) {
                    return Err(Error::value_error("bytes must be in range(0, 256)"));
                }
                out.push(i as u8);
            }
            out
        }
    };
    let little = little_endian(arg_or_kw(r, kw, 1, "byteorder"))?;
    let signed = match kwarg(kw, "signed") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    if !little {
        data.reverse();
    }
    let mut n = BigInt::from_bytes_le(Sign::Plus, &data);
    if signed && data.last().is_some_and(|b| b & 0x80 != 0) {
        n -= BigInt::from(1) << (8 * data.len());
    }
    let v = Value::bigint(n);
    match args.first() {
        Some(Value::Class(c)) if !std::rc::Rc::ptr_eq(c, &vm.types.int) => {
            let cls = args[0].clone();
            vm.call(&cls, &[v], &[])
        }
        _ => Ok(v),
    }
}

fn bool_bitop(vm: &mut Vm, args: &[Value], op: BinOp, name: &str) -> Res<Value> {
    let a = this_int(args, name)?;
    let r = rest(args, name, 1, 1)?;
    let b = unwrap(&r[0]);
    match (&a, &b) {
        (Value::Bool(x), Value::Bool(y)) => Ok(Value::bool(match op {
            BinOp::BitAnd => x.get() & y.get(),
            BinOp::BitOr => x.get() | y.get(),
            _ => x.get() ^ y.get(),
        })),
        _ if is_int(&b) => vm.binary(op, plain_int(a), plain_int(b)),
        _ => Ok(vm.types.not_implemented.clone()),
    }
}

fn bool_and(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    bool_bitop(vm, args, BinOp::BitAnd, "__and__")
}
fn bool_or(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    bool_bitop(vm, args, BinOp::BitOr, "__or__")
}
fn bool_xor(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    bool_bitop(vm, args, BinOp::BitXor, "__xor__")
}

// ----- float -------------------------------------------------------------------

fn float_self(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let f = this_float(args, "__float__")?;
    rest(args, "__float__", 0, 0)?;
    Ok(Value::float(f))
}

fn float_trunc(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let f = this_float(args, "__trunc__")?;
    float_to_int(f.trunc())
}

fn float_floor(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let f = this_float(args, "__floor__")?;
    float_to_int(f.floor())
}

fn float_ceil(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let f = this_float(args, "__ceil__")?;
    float_to_int(f.ceil())
}

fn float_is_integer(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let f = this_float(args, "is_integer")?;
    rest(args, "float.is_integer", 0, 0)?;
    Ok(Value::bool(f.is_finite() && f.fract() == 0.0))
}

/// Splits a finite float into (mantissa, exponent) with value m * 2^e.
fn float_parts(f: f64) -> (i64, i32) {
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = (bits & ((1u64 << 52) - 1)) as i64;
    let (m, e) = if exp == 0 {
        (frac, -1074)
    } else {
        (frac | (1i64 << 52), exp - 1075)
    };
    (if f < 0.0 { -m } else { m }, e)
}

fn float_as_integer_ratio(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let f = this_float(args, "as_integer_ratio")?;
    rest(args, "float.as_integer_ratio", 0, 0)?;
    if f.is_nan() {
        return Err(Error::value_error("cannot convert NaN to integer ratio"));
    }
    if f.is_infinite() {
        return Err(Error::overflow_error(
            "cannot convert Infinity to integer ratio",
        ));
    }
    let (mut m, mut e) = float_parts(f);
    if m == 0 {
        return Ok(Value::tuple(vec![Value::Int(0), Value::Int(1)]));
    }
    while m % 2 == 0 && e < 0 {
        m /= 2;
        e += 1;
    }
    let (num, den) = if e >= 0 {
        (BigInt::from(m) << e as usize, BigInt::from(1))
    } else {
        (BigInt::from(m), BigInt::from(1) << (-e) as usize)
    };
    Ok(Value::tuple(vec![Value::bigint(num), Value::bigint(den)]))
}

fn float_hex(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let f = this_float(args, "hex")?;
    rest(args, "float.hex", 0, 0)?;
    if f.is_nan() {
        return Ok(Value::str("nan"));
    }
    if f.is_infinite() {
        return Ok(Value::str(if f > 0.0 { "inf" } else { "-inf" }));
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return Ok(Value::string(format!("{sign}0x0.0p+0")));
    }
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (lead, e) = if exp == 0 {
        (0, -1022)
    } else {
        (1, exp - 1023)
    };
    Ok(Value::string(format!("{sign}0x{lead}.{frac:013x}p{e:+}")))
}

/// 2^k as a float, for k in the representable range.
fn pow2(k: i64) -> f64 {
    if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074))
    }
}

/// n * 2^e correctly rounded (ties to even); None on overflow.
fn scale_round(n: &BigInt, e: i64) -> Option<f64> {
    if n.is_zero() {
        return Some(0.0);
    }
    let bits = n.bits() as i64;
    if bits + e > 1024 {
        return None;
    }
    let shift = (bits - 53).max(-1074 - e);
    let mant: BigInt = if shift > 0 {
        let q: BigInt = n >> shift as usize;
        let rem: BigInt = n - (&q << shift as usize);
        let half = BigInt::from(1) << (shift as usize - 1);
        let odd = (&q & BigInt::from(1)) == BigInt::from(1);
        if rem > half || (rem == half && odd) {
            q + 1
        } else {
            q
        }
    } else {
        n << (-shift) as usize
    };
    let m = mant.to_u64()? as f64;
    let k = e + shift;
    // Split the scaling so intermediate powers stay representable.
    let r = if k > 1023 {
        m * pow2(1023) * pow2(k - 1023)
    } else if k < -1074 {
        m * pow2(-1074) * pow2(k + 1074)
    } else {
        m * pow2(k)
    };
    r.is_finite().then_some(r)
}

fn float_fromhex(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let r = rest(args, "fromhex", 1, 1)?;
    let Value::Str(s) = &r[0] else {
        return Err(Error::type_error(format!(
            "fromhex() argument must be str, not {}",
            r[0].type_name()
        )));
    };
    let v = Value::float(parse_hex_float(s.as_str())?);
    match args.first() {
        Some(Value::Class(c)) if !std::rc::Rc::ptr_eq(c, &vm.types.float) => {
            let cls = args[0].clone();
            vm.call(&cls, &[v], &[])
        }
        _ => Ok(v),
    }
}

fn parse_hex_float(text: &str) -> Res<f64> {
    let bad = || Error::value_error("invalid hexadecimal floating-point string");
    let t = text.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let sign = if neg { -1.0 } else { 1.0 };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(sign * f64::INFINITY);
    }
    if lower == "nan" {
        return Ok(f64::NAN);
    }
    let body = lower.strip_prefix("0x").unwrap_or(&lower);
    let (digits, exp) = match body.find('p') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match digits.find('.') {
        Some(i) => (&digits[..i], &digits[i + 1..]),
        None => (digits, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(bad());
    }
    let mut n = BigInt::zero();
    for c in int_part.chars().chain(frac_part.chars()) {
        let d = c.to_digit(16).ok_or_else(bad)?;
        n = n * 16 + d;
    }
    let e: i64 = match exp {
        Some(x) => {
            let ok = !x.is_empty()
                && x.trim_start_matches(['+', '-'])
                    .chars()
                    .all(|c| c.is_ascii_digit())
                && x.trim_start_matches(['+', '-']).len() + 1 >= x.len();
            if !ok || x.trim_start_matches(['+', '-']).is_empty() {
                return Err(bad());
            }
            // Huge exponents saturate: they over- or underflow anyway.
            x.parse::<i64>().unwrap_or(if x.starts_with('-') {
                -100_000
            } else {
                100_000
            })
        }
        None => 0,
    };
    let e = e.clamp(-100_000, 100_000) - 4 * frac_part.len() as i64;
    match scale_round(&n, e) {
        Some(f) => Ok(sign * f),
        None => Err(Error::overflow_error(
            "hexadecimal value too large to represent as a float",
        )),
    }
}
