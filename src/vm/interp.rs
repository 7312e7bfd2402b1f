//! The virtual machine state and its dispatch loop.
//!
//! One `match` over the instruction enum runs everything. Hot state (`ip`,
//! the frame's base and code) lives in locals; it is written back to the
//! frame record only at the sync points named `sync!`: before anything that
//! can raise, call out, or switch frames.

use std::collections::HashMap;
use std::rc::Rc;

use super::error::{Error, ExcType, Res};
use super::frame::{Block, Frame, Resume, FRAME_NONATOMIC, FRAME_SIBLINGS};
use super::object::*;
use super::site_cache::{self, Cached};
use super::types::Types;
use super::value::*;
use crate::bytecode::code::FLAG_SIMPLE;
use crate::bytecode::{Code, Op};
use crate::syntax::ast::{BinOp, CmpOp};

/// Where output goes: the process's stdout, or a buffer for embedders
/// and tests.
pub enum Output {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    Captured(String),
}

pub struct Vm {
    /// The running thread's value stack: frame windows of locals plus
    /// operand stacks.
    pub stack: Vec<Value>,
    /// The running thread's frames, innermost last.
    pub frames: Vec<Frame>,
    /// Exceptions being handled (`except` clauses entered), innermost last.
    pub handled: Vec<Value>,
    pub builtins: Rc<ModuleObj>,
    pub types: Types,
    /// Imported modules by dotted name (`sys.modules`).
    pub modules: HashMap<String, Value>,
    /// Frame count limit (RecursionError).
    pub recursion_limit: usize,
    /// Nesting of native-to-script re-entries on the Rust stack.
    pub native_depth: usize,
    pub out: Output,
    /// Directories searched by `import`, in order.
    pub path: Vec<std::path::PathBuf>,
    pub argv: Vec<String>,
    /// A spare argument buffer for calls of built-in functions.
    pub arg_buf: Vec<Value>,
    /// Containers whose repr is being built (cycle and depth guard).
    pub repr_guard: Vec<usize>,
    /// `sys.modules`, once the sys module exists (kept in step with
    /// [modules]).
    pub sys_modules: Option<Rc<DictObj>>,
    /// Classes made for native object types that have none (by name).
    pub native_classes: std::cell::RefCell<HashMap<String, Rc<ClassObj>>>,
    /// True when stdout is a terminal (flush at each newline).
    pub line_buffered: bool,
    /// Set when writing to stdout failed with a broken pipe.
    pub stdout_closed: bool,
    /// The micro-thread scheduler while `con.bootstrap` runs.
    pub sched: Option<Box<crate::runtime::Scheduler>>,
    /// Set by a non-atomic call of a switching primitive, for the
    /// primitive's `begin_switch` check.
    pub switch_ctx: bool,
    /// Set while a non-atomic call dispatches to a script function.
    pub at_call: bool,
    /// The dunder names of each binary operator (see `ops::binop_syms`).
    pub binop_syms: Vec<(Sym, Sym, Sym)>,
}

/// Limit on native-to-script re-entry (sort keys, `__eq__`, `map`, ...).
pub const MAX_NATIVE_DEPTH: usize = 200;

macro_rules! pop {
    ($vm:expr) => {
        $vm.spop()
    };
}

impl Vm {
    pub fn new() -> Vm {
        let types = Types::new();
        let builtins = Rc::new(ModuleObj::new(Rc::new(StrObj::new("builtins")), None));
        use std::io::IsTerminal;
        let mut vm = Vm {
            stack: Vec::with_capacity(1024),
            frames: Vec::with_capacity(64),
            handled: Vec::new(),
            builtins,
            types,
            modules: HashMap::new(),
            recursion_limit: 1000,
            native_depth: 0,
            out: Output::Stdout(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout(),
            )),
            path: Vec::new(),
            argv: Vec::new(),
            repr_guard: Vec::new(),
            arg_buf: Vec::new(),
            sys_modules: None,
            native_classes: std::cell::RefCell::new(HashMap::new()),
            line_buffered: std::io::stdout().is_terminal(),
            stdout_closed: false,
            sched: None,
            switch_ctx: false,
            at_call: false,
            binop_syms: super::ops::binop_syms(),
        };
        crate::builtins::install(&mut vm);
        vm
    }

    /// The shared symbol for a string literal (cached by address).
    #[inline]
    pub fn intern_static(&mut self, s: &'static str) -> Sym {
        super::value::intern_static(s)
    }

    /// Returns the shared symbol for [s].
    pub fn intern(&mut self, s: &str) -> Sym {
        super::value::intern(s)
    }

    /// Runs the frame on top of the frame list (and everything it calls)
    /// until the frame list shrinks back to [stop] entries; returns the
    /// value the bottom frame returned or yielded.
    pub fn run(&mut self, stop: usize) -> Res<Value> {
        'frames: loop {
            let fi = self.frames.len() - 1;
            // SAFETY: the frame record at `fi` owns an `Rc` to its code and
            // stays on the frame list while this iteration uses `code`:
            // every path that pops or moves it `continue`s 'frames (or
            // returns) at once.
            let code: &Code = unsafe { &*Rc::as_ptr(&self.frames[fi].code) };
            let base = self.frames[fi].base;
            let mut ip = self.frames[fi].ip;
            let ops: &[Op] = &code.ops;

            macro_rules! sync {
                () => {
                    self.frames[fi].ip = ip
                };
            }
            // Propagates an error: find a handler or unwind frames.
            macro_rules! throw {
                ($err:expr) => {{
                    let err = $err;
                    sync!();
                    self.handle_error(err, stop, false)?;
                    continue 'frames;
                }};
            }
            macro_rules! tri {
                ($e:expr) => {
                    match $e {
                        Ok(v) => v,
                        Err(err) => throw!(err),
                    }
                };
            }
            // LoadFast(a) then LoadFast(b), skipping the second's own
            // instruction; an unbound second local is left to that
            // LoadFast, which reports it at its own span.
            macro_rules! load_fast2 {
                ($a:expr, $b:expr) => {{
                    let ia = base + $a as usize;
                    let ib = base + $b as usize;
                    debug_assert!(ia.max(ib) < self.stack.len());
                    // SAFETY: as for LoadFast.
                    if unsafe { self.stack.get_unchecked(ia) }.is_undef() {
                        throw!(self.unbound_local(code, $a as u32));
                    }
                    self.push_copy_at(ia);
                    if !unsafe { self.stack.get_unchecked(ib) }.is_undef() {
                        self.push_copy_at(ib);
                        ip += 1;
                    }
                }};
            }

            loop {
                debug_assert!(ip < ops.len());
                // SAFETY: the compiler ends every code object with a
                // return and only emits jumps to instructions inside it,
                // so ip stays in bounds.
                let op = unsafe { *ops.get_unchecked(ip) };
                ip += 1;
                match op {
                    Op::Nop => {}
                    Op::LoadConst(i) => self.push_copy_of(&code.consts[i as usize]),
                    Op::LoadNone => self.spush(Value::None),
                    Op::LoadInt(i) => self.spush(Value::Int(i as i64)),
                    Op::LoadFast(i) => {
                        let idx = base + i as usize;
                        debug_assert!(idx < self.stack.len());
                        // SAFETY: a frame's local slots, base..base+nlocals,
                        // stay on the stack while it runs, and the compiler
                        // numbers locals below nlocals.
                        if unsafe { self.stack.get_unchecked(idx) }.is_undef() {
                            throw!(self.unbound_local(code, i));
                        }
                        self.push_copy_at(idx);
                    }
                    Op::LoadFast2(a, b) => load_fast2!(a, b),
                    Op::StoreLoadFast(a, b) => {
                        let v = pop!(self);
                        let ia = base + a as usize;
                        let ib = base + b as usize;
                        debug_assert!(ia.max(ib) < self.stack.len());
                        // SAFETY: as for LoadFast.
                        let slot = unsafe { self.stack.get_unchecked_mut(ia) };
                        std::mem::replace(slot, v).discard();
                        if !unsafe { self.stack.get_unchecked(ib) }.is_undef() {
                            self.push_copy_at(ib);
                            ip += 1;
                        }
                    }
                    Op::StoreFast2(a, b) => {
                        let n = self.stack.len();
                        let ia = base + a as usize;
                        let ib = base + b as usize;
                        debug_assert!(n >= 2 && ia.max(ib) < n - 2);
                        let v = pop!(self);
                        let w = pop!(self);
                        // SAFETY: as for LoadFast.
                        std::mem::replace(unsafe { self.stack.get_unchecked_mut(ia) }, v).discard();
                        std::mem::replace(unsafe { self.stack.get_unchecked_mut(ib) }, w).discard();
                        ip += 1;
                    }
                    Op::BinaryInt(bop, k) => {
                        // The immediate goes on the stack either way: the
                        // scalar path consumes it, else the Binary that
                        // follows runs as usual.
                        self.spush(Value::Int(k as i64));
                        if self.scalar_binary(bop) {
                            ip += 1;
                        }
                    }
                    Op::BinaryFast(bop, b) => {
                        let n = self.stack.len();
                        let ib = base + b as usize;
                        debug_assert!(ib < n && n > base);
                        // SAFETY: as for LoadFast; the operand stack is not
                        // empty (the left operand is on it).
                        let r = unsafe {
                            scalar_op(
                                bop,
                                self.stack.get_unchecked(n - 1),
                                self.stack.get_unchecked(ib),
                            )
                        };
                        if let Some(r) = r {
                            // SAFETY: the top was an int or float (scalar_op
                            // checked), which owns nothing.
                            unsafe { std::ptr::write(self.stack.as_mut_ptr().add(n - 1), r) };
                            ip += 1;
                            continue;
                        }
                        if unsafe { self.stack.get_unchecked(ib) }.is_undef() {
                            throw!(self.unbound_local(code, b as u32));
                        }
                        self.push_copy_at(ib);
                    }
                    Op::BinaryFast2(bop, a, b) => {
                        let ia = base + a as usize;
                        let ib = base + b as usize;
                        debug_assert!(ia.max(ib) < self.stack.len());
                        // SAFETY: as for LoadFast.
                        let r = unsafe {
                            scalar_op(
                                bop,
                                self.stack.get_unchecked(ia),
                                self.stack.get_unchecked(ib),
                            )
                        };
                        if let Some(r) = r {
                            self.spush(r);
                            ip += 2;
                            continue;
                        }
                        load_fast2!(a, b);
                    }
                    Op::StoreFast(i) => {
                        let v = pop!(self);
                        debug_assert!(base + (i as usize) < self.stack.len());
                        // SAFETY: as for LoadFast.
                        let slot = unsafe { self.stack.get_unchecked_mut(base + i as usize) };
                        std::mem::replace(slot, v).discard();
                    }
                    Op::DeleteFast(i) => {
                        if self.stack[base + i as usize].is_undef() {
                            throw!(self.unbound_local(code, i));
                        }
                        self.stack[base + i as usize] = Value::Undef;
                    }
                    Op::LoadDeref(i) => {
                        let v = match &self.stack[base + i as usize] {
                            Value::Cell(c) => c.value.borrow().clone(),
                            _ => Value::Undef,
                        };
                        if v.is_undef() {
                            throw!(self.unbound_free(code, i));
                        }
                        self.spush(v);
                    }
                    Op::StoreDeref(i) => {
                        let v = pop!(self);
                        if let Value::Cell(c) = &self.stack[base + i as usize] {
                            *c.value.borrow_mut() = v;
                        }
                    }
                    Op::DeleteDeref(i) => {
                        if let Value::Cell(c) = &self.stack[base + i as usize] {
                            *c.value.borrow_mut() = Value::Undef;
                        }
                    }
                    Op::MakeCell(i) => {
                        let slot = &mut self.stack[base + i as usize];
                        if !matches!(slot, Value::Cell(_)) {
                            let v = std::mem::take(slot);
                            *slot = Value::cell(v);
                        }
                    }
                    Op::LoadClosure(i) => {
                        let v = self.stack[base + i as usize].clone();
                        self.spush(v);
                    }
                    Op::LoadGlobal(i) => {
                        let v = self.load_global(code, fi, i);
                        match v {
                            Some(v) => self.spush(v),
                            None => throw!(self.name_error(&code.names[i as usize])),
                        }
                    }
                    Op::StoreGlobal(i) => {
                        let v = pop!(self);
                        self.store_global(code, fi, i, v);
                    }
                    Op::DeleteGlobal(i) => {
                        let name = code.names[i as usize].clone();
                        let g = self.frames[fi].globals.clone();
                        if g.get(&name).is_none() {
                            throw!(self.name_error(&name));
                        }
                        g.set(&name, Value::Undef);
                    }
                    Op::LoadName(i) => {
                        sync!();
                        let v = tri!(self.load_name(fi, code, i));
                        self.spush(v);
                    }
                    Op::StoreName(i) => {
                        let v = pop!(self);
                        sync!();
                        tri!(self.store_name(fi, code, i, v));
                    }
                    Op::DeleteName(i) => {
                        sync!();
                        tri!(self.delete_name(fi, code, i));
                    }
                    Op::LoadFastAttr(s, i) => {
                        let slot = &self.stack[base + s as usize];
                        if let Some(v) = plain_instance_attr(slot, code, i as u32) {
                            self.spush(v);
                            continue;
                        }
                        if let Some(f) = self.property_getter(slot, code, i as u32) {
                            let top = self.stack.len();
                            self.push_copy_at(base + s as usize);
                            sync!();
                            tri!(self.push_frame_in_place(&f, top, top, Resume::Normal));
                            continue 'frames;
                        }
                        if slot.is_undef() {
                            throw!(self.unbound_local(code, s as u32));
                        }
                        let obj = slot.clone();
                        sync!();
                        let v = tri!(self.getattr(&obj, &code.names[i as usize]));
                        self.spush(v);
                    }
                    Op::LoadAttr(i) => {
                        // Fast path: an attribute in a plain instance's dict.
                        let top = self.stack.len() - 1;
                        if let Some(v) = plain_instance_attr(&self.stack[top], code, i) {
                            std::mem::replace(&mut self.stack[top], v).discard();
                            continue;
                        }
                        // A property whose getter is a plain function runs
                        // as a frame that replaces the instance with its
                        // result.
                        if let Some(f) = self.property_getter(&self.stack[top], code, i) {
                            sync!();
                            tri!(self.push_frame_in_place(&f, top, top, Resume::Normal));
                            continue 'frames;
                        }
                        let obj = pop!(self);
                        sync!();
                        let v = tri!(self.getattr(&obj, &code.names[i as usize]));
                        self.spush(v);
                    }
                    Op::StoreAttr(i) => {
                        // Fast path: replacing an attribute of a plain
                        // instance (no `__setattr__`, no data descriptor).
                        let n = self.stack.len();
                        let plain = match &self.stack[n - 1] {
                            Value::Instance(inst) if !inst.class.is_native => {
                                inst.class.plain_setattr.get()
                                    || code.method_cache[i as usize]
                                        .get(
                                            Rc::as_ptr(&inst.class),
                                            site_cache::class_epoch(),
                                            Cached::PlainStore,
                                        )
                                        .is_some()
                            }
                            _ => false,
                        };
                        if plain {
                            let obj = pop!(self);
                            let v = pop!(self);
                            let name = &code.names[i as usize];
                            if let Value::Instance(inst) = &obj {
                                let mut d = inst.dict.borrow_mut();
                                if let Some(slot) =
                                    d.get_mut_hinted(name, &code.attr_hint[i as usize])
                                {
                                    let old = std::mem::replace(slot, v);
                                    drop(d);
                                    old.discard();
                                    obj.discard();
                                    continue;
                                }
                                // A new attribute (as in `__init__`), when
                                // `__slots__` allows it.
                                let allowed = match &inst.class.slots {
                                    Some(names) => super::attr::slot_allowed(names, name),
                                    None => true,
                                };
                                if allowed {
                                    code.attr_hint[i as usize].set(d.len() as u32);
                                    d.insert_absent(name.clone(), v);
                                    let n = d.len() as u32;
                                    if n > inst.class.attrs_seen.get() {
                                        inst.class.attrs_seen.set(n.min(64));
                                    }
                                    drop(d);
                                    obj.discard();
                                    continue;
                                }
                            }
                            sync!();
                            tri!(self.setattr(&obj, name, v));
                            continue;
                        }
                        let obj = pop!(self);
                        let v = pop!(self);
                        sync!();
                        let name = &code.names[i as usize];
                        tri!(self.setattr(&obj, name, v));
                        self.note_plain_store(&obj, code, i);
                    }
                    Op::DeleteAttr(i) => {
                        let obj = pop!(self);
                        sync!();
                        tri!(self.delattr(&obj, &code.names[i as usize]));
                    }
                    Op::LoadMethod(i) => {
                        // Fast path: the method cache answers.
                        let top = self.stack.len() - 1;
                        let name = &code.names[i as usize];
                        let cache = &code.method_cache[i as usize];
                        let class = self.method_class(&self.stack[top], name);
                        let epoch = site_cache::class_epoch();
                        if !class.is_null() {
                            if let Some(f) = cache.get(class, epoch, Cached::Method) {
                                let obj = std::mem::replace(&mut self.stack[top], f);
                                self.spush(obj);
                                continue;
                            }
                        }
                        let obj = pop!(self);
                        sync!();
                        let (f, recv) = tri!(self.load_method(obj, name));
                        if !class.is_null() && !recv.is_undef() {
                            let cls = self.type_of(&recv);
                            if std::ptr::eq(Rc::as_ptr(&cls), class) {
                                cache.fill(&cls, epoch, Cached::Method, f.clone());
                            }
                        }
                        self.spush(f);
                        self.spush(recv);
                    }
                    Op::Subscr => {
                        if let Some(v) = self.index_fast() {
                            // SAFETY: index_fast saw a container below an
                            // int: the int needs no drop, the container is
                            // dropped in place.
                            let n = self.stack.len();
                            unsafe {
                                self.stack.set_len(n - 1);
                                std::ptr::read(self.stack.as_ptr().add(n - 2)).discard();
                                std::ptr::write(self.stack.as_mut_ptr().add(n - 2), v);
                            }
                            continue;
                        }
                        let key = pop!(self);
                        let obj = pop!(self);
                        sync!();
                        let v = tri!(self.getitem(&obj, &key));
                        key.discard();
                        obj.discard();
                        self.spush(v);
                    }
                    Op::StoreSubscr => {
                        if self.store_index_fast() {
                            continue;
                        }
                        let key = pop!(self);
                        let obj = pop!(self);
                        let v = pop!(self);
                        sync!();
                        tri!(self.setitem(&obj, key, v));
                        obj.discard();
                    }
                    Op::DeleteSubscr => {
                        let key = pop!(self);
                        let obj = pop!(self);
                        sync!();
                        tri!(self.delitem(&obj, &key));
                    }
                    Op::Pop => pop!(self).discard(),
                    Op::Dup => {
                        let idx = self.stack.len() - 1;
                        self.push_copy_at(idx);
                    }
                    Op::DupTwo => {
                        let n = self.stack.len();
                        let a = self.stack[n - 2].clone();
                        let b = self.stack[n - 1].clone();
                        self.spush(a);
                        self.spush(b);
                    }
                    Op::Rot2 => {
                        let n = self.stack.len();
                        self.stack.swap(n - 1, n - 2);
                    }
                    Op::Rot3 => {
                        let v = pop!(self);
                        let n = self.stack.len();
                        self.stack.insert(n - 2, v);
                    }
                    Op::Rot4 => {
                        let v = pop!(self);
                        let n = self.stack.len();
                        self.stack.insert(n - 3, v);
                    }
                    Op::Binary(bop) => {
                        if self.scalar_binary(bop) {
                            continue;
                        }
                        let n = self.stack.len();
                        let (a, b) = (&self.stack[n - 2], &self.stack[n - 1]);
                        if let Some((f, resume)) = self.dunder_frame(bop, a, b, false) {
                            sync!();
                            tri!(self.push_dunder_frame(&f, resume));
                            continue 'frames;
                        }
                        let b = pop!(self);
                        let n = self.stack.len() - 1;
                        let a = std::mem::take(&mut self.stack[n]);
                        sync!();
                        match self.binary(bop, a, b) {
                            Ok(v) => self.refill(n, v),
                            Err(e) => throw!(e),
                        }
                    }
                    Op::InplaceBinary(bop) => {
                        // Ints and floats are immutable: `x op= y` is `x op y`.
                        if self.scalar_binary(bop) {
                            continue;
                        }
                        let n = self.stack.len();
                        let (a, b) = (&self.stack[n - 2], &self.stack[n - 1]);
                        if let Some((f, resume)) = self.dunder_frame(bop, a, b, true) {
                            sync!();
                            tri!(self.push_dunder_frame(&f, resume));
                            continue 'frames;
                        }
                        let b = pop!(self);
                        let n = self.stack.len() - 1;
                        let a = std::mem::take(&mut self.stack[n]);
                        sync!();
                        match self.inplace(bop, a, b) {
                            Ok(v) => self.refill(n, v),
                            Err(e) => throw!(e),
                        }
                    }
                    Op::Compare(cop) | Op::CompareJump(cop, _) => {
                        // Two ints, or (for a fused jump) two floats.
                        let r = match (self.top_ints(), op) {
                            (Some((x, y)), _) => order(cop, x, y),
                            (None, Op::CompareJump(..)) => {
                                self.top_floats().and_then(|(x, y)| order(cop, x, y))
                            }
                            _ => None,
                        };
                        if let Some(r) = r {
                            if let Op::CompareJump(_, target) = op {
                                self.drop_top2_scalars();
                                // Past the PopJumpIfFalse, or to its target.
                                ip = if r { ip + 1 } else { target as usize };
                            } else {
                                self.replace_top2_scalars(Value::bool(r));
                            }
                            continue;
                        }
                        let b = pop!(self);
                        let n = self.stack.len() - 1;
                        if let (Value::Int(x), Value::Int(y)) = (&self.stack[n], &b) {
                            let r = match cop {
                                CmpOp::Lt => x < y,
                                CmpOp::LtE => x <= y,
                                CmpOp::Gt => x > y,
                                CmpOp::GtE => x >= y,
                                CmpOp::Eq | CmpOp::Is => x == y,
                                CmpOp::NotEq | CmpOp::IsNot => x != y,
                                _ => {
                                    let a = std::mem::take(&mut self.stack[n]);
                                    sync!();
                                    match self.compare(cop, &a, &b) {
                                        Ok(v) => {
                                            self.refill(n, v);
                                            continue;
                                        }
                                        Err(e) => throw!(e),
                                    }
                                }
                            };
                            self.stack[n] = Value::bool(r);
                            continue;
                        }
                        let a = std::mem::take(&mut self.stack[n]);
                        sync!();
                        match self.compare(cop, &a, &b) {
                            Ok(v) => self.refill(n, v),
                            Err(e) => throw!(e),
                        }
                        a.discard();
                        b.discard();
                    }
                    Op::Neg => {
                        let a = pop!(self);
                        sync!();
                        let v = tri!(self.unary_neg(a));
                        self.spush(v);
                    }
                    Op::Pos => {
                        let a = pop!(self);
                        sync!();
                        let v = tri!(self.unary_pos(a));
                        self.spush(v);
                    }
                    Op::Invert => {
                        let a = pop!(self);
                        sync!();
                        let v = tri!(self.unary_invert(a));
                        self.spush(v);
                    }
                    Op::Not => {
                        let a = pop!(self);
                        let t = match a {
                            Value::Bool(b) => b.get(),
                            _ => {
                                sync!();
                                tri!(self.truthy(&a))
                            }
                        };
                        self.spush(Value::bool(!t));
                    }
                    Op::Jump(t) => {
                        // Loop back edges poll for a due collection or a
                        // Ctrl-C (both raise the same flag).
                        if (t as usize) < ip
                            && super::gc::COLLECT_PENDING.load(std::sync::atomic::Ordering::Relaxed)
                        {
                            sync!();
                            if let Some(e) = self.poll_signals() {
                                throw!(e);
                            }
                            super::gc::collect();
                        }
                        ip = t as usize;
                        // A `for` loop's back edge steps a range or list
                        // right away, saving the dispatch of its
                        // ForIterStore (which it then skips, with the
                        // StoreFast after it).
                        // SAFETY: jump targets are inside the code.
                        if let Op::ForIterStore(exit, s) = unsafe { *ops.get_unchecked(ip) } {
                            if let Some(step) = self.step_top_iter() {
                                match step {
                                    Some(v) => {
                                        let slot = &mut self.stack[base + s as usize];
                                        std::mem::replace(slot, v).discard();
                                        ip += 2;
                                    }
                                    None => {
                                        self.stack.pop();
                                        ip = exit as usize;
                                    }
                                }
                            }
                        }
                    }
                    Op::PopJumpIfFalse(t) => {
                        let v = pop!(self);
                        let t_ = match v {
                            Value::Bool(b) => b.get(),
                            _ => {
                                sync!();
                                tri!(self.truthy(&v))
                            }
                        };
                        if !t_ {
                            ip = t as usize;
                        }
                    }
                    Op::PopJumpIfTrue(t) => {
                        let v = pop!(self);
                        let t_ = match v {
                            Value::Bool(b) => b.get(),
                            _ => {
                                sync!();
                                tri!(self.truthy(&v))
                            }
                        };
                        if t_ {
                            ip = t as usize;
                        }
                    }
                    Op::JumpIfFalseOrPop(t) => {
                        let v = &self.stack[self.stack.len() - 1];
                        let t_ = match v {
                            Value::Bool(b) => b.get(),
                            _ => {
                                let v = v.clone();
                                sync!();
                                tri!(self.truthy(&v))
                            }
                        };
                        if !t_ {
                            ip = t as usize;
                        } else {
                            self.stack.pop();
                        }
                    }
                    Op::JumpIfTrueOrPop(t) => {
                        let v = &self.stack[self.stack.len() - 1];
                        let t_ = match v {
                            Value::Bool(b) => b.get(),
                            _ => {
                                let v = v.clone();
                                sync!();
                                tri!(self.truthy(&v))
                            }
                        };
                        if t_ {
                            ip = t as usize;
                        } else {
                            self.stack.pop();
                        }
                    }
                    Op::JumpIfNotLess(t) => {
                        if let Some((x, y)) = self.top_ints() {
                            self.drop_top2_scalars();
                            if x >= y {
                                ip = t as usize;
                            }
                            continue;
                        }
                        let b = pop!(self);
                        let a = pop!(self);
                        let less = match (&a, &b) {
                            (Value::Int(x), Value::Int(y)) => x < y,
                            (Value::Float(x), Value::Float(y)) => x.get() < y.get(),
                            _ => {
                                sync!();
                                let r = tri!(self.compare(CmpOp::Lt, &a, &b));
                                match r {
                                    Value::Bool(b) => b.get(),
                                    other => tri!(self.truthy(&other)),
                                }
                            }
                        };
                        if !less {
                            ip = t as usize;
                        }
                    }
                    Op::GetIter => {
                        let v = pop!(self);
                        sync!();
                        let it = tri!(self.get_iter(&v));
                        self.spush(it);
                    }
                    Op::ForIter(exit) | Op::ForIterStore(exit, _) => {
                        let n = self.stack.len() - 1;
                        if let Value::Generator(g) = &self.stack[n] {
                            let g = g.clone();
                            sync!();
                            if tri!(self.resume_generator(&g, None, Resume::ForIter(exit))) {
                                continue 'frames;
                            }
                            self.stack.pop();
                            ip = exit as usize;
                            continue;
                        }
                        // Ranges and lists step inline, without cloning the
                        // iterator or a virtual call.
                        if let Some(step) = self.step_top_iter() {
                            match step {
                                Some(v) => self.push_or_store(op, base, &mut ip, v),
                                None => {
                                    self.stack.pop();
                                    ip = exit as usize;
                                }
                            }
                            continue;
                        }
                        sync!();
                        let it = self.stack[n].clone();
                        match tri!(self.iter_next(&it)) {
                            Some(v) => self.spush(v),
                            None => {
                                self.stack.pop();
                                ip = exit as usize;
                            }
                        }
                    }
                    Op::BuildTuple(n) => {
                        let at = self.stack.len() - n as usize;
                        let items: Vec<Value> = self.stack.split_off(at);
                        self.spush(Value::tuple(items));
                    }
                    Op::BuildList(n) => {
                        let at = self.stack.len() - n as usize;
                        let items: Vec<Value> = self.stack.split_off(at);
                        self.spush(Value::list(items));
                    }
                    Op::BuildSet(n) => {
                        let at = self.stack.len() - n as usize;
                        let items: Vec<Value> = self.stack.split_off(at);
                        sync!();
                        let s = tri!(self.new_set(items));
                        self.spush(s);
                    }
                    Op::BuildMap(n) => {
                        let at = self.stack.len() - 2 * n as usize;
                        let items: Vec<Value> = self.stack.split_off(at);
                        sync!();
                        let d = tri!(self.new_dict_from_pairs(items));
                        self.spush(d);
                    }
                    Op::BuildString(n) => {
                        let at = self.stack.len() - n as usize;
                        let mut s = String::new();
                        for v in self.stack.drain(at..) {
                            if let Value::Str(x) = v {
                                s.push_str(&x.s);
                            }
                        }
                        self.spush(Value::string(s));
                    }
                    Op::BuildSlice(n) => {
                        let step = if n == 3 { pop!(self) } else { Value::None };
                        let stop_ = pop!(self);
                        let start = pop!(self);
                        self.spush(Value::Slice(Rc::new(SliceObj {
                            start,
                            stop: stop_,
                            step,
                        })));
                    }
                    Op::ListAppend(i) => {
                        let v = pop!(self);
                        let n = self.stack.len();
                        if let Value::List(l) = &self.stack[n - i as usize] {
                            l.items.borrow_mut().push(v);
                        }
                    }
                    Op::SetAdd(i) => {
                        let v = pop!(self);
                        let n = self.stack.len();
                        let s = self.stack[n - i as usize].clone();
                        sync!();
                        tri!(self.set_add(&s, v));
                    }
                    Op::MapAdd(i) => {
                        let v = pop!(self);
                        let k = pop!(self);
                        let n = self.stack.len();
                        let d = self.stack[n - i as usize].clone();
                        sync!();
                        tri!(self.setitem(&d, k, v));
                    }
                    Op::ListExtend => {
                        let src = pop!(self);
                        let l = self.stack[self.stack.len() - 1].clone();
                        sync!();
                        let items = tri!(self.iterate(&src));
                        if let Value::List(l) = l {
                            l.items.borrow_mut().extend(items);
                        }
                    }
                    Op::SetUpdate => {
                        let src = pop!(self);
                        let s = self.stack[self.stack.len() - 1].clone();
                        sync!();
                        let items = tri!(self.iterate(&src));
                        for v in items {
                            tri!(self.set_add(&s, v));
                        }
                    }
                    Op::DictUpdate | Op::DictMerge => {
                        let src = pop!(self);
                        let d = self.stack[self.stack.len() - 1].clone();
                        sync!();
                        tri!(self.dict_merge(&d, &src, matches!(op, Op::DictMerge)));
                    }
                    Op::ListToTuple => {
                        let l = pop!(self);
                        if let Value::List(l) = l {
                            let items = std::mem::take(&mut *l.items.borrow_mut());
                            self.spush(Value::tuple(items));
                        }
                    }
                    Op::UnpackSequence(n) => {
                        let seq = pop!(self);
                        if let Some(next) = self.unpack_into_locals(&seq, n as usize, ops, ip, base)
                        {
                            ip = next;
                            continue;
                        }
                        sync!();
                        tri!(self.unpack(seq, n as usize));
                    }
                    Op::UnpackEx(before, after) => {
                        let seq = pop!(self);
                        sync!();
                        tri!(self.unpack_ex(seq, before as usize, after as usize));
                    }
                    Op::FormatValue(conv, has_spec) => {
                        let spec = if has_spec { Some(pop!(self)) } else { None };
                        let v = pop!(self);
                        sync!();
                        let s = tri!(self.format_field(v, conv, spec));
                        self.spush(s);
                    }
                    Op::Call { argc, at: true } => {
                        sync!();
                        if tri!(self.call_at(argc as usize, None)) {
                            continue 'frames;
                        }
                    }
                    Op::CallMethod { argc, at: true } => {
                        let pos = self.stack.len() - argc as usize - 1;
                        sync!();
                        let pushed = if self.stack[pos].is_undef() {
                            self.stack.remove(pos);
                            tri!(self.call_at(argc as usize, None))
                        } else {
                            tri!(self.call_at(argc as usize + 1, None))
                        };
                        if pushed {
                            continue 'frames;
                        }
                    }
                    Op::CallKw { argc, at: true } => {
                        let names = pop!(self);
                        sync!();
                        if tri!(self.call_at(argc as usize, Some(names))) {
                            continue 'frames;
                        }
                    }
                    Op::CallEx { at: true } => {
                        let kwargs = pop!(self);
                        let args = pop!(self);
                        let func = pop!(self);
                        sync!();
                        if tri!(self.call_ex_at(func, args, kwargs)) {
                            continue 'frames;
                        }
                    }
                    Op::ForIterAt(exit) => {
                        sync!();
                        match tri!(self.for_iter_at(exit)) {
                            super::atomic::Step::Value => {}
                            super::atomic::Step::Pushed => continue 'frames,
                            super::atomic::Step::Done => ip = exit as usize,
                        }
                    }
                    Op::Spawn => {
                        let kwargs = pop!(self);
                        let args = pop!(self);
                        let func = pop!(self);
                        sync!();
                        tri!(self.spawn_op(func, args, kwargs));
                    }
                    Op::Call { argc, .. } => {
                        let argc = argc as usize;
                        let fpos = self.stack.len() - argc - 1;
                        if self.try_simple_call(fpos, fpos + 1, argc) {
                            sync!();
                            continue 'frames;
                        }
                        sync!();
                        if let Value::Native(n) = &self.stack[fpos] {
                            tri!(self.call_native_op(n.func, fpos + 1));
                            continue;
                        }
                        if tri!(self.call_op(argc, None)) {
                            continue 'frames;
                        }
                    }
                    Op::CallMethod { argc, .. } => {
                        let pos = self.stack.len() - argc as usize - 1;
                        if !self.stack[pos].is_undef()
                            && self.try_simple_call(pos - 1, pos, argc as usize + 1)
                        {
                            sync!();
                            continue 'frames;
                        }
                        sync!();
                        if let Value::Native(n) = &self.stack[pos - 1] {
                            if !self.stack[pos].is_undef() {
                                tri!(self.call_native_op(n.func, pos));
                                continue;
                            }
                        }
                        let pushed = if self.stack[pos].is_undef() {
                            self.stack.remove(pos);
                            tri!(self.call_op(argc as usize, None))
                        } else {
                            tri!(self.call_op(argc as usize + 1, None))
                        };
                        if pushed {
                            continue 'frames;
                        }
                    }
                    Op::CallKw { argc, .. } => {
                        let names = pop!(self);
                        sync!();
                        if tri!(self.call_op(argc as usize, Some(names))) {
                            continue 'frames;
                        }
                    }
                    Op::CallEx { .. } => {
                        let kwargs = pop!(self);
                        let args = pop!(self);
                        let func = pop!(self);
                        sync!();
                        if tri!(self.call_ex(func, args, kwargs)) {
                            continue 'frames;
                        }
                    }
                    Op::MakeFunction(c, flags) => {
                        sync!();
                        let f = tri!(self.make_function(code, fi, c, flags));
                        self.spush(f);
                    }
                    Op::Return => {
                        let v = pop!(self);
                        let f = &self.frames[fi];
                        if fi > stop
                            && f.flags & FRAME_SIBLINGS == 0
                            && f.generator.is_none()
                            && f.handled_base as usize == self.handled.len()
                        {
                            // A plain return, or an `__init__` returning
                            // None (its instance already waits below).
                            let init_done = f.resume == Resume::Init && v.is_none();
                            if f.resume == Resume::Normal || init_done {
                                let floor = f.floor;
                                self.truncate_stack(floor);
                                self.drop_top_frame();
                                if !init_done {
                                    self.spush(v);
                                }
                                continue 'frames;
                            }
                        }
                        sync!();
                        match self.do_return(v, stop) {
                            Ok(Some(v)) => return Ok(v),
                            Ok(None) => continue 'frames,
                            Err(e) => {
                                self.handle_error(e, stop, false)?;
                                continue 'frames;
                            }
                        }
                    }
                    Op::SetupExcept(h) | Op::SetupFinally(h) => {
                        let sp = (self.stack.len() - base) as u32;
                        let handled = self.handled.len() as u32;
                        self.frames[fi].blocks.push(Block {
                            handler: h,
                            sp,
                            handled,
                        });
                    }
                    Op::SetupWith(h) => {
                        let mgr = pop!(self);
                        sync!();
                        let (exit, entered) = tri!(self.enter_with(mgr));
                        self.spush(exit);
                        let sp = (self.stack.len() - base) as u32;
                        let handled = self.handled.len() as u32;
                        self.frames[fi].blocks.push(Block {
                            handler: h,
                            sp,
                            handled,
                        });
                        self.spush(entered);
                    }
                    Op::PopBlock => {
                        self.frames[fi].blocks.pop();
                    }
                    Op::PopExcept => {
                        self.stack.pop();
                        self.handled.pop();
                    }
                    Op::Raise(n) => {
                        sync!();
                        let err = self.raise_op(n);
                        throw!(err);
                    }
                    Op::Reraise => {
                        let exc = pop!(self);
                        self.handled.pop();
                        sync!();
                        self.handle_error(Error::Raised(exc), stop, true)?;
                        continue 'frames;
                    }
                    Op::CheckExcMatch => {
                        let t = pop!(self);
                        let exc = self.stack[self.stack.len() - 1].clone();
                        sync!();
                        let m = tri!(self.exception_matches(&exc, &t));
                        self.spush(Value::bool(m));
                    }
                    Op::WithExitNormal => {
                        let exit = pop!(self);
                        sync!();
                        tri!(self.call(&exit, &[Value::None, Value::None, Value::None], &[]));
                    }
                    Op::WithExitExc => {
                        let n = self.stack.len();
                        let exit = self.stack[n - 2].clone();
                        let exc = self.stack[n - 1].clone();
                        sync!();
                        let t = self.type_of(&exc);
                        let tb = self.traceback_value(&exc);
                        let r = tri!(self.call(&exit, &[Value::Class(t), exc, tb], &[]));
                        let b = tri!(self.truthy(&r));
                        self.spush(Value::bool(b));
                    }
                    Op::YieldValue => {
                        let v = pop!(self);
                        sync!();
                        if let Some(v) = self.yield_value(v, stop) {
                            return Ok(v);
                        }
                        continue 'frames;
                    }
                    Op::YieldFrom(target) => {
                        let send = pop!(self);
                        sync!();
                        match self.yield_from(send, target, stop) {
                            Ok(Some(v)) => return Ok(v),
                            Ok(None) => continue 'frames,
                            Err(e) => throw!(e),
                        }
                    }
                    Op::GenStart => {
                        self.stack.pop();
                    }
                    Op::ImportName(i) => {
                        let level = pop!(self);
                        let fromlist = pop!(self);
                        sync!();
                        let m = tri!(self.import_op(fi, &code.names[i as usize], fromlist, level));
                        self.spush(m);
                    }
                    Op::ImportFrom(i) => {
                        let m = self.stack[self.stack.len() - 1].clone();
                        sync!();
                        let v = tri!(self.import_from(&m, &code.names[i as usize]));
                        self.spush(v);
                    }
                    Op::ImportStar => {
                        let m = pop!(self);
                        sync!();
                        tri!(self.import_star(fi, &m));
                    }
                    Op::LoadBuildClass => {
                        let f = self
                            .builtins
                            .get_str("__build_class__")
                            .unwrap_or(Value::None);
                        self.spush(f);
                    }
                    Op::LoadAssertionError => {
                        let c = self.types.exc(ExcType::AssertionError);
                        self.spush(Value::Class(c));
                    }
                    Op::PrintExpr => {
                        let v = pop!(self);
                        if !v.is_none() {
                            sync!();
                            let s = tri!(self.repr(&v));
                            self.write_out(&s);
                            self.write_out("\n");
                            self.builtins.set_str("_", v);
                        }
                    }
                }
            }
        }
    }

    /// Pushes on the value stack; the grow path is kept out of line.
    #[inline(always)]
    pub fn spush(&mut self, v: Value) {
        let len = self.stack.len();
        if len == self.stack.capacity() {
            self.grow_stack();
        }
        // SAFETY: capacity > len (ensured above). Not `Vec::push`, whose
        // body is an out-of-line call.
        unsafe {
            std::ptr::write(self.stack.as_mut_ptr().add(len), v);
            self.stack.set_len(len + 1);
        }
    }

    /// Puts [v] in stack slot [n], whose value was taken out (an Undef,
    /// released without a call into the drop glue).
    #[inline(always)]
    fn refill(&mut self, n: usize, v: Value) {
        std::mem::replace(&mut self.stack[n], v).discard();
    }

    /// Cuts the value stack back to [len], dropping through
    /// [Value::discard].
    #[inline(always)]
    fn truncate_stack(&mut self, len: usize) {
        while self.stack.len() > len {
            self.spop().discard();
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_stack(&mut self) {
        // Doubling from a small start: a micro-thread's stack begins
        // sized for its root frame.
        self.stack.reserve(self.stack.capacity().max(4));
    }

    /// Calls the dunder [f] of a binary operator as a frame of its own:
    /// the two operands stay on the stack for the return (see
    /// `Resume::Binary`) and copies become the frame's arguments.
    fn push_dunder_frame(&mut self, f: &Rc<FunctionObj>, resume: Resume) -> Res<()> {
        let n = self.stack.len();
        self.push_copy_at(n - 2);
        self.push_copy_at(n - 1);
        self.push_frame_in_place(f, n, n, resume)
    }

    /// Steps the range or list iterator on top of the stack: Some(Some)
    /// with the next item, Some(None) when it is exhausted, None when the
    /// top is some other iterator.
    #[inline(always)]
    fn step_top_iter(&self) -> Option<Option<Value>> {
        let Some(Value::Object(o)) = self.stack.last() else {
            return None;
        };
        if let Some(r) = o.downcast::<super::iter::RangeIter>() {
            let i = r.next.get();
            return Some(
                if (r.step > 0 && i < r.stop) || (r.step < 0 && i > r.stop) {
                    r.next.set(i.saturating_add(r.step));
                    Some(Value::Int(i))
                } else {
                    None
                },
            );
        }
        let l = o.downcast::<super::iter::ListIter>()?;
        let i = l.index.get();
        let item = l.list.items.borrow().get(i).cloned();
        if item.is_some() {
            l.index.set(i + 1);
        } else {
            l.index.set(usize::MAX / 2);
        }
        Some(item)
    }

    /// The next item of a `ForIter`: pushed, or for a fused
    /// `ForIterStore` stored straight into its local (skipping the
    /// StoreFast that follows).
    #[inline(always)]
    fn push_or_store(&mut self, op: Op, base: usize, ip: &mut usize, v: Value) {
        if let Op::ForIterStore(_, s) = op {
            let slot = &mut self.stack[base + s as usize];
            std::mem::replace(slot, v).discard();
            *ip += 1;
        } else {
            self.spush(v);
        }
    }

    /// `list[i]` or `tuple[i]` with an int index in range, for the two
    /// top stack values: the item, leaving the stack alone.
    #[inline(always)]
    fn index_fast(&self) -> Option<Value> {
        let n = self.stack.len();
        let Value::Int(i) = self.stack[n - 1] else {
            return None;
        };
        match &self.stack[n - 2] {
            Value::List(l) => {
                let items = l.items.borrow();
                let i = if i < 0 { i + items.len() as i64 } else { i };
                items.get(usize::try_from(i).ok()?).cloned()
            }
            Value::Tuple(t) => {
                let i = if i < 0 { i + t.items.len() as i64 } else { i };
                t.items.get(usize::try_from(i).ok()?).cloned()
            }
            _ => None,
        }
    }

    /// `list[i] = v` with an int index in range, for the three top stack
    /// values: stores, pops them and returns true; else leaves them.
    #[inline(always)]
    fn store_index_fast(&mut self) -> bool {
        let n = self.stack.len();
        let Value::Int(i) = self.stack[n - 1] else {
            return false;
        };
        let Value::List(l) = &self.stack[n - 2] else {
            return false;
        };
        let Ok(mut items) = l.items.try_borrow_mut() else {
            return false;
        };
        let i = if i < 0 { i + items.len() as i64 } else { i };
        let Some(slot) = usize::try_from(i).ok().and_then(|i| items.get_mut(i)) else {
            return false;
        };
        // SAFETY: the value is moved out of its slot, which the set_len
        // below then abandons without a drop.
        let v = unsafe { std::ptr::read(self.stack.as_ptr().add(n - 3)) };
        let old = std::mem::replace(slot, v);
        drop(items);
        // SAFETY: the int needs no drop, the value slot was moved out of
        // above, and the list is dropped in place.
        unsafe {
            self.stack.set_len(n - 3);
            std::ptr::read(self.stack.as_ptr().add(n - 2)).discard();
        }
        drop(old);
        true
    }

    /// After a store through the general path: when the class has no
    /// `__setattr__` and nothing of that name that intercepts stores,
    /// records in the site's cache that the next ones may go straight to
    /// the instance dict.
    fn note_plain_store(&self, obj: &Value, code: &Code, i: u32) {
        let Value::Instance(inst) = obj else {
            return;
        };
        let class = &inst.class;
        if class.is_native || class.custom_setattr.get() || class.slots.is_some() {
            return;
        }
        // Only an object or instance on the class can intercept a store
        // (a property, a `__set__` descriptor).
        let intercepted = matches!(
            class.lookup(&code.names[i as usize]),
            Some(Value::Object(_) | Value::Instance(_))
        );
        if !intercepted {
            let epoch = site_cache::class_epoch();
            code.method_cache[i as usize].fill(class, epoch, Cached::PlainStore, Value::None);
        }
    }

    /// The getter of a property named by `code.names[i]` on the class of
    /// the instance on top of the stack, when it is a plain one-parameter
    /// function (cached per site).
    fn property_getter(&self, obj: &Value, code: &Code, i: u32) -> Option<Rc<FunctionObj>> {
        let Value::Instance(inst) = obj else {
            return None;
        };
        if inst.class.custom_getattribute.get() {
            return None;
        }
        let cache = &code.method_cache[i as usize];
        let epoch = site_cache::class_epoch();
        let class = Rc::as_ptr(&inst.class);
        if let Some(Value::Function(f)) = cache.get(class, epoch, Cached::Getter) {
            return Some(f);
        }
        let Some(Value::Object(o)) = inst.class.lookup(&code.names[i as usize]) else {
            return None;
        };
        let p = o.downcast::<super::descr::Property>()?;
        // A getter's AttributeError goes on to `__getattr__`, which only
        // the general path does.
        if inst.class.lookup(&intern_static("__getattr__")).is_some() {
            return None;
        }
        match &p.fget {
            Value::Function(f) if super::call::bindable(f, 1, None) => {
                cache.fill(&inst.class, epoch, Cached::Getter, p.fget.clone());
                Some(f.clone())
            }
            _ => None,
        }
    }

    /// The class whose method cache entry may answer `v.name` for a
    /// method call: a plain instance's class when its own dict does not
    /// hold the name, or a common built-in type; null otherwise.
    #[inline(always)]
    fn method_class(&self, v: &Value, name: &Sym) -> *const ClassObj {
        let t = &self.types;
        let c = match v {
            Value::Instance(inst) => {
                if inst.class.custom_getattribute.get() || inst.dict.borrow().contains_key(name) {
                    return std::ptr::null();
                }
                &inst.class
            }
            Value::Str(_) => &t.str_,
            Value::List(_) => &t.list,
            Value::Dict(_) => &t.dict,
            Value::Set(_) => &t.set,
            Value::Tuple(_) => &t.tuple,
            Value::Int(_) => &t.int,
            Value::Float(_) => &t.float,
            Value::Bytes(_) => &t.bytes,
            _ => return std::ptr::null(),
        };
        Rc::as_ptr(c)
    }

    /// The call fast path: when `stack[fpos]` is a plain script function
    /// taking exactly the [nargs] arguments that start at [base], pushes
    /// its frame (the caller's ip must be synced) and returns true.
    #[inline(always)]
    fn try_simple_call(&mut self, fpos: usize, base: usize, nargs: usize) -> bool {
        let Value::Function(f) = &self.stack[fpos] else {
            return false;
        };
        let c = &*f.code;
        if c.flags & FLAG_SIMPLE == 0
            || nargs != c.argcount as usize
            || self.frames.len() >= self.recursion_limit
        {
            return false;
        }
        let nlocals = c.nlocals as usize;
        let (code, globals) = (f.code.clone(), f.globals.clone());
        if c.nfree > 0 || nlocals > nargs {
            let fs = base + c.free_start as usize;
            let f = f.clone();
            self.stack.resize(base + nlocals, Value::Undef);
            for (i, cell) in f.closure.iter().enumerate() {
                self.stack[fs + i] = cell.clone();
            }
        }
        let handled_base = self.handled.len() as u32;
        self.push_new_frame(code, globals, base, fpos, Resume::Normal, handled_base);
        true
    }

    /// Pushes the record of a frame starting a call, writing each field
    /// in place in the frame list. Building the record first and moving
    /// it in copied it twice with 16-byte loads of fields just stored
    /// one by one, which the store buffer cannot forward: a stall on
    /// every call.
    #[inline(always)]
    pub(crate) fn push_new_frame(
        &mut self,
        code: Rc<Code>,
        globals: Rc<super::object::ModuleObj>,
        base: usize,
        floor: usize,
        resume: Resume,
        handled_base: u32,
    ) {
        if self.frames.len() == self.frames.capacity() {
            self.grow_frames();
        }
        let len = self.frames.len();
        // SAFETY: capacity > len (ensured above); every field is written
        // before the length covers the record.
        unsafe {
            let p = self.frames.as_mut_ptr().add(len);
            std::ptr::addr_of_mut!((*p).code).write(code);
            std::ptr::addr_of_mut!((*p).ip).write(0);
            std::ptr::addr_of_mut!((*p).base).write(base);
            std::ptr::addr_of_mut!((*p).floor).write(floor);
            std::ptr::addr_of_mut!((*p).globals).write(globals);
            std::ptr::addr_of_mut!((*p).blocks).write(Vec::new());
            std::ptr::addr_of_mut!((*p).namespace).write(None);
            std::ptr::addr_of_mut!((*p).generator).write(None);
            std::ptr::addr_of_mut!((*p).resume).write(resume);
            std::ptr::addr_of_mut!((*p).handled_base).write(handled_base);
            std::ptr::addr_of_mut!((*p).flags).write(0);
            self.frames.set_len(len + 1);
        }
    }

    /// Drops the top frame record where it lies (a `pop` would move it
    /// out first).
    #[inline(always)]
    fn drop_top_frame(&mut self) {
        let len = self.frames.len();
        if len == 0 {
            return;
        }
        // SAFETY: the record at len - 1 is initialised; the length is cut
        // first, so it is dropped exactly once. The common record (no
        // handler blocks, namespace or generator; code and globals shared
        // with its function) only needs two counts lowered, done inline
        // instead of through the out-of-line drop glue.
        unsafe {
            self.frames.set_len(len - 1);
            let p = self.frames.as_mut_ptr().add(len - 1);
            let f = &*p;
            if f.blocks.capacity() == 0
                && f.namespace.is_none()
                && f.generator.is_none()
                && Rc::strong_count(&f.code) > 1
                && Rc::strong_count(&f.globals) > 1
            {
                Rc::decrement_strong_count(Rc::as_ptr(&f.code));
                Rc::decrement_strong_count(Rc::as_ptr(&f.globals));
            } else {
                std::ptr::drop_in_place(p);
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_frames(&mut self) {
        self.frames.reserve(self.frames.capacity().max(8));
    }

    /// `a, b, c = seq` for a tuple or list of exactly [n] items: stores
    /// the items straight into the locals named by the StoreFast (or
    /// fused StoreFast2) instructions from [ip] on, without pushing them;
    /// items left over for other targets go on the stack as UnpackSequence
    /// would leave them. Returns the ip after the stores, or None (with
    /// nothing done) when the sequence is of another kind or length.
    #[inline]
    fn unpack_into_locals(
        &mut self,
        seq: &Value,
        n: usize,
        ops: &[Op],
        ip: usize,
        base: usize,
    ) -> Option<usize> {
        let list_items;
        let items: &[Value] = match seq {
            Value::Tuple(t) if t.items.len() == n => &t.items,
            Value::List(l) => {
                list_items = l.items.borrow();
                if list_items.len() != n {
                    return None;
                }
                &list_items
            }
            _ => return None,
        };
        let mut k = 0;
        let mut at = ip;
        while k < n {
            match ops.get(at) {
                Some(&Op::StoreFast(s)) => {
                    let v = items[k].clone();
                    std::mem::replace(&mut self.stack[base + s as usize], v).discard();
                    k += 1;
                    at += 1;
                }
                Some(&Op::StoreFast2(a, b)) if k + 1 < n => {
                    let (v, w) = (items[k].clone(), items[k + 1].clone());
                    std::mem::replace(&mut self.stack[base + a as usize], v).discard();
                    std::mem::replace(&mut self.stack[base + b as usize], w).discard();
                    k += 2;
                    at += 2;
                }
                _ => break,
            }
        }
        self.stack.extend(items[k..].iter().rev().cloned());
        Some(at)
    }

    /// Pushes a copy of `stack[idx]`. Done as a reference-count increment
    /// plus a 16-byte memory copy: building the clone in registers first
    /// made LLVM store its two words separately and reload them as one,
    /// a store-forwarding stall on the hottest instruction.
    #[inline(always)]
    fn push_copy_at(&mut self, idx: usize) {
        if self.stack.len() == self.stack.capacity() {
            self.grow_stack();
        }
        let len = self.stack.len();
        assert!(idx < len);
        // SAFETY: checked just above.
        unsafe { self.stack.get_unchecked(idx) }.incref();
        // SAFETY: idx < len (indexed above), capacity > len, and the copy
        // owns the reference taken by incref.
        unsafe {
            let p = self.stack.as_mut_ptr();
            std::ptr::copy_nonoverlapping(p.add(idx), p.add(len), 1);
            self.stack.set_len(len + 1);
        }
    }

    /// Pushes a copy of a value outside the stack (a constant).
    #[inline(always)]
    fn push_copy_of(&mut self, v: &Value) {
        if self.stack.len() == self.stack.capacity() {
            self.grow_stack();
        }
        let len = self.stack.len();
        v.incref();
        // SAFETY: capacity > len; the copy owns the reference from incref.
        unsafe {
            std::ptr::copy_nonoverlapping(v, self.stack.as_mut_ptr().add(len), 1);
            self.stack.set_len(len + 1);
        }
    }

    /// Pops the value stack (Undef if empty, which correct bytecode never
    /// does).
    #[inline(always)]
    pub fn spop(&mut self) -> Value {
        // Not `pop().unwrap_or(Undef)`: rustc then emits an out-of-line
        // drop-glue call for the unused Undef on every pop.
        let len = self.stack.len();
        if len == 0 {
            return Value::Undef;
        }
        // SAFETY: len > 0; the value read out leaves the stack's ownership.
        unsafe {
            self.stack.set_len(len - 1);
            std::ptr::read(self.stack.as_ptr().add(len - 1))
        }
    }

    /// `a op b` on the two top values when both are ints or both floats
    /// and the result needs no promotion or error: replaces them with the
    /// result and returns true; otherwise leaves the stack alone.
    #[inline(always)]
    fn scalar_binary(&mut self, bop: BinOp) -> bool {
        let n = self.stack.len();
        if n < 2 {
            return false;
        }
        match scalar_op(bop, &self.stack[n - 2], &self.stack[n - 1]) {
            Some(r) => {
                self.replace_top2_scalars(r);
                true
            }
            None => false,
        }
    }

    /// The two top stack values when both are ints.
    #[inline(always)]
    fn top_ints(&self) -> Option<(i64, i64)> {
        let n = self.stack.len();
        if n < 2 {
            return None;
        }
        match (&self.stack[n - 2], &self.stack[n - 1]) {
            (Value::Int(x), Value::Int(y)) => Some((*x, *y)),
            _ => None,
        }
    }

    /// The two top stack values when both are floats.
    #[inline(always)]
    fn top_floats(&self) -> Option<(f64, f64)> {
        let n = self.stack.len();
        if n < 2 {
            return None;
        }
        match (&self.stack[n - 2], &self.stack[n - 1]) {
            (Value::Float(x), Value::Float(y)) => Some((x.get(), y.get())),
            _ => None,
        }
    }

    /// Replaces the two top values, which the caller checked are ints or
    /// floats, by [v] without running drop glue.
    #[inline(always)]
    fn replace_top2_scalars(&mut self, v: Value) {
        let n = self.stack.len();
        debug_assert!(n >= 2);
        // SAFETY: n >= 2 (checked by the caller) and both values
        // own nothing, so overwriting and truncating leaks nothing.
        unsafe {
            self.stack.set_len(n - 1);
            std::ptr::write(self.stack.as_mut_ptr().add(n - 2), v);
        }
    }

    /// Pops two values the caller checked are ints or floats.
    #[inline(always)]
    fn drop_top2_scalars(&mut self) {
        let n = self.stack.len();
        debug_assert!(n >= 2);
        // SAFETY: as in replace_top2_scalars.
        unsafe { self.stack.set_len(n - 2) }
    }

    // ----- globals and names ------------------------------------------

    #[inline(always)]
    fn load_global(&mut self, code: &Code, fi: usize, i: u32) -> Option<Value> {
        let cache = &code.global_cache[i as usize];
        let globals = &self.frames[fi].globals;
        let mut slot = cache.get();
        if slot == u32::MAX {
            slot = globals.slot_of(&code.names[i as usize]);
            cache.set(slot);
        }
        let v = globals.slots.borrow()[slot as usize].clone();
        if !v.is_undef() {
            return Some(v);
        }
        // Builtins are slots too; a builtin the script never shadows is
        // found without hashing after the first lookup.
        let bcache = &code.builtin_cache[i as usize];
        let mut bslot = bcache.get();
        if bslot == u32::MAX {
            bslot = self.builtins.slot_of(&code.names[i as usize]);
            bcache.set(bslot);
        }
        let v = self.builtins.slots.borrow()[bslot as usize].clone();
        if v.is_undef() {
            None
        } else {
            Some(v)
        }
    }

    fn store_global(&mut self, code: &Code, fi: usize, i: u32, v: Value) {
        let cache = &code.global_cache[i as usize];
        let globals = &self.frames[fi].globals;
        let mut slot = cache.get();
        if slot == u32::MAX {
            slot = globals.slot_of(&code.names[i as usize]);
            cache.set(slot);
        }
        globals.slots.borrow_mut()[slot as usize] = v;
    }

    fn load_name(&mut self, fi: usize, code: &Code, i: u32) -> Res<Value> {
        let name = &code.names[i as usize];
        if let Some(ns) = self.frames[fi].namespace.clone() {
            let key = Value::Str(name.clone());
            if let Some(v) = self.dict_get(&ns, &key)? {
                return Ok(v);
            }
        }
        match self.load_global(code, fi, i) {
            Some(v) => Ok(v),
            None => Err(self.name_error(name)),
        }
    }

    fn store_name(&mut self, fi: usize, code: &Code, i: u32, v: Value) -> Res<()> {
        let name = code.names[i as usize].clone();
        match self.frames[fi].namespace.clone() {
            Some(ns) => self.dict_set(&ns, Value::Str(name), v),
            None => {
                self.store_global(code, fi, i, v);
                Ok(())
            }
        }
    }

    fn delete_name(&mut self, fi: usize, code: &Code, i: u32) -> Res<()> {
        let name = code.names[i as usize].clone();
        match self.frames[fi].namespace.clone() {
            Some(ns) => {
                if self.dict_remove(&ns, &Value::Str(name.clone()))?.is_none() {
                    return Err(self.name_error(&name));
                }
                Ok(())
            }
            None => {
                let g = self.frames[fi].globals.clone();
                if g.get(&name).is_none() {
                    return Err(self.name_error(&name));
                }
                g.set(&name, Value::Undef);
                Ok(())
            }
        }
    }

    pub fn name_error(&self, name: &Sym) -> Error {
        Error::new(
            ExcType::NameError,
            format!("name '{}' is not defined", name.as_str()),
        )
    }

    fn unbound_local(&self, code: &Code, i: u32) -> Error {
        Error::new(
            ExcType::UnboundLocalError,
            format!(
                "cannot access local variable '{}' where it is not associated with a value",
                code.varnames[i as usize].as_str()
            ),
        )
    }

    fn unbound_free(&self, code: &Code, i: u32) -> Error {
        Error::new(
            ExcType::NameError,
            format!(
                "cannot access free variable '{}' where it is not associated with a value in enclosing scope",
                code.varnames[i as usize].as_str()
            ),
        )
    }

    // ----- returns and generators --------------------------------------

    /// Pops the returning frame. Returns Some(value) when the run loop
    /// must return (the frame was the bottom one of this loop).
    #[inline(never)]
    fn do_return(&mut self, v: Value, stop: usize) -> Res<Option<Value>> {
        if self.sched.is_some() {
            let Some(top) = self.frames.last() else {
                return Ok(Some(v));
            };
            if top.flags & FRAME_SIBLINGS != 0 {
                if let Some(err) = self.join_on_return(&v)? {
                    // A sibling failed: the frame raises in its caller.
                    let depth = self.frames.len() - 1;
                    self.frame_left(depth);
                    if let Some(frame) = self.frames.pop() {
                        self.stack.truncate(frame.floor);
                        self.handled.truncate(frame.handled_base as usize);
                    }
                    return Err(err);
                }
            }
            self.frame_left(self.frames.len() - 1);
        }
        let Some(mut frame) = self.frames.pop() else {
            return Ok(Some(v));
        };
        self.stack.truncate(frame.floor);
        self.handled.truncate(frame.handled_base as usize);
        if let Some(g) = frame.generator.take() {
            let mut st = g.state.borrow_mut();
            st.finished = true;
            st.running = false;
            st.saved.clear();
        }
        let at_stop = self.frames.len() == stop;
        match frame.resume {
            Resume::Normal => {
                if at_stop {
                    return Ok(Some(v));
                }
                self.spush(v);
            }
            Resume::Init => {
                if !v.is_none() {
                    return Err(Error::type_error(format!(
                        "__init__() should return None, not '{}'",
                        v.type_name()
                    )));
                }
                if at_stop {
                    return Ok(Some(self.stack.pop().unwrap_or(Value::None)));
                }
            }
            Resume::ForIter(exit) => {
                self.stack.pop();
                if let Some(caller) = self.frames.last_mut() {
                    caller.ip = exit as usize;
                }
                if at_stop {
                    return Ok(Some(Value::None));
                }
            }
            Resume::Binary(op) | Resume::Inplace(op) => {
                let b = self.spop();
                let a = self.spop();
                let r = if !self.is_not_implemented(&v) {
                    v
                } else if matches!(frame.resume, Resume::Binary(_)) {
                    self.binary_after_left(op, a, b)?
                } else {
                    self.binary(op, a, b)?
                };
                if at_stop {
                    return Ok(Some(r));
                }
                self.spush(r);
            }
            Resume::NextOr => {
                // The default sits on top of the caller's stack.
                if at_stop {
                    return Ok(Some(self.stack.pop().unwrap_or(Value::None)));
                }
            }
            Resume::Next => {
                return Err(if v.is_none() {
                    Error::stop_iteration()
                } else {
                    Error::WithValue(ExcType::StopIteration, v)
                });
            }
            Resume::YieldFrom(target) => {
                self.stack.pop();
                self.spush(v);
                if let Some(caller) = self.frames.last_mut() {
                    caller.ip = target as usize;
                }
                if at_stop {
                    return Ok(Some(Value::None));
                }
            }
        }
        Ok(None)
    }

    /// Suspends the generator frame on top with [v]. Returns Some(value)
    /// when the run loop must return it.
    #[inline(never)]
    fn yield_value(&mut self, mut v: Value, stop: usize) -> Option<Value> {
        loop {
            // The record is read in place and moved once into the
            // generator. Its generator field is cloned and cleared after
            // the move, not taken before it: storing into the record just
            // before moving it would reload a field just stored (a
            // store-forwarding stall).
            let top = self.frames.last()?;
            let g = top.generator.clone()?;
            let (resume, handled_base, base) = (top.resume, top.handled_base, top.base);
            {
                let mut st = g.state.borrow_mut();
                st.saved.clear();
                move_tail(&mut self.stack, base, &mut st.saved);
                st.running = false;
                st.frame = self.frames.pop();
                if let Some(f) = st.frame.as_mut() {
                    f.generator = None;
                }
            }
            self.handled.truncate(handled_base as usize);
            match resume {
                Resume::YieldFrom(_) => {
                    // The delegating generator yields the same value and
                    // re-runs its YieldFrom when resumed.
                    if let Some(caller) = self.frames.last_mut() {
                        caller.ip -= 1;
                    }
                    if self.frames.len() == stop {
                        return Some(v);
                    }
                    continue;
                }
                _ => {
                    if resume == Resume::NextOr {
                        // The yielded value replaces the default.
                        self.stack.pop();
                    }
                    if self.frames.len() == stop {
                        return Some(v);
                    }
                    self.spush(std::mem::take(&mut v));
                    return None;
                }
            }
        }
    }

    /// Executes `YieldFrom`: sends [send] into the sub-iterator on top of
    /// the stack.
    #[inline(never)]
    fn yield_from(&mut self, send: Value, target: u32, stop: usize) -> Res<Option<Value>> {
        let it = self.stack[self.stack.len() - 1].clone();
        if let Value::Generator(g) = &it {
            let send = if g.state.borrow().started {
                Some(send)
            } else {
                None
            };
            let nonatomic = self
                .frames
                .last()
                .is_some_and(|f| f.flags & FRAME_NONATOMIC != 0);
            if self.resume_generator_at(g, send, Resume::YieldFrom(target), nonatomic)? {
                return Ok(None);
            }
            self.stack.pop();
            self.spush(Value::None);
            if let Some(f) = self.frames.last_mut() {
                f.ip = target as usize;
            }
            return Ok(None);
        }
        let step = if send.is_none() {
            self.iter_next_value(&it)
        } else {
            let send_name = self.intern_static("send");
            let m = self.getattr(&it, &send_name)?;
            self.call(&m, &[send], &[]).map(Some)
        };
        match step {
            Ok(Some(y)) => {
                if let Some(f) = self.frames.last_mut() {
                    f.ip -= 1;
                }
                Ok(self.yield_value(y, stop))
            }
            Ok(None) => {
                self.stack.pop();
                self.spush(Value::None);
                if let Some(f) = self.frames.last_mut() {
                    f.ip = target as usize;
                }
                Ok(None)
            }
            Err(e) => {
                if let Some(v) = self.stop_iteration_value(&e) {
                    self.stack.pop();
                    self.spush(v);
                    if let Some(f) = self.frames.last_mut() {
                        f.ip = target as usize;
                    }
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Pushes the generator's frame so the loop continues inside it.
    /// Returns false when the generator is already finished.
    pub fn resume_generator(
        &mut self,
        g: &Rc<GeneratorObj>,
        send: Option<Value>,
        resume: Resume,
    ) -> Res<bool> {
        self.resume_generator_at(g, send, resume, false)
    }

    /// Resumes a generator; [nonatomic] when by `for@`/`next@` from a
    /// non-atomic frame. A generator whose body makes `@` calls can only
    /// be resumed that way.
    pub fn resume_generator_at(
        &mut self,
        g: &Rc<GeneratorObj>,
        send: Option<Value>,
        resume: Resume,
        nonatomic: bool,
    ) -> Res<bool> {
        if !nonatomic && g.code.is_nonatomic() {
            let name = g.code.name.as_str().to_string();
            return Err(Error::new(
                ExcType::AtomicityError,
                format!("generator {name}() is non-atomic (it makes @ calls): iterate it with for@ or next@()"),
            ));
        }
        let mut st = g.state.borrow_mut();
        if st.running {
            return Err(Error::value_error("generator already executing"));
        }
        if st.finished {
            return Ok(false);
        }
        if st.frame.is_none() {
            return Ok(false);
        }
        if !st.started && send.as_ref().is_some_and(|v| !v.is_none()) {
            return Err(Error::type_error(
                "can't send non-None value to a just-started generator",
            ));
        }
        if self.frames.len() >= self.recursion_limit {
            return Err(Error::new(
                ExcType::RecursionError,
                "maximum recursion depth exceeded",
            ));
        }
        let base = self.stack.len();
        let handled_base = self.handled.len() as u32;
        self.stack.append(&mut st.saved);
        if st.started {
            self.spush(send.unwrap_or(Value::None));
        }
        st.started = true;
        st.running = true;
        // The saved record is copied once, straight into the frame list,
        // and updated there (moving it through temporaries reloaded
        // fields just stored, a store-forwarding stall).
        if self.frames.len() == self.frames.capacity() {
            self.grow_frames();
        }
        let len = self.frames.len();
        if let Some(saved) = st.frame.as_ref() {
            // SAFETY: capacity > len; the record is bitwise moved out of
            // `st.frame`, which is then overwritten with None without
            // dropping (so it is owned once, by the frame list).
            unsafe {
                std::ptr::copy_nonoverlapping(
                    saved as *const Frame,
                    self.frames.as_mut_ptr().add(len),
                    1,
                );
                std::ptr::write(&mut st.frame, None);
                self.frames.set_len(len + 1);
            }
        }
        drop(st);
        if let Some(top) = self.frames.last_mut() {
            top.base = base;
            top.floor = base;
            top.resume = resume;
            top.handled_base = handled_base;
            top.generator = Some(g.clone());
            top.flags = if nonatomic { FRAME_NONATOMIC } else { 0 };
        }
        Ok(true)
    }

    /// Runs a script frame just pushed by native code to completion.
    pub fn run_nested(&mut self) -> Res<Value> {
        if self.native_depth >= MAX_NATIVE_DEPTH {
            // Undo the push so the caller sees a clean error.
            if let Some(f) = self.frames.pop() {
                self.stack.truncate(f.floor);
                if let Some(g) = f.generator {
                    let mut st = g.state.borrow_mut();
                    st.finished = true;
                    st.running = false;
                }
            }
            return Err(Error::new(
                ExcType::RecursionError,
                "maximum recursion depth exceeded",
            ));
        }
        self.native_depth += 1;
        let stop = self.frames.len() - 1;
        let r = self.run(stop);
        self.native_depth -= 1;
        r
    }

    // ----- output -------------------------------------------------------

    pub fn write_out(&mut self, s: &str) {
        use std::io::Write;
        match &mut self.out {
            Output::Captured(buf) => buf.push_str(s),
            Output::Stdout(w) => {
                if self.stdout_closed {
                    return;
                }
                let mut r = w.write_all(s.as_bytes());
                if r.is_ok() && self.line_buffered && s.contains('\n') {
                    r = w.flush();
                }
                if let Err(e) = r {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        self.stdout_closed = true;
                    }
                }
            }
        }
    }

    /// Once the reader of stdout has gone away (`con gen.con | head -1`),
    /// the program ends quietly with status 141, as if killed by SIGPIPE,
    /// instead of printing into the void forever.
    pub fn check_stdout(&self) -> Res<()> {
        if self.stdout_closed {
            return Err(Error::WithValue(ExcType::SystemExit, Value::Int(141)));
        }
        Ok(())
    }

    pub fn flush_out(&mut self) {
        use std::io::Write;
        if let Output::Stdout(w) = &mut self.out {
            if w.flush().is_err() {
                self.stdout_closed = true;
            }
        }
    }
}

impl Default for Vm {
    fn default() -> Self {
        Vm::new()
    }
}

/// Moves `stack[at..]` onto the end of [dst] with one copy (a drain would
/// move the values one by one).
#[inline]
pub(crate) fn move_tail(stack: &mut Vec<Value>, at: usize, dst: &mut Vec<Value>) {
    let n = stack.len() - at;
    dst.reserve(n);
    // SAFETY: the n values are moved bitwise from the stack's tail into
    // dst's spare capacity; the stack then forgets them.
    unsafe {
        std::ptr::copy_nonoverlapping(stack.as_ptr().add(at), dst.as_mut_ptr().add(dst.len()), n);
        dst.set_len(dst.len() + n);
        stack.set_len(at);
    }
}

/// `obj.name` (`code.names[i]`) when [obj] is an instance without a
/// script `__getattribute__` and the name is in its dict (checking first
/// where the site last found it).
#[inline(always)]
fn plain_instance_attr(obj: &Value, code: &Code, i: u32) -> Option<Value> {
    let Value::Instance(inst) = obj else {
        return None;
    };
    if inst.class.custom_getattribute.get() {
        return None;
    }
    let d = inst.dict.borrow();
    d.get_hinted(&code.names[i as usize], &code.attr_hint[i as usize])
        .cloned()
}

/// `a op b` when both are ints or both floats and the result needs no
/// promotion or error (the fast path of every binary instruction).
#[inline(always)]
fn scalar_op(bop: BinOp, a: &Value, b: &Value) -> Option<Value> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            match bop {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y),
                BinOp::Mod if y > 0 && x >= 0 => Some(x % y),
                BinOp::FloorDiv if y > 0 && x >= 0 => Some(x / y),
                BinOp::BitAnd => Some(x & y),
                BinOp::BitOr => Some(x | y),
                BinOp::BitXor => Some(x ^ y),
                _ => None,
            }
            .map(Value::Int)
        }
        (Value::Float(x), Value::Float(y)) => {
            let (x, y) = (x.get(), y.get());
            match bop {
                BinOp::Add => Some(x + y),
                BinOp::Sub => Some(x - y),
                BinOp::Mul => Some(x * y),
                BinOp::Div if y != 0.0 => Some(x / y),
                _ => None,
            }
            .map(Value::float)
        }
        _ => None,
    }
}

/// An ordering or equality comparison of two numbers of one kind; None
/// for the other comparisons (`in`, `is`).
#[inline(always)]
fn order<T: PartialOrd>(cop: CmpOp, x: T, y: T) -> Option<bool> {
    Some(match cop {
        CmpOp::Lt => x < y,
        CmpOp::LtE => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::GtE => x >= y,
        CmpOp::Eq => x == y,
        CmpOp::NotEq => x != y,
        _ => return None,
    })
}
