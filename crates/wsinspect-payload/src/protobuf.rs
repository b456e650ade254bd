//! Protobuf (protobuf.dev/programming-guides/encoding), with or without the user's schema.
//!
//! Without one it reads like `protoc --decode_raw`: each field's number and wire type, varints,
//! fixed 32/64-bit values (shown as integer and float), length-delimited fields read as a nested
//! message when they parse as one whole and are not text, else as text when UTF-8, else bytes;
//! groups too. With a [`Schema`] (`.proto` files compiled at run time by protox) and a message
//! type, the same walk names each field and reads its value as its declared type: enums by
//! name, sint zigzag, packed repeated fields, nested messages by their type. Every value keeps
//! its span either way (prost-reflect's `DynamicMessage` keeps none, so only its descriptors are
//! used).

use prost_reflect::{DescriptorPool, FieldDescriptor, Kind as PKind, MessageDescriptor};

use crate::tree::{hex, quote, Code, Finding, Kind, Node};
use crate::{Out, MAX_NESTING};

/// The largest field number (2^29 - 1).
const MAX_FIELD: u64 = (1 << 29) - 1;

/// `.proto` files compiled at run time.
#[derive(Clone, Debug)]
pub struct Schema {
    pool: DescriptorPool,
}

impl Schema {
    /// Compiles `.proto` sources given as (file name, text); imports resolve among them and the
    /// well-known `google/protobuf/*.proto`. The error names the file, line and column.
    pub fn compile(files: &[(String, String)]) -> Result<Schema, String> {
        let resolver = Memory(files.to_vec());
        let mut chain = protox::file::ChainFileResolver::new();
        chain.add(resolver);
        chain.add(protox::file::GoogleFileResolver::new());
        let mut c = protox::Compiler::with_file_resolver(chain);
        for (name, _) in files {
            c.open_file(name).map_err(|e| describe(&e))?;
        }
        Ok(Schema {
            pool: c.descriptor_pool(),
        })
    }

    /// Every message type the files define (nested ones too, not the well-known google ones),
    /// by full name in the files' order: what the page offers to choose from.
    pub fn messages(&self) -> Vec<String> {
        self.pool
            .all_messages()
            .filter(|m| !m.full_name().starts_with("google.protobuf.") && !m.is_map_entry())
            .map(|m| m.full_name().to_string())
            .collect()
    }

    /// The one message type the files define (besides the well-known google ones, and not
    /// counting nested types), or an error naming them all.
    pub fn only_message(&self) -> Result<String, String> {
        let top: Vec<_> = self
            .pool
            .all_messages()
            .filter(|m| {
                !m.full_name().starts_with("google.protobuf.") && m.parent_message().is_none()
            })
            .map(|m| m.full_name().to_string())
            .collect();
        match top.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(format!(
                "the .proto files define {} message types ({})",
                top.len(),
                top.join(", ")
            )),
        }
    }

    /// The message type named `name` (fully qualified, e.g. `chat.Message`; a unique short name
    /// works too).
    pub fn message(&self, name: &str) -> Result<MessageDescriptor, String> {
        if let Some(m) = self.pool.get_message_by_name(name) {
            return Ok(m);
        }
        let short: Vec<_> = self
            .pool
            .all_messages()
            .filter(|m| m.name() == name)
            .collect();
        if let [one] = short.as_slice() {
            return Ok(one.clone());
        }
        let all: Vec<_> = self
            .pool
            .all_messages()
            .filter(|m| !m.full_name().starts_with("google.protobuf."))
            .map(|m| m.full_name().to_string())
            .collect();
        Err(format!(
            "no message type {name:?} in the schema (it has: {})",
            all.join(", ")
        ))
    }
}

/// A protox error with where it is.
fn describe(e: &protox::Error) -> String {
    use miette::Diagnostic as _;
    let mut s = e.to_string();
    if let (Some(file), Some(src)) = (e.file(), e.source_code()) {
        if let Some(label) = e.labels().and_then(|mut l| l.next()) {
            if let Ok(span) = src.read_span(label.inner(), 0, 0) {
                s = format!("{file}:{}:{}: {s}", span.line() + 1, span.column() + 1);
            }
        }
    }
    s
}

/// Sources held in memory (the page has no files; the CLI reads them first).
struct Memory(Vec<(String, String)>);

impl protox::file::FileResolver for Memory {
    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        match self.0.iter().find(|(n, _)| n == name) {
            Some((n, src)) => protox::file::File::from_source(n, src),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// Decodes a message without a schema; returns the summary.
pub fn decode(b: &[u8], nesting: usize, out: &mut Out) -> String {
    decode_as(b, None, nesting, out)
}

/// Decodes a message as `desc` (or without a schema); returns the summary.
pub fn decode_as(
    b: &[u8],
    desc: Option<&MessageDescriptor>,
    nesting: usize,
    out: &mut Out,
) -> String {
    let mut w = Walk {
        b,
        findings: Vec::new(),
    };
    let (fields, _) = w.message(0, b.len(), nesting, None, desc);
    let n = fields.len();
    let mut root = Node::parent("message", Kind::Object, [0, b.len()], fields);
    let summary = match desc {
        Some(d) => {
            root.name = d.full_name().to_string();
            format!("{} ({n} field(s))", d.full_name())
        }
        None => format!("{n} field(s)"),
    };
    out.nodes.push(root);
    out.findings.extend(w.findings);
    summary
}

/// Whether `b` is one whole message with sensible field numbers and no groups (detection).
pub fn plausible(b: &[u8]) -> bool {
    let mut w = Walk {
        b,
        findings: Vec::new(),
    };
    let (fields, _) = w.message(0, b.len(), MAX_NESTING, None, None);
    w.findings.is_empty()
        && !fields.is_empty()
        && fields
            .iter()
            .all(|f| !matches!(f.value.as_deref(), Some(v) if v.starts_with("group")))
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

fn zigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// The wire type a declared kind is written with (2 for strings, bytes and messages).
fn wire_type(k: &PKind) -> u64 {
    match k {
        PKind::Double | PKind::Fixed64 | PKind::Sfixed64 => 1,
        PKind::Float | PKind::Fixed32 | PKind::Sfixed32 => 5,
        PKind::String | PKind::Bytes | PKind::Message(_) => 2,
        _ => 0,
    }
}

/// A scalar read as its declared kind: the node's kind and value.
fn scalar(k: &PKind, v: u64) -> (Kind, String) {
    match k {
        PKind::Double => (Kind::Float, f64::from_bits(v).to_string()),
        PKind::Float => (Kind::Float, f32::from_bits(v as u32).to_string()),
        PKind::Int32 => (Kind::Int, (v as i32).to_string()),
        PKind::Int64 => (Kind::Int, (v as i64).to_string()),
        PKind::Uint32 => (Kind::Int, (v as u32).to_string()),
        PKind::Sint32 | PKind::Sint64 => (Kind::Int, zigzag(v).to_string()),
        PKind::Sfixed32 => (Kind::Int, (v as u32 as i32).to_string()),
        PKind::Sfixed64 => (Kind::Int, (v as i64).to_string()),
        PKind::Bool => (Kind::Bool, (v != 0).to_string()),
        PKind::Enum(e) => (
            Kind::Field,
            match e.get_value(v as i32) {
                Some(ev) => format!("{} ({})", ev.name(), v as i32),
                None => format!("{} (not a value of {})", v as i32, e.name()),
            },
        ),
        _ => (Kind::Int, v.to_string()),
    }
}

/// One walk over a message's bytes.
struct Walk<'a> {
    b: &'a [u8],
    findings: Vec<Finding>,
}

impl Walk<'_> {
    fn stop(&mut self, code: Code, message: String, span: [usize; 2]) {
        self.findings.push(Finding::new(code, message, span));
    }

    /// The fields of `b[start..end]` (as `desc`, if known); in a group, stops at its END_GROUP
    /// (`group` = its number). Returns the fields and where reading stopped.
    fn message(
        &mut self,
        start: usize,
        end: usize,
        nesting: usize,
        group: Option<u64>,
        desc: Option<&MessageDescriptor>,
    ) -> (Vec<Node>, usize) {
        let b = self.b;
        let mut fields = Vec::new();
        let mut pos = start;
        while pos < end {
            let at = pos;
            let Some((key, p)) = varint(b, pos, end) else {
                self.stop(
                    Code::Truncated,
                    format!("a field key cut short at offset {at}"),
                    [at, end],
                );
                return (fields, end);
            };
            pos = p;
            let (num, wt) = (key >> 3, key & 7);
            if num == 0 || num > MAX_FIELD {
                self.stop(
                    Code::BadValue,
                    format!("field number {num} at offset {at} (must be 1 to 2^29-1)"),
                    [at, pos],
                );
                return (fields, end);
            }
            let field = desc.and_then(|d| d.get_field(num as u32));
            let name = field
                .as_ref()
                .map_or_else(|| num.to_string(), |f| f.name().to_string());
            if let Some(f) = &field {
                let want = wire_type(&f.kind());
                let packed = wt == 2 && want != 2 && f.is_list();
                if wt != want && !packed {
                    self.stop(
                        Code::BadValue,
                        format!("field {} ({num}) is declared {:?} but has wire type {wt} at offset {at}", f.name(), f.kind()),
                        [at, pos],
                    );
                }
            }
            let field = field.filter(|f| wire_type(&f.kind()) == wt || (wt == 2 && f.is_list()));
            let node = match wt {
                0 => match varint(b, pos, end) {
                    Some((v, p)) => {
                        pos = p;
                        match &field {
                            Some(f) => {
                                let (k, s) = scalar(&f.kind(), v);
                                Node::value(name, k, s, [at, pos])
                            }
                            None => {
                                let mut s = format!("varint {v}");
                                if v > i64::MAX as u64 {
                                    s.push_str(&format!(" (int64 {})", v as i64));
                                }
                                Node::value(name, Kind::Int, s, [at, pos])
                            }
                        }
                    }
                    None => {
                        self.stop(
                            Code::Truncated,
                            format!("field {num}: a varint cut short at offset {pos}"),
                            [pos, end],
                        );
                        return (fields, end);
                    }
                },
                1 | 5 => {
                    let n = if wt == 1 { 8 } else { 4 };
                    if end - pos < n {
                        self.stop(
                            Code::Truncated,
                            format!("field {num}: {n} bytes needed at offset {pos}"),
                            [pos, end],
                        );
                        return (fields, end);
                    }
                    let v = b[pos..pos + n]
                        .iter()
                        .rev()
                        .fold(0u64, |v, &c| v << 8 | u64::from(c));
                    pos += n;
                    match &field {
                        Some(f) => {
                            let (k, s) = scalar(&f.kind(), v);
                            Node::value(name, k, s, [at, pos])
                        }
                        None if n == 8 => Node::value(
                            name,
                            Kind::Int,
                            format!("fixed64 {v} (double {})", f64::from_bits(v)),
                            [at, pos],
                        ),
                        None => Node::value(
                            name,
                            Kind::Int,
                            format!("fixed32 {v} (float {})", f32::from_bits(v as u32)),
                            [at, pos],
                        ),
                    }
                }
                2 => {
                    let Some((len, p)) = varint(b, pos, end) else {
                        self.stop(
                            Code::Truncated,
                            format!("field {num}: a length cut short at offset {pos}"),
                            [pos, end],
                        );
                        return (fields, end);
                    };
                    if len > (end - p) as u64 {
                        self.stop(
                            Code::Truncated,
                            format!(
                                "field {num}: {len} bytes declared at offset {pos}, {} left",
                                end - p
                            ),
                            [at, end],
                        );
                        return (fields, end);
                    }
                    pos = p + len as usize;
                    self.bytes_field(name, at, p, pos, nesting, field.as_ref())
                }
                3 => {
                    if nesting >= MAX_NESTING {
                        self.stop(
                            Code::Limit,
                            format!("groups nested deeper than {MAX_NESTING} at offset {at}"),
                            [at, end],
                        );
                        return (fields, end);
                    }
                    let (kids, p) = self.message(pos, end, nesting + 1, Some(num), None);
                    pos = p;
                    let mut node = Node::parent(name, Kind::Object, [at, pos], kids);
                    node.value = Some("group".into());
                    node
                }
                4 => {
                    if group == Some(num) {
                        return (fields, pos);
                    }
                    self.stop(
                        Code::Syntax,
                        format!("END_GROUP {num} without its START_GROUP at offset {at}"),
                        [at, pos],
                    );
                    return (fields, end);
                }
                _ => {
                    self.stop(
                        Code::BadValue,
                        format!("wire type {wt} (field {num}) at offset {at} does not exist"),
                        [at, pos],
                    );
                    return (fields, end);
                }
            };
            fields.push(node);
        }
        if let Some(g) = group {
            self.stop(
                Code::Truncated,
                format!("group {g} has no END_GROUP"),
                [end, end],
            );
        }
        (fields, end)
    }

    /// A length-delimited field `b[data..end]` (key at `at`): as its declared type, else a
    /// nested message, text or bytes.
    fn bytes_field(
        &mut self,
        name: String,
        at: usize,
        data: usize,
        end: usize,
        nesting: usize,
        field: Option<&FieldDescriptor>,
    ) -> Node {
        let d = &self.b[data..end];
        match field.map(|f| f.kind()) {
            Some(PKind::Message(m)) if nesting < MAX_NESTING => {
                let (kids, _) = self.message(data, end, nesting + 1, None, Some(&m));
                let mut node = Node::parent(name, Kind::Object, [at, end], kids);
                node.value = Some(m.full_name().to_string());
                return node;
            }
            Some(PKind::String) => {
                return match core::str::from_utf8(d) {
                    Ok(s) => Node::value(name, Kind::String, quote(s), [at, end]),
                    Err(_) => {
                        self.stop(
                            Code::BadValue,
                            format!("string field {name} is not UTF-8"),
                            [data, end],
                        );
                        Node::value(name, Kind::Bytes, hex(d, 256), [at, end])
                    }
                };
            }
            Some(PKind::Bytes) => return Node::value(name, Kind::Bytes, hex(d, 256), [at, end]),
            Some(k) if field.is_some_and(|f| f.is_list()) => {
                return self.packed(name, at, data, end, &k)
            }
            _ => {}
        }
        if !d.is_empty() && nesting < MAX_NESTING {
            let mut inner = Walk {
                b: self.b,
                findings: Vec::new(),
            };
            let (kids, _) = inner.message(data, end, nesting + 1, None, None);
            let printable = core::str::from_utf8(d)
                .is_ok_and(|s| s.chars().all(|c| !c.is_control() || c.is_whitespace()));
            // A string of letters may parse as fields too; text wins when it reads as text.
            if inner.findings.is_empty() && !kids.is_empty() && !printable {
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

    /// A packed repeated scalar field: its elements.
    fn packed(&mut self, name: String, at: usize, data: usize, end: usize, k: &PKind) -> Node {
        let mut kids = Vec::new();
        let mut pos = data;
        let wt = wire_type(k);
        while pos < end {
            let start = pos;
            let v = match wt {
                0 => match varint(self.b, pos, end) {
                    Some((v, p)) => {
                        pos = p;
                        v
                    }
                    None => {
                        self.stop(
                            Code::Truncated,
                            format!("packed field {name}: a varint cut short at offset {pos}"),
                            [pos, end],
                        );
                        break;
                    }
                },
                _ => {
                    let n = if wt == 1 { 8 } else { 4 };
                    if end - pos < n {
                        self.stop(
                            Code::Truncated,
                            format!("packed field {name}: {n} bytes needed at offset {pos}"),
                            [pos, end],
                        );
                        break;
                    }
                    pos += n;
                    self.b[start..pos]
                        .iter()
                        .rev()
                        .fold(0u64, |v, &c| v << 8 | u64::from(c))
                }
            };
            let (kind, s) = scalar(k, v);
            kids.push(Node::value(
                format!("[{}]", kids.len()),
                kind,
                s,
                [start, pos],
            ));
        }
        let mut node = Node::parent(name, Kind::Array, [at, end], kids);
        node.value = Some("packed".into());
        node
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

    const PROTO: &str = r#"
        syntax = "proto3";
        package chat;
        import "google/protobuf/timestamp.proto";
        enum Kind { KIND_UNSPECIFIED = 0; TEXT = 1; IMAGE = 2; }
        message User { string name = 1; sint32 karma = 2; }
        message Message {
          User from = 1;
          string text = 2;
          Kind kind = 3;
          repeated int32 reactions = 4;
          google.protobuf.Timestamp at = 5;
          double score = 6;
        }
    "#;

    fn schema() -> Schema {
        Schema::compile(&[("chat.proto".into(), PROTO.into())]).unwrap()
    }

    #[test]
    fn with_a_schema_fields_have_names_and_types() {
        let m = schema().message("Message").unwrap();
        // from {name: "ann", karma: -3}, text "hi", kind IMAGE, reactions [1, 300] packed,
        // at {seconds: 5}, score 0.5.
        let mut b = vec![0x0a, 0x07, 0x0a, 0x03, b'a', b'n', b'n', 0x10, 0x05];
        b.extend([
            0x12, 0x02, b'h', b'i', 0x18, 0x02, 0x22, 0x03, 0x01, 0xac, 0x02, 0x2a, 0x02, 0x08,
            0x05,
        ]);
        b.extend([0x31, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f]);
        let mut out = Out::default();
        assert_eq!(
            decode_as(&b, Some(&m), 0, &mut out),
            "chat.Message (6 field(s))"
        );
        assert!(out.findings.is_empty(), "{:?}", out.findings);
        let f = &out.nodes[0].children;
        let shown: Vec<_> = f
            .iter()
            .map(|n| (n.name.as_str(), n.value.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            shown,
            [
                ("from", "chat.User".to_string()),
                ("text", "\"hi\"".into()),
                ("kind", "IMAGE (2)".into()),
                ("reactions", "packed".into()),
                ("at", "google.protobuf.Timestamp".into()),
                ("score", "0.5".into()),
            ]
        );
        assert_eq!(f[0].children[1].value.as_deref(), Some("-3"));
        assert_eq!(f[3].children[1].value.as_deref(), Some("300"));
        assert_eq!(f[3].children[1].span, [18, 20]);
        assert_eq!(f[4].children[0].name, "seconds");
    }

    #[test]
    fn schema_errors_say_where() {
        let e = Schema::compile(&[(
            "bad.proto".into(),
            "syntax = \"proto3\";\nmessage { }".into(),
        )])
        .unwrap_err();
        assert!(e.starts_with("bad.proto:2:"), "{e}");
        assert!(schema()
            .message("Nope")
            .unwrap_err()
            .contains("chat.Message"));
        // What the page offers to choose: the file's types, not google's nor map entries.
        let with_map = PROTO.replace(
            "double score = 6;",
            "double score = 6; map<string, string> meta = 7;",
        );
        let s = Schema::compile(&[("chat.proto".into(), with_map)]).unwrap();
        assert_eq!(s.messages(), ["chat.User", "chat.Message"]);
        // A wire type the schema does not expect is a finding; the value is still shown raw.
        let m = schema().message("chat.Message").unwrap();
        let mut out = Out::default();
        decode_as(&[0x15, 1, 0, 0, 0], Some(&m), 0, &mut out);
        assert_eq!(out.findings[0].code, Code::BadValue);
        assert_eq!(out.nodes[0].children[0].name, "text");
    }
}
