//! Number and string formatting with CPython 3.11 semantics: `repr(float)`,
//! the format-spec mini-language (`format()`, f-strings, `str.format`),
//! `%`-formatting and `str.format` field parsing. The structure follows
//! CPython's Python/formatter_unicode.c, Python/pystrtod.c,
//! Objects/unicodeobject.c (PyUnicode_Format) and
//! Objects/stringlib/unicode_format.h so that edge cases and error
//! messages match.

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};

use super::error::{Error, ExcType, Res};
use super::value::Value;

// ---------------------------------------------------------------------
// Float to decimal digits
// ---------------------------------------------------------------------

/// The digits of a finite, non-negative `x` as David Gay's dtoa gives
/// them: no leading or trailing zeros (just "0" for zero), and `decpt`,
/// the position of the decimal point (x = 0.DIGITS * 10**decpt).
/// Mode 0: shortest round-trip; mode 2: `nd` significant digits; mode 3:
/// `nd` digits after the point. Rust's `{:e}`/`{:.N}` formatting is
/// exact (correctly rounded, ties to even on exact ties), like dtoa.
fn dtoa(x: f64, mode: u8, nd: usize) -> (Vec<u8>, i64) {
    let (mut digits, decpt) = if mode == 3 {
        let s = format!("{:.*}", nd, x);
        let (ip, fp) = s.split_once('.').unwrap_or((&s, ""));
        let mut d: Vec<u8> = ip.bytes().chain(fp.bytes()).collect();
        let lead = d.iter().take_while(|&&b| b == b'0').count();
        if lead == d.len() {
            return (vec![b'0'], 1);
        }
        d.drain(..lead);
        (d, ip.len() as i64 - lead as i64)
    } else {
        let s = if mode == 0 {
            // Rust's shortest digits may break an exact tie upward where
            // dtoa takes the correctly rounded (half-even) candidate of the
            // same length; prefer that one whenever it round-trips too.
            let short = format!("{:e}", x);
            let n = short
                .split('e')
                .next()
                .map_or(1, |m| m.len() - m.contains('.') as usize);
            // (A tie needs 16+ digits, so shorter results are final.)
            if n >= 16 {
                let exact = format!("{:.*e}", n - 1, x);
                if exact != short && exact.parse::<f64>() == Ok(x) {
                    exact
                } else {
                    short
                }
            } else {
                short
            }
        } else {
            format!("{:.*e}", nd.max(1) - 1, x)
        };
        let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        (
            mant.bytes().filter(|b| *b != b'.').collect::<Vec<u8>>(),
            exp + 1,
        )
    };
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits == b"0" {
        return (digits, 1);
    }
    (digits, decpt)
}

/// PyOS_double_to_string / format_float_short: `code` is 'e', 'f', 'g' or
/// 'r' (repr). Returns (negative, text without sign).
fn float_short(
    x: f64,
    code: char,
    precision: usize,
    upper: bool,
    alt: bool,
    add_dot_0: bool,
    no_neg_zero: bool,
) -> (bool, String) {
    if x.is_nan() {
        // The sign of a nan is never shown.
        return (false, if upper { "NAN" } else { "nan" }.into());
    }
    let mut neg = x.is_sign_negative();
    if x.is_infinite() {
        return (neg, if upper { "INF" } else { "inf" }.into());
    }
    let mut precision = precision as i64;
    let (mode, nd) = match code {
        'e' => {
            precision += 1;
            (2, precision)
        }
        'f' => (3, precision),
        'g' => {
            // precision 0 makes no sense for 'g'; it means 1.
            if precision == 0 {
                precision = 1;
            }
            (2, precision)
        }
        _ => (0, 0),
    };
    let (digits, mut decpt) = dtoa(x.abs(), mode, nd as usize);
    if no_neg_zero && digits == b"0" {
        neg = false;
    }
    let ndig = digits.len() as i64;
    // Output the slice vdigits[vdigits_start..vdigits_end] of the digits
    // padded with infinitely many zeros on both sides.
    let mut vend = ndig;
    let mut use_exp = false;
    match code {
        'e' => {
            use_exp = true;
            vend = precision;
        }
        'f' => vend = decpt + precision,
        'g' => {
            if decpt <= -4 || decpt > if add_dot_0 { precision - 1 } else { precision } {
                use_exp = true;
            }
            if alt {
                vend = precision;
            }
        }
        _ => {
            if decpt <= -4 || decpt > 16 {
                use_exp = true;
            }
        }
    }
    let mut exp = 0;
    if use_exp {
        exp = decpt - 1;
        decpt = 1;
    }
    let vstart = if decpt <= 0 { decpt - 1 } else { 0 };
    vend = if !use_exp && add_dot_0 {
        vend.max(decpt + 1)
    } else {
        vend.max(decpt)
    };
    let ds = std::str::from_utf8(&digits).unwrap_or("0");
    let mut out = String::with_capacity((vend - vstart).max(0) as usize + 8);
    let zeros = |out: &mut String, n: i64| {
        for _ in 0..n.max(0) {
            out.push('0');
        }
    };
    if decpt <= 0 {
        zeros(&mut out, decpt - vstart);
        out.push('.');
        zeros(&mut out, -decpt);
    } else {
        zeros(&mut out, -vstart);
    }
    if 0 < decpt && decpt <= ndig {
        out.push_str(&ds[..decpt as usize]);
        out.push('.');
        out.push_str(&ds[decpt as usize..]);
    } else {
        out.push_str(ds);
    }
    if ndig < decpt {
        zeros(&mut out, decpt - ndig);
        out.push('.');
        zeros(&mut out, vend - decpt);
    } else {
        zeros(&mut out, vend - ndig);
    }
    if out.ends_with('.') && !alt {
        out.pop();
    }
    if use_exp {
        out.push(if upper { 'E' } else { 'e' });
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    }
    (neg, out)
}

/// `repr(x)` for a float: shortest round-trip digits, positional for
/// 1e-4 <= |x| < 1e16, always with a '.' or an exponent.
pub fn float_repr(x: f64) -> String {
    let (neg, s) = float_short(x, 'r', 0, false, false, true, false);
    if neg {
        format!("-{s}")
    } else {
        s
    }
}

// ---------------------------------------------------------------------
// The format-spec mini-language
// ---------------------------------------------------------------------

/// A parsed format spec. `fill` is already '0' when the '0' flag was
/// given without an explicit fill; `zero` records that flag so numbers can
/// default to '=' alignment (strings keep '<').
///
/// The 3.11 'z' flag (coerce negative zero) has no field of its own; it is
/// folded into `sign`: Some('z') = 'z' alone, and 'p', 'm', 's' = '+',
/// '-', ' ' followed by 'z'. Use [`FormatSpec::sign_z`] to read both.
#[derive(Clone, Debug, PartialEq)]
pub struct FormatSpec {
    pub fill: char,
    pub align: Option<char>,
    pub sign: Option<char>,
    pub alternate: bool,
    pub zero: bool,
    pub width: Option<usize>,
    pub grouping: Option<char>,
    pub precision: Option<usize>,
    pub ty: Option<char>,
}

impl FormatSpec {
    /// The sign option ('+', '-', ' ') and whether 'z' was given.
    pub fn sign_z(&self) -> (Option<char>, bool) {
        match self.sign {
            Some('z') => (None, true),
            Some('p') => (Some('+'), true),
            Some('m') => (Some('-'), true),
            Some('s') => (Some(' '), true),
            s => (s, false),
        }
    }
}

/// Reads a decimal integer at `c[*i..]`; returns how many digits were
/// consumed (format specs and field names share the overflow message).
fn spec_integer(c: &[char], i: &mut usize) -> Res<(usize, usize)> {
    let mut acc: usize = 0;
    let start = *i;
    while *i < c.len() {
        let Some(d) = c[*i].to_digit(10) else { break };
        acc = acc
            .checked_mul(10)
            .and_then(|a| a.checked_add(d as usize))
            .filter(|&a| a <= isize::MAX as usize)
            .ok_or_else(|| Error::value_error("Too many decimal digits in format string"))?;
        *i += 1;
    }
    Ok((acc, *i - start))
}

/// Parses `[[fill]align][sign][z][#][0][width][grouping][.precision][type]`.
pub fn parse_spec(spec: &str) -> Res<FormatSpec> {
    let mut fs = FormatSpec {
        fill: ' ',
        align: None,
        sign: None,
        alternate: false,
        zero: false,
        width: None,
        grouping: None,
        precision: None,
        ty: None,
    };
    if spec.is_empty() {
        return Ok(fs);
    }
    let c: Vec<char> = spec.chars().collect();
    let n = c.len();
    let is_align = |ch: char| matches!(ch, '<' | '>' | '=' | '^');
    let mut i = 0;
    let mut fill_given = false;
    if n >= 2 && is_align(c[1]) {
        fs.fill = c[0];
        fs.align = Some(c[1]);
        fill_given = true;
        i = 2;
    } else if n >= 1 && is_align(c[0]) {
        fs.align = Some(c[0]);
        i = 1;
    }
    if i < n && matches!(c[i], '+' | '-' | ' ') {
        fs.sign = Some(c[i]);
        i += 1;
    }
    if i < n && c[i] == 'z' {
        fs.sign = Some(match fs.sign {
            Some('+') => 'p',
            Some('-') => 'm',
            Some(' ') => 's',
            _ => 'z',
        });
        i += 1;
    }
    if i < n && c[i] == '#' {
        fs.alternate = true;
        i += 1;
    }
    // A leading '0' means zero padding unless a fill was given explicitly.
    if !fill_given && i < n && c[i] == '0' {
        fs.fill = '0';
        fs.zero = true;
        i += 1;
    }
    let (w, used) = spec_integer(&c, &mut i)?;
    if used > 0 {
        fs.width = Some(w);
    }
    let both = || Error::value_error("Cannot specify both ',' and '_'.");
    if i < n && c[i] == ',' {
        fs.grouping = Some(',');
        i += 1;
    }
    if i < n && c[i] == '_' {
        if fs.grouping.is_some() {
            return Err(both());
        }
        fs.grouping = Some('_');
        i += 1;
    }
    if i < n && c[i] == ',' && fs.grouping == Some('_') {
        return Err(both());
    }
    if i < n && c[i] == '.' {
        i += 1;
        let (p, used) = spec_integer(&c, &mut i)?;
        if used == 0 {
            return Err(Error::value_error("Format specifier missing precision"));
        }
        fs.precision = Some(p);
    }
    if n - i > 1 {
        // CPython adds "for object of type 'T'", which is not known here.
        return Err(Error::value_error(format!(
            "Invalid format specifier '{spec}'"
        )));
    }
    if n - i == 1 {
        fs.ty = Some(c[i]);
    }
    if let Some(g) = fs.grouping {
        match fs.ty {
            None | Some('d' | 'e' | 'f' | 'g' | 'E' | 'G' | '%' | 'F') => {}
            Some('b' | 'o' | 'x' | 'X') if g == '_' => {}
            Some(t) => return Err(cannot_group(g, t)),
        }
    }
    Ok(fs)
}

fn cannot_group(g: char, t: char) -> Error {
    if (t as u32) > 32 && (t as u32) < 128 {
        Error::value_error(format!("Cannot specify '{g}' with '{t}'."))
    } else {
        Error::value_error(format!("Cannot specify '{g}' with '\\x{:x}'.", t as u32))
    }
}

fn unknown_code(t: char, tyname: &str) -> Error {
    if (t as u32) > 32 && (t as u32) < 128 {
        Error::value_error(format!(
            "Unknown format code '{t}' for object of type '{tyname}'"
        ))
    } else {
        Error::value_error(format!(
            "Unknown format code '\\x{:x}' for object of type '{tyname}'",
            t as u32
        ))
    }
}

/// Inserts separators every `size` digits (right to left). When
/// `min_width` > 0 (zero padding with '=' alignment) the result is padded
/// with zeros, separators included, to at least that width, as CPython's
/// _PyUnicode_InsertThousandsGrouping does.
fn group_digits(digits: &str, sep: char, size: usize, mut min_width: i64) -> String {
    let d = digits.as_bytes();
    let mut remaining = d.len() as i64;
    let mut parts: Vec<String> = Vec::new();
    loop {
        let len = (size as i64).min(remaining.max(min_width).max(1));
        let n_zeros = (len - remaining).max(0);
        let n_chars = remaining.min(len).max(0);
        let mut part = "0".repeat(n_zeros as usize);
        let end = remaining as usize;
        part.push_str(&digits[end - n_chars as usize..end]);
        parts.push(part);
        remaining -= n_chars;
        min_width -= len;
        if remaining <= 0 && min_width <= 0 {
            break;
        }
        min_width -= 1;
    }
    parts.reverse();
    parts.join(&sep.to_string())
}

/// Lays out a number as
/// `<lpad><sign><prefix><spad><grouped digits><rest><rpad>` (CPython's
/// calc_number_widths + fill_number). `rest` is everything after the
/// leading integer digits (decimal point, fraction, exponent, '%', or
/// the character of 'c').
fn layout_number(
    neg: bool,
    spec: &FormatSpec,
    prefix: &str,
    digits: &str,
    rest: &str,
    group: Option<(char, usize)>,
) -> String {
    let sign = match (spec.sign_z().0, neg) {
        (_, true) => "-",
        (Some('+'), false) => "+",
        (Some(' '), false) => " ",
        _ => "",
    };
    let align = spec.align.unwrap_or(if spec.zero { '=' } else { '>' });
    let width = spec.width.map(|w| w as i64).unwrap_or(-1);
    let n_rest = rest.chars().count() as i64;
    let non_digit = sign.len() as i64 + prefix.len() as i64 + n_rest;
    let min_width = if spec.fill == '0' && align == '=' {
        width - non_digit
    } else {
        0
    };
    let grouped = match group {
        Some((sep, size)) if !digits.is_empty() => group_digits(digits, sep, size, min_width),
        _ => digits.to_string(),
    };
    let pad = (width - non_digit - grouped.len() as i64).max(0) as usize;
    let (l, s, r) = match align {
        '<' => (0, 0, pad),
        '^' => (pad / 2, 0, pad - pad / 2),
        '=' => (0, pad, 0),
        _ => (pad, 0, 0),
    };
    let fill = |n: usize| std::iter::repeat_n(spec.fill, n).collect::<String>();
    let mut out = String::with_capacity(grouped.len() + rest.len() + pad + 4);
    out.push_str(&fill(l));
    out.push_str(sign);
    out.push_str(prefix);
    out.push_str(&fill(s));
    out.push_str(&grouped);
    out.push_str(rest);
    out.push_str(&fill(r));
    out
}

fn int_to_f64(v: &BigInt) -> Res<f64> {
    match v.to_f64() {
        Some(f) if f.is_finite() => Ok(f),
        _ => Err(Error::overflow_error("int too large to convert to float")),
    }
}

/// `format(int, spec)`.
pub fn format_int(v: &BigInt, spec: &FormatSpec) -> Res<String> {
    let ty = spec.ty.unwrap_or('d');
    let radix = match ty {
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' => return format_float(int_to_f64(v)?, spec),
        'b' => 2,
        'o' => 8,
        'x' | 'X' => 16,
        'c' | 'd' | 'n' => 10,
        t => return Err(unknown_code(t, "int")),
    };
    if spec.precision.is_some() {
        return Err(Error::value_error(
            "Precision not allowed in integer format specifier",
        ));
    }
    let (sign, z) = spec.sign_z();
    if z {
        return Err(Error::value_error(
            "Negative zero coercion (z) not allowed in integer format specifier",
        ));
    }
    if ty == 'c' {
        if sign.is_some() {
            return Err(Error::value_error(
                "Sign not allowed with integer format specifier 'c'",
            ));
        }
        if spec.alternate {
            return Err(Error::value_error(
                "Alternate form (#) not allowed with integer format specifier 'c'",
            ));
        }
        let ch = int_to_char(v)?;
        return Ok(layout_number(false, spec, "", "", &ch.to_string(), None));
    }
    let mut digits = v.magnitude().to_str_radix(radix);
    if ty == 'X' {
        digits.make_ascii_uppercase();
    }
    let prefix = if spec.alternate {
        match ty {
            'b' => "0b",
            'o' => "0o",
            'x' => "0x",
            'X' => "0X",
            _ => "",
        }
    } else {
        ""
    };
    // PEP 515: '_' groups hex/octal/binary digits by four.
    let group = spec.grouping.map(|g| (g, if radix == 10 { 3 } else { 4 }));
    Ok(layout_number(
        v.is_negative(),
        spec,
        prefix,
        &digits,
        "",
        group,
    ))
}

/// The character for code point `v` ('c' conversions). Lone surrogates
/// cannot live in a Rust string and become U+FFFD.
fn int_to_char(v: &BigInt) -> Res<char> {
    let Some(x) = v.to_i64() else {
        return Err(Error::overflow_error(
            "Python int too large to convert to C long",
        ));
    };
    match Some(x) {
        Some(x) if (0..=0x10ffff).contains(&x) => {
            Ok(char::from_u32(x as u32).unwrap_or('\u{fffd}'))
        }
        _ => Err(Error::overflow_error("%c arg not in range(0x110000)")),
    }
}

/// `format(float, spec)`.
pub fn format_float(x: f64, spec: &FormatSpec) -> Res<String> {
    // No type: like repr, or with a precision like 'g' but always with a
    // digit after the point (and switching to exponent one digit sooner).
    let (code, upper, add_dot_0) = match spec.ty {
        None => ('r', false, true),
        Some('e') => ('e', false, false),
        Some('E') => ('e', true, false),
        Some('f' | '%') => ('f', false, false),
        Some('F') => ('f', true, false),
        Some('g' | 'n') => ('g', false, false),
        Some('G') => ('g', true, false),
        Some(t) => return Err(unknown_code(t, "float")),
    };
    let (code, prec) = match spec.precision {
        Some(p) if code == 'r' => ('g', p),
        Some(p) => (code, p),
        None if code == 'r' => ('r', 0),
        None => (code, 6),
    };
    let x = if spec.ty == Some('%') { x * 100.0 } else { x };
    let (neg, mut body) = float_short(
        x,
        code,
        prec,
        upper,
        spec.alternate,
        add_dot_0,
        spec.sign_z().1,
    );
    if spec.ty == Some('%') {
        body.push('%');
    }
    let nd = body.bytes().take_while(u8::is_ascii_digit).count();
    let (digits, rest) = body.split_at(nd);
    let group = spec.grouping.map(|g| (g, 3));
    Ok(layout_number(neg, spec, "", digits, rest, group))
}

/// `format(str, spec)`.
pub fn format_str(s: &str, spec: &FormatSpec) -> Res<String> {
    match spec.ty {
        None => {
            if let Some(g) = spec.grouping {
                return Err(cannot_group(g, 's'));
            }
        }
        Some('s') => {}
        Some(t) => return Err(unknown_code(t, "str")),
    }
    let (sign, z) = spec.sign_z();
    if sign == Some(' ') {
        return Err(Error::value_error(
            "Space not allowed in string format specifier",
        ));
    }
    if sign.is_some() {
        return Err(Error::value_error(
            "Sign not allowed in string format specifier",
        ));
    }
    if z {
        return Err(Error::value_error(
            "Negative zero coercion (z) not allowed in string format specifier",
        ));
    }
    if spec.alternate {
        return Err(Error::value_error(
            "Alternate form (#) not allowed in string format specifier",
        ));
    }
    if spec.align == Some('=') {
        return Err(Error::value_error(
            "'=' alignment not allowed in string format specifier",
        ));
    }
    let mut len = s.chars().count();
    let body = match spec.precision {
        Some(p) if p < len => {
            len = p;
            match s.char_indices().nth(p) {
                Some((b, _)) => &s[..b],
                None => s,
            }
        }
        _ => s,
    };
    let width = spec.width.unwrap_or(0);
    if width <= len {
        return Ok(body.to_string());
    }
    let pad = width - len;
    let (l, r) = match spec.align.unwrap_or('<') {
        '>' => (pad, 0),
        '^' => (pad / 2, pad - pad / 2),
        _ => (0, pad),
    };
    let mut out = String::with_capacity(body.len() + pad * spec.fill.len_utf8());
    out.extend(std::iter::repeat_n(spec.fill, l));
    out.push_str(body);
    out.extend(std::iter::repeat_n(spec.fill, r));
    Ok(out)
}

// ---------------------------------------------------------------------
// printf-style `%` formatting
// ---------------------------------------------------------------------

/// What the formatting routines need from the interpreter.
pub trait FormatHost {
    fn str_of(&mut self, v: &Value) -> Res<String>;
    fn repr_of(&mut self, v: &Value) -> Res<String>;
    fn ascii_of(&mut self, v: &Value) -> Res<String>;
    /// The integer for %d %i %u %o %x %X (`conv` names the conversion).
    fn int_of(&mut self, v: &Value, conv: char) -> Res<BigInt>;
    /// The float for %e %f %g.
    fn float_of(&mut self, v: &Value) -> Res<f64>;
    /// `format(v, spec)`.
    fn format_of(&mut self, v: &Value, spec: &str) -> Res<String>;
    fn getitem(&mut self, v: &Value, key: &Value) -> Res<Value>;
    fn getattr(&mut self, v: &Value, name: &str) -> Res<Value>;
}

/// The argument cursor of PyUnicode_Format: a tuple is consumed item by
/// item (`arglen` >= 0); any other value is one argument (`arglen` -1,
/// `argidx` -2 until used).
struct PctArgs {
    cur: Value,
    arglen: isize,
    argidx: isize,
}

impl PctArgs {
    fn new(v: Value) -> PctArgs {
        match &v {
            Value::Tuple(t) => {
                let n = t.items.len() as isize;
                PctArgs {
                    cur: v,
                    arglen: n,
                    argidx: 0,
                }
            }
            _ => PctArgs {
                cur: v,
                arglen: -1,
                argidx: -2,
            },
        }
    }
    fn next(&mut self) -> Res<Value> {
        if self.argidx < self.arglen {
            let i = self.argidx;
            self.argidx += 1;
            if self.arglen < 0 {
                return Ok(self.cur.clone());
            }
            if let Value::Tuple(t) = &self.cur {
                return Ok(t.items[i as usize].clone());
            }
        }
        Err(Error::type_error("not enough arguments for format string"))
    }
}

/// Whether CPython's PyMapping_Check would accept `v` as the `%` operand
/// (then `%(key)s` works and unused arguments are not an error).
fn pct_is_mapping(v: &Value) -> bool {
    matches!(
        v,
        Value::Dict(_)
            | Value::Instance(_)
            | Value::List(_)
            | Value::Bytes(_)
            | Value::ByteArray(_)
            | Value::Range(_)
    )
}

fn star_arg(v: &Value) -> Res<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        Value::BigInt(_) => Err(Error::overflow_error(
            "Python int too large to convert to C ssize_t",
        )),
        _ => Err(Error::type_error("* wants int")),
    }
}

const F_LJUST: u8 = 1;
const F_SIGN: u8 = 2;
const F_BLANK: u8 = 4;
const F_ALT: u8 = 8;
const F_ZERO: u8 = 16;

/// `_PyUnicode_FormatLong`: [-][0x]digits with `prec` as minimum digit
/// count; %X upper-cases everything including the prefix.
fn pct_long(v: &BigInt, alt: bool, prec: Option<usize>, conv: char) -> String {
    let (radix, prefix) = match conv {
        'o' => (8, "0o"),
        'x' => (16, "0x"),
        'X' => (16, "0X"),
        _ => (10, ""),
    };
    let mut digits = v.magnitude().to_str_radix(radix);
    if conv == 'X' {
        digits.make_ascii_uppercase();
    }
    let mut out = String::with_capacity(digits.len() + 4);
    if v.is_negative() {
        out.push('-');
    }
    if alt {
        out.push_str(prefix);
    }
    if let Some(p) = prec {
        for _ in digits.len()..p {
            out.push('0');
        }
    }
    out.push_str(&digits);
    out
}

/// %c reports any out-of-range value, however large, the same way.
fn code_point(v: &BigInt) -> Res<char> {
    match v.to_i64() {
        Some(_) => int_to_char(v),
        None => Err(Error::overflow_error("%c arg not in range(0x110000)")),
    }
}

/// The %c argument: a 1-character str or an integer code point.
fn pct_char(host: &mut dyn FormatHost, v: &Value) -> Res<char> {
    let wrong = || Error::type_error("%c requires int or char");
    match v {
        Value::Str(s) => {
            let mut it = s.s.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Ok(c),
                _ => Err(wrong()),
            }
        }
        Value::Int(i) => code_point(&BigInt::from(*i)),
        Value::Bool(b) => code_point(&BigInt::from(*b as i64)),
        Value::BigInt(b) => code_point(b),
        // Objects with __index__ are accepted; anything else is a TypeError.
        Value::Instance(_) => match host.int_of(v, 'c') {
            Ok(b) => code_point(&b),
            Err(e) if e.is_new(ExcType::TypeError) => Err(wrong()),
            Err(e) => Err(e),
        },
        _ => Err(wrong()),
    }
}

/// Pads one converted field (unicode_format_arg_output). `numeric` says
/// the sign handling and '0' flag apply.
fn pct_output(
    out: &mut String,
    s: &str,
    conv: char,
    flags: u8,
    width: Option<usize>,
    prec: Option<usize>,
    numeric: bool,
) {
    let chars: Vec<char> = s.chars().collect();
    let mut len = chars.len();
    if matches!(conv, 's' | 'r' | 'a') {
        if let Some(p) = prec {
            len = len.min(p);
        }
    }
    let mut pindex = 0;
    let mut signchar = None;
    let mut sign = numeric;
    // Zero padding applies to numeric conversions even without a sign.
    let fill = if numeric && flags & F_ZERO != 0 {
        '0'
    } else {
        ' '
    };
    if sign {
        match chars.first() {
            Some(&c @ ('-' | '+')) => {
                signchar = Some(c);
                len -= 1;
                pindex = 1;
            }
            _ if flags & F_SIGN != 0 => signchar = Some('+'),
            _ if flags & F_BLANK != 0 => signchar = Some(' '),
            _ => sign = false,
        }
    }
    let mut width = width.unwrap_or(0).max(len);
    if let (true, Some(c)) = (sign, signchar) {
        if fill != ' ' {
            out.push(c);
        }
        if width > len {
            width -= 1;
        }
    }
    let alt_prefix =
        flags & F_ALT != 0 && matches!(conv, 'x' | 'X' | 'o') && chars.len() >= pindex + 2;
    if alt_prefix {
        if fill != ' ' {
            out.extend(&chars[pindex..pindex + 2]);
            pindex += 2;
        }
        width = width.saturating_sub(2);
        len -= 2;
    }
    if width > len && flags & F_LJUST == 0 {
        out.extend(std::iter::repeat_n(fill, width - len));
        width = len;
    }
    if fill == ' ' {
        if let (true, Some(c)) = (sign, signchar) {
            out.push(c);
        }
        if alt_prefix {
            out.extend(&chars[pindex..pindex + 2]);
            pindex += 2;
        }
    }
    out.extend(&chars[pindex..pindex + len]);
    if width > len {
        out.extend(std::iter::repeat_n(' ', width - len));
    }
}

/// `fmt % args`.
pub fn percent_format(host: &mut dyn FormatHost, fmt: &str, args: &Value) -> Res<String> {
    let c: Vec<char> = fmt.chars().collect();
    let n = c.len();
    let dict = if pct_is_mapping(args) {
        Some(args.clone())
    } else {
        None
    };
    let mut a = PctArgs::new(args.clone());
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut i = 0;
    let incomplete = || Error::value_error("incomplete format");
    while i < n {
        if c[i] != '%' {
            let start = i;
            while i < n && c[i] != '%' {
                i += 1;
            }
            out.extend(&c[start..i]);
            continue;
        }
        i += 1;
        if i < n && c[i] == '%' {
            out.push('%');
            i += 1;
            continue;
        }
        if i < n && c[i] == '(' {
            let Some(d) = &dict else {
                return Err(Error::type_error("format requires a mapping"));
            };
            i += 1;
            let keystart = i;
            let mut depth = 1;
            while depth > 0 && i < n {
                match c[i] {
                    ')' => depth -= 1,
                    '(' => depth += 1,
                    _ => {}
                }
                i += 1;
            }
            if depth > 0 {
                return Err(Error::value_error("incomplete format key"));
            }
            let key: String = c[keystart..i - 1].iter().collect();
            let v = host.getitem(d, &Value::str(&key))?;
            a = PctArgs {
                cur: v,
                arglen: -1,
                argidx: -2,
            };
        }
        // Each "read the next char" below may run off the end, which is
        // reported once everything up to the conversion is parsed.
        let mut exhausted = false;
        let mut ch = '\0';
        let mut flags = 0u8;
        loop {
            if i >= n {
                exhausted = true;
                break;
            }
            ch = c[i];
            i += 1;
            match ch {
                '-' => flags |= F_LJUST,
                '+' => flags |= F_SIGN,
                ' ' => flags |= F_BLANK,
                '#' => flags |= F_ALT,
                '0' => flags |= F_ZERO,
                _ => break,
            }
        }
        let read = |i: &mut usize, ch: &mut char, exhausted: &mut bool| {
            if *i < n {
                *ch = c[*i];
                *i += 1;
                true
            } else {
                *exhausted = true;
                false
            }
        };
        let mut width: Option<usize> = None;
        if ch == '*' {
            let w = star_arg(&a.next()?)?;
            if w < 0 {
                flags |= F_LJUST;
            }
            width = Some(w.unsigned_abs() as usize);
            read(&mut i, &mut ch, &mut exhausted);
        } else if ch.is_ascii_digit() {
            let mut w = ch as usize - '0' as usize;
            while read(&mut i, &mut ch, &mut exhausted) && ch.is_ascii_digit() {
                w = w
                    .checked_mul(10)
                    .and_then(|w| w.checked_add(ch as usize - '0' as usize))
                    .filter(|&w| w <= isize::MAX as usize)
                    .ok_or_else(|| Error::value_error("width too big"))?;
            }
            width = Some(w);
        }
        let mut prec: Option<usize> = None;
        if ch == '.' {
            prec = Some(0);
            read(&mut i, &mut ch, &mut exhausted);
            if ch == '*' {
                let p = star_arg(&a.next()?)?;
                prec = Some(p.clamp(0, i32::MAX as i64) as usize);
                read(&mut i, &mut ch, &mut exhausted);
            } else if ch.is_ascii_digit() {
                let mut p = ch as usize - '0' as usize;
                while read(&mut i, &mut ch, &mut exhausted) && ch.is_ascii_digit() {
                    p = p * 10 + (ch as usize - '0' as usize);
                    if p > i32::MAX as usize {
                        return Err(Error::value_error("precision too big"));
                    }
                }
                prec = Some(p);
            }
        }
        if !exhausted && matches!(ch, 'h' | 'l' | 'L') {
            read(&mut i, &mut ch, &mut exhausted);
        }
        if exhausted {
            return Err(incomplete());
        }
        // The argument is fetched before the conversion is validated.
        let v = a.next()?;
        let (s, numeric) = match ch {
            's' => (
                match &v {
                    Value::Str(s) => s.s.to_string(),
                    _ => host.str_of(&v)?,
                },
                false,
            ),
            'r' => (host.repr_of(&v)?, false),
            'a' => (host.ascii_of(&v)?, false),
            'd' | 'i' | 'u' | 'o' | 'x' | 'X' => {
                let b = host.int_of(&v, ch)?;
                (pct_long(&b, flags & F_ALT != 0, prec, ch), true)
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                let x = host.float_of(&v)?;
                let lower = ch.to_ascii_lowercase();
                let (neg, body) = float_short(
                    x,
                    lower,
                    prec.unwrap_or(6),
                    ch != lower,
                    flags & F_ALT != 0,
                    false,
                    false,
                );
                (if neg { format!("-{body}") } else { body }, true)
            }
            'c' => (pct_char(host, &v)?.to_string(), false),
            _ => {
                let shown = if (31..=126).contains(&(ch as u32)) {
                    ch
                } else {
                    '?'
                };
                return Err(Error::value_error(format!(
                    "unsupported format character '{}' (0x{:x}) at index {}",
                    shown,
                    ch as u32,
                    i - 1
                )));
            }
        };
        pct_output(&mut out, &s, ch, flags, width, prec, numeric);
        if dict.is_some() && a.argidx < a.arglen {
            return Err(Error::type_error(
                "not all arguments converted during string formatting",
            ));
        }
    }
    if a.argidx < a.arglen && dict.is_none() {
        return Err(Error::type_error(
            "not all arguments converted during string formatting",
        ));
    }
    Ok(out)
}

// ---------------------------------------------------------------------
// str.format
// ---------------------------------------------------------------------

/// Auto-numbering state shared by a format string and its nested specs.
struct AutoNum {
    /// 0: undecided, 1: automatic (`{}`), 2: manual (`{0}`).
    state: u8,
    next: usize,
}

/// A field name part that is all digits is an index (unicode_format.h
/// get_integer): None for empty or non-numeric text.
fn field_integer(s: &[char]) -> Res<Option<usize>> {
    if s.is_empty() {
        return Ok(None);
    }
    let mut acc: usize = 0;
    for &ch in s {
        let Some(d) = ch.to_digit(10) else {
            return Ok(None);
        };
        acc = acc
            .checked_mul(10)
            .and_then(|a| a.checked_add(d as usize))
            .filter(|&a| a <= isize::MAX as usize)
            .ok_or_else(|| Error::value_error("Too many decimal digits in format string"))?;
    }
    Ok(Some(acc))
}

/// Resolves a field name such as `0`, `name.attr[2][key]` or `` (auto).
fn field_object(
    host: &mut dyn FormatHost,
    f: &[char],
    args: &[Value],
    kwargs: &[(std::rc::Rc<super::value::StrObj>, Value)],
    auto: &mut AutoNum,
) -> Res<Value> {
    let split = f
        .iter()
        .position(|&ch| ch == '.' || ch == '[')
        .unwrap_or(f.len());
    let (first, rest) = f.split_at(split);
    let first_idx = field_integer(first)?;
    let empty = first.is_empty();
    if empty || first_idx.is_some() {
        if auto.state == 0 {
            auto.state = if empty { 1 } else { 2 };
        }
        if auto.state == 2 && empty {
            return Err(Error::value_error(
                "cannot switch from manual field specification to automatic field numbering",
            ));
        }
        if auto.state == 1 && !empty {
            return Err(Error::value_error(
                "cannot switch from automatic field numbering to manual field specification",
            ));
        }
    }
    let idx = if empty {
        auto.next += 1;
        Some(auto.next - 1)
    } else {
        first_idx
    };
    let mut obj = match idx {
        Some(k) => args.get(k).cloned().ok_or_else(|| {
            Error::index_error(format!(
                "Replacement index {k} out of range for positional args tuple"
            ))
        })?,
        None => {
            let key: String = first.iter().collect();
            match kwargs.iter().find(|(k, _)| &*k.s == key.as_str()) {
                Some((_, v)) => v.clone(),
                None => return Err(Error::key_error(Value::str(&key))),
            }
        }
    };
    let mut j = 0;
    while j < rest.len() {
        let c = rest[j];
        j += 1;
        match c {
            '.' => {
                let st = j;
                while j < rest.len() && rest[j] != '.' && rest[j] != '[' {
                    j += 1;
                }
                if st == j {
                    return Err(Error::value_error("Empty attribute in format string"));
                }
                let name: String = rest[st..j].iter().collect();
                obj = host.getattr(&obj, &name)?;
            }
            '[' => {
                let st = j;
                while j < rest.len() && rest[j] != ']' {
                    j += 1;
                }
                if j >= rest.len() {
                    return Err(Error::value_error("Missing ']' in format string"));
                }
                let name = &rest[st..j];
                j += 1;
                let key = match field_integer(name)? {
                    Some(k) => Value::Int(k as i64),
                    None if name.is_empty() => {
                        return Err(Error::value_error("Empty attribute in format string"))
                    }
                    None => Value::str(&name.iter().collect::<String>()),
                };
                obj = host.getitem(&obj, &key)?;
            }
            _ => {
                return Err(Error::value_error(
                    "Only '.' or '[' may follow ']' in format field specifier",
                ))
            }
        }
    }
    Ok(obj)
}

/// One level of `str.format` (CPython's build_string / MarkupIterator).
/// Format specs containing `{}` are expanded one level deeper.
fn build_string(
    host: &mut dyn FormatHost,
    s: &[char],
    args: &[Value],
    kwargs: &[(std::rc::Rc<super::value::StrObj>, Value)],
    depth: u32,
    auto: &mut AutoNum,
) -> Res<String> {
    if depth == 0 {
        return Err(Error::value_error("Max string recursion exceeded"));
    }
    let end = s.len();
    let mut out = String::with_capacity(end + 16);
    let mut pos = 0;
    while pos < end {
        // Literal text up to the first brace.
        let start = pos;
        let mut c = '\0';
        let mut markup = false;
        while pos < end {
            c = s[pos];
            pos += 1;
            if c == '{' || c == '}' {
                markup = true;
                break;
            }
        }
        let at_end = pos >= end;
        let mut len = pos - start;
        if c == '}' && (at_end || s[pos] != '}') {
            return Err(Error::value_error(
                "Single '}' encountered in format string",
            ));
        }
        if at_end && c == '{' {
            return Err(Error::value_error(
                "Single '{' encountered in format string",
            ));
        }
        if !at_end {
            if c == s[pos] {
                // "{{" or "}}": one literal brace, no field.
                pos += 1;
                markup = false;
            } else {
                len -= 1;
            }
        }
        out.extend(&s[start..start + len]);
        if !markup {
            continue;
        }
        // The field name runs to '}', ':' or '!'; brackets may hide them.
        let fstart = pos;
        c = '\0';
        while pos < end {
            c = s[pos];
            pos += 1;
            match c {
                '{' => return Err(Error::value_error("unexpected '{' in field name")),
                '[' => {
                    while pos < end && s[pos] != ']' {
                        pos += 1;
                    }
                }
                '}' | ':' | '!' => break,
                _ => {}
            }
        }
        let fname = &s[fstart..pos.saturating_sub(1).max(fstart)];
        let mut conv = None;
        let mut spec: &[char] = &[];
        let mut expand = false;
        if c == '!' || c == ':' {
            let mut spec_follows = true;
            if c == '!' {
                if pos >= end {
                    return Err(Error::value_error(
                        "end of string while looking for conversion specifier",
                    ));
                }
                conv = Some(s[pos]);
                pos += 1;
                if pos < end {
                    let c2 = s[pos];
                    pos += 1;
                    if c2 == '}' {
                        spec_follows = false;
                    } else if c2 != ':' {
                        return Err(Error::value_error(
                            "expected ':' after conversion specifier",
                        ));
                    }
                }
            }
            if spec_follows {
                let sstart = pos;
                let mut count = 1;
                let mut closed = false;
                while pos < end {
                    let ch = s[pos];
                    pos += 1;
                    if ch == '{' {
                        expand = true;
                        count += 1;
                    } else if ch == '}' {
                        count -= 1;
                        if count == 0 {
                            spec = &s[sstart..pos - 1];
                            closed = true;
                            break;
                        }
                    }
                }
                if !closed {
                    return Err(Error::value_error("unmatched '{' in format spec"));
                }
            }
        } else if c != '}' {
            return Err(Error::value_error("expected '}' before end of string"));
        }
        let obj = field_object(host, fname, args, kwargs, auto)?;
        let obj = match conv {
            None => obj,
            Some('r') => Value::string(host.repr_of(&obj)?),
            Some('s') => Value::string(host.str_of(&obj)?),
            Some('a') => Value::string(host.ascii_of(&obj)?),
            Some(ch) if (ch as u32) > 32 && (ch as u32) < 127 => {
                return Err(Error::value_error(format!(
                    "Unknown conversion specifier {ch}"
                )))
            }
            Some(ch) => {
                return Err(Error::value_error(format!(
                    "Unknown conversion specifier \\x{:x}",
                    ch as u32
                )))
            }
        };
        let spec: String = if expand {
            build_string(host, spec, args, kwargs, depth - 1, auto)?
        } else {
            spec.iter().collect()
        };
        match &obj {
            Value::Str(st) if spec.is_empty() => out.push_str(&st.s),
            _ => out.push_str(&host.format_of(&obj, &spec)?),
        }
    }
    Ok(out)
}

/// `fmt.format(*args, **kwargs)`.
pub fn str_format(
    host: &mut dyn FormatHost,
    fmt: &str,
    args: &[Value],
    kwargs: &[(std::rc::Rc<super::value::StrObj>, Value)],
) -> Res<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut auto = AutoNum { state: 0, next: 0 };
    build_string(host, &chars, args, kwargs, 2, &mut auto)
}

#[cfg(test)]
#[allow(clippy::approx_constant, clippy::type_complexity)]
mod tests {
    //! Cases generated with CPython 3.11 (`format`, `%`, `str.format`,
    //! `repr`); "!Type: message" marks an expected exception.
    use super::*;
    use std::rc::Rc;

    /// A tiny interpreter stand-in: ints, floats, strs, tuples, lists and
    /// one mapping (any Value::Dict reads `self.map`).
    struct Host {
        map: Vec<(String, Value)>,
    }

    fn big(s: &str) -> Value {
        Value::bigint(s.parse::<BigInt>().unwrap())
    }

    fn int(v: &Value) -> Option<BigInt> {
        match v {
            Value::Int(i) => Some(BigInt::from(*i)),
            Value::Bool(b) => Some(BigInt::from(*b as i64)),
            Value::BigInt(b) => Some((**b).clone()),
            _ => None,
        }
    }

    impl Host {
        fn err(&mut self, e: Error) -> String {
            match e {
                Error::New(t, m) => format!("!{}: {}", t.name(), m.unwrap_or_default()),
                Error::WithValue(t, v) => format!("!{}: {}", t.name(), self.repr_of(&v).unwrap()),
                Error::Attribute(a) => format!("!AttributeError: {}", a.msg),
                Error::Raised(_) => "!raised".into(),
                Error::Suspend => "!suspend".into(),
            }
        }
        fn check(&mut self, what: String, got: Res<String>, want: &str) {
            let got = got.unwrap_or_else(|e| self.err(e));
            assert_eq!(got, want, "{what}");
        }
    }

    impl FormatHost for Host {
        fn str_of(&mut self, v: &Value) -> Res<String> {
            match v {
                Value::Str(s) => Ok(s.s.to_string()),
                _ => self.repr_of(v),
            }
        }
        fn repr_of(&mut self, v: &Value) -> Res<String> {
            Ok(match v {
                Value::Int(_) | Value::BigInt(_) => int(v).unwrap().to_string(),
                Value::Bool(b) => if b.get() { "True" } else { "False" }.into(),
                Value::Float(f) => float_repr(f.get()),
                Value::Str(s) => format!("'{}'", s.s),
                Value::Tuple(t) => {
                    let parts: Res<Vec<String>> = t.items.iter().map(|x| self.repr_of(x)).collect();
                    let comma = if t.items.len() == 1 { "," } else { "" };
                    format!("({}{comma})", parts?.join(", "))
                }
                Value::List(l) => {
                    let items = l.items.borrow().clone();
                    let parts: Res<Vec<String>> = items.iter().map(|x| self.repr_of(x)).collect();
                    format!("[{}]", parts?.join(", "))
                }
                _ => "<object>".into(),
            })
        }
        fn ascii_of(&mut self, v: &Value) -> Res<String> {
            let r = self.repr_of(v)?;
            Ok(r.chars()
                .map(|c| {
                    if c.is_ascii() {
                        c.to_string()
                    } else {
                        format!("\\x{:02x}", c as u32)
                    }
                })
                .collect())
        }
        fn int_of(&mut self, v: &Value, conv: char) -> Res<BigInt> {
            match (v, int(v)) {
                (_, Some(b)) => Ok(b),
                (Value::Float(f), _) if matches!(conv, 'd' | 'i' | 'u') => {
                    Ok(BigInt::from(f.get().trunc() as i64))
                }
                _ => Err(Error::type_error(format!(
                    "%{conv} format: {} is required, not {}",
                    if matches!(conv, 'd' | 'i' | 'u') {
                        "a real number"
                    } else {
                        "an integer"
                    },
                    v.type_name()
                ))),
            }
        }
        fn float_of(&mut self, v: &Value) -> Res<f64> {
            match (v, int(v)) {
                (Value::Float(f), _) => Ok(f.get()),
                (_, Some(b)) => Ok(b.to_f64().unwrap()),
                _ => Err(Error::type_error(format!(
                    "must be real number, not {}",
                    v.type_name()
                ))),
            }
        }
        fn format_of(&mut self, v: &Value, spec: &str) -> Res<String> {
            match v {
                Value::Bool(b) if spec.is_empty() => {
                    Ok(if b.get() { "True" } else { "False" }.into())
                }
                Value::Int(_) | Value::BigInt(_) | Value::Bool(_) => {
                    format_int(&int(v).unwrap(), &parse_spec(spec)?)
                }
                Value::Float(f) => format_float(f.get(), &parse_spec(spec)?),
                Value::Str(s) => format_str(&s.s, &parse_spec(spec)?),
                _ if spec.is_empty() => self.str_of(v),
                _ => Err(Error::type_error(format!(
                    "unsupported format string passed to {}.__format__",
                    v.type_name()
                ))),
            }
        }
        fn getitem(&mut self, v: &Value, key: &Value) -> Res<Value> {
            match (v, key) {
                (Value::Tuple(t), Value::Int(i)) => t
                    .items
                    .get(*i as usize)
                    .cloned()
                    .ok_or_else(|| Error::index_error("tuple index out of range")),
                (Value::Tuple(_), _) => Err(Error::type_error(format!(
                    "tuple indices must be integers or slices, not {}",
                    key.type_name()
                ))),
                (Value::Dict(_), Value::Str(k)) => self
                    .map
                    .iter()
                    .find(|(n, _)| **n == *k.s)
                    .map(|e| e.1.clone())
                    .ok_or_else(|| Error::key_error(key.clone())),
                _ => Err(Error::type_error(format!(
                    "'{}' object is not subscriptable",
                    v.type_name()
                ))),
            }
        }
        fn getattr(&mut self, v: &Value, name: &str) -> Res<Value> {
            match (v, name) {
                (Value::Int(_) | Value::Float(_), "real") => Ok(v.clone()),
                (Value::Int(_), "imag") => Ok(Value::Int(0)),
                (Value::Float(_), "imag") => Ok(Value::float(0.0)),
                _ => Err(Error::new(
                    ExcType::AttributeError,
                    format!("'{}' object has no attribute '{name}'", v.type_name()),
                )),
            }
        }
    }

    fn host() -> Host {
        Host { map: vec![] }
    }

    const INTS: &[(&str, &str, &str)] = &[
        ("0", "", "0"),
        ("0", "+", "+0"),
        ("0", "05", "00000"),
        ("42", "x", "2a"),
        ("255", "#X", "0XFF"),
        ("255", "#010b", "0b11111111"),
        ("-255", "#o", "-0o377"),
        ("-255", "=+12_x", "-         ff"),
        ("1234567", ",", "1,234,567"),
        ("1234567", "_", "1_234_567"),
        ("-1234567", "012,", "-001,234,567"),
        ("1234", "09,", "0,001,234"),
        ("1234", "08,", "0,001,234"),
        ("18446744073709551617", ",", "18,446,744,073,709,551,617"),
        ("-1180591620717411303427", "#_b", "-0b100_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0011"),
        ("100000000000000000000", "^30", "    100000000000000000000     "),
        ("42", "*^9", "***42****"),
        ("42", "<05", "42000"),
        ("42", " ", " 42"),
        ("-42", " ", "-42"),
        ("65", "c", "A"),
        ("65", ">3c", "  A"),
        ("9731", "c", "☃"),
        ("65", "+c", "!ValueError: Sign not allowed with integer format specifier 'c'"),
        ("65", "#c", "!ValueError: Alternate form (#) not allowed with integer format specifier 'c'"),
        ("1114112", "c", "!OverflowError: %c arg not in range(0x110000)"),
        ("1", ".2", "!ValueError: Precision not allowed in integer format specifier"),
        ("1", "z", "!ValueError: Negative zero coercion (z) not allowed in integer format specifier"),
        ("1", ",x", "!ValueError: Cannot specify ',' with 'x'."),
        ("1", "_n", "!ValueError: Cannot specify '_' with 'n'."),
        ("123456789", "n", "123456789"),
        ("1234", "e", "1.234000e+03"),
        ("1234", ".2%", "123400.00%"),
        ("10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "f", "!OverflowError: int too large to convert to float"),
        ("12345", ",.2f", "12,345.00"),
        ("7", "g", "7"),
        ("1", "s", "!ValueError: Unknown format code 's' for object of type 'int'"),
        ("1", "<<<", "!ValueError: Unknown format code '<' for object of type 'int'"),
        ("1", "5.", "!ValueError: Format specifier missing precision"),
        ("1", "x.", "!ValueError: Invalid format specifier 'x.'"),
        ("1", ",_", "!ValueError: Cannot specify both ',' and '_'."),
        ("1", "10000000000000000000000", "!ValueError: Too many decimal digits in format string"),
        ("-9223372036854775808", "d", "-9223372036854775808"),
        ("9223372036854775807", "#x", "0x7fffffffffffffff"),
        ("0", "#b", "0b0"),
        ("-1", "0=8", "-0000001"),
        ("7", "\u{0}<3", "7\u{0}\u{0}"),
        ("5", "é^5", "éé5éé"),
    ];
    const FLOATS: &[(f64, &str, &str)] = &[
        (0.0, "", "0.0"),
        (-0.0, "", "-0.0"),
        (1e-07, "", "1e-07"),
        (123.456, "", "123.456"),
        (1e+16, "", "1e+16"),
        (1e+22, "", "1e+22"),
        (2.5, ".0f", "2"),
        (3.5, ".0f", "4"),
        (0.125, ".2f", "0.12"),
        (0.3333333333333333, ".17", "0.33333333333333331"),
        (0.3333333333333333, "", "0.3333333333333333"),
        (f64::INFINITY, "", "inf"),
        (f64::NEG_INFINITY, "+", "-inf"),
        (f64::NAN, "+", "+nan"),
        (f64::NAN, "F", "NAN"),
        (f64::INFINITY, "010", "0000000inf"),
        (1.0, ".0", "1e+00"),
        (1.0, ".1", "1e+00"),
        (123.0, ".3", "1.23e+02"),
        (123.0, ".3g", "123"),
        (123.0, "#.3g", "123."),
        (0.0001, "g", "0.0001"),
        (1e-05, "g", "1e-05"),
        (1e-05, ".2", "1e-05"),
        (1e+16, "g", "1e+16"),
        (1e+16, ".20g", "10000000000000000"),
        (1234.5, ".2e", "1.23e+03"),
        (1234.5, "E", "1.234500E+03"),
        (0.1, ".20f", "0.10000000000000000555"),
        (1e+22, "f", "10000000000000000000000.000000"),
        (1e+22, ",.2f", "10,000,000,000,000,000,000,000.00"),
        (-1234.5, "015,.2f", "-000,001,234.50"),
        (1234.5, "0=+12,.1f", "+0,001,234.5"),
        (0.25, "%", "25.000000%"),
        (0.3333333333333333, ".1%", "33.3%"),
        (2.0, "#.0f", "2."),
        (2.0, "#.0e", "2.e+00"),
        (1.5, "#g", "1.50000"),
        (-0.0, "z", "0.0"),
        (-0.04, "z.1f", "0.0"),
        (-0.4, "+z.0f", "+0"),
        (1e+100, ".3", "1e+100"),
        (5e-324, "", "5e-324"),
        (5e-324, ".3e", "4.941e-324"),
        (1.7976931348623157e+308, "", "1.7976931348623157e+308"),
        (1.5, "^+12.3f", "   +1.500   "),
        (1.5, "*<10", "1.5*******"),
        (
            1.5,
            "d",
            "!ValueError: Unknown format code 'd' for object of type 'float'",
        ),
        (1.5, "_n", "!ValueError: Cannot specify '_' with 'n'."),
        (1234567.891, "n", "1.23457e+06"),
        (999999.5, ".6g", "1e+06"),
        (9.5, ".0e", "1e+01"),
        (0.05, ".1f", "0.1"),
        (1000000000000000.0, "", "1000000000000000.0"),
        (1.2345678901234568e+17, "", "1.2345678901234568e+17"),
        (2.000000000000001e+16, "", "2.000000000000001e+16"),
        (1234.5, "_", "1_234.5"),
        (12345.6789, ".10", "12345.6789"),
        (1.5, "z=08.2f", "zzzz1.50"),
    ];
    const STRS: &[(&str, &str, &str)] = &[
        ("abc", "", "abc"),
        ("abc", "5", "abc  "),
        ("abc", ">5", "  abc"),
        ("abc", "^6", " abc  "),
        ("abc", "*^7", "**abc**"),
        ("abc", "05", "abc00"),
        ("abc", ".2", "ab"),
        ("héllo", ".3", "hél"),
        ("héllo", "x>8.4", "xxxxhéll"),
        (
            "abc",
            "=5",
            "!ValueError: '=' alignment not allowed in string format specifier",
        ),
        (
            "abc",
            "+",
            "!ValueError: Sign not allowed in string format specifier",
        ),
        (
            "abc",
            " ",
            "!ValueError: Space not allowed in string format specifier",
        ),
        (
            "abc",
            "#",
            "!ValueError: Alternate form (#) not allowed in string format specifier",
        ),
        ("abc", ",", "!ValueError: Cannot specify ',' with 's'."),
        (
            "abc",
            "d",
            "!ValueError: Unknown format code 'd' for object of type 'str'",
        ),
        (
            "abc",
            "z",
            "!ValueError: Negative zero coercion (z) not allowed in string format specifier",
        ),
        ("abc", "s", "abc"),
        ("", "3", "   "),
    ];
    const REPRS: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.1, "0.1"),
        (0.3333333333333333, "0.3333333333333333"),
        (1e+16, "1e+16"),
        (0.0001, "0.0001"),
        (9.999e-05, "9.999e-05"),
        (1e-07, "1e-07"),
        (1.5e-07, "1.5e-07"),
        (1.2345678901234568e+17, "1.2345678901234568e+17"),
        (1.2345678901234568e+17, "1.2345678901234568e+17"),
        (2.000000000000001e+16, "2.000000000000001e+16"),
        (1e+22, "1e+22"),
        (5e-324, "5e-324"),
        (1.7976931348623157e+308, "1.7976931348623157e+308"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
        (-1588901928463500.2, "-1588901928463500.2"),
        (1234567890123456.8, "1234567890123456.8"),
        (0.30000000000000004, "0.30000000000000004"),
    ];
    const PCT: &[(&str, fn() -> Value, &str)] = &[
        (
            "%s %s",
            || Value::tuple(vec![Value::Int(1), Value::Int(2)]),
            "1 2",
        ),
        (
            "%s",
            || Value::tuple(vec![]),
            "!TypeError: not enough arguments for format string",
        ),
        (
            "%s %s",
            || Value::tuple(vec![Value::Int(1)]),
            "!TypeError: not enough arguments for format string",
        ),
        (
            "%s",
            || Value::tuple(vec![Value::Int(1), Value::Int(2)]),
            "!TypeError: not all arguments converted during string formatting",
        ),
        (
            "abc",
            || Value::Int(5),
            "!TypeError: not all arguments converted during string formatting",
        ),
        ("abc", || Value::list(vec![Value::Int(1)]), "abc"),
        ("%d%%", || Value::tuple(vec![Value::Int(5)]), "5%"),
        (
            "%z",
            || Value::tuple(vec![Value::Int(1)]),
            "!ValueError: unsupported format character 'z' (0x7a) at index 1",
        ),
        (
            "%z",
            || Value::tuple(vec![]),
            "!TypeError: not enough arguments for format string",
        ),
        (
            "ab %y",
            || Value::tuple(vec![Value::Int(1)]),
            "!ValueError: unsupported format character 'y' (0x79) at index 4",
        ),
        (
            "%c",
            || Value::tuple(vec![Value::str("ab")]),
            "!TypeError: %c requires int or char",
        ),
        (
            "%c",
            || Value::tuple(vec![Value::float(1.5)]),
            "!TypeError: %c requires int or char",
        ),
        (
            "%c",
            || Value::tuple(vec![Value::Int(1114112)]),
            "!OverflowError: %c arg not in range(0x110000)",
        ),
        (
            "%5c|%-5c",
            || Value::tuple(vec![Value::Int(65), Value::str("x")]),
            "    A|x    ",
        ),
        (
            "%*d",
            || Value::tuple(vec![Value::Int(5), Value::Int(42)]),
            "   42",
        ),
        (
            "%*d",
            || Value::tuple(vec![Value::Int(-5), Value::Int(42)]),
            "42   ",
        ),
        (
            "%.*f",
            || Value::tuple(vec![Value::Int(2), Value::float(3.14159)]),
            "3.14",
        ),
        (
            "%*d",
            || Value::tuple(vec![Value::str("x"), Value::Int(1)]),
            "!TypeError: * wants int",
        ),
        (
            "%ld %hi %Lf",
            || Value::tuple(vec![Value::Int(1), Value::Int(2), Value::float(3.5)]),
            "1 2 3.500000",
        ),
        (
            "100%",
            || Value::tuple(vec![]),
            "!ValueError: incomplete format",
        ),
        (
            "%5",
            || Value::tuple(vec![Value::Int(1)]),
            "!ValueError: incomplete format",
        ),
        (
            "%(a)s",
            || Value::tuple(vec![Value::Int(1)]),
            "!TypeError: format requires a mapping",
        ),
        (
            "%x",
            || Value::tuple(vec![Value::float(3.0)]),
            "!TypeError: %x format: an integer is required, not float",
        ),
        ("%d", || Value::tuple(vec![Value::float(3.7)]), "3"),
        (
            "%d",
            || Value::tuple(vec![Value::str("a")]),
            "!TypeError: %d format: a real number is required, not str",
        ),
        (
            "%f",
            || Value::tuple(vec![Value::str("a")]),
            "!TypeError: must be real number, not str",
        ),
        (
            "%#o %#x %#X",
            || Value::tuple(vec![Value::Int(8), Value::Int(255), Value::Int(255)]),
            "0o10 0xff 0XFF",
        ),
        (
            "%#5x|%#-8o|%#08X",
            || Value::tuple(vec![Value::Int(255), Value::Int(8), Value::Int(255)]),
            " 0xff|0o10    |0X0000FF",
        ),
        (
            "%+.3d|% 05d|%-+6d|",
            || Value::tuple(vec![Value::Int(7), Value::Int(-7), Value::Int(7)]),
            "+007|-0007|+7    |",
        ),
        ("%05X", || Value::tuple(vec![Value::Int(255)]), "000FF"),
        (
            "%.5s|%-6.2s|%6r",
            || {
                Value::tuple(vec![
                    Value::str("abcdefg"),
                    Value::str("xyz"),
                    Value::str("ab"),
                ])
            },
            "abcde|xy    |  'ab'",
        ),
        ("%a", || Value::tuple(vec![Value::str("é")]), "'\\xe9'"),
        (
            "%s",
            || Value::tuple(vec![Value::tuple(vec![Value::Int(1), Value::Int(2)])]),
            "(1, 2)",
        ),
        (
            "%e %g %G",
            || {
                Value::tuple(vec![
                    Value::float(0.0001),
                    Value::float(1e-05),
                    Value::float(1e+20),
                ])
            },
            "1.000000e-04 1e-05 1E+20",
        ),
        (
            "%#g %#.0f %#.0e",
            || {
                Value::tuple(vec![
                    Value::float(1.0),
                    Value::float(2.0),
                    Value::float(3.0),
                ])
            },
            "1.00000 2. 3.e+00",
        ),
        ("%0-5d|", || Value::tuple(vec![Value::Int(3)]), "3    |"),
        ("%05s|", || Value::tuple(vec![Value::str("a")]), "    a|"),
        ("%#.3x", || Value::tuple(vec![Value::Int(-10)]), "-0x00a"),
        (
            "%d",
            || Value::tuple(vec![big("1267650600228229401496703205376")]),
            "1267650600228229401496703205376",
        ),
        (
            "%.2f%%",
            || Value::tuple(vec![Value::float(99.5)]),
            "99.50%",
        ),
        (
            "%05.1f|%+.0e",
            || Value::tuple(vec![Value::float(-2.25), Value::float(12345.0)]),
            "-02.2|+1e+04",
        ),
        (
            "%05f",
            || Value::tuple(vec![Value::float(f64::INFINITY)]),
            "00inf",
        ),
        ("%+f", || Value::tuple(vec![Value::float(f64::NAN)]), "+nan"),
        ("%i", || Value::tuple(vec![Value::bool(true)]), "1"),
        (
            "%c",
            || Value::tuple(vec![big("1208925819614629174706176")]),
            "!OverflowError: %c arg not in range(0x110000)",
        ),
    ];

    #[test]
    fn format_spec_cases() {
        let mut h = host();
        for (v, spec, want) in INTS {
            let n: BigInt = v.parse().unwrap();
            let got = parse_spec(spec).and_then(|s| format_int(&n, &s));
            h.check(format!("format({v}, {spec:?})"), got, want);
        }
        for (v, spec, want) in FLOATS {
            let got = parse_spec(spec).and_then(|s| format_float(*v, &s));
            h.check(format!("format({v:?}, {spec:?})"), got, want);
        }
        for (v, spec, want) in STRS {
            let got = parse_spec(spec).and_then(|s| format_str(v, &s));
            h.check(format!("format({v:?}, {spec:?})"), got, want);
        }
        for (v, want) in REPRS {
            assert_eq!(float_repr(*v), *want, "repr({v:?})");
        }
    }

    #[test]
    fn percent_cases() {
        let mut h = host();
        for (fmt, args, want) in PCT {
            let a = args();
            let got = percent_format(&mut h, fmt, &a);
            h.check(format!("{fmt:?} % ..."), got, want);
        }
        // Mapping operands: %(key)s, unused keys are fine, missing keys raise.
        h.map = vec![("a".into(), Value::str("x")), ("b".into(), Value::Int(3))];
        let d = Value::dict(super::super::dict::Dict::new());
        let got = percent_format(&mut h, "%(a)s-%(b)03d-%(a)r %s", &d);
        assert!(
            got.is_err(),
            "a mapping is a single argument for %s after keys"
        );
        let got = percent_format(&mut h, "%(a)s-%(b)03d-%(a)r", &d);
        h.check("mapping".into(), got, "x-003-'x'");
        let got = percent_format(&mut h, "%(zz)s", &d);
        h.check("missing key".into(), got, "!KeyError: 'zz'");
        let got = percent_format(&mut h, "no fields", &d);
        h.check("unused mapping".into(), got, "no fields");
        let got = percent_format(&mut h, "%(a", &d);
        h.check(
            "incomplete key".into(),
            got,
            "!ValueError: incomplete format key",
        );
    }

    type Kw = Vec<(&'static str, Value)>;
    const SFMT: &[(&str, fn() -> Vec<Value>, fn() -> Kw, &str)] = &[
        ("{} {}", || vec![Value::Int(1), Value::Int(2)], || vec![], "1 2"),
        ("{1} {0}", || vec![Value::str("a"), Value::str("b")], || vec![], "b a"),
        ("{0} {}", || vec![Value::Int(1), Value::Int(2)], || vec![], "!ValueError: cannot switch from manual field specification to automatic field numbering"),
        ("{} {0}", || vec![Value::Int(1), Value::Int(2)], || vec![], "!ValueError: cannot switch from automatic field numbering to manual field specification"),
        ("{x}-{y}", || vec![], || vec![("x", Value::Int(1)), ("y", Value::str("b"))], "1-b"),
        ("{z}", || vec![], || vec![("x", Value::Int(1))], "!KeyError: 'z'"),
        ("{2}", || vec![Value::Int(1), Value::Int(2)], || vec![], "!IndexError: Replacement index 2 out of range for positional args tuple"),
        ("{{}} {{{0}}}", || vec![Value::Int(5)], || vec![], "{} {5}"),
        ("}", || vec![], || vec![], "!ValueError: Single '}' encountered in format string"),
        ("{", || vec![], || vec![], "!ValueError: Single '{' encountered in format string"),
        ("a}b", || vec![], || vec![], "!ValueError: Single '}' encountered in format string"),
        ("{0!r:>8}", || vec![Value::str("ab")], || vec![], "    'ab'"),
        ("{0!a}", || vec![Value::str("é")], || vec![], "'\\xe9'"),
        ("{0!x}", || vec![Value::Int(1)], || vec![], "!ValueError: Unknown conversion specifier x"),
        ("{0!}", || vec![Value::Int(1)], || vec![], "!ValueError: unmatched '{' in format spec"),
        ("{0!rx}", || vec![Value::Int(1)], || vec![], "!ValueError: expected ':' after conversion specifier"),
        ("{0:{1}}", || vec![Value::float(3.14159), Value::str(".2f")], || vec![], "3.14"),
        ("{:{}.{}f}", || vec![Value::float(3.14159), Value::Int(10), Value::Int(3)], || vec![], "     3.142"),
        ("{:{:{}}}", || vec![Value::Int(1), Value::Int(2), Value::Int(3)], || vec![], "!ValueError: Max string recursion exceeded"),
        ("{0[1]}", || vec![Value::tuple(vec![Value::Int(5), Value::Int(6), Value::Int(7)])], || vec![], "6"),
        ("{0[5]}", || vec![Value::tuple(vec![Value::Int(5), Value::Int(6), Value::Int(7)])], || vec![], "!IndexError: tuple index out of range"),
        ("{0[a]}", || vec![Value::tuple(vec![Value::Int(1)])], || vec![], "!TypeError: tuple indices must be integers or slices, not str"),
        ("{0.real}", || vec![Value::Int(5)], || vec![], "5"),
        ("{0[0].imag}", || vec![Value::tuple(vec![Value::Int(3), Value::Int(4)])], || vec![], "0"),
        ("{0.foo}", || vec![Value::Int(3)], || vec![], "!AttributeError: 'int' object has no attribute 'foo'"),
        ("{0[}", || vec![Value::tuple(vec![Value::Int(1)])], || vec![], "!ValueError: expected '}' before end of string"),
        ("{0[0]x}", || vec![Value::tuple(vec![Value::Int(1)])], || vec![], "!ValueError: Only '.' or '[' may follow ']' in format field specifier"),
        ("{0.}", || vec![Value::Int(1)], || vec![], "!ValueError: Empty attribute in format string"),
        ("{0[]}", || vec![Value::tuple(vec![Value::Int(1)])], || vec![], "!ValueError: Empty attribute in format string"),
        ("{:d}", || vec![Value::str("a")], || vec![], "!ValueError: Unknown format code 'd' for object of type 'str'"),
        ("{:,}", || vec![Value::Int(1234567)], || vec![], "1,234,567"),
        ("{0:^10}|{1:*<6}|{2:=+8}", || vec![Value::str("mid"), Value::str("l"), Value::Int(42)], || vec![], "   mid    |l*****|+     42"),
        ("{ 0 }", || vec![Value::Int(1)], || vec![], "!KeyError: ' 0 '"),
        ("{0:{{}}}", || vec![Value::Int(1)], || vec![], "!ValueError: Invalid format specifier '{}'"),
        ("{0:}}", || vec![Value::Int(1)], || vec![], "!ValueError: Single '}' encountered in format string"),
        ("{:5}|", || vec![Value::tuple(vec![Value::Int(1), Value::Int(2)])], || vec![], "!TypeError: unsupported format string passed to tuple.__format__"),
        ("{!s:5}|", || vec![Value::tuple(vec![Value::Int(1), Value::Int(2)])], || vec![], "(1, 2)|"),
        ("{x!s:{w}.{p}}", || vec![], || vec![("x", Value::str("abcdef")), ("w", Value::Int(6)), ("p", Value::Int(2))], "ab    "),
        ("{0[99999999999999999999999]}", || vec![Value::tuple(vec![Value::Int(1)])], || vec![], "!ValueError: Too many decimal digits in format string"),
        ("{}", || vec![Value::bool(true)], || vec![], "True"),
        ("{:>5}", || vec![Value::bool(true)], || vec![], "    1"),
    ];

    #[test]
    fn str_format_cases() {
        let mut h = host();
        for (fmt, args, kwargs, want) in SFMT {
            let kw: Vec<(Rc<super::super::value::StrObj>, Value)> = kwargs()
                .into_iter()
                .map(|(k, v)| (Rc::new(super::super::value::StrObj::new(k)), v))
                .collect();
            let got = str_format(&mut h, fmt, &args(), &kw);
            h.check(format!("{fmt:?}.format(...)"), got, want);
        }
    }
}
