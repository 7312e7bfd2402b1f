//! The `os` and `os.path` modules (POSIX flavour).

use std::rc::Rc;

use super::mod_io::os_error;
use super::stdlib_data::{native_class, opt_arg};
use super::{add_fn, arg_or_kw, check_args, kwarg};
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn create(vm: &mut Vm) -> Res<Rc<ModuleObj>> {
    super::mod_io::install_oserror(vm);
    let m = vm.new_module("os", None);
    let path = vm.import_module("os.path")?;
    m.set_str("path", path);
    m.set_str("sep", Value::str("/"));
    m.set_str("altsep", Value::None);
    m.set_str("extsep", Value::str("."));
    m.set_str("pathsep", Value::str(":"));
    m.set_str("linesep", Value::str("\n"));
    m.set_str("curdir", Value::str("."));
    m.set_str("pardir", Value::str(".."));
    m.set_str("devnull", Value::str("/dev/null"));
    m.set_str("name", Value::str("posix"));
    let env = Value::dict(crate::vm::dict::Dict::new());
    if let Value::Dict(d) = &env {
        for (k, v) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            let v = v.to_string_lossy().into_owned();
            vm.dict_set(d, Value::string(k), Value::string(v))?;
        }
    }
    m.set_str("environ", env);
    m.set_str("error", Value::Class(vm.types.exc_named("OSError")));
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("getcwd", os_getcwd),
        ("listdir", os_listdir),
        ("mkdir", os_mkdir),
        ("makedirs", os_makedirs),
        ("rmdir", os_rmdir),
        ("remove", os_remove),
        ("unlink", os_remove),
        ("rename", os_rename),
        ("replace", os_rename),
        ("walk", os_walk),
        ("getenv", os_getenv),
        ("getpid", os_getpid),
        ("cpu_count", os_cpu_count),
        ("urandom", os_urandom),
        ("stat", os_stat),
        ("chdir", os_chdir),
        ("fspath", os_fspath),
        ("get_terminal_size", os_terminal_size),
    ];
    for (n, f) in fns {
        add_fn(vm, &m, n, *f);
    }
    Ok(m)
}

pub fn create_path(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("posixpath", None);
    m.set_str("sep", Value::str("/"));
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("join", p_join),
        ("split", p_split),
        ("splitext", p_splitext),
        ("basename", p_basename),
        ("dirname", p_dirname),
        ("exists", p_exists),
        ("isfile", p_isfile),
        ("isdir", p_isdir),
        ("islink", p_islink),
        ("abspath", p_abspath),
        ("realpath", p_abspath),
        ("normpath", p_normpath),
        ("relpath", p_relpath),
        ("expanduser", p_expanduser),
        ("getsize", p_getsize),
        ("getmtime", p_getmtime),
        ("isabs", p_isabs),
        ("commonprefix", p_commonprefix),
    ];
    for (n, f) in fns {
        add_fn(vm, &m, n, *f);
    }
    m
}

fn path_str(v: &Value, func: &str) -> Res<String> {
    match v {
        Value::Str(s) => Ok(s.as_str().to_string()),
        Value::Bytes(b) => Ok(String::from_utf8_lossy(b).into_owned()),
        other => Err(Error::type_error(format!(
            "{func}: path should be string, bytes or os.PathLike, not {}",
            other.type_name()
        ))),
    }
}

fn path_arg(
    args: &[Value],
    kw: &[(Sym, Value)],
    i: usize,
    name: &str,
    func: &str,
) -> Res<(String, Value)> {
    match arg_or_kw(args, kw, i, name) {
        Some(v) => Ok((path_str(v, func)?, v.clone())),
        None => Err(Error::type_error(format!(
            "{func}() missing required argument '{name}' (pos {})",
            i + 1
        ))),
    }
}

// ---------------------------------------------------------------------
// os

fn os_getcwd(vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    match std::env::current_dir() {
        Ok(p) => Ok(Value::string(p.display().to_string())),
        Err(e) => Err(os_error(vm, &e, None, None)),
    }
}

fn os_chdir(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (p, pv) = path_arg(args, kw, 0, "path", "chdir")?;
    std::env::set_current_dir(&p).map_err(|e| os_error(vm, &e, Some(&pv), None))?;
    Ok(Value::None)
}

fn os_listdir(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("listdir", args, 0, 1)?;
    let pv = opt_arg(args, kw, 0, "path")
        .cloned()
        .unwrap_or(Value::str("."));
    let p = path_str(&pv, "listdir")?;
    let rd = std::fs::read_dir(&p).map_err(|e| os_error(vm, &e, Some(&pv), None))?;
    let mut out = Vec::new();
    for e in rd.flatten() {
        out.push(Value::string(e.file_name().to_string_lossy().into_owned()));
    }
    Ok(Value::list(out))
}

fn os_mkdir(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (p, pv) = path_arg(args, kw, 0, "path", "mkdir")?;
    std::fs::create_dir(&p).map_err(|e| os_error(vm, &e, Some(&pv), None))?;
    Ok(Value::None)
}

fn os_makedirs(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (p, pv) = path_arg(args, kw, 0, "name", "makedirs")?;
    let exist_ok = match arg_or_kw(args, kw, 2, "exist_ok") {
        Some(v) => vm.truthy(v)?,
        None => false,
    };
    let path = std::path::Path::new(&p);
    if path.is_dir() {
        if exist_ok {
            return Ok(Value::None);
        }
        return Err(super::mod_io::os_error_from(
            vm,
            17,
            "File exists",
            Some(&pv),
            None,
        ));
    }
    std::fs::create_dir_all(path).map_err(|e| os_error(vm, &e, Some(&pv), None))?;
    Ok(Value::None)
}

fn os_rmdir(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (p, pv) = path_arg(args, kw, 0, "path", "rmdir")?;
    std::fs::remove_dir(&p).map_err(|e| os_error(vm, &e, Some(&pv), None))?;
    Ok(Value::None)
}

fn os_remove(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (p, pv) = path_arg(args, kw, 0, "path", "remove")?;
    if std::path::Path::new(&p).is_dir() {
        return Err(super::mod_io::os_error_from(
            vm,
            21,
            "Is a directory",
            Some(&pv),
            None,
        ));
    }
    std::fs::remove_file(&p).map_err(|e| os_error(vm, &e, Some(&pv), None))?;
    Ok(Value::None)
}

fn os_rename(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (a, av) = path_arg(args, kw, 0, "src", "rename")?;
    let (b, bv) = path_arg(args, kw, 1, "dst", "rename")?;
    std::fs::rename(&a, &b).map_err(|e| os_error(vm, &e, Some(&av), Some(&bv)))?;
    Ok(Value::None)
}

fn walk_into(top: &str, topdown: bool, out: &mut Vec<Value>) {
    let Ok(rd) = std::fs::read_dir(top) else {
        return;
    };
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir {
            dirs.push(name);
        } else {
            files.push(name);
        }
    }
    let dirs_v: Vec<Value> = dirs.iter().map(|d| Value::str(d)).collect();
    let dirs_list = Value::list(dirs_v);
    let entry = Value::tuple(vec![
        Value::str(top),
        dirs_list.clone(),
        Value::list(files.iter().map(|f| Value::str(f)).collect()),
    ]);
    if topdown {
        out.push(entry.clone());
    }
    // In CPython the caller may prune `dirs` while walking top-down; the
    // walk here is eager, so the list is read as it stands now.
    let names: Vec<String> = match &dirs_list {
        Value::List(l) => l
            .items
            .borrow()
            .iter()
            .filter_map(|v| v.as_str().map(|s| s.to_string()))
            .collect(),
        _ => Vec::new(),
    };
    for d in names {
        let sub = join2(top, &d);
        walk_into(&sub, topdown, out);
    }
    if !topdown {
        out.push(entry);
    }
}

fn os_walk(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let (top, _) = path_arg(args, kw, 0, "top", "walk")?;
    let topdown = match arg_or_kw(args, kw, 1, "topdown") {
        Some(v) => vm.truthy(v)?,
        None => true,
    };
    let mut out = Vec::new();
    walk_into(&top, topdown, &mut out);
    let l = Value::list(out);
    vm.get_iter(&l)
}

fn os_getenv(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("getenv", args, 1, 2)?;
    let default = arg_or_kw(args, kw, 1, "default")
        .cloned()
        .unwrap_or(Value::None);
    let key = match &args[0] {
        Value::Str(s) => s.clone(),
        other => {
            return Err(Error::type_error(format!(
                "str expected, not {}",
                other.type_name()
            )))
        }
    };
    // Read through os.environ so that assignments to it are seen.
    if let Some(Value::Module(m)) = vm.modules.get("os").cloned() {
        if let Some(Value::Dict(d)) = m.get_str("environ") {
            return Ok(vm.dict_get(&d, &Value::Str(key))?.unwrap_or(default));
        }
    }
    Ok(std::env::var(key.as_str())
        .map(Value::string)
        .unwrap_or(default))
}

fn os_getpid(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int(std::process::id() as i64))
}

fn os_cpu_count(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(match std::thread::available_parallelism() {
        Ok(n) => Value::Int(n.get() as i64),
        Err(_) => Value::None,
    })
}

fn os_urandom(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("urandom", args, 1, 1)?;
    let n = vm.index_value(&args[0])?;
    if n < 0 {
        return Err(Error::value_error("negative argument not allowed"));
    }
    use std::io::Read;
    let mut buf = vec![0u8; n as usize];
    let mut f = std::fs::File::open("/dev/urandom").map_err(|e| os_error(vm, &e, None, None))?;
    f.read_exact(&mut buf)
        .map_err(|e| os_error(vm, &e, None, None))?;
    Ok(Value::bytes(buf))
}

fn os_fspath(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("fspath", args, 1, 1)?;
    match &args[0] {
        v @ (Value::Str(_) | Value::Bytes(_)) => Ok(v.clone()),
        other => Err(Error::type_error(format!(
            "expected str, bytes or os.PathLike object, not {}",
            other.type_name()
        ))),
    }
}

fn os_terminal_size(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::tuple(vec![Value::Int(80), Value::Int(24)]))
}

/// `os.stat_result`.
struct StatResult {
    cls: Rc<ClassObj>,
    fields: Vec<(&'static str, Value)>,
}

impl NativeObject for StatResult {
    fn type_name(&self) -> &str {
        "os.stat_result"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(self
            .fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone()))
    }
    fn repr(&self, vm: &mut Vm) -> Res<Option<String>> {
        let mut parts = Vec::new();
        for (n, v) in self.fields.iter().take(10) {
            let v = match (n, v) {
                (_, Value::Float(f)) => Value::Int(f.get() as i64),
                _ => v.clone(),
            };
            parts.push(format!("{n}={}", vm.repr(&v)?));
        }
        Ok(Some(format!("os.stat_result({})", parts.join(", "))))
    }
}

fn os_stat(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    use std::os::unix::fs::MetadataExt;
    let (p, pv) = path_arg(args, kw, 0, "path", "stat")?;
    let md = std::fs::metadata(&p).map_err(|e| os_error(vm, &e, Some(&pv), None))?;
    let t = |s: i64, ns: i64| Value::float(s as f64 + ns as f64 / 1e9);
    let fields = vec![
        ("st_mode", Value::Int(md.mode() as i64)),
        ("st_ino", Value::Int(md.ino() as i64)),
        ("st_dev", Value::Int(md.dev() as i64)),
        ("st_nlink", Value::Int(md.nlink() as i64)),
        ("st_uid", Value::Int(md.uid() as i64)),
        ("st_gid", Value::Int(md.gid() as i64)),
        ("st_size", Value::Int(md.size() as i64)),
        ("st_atime", t(md.atime(), md.atime_nsec())),
        ("st_mtime", t(md.mtime(), md.mtime_nsec())),
        ("st_ctime", t(md.ctime(), md.ctime_nsec())),
        (
            "st_atime_ns",
            Value::Int(md.atime() * 1_000_000_000 + md.atime_nsec()),
        ),
        (
            "st_mtime_ns",
            Value::Int(md.mtime() * 1_000_000_000 + md.mtime_nsec()),
        ),
        (
            "st_ctime_ns",
            Value::Int(md.ctime() * 1_000_000_000 + md.ctime_nsec()),
        ),
    ];
    let cls = native_class(
        vm,
        "os.stat_result",
        "os",
        "stat_result",
        None,
        Builtin::Object,
        |_, _| {},
    );
    Ok(Value::object(StatResult { cls, fields }))
}

// ---------------------------------------------------------------------
// os.path

fn join2(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        b.to_string()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

fn p_join(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    if args.is_empty() {
        return Err(Error::type_error(
            "join() missing 1 required positional argument: 'a'",
        ));
    }
    let mut out = path_str(&args[0], "join").map_err(|_| {
        Error::type_error(format!(
            "expected str, bytes or os.PathLike object, not {}",
            args[0].type_name()
        ))
    })?;
    for a in &args[1..] {
        let s = match a {
            Value::Str(s) => s.as_str().to_string(),
            other => {
                return Err(Error::type_error(format!(
                    "join() argument must be str, bytes, or os.PathLike object, not '{}'",
                    other.type_name()
                )))
            }
        };
        out = join2(&out, &s);
    }
    Ok(Value::string(out))
}

fn split_path(p: &str) -> (String, String) {
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (head, tail) = p.split_at(i);
    let trimmed = head.trim_end_matches('/');
    let head = if !head.is_empty() && trimmed.is_empty() {
        head.to_string()
    } else {
        trimmed.to_string()
    };
    (head, tail.to_string())
}

fn one_path(args: &[Value], func: &str) -> Res<String> {
    check_args(func, args, 1, 1)?;
    path_str(&args[0], func).map_err(|_| {
        Error::type_error(format!(
            "expected str, bytes or os.PathLike object, not {}",
            args[0].type_name()
        ))
    })
}

fn p_split(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let p = one_path(args, "split")?;
    let (h, t) = split_path(&p);
    Ok(Value::tuple(vec![Value::string(h), Value::string(t)]))
}

fn splitext(p: &str) -> (String, String) {
    let sep = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let Some(dot) = p.rfind('.') else {
        return (p.to_string(), String::new());
    };
    if dot > sep {
        // Leading dots of the file name do not start an extension.
        if p[sep..dot].chars().any(|c| c != '.') {
            return (p[..dot].to_string(), p[dot..].to_string());
        }
    }
    (p.to_string(), String::new())
}

fn p_splitext(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let p = one_path(args, "splitext")?;
    let (a, b) = splitext(&p);
    Ok(Value::tuple(vec![Value::string(a), Value::string(b)]))
}

fn p_basename(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let p = one_path(args, "basename")?;
    let i = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    Ok(Value::str(&p[i..]))
}

fn p_dirname(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let p = one_path(args, "dirname")?;
    Ok(Value::string(split_path(&p).0))
}

fn p_exists(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("exists", args, 1, 1)?;
    let Ok(p) = path_str(&args[0], "exists") else {
        return Ok(Value::Bool(Truth::False));
    };
    Ok(Value::bool(std::fs::metadata(p).is_ok()))
}

fn p_isfile(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("isfile", args, 1, 1)?;
    let Ok(p) = path_str(&args[0], "isfile") else {
        return Ok(Value::Bool(Truth::False));
    };
    Ok(Value::bool(std::path::Path::new(&p).is_file()))
}

fn p_isdir(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("isdir", args, 1, 1)?;
    let Ok(p) = path_str(&args[0], "isdir") else {
        return Ok(Value::Bool(Truth::False));
    };
    Ok(Value::bool(std::path::Path::new(&p).is_dir()))
}

fn p_islink(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("islink", args, 1, 1)?;
    let Ok(p) = path_str(&args[0], "islink") else {
        return Ok(Value::Bool(Truth::False));
    };
    Ok(Value::bool(
        std::fs::symlink_metadata(p)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false),
    ))
}

pub fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    // POSIX keeps exactly two leading slashes.
    let initial = if p.starts_with("//") && !p.starts_with("///") {
        2
    } else if p.starts_with('/') {
        1
    } else {
        0
    };
    let mut comps: Vec<&str> = Vec::new();
    for c in p.split('/') {
        if c.is_empty() || c == "." {
            continue;
        }
        if c != ".." || (initial == 0 && comps.is_empty()) || comps.last() == Some(&"..") {
            comps.push(c);
        } else if !comps.is_empty() {
            comps.pop();
        }
    }
    let out = format!("{}{}", "/".repeat(initial), comps.join("/"));
    if out.is_empty() {
        ".".into()
    } else {
        out
    }
}

fn p_normpath(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let p = one_path(args, "normpath")?;
    Ok(Value::string(normpath(&p)))
}

fn abspath(vm: &mut Vm, p: &str) -> Res<String> {
    if p.starts_with('/') {
        return Ok(normpath(p));
    }
    let cwd = std::env::current_dir().map_err(|e| os_error(vm, &e, None, None))?;
    Ok(normpath(&join2(&cwd.display().to_string(), p)))
}

fn p_abspath(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let p = one_path(args, "abspath")?;
    Ok(Value::string(abspath(vm, &p)?))
}

fn p_relpath(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("relpath", args, 1, 2)?;
    let p = path_str(&args[0], "relpath")?;
    if p.is_empty() {
        return Err(Error::value_error("no path specified"));
    }
    let start = match opt_arg(args, kw, 1, "start") {
        Some(v) => path_str(v, "relpath")?,
        None => ".".into(),
    };
    let a = abspath(vm, &p)?;
    let b = abspath(vm, &start)?;
    let ap: Vec<&str> = a.split('/').filter(|s| !s.is_empty()).collect();
    let bp: Vec<&str> = b.split('/').filter(|s| !s.is_empty()).collect();
    let common = ap.iter().zip(bp.iter()).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<&str> = vec![".."; bp.len() - common];
    parts.extend(&ap[common..]);
    Ok(Value::string(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }))
}

fn p_expanduser(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let p = one_path(args, "expanduser")?;
    if p == "~" || p.starts_with("~/") {
        if let Ok(home) = std::env::var("HOME") {
            let home = if home.len() > 1 {
                home.trim_end_matches('/').to_string()
            } else {
                home
            };
            return Ok(Value::string(format!("{home}{}", &p[1..])));
        }
    }
    Ok(Value::string(p))
}

fn p_getsize(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let p = one_path(args, "getsize")?;
    let md = std::fs::metadata(&p).map_err(|e| os_error(vm, &e, Some(&args[0]), None))?;
    Ok(Value::Int(md.len() as i64))
}

fn p_getmtime(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    use std::os::unix::fs::MetadataExt;
    let p = one_path(args, "getmtime")?;
    let md = std::fs::metadata(&p).map_err(|e| os_error(vm, &e, Some(&args[0]), None))?;
    Ok(Value::float(
        md.mtime() as f64 + md.mtime_nsec() as f64 / 1e9,
    ))
}

fn p_isabs(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let p = one_path(args, "isabs")?;
    Ok(Value::bool(p.starts_with('/')))
}

fn p_commonprefix(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("commonprefix", args, 1, 1)?;
    let _ = kwarg(kw, "");
    let items = vm.iterate(&args[0])?;
    let mut strs = Vec::new();
    for i in &items {
        strs.push(path_str(i, "commonprefix")?);
    }
    let Some(first) = strs.first() else {
        return Ok(Value::str(""));
    };
    let mut prefix: Vec<char> = first.chars().collect();
    for s in &strs[1..] {
        let n = prefix
            .iter()
            .zip(s.chars())
            .take_while(|(a, b)| **a == *b)
            .count();
        prefix.truncate(n);
    }
    Ok(Value::string(prefix.into_iter().collect()))
}
