//! The built-in functions (`print`, `len`, `sorted`, ...).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::{add_fn, arg_or_kw, check_args, kwarg, no_kwargs};
use crate::vm::descr::{ClassMethod, Property, StaticMethod};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::iter::{CallIter, FnIter};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn install(vm: &mut Vm) {
    let b = vm.builtins.clone();
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("print", print),
        ("len", len),
        ("repr", repr),
        ("ascii", ascii),
        ("isinstance", isinstance),
        ("issubclass", issubclass),
        ("id", id),
        ("hash", hash),
        ("abs", abs),
        ("min", min),
        ("max", max),
        ("sum", sum),
        ("divmod", divmod),
        ("pow", pow),
        ("round", round),
        ("sorted", sorted),
        ("iter", iter),
        ("next", next),
        ("any", any),
        ("all", all),
        ("ord", ord),
        ("chr", chr),
        ("hex", hex),
        ("oct", oct),
        ("bin", bin),
        ("getattr", getattr),
        ("setattr", setattr),
        ("hasattr", hasattr),
        ("delattr", delattr),
        ("callable", callable),
        ("vars", vars),
        ("dir", dir),
        ("format", format),
        ("__build_class__", build_class),
        ("globals", globals),
        ("locals", locals),
        ("exec", exec),
        ("eval", eval),
        ("__import__", import),
    ];
    for (name, f) in fns {
        add_fn(vm, &b, name, *f);
    }
}

fn print(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let sep = match kwarg(kw, "sep") {
        Some(Value::Str(s)) => s.s.to_string(),
        Some(Value::None) | None => " ".to_string(),
        Some(v) => {
            return Err(Error::type_error(format!(
                "sep must be None or a string, not {}",
                v.type_name()
            )))
        }
    };
    let end = match kwarg(kw, "end") {
        Some(Value::Str(s)) => s.s.to_string(),
        Some(Value::None) | None => "\n".to_string(),
        Some(v) => {
            return Err(Error::type_error(format!(
                "end must be None or a string, not {}",
                v.type_name()
            )))
        }
    };
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        match a {
            Value::Str(s) => out.push_str(&s.s),
            _ => out.push_str(&vm.to_str(a)?),
        }
    }
    out.push_str(&end);
    match kwarg(kw, "file") {
        Some(f) if !f.is_none() => {
            let w = vm.intern_static("write");
            let m = vm.getattr(f, &w)?;
            vm.call(&m, &[Value::string(out)], &[])?;
            if let Some(fl) = kwarg(kw, "flush") {
                if vm.truthy(fl)? {
                    let name = vm.intern_static("flush");
                    if let Some(m) = vm.getattr_opt(f, &name)? {
                        vm.call(&m, &[], &[])?;
                    }
                }
            }
        }
        _ => {
            // Honour a script that replaced sys.stdout.
            if let Some(Value::Module(sys)) = vm.modules.get("sys").cloned() {
                if let Some(stdout) = sys.get_str("stdout") {
                    let is_std = crate::vm::object::downcast::<super::modules::StdStream>(&stdout)
                        .is_some_and(|s| !s.err);
                    if !is_std {
                        let w = vm.intern_static("write");
                        let m = vm.getattr(&stdout, &w)?;
                        vm.call(&m, &[Value::string(out)], &[])?;
                        return Ok(Value::None);
                    }
                }
            }
            vm.write_out(&out);
            vm.check_stdout()?;
            if let Some(fl) = kwarg(kw, "flush") {
                if vm.truthy(fl)? {
                    vm.flush_out();
                }
            }
        }
    }
    Ok(Value::None)
}

/// `len(v)` as a number.
pub fn length(vm: &mut Vm, v: &Value) -> Res<usize> {
    Ok(match v {
        Value::Str(s) => s.char_len(),
        Value::List(l) => l.items.borrow().len(),
        Value::Tuple(t) => t.items.len(),
        Value::Dict(d) => d.d.borrow().len(),
        Value::Set(s) | Value::FrozenSet(s) => s.d.borrow().len(),
        Value::Bytes(b) => b.len(),
        Value::ByteArray(b) => b.borrow().len(),
        Value::Range(r) => r.len() as usize,
        Value::Instance(i) => {
            let name = vm.intern_static("__len__");
            if let Some(m) = i.class.lookup(&name) {
                let r = vm.call(&m, std::slice::from_ref(v), &[])?;
                let n = vm.index_value(&r)?;
                if n < 0 {
                    return Err(Error::value_error("__len__() should return >= 0"));
                }
                return Ok(n as usize);
            }
            match crate::vm::ops::payload_of(v) {
                Some(p) => return length(vm, &p),
                None => {
                    return Err(Error::type_error(format!(
                        "object of type '{}' has no len()",
                        v.type_name()
                    )))
                }
            }
        }
        Value::Object(o) => match o.len() {
            Some(n) => n,
            None => {
                let o = o.clone();
                let name = vm.intern_static("__len__");
                if let Some(m) = o.class(vm).and_then(|c| c.lookup(&name)) {
                    let r = vm.call(&m, std::slice::from_ref(v), &[])?;
                    return Ok(vm.index_value(&r)? as usize);
                }
                return Err(Error::type_error(format!(
                    "object of type '{}' has no len()",
                    v.type_name()
                )));
            }
        },
        _ => {
            return Err(Error::type_error(format!(
                "object of type '{}' has no len()",
                v.type_name()
            )))
        }
    })
}

fn len(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("len", kw)?;
    check_args("len", args, 1, 1)?;
    Ok(Value::Int(length(vm, &args[0])? as i64))
}

fn repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("repr", args, 1, 1)?;
    Ok(Value::string(vm.repr(&args[0])?))
}

fn ascii(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("ascii", args, 1, 1)?;
    Ok(Value::string(vm.ascii(&args[0])?))
}

/// isinstance(v, cls) with tuples of classes.
pub fn is_instance(vm: &mut Vm, v: &Value, cls: &Value) -> Res<bool> {
    match cls {
        Value::Class(c) => {
            let t = vm.type_of(v);
            if t.is_subclass(c) {
                return Ok(true);
            }
            // bool is an int; exceptions etc. handled by the MRO.
            let name = vm.intern_static("__instancecheck__");
            if let Some(m) = c.metaclass.borrow().clone().and_then(|m| m.lookup(&name)) {
                let r = vm.call(&m, &[cls.clone(), v.clone()], &[])?;
                return vm.truthy(&r);
            }
            Ok(false)
        }
        Value::Tuple(t) => {
            for c in t.items.iter() {
                if is_instance(vm, v, c)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(Error::type_error(
            "isinstance() arg 2 must be a type, a tuple of types, or a union",
        )),
    }
}

fn isinstance(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("isinstance", args, 2, 2)?;
    Ok(Value::bool(is_instance(vm, &args[0], &args[1])?))
}

fn issubclass(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("issubclass", args, 2, 2)?;
    let Value::Class(c) = &args[0] else {
        return Err(Error::type_error("issubclass() arg 1 must be a class"));
    };
    fn check(c: &Rc<ClassObj>, target: &Value) -> Res<bool> {
        match target {
            Value::Class(t) => Ok(c.is_subclass(t)),
            Value::Tuple(ts) => {
                for t in ts.items.iter() {
                    if check(c, t)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Err(Error::type_error(
                "issubclass() arg 2 must be a class, a tuple of classes, or a union",
            )),
        }
    }
    let _ = vm;
    Ok(Value::bool(check(c, &args[1])?))
}

fn id(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("id", args, 1, 1)?;
    Ok(Value::Int(match &args[0] {
        Value::Int(i) => i.wrapping_mul(2654435761) & 0x7fff_ffff_ffff,
        Value::None => 1,
        Value::Bool(b) => 2 + *b as i64,
        Value::Float(f) => (f.get().to_bits() >> 1) as i64,
        v => v.ptr().unwrap_or(0) as i64,
    }))
}

fn hash(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("hash", args, 1, 1)?;
    Ok(Value::Int(vm.hash(&args[0])? as i64))
}

fn abs(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("abs", args, 1, 1)?;
    match &args[0] {
        Value::Int(i) => Ok(match i.checked_abs() {
            Some(a) => Value::Int(a),
            None => Value::bigint(num_bigint::BigInt::from(*i).magnitude().clone().into()),
        }),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::BigInt(b) => Ok(Value::bigint(num_traits::Signed::abs(&**b))),
        Value::Float(f) => Ok(Value::float(f.get().abs())),
        v => {
            let name = vm.intern_static("__abs__");
            match vm.lookup_special(v, &name) {
                Some(m) => vm.call(&m, std::slice::from_ref(v), &[]),
                None => Err(Error::type_error(format!(
                    "bad operand type for abs(): '{}'",
                    v.type_name()
                ))),
            }
        }
    }
}

fn min_max(
    vm: &mut Vm,
    args: &[Value],
    kw: &[(Sym, Value)],
    name: &str,
    want_less: bool,
) -> Res<Value> {
    let key = kwarg(kw, "key").filter(|k| !k.is_none()).cloned();
    let default = kwarg(kw, "default").cloned();
    let items = if args.len() == 1 {
        vm.iterate(&args[0])?
    } else if args.is_empty() {
        return Err(Error::type_error(format!(
            "{name} expected at least 1 argument, got 0"
        )));
    } else {
        if default.is_some() {
            return Err(Error::type_error(format!(
                "Cannot specify a default for {name}() with multiple positional arguments"
            )));
        }
        args.to_vec()
    };
    let mut best: Option<(Value, Value)> = None;
    for x in items {
        let k = match &key {
            Some(f) => vm.call(f, std::slice::from_ref(&x), &[])?,
            None => x.clone(),
        };
        best = Some(match best {
            None => (x, k),
            Some((bx, bk)) => {
                let better = if want_less {
                    vm.less_than(&k, &bk)?
                } else {
                    vm.less_than(&bk, &k)?
                };
                if better {
                    (x, k)
                } else {
                    (bx, bk)
                }
            }
        });
    }
    match best {
        Some((x, _)) => Ok(x),
        None => {
            default.ok_or_else(|| Error::value_error(format!("{name}() arg is an empty sequence")))
        }
    }
}

fn min(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    min_max(vm, args, kw, "min", true)
}

fn max(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    min_max(vm, args, kw, "max", false)
}

fn sum(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("sum", args, 1, 2)?;
    let mut acc = arg_or_kw(args, kw, 1, "start")
        .cloned()
        .unwrap_or(Value::Int(0));
    if let Value::Str(_) = acc {
        return Err(Error::type_error(
            "sum() can't sum strings [use ''.join(seq) instead]",
        ));
    }
    let it = vm.get_iter(&args[0])?;
    // Plain left-to-right addition, as CPython 3.11 does.
    while let Some(x) = vm.iter_next(&it)? {
        acc = match (&acc, &x) {
            (Value::Float(a), Value::Float(b)) => Value::float(a.get() + b.get()),
            (Value::Int(a), Value::Int(b)) => match a.checked_add(*b) {
                Some(r) => Value::Int(r),
                None => vm.binary(crate::syntax::ast::BinOp::Add, acc.clone(), x)?,
            },
            _ => vm.binary(crate::syntax::ast::BinOp::Add, acc.clone(), x)?,
        };
    }
    Ok(acc)
}

fn divmod(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("divmod", args, 2, 2)?;
    use crate::syntax::ast::BinOp;
    if let (Value::Float(_), _) | (_, Value::Float(_)) = (&args[0], &args[1]) {
        if let (Some(a), Some(b)) = (
            crate::vm::num::to_f64(&args[0]),
            crate::vm::num::to_f64(&args[1]),
        ) {
            let (a, b) = (a?, b?);
            if b == 0.0 {
                return Err(Error::zero_division("float divmod()"));
            }
            let (q, r) = crate::vm::num::float_divmod(a, b);
            return Ok(Value::tuple(vec![Value::float(q), Value::float(r)]));
        }
    }
    let q = vm.binary(BinOp::FloorDiv, args[0].clone(), args[1].clone())?;
    let r = vm.binary(BinOp::Mod, args[0].clone(), args[1].clone())?;
    Ok(Value::tuple(vec![q, r]))
}

fn pow(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("pow", args, 2, 3)?;
    if args.len() == 3 && !args[2].is_none() {
        let (Some(b), Some(e), Some(m)) = (
            crate::vm::num::to_big(&args[0]),
            crate::vm::num::to_big(&args[1]),
            crate::vm::num::to_big(&args[2]),
        ) else {
            return Err(Error::type_error(
                "pow() 3rd argument not allowed unless all arguments are integers",
            ));
        };
        use num_traits::{Signed, Zero};
        if m.is_zero() {
            return Err(Error::value_error("pow() 3rd argument cannot be 0"));
        }
        let (b, e) = if e.is_negative() {
            // A negative exponent means the modular inverse first.
            let inv = mod_inverse(&b, &m).ok_or_else(|| {
                Error::value_error("base is not invertible for the given modulus")
            })?;
            (inv, -e)
        } else {
            (b, e)
        };
        let r = b.modpow(&e, &m);
        let r = if !r.is_zero() && (r.is_negative() != m.is_negative()) {
            r + &m
        } else {
            r
        };
        return Ok(Value::bigint(r));
    }
    vm.binary(
        crate::syntax::ast::BinOp::Pow,
        args[0].clone(),
        args[1].clone(),
    )
}

/// The inverse of [a] modulo [m], if it exists.
fn mod_inverse(a: &num_bigint::BigInt, m: &num_bigint::BigInt) -> Option<num_bigint::BigInt> {
    use num_integer::Integer;
    use num_traits::{One, Signed};
    let m_abs = m.abs();
    let a = a.mod_floor(&m_abs);
    let g = a.extended_gcd(&m_abs);
    if !g.gcd.is_one() {
        return None;
    }
    Some(g.x.mod_floor(&m_abs))
}

fn round(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("round", args, 1, 2)?;
    let nd = arg_or_kw(args, kw, 1, "ndigits")
        .cloned()
        .unwrap_or(Value::None);
    match &args[0] {
        Value::Float(x) => {
            if nd.is_none() {
                let r = x.get().round_ties_even();
                if !r.is_finite() {
                    return Err(if r.is_nan() {
                        Error::value_error("cannot convert float NaN to integer")
                    } else {
                        Error::overflow_error("cannot convert float infinity to integer")
                    });
                }
                return Ok(match num_traits::FromPrimitive::from_f64(r) {
                    Some(b) => Value::bigint(b),
                    None => Value::Int(0),
                });
            }
            let n = vm.index_value(&nd)?;
            Ok(Value::float(round_float(x.get(), n)))
        }
        Value::Int(_) | Value::BigInt(_) | Value::Bool(_) => {
            if nd.is_none() {
                return Ok(match &args[0] {
                    Value::Bool(b) => Value::Int(*b as i64),
                    v => v.clone(),
                });
            }
            let n = vm.index_value(&nd)?;
            if n >= 0 {
                return Ok(args[0].clone());
            }
            let big = crate::vm::num::to_big(&args[0]).unwrap_or_default();
            let p = num_traits::pow::Pow::pow(num_bigint::BigInt::from(10), (-n) as u32);
            use num_integer::Integer;
            let (q, r) = big.div_mod_floor(&p);
            let twice = &r * 2;
            let q = if twice > p || (twice == p && q.is_odd()) {
                q + 1
            } else {
                q
            };
            Ok(Value::bigint(q * p))
        }
        v => {
            let name = vm.intern_static("__round__");
            match vm.lookup_special(v, &name) {
                Some(m) => {
                    let mut a = vec![v.clone()];
                    if !nd.is_none() {
                        a.push(nd);
                    }
                    vm.call(&m, &a, &[])
                }
                None => Err(Error::type_error(format!(
                    "type {} doesn't define __round__ method",
                    v.type_name()
                ))),
            }
        }
    }
}

/// Rounds to [n] decimal digits the way CPython does: through the
/// shortest decimal representation, ties to even.
fn round_float(x: f64, n: i64) -> f64 {
    if !x.is_finite() || n > 300 {
        return x;
    }
    if n < -308 {
        return 0.0f64.copysign(x);
    }
    // Exact decimal expansion, then round half even at position n.
    let s = format!("{:.*}", (n.max(0) as usize) + 30, x.abs());
    let (int_part, frac_part) = s.split_once('.').unwrap_or((&s, ""));
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    let point = int_part.len() as i64;
    let keep = point + n;
    if keep < 0 {
        return 0.0f64.copysign(x);
    }
    let keep = keep as usize;
    let round_up = if keep < digits.len() {
        let rest = &digits[keep..];
        let first = rest[0];
        let tail_nonzero = rest[1..].iter().any(|&d| d != 0);
        let prev_odd = keep > 0 && digits[keep - 1] % 2 == 1;
        first > 5 || (first == 5 && (tail_nonzero || prev_odd))
    } else {
        false
    };
    digits.truncate(keep);
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let text: String = digits.iter().map(|d| (d + b'0') as char).collect();
    let int_len = text.len() as i64 - n.max(0);
    let value = if n >= 0 {
        let (a, b) = text.split_at(int_len.max(0) as usize);
        format!(
            "{}.{}e0",
            if a.is_empty() { "0" } else { a },
            if b.is_empty() { "0" } else { b }
        )
    } else {
        format!("{}e{}", if text.is_empty() { "0" } else { &text }, -n)
    };
    value.parse::<f64>().unwrap_or(x).copysign(x)
}

/// Sorts [items] stably with script-level comparison; never panics on
/// inconsistent orderings.
pub fn sort_values(
    vm: &mut Vm,
    items: &mut Vec<Value>,
    key: Option<&Value>,
    reverse: bool,
) -> Res<()> {
    let keys: Vec<Value> = match key {
        Some(f) if !f.is_none() => {
            let mut ks = Vec::with_capacity(items.len());
            for x in items.iter() {
                ks.push(vm.call(f, std::slice::from_ref(x), &[])?);
            }
            ks
        }
        _ => items.clone(),
    };
    let mut idx: Vec<usize> = (0..items.len()).collect();
    if reverse {
        idx.reverse();
    }
    // Merge sort over indices with a fallible comparison.
    let mut buf = idx.clone();
    let n = idx.len();
    let mut width = 1;
    while width < n {
        let mut i = 0;
        while i < n {
            let mid = (i + width).min(n);
            let hi = (i + 2 * width).min(n);
            let (mut a, mut b, mut k) = (i, mid, i);
            while a < mid && b < hi {
                // Take from the right only when strictly less: stability.
                if vm.less_than(&keys[idx[b]], &keys[idx[a]])? {
                    buf[k] = idx[b];
                    b += 1;
                } else {
                    buf[k] = idx[a];
                    a += 1;
                }
                k += 1;
            }
            while a < mid {
                buf[k] = idx[a];
                a += 1;
                k += 1;
            }
            while b < hi {
                buf[k] = idx[b];
                b += 1;
                k += 1;
            }
            i += 2 * width;
        }
        std::mem::swap(&mut idx, &mut buf);
        width *= 2;
    }
    if reverse {
        idx.reverse();
    }
    let old = std::mem::take(items);
    let mut slots: Vec<Option<Value>> = old.into_iter().map(Some).collect();
    *items = idx
        .into_iter()
        .map(|i| slots[i].take().unwrap_or(Value::None))
        .collect();
    Ok(())
}

fn sorted(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    if args.len() != 1 {
        return Err(Error::type_error(format!(
            "sorted expected 1 argument, got {}",
            args.len()
        )));
    }
    let mut items = vm.iterate(&args[0])?;
    let reverse = match kwarg(kw, "reverse") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    sort_values(vm, &mut items, kwarg(kw, "key"), reverse)?;
    Ok(Value::list(items))
}

fn iter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("iter", args, 1, 2)?;
    if args.len() == 2 {
        return Ok(Value::object(CallIter {
            func: args[0].clone(),
            sentinel: args[1].clone(),
            done: Cell::new(false),
        }));
    }
    vm.get_iter(&args[0])
}

fn next(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("next", args, 1, 2)?;
    let it = &args[0];
    match it {
        Value::Generator(g) => {
            let g = g.clone();
            match vm.generator_send_full(&g, None)? {
                Ok(v) => Ok(v),
                Err(ret) => match args.get(1) {
                    Some(d) => Ok(d.clone()),
                    None => Err(if ret.is_none() {
                        Error::stop_iteration()
                    } else {
                        Error::WithValue(ExcType::StopIteration, ret)
                    }),
                },
            }
        }
        Value::Object(o) if !o.is_iterator() => Err(Error::type_error(format!(
            "'{}' object is not an iterator",
            it.type_name()
        ))),
        Value::Object(_) | Value::Instance(_) => match vm.iter_next(it)? {
            Some(v) => Ok(v),
            None => match args.get(1) {
                Some(d) => Ok(d.clone()),
                None => Err(Error::stop_iteration()),
            },
        },
        _ => Err(Error::type_error(format!(
            "'{}' object is not an iterator",
            it.type_name()
        ))),
    }
}

fn any(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("any", args, 1, 1)?;
    let it = vm.get_iter(&args[0])?;
    while let Some(x) = vm.iter_next(&it)? {
        if vm.truthy(&x)? {
            return Ok(Value::Bool(Truth::True));
        }
    }
    Ok(Value::Bool(Truth::False))
}

fn all(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("all", args, 1, 1)?;
    let it = vm.get_iter(&args[0])?;
    while let Some(x) = vm.iter_next(&it)? {
        if !vm.truthy(&x)? {
            return Ok(Value::Bool(Truth::False));
        }
    }
    Ok(Value::Bool(Truth::True))
}

fn ord(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("ord", args, 1, 1)?;
    match &args[0] {
        Value::Str(s) => {
            let mut cs = s.s.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => Ok(Value::Int(c as i64)),
                _ => Err(Error::type_error(format!(
                    "ord() expected a character, but string of length {} found",
                    s.char_len()
                ))),
            }
        }
        Value::Bytes(b) if b.len() == 1 => Ok(Value::Int(b[0] as i64)),
        v => Err(Error::type_error(format!(
            "ord() expected string of length 1, but {} found",
            v.type_name()
        ))),
    }
}

fn chr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("chr", args, 1, 1)?;
    let i = vm.index_value(&args[0])?;
    match u32::try_from(i).ok().and_then(char::from_u32) {
        Some(c) => Ok(Value::string(c.to_string())),
        None if (0xd800..0xe000).contains(&i) => Ok(Value::string("\u{fffd}".into())),
        None => Err(Error::value_error("chr() arg not in range(0x110000)")),
    }
}

fn radix(vm: &mut Vm, args: &[Value], name: &str, prefix: &str, base: u32) -> Res<Value> {
    check_args(name, args, 1, 1)?;
    let v = match &args[0] {
        Value::Instance(_) => Value::Int(vm.index_value(&args[0])?),
        v => v.clone(),
    };
    let Some(b) = crate::vm::num::to_big(&v) else {
        return Err(Error::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            args[0].type_name()
        )));
    };
    let neg = b.sign() == num_bigint::Sign::Minus;
    let digits = b.magnitude().to_str_radix(base);
    Ok(Value::string(format!(
        "{}{}{}",
        if neg { "-" } else { "" },
        prefix,
        digits
    )))
}

fn hex(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    radix(vm, args, "hex", "0x", 16)
}
fn oct(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    radix(vm, args, "oct", "0o", 8)
}
fn bin(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    radix(vm, args, "bin", "0b", 2)
}

fn attr_name(vm: &mut Vm, v: &Value) -> Res<Sym> {
    match v {
        Value::Str(s) => Ok(vm.intern(s.as_str())),
        _ => Err(Error::type_error(format!(
            "attribute name must be string, not '{}'",
            v.type_name()
        ))),
    }
}

fn getattr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("getattr", args, 2, 3)?;
    let name = attr_name(vm, &args[1])?;
    if args.len() == 3 {
        return Ok(vm
            .getattr_opt(&args[0], &name)?
            .unwrap_or_else(|| args[2].clone()));
    }
    vm.getattr(&args[0], &name)
}

fn setattr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("setattr", args, 3, 3)?;
    let name = attr_name(vm, &args[1])?;
    vm.setattr(&args[0], &name, args[2].clone())?;
    Ok(Value::None)
}

fn hasattr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("hasattr", args, 2, 2)?;
    let name = attr_name(vm, &args[1])?;
    Ok(Value::bool(vm.getattr_opt(&args[0], &name)?.is_some()))
}

fn delattr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("delattr", args, 2, 2)?;
    let name = attr_name(vm, &args[1])?;
    vm.delattr(&args[0], &name)?;
    Ok(Value::None)
}

fn callable(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("callable", args, 1, 1)?;
    Ok(Value::bool(match &args[0] {
        Value::Function(_) | Value::Native(_) | Value::BoundMethod(_) | Value::Class(_) => true,
        Value::Instance(i) => {
            let n = vm.intern_static("__call__");
            i.class.lookup(&n).is_some()
        }
        Value::Object(o) => {
            o.is::<StaticMethod>()
                || o.type_name() == "functools.partial"
                || o.type_name() == "operator.itemgetter"
                || o.type_name() == "operator.attrgetter"
        }
        _ => false,
    }))
}

fn vars(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("vars", args, 0, 1)?;
    if args.is_empty() {
        return locals(vm, args, _kw);
    }
    let name = vm.intern_static("__dict__");
    vm.getattr(&args[0], &name)
        .map_err(|_| Error::type_error("vars() argument must have __dict__ attribute"))
}

fn dir(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("dir", args, 0, 1)?;
    let mut names: Vec<String> = Vec::new();
    match args.first() {
        None => {
            if let Some(f) = vm.frames.last() {
                names = f
                    .globals
                    .items()
                    .into_iter()
                    .map(|(k, _)| k.as_str().to_string())
                    .collect();
            }
        }
        Some(Value::Module(m)) => {
            names = m
                .items()
                .into_iter()
                .map(|(k, _)| k.as_str().to_string())
                .collect();
        }
        Some(v) => {
            if let Value::Instance(i) = v {
                names.extend(i.dict.borrow().keys().map(|k| k.as_str().to_string()));
            }
            let cls = match v {
                Value::Class(c) => c.clone(),
                _ => vm.type_of(v),
            };
            names.extend(cls.dict.borrow().keys().map(|k| k.as_str().to_string()));
            for c in &cls.mro {
                names.extend(c.dict.borrow().keys().map(|k| k.as_str().to_string()));
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(Value::list(names.into_iter().map(Value::string).collect()))
}

fn format(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("format", args, 1, 2)?;
    let spec = match args.get(1) {
        Some(Value::Str(s)) => s.s.to_string(),
        Some(v) => {
            return Err(Error::type_error(format!(
                "format() argument 2 must be str, not {}",
                v.type_name()
            )))
        }
        None => String::new(),
    };
    Ok(Value::string(vm.format(&args[0], &spec)?))
}

fn build_class(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    vm.build_class(args, kw)
}

fn globals(vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    match vm.frames.last() {
        Some(f) => {
            let g = f.globals.clone();
            Ok(vm.module_dict(&g))
        }
        None => Ok(Value::dict(crate::vm::dict::Dict::new())),
    }
}

fn locals(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let Some(f) = vm.frames.last() else {
        return globals(vm, args, kw);
    };
    if f.code.flags & crate::bytecode::code::FLAG_MODULE != 0 {
        return globals(vm, args, kw);
    }
    let code = f.code.clone();
    let base = f.base;
    let mut d = crate::vm::dict::Dict::new();
    for (i, name) in code.varnames.iter().enumerate() {
        let v = match &vm.stack[base + i] {
            Value::Cell(c) => c.value.borrow().clone(),
            v => v.clone(),
        };
        if !v.is_undef() {
            d.insert_new(name.hash_code(), Value::Str(name.clone()), v);
        }
    }
    Ok(Value::dict(d))
}

fn run_source(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], eval_mode: bool) -> Res<Value> {
    check_args(if eval_mode { "eval" } else { "exec" }, args, 1, 3)?;
    let Value::Str(src) = &args[0] else {
        return Err(Error::type_error("exec()/eval() needs a string"));
    };
    let text = if eval_mode {
        format!("__con_eval_result__ = ({})\n", src.s.trim())
    } else {
        src.s.to_string()
    };
    let code = vm.compile_module_source("<string>", text)?;
    let module = match arg_or_kw(args, kw, 1, "globals") {
        Some(Value::Dict(d)) => {
            let m = vm.new_module("__main__", None);
            for (k, v) in d.d.borrow().items() {
                if let Value::Str(s) = k {
                    m.set(&s, v);
                }
            }
            Some((m, d.clone()))
        }
        _ => None,
    };
    let target = match &module {
        Some((m, _)) => m.clone(),
        None => match vm.frames.last() {
            Some(f) => f.globals.clone(),
            None => vm.new_module("__main__", None),
        },
    };
    vm.run_module_code(code, &target)?;
    let result = if eval_mode {
        let r = target.get_str("__con_eval_result__").unwrap_or(Value::None);
        target.set_str("__con_eval_result__", Value::Undef);
        r
    } else {
        Value::None
    };
    if let Some((m, d)) = module {
        for (k, v) in m.items() {
            vm.dict_set(&d, Value::Str(k), v)?;
        }
    }
    Ok(result)
}

fn exec(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    run_source(vm, args, kw, false)
}

fn eval(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    run_source(vm, args, kw, true)
}

fn import(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__import__", args, 1, 5)?;
    let Value::Str(name) = &args[0] else {
        return Err(Error::type_error("__import__() argument 1 must be str"));
    };
    let name = name.s.to_string();
    let mut top = None;
    let mut prefix = String::new();
    for part in name.split('.') {
        if !prefix.is_empty() {
            prefix.push('.');
        }
        prefix.push_str(part);
        let m = vm.import_module(&prefix)?;
        top.get_or_insert(m);
    }
    Ok(top.unwrap_or(Value::None))
}

/// Builds `property`, `staticmethod` and `classmethod` objects (used by
/// the constructors in `constructors.rs`).
pub fn new_property(fget: Value, fset: Value, fdel: Value, doc: Value) -> Value {
    Value::object(Property {
        fget,
        fset: RefCell::new(fset),
        fdel: RefCell::new(fdel),
        doc,
    })
}
pub fn new_staticmethod(f: Value) -> Value {
    Value::object(StaticMethod(f))
}
pub fn new_classmethod(f: Value) -> Value {
    Value::object(ClassMethod(f))
}

/// An iterator driven by a closure.
pub fn fn_iter(
    name: &'static str,
    held: Vec<Value>,
    f: impl FnMut(&mut Vm) -> Res<Option<Value>> + 'static,
) -> Value {
    Value::object(FnIter {
        name,
        state: RefCell::new(Box::new(f)),
        held,
    })
}
