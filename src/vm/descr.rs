//! Descriptors implemented natively: `property`, `staticmethod` and
//! `classmethod`.

use std::cell::RefCell;
use std::rc::Rc;

use super::interp::Vm;
use super::object::{ClassObj, NativeObject, NativeRef};
use super::value::Value;

pub struct Property {
    pub fget: Value,
    pub fset: RefCell<Value>,
    pub fdel: RefCell<Value>,
    pub doc: Value,
}

pub struct StaticMethod(pub Value);
pub struct ClassMethod(pub Value);

impl NativeObject for Property {
    fn type_name(&self) -> &str {
        "property"
    }
    fn class(&self, vm: &Vm) -> Option<Rc<ClassObj>> {
        vm.builtins.get_str("property").and_then(|v| match v {
            Value::Class(c) => Some(c),
            _ => None,
        })
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.fget);
        f(&self.fset.borrow());
        f(&self.fdel.borrow());
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> super::error::Res<Option<Value>> {
        Ok(match name {
            "fget" => Some(self.fget.clone()),
            "fset" => Some(self.fset.borrow().clone()),
            "fdel" => Some(self.fdel.borrow().clone()),
            "__doc__" => Some(self.doc.clone()),
            _ => None,
        })
    }
}

impl NativeObject for StaticMethod {
    fn type_name(&self) -> &str {
        "staticmethod"
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.0);
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> super::error::Res<Option<Value>> {
        Ok((name == "__func__").then(|| self.0.clone()))
    }
    fn call(
        &self,
        vm: &mut Vm,
        args: &[Value],
        kw: &[(super::value::Sym, Value)],
    ) -> super::error::Res<Value> {
        let f = self.0.clone();
        vm.call(&f, args, kw)
    }
}

impl NativeObject for ClassMethod {
    fn type_name(&self) -> &str {
        "classmethod"
    }
    fn traverse(&self, f: &mut dyn FnMut(&Value)) {
        f(&self.0);
    }
    fn getattr(&self, _vm: &mut Vm, name: &str) -> super::error::Res<Option<Value>> {
        Ok((name == "__func__").then(|| self.0.clone()))
    }
}

pub fn is_static(o: &NativeRef) -> bool {
    o.is::<StaticMethod>()
}
pub fn is_classmethod(o: &NativeRef) -> bool {
    o.is::<ClassMethod>()
}
/// The wrapped function of a staticmethod or classmethod.
pub fn static_inner(o: &NativeRef) -> Value {
    if let Some(s) = o.downcast::<StaticMethod>() {
        return s.0.clone();
    }
    if let Some(c) = o.downcast::<ClassMethod>() {
        return c.0.clone();
    }
    Value::None
}
