//! Subprocesses: `run@(argv, input=None)` → `(status, stdout, stderr)`.
//!
//! The child's pipes are registered with the poll loop and the calling
//! thread parks one operation on each pipe still open. Whichever pipe
//! becomes ready, the operation moves bytes on all of them (feeds the
//! input, drains both outputs), so a child that fills its stdout and
//! stderr while we still feed its stdin never deadlocks. A pipe at its
//! end is released at once. When none is left the child is reaped: at
//! once if it has exited, else by a worker job that polls for its exit.
//!
//! An interrupted `run@` drops the process object (its operations and
//! the thread's wait were the only references), and dropping a process
//! whose child was not reaped kills it with SIGKILL and reaps it.

use std::cell::{Cell, RefCell};
use std::ffi::OsString;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mio::event::Source;
use mio::unix::pipe::{Receiver, Sender};

use super::registry::{self, Dir, IoOp, Waiting};
use super::wake_error;
use crate::builtins::mod_con::add_switching_fn;
use crate::builtins::mod_io::os_error;
use crate::builtins::stdlib_data::native_class;
use crate::builtins::{add_attr, arg_or_kw};
use crate::runtime::{Tid, Wake};
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

/// Bytes asked of one `read(2)` of an output pipe.
const CHUNK: usize = 65536;
/// Bytes moved on one pipe per step. A step that used it all re-arms
/// the pipe instead of going on, so a child that writes (or reads) as
/// fast as we can keep up does not starve the other threads.
const BUDGET: usize = 4 * CHUNK;

pub fn install(vm: &mut Vm, m: &Rc<ModuleObj>) {
    add_switching_fn(vm, m, "run", run);
}

/// The child, shared with the worker job that waits for its exit; None
/// once it has been reaped (a reaped pid must never be signalled).
type Shared = Arc<Mutex<Option<Child>>>;

fn lock(c: &Shared) -> MutexGuard<'_, Option<Child>> {
    c.lock().unwrap_or_else(|p| p.into_inner())
}

/// A pipe and its registry slot; None once closed.
type Pipe<S> = RefCell<Option<(S, usize)>>;

pub struct Proc {
    cls: Rc<ClassObj>,
    pid: u32,
    program: String,
    child: Shared,
    stdin: Pipe<Sender>,
    input: Rc<Vec<u8>>,
    sent: Cell<usize>,
    stdout: Pipe<Receiver>,
    stderr: Pipe<Receiver>,
    /// What came out, in chunks: one copy at the end instead of one per
    /// doubling of a growing buffer.
    out: Chunks,
    err: Chunks,
}

type Chunks = RefCell<Vec<Vec<u8>>>;

fn take_chunks(c: &Chunks) -> Vec<Vec<u8>> {
    std::mem::take(&mut *c.borrow_mut())
}

fn concat(chunks: Vec<Vec<u8>>) -> Vec<u8> {
    match <[Vec<u8>; 1]>::try_from(chunks) {
        Ok([one]) => one,
        Err(chunks) => chunks.concat(),
    }
}

/// Closes [pipe]: its slot is released and the operations still parked
/// there (this thread's own, on another pipe's behalf) are dropped.
fn close_pipe<S: Source>(pipe: &Pipe<S>) {
    let taken = pipe.borrow_mut().take();
    if let Some((mut src, slot)) = taken {
        let parked = registry::release(slot, Some(&mut src));
        drop(src);
        drop(parked);
    }
}

fn slot_of<S>(pipe: &Pipe<S>) -> Option<usize> {
    pipe.borrow().as_ref().map(|(_, s)| *s)
}

/// The status as Python's `returncode`: the exit code, or minus the
/// signal that killed the child.
fn status_code(s: ExitStatus) -> i64 {
    match (s.code(), s.signal()) {
        (Some(c), _) => c as i64,
        (None, Some(sig)) => -(sig as i64),
        (None, None) => -1,
    }
}

fn result(status: i64, out: Vec<u8>, err: Vec<u8>) -> Value {
    Value::tuple(vec![
        Value::Int(status),
        Value::bytes(out),
        Value::bytes(err),
    ])
}

thread_local! {
    /// Reads land here first, so a short read allocates only its bytes.
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; CHUNK]);
}

impl Proc {
    pub fn slots(&self) -> Vec<usize> {
        [
            slot_of(&self.stdin),
            slot_of(&self.stdout),
            slot_of(&self.stderr),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The open pipes' slots and the readiness each waits for.
    fn waits(&self) -> Vec<(usize, Dir)> {
        let mut w = Vec::new();
        if let Some(s) = slot_of(&self.stdin) {
            w.push((s, Dir::Write));
        }
        for p in [&self.stdout, &self.stderr] {
            if let Some(s) = slot_of(p) {
                w.push((s, Dir::Read));
            }
        }
        w
    }

    /// Moves what can be moved without blocking on every open pipe;
    /// true once all of them are closed.
    fn progress(&self) -> std::io::Result<bool> {
        self.feed()?;
        drain(&self.stdout, &self.out)?;
        drain(&self.stderr, &self.err)?;
        Ok(self.slots().is_empty())
    }

    /// Writes the input until done (then closes stdin) or it would block.
    fn feed(&self) -> std::io::Result<()> {
        let done = {
            let mut g = self.stdin.borrow_mut();
            let Some((s, slot)) = g.as_mut() else {
                return Ok(());
            };
            let mut off = self.sent.get();
            let stop = off.saturating_add(BUDGET);
            let r = loop {
                let Some(rest) = self.input.get(off..).filter(|r| !r.is_empty()) else {
                    break Ok(true);
                };
                if off >= stop {
                    rearm(s, *slot, true);
                    break Ok(false);
                }
                match s.write(rest) {
                    Ok(0) => break Ok(true),
                    Ok(k) => off += k,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break Ok(false),
                    // The child stopped reading: like Python's
                    // communicate(), the rest of the input is dropped.
                    Err(e) if e.kind() == ErrorKind::BrokenPipe => break Ok(true),
                    Err(e) => break Err(e),
                }
            };
            self.sent.set(off);
            r?
        };
        if done {
            close_pipe(&self.stdin);
        }
        Ok(())
    }

    /// Reaps the child if it has exited.
    fn try_reap(&self) -> std::io::Result<Option<i64>> {
        let mut g = lock(&self.child);
        let Some(c) = g.as_mut() else {
            return Err(std::io::Error::from_raw_os_error(10)); // ECHILD
        };
        let st = c.try_wait()?;
        if st.is_some() {
            *g = None;
        }
        Ok(st.map(status_code))
    }

    /// Pipes are all closed but the child has not exited yet: a worker
    /// waits for it and wakes thread (tid, token) with the result.
    fn wait_exit(&self, tid: Tid, token: u64) {
        let child = self.child.clone();
        let out = take_chunks(&self.out);
        let err = take_chunks(&self.err);
        registry::submit(
            tid,
            token,
            Box::new(move || {
                let status = poll_exit(&child);
                let (out, err) = (concat(out), concat(err));
                Box::new(move |vm: &mut Vm| match status {
                    Ok(st) => Wake::Handoff(result(st, out, err)),
                    Err(e) => {
                        let e = os_error(vm, &e, None, None);
                        wake_error(vm, e)
                    }
                })
            }),
        );
    }

    /// One step of the parked `run@`: Some(wake) once it has finished.
    fn step(&self, vm: &mut Vm, tid: Tid, token: u64) -> Option<Wake> {
        let r = match self.progress() {
            Ok(false) => return None,
            Ok(true) => self.try_reap(),
            Err(e) => Err(e),
        };
        match r {
            Ok(Some(st)) => Some(Wake::Handoff(self.result(st))),
            Ok(None) => {
                // Every slot was released, so this operation is not put
                // back: the job's completion wakes the thread.
                self.wait_exit(tid, token);
                None
            }
            Err(e) => {
                self.close_all();
                let e = os_error(vm, &e, None, None);
                Some(wake_error(vm, e))
            }
        }
    }

    fn result(&self, status: i64) -> Value {
        let out = concat(take_chunks(&self.out));
        let err = concat(take_chunks(&self.err));
        result(status, out, err)
    }

    fn close_all(&self) {
        close_pipe(&self.stdin);
        close_pipe(&self.stdout);
        close_pipe(&self.stderr);
    }
}

/// Reads [pipe] into [chunks] until it would block or the step's budget
/// is spent; closes the pipe at its end.
fn drain(pipe: &Pipe<Receiver>, chunks: &Chunks) -> std::io::Result<()> {
    let mut moved = 0;
    loop {
        let mut g = pipe.borrow_mut();
        let Some((r, slot)) = g.as_mut() else {
            return Ok(());
        };
        if moved >= BUDGET {
            rearm(r, *slot, false);
            return Ok(());
        }
        let got = SCRATCH.with(|b| {
            let mut b = b.borrow_mut();
            let k = r.read(&mut b[..])?;
            if k > 0 {
                chunks.borrow_mut().push(b[..k].to_vec());
            }
            Ok::<usize, std::io::Error>(k)
        });
        match got {
            Ok(0) => {
                drop(g);
                close_pipe(pipe);
                return Ok(());
            }
            Ok(k) => moved += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Asks the poll loop to report [src] again although it was not drained:
/// re-registering a ready descriptor queues a fresh edge, so the step is
/// retried in the poll of the next scheduling round.
fn rearm<S: Source>(src: &mut S, slot: usize, write: bool) {
    let _ = registry::watch_writable(slot, src, write);
}

/// On a worker: polls until the child exits and reaps it. Fails with
/// ECHILD if the process object killed and took the child meanwhile.
fn poll_exit(child: &Shared) -> std::io::Result<i64> {
    let mut pause = Duration::from_micros(50);
    loop {
        {
            let mut g = lock(child);
            let Some(c) = g.as_mut() else {
                return Err(std::io::Error::from_raw_os_error(10));
            };
            if let Some(st) = c.try_wait()? {
                *g = None;
                return Ok(status_code(st));
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Kills a child nobody waits for any more and reaps it; one that does
/// not die at once is left to a thread of its own, never as a zombie.
fn kill_and_reap(mut c: Child) {
    let _ = c.kill();
    let mut pause = Duration::from_micros(20);
    for _ in 0..12 {
        if !matches!(c.try_wait(), Ok(None)) {
            return;
        }
        std::thread::sleep(pause);
        pause *= 2;
    }
    let _ = std::thread::Builder::new()
        .name("con-reap".into())
        .spawn(move || {
            let _ = c.wait();
        });
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.close_all();
        let child = lock(&self.child).take();
        if let Some(c) = child {
            kill_and_reap(c);
        }
    }
}

impl NativeObject for Proc {
    fn type_name(&self) -> &str {
        "Process"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        Ok(Some(format!(
            "<Process {} {}>",
            self.pid,
            crate::vm::repr::str_repr(&self.program)
        )))
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "pid" => Some(Value::Int(self.pid as i64)),
            _ => None,
        })
    }
}

fn proc_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "con.Process",
        "con",
        "Process",
        None,
        Builtin::Object,
        |vm, c| add_attr(vm, c, "__doc__", Value::None),
    )
}

/// The program and its arguments: a list or tuple of str (or bytes).
fn argv_arg(v: &Value) -> Res<Vec<OsString>> {
    let payload = crate::vm::ops::payload_of(v);
    let items: Vec<Value> = match payload.as_ref().unwrap_or(v) {
        Value::List(l) => l.items.borrow().clone(),
        Value::Tuple(t) => t.items.to_vec(),
        _ => {
            return Err(Error::type_error(format!(
                "run@(): argv must be a list or tuple of str, not '{}'",
                v.type_name()
            )))
        }
    };
    if items.is_empty() {
        return Err(Error::value_error("run@(): argv must not be empty"));
    }
    let mut out = Vec::with_capacity(items.len());
    for it in &items {
        let payload = crate::vm::ops::payload_of(it);
        let bytes: &[u8] = match payload.as_ref().unwrap_or(it) {
            Value::Str(s) => s.as_str().as_bytes(),
            Value::Bytes(b) => b,
            _ => {
                return Err(Error::type_error(format!(
                    "run@(): argv items must be str or bytes, not '{}'",
                    it.type_name()
                )))
            }
        };
        if bytes.contains(&0) {
            return Err(Error::value_error("embedded null byte"));
        }
        out.push(std::ffi::OsStr::from_bytes(bytes).to_os_string());
    }
    Ok(out)
}

fn input_arg(v: Option<&Value>) -> Res<Option<Rc<Vec<u8>>>> {
    let payload = v.and_then(crate::vm::ops::payload_of);
    Ok(match payload.as_ref().or(v) {
        None | Some(Value::None) => None,
        Some(Value::Bytes(b)) => Some(b.clone()),
        Some(Value::ByteArray(b)) => Some(Rc::new(b.borrow().clone())),
        Some(Value::Str(s)) => Some(Rc::new(s.as_str().as_bytes().to_vec())),
        Some(v) => {
            return Err(Error::type_error(format!(
                "run@(): input must be bytes or str, not '{}'",
                v.type_name()
            )))
        }
    })
}

/// Registers a child pipe (non-blocking) with the poll loop.
fn open_pipe<S: Source>(
    src: S,
    nonblock: impl Fn(&S) -> std::io::Result<()>,
    write: bool,
) -> std::io::Result<(S, usize)> {
    let mut src = src;
    nonblock(&src)?;
    let slot = registry::register(&mut src, write)?;
    Ok((src, slot))
}

fn op(me: Value, tid: Tid, token: u64) -> IoOp {
    Box::new(move |vm: &mut Vm| downcast::<Proc>(&me)?.step(vm, tid, token))
}

/// `run@(argv, input=None)`: runs a program to its end. `input` (bytes,
/// or str sent as UTF-8) is written to its stdin, then stdin is closed;
/// without it the child shares con's stdin, as in Python.
fn run(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    for (k, _) in kw {
        if !matches!(k.as_str(), "argv" | "input") {
            return Err(Error::type_error(format!(
                "run() got an unexpected keyword argument '{}'",
                k.as_str()
            )));
        }
    }
    if args.len() > 2 {
        return Err(Error::type_error(format!(
            "run() takes at most 2 arguments ({} given)",
            args.len()
        )));
    }
    let Some(argv) = arg_or_kw(args, kw, 0, "argv") else {
        return Err(Error::type_error("run() missing required argument: 'argv'"));
    };
    let argv = argv_arg(argv)?;
    let input = input_arg(arg_or_kw(args, kw, 1, "input"))?;
    vm.begin_switch("run")?;
    let program = argv[0].to_string_lossy().into_owned();
    let spawned = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) => {
            let name = Value::str(&program);
            return Err(os_error(vm, &e, Some(&name), None));
        }
    };
    let pid = child.id();
    let (cin, cout, cerr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let p = Proc {
        cls: proc_class(vm),
        pid,
        program,
        child: Arc::new(Mutex::new(Some(child))),
        stdin: RefCell::new(None),
        input: input.unwrap_or_default(),
        sent: Cell::new(0),
        stdout: RefCell::new(None),
        stderr: RefCell::new(None),
        out: RefCell::new(Vec::new()),
        err: RefCell::new(Vec::new()),
    };
    // From here on, an error drops [p], which kills and reaps the child.
    let opened = (|| -> std::io::Result<()> {
        if let Some(s) = cin {
            *p.stdin.borrow_mut() = Some(open_pipe(
                Sender::from(s),
                |s| s.set_nonblocking(true),
                true,
            )?);
        }
        if let Some(s) = cout {
            *p.stdout.borrow_mut() = Some(open_pipe(
                Receiver::from(s),
                |s| s.set_nonblocking(true),
                false,
            )?);
        }
        if let Some(s) = cerr {
            *p.stderr.borrow_mut() = Some(open_pipe(
                Receiver::from(s),
                |s| s.set_nonblocking(true),
                false,
            )?);
        }
        Ok(())
    })();
    if let Err(e) = opened {
        return Err(os_error(vm, &e, None, None));
    }
    let done = match p.progress() {
        Ok(d) => d,
        Err(e) => return Err(os_error(vm, &e, None, None)),
    };
    if done {
        match p.try_reap() {
            Ok(Some(st)) => {
                return Ok(p.result(st));
            }
            Ok(None) => {}
            Err(e) => return Err(os_error(vm, &e, None, None)),
        }
    }
    let waits = p.waits();
    let me = Value::object(p);
    let (tid, token) = vm.park("run", Some(me.clone()));
    if waits.is_empty() {
        if let Some(p) = downcast::<Proc>(&me) {
            p.wait_exit(tid, token);
        }
    }
    for (slot, dir) in waits {
        registry::park(
            slot,
            dir,
            Waiting {
                tid,
                token,
                op: op(me.clone(), tid, token),
                again: None,
            },
        );
    }
    Err(Error::Suspend)
}
