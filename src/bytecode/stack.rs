//! Operand-stack depth analysis: the deepest the value stack gets above a
//! frame's locals (`Code::max_stack`), found by a worklist pass over the
//! control-flow graph using each instruction's `Op::stack_effect`.

use super::Op;

/// The result of [analyze].
pub struct StackDepths {
    /// Operand-stack depth on entry to each instruction; None where the
    /// instruction is unreachable.
    pub at: Vec<Option<u32>>,
    /// The deepest the stack gets, counting `Op::stack_scratch`.
    pub max: u32,
    /// Inconsistencies: an instruction reached with two different depths,
    /// or popping more than is there. The compiler never produces these;
    /// `max` is still an upper bound (the larger depth wins).
    pub errors: Vec<String>,
}

/// Computes the stack depth at every reachable instruction of [ops],
/// entered at instruction 0 with an empty operand stack. Exception
/// handlers are reached through their Setup instruction's jump edge, with
/// the depth recorded there plus the exception.
pub fn analyze(ops: &[Op]) -> StackDepths {
    let mut p = Pass {
        at: vec![None; ops.len()],
        raised: vec![false; ops.len()],
        work: Vec::new(),
        errors: Vec::new(),
    };
    let mut max = 0u32;
    if !ops.is_empty() {
        p.at[0] = Some(0);
        p.work.push(0);
    }
    while let Some(ip) = p.work.pop() {
        let op = ops[ip];
        let d = p.at[ip].unwrap_or(0);
        max = max.max(d + op.stack_scratch());
        // The fall-through edge, then the jump edge.
        let next = op.falls_through().then_some(ip + 1);
        let edges = [(false, next), (true, op.target().map(|t| t as usize))];
        for (jump, to) in edges {
            let (pops, pushes) = op.stack_effect(jump);
            if d < pops {
                p.errors
                    .push(format!("{ip}: {op:?} pops {pops} at depth {d}"));
            }
            let Some(to) = to else { continue };
            let out = d.saturating_sub(pops) + pushes;
            max = max.max(out);
            p.reach(ip, to, out);
        }
    }
    StackDepths {
        at: p.at,
        max,
        errors: p.errors,
    }
}

struct Pass {
    at: Vec<Option<u32>>,
    /// Instructions whose depth was already raised by a conflict.
    raised: Vec<bool>,
    work: Vec<usize>,
    errors: Vec<String>,
}

impl Pass {
    /// Records depth [d] for instruction [to] (reached from [from]),
    /// queueing it when new.
    fn reach(&mut self, from: usize, to: usize, d: u32) {
        let Some(slot) = self.at.get_mut(to) else {
            self.errors
                .push(format!("{from}: continues at {to}, past the end"));
            return;
        };
        match *slot {
            Some(old) if old == d => {}
            Some(old) => {
                self.errors.push(format!(
                    "{to}: reached with depth {old} and {d} (from {from})"
                ));
                // Raised once only, so a loop that grows the stack (code
                // with compile errors) cannot keep the pass going.
                if d > old && !self.raised[to] {
                    self.raised[to] = true;
                    *slot = Some(d);
                    self.work.push(to);
                }
            }
            None => {
                *slot = Some(d);
                self.work.push(to);
            }
        }
    }
}

/// The deepest the operand stack of [ops] gets (see `Code::max_stack`).
pub fn max_stack(ops: &[Op]) -> u32 {
    analyze(ops).max
}
