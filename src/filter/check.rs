//! Typing: turns the parsed filter into conditions on store columns, checking that each
//! field, operator and value fit together and naming the position of anything that does not.

use super::ast::{Atom, Expr, Item, Value};
use super::lexer::Op;
use super::value::{self, AddrRange};
use super::vocab;
use super::FilterError;
use crate::field::Field;
use crate::model::{proto, Encryption};
use crate::store::flags::{ENC_SHIFT, STATE_SHIFT};
use crate::store::Columns;
use regex::{Regex, RegexBuilder};

/// Which address or port column a test reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Src,
    Dst,
    Either,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterKind {
    Bytes,
    Packets,
    BytesOut,
    BytesIn,
    PacketsOut,
    PacketsIn,
}

/// Text fields kept per group, record or file rather than per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextField {
    Rule,
    Mac,
    Acl,
    Nsg,
    Flowlog,
    Target,
    File,
}

#[derive(Debug, Clone)]
pub enum TextMatch {
    /// Normalized (see `normalize`) exact values.
    Exact(Vec<String>),
    Regex(Regex),
}

/// A set of codes of one bit field of `Flags`: `(flags >> shift) & (2^width - 1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagCodes {
    pub shift: u32,
    pub width: u32,
    pub codes: [u64; 4],
}

impl FlagCodes {
    fn new(shift: u32, width: u32) -> Self {
        FlagCodes {
            shift,
            width,
            codes: [0; 4],
        }
    }
    fn add(&mut self, code: u32) {
        self.codes[(code / 64) as usize] |= 1 << (code % 64);
    }
    #[inline]
    pub fn contains_flags(&self, flags: u32) -> bool {
        let code = (flags >> self.shift) & ((1 << self.width) - 1);
        self.codes[(code / 64) as usize] >> (code % 64) & 1 != 0
    }
}

/// One column test; a row passes when its value is in the set described.
#[derive(Debug, Clone)]
pub enum Test {
    /// Inclusive millisecond intervals.
    Time(Vec<(i64, i64)>),
    Port(Side, Vec<(u16, u16)>),
    Addr(Side, Vec<AddrRange>),
    Flags(FlagCodes),
    Counter(CounterKind, Vec<(u64, u64)>),
    Version(Vec<(u8, u8)>),
    Text(TextField, TextMatch),
}

#[derive(Debug, Clone)]
pub enum Cond {
    All,
    Nothing,
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Test(Test),
}

impl Cond {
    /// The optional store columns its tests read.
    pub fn columns(&self) -> Columns {
        match self {
            Cond::All | Cond::Nothing => Columns::NONE,
            Cond::And(a, b) | Cond::Or(a, b) => a.columns().union(b.columns()),
            Cond::Not(a) => a.columns(),
            Cond::Test(t) => t.columns(),
        }
    }
}

impl Test {
    /// The optional store columns it reads: times, flags, groups and records are always
    /// there.
    fn columns(&self) -> Columns {
        match self {
            Test::Port(..) => Columns::PORTS,
            Test::Addr(..) => Columns::ADDRESSES,
            Test::Counter(..) => Columns::COUNTERS,
            Test::Time(_) | Test::Flags(_) | Test::Version(_) | Test::Text(..) => Columns::NONE,
        }
    }
}

/// Text as compared by `==`: case-insensitive; MACs also ignore separators.
pub fn normalize(field: TextField, text: &str) -> String {
    let lower = text.to_lowercase();
    match field {
        TextField::Mac => lower
            .chars()
            .filter(|c| !matches!(c, '-' | ':' | '.'))
            .collect(),
        _ => lower,
    }
}

/// `newest` is the newest tuple time, the anchor of `last 15m`.
pub fn check(expr: &Expr, newest: Option<i64>) -> Result<Cond, FilterError> {
    let both = |a: &Expr, b: &Expr| -> Result<_, FilterError> {
        Ok((Box::new(check(a, newest)?), Box::new(check(b, newest)?)))
    };
    Ok(match expr {
        Expr::All => Cond::All,
        Expr::And(a, b) => both(a, b).map(|(a, b)| Cond::And(a, b))?,
        Expr::Or(a, b) => both(a, b).map(|(a, b)| Cond::Or(a, b))?,
        Expr::Not(a) => Cond::Not(Box::new(check(a, newest)?)),
        Expr::Last(atom) => {
            let span = value::duration(atom)?;
            match newest {
                Some(t) => Cond::Test(Test::Time(vec![(t.saturating_sub(span), i64::MAX)])),
                None => Cond::Nothing,
            }
        }
        Expr::Bare(atom) => bare(atom)?,
        Expr::Compare {
            field,
            op,
            op_pos,
            negated,
            value,
        } => {
            let Some(f) = vocab::resolve_field(&field.text) else {
                return Err(unknown_field(field));
            };
            let cond = compare(f, *op, *op_pos, value)?;
            if *negated {
                Cond::Not(Box::new(cond))
            } else {
                cond
            }
        }
    })
}

/// `field` is no field: the error, with the nearest names.
pub(super) fn unknown_field(field: &Atom) -> FilterError {
    let suggestions = vocab::field_suggestions(&field.text);
    let message = vocab::unknown_message("field", &field.text, &suggestions);
    FilterError::at(field.pos, message).with_suggestions(suggestions)
}

/// A word on its own: a shorthand, an address or CIDR (either side), or a mistake.
fn bare(atom: &Atom) -> Result<Cond, FilterError> {
    if let Some((field, values)) = vocab::shorthand(&atom.text) {
        let item = |v: &&str| {
            Item::One(Atom {
                text: (*v).into(),
                ..atom.clone()
            })
        };
        let value = Value {
            pos: atom.pos,
            items: values.iter().map(item).collect(),
            is_set: values.len() > 1,
        };
        return compare(field, Op::Eq, atom.pos, &value);
    }
    if atom.text.eq_ignore_ascii_case("in") || atom.text.eq_ignore_ascii_case("out") {
        let message = format!(
            "`{0}` alone is ambiguous; write `{0}bound` or `dir == {0}`",
            atom.text.to_lowercase()
        );
        return Err(FilterError::at(atom.pos, message));
    }
    match value::addr(atom) {
        Ok(range) => return Ok(Cond::Test(Test::Addr(Side::Either, vec![range]))),
        // Written as an address or CIDR: what is wrong with it, not "unknown field".
        Err(e) if looks_like_address(&atom.text) => return Err(e),
        Err(_) => {}
    }
    if let Some(field) = vocab::resolve_field(&atom.text) {
        let ops = vocab::operators(field).join(" ");
        let message = format!("expected an operator after `{field}`: {ops}");
        return Err(FilterError::at(
            atom.char_pos(atom.text.chars().count()),
            message,
        ));
    }
    let names = Field::ALL
        .iter()
        .map(|f| f.name())
        .chain(vocab::SHORTHANDS.iter().map(|s| s.0));
    let suggestions = vocab::suggestions(&atom.text, names);
    let message = vocab::unknown_message("field or shorthand", &atom.text, &suggestions);
    Err(FilterError::at(atom.pos, message).with_suggestions(suggestions))
}

/// Why `field` does not take `op`, at the operator; `None` when it does. The parser asks
/// too, so that `src >` (as typed so far) names the operator, not the missing value.
pub(super) fn operator_error(field: Field, op: Op, op_pos: usize) -> Option<FilterError> {
    let regex_op = matches!(op, Op::Match | Op::NotMatch);
    let ordering = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
    let textual = field.is_text();
    let message = if regex_op && !textual {
        format!(
            "`{}` matches text fields only (rule nsg mac flowlog target acl encryption file)",
            op.symbol()
        )
    } else if ordering && (textual || is_enum(field) || is_address(field)) {
        let ops = vocab::operators(field);
        let (last, rest) = ops.split_last().expect("every field takes ==");
        let ops = format!("{} or {last}", rest.join(", "));
        format!("`{}` does not apply to `{field}`; use {ops}", op.symbol())
    } else {
        return None;
    };
    Some(FilterError::at(op_pos, message))
}

fn compare(field: Field, op: Op, op_pos: usize, value: &Value) -> Result<Cond, FilterError> {
    let regex_op = matches!(op, Op::Match | Op::NotMatch);
    let ordering = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
    if let Some(e) = operator_error(field, op, op_pos) {
        return Err(e);
    }
    if (regex_op || ordering) && value.is_set {
        let message = format!("expected a single value after `{}`", op.symbol());
        return Err(FilterError::at(value.pos, message));
    }
    let positive = match op {
        // Encryption lives in the flags: a regex over its names picks codes.
        Op::Match | Op::NotMatch if field == Field::Encryption => encryption_regex(&regex(value)?),
        Op::Match | Op::NotMatch => Test::Text(text_field(field), TextMatch::Regex(regex(value)?)),
        _ if ordering => ordered(field, op, value)?,
        _ => equality(field, value)?,
    };
    Ok(match op {
        Op::Ne | Op::NotMatch => Cond::Not(Box::new(Cond::Test(positive))),
        _ => Cond::Test(positive),
    })
}

/// Digits and dots, or hex digits and colons, maybe with a `/`: an address meant.
fn looks_like_address(text: &str) -> bool {
    let starts = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == ':');
    let separated = text.contains(['.', ':']);
    starts
        && separated
        && text
            .chars()
            .all(|c| c.is_ascii_hexdigit() || ".:/".contains(c))
}

fn is_enum(field: Field) -> bool {
    matches!(
        field,
        Field::Dir | Field::Action | Field::State | Field::Encryption
    )
}

fn is_address(field: Field) -> bool {
    matches!(field, Field::Src | Field::Dst | Field::Ip)
}

/// The text column of a text field (called for text fields other than encryption).
fn text_field(field: Field) -> TextField {
    match field {
        Field::Mac => TextField::Mac,
        Field::Acl => TextField::Acl,
        Field::Nsg => TextField::Nsg,
        Field::Flowlog => TextField::Flowlog,
        Field::Target => TextField::Target,
        Field::File => TextField::File,
        _ => TextField::Rule,
    }
}

fn regex(value: &Value) -> Result<Regex, FilterError> {
    let atom = match &value.items[..] {
        [Item::One(atom)] => atom,
        items => {
            let pos = items.first().map(Item::pos).unwrap_or(value.pos);
            return Err(FilterError::at(pos, "expected a regular expression"));
        }
    };
    RegexBuilder::new(&atom.text)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let detail = e.to_string();
            let last = detail.lines().last().unwrap_or("").trim();
            // The regex crate's last line begins `error: `; ours says that already.
            let last = last.strip_prefix("error: ").unwrap_or(last);
            FilterError::at(atom.pos, format!("invalid regular expression: {last}"))
        })
}

fn encryption_regex(re: &Regex) -> Test {
    let mut codes = FlagCodes::new(ENC_SHIFT, 4);
    if re.is_match("") {
        codes.add(0);
    }
    for e in Encryption::ALL {
        if re.is_match(e.name()) {
            codes.add(e as u32 + 1);
        }
    }
    Test::Flags(codes)
}

/// `==` and `in`: the value's items as a set.
fn equality(field: Field, value: &Value) -> Result<Test, FilterError> {
    if field.is_text() && field != Field::Encryption {
        let tf = text_field(field);
        let words = value
            .items
            .iter()
            .map(|item| match item {
                Item::One(a) => Ok(normalize(tf, &a.text)),
                Item::Range(a, _) => Err(FilterError::at(a.pos, "a text field takes no range")),
            })
            .collect::<Result<_, _>>()?;
        return Ok(Test::Text(tf, TextMatch::Exact(words)));
    }
    if is_address(field) {
        let ranges = value
            .items
            .iter()
            .map(addr_item)
            .collect::<Result<_, _>>()?;
        return Ok(Test::Addr(side(field), ranges));
    }
    if is_enum(field) {
        return enum_codes(field, value);
    }
    let spans = value
        .items
        .iter()
        .map(|item| span(field, item))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(numeric(field, spans))
}

fn side(field: Field) -> Side {
    match field {
        Field::Src | Field::Sport => Side::Src,
        Field::Dst | Field::Dport => Side::Dst,
        _ => Side::Either,
    }
}

fn addr_item(item: &Item) -> Result<AddrRange, FilterError> {
    match item {
        Item::One(a) => value::addr(a),
        Item::Range(a, b) => {
            let (lo, hi) = (value::addr(a)?, value::addr(b)?);
            if lo.v6 != hi.v6 || lo.lo > hi.hi {
                return Err(FilterError::at(
                    a.pos,
                    "expected a range from low to high address of one family",
                ));
            }
            Ok(AddrRange {
                v6: lo.v6,
                lo: lo.lo,
                hi: hi.hi,
            })
        }
    }
}

fn enum_codes(field: Field, value: &Value) -> Result<Test, FilterError> {
    let (mut codes, expected) = match field {
        Field::Dir => (FlagCodes::new(8, 1), "expected in or out"),
        Field::Action => (FlagCodes::new(9, 1), "expected allow or deny"),
        Field::State => (
            FlagCodes::new(STATE_SHIFT, 3),
            "expected begin, continue, end or deny",
        ),
        _ => (
            FlagCodes::new(ENC_SHIFT, 4),
            "expected an encryption status such as X or NX",
        ),
    };
    for item in &value.items {
        let Item::One(atom) = item else {
            return Err(FilterError::at(
                item.pos(),
                format!("`{field}` takes no range"),
            ));
        };
        let code =
            enum_code(field, &atom.text).ok_or_else(|| FilterError::at(atom.pos, expected))?;
        codes.add(code);
    }
    Ok(Test::Flags(codes))
}

/// The `Flags` code of a value word, as `store::flags` packs it.
fn enum_code(field: Field, word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    match field {
        Field::Dir => match w.as_str() {
            "in" | "i" | "inbound" => Some(0),
            "out" | "o" | "outbound" => Some(1),
            _ => None,
        },
        Field::Action => match w.as_str() {
            "allow" | "a" | "allowed" => Some(0),
            "deny" | "d" | "denied" => Some(1),
            _ => None,
        },
        Field::State => match w.as_str() {
            // A version 1 tuple gives none: empty, or `-` as `stats` and tables write it.
            "" | "-" => Some(0),
            "begin" | "b" => Some(1),
            "continue" | "c" => Some(2),
            "end" | "e" => Some(3),
            "deny" | "d" => Some(4),
            _ => None,
        },
        // An NSG tuple gives none: the empty text, as for other text fields, or `-` as
        // `stats` and tables write it.
        _ if word.is_empty() || word == "-" => Some(0),
        _ => Encryption::parse(word).map(|e| e as u32 + 1),
    }
}

/// The inclusive span one item covers, in the field's integer domain.
fn span(field: Field, item: &Item) -> Result<(i128, i128), FilterError> {
    let (lo, hi) = match item {
        Item::One(a) => atom_span(field, a)?,
        Item::Range(a, b) => {
            let (lo, hi) = (atom_span(field, a)?.0, atom_span(field, b)?.1);
            if lo > hi {
                return Err(FilterError::at(
                    a.pos,
                    "range is empty: its start is after its end",
                ));
            }
            (lo, hi)
        }
    };
    Ok((lo, hi))
}

fn atom_span(field: Field, atom: &Atom) -> Result<(i128, i128), FilterError> {
    let point = |n: u64| (n as i128, n as i128);
    Ok(match field {
        Field::Time => {
            let (a, b) = value::time(atom)?;
            (a as i128, b as i128)
        }
        Field::Sport | Field::Dport | Field::Port => {
            point(value::uint(atom, 65535, "a port number")?)
        }
        Field::Proto => match proto::parse(&atom.text) {
            Some(p) => point(p as u64),
            None => point(value::uint(
                atom,
                255,
                "a protocol (tcp, udp, icmp or a number)",
            )?),
        },
        Field::Version => point(value::uint(atom, 255, "a version number")?),
        _ => point(value::count(atom)?),
    })
}

/// The field's value domain, inclusive.
fn domain(field: Field) -> (i128, i128) {
    match field {
        Field::Time => (i64::MIN as i128, i64::MAX as i128),
        Field::Sport | Field::Dport | Field::Port => (0, 65535),
        Field::Proto | Field::Version => (0, 255),
        _ => (0, u64::MAX as i128),
    }
}

fn ordered(field: Field, op: Op, value: &Value) -> Result<Test, FilterError> {
    let (min, max) = domain(field);
    let (lo, hi) = span(field, &value.items[0])?;
    let span = match op {
        Op::Lt => (min, lo - 1),
        Op::Le => (min, hi),
        Op::Gt => (hi + 1, max),
        _ => (lo, max),
    };
    Ok(numeric(field, vec![span]))
}

/// Builds the test for numeric spans, dropping the empty ones and clamping to the domain.
fn numeric(field: Field, spans: Vec<(i128, i128)>) -> Test {
    let (min, max) = domain(field);
    let spans: Vec<(i128, i128)> = spans
        .into_iter()
        .map(|(lo, hi)| (lo.max(min), hi.min(max)))
        .filter(|(lo, hi)| lo <= hi)
        .collect();
    let cast = |f: fn(i128) -> u64| spans.iter().map(move |&(lo, hi)| (f(lo), f(hi)));
    let as_u64 = |v: i128| v as u64;
    match field {
        Field::Time => Test::Time(spans.iter().map(|&(a, b)| (a as i64, b as i64)).collect()),
        Field::Sport | Field::Dport | Field::Port => Test::Port(
            side(field),
            cast(as_u64).map(|(a, b)| (a as u16, b as u16)).collect(),
        ),
        Field::Version => Test::Version(cast(as_u64).map(|(a, b)| (a as u8, b as u8)).collect()),
        Field::Proto => {
            let mut codes = FlagCodes::new(0, 8);
            for (lo, hi) in cast(as_u64) {
                (lo..=hi).for_each(|p| codes.add(p as u32));
            }
            Test::Flags(codes)
        }
        Field::Bytes => Test::Counter(CounterKind::Bytes, cast(as_u64).collect()),
        Field::Packets => Test::Counter(CounterKind::Packets, cast(as_u64).collect()),
        Field::BytesOut => Test::Counter(CounterKind::BytesOut, cast(as_u64).collect()),
        Field::BytesIn => Test::Counter(CounterKind::BytesIn, cast(as_u64).collect()),
        Field::PacketsOut => Test::Counter(CounterKind::PacketsOut, cast(as_u64).collect()),
        _ => Test::Counter(CounterKind::PacketsIn, cast(as_u64).collect()),
    }
}
