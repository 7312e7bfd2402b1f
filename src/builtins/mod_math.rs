//! The `math` module, with CPython's error conventions: results that are
//! NaN from non-NaN input raise "math domain error", overflows raise
//! OverflowError "math range error".

// Constants are copied verbatim from the C sources CPython uses.
#![allow(clippy::excessive_precision)]

use std::rc::Rc;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::{add_fn, check_args, kwarg};
use crate::syntax::ast::BinOp;
use crate::vm::error::{Error, Res};
use crate::vm::object::ModuleObj;
use crate::vm::value::*;
use crate::vm::Vm;

extern "C" {
    fn erf(x: f64) -> f64;
    fn erfc(x: f64) -> f64;
    fn remainder(x: f64, y: f64) -> f64;
    fn asinh(x: f64) -> f64;
    fn acosh(x: f64) -> f64;
    fn atanh(x: f64) -> f64;
}

fn domain() -> Error {
    Error::value_error("math domain error")
}
fn range() -> Error {
    Error::overflow_error("math range error")
}

/// `float(v)` for a math argument (ints exactly, `__float__`, `__index__`).
pub fn to_float(vm: &mut Vm, v: &Value) -> Res<f64> {
    match v {
        Value::Float(f) => Ok(f.get()),
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(*b as i64 as f64),
        Value::BigInt(b) => crate::vm::num::big_to_f64(b),
        Value::Instance(_) => {
            for name in ["__float__", "__index__"] {
                let s = vm.intern(name);
                if let Some(m) = vm.lookup_special(v, &s) {
                    let r = vm.call(&m, std::slice::from_ref(v), &[])?;
                    return to_float(vm, &r);
                }
            }
            match crate::vm::ops::payload_of(v) {
                Some(p) => to_float(vm, &p),
                None => Err(Error::type_error(format!(
                    "must be real number, not {}",
                    v.type_name()
                ))),
            }
        }
        _ => Err(Error::type_error(format!(
            "must be real number, not {}",
            v.type_name()
        ))),
    }
}

/// An exact integer argument (`__index__`).
pub fn to_int(vm: &mut Vm, v: &Value) -> Res<BigInt> {
    match v {
        Value::Int(i) => Ok(BigInt::from(*i)),
        Value::Bool(b) => Ok(BigInt::from(*b as i64)),
        Value::BigInt(b) => Ok((**b).clone()),
        Value::Instance(_) => {
            let s = vm.intern_static("__index__");
            if let Some(m) = vm.lookup_special(v, &s) {
                let r = vm.call(&m, std::slice::from_ref(v), &[])?;
                return to_int(vm, &r);
            }
            match crate::vm::ops::payload_of(v) {
                Some(p @ (Value::Int(_) | Value::BigInt(_) | Value::Bool(_))) => to_int(vm, &p),
                _ => Err(Error::type_error(format!(
                    "'{}' object cannot be interpreted as an integer",
                    v.type_name()
                ))),
            }
        }
        _ => Err(Error::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            v.type_name()
        ))),
    }
}

fn one_arg<'a>(name: &str, args: &'a [Value]) -> Res<&'a Value> {
    check_args(name, args, 1, 1)?;
    Ok(&args[0])
}

/// Applies [f] with CPython's `math_1` error checks.
fn math_1(
    vm: &mut Vm,
    name: &str,
    args: &[Value],
    f: fn(f64) -> f64,
    can_overflow: bool,
) -> Res<Value> {
    let x = to_float(vm, one_arg(name, args)?)?;
    let r = f(x);
    if r.is_nan() && !x.is_nan() {
        return Err(domain());
    }
    if r.is_infinite() && x.is_finite() {
        return Err(if can_overflow { range() } else { domain() });
    }
    Ok(Value::float(r))
}

macro_rules! unary {
    ($($fname:ident, $name:expr, $f:expr, $ov:expr;)*) => {
        $(fn $fname(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
            math_1(vm, $name, args, $f, $ov)
        })*
    };
}

unary! {
    m_sqrt, "sqrt", f64::sqrt, false;
    m_exp, "exp", f64::exp, true;
    m_exp2, "exp2", f64::exp2, true;
    m_expm1, "expm1", f64::exp_m1, true;
    m_sin, "sin", f64::sin, false;
    m_cos, "cos", f64::cos, false;
    m_tan, "tan", f64::tan, false;
    m_asin, "asin", f64::asin, false;
    m_acos, "acos", f64::acos, false;
    m_atan, "atan", f64::atan, false;
    m_sinh, "sinh", f64::sinh, true;
    m_cosh, "cosh", f64::cosh, true;
    m_tanh, "tanh", f64::tanh, false;
    m_asinh, "asinh", |x| unsafe { asinh(x) }, false;
    m_acosh, "acosh", |x| unsafe { acosh(x) }, false;
    m_atanh, "atanh", |x| if x.abs() >= 1.0 { f64::NAN } else { unsafe { atanh(x) } }, false;
    m_cbrt, "cbrt", glibc_cbrt, false;
    m_fabs, "fabs", f64::abs, false;
    m_erf, "erf", |x| unsafe { erf(x) }, false;
    m_erfc, "erfc", |x| unsafe { erfc(x) }, false;
    m_gamma, "gamma", tgamma, true;
    m_lgamma, "lgamma", lgamma, true;
}

/// glibc's cbrt (what CPython calls), bit for bit: the linked `cbrt`
/// symbol may be Rust's own, which rounds differently.
fn glibc_cbrt(x: f64) -> f64 {
    const CBRT2: f64 = 1.2599210498948731648;
    const SQR_CBRT2: f64 = 1.5874010519681994748;
    const FACTOR: [f64; 5] = [1.0 / SQR_CBRT2, 1.0 / CBRT2, 1.0, CBRT2, SQR_CBRT2];
    if x == 0.0 || !x.is_finite() {
        return x + x;
    }
    let (xm, xe) = frexp(x.abs());
    let u = 0.354895765043919860
        + ((1.50819193781584896
            + ((-2.11499494167371287
                + ((2.44693122563534430
                    + ((-1.83469277483613086
                        + (0.784932344976639262 - 0.145263899385486377 * xm) * xm)
                        * xm))
                    * xm))
                * xm))
            * xm);
    let t2 = u * u * u;
    let ym = u * (t2 + 2.0 * xm) / (2.0 * t2 + xm) * FACTOR[(2 + xe % 3) as usize];
    ldexp(ym, xe / 3).copysign(x)
}

fn m_degrees(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let x = to_float(vm, one_arg("degrees", args)?)?;
    Ok(Value::float(x * (180.0 / std::f64::consts::PI)))
}
fn m_radians(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let x = to_float(vm, one_arg("radians", args)?)?;
    Ok(Value::float(x * (std::f64::consts::PI / 180.0)))
}

fn m_log1p(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let x = to_float(vm, one_arg("log1p", args)?)?;
    if x <= -1.0 {
        return Err(domain());
    }
    Ok(Value::float(x.ln_1p()))
}

/// Natural log of any real, exact for huge ints (CPython's loghelper).
fn log_of(vm: &mut Vm, v: &Value, f: fn(f64) -> f64) -> Res<f64> {
    if let Value::BigInt(b) = v {
        if !b.is_positive() {
            return Err(domain());
        }
        if let Some(x) = b.to_f64().filter(|x| x.is_finite()) {
            return Ok(f(x));
        }
        // x = m * 2**e with m in [0.5, 1) rounded to 53 bits, as
        // CPython's _PyLong_Frexp: keep 55 bits plus a sticky bit.
        let bits = b.bits();
        let shift = bits - 55;
        let top = (&**b >> shift).to_u64().unwrap_or(0);
        let low: BigInt = &**b & ((BigInt::one() << shift) - 1u32);
        let sticky = u64::from(!low.is_zero());
        let mut m = ((top | sticky) as f64) * 2f64.powi(-55);
        let mut e = bits as i64;
        if m >= 1.0 {
            m /= 2.0;
            e += 1;
        }
        let m = m;
        return Ok(f(m) + f(2.0) * (e as f64));
    }
    let x = to_float(vm, v)?;
    if x.is_nan() {
        return Ok(x);
    }
    if x <= 0.0 {
        return Err(domain());
    }
    Ok(f(x))
}

fn m_log(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("log", args, 1, 2)?;
    let num = log_of(vm, &args[0], f64::ln)?;
    if let Some(b) = args.get(1) {
        let den = log_of(vm, b, f64::ln)?;
        if den == 0.0 {
            return Err(Error::zero_division("float division by zero"));
        }
        return Ok(Value::float(num / den));
    }
    Ok(Value::float(num))
}
fn m_log2(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let v = one_arg("log2", args)?;
    Ok(Value::float(log_of(vm, v, f64::log2)?))
}
fn m_log10(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let v = one_arg("log10", args)?;
    Ok(Value::float(log_of(vm, v, f64::log10)?))
}

/// Calls `__floor__`/`__ceil__`/`__trunc__` on instances.
fn dunder_round(vm: &mut Vm, v: &Value, name: &str) -> Res<Option<Value>> {
    if let Value::Instance(_) = v {
        let s = vm.intern(name);
        if let Some(m) = vm.lookup_special(v, &s) {
            return vm.call(&m, std::slice::from_ref(v), &[]).map(Some);
        }
    }
    Ok(None)
}

fn round_with(
    vm: &mut Vm,
    name: &str,
    dunder: &str,
    args: &[Value],
    f: fn(f64) -> f64,
) -> Res<Value> {
    let v = one_arg(name, args)?;
    match v {
        Value::Int(_) | Value::BigInt(_) => return Ok(v.clone()),
        Value::Bool(b) => return Ok(Value::Int(*b as i64)),
        _ => {}
    }
    if let Some(r) = dunder_round(vm, v, dunder)? {
        return Ok(r);
    }
    if name == "trunc" && !matches!(v, Value::Float(_)) {
        return Err(Error::type_error(format!(
            "type {} doesn't define __trunc__ method",
            v.type_name()
        )));
    }
    let x = to_float(vm, v)?;
    super::constructors::float_to_int(f(x))
}
fn m_floor(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    round_with(vm, "floor", "__floor__", args, f64::floor)
}
fn m_ceil(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    round_with(vm, "ceil", "__ceil__", args, f64::ceil)
}
fn m_trunc(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    round_with(vm, "trunc", "__trunc__", args, f64::trunc)
}

fn two_floats(vm: &mut Vm, name: &str, args: &[Value]) -> Res<(f64, f64)> {
    check_args(name, args, 2, 2)?;
    Ok((to_float(vm, &args[0])?, to_float(vm, &args[1])?))
}

fn m_pow(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (x, y) = two_floats(vm, "pow", args)?;
    if !x.is_finite() || !y.is_finite() {
        // C99 special cases never raise, except 0**-inf style handled by powf.
        return Ok(Value::float(x.powf(y)));
    }
    let r = x.powf(y);
    if r.is_nan() {
        return Err(domain());
    }
    if r.is_infinite() {
        return Err(if x == 0.0 { domain() } else { range() });
    }
    Ok(Value::float(r))
}

fn m_fmod(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (x, y) = two_floats(vm, "fmod", args)?;
    if y.is_infinite() && x.is_finite() {
        return Ok(Value::float(x));
    }
    let r = x % y;
    if r.is_nan() && !x.is_nan() && !y.is_nan() {
        return Err(domain());
    }
    Ok(Value::float(r))
}

fn m_remainder(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (x, y) = two_floats(vm, "remainder", args)?;
    if x.is_nan() || y.is_nan() {
        return Ok(Value::float(f64::NAN));
    }
    if x.is_infinite() || y == 0.0 {
        return Err(domain());
    }
    if y.is_infinite() {
        return Ok(Value::float(x));
    }
    Ok(Value::float(unsafe { remainder(x, y) }))
}

fn m_atan2(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (y, x) = two_floats(vm, "atan2", args)?;
    Ok(Value::float(y.atan2(x)))
}

fn m_copysign(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (x, y) = two_floats(vm, "copysign", args)?;
    Ok(Value::float(x.copysign(y)))
}

fn m_nextafter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (x, y) = two_floats(vm, "nextafter", args)?;
    Ok(Value::float(nextafter(x, y)))
}

fn nextafter(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == y {
        return y;
    }
    if x == 0.0 {
        return f64::from_bits(1).copysign(y);
    }
    let b = x.to_bits();
    let up = (y > x) == (x > 0.0);
    f64::from_bits(if up { b + 1 } else { b - 1 })
}

fn m_ulp(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let x = to_float(vm, one_arg("ulp", args)?)?.abs();
    if x.is_nan() || x.is_infinite() {
        return Ok(Value::float(x));
    }
    let x2 = nextafter(x, f64::INFINITY);
    if x2.is_infinite() {
        return Ok(Value::float(x - nextafter(x, -f64::INFINITY)));
    }
    Ok(Value::float(x2 - x))
}

fn frexp(x: f64) -> (f64, i64) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    if exp == 0 {
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, exp - 1022)
}

fn ldexp(x: f64, e: i64) -> f64 {
    // Scale in steps so that intermediate values stay representable.
    let mut r = x;
    let mut e = e.clamp(-2200, 2200);
    while e > 1000 {
        r *= 2f64.powi(1000);
        e -= 1000;
    }
    while e < -1000 {
        r *= 2f64.powi(-1000);
        e += 1000;
    }
    if e < -1022 {
        // Two steps keep subnormal rounding to a single final rounding.
        r *= 2f64.powi(-1022);
        e += 1022;
    }
    r * 2f64.powi(e as i32)
}

fn m_frexp(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let x = to_float(vm, one_arg("frexp", args)?)?;
    let (m, e) = frexp(x);
    Ok(Value::tuple(vec![Value::float(m), Value::Int(e)]))
}

fn m_ldexp(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("ldexp", args, 2, 2)?;
    let x = to_float(vm, &args[0])?;
    if matches!(args[1], Value::Float(_)) {
        return Err(Error::type_error(
            "Expected an int as second argument to ldexp.",
        ));
    }
    let e = to_int(vm, &args[1])?;
    let e = e
        .to_i64()
        .unwrap_or(if e.is_negative() { i64::MIN } else { i64::MAX });
    if x == 0.0 || !x.is_finite() {
        return Ok(Value::float(x));
    }
    let r = ldexp(x, e);
    if r.is_infinite() {
        return Err(range());
    }
    Ok(Value::float(r))
}

fn m_modf(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let x = to_float(vm, one_arg("modf", args)?)?;
    let (f, i) = if x.is_infinite() {
        (0f64.copysign(x), x)
    } else {
        let i = x.trunc();
        ((x - i).copysign(x), i)
    };
    Ok(Value::tuple(vec![Value::float(f), Value::float(i)]))
}

fn m_isfinite(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::bool(
        to_float(vm, one_arg("isfinite", args)?)?.is_finite(),
    ))
}
fn m_isinf(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::bool(
        to_float(vm, one_arg("isinf", args)?)?.is_infinite(),
    ))
}
fn m_isnan(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::bool(to_float(vm, one_arg("isnan", args)?)?.is_nan()))
}

fn m_isclose(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("isclose", args, 2, 2)?;
    let a = to_float(vm, &args[0])?;
    let b = to_float(vm, &args[1])?;
    let rel = match kwarg(kw, "rel_tol") {
        Some(v) => to_float(vm, v)?,
        None => 1e-9,
    };
    let abs = match kwarg(kw, "abs_tol") {
        Some(v) => to_float(vm, v)?,
        None => 0.0,
    };
    if rel < 0.0 || abs < 0.0 {
        return Err(Error::value_error("tolerances must be non-negative"));
    }
    if a == b {
        return Ok(Value::Bool(Truth::True));
    }
    if a.is_infinite() || b.is_infinite() {
        return Ok(Value::Bool(Truth::False));
    }
    let diff = (b - a).abs();
    Ok(Value::bool(
        (diff <= (rel * b).abs()) || (diff <= (rel * a).abs()) || diff <= abs,
    ))
}

// ----- exact integer functions ------------------------------------------------

fn int_arg(vm: &mut Vm, v: &Value) -> Res<BigInt> {
    if let Value::Float(_) = v {
        return Err(Error::type_error(
            "'float' object cannot be interpreted as an integer",
        ));
    }
    to_int(vm, v)
}

/// Product of lo..hi (exclusive) by binary splitting.
fn range_product(lo: u64, hi: u64) -> BigInt {
    if hi <= lo {
        return BigInt::one();
    }
    if hi - lo <= 16 {
        let mut acc = BigInt::one();
        let mut small: u64 = 1;
        for i in lo..hi {
            match small.checked_mul(i) {
                Some(s) => small = s,
                None => {
                    acc *= small;
                    small = i;
                }
            }
        }
        return acc * small;
    }
    let mid = lo + (hi - lo) / 2;
    range_product(lo, mid) * range_product(mid, hi)
}

fn m_factorial(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let n = int_arg(vm, one_arg("factorial", args)?)?;
    if n.is_negative() {
        return Err(Error::value_error(
            "factorial() not defined for negative values",
        ));
    }
    let n = n.to_u64().filter(|&n| n < 10_000_000).ok_or_else(|| {
        Error::overflow_error("factorial() argument should not exceed 9223372036854775807")
    })?;
    Ok(Value::bigint(range_product(1, n + 1)))
}

fn m_gcd(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let mut acc = BigInt::zero();
    for a in args {
        let x = int_arg(vm, a)?;
        acc = acc.gcd(&x);
    }
    Ok(Value::bigint(acc))
}

fn m_lcm(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let mut acc = BigInt::one();
    for a in args {
        let x = int_arg(vm, a)?;
        if acc.is_zero() || x.is_zero() {
            acc = BigInt::zero();
            continue;
        }
        acc = acc.lcm(&x);
    }
    Ok(Value::bigint(acc.abs()))
}

fn m_isqrt(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let n = int_arg(vm, one_arg("isqrt", args)?)?;
    if n.is_negative() {
        return Err(Error::value_error("isqrt() argument must be nonnegative"));
    }
    Ok(Value::bigint(n.sqrt()))
}

fn perm_comb_args(vm: &mut Vm, name: &str, args: &[Value]) -> Res<(BigInt, BigInt)> {
    let n = int_arg(vm, &args[0])?;
    let k = int_arg(vm, &args[1])?;
    if n.is_negative() {
        return Err(Error::value_error("n must be a non-negative integer"));
    }
    if k.is_negative() {
        return Err(Error::value_error("k must be a non-negative integer"));
    }
    let _ = name;
    Ok((n, k))
}

fn m_comb(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("comb", args, 2, 2)?;
    let (n, k) = perm_comb_args(vm, "comb", args)?;
    if k > n {
        return Ok(Value::Int(0));
    }
    let k = std::cmp::min(k.clone(), &n - &k);
    let k = k.to_u64().ok_or_else(|| {
        Error::overflow_error("min(n - k, k) must not exceed 9223372036854775807")
    })?;
    let mut r = BigInt::one();
    for i in 0..k {
        r = r * (&n - i) / (i + 1);
    }
    Ok(Value::bigint(r))
}

fn m_perm(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("perm", args, 1, 2)?;
    if args.len() == 1 || args[1].is_none() {
        return m_factorial(vm, &args[..1], &[]);
    }
    let (n, k) = perm_comb_args(vm, "perm", args)?;
    if k > n {
        return Ok(Value::Int(0));
    }
    let k = k
        .to_u64()
        .ok_or_else(|| Error::overflow_error("k must not exceed 9223372036854775807"))?;
    let mut r = BigInt::one();
    for i in 0..k {
        r *= &n - i;
    }
    Ok(Value::bigint(r))
}

fn m_prod(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("prod", args, 1, 1)?;
    let mut acc = kwarg(kw, "start").cloned().unwrap_or(Value::Int(1));
    let it = vm.get_iter(&args[0])?;
    while let Some(x) = vm.iter_next(&it)? {
        acc = vm.binary(BinOp::Mul, acc, x)?;
    }
    Ok(acc)
}

/// Shewchuk's exact summation, as CPython's `math.fsum`.
fn m_fsum(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let it = vm.get_iter(one_arg("fsum", args)?)?;
    let mut p: Vec<f64> = Vec::new();
    let (mut special, mut inf_sum) = (0.0f64, 0.0f64);
    while let Some(v) = vm.iter_next(&it)? {
        let mut x = to_float(vm, &v)?;
        let xsave = x;
        let mut i = 0;
        for j in 0..p.len() {
            let mut y = p[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                p[i] = lo;
                i += 1;
            }
            x = hi;
        }
        p.truncate(i);
        if x != 0.0 {
            if !x.is_finite() {
                if xsave.is_finite() {
                    return Err(Error::overflow_error("intermediate overflow in fsum"));
                }
                if xsave.is_infinite() {
                    inf_sum += xsave;
                }
                special += xsave;
                p.clear();
            } else {
                p.push(x);
            }
        }
    }
    if special != 0.0 {
        if inf_sum.is_nan() {
            return Err(Error::value_error("-inf + inf in fsum"));
        }
        return Ok(Value::float(special));
    }
    let mut n = p.len();
    let mut hi = 0.0;
    if n > 0 {
        n -= 1;
        hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = p[n];
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            let yr = x - hi;
            if y == yr {
                hi = x;
            }
        }
    }
    Ok(Value::float(hi))
}

/// CPython's accurate `vector_norm` (used by hypot and dist).
fn vector_norm(vec: &mut [f64], max: f64, found_nan: bool) -> f64 {
    if max.is_infinite() {
        return max;
    }
    if found_nan {
        return f64::NAN;
    }
    if max == 0.0 || vec.len() <= 1 {
        return max;
    }
    let (_, max_e) = frexp(max);
    if max_e < -1023 {
        for x in vec.iter_mut() {
            *x /= f64::MIN_POSITIVE;
        }
        return f64::MIN_POSITIVE * vector_norm(vec, max / f64::MIN_POSITIVE, found_nan);
    }
    let scale = ldexp(1.0, -max_e);
    let (mut csum, mut frac1, mut frac2) = (1.0f64, 0.0f64, 0.0f64);
    let dl_mul = |x: f64, y: f64| {
        let hi = x * y;
        (hi, x.mul_add(y, -hi))
    };
    let fast_sum = |a: f64, b: f64| {
        let x = a + b;
        let z = x - a;
        (x, b - z)
    };
    for &v in vec.iter() {
        let x = v * scale;
        let (phi, plo) = dl_mul(x, x);
        let (shi, slo) = fast_sum(csum, phi);
        csum = shi;
        frac1 += plo;
        frac2 += slo;
    }
    let mut h = (csum - 1.0 + (frac1 + frac2)).sqrt();
    let (phi, plo) = dl_mul(-h, h);
    let (shi, slo) = fast_sum(csum, phi);
    csum = shi;
    frac1 += plo;
    frac2 += slo;
    let x = csum - 1.0 + (frac1 + frac2);
    h += x / (2.0 * h);
    h / scale
}

fn norm_of(mut v: Vec<f64>) -> f64 {
    let mut max = 0.0f64;
    let mut found_nan = false;
    for x in v.iter_mut() {
        *x = x.abs();
        found_nan |= x.is_nan();
        if *x > max {
            max = *x;
        }
    }
    vector_norm(&mut v, max, found_nan)
}

fn m_hypot(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let mut v = Vec::with_capacity(args.len());
    for a in args {
        v.push(to_float(vm, a)?);
    }
    Ok(Value::float(norm_of(v)))
}

fn m_dist(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("dist", args, 2, 2)?;
    let (Value::Tuple(_) | Value::List(_)) = &args[0] else {
        return Err(Error::type_error(
            "dist(): argument 1 must be tuple, not ".to_string() + &args[0].type_name(),
        ));
    };
    let p = vm.iterate(&args[0])?;
    let q = vm.iterate(&args[1])?;
    if p.len() != q.len() {
        return Err(Error::value_error(
            "both points must have the same number of dimensions",
        ));
    }
    let mut v = Vec::with_capacity(p.len());
    for (a, b) in p.iter().zip(&q) {
        v.push(to_float(vm, a)? - to_float(vm, b)?);
    }
    Ok(Value::float(norm_of(v)))
}

// ----- gamma and lgamma: CPython's Lanczos implementation ------------------

const LANCZOS_G: f64 = 6.024680040776729583740234375;
const LANCZOS_G_MINUS_HALF: f64 = 5.524680040776729583740234375;
const LANCZOS_NUM: [f64; 13] = [
    23531376880.410759688572007674451636754734846804940,
    42919803642.649098768957899047001988850926355848959,
    35711959237.355668049440185451547166705960488635843,
    17921034426.037209699919755754458931112671403265390,
    6039542586.3520280050642916443072979210699388420708,
    1439720407.3117216736632230727949123939715485786772,
    248874557.86205415651146038641322942321632125127801,
    31426415.585400194380614231628318205362874684987640,
    2876370.6289353724412254090516208496135991145378768,
    186056.26539522349504029498971604569928220784236328,
    8071.6720023658162106380029022722506138218516325024,
    210.82427775157934587250973392071336271166969580291,
    2.5066282746310002701649081771338373386264310793408,
];
const LANCZOS_DEN: [f64; 13] = [
    0.0,
    39916800.0,
    120543840.0,
    150917976.0,
    105258076.0,
    45995730.0,
    13339535.0,
    2637558.0,
    357423.0,
    32670.0,
    1925.0,
    66.0,
    1.0,
];
const GAMMA_INTEGRAL: [f64; 23] = [
    1.0,
    1.0,
    2.0,
    6.0,
    24.0,
    120.0,
    720.0,
    5040.0,
    40320.0,
    362880.0,
    3628800.0,
    39916800.0,
    479001600.0,
    6227020800.0,
    87178291200.0,
    1307674368000.0,
    20922789888000.0,
    355687428096000.0,
    6402373705728000.0,
    121645100408832000.0,
    2432902008176640000.0,
    51090942171709440000.0,
    1124000727777607680000.0,
];

fn lanczos_sum(x: f64) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    if x < 5.0 {
        for i in (0..13).rev() {
            num = num * x + LANCZOS_NUM[i];
            den = den * x + LANCZOS_DEN[i];
        }
    } else {
        for i in 0..13 {
            num = num / x + LANCZOS_NUM[i];
            den = den / x + LANCZOS_DEN[i];
        }
    }
    num / den
}

fn sinpi(x: f64) -> f64 {
    let pi = std::f64::consts::PI;
    let y = x.abs() % 2.0;
    let n = (2.0 * y).round() as i64;
    let r = match n {
        0 => (pi * y).sin(),
        1 => (pi * (y - 0.5)).cos(),
        2 => (pi * (1.0 - y)).sin(),
        3 => -(pi * (y - 1.5)).cos(),
        4 => (pi * (y - 2.0)).sin(),
        _ => 0.0,
    };
    (1.0f64).copysign(x) * r
}

/// Returns NaN for domain errors and inf for overflow (math_1 maps them).
fn tgamma(x: f64) -> f64 {
    if !x.is_finite() {
        if x.is_nan() || x > 0.0 {
            return x;
        }
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NAN;
    }
    if x == x.floor() {
        if x < 0.0 {
            return f64::NAN;
        }
        if x <= GAMMA_INTEGRAL.len() as f64 {
            return GAMMA_INTEGRAL[x as usize - 1];
        }
    }
    let absx = x.abs();
    if absx < 1e-20 {
        return 1.0 / x;
    }
    if absx > 200.0 {
        return if x < 0.0 {
            0.0 / sinpi(x)
        } else {
            f64::INFINITY
        };
    }
    let y = absx + LANCZOS_G_MINUS_HALF;
    let q = if absx > LANCZOS_G_MINUS_HALF {
        y - absx - LANCZOS_G_MINUS_HALF
    } else {
        y - LANCZOS_G_MINUS_HALF - absx
    };
    let z = q * LANCZOS_G / y;
    let mut r;
    if x < 0.0 {
        r = -std::f64::consts::PI / sinpi(absx) / absx * y.exp() / lanczos_sum(absx);
        r -= z * r;
        if absx < 140.0 {
            r /= y.powf(absx - 0.5);
        } else {
            let sqrtpow = y.powf(absx / 2.0 - 0.25);
            r /= sqrtpow;
            r /= sqrtpow;
        }
    } else {
        r = lanczos_sum(absx) / y.exp();
        r += z * r;
        if absx < 140.0 {
            r *= y.powf(absx - 0.5);
        } else {
            let sqrtpow = y.powf(absx / 2.0 - 0.25);
            r *= sqrtpow;
            r *= sqrtpow;
        }
    }
    r
}

fn lgamma(x: f64) -> f64 {
    if !x.is_finite() {
        if x.is_nan() {
            return x;
        }
        return f64::INFINITY;
    }
    if x == x.floor() && x <= 2.0 {
        return if x <= 0.0 { f64::INFINITY } else { 0.0 };
    }
    let absx = x.abs();
    if absx < 1e-20 {
        return -absx.ln();
    }
    let mut r = lanczos_sum(absx).ln() - LANCZOS_G;
    r += (absx - 0.5) * ((absx + LANCZOS_G - 0.5).ln() - 1.0);
    if x < 0.0 {
        r = std::f64::consts::PI.ln() - sinpi(absx).abs().ln() - absx.ln() - r;
    }
    r
}

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("math", None);
    m.set_str("pi", Value::float(std::f64::consts::PI));
    m.set_str("e", Value::float(std::f64::consts::E));
    m.set_str("tau", Value::float(std::f64::consts::TAU));
    m.set_str("inf", Value::float(f64::INFINITY));
    m.set_str("nan", Value::float(f64::NAN));
    let fns: &[(&'static str, crate::vm::object::NativeFnPtr)] = &[
        ("sqrt", m_sqrt),
        ("exp", m_exp),
        ("exp2", m_exp2),
        ("expm1", m_expm1),
        ("sin", m_sin),
        ("cos", m_cos),
        ("tan", m_tan),
        ("asin", m_asin),
        ("acos", m_acos),
        ("atan", m_atan),
        ("sinh", m_sinh),
        ("cosh", m_cosh),
        ("tanh", m_tanh),
        ("asinh", m_asinh),
        ("acosh", m_acosh),
        ("atanh", m_atanh),
        ("cbrt", m_cbrt),
        ("fabs", m_fabs),
        ("erf", m_erf),
        ("erfc", m_erfc),
        ("gamma", m_gamma),
        ("lgamma", m_lgamma),
        ("degrees", m_degrees),
        ("radians", m_radians),
        ("log", m_log),
        ("log2", m_log2),
        ("log10", m_log10),
        ("log1p", m_log1p),
        ("floor", m_floor),
        ("ceil", m_ceil),
        ("trunc", m_trunc),
        ("pow", m_pow),
        ("fmod", m_fmod),
        ("remainder", m_remainder),
        ("atan2", m_atan2),
        ("copysign", m_copysign),
        ("nextafter", m_nextafter),
        ("ulp", m_ulp),
        ("frexp", m_frexp),
        ("ldexp", m_ldexp),
        ("modf", m_modf),
        ("isfinite", m_isfinite),
        ("isinf", m_isinf),
        ("isnan", m_isnan),
        ("isclose", m_isclose),
        ("factorial", m_factorial),
        ("gcd", m_gcd),
        ("lcm", m_lcm),
        ("isqrt", m_isqrt),
        ("comb", m_comb),
        ("perm", m_perm),
        ("prod", m_prod),
        ("fsum", m_fsum),
        ("hypot", m_hypot),
        ("dist", m_dist),
    ];
    for (name, f) in fns {
        add_fn(vm, &m, name, *f);
    }
    m
}
