//! The nesting-depth limit, checked on the finished tree with an explicit
//! stack: a recursive walk (or the compiler after us) would overflow the
//! native stack on inputs like `-` repeated 100000 times.

use super::ast::*;
use super::error::SyntaxError;
use super::lexer::DEPTH_MESSAGE;

const MAX_DEPTH: u32 = 400;

/// Fail at the first expression nested deeper than [MAX_DEPTH]. Statement
/// nesting does not count: indentation already limits it to 100.
pub fn check_module(module: &Module) -> Result<(), SyntaxError> {
    let mut stmts: Vec<&Stmt> = module.body.iter().collect();
    let mut exprs: Vec<(&Expr, u32)> = Vec::new();
    while let Some(stmt) = stmts.pop() {
        stmt_children(stmt, &mut stmts, &mut exprs);
        while let Some((expr, depth)) = exprs.pop() {
            if depth > MAX_DEPTH {
                return Err(SyntaxError::syntax(DEPTH_MESSAGE, expr.span));
            }
            expr_children(expr, depth + 1, &mut exprs);
        }
    }
    Ok(())
}

fn stmt_children<'a>(stmt: &'a Stmt, stmts: &mut Vec<&'a Stmt>, exprs: &mut Vec<(&'a Expr, u32)>) {
    let mut e = |x: &'a Expr| exprs.push((x, 1));
    match &stmt.node {
        StmtKind::Expr(x) | StmtKind::Sibling(x) => e(x),
        StmtKind::Assign(targets, value) => {
            targets.iter().for_each(&mut e);
            e(value);
        }
        StmtKind::AugAssign(t, _, v) => {
            e(t);
            e(v);
        }
        StmtKind::AnnAssign(t, a, v) => {
            e(t);
            e(a);
            v.iter().for_each(e);
        }
        StmtKind::FunctionDef(f) => {
            f.decorators.iter().for_each(&mut e);
            f.returns.iter().for_each(&mut e);
            params(&f.params, 1, exprs);
            stmts.extend(&f.body);
        }
        StmtKind::ClassDef(c) => {
            c.decorators.iter().for_each(&mut e);
            c.bases.iter().for_each(|a| e(arg(a)));
            stmts.extend(&c.body);
        }
        StmtKind::Return(v) => v.iter().for_each(e),
        StmtKind::If(t, body, orelse) | StmtKind::While(t, body, orelse) => {
            e(t);
            stmts.extend(body);
            stmts.extend(orelse);
        }
        StmtKind::For {
            target,
            iter,
            body,
            orelse,
            ..
        } => {
            e(target);
            e(iter);
            stmts.extend(body);
            stmts.extend(orelse);
        }
        StmtKind::Delete(targets) => targets.iter().for_each(e),
        StmtKind::Assert(t, m) => {
            e(t);
            m.iter().for_each(e);
        }
        StmtKind::Try {
            body,
            handlers,
            orelse,
            finalbody,
        } => {
            for h in handlers {
                h.kind.iter().for_each(&mut e);
                stmts.extend(&h.body);
            }
            stmts.extend(body);
            stmts.extend(orelse);
            stmts.extend(finalbody);
        }
        StmtKind::Raise(x, c) => {
            x.iter().for_each(&mut e);
            c.iter().for_each(e);
        }
        StmtKind::With(items, body) => {
            for item in items {
                e(&item.context);
                item.target.iter().for_each(&mut e);
            }
            stmts.extend(body);
        }
        StmtKind::Break
        | StmtKind::Continue
        | StmtKind::Pass
        | StmtKind::Import(_)
        | StmtKind::ImportFrom { .. }
        | StmtKind::Global(_)
        | StmtKind::Nonlocal(_) => {}
    }
}

fn arg(a: &Arg) -> &Expr {
    match a {
        Arg::Positional(x) | Arg::Star(x) | Arg::Keyword(_, x) | Arg::DoubleStar(x) => x,
    }
}

fn params<'a>(p: &'a Params, depth: u32, exprs: &mut Vec<(&'a Expr, u32)>) {
    let all = p.positional.iter().chain(&p.kwonly);
    exprs.extend(all.filter_map(|p| p.default.as_ref()).map(|d| (d, depth)));
}

fn comprehensions<'a>(gens: &'a [Comprehension], depth: u32, exprs: &mut Vec<(&'a Expr, u32)>) {
    for g in gens {
        exprs.push((&g.target, depth));
        exprs.push((&g.iter, depth));
        exprs.extend(g.ifs.iter().map(|x| (x, depth)));
    }
}

/// F-string fields; format specs nest at most a few levels (the f-string
/// scanner limits that), so this small recursion is bounded.
fn fstring<'a>(parts: &'a [FStringPart], depth: u32, exprs: &mut Vec<(&'a Expr, u32)>) {
    for part in parts {
        if let FStringPart::Field { expr, spec, .. } = part {
            exprs.push((expr, depth));
            if let Some(spec) = spec {
                fstring(spec, depth, exprs);
            }
        }
    }
}

fn expr_children<'a>(expr: &'a Expr, d: u32, exprs: &mut Vec<(&'a Expr, u32)>) {
    match &expr.node {
        ExprKind::Name(_)
        | ExprKind::None
        | ExprKind::Bool(_)
        | ExprKind::Int(_)
        | ExprKind::BigInt(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bytes(_)
        | ExprKind::Ellipsis => {}
        ExprKind::FString(parts) => fstring(parts, d, exprs),
        ExprKind::BinOp(l, _, r) => exprs.extend([(&**l, d), (&**r, d)]),
        ExprKind::Unary(_, x)
        | ExprKind::Starred(x)
        | ExprKind::YieldFrom(x)
        | ExprKind::NamedExpr(_, x)
        | ExprKind::Attribute(x, _) => exprs.push((x, d)),
        ExprKind::Yield(x) => exprs.extend(x.iter().map(|x| (&**x, d))),
        ExprKind::BoolOp(_, xs) | ExprKind::Tuple(xs) | ExprKind::List(xs) | ExprKind::Set(xs) => {
            exprs.extend(xs.iter().map(|x| (x, d)))
        }
        ExprKind::Compare(first, rest) => {
            exprs.push((first, d));
            exprs.extend(rest.iter().map(|(_, x)| (x, d)));
        }
        ExprKind::IfExp { test, body, orelse } => {
            exprs.extend([(&**test, d), (&**body, d), (&**orelse, d)]);
        }
        ExprKind::Lambda(p, body) => {
            params(p, d, exprs);
            exprs.push((body, d));
        }
        ExprKind::Call { func, args, .. } => {
            exprs.push((func, d));
            exprs.extend(args.iter().map(|a| (arg(a), d)));
        }
        ExprKind::Subscript(v, i) => exprs.extend([(&**v, d), (&**i, d)]),
        ExprKind::Slice(a, b, c) => {
            exprs.extend([a, b, c].into_iter().flatten().map(|x| (&**x, d)));
        }
        ExprKind::Dict(items) => {
            for item in items {
                match item {
                    DictItem::Pair(k, v) => exprs.extend([(k, d), (v, d)]),
                    DictItem::Splat(x) => exprs.push((x, d)),
                }
            }
        }
        ExprKind::ListComp(elt, gens)
        | ExprKind::SetComp(elt, gens)
        | ExprKind::GeneratorExp(elt, gens) => {
            exprs.push((elt, d));
            comprehensions(gens, d, exprs);
        }
        ExprKind::DictComp(k, v, gens) => {
            exprs.extend([(&**k, d), (&**v, d)]);
            comprehensions(gens, d, exprs);
        }
    }
}
