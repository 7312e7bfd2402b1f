//! Calls: argument binding, frame set-up, constructors and classes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::error::{Error, ExcType, Res};
use super::frame::{Frame, GenState, Resume};
use super::interp::Vm;
use super::object::*;
use super::value::*;
use crate::bytecode::code::{FLAG_GENERATOR, FLAG_NONATOMIC, FLAG_VARARGS, FLAG_VARKW};
use crate::bytecode::Code;

impl Vm {
    /// Executes a call instruction: the callable and [argc] arguments (the
    /// last ones named by [kwnames], a tuple) are on the stack. Returns true
    /// when a script frame was pushed and the loop must switch to it.
    #[inline(never)]
    pub fn call_op(&mut self, argc: usize, kwnames: Option<Value>) -> Res<bool> {
        let fpos = self.stack.len() - argc - 1;
        let kwn: Option<&[Value]> = match &kwnames {
            Some(Value::Tuple(t)) => Some(&t.items),
            _ => None,
        };
        match &self.stack[fpos] {
            Value::Function(f) if bindable(f, argc, kwn) => {
                let f = f.clone();
                self.bind_in_place(&f, fpos + 1, argc, kwn);
                self.push_frame_record(&f, fpos + 1, fpos, Resume::Normal)?;
                return Ok(true);
            }
            Value::Function(f)
                if f.code.flags & FLAG_GENERATOR != 0
                    && bindable_as(f, argc, kwn, FLAG_GENERATOR | FLAG_NONATOMIC) =>
            {
                // A generator function's locals are laid out where the
                // arguments lie, then moved into the new generator.
                let f = f.clone();
                self.bind_in_place(&f, fpos + 1, argc, kwn);
                let locals = self.stack.split_off(fpos + 1);
                let g = self.new_generator(&f, locals);
                std::mem::replace(&mut self.stack[fpos], g).discard();
                return Ok(false);
            }
            Value::Native(n) if kwn.is_none() => {
                // Built-ins get their arguments in a reused buffer, so
                // `len(x)` or `lst.append(v)` allocates nothing.
                let f = n.func;
                return self.call_native_in_place(f, fpos + 1, true);
            }
            Value::Class(c) if c.is_native && kwn.is_none() => {
                // A built-in type (`int(x)`, `zip(a, b)`): its `__new__`
                // takes the class and the arguments as they lie.
                if let Some(Value::Native(n)) = c.lookup(&intern_static("__new__")) {
                    return self.call_native_in_place(n.func, fpos, false);
                }
            }
            Value::BoundMethod(m) => {
                let (func, recv) = (m.func.clone(), m.receiver.clone());
                self.stack[fpos] = func;
                self.stack.insert(fpos + 1, recv);
                return self.call_op(argc + 1, kwnames);
            }
            Value::Instance(inst) if !inst.class.is_native => {
                // A callable instance: `obj(...)` is `type(obj).__call__(obj, ...)`.
                if let Some(f @ Value::Function(_)) = inst.class.lookup(&intern_static("__call__"))
                {
                    let obj = std::mem::replace(&mut self.stack[fpos], f);
                    self.stack.insert(fpos + 1, obj);
                    return self.call_op(argc + 1, kwnames);
                }
            }
            Value::Class(c) if !c.is_native => {
                let c = c.clone();
                if let Some(init) = self.plain_init(&c) {
                    if bindable(&init, argc + 1, kwn) {
                        let inst = self.new_instance(&c);
                        self.stack[fpos] = inst.clone();
                        self.stack.insert(fpos + 1, inst);
                        self.bind_in_place(&init, fpos + 1, argc + 1, kwn);
                        self.push_frame_record(&init, fpos + 1, fpos + 1, Resume::Init)?;
                        return Ok(true);
                    }
                }
            }
            _ => {}
        }
        // General path: collect the arguments.
        let mut args: Vec<Value> = self.stack.split_off(fpos + 1);
        let func = self.stack.pop().unwrap_or(Value::None);
        let kw = match kwnames {
            Some(Value::Tuple(names)) => {
                let nkw = names.items.len();
                let vals = args.split_off(args.len() - nkw);
                names
                    .items
                    .iter()
                    .zip(vals)
                    .map(|(n, v)| match n {
                        Value::Str(s) => (s.clone(), v),
                        _ => (Rc::new(StrObj::new("?")), v),
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        self.call_general(func, args, kw)
    }

    /// Calls the built-in [f] with the stack's values from [from] (moved
    /// into the reused argument buffer) and pushes its result in their
    /// place; [drop_below] also drops the callable just below them (a
    /// class passed to its `__new__` is among the values instead).
    #[inline]
    fn call_native_in_place(&mut self, f: NativeFnPtr, from: usize, drop_below: bool) -> Res<bool> {
        const SMALL: usize = 4;
        let n = self.stack.len() - from;
        if n <= SMALL {
            // Up to four arguments move into a local array: no buffer
            // bookkeeping and no memcpy call.
            let mut small = [const { std::mem::MaybeUninit::<Value>::uninit() }; SMALL];
            // SAFETY: the n values from `from` are moved out (the stack
            // length is cut before anything can observe them), used as an
            // initialised slice, then each released exactly once.
            unsafe {
                let src = self.stack.as_ptr().add(from);
                for (i, slot) in small.iter_mut().enumerate().take(n) {
                    slot.write(std::ptr::read(src.add(i)));
                }
                self.stack.set_len(from);
            }
            if drop_below {
                self.spop().discard();
            }
            // SAFETY: the first n slots were written just above.
            let args = unsafe { std::slice::from_raw_parts(small.as_ptr() as *const Value, n) };
            let r = f(self, args, &[]);
            for slot in small.iter().take(n) {
                // SAFETY: initialised above, read out once.
                unsafe { slot.assume_init_read() }.discard();
            }
            self.spush(r?);
            return Ok(false);
        }
        let mut buf = std::mem::take(&mut self.arg_buf);
        super::interp::move_tail(&mut self.stack, from, &mut buf);
        if drop_below {
            self.spop().discard();
        }
        let r = f(self, &buf, &[]);
        release_all(&mut buf);
        if buf.capacity() > self.arg_buf.capacity() {
            self.arg_buf = buf;
        }
        self.spush(r?);
        Ok(false)
    }

    /// `f(...)` of the built-in [f] lying just below its arguments (from
    /// [from] to the top): the dispatch loop's direct way to a built-in,
    /// skipping call_op's dispatch on the callee.
    #[inline(never)]
    pub(crate) fn call_native_op(&mut self, f: NativeFnPtr, from: usize) -> Res<()> {
        self.call_native_in_place(f, from, true).map(|_| ())
    }

    /// Calls with already collected arguments; pushes a frame for script
    /// functions (returning true) or pushes the result (returning false).
    fn call_general(&mut self, func: Value, args: Vec<Value>, kw: Vec<(Sym, Value)>) -> Res<bool> {
        if let Value::Function(f) = &func {
            if f.code.flags & (FLAG_NONATOMIC | FLAG_GENERATOR) == FLAG_NONATOMIC && !self.at_call {
                return Err(self.nonatomic_called_atomically(&f.code.name));
            }
            let locals = self.bind_args(f, &args, &kw)?;
            if f.code.flags & FLAG_GENERATOR != 0 {
                let g = self.new_generator(f, locals);
                self.stack.push(g);
                return Ok(false);
            }
            let base = self.stack.len();
            self.stack.extend(locals);
            self.push_frame_record(f, base, base, Resume::Normal)?;
            return Ok(true);
        }
        let r = self.call(&func, &args, &kw)?;
        self.stack.push(r);
        Ok(false)
    }

    /// `f(*args, **kwargs)` from the CallEx instruction.
    pub fn call_ex(&mut self, func: Value, args: Value, kwargs: Value) -> Res<bool> {
        let args = match args {
            Value::Tuple(t) => t.items.to_vec(),
            other => self.iterate(&other)?,
        };
        let kw = match &kwargs {
            Value::None => Vec::new(),
            Value::Dict(d) => {
                let items = d.d.borrow().items();
                let mut kw = Vec::with_capacity(items.len());
                for (k, v) in items {
                    match k {
                        Value::Str(s) => kw.push((s, v)),
                        _ => return Err(Error::type_error("keywords must be strings")),
                    }
                }
                kw
            }
            _ => Vec::new(),
        };
        self.call_general(func, args, kw)
    }

    /// The script `__init__` of a plain class (deriving from `object`
    /// only, with the default `__new__`): calling the class then makes a
    /// bare instance and runs `__init__` as a frame, which is what
    /// [Vm::instantiate] would do. Cached on the class per class epoch.
    fn plain_init(&mut self, c: &Rc<ClassObj>) -> Option<Rc<FunctionObj>> {
        let epoch = super::site_cache::class_epoch();
        if let Ok(cache) = c.init_cache.try_borrow() {
            if cache.0 == epoch {
                return cache.1.clone();
            }
        }
        let plain = c.builtin == Builtin::Object
            && matches!(
                c.lookup(&self.intern_static("__new__")),
                None | Some(Value::Native(_))
            );
        let init = match c.lookup(&self.intern_static("__init__")) {
            Some(Value::Function(f)) if plain => Some(f),
            _ => None,
        };
        if let Ok(mut cache) = c.init_cache.try_borrow_mut() {
            *cache = (epoch, init.clone());
        }
        init
    }

    /// Lays out a call's locals where its arguments lie: [argc] values
    /// from [base], the last ones passed by the names in [kwnames]. The
    /// caller checked the call with [bindable]. Allocates nothing.
    #[inline(always)]
    fn bind_in_place(
        &mut self,
        f: &FunctionObj,
        base: usize,
        argc: usize,
        kwnames: Option<&[Value]>,
    ) {
        let code = &f.code;
        let nlocals = code.nlocals as usize;
        let argcount = code.argcount as usize;
        let nkw = kwnames.map_or(0, |k| k.len());
        if nkw == 0 && argc == argcount && code.kwonlycount == 0 {
            self.stack.resize(base + nlocals, Value::Undef);
        } else {
            let npos = argc - nkw;
            let mut kwvals: [Value; MAX_FAST_KW] = Default::default();
            for (j, v) in kwvals.iter_mut().enumerate().take(nkw) {
                *v = std::mem::take(&mut self.stack[base + npos + j]);
            }
            self.stack.resize(base + nlocals, Value::Undef);
            if let Some(names) = kwnames {
                for (name, v) in names.iter().zip(kwvals.iter_mut()) {
                    if let Some(i) = param_index(code, name) {
                        self.stack[base + i] = std::mem::take(v);
                    }
                }
            }
            let first_default = argcount.saturating_sub(f.defaults.len());
            for i in npos..argcount {
                if self.stack[base + i].is_undef() {
                    self.stack[base + i] = f.defaults[i - first_default].clone();
                }
            }
            for (i, d) in f.kwdefaults.iter().enumerate() {
                if self.stack[base + argcount + i].is_undef() {
                    self.stack[base + argcount + i] = d.clone();
                }
            }
        }
        let fs = code.free_start as usize;
        for (i, c) in f.closure.iter().enumerate() {
            self.stack[base + fs + i] = c.clone();
        }
    }

    /// Sets up a frame whose arguments (exactly its positional
    /// parameters) already sit on the stack at [base]; the stack is cut
    /// back to [floor] when it returns.
    pub(crate) fn push_frame_in_place(
        &mut self,
        f: &Rc<FunctionObj>,
        base: usize,
        floor: usize,
        resume: Resume,
    ) -> Res<()> {
        self.bind_in_place(f, base, f.code.argcount as usize, None);
        self.push_frame_record(f, base, floor, resume)
    }

    /// Pushes a frame for [f] whose locals already sit at [base].
    pub(crate) fn push_function_frame(&mut self, f: &Rc<FunctionObj>, base: usize) -> Res<()> {
        self.push_frame_record(f, base, base, Resume::Normal)
    }

    #[inline(always)]
    fn push_frame_record(
        &mut self,
        f: &Rc<FunctionObj>,
        base: usize,
        floor: usize,
        resume: Resume,
    ) -> Res<()> {
        if self.frames.len() >= self.recursion_limit {
            self.stack.truncate(floor);
            return Err(Error::new(
                ExcType::RecursionError,
                "maximum recursion depth exceeded",
            ));
        }
        let handled_base = self.handled.len() as u32;
        self.push_new_frame(
            f.code.clone(),
            f.globals.clone(),
            base,
            floor,
            resume,
            handled_base,
        );
        Ok(())
    }

    /// Calls any callable from native code and returns its result.
    pub fn call(&mut self, func: &Value, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
        match func {
            Value::Function(f) => {
                if f.code.flags & (FLAG_NONATOMIC | FLAG_GENERATOR) == FLAG_NONATOMIC {
                    let name = f.code.name.as_str();
                    return Err(Error::new(
                        ExcType::AtomicityError,
                        format!("{name}() is non-atomic (it makes @ calls), but built-in code calls back atomically"),
                    ));
                }
                let locals = self.bind_args(f, args, kw)?;
                if f.code.flags & FLAG_GENERATOR != 0 {
                    return Ok(self.new_generator(f, locals));
                }
                let base = self.stack.len();
                self.stack.extend(locals);
                self.push_frame_record(f, base, base, Resume::Normal)?;
                self.run_nested()
            }
            Value::Native(n) => (n.func)(self, args, kw),
            Value::BoundMethod(m) => {
                let mut full = Vec::with_capacity(args.len() + 1);
                full.push(m.receiver.clone());
                full.extend_from_slice(args);
                let f = m.func.clone();
                self.call(&f, &full, kw)
            }
            Value::Class(c) => {
                let c = c.clone();
                self.instantiate(&c, args, kw)
            }
            Value::Instance(_) => {
                let name = self.intern_static("__call__");
                match self.lookup_special(func, &name) {
                    Some(m) => {
                        let mut full = Vec::with_capacity(args.len() + 1);
                        full.push(func.clone());
                        full.extend_from_slice(args);
                        self.call(&m, &full, kw)
                    }
                    None => Err(Error::type_error(format!(
                        "'{}' object is not callable",
                        func.type_name()
                    ))),
                }
            }
            Value::Object(o) => {
                let o = o.clone();
                o.call(self, args, kw)
            }
            _ => Err(Error::type_error(format!(
                "'{}' object is not callable",
                func.type_name()
            ))),
        }
    }

    /// Calls a method by name on [obj].
    pub fn call_method(&mut self, obj: &Value, name: &str, args: &[Value]) -> Res<Value> {
        let sym = self.intern(name);
        let (f, recv) = self.load_method(obj.clone(), &sym)?;
        if recv.is_undef() {
            self.call(&f, args, &[])
        } else {
            let mut full = Vec::with_capacity(args.len() + 1);
            full.push(recv);
            full.extend_from_slice(args);
            self.call(&f, &full, &[])
        }
    }

    /// Binds call arguments to a function's parameters, returning the
    /// initial local slots.
    pub fn bind_args(
        &mut self,
        f: &Rc<FunctionObj>,
        args: &[Value],
        kw: &[(Sym, Value)],
    ) -> Res<Vec<Value>> {
        let code = &f.code;
        let argcount = code.argcount as usize;
        let kwonly = code.kwonlycount as usize;
        let mut locals = vec![Value::Undef; code.nlocals as usize];
        let fname = code.qualname.as_str();
        let npos = args.len().min(argcount);
        locals[..npos].clone_from_slice(&args[..npos]);
        let mut slot = argcount + kwonly;
        if code.flags & FLAG_VARARGS != 0 {
            let extra = if args.len() > argcount {
                args[argcount..].to_vec()
            } else {
                Vec::new()
            };
            locals[slot] = Value::tuple(extra);
            slot += 1;
        } else if args.len() > argcount {
            let ndef = f.defaults.len();
            let takes = if ndef > 0 {
                format!("from {} to {}", argcount - ndef, argcount)
            } else {
                argcount.to_string()
            };
            let pl = if argcount == 1 && ndef == 0 { "" } else { "s" };
            let given = args.len();
            let kwonly_names = &code.varnames[argcount..argcount + kwonly];
            let kwonly_given = kw.iter().filter(|(n, _)| kwonly_names.contains(n)).count();
            let also = match kwonly_given {
                0 => String::new(),
                k => format!(
                    " positional argument{} (and {k} keyword-only argument{})",
                    if given == 1 { "" } else { "s" },
                    if k == 1 { "" } else { "s" }
                ),
            };
            let was = if given == 1 && kwonly_given == 0 {
                "was"
            } else {
                "were"
            };
            return Err(Error::type_error(format!(
                "{fname}() takes {takes} positional argument{pl} but {given}{also} {was} given"
            )));
        }
        let kwdict = if code.flags & FLAG_VARKW != 0 {
            Some(slot)
        } else {
            None
        };
        let mut extra_kw: Vec<(Sym, Value)> = Vec::new();
        for (name, v) in kw {
            let idx = code.varnames[code.posonlycount as usize..argcount + kwonly]
                .iter()
                .position(|n| n == name)
                .map(|i| i + code.posonlycount as usize);
            match idx {
                Some(i) => {
                    if !locals[i].is_undef() {
                        return Err(Error::type_error(format!(
                            "{fname}() got multiple values for argument '{}'",
                            name.as_str()
                        )));
                    }
                    locals[i] = v.clone();
                }
                None => {
                    if kwdict.is_some() {
                        extra_kw.push((name.clone(), v.clone()));
                    } else if code.varnames[..code.posonlycount as usize].contains(name) {
                        return Err(Error::type_error(format!(
                            "{fname}() got some positional-only arguments passed as keyword arguments: '{}'",
                            name.as_str()
                        )));
                    } else {
                        return Err(Error::type_error(format!(
                            "{fname}() got an unexpected keyword argument '{}'",
                            name.as_str()
                        )));
                    }
                }
            }
        }
        if let Some(s) = kwdict {
            let mut d = super::dict::Dict::new();
            for (k, v) in extra_kw {
                let h = k.hash_code();
                d.insert_new(h, Value::Str(k), v);
            }
            locals[s] = Value::dict(d);
        }
        // Defaults and missing arguments.
        let ndef = f.defaults.len();
        let first_default = argcount.saturating_sub(ndef);
        let mut missing = Vec::new();
        for (i, slot) in locals.iter_mut().enumerate().take(argcount).skip(npos) {
            if slot.is_undef() {
                if i >= first_default {
                    *slot = f.defaults[i - first_default].clone();
                } else {
                    missing.push(code.varnames[i].as_str().to_string());
                }
            }
        }
        if !missing.is_empty() {
            return Err(missing_args(fname, "positional", &missing));
        }
        for i in 0..kwonly {
            let s = argcount + i;
            if locals[s].is_undef() {
                match f.kwdefaults.get(i) {
                    Some(v) if !v.is_undef() => locals[s] = v.clone(),
                    _ => missing.push(code.varnames[s].as_str().to_string()),
                }
            }
        }
        if !missing.is_empty() {
            return Err(missing_args(fname, "keyword-only", &missing));
        }
        let fs = code.free_start as usize;
        for (i, c) in f.closure.iter().enumerate() {
            locals[fs + i] = c.clone();
        }
        Ok(locals)
    }

    fn new_generator(&mut self, f: &Rc<FunctionObj>, locals: Vec<Value>) -> Value {
        let frame = Frame {
            code: f.code.clone(),
            ip: 0,
            base: 0,
            floor: 0,
            globals: f.globals.clone(),
            blocks: Vec::new(),
            namespace: None,
            generator: None,
            resume: Resume::Normal,
            handled_base: 0,
            flags: 0,
        };
        let g = Value::Generator(Rc::new(GeneratorObj {
            gc: crate::vm::gc::GcSlot::new(),
            state: RefCell::new(GenState {
                frame: Some(frame),
                saved: locals,
                started: false,
                running: false,
                finished: false,
            }),
            code: f.code.clone(),
        }));
        super::gc::track(&g);
        g
    }

    /// The MakeFunction instruction.
    pub fn make_function(&mut self, code: &Code, fi: usize, c: u32, flags: u8) -> Res<Value> {
        let Value::Code(fcode) = &code.consts[c as usize] else {
            return Err(Error::runtime_error("bad code constant"));
        };
        let closure = if flags & 4 != 0 {
            match self.stack.pop() {
                Some(Value::Tuple(t)) => t.items.to_vec(),
                _ => Vec::new(),
            }
        } else {
            Vec::new()
        };
        let mut kwdefaults = vec![Value::Undef; fcode.kwonlycount as usize];
        if flags & 2 != 0 {
            if let Some(Value::Dict(d)) = self.stack.pop() {
                for (k, v) in d.d.borrow().items() {
                    let start = fcode.argcount as usize;
                    if let Some(i) = fcode.varnames[start..start + kwdefaults.len()]
                        .iter()
                        .position(|n| Some(n.as_str()) == k.as_str())
                    {
                        kwdefaults[i] = v;
                    }
                }
            }
        }
        let defaults = if flags & 1 != 0 {
            match self.stack.pop() {
                Some(Value::Tuple(t)) => t.items.to_vec(),
                _ => Vec::new(),
            }
        } else {
            Vec::new()
        };
        let f = Value::Function(Rc::new(FunctionObj {
            gc: crate::vm::gc::GcSlot::new(),
            code: fcode.clone(),
            globals: self.frames[fi].globals.clone(),
            defaults,
            kwdefaults,
            closure,
            name: RefCell::new(fcode.name.clone()),
            qualname: RefCell::new(fcode.qualname.clone()),
            dict: RefCell::new(None),
        }));
        super::gc::track(&f);
        Ok(f)
    }

    /// A new, uninitialised instance of a user class, with native state
    /// for classes deriving from built-in types.
    pub fn new_instance(&mut self, cls: &Rc<ClassObj>) -> Value {
        let payload = match cls.builtin {
            Builtin::List => Value::list(Vec::new()),
            Builtin::Dict => Value::dict(super::dict::Dict::new()),
            Builtin::Set => Value::set(super::dict::Dict::new()),
            Builtin::BaseException => super::exc::new_exc_data(Vec::new()),
            _ => Value::Undef,
        };
        let v = Value::Instance(Rc::new(InstanceObj {
            gc: crate::vm::gc::GcSlot::new(),
            class: cls.clone(),
            dict: RefCell::new(SymMap::with_capacity(cls.attrs_seen.get() as usize)),
            payload: RefCell::new(payload),
        }));
        super::gc::track(&v);
        v
    }

    /// `cls(*args, **kw)`.
    pub fn instantiate(
        &mut self,
        cls: &Rc<ClassObj>,
        args: &[Value],
        kw: &[(Sym, Value)],
    ) -> Res<Value> {
        let new_name = self.intern_static("__new__");
        let init_name = self.intern_static("__init__");
        let new = cls.lookup(&new_name);
        let mut full = Vec::with_capacity(args.len() + 1);
        full.push(Value::Class(cls.clone()));
        full.extend_from_slice(args);
        let obj = match &new {
            Some(Value::Native(n)) if cls.is_native => return (n.func)(self, &full, kw),
            Some(f @ Value::Function(_)) => self.call(f, &full, kw)?,
            Some(Value::Object(o)) if super::descr::is_static(o) => {
                let f = super::descr::static_inner(o);
                self.call(&f, &full, kw)?
            }
            Some(Value::Native(n))
                if matches!(
                    cls.builtin,
                    Builtin::Int
                        | Builtin::Float
                        | Builtin::Str
                        | Builtin::Tuple
                        | Builtin::Bytes
                        | Builtin::FrozenSet
                ) =>
            {
                // A user class deriving from an immutable built-in type:
                // build the native value and wrap it.
                let base_val = (n.func)(self, &full, kw)?;
                let inst = self.new_instance(cls);
                if let Value::Instance(i) = &inst {
                    *i.payload.borrow_mut() = base_val;
                }
                inst
            }
            _ => {
                let inst = self.new_instance(cls);
                if cls.builtin == Builtin::BaseException {
                    let a = Value::tuple(args.to_vec());
                    super::exc::with_exc_data(&inst, |d| *d.args.borrow_mut() = a);
                }
                inst
            }
        };
        // Only initialise instances of this class.
        let is_inst = match &obj {
            Value::Instance(i) => i.class.is_subclass(cls),
            _ => false,
        };
        if !is_inst {
            return Ok(obj);
        }
        match cls.lookup(&init_name) {
            Some(init @ Value::Function(_)) => {
                let mut full = Vec::with_capacity(args.len() + 1);
                full.push(obj.clone());
                full.extend_from_slice(args);
                let r = self.call(&init, &full, kw)?;
                if !r.is_none() {
                    return Err(Error::type_error(format!(
                        "__init__() should return None, not '{}'",
                        r.type_name()
                    )));
                }
            }
            Some(Value::Native(n)) => {
                let mut full = Vec::with_capacity(args.len() + 1);
                full.push(obj.clone());
                full.extend_from_slice(args);
                (n.func)(self, &full, kw)?;
            }
            _ => {
                if (!args.is_empty() || !kw.is_empty()) && new.is_none() {
                    return Err(Error::type_error(format!(
                        "{}() takes no arguments",
                        cls.name.as_str()
                    )));
                }
            }
        }
        Ok(obj)
    }

    /// `__build_class__(body, name, *bases, **kw)`: runs the class body in
    /// a fresh namespace and creates the class.
    pub fn build_class(&mut self, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
        let (Some(Value::Function(body)), Some(Value::Str(name))) = (args.first(), args.get(1))
        else {
            return Err(Error::type_error("__build_class__: bad arguments"));
        };
        let mut bases = Vec::new();
        for b in &args[2..] {
            match b {
                Value::Class(c) => bases.push(c.clone()),
                other => {
                    return Err(Error::type_error(format!(
                        "bases must be types, not '{}'",
                        other.type_name()
                    )))
                }
            }
        }
        let ns = Rc::new(DictObj {
            gc: crate::vm::gc::GcSlot::new(),
            d: RefCell::new(super::dict::Dict::new()),
        });
        let module_name = body
            .globals
            .get_str("__name__")
            .unwrap_or(Value::str("__main__"));
        self.dict_set(&ns, Value::str("__module__"), module_name)?;
        let locals = self.bind_args(body, &[], &[])?;
        let base = self.stack.len();
        self.stack.extend(locals);
        self.push_frame_record(body, base, base, Resume::Normal)?;
        if let Some(f) = self.frames.last_mut() {
            f.namespace = Some(ns.clone());
        }
        let cell = self.run_nested()?;
        let mut metaclass = None;
        for (k, v) in kw {
            if k.as_str() == "metaclass" {
                metaclass = Some(v.clone());
            }
        }
        let cls = self.create_class(name.clone(), bases, &ns)?;
        if let Some(Value::Class(m)) = metaclass {
            if !m.is_native && !Rc::ptr_eq(&m, &self.types.type_) {
                *cls.metaclass.borrow_mut() = Some(m);
            }
        }
        if let Value::Cell(c) = cell {
            *c.value.borrow_mut() = Value::Class(cls.clone());
        }
        // __set_name__ and __init_subclass__ hooks.
        let set_name = self.intern_static("__set_name__");
        let items: Vec<(Sym, Value)> = cls
            .dict
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in items {
            if let Value::Instance(_) = v {
                if let Some(m) = self.lookup_special(&v, &set_name) {
                    self.call(
                        &m,
                        &[v.clone(), Value::Class(cls.clone()), Value::Str(k)],
                        &[],
                    )?;
                }
            }
        }
        let init_sub = self.intern_static("__init_subclass__");
        for parent in cls.mro.iter() {
            if let Some(f) = parent.dict.borrow().get(&init_sub).cloned() {
                let f = match &f {
                    Value::Object(o) if super::descr::is_classmethod(o) => {
                        super::descr::static_inner(o)
                    }
                    other => other.clone(),
                };
                let extra: Vec<(Sym, Value)> = kw
                    .iter()
                    .filter(|(k, _)| k.as_str() != "metaclass")
                    .cloned()
                    .collect();
                self.call(&f, &[Value::Class(cls.clone())], &extra)?;
                break;
            }
        }
        Ok(Value::Class(cls))
    }

    /// Creates a class object from a name, bases and namespace dict.
    pub fn create_class(
        &mut self,
        name: Sym,
        bases: Vec<Rc<ClassObj>>,
        ns: &Rc<DictObj>,
    ) -> Res<Rc<ClassObj>> {
        for b in &bases {
            if Rc::ptr_eq(b, &self.types.bool_)
                || Rc::ptr_eq(b, &self.types.range)
                || Rc::ptr_eq(b, &self.types.slice)
            {
                return Err(Error::type_error(format!(
                    "type '{}' is not an acceptable base type",
                    b.name.as_str()
                )));
            }
        }
        let bases = if bases.is_empty() {
            vec![self.types.object.clone()]
        } else {
            bases
        };
        let mro = c3_merge(&bases).ok_or_else(|| {
            let names: Vec<&str> = bases.iter().map(|b| b.name.as_str()).collect();
            Error::type_error(format!(
                "Cannot create a consistent method resolution\norder (MRO) for bases {}",
                names.join(", ")
            ))
        })?;
        let builtin = mro
            .iter()
            .map(|c| c.builtin)
            .find(|b| *b != Builtin::Object)
            .unwrap_or(Builtin::Object);
        let mut dict = new_symmap();
        for (k, v) in ns.d.borrow().items() {
            if let Value::Str(s) = k {
                dict.insert(self.intern(s.as_str()), v);
            }
        }
        // A class that defines __eq__ but not __hash__ is unhashable.
        let (eq, hash) = (self.intern_static("__eq__"), self.intern_static("__hash__"));
        if dict.contains_key(&eq) && !dict.contains_key(&hash) {
            dict.insert(hash, Value::None);
        }
        let plain_setattr = !has_store_hooks(&dict) && mro.iter().all(|c| c.plain_setattr.get());
        let custom_setattr = matches!(
            dict.get(&self.intern_static("__setattr__")),
            Some(Value::Function(_))
        ) || mro.iter().any(|c| c.custom_setattr.get());
        let ga = self.intern_static("__getattribute__");
        let custom_getattribute = matches!(dict.get(&ga), Some(Value::Function(_)))
            || mro.iter().any(|c| c.custom_getattribute.get());
        let slots = self.class_slots(&dict, &mro)?;
        let qualname = match dict.get(&self.intern_static("__qualname__")) {
            Some(Value::Str(q)) => q.clone(),
            _ => name.clone(),
        };
        Ok(Rc::new(ClassObj {
            name,
            qualname: RefCell::new(qualname),
            bases,
            mro,
            dict: RefCell::new(dict),
            builtin,
            is_native: false,
            metaclass: RefCell::new(None),
            version: Cell::new(0),
            custom_getattribute: Cell::new(custom_getattribute),
            plain_setattr: Cell::new(plain_setattr),
            custom_setattr: Cell::new(custom_setattr),
            lookup_cache: RefCell::new((0, new_symmap())),
            init_cache: RefCell::new((u64::MAX, None)),
            attrs_seen: Cell::new(0),
            slots,
        }))
    }

    /// The names a class's `__slots__` allow, with its bases' (None when
    /// instances keep a free `__dict__`: no `__slots__` here or in some
    /// base other than `object`, or `'__dict__'` among them).
    fn class_slots(
        &mut self,
        dict: &SymMap<Value>,
        mro: &[Rc<ClassObj>],
    ) -> Res<Option<Box<[Sym]>>> {
        let Some(decl) = dict.get(&self.intern_static("__slots__")).cloned() else {
            return Ok(None);
        };
        let names = match &decl {
            Value::Str(s) => vec![Value::Str(s.clone())],
            v => self.iterate(v)?,
        };
        let mut allowed: Vec<Sym> = Vec::new();
        for n in names {
            let Value::Str(s) = n else {
                return Err(Error::type_error(format!(
                    "__slots__ items must be strings, not '{}'",
                    n.type_name()
                )));
            };
            if s.as_str() == "__dict__" {
                return Ok(None);
            }
            allowed.push(self.intern(s.as_str()));
        }
        for base in mro {
            if Rc::ptr_eq(base, &self.types.object) {
                continue;
            }
            match &base.slots {
                Some(b) => allowed.extend(b.iter().cloned()),
                None => return Ok(None),
            }
        }
        Ok(Some(allowed.into_boxed_slice()))
    }
}

/// Whether a class dict makes attribute stores special: a script
/// `__setattr__`, a property, or an object with `__set__`.
/// Most keyword arguments a call may pass and still be bound in place.
const MAX_FAST_KW: usize = 8;

/// The parameter a keyword names (not a positional-only one).
#[inline]
fn param_index(code: &Code, name: &Value) -> Option<usize> {
    let Value::Str(name) = name else {
        return None;
    };
    let params = code.posonlycount as usize..(code.argcount + code.kwonlycount) as usize;
    code.varnames[params.clone()]
        .iter()
        .position(|n| Rc::ptr_eq(n, name) || n.s == name.s)
        .map(|i| i + params.start)
}

/// Whether a call of [f] with [argc] arguments, the last ones named by
/// [kwnames], can be bound in place: a plain function (no `*args`,
/// `**kwargs`, generator or `@` calls), every keyword naming a parameter
/// not already given, and a default for every parameter left out.
/// Anything else goes to [Vm::bind_args], which also reports the errors.
#[inline]
pub(crate) fn bindable(f: &FunctionObj, argc: usize, kwnames: Option<&[Value]>) -> bool {
    bindable_as(f, argc, kwnames, 0)
}

/// [bindable], also accepting functions with the [allowed] flags (a
/// generator function's call binds its locals the same way).
#[inline]
fn bindable_as(f: &FunctionObj, argc: usize, kwnames: Option<&[Value]>, allowed: u32) -> bool {
    let code = &f.code;
    let refused = FLAG_VARARGS | FLAG_VARKW | FLAG_GENERATOR | FLAG_NONATOMIC;
    if code.flags & refused & !allowed != 0 {
        return false;
    }
    let argcount = code.argcount as usize;
    let kwonly = code.kwonlycount as usize;
    let Some(names) = kwnames else {
        if argc == argcount && kwonly == 0 {
            return true;
        }
        return argc <= argcount
            && argc + f.defaults.len() >= argcount
            && f.kwdefaults.iter().all(|d| !d.is_undef())
            && f.kwdefaults.len() == kwonly;
    };
    let nkw = names.len();
    let nparams = argcount + kwonly;
    if nkw > MAX_FAST_KW || nparams > 64 || argc < nkw {
        return false;
    }
    let npos = argc - nkw;
    if npos > argcount {
        return false;
    }
    let mut filled: u64 = (1u64 << npos) - 1;
    for name in names {
        match param_index(code, name) {
            Some(i) if filled & (1 << i) == 0 => filled |= 1 << i,
            _ => return false,
        }
    }
    let first_default = argcount.saturating_sub(f.defaults.len());
    (npos..first_default).all(|i| filled & (1 << i) != 0)
        && (0..kwonly).all(|i| {
            filled & (1 << (argcount + i)) != 0
                || f.kwdefaults.get(i).is_some_and(|d| !d.is_undef())
        })
}

pub fn has_store_hooks(dict: &SymMap<Value>) -> bool {
    dict.iter().any(|(k, v)| {
        (k.as_str() == "__setattr__" && matches!(v, Value::Function(_)))
            || matches!(v, Value::Object(o) if o.is::<super::descr::Property>())
            || matches!(v, Value::Instance(i) if i.class.lookup(&super::value::intern("__set__")).is_some())
    })
}

fn missing_args(fname: &str, kind: &str, missing: &[String]) -> Error {
    let quoted: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
    let list = match quoted.len() {
        1 => quoted[0].clone(),
        2 => format!("{} and {}", quoted[0], quoted[1]),
        _ => format!(
            "{}, and {}",
            quoted[..quoted.len() - 1].join(", "),
            quoted[quoted.len() - 1]
        ),
    };
    let n = missing.len();
    let s = if n == 1 { "" } else { "s" };
    Error::type_error(format!(
        "{fname}() missing {n} required {kind} argument{s}: {list}"
    ))
}

/// C3 linearisation of the bases (the class itself excluded).
fn c3_merge(bases: &[Rc<ClassObj>]) -> Option<Vec<Rc<ClassObj>>> {
    let mut seqs: Vec<Vec<Rc<ClassObj>>> = bases
        .iter()
        .map(|b| {
            let mut v = vec![b.clone()];
            v.extend(b.mro.iter().cloned());
            v
        })
        .collect();
    seqs.push(bases.to_vec());
    let mut out: Vec<Rc<ClassObj>> = Vec::new();
    loop {
        seqs.retain(|s| !s.is_empty());
        if seqs.is_empty() {
            return Some(out);
        }
        let mut found = None;
        for s in &seqs {
            let cand = &s[0];
            let in_tail = seqs
                .iter()
                .any(|t| t[1..].iter().any(|c| Rc::ptr_eq(c, cand)));
            if !in_tail {
                found = Some(cand.clone());
                break;
            }
        }
        let c = found?;
        for s in &mut seqs {
            if Rc::ptr_eq(&s[0], &c) {
                s.remove(0);
            }
        }
        out.push(c);
    }
}

impl Vm {
    /// `with mgr:` entry: returns the bound `__exit__` and the value of
    /// `__enter__()`.
    pub fn enter_with(&mut self, mgr: Value) -> Res<(Value, Value)> {
        let enter = self.intern_static("__enter__");
        let exit = self.intern_static("__exit__");
        let (Some(ef), Some(xf)) = (
            self.lookup_special(&mgr, &enter),
            self.lookup_special(&mgr, &exit),
        ) else {
            return Err(Error::type_error(format!(
                "'{}' object does not support the context manager protocol",
                mgr.type_name()
            )));
        };
        let entered = self.call(&ef, std::slice::from_ref(&mgr), &[])?;
        let bound = Value::BoundMethod(Rc::new(BoundMethodObj {
            gc: crate::vm::gc::GcSlot::new(),
            func: xf,
            receiver: mgr,
        }));
        Ok((bound, entered))
    }
}

/// Empties an argument buffer, releasing each value through
/// [Value::discard] (scalars and shared objects need no drop glue).
#[inline(always)]
fn release_all(buf: &mut Vec<Value>) {
    let n = buf.len();
    // SAFETY: the length is cut first and each of the n initialised
    // values is read out exactly once.
    unsafe {
        buf.set_len(0);
        for i in 0..n {
            std::ptr::read(buf.as_ptr().add(i)).discard();
        }
    }
}
