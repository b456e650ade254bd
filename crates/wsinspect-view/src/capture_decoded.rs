//! A capture's messages decoded in their connection's context (the page's worker side of the
//! "Decoded" view and the timeline's labels), sans-IO.
//!
//! Each connection has a [`ConnPayloads`]: a `PayloadSession` per direction (the subprotocol its
//! upgrade selected, what each direction learns shared with the other) fed the connection's
//! messages once, in the order they completed, while the file loads. What it keeps per message
//! is small: a label (the decoder's one-line summary, clipped to [`LABEL_CHARS`]) that the
//! index puts on the message's timeline row, and the message's place in the order. The full
//! tree of the message the user selects is rebuilt on demand ([`ConnPayloads::decode`]): from
//! the nearest checkpoint (a copy of both sessions taken every [`CHECKPOINT_EVERY`] messages,
//! and only when at least its size in payload bytes went by since the last one, so checkpoints
//! never cost more than the payloads they stand for), the messages up to the selected one are
//! decoded again. So a Socket.IO attachment is shown joined to its event and an MQTT packet that
//! spans messages is read across them, while memory stays a small multiple of the file.
//!
//! A decoder forced by the user (not [`Choice::Auto`]) replays the connection from its start:
//! checkpoints are of the automatic decoding.

use wsinspect_payload::protobuf::Schema;
use wsinspect_payload::tree::clip;
use wsinspect_payload::{Choice, Decoded, MessageDescriptor, MessageKind, PayloadSession};

use crate::capture_view::Side;

/// Characters of a decoded summary kept as a message's timeline label.
pub const LABEL_CHARS: usize = 72;
/// Messages between two checkpoints of a connection's sessions (at least).
pub const CHECKPOINT_EVERY: usize = 128;
/// What a checkpoint is counted as beyond the bytes its sessions hold.
const CHECKPOINT_COST: usize = 1024;

/// How a capture's messages are decoded: detection, plus the user's Protobuf message type (from
/// their `.proto`) for binary messages no protocol claims.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PayloadSetup {
    /// The user's message type.
    pub proto: Option<MessageDescriptor>,
}

impl PayloadSetup {
    /// The `.proto` sources given as (file name, text), compiled, with the message type named
    /// (or the only one they define). The error names the file, line and column.
    pub fn compile(files: &[(String, String)], message: Option<&str>) -> Result<Self, String> {
        let schema = Schema::compile(files)?;
        let name = match message {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => schema.only_message()?,
        };
        Ok(PayloadSetup {
            proto: Some(schema.message(&name)?),
        })
    }

    /// The message type chosen, by full name.
    pub fn message(&self) -> Option<&str> {
        self.proto.as_ref().map(MessageDescriptor::full_name)
    }

    pub(crate) fn pair(&self, choice: Choice, subprotocol: Option<&str>) -> Pair {
        let one = || {
            let s = PayloadSession::new(choice, subprotocol);
            match &self.proto {
                Some(m) => s.with_proto(m.clone()),
                None => s,
            }
        };
        Pair([one(), one()])
    }
}

/// The message types `.proto` sources define (the page's chooser), and the one to offer first:
/// a top-level type no other type's field uses (the outermost message: `chat.Message`, not the
/// `chat.User` inside it), else the first. The error names the file, line and column.
pub fn proto_types(files: &[(String, String)]) -> Result<(Vec<String>, String), String> {
    let schema = Schema::compile(files)?;
    let names = schema.messages();
    let types: Vec<MessageDescriptor> = names
        .iter()
        .filter_map(|n| schema.message(n).ok())
        .collect();
    let used = |t: &MessageDescriptor| {
        types.iter().any(|o| {
            o.fields().any(|f| {
                f.kind()
                    .as_message()
                    .is_some_and(|m| m.full_name() == t.full_name())
            })
        })
    };
    let root = types
        .iter()
        .find(|t| t.parent_message().is_none() && !used(t))
        .or(types.first())
        .map(|t| t.full_name().to_string())
        .ok_or_else(|| "the .proto files define no message type".to_string())?;
    Ok((names, root))
}

/// Both directions' sessions (client, server), sharing what each learns.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pair([PayloadSession; 2]);

impl Pair {
    pub(crate) fn message(&mut self, side: Side, opcode: u8, payload: &[u8]) -> Option<Decoded> {
        let kind = if opcode == 1 {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        let [client, server] = &mut self.0;
        let (this, other) = match side {
            Side::Client => (client, server),
            Side::Server => (server, client),
        };
        let d = this.message(kind, payload);
        other.learn(this);
        this.learn(other);
        d
    }

    fn held(&self) -> usize {
        self.0.iter().map(PayloadSession::held).sum()
    }
}

/// A message as the replay needs it: who sent it, its opcode, and its whole payload (`None`
/// when the index did not keep it all: the sessions skip it, as they did while loading).
pub type Stored = (Side, u8, Option<Vec<u8>>);

/// One connection's messages decoded: the live sessions while it loads, the order the messages
/// completed in, and checkpoints to rebuild any message's tree from.
#[derive(Debug, Default)]
pub struct ConnPayloads {
    setup: PayloadSetup,
    subprotocol: Option<String>,
    live: Pair,
    /// The messages (the caller's ids) in the order they were decoded.
    order: Vec<u32>,
    /// (position in `order`, both sessions just before decoding that message).
    checkpoints: Vec<(usize, Pair)>,
    /// Payload bytes decoded since the last checkpoint.
    since: usize,
}

impl ConnPayloads {
    /// No message yet; no subprotocol until the upgrade says one.
    pub fn new(setup: PayloadSetup) -> Self {
        let live = setup.pair(Choice::Auto, None);
        ConnPayloads {
            setup,
            live,
            ..ConnPayloads::default()
        }
    }

    /// The upgrade selected `subprotocol` (it comes before the messages: the sessions start
    /// again with it).
    pub fn upgraded(&mut self, subprotocol: Option<&str>) {
        if self.subprotocol.as_deref() != subprotocol {
            self.subprotocol = subprotocol.map(str::to_string);
            self.restart(self.setup.clone());
        }
    }

    /// Forget every message and decode with `setup` from now on (the caller feeds the messages
    /// again, in order, when it has them: [`Index`](crate::capture_view::Index) does).
    pub fn restart(&mut self, setup: PayloadSetup) {
        self.live = setup.pair(Choice::Auto, self.subprotocol.as_deref());
        self.setup = setup;
        self.order.clear();
        self.checkpoints.clear();
        self.since = 0;
    }

    /// The next message to complete (`msg`: the caller's id for it), decoded by the live
    /// sessions; its label, if a decoder read it. `payload` is `None` when it was not kept
    /// whole (the sessions do not see it).
    pub fn message(
        &mut self,
        msg: u32,
        side: Side,
        opcode: u8,
        payload: Option<&[u8]>,
    ) -> Option<String> {
        let since_last = self.order.len() - self.checkpoints.last().map_or(0, |c| c.0);
        if since_last >= CHECKPOINT_EVERY && self.since >= self.live.held() + CHECKPOINT_COST {
            self.checkpoints.push((self.order.len(), self.live.clone()));
            self.since = 0;
        }
        self.order.push(msg);
        let payload = payload?;
        self.since += payload.len();
        let d = self.live.message(side, opcode, payload)?;
        Some(clip(&d.summary, LABEL_CHARS))
    }

    /// Message `msg` decoded with `choice` in its connection's context: the messages before it
    /// (`stored` gives each by id) go through the sessions first, from the nearest checkpoint
    /// for [`Choice::Auto`], from the start otherwise. `None` when `msg` was never decoded or no
    /// decoder applies.
    pub fn decode(
        &self,
        msg: u32,
        choice: Choice,
        stored: impl Fn(u32) -> Option<Stored>,
    ) -> Option<Decoded> {
        let at = self.order.iter().position(|&m| m == msg)?;
        let (from, mut pair) = match choice {
            Choice::Auto => self
                .checkpoints
                .iter()
                .rev()
                .find(|(p, _)| *p <= at)
                .map(|(p, s)| (*p, s.clone()))
                .unwrap_or_else(|| (0, self.setup.pair(choice, self.subprotocol.as_deref()))),
            _ => (0, self.setup.pair(choice, self.subprotocol.as_deref())),
        };
        for &earlier in &self.order[from..at] {
            if let Some((side, opcode, Some(p))) = stored(earlier) {
                pair.message(side, opcode, &p);
            }
        }
        let (side, opcode, payload) = stored(msg)?;
        pair.message(side, opcode, &payload?)
    }

    /// The messages decoded so far, in order (to feed them again after [`Self::restart`]).
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// How many checkpoints are kept (for tests of the memory bound).
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MQTT PUBLISH packets, each split over two messages as MQTT.js writes them.
    fn split_publishes(n: usize) -> Vec<Stored> {
        let mut v = Vec::new();
        for i in 0..n {
            let topic = format!("t/{i:05}");
            let mut p = vec![0x30, (2 + topic.len() + 2) as u8, 0, topic.len() as u8];
            p.extend_from_slice(topic.as_bytes());
            p.extend_from_slice(b"hi");
            let (a, b) = p.split_at(3);
            v.push((Side::Client, 2, Some(a.to_vec())));
            v.push((Side::Client, 2, Some(b.to_vec())));
        }
        v
    }

    fn loaded(msgs: &[Stored]) -> (ConnPayloads, Vec<Option<String>>) {
        let mut c = ConnPayloads::new(PayloadSetup::default());
        c.upgraded(Some("mqtt"));
        let labels = msgs
            .iter()
            .enumerate()
            .map(|(i, (s, o, p))| c.message(i as u32, *s, *o, p.as_deref()))
            .collect();
        (c, labels)
    }

    #[test]
    fn packets_across_messages_are_labelled_and_rebuilt_from_checkpoints() {
        let msgs = split_publishes(1000);
        let (c, labels) = loaded(&msgs);
        assert_eq!(labels[0].as_deref(), Some("part of a packet"));
        assert_eq!(labels[1999].as_deref(), Some("PUBLISH t/00999 (2 bytes)"));
        // Checkpoints: bounded by the messages and by the bytes they stand for.
        let bytes: usize = msgs.iter().map(|m| m.2.as_ref().unwrap().len()).sum();
        assert!(c.checkpoints() >= 1, "{}", c.checkpoints());
        assert!(c.checkpoints() <= 2000 / CHECKPOINT_EVERY);
        assert!(
            c.checkpoints() * CHECKPOINT_COST <= bytes,
            "{}",
            c.checkpoints()
        );
        // Every message's tree, rebuilt on demand, equals what loading decoded in order.
        let stored = |m: u32| msgs.get(m as usize).cloned();
        let mut fresh = ConnPayloads::new(PayloadSetup::default());
        fresh.upgraded(Some("mqtt"));
        for (i, (s, o, p)) in msgs.iter().enumerate() {
            let want = fresh.live.message(*s, *o, p.as_deref().unwrap());
            let got = c.decode(i as u32, Choice::Auto, stored);
            assert_eq!(got, want, "message {i}");
        }
        let last = c.decode(1999, Choice::Auto, stored).unwrap();
        assert!(last.summary.starts_with("PUBLISH t/00999"));
        // A message whose start was not kept reads as a sequence break, not a panic.
        let gap = |m: u32| {
            let (s, o, p) = msgs.get(m as usize).cloned()?;
            Some((s, o, if m == 1998 { None } else { p }))
        };
        let cut = c.decode(1999, Choice::Auto, gap).unwrap();
        assert!(!cut.summary.starts_with("PUBLISH"), "{}", cut.summary);
        assert_eq!(c.decode(5000, Choice::Auto, stored), None);
    }

    /// `cargo test -p wsinspect-view --lib -- --ignored --nocapture many_messages`: loading
    /// 200 000 messages (100 000 MQTT packets split in two) and rebuilding the last one's tree.
    #[test]
    #[ignore]
    fn many_messages() {
        let msgs = split_publishes(100_000);
        let t = std::time::Instant::now();
        let (c, labels) = loaded(&msgs);
        let load = t.elapsed();
        let stored = |m: u32| msgs.get(m as usize).cloned();
        let t = std::time::Instant::now();
        let d = c.decode(199_999, Choice::Auto, stored).unwrap();
        let last = t.elapsed();
        let t = std::time::Instant::now();
        let forced = c.decode(
            199_999,
            Choice::Force(wsinspect_payload::Decoder::Mqtt),
            stored,
        );
        let from_start = t.elapsed();
        let bytes: usize = msgs.iter().map(|m| m.2.as_ref().unwrap().len()).sum();
        let label_bytes: usize = labels.iter().flatten().map(String::len).sum();
        eprintln!(
            "{} messages, {bytes} payload bytes: loaded in {load:?} ({label_bytes} label bytes, {} checkpoints); the last one's tree in {last:?} ({}); forced from the start in {from_start:?} ({})",
            msgs.len(),
            c.checkpoints(),
            d.summary,
            forced.is_some()
        );
    }

    #[test]
    fn a_forced_decoder_replays_from_the_start() {
        let msgs = [
            (Side::Client, 1, Some(br#"{"a":1}"#.to_vec())),
            (Side::Server, 1, Some(br#"42["x"]"#.to_vec())),
        ];
        let mut c = ConnPayloads::new(PayloadSetup::default());
        let labels: Vec<_> = msgs
            .iter()
            .enumerate()
            .map(|(i, (s, o, p))| c.message(i as u32, *s, *o, p.as_deref()))
            .collect();
        assert_eq!(labels[0].as_deref(), Some("object (1 keys)"));
        let stored = |m: u32| msgs.get(m as usize).cloned();
        let json = c
            .decode(1, Choice::Force(wsinspect_payload::Decoder::Json), stored)
            .unwrap();
        assert_eq!(json.decoder, wsinspect_payload::Decoder::Json);
        assert_eq!(c.decode(1, Choice::None, stored), None);
    }

    #[test]
    fn a_proto_names_fields_and_its_errors_name_the_line() {
        let proto = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/payload/chat.proto"
        ))
        .unwrap();
        let e = PayloadSetup::compile(
            &[(
                "chat.proto".into(),
                proto.replace("string text", "strin text"),
            )],
            None,
        )
        .unwrap_err();
        assert!(e.starts_with("chat.proto:"), "{e}");
        let line: usize = e.split(':').nth(1).unwrap().parse().unwrap();
        assert!(
            proto.lines().nth(line - 1).unwrap().contains("string text"),
            "{e}"
        );
        let files = [("chat.proto".to_string(), proto.clone())];
        let (names, first) = proto_types(&files).unwrap();
        assert_eq!(names, ["chat.User", "chat.Message"]);
        assert_eq!(first, "chat.Message");
        let e = PayloadSetup::compile(&[("chat.proto".into(), proto.clone())], None).unwrap_err();
        assert!(e.contains("chat.Message") && e.contains("chat.User"), "{e}");
        let setup =
            PayloadSetup::compile(&[("chat.proto".into(), proto)], Some("chat.User")).unwrap();
        // User{name: "ann", karma: -3 (zigzag 5)}.
        let user = [0x0a, 0x03, b'a', b'n', b'n', 0x10, 0x05];
        let mut c = ConnPayloads::new(setup);
        c.message(0, Side::Client, 2, Some(&user));
        let d = c
            .decode(0, Choice::Auto, |_| {
                Some((Side::Client, 2, Some(user.to_vec())))
            })
            .unwrap();
        let names: Vec<_> = d.tree.children.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["name", "karma"], "{:#?}", d.tree);
    }

    use crate::capture_view::{Ask, Detail, Filter, FrameRow, Loader, Tell};

    fn fixture(name: &str) -> Vec<u8> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/payload/");
        std::fs::read(format!("{root}{name}")).unwrap()
    }

    /// A capture loaded in 4 KiB slices, as the worker reads it.
    fn load(name: &str) -> Loader {
        let bytes = fixture(name);
        let mut l = Loader::new(bytes.len() as u64);
        for c in bytes.chunks(4096) {
            l.feed(c).unwrap();
        }
        l.finish().unwrap();
        l
    }

    fn rows(l: &mut Loader, conn: u64) -> Vec<FrameRow> {
        let ask = Ask::Window {
            seq: 1,
            conn,
            filter: Filter::default(),
            start: 0,
            count: 500,
        };
        match l.index.answer(ask) {
            Some(Tell::Window { rows, .. }) => rows,
            t => panic!("{t:?}"),
        }
    }

    fn detail(l: &mut Loader, conn: u64, row: u32) -> Detail {
        match l.index.answer(Ask::Detail { seq: 0, conn, row }) {
            Some(Tell::Detail(d)) => *d,
            t => panic!("{t:?}"),
        }
    }

    fn labels(rows: &[FrameRow]) -> Vec<&str> {
        rows.iter().filter_map(|r| r.decoded.as_deref()).collect()
    }

    #[test]
    fn a_socketio_capture_labels_events_and_joins_the_attachment() {
        let mut l = load("socketio.pcapng");
        let rows = rows(&mut l, 1);
        let labels = labels(&rows);
        // What `wsinspect pcap --json --payload auto` says of the same messages.
        for want in [
            "OPEN sid=",
            "EVENT \"login\" ack 0",
            "EVENT \"chat message\" /chat",
            "BINARY_EVENT \"upload\" ack 1 +1 attachment(s)",
            "ATTACHMENT 1 of 1 for BINARY_EVENT \"upload\"",
        ] {
            assert!(
                labels.iter().any(|l| l.starts_with(want)),
                "{want}: {labels:#?}"
            );
        }
        // The attachment (a binary message) read alone is not Socket.IO; in its connection's
        // context its detail shows it joined to its event.
        let at = rows
            .iter()
            .find(|r| r.opcode == 2 && r.side == Side::Client)
            .expect("the client's attachment");
        let d = detail(&mut l, 1, at.row).decoded.expect("decoded");
        assert!(
            d.summary
                .starts_with("ATTACHMENT 1 of 1 for BINARY_EVENT \"upload\""),
            "{}",
            d.summary
        );
        let alone =
            wsinspect_payload::decode(Choice::Auto, None, MessageKind::Binary, &[1, 2, 3, 4, 5]);
        assert!(alone.is_none_or(|a| !a.summary.contains("upload")));
        // The JSON lines export carries each message's label.
        let Some(Tell::Export { text, .. }) = l.index.answer(Ask::Export {
            conn: 1,
            format: "jsonl".into(),
        }) else {
            panic!()
        };
        let exported: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(exported.len(), 15);
        assert!(exported
            .iter()
            .any(|m| m["decoded"] == "EVENT \"chat message\" /chat" && m["direction"] == "client"));
        // Another choice, asked for, replays the connection with it.
        let t = l.index.answer(Ask::Decoded {
            conn: 1,
            row: at.row,
            choice: "none".into(),
        });
        assert!(
            matches!(t, Some(Tell::Decoded { decoded: None, .. })),
            "{t:?}"
        );
    }

    #[test]
    fn an_mqtt_capture_reads_packets_across_messages() {
        let mut l = load("mqtt.pcapng");
        for conn in [1, 2] {
            let rows = rows(&mut l, conn);
            let labels = labels(&rows);
            for want in [
                "CONNECT ",
                "CONNACK",
                "SUBSCRIBE sensors/#",
                "PUBLISH sensors/t1 (16 bytes)",
                "PUBLISH sensors/door",
            ] {
                assert!(
                    labels.iter().any(|l| l.starts_with(want)),
                    "{conn} {want}: {labels:#?}"
                );
            }
            // The search finds messages by their labels too (MQTT.js's pieces of a packet hold no
            // "PUBLISH" in their bytes).
            let filter = Filter {
                query: "publish sensors/t1".into(),
                ..Filter::default()
            };
            let found = l.index.answer(Ask::Window {
                seq: 2,
                conn,
                filter,
                start: 0,
                count: 100,
            });
            let Some(Tell::Window { rows: hits, .. }) = found else {
                panic!("{found:?}")
            };
            assert_eq!(hits.len(), 2, "the client's PUBLISH and the server's");
            // The PUBLISH's detail, rebuilt on demand, has its topic and its JSON payload.
            let publish = rows
                .iter()
                .find(|r| {
                    r.side == Side::Client
                        && r.decoded
                            .as_deref()
                            .is_some_and(|l| l.starts_with("PUBLISH sensors/t1"))
                })
                .unwrap();
            let d = detail(&mut l, conn, publish.row).decoded.unwrap();
            let text = format!("{:?}", d.tree);
            assert!(
                text.contains("sensors/t1") && text.contains("21.5"),
                "{text}"
            );
        }
    }

    #[test]
    fn a_har_is_labelled_too() {
        // echo.har with its first text messages turned into a Socket.IO OPEN and EVENT.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/har/echo.har");
        let mut har: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let msgs = har["log"]["entries"][0]["_webSocketMessages"]
            .as_array_mut()
            .unwrap();
        msgs[0]["data"] = r#"0{"sid":"abc","upgrades":[]}"#.into();
        msgs[1]["data"] = r#"42["chat message","hi"]"#.into();
        let bytes = serde_json::to_vec(&har).unwrap();
        let mut l = Loader::new(bytes.len() as u64);
        l.feed(&bytes).unwrap();
        l.finish().unwrap();
        let id = l.progress().connections[0].id;
        let rows = rows(&mut l, id);
        assert_eq!(rows[0].decoded.as_deref(), Some("OPEN sid=abc"));
        assert_eq!(rows[1].decoded.as_deref(), Some("EVENT \"chat message\""));
        let d = detail(&mut l, id, 1).decoded.unwrap();
        assert_eq!(d.decoder, wsinspect_payload::Decoder::SocketIo);
    }

    #[test]
    fn a_proto_given_to_the_index_names_the_fields_and_relabels() {
        let mut l = load("binary.pcapng");
        let before = rows(&mut l, 1);
        let proto = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/payload/chat.proto"
        ))
        .unwrap();
        let bad = l.index.answer(Ask::Proto {
            files: vec![(
                "chat.proto".into(),
                proto.replace("message User", "mesage User"),
            )],
            message: Some("chat.Message".into()),
        });
        assert!(
            matches!(&bad, Some(Tell::Proto { error: Some(e) }) if e.starts_with("chat.proto:14:")),
            "{bad:?}"
        );
        let ok = l.index.answer(Ask::Proto {
            files: vec![("chat.proto".into(), proto)],
            message: Some("chat.Message".into()),
        });
        assert!(matches!(ok, Some(Tell::Proto { error: None })), "{ok:?}");
        let after = rows(&mut l, 1);
        assert_eq!(labels(&before).len(), labels(&after).len());
        // The chat.Message (the client's fifth message) now shows its fields by name.
        let msg = after
            .iter()
            .filter(|r| r.side == Side::Client && r.opcode == 2)
            .nth(4)
            .unwrap();
        let d = detail(&mut l, 1, msg.row).decoded.unwrap();
        let names: Vec<_> = d.tree.children.iter().map(|n| n.name.as_str()).collect();
        for want in ["from", "text", "kind", "reactions", "at", "score", "meta"] {
            assert!(names.contains(&want), "{want}: {names:?}");
        }
        // The MessagePack message stays MessagePack.
        assert!(
            labels(&after)[0].starts_with("map (4 entries)"),
            "{:?}",
            labels(&after)
        );
    }
}
