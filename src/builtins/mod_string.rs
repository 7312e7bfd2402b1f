//! The `string` module: the character-class constants and `capwords`.

use std::rc::Rc;

use super::{add_fn, arg_or_kw, check_args};
use crate::vm::error::{Error, Res};
use crate::vm::object::ModuleObj;
use crate::vm::value::*;
use crate::vm::Vm;

/// `str.capitalize` of one word: first char upper, the rest lower.
fn capitalize(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    let mut chars = w.chars();
    if let Some(c) = chars.next() {
        out.extend(c.to_uppercase());
    }
    for c in chars {
        out.extend(c.to_lowercase());
    }
    out
}

fn capwords(_vm: &mut Vm, args: &[Value], kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("capwords", args, 1, 2)?;
    let Value::Str(s) = &args[0] else {
        return Err(Error::type_error(format!(
            "descriptor 'split' for 'str' objects doesn't apply to a '{}' object",
            args[0].type_name()
        )));
    };
    let words: Vec<String> = match arg_or_kw(args, kw, 1, "sep") {
        None | Some(Value::None) => s
            .as_str()
            .split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .map(capitalize)
            .collect(),
        Some(Value::Str(sep)) => {
            if sep.as_str().is_empty() {
                return Err(Error::value_error("empty separator"));
            }
            let parts: Vec<String> = s.as_str().split(sep.as_str()).map(capitalize).collect();
            return Ok(Value::string(parts.join(sep.as_str())));
        }
        Some(v) => {
            return Err(Error::type_error(format!(
                "must be str or None, not {}",
                v.type_name()
            )))
        }
    };
    Ok(Value::string(words.join(" ")))
}

pub fn create(vm: &mut Vm) -> Rc<ModuleObj> {
    let m = vm.new_module("string", None);
    let lower = "abcdefghijklmnopqrstuvwxyz";
    let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let digits = "0123456789";
    let punct = r##"!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"##;
    let ws = " \t\n\r\x0b\x0c";
    m.set_str("ascii_lowercase", Value::str(lower));
    m.set_str("ascii_uppercase", Value::str(upper));
    m.set_str("ascii_letters", Value::string(format!("{lower}{upper}")));
    m.set_str("digits", Value::str(digits));
    m.set_str("hexdigits", Value::str("0123456789abcdefABCDEF"));
    m.set_str("octdigits", Value::str("01234567"));
    m.set_str("punctuation", Value::str(punct));
    m.set_str("whitespace", Value::str(ws));
    m.set_str(
        "printable",
        Value::string(format!("{digits}{lower}{upper}{punct}{ws}")),
    );
    add_fn(vm, &m, "capwords", capwords);
    m
}
