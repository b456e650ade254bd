//! Protobuf without a schema, like `protoc --decode_raw`: each field's number and wire type
//! (protobuf.dev/programming-guides/encoding), varints, fixed 32/64-bit values (shown as
//! integer and float), length-delimited fields read as a nested message when they parse as
//! one whole, else as text when they are UTF-8, else bytes; groups (deprecated) too.

use crate::tree::{hex, quote, Code, Finding, Kind, Node};
use crate::{Out, MAX_NESTING};

/// The largest field number (2^29 - 1).
const MAX_FIELD: u64 = (1 << 29) - 1;

/// Decodes a message; returns the summary.
pub fn decode(b: &[u8], nesting: usize, out: &mut Out) -> String {
    let mut findings = Vec::new();
    let (fields, _) = message(b, 0, b.len(), nesting, None, &mut findings);
    let n = fields.len();
    out.nodes
        .push(Node::parent("message", Kind::Object, [0, b.len()], fields));
    out.findings.extend(findings);
    format!("{n} field(s)")
}

/// Whether `b` is one whole message with sensible field numbers and no groups (detection).
pub fn plausible(b: &[u8]) -> bool {
    let mut findings = Vec::new();
    let (fields, _) = message(b, 0, b.len(), MAX_NESTING, None, &mut findings);
    findings.is_empty()
        && !fields.is_empty()
        && fields.iter().all(|f| {
            !f.name.is_empty() && !matches!(f.value.as_deref(), Some(v) if v.starts_with("group"))
        })
}

fn varint(b: &[u8], pos: usize, end: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..10 {
        let c = *b.get(pos + i).filter(|_| pos + i < end)?;
        v |= u64::from(c & 0x7f) << (7 * i);
        if c & 0x80 == 0 {
            return Some((v, pos + i + 1));
        }
    }
    None
}

/// The fields of `b[start..end]`; in a group, stops at its END_GROUP (`group` = its number).
/// Returns the fields and where reading stopped.
fn message(
    b: &[u8],
    start: usize,
    end: usize,
    nesting: usize,
    group: Option<u64>,
    findings: &mut Vec<Finding>,
) -> (Vec<Node>, usize) {
    let mut fields = Vec::new();
    let mut pos = start;
    while pos < end {
        let at = pos;
        let Some((key, p)) = varint(b, pos, end) else {
            findings.push(Finding::new(
                Code::Truncated,
                format!("a field key cut short at offset {at}"),
                [at, end],
            ));
            return (fields, end);
        };
        pos = p;
        let (num, wt) = (key >> 3, key & 7);
        if num == 0 || num > MAX_FIELD {
            findings.push(Finding::new(
                Code::BadValue,
                format!("field number {num} at offset {at} (must be 1 to 2^29-1)"),
                [at, pos],
            ));
            return (fields, end);
        }
        let name = num.to_string();
        let node = match wt {
            0 => match varint(b, pos, end) {
                Some((v, p)) => {
                    pos = p;
                    let zz = ((v >> 1) as i64) ^ -((v & 1) as i64);
                    let mut s = format!("varint {v}");
                    if v > i64::MAX as u64 {
                        s.push_str(&format!(" (int64 {})", v as i64));
                    } else if zz < 0 {
                        s.push_str(&format!(" (sint {zz})"));
                    }
                    Node::value(name, Kind::Int, s, [at, pos])
                }
                None => {
                    findings.push(Finding::new(
                        Code::Truncated,
                        format!("field {num}: a varint cut short at offset {pos}"),
                        [pos, end],
                    ));
                    return (fields, end);
                }
            },
            1 | 5 => {
                let n = if wt == 1 { 8 } else { 4 };
                if end - pos < n {
                    findings.push(Finding::new(
                        Code::Truncated,
                        format!("field {num}: {n} bytes needed at offset {pos}"),
                        [pos, end],
                    ));
                    return (fields, end);
                }
                let v = b[pos..pos + n]
                    .iter()
                    .rev()
                    .fold(0u64, |v, &c| v << 8 | u64::from(c));
                pos += n;
                let s = if n == 8 {
                    format!("fixed64 {v} (double {})", f64::from_bits(v))
                } else {
                    format!("fixed32 {v} (float {})", f32::from_bits(v as u32))
                };
                Node::value(name, Kind::Int, s, [at, pos])
            }
            2 => {
                let Some((len, p)) = varint(b, pos, end) else {
                    findings.push(Finding::new(
                        Code::Truncated,
                        format!("field {num}: a length cut short at offset {pos}"),
                        [pos, end],
                    ));
                    return (fields, end);
                };
                if len > (end - p) as u64 {
                    findings.push(Finding::new(
                        Code::Truncated,
                        format!(
                            "field {num}: {len} bytes declared at offset {pos}, {} left",
                            end - p
                        ),
                        [at, end],
                    ));
                    return (fields, end);
                }
                pos = p + len as usize;
                bytes_field(b, name, at, p, pos, nesting)
            }
            3 => {
                if nesting >= MAX_NESTING {
                    findings.push(Finding::new(
                        Code::Limit,
                        format!("groups nested deeper than {MAX_NESTING} at offset {at}"),
                        [at, end],
                    ));
                    return (fields, end);
                }
                let (kids, p) = message(b, pos, end, nesting + 1, Some(num), findings);
                pos = p;
                let mut node = Node::parent(name, Kind::Object, [at, pos], kids);
                node.value = Some("group".into());
                node
            }
            4 => {
                if group == Some(num) {
                    return (fields, pos);
                }
                findings.push(Finding::new(
                    Code::Syntax,
                    format!("END_GROUP {num} without its START_GROUP at offset {at}"),
                    [at, pos],
                ));
                return (fields, end);
            }
            _ => {
                findings.push(Finding::new(
                    Code::BadValue,
                    format!("wire type {wt} (field {num}) at offset {at} does not exist"),
                    [at, pos],
                ));
                return (fields, end);
            }
        };
        fields.push(node);
    }
    if let Some(g) = group {
        findings.push(Finding::new(
            Code::Truncated,
            format!("group {g} has no END_GROUP"),
            [end, end],
        ));
    }
    (fields, end)
}

/// A length-delimited field `b[data..end]` (key at `at`): a nested message, text or bytes.
fn bytes_field(b: &[u8], name: String, at: usize, data: usize, end: usize, nesting: usize) -> Node {
    let d = &b[data..end];
    if !d.is_empty() && nesting < MAX_NESTING {
        let mut inner = Vec::new();
        let (kids, _) = message(b, data, end, nesting + 1, None, &mut inner);
        let printable = core::str::from_utf8(d)
            .is_ok_and(|s| s.chars().all(|c| !c.is_control() || c.is_whitespace()));
        // A string of letters may parse as fields too; text wins when it reads as text.
        if inner.is_empty() && !kids.is_empty() && !printable {
            let mut node = Node::parent(name, Kind::Object, [at, end], kids);
            node.value = Some(format!("message ({} bytes)", d.len()));
            return node;
        }
    }
    match core::str::from_utf8(d) {
        Ok(s) => Node::value(name, Kind::String, quote(s), [at, end]),
        Err(_) => Node::value(name, Kind::Bytes, hex(d, 256), [at, end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(b: &[u8]) -> (Vec<Node>, Vec<Finding>) {
        let mut out = Out::default();
        decode(b, 0, &mut out);
        (out.nodes.remove(0).children, out.findings)
    }

    #[test]
    fn encoding_guide_examples() {
        // protobuf.dev encoding guide: 1: 150; 2: "testing"; 3: {1: 150}.
        let (f, e) = fields(&[
            0x08, 0x96, 0x01, 0x12, 0x07, b't', b'e', b's', b't', b'i', b'n', b'g', 0x1a, 0x03,
            0x08, 0x96, 0x01,
        ]);
        assert!(e.is_empty());
        assert_eq!(f[0].value.as_deref(), Some("varint 150"));
        assert_eq!(f[1].value.as_deref(), Some("\"testing\""));
        assert_eq!(f[2].span, [12, 17]);
        assert_eq!(f[2].children[0].value.as_deref(), Some("varint 150"));
        assert_eq!(f[2].children[0].span, [14, 17]);
    }

    #[test]
    fn fixed_and_negative() {
        // 1: -2 as int64 (ten bytes); 2: fixed32 1.0f.
        let (f, _) = fields(&[
            0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x15, 0, 0, 0x80,
            0x3f,
        ]);
        assert!(f[0].value.as_deref().unwrap().contains("int64 -2"));
        assert_eq!(f[1].value.as_deref(), Some("fixed32 1065353216 (float 1)"));
    }

    #[test]
    fn bad_input_gives_findings() {
        assert_eq!(fields(&[0x12, 0x7f, 1]).1[0].code, Code::Truncated);
        assert_eq!(fields(&[0x0f]).1[0].code, Code::BadValue);
        assert_eq!(fields(&[0x00]).1[0].code, Code::BadValue);
        assert!(!plausible(b"hello world"));
    }
}
