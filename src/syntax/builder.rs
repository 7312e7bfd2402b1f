//! AST builders called from the grammar's actions, for the rules whose
//! checks or shapes are more than a constructor call. Each function says
//! which surface syntax it handles. Spans arrive already attached by the
//! grammar's `Sp` macro.

use std::collections::HashSet;

use super::ast::*;
use super::error::SyntaxError;
use super::token::StrLit;

/// What the grammar's start rule produced: a file, or an f-string field.
pub enum Top {
    Module(Module),
    Expr(Expr),
}

/// `left op right`
pub fn binop(left: Expr, op: BinOp, right: Expr) -> ExprKind {
    ExprKind::BinOp(Box::new(left), op, Box::new(right))
}

/// `first or second or ...` / `first and second and ...` (one flat node).
pub fn boolop(op: BoolOp, first: Expr, mut rest: Vec<Expr>) -> ExprKind {
    rest.insert(0, first);
    ExprKind::BoolOp(op, rest)
}

/// `(a, b)`, `a, b,`: items before commas plus an optional last one.
pub fn tuple(mut items: Vec<Expr>, last: Option<Expr>) -> ExprKind {
    items.extend(last);
    ExprKind::Tuple(items)
}

/// `lower:upper:step` in a subscript.
pub fn slice(lower: Option<Expr>, upper: Option<Expr>, step: Option<Option<Expr>>) -> ExprKind {
    ExprKind::Slice(
        lower.map(Box::new),
        upper.map(Box::new),
        step.flatten().map(Box::new),
    )
}

/// One item of a `def` or `lambda` parameter list, before validation.
pub enum ParamItem {
    /// `name`, `name=default` (annotations already dropped)
    Plain(Name, Option<Expr>),
    /// `/`
    Slash,
    /// `*` or `*args`
    Star(Option<Name>),
    /// `**kwargs`
    DoubleStar(Name),
}

fn err<T>(msg: impl Into<String>, span: Span) -> Result<T, SyntaxError> {
    Err(SyntaxError::syntax(msg, span))
}

/// `a, b=1, /, c, *args, d, e=2, **kw`: check the order of the pieces and
/// sort them into [Params].
pub fn params(items: Vec<Spanned<ParamItem>>) -> Result<Params, SyntaxError> {
    let mut p = Params::default();
    let mut seen = HashSet::new();
    let (mut star, mut slash, mut default, mut bare_star) = (false, false, false, None);
    for Spanned { node, span } in items {
        if p.kwarg.is_some() {
            return err("arguments cannot follow var-keyword argument", span);
        }
        let name = match &node {
            ParamItem::Plain(n, _) | ParamItem::DoubleStar(n) | ParamItem::Star(Some(n)) => {
                Some(n.clone())
            }
            _ => None,
        };
        if let Some(n) = name {
            if !seen.insert(n.clone()) {
                return err(
                    format!("duplicate argument '{n}' in function definition"),
                    span,
                );
            }
        }
        match node {
            ParamItem::Plain(name, def) => {
                let param = Param {
                    name,
                    default: def,
                    span,
                };
                if star {
                    bare_star = None;
                    p.kwonly.push(param);
                } else {
                    if param.default.is_some() {
                        default = true;
                    } else if default {
                        return err(
                            "parameter without a default follows parameter with a default",
                            span,
                        );
                    }
                    p.positional.push(param);
                }
            }
            ParamItem::Slash => {
                if slash {
                    return err("/ may appear only once", span);
                }
                if star {
                    return err("/ must be ahead of *", span);
                }
                if p.positional.is_empty() {
                    return err("at least one argument must precede /", span);
                }
                slash = true;
                p.posonly_count = p.positional.len();
            }
            ParamItem::Star(name) => {
                if star {
                    return err("* argument may appear only once", span);
                }
                star = true;
                match name {
                    Some(name) => {
                        p.vararg = Some(Param {
                            name,
                            default: None,
                            span,
                        })
                    }
                    None => bare_star = Some(span),
                }
            }
            ParamItem::DoubleStar(name) => {
                p.kwarg = Some(Param {
                    name,
                    default: None,
                    span,
                });
            }
        }
    }
    if let Some(span) = bare_star {
        return err("named arguments must follow bare *", span);
    }
    Ok(p)
}

/// Call arguments `f(a, *b, c=1, **d)`: Python's ordering rules.
pub fn call_args(items: Vec<Spanned<Arg>>) -> Result<Vec<Arg>, SyntaxError> {
    let (mut keyword, mut double_star) = (false, false);
    let mut names = HashSet::new();
    let mut args = Vec::with_capacity(items.len());
    for Spanned { node, span } in items {
        match &node {
            Arg::Positional(_) if double_star => {
                return err(
                    "positional argument follows keyword argument unpacking",
                    span,
                );
            }
            Arg::Positional(_) if keyword => {
                return err("positional argument follows keyword argument", span);
            }
            Arg::Star(_) if double_star => {
                return err(
                    "iterable argument unpacking follows keyword argument unpacking",
                    span,
                );
            }
            Arg::Keyword(name, _) => {
                if !names.insert(name.clone()) {
                    return err(format!("keyword argument repeated: {name}"), span);
                }
                keyword = true;
            }
            Arg::DoubleStar(_) => double_star = true,
            _ => {}
        }
        args.push(node);
    }
    Ok(args)
}

/// Adjacent literals `"a" 'b' f"{c}"`: str+str → Str, bytes+bytes →
/// Bytes, any f-string → FString; bytes with str is an error.
pub fn concat_strings(parts: Vec<Spanned<StrLit>>) -> Result<ExprKind, SyntaxError> {
    let is_bytes = |p: &Spanned<StrLit>| matches!(p.node, StrLit::Bytes(_));
    let first_bytes = is_bytes(&parts[0]);
    if let Some(odd) = parts.iter().find(|p| is_bytes(p) != first_bytes) {
        return err("cannot mix bytes and nonbytes literals", odd.span);
    }
    let mut parts = parts.into_iter().map(|p| p.node);
    if parts.len() == 1 {
        return Ok(match parts.next().unwrap() {
            StrLit::Str(s) => ExprKind::Str(s),
            StrLit::Bytes(b) => ExprKind::Bytes(b),
            StrLit::FString(f) => ExprKind::FString(f),
        });
    }
    if first_bytes {
        let mut out = Vec::new();
        for p in parts {
            if let StrLit::Bytes(b) = p {
                out.extend(b);
            }
        }
        return Ok(ExprKind::Bytes(out));
    }
    let parts: Vec<StrLit> = parts.collect();
    if !parts.iter().any(|p| matches!(p, StrLit::FString(_))) {
        let mut out = String::new();
        for p in parts {
            if let StrLit::Str(s) = p {
                out.push_str(&s);
            }
        }
        return Ok(ExprKind::Str(out));
    }
    let mut out: Vec<FStringPart> = Vec::new();
    let mut push = |piece: FStringPart| match (out.last_mut(), piece) {
        (Some(FStringPart::Literal(prev)), FStringPart::Literal(s)) => prev.push_str(&s),
        (_, FStringPart::Literal(s)) if s.is_empty() => {}
        (_, piece) => out.push(piece),
    };
    for p in parts {
        match p {
            StrLit::Str(s) => push(FStringPart::Literal(s)),
            StrLit::FString(pieces) => pieces.into_iter().for_each(&mut push),
            StrLit::Bytes(_) => {}
        }
    }
    Ok(ExprKind::FString(out))
}

/// `t1 = t2 = value`: the last expression is the value.
pub fn assign(first: Expr, mut rest: Vec<Expr>) -> StmtKind {
    let value = rest.pop().expect("grammar gives at least one '='");
    rest.insert(0, first);
    StmtKind::Assign(rest, value)
}

/// `target op= value`: only a name, attribute or subscript can be a target.
pub fn aug_assign(target: Expr, op: BinOp, value: Expr) -> Result<StmtKind, SyntaxError> {
    match target.node {
        ExprKind::Name(_) | ExprKind::Attribute(..) | ExprKind::Subscript(..) => {
            Ok(StmtKind::AugAssign(target, op, value))
        }
        _ => err("illegal expression for augmented assignment", target.span),
    }
}

/// `sibling f@(args)`: the operand must be a non-atomic call.
pub fn sibling(call: Expr) -> Result<StmtKind, SyntaxError> {
    match call.node {
        ExprKind::Call { at: true, .. } => Ok(StmtKind::Sibling(call)),
        _ => err(
            "sibling needs a non-atomic call: write sibling f@(...)",
            call.span,
        ),
    }
}

/// `@d1 @d2 def f(): ...` / `class C: ...`: attach the decorators.
pub fn decorate(decorators: Vec<Expr>, mut stmt: Stmt) -> Stmt {
    match &mut stmt.node {
        StmtKind::FunctionDef(f) => f.decorators = decorators,
        StmtKind::ClassDef(c) => c.decorators = decorators,
        _ => {}
    }
    stmt
}

/// The parsed pieces of `except T as e: body`.
pub type HandlerParts = (Option<(Expr, Option<Name>)>, Vec<Stmt>);

/// `except T as e: body` with its span.
pub fn handler(h: Spanned<HandlerParts>) -> ExceptHandler {
    let (clause, body) = h.node;
    let (kind, name) = match clause {
        Some((kind, name)) => (Some(kind), name),
        None => (None, None),
    };
    ExceptHandler {
        kind,
        name,
        body,
        span: h.span,
    }
}

/// `import a.b as c` / `from m import x as y`: one alias with its span.
pub fn alias(a: Spanned<(Name, Option<Name>)>) -> Alias {
    Alias {
        name: a.node.0,
        asname: a.node.1,
        span: a.span,
    }
}

/// `a.b.c` as one dotted name.
pub fn dotted(first: Name, rest: Vec<Name>) -> Name {
    if rest.is_empty() {
        return first;
    }
    let mut s = first.to_string();
    for part in rest {
        s.push('.');
        s.push_str(&part);
    }
    Name::from(s)
}
