//! Rendering diagnostics with codespan-reporting, in the shape
//! `error[SyntaxError]: message`, `file:line:col`, the source line and a
//! caret under the span, plus secondary labels and notes.

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor::Buffer};

use crate::syntax::ast::Span;
use crate::syntax::SyntaxError;

/// Clamp a span into `source` on character boundaries, so a stale or
/// end-of-file span can never make the renderer panic.
fn clamp(source: &str, span: Span) -> std::ops::Range<usize> {
    let fix = |mut i: usize| {
        i = i.min(source.len());
        while !source.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = fix(span.start as usize);
    let end = fix(span.end as usize).max(start);
    start..end
}

/// Render one error. No ANSI colours unless `color` is true.
#[allow(clippy::too_many_arguments)]
pub fn render(
    file_name: &str,
    source: &str,
    title: &str,
    message: &str,
    span: Span,
    secondary: Option<(Span, &str)>,
    notes: &[String],
    color: bool,
) -> String {
    let file = SimpleFile::new(file_name, source);
    let mut labels = vec![Label::primary((), clamp(source, span))];
    if let Some((span, text)) = secondary {
        labels.push(Label::secondary((), clamp(source, span)).with_message(text));
    }
    let diagnostic = Diagnostic::error()
        .with_code(title)
        .with_message(message)
        .with_labels(labels)
        .with_notes(notes.to_vec());
    let mut buffer = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let config = term::Config::default();
    if term::emit(&mut buffer, &config, &file, &diagnostic).is_err() {
        // Only I/O into a memory buffer can fail here; fall back to a line.
        return format!("error[{title}]: {message}\n");
    }
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

/// Render a syntax error under its Python exception name.
pub fn render_syntax_error(
    file_name: &str,
    source: &str,
    err: &SyntaxError,
    color: bool,
) -> String {
    let secondary = err
        .label
        .as_ref()
        .map(|(span, text)| (*span, text.as_str()));
    render(
        file_name,
        source,
        err.type_name(),
        &err.message,
        err.span,
        secondary,
        &err.notes,
        color,
    )
}

/// 1-based (line, column in chars) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = clamp(source, Span::new(offset, offset)).start;
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    (line, source[line_start..offset].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    #[test]
    fn line_and_column() {
        let src = "ab\ncdé f\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 8), (2, 5));
        assert_eq!(line_col(src, 100), (3, 1));
    }

    #[test]
    fn renders_error_with_caret_label_and_note() {
        let src = "x = (1,\n     2]\n";
        let err = parse(src).unwrap_err();
        let text = render_syntax_error("t.con", src, &err, false);
        assert!(
            text.starts_with("error[SyntaxError]: closing parenthesis"),
            "{text}"
        );
        assert!(text.contains("t.con:2:7"), "{text}");
        assert!(text.contains('^'), "{text}");
        assert!(text.contains("opened here"), "{text}");
        assert!(!text.contains('\x1b'), "{text}");
        let colored = render_syntax_error("t.con", src, &err, true);
        assert!(colored.contains('\x1b'));
    }

    #[test]
    fn renders_zero_width_span_at_eof() {
        let src = "if x:";
        let err = parse(src).unwrap_err();
        let text = render_syntax_error("t.con", src, &err, false);
        assert!(
            text.starts_with("error[IndentationError]: expected an indented block"),
            "{text}"
        );
        let text = render(
            "t.con",
            src,
            "SyntaxError",
            "m",
            Span::new(50, 60),
            None,
            &["n".into()],
            false,
        );
        assert!(text.contains("= n"), "{text}");
    }
}
