//! MessagePack (github.com/msgpack/msgpack/blob/master/spec.md): every value with its span.
//! A small reader of its own (rmp has no offsets): declared lengths are checked against the
//! bytes left before anything is read, nesting and value count are bounded.

use crate::tree::{hex, quote, text_or_hex, Code, Finding, Kind, Node};
use crate::Out;

/// Deepest nesting read.
pub const MAX_DEPTH: usize = 128;
/// Most values read in one message.
pub const MAX_NODES: usize = 100_000;

/// Decodes the values of a message (usually one; a stream of several is shown in order).
pub fn decode(b: &[u8], out: &mut Out) -> String {
    let mut r = Reader {
        b,
        pos: 0,
        nodes: 0,
    };
    let mut n = 0;
    while r.pos < b.len() {
        match r.value(&format!("[{n}]"), 0) {
            Ok(v) => out.nodes.push(v),
            Err(f) => {
                out.finding(f);
                break;
            }
        }
        if n == 0 && r.pos < b.len() {
            out.finding(Finding::new(
                Code::Trailing,
                format!(
                    "bytes after the MessagePack value at offset {} (read on as a sequence)",
                    r.pos
                ),
                [r.pos, b.len()],
            ));
        }
        n += 1;
    }
    match out.nodes.as_slice() {
        [one] => {
            let mut s = summary(one);
            out.nodes[0].name = "msgpack".into();
            if n > 1 {
                s.push_str(" (then an error)");
            }
            s
        }
        many => format!("{} values", many.len()),
    }
}

pub(crate) fn summary(n: &Node) -> String {
    match n.kind {
        Kind::Object => format!("map ({} entries)", n.children.len()),
        Kind::Array => format!("array ({} items)", n.children.len()),
        _ => crate::tree::clip(n.value.as_deref().unwrap_or_default(), 60),
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    nodes: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], Finding> {
        let at = self.pos;
        if n > self.b.len() - at {
            return Err(Finding::new(
                Code::Truncated,
                format!(
                    "{what} at offset {at} needs {n} bytes, {} are left",
                    self.b.len() - at
                ),
                [at, self.b.len()],
            ));
        }
        self.pos += n;
        Ok(&self.b[at..at + n])
    }

    fn uint(&mut self, n: usize, what: &str) -> Result<u64, Finding> {
        Ok(self
            .take(n, what)?
            .iter()
            .fold(0u64, |v, &c| v << 8 | u64::from(c)))
    }

    fn value(&mut self, name: &str, depth: usize) -> Result<Node, Finding> {
        let start = self.pos;
        self.nodes += 1;
        if self.nodes > MAX_NODES || depth > MAX_DEPTH {
            return Err(Finding::new(Code::Limit, format!("more than {MAX_NODES} values or nesting deeper than {MAX_DEPTH} at offset {start} (a limit of wsinspect)"), [start, start + 1]));
        }
        let t = self.take(1, "a value")?[0];
        let leaf = |s: &Self, kind, v: String| Ok(Node::value(name, kind, v, [start, s.pos]));
        match t {
            0x00..=0x7f => leaf(self, Kind::Int, t.to_string()),
            0xe0..=0xff => leaf(self, Kind::Int, (t as i8).to_string()),
            0x80..=0x8f => self.map(name, start, usize::from(t & 0x0f), depth),
            0x90..=0x9f => self.array(name, start, usize::from(t & 0x0f), depth),
            0xa0..=0xbf => self.str(name, start, usize::from(t & 0x1f)),
            0xc0 => leaf(self, Kind::Null, "nil".into()),
            0xc1 => Err(Finding::new(
                Code::Syntax,
                format!("0xc1 (never used) at offset {start}"),
                [start, start + 1],
            )),
            0xc2 => leaf(self, Kind::Bool, "false".into()),
            0xc3 => leaf(self, Kind::Bool, "true".into()),
            0xc4..=0xc6 => {
                let n = self.uint(1 << (t - 0xc4), "a bin length")? as usize;
                let d = self.take(n, "bin data")?;
                let v = hex(d, 256);
                leaf(self, Kind::Bytes, v)
            }
            0xc7..=0xc9 => {
                let n = self.uint(1 << (t - 0xc7), "an ext length")? as usize;
                self.ext(name, start, n)
            }
            0xca => {
                let v = f32::from_bits(self.uint(4, "a float 32")? as u32);
                leaf(self, Kind::Float, v.to_string())
            }
            0xcb => {
                let v = f64::from_bits(self.uint(8, "a float 64")?);
                leaf(self, Kind::Float, v.to_string())
            }
            0xcc..=0xcf => {
                let v = self.uint(1 << (t - 0xcc), "a uint")?;
                leaf(self, Kind::Int, v.to_string())
            }
            0xd0..=0xd3 => {
                let n = 1 << (t - 0xd0);
                let v = self.uint(n, "an int")?;
                let shift = 64 - 8 * n as u32;
                leaf(
                    self,
                    Kind::Int,
                    (((v << shift) as i64) >> shift).to_string(),
                )
            }
            0xd4..=0xd8 => self.ext(name, start, 1 << (t - 0xd4)),
            0xd9..=0xdb => {
                let n = self.uint(1 << (t - 0xd9), "a str length")? as usize;
                self.str(name, start, n)
            }
            0xdc | 0xdd => {
                let n = self.uint(if t == 0xdc { 2 } else { 4 }, "an array length")? as usize;
                self.array(name, start, n, depth)
            }
            0xde | 0xdf => {
                let n = self.uint(if t == 0xde { 2 } else { 4 }, "a map length")? as usize;
                self.map(name, start, n, depth)
            }
        }
    }

    fn str(&mut self, name: &str, start: usize, n: usize) -> Result<Node, Finding> {
        let d = self.take(n, "a str")?;
        let (kind, v) = match core::str::from_utf8(d) {
            Ok(s) => (Kind::String, quote(&crate::tree::clip(s, 4096))),
            Err(_) => (Kind::Bytes, hex(d, 256)),
        };
        Ok(Node::value(name, kind, v, [start, self.pos]))
    }

    fn ext(&mut self, name: &str, start: usize, n: usize) -> Result<Node, Finding> {
        let ty = self.take(1, "an ext type")?[0] as i8;
        let at = self.pos;
        let d = self.take(n, "ext data")?;
        let shown = if ty == -1 { timestamp(d) } else { None };
        let (k, v) = text_or_hex(d);
        let data = Node::value("data", k, v, [at, self.pos]);
        let label = match shown {
            Some(t) => format!("ext -1 (timestamp) {t}"),
            None => format!("ext {ty}"),
        };
        let mut node = Node::parent(name, Kind::Tag, [start, self.pos], vec![data]);
        node.value = Some(label);
        Ok(node)
    }

    /// Every element takes at least one byte: a count beyond the bytes left is cut short.
    fn check_count(&self, n: usize, per: usize, start: usize) -> Result<(), Finding> {
        if n.saturating_mul(per) > self.b.len() - self.pos {
            return Err(Finding::new(
                Code::Truncated,
                format!(
                    "{n} elements declared at offset {start}, but only {} bytes are left",
                    self.b.len() - self.pos
                ),
                [start, self.b.len()],
            ));
        }
        Ok(())
    }

    fn array(&mut self, name: &str, start: usize, n: usize, depth: usize) -> Result<Node, Finding> {
        self.check_count(n, 1, start)?;
        let mut kids = Vec::new();
        for i in 0..n {
            kids.push(self.value(&format!("[{i}]"), depth + 1)?);
        }
        Ok(Node::parent(name, Kind::Array, [start, self.pos], kids))
    }

    fn map(&mut self, name: &str, start: usize, n: usize, depth: usize) -> Result<Node, Finding> {
        self.check_count(n, 2, start)?;
        let mut kids = Vec::new();
        for _ in 0..n {
            let k = self.value("key", depth + 1)?;
            let label = match (&k.kind, crate::json::string_of(&k)) {
                (Kind::String, Some(s)) => s,
                _ => k.value.clone().unwrap_or_default(),
            };
            let mut v = self.value(&label, depth + 1)?;
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

/// The timestamp extension (type -1): seconds and nanoseconds, as text.
fn timestamp(d: &[u8]) -> Option<String> {
    let be = |s: &[u8]| s.iter().fold(0u64, |v, &c| v << 8 | u64::from(c));
    let (secs, nanos) = match d.len() {
        4 => (be(d) as i64, 0),
        8 => {
            let v = be(d);
            ((v & 0x3_ffff_ffff) as i64, v >> 34)
        }
        12 => (be(&d[4..]) as i64, be(&d[..4])),
        _ => return None,
    };
    Some(format!("{secs}.{nanos:09} s since 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_with_spans() {
        // {"compact": true, "schema": 0} from msgpack.org's front page.
        let b = b"\x82\xa7compact\xc3\xa6schema\x00";
        let mut out = Out::default();
        assert_eq!(decode(b, &mut out), "map (2 entries)");
        let m = &out.nodes[0];
        assert_eq!(m.children[0].name, "compact");
        assert_eq!(m.children[0].value.as_deref(), Some("true"));
        assert_eq!(m.children[0].span, [9, 10]);
        assert_eq!(m.children[1].span, [17, 18]);
        assert!(out.findings.is_empty());
    }

    #[test]
    fn numbers_and_ext() {
        let b = [
            0x94, 0xd0, 0x80, 0xcd, 0x01, 0x00, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xd6, 0xff, 0,
            0, 0, 1,
        ];
        let mut out = Out::default();
        decode(&b, &mut out);
        let a = &out.nodes[0];
        let vals: Vec<_> = a
            .children
            .iter()
            .map(|c| c.value.clone().unwrap())
            .collect();
        assert_eq!(
            vals,
            [
                "-128",
                "256",
                "1.5",
                "ext -1 (timestamp) 1.000000000 s since 1970"
            ]
        );
    }

    #[test]
    fn huge_declared_lengths_are_findings() {
        let mut out = Out::default();
        decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &mut out);
        assert_eq!(out.findings[0].code, Code::Truncated);
        let mut out = Out::default();
        decode(&[0xdb, 0xff, 0xff, 0xff, 0xff, b'a'], &mut out);
        assert_eq!(out.findings[0].span, [5, 6]);
    }
}
