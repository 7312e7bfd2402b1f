//! The token type. `logos` recognises the raw tokens; the layout wrapper in
//! `lexer.rs` adds the synthetic ones (no pattern) and finishes strings and
//! numbers, whose rules are easier to write by hand than as regexes.

use super::ast::{FStringPart, Name};
use logos::Logos;

/// A string literal token after escape processing.
#[derive(Clone, Debug, PartialEq)]
pub enum StrLit {
    Str(String),
    Bytes(Vec<u8>),
    FString(Vec<FStringPart>),
}

#[derive(Logos, Clone, Debug, PartialEq)]
#[logos(skip r"[ \t\x0C]+")]
#[logos(skip r"#[^\r\n]*")]
#[logos(skip r"\\(\r\n|\n|\r)")]
pub enum Token {
    // ---- synthetic tokens, made by the layout wrapper ----
    /// First token of a whole file (selects the module start rule).
    StartModule,
    /// First token of an f-string field (selects the expression rule).
    StartExpr,
    Indent,
    Dedent,
    /// The `(` of `with (a as b, c):`, recognised by lookahead.
    WithLPar,
    Int(i64),
    BigInt(String),
    Float(f64),
    Str(StrLit),

    // ---- raw tokens finished by the wrapper ----
    /// A string prefix and opening quote: `'`, `rb"`, `f'`, ...
    #[regex(r#"([rRuUbBfF]|[rR][bBfF]|[bBfF][rR])?["']"#)]
    StringStart,
    /// The first character of a number: a digit, or `.` and a digit.
    #[regex(r"[0-9]|\.[0-9]")]
    NumberStart,

    #[regex(r"\r\n|\n|\r")]
    Newline,
    #[regex(r"[\p{XID_Start}_]\p{XID_Continue}*", |lex| Name::from(lex.slice()))]
    Name(Name),

    // ---- keywords ----
    #[token("False")]
    False,
    #[token("None")]
    None,
    #[token("True")]
    True,
    #[token("and")]
    And,
    #[token("as")]
    As,
    #[token("assert")]
    Assert,
    #[token("break")]
    Break,
    #[token("class")]
    Class,
    #[token("continue")]
    Continue,
    #[token("def")]
    Def,
    #[token("del")]
    Del,
    #[token("elif")]
    Elif,
    #[token("else")]
    Else,
    #[token("except")]
    Except,
    #[token("finally")]
    Finally,
    #[token("for")]
    For,
    /// `for@`: the non-atomic for loop.
    #[token("for@")]
    ForAt,
    #[token("from")]
    From,
    #[token("global")]
    Global,
    #[token("if")]
    If,
    #[token("import")]
    Import,
    #[token("in")]
    In,
    #[token("is")]
    Is,
    #[token("lambda")]
    Lambda,
    #[token("nonlocal")]
    Nonlocal,
    #[token("not")]
    Not,
    #[token("or")]
    Or,
    #[token("pass")]
    Pass,
    #[token("raise")]
    Raise,
    #[token("return")]
    Return,
    #[token("sibling")]
    Sibling,
    #[token("try")]
    Try,
    #[token("while")]
    While,
    #[token("with")]
    With,
    #[token("yield")]
    Yield,

    // ---- brackets ----
    #[token("(")]
    LPar,
    #[token(")")]
    RPar,
    #[token("[")]
    LSqb,
    #[token("]")]
    RSqb,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    /// `@(` right after a primary: a non-atomic call `f@(...)`.
    #[token("@(")]
    AtLPar,
    /// `@` of a decorator; anywhere else it is an error.
    #[token("@")]
    At,

    // ---- operators and delimiters ----
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(";")]
    Semi,
    #[token(".")]
    Dot,
    #[token("...")]
    Ellipsis,
    #[token("->")]
    Arrow,
    #[token(":=")]
    Walrus,
    #[token("=")]
    Assign,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("//")]
    DoubleSlash,
    #[token("%")]
    Percent,
    #[token("**")]
    DoubleStar,
    #[token("<<")]
    LShift,
    #[token(">>")]
    RShift,
    #[token("&")]
    Amper,
    #[token("|")]
    Vbar,
    #[token("^")]
    Circumflex,
    #[token("~")]
    Tilde,
    #[token("<")]
    Less,
    #[token(">")]
    Greater,
    #[token("<=")]
    LessEqual,
    #[token(">=")]
    GreaterEqual,
    #[token("==")]
    EqEqual,
    #[token("!=")]
    NotEqual,
    #[token("+=")]
    PlusEqual,
    #[token("-=")]
    MinusEqual,
    #[token("*=")]
    StarEqual,
    #[token("/=")]
    SlashEqual,
    #[token("//=")]
    DoubleSlashEqual,
    #[token("%=")]
    PercentEqual,
    #[token("**=")]
    DoubleStarEqual,
    #[token("<<=")]
    LShiftEqual,
    #[token(">>=")]
    RShiftEqual,
    #[token("&=")]
    AmperEqual,
    #[token("|=")]
    VbarEqual,
    #[token("^=")]
    CircumflexEqual,
}

impl Token {
    /// Whether this token can end a primary, so that a following `@(` is a
    /// non-atomic call rather than a decorator's `@` and a parenthesis.
    pub fn ends_primary(&self) -> bool {
        matches!(
            self,
            Token::Name(_)
                | Token::Int(_)
                | Token::BigInt(_)
                | Token::Float(_)
                | Token::Str(_)
                | Token::None
                | Token::True
                | Token::False
                | Token::Ellipsis
                | Token::RPar
                | Token::RSqb
                | Token::RBrace
        )
    }

    /// Whether this token opens a bracket, and which character it shows.
    pub fn opener(&self) -> Option<char> {
        match self {
            Token::LPar | Token::AtLPar | Token::WithLPar => Some('('),
            Token::LSqb => Some('['),
            Token::LBrace => Some('{'),
            _ => None,
        }
    }

    /// Whether this token closes a bracket, and which character it shows.
    pub fn closer(&self) -> Option<char> {
        match self {
            Token::RPar => Some(')'),
            Token::RSqb => Some(']'),
            Token::RBrace => Some('}'),
            _ => None,
        }
    }
}
