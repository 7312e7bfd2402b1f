//! TEMPORARY stub.
use crate::syntax::ast::Span;
use crate::syntax::SyntaxError;
#[allow(clippy::too_many_arguments)]
pub fn render(file_name: &str, source: &str, title: &str, message: &str, span: Span, _secondary: Option<(Span, &str)>, _notes: &[String], _color: bool) -> String {
    let (l, c) = line_col(source, span.start as usize);
    format!("error[{title}]: {message}\n  --> {file_name}:{l}:{c}\n")
}
pub fn render_syntax_error(file_name: &str, source: &str, err: &SyntaxError, color: bool) -> String {
    render(file_name, source, err.type_name(), &err.message, err.span, None, &err.notes, color)
}
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let off = offset.min(source.len());
    let before = &source[..off];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|s| s.chars().count()).unwrap_or(0) + 1;
    (line, col)
}
