//! What the application inside WebSocket messages says: decoders from a message's payload to a
//! tree of named, typed values, each with its byte span in the payload, plus findings (with
//! positions) where the bytes do not follow the format. Sans-IO: payloads in, trees out.
//!
//! Entry points: [`PayloadSession`] takes one direction's messages in order (some protocols
//! need the earlier messages: Socket.IO binary attachments, MQTT packets split across
//! messages); [`decode`] decodes one message on its own. Which decoder runs is a [`Choice`]:
//! detected ([`Choice::Auto`]: by the negotiated subprotocol, then by content), forced, or none.
//!
//! No decoder panics, allocates from a declared length, or takes more than linear time: bad
//! bytes give a [`Finding`] naming the offset, and decoding stops there.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cbor;
pub mod compress;
pub mod detect;
pub mod json;
pub mod jsonproto;
pub mod mqtt;
pub mod msgpack;
pub mod protobuf;
pub mod socketio;
pub mod stomp;
pub mod tree;

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

pub use prost_reflect::MessageDescriptor;
pub use tree::{Code, Finding, Kind, Node};

/// How deep decoders call each other (a compressed body decoded again, a Protobuf field read as
/// a nested message): beyond this, values stay bytes.
pub const MAX_NESTING: usize = 8;

macro_rules! decoders {
    ($($(#[$doc:meta])* $variant:ident = $name:literal),* $(,)?) => {
        /// A payload decoder, by its name (`json`, `socketio`, ...): how it serialises, parses
        /// (`FromStr`) and shows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Decoder {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl Decoder {
            /// Every decoder, in the order of the table.
            pub const ALL: &'static [Decoder] = &[$(Decoder::$variant),*];

            /// Its name, as the CLI and JSON spell it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Decoder::$variant => $name,)*
                }
            }
        }
    };
}

decoders! {
    /// JSON (RFC 8259).
    Json = "json",
    /// Engine.IO v3/v4 packets carrying Socket.IO v2-v5 packets.
    SocketIo = "socketio",
    /// SockJS framing (`o`, `h`, `a[...]`, `m"..."`, `c[code,"reason"]`).
    SockJs = "sockjs",
    /// ASP.NET SignalR JSON hub protocol (records ended by 0x1E).
    SignalR = "signalr",
    /// STOMP 1.0-1.2 frames.
    Stomp = "stomp",
    /// MQTT 3.1.1 and 5 control packets.
    Mqtt = "mqtt",
    /// WAMP v2 messages (JSON, MessagePack or CBOR arrays).
    Wamp = "wamp",
    /// GraphQL over WebSocket (`graphql-transport-ws` and the older `graphql-ws`).
    GraphQl = "graphql",
    /// Rails Action Cable (`actioncable-v1-json`).
    ActionCable = "actioncable",
    /// MessagePack.
    MsgPack = "msgpack",
    /// CBOR (RFC 8949), tags named.
    Cbor = "cbor",
    /// Protobuf without a schema: field numbers and wire types, nested messages guessed.
    Protobuf = "protobuf",
    /// A gzip member (RFC 1952), inflated and decoded again.
    Gzip = "gzip",
    /// A zlib stream (RFC 1950), inflated and decoded again.
    Zlib = "zlib",
    /// A Zstandard frame (RFC 8878), decompressed and decoded again.
    Zstd = "zstd",
}

impl fmt::Display for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Decoder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Decoder::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Decoder::ALL.iter().map(|d| d.as_str()).collect();
                format!("unknown decoder {s:?} (one of: {})", names.join(", "))
            })
    }
}

/// Which decoder runs on each message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Choice {
    /// Detected: by the negotiated subprotocol, then by content.
    #[default]
    Auto,
    /// None: messages are not decoded.
    None,
    /// This one, whatever the message looks like.
    Force(Decoder),
}

impl FromStr for Choice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Choice::Auto),
            "none" => Ok(Choice::None),
            d => d.parse().map(Choice::Force),
        }
    }
}

/// A message's payload decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decoded {
    /// The decoder that read it.
    pub decoder: Decoder,
    /// One line saying what the message is (`EVENT "chat message"`, `PUBLISH sensors/t1`).
    pub summary: String,
    /// The tree of values; the root spans what the decoder read.
    pub tree: Node,
    /// What did not follow the format, with positions.
    pub findings: Vec<Finding>,
}

/// What a message is: text (opcode 1) or binary (opcode 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// A text message.
    Text,
    /// A binary message.
    Binary,
}

/// Decodes one message on its own (no earlier messages; stateless protocols, or a first look).
pub fn decode(
    choice: Choice,
    subprotocol: Option<&str>,
    kind: MessageKind,
    payload: &[u8],
) -> Option<Decoded> {
    PayloadSession::new(choice, subprotocol).message(kind, payload)
}

/// One direction of a connection: its messages decoded in order, keeping what the protocols
/// need across messages (Socket.IO attachments owed to an event, the start of an MQTT packet
/// that continues in the next message) and the decoder detection settled on.
///
/// Call [`PayloadSession::message`] once per data message, in order. A pair of sessions (the
/// two directions) share what each found with [`PayloadSession::learn`]. A clone is a
/// checkpoint: decoding the same later messages from it gives the same results.
#[derive(Clone, Debug, Default)]
pub struct PayloadSession {
    choice: Choice,
    subprotocol: Option<String>,
    /// What content detection settled on for this connection (sticky).
    settled: Option<Decoder>,
    socketio: socketio::State,
    mqtt: mqtt::State,
    /// The user's Protobuf message type, from their `.proto` ([`protobuf::Schema`]).
    proto: Option<MessageDescriptor>,
}

impl PayloadSession {
    /// A session for one direction, with the subprotocol the server selected, if any.
    pub fn new(choice: Choice, subprotocol: Option<&str>) -> Self {
        PayloadSession {
            choice,
            subprotocol: subprotocol.map(str::to_string),
            ..Default::default()
        }
    }

    /// Reads Protobuf as this message type (from the user's `.proto`): with [`Choice::Auto`],
    /// binary messages that are not a compressed body or a detected protocol are read as it.
    pub fn with_proto(mut self, message: MessageDescriptor) -> Self {
        self.proto = Some(message);
        self
    }

    /// Whether `payload` is the user's Protobuf type without a finding.
    fn reads_as_proto(&self, payload: &[u8]) -> bool {
        let mut out = Out::default();
        protobuf::decode_as(payload, self.proto.as_ref(), 0, &mut out);
        out.findings.is_empty()
    }

    /// Bytes the session holds across messages (an MQTT packet's start, a Socket.IO event's
    /// summary): what a checkpoint (a clone) costs beyond its fixed size.
    pub fn held(&self) -> usize {
        self.mqtt.held() + self.socketio.held()
    }

    /// What detection settled on so far (to share with the other direction).
    pub fn settled(&self) -> Option<Decoder> {
        self.settled
    }

    /// Learns what the other direction of the connection found: the decoder detection settled
    /// on (a Socket.IO server's OPEN settles the client's side too) and the MQTT protocol level
    /// (the client's CONNECT says whether the server's packets carry MQTT 5 properties).
    pub fn learn(&mut self, other: &PayloadSession) {
        if self.settled.is_none() {
            self.settled = other.settled;
        }
        if self.mqtt.version.is_none() {
            self.mqtt.version = other.mqtt.version;
        }
        if self.socketio.engine_v3.is_none() {
            self.socketio.engine_v3 = other.socketio.engine_v3;
        }
    }

    /// Decodes the next message of this direction; `None` when no decoder applies (or the
    /// choice is [`Choice::None`]).
    pub fn message(&mut self, kind: MessageKind, payload: &[u8]) -> Option<Decoded> {
        let mut raw = false;
        // The JSON tree detection parsed to decide, if it did.
        let mut parsed = None;
        let d = match self.choice {
            Choice::None => return None,
            Choice::Force(d) => d,
            Choice::Auto => {
                let found;
                (found, parsed) =
                    detect::detect_tree(self.subprotocol.as_deref(), self.settled, kind, payload);
                // With the user's .proto, binary messages are theirs unless they are a
                // compressed body or a protocol detection is sure of.
                let framing = |d| {
                    matches!(
                        d,
                        Decoder::Gzip
                            | Decoder::Zlib
                            | Decoder::Zstd
                            | Decoder::Mqtt
                            | Decoder::SocketIo
                    )
                };
                let theirs = self.proto.is_some() && kind == MessageKind::Binary;
                let d = match found {
                    Some(d) if !theirs || framing(d) => d,
                    // Detection saw another format (or Protobuf of another type): the user's
                    // type only if it reads cleanly.
                    Some(d) if !self.reads_as_proto(payload) => {
                        raw = true;
                        d
                    }
                    _ if theirs => Decoder::Protobuf,
                    _ => return None,
                };
                if self.settled.is_none() && detect::sticky(d) {
                    self.settled = Some(d);
                }
                d
            }
        };
        let mut out = Out::default();
        let summary = match d {
            Decoder::SocketIo => self.socketio.message(kind, payload, &mut out),
            Decoder::Mqtt => self.mqtt.message(payload, &mut out),
            Decoder::Protobuf => {
                let schema = self.proto.as_ref().filter(|_| !raw);
                protobuf::decode_as(payload, schema, 0, &mut out)
            }
            Decoder::Wamp => {
                let serializer = match self.subprotocol.as_deref() {
                    Some(p) if p.starts_with("wamp.2.cbor") => Some(Decoder::Cbor),
                    Some(p) if p.starts_with("wamp.2.msgpack") => Some(Decoder::MsgPack),
                    Some(p) if p.starts_with("wamp.2.json") => Some(Decoder::Json),
                    _ => None,
                };
                jsonproto::wamp(payload, serializer, 0, &mut out)
            }
            Decoder::Json => match parsed {
                Some(root) => jsonproto::json_of(root, &mut out),
                None => jsonproto::json(payload, &mut out),
            },
            _ => decode_with(d, payload, 0, &mut out),
        };
        let findings = core::mem::take(&mut out.findings);
        let tree = out.root(d, payload.len());
        Some(Decoded {
            decoder: d,
            summary,
            tree,
            findings,
        })
    }
}

/// What a decoder builds: the top-level nodes and the findings.
#[derive(Debug, Default)]
pub struct Out {
    /// Top-level nodes, in order.
    pub nodes: Vec<Node>,
    /// Findings, in order.
    pub findings: Vec<Finding>,
}

impl Out {
    /// Adds a finding.
    pub fn finding(&mut self, f: Finding) {
        self.findings.push(f);
    }

    /// The root: the one top-level node, or a node over them all.
    fn root(mut self, d: Decoder, len: usize) -> Node {
        if self.nodes.len() == 1 && self.nodes[0].span[1] <= len {
            return self
                .nodes
                .pop()
                .unwrap_or_else(|| Node::leaf("", Kind::Null, None, [0, 0]));
        }
        Node::parent(d.as_str(), Kind::Packet, [0, len], self.nodes)
    }
}

/// A body inside a packet (an MQTT payload, a STOMP body) decoded by content when it is a data
/// format (JSON; binary: MessagePack, CBOR, Protobuf, compressed): the decoder, its nodes and
/// findings, spans moved to `base`.
pub(crate) fn nested(
    bytes: &[u8],
    base: usize,
    nesting: usize,
) -> Option<(Decoder, Vec<Node>, Vec<Finding>)> {
    if bytes.is_empty() || nesting >= MAX_NESTING {
        return None;
    }
    let d = if core::str::from_utf8(bytes).is_ok() {
        json::is_json(bytes).then_some(Decoder::Json)?
    } else {
        detect::by_content(MessageKind::Binary, bytes).filter(|d| {
            matches!(
                d,
                Decoder::Json
                    | Decoder::MsgPack
                    | Decoder::Cbor
                    | Decoder::Protobuf
                    | Decoder::Gzip
                    | Decoder::Zlib
                    | Decoder::Zstd
            )
        })?
    };
    let mut out = Out::default();
    decode_with(d, bytes, nesting + 1, &mut out);
    for n in &mut out.nodes {
        n.shift(base);
    }
    for f in &mut out.findings {
        f.span = [f.span[0] + base, f.span[1] + base];
    }
    Some((d, out.nodes, out.findings))
}

/// Runs a stateless decoder on `bytes`; `nesting` counts decoders above this one. Returns the
/// summary line; nodes and findings go to `out`.
pub fn decode_with(d: Decoder, bytes: &[u8], nesting: usize, out: &mut Out) -> String {
    match d {
        Decoder::Json => jsonproto::json(bytes, out),
        Decoder::SockJs => jsonproto::sockjs(bytes, out),
        Decoder::SignalR => jsonproto::signalr(bytes, out),
        Decoder::Wamp => jsonproto::wamp(bytes, None, nesting, out),
        Decoder::GraphQl => jsonproto::graphql(bytes, out),
        Decoder::ActionCable => jsonproto::actioncable(bytes, out),
        Decoder::Stomp => stomp::decode(bytes, out),
        Decoder::MsgPack => msgpack::decode(bytes, out),
        Decoder::Cbor => cbor::decode(bytes, out),
        Decoder::Protobuf => protobuf::decode(bytes, nesting, out),
        Decoder::Gzip => compress::decode(compress::Format::Gzip, bytes, nesting, out),
        Decoder::Zlib => compress::decode(compress::Format::Zlib, bytes, nesting, out),
        Decoder::Zstd => compress::decode(compress::Format::Zstd, bytes, nesting, out),
        Decoder::SocketIo => socketio::State::default().message(MessageKind::Text, bytes, out),
        Decoder::Mqtt => mqtt::State::default().message(bytes, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for d in Decoder::ALL {
            assert_eq!(d.as_str().parse::<Decoder>().unwrap(), *d);
            assert_eq!(serde_json::to_value(d).unwrap(), d.as_str());
        }
        assert!("yaml".parse::<Decoder>().unwrap_err().contains("socketio"));
    }

    #[test]
    fn a_json_message_detected_decodes_as_the_json_decoder_reads_it() {
        // Detection's parse is what the decoder shows: the same tree, spans, names and label.
        for text in [
            &br#"{"type":"chat","text":"hi","to":[1,2.5,null,true]}"#[..],
            br#"  [ {"a": "\u00e9"}, "x" ]  "#,
            br#""just a string""#,
            b"12.5e3",
        ] {
            let auto = PayloadSession::new(Choice::Auto, None).message(MessageKind::Text, text);
            let forced = PayloadSession::new(Choice::Force(Decoder::Json), None)
                .message(MessageKind::Text, text);
            assert_eq!(auto.as_ref().map(|d| d.decoder), Some(Decoder::Json));
            assert_eq!(auto, forced, "{}", String::from_utf8_lossy(text));
            assert_eq!(auto.unwrap().tree.name, "json");
        }
    }

    #[test]
    fn a_clone_is_a_checkpoint() {
        // An MQTT PUBLISH split across two messages: a clone taken between them holds the
        // first part and reads the packet whole from the second, as the original does.
        let publish = [0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'];
        let mut s = PayloadSession::new(Choice::Auto, Some("mqtt"));
        s.message(MessageKind::Binary, &publish[..4]);
        assert_eq!(s.held(), 4);
        let mut copy = s.clone();
        let a = s.message(MessageKind::Binary, &publish[4..]).unwrap();
        let b = copy.message(MessageKind::Binary, &publish[4..]).unwrap();
        assert_eq!(a, b);
        assert!(a.summary.starts_with("PUBLISH a/b"), "{}", a.summary);
        assert_eq!(s.held(), 0);
        assert_eq!("none".parse::<Choice>().unwrap(), Choice::None);
        for k in [Kind::Packet, Kind::Inflated, Kind::Int, Kind::Null] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
