//! Built-in functions, methods of the built-in types, and the native
//! standard modules. Each file registers its functions from `install`.

pub mod bytes_methods;
pub mod constructors;
pub mod dict_methods;
pub mod functions;
pub mod gen_methods;
pub mod instance_dict;
pub mod list_methods;
pub mod mod_array;
pub mod mod_collections;
pub mod mod_con;
pub mod mod_con_chan;
pub mod mod_con_sync;
pub mod mod_copy;
pub mod mod_functools;
pub mod mod_heapq;
pub mod mod_io;
pub mod mod_itertools;
pub mod mod_json;
pub mod mod_math;
pub mod mod_operator;
pub mod mod_os;
pub mod mod_random;
pub mod mod_re;
pub mod mod_string;
pub mod mod_time;
pub mod modules;
pub mod num_methods;
pub mod set_methods;
pub mod stdlib_data;
pub mod stdlib_num;
pub mod str_methods;

use std::rc::Rc;

use crate::vm::error::{Error, Res};
use crate::vm::object::{ClassObj, ModuleObj, NativeFn, NativeFnPtr, NativeKind};
use crate::vm::value::{Sym, Value};
use crate::vm::Vm;

/// A native function value.
pub fn native(name: &'static str, func: NativeFnPtr) -> Value {
    Value::Native(Rc::new(NativeFn {
        name,
        func,
        data: None,
        kind: NativeKind::Plain,
    }))
}

/// Registers [f] as `module.name`.
pub fn add_fn(vm: &mut Vm, module: &ModuleObj, name: &'static str, f: NativeFnPtr) {
    let sym = vm.intern(name);
    module.set(&sym, native(name, f));
}

/// Registers [f] as method [name] of [class] (it receives `self` first).
pub fn add_method(vm: &mut Vm, class: &Rc<ClassObj>, name: &'static str, f: NativeFnPtr) {
    let sym = vm.intern(name);
    class.dict.borrow_mut().insert(sym, native(name, f));
    crate::vm::object::classes_changed();
}

/// Sets a plain attribute on a class.
pub fn add_attr(vm: &mut Vm, class: &Rc<ClassObj>, name: &str, v: Value) {
    let sym = vm.intern(name);
    class.dict.borrow_mut().insert(sym, v);
    crate::vm::object::classes_changed();
}

/// Checks the positional argument count of a native function.
#[inline]
pub fn check_args(name: &str, args: &[Value], min: usize, max: usize) -> Res<()> {
    let n = args.len();
    if n >= min && n <= max {
        return Ok(());
    }
    Err(arity_error(name, n, min, max))
}

#[cold]
#[inline(never)]
fn arity_error(name: &str, n: usize, min: usize, max: usize) -> Error {
    Error::type_error(if min == max {
        match min {
            0 => format!("{name}() takes no arguments ({n} given)"),
            1 => format!("{name}() takes exactly one argument ({n} given)"),
            _ => format!("{name}() takes exactly {min} arguments ({n} given)"),
        }
    } else if n < min {
        format!(
            "{name}() takes at least {min} argument{} ({n} given)",
            if min == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "{name}() takes at most {max} argument{} ({n} given)",
            if max == 1 { "" } else { "s" }
        )
    })
}

/// Rejects keyword arguments for natives that take none.
#[inline]
pub fn no_kwargs(name: &str, kw: &[(Sym, Value)]) -> Res<()> {
    if kw.is_empty() {
        Ok(())
    } else {
        Err(no_kwargs_error(name))
    }
}

#[cold]
#[inline(never)]
fn no_kwargs_error(name: &str) -> Error {
    Error::type_error(format!("{name}() takes no keyword arguments"))
}

/// The value of keyword argument [name], if given.
pub fn kwarg<'a>(kw: &'a [(Sym, Value)], name: &str) -> Option<&'a Value> {
    kw.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
}

/// Positional argument [i], or keyword [name], or None.
pub fn arg_or_kw<'a>(
    args: &'a [Value],
    kw: &'a [(Sym, Value)],
    i: usize,
    name: &str,
) -> Option<&'a Value> {
    args.get(i).or_else(|| kwarg(kw, name))
}

/// Installs the builtins module and the methods of the built-in types.
pub fn install(vm: &mut Vm) {
    functions::install(vm);
    constructors::install(vm);
    str_methods::install(vm);
    bytes_methods::install(vm);
    list_methods::install(vm);
    dict_methods::install(vm);
    set_methods::install(vm);
    num_methods::install(vm);
    gen_methods::install(vm);
    mod_io::install_open(vm);
    instance_dict::install(vm);
    let b = vm.builtins.clone();
    // `next@(it)` may switch (a pipe, a non-atomic generator).
    if let Some(Value::Native(n)) = b.get_str("next") {
        b.set_str(
            "next",
            Value::Native(Rc::new(NativeFn {
                name: n.name,
                func: n.func,
                data: None,
                kind: NativeKind::Dual,
            })),
        );
    }
    for c in vm.types.exception_order.clone() {
        let name = c.name.clone();
        b.set(&name, Value::Class(c));
    }
    // What an AttributeError was about; the VM's own ones set both.
    let attribute_error = vm.types.exc_named("AttributeError");
    add_attr(vm, &attribute_error, "name", Value::None);
    add_attr(vm, &attribute_error, "obj", Value::None);
    b.set_str("IOError", Value::Class(vm.types.exc_named("OSError")));
    b.set_str(
        "EnvironmentError",
        Value::Class(vm.types.exc_named("OSError")),
    );
    b.set_str("NotImplemented", vm.types.not_implemented.clone());
    b.set_str("Ellipsis", vm.types.ellipsis.clone());
    b.set_str("__name__", Value::str("builtins"));
}

/// Creates a natively implemented module, if [name] is one.
pub fn native_module(vm: &mut Vm, name: &str) -> Res<Option<Value>> {
    modules::create(vm, name)
}

// The bundled `stdlib/` sources, generated by build.rs:
// `static BUNDLED: &[(&str, &str, &str, bool)]` of (module name, path
// shown in tracebacks, text, is_package).
include!(concat!(env!("OUT_DIR"), "/stdlib_bundle.rs"));

/// Source of a bundled standard module: (path, text, is_package).
pub fn bundled_source(name: &str) -> Option<(&'static str, &'static str, bool)> {
    BUNDLED
        .iter()
        .find(|(n, _, _, _)| *n == name)
        .map(|(_, p, t, pkg)| (*p, *t, *pkg))
}
