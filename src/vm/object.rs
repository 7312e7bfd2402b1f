//! Heap objects that are not plain containers: classes, instances,
//! functions, modules, generators and the trait for native objects.

use std::any::TypeId;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::error::Res;
pub use super::frame::GeneratorObj;
use super::gc::GcSlot;
use super::interp::Vm;
use super::value::{Sym, SymMap, Value};
use crate::bytecode::Code;

/// Which built-in type an instance's native state ([InstanceObj::payload])
/// belongs to, for user classes deriving from list, dict or exceptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Object,
    Int,
    Float,
    Str,
    List,
    Tuple,
    Dict,
    Set,
    FrozenSet,
    Bytes,
    BaseException,
}

/// A class: user-defined or one of the built-in types.
pub struct ClassObj {
    pub name: Sym,
    pub qualname: RefCell<Sym>,
    /// Direct bases, in declaration order.
    pub bases: Vec<Rc<ClassObj>>,
    /// The method resolution order without the class itself (to avoid a
    /// reference cycle); see [ClassObj::mro_iter].
    pub mro: Vec<Rc<ClassObj>>,
    /// Attributes defined in the class body.
    pub dict: RefCell<SymMap<Value>>,
    /// The built-in type whose native state instances carry.
    pub builtin: Builtin,
    /// True for `type` subclasses used as metaclasses (unsupported beyond
    /// construction) and for built-in types, whose dicts are frozen.
    pub is_native: bool,
    /// The metaclass if it is not `type`.
    pub metaclass: RefCell<Option<Rc<ClassObj>>>,
    /// Bumped whenever the class dict changes, so lookup caches know.
    pub version: Cell<u32>,
    /// Some class in the MRO defines `__getattribute__` in script code,
    /// so every attribute read must go through it.
    pub custom_getattribute: Cell<bool>,
    /// No class in the MRO defines `__setattr__` in script code or holds
    /// a data descriptor (property or `__set__`): `obj.x = v` can store
    /// straight into the instance dict.
    pub plain_setattr: Cell<bool>,
    /// Some class in the MRO defines `__setattr__` in script code.
    pub custom_setattr: Cell<bool>,
    /// Results of MRO lookups (hits and misses), valid while
    /// [CLASS_EPOCH] has the value recorded with them.
    pub lookup_cache: RefCell<(u64, SymMap<Option<Value>>)>,
    /// The `__init__` a call of the class runs as a plain frame after
    /// making a bare instance (see `Vm::plain_init`), valid while
    /// [CLASS_EPOCH] has the recorded value.
    pub init_cache: RefCell<(u64, Option<Rc<FunctionObj>>)>,
    /// The most attributes an instance has been seen to get: new
    /// instances' dicts start with that much room.
    pub attrs_seen: Cell<u32>,
    /// The attribute names instances may have, when this class and every
    /// base but `object` define `__slots__` (without `__dict__`).
    pub slots: Option<Box<[Sym]>>,
}

thread_local! {
    /// Bumped whenever any class dict changes after creation, which
    /// invalidates every class's lookup cache.
    pub static CLASS_EPOCH: Cell<u64> = const { Cell::new(0) };
}

/// Invalidates all class lookup caches (a class dict was modified).
pub fn classes_changed() {
    CLASS_EPOCH.with(|e| e.set(e.get() + 1));
}

impl ClassObj {
    /// Looks [name] up along the MRO (the class itself first).
    pub fn lookup(self: &Rc<Self>, name: &Sym) -> Option<Value> {
        if let Some(v) = self.dict.borrow().get(name) {
            return Some(v.clone());
        }
        if self.mro.is_empty() {
            return None;
        }
        let epoch = CLASS_EPOCH.with(|e| e.get());
        if let Ok(cache) = self.lookup_cache.try_borrow() {
            if cache.0 == epoch {
                if let Some(hit) = cache.1.get(name) {
                    return hit.clone();
                }
            }
        }
        let mut found = None;
        for c in &self.mro {
            if let Some(v) = c.dict.borrow().get(name) {
                found = Some(v.clone());
                break;
            }
        }
        if let Ok(mut cache) = self.lookup_cache.try_borrow_mut() {
            if cache.0 != epoch {
                cache.1.clear();
                cache.0 = epoch;
            }
            cache.1.insert(name.clone(), found.clone());
        }
        found
    }
    /// True when [self] is [other] or derives from it.
    pub fn is_subclass(&self, other: &ClassObj) -> bool {
        std::ptr::eq(self, other) || self.mro.iter().any(|c| std::ptr::eq(&**c, other))
    }
}

/// An instance of a user-defined class.
pub struct InstanceObj {
    pub gc: GcSlot,
    pub class: Rc<ClassObj>,
    pub dict: RefCell<SymMap<Value>>,
    /// Native state for instances of classes deriving from built-in types
    /// (the list of a list subclass, the traceback of an exception).
    pub payload: RefCell<Value>,
}

/// A script function: code plus the environment it closes over.
pub struct FunctionObj {
    pub gc: GcSlot,
    pub code: Rc<Code>,
    pub globals: Rc<ModuleObj>,
    /// Default values of the last positional parameters.
    pub defaults: Vec<Value>,
    /// Defaults of keyword-only parameters, aligned with the code's
    /// keyword-only names (Undef where there is none).
    pub kwdefaults: Vec<Value>,
    /// Cells of the free variables, in the code's freevar order.
    pub closure: Vec<Value>,
    pub name: RefCell<Sym>,
    pub qualname: RefCell<Sym>,
    /// Function attributes (`f.cache = ...`, `__wrapped__`, `__doc__`).
    pub dict: RefCell<Option<SymMap<Value>>>,
}

/// The signature of a function implemented in Rust. Positional arguments
/// come first (with `self` at index 0 for methods), then keyword pairs.
pub type NativeFnPtr = fn(&mut Vm, &[Value], &[(Sym, Value)]) -> Res<Value>;

/// A built-in function or method.
pub struct NativeFn {
    pub name: &'static str,
    pub func: NativeFnPtr,
    /// For a method, the data it is bound to by construction (used by
    /// natives that carry state, such as `functools.partial`).
    pub data: Option<Value>,
    /// Whether a call may switch micro-threads.
    pub kind: NativeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NativeKind {
    /// Never switches.
    Plain,
    /// A switching primitive (`idle`, `get`, `read`...): must be called
    /// as `f@(...)`.
    Switching,
    /// Works atomically, and may switch when called as `f@(...)`
    /// (`next`).
    Dual,
}

pub struct BoundMethodObj {
    pub gc: GcSlot,
    pub func: Value,
    pub receiver: Value,
}

/// A module: its name and global namespace. Globals live in slots so
/// that each code object can cache the slot of every global it names;
/// `index` maps names to slots and a deleted global leaves `Undef`.
pub struct ModuleObj {
    pub name: Sym,
    pub slots: RefCell<Vec<Value>>,
    pub index: RefCell<SymMap<u32>>,
    /// Path of the source file, if the module came from one.
    pub file: Option<Rc<str>>,
}

impl ModuleObj {
    pub fn new(name: Sym, file: Option<Rc<str>>) -> ModuleObj {
        ModuleObj {
            name,
            slots: RefCell::new(Vec::new()),
            index: RefCell::new(super::value::new_symmap()),
            file,
        }
    }
    /// The slot for [name], created (unbound) if missing.
    pub fn slot_of(&self, name: &Sym) -> u32 {
        if let Some(&s) = self.index.borrow().get(name) {
            return s;
        }
        let mut slots = self.slots.borrow_mut();
        let s = slots.len() as u32;
        slots.push(Value::Undef);
        self.index.borrow_mut().insert(name.clone(), s);
        s
    }
    pub fn get(&self, name: &Sym) -> Option<Value> {
        let s = *self.index.borrow().get(name)?;
        let v = self.slots.borrow()[s as usize].clone();
        if v.is_undef() {
            None
        } else {
            Some(v)
        }
    }
    pub fn get_str(&self, name: &str) -> Option<Value> {
        self.get(&super::value::intern(name))
    }
    pub fn set(&self, name: &Sym, v: Value) {
        let s = self.slot_of(name);
        self.slots.borrow_mut()[s as usize] = v;
    }
    pub fn set_str(&self, name: &str, v: Value) {
        self.set(&super::value::intern(name), v)
    }
    /// Bound names and values in definition order.
    pub fn items(&self) -> Vec<(Sym, Value)> {
        let slots = self.slots.borrow();
        let mut out: Vec<(u32, Sym)> = self
            .index
            .borrow()
            .iter()
            .map(|(k, &s)| (s, k.clone()))
            .collect();
        out.sort_by_key(|(s, _)| *s);
        out.into_iter()
            .filter(|(s, _)| !slots[*s as usize].is_undef())
            .map(|(s, k)| (k, slots[s as usize].clone()))
            .collect()
    }
}

/// A shared native object: a thin pointer to a boxed trait object (a
/// fat pointer would make every `Value` three words).
pub type NativeRef = Rc<NativeBox>;

/// A native object with its place in the cycle collector's registry.
pub struct NativeBox {
    pub gc: GcSlot,
    obj: Box<Typed<dyn NativeObject>>,
}

/// A native object after its type's id, so downcasts need no virtual
/// call. (The id lives in the boxed object, not in `NativeBox`: a larger
/// header moved every native object to another allocator size class.)
struct Typed<T: ?Sized> {
    type_id: TypeId,
    obj: T,
}

impl NativeBox {
    pub fn new<T: NativeObject>(obj: T) -> NativeBox {
        NativeBox {
            gc: GcSlot::new(),
            obj: Box::new(Typed {
                type_id: TypeId::of::<T>(),
                obj,
            }),
        }
    }

    /// The object as a [T], if it is one.
    #[inline(always)]
    pub fn downcast<T: NativeObject>(&self) -> Option<&T> {
        if self.obj.type_id == TypeId::of::<T>() {
            // SAFETY: the id was taken from the object's own type when the
            // box was made, so `obj` is a T.
            Some(unsafe { &*(&self.obj.obj as *const dyn NativeObject as *const T) })
        } else {
            None
        }
    }

    #[inline(always)]
    pub fn is<T: NativeObject>(&self) -> bool {
        self.obj.type_id == TypeId::of::<T>()
    }
}

impl std::ops::Deref for NativeBox {
    type Target = dyn NativeObject;
    fn deref(&self) -> &(dyn NativeObject + 'static) {
        &self.obj.obj
    }
}

/// A natively implemented object type (iterators, deque, StringIO, ...).
#[allow(clippy::len_without_is_empty)]
pub trait NativeObject: 'static {
    fn type_name(&self) -> &str;
    /// The class holding the object's methods, if it has any.
    fn class(&self, _vm: &Vm) -> Option<Rc<ClassObj>> {
        None
    }
    /// The iterator protocol: Some(value), or None when exhausted. Objects
    /// that are not iterators return Err(TypeError) from the default.
    fn next(&self, _vm: &mut Vm) -> Res<Option<Value>> {
        Err(super::error::Error::type_error(format!(
            "'{}' object is not an iterator",
            self.type_name()
        )))
    }
    fn is_iterator(&self) -> bool {
        false
    }
    /// Calls every contained value, for the cycle collector.
    fn traverse(&self, _f: &mut dyn FnMut(&Value)) {}
    /// Drops every contained value, to break a garbage cycle.
    fn clear(&self) {}
    /// `repr(obj)`; None uses the default `<type object>` form.
    fn repr(&self, _vm: &mut Vm) -> Res<Option<String>> {
        Ok(None)
    }
    /// `len(obj)`, if supported.
    fn len(&self) -> Option<usize> {
        None
    }
    /// `obj(*args, **kw)`.
    fn call(&self, _vm: &mut Vm, _args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
        Err(super::error::Error::type_error(format!(
            "'{}' object is not callable",
            self.type_name()
        )))
    }
    /// Data attributes (not methods) of the object, such as `maxlen`.
    fn getattr(&self, _vm: &mut Vm, _name: &str) -> Res<Option<Value>> {
        Ok(None)
    }
}

pub fn downcast<T: NativeObject>(v: &Value) -> Option<&T> {
    match v {
        Value::Object(o) => o.downcast::<T>(),
        _ => None,
    }
}
