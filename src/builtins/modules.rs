//! The registry of natively implemented modules.

use std::any::Any;
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
    fn as_any(&self) -> &dyn Any {
        self
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

/// `sys.stdin`: line-oriented reads of the process's standard input.
pub struct StdIn;

impl NativeObject for StdIn {
    fn type_name(&self) -> &str {
        "TextIOWrapper"
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn class(&self, vm: &Vm) -> Option<Rc<ClassObj>> {
        match vm.modules.get("sys") {
            Some(Value::Module(m)) => match m.get_str("_StdIn") {
                Some(Value::Class(c)) => Some(c),
                _ => None,
            },
            _ => None,
        }
    }
    fn is_iterator(&self) -> bool {
        true
    }
    fn next(&self, vm: &mut Vm) -> Res<Option<Value>> {
        let line = read_stdin_line(vm)?;
        Ok(if line.is_empty() {
            None
        } else {
            Some(Value::string(line))
        })
    }
}

/// One line of stdin including its newline ("" at end of input).
pub fn read_stdin_line(vm: &mut Vm) -> Res<String> {
    use std::io::BufRead;
    vm.flush_out();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(_) => Ok(line),
        Err(e) => Err(Error::new(ExcType::OSError, e.to_string())),
    }
}

fn stdin_readline(vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::string(read_stdin_line(vm)?))
}

fn stdin_read(vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    use std::io::Read;
    vm.flush_out();
    let mut s = String::new();
    std::io::stdin()
        .lock()
        .read_to_string(&mut s)
        .map_err(|e| Error::new(ExcType::OSError, e.to_string()))?;
    Ok(Value::string(s))
}

fn stdin_readlines(vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let mut out = Vec::new();
    loop {
        let line = read_stdin_line(vm)?;
        if line.is_empty() {
            break;
        }
        out.push(Value::string(line));
    }
    Ok(Value::list(out))
}

fn stdin_iter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(args[0].clone())
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
    let stdin_cls = crate::vm::types::new_class(
        "TextIOWrapper",
        vec![vm.types.object.clone()],
        Builtin::Object,
        true,
    );
    super::add_method(vm, &stdin_cls, "readline", stdin_readline);
    super::add_method(vm, &stdin_cls, "read", stdin_read);
    super::add_method(vm, &stdin_cls, "readlines", stdin_readlines);
    super::add_method(vm, &stdin_cls, "__iter__", stdin_iter);
    m.set_str("_StdIn", Value::Class(stdin_cls));
    m.set_str("stdin", Value::object(StdIn));
    m.set_str("__stdin__", Value::object(StdIn));
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
