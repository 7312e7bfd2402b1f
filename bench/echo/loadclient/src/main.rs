//! Closed-loop TCP echo load generator (single-threaded, edge-triggered mio).
//!
//! Load mode:
//!     loadclient --addr 127.0.0.1:PORT --conns C --secs S [--size 64] [--warmup W]
//! opens C connections; each one repeatedly writes a `size`-byte message and
//! waits for the same bytes to come back.  Round trips completed during the
//! warm-up are discarded; then for S seconds every completed round trip is
//! counted and its latency recorded.  Prints one JSON line, e.g.
//!     {"mode":"load","conns":100,"connected":100,"rps":123456.0,"p50_us":..,
//!      "p99_us":..,"errors":0,...}
//!
//! Churn mode:
//!     loadclient --addr 127.0.0.1:PORT --churn N [--batch 100] [--size 64]
//! opens N connections, at most `batch` at a time; each does one round trip
//! and is closed.  Prints {"mode":"churn","churn":N,"ok":..,"errors":..,...}.
//!
//! Only loopback addresses are accepted.  Errors (refused connections,
//! resets, EOF, wrong echo, timeouts) are counted and reported, never fatal.

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::exit;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- arguments

struct Args {
    addr: SocketAddr,
    conns: usize,
    secs: f64,
    size: usize,
    warmup: f64,
    churn: Option<u64>,
    batch: usize,
    connect_timeout: f64,
    timeout: f64,
}

fn usage() -> ! {
    eprintln!(
        "usage: loadclient --addr 127.0.0.1:PORT [--conns C] [--secs S] [--size BYTES] [--warmup W]\n\
         \x20      loadclient --addr 127.0.0.1:PORT --churn N [--batch B] [--size BYTES] [--timeout T]\n\
         options: --connect-timeout SECS (bounded connect retries, default 10)"
    );
    exit(2)
}

fn parse_args() -> Args {
    let mut addr: Option<SocketAddr> = None;
    let mut a = Args {
        addr: "127.0.0.1:0".parse().unwrap(),
        conns: 100,
        secs: 5.0,
        size: 64,
        warmup: 0.0,
        churn: None,
        batch: 100,
        connect_timeout: 10.0,
        timeout: 300.0,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    fn val<T: std::str::FromStr>(argv: &[String], i: usize, name: &str) -> T {
        match argv.get(i + 1).and_then(|s| s.parse().ok()) {
            Some(v) => v,
            None => {
                eprintln!("loadclient: bad or missing value for {}", name);
                usage()
            }
        }
    }
    while i < argv.len() {
        let name = argv[i].as_str();
        match name {
            "--addr" => {
                let s: String = val(&argv, i, name);
                addr = s.to_socket_addrs().ok().and_then(|mut it| it.next());
                if addr.is_none() {
                    eprintln!("loadclient: cannot resolve {}", s);
                    exit(2);
                }
            }
            "--conns" => a.conns = val(&argv, i, name),
            "--secs" => a.secs = val(&argv, i, name),
            "--size" => a.size = val(&argv, i, name),
            "--warmup" => a.warmup = val(&argv, i, name),
            "--churn" => a.churn = Some(val(&argv, i, name)),
            "--batch" => a.batch = val(&argv, i, name),
            "--connect-timeout" => a.connect_timeout = val(&argv, i, name),
            "--timeout" => a.timeout = val(&argv, i, name),
            "-h" | "--help" => usage(),
            _ => {
                eprintln!("loadclient: unknown argument {}", name);
                usage()
            }
        }
        i += 2;
    }
    a.addr = match addr {
        Some(x) => x,
        None => usage(),
    };
    if !a.addr.ip().is_loopback() {
        eprintln!("loadclient: refusing non-loopback address {}", a.addr);
        exit(2);
    }
    let finite = |x: f64| (0.0..86400.0).contains(&x);
    if a.conns == 0
        || a.size == 0
        || a.size > (1 << 20)
        || a.batch == 0
        || !finite(a.secs)
        || !finite(a.warmup)
        || !finite(a.connect_timeout)
        || !finite(a.timeout)
        || a.secs <= 0.0
    {
        eprintln!("loadclient: invalid option value");
        usage();
    }
    a
}

fn raise_nofile_limit() {
    unsafe {
        let mut rl = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) == 0 && rl.rlim_cur < rl.rlim_max {
            rl.rlim_cur = rl.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &rl);
        }
    }
}

// ---------------------------------------------------------------- histogram

/// Log-linear histogram of nanosecond values: exact below 1024 ns, then 512
/// sub-buckets per power of two (relative error < 0.2%).
struct Hist {
    counts: Vec<u64>,
    total: u64,
    max: u64,
    sum: u128,
}

const SUB_BITS: u32 = 9;
const SUB: usize = 1 << SUB_BITS;

impl Hist {
    fn new() -> Hist {
        Hist {
            counts: vec![0; (64 - SUB_BITS as usize) * SUB + SUB],
            total: 0,
            max: 0,
            sum: 0,
        }
    }
    fn index(v: u64) -> usize {
        if v < (2 * SUB) as u64 {
            v as usize
        } else {
            let e = 63 - v.leading_zeros();
            let m = (v >> (e - SUB_BITS)) as usize; // in [SUB, 2*SUB)
            (e - SUB_BITS) as usize * SUB + m
        }
    }
    /// Midpoint of bucket `idx`.
    fn value(idx: usize) -> f64 {
        if idx < 2 * SUB {
            idx as f64
        } else {
            let e = (idx / SUB) as u32 + SUB_BITS - 1;
            let m = (idx % SUB + SUB) as u64;
            let shift = e - SUB_BITS;
            let low = m << shift;
            low as f64 + ((1u64 << shift) as f64 - 1.0) / 2.0
        }
    }
    fn record(&mut self, ns: u64) {
        self.counts[Self::index(ns)] += 1;
        self.total += 1;
        self.sum += ns as u128;
        if ns > self.max {
            self.max = ns;
        }
    }
    /// Value (ns) at quantile q in [0, 1].
    fn quantile(&self, q: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut cum = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            cum += c;
            if cum >= rank {
                return Self::value(i).min(self.max as f64);
            }
        }
        self.max as f64
    }
    fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }
}

/// CPU seconds (user + system) used by this process so far.
fn cpu_secs() -> f64 {
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut ru) != 0 {
            return 0.0;
        }
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        tv(ru.ru_utime) + tv(ru.ru_stime)
    }
}

fn us(ns: f64) -> String {
    format!("{:.1}", ns / 1000.0)
}

// ---------------------------------------------------------------- helpers

fn fill_message(buf: &mut [u8], conn: u64, seq: u64) {
    let mut x = conn.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seq.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    for b in buf.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = (x >> 24) as u8;
    }
}

/// Blocking connect with bounded retries (for a server that is just starting).
fn connect_retry(addr: SocketAddr, deadline: Instant) -> io::Result<std::net::TcpStream> {
    let mut delay = Duration::from_millis(10);
    loop {
        let now = Instant::now();
        let left = deadline.saturating_duration_since(now);
        let attempt = left
            .min(Duration::from_secs(5))
            .max(Duration::from_millis(100));
        match std::net::TcpStream::connect_timeout(&addr, attempt) {
            Ok(s) => return Ok(s),
            Err(e) => {
                if Instant::now() + delay >= deadline {
                    return Err(e);
                }
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_millis(200));
            }
        }
    }
}

#[derive(Default)]
struct Errors {
    connect: u64,
    io: u64,
    eof: u64,
    mismatch: u64,
    timeout: u64,
}

impl Errors {
    fn total(&self) -> u64 {
        self.connect + self.io + self.eof + self.mismatch + self.timeout
    }
    fn json(&self) -> String {
        format!(
            "\"errors\":{},\"connect_errors\":{},\"io_errors\":{},\"eof_errors\":{},\"mismatch_errors\":{},\"timeout_errors\":{}",
            self.total(),
            self.connect,
            self.io,
            self.eof,
            self.mismatch,
            self.timeout
        )
    }
}

enum Step {
    Pending,
    Done,
    Failed,
}

/// Write the unsent part of `out`. Returns Pending when the socket is full.
fn pump_write(sock: &mut TcpStream, out: &[u8], sent: &mut usize, errs: &mut Errors) -> Step {
    while *sent < out.len() {
        match sock.write(&out[*sent..]) {
            Ok(0) => {
                errs.io += 1;
                return Step::Failed;
            }
            Ok(n) => *sent += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Pending,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                errs.io += 1;
                return Step::Failed;
            }
        }
    }
    Step::Done
}

/// Read until `inb` is full (Done), the socket is drained (Pending), or error.
/// Stopping as soon as the message is complete is fine with edge triggering:
/// in a closed loop nothing more arrives until we send the next message, and
/// that arrival raises a new edge.
fn pump_read(sock: &mut TcpStream, inb: &mut [u8], recvd: &mut usize, errs: &mut Errors) -> Step {
    while *recvd < inb.len() {
        match sock.read(&mut inb[*recvd..]) {
            Ok(0) => {
                errs.eof += 1;
                return Step::Failed;
            }
            Ok(n) => *recvd += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Pending,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                errs.io += 1;
                return Step::Failed;
            }
        }
    }
    Step::Done
}

// ---------------------------------------------------------------- load mode

struct Conn {
    sock: TcpStream,
    out: Vec<u8>,
    inb: Vec<u8>,
    sent: usize,
    recvd: usize,
    seq: u64,
    start: Instant,
    alive: bool,
    idle: bool,
}

fn run_load(a: &Args) -> i32 {
    let mut errs = Errors::default();
    let poll = Poll::new();
    let mut poll = match poll {
        Ok(p) => p,
        Err(e) => {
            eprintln!("loadclient: poll: {}", e);
            return 1;
        }
    };
    let mut conns: Vec<Conn> = Vec::with_capacity(a.conns);
    let connect_deadline = Instant::now() + Duration::from_secs_f64(a.connect_timeout);
    for _ in 0..a.conns {
        match connect_retry(a.addr, connect_deadline) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                if s.set_nonblocking(true).is_err() {
                    errs.connect += 1;
                    continue;
                }
                let mut sock = TcpStream::from_std(s);
                let tok = Token(conns.len());
                if poll
                    .registry()
                    .register(&mut sock, tok, Interest::READABLE | Interest::WRITABLE)
                    .is_err()
                {
                    errs.connect += 1;
                    continue;
                }
                conns.push(Conn {
                    sock,
                    out: vec![0; a.size],
                    inb: vec![0; a.size],
                    sent: 0,
                    recvd: 0,
                    seq: 0,
                    start: Instant::now(),
                    alive: true,
                    idle: false,
                });
            }
            Err(e) => {
                errs.connect += 1;
                if errs.connect == 1 {
                    eprintln!("loadclient: connect to {} failed: {}", a.addr, e);
                }
            }
        }
    }
    let connected = conns.len();

    let mut hist = Hist::new();
    let t0 = Instant::now();
    let warm_end = t0 + Duration::from_secs_f64(a.warmup);
    let end = warm_end + Duration::from_secs_f64(a.secs);
    let mut alive = connected;
    let mut warm_completed = 0u64;

    // Kick off the first round trip on every connection.
    for (i, c) in conns.iter_mut().enumerate() {
        fill_message(&mut c.out, i as u64, 0);
        c.start = Instant::now();
        if let Step::Failed = pump_write(&mut c.sock, &c.out, &mut c.sent, &mut errs) {
            c.alive = false;
            alive -= 1;
        }
    }

    let mut events = Events::with_capacity(1024);
    let mut cpu_at_warm_end: Option<f64> = if a.warmup > 0.0 {
        None
    } else {
        Some(cpu_secs())
    };
    loop {
        let now = Instant::now();
        if cpu_at_warm_end.is_none() && now >= warm_end {
            cpu_at_warm_end = Some(cpu_secs());
        }
        if now >= end || alive == 0 {
            break;
        }
        let wait = (end - now).min(Duration::from_millis(100));
        if let Err(e) = poll.poll(&mut events, Some(wait)) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            eprintln!("loadclient: poll: {}", e);
            break;
        }
        for ev in events.iter() {
            let i = ev.token().0;
            let c = match conns.get_mut(i) {
                Some(c) => c,
                None => continue,
            };
            if !c.alive || c.idle {
                continue;
            }
            let mut failed = false;
            if c.sent < a.size {
                if let Step::Failed = pump_write(&mut c.sock, &c.out, &mut c.sent, &mut errs) {
                    failed = true;
                }
            }
            // Loop: a completed round trip immediately starts the next one.
            while !failed {
                match pump_read(&mut c.sock, &mut c.inb, &mut c.recvd, &mut errs) {
                    Step::Pending => break,
                    Step::Failed => failed = true,
                    Step::Done => {
                        let t = Instant::now();
                        if c.inb != c.out || c.sent < a.size {
                            errs.mismatch += 1;
                            failed = true;
                            break;
                        }
                        if t >= warm_end {
                            if t < end {
                                hist.record((t - c.start).as_nanos() as u64);
                            }
                        } else {
                            warm_completed += 1;
                        }
                        if t >= end {
                            c.idle = true;
                            break;
                        }
                        c.seq += 1;
                        fill_message(&mut c.out, i as u64, c.seq);
                        c.sent = 0;
                        c.recvd = 0;
                        c.start = t;
                        match pump_write(&mut c.sock, &c.out, &mut c.sent, &mut errs) {
                            Step::Failed => failed = true,
                            _ => break, // wait for the echo's edge
                        }
                    }
                }
            }
            if failed {
                c.alive = false;
                alive -= 1;
                let _ = poll.registry().deregister(&mut c.sock);
            }
        }
    }
    let measured = Instant::now()
        .min(end)
        .saturating_duration_since(warm_end)
        .as_secs_f64();
    let measured = if measured > 1e-3 { measured } else { a.secs };
    let rps = hist.total as f64 / measured;
    // Fraction of one core this client used during the measured window: near
    // 1.0 means the client, not the server, may be the bottleneck.
    let client_cpu = match cpu_at_warm_end {
        Some(c) if hist.total > 0 => (cpu_secs() - c) / measured,
        _ => 0.0,
    };
    println!(
        "{{\"mode\":\"load\",\"conns\":{},\"connected\":{},\"alive_at_end\":{},\"size\":{},\"secs\":{:.3},\"warmup\":{},\"warmup_round_trips\":{},\"round_trips\":{},\"rps\":{:.1},\"mean_us\":{},\"p50_us\":{},\"p90_us\":{},\"p99_us\":{},\"p999_us\":{},\"max_us\":{},\"client_cpu\":{:.3},{}}}",
        a.conns,
        connected,
        alive,
        a.size,
        measured,
        a.warmup,
        warm_completed,
        hist.total,
        rps,
        us(hist.mean()),
        us(hist.quantile(0.50)),
        us(hist.quantile(0.90)),
        us(hist.quantile(0.99)),
        us(hist.quantile(0.999)),
        us(hist.max as f64),
        client_cpu,
        errs.json()
    );
    if hist.total == 0 {
        1
    } else {
        0
    }
}

// ---------------------------------------------------------------- churn mode

enum Phase {
    Connecting,
    Echo,
}

struct Slot {
    sock: TcpStream,
    phase: Phase,
    out: Vec<u8>,
    inb: Vec<u8>,
    sent: usize,
    recvd: usize,
    deadline: Instant,
}

fn run_churn(a: &Args, n: u64) -> i32 {
    let mut errs = Errors::default();
    let mut poll = match Poll::new() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("loadclient: poll: {}", e);
            return 1;
        }
    };
    let per_conn = Duration::from_secs(10);
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(a.timeout);
    let mut slots: Vec<Option<Slot>> = (0..a.batch).map(|_| None).collect();
    let mut free: Vec<usize> = (0..a.batch).rev().collect();
    let mut started = 0u64;
    let mut ok = 0u64;
    let mut active = 0usize;
    let mut hist = Hist::new();
    let mut events = Events::with_capacity(1024);
    let mut timed_out = false;
    let mut first_err_reported = false;

    // Before churning, make sure the server is up (bounded retries).
    match connect_retry(a.addr, t0 + Duration::from_secs_f64(a.connect_timeout)) {
        Ok(s) => drop(s),
        Err(e) => {
            eprintln!("loadclient: connect to {} failed: {}", a.addr, e);
        }
    }

    loop {
        // Fill free slots with new connections.
        while started < n && !free.is_empty() {
            let idx = *free.last().unwrap();
            started += 1;
            match TcpStream::connect(a.addr) {
                Ok(mut sock) => {
                    if poll
                        .registry()
                        .register(
                            &mut sock,
                            Token(idx),
                            Interest::READABLE | Interest::WRITABLE,
                        )
                        .is_err()
                    {
                        errs.connect += 1;
                        continue;
                    }
                    let mut out = vec![0u8; a.size];
                    fill_message(&mut out, started, 0);
                    free.pop();
                    slots[idx] = Some(Slot {
                        sock,
                        phase: Phase::Connecting,
                        out,
                        inb: vec![0u8; a.size],
                        sent: 0,
                        recvd: 0,
                        deadline: Instant::now() + per_conn,
                    });
                    active += 1;
                }
                Err(e) => {
                    errs.connect += 1;
                    if !first_err_reported {
                        first_err_reported = true;
                        eprintln!("loadclient: connect failed: {}", e);
                    }
                    // e.g. EADDRNOTAVAIL (ephemeral ports exhausted): back off a little.
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
        if active == 0 && started >= n {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            timed_out = true;
            break;
        }
        if let Err(e) = poll.poll(
            &mut events,
            Some((deadline - now).min(Duration::from_millis(50))),
        ) {
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            eprintln!("loadclient: poll: {}", e);
            break;
        }
        let mut finished: Vec<(usize, bool)> = Vec::new();
        for ev in events.iter() {
            let idx = ev.token().0;
            let s = match slots.get_mut(idx).and_then(|s| s.as_mut()) {
                Some(s) => s,
                None => continue,
            };
            if let Phase::Connecting = s.phase {
                if let Ok(Some(_)) | Err(_) = s.sock.take_error() {
                    errs.connect += 1;
                    finished.push((idx, false));
                    continue;
                }
                match s.sock.peer_addr() {
                    Ok(_) => s.phase = Phase::Echo,
                    Err(e) if e.kind() == ErrorKind::NotConnected => {
                        if ev.is_error() || ev.is_write_closed() {
                            errs.connect += 1;
                            finished.push((idx, false));
                        }
                        continue;
                    }
                    Err(_) => {
                        errs.connect += 1;
                        finished.push((idx, false));
                        continue;
                    }
                }
            }
            let mut step = pump_write(&mut s.sock, &s.out, &mut s.sent, &mut errs);
            if let Step::Failed = step {
                finished.push((idx, false));
                continue;
            }
            if s.sent > 0 {
                step = pump_read(&mut s.sock, &mut s.inb, &mut s.recvd, &mut errs);
            }
            match step {
                Step::Failed => finished.push((idx, false)),
                Step::Done if s.sent == s.out.len() => {
                    if s.inb == s.out {
                        hist.record((Instant::now() + per_conn - s.deadline).as_nanos() as u64);
                        finished.push((idx, true));
                    } else {
                        errs.mismatch += 1;
                        finished.push((idx, false));
                    }
                }
                _ => {}
            }
        }
        let now = Instant::now();
        for (idx, slot) in slots.iter().enumerate() {
            if let Some(s) = slot {
                if now >= s.deadline {
                    errs.timeout += 1;
                    finished.push((idx, false));
                }
            }
        }
        for (idx, good) in finished {
            if let Some(mut s) = slots[idx].take() {
                let _ = poll.registry().deregister(&mut s.sock);
                drop(s);
                free.push(idx);
                active -= 1;
                if good {
                    ok += 1;
                }
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "{{\"mode\":\"churn\",\"churn\":{},\"started\":{},\"ok\":{},\"batch\":{},\"secs\":{:.3},\"conns_per_sec\":{:.1},\"p50_us\":{},\"p99_us\":{},\"timed_out\":{},{}}}",
        n,
        started,
        ok,
        a.batch,
        secs,
        ok as f64 / secs.max(1e-9),
        us(hist.quantile(0.50)),
        us(hist.quantile(0.99)),
        timed_out,
        errs.json()
    );
    if ok == n {
        0
    } else {
        1
    }
}

fn main() {
    let a = parse_args();
    raise_nofile_limit();
    let code = match a.churn {
        Some(n) => run_churn(&a, n),
        None => run_load(&a),
    };
    exit(code)
}
