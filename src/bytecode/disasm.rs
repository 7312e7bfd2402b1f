//! The bytecode listing printed by `con --dis`.

use std::fmt::Write;

use super::{Code, Op};
use crate::vm::value::Value;

/// Lists [code] and every code object nested in its constants.
pub fn disassemble(code: &Code) -> String {
    let mut out = String::new();
    disassemble_into(code, &mut out);
    out
}

fn disassemble_into(code: &Code, out: &mut String) {
    let _ = writeln!(
        out,
        "code {} (args {}, locals {}, stack {}, flags {:#x})",
        code.qualname.as_str(),
        code.argcount,
        code.nlocals,
        code.max_stack,
        code.flags
    );
    let mut last_line = 0;
    for (ip, op) in code.ops.iter().enumerate() {
        let line = code.line_at(ip);
        let line_col = if line != last_line {
            last_line = line;
            format!("{line:>5}")
        } else {
            "     ".to_string()
        };
        let _ = writeln!(out, "{line_col} {ip:>5}  {}", describe(code, op));
    }
    for c in &code.consts {
        if let Value::Code(inner) = c {
            out.push('\n');
            disassemble_into(inner, out);
        }
    }
}

fn describe(code: &Code, op: &Op) -> String {
    let name = |i: &u32| {
        code.names
            .get(*i as usize)
            .map(|s| s.as_str().to_string())
            .unwrap_or_default()
    };
    let var = |i: &u32| {
        code.varnames
            .get(*i as usize)
            .map(|s| s.as_str().to_string())
            .unwrap_or_default()
    };
    match op {
        Op::LoadConst(i) => format!(
            "LoadConst {} ({})",
            i,
            const_text(code.consts.get(*i as usize))
        ),
        Op::LoadFast(i)
        | Op::StoreFast(i)
        | Op::DeleteFast(i)
        | Op::LoadDeref(i)
        | Op::StoreDeref(i)
        | Op::DeleteDeref(i)
        | Op::MakeCell(i)
        | Op::LoadClosure(i) => format!("{:?} ({})", op, var(i)),
        Op::LoadGlobal(i)
        | Op::StoreGlobal(i)
        | Op::DeleteGlobal(i)
        | Op::LoadName(i)
        | Op::StoreName(i)
        | Op::DeleteName(i)
        | Op::LoadAttr(i)
        | Op::StoreAttr(i)
        | Op::DeleteAttr(i)
        | Op::LoadMethod(i)
        | Op::ImportName(i)
        | Op::ImportFrom(i) => format!("{:?} ({})", op, name(i)),
        Op::LoadFastAttr(s, i) => format!(
            "LoadFastAttr {s} {i} ({}.{})",
            var(&(*s as u32)),
            name(&(*i as u32))
        ),
        other => format!("{other:?}"),
    }
}

fn const_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::Code(c)) => format!("<code {}>", c.qualname.as_str()),
        Some(Value::Str(s)) => format!("{:?}", s.as_str()),
        Some(v) => format!("{v:?}"),
        None => "?".into(),
    }
}
