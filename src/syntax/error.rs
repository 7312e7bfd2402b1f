use super::ast::Span;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind { Syntax, Indentation, Tab, Incomplete }
#[derive(Debug, Clone)]
pub struct SyntaxError { pub kind: SyntaxErrorKind, pub message: String, pub span: Span, pub notes: Vec<String>, pub label: Option<(Span, String)> }
impl SyntaxError { pub fn type_name(&self) -> &'static str { match self.kind { SyntaxErrorKind::Indentation => "IndentationError", SyntaxErrorKind::Tab => "TabError", _ => "SyntaxError" } } }
