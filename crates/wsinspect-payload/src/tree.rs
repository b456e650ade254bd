//! The decoded tree: named, typed values, each with the byte span it was read from, and the
//! findings a decoder reports (with their positions) instead of failing.

use serde::{Deserialize, Serialize};

/// What a node is. Serialises as its snake_case name (`"object"`, `"packet"`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A protocol unit: a Socket.IO packet, an MQTT control packet, a STOMP frame.
    Packet,
    /// A named field of a packet or record.
    Field,
    /// A header line (STOMP), a property (MQTT 5).
    Header,
    /// A JSON object, a MessagePack or CBOR map, a Protobuf message.
    Object,
    /// A JSON array, a MessagePack or CBOR array.
    Array,
    /// A text string.
    String,
    /// A number (JSON keeps its text).
    Number,
    /// An integer.
    Int,
    /// A floating-point number.
    Float,
    /// true or false.
    Bool,
    /// null / nil / CBOR undefined.
    Null,
    /// Bytes shown as hex.
    Bytes,
    /// A CBOR tag or MessagePack extension around its content.
    Tag,
    /// A compressed body; its children count bytes in the inflated data (see [`Node::span`]).
    Inflated,
}

impl Kind {
    /// Its name, as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Packet => "packet",
            Kind::Field => "field",
            Kind::Header => "header",
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Int => "int",
            Kind::Float => "float",
            Kind::Bool => "bool",
            Kind::Null => "null",
            Kind::Bytes => "bytes",
            Kind::Tag => "tag",
            Kind::Inflated => "inflated",
        }
    }
}

/// One decoded value.
///
/// INVARIANT: `span` lies inside the message payload (`span[0] <= span[1] <= len`) and inside
/// its parent's span, except below a node of kind [`Kind::Inflated`], whose descendants count
/// their spans in the inflated bytes (the node's `value` says how many there are).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// What it is called: a field name, a key, an index (`[0]`), a packet type.
    pub name: String,
    /// Its type.
    pub kind: Kind,
    /// Its value as text, if it has a short one (strings are JSON-quoted, bytes are hex).
    pub value: Option<String>,
    /// Byte offsets `[start, end)` in the message payload.
    pub span: [usize; 2],
    /// What it holds.
    pub children: Vec<Node>,
}

impl Node {
    /// A node without children.
    pub fn leaf(
        name: impl Into<String>,
        kind: Kind,
        value: Option<String>,
        span: [usize; 2],
    ) -> Node {
        Node {
            name: name.into(),
            kind,
            value,
            span,
            children: Vec::new(),
        }
    }

    /// A node with a value.
    pub fn value(
        name: impl Into<String>,
        kind: Kind,
        value: impl Into<String>,
        span: [usize; 2],
    ) -> Node {
        Node::leaf(name, kind, Some(value.into()), span)
    }

    /// A node with children and no value.
    pub fn parent(
        name: impl Into<String>,
        kind: Kind,
        span: [usize; 2],
        children: Vec<Node>,
    ) -> Node {
        Node {
            name: name.into(),
            kind,
            value: None,
            span,
            children,
        }
    }

    /// Moves every span by `by` bytes (a sub-decoder's tree placed at its offset).
    pub fn shift(&mut self, by: usize) {
        self.span = [self.span[0] + by, self.span[1] + by];
        if self.kind != Kind::Inflated {
            for c in &mut self.children {
                c.shift(by);
            }
        }
    }

    /// Spans shown as `start..end`, for the text output.
    pub fn render(&self, indent: usize, out: &mut String) {
        use core::fmt::Write as _;
        let _ = write!(
            out,
            "{:indent$}{} ({}) [{}..{}]",
            "",
            self.name,
            self.kind.as_str(),
            self.span[0],
            self.span[1]
        );
        if let Some(v) = &self.value {
            let _ = write!(out, ": {}", clip(v, 200));
        }
        out.push('\n');
        for c in &self.children {
            c.render(indent + 2, out);
        }
    }
}

/// At most `max` characters of `s`, with an ellipsis when cut.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// What went wrong, by kind. Serialises as its kebab-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    /// The bytes do not follow the format's grammar.
    Syntax,
    /// The message ends before the value or packet does.
    Truncated,
    /// Bytes after the value or packet that belong to none.
    Trailing,
    /// A value nested deeper, or more values, than we read (a limit of wsinspect).
    Limit,
    /// A field holds a value the protocol does not allow.
    BadValue,
    /// A packet type, command or tag the decoder does not know.
    Unknown,
    /// A compressed body could not be inflated whole (corrupt or over the limit).
    Inflate,
    /// A stateful protocol's messages do not fit together (a missing attachment, a gap).
    Sequence,
}

/// A problem a decoder found, with its place in the message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Its kind.
    pub code: Code,
    /// What is wrong, in words.
    pub message: String,
    /// Byte offsets `[start, end)` in the message payload (empty at the place for a missing byte).
    pub span: [usize; 2],
}

impl Finding {
    /// A finding at `span`.
    pub fn new(code: Code, message: impl Into<String>, span: [usize; 2]) -> Finding {
        Finding {
            code,
            message: message.into(),
            span,
        }
    }
}

/// Bytes as lowercase hex, at most `max` bytes of them (then an ellipsis and the length).
pub fn hex(bytes: &[u8], max: usize) -> String {
    let mut s = String::with_capacity(bytes.len().min(max) * 2 + 16);
    for b in bytes.iter().take(max) {
        s.push_str(&format!("{b:02x}"));
    }
    if bytes.len() > max {
        s.push_str(&format!("… ({} bytes)", bytes.len()));
    }
    s
}

/// A string quoted as JSON would (for node values).
pub fn quote(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\r' => q.push_str("\\r"),
            '\t' => q.push_str("\\t"),
            c if (c as u32) < 0x20 => q.push_str(&format!("\\u{:04x}", c as u32)),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// Bytes shown as text when they are UTF-8, else as hex.
pub fn text_or_hex(bytes: &[u8]) -> (Kind, String) {
    match core::str::from_utf8(bytes) {
        Ok(s) => (Kind::String, quote(&clip(s, 4096))),
        Err(_) => (Kind::Bytes, hex(bytes, 256)),
    }
}
