//! The value representation: a 16-byte enum whose small scalars (None,
//! bools, 64-bit ints, floats) live inline and everything else is a
//! reference-counted pointer. Reference cycles are reclaimed by the cycle
//! collector in `gc.rs`.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use num_bigint::BigInt;

use super::dict::Dict;
use super::gc::GcSlot;
use super::object::*;

/// A script value.
///
/// `repr(C, u64)` makes the tag a whole word and puts every payload at
/// offset 8. Every payload is an integer or pointer word (bools and floats
/// are stored as words, see [Truth] and [FloatBits]), so rustc passes a
/// value as a pair of registers: the dispatch loop moves tag and payload in
/// general registers instead of copying 16-byte blocks through memory,
/// which stalled on store forwarding.
#[derive(Default)]
#[repr(C, u64)]
pub enum Value {
    /// The internal "no value" marker: an unbound local, an empty method
    /// slot on the operand stack, a deleted dict entry. Never visible to
    /// scripts.
    #[default]
    Undef,
    None,
    Bool(Truth),
    Int(i64),
    Float(FloatBits),
    BigInt(Rc<BigInt>),
    Str(Rc<StrObj>),
    Bytes(Rc<Vec<u8>>),
    ByteArray(Rc<RefCell<Vec<u8>>>),
    List(Rc<ListObj>),
    Tuple(Rc<TupleObj>),
    Dict(Rc<DictObj>),
    Set(Rc<SetObj>),
    FrozenSet(Rc<SetObj>),
    Range(Rc<RangeObj>),
    Slice(Rc<SliceObj>),
    Function(Rc<FunctionObj>),
    Native(Rc<NativeFn>),
    BoundMethod(Rc<BoundMethodObj>),
    Class(Rc<ClassObj>),
    Instance(Rc<InstanceObj>),
    Module(Rc<ModuleObj>),
    Generator(Rc<GeneratorObj>),
    Cell(Rc<CellObj>),
    /// A compiled code object (a constant of MakeFunction).
    Code(Rc<crate::bytecode::Code>),
    /// Iterators, StringIO, deque and other natively implemented objects
    /// (boxed twice so the pointer is thin and a value stays 16 bytes).
    Object(NativeRef),
}

/// A bool as a whole word (see [Value]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u64)]
pub enum Truth {
    False = 0,
    True = 1,
}

impl Truth {
    #[inline(always)]
    pub fn get(self) -> bool {
        self == Truth::True
    }
}

impl From<bool> for Truth {
    #[inline(always)]
    fn from(b: bool) -> Truth {
        if b {
            Truth::True
        } else {
            Truth::False
        }
    }
}

/// A float's bits as an integer word (see [Value]).
#[derive(Clone, Copy)]
#[repr(transparent)]
pub struct FloatBits(u64);

impl FloatBits {
    #[inline(always)]
    pub fn new(f: f64) -> FloatBits {
        FloatBits(f.to_bits())
    }

    #[inline(always)]
    pub fn get(self) -> f64 {
        f64::from_bits(self.0)
    }
}

impl fmt::Debug for FloatBits {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl Clone for Value {
    /// One branch instead of a jump over every variant: see [Value::incref].
    #[inline(always)]
    fn clone(&self) -> Value {
        self.incref();
        // SAFETY: the copy owns the reference incref just took (scalars
        // own nothing).
        unsafe { std::ptr::read(self) }
    }
}

/// The word of a heap value's allocation that holds its strong count.
///
/// Every non-scalar variant's payload is one `Rc`, which points at its
/// allocation, and std lays that out `repr(C)` with the strong count
/// first (`Rc::from_raw` depends on the same layout); the unit test
/// `value_incref_matches_rc` checks it.
#[inline(always)]
fn strong_count_word(v: &Value) -> &Cell<usize> {
    debug_assert!(!v.is_scalar());
    // SAFETY: `repr(C, u64)` puts the payload word at offset 8; for a
    // heap variant it is the Rc's pointer to its live allocation, whose
    // first word is the strong count (see above).
    unsafe {
        let words = v as *const Value as *const usize;
        &*(*words.add(1) as *const Cell<usize>)
    }
}

impl Value {
    #[inline(always)]
    pub fn bool(b: bool) -> Value {
        Value::Bool(Truth::from(b))
    }

    #[inline(always)]
    pub fn float(f: f64) -> Value {
        Value::Float(FloatBits::new(f))
    }

    /// Drops the value, settling the common cases inline: a scalar owns
    /// nothing, and a heap object with other references only needs its
    /// count lowered. Only a last reference goes through the drop glue.
    #[inline(always)]
    pub fn discard(self) {
        if self.is_scalar() {
            std::mem::forget(self);
            return;
        }
        let count = strong_count_word(&self);
        let n = count.get();
        if n > 1 {
            count.set(n - 1);
            std::mem::forget(self);
        } else {
            drop(self);
        }
    }

    /// Takes one more reference to the heap object, if any, without making
    /// a new value: the caller then copies the bits (see the VM's
    /// `push_copy_at`). Every heap variant holds an `Rc`, so this is one
    /// branch and an increment, however many variants there are.
    #[inline(always)]
    pub fn incref(&self) {
        if !self.is_scalar() {
            let count = strong_count_word(self);
            let n = count.get().wrapping_add(1);
            if n == 0 {
                // As Rc::clone does on overflow.
                std::process::abort();
            }
            count.set(n);
        }
    }
}

/// An immutable string with its hash and character count cached.
pub struct StrObj {
    pub s: Box<str>,
    hash: Cell<u64>,
    /// Number of chars, or usize::MAX while unknown.
    nchars: Cell<usize>,
    /// This is the interned symbol for its text: two interned strings are
    /// equal exactly when they are the same object.
    interned: Cell<bool>,
}

impl StrObj {
    pub fn new(s: impl Into<Box<str>>) -> StrObj {
        StrObj {
            s: s.into(),
            hash: Cell::new(0),
            nchars: Cell::new(usize::MAX),
            interned: Cell::new(false),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.s
    }
    #[inline]
    pub fn hash_code(&self) -> u64 {
        let h = self.hash.get();
        if h != 0 {
            return h;
        }
        let mut hasher = rustc_hash::FxHasher::default();
        self.s.as_bytes().hash(&mut hasher);
        let h = hasher.finish() | 1;
        self.hash.set(h);
        h
    }
    pub fn char_len(&self) -> usize {
        let n = self.nchars.get();
        if n != usize::MAX {
            return n;
        }
        let n = if self.s.is_ascii() {
            self.s.len()
        } else {
            self.s.chars().count()
        };
        self.nchars.set(n);
        n
    }
    pub fn is_ascii(&self) -> bool {
        self.char_len() == self.s.len()
    }
}

impl PartialEq for StrObj {
    fn eq(&self, other: &StrObj) -> bool {
        std::ptr::eq(self, other) || (self.hash_code() == other.hash_code() && self.s == other.s)
    }
}
impl Eq for StrObj {}
impl Hash for StrObj {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash_code());
    }
}
impl fmt::Debug for StrObj {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:?}", &*self.s)
    }
}

/// A name: an attribute, global or keyword-argument name.
pub type Sym = Rc<StrObj>;

/// An insertion-ordered map keyed by names: class, instance and function
/// attributes. Names are interned, so a lookup usually succeeds on pointer
/// equality in a short linear scan; maps that grow past [SMALL] entries
/// add a hash index over the cached string hashes.
#[derive(Clone, Default)]
pub struct SymMap<V> {
    entries: Vec<(Sym, V)>,
    index: Option<hashbrown::HashTable<u32>>,
}

const SMALL: usize = 12;

impl<V> SymMap<V> {
    pub fn new() -> SymMap<V> {
        SymMap {
            entries: Vec::new(),
            index: None,
        }
    }

    #[inline]
    fn find(&self, k: &Sym) -> Option<usize> {
        // Every stored key is interned (see insert), so an interned probe
        // matches by identity alone.
        if k.interned.get() && self.index.is_none() {
            return self.entries.iter().position(|(key, _)| Rc::ptr_eq(key, k));
        }
        if let Some(ix) = &self.index {
            let h = k.hash_code();
            let entries = &self.entries;
            return ix
                .find(h, |&i| {
                    let key = &entries[i as usize].0;
                    Rc::ptr_eq(key, k) || (key.hash_code() == h && key.s == k.s)
                })
                .map(|&i| i as usize);
        }
        if let Some(i) = self.entries.iter().position(|(key, _)| Rc::ptr_eq(key, k)) {
            return Some(i);
        }
        let h = k.hash_code();
        self.entries
            .iter()
            .position(|(key, _)| key.hash_code() == h && key.s == k.s)
    }

    fn rebuild_index(&mut self) {
        if self.entries.len() <= SMALL {
            self.index = None;
            return;
        }
        let mut ix = hashbrown::HashTable::with_capacity(self.entries.len());
        for (i, (k, _)) in self.entries.iter().enumerate() {
            ix.insert_unique(k.hash_code(), i as u32, |&j| {
                self.entries[j as usize].0.hash_code()
            });
        }
        self.index = Some(ix);
    }

    #[inline]
    pub fn get(&self, k: &Sym) -> Option<&V> {
        self.find(k).map(|i| &self.entries[i].1)
    }

    /// The position of [k], trying first the one [hint] names (and
    /// updating it): instances of one class store their attributes in the
    /// same order.
    #[inline(always)]
    fn find_hinted(&self, k: &Sym, hint: &Cell<u32>) -> Option<usize> {
        let h = hint.get() as usize;
        if h < self.entries.len() && Rc::ptr_eq(&self.entries[h].0, k) {
            return Some(h);
        }
        let i = self.find(k)?;
        hint.set(i as u32);
        Some(i)
    }

    /// As [get], through [find_hinted].
    #[inline(always)]
    pub fn get_hinted(&self, k: &Sym, hint: &Cell<u32>) -> Option<&V> {
        self.find_hinted(k, hint).map(|i| &self.entries[i].1)
    }

    /// As [get_mut], through [find_hinted].
    #[inline(always)]
    pub fn get_mut_hinted(&mut self, k: &Sym, hint: &Cell<u32>) -> Option<&mut V> {
        self.find_hinted(k, hint)
            .map(move |i| &mut self.entries[i].1)
    }
    pub fn get_mut(&mut self, k: &Sym) -> Option<&mut V> {
        self.find(k).map(move |i| &mut self.entries[i].1)
    }
    pub fn contains_key(&self, k: &Sym) -> bool {
        self.find(k).is_some()
    }
    /// Inserts or replaces; returns the old value.
    pub fn insert(&mut self, k: Sym, v: V) -> Option<V> {
        let k = if k.interned.get() {
            k
        } else {
            intern(k.as_str())
        };
        if let Some(i) = self.find(&k) {
            return Some(std::mem::replace(&mut self.entries[i].1, v));
        }
        let h = k.hash_code();
        self.entries.push((k, v));
        let n = self.entries.len();
        match &mut self.index {
            Some(ix) => {
                let entries = &self.entries;
                ix.insert_unique(h, (n - 1) as u32, |&j| entries[j as usize].0.hash_code());
            }
            None if n > SMALL => self.rebuild_index(),
            None => {}
        }
        None
    }
    /// An empty map with room for [n] entries.
    pub fn with_capacity(n: usize) -> SymMap<V> {
        SymMap {
            entries: Vec::with_capacity(n),
            index: None,
        }
    }

    /// Appends [k], which the caller found absent.
    pub fn insert_absent(&mut self, k: Sym, v: V) {
        debug_assert!(self.find(&k).is_none());
        if self.index.is_some() || self.entries.len() >= SMALL || !k.interned.get() {
            self.insert(k, v);
        } else {
            let len = self.entries.len();
            if len == self.entries.capacity() {
                grow_for_one(&mut self.entries);
            }
            // SAFETY: capacity > len; both fields are written (each
            // straight from registers: writing the pair as one value went
            // through a stack copy) before the length covers the entry.
            unsafe {
                let p = self.entries.as_mut_ptr().add(len);
                std::ptr::addr_of_mut!((*p).0).write(k);
                std::ptr::addr_of_mut!((*p).1).write(v);
                self.entries.set_len(len + 1);
            }
        }
    }

    /// Removes [k], keeping the order of the rest.
    pub fn shift_remove(&mut self, k: &Sym) -> Option<V> {
        let i = self.find(k)?;
        let (_, v) = self.entries.remove(i);
        if self.index.is_some() {
            self.rebuild_index();
        }
        Some(v)
    }
    /// The value for [k], inserting [f()] first if absent.
    pub fn get_or_insert_with(&mut self, k: Sym, f: impl FnOnce() -> V) -> &mut V {
        let k = if k.interned.get() {
            k
        } else {
            intern(k.as_str())
        };
        let i = match self.find(&k) {
            Some(i) => i,
            None => {
                self.insert(k, f());
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    pub fn clear(&mut self) {
        self.entries.clear();
        self.index = None;
    }
    pub fn iter(&self) -> impl Iterator<Item = (&Sym, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
    pub fn keys(&self) -> impl Iterator<Item = &Sym> {
        self.entries.iter().map(|(k, _)| k)
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }
}

pub fn new_symmap<V>() -> SymMap<V> {
    SymMap::new()
}

/// Slots of (literal address, symbol) for [intern_static].
type StaticNameCache = [(usize, Option<Sym>); 1024];

thread_local! {
    static INTERNED: RefCell<rustc_hash::FxHashMap<Box<str>, Sym>> = RefCell::new(Default::default());
    /// Direct-mapped cache from the address of a `&'static str` literal
    /// to its symbol: native code looks up dunder names constantly.
    /// Const-initialised without a destructor (ManuallyDrop), so each use
    /// is a plain access with no lazy-initialisation check.
    static STATIC_NAMES: RefCell<std::mem::ManuallyDrop<StaticNameCache>> = const {
        RefCell::new(std::mem::ManuallyDrop::new([const { (0, None) }; 1024]))
    };
}

/// [intern] for string literals, cached by address (a literal's address
/// and contents never change).
#[inline]
pub fn intern_static(s: &'static str) -> Sym {
    let addr = s.as_ptr() as usize;
    let slot = (addr >> 3) & 1023;
    STATIC_NAMES.with(|c| {
        let mut c = c.borrow_mut();
        if let (a, Some(sym)) = &c[slot] {
            if *a == addr && sym.s.len() == s.len() {
                return sym.clone();
            }
        }
        let sym = intern(s);
        c[slot] = (addr, Some(sym.clone()));
        sym
    })
}

/// The shared symbol for [s]: every name the compiler emits and every
/// attribute name set at run time goes through here, so name comparisons
/// are usually pointer comparisons.
pub fn intern(s: &str) -> Sym {
    INTERNED.with(|t| {
        if let Some(x) = t.borrow().get(s) {
            return x.clone();
        }
        let sym = Rc::new(StrObj::new(s));
        sym.interned.set(true);
        t.borrow_mut().insert(s.into(), sym.clone());
        sym
    })
}

pub struct ListObj {
    pub gc: GcSlot,
    pub items: RefCell<Vec<Value>>,
}
pub struct TupleObj {
    pub gc: GcSlot,
    pub items: Box<[Value]>,
}
pub struct DictObj {
    pub gc: GcSlot,
    pub d: RefCell<Dict>,
}
/// Sets reuse the dict table with `None` values.
pub struct SetObj {
    pub gc: GcSlot,
    pub d: RefCell<Dict>,
}
pub struct RangeObj {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}
impl RangeObj {
    pub fn len(&self) -> i64 {
        let (start, stop, step) = (self.start as i128, self.stop as i128, self.step as i128);
        let n = if step > 0 && start < stop {
            (stop - start + step - 1) / step
        } else if step < 0 && start > stop {
            (start - stop - step - 1) / (-step)
        } else {
            0
        };
        n as i64
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
pub struct SliceObj {
    pub start: Value,
    pub stop: Value,
    pub step: Value,
}
pub struct CellObj {
    pub gc: GcSlot,
    pub value: RefCell<Value>,
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::new(StrObj::new(s)))
    }
    pub fn string(s: String) -> Value {
        Value::Str(Rc::new(StrObj::new(s)))
    }
    pub fn list(items: Vec<Value>) -> Value {
        let v = Value::List(Rc::new(ListObj {
            gc: crate::vm::gc::GcSlot::new(),
            items: RefCell::new(items),
        }));
        super::gc::track(&v);
        v
    }
    pub fn tuple(items: Vec<Value>) -> Value {
        let v = Value::Tuple(Rc::new(TupleObj {
            gc: crate::vm::gc::GcSlot::new(),
            items: items.into_boxed_slice(),
        }));
        super::gc::track(&v);
        v
    }
    pub fn dict(d: Dict) -> Value {
        let v = Value::Dict(Rc::new(DictObj {
            gc: crate::vm::gc::GcSlot::new(),
            d: RefCell::new(d),
        }));
        super::gc::track(&v);
        v
    }
    pub fn set(d: Dict) -> Value {
        let v = Value::Set(Rc::new(SetObj {
            gc: crate::vm::gc::GcSlot::new(),
            d: RefCell::new(d),
        }));
        super::gc::track(&v);
        v
    }
    pub fn frozenset(d: Dict) -> Value {
        let v = Value::FrozenSet(Rc::new(SetObj {
            gc: crate::vm::gc::GcSlot::new(),
            d: RefCell::new(d),
        }));
        super::gc::track(&v);
        v
    }
    pub fn bytes(b: Vec<u8>) -> Value {
        Value::Bytes(Rc::new(b))
    }
    pub fn bigint(b: BigInt) -> Value {
        use num_traits::ToPrimitive;
        match b.to_i64() {
            Some(i) => Value::Int(i),
            None => Value::BigInt(Rc::new(b)),
        }
    }
    pub fn object(o: impl NativeObject + 'static) -> Value {
        let v = Value::Object(Rc::new(NativeBox::new(o)));
        super::gc::track(&v);
        v
    }
    pub fn cell(v: Value) -> Value {
        let c = Value::Cell(Rc::new(CellObj {
            gc: crate::vm::gc::GcSlot::new(),
            value: RefCell::new(v),
        }));
        super::gc::track(&c);
        c
    }

    /// True for values that own no heap object (no drop needed).
    #[inline(always)]
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Value::Undef | Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_)
        )
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }
    pub fn is_undef(&self) -> bool {
        matches!(self, Value::Undef)
    }

    /// The name of the value's type as `type(v).__name__` gives it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Instance(i) => i.class.name.as_str().to_string(),
            Value::Object(o) => o.type_name().to_string(),
            _ => self.builtin_type_name().to_string(),
        }
    }

    pub fn builtin_type_name(&self) -> &'static str {
        match self {
            Value::Undef => "<undefined>",
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Bytes(_) => "bytes",
            Value::ByteArray(_) => "bytearray",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Set(_) => "set",
            Value::FrozenSet(_) => "frozenset",
            Value::Range(_) => "range",
            Value::Slice(_) => "slice",
            Value::Function(_) => "function",
            Value::Native(_) => "builtin_function_or_method",
            Value::BoundMethod(_) => "method",
            Value::Class(_) => "type",
            Value::Instance(_) => "object",
            Value::Module(_) => "module",
            Value::Generator(_) => "generator",
            Value::Cell(_) => "cell",
            Value::Code(_) => "code",
            Value::Object(_) => "object",
        }
    }

    /// Identity: `a is b`.
    pub fn is(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::None, Value::None) | (Value::Undef, Value::Undef) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.get().to_bits() == b.get().to_bits(),
            _ => match (self.ptr(), other.ptr()) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        }
    }

    /// The address of a heap value, used for identity and `id()`.
    pub fn ptr(&self) -> Option<usize> {
        Some(match self {
            Value::BigInt(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Str(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Bytes(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::ByteArray(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::List(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Tuple(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Dict(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Set(r) | Value::FrozenSet(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Range(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Slice(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Function(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Native(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::BoundMethod(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Class(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Instance(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Module(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Generator(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Cell(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Code(r) => Rc::as_ptr(r) as *const u8 as usize,
            Value::Object(r) => Rc::as_ptr(r) as *const u8 as usize,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(&s.s),
            _ => None,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Value::Undef => write!(f, "<undef>"),
            Value::None => write!(f, "None"),
            Value::Bool(b) => write!(f, "{}", if b.get() { "True" } else { "False" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{}", x.get()),
            Value::Str(s) => write!(f, "{:?}", &*s.s),
            other => write!(f, "<{}>", other.builtin_type_name()),
        }
    }
}

/// The out-of-line grow path of in-place pushes.
#[cold]
#[inline(never)]
pub(crate) fn grow_for_one<T>(vec: &mut Vec<T>) {
    vec.reserve(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_two_words() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn value_incref_matches_rc() {
        // The count word incref bumps is the one Rc itself keeps, for
        // thin and for boxed (native object) payloads alike.
        let list = Rc::new(ListObj {
            gc: crate::vm::gc::GcSlot::new(),
            items: RefCell::new(Vec::new()),
        });
        let v = Value::List(list.clone());
        let copies: Vec<Value> = (0..3).map(|_| v.clone()).collect();
        assert_eq!(Rc::strong_count(&list), 5);
        drop(copies);
        assert_eq!(Rc::strong_count(&list), 2);
        let s = Rc::new(StrObj::new("x"));
        let sv = Value::Str(s.clone());
        sv.incref();
        assert_eq!(Rc::strong_count(&s), 3);
        drop(unsafe { std::ptr::read(&sv) });
        assert_eq!(Rc::strong_count(&s), 2);
        let f = Value::float(1.5);
        let g = f.clone();
        assert!(matches!(g, Value::Float(x) if x.get() == 1.5));
    }
}
