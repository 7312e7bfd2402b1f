//! UDP: `udpbind@(addr)` gives a socket with `sendto@(data, addr)`,
//! `recvfrom@(n=65536)`, `close()`, `local` and `closed`.

use std::cell::{Cell, RefCell};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::rc::Rc;

use mio::net::UdpSocket;

use super::addr::{addresses, to_value};
use super::registry::{self, Dir};
use super::wake_error;
use crate::builtins::mod_con::{add_switching_fn, add_switching_method};
use crate::builtins::mod_io::os_error;
use crate::builtins::stdlib_data::native_class;
use crate::builtins::{add_method, arg_or_kw, check_args, no_kwargs};
use crate::runtime::Wake;
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

/// A slot number meaning "closed".
const CLOSED: usize = usize::MAX;
/// The largest datagram there is: bigger `recvfrom@` sizes read this much.
const MAX_DATAGRAM: usize = 65536;

pub fn install(vm: &mut Vm, m: &Rc<ModuleObj>) {
    add_switching_fn(vm, m, "udpbind", udpbind);
    let c = udp_class(vm);
    m.set_str("UdpSocket", Value::Class(c));
}

pub struct Udp {
    cls: Rc<ClassObj>,
    sock: RefCell<Option<UdpSocket>>,
    slot: Cell<usize>,
    /// The poll loop reports writability (a send waits).
    watching_writes: Cell<bool>,
}

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; MAX_DATAGRAM]);
}

fn closed_error() -> std::io::Error {
    std::io::Error::from_raw_os_error(9) // EBADF
}

fn io_err(vm: &mut Vm, e: std::io::Error) -> Error {
    os_error(vm, &e, None, None)
}

impl Udp {
    pub fn slot(&self) -> Option<usize> {
        Some(self.slot.get()).filter(|&s| s != CLOSED)
    }

    fn local(&self) -> Option<SocketAddr> {
        self.sock.borrow().as_ref()?.local_addr().ok()
    }

    fn watch_writes(&self, on: bool) -> std::io::Result<()> {
        if self.watching_writes.get() == on {
            return Ok(());
        }
        let Some(slot) = self.slot() else {
            return Ok(());
        };
        let mut g = self.sock.borrow_mut();
        let Some(s) = g.as_mut() else {
            return Ok(());
        };
        registry::watch_writable(slot, s, on)?;
        self.watching_writes.set(on);
        Ok(())
    }

    /// One datagram, cut to [n] bytes: Ok(None) if none is waiting.
    fn try_recv(&self, n: usize) -> std::io::Result<Option<(Vec<u8>, SocketAddr)>> {
        let g = self.sock.borrow();
        let Some(s) = g.as_ref() else {
            return Err(closed_error());
        };
        SCRATCH.with(|buf| {
            let mut buf = buf.borrow_mut();
            let want = n.min(buf.len());
            loop {
                match s.recv_from(&mut buf[..want]) {
                    Ok((k, from)) => return Ok(Some((buf[..k.min(want)].to_vec(), from))),
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
                    Err(e) => return Err(e),
                }
            }
        })
    }

    /// Sends one datagram: Ok(None) if it would block.
    fn try_send(&self, data: &[u8], to: SocketAddr) -> std::io::Result<Option<usize>> {
        let g = self.sock.borrow();
        let Some(s) = g.as_ref() else {
            return Err(closed_error());
        };
        loop {
            match s.send_to(data, to) {
                Ok(k) => return Ok(Some(k)),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    fn close(&self, vm: &mut Vm) {
        let sock = self.sock.borrow_mut().take();
        let slot = self.slot.replace(CLOSED);
        if slot == CLOSED {
            return;
        }
        let mut sock = sock;
        let parked = registry::release(slot, sock.as_mut().map(|s| s as _));
        drop(sock);
        for w in parked {
            let e = io_err(vm, closed_error());
            let wake = wake_error(vm, e);
            vm.wake(w.tid, w.token, wake);
        }
    }
}

impl Drop for Udp {
    fn drop(&mut self) {
        let slot = self.slot.replace(CLOSED);
        if slot != CLOSED {
            let mut s = self.sock.borrow_mut().take();
            drop(registry::release(slot, s.as_mut().map(|s| s as _)));
        }
    }
}

impl NativeObject for Udp {
    fn type_name(&self) -> &str {
        "UdpSocket"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        Ok(Some(match self.local() {
            Some(a) => format!("<UdpSocket {a}>"),
            None => "<UdpSocket closed>".to_string(),
        }))
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "local" => Some(self.local().as_ref().map_or(Value::None, to_value)),
            "closed" => Some(Value::bool(self.slot.get() == CLOSED)),
            _ => None,
        })
    }
}

fn udp_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "con.UdpSocket",
        "con",
        "UdpSocket",
        None,
        Builtin::Object,
        |vm, c| {
            add_switching_method(vm, c, "sendto", udp_sendto);
            add_switching_method(vm, c, "recvfrom", udp_recvfrom);
            add_method(vm, c, "close", udp_close);
            add_method(vm, c, "fileno", udp_fileno);
            add_method(vm, c, "__enter__", udp_enter);
            add_method(vm, c, "__exit__", udp_exit);
        },
    )
}

fn this_udp<'a>(v: &'a Value, what: &str) -> Res<&'a Udp> {
    downcast::<Udp>(v).ok_or_else(|| {
        Error::type_error(format!(
            "descriptor '{what}' requires a 'UdpSocket' object but received a '{}'",
            v.type_name()
        ))
    })
}

/// Opens a UDP socket bound to [a] (IPv6 sockets IPv6-only, as for TCP).
fn bind(a: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Socket, Type};
    let domain = if a.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let s = Socket::new(domain, Type::DGRAM, None)?;
    if a.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&a.into())?;
    Ok(UdpSocket::from_std(s.into()))
}

fn udpbind(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("udpbind", args, 1, 1)?;
    no_kwargs("udpbind", kw)?;
    let addr = addresses(vm, &args[0], "udpbind")?;
    vm.begin_switch("udpbind")?;
    let target = match addr.resolve() {
        Ok(list) => list[0],
        Err(e) => return Err(io_err(vm, e)),
    };
    let mut sock = bind(target).map_err(|e| io_err(vm, e))?;
    let slot = registry::register(&mut sock, false).map_err(|e| io_err(vm, e))?;
    Ok(Value::object(Udp {
        cls: udp_class(vm),
        sock: RefCell::new(Some(sock)),
        slot: Cell::new(slot),
        watching_writes: Cell::new(false),
    }))
}

fn udp_sendto(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    no_kwargs("sendto", kw)?;
    if args.len() != 3 {
        return Err(Error::type_error(format!(
            "sendto() takes exactly 2 arguments ({} given)",
            args.len().saturating_sub(1)
        )));
    }
    let u = this_udp(&args[0], "sendto")?;
    let data: Rc<Vec<u8>> = match &args[1] {
        Value::Bytes(b) => b.clone(),
        Value::ByteArray(b) => Rc::new(b.borrow().clone()),
        v => {
            return Err(Error::type_error(format!(
                "a bytes-like object is required, not '{}'",
                v.type_name()
            )))
        }
    };
    let addr = addresses(vm, &args[2], "sendto")?;
    vm.begin_switch("sendto")?;
    let to = match addr.resolve() {
        Ok(list) => list[0],
        Err(e) => return Err(io_err(vm, e)),
    };
    let Some(slot) = u.slot() else {
        return Err(io_err(vm, closed_error()));
    };
    match u.try_send(&data, to) {
        Ok(Some(k)) => return vm.io_complete(Value::Int(k as i64)),
        Ok(None) => {}
        Err(e) => return Err(io_err(vm, e)),
    }
    if let Err(e) = u.watch_writes(true) {
        return Err(io_err(vm, e));
    }
    let me = args[0].clone();
    Err(vm.park_io("sendto", &args[0], &[slot], Dir::Write, || {
        let me = me.clone();
        let data = data.clone();
        Box::new(move |vm: &mut Vm| {
            let u = downcast::<Udp>(&me)?;
            match u.try_send(&data, to) {
                Ok(Some(k)) => {
                    let _ = u.watch_writes(false);
                    Some(Wake::Handoff(Value::Int(k as i64)))
                }
                Ok(None) => None,
                Err(e) => {
                    let e = io_err(vm, e);
                    Some(wake_error(vm, e))
                }
            }
        })
    }))
}

fn received(data: Vec<u8>, from: SocketAddr) -> Value {
    Value::tuple(vec![Value::bytes(data), to_value(&from)])
}

fn udp_recvfrom(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    if args.len() > 2 {
        return Err(Error::type_error(format!(
            "recvfrom() takes at most 1 argument ({} given)",
            args.len() - 1
        )));
    }
    let n = match arg_or_kw(args, kw, 1, "n") {
        None | Some(Value::None) => MAX_DATAGRAM,
        Some(v) => {
            let n = vm.index_value(v)?;
            if n < 0 {
                return Err(Error::value_error("negative buffersize in recvfrom"));
            }
            n as usize
        }
    };
    let u = this_udp(&args[0], "recvfrom")?;
    vm.begin_switch("recvfrom")?;
    let Some(slot) = u.slot() else {
        return Err(io_err(vm, closed_error()));
    };
    match u.try_recv(n) {
        Ok(Some((b, from))) => return vm.io_complete(received(b, from)),
        Ok(None) => {}
        Err(e) => return Err(io_err(vm, e)),
    }
    let me = args[0].clone();
    Err(vm.park_io("recvfrom", &args[0], &[slot], Dir::Read, || {
        let me = me.clone();
        Box::new(move |vm: &mut Vm| {
            let u = downcast::<Udp>(&me)?;
            match u.try_recv(n) {
                Ok(Some((b, from))) => Some(Wake::Handoff(received(b, from))),
                Ok(None) => None,
                Err(e) => {
                    let e = io_err(vm, e);
                    Some(wake_error(vm, e))
                }
            }
        })
    }))
}

fn udp_close(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("close", args, 1, 1)?;
    this_udp(&args[0], "close")?.close(vm);
    Ok(Value::None)
}

fn udp_fileno(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("fileno", args, 1, 1)?;
    use std::os::fd::AsRawFd;
    let u = this_udp(&args[0], "fileno")?;
    let fd = u.sock.borrow().as_ref().map_or(-1, |s| s.as_raw_fd());
    Ok(Value::Int(fd as i64))
}

fn udp_enter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__enter__", args, 1, 1)?;
    Ok(args[0].clone())
}

fn udp_exit(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    this_udp(&args[0], "__exit__")?.close(vm);
    Ok(Value::Bool(Truth::False))
}
