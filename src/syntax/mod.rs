//! The front end: source decoding, lexing, parsing and syntax errors.
//! `parse` turns a file into the AST of `ast.rs`; everything else here is
//! private machinery.

pub mod ast;
mod builder;
mod depth;
mod error;
mod lexer;
mod numbers;
mod strings;
#[cfg(test)]
mod tests_errors;
#[cfg(test)]
mod tests_lexer;
#[cfg(test)]
mod tests_parser;
mod token;

lalrpop_util::lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        unused_qualifications,
        unused_parens,
        dead_code
    )]
    grammar,
    "/con.rs"
);

pub use error::{SyntaxError, SyntaxErrorKind};

use ast::Span;
use builder::Top;
use lalrpop_util::ParseError;
use lexer::Lexer;
use token::Token;

/// Decode a source file: strips a UTF-8 BOM, rejects invalid UTF-8 and NUL
/// bytes. Error spans are byte offsets into `bytes` (BOM included).
pub fn decode_source(bytes: &[u8]) -> Result<String, SyntaxError> {
    let (body, skip) = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => (rest, 3),
        None => (bytes, 0),
    };
    let text = std::str::from_utf8(body).map_err(|e| {
        let at = skip + e.valid_up_to();
        let len = e.error_len().unwrap_or(1);
        SyntaxError::syntax("invalid UTF-8", Span::new(at, at + len))
    })?;
    if let Some(i) = text.find('\0') {
        let at = skip + i;
        return Err(SyntaxError::syntax(
            "source contains NUL byte",
            Span::new(at, at + 1),
        ));
    }
    Ok(text.to_string())
}

/// Parse a whole file.
pub fn parse(source: &str) -> Result<ast::Module, SyntaxError> {
    parse_module(source, false)
}

/// Parse one REPL input: like [parse], but an input that ends while a
/// block, bracket or triple-quoted string is still open gives
/// [SyntaxErrorKind::Incomplete]. A block counts as open until the input
/// ends with an empty line.
pub fn parse_interactive(source: &str) -> Result<ast::Module, SyntaxError> {
    parse_module(source, true)
}

fn parse_module(source: &str, interactive: bool) -> Result<ast::Module, SyntaxError> {
    let lexer = Lexer::new(source, interactive);
    match grammar::TopParser::new().parse(lexer) {
        Ok(Top::Module(module)) => match depth::check_module(&module) {
            Ok(()) => Ok(module),
            Err(e) => {
                // Dropping a very deep tree recurses once per level; leak it.
                std::mem::forget(module);
                Err(e)
            }
        },
        Ok(Top::Expr(_)) => unreachable!("a module lexer starts with StartModule"),
        Err(e) => Err(convert_error(e, interactive, false)),
    }
}

/// Parse the f-string field expression `src[start..end]`; spans are offsets
/// into `src`. `depth` counts the enclosing f-strings.
pub(crate) fn parse_field(
    src: &str,
    start: usize,
    end: usize,
    depth: u32,
) -> Result<ast::Expr, SyntaxError> {
    let lexer = Lexer::field(src, start, end, depth);
    match grammar::TopParser::new().parse(lexer) {
        Ok(Top::Expr(expr)) => Ok(expr),
        Ok(Top::Module(_)) => unreachable!("a field lexer starts with StartExpr"),
        Err(e) => Err(convert_error(e, false, true)),
    }
}

const AT_MESSAGE: &str = "'@' is not an operator in con: write f@(...) for a non-atomic call";

/// The one place LALRPOP's errors become Python-like messages, each with
/// the span of the offending token.
fn convert_error(
    err: ParseError<usize, Token, SyntaxError>,
    interactive: bool,
    field: bool,
) -> SyntaxError {
    use SyntaxErrorKind::*;
    let expects = |expected: &[String], what: &str| expected.iter().any(|e| e == what);
    match err {
        ParseError::User { error } => error,
        ParseError::InvalidToken { location } => {
            SyntaxError::syntax("invalid syntax", Span::new(location, location + 1))
        }
        ParseError::ExtraToken { token: (l, _, r) } => {
            SyntaxError::syntax("invalid syntax", Span::new(l, r))
        }
        ParseError::UnrecognizedEof { location, expected } => {
            let span = Span::new(location, location);
            if field {
                SyntaxError::syntax("f-string: invalid syntax", span)
            } else if interactive {
                SyntaxError::new(Incomplete, "unexpected end of file", span)
            } else if expects(&expected, "Indent") {
                SyntaxError::new(Indentation, "expected an indented block", span)
            } else if expects(&expected, "\"except\"") {
                SyntaxError::syntax("expected 'except' or 'finally' block", span)
            } else {
                SyntaxError::syntax("unexpected end of file", span)
            }
        }
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => {
            let span = Span::new(l, r);
            let (kind, msg) = match tok {
                Token::Indent => (Indentation, "unexpected indent"),
                Token::At => (Syntax, AT_MESSAGE),
                _ if expects(&expected, "Indent") => (Indentation, "expected an indented block"),
                _ if expects(&expected, "\"except\"") && !expects(&expected, "Newline") => {
                    (Syntax, "expected 'except' or 'finally' block")
                }
                Token::Newline if expects(&expected, "\":\"") => (Syntax, "expected ':'"),
                Token::Assign if expects(&expected, "\":\"") => (
                    Syntax,
                    "invalid syntax. Maybe you meant '==' or ':=' instead of '='?",
                ),
                Token::Dedent => (Indentation, "unexpected unindent"),
                _ if field => (Syntax, "f-string: invalid syntax"),
                _ => (Syntax, "invalid syntax"),
            };
            SyntaxError::new(kind, msg, span)
        }
    }
}
