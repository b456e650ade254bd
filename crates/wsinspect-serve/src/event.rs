//! What the feed and the JSON-lines recording say, one JSON object per line (docs/live.md):
//! the core's session events with the connection's id (the same lines as `wsinspect pcap
//! --jsonl`), and the relay's own events (`open`, `chunk`, `host_rewritten`, `upstream_error`,
//! `refused`, `closed`), each with its connection id and a microsecond-exact timestamp.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use wsinspect_core::common::Direction;
use wsinspect_core::session::{Event, EventKind, Session, SessionConfig, Timestamp};

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
    to_json(v).into()
}

fn to_json<T: Serialize>(v: &T) -> String {
    // Our own types always serialise.
    serde_json::to_string(v).unwrap_or_default()
}

/// The fewest payload bytes whose hex [`deferred_session_line`] defers.
const DEFER_FROM: usize = 1024;

/// The line of a session event that is the relay's own (so its payload's bytes can be kept
/// as they are): a frame's or a message's payload hex is written only when the line is read
/// (`line`), the same text as [`session_line`] gives.
fn deferred_session_line(connection: ConnId, mut event: Event, injected: bool) -> Line {
    let payload = match &mut event.kind {
        EventKind::Frame(f) => Some(&mut f.payload.kept.0),
        EventKind::Message(m) => Some(&mut m.payload.kept.0),
        _ => None,
    };
    // A small payload is written at once: deferring it saves less than it costs (its bytes
    // would outlive the event in the backlog instead of going back to the allocator hot).
    let kept = match payload {
        Some(kept) if kept.len() >= DEFER_FROM => std::mem::take(kept),
        _ => Vec::new(),
    };
    let json = to_json(&SessionLine {
        connection,
        event: &event,
        injected,
    });
    if kept.is_empty() {
        return json.into();
    }
    // In serde_json's output `"kept":""` can only be a key `kept` with an empty string (a
    // quote inside a string is escaped); the one the payload left empty, when there is one.
    const EMPTY: &str = r#""kept":"""#;
    let at = match (json.find(EMPTY), json.rfind(EMPTY)) {
        (Some(i), Some(j)) if i == j => Some(i + EMPTY.len() - 1),
        _ => None,
    };
    let back = match at {
        Some(at) => match Line::with_hex(json, at, kept) {
            Ok(line) => return line,
            Err((_, kept)) => kept,
        },
        None => kept,
    };
    // Not found once (the event's shape changed): serialise it whole.
    match &mut event.kind {
        EventKind::Frame(f) => f.payload.kept.0 = back,
        EventKind::Message(m) => m.payload.kept.0 = back,
        _ => {}
    }
    to_line(&SessionLine {
        connection,
        event: &event,
        injected,
    })
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
            let injected = matches!(e.kind, EventKind::Frame(_))
                && match self.injected[i].iter().position(|&o| o == e.start) {
                    Some(k) => {
                        self.injected[i].swap_remove(k);
                        true
                    }
                    None => false,
                };
            out.push(deferred_session_line(self.id, e, injected));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::stream::{Keep, Retain};

    const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
    const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

    /// A frame from `direction` (client frames masked).
    fn frame(direction: Direction, first: u8, payload: &[u8]) -> Vec<u8> {
        let mask = direction == Direction::Client;
        let mut f = vec![first];
        let m = if mask { 0x80 } else { 0 };
        match payload.len() {
            0..=125 => f.push(m | payload.len() as u8),
            n => {
                f.push(m | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        let key = [0x11, 0x7f, 0x80, 0x3c];
        if mask {
            f.extend_from_slice(&key);
        }
        f.extend(
            payload
                .iter()
                .enumerate()
                .map(|(i, b)| if mask { b ^ key[i % 4] } else { *b }),
        );
        f
    }

    fn config(keep: usize) -> SessionConfig {
        SessionConfig {
            retain: Retain {
                frames: Keep::Prefix(keep),
                messages: Keep::Prefix(keep),
            },
            ..SessionConfig::default()
        }
    }

    /// Both directions of a connection with quotes, escapes and UTF-8 in payloads and close
    /// reasons (one says `"kept":""`), fragments, a control frame inside a message, a
    /// compressed message (RFC 7692 §7.2.3.1's "Hello"), invalid UTF-8 and an empty frame.
    fn traffic() -> [(Direction, Vec<u8>); 2] {
        use Direction::{Client, Server};
        let mut client = REQUEST.to_vec();
        client.extend(frame(Client, 0x81, br#"{"say":"\"quoted\" \\ back"}"#));
        client.extend(frame(Client, 0x01, "part é ".as_bytes()));
        client.extend(frame(Client, 0x89, b"ping in between"));
        client.extend(frame(Client, 0x80, "and ✓ the rest".as_bytes()));
        client.extend(frame(Client, 0x82, &(0..=255).collect::<Vec<u8>>()));
        client.extend(frame(Client, 0x81, &[0xff, 0xfe, b'"']));
        client.extend(frame(Client, 0x82, &[]));
        client.extend(frame(Client, 0x82, &[b'"'; 1500]));
        let mut close = 1000u16.to_be_bytes().to_vec();
        close.extend_from_slice(br#"bye "kept":"" </script>"#);
        client.extend(frame(Client, 0x88, &close));
        let mut server = RESPONSE.to_vec();
        server.extend([0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        server.extend(frame(Server, 0x81, &[b'x'; 300]));
        server.extend(frame(Server, 0x81, "\\ é".repeat(1000).as_bytes()));
        server.extend(frame(Server, 0x88, &close));
        [(Client, client), (Server, server)]
    }

    #[test]
    fn deferred_lines_are_the_bytes_the_whole_events_serialise_to() {
        for keep in [0, 5, 1500, 4096] {
            let mut tap = Tap::new(ConnId(9), config(keep));
            let mut twin = Session::new(config(keep));
            let mut lines = Vec::new();
            let mut expected = Vec::new();
            let t = Timestamp(1_700_000_000_000_000);
            let [client, server] = traffic();
            // The client's text frame after the head is marked injected.
            tap.injected(Direction::Client, REQUEST.len() as u64);
            for (direction, bytes) in [&client, &server] {
                // In uneven pieces, so frames end inside chunks and across them.
                for piece in bytes.chunks(37) {
                    tap.chunk(*direction, piece, t, &mut lines);
                    twin.feed(*direction, piece, Some(t));
                }
            }
            for (direction, _) in [&client, &server] {
                tap.end(*direction, t, &mut lines);
                twin.finish(*direction, Some(t));
            }
            while let Some(e) = twin.poll_event() {
                let injected = e.direction == Direction::Client
                    && e.start == REQUEST.len() as u64
                    && matches!(e.kind, EventKind::Frame(_));
                expected.push(to_json(&SessionLine {
                    connection: ConnId(9),
                    event: &e,
                    injected,
                }));
            }
            // Counted before anything reads them (the relay's own lines are never deferred).
            let deferred = lines.iter().filter(|l| l.is_deferred()).count();
            let lens: Vec<usize> = lines.iter().map(|l| l.len()).collect();
            let session: Vec<&Line> = lines
                .iter()
                .filter(|l| !l.starts_with(r#"{"v":1,"#))
                .collect();
            let lens: Vec<usize> = lines
                .iter()
                .zip(lens)
                .filter(|(l, _)| !l.starts_with(r#"{"v":1,"#))
                .map(|(_, n)| n)
                .collect();
            let got: Vec<&str> = session.iter().map(|l| l.as_str()).collect();
            assert_eq!(got, expected, "keep {keep}");
            assert_eq!(
                lens,
                expected.iter().map(String::len).collect::<Vec<_>>(),
                "keep {keep}: lengths known before the hex was written"
            );
            // Frames and messages that kept DEFER_FROM bytes or more were deferred, the rest
            // were not.
            let large = expected
                .iter()
                .filter(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    let kept = v["data"]["payload"]["kept"].as_str().map_or(0, str::len);
                    kept >= 2 * DEFER_FROM
                })
                .count();
            assert_eq!(deferred, large, "keep {keep}");
            assert_eq!(deferred > 0, keep >= DEFER_FROM, "keep {keep}");
            assert!(expected.iter().any(|l| l.contains(r#""injected":true"#)));
            assert!(expected.iter().any(|l| l.contains(r#"\"kept\":\"\""#)));
        }
    }
}
