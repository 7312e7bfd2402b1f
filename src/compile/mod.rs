//! The compiler: turns the syntax tree into code objects. Scopes are
//! resolved first (`scope.rs`), then each function body is emitted by a
//! `Builder`; statements live in `stmt.rs`, expressions in `expr.rs`.

mod expr;
pub mod scope;
#[cfg(test)]
mod stack_tests;
mod stmt;

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::bytecode::code::*;
use crate::bytecode::{Code, Op, SourceFile};
use crate::syntax::ast::*;
use crate::vm::value::{Sym, Value};
use scope::{Access, ScopeKind, ScopeTable};

/// A compile error: a message and the span it is about.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub message: String,
    pub span: Span,
}

/// A `finally`-like obligation that `break`, `continue` and `return` must
/// honour when they leave the block.
#[derive(Clone)]
enum FBlock<'a> {
    /// A loop; `for` loops keep their iterator on the stack.
    Loop {
        start: usize,
        breaks: usize,
        is_for: bool,
    },
    /// A `try` body protected by an `except` handler.
    Try,
    /// A `try` body protected by a `finally` clause.
    Finally(&'a [Stmt]),
    /// Inside an `except` clause (or the exceptional path of a finally):
    /// the exception being handled is on the stack.
    Handler,
    /// A `with` body: the exit method is on the stack.
    With,
    /// A `finally` body run on the way out of a `return`: the pending
    /// return value is on the stack.
    ReturnValue,
}

pub(crate) struct Builder<'a> {
    table: &'a ScopeTable,
    scope: usize,
    file: Rc<SourceFile>,
    ops: Vec<Op>,
    consts: Vec<Value>,
    names: Vec<Sym>,
    name_index: HashMap<Name, u32>,
    varnames: Vec<Sym>,
    slots: HashMap<Name, u32>,
    spans: Vec<(u32, Span)>,
    span: Span,
    fblocks: Vec<FBlock<'a>>,
    /// Pending break jumps, per loop (indexed by FBlock::Loop::breaks).
    break_lists: Vec<Vec<usize>>,
    qualname: String,
    errors: &'a mut Vec<CompileError>,
    interactive: bool,
    /// First slot of the free variables.
    free_start: u32,
    /// Jumps that must end up where another jump goes (`and`/`or` chains).
    chains: Vec<(usize, usize)>,
}

fn sym(s: &str) -> Sym {
    crate::vm::value::intern(s)
}

/// Compiles a module; [interactive] echoes expression statements (REPL).
pub fn compile_module(
    module: &Module,
    file: Rc<SourceFile>,
    interactive: bool,
) -> Result<Rc<Code>, Vec<CompileError>> {
    let table = ScopeTable::analyze(module);
    let mut errors: Vec<CompileError> = table
        .errors
        .iter()
        .map(|(span, m)| CompileError {
            message: m.clone(),
            span: *span,
        })
        .collect();
    let code = {
        let mut b = Builder::new(&table, 0, file, String::new(), &mut errors);
        b.interactive = interactive;
        if !interactive {
            b.annotations_prologue(&module.body);
        }
        for s in &module.body {
            b.stmt(s);
        }
        b.emit(Op::LoadNone);
        b.emit(Op::Return);
        b.finish("<module>", FLAG_MODULE, 0, 0, 0, Span::default())
    };
    if errors.is_empty() {
        Ok(code)
    } else {
        errors.sort_by_key(|e| e.span.start);
        Err(errors)
    }
}

impl<'a> Builder<'a> {
    fn new(
        table: &'a ScopeTable,
        scope: usize,
        file: Rc<SourceFile>,
        qualname: String,
        errors: &'a mut Vec<CompileError>,
    ) -> Builder<'a> {
        let mut b = Builder {
            table,
            scope,
            file,
            ops: Vec::new(),
            consts: Vec::new(),
            names: Vec::new(),
            name_index: HashMap::new(),
            varnames: Vec::new(),
            slots: HashMap::new(),
            spans: Vec::new(),
            span: Span::default(),
            fblocks: Vec::new(),
            break_lists: Vec::new(),
            qualname,
            errors,
            interactive: false,
            free_start: 0,
            chains: Vec::new(),
        };
        b.assign_slots();
        b
    }

    /// Lays out local slots: parameters and locals, then cells that are
    /// not otherwise bound, then free variables.
    fn assign_slots(&mut self) {
        let sc = &self.table.scopes[self.scope];
        let mut names: Vec<Name> = Vec::new();
        match sc.kind {
            ScopeKind::Function | ScopeKind::Comprehension => {
                for n in &sc.bound {
                    if !sc.globals.contains(n) && !sc.nonlocals.contains(n) && !sc.free.contains(n)
                    {
                        names.push(n.clone());
                    }
                }
                for n in &sc.cells {
                    if !names.contains(n) {
                        names.push(n.clone());
                    }
                }
            }
            ScopeKind::Class => {
                for n in &sc.cells {
                    names.push(n.clone());
                }
            }
            ScopeKind::Module => {}
        }
        for n in names {
            self.add_slot(&n);
        }
        self.free_start = self.varnames.len() as u32;
        for n in &sc.free.clone() {
            self.add_slot(n);
        }
    }

    fn add_slot(&mut self, n: &Name) -> u32 {
        if let Some(&s) = self.slots.get(n) {
            return s;
        }
        let s = self.varnames.len() as u32;
        self.varnames.push(sym(n));
        self.slots.insert(n.clone(), s);
        s
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(CompileError {
            message: message.into(),
            span,
        });
    }

    fn emit(&mut self, op: Op) -> usize {
        let ip = self.ops.len() as u32;
        if self.spans.last().map(|&(_, s)| s) != Some(self.span) {
            if let Some(last) = self.spans.last_mut() {
                if last.0 == ip {
                    last.1 = self.span;
                    self.ops.push(op);
                    return ip as usize;
                }
            }
            self.spans.push((ip, self.span));
        }
        self.ops.push(op);
        ip as usize
    }

    fn emit_at(&mut self, op: Op, span: Span) -> usize {
        let saved = self.span;
        self.span = span;
        let ip = self.emit(op);
        self.span = saved;
        ip
    }

    fn here(&self) -> usize {
        self.ops.len()
    }

    /// Points the jump at [at] to the current position.
    fn patch(&mut self, at: usize) {
        let here = self.ops.len() as u32;
        self.ops[at].set_target(here);
    }

    fn patch_to(&mut self, at: usize, target: usize) {
        self.ops[at].set_target(target as u32);
    }

    fn add_const(&mut self, v: Value) -> u32 {
        // Share identical string and int constants.
        for (i, c) in self.consts.iter().enumerate() {
            let same = match (c, &v) {
                (Value::Str(a), Value::Str(b)) => a.s == b.s,
                (Value::Int(a), Value::Int(b)) => a == b,
                _ => false,
            };
            if same {
                return i as u32;
            }
        }
        self.consts.push(v);
        (self.consts.len() - 1) as u32
    }

    fn name(&mut self, n: &str) -> u32 {
        if let Some(&i) = self.name_index.get(n) {
            return i;
        }
        let i = self.names.len() as u32;
        self.names.push(sym(n));
        self.name_index.insert(n.into(), i);
        i
    }

    fn kind(&self) -> ScopeKind {
        self.table.scopes[self.scope].kind
    }

    fn finish(
        mut self,
        name: &str,
        mut flags: u32,
        argcount: u32,
        posonly: u32,
        kwonly: u32,
        def_span: Span,
    ) -> Rc<Code> {
        self.resolve_chains();
        let sc = &self.table.scopes[self.scope];
        let nfree = sc.free.len() as u32;
        let free_start = self.free_start;
        if sc.is_generator {
            flags |= FLAG_GENERATOR;
        }
        if sc.is_nonatomic {
            flags |= FLAG_NONATOMIC;
        }
        if flags & (FLAG_VARARGS | FLAG_VARKW | FLAG_GENERATOR | FLAG_NONATOMIC) == 0 && kwonly == 0
        {
            flags |= FLAG_SIMPLE;
        }
        let qualname = if self.qualname.is_empty() {
            name.to_string()
        } else {
            self.qualname.clone()
        };
        let nnames = self.names.len();
        let max_stack = crate::bytecode::stack::max_stack(&self.ops);
        crate::bytecode::fuse::fuse(&mut self.ops);
        Rc::new(Code {
            name: sym(name),
            qualname: sym(&qualname),
            ops: self.ops,
            consts: self.consts,
            names: self.names,
            nlocals: self.varnames.len() as u32,
            max_stack,
            varnames: self.varnames,
            free_start,
            nfree,
            argcount,
            posonlycount: posonly,
            kwonlycount: kwonly,
            flags,
            spans: self.spans,
            file: self.file,
            def_span,
            global_cache: (0..nnames).map(|_| Cell::new(u32::MAX)).collect(),
            builtin_cache: (0..nnames).map(|_| Cell::new(u32::MAX)).collect(),
            attr_hint: (0..nnames).map(|_| Cell::new(0)).collect(),
            method_cache: (0..nnames).map(|_| Default::default()).collect(),
        })
    }

    // ----- names -------------------------------------------------------

    fn load_name(&mut self, n: &Name, span: Span) {
        self.span = span;
        match self.table.access(self.scope, n) {
            Access::Fast => {
                let s = self.add_slot(n);
                self.emit(Op::LoadFast(s));
            }
            Access::Deref => {
                let s = self.slot_of_cell(n);
                self.emit(Op::LoadDeref(s));
            }
            Access::Global => {
                let i = self.name(n);
                self.emit(Op::LoadGlobal(i));
            }
            Access::Name => {
                let i = self.name(n);
                if self.kind() == ScopeKind::Module {
                    self.emit(Op::LoadGlobal(i));
                } else {
                    self.emit(Op::LoadName(i));
                }
            }
        }
    }

    fn store_name(&mut self, n: &Name) {
        match self.table.access(self.scope, n) {
            Access::Fast => {
                let s = self.add_slot(n);
                self.emit(Op::StoreFast(s));
            }
            Access::Deref => {
                let s = self.slot_of_cell(n);
                self.emit(Op::StoreDeref(s));
            }
            Access::Global => {
                let i = self.name(n);
                self.emit(Op::StoreGlobal(i));
            }
            Access::Name => {
                let i = self.name(n);
                if self.kind() == ScopeKind::Module {
                    self.emit(Op::StoreGlobal(i));
                } else {
                    self.emit(Op::StoreName(i));
                }
            }
        }
    }

    fn delete_name(&mut self, n: &Name) {
        match self.table.access(self.scope, n) {
            Access::Fast => {
                let s = self.add_slot(n);
                self.emit(Op::DeleteFast(s));
            }
            Access::Deref => {
                let s = self.slot_of_cell(n);
                self.emit(Op::DeleteDeref(s));
            }
            Access::Global => {
                let i = self.name(n);
                self.emit(Op::DeleteGlobal(i));
            }
            Access::Name => {
                let i = self.name(n);
                if self.kind() == ScopeKind::Module {
                    self.emit(Op::DeleteGlobal(i));
                } else {
                    self.emit(Op::DeleteName(i));
                }
            }
        }
    }

    /// The slot holding the cell for [n]: an own cell or a free variable.
    fn slot_of_cell(&mut self, n: &Name) -> u32 {
        // A missing slot only happens after a reported scope error.
        self.add_slot(n)
    }

    // ----- nested code objects ----------------------------------------

    /// Emits the instructions that build a function object from [code]
    /// with the given defaults; the inner scope's free variables are
    /// captured from this scope's cells.
    fn make_function(&mut self, code: Rc<Code>, inner_scope: usize, params: Option<&'a Params>) {
        let mut flags = 0u8;
        if let Some(p) = params {
            let defaults: Vec<&Expr> = p
                .positional
                .iter()
                .filter_map(|a| a.default.as_ref())
                .collect();
            if !defaults.is_empty() {
                for d in &defaults {
                    self.expr(d);
                }
                self.emit(Op::BuildTuple(defaults.len() as u32));
                flags |= 1;
            }
            let kwd: Vec<&Param> = p.kwonly.iter().filter(|a| a.default.is_some()).collect();
            if !kwd.is_empty() {
                for a in &kwd {
                    let k = self.add_const(Value::str(&a.name));
                    self.emit(Op::LoadConst(k));
                    self.expr(a.default.as_ref().unwrap());
                }
                self.emit(Op::BuildMap(kwd.len() as u32));
                flags |= 2;
            }
        }
        let free = self.table.scopes[inner_scope].free.clone();
        if !free.is_empty() {
            for n in &free {
                let s = self.slot_of_cell(n);
                self.emit(Op::LoadClosure(s));
            }
            self.emit(Op::BuildTuple(free.len() as u32));
            flags |= 4;
        }
        let c = self.add_const(Value::Code(code));
        self.emit(Op::MakeFunction(c, flags));
    }

    fn child_qualname(&self, name: &str) -> String {
        match self.kind() {
            ScopeKind::Module => name.to_string(),
            ScopeKind::Class => format!("{}.{}", self.qualname, name),
            _ => format!("{}.<locals>.{}", self.qualname, name),
        }
    }

    /// Compiles a function body (def or lambda) into a code object.
    fn function_code(
        &mut self,
        scope: usize,
        name: &str,
        params: &Params,
        body: FnBody,
        def_span: Span,
    ) -> Rc<Code> {
        let qualname = self.child_qualname(name);
        let table = self.table;
        let file = self.file.clone();
        let mut inner_errors = Vec::new();
        let code = {
            let mut b = Builder::new(table, scope, file, qualname, &mut inner_errors);
            b.span = def_span;
            b.cell_prologue();
            match body {
                FnBody::Stmts(stmts) => {
                    for s in stmts {
                        b.stmt(s);
                    }
                    // The implicit return belongs to the last statement (a
                    // frame joining its siblings is reported there).
                    b.span = stmts.last().map_or(def_span, |s| s.span);
                    b.emit(Op::LoadNone);
                    b.emit(Op::Return);
                }
                FnBody::Expr(e) => {
                    b.expr(e);
                    b.emit(Op::Return);
                }
            }
            let mut flags = 0;
            if params.vararg.is_some() {
                flags |= FLAG_VARARGS;
            }
            if params.kwarg.is_some() {
                flags |= FLAG_VARKW;
            }
            b.finish(
                name,
                flags,
                params.positional.len() as u32,
                params.posonly_count as u32,
                params.kwonly.len() as u32,
                def_span,
            )
        };
        self.errors.extend(inner_errors);
        code
    }

    /// Turns cell slots into cells at function entry.
    fn cell_prologue(&mut self) {
        let cells = self.table.scopes[self.scope].cells.clone();
        for n in &cells {
            let s = self.add_slot(n);
            self.emit(Op::MakeCell(s));
        }
    }
}

pub(crate) enum FnBody<'a> {
    Stmts(&'a [Stmt]),
    Expr(&'a Expr),
}
