//! The proxy's other hop: when one capture holds both the client's connection to a proxy and
//! the proxy's own request to the backend, a refused upgrade on the first is explained by the
//! second arriving without `Upgrade: websocket`, without `Connection: upgrade`, or as HTTP/1.0.
//!
//! The capture reader records the requests that drop the upgrade in a [`HopLog`] as their
//! heads are read (bounded: the last [`MAX_HOPS`]); when a refused connection ends, the
//! diagnoser looks there for a request to the same target made between its request and its
//! response (`Diagnoser::finish_linked`).

use std::collections::VecDeque;

use crate::common::escape_controls;
use crate::handshake::http::read_request;
use crate::session::Timestamp;

/// The most requests a [`HopLog`] remembers.
pub const MAX_HOPS: usize = 64;

/// A request head seen on a connection, as far as the hop matters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HopRequest {
    /// The connection (or other flow) it was read on.
    pub connection: u64,
    /// When its first packet came.
    pub time: Option<Timestamp>,
    /// The request line, controls escaped (at most 200 characters).
    pub line: String,
    /// The request target.
    pub target: String,
    /// HTTP/1.0 (which has no upgrade).
    pub http10: bool,
    /// An `Upgrade` field naming `websocket`.
    pub upgrade: bool,
    /// A `Connection` field with the `upgrade` token.
    pub connection_upgrade: bool,
}

/// Whether `head` is a whole HTTP/1.1 request asking for a WebSocket upgrade, as httparse reads
/// it without allocating (every WebSocket connection's request is one); false when it cannot
/// tell, and [`read_request`] reads it then.
fn upgrades(head: &[u8]) -> bool {
    let mut fields = [httparse::EMPTY_HEADER; 64];
    let mut r = httparse::Request::new(&mut fields);
    if !matches!(r.parse(head), Ok(httparse::Status::Complete(_))) || r.version != Some(1) {
        return false;
    }
    let has = |name: &str, token: &str| {
        r.headers.iter().any(|h| {
            h.name.eq_ignore_ascii_case(name)
                && core::str::from_utf8(h.value)
                    .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    has("upgrade", "websocket") && has("connection", "upgrade")
}

impl HopRequest {
    /// The request in `head` (its first bytes at least up to the blank line), read on
    /// `connection` at `time`; `None` when it is not an HTTP/1 request, or when it asks for a
    /// WebSocket upgrade (which the [`HopLog`] does not keep).
    pub fn of_head(connection: u64, head: &[u8], time: Option<Timestamp>) -> Option<HopRequest> {
        if upgrades(head) {
            // The log keeps only requests that cannot upgrade: no need to read this one whole.
            return None;
        }
        let (r, _) = read_request(head, 0);
        if r.method.is_empty() || !r.version.starts_with("HTTP/1") {
            return None;
        }
        let has = |name: &str, token: &str| {
            r.headers.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case(name)
                    && v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))
            })
        };
        let line = format!("{} {} {}", r.method, r.target, r.version);
        Some(HopRequest {
            connection,
            time,
            line: escape_controls(&line).chars().take(200).collect(),
            target: r.target.clone(),
            http10: r.version == "HTTP/1.0",
            upgrade: has("upgrade", "websocket"),
            connection_upgrade: has("connection", "upgrade"),
        })
    }

    /// Whether a WebSocket upgrade cannot happen on this request.
    pub fn drops_upgrade(&self) -> bool {
        self.http10 || !self.upgrade || !self.connection_upgrade
    }

    /// What it lacks, in words: `as HTTP/1.0, without Upgrade and Connection: upgrade`.
    pub fn dropped(&self) -> String {
        let mut missing = Vec::new();
        if !self.upgrade {
            missing.push("Upgrade: websocket");
        }
        if !self.connection_upgrade {
            missing.push("Connection: upgrade");
        }
        let mut parts = Vec::new();
        if self.http10 {
            parts.push("as HTTP/1.0".to_string());
        }
        if !missing.is_empty() {
            parts.push(format!("without {}", missing.join(" and ")));
        }
        parts.join(", ")
    }
}

/// The last [`MAX_HOPS`] requests that drop the upgrade, oldest first.
#[derive(Clone, Debug, Default)]
pub struct HopLog {
    recent: VecDeque<HopRequest>,
}

impl HopLog {
    /// Remember `r` if it drops the upgrade (forgetting the oldest beyond [`MAX_HOPS`]).
    pub fn push(&mut self, r: HopRequest) {
        if !r.drops_upgrade() {
            return;
        }
        if self.recent.len() == MAX_HOPS {
            self.recent.pop_front();
        }
        self.recent.push_back(r);
    }

    /// How many are remembered.
    pub fn len(&self) -> usize {
        self.recent.len()
    }

    /// The `i`th remembered, oldest first.
    pub fn get(&self, i: usize) -> Option<&HopRequest> {
        self.recent.get(i)
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }

    /// The request on another connection than `me` to `target`, made within `[from, to]`
    /// (the refused request and its answer): the last such one.
    pub fn find(
        &self,
        me: u64,
        target: &str,
        from: Timestamp,
        to: Timestamp,
    ) -> Option<&HopRequest> {
        self.recent.iter().rev().find(|r| {
            r.connection != me
                && r.target == target
                && r.time.is_some_and(|t| t.0 >= from.0 && t.0 <= to.0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_without_the_upgrade_is_remembered_and_found_in_its_window() {
        let plain = b"GET /echo HTTP/1.0\r\nHost: backend\r\nConnection: close\r\n\r\n";
        let r = HopRequest::of_head(2, plain, Some(Timestamp(1_500))).unwrap();
        assert!(r.http10 && !r.upgrade && !r.connection_upgrade && r.drops_upgrade());
        assert_eq!(
            r.dropped(),
            "as HTTP/1.0, without Upgrade: websocket and Connection: upgrade"
        );
        assert_eq!(r.line, "GET /echo HTTP/1.0");
        let ws =
            b"GET /echo HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n";
        assert!(
            HopRequest::of_head(3, ws, Some(Timestamp(1_600))).is_none(),
            "an upgrade request is not a dropped hop"
        );
        // One httparse cannot read whole (a field without a colon) is read leniently, and
        // still not kept when it upgrades.
        let odd =
            b"GET /echo HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nbroken\r\n\r\n";
        let w = HopRequest::of_head(3, odd, Some(Timestamp(1_600))).unwrap();
        assert!(w.upgrade && w.connection_upgrade && !w.drops_upgrade());
        let mut log = HopLog::default();
        log.push(r);
        log.push(w);
        assert_eq!(log.len(), 1, "an upgrade request is not a dropped hop");
        let t = Timestamp;
        assert_eq!(
            log.find(1, "/echo", t(1_000), t(2_000)).unwrap().connection,
            2
        );
        assert!(
            log.find(2, "/echo", t(1_000), t(2_000)).is_none(),
            "not itself"
        );
        assert!(log.find(1, "/other", t(1_000), t(2_000)).is_none());
        assert!(
            log.find(1, "/echo", t(1_600), t(2_000)).is_none(),
            "too late"
        );
        assert!(HopRequest::of_head(4, b"HTTP/1.1 200 OK\r\n\r\n", None).is_none());
    }

    #[test]
    fn the_log_is_bounded() {
        let mut log = HopLog::default();
        for i in 0..1000 {
            let r = HopRequest::of_head(i, b"GET / HTTP/1.1\r\n\r\n", None).unwrap();
            log.push(r);
        }
        assert_eq!(log.len(), MAX_HOPS);
        assert_eq!(log.recent[0].connection, 1000 - MAX_HOPS as u64);
    }
}
