//! Which decoder fits a message: the negotiated subprotocol first (the server said what the
//! messages are), then what the connection already settled on, then the message's content.

use crate::tree::Node;
use crate::{compress, json, mqtt, stomp, Decoder, MessageKind, Out};

/// Subprotocol names (Sec-WebSocket-Protocol) and the decoder each one means.
pub const SUBPROTOCOLS: &[(&str, Decoder)] = &[
    ("mqtt", Decoder::Mqtt),
    ("mqttv3.1", Decoder::Mqtt),
    ("v10.stomp", Decoder::Stomp),
    ("v11.stomp", Decoder::Stomp),
    ("v12.stomp", Decoder::Stomp),
    ("stomp", Decoder::Stomp),
    ("wamp.2.json", Decoder::Wamp),
    ("wamp.2.msgpack", Decoder::Wamp),
    ("wamp.2.cbor", Decoder::Wamp),
    ("wamp.2.json.batched", Decoder::Wamp),
    ("graphql-transport-ws", Decoder::GraphQl),
    ("graphql-ws", Decoder::GraphQl),
    ("actioncable-v1-json", Decoder::ActionCable),
    ("actioncable-unsupported", Decoder::ActionCable),
];

/// The decoder a subprotocol names (case-insensitive), if any.
pub fn by_subprotocol(p: &str) -> Option<Decoder> {
    let p = p.trim();
    SUBPROTOCOLS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(p))
        .map(|(_, d)| *d)
}

/// Whether a decoder, once detected, is kept for the rest of the connection (a protocol, as
/// opposed to a data format that may change from message to message).
pub fn sticky(d: Decoder) -> bool {
    matches!(
        d,
        Decoder::SocketIo
            | Decoder::Mqtt
            | Decoder::Stomp
            | Decoder::SockJs
            | Decoder::SignalR
            | Decoder::GraphQl
            | Decoder::ActionCable
            | Decoder::Wamp
    )
}

/// The decoder for a message: by subprotocol, then `settled` when it fits the message's kind,
/// then by content; `None` when nothing fits.
pub fn detect(
    subprotocol: Option<&str>,
    settled: Option<Decoder>,
    kind: MessageKind,
    payload: &[u8],
) -> Option<Decoder> {
    detect_tree(subprotocol, settled, kind, payload).0
}

/// [`detect`], with the JSON tree when detection parsed the message whole to decide: the JSON
/// decoder takes it instead of parsing the message again.
pub(crate) fn detect_tree(
    subprotocol: Option<&str>,
    settled: Option<Decoder>,
    kind: MessageKind,
    payload: &[u8],
) -> (Option<Decoder>, Option<Node>) {
    if let Some(d) = subprotocol.and_then(by_subprotocol) {
        return (Some(d), None);
    }
    if let Some(d) = settled {
        let fits = match d {
            // SignalR's MessagePack protocol is binary after a JSON handshake.
            Decoder::SocketIo | Decoder::Wamp | Decoder::SignalR => true,
            Decoder::Mqtt => kind == MessageKind::Binary,
            _ => kind == MessageKind::Text,
        };
        if fits {
            return (Some(d), None);
        }
    }
    by_content_tree(kind, payload)
}

/// The decoder a message's bytes look like.
pub fn by_content(kind: MessageKind, b: &[u8]) -> Option<Decoder> {
    by_content_tree(kind, b).0
}

/// [`by_content`], with the JSON tree of a text message it parsed to decide.
fn by_content_tree(kind: MessageKind, b: &[u8]) -> (Option<Decoder>, Option<Node>) {
    if b.is_empty() {
        return (None, None);
    }
    // Compressed bytes are not UTF-8, so only a binary message can be one.
    if let Some(f) = compress::sniff(b).filter(|_| kind == MessageKind::Binary) {
        let d = match f {
            compress::Format::Gzip => Decoder::Gzip,
            compress::Format::Zlib => Decoder::Zlib,
            compress::Format::Zstd => Decoder::Zstd,
        };
        return (Some(d), None);
    }
    match kind {
        MessageKind::Text => text(b),
        MessageKind::Binary => (binary(b), None),
    }
}

fn text(b: &[u8]) -> (Option<Decoder>, Option<Node>) {
    if stomp::looks_like(b) {
        return (Some(Decoder::Stomp), None);
    }
    if matches!(b, b"o" | b"h")
        || b.starts_with(b"a[")
        || b.starts_with(b"c[")
        || b.starts_with(b"m\"")
    {
        return (Some(Decoder::SockJs), None);
    }
    if b.last() == Some(&0x1e) && b[..b.len() - 1].split(|&c| c == 0x1e).all(json::is_json) {
        return (Some(Decoder::SignalR), None);
    }
    // Parsed once, for both questions: whether it is JSON, and which flavour.
    if let Some(Ok(root)) = json::could_be_json(b).then(|| json::parse(b, "")) {
        return (Some(json_flavour(&root)), Some(root));
    }
    if matches!(b[0], b'0'..=b'6') {
        return (Some(Decoder::SocketIo), None);
    }
    (None, None)
}

/// Which JSON-based protocol a parsed JSON message belongs to, by its shape.
fn json_flavour(root: &crate::tree::Node) -> Decoder {
    const GRAPHQL: &[&str] = &[
        "connection_init",
        "connection_ack",
        "subscribe",
        "next",
        "complete",
        "start",
        "data",
        "ka",
        "stop",
        "connection_error",
        "connection_terminate",
    ];
    const CABLE: &[&str] = &[
        "welcome",
        "confirm_subscription",
        "reject_subscription",
        "disconnect",
    ];
    let ty = json::get(root, "type").and_then(json::string_of);
    let has = |k: &str| json::get(root, k).is_some();
    match ty.as_deref() {
        Some(t)
            if GRAPHQL.contains(&t)
                && (has("id") || has("payload") || t.starts_with("connection")) =>
        {
            Decoder::GraphQl
        }
        Some(t) if CABLE.contains(&t) => Decoder::ActionCable,
        Some("ping") if has("message") => Decoder::ActionCable,
        _ if has("command") && has("identifier") => Decoder::ActionCable,
        _ if has("identifier") && has("message") => Decoder::ActionCable,
        _ => Decoder::Json,
    }
}

fn binary(b: &[u8]) -> Option<Decoder> {
    if mqtt::looks_like_connect(b) {
        return Some(Decoder::Mqtt);
    }
    if core::str::from_utf8(b).is_ok() && json::is_json(b) {
        return Some(Decoder::Json);
    }
    if b.starts_with(&[0xd9, 0xd9, 0xf7]) {
        return Some(Decoder::Cbor);
    }
    let clean = |d: Decoder| {
        let mut out = Out::default();
        crate::decode_with(d, b, 0, &mut out);
        out.findings.is_empty()
    };
    let container = matches!(b[0], 0x80..=0x9f | 0xa0..=0xbf | 0xdc..=0xdf);
    if container && matches!(b[0], 0x80..=0x9f | 0xdc..=0xdf) && clean(Decoder::MsgPack) {
        return Some(Decoder::MsgPack);
    }
    if container && clean(Decoder::Cbor) {
        return Some(Decoder::Cbor);
    }
    if crate::protobuf::plausible(b) {
        return Some(Decoder::Protobuf);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageKind::*;

    #[test]
    fn subprotocol_first() {
        assert_eq!(
            detect(Some("v12.stomp"), None, Text, b"{}"),
            Some(Decoder::Stomp)
        );
        assert_eq!(detect(Some("MQTT"), None, Binary, b""), Some(Decoder::Mqtt));
        assert_eq!(detect(Some("chat"), None, Text, b"{}"), Some(Decoder::Json));
    }

    #[test]
    fn by_content_text() {
        assert_eq!(
            by_content(Text, br#"42["chat message","hi"]"#),
            Some(Decoder::SocketIo)
        );
        assert_eq!(
            by_content(Text, br#"0{"sid":"x"}"#),
            Some(Decoder::SocketIo)
        );
        assert_eq!(by_content(Text, b"2probe"), Some(Decoder::SocketIo));
        assert_eq!(
            by_content(Text, b"CONNECT\naccept-version:1.2\n\n\0"),
            Some(Decoder::Stomp)
        );
        assert_eq!(by_content(Text, b"a[\"x\"]"), Some(Decoder::SockJs));
        assert_eq!(
            by_content(Text, b"{\"protocol\":\"json\",\"version\":1}\x1e"),
            Some(Decoder::SignalR)
        );
        assert_eq!(
            by_content(Text, br#"{"type":"connection_init","payload":{}}"#),
            Some(Decoder::GraphQl)
        );
        assert_eq!(
            by_content(Text, br#"{"type":"welcome"}"#),
            Some(Decoder::ActionCable)
        );
        assert_eq!(by_content(Text, br#"{"a":1}"#), Some(Decoder::Json));
        assert_eq!(by_content(Text, b"hello"), None);
    }

    #[test]
    fn by_content_binary() {
        let mut gz = vec![0x1f, 0x8b, 8, 0];
        gz.resize(18, 0);
        assert_eq!(by_content(Binary, &gz), Some(Decoder::Gzip));
        // {"a": 1} in MessagePack and in CBOR.
        assert_eq!(
            by_content(Binary, &[0x81, 0xa1, b'a', 0x01]),
            Some(Decoder::MsgPack)
        );
        assert_eq!(
            by_content(Binary, &[0xa1, 0x61, b'a', 0x01]),
            Some(Decoder::Cbor)
        );
        // field 1 = 150 (the Protobuf docs' example).
        assert_eq!(
            by_content(Binary, &[0x08, 0x96, 0x01]),
            Some(Decoder::Protobuf)
        );
    }
}
