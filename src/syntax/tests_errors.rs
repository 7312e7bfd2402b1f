//! One test per syntax error: kind, message and span.

use super::ast::Span;
use super::{decode_source, parse, parse_interactive, SyntaxError, SyntaxErrorKind};
use SyntaxErrorKind::*;

fn fail(src: &str) -> SyntaxError {
    match parse(src) {
        Ok(m) => panic!("{src:?} parsed: {m:?}"),
        Err(e) => e,
    }
}

fn check(src: &str, kind: SyntaxErrorKind, msg: &str, span: (usize, usize)) {
    let e = fail(src);
    assert_eq!(
        (e.kind, e.message.as_str(), e.span),
        (kind, msg, Span::new(span.0, span.1)),
        "{src:?}"
    );
}

fn interactive(src: &str) -> Result<(), SyntaxError> {
    parse_interactive(src).map(|_| ())
}

#[test]
fn indentation_errors() {
    check(
        "if x:\n        y\n\tz\n",
        Tab,
        "inconsistent use of tabs and spaces in indentation",
        (16, 17),
    );
    check("x\n  y\n", Indentation, "unexpected indent", (2, 4));
    check("  x\n", Indentation, "unexpected indent", (0, 2));
    check(
        "if x:\ny\n",
        Indentation,
        "expected an indented block",
        (6, 7),
    );
    check("if x:", Indentation, "expected an indented block", (5, 5));
    check(
        "if x:\n    y\n  z\n",
        Indentation,
        "unindent does not match any outer indentation level",
        (12, 14),
    );
}

#[test]
fn unterminated_strings() {
    let e = fail("x = 'abc\ny = 1\n");
    assert_eq!((e.kind, e.span), (Syntax, Span::new(4, 5)));
    assert_eq!(
        e.message,
        "unterminated string literal (detected at line 1)"
    );
    let e = fail("x = rb'''abc\n\n");
    assert_eq!((e.kind, e.span), (Syntax, Span::new(4, 9)));
    assert_eq!(
        e.message,
        "unterminated triple-quoted string literal (detected at line 3)"
    );
    assert_eq!(e.notes, ["reached end of file"]);
    assert_eq!(interactive("x = '''abc\n").unwrap_err().kind, Incomplete);
}

#[test]
fn bracket_errors() {
    check("x = (1,\n2\n", Syntax, "'(' was never closed", (4, 5));
    assert_eq!(interactive("f(1,\n").unwrap_err().kind, Incomplete);
    check("x = 1)\n", Syntax, "unmatched ')'", (5, 6));
    let e = fail("x = (1]\n");
    assert_eq!(
        e.message,
        "closing parenthesis ']' does not match opening parenthesis '('"
    );
    assert_eq!(e.span, Span::new(6, 7));
    assert_eq!(e.label.as_ref().unwrap().0, Span::new(4, 5));
    let deep = format!("x = {}1{}", "[".repeat(201), "]".repeat(201));
    check(
        &deep,
        Syntax,
        "too many nested parentheses (limit 200)",
        (204, 205),
    );
    let ok = format!("x = {}1{}", "[".repeat(200), "]".repeat(200));
    assert!(parse(&ok).is_ok());
    let e = fail(&"(".repeat(100_000));
    assert_eq!(e.message, "too many nested parentheses (limit 200)");
}

#[test]
fn indentation_limit() {
    let mut src = String::new();
    for i in 0..1000 {
        src.push_str(&" ".repeat(i));
        src.push_str("if x:\n");
    }
    src.push_str(&" ".repeat(1000));
    src.push_str("pass\n");
    let e = fail(&src);
    assert_eq!(
        (e.kind, e.message.as_str()),
        (Indentation, "too many levels of indentation (limit 100)")
    );
    // As CPython: 99 nested blocks parse, 100 do not.
    let ok: String = (0..99)
        .map(|i| format!("{}if x:\n", " ".repeat(i)))
        .collect::<String>()
        + &" ".repeat(99)
        + "pass\n";
    assert!(parse(&ok).is_ok());
}

#[test]
fn deep_trees_fail_cleanly() {
    let msg = "expression too deeply nested (limit 400)";
    assert_eq!(fail(&format!("{}1", "-".repeat(100_000))).message, msg);
    assert_eq!(fail(&format!("{}x", "not ".repeat(100_000))).message, msg);
    let sum = format!("x = 1{}\n", "+1".repeat(1_000_000));
    let start = std::time::Instant::now();
    assert_eq!(fail(&sum).message, msg);
    assert!(start.elapsed().as_secs() < 5);
    // Under the token bound the tree check finds the offending node.
    let e = fail(&format!("x = {}1", "-".repeat(401)));
    assert_eq!((e.message.as_str(), e.span), (msg, Span::new(404, 406)));
    assert!(parse(&format!("x = {}1", "-".repeat(399))).is_ok());
    // A syntax error after a deep (but bounded) tree drops it safely.
    assert_eq!(
        fail(&format!("x = 1{} $", "+1".repeat(1400))).message,
        "invalid character '$' (U+0024)"
    );
}

#[test]
fn unexpected_tokens() {
    check("x = = 1\n", Syntax, "invalid syntax", (4, 5));
    check("if x\n  pass\n", Syntax, "expected ':'", (4, 4));
    check("def f()\n", Syntax, "expected ':'", (7, 7));
    check(
        "if x = 1: pass",
        Syntax,
        "invalid syntax. Maybe you meant '==' or ':=' instead of '='?",
        (5, 6),
    );
    check("@dec\n", Syntax, "unexpected end of file", (4, 4));
    check(
        "try:\n  x\ny\n",
        Syntax,
        "expected 'except' or 'finally' block",
        (9, 10),
    );
    assert_eq!(interactive("@dec\n").unwrap_err().kind, Incomplete);
    assert_eq!(interactive("if x:\n").unwrap_err().kind, Incomplete);
    assert_eq!(interactive("if x:\n  pass\n").unwrap_err().kind, Incomplete);
    assert_eq!(interactive("x = 1 + \\\n").unwrap_err().kind, Incomplete);
    assert!(interactive("if x:\n  pass\n\n").is_ok());
    assert!(interactive("x = 1\n").is_ok());
    assert_eq!(interactive("x = 1 +\n").unwrap_err().kind, Syntax);
    check(
        "f(**k, *a)",
        Syntax,
        "iterable argument unpacking follows keyword argument unpacking",
        (7, 9),
    );
    check(
        "x = 1 \\ 2",
        Syntax,
        "unexpected character after line continuation character",
        (6, 7),
    );
}

#[test]
fn call_argument_order() {
    check(
        "f(a=1, b)",
        Syntax,
        "positional argument follows keyword argument",
        (7, 8),
    );
    check(
        "f(**k, b)",
        Syntax,
        "positional argument follows keyword argument unpacking",
        (7, 8),
    );
    check(
        "f(a=1, a=2)",
        Syntax,
        "keyword argument repeated: a",
        (7, 10),
    );
}

#[test]
fn parameter_errors() {
    check(
        "def f(a=1, b): pass",
        Syntax,
        "parameter without a default follows parameter with a default",
        (11, 12),
    );
    check(
        "def f(*): pass",
        Syntax,
        "named arguments must follow bare *",
        (6, 7),
    );
    check(
        "def f(a, a): pass",
        Syntax,
        "duplicate argument 'a' in function definition",
        (9, 10),
    );
    check(
        "def f(**k, a): pass",
        Syntax,
        "arguments cannot follow var-keyword argument",
        (11, 12),
    );
    check(
        "def f(/): pass",
        Syntax,
        "at least one argument must precede /",
        (6, 7),
    );
}

#[test]
fn lexical_errors() {
    check("x = $\n", Syntax, "invalid character '$' (U+0024)", (4, 5));
    check(
        "x = a € b",
        Syntax,
        "invalid character '€' (U+20AC)",
        (6, 9),
    );
    check("x = 012\n", Syntax, "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers", (4, 7));
    check(
        "x = 1j\n",
        Syntax,
        "complex numbers are not supported",
        (4, 6),
    );
    check(
        "x = 0b102",
        Syntax,
        "invalid digit '2' in binary literal",
        (8, 9),
    );
    check("x = 12ab", Syntax, "invalid decimal literal", (4, 7));
    check(
        "x = b'é'",
        Syntax,
        "bytes can only contain ASCII literal characters",
        (6, 8),
    );
    check(
        "x = 'a' b'b'",
        Syntax,
        "cannot mix bytes and nonbytes literals",
        (8, 12),
    );
    check(
        "x = '\\x1'",
        Syntax,
        "truncated \\x escape: expected 2 hex digits",
        (5, 8),
    );
    check(
        "x = f'{a!z}'",
        Syntax,
        "f-string: invalid conversion character 'z': expected 's', 'r', or 'a'",
        (9, 10),
    );
}

#[test]
fn con_specific_errors() {
    check(
        "x @ y",
        Syntax,
        "'@' is not an operator in con: write f@(...) for a non-atomic call",
        (2, 3),
    );
    check(
        "x = a @b",
        Syntax,
        "'@' is not an operator in con: write f@(...) for a non-atomic call",
        (6, 7),
    );
    check(
        "sibling f(x)",
        Syntax,
        "sibling needs a non-atomic call: write sibling f@(...)",
        (8, 12),
    );
    check(
        "sibling x",
        Syntax,
        "sibling needs a non-atomic call: write sibling f@(...)",
        (8, 9),
    );
}

#[test]
fn decoding() {
    let e = decode_source(b"x = 1\n\xff\n").unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.span),
        ("invalid UTF-8", Span::new(6, 7))
    );
    let e = decode_source(b"x\0").unwrap_err();
    assert_eq!(
        (e.message.as_str(), e.span),
        ("source contains NUL byte", Span::new(1, 2))
    );
    assert_eq!(e.type_name(), "SyntaxError");
}

#[test]
fn type_names() {
    assert_eq!(fail("  x").type_name(), "IndentationError");
    assert_eq!(fail("if x:\n        y\n\tz\n").type_name(), "TabError");
    assert_eq!(interactive("(").unwrap_err().type_name(), "SyntaxError");
}
