//! Number literals, scanned by hand after logos has seen their first
//! character: Python's rules for underscores, leading zeros and the
//! "invalid decimal literal" check on what follows are simpler as code.

use super::ast::Span;
use super::error::SyntaxError;
use super::token::Token;

/// Keywords that may directly follow a number (`1if x else 2`, `0in s`);
/// Python accepts these, any other letter right after a number is an error.
const KEYWORDS_AFTER_NUMBER: &[&str] = &["and", "else", "for", "if", "in", "is", "not", "or"];

/// Scan the number literal starting at `start`; returns its end and token.
pub fn scan_number(src: &str, start: usize) -> Result<(usize, Token), SyntaxError> {
    let b = src.as_bytes();
    let err = |end: usize, msg: &str| Err(SyntaxError::syntax(msg, Span::new(start, end)));
    if b[start] == b'0' && start + 1 < b.len() {
        let (radix, name) = match b[start + 1] {
            b'x' | b'X' => (16, "hexadecimal"),
            b'o' | b'O' => (8, "octal"),
            b'b' | b'B' => (2, "binary"),
            _ => (0, ""),
        };
        if radix != 0 {
            // `0x_ff` is allowed: an underscore may follow the prefix.
            let (end, digits) = digits(b, start + 2, radix, true);
            let bad = format!("invalid {name} literal");
            if end < b.len() && (b[end] as char).is_ascii_digit() {
                let msg = format!("invalid digit '{}' in {name} literal", b[end] as char);
                return Err(SyntaxError::syntax(msg, Span::new(end, end + 1)));
            }
            if digits.is_empty() || (end < b.len() && b[end] == b'_') {
                return err((end + 1).min(b.len()), &bad);
            }
            check_follow(src, start, end, &bad)?;
            return Ok((end, int_token(&to_decimal(&digits, radix))));
        }
    }
    // Decimal integer part (empty for `.5`).
    let (mut end, int_digits) = digits(b, start, 10, false);
    let mut is_float = false;
    if end < b.len() && b[end] == b'.' {
        is_float = true;
        let (e, _) = digits(b, end + 1, 10, false);
        end = e;
    }
    // An exponent only counts if digits follow `e`, `e+` or `e-`.
    if end < b.len() && (b[end] == b'e' || b[end] == b'E') {
        let mut p = end + 1;
        if p < b.len() && (b[p] == b'+' || b[p] == b'-') {
            p += 1;
        }
        if p < b.len() && b[p].is_ascii_digit() {
            let (e, _) = digits(b, p, 10, false);
            end = e;
            is_float = true;
        }
    }
    if end < b.len() && b[end] == b'_' {
        return err(end + 1, "invalid decimal literal");
    }
    if end < b.len() && (b[end] == b'j' || b[end] == b'J') {
        return err(end + 1, "complex numbers are not supported");
    }
    check_follow(src, start, end, "invalid decimal literal")?;
    let text: String = src[start..end].chars().filter(|&c| c != '_').collect();
    if is_float {
        let value: f64 = text
            .parse()
            .map_err(|_| SyntaxError::syntax("invalid decimal literal", Span::new(start, end)))?;
        return Ok((end, Token::Float(value)));
    }
    if int_digits.len() > 1 && int_digits[0] == 0 && int_digits.iter().any(|&d| d != 0) {
        return err(
            end,
            "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
        );
    }
    Ok((end, int_token(&text)))
}

/// Digits of `radix` from `pos`, with single underscores between them
/// (and, if `lead_underscore`, one before the first). Stops before an
/// underscore not followed by a digit, so the caller can report it.
fn digits(b: &[u8], mut pos: usize, radix: u32, lead_underscore: bool) -> (usize, Vec<u8>) {
    let mut out = Vec::new();
    loop {
        let mut p = pos;
        if p < b.len() && b[p] == b'_' && (!out.is_empty() || lead_underscore) {
            p += 1;
        }
        match b.get(p).and_then(|&c| (c as char).to_digit(radix)) {
            Some(d) => {
                out.push(d as u8);
                pos = p + 1;
            }
            None => return (pos, out),
        }
    }
}

/// A letter or digit glued to a number (`12abc`, `0b12`) is an error,
/// except for the few keywords Python tolerates there.
fn check_follow(src: &str, start: usize, end: usize, msg: &str) -> Result<(), SyntaxError> {
    let rest = &src[end..];
    let Some(c) = rest.chars().next() else {
        return Ok(());
    };
    if !(c.is_alphanumeric() || c == '_') {
        return Ok(());
    }
    let word: &str = rest
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    if KEYWORDS_AFTER_NUMBER.contains(&word) {
        return Ok(());
    }
    let bad_end = end + c.len_utf8();
    Err(SyntaxError::syntax(msg, Span::new(start, bad_end)))
}

/// `Int` if the decimal digits fit in i64, else `BigInt`.
fn int_token(decimal: &str) -> Token {
    match decimal.parse::<i64>() {
        Ok(v) => Token::Int(v),
        Err(_) => {
            let trimmed = decimal.trim_start_matches('0');
            Token::BigInt(if trimmed.is_empty() {
                "0".into()
            } else {
                trimmed.into()
            })
        }
    }
}

/// Convert digits in `radix` to a decimal string. Works on base-10^9 limbs
/// (least significant first): for each digit, limbs = limbs * radix + digit.
pub fn to_decimal(digits: &[u8], radix: u32) -> String {
    const LIMB: u64 = 1_000_000_000;
    let mut limbs: Vec<u64> = vec![0];
    for &d in digits {
        let mut carry = d as u64;
        for limb in limbs.iter_mut() {
            let v = *limb * radix as u64 + carry;
            *limb = v % LIMB;
            carry = v / LIMB;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    let mut out = limbs.last().unwrap().to_string();
    for limb in limbs.iter().rev().skip(1) {
        out.push_str(&format!("{limb:09}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Result<Token, String> {
        scan_number(s, 0).map(|(_, t)| t).map_err(|e| e.message)
    }

    #[test]
    fn literals() {
        assert_eq!(num("0"), Ok(Token::Int(0)));
        assert_eq!(num("1_000"), Ok(Token::Int(1000)));
        assert_eq!(num("0x_ff"), Ok(Token::Int(255)));
        assert_eq!(num("0o17"), Ok(Token::Int(15)));
        assert_eq!(num("0b101"), Ok(Token::Int(5)));
        assert_eq!(num("00"), Ok(Token::Int(0)));
        assert_eq!(num("1."), Ok(Token::Float(1.0)));
        assert_eq!(num(".5"), Ok(Token::Float(0.5)));
        assert_eq!(num("1e10"), Ok(Token::Float(1e10)));
        assert_eq!(num("1_000.5"), Ok(Token::Float(1000.5)));
        assert_eq!(num("012.5"), Ok(Token::Float(12.5)));
        assert_eq!(num("1E-3"), Ok(Token::Float(0.001)));
        assert_eq!(num("1 if x"), Ok(Token::Int(1)));
        assert_eq!(num("1if x"), Ok(Token::Int(1)));
    }

    #[test]
    fn big_literals() {
        assert_eq!(
            num("9223372036854775808"),
            Ok(Token::BigInt("9223372036854775808".into()))
        );
        assert_eq!(
            num("0xffffffffffffffffffff"),
            Ok(Token::BigInt("1208925819614629174706175".into()))
        );
        assert_eq!(num("0b1".to_string().as_str()).unwrap(), Token::Int(1));
        assert_eq!(
            to_decimal(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 16),
            "17592186044416"
        );
    }

    #[test]
    fn bad_literals() {
        assert!(num("012").unwrap_err().starts_with("leading zeros"));
        assert_eq!(num("1__0"), Err("invalid decimal literal".into()));
        assert_eq!(num("1_"), Err("invalid decimal literal".into()));
        assert_eq!(num("12abc"), Err("invalid decimal literal".into()));
        assert_eq!(num("0x"), Err("invalid hexadecimal literal".into()));
        assert_eq!(
            num("0b12"),
            Err("invalid digit '2' in binary literal".into())
        );
        assert_eq!(num("0o8"), Err("invalid digit '8' in octal literal".into()));
        assert_eq!(num("1j"), Err("complex numbers are not supported".into()));
        assert_eq!(num("1.5J"), Err("complex numbers are not supported".into()));
    }
}
