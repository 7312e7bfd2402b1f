//! Bytecode: the instruction set, code objects and the disassembler.

pub mod code;
pub mod disasm;
pub mod fuse;
pub mod op;
pub mod stack;

pub use code::{Code, SourceFile};
pub use op::Op;
