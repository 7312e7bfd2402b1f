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
    // Fused pairs (see `bytecode::fuse`). Each stands in for its own
    // instruction and the one after it, which stays in place: the fused
    // form runs both at once when it can and otherwise runs only the
    // first, leaving the next one to run as usual.
    /// `LoadFast(a)` then `LoadFast(b)`.
    LoadFast2(u16, u16),
    /// `StoreFast(a)` then `LoadFast(b)`.
    StoreLoadFast(u16, u16),
    /// `Compare(op)` then `PopJumpIfFalse(t)`, for two ints.
    CompareJump(CmpOp, u32),
    /// `ForIter(exit)` then `StoreFast(slot)`, stepping a range or list.
    ForIterStore(u32, u16),
    /// `StoreFast(a)` then `StoreFast(b)`.
    StoreFast2(u16, u16),
    /// `LoadInt(k)` then `Binary(op)`, for an int or float operand.
    BinaryInt(BinOp, i32),
    /// `LoadFast(b)` then `Binary(op)`, for int or float operands.
    BinaryFast(BinOp, u16),
    /// `LoadFast(a)`, `LoadFast(b)` then `Binary(op)`, for int or float
    /// operands: a fused triple whose fallback is `LoadFast2(a, b)`.
    BinaryFast2(BinOp, u16, u16),
}

impl Op {
    /// The jump target, if the instruction has one (for the compiler's
    /// patching and the disassembler).
    pub fn target(&self) -> Option<u32> {
        let mut op = *self;
        op.target_mut().map(|t| *t)
    }
    pub fn set_target(&mut self, new: u32) {
        if let Some(t) = self.target_mut() {
            *t = new;
        }
    }
    fn target_mut(&mut self) -> Option<&mut u32> {
        use Op::*;
        match self {
            Jump(t)
            | PopJumpIfFalse(t)
            | PopJumpIfTrue(t)
            | JumpIfFalseOrPop(t)
            | JumpIfTrueOrPop(t)
            | JumpIfNotLess(t)
            | ForIter(t)
            | ForIterAt(t)
            | ForIterStore(t, _)
            | SetupExcept(t)
            | SetupFinally(t)
            | SetupWith(t)
            | YieldFrom(t) => Some(t),
            _ => None,
        }
    }
    /// The instruction's effect on the operand stack as `(pops, pushes)`:
    /// on the fall-through path, or with [jump] on the path to its
    /// target (for SetupExcept/SetupFinally/SetupWith the target is the
    /// handler, entered with the exception pushed at the depth the block
    /// recorded). Values an instruction reads in place below the top
    /// (ListAppend's list, ForIter's iterator) count as popped and pushed
    /// back, so `pops` is the depth it needs.
    pub fn stack_effect(&self, jump: bool) -> (u32, u32) {
        use Op::*;
        match *self {
            Nop | DeleteFast(_) | DeleteDeref(_) | MakeCell(_) | DeleteGlobal(_)
            | DeleteName(_) | PopBlock | Jump(_) => (0, 0),
            LoadConst(_) | LoadNone | LoadInt(_) | BinaryInt(..) | LoadFast(_) | LoadFast2(..)
            | BinaryFast(..) | BinaryFast2(..) | LoadDeref(_) | LoadClosure(_) | LoadGlobal(_)
            | LoadName(_) | LoadFastAttr(..) | LoadBuildClass | LoadAssertionError => (0, 1),
            StoreFast(_) | StoreLoadFast(..) | StoreFast2(..) | StoreDeref(_) | StoreGlobal(_)
            | StoreName(_) | DeleteAttr(_) | Pop | PopExcept | WithExitNormal | GenStart
            | ImportStar | PrintExpr | Return | Reraise => (1, 0),
            LoadAttr(_) | Neg | Pos | Invert | Not | GetIter | ListToTuple => (1, 1),
            StoreAttr(_) | DeleteSubscr => (2, 0),
            LoadMethod(_) | Dup | ImportFrom(_) => (1, 2),
            // YieldFrom: `[iter, v] -> [result]` at its target, the next
            // instruction; a yield re-runs it with the sent value as v.
            Subscr | Binary(_) | InplaceBinary(_) | Compare(_) | CompareJump(..) | ListExtend
            | SetUpdate | DictUpdate | DictMerge | ImportName(_) | YieldFrom(_) => (2, 1),
            StoreSubscr | Spawn => (3, 0),
            DupTwo => (2, 4),
            Rot2 => (2, 2),
            Rot3 => (3, 3),
            Rot4 => (4, 4),
            PopJumpIfFalse(_) | PopJumpIfTrue(_) => (1, 0),
            // The value stays when the jump is taken.
            JumpIfFalseOrPop(_) | JumpIfTrueOrPop(_) => (1, jump as u32),
            JumpIfNotLess(_) => (2, 0),
            // Exhaustion pops the iterator and jumps.
            ForIter(_) | ForIterAt(_) | ForIterStore(..) => {
                if jump {
                    (1, 0)
                } else {
                    (1, 2)
                }
            }
            BuildTuple(n) | BuildList(n) | BuildSet(n) | BuildString(n) | BuildSlice(n) => (n, 1),
            BuildMap(n) => (2 * n, 1),
            ListAppend(i) | SetAdd(i) => (i + 1, i),
            MapAdd(i) => (i + 2, i),
            UnpackSequence(n) => (1, n),
            UnpackEx(before, after) => (1, before as u32 + after as u32 + 1),
            FormatValue(_, spec) => (1 + spec as u32, 1),
            Call { argc, .. } => (argc + 1, 1),
            CallMethod { argc, .. } | CallKw { argc, .. } => (argc + 2, 1),
            CallEx { .. } => (3, 1),
            MakeFunction(_, flags) => ((flags & 7).count_ones(), 1),
            Raise(n) => (n as u32, 0),
            // The handler is entered with the exception on top.
            SetupExcept(_) | SetupFinally(_) => (0, jump as u32),
            // `[mgr] -> [exit, enter_result]`, or `[exit, exc]` at the
            // handler.
            SetupWith(_) => (1, 2),
            CheckExcMatch => (2, 2),
            WithExitExc => (2, 3),
            // Resumed with the sent value in place of the yielded one.
            YieldValue => (1, 1),
        }
    }

    /// Whether execution can continue at the next instruction.
    pub fn falls_through(&self) -> bool {
        !matches!(self, Op::Jump(_) | Op::Return | Op::Raise(_) | Op::Reraise)
    }

    /// Values the instruction may hold above its input depth while it
    /// runs, beyond what `stack_effect` shows: a plain call of a bound
    /// method (or of a class, or of an instance with `__call__` under
    /// `@`) inserts the receiver after the callable before dispatching.
    pub fn stack_scratch(&self) -> u32 {
        match self {
            Op::Call { .. } => 1,
            _ => 0,
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
