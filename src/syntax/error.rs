//! Syntax errors: the one error type of the front end. Every error carries
//! a precise span so the CLI can underline the offending text.

use super::ast::Span;

/// Which Python exception a syntax error reports as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// A plain `SyntaxError`.
    Syntax,
    /// `IndentationError`: unexpected indent, missing block, bad unindent.
    Indentation,
    /// `TabError`: tabs and spaces mixed ambiguously.
    Tab,
    /// The input ended while a block, bracket or string was still open;
    /// only `parse_interactive` produces it, so a REPL can ask for more.
    Incomplete,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub message: String,
    pub span: Span,
    pub notes: Vec<String>,
    /// A secondary label, e.g. pointing at the opening bracket.
    pub label: Option<(Span, String)>,
}

impl SyntaxError {
    pub fn new(kind: SyntaxErrorKind, message: impl Into<String>, span: Span) -> SyntaxError {
        SyntaxError {
            kind,
            message: message.into(),
            span,
            notes: Vec::new(),
            label: None,
        }
    }

    /// A plain `SyntaxError` at `span`.
    pub fn syntax(message: impl Into<String>, span: Span) -> SyntaxError {
        SyntaxError::new(SyntaxErrorKind::Syntax, message, span)
    }

    pub fn with_note(mut self, note: impl Into<String>) -> SyntaxError {
        self.notes.push(note.into());
        self
    }

    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> SyntaxError {
        self.label = Some((span, text.into()));
        self
    }

    /// The Python exception name; an incomplete input is a `SyntaxError`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            SyntaxErrorKind::Syntax | SyntaxErrorKind::Incomplete => "SyntaxError",
            SyntaxErrorKind::Indentation => "IndentationError",
            SyntaxErrorKind::Tab => "TabError",
        }
    }
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.type_name(), self.message)
    }
}

impl std::error::Error for SyntaxError {}
