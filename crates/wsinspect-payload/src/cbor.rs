//! CBOR (RFC 8949): every data item with its span, tags named from the IANA registry's common
//! entries, indefinite lengths, simple values and half floats. A small reader of its own
//! (ciborium keeps no offsets): declared lengths are checked against the bytes left, nesting and
//! item count are bounded.

use crate::tree::{clip, hex, quote, Code, Finding, Kind, Node};
use crate::Out;

/// Deepest nesting read.
pub const MAX_DEPTH: usize = 128;
/// Most items read in one message.
pub const MAX_NODES: usize = 100_000;

/// Well-known tags (RFC 8949 §3.4 and the IANA registry).
const TAGS: &[(u64, &str)] = &[
    (0, "date/time string"),
    (1, "epoch date/time"),
    (2, "unsigned bignum"),
    (3, "negative bignum"),
    (4, "decimal fraction"),
    (5, "bigfloat"),
    (21, "expected base64url"),
    (22, "expected base64"),
    (23, "expected base16"),
    (24, "encoded CBOR data item"),
    (32, "URI"),
    (33, "base64url text"),
    (34, "base64 text"),
    (36, "MIME message"),
    (37, "UUID"),
    (55799, "self-described CBOR"),
];

/// Decodes the items of a message (usually one; a sequence of several is shown in order).
pub fn decode(b: &[u8], out: &mut Out) -> String {
    let mut r = Reader {
        b,
        pos: 0,
        nodes: 0,
    };
    let mut n = 0;
    while r.pos < b.len() {
        match r.item(&format!("[{n}]"), 0) {
            Ok(Some(v)) => out.nodes.push(v),
            Ok(None) => {
                out.finding(Finding::new(
                    Code::Syntax,
                    format!(
                        "a \"break\" outside an indefinite-length item at offset {}",
                        r.pos - 1
                    ),
                    [r.pos - 1, r.pos],
                ));
                break;
            }
            Err(f) => {
                out.finding(f);
                break;
            }
        }
        if n == 0 && r.pos < b.len() {
            out.finding(Finding::new(
                Code::Trailing,
                format!(
                    "bytes after the CBOR item at offset {} (read on as a sequence)",
                    r.pos
                ),
                [r.pos, b.len()],
            ));
        }
        n += 1;
    }
    match out.nodes.as_mut_slice() {
        [one] => {
            one.name = "cbor".into();
            crate::msgpack::summary(one)
        }
        many => format!("{} items", many.len()),
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    nodes: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: u64, what: &str) -> Result<&[u8], Finding> {
        let at = self.pos;
        let left = self.b.len() - at;
        if n > left as u64 {
            return Err(Finding::new(
                Code::Truncated,
                format!("{what} at offset {at} needs {n} bytes, {left} are left"),
                [at, self.b.len()],
            ));
        }
        self.pos += n as usize;
        Ok(&self.b[at..self.pos])
    }

    /// The argument of an initial byte's additional information; `None` for indefinite (31).
    fn arg(&mut self, info: u8, start: usize) -> Result<Option<u64>, Finding> {
        let n = match info {
            0..=23 => return Ok(Some(u64::from(info))),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return Ok(None),
            _ => {
                return Err(Finding::new(
                    Code::Syntax,
                    format!("reserved additional information {info} at offset {start}"),
                    [start, start + 1],
                ))
            }
        };
        Ok(Some(
            self.take(n, "an argument")?
                .iter()
                .fold(0u64, |v, &c| v << 8 | u64::from(c)),
        ))
    }

    /// One item; `Ok(None)` for a "break" stop code.
    fn item(&mut self, name: &str, depth: usize) -> Result<Option<Node>, Finding> {
        let start = self.pos;
        self.nodes += 1;
        if self.nodes > MAX_NODES || depth > MAX_DEPTH {
            return Err(Finding::new(Code::Limit, format!("more than {MAX_NODES} items or nesting deeper than {MAX_DEPTH} at offset {start} (a limit of wsinspect)"), [start, start + 1]));
        }
        let ib = self.take(1, "an item")?[0];
        let (major, info) = (ib >> 5, ib & 0x1f);
        if ib == 0xff {
            return Ok(None);
        }
        let arg = self.arg(info, start)?;
        let node = match (major, arg) {
            (0, Some(v)) => Node::value(name, Kind::Int, v.to_string(), [start, self.pos]),
            (1, Some(v)) => Node::value(
                name,
                Kind::Int,
                format!("-{}", u128::from(v) + 1),
                [start, self.pos],
            ),
            (2 | 3, _) => self.string(name, start, major == 3, arg, depth)?,
            (4, _) => self.array(name, start, arg, depth)?,
            (5, _) => self.map(name, start, arg, depth)?,
            (6, Some(tag)) => {
                let Some(inner) = self.item("content", depth + 1)? else {
                    return Err(self.stray_break());
                };
                let tag_name = TAGS
                    .iter()
                    .find(|(t, _)| *t == tag)
                    .map_or("unassigned or private", |(_, n)| *n);
                let mut node = Node::parent(name, Kind::Tag, [start, self.pos], vec![inner]);
                node.value = Some(format!("tag {tag} ({tag_name})"));
                node
            }
            (7, _) => self.simple(name, start, info, arg)?,
            _ => {
                return Err(Finding::new(
                    Code::Syntax,
                    format!("indefinite length for major type {major} at offset {start}"),
                    [start, start + 1],
                ))
            }
        };
        Ok(Some(node))
    }

    fn stray_break(&self) -> Finding {
        Finding::new(
            Code::Syntax,
            format!(
                "a \"break\" where an item was expected at offset {}",
                self.pos - 1
            ),
            [self.pos - 1, self.pos],
        )
    }

    fn simple(
        &mut self,
        name: &str,
        start: usize,
        info: u8,
        arg: Option<u64>,
    ) -> Result<Node, Finding> {
        let v = arg.unwrap_or(0);
        let (kind, text) = match info {
            20 => (Kind::Bool, "false".to_string()),
            21 => (Kind::Bool, "true".to_string()),
            22 => (Kind::Null, "null".to_string()),
            23 => (Kind::Null, "undefined".to_string()),
            25 => (Kind::Float, half(v as u16).to_string()),
            26 => (Kind::Float, f32::from_bits(v as u32).to_string()),
            27 => (Kind::Float, f64::from_bits(v).to_string()),
            _ => (Kind::Int, format!("simple({v})")),
        };
        Ok(Node::value(name, kind, text, [start, self.pos]))
    }

    fn string(
        &mut self,
        name: &str,
        start: usize,
        text: bool,
        len: Option<u64>,
        depth: usize,
    ) -> Result<Node, Finding> {
        let bytes = match len {
            Some(n) => self.take(n, "a string")?.to_vec(),
            None => {
                // Indefinite: definite chunks of the same major type until "break".
                let mut all = Vec::new();
                loop {
                    let at = self.pos;
                    let ib = self.take(1, "a string chunk")?[0];
                    if ib == 0xff {
                        break;
                    }
                    if ib >> 5 != if text { 3 } else { 2 } || ib & 0x1f == 31 {
                        return Err(Finding::new(Code::Syntax, format!("a chunk of another type inside an indefinite string at offset {at}"), [at, at + 1]));
                    }
                    let n = self.arg(ib & 0x1f, at)?.unwrap_or(0);
                    all.extend_from_slice(self.take(n, "a string chunk")?);
                    let _ = depth;
                }
                all
            }
        };
        let (kind, v) = match (text, core::str::from_utf8(&bytes)) {
            (true, Ok(s)) => (Kind::String, quote(&clip(s, 4096))),
            (true, Err(_)) => {
                return Err(Finding::new(
                    Code::BadValue,
                    format!("a text string that is not UTF-8 at offset {start}"),
                    [start, self.pos],
                ))
            }
            (false, _) => (Kind::Bytes, hex(&bytes, 256)),
        };
        Ok(Node::value(name, kind, v, [start, self.pos]))
    }

    fn check_count(&self, n: u64, per: u64, start: usize) -> Result<(), Finding> {
        let left = (self.b.len() - self.pos) as u64;
        if n.saturating_mul(per) > left {
            return Err(Finding::new(
                Code::Truncated,
                format!("{n} elements declared at offset {start}, but only {left} bytes are left"),
                [start, self.b.len()],
            ));
        }
        Ok(())
    }

    fn array(
        &mut self,
        name: &str,
        start: usize,
        n: Option<u64>,
        depth: usize,
    ) -> Result<Node, Finding> {
        let mut kids = Vec::new();
        if let Some(n) = n {
            self.check_count(n, 1, start)?;
        }
        loop {
            if n.is_some_and(|n| kids.len() as u64 >= n) {
                break;
            }
            match self.item(&format!("[{}]", kids.len()), depth + 1)? {
                Some(v) => kids.push(v),
                None if n.is_none() => break,
                None => return Err(self.stray_break()),
            }
        }
        Ok(Node::parent(name, Kind::Array, [start, self.pos], kids))
    }

    fn map(
        &mut self,
        name: &str,
        start: usize,
        n: Option<u64>,
        depth: usize,
    ) -> Result<Node, Finding> {
        let mut kids = Vec::new();
        if let Some(n) = n {
            self.check_count(n, 2, start)?;
        }
        loop {
            if n.is_some_and(|n| kids.len() as u64 >= n) {
                break;
            }
            let k = match self.item("key", depth + 1)? {
                Some(k) => k,
                None if n.is_none() => break,
                None => return Err(self.stray_break()),
            };
            let label = match crate::json::string_of(&k) {
                Some(s) => s,
                None => k.value.clone().unwrap_or_default(),
            };
            let Some(mut v) = self.item(&label, depth + 1)? else {
                return Err(self.stray_break());
            };
            if k.kind == Kind::String {
                kids.push(v);
            } else {
                // A key that is not a string: an entry holding both (the key comes first).
                v.name = "value".into();
                kids.push(Node::parent(
                    label,
                    Kind::Field,
                    [k.span[0], v.span[1]],
                    vec![k, v],
                ));
            }
        }
        Ok(Node::parent(name, Kind::Object, [start, self.pos], kids))
    }
}

/// IEEE 754 half precision to f64 (RFC 8949 Appendix D).
fn half(h: u16) -> f64 {
    let exp = (h >> 10) & 0x1f;
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (mant + 1024.0) * 2f64.powi(i32::from(e) - 25),
    };
    if h & 0x8000 != 0 {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(b: &[u8]) -> Node {
        let mut out = Out::default();
        decode(b, &mut out);
        assert!(out.findings.is_empty(), "{:?}", out.findings);
        out.nodes.remove(0)
    }

    #[test]
    fn rfc_8949_appendix_a() {
        assert_eq!(one(&[0x39, 0x03, 0xe7]).value.as_deref(), Some("-1000"));
        assert_eq!(one(&[0xf9, 0x3c, 0x00]).value.as_deref(), Some("1"));
        assert_eq!(one(&[0xf9, 0xc4, 0x00]).value.as_deref(), Some("-4"));
        assert_eq!(
            one(&[0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
                .value
                .as_deref(),
            Some("-18446744073709551616")
        );
        let t = one(b"\xc0\x74\x32\x30\x31\x33\x2d\x30\x33\x2d\x32\x31\x54\x32\x30\x3a\x30\x34\x3a\x30\x30\x5a");
        assert_eq!(t.value.as_deref(), Some("tag 0 (date/time string)"));
        assert_eq!(
            t.children[0].value.as_deref(),
            Some("\"2013-03-21T20:04:00Z\"")
        );
        // {_ "a": 1, "b": [_ 2, 3]}
        let m = one(&[
            0xbf, 0x61, 0x61, 0x01, 0x61, 0x62, 0x9f, 0x02, 0x03, 0xff, 0xff,
        ]);
        assert_eq!(m.children[1].name, "b");
        assert_eq!(m.children[1].span, [6, 10]);
        // (_ h'0102', h'030405')
        assert_eq!(
            one(&[0x5f, 0x42, 0x01, 0x02, 0x43, 0x03, 0x04, 0x05, 0xff])
                .value
                .as_deref(),
            Some("0102030405")
        );
    }

    #[test]
    fn bad_items_are_findings() {
        let mut out = Out::default();
        decode(
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &mut out,
        );
        assert_eq!(out.findings[0].code, Code::Truncated);
        let mut out = Out::default();
        decode(&[0x1c], &mut out);
        assert_eq!(out.findings[0].code, Code::Syntax);
        let mut out = Out::default();
        decode(&[0xff], &mut out);
        assert_eq!(out.findings[0].span, [0, 1]);
    }
}
