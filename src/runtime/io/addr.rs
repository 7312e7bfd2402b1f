//! Socket addresses: `ipv4addr(host, port)` and `ipv6addr(host, port)`,
//! and the conversions between Rust socket addresses and script values.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::rc::Rc;

use crate::builtins::stdlib_data::native_class;
use crate::builtins::{add_attr, add_fn, check_args};
use crate::runtime::Wake;
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Family {
    V4,
    V6,
}

/// An address as the script wrote it; names are resolved when it is used.
pub struct Addr {
    cls: Option<Rc<ClassObj>>,
    pub family: Family,
    pub host: String,
    pub port: u16,
}

impl NativeObject for Addr {
    fn type_name(&self) -> &str {
        match self.family {
            Family::V4 => "ipv4addr",
            Family::V6 => "ipv6addr",
        }
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        self.cls.clone()
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        Ok(Some(format!(
            "{}({}, {})",
            self.type_name(),
            crate::vm::repr::str_repr(&self.host),
            self.port
        )))
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "host" => Some(Value::str(&self.host)),
            "port" => Some(Value::Int(self.port as i64)),
            _ => None,
        })
    }
}

pub fn install(vm: &mut Vm, m: &Rc<ModuleObj>) {
    add_fn(vm, m, "ipv4addr", ipv4addr);
    add_fn(vm, m, "ipv6addr", ipv6addr);
    crate::builtins::mod_con::add_switching_fn(vm, m, "resolve", resolve);
}

/// `resolve@(addr)`: the addresses a name stands for, as a list of
/// `ipv4addr`/`ipv6addr` of the same family holding IP literals. A name
/// that needs the system resolver is looked up on a worker thread, so
/// other threads run meanwhile.
fn resolve(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("resolve", args, 1, 1)?;
    let a = addresses(vm, &args[0], "resolve")?;
    vm.begin_switch("resolve")?;
    if let Some(list) = a.literal() {
        return Ok(addr_list(vm, a.family, &list));
    }
    let (host, port, family) = (a.host.clone(), a.port, a.family);
    Err(vm.park_job(
        "resolve",
        Some(args[0].clone()),
        Box::new(move || {
            let query = Addr {
                cls: None,
                family,
                host: host.clone(),
                port,
            };
            let found = query.lookup();
            Box::new(move |vm: &mut Vm| match found {
                Ok(list) => Wake::Handoff(addr_list(vm, family, &list)),
                Err(e) => {
                    let e = Error::new(
                        crate::vm::error::ExcType::OSError,
                        format!("cannot resolve {}: {e}", crate::vm::repr::str_repr(&host)),
                    );
                    crate::runtime::io::wake_error(vm, e)
                }
            })
        }),
    ))
}

fn addr_list(vm: &mut Vm, family: Family, list: &[SocketAddr]) -> Value {
    let cls = addr_class(vm, family);
    Value::list(
        list.iter()
            .map(|sa| {
                Value::object(Addr {
                    cls: Some(cls.clone()),
                    family,
                    host: sa.ip().to_string(),
                    port: sa.port(),
                })
            })
            .collect(),
    )
}

fn addr_class(vm: &mut Vm, family: Family) -> Rc<ClassObj> {
    let (key, name) = match family {
        Family::V4 => ("con.ipv4addr", "ipv4addr"),
        Family::V6 => ("con.ipv6addr", "ipv6addr"),
    };
    native_class(vm, key, "con", name, None, Builtin::Object, |vm, c| {
        add_attr(vm, c, "__doc__", Value::None);
    })
}

fn ipv4addr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    make(vm, args, Family::V4)
}

fn ipv6addr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    make(vm, args, Family::V6)
}

fn make(vm: &mut Vm, args: &[Value], family: Family) -> Res<Value> {
    let name = match family {
        Family::V4 => "ipv4addr",
        Family::V6 => "ipv6addr",
    };
    check_args(name, args, 2, 2)?;
    let host = match &args[0] {
        Value::Str(s) => s.as_str().to_string(),
        v => {
            return Err(Error::type_error(format!(
                "{name}() host must be a str, not '{}'",
                v.type_name()
            )))
        }
    };
    let port = port_arg(vm, &args[1], name)?;
    let cls = Some(addr_class(vm, family));
    let a = Addr {
        cls,
        family,
        host,
        port,
    };
    // A literal of the other family is a mistake worth reporting now.
    if let Ok(ip) = a.host.parse::<IpAddr>() {
        if ip.is_ipv4() != (family == Family::V4) {
            return Err(Error::value_error(format!(
                "{name}(): {} is not an {} address",
                crate::vm::repr::str_repr(&a.host),
                if family == Family::V4 { "IPv4" } else { "IPv6" }
            )));
        }
    }
    Ok(Value::object(a))
}

fn port_arg(vm: &mut Vm, v: &Value, name: &str) -> Res<u16> {
    let p = match v {
        Value::Int(_) | Value::Bool(_) | Value::BigInt(_) => vm.index_value(v)?,
        _ => {
            return Err(Error::type_error(format!(
                "{name}() port must be an int, not '{}'",
                v.type_name()
            )))
        }
    };
    u16::try_from(p)
        .map_err(|_| Error::overflow_error(format!("{name}(): port must be 0-65535, not {p}")))
}

impl Addr {
    /// The socket address of an IP literal, "localhost" or "" (any), which
    /// need no lookup.
    pub fn literal(&self) -> Option<Vec<SocketAddr>> {
        let host = self.host.as_str();
        let ip = match (host, self.family) {
            ("", Family::V4) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            ("", Family::V6) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            ("localhost", Family::V4) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            ("localhost", Family::V6) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            _ => host.parse::<IpAddr>().ok()?,
        };
        Some(vec![SocketAddr::new(ip, self.port)])
    }

    /// Asks the system resolver (blocking: run it on a worker thread).
    pub fn lookup(&self) -> std::io::Result<Vec<SocketAddr>> {
        let found: Vec<SocketAddr> = (self.host.as_str(), self.port)
            .to_socket_addrs()?
            .filter(|a| a.is_ipv4() == (self.family == Family::V4))
            .collect();
        if found.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("no {} address", self.type_name()),
            ));
        }
        Ok(found)
    }

    /// The socket addresses this names (`resolve@` has already turned
    /// names into literals for `tcplisten@` and `tcpconnect@`).
    pub fn resolve(&self) -> std::io::Result<Vec<SocketAddr>> {
        match self.literal() {
            Some(list) => Ok(list),
            None => self.lookup(),
        }
    }
}

/// The addresses named by [v]: an `ipv4addr`/`ipv6addr`, or a
/// `(host, port)` tuple as `peer` and `local` give.
pub fn addresses(vm: &mut Vm, v: &Value, name: &str) -> Res<Addr> {
    if let Some(a) = downcast::<Addr>(v) {
        return Ok(Addr {
            cls: None,
            family: a.family,
            host: a.host.clone(),
            port: a.port,
        });
    }
    if let Value::Tuple(t) = v {
        if let [Value::Str(h), p] = &t.items[..] {
            let port = port_arg(vm, p, name)?;
            let host = h.as_str().to_string();
            let family = match host.parse::<IpAddr>() {
                Ok(IpAddr::V6(_)) => Family::V6,
                _ => Family::V4,
            };
            return Ok(Addr {
                cls: None,
                family,
                host,
                port,
            });
        }
    }
    Err(Error::type_error(format!(
        "{name}(): an address from ipv4addr() or ipv6addr() is required, not '{}'",
        v.type_name()
    )))
}

/// `(host, port)`, as Python's `getpeername()` gives it.
pub fn to_value(a: &SocketAddr) -> Value {
    Value::tuple(vec![
        Value::string(a.ip().to_string()),
        Value::Int(a.port() as i64),
    ])
}
