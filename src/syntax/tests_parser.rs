//! Parser tests: one snippet per construct, with the AST shape written as
//! a compact S-expression for the tricky ones.

use super::ast::*;
use super::parse;

/// A compact rendering of an expression for assertions.
fn sx(e: &Expr) -> String {
    let list = |xs: &[Expr]| xs.iter().map(sx).collect::<Vec<_>>().join(" ");
    let args = |xs: &[Arg]| {
        xs.iter()
            .map(|a| match a {
                Arg::Positional(x) => sx(x),
                Arg::Star(x) => format!("*{}", sx(x)),
                Arg::DoubleStar(x) => format!("**{}", sx(x)),
                Arg::Keyword(n, x) => format!("{n}={}", sx(x)),
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let gens = |gs: &[Comprehension]| {
        gs.iter()
            .map(|g| {
                let ifs: String = g.ifs.iter().map(|i| format!(" if {}", sx(i))).collect();
                format!("for {} in {}{ifs}", sx(&g.target), sx(&g.iter))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let opt = |x: &Option<Box<Expr>>| x.as_ref().map_or("_".to_string(), |x| sx(x));
    match &e.node {
        ExprKind::Name(n) => n.to_string(),
        ExprKind::None => "None".into(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::BigInt(s) => format!("big:{s}"),
        ExprKind::Float(f) => format!("{f:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Bytes(b) => format!("b{:?}", String::from_utf8_lossy(b)),
        ExprKind::FString(parts) => format!("f{}", parts.len()),
        ExprKind::Ellipsis => "...".into(),
        ExprKind::BinOp(l, op, r) => format!("({op:?} {} {})", sx(l), sx(r)),
        ExprKind::Unary(op, x) => format!("({op:?} {})", sx(x)),
        ExprKind::BoolOp(op, xs) => format!("({op:?} {})", list(xs)),
        ExprKind::Compare(first, rest) => {
            let ops: String = rest
                .iter()
                .map(|(op, x)| format!(" {op:?} {}", sx(x)))
                .collect();
            format!("(cmp {}{ops})", sx(first))
        }
        ExprKind::IfExp { test, body, orelse } => {
            format!("(if {} {} {})", sx(test), sx(body), sx(orelse))
        }
        ExprKind::Lambda(p, body) => format!("(lambda {} {})", params(p), sx(body)),
        ExprKind::Call { func, args: a, at } => {
            format!(
                "({}{} {})",
                if *at { "call@ " } else { "call " },
                sx(func),
                args(a)
            )
        }
        ExprKind::Attribute(v, n) => format!("(. {} {n})", sx(v)),
        ExprKind::Subscript(v, i) => format!("([] {} {})", sx(v), sx(i)),
        ExprKind::Slice(a, b, c) => format!("(slice {} {} {})", opt(a), opt(b), opt(c)),
        ExprKind::Starred(x) => format!("*{}", sx(x)),
        ExprKind::Tuple(xs) => format!("(tuple {})", list(xs)),
        ExprKind::List(xs) => format!("[{}]", list(xs)),
        ExprKind::Set(xs) => format!("{{{}}}", list(xs)),
        ExprKind::Dict(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match i {
                    DictItem::Pair(k, v) => format!("{}:{}", sx(k), sx(v)),
                    DictItem::Splat(x) => format!("**{}", sx(x)),
                })
                .collect();
            format!("(dict {})", items.join(" "))
        }
        ExprKind::ListComp(x, g) => format!("(listcomp {} {})", sx(x), gens(g)),
        ExprKind::SetComp(x, g) => format!("(setcomp {} {})", sx(x), gens(g)),
        ExprKind::DictComp(k, v, g) => format!("(dictcomp {} {} {})", sx(k), sx(v), gens(g)),
        ExprKind::GeneratorExp(x, g) => format!("(gen {} {})", sx(x), gens(g)),
        ExprKind::Yield(x) => format!("(yield {})", opt(x)),
        ExprKind::YieldFrom(x) => format!("(yieldfrom {})", sx(x)),
        ExprKind::NamedExpr(n, x) => format!("(:= {n} {})", sx(x)),
    }
}

fn params(p: &Params) -> String {
    let one = |p: &Param| match &p.default {
        Some(d) => format!("{}={}", p.name, sx(d)),
        None => p.name.to_string(),
    };
    let mut out: Vec<String> = p.positional.iter().map(one).collect();
    if p.posonly_count > 0 {
        out.insert(p.posonly_count, "/".into());
    }
    if let Some(v) = &p.vararg {
        out.push(format!("*{}", v.name));
    } else if !p.kwonly.is_empty() {
        out.push("*".into());
    }
    out.extend(p.kwonly.iter().map(one));
    if let Some(k) = &p.kwarg {
        out.push(format!("**{}", k.name));
    }
    format!("[{}]", out.join(" "))
}

fn body(src: &str) -> Vec<Stmt> {
    match parse(src) {
        Ok(m) => m.body,
        Err(e) => panic!("{src:?}: {e} at {:?}", e.span),
    }
}

fn stmt(src: &str) -> StmtKind {
    let mut b = body(src);
    assert_eq!(b.len(), 1, "{src:?}");
    b.remove(0).node
}

/// The S-expression of a one-expression statement.
fn ex(src: &str) -> String {
    match stmt(src) {
        StmtKind::Expr(e) => sx(&e),
        other => panic!("{other:?}"),
    }
}

#[test]
fn precedence() {
    assert_eq!(ex("-2**2"), "(Neg (Pow 2 2))");
    assert_eq!(ex("2**-1"), "(Pow 2 (Neg 1))");
    assert_eq!(ex("a**b**c"), "(Pow a (Pow b c))");
    assert_eq!(ex("not a in b"), "(Not (cmp a In b))");
    assert_eq!(ex("a < b <= c != d"), "(cmp a Lt b LtE c NotEq d)");
    assert_eq!(ex("a not in b is not c"), "(cmp a NotIn b IsNot c)");
    assert_eq!(ex("a if b else c"), "(if b a c)");
    assert_eq!(ex("a or b and not c"), "(Or a (And b (Not c)))");
    assert_eq!(ex("a or b or c"), "(Or a b c)");
    assert_eq!(ex("1 + 2 * 3 - 4"), "(Sub (Add 1 (Mul 2 3)) 4)");
    assert_eq!(
        ex("a | b ^ c & d << e"),
        "(BitOr a (BitXor b (BitAnd c (LShift d e))))"
    );
    assert_eq!(ex("a // b % c / d"), "(Div (Mod (FloorDiv a b) c) d)");
    assert_eq!(ex("~-+x"), "(Invert (Neg (Pos x)))");
    assert_eq!(ex("x if a else y if b else z"), "(if a x (if b y z))");
}

#[test]
fn lambdas() {
    assert_eq!(ex("lambda: 0"), "(lambda [] 0)");
    assert_eq!(
        ex("lambda x, y=1, *a, k, **kw: x"),
        "(lambda [x y=1 *a k **kw] x)"
    );
    assert_eq!(ex("lambda a, /, b, *, c=2: a"), "(lambda [a / b * c=2] a)");
    assert_eq!(
        ex("lambda x: lambda: x if x else 0"),
        "(lambda [x] (lambda [] (if x x 0)))"
    );
}

#[test]
fn primaries() {
    assert_eq!(ex("a.b(c)[d]"), "([] (call (. a b) c) d)");
    assert_eq!(
        ex("a[1:2, ::3]"),
        "([] a (tuple (slice 1 2 _) (slice _ _ 3)))"
    );
    assert_eq!(ex("a[:]"), "([] a (slice _ _ _))");
    assert_eq!(ex("a[1:]"), "([] a (slice 1 _ _))");
    assert_eq!(ex("a[x, y]"), "([] a (tuple x y))");
    assert_eq!(ex("a[i,]"), "([] a (tuple i))");
    assert_eq!(ex("f(a, *b, c=1, **d)"), "(call f a *b c=1 **d)");
    assert_eq!(ex("f(x for x in y)"), "(call f (gen x for x in y))");
    assert_eq!(ex("f(a,)"), "(call f a)");
    assert_eq!(ex("f(y := 1)"), "(call f (:= y 1))");
    assert_eq!(ex("f@(x)"), "(call@ f x)");
    assert_eq!(ex("o.m@(x, y)"), "(call@ (. o m) x y)");
    assert_eq!(ex("f@(x)(y)"), "(call (call@ f x) y)");
    assert_eq!(ex("print"), "print");
    assert_eq!(ex("..."), "...");
    assert_eq!(ex("None, True, False"), "(tuple None true false)");
}

#[test]
fn displays_and_comprehensions() {
    assert_eq!(ex("()"), "(tuple )");
    assert_eq!(ex("(1,)"), "(tuple 1)");
    assert_eq!(ex("(1)"), "1");
    assert_eq!(ex("[1, *a, 2]"), "[1 *a 2]");
    assert_eq!(ex("[]"), "[]");
    assert_eq!(ex("{}"), "(dict )");
    assert_eq!(ex("{1: 2, **m,}"), "(dict 1:2 **m)");
    assert_eq!(ex("{1, *s}"), "{1 *s}");
    assert_eq!(
        ex("[x for x in y if x if z for w in x]"),
        "(listcomp x for x in y if x if z for w in x)"
    );
    assert_eq!(
        ex("{k: v for k, v in d}"),
        "(dictcomp k v for (tuple k v) in d)"
    );
    assert_eq!(ex("{x for x in y}"), "(setcomp x for x in y)");
    assert_eq!(ex("(x for x in y)"), "(gen x for x in y)");
    assert_eq!(
        ex("[a if b else c for a in d if lambda: 1]"),
        "(listcomp (if b a c) for a in d if (lambda [] 1))"
    );
    assert_eq!(ex("(yield)"), "(yield _)");
    assert_eq!(ex("(y := 2)"), "(:= y 2)");
}

#[test]
fn literals() {
    assert_eq!(ex("'a' \"b\"\n"), "\"ab\"");
    assert_eq!(ex("b'a' b'b'"), "b\"ab\"");
    assert_eq!(ex("(\n 'a'\n 'b'\n)"), "\"ab\"");
    assert_eq!(ex("12345678901234567890"), "big:12345678901234567890");
    assert_eq!(ex("0x1_0 + 1.5e3"), "(Add 16 1500.0)");
    match stmt("'a' f'{b}' 'c'") {
        StmtKind::Expr(Spanned {
            node: ExprKind::FString(parts),
            ..
        }) => {
            assert_eq!(parts.len(), 3);
            assert_eq!(parts[0], FStringPart::Literal("a".into()));
            assert_eq!(parts[2], FStringPart::Literal("c".into()));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn simple_statements() {
    assert!(matches!(stmt("x = 1"), StmtKind::Assign(t, _) if t.len() == 1));
    match stmt("a = b = c") {
        StmtKind::Assign(t, v) => {
            assert_eq!(t.iter().map(sx).collect::<Vec<_>>(), ["a", "b"]);
            assert_eq!(sx(&v), "c");
        }
        other => panic!("{other:?}"),
    }
    match stmt("a, *b = c, d") {
        StmtKind::Assign(t, v) => {
            assert_eq!(sx(&t[0]), "(tuple a *b)");
            assert_eq!(sx(&v), "(tuple c d)");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(stmt("x = yield y"), StmtKind::Assign(_, v) if sx(&v) == "(yield y)"));
    let ops = [
        "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^",
    ];
    for op in ops {
        assert!(
            matches!(stmt(&format!("x {op}= 2")), StmtKind::AugAssign(..)),
            "{op}"
        );
    }
    assert!(matches!(
        stmt("x **= 2"),
        StmtKind::AugAssign(_, BinOp::Pow, _)
    ));
    assert!(matches!(
        stmt("x: int = 3"),
        StmtKind::AnnAssign(_, _, Some(_))
    ));
    assert!(matches!(stmt("x.y: int"), StmtKind::AnnAssign(_, _, None)));
    assert!(matches!(stmt("del a, b[0], c.d"), StmtKind::Delete(v) if v.len() == 3));
    assert!(matches!(
        stmt("assert x, 'm'"),
        StmtKind::Assert(_, Some(_))
    ));
    assert!(matches!(
        stmt("raise X from Y"),
        StmtKind::Raise(Some(_), Some(_))
    ));
    assert!(matches!(stmt("raise"), StmtKind::Raise(None, None)));
    assert!(matches!(stmt("return"), StmtKind::Return(None)));
    assert!(matches!(stmt("return 1, 2"), StmtKind::Return(Some(_))));
    assert!(matches!(stmt("global a, b"), StmtKind::Global(v) if v.len() == 2));
    assert!(matches!(stmt("nonlocal a"), StmtKind::Nonlocal(v) if v.len() == 1));
    assert!(matches!(stmt("yield from x"), StmtKind::Expr(e) if sx(&e) == "(yieldfrom x)"));
    assert_eq!(body("pass; break; continue;").len(), 3);
    assert!(matches!(stmt("(x := 5)"), StmtKind::Expr(_)));
}

#[test]
fn imports() {
    match stmt("import a.b.c as d, e") {
        StmtKind::Import(a) => {
            assert_eq!(&*a[0].name, "a.b.c");
            assert_eq!(a[0].asname.as_deref(), Some("d"));
            assert_eq!(a[0].span, Span::new(7, 17));
            assert_eq!(&*a[1].name, "e");
        }
        other => panic!("{other:?}"),
    }
    match stmt("from ..m import (a as b, c,)") {
        StmtKind::ImportFrom {
            module,
            names,
            level,
        } => {
            assert_eq!(module.as_deref(), Some("m"));
            assert_eq!(level, 2);
            assert_eq!(names.len(), 2);
            assert_eq!(names[0].asname.as_deref(), Some("b"));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(stmt("from m import *"), StmtKind::ImportFrom { names, level: 0, .. } if &*names[0].name == "*")
    );
    assert!(matches!(
        stmt("from . import x"),
        StmtKind::ImportFrom {
            module: None,
            level: 1,
            ..
        }
    ));
    assert!(matches!(
        stmt("from .... import x"),
        StmtKind::ImportFrom {
            module: None,
            level: 4,
            ..
        }
    ));
}

#[test]
fn compound_statements() {
    match stmt("if a:\n  x\nelif b:\n  y\nelse:\n  z\n") {
        StmtKind::If(t, b, o) => {
            assert_eq!(sx(&t), "a");
            assert_eq!(b.len(), 1);
            assert!(matches!(&o[0].node, StmtKind::If(_, _, e) if e.len() == 1));
            assert_eq!(o[0].span, Span::new(10, 31));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(stmt("while x: pass\nelse: pass"), StmtKind::While(_, _, o) if o.len() == 1));
    match stmt("for a, b in c:\n  pass\nelse:\n  pass") {
        StmtKind::For {
            target, at, orelse, ..
        } => {
            assert_eq!(sx(&target), "(tuple a b)");
            assert!(!at);
            assert_eq!(orelse.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        stmt("for@ x in y:\n  f(x)"),
        StmtKind::For { at: true, .. }
    ));
    match stmt("try:\n  a\nexcept T as e:\n  b\nexcept (A, B):\n  c\nexcept:\n  d\nelse:\n  e\nfinally:\n  f") {
        StmtKind::Try { handlers, orelse, finalbody, .. } => {
            assert_eq!(handlers.len(), 3);
            assert_eq!(handlers[0].name.as_deref(), Some("e"));
            assert_eq!(sx(handlers[1].kind.as_ref().unwrap()), "(tuple A B)");
            assert!(handlers[2].kind.is_none());
            assert_eq!(orelse.len(), 1);
            assert_eq!(finalbody.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(stmt("try: a\nfinally: b"), StmtKind::Try { handlers, .. } if handlers.is_empty())
    );
    match stmt("with a as b, c as (d, e): pass") {
        StmtKind::With(items, _) => {
            assert_eq!(items.len(), 2);
            assert_eq!(sx(items[1].target.as_ref().unwrap()), "(tuple d e)");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(stmt("with (a as b,\n c):\n pass"), StmtKind::With(items, _) if items.len() == 2)
    );
    assert!(matches!(stmt("with (a, b) as c: pass"), StmtKind::With(items, _) if items.len() == 1));
    assert!(matches!(stmt("with (a): pass"), StmtKind::With(items, _) if items.len() == 1));
}

#[test]
fn functions_and_classes() {
    match stmt(
        "@dec\n@mod.d(1)\ndef f(a, b: int = 1, /, c=2, *args: str, d, e=3, **kw) -> R:\n  return a",
    ) {
        StmtKind::FunctionDef(f) => {
            assert_eq!(&*f.name, "f");
            assert_eq!(params(&f.params), "[a b=1 / c=2 *args d e=3 **kw]");
            assert_eq!(
                f.decorators.iter().map(sx).collect::<Vec<_>>(),
                ["dec", "(call (. mod d) 1)"]
            );
            assert_eq!(sx(f.returns.as_ref().unwrap()), "R");
        }
        other => panic!("{other:?}"),
    }
    let b = body("@dec\ndef f(): pass\n");
    assert_eq!(b[0].span, Span::new(5, 18));
    assert!(
        matches!(stmt("def f(*, a): pass"), StmtKind::FunctionDef(f) if f.params.kwonly.len() == 1)
    );
    assert!(
        matches!(stmt("def f(**kw,): pass"), StmtKind::FunctionDef(f) if f.params.kwarg.is_some())
    );
    match stmt("class C(A, B, metaclass=M):\n  x = 1\n  def m(self): pass") {
        StmtKind::ClassDef(c) => {
            assert_eq!(c.bases.len(), 3);
            assert!(matches!(&c.bases[2], Arg::Keyword(n, _) if &**n == "metaclass"));
            assert_eq!(c.body.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(stmt("class C: pass"), StmtKind::ClassDef(c) if c.bases.is_empty()));
    let b = body("f(x)\n@(dec)\ndef g(): pass\n");
    assert!(matches!(&b[1].node, StmtKind::FunctionDef(f) if f.decorators.len() == 1));
    assert!(matches!(stmt("class C(): pass"), StmtKind::ClassDef(c) if c.bases.is_empty()));
}

#[test]
fn con_syntax() {
    match stmt("sibling f@(x)") {
        StmtKind::Sibling(e) => assert_eq!(sx(&e), "(call@ f x)"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(stmt("sibling o.m@()"), StmtKind::Sibling(_)));
    assert!(matches!(stmt("x = f@(1) + g(2)"), StmtKind::Assign(..)));
    assert!(matches!(
        stmt("for@ i in range(3): pass"),
        StmtKind::For { at: true, .. }
    ));
}

#[test]
fn spans() {
    let b = body("x = 1  # c\nif a:\n    y = (2 +\n 3)\n\nz\n");
    assert_eq!(b[0].span, Span::new(0, 5));
    assert_eq!(b[1].span, Span::new(11, 33));
    assert_eq!(b[2].span, Span::new(35, 36));
    match &b[1].node {
        StmtKind::If(_, body, _) => {
            assert_eq!(body[0].span, Span::new(21, 33));
            match &body[0].node {
                StmtKind::Assign(_, v) => assert_eq!(v.span, Span::new(26, 32)),
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    match stmt("f'{a + b}'") {
        StmtKind::Expr(Spanned {
            node: ExprKind::FString(p),
            span,
        }) => {
            assert_eq!(span, Span::new(0, 10));
            let FStringPart::Field { expr, .. } = &p[0] else {
                panic!()
            };
            assert_eq!(expr.span, Span::new(3, 8));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn layout_variants() {
    assert_eq!(body("x = 1\r\ny = 2").len(), 2);
    assert_eq!(body("").len(), 0);
    assert_eq!(body("\n\n# c\n").len(), 0);
    assert_eq!(body("if x:\n\n  # c\n  y\n\n  z\nw").len(), 2);
    assert_eq!(body("x = [1,\n2,\n3]\ny = \\\n 4\n").len(), 2);
}

#[test]
fn big_flat_inputs() {
    let list = format!("x = [{}]\n", vec!["1"; 1_000_000].join(", "));
    let start = std::time::Instant::now();
    assert!(
        matches!(stmt(&list), StmtKind::Assign(_, v) if matches!(&v.node, ExprKind::List(xs) if xs.len() == 1_000_000))
    );
    let lines = "x = a.b(c, d[1]) + 2\n".repeat(50_000);
    assert_eq!(body(&lines).len(), 50_000);
    assert!(start.elapsed().as_secs() < 20);
}
