//! Why a connection failed: diagnoses built from a connection's session events and how each
//! TCP direction ended, each with one sentence naming the cause and what to change, the evidence
//! (direction, frame, offset, time) and what the common clients print for it; and each peer's
//! conformance verdict per class of rules.
//!
//! Sans-IO and incremental: a [`Diagnoser`] is fed the [`Event`]s of one connection as they come
//! (it keeps a few facts per direction, never the frames, so a 1 GB capture costs the same as a
//! small one), then [`Diagnoser::finish`] with the [`TcpEnds`] gives the [`DiagnoseReport`].
//! The rules that detect a violation are the finding rules and handshake checks; a diagnosis
//! names the cause and the remedy, built from them. The table of diagnoses, with the clients'
//! texts, is [`table::DIAGNOSES`]; [`explain`] matches a client's error text to it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::common::Direction;
use crate::finding::Finding;
use crate::finding::Severity;
use crate::handshake::{self, HandshakeReport};
use crate::session::{Event, EventKind, HttpHead, Timestamp, Upgrade};
use crate::stream::event::{CloseInfo, FrameEvent, Incomplete};
use crate::stream::report::{FrameReport, StreamReport};
use crate::wire::codes::OpCode;
use crate::wire::header::Header;

pub mod conformance;
pub mod explain;
pub mod hops;
mod opening;
pub mod table;

pub use conformance::{Class, ClassVerdict, Conformance, PeerConformance, Verdict};
pub use hops::{HopLog, HopRequest};
pub use opening::handshake_diagnoses;
pub use table::{Client, ClientPrint, DiagnosisDef, DiagnosisId, DIAGNOSES};

/// How one TCP direction ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndHow {
    /// This side sent a FIN.
    Fin,
    /// This side sent a RST.
    Rst,
    /// The other side's RST ended it.
    PeerRst,
    /// Still open when the capture ended.
    Open,
    /// Not known (pasted input, a recording without TCP).
    #[default]
    Unknown,
}

/// How and when one direction ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpEnd {
    /// How.
    pub how: EndHow,
    /// The time of the FIN or RST (for [`EndHow::Open`], of the capture's last packet).
    pub time: Option<Timestamp>,
}

/// How both directions of a connection ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpEnds {
    /// The client's direction.
    pub client: TcpEnd,
    /// The server's direction.
    pub server: TcpEnd,
}

impl TcpEnds {
    /// Not known (pasted input).
    pub const UNKNOWN: TcpEnds = TcpEnds {
        client: TcpEnd {
            how: EndHow::Unknown,
            time: None,
        },
        server: TcpEnd {
            how: EndHow::Unknown,
            time: None,
        },
    };

    fn of(&self, d: Direction) -> TcpEnd {
        match d {
            Direction::Server => self.server,
            _ => self.client,
        }
    }
}

/// One piece of evidence: where to look.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Whose bytes.
    pub direction: Direction,
    /// The frame's index in that direction, when it is about a frame.
    pub frame: Option<u64>,
    /// The byte offset in that direction's stream.
    pub offset: Option<u64>,
    /// When.
    pub time: Option<Timestamp>,
    /// What it shows.
    pub what: String,
    /// Another connection of the same capture it is about (the proxy's other hop), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<u64>,
}

/// A diagnosis of one connection.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnosis {
    /// Which (serialised as its id).
    pub id: DiagnosisId,
    /// How bad.
    pub severity: Severity,
    /// One sentence: the cause and what to change.
    pub message: String,
    /// Where it shows.
    pub evidence: Vec<Evidence>,
    /// What the common clients print for it.
    pub clients_print: &'static [ClientPrint],
}

impl Diagnosis {
    fn new(id: DiagnosisId, message: String, evidence: Vec<Evidence>) -> Diagnosis {
        Diagnosis {
            id,
            severity: id.def().severity,
            message,
            evidence,
            clients_print: id.def().clients,
        }
    }
}

/// What [`Diagnoser::finish`] gives.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DiagnoseReport {
    /// The diagnoses, causes first.
    pub diagnoses: Vec<Diagnosis>,
    /// Each peer's conformance.
    pub conformance: Conformance,
}

/// A frame, remembered by where it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At {
    pub(crate) index: u64,
    pub(crate) offset: u64,
    pub(crate) time: Option<Timestamp>,
}

impl At {
    fn evidence(self, d: Direction, what: String) -> Evidence {
        Evidence {
            direction: d,
            frame: Some(self.index),
            offset: Some(self.offset),
            time: self.time,
            what,
            connection: None,
        }
    }
}

/// What the diagnoses and the conformance classes need of one frame, from a session's
/// [`FrameEvent`] or a decoded [`FrameReport`].
pub(crate) struct FrameFacts<'a> {
    pub(crate) at: At,
    pub(crate) header: &'a Header,
    pub(crate) payload: &'a [u8],
    pub(crate) close: Option<&'a CloseInfo>,
    pub(crate) findings: &'a [Finding],
}

impl<'a> FrameFacts<'a> {
    fn of_event(f: &'a FrameEvent, time: Option<Timestamp>) -> FrameFacts<'a> {
        FrameFacts {
            at: At {
                index: f.index,
                offset: f.offset,
                time,
            },
            header: &f.header,
            payload: &f.payload.kept.0,
            close: f.close.as_deref(),
            findings: &f.findings,
        }
    }

    fn of_report(f: &'a FrameReport) -> FrameFacts<'a> {
        FrameFacts {
            at: At {
                index: f.index as u64,
                offset: f.offset,
                time: None,
            },
            header: &f.header,
            payload: &f.payload,
            close: f.close.as_ref(),
            findings: &f.findings,
        }
    }
}

/// The most pings remembered per direction while they wait for their pong.
const MAX_PINGS: usize = 16;
/// A gap this long before TCP ends is called idle.
const IDLE_NS: u64 = 2_000_000_000;
/// A close frame is called unanswered when its sender waited at least this long for the answer
/// before ending TCP itself.
const ANSWER_WAIT_NS: u64 = 1_000_000_000;
/// A ping is called unanswered when its side gave up at least this long after it.
const PING_WAIT_NS: u64 = 500_000_000;

/// What is kept per direction.
#[derive(Default)]
struct Side {
    frames: u64,
    last: Option<At>,
    close: Option<(At, Option<u16>, String)>,
    text_like: Option<(At, String)>,
    rsv1_unnegotiated: Option<At>,
    rsv1_control: Option<(At, u8)>,
    pings: Vec<(At, Vec<u8>)>,
}

/// The handshake, once analysed: the report, where the response starts, and when.
struct Handshake {
    report: Arc<HandshakeReport>,
    start: u64,
    time: Option<Timestamp>,
}

/// Diagnoses one connection from its events (see the module docs).
pub struct Diagnoser {
    request: Option<HttpHead>,
    request_time: Option<Timestamp>,
    response: Option<(HttpHead, u64, Option<Timestamp>)>,
    handshake: Option<Box<Handshake>>,
    accepted: bool,
    body: u64,
    /// The first bytes of the server's HTTP body (a refusal's text).
    body_text: Vec<u8>,
    /// Fed session events (so the body is known), not a decoded stream.
    events: bool,
    deflate: bool,
    client: Side,
    server: Side,
    last_activity: Option<Timestamp>,
    gaps: bool,
    conformance: conformance::Tracker,
}

impl Default for Diagnoser {
    fn default() -> Self {
        Diagnoser::new()
    }
}

impl Diagnoser {
    /// A diagnoser for one connection.
    pub fn new() -> Diagnoser {
        Diagnoser {
            request: None,
            request_time: None,
            response: None,
            handshake: None,
            // Until an upgrade event says otherwise (a capture that joined after it).
            accepted: true,
            body: 0,
            body_text: Vec::new(),
            events: false,
            deflate: false,
            client: Side::default(),
            server: Side::default(),
            last_activity: None,
            gaps: false,
            conformance: conformance::Tracker::default(),
        }
    }

    fn side(&mut self, d: Direction) -> &mut Side {
        match d {
            Direction::Server => &mut self.server,
            _ => &mut self.client,
        }
    }

    /// Take the next event of the connection.
    pub fn push(&mut self, e: &Event) {
        self.events = true;
        match &e.kind {
            EventKind::Request(h) => {
                self.request = Some(h.clone());
                self.request_time = e.time;
            }
            EventKind::Response(h) => self.response = Some((h.clone(), e.start, e.time)),
            EventKind::Upgrade(u) => self.upgrade(u, e.time),
            EventKind::Body { len, prefix } => {
                self.body += len;
                if e.direction == Direction::Server {
                    let room = crate::session::BODY_PREFIX.saturating_sub(self.body_text.len());
                    let take = prefix.0.len().min(room);
                    self.body_text.extend_from_slice(&prefix.0[..take]);
                }
            }
            EventKind::Frame(f) => self.frame(e.direction, &FrameFacts::of_event(f, e.time)),
            EventKind::Message(m) => {
                self.conformance
                    .message(e.direction, m.opcode, m.frames, m.compressed)
            }
            EventKind::Gap { .. } => self.gaps = true,
            EventKind::Finding(f) => self.conformance.finding(e.direction, f, None, e.start),
            EventKind::End {
                incomplete: Some(i),
            } => self.incomplete(e.direction, i, e.time),
            EventKind::End { incomplete: None } => {}
        }
    }

    /// Take a stream decoded elsewhere (a pasted stream: one direction, no times), with its
    /// handshake if it had one.
    pub fn push_stream(
        &mut self,
        handshake: Option<&HandshakeReport>,
        frames: Option<&StreamReport>,
    ) {
        if let Some(h) = handshake {
            self.accepted = h.response.as_ref().is_none_or(|r| r.status == 101);
            self.deflate = h.permessage_deflate.is_some();
            let start = h.response.as_ref().map_or(0, |r| r.head.start as u64);
            self.handshake = Some(Box::new(Handshake {
                report: Arc::new(h.clone()),
                start,
                time: None,
            }));
        }
        let Some(r) = frames else { return };
        // The decoder's own extensions (an assumed offer, or ones given by hand) count as
        // negotiated: its compressed frames say it had them.
        self.deflate |= r.frames.iter().any(|f| f.compressed);
        for f in &r.frames {
            self.frame(r.direction, &FrameFacts::of_report(f));
        }
        for m in &r.messages {
            let n = m.frames.len() as u64;
            self.conformance
                .message(r.direction, m.opcode.0, n, m.compressed);
        }
        if let Some(i) = &r.incomplete {
            self.incomplete(r.direction, i, None);
        }
    }

    /// Take a whole message recorded without its frames (a HAR's): what it exercises and
    /// the findings made on it, for the conformance.
    pub fn push_message(&mut self, d: Direction, opcode: u8, findings: &[Finding]) {
        if opcode < 8 {
            self.conformance.message(d, opcode, 1, false);
        }
        for f in findings {
            self.conformance.finding(d, f, None, 0);
        }
    }

    /// The frame a direction ended inside: its findings count, and its first bytes may be
    /// text (a short text after the 101 is one incomplete "frame").
    fn incomplete(&mut self, d: Direction, i: &Incomplete, time: Option<Timestamp>) {
        for f in &i.findings {
            self.conformance.finding(d, f, None, i.offset);
        }
        let s = self.side(d);
        let (Some(header), None) = (&i.header, &s.text_like) else {
            return;
        };
        let facts = FrameFacts {
            at: At {
                index: s.frames,
                offset: i.offset,
                time,
            },
            header,
            payload: &i.first_bytes,
            close: None,
            findings: &i.findings,
        };
        let suspicious =
            header.rsv1 || header.rsv2 || header.rsv3 || OpCode(header.opcode).is_reserved();
        if suspicious {
            if let Some(text) = text_like(&facts) {
                s.text_like = Some((facts.at, text));
            }
        }
    }

    fn upgrade(&mut self, u: &Upgrade, time: Option<Timestamp>) {
        self.deflate = u.deflate.is_some();
        self.accepted = u.accepted;
        self.last_activity = time.or(self.last_activity);
        if !u.assumed {
            if let (Some(req), Some((res, start, rtime))) = (&self.request, &self.response) {
                // The session's own analysis of these heads, when the event carries it.
                let report = u.report.clone().unwrap_or_else(|| {
                    let mut both = req.raw.0.clone();
                    both.extend_from_slice(&res.raw.0);
                    Arc::new(handshake::analyze(&both))
                });
                self.handshake = Some(Box::new(Handshake {
                    report,
                    start: *start,
                    time: *rtime,
                }));
            }
        }
        // The heads are not needed any more.
        self.request = None;
        self.response = None;
    }

    fn frame(&mut self, d: Direction, f: &FrameFacts<'_>) {
        self.conformance.frame(d, f);
        let at = f.at;
        let deflate = self.deflate;
        if at.time.is_some() {
            self.last_activity = at.time;
        }
        let s = self.side(d);
        s.frames += 1;
        s.last = Some(at);
        let h = f.header;
        let protocol_error = f
            .findings
            .iter()
            .any(|x| x.severity == Severity::Error && x.rule.def().is_protocol_rule());
        if s.text_like.is_none() && protocol_error {
            if let Some(text) = text_like(f) {
                s.text_like = Some((at, text));
            }
        }
        let explained = s
            .text_like
            .as_ref()
            .is_some_and(|(t, _)| t.index == at.index);
        if h.rsv1 && !explained {
            if h.opcode >= 8 {
                s.rsv1_control.get_or_insert((at, h.opcode));
            } else if !deflate {
                s.rsv1_unnegotiated.get_or_insert(at);
            }
        }
        match h.opcode {
            8 if s.close.is_none() => {
                let code = f.close.and_then(|c| c.code);
                let reason = f.close.and_then(|c| c.reason.clone()).unwrap_or_default();
                s.close = Some((at, code, reason));
            }
            9 if s.pings.len() < MAX_PINGS => s.pings.push((at, f.payload.to_vec())),
            10 => {
                let other = self.side(other(d));
                if let Some(i) = other.pings.iter().position(|(_, p)| p == f.payload) {
                    // A pong answers its ping and every earlier one.
                    other.pings.drain(..=i);
                }
            }
            _ => {}
        }
    }

    /// The connection ended: its diagnoses and conformance.
    pub fn finish(self, ends: &TcpEnds) -> DiagnoseReport {
        let mut out = Vec::new();
        if let Some(h) = &self.handshake {
            // The body is known when the connection's events were read (not for a pasted or
            // HAR handshake, whose body is not given).
            let body = self.events.then_some((self.body, &self.body_text[..]));
            out = handshake_diagnoses(&h.report, h.start, h.time, body);
        }
        for d in [Direction::Server, Direction::Client] {
            self.frame_diagnoses(d, &mut out);
        }
        for d in [Direction::Client, Direction::Server] {
            self.pings(d, ends, &mut out);
        }
        if out.is_empty() && self.accepted && !self.gaps {
            self.tcp_end(ends, &mut out);
        }
        let conformance = self.conformance.finish(&out);
        DiagnoseReport {
            diagnoses: out,
            conformance,
        }
    }

    /// [`Diagnoser::finish`], with the capture's recent requests that dropped the upgrade
    /// (`hops`): a refused upgrade of this connection (`me`) whose request went on to the
    /// backend without it is linked to that other connection (see [`hops`]).
    pub fn finish_linked(self, ends: &TcpEnds, me: u64, hops: &HopLog) -> DiagnoseReport {
        let link = self.hop(me, hops).cloned();
        let status = self
            .handshake
            .as_ref()
            .and_then(|h| h.report.response.as_ref())
            .map_or(0, |r| r.status);
        let mut r = self.finish(ends);
        if let Some(hop) = link {
            opening::link_hop(&mut r.diagnoses, status, &hop);
        }
        r
    }

    /// The other hop of this connection's refused upgrade, if the log has it.
    fn hop<'a>(&self, me: u64, hops: &'a HopLog) -> Option<&'a HopRequest> {
        let h = self.handshake.as_ref()?;
        let res = h.report.response.as_ref()?;
        let req = h.report.request.as_ref()?;
        if res.status == 101 {
            return None;
        }
        hops.find(me, &req.target, self.request_time?, h.time?)
    }

    fn frame_diagnoses(&self, d: Direction, out: &mut Vec<Diagnosis>) {
        let s = match d {
            Direction::Server => &self.server,
            _ => &self.client,
        };
        if let Some((at, text)) = &s.text_like {
            out.push(Diagnosis::new(
                DiagnosisId::HttpAfterUpgrade,
                format!(
                    "The {d} wrote text onto the upgraded connection (`{text}`), which reads as a frame with reserved bits set (0x48 'H' is RSV1 + opcode 8); write only WebSocket frames after the 101, through the WebSocket library."
                ),
                vec![at.evidence(d, format!("frame {} starts with the text `{text}`", at.index))],
            ));
        }
        if let Some(at) = s.rsv1_unnegotiated {
            out.push(Diagnosis::new(
                DiagnosisId::Rsv1Unnegotiated,
                format!(
                    "The {d} set RSV1 (compressed) on frame {} although no extension was negotiated; compress only after the 101 accepted permessage-deflate (or turn compression off, or let the proxy pass Sec-WebSocket-Extensions).",
                    at.index
                ),
                vec![at.evidence(d, "RSV1 set, no extension in the 101".into())],
            ));
        }
        if let Some((at, op)) = s.rsv1_control {
            let name = OpCode(op).label();
            out.push(Diagnosis::new(
                DiagnosisId::Rsv1OnControlFrame,
                format!(
                    "The {d} set RSV1 on a {name} frame (frame {}), but control frames are never compressed (RFC 7692 §6.1); set RSV1 only on the first frame of a compressed text or binary message.",
                    at.index
                ),
                vec![at.evidence(d, format!("RSV1 set on a {name} frame"))],
            ));
        }
    }

    fn pings(&self, pinger: Direction, ends: &TcpEnds, out: &mut Vec<Diagnosis>) {
        let s = match pinger {
            Direction::Server => &self.server,
            _ => &self.client,
        };
        let Some((at, _)) = s.pings.first() else {
            return;
        };
        let peer = other(pinger);
        // What followed: the pinger's close after the ping, or the end of TCP.
        let close = s.close.as_ref().filter(|(c, ..)| c.index > at.index);
        let tcp = [ends.of(pinger), ends.of(peer)]
            .into_iter()
            .filter(|e| matches!(e.how, EndHow::Fin | EndHow::Rst))
            .min_by_key(|e| e.time);
        let gave_up = close.map(|(c, ..)| c.time).or(tcp.map(|e| e.time));
        let Some(gave_up) = gave_up else { return };
        let waited = match (at.time, gave_up) {
            (Some(a), Some(b)) => Some(b.0.saturating_sub(a.0)),
            _ => None,
        };
        if waited.is_some_and(|w| w < PING_WAIT_NS) || (waited.is_none() && close.is_none()) {
            return;
        }
        let mut evidence =
            vec![at.evidence(pinger, "a ping; no pong with its payload followed".into())];
        let followed = match close {
            Some((c, code, reason)) => {
                evidence.push(c.evidence(pinger, close_text(*code, reason)));
                format!("then it closed ({})", close_text(*code, reason))
            }
            None => "then TCP ended".into(),
        };
        let wait = waited.map_or(String::new(), |w| format!(" within {}", secs(w)));
        out.push(Diagnosis::new(
            DiagnosisId::PingUnanswered,
            format!(
                "The {peer} never answered the {pinger}'s ping (frame {}) with a pong{wait}, {followed}; make the {peer} answer every ping with a pong carrying its payload (keep its event loop free to read).",
                at.index
            ),
            evidence,
        ));
    }

    fn tcp_end(&self, ends: &TcpEnds, out: &mut Vec<Diagnosis>) {
        // The side that ended TCP first (a RST wins a tie).
        let first = [Direction::Client, Direction::Server]
            .into_iter()
            .filter(|d| matches!(ends.of(*d).how, EndHow::Fin | EndHow::Rst))
            .min_by_key(|d| {
                let e = ends.of(*d);
                (e.time.map_or(u64::MAX, |t| t.0), e.how != EndHow::Rst)
            });
        let Some(closer) = first else { return };
        let end = ends.of(closer);
        let how = if end.how == EndHow::Rst { "RST" } else { "FIN" };
        let end_ev = Evidence {
            direction: closer,
            frame: None,
            offset: None,
            time: end.time,
            what: format!("the {closer} ended TCP ({how})"),
            connection: None,
        };
        match (&self.client.close, &self.server.close) {
            (None, None) => {
                let idle = match (self.last_activity, end.time) {
                    (Some(a), Some(b)) if b.0 >= a.0 => Some(b.0 - a.0),
                    _ => None,
                };
                let mut evidence = self.last_frames();
                evidence.push(end_ev);
                if let Some(gap) = idle.filter(|g| *g >= IDLE_NS) {
                    out.push(Diagnosis::new(
                        DiagnosisId::IdleTimeout,
                        format!(
                            "The connection was idle for {}, then the {closer} ended TCP ({how}) without a close frame: an idle timeout closed it ({}); send a ping more often than that, or raise the timeout.",
                            secs(gap),
                            compare_timeouts(gap)
                        ),
                        evidence.clone(),
                    ));
                }
                out.push(Diagnosis::new(
                    DiagnosisId::NoCloseFrame,
                    format!(
                        "The {closer} ended TCP ({how}) without sending a close frame (clients report 1006); make it close with a close frame first, and find out why it quit."
                    ),
                    evidence,
                ));
            }
            (Some(c), None) | (None, Some(c)) => {
                let closing = if self.client.close.is_some() {
                    Direction::Client
                } else {
                    Direction::Server
                };
                let silent = other(closing);
                let (at, code, reason) = c;
                // A side that closes TCP right after its own close frame (a browser leaving the
                // page) gave the other no time to answer: not the other's fault.
                let waited = match (at.time, end.time) {
                    (Some(a), Some(b)) => b.0.saturating_sub(a.0) >= ANSWER_WAIT_NS,
                    _ => false,
                };
                if closer == closing && !waited {
                    return;
                }
                out.push(Diagnosis::new(
                    DiagnosisId::CloseNotAnswered,
                    format!(
                        "The {closing} sent a close frame ({}) and the {silent} never answered with one before the {closer} ended TCP ({how}); make the {silent} echo the close frame before closing.",
                        close_text(*code, reason)
                    ),
                    vec![at.evidence(closing, close_text(*code, reason)), end_ev],
                ));
            }
            (Some(_), Some(_)) => {}
        }
    }

    fn last_frames(&self) -> Vec<Evidence> {
        [
            (Direction::Client, &self.client),
            (Direction::Server, &self.server),
        ]
        .into_iter()
        .filter_map(|(d, s)| {
            s.last
                .map(|at| at.evidence(d, format!("the {d}'s last frame")))
        })
        .collect()
    }
}

/// Diagnose a whole connection's events at once.
pub fn diagnose<'a>(events: impl IntoIterator<Item = &'a Event>, ends: &TcpEnds) -> DiagnoseReport {
    let mut d = Diagnoser::new();
    for e in events {
        d.push(e);
    }
    d.finish(ends)
}

fn other(d: Direction) -> Direction {
    match d {
        Direction::Server => Direction::Client,
        _ => Direction::Server,
    }
}

fn secs(ns: u64) -> String {
    format!("{:.1} s", ns as f64 / 1e9)
}

fn close_text(code: Option<u16>, reason: &str) -> String {
    match (code, reason) {
        (None, _) => "close frame without a code".into(),
        (Some(c), "") => format!("close {c}"),
        (Some(c), r) => format!("close {c} \"{}\"", crate::common::escape_controls(r)),
    }
}

/// The usual idle timeouts on a path: (what, seconds).
pub const IDLE_TIMEOUTS: &[(&str, u64)] = &[
    ("nginx proxy_read_timeout", 60),
    ("AWS ALB idle timeout", 60),
    ("Cloudflare", 100),
];

fn compare_timeouts(gap: u64) -> String {
    let s = gap as f64 / 1e9;
    let near: Vec<String> = IDLE_TIMEOUTS
        .iter()
        .filter(|(_, t)| (s - *t as f64).abs() <= 2.0)
        .map(|(w, t)| format!("{w} {t} s"))
        .collect();
    if !near.is_empty() {
        return format!("{} s matches {}", s.round(), near.join(" or "));
    }
    let all = IDLE_TIMEOUTS
        .iter()
        .map(|(w, t)| format!("{w} {t} s"))
        .collect::<Vec<_>>()
        .join(", ");
    let rel = if s < 60.0 {
        "shorter than the defaults"
    } else {
        "not a default"
    };
    format!("{rel}: {all}; a timeout was set to about {:.0} s", s)
}

/// The frame's first bytes as text, when they and its payload read as text.
fn text_like(f: &FrameFacts<'_>) -> Option<String> {
    let h = f.header;
    let head = h.to_bytes();
    let head = &head[..h.header_len.min(14)];
    let printable =
        |b: &u8| b.is_ascii_graphic() || *b == b' ' || *b == b'\r' || *b == b'\n' || *b == b'\t';
    if h.masked || !head.iter().all(printable) {
        return None;
    }
    let text: String = head
        .iter()
        .chain(f.payload.iter())
        .take(48)
        .take_while(|b| printable(b))
        .map(|&b| b as char)
        .collect();
    // One line: the line breaks shown as escapes.
    Some(crate::common::escape_controls(&text).replace('\n', "\\n"))
}

/// Diagnose a pasted stream: its handshake, if any, and the frames of its one direction (how
/// TCP ended is not known, so only what the bytes show).
pub fn diagnose_stream(
    handshake: Option<&HandshakeReport>,
    frames: Option<&StreamReport>,
) -> DiagnoseReport {
    let mut d = Diagnoser::new();
    d.push_stream(handshake, frames);
    d.finish(&TcpEnds::UNKNOWN)
}

/// Every diagnosis id in `report`.
pub fn ids(report: &DiagnoseReport) -> Vec<DiagnosisId> {
    report.diagnoses.iter().map(|d| d.id).collect()
}

#[cfg(test)]
mod tests;
