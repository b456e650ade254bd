//! What the feed and the JSON-lines recording say, one JSON object per line (docs/live.md):
//! the core's session events with the connection's id (the same lines as `wsinspect pcap
//! --jsonl`), and the relay's own events (`open`, `chunk`, `host_rewritten`, `upstream_error`,
//! `refused`, `closed`), each with its connection id and a microsecond-exact timestamp.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use wsinspect_core::common::Direction;
use wsinspect_core::session::{Event, Session, SessionConfig, Timestamp};

use crate::feed::Line;

/// The version of the relay's own lines; it changes when a field changes meaning or goes away.
pub const RELAY_EVENT_VERSION: u32 = 1;

/// A connection's id, unique in one run of the server (relayed and `--pcap` ones alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ConnId(pub u64);

/// Now, in nanoseconds since the epoch, to the microsecond.
pub fn now() -> Timestamp {
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    Timestamp(ns / 1_000 * 1_000)
}

/// The relay's own events.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum RelayEvent {
    /// A client connected to a relay and its upstream answered the connect.
    Open {
        /// The relay's listening address.
        listen: SocketAddr,
        /// The upstream as configured.
        upstream: String,
        /// The client's address.
        client: SocketAddr,
        /// The upstream's address the relay connected to.
        server: SocketAddr,
        /// Where the events come from: `relay` or `pcap`.
        source: &'static str,
    },
    /// The request's Host header was rewritten for the upstream (the only change ever made).
    HostRewritten {
        /// The value the client sent (`null`: it sent none, and one was added).
        from: Option<String>,
        /// The value the upstream got.
        to: String,
    },
    /// Bytes relayed: one read from one side, forwarded whole.
    Chunk {
        /// Who sent them.
        direction: Direction,
        /// Where they start in that direction's stream.
        offset: u64,
        /// How many.
        len: u64,
    },
    /// The upstream could not be reached: the client got a 502.
    UpstreamError {
        /// The client's address.
        client: SocketAddr,
        /// The upstream as configured.
        upstream: String,
        /// Why.
        error: String,
    },
    /// The request was refused before any upstream was dialled (head too large: 431, or none
    /// came).
    Refused {
        /// The client's address.
        client: SocketAddr,
        /// The status sent, if any.
        status: Option<u16>,
        /// Why.
        reason: String,
    },
    /// Bytes relayed but not decoded: the decoder was too far behind to queue them (they were
    /// forwarded and recorded all the same).
    Lost {
        /// Who sent them.
        direction: Direction,
        /// Where they start in that direction's stream.
        offset: u64,
        /// How many.
        len: u64,
    },
    /// The relay put a new message into the connection (`--allow-inject`), between whole
    /// frames; the frame's own line follows, with `"injected": true`.
    Injected {
        /// Who it was sent as.
        direction: Direction,
        /// Where it starts in that direction's stream.
        offset: u64,
        /// Its length (header included).
        len: u64,
        /// `text`, `binary` or `ping`.
        kind: crate::inject::Kind,
    },
    /// The connection is over.
    Closed {
        /// Bytes relayed from the client.
        client_bytes: u64,
        /// Bytes relayed from the server.
        server_bytes: u64,
        /// The socket error that ended it, if any.
        error: Option<String>,
    },
}

#[derive(Serialize)]
struct RelayLine<'a> {
    v: u32,
    connection: ConnId,
    time: Timestamp,
    #[serde(flatten)]
    event: &'a RelayEvent,
}

#[derive(Serialize)]
struct SessionLine<'a> {
    connection: ConnId,
    #[serde(flatten)]
    event: &'a Event,
    /// A frame the relay injected.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    injected: bool,
}

/// The line of a relay event.
pub fn relay_line(connection: ConnId, time: Timestamp, event: &RelayEvent) -> Line {
    let line = RelayLine {
        v: RELAY_EVENT_VERSION,
        connection,
        time,
        event,
    };
    to_line(&line)
}

/// The line of a session event.
pub fn session_line(connection: ConnId, event: &Event) -> Line {
    to_line(&SessionLine {
        connection,
        event,
        injected: false,
    })
}

fn to_line<T: Serialize>(v: &T) -> Line {
    // Our own types always serialise.
    serde_json::to_string(v).unwrap_or_default().into()
}

/// One connection's decoder: the core's session fed with each chunk, its events as lines.
pub struct Tap {
    id: ConnId,
    session: Session,
    offsets: [u64; 2],
    /// Where injected frames start, per direction (a few at a time).
    injected: [Vec<u64>; 2],
}

impl Tap {
    /// A decoder for connection `id`.
    pub fn new(id: ConnId, config: SessionConfig) -> Tap {
        Tap {
            id,
            session: Session::new(config),
            offsets: [0; 2],
            injected: [Vec::new(), Vec::new()],
        }
    }

    /// The connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// `bytes` relayed from `direction` at `time`: the chunk's line, then the session's.
    pub fn chunk(
        &mut self,
        direction: Direction,
        bytes: &[u8],
        time: Timestamp,
        out: &mut Vec<Line>,
    ) {
        let i = usize::from(direction == Direction::Server);
        let chunk = RelayEvent::Chunk {
            direction,
            offset: self.offsets[i],
            len: bytes.len() as u64,
        };
        self.offsets[i] += bytes.len() as u64;
        out.push(relay_line(self.id, time, &chunk));
        self.session.feed(direction, bytes, Some(time));
        self.drain(out);
    }

    /// `len` bytes of `direction` were relayed but not decoded.
    pub fn lost(&mut self, direction: Direction, len: u64, time: Timestamp, out: &mut Vec<Line>) {
        let i = usize::from(direction == Direction::Server);
        let lost = RelayEvent::Lost {
            direction,
            offset: self.offsets[i],
            len,
        };
        self.offsets[i] += len;
        out.push(relay_line(self.id, time, &lost));
        self.session.gap(direction, len, Some(time));
        self.drain(out);
    }

    /// `direction` ended (the session's `end` event says so, with the frame it ended inside).
    pub fn end(&mut self, direction: Direction, time: Timestamp, out: &mut Vec<Line>) {
        self.session.finish(direction, Some(time));
        self.drain(out);
    }

    /// The frame at `offset` of `direction` was injected: its line says so.
    pub fn injected(&mut self, direction: Direction, offset: u64) {
        let i = usize::from(direction == Direction::Server);
        self.injected[i].push(offset);
    }

    /// Bytes relayed so far: `[client, server]`.
    pub fn totals(&self) -> [u64; 2] {
        self.offsets
    }

    fn drain(&mut self, out: &mut Vec<Line>) {
        while let Some(e) = self.session.poll_event() {
            let i = usize::from(e.direction == Direction::Server);
            let injected = matches!(e.kind, wsinspect_core::session::EventKind::Frame(_))
                && match self.injected[i].iter().position(|&o| o == e.start) {
                    Some(k) => {
                        self.injected[i].swap_remove(k);
                        true
                    }
                    None => false,
                };
            out.push(to_line(&SessionLine {
                connection: self.id,
                event: &e,
                injected,
            }));
        }
    }
}
