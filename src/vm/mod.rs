//! The virtual machine: values, objects, frames and the dispatch loop.

pub mod atomic;
pub mod attr;
pub mod call;
pub mod descr;
pub mod dict;
pub mod error;
pub mod exc;
pub mod format;
pub mod frame;
pub mod gc;
pub mod hashing;
pub mod import;
pub mod interp;
pub mod interrupt;
pub mod iter;
pub mod num;
pub mod object;
pub mod ops;
pub mod repr;
pub mod seq;
pub mod site_cache;
pub mod types;
pub mod value;

pub use error::{Error, ExcType, Res};
pub use interp::Vm;
pub use value::Value;
