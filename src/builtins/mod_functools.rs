//! `_functools`: the native half of `functools` (reduce, partial and the
//! lru_cache table). The rest of the module is `stdlib/functools.con`:
//! the VM only honours comparison dunders written in script code, and a
//! script-level lru wrapper keeps recursion out of the native stack.

use std::cell::Cell;
use std::rc::Rc;

use super::{add_fn, add_method, check_args};
use crate::vm::dict::Dict;
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

fn reduce(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("reduce", args, 2, 3)?;
    let f = &args[0];
    let it = vm.get_iter(&args[1])?;
    let mut acc = match args.get(2) {
        Some(v) => v.clone(),
        None => match vm.iter_next(&it)? {
            Some(v) => v,
            None => {
                return Err(Error::type_error(
                    "reduce() of empty iterable with no initial value",
                ))
            }
        },
    };
    while let Some(x) = vm.iter_next(&it)? {
        acc = vm.call(f, &[acc, x], &[])?;
    }
    Ok(acc)
}

fn inst_of(v: &Value) -> Res<Rc<InstanceObj>> {
    match v {
        Value::Instance(i) => Ok(i.clone()),
        _ => Err(Error::type_error("descriptor requires an instance")),
    }
}

fn dict_get(i: &InstanceObj, vm: &mut Vm, name: &str) -> Value {
    let s = vm.intern(name);
    i.dict.borrow().get(&s).cloned().unwrap_or(Value::None)
}

fn dict_put(i: &InstanceObj, vm: &mut Vm, name: &str, v: Value) {
    let s = vm.intern(name);
    i.dict.borrow_mut().insert(s, v);
}

// ----- partial ---------------------------------------------------------------------

fn is_callable(v: &Value, vm: &mut Vm) -> bool {
    match v {
        Value::Function(_) | Value::Native(_) | Value::BoundMethod(_) | Value::Class(_) => true,
        Value::Instance(_) => {
            let c = vm.intern_static("__call__");
            vm.lookup_special(v, &c).is_some()
        }
        Value::Object(_) => true,
        _ => false,
    }
}

fn partial_init(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let this = inst_of(&args[0])?;
    let Some(mut func) = args.get(1).cloned() else {
        return Err(Error::type_error(
            "type 'partial' takes at least one argument",
        ));
    };
    if !is_callable(&func, vm) {
        return Err(Error::type_error("the first argument must be callable"));
    }
    let mut pargs: Vec<Value> = Vec::new();
    let mut pkw = Dict::new();
    // Flatten partial(partial(f, a), b) as CPython does.
    if let Value::Instance(inner) = &func {
        if Rc::ptr_eq(&inner.class, &this.class) {
            if let Value::Tuple(t) = dict_get(inner, vm, "args") {
                pargs.extend(t.items.iter().cloned());
            }
            if let Value::Dict(d) = dict_get(inner, vm, "keywords") {
                pkw = d.d.borrow().clone();
            }
            func = dict_get(inner, vm, "func");
        }
    }
    pargs.extend(args[2..].iter().cloned());
    let kwd = Rc::new(DictObj {
        gc: crate::vm::gc::GcSlot::new(),
        d: std::cell::RefCell::new(pkw),
    });
    for (k, v) in kw {
        vm.dict_set(&kwd, Value::Str(k.clone()), v.clone())?;
    }
    dict_put(&this, vm, "func", func);
    dict_put(&this, vm, "args", Value::tuple(pargs));
    dict_put(&this, vm, "keywords", Value::Dict(kwd));
    Ok(Value::None)
}

fn partial_call(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let this = inst_of(&args[0])?;
    let func = dict_get(&this, vm, "func");
    let mut full: Vec<Value> = match dict_get(&this, vm, "args") {
        Value::Tuple(t) => t.items.to_vec(),
        _ => Vec::new(),
    };
    full.extend_from_slice(&args[1..]);
    let mut kws: Vec<(Sym, Value)> = Vec::new();
    if let Value::Dict(d) = dict_get(&this, vm, "keywords") {
        for (k, v) in d.d.borrow().items() {
            if let Value::Str(s) = k {
                if !kw.iter().any(|(n, _)| n.as_str() == s.as_str()) {
                    kws.push((s, v));
                }
            }
        }
    }
    kws.extend(kw.iter().cloned());
    vm.call(&func, &full, &kws)
}

fn partial_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let this = inst_of(&args[0])?;
    let func = dict_get(&this, vm, "func");
    let mut parts = vec![vm.repr(&func)?];
    if let Value::Tuple(t) = dict_get(&this, vm, "args") {
        for a in t.items.iter() {
            parts.push(vm.repr(a)?);
        }
    }
    if let Value::Dict(d) = dict_get(&this, vm, "keywords") {
        let items = d.d.borrow().items();
        for (k, v) in items {
            let k = vm.to_str(&k)?;
            parts.push(format!("{k}={}", vm.repr(&v)?));
        }
    }
    let name = this.class.qualname.borrow().clone();
    let qual = if name.as_str() == "partial" {
        "functools.partial".to_string()
    } else {
        name.as_str().to_string()
    };
    Ok(Value::string(format!("{qual}({})", parts.join(", "))))
}

// ----- lru_cache --------------------------------------------------------------------
//
// The wrapper itself is a script function (functools.con) so that the
// cached function's recursion runs in heap frames rather than nesting the
// interpreter; these natives hold the table and the counters.

/// The cache table and counters of one `lru_cache` wrapper.
pub struct LruState {
    /// None: unbounded.
    maxsize: Option<usize>,
    typed: bool,
    cache: Rc<DictObj>,
    hits: Cell<u64>,
    misses: Cell<u64>,
    /// Separates positional from keyword arguments in keys.
    kwd_mark: Value,
}

impl NativeObject for LruState {
    fn type_name(&self) -> &str {
        "_lru_state"
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&Value::Dict(self.cache.clone()));
    }
    fn clear(&self) {
        self.cache.d.borrow_mut().clear();
    }
}

/// A marker object compared by identity (`_MISS`, the keyword mark).
struct Marker;
impl NativeObject for Marker {
    fn type_name(&self) -> &str {
        "object"
    }
}

fn lru_state(v: &Value) -> Res<&LruState> {
    downcast::<LruState>(v).ok_or_else(|| Error::type_error("expected an lru_cache state"))
}

fn miss_marker(vm: &Vm) -> Value {
    match vm.modules.get("_functools") {
        Some(Value::Module(m)) => m.get_str("_MISS").unwrap_or(Value::None),
        _ => Value::None,
    }
}

/// The cache key of a call, as CPython's `_make_key`.
fn make_key(vm: &mut Vm, st: &LruState, args: &Value, kwds: &Value) -> Res<Value> {
    let args: Vec<Value> = match args {
        Value::Tuple(t) => t.items.to_vec(),
        other => vm.iterate(other)?,
    };
    let kw: Vec<(Value, Value)> = match kwds {
        Value::Dict(d) => d.d.borrow().items(),
        _ => Vec::new(),
    };
    if kw.is_empty()
        && args.len() == 1
        && !st.typed
        && matches!(args[0], Value::Int(_) | Value::Str(_))
    {
        return Ok(args[0].clone());
    }
    let mut k = args.clone();
    if !kw.is_empty() {
        k.push(st.kwd_mark.clone());
        for (n, v) in &kw {
            k.push(n.clone());
            k.push(v.clone());
        }
    }
    if st.typed {
        for a in &args {
            k.push(Value::Class(vm.type_of(a)));
        }
        for (_, v) in &kw {
            k.push(Value::Class(vm.type_of(v)));
        }
    }
    Ok(Value::tuple(k))
}

fn lru_new(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_lru_new", args, 2, 2)?;
    let maxsize = match &args[0] {
        Value::None => None,
        v => Some(vm.index_value(v)?.max(0) as usize),
    };
    let typed = vm.truthy(&args[1])?;
    Ok(Value::object(LruState {
        maxsize,
        typed,
        cache: Rc::new(DictObj {
            gc: crate::vm::gc::GcSlot::new(),
            d: std::cell::RefCell::new(Dict::new()),
        }),
        hits: Cell::new(0),
        misses: Cell::new(0),
        kwd_mark: Value::object(Marker),
    }))
}

/// `_lru_get(state, args, kwds)`: the cached result (counting a hit), or
/// `_MISS` (counting a miss).
fn lru_get(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_lru_get", args, 3, 3)?;
    let st = lru_state(&args[0])?;
    if st.maxsize == Some(0) {
        st.misses.set(st.misses.get() + 1);
        return Ok(miss_marker(vm));
    }
    let key = make_key(vm, st, &args[1], &args[2])?;
    let h = vm.hash(&key)?;
    if let Some(i) = vm.dict_find(&st.cache.d, &key, h)? {
        st.hits.set(st.hits.get() + 1);
        let mut d = st.cache.d.borrow_mut();
        let v = d.value_at(i).clone();
        if st.maxsize.is_some() {
            d.move_to_end(i);
            if d.slots() > 2 * d.len() + 32 {
                // Moving leaves tombstones: rebuild now and then.
                let mut fresh = Dict::with_capacity(d.len());
                for e in d.iter() {
                    fresh.insert_new(e.hash, e.key.clone(), e.value.clone());
                }
                *d = fresh;
            }
        }
        return Ok(v);
    }
    st.misses.set(st.misses.get() + 1);
    Ok(miss_marker(vm))
}

/// `_lru_put(state, args, kwds, result)`: stores a computed result,
/// evicting the least recently used entry when full.
fn lru_put(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_lru_put", args, 4, 4)?;
    let st = lru_state(&args[0])?;
    if st.maxsize == Some(0) {
        return Ok(Value::None);
    }
    let key = make_key(vm, st, &args[1], &args[2])?;
    let h = vm.hash(&key)?;
    // A recursive call may have filled the slot meanwhile.
    if vm.dict_find(&st.cache.d, &key, h)?.is_some() {
        return Ok(Value::None);
    }
    let mut d = st.cache.d.borrow_mut();
    if let Some(max) = st.maxsize {
        while d.len() >= max {
            if d.pop_first().is_none() {
                break;
            }
        }
    }
    d.insert_new(h, key, args[3].clone());
    Ok(Value::None)
}

fn lru_info(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_lru_info", args, 1, 1)?;
    let st = lru_state(&args[0])?;
    let fields = vec![
        Value::Int(st.hits.get() as i64),
        Value::Int(st.misses.get() as i64),
        st.maxsize
            .map(|m| Value::Int(m as i64))
            .unwrap_or(Value::None),
        Value::Int(st.cache.d.borrow().len() as i64),
    ];
    let cls = match vm.modules.get("_functools") {
        Some(Value::Module(m)) => m.get_str("_CacheInfo"),
        _ => None,
    };
    let Some(Value::Class(cls)) = cls else {
        return Ok(Value::tuple(fields));
    };
    let inst = vm.new_instance(&cls);
    if let Value::Instance(i) = &inst {
        for (name, v) in ["hits", "misses", "maxsize", "currsize"]
            .iter()
            .zip(&fields)
        {
            dict_put(i, vm, name, v.clone());
        }
        *i.payload.borrow_mut() = Value::tuple(fields);
    }
    Ok(inst)
}

fn cache_info_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let this = inst_of(&args[0])?;
    let mut parts = Vec::new();
    for name in ["hits", "misses", "maxsize", "currsize"] {
        let v = dict_get(&this, vm, name);
        parts.push(format!("{name}={}", vm.repr(&v)?));
    }
    Ok(Value::string(format!("CacheInfo({})", parts.join(", "))))
}

fn lru_clear(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("_lru_clear", args, 1, 1)?;
    let st = lru_state(&args[0])?;
    st.cache.d.borrow_mut().clear();
    st.hits.set(0);
    st.misses.set(0);
    Ok(Value::None)
}

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("_functools", None);
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("reduce", reduce),
        ("_lru_new", lru_new),
        ("_lru_get", lru_get),
        ("_lru_put", lru_put),
        ("_lru_info", lru_info),
        ("_lru_clear", lru_clear),
    ];
    for (name, f) in fns {
        add_fn(vm, &m, name, *f);
    }
    m.set_str("_MISS", Value::object(Marker));
    let obj = vm.types.object.clone();

    let partial = crate::vm::types::new_class("partial", vec![obj], Builtin::Object, false);
    add_method(vm, &partial, "__init__", partial_init);
    add_method(vm, &partial, "__call__", partial_call);
    add_method(vm, &partial, "__repr__", partial_repr);
    super::add_attr(vm, &partial, "__module__", Value::str("functools"));
    m.set_str("partial", Value::Class(partial));

    let info = crate::vm::types::new_class(
        "CacheInfo",
        vec![vm.types.tuple.clone()],
        Builtin::Tuple,
        false,
    );
    add_method(vm, &info, "__repr__", cache_info_repr);
    super::add_attr(vm, &info, "__module__", Value::str("functools"));
    m.set_str("_CacheInfo", Value::Class(info));
    m
}
