//! The instruction set: the one list of opcodes. Each opcode documents its
//! operand, its effect on the operand stack (`[before] -> [after]`, top of
//! stack rightmost) and whether it may switch micro-threads.
//!
//! The VM is a stack machine; an instruction is an 8-byte enum, dispatched
//! by one `match` in `vm/interp.rs`.

use crate::syntax::ast::{BinOp, CmpOp};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// No operation (a patched-out jump target).
    Nop,
    /// `[] -> [consts[i]]`
    LoadConst(u32),
    /// `[] -> [None]`
    LoadNone,
    /// `[] -> [int]`, a small integer immediate.
    LoadInt(i32),
    /// `[] -> [locals[i]]`; UnboundLocalError when unset.
    LoadFast(u32),
    /// `[v] -> []`, `locals[i] = v`.
    StoreFast(u32),
    /// `[] -> []`, unbinds `locals[i]`.
    DeleteFast(u32),
    /// `[] -> [cell.value]` where `locals[i]` holds a cell.
    LoadDeref(u32),
    /// `[v] -> []`, stores into the cell in `locals[i]`.
    StoreDeref(u32),
    /// `[] -> []`, empties the cell in `locals[i]`.
    DeleteDeref(u32),
    /// `[] -> []`, replaces `locals[i]` by a new cell holding its value.
    MakeCell(u32),
    /// `[] -> [cell]`, the cell object itself, for building closures.
    LoadClosure(u32),
    /// `[] -> [v]`, global `names[i]`, then builtins.
    LoadGlobal(u32),
    /// `[v] -> []`
    StoreGlobal(u32),
    /// `[] -> []`
    DeleteGlobal(u32),
    /// `[] -> [v]`, class-body namespace, then globals, then builtins.
    LoadName(u32),
    /// `[v] -> []` into the class-body namespace.
    StoreName(u32),
    /// `[] -> []`
    DeleteName(u32),
    /// `[obj] -> [obj.names[i]]`
    LoadAttr(u32),
    /// `[] -> [locals[slot].names[name]]`: LoadFast + LoadAttr fused, the
    /// `self.x` of methods.
    LoadFastAttr(u16, u16),
    /// `[v, obj] -> []`, `obj.names[i] = v`.
    StoreAttr(u32),
    /// `[obj] -> []`
    DeleteAttr(u32),
    /// `[obj] -> [func, obj]` for a method found on the class, or
    /// `[attr, Undef]` otherwise; pairs with `CallMethod`.
    LoadMethod(u32),
    /// `[obj, key] -> [obj[key]]`
    Subscr,
    /// `[v, obj, key] -> []`, `obj[key] = v`.
    StoreSubscr,
    /// `[obj, key] -> []`
    DeleteSubscr,

    /// `[v] -> []`
    Pop,
    /// `[v] -> [v, v]`
    Dup,
    /// `[a, b] -> [a, b, a, b]`
    DupTwo,
    /// `[a, b] -> [b, a]`
    Rot2,
    /// `[a, b, c] -> [c, a, b]`
    Rot3,
    /// `[a, b, c, d] -> [d, a, b, c]`
    Rot4,

    /// `[a, b] -> [a op b]`
    Binary(BinOp),
    /// `[a, b] -> [a op= b]`, trying `__iop__` first.
    InplaceBinary(BinOp),
    /// `[a, b] -> [a cmp b]`
    Compare(CmpOp),
    /// `[a] -> [-a]`
    Neg,
    /// `[a] -> [+a]`
    Pos,
    /// `[a] -> [~a]`
    Invert,
    /// `[a] -> [not a]`
    Not,

    /// Unconditional jump to an absolute instruction index.
    Jump(u32),
    /// `[v] -> []`, jump when falsy.
    PopJumpIfFalse(u32),
    /// `[v] -> []`, jump when truthy.
    PopJumpIfTrue(u32),
    /// `[v] -> [v]` and jump when falsy, else `[v] -> []`.
    JumpIfFalseOrPop(u32),
    /// `[v] -> [v]` and jump when truthy, else `[v] -> []`.
    JumpIfTrueOrPop(u32),
    /// `[a, b] -> []`, jump unless `a < b` (fused compare for loops).
    JumpIfNotLess(u32),

    /// `[obj] -> [iter(obj)]`
    GetIter,
    /// `[it] -> [it, next]`, or pops `it` and jumps when exhausted.
    ForIter(u32),
    /// `for@`: as ForIter, but each step is `next@(it)` (may switch).
    ForIterAt(u32),

    /// `[a1..an] -> [tuple]`
    BuildTuple(u32),
    /// `[a1..an] -> [list]`
    BuildList(u32),
    /// `[a1..an] -> [set]`
    BuildSet(u32),
    /// `[k1, v1, .. kn, vn] -> [dict]`
    BuildMap(u32),
    /// `[s1..sn] -> [s1 + .. + sn]`, for f-strings.
    BuildString(u32),
    /// `[start, stop] -> [slice]` (2) or `[start, stop, step] -> [slice]` (3)
    BuildSlice(u32),
    /// `[list, .. (i items) .., v] -> [list, ..]`: appends v to the list
    /// `i` slots below the top (comprehensions).
    ListAppend(u32),
    /// Like ListAppend for sets.
    SetAdd(u32),
    /// `[dict, .., k, v] -> [dict, ..]`
    MapAdd(u32),
    /// `[list, iterable] -> [list]`, extends (star unpacking).
    ListExtend,
    /// `[set, iterable] -> [set]`
    SetUpdate,
    /// `[dict, mapping] -> [dict]`, merge for `{**m}`.
    DictUpdate,
    /// `[dict, mapping] -> [dict]`, merge for `f(**m)`: duplicate keys
    /// are a TypeError.
    DictMerge,
    /// `[list] -> [tuple]`
    ListToTuple,
    /// `[seq] -> [vn..v1]`: unpacks exactly n items, first on top.
    UnpackSequence(u32),
    /// `[seq] -> [after.., list, before..]`: unpacking with one starred
    /// target; operands are the counts before and after the star.
    UnpackEx(u16, u16),
    /// `[v] -> [str]` or `[v, spec] -> [str]` for f-string fields;
    /// conversion 0 none, 1 `!s`, 2 `!r`, 3 `!a`; flag: a spec is on top.
    FormatValue(u8, bool),

    /// `[f, a1..an] -> [result]`. May switch when `at` (an `@` call).
    Call { argc: u32, at: bool },
    /// `[f, self|Undef, a1..an] -> [result]`, after LoadMethod.
    CallMethod { argc: u32, at: bool },
    /// `[f, a1..an, names] -> [result]`: the last `names.len()` arguments
    /// are keyword arguments named by the tuple on top.
    CallKw { argc: u32, at: bool },
    /// `[f, args_tuple, kwargs_dict|None] -> [result]`, for `*`/`**`.
    CallEx { at: bool },
    /// `[defaults?, kwdefaults?, closure?] -> [function]` for the code in
    /// `consts[i]`; flag bits: 1 defaults tuple, 2 kw-defaults dict,
    /// 4 closure tuple.
    MakeFunction(u32, u8),
    /// `[v] -> ...` returns v from the frame.
    Return,

    /// Pushes an exception handler: an exception raised before the
    /// matching PopBlock unwinds the stack to its depth now, pushes the
    /// exception and jumps to the target.
    SetupExcept(u32),
    /// Same as SetupExcept; marks a `finally` handler (for the listing).
    SetupFinally(u32),
    /// Removes the innermost handler.
    PopBlock,
    /// `[exc] -> []`, ends an `except` clause: restores the exception
    /// being handled before it.
    PopExcept,
    /// `[exc?, cause?] -> raise`; operand 0 re-raises the handled one.
    Raise(u8),
    /// `[exc] -> raise exc` again, keeping its traceback.
    Reraise,
    /// `[exc, type] -> [exc, matches]`
    CheckExcMatch,
    /// `[mgr] -> [exit, enter_result]`, calling `__enter__` and pushing
    /// a handler like SetupFinally.
    SetupWith(u32),
    /// `[exit] -> []`, calls `exit(None, None, None)` (normal block end).
    WithExitNormal,
    /// `[exit, exc] -> [exit, exc, suppress]`: calls `exit(type, exc, tb)`.
    WithExitExc,

    /// `[v] -> [sent]`: suspends the generator with v. May switch only
    /// for non-atomic generators.
    YieldValue,
    /// `[iter, v] -> [iter, yielded]` or, when the sub-iterator finished,
    /// `[result]` and jump: drives `yield from`.
    YieldFrom(u32),
    /// `[v] -> []` at a generator's start: discards the first send.
    GenStart,

    /// `[fromlist, level] -> [module]` imports `names[i]`.
    ImportName(u32),
    /// `[module] -> [module, attr]` for `from m import names[i]`.
    ImportFrom(u32),
    /// `[module] -> []` copies public names into the globals.
    ImportStar,
    /// `[] -> [__build_class__]`
    LoadBuildClass,
    /// `[] -> [AssertionError]`
    LoadAssertionError,
    /// `[v] -> []`: echoes a non-None value in the REPL.
    PrintExpr,
    /// `[f, args, kwargs] -> []`: `sibling f@(*args, **kwargs)` starts a
    /// micro-thread prejoined to this frame.
    Spawn,
}

impl Op {
    /// The jump target, if the instruction has one (for the compiler's
    /// patching and the disassembler).
    pub fn target(&self) -> Option<u32> {
        use Op::*;
        match *self {
            Jump(t) | PopJumpIfFalse(t) | PopJumpIfTrue(t) | JumpIfFalseOrPop(t)
            | JumpIfTrueOrPop(t) | JumpIfNotLess(t) | ForIter(t) | ForIterAt(t)
            | SetupExcept(t) | SetupFinally(t) | SetupWith(t) | YieldFrom(t) => Some(t),
            _ => None,
        }
    }
    pub fn set_target(&mut self, new: u32) {
        use Op::*;
        match self {
            Jump(t) | PopJumpIfFalse(t) | PopJumpIfTrue(t) | JumpIfFalseOrPop(t)
            | JumpIfTrueOrPop(t) | JumpIfNotLess(t) | ForIter(t) | ForIterAt(t)
            | SetupExcept(t) | SetupFinally(t) | SetupWith(t) | YieldFrom(t) => *t = new,
            _ => {}
        }
    }
    /// True for instructions at which a micro-thread may be suspended.
    pub fn may_switch(&self) -> bool {
        matches!(
            self,
            Op::Call { at: true, .. }
                | Op::CallMethod { at: true, .. }
                | Op::CallKw { at: true, .. }
                | Op::CallEx { at: true }
                | Op::ForIterAt(_)
                | Op::Spawn
                | Op::YieldValue
                | Op::YieldFrom(_)
        )
    }
}
