//! Expression compilation.

use super::scope::ScopeKind;
use super::{Builder, FnBody};
use crate::bytecode::Op;
use crate::syntax::ast::*;
use crate::vm::value::Value;

/// Whether a string constant looks like a name (letters, digits and
/// underscores only), the kind programs use as keys.
fn is_name_like(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The value of a literal that can live in the constant table.
fn constant(e: &Expr) -> Option<Value> {
    Some(match &e.node {
        ExprKind::None => Value::None,
        ExprKind::Bool(b) => Value::bool(*b),
        ExprKind::Int(i) => Value::Int(*i),
        ExprKind::Float(f) => Value::float(*f),
        // Name-like strings are interned, as CPython does: a constant key
        // then finds its dict entry (or instance attribute) by pointer.
        ExprKind::Str(s) if is_name_like(s) => Value::Str(super::sym(s)),
        ExprKind::Str(s) => Value::str(s),
        ExprKind::Bytes(b) => Value::bytes(b.clone()),
        ExprKind::BigInt(digits) => Value::bigint(digits.parse().ok()?),
        ExprKind::Tuple(items) => {
            let vals: Option<Vec<Value>> = items.iter().map(constant).collect();
            Value::tuple(vals?)
        }
        _ => return None,
    })
}

impl<'a> Builder<'a> {
    pub(crate) fn expr(&mut self, e: &'a Expr) {
        self.span = e.span;
        match &e.node {
            ExprKind::Name(n) => self.load_name(n, e.span),
            ExprKind::None => {
                self.emit(Op::LoadNone);
            }
            ExprKind::Int(i) if *i >= i32::MIN as i64 && *i <= i32::MAX as i64 => {
                self.emit(Op::LoadInt(*i as i32));
            }
            ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bytes(_)
            | ExprKind::BigInt(_) => match constant(e) {
                Some(v) => {
                    let c = self.add_const(v);
                    self.emit(Op::LoadConst(c));
                }
                None => self.error(e.span, "invalid literal"),
            },
            ExprKind::Ellipsis => {
                let i = self.name("Ellipsis");
                self.emit(Op::LoadGlobal(i));
            }
            ExprKind::FString(parts) => {
                let n = self.fstring(parts);
                if n != 1 {
                    self.emit(Op::BuildString(n));
                }
            }
            // a op b
            ExprKind::BinOp(a, op, b) => {
                self.expr(a);
                self.expr(b);
                self.emit_at(Op::Binary(*op), e.span);
            }
            // op a
            ExprKind::Unary(op, a) => {
                if let (UnaryOp::Neg, ExprKind::Int(i)) = (op, &a.node) {
                    if *i <= i32::MAX as i64 {
                        self.emit(Op::LoadInt(-(*i as i32)));
                        return;
                    }
                }
                if let (UnaryOp::Neg, ExprKind::Float(f)) = (op, &a.node) {
                    let c = self.add_const(Value::float(-f));
                    self.emit(Op::LoadConst(c));
                    return;
                }
                self.expr(a);
                self.span = e.span;
                self.emit(match op {
                    UnaryOp::Neg => Op::Neg,
                    UnaryOp::Pos => Op::Pos,
                    UnaryOp::Invert => Op::Invert,
                    UnaryOp::Not => Op::Not,
                });
            }
            // a and b / a or b
            ExprKind::BoolOp(op, items) => {
                let mut jumps = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    self.expr(item);
                    if i + 1 < items.len() {
                        self.span = e.span;
                        jumps.push(self.emit(match op {
                            BoolOp::And => Op::JumpIfFalseOrPop(0),
                            BoolOp::Or => Op::JumpIfTrueOrPop(0),
                        }));
                    }
                }
                for j in jumps {
                    self.patch(j);
                }
            }
            // a < b < c
            ExprKind::Compare(first, rest) => self.compare(first, rest, e.span),
            // body if test else orelse
            ExprKind::IfExp { test, body, orelse } => {
                let jf = self.cond_jump(test, false);
                self.expr(body);
                let end = self.emit(Op::Jump(0));
                self.patch(jf);
                self.expr(orelse);
                self.patch(end);
            }
            // lambda params: body
            ExprKind::Lambda(params, body) => {
                let scope = self.table.scope_of(e);
                let code =
                    self.function_code(scope, "<lambda>", params, FnBody::Expr(body), e.span);
                self.span = e.span;
                self.make_function(code, scope, Some(params));
            }
            // f(args) / f@(args)
            ExprKind::Call { func, args, at } => self.call(func, args, *at, e.span),
            // value.attr
            ExprKind::Attribute(v, attr) => {
                self.expr(v);
                let i = self.name(attr);
                // Only a bare local name: any other operand may end in a
                // LoadFast that a jump skips (`(a if c else b).x`).
                let fusable = matches!(v.node, ExprKind::Name(_));
                match self.ops.last() {
                    Some(&Op::LoadFast(s))
                        if fusable && s <= u16::MAX as u32 && i <= u16::MAX as u32 =>
                    {
                        let at = self.ops.len() - 1;
                        self.ops[at] = Op::LoadFastAttr(s as u16, i as u16);
                        // Errors point at the whole attribute expression.
                        if let Some(last) = self.spans.last_mut() {
                            if last.0 as usize == at {
                                last.1 = e.span;
                            } else {
                                self.spans.push((at as u32, e.span));
                            }
                        } else {
                            self.spans.push((at as u32, e.span));
                        }
                    }
                    _ => {
                        self.emit_at(Op::LoadAttr(i), e.span);
                    }
                }
            }
            // value[index]
            ExprKind::Subscript(v, index) => {
                self.expr(v);
                self.expr(index);
                self.emit_at(Op::Subscr, e.span);
            }
            // lower:upper:step
            ExprKind::Slice(a, b, c) => {
                for part in [a, b] {
                    match part {
                        Some(x) => self.expr(x),
                        None => {
                            self.emit(Op::LoadNone);
                        }
                    }
                }
                if let Some(c) = c {
                    self.expr(c);
                    self.emit(Op::BuildSlice(3));
                } else {
                    self.emit(Op::BuildSlice(2));
                }
            }
            ExprKind::Starred(_) => self.error(e.span, "can't use starred expression here"),
            ExprKind::Tuple(items) => {
                if let Some(v) = constant(e) {
                    let c = self.add_const(v);
                    self.emit(Op::LoadConst(c));
                } else if self.sequence(items, Op::BuildTuple) {
                    self.emit(Op::ListToTuple);
                }
            }
            ExprKind::List(items) => {
                self.sequence(items, Op::BuildList);
            }
            ExprKind::Set(items) => {
                if items.iter().any(|i| matches!(i.node, ExprKind::Starred(_))) {
                    self.emit(Op::BuildSet(0));
                    for i in items {
                        match &i.node {
                            ExprKind::Starred(inner) => self.expr(inner),
                            _ => {
                                self.expr(i);
                                self.emit(Op::BuildTuple(1));
                            }
                        }
                        self.emit(Op::SetUpdate);
                    }
                } else {
                    for i in items {
                        self.expr(i);
                    }
                    self.emit(Op::BuildSet(items.len() as u32));
                }
            }
            ExprKind::Dict(items) => self.dict_display(items),
            ExprKind::ListComp(elt, gens) => self.comprehension(e, CompKind::List, elt, None, gens),
            ExprKind::SetComp(elt, gens) => self.comprehension(e, CompKind::Set, elt, None, gens),
            ExprKind::DictComp(k, v, gens) => {
                self.comprehension(e, CompKind::Dict, k, Some(v), gens)
            }
            ExprKind::GeneratorExp(elt, gens) => {
                self.comprehension(e, CompKind::Gen, elt, None, gens)
            }
            ExprKind::Yield(v) => {
                match v {
                    Some(v) => self.expr(v),
                    None => {
                        self.emit(Op::LoadNone);
                    }
                }
                self.emit_at(Op::YieldValue, e.span);
            }
            ExprKind::YieldFrom(v) => {
                self.expr(v);
                self.span = e.span;
                self.emit(Op::GetIter);
                self.emit(Op::LoadNone);
                let at = self.here() as u32;
                self.emit(Op::YieldFrom(at + 1));
            }
            // name := value
            ExprKind::NamedExpr(n, v) => {
                self.expr(v);
                self.emit(Op::Dup);
                self.store_name(n);
            }
        }
    }

    /// Builds a list or tuple display; returns true when it built a list
    /// that still needs converting (a display with starred items).
    fn sequence(&mut self, items: &'a [Expr], build: fn(u32) -> Op) -> bool {
        let star = items
            .iter()
            .position(|i| matches!(i.node, ExprKind::Starred(_)));
        match star {
            None => {
                for i in items {
                    self.expr(i);
                }
                self.emit(build(items.len() as u32));
                false
            }
            Some(first_star) => {
                for i in &items[..first_star] {
                    self.expr(i);
                }
                self.emit(Op::BuildList(first_star as u32));
                for i in &items[first_star..] {
                    match &i.node {
                        ExprKind::Starred(inner) => {
                            self.expr(inner);
                            self.emit(Op::ListExtend);
                        }
                        _ => {
                            self.expr(i);
                            self.emit(Op::ListAppend(1));
                        }
                    }
                }
                matches!(build(0), Op::BuildTuple(_))
            }
        }
    }

    fn dict_display(&mut self, items: &'a [DictItem]) {
        let mut pending = 0u32;
        let mut started = false;
        for it in items {
            match it {
                DictItem::Pair(k, v) => {
                    self.expr(k);
                    self.expr(v);
                    pending += 1;
                }
                DictItem::Splat(m) => {
                    if !started || pending > 0 {
                        self.emit(Op::BuildMap(pending));
                        if started {
                            self.emit(Op::DictUpdate);
                        }
                        started = true;
                        pending = 0;
                    }
                    self.expr(m);
                    self.emit(Op::DictUpdate);
                }
            }
        }
        if !started {
            self.emit(Op::BuildMap(pending));
        } else if pending > 0 {
            self.emit(Op::BuildMap(pending));
            self.emit(Op::DictUpdate);
        }
    }

    fn compare(&mut self, first: &'a Expr, rest: &'a [(CmpOp, Expr)], span: Span) {
        self.expr(first);
        if rest.len() == 1 {
            self.expr(&rest[0].1);
            self.emit_at(Op::Compare(rest[0].0), span);
            return;
        }
        let mut cleanups = Vec::new();
        for (i, (op, e)) in rest.iter().enumerate() {
            self.expr(e);
            self.span = span;
            if i + 1 < rest.len() {
                self.emit(Op::Dup);
                self.emit(Op::Rot3);
                self.emit(Op::Compare(*op));
                cleanups.push(self.emit(Op::JumpIfFalseOrPop(0)));
            } else {
                self.emit(Op::Compare(*op));
            }
        }
        let end = self.emit(Op::Jump(0));
        for c in cleanups {
            self.patch(c);
        }
        self.emit(Op::Rot2);
        self.emit(Op::Pop);
        self.patch(end);
    }

    /// Compiles [test] and a jump taken when its truth equals [when];
    /// returns the jump to patch.
    pub(crate) fn cond_jump(&mut self, test: &'a Expr, when: bool) -> usize {
        match &test.node {
            ExprKind::Unary(UnaryOp::Not, inner) => return self.cond_jump(inner, !when),
            ExprKind::Compare(a, rest) if rest.len() == 1 && rest[0].0 == CmpOp::Lt && !when => {
                self.expr(a);
                self.expr(&rest[0].1);
                return self.emit_at(Op::JumpIfNotLess(0), test.span);
            }
            ExprKind::BoolOp(op, items) => {
                // `a and b` jumps false when either is false; `a or b`
                // jumps true when either is true.
                let short = matches!(op, BoolOp::And) != when;
                if short {
                    // Every item jumps to the same target on [when].
                    let mut jumps = Vec::new();
                    for item in items {
                        jumps.push(self.cond_jump(item, when));
                    }
                    let last = jumps.pop().unwrap_or(0);
                    let target_holder = last;
                    for j in jumps {
                        // Redirected once the final target is known.
                        self.pending_chain(j, target_holder);
                    }
                    return last;
                } else {
                    let mut skips = Vec::new();
                    for item in &items[..items.len() - 1] {
                        skips.push(self.cond_jump(item, !when));
                    }
                    let j = self.cond_jump(&items[items.len() - 1], when);
                    for s in skips {
                        self.patch(s);
                    }
                    return j;
                }
            }
            _ => {}
        }
        self.expr(test);
        self.emit_at(
            if when {
                Op::PopJumpIfTrue(0)
            } else {
                Op::PopJumpIfFalse(0)
            },
            test.span,
        )
    }

    /// Records that jump [j] must go wherever jump [leader] ends up going.
    fn pending_chain(&mut self, j: usize, leader: usize) {
        self.chains.push((j, leader));
    }

    pub(crate) fn resolve_chains(&mut self) {
        for (j, leader) in std::mem::take(&mut self.chains).into_iter().rev() {
            if let Some(t) = self.ops[leader].target() {
                self.patch_to(j, t as usize);
            }
        }
    }

    fn call(&mut self, func: &'a Expr, args: &'a [Arg], at: bool, span: Span) {
        let simple = args.iter().all(|a| matches!(a, Arg::Positional(_)));
        // Zero-argument super() inside a method.
        if let ExprKind::Name(n) = &func.node {
            if &**n == "super" && args.is_empty() && self.kind() == ScopeKind::Function {
                if let Some(first) = self.first_param() {
                    if self.slots.contains_key("__class__") {
                        self.load_name(n, func.span);
                        self.load_name(&"__class__".into(), func.span);
                        self.load_name(&first, func.span);
                        self.emit_at(Op::Call { argc: 2, at }, span);
                        return;
                    }
                }
            }
        }
        if let (ExprKind::Attribute(obj, attr), true) = (&func.node, simple) {
            self.expr(obj);
            let i = self.name(attr);
            self.emit_at(Op::LoadMethod(i), func.span);
            for a in args {
                if let Arg::Positional(e) = a {
                    self.expr(e);
                }
            }
            self.emit_at(
                Op::CallMethod {
                    argc: args.len() as u32,
                    at,
                },
                span,
            );
            return;
        }
        self.expr(func);
        self.call_args(args, 0, at, span);
    }

    fn first_param(&self) -> Option<Name> {
        let sc = &self.table.scopes[self.scope];
        sc.bound.first().cloned()
    }

    /// Emits the arguments and the call for a callable already on the
    /// stack with [pushed] positional arguments after it.
    pub(crate) fn call_args(&mut self, args: &'a [Arg], pushed: u32, at: bool, span: Span) {
        let has_star = args
            .iter()
            .any(|a| matches!(a, Arg::Star(_) | Arg::DoubleStar(_)));
        if !has_star {
            let mut names = Vec::new();
            let mut seen_kw = false;
            for a in args {
                match a {
                    Arg::Positional(e) => {
                        if seen_kw {
                            self.error(e.span, "positional argument follows keyword argument");
                        }
                        self.expr(e);
                    }
                    Arg::Keyword(n, e) => {
                        if names.iter().any(|x: &Value| x.as_str() == Some(n)) {
                            self.error(e.span, format!("keyword argument repeated: {n}"));
                        }
                        seen_kw = true;
                        self.expr(e);
                        names.push(Value::str(n));
                    }
                    _ => {}
                }
            }
            let argc = pushed + args.len() as u32;
            self.span = span;
            if names.is_empty() {
                self.emit(Op::Call { argc, at });
            } else {
                let c = self.add_const(Value::tuple(names));
                self.emit(Op::LoadConst(c));
                self.emit(Op::CallKw { argc, at });
            }
            return;
        }
        // General form: build a positional tuple and a keyword dict.
        self.args_tuple_and_kw(args, pushed);
        self.emit_at(Op::CallEx { at }, span);
    }

    /// Emits `[args_tuple, kwargs_dict_or_None]` for [args], after
    /// [pushed] positional arguments already on the stack.
    pub(crate) fn args_tuple_and_kw(&mut self, args: &'a [Arg], pushed: u32) {
        self.emit(Op::BuildList(pushed));
        for a in args {
            match a {
                Arg::Positional(e) => {
                    self.expr(e);
                    self.emit(Op::ListAppend(1));
                }
                Arg::Star(e) => {
                    self.expr(e);
                    self.emit(Op::ListExtend);
                }
                _ => {}
            }
        }
        self.emit(Op::ListToTuple);
        let kws: Vec<&Arg> = args
            .iter()
            .filter(|a| matches!(a, Arg::Keyword(..) | Arg::DoubleStar(_)))
            .collect();
        if kws.is_empty() {
            self.emit(Op::LoadNone);
        } else {
            self.emit(Op::BuildMap(0));
            for a in kws {
                match a {
                    Arg::Keyword(n, e) => {
                        let k = self.add_const(Value::str(n));
                        self.emit(Op::LoadConst(k));
                        self.expr(e);
                        self.emit(Op::BuildMap(1));
                        self.emit(Op::DictMerge);
                    }
                    Arg::DoubleStar(e) => {
                        self.expr(e);
                        self.emit(Op::DictMerge);
                    }
                    _ => {}
                }
            }
        }
    }

    /// Compiles f-string parts, returning how many strings were pushed.
    fn fstring(&mut self, parts: &'a [FStringPart]) -> u32 {
        let mut n = 0;
        for p in parts {
            match p {
                FStringPart::Literal(s) => {
                    let c = self.add_const(Value::str(s));
                    self.emit(Op::LoadConst(c));
                    n += 1;
                }
                FStringPart::Field {
                    expr,
                    conversion,
                    spec,
                    self_doc,
                } => {
                    if let Some(doc) = self_doc {
                        let c = self.add_const(Value::str(doc));
                        self.emit(Op::LoadConst(c));
                        n += 1;
                    }
                    self.expr(expr);
                    let conv = match conversion {
                        Some('s') => 1,
                        Some('r') => 2,
                        Some('a') => 3,
                        _ => 0,
                    };
                    let has_spec = if let Some(spec) = spec {
                        let k = self.fstring(spec);
                        if k != 1 {
                            self.emit(Op::BuildString(k));
                        }
                        true
                    } else {
                        false
                    };
                    self.span = expr.span;
                    self.emit(Op::FormatValue(conv, has_spec));
                    n += 1;
                }
            }
        }
        if n == 0 {
            let c = self.add_const(Value::str(""));
            self.emit(Op::LoadConst(c));
            n = 1;
        }
        n
    }

    fn comprehension(
        &mut self,
        node: &'a Expr,
        kind: CompKind,
        elt: &'a Expr,
        value: Option<&'a Expr>,
        gens: &'a [Comprehension],
    ) {
        let scope = self.table.scope_of(node);
        let name = match kind {
            CompKind::List => "<listcomp>",
            CompKind::Set => "<setcomp>",
            CompKind::Dict => "<dictcomp>",
            CompKind::Gen => "<genexpr>",
        };
        let qualname = self.child_qualname(name);
        let table = self.table;
        let file = self.file.clone();
        let mut inner_errors = Vec::new();
        let code = {
            let mut b = Builder::new(table, scope, file, qualname, &mut inner_errors);
            b.span = node.span;
            b.cell_prologue();
            match kind {
                CompKind::List => {
                    b.emit(Op::BuildList(0));
                }
                CompKind::Set => {
                    b.emit(Op::BuildSet(0));
                }
                CompKind::Dict => {
                    b.emit(Op::BuildMap(0));
                }
                CompKind::Gen => {}
            }
            b.comp_loop(kind, elt, value, gens, 0, node.span);
            b.span = node.span;
            if kind == CompKind::Gen {
                b.emit(Op::LoadNone);
            }
            b.emit(Op::Return);
            let params = Params {
                positional: vec![Param {
                    name: ".0".into(),
                    default: None,
                    span: node.span,
                }],
                ..Default::default()
            };
            b.finish(name, 0, params.positional.len() as u32, 0, 0, node.span)
        };
        self.errors.extend(inner_errors);
        self.span = node.span;
        self.make_function(code, scope, None);
        self.expr(&gens[0].iter);
        self.span = node.span;
        self.emit(Op::GetIter);
        // A list/set/dict comprehension making @ calls runs non-atomically
        // in its enclosing frame's thread (a generator expression is
        // resumed by for@/next@ instead).
        let at = kind != CompKind::Gen && self.table.scopes[scope].is_nonatomic;
        self.emit(Op::Call { argc: 1, at });
    }

    fn comp_loop(
        &mut self,
        kind: CompKind,
        elt: &'a Expr,
        value: Option<&'a Expr>,
        gens: &'a [Comprehension],
        depth: usize,
        span: Span,
    ) {
        let g = &gens[depth];
        if depth == 0 {
            self.emit(Op::LoadFast(0));
        } else {
            self.expr(&g.iter);
            self.emit(Op::GetIter);
        }
        self.span = span;
        let start = self.emit(Op::ForIter(0));
        self.store_target(&g.target);
        let mut skips = Vec::new();
        for c in &g.ifs {
            skips.push(self.cond_jump(c, false));
        }
        if depth + 1 < gens.len() {
            self.comp_loop(kind, elt, value, gens, depth + 1, span);
        } else {
            // Items on the stack below the element: the result (if any)
            // and one iterator per loop level.
            let below = (depth + 1) as u32 + u32::from(kind != CompKind::Gen);
            match kind {
                CompKind::List => {
                    self.expr(elt);
                    self.emit(Op::ListAppend(below));
                }
                CompKind::Set => {
                    self.expr(elt);
                    self.emit(Op::SetAdd(below));
                }
                CompKind::Dict => {
                    self.expr(elt);
                    if let Some(v) = value {
                        self.expr(v);
                    }
                    self.emit(Op::MapAdd(below));
                }
                CompKind::Gen => {
                    self.expr(elt);
                    self.emit(Op::YieldValue);
                    self.emit(Op::Pop);
                }
            }
        }
        self.span = span;
        self.emit(Op::Jump(start as u32));
        for s in skips {
            self.patch_to(s, start);
        }
        self.patch(start);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CompKind {
    List,
    Set,
    Dict,
    Gen,
}
