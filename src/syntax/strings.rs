//! String literals: finding where a literal ends, escape processing, and
//! splitting f-strings into literal pieces and replacement fields. The
//! field expressions are parsed with the real grammar via `parse_field`.

use super::ast::{FStringPart, Span};
use super::error::{SyntaxError, SyntaxErrorKind};
use super::token::StrLit;

/// Nested f-strings (and fields in format specs) deeper than this are
/// rejected, which bounds the recursion of scanning and parsing.
const MAX_FSTRING_DEPTH: u32 = 32;

/// The letters before the quote: `r`, `b`, `f`, `u` in any case and order.
#[derive(Clone, Copy, Default)]
struct Prefix {
    raw: bool,
    bytes: bool,
    fmt: bool,
}

impl Prefix {
    fn parse(text: &str) -> Option<Prefix> {
        let mut p = Prefix::default();
        for c in text.chars() {
            match c.to_ascii_lowercase() {
                'r' => p.raw = true,
                'b' => p.bytes = true,
                'f' => p.fmt = true,
                'u' if text.len() == 1 => {}
                _ => return None,
            }
        }
        (text.len() <= 2).then_some(p)
    }
}

/// Where a literal lives: the source, the opening `prefix"""` span, and
/// the f-string nesting depth.
struct Lit<'s> {
    src: &'s str,
    quote: u8,
    triple: bool,
    raw: bool,
    open: Span,
    depth: u32,
    interactive: bool,
}

/// Scan the literal whose prefix starts at `start` and whose quote is at
/// `quote_at`. Returns the end offset and the decoded literal.
pub fn scan_string(
    src: &str,
    start: usize,
    quote_at: usize,
    depth: u32,
    interactive: bool,
) -> Result<(usize, StrLit), SyntaxError> {
    let prefix = Prefix::parse(&src[start..quote_at]).unwrap_or_default();
    let b = src.as_bytes();
    let quote = b[quote_at];
    let triple = b.get(quote_at + 1) == Some(&quote) && b.get(quote_at + 2) == Some(&quote);
    let body = quote_at + if triple { 3 } else { 1 };
    let lit = Lit {
        src,
        quote,
        triple,
        raw: prefix.raw,
        open: Span::new(start, body),
        depth,
        interactive,
    };
    let qlen = if triple { 3 } else { 1 };
    if prefix.fmt {
        let (close, parts) = lit.fstring(body)?;
        return Ok((close + qlen, StrLit::FString(parts)));
    }
    let close = lit.find_close(body)?;
    let text = &src[body..close];
    let value = if prefix.bytes {
        if let Some((i, c)) = text.char_indices().find(|(_, c)| !c.is_ascii()) {
            let at = body + i;
            let msg = "bytes can only contain ASCII literal characters";
            return Err(SyntaxError::syntax(msg, Span::new(at, at + c.len_utf8())));
        }
        let decoded = decode(text, body, prefix.raw, true)?;
        StrLit::Bytes(decoded.chars().map(|c| c as u8).collect())
    } else {
        StrLit::Str(decode(text, body, prefix.raw, false)?)
    };
    Ok((close + qlen, value))
}

impl Lit<'_> {
    fn byte(&self, i: usize) -> Option<u8> {
        self.src.as_bytes().get(i).copied()
    }

    /// Whether the closing quote(s) start at `i`.
    fn closes_at(&self, i: usize) -> bool {
        self.byte(i) == Some(self.quote)
            && (!self.triple
                || (self.byte(i + 1) == Some(self.quote) && self.byte(i + 2) == Some(self.quote)))
    }

    /// The literal was not closed; `i` is where scanning gave up.
    fn unterminated(&self, i: usize) -> SyntaxError {
        let line = self.src[..i.min(self.src.len())].matches('\n').count() + 1;
        let eof = i >= self.src.len();
        let what = if self.triple {
            "triple-quoted string literal"
        } else {
            "string literal"
        };
        let kind = if eof && self.triple && self.interactive {
            SyntaxErrorKind::Incomplete
        } else {
            SyntaxErrorKind::Syntax
        };
        let msg = format!("unterminated {what} (detected at line {line})");
        let note = if eof {
            "reached end of file"
        } else {
            "reached end of line"
        };
        SyntaxError::new(kind, msg, self.open).with_note(note)
    }

    /// Offset of the closing quote of a plain (non-f) literal body.
    fn find_close(&self, mut i: usize) -> Result<usize, SyntaxError> {
        loop {
            match self.byte(i) {
                None => return Err(self.unterminated(i)),
                Some(b'\\') => {
                    i += if self.src[i..].starts_with("\\\r\n") {
                        3
                    } else {
                        2
                    }
                }
                Some(b'\n' | b'\r') if !self.triple => return Err(self.unterminated(i)),
                Some(_) if self.closes_at(i) => return Ok(i),
                Some(_) => i += 1,
            }
        }
    }

    fn too_deep(&self, at: usize) -> SyntaxError {
        SyntaxError::syntax(
            "f-string: expressions nested too deeply",
            Span::new(at, at + 1),
        )
    }

    /// Append the literal text `src[from..to]` (escapes decoded) to `parts`.
    fn flush(
        &self,
        parts: &mut Vec<FStringPart>,
        from: usize,
        to: usize,
    ) -> Result<(), SyntaxError> {
        if from >= to {
            return Ok(());
        }
        let text = decode(&self.src[from..to], from, self.raw, false)?;
        if let Some(FStringPart::Literal(last)) = parts.last_mut() {
            last.push_str(&text);
        } else {
            parts.push(FStringPart::Literal(text));
        }
        Ok(())
    }

    /// `f"text {field} {{ }}"`: returns the offset of the closing quote.
    fn fstring(&self, mut i: usize) -> Result<(usize, Vec<FStringPart>), SyntaxError> {
        if self.depth > MAX_FSTRING_DEPTH {
            return Err(self.too_deep(self.open.start as usize));
        }
        let mut parts = Vec::new();
        let mut lit_start = i;
        loop {
            match self.byte(i) {
                None => return Err(self.unterminated(i)),
                Some(b'\\') => i = self.skip_escape(i),
                Some(b'\n' | b'\r') if !self.triple => return Err(self.unterminated(i)),
                Some(_) if self.closes_at(i) => {
                    self.flush(&mut parts, lit_start, i)?;
                    return Ok((i, parts));
                }
                // `{{` and `}}` stand for one brace: keep the first of the two.
                Some(b'{') if self.byte(i + 1) == Some(b'{') => {
                    self.flush(&mut parts, lit_start, i + 1)?;
                    i += 2;
                    lit_start = i;
                }
                Some(b'}') if self.byte(i + 1) == Some(b'}') => {
                    self.flush(&mut parts, lit_start, i + 1)?;
                    i += 2;
                    lit_start = i;
                }
                Some(b'{') => {
                    self.flush(&mut parts, lit_start, i)?;
                    let (next, field) = self.field(i)?;
                    parts.push(field);
                    i = next;
                    lit_start = i;
                }
                Some(b'}') => {
                    let msg = "f-string: single '}' is not allowed";
                    return Err(SyntaxError::syntax(msg, Span::new(i, i + 1)));
                }
                Some(_) => i += 1,
            }
        }
    }

    /// Skip `\x` in literal text; `\N{...}` as a whole so its braces are
    /// not taken for a field (decoding then reports it).
    fn skip_escape(&self, i: usize) -> usize {
        if !self.raw && self.src[i..].starts_with("\\N{") {
            if let Some(close) = self.src[i..].find('}') {
                return i + close + 1;
            }
        }
        i + 2
    }

    fn expecting_brace(&self, open: usize) -> SyntaxError {
        SyntaxError::syntax("f-string: expecting '}'", Span::new(open, open + 1))
    }

    /// One replacement field `{expr=!r:spec}` whose `{` is at `open`;
    /// returns the offset after its `}`.
    fn field(&self, open: usize) -> Result<(usize, FStringPart), SyntaxError> {
        let start = open + 1;
        let expr_end = self.field_expr_end(open)?;
        let mut i = expr_end;
        let mut self_doc = None;
        if self.byte(i) == Some(b'=') {
            i += 1;
            while matches!(self.byte(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                i += 1;
            }
            self_doc = Some(self.src[start..i].to_string());
        }
        let mut conversion = None;
        if self.byte(i) == Some(b'!') {
            let c = self.src[i + 1..].chars().next();
            match c {
                Some(c @ ('r' | 's' | 'a')) => conversion = Some(c),
                Some(c) if c != '}' && c != ':' && c != self.quote as char => {
                    let msg = format!(
                        "f-string: invalid conversion character '{c}': expected 's', 'r', or 'a'"
                    );
                    return Err(SyntaxError::syntax(
                        msg,
                        Span::new(i + 1, i + 1 + c.len_utf8()),
                    ));
                }
                _ => {
                    let msg = "f-string: missing conversion character";
                    return Err(SyntaxError::syntax(msg, Span::new(i, i + 1)));
                }
            }
            i += 2;
        }
        let mut spec = None;
        if self.byte(i) == Some(b':') {
            let (close, parts) = self.spec(open, i + 1)?;
            spec = Some(parts);
            i = close;
        }
        if self.byte(i) != Some(b'}') {
            return Err(self.expecting_brace(open));
        }
        if self.src[start..expr_end].trim().is_empty() {
            let msg = "f-string: empty expression not allowed";
            return Err(SyntaxError::syntax(msg, Span::new(open, i + 1)));
        }
        let expr = super::parse_field(self.src, start, expr_end, self.depth + 1)?;
        if conversion.is_none() && spec.is_none() && self_doc.is_some() {
            conversion = Some('r');
        }
        let part = FStringPart::Field {
            expr: Box::new(expr),
            conversion,
            spec,
            self_doc,
        };
        Ok((i + 1, part))
    }

    /// The end of the expression of the field opened at `open`: the first
    /// `}`, `!`, `:` or `=` outside brackets that is not part of an
    /// operator (`!=`, `==`, `<=`, `>=`). Nested strings are skipped.
    fn field_expr_end(&self, open: usize) -> Result<usize, SyntaxError> {
        let mut depth = 0usize;
        let mut i = open + 1;
        loop {
            let Some(c) = self.byte(i) else {
                return Err(self.expecting_brace(open));
            };
            let next = self.byte(i + 1);
            match c {
                // An unclosed nested literal means the field was never closed.
                b'\'' | b'"' => {
                    i = self.skip_nested(open + 1, i).map_err(|e| {
                        if e.message.starts_with("unterminated") {
                            self.expecting_brace(open)
                        } else {
                            e
                        }
                    })?
                }
                b'!' | b'=' | b'<' | b'>' if next == Some(b'=') => i += 2,
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    i += 1
                }
                b')' | b']' | b'}' if depth > 0 => {
                    depth -= 1;
                    i += 1
                }
                b')' | b']' => {
                    let msg = format!("f-string: unmatched '{}'", c as char);
                    return Err(SyntaxError::syntax(msg, Span::new(i, i + 1)));
                }
                b'}' | b'!' | b':' | b'=' if depth == 0 => return Ok(i),
                b'#' => {
                    let msg = "f-string expression part cannot include '#'";
                    return Err(SyntaxError::syntax(msg, Span::new(i, i + 1)));
                }
                b'\n' | b'\r' if !self.triple => return Err(self.expecting_brace(open)),
                _ => i += 1,
            }
        }
    }

    /// Skip a string literal nested in a field expression (quote at `q`);
    /// its prefix letters are the identifier characters just before it.
    fn skip_nested(&self, field_start: usize, q: usize) -> Result<usize, SyntaxError> {
        let b = self.src.as_bytes();
        let mut p = q;
        while p > field_start && b[p - 1].is_ascii_alphanumeric() {
            p -= 1;
        }
        if Prefix::parse(&self.src[p..q]).is_none() {
            p = q;
        }
        if self.depth + 1 > MAX_FSTRING_DEPTH {
            return Err(self.too_deep(q));
        }
        // Scanning (not parsing) the nested literal: its own fields are
        // parsed again when the field expression itself is parsed.
        let (end, _) = skip_string(self.src, p, q, self.depth + 1)?;
        Ok(end)
    }

    /// A format spec after `:` up to the field's closing `}` (whose offset
    /// is returned); it may contain nested fields.
    fn spec(&self, open: usize, mut i: usize) -> Result<(usize, Vec<FStringPart>), SyntaxError> {
        let mut parts = Vec::new();
        let mut lit_start = i;
        loop {
            match self.byte(i) {
                None => return Err(self.expecting_brace(open)),
                Some(b'{') => {
                    self.flush(&mut parts, lit_start, i)?;
                    let nested = Lit {
                        depth: self.depth + 1,
                        ..*self
                    };
                    if nested.depth > MAX_FSTRING_DEPTH {
                        return Err(self.too_deep(i));
                    }
                    let (next, field) = nested.field(i)?;
                    parts.push(field);
                    i = next;
                    lit_start = i;
                }
                Some(b'}') => {
                    self.flush(&mut parts, lit_start, i)?;
                    return Ok((i, parts));
                }
                Some(b'\\') if !self.raw => i += 2,
                Some(b'\n' | b'\r') if !self.triple => return Err(self.expecting_brace(open)),
                Some(_) if self.closes_at(i) => return Err(self.expecting_brace(open)),
                Some(_) => i += 1,
            }
        }
    }
}

/// Find the end of a literal without building it (used for literals nested
/// in f-string fields); f-string fields are matched by bracket counting.
fn skip_string(
    src: &str,
    start: usize,
    quote_at: usize,
    depth: u32,
) -> Result<(usize, ()), SyntaxError> {
    let prefix = Prefix::parse(&src[start..quote_at]).unwrap_or_default();
    let b = src.as_bytes();
    let quote = b[quote_at];
    let triple = b.get(quote_at + 1) == Some(&quote) && b.get(quote_at + 2) == Some(&quote);
    let body = quote_at + if triple { 3 } else { 1 };
    let lit = Lit {
        src,
        quote,
        triple,
        raw: prefix.raw,
        open: Span::new(start, body),
        depth,
        interactive: false,
    };
    let qlen = if triple { 3 } else { 1 };
    if !prefix.fmt {
        return Ok((lit.find_close(body)? + qlen, ()));
    }
    let mut i = body;
    loop {
        match lit.byte(i) {
            None => return Err(lit.unterminated(i)),
            Some(b'\\') => i = lit.skip_escape(i),
            Some(b'\n' | b'\r') if !triple => return Err(lit.unterminated(i)),
            Some(_) if lit.closes_at(i) => return Ok((i + qlen, ())),
            Some(b'{') if lit.byte(i + 1) == Some(b'{') => i += 2,
            Some(b'{') => {
                // Skip the field: count brackets, skip nested literals.
                let open = i;
                let mut level = 0usize;
                i += 1;
                loop {
                    match lit.byte(i) {
                        None => return Err(lit.expecting_brace(open)),
                        Some(b'\'' | b'"') => i = lit.skip_nested(open + 1, i)?,
                        Some(b'(' | b'[' | b'{') => {
                            level += 1;
                            i += 1
                        }
                        Some(b'}') if level == 0 => break,
                        Some(b')' | b']' | b'}') => {
                            level = level.saturating_sub(1);
                            i += 1
                        }
                        Some(_) => i += 1,
                    }
                }
                i += 1;
            }
            Some(_) => i += 1,
        }
    }
}

/// Decode the escapes of `text` (which starts at offset `base`) as Python
/// does; unknown escapes are kept literally. In bytes mode every result
/// char is below 256 and stands for one byte. Newlines are normalised.
fn decode(text: &str, base: usize, raw: bool, bytes: bool) -> Result<String, SyntaxError> {
    if !text.contains(['\\', '\r']) {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\r' {
            chars.next_if(|&(_, c)| c == '\n');
            out.push('\n');
            continue;
        }
        if c != '\\' || raw {
            out.push(c);
            if c == '\\' {
                // In a raw literal `\` still protects the next character.
                if let Some((_, next)) = chars.next() {
                    out.push(if next == '\r' { '\n' } else { next });
                }
            }
            continue;
        }
        let Some((j, e)) = chars.next() else {
            out.push('\\');
            break;
        };
        let err = |len: usize, msg: &str| {
            Err(SyntaxError::syntax(
                msg,
                Span::new(base + i, base + j + len),
            ))
        };
        match e {
            '\n' => {}
            '\r' => {
                chars.next_if(|&(_, c)| c == '\n');
            }
            '\\' | '\'' | '"' => out.push(e),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap();
                for _ in 0..2 {
                    match chars.peek().and_then(|&(_, d)| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                let v = if bytes { v & 0xff } else { v };
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            'x' | 'u' | 'U' if e == 'x' || !bytes => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let digits: String = text[j + 1..].chars().take(n).collect();
                if digits.len() != n || !digits.chars().all(|d| d.is_ascii_hexdigit()) {
                    let have = digits.chars().take_while(|d| d.is_ascii_hexdigit()).count();
                    return err(
                        1 + have,
                        &format!("truncated \\{e} escape: expected {n} hex digits"),
                    );
                }
                let v = u32::from_str_radix(&digits, 16).unwrap();
                match char::from_u32(v) {
                    Some(ch) => out.push(ch),
                    None => {
                        return err(
                            1 + n,
                            &format!("invalid \\{e} escape: no character U+{v:X}"),
                        )
                    }
                }
                for _ in 0..n {
                    chars.next();
                }
            }
            'N' if !bytes => {
                let rest = &text[j + 1..];
                let Some(name) = rest
                    .strip_prefix('{')
                    .and_then(|r| r.find('}').map(|end| &r[..end]))
                else {
                    return err(1, "malformed \\N character escape: expected \\N{NAME}");
                };
                match unicode_names2::character(name) {
                    Some(ch) if !name.is_empty() => out.push(ch),
                    _ => {
                        return err(
                            name.len() + 3,
                            &format!("unknown Unicode character name in \\N{{{name}}}"),
                        )
                    }
                }
                // Skip `{`, the name and `}`.
                for _ in 0..name.chars().count() + 2 {
                    chars.next();
                }
            }
            _ => {
                out.push('\\');
                out.push(e);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> StrLit {
        let q = s.find(['\'', '"']).unwrap();
        let (end, v) = scan_string(s, 0, q, 0, false).unwrap();
        assert_eq!(end, s.len(), "literal must end at end of {s:?}");
        v
    }

    fn err(s: &str) -> SyntaxError {
        let q = s.find(['\'', '"']).unwrap();
        let start = s[..q].rfind(' ').map_or(0, |i| i + 1);
        scan_string(s, start, q, 0, false).unwrap_err()
    }

    #[test]
    fn escapes() {
        assert_eq!(lit(r#""a\nb\t\\\'\"""#), StrLit::Str("a\nb\t\\'\"".into()));
        assert_eq!(
            lit(r#""\x41\101\u00e9\U0001F600""#),
            StrLit::Str("AAé😀".into())
        );
        assert_eq!(
            lit(r#""\a\b\f\v\r\0""#),
            StrLit::Str("\x07\x08\x0c\x0b\r\0".into())
        );
        assert_eq!(lit("\"a\\\nb\""), StrLit::Str("ab".into()));
        assert_eq!(lit(r#""\d\q""#), StrLit::Str("\\d\\q".into()));
        assert_eq!(lit(r#"r"\n\"""#), StrLit::Str("\\n\\\"".into()));
        assert_eq!(lit("'''a\r\nb'''"), StrLit::Str("a\nb".into()));
        assert_eq!(
            lit(r#"b"\xff\u0041""#),
            StrLit::Bytes(b"\xff\\u0041".to_vec())
        );
        assert_eq!(lit(r#"Rb'\x'"#), StrLit::Bytes(b"\\x".to_vec()));
        assert_eq!(lit("u'x'"), StrLit::Str("x".into()));
    }

    #[test]
    fn string_errors() {
        assert_eq!(
            err(r#""\x4""#).message,
            "truncated \\x escape: expected 2 hex digits"
        );
        assert_eq!(
            err(r#""\N{NO SUCH NAME}""#).message,
            "unknown Unicode character name in \\N{NO SUCH NAME}"
        );
        assert!(err(r#""\N""#).message.contains("malformed"));
        assert_eq!(
            err("b'é'").message,
            "bytes can only contain ASCII literal characters"
        );
        let e = err("'abc\n'");
        assert_eq!(
            e.message,
            "unterminated string literal (detected at line 1)"
        );
        assert_eq!(e.span, Span::new(0, 1));
        let e = err("x = '''abc");
        assert_eq!(e.span, Span::new(4, 7));
        assert_eq!(e.notes, vec!["reached end of file".to_string()]);
    }

    #[test]
    fn fstring_literal_pieces() {
        assert_eq!(
            lit("f'a{{b}}c'"),
            StrLit::FString(vec![FStringPart::Literal("a{b}c".into())])
        );
        assert_eq!(err("f'a}b'").message, "f-string: single '}' is not allowed");
        assert_eq!(
            err("f'{}'").message,
            "f-string: empty expression not allowed"
        );
        assert_eq!(err("f'{x'").message, "f-string: expecting '}'");
    }
}
