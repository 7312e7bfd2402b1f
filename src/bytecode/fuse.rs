//! Fuses common instruction pairs into one instruction, so the dispatch
//! loop decodes and jumps once for both.
//!
//! A fused instruction replaces the first of its pair and the second stays
//! where it was: a jump to the second still finds it, and the fused form
//! runs only its first half whenever the pair's fast case does not apply
//! (an unbound local, operands that are not ints), leaving the second to
//! run as usual. Instruction numbers, jump targets and spans are
//! therefore unchanged, and so is the stack analysis: a fused
//! instruction's stack effect is its first half's.

use super::op::Op;
use crate::syntax::ast::CmpOp;

/// Rewrites [ops] in place.
pub fn fuse(ops: &mut [Op]) {
    for i in 0..ops.len().saturating_sub(1) {
        // The second instruction is read before it is itself rewritten
        // (the loop moves forward), so a fused form always carries the
        // pair's original operands.
        let third = ops.get(i + 2).copied();
        let fused = match (ops[i], ops[i + 1]) {
            (Op::LoadFast(a), Op::LoadFast(b)) => match third {
                Some(Op::Binary(op)) => small(a, b).map(|(a, b)| Op::BinaryFast2(op, a, b)),
                _ => small(a, b).map(|(a, b)| Op::LoadFast2(a, b)),
            },
            (Op::LoadFast(b), Op::Binary(op)) => {
                u16::try_from(b).ok().map(|b| Op::BinaryFast(op, b))
            }
            (Op::StoreFast(a), Op::LoadFast(b)) => {
                small(a, b).map(|(a, b)| Op::StoreLoadFast(a, b))
            }
            (Op::Compare(c), Op::PopJumpIfFalse(t)) if ordering(c) => Some(Op::CompareJump(c, t)),
            (Op::ForIter(exit), Op::StoreFast(s)) => {
                u16::try_from(s).ok().map(|s| Op::ForIterStore(exit, s))
            }
            (Op::StoreFast(a), Op::StoreFast(b)) => small(a, b).map(|(a, b)| Op::StoreFast2(a, b)),
            (Op::LoadInt(k), Op::Binary(op)) => Some(Op::BinaryInt(op, k)),
            _ => None,
        };
        if let Some(f) = fused {
            ops[i] = f;
        }
    }
}

fn small(a: u32, b: u32) -> Option<(u16, u16)> {
    Some((u16::try_from(a).ok()?, u16::try_from(b).ok()?))
}

/// Comparisons the fused form decides for two ints.
fn ordering(c: CmpOp) -> bool {
    matches!(
        c,
        CmpOp::Lt | CmpOp::LtE | CmpOp::Gt | CmpOp::GtE | CmpOp::Eq | CmpOp::NotEq
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_fuse_and_seconds_stay() {
        let mut ops = vec![
            Op::LoadFast(0),
            Op::LoadFast(1),
            Op::LoadFast(2),
            Op::Compare(CmpOp::Lt),
            Op::PopJumpIfFalse(9),
            Op::StoreFast(3),
            Op::LoadFast(4),
            Op::ForIter(9),
            Op::StoreFast(5),
            Op::Return,
        ];
        fuse(&mut ops);
        assert_eq!(
            ops,
            vec![
                Op::LoadFast2(0, 1),
                Op::LoadFast2(1, 2),
                Op::LoadFast(2),
                Op::CompareJump(CmpOp::Lt, 9),
                Op::PopJumpIfFalse(9),
                Op::StoreLoadFast(3, 4),
                Op::LoadFast(4),
                Op::ForIterStore(9, 5),
                Op::StoreFast(5),
                Op::Return,
            ]
        );
    }

    #[test]
    fn stores_and_immediates_fuse() {
        let mut ops = vec![
            Op::StoreFast(1),
            Op::StoreFast(2),
            Op::LoadInt(7),
            Op::Binary(crate::syntax::ast::BinOp::Mod),
            Op::Return,
        ];
        fuse(&mut ops);
        assert_eq!(ops[0], Op::StoreFast2(1, 2));
        assert_eq!(ops[1], Op::StoreFast(2));
        assert_eq!(ops[2], Op::BinaryInt(crate::syntax::ast::BinOp::Mod, 7));
    }

    #[test]
    fn arithmetic_on_locals_fuses() {
        use crate::syntax::ast::BinOp;
        let mut ops = vec![
            Op::LoadFast(1),
            Op::LoadFast(2),
            Op::Binary(BinOp::Mul),
            Op::LoadFast(3),
            Op::Binary(BinOp::Add),
            Op::Return,
        ];
        fuse(&mut ops);
        assert_eq!(ops[0], Op::BinaryFast2(BinOp::Mul, 1, 2));
        assert_eq!(ops[1], Op::BinaryFast(BinOp::Mul, 2));
        assert_eq!(ops[2], Op::Binary(BinOp::Mul));
        assert_eq!(ops[3], Op::BinaryFast(BinOp::Add, 3));
        assert_eq!(ops[4], Op::Binary(BinOp::Add));
    }

    #[test]
    fn identity_and_membership_tests_are_not_fused() {
        let mut ops = vec![Op::Compare(CmpOp::In), Op::PopJumpIfFalse(2), Op::Return];
        fuse(&mut ops);
        assert_eq!(ops[0], Op::Compare(CmpOp::In));
    }
}
