//! Engine.IO v3/v4 packets over WebSocket and the Socket.IO v2-v5 packets inside them.
//!
//! A text message is one Engine.IO packet: a type digit (`0` open .. `6` noop) and its data. A
//! MESSAGE (`4`) holds a Socket.IO packet: `<type>[<attachments>-][<namespace>,][<ack id>][JSON]`.
//! A BINARY_EVENT or BINARY_ACK (`5`, `6`) names how many binary attachments follow; its JSON
//! holds `{"_placeholder":true,"num":N}` where each goes, and the attachments come as the next
//! binary messages (Engine.IO v3 puts a `0x04` byte before each). [`State`] remembers the event
//! that is owed them and joins each one back to it.

use crate::json;
use crate::tree::{hex, quote, Code, Finding, Kind, Node};
use crate::{MessageKind, Out};

const ENGINE_TYPES: [&str; 7] = [
    "OPEN", "CLOSE", "PING", "PONG", "MESSAGE", "UPGRADE", "NOOP",
];
const SOCKET_TYPES: [&str; 7] = [
    "CONNECT",
    "DISCONNECT",
    "EVENT",
    "ACK",
    "CONNECT_ERROR",
    "BINARY_EVENT",
    "BINARY_ACK",
];

/// The attachments an event is still owed.
#[derive(Debug, Clone)]
struct Owed {
    /// What the event was (its summary).
    what: String,
    /// How many it announced.
    total: u64,
    /// How many arrived.
    got: u64,
}

/// One direction's Socket.IO state: the binary event waiting for its attachments.
#[derive(Clone, Debug, Default)]
pub struct State {
    owed: Option<Owed>,
    /// Engine.IO v3 (`true`: binary packets start with a 0x04 type byte) or v4 (`false`), once
    /// an OPEN said (v4's carries `maxPayload`).
    pub engine_v3: Option<bool>,
}

impl State {
    /// Bytes this state holds beyond its fixed size (what a copy of it costs).
    pub fn held(&self) -> usize {
        self.owed.as_ref().map_or(0, |o| o.what.len())
    }

    /// Decodes one message; returns its summary.
    pub fn message(&mut self, kind: MessageKind, b: &[u8], out: &mut Out) -> String {
        match kind {
            MessageKind::Binary => self.binary(b, out),
            MessageKind::Text => {
                if let Some(o) = self.owed.take() {
                    out.finding(Finding::new(
                        Code::Sequence,
                        format!(
                            "a text packet came while {} still waited for {} of its {} binary attachment(s)",
                            o.what,
                            o.total - o.got,
                            o.total
                        ),
                        [0, 0],
                    ));
                }
                self.text(b, out)
            }
        }
    }

    fn binary(&mut self, b: &[u8], out: &mut Out) -> String {
        // Engine.IO v3 sends a binary packet (an attachment too) after a 0x04 (MESSAGE) byte;
        // v4 sends it bare.
        let mut kids = Vec::new();
        let body = match (self.engine_v3, b.first()) {
            (Some(true), Some(4)) => {
                kids.push(Node::value(
                    "engine.io type",
                    Kind::Field,
                    "4 MESSAGE (binary, v3)",
                    [0, 1],
                ));
                &b[1..]
            }
            (Some(true), _) => {
                out.finding(Finding::new(
                    Code::BadValue,
                    "an Engine.IO v3 binary packet starts with 0x04 (MESSAGE)",
                    [0, b.len().min(1)],
                ));
                b
            }
            _ => b,
        };
        let at = b.len() - body.len();
        let data = Node::value("data", Kind::Bytes, hex(body, 256), [at, b.len()]);
        let Some(o) = self.owed.as_mut() else {
            kids.push(data);
            out.nodes.push(Node::parent(
                "engine.io binary MESSAGE",
                Kind::Packet,
                [0, b.len()],
                kids,
            ));
            return format!("binary MESSAGE ({} bytes)", body.len());
        };
        let n = o.got;
        o.got += 1;
        let summary = format!("ATTACHMENT {} of {} for {}", n + 1, o.total, o.what);
        kids.push(Node::value("of", Kind::Field, o.what.clone(), [0, 0]));
        kids.push(Node::value("num", Kind::Int, n.to_string(), [0, 0]));
        kids.push(data);
        out.nodes.push(Node::parent(
            format!("binary attachment {n}"),
            Kind::Packet,
            [0, b.len()],
            kids,
        ));
        if o.got >= o.total {
            self.owed = None;
        }
        summary
    }

    fn text(&mut self, b: &[u8], out: &mut Out) -> String {
        let Some(&t) = b.first() else {
            out.finding(Finding::new(
                Code::Truncated,
                "an empty Engine.IO packet",
                [0, 0],
            ));
            return "empty".into();
        };
        let Some(name) = t
            .checked_sub(b'0')
            .and_then(|i| ENGINE_TYPES.get(usize::from(i)))
        else {
            out.finding(Finding::new(
                Code::Unknown,
                format!("unknown Engine.IO packet type {:?} at offset 0", t as char),
                [0, 1],
            ));
            return "not Engine.IO".into();
        };
        let len = b.len();
        let mut children = vec![Node::value(
            "engine.io type",
            Kind::Field,
            format!("{} {name}", t as char),
            [0, 1],
        )];
        let rest = &b[1..];
        let summary = match t {
            b'4' => {
                let (node, summary) = self.socket(rest, 1, out);
                children.push(node);
                summary
            }
            b'0' => {
                let s = data_json(rest, 1, &mut children, out);
                if let Some(open) = &s {
                    self.engine_v3 = Some(json::get(open, "maxPayload").is_none());
                }
                let sid = s
                    .as_ref()
                    .and_then(|n| json::get(n, "sid"))
                    .and_then(json::string_of);
                match sid {
                    Some(sid) => format!("OPEN sid={sid}"),
                    None => "OPEN".into(),
                }
            }
            _ if !rest.is_empty() => {
                let text = String::from_utf8_lossy(rest);
                children.push(Node::value("data", Kind::String, quote(&text), [1, len]));
                format!("{name} {text}")
            }
            _ => name.to_string(),
        };
        out.nodes.push(Node::parent(
            format!("engine.io {name}"),
            Kind::Packet,
            [0, len],
            children,
        ));
        summary
    }

    /// A Socket.IO packet at `base` in the message.
    fn socket(&mut self, b: &[u8], base: usize, out: &mut Out) -> (Node, String) {
        let end = base + b.len();
        let Some(&t) = b.first() else {
            out.finding(Finding::new(
                Code::Truncated,
                "an Engine.IO MESSAGE without a Socket.IO packet",
                [base, base],
            ));
            return (
                Node::leaf("socket.io", Kind::Packet, None, [base, base]),
                "MESSAGE".into(),
            );
        };
        let Some(name) = t
            .checked_sub(b'0')
            .and_then(|i| SOCKET_TYPES.get(usize::from(i)))
        else {
            // Not a Socket.IO packet: a plain Engine.IO message (engine.io used on its own).
            let text = String::from_utf8_lossy(b);
            return (
                Node::value("data", Kind::String, quote(&text), [base, end]),
                format!("MESSAGE {}", crate::tree::clip(&text, 60)),
            );
        };
        let mut kids = vec![Node::value(
            "type",
            Kind::Field,
            format!("{} {name}", t as char),
            [base, base + 1],
        )];
        let mut i = 1;
        // Attachments: digits then '-', only for the binary types.
        let mut attachments = None;
        if matches!(t, b'5' | b'6') {
            let d = digits(&b[i..]);
            if d > 0 && b.get(i + d) == Some(&b'-') {
                let n: u64 = parse_u64(&b[i..i + d]);
                kids.push(Node::value(
                    "attachments",
                    Kind::Int,
                    n.to_string(),
                    [base + i, base + i + d + 1],
                ));
                attachments = Some(n);
                i += d + 1;
            } else {
                out.finding(Finding::new(
                    Code::Syntax,
                    format!(
                        "a {name} packet without its attachment count ('<n>-') at offset {}",
                        base + i
                    ),
                    [base + i, base + i],
                ));
            }
        }
        // Namespace: from '/' to ',' (or the end).
        let mut nsp = "/".to_string();
        if b.get(i) == Some(&b'/') {
            let stop = b[i..]
                .iter()
                .position(|&c| c == b',')
                .map_or(b.len(), |p| i + p);
            nsp = String::from_utf8_lossy(&b[i..stop]).into_owned();
            kids.push(Node::value(
                "namespace",
                Kind::String,
                quote(&nsp),
                [base + i, base + stop],
            ));
            i = (stop + 1).min(b.len());
        }
        // Ack id: digits.
        let d = digits(&b[i..]);
        let mut ack = None;
        if d > 0 {
            let id = parse_u64(&b[i..i + d]);
            kids.push(Node::value(
                "ack id",
                Kind::Int,
                id.to_string(),
                [base + i, base + i + d],
            ));
            ack = Some(id);
            i += d;
        }
        let data = data_json(&b[i..], base + i, &mut kids, out);
        let mut event = None;
        if let (b'2' | b'5', Some(arr)) = (t, data.as_ref()) {
            match arr.children.first() {
                Some(first) if arr.kind == Kind::Array && first.kind == Kind::String => {
                    let at = kids.len() - 1;
                    kids.insert(
                        at,
                        Node::value(
                            "event",
                            Kind::String,
                            first.value.clone().unwrap_or_default(),
                            first.span,
                        ),
                    );
                    event = json::string_of(first);
                }
                _ => out.finding(Finding::new(
                    Code::BadValue,
                    "an EVENT's data must be an array whose first element is the event name",
                    arr.span,
                )),
            }
        }
        if let Some(d) = kids.iter_mut().find(|n| n.name == "data") {
            mark_placeholders(d);
        }
        let mut summary = match (&event, t) {
            (Some(e), _) => format!("{} {}", name, quote(e)),
            _ => name.to_string(),
        };
        if nsp != "/" {
            summary.push_str(&format!(" {nsp}"));
        }
        if let Some(a) = ack {
            summary.push_str(&format!(" ack {a}"));
        }
        if let Some(n) = attachments.filter(|&n| n > 0) {
            summary.push_str(&format!(" +{n} attachment(s)"));
            self.owed = Some(Owed {
                what: summary.clone(),
                total: n,
                got: 0,
            });
        }
        (
            Node::parent(format!("socket.io {name}"), Kind::Packet, [base, end], kids),
            summary,
        )
    }
}

/// The JSON after a packet's header, pushed as the `data` node; `None` when there is none or
/// it does not parse (a finding then).
fn data_json(b: &[u8], base: usize, kids: &mut Vec<Node>, out: &mut Out) -> Option<Node> {
    if b.is_empty() {
        return None;
    }
    match json::parse(b, "data") {
        Ok(mut n) => {
            n.shift(base);
            kids.push(n.clone());
            Some(n)
        }
        Err(mut f) => {
            f.span = [f.span[0] + base, f.span[1] + base];
            f.message = format!("the packet's JSON: {}", shift_offsets(&f.message, base));
            out.finding(f);
            None
        }
    }
}

/// A JSON finding's message says offsets within the JSON; say them within the message.
fn shift_offsets(m: &str, base: usize) -> String {
    match m.rfind("at offset ") {
        Some(p) => {
            let digits_at = p + "at offset ".len();
            let n: String = m[digits_at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            match n.parse::<usize>() {
                Ok(v) => format!(
                    "{}{}{}",
                    &m[..digits_at],
                    v + base,
                    &m[digits_at + n.len()..]
                ),
                Err(_) => m.to_string(),
            }
        }
        None => m.to_string(),
    }
}

/// `{"_placeholder":true,"num":N}` objects get a value saying where their bytes are.
fn mark_placeholders(n: &mut Node) {
    let is = n.kind == Kind::Object
        && json::get(n, "_placeholder").and_then(|p| p.value.as_deref()) == Some("true");
    if is {
        let num = json::get(n, "num")
            .and_then(|p| p.value.clone())
            .unwrap_or_default();
        n.value = Some(format!(
            "binary attachment {num} (a following binary message)"
        ));
        return;
    }
    for c in &mut n.children {
        mark_placeholders(c);
    }
}

fn digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Digits to a number, saturating (an ack id of 40 digits is odd, not a crash).
fn parse_u64(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |v, &c| {
        v.saturating_mul(10).saturating_add(u64::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Choice, Decoder, PayloadSession};

    fn session() -> PayloadSession {
        PayloadSession::new(Choice::Auto, None)
    }

    #[test]
    fn event_with_namespace_and_ack() {
        let m = br#"42/chat,17["chat message",{"text":"hi"}]"#;
        let d = session().message(MessageKind::Text, m).unwrap();
        assert_eq!(d.decoder, Decoder::SocketIo);
        assert_eq!(d.summary, r#"EVENT "chat message" /chat ack 17"#);
        let sio = &d.tree.children[1];
        let field = |n: &str| sio.children.iter().find(|c| c.name == n).unwrap();
        assert_eq!(
            &m[field("namespace").span[0]..field("namespace").span[1]],
            b"/chat"
        );
        assert_eq!(&m[field("ack id").span[0]..field("ack id").span[1]], b"17");
        assert_eq!(
            &m[field("event").span[0]..field("event").span[1]],
            br#""chat message""#
        );
        let data = field("data");
        assert_eq!(
            data.children[1].children[0].value.as_deref(),
            Some("\"hi\"")
        );
        assert!(d.findings.is_empty());
    }

    #[test]
    fn open_ping_and_probe() {
        let mut s = session();
        let d = s
            .message(
                MessageKind::Text,
                br#"0{"sid":"abc","upgrades":[],"pingInterval":25000}"#,
            )
            .unwrap();
        assert_eq!(d.summary, "OPEN sid=abc");
        // Once settled, a bare "2" is a PING, not the JSON number 2.
        assert_eq!(s.message(MessageKind::Text, b"2").unwrap().summary, "PING");
        assert_eq!(
            s.message(MessageKind::Text, b"40").unwrap().summary,
            "CONNECT"
        );
        assert_eq!(
            session()
                .message(MessageKind::Text, b"3probe")
                .unwrap()
                .summary,
            "PONG probe"
        );
    }

    #[test]
    fn binary_attachments_join_their_event() {
        let mut s = session();
        let d = s
            .message(
                MessageKind::Text,
                br#"452-["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            )
            .unwrap();
        assert_eq!(d.summary, r#"BINARY_EVENT "upload" +2 attachment(s)"#);
        let data = d.tree.children[1]
            .children
            .iter()
            .find(|n| n.name == "data")
            .unwrap();
        assert_eq!(
            data.children[2].value.as_deref(),
            Some("binary attachment 1 (a following binary message)")
        );
        let first = s.message(MessageKind::Binary, &[1, 2, 3]).unwrap();
        assert_eq!(first.decoder, Decoder::SocketIo);
        assert_eq!(
            first.summary,
            r#"ATTACHMENT 1 of 2 for BINARY_EVENT "upload" +2 attachment(s)"#
        );
        let second = s.message(MessageKind::Binary, &[4]).unwrap();
        assert!(second.summary.starts_with("ATTACHMENT 2 of 2"));
        // Nothing is owed any more: the next binary message is plain data.
        let third = s.message(MessageKind::Binary, &[5]).unwrap();
        assert!(third.summary.starts_with("binary MESSAGE"));
    }

    #[test]
    fn engine_io_v3_attachments_lose_their_type_byte() {
        // Socket.IO 2 (Engine.IO v3): OPEN without maxPayload; the attachment is 04 + bytes.
        let mut server = session();
        server.message(
            MessageKind::Text,
            br#"0{"sid":"x","upgrades":[],"pingInterval":25000,"pingTimeout":5000}"#,
        );
        let mut client = session();
        client.learn(&server);
        client.message(
            MessageKind::Text,
            br#"451-["up",{"_placeholder":true,"num":0}]"#,
        );
        let d = client
            .message(MessageKind::Binary, &[4, 0xaa, 0xbb])
            .unwrap();
        assert!(d.summary.starts_with("ATTACHMENT 1 of 1"), "{}", d.summary);
        let data = d.tree.children.iter().find(|c| c.name == "data").unwrap();
        assert_eq!((data.value.as_deref(), data.span), (Some("aabb"), [1, 3]));
    }

    #[test]
    fn missing_attachment_is_a_finding() {
        let mut s = session();
        s.message(
            MessageKind::Text,
            br#"451-["up",{"_placeholder":true,"num":0}]"#,
        );
        let d = s.message(MessageKind::Text, b"2").unwrap();
        assert_eq!(d.findings[0].code, Code::Sequence);
    }

    #[test]
    fn bad_json_position_is_in_the_message() {
        let d = session()
            .message(MessageKind::Text, br#"42["a",]"#)
            .unwrap();
        assert_eq!(d.findings[0].span, [7, 8]);
        assert!(
            d.findings[0].message.contains("offset 7"),
            "{}",
            d.findings[0].message
        );
    }
}
