//! The `itertools` module. Every iterator is lazy (a closure-driven
//! `FnIter`) and consumes its input exactly as CPython's does.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::functions::fn_iter;
use super::{add_fn, arg_or_kw, check_args, kwarg};
use crate::syntax::ast::BinOp;
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

fn count(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("count", args, 0, 2)?;
    let start = arg_or_kw(args, kw, 0, "start")
        .cloned()
        .unwrap_or(Value::Int(0));
    let step = arg_or_kw(args, kw, 1, "step")
        .cloned()
        .unwrap_or(Value::Int(1));
    for v in [&start, &step] {
        if !matches!(
            v,
            Value::Int(_)
                | Value::BigInt(_)
                | Value::Float(_)
                | Value::Bool(_)
                | Value::Instance(_)
        ) {
            return Err(Error::type_error("a number is required"));
        }
    }
    let cur = RefCell::new(start.clone());
    Ok(fn_iter("count", vec![start, step.clone()], move |vm| {
        let v = cur.borrow().clone();
        let next = match (&v, &step) {
            (Value::Int(a), Value::Int(b)) if a.checked_add(*b).is_some() => Value::Int(a + b),
            _ => vm.binary(BinOp::Add, v.clone(), step.clone())?,
        };
        *cur.borrow_mut() = next;
        Ok(Some(v))
    }))
}

fn cycle(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    super::no_kwargs("cycle", kw)?;
    check_args("cycle", args, 1, 1)?;
    let it = vm.get_iter(&args[0])?;
    let saved: RefCell<Vec<Value>> = RefCell::new(Vec::new());
    let first_pass = Cell::new(true);
    let pos = Cell::new(0usize);
    Ok(fn_iter("cycle", vec![it.clone()], move |vm| {
        if first_pass.get() {
            if let Some(v) = vm.iter_next(&it)? {
                saved.borrow_mut().push(v.clone());
                return Ok(Some(v));
            }
            first_pass.set(false);
        }
        let s = saved.borrow();
        if s.is_empty() {
            return Ok(None);
        }
        let p = pos.get() % s.len();
        pos.set(p + 1);
        Ok(Some(s[p].clone()))
    }))
}

fn repeat(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("repeat", args, 0, 2)?;
    let obj = arg_or_kw(args, kw, 0, "object")
        .cloned()
        .ok_or_else(|| Error::type_error("repeat() missing required argument 'object' (pos 1)"))?;
    let times = match arg_or_kw(args, kw, 1, "times") {
        Some(t) => Some(vm.index_value(t)?.max(0)),
        None => None,
    };
    let left = Cell::new(times.unwrap_or(0));
    Ok(fn_iter("repeat", vec![obj.clone()], move |_vm| {
        if times.is_some() {
            let l = left.get();
            if l <= 0 {
                return Ok(None);
            }
            left.set(l - 1);
        }
        Ok(Some(obj.clone()))
    }))
}

fn accumulate(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("accumulate", args, 1, 2)?;
    let it = vm.get_iter(&args[0])?;
    let func = arg_or_kw(args, kw, 1, "func")
        .filter(|f| !f.is_none())
        .cloned();
    let initial = kwarg(kw, "initial").filter(|f| !f.is_none()).cloned();
    let total: RefCell<Option<Value>> = RefCell::new(None);
    let pending_initial = RefCell::new(initial);
    let mut held = vec![it.clone()];
    held.extend(func.clone());
    Ok(fn_iter("accumulate", held, move |vm| {
        if let Some(init) = pending_initial.borrow_mut().take() {
            *total.borrow_mut() = Some(init.clone());
            return Ok(Some(init));
        }
        let Some(v) = vm.iter_next(&it)? else {
            return Ok(None);
        };
        let prev = total.borrow().clone();
        let next = match prev {
            None => v,
            Some(acc) => match &func {
                None => vm.binary(BinOp::Add, acc, v)?,
                Some(f) => vm.call(f, &[acc, v], &[])?,
            },
        };
        *total.borrow_mut() = Some(next.clone());
        Ok(Some(next))
    }))
}

fn chain_over(vm: &mut Vm, sources: Value) -> Res<Value> {
    let sources = vm.get_iter(&sources)?;
    let cur: RefCell<Option<Value>> = RefCell::new(None);
    Ok(fn_iter("chain", vec![sources.clone()], move |vm| loop {
        let active = cur.borrow().clone();
        match active {
            Some(it) => {
                if let Some(v) = vm.iter_next(&it)? {
                    return Ok(Some(v));
                }
                *cur.borrow_mut() = None;
            }
            None => match vm.iter_next(&sources)? {
                Some(src) => {
                    let it = vm.get_iter(&src)?;
                    *cur.borrow_mut() = Some(it);
                }
                None => return Ok(None),
            },
        }
    }))
}

fn chain_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    super::no_kwargs("chain", kw)?;
    chain_over(vm, Value::tuple(args.get(1..).unwrap_or(&[]).to_vec()))
}

fn chain_from_iterable(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    // Reached as `chain.from_iterable(x)`; tolerate a bound class receiver.
    let src = match args {
        [x] => x.clone(),
        [Value::Class(_), x] => x.clone(),
        _ => {
            return Err(Error::type_error(format!(
                "chain.from_iterable() takes exactly one argument ({} given)",
                args.len()
            )))
        }
    };
    chain_over(vm, src)
}

fn compress(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("compress", args, 0, 2)?;
    let data = arg_or_kw(args, kw, 0, "data")
        .cloned()
        .ok_or_else(|| Error::type_error("compress() missing required argument 'data' (pos 1)"))?;
    let sel = arg_or_kw(args, kw, 1, "selectors")
        .cloned()
        .ok_or_else(|| {
            Error::type_error("compress() missing required argument 'selectors' (pos 2)")
        })?;
    let d = vm.get_iter(&data)?;
    let s = vm.get_iter(&sel)?;
    Ok(fn_iter("compress", vec![d.clone(), s.clone()], move |vm| {
        loop {
            let Some(v) = vm.iter_next(&d)? else {
                return Ok(None);
            };
            let Some(f) = vm.iter_next(&s)? else {
                return Ok(None);
            };
            if vm.truthy(&f)? {
                return Ok(Some(v));
            }
        }
    }))
}

fn pred_iter(vm: &mut Vm, name: &'static str, args: &[Value]) -> Res<(Value, Value)> {
    check_args(name, args, 2, 2)?;
    Ok((args[0].clone(), vm.get_iter(&args[1])?))
}

fn dropwhile(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (f, it) = pred_iter(vm, "dropwhile", args)?;
    let dropping = Cell::new(true);
    Ok(fn_iter(
        "dropwhile",
        vec![f.clone(), it.clone()],
        move |vm| loop {
            let Some(v) = vm.iter_next(&it)? else {
                return Ok(None);
            };
            if !dropping.get() {
                return Ok(Some(v));
            }
            let r = vm.call(&f, std::slice::from_ref(&v), &[])?;
            if !vm.truthy(&r)? {
                dropping.set(false);
                return Ok(Some(v));
            }
        },
    ))
}

fn takewhile(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (f, it) = pred_iter(vm, "takewhile", args)?;
    let done = Cell::new(false);
    Ok(fn_iter(
        "takewhile",
        vec![f.clone(), it.clone()],
        move |vm| {
            if done.get() {
                return Ok(None);
            }
            let Some(v) = vm.iter_next(&it)? else {
                return Ok(None);
            };
            let r = vm.call(&f, std::slice::from_ref(&v), &[])?;
            if vm.truthy(&r)? {
                Ok(Some(v))
            } else {
                done.set(true);
                Ok(None)
            }
        },
    ))
}

fn filterfalse(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (f, it) = pred_iter(vm, "filterfalse", args)?;
    Ok(fn_iter(
        "filterfalse",
        vec![f.clone(), it.clone()],
        move |vm| loop {
            let Some(v) = vm.iter_next(&it)? else {
                return Ok(None);
            };
            let keep = if f.is_none() {
                vm.truthy(&v)?
            } else {
                let r = vm.call(&f, std::slice::from_ref(&v), &[])?;
                vm.truthy(&r)?
            };
            if !keep {
                return Ok(Some(v));
            }
        },
    ))
}

fn starmap(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (f, it) = pred_iter(vm, "starmap", args)?;
    Ok(fn_iter("starmap", vec![f.clone(), it.clone()], move |vm| {
        let Some(v) = vm.iter_next(&it)? else {
            return Ok(None);
        };
        let a = vm.iterate(&v)?;
        vm.call(&f, &a, &[]).map(Some)
    }))
}

fn pairwise(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("pairwise", args, 1, 1)?;
    let it = vm.get_iter(&args[0])?;
    let old: RefCell<Option<Value>> = RefCell::new(None);
    Ok(fn_iter("pairwise", vec![it.clone()], move |vm| {
        let prev = old.borrow().clone();
        let a = match prev {
            Some(a) => a,
            None => match vm.iter_next(&it)? {
                Some(a) => a,
                None => return Ok(None),
            },
        };
        let Some(b) = vm.iter_next(&it)? else {
            *old.borrow_mut() = None;
            return Ok(None);
        };
        *old.borrow_mut() = Some(b.clone());
        Ok(Some(Value::tuple(vec![a, b])))
    }))
}

fn zip_longest(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let fill = kwarg(kw, "fillvalue").cloned().unwrap_or(Value::None);
    let mut its = Vec::with_capacity(args.len());
    for a in args {
        its.push(vm.get_iter(a)?);
    }
    let active: RefCell<Vec<Option<Value>>> = RefCell::new(its.iter().cloned().map(Some).collect());
    let live = Cell::new(its.len());
    let mut held = its;
    held.push(fill.clone());
    Ok(fn_iter("zip_longest", held, move |vm| {
        let n = active.borrow().len();
        if n == 0 || live.get() == 0 {
            return Ok(None);
        }
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            let it = active.borrow()[i].clone();
            match it {
                None => row.push(fill.clone()),
                Some(it) => match vm.iter_next(&it)? {
                    Some(v) => row.push(v),
                    None => {
                        live.set(live.get() - 1);
                        if live.get() == 0 {
                            return Ok(None);
                        }
                        active.borrow_mut()[i] = None;
                        row.push(fill.clone());
                    }
                },
            }
        }
        Ok(Some(Value::tuple(row)))
    }))
}

fn islice(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("islice", args, 2, 4)?;
    let it = vm.get_iter(&args[0])?;
    let idx = |vm: &mut Vm, v: &Value, msg: &str| -> Res<Option<i64>> {
        if v.is_none() {
            return Ok(None);
        }
        match vm.index_value(v) {
            Ok(i) if i >= 0 => Ok(Some(i)),
            _ => Err(Error::value_error(msg.to_string())),
        }
    };
    let (start, stop, step) = if args.len() == 2 {
        let stop = idx(
            vm,
            &args[1],
            "Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.",
        )?;
        (0, stop, 1)
    } else {
        let msg = "Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize.";
        let start = idx(vm, &args[1], msg)?.unwrap_or(0);
        let stop = idx(vm, &args[2], msg)?;
        let step = match args.get(3) {
            None | Some(Value::None) => 1,
            Some(v) => match vm.index_value(v) {
                Ok(s) if s >= 1 => s,
                _ => {
                    return Err(Error::value_error(
                        "Step for islice() must be a positive integer or None.",
                    ))
                }
            },
        };
        (start, stop, step)
    };
    let cnt = Cell::new(0i64);
    let next = Cell::new(start);
    let stop = stop.unwrap_or(-1);
    let src: RefCell<Option<Value>> = RefCell::new(Some(it.clone()));
    Ok(fn_iter("islice", vec![it], move |vm| {
        let Some(it) = src.borrow().clone() else {
            return Ok(None);
        };
        while cnt.get() < next.get() {
            if vm.iter_next(&it)?.is_none() {
                *src.borrow_mut() = None;
                return Ok(None);
            }
            cnt.set(cnt.get() + 1);
        }
        if stop != -1 && cnt.get() >= stop {
            *src.borrow_mut() = None;
            return Ok(None);
        }
        let Some(item) = vm.iter_next(&it)? else {
            *src.borrow_mut() = None;
            return Ok(None);
        };
        cnt.set(cnt.get() + 1);
        let old = next.get();
        let mut n = old.saturating_add(step);
        if n < old || (stop != -1 && n > stop) {
            n = stop;
        }
        next.set(n);
        Ok(Some(item))
    }))
}

/// Shared state of `tee` iterators: a buffer and each reader's position.
struct TeeData {
    it: Value,
    buf: Vec<Value>,
    /// Absolute index of `buf[0]`.
    base: usize,
    positions: Vec<Rc<Cell<usize>>>,
}

fn tee_reader(data: Rc<RefCell<TeeData>>, pos: Rc<Cell<usize>>) -> Value {
    let it = data.borrow().it.clone();
    fn_iter("_tee", vec![it], move |vm| {
        let p = pos.get();
        let (base, len, it) = {
            let d = data.borrow();
            (d.base, d.buf.len(), d.it.clone())
        };
        if p < base + len {
            let v = data.borrow().buf[p - base].clone();
            pos.set(p + 1);
            trim(&data);
            return Ok(Some(v));
        }
        match vm.iter_next(&it)? {
            Some(v) => {
                data.borrow_mut().buf.push(v.clone());
                pos.set(p + 1);
                trim(&data);
                Ok(Some(v))
            }
            None => Ok(None),
        }
    })
}

fn trim(data: &Rc<RefCell<TeeData>>) {
    let mut d = data.borrow_mut();
    let min = d.positions.iter().map(|p| p.get()).min().unwrap_or(0);
    if min > d.base {
        let drop = (min - d.base).min(d.buf.len());
        d.buf.drain(..drop);
        d.base += drop;
    }
}

fn tee(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("tee", args, 1, 2)?;
    let n = match args.get(1) {
        Some(v) => vm.index_value(v)?,
        None => 2,
    };
    if n < 0 {
        return Err(Error::value_error("n must be >= 0"));
    }
    let it = vm.get_iter(&args[0])?;
    let positions: Vec<Rc<Cell<usize>>> = (0..n).map(|_| Rc::new(Cell::new(0))).collect();
    let data = Rc::new(RefCell::new(TeeData {
        it,
        buf: Vec::new(),
        base: 0,
        positions: positions.clone(),
    }));
    let readers = positions
        .into_iter()
        .map(|p| tee_reader(data.clone(), p))
        .collect();
    Ok(Value::tuple(readers))
}

/// Shared state of a groupby object and its groupers (CPython's layout).
struct GroupBy {
    it: Value,
    key: Option<Value>,
    tgtkey: Option<Value>,
    currkey: Option<Value>,
    currvalue: Option<Value>,
    /// Id of the grouper allowed to advance; bumped for each new group.
    current: u64,
}

/// Advances the underlying iterator; false when exhausted.
fn gb_step(vm: &mut Vm, gb: &Rc<RefCell<GroupBy>>) -> Res<bool> {
    let (it, key) = {
        let g = gb.borrow();
        (g.it.clone(), g.key.clone())
    };
    let Some(v) = vm.iter_next(&it)? else {
        return Ok(false);
    };
    let k = match &key {
        Some(f) => vm.call(f, std::slice::from_ref(&v), &[])?,
        None => v.clone(),
    };
    let mut g = gb.borrow_mut();
    g.currvalue = Some(v);
    g.currkey = Some(k);
    Ok(true)
}

fn groupby(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("groupby", args, 0, 2)?;
    let src = arg_or_kw(args, kw, 0, "iterable").cloned().ok_or_else(|| {
        Error::type_error("groupby() missing required argument 'iterable' (pos 1)")
    })?;
    let it = vm.get_iter(&src)?;
    let key = arg_or_kw(args, kw, 1, "key")
        .filter(|k| !k.is_none())
        .cloned();
    let mut held = vec![it.clone()];
    held.extend(key.clone());
    let gb = Rc::new(RefCell::new(GroupBy {
        it,
        key,
        tgtkey: None,
        currkey: None,
        currvalue: None,
        current: 0,
    }));
    Ok(fn_iter("groupby", held, move |vm| {
        gb.borrow_mut().current += 1;
        loop {
            let (tgt, cur) = {
                let g = gb.borrow();
                (g.tgtkey.clone(), g.currkey.clone())
            };
            match (tgt, cur) {
                (_, None) => {}
                (None, Some(_)) => break,
                (Some(t), Some(c)) => {
                    if !vm.eq(&t, &c)? {
                        break;
                    }
                }
            }
            if !gb_step(vm, &gb)? {
                return Ok(None);
            }
        }
        let (id, key) = {
            let mut g = gb.borrow_mut();
            g.tgtkey = g.currkey.clone();
            g.current += 1;
            (g.current, g.currkey.clone().unwrap_or(Value::None))
        };
        let grouper = make_grouper(gb.clone(), id, key.clone());
        Ok(Some(Value::tuple(vec![key, grouper])))
    }))
}

fn make_grouper(gb: Rc<RefCell<GroupBy>>, id: u64, tgtkey: Value) -> Value {
    let it = gb.borrow().it.clone();
    fn_iter("_grouper", vec![it, tgtkey.clone()], move |vm| {
        if gb.borrow().current != id {
            return Ok(None);
        }
        if gb.borrow().currvalue.is_none() && !gb_step(vm, &gb)? {
            return Ok(None);
        }
        let cur = gb.borrow().currkey.clone().unwrap_or(Value::None);
        if !vm.eq(&tgtkey, &cur)? {
            return Ok(None);
        }
        Ok(gb.borrow_mut().currvalue.take())
    })
}

fn pools(vm: &mut Vm, args: &[Value]) -> Res<Vec<Vec<Value>>> {
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        out.push(vm.iterate(a)?);
    }
    Ok(out)
}

fn product(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let repeat = match kwarg(kw, "repeat") {
        Some(r) => vm.index_value(r)?,
        None => 1,
    };
    if repeat < 0 {
        return Err(Error::value_error("repeat argument cannot be negative"));
    }
    let base = pools(vm, args)?;
    let mut ps = Vec::new();
    for _ in 0..repeat {
        ps.extend(base.iter().cloned());
    }
    let idx: RefCell<Option<Vec<usize>>> = RefCell::new(None);
    let done = Cell::new(ps.iter().any(|p| p.is_empty()));
    Ok(fn_iter("product", vec![], move |_vm| {
        if done.get() {
            return Ok(None);
        }
        let mut cur = idx.borrow_mut();
        match cur.as_mut() {
            None => *cur = Some(vec![0; ps.len()]),
            Some(ix) => {
                let mut i = ix.len();
                loop {
                    if i == 0 {
                        done.set(true);
                        return Ok(None);
                    }
                    i -= 1;
                    ix[i] += 1;
                    if ix[i] < ps[i].len() {
                        break;
                    }
                    ix[i] = 0;
                }
            }
        }
        let ix = cur.as_ref().map(|v| v.as_slice()).unwrap_or(&[]);
        Ok(Some(Value::tuple(
            ix.iter().zip(&ps).map(|(&i, p)| p[i].clone()).collect(),
        )))
    }))
}

fn r_arg(
    vm: &mut Vm,
    name: &str,
    args: &[Value],
    kw: &[(Sym, Value)],
    n: usize,
    required: bool,
) -> Res<Option<usize>> {
    match arg_or_kw(args, kw, 1, "r") {
        Some(Value::None) if !required => Ok(None),
        Some(v) => {
            let r = vm.index_value(v)?;
            if r < 0 {
                return Err(Error::value_error("r must be non-negative"));
            }
            Ok(Some(r as usize))
        }
        None if required => Err(Error::type_error(format!(
            "{name}() missing required argument 'r' (pos 2)"
        ))),
        None => Ok(Some(n)),
    }
}

fn permutations(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("permutations", args, 1, 2)?;
    let pool = vm.iterate(&args[0])?;
    let n = pool.len();
    let r = r_arg(vm, "permutations", args, kw, n, false)?.unwrap_or(n);
    let indices: RefCell<Vec<usize>> = RefCell::new((0..n).collect());
    let cycles: RefCell<Vec<usize>> = RefCell::new((n.saturating_sub(r) + 1..=n).rev().collect());
    let first = Cell::new(true);
    let done = Cell::new(r > n);
    Ok(fn_iter("permutations", vec![], move |_vm| {
        if done.get() {
            return Ok(None);
        }
        let mut ix = indices.borrow_mut();
        let mut cy = cycles.borrow_mut();
        if first.get() {
            first.set(false);
        } else {
            if n == 0 {
                done.set(true);
                return Ok(None);
            }
            let mut i = r;
            loop {
                if i == 0 {
                    done.set(true);
                    return Ok(None);
                }
                i -= 1;
                cy[i] -= 1;
                if cy[i] == 0 {
                    let x = ix.remove(i);
                    ix.push(x);
                    cy[i] = n - i;
                } else {
                    let j = cy[i];
                    let len = ix.len();
                    ix.swap(i, len - j);
                    break;
                }
            }
        }
        Ok(Some(Value::tuple(
            ix[..r].iter().map(|&i| pool[i].clone()).collect(),
        )))
    }))
}

fn combinations(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("combinations", args, 1, 2)?;
    let pool = vm.iterate(&args[0])?;
    let n = pool.len();
    let r = r_arg(vm, "combinations", args, kw, n, true)?.unwrap_or(0);
    let indices: RefCell<Vec<usize>> = RefCell::new((0..r).collect());
    let first = Cell::new(true);
    let done = Cell::new(r > n);
    Ok(fn_iter("combinations", vec![], move |_vm| {
        if done.get() {
            return Ok(None);
        }
        let mut ix = indices.borrow_mut();
        if first.get() {
            first.set(false);
        } else {
            let mut i = r;
            loop {
                if i == 0 {
                    done.set(true);
                    return Ok(None);
                }
                i -= 1;
                if ix[i] != i + n - r {
                    break;
                }
            }
            ix[i] += 1;
            for j in i + 1..r {
                ix[j] = ix[j - 1] + 1;
            }
        }
        Ok(Some(Value::tuple(
            ix.iter().map(|&i| pool[i].clone()).collect(),
        )))
    }))
}

fn combinations_with_replacement(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("combinations_with_replacement", args, 1, 2)?;
    let pool = vm.iterate(&args[0])?;
    let n = pool.len();
    let r = r_arg(vm, "combinations_with_replacement", args, kw, n, true)?.unwrap_or(0);
    let indices: RefCell<Vec<usize>> = RefCell::new(vec![0; r]);
    let first = Cell::new(true);
    let done = Cell::new(n == 0 && r > 0);
    Ok(fn_iter(
        "combinations_with_replacement",
        vec![],
        move |_vm| {
            if done.get() {
                return Ok(None);
            }
            let mut ix = indices.borrow_mut();
            if first.get() {
                first.set(false);
            } else {
                let mut i = r;
                loop {
                    if i == 0 {
                        done.set(true);
                        return Ok(None);
                    }
                    i -= 1;
                    if ix[i] != n - 1 {
                        break;
                    }
                }
                let v = ix[i] + 1;
                for x in ix[i..].iter_mut() {
                    *x = v;
                }
            }
            Ok(Some(Value::tuple(
                ix.iter().map(|&i| pool[i].clone()).collect(),
            )))
        },
    ))
}

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("itertools", None);
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("count", count),
        ("cycle", cycle),
        ("repeat", repeat),
        ("accumulate", accumulate),
        ("compress", compress),
        ("dropwhile", dropwhile),
        ("takewhile", takewhile),
        ("filterfalse", filterfalse),
        ("starmap", starmap),
        ("pairwise", pairwise),
        ("zip_longest", zip_longest),
        ("islice", islice),
        ("tee", tee),
        ("groupby", groupby),
        ("product", product),
        ("permutations", permutations),
        ("combinations", combinations),
        (
            "combinations_with_replacement",
            combinations_with_replacement,
        ),
    ];
    for (name, f) in fns {
        add_fn(vm, &m, name, *f);
    }
    // `chain` is a class so that `chain.from_iterable` resolves.
    let chain = crate::vm::types::new_class(
        "chain",
        vec![vm.types.object.clone()],
        Builtin::Object,
        true,
    );
    super::add_method(vm, &chain, "__new__", chain_new);
    super::add_method(vm, &chain, "from_iterable", chain_from_iterable);
    m.set_str("chain", Value::Class(chain));
    m
}
