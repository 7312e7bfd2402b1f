//! The layout wrapper around the logos lexer, in the style of
//! starlark-rust: it turns line structure into NEWLINE / INDENT / DEDENT
//! tokens (indent stack), joins lines inside brackets (bracket stack),
//! finishes strings and numbers, and queues tokens so a few decisions can
//! look ahead. Dedent and end-of-file tokens get zero-width spans at the
//! end of the last real token, so statement spans end at their last token.

use std::collections::VecDeque;

use logos::Logos;

use super::ast::Span;
use super::error::{SyntaxError, SyntaxErrorKind};
use super::numbers::scan_number;
use super::strings::scan_string;
use super::token::Token;

pub type Triple = (usize, Token, usize);
type Item = Result<Triple, SyntaxError>;

const MAX_BRACKETS: usize = 200;
const MAX_INDENT: usize = 100;
/// Most tokens allowed in one comma-free stretch of an expression. The
/// tree depth cannot exceed it, so a syntax error can never make the parser
/// drop a tree so deep that its recursive destructor overflows the stack.
/// Real limit checks happen on the finished tree (see `depth.rs`).
const MAX_SEGMENT: u32 = 3000;
pub const DEPTH_MESSAGE: &str = "expression too deeply nested (limit 400)";

pub struct Lexer<'s> {
    src: &'s str,
    raw: logos::Lexer<'s, Token>,
    pending: VecDeque<Item>,
    /// Indentation levels as (column with tabs to 8, column with tabs as 1);
    /// comparing both detects ambiguous tab use as Python does.
    indents: Vec<(usize, usize)>,
    /// Open brackets, innermost last, for joining lines and for errors.
    brackets: Vec<(char, Span)>,
    /// Per open bracket: (tokens since the last comma, most in any stretch).
    segments: Vec<(u32, u32)>,
    at_line_start: bool,
    line_has_tokens: bool,
    last_end: usize,
    prev_ends_primary: bool,
    prev_was_str: bool,
    last_was_with: bool,
    /// The previous token ended a statement (or none yet): `sibling` is a
    /// keyword only there, so `pkg.sibling` and `sibling = 1` still work.
    at_stmt_start: bool,
    finished: bool,
    interactive: bool,
    /// Lexing an f-string field: no layout, lines are joined.
    field: bool,
    fstring_depth: u32,
}

impl<'s> Lexer<'s> {
    /// A lexer for a whole file (or REPL input).
    pub fn new(src: &'s str, interactive: bool) -> Lexer<'s> {
        let mut raw = Token::lexer(src);
        if src.starts_with('\u{feff}') {
            raw.bump(3);
        }
        let start = raw.span().end;
        let mut lexer = Lexer::with(src, raw, interactive, false, 0);
        lexer
            .pending
            .push_back(Ok((start, Token::StartModule, start)));
        lexer
    }

    /// A lexer for the f-string field `src[start..end]`; spans stay offsets
    /// into the whole `src`.
    pub fn field(src: &'s str, start: usize, end: usize, depth: u32) -> Lexer<'s> {
        let mut raw = Token::lexer(&src[..end]);
        raw.bump(start);
        let mut lexer = Lexer::with(&src[..end], raw, false, true, depth);
        lexer
            .pending
            .push_back(Ok((start, Token::StartExpr, start)));
        lexer
    }

    fn with(
        src: &'s str,
        raw: logos::Lexer<'s, Token>,
        interactive: bool,
        field: bool,
        depth: u32,
    ) -> Self {
        Lexer {
            src,
            raw,
            pending: VecDeque::new(),
            indents: vec![(0, 0)],
            brackets: Vec::new(),
            segments: vec![(0, 0)],
            at_line_start: !field,
            line_has_tokens: false,
            last_end: 0,
            prev_ends_primary: false,
            prev_was_str: false,
            last_was_with: false,
            at_stmt_start: true,
            finished: false,
            interactive,
            field,
            fstring_depth: depth,
        }
    }

    fn fail(&mut self, err: SyntaxError) {
        self.pending.push_back(Err(err));
        self.finished = true;
    }

    fn incomplete_kind(&self) -> SyntaxErrorKind {
        if self.interactive {
            SyntaxErrorKind::Incomplete
        } else {
            SyntaxErrorKind::Syntax
        }
    }

    /// Lex until at least one more item is queued or the input is finished.
    fn produce(&mut self) {
        let before = self.pending.len();
        while !self.finished && self.pending.len() == before {
            if self.at_line_start {
                if let Err(e) = self.line_start() {
                    return self.fail(e);
                }
                if self.pending.len() != before {
                    return;
                }
            }
            let Some(result) = self.raw.next() else {
                return self.eof();
            };
            let span = self.raw.span();
            let outcome = match result {
                Err(()) => Err(self.bad_char(span.start)),
                Ok(Token::Newline) => {
                    self.newline();
                    Ok(())
                }
                Ok(tok) => self.token(tok, span.start, span.end),
            };
            if let Err(e) = outcome {
                return self.fail(e);
            }
        }
    }

    /// At the start of a physical line outside brackets: measure the
    /// indentation and emit INDENT / DEDENTs. Blank and comment-only lines
    /// are left alone (their NEWLINE is then ignored).
    fn line_start(&mut self) -> Result<(), SyntaxError> {
        let start = self.raw.span().end;
        let bytes = self.src.as_bytes();
        let (mut col, mut alt, mut i) = (0, 0, start);
        while i < bytes.len() {
            match bytes[i] {
                b' ' => (col, alt) = (col + 1, alt + 1),
                b'\t' => (col, alt) = ((col / 8 + 1) * 8, alt + 1),
                b'\x0c' => (col, alt) = (0, 0),
                _ => break,
            }
            i += 1;
        }
        if matches!(bytes.get(i), None | Some(b'#' | b'\n' | b'\r')) {
            return Ok(());
        }
        self.at_line_start = false;
        let ws = Span::new(start, i);
        let tab_error = || {
            let msg = "inconsistent use of tabs and spaces in indentation";
            SyntaxError::new(SyntaxErrorKind::Tab, msg, ws)
        };
        let (top, top_alt) = *self.indents.last().unwrap();
        if col == top {
            if alt != top_alt {
                return Err(tab_error());
            }
        } else if col > top {
            if alt <= top_alt {
                return Err(tab_error());
            }
            if self.indents.len() >= MAX_INDENT {
                let msg = "too many levels of indentation (limit 100)";
                return Err(SyntaxError::new(SyntaxErrorKind::Indentation, msg, ws));
            }
            self.indents.push((col, alt));
            self.pending.push_back(Ok((start, Token::Indent, i)));
        } else {
            while col < self.indents.last().unwrap().0 {
                self.indents.pop();
                self.pending
                    .push_back(Ok((self.last_end, Token::Dedent, self.last_end)));
            }
            let (top, top_alt) = *self.indents.last().unwrap();
            if col != top {
                let msg = "unindent does not match any outer indentation level";
                return Err(SyntaxError::new(SyntaxErrorKind::Indentation, msg, ws));
            }
            if alt != top_alt {
                return Err(tab_error());
            }
        }
        Ok(())
    }

    /// A physical newline: ends a logical line unless inside brackets.
    fn newline(&mut self) {
        if self.field || !self.brackets.is_empty() {
            return;
        }
        if self.line_has_tokens {
            self.pending
                .push_back(Ok((self.last_end, Token::Newline, self.last_end)));
            self.line_has_tokens = false;
            self.segments[0] = (0, 0);
            // A new statement: `@(` there is a decorator, not a call.
            self.prev_ends_primary = false;
            self.prev_was_str = false;
        }
        self.at_line_start = true;
    }

    /// Finish a raw token (strings, numbers, `@(`) and queue it.
    fn token(&mut self, tok: Token, start: usize, end: usize) -> Result<(), SyntaxError> {
        let (tok, end) = match tok {
            Token::StringStart => {
                let (stop, lit) = scan_string(
                    self.src,
                    start,
                    end - 1,
                    self.fstring_depth,
                    self.interactive,
                )?;
                self.raw.bump(stop - end);
                (Token::Str(lit), stop)
            }
            Token::NumberStart => {
                let (stop, tok) = scan_number(self.src, start)?;
                self.raw.bump(stop - end);
                (tok, stop)
            }
            // `@(` is a non-atomic call only right after a primary; at the
            // start of a statement it is a decorator `@` and a `(`.
            Token::AtLPar if !self.prev_ends_primary => {
                self.push(Token::At, start, start + 1)?;
                (Token::LPar, end)
            }
            tok => (tok, end),
        };
        self.push(tok, start, end)
    }

    /// Queue a finished token, tracking brackets and expression size.
    fn push(&mut self, tok: Token, start: usize, end: usize) -> Result<(), SyntaxError> {
        let span = Span::new(start, end);
        if let Some(open) = tok.opener() {
            if self.brackets.len() >= MAX_BRACKETS {
                let msg = "too many nested parentheses (limit 200)";
                return Err(SyntaxError::syntax(msg, span));
            }
            self.brackets.push((open, span));
            self.segments.push((0, 0));
        } else if let Some(close) = tok.closer() {
            let Some((open, open_span)) = self.brackets.pop() else {
                return Err(SyntaxError::syntax(format!("unmatched '{close}'"), span));
            };
            if !matches!((open, close), ('(', ')') | ('[', ']') | ('{', '}')) {
                let msg = format!(
                    "closing parenthesis '{close}' does not match opening parenthesis '{open}'"
                );
                return Err(SyntaxError::syntax(msg, span).with_label(open_span, "opened here"));
            }
            let (cur, most) = self.segments.pop().unwrap();
            self.segments.last_mut().unwrap().0 += cur.max(most) + 1;
        }
        let is_str = matches!(tok, Token::Str(_));
        let seg = self.segments.last_mut().unwrap();
        match tok {
            Token::Comma | Token::Semi => *seg = (0, seg.0.max(seg.1)),
            // Adjacent literals concatenate into one node.
            Token::Str(_) if self.prev_was_str => {}
            _ if tok.opener().is_some() => {}
            _ => seg.0 += 1,
        }
        if seg.0 > MAX_SEGMENT {
            return Err(SyntaxError::syntax(DEPTH_MESSAGE, span));
        }
        self.prev_was_str = is_str;
        self.prev_ends_primary = tok.ends_primary();
        self.line_has_tokens = true;
        self.last_end = end;
        self.pending.push_back(Ok((start, tok, end)));
        Ok(())
    }

    /// A character no token starts with.
    fn bad_char(&self, at: usize) -> SyntaxError {
        let c = self.src[at..].chars().next().unwrap_or(' ');
        let span = Span::new(at, at + c.len_utf8());
        if c == '\\' {
            if self.src[at + 1..].trim().is_empty() {
                let msg = "unexpected end of file after line continuation character";
                return SyntaxError::new(self.incomplete_kind(), msg, span);
            }
            let msg = "unexpected character after line continuation character";
            return SyntaxError::syntax(msg, span);
        }
        let msg = format!("invalid character '{c}' (U+{:04X})", c as u32);
        SyntaxError::syntax(msg, span)
    }

    /// End of input: unclosed brackets, the last NEWLINE, closing DEDENTs.
    fn eof(&mut self) {
        self.finished = true;
        let end = self.src.len();
        if let Some(&(open, span)) = self.brackets.last() {
            let msg = format!("'{open}' was never closed");
            let err = SyntaxError::new(self.incomplete_kind(), msg, span);
            self.pending.push_back(Err(err));
            return;
        }
        if self.field {
            return;
        }
        let last_line = self
            .src
            .trim_end_matches(['\n', '\r'])
            .rsplit('\n')
            .next()
            .unwrap_or("");
        if last_line.ends_with('\\') && !last_line.contains('#') && end > 0 {
            let msg = "unexpected end of file after line continuation character";
            let err = SyntaxError::new(self.incomplete_kind(), msg, Span::new(end, end));
            self.pending.push_back(Err(err));
            return;
        }
        // A REPL block ends with an empty line; before that, ask for more.
        if self.interactive && self.indents.len() > 1 && !ends_with_blank_line(self.src) {
            let err = SyntaxError::new(
                SyntaxErrorKind::Incomplete,
                "unexpected end of file",
                Span::new(end, end),
            );
            self.pending.push_back(Err(err));
            return;
        }
        let at = self.last_end;
        if self.line_has_tokens {
            self.pending.push_back(Ok((at, Token::Newline, at)));
        }
        for _ in 1..self.indents.len() {
            self.pending.push_back(Ok((at, Token::Dedent, at)));
        }
    }

    /// After `with`, a `(` whose matching `)` is followed by `:` opens the
    /// parenthesised item list `with (a as b, c):` rather than an expression.
    fn parenthesised_with_items(&mut self) -> bool {
        let mut depth = 1usize;
        let mut i = 0;
        loop {
            if i >= self.pending.len() {
                if self.finished {
                    return false;
                }
                self.produce();
                continue;
            }
            let Ok((_, tok, _)) = &self.pending[i] else {
                return false;
            };
            if depth == 0 {
                return matches!(tok, Token::Colon);
            }
            if tok.opener().is_some() {
                depth += 1;
            } else if tok.closer().is_some() {
                depth -= 1;
            }
            i += 1;
        }
    }
}

impl Lexer<'_> {
    /// Whether the next token is a name (the operand of `sibling`).
    fn next_is_name(&mut self) -> bool {
        if self.pending.is_empty() {
            self.produce();
        }
        matches!(self.pending.front(), Some(Ok((_, Token::Name(_), _))))
    }
}

/// Whether the input's last line is empty (ignoring spaces).
fn ends_with_blank_line(src: &str) -> bool {
    let trimmed = src.trim_end_matches([' ', '\t', '\r', '\x0c']);
    match trimmed.strip_suffix('\n') {
        Some(rest) => {
            let rest = rest.trim_end_matches([' ', '\t', '\r', '\x0c']);
            rest.is_empty() || rest.ends_with('\n')
        }
        None => trimmed.is_empty(),
    }
}

impl Iterator for Lexer<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if self.pending.is_empty() {
            self.produce();
        }
        let mut item = self.pending.pop_front()?;
        if self.last_was_with {
            if let Ok((start, Token::LPar, end)) = item {
                if self.parenthesised_with_items() {
                    item = Ok((start, Token::WithLPar, end));
                }
            }
        }
        self.last_was_with = matches!(item, Ok((_, Token::With, _)));
        if let Ok((start, Token::Sibling, end)) = item {
            if !self.at_stmt_start || !self.next_is_name() {
                item = Ok((
                    start,
                    Token::Name(crate::syntax::ast::Name::from("sibling")),
                    end,
                ));
            }
        }
        self.at_stmt_start = matches!(
            item,
            Ok((
                _,
                Token::Newline
                    | Token::Indent
                    | Token::Dedent
                    | Token::Semi
                    | Token::Colon
                    | Token::StartModule,
                _
            ))
        );
        Some(item)
    }
}
