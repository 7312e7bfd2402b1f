//! The `io` module (StringIO, BytesIO), the built-in `open` and the
//! OSError details (errno, strerror, filename) shared with `os`.
//!
//! Files opened for reading are loaded whole and then read from memory;
//! write-only files stream through a buffered writer; `+` modes edit an
//! in-memory copy written back on flush and close.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::rc::Rc;

use super::stdlib_data::{int_arg, native_class, opt_arg};
use super::{add_attr, add_fn, add_method, arg_or_kw, check_args, kwarg};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    install_oserror(vm);
    let m = vm.new_module("io", None);
    let s = stream_class(vm, Kind::StringIO);
    m.set_str("StringIO", Value::Class(s));
    let b = stream_class(vm, Kind::BytesIO);
    m.set_str("BytesIO", Value::Class(b));
    for k in [Kind::Text, Kind::Reader, Kind::Writer, Kind::Random] {
        let c = stream_class(vm, k);
        m.set_str(k.name(), Value::Class(c));
    }
    let unsupported = unsupported_class(vm);
    m.set_str("UnsupportedOperation", Value::Class(unsupported));
    add_fn(vm, &m, "open", builtin_open);
    m.set_str("SEEK_SET", Value::Int(0));
    m.set_str("SEEK_CUR", Value::Int(1));
    m.set_str("SEEK_END", Value::Int(2));
    m.set_str("DEFAULT_BUFFER_SIZE", Value::Int(8192));
    m
}

/// Registers the built-in `open` and OSError's errno/strerror/filename
/// support; called from `builtins::install`.
pub fn install_open(vm: &mut Vm) {
    let b = vm.builtins.clone();
    add_fn(vm, &b, "open", builtin_open);
    install_oserror(vm);
}

/// Gives OSError its `[Errno N] msg: 'file'` str and errno attributes
/// (idempotent; also done when `io` or `os` is imported).
pub fn install_oserror(vm: &mut Vm) {
    let ose = vm.types.exc_named("OSError");
    add_method(vm, &ose, "__init__", oserror_init);
    // to_str only honours script-level __str__ on instances.
    let f = super::native("_oserror_str", oserror_str);
    let src = "def __str__(self):\n    return _s(self)\n";
    if let Ok(fs) = super::stdlib_data::con_functions(vm, src, &[("_s", f)], &["__str__"]) {
        for v in fs {
            add_attr(vm, &ose, "__str__", v);
        }
    }
    for n in ["errno", "strerror", "filename", "filename2"] {
        add_attr(vm, &ose, n, Value::None);
    }
}

fn unsupported_class(vm: &mut Vm) -> Rc<ClassObj> {
    let base = vm.types.exc_named("OSError");
    native_class(
        vm,
        "io.UnsupportedOperation",
        "io",
        "UnsupportedOperation",
        Some(base),
        Builtin::BaseException,
        |_, _| {},
    )
}

fn unsupported(vm: &mut Vm, what: &str) -> Error {
    let cls = unsupported_class(vm);
    Error::Raised(vm.new_exception(&cls, vec![Value::str(what)]))
}

// ---------------------------------------------------------------------
// OSError.

fn strerror(errno: i32, fallback: &str) -> String {
    match errno {
        1 => "Operation not permitted",
        2 => "No such file or directory",
        5 => "Input/output error",
        9 => "Bad file descriptor",
        13 => "Permission denied",
        17 => "File exists",
        18 => "Invalid cross-device link",
        20 => "Not a directory",
        21 => "Is a directory",
        22 => "Invalid argument",
        24 => "Too many open files",
        28 => "No space left on device",
        30 => "Read-only file system",
        36 => "File name too long",
        39 => "Directory not empty",
        11 => "Resource temporarily unavailable",
        32 => "Broken pipe",
        98 => "Address already in use",
        99 => "Cannot assign requested address",
        101 => "Network is unreachable",
        103 => "Software caused connection abort",
        104 => "Connection reset by peer",
        107 => "Transport endpoint is not connected",
        110 => "Connection timed out",
        111 => "Connection refused",
        113 => "No route to host",
        _ => {
            return fallback
                .split(" (os error")
                .next()
                .unwrap_or(fallback)
                .to_string()
        }
    }
    .to_string()
}

fn errno_class(vm: &mut Vm, errno: i32) -> Rc<ClassObj> {
    let name = match errno {
        1 | 13 => "PermissionError",
        2 => "FileNotFoundError",
        17 => "FileExistsError",
        20 => "NotADirectoryError",
        21 => "IsADirectoryError",
        11 => "BlockingIOError",
        32 => "BrokenPipeError",
        103 => "ConnectionAbortedError",
        104 => "ConnectionResetError",
        110 => "TimeoutError",
        111 => "ConnectionRefusedError",
        _ => "OSError",
    };
    vm.types.exc_named(name)
}

/// An OSError subclass instance for [e], as CPython raises it.
pub fn os_error(
    vm: &mut Vm,
    e: &std::io::Error,
    filename: Option<&Value>,
    filename2: Option<&Value>,
) -> Error {
    let errno = e.raw_os_error().unwrap_or(match e.kind() {
        std::io::ErrorKind::NotFound => 2,
        std::io::ErrorKind::PermissionDenied => 13,
        std::io::ErrorKind::AlreadyExists => 17,
        _ => 5,
    });
    let msg = strerror(errno, &e.to_string());
    os_error_from(vm, errno, &msg, filename, filename2)
}

pub fn os_error_from(
    vm: &mut Vm,
    errno: i32,
    msg: &str,
    filename: Option<&Value>,
    filename2: Option<&Value>,
) -> Error {
    let cls = errno_class(vm, errno);
    let mut args = vec![Value::Int(errno as i64), Value::str(msg)];
    if let Some(f) = filename {
        args.push(f.clone());
        if let Some(f2) = filename2 {
            args.push(Value::Int(0));
            args.push(f2.clone());
        }
    }
    let exc = vm.new_exception(&cls, args);
    if let Value::Instance(i) = &exc {
        let mut d = i.dict.borrow_mut();
        d.insert(vm.intern_static("errno"), Value::Int(errno as i64));
        d.insert(vm.intern_static("strerror"), Value::str(msg));
        d.insert(
            vm.intern_static("filename"),
            filename.cloned().unwrap_or(Value::None),
        );
        d.insert(
            vm.intern_static("filename2"),
            filename2.cloned().unwrap_or(Value::None),
        );
    }
    Error::Raised(exc)
}

fn oserror_init(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let this = &args[0];
    let a = &args[1..];
    let new_args = Value::tuple(a.to_vec());
    crate::vm::exc::with_exc_data(this, |d| *d.args.borrow_mut() = new_args);
    if (2..=5).contains(&a.len()) {
        let set = |vm: &mut Vm, n: &str, v: Value| -> Res<()> {
            let s = vm.intern(n);
            vm.setattr(this, &s, v)
        };
        set(vm, "errno", a[0].clone())?;
        set(vm, "strerror", a[1].clone())?;
        if let Some(f) = a.get(2) {
            set(vm, "filename", f.clone())?;
        }
        if let Some(f) = a.get(4) {
            set(vm, "filename2", f.clone())?;
        }
    }
    Ok(Value::None)
}

fn oserror_str(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let this = &args[0];
    let a = crate::vm::exc::with_exc_data(this, |d| d.args.borrow().clone()).unwrap_or(Value::None);
    let items = match &a {
        Value::Tuple(t) => t.items.to_vec(),
        _ => Vec::new(),
    };
    if (2..=5).contains(&items.len()) {
        let errno = vm.to_str(&items[0])?;
        let msg = vm.to_str(&items[1])?;
        let s = match (items.get(2), items.get(4)) {
            (Some(f), Some(f2)) if !f.is_none() => {
                format!("[Errno {errno}] {msg}: {} -> {}", vm.repr(f)?, vm.repr(f2)?)
            }
            (Some(f), _) if !f.is_none() => format!("[Errno {errno}] {msg}: {}", vm.repr(f)?),
            _ => format!("[Errno {errno}] {msg}"),
        };
        return Ok(Value::string(s));
    }
    Ok(Value::string(match items.len() {
        0 => String::new(),
        1 => vm.to_str(&items[0])?,
        _ => vm.repr(&a)?,
    }))
}

// ---------------------------------------------------------------------
// Streams.

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    StringIO,
    BytesIO,
    Text,
    Reader,
    Writer,
    Random,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::StringIO => "StringIO",
            Kind::BytesIO => "BytesIO",
            Kind::Text => "TextIOWrapper",
            Kind::Reader => "BufferedReader",
            Kind::Writer => "BufferedWriter",
            Kind::Random => "BufferedRandom",
        }
    }
}

enum Buf {
    Text(Vec<char>),
    Bin(Vec<u8>),
}

impl Buf {
    fn len(&self) -> usize {
        match self {
            Buf::Text(t) => t.len(),
            Buf::Bin(b) => b.len(),
        }
    }
}

pub struct Stream {
    cls: Rc<ClassObj>,
    kind: Kind,
    data: RefCell<Buf>,
    pos: Cell<usize>,
    closed: Cell<bool>,
    readable: bool,
    writable: bool,
    name: Value,
    mode: String,
    encoding: String,
    /// Write-only files: the open file; `written` counts its bytes.
    sink: RefCell<Option<std::io::BufWriter<std::fs::File>>>,
    written: Cell<usize>,
    /// `+` modes: where the buffer is written back.
    path: Option<String>,
    dirty: Cell<bool>,
    append: bool,
    /// Text files opened with newline=None translate \r\n on read.
    binary: bool,
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.flush_inner();
    }
}

impl NativeObject for Stream {
    fn type_name(&self) -> &str {
        self.kind.name()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn is_iterator(&self) -> bool {
        true
    }
    fn next(&self, _vm: &mut Vm) -> Res<Option<Value>> {
        self.check_open()?;
        let line = self.readline(-1)?;
        let empty = match &line {
            Value::Str(s) => s.as_str().is_empty(),
            Value::Bytes(b) => b.is_empty(),
            _ => true,
        };
        Ok(if empty { None } else { Some(line) })
    }
    fn repr(&self, vm: &mut Vm) -> Res<Option<String>> {
        Ok(match self.kind {
            Kind::StringIO | Kind::BytesIO => None,
            Kind::Text => Some(format!(
                "<_io.TextIOWrapper name={} mode={} encoding={}>",
                vm.repr(&self.name)?,
                crate::vm::repr::str_repr(&self.mode),
                crate::vm::repr::str_repr(&self.encoding)
            )),
            k => Some(format!("<_io.{} name={}>", k.name(), vm.repr(&self.name)?)),
        })
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "closed" => Some(Value::Bool(self.closed.get())),
            "name" if !matches!(self.kind, Kind::StringIO | Kind::BytesIO) => {
                Some(self.name.clone())
            }
            "mode" if !matches!(self.kind, Kind::StringIO | Kind::BytesIO) => {
                Some(Value::str(&self.mode))
            }
            "encoding" if self.kind == Kind::Text => Some(Value::str(&self.encoding)),
            "line_buffering" => Some(Value::Bool(false)),
            "newlines" => Some(Value::None),
            _ => None,
        })
    }
}

fn closed_error(memory: bool) -> Error {
    // StringIO/BytesIO word it without the final period.
    Error::value_error(if memory {
        "I/O operation on closed file"
    } else {
        "I/O operation on closed file."
    })
}

impl Stream {
    fn check_open(&self) -> Res<()> {
        if self.closed.get() {
            Err(closed_error(matches!(
                self.kind,
                Kind::StringIO | Kind::BytesIO
            )))
        } else {
            Ok(())
        }
    }

    fn flush_inner(&self) -> std::io::Result<()> {
        if let Some(w) = self.sink.borrow_mut().as_mut() {
            w.flush()?;
        }
        if self.dirty.get() {
            if let Some(p) = &self.path {
                let bytes = match &*self.data.borrow() {
                    Buf::Text(t) => t.iter().collect::<String>().into_bytes(),
                    Buf::Bin(b) => b.clone(),
                };
                std::fs::write(p, bytes)?;
            }
            self.dirty.set(false);
        }
        Ok(())
    }

    fn read(&self, n: i64) -> Res<Value> {
        let data = self.data.borrow();
        let pos = self.pos.get().min(data.len());
        let end = if n < 0 {
            data.len()
        } else {
            (pos + n as usize).min(data.len())
        };
        if self.pos.get() < data.len() {
            self.pos.set(end);
        }
        Ok(match &*data {
            Buf::Text(t) => Value::string(t[pos..end].iter().collect()),
            Buf::Bin(b) => Value::bytes(b[pos..end].to_vec()),
        })
    }

    fn readline(&self, limit: i64) -> Res<Value> {
        let data = self.data.borrow();
        let pos = self.pos.get().min(data.len());
        let max = if limit < 0 {
            data.len()
        } else {
            (pos + limit as usize).min(data.len())
        };
        let end = match &*data {
            Buf::Text(t) => t[pos..max]
                .iter()
                .position(|&c| c == '\n')
                .map(|i| pos + i + 1)
                .unwrap_or(max),
            Buf::Bin(b) => b[pos..max]
                .iter()
                .position(|&c| c == b'\n')
                .map(|i| pos + i + 1)
                .unwrap_or(max),
        };
        if self.pos.get() < data.len() {
            self.pos.set(end);
        }
        Ok(match &*data {
            Buf::Text(t) => Value::string(t[pos..end].iter().collect()),
            Buf::Bin(b) => Value::bytes(b[pos..end].to_vec()),
        })
    }

    fn write_value(&self, vm: &mut Vm, v: &Value) -> Res<usize> {
        self.check_open()?;
        if !self.writable {
            return Err(unsupported(vm, "not writable"));
        }
        let is_text = !self.binary;
        if is_text {
            let s = match v {
                Value::Str(s) => s.clone(),
                other => match crate::vm::ops::payload_of(other) {
                    Some(Value::Str(s)) => s,
                    _ if self.kind == Kind::StringIO => {
                        return Err(Error::type_error(format!(
                            "string argument expected, got '{}'",
                            other.type_name()
                        )))
                    }
                    _ => {
                        return Err(Error::type_error(format!(
                            "write() argument must be str, not {}",
                            other.type_name()
                        )))
                    }
                },
            };
            if let Some(w) = self.sink.borrow_mut().as_mut() {
                w.write_all(s.as_str().as_bytes())
                    .map_err(|e| Error::new(ExcType::OSError, e.to_string()))?;
                self.written.set(self.written.get() + s.as_str().len());
                return Ok(s.char_len());
            }
            let chars: Vec<char> = s.as_str().chars().collect();
            self.put(Buf::Text(chars));
            Ok(s.char_len())
        } else {
            let b = match v {
                Value::Bytes(b) => b.to_vec(),
                Value::ByteArray(b) => b.borrow().clone(),
                other => {
                    return Err(Error::type_error(format!(
                        "a bytes-like object is required, not '{}'",
                        other.type_name()
                    )))
                }
            };
            let n = b.len();
            if let Some(w) = self.sink.borrow_mut().as_mut() {
                w.write_all(&b)
                    .map_err(|e| Error::new(ExcType::OSError, e.to_string()))?;
                self.written.set(self.written.get() + n);
                return Ok(n);
            }
            self.put(Buf::Bin(b));
            Ok(n)
        }
    }

    /// Writes [new] at the position (the end for append mode).
    fn put(&self, new: Buf) {
        let mut data = self.data.borrow_mut();
        let pos = if self.append {
            data.len()
        } else {
            self.pos.get()
        };
        let n;
        match (&mut *data, new) {
            (Buf::Text(t), Buf::Text(s)) => {
                if pos > t.len() {
                    t.resize(pos, '\0');
                }
                n = s.len();
                let end = (pos + n).min(t.len());
                t.splice(pos..end, s);
            }
            (Buf::Bin(t), Buf::Bin(s)) => {
                if pos > t.len() {
                    t.resize(pos, 0);
                }
                n = s.len();
                let end = (pos + n).min(t.len());
                t.splice(pos..end, s);
            }
            _ => return,
        }
        self.pos.set(pos + n);
        self.dirty.set(true);
    }
}

fn stream_class(vm: &mut Vm, kind: Kind) -> Rc<ClassObj> {
    let key = match kind {
        Kind::StringIO => "io.StringIO",
        Kind::BytesIO => "io.BytesIO",
        Kind::Text => "io.TextIOWrapper",
        Kind::Reader => "io.BufferedReader",
        Kind::Writer => "io.BufferedWriter",
        Kind::Random => "io.BufferedRandom",
    };
    let setup: fn(&mut Vm, &Rc<ClassObj>) = match kind {
        Kind::StringIO => |vm, c| {
            add_method(vm, c, "__new__", stringio_new);
            stream_methods(vm, c);
        },
        Kind::BytesIO => |vm, c| {
            add_method(vm, c, "__new__", bytesio_new);
            stream_methods(vm, c);
        },
        _ => stream_methods,
    };
    native_class(vm, key, "_io", kind.name(), None, Builtin::Object, setup)
}

fn stream_methods(vm: &mut Vm, c: &Rc<ClassObj>) {
    let methods: &[(&'static str, NativeFnPtr)] = &[
        ("read", s_read),
        ("read1", s_read),
        ("readline", s_readline),
        ("readlines", s_readlines),
        ("write", s_write),
        ("writelines", s_writelines),
        ("getvalue", s_getvalue),
        ("seek", s_seek),
        ("tell", s_tell),
        ("truncate", s_truncate),
        ("close", s_close),
        ("flush", s_flush),
        ("readable", s_readable),
        ("writable", s_writable),
        ("seekable", s_seekable),
        ("isatty", s_false),
        ("fileno", s_fileno),
        ("__enter__", s_enter),
        ("__exit__", s_exit),
        ("__iter__", s_enter),
        ("__next__", s_next),
    ];
    for (n, f) in methods {
        add_method(vm, c, n, *f);
    }
}

fn new_stream(vm: &mut Vm, kind: Kind, data: Buf) -> Stream {
    let cls = stream_class(vm, kind);
    Stream {
        cls,
        kind,
        binary: matches!(data, Buf::Bin(_)),
        data: RefCell::new(data),
        pos: Cell::new(0),
        closed: Cell::new(false),
        readable: true,
        writable: true,
        name: Value::None,
        mode: String::new(),
        encoding: "UTF-8".into(),
        sink: RefCell::new(None),
        written: Cell::new(0),
        path: None,
        dirty: Cell::new(false),
        append: false,
    }
}

fn stringio_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let init = match opt_arg(&args[1..], kw, 0, "initial_value") {
        Some(Value::Str(s)) => s.as_str().chars().collect(),
        Some(other) => {
            return Err(Error::type_error(format!(
                "initial_value must be str or None, not {}",
                other.type_name()
            )))
        }
        None => Vec::new(),
    };
    Ok(Value::object(new_stream(
        vm,
        Kind::StringIO,
        Buf::Text(init),
    )))
}

fn bytesio_new(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let init = match opt_arg(&args[1..], kw, 0, "initial_bytes") {
        Some(v) => vm.bytes_of(v)?.to_vec(),
        None => Vec::new(),
    };
    Ok(Value::object(new_stream(vm, Kind::BytesIO, Buf::Bin(init))))
}

fn this(v: &Value) -> Res<&Stream> {
    downcast::<Stream>(v).ok_or_else(|| Error::type_error("descriptor requires a stream object"))
}

fn readable(vm: &mut Vm, s: &Stream) -> Res<()> {
    s.check_open()?;
    if !s.readable {
        return Err(unsupported(vm, "not readable"));
    }
    Ok(())
}

fn size_arg(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], name: &str) -> Res<i64> {
    Ok(int_arg(vm, args, kw, 1, name)?.unwrap_or(-1))
}

fn s_read(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("read", args, 1, 2)?;
    let n = size_arg(vm, args, kw, "size")?;
    let s = this(&args[0])?;
    readable(vm, s)?;
    s.read(n)
}

fn s_readline(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("readline", args, 1, 2)?;
    let n = size_arg(vm, args, kw, "size")?;
    let s = this(&args[0])?;
    readable(vm, s)?;
    s.readline(n)
}

fn s_readlines(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("readlines", args, 1, 2)?;
    let hint = size_arg(vm, args, kw, "hint")?;
    let s = this(&args[0])?;
    readable(vm, s)?;
    let mut out = Vec::new();
    let mut total = 0usize;
    loop {
        let line = s.readline(-1)?;
        let n = match &line {
            Value::Str(t) => t.char_len(),
            Value::Bytes(b) => b.len(),
            _ => 0,
        };
        if n == 0 {
            break;
        }
        out.push(line);
        total += n;
        if hint > 0 && total >= hint as usize {
            break;
        }
    }
    Ok(Value::list(out))
}

fn s_write(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("write", args, 2, 2)?;
    let s = this(&args[0])?;
    let n = s.write_value(vm, &args[1])?;
    Ok(Value::Int(n as i64))
}

fn s_writelines(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("writelines", args, 2, 2)?;
    let lines = vm.iterate(&args[1])?;
    let s = this(&args[0])?;
    for l in &lines {
        s.write_value(vm, l)?;
    }
    Ok(Value::None)
}

fn s_getvalue(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("getvalue", args, 1, 1)?;
    let s = this(&args[0])?;
    if !matches!(s.kind, Kind::StringIO | Kind::BytesIO) {
        return Err(Error::attribute_error(format!(
            "'_io.{}' object has no attribute 'getvalue'",
            s.kind.name()
        )));
    }
    s.check_open()?;
    let data = s.data.borrow();
    Ok(match &*data {
        Buf::Text(t) => Value::string(t.iter().collect()),
        Buf::Bin(b) => Value::bytes(b.clone()),
    })
}

fn s_seek(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("seek", args, 2, 3)?;
    let off = vm.index_value(&args[1])?;
    let whence = int_arg(vm, args, kw, 2, "whence")?.unwrap_or(0);
    let s = this(&args[0])?;
    s.check_open()?;
    if s.sink.borrow().is_some() {
        return Err(unsupported(vm, "seek on a write-only file"));
    }
    let len = s.data.borrow().len() as i64;
    let text = !s.binary;
    let new = match whence {
        0 => {
            if off < 0 {
                return Err(Error::value_error(format!("Negative seek position {off}")));
            }
            off
        }
        1 | 2 if text && off != 0 => {
            return Err(if s.kind == Kind::StringIO {
                Error::new(ExcType::OSError, "Can't do nonzero cur-relative seeks")
            } else {
                unsupported(vm, "can't do nonzero cur-relative seeks")
            })
        }
        1 => (s.pos.get() as i64 + off).max(0),
        2 => (len + off).max(0),
        _ => {
            return Err(Error::value_error(format!(
                "Invalid whence ({whence}, should be 0, 1 or 2)"
            )))
        }
    };
    s.pos.set(new as usize);
    Ok(Value::Int(new))
}

fn s_tell(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("tell", args, 1, 1)?;
    let s = this(&args[0])?;
    s.check_open()?;
    if s.sink.borrow().is_some() {
        return Ok(Value::Int(s.written.get() as i64));
    }
    Ok(Value::Int(s.pos.get() as i64))
}

fn s_truncate(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("truncate", args, 1, 2)?;
    let size = int_arg(vm, args, kw, 1, "size")?;
    let s = this(&args[0])?;
    s.check_open()?;
    if s.sink.borrow().is_some() {
        return Err(unsupported(vm, "truncate on a write-only file"));
    }
    let n = size.map(|n| n.max(0) as usize).unwrap_or(s.pos.get());
    let mut data = s.data.borrow_mut();
    match &mut *data {
        Buf::Text(t) => t.truncate(n),
        Buf::Bin(b) => b.truncate(n),
    }
    s.dirty.set(true);
    Ok(Value::Int(n as i64))
}

fn s_close(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    if !s.closed.get() {
        let r = s.flush_inner();
        s.sink.borrow_mut().take();
        s.closed.set(true);
        if matches!(s.kind, Kind::StringIO | Kind::BytesIO) {
            let empty = if s.binary {
                Buf::Bin(Vec::new())
            } else {
                Buf::Text(Vec::new())
            };
            *s.data.borrow_mut() = empty;
        }
        r.map_err(|e| Error::new(ExcType::OSError, e.to_string()))?;
    }
    Ok(Value::None)
}

fn s_flush(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    s.check_open()?;
    s.flush_inner()
        .map_err(|e| Error::new(ExcType::OSError, e.to_string()))?;
    Ok(Value::None)
}

fn s_readable(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    s.check_open()?;
    Ok(Value::Bool(s.readable))
}

fn s_writable(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    s.check_open()?;
    Ok(Value::Bool(s.writable))
}

fn s_seekable(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    s.check_open()?;
    Ok(Value::Bool(s.sink.borrow().is_none()))
}

fn s_false(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this(&args[0])?.check_open()?;
    Ok(Value::Bool(false))
}

fn s_fileno(vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Err(unsupported(vm, "fileno"))
}

fn s_enter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this(&args[0])?.check_open()?;
    Ok(args[0].clone())
}

fn s_exit(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    s_close(vm, &args[..1], kw)?;
    Ok(Value::Bool(false))
}

fn s_next(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    match s.next(vm)? {
        Some(v) => Ok(v),
        None => Err(Error::stop_iteration()),
    }
}

// ---------------------------------------------------------------------
// open().

fn decode_text(vm: &mut Vm, bytes: Vec<u8>, encoding: &str, translate: bool) -> Res<Vec<char>> {
    let enc = encoding.to_ascii_lowercase().replace('_', "-");
    let text: String = match enc.as_str() {
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" => {
            bytes.iter().map(|&b| b as char).collect()
        }
        _ => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                let pos = e.utf8_error().valid_up_to();
                let b = e.as_bytes().get(pos).copied().unwrap_or(0);
                let why = if e.utf8_error().error_len().is_none() {
                    "unexpected end of data"
                } else if (0x80..0xc0).contains(&b) {
                    "invalid start byte"
                } else {
                    "invalid continuation byte"
                };
                let _ = vm;
                return Err(Error::new(
                    ExcType::UnicodeDecodeError,
                    format!("'utf-8' codec can't decode byte {b:#04x} in position {pos}: {why}"),
                ));
            }
        },
    };
    let text = if enc == "utf-8-sig" {
        text.strip_prefix('\u{feff}')
            .map(|s| s.to_string())
            .unwrap_or(text)
    } else {
        text
    };
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        if translate && c == '\r' {
            if it.peek() == Some(&'\n') {
                it.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

pub fn builtin_open(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("open", args, 1, 8)?;
    let Some(file) = arg_or_kw(args, kw, 0, "file").cloned() else {
        return Err(Error::type_error(
            "open() missing required argument 'file' (pos 1)",
        ));
    };
    let path = match &file {
        Value::Str(s) => s.as_str().to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => {
            return Err(Error::type_error(format!(
                "expected str, bytes or os.PathLike object, not {}",
                other.type_name()
            )))
        }
    };
    let mode = match arg_or_kw(args, kw, 1, "mode") {
        Some(Value::Str(s)) => s.as_str().to_string(),
        None => "r".to_string(),
        Some(other) => {
            return Err(Error::type_error(format!(
                "open() argument 'mode' must be str, not {}",
                other.type_name()
            )))
        }
    };
    let encoding = match opt_arg(args, kw, 3, "encoding") {
        Some(Value::Str(s)) => Some(s.as_str().to_string()),
        Some(other) => {
            return Err(Error::type_error(format!(
                "open() argument 'encoding' must be str or None, not {}",
                other.type_name()
            )))
        }
        None => None,
    };
    let newline = match opt_arg(args, kw, 5, "newline") {
        Some(Value::Str(s)) => Some(s.as_str().to_string()),
        _ => None,
    };
    let _ = kwarg(kw, "errors");
    // Validate the mode as CPython does.
    let mut counts = [0usize; 7];
    for c in mode.chars() {
        let i = match c {
            'r' => 0,
            'w' => 1,
            'a' => 2,
            'x' => 3,
            '+' => 4,
            'b' => 5,
            't' => 6,
            _ => return Err(Error::value_error(format!("invalid mode: '{mode}'"))),
        };
        counts[i] += 1;
    }
    let creating = counts[0] + counts[1] + counts[2] + counts[3];
    if counts.iter().any(|&n| n > 1) || creating != 1 || (counts[5] == 1 && counts[6] == 1) {
        if counts[5] == 1 && counts[6] == 1 {
            return Err(Error::value_error(
                "can't have text and binary mode at once",
            ));
        }
        if creating != 1 {
            return Err(Error::value_error(
                "must have exactly one of create/read/write/append mode",
            ));
        }
        return Err(Error::value_error(format!("invalid mode: '{mode}'")));
    }
    let binary = counts[5] == 1;
    if binary && encoding.is_some() {
        return Err(Error::value_error(
            "binary mode doesn't take an encoding argument",
        ));
    }
    let plus = counts[4] == 1;
    let (r, w, a, x) = (
        counts[0] == 1,
        counts[1] == 1,
        counts[2] == 1,
        counts[3] == 1,
    );
    let encoding_name = encoding.clone().unwrap_or_else(|| "UTF-8".to_string());
    let fail = |vm: &mut Vm, e: std::io::Error| os_error(vm, &e, Some(&file), None);
    if std::path::Path::new(&path).is_dir() {
        return Err(os_error_from(vm, 21, "Is a directory", Some(&file), None));
    }
    let kind = if !binary {
        Kind::Text
    } else if plus {
        Kind::Random
    } else if r {
        Kind::Reader
    } else {
        Kind::Writer
    };
    let mut stream = new_stream(
        vm,
        kind,
        if binary {
            Buf::Bin(Vec::new())
        } else {
            Buf::Text(Vec::new())
        },
    );
    stream.binary = binary;
    stream.name = file.clone();
    stream.mode = mode.clone();
    stream.encoding = encoding_name.clone();
    stream.readable = r || plus;
    stream.writable = w || a || x || plus;
    let translate = !binary && newline.is_none();
    let load = |vm: &mut Vm, bytes: Vec<u8>| -> Res<Buf> {
        Ok(if binary {
            Buf::Bin(bytes)
        } else {
            Buf::Text(decode_text(vm, bytes, &encoding_name, translate)?)
        })
    };
    if r {
        let bytes = std::fs::read(&path).map_err(|e| fail(vm, e))?;
        *stream.data.borrow_mut() = load(vm, bytes)?;
        if plus {
            stream.path = Some(path);
        }
    } else if !plus {
        let mut oo = std::fs::OpenOptions::new();
        if a {
            oo.append(true).create(true);
        } else if x {
            oo.write(true).create_new(true);
        } else {
            oo.write(true).create(true).truncate(true);
        }
        let f = oo.open(&path).map_err(|e| fail(vm, e))?;
        let start = if a {
            f.metadata().map(|m| m.len() as usize).unwrap_or(0)
        } else {
            0
        };
        stream.written.set(start);
        *stream.sink.borrow_mut() = Some(std::io::BufWriter::new(f));
    } else {
        // w+, a+, x+: create as the mode says, then edit in memory.
        let mut oo = std::fs::OpenOptions::new();
        if a {
            oo.append(true).create(true);
        } else if x {
            oo.write(true).create_new(true);
        } else {
            oo.write(true).create(true).truncate(true);
        }
        oo.open(&path).map_err(|e| fail(vm, e))?;
        if a {
            let bytes = std::fs::read(&path).map_err(|e| fail(vm, e))?;
            let buf = load(vm, bytes)?;
            stream.pos.set(buf.len());
            *stream.data.borrow_mut() = buf;
            stream.append = true;
        }
        stream.path = Some(path);
    }
    Ok(Value::object(stream))
}
