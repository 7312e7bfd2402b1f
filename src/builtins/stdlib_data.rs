//! Native standard modules (data and OS side): re, json, os, io, array,
//! and the native half of collections. Each lives in a `mod_<name>.rs`;
//! this file dispatches on the module name and holds shared helpers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::{mod_array, mod_collections, mod_io, mod_json, mod_os, mod_re};
use crate::vm::error::{Error, Res};
use crate::vm::object::{Builtin, ClassObj, ModuleObj};
use crate::vm::value::{Sym, Value};
use crate::vm::Vm;

/// Creates module [name] if this file implements it.
pub fn create(vm: &mut Vm, name: &str) -> Res<Option<Rc<ModuleObj>>> {
    Ok(Some(match name {
        "re" => mod_re::create(vm),
        "json" => mod_json::create(vm),
        "_con" => super::mod_con::create(vm),
        "os" => mod_os::create(vm)?,
        "os.path" | "posixpath" => mod_os::create_path(vm),
        "io" => mod_io::create(vm),
        "array" => mod_array::create(vm),
        "_collections" => mod_collections::create(vm),
        _ => return Ok(None),
    }))
}

thread_local! {
    /// Classes of the native objects of these modules, created once.
    static CLASSES: RefCell<HashMap<&'static str, Rc<ClassObj>>> = RefCell::new(HashMap::new());
}

/// The class [key] (shown as `module.name`), created by [setup] on first
/// use. [base] defaults to `object`.
pub fn native_class(
    vm: &mut Vm,
    key: &'static str,
    module: &str,
    name: &str,
    base: Option<Rc<ClassObj>>,
    builtin: Builtin,
    setup: fn(&mut Vm, &Rc<ClassObj>),
) -> Rc<ClassObj> {
    if let Some(c) = CLASSES.with(|m| m.borrow().get(key).cloned()) {
        return c;
    }
    let base = base.unwrap_or_else(|| vm.types.object.clone());
    let c = crate::vm::types::new_class(name, vec![base], builtin, false);
    super::add_attr(vm, &c, "__module__", Value::str(module));
    setup(vm, &c);
    // A class with a native `__new__` and no `__init__` builds the native
    // object itself (StringIO), so it must be a native class; with an
    // `__init__` (deque), instantiation wraps the object as the payload
    // of an instance, which gets dunder dispatch and subclassing.
    let has = |vm: &mut Vm, n: &str| c.dict.borrow().contains_key(&vm.intern(n));
    let c = if builtin == Builtin::Object && has(vm, "__new__") && !has(vm, "__init__") {
        let n = crate::vm::types::new_class(name, c.bases.clone(), builtin, true);
        *n.dict.borrow_mut() = c.dict.borrow().clone();
        n
    } else {
        c
    };
    CLASSES.with(|m| m.borrow_mut().insert(key, c.clone()));
    c
}

/// The text of a str argument, or a TypeError naming [what].
pub fn str_arg(v: &Value, what: &str) -> Res<Rc<crate::vm::value::StrObj>> {
    match v {
        Value::Str(s) => Ok(s.clone()),
        Value::Instance(_) => match crate::vm::ops::payload_of(v) {
            Some(Value::Str(s)) => Ok(s),
            _ => Err(Error::type_error(format!(
                "{what} must be str, not {}",
                v.type_name()
            ))),
        },
        _ => Err(Error::type_error(format!(
            "{what} must be str, not {}",
            v.type_name()
        ))),
    }
}

/// Positional [i] or keyword [name], ignoring an explicit None.
pub fn opt_arg<'a>(
    args: &'a [Value],
    kw: &'a [(Sym, Value)],
    i: usize,
    name: &str,
) -> Option<&'a Value> {
    super::arg_or_kw(args, kw, i, name).filter(|v| !v.is_none())
}

/// An optional integer argument.
pub fn int_arg(
    vm: &mut Vm,
    args: &[Value],
    kw: &[(Sym, Value)],
    i: usize,
    name: &str,
) -> Res<Option<i64>> {
    match opt_arg(args, kw, i, name) {
        Some(v) => Ok(Some(vm.index_value(v)?)),
        None => Ok(None),
    }
}

/// Converts byte offsets of [text] to char offsets, fast for increasing
/// offsets and for ASCII text.
pub struct CharPos<'a> {
    text: &'a str,
    ascii: bool,
    byte: usize,
    chr: usize,
}

impl<'a> CharPos<'a> {
    pub fn new(text: &'a str) -> CharPos<'a> {
        CharPos {
            text,
            ascii: text.is_ascii(),
            byte: 0,
            chr: 0,
        }
    }
    pub fn at(&mut self, b: usize) -> usize {
        if self.ascii {
            return b;
        }
        if b < self.byte {
            self.byte = 0;
            self.chr = 0;
        }
        let b = b.min(self.text.len());
        self.chr += self
            .text
            .get(self.byte..b)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        self.byte = b;
        self.chr
    }
}

/// The byte offset of char index [c] in [text] (clamped to the end).
pub fn byte_of_char(text: &str, c: usize) -> usize {
    if text.is_ascii() {
        return c.min(text.len());
    }
    text.char_indices()
        .nth(c)
        .map(|(b, _)| b)
        .unwrap_or(text.len())
}

/// Defines the script functions in [src] (module-level `def`s that may
/// call the given natives) and returns them by name. The VM dispatches
/// rich comparisons only to script functions, so native classes wrap
/// their native comparison this way.
pub fn con_functions(
    vm: &mut Vm,
    src: &str,
    natives: &[(&str, Value)],
    names: &[&str],
) -> Res<Vec<Value>> {
    let code = vm.compile_module_source("<native helpers>", src.to_string())?;
    let m = vm.new_module("_native_helpers", None);
    for (n, v) in natives {
        m.set_str(n, v.clone());
    }
    vm.run_module_code(code, &m)?;
    names
        .iter()
        .map(|n| {
            m.get_str(n)
                .ok_or_else(|| Error::runtime_error(format!("helper {n} missing")))
        })
        .collect()
}

/// Source of the comparison wrappers used with [con_functions]: `_cmp`
/// takes (a, b, op) with op one of "==", "<", "<=", ">", ">=".
pub const CMP_WRAPPERS: &str = "
def __eq__(self, other):
    return _cmp(self, other, '==')
def __ne__(self, other):
    r = _cmp(self, other, '==')
    if r is NotImplemented:
        return r
    return not r
def __lt__(self, other):
    return _cmp(self, other, '<')
def __le__(self, other):
    return _cmp(self, other, '<=')
def __gt__(self, other):
    return _cmp(self, other, '>')
def __ge__(self, other):
    return _cmp(self, other, '>=')
";

/// Installs the comparison wrappers around native [cmp] into [class].
pub fn install_cmp(
    vm: &mut Vm,
    class: &Rc<ClassObj>,
    cmp: crate::vm::object::NativeFnPtr,
    ops: &[&str],
) {
    let f = super::native("_cmp", cmp);
    if let Ok(fs) = con_functions(vm, CMP_WRAPPERS, &[("_cmp", f)], ops) {
        for (n, v) in ops.iter().zip(fs) {
            super::add_attr(vm, class, n, v);
        }
    }
}
