//! A string that matches a `pattern` of the spec, for sample values.
//!
//! Covers the regex syntax the spec's patterns use: anchors, literals, `.`, the escapes `\w \d \s`
//! and their negations, bracket classes with ranges and negation, groups (capturing or `(?:`) with
//! alternation, and the quantifiers `? * + {n} {n,} {n,m}`. Anything else gives `None`, and the
//! sample's check against the pattern (with the `regex` crate) reports it.
//!
//! The characters are taken from the parameter's name where they fit, so the values read like
//! their parameter: `^user_\w{27}$` for `created_by` gives `user_createdby0123456789abcdefgh`.
//! A group is taken once, its first alternative; an optional part is included; an open repetition
//! goes on while the name has characters left.

/// A string matching `pattern`, spelled from `name` where the pattern allows.
pub fn generate(pattern: &str, name: &str) -> Option<String> {
    let mut parser = Parser {
        chars: pattern.chars().collect(),
        at: 0,
    };
    let alternatives = parser.alternatives()?;
    if parser.at != parser.chars.len() {
        return None;
    }
    let mut out = Filler::new(name);
    out.node(&Node::Group(alternatives))?;
    Some(out.text)
}

/// One piece of a pattern.
enum Node {
    Literal(char),
    Set(Set),
    /// Alternatives, each a sequence.
    Group(Vec<Vec<Node>>),
    Repeat {
        node: Box<Node>,
        min: usize,
        max: Option<usize>,
    },
    /// `^` or `$`: matches no character.
    Anchor,
}

/// A set of characters.
enum Set {
    Any,
    Word(bool),
    Digit(bool),
    Space(bool),
    Bracket { negated: bool, items: Vec<Item> },
}

enum Item {
    Range(char, char),
    Set(Set),
}

impl Set {
    fn contains(&self, c: char) -> bool {
        match self {
            Set::Any => c != '\n',
            Set::Word(yes) => (c.is_ascii_alphanumeric() || c == '_') == *yes,
            Set::Digit(yes) => c.is_ascii_digit() == *yes,
            Set::Space(yes) => c.is_whitespace() == *yes,
            Set::Bracket { negated, items } => {
                items.iter().any(|item| match item {
                    Item::Range(low, high) => (*low..=*high).contains(&c),
                    Item::Set(set) => set.contains(c),
                }) != *negated
            }
        }
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.at += 1;
        }
        found
    }

    /// `a|b|c` up to a `)` or the end.
    fn alternatives(&mut self) -> Option<Vec<Vec<Node>>> {
        let mut alternatives = vec![self.sequence()?];
        while self.eat('|') {
            alternatives.push(self.sequence()?);
        }
        Some(alternatives)
    }

    fn sequence(&mut self) -> Option<Vec<Node>> {
        let mut nodes = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            nodes.push(self.quantified(atom)?);
        }
        Some(nodes)
    }

    fn atom(&mut self) -> Option<Node> {
        Some(match self.next()? {
            '^' | '$' => Node::Anchor,
            '.' => Node::Set(Set::Any),
            '(' => {
                // `(?:` groups like `(`; other `(?` forms are not supported.
                if self.eat('?') && !self.eat(':') {
                    return None;
                }
                let group = self.alternatives()?;
                self.eat(')').then_some(Node::Group(group))?
            }
            '[' => Node::Set(self.bracket()?),
            '\\' => match self.escape()? {
                Item::Set(set) => Node::Set(set),
                Item::Range(c, _) => Node::Literal(c),
            },
            '*' | '+' | '?' | '{' | ')' | ']' => return None,
            c => Node::Literal(c),
        })
    }

    /// After a `\`: a class escape or an escaped literal.
    fn escape(&mut self) -> Option<Item> {
        let c = self.next()?;
        Some(match c {
            'w' | 'W' => Item::Set(Set::Word(c == 'w')),
            'd' | 'D' => Item::Set(Set::Digit(c == 'd')),
            's' | 'S' => Item::Set(Set::Space(c == 's')),
            c if c.is_ascii_alphanumeric() => return None,
            c => Item::Range(c, c),
        })
    }

    /// After a `[`: the class up to its `]`.
    fn bracket(&mut self) -> Option<Set> {
        let negated = self.eat('^');
        let mut items = Vec::new();
        loop {
            let c = self.next()?;
            let low = match c {
                ']' if !items.is_empty() => break,
                '\\' => match self.escape()? {
                    Item::Range(c, _) => c,
                    set => {
                        items.push(set);
                        continue;
                    }
                },
                c => c,
            };
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|&c| c != ']') {
                self.at += 1;
                let high = self.next()?;
                items.push(Item::Range(low, high));
            } else {
                items.push(Item::Range(low, low));
            }
        }
        Some(Set::Bracket { negated, items })
    }

    fn number(&mut self) -> Option<usize> {
        let start = self.at;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
        self.chars[start..self.at]
            .iter()
            .collect::<String>()
            .parse()
            .ok()
    }

    fn quantified(&mut self, node: Node) -> Option<Node> {
        let (min, max) = match self.peek() {
            Some('?') => (0, Some(1)),
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('{') => {
                self.at += 1;
                let min = self.number()?;
                let max = if self.eat(',') {
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if !self.eat('}') {
                    return None;
                }
                return Some(Node::Repeat {
                    node: Box::new(node),
                    min,
                    max,
                });
            }
            _ => return Some(node),
        };
        self.at += 1;
        // Lazy and possessive suffixes are not supported.
        if matches!(self.peek(), Some('?' | '+')) {
            return None;
        }
        Some(Node::Repeat {
            node: Box::new(node),
            min,
            max,
        })
    }
}

/// Characters to draw from after the name's.
const POOL: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// An open repetition stops here, even if the name is longer.
const MAX_REPEAT: usize = 32;

struct Filler {
    /// The name's letters and digits, then [`POOL`].
    candidates: Vec<char>,
    /// How many of `candidates` come from the name.
    from_name: usize,
    /// The next candidate to try.
    cursor: usize,
    text: String,
}

impl Filler {
    fn new(name: &str) -> Self {
        let mut candidates: Vec<char> = name.chars().filter(char::is_ascii_alphanumeric).collect();
        let from_name = candidates.len();
        candidates.extend(POOL.chars());
        Self {
            candidates,
            from_name,
            cursor: 0,
            text: String::new(),
        }
    }

    /// The next candidate in `set` (a letter in either case), cycling through the pool once the
    /// name is used up.
    fn pick(&mut self, set: &Set) -> Option<char> {
        let total = self.candidates.len();
        for step in 0..total {
            let index = if self.cursor + step < total {
                self.cursor + step
            } else {
                self.from_name + (self.cursor + step - total) % (total - self.from_name)
            };
            let c = self.candidates[index];
            let fits = [c, c.to_ascii_uppercase(), c.to_ascii_lowercase()]
                .into_iter()
                .find(|&c| set.contains(c));
            if let Some(c) = fits {
                self.cursor = index + 1;
                if self.cursor >= total {
                    self.cursor = self.from_name;
                }
                return Some(c);
            }
        }
        // Nothing of the name or pool fits (`[^a-zA-Z0-9]`, say): try punctuation.
        "-_.~!*".chars().find(|&c| set.contains(c))
    }

    fn node(&mut self, node: &Node) -> Option<()> {
        match node {
            Node::Anchor => {}
            Node::Literal(c) => self.text.push(*c),
            Node::Set(set) => {
                let c = self.pick(set)?;
                self.text.push(c);
            }
            Node::Group(alternatives) => {
                for node in alternatives.first()? {
                    self.node(node)?;
                }
            }
            Node::Repeat { node, min, max } => {
                let max = max.unwrap_or(usize::MAX);
                let mut count = 0;
                // At least once when allowed, then on while the name lasts.
                while count < max
                    && (count < (*min).max(1)
                        || (self.cursor < self.from_name && count < MAX_REPEAT))
                {
                    self.node(node)?;
                    count += 1;
                }
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::validate::matches;
    use super::*;

    #[test]
    fn samples_match_their_pattern() {
        for (pattern, name, expected) in [
            (
                r"^user_\w{27}$",
                "created_by",
                "user_createdby0123456789abcdefgh",
            ),
            (r"^[A-Z]{2}$", "blocked_country_codes", "BL"),
            (
                r"^(ak|api_key)_[0-9A-Fa-f]{32}$",
                "apiKeyID",
                "ak_aeD0123456789abcdefABCDEF0123456",
            ),
            (r"^[^_][A-Za-z0-9_-]*$", "key", "key"),
            (r"^(\S(.*\S)?)?$", "name", "name0"),
            (r"^oauth_[a-z]+$", "provider", "oauth_provider"),
            (
                r"^from_oauth_(?:(?:token_)|(?:custom_))?[a-z]+$",
                "strategy",
                "from_oauth_token_strategy",
            ),
            (r"^a{2,}b{1,3}c?$", "", "aabc"),
        ] {
            let sample = generate(pattern, name);
            assert_eq!(sample.as_deref(), Some(expected), "{pattern}");
            assert!(matches(pattern, expected), "{pattern}: {expected}");
        }
    }

    #[test]
    fn every_pattern_of_the_spec_gets_a_matching_sample() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let spec = std::fs::read_to_string(root.join(super::super::SPEC)).expect("the spec");
        let mut count = 0;
        for line in spec.lines() {
            let Some(pattern) = line.trim().strip_prefix("pattern: ") else {
                continue;
            };
            let pattern = pattern.trim_matches('\'');
            for name in ["id", "user_id", ""] {
                let sample = generate(pattern, name);
                assert!(
                    sample.as_deref().is_some_and(|s| matches(pattern, s)),
                    "{pattern} ({name}): {sample:?}"
                );
            }
            count += 1;
        }
        assert!(count > 0, "the spec has patterns");
    }

    #[test]
    fn unsupported_syntax_is_none() {
        for pattern in [r"^(?=a)b$", r"a*?", r"\p{L}", r"a{x}", r"(ab"] {
            assert_eq!(generate(pattern, "x"), None, "{pattern}");
        }
    }
}
