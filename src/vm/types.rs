//! The built-in classes: `object`, `type`, the value types and the
//! exception hierarchy. Methods are attached later by `builtins`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use super::error::ExcType;
use super::object::{Builtin, ClassObj};
use super::value::{new_symmap, StrObj, Value};

pub struct Types {
    pub object: Rc<ClassObj>,
    pub type_: Rc<ClassObj>,
    pub none: Rc<ClassObj>,
    pub bool_: Rc<ClassObj>,
    pub int: Rc<ClassObj>,
    pub float: Rc<ClassObj>,
    pub str_: Rc<ClassObj>,
    pub bytes: Rc<ClassObj>,
    pub bytearray: Rc<ClassObj>,
    pub list: Rc<ClassObj>,
    pub tuple: Rc<ClassObj>,
    pub dict: Rc<ClassObj>,
    pub set: Rc<ClassObj>,
    pub frozenset: Rc<ClassObj>,
    pub range: Rc<ClassObj>,
    pub slice: Rc<ClassObj>,
    pub function: Rc<ClassObj>,
    pub builtin_function: Rc<ClassObj>,
    pub method: Rc<ClassObj>,
    pub module: Rc<ClassObj>,
    pub generator: Rc<ClassObj>,
    pub cell: Rc<ClassObj>,
    pub code: Rc<ClassObj>,
    /// Fallback class of native objects that have none of their own.
    pub native: Rc<ClassObj>,
    pub base_exception: Rc<ClassObj>,
    /// Every built-in exception class by name.
    pub exceptions: HashMap<&'static str, Rc<ClassObj>>,
    /// Exception classes in definition order (for installing builtins).
    pub exception_order: Vec<Rc<ClassObj>>,
    /// The `NotImplemented` singleton.
    pub not_implemented: Value,
    /// The `Ellipsis` singleton.
    pub ellipsis: Value,
}

pub fn new_class(
    name: &str,
    bases: Vec<Rc<ClassObj>>,
    builtin: Builtin,
    native: bool,
) -> Rc<ClassObj> {
    let mut mro: Vec<Rc<ClassObj>> = Vec::new();
    // Built-in hierarchies are single-inheritance: the MRO is the chain.
    if let Some(b) = bases.first() {
        mro.push(b.clone());
        mro.extend(b.mro.iter().cloned());
    }
    let name = Rc::new(StrObj::new(name));
    Rc::new(ClassObj {
        qualname: RefCell::new(name.clone()),
        name,
        bases,
        mro,
        dict: RefCell::new(new_symmap()),
        builtin,
        is_native: native,
        metaclass: RefCell::new(None),
        version: Cell::new(0),
        custom_getattribute: Cell::new(false),
        plain_setattr: Cell::new(true),
        custom_setattr: Cell::new(false),
        lookup_cache: RefCell::new((0, new_symmap())),
        init_cache: RefCell::new((u64::MAX, None)),
        attrs_seen: Cell::new(0),
        slots: None,
    })
}

/// The exception tree: (name, parent name).
const EXCEPTIONS: &[(&str, &str)] = &[
    ("BaseException", ""),
    ("SystemExit", "BaseException"),
    ("KeyboardInterrupt", "BaseException"),
    ("GeneratorExit", "BaseException"),
    ("Interrupted", "BaseException"),
    ("MicroThreadExit", "BaseException"),
    ("Exception", "BaseException"),
    ("StopIteration", "Exception"),
    ("EndOfPipe", "StopIteration"),
    ("StopAsyncIteration", "Exception"),
    ("ArithmeticError", "Exception"),
    ("FloatingPointError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"),
    ("ZeroDivisionError", "ArithmeticError"),
    ("AssertionError", "Exception"),
    ("AttributeError", "Exception"),
    ("BufferError", "Exception"),
    ("EOFError", "Exception"),
    ("ImportError", "Exception"),
    ("ModuleNotFoundError", "ImportError"),
    ("LookupError", "Exception"),
    ("IndexError", "LookupError"),
    ("KeyError", "LookupError"),
    ("MemoryError", "Exception"),
    ("NameError", "Exception"),
    ("UnboundLocalError", "NameError"),
    ("OSError", "Exception"),
    ("BlockingIOError", "OSError"),
    ("ChildProcessError", "OSError"),
    ("ConnectionError", "OSError"),
    ("BrokenPipeError", "ConnectionError"),
    ("ConnectionAbortedError", "ConnectionError"),
    ("ConnectionRefusedError", "ConnectionError"),
    ("ConnectionResetError", "ConnectionError"),
    ("FileExistsError", "OSError"),
    ("FileNotFoundError", "OSError"),
    ("InterruptedError", "OSError"),
    ("IsADirectoryError", "OSError"),
    ("NotADirectoryError", "OSError"),
    ("PermissionError", "OSError"),
    ("ProcessLookupError", "OSError"),
    ("TimeoutError", "OSError"),
    ("ReferenceError", "Exception"),
    ("RuntimeError", "Exception"),
    ("NotImplementedError", "RuntimeError"),
    ("RecursionError", "RuntimeError"),
    ("AtomicityError", "RuntimeError"),
    ("DeadlockError", "RuntimeError"),
    ("SyntaxError", "Exception"),
    ("IndentationError", "SyntaxError"),
    ("TabError", "IndentationError"),
    ("SystemError", "Exception"),
    ("TypeError", "Exception"),
    ("ValueError", "Exception"),
    ("UnicodeError", "ValueError"),
    ("UnicodeDecodeError", "UnicodeError"),
    ("UnicodeEncodeError", "UnicodeError"),
    ("Warning", "Exception"),
    ("UserWarning", "Warning"),
    ("DeprecationWarning", "Warning"),
    ("RuntimeWarning", "Warning"),
];

impl Types {
    pub fn new() -> Types {
        let object = new_class("object", vec![], Builtin::Object, true);
        let sub = |name: &str, b: Builtin| new_class(name, vec![object.clone()], b, true);
        let int = sub("int", Builtin::Int);
        let bool_ = new_class("bool", vec![int.clone()], Builtin::Int, true);
        let mut exceptions: HashMap<&'static str, Rc<ClassObj>> = HashMap::new();
        let mut exception_order = Vec::new();
        for (name, parent) in EXCEPTIONS {
            let bases = if parent.is_empty() {
                vec![object.clone()]
            } else {
                vec![exceptions[parent].clone()]
            };
            let c = new_class(name, bases, Builtin::BaseException, true);
            exceptions.insert(name, c.clone());
            exception_order.push(c);
        }
        let native = sub("object", Builtin::Object);
        Types {
            type_: sub("type", Builtin::Object),
            none: sub("NoneType", Builtin::Object),
            float: sub("float", Builtin::Float),
            str_: sub("str", Builtin::Str),
            bytes: sub("bytes", Builtin::Bytes),
            bytearray: sub("bytearray", Builtin::Object),
            list: sub("list", Builtin::List),
            tuple: sub("tuple", Builtin::Tuple),
            dict: sub("dict", Builtin::Dict),
            set: sub("set", Builtin::Set),
            frozenset: sub("frozenset", Builtin::FrozenSet),
            range: sub("range", Builtin::Object),
            slice: sub("slice", Builtin::Object),
            function: sub("function", Builtin::Object),
            builtin_function: sub("builtin_function_or_method", Builtin::Object),
            method: sub("method", Builtin::Object),
            module: sub("module", Builtin::Object),
            generator: sub("generator", Builtin::Object),
            cell: sub("cell", Builtin::Object),
            code: sub("code", Builtin::Object),
            base_exception: exceptions["BaseException"].clone(),
            not_implemented: Value::object(Singleton("NotImplementedType", "NotImplemented")),
            ellipsis: Value::object(Singleton("ellipsis", "Ellipsis")),
            native,
            exceptions,
            exception_order,
            int,
            bool_,
            object,
        }
    }

    /// The class of a built-in exception type.
    pub fn exc(&self, t: ExcType) -> Rc<ClassObj> {
        self.exceptions
            .get(t.name())
            .cloned()
            .unwrap_or_else(|| self.base_exception.clone())
    }

    pub fn exc_named(&self, name: &str) -> Rc<ClassObj> {
        self.exceptions
            .get(name)
            .cloned()
            .unwrap_or_else(|| self.base_exception.clone())
    }
}

impl Default for Types {
    fn default() -> Self {
        Types::new()
    }
}

/// `NotImplemented` and `Ellipsis`: named singletons.
pub struct Singleton(pub &'static str, pub &'static str);

impl super::object::NativeObject for Singleton {
    fn type_name(&self) -> &str {
        self.0
    }
    fn repr(&self, _vm: &mut super::interp::Vm) -> super::error::Res<Option<String>> {
        Ok(Some(self.1.to_string()))
    }
}
