//! Frames and generators. A frame's locals and operand stack live in a
//! window of the running thread's value stack; the frame record itself is
//! a small heap object in the thread's frame list, so a script-to-script
//! call pushes a record and never recurses on the Rust stack.

use std::cell::RefCell;
use std::rc::Rc;

use super::object::ModuleObj;
use super::value::{DictObj, Value};
use crate::bytecode::Code;

/// An active exception handler (`try`, `finally` or `with`).
#[derive(Clone, Copy, Debug)]
pub struct Block {
    /// Instruction to jump to.
    pub handler: u32,
    /// Operand stack height (relative to the frame base) to restore.
    pub sp: u32,
    /// Length of the handled-exception stack to restore.
    pub handled: u32,
}

/// What the caller expects when this frame returns or yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Push the result on the caller's stack.
    Normal,
    /// A constructor's `__init__`: the instance already sits on the
    /// caller's stack; the result must be None.
    Init,
    /// A generator driven by `ForIter`: yields push the value; returning
    /// pops the iterator and jumps to the loop exit.
    ForIter(u32),
    /// A generator driven by `YieldFrom` in the caller generator.
    YieldFrom(u32),
    /// A generator resumed by `next@(g)`: yields push the value;
    /// returning raises StopIteration in the caller.
    Next,
    /// `a op b` running `a.__op__(b)`: the operands stay on the caller's
    /// stack below the frame; NotImplemented goes on to the reflected
    /// method.
    Binary(crate::syntax::ast::BinOp),
    /// `a op= b` running `a.__iop__(b)`, operands kept likewise;
    /// NotImplemented goes on to `a op b`.
    Inplace(crate::syntax::ast::BinOp),
    /// `next@(g, default)`: as Next, with the default on the caller's
    /// stack below the frame (returned when the generator ends).
    NextOr,
}

/// The frame was entered by a non-atomic call from a non-atomic frame (or
/// is a thread's root): a switch may happen while it is on top.
pub const FRAME_NONATOMIC: u8 = 1;
/// The frame started siblings it has not yet joined.
pub const FRAME_SIBLINGS: u8 = 2;

pub struct Frame {
    pub code: Rc<Code>,
    /// Next instruction (saved only at sync points).
    pub ip: usize,
    /// Index of local slot 0 in the value stack.
    pub base: usize,
    /// Stack length to restore when the frame exits.
    pub floor: usize,
    pub globals: Rc<ModuleObj>,
    pub blocks: Vec<Block>,
    /// Class-body namespace.
    pub namespace: Option<Rc<DictObj>>,
    /// The generator this frame belongs to, if any.
    pub generator: Option<Rc<GeneratorObj>>,
    pub resume: Resume,
    /// Length of the handled-exception stack at entry (u32 keeps the
    /// record at 96 bytes: parked threads are mostly frames).
    pub handled_base: u32,
    /// FRAME_NONATOMIC, FRAME_SIBLINGS.
    pub flags: u8,
}

/// A generator: a suspended frame plus its saved stack window.
pub struct GeneratorObj {
    pub gc: super::gc::GcSlot,
    pub state: RefCell<GenState>,
    pub code: Rc<Code>,
}

pub struct GenState {
    /// The frame record while suspended (None while running or finished).
    pub frame: Option<Frame>,
    /// Locals and operand stack while suspended.
    pub saved: Vec<Value>,
    pub started: bool,
    pub running: bool,
    pub finished: bool,
}

impl GeneratorObj {
    pub fn is_finished(&self) -> bool {
        self.state.borrow().finished
    }
}
