//! The `operator` module: the operators as functions, plus itemgetter,
//! attrgetter and methodcaller.

use std::rc::Rc;

use super::{add_fn, check_args};
use crate::syntax::ast::{BinOp, CmpOp};
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

macro_rules! binops {
    ($($fname:ident, $name:expr, $op:expr, $inplace:expr;)*) => {
        $(fn $fname(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
            check_args($name, args, 2, 2)?;
            if $inplace {
                vm.inplace($op, args[0].clone(), args[1].clone())
            } else {
                vm.binary($op, args[0].clone(), args[1].clone())
            }
        })*
    };
}

binops! {
    o_add, "add", BinOp::Add, false;
    o_sub, "sub", BinOp::Sub, false;
    o_mul, "mul", BinOp::Mul, false;
    o_truediv, "truediv", BinOp::Div, false;
    o_floordiv, "floordiv", BinOp::FloorDiv, false;
    o_mod, "mod", BinOp::Mod, false;
    o_pow, "pow", BinOp::Pow, false;
    o_lshift, "lshift", BinOp::LShift, false;
    o_rshift, "rshift", BinOp::RShift, false;
    o_and, "and_", BinOp::BitAnd, false;
    o_or, "or_", BinOp::BitOr, false;
    o_xor, "xor", BinOp::BitXor, false;
    o_iadd, "iadd", BinOp::Add, true;
    o_isub, "isub", BinOp::Sub, true;
    o_imul, "imul", BinOp::Mul, true;
    o_itruediv, "itruediv", BinOp::Div, true;
    o_ifloordiv, "ifloordiv", BinOp::FloorDiv, true;
    o_imod, "imod", BinOp::Mod, true;
    o_ipow, "ipow", BinOp::Pow, true;
    o_ilshift, "ilshift", BinOp::LShift, true;
    o_irshift, "irshift", BinOp::RShift, true;
    o_iand, "iand", BinOp::BitAnd, true;
    o_ior, "ior", BinOp::BitOr, true;
    o_ixor, "ixor", BinOp::BitXor, true;
}

macro_rules! cmpops {
    ($($fname:ident, $name:expr, $op:expr;)*) => {
        $(fn $fname(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
            check_args($name, args, 2, 2)?;
            vm.compare($op, &args[0], &args[1])
        })*
    };
}

cmpops! {
    o_eq, "eq", CmpOp::Eq;
    o_ne, "ne", CmpOp::NotEq;
    o_lt, "lt", CmpOp::Lt;
    o_le, "le", CmpOp::LtE;
    o_gt, "gt", CmpOp::Gt;
    o_ge, "ge", CmpOp::GtE;
    o_is, "is_", CmpOp::Is;
    o_is_not, "is_not", CmpOp::IsNot;
}

fn o_neg(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("neg", args, 1, 1)?;
    vm.unary_neg(args[0].clone())
}
fn o_pos(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("pos", args, 1, 1)?;
    vm.unary_pos(args[0].clone())
}
fn o_invert(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("invert", args, 1, 1)?;
    vm.unary_invert(args[0].clone())
}
fn o_not(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("not_", args, 1, 1)?;
    Ok(Value::bool(!vm.truthy(&args[0])?))
}
fn o_truth(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("truth", args, 1, 1)?;
    Ok(Value::bool(vm.truthy(&args[0])?))
}
fn o_abs(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("abs", args, 1, 1)?;
    let f = vm.builtins.get_str("abs").unwrap_or(Value::None);
    vm.call(&f, args, &[])
}
fn o_index(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("index", args, 1, 1)?;
    let b = super::mod_math::to_int(vm, &args[0])?;
    Ok(Value::bigint(b))
}

fn is_sequence(v: &Value) -> bool {
    matches!(
        v,
        Value::List(_)
            | Value::Tuple(_)
            | Value::Str(_)
            | Value::Bytes(_)
            | Value::ByteArray(_)
            | Value::Instance(_)
    )
}

fn o_concat(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("concat", args, 2, 2)?;
    if !is_sequence(&args[0]) {
        return Err(Error::type_error(format!(
            "'{}' object can't be concatenated",
            args[0].type_name()
        )));
    }
    vm.binary(BinOp::Add, args[0].clone(), args[1].clone())
}
fn o_iconcat(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("iconcat", args, 2, 2)?;
    if !is_sequence(&args[0]) {
        return Err(Error::type_error(format!(
            "'{}' object can't be concatenated",
            args[0].type_name()
        )));
    }
    vm.inplace(BinOp::Add, args[0].clone(), args[1].clone())
}
fn o_contains(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("contains", args, 2, 2)?;
    Ok(Value::bool(vm.contains(&args[0], &args[1])?))
}
fn o_count_of(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("countOf", args, 2, 2)?;
    let it = vm.get_iter(&args[0])?;
    let mut n = 0;
    while let Some(x) = vm.iter_next(&it)? {
        if x.is(&args[1]) || vm.eq(&x, &args[1])? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}
fn o_index_of(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("indexOf", args, 2, 2)?;
    let it = vm.get_iter(&args[0])?;
    let mut n = 0;
    while let Some(x) = vm.iter_next(&it)? {
        if x.is(&args[1]) || vm.eq(&x, &args[1])? {
            return Ok(Value::Int(n));
        }
        n += 1;
    }
    Err(Error::value_error("sequence.index(x): x not in sequence"))
}
fn o_getitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("getitem", args, 2, 2)?;
    vm.getitem(&args[0], &args[1])
}
fn o_setitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("setitem", args, 3, 3)?;
    vm.setitem(&args[0], args[1].clone(), args[2].clone())?;
    Ok(Value::None)
}
fn o_delitem(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("delitem", args, 2, 2)?;
    vm.delitem(&args[0], &args[1])?;
    Ok(Value::None)
}
fn o_length_hint(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("length_hint", args, 1, 2)?;
    match super::functions::length(vm, &args[0]) {
        Ok(n) => Ok(Value::Int(n as i64)),
        Err(_) => Ok(args.get(1).cloned().unwrap_or(Value::Int(0))),
    }
}

/// `itemgetter(*items)`.
pub struct ItemGetter(Vec<Value>);
/// `attrgetter(*names)`, each name split at dots.
pub struct AttrGetter(Vec<Vec<Sym>>);
/// `methodcaller(name, *args, **kw)`.
pub struct MethodCaller {
    name: Sym,
    args: Vec<Value>,
    kw: Vec<(Sym, Value)>,
}

impl NativeObject for ItemGetter {
    fn type_name(&self) -> &str {
        "operator.itemgetter"
    }
    fn call(&self, vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
        check_args("itemgetter", args, 1, 1)?;
        if self.0.len() == 1 {
            return vm.getitem(&args[0], &self.0[0]);
        }
        let mut out = Vec::with_capacity(self.0.len());
        for k in &self.0 {
            out.push(vm.getitem(&args[0], k)?);
        }
        Ok(Value::tuple(out))
    }
    fn repr(&self, vm: &mut Vm) -> Res<Option<String>> {
        let mut parts = Vec::new();
        for k in &self.0 {
            parts.push(vm.repr(k)?);
        }
        Ok(Some(format!("operator.itemgetter({})", parts.join(", "))))
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        self.0.iter().for_each(f);
    }
}

impl NativeObject for AttrGetter {
    fn type_name(&self) -> &str {
        "operator.attrgetter"
    }
    fn call(&self, vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
        check_args("attrgetter", args, 1, 1)?;
        let mut out = Vec::with_capacity(self.0.len());
        for path in &self.0 {
            let mut v = args[0].clone();
            for name in path {
                v = vm.getattr(&v, name)?;
            }
            out.push(v);
        }
        if out.len() == 1 {
            return Ok(out.pop().unwrap_or(Value::None));
        }
        Ok(Value::tuple(out))
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|p| {
                let s: Vec<&str> = p.iter().map(|n| n.as_str()).collect();
                crate::vm::repr::str_repr(&s.join("."))
            })
            .collect();
        Ok(Some(format!("operator.attrgetter({})", parts.join(", "))))
    }
}

impl NativeObject for MethodCaller {
    fn type_name(&self) -> &str {
        "operator.methodcaller"
    }
    fn call(&self, vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
        check_args("methodcaller", args, 1, 1)?;
        let m = vm.getattr(&args[0], &self.name)?;
        vm.call(&m, &self.args, &self.kw)
    }
    fn repr(&self, vm: &mut Vm) -> Res<Option<String>> {
        let mut parts = vec![crate::vm::repr::str_repr(self.name.as_str())];
        for a in &self.args {
            parts.push(vm.repr(a)?);
        }
        for (k, v) in &self.kw {
            parts.push(format!("{}={}", k.as_str(), vm.repr(v)?));
        }
        Ok(Some(format!("operator.methodcaller({})", parts.join(", "))))
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        self.args.iter().for_each(&mut *f);
        self.kw.iter().for_each(|(_, v)| f(v));
    }
}

fn itemgetter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    if args.is_empty() {
        return Err(Error::type_error("itemgetter expected 1 argument, got 0"));
    }
    Ok(Value::object(ItemGetter(args.to_vec())))
}

fn attrgetter(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    if args.is_empty() {
        return Err(Error::type_error("attrgetter expected 1 argument, got 0"));
    }
    let mut paths = Vec::new();
    for a in args {
        let Value::Str(s) = a else {
            return Err(Error::type_error("attribute name must be a string"));
        };
        paths.push(s.as_str().split('.').map(|p| vm.intern(p)).collect());
    }
    Ok(Value::object(AttrGetter(paths)))
}

fn methodcaller(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let Some(Value::Str(name)) = args.first() else {
        return Err(Error::type_error(if args.is_empty() {
            "methodcaller needs at least one argument, the method name"
        } else {
            "method name must be a string"
        }));
    };
    Ok(Value::object(MethodCaller {
        name: vm.intern(name.as_str()),
        args: args[1..].to_vec(),
        kw: kw.to_vec(),
    }))
}

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("operator", None);
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("add", o_add),
        ("sub", o_sub),
        ("mul", o_mul),
        ("truediv", o_truediv),
        ("floordiv", o_floordiv),
        ("mod", o_mod),
        ("pow", o_pow),
        ("lshift", o_lshift),
        ("rshift", o_rshift),
        ("and_", o_and),
        ("or_", o_or),
        ("xor", o_xor),
        ("iadd", o_iadd),
        ("isub", o_isub),
        ("imul", o_imul),
        ("itruediv", o_itruediv),
        ("ifloordiv", o_ifloordiv),
        ("imod", o_imod),
        ("ipow", o_ipow),
        ("ilshift", o_ilshift),
        ("irshift", o_irshift),
        ("iand", o_iand),
        ("ior", o_ior),
        ("ixor", o_ixor),
        ("eq", o_eq),
        ("ne", o_ne),
        ("lt", o_lt),
        ("le", o_le),
        ("gt", o_gt),
        ("ge", o_ge),
        ("is_", o_is),
        ("is_not", o_is_not),
        ("neg", o_neg),
        ("pos", o_pos),
        ("invert", o_invert),
        ("inv", o_invert),
        ("not_", o_not),
        ("truth", o_truth),
        ("abs", o_abs),
        ("index", o_index),
        ("concat", o_concat),
        ("iconcat", o_iconcat),
        ("contains", o_contains),
        ("countOf", o_count_of),
        ("indexOf", o_index_of),
        ("getitem", o_getitem),
        ("setitem", o_setitem),
        ("delitem", o_delitem),
        ("length_hint", o_length_hint),
        ("itemgetter", itemgetter),
        ("attrgetter", attrgetter),
        ("methodcaller", methodcaller),
    ];
    for (name, f) in fns {
        add_fn(vm, &m, name, *f);
    }
    // The dunder aliases (`operator.__add__`).
    for (name, v) in m.items() {
        let n = name.as_str();
        if !n.starts_with('_')
            && !matches!(
                n,
                "itemgetter"
                    | "attrgetter"
                    | "methodcaller"
                    | "countOf"
                    | "indexOf"
                    | "length_hint"
                    | "is_"
                    | "is_not"
                    | "truth"
            )
        {
            let d = format!("__{}__", n.trim_end_matches('_'));
            m.set_str(&d, v);
        }
    }
    m
}
