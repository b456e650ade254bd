//! A whole connection: the opening handshake and both directions' frames, as timestamped
//! events (sans-IO, after quinn-proto's `Connection`).
//!
//! Call order: [`Session::feed`] with each chunk of either direction as it arrives, with the
//! caller's timestamp; [`Session::gap`] where a capture lost bytes; [`Session::finish`] when a
//! direction ends; after each call, [`Session::poll_event`] until it returns `None`. Events
//! come out as soon as they are certain, each with its direction, its byte offsets in that
//! direction's stream and the timestamp of the chunk that completed it.
//!
//! With [`SessionConfig::handshake`] set, each direction starts with an HTTP head: the
//! request, then the response, whose status decides the rest (101: frames, with the
//! negotiated extensions; anything else: an HTTP body, never frames). A direction that does not
//! start like HTTP (a capture that began mid-connection) is read as frames at once, and a
//! finding says so. Without it, both directions are frames from their first byte.
//!
//! Memory is bounded per connection: a head up to [`SessionConfig::max_head`], the client's
//! bytes waiting for the response up to the same bound, and what each [`Reader`] holds. The
//! events keep of the payloads what [`SessionConfig::retain`] says.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::common::Direction;
use crate::ext::deflate::deflate_for_decoding;
use crate::ext::extensions::parse_extensions;
use crate::ext::Deflate;
use crate::finding::{Finding, Rule};
use crate::handshake::{self, detect::starts_like_handshake, Status};
use crate::stream::event::{Bytes, FrameEvent, Incomplete, MessageEvent, StreamEvent};
use crate::stream::{Budget, DecodeConfig, Reader, Retain};

pub mod connection;
pub mod summary;

pub use connection::{ConnectionCollector, ConnectionReport};
pub use summary::{DirectionSummary, Summary};

/// The version of the event schema; it changes when a field changes meaning or goes away.
pub const EVENT_VERSION: u32 = 1;

/// The default bound on one HTTP head, and on the client bytes held until the response says
/// whether they are frames: 64 KiB.
pub const DEFAULT_MAX_HEAD: usize = 64 << 10;

/// A caller's timestamp: nanoseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// Seconds since the epoch.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

/// How a session reads its connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// Limits, and the extensions to decode with when no handshake negotiates them (or to
    /// override it when [`SessionConfig::force_extensions`] is set).
    pub decode: DecodeConfig,
    /// Each direction starts with its HTTP head.
    pub handshake: bool,
    /// Decode with `decode.deflate` whatever the handshake negotiated.
    pub force_extensions: bool,
    /// What the events keep of the payloads.
    pub retain: Retain,
    /// See [`DEFAULT_MAX_HEAD`].
    pub max_head: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            decode: DecodeConfig::default(),
            handshake: true,
            force_extensions: false,
            retain: Retain::default(),
            max_head: DEFAULT_MAX_HEAD,
        }
    }
}

/// One HTTP head of the handshake, as sent. Its start line and fields are read when asked for
/// (they are in JSON as `start_line` and `headers`): most readers of a capture never ask, and
/// reading them for every connection cost more than the rest of the head's handling.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(from = "HeadBytes")]
pub struct HttpHead {
    /// The head's exact bytes (for [`handshake::analyze`], which checks them).
    pub raw: Bytes,
}

/// What [`HttpHead`] is read back from: its bytes (the rest of its JSON is made from them).
#[derive(Deserialize)]
struct HeadBytes {
    raw: Bytes,
}

impl From<HeadBytes> for HttpHead {
    fn from(h: HeadBytes) -> Self {
        HttpHead { raw: h.raw }
    }
}

impl HttpHead {
    /// The lines of the head as text (invalid UTF-8 replaced), without their line ends.
    fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.raw.0.split(|&b| b == b'\n').map(|l| {
            let end = l.iter().rposition(|&b| b != b'\r').map_or(0, |i| i + 1);
            String::from_utf8_lossy(&l[..end]).into_owned()
        })
    }

    /// The request or status line.
    pub fn start_line(&self) -> String {
        self.lines().next().unwrap_or_default()
    }

    /// The header fields in order, names as sent, values trimmed.
    pub fn headers(&self) -> Vec<(String, String)> {
        self.lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .filter_map(|l| {
                let (n, v) = l.split_once(':')?;
                Some((n.trim().to_string(), v.trim().to_string()))
            })
            .collect()
    }
}

impl Serialize for HttpHead {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("HttpHead", 3)?;
        st.serialize_field("start_line", &self.start_line())?;
        st.serialize_field("headers", &self.headers())?;
        st.serialize_field("raw", &self.raw)?;
        st.end()
    }
}

/// What the response made of the connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upgrade {
    /// The response status (0 when no response was seen and the upgrade is assumed).
    pub status: u16,
    /// The connection switched to WebSocket: its bytes from here on are frames.
    pub accepted: bool,
    /// No response was seen: frames are read as if the request's offer had been accepted.
    pub assumed: bool,
    /// The subprotocol the server selected.
    pub subprotocol: Option<String>,
    /// The response's Sec-WebSocket-Extensions value.
    pub extensions: Option<String>,
    /// The permessage-deflate parameters the frames are decoded with.
    pub deflate: Option<Deflate>,
    /// Why the negotiated extensions could not be used (the frames are then decoded without).
    pub extensions_error: Option<String>,
    /// How the handshake checklist came out.
    pub checks: handshake::Summary,
    /// The ids of the checks that failed.
    pub failed_checks: Vec<String>,
    /// The whole analysis these fields were taken from, for readers of the event that need
    /// more of it (the diagnoser), so that a connection's handshake is analysed once. Not
    /// serialised: a reader of the JSON has the heads' bytes.
    #[serde(skip)]
    pub report: Option<Arc<handshake::HandshakeReport>>,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum EventKind {
    /// The client's HTTP request head.
    Request(HttpHead),
    /// The server's HTTP response head.
    Response(HttpHead),
    /// The outcome of the upgrade.
    Upgrade(Upgrade),
    /// HTTP body bytes (after a refused upgrade): not frames.
    Body {
        /// How many.
        len: u64,
        /// The first of them, while the side's body has given fewer than [`BODY_PREFIX`]
        /// bytes in all (what a refusal says, for its diagnosis); empty after.
        #[serde(default, skip_serializing_if = "Bytes::is_empty")]
        prefix: Bytes,
    },
    /// A frame's last byte arrived.
    Frame(FrameEvent),
    /// A message ended.
    Message(MessageEvent),
    /// A finding that belongs to no frame.
    Finding(Finding),
    /// Bytes the caller reported lost.
    Gap {
        /// How many.
        len: u64,
    },
    /// The direction ended.
    End {
        /// The frame it ended inside, if any.
        incomplete: Option<Incomplete>,
    },
}

/// One event of a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// [`EVENT_VERSION`].
    pub v: u32,
    /// The direction whose bytes it is about.
    pub direction: Direction,
    /// Where it starts in that direction's stream.
    pub start: u64,
    /// Where it ends.
    pub end: u64,
    /// The timestamp of the chunk that completed it, when the caller has times.
    pub time: Option<Timestamp>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Where one direction is.
enum Phase {
    /// Reading its HTTP head.
    Head(Vec<u8>),
    /// The request is read; its bytes after it wait for the response to say what they are.
    Waiting(Vec<u8>),
    /// Frames.
    Frames(Box<Reader>),
    /// Not frames: an HTTP body, or bytes after our head limit. Counted.
    Body,
    /// Ended.
    Done,
}

struct Side {
    direction: Direction,
    phase: Phase,
    offset: u64,
    /// Body bytes given in `Body` prefixes so far.
    body_kept: usize,
}

/// The most body bytes per side the `Body` events carry (the rest is counted only).
pub const BODY_PREFIX: usize = 512;

/// The upgrade decision, once made.
#[derive(Clone)]
enum Outcome {
    Frames(DecodeConfig),
    NotFrames,
}

/// A whole connection being read.
pub struct Session {
    config: SessionConfig,
    sides: Vec<Side>,
    events: VecDeque<Event>,
    stream_events: VecDeque<StreamEvent>,
    budget: Budget,
    request: Option<Vec<u8>>,
    /// A response head that came before the request was whole.
    deferred_response: Option<Vec<u8>>,
    outcome: Option<Outcome>,
}

impl Session {
    /// A session for one connection.
    pub fn new(config: SessionConfig) -> Session {
        Session {
            budget: Budget::new(config.decode.inflate_budget),
            config,
            sides: Vec::new(),
            events: VecDeque::new(),
            stream_events: VecDeque::new(),
            request: None,
            deferred_response: None,
            outcome: None,
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Feed the next bytes `direction` sent.
    pub fn feed(&mut self, direction: Direction, bytes: &[u8], time: Option<Timestamp>) {
        if bytes.is_empty() {
            return;
        }
        let i = self.side(direction);
        let phase = std::mem::replace(&mut self.sides[i].phase, Phase::Done);
        let phase = match phase {
            Phase::Head(buf) => self.head_bytes(i, buf, bytes, time),
            Phase::Waiting(mut pending) => {
                if pending.len() + bytes.len() > self.config.max_head {
                    let at = self.sides[i].offset;
                    self.limit_note(
                        i,
                        at,
                        time,
                        "the client's bytes after its request, waiting for the response",
                    );
                    self.body(i, &[&pending, bytes], time);
                    Phase::Body
                } else {
                    pending.extend_from_slice(bytes);
                    Phase::Waiting(pending)
                }
            }
            Phase::Frames(mut r) => {
                r.feed(bytes, &mut self.budget, &mut self.stream_events);
                self.sides[i].offset = r.offset();
                self.drain(direction, time);
                Phase::Frames(r)
            }
            Phase::Body | Phase::Done => {
                self.body(i, &[bytes], time);
                Phase::Body
            }
        };
        self.sides[i].phase = phase;
    }

    /// The first `len` bytes of `direction` were read elsewhere (a handshake the caller
    /// analysed itself): the offsets of what follows count them, and nothing decodes them. Call
    /// it before feeding that direction.
    pub fn skip(&mut self, direction: Direction, len: u64) {
        let i = self.side(direction);
        self.sides[i].offset += len;
        if let Phase::Frames(r) = &mut self.sides[i].phase {
            if r.offset() == 0 {
                let config = self.config.decode.clone();
                let fresh = Reader::new(direction, config, self.config.retain).starting_at(len);
                **r = fresh;
            }
        }
    }

    /// `len` bytes that `direction` sent were lost (a capture gap).
    pub fn gap(&mut self, direction: Direction, len: u64, time: Option<Timestamp>) {
        let i = self.side(direction);
        let phase = std::mem::replace(&mut self.sides[i].phase, Phase::Body);
        match phase {
            Phase::Frames(mut r) => {
                r.gap(len, &mut self.budget, &mut self.stream_events);
                self.sides[i].offset = r.offset();
                self.drain(direction, time);
                self.sides[i].phase = Phase::Frames(r);
            }
            _ => {
                let at = self.sides[i].offset;
                self.sides[i].offset += len;
                self.push(direction, at, at + len, time, EventKind::Gap { len });
                let f = Finding::new(Rule::BytesLost, 0).with_message(format!(
                    "{len} bytes at offset {at} were not captured before any frame could be delimited, so the rest of this direction is counted, not decoded."
                ));
                self.push(direction, at, at, time, EventKind::Finding(f));
            }
        }
    }

    /// `direction` ended (FIN, or the end of the input).
    pub fn finish(&mut self, direction: Direction, time: Option<Timestamp>) {
        let i = self.side(direction);
        let mut phase = std::mem::replace(&mut self.sides[i].phase, Phase::Done);
        if let Phase::Head(buf) = &phase {
            if !buf.is_empty() {
                // A head cut short is still shown, as far as it goes.
                let end = self.sides[i].offset + buf.len() as u64;
                self.head_event(i, &buf.clone(), end, time);
                self.sides[i].offset = end;
            }
            phase = Phase::Done;
            self.decide_deferred(time);
        }
        if let Phase::Waiting(pending) = phase {
            if self.outcome.is_none() && !self.decide_deferred(time) {
                // No response came: read the frames as if the request's offer was accepted.
                self.assume_upgrade(time);
            }
            phase = self.after_head(i, &pending, time);
        }
        if let Phase::Frames(mut r) = phase {
            r.finish(&mut self.stream_events);
            self.sides[i].offset = r.offset();
            self.drain(direction, time);
            return;
        }
        let at = self.sides[i].offset;
        let kind = EventKind::End { incomplete: None };
        self.push(direction, at, at, time, kind);
    }

    fn side(&mut self, direction: Direction) -> usize {
        if let Some(i) = self.sides.iter().position(|s| s.direction == direction) {
            return i;
        }
        let phase = if self.config.handshake {
            Phase::Head(Vec::new())
        } else {
            let config = self.config.decode.clone();
            let retain = self.config.retain;
            Phase::Frames(Box::new(Reader::new(direction, config, retain)))
        };
        self.sides.push(Side {
            direction,
            phase,
            offset: 0,
            body_kept: 0,
        });
        self.sides.len() - 1
    }

    fn reader(&self, direction: Direction, config: DecodeConfig, i: usize) -> Box<Reader> {
        let r = Reader::new(direction, config, self.config.retain);
        Box::new(r.starting_at(self.sides[i].offset))
    }

    fn push(
        &mut self,
        direction: Direction,
        start: u64,
        end: u64,
        time: Option<Timestamp>,
        kind: EventKind,
    ) {
        self.events.push_back(Event {
            v: EVENT_VERSION,
            direction,
            start,
            end,
            time,
            kind,
        });
    }

    /// Wrap the reader's events.
    fn drain(&mut self, direction: Direction, time: Option<Timestamp>) {
        while let Some(e) = self.stream_events.pop_front() {
            let (start, end, kind) = match e {
                StreamEvent::Frame(f) => (f.offset, f.end(), EventKind::Frame(f)),
                StreamEvent::Message(m) => (m.offset, m.end, EventKind::Message(m)),
                StreamEvent::Finding(f) => {
                    let at = self.offset_of(direction);
                    (at, at, EventKind::Finding(f))
                }
                StreamEvent::Gap { len } => {
                    let end = self.offset_of(direction);
                    (end - len, end, EventKind::Gap { len })
                }
                StreamEvent::End { incomplete } => {
                    let at = self.offset_of(direction);
                    (at, at, EventKind::End { incomplete })
                }
            };
            self.push(direction, start, end, time, kind);
        }
    }

    fn offset_of(&self, direction: Direction) -> u64 {
        self.sides
            .iter()
            .find(|s| s.direction == direction)
            .map_or(0, |s| s.offset)
    }

    /// Body bytes (`parts`, in order) on side `i`: counted, and the first [`BODY_PREFIX`]
    /// of the side's body kept in the event.
    fn body(&mut self, i: usize, parts: &[&[u8]], time: Option<Timestamp>) {
        let s = &mut self.sides[i];
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut prefix = Vec::new();
        for p in parts {
            let room = BODY_PREFIX - (s.body_kept + prefix.len());
            prefix.extend_from_slice(&p[..p.len().min(room)]);
        }
        s.body_kept += prefix.len();
        let at = s.offset;
        s.offset += len as u64;
        let d = s.direction;
        let len = len as u64;
        self.push(
            d,
            at,
            at + len,
            time,
            EventKind::Body {
                len,
                prefix: Bytes(prefix),
            },
        );
    }

    fn limit_note(&mut self, i: usize, at: u64, time: Option<Timestamp>, what: &str) {
        let d = self.sides[i].direction;
        let f = Finding::new(Rule::HandshakeLimit, 0).with_message(format!(
            "{what} grew beyond the {} bytes we hold, so what follows in this direction is counted, not decoded; this is our limit, not the peer's fault.",
            self.config.max_head
        ));
        self.push(d, at, at, time, EventKind::Finding(f));
    }

    /// Bytes of a direction still reading its head.
    fn head_bytes(
        &mut self,
        i: usize,
        mut buf: Vec<u8>,
        bytes: &[u8],
        time: Option<Timestamp>,
    ) -> Phase {
        let d = self.sides[i].direction;
        let searched = buf.len().saturating_sub(3);
        buf.extend_from_slice(bytes);
        if !could_be_http(&buf) {
            // The capture began after the handshake: frames from the first byte.
            let at = self.sides[i].offset;
            let f = Finding::new(Rule::NoHandshake, 0);
            self.push(d, at, at, time, EventKind::Finding(f));
            let config = self.config.decode.clone();
            let mut r = self.reader(d, config, i);
            r.feed(&buf, &mut self.budget, &mut self.stream_events);
            self.sides[i].offset = r.offset();
            self.drain(d, time);
            return Phase::Frames(r);
        }
        let Some(end) = head_end(&buf, searched) else {
            if buf.len() > self.config.max_head {
                let at = self.sides[i].offset;
                self.limit_note(i, at, time, "The HTTP head");
                self.body(i, &[&buf], time);
                return Phase::Body;
            }
            return Phase::Head(buf);
        };
        let start = self.sides[i].offset;
        self.head_event(i, &buf[..end], start + end as u64, time);
        self.sides[i].offset = start + end as u64;
        let rest = &buf[end..];
        if d == Direction::Server {
            if self.request_in_progress() {
                // The request is still arriving (chunks of the two directions interleave
                // freely): decide once it is whole, so the answer never depends on the split.
                self.deferred_response = Some(buf[..end].to_vec());
                return Phase::Waiting(rest.to_vec());
            }
            self.decide(&buf[..end], time);
        } else {
            self.decide_deferred(time);
        }
        self.after_head(i, rest, time)
    }

    /// Emit the Request or Response event for a head (the server's is the response).
    fn head_event(&mut self, i: usize, head: &[u8], end: u64, time: Option<Timestamp>) {
        let d = self.sides[i].direction;
        let start = self.sides[i].offset;
        let h = HttpHead {
            raw: Bytes(head.to_vec()),
        };
        if d == Direction::Server {
            self.push(d, start, end, time, EventKind::Response(h));
        } else {
            self.request = Some(head.to_vec());
            self.push(d, start, end, time, EventKind::Request(h));
        }
    }

    /// Where a direction goes once its head is read, with the bytes that followed it.
    fn after_head(&mut self, i: usize, rest: &[u8], time: Option<Timestamp>) -> Phase {
        let d = self.sides[i].direction;
        match self.outcome.clone() {
            None => Phase::Waiting(rest.to_vec()),
            Some(Outcome::Frames(config)) => {
                let mut r = self.reader(d, config, i);
                r.feed(rest, &mut self.budget, &mut self.stream_events);
                self.sides[i].offset = r.offset();
                self.drain(d, time);
                Phase::Frames(r)
            }
            Some(Outcome::NotFrames) => {
                if !rest.is_empty() {
                    self.body(i, &[rest], time);
                }
                Phase::Body
            }
        }
    }

    /// The response is in: decide, say so, and release the client's waiting bytes.
    fn decide(&mut self, response: &[u8], time: Option<Timestamp>) {
        let request = self.request.as_deref().unwrap_or_default();
        let mut both = Vec::with_capacity(request.len() + response.len());
        both.extend_from_slice(request);
        both.extend_from_slice(response);
        let report = handshake::analyze(&both);
        let status = report.response.as_ref().map_or(0, |r| r.status);
        let accepted = status == 101;
        let mut upgrade = upgrade_summary(&report, status, accepted, false);
        let config = self.negotiated_config(report.extensions_header.as_deref(), &mut upgrade);
        upgrade.report = Some(Arc::new(report));
        self.outcome = Some(if accepted {
            Outcome::Frames(config)
        } else {
            Outcome::NotFrames
        });
        // The response head is read by now: the event covers it.
        let end = self.offset_of(Direction::Server);
        let start = end.saturating_sub(response.len() as u64);
        self.push(
            Direction::Server,
            start,
            end,
            time,
            EventKind::Upgrade(upgrade),
        );
        self.release_waiting(time);
    }

    fn negotiated_config(&self, extensions: Option<&str>, upgrade: &mut Upgrade) -> DecodeConfig {
        let mut config = self.config.decode.clone();
        if self.config.force_extensions {
            upgrade.deflate = config.deflate;
            return config;
        }
        config.deflate = None;
        match extensions.map(deflate_for_decoding) {
            Some(Ok(d)) => config.deflate = d,
            Some(Err(e)) => upgrade.extensions_error = Some(e.to_string()),
            None => {}
        }
        upgrade.deflate = config.deflate;
        config
    }

    /// Bytes that wait for the decision (the client's after its request, the server's after
    /// a response that came before the request was whole) go on now that it is made.
    fn release_waiting(&mut self, time: Option<Timestamp>) {
        for i in 0..self.sides.len() {
            if !matches!(self.sides[i].phase, Phase::Waiting(_)) {
                continue;
            }
            if let Phase::Waiting(pending) =
                std::mem::replace(&mut self.sides[i].phase, Phase::Done)
            {
                let phase = self.after_head(i, &pending, time);
                self.sides[i].phase = phase;
            }
        }
    }

    /// Whether the client has begun its request head and not finished it.
    fn request_in_progress(&self) -> bool {
        self.sides.iter().any(|s| {
            s.direction != Direction::Server && matches!(&s.phase, Phase::Head(b) if !b.is_empty())
        })
    }

    /// Make the decision a response was waiting for; true if there was one.
    fn decide_deferred(&mut self, time: Option<Timestamp>) -> bool {
        match self.deferred_response.take() {
            Some(response) => {
                self.decide(&response, time);
                true
            }
            None => false,
        }
    }

    /// No response: the upgrade is assumed, with permessage-deflate if the request offered it.
    fn assume_upgrade(&mut self, time: Option<Timestamp>) {
        let request = self.request.clone().unwrap_or_default();
        let report = handshake::analyze(&request);
        let mut upgrade = upgrade_summary(&report, 0, true, true);
        let offered = report.request.as_ref().is_some_and(|r| {
            r.headers.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case("Sec-WebSocket-Extensions")
                    && parse_extensions(v)
                        .iter()
                        .any(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
            })
        });
        let value = offered.then_some("permessage-deflate");
        let config = self.negotiated_config(value, &mut upgrade);
        self.outcome = Some(Outcome::Frames(config));
        let at = self.offset_of(Direction::Client);
        self.push(Direction::Client, at, at, time, EventKind::Upgrade(upgrade));
    }
}

fn upgrade_summary(
    report: &handshake::HandshakeReport,
    status: u16,
    accepted: bool,
    assumed: bool,
) -> Upgrade {
    Upgrade {
        status,
        accepted,
        assumed,
        subprotocol: report.subprotocol.clone(),
        extensions: report.extensions_header.clone(),
        deflate: None,
        extensions_error: None,
        checks: report.summary,
        failed_checks: report
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.id.to_string())
            .collect(),
        report: None,
    }
}

/// Whether the bytes so far can still be the start of an HTTP head: the first line as
/// `starts_like_handshake` reads it, or, before the line is whole, anything that can still
/// become such a line. Lines of 8 KiB or more are not a head. Every prefix of a line it accepts
/// is accepted, so the answer never depends on how the bytes were split.
fn could_be_http(buf: &[u8]) -> bool {
    const LONGEST_LINE: usize = 8192;
    match buf.iter().position(|&b| b == b'\n') {
        Some(n) => n < LONGEST_LINE && starts_like_handshake(&buf[..n + 1]),
        None => {
            let start = buf.iter().position(|b| !b.is_ascii_whitespace());
            let rest = &buf[start.unwrap_or(buf.len())..];
            let prefix_of = |p: &[u8]| p.starts_with(rest) || rest.starts_with(p);
            let method = rest.iter().take_while(|b| b.is_ascii_uppercase()).count();
            let request = method == rest.len() || (method > 0 && rest[method] == b' ');
            let status = [&b"HTTP/"[..], b":method", b":status"]
                .into_iter()
                .any(prefix_of);
            buf.len() < LONGEST_LINE && (request || status)
        }
    }
}

/// The end of the head (after its blank line), searching from `from`: CRLF CRLF, or bare LFs.
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(p) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + p;
        let next = &buf[nl + 1..];
        if next.starts_with(b"\r\n") {
            return Some(nl + 3);
        }
        if next.starts_with(b"\n") {
            return Some(nl + 2);
        }
        i = nl + 1;
    }
    None
}
