//! What each one-letter field's byte stands for, as tables every parser reads: the checked
//! and field-by-field parsers after making the letter uppercase, the whole-tuple reader
//! as it stands (a lookup rather than a branch that random letters would mispredict).

use crate::model::{proto, Decision, Direction, FlowState};

/// A table of 256 entries: the value of each listed uppercase letter, `None` elsewhere.
const fn table<T: Copy>(pairs: &[(u8, T)]) -> [Option<T>; 256] {
    let mut table = [None; 256];
    let mut k = 0;
    while k < pairs.len() {
        table[pairs[k].0 as usize] = Some(pairs[k].1);
        k += 1;
    }
    table
}

/// NSG's protocol letters (VNet and some tools write the number instead).
pub const PROTOCOL: [Option<u8>; 256] = table(&[(b'T', proto::TCP), (b'U', proto::UDP)]);
pub const DIRECTION: [Option<Direction>; 256] =
    table(&[(b'I', Direction::In), (b'O', Direction::Out)]);
pub const DECISION: [Option<Decision>; 256] =
    table(&[(b'A', Decision::Allow), (b'D', Decision::Deny)]);
pub const NSG_STATE: [Option<FlowState>; 256] = table(&[
    (b'B', FlowState::Begin),
    (b'C', FlowState::Continue),
    (b'E', FlowState::End),
]);
/// VNet adds `D`: there is no decision field, a denied flow is a state.
pub const VNET_STATE: [Option<FlowState>; 256] = table(&[
    (b'B', FlowState::Begin),
    (b'C', FlowState::Continue),
    (b'E', FlowState::End),
    (b'D', FlowState::Deny),
]);

/// The value of letter `c` in either case.
#[inline(always)]
pub fn any_case<T: Copy>(table: &[Option<T>; 256], c: u8) -> Option<T> {
    table[c.to_ascii_uppercase() as usize]
}

/// A field of one letter, in either case.
#[inline]
pub fn field<T: Copy>(table: &[Option<T>; 256], f: &[u8]) -> Option<T> {
    match f {
        [c] => any_case(table, *c),
        _ => None,
    }
}
