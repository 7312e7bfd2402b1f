//! Native standard modules.

use std::rc::Rc;

use crate::vm::error::Res;
use crate::vm::object::ModuleObj;
use crate::vm::Vm;

/// Creates module [name] if this file implements it.
pub fn create(_vm: &mut Vm, _name: &str) -> Res<Option<Rc<ModuleObj>>> {
    Ok(None)
}
