//! TCP connections: `tcpconnect@(addr)`, and a connection's `read@`,
//! `readline@`, `write@`, `close`, `peer` and `local`. Listeners are in
//! `listen.rs`.

use std::cell::{Cell, RefCell};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::rc::Rc;

use mio::net::TcpStream;

use super::addr::{addresses, to_value};
use super::registry::{self, Dir};
use super::wake_error;
use crate::builtins::mod_con::{add_switching_fn, add_switching_method};
use crate::builtins::mod_io::os_error;
use crate::builtins::stdlib_data::native_class;
use crate::builtins::{add_method, arg_or_kw, check_args};
use crate::runtime::Wake;
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

/// A slot number meaning "closed".
const CLOSED: usize = usize::MAX;
/// `read@()` without an argument reads at most this much.
const READ_DEFAULT: usize = 65536;
/// The longest line `readline@()` collects.
const LINE_LIMIT: usize = 65536;

pub fn install(vm: &mut Vm, m: &Rc<ModuleObj>) {
    add_switching_fn(vm, m, "_tcpconnect", tcpconnect);
    let c = conn_class(vm);
    m.set_str("TcpConnection", Value::Class(c));
}

// ----- connections ------------------------------------------------------

pub struct TcpConn {
    cls: Rc<ClassObj>,
    stream: RefCell<Option<TcpStream>>,
    slot: Cell<usize>,
    /// Bytes read ahead by `readline@()`.
    rbuf: RefCell<Vec<u8>>,
    /// The poll loop reports writability (a write or connect waits).
    watching_writes: Cell<bool>,
}

impl TcpConn {
    pub fn slot(&self) -> Option<usize> {
        Some(self.slot.get()).filter(|&s| s != CLOSED)
    }

    pub(super) fn wrap(vm: &mut Vm, mut stream: TcpStream, connecting: bool) -> Res<Value> {
        let _ = stream.set_nodelay(true);
        let slot = registry::register(&mut stream, connecting)
            .map_err(|e| os_error(vm, &e, None, None))?;
        Ok(Value::object(TcpConn {
            cls: conn_class(vm),
            stream: RefCell::new(Some(stream)),
            slot: Cell::new(slot),
            rbuf: RefCell::new(Vec::new()),
            watching_writes: Cell::new(connecting),
        }))
    }

    fn set_drained(&self) {
        if let Some(slot) = self.slot() {
            registry::set_drained(slot);
        }
    }

    fn drained(&self) -> bool {
        self.slot().is_some_and(registry::is_drained)
    }

    /// Asks the poll loop to report writability, or to stop.
    fn watch_writes(&self, on: bool) -> std::io::Result<()> {
        if self.watching_writes.get() == on {
            return Ok(());
        }
        let Some(slot) = self.slot() else {
            return Ok(());
        };
        let mut guard = self.stream.borrow_mut();
        let Some(s) = guard.as_mut() else {
            return Ok(());
        };
        registry::watch_writable(slot, s, on)?;
        self.watching_writes.set(on);
        Ok(())
    }

    fn addr(&self, peer: bool) -> Option<SocketAddr> {
        let s = self.stream.borrow();
        let s = s.as_ref()?;
        if peer {
            s.peer_addr().ok()
        } else {
            s.local_addr().ok()
        }
    }

    /// One `read(2)` of at most [n] bytes: Ok(None) if it would block.
    fn try_read(&self, n: usize) -> std::io::Result<Option<Vec<u8>>> {
        let mut guard = self.stream.borrow_mut();
        let Some(s) = guard.as_mut() else {
            return Err(closed_error());
        };
        SCRATCH.with(|buf| {
            let mut buf = buf.borrow_mut();
            let want = n.min(buf.len());
            loop {
                match s.read(&mut buf[..want]) {
                    Ok(k) => {
                        // A short read took everything there was: the next
                        // read waits for a readiness event instead of trying.
                        if k < want {
                            self.set_drained();
                        }
                        return Ok(Some(buf[..k].to_vec()));
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        self.set_drained();
                        return Ok(None);
                    }
                    Err(e) => return Err(e),
                }
            }
        })
    }

    /// Writes from [data] at [*off] until done (true) or it would block.
    fn try_write(&self, data: &[u8], off: &mut usize) -> std::io::Result<bool> {
        let mut guard = self.stream.borrow_mut();
        let Some(s) = guard.as_mut() else {
            return Err(closed_error());
        };
        while *off < data.len() {
            match s.write(&data[*off..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(k) => *off += k,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// The next line from the read-ahead buffer, if a whole one is there
    /// (or [eof] and some bytes are).
    fn take_line(&self, eof: bool) -> Option<Vec<u8>> {
        let mut b = self.rbuf.borrow_mut();
        match b.iter().position(|&c| c == b'\n') {
            Some(i) => Some(b.drain(..=i).collect()),
            None if eof && !b.is_empty() => Some(std::mem::take(&mut *b)),
            None => None,
        }
    }

    fn close(&self, vm: &mut Vm) {
        let stream = self.stream.borrow_mut().take();
        let slot = self.slot.replace(CLOSED);
        if slot == CLOSED {
            return;
        }
        let mut stream = stream;
        let parked = registry::release(slot, stream.as_mut().map(|s| s as _));
        drop(stream);
        for w in parked {
            let e = os_error(vm, &closed_error(), None, None);
            let wake = wake_error(vm, e);
            vm.wake(w.tid, w.token, wake);
        }
    }
}

thread_local! {
    /// Reads land here first, so a short read allocates only its bytes.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; READ_DEFAULT]);
}

pub(super) fn closed_error() -> std::io::Error {
    std::io::Error::from_raw_os_error(9) // EBADF
}

impl Drop for TcpConn {
    fn drop(&mut self) {
        let slot = self.slot.replace(CLOSED);
        if slot != CLOSED {
            let mut s = self.stream.borrow_mut().take();
            drop(registry::release(slot, s.as_mut().map(|s| s as _)));
        }
    }
}

impl NativeObject for TcpConn {
    fn type_name(&self) -> &str {
        "TcpConnection"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        Ok(Some(match (self.addr(false), self.addr(true)) {
            (Some(l), Some(p)) => format!("<TcpConnection {l} -> {p}>"),
            _ => "<TcpConnection closed>".to_string(),
        }))
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "peer" => Some(self.addr(true).as_ref().map_or(Value::None, to_value)),
            "local" => Some(self.addr(false).as_ref().map_or(Value::None, to_value)),
            "closed" => Some(Value::bool(self.slot.get() == CLOSED)),
            _ => None,
        })
    }
}

fn conn_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "con.TcpConnection",
        "con",
        "TcpConnection",
        None,
        Builtin::Object,
        |vm, c| {
            add_switching_method(vm, c, "read", conn_read);
            add_switching_method(vm, c, "readline", conn_readline);
            add_switching_method(vm, c, "write", conn_write);
            add_method(vm, c, "close", conn_close);
            add_method(vm, c, "fileno", conn_fileno);
            add_method(vm, c, "__enter__", enter);
            add_method(vm, c, "__exit__", conn_exit);
        },
    )
}

fn this_conn<'a>(v: &'a Value, what: &str) -> Res<&'a TcpConn> {
    downcast::<TcpConn>(v).ok_or_else(|| {
        Error::type_error(format!(
            "descriptor '{what}' requires a 'TcpConnection' object but received a '{}'",
            v.type_name()
        ))
    })
}

fn eof_error() -> Error {
    Error::new(ExcType::EOFError, "connection closed by the peer")
}

pub(super) fn io_err(vm: &mut Vm, e: std::io::Error) -> Error {
    os_error(vm, &e, None, None)
}

fn conn_read(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("read", args, 1, 2)?;
    let n = match arg_or_kw(args, kw, 1, "n") {
        None | Some(Value::None) => READ_DEFAULT,
        Some(v) => {
            let n = vm.index_value(v)?;
            if n < 0 {
                READ_DEFAULT
            } else {
                n as usize
            }
        }
    };
    let c = this_conn(&args[0], "read")?;
    vm.begin_switch("read")?;
    {
        let mut b = c.rbuf.borrow_mut();
        if !b.is_empty() {
            let k = n.min(b.len());
            let data = Value::bytes(b.drain(..k).collect());
            drop(b);
            return vm.io_complete(data);
        }
    }
    if n == 0 {
        return Ok(Value::bytes(Vec::new()));
    }
    let Some(slot) = c.slot() else {
        return Err(io_err(vm, closed_error()));
    };
    if !c.drained() {
        match c.try_read(n) {
            Ok(Some(b)) if b.is_empty() => return Err(eof_error()),
            Ok(Some(b)) => return vm.io_complete(Value::bytes(b)),
            Ok(None) => {}
            Err(e) => return Err(io_err(vm, e)),
        }
    }
    let me = args[0].clone();
    Err(vm.park_io_retry("read", &args[0], slot, Dir::Read, {
        let me = me.clone();
        Box::new(move |vm: &mut Vm| {
            let c = downcast::<TcpConn>(&me)?;
            match c.try_read(n) {
                Ok(Some(b)) if b.is_empty() => Some(wake_error(vm, eof_error())),
                Ok(Some(b)) => Some(Wake::Handoff(Value::bytes(b))),
                Ok(None) => None,
                Err(e) => {
                    let e = io_err(vm, e);
                    Some(wake_error(vm, e))
                }
            }
        })
    }))
}

/// Reads into the read-ahead buffer until it holds a line: Ok(Some(line)),
/// Ok(None) if that would block.
fn fill_line(vm: &mut Vm, c: &TcpConn) -> Res<Option<Vec<u8>>> {
    let too_long = || {
        Err(Error::value_error(format!(
            "readline@(): line longer than {LINE_LIMIT} bytes"
        )))
    };
    loop {
        // The limit holds however the line arrived: one read may bring
        // both the end of an over-long line and its newline.
        if let Some(line) = c.take_line(false) {
            return if line.len() > LINE_LIMIT {
                too_long()
            } else {
                Ok(Some(line))
            };
        }
        if c.rbuf.borrow().len() >= LINE_LIMIT {
            return too_long();
        }
        if c.drained() {
            return Ok(None);
        }
        match c.try_read(READ_DEFAULT) {
            Ok(Some(b)) if b.is_empty() => {
                return match c.take_line(true) {
                    Some(line) if line.len() > LINE_LIMIT => too_long(),
                    Some(line) => Ok(Some(line)),
                    None => Err(eof_error()),
                }
            }
            Ok(Some(b)) => c.rbuf.borrow_mut().extend_from_slice(&b),
            Ok(None) => return Ok(None),
            Err(e) => return Err(io_err(vm, e)),
        }
    }
}

fn conn_readline(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("readline", args, 1, 1)?;
    crate::builtins::no_kwargs("readline", kw)?;
    let c = this_conn(&args[0], "readline")?;
    vm.begin_switch("readline")?;
    let Some(slot) = c.slot() else {
        return Err(io_err(vm, closed_error()));
    };
    if let Some(line) = fill_line(vm, c)? {
        return vm.io_complete(Value::bytes(line));
    }
    let me = args[0].clone();
    Err(vm.park_io_retry("readline", &args[0], slot, Dir::Read, {
        let me = me.clone();
        Box::new(move |vm: &mut Vm| {
            let c = downcast::<TcpConn>(&me)?;
            match fill_line(vm, c) {
                Ok(Some(line)) => Some(Wake::Handoff(Value::bytes(line))),
                Ok(None) => None,
                Err(e) => Some(wake_error(vm, e)),
            }
        })
    }))
}

/// The bytes of a `write@` argument.
fn data_arg(v: &Value) -> Res<Rc<Vec<u8>>> {
    match v {
        Value::Bytes(b) => Ok(b.clone()),
        Value::ByteArray(b) => Ok(Rc::new(b.borrow().clone())),
        _ => Err(Error::type_error(format!(
            "a bytes-like object is required, not '{}'",
            v.type_name()
        ))),
    }
}

fn conn_write(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("write", args, 2, 2)?;
    crate::builtins::no_kwargs("write", kw)?;
    let c = this_conn(&args[0], "write")?;
    let data = data_arg(&args[1])?;
    vm.begin_switch("write")?;
    let Some(slot) = c.slot() else {
        return Err(io_err(vm, closed_error()));
    };
    let mut off = 0;
    match c.try_write(&data, &mut off) {
        Ok(true) => return vm.io_complete(Value::None),
        Ok(false) => {}
        Err(e) => return Err(io_err(vm, e)),
    }
    if let Err(e) = c.watch_writes(true) {
        return Err(io_err(vm, e));
    }
    let me = args[0].clone();
    let mut data = Some(data);
    Err(vm.park_io_retry("write", &args[0], slot, Dir::Write, {
        let me = me.clone();
        let data = data.take().unwrap_or_default();
        Box::new(move |vm: &mut Vm| {
            let c = downcast::<TcpConn>(&me)?;
            match c.try_write(&data, &mut off) {
                // The bytes are gone: an interruption must not undo that.
                Ok(true) => {
                    let _ = c.watch_writes(false);
                    Some(Wake::Handoff(Value::None))
                }
                Ok(false) => None,
                Err(e) => {
                    let e = io_err(vm, e);
                    Some(wake_error(vm, e))
                }
            }
        })
    }))
}

fn conn_close(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("close", args, 1, 1)?;
    this_conn(&args[0], "close")?.close(vm);
    Ok(Value::None)
}

fn conn_fileno(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("fileno", args, 1, 1)?;
    use std::os::fd::AsRawFd;
    let c = this_conn(&args[0], "fileno")?;
    let fd = c.stream.borrow().as_ref().map_or(-1, |s| s.as_raw_fd());
    Ok(Value::Int(fd as i64))
}

pub(super) fn enter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__enter__", args, 1, 1)?;
    Ok(args[0].clone())
}

fn conn_exit(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this_conn(&args[0], "__exit__")?.close(vm);
    Ok(Value::Bool(Truth::False))
}

/// `tcpconnect@(addr)`: a connection to the first address [addr] names.
fn tcpconnect(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("tcpconnect", args, 1, 1)?;
    crate::builtins::no_kwargs("tcpconnect", kw)?;
    let addr = addresses(vm, &args[0], "tcpconnect")?;
    vm.begin_switch("tcpconnect")?;
    let target = match addr.resolve() {
        Ok(list) => list[0],
        Err(e) => return Err(io_err(vm, e)),
    };
    let stream = TcpStream::connect(target).map_err(|e| io_err(vm, e))?;
    let conn = TcpConn::wrap(vm, stream, true)?;
    let Some(slot) = this_conn(&conn, "tcpconnect")?.slot() else {
        return Err(io_err(vm, closed_error()));
    };
    Err(vm.park_io("connect", &conn, &[slot], Dir::Write, || {
        let me = conn.clone();
        Box::new(move |vm: &mut Vm| {
            let c = downcast::<TcpConn>(&me)?;
            let status = {
                let s = c.stream.borrow();
                let s = s.as_ref()?;
                match s.take_error() {
                    Ok(Some(e)) | Err(e) => Err(e),
                    Ok(None) => match s.peer_addr() {
                        Ok(_) => Ok(true),
                        Err(e) if e.kind() == ErrorKind::NotConnected => Ok(false),
                        Err(e) => Err(e),
                    },
                }
            };
            match status {
                Ok(true) => {
                    let _ = c.watch_writes(false);
                    Some(Wake::Handoff(me.clone()))
                }
                Ok(false) => None,
                Err(e) => {
                    c.close(vm);
                    let e = io_err(vm, e);
                    Some(wake_error(vm, e))
                }
            }
        })
    }))
}
