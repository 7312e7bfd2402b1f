//! Scope analysis: decides, before any code is generated, whether each name
//! in each function is a local slot, a cell shared with inner functions, a
//! free variable of an enclosing function, a global, or (in class bodies)
//! a namespace entry.

use std::collections::{HashMap, HashSet};

use crate::syntax::ast::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    Module,
    Function,
    Class,
    /// A list/set/dict comprehension or generator expression body.
    Comprehension,
}

#[derive(Debug)]
pub struct Scope {
    pub kind: ScopeKind,
    pub parent: Option<usize>,
    /// Names bound in this scope, in first-binding order (parameters first).
    pub bound: Vec<Name>,
    bound_set: HashSet<Name>,
    pub used: HashSet<Name>,
    pub globals: HashSet<Name>,
    pub nonlocals: HashSet<Name>,
    /// Where each `nonlocal` name was declared.
    pub nonlocal_spans: HashMap<Name, Span>,
    pub is_generator: bool,
    pub is_nonatomic: bool,
    /// The body mentions `super` or `__class__` (needs the class cell).
    pub uses_class_cell: bool,
    /// Names of this scope captured by inner scopes.
    pub cells: Vec<Name>,
    /// Names this scope takes from enclosing scopes.
    pub free: Vec<Name>,
    /// Where the scope was declared (for error messages).
    pub span: Span,
}

/// How a name is accessed in a given scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Fast,
    Deref,
    Global,
    /// Class body or module namespace lookup.
    Name,
}

pub struct ScopeTable {
    pub scopes: Vec<Scope>,
    /// Scope index of each function, lambda, class and comprehension node,
    /// keyed by the node's address.
    pub by_node: HashMap<usize, usize>,
    pub errors: Vec<(Span, String)>,
}

fn key<T>(node: &T) -> usize {
    node as *const T as usize
}

impl ScopeTable {
    pub fn scope_of<T>(&self, node: &T) -> usize {
        self.by_node[&key(node)]
    }

    pub fn analyze(module: &Module) -> ScopeTable {
        let mut t = ScopeTable {
            scopes: Vec::new(),
            by_node: HashMap::new(),
            errors: Vec::new(),
        };
        let root = t.new_scope(ScopeKind::Module, None, Span::default());
        t.by_node.insert(key(module), root);
        for s in &module.body {
            t.stmt(root, s);
        }
        t.resolve();
        t
    }

    /// Marks scope [s] non-atomic. A list/set/dict comprehension runs
    /// inside its enclosing function's call, so that function is marked
    /// too (a generator expression is resumed separately, by for@/next@).
    fn mark_nonatomic(&mut self, mut s: usize) {
        loop {
            self.scopes[s].is_nonatomic = true;
            let sc = &self.scopes[s];
            match (sc.kind, sc.is_generator, sc.parent) {
                (ScopeKind::Comprehension, false, Some(p)) => s = p,
                _ => break,
            }
        }
    }

    fn new_scope(&mut self, kind: ScopeKind, parent: Option<usize>, span: Span) -> usize {
        self.scopes.push(Scope {
            kind,
            parent,
            bound: Vec::new(),
            bound_set: HashSet::new(),
            used: HashSet::new(),
            globals: HashSet::new(),
            nonlocals: HashSet::new(),
            nonlocal_spans: HashMap::new(),
            is_generator: false,
            is_nonatomic: false,
            uses_class_cell: false,
            cells: Vec::new(),
            free: Vec::new(),
            span,
        });
        self.scopes.len() - 1
    }

    fn bind(&mut self, s: usize, name: &Name) {
        let sc = &mut self.scopes[s];
        if sc.bound_set.insert(name.clone()) {
            sc.bound.push(name.clone());
        }
    }

    fn use_name(&mut self, s: usize, name: &Name) {
        if &**name == "super" || &**name == "__class__" {
            self.scopes[s].uses_class_cell = true;
        }
        self.scopes[s].used.insert(name.clone());
    }

    fn params(&mut self, s: usize, p: &Params) {
        for a in &p.positional {
            self.bind(s, &a.name);
        }
        for a in &p.kwonly {
            self.bind(s, &a.name);
        }
        if let Some(a) = &p.vararg {
            self.bind(s, &a.name);
        }
        if let Some(a) = &p.kwarg {
            self.bind(s, &a.name);
        }
    }

    fn defaults(&mut self, s: usize, p: &Params) {
        for a in p.positional.iter().chain(&p.kwonly) {
            if let Some(d) = &a.default {
                self.expr(s, d);
            }
        }
    }

    fn body(&mut self, s: usize, body: &[Stmt]) {
        for st in body {
            self.stmt(s, st);
        }
    }

    fn target(&mut self, s: usize, e: &Expr) {
        match &e.node {
            ExprKind::Name(n) => self.bind(s, n),
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for i in items {
                    self.target(s, i)
                }
            }
            ExprKind::Starred(inner) => self.target(s, inner),
            _ => self.expr(s, e),
        }
    }

    fn stmt(&mut self, s: usize, st: &Stmt) {
        match &st.node {
            StmtKind::Expr(e) => self.expr(s, e),
            StmtKind::Assign(targets, value) => {
                self.expr(s, value);
                for t in targets {
                    self.target(s, t);
                }
            }
            StmtKind::AugAssign(t, _, v) => {
                self.expr(s, v);
                if let ExprKind::Name(n) = &t.node {
                    self.use_name(s, n);
                }
                self.target(s, t);
            }
            StmtKind::AnnAssign(t, _ann, v) => {
                if let Some(v) = v {
                    self.expr(s, v);
                    self.target(s, t);
                } else if !matches!(t.node, ExprKind::Name(_)) {
                    self.expr(s, t);
                }
            }
            StmtKind::FunctionDef(f) => {
                for d in &f.decorators {
                    self.expr(s, d);
                }
                self.defaults(s, &f.params);
                self.bind(s, &f.name);
                let inner = self.new_scope(ScopeKind::Function, Some(s), st.span);
                self.by_node.insert(key(&**f), inner);
                self.params(inner, &f.params);
                self.body(inner, &f.body);
            }
            StmtKind::ClassDef(c) => {
                for d in &c.decorators {
                    self.expr(s, d);
                }
                for a in &c.bases {
                    self.arg(s, a);
                }
                self.bind(s, &c.name);
                let inner = self.new_scope(ScopeKind::Class, Some(s), st.span);
                self.by_node.insert(key(&**c), inner);
                self.body(inner, &c.body);
            }
            StmtKind::Return(v) => {
                if let Some(v) = v {
                    self.expr(s, v)
                }
            }
            StmtKind::If(t, a, b) | StmtKind::While(t, a, b) => {
                self.expr(s, t);
                self.body(s, a);
                self.body(s, b);
            }
            StmtKind::For {
                target,
                iter,
                body,
                orelse,
                at,
            } => {
                if *at {
                    self.mark_nonatomic(s);
                }
                self.expr(s, iter);
                self.target(s, target);
                self.body(s, body);
                self.body(s, orelse);
            }
            StmtKind::Break | StmtKind::Continue | StmtKind::Pass => {}
            StmtKind::Delete(ts) => {
                for t in ts {
                    self.target(s, t);
                }
            }
            StmtKind::Assert(t, m) => {
                self.expr(s, t);
                if let Some(m) = m {
                    self.expr(s, m);
                }
            }
            StmtKind::Try {
                body,
                handlers,
                orelse,
                finalbody,
            } => {
                self.body(s, body);
                for h in handlers {
                    if let Some(k) = &h.kind {
                        self.expr(s, k);
                    }
                    if let Some(n) = &h.name {
                        self.bind(s, n);
                    }
                    self.body(s, &h.body);
                }
                self.body(s, orelse);
                self.body(s, finalbody);
            }
            StmtKind::Raise(a, b) => {
                if let Some(a) = a {
                    self.expr(s, a);
                }
                if let Some(b) = b {
                    self.expr(s, b);
                }
            }
            StmtKind::With(items, body) => {
                for it in items {
                    self.expr(s, &it.context);
                    if let Some(t) = &it.target {
                        self.target(s, t);
                    }
                }
                self.body(s, body);
            }
            StmtKind::Import(aliases) => {
                for a in aliases {
                    let name: Name = match &a.asname {
                        Some(n) => n.clone(),
                        None => a.name.split('.').next().unwrap_or("").into(),
                    };
                    self.bind(s, &name);
                }
            }
            StmtKind::ImportFrom { names, .. } => {
                for a in names {
                    if &*a.name != "*" {
                        let n = a.asname.clone().unwrap_or_else(|| a.name.clone());
                        self.bind(s, &n);
                    }
                }
            }
            StmtKind::Global(names) => {
                for n in names {
                    self.scopes[s].globals.insert(n.clone());
                }
            }
            StmtKind::Nonlocal(names) => {
                if self.scopes[s].kind == ScopeKind::Module {
                    self.errors.push((
                        st.span,
                        "nonlocal declaration not allowed at module level".into(),
                    ));
                }
                for n in names {
                    self.scopes[s].nonlocals.insert(n.clone());
                    self.scopes[s].nonlocal_spans.insert(n.clone(), st.span);
                }
            }
            StmtKind::Sibling(e) => {
                self.mark_nonatomic(s);
                self.expr(s, e);
            }
        }
    }

    fn arg(&mut self, s: usize, a: &Arg) {
        match a {
            Arg::Positional(e) | Arg::Star(e) | Arg::Keyword(_, e) | Arg::DoubleStar(e) => {
                self.expr(s, e)
            }
        }
    }

    fn comprehension(&mut self, s: usize, node: &Expr, elts: &[&Expr], gens: &[Comprehension]) {
        // The first iterable is evaluated in the enclosing scope.
        self.expr(s, &gens[0].iter);
        let inner = self.new_scope(ScopeKind::Comprehension, Some(s), node.span);
        self.by_node.insert(key(node), inner);
        self.bind(inner, &Name::from(".0"));
        if let ExprKind::GeneratorExp(..) = node.node {
            self.scopes[inner].is_generator = true;
        }
        for (i, g) in gens.iter().enumerate() {
            if i > 0 {
                self.expr(inner, &g.iter);
            }
            self.target(inner, &g.target);
            for c in &g.ifs {
                self.expr(inner, c);
            }
        }
        for e in elts {
            self.expr(inner, e);
        }
    }

    fn expr(&mut self, s: usize, e: &Expr) {
        match &e.node {
            ExprKind::Name(n) => self.use_name(s, n),
            ExprKind::None
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::BigInt(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bytes(_)
            | ExprKind::Ellipsis => {}
            ExprKind::FString(parts) => self.fstring(s, parts),
            ExprKind::BinOp(a, _, b) => {
                self.expr(s, a);
                self.expr(s, b);
            }
            ExprKind::Unary(_, a) => self.expr(s, a),
            ExprKind::BoolOp(_, items) => {
                for i in items {
                    self.expr(s, i);
                }
            }
            ExprKind::Compare(a, rest) => {
                self.expr(s, a);
                for (_, b) in rest {
                    self.expr(s, b);
                }
            }
            ExprKind::IfExp { test, body, orelse } => {
                self.expr(s, test);
                self.expr(s, body);
                self.expr(s, orelse);
            }
            ExprKind::Lambda(params, body) => {
                self.defaults(s, params);
                let inner = self.new_scope(ScopeKind::Function, Some(s), e.span);
                self.by_node.insert(key(e), inner);
                self.params(inner, params);
                self.expr(inner, body);
            }
            ExprKind::Call { func, args, at } => {
                if *at {
                    self.mark_nonatomic(s);
                }
                self.expr(s, func);
                for a in args {
                    self.arg(s, a);
                }
            }
            ExprKind::Attribute(v, _) => self.expr(s, v),
            ExprKind::Subscript(a, b) => {
                self.expr(s, a);
                self.expr(s, b);
            }
            ExprKind::Slice(a, b, c) => {
                for x in [a, b, c].into_iter().flatten() {
                    self.expr(s, x);
                }
            }
            ExprKind::Starred(a) => self.expr(s, a),
            ExprKind::Tuple(items) | ExprKind::List(items) | ExprKind::Set(items) => {
                for i in items {
                    self.expr(s, i);
                }
            }
            ExprKind::Dict(items) => {
                for it in items {
                    match it {
                        DictItem::Pair(k, v) => {
                            self.expr(s, k);
                            self.expr(s, v);
                        }
                        DictItem::Splat(m) => self.expr(s, m),
                    }
                }
            }
            ExprKind::ListComp(elt, gens)
            | ExprKind::SetComp(elt, gens)
            | ExprKind::GeneratorExp(elt, gens) => self.comprehension(s, e, &[elt], gens),
            ExprKind::DictComp(k, v, gens) => self.comprehension(s, e, &[k, v], gens),
            ExprKind::Yield(v) => {
                self.mark_generator(s, e.span);
                if let Some(v) = v {
                    self.expr(s, v);
                }
            }
            ExprKind::YieldFrom(v) => {
                self.mark_generator(s, e.span);
                self.expr(s, v);
            }
            ExprKind::NamedExpr(n, v) => {
                self.expr(s, v);
                // Assignment expressions in comprehensions bind in the
                // enclosing function scope.
                let mut target = s;
                while self.scopes[target].kind == ScopeKind::Comprehension {
                    target = self.scopes[target].parent.unwrap_or(target);
                    if target == 0 {
                        break;
                    }
                }
                if target != s {
                    self.scopes[s].nonlocals.insert(n.clone());
                    if self.scopes[target].kind == ScopeKind::Module {
                        self.scopes[s].nonlocals.remove(n);
                        self.scopes[s].globals.insert(n.clone());
                    }
                }
                self.bind(target, n);
                self.bind(s, n);
            }
        }
    }

    fn mark_generator(&mut self, s: usize, span: Span) {
        match self.scopes[s].kind {
            ScopeKind::Function => self.scopes[s].is_generator = true,
            ScopeKind::Comprehension if self.scopes[s].is_generator => {}
            _ => self
                .errors
                .push((span, "'yield' outside function".to_string())),
        }
    }

    fn fstring(&mut self, s: usize, parts: &[FStringPart]) {
        for p in parts {
            if let FStringPart::Field { expr, spec, .. } = p {
                self.expr(s, expr);
                if let Some(spec) = spec {
                    self.fstring(s, spec);
                }
            }
        }
    }

    /// Second pass: works out cells and free variables, innermost first.
    fn resolve(&mut self) {
        for i in (0..self.scopes.len()).rev() {
            let kind = self.scopes[i].kind;
            if kind == ScopeKind::Module {
                continue;
            }
            let mut wanted: Vec<Name> = Vec::new();
            let sc = &self.scopes[i];
            for n in sc.used.iter().chain(sc.nonlocals.iter()) {
                let local = sc.bound_set.contains(n) && !sc.nonlocals.contains(n);
                if !local && !sc.globals.contains(n) {
                    wanted.push(n.clone());
                }
            }
            // Names inner scopes take from us but that we don't bind.
            wanted.extend(sc.free.iter().cloned());
            if sc.uses_class_cell && kind != ScopeKind::Class {
                wanted.push("__class__".into());
            }
            wanted.sort();
            wanted.dedup();
            for n in wanted {
                if self.scopes[i].bound_set.contains(&n) && !self.scopes[i].nonlocals.contains(&n) {
                    continue;
                }
                if let Some(owner) = self.find_owner(i, &n) {
                    if !self.scopes[i].free.contains(&n) {
                        self.scopes[i].free.push(n.clone());
                    }
                    // Pass the name through every scope in between.
                    let mut p = self.scopes[i].parent;
                    while let Some(pi) = p {
                        if pi == owner {
                            break;
                        }
                        if !self.scopes[pi].free.contains(&n) {
                            self.scopes[pi].free.push(n.clone());
                        }
                        p = self.scopes[pi].parent;
                    }
                    if !self.scopes[owner].cells.contains(&n) {
                        self.scopes[owner].cells.push(n.clone());
                    }
                } else if self.scopes[i].nonlocals.contains(&n) {
                    let span = self.scopes[i]
                        .nonlocal_spans
                        .get(&n)
                        .copied()
                        .unwrap_or(self.scopes[i].span);
                    self.errors
                        .push((span, format!("no binding for nonlocal '{n}' found")));
                }
            }
        }
        // Free lists were filled innermost-first; keep a stable order.
        for sc in &mut self.scopes {
            sc.free.sort();
            sc.cells.sort();
        }
    }

    /// The nearest enclosing function scope that binds [name] (class
    /// scopes are skipped, except that a class owns `__class__`).
    fn find_owner(&self, s: usize, name: &Name) -> Option<usize> {
        let mut p = self.scopes[s].parent;
        while let Some(pi) = p {
            let sc = &self.scopes[pi];
            match sc.kind {
                ScopeKind::Module => return None,
                ScopeKind::Class => {
                    if &**name == "__class__" {
                        return Some(pi);
                    }
                }
                _ => {
                    if sc.globals.contains(name) {
                        return None;
                    }
                    if sc.bound_set.contains(name) && !sc.nonlocals.contains(name) {
                        return Some(pi);
                    }
                }
            }
            p = sc.parent;
        }
        None
    }

    /// How [name] is accessed inside scope [s].
    pub fn access(&self, s: usize, name: &str) -> Access {
        let sc = &self.scopes[s];
        if sc.globals.contains(name) {
            return Access::Global;
        }
        match sc.kind {
            ScopeKind::Module => Access::Name,
            ScopeKind::Class => {
                if sc.free.iter().any(|n| &**n == name) && !sc.bound_set.contains(name) {
                    Access::Deref
                } else {
                    Access::Name
                }
            }
            _ => {
                if sc.cells.iter().any(|n| &**n == name) || sc.free.iter().any(|n| &**n == name) {
                    Access::Deref
                } else if sc.bound_set.contains(name) {
                    Access::Fast
                } else {
                    Access::Global
                }
            }
        }
    }
}
