//! Recursive-descent parser: `not` binds tighter than `and`, which binds tighter than `or`.
//!
//! ```text
//! or      := and (("or" | "||") and)*
//! and     := unary (("and" | "&&") unary)*
//! unary   := ("not" | "!") unary | primary
//! primary := "(" or ")" | "last" DURATION | FIELD [not] OP value | FIELD value | WORD
//! value   := item | "{" item ("," item)* [","] "}"
//! item    := atom [".." atom]
//! ```
//! `FIELD value` (no operator) means `==`, as in nfdump and tcpdump (`port 22`).

use super::ast::{Atom, Expr, Item, Value};
use super::lexer::{Kind, Op, Token};
use super::FilterError;

/// Nesting of `(` and `not` allowed: evaluation recurses once per level.
const MAX_DEPTH: usize = 64;
/// Terms allowed in one filter, for the same reason.
const MAX_TERMS: usize = 512;

/// Words that cannot start a value or be a field.
const RESERVED: [&str; 4] = ["and", "or", "not", "in"];

pub fn parse(tokens: &[Token], text_len: usize) -> Result<Expr, FilterError> {
    if tokens.is_empty() {
        return Ok(Expr::All);
    }
    let mut p = Parser {
        tokens,
        at: 0,
        text_len,
        depth: 0,
        terms: 0,
    };
    let expr = p.or()?;
    match p.peek() {
        None => Ok(expr),
        Some(t) if t.kind == Kind::RParen => Err(FilterError::at(t.pos, "unmatched `)`")),
        Some(t) => Err(FilterError::at(
            t.pos,
            "expected `and`, `or` or the end of the filter",
        )),
    }
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    text_len: usize,
    depth: usize,
    terms: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }
    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.at + ahead)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }
    /// Where the next token starts, or the end of the text.
    fn here(&self) -> usize {
        self.peek().map(|t| t.pos).unwrap_or(self.text_len)
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.and()?;
        while self
            .peek()
            .is_some_and(|t| t.kind == Kind::Or || t.is_keyword("or"))
        {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.unary()?;
        while self
            .peek()
            .is_some_and(|t| t.kind == Kind::And || t.is_keyword("and"))
        {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self
            .peek()
            .is_some_and(|t| t.kind == Kind::Not || t.is_keyword("not"))
        {
            self.enter(self.here())?;
            self.at += 1;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.terms += 1;
        if self.terms > MAX_TERMS {
            let message = format!("too many terms (at most {MAX_TERMS})");
            return Err(FilterError::at(self.here(), message));
        }
        self.primary()
    }

    /// One more level of nesting, opened at `pos`.
    fn enter(&mut self, pos: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let message = format!("nested too deeply (at most {MAX_DEPTH} levels)");
            return Err(FilterError::at(pos, message));
        }
        Ok(())
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let expected = "expected a field, a shorthand such as `deny` or `tcp`, or `(`";
        let Some(token) = self.next() else {
            return Err(FilterError::at(self.text_len, expected));
        };
        match token.kind {
            Kind::LParen => {
                self.enter(token.pos)?;
                let inner = self.or()?;
                self.depth -= 1;
                match self.next() {
                    Some(t) if t.kind == Kind::RParen => Ok(inner),
                    Some(t) => Err(FilterError::at(t.pos, "expected `)`")),
                    None => Err(FilterError::at(self.text_len, "expected `)`")),
                }
            }
            // `in` cannot start a comparison; alone it is the ambiguous shorthand `check` explains.
            Kind::Word(w) if w.eq_ignore_ascii_case("in") => Ok(Expr::Bare(Atom {
                text: w,
                pos: token.pos,
                quoted: false,
            })),
            Kind::Word(ref w) if is_connective(w) => Err(FilterError::at(token.pos, expected)),
            Kind::Word(ref w) if w.eq_ignore_ascii_case("last") => {
                self.last(token.pos).map(Expr::Last)
            }
            Kind::Word(w) => self.after_word(Atom {
                text: w,
                pos: token.pos,
                quoted: false,
            }),
            _ => Err(FilterError::at(token.pos, expected)),
        }
    }

    fn last(&mut self, pos: usize) -> Result<Atom, FilterError> {
        match self.peek() {
            Some(Token {
                kind: Kind::Word(w),
                pos,
                ..
            }) if !is_reserved(w) => {
                let atom = Atom {
                    text: w.clone(),
                    pos: *pos,
                    quoted: false,
                };
                self.at += 1;
                Ok(atom)
            }
            _ => Err(FilterError::at(
                self.here().max(pos),
                "expected a duration such as 15m, 2h, 7d or 30s",
            )),
        }
    }

    /// A word was read: a comparison follows, or it stands alone as a shorthand.
    fn after_word(&mut self, field: Atom) -> Result<Expr, FilterError> {
        let negated = self.peek().is_some_and(|t| t.is_keyword("not"))
            && self.peek_at(1).is_some_and(|t| t.is_keyword("in"));
        if negated {
            self.at += 1;
        }
        let op = match self.peek() {
            Some(t) if t.is_keyword("in") => Some((Op::In, t.pos)),
            Some(Token {
                kind: Kind::Op(op),
                pos,
                ..
            }) => Some((*op, *pos)),
            _ => None,
        };
        if let Some((op, op_pos)) = op {
            self.at += 1;
            // An unknown field, or an operator the field does not take, is the first
            // thing wrong, though the value is missing too (`bad ==`, `src >` as typed
            // so far).
            let value =
                self.value()
                    .map_err(|e| match super::vocab::resolve_field(&field.text) {
                        Some(f) => super::check::operator_error(f, op, op_pos).unwrap_or(e),
                        None => super::check::unknown_field(&field),
                    })?;
            return Ok(Expr::Compare {
                field,
                op,
                op_pos,
                negated,
                value,
            });
        }
        // `port 22`: only after a known field, so `deny tcp` reads as a missing `and`.
        if super::vocab::resolve_field(&field.text).is_some() && self.starts_value() {
            let op_pos = self.here();
            let value = self.value()?;
            return Ok(Expr::Compare {
                field,
                op: Op::Eq,
                op_pos,
                negated: false,
                value,
            });
        }
        Ok(Expr::Bare(field))
    }

    fn starts_value(&self) -> bool {
        match self.peek().map(|t| &t.kind) {
            Some(Kind::Word(w)) => !is_reserved(w),
            Some(Kind::Str(_) | Kind::LBrace) => true,
            _ => false,
        }
    }

    fn value(&mut self) -> Result<Value, FilterError> {
        let pos = self.here();
        if !self.peek().is_some_and(|t| t.kind == Kind::LBrace) {
            let item = self.item()?;
            return Ok(Value {
                items: vec![item],
                is_set: false,
                pos,
            });
        }
        self.at += 1;
        let mut items = Vec::new();
        loop {
            if self.peek().is_some_and(|t| t.kind == Kind::RBrace) {
                self.at += 1;
                break;
            }
            items.push(self.item()?);
            match self.next() {
                Some(t) if t.kind == Kind::Comma => {}
                Some(t) if t.kind == Kind::RBrace => break,
                Some(t) => return Err(FilterError::at(t.pos, "expected `,` or `}`")),
                None => return Err(FilterError::at(self.text_len, "expected `,` or `}`")),
            }
        }
        if items.is_empty() {
            return Err(FilterError::at(pos, "expected at least one value in `{…}`"));
        }
        Ok(Value {
            items,
            is_set: true,
            pos,
        })
    }

    fn item(&mut self) -> Result<Item, FilterError> {
        let lo = self.atom()?;
        if !self.peek().is_some_and(|t| t.kind == Kind::DotDot) {
            return Ok(Item::One(lo));
        }
        self.at += 1;
        Ok(Item::Range(lo, self.atom()?))
    }

    fn atom(&mut self) -> Result<Atom, FilterError> {
        let pos = self.here();
        match self.peek().map(|t| &t.kind) {
            // `in` is a value here: `dir == in`.
            Some(Kind::Word(w)) if !is_connective(w) => {
                let text = w.clone();
                self.at += 1;
                Ok(Atom {
                    text,
                    pos,
                    quoted: false,
                })
            }
            Some(Kind::Str(s)) => {
                let text = s.clone();
                self.at += 1;
                Ok(Atom {
                    text,
                    pos,
                    quoted: true,
                })
            }
            _ => Err(FilterError::at(pos, "expected a value")),
        }
    }
}

fn is_connective(word: &str) -> bool {
    RESERVED[..3].iter().any(|r| word.eq_ignore_ascii_case(r))
}

fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| word.eq_ignore_ascii_case(r))
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn parse_text(text: &str) -> Result<Expr, FilterError> {
        parse(&tokenize(text)?, text.chars().count())
    }

    /// A compact rendering of the tree to compare shapes.
    fn shape(e: &Expr) -> String {
        match e {
            Expr::All => "all".into(),
            Expr::And(a, b) => format!("({} & {})", shape(a), shape(b)),
            Expr::Or(a, b) => format!("({} | {})", shape(a), shape(b)),
            Expr::Not(a) => format!("!{}", shape(a)),
            Expr::Compare {
                field, op, negated, ..
            } => format!(
                "{}{}{}",
                if *negated { "!" } else { "" },
                field.text,
                op.symbol()
            ),
            Expr::Bare(a) => a.text.clone(),
            Expr::Last(a) => format!("last{}", a.text),
        }
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let e = parse_text("a or not b and c").unwrap();
        assert_eq!(shape(&e), "(a | (!b & c))");
        let e = parse_text("(a || b) && !c").unwrap();
        assert_eq!(shape(&e), "((a | b) & !c)");
        let e = parse_text("A AND B Or NOT C").unwrap();
        assert_eq!(shape(&e), "((A & B) | !C)");
    }

    #[test]
    fn comparisons_sets_ranges_and_implicit_equality() {
        let e = parse_text("dport in {22, 5985..5986,} and port 80").unwrap();
        assert_eq!(shape(&e), "(dportin & port==)");
        let Expr::And(left, _) = e else {
            panic!("not an and")
        };
        let Expr::Compare { value, .. } = *left else {
            panic!("not a comparison")
        };
        assert!(value.is_set);
        assert_eq!(value.items.len(), 2);
        assert!(
            matches!(&value.items[1], Item::Range(lo, hi) if lo.text == "5985" && hi.text == "5986")
        );
        assert_eq!(shape(&parse_text("dport not in {1}").unwrap()), "!dportin");
        assert_eq!(shape(&parse_text("last 15m").unwrap()), "last15m");
        assert_eq!(parse_text("  ").unwrap(), Expr::All);
    }

    #[test]
    fn errors_name_position_and_expectation() {
        let cases = [
            ("dport ==", 8, "expected a value"),
            ("(deny", 5, "expected `)`"),
            ("deny)", 4, "unmatched `)`"),
            (
                "deny tcp",
                5,
                "expected `and`, `or` or the end of the filter",
            ),
            (
                "port 22 80",
                8,
                "expected `and`, `or` or the end of the filter",
            ),
            (
                "deny and",
                8,
                "expected a field, a shorthand such as `deny` or `tcp`, or `(`",
            ),
            ("dport in {22 80}", 13, "expected `,` or `}`"),
            ("dport in {}", 9, "expected at least one value in `{…}`"),
            ("last", 4, "expected a duration such as 15m, 2h, 7d or 30s"),
            (
                &"(".repeat(100),
                64,
                "nested too deeply (at most 64 levels)",
            ),
            (
                &"!".repeat(100),
                64,
                "nested too deeply (at most 64 levels)",
            ),
        ];
        let many = vec!["tcp"; 600].join(" or ");
        let e = parse_text(&many).unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (512 * 7, "too many terms (at most 512)")
        );
        for (text, pos, message) in cases {
            let e = parse_text(text).unwrap_err();
            assert_eq!((e.position, e.message.as_str()), (pos, message), "{text}");
        }
    }
}
