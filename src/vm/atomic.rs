//! Non-atomic calls (`f@(...)`, `for@`, `sibling`) and the atomicity rules
//! of SPEC §3.1: a switch may only happen while every frame of the running
//! thread was entered non-atomically, which the top frame's
//! FRAME_NONATOMIC flag says in O(1).

use std::rc::Rc;

use super::error::{Error, ExcType, Res};
use super::frame::{Resume, FRAME_NONATOMIC};
use super::interp::Vm;
use super::object::NativeKind;
use super::value::{StrObj, Sym, Value};

/// What a `for@` step did.
pub enum Step {
    /// Pushed the next value.
    Value,
    /// Pushed a generator frame.
    Pushed,
    /// The iterator is exhausted (and popped).
    Done,
}

impl Vm {
    fn top_nonatomic(&self) -> bool {
        self.frames
            .last()
            .is_some_and(|f| f.flags & FRAME_NONATOMIC != 0)
    }

    /// A call instruction written `f@(...)`, with the callable and [argc]
    /// arguments on the stack. Returns true when a frame was pushed.
    #[inline(never)]
    pub fn call_at(&mut self, argc: usize, kwnames: Option<Value>) -> Res<bool> {
        if !self.top_nonatomic() {
            return Err(self.atomicity_error("non-atomic call"));
        }
        let fpos = self.stack.len() - argc - 1;
        let callee = match &self.stack[fpos] {
            Value::BoundMethod(m) => m.func.clone(),
            v => v.clone(),
        };
        if let Value::Native(n) = &callee {
            let gen_arg = self
                .stack
                .get(fpos + 1)
                .is_some_and(|a| matches!(a, Value::Generator(_)));
            if n.kind == NativeKind::Dual
                && n.name == "next"
                && (argc == 1 || argc == 2)
                && kwnames.is_none()
                && gen_arg
            {
                return self.next_at_generator(fpos, argc);
            }
        }
        if let Value::Instance(_) = &callee {
            // obj@(...) with a script __call__ runs it non-atomically.
            let name = self.intern_static("__call__");
            if let Some(m @ Value::Function(_)) = self.lookup_special(&callee, &name) {
                let inst = std::mem::replace(&mut self.stack[fpos], m);
                self.stack.insert(fpos + 1, inst);
                return self.call_at(argc + 1, kwnames);
            }
        }
        self.dispatch_at(&callee, |vm| vm.call_op(argc, kwnames))
    }

    /// `next@(g[, default])` on a generator (at `stack[fpos + 1]`): runs
    /// the generator's frame in this thread, so it may switch.
    fn next_at_generator(&mut self, fpos: usize, argc: usize) -> Res<bool> {
        let Value::Generator(g) = self.stack[fpos + 1].clone() else {
            return Err(Error::type_error("next@() needs a generator here"));
        };
        let default = (argc == 2).then(|| self.stack[fpos + 2].clone());
        self.stack.truncate(fpos);
        let resume = match &default {
            Some(d) => {
                self.spush(d.clone());
                Resume::NextOr
            }
            None => Resume::Next,
        };
        if self.resume_generator_at(&g, None, resume, true)? {
            return Ok(true);
        }
        match default {
            Some(_) => Ok(false),
            None => Err(Error::stop_iteration()),
        }
    }

    /// `f@(*args, **kwargs)`.
    pub fn call_ex_at(&mut self, func: Value, args: Value, kwargs: Value) -> Res<bool> {
        if !self.top_nonatomic() {
            return Err(self.atomicity_error("non-atomic call"));
        }
        let callee = match &func {
            Value::BoundMethod(m) => m.func.clone(),
            v => v.clone(),
        };
        self.dispatch_at(&callee, |vm| vm.call_ex(func, args, kwargs))
    }

    /// Runs [call] (a call of [callee], a method's function for a bound
    /// method) as a non-atomic call: a switching built-in may switch, a
    /// script function's frame is marked non-atomic.
    fn dispatch_at(
        &mut self,
        callee: &Value,
        call: impl FnOnce(&mut Vm) -> Res<bool>,
    ) -> Res<bool> {
        let switching = matches!(callee, Value::Native(n) if n.kind != NativeKind::Plain);
        let script = matches!(callee, Value::Function(f) if !f.code.is_generator());
        self.switch_ctx = switching;
        self.at_call = script;
        let r = call(self);
        self.switch_ctx = false;
        self.at_call = false;
        if script {
            if let Ok(true) = r {
                if let Some(fr) = self.frames.last_mut() {
                    fr.flags |= FRAME_NONATOMIC;
                }
            }
        }
        r
    }

    /// One step of `for@`: `next@(it)` on the iterator on top.
    pub fn for_iter_at(&mut self, exit: u32) -> Res<Step> {
        if !self.top_nonatomic() {
            return Err(self.atomicity_error("for@"));
        }
        let it = self.stack[self.stack.len() - 1].clone();
        if let Value::Generator(g) = &it {
            if self.resume_generator_at(g, None, Resume::ForIter(exit), true)? {
                return Ok(Step::Pushed);
            }
            self.stack.pop();
            return Ok(Step::Done);
        }
        self.switch_ctx = true;
        let r = self.iter_next(&it);
        self.switch_ctx = false;
        match r? {
            Some(v) => {
                self.spush(v);
                Ok(Step::Value)
            }
            None => {
                self.stack.pop();
                Ok(Step::Done)
            }
        }
    }

    /// The Spawn instruction (`sibling f@(*args, **kwargs)`).
    pub fn spawn_op(&mut self, func: Value, args: Value, kwargs: Value) -> Res<()> {
        let args = match args {
            Value::Tuple(t) => t.items.to_vec(),
            other => self.iterate(&other)?,
        };
        let mut kw: Vec<(Sym, Value)> = Vec::new();
        if let Value::Dict(d) = &kwargs {
            for (k, v) in d.d.borrow().items() {
                match k {
                    Value::Str(s) => kw.push((s, v)),
                    _ => return Err(Error::type_error("keywords must be strings")),
                }
            }
        }
        self.spawn_sibling(func, args, kw)
    }

    /// Refuses a plain call of a function whose body makes `@` calls.
    #[cold]
    pub fn nonatomic_called_atomically(&self, name: &StrObj) -> Error {
        let name = name.as_str();
        Error::new(
            ExcType::AtomicityError,
            format!("{name}() is non-atomic (it makes @ calls): write {name}@(...)"),
        )
    }

    /// An AtomicityError for [what] at the current instruction, naming the
    /// atomic call that encloses it.
    #[cold]
    pub fn atomicity_error(&self, what: &str) -> Error {
        let here = self
            .frames
            .last()
            .map(|f| call_text(&f.code, f.ip))
            .unwrap_or_default();
        let head = if here.is_empty() {
            what.to_string()
        } else {
            format!("{what} {here}")
        };
        // The outermost atomic frame above the non-atomic ones was
        // entered by the enclosing atomic call, made from the frame below.
        let first_atomic = self
            .frames
            .iter()
            .rposition(|f| f.flags & FRAME_NONATOMIC != 0)
            .map(|i| i + 1);
        let msg = match first_atomic {
            None if self.sched.is_none() => format!(
                "{head} outside a micro-thread: module code is atomic; start threads with con.bootstrap(main)"
            ),
            None => format!("{head} inside an atomic call"),
            Some(i) if i >= self.frames.len() => format!("{head} inside an atomic call"),
            Some(i) => {
                let caller = &self.frames[i - 1];
                let site = call_text(&caller.code, caller.ip);
                let line = caller.code.line_at(caller.ip.saturating_sub(1));
                format!("{head} inside the atomic call {site} at line {line}")
            }
        };
        Error::new(ExcType::AtomicityError, msg)
    }

    /// Polls the signal flags at a loop back edge. The first Ctrl-C under
    /// `bootstrap` goes to the scheduler (which interrupts the tree at
    /// the next switch); otherwise it raises KeyboardInterrupt here.
    #[cold]
    #[inline(never)]
    pub fn poll_signals(&mut self) -> Option<Error> {
        if super::interrupt::take_dump() {
            self.dump_threads();
        }
        if super::interrupt::take_interrupt() {
            if let Some(s) = &mut self.sched {
                if !s.sigint {
                    s.sigint = true;
                    return None;
                }
            }
            return Some(Error::New(ExcType::KeyboardInterrupt, None));
        }
        None
    }
}

/// The source text of the call at the instruction before [ip], shortened.
fn call_text(code: &Rc<crate::bytecode::Code>, ip: usize) -> String {
    let span = code.span_at(ip.saturating_sub(1));
    let text = code
        .file
        .text
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    let first = text.lines().next().unwrap_or("").trim();
    if first.chars().count() > 60 {
        let cut: String = first.chars().take(57).collect();
        format!("{cut}...")
    } else {
        first.to_string()
    }
}
