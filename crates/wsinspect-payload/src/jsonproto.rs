//! JSON itself and the protocols that are JSON with a convention on top: SockJS framing,
//! SignalR's JSON hub protocol, WAMP v2 (JSON, MessagePack or CBOR arrays), GraphQL over
//! WebSocket (`graphql-transport-ws` and `graphql-ws`), Action Cable. Each reads the JSON with
//! spans ([`crate::json`]) and names what the convention says the values are.

use crate::json::{self, get, string_of};
use crate::tree::{clip, Code, Finding, Kind, Node};
use crate::{Decoder, Out};

/// JSON at `base` in the message, pushed; a syntax error is a finding with the message's offset.
fn json_at(b: &[u8], base: usize, name: &str, out: &mut Out) -> Option<Node> {
    match json::parse(b, name) {
        Ok(mut n) => {
            n.shift(base);
            Some(n)
        }
        Err(mut f) => {
            f.span = [f.span[0] + base, f.span[1] + base];
            if base > 0 {
                f.message = format!("{} (in the JSON from offset {base})", f.message);
            }
            out.finding(f);
            None
        }
    }
}

/// The members that name what a JSON message is, by the conventions of hand-made protocols
/// (the tutorials' `{"type": "LOGIN", ...}`), in the order they are looked for.
const KIND_KEYS: &[&str] = &["type", "event", "action", "op", "cmd", "command", "method"];

/// What names an object's message kind: the first [`KIND_KEYS`] member that is a short string,
/// as written (JSON-quoted, so escapes stay visible).
fn kind_of(n: &Node) -> Option<(&'static str, &str)> {
    KIND_KEYS.iter().find_map(|k| {
        let m = get(n, k).filter(|m| m.kind == Kind::String)?;
        let v = m.value.as_deref()?;
        (v.len() > 2 && v.len() <= 42).then_some((*k, v))
    })
}

/// A one-line picture of a JSON value.
fn describe(n: &Node) -> String {
    match n.kind {
        Kind::Object => match kind_of(n) {
            Some((key, v)) => format!("{key} {v} (object, {} keys)", n.children.len()),
            None => format!("object ({} keys)", n.children.len()),
        },
        Kind::Array => format!("array ({} items)", n.children.len()),
        _ => clip(n.value.as_deref().unwrap_or_default(), 60),
    }
}

/// Plain JSON.
pub fn json(b: &[u8], out: &mut Out) -> String {
    match json_at(b, 0, "json", out) {
        Some(n) => json_of(n, out),
        None => "JSON syntax error".into(),
    }
}

/// [`json`] of a message already parsed (by detection).
pub(crate) fn json_of(mut n: Node, out: &mut Out) -> String {
    n.name = "json".into();
    let s = describe(&n);
    out.nodes.push(n);
    s
}

/// SockJS: from the server `o` open, `h` heartbeat, `a[...]` messages, `m"..."` one message,
/// `c[code,"reason"]`; from the client a bare JSON array of the messages sent.
pub fn sockjs(b: &[u8], out: &mut Out) -> String {
    if b.first() == Some(&b'[') {
        let Some(n) = json_at(b, 0, "sent", out) else {
            return "SockJS JSON error".into();
        };
        let first = n.children.first().and_then(string_of).unwrap_or_default();
        let summary = format!("send ({}) {}", n.children.len(), clip(&first, 60));
        if n.kind != Kind::Array || n.children.iter().any(|c| c.kind != Kind::String) {
            out.finding(Finding::new(
                Code::BadValue,
                "a SockJS client frame is an array of strings",
                n.span,
            ));
        }
        out.nodes.push(n);
        return summary;
    }
    let Some(&t) = b.first() else {
        out.finding(Finding::new(
            Code::Truncated,
            "an empty SockJS frame",
            [0, 0],
        ));
        return "empty".into();
    };
    let (name, json_expected) = match t {
        b'o' => ("open", false),
        b'h' => ("heartbeat", false),
        b'a' => ("messages", true),
        b'm' => ("message", true),
        b'c' => ("close", true),
        _ => {
            out.finding(Finding::new(
                Code::Unknown,
                format!("unknown SockJS frame type {:?} at offset 0", t as char),
                [0, 1],
            ));
            return "not SockJS".into();
        }
    };
    let mut kids = vec![Node::value(
        "type",
        Kind::Field,
        format!("{} {name}", t as char),
        [0, 1],
    )];
    let mut summary = name.to_string();
    if json_expected {
        if let Some(n) = json_at(&b[1..], 1, "data", out) {
            match t {
                b'a' => {
                    let first = n.children.first().and_then(string_of).unwrap_or_default();
                    summary = format!("messages ({}) {}", n.children.len(), clip(&first, 60));
                }
                b'c' => {
                    summary = format!(
                        "close {}",
                        n.children
                            .iter()
                            .filter_map(|c| c.value.clone())
                            .collect::<Vec<_>>()
                            .join(" ")
                    )
                }
                _ => {}
            }
            kids.push(n);
        }
    } else if b.len() > 1 {
        out.finding(Finding::new(
            Code::Trailing,
            format!("bytes after the SockJS {name} frame"),
            [1, b.len()],
        ));
    }
    out.nodes.push(Node::parent(
        format!("sockjs {name}"),
        Kind::Packet,
        [0, b.len()],
        kids,
    ));
    summary
}

const SIGNALR_TYPES: [&str; 10] = [
    "handshake",
    "Invocation",
    "StreamItem",
    "Completion",
    "StreamInvocation",
    "CancelInvocation",
    "Ping",
    "Close",
    "Ack",
    "Sequence",
];

/// SignalR's JSON hub protocol: records ended by the record separator 0x1E.
pub fn signalr(b: &[u8], out: &mut Out) -> String {
    if b.last() != Some(&0x1e) && core::str::from_utf8(b).is_err() {
        return signalr_msgpack(b, out);
    }
    let mut pos = 0;
    let mut summaries = Vec::new();
    while pos < b.len() {
        let Some(rel) = b[pos..].iter().position(|&c| c == 0x1e) else {
            out.finding(Finding::new(
                Code::Truncated,
                format!("a SignalR record from offset {pos} without its 0x1E separator"),
                [pos, b.len()],
            ));
            break;
        };
        let end = pos + rel;
        if let Some(mut n) = json_at(&b[pos..end], pos, "record", out) {
            let ty = get(&n, "type")
                .and_then(|t| t.value.as_deref())
                .and_then(|v| v.parse::<usize>().ok());
            let name = match ty {
                Some(t) => SIGNALR_TYPES.get(t).copied().unwrap_or("unknown type"),
                None if get(&n, "protocol").is_some() => "handshake request",
                None => "handshake response",
            };
            let target = get(&n, "target").and_then(string_of);
            summaries.push(match target {
                Some(t) => format!("{name} {t}"),
                None => name.to_string(),
            });
            n.name = name.to_string();
            n.span = [pos, end + 1];
            out.nodes.push(n);
        }
        pos = end + 1;
    }
    summaries.join("; ")
}

/// SignalR's MessagePack hub protocol: records, each a varint length (7 bits a byte, at most 5
/// bytes) then a MessagePack array `[type, headers, invocationId, target, arguments, ...]`.
fn signalr_msgpack(b: &[u8], out: &mut Out) -> String {
    let mut pos = 0;
    let mut summaries = Vec::new();
    while pos < b.len() {
        let mut len = 0usize;
        let mut n = 0;
        while let Some(&c) = b.get(pos + n).filter(|_| n < 5) {
            len |= usize::from(c & 0x7f) << (7 * n);
            n += 1;
            if c & 0x80 == 0 {
                break;
            }
        }
        let start = pos + n;
        if n == 0 || b[pos + n - 1] & 0x80 != 0 || len > b.len() - start {
            out.finding(Finding::new(
                Code::Truncated,
                format!("a SignalR MessagePack record at offset {pos}: its length prefix or body runs past the message"),
                [pos, b.len()],
            ));
            break;
        }
        let end = start + len;
        let mut inner = Out::default();
        crate::msgpack::decode(&b[start..end], &mut inner);
        let mut kids = vec![Node::value(
            "length",
            Kind::Int,
            len.to_string(),
            [pos, start],
        )];
        let mut name = "record";
        let mut target = None;
        for mut node in inner.nodes {
            node.shift(start);
            if node.kind == Kind::Array {
                let ty = node
                    .children
                    .first()
                    .and_then(|t| t.value.as_deref())
                    .and_then(|v| v.parse::<usize>().ok());
                name = ty
                    .and_then(|t| SIGNALR_TYPES.get(t))
                    .copied()
                    .unwrap_or("unknown type");
                // Invocation and StreamInvocation: [type, headers, id, target, args, ...].
                if matches!(ty, Some(1 | 4)) {
                    target = node.children.get(3).and_then(string_of);
                }
            }
            kids.push(node);
        }
        for mut f in inner.findings {
            f.span = [f.span[0] + start, f.span[1] + start];
            out.finding(f);
        }
        summaries.push(match target {
            Some(t) => format!("{name} {t}"),
            None => name.to_string(),
        });
        out.nodes
            .push(Node::parent(name, Kind::Packet, [pos, end], kids));
        pos = end;
    }
    summaries.join("; ")
}

const WAMP_CODES: &[(u64, &str)] = &[
    (1, "HELLO"),
    (2, "WELCOME"),
    (3, "ABORT"),
    (4, "CHALLENGE"),
    (5, "AUTHENTICATE"),
    (6, "GOODBYE"),
    (8, "ERROR"),
    (16, "PUBLISH"),
    (17, "PUBLISHED"),
    (32, "SUBSCRIBE"),
    (33, "SUBSCRIBED"),
    (34, "UNSUBSCRIBE"),
    (35, "UNSUBSCRIBED"),
    (36, "EVENT"),
    (48, "CALL"),
    (49, "CANCEL"),
    (50, "RESULT"),
    (64, "REGISTER"),
    (65, "REGISTERED"),
    (66, "UNREGISTER"),
    (67, "UNREGISTERED"),
    (68, "INVOCATION"),
    (69, "INTERRUPT"),
    (70, "YIELD"),
];

/// WAMP v2: `[code, ...]` in JSON, MessagePack or CBOR: `serializer` as the subprotocol
/// (`wamp.2.cbor`...) said, else JSON for text and by content for binary.
pub fn wamp(b: &[u8], serializer: Option<Decoder>, nesting: usize, out: &mut Out) -> String {
    let before = out.nodes.len();
    let inner = match (serializer, b.first()) {
        (Some(d), _) => d,
        (None, Some(b'[' | b' ' | b'\n')) => Decoder::Json,
        (None, _) => match crate::detect::by_content(crate::MessageKind::Binary, b) {
            Some(Decoder::Cbor) => Decoder::Cbor,
            _ => Decoder::MsgPack,
        },
    };
    crate::decode_with(inner, b, nesting + 1, out);
    let Some(root) = out.nodes.get_mut(before) else {
        return "not WAMP".into();
    };
    let code = root
        .children
        .first()
        .filter(|_| root.kind == Kind::Array)
        .and_then(|c| c.value.as_deref())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(name) = code
        .and_then(|c| WAMP_CODES.iter().find(|(k, _)| *k == c))
        .map(|(_, n)| *n)
    else {
        out.findings.push(Finding::new(
            Code::BadValue,
            "a WAMP message is an array whose first element is a known message code",
            root.span,
        ));
        return "not WAMP".into();
    };
    root.name = name.to_string();
    let uri = root.children.iter().skip(1).find_map(string_of);
    match uri {
        Some(u) => format!("{name} {u}"),
        None => name.to_string(),
    }
}

/// GraphQL over WebSocket: `{"type", "id", "payload"}` in both protocols.
pub fn graphql(b: &[u8], out: &mut Out) -> String {
    let Some(mut n) = json_at(b, 0, "message", out) else {
        return "JSON syntax error".into();
    };
    let ty = get(&n, "type").and_then(string_of);
    let Some(ty) = ty else {
        out.finding(Finding::new(
            Code::BadValue,
            "a GraphQL over WebSocket message needs a \"type\"",
            n.span,
        ));
        out.nodes.push(n);
        return "not GraphQL over WebSocket".into();
    };
    let mut summary = ty.clone();
    if let Some(id) = get(&n, "id").and_then(string_of) {
        summary.push_str(&format!(" id {id}"));
    }
    let op = get(&n, "payload")
        .and_then(|p| get(p, "operationName"))
        .and_then(string_of);
    if let Some(op) = op {
        summary.push_str(&format!(" {op}"));
    }
    n.name = ty;
    out.nodes.push(n);
    summary
}

/// Action Cable: `{"type": "welcome" | "ping" | "confirm_subscription" ...}` from the server,
/// `{"command", "identifier", "data"}` from the client, `{"identifier", "message"}` broadcasts.
pub fn actioncable(b: &[u8], out: &mut Out) -> String {
    let Some(mut n) = json_at(b, 0, "message", out) else {
        return "JSON syntax error".into();
    };
    let channel = get(&n, "identifier").and_then(string_of).and_then(|s| {
        json::parse(s.as_bytes(), "")
            .ok()
            .and_then(|i| get(&i, "channel").and_then(string_of))
    });
    let head = get(&n, "type")
        .or_else(|| get(&n, "command"))
        .and_then(string_of)
        .unwrap_or_else(|| {
            if get(&n, "message").is_some() {
                "message".into()
            } else {
                "unknown".into()
            }
        });
    // A client's "message" command carries its action inside the `data` string.
    let action = get(&n, "data").and_then(string_of).and_then(|s| {
        json::parse(s.as_bytes(), "")
            .ok()
            .and_then(|d| get(&d, "action").and_then(string_of))
    });
    n.name = head.clone();
    out.nodes.push(n);
    [Some(head), channel, action]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use crate::{decode, Choice, Decoder, MessageKind};

    fn auto(sub: Option<&str>, m: &[u8]) -> crate::Decoded {
        decode(Choice::Auto, sub, MessageKind::Text, m).unwrap()
    }

    #[test]
    fn graphql_subscribe() {
        let d = auto(Some("graphql-transport-ws"), br#"{"id":"1","type":"subscribe","payload":{"query":"subscription { greetings }","operationName":"G"}}"#);
        assert_eq!(d.decoder, Decoder::GraphQl);
        assert_eq!(d.summary, "subscribe id 1 G");
    }

    #[test]
    fn actioncable_subscribe() {
        let d = auto(
            None,
            br#"{"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\"}"}"#,
        );
        assert_eq!(d.decoder, Decoder::ActionCable);
        assert_eq!(d.summary, "subscribe ChatChannel");
    }

    #[test]
    fn signalr_records() {
        let m = b"{\"type\":1,\"target\":\"Send\",\"arguments\":[\"hi\"]}\x1e{\"type\":6}\x1e";
        let d = auto(None, m);
        assert_eq!(d.decoder, Decoder::SignalR);
        assert_eq!(d.summary, "Invocation Send; Ping");
        assert_eq!(d.tree.children[1].span, [46, 57]);
    }

    #[test]
    fn signalr_messagepack_records() {
        // Two records: Invocation [1, {}, "xyz", "method", [42, true]] and Ping [6].
        let inv = [
            0x95, 0x01, 0x80, 0xa3, b'x', b'y', b'z', 0xa6, b'm', b'e', b't', b'h', b'o', b'd',
            0x92, 0x2a, 0xc3,
        ];
        let mut m = vec![inv.len() as u8];
        m.extend(inv);
        m.extend([0x02, 0x91, 0x06]);
        let d = decode(
            Choice::Force(Decoder::SignalR),
            None,
            MessageKind::Binary,
            &m,
        )
        .unwrap();
        assert_eq!(d.summary, "Invocation method; Ping");
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        assert_eq!(d.tree.children[1].span, [18, 21]);
        let cut = decode(
            Choice::Force(Decoder::SignalR),
            None,
            MessageKind::Binary,
            &m[..10],
        )
        .unwrap();
        assert_eq!(cut.findings[0].code, crate::Code::Truncated);
    }

    #[test]
    fn sockjs_and_wamp() {
        assert_eq!(
            auto(None, br#"a["hello","x"]"#).summary,
            "messages (2) hello"
        );
        let d = auto(
            Some("wamp.2.json"),
            br#"[16,1,{},"com.myapp.topic1",["Hello"]]"#,
        );
        assert_eq!(d.summary, "PUBLISH com.myapp.topic1");
        // MessagePack WAMP: [32, 7, {}, "a.b"].
        let m = [0x94, 32, 7, 0x80, 0xa3, b'a', b'.', b'b'];
        let d = decode(
            Choice::Auto,
            Some("wamp.2.msgpack"),
            MessageKind::Binary,
            &m,
        )
        .unwrap();
        assert_eq!(d.summary, "SUBSCRIBE a.b");
    }

    #[test]
    fn json_error_position() {
        let d = decode(
            Choice::Force(Decoder::Json),
            None,
            MessageKind::Text,
            b"{\"a\" 1}",
        )
        .unwrap();
        assert_eq!(d.findings[0].span, [5, 6]);
    }

    #[test]
    fn an_object_is_named_by_its_type_member_as_hand_made_protocols_do() {
        let summary = |b: &[u8]| super::json(b, &mut crate::Out::default());
        assert_eq!(
            summary(br#"{"type":"LOGIN","name":"bob"}"#),
            r#"type "LOGIN" (object, 2 keys)"#
        );
        assert_eq!(
            summary(br#"{"message":"hi","event":"CHAT"}"#),
            r#"event "CHAT" (object, 2 keys)"#
        );
        // Not a short string: the plain picture.
        assert_eq!(summary(br#"{"type":7}"#), "object (1 keys)");
        assert_eq!(summary(br#"{"type":""}"#), "object (1 keys)");
        // Escapes stay visible.
        assert_eq!(
            summary(br#"{"type":"\u001b[31m"}"#),
            r#"type "\u001b[31m" (object, 1 keys)"#
        );
    }
}
