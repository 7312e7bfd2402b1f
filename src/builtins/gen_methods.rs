//! Generator methods: `send`, `throw`, `close`, and the iterator protocol.

use std::rc::Rc;

use super::{add_method, check_args};
use crate::vm::error::{Error, ExcType, Res};
use crate::vm::frame::Resume;
use crate::vm::object::GeneratorObj;
use crate::vm::value::*;
use crate::vm::Vm;

pub fn install(vm: &mut Vm) {
    let g = vm.types.generator.clone();
    add_method(vm, &g, "send", gen_send);
    add_method(vm, &g, "throw", gen_throw);
    add_method(vm, &g, "close", gen_close);
    add_method(vm, &g, "__next__", gen_next);
    add_method(vm, &g, "__iter__", gen_iter);
}

fn this(v: &Value) -> Res<Rc<GeneratorObj>> {
    match v {
        Value::Generator(g) => Ok(g.clone()),
        _ => Err(Error::type_error(
            "descriptor requires a 'generator' object",
        )),
    }
}

fn finish(r: Result<Value, Value>) -> Res<Value> {
    match r {
        Ok(v) => Ok(v),
        Err(ret) if ret.is_none() => Err(Error::stop_iteration()),
        Err(ret) => Err(Error::WithValue(ExcType::StopIteration, ret)),
    }
}

fn gen_send(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("send", args, 2, 2)?;
    let g = this(&args[0])?;
    let r = vm.generator_send_full(&g, Some(args[1].clone()))?;
    finish(r)
}

fn gen_next(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let g = this(&args[0])?;
    let r = vm.generator_send_full(&g, None)?;
    finish(r)
}

fn gen_iter(_vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    Ok(args[0].clone())
}

/// Raises [exc] inside the suspended generator at its current yield.
pub fn throw_into(vm: &mut Vm, g: &Rc<GeneratorObj>, exc: Value) -> Res<Result<Value, Value>> {
    {
        let st = g.state.borrow();
        if st.running {
            return Err(Error::value_error("generator already executing"));
        }
        if st.finished || !st.started {
            drop(st);
            let mut st = g.state.borrow_mut();
            st.finished = true;
            st.frame = None;
            st.saved.clear();
            return Err(Error::Raised(exc));
        }
    }
    // Delegate to a sub-generator when suspended in `yield from`.
    let sub = {
        let st = g.state.borrow();
        let at_yield_from = st
            .frame
            .as_ref()
            .map(|f| {
                matches!(
                    f.code.ops.get(f.ip),
                    Some(crate::bytecode::Op::YieldFrom(_))
                )
            })
            .unwrap_or(false);
        if at_yield_from {
            // The sub-iterator sits below the value the resume pushes.
            st.saved.last().cloned()
        } else {
            None
        }
    };
    if let Some(Value::Generator(inner)) = sub {
        match throw_into(vm, &inner, exc.clone()) {
            Ok(Ok(y)) => return Ok(Ok(y)),
            Ok(Err(ret)) => {
                // The sub-generator finished: resume the delegator with it.
                let mut st = g.state.borrow_mut();
                st.saved.pop();
                st.saved.push(ret);
                if let Some(f) = st.frame.as_mut() {
                    f.ip += 1;
                }
                drop(st);
                return resume_plain(vm, g);
            }
            Err(e) => return raise_in(vm, g, e),
        }
    }
    raise_in(vm, g, Error::Raised(exc))
}

/// Resumes a generator whose stack already holds what it expects.
fn resume_plain(vm: &mut Vm, g: &Rc<GeneratorObj>) -> Res<Result<Value, Value>> {
    // The frame continues after YieldFrom with the result on its stack;
    // resume without pushing a sent value.
    // A not-yet-"started" generator is resumed without a sent value.
    g.state.borrow_mut().started = false;
    let r = vm.resume_generator(g, None, Resume::Normal);
    g.state.borrow_mut().started = true;
    if !r? {
        return Ok(Err(Value::None));
    }
    let v = vm.run_nested()?;
    Ok(if g.is_finished() { Err(v) } else { Ok(v) })
}

fn raise_in(vm: &mut Vm, g: &Rc<GeneratorObj>, err: Error) -> Res<Result<Value, Value>> {
    // Push the frame as if resumed, then unwind from its current position.
    if !vm.resume_generator(g, None, Resume::Normal)? {
        return Err(err);
    }
    // resume_generator pushed a sent value; drop it.
    vm.stack.pop();
    let stop = vm.frames.len() - 1;
    vm.native_depth += 1;
    let r = match vm.handle_error(err, stop, false) {
        Ok(()) => vm.run(stop),
        Err(e) => Err(e),
    };
    vm.native_depth -= 1;
    let v = r?;
    Ok(if g.is_finished() { Err(v) } else { Ok(v) })
}

fn gen_throw(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    check_args("throw", args, 2, 4)?;
    let g = this(&args[0])?;
    let exc = match &args[1] {
        Value::Class(c) => {
            let c = c.clone();
            let a: Vec<Value> = args
                .get(2)
                .filter(|v| !v.is_none())
                .cloned()
                .into_iter()
                .collect();
            vm.instantiate(&c, &a, &[])?
        }
        v => v.clone(),
    };
    let r = throw_into(vm, &g, exc)?;
    finish(r)
}

fn gen_close(vm: &mut Vm, args: &[Value], _kw: &[(Sym, Value)]) -> Res<Value> {
    let g = this(&args[0])?;
    let (finished, started) = {
        let st = g.state.borrow();
        (st.finished, st.started)
    };
    if finished || !started {
        let mut st = g.state.borrow_mut();
        st.finished = true;
        st.frame = None;
        st.saved.clear();
        return Ok(Value::None);
    }
    let cls = vm.types.exc(ExcType::GeneratorExit);
    let exc = vm.new_exception(&cls, vec![]);
    match throw_into(vm, &g, exc) {
        Ok(Ok(_)) => Err(Error::runtime_error("generator ignored GeneratorExit")),
        Ok(Err(_)) => Ok(Value::None),
        Err(e) => {
            if vm.error_is(&e, ExcType::GeneratorExit) || vm.error_is(&e, ExcType::StopIteration) {
                Ok(Value::None)
            } else {
                Err(e)
            }
        }
    }
}
