//! The `time` module: clocks, a blocking `sleep`, and the calendar
//! functions on top of the C library (as CPython does, so `strftime`
//! and `localtime` agree with it).

use std::os::raw::{c_char, c_int, c_long};
use std::rc::Rc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::mod_math::to_float;
use super::{add_fn, add_method, check_args};
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

#[repr(C)]
#[derive(Clone, Copy)]
struct Tm {
    tm_sec: c_int,
    tm_min: c_int,
    tm_hour: c_int,
    tm_mday: c_int,
    tm_mon: c_int,
    tm_year: c_int,
    tm_wday: c_int,
    tm_yday: c_int,
    tm_isdst: c_int,
    tm_gmtoff: c_long,
    tm_zone: *const c_char,
}

#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: c_long,
}

extern "C" {
    fn localtime_r(t: *const i64, out: *mut Tm) -> *mut Tm;
    fn gmtime_r(t: *const i64, out: *mut Tm) -> *mut Tm;
    fn mktime(tm: *mut Tm) -> i64;
    fn strftime(s: *mut c_char, max: usize, format: *const c_char, tm: *const Tm) -> usize;
    fn clock_gettime(clk: c_int, ts: *mut Timespec) -> c_int;
    fn tzset();
}

const CLOCK_MONOTONIC: c_int = 1;
const CLOCK_PROCESS_CPUTIME_ID: c_int = 2;

fn empty_tm() -> Tm {
    Tm {
        tm_sec: 0,
        tm_min: 0,
        tm_hour: 0,
        tm_mday: 0,
        tm_mon: 0,
        tm_year: 0,
        tm_wday: 0,
        tm_yday: 0,
        tm_isdst: 0,
        tm_gmtoff: 0,
        tm_zone: std::ptr::null(),
    }
}

fn clock_ns(clk: c_int) -> i128 {
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer for the duration of the call.
    let r = unsafe { clock_gettime(clk, &mut ts) };
    if r != 0 {
        return 0;
    }
    ts.tv_sec as i128 * 1_000_000_000 + ts.tv_nsec as i128
}

fn wall_ns() -> i128 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

fn ns_value(ns: i128) -> Value {
    Value::bigint(num_bigint::BigInt::from(ns))
}

fn t_time(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::float(wall_ns() as f64 / 1e9))
}
fn t_time_ns(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(ns_value(wall_ns()))
}

thread_local! {
    static START: Instant = Instant::now();
}

fn mono_ns() -> i128 {
    let ns = clock_ns(CLOCK_MONOTONIC);
    if ns != 0 {
        return ns;
    }
    START.with(|s| s.elapsed().as_nanos() as i128)
}

fn t_monotonic(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::float(mono_ns() as f64 / 1e9))
}
fn t_monotonic_ns(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(ns_value(mono_ns()))
}
fn t_process_time(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::float(
        clock_ns(CLOCK_PROCESS_CPUTIME_ID) as f64 / 1e9,
    ))
}
fn t_process_time_ns(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(ns_value(clock_ns(CLOCK_PROCESS_CPUTIME_ID)))
}

fn t_sleep(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("sleep", args, 1, 1)?;
    let s = match &args[0] {
        Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::BigInt(_) => {
            to_float(vm, &args[0])?
        }
        v => {
            return Err(Error::type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                v.type_name()
            )))
        }
    };
    if s.is_nan() {
        return Err(Error::value_error("Invalid value NaN (not a number)"));
    }
    if s < 0.0 {
        return Err(Error::value_error("sleep length must be non-negative"));
    }
    if s > 1e10 {
        return Err(Error::overflow_error("sleep length is too large"));
    }
    vm.flush_out();
    std::thread::sleep(std::time::Duration::from_secs_f64(s));
    Ok(Value::None)
}

fn struct_time_class(vm: &Vm) -> Option<Rc<ClassObj>> {
    match vm.modules.get("time") {
        Some(Value::Module(m)) => match m.get_str("struct_time") {
            Some(Value::Class(c)) => Some(c),
            _ => None,
        },
        _ => None,
    }
}

const FIELDS: [&str; 9] = [
    "tm_year", "tm_mon", "tm_mday", "tm_hour", "tm_min", "tm_sec", "tm_wday", "tm_yday", "tm_isdst",
];

fn tm_to_value(vm: &mut Vm, tm: &Tm, cls: Option<Rc<ClassObj>>) -> Value {
    let vals = [
        tm.tm_year as i64 + 1900,
        tm.tm_mon as i64 + 1,
        tm.tm_mday as i64,
        tm.tm_hour as i64,
        tm.tm_min as i64,
        tm.tm_sec as i64,
        (tm.tm_wday as i64 + 6) % 7,
        tm.tm_yday as i64 + 1,
        tm.tm_isdst as i64,
    ];
    let items: Vec<Value> = vals.iter().map(|&v| Value::Int(v)).collect();
    let Some(cls) = cls else {
        return Value::tuple(items);
    };
    let inst = vm.new_instance(&cls);
    if let Value::Instance(i) = &inst {
        for (name, v) in FIELDS.iter().zip(&items) {
            let s = vm.intern(name);
            i.dict.borrow_mut().insert(s, v.clone());
        }
        let zone = if tm.tm_zone.is_null() {
            Value::None
        } else {
            // SAFETY: tm_zone points at a NUL-terminated static string.
            let z = unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) };
            Value::string(z.to_string_lossy().into_owned())
        };
        let s = vm.intern_static("tm_zone");
        i.dict.borrow_mut().insert(s, zone);
        let s = vm.intern_static("tm_gmtoff");
        i.dict.borrow_mut().insert(s, Value::Int(tm.tm_gmtoff));
        *i.payload.borrow_mut() = Value::tuple(items);
    }
    inst
}

fn seconds_arg(vm: &mut Vm, args: &[Value]) -> Res<i64> {
    match args.first() {
        None | Some(Value::None) => Ok((wall_ns() / 1_000_000_000) as i64),
        Some(v) => {
            let f = to_float(vm, v)?;
            if !f.is_finite() {
                return Err(Error::value_error("Invalid value NaN (not a number)"));
            }
            if f.abs() > 1e17 {
                return Err(Error::overflow_error(
                    "timestamp out of range for platform time_t",
                ));
            }
            Ok(f.floor() as i64)
        }
    }
}

fn convert(vm: &mut Vm, args: &[Value], local: bool) -> Res<Value> {
    let t = seconds_arg(vm, args)?;
    let mut tm = empty_tm();
    // SAFETY: both pointers are valid for the call; the result is checked.
    let r = unsafe {
        if local {
            tzset();
            localtime_r(&t, &mut tm)
        } else {
            gmtime_r(&t, &mut tm)
        }
    };
    if r.is_null() {
        return Err(Error::overflow_error(
            "timestamp out of range for platform time_t",
        ));
    }
    let cls = struct_time_class(vm);
    Ok(tm_to_value(vm, &tm, cls))
}

fn t_gmtime(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("gmtime", args, 0, 1)?;
    convert(vm, args, false)
}
fn t_localtime(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("localtime", args, 0, 1)?;
    convert(vm, args, true)
}

/// A `Tm` from a struct_time or 9-tuple; the current local time if None.
fn tm_from(vm: &mut Vm, v: Option<&Value>) -> Res<Tm> {
    let mut tm = empty_tm();
    let Some(v) = v.filter(|v| !v.is_none()) else {
        let t = (wall_ns() / 1_000_000_000) as i64;
        // SAFETY: valid pointers for the call.
        unsafe {
            tzset();
            localtime_r(&t, &mut tm);
        }
        return Ok(tm);
    };
    let items = vm.iterate(v)?;
    if items.len() != 9 && items.len() != 11 {
        return Err(Error::type_error(
            "function takes exactly 9 arguments (".to_string()
                + &items.len().to_string()
                + " given)",
        ));
    }
    let mut n = [0i64; 9];
    for (i, it) in items.iter().take(9).enumerate() {
        n[i] = vm.index_value(it)?;
    }
    tm.tm_year = (n[0] - 1900) as c_int;
    tm.tm_mon = (n[1] - 1) as c_int;
    tm.tm_mday = n[2] as c_int;
    tm.tm_hour = n[3] as c_int;
    tm.tm_min = n[4] as c_int;
    tm.tm_sec = n[5] as c_int;
    tm.tm_wday = ((n[6] + 1) % 7) as c_int;
    tm.tm_yday = (n[7] - 1) as c_int;
    tm.tm_isdst = n[8] as c_int;
    Ok(tm)
}

fn t_mktime(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("mktime", args, 1, 1)?;
    let mut tm = tm_from(vm, args.first())?;
    tm.tm_wday = -1;
    // SAFETY: tm is a valid, initialised struct.
    let t = unsafe {
        tzset();
        mktime(&mut tm)
    };
    if t == -1 && tm.tm_wday == -1 {
        return Err(Error::overflow_error("mktime argument out of range"));
    }
    Ok(Value::float(t as f64))
}

fn format_tm(fmt: &str, tm: &Tm) -> Res<String> {
    if fmt.is_empty() {
        return Ok(String::new());
    }
    let Ok(cfmt) = std::ffi::CString::new(fmt) else {
        return Err(Error::value_error("embedded null character"));
    };
    let mut size = 256usize;
    loop {
        let mut buf = vec![0u8; size];
        // SAFETY: buf has `size` bytes; cfmt and tm are valid.
        let n = unsafe { strftime(buf.as_mut_ptr() as *mut c_char, size, cfmt.as_ptr(), tm) };
        if n > 0 || size > 256 * fmt.len().max(1) {
            buf.truncate(n);
            return Ok(String::from_utf8_lossy(&buf).into_owned());
        }
        size *= 4;
    }
}

fn t_strftime(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("strftime", args, 1, 2)?;
    let Value::Str(fmt) = &args[0] else {
        return Err(Error::type_error(format!(
            "strftime() argument 1 must be str, not {}",
            args[0].type_name()
        )));
    };
    let tm = tm_from(vm, args.get(1))?;
    Ok(Value::string(format_tm(fmt.as_str(), &tm)?))
}

fn asctime_of(tm: &Tm) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[tm.tm_wday.rem_euclid(7) as usize],
        MONTHS[tm.tm_mon.rem_euclid(12) as usize],
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tm.tm_year as i64 + 1900
    )
}

fn t_asctime(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("asctime", args, 0, 1)?;
    let tm = tm_from(vm, args.first())?;
    Ok(Value::string(asctime_of(&tm)))
}

fn t_ctime(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("ctime", args, 0, 1)?;
    let t = seconds_arg(vm, args)?;
    let mut tm = empty_tm();
    // SAFETY: valid pointers for the call.
    let r = unsafe {
        tzset();
        localtime_r(&t, &mut tm)
    };
    if r.is_null() {
        return Err(Error::overflow_error(
            "timestamp out of range for platform time_t",
        ));
    }
    Ok(Value::string(asctime_of(&tm)))
}

fn struct_time_repr(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let Value::Instance(i) = &args[0] else {
        return Err(Error::type_error("struct_time expected"));
    };
    let mut parts = Vec::new();
    for name in FIELDS {
        let s = vm.intern(name);
        let v = i.dict.borrow().get(&s).cloned().unwrap_or(Value::None);
        parts.push(format!("{name}={}", vm.repr(&v)?));
    }
    Ok(Value::string(format!(
        "time.struct_time({})",
        parts.join(", ")
    )))
}

/// `time.struct_time(seq)`.
fn struct_time_init(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("struct_time", args, 2, 2)?;
    let Value::Instance(i) = &args[0] else {
        return Err(Error::type_error("struct_time expected"));
    };
    let items = vm.iterate(&args[1])?;
    if items.len() < 9 || items.len() > 11 {
        return Err(Error::type_error(format!(
            "time.struct_time() takes an at least 9-sequence ({}-sequence given)",
            items.len()
        )));
    }
    for (name, v) in FIELDS.iter().zip(&items) {
        let s = vm.intern(name);
        i.dict.borrow_mut().insert(s, v.clone());
    }
    *i.payload.borrow_mut() = Value::tuple(items[..9].to_vec());
    Ok(Value::None)
}

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("time", None);
    let fns: &[(&'static str, NativeFnPtr)] = &[
        ("time", t_time),
        ("time_ns", t_time_ns),
        ("monotonic", t_monotonic),
        ("monotonic_ns", t_monotonic_ns),
        ("perf_counter", t_monotonic),
        ("perf_counter_ns", t_monotonic_ns),
        ("process_time", t_process_time),
        ("process_time_ns", t_process_time_ns),
        ("sleep", t_sleep),
        ("gmtime", t_gmtime),
        ("localtime", t_localtime),
        ("mktime", t_mktime),
        ("strftime", t_strftime),
        ("asctime", t_asctime),
        ("ctime", t_ctime),
    ];
    for (name, f) in fns {
        add_fn(vm, &m, name, *f);
    }
    let st = crate::vm::types::new_class(
        "struct_time",
        vec![vm.types.tuple.clone()],
        Builtin::Tuple,
        false,
    );
    add_method(vm, &st, "__repr__", struct_time_repr);
    add_method(vm, &st, "__init__", struct_time_init);
    super::add_attr(vm, &st, "__module__", Value::str("time"));
    m.set_str("struct_time", Value::Class(st));
    // Zone data from the C library, as CPython's init_timezone computes it.
    let mut jan = empty_tm();
    let mut jul = empty_tm();
    let year_start: i64 = (wall_ns() / 1_000_000_000) as i64 / (365 * 86400) * (365 * 86400);
    // SAFETY: valid pointers for the calls.
    unsafe {
        tzset();
        localtime_r(&year_start, &mut jan);
        let mid = year_start + 182 * 86400;
        localtime_r(&mid, &mut jul);
    }
    let zone = |tm: &Tm| {
        if tm.tm_zone.is_null() {
            String::new()
        } else {
            // SAFETY: tm_zone points at a NUL-terminated static string.
            unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
                .to_string_lossy()
                .into_owned()
        }
    };
    let (std_tm, dst_tm) = if jan.tm_gmtoff <= jul.tm_gmtoff {
        (&jan, &jul)
    } else {
        (&jul, &jan)
    };
    m.set_str("timezone", Value::Int(-std_tm.tm_gmtoff));
    m.set_str("altzone", Value::Int(-dst_tm.tm_gmtoff));
    m.set_str(
        "daylight",
        Value::Int((jan.tm_gmtoff != jul.tm_gmtoff) as i64),
    );
    m.set_str(
        "tzname",
        Value::tuple(vec![
            Value::string(zone(std_tm)),
            Value::string(zone(dst_tm)),
        ]),
    );
    m
}
