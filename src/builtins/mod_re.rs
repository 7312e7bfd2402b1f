//! The `re` module on top of fancy-regex. Python patterns are translated
//! to fancy-regex syntax; positions are converted from bytes to chars.

use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use fancy_regex::Regex;

use super::stdlib_data::{byte_of_char, int_arg, native_class, str_arg, CharPos};
use super::{add_fn, add_method, arg_or_kw, check_args};
use crate::vm::error::{Error, Res};
use crate::vm::object::*;
use crate::vm::value::*;
use crate::vm::Vm;

const I: i64 = 2;
const L: i64 = 4;
const M: i64 = 8;
const S: i64 = 16;
const U: i64 = 32;
const X: i64 = 64;
const A: i64 = 256;

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("re", None);
    for (n, v) in [
        ("I", I),
        ("IGNORECASE", I),
        ("L", L),
        ("LOCALE", L),
        ("M", M),
        ("MULTILINE", M),
        ("S", S),
        ("DOTALL", S),
        ("U", U),
        ("UNICODE", U),
        ("X", X),
        ("VERBOSE", X),
        ("A", A),
        ("ASCII", A),
        ("NOFLAG", 0),
    ] {
        m.set_str(n, Value::Int(v));
    }
    let err = error_class(vm);
    m.set_str("error", Value::Class(err));
    let p = pattern_class(vm);
    m.set_str("Pattern", Value::Class(p));
    let mc = match_class(vm);
    m.set_str("Match", Value::Class(mc));
    add_fn(vm, &m, "compile", re_compile);
    add_fn(vm, &m, "match", re_match);
    add_fn(vm, &m, "fullmatch", re_fullmatch);
    add_fn(vm, &m, "search", re_search);
    add_fn(vm, &m, "findall", re_findall);
    add_fn(vm, &m, "finditer", re_finditer);
    add_fn(vm, &m, "sub", re_sub);
    add_fn(vm, &m, "subn", re_subn);
    add_fn(vm, &m, "split", re_split);
    add_fn(vm, &m, "escape", re_escape);
    add_fn(vm, &m, "purge", re_purge);
    m
}

fn error_class(vm: &mut Vm) -> Rc<ClassObj> {
    let base = vm.types.exc_named("Exception");
    native_class(
        vm,
        "re.error",
        "re",
        "error",
        Some(base),
        Builtin::BaseException,
        |_, _| {},
    )
}

fn re_error(vm: &mut Vm, msg: String) -> Error {
    let cls = error_class(vm);
    let e = vm.new_exception(&cls, vec![Value::string(msg.clone())]);
    if let Value::Instance(i) = &e {
        let mut d = i.dict.borrow_mut();
        d.insert(vm.intern_static("msg"), Value::string(msg));
    }
    Error::Raised(e)
}

fn pattern_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "re.Pattern",
        "re",
        "Pattern",
        None,
        Builtin::Object,
        |vm, c| {
            add_method(vm, c, "match", pat_match);
            add_method(vm, c, "fullmatch", pat_fullmatch);
            add_method(vm, c, "search", pat_search);
            add_method(vm, c, "findall", pat_findall);
            add_method(vm, c, "finditer", pat_finditer);
            add_method(vm, c, "sub", pat_sub);
            add_method(vm, c, "subn", pat_subn);
            add_method(vm, c, "split", pat_split);
            add_method(vm, c, "__eq__", pat_eq);
            add_method(vm, c, "__hash__", pat_hash);
        },
    )
}

fn match_class(vm: &mut Vm) -> Rc<ClassObj> {
    native_class(
        vm,
        "re.Match",
        "re",
        "Match",
        None,
        Builtin::Object,
        |vm, c| {
            add_method(vm, c, "group", m_group);
            add_method(vm, c, "__getitem__", m_getitem);
            add_method(vm, c, "groups", m_groups);
            add_method(vm, c, "groupdict", m_groupdict);
            add_method(vm, c, "start", m_start);
            add_method(vm, c, "end", m_end);
            add_method(vm, c, "span", m_span);
            add_method(vm, c, "expand", m_expand);
        },
    )
}

// ---------------------------------------------------------------------
// Translation of Python pattern syntax.

struct Translated {
    body: String,
    /// Flags after adding the pattern's leading inline flags.
    flags: i64,
}

fn is_quantifier(chars: &[char], i: usize) -> Option<(usize, String)> {
    // chars[i] == '{'; returns (index after '}', normalized text).
    let mut j = i + 1;
    let mut lo = String::new();
    while j < chars.len() && chars[j].is_ascii_digit() {
        lo.push(chars[j]);
        j += 1;
    }
    let mut hi: Option<String> = None;
    if j < chars.len() && chars[j] == ',' {
        j += 1;
        let mut h = String::new();
        while j < chars.len() && chars[j].is_ascii_digit() {
            h.push(chars[j]);
            j += 1;
        }
        hi = Some(h);
    }
    if j >= chars.len() || chars[j] != '}' {
        return None;
    }
    if lo.is_empty() && hi.as_ref().map(|h| h.is_empty()).unwrap_or(true) {
        return None;
    }
    let lo = if lo.is_empty() { "0".to_string() } else { lo };
    let text = match hi {
        None => format!("{{{lo}}}"),
        Some(h) if h.is_empty() => format!("{{{lo},}}"),
        Some(h) => format!("{{{lo},{h}}}"),
    };
    Some((j + 1, text))
}

/// True for `{m,n}` with m > n.
fn quantifier_inverted(text: &str) -> bool {
    let inner = text.trim_start_matches('{').trim_end_matches('}');
    match inner.split_once(',') {
        Some((a, b)) if !b.is_empty() => a.parse::<u64>().ok() > b.parse::<u64>().ok(),
        _ => false,
    }
}

fn hex_escape(c: char) -> String {
    format!("\\x{{{:X}}}", c as u32)
}

fn translate(pat: &str, flags: i64) -> Result<Translated, String> {
    let chars: Vec<char> = pat.chars().collect();
    let n = chars.len();
    let mut flags = flags;
    let mut i = 0;
    // Leading global inline flags: (?aiLmsux)
    while i + 2 < n && chars[i] == '(' && chars[i + 1] == '?' {
        let mut j = i + 2;
        let mut f = 0;
        while j < n && "aiLmsux".contains(chars[j]) {
            f |= match chars[j] {
                'a' => A,
                'i' => I,
                'L' => L,
                'm' => M,
                's' => S,
                'u' => U,
                _ => X,
            };
            j += 1;
        }
        if j < n && chars[j] == ')' && j > i + 2 {
            flags |= f;
            i = j + 1;
        } else {
            break;
        }
    }
    let verbose = flags & X != 0;
    let ascii = flags & A != 0;
    let multiline = flags & M != 0;
    let mut out = String::with_capacity(pat.len() + 8);
    let mut stack: Vec<usize> = Vec::new();
    let mut in_class = false;
    let mut class_first = false;
    // Whether the previous item can take a quantifier.
    let mut can_repeat = false;
    let mut group_names: Vec<String> = Vec::new();
    while i < n {
        let c = chars[i];
        if in_class {
            match c {
                ']' if !class_first => {
                    in_class = false;
                    out.push(']');
                    can_repeat = true;
                }
                '\\' => {
                    let Some(&e) = chars.get(i + 1) else {
                        return Err(format!("bad escape (end of pattern) at position {i}"));
                    };
                    i += 1;
                    match e {
                        'd' | 'D' | 'w' | 'W' | 's' | 'S' if ascii => {
                            out.push_str(ascii_class(e, true))
                        }
                        'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 't' | 'r' | 'f' | 'v' | 'a' => {
                            out.push('\\');
                            out.push(e);
                        }
                        'b' => out.push_str("\\x{8}"),
                        'x' | 'u' | 'U' => {
                            out.push('\\');
                            out.push(e);
                        }
                        '0'..='7' => {
                            let (v, len) = octal(&chars, i);
                            i += len - 1;
                            out.push_str(&format!("\\x{{{v:X}}}"));
                        }
                        e if e.is_ascii_alphanumeric() => {
                            return Err(format!("bad escape \\{e} at position {}", i - 1));
                        }
                        e => out.push_str(&hex_escape(e)),
                    }
                }
                '[' | '&' | '~' | '|' => out.push_str(&hex_escape(c)),
                _ => out.push(c),
            }
            class_first = false;
            i += 1;
            continue;
        }
        match c {
            ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' if verbose => {}
            '#' if verbose => {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '[' => {
                in_class = true;
                out.push('[');
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                class_first = true;
                // `[]...]`: a leading ] is literal.
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                    class_first = false;
                }
                let _ = class_first;
            }
            '(' => {
                stack.push(i);
                can_repeat = false;
                if chars.get(i + 1) == Some(&'?') {
                    let rest: String = chars[i + 2..n.min(i + 4)].iter().collect();
                    if rest.starts_with("P=") {
                        // (?P=name) backreference
                        let mut j = i + 4;
                        let mut name = String::new();
                        while j < n && chars[j] != ')' {
                            name.push(chars[j]);
                            j += 1;
                        }
                        if j >= n {
                            return Err(format!(
                                "missing ), unterminated name at position {}",
                                i + 4
                            ));
                        }
                        if !group_names.contains(&name) {
                            if name.chars().all(|c| c.is_ascii_digit()) || name.is_empty() {
                                return Err(format!(
                                    "bad character in group name '{name}' at position {}",
                                    i + 4
                                ));
                            }
                            return Err(format!(
                                "unknown group name '{name}' at position {}",
                                i + 4
                            ));
                        }
                        stack.pop();
                        out.push_str(&format!("\\k<{name}>"));
                        can_repeat = true;
                        i = j + 1;
                        continue;
                    } else if rest.starts_with('#') {
                        let mut j = i + 3;
                        while j < n && chars[j] != ')' {
                            j += 1;
                        }
                        if j >= n {
                            return Err(format!("missing ), unterminated comment at position {i}"));
                        }
                        stack.pop();
                        i = j + 1;
                        continue;
                    } else if rest.starts_with("P<") {
                        let name: String =
                            chars[i + 4..].iter().take_while(|&&c| c != '>').collect();
                        group_names.push(name);
                        out.push_str("(?P<");
                        i += 4;
                        continue;
                    }
                    // Copy the group kind: (?: (?= (?! (?<= (?<! (?> or
                    // scoped flags (?i: / (?i).
                    out.push_str("(?");
                    i += 2;
                    if chars.get(i) == Some(&'<')
                        && matches!(chars.get(i + 1), Some('=') | Some('!'))
                    {
                        out.push('<');
                        out.push(chars[i + 1]);
                        i += 2;
                    } else if matches!(chars.get(i), Some(':') | Some('=') | Some('!') | Some('>'))
                    {
                        out.push(chars[i]);
                        i += 1;
                    } else {
                        while i < n && (chars[i].is_ascii_alphabetic() || chars[i] == '-') {
                            if chars[i] != 'u' && chars[i] != 'a' && chars[i] != 'L' {
                                out.push(chars[i]);
                            }
                            i += 1;
                        }
                        match chars.get(i) {
                            Some(':') => {
                                out.push(':');
                                i += 1;
                            }
                            Some(')') => {
                                stack.pop();
                                out.push(')');
                                i += 1;
                            }
                            _ => {
                                return Err(format!(
                                    "unknown extension ?{} at position {}",
                                    chars.get(i).copied().unwrap_or(' '),
                                    i - 1
                                ))
                            }
                        }
                    }
                    continue;
                }
                out.push('(');
            }
            ')' => {
                if stack.pop().is_none() {
                    return Err(format!("unbalanced parenthesis at position {i}"));
                }
                out.push(')');
                can_repeat = true;
            }
            '*' | '+' | '?' => {
                if !can_repeat {
                    return Err(format!("nothing to repeat at position {i}"));
                }
                out.push(c);
                // A lazy or possessive suffix.
                if matches!(chars.get(i + 1), Some('?') | Some('+')) {
                    out.push(chars[i + 1]);
                    i += 1;
                }
                can_repeat = false;
                if matches!(chars.get(i + 1), Some('*') | Some('+')) {
                    return Err(format!("multiple repeat at position {}", i + 1));
                }
            }
            '{' => match is_quantifier(&chars, i) {
                Some((_, text)) if quantifier_inverted(&text) => {
                    return Err(format!(
                        "min repeat greater than max repeat at position {}",
                        i + 1
                    ));
                }
                Some((j, text)) if can_repeat => {
                    out.push_str(&text);
                    i = j;
                    if chars.get(i) == Some(&'?') {
                        out.push('?');
                        i += 1;
                    }
                    can_repeat = false;
                    continue;
                }
                Some(_) => return Err(format!("nothing to repeat at position {i}")),
                None => {
                    out.push_str("\\{");
                    can_repeat = true;
                }
            },
            '}' => {
                out.push_str("\\}");
                can_repeat = true;
            }
            '|' => {
                out.push('|');
                can_repeat = false;
            }
            '^' => {
                out.push('^');
                can_repeat = false;
            }
            '$' => {
                out.push_str(if multiline { "$" } else { "(?=\\n?\\z)" });
                can_repeat = false;
            }
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err(format!("bad escape (end of pattern) at position {i}"));
                };
                i += 1;
                can_repeat = true;
                match e {
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' if ascii => {
                        out.push('[');
                        out.push_str(ascii_class(e, false));
                        out.push(']');
                    }
                    'b' | 'B' if ascii => {
                        let w = "[0-9A-Za-z_]";
                        if e == 'b' {
                            out.push_str(&format!("(?:(?<={w})(?!{w})|(?<!{w})(?={w}))"));
                        } else {
                            out.push_str(&format!("(?:(?<={w})(?={w})|(?<!{w})(?!{w}))"));
                        }
                        can_repeat = false;
                    }
                    'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'n' | 't' | 'r' | 'f' | 'v' | 'a' | 'x'
                    | 'u' | 'U' => {
                        out.push('\\');
                        out.push(e);
                    }
                    'A' | 'b' | 'B' => {
                        out.push('\\');
                        out.push(e);
                        can_repeat = false;
                    }
                    'Z' => {
                        out.push_str("\\z");
                        can_repeat = false;
                    }
                    '0' => {
                        let (v, len) = octal(&chars, i);
                        i += len - 1;
                        out.push_str(&format!("\\x{{{v:X}}}"));
                    }
                    '1'..='9' => {
                        let mut num = String::from(e);
                        if let Some(&d) = chars.get(i + 1) {
                            if d.is_ascii_digit() {
                                num.push(d);
                                i += 1;
                            }
                        }
                        out.push('\\');
                        out.push_str(&num);
                    }
                    e if e.is_ascii_alphanumeric() => {
                        return Err(format!("bad escape \\{e} at position {}", i - 1));
                    }
                    e => out.push_str(&hex_escape(e)),
                }
            }
            '.' => {
                out.push('.');
                can_repeat = true;
            }
            c => {
                out.push(c);
                can_repeat = true;
            }
        }
        i += 1;
    }
    if in_class {
        return Err(format!(
            "unterminated character set at position {}",
            out.rfind('[')
                .map(|_| find_class_start(&chars))
                .unwrap_or(0)
        ));
    }
    if let Some(p) = stack.pop() {
        return Err(format!(
            "missing ), unterminated subpattern at position {p}"
        ));
    }
    Ok(Translated { body: out, flags })
}

fn find_class_start(chars: &[char]) -> usize {
    chars.iter().rposition(|&c| c == '[').unwrap_or(0)
}

fn octal(chars: &[char], i: usize) -> (u32, usize) {
    let mut v = 0u32;
    let mut len = 0;
    while len < 3 {
        match chars.get(i + len) {
            Some(&d) if ('0'..='7').contains(&d) => {
                v = v * 8 + (d as u32 - '0' as u32);
                len += 1;
            }
            _ => break,
        }
    }
    (v, len.max(1))
}

fn ascii_class(e: char, in_class: bool) -> &'static str {
    match (e, in_class) {
        ('d', _) => "0-9",
        ('w', _) => "0-9A-Za-z_",
        ('s', _) => " \\t\\n\\r\\f\\v",
        ('D', false) => "^0-9",
        ('W', false) => "^0-9A-Za-z_",
        ('S', false) => "^ \\t\\n\\r\\f\\v",
        // Negated classes inside a set: approximated by Unicode ones.
        ('D', true) => "\\D",
        ('W', true) => "\\W",
        _ => "\\S",
    }
}

// ---------------------------------------------------------------------
// Pattern objects.

pub struct PatternObj {
    cls: Rc<ClassObj>,
    pattern: Value,
    flags: i64,
    /// The translated body and its flag prefix, to build anchored forms.
    body: String,
    prefix: String,
    search: Regex,
    anchored: OnceCell<Option<Regex>>,
    full_anchored: OnceCell<Option<Regex>>,
    full_search: OnceCell<Option<Regex>>,
    groups: usize,
    /// Group names by index (index 0 is the whole match).
    names: Vec<Option<String>>,
}

impl NativeObject for PatternObj {
    fn type_name(&self) -> &str {
        "re.Pattern"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn repr(&self, vm: &mut Vm) -> Res<Option<String>> {
        let p = vm.repr(&self.pattern)?;
        let f = self.flags & !U;
        if f == 0 {
            return Ok(Some(format!("re.compile({p})")));
        }
        let mut parts = Vec::new();
        for (bit, name) in [
            (I, "re.IGNORECASE"),
            (L, "re.LOCALE"),
            (M, "re.MULTILINE"),
            (S, "re.DOTALL"),
            (X, "re.VERBOSE"),
            (A, "re.ASCII"),
        ] {
            if f & bit != 0 {
                parts.push(name);
            }
        }
        Ok(Some(format!("re.compile({p}, {})", parts.join("|"))))
    }
    fn getattr(&self, vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "pattern" => Some(self.pattern.clone()),
            "flags" => Some(Value::Int(self.flags)),
            "groups" => Some(Value::Int(self.groups as i64)),
            "groupindex" => {
                let d = Value::dict(crate::vm::dict::Dict::new());
                if let Value::Dict(dd) = &d {
                    for (i, n) in self.names.iter().enumerate() {
                        if let Some(n) = n {
                            vm.dict_set(dd, Value::str(n), Value::Int(i as i64))?;
                        }
                    }
                }
                Some(d)
            }
            _ => None,
        })
    }
}

thread_local! {
    static CACHE: RefCell<HashMap<(String, i64), Value>> = RefCell::new(HashMap::new());
}

fn build(src: &str) -> Result<Regex, String> {
    fancy_regex::RegexBuilder::new(src)
        .backtrack_limit(50_000_000)
        .build()
        .map_err(|e| e.to_string())
}

fn compile(vm: &mut Vm, pat: &Value, flags: i64) -> Res<Value> {
    if downcast::<PatternObj>(pat).is_some() {
        if flags != 0 {
            return Err(Error::value_error(
                "cannot process flags argument with a compiled pattern",
            ));
        }
        return Ok(pat.clone());
    }
    let text = match pat {
        Value::Str(s) => s.clone(),
        Value::Bytes(_) => {
            return Err(Error::type_error("bytes patterns are not supported"));
        }
        other => {
            return Err(Error::type_error(format!(
                "first argument must be string or compiled pattern, not {}",
                other.type_name()
            )))
        }
    };
    let key = (text.as_str().to_string(), flags);
    if let Some(v) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(v);
    }
    let t = match translate(text.as_str(), flags) {
        Ok(t) => t,
        Err(msg) => return Err(re_error(vm, msg)),
    };
    let mut prefix = String::new();
    for (bit, ch) in [(I, 'i'), (M, 'm'), (S, 's')] {
        if t.flags & bit != 0 {
            prefix.push(ch);
        }
    }
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("(?{prefix})")
    };
    let search = match build(&format!("{prefix}{}", t.body)) {
        Ok(r) => r,
        Err(msg) => return Err(re_error(vm, msg)),
    };
    let names: Vec<Option<String>> = search
        .capture_names()
        .map(|n| n.map(|s| s.to_string()))
        .collect();
    let groups = search.captures_len().saturating_sub(1);
    let cls = pattern_class(vm);
    let v = Value::object(PatternObj {
        cls,
        pattern: Value::Str(text),
        flags: t.flags | U,
        body: t.body,
        prefix,
        search,
        anchored: OnceCell::new(),
        full_anchored: OnceCell::new(),
        full_search: OnceCell::new(),
        groups,
        names,
    });
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 512 {
            c.clear();
        }
        c.insert(key, v.clone());
    });
    Ok(v)
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Search,
    Match,
    Full,
}

type Spans = Vec<Option<(usize, usize)>>;

impl PatternObj {
    fn variant<'a>(
        &self,
        cell: &'a OnceCell<Option<Regex>>,
        src: impl FnOnce() -> String,
    ) -> Option<&'a Regex> {
        cell.get_or_init(|| build(&src()).ok()).as_ref()
    }

    /// Byte spans of the groups of the first match at or after [pos].
    fn find(&self, text: &str, pos: usize, mode: Mode) -> Res<Option<Spans>> {
        let re = match (mode, pos == 0) {
            (Mode::Search, _) => &self.search,
            (Mode::Match, true) => self
                .variant(&self.anchored, || {
                    format!("{}\\A(?:{})", self.prefix, self.body)
                })
                .unwrap_or(&self.search),
            (Mode::Match, false) => &self.search,
            (Mode::Full, true) => self
                .variant(&self.full_anchored, || {
                    format!("{}\\A(?:{})\\z", self.prefix, self.body)
                })
                .unwrap_or(&self.search),
            (Mode::Full, false) => self
                .variant(&self.full_search, || {
                    format!("{}(?:{})\\z", self.prefix, self.body)
                })
                .unwrap_or(&self.search),
        };
        let caps = re
            .captures_from_pos(text, pos)
            .map_err(|e| Error::runtime_error(format!("regular expression failed: {e}")))?;
        let Some(caps) = caps else { return Ok(None) };
        let spans: Spans = (0..=self.groups)
            .map(|g| caps.get(g).map(|m| (m.start(), m.end())))
            .collect();
        if mode != Mode::Search {
            match spans[0] {
                Some((s, e)) if s == pos && (mode != Mode::Full || e == text.len()) => {}
                _ => return Ok(None),
            }
        }
        Ok(Some(spans))
    }
}

fn pat_of(v: &Value) -> Res<&PatternObj> {
    downcast::<PatternObj>(v)
        .ok_or_else(|| Error::type_error("descriptor requires a 're.Pattern' object"))
}

// ---------------------------------------------------------------------
// Match objects.

pub struct MatchObj {
    cls: Rc<ClassObj>,
    re: Value,
    string: Rc<StrObj>,
    /// Char spans and byte spans per group.
    spans: Spans,
    bspans: Spans,
    pos: usize,
    endpos: usize,
}

impl NativeObject for MatchObj {
    fn type_name(&self) -> &str {
        "re.Match"
    }
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        Some(self.cls.clone())
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.re);
    }
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        let (s, e) = self.spans[0].unwrap_or((0, 0));
        let text = self.group_str(0).unwrap_or_default();
        Ok(Some(format!(
            "<re.Match object; span=({s}, {e}), match={}>",
            crate::vm::repr::str_repr(&text)
        )))
    }
    fn getattr(&self, vm: &mut Vm, name: &str) -> Res<Option<Value>> {
        Ok(match name {
            "string" => Some(Value::Str(self.string.clone())),
            "re" => Some(self.re.clone()),
            "pos" => Some(Value::Int(self.pos as i64)),
            "endpos" => Some(Value::Int(self.endpos as i64)),
            "lastindex" => Some(match self.lastindex() {
                Some(i) => Value::Int(i as i64),
                None => Value::None,
            }),
            "lastgroup" => Some(
                match self.lastindex().and_then(|i| {
                    pat_of(&self.re)
                        .ok()
                        .and_then(|p| p.names.get(i).cloned().flatten())
                }) {
                    Some(n) => Value::string(n),
                    None => Value::None,
                },
            ),
            "regs" => {
                let items = self
                    .spans
                    .iter()
                    .map(|s| {
                        let (a, b) = s.map(|(a, b)| (a as i64, b as i64)).unwrap_or((-1, -1));
                        Value::tuple(vec![Value::Int(a), Value::Int(b)])
                    })
                    .collect();
                let _ = vm;
                Some(Value::tuple(items))
            }
            _ => None,
        })
    }
}

impl MatchObj {
    fn group_str(&self, g: usize) -> Option<String> {
        let (s, e) = (*self.bspans.get(g)?)?;
        self.string.as_str().get(s..e).map(|t| t.to_string())
    }
    fn group_value(&self, g: usize, default: &Value) -> Value {
        match self.group_str(g) {
            Some(s) => Value::string(s),
            None => default.clone(),
        }
    }
    fn lastindex(&self) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (i, s) in self.spans.iter().enumerate().skip(1) {
            if let Some((_, e)) = s {
                if best.map(|(_, be)| *e > be).unwrap_or(true) {
                    best = Some((i, *e));
                }
            }
        }
        best.map(|(i, _)| i)
    }
    fn group_index(&self, v: &Value) -> Res<usize> {
        let idx = match v {
            Value::Int(i) if *i >= 0 && (*i as usize) < self.spans.len() => Some(*i as usize),
            Value::Bool(b) => Some(*b as usize),
            Value::Str(s) => pat_of(&self.re).ok().and_then(|p| {
                p.names
                    .iter()
                    .position(|n| n.as_deref() == Some(s.as_str()))
            }),
            _ => None,
        };
        idx.ok_or_else(|| Error::index_error("no such group"))
    }
}

fn make_match(
    vm: &mut Vm,
    re: &Value,
    string: &Rc<StrObj>,
    bspans: Spans,
    pos: usize,
    endpos: usize,
    cp: &mut CharPos,
) -> Value {
    let spans = bspans
        .iter()
        .map(|s| s.map(|(a, b)| (cp.at(a), cp.at(b))))
        .collect();
    let cls = match_class(vm);
    Value::object(MatchObj {
        cls,
        re: re.clone(),
        string: string.clone(),
        spans,
        bspans,
        pos,
        endpos,
    })
}

fn match_of(v: &Value) -> Res<&MatchObj> {
    downcast::<MatchObj>(v)
        .ok_or_else(|| Error::type_error("descriptor requires a 're.Match' object"))
}

fn m_group(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let m = match_of(&args[0])?;
    match args.len() {
        1 => Ok(m.group_value(0, &Value::None)),
        2 => {
            let g = m.group_index(&args[1])?;
            Ok(m.group_value(g, &Value::None))
        }
        _ => {
            let mut out = Vec::new();
            for a in &args[1..] {
                let g = m.group_index(a)?;
                out.push(m.group_value(g, &Value::None));
            }
            Ok(Value::tuple(out))
        }
    }
}

fn m_getitem(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__getitem__", args, 2, 2)?;
    let m = match_of(&args[0])?;
    let g = m.group_index(&args[1])?;
    Ok(m.group_value(g, &Value::None))
}

fn m_groups(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let m = match_of(&args[0])?;
    let default = arg_or_kw(args, kw, 1, "default")
        .cloned()
        .unwrap_or(Value::None);
    Ok(Value::tuple(
        (1..m.spans.len())
            .map(|g| m.group_value(g, &default))
            .collect(),
    ))
}

fn m_groupdict(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let m = match_of(&args[0])?;
    let default = arg_or_kw(args, kw, 1, "default")
        .cloned()
        .unwrap_or(Value::None);
    let names = pat_of(&m.re)?.names.clone();
    let d = Value::dict(crate::vm::dict::Dict::new());
    if let Value::Dict(dd) = &d {
        for (i, n) in names.iter().enumerate() {
            if let Some(n) = n {
                let v = m.group_value(i, &default);
                vm.dict_set(dd, Value::str(n), v)?;
            }
        }
    }
    Ok(d)
}

fn span_of(args: &[Value]) -> Res<(i64, i64)> {
    let m = match_of(&args[0])?;
    let g = match args.get(1) {
        Some(v) => m.group_index(v)?,
        None => 0,
    };
    Ok(match m.spans[g] {
        Some((a, b)) => (a as i64, b as i64),
        None => (-1, -1),
    })
}

fn m_start(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int(span_of(args)?.0))
}

fn m_end(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(Value::Int(span_of(args)?.1))
}

fn m_span(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let (a, b) = span_of(args)?;
    Ok(Value::tuple(vec![Value::Int(a), Value::Int(b)]))
}

fn m_expand(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("expand", args, 2, 2)?;
    let m = match_of(&args[0])?;
    let t = str_arg(&args[1], "expand() argument")?;
    let p = pat_of(&m.re)?;
    let parts = parse_template(vm, t.as_str(), p)?;
    let mut out = String::new();
    for part in &parts {
        match part {
            TPart::Lit(s) => out.push_str(s),
            TPart::Group(g) => out.push_str(&m.group_str(*g).unwrap_or_default()),
        }
    }
    Ok(Value::string(out))
}

// ---------------------------------------------------------------------
// Replacement templates.

enum TPart {
    Lit(String),
    Group(usize),
}

fn parse_template(vm: &mut Vm, t: &str, p: &PatternObj) -> Res<Vec<TPart>> {
    let chars: Vec<char> = t.chars().collect();
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let bad_group = |vm: &mut Vm, g: &str, pos: usize| {
        re_error(vm, format!("invalid group reference {g} at position {pos}"))
    };
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' {
            lit.push(c);
            i += 1;
            continue;
        }
        let Some(&e) = chars.get(i + 1) else {
            return Err(re_error(
                vm,
                format!("bad escape (end of pattern) at position {i}"),
            ));
        };
        let start = i;
        i += 2;
        match e {
            'g' => {
                if chars.get(i) != Some(&'<') {
                    return Err(re_error(vm, format!("missing < at position {}", i)));
                }
                let mut j = i + 1;
                let mut name = String::new();
                while j < chars.len() && chars[j] != '>' {
                    name.push(chars[j]);
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(re_error(
                        vm,
                        format!("missing >, unterminated name at position {}", i + 1),
                    ));
                }
                let g = if !name.is_empty() && name.chars().all(|c| c.is_ascii_digit()) {
                    let g: usize = name.parse().unwrap_or(usize::MAX);
                    if g > p.groups {
                        return Err(bad_group(vm, &name, i + 1));
                    }
                    g
                } else {
                    match p
                        .names
                        .iter()
                        .position(|n| n.as_deref() == Some(name.as_str()))
                    {
                        Some(g) => g,
                        None => {
                            if name.is_empty() {
                                return Err(re_error(
                                    vm,
                                    format!("missing group name at position {}", i + 1),
                                ));
                            }
                            let e = Error::index_error(format!("unknown group name '{name}'"));
                            return Err(e);
                        }
                    }
                };
                if !lit.is_empty() {
                    parts.push(TPart::Lit(std::mem::take(&mut lit)));
                }
                parts.push(TPart::Group(g));
                i = j + 1;
            }
            '0'..='9' => {
                if e == '0'
                    || (chars.get(i).is_some_and(|d| ('0'..='7').contains(d))
                        && chars.get(i + 1).is_some_and(|d| ('0'..='7').contains(d))
                        && e <= '7')
                {
                    let (v, len) = octal(&chars, i - 1);
                    i = i - 1 + len;
                    lit.push(char::from_u32(v).unwrap_or('\0'));
                    continue;
                }
                let mut num = String::from(e);
                if let Some(&d) = chars.get(i) {
                    if d.is_ascii_digit() {
                        num.push(d);
                        i += 1;
                    }
                }
                let g: usize = num.parse().unwrap_or(usize::MAX);
                if g > p.groups {
                    return Err(bad_group(vm, &num, start + 1));
                }
                if !lit.is_empty() {
                    parts.push(TPart::Lit(std::mem::take(&mut lit)));
                }
                parts.push(TPart::Group(g));
            }
            'n' => lit.push('\n'),
            't' => lit.push('\t'),
            'r' => lit.push('\r'),
            'f' => lit.push('\x0c'),
            'v' => lit.push('\x0b'),
            'a' => lit.push('\x07'),
            'b' => lit.push('\x08'),
            '\\' => lit.push('\\'),
            e if e.is_ascii_alphabetic() => {
                return Err(re_error(
                    vm,
                    format!("bad escape \\{e} at position {start}"),
                ));
            }
            e => {
                lit.push('\\');
                lit.push(e);
            }
        }
    }
    if !lit.is_empty() {
        parts.push(TPart::Lit(lit));
    }
    Ok(parts)
}

// ---------------------------------------------------------------------
// Operations.

/// (string, byte pos, byte endpos-truncated text length, char pos, char endpos)
struct Target {
    s: Rc<StrObj>,
    bpos: usize,
    bend: usize,
    pos: usize,
    endpos: usize,
}

fn target(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], si: usize) -> Res<Target> {
    let Some(sv) = arg_or_kw(args, kw, si, "string") else {
        return Err(Error::type_error(
            "missing required argument 'string' (pos 1)",
        ));
    };
    let s = match sv {
        Value::Str(s) => s.clone(),
        other => match crate::vm::ops::payload_of(other) {
            Some(Value::Str(s)) => s,
            _ => {
                return Err(Error::type_error(format!(
                    "expected string or bytes-like object, got '{}'",
                    other.type_name()
                )))
            }
        },
    };
    let n = s.char_len() as i64;
    let clamp = |v: i64| -> usize {
        if v < 0 {
            0
        } else {
            v.min(n) as usize
        }
    };
    let pos = clamp(int_arg(vm, args, kw, si + 1, "pos")?.unwrap_or(0));
    let endpos = clamp(int_arg(vm, args, kw, si + 2, "endpos")?.unwrap_or(n));
    let bpos = byte_of_char(s.as_str(), pos);
    let bend = byte_of_char(s.as_str(), endpos);
    Ok(Target {
        s,
        bpos,
        bend,
        pos,
        endpos,
    })
}

fn do_match(
    vm: &mut Vm,
    pv: &Value,
    args: &[Value],
    kw: &[(Sym, Value)],
    si: usize,
    mode: Mode,
) -> Res<Value> {
    let t = target(vm, args, kw, si)?;
    let p = pat_of(pv)?;
    let text = t.s.as_str().get(..t.bend).unwrap_or("");
    if t.bpos > t.bend {
        return Ok(Value::None);
    }
    match p.find(text, t.bpos, mode)? {
        Some(spans) => {
            let mut cp = CharPos::new(t.s.as_str());
            Ok(make_match(vm, pv, &t.s, spans, t.pos, t.endpos, &mut cp))
        }
        None => Ok(Value::None),
    }
}

/// Every match from [bpos], with Python's rules for empty matches.
fn all_matches(
    p: &PatternObj,
    text: &str,
    bpos: usize,
    limit: usize,
    mut f: impl FnMut(Spans) -> Res<()>,
) -> Res<()> {
    let mut pos = bpos;
    let mut last_empty: Option<usize> = None;
    let mut count = 0;
    while pos <= text.len() && (limit == 0 || count < limit) {
        let Some(spans) = p.find(text, pos, Mode::Search)? else {
            break;
        };
        let (s, e) = spans[0].unwrap_or((pos, pos));
        if s == e && last_empty == Some(s) {
            if s >= text.len() {
                break;
            }
            pos = s + text[s..].chars().next().map(|c| c.len_utf8()).unwrap_or(1);
            last_empty = None;
            continue;
        }
        f(spans)?;
        count += 1;
        last_empty = if s == e { Some(e) } else { None };
        pos = e;
    }
    Ok(())
}

fn do_findall(
    vm: &mut Vm,
    pv: &Value,
    args: &[Value],
    kw: &[(Sym, Value)],
    si: usize,
) -> Res<Value> {
    let t = target(vm, args, kw, si)?;
    let p = pat_of(pv)?;
    let text = t.s.as_str().get(..t.bend).unwrap_or("");
    let mut out = Vec::new();
    let groups = p.groups;
    let get = |sp: &Option<(usize, usize)>| -> Value {
        match sp {
            Some((a, b)) => Value::str(text.get(*a..*b).unwrap_or("")),
            None => Value::str(""),
        }
    };
    all_matches(p, text, t.bpos, 0, |spans| {
        out.push(match groups {
            0 => get(&spans[0]),
            1 => get(&spans[1]),
            _ => Value::tuple(spans[1..].iter().map(get).collect()),
        });
        Ok(())
    })?;
    Ok(Value::list(out))
}

fn do_finditer(
    vm: &mut Vm,
    pv: &Value,
    args: &[Value],
    kw: &[(Sym, Value)],
    si: usize,
) -> Res<Value> {
    let t = target(vm, args, kw, si)?;
    let p = pat_of(pv)?;
    let text = t.s.as_str().get(..t.bend).unwrap_or("");
    let mut found = Vec::new();
    all_matches(p, text, t.bpos, 0, |spans| {
        found.push(spans);
        Ok(())
    })?;
    let mut cp = CharPos::new(t.s.as_str());
    let mut ms = Vec::with_capacity(found.len());
    for spans in found {
        ms.push(make_match(vm, pv, &t.s, spans, t.pos, t.endpos, &mut cp));
    }
    let list = Value::list(ms);
    vm.get_iter(&list)
}

fn do_sub(
    vm: &mut Vm,
    pv: &Value,
    args: &[Value],
    kw: &[(Sym, Value)],
    si: usize,
    with_count: bool,
) -> Res<Value> {
    let Some(repl) = arg_or_kw(args, kw, si, "repl").cloned() else {
        return Err(Error::type_error(
            "sub() missing required argument 'repl' (pos 1)",
        ));
    };
    let Some(sv) = arg_or_kw(args, kw, si + 1, "string").cloned() else {
        return Err(Error::type_error(
            "sub() missing required argument 'string' (pos 2)",
        ));
    };
    let count = int_arg(vm, args, kw, si + 2, "count")?.unwrap_or(0).max(0) as usize;
    let s = str_arg(&sv, "expected string or bytes-like object, got").map_err(|_| {
        Error::type_error(format!(
            "expected string or bytes-like object, got '{}'",
            sv.type_name()
        ))
    })?;
    let p = pat_of(pv)?;
    let text = s.as_str();
    let template = match &repl {
        Value::Str(r) => Some(if r.as_str().contains('\\') {
            parse_template(vm, r.as_str(), p)?
        } else {
            vec![TPart::Lit(r.as_str().to_string())]
        }),
        _ => None,
    };
    let mut found = Vec::new();
    all_matches(p, text, 0, count, |spans| {
        found.push(spans);
        Ok(())
    })?;
    let n = found.len();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut cp = CharPos::new(text);
    for spans in found {
        let (a, b) = spans[0].unwrap_or((last, last));
        out.push_str(text.get(last..a).unwrap_or(""));
        match &template {
            Some(parts) => {
                for part in parts {
                    match part {
                        TPart::Lit(l) => out.push_str(l),
                        TPart::Group(g) => {
                            if let Some(Some((x, y))) = spans.get(*g) {
                                out.push_str(text.get(*x..*y).unwrap_or(""));
                            }
                        }
                    }
                }
            }
            None => {
                let endpos = s.char_len();
                let m = make_match(vm, pv, &s, spans, 0, endpos, &mut cp);
                let r = vm.call(&repl, &[m], &[])?;
                match &r {
                    Value::Str(r) => out.push_str(r.as_str()),
                    other => {
                        return Err(Error::type_error(format!(
                            "expected str instance, {} found",
                            other.type_name()
                        )))
                    }
                }
            }
        }
        last = b;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    let r = Value::string(out);
    Ok(if with_count {
        Value::tuple(vec![r, Value::Int(n as i64)])
    } else {
        r
    })
}

fn do_split(vm: &mut Vm, pv: &Value, args: &[Value], kw: &[(Sym, Value)], si: usize) -> Res<Value> {
    let Some(sv) = arg_or_kw(args, kw, si, "string").cloned() else {
        return Err(Error::type_error(
            "split() missing required argument 'string' (pos 1)",
        ));
    };
    let maxsplit = int_arg(vm, args, kw, si + 1, "maxsplit")?.unwrap_or(0);
    let s = str_arg(&sv, "string").map_err(|_| {
        Error::type_error(format!(
            "expected string or bytes-like object, got '{}'",
            sv.type_name()
        ))
    })?;
    let p = pat_of(pv)?;
    let text = s.as_str();
    let mut out = Vec::new();
    let mut last = 0;
    if maxsplit >= 0 {
        all_matches(p, text, 0, maxsplit as usize, |spans| {
            let (a, b) = spans[0].unwrap_or((last, last));
            out.push(Value::str(text.get(last..a).unwrap_or("")));
            for g in &spans[1..] {
                out.push(match g {
                    Some((x, y)) => Value::str(text.get(*x..*y).unwrap_or("")),
                    None => Value::None,
                });
            }
            last = b;
            Ok(())
        })?;
    }
    out.push(Value::str(text.get(last..).unwrap_or("")));
    Ok(Value::list(out))
}

// Module-level functions: (pattern, string, flags).

fn flags_arg(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], i: usize) -> Res<i64> {
    Ok(int_arg(vm, args, kw, i, "flags")?.unwrap_or(0))
}

fn pattern_arg(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)], flags_at: usize) -> Res<Value> {
    let Some(p) = arg_or_kw(args, kw, 0, "pattern").cloned() else {
        return Err(Error::type_error(
            "missing required argument 'pattern' (pos 1)",
        ));
    };
    let f = flags_arg(vm, args, kw, flags_at)?;
    compile(vm, &p, f)
}

fn only(kw: &[(Sym, Value)], skip: &[&str]) -> Vec<(Sym, Value)> {
    kw.iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .cloned()
        .collect()
}

fn re_compile(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("compile", args, 1, 2)?;
    pattern_arg(vm, args, kw, 1)
}

fn re_match(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("match", args, 1, 3)?;
    let p = pattern_arg(vm, args, kw, 2)?;
    let a = args.get(..2).unwrap_or(args);
    do_match(vm, &p, a, &only(kw, &["flags", "pattern"]), 1, Mode::Match)
}

fn re_fullmatch(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("fullmatch", args, 1, 3)?;
    let p = pattern_arg(vm, args, kw, 2)?;
    let a = args.get(..2).unwrap_or(args);
    do_match(vm, &p, a, &only(kw, &["flags", "pattern"]), 1, Mode::Full)
}

fn re_search(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("search", args, 1, 3)?;
    let p = pattern_arg(vm, args, kw, 2)?;
    let a = args.get(..2).unwrap_or(args);
    do_match(vm, &p, a, &only(kw, &["flags", "pattern"]), 1, Mode::Search)
}

fn re_findall(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("findall", args, 1, 3)?;
    let p = pattern_arg(vm, args, kw, 2)?;
    let a = args.get(..2).unwrap_or(args);
    do_findall(vm, &p, a, &only(kw, &["flags", "pattern"]), 1)
}

fn re_finditer(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("finditer", args, 1, 3)?;
    let p = pattern_arg(vm, args, kw, 2)?;
    let a = args.get(..2).unwrap_or(args);
    do_finditer(vm, &p, a, &only(kw, &["flags", "pattern"]), 1)
}

fn re_sub(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("sub", args, 1, 5)?;
    let p = pattern_arg(vm, args, kw, 4)?;
    let a = args.get(..4).unwrap_or(args);
    do_sub(vm, &p, a, &only(kw, &["flags", "pattern"]), 1, false)
}

fn re_subn(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("subn", args, 1, 5)?;
    let p = pattern_arg(vm, args, kw, 4)?;
    let a = args.get(..4).unwrap_or(args);
    do_sub(vm, &p, a, &only(kw, &["flags", "pattern"]), 1, true)
}

fn re_split(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("split", args, 1, 4)?;
    let p = pattern_arg(vm, args, kw, 3)?;
    let a = args.get(..3).unwrap_or(args);
    do_split(vm, &p, a, &only(kw, &["flags", "pattern"]), 1)
}

fn re_escape(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("escape", args, 1, 1)?;
    let s = str_arg(&args[0], "escape() argument")?;
    let mut out = String::with_capacity(s.as_str().len());
    for c in s.as_str().chars() {
        if "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(Value::string(out))
}

fn re_purge(_vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    CACHE.with(|c| c.borrow_mut().clear());
    Ok(Value::None)
}

// Pattern methods: self first, then the string.

fn pat_match(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let p = args[0].clone();
    do_match(vm, &p, args, kw, 1, Mode::Match)
}

fn pat_fullmatch(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let p = args[0].clone();
    do_match(vm, &p, args, kw, 1, Mode::Full)
}

fn pat_search(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let p = args[0].clone();
    do_match(vm, &p, args, kw, 1, Mode::Search)
}

fn pat_findall(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let p = args[0].clone();
    do_findall(vm, &p, args, kw, 1)
}

fn pat_finditer(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let p = args[0].clone();
    do_finditer(vm, &p, args, kw, 1)
}

fn pat_sub(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let p = args[0].clone();
    do_sub(vm, &p, args, kw, 1, false)
}

fn pat_subn(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let p = args[0].clone();
    do_sub(vm, &p, args, kw, 1, true)
}

fn pat_split(vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    let p = args[0].clone();
    do_split(vm, &p, args, kw, 1)
}

fn pat_eq(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("__eq__", args, 2, 2)?;
    let a = pat_of(&args[0])?;
    Ok(match downcast::<PatternObj>(&args[1]) {
        Some(b) => Value::bool(a.flags == b.flags && a.pattern.as_str() == b.pattern.as_str()),
        None => Value::Bool(Truth::False),
    })
}

fn pat_hash(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let a = pat_of(&args[0])?;
    let pattern = a.pattern.clone();
    let flags = a.flags;
    let h = vm.hash(&pattern)?;
    Ok(Value::Int((h as i64) ^ flags))
}
