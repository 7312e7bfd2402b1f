//! `con` synchronisation objects: Queue, Event, Value, Semaphore, Lock.

use crate::vm::object::ModuleObj;
use crate::vm::Vm;

pub fn install(_vm: &mut Vm, _m: &ModuleObj) {}
