//! Lexer tests: layout tokens, brackets, continuation, CRLF, BOM, tabs and
//! f-string pieces.

use super::ast::{ExprKind, FStringPart, Span};
use super::lexer::Lexer;
use super::token::{StrLit, Token};
use super::{decode_source, SyntaxErrorKind};

/// The tokens of `src`, with layout tokens spelled out.
fn toks(src: &str) -> Vec<Token> {
    Lexer::new(src, false)
        .map(|t| t.unwrap().1)
        .filter(|t| *t != Token::StartModule)
        .collect()
}

fn names(src: &str) -> String {
    toks(src)
        .iter()
        .map(|t| match t {
            Token::Name(n) => n.to_string(),
            Token::Int(i) => i.to_string(),
            Token::Newline => "NL".into(),
            Token::Indent => "IN".into(),
            Token::Dedent => "DE".into(),
            Token::Str(_) => "STR".into(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn spans(src: &str) -> Vec<(usize, usize)> {
    Lexer::new(src, false)
        .map(|t| t.unwrap())
        .map(|(s, _, e)| (s, e))
        .skip(1)
        .collect()
}

#[test]
fn indent_dedent_sequences() {
    assert_eq!(names("a\n"), "a NL");
    assert_eq!(names("if x:\n  y\nz\n"), "If x Colon NL IN y NL DE z NL");
    assert_eq!(
        names("if x:\n  if y:\n    z\nw"),
        "If x Colon NL IN If y Colon NL IN z NL DE DE w NL"
    );
    assert_eq!(names("if x:\n  y"), "If x Colon NL IN y NL DE");
    // Blank lines and comment-only lines do not count.
    assert_eq!(names("a\n\n   # c\n\t\nb  # d\n"), "a NL b NL");
    assert_eq!(names(""), "");
    assert_eq!(names("# only\n\n"), "");
}

#[test]
fn layout_token_spans() {
    // NEWLINE and DEDENT are zero-width at the end of the last token.
    assert_eq!(
        spans("if x:\n  y\n"),
        vec![
            (0, 2),
            (3, 4),
            (4, 5),
            (5, 5),
            (6, 8),
            (8, 9),
            (9, 9),
            (9, 9)
        ]
    );
}

#[test]
fn brackets_join_lines() {
    assert_eq!(names("f(a,\n  b)\nc"), "f LPar a Comma b RPar NL c NL");
    assert_eq!(
        names("x = [\n1,\n    2]\n"),
        "x Assign LSqb 1 Comma 2 RSqb NL"
    );
}

#[test]
fn backslash_continuation() {
    assert_eq!(names("x = 1 + \\\n    2\ny"), "x Assign 1 Plus 2 NL y NL");
}

#[test]
fn crlf_and_no_final_newline() {
    assert_eq!(names("if x:\r\n  y\r\nz"), "If x Colon NL IN y NL DE z NL");
    assert_eq!(names("a\rb"), "a NL b NL");
}

#[test]
fn bom_is_skipped() {
    assert_eq!(names("\u{feff}a\n"), "a NL");
    assert_eq!(decode_source(b"\xef\xbb\xbfx = 1\n").unwrap(), "x = 1\n");
}

#[test]
fn tabs() {
    // A tab indents to column 8: consistent use of tabs alone is fine.
    assert_eq!(names("if x:\n\ty\n\tz\n"), "If x Colon NL IN y NL z NL DE");
    let err = Lexer::new("if x:\n        y\n\tz\n", false)
        .find_map(|t| t.err())
        .unwrap();
    assert_eq!(err.kind, SyntaxErrorKind::Tab);
    assert_eq!(
        err.message,
        "inconsistent use of tabs and spaces in indentation"
    );
    assert_eq!(err.span, Span::new(16, 17));
}

#[test]
fn keywords_and_identifiers() {
    assert_eq!(
        names("for@ x in y: print(match, type, await)"),
        "ForAt x In y Colon print LPar match Comma type Comma await RPar NL"
    );
    assert_eq!(names("sibling f@(x)"), "Sibling f AtLPar x RPar NL");
    assert_eq!(
        names("@(dec)\ndef f(): pass"),
        "At LPar dec RPar NL Def f LPar RPar Colon Pass NL"
    );
    assert_eq!(names("héllo = ñ"), "héllo Assign ñ NL");
}

#[test]
fn with_parenthesised_items() {
    assert_eq!(
        names("with (a, b):\n pass"),
        "With WithLPar a Comma b RPar Colon NL IN Pass NL DE"
    );
    assert_eq!(
        names("with (a) as b: pass"),
        "With LPar a RPar As b Colon Pass NL"
    );
}

#[test]
fn string_tokens() {
    let t = toks("'a' b\"\\x00\" rb'\\n' f'x{y!r:>{w}}'");
    assert_eq!(t[0], Token::Str(StrLit::Str("a".into())));
    assert_eq!(t[1], Token::Str(StrLit::Bytes(vec![0])));
    assert_eq!(t[2], Token::Str(StrLit::Bytes(b"\\n".to_vec())));
    let Token::Str(StrLit::FString(parts)) = &t[3] else {
        panic!("{:?}", t[3])
    };
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0], FStringPart::Literal("x".into()));
    let FStringPart::Field {
        expr,
        conversion,
        spec,
        self_doc,
    } = &parts[1]
    else {
        panic!()
    };
    assert_eq!(expr.node, ExprKind::Name("y".into()));
    assert_eq!(expr.span, Span::new(23, 24));
    assert_eq!(*conversion, Some('r'));
    assert!(self_doc.is_none());
    let spec = spec.as_ref().unwrap();
    assert_eq!(spec[0], FStringPart::Literal(">".into()));
    assert!(matches!(&spec[1], FStringPart::Field { expr, .. } if expr.span == Span::new(29, 30)));
}

#[test]
fn fstring_self_doc_and_nesting() {
    let t = toks("f'{ x = }' f\"{d['k']}\" f'{f'{1}'}' f'''{\nx\n}'''");
    let field = |i: usize| match &t[i] {
        Token::Str(StrLit::FString(p)) => p[0].clone(),
        other => panic!("{other:?}"),
    };
    let FStringPart::Field {
        self_doc,
        conversion,
        ..
    } = field(0)
    else {
        panic!()
    };
    assert_eq!(self_doc.as_deref(), Some(" x = "));
    assert_eq!(conversion, Some('r'));
    let FStringPart::Field { expr, .. } = field(1) else {
        panic!()
    };
    assert!(matches!(expr.node, ExprKind::Subscript(..)));
    let FStringPart::Field { expr, .. } = field(2) else {
        panic!()
    };
    assert!(matches!(expr.node, ExprKind::FString(_)));
    let FStringPart::Field { expr, .. } = field(3) else {
        panic!()
    };
    assert_eq!(expr.node, ExprKind::Name("x".into()));
}

#[test]
fn numbers() {
    assert_eq!(
        toks("1 0x10 1.5 99999999999999999999"),
        vec![
            Token::Int(1),
            Token::Int(16),
            Token::Float(1.5),
            Token::BigInt("99999999999999999999".into()),
            Token::Newline
        ]
    );
    assert_eq!(names("x.y"), "x Dot y NL");
    assert_eq!(toks("x[.5]")[2], Token::Float(0.5));
}
