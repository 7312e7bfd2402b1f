//! The registry of natively implemented modules.

use std::rc::Rc;

use super::{add_fn, check_args};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

/// Creates the native module [name], or None if there is no such module.
pub fn create(vm: &mut Vm, name: &str) -> Res<Option<Value>> {
    let m = match name {
        "sys" => sys_module(vm),
        "builtins" => return Ok(Some(Value::Module(vm.builtins.clone()))),
        "__future__" => vm.new_module("__future__", None),
        "gc" => gc_module(vm),
        _ => {
            if let Some(m) = super::stdlib_num::create(vm, name)? {
                m
            } else if let Some(m) = super::stdlib_data::create(vm, name)? {
                m
            } else {
                return Ok(None);
            }
        }
    };
    Ok(Some(Value::Module(m)))
}

/// `sys.stdout` / `sys.stderr`.
pub struct StdStream {
    pub err: bool,
}

impl NativeObject for StdStream {
    fn type_name(&self) -> &str {
        "TextIOWrapper"
    }
    fn class(&self, vm: &Vm) -> Option<Rc<ClassObj>> {
        match vm.modules.get("sys") {
            Some(Value::Module(m)) => match m.get_str("_StdStream") {
                Some(Value::Class(c)) => Some(c),
                _ => None,
            },
            _ => None,
        }
    }
}

fn stream_write(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("write", args, 2, 2)?;
    let s = match &args[1] {
        Value::Str(s) => s.s.to_string(),
        v => {
            return Err(Error::type_error(format!(
                "write() argument must be str, not {}",
                v.type_name()
            )))
        }
    };
    let is_err = downcast::<StdStream>(&args[0])
        .map(|s| s.err)
        .unwrap_or(false);
    if is_err {
        use std::io::Write;
        vm.flush_out();
        let _ = std::io::stderr().write_all(s.as_bytes());
    } else {
        vm.write_out(&s);
        vm.check_stdout()?;
    }
    Ok(Value::Int(s.chars().count() as i64))
}

fn stream_flush(vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    vm.flush_out();
    Ok(Value::None)
}

fn sys_exit(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("exit", args, 0, 1)?;
    Err(match args.first() {
        Some(v) => Error::WithValue(ExcType::SystemExit, v.clone()),
        None => Error::New(ExcType::SystemExit, None),
    })
}

fn sys_getrecursionlimit(vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int(vm.recursion_limit as i64))
}

fn sys_setrecursionlimit(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("setrecursionlimit", args, 1, 1)?;
    let n = vm.index_value(&args[0])?;
    if n < 1 {
        return Err(Error::value_error(
            "recursion limit must be greater or equal than 1",
        ));
    }
    // Frames are heap records, so a high limit costs no Rust stack.
    vm.recursion_limit = (n as usize).min(1_000_000);
    Ok(Value::None)
}

fn sys_intern(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("intern", args, 1, 1)?;
    Ok(args[0].clone())
}

fn sys_get_int_max_str_digits(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int(
        crate::vm::repr::MAX_STR_DIGITS.load(std::sync::atomic::Ordering::Relaxed) as i64,
    ))
}

fn sys_set_int_max_str_digits(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let v = super::arg_or_kw(args, kw, 0, "maxdigits")
        .cloned()
        .ok_or_else(|| {
            Error::type_error("set_int_max_str_digits() missing required argument 'maxdigits'")
        })?;
    let n = vm.index_value(&v)?;
    if n != 0 && n < 640 {
        return Err(Error::value_error("maxdigits must be 0 or larger than 640"));
    }
    crate::vm::repr::MAX_STR_DIGITS.store(n as usize, std::sync::atomic::Ordering::Relaxed);
    Ok(Value::None)
}

fn sys_exc_info(vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(match vm.handled.last().cloned() {
        Some(e) => {
            let t = vm.type_of(&e);
            let tb = vm.traceback_value(&e);
            Value::tuple(vec![Value::Class(t), e, tb])
        }
        None => Value::tuple(vec![Value::None, Value::None, Value::None]),
    })
}

fn sys_module(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("sys", None);
    let stream = crate::vm::types::new_class(
        "TextIOWrapper",
        vec![vm.types.object.clone()],
        Builtin::Object,
        true,
    );
    super::add_method(vm, &stream, "write", stream_write);
    super::add_method(vm, &stream, "flush", stream_flush);
    m.set_str("_StdStream", Value::Class(stream));
    // A buffered text stream whose read@/readline@ wait on a worker
    // thread, so other micro-threads run meanwhile.
    let stdin = super::mod_io::stdin_stream(vm);
    m.set_str("stdin", stdin.clone());
    m.set_str("__stdin__", stdin);
    m.set_str("stdout", Value::object(StdStream { err: false }));
    m.set_str("stderr", Value::object(StdStream { err: true }));
    m.set_str("__stdout__", Value::object(StdStream { err: false }));
    m.set_str("__stderr__", Value::object(StdStream { err: true }));
    let argv: Vec<Value> = vm.argv.iter().map(|a| Value::str(a)).collect();
    m.set_str("argv", Value::list(argv));
    let path: Vec<Value> = vm
        .path
        .iter()
        .map(|p| Value::string(p.display().to_string()))
        .collect();
    m.set_str("path", Value::list(path));
    m.set_str("maxsize", Value::Int(i64::MAX));
    m.set_str("platform", Value::str(std::env::consts::OS));
    m.set_str(
        "version",
        Value::str(concat!("3.11.0 (con ", env!("CARGO_PKG_VERSION"), ")")),
    );
    m.set_str(
        "version_info",
        Value::tuple(vec![
            Value::Int(3),
            Value::Int(11),
            Value::Int(0),
            Value::str("final"),
            Value::Int(0),
        ]),
    );
    m.set_str("byteorder", Value::str("little"));
    m.set_str("implementation", Value::str("con"));
    let mods = Rc::new(DictObj {
        gc: crate::vm::gc::GcSlot::new(),
        d: std::cell::RefCell::new(crate::vm::dict::Dict::new()),
    });
    let mut known: Vec<(String, Value)> = vm
        .modules
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    known.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, v) in known {
        let _ = vm.dict_set(&mods, Value::string(k), v);
    }
    let _ = vm.dict_set(&mods, Value::str("sys"), Value::Module(m.clone()));
    vm.sys_modules = Some(mods.clone());
    m.set_str("modules", Value::Dict(mods));
    add_fn(vm, &m, "exit", sys_exit);
    add_fn(vm, &m, "getrecursionlimit", sys_getrecursionlimit);
    add_fn(vm, &m, "setrecursionlimit", sys_setrecursionlimit);
    add_fn(vm, &m, "intern", sys_intern);
    add_fn(vm, &m, "get_int_max_str_digits", sys_get_int_max_str_digits);
    add_fn(vm, &m, "set_int_max_str_digits", sys_set_int_max_str_digits);
    add_fn(vm, &m, "exc_info", sys_exc_info);
    m
}

fn gc_collect(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int(crate::vm::gc::collect() as i64))
}

fn gc_enable(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    crate::vm::gc::set_enabled(true);
    Ok(Value::None)
}

fn gc_disable(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    crate::vm::gc::set_enabled(false);
    Ok(Value::None)
}

fn gc_module(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("gc", None);
    add_fn(vm, &m, "collect", gc_collect);
    add_fn(vm, &m, "enable", gc_enable);
    add_fn(vm, &m, "disable", gc_disable);
    m
}
