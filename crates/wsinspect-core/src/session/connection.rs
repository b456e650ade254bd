//! A whole connection as one report: both directions' frames and messages (each a
//! [`StreamReport`]), the handshake's heads and the upgrade's outcome. Built from a session's
//! events; like `StreamReport`, it holds everything, so it is for inputs one shows whole.

use serde::Serialize;

use super::{Event, EventKind, HttpHead, Upgrade};
use crate::common::Direction;
use crate::stream::{Collector, StreamEvent, StreamReport};

/// Everything one connection held.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionReport {
    /// The client's request head.
    pub request: Option<HttpHead>,
    /// The server's response head.
    pub response: Option<HttpHead>,
    /// What the response made of the connection.
    pub upgrade: Option<Upgrade>,
    /// HTTP body bytes (after a refused upgrade), per direction: client, server.
    pub body: [u64; 2],
    /// What the client sent after its request.
    pub client: StreamReport,
    /// What the server sent after its response.
    pub server: StreamReport,
}

/// Builds a [`ConnectionReport`] from a session's events, in the order they came.
#[derive(Debug)]
pub struct ConnectionCollector {
    request: Option<HttpHead>,
    response: Option<HttpHead>,
    upgrade: Option<Upgrade>,
    body: [u64; 2],
    client: Collector,
    server: Collector,
}

impl Default for ConnectionCollector {
    fn default() -> Self {
        ConnectionCollector {
            request: None,
            response: None,
            upgrade: None,
            body: [0; 2],
            client: Collector::new(Direction::Client),
            server: Collector::new(Direction::Server),
        }
    }
}

impl ConnectionCollector {
    /// Take in the next event.
    pub fn push(&mut self, e: Event) {
        let side = usize::from(e.direction == Direction::Server);
        let stream = match e.kind {
            EventKind::Request(h) => return self.request = Some(h),
            EventKind::Response(h) => return self.response = Some(h),
            EventKind::Upgrade(u) => return self.upgrade = Some(u),
            EventKind::Body { len, .. } => return self.body[side] += len,
            EventKind::Frame(f) => StreamEvent::Frame(f),
            EventKind::Message(m) => StreamEvent::Message(m),
            EventKind::Finding(f) => StreamEvent::Finding(f),
            EventKind::Gap { len } => StreamEvent::Gap { len },
            EventKind::End { incomplete } => StreamEvent::End { incomplete },
        };
        match e.direction {
            Direction::Server => self.server.push(stream),
            _ => self.client.push(stream),
        }
    }

    /// The report.
    pub fn finish(self) -> ConnectionReport {
        ConnectionReport {
            request: self.request,
            response: self.response,
            upgrade: self.upgrade,
            body: self.body,
            client: self.client.finish(),
            server: self.server.finish(),
        }
    }
}
