//! TEMPORARY stub until the real front end is merged.
pub mod ast;
pub mod error;
pub use error::{SyntaxError, SyntaxErrorKind};
pub fn decode_source(bytes: &[u8]) -> Result<String, SyntaxError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| SyntaxError { kind: SyntaxErrorKind::Syntax, message: "invalid UTF-8".into(), span: ast::Span::default(), notes: vec![], label: None })
}
pub fn parse(_source: &str) -> Result<ast::Module, SyntaxError> {
    Err(SyntaxError { kind: SyntaxErrorKind::Syntax, message: "parser missing".into(), span: ast::Span::default(), notes: vec![], label: None })
}
pub fn parse_interactive(source: &str) -> Result<ast::Module, SyntaxError> { parse(source) }
