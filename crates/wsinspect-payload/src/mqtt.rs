//! MQTT 3.1.1 (OASIS 2014) and 5.0 (OASIS 2019) control packets carried in WebSocket binary
//! messages (MQTT 5 §6: "a single WebSocket message may contain several MQTT control packets,
//! and one packet may span WebSocket messages").
//!
//! [`State`] keeps the start of a packet that continues in the next message (at most
//! [`MAX_CARRY`] bytes) and the protocol level (from CONNECT, or a CONNACK's length), which says
//! whether packets carry MQTT 5 properties. A packet that began in an earlier message is shown
//! in the message where it ends; its bytes from earlier messages have empty spans at offset 0.

use crate::tree::{hex, quote, text_or_hex, Code, Finding, Kind, Node};
use crate::Out;

/// The most bytes of an unfinished packet kept for the next message; a longer packet is
/// skipped with a [`Code::Limit`] finding.
pub const MAX_CARRY: usize = 1 << 20;

const TYPES: [&str; 16] = [
    "reserved",
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "AUTH",
];

/// One direction's MQTT state.
#[derive(Clone, Debug, Default)]
pub struct State {
    /// 4 for 3.1.1, 5 for 5.0, 3 for 3.1 (`MQIsdp`), once known.
    pub version: Option<u8>,
    /// The start of a packet that continues in the next message.
    carry: Vec<u8>,
    /// Bytes still to skip of a packet too long to keep.
    skip: usize,
}

/// Whether `b` starts with a CONNECT packet (for detection without a subprotocol).
pub fn looks_like_connect(b: &[u8]) -> bool {
    if b.first() != Some(&0x10) {
        return false;
    }
    let Some((_, n)) = varint(&b[1..]) else {
        return false;
    };
    let rest = &b[1 + n..];
    rest.starts_with(b"\0\x04MQTT") || rest.starts_with(b"\0\x06MQIsdp")
}

/// The remaining-length varint: its value and byte count; `None` when cut short or over 4 bytes.
fn varint(b: &[u8]) -> Option<(usize, usize)> {
    let mut v = 0usize;
    for (i, &c) in b.iter().enumerate().take(4) {
        v |= usize::from(c & 0x7f) << (7 * i);
        if c & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

impl State {
    /// Bytes this state holds (the start of a packet that continues in the next message).
    pub fn held(&self) -> usize {
        self.carry.len()
    }

    /// Decodes the MQTT packets that end in this message; returns the summary.
    pub fn message(&mut self, msg: &[u8], out: &mut Out) -> String {
        let mut msg_at = 0;
        if self.skip > 0 {
            let n = self.skip.min(msg.len());
            self.skip -= n;
            out.nodes.push(Node::value(
                "rest of a skipped packet",
                Kind::Bytes,
                format!("{n} bytes"),
                [0, n],
            ));
            msg_at = n;
        }
        let carried = self.carry.len();
        let mut buf = core::mem::take(&mut self.carry);
        buf.extend_from_slice(&msg[msg_at..]);
        // Offsets in `buf` to offsets in the message.
        let base = msg_at as isize - carried as isize;
        let mut summaries = Vec::new();
        let mut pos = 0;
        let mut nodes = Vec::new();
        let mut findings = Vec::new();
        // Where the unfinished packet starts, kept for the next message (moved, not copied, so
        // a packet split into many messages costs linear time).
        let mut keep_from = None;
        while pos < buf.len() {
            let head = varint(buf.get(pos + 1..).unwrap_or_default());
            let (len, n) = match head {
                Some(h) => h,
                None if buf.len() - pos > 4 => {
                    findings.push(Finding::new(
                        Code::Syntax,
                        "a remaining length longer than 4 bytes",
                        [pos + 1, pos + 5],
                    ));
                    break;
                }
                None => {
                    keep_from = Some(pos);
                    nodes.push(Node::value(
                        "packet start",
                        Kind::Bytes,
                        "continues in the next message",
                        [pos, buf.len()],
                    ));
                    break;
                }
            };
            let end = pos + 1 + n + len;
            if end > buf.len() {
                if len + 1 + n > MAX_CARRY {
                    findings.push(Finding::new(
                        Code::Limit,
                        format!(
                            "a {}-byte packet: longer than wsinspect keeps ({MAX_CARRY}), skipped",
                            len + 1 + n
                        ),
                        [pos, buf.len()],
                    ));
                    self.skip = end - buf.len();
                } else {
                    keep_from = Some(pos);
                    nodes.push(Node::value(
                        "packet start",
                        Kind::Bytes,
                        format!(
                            "{} of {} bytes; continues in the next message",
                            buf.len() - pos,
                            end - pos
                        ),
                        [pos, buf.len()],
                    ));
                }
                break;
            }
            let (node, summary) = self.packet(&buf, pos, 1 + n, end, &mut findings);
            let mut node = node;
            if pos < carried {
                node.value = Some(format!(
                    "began in an earlier message ({} bytes there)",
                    carried - pos
                ));
            }
            nodes.push(node);
            summaries.push(summary);
            pos = end;
        }
        if let Some(p) = keep_from {
            buf.drain(..p);
            self.carry = buf;
        }
        let map = |s: [usize; 2]| {
            let f = |x: usize| (x as isize + base).max(0) as usize;
            [f(s[0]), f(s[1])]
        };
        for mut n in nodes {
            remap(&mut n, &map);
            out.nodes.push(n);
        }
        for mut f in findings {
            f.span = map(f.span);
            out.finding(f);
        }
        match summaries.len() {
            0 => "part of a packet".into(),
            _ => summaries.join("; "),
        }
    }

    /// One whole packet `buf[pos..end]`, its fixed header `hlen` bytes long.
    fn packet(
        &mut self,
        buf: &[u8],
        pos: usize,
        hlen: usize,
        end: usize,
        findings: &mut Vec<Finding>,
    ) -> (Node, String) {
        let b0 = buf[pos];
        let ty = usize::from(b0 >> 4);
        let name = TYPES[ty];
        let flags = b0 & 0x0f;
        let mut kids = vec![
            Node::value("type", Kind::Field, format!("{ty} {name}"), [pos, pos + 1]),
            Node::value("flags", Kind::Field, format!("0x{flags:x}"), [pos, pos + 1]),
            Node::value(
                "remaining length",
                Kind::Int,
                (end - pos - hlen).to_string(),
                [pos + 1, pos + hlen],
            ),
        ];
        let mut r = R {
            b: buf,
            pos: pos + hlen,
            end,
            findings,
        };
        let summary = match ty {
            1 => self.connect(&mut r, &mut kids),
            2 => self.connack(&mut r, &mut kids),
            3 => self.publish(&mut r, flags, &mut kids),
            4..=7 | 11 => self.ack(&mut r, ty, &mut kids),
            8 | 10 => self.subscribe(&mut r, ty == 8, &mut kids),
            9 => self.suback(&mut r, &mut kids),
            12 | 13 => name.to_string(),
            14 | 15 => self.disconnect(&mut r, ty, &mut kids),
            _ => {
                r.findings.push(Finding::new(
                    Code::Unknown,
                    format!("reserved packet type 0 at offset {pos}"),
                    [pos, pos + 1],
                ));
                name.to_string()
            }
        };
        let expected = match ty {
            3 => None,
            6 | 8 | 10 => Some(2),
            _ => Some(0),
        };
        if let Some(e) = expected.filter(|&e| e != flags) {
            r.findings.push(Finding::new(
                Code::BadValue,
                format!("{name} flags must be {e:#x}, are {flags:#x}"),
                [pos, pos + 1],
            ));
        }
        if r.pos < end && ty != 3 {
            r.findings.push(Finding::new(
                Code::Trailing,
                format!("bytes after the {name} packet's fields"),
                [r.pos, end],
            ));
            kids.push(Node::value(
                "trailing",
                Kind::Bytes,
                hex(&buf[r.pos..end], 64),
                [r.pos, end],
            ));
        }
        (Node::parent(name, Kind::Packet, [pos, end], kids), summary)
    }

    fn v5(&self) -> bool {
        self.version == Some(5)
    }

    fn connect(&mut self, r: &mut R, kids: &mut Vec<Node>) -> String {
        let Some(proto) = r.string("protocol name", kids) else {
            return "CONNECT".into();
        };
        let Some(level) = r.u8("protocol level", kids) else {
            return "CONNECT".into();
        };
        if let Some(k) = kids.last_mut() {
            k.value = Some(match level {
                3 => "3 (MQTT 3.1)".into(),
                4 => "4 (MQTT 3.1.1)".into(),
                5 => "5 (MQTT 5.0)".into(),
                l => format!("{l} (unknown)"),
            });
        }
        self.version = Some(level);
        let Some(f) = r.u8("connect flags", kids) else {
            return "CONNECT".into();
        };
        if let Some(k) = kids.last_mut() {
            let mut names = Vec::new();
            for (bit, n) in [
                (0x80, "username"),
                (0x40, "password"),
                (0x20, "will retain"),
                (0x04, "will"),
                (0x02, "clean start"),
            ] {
                if f & bit != 0 {
                    names.push(n.to_string());
                }
            }
            if f & 0x04 != 0 {
                names.push(format!("will QoS {}", (f >> 3) & 3));
            }
            k.value = Some(format!("0x{f:02x} ({})", names.join(", ")));
        }
        r.u16("keep alive", kids);
        if self.v5() {
            r.properties("properties", kids);
        }
        let client = r.string("client id", kids);
        if f & 0x04 != 0 {
            if self.v5() {
                r.properties("will properties", kids);
            }
            r.string("will topic", kids);
            r.binary("will payload", kids);
        }
        if f & 0x80 != 0 {
            r.string("username", kids);
        }
        if f & 0x40 != 0 {
            r.binary("password", kids);
        }
        let _ = proto;
        format!(
            "CONNECT {} client {}",
            level_name(level),
            quote(&client.unwrap_or_default())
        )
    }

    fn connack(&mut self, r: &mut R, kids: &mut Vec<Node>) -> String {
        // A CONNACK longer than 2 bytes has MQTT 5 properties: the server side learns the level.
        if self.version.is_none() {
            self.version = Some(if r.end - r.pos > 2 { 5 } else { 4 });
        }
        r.u8("acknowledge flags", kids);
        let code = r.u8("reason code", kids).unwrap_or(0);
        let v5 = self.v5();
        if let Some(k) = kids.last_mut() {
            k.value = Some(format!(
                "{code} {}",
                if v5 { reason(code) } else { connack_311(code) }
            ));
        }
        if v5 && r.pos < r.end {
            r.properties("properties", kids);
        }
        format!(
            "CONNACK {}",
            if v5 { reason(code) } else { connack_311(code) }
        )
    }

    fn publish(&mut self, r: &mut R, flags: u8, kids: &mut Vec<Node>) -> String {
        let qos = (flags >> 1) & 3;
        let at = kids[1].span;
        kids[1].value = Some(format!(
            "0x{flags:x} (QoS {qos}{}{})",
            if flags & 8 != 0 { ", dup" } else { "" },
            if flags & 1 != 0 { ", retain" } else { "" }
        ));
        if qos == 3 {
            r.findings
                .push(Finding::new(Code::BadValue, "PUBLISH with QoS 3", at));
        }
        let topic = r.string("topic", kids).unwrap_or_default();
        if qos > 0 {
            r.u16("packet id", kids);
        }
        if self.v5() {
            r.properties("properties", kids);
        }
        let (start, end) = (r.pos.min(r.end), r.end);
        let body = &r.b[start..end];
        let (kind, value) = text_or_hex(body);
        let mut payload = Node::value("payload", kind, value, [start, end]);
        if let Some((d, nodes, findings)) = crate::nested(body, start, 0) {
            payload.children.extend(nodes.into_iter().map(|mut n| {
                n.name = d.as_str().to_string();
                n
            }));
            r.findings.extend(findings);
        }
        kids.push(payload);
        r.pos = end;
        format!("PUBLISH {topic} ({} bytes)", body.len())
    }

    fn ack(&mut self, r: &mut R, ty: usize, kids: &mut Vec<Node>) -> String {
        let id = r.u16("packet id", kids);
        if self.v5() && ty != 11 && r.pos < r.end {
            let c = r.u8("reason code", kids).unwrap_or(0);
            if let Some(k) = kids.last_mut() {
                k.value = Some(format!("{c} {}", reason(c)));
            }
            if r.pos < r.end {
                r.properties("properties", kids);
            }
        }
        if ty == 11 {
            if self.v5() {
                r.properties("properties", kids);
            }
            self.codes(r, kids);
        }
        format!("{} id {}", TYPES[ty], id.unwrap_or(0))
    }

    fn codes(&self, r: &mut R, kids: &mut Vec<Node>) -> Vec<String> {
        let mut names = Vec::new();
        while r.pos < r.end {
            let c = r.b[r.pos];
            let name = if self.v5() {
                reason(c).to_string()
            } else {
                suback_311(c).to_string()
            };
            kids.push(Node::value(
                "reason code",
                Kind::Field,
                format!("{c} {name}"),
                [r.pos, r.pos + 1],
            ));
            names.push(name);
            r.pos += 1;
        }
        names
    }

    fn subscribe(&mut self, r: &mut R, sub: bool, kids: &mut Vec<Node>) -> String {
        let id = r.u16("packet id", kids).unwrap_or(0);
        if self.v5() {
            r.properties("properties", kids);
        }
        let mut topics = Vec::new();
        while r.pos < r.end {
            let Some(t) = r.string("topic filter", kids) else {
                break;
            };
            if sub {
                let o = r.u8("options", kids).unwrap_or(0);
                if let Some(k) = kids.last_mut() {
                    k.value = Some(format!("0x{o:02x} (QoS {})", o & 3));
                }
            }
            topics.push(t);
        }
        if topics.is_empty() {
            r.findings.push(Finding::new(
                Code::BadValue,
                "a (UN)SUBSCRIBE without topic filters",
                [r.pos, r.end],
            ));
        }
        format!(
            "{} {} id {id}",
            if sub { "SUBSCRIBE" } else { "UNSUBSCRIBE" },
            topics.join(", ")
        )
    }

    fn suback(&mut self, r: &mut R, kids: &mut Vec<Node>) -> String {
        let id = r.u16("packet id", kids).unwrap_or(0);
        if self.v5() {
            r.properties("properties", kids);
        }
        let names = self.codes(r, kids);
        format!("SUBACK id {id} {}", names.join(", "))
    }

    fn disconnect(&mut self, r: &mut R, ty: usize, kids: &mut Vec<Node>) -> String {
        if self.v5() && r.pos < r.end {
            let c = r.u8("reason code", kids).unwrap_or(0);
            if let Some(k) = kids.last_mut() {
                k.value = Some(format!("{c} {}", reason(c)));
            }
            if r.pos < r.end {
                r.properties("properties", kids);
            }
            return format!("{} {}", TYPES[ty], reason(c));
        }
        TYPES[ty].to_string()
    }
}

fn level_name(l: u8) -> &'static str {
    match l {
        3 => "3.1",
        4 => "3.1.1",
        5 => "5.0",
        _ => "?",
    }
}

fn connack_311(c: u8) -> &'static str {
    match c {
        0 => "Connection Accepted",
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "reserved",
    }
}

fn suback_311(c: u8) -> &'static str {
    match c {
        0 => "Granted QoS 0",
        1 => "Granted QoS 1",
        2 => "Granted QoS 2",
        0x80 => "Failure",
        _ => "reserved",
    }
}

/// MQTT 5 reason codes (§2.4).
fn reason(c: u8) -> &'static str {
    match c {
        0x00 => "Success",
        0x01 => "Granted QoS 1",
        0x02 => "Granted QoS 2",
        0x04 => "Disconnect with Will Message",
        0x10 => "No matching subscribers",
        0x11 => "No subscription existed",
        0x18 => "Continue authentication",
        0x19 => "Re-authenticate",
        0x80 => "Unspecified error",
        0x81 => "Malformed Packet",
        0x82 => "Protocol Error",
        0x83 => "Implementation specific error",
        0x84 => "Unsupported Protocol Version",
        0x85 => "Client Identifier not valid",
        0x86 => "Bad User Name or Password",
        0x87 => "Not authorized",
        0x88 => "Server unavailable",
        0x89 => "Server busy",
        0x8A => "Banned",
        0x8B => "Server shutting down",
        0x8C => "Bad authentication method",
        0x8D => "Keep Alive timeout",
        0x8E => "Session taken over",
        0x8F => "Topic Filter invalid",
        0x90 => "Topic Name invalid",
        0x91 => "Packet Identifier in use",
        0x92 => "Packet Identifier not found",
        0x93 => "Receive Maximum exceeded",
        0x94 => "Topic Alias invalid",
        0x95 => "Packet too large",
        0x96 => "Message rate too high",
        0x97 => "Quota exceeded",
        0x98 => "Administrative action",
        0x99 => "Payload format invalid",
        0x9A => "Retain not supported",
        0x9B => "QoS not supported",
        0x9C => "Use another server",
        0x9D => "Server moved",
        0x9E => "Shared Subscriptions not supported",
        0x9F => "Connection rate exceeded",
        0xA0 => "Maximum connect time",
        0xA1 => "Subscription Identifiers not supported",
        0xA2 => "Wildcard Subscriptions not supported",
        _ => "unknown reason code",
    }
}

/// How an MQTT 5 property's value is encoded.
#[derive(Clone, Copy)]
enum PropType {
    Byte,
    U16,
    U32,
    VarInt,
    Str,
    Bin,
    Pair,
}

/// MQTT 5 properties (§2.2.2.2): identifier, name, type.
const PROPERTIES: &[(u8, &str, PropType)] = &[
    (0x01, "Payload Format Indicator", PropType::Byte),
    (0x02, "Message Expiry Interval", PropType::U32),
    (0x03, "Content Type", PropType::Str),
    (0x08, "Response Topic", PropType::Str),
    (0x09, "Correlation Data", PropType::Bin),
    (0x0B, "Subscription Identifier", PropType::VarInt),
    (0x11, "Session Expiry Interval", PropType::U32),
    (0x12, "Assigned Client Identifier", PropType::Str),
    (0x13, "Server Keep Alive", PropType::U16),
    (0x15, "Authentication Method", PropType::Str),
    (0x16, "Authentication Data", PropType::Bin),
    (0x17, "Request Problem Information", PropType::Byte),
    (0x18, "Will Delay Interval", PropType::U32),
    (0x19, "Request Response Information", PropType::Byte),
    (0x1A, "Response Information", PropType::Str),
    (0x1C, "Server Reference", PropType::Str),
    (0x1F, "Reason String", PropType::Str),
    (0x21, "Receive Maximum", PropType::U16),
    (0x22, "Topic Alias Maximum", PropType::U16),
    (0x23, "Topic Alias", PropType::U16),
    (0x24, "Maximum QoS", PropType::Byte),
    (0x25, "Retain Available", PropType::Byte),
    (0x26, "User Property", PropType::Pair),
    (0x27, "Maximum Packet Size", PropType::U32),
    (0x28, "Wildcard Subscription Available", PropType::Byte),
    (0x29, "Subscription Identifier Available", PropType::Byte),
    (0x2A, "Shared Subscription Available", PropType::Byte),
];

/// A cursor over one packet's fields: each read pushes a node or a finding.
struct R<'a, 'f> {
    b: &'a [u8],
    pos: usize,
    end: usize,
    findings: &'f mut Vec<Finding>,
}

impl R<'_, '_> {
    fn need(&mut self, n: usize, what: &str) -> bool {
        if self.pos + n <= self.end {
            return true;
        }
        self.findings.push(Finding::new(
            Code::Truncated,
            format!(
                "the packet ends inside its {what} (at offset {}, {n} bytes needed)",
                self.pos
            ),
            [self.pos.min(self.end), self.end],
        ));
        self.pos = self.end;
        false
    }

    fn uint(&mut self, n: usize, what: &str) -> Option<u64> {
        if !self.need(n, what) {
            return None;
        }
        let v = self.b[self.pos..self.pos + n]
            .iter()
            .fold(0u64, |v, &c| v << 8 | u64::from(c));
        self.pos += n;
        Some(v)
    }

    fn u8(&mut self, what: &str, kids: &mut Vec<Node>) -> Option<u8> {
        let at = self.pos;
        let v = self.uint(1, what)? as u8;
        kids.push(Node::value(what, Kind::Int, v.to_string(), [at, self.pos]));
        Some(v)
    }

    fn u16(&mut self, what: &str, kids: &mut Vec<Node>) -> Option<u16> {
        let at = self.pos;
        let v = self.uint(2, what)? as u16;
        kids.push(Node::value(what, Kind::Int, v.to_string(), [at, self.pos]));
        Some(v)
    }

    /// Length-prefixed bytes (§1.5.6): their range.
    fn raw(&mut self, what: &str) -> Option<(usize, usize)> {
        let len = self.uint(2, what)? as usize;
        let at = self.pos;
        if !self.need(len, what) {
            return None;
        }
        self.pos += len;
        Some((at, self.pos))
    }

    fn string(&mut self, what: &str, kids: &mut Vec<Node>) -> Option<String> {
        let start = self.pos;
        let (a, e) = self.raw(what)?;
        match core::str::from_utf8(&self.b[a..e]) {
            Ok(s) => {
                kids.push(Node::value(what, Kind::String, quote(s), [start, e]));
                Some(s.to_string())
            }
            Err(_) => {
                self.findings.push(Finding::new(
                    Code::BadValue,
                    format!("the {what} is not UTF-8"),
                    [a, e],
                ));
                kids.push(Node::value(
                    what,
                    Kind::Bytes,
                    hex(&self.b[a..e], 64),
                    [start, e],
                ));
                Some(String::from_utf8_lossy(&self.b[a..e]).into_owned())
            }
        }
    }

    fn binary(&mut self, what: &str, kids: &mut Vec<Node>) {
        let start = self.pos;
        if let Some((a, e)) = self.raw(what) {
            let (k, v) = text_or_hex(&self.b[a..e]);
            kids.push(Node::value(what, k, v, [start, e]));
        }
    }

    fn varint(&mut self, what: &str) -> Option<usize> {
        match varint(&self.b[self.pos..self.end]) {
            Some((v, n)) => {
                self.pos += n;
                Some(v)
            }
            None => {
                self.need(self.end - self.pos + 1, what);
                None
            }
        }
    }

    fn properties(&mut self, what: &str, kids: &mut Vec<Node>) {
        let start = self.pos;
        let Some(len) = self.varint("property length") else {
            return;
        };
        let body = self.pos;
        if !self.need(len, what) {
            return;
        }
        let outer_end = self.end;
        self.end = body + len;
        let mut props = Vec::new();
        while self.pos < self.end {
            let at = self.pos;
            let Some(id) = self.varint("property identifier") else {
                break;
            };
            let Some(&(_, name, ty)) = PROPERTIES.iter().find(|(i, _, _)| *i as usize == id) else {
                self.findings.push(Finding::new(
                    Code::Unknown,
                    format!("unknown MQTT 5 property 0x{id:02x} at offset {at}"),
                    [at, self.pos],
                ));
                self.pos = self.end;
                break;
            };
            let mut one = Vec::new();
            let value = match ty {
                PropType::Byte => self.uint(1, name).map(|v| v.to_string()),
                PropType::U16 => self.uint(2, name).map(|v| v.to_string()),
                PropType::U32 => self.uint(4, name).map(|v| v.to_string()),
                PropType::VarInt => self.varint(name).map(|v| v.to_string()),
                PropType::Str => self.string("value", &mut one).map(|s| quote(&s)),
                PropType::Bin => {
                    self.binary("value", &mut one);
                    one.last().and_then(|n| n.value.clone())
                }
                PropType::Pair => {
                    let k = self.string("key", &mut one);
                    let v = self.string("value", &mut one);
                    k.zip(v)
                        .map(|(k, v)| format!("{} = {}", quote(&k), quote(&v)))
                }
            };
            let mut node = Node::parent(name, Kind::Header, [at, self.pos], one);
            node.value = value;
            props.push(node);
        }
        self.pos = self.end;
        self.end = outer_end;
        kids.push(Node::parent(what, Kind::Object, [start, self.pos], props));
    }
}

fn remap(n: &mut Node, map: &impl Fn([usize; 2]) -> [usize; 2]) {
    n.span = map(n.span);
    // Below an inflated node, spans count in the inflated bytes: they stay.
    if n.kind != Kind::Inflated {
        for c in &mut n.children {
            remap(c, map);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Choice, Decoder, MessageKind, PayloadSession};

    fn mqtt() -> PayloadSession {
        PayloadSession::new(Choice::Auto, Some("mqtt"))
    }

    // CONNECT, MQTT 3.1.1, clean session, keep alive 60, client id "mqttjs_1" (as MQTT.js sends).
    const CONNECT_311: &[u8] = b"\x10\x14\x00\x04MQTT\x04\x02\x00\x3c\x00\x08mqttjs_1";

    #[test]
    fn connect_311() {
        let d = mqtt().message(MessageKind::Binary, CONNECT_311).unwrap();
        assert_eq!(d.decoder, Decoder::Mqtt);
        assert_eq!(d.summary, "CONNECT 3.1.1 client \"mqttjs_1\"");
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        let id = d
            .tree
            .children
            .iter()
            .find(|c| c.name == "client id")
            .unwrap();
        assert_eq!(&CONNECT_311[id.span[0]..id.span[1]], b"\x00\x08mqttjs_1");
    }

    #[test]
    fn several_packets_and_one_split() {
        let mut s = mqtt();
        s.message(MessageKind::Binary, CONNECT_311);
        // SUBSCRIBE id 1 "a/b" QoS 1, then PUBLISH "a/b" "hi" QoS 0 cut after 4 bytes.
        let sub = b"\x82\x08\x00\x01\x00\x03a/b\x01";
        let publish = b"\x30\x07\x00\x03a/bhi";
        let mut first = sub.to_vec();
        first.extend_from_slice(&publish[..4]);
        let d = s.message(MessageKind::Binary, &first).unwrap();
        assert_eq!(d.summary, "SUBSCRIBE a/b id 1");
        assert_eq!(d.tree.children.len(), 2);
        let d = s.message(MessageKind::Binary, &publish[4..]).unwrap();
        assert_eq!(d.summary, "PUBLISH a/b (2 bytes)");
        let p = &d.tree;
        assert!(p
            .value
            .as_deref()
            .unwrap()
            .starts_with("began in an earlier message"));
        let payload = p.children.iter().find(|c| c.name == "payload").unwrap();
        assert_eq!(payload.value.as_deref(), Some("\"hi\""));
        assert_eq!(payload.span, [3, 5]);
        assert!(d.findings.is_empty());
    }

    #[test]
    fn mqtt5_connack_and_publish_properties() {
        let mut s = mqtt();
        // CONNACK, session present 0, Success, properties: Receive Maximum 20, Topic Alias Maximum 10.
        let d = s
            .message(
                MessageKind::Binary,
                b"\x20\x09\x00\x00\x06\x21\x00\x14\x22\x00\x0a",
            )
            .unwrap();
        assert_eq!(d.summary, "CONNACK Success");
        let props = d
            .tree
            .children
            .iter()
            .find(|c| c.name == "properties")
            .unwrap();
        assert_eq!(props.children[0].name, "Receive Maximum");
        assert_eq!(props.children[0].value.as_deref(), Some("20"));
        // PUBLISH QoS 1 id 7, Content Type "application/json", payload {"t":21}.
        let mut p = b"\x32\x00\x00\x02t1\x00\x07\x13\x03\x00\x10application/json".to_vec();
        p.extend_from_slice(br#"{"t":21}"#);
        p[1] = (p.len() - 2) as u8;
        let d = s.message(MessageKind::Binary, &p).unwrap();
        assert_eq!(d.summary, "PUBLISH t1 (8 bytes)");
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        let payload = d
            .tree
            .children
            .iter()
            .find(|c| c.name == "payload")
            .unwrap();
        assert_eq!(payload.children[0].kind, Kind::Object);
        assert_eq!(payload.children[0].name, "json");
    }

    #[test]
    fn binary_payloads_are_decoded_inside() {
        // PUBLISH "s" with a MessagePack payload {"t": 21}, split across two messages.
        let p = b"\x30\x07\x00\x01s\x81\xa1t\x15";
        let mut s = mqtt();
        s.message(MessageKind::Binary, &p[..6]);
        let d = s.message(MessageKind::Binary, &p[6..]).unwrap();
        let payload = d
            .tree
            .children
            .iter()
            .find(|c| c.name == "payload")
            .unwrap();
        let m = &payload.children[0];
        assert_eq!((m.name.as_str(), m.kind), ("msgpack", Kind::Object));
        assert_eq!(m.children[0].value.as_deref(), Some("21"));
        // Its bytes: the map starts in the first message, the value is in the second.
        assert_eq!(m.children[0].span, [2, 3]);
    }

    #[test]
    fn the_server_side_learns_mqtt_5_from_the_client() {
        let mut client = mqtt();
        client.message(
            MessageKind::Binary,
            b"\x10\x10\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x03abc",
        );
        let mut server = mqtt();
        server.learn(&client);
        // PUBLISH "t" QoS 0 with an empty property list, payload "x".
        let d = server
            .message(MessageKind::Binary, b"\x30\x05\x00\x01t\x00x")
            .unwrap();
        assert_eq!(d.summary, "PUBLISH t (1 bytes)");
        assert!(d.tree.children.iter().any(|c| c.name == "properties"));
    }

    #[test]
    fn a_packet_in_many_small_messages_takes_linear_time() {
        // A 300 kB PUBLISH, one byte per message: each message appends, none copies the rest.
        let body = vec![b'x'; 300_000];
        let mut p = vec![0x30];
        let len = 3 + body.len();
        p.extend([
            (len & 0x7f) as u8 | 0x80,
            ((len >> 7) & 0x7f) as u8 | 0x80,
            (len >> 14) as u8,
        ]);
        p.extend(b"\x00\x01t");
        p.extend(&body);
        let mut s = mqtt();
        let start = std::time::Instant::now();
        let mut last = None;
        for b in p.chunks(1) {
            last = s.message(MessageKind::Binary, b);
        }
        assert_eq!(last.unwrap().summary, "PUBLISH t (300000 bytes)");
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    }

    #[test]
    fn truncated_fields_are_findings() {
        let d = mqtt()
            .message(MessageKind::Binary, b"\x10\x04\x00\x04MQ")
            .unwrap();
        assert_eq!(d.findings[0].code, Code::Truncated);
        let d = mqtt()
            .message(MessageKind::Binary, b"\x30\xff\xff\xff\xff\xff")
            .unwrap();
        assert_eq!(d.findings[0].code, Code::Syntax);
    }
}
