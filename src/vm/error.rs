//! Errors as native code produces them. A native function can describe an
//! exception without touching the VM (`Error::type_error("...")`); the VM
//! turns it into an exception instance when it starts to unwind.

use super::value::Value;

/// The built-in exception types native code raises by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExcType {
    BaseException,
    Exception,
    TypeError,
    ValueError,
    KeyError,
    IndexError,
    AttributeError,
    NameError,
    UnboundLocalError,
    ZeroDivisionError,
    OverflowError,
    RuntimeError,
    RecursionError,
    NotImplementedError,
    StopIteration,
    AssertionError,
    ImportError,
    ModuleNotFoundError,
    OSError,
    FileNotFoundError,
    EOFError,
    MemoryError,
    UnicodeDecodeError,
    UnicodeEncodeError,
    LookupError,
    ArithmeticError,
    KeyboardInterrupt,
    SystemExit,
    GeneratorExit,
    SyntaxError,
    AtomicityError,
    TimeoutError,
    Interrupted,
    MicroThreadExit,
    EndOfPipe,
    DeadlockError,
}

impl ExcType {
    pub fn name(self) -> &'static str {
        use ExcType::*;
        match self {
            BaseException => "BaseException",
            Exception => "Exception",
            TypeError => "TypeError",
            ValueError => "ValueError",
            KeyError => "KeyError",
            IndexError => "IndexError",
            AttributeError => "AttributeError",
            NameError => "NameError",
            UnboundLocalError => "UnboundLocalError",
            ZeroDivisionError => "ZeroDivisionError",
            OverflowError => "OverflowError",
            RuntimeError => "RuntimeError",
            RecursionError => "RecursionError",
            NotImplementedError => "NotImplementedError",
            StopIteration => "StopIteration",
            AssertionError => "AssertionError",
            ImportError => "ImportError",
            ModuleNotFoundError => "ModuleNotFoundError",
            OSError => "OSError",
            FileNotFoundError => "FileNotFoundError",
            EOFError => "EOFError",
            MemoryError => "MemoryError",
            UnicodeDecodeError => "UnicodeDecodeError",
            UnicodeEncodeError => "UnicodeEncodeError",
            LookupError => "LookupError",
            ArithmeticError => "ArithmeticError",
            KeyboardInterrupt => "KeyboardInterrupt",
            SystemExit => "SystemExit",
            GeneratorExit => "GeneratorExit",
            SyntaxError => "SyntaxError",
            AtomicityError => "AtomicityError",
            TimeoutError => "TimeoutError",
            Interrupted => "Interrupted",
            MicroThreadExit => "MicroThreadExit",
            EndOfPipe => "EndOfPipe",
            DeadlockError => "DeadlockError",
        }
    }
}

/// An exception on its way up.
#[derive(Clone, Debug)]
pub enum Error {
    /// An exception instance already built (raised by a script, or
    /// re-raised).
    Raised(Value),
    /// A built-in exception still to be instantiated, with its message
    /// (None means no arguments, as `raise StopIteration`).
    New(ExcType, Option<String>),
    /// `StopIteration(value)` or `KeyError(key)`: a built-in exception
    /// whose single argument is a value rather than a message.
    WithValue(ExcType, Value),
    /// An AttributeError with the object and the name it was about
    /// (`e.obj`, `e.name`), boxed to keep `Error` small.
    Attribute(Box<AttributeInfo>),
    /// Not an exception: a switching primitive parked the running
    /// micro-thread, and the dispatch loop must return to the scheduler.
    Suspend,
}

pub type Res<T> = Result<T, Error>;

#[derive(Clone, Debug)]
pub struct AttributeInfo {
    pub msg: String,
    pub obj: Value,
    pub name: Value,
}

impl Error {
    pub fn new(t: ExcType, msg: impl Into<String>) -> Error {
        Error::New(t, Some(msg.into()))
    }
    pub fn type_error(msg: impl Into<String>) -> Error {
        Error::new(ExcType::TypeError, msg)
    }
    pub fn value_error(msg: impl Into<String>) -> Error {
        Error::new(ExcType::ValueError, msg)
    }
    pub fn index_error(msg: impl Into<String>) -> Error {
        Error::new(ExcType::IndexError, msg)
    }
    pub fn attribute_error(msg: impl Into<String>) -> Error {
        Error::new(ExcType::AttributeError, msg)
    }
    /// "... has no attribute 'name'" about [obj], carrying both for the
    /// exception's `obj` and `name`.
    pub fn no_attribute(msg: String, obj: &Value, name: &str) -> Error {
        Error::Attribute(Box::new(AttributeInfo {
            msg,
            obj: obj.clone(),
            name: Value::str(name),
        }))
    }
    pub fn runtime_error(msg: impl Into<String>) -> Error {
        Error::new(ExcType::RuntimeError, msg)
    }
    pub fn overflow_error(msg: impl Into<String>) -> Error {
        Error::new(ExcType::OverflowError, msg)
    }
    pub fn zero_division(msg: impl Into<String>) -> Error {
        Error::new(ExcType::ZeroDivisionError, msg)
    }
    pub fn key_error(key: Value) -> Error {
        Error::WithValue(ExcType::KeyError, key)
    }
    pub fn stop_iteration() -> Error {
        Error::New(ExcType::StopIteration, None)
    }
    pub fn memory_error(msg: impl Into<String>) -> Error {
        Error::new(ExcType::MemoryError, msg)
    }
    /// True when the error is a not-yet-built exception of type [t]
    /// (exact type; used by natives that catch, e.g. StopIteration).
    pub fn is_new(&self, t: ExcType) -> bool {
        match self {
            Error::New(k, _) | Error::WithValue(k, _) => *k == t,
            Error::Attribute(_) => t == ExcType::AttributeError,
            _ => false,
        }
    }
}
