//! Integer and float arithmetic with Python's semantics: exact promotion
//! from i64 to big integers, floor division and modulo rounding towards
//! negative infinity, and Python's error messages.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::error::{Error, ExcType, Res};
use super::value::Value;
use crate::syntax::ast::BinOp;

/// Results larger than this many bits are refused with MemoryError
/// before any allocation.
pub const MAX_INT_BITS: u64 = 1 << 32;

pub fn to_big(v: &Value) -> Option<BigInt> {
    match v {
        Value::Int(i) => Some(BigInt::from(*i)),
        Value::Bool(b) => Some(BigInt::from(*b as i64)),
        Value::BigInt(b) => Some((**b).clone()),
        _ => None,
    }
}

pub fn is_int(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Bool(_) | Value::BigInt(_))
}

pub fn big_to_f64(b: &BigInt) -> Res<f64> {
    match b.to_f64() {
        Some(f) if f.is_finite() => Ok(f),
        _ => Err(Error::overflow_error("int too large to convert to float")),
    }
}

pub fn to_f64(v: &Value) -> Option<Res<f64>> {
    Some(match v {
        Value::Float(f) => Ok(f.get()),
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(*b as i64 as f64),
        Value::BigInt(b) => big_to_f64(b),
        _ => return None,
    })
}

fn int_zero_div(op: BinOp) -> Error {
    match op {
        BinOp::Mod => Error::zero_division("integer modulo by zero"),
        BinOp::Div => Error::zero_division("division by zero"),
        _ => Error::zero_division("integer division or modulo by zero"),
    }
}

/// `a op b` for two ints (i64 fast path, big ints otherwise).
pub fn int_op(op: BinOp, a: &Value, b: &Value) -> Res<Value> {
    if let (Some(x), Some(y)) = (small(a), small(b)) {
        let r = match op {
            BinOp::Add => x.checked_add(y),
            BinOp::Sub => x.checked_sub(y),
            BinOp::Mul => x.checked_mul(y),
            BinOp::FloorDiv => {
                if y == 0 {
                    return Err(int_zero_div(op));
                }
                if x == i64::MIN && y == -1 {
                    None
                } else {
                    Some(Integer::div_floor(&x, &y))
                }
            }
            BinOp::Mod => {
                if y == 0 {
                    return Err(int_zero_div(op));
                }
                if x == i64::MIN && y == -1 {
                    Some(0)
                } else {
                    Some(x.mod_floor(&y))
                }
            }
            BinOp::Div => {
                if y == 0 {
                    return Err(int_zero_div(op));
                }
                if x.unsigned_abs() < (1 << 53) && y.unsigned_abs() < (1 << 53) {
                    return Ok(Value::float(x as f64 / y as f64));
                }
                None
            }
            BinOp::BitAnd => Some(x & y),
            BinOp::BitOr => Some(x | y),
            BinOp::BitXor => Some(x ^ y),
            BinOp::LShift => {
                if y < 0 {
                    return Err(Error::value_error("negative shift count"));
                }
                if y < 63 && x.unsigned_abs() < (1u64 << (62 - y)) {
                    Some(x << y)
                } else {
                    None
                }
            }
            BinOp::RShift => {
                if y < 0 {
                    return Err(Error::value_error("negative shift count"));
                }
                Some(if y >= 64 {
                    if x < 0 {
                        -1
                    } else {
                        0
                    }
                } else {
                    x >> y
                })
            }
            BinOp::Pow => {
                if y < 0 {
                    return float_op(BinOp::Pow, x as f64, y as f64);
                }
                if y <= u32::MAX as i64 {
                    x.checked_pow(y as u32)
                } else {
                    None
                }
            }
        };
        if let Some(r) = r {
            return Ok(Value::Int(r));
        }
    }
    let (Some(x), Some(y)) = (to_big(a), to_big(b)) else {
        return Err(Error::type_error("bad operand"));
    };
    big_op(op, &x, &y)
}

fn small(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

fn big_op(op: BinOp, x: &BigInt, y: &BigInt) -> Res<Value> {
    Ok(match op {
        BinOp::Add => Value::bigint(x + y),
        BinOp::Sub => Value::bigint(x - y),
        BinOp::Mul => {
            if x.bits() + y.bits() > MAX_INT_BITS {
                return Err(Error::memory_error("integer result too large"));
            }
            Value::bigint(x * y)
        }
        BinOp::FloorDiv => {
            if y.is_zero() {
                return Err(int_zero_div(op));
            }
            Value::bigint(x.div_floor(y))
        }
        BinOp::Mod => {
            if y.is_zero() {
                return Err(int_zero_div(op));
            }
            Value::bigint(x.mod_floor(y))
        }
        BinOp::Div => {
            if y.is_zero() {
                return Err(int_zero_div(op));
            }
            Value::float(big_true_div(x, y)?)
        }
        BinOp::BitAnd => Value::bigint(x & y),
        BinOp::BitOr => Value::bigint(x | y),
        BinOp::BitXor => Value::bigint(x ^ y),
        BinOp::LShift => {
            if y.is_negative() {
                return Err(Error::value_error("negative shift count"));
            }
            let n = y.to_u64().unwrap_or(u64::MAX);
            if x.is_zero() {
                return Ok(Value::Int(0));
            }
            if x.bits().saturating_add(n) > MAX_INT_BITS {
                return Err(Error::overflow_error("too many digits in integer"));
            }
            Value::bigint(x << n as usize)
        }
        BinOp::RShift => {
            if y.is_negative() {
                return Err(Error::value_error("negative shift count"));
            }
            match y.to_u64() {
                Some(n) if n < x.bits() + 1 => Value::bigint(x >> n as usize),
                _ => Value::Int(if x.is_negative() { -1 } else { 0 }),
            }
        }
        BinOp::Pow => {
            if y.is_negative() {
                return float_op(BinOp::Pow, big_to_f64(x)?, big_to_f64(y)?);
            }
            if x.is_zero() || x.is_one() {
                return Ok(Value::bigint(x.clone()));
            }
            if *x == BigInt::from(-1) {
                return Ok(Value::Int(if y.is_even() { 1 } else { -1 }));
            }
            let e = y.to_u64().unwrap_or(u64::MAX);
            if x.bits().saturating_mul(e) > MAX_INT_BITS {
                return Err(Error::memory_error("integer result too large"));
            }
            Value::bigint(num_traits::pow::Pow::pow(x, e))
        }
    })
}

/// Correctly rounded enough int/int true division.
fn big_true_div(x: &BigInt, y: &BigInt) -> Res<f64> {
    match (x.to_f64(), y.to_f64()) {
        (Some(a), Some(b)) if a.is_finite() && b.is_finite() && x.bits() <= 1000 => Ok(a / b),
        _ => {
            // Scale to keep 64 significant bits of the quotient.
            let shift = x.bits() as i64 - y.bits() as i64 - 64;
            let q = if shift > 0 {
                x / (y << shift as usize)
            } else {
                (x << (-shift) as usize) / y
            };
            let f = q.to_f64().unwrap_or(f64::INFINITY) * 2f64.powi(shift as i32);
            if f.is_infinite() {
                Err(Error::overflow_error(
                    "integer division result too large for a float",
                ))
            } else {
                Ok(f)
            }
        }
    }
}

/// `a op b` for two floats.
pub fn float_op(op: BinOp, x: f64, y: f64) -> Res<Value> {
    Ok(Value::float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => {
            if y == 0.0 {
                return Err(Error::zero_division("float division by zero"));
            }
            x / y
        }
        BinOp::FloorDiv => {
            if y == 0.0 {
                return Err(Error::zero_division("float floor division by zero"));
            }
            float_divmod(x, y).0
        }
        BinOp::Mod => {
            if y == 0.0 {
                return Err(Error::zero_division("float modulo"));
            }
            float_divmod(x, y).1
        }
        BinOp::Pow => {
            if x == 0.0 && y < 0.0 {
                return Err(Error::zero_division(
                    "0.0 cannot be raised to a negative power",
                ));
            }
            if x < 0.0 && y.fract() != 0.0 && y.is_finite() {
                return Err(Error::value_error(
                    "complex numbers are not supported: negative number raised to a fractional power",
                ));
            }
            let r = x.powf(y);
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return Err(Error::new(
                    ExcType::OverflowError,
                    "(34, 'Numerical result out of range')",
                ));
            }
            r
        }
        _ => {
            return Err(Error::type_error("unsupported operand type(s) for float"));
        }
    }))
}

/// Python's float divmod: the remainder takes the divisor's sign.
pub fn float_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = 0.0f64.copysign(y);
    }
    let floordiv = if div != 0.0 {
        let f = div.floor();
        if div - f > 0.5 {
            f + 1.0
        } else {
            f
        }
    } else {
        0.0f64.copysign(x / y)
    };
    (floordiv, m)
}

/// Python's hash of an integer value.
#[inline]
pub fn hash_int(i: i64) -> u64 {
    const P: i128 = (1i128 << 61) - 1;
    // Below the modulus (nearly every int) the hash is the int itself.
    if i.unsigned_abs() < P as u64 {
        return if i == -1 { -2i64 as u64 } else { i as u64 };
    }
    let mut h = (i as i128).rem_euclid(P);
    if i < 0 {
        h = -((-(i as i128)) % P);
    }
    let h = if h == -1 { -2 } else { h };
    h as i64 as u64
}

pub fn hash_big(b: &BigInt) -> u64 {
    if let Some(i) = b.to_i64() {
        return hash_int(i);
    }
    let p = BigInt::from((1u64 << 61) - 1);
    let m = b.abs() % &p;
    let mut h = m.to_i64().unwrap_or(0);
    if b.is_negative() {
        h = -h;
    }
    if h == -1 {
        h = -2;
    }
    h as u64
}

/// Python's hash of a float (equal to the int hash for integral values).
pub fn hash_float(x: f64) -> u64 {
    if x.is_nan() {
        return 0;
    }
    if x.is_infinite() {
        return if x > 0.0 { 314159 } else { (-314159i64) as u64 };
    }
    if x.fract() == 0.0 && x.abs() < 9.2e18 {
        return hash_int(x as i64);
    }
    const BITS: i32 = 61;
    const P: u64 = (1 << BITS) - 1;
    let (mut m, mut e) = frexp(x.abs());
    let mut h: u64 = 0;
    while m != 0.0 {
        h = ((h << 28) & P) | (h >> (BITS - 28));
        m *= 268435456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        h += y;
        if h >= P {
            h -= P;
        }
    }
    let e = if e >= 0 {
        e % BITS
    } else {
        BITS - 1 - ((-1 - e) % BITS)
    };
    h = ((h << e) & P) | (h >> (BITS - e));
    let mut r = h as i64;
    if x < 0.0 {
        r = -r;
    }
    if r == -1 {
        r = -2;
    }
    r as u64
}

fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 {
        return (0.0, 0);
    }
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        let (m, e) = frexp(x * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, exp - 1022)
}

/// Compares an int with a float exactly.
pub fn cmp_int_float(i: &Value, f: f64) -> Option<std::cmp::Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            std::cmp::Ordering::Less
        } else {
            std::cmp::Ordering::Greater
        });
    }
    match i {
        Value::Int(x) if x.unsigned_abs() < (1 << 53) => (*x as f64).partial_cmp(&f),
        _ => {
            let b = to_big(i)?;
            let fl = f.floor();
            let fb = BigInt::from_f64_exact(fl)?;
            match b.cmp(&fb) {
                std::cmp::Ordering::Equal => {
                    if f > fl {
                        Some(std::cmp::Ordering::Less)
                    } else {
                        Some(std::cmp::Ordering::Equal)
                    }
                }
                o => Some(o),
            }
        }
    }
}

trait FromF64Exact: Sized {
    fn from_f64_exact(f: f64) -> Option<Self>;
}
impl FromF64Exact for BigInt {
    fn from_f64_exact(f: f64) -> Option<BigInt> {
        num_traits::FromPrimitive::from_f64(f)
    }
}
