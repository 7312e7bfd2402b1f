//! con: a small interpreted concurrent scripting language with Python's
//! syntax. This crate is both the `con` command and an embeddable library.

pub mod alloc;
pub mod builtins;
pub mod bytecode;
pub mod compile;
pub mod diag;
pub mod runtime;
pub mod syntax;
pub mod vm;

use std::rc::Rc;

use bytecode::{Code, SourceFile};

/// A rendered compile-time diagnostic.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The Python exception name: SyntaxError, IndentationError, TabError.
    pub kind: &'static str,
    pub message: String,
    pub line: usize,
    /// True when the input ended inside an open block, bracket or string
    /// (the REPL asks for more).
    pub incomplete: bool,
    /// The codespan-rendered text.
    pub rendered: String,
}

/// Parses and compiles source text into a module code object.
pub fn compile_source(
    file_name: &str,
    text: String,
    interactive: bool,
) -> Result<Rc<Code>, Diagnostic> {
    let color = false;
    let parsed = if interactive {
        syntax::parse_interactive(&text)
    } else {
        syntax::parse(&text)
    };
    let module = match parsed {
        Ok(m) => m,
        Err(e) => {
            let rendered = diag::render_syntax_error(file_name, &text, &e, color);
            let line = diag::line_col(&text, e.span.start as usize).0;
            return Err(Diagnostic {
                kind: e.type_name(),
                message: e.message.clone(),
                line,
                incomplete: e.kind == syntax::SyntaxErrorKind::Incomplete,
                rendered,
            });
        }
    };
    let file = Rc::new(SourceFile {
        name: file_name.to_string(),
        text,
    });
    match compile::compile_module(&module, file.clone(), interactive) {
        Ok(code) => {
            // Deep trees are dropped on a big stack by the caller's thread;
            // nothing else to do here.
            Ok(code)
        }
        Err(errors) => {
            let e = &errors[0];
            let rendered = diag::render(
                file_name,
                &file.text,
                "SyntaxError",
                &e.message,
                e.span,
                None,
                &[],
                color,
            );
            Err(Diagnostic {
                kind: "SyntaxError",
                message: e.message.clone(),
                line: diag::line_col(&file.text, e.span.start as usize).0,
                incomplete: false,
                rendered,
            })
        }
    }
}
