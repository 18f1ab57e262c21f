//! The evaluation plan: typed conditions bound to one store, with every dictionary lookup
//! done once (address and text ids → match tables, text fields → per-group verdicts).

use super::check::{normalize, Cond, CounterKind, FlagCodes, Side, Test, TextField, TextMatch};
use crate::store::{Store, NONE};

/// What a plan assumed about the store; a different store means building a new plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint([usize; 6]);

impl Fingerprint {
    pub fn of(store: &Store) -> Fingerprint {
        Fingerprint([
            store.len(),
            store.addrs().len(),
            store.texts().len(),
            store.groups().len(),
            store.records().len(),
            store.files().len(),
        ])
    }
}

#[derive(Debug, Clone)]
pub enum Node {
    All,
    Nothing,
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Leaf(Leaf),
}

#[derive(Debug, Clone)]
pub enum Leaf {
    /// Whole seconds, inclusive: no need to read the milliseconds.
    Secs(u32, u32),
    /// Milliseconds, inclusive.
    Millis(i64, i64),
    PortRange(Side, u16, u16),
    /// A bit per port number.
    PortTable(Side, Box<[u64]>),
    /// A bit per address id.
    Addr(Side, Box<[u64]>),
    /// `flags & mask == value`.
    FlagsEq(u32, u32),
    Flags(FlagCodes),
    Counter(CounterKind, Box<[(u64, u64)]>),
    /// A bit per group.
    Groups(Box<[u64]>),
}

#[inline]
pub fn bit(table: &[u64], i: usize) -> bool {
    table.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 != 0)
}

fn bitset(len: usize, mut f: impl FnMut(usize) -> bool) -> Box<[u64]> {
    let mut table = vec![0u64; len.div_ceil(64)];
    for i in 0..len {
        if f(i) {
            table[i / 64] |= 1 << (i % 64);
        }
    }
    table.into_boxed_slice()
}

pub fn build(cond: &Cond, store: &Store) -> Node {
    let pair = |a: &Cond, b: &Cond| (Box::new(build(a, store)), Box::new(build(b, store)));
    match cond {
        Cond::All => Node::All,
        Cond::Nothing => Node::Nothing,
        Cond::And(..) => {
            let mut terms = Vec::new();
            conjuncts(cond, &mut terms);
            and_all(terms.into_iter().map(|c| build(c, store)).collect())
        }
        Cond::Or(a, b) => {
            let (a, b) = pair(a, b);
            Node::Or(a, b)
        }
        Cond::Not(a) => Node::Not(Box::new(build(a, store))),
        Cond::Test(t) => test(t, store),
    }
}

/// The terms of a chain of `and`s.
fn conjuncts<'a>(cond: &'a Cond, out: &mut Vec<&'a Cond>) {
    match cond {
        Cond::And(a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        c => out.push(c),
    }
}

/// `And` of the nodes, with tests of the flags word merged into one scan (`deny and
/// inbound` reads the flags once) and the cheapest tests first, so later ones can skip
/// blocks the earlier ones emptied.
fn and_all(nodes: Vec<Node>) -> Node {
    let mut merged: Option<(u32, u32)> = None;
    let mut seconds: Option<(u32, u32)> = None;
    let mut rest = Vec::new();
    for node in nodes {
        match node {
            // `time >= a and time < b`: one scan of the seconds.
            Node::Leaf(Leaf::Secs(lo, hi)) => {
                let (a, b) = seconds.unwrap_or((0, u32::MAX));
                let (lo, hi) = (lo.max(a), hi.min(b));
                if lo > hi {
                    return Node::Nothing;
                }
                seconds = Some((lo, hi));
            }
            Node::Leaf(Leaf::FlagsEq(mask, value)) => {
                let (m, v) = merged.unwrap_or((0, 0));
                let shared = m & mask;
                if v & shared != value & shared {
                    return Node::Nothing;
                }
                merged = Some((m | mask, v | value));
            }
            Node::All => {}
            Node::Nothing => return Node::Nothing,
            n => rest.push(n),
        }
    }
    rest.sort_by_key(cost);
    if let Some((lo, hi)) = seconds {
        rest.insert(0, Node::Leaf(Leaf::Secs(lo, hi)));
    }
    if let Some((mask, value)) = merged {
        rest.insert(0, Node::Leaf(Leaf::FlagsEq(mask, value)));
    }
    rest.into_iter()
        .rev()
        .reduce(|acc, n| Node::And(Box::new(n), Box::new(acc)))
        .unwrap_or(Node::All)
}

/// A rough rank of how much a node costs to evaluate.
fn cost(node: &Node) -> u8 {
    match node {
        Node::Leaf(Leaf::Groups(_)) => 0,
        Node::Leaf(Leaf::Counter(..)) => 3,
        Node::Leaf(_) => 1,
        _ => 2,
    }
}

/// `Or` of one node per element; `Nothing` when empty.
fn any<T>(items: &[T], mut node: impl FnMut(&T) -> Node) -> Node {
    items
        .iter()
        .map(&mut node)
        .reduce(|a, b| Node::Or(Box::new(a), Box::new(b)))
        .unwrap_or(Node::Nothing)
}

fn test(t: &Test, store: &Store) -> Node {
    match t {
        Test::Time(spans) => any(spans, |&(lo, hi)| time(lo, hi)),
        Test::Port(side, spans) => match spans[..] {
            [] => Node::Nothing,
            [(lo, hi)] => Node::Leaf(Leaf::PortRange(*side, lo, hi)),
            _ => {
                let table = bitset(65536, |p| {
                    spans
                        .iter()
                        .any(|&(lo, hi)| (lo..=hi).contains(&(p as u16)))
                });
                Node::Leaf(Leaf::PortTable(*side, table))
            }
        },
        Test::Addr(side, ranges) => {
            let addrs = store.addrs();
            let table = bitset(addrs.len(), |id| {
                let addr = addrs.get(id as u32);
                ranges.iter().any(|r| r.contains(&addr))
            });
            Node::Leaf(Leaf::Addr(*side, table))
        }
        Test::Flags(codes) => flags(codes),
        Test::Counter(_, spans) if spans.is_empty() => Node::Nothing,
        Test::Counter(kind, spans) => {
            Node::Leaf(Leaf::Counter(*kind, spans.clone().into_boxed_slice()))
        }
        Test::Version(spans) => {
            let records = store.records();
            groups(store, |g| {
                let v = records.get(g.record as usize).map_or(0, |r| r.version);
                spans.iter().any(|&(lo, hi)| (lo..=hi).contains(&v))
            })
        }
        Test::Text(field, matcher) => text(*field, matcher, store),
    }
}

/// Latest representable row time: `u32::MAX` seconds and 999 ms.
const MAX_MS: i64 = u32::MAX as i64 * 1000 + 999;

fn time(lo: i64, hi: i64) -> Node {
    let (lo, hi) = (lo.max(0), hi.min(MAX_MS));
    if lo > hi {
        return Node::Nothing;
    }
    if lo % 1000 == 0 && hi % 1000 == 999 {
        Node::Leaf(Leaf::Secs((lo / 1000) as u32, (hi / 1000) as u32))
    } else {
        Node::Leaf(Leaf::Millis(lo, hi))
    }
}

fn flags(codes: &FlagCodes) -> Node {
    let count = codes.codes.iter().map(|w| w.count_ones()).sum::<u32>();
    if count == 0 {
        return Node::Nothing;
    }
    if count == 1 << codes.width {
        return Node::All;
    }
    if count == 1 {
        let code = (0..256u32)
            .find(|&c| codes.codes[(c / 64) as usize] >> (c % 64) & 1 != 0)
            .unwrap_or(0);
        let mask = ((1u32 << codes.width) - 1) << codes.shift;
        return Node::Leaf(Leaf::FlagsEq(mask, code << codes.shift));
    }
    Node::Leaf(Leaf::Flags(*codes))
}

fn groups(store: &Store, keep: impl Fn(&crate::store::Group) -> bool) -> Node {
    let groups = store.groups();
    Node::Leaf(Leaf::Groups(bitset(groups.len(), |i| keep(&groups[i]))))
}

/// Text tests: decide once per dictionary text (or file), then once per group.
fn text(field: TextField, matcher: &TextMatch, store: &Store) -> Node {
    let matches = |s: &str| match matcher {
        TextMatch::Regex(re) => re.is_match(s),
        TextMatch::Exact(words) => {
            let n = normalize(field, s);
            let base = n.rsplit(['/', '\\']).next().unwrap_or(&n);
            words
                .iter()
                .any(|w| *w == n || (field == TextField::File && w == base))
        }
    };
    if field == TextField::File {
        let files = store.files();
        let by_file = bitset(files.len(), |i| matches(&files[i].path));
        let records = store.records();
        return groups(store, |g| {
            records
                .get(g.record as usize)
                .is_some_and(|r| bit(&by_file, r.file as usize))
        });
    }
    let texts = store.texts().values();
    let by_text = bitset(texts.len(), |i| matches(&texts[i]));
    // An absent text is the empty one: `nsg == ""` selects the tuples without an NSG,
    // as `stats --by nsg` lists them under "".
    let absent = matches("");
    let known = |id: u32| match id {
        NONE => absent,
        id => bit(&by_text, id as usize),
    };
    let records = store.records();
    let record_text = |g: &crate::store::Group| {
        let r = records.get(g.record as usize);
        match field {
            TextField::Nsg => r.map_or(NONE, |r| r.nsg),
            TextField::Flowlog => r.map_or(NONE, |r| r.flowlog),
            _ => r.map_or(NONE, |r| r.target),
        }
    };
    groups(store, |g| match field {
        TextField::Rule => known(g.rule),
        TextField::Mac => known(g.mac),
        TextField::Acl => known(g.acl),
        _ => known(record_text(g)),
    })
}
