//! The page's live view, sans-IO: the lines of `wsinspect serve`'s feed (`/api/live`,
//! docs/live.md) in, the connections and the frames as the page shows them out. The frames are
//! the core's session events decoded by the server; this model keeps the last [`Live::cap`]
//! of them (older ones are dropped and counted, so memory stays bounded however long the page
//! stays open) and answers a frame's [`Detail`] exactly as a capture file's, so the page shows
//! it with the same bit grid, hex, unmasking and payload views.
//!
//! Also here: what the page's own client sends (hex for binary messages, close codes a browser
//! may send) and the injection command, so the rules are tested natively.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wsinspect_core::finding::Finding;
use wsinspect_core::session::{Event, EventKind};
use wsinspect_core::wire::header::Header;
use wsinspect_core::wire::mask::apply_mask;
use wsinspect_core::Direction;

use crate::capture_view::{codes, frame_preview, Detail, FrameRow, Side, WireFinding, PREVIEW};

/// Frames kept by default (over all connections).
pub const DEFAULT_CAP: usize = 2000;
/// Connections listed at most (the oldest closed ones go first).
pub const MAX_CONNS: usize = 200;
/// Handshake bytes kept per connection and side.
const HEAD_BYTES: usize = 16 << 10;
/// Feed problems (upstream errors, refusals) remembered for the page.
const MAX_NOTES: usize = 20;

/// One connection as the live view lists it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveConn {
    /// Its id in the feed.
    pub id: u64,
    /// The client's address.
    pub client: String,
    /// The upstream as configured (a relay) or the server's address (a capture).
    pub server: String,
    /// `relay` or `pcap`.
    pub source: String,
    /// Still open.
    pub open: bool,
    /// The upgrade's outcome, once known (`101`, `refused 400`, ...).
    pub upgrade: Option<String>,
    /// The Host rewrite the relay made, as `from -> to`.
    pub host_rewritten: Option<String>,
    /// Frames per side (client, server), all of them, kept or not.
    pub frames: [u64; 2],
    /// Injected frames.
    pub injected: u64,
    /// Why it ended, when a socket error ended it.
    pub error: Option<String>,
    /// The first event's time (ns since the epoch).
    start_ns: Option<u64>,
    request: Vec<u8>,
    response: Vec<u8>,
    /// The frames of each side's open data message (their seqs).
    open_msg: [Vec<u64>; 2],
    /// Injected frame starts per side (stream offsets), from `injected` lines.
    injected_at: [Vec<u64>; 2],
}

/// One frame kept.
#[derive(Clone, Debug, PartialEq)]
pub struct LiveFrame {
    /// Its position in the feed (row ids of the page's list).
    pub seq: u64,
    /// The connection.
    pub conn: u64,
    /// The row the timeline shows (`row.row` is `seq` truncated).
    pub row: FrameRow,
    /// Sent by wsinspect (`--allow-inject`), not by the peer.
    pub injected: bool,
    header: Header,
    /// The unmasked payload kept (at most the server's `--keep`).
    payload: Vec<u8>,
    findings: Vec<Finding>,
    /// Its message's opcode, frame count, compression and payload (inflated), when it ended.
    message: Option<(u8, u32, bool, Vec<u8>)>,
}

/// What one line changed, so the page knows whether to redraw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Nothing it shows.
    None,
    /// The connection list or counters.
    Conns,
    /// A frame was added.
    Frame,
}

/// The live view's state.
#[derive(Debug)]
pub struct Live {
    conns: VecDeque<LiveConn>,
    frames: VecDeque<LiveFrame>,
    cap: usize,
    next_seq: u64,
    /// Frames dropped because more than `cap` arrived.
    pub evicted: u64,
    /// Feed lines the server did not send us (it said so with `dropped` markers).
    pub feed_dropped: u64,
    /// The relays the server runs, as `listen -> upstream`.
    pub relays: Vec<String>,
    /// Whether the server allows injection.
    pub inject_allowed: bool,
    /// The server's payload limit per event (`--keep`).
    pub keep: u64,
    /// Recent problems the feed reported (an unreachable upstream, a refused request).
    pub notes: VecDeque<String>,
    /// Lines that could not be read.
    pub bad_lines: u64,
}

impl Default for Live {
    fn default() -> Live {
        Live::new(DEFAULT_CAP)
    }
}

fn side_i(d: Direction) -> usize {
    usize::from(d != Direction::Client)
}

fn str_of(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

impl Live {
    /// A view keeping at most `cap` frames.
    pub fn new(cap: usize) -> Live {
        Live {
            conns: VecDeque::new(),
            frames: VecDeque::new(),
            cap: cap.max(1),
            next_seq: 0,
            evicted: 0,
            feed_dropped: 0,
            relays: Vec::new(),
            inject_allowed: false,
            keep: 0,
            notes: VecDeque::new(),
            bad_lines: 0,
        }
    }

    /// The most frames kept.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// The connections, oldest first.
    pub fn conns(&self) -> impl DoubleEndedIterator<Item = &LiveConn> + ExactSizeIterator {
        self.conns.iter()
    }

    /// One connection.
    pub fn conn(&self, id: u64) -> Option<&LiveConn> {
        self.conns.iter().find(|c| c.id == id)
    }

    /// The frames kept, oldest first.
    pub fn frames(&self) -> impl DoubleEndedIterator<Item = &LiveFrame> + ExactSizeIterator {
        self.frames.iter()
    }

    /// The frames kept of one connection (or of all: `None`), oldest first.
    pub fn rows(&self, conn: Option<u64>) -> Vec<&LiveFrame> {
        self.frames
            .iter()
            .filter(|f| conn.is_none_or(|c| f.conn == c))
            .collect()
    }

    /// Forget every frame and closed connection (the open ones stay listed).
    pub fn clear(&mut self) {
        self.frames.clear();
        self.evicted = 0;
        self.feed_dropped = 0;
        self.notes.clear();
        self.conns.retain(|c| c.open);
        for c in &mut self.conns {
            c.open_msg = Default::default();
        }
    }

    /// The connection `id`, listed now if it was not (a feed joined late, a backlog cut).
    fn ensure(&mut self, id: u64) -> &mut LiveConn {
        if let Some(i) = self.conns.iter().position(|c| c.id == id) {
            return &mut self.conns[i];
        }
        if self.conns.len() >= MAX_CONNS {
            let old = self.conns.iter().position(|c| !c.open).unwrap_or(0);
            self.conns.remove(old);
        }
        self.conns.push_back(LiveConn {
            id,
            open: true,
            ..LiveConn::default()
        });
        self.conns.back_mut().expect("just pushed")
    }

    fn note(&mut self, text: String) {
        if self.notes.len() >= MAX_NOTES {
            self.notes.pop_front();
        }
        self.notes.push_back(text);
    }

    /// Take one feed line (a JSON object).
    pub fn push_line(&mut self, line: &str) -> Change {
        match serde_json::from_str::<Value>(line) {
            Ok(v) => self.push_value(v),
            Err(_) => {
                self.bad_lines += 1;
                Change::None
            }
        }
    }

    fn push_value(&mut self, v: Value) -> Change {
        let event = str_of(&v, "event");
        let conn = v.get("connection").and_then(Value::as_u64);
        let data = v.get("data").cloned().unwrap_or(Value::Null);
        match (event.as_str(), conn) {
            ("hello", _) => {
                // A (re)connected feed replays its backlog next: start again from it, so a
                // reconnection never shows a frame twice.
                // Seqs go on from where they were: a seq the page holds never names another frame.
                let next = self.next_seq;
                *self = Live::new(self.cap);
                self.next_seq = next;
                self.relays = data
                    .get("relays")
                    .and_then(Value::as_array)
                    .map(|rs| {
                        rs.iter()
                            .map(|r| format!("{} → {}", str_of(r, "listen"), str_of(r, "upstream")))
                            .collect()
                    })
                    .unwrap_or_default();
                self.keep = data.get("keep").and_then(Value::as_u64).unwrap_or(0);
                self.inject_allowed = data.get("inject").and_then(Value::as_bool).unwrap_or(false);
                Change::Conns
            }
            ("dropped", _) => {
                self.feed_dropped += v.get("dropped").and_then(Value::as_u64).unwrap_or(0);
                Change::Conns
            }
            ("inject_error", _) => {
                self.note(format!("injection refused: {}", str_of(&data, "error")));
                Change::Conns
            }
            ("upstream_error" | "refused", _) => {
                let why = str_of(&data, "error") + &str_of(&data, "reason");
                let what = if event == "refused" {
                    "refused a request from"
                } else {
                    "could not reach the upstream for"
                };
                self.note(format!(
                    "{} {what} {}: {why}",
                    conn.map_or(String::new(), |c| format!("#{c}")),
                    str_of(&data, "client")
                ));
                Change::Conns
            }
            (_, None) => Change::None,
            ("open" | "connection", Some(id)) => {
                let c = self.ensure(id);
                c.client = str_of(&data, "client");
                c.server = match str_of(&data, "upstream") {
                    u if u.is_empty() => str_of(&data, "server"),
                    u => u,
                };
                c.source = match str_of(&data, "source") {
                    s if s.is_empty() => "pcap".into(),
                    s => s,
                };
                c.start_ns = v.get("time").and_then(Value::as_u64);
                Change::Conns
            }
            ("host_rewritten", Some(id)) => {
                let from = str_of(&data, "from");
                let to = str_of(&data, "to");
                self.ensure(id).host_rewritten = Some(format!(
                    "{} → {to}",
                    if from.is_empty() { "(none)" } else { &from }
                ));
                Change::Conns
            }
            ("closed", Some(id)) => {
                let c = self.ensure(id);
                c.open = false;
                c.error = data
                    .get("error")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                Change::Conns
            }
            ("injected", Some(id)) => {
                let d = str_of(&data, "direction");
                let at = data.get("offset").and_then(Value::as_u64).unwrap_or(0);
                let s = usize::from(d != "client");
                let c = self.ensure(id);
                c.injected_at[s].push(at);
                if c.injected_at[s].len() > 64 {
                    c.injected_at[s].remove(0);
                }
                Change::None
            }
            (_, Some(id)) if v.get("direction").is_some() => {
                let marked = v.get("injected") == Some(&Value::Bool(true));
                match serde_json::from_value::<Event>(v) {
                    Ok(e) => self.session_event(id, e, marked),
                    Err(_) => {
                        self.bad_lines += 1;
                        Change::None
                    }
                }
            }
            _ => Change::None,
        }
    }

    /// A session event; `marked`: its line says `"injected": true`.
    fn session_event(&mut self, id: u64, e: Event, marked: bool) -> Change {
        let s = side_i(e.direction);
        let time_ns = e.time.map(|t| t.0);
        let c = self.ensure(id);
        if c.start_ns.is_none() {
            c.start_ns = time_ns;
        }
        match e.kind {
            EventKind::Request(h) => {
                c.request = h.raw.0;
                c.request.truncate(HEAD_BYTES);
                Change::None
            }
            EventKind::Response(h) => {
                c.response = h.raw.0;
                c.response.truncate(HEAD_BYTES);
                Change::None
            }
            EventKind::Upgrade(u) => {
                c.upgrade = Some(match (u.accepted, u.assumed) {
                    (_, true) => "no response (assumed)".into(),
                    (true, _) => u.status.to_string(),
                    (false, _) => format!("refused {}", u.status),
                });
                Change::Conns
            }
            EventKind::Frame(f) => {
                let seq = self.next_seq;
                self.next_seq += 1;
                let c = self.ensure(id);
                c.frames[s] += 1;
                let announced = match c.injected_at[s].iter().position(|&o| o == e.start) {
                    Some(i) => {
                        c.injected_at[s].remove(i);
                        true
                    }
                    None => false,
                };
                let injected = marked || announced;
                c.injected += u64::from(injected);
                if f.header.opcode < 8 {
                    if f.header.opcode != 0 {
                        c.open_msg[s].clear();
                    }
                    c.open_msg[s].push(seq);
                }
                let time = match (time_ns, c.start_ns) {
                    (Some(t), Some(t0)) => Some(t.saturating_sub(t0) as f64 / 1e9),
                    _ => None,
                };
                let (findings, severity) = codes(&f.findings);
                let h = &f.header;
                let row = FrameRow {
                    row: seq as u32,
                    side: if s == 0 { Side::Client } else { Side::Server },
                    index: f.index,
                    opcode: h.opcode,
                    fin: h.fin,
                    rsv: (u8::from(h.rsv1) << 2) | (u8::from(h.rsv2) << 1) | u8::from(h.rsv3),
                    masked: h.masked,
                    len: h.payload_len,
                    time,
                    offset: f.offset,
                    message: f.message,
                    findings,
                    severity,
                    decoded: None,
                    preview: frame_preview(h, &f.payload.kept.0, f.is_text, f.compressed),
                    hit: None,
                    groups: [None, None],
                };
                self.frames.push_back(LiveFrame {
                    seq,
                    conn: id,
                    row,
                    injected,
                    header: f.header,
                    payload: f.payload.kept.0,
                    findings: f.findings,
                    message: None,
                });
                while self.frames.len() > self.cap {
                    self.frames.pop_front();
                    self.evicted += 1;
                }
                Change::Frame
            }
            EventKind::Message(m) => {
                let seqs = std::mem::take(&mut c.open_msg[s]);
                let shape = (m.opcode, seqs.len() as u32, m.compressed, m.payload.kept.0);
                for seq in &seqs {
                    if let Some(f) = self.frame_mut(*seq) {
                        f.message = Some(shape.clone());
                        if m.compressed && f.header.opcode != 0 {
                            let text =
                                crate::view::preview_bytes(&shape.3, m.opcode == 1, PREVIEW - 10);
                            f.row.preview = format!("{text} (inflated)");
                        }
                    }
                }
                Change::Frame
            }
            EventKind::Finding(_)
            | EventKind::End { .. }
            | EventKind::Body { .. }
            | EventKind::Gap { .. } => Change::None,
        }
    }

    fn frame_mut(&mut self, seq: u64) -> Option<&mut LiveFrame> {
        let first = self.frames.front()?.seq;
        let f = self.frames.get_mut(seq.checked_sub(first)? as usize)?;
        (f.seq == seq).then_some(f)
    }

    /// A kept frame by its seq.
    pub fn frame(&self, seq: u64) -> Option<&LiveFrame> {
        let first = self.frames.front()?.seq;
        let f = self.frames.get(seq.checked_sub(first)? as usize)?;
        (f.seq == seq).then_some(f)
    }

    /// A kept frame's detail, as a capture file's detail (so the page shows it the same way).
    pub fn detail(&self, seq: u64) -> Option<Detail> {
        let f = self.frame(seq)?;
        let c = self.conn(f.conn);
        let whole = f.payload.len() as u64 == f.header.payload_len;
        let mut note = None;
        let bytes = if whole {
            let mut b = f.header.to_bytes()[..f.header.header_len].to_vec();
            let start = b.len();
            b.extend_from_slice(&f.payload);
            if let Some(key) = f.header.mask_key {
                apply_mask(&mut b[start..], key, 0);
            }
            Some(b)
        } else {
            note = Some(format!(
                "the server kept {} of the {} payload bytes (wsinspect serve --keep): the \
                 recording has them all",
                f.payload.len(),
                f.header.payload_len
            ));
            None
        };
        let handshake = c
            .filter(|c| !c.request.is_empty())
            .map(|c| [c.request.as_slice(), c.response.as_slice()].concat());
        Some(Detail {
            seq,
            conn: f.conn,
            row: f.row.clone(),
            bytes,
            findings: f.findings.iter().map(WireFinding::of).collect(),
            message: f.message.as_ref().map(|m| m.3.clone()),
            message_shape: f.message.as_ref().map(|m| (m.0, m.1, m.2 || f.header.rsv1)),
            handshake,
            har_payload: None,
            note,
            // The Decoded view decodes the frame's own message on the page.
            decoded: None,
        })
    }

    /// What the page says about frames it does not have.
    pub fn dropped_note(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.evicted > 0 {
            parts.push(format!(
                "{} older frames were dropped (the page keeps the last {})",
                self.evicted, self.cap
            ));
        }
        if self.feed_dropped > 0 {
            parts.push(format!(
                "{} feed events were dropped by the server because the page did not keep up",
                self.feed_dropped
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// A binary message typed as hex (any spelling the paste box reads: `81 05`, `0x81,0x05`).
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    wsinspect_core::inspect::notation::parse_hex(text).map_err(|e| e.to_string())
}

/// A close code the page's client may send: browsers allow only 1000 and 3000-4999
/// (the WebSocket API throws `InvalidAccessError` for the others); an empty field sends none.
pub fn close_code(text: &str) -> Result<Option<u16>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<u16>() {
        Ok(c) if c == 1000 || (3000..=4999).contains(&c) => Ok(Some(c)),
        _ => Err(format!(
            "close code {t:?}: a browser may send only 1000 or 3000-4999"
        )),
    }
}

/// A close reason: at most 123 bytes of UTF-8 (the close frame's payload limit, RFC 6455 §5.5).
pub fn close_reason(text: &str) -> Result<&str, String> {
    if text.len() > 123 {
        return Err(format!(
            "the close reason is {} bytes of UTF-8; at most 123 fit in a close frame",
            text.len()
        ));
    }
    Ok(text)
}

/// What an injected message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InjectKind {
    /// A text message (the payload is UTF-8).
    Text,
    /// A binary message.
    Binary,
    /// A ping (control frame, at most 125 bytes).
    Ping,
}

/// The page's request to send a new message into a relayed connection (`POST /api/inject`,
/// allowed only with `wsinspect serve --allow-inject`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inject {
    /// The connection (its feed id).
    pub connection: u64,
    /// Who it is sent as: `client` (to the server, masked with a fresh key) or `server`.
    pub direction: Direction,
    /// What it is.
    pub kind: InjectKind,
    /// The payload as lower-case hex.
    pub payload: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::session::{Session, SessionConfig, Timestamp};
    use wsinspect_core::wire::codes::OpCode;
    use wsinspect_core::wire::encode::{encode, FrameSpec};

    const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

    /// The feed's lines for one connection, as the server makes them: the core's session over
    /// real bytes, each event serialised with the connection id added.
    fn feed_lines(conn: u64, chunks: &[(Direction, Vec<u8>)]) -> Vec<String> {
        let mut s = Session::new(SessionConfig::default());
        let mut out = vec![format!(
            r#"{{"v":1,"connection":{conn},"time":1000000000,"event":"open","data":{{"listen":"127.0.0.1:9001","upstream":"ws://127.0.0.1:8888","client":"127.0.0.1:5000","server":"127.0.0.1:8888","source":"relay"}}}}"#
        )];
        for (i, (d, b)) in chunks.iter().enumerate() {
            s.feed(*d, b, Some(Timestamp(1_000_000_000 + i as u64 * 1000)));
            while let Some(e) = s.poll_event() {
                let mut v = serde_json::to_value(&e).unwrap();
                v["connection"] = conn.into();
                out.push(v.to_string());
            }
        }
        out
    }

    fn frame(masked: bool, opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut spec = FrameSpec::new(OpCode(opcode), payload.to_vec());
        spec.fin = fin;
        if masked {
            spec = spec.masked([1, 2, 3, 4]);
        }
        encode(&spec)
    }

    fn conversation() -> Vec<(Direction, Vec<u8>)> {
        vec![
            (Direction::Client, REQUEST.to_vec()),
            (Direction::Server, RESPONSE.to_vec()),
            (Direction::Client, frame(true, 1, true, b"hello")),
            (Direction::Server, frame(false, 1, true, b"hello")),
            (Direction::Client, frame(true, 2, false, &[0xde, 0xad])),
            (Direction::Client, frame(true, 0, true, &[0xbe, 0xef])),
        ]
    }

    #[test]
    fn frames_arrive_as_rows_with_the_details_a_capture_gives() {
        let mut live = Live::default();
        for l in feed_lines(7, &conversation()) {
            live.push_line(&l);
        }
        let c = live.conn(7).unwrap();
        assert_eq!(c.client, "127.0.0.1:5000");
        assert_eq!(c.server, "ws://127.0.0.1:8888");
        assert_eq!(c.upgrade.as_deref(), Some("101"));
        assert_eq!(c.frames, [3, 1]);
        let rows = live.rows(Some(7));
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].row.side, Side::Client);
        assert!(rows[0].row.masked);
        assert_eq!(rows[0].row.preview, "hello");
        assert_eq!(rows[1].row.side, Side::Server);
        assert!(!rows[2].row.fin);
        // The detail is the frame's bytes as sent (masked), its message whole.
        let d = live.detail(rows[0].seq).unwrap();
        assert_eq!(
            d.bytes.as_deref(),
            Some(&frame(true, 1, true, b"hello")[..])
        );
        assert!(d.handshake.unwrap().starts_with(b"GET / HTTP/1.1"));
        let i = crate::capture_view::detail_inspection(&live.detail(rows[3].seq).unwrap()).unwrap();
        assert_eq!(i.frames.unwrap().frames[0].header.opcode, 0);
        let d = live.detail(rows[3].seq).unwrap();
        assert_eq!(d.message.as_deref(), Some(&[0xde, 0xad, 0xbe, 0xef][..]));
        assert_eq!(d.message_shape, Some((2, 2, false)));
    }

    #[test]
    fn memory_is_bounded_and_the_loss_is_said() {
        let mut live = Live::new(3);
        let mut chunks = conversation()[..2].to_vec();
        for i in 0..10u8 {
            chunks.push((Direction::Client, frame(true, 1, true, &[b'a' + i])));
        }
        for l in feed_lines(1, &chunks) {
            live.push_line(&l);
        }
        live.push_line(r#"{"event":"dropped","dropped":5}"#);
        let rows = live.rows(None);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2].row.preview, "j");
        assert_eq!(live.evicted, 7);
        assert!(live.detail(rows[0].seq - 1).is_none());
        let note = live.dropped_note().unwrap();
        assert!(note.contains("7 older frames"), "{note}");
        assert!(note.contains("5 feed events"), "{note}");
        live.clear();
        assert_eq!(live.rows(None).len(), 0);
        assert_eq!(live.dropped_note(), None);
        assert!(live.conn(1).is_some(), "an open connection stays listed");
    }

    #[test]
    fn open_close_and_problems_are_listed() {
        let mut live = Live::default();
        live.push_line(r#"{"event":"hello","data":{"v":1,"relays":[{"listen":"127.0.0.1:9001","upstream":"ws://127.0.0.1:8888"}],"keep":4096,"inject":true}}"#);
        assert_eq!(live.relays, ["127.0.0.1:9001 → ws://127.0.0.1:8888"]);
        assert!(live.inject_allowed);
        for l in feed_lines(3, &conversation()[..2]) {
            live.push_line(&l);
        }
        assert!(live.conn(3).unwrap().open);
        live.push_line(r#"{"v":1,"connection":3,"time":5,"event":"closed","data":{"client_bytes":1,"server_bytes":2,"error":"reset"}}"#);
        assert!(!live.conn(3).unwrap().open);
        assert_eq!(live.conn(3).unwrap().error.as_deref(), Some("reset"));
        live.push_line(r#"{"v":1,"connection":4,"time":5,"event":"upstream_error","data":{"client":"127.0.0.1:1","upstream":"ws://127.0.0.1:9","error":"connection refused"}}"#);
        assert!(
            live.notes[0].contains("connection refused"),
            "{:?}",
            live.notes
        );
        assert_eq!(live.push_line("not json"), Change::None);
        assert_eq!(live.bad_lines, 1);
        // Connections beyond the list's bound push out the oldest closed one.
        for id in 100..100 + MAX_CONNS as u64 {
            live.push_line(&format!(
                r#"{{"v":1,"connection":{id},"time":5,"event":"open","data":{{}}}}"#
            ));
        }
        assert_eq!(live.conns().len(), MAX_CONNS);
        assert!(live.conn(3).is_none());
    }

    #[test]
    fn a_reconnected_feed_replays_its_backlog_without_doubling_frames() {
        let hello = r#"{"event":"hello","data":{"v":1,"relays":[],"keep":4096}}"#;
        let mut live = Live::default();
        for _ in 0..2 {
            live.push_line(hello);
            for l in feed_lines(5, &conversation()) {
                live.push_line(&l);
            }
        }
        assert_eq!(live.rows(None).len(), 4);
        assert_eq!(live.conn(5).unwrap().frames, [3, 1]);
        assert_eq!(live.rows(None)[0].seq, 4, "seqs are never reused");
    }

    #[test]
    fn injected_frames_are_marked() {
        let mut live = Live::default();
        let mut lines = feed_lines(2, &conversation()[..3]);
        let at = REQUEST.len();
        let frame_line = lines
            .iter()
            .position(|l| l.contains(r#""event":"frame""#))
            .unwrap();
        lines.insert(frame_line, format!(r#"{{"v":1,"connection":2,"time":5,"event":"injected","data":{{"direction":"client","offset":{at},"len":11}}}}"#));
        for l in &lines {
            live.push_line(l);
        }
        let rows = live.rows(Some(2));
        assert_eq!(rows.len(), 1, "{lines:#?}");
        assert!(rows[0].injected);
        assert_eq!(live.conn(2).unwrap().injected, 1);
        // The frame line's own mark is enough.
        let mut live = Live::default();
        for l in feed_lines(2, &conversation()[..3]) {
            let l = l.replace(r#""event":"frame""#, r#""event":"frame","injected":true"#);
            live.push_line(&l);
        }
        assert!(live.rows(Some(2))[0].injected);
    }

    #[test]
    fn client_inputs_are_checked() {
        assert_eq!(parse_hex("81 05").unwrap(), [0x81, 0x05]);
        assert!(parse_hex("8g").is_err());
        assert_eq!(close_code("").unwrap(), None);
        assert_eq!(close_code("1000").unwrap(), Some(1000));
        assert_eq!(close_code("4001").unwrap(), Some(4001));
        assert!(close_code("1001").unwrap_err().contains("3000-4999"));
        assert!(close_reason(&"x".repeat(124)).is_err());
        let cmd = Inject {
            connection: 1,
            direction: Direction::Client,
            kind: InjectKind::Text,
            payload: "6869".into(),
        };
        let json = serde_json::to_string(&cmd).unwrap();
        assert_eq!(serde_json::from_str::<Inject>(&json).unwrap(), cmd);
    }
}
