//! The abstract syntax tree. Every node carries the byte span of the source
//! it came from, so the compiler can map each instruction back to source.
//! The tree is independent of the parser generator: the grammar's actions
//! only build these types.

use std::rc::Rc;

/// A half-open byte range `[start, end)` into the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A node with the span it was parsed from.
#[derive(Clone, Debug, PartialEq)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

pub type Expr = Spanned<ExprKind>;
pub type Stmt = Spanned<StmtKind>;
pub type Name = Rc<str>;

/// A whole file: a list of statements.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    pub body: Vec<Stmt>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    LShift,
    RShift,
    BitOr,
    BitXor,
    BitAnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Pos,
    Invert,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtE,
    Gt,
    GtE,
    Is,
    IsNot,
    In,
    NotIn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoolOp {
    And,
    Or,
}

/// One piece of an f-string: literal text or a replacement field.
#[derive(Clone, Debug, PartialEq)]
pub enum FStringPart {
    Literal(String),
    /// `{expr!conv:spec}`; [conversion] is `'r'`, `'s'` or `'a'`; the spec
    /// may itself contain replacement fields. [self_doc] holds the text
    /// `expr=` for the `{expr=}` form.
    Field {
        expr: Box<Expr>,
        conversion: Option<char>,
        spec: Option<Vec<FStringPart>>,
        self_doc: Option<String>,
    },
}

/// A call argument.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// `expr`
    Positional(Expr),
    /// `*expr`
    Star(Expr),
    /// `name=expr`
    Keyword(Name, Expr),
    /// `**expr`
    DoubleStar(Expr),
}

/// One `for`/`if` clause chain of a comprehension.
#[derive(Clone, Debug, PartialEq)]
pub struct Comprehension {
    pub target: Expr,
    pub iter: Expr,
    pub ifs: Vec<Expr>,
}

/// A dict display item: `k: v` or `**mapping`.
#[derive(Clone, Debug, PartialEq)]
pub enum DictItem {
    Pair(Expr, Expr),
    Splat(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `name`
    Name(Name),
    /// `None`
    None,
    /// `True` / `False`
    Bool(bool),
    /// An integer literal that fits in i64.
    Int(i64),
    /// An integer literal too large for i64, as decimal digits.
    BigInt(String),
    /// A float literal.
    Float(f64),
    /// An imaginary literal is not supported; kept out of the tree.
    /// A string literal (adjacent literals already concatenated).
    Str(String),
    /// A bytes literal.
    Bytes(Vec<u8>),
    /// An f-string (adjacent plain and f-strings concatenated into one).
    FString(Vec<FStringPart>),
    /// `...`
    Ellipsis,
    /// `a op b`
    BinOp(Box<Expr>, BinOp, Box<Expr>),
    /// `op a`
    Unary(UnaryOp, Box<Expr>),
    /// `a and b and c` / `a or b`
    BoolOp(BoolOp, Vec<Expr>),
    /// `a < b <= c`: the first operand, then (op, operand) pairs.
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    /// `body if test else orelse`
    IfExp {
        test: Box<Expr>,
        body: Box<Expr>,
        orelse: Box<Expr>,
    },
    /// `lambda params: body`
    Lambda(Box<Params>, Box<Expr>),
    /// `f(args)` when [at] is false, `f@(args)` when true.
    Call {
        func: Box<Expr>,
        args: Vec<Arg>,
        at: bool,
    },
    /// `value.attr`
    Attribute(Box<Expr>, Name),
    /// `value[index]`
    Subscript(Box<Expr>, Box<Expr>),
    /// `lower:upper:step` inside a subscript.
    Slice(Option<Box<Expr>>, Option<Box<Expr>>, Option<Box<Expr>>),
    /// `*expr` inside a display or an assignment target.
    Starred(Box<Expr>),
    /// `(a, b)` or `a, b`
    Tuple(Vec<Expr>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{a, b}`
    Set(Vec<Expr>),
    /// `{k: v}`
    Dict(Vec<DictItem>),
    /// `[elt for ...]`
    ListComp(Box<Expr>, Vec<Comprehension>),
    /// `{elt for ...}`
    SetComp(Box<Expr>, Vec<Comprehension>),
    /// `{k: v for ...}`
    DictComp(Box<Expr>, Box<Expr>, Vec<Comprehension>),
    /// `(elt for ...)`
    GeneratorExp(Box<Expr>, Vec<Comprehension>),
    /// `yield` / `yield value`
    Yield(Option<Box<Expr>>),
    /// `yield from value`
    YieldFrom(Box<Expr>),
    /// `name := value`
    NamedExpr(Name, Box<Expr>),
}

/// One parameter of a `def` or `lambda`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Name,
    pub default: Option<Expr>,
    pub span: Span,
}

/// A parameter list: `a, b=1, /, c, *args, d, e=2, **kw`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Params {
    /// Positional parameters before `/` (positional-only) come first;
    /// [posonly_count] says how many of [positional] they are.
    pub positional: Vec<Param>,
    pub posonly_count: usize,
    /// `*args`
    pub vararg: Option<Param>,
    /// Keyword-only parameters after `*` or `*args`.
    pub kwonly: Vec<Param>,
    /// `**kwargs`
    pub kwarg: Option<Param>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExceptHandler {
    /// `except T` / `except (A, B)`; None for a bare `except:`.
    pub kind: Option<Expr>,
    /// `as name`
    pub name: Option<Name>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WithItem {
    pub context: Expr,
    pub target: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alias {
    /// Dotted name for `import a.b`, plain name for `from m import name`.
    pub name: Name,
    pub asname: Option<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    pub name: Name,
    pub params: Params,
    pub body: Vec<Stmt>,
    pub decorators: Vec<Expr>,
    /// True for `async def` is not supported; functions are plain.
    pub returns: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClassDef {
    pub name: Name,
    pub bases: Vec<Arg>,
    pub body: Vec<Stmt>,
    pub decorators: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect.
    Expr(Expr),
    /// `t1 = t2 = value`
    Assign(Vec<Expr>, Expr),
    /// `target op= value`
    AugAssign(Expr, BinOp, Expr),
    /// `target: annotation [= value]`
    AnnAssign(Expr, Expr, Option<Expr>),
    /// `def name(params): body`
    FunctionDef(Box<FunctionDef>),
    /// `class name(bases): body`
    ClassDef(Box<ClassDef>),
    /// `return [value]`
    Return(Option<Expr>),
    /// `if test: body else: orelse` (elif becomes a nested If in orelse)
    If(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `while test: body else: orelse`
    While(Expr, Vec<Stmt>, Vec<Stmt>),
    /// `for target in iter: body else: orelse`; [at] is true for `for@`.
    For {
        target: Expr,
        iter: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
        at: bool,
    },
    Break,
    Continue,
    Pass,
    /// `del a, b[i], c.d`
    Delete(Vec<Expr>),
    /// `assert test, msg`
    Assert(Expr, Option<Expr>),
    /// `try: body except...: else: finally:`
    Try {
        body: Vec<Stmt>,
        handlers: Vec<ExceptHandler>,
        orelse: Vec<Stmt>,
        finalbody: Vec<Stmt>,
    },
    /// `raise [exc [from cause]]`
    Raise(Option<Expr>, Option<Expr>),
    /// `with a as x, b: body`
    With(Vec<WithItem>, Vec<Stmt>),
    /// `import a.b as c, d`
    Import(Vec<Alias>),
    /// `from [.]module import names`; a single `*` alias for `import *`.
    /// [level] counts leading dots.
    ImportFrom {
        module: Option<Name>,
        names: Vec<Alias>,
        level: u32,
    },
    /// `global a, b`
    Global(Vec<Name>),
    /// `nonlocal a, b`
    Nonlocal(Vec<Name>),
    /// `sibling f@(args)`: the expression is always a Call with `at` set.
    Sibling(Expr),
}
