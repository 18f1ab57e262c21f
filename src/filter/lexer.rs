//! Tokens of the filter language, each with its character (not byte) position.
//!
//! Values are lexed loosely as words (anything up to whitespace or punctuation), so IPs,
//! CIDRs, times, MACs and units stay whole; `check` gives them meaning per field. `..`
//! is its own token so `5985..5986` is a range without spaces.

use super::FilterError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `in` (a set, range or CIDR).
    In,
    /// `~`, a case-insensitive regex match.
    Match,
    /// `!~`.
    NotMatch,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::In => "in",
            Op::Match => "~",
            Op::NotMatch => "!~",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A bare word: field, keyword or unquoted value.
    Word(String),
    /// A quoted string, unescaped.
    Str(String),
    Op(Op),
    /// `&&`
    And,
    /// `||`
    Or,
    /// `!`
    Not,
    LParen,
    RParen,
    LBrace,
    RBrace,
    Comma,
    DotDot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// Character offset of the token's first character.
    pub pos: usize,
    /// Length in characters (quotes included for strings).
    pub len: usize,
}

impl Token {
    /// The word's text if this token is a bare word.
    pub fn word(&self) -> Option<&str> {
        match &self.kind {
            Kind::Word(w) => Some(w),
            _ => None,
        }
    }
    /// True for a bare word equal (case-insensitively) to `keyword`.
    pub fn is_keyword(&self, keyword: &str) -> bool {
        self.word().is_some_and(|w| w.eq_ignore_ascii_case(keyword))
    }
}

/// Characters that end a bare word.
fn is_punct(c: char) -> bool {
    matches!(
        c,
        '(' | ')' | '{' | '}' | ',' | '=' | '!' | '<' | '>' | '~' | '&' | '|' | '"' | '\''
    )
}

pub fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let single = |kind: Kind| Token {
            kind,
            pos: i,
            len: 1,
        };
        let double = |kind: Kind| Token {
            kind,
            pos: i,
            len: 2,
        };
        let token = match (c, next) {
            (c, _) if c.is_whitespace() => {
                i += 1;
                continue;
            }
            ('"' | '\'', _) => quoted(&chars, i)?,
            ('(', _) => single(Kind::LParen),
            (')', _) => single(Kind::RParen),
            ('{', _) => single(Kind::LBrace),
            ('}', _) => single(Kind::RBrace),
            (',', _) => single(Kind::Comma),
            ('.', Some('.')) => double(Kind::DotDot),
            ('=', Some('=')) => double(Kind::Op(Op::Eq)),
            // A lone `=` is forgiven: everyone types it.
            ('=', _) => single(Kind::Op(Op::Eq)),
            ('!', Some('=')) => double(Kind::Op(Op::Ne)),
            ('!', Some('~')) => double(Kind::Op(Op::NotMatch)),
            ('!', _) => single(Kind::Not),
            ('<', Some('=')) => double(Kind::Op(Op::Le)),
            ('<', _) => single(Kind::Op(Op::Lt)),
            ('>', Some('=')) => double(Kind::Op(Op::Ge)),
            ('>', _) => single(Kind::Op(Op::Gt)),
            ('~', _) => single(Kind::Op(Op::Match)),
            ('&', Some('&')) => double(Kind::And),
            ('|', Some('|')) => double(Kind::Or),
            ('&', _) => return Err(FilterError::at(i, "expected `&&` (or `and`)")),
            ('|', _) => return Err(FilterError::at(i, "expected `||` (or `or`)")),
            _ => word(&chars, i),
        };
        i = token.pos + token.len;
        tokens.push(token);
    }
    Ok(tokens)
}

fn word(chars: &[char], start: usize) -> Token {
    let mut end = start;
    while end < chars.len() {
        let c = chars[end];
        let dotdot = c == '.' && chars.get(end + 1) == Some(&'.');
        if c.is_whitespace() || is_punct(c) || dotdot {
            break;
        }
        end += 1;
    }
    Token {
        kind: Kind::Word(chars[start..end].iter().collect()),
        pos: start,
        len: end - start,
    }
}

/// A string in `"` or `'`; a backslash escapes the next character.
fn quoted(chars: &[char], start: usize) -> Result<Token, FilterError> {
    let quote = chars[start];
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                // Keep the backslash before characters a regex needs escaped.
                let escaped = chars[i + 1];
                if escaped != quote && escaped != '\\' {
                    text.push('\\');
                }
                text.push(escaped);
                i += 2;
            }
            c if c == quote => {
                return Ok(Token {
                    kind: Kind::Str(text),
                    pos: start,
                    len: i + 1 - start,
                })
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    Err(FilterError::at(
        chars.len(),
        format!(
            "expected a closing {quote} for the string opened at column {}",
            start + 1
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Kind> {
        tokenize(text)
            .unwrap()
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }
    fn w(s: &str) -> Kind {
        Kind::Word(s.into())
    }

    #[test]
    fn words_keep_addresses_times_and_units_whole() {
        assert_eq!(
            kinds("src==10.0.0.0/8 || time>=2024-11-18T08:30:00Z && bytes>1.5kB"),
            vec![
                w("src"),
                Kind::Op(Op::Eq),
                w("10.0.0.0/8"),
                Kind::Or,
                w("time"),
                Kind::Op(Op::Ge),
                w("2024-11-18T08:30:00Z"),
                Kind::And,
                w("bytes"),
                Kind::Op(Op::Gt),
                w("1.5kB"),
            ]
        );
        assert_eq!(
            kinds("ip == fe80::1/64"),
            vec![w("ip"), Kind::Op(Op::Eq), w("fe80::1/64")]
        );
    }

    #[test]
    fn ranges_sets_and_negations() {
        assert_eq!(
            kinds("{22, 5985..5986} !~ !x"),
            vec![
                Kind::LBrace,
                w("22"),
                Kind::Comma,
                w("5985"),
                Kind::DotDot,
                w("5986"),
                Kind::RBrace,
                Kind::Op(Op::NotMatch),
                Kind::Not,
                w("x"),
            ]
        );
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let t = tokenize("rule == \"Über\" and x").unwrap();
        assert_eq!((t[2].pos, t[2].len), (8, 6));
        assert_eq!(t[3].pos, 15);
        assert_eq!(t[4].pos, 19);
    }

    #[test]
    fn strings_unescape_quotes_and_keep_regex_escapes() {
        assert_eq!(kinds(r#""a\"b\.c""#), vec![Kind::Str(r#"a"b\.c"#.into())]);
        assert_eq!(kinds("'x y'"), vec![Kind::Str("x y".into())]);
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = tokenize("rule == \"open").unwrap_err();
        assert_eq!(e.position, 13);
        assert!(e.message.contains("closing"), "{}", e.message);
        assert_eq!(tokenize("deny & tcp").unwrap_err().position, 5);
    }
}
