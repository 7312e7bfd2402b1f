//! The `io` module (StringIO, BytesIO), the built-ins `open` and
//! `input`, and the OSError details (errno, strerror, filename) shared
//! with `os`.
//!
//! Files and `sys.stdin` are buffered streams over a descriptor
//! (runtime::io::file): plain `read()`/`write()` block as in Python,
//! and `read@()`, `readline@()`, `write@()`... hand a read or write that
//! would block to the worker pool, so a slow file never stalls other
//! micro-threads. StringIO and BytesIO live in memory.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use super::bytes_methods::decode_bytes;
use super::stdlib_data::{int_arg, native_class, opt_arg};
use super::str_methods::{encode_str, lookup_codec, unknown_handler, Codec};
use super::{add_attr, add_method, arg_or_kw, check_args};
use crate::runtime::io::file::{self, Cfg, CoreErr, Enc, Handle, Newline, Op, Out, Shared};
use crate::runtime::io::wake_error;
use crate::runtime::Wake;
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
    m.set_str("open", dual("open", builtin_open));
    m.set_str("SEEK_SET", Value::Int(0));
    m.set_str("SEEK_CUR", Value::Int(1));
    m.set_str("SEEK_END", Value::Int(2));
    m.set_str("DEFAULT_BUFFER_SIZE", Value::Int(8192));
    m
}

/// Registers the built-ins `open` and `input` (both may be called with
/// `@`) and OSError's errno/strerror/filename support; called from
/// `builtins::install`.
pub fn install_open(vm: &mut Vm) {
    let b = vm.builtins.clone();
    b.set_str("open", dual("open", builtin_open));
    b.set_str("input", dual("input", builtin_input));
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
    /// StringIO / BytesIO: the contents and the position in them.
    data: RefCell<Buf>,
    pos: Cell<usize>,
    closed: Cell<bool>,
    readable: bool,
    writable: bool,
    name: Value,
    mode: String,
    encoding: String,
    binary: bool,
    /// Files and stdin: the buffered descriptor.
    file: Option<FileIo>,
}

/// A stream over a descriptor: its state is shared with the worker
/// threads that do its blocking `@` operations (runtime::io::file).
struct FileIo {
    shared: Arc<Shared>,
    cfg: Cfg,
    /// False for stdin: closing one `sys.stdin` leaves the process's
    /// standard input to the others.
    owned: bool,
    seekable: bool,
    tty: bool,
    fd: i32,
}

impl Drop for FileIo {
    fn drop(&mut self) {
        if self.owned {
            let _ = self.shared.close();
        }
    }
}

impl NativeObject for Stream {
    fn type_name(&self) -> &str {
        self.kind.name()
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn is_iterator(&self) -> bool {
        true
    }
    fn next(&self, vm: &mut Vm) -> Res<Option<Value>> {
        // `for@ line in f` reads with readline@().
        let at = take_at(vm);
        self.check_open()?;
        let line = match &self.file {
            Some(f) => {
                if !self.readable {
                    return Err(unsupported(vm, "not readable"));
                }
                let cfg = f.cfg;
                let r = file_op(vm, at, None, f, "next", Op::Line(None), move |vm, out| {
                    let v = decode_out(vm, &cfg, out)?;
                    if is_empty(&v) {
                        Err(Error::stop_iteration())
                    } else {
                        Ok(v)
                    }
                });
                match r {
                    Err(e) if e.is_new(ExcType::StopIteration) => return Ok(None),
                    r => r?,
                }
            }
            None => {
                if at {
                    begin_at(vm, "next")?;
                }
                self.readline(-1)?
            }
        };
        Ok(if is_empty(&line) { None } else { Some(line) })
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
            "closed" => Some(Value::bool(self.closed.get())),
            "name" if !matches!(self.kind, Kind::StringIO | Kind::BytesIO) => {
                Some(self.name.clone())
            }
            "mode" if !matches!(self.kind, Kind::StringIO | Kind::BytesIO) => {
                Some(Value::str(&self.mode))
            }
            "encoding" if self.kind == Kind::Text => Some(Value::str(&self.encoding)),
            "errors" if self.kind == Kind::Text => Some(Value::str(
                self.file.as_ref().map_or("strict", |f| f.cfg.errors),
            )),
            "line_buffering" => Some(Value::Bool(Truth::False)),
            "newlines" => Some(Value::None),
            _ => None,
        })
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Str(s) => s.as_str().is_empty(),
        Value::Bytes(b) => b.is_empty(),
        _ => true,
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

    /// StringIO / BytesIO `write`.
    fn write_mem(&self, v: &Value) -> Res<usize> {
        if !self.binary {
            let s = text_arg(self.kind, v)?;
            let chars: Vec<char> = s.as_str().chars().collect();
            self.put(Buf::Text(chars));
            Ok(s.char_len())
        } else {
            let b = bytes_arg(v)?;
            let n = b.len();
            self.put(Buf::Bin(b));
            Ok(n)
        }
    }

    /// Writes [new] at the position.
    fn put(&self, new: Buf) {
        let mut data = self.data.borrow_mut();
        let pos = self.pos.get();
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
    }
}

/// The str a text stream's `write` takes.
fn text_arg(kind: Kind, v: &Value) -> Res<Rc<StrObj>> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        other => match crate::vm::ops::payload_of(other) {
            Some(Value::Str(s)) => Ok(s),
            _ if kind == Kind::StringIO => Err(Error::type_error(format!(
                "string argument expected, got '{}'",
                other.type_name()
            ))),
            _ => Err(Error::type_error(format!(
                "write() argument must be str, not {}",
                other.type_name()
            ))),
        },
    }
}

/// The bytes a binary stream's `write` takes.
fn bytes_arg(v: &Value) -> Res<Vec<u8>> {
    match v {
        Value::Bytes(b) => Ok(b.to_vec()),
        Value::ByteArray(b) => Ok(b.borrow().clone()),
        other => Err(Error::type_error(format!(
            "a bytes-like object is required, not '{}'",
            other.type_name()
        ))),
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

/// A native that works atomically and, called as `f@(...)`, may switch
/// threads while it waits (NativeKind::Dual).
pub fn dual(name: &'static str, func: NativeFnPtr) -> Value {
    Value::Native(Rc::new(NativeFn {
        name,
        func,
        data: None,
        kind: NativeKind::Dual,
    }))
}

fn stream_methods(vm: &mut Vm, c: &Rc<ClassObj>) {
    // Dual: `f.read@()` hands a slow read to a worker thread.
    let dual_methods: &[(&'static str, NativeFnPtr)] = &[
        ("read", s_read),
        ("read1", s_read1),
        ("readline", s_readline),
        ("readlines", s_readlines),
        ("write", s_write),
        ("writelines", s_writelines),
        ("flush", s_flush),
        ("close", s_close),
    ];
    for (n, f) in dual_methods {
        add_attr(vm, c, n, dual(n, *f));
    }
    let methods: &[(&'static str, NativeFnPtr)] = &[
        ("getvalue", s_getvalue),
        ("seek", s_seek),
        ("tell", s_tell),
        ("truncate", s_truncate),
        ("readable", s_readable),
        ("writable", s_writable),
        ("seekable", s_seekable),
        ("isatty", s_isatty),
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
        file: None,
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

/// `sys.stdin`: a text stream over the process's standard input.
pub fn stdin_stream(vm: &mut Vm) -> Value {
    use std::io::IsTerminal;
    let mut s = new_stream(vm, Kind::Text, Buf::Text(Vec::new()));
    s.name = Value::str("<stdin>");
    s.mode = "r".into();
    s.encoding = "utf-8".into();
    s.writable = false;
    s.file = Some(FileIo {
        shared: file::stdin_shared(),
        cfg: file::stdin_cfg(),
        owned: false,
        seekable: false,
        tty: std::io::stdin().is_terminal(),
        fd: 0,
    });
    Value::object(s)
}

/// A thread waiting for its turn on a file was interrupted: its
/// operation is dropped (called by runtime::io::cancel_wait).
pub fn cancel_wait(obj: &Value, tid: crate::runtime::Tid) {
    if let Some(f) = downcast::<Stream>(obj).and_then(|s| s.file.as_ref()) {
        f.shared.cancel(tid);
    }
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

/// A size argument as a count (None: no limit).
fn count(n: i64) -> Option<usize> {
    usize::try_from(n).ok()
}

/// Takes the `@` flag of the running call (a Dual native called as
/// `m@()` sees it set). Taken first, so nothing the method calls back
/// into sees it.
fn take_at(vm: &mut Vm) -> bool {
    std::mem::take(&mut vm.switch_ctx)
}

/// The switch point of a `@` call (atomicity checks, a pending
/// interruption), also when it then completes at once.
fn begin_at(vm: &mut Vm, name: &str) -> Res<()> {
    vm.switch_ctx = true;
    vm.begin_switch(name)
}

/// Runs [op] on a file: in place for a plain call, through the worker
/// pool when a `@` call would block. [finish] builds the result.
fn file_op(
    vm: &mut Vm,
    at: bool,
    obj: Option<Value>,
    f: &FileIo,
    name: &'static str,
    op: Op,
    finish: impl FnOnce(&mut Vm, Out) -> Res<Value> + Send + 'static,
) -> Res<Value> {
    if !f.owned {
        // Reading stdin: show the output written so far (a prompt).
        vm.flush_out();
    }
    if at {
        begin_at(vm, name)?;
        return file::start(vm, &f.shared, name, obj, op, Box::new(finish));
    }
    let out = file::run_atomic(vm, &f.shared, name, |c| c.perform(&op))?;
    finish(vm, out)
}

/// Decodes what a file read returned.
fn decode_out(vm: &mut Vm, cfg: &Cfg, out: Out) -> Res<Value> {
    match out {
        Out::Bytes(b) => decode(vm, cfg, b),
        Out::Lines(ls) => {
            let mut v = Vec::with_capacity(ls.len());
            for l in ls {
                v.push(decode(vm, cfg, l)?);
            }
            Ok(Value::list(v))
        }
        Out::Done => Ok(Value::None),
    }
}

fn decode(vm: &mut Vm, cfg: &Cfg, b: Vec<u8>) -> Res<Value> {
    if !cfg.text {
        return Ok(Value::bytes(b));
    }
    let codec = cfg.enc.codec();
    let s = if codec != Codec::Latin1 && cfg.errors == "strict" {
        // Checked as it was read.
        match String::from_utf8(b) {
            Ok(s) => s,
            Err(e) => {
                let b = e.into_bytes();
                let obj = Value::bytes(b.clone());
                decode_bytes(vm, &b, codec, "strict", &obj)?
            }
        }
    } else {
        decode_bytes(vm, &b, codec, cfg.errors, &Value::None)?
    };
    let s = if cfg.newline == Newline::Universal && s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s
    };
    Ok(Value::string(s))
}

/// Encodes what a text file's `write` got, translating \n as `newline`
/// asks.
fn encode(vm: &mut Vm, cfg: &Cfg, s: &Rc<StrObj>) -> Res<Vec<u8>> {
    let errors = match cfg.errors {
        "surrogateescape" | "surrogatepass" => "strict",
        e => e,
    };
    let nl = match cfg.newline {
        Newline::Cr => Some("\r"),
        Newline::CrLf => Some("\r\n"),
        _ => None,
    };
    match nl {
        Some(nl) if s.as_str().contains('\n') => {
            let t = Rc::new(StrObj::new(s.as_str().replace('\n', nl)));
            encode_str(vm, &t, cfg.enc.codec(), errors)
        }
        _ => encode_str(vm, s, cfg.enc.codec(), errors),
    }
}

fn s_read(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    sized_read(vm, args, kw, "read", Op::Read, Stream::read)
}

fn s_read1(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    sized_read(vm, args, kw, "read1", Op::Read1, Stream::read)
}

fn s_readline(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    sized_read(vm, args, kw, "readline", Op::Line, Stream::readline)
}

/// `read`, `read1` and `readline` (plain or with `@`) taking an optional
/// size: a file runs [op] (on a worker when called with `@`); an
/// in-memory stream answers with [in_memory] at once.
fn sized_read(
    vm: &mut Vm,
    args: &[Value],
    kw: &[(Sym, Value)],
    name: &'static str,
    op: fn(Option<usize>) -> Op,
    in_memory: fn(&Stream, i64) -> Res<Value>,
) -> Res<Value> {
    let at = take_at(vm);
    check_args(name, args, 1, 2)?;
    let n = size_arg(vm, args, kw, "size")?;
    let s = this(&args[0])?;
    readable(vm, s)?;
    let Some(f) = &s.file else {
        if at {
            begin_at(vm, name)?;
        }
        return in_memory(s, n);
    };
    let cfg = f.cfg;
    let obj = Some(args[0].clone());
    file_op(vm, at, obj, f, name, op(count(n)), move |vm, out| {
        decode_out(vm, &cfg, out)
    })
}

fn s_readlines(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let at = take_at(vm);
    check_args("readlines", args, 1, 2)?;
    let hint = size_arg(vm, args, kw, "hint")?;
    let s = this(&args[0])?;
    readable(vm, s)?;
    if let Some(f) = &s.file {
        let cfg = f.cfg;
        let hint = count(hint).filter(|&h| h > 0);
        let obj = Some(args[0].clone());
        return file_op(
            vm,
            at,
            obj,
            f,
            "readlines",
            Op::Lines(hint),
            move |vm, out| decode_out(vm, &cfg, out),
        );
    }
    if at {
        begin_at(vm, "readlines")?;
    }
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
        // StringIO stops once the total exceeds the hint, BytesIO once it
        // reaches it.
        let full = if s.binary {
            total >= hint as usize
        } else {
            total > hint as usize
        };
        if hint > 0 && full {
            break;
        }
    }
    Ok(Value::list(out))
}

/// The bytes a file's `write` sends and the count it returns.
fn file_bytes(vm: &mut Vm, s: &Stream, f: &FileIo, v: &Value) -> Res<(Vec<u8>, usize)> {
    if f.cfg.text {
        let t = text_arg(s.kind, v)?;
        Ok((encode(vm, &f.cfg, &t)?, t.char_len()))
    } else {
        let b = bytes_arg(v)?;
        let n = b.len();
        Ok((b, n))
    }
}

fn writable(vm: &mut Vm, s: &Stream) -> Res<()> {
    s.check_open()?;
    if !s.writable {
        return Err(unsupported(vm, "not writable"));
    }
    Ok(())
}

fn s_write(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let at = take_at(vm);
    check_args("write", args, 2, 2)?;
    let s = this(&args[0])?;
    writable(vm, s)?;
    let Some(f) = &s.file else {
        if at {
            begin_at(vm, "write")?;
        }
        return Ok(Value::Int(s.write_mem(&args[1])? as i64));
    };
    let (bytes, n) = file_bytes(vm, s, f, &args[1])?;
    let obj = Some(args[0].clone());
    file_op(vm, at, obj, f, "write", Op::Write(bytes), move |_, _| {
        Ok(Value::Int(n as i64))
    })
}

fn s_writelines(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let at = take_at(vm);
    check_args("writelines", args, 2, 2)?;
    this(&args[0])?.check_open()?;
    let lines = vm.iterate(&args[1])?;
    let s = this(&args[0])?;
    writable(vm, s)?;
    let Some(f) = &s.file else {
        if at {
            begin_at(vm, "writelines")?;
        }
        for l in &lines {
            s.write_mem(l)?;
        }
        return Ok(Value::None);
    };
    let mut all = Vec::new();
    for l in &lines {
        all.extend(file_bytes(vm, s, f, l)?.0);
    }
    let obj = Some(args[0].clone());
    file_op(vm, at, obj, f, "writelines", Op::Write(all), |_, _| {
        Ok(Value::None)
    })
}

fn s_flush(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let at = take_at(vm);
    let s = this(&args[0])?;
    s.check_open()?;
    match &s.file {
        Some(f) if f.owned => {
            let obj = Some(args[0].clone());
            file_op(vm, at, obj, f, "flush", Op::Flush, |_, _| Ok(Value::None))
        }
        _ => {
            if at {
                begin_at(vm, "flush")?;
            }
            Ok(Value::None)
        }
    }
}

fn s_close(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let at = take_at(vm);
    let s = this(&args[0])?;
    if s.closed.get() {
        return Ok(Value::None);
    }
    if at {
        begin_at(vm, "close")?;
    }
    s.closed.set(true);
    match &s.file {
        Some(f) if f.owned && at => {
            let obj = Some(args[0].clone());
            let done: file::Finish = Box::new(|_, _| Ok(Value::None));
            return file::start(vm, &f.shared, "close", obj, Op::Close, done);
        }
        Some(f) if f.owned => {
            f.shared
                .close()
                .map_err(|e| file::core_error(vm, e, "close"))?;
        }
        Some(_) => {}
        None => {
            let empty = if s.binary {
                Buf::Bin(Vec::new())
            } else {
                Buf::Text(Vec::new())
            };
            *s.data.borrow_mut() = empty;
        }
    }
    Ok(Value::None)
}

fn s_getvalue(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("getvalue", args, 1, 1)?;
    let s = this(&args[0])?;
    if s.file.is_some() {
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

/// Runs [f] on a file's state (an atomic call).
fn with_file<R>(
    vm: &mut Vm,
    f: &FileIo,
    name: &str,
    op: impl FnMut(&mut file::Core) -> Result<R, CoreErr>,
) -> Res<R> {
    file::run_atomic(vm, &f.shared, name, op)
}

fn s_seek(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("seek", args, 2, 3)?;
    let off = vm.index_value(&args[1])?;
    let whence = int_arg(vm, args, kw, 2, "whence")?.unwrap_or(0);
    let s = this(&args[0])?;
    s.check_open()?;
    let Some(f) = &s.file else {
        return seek_memory(vm, s, off, whence);
    };
    if f.cfg.text {
        match whence {
            0 if off < 0 => {
                return Err(Error::value_error(format!("negative seek position {off}")))
            }
            1 if off != 0 => return Err(unsupported(vm, "can't do nonzero cur-relative seeks")),
            2 if off != 0 => return Err(unsupported(vm, "can't do nonzero end-relative seeks")),
            1 => return s_tell(vm, &args[..1], &[]),
            0 | 2 => {}
            _ => {
                return Err(Error::value_error(format!(
                    "invalid whence ({whence}, should be 0, 1 or 2)"
                )))
            }
        }
    } else if !(0..=2).contains(&whence) {
        return Err(Error::value_error(format!(
            "whence value {whence} unsupported"
        )));
    }
    let p = with_file(vm, f, "seek", |c| c.seek(off, whence as u8))?;
    Ok(Value::Int(p as i64))
}

fn seek_memory(vm: &mut Vm, s: &Stream, off: i64, whence: i64) -> Res<Value> {
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

fn illegal_seek(vm: &mut Vm) -> Error {
    os_error(vm, &std::io::Error::from_raw_os_error(29), None, None)
}

fn s_tell(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("tell", args, 1, 1)?;
    let s = this(&args[0])?;
    s.check_open()?;
    let Some(f) = &s.file else {
        return Ok(Value::Int(s.pos.get() as i64));
    };
    if !f.seekable {
        return Err(illegal_seek(vm));
    }
    let p = with_file(vm, f, "tell", |c| c.tell_flushed())?;
    Ok(Value::Int(p as i64))
}

fn s_truncate(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("truncate", args, 1, 2)?;
    let size = int_arg(vm, args, kw, 1, "size")?;
    let s = this(&args[0])?;
    s.check_open()?;
    let Some(f) = &s.file else {
        let n = size.map(|n| n.max(0) as usize).unwrap_or(s.pos.get());
        let mut data = s.data.borrow_mut();
        match &mut *data {
            Buf::Text(t) => t.truncate(n),
            Buf::Bin(b) => b.truncate(n),
        }
        return Ok(Value::Int(n as i64));
    };
    if !s.writable {
        return Err(unsupported(vm, "truncate"));
    }
    let size = match size.map(u64::try_from) {
        Some(Err(_)) => {
            return Err(os_error(
                vm,
                &std::io::Error::from_raw_os_error(22),
                None,
                None,
            ))
        }
        Some(Ok(n)) => Some(n),
        None => None,
    };
    let n = with_file(vm, f, "truncate", |c| c.truncate(size))?;
    Ok(Value::Int(n as i64))
}

fn s_readable(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    s.check_open()?;
    Ok(Value::bool(s.readable))
}

fn s_writable(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    s.check_open()?;
    Ok(Value::bool(s.writable))
}

fn s_seekable(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    s.check_open()?;
    Ok(Value::bool(s.file.as_ref().is_none_or(|f| f.seekable)))
}

fn s_isatty(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    s.check_open()?;
    Ok(Value::bool(s.file.as_ref().is_some_and(|f| f.tty)))
}

fn s_fileno(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    s.check_open()?;
    match &s.file {
        Some(f) => Ok(Value::Int(f.fd as i64)),
        None => Err(unsupported(vm, "fileno")),
    }
}

fn s_enter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this(&args[0])?.check_open()?;
    Ok(args[0].clone())
}

fn s_exit(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    s_close(vm, &args[..1], kw)?;
    Ok(Value::Bool(Truth::False))
}

fn s_next(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let s = this(&args[0])?;
    match s.next(vm)? {
        Some(v) => Ok(v),
        None => Err(Error::stop_iteration()),
    }
}

// ---------------------------------------------------------------------
// open() and input().

/// The file argument of `open()`, rebuilt for the stream's `name` and
/// for errors (a job carries it across threads).
#[derive(Clone)]
enum NameArg {
    Str(String),
    Bytes(Vec<u8>),
}

impl NameArg {
    fn value(&self) -> Value {
        match self {
            NameArg::Str(s) => Value::str(s),
            NameArg::Bytes(b) => Value::bytes(b.clone()),
        }
    }
}

/// A checked `open()` call, ready to run on any thread.
struct OpenReq {
    path: std::path::PathBuf,
    name: NameArg,
    mode: String,
    kind: Kind,
    read: bool,
    write: bool,
    append: bool,
    create_new: bool,
    plus: bool,
    cfg: Cfg,
    encoding: String,
}

struct Opened {
    file: std::fs::File,
    pos: u64,
    seekable: bool,
    tty: bool,
    fd: i32,
}

fn parse_encoding(name: &str) -> Res<Enc> {
    let n = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    if n == "utf-8-sig" || n == "utf8-sig" {
        return Ok(Enc::Utf8Sig);
    }
    Ok(match lookup_codec(name)? {
        Codec::Utf8 => Enc::Utf8,
        Codec::Ascii => Enc::Ascii,
        Codec::Latin1 => Enc::Latin1,
    })
}

fn errors_name(s: &str) -> Res<&'static str> {
    const KNOWN: [&str; 8] = [
        "strict",
        "ignore",
        "replace",
        "backslashreplace",
        "surrogateescape",
        "surrogatepass",
        "xmlcharrefreplace",
        "namereplace",
    ];
    KNOWN
        .iter()
        .find(|k| **k == s)
        .copied()
        .ok_or_else(|| unknown_handler(s))
}

fn str_opt(args: &[Value], kw: &[(Sym, Value)], i: usize, name: &str) -> Res<Option<String>> {
    match opt_arg(args, kw, i, name) {
        Some(Value::Str(s)) => Ok(Some(s.as_str().to_string())),
        Some(other) => Err(Error::type_error(format!(
            "open() argument '{name}' must be str or None, not {}",
            other.type_name()
        ))),
        None => Ok(None),
    }
}

fn parse_open(args: &[Value], kw: &[(Sym, Value)]) -> Res<OpenReq> {
    check_args("open", args, 1, 8)?;
    let Some(file) = arg_or_kw(args, kw, 0, "file").cloned() else {
        return Err(Error::type_error(
            "open() missing required argument 'file' (pos 1)",
        ));
    };
    let (path, name) = match &file {
        Value::Str(s) => (
            std::path::PathBuf::from(s.as_str()),
            NameArg::Str(s.as_str().to_string()),
        ),
        Value::Bytes(b) => {
            use std::os::unix::ffi::OsStrExt;
            (
                std::path::PathBuf::from(std::ffi::OsStr::from_bytes(b)),
                NameArg::Bytes(b.to_vec()),
            )
        }
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
    let encoding = str_opt(args, kw, 3, "encoding")?;
    let errors = str_opt(args, kw, 4, "errors")?;
    let newline = str_opt(args, kw, 5, "newline")?;
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
    if binary {
        let bad = if encoding.is_some() {
            Some("an encoding")
        } else if errors.is_some() {
            Some("an errors")
        } else if newline.is_some() {
            Some("a newline")
        } else {
            None
        };
        if let Some(what) = bad {
            return Err(Error::value_error(format!(
                "binary mode doesn't take {what} argument"
            )));
        }
    }
    let plus = counts[4] == 1;
    let (read, append, create_new) = (counts[0] == 1, counts[2] == 1, counts[3] == 1);
    let nl = match newline.as_deref() {
        None => Newline::Universal,
        Some("") => Newline::Untranslated,
        Some("\n") => Newline::Lf,
        Some("\r") => Newline::Cr,
        Some("\r\n") => Newline::CrLf,
        Some(other) => {
            return Err(Error::value_error(format!(
                "illegal newline value: {other}"
            )))
        }
    };
    let cfg = if binary {
        Cfg::binary()
    } else {
        Cfg {
            text: true,
            enc: parse_encoding(encoding.as_deref().unwrap_or("utf-8"))?,
            newline: nl,
            errors: errors_name(errors.as_deref().unwrap_or("strict"))?,
        }
    };
    let kind = if !binary {
        Kind::Text
    } else if plus {
        Kind::Random
    } else if read {
        Kind::Reader
    } else {
        Kind::Writer
    };
    Ok(OpenReq {
        path,
        name,
        mode,
        kind,
        read,
        write: counts[1] == 1,
        append,
        create_new,
        plus,
        cfg,
        encoding: encoding.unwrap_or_else(|| "UTF-8".to_string()),
    })
}

/// The blocking part of `open()` (a worker runs it for `open@`).
fn open_file(q: &OpenReq) -> std::io::Result<Opened> {
    use std::io::{IsTerminal, Seek};
    use std::os::fd::AsRawFd;
    if q.path.is_dir() {
        return Err(std::io::Error::from_raw_os_error(21));
    }
    let mut oo = std::fs::OpenOptions::new();
    if q.read {
        oo.read(true).write(q.plus);
    } else {
        oo.read(q.plus);
        if q.append {
            oo.append(true).create(true);
        } else if q.create_new {
            oo.write(true).create_new(true);
        } else {
            oo.write(true).create(true).truncate(true);
        }
    }
    let mut file = oo.open(&q.path)?;
    let seekable = file.stream_position().is_ok();
    let pos = if q.append && seekable {
        file.seek(std::io::SeekFrom::End(0))?
    } else {
        0
    };
    Ok(Opened {
        tty: file.is_terminal(),
        fd: file.as_raw_fd(),
        file,
        pos,
        seekable,
    })
}

fn make_stream(vm: &mut Vm, q: &OpenReq, o: Opened) -> Value {
    let empty = if q.cfg.text {
        Buf::Text(Vec::new())
    } else {
        Buf::Bin(Vec::new())
    };
    let mut s = new_stream(vm, q.kind, empty);
    s.name = q.name.value();
    s.mode = q.mode.clone();
    s.encoding = q.encoding.clone();
    s.readable = q.read || q.plus;
    s.writable = q.write || q.append || q.create_new || q.plus;
    let core = file::Core::new(Handle::File(o.file), q.cfg, o.pos, q.append);
    s.file = Some(FileIo {
        shared: Shared::new(core),
        cfg: q.cfg,
        owned: true,
        seekable: o.seekable,
        tty: o.tty,
        fd: o.fd,
    });
    Value::object(s)
}

/// `open(file, mode='r', buffering=-1, encoding=None, errors=None,
/// newline=None)`; `open@(...)` opens on a worker thread (a FIFO's open
/// waits for the other end).
pub fn builtin_open(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let at = take_at(vm);
    let q = parse_open(args, kw)?;
    if !at {
        let o = open_file(&q).map_err(|e| os_error(vm, &e, Some(&q.name.value()), None))?;
        return Ok(make_stream(vm, &q, o));
    }
    begin_at(vm, "open")?;
    let job: crate::runtime::io::registry::Job = Box::new(move || {
        let r = open_file(&q);
        Box::new(move |vm: &mut Vm| match r {
            Ok(o) => Wake::Handoff(make_stream(vm, &q, o)),
            Err(e) => {
                let err = os_error(vm, &e, Some(&q.name.value()), None);
                wake_error(vm, err)
            }
        })
    });
    Err(vm.park_job("open", None, job))
}

/// `input(prompt)`: a line of `sys.stdin` without its newline;
/// `input@(prompt)` lets other threads run while it waits.
pub fn builtin_input(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let at = take_at(vm);
    check_args("input", args, 0, 1)?;
    if let Some(p) = args.first() {
        let s = vm.to_str(p)?;
        vm.write_out(&s);
    }
    vm.flush_out();
    let stdin = match vm.import_module("sys")? {
        Value::Module(m) => m.get_str("stdin").filter(|v| !v.is_none()),
        _ => None,
    };
    let Some(stdin) = stdin else {
        return Err(Error::runtime_error("input(): lost sys.stdin"));
    };
    if let Some(s) = downcast::<Stream>(&stdin) {
        if let Some(f) = &s.file {
            readable(vm, s)?;
            let cfg = f.cfg;
            let obj = Some(stdin.clone());
            return file_op(vm, at, obj, f, "input", Op::Line(None), move |vm, out| {
                let line = decode_out(vm, &cfg, out)?;
                input_line(line)
            });
        }
    }
    // A script's own sys.stdin (a StringIO...): read it atomically.
    if at {
        begin_at(vm, "input")?;
    }
    let line = vm.call_method(&stdin, "readline", &[])?;
    input_line(line)
}

fn input_line(line: Value) -> Res<Value> {
    match &line {
        Value::Str(s) if s.as_str().is_empty() => {
            Err(Error::new(ExcType::EOFError, "EOF when reading a line"))
        }
        Value::Str(s) => match s.as_str().strip_suffix('\n') {
            Some(t) => Ok(Value::str(t)),
            None => Ok(line),
        },
        _ => Ok(line),
    }
}
