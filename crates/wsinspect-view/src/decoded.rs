//! The page's "Decoded" view: the selected frame's message read by `wsinspect-payload`, as rows
//! of a foldable tree, each knowing which bytes it lights (input offsets when the message is one
//! uncompressed frame, else a note placing the span in the joined or inflated message).

use serde::Serialize;
use wsinspect_core::inspect::Inspection;
use wsinspect_core::stream::StreamReport;
use wsinspect_core::wire::codes::OpCode;
use wsinspect_payload::{
    Choice, Decoded, Decoder, Kind, MessageDescriptor, MessageKind, Node, PayloadSession,
};

use crate::view::visible_text;

/// The decoder choices the page offers, as `(value, label)`: auto, none, then each decoder.
pub fn choices() -> Vec<(&'static str, &'static str)> {
    let mut v = vec![("auto", "auto (detect)"), ("none", "none")];
    v.extend(Decoder::ALL.iter().map(|d| (d.as_str(), d.as_str())));
    v
}

/// Where a node's bytes are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Lit {
    /// Offsets `[start, end)` in the inspection's input bytes (the hex view lights them).
    Input(usize, usize),
    /// Not in one frame's bytes: a note saying where (`bytes 3..9 of the joined message: "abc"`).
    Note(String),
}

/// One node of the tree, in display order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecodedRow {
    /// How deep it is (the root is 0).
    pub depth: usize,
    /// Its name, kind and value as text.
    pub name: String,
    /// `packet`, `field`, `string`, ...
    pub kind: &'static str,
    /// Its value, if it has a short one.
    pub value: Option<String>,
    /// Its span in the message payload (or the inflated bytes below an `inflated` node).
    pub span: [usize; 2],
    /// The index of the first row after its descendants (equal to its own index + 1 for a leaf).
    pub end: usize,
    /// What hovering it lights.
    pub lit: Lit,
}

/// A decoder's finding, placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecodedFinding {
    /// `syntax`, `truncated`, ...
    pub code: String,
    /// In words.
    pub message: String,
    /// Its span in the message payload.
    pub span: [usize; 2],
    /// What hovering it lights.
    pub lit: Lit,
}

/// The selected frame's message decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecodedView {
    /// What the message is (`message 2`, joined, inflated).
    pub title: String,
    /// The decoder that read it, or `None` when nothing applies (or the choice is none).
    pub decoder: Option<&'static str>,
    /// One line (`EVENT "chat message"`).
    pub summary: String,
    /// The tree's nodes, depth first.
    pub rows: Vec<DecodedRow>,
    /// The decoder's findings.
    pub findings: Vec<DecodedFinding>,
    /// The subprotocol the handshake selected, when there is one.
    pub subprotocol: Option<String>,
}

/// The message of frame `index` decoded with `choice`: every earlier message of the input goes
/// through the same [`PayloadSession`] first (Socket.IO attachments, MQTT packets that span
/// messages); the subprotocol comes from the handshake when the input has one. `None` when the
/// frame is not part of a data message (a control frame, an unfinished message).
pub fn decoded_view(i: &Inspection, index: usize, choice: Choice) -> Option<DecodedView> {
    decoded_view_with(i, index, choice, None)
}

/// [`decoded_view`] with the user's Protobuf message type (from their `.proto`), if any.
pub fn decoded_view_with(
    i: &Inspection,
    index: usize,
    choice: Choice,
    proto: Option<&MessageDescriptor>,
) -> Option<DecodedView> {
    let report = i.frames.as_ref()?;
    let frame = report.frames.get(index)?;
    let at = frame.message?;
    let subprotocol = i.handshake.as_ref().and_then(|h| h.subprotocol.clone());
    let mut session = PayloadSession::new(choice, subprotocol.as_deref());
    if let Some(m) = proto {
        session = session.with_proto(m.clone());
    }
    let mut decoded = None;
    for earlier in &report.messages[..=at] {
        let kind = if earlier.opcode == OpCode::TEXT {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        decoded = session.message(kind, &report.message_payload(earlier));
    }
    view_of(i, index, decoded)
}

/// The view of frame `index`'s message as `decoded` reads it (decoded elsewhere: a capture's
/// message by the worker, in its connection's context). `None` when the frame is not part of a
/// data message.
pub fn view_of(i: &Inspection, index: usize, decoded: Option<Decoded>) -> Option<DecodedView> {
    let report = i.frames.as_ref()?;
    // The message's position in this report (a capture's rebuilt frame keeps its connection-wide
    // message index in `m.index`, with only its own message in the report).
    let m = report.messages.get(report.frames.get(index)?.message?)?;
    let subprotocol = i.handshake.as_ref().and_then(|h| h.subprotocol.clone());
    let payload = report.message_payload(m);
    let place = Place::of(report, m);
    let title = match &place {
        Place::Input(_) => format!("message {}", m.index),
        Place::Other(what) => format!("message {} ({what})", m.index),
    };
    let mut view = DecodedView {
        title,
        decoder: None,
        summary: String::new(),
        rows: Vec::new(),
        findings: Vec::new(),
        subprotocol,
    };
    if let Some(Decoded {
        decoder,
        summary,
        tree,
        findings,
    }) = decoded
    {
        view.decoder = Some(decoder.as_str());
        view.summary = summary;
        flatten(&tree, 0, false, &place, &payload, &mut view.rows);
        view.findings = findings
            .into_iter()
            .map(|f| DecodedFinding {
                code: serde_json::to_value(f.code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                lit: place.lit(f.span, false, &payload),
                message: f.message,
                span: f.span,
            })
            .collect();
    }
    Some(view)
}

/// Where a message's payload bytes are.
enum Place {
    /// One uncompressed frame: its payload starts at this input offset.
    Input(usize),
    /// Joined from frames or inflated: not one run of input bytes.
    Other(&'static str),
}

impl Place {
    fn of(report: &StreamReport, m: &wsinspect_core::stream::MessageReport) -> Place {
        match m.frames.as_slice() {
            _ if m.compressed => Place::Other("inflated"),
            [one] => Place::Input(report.frames[*one].payload_range().start as usize),
            _ => Place::Other("joined"),
        }
    }

    /// What a span lights; `inflated` when it counts bytes of an inflated body inside the
    /// payload (below a node of kind `inflated`).
    fn lit(&self, [s, e]: [usize; 2], inflated: bool, payload: &[u8]) -> Lit {
        match self {
            _ if inflated => Lit::Note(format!(
                "bytes {s}..{e} of the body this message's payload inflates to"
            )),
            Place::Input(at) => Lit::Input(at + s, at + e),
            Place::Other(what) => {
                let bytes = payload.get(s..e.min(payload.len())).unwrap_or_default();
                let shown = &bytes[..bytes.len().min(64)];
                let more = if bytes.len() > shown.len() { "…" } else { "" };
                Lit::Note(format!(
                    "bytes {s}..{e} of the {what} message: \"{}{more}\"",
                    visible_text(shown)
                ))
            }
        }
    }
}

fn flatten(
    n: &Node,
    depth: usize,
    inflated: bool,
    place: &Place,
    payload: &[u8],
    out: &mut Vec<DecodedRow>,
) {
    let at = out.len();
    out.push(DecodedRow {
        depth,
        name: n.name.clone(),
        kind: n.kind.as_str(),
        value: n.value.clone(),
        span: n.span,
        end: at + 1,
        lit: place.lit(n.span, inflated, payload),
    });
    let below = inflated || n.kind == Kind::Inflated;
    for c in &n.children {
        flatten(c, depth + 1, below, place, payload, out);
    }
    out[at].end = out.len();
}

/// The rows shown when the rows in `folded` are folded: a folded row's descendants are left out.
pub fn visible_rows(rows: &[DecodedRow], folded: &[usize]) -> Vec<usize> {
    let mut shown = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        shown.push(i);
        i = if folded.contains(&i) {
            rows[i].end
        } else {
            i + 1
        };
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::inspect::{inspect, InspectOptions};

    fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0x80 | opcode, payload.len() as u8];
        f.extend_from_slice(payload);
        f
    }

    fn inspection(bytes: &[u8]) -> Inspection {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        inspect(hex.as_bytes(), &InspectOptions::default()).expect("inspects")
    }

    #[test]
    fn a_socketio_event_names_its_event_and_lights_its_input_bytes() {
        let payload = br#"42["chat message",{"user":"ann"}]"#;
        let i = inspection(&frame(1, payload));
        let v = decoded_view(&i, 0, Choice::Auto).expect("a message");
        assert_eq!(v.decoder, Some("socketio"));
        let event = v
            .rows
            .iter()
            .find(|r| r.name == "event")
            .expect("event row");
        assert_eq!(event.value.as_deref(), Some("\"chat message\""));
        // The frame's payload starts after its 2 header bytes.
        let Lit::Input(s, e) = event.lit else {
            panic!("{:?}", event.lit)
        };
        assert_eq!(&i.bytes[s..e], &payload[event.span[0]..event.span[1]]);
        assert_eq!(s, 2 + event.span[0]);
        assert!(decoded_view(&i, 0, Choice::None)
            .expect("a message")
            .rows
            .is_empty());
    }

    #[test]
    fn forced_mqtt_reads_a_publish_topic_and_fragments_light_a_note() {
        // PUBLISH QoS 0, topic "a/b", payload "hi".
        let publish = [0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'];
        let i = inspection(&frame(2, &publish));
        let v = decoded_view(&i, 0, Choice::Force(Decoder::Mqtt)).expect("a message");
        assert_eq!(v.decoder, Some("mqtt"));
        assert!(
            v.rows.iter().any(|r| r.value.as_deref() == Some("\"a/b\"")),
            "{:#?}",
            v.rows
        );
        // The same bytes in two fragments: spans lie in the joined message.
        let mut two = vec![0x02, 4];
        two.extend_from_slice(&publish[..4]);
        two.extend_from_slice(&[0x80, 5]);
        two.extend_from_slice(&publish[4..]);
        let i = inspection(&two);
        let v = decoded_view(&i, 1, Choice::Force(Decoder::Mqtt)).expect("a message");
        assert!(v.title.contains("joined"), "{}", v.title);
        assert!(v
            .rows
            .iter()
            .any(|r| matches!(&r.lit, Lit::Note(n) if n.contains("bytes 2..7 of the joined message: \"␀␃a/b\""))), "{:#?}", v.rows);
    }

    #[test]
    fn the_handshakes_subprotocol_picks_the_decoder() {
        // A 101 selecting mqtt, then a server frame holding a PUBLISH (content alone would not
        // say MQTT: only a CONNECT is detected by content).
        let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
        let publish = [0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'];
        let mut bytes = head.as_bytes().to_vec();
        bytes.extend_from_slice(&frame(2, &publish));
        let i = inspect(&bytes, &InspectOptions::default()).expect("inspects");
        let v = decoded_view(&i, 0, Choice::Auto).expect("a message");
        assert_eq!(v.subprotocol.as_deref(), Some("mqtt"));
        assert_eq!(v.decoder, Some("mqtt"), "{v:#?}");
        assert!(v.summary.starts_with("PUBLISH a/b"), "{}", v.summary);
        // Its spans light the frame's payload where it lies after the handshake.
        let topic = v.rows.iter().find(|r| r.name == "topic").expect("topic");
        let Lit::Input(s, e) = topic.lit else {
            panic!("{:?}", topic.lit)
        };
        assert_eq!(&i.bytes[s..e], &publish[topic.span[0]..topic.span[1]]);
    }

    #[test]
    fn a_message_whose_index_is_not_its_position_is_decoded_not_a_panic() {
        // As a capture's rebuilt frame: its one message keeps the connection's index.
        let mut i = inspection(&frame(1, br#"{"a":1}"#));
        let report = i.frames.as_mut().expect("frames");
        report.messages[0].index = 7;
        report.frames[0].message = Some(0);
        let v = decoded_view(&i, 0, Choice::Auto).expect("a message");
        assert_eq!(v.title, "message 7");
        assert_eq!(v.decoder, Some("json"));
    }

    /// `cargo test -p wsinspect-view --lib -- --ignored --nocapture last_of_many`: how long the
    /// view of the last of 100 000 small messages takes (every earlier one is decoded first).
    #[test]
    #[ignore]
    fn last_of_many() {
        let mut bytes = Vec::new();
        for n in 0..100_000u32 {
            bytes.extend_from_slice(&frame(1, format!("{{\"n\":{n}}}").as_bytes()));
        }
        let i = inspection(&bytes);
        let t = std::time::Instant::now();
        let v = decoded_view(&i, 99_999, Choice::Auto).expect("a message");
        eprintln!("100 000 messages: {:?} ({})", t.elapsed(), v.summary);
    }

    #[test]
    fn folding_a_row_hides_its_descendants_only() {
        let i = inspection(&frame(1, br#"{"a":[1,2],"b":3}"#));
        let v = decoded_view(&i, 0, Choice::Auto).expect("a message");
        let a = v.rows.iter().position(|r| r.name == "a").expect("a");
        let shown = visible_rows(&v.rows, &[a]);
        assert!(shown.contains(&a));
        assert!(!shown.contains(&(a + 1)));
        assert!(shown.iter().any(|&r| v.rows[r].name == "b"));
        assert_eq!(visible_rows(&v.rows, &[]).len(), v.rows.len());
    }
}
