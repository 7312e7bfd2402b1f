//! Statement compilation.

use super::scope::ScopeKind;
use super::{Builder, FBlock, FnBody};
use crate::bytecode::code::FLAG_CLASS_BODY;
use crate::bytecode::Op;
use crate::syntax::ast::*;
use crate::vm::value::Value;

impl<'a> Builder<'a> {
    pub(crate) fn stmt(&mut self, s: &'a Stmt) {
        self.span = s.span;
        match &s.node {
            // expr
            StmtKind::Expr(e) => {
                self.expr(e);
                self.span = s.span;
                if self.interactive && self.kind() == ScopeKind::Module {
                    self.emit(Op::PrintExpr);
                } else {
                    self.emit(Op::Pop);
                }
            }
            // t1 = t2 = value
            StmtKind::Assign(targets, value) => {
                self.expr(value);
                for (i, t) in targets.iter().enumerate() {
                    if i + 1 < targets.len() {
                        self.emit(Op::Dup);
                    }
                    self.store_target(t);
                }
            }
            // target op= value
            StmtKind::AugAssign(target, op, value) => self.aug_assign(target, *op, value),
            // target: annotation [= value]
            StmtKind::AnnAssign(target, ann, value) => {
                if let Some(v) = value {
                    self.expr(v);
                    self.store_target(target);
                }
                self.record_annotation(target, ann);
            }
            StmtKind::FunctionDef(f) => self.function_def(f, s.span),
            StmtKind::ClassDef(c) => self.class_def(c, s.span),
            // return [value]
            StmtKind::Return(v) => {
                if !matches!(self.kind(), ScopeKind::Function) {
                    self.error(s.span, "'return' outside function");
                }
                match v {
                    Some(v) => self.expr(v),
                    None => {
                        self.emit(Op::LoadNone);
                    }
                }
                self.span = s.span;
                self.unwind_for_return();
                self.emit(Op::Return);
            }
            // if test: body else: orelse
            StmtKind::If(test, body, orelse) => {
                let jf = self.cond_jump(test, false);
                self.block(body);
                if orelse.is_empty() {
                    self.patch(jf);
                } else {
                    let end = self.emit(Op::Jump(0));
                    self.patch(jf);
                    self.block(orelse);
                    self.patch(end);
                }
            }
            // while test: body else: orelse
            StmtKind::While(test, body, orelse) => {
                let start = self.here();
                let jf = self.cond_jump(test, false);
                self.break_lists.push(Vec::new());
                self.fblocks.push(FBlock::Loop {
                    start,
                    breaks: self.break_lists.len() - 1,
                    is_for: false,
                });
                self.block(body);
                self.span = s.span;
                self.emit(Op::Jump(start as u32));
                self.fblocks.pop();
                let breaks = self.break_lists.pop().unwrap_or_default();
                self.patch(jf);
                self.block(orelse);
                for b in breaks {
                    self.patch(b);
                }
            }
            // for target in iter: body else: orelse
            StmtKind::For {
                target,
                iter,
                body,
                orelse,
                at,
            } => {
                self.expr(iter);
                self.span = s.span;
                self.emit(Op::GetIter);
                let start = self.emit(if *at {
                    Op::ForIterAt(0)
                } else {
                    Op::ForIter(0)
                });
                self.store_target(target);
                self.break_lists.push(Vec::new());
                self.fblocks.push(FBlock::Loop {
                    start,
                    breaks: self.break_lists.len() - 1,
                    is_for: true,
                });
                self.block(body);
                self.span = s.span;
                self.emit(Op::Jump(start as u32));
                self.fblocks.pop();
                let breaks = self.break_lists.pop().unwrap_or_default();
                self.patch(start);
                self.block(orelse);
                for b in breaks {
                    self.patch(b);
                }
            }
            StmtKind::Break => self.break_continue(s.span, true),
            StmtKind::Continue => self.break_continue(s.span, false),
            StmtKind::Pass => {}
            // del a, b[i], c.d
            StmtKind::Delete(targets) => {
                for t in targets {
                    self.delete_target(t);
                }
            }
            // assert test, msg
            StmtKind::Assert(test, msg) => {
                let ok = self.cond_jump(test, true);
                self.span = s.span;
                self.emit(Op::LoadAssertionError);
                if let Some(m) = msg {
                    self.expr(m);
                    self.emit(Op::Call { argc: 1, at: false });
                }
                self.emit(Op::Raise(1));
                self.patch(ok);
            }
            StmtKind::Try {
                body,
                handlers,
                orelse,
                finalbody,
            } => self.try_stmt(body, handlers, orelse, finalbody),
            // raise [exc [from cause]]
            StmtKind::Raise(exc, cause) => {
                let mut n = 0;
                if let Some(e) = exc {
                    self.expr(e);
                    n = 1;
                    if let Some(c) = cause {
                        self.expr(c);
                        n = 2;
                    }
                }
                self.span = s.span;
                self.emit(Op::Raise(n));
            }
            StmtKind::With(items, body) => self.with_stmt(items, body, s.span),
            // import a.b as c
            StmtKind::Import(aliases) => {
                for a in aliases {
                    self.span = a.span;
                    if a.asname.is_some() {
                        self.emit(Op::LoadInt(1));
                    } else {
                        self.emit(Op::LoadNone);
                    }
                    self.emit(Op::LoadInt(0));
                    let i = self.name(&a.name);
                    self.emit(Op::ImportName(i));
                    let bind: Name = match &a.asname {
                        Some(n) => n.clone(),
                        None => a.name.split('.').next().unwrap_or("").into(),
                    };
                    self.store_name(&bind);
                }
            }
            // from m import a as b, c
            StmtKind::ImportFrom {
                module,
                names,
                level,
            } => {
                let list: Vec<Value> = names.iter().map(|a| Value::str(&a.name)).collect();
                let c = self.add_const(Value::tuple(list));
                self.emit(Op::LoadConst(c));
                self.emit(Op::LoadInt(*level as i32));
                let m = module.clone().unwrap_or_else(|| "".into());
                let i = self.name(&m);
                self.emit(Op::ImportName(i));
                if names.len() == 1 && &*names[0].name == "*" {
                    if self.kind() != ScopeKind::Module {
                        self.error(s.span, "import * only allowed at module level");
                    }
                    self.emit(Op::ImportStar);
                } else {
                    for a in names {
                        self.span = a.span;
                        let i = self.name(&a.name);
                        self.emit(Op::ImportFrom(i));
                        let bind = a.asname.clone().unwrap_or_else(|| a.name.clone());
                        self.store_name(&bind);
                    }
                    self.emit(Op::Pop);
                }
            }
            StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            // sibling f@(args)
            StmtKind::Sibling(call) => {
                let sc = &self.table.scopes[self.scope];
                if sc.is_generator {
                    self.error(s.span, "'sibling' inside a generator function");
                }
                if let ExprKind::Call { func, args, .. } = &call.node {
                    self.expr(func);
                    self.args_tuple_and_kw(args, 0);
                    self.emit_at(Op::Spawn, call.span);
                }
            }
        }
    }

    /// `x: T` in a class body or at module level records `T`'s source
    /// text in `__annotations__` (as `from __future__ import annotations`
    /// does), so dataclasses and NamedTuple see the fields in order.
    fn record_annotation(&mut self, target: &'a Expr, ann: &'a Expr) {
        let ExprKind::Name(name) = &target.node else {
            return;
        };
        if !matches!(self.kind(), ScopeKind::Class | ScopeKind::Module) {
            return;
        }
        let text = self
            .file
            .text
            .get(ann.span.range())
            .unwrap_or("")
            .to_string();
        let c = self.add_const(Value::string(text));
        self.emit(Op::LoadConst(c));
        self.load_name(&"__annotations__".into(), target.span);
        let k = self.add_const(Value::str(name));
        self.emit(Op::LoadConst(k));
        self.emit(Op::StoreSubscr);
    }

    /// Emits `__annotations__ = {}` when [body] annotates names directly.
    pub(crate) fn annotations_prologue(&mut self, body: &'a [Stmt]) {
        fn has(body: &[Stmt]) -> bool {
            body.iter().any(|s| match &s.node {
                StmtKind::AnnAssign(t, _, _) => matches!(t.node, ExprKind::Name(_)),
                StmtKind::If(_, a, b) | StmtKind::While(_, a, b) => has(a) || has(b),
                StmtKind::For { body, orelse, .. } => has(body) || has(orelse),
                StmtKind::With(_, b) => has(b),
                StmtKind::Try {
                    body,
                    handlers,
                    orelse,
                    finalbody,
                } => {
                    has(body)
                        || has(orelse)
                        || has(finalbody)
                        || handlers.iter().any(|h| has(&h.body))
                }
                _ => false,
            })
        }
        if has(body) {
            self.emit(Op::BuildMap(0));
            self.store_name(&"__annotations__".into());
        }
    }

    pub(crate) fn block(&mut self, body: &'a [Stmt]) {
        for s in body {
            self.stmt(s);
        }
    }

    fn aug_assign(&mut self, target: &'a Expr, op: BinOp, value: &'a Expr) {
        match &target.node {
            ExprKind::Name(n) => {
                self.load_name(n, target.span);
                self.expr(value);
                self.emit_at(Op::InplaceBinary(op), target.span.to(value.span));
                self.store_name(n);
            }
            ExprKind::Attribute(obj, attr) => {
                self.expr(obj);
                self.emit(Op::Dup);
                let i = self.name(attr);
                self.emit_at(Op::LoadAttr(i), target.span);
                self.expr(value);
                self.emit_at(Op::InplaceBinary(op), target.span.to(value.span));
                self.emit(Op::Rot2);
                self.emit(Op::StoreAttr(i));
            }
            ExprKind::Subscript(obj, key) => {
                self.expr(obj);
                self.expr(key);
                self.emit(Op::DupTwo);
                self.emit_at(Op::Subscr, target.span);
                self.expr(value);
                self.emit_at(Op::InplaceBinary(op), target.span.to(value.span));
                self.emit(Op::Rot3);
                self.emit(Op::StoreSubscr);
            }
            _ => self.error(
                target.span,
                "'expression' is an illegal expression for augmented assignment",
            ),
        }
    }

    /// Stores the value on top of the stack into an assignment target.
    pub(crate) fn store_target(&mut self, t: &'a Expr) {
        self.span = t.span;
        match &t.node {
            ExprKind::Name(n) => self.store_name(n),
            ExprKind::Attribute(obj, attr) => {
                self.expr(obj);
                let i = self.name(attr);
                self.emit_at(Op::StoreAttr(i), t.span);
            }
            ExprKind::Subscript(obj, key) => {
                self.expr(obj);
                self.expr(key);
                self.emit_at(Op::StoreSubscr, t.span);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let stars: Vec<usize> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| matches!(e.node, ExprKind::Starred(_)))
                    .map(|(i, _)| i)
                    .collect();
                match stars.len() {
                    0 => {
                        self.emit(Op::UnpackSequence(items.len() as u32));
                    }
                    1 => {
                        let before = stars[0];
                        let after = items.len() - before - 1;
                        if before > u16::MAX as usize || after > u16::MAX as usize {
                            self.error(t.span, "too many expressions in star-unpacking assignment");
                        }
                        self.emit(Op::UnpackEx(before as u16, after as u16));
                    }
                    _ => {
                        self.error(t.span, "multiple starred expressions in assignment");
                        return;
                    }
                }
                for item in items {
                    match &item.node {
                        ExprKind::Starred(inner) => self.store_target(inner),
                        _ => self.store_target(item),
                    }
                }
            }
            ExprKind::Starred(_) => self.error(
                t.span,
                "starred assignment target must be in a list or tuple",
            ),
            ExprKind::Call { .. } => self.error(
                t.span,
                "cannot assign to function call here. Maybe you meant '==' instead of '='?",
            ),
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bytes(_)
            | ExprKind::BigInt(_)
            | ExprKind::Bool(_)
            | ExprKind::None
            | ExprKind::FString(_)
            | ExprKind::Ellipsis => self.error(
                t.span,
                "cannot assign to literal here. Maybe you meant '==' instead of '='?",
            ),
            _ => self.error(t.span, "cannot assign to expression"),
        }
    }

    fn delete_target(&mut self, t: &'a Expr) {
        self.span = t.span;
        match &t.node {
            ExprKind::Name(n) => self.delete_name(n),
            ExprKind::Attribute(obj, attr) => {
                self.expr(obj);
                let i = self.name(attr);
                self.emit_at(Op::DeleteAttr(i), t.span);
            }
            ExprKind::Subscript(obj, key) => {
                self.expr(obj);
                self.expr(key);
                self.emit_at(Op::DeleteSubscr, t.span);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for i in items {
                    self.delete_target(i);
                }
            }
            _ => self.error(t.span, "cannot delete expression"),
        }
    }

    fn break_continue(&mut self, span: Span, is_break: bool) {
        // Find the innermost loop, running cleanups of the blocks crossed.
        let Some(pos) = self
            .fblocks
            .iter()
            .rposition(|b| matches!(b, FBlock::Loop { .. }))
        else {
            let what = if is_break { "'break'" } else { "'continue'" };
            self.error(span, format!("{what} outside loop"));
            return;
        };
        let saved = self.fblocks.clone();
        for i in (pos + 1..saved.len()).rev() {
            self.fblocks.truncate(i);
            self.unwind_block(&saved[i], false);
        }
        self.fblocks = saved;
        self.span = span;
        if let FBlock::Loop {
            start,
            breaks,
            is_for,
        } = self.fblocks[pos]
        {
            if is_break {
                if is_for {
                    self.emit(Op::Pop);
                }
                let j = self.emit(Op::Jump(0));
                self.break_lists[breaks].push(j);
            } else {
                self.emit(Op::Jump(start as u32));
            }
        }
    }

    /// Runs the cleanups of every enclosing block before a `return`; the
    /// return value stays on top of the stack.
    fn unwind_for_return(&mut self) {
        let saved = self.fblocks.clone();
        for i in (0..saved.len()).rev() {
            self.fblocks.truncate(i);
            self.unwind_block(&saved[i], true);
        }
        self.fblocks = saved;
    }

    /// Emits the cleanup for leaving [block] early; [keep_top] means a
    /// return value sits above the block's stack items.
    fn unwind_block(&mut self, block: &FBlock<'a>, keep_top: bool) {
        match block {
            FBlock::Loop { is_for, .. } => {
                if *is_for && keep_top {
                    self.emit(Op::Rot2);
                    self.emit(Op::Pop);
                }
            }
            FBlock::Try => {
                self.emit(Op::PopBlock);
            }
            FBlock::Finally(body) => {
                self.emit(Op::PopBlock);
                let span = self.span;
                if keep_top {
                    self.fblocks.push(FBlock::ReturnValue);
                }
                self.block(body);
                if keep_top {
                    self.fblocks.pop();
                }
                self.span = span;
            }
            FBlock::ReturnValue => {
                // Leaving a finally that runs for a return discards the
                // pending value (a return replaces it).
                if keep_top {
                    self.emit(Op::Rot2);
                }
                self.emit(Op::Pop);
            }
            FBlock::Handler => {
                if keep_top {
                    self.emit(Op::Rot2);
                }
                self.emit(Op::PopExcept);
            }
            FBlock::With => {
                self.emit(Op::PopBlock);
                if keep_top {
                    self.emit(Op::Rot2);
                }
                self.emit(Op::WithExitNormal);
            }
        }
    }

    fn try_stmt(
        &mut self,
        body: &'a [Stmt],
        handlers: &'a [ExceptHandler],
        orelse: &'a [Stmt],
        finalbody: &'a [Stmt],
    ) {
        let span = self.span;
        let fin_setup = if !finalbody.is_empty() {
            let at = self.emit(Op::SetupFinally(0));
            self.fblocks.push(FBlock::Finally(finalbody));
            Some(at)
        } else {
            None
        };
        if handlers.is_empty() {
            self.block(body);
            self.block(orelse);
        } else {
            let setup = self.emit(Op::SetupExcept(0));
            self.fblocks.push(FBlock::Try);
            self.block(body);
            self.fblocks.pop();
            self.span = span;
            self.emit(Op::PopBlock);
            self.block(orelse);
            let mut ends = vec![self.emit(Op::Jump(0))];
            self.patch(setup);
            // The exception is on the stack.
            for (i, h) in handlers.iter().enumerate() {
                self.span = h.span;
                if h.kind.is_none() && i + 1 < handlers.len() {
                    self.error(h.span, "default 'except:' must be last");
                }
                let next = if let Some(k) = &h.kind {
                    self.expr(k);
                    self.span = h.span;
                    self.emit(Op::CheckExcMatch);
                    Some(self.emit(Op::PopJumpIfFalse(0)))
                } else {
                    None
                };
                if let Some(n) = &h.name {
                    self.emit(Op::Dup);
                    self.store_name(n);
                }
                self.fblocks.push(FBlock::Handler);
                self.block(&h.body);
                self.fblocks.pop();
                self.span = h.span;
                self.emit(Op::PopExcept);
                if let Some(n) = &h.name {
                    self.emit(Op::LoadNone);
                    self.store_name(n);
                    self.delete_name(n);
                }
                ends.push(self.emit(Op::Jump(0)));
                if let Some(next) = next {
                    self.patch(next);
                }
            }
            self.span = span;
            self.emit(Op::Reraise);
            for e in ends {
                self.patch(e);
            }
        }
        if let Some(setup) = fin_setup {
            self.fblocks.pop();
            self.span = span;
            self.emit(Op::PopBlock);
            self.block(finalbody);
            let end = self.emit(Op::Jump(0));
            self.patch(setup);
            self.fblocks.push(FBlock::Handler);
            self.block(finalbody);
            self.fblocks.pop();
            self.span = span;
            self.emit(Op::Reraise);
            self.patch(end);
        }
    }

    fn with_stmt(&mut self, items: &'a [WithItem], body: &'a [Stmt], span: Span) {
        let Some((first, rest)) = items.split_first() else {
            self.block(body);
            return;
        };
        self.expr(&first.context);
        self.span = first.context.span;
        let setup = self.emit(Op::SetupWith(0));
        match &first.target {
            Some(t) => self.store_target(t),
            None => {
                self.emit(Op::Pop);
            }
        }
        self.fblocks.push(FBlock::With);
        if rest.is_empty() {
            self.block(body);
        } else {
            self.with_stmt(rest, body, span);
        }
        self.fblocks.pop();
        self.span = span;
        self.emit(Op::PopBlock);
        self.emit(Op::WithExitNormal);
        let end = self.emit(Op::Jump(0));
        self.patch(setup);
        // [exit, exc]
        self.emit(Op::WithExitExc);
        let suppress = self.emit(Op::PopJumpIfTrue(0));
        self.emit(Op::Reraise);
        self.patch(suppress);
        self.emit(Op::PopExcept);
        self.emit(Op::Pop);
        self.patch(end);
    }

    fn function_def(&mut self, f: &'a FunctionDef, span: Span) {
        for d in &f.decorators {
            self.expr(d);
        }
        let scope = self.table.scope_of(f);
        let code = self.function_code(scope, &f.name, &f.params, FnBody::Stmts(&f.body), span);
        self.span = span;
        self.make_function(code, scope, Some(&f.params));
        for d in f.decorators.iter().rev() {
            self.emit_at(Op::Call { argc: 1, at: false }, d.span);
        }
        self.store_name(&f.name);
    }

    fn class_def(&mut self, c: &'a ClassDef, span: Span) {
        for d in &c.decorators {
            self.expr(d);
        }
        let scope = self.table.scope_of(c);
        let qualname = self.child_qualname(&c.name);
        let table = self.table;
        let file = self.file.clone();
        let mut inner_errors = Vec::new();
        let code = {
            let mut b = Builder::new(table, scope, file, qualname.clone(), &mut inner_errors);
            b.span = span;
            b.cell_prologue();
            let q = b.add_const(Value::str(&qualname));
            b.emit(Op::LoadConst(q));
            let qn = b.name("__qualname__");
            b.emit(Op::StoreName(qn));
            b.annotations_prologue(&c.body);
            for s in &c.body {
                b.stmt(s);
            }
            b.span = span;
            let sc = &table.scopes[scope];
            if sc.cells.iter().any(|n| &**n == "__class__") {
                let slot = b.slots["__class__"];
                b.emit(Op::LoadClosure(slot));
            } else {
                b.emit(Op::LoadNone);
            }
            b.emit(Op::Return);
            b.finish(&c.name, FLAG_CLASS_BODY, 0, 0, 0, span)
        };
        self.errors.extend(inner_errors);
        self.span = span;
        self.emit(Op::LoadBuildClass);
        self.make_function(code, scope, None);
        let n = self.add_const(Value::str(&c.name));
        self.emit(Op::LoadConst(n));
        self.call_args(&c.bases, 2, false, span);
        for d in c.decorators.iter().rev() {
            self.emit_at(Op::Call { argc: 1, at: false }, d.span);
        }
        self.store_name(&c.name);
    }
}
