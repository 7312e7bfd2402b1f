//! TCP listeners: `tcplisten@(*addrs, backlog=128)` and `accept@()`,
//! including the shedding of connections when descriptors run out.

use std::cell::{Cell, RefCell};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant;

use mio::net::TcpListener;

use super::addr::{addresses, to_value};
use super::registry::{self, Dir};
use super::tcp::{closed_error, enter, io_err, TcpConn};
use super::wake_error;
use crate::builtins::mod_con::{add_switching_fn, add_switching_method};
use crate::builtins::stdlib_data::native_class;
use crate::builtins::{add_method, check_args, kwarg};
use crate::runtime::Wake;
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn install(vm: &mut Vm, m: &Rc<ModuleObj>) {
    add_switching_fn(vm, m, "_tcplisten", tcplisten);
    let l = listener_class(vm);
    m.set_str("TcpListener", Value::Class(l));
}

pub struct TcpListen {
    cls: Rc<ClassObj>,
    /// Each listening socket and its slot.
    socks: RefCell<Vec<(TcpListener, usize)>>,
}

impl TcpListen {
    pub fn slots(&self) -> Vec<usize> {
        self.socks.borrow().iter().map(|(_, s)| *s).collect()
    }

    /// Accepts from socket [i]: Ok(None) if none is waiting.
    fn try_accept(&self, vm: &mut Vm, i: usize) -> Res<Option<Value>> {
        loop {
            let r = {
                let socks = self.socks.borrow();
                let Some((l, _)) = socks.get(i) else {
                    return Err(io_err(vm, closed_error()));
                };
                l.accept()
            };
            match r {
                Ok((stream, _)) => return TcpConn::wrap(vm, stream, false).map(Some),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // The peer gave up before we accepted: take the next one.
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
                Err(e) if matches!(e.raw_os_error(), Some(23 | 24)) => match self.shed_one(i) {
                    None => return Err(io_err(vm, e)),
                    Some(true) => {}
                    // Linux reports EMFILE before looking for a pending
                    // connection: with none there, wait for readiness.
                    Some(false) => return Ok(None),
                },
                Err(e) => return Err(io_err(vm, e)),
            }
        }
    }

    /// Out of file descriptors: frees the reserved one to accept and
    /// close the oldest pending connection, so it is refused rather than
    /// left to make the listener ready forever (a busy loop). None if
    /// there is no reserve; Some(shed) otherwise. Reported at most once a
    /// second.
    fn shed_one(&self, i: usize) -> Option<bool> {
        let had = RESERVE.with(|r| r.borrow_mut().take().is_some());
        if !had {
            return None;
        }
        let accepted = self.socks.borrow().get(i).map(|(l, _)| l.accept());
        let shed = matches!(accepted, Some(Ok(_)));
        drop(accepted);
        RESERVE.with(|r| *r.borrow_mut() = std::fs::File::open("/dev/null").ok());
        if shed {
            let now = Instant::now();
            let report = LAST_SHED.with(|t| {
                let due = t
                    .get()
                    .is_none_or(|at| now.duration_since(at).as_secs() >= 1);
                if due {
                    t.set(Some(now));
                }
                due
            });
            if report {
                eprintln!("con: accept@(): too many open files; a connection was refused");
            }
        }
        Some(shed)
    }
}

thread_local! {
    /// A descriptor held back for shedding connections under EMFILE.
    static RESERVE: RefCell<Option<std::fs::File>> = const { RefCell::new(None) };
    static LAST_SHED: Cell<Option<Instant>> = const { Cell::new(None) };
}

impl Drop for TcpListen {
    fn drop(&mut self) {
        for (mut l, slot) in self.socks.borrow_mut().drain(..) {
            drop(registry::release(slot, Some(&mut l)));
        }
    }
}

impl NativeObject for TcpListen {
    fn type_name(&self) -> &str {
        "TcpListener"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        let addrs: Vec<String> = self
            .socks
            .borrow()
            .iter()
            .filter_map(|(l, _)| l.local_addr().ok())
            .map(|a| a.to_string())
            .collect();
        Ok(Some(if addrs.is_empty() {
            "<TcpListener closed>".to_string()
        } else {
            format!("<TcpListener {}>", addrs.join(", "))
        }))
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            // Every address listened on, as (host, port) tuples.
            "local" => Some(Value::list(
                self.socks
                    .borrow()
                    .iter()
                    .filter_map(|(l, _)| l.local_addr().ok())
                    .map(|a| to_value(&a))
                    .collect(),
            )),
            _ => None,
        })
    }
}

fn listener_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "con.TcpListener",
        "con",
        "TcpListener",
        None,
        Builtin::Object,
        |vm, c| {
            add_switching_method(vm, c, "accept", listener_accept);
            add_method(vm, c, "close", listener_close);
            add_method(vm, c, "__enter__", enter);
            add_method(vm, c, "__exit__", listener_exit);
        },
    )
}

fn this_listener<'a>(v: &'a Value, what: &str) -> Res<&'a TcpListen> {
    downcast::<TcpListen>(v).ok_or_else(|| {
        Error::type_error(format!(
            "descriptor '{what}' requires a 'TcpListener' object but received a '{}'",
            v.type_name()
        ))
    })
}

/// Opens a listening socket on [a] (SO_REUSEADDR, IPv6 sockets IPv6-only
/// so the same port can be used on both families).
fn listen_on(a: SocketAddr, backlog: i32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let domain = if a.is_ipv4() {
        Domain::IPV4
    } else {
        Domain::IPV6
    };
    let s = Socket::new(domain, Type::STREAM, None)?;
    s.set_reuse_address(true)?;
    if a.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_nonblocking(true)?;
    s.bind(&a.into())?;
    s.listen(backlog)?;
    Ok(TcpListener::from_std(s.into()))
}

fn tcplisten(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    for (k, _) in kw {
        if k.as_str() != "backlog" {
            return Err(Error::type_error(format!(
                "tcplisten() got an unexpected keyword argument '{}'",
                k.as_str()
            )));
        }
    }
    if args.is_empty() {
        return Err(Error::type_error(
            "tcplisten() needs at least one address: tcplisten@(ipv4addr(host, port), ...)",
        ));
    }
    let backlog = match kwarg(kw, "backlog") {
        None => 128,
        Some(v) => vm.index_value(v)?.clamp(0, i32::MAX as i64) as i32,
    };
    let mut targets = Vec::new();
    for a in args {
        let addr = addresses(vm, a, "tcplisten")?;
        match addr.resolve() {
            Ok(list) => targets.extend(list),
            Err(e) => return Err(io_err(vm, e)),
        }
    }
    vm.begin_switch("tcplisten")?;
    RESERVE.with(|r| {
        let mut r = r.borrow_mut();
        if r.is_none() {
            *r = std::fs::File::open("/dev/null").ok();
        }
    });
    let mut socks = Vec::new();
    for t in targets {
        let mut l = match listen_on(t, backlog) {
            Ok(l) => l,
            Err(e) => {
                for (mut l, slot) in socks {
                    drop(registry::release(slot, Some(&mut l)));
                }
                return Err(io_err(vm, e));
            }
        };
        match registry::register(&mut l, false) {
            Ok(slot) => socks.push((l, slot)),
            Err(e) => {
                for (mut l, slot) in socks {
                    drop(registry::release(slot, Some(&mut l)));
                }
                return Err(io_err(vm, e));
            }
        }
    }
    Ok(Value::object(TcpListen {
        cls: listener_class(vm),
        socks: RefCell::new(socks),
    }))
}

fn listener_accept(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("accept", args, 1, 1)?;
    crate::builtins::no_kwargs("accept", kw)?;
    let l = this_listener(&args[0], "accept")?;
    vm.begin_switch("accept")?;
    let n = l.socks.borrow().len();
    if n == 0 {
        return Err(io_err(vm, closed_error()));
    }
    for i in 0..n {
        if let Some(c) = l.try_accept(vm, i)? {
            return vm.io_complete(c);
        }
    }
    let slots = l.slots();
    let me = args[0].clone();
    let mut next = 0;
    Err(vm.park_io("accept", &args[0], &slots, Dir::Read, || {
        let me = me.clone();
        let i = next;
        next += 1;
        Box::new(move |vm: &mut Vm| {
            let l = downcast::<TcpListen>(&me)?;
            match l.try_accept(vm, i) {
                Ok(Some(c)) => Some(Wake::Handoff(c)),
                Ok(None) => None,
                Err(e) => Some(wake_error(vm, e)),
            }
        })
    }))
}

fn listener_close(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("close", args, 1, 1)?;
    close_listener(vm, this_listener(&args[0], "close")?);
    Ok(Value::None)
}

fn listener_exit(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    close_listener(vm, this_listener(&args[0], "__exit__")?);
    Ok(Value::Bool(Truth::False))
}

fn close_listener(vm: &mut Vm, l: &TcpListen) {
    let socks: Vec<(TcpListener, usize)> = l.socks.borrow_mut().drain(..).collect();
    for (mut sock, slot) in socks {
        let parked = registry::release(slot, Some(&mut sock));
        drop(sock);
        for w in parked {
            let e = io_err(vm, closed_error());
            let wake = wake_error(vm, e);
            vm.wake(w.tid, w.token, wake);
        }
    }
}
