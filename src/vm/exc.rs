//! Exceptions: their native state, raising, unwinding and tracebacks.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::error::{Error, ExcType, Res};
use super::interp::Vm;
use super::object::*;
use super::value::*;
use crate::bytecode::Code;

/// The native state of every exception instance.
pub struct ExcData {
    pub args: RefCell<Value>,
    /// (code, instruction) per frame the exception passed, innermost
    /// first.
    pub traceback: RefCell<Vec<(Rc<Code>, u32)>>,
    pub cause: RefCell<Value>,
    pub context: RefCell<Value>,
    pub suppress_context: Cell<bool>,
    /// Exceptions raised later by sibling threads (SPEC §3.2).
    pub siblings: RefCell<Value>,
}

impl NativeObject for ExcData {
    fn type_name(&self) -> &str {
        "exception-data"
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.args.borrow());
        f(&self.cause.borrow());
        f(&self.context.borrow());
        f(&self.siblings.borrow());
    }
    fn clear(&self) {
        *self.args.borrow_mut() = Value::None;
        *self.cause.borrow_mut() = Value::None;
        *self.context.borrow_mut() = Value::None;
        *self.siblings.borrow_mut() = Value::None;
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "args" => Some(self.args.borrow().clone()),
            "__cause__" => Some(self.cause.borrow().clone()),
            "__context__" => Some(self.context.borrow().clone()),
            "__suppress_context__" => Some(Value::bool(self.suppress_context.get())),
            "__traceback__" => Some(traceback_object(&self.traceback.borrow())),
            "__siblings__" => Some(self.siblings.borrow().clone()),
            // SystemExit.code, StopIteration.value: the first argument.
            "code" | "value" => Some(match &*self.args.borrow() {
                Value::Tuple(t) if !t.items.is_empty() => t.items[0].clone(),
                _ => Value::None,
            }),
            // OSError(errno, strerror[, filename]).
            "errno" | "strerror" | "filename" => {
                let i = match name {
                    "errno" => 0,
                    "strerror" => 1,
                    _ => 2,
                };
                Some(match &*self.args.borrow() {
                    Value::Tuple(t) if t.items.len() >= 2 && i < t.items.len() => {
                        t.items[i].clone()
                    }
                    _ => Value::None,
                })
            }
            _ => None,
        })
    }
}

/// A traceback as scripts see it: `tb_lineno` and `tb_next`, outermost
/// frame first.
pub struct TracebackObj {
    /// (code, instruction), outermost first.
    entries: Rc<Vec<(Rc<Code>, u32)>>,
    index: usize,
}

impl NativeObject for TracebackObj {
    fn type_name(&self) -> &str {
        "traceback"
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        let (code, ip) = &self.entries[self.index];
        Ok(match name {
            "tb_lineno" => Some(Value::Int(code.line_at(*ip as usize) as i64)),
            "tb_lasti" => Some(Value::Int(*ip as i64)),
            "tb_next" => Some(if self.index + 1 < self.entries.len() {
                Value::object(TracebackObj {
                    entries: self.entries.clone(),
                    index: self.index + 1,
                })
            } else {
                Value::None
            }),
            "tb_frame" => Some(Value::None),
            _ => None,
        })
    }
}

fn traceback_object(tb: &[(Rc<Code>, u32)]) -> Value {
    if tb.is_empty() {
        return Value::None;
    }
    let entries: Vec<(Rc<Code>, u32)> = tb.iter().rev().cloned().collect();
    Value::object(TracebackObj {
        entries: Rc::new(entries),
        index: 0,
    })
}

pub fn new_exc_data(args: Vec<Value>) -> Value {
    Value::object(ExcData {
        args: RefCell::new(Value::tuple(args)),
        traceback: RefCell::new(Vec::new()),
        cause: RefCell::new(Value::None),
        context: RefCell::new(Value::None),
        suppress_context: Cell::new(false),
        siblings: RefCell::new(Value::list(Vec::new())),
    })
}

/// The native state of an exception instance, if it is one.
pub fn exc_data(v: &Value) -> Option<NativeRef> {
    if let Value::Instance(i) = v {
        if let Value::Object(o) = &*i.payload.borrow() {
            if o.is::<ExcData>() {
                return Some(o.clone());
            }
        }
    }
    None
}

pub fn with_exc_data<R>(v: &Value, f: impl FnOnce(&ExcData) -> R) -> Option<R> {
    let o = exc_data(v)?;
    let d = o.downcast::<ExcData>()?;
    Some(f(d))
}

impl Vm {
    /// A new instance of exception class [cls] with [args].
    pub fn new_exception(&mut self, cls: &Rc<ClassObj>, args: Vec<Value>) -> Value {
        let v = Value::Instance(Rc::new(InstanceObj {
            gc: crate::vm::gc::GcSlot::new(),
            class: cls.clone(),
            dict: RefCell::new(new_symmap()),
            payload: RefCell::new(new_exc_data(args)),
        }));
        super::gc::track(&v);
        v
    }

    /// Turns an error description into an exception instance.
    pub fn materialize(&mut self, e: Error) -> Value {
        match e {
            Error::Raised(v) => v,
            Error::New(t, msg) => {
                let cls = self.types.exc(t);
                let args = msg.map(|m| vec![Value::string(m)]).unwrap_or_default();
                self.new_exception(&cls, args)
            }
            Error::WithValue(t, v) => {
                let cls = self.types.exc(t);
                self.new_exception(&cls, vec![v])
            }
            Error::Attribute(info) => {
                let cls = self.types.exc(ExcType::AttributeError);
                let exc = self.new_exception(&cls, vec![Value::string(info.msg)]);
                if let Value::Instance(i) = &exc {
                    let mut d = i.dict.borrow_mut();
                    d.insert(self.intern_static("name"), info.name);
                    d.insert(self.intern_static("obj"), info.obj);
                }
                exc
            }
            Error::Suspend => {
                let cls = self.types.exc(ExcType::RuntimeError);
                self.new_exception(&cls, vec![Value::str("thread switch outside a scheduler")])
            }
        }
    }

    /// True when [e] is (or derives from) the built-in exception [t].
    pub fn error_is(&mut self, e: &Error, t: ExcType) -> bool {
        match e {
            Error::New(k, _) | Error::WithValue(k, _) => {
                let c = self.types.exc(*k);
                c.is_subclass(&self.types.exc(t))
            }
            Error::Attribute(_) => {
                let c = self.types.exc(ExcType::AttributeError);
                c.is_subclass(&self.types.exc(t))
            }
            Error::Raised(v) => match v {
                Value::Instance(i) => i.class.is_subclass(&self.types.exc(t)),
                _ => false,
            },
            Error::Suspend => false,
        }
    }

    /// If [e] is a StopIteration, its value.
    pub fn stop_iteration_value(&mut self, e: &Error) -> Option<Value> {
        if !self.error_is(e, ExcType::StopIteration) {
            return None;
        }
        Some(match e {
            Error::New(_, _) | Error::Attribute(_) | Error::Suspend => Value::None,
            Error::WithValue(_, v) => v.clone(),
            Error::Raised(v) => with_exc_data(v, |d| match &*d.args.borrow() {
                Value::Tuple(t) if !t.items.is_empty() => t.items[0].clone(),
                _ => Value::None,
            })
            .unwrap_or(Value::None),
        })
    }

    /// Propagates [err] from the current frame: jumps to the innermost
    /// handler, or pops frames until one has a handler. Returns Err when
    /// the exception leaves the frame at depth [stop].
    #[cold]
    #[inline(never)]
    pub fn handle_error(&mut self, err: Error, stop: usize, reraise: bool) -> Res<()> {
        if matches!(err, Error::Suspend) {
            return Err(Error::Suspend);
        }
        let mut exc = self.materialize(err);
        if !reraise {
            if let Some(ctx) = self.handled.last() {
                if !ctx.is(&exc) {
                    let ctx = ctx.clone();
                    with_exc_data(&exc, |d| {
                        if d.context.borrow().is_none() {
                            *d.context.borrow_mut() = ctx;
                        }
                    });
                }
            }
        }
        let mut first = true;
        loop {
            let Some(frame) = self.frames.last_mut() else {
                return Err(Error::Raised(exc));
            };
            if !(first && reraise) {
                let entry = (frame.code.clone(), frame.ip.saturating_sub(1) as u32);
                with_exc_data(&exc, |d| d.traceback.borrow_mut().push(entry));
            }
            first = false;
            if let Some(block) = frame.blocks.pop() {
                let base = frame.base;
                frame.ip = block.handler as usize;
                self.stack.truncate(base + block.sp as usize);
                self.handled.truncate(block.handled as usize);
                self.stack.push(exc.clone());
                self.handled.push(exc);
                return Ok(());
            }
            if self.sched.is_some() {
                // Leaving a frame: one with live siblings joins them first.
                let depth = self.frames.len() - 1;
                if self.frames[depth].flags & super::frame::FRAME_SIBLINGS != 0 {
                    exc = self.join_on_raise(exc)?;
                }
                self.frame_left(depth);
            }
            let Some(mut frame) = self.frames.pop() else {
                return Err(Error::Raised(exc));
            };
            self.stack.truncate(frame.floor);
            self.handled.truncate(frame.handled_base as usize);
            let mut exc_now = exc.clone();
            if let Some(g) = frame.generator.take() {
                let mut st = g.state.borrow_mut();
                st.finished = true;
                st.running = false;
                st.saved.clear();
                drop(st);
                // PEP 479: StopIteration leaking out of a generator.
                if self.error_is(&Error::Raised(exc.clone()), ExcType::StopIteration) {
                    let cls = self.types.exc(ExcType::RuntimeError);
                    let new = self
                        .new_exception(&cls, vec![Value::str("generator raised StopIteration")]);
                    with_exc_data(&new, |d| *d.context.borrow_mut() = exc.clone());
                    exc_now = new;
                }
            }
            if matches!(frame.resume, super::frame::Resume::Init) {
                // The instance under construction sits below the frame.
                self.stack.pop();
            }
            if self.frames.len() == stop {
                return Err(Error::Raised(exc_now));
            }
            if !exc_now.is(&exc) {
                return self.handle_error(Error::Raised(exc_now), stop, false);
            }
        }
    }

    /// The Raise instruction with [n] operands on the stack.
    pub fn raise_op(&mut self, n: u8) -> Error {
        if n == 0 {
            return match self.handled.last() {
                Some(e) => Error::Raised(e.clone()),
                None => Error::runtime_error("No active exception to reraise"),
            };
        }
        let cause = if n == 2 { self.stack.pop() } else { None };
        let v = self.stack.pop().unwrap_or(Value::None);
        let exc = match self.to_exception(v) {
            Ok(e) => e,
            Err(e) => return e,
        };
        if let Some(cause) = cause {
            let cause = if cause.is_none() {
                Value::None
            } else {
                match self.to_exception(cause) {
                    Ok(c) => c,
                    Err(_) => {
                        return Error::type_error("exception causes must derive from BaseException")
                    }
                }
            };
            with_exc_data(&exc, |d| {
                *d.cause.borrow_mut() = cause;
                d.suppress_context.set(true);
            });
        }
        Error::Raised(exc)
    }

    /// An exception instance from `raise X` operand: a class is
    /// instantiated without arguments.
    pub fn to_exception(&mut self, v: Value) -> Result<Value, Error> {
        match &v {
            Value::Class(c) if c.is_subclass(&self.types.base_exception) => {
                let c = c.clone();
                self.instantiate(&c, &[], &[])
            }
            Value::Instance(i) if i.class.is_subclass(&self.types.base_exception) => Ok(v),
            _ => Err(Error::type_error(
                "exceptions must derive from BaseException",
            )),
        }
    }

    /// `except T:` matching.
    pub fn exception_matches(&mut self, exc: &Value, t: &Value) -> Res<bool> {
        let cls = self.type_of(exc);
        match t {
            Value::Class(c) => {
                if !c.is_subclass(&self.types.base_exception) {
                    return Err(Error::type_error(
                        "catching classes that do not inherit from BaseException is not allowed",
                    ));
                }
                Ok(cls.is_subclass(c))
            }
            Value::Tuple(items) => {
                for i in items.items.iter() {
                    if self.exception_matches(exc, i)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            _ => Err(Error::type_error(
                "catching classes that do not inherit from BaseException is not allowed",
            )),
        }
    }

    pub fn traceback_value(&mut self, exc: &Value) -> Value {
        with_exc_data(exc, |d| traceback_object(&d.traceback.borrow())).unwrap_or(Value::None)
    }

    /// `str(exc)`.
    pub fn exception_str(&mut self, exc: &Value) -> Res<String> {
        let args = with_exc_data(exc, |d| d.args.borrow().clone()).unwrap_or(Value::None);
        let is_key_error = match exc {
            Value::Instance(i) => i.class.is_subclass(&self.types.exc(ExcType::KeyError)),
            _ => false,
        };
        match &args {
            Value::Tuple(t) if t.items.is_empty() => Ok(String::new()),
            Value::Tuple(t) if t.items.len() == 1 => {
                if is_key_error {
                    self.repr(&t.items[0])
                } else {
                    self.to_str(&t.items[0])
                }
            }
            other => self.repr(other),
        }
    }

    /// The last line of a traceback: `Type: message`.
    pub fn exception_summary(&mut self, exc: &Value) -> String {
        let cls = self.type_of(exc);
        let name = cls.name.as_str().to_string();
        let msg = match self.to_str(exc) {
            Ok(m) => m,
            Err(_) => "<exception str() failed>".to_string(),
        };
        let msg: String = if msg.len() > 10_000 {
            let mut cut = 10_000;
            while !msg.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}…", &msg[..cut])
        } else {
            msg
        };
        if msg.is_empty() {
            name
        } else {
            format!("{name}: {msg}")
        }
    }

    /// The full traceback text for [exc], with chained exceptions first.
    pub fn format_exception(&mut self, exc: &Value) -> String {
        let mut out = String::new();
        let mut seen = Vec::new();
        self.format_chain(exc, &mut out, &mut seen, 0);
        out
    }

    fn format_chain(&mut self, exc: &Value, out: &mut String, seen: &mut Vec<usize>, depth: usize) {
        if let Some(p) = exc.ptr() {
            seen.push(p);
        }
        let (cause, context, suppress) = with_exc_data(exc, |d| {
            (
                d.cause.borrow().clone(),
                d.context.borrow().clone(),
                d.suppress_context.get(),
            )
        })
        .unwrap_or((Value::None, Value::None, false));
        let unseen = |v: &Value, seen: &Vec<usize>| v.ptr().is_some_and(|p| !seen.contains(&p));
        if depth < 50 {
            if !cause.is_none() && unseen(&cause, seen) {
                self.format_chain(&cause, out, seen, depth + 1);
                out.push_str(
                    "\nThe above exception was the direct cause of the following exception:\n\n",
                );
            } else if !suppress && !context.is_none() && unseen(&context, seen) {
                self.format_chain(&context, out, seen, depth + 1);
                out.push_str(
                    "\nDuring handling of the above exception, another exception occurred:\n\n",
                );
            }
        }
        let tb = with_exc_data(exc, |d| d.traceback.borrow().clone()).unwrap_or_default();
        if !tb.is_empty() {
            out.push_str("Traceback (most recent call last):\n");
            let mut last: Option<(String, usize, String)> = None;
            let mut repeats = 0usize;
            for (code, ip) in tb.iter().rev() {
                let line = code.line_at(*ip as usize);
                let key = (code.file.name.clone(), line, code.name.as_str().to_string());
                if last.as_ref() == Some(&key) {
                    repeats += 1;
                    if repeats >= 3 {
                        continue;
                    }
                } else {
                    if repeats >= 3 {
                        let n = repeats - 2;
                        out.push_str(&format!(
                            "  [Previous line repeated {} more time{}]\n",
                            n,
                            if n == 1 { "" } else { "s" }
                        ));
                    }
                    repeats = 0;
                }
                out.push_str(&format!(
                    "  File \"{}\", line {}, in {}\n",
                    code.file.name,
                    line,
                    code.name.as_str()
                ));
                let text = code.file.line_text(line).trim();
                if !text.is_empty() {
                    out.push_str(&format!("    {text}\n"));
                }
                last = Some(key);
            }
            if repeats >= 3 {
                let n = repeats - 2;
                out.push_str(&format!(
                    "  [Previous line repeated {} more time{}]\n",
                    n,
                    if n == 1 { "" } else { "s" }
                ));
            }
        }
        let summary = self.exception_summary(exc);
        out.push_str(&summary);
        out.push('\n');
        let siblings = with_exc_data(exc, |d| d.siblings.borrow().clone());
        if let Some(Value::List(l)) = siblings {
            let items = l.items.borrow().clone();
            for s in items {
                out.push_str("\nWhile the above exception was propagating, a sibling raised:\n\n");
                self.format_chain(&s, out, seen, depth + 1);
            }
        }
    }
}
