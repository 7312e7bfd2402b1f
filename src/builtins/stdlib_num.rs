//! Native standard modules: the numeric and functional ones (math,
//! random, time, itertools, functools, operator, bisect, heapq, string,
//! copy). Each lives in its own `mod_<name>.rs`.

use std::rc::Rc;

use crate::vm::error::Res;
use crate::vm::object::ModuleObj;
use crate::vm::Vm;

/// Creates module [name] if this file implements it.
pub fn create(vm: &mut Vm, name: &str) -> Res<Option<Rc<ModuleObj>>> {
    Ok(Some(match name {
        "_functools" => super::mod_functools::create(vm),
        "copy" => super::mod_copy::create(vm),
        "bisect" => super::mod_heapq::create_bisect(vm),
        "heapq" => super::mod_heapq::create_heapq(vm),
        "itertools" => super::mod_itertools::create(vm),
        "math" => super::mod_math::create(vm),
        "operator" => super::mod_operator::create(vm),
        "random" => super::mod_random::create(vm),
        "string" => super::mod_string::create(vm),
        "time" => super::mod_time::create(vm),
        _ => return Ok(None),
    }))
}
