//! Code objects: the compiled form of a module, function, class body or
//! comprehension.

use std::cell::Cell;
use std::rc::Rc;

use super::op::Op;
use crate::syntax::ast::Span;
use crate::vm::site_cache::MethodCache;
use crate::vm::value::{Sym, Value};

/// A source file, kept for tracebacks and diagnostics.
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

impl SourceFile {
    /// The 1-based line number of byte offset [pos].
    pub fn line_of(&self, pos: usize) -> usize {
        let end = pos.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }
    /// The text of 1-based line [line], without its newline.
    pub fn line_text(&self, line: usize) -> &str {
        self.text.lines().nth(line.saturating_sub(1)).unwrap_or("")
    }
}

pub const FLAG_VARARGS: u32 = 1;
pub const FLAG_VARKW: u32 = 2;
pub const FLAG_GENERATOR: u32 = 4;
/// The body contains `@` calls, `for@` or `sibling`: it must be entered
/// with `f@(...)`.
pub const FLAG_NONATOMIC: u32 = 8;
/// A class body: names go to a namespace dict.
pub const FLAG_CLASS_BODY: u32 = 16;
/// Module top level: plain names are globals.
pub const FLAG_MODULE: u32 = 32;
/// Only plain positional parameters and not a generator: a call with
/// exactly `argcount` positional arguments needs no binding work.
pub const FLAG_SIMPLE: u32 = 64;

pub struct Code {
    pub name: Sym,
    pub qualname: Sym,
    pub ops: Vec<Op>,
    pub consts: Vec<Value>,
    /// Names used by global, attribute and import instructions.
    pub names: Vec<Sym>,
    /// Names of the local slots: parameters first (positional, keyword-only,
    /// `*args`, `**kwargs`), then other locals, cells and free variables.
    pub varnames: Vec<Sym>,
    /// Number of local slots.
    pub nlocals: u32,
    /// The most values the frame's own instructions hold at once on its
    /// operand stack: the values above the locals (the frame's window of
    /// the thread's value stack is its `nlocals` local slots from `base`,
    /// then the operand stack), so a frame needs `nlocals + max_stack`
    /// slots; like CPython's co_stacksize. Counts the exception a handler
    /// is entered with and the slot a plain `Call` may insert for a bound
    /// method's receiver (or a class's new instance); not the frames of
    /// callees or of resumed generators, which start above it. Computed
    /// by `bytecode::stack`; only a call of a doubly bound method (a
    /// classmethod wrapping a bound method) can exceed it, which costs
    /// the VM a stack reallocation, nothing more.
    pub max_stack: u32,
    /// Slots that hold free variables, filled from the closure on entry.
    pub free_start: u32,
    pub nfree: u32,
    /// Positional parameters (including positional-only ones).
    pub argcount: u32,
    pub posonlycount: u32,
    pub kwonlycount: u32,
    pub flags: u32,
    /// Instruction index -> source span, one entry where the span changes.
    pub spans: Vec<(u32, Span)>,
    pub file: Rc<SourceFile>,
    /// The span of the whole definition (for the first line).
    pub def_span: Span,
    /// Per-name cache of the module slot of a global (u32::MAX unresolved).
    pub global_cache: Box<[Cell<u32>]>,
    /// Per-name cache of the builtins-module slot, for globals that fall
    /// through to a builtin (u32::MAX unresolved).
    pub builtin_cache: Box<[Cell<u32>]>,
    /// Per-name position of the attribute in the last instance dict it
    /// was found in (a hint, see `SymMap::get_hinted`).
    pub attr_hint: Box<[Cell<u32>]>,
    /// Per-name cache of the method a `LoadMethod` resolved to.
    pub method_cache: Box<[MethodCache]>,
}

impl Code {
    pub fn is_generator(&self) -> bool {
        self.flags & FLAG_GENERATOR != 0
    }
    pub fn is_nonatomic(&self) -> bool {
        self.flags & FLAG_NONATOMIC != 0
    }
    /// The source span of instruction [ip].
    pub fn span_at(&self, ip: usize) -> Span {
        let ip = ip as u32;
        let i = self.spans.partition_point(|&(start, _)| start <= ip);
        if i == 0 {
            self.def_span
        } else {
            self.spans[i - 1].1
        }
    }
    pub fn line_at(&self, ip: usize) -> usize {
        self.file.line_of(self.span_at(ip).start as usize)
    }
    /// Total parameter slots, including `*args` and `**kwargs`.
    pub fn total_params(&self) -> usize {
        (self.argcount
            + self.kwonlycount
            + (self.flags & FLAG_VARARGS != 0) as u32
            + (self.flags & FLAG_VARKW != 0) as u32) as usize
    }
}
