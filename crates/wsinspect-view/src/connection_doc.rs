//! One connection as `wsinspect pcap --json` shows it (docs/pcap.md): its handshake analysed as
//! `wsinspect handshake --json` does, its frames and messages as `decode --json` shows them with
//! `"direction"` and `"time"` (seconds since the epoch) added, in the order they were read, and
//! every finding with where and when it was made. Built from the session's events, so the
//! capture reader, the live relay and the page give the same document.

use serde::Serialize;
use serde_json::{Map, Value};
use wsinspect_capture::tls::TlsReport;
use wsinspect_capture::{Connection, Note};
use wsinspect_core::common::Direction;
use wsinspect_core::diagnose::{Conformance, Diagnosis};
use wsinspect_core::finding::Finding;
use wsinspect_core::handshake::{self, HandshakeReport};
use wsinspect_core::session::{ConnectionCollector, Event, EventKind, Timestamp, Upgrade};

/// Collects a connection's events into its document.
#[derive(Debug, Default)]
pub struct ConnectionDoc {
    collector: ConnectionCollector,
    /// Frames and messages in the order read: whose, and when.
    frames: Vec<(Direction, Option<Timestamp>)>,
    messages: Vec<(Direction, Option<Timestamp>)>,
    findings: Vec<Located>,
    /// The raw request and response heads, for the handshake analysis.
    heads: Vec<u8>,
}

/// A finding with its direction, stream offset and time.
#[derive(Clone, Debug, Serialize)]
pub struct Located {
    /// The side whose bytes it is about.
    pub direction: Direction,
    /// Where in that side's stream (handshake included).
    pub offset: u64,
    /// The index of the frame it is about (in its direction), if it is about one.
    pub frame: Option<u64>,
    /// When (seconds since the epoch), if known.
    pub time: Option<f64>,
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
}

/// The parts of the document that are not frames and messages.
#[derive(Serialize)]
struct Head<'a> {
    handshake: Option<&'a HandshakeReport>,
    upgrade: &'a Option<Upgrade>,
    /// HTTP body bytes after a refused upgrade, client then server.
    body: [u64; 2],
    findings: &'a [Located],
}

impl ConnectionDoc {
    /// Take the connection's next event.
    pub fn push(&mut self, e: Event) {
        let at = (e.direction, e.time);
        match &e.kind {
            EventKind::Request(h) | EventKind::Response(h) => {
                self.heads.extend_from_slice(&h.raw.0)
            }
            EventKind::Frame(f) => {
                self.frames.push(at);
                for finding in &f.findings {
                    self.locate(&e, Some(f.index), finding);
                }
            }
            EventKind::Message(_) => self.messages.push(at),
            EventKind::Finding(f) => self.locate(&e, None, f),
            _ => {}
        }
        self.collector.push(e);
    }

    fn locate(&mut self, e: &Event, frame: Option<u64>, finding: &Finding) {
        self.findings.push(Located {
            direction: e.direction,
            offset: e.start,
            frame,
            time: e.time.map(Timestamp::as_secs_f64),
            finding: finding.clone(),
        });
    }

    /// The document: `handshake`, `upgrade`, `body`, `frames`, `messages`, `findings`,
    /// `incomplete` (each side's trailing partial frame), merged into `fields` (the caller's own:
    /// id, endpoints, ...).
    pub fn finish(self, fields: Map<String, Value>) -> Value {
        let report = self.collector.finish();
        // The session's own analysis of the same heads when the upgrade carries it (it is not
        // serialised, so events read back from JSON are analysed here).
        let ours;
        let handshake = match report.upgrade.as_ref().and_then(|u| u.report.as_deref()) {
            Some(r) => Some(r),
            None if self.heads.is_empty() => None,
            None => {
                ours = handshake::analyze(&self.heads);
                Some(&ours)
            }
        };
        let head = Head {
            handshake,
            upgrade: &report.upgrade,
            body: report.body,
            findings: &self.findings,
        };
        let mut doc = fields;
        if let Ok(Value::Object(h)) = serde_json::to_value(&head) {
            doc.extend(h);
        }
        let side = |d: Direction| match d {
            Direction::Server => &report.server,
            _ => &report.client,
        };
        doc.insert(
            "frames".into(),
            interleave(&self.frames, |d, i| {
                side(d).frames.get(i).map(serde_json::to_value)
            }),
        );
        doc.insert(
            "messages".into(),
            interleave(&self.messages, |d, i| {
                let r = side(d);
                r.messages
                    .get(i)
                    .map(|m| serde_json::to_value(r.message_json(m)))
            }),
        );
        let incomplete = serde_json::json!({
            "client": report.client.incomplete,
            "server": report.server.incomplete,
        });
        doc.insert("incomplete".into(), incomplete);
        Value::Object(doc)
    }
}

/// What a capture's connection document carries beside its decode, in this order: the flow
/// (id, endpoints, first packet), the capture's notes, a wss connection's TLS, why it failed,
/// each peer's conformance, and what a page's export left out. One place for `pcap --json`
/// and the page's JSON export, so the two documents are the same.
pub struct CaptureFields<'a> {
    /// The flow, as the capture reported it (none if it never did).
    pub connection: Option<&'a Connection>,
    /// The capture's notes about it.
    pub notes: &'a [Note],
    /// A wss connection's TLS.
    pub tls: Option<&'a TlsReport>,
    /// Its diagnoses (docs/diagnose.md).
    pub diagnoses: &'a [Diagnosis],
    /// Each peer's conformance per class.
    pub conformance: Option<&'a Conformance>,
    /// What an export rebuilt from the page's index lacks, if anything.
    pub export_note: Option<&'a str>,
}

impl ConnectionDoc {
    /// [`ConnectionDoc::finish`] with a capture's fields, each message given its `decoded`
    /// (in the order of the messages).
    pub fn finish_capture<T: Serialize>(
        self,
        f: CaptureFields<'_>,
        decoded: impl IntoIterator<Item = T>,
    ) -> Value {
        let mut fields = match f.connection.map(serde_json::to_value) {
            Some(Ok(Value::Object(m))) => m,
            _ => Map::new(),
        };
        fields.insert("notes".into(), serde_json::json!(f.notes));
        if let Some(tls) = f.tls {
            fields.insert("tls".into(), serde_json::json!(tls));
        }
        fields.insert("diagnoses".into(), serde_json::json!(f.diagnoses));
        fields.insert("conformance".into(), serde_json::json!(f.conformance));
        if let Some(note) = f.export_note {
            fields.insert("export_note".into(), serde_json::json!(note));
        }
        let mut doc = self.finish(fields);
        set_decoded(&mut doc, decoded);
        doc
    }
}

/// Gives each message of a finished document its `"decoded"` (the payload decoders' reading,
/// null where none applies), in the order of the messages.
pub fn set_decoded<T: Serialize>(doc: &mut Value, decoded: impl IntoIterator<Item = T>) {
    let Some(messages) = doc.get_mut("messages").and_then(Value::as_array_mut) else {
        return;
    };
    for (m, d) in messages.iter_mut().zip(decoded) {
        m["decoded"] = serde_json::to_value(d).unwrap_or_default();
    }
}

/// The reports' items in the order they were read, each with `direction` and `time` added.
fn interleave(
    order: &[(Direction, Option<Timestamp>)],
    item: impl Fn(Direction, usize) -> Option<serde_json::Result<Value>>,
) -> Value {
    let mut next = [0usize; 2];
    let items = order.iter().filter_map(|&(d, time)| {
        let n = &mut next[usize::from(d == Direction::Server)];
        *n += 1;
        let Ok(Value::Object(mut o)) = item(d, *n - 1)? else {
            return None;
        };
        o.insert("direction".into(), Value::from(d.as_str()));
        o.insert(
            "time".into(),
            time.map_or(Value::Null, |t| t.as_secs_f64().into()),
        );
        Some(Value::Object(o))
    });
    Value::Array(items.collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::session::{Session, SessionConfig};

    #[test]
    fn a_connection_gives_its_handshake_frames_and_messages_in_order() {
        let request = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        let mut s = Session::new(SessionConfig::default());
        let t = |n: u64| Some(Timestamp(n * 1_000_000_000));
        s.feed(Direction::Client, request.as_bytes(), t(1));
        s.feed(Direction::Server, response.as_bytes(), t(2));
        // The RFC's masked "Hello" from the client, then an unmasked "Hello" with RSV2 set.
        s.feed(
            Direction::Client,
            &[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ],
            t(3),
        );
        s.feed(Direction::Server, b"\xa1\x05Hello", t(4));
        s.finish(Direction::Client, t(5));
        s.finish(Direction::Server, t(5));
        let mut doc = ConnectionDoc::default();
        while let Some(e) = s.poll_event() {
            doc.push(e);
        }
        let mut fields = Map::new();
        fields.insert("id".into(), 7.into());
        let v = doc.finish(fields);
        assert_eq!(v["id"], 7);
        assert_eq!(
            v["handshake"]["accept"]["matches"], true,
            "{}",
            v["handshake"]
        );
        let frames = v["frames"].as_array().unwrap();
        assert_eq!(frames.len(), 2);
        assert_eq!(
            (&frames[0]["direction"], &frames[0]["time"]),
            (&Value::from("client"), &Value::from(3.0))
        );
        assert_eq!(frames[1]["direction"], "server");
        assert_eq!(v["messages"][1]["time"], 4.0);
        let findings = v["findings"].as_array().unwrap();
        assert!(findings.iter().any(|f| f["direction"] == "server"
            && f["code"] == "reserved-bits"
            && f["frame"] == 0));
    }
}
