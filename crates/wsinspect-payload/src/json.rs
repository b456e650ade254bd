//! JSON (RFC 8259) with the byte span of every value and the position of the first syntax
//! error. serde_json keeps no positions, so this is a small recursive-descent reader of its own:
//! depth and node count are bounded ([`MAX_DEPTH`], [`MAX_NODES`]), every step consumes a byte
//! or stops, so time is linear in the input.

use crate::tree::{clip, quote, Code, Finding, Kind, Node};

/// Deepest nesting read; deeper is a [`Code::Limit`] finding.
pub const MAX_DEPTH: usize = 128;
/// Most values read in one message; more is a [`Code::Limit`] finding.
pub const MAX_NODES: usize = 100_000;

/// Why reading stopped: a finding at a place.
type Stop = Finding;

struct Parser<'a> {
    b: &'a [u8],
    pos: usize,
    nodes: usize,
}

/// Reads one JSON value filling `bytes` (whitespace around it allowed). The root is named
/// `name`. On an error the finding says where; the tree is then `None`.
pub fn parse(bytes: &[u8], name: &str) -> Result<Node, Finding> {
    let (node, end) = parse_prefix(bytes, name)?;
    let mut p = Parser {
        b: bytes,
        pos: end,
        nodes: 0,
    };
    p.ws();
    if p.pos < bytes.len() {
        return Err(Finding::new(
            Code::Trailing,
            format!("bytes after the JSON value at offset {}", p.pos),
            [p.pos, bytes.len()],
        ));
    }
    Ok(node)
}

/// Reads one JSON value at the start of `bytes` (after whitespace); returns it and where it ends.
pub fn parse_prefix(bytes: &[u8], name: &str) -> Result<(Node, usize), Finding> {
    let mut p = Parser {
        b: bytes,
        pos: 0,
        nodes: 0,
    };
    p.ws();
    let node = p.value(name, 0)?;
    Ok((node, p.pos))
}

/// Whether `bytes` are one whole JSON value (a cheap check for detection).
pub fn is_json(bytes: &[u8]) -> bool {
    could_be_json(bytes) && parse(bytes, "").is_ok()
}

/// Whether `bytes` start (after whitespace) with a byte a JSON value can start with: when not,
/// detection need not parse them (and format the error it would find).
pub fn could_be_json(bytes: &[u8]) -> bool {
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    matches!(
        first,
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
    )
}

/// The text of a string node made by this module (its value unquoted).
pub fn string_of(node: &Node) -> Option<String> {
    if node.kind != Kind::String {
        return None;
    }
    let v = node.value.as_deref()?;
    let mut p = Parser {
        b: v.as_bytes(),
        pos: 0,
        nodes: 0,
    };
    p.string_text().ok()
}

/// The child of an object node under `key`.
pub fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    if node.kind != Kind::Object {
        return None;
    }
    node.children.iter().find(|c| c.name == key)
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn err(&self, code: Code, what: &str) -> Stop {
        let at = self.pos.min(self.b.len());
        let end = (at + 1).min(self.b.len());
        let message = match self.b.get(at) {
            Some(c) => format!("{what} at offset {at} (found {:?})", *c as char),
            None => format!("{what} at offset {at} (the message ends)"),
        };
        Finding::new(
            if at >= self.b.len() {
                Code::Truncated
            } else {
                code
            },
            message,
            [at, end],
        )
    }

    fn value(&mut self, name: &str, depth: usize) -> Result<Node, Stop> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(Finding::new(
                Code::Limit,
                format!(
                    "more than {MAX_NODES} JSON values: not read further (a limit of wsinspect)"
                ),
                [self.pos, self.b.len()],
            ));
        }
        let start = self.pos;
        match self.b.get(self.pos) {
            Some(b'{') | Some(b'[') if depth >= MAX_DEPTH => Err(Finding::new(
                Code::Limit,
                format!("JSON nested deeper than {MAX_DEPTH} at offset {start}: not read further (a limit of wsinspect)"),
                [start, start + 1],
            )),
            Some(b'{') => self.object(name, depth),
            Some(b'[') => self.array(name, depth),
            Some(b'"') => {
                let text = self.string_text()?;
                Ok(Node::value(name, Kind::String, quote(&clip(&text, 4096)), [start, self.pos]))
            }
            Some(b't') => self.word(name, b"true", Kind::Bool),
            Some(b'f') => self.word(name, b"false", Kind::Bool),
            Some(b'n') => self.word(name, b"null", Kind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(name),
            _ => Err(self.err(Code::Syntax, "expected a JSON value")),
        }
    }

    fn word(&mut self, name: &str, w: &[u8], kind: Kind) -> Result<Node, Stop> {
        let start = self.pos;
        for &c in w {
            if self.b.get(self.pos) != Some(&c) {
                return Err(self.err(Code::Syntax, "expected true, false or null"));
            }
            self.pos += 1;
        }
        let v = core::str::from_utf8(w).unwrap_or_default();
        Ok(Node::value(name, kind, v, [start, self.pos]))
    }

    fn digits(&mut self) -> usize {
        let s = self.pos;
        while let Some(b'0'..=b'9') = self.b.get(self.pos) {
            self.pos += 1;
        }
        self.pos - s
    }

    fn number(&mut self, name: &str) -> Result<Node, Stop> {
        let start = self.pos;
        if self.b.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.b.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err(Code::Syntax, "expected a digit")),
        }
        if self.b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err(Code::Syntax, "expected a digit after the decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.b.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err(Code::Syntax, "expected a digit in the exponent"));
            }
        }
        let text = String::from_utf8_lossy(&self.b[start..self.pos]).into_owned();
        Ok(Node::value(name, Kind::Number, text, [start, self.pos]))
    }

    fn hex4(&mut self) -> Result<u32, Stop> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.b.get(self.pos) {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err(Code::Syntax, "expected 4 hex digits after \\u")),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    /// A string at `pos` (its opening quote), decoded.
    fn string_text(&mut self) -> Result<String, Stop> {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.pos) else {
                return Err(self.err(Code::Truncated, "unterminated string"));
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    self.pos += 1;
                    let e = self.b.get(self.pos).copied();
                    let ch = match e {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            self.pos -= 1;
                            let cp = if (0xD800..0xDC00).contains(&hi)
                                && self.b.get(self.pos + 1) == Some(&b'\\')
                                && self.b.get(self.pos + 2) == Some(&b'u')
                            {
                                let save = self.pos;
                                self.pos += 3;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    self.pos -= 1;
                                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                                } else {
                                    self.pos = save;
                                    0xFFFD
                                }
                            } else {
                                hi
                            };
                            char::from_u32(cp).unwrap_or('\u{FFFD}')
                        }
                        _ => return Err(self.err(Code::Syntax, "invalid escape in a string")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    self.pos += 1;
                }
                0..=0x1f => {
                    return Err(self.err(Code::Syntax, "control character inside a string"));
                }
                _ => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|e| {
            Finding::new(
                Code::Syntax,
                format!("a string that is not UTF-8 ({e})"),
                [self.pos.saturating_sub(1), self.pos],
            )
        })
    }

    fn object(&mut self, name: &str, depth: usize) -> Result<Node, Stop> {
        let start = self.pos;
        self.pos += 1;
        let mut children = Vec::new();
        self.ws();
        if self.b.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Node::parent(
                name,
                Kind::Object,
                [start, self.pos],
                children,
            ));
        }
        loop {
            self.ws();
            if self.b.get(self.pos) != Some(&b'"') {
                return Err(self.err(Code::Syntax, "expected a key (a string)"));
            }
            let key = self.string_text()?;
            self.ws();
            if self.b.get(self.pos) != Some(&b':') {
                return Err(self.err(Code::Syntax, "expected ':' after a key"));
            }
            self.pos += 1;
            self.ws();
            children.push(self.value(&key, depth + 1)?);
            self.ws();
            match self.b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.err(Code::Syntax, "expected ',' or '}' in an object")),
            }
        }
        Ok(Node::parent(
            name,
            Kind::Object,
            [start, self.pos],
            children,
        ))
    }

    fn array(&mut self, name: &str, depth: usize) -> Result<Node, Stop> {
        let start = self.pos;
        self.pos += 1;
        let mut children = Vec::new();
        self.ws();
        if self.b.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Node::parent(name, Kind::Array, [start, self.pos], children));
        }
        loop {
            self.ws();
            let n = format!("[{}]", children.len());
            children.push(self.value(&n, depth + 1)?);
            self.ws();
            match self.b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.err(Code::Syntax, "expected ',' or ']' in an array")),
            }
        }
        Ok(Node::parent(name, Kind::Array, [start, self.pos], children))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_detection_skips_never_parses() {
        for text in [
            "{}",
            " [1]",
            "\n\"s\"",
            "-1",
            "7",
            "true",
            "false",
            "null",
            "\t{\"a\":1}",
        ] {
            assert!(
                could_be_json(text.as_bytes()) && is_json(text.as_bytes()),
                "{text}"
            );
        }
        for text in [
            "",
            " ",
            "Hello",
            "'a'",
            "+1",
            ".5",
            "NaN",
            "<x/>",
            "\u{feff}{}",
        ] {
            assert!(
                !could_be_json(text.as_bytes()) && !is_json(text.as_bytes()),
                "{text}"
            );
        }
        proptest::proptest!(|(head in proptest::sample::select(b" \t\r\n{[\"-0tfnxH+.".to_vec()), tail in ".{0,12}")| {
            let b = [&[head][..], tail.as_bytes()].concat();
            proptest::prop_assert!(could_be_json(&b) || parse(&b, "").is_err(), "{b:?}");
        });
    }

    #[test]
    fn spans_of_values() {
        let s = br#"{"a": [1, "x\u00e9", true], "b": null}"#;
        let n = parse(s, "json").unwrap();
        assert_eq!(n.span, [0, s.len()]);
        let a = get(&n, "a").unwrap();
        assert_eq!(&s[a.span[0]..a.span[1]], br#"[1, "x\u00e9", true]"#);
        assert_eq!(string_of(&a.children[1]).unwrap(), "xé");
        assert_eq!(
            &s[a.children[1].span[0]..a.children[1].span[1]],
            br#""x\u00e9""#
        );
        assert_eq!(get(&n, "b").unwrap().kind, Kind::Null);
    }

    #[test]
    fn syntax_error_position() {
        let e = parse(br#"{"a": [1, 2,, 3]}"#, "json").unwrap_err();
        assert_eq!(e.code, Code::Syntax);
        assert_eq!(e.span, [12, 13]);
        let e = parse(br#"{"a": "#, "json").unwrap_err();
        assert_eq!(e.code, Code::Truncated);
        let e = parse(b"[1] x", "json").unwrap_err();
        assert_eq!(e.code, Code::Trailing);
        assert_eq!(e.span, [4, 5]);
    }

    #[test]
    fn surrogate_pairs_and_numbers() {
        let n = parse(br#"["\ud83d\ude00", -1.5e+3, 0]"#, "j").unwrap();
        assert_eq!(string_of(&n.children[0]).unwrap(), "😀");
        assert_eq!(n.children[1].value.as_deref(), Some("-1.5e+3"));
        assert!(parse(b"01", "j").is_err());
        assert!(parse(b"1.", "j").is_err());
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(100_000);
        let e = parse(deep.as_bytes(), "j").unwrap_err();
        assert_eq!(e.code, Code::Limit);
        assert_eq!(e.span, [MAX_DEPTH, MAX_DEPTH + 1]);
    }
}
