//! The parsed, not yet typed, filter: words and strings with their positions.

use super::lexer::Op;

/// A literal as typed: a bare word or a quoted string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Atom {
    pub text: String,
    /// Character offset of the first character (the quote for a string).
    pub pos: usize,
    pub quoted: bool,
}

impl Atom {
    /// Character position of the `offset`-th character of the text (quote skipped).
    pub fn char_pos(&self, offset: usize) -> usize {
        self.pos + usize::from(self.quoted) + offset
    }
}

/// One element of a value: a literal or an inclusive range `lo..hi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    One(Atom),
    Range(Atom, Atom),
}

impl Item {
    pub fn pos(&self) -> usize {
        match self {
            Item::One(a) | Item::Range(a, _) => a.pos,
        }
    }
}

/// The right-hand side of a comparison: one item, or a `{…}` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub items: Vec<Item>,
    pub is_set: bool,
    pub pos: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// Empty filter text.
    All,
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `field op value`; `negated` for `field not in …`.
    Compare {
        field: Atom,
        op: Op,
        op_pos: usize,
        negated: bool,
        value: Value,
    },
    /// A word on its own: a shorthand (`deny`, `tcp`), an address or a CIDR.
    Bare(Atom),
    /// `last 15m`.
    Last(Atom),
}

impl Expr {
    /// Whether a `last …` anywhere in the expression needs the newest tuple of the load.
    pub fn uses_last(&self) -> bool {
        match self {
            Expr::Last(_) => true,
            Expr::And(a, b) | Expr::Or(a, b) => a.uses_last() || b.uses_last(),
            Expr::Not(a) => a.uses_last(),
            Expr::All | Expr::Compare { .. } | Expr::Bare(_) => false,
        }
    }
}
