//! The whole capture: packets in, one [`Session`] per WebSocket connection out, and a list of
//! the other TCP flows.
//!
//! Flows are keyed by their two endpoints; a flow starts with a SYN or with the first segment
//! that carries data, and ends when both directions' FINs are delivered, at a RST, or at the end
//! of the capture. What a flow is, is decided from the first bytes delivered (in order) in
//! either direction:
//!
//! - `16 03` (or `14`-`17` `03`: a capture begun mid-connection): TLS. Its records are read by
//!   a [`TlsConn`] (version, suite, SNI, ALPN) and, with the secrets of a key log
//!   ([`Capture::add_keylog`], or the file's Decryption Secrets Blocks), decrypted; the
//!   plaintext is then decided on like a cleartext flow's first bytes (below; but only a
//!   request makes it WebSocket, and ALPN `h2` makes it HTTP), so a wss connection is a
//!   WebSocket connection. Its [`TlsReport`] comes as a [`CaptureEvent::Tls`] before the
//!   connection's `Closed`, or in [`OtherFlow::tls`];
//! - an HTTP request line: held until the head is whole (at most
//!   [`SessionConfig::max_head`](wsinspect_core::session::SessionConfig)); with an `Upgrade`
//!   header naming `websocket` it is a WebSocket connection (the session reads the handshake,
//!   refusals included), otherwise plain HTTP, listed;
//! - a byte that can start a WebSocket frame (a known opcode, RSV2 and RSV3 clear): a
//!   WebSocket connection the capture joined after its handshake (the session says so);
//! - anything else: another protocol, listed.
//!
//! The client is the side that sent the SYN (without ACK; or the receiver of the SYN+ACK);
//! failing that, the side that sent the HTTP request; failing that, for frames, the side whose
//! first frame is masked (or the other side of an unmasked one); failing that, the side with the
//! higher port (servers usually have the lower one).
//!
//! Memory: per open flow, the two directions' out-of-order bytes (capped), the undecided first
//! bytes (at most twice `max_head`), and the session's own bounded state. Closed flows are
//! forgotten at once; flows that never close (a SYN without an answer) stay until the end.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use serde::Serialize;
use wsinspect_core::diagnose::{EndHow, HopLog, HopRequest, TcpEnd, TcpEnds};
use wsinspect_core::session::{Event, Session, SessionConfig, Timestamp};
use wsinspect_core::Direction;

use crate::defrag::{Defrag, DefragCounts, DEFAULT_MAX_FRAGMENT_BYTES};
use crate::file::{FileReader, PacketRef, Packets};
use crate::link::{read, tcp_in, Layer, Segment, Skip};
use crate::pool::Pool;
use crate::tcp::{Delivery, Reassembler};
use crate::tls::{KeyLog, KeyLogError, TlsConn, TlsOut, TlsReport};
use crate::CaptureError;

/// The default cap on out-of-order bytes held per direction: 1 MiB.
pub const DEFAULT_MAX_OUT_OF_ORDER: usize = 1 << 20;

/// How a capture is read.
#[derive(Clone, Debug)]
pub struct CaptureConfig {
    /// The configuration of every connection's session.
    pub session: SessionConfig,
    /// Out-of-order bytes held per direction before the oldest hole is declared lost.
    pub max_out_of_order: usize,
    /// Bytes of IP fragments held at once (the oldest incomplete datagram is dropped beyond).
    pub max_fragment_bytes: usize,
    /// Where each WebSocket connection's session runs.
    pub sessions: Sessions,
}

/// Where the sessions of a capture's WebSocket connections run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sessions {
    /// In the capture: their events come as [`CaptureEvent::Event`].
    #[default]
    Inside,
    /// With the caller: the capture hands over what each session is given, as
    /// [`CaptureEvent::Input`], for a [`SessionHost`] to run (on other threads, say: sessions
    /// are independent of one another). The host's events are the ones `Inside` gives, in the
    /// same order.
    Outside,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            session: SessionConfig::default(),
            max_out_of_order: DEFAULT_MAX_OUT_OF_ORDER,
            max_fragment_bytes: DEFAULT_MAX_FRAGMENT_BYTES,
            sessions: Sessions::Inside,
        }
    }
}

/// How the client of a connection was told from its server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientBy {
    /// It sent the SYN.
    Syn,
    /// It sent the HTTP request.
    Request,
    /// Its frames are masked (or the other side's are not).
    Mask,
    /// It has the higher port.
    Port,
    /// It sent the TLS ClientHello.
    ClientHello,
}

/// A WebSocket connection found in the capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// Its id, unique in the capture (flows are numbered from 1 in the order they start, other
    /// flows included).
    pub id: u64,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// How the client was chosen.
    pub client_by: ClientBy,
    /// The time of the flow's first packet.
    pub time: Option<Timestamp>,
}

/// What a flow that is not WebSocket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowKind {
    /// Starts like a TLS record (`16 03`).
    Tls,
    /// HTTP without a WebSocket upgrade.
    Http,
    /// Anything else.
    Other,
    /// No data in either direction.
    Empty,
}

/// A TCP flow that is not WebSocket: listed, not decoded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OtherFlow {
    /// Its id (see [`Connection::id`]).
    pub id: u64,
    /// The client's address (see [`ClientBy`]).
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// How the client was chosen.
    pub client_by: ClientBy,
    /// What it is.
    pub kind: FlowKind,
    /// Bytes the client sent (in order, after reassembly).
    pub client_bytes: u64,
    /// Bytes the server sent.
    pub server_bytes: u64,
    /// Packets of the flow.
    pub packets: u64,
    /// The time of its first packet.
    pub time: Option<Timestamp>,
    /// A TLS flow's report (what it was, why it was not decrypted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<Box<TlsReport>>,
}

/// A fact about the capture of one connection (not about its WebSocket traffic).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The connection.
    pub connection: u64,
    /// The direction it is about.
    pub direction: Direction,
    /// `reassembly-limit` or `overlap-differs`.
    pub code: &'static str,
    /// What happened.
    pub message: String,
    /// The time of the packet that caused it.
    pub time: Option<Timestamp>,
}

/// What [`Capture::poll_event`] hands out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaptureEvent {
    /// A WebSocket connection starts (before its first event).
    Connection(Connection),
    /// One of its session's events.
    Event {
        /// The connection's id.
        connection: u64,
        /// The event.
        event: Event,
    },
    /// A note on its capture.
    Note(Note),
    /// It ended; no more events for it.
    Closed {
        /// The connection's id.
        connection: u64,
        /// How each TCP direction ended (FIN, RST, still open at the end of the capture), for
        /// [`wsinspect_core::diagnose`].
        ends: TcpEnds,
    },
    /// A flow that is not WebSocket ended.
    OtherFlow(OtherFlow),
    /// What a WebSocket connection's TLS was and how far it was decrypted: sent when it
    /// ends, before its `Closed` (an other flow's is in its [`OtherFlow::tls`]).
    Tls {
        /// The connection's id.
        connection: u64,
        /// The report.
        tls: Box<TlsReport>,
    },
    /// What the connection's session is given next: only with [`Sessions::Outside`], where a
    /// [`SessionHost`] turns it into the session's events.
    Input {
        /// The connection's id.
        connection: u64,
        /// What.
        input: SessionInput,
    },
}

/// One call on a connection's [`Session`], in the order the capture makes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionInput {
    /// The next bytes of a direction ([`Session::feed`]).
    Bytes(Direction, Vec<u8>, Option<Timestamp>),
    /// Bytes of a direction that were lost ([`Session::gap`]).
    Gap(Direction, u64, Option<Timestamp>),
    /// A direction ended ([`Session::finish`]).
    End(Direction, Option<Timestamp>),
}

impl SessionInput {
    /// Give it to `session` (whose events then wait in its queue).
    pub fn apply(&self, session: &mut Session) {
        match self {
            SessionInput::Bytes(d, bytes, t) => session.feed(*d, bytes, *t),
            SessionInput::Gap(d, len, t) => session.gap(*d, *len, *t),
            SessionInput::End(d, t) => session.finish(*d, *t),
        }
    }
}

/// The sessions of a capture read with [`Sessions::Outside`], or of some of its connections:
/// each [`CaptureEvent::Input`] becomes its session's events, the way the capture itself
/// would have made them. Feed it every event of the connections it runs, in order (from their
/// `Connection` to their `Closed`).
pub struct SessionHost {
    config: SessionConfig,
    open: HashMap<u64, Box<Session>, foldhash::fast::RandomState>,
}

impl SessionHost {
    /// A host whose sessions read with `config` (the capture's [`CaptureConfig::session`]).
    pub fn new(config: SessionConfig) -> SessionHost {
        SessionHost {
            config,
            open: HashMap::default(),
        }
    }

    /// Take one event of the capture and hand on what it becomes: an `Input`, its session's
    /// events; any other event, itself. An input's bytes come back once read, for the capture
    /// to reuse ([`Capture::recycle`]).
    pub fn take(&mut self, e: CaptureEvent, out: &mut impl FnMut(CaptureEvent)) -> Option<Vec<u8>> {
        match e {
            CaptureEvent::Input { connection, input } => {
                let s = self.open.get_mut(&connection)?;
                input.apply(s);
                while let Some(event) = s.poll_event() {
                    out(CaptureEvent::Event { connection, event });
                }
                match input {
                    SessionInput::Bytes(_, bytes, _) => return Some(bytes),
                    _ => return None,
                }
            }
            CaptureEvent::Connection(c) => {
                let session = Box::new(Session::new(self.config.clone()));
                self.open.insert(c.id, session);
                out(CaptureEvent::Connection(c));
            }
            CaptureEvent::Closed { connection, ends } => {
                self.open.remove(&connection);
                out(CaptureEvent::Closed { connection, ends });
            }
            other => out(other),
        }
        None
    }

    /// How many of its connections are open.
    pub fn open(&self) -> usize {
        self.open.len()
    }
}

/// Counts over the whole capture.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// The file's format (`pcap` or `pcapng`).
    pub format: Option<&'static str>,
    /// Packets read.
    pub packets: u64,
    /// TCP segments among them.
    pub tcp_segments: u64,
    /// Packets of a link type we do not read.
    pub skipped_link_type: u64,
    /// Packets that are not TCP.
    pub not_tcp: u64,
    /// IP fragments, and what became of their datagrams.
    pub ip_fragments: DefragCounts,
    /// Packets whose headers were cut short or malformed.
    pub malformed: u64,
    /// Packets captured shorter than they were sent.
    pub truncated_packets: u64,
    /// WebSocket connections.
    pub connections: u64,
    /// Other flows.
    pub other_flows: u64,
    /// Bytes dropped as retransmitted or overlapping.
    pub duplicate_bytes: u64,
    /// Where the file ended inside a record, if it did.
    pub cut_short_at: Option<u64>,
    /// TLS secrets read from the file's Decryption Secrets Blocks.
    pub embedded_secrets: u64,
    /// Why a Decryption Secrets Block's key log could not be read, if one could not.
    pub embedded_secrets_error: Option<String>,
}

/// A whole capture file being read (sans-IO).
///
/// Call order: [`Capture::feed`] with each chunk of the file, then [`Capture::poll_event`] until
/// it returns `None`; at the end of the file [`Capture::finish`] (which ends every open flow),
/// and poll again. [`Capture::totals`] counts what was read.
pub struct Capture {
    config: CaptureConfig,
    file: FileReader,
    packets: Packets,
    /// Each open flow's slot in `slots`: a packet finds its flow with one lookup, takes it out
    /// of the slot while it works on it, and puts it back without hashing again.
    flows: HashMap<FlowKey, usize, foldhash::fast::RandomState>,
    /// The open flows (`None` in free slots, and in a slot whose flow is being worked on).
    slots: Vec<Option<Box<Flow>>>,
    /// Slots free for the next flow.
    free_slots: Vec<usize>,
    next_id: u64,
    events: VecDeque<CaptureEvent>,
    defrag: Defrag,
    totals: Totals,
    keylog: KeyLog,
    /// The time of the last TCP segment read.
    last_time: Option<Timestamp>,
    /// The recent requests that drop a WebSocket upgrade (a proxy's other hop).
    hops: HopLog,
    /// Buffers to copy reassembled bytes into, kept from one segment to the next.
    spare: Spare,
}

/// What delivering one segment's bytes needs, kept between segments so that the common case
/// (in-order bytes of a decided flow) allocates nothing.
struct Spare {
    out: Vec<Owned>,
    /// Buffers for the reassembled bytes: 8 of at most 64 KiB.
    buffers: Pool,
}

impl Default for Spare {
    fn default() -> Self {
        Spare {
            out: Vec::new(),
            buffers: Pool::new(8, 64 << 10),
        }
    }
}

/// A TCP flow's two endpoints, the lower first (so both directions find it).
type FlowKey = (SocketAddr, SocketAddr);

struct Flow {
    id: u64,
    /// The two endpoints: side 0 sent the flow's first packet.
    addr: [SocketAddr; 2],
    dirs: [Reassembler; 2],
    /// The client side, once known from a SYN.
    syn_client: Option<usize>,
    client: Option<(usize, ClientBy)>,
    state: State,
    bytes: [u64; 2],
    packets: u64,
    time: Option<Timestamp>,
    ended: [bool; 2],
    /// A TLS flow's record layer: `state` is then about the plaintext.
    tls: Option<Box<TlsConn>>,
    /// How each side ended TCP, once it did.
    tcp_end: [Option<TcpEnd>; 2],
}

enum State {
    /// First bytes, held until they say what the flow is.
    Undecided(Vec<Held>),
    /// Its session, unless the caller runs it ([`Sessions::Outside`]).
    WebSocket(Option<Box<Session>>),
    Other(FlowKind),
}

enum Held {
    Data(usize, Vec<u8>, Option<Timestamp>),
    Gap(usize, u64, Option<Timestamp>),
}

enum Verdict {
    Wait,
    WebSocket(usize, ClientBy),
    Other(FlowKind, Option<(usize, ClientBy)>),
}

impl Capture {
    /// A capture reader.
    pub fn new(config: CaptureConfig) -> Capture {
        Capture {
            defrag: Defrag::new(config.max_fragment_bytes),
            config,
            file: FileReader::new(),
            packets: Packets::default(),
            flows: HashMap::default(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            next_id: 1,
            events: VecDeque::new(),
            totals: Totals::default(),
            keylog: KeyLog::new(),
            last_time: None,
            hops: HopLog::default(),
            spare: Spare::default(),
        }
    }

    /// Add the secrets of a key log (NSS format, as `SSLKEYLOGFILE` writes it) to decrypt TLS
    /// flows with; returns how many it held. Call before feeding the flows it is for.
    pub fn add_keylog(&mut self, text: &[u8]) -> Result<usize, KeyLogError> {
        self.keylog.add(text)
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<CaptureEvent> {
        self.events.pop_front()
    }

    /// The last requests read (of HTTP flows and WebSocket connections alike) that drop a
    /// WebSocket upgrade, for linking a refused upgrade to the proxy's other hop
    /// ([`wsinspect_core::diagnose::Diagnoser::finish_linked`]); bounded.
    pub fn hops(&self) -> &HopLog {
        &self.hops
    }

    /// A buffer of an [`SessionInput::Bytes`] given back once read, for the next segment's
    /// bytes (a [`SessionHost`] returns them): kept if there is room, else dropped.
    pub fn recycle(&mut self, bytes: Vec<u8>) {
        self.spare.buffers.give_back(bytes);
    }

    /// Counts so far.
    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Read the next bytes of the file.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), CaptureError> {
        let mut packets = std::mem::take(&mut self.packets);
        let result = self.file.read(bytes, &mut packets);
        self.totals.format = self.file.format();
        // Secrets in the file's order among the packets, whatever the chunks.
        let mut secrets = self.file.take_secrets().into_iter().peekable();
        for (i, p) in packets.iter().enumerate() {
            while let Some((_, text)) = secrets.next_if(|(at, _)| *at <= i) {
                self.embedded_keylog(&text);
            }
            self.packet(p);
        }
        for (_, text) in secrets {
            self.embedded_keylog(&text);
        }
        packets.clear();
        self.packets = packets;
        result
    }

    fn embedded_keylog(&mut self, text: &[u8]) {
        match self.keylog.add(text) {
            Ok(n) => self.totals.embedded_secrets += n as u64,
            Err(e) => self.totals.embedded_secrets_error = Some(e.to_string()),
        }
    }

    /// The file ended: end every open flow (in the order they started). A file cut inside a
    /// record is not an error (a capture stopped abruptly): [`Totals::cut_short_at`] says so.
    pub fn finish(&mut self) -> Result<(), CaptureError> {
        self.defrag.finish();
        self.totals.ip_fragments = self.defrag.counts();
        let mut open: Vec<_> = self.slots.iter_mut().filter_map(Option::take).collect();
        open.sort_unstable_by_key(|f| f.id);
        self.flows.clear();
        self.slots.clear();
        self.free_slots.clear();
        for flow in open {
            self.end_flow(flow, None);
        }
        match self.file.finish() {
            Err(CaptureError::Truncated { offset, .. }) => {
                self.totals.cut_short_at = Some(offset);
                Ok(())
            }
            r => r,
        }
    }

    fn packet(&mut self, p: PacketRef<'_>) {
        self.totals.packets += 1;
        if (p.data.len() as u64) < u64::from(p.orig_len) {
            self.totals.truncated_packets += 1;
        }
        let datagram;
        let read = match read(p.link, p.data) {
            Ok(Layer::Segment(s)) => Ok(s),
            Ok(Layer::Fragment(f)) => {
                let done = self.defrag.add(&f);
                self.totals.ip_fragments = self.defrag.counts();
                let Some((key, payload)) = done else {
                    return;
                };
                datagram = payload;
                tcp_in(&key, &datagram)
            }
            Err(skip) => Err(skip),
        };
        let seg = match read {
            Ok(s) => s,
            Err(skip) => {
                *match skip {
                    Skip::LinkType => &mut self.totals.skipped_link_type,
                    Skip::NotTcp => &mut self.totals.not_tcp,
                    Skip::Fragment | Skip::Malformed => &mut self.totals.malformed,
                } += 1;
                return;
            }
        };
        self.totals.tcp_segments += 1;
        self.segment(&seg, p.time);
    }

    fn segment(&mut self, seg: &Segment, time: Option<Timestamp>) {
        self.last_time = time.or(self.last_time);
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let slot = self.flows.get(&key).copied();
        let mut flow = match slot.and_then(|i| self.slots[i].take()) {
            Some(flow) => flow,
            // A flow starts with a SYN or with data; a stray ACK, FIN or RST starts nothing.
            None if !seg.syn && seg.payload.is_empty() => return,
            None => self.new_flow(seg, time),
        };
        flow.packets += 1;
        let side = usize::from(flow.addr[0] != seg.src);
        if seg.syn {
            flow.dirs[side].syn(seg.seq);
            if flow.syn_client.is_none() {
                flow.syn_client = Some(if seg.ack { 1 - side } else { side });
            }
        }
        // The SYN's sequence number is not data: after `syn`, data starts at seq + 1.
        let seq = if seg.syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let mut out = std::mem::take(&mut self.spare.out);
        let buffers = &mut self.spare.buffers;
        flow.dirs[side].segment(seq, seg.payload, seg.fin, &mut |d| {
            out.push(owned(d, buffers))
        });
        self.deliver(&mut flow, side, &mut out, time);
        if seg.ack {
            let buffers = &mut self.spare.buffers;
            flow.dirs[1 - side].acked(seg.ack_number, &mut |d| out.push(owned(d, buffers)));
            self.deliver(&mut flow, 1 - side, &mut out, time);
        }
        self.spare.out = out;
        if seg.fin {
            flow.tcp_end[side].get_or_insert(TcpEnd {
                how: EndHow::Fin,
                time,
            });
        }
        if seg.rst {
            flow.tcp_end[side].get_or_insert(TcpEnd {
                how: EndHow::Rst,
                time,
            });
            flow.tcp_end[1 - side].get_or_insert(TcpEnd {
                how: EndHow::PeerRst,
                time,
            });
            self.forget_slot(key, slot);
            self.end_flow(flow, time);
            return;
        }
        if flow.dirs[side].finished() && !flow.ended[side] {
            self.end_direction(&mut flow, side, time);
        }
        if flow.ended == [true, true] {
            self.forget_slot(key, slot);
            self.end_flow(flow, time);
        } else {
            let i = match slot {
                Some(i) => i,
                None => self.new_slot(key),
            };
            self.slots[i] = Some(flow);
        }
    }

    /// A slot for a new flow at `key`.
    fn new_slot(&mut self, key: FlowKey) -> usize {
        let i = self.free_slots.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        self.flows.insert(key, i);
        i
    }

    /// The flow at `key` ended: its slot, if it had one, is free.
    fn forget_slot(&mut self, key: FlowKey, slot: Option<usize>) {
        if let Some(i) = slot {
            self.flows.remove(&key);
            self.free_slots.push(i);
        }
    }

    /// A flow's first packet: the flow gets the next id.
    fn new_flow(&mut self, seg: &Segment, time: Option<Timestamp>) -> Box<Flow> {
        let flow = Box::new(Flow {
            id: self.next_id,
            addr: [seg.src, seg.dst],
            dirs: [
                Reassembler::new(self.config.max_out_of_order),
                Reassembler::new(self.config.max_out_of_order),
            ],
            syn_client: None,
            client: None,
            state: State::Undecided(Vec::new()),
            bytes: [0; 2],
            packets: 0,
            time,
            ended: [false; 2],
            tls: None,
            tcp_end: [None; 2],
        });
        self.next_id += 1;
        flow
    }

    fn deliver(
        &mut self,
        flow: &mut Flow,
        side: usize,
        out: &mut Vec<Owned>,
        time: Option<Timestamp>,
    ) {
        for d in out.iter() {
            if let Owned::Data(bytes) = d {
                flow.bytes[side] += bytes.len() as u64;
            }
        }
        self.route(flow, side, out, time);
    }

    /// A TLS flow's bytes go through its record layer, the plaintext on.
    fn route(
        &mut self,
        flow: &mut Flow,
        side: usize,
        out: &mut Vec<Owned>,
        time: Option<Timestamp>,
    ) {
        let Some(tls) = flow.tls.as_mut() else {
            return self.deliver_plain(flow, side, out, time);
        };
        let mut plain = Vec::new();
        let mut notes = Vec::new();
        for d in out.drain(..) {
            match d {
                Owned::Data(bytes) => tls.feed(side, &bytes, &self.keylog, &mut plain),
                Owned::Gap(len) => tls.gap(side, len, &mut plain),
                note => notes.push(note),
            }
        }
        if flow.client.is_none() {
            if let Some(c) = tls.client() {
                flow.client = Some((c, ClientBy::ClientHello));
            }
        }
        self.deliver_plain(flow, side, &mut notes, time);
        for p in plain {
            let (s, o) = match p {
                TlsOut::Data(s, b) => (s, Owned::Data(b)),
                TlsOut::Gap(s, n) => (s, Owned::Gap(n)),
            };
            self.deliver_plain(flow, s, &mut vec![o], time);
        }
    }

    fn deliver_plain(
        &mut self,
        flow: &mut Flow,
        side: usize,
        out: &mut Vec<Owned>,
        time: Option<Timestamp>,
    ) {
        for d in out.drain(..) {
            let dir = direction(flow, side);
            match d {
                Owned::Data(bytes) => match &mut flow.state {
                    State::Undecided(held) => {
                        held.push(Held::Data(side, bytes, time));
                        self.decide(flow, false);
                    }
                    State::WebSocket(_) => {
                        self.give_session(flow, SessionInput::Bytes(dir, bytes, time))
                    }
                    State::Other(_) => self.spare.buffers.give_back(bytes),
                },
                Owned::Gap(len) => match &mut flow.state {
                    State::Undecided(held) => held.push(Held::Gap(side, len, time)),
                    State::WebSocket(_) => {
                        self.give_session(flow, SessionInput::Gap(dir, len, time))
                    }
                    State::Other(_) => {}
                },
                Owned::Note(code, message) => {
                    let note = Note {
                        connection: flow.id,
                        direction: dir,
                        code,
                        message,
                        time,
                    };
                    if let State::WebSocket(_) | State::Undecided(_) = flow.state {
                        self.events.push_back(CaptureEvent::Note(note));
                    }
                }
            }
        }
    }

    /// Decide what an undecided flow is, if its first bytes say; `force` at its end.
    fn decide(&mut self, flow: &mut Flow, force: bool) {
        let State::Undecided(held) = &flow.state else {
            return;
        };
        let mut verdict = verdict(held, flow.syn_client, self.config.session.max_head, force);
        if let Some(tls) = &flow.tls {
            verdict = plaintext_verdict(verdict, tls, held);
        }
        if !matches!(verdict, Verdict::Wait) {
            self.remember_request(flow, held);
        }
        match verdict {
            Verdict::Wait => {}
            Verdict::Other(FlowKind::Tls, client) if flow.tls.is_none() => {
                // The held bytes go through the record layer; the plaintext is decided anew.
                flow.client = client;
                flow.tls = Some(Box::new(TlsConn::new()));
                let State::Undecided(held) =
                    std::mem::replace(&mut flow.state, State::Undecided(Vec::new()))
                else {
                    unreachable!("checked above")
                };
                for h in held {
                    match h {
                        Held::Data(side, bytes, t) => {
                            self.route(flow, side, &mut vec![Owned::Data(bytes)], t)
                        }
                        Held::Gap(side, len, t) => {
                            self.route(flow, side, &mut vec![Owned::Gap(len)], t)
                        }
                    }
                }
            }
            Verdict::Other(kind, client) => {
                flow.client = client;
                flow.state = State::Other(kind);
            }
            Verdict::WebSocket(client, by) => {
                flow.client = Some((client, by));
                let session = match self.config.sessions {
                    Sessions::Inside => Some(Box::new(Session::new(self.config.session.clone()))),
                    Sessions::Outside => None,
                };
                let State::Undecided(held) =
                    std::mem::replace(&mut flow.state, State::WebSocket(session))
                else {
                    unreachable!("checked above")
                };
                self.totals.connections += 1;
                self.events.push_back(CaptureEvent::Connection(Connection {
                    id: flow.id,
                    client: flow.addr[client],
                    server: flow.addr[1 - client],
                    client_by: by,
                    time: flow.time,
                }));
                for h in held {
                    let input = match h {
                        Held::Data(side, bytes, t) => {
                            SessionInput::Bytes(dir(client, side), bytes, t)
                        }
                        Held::Gap(side, len, t) => SessionInput::Gap(dir(client, side), len, t),
                    };
                    self.give_session(flow, input);
                }
            }
        }
    }

    /// A decided flow's request head, if its first bytes are one, into the hop log.
    fn remember_request(&mut self, flow: &Flow, held: &[Held]) {
        let Some((side, time)) = held.iter().find_map(|h| match h {
            Held::Data(side, _, t) => Some((*side, *t)),
            Held::Gap(..) => None,
        }) else {
            return;
        };
        let mut head = Vec::new();
        for h in held {
            match h {
                Held::Data(s, b, _) if *s == side => head.extend_from_slice(b),
                Held::Gap(s, ..) if *s == side => break,
                _ => {}
            }
            if head.len() > self.config.session.max_head {
                break;
            }
        }
        if !starts_like_request(&head) {
            return;
        }
        if let Some(r) = HopRequest::of_head(flow.id, &head, time) {
            self.hops.push(r);
        }
    }

    /// Give a WebSocket flow's session its next input, and queue the events it makes (or queue
    /// the input, for the caller's session).
    fn give_session(&mut self, flow: &mut Flow, input: SessionInput) {
        let State::WebSocket(session) = &mut flow.state else {
            return;
        };
        let Some(s) = session else {
            self.events.push_back(CaptureEvent::Input {
                connection: flow.id,
                input,
            });
            return;
        };
        input.apply(s);
        while let Some(event) = s.poll_event() {
            self.events.push_back(CaptureEvent::Event {
                connection: flow.id,
                event,
            });
        }
        if let SessionInput::Bytes(_, bytes, _) = input {
            self.spare.buffers.give_back(bytes);
        }
    }

    fn end_direction(&mut self, flow: &mut Flow, side: usize, time: Option<Timestamp>) {
        flow.ended[side] = true;
        let d = direction(flow, side);
        self.give_session(flow, SessionInput::End(d, time));
    }

    fn end_flow(&mut self, mut flow: Box<Flow>, time: Option<Timestamp>) {
        for side in 0..2 {
            let mut out = Vec::new();
            let buffers = &mut self.spare.buffers;
            flow.dirs[side].close(&mut |d| out.push(owned(d, buffers)));
            self.deliver(&mut flow, side, &mut out, time);
        }
        if let Some(tls) = flow.tls.as_mut() {
            tls.finish(0);
            tls.finish(1);
        }
        if let State::Undecided(_) = flow.state {
            self.decide(&mut flow, true);
        }
        for side in 0..2 {
            self.totals.duplicate_bytes += flow.dirs[side].duplicate_bytes;
            // Only a direction that sent something ends in the session.
            if !flow.ended[side] && flow.bytes[side] > 0 {
                self.end_direction(&mut flow, side, time);
            }
        }
        let tls = flow.tls.as_ref().map(|t| Box::new(t.report()));
        if let State::WebSocket(_) = flow.state {
            if let Some(tls) = tls {
                self.events.push_back(CaptureEvent::Tls {
                    connection: flow.id,
                    tls,
                });
            }
            let open = TcpEnd {
                how: EndHow::Open,
                time: self.last_time,
            };
            let mut ends = TcpEnds::default();
            for side in 0..2 {
                let end = flow.tcp_end[side].unwrap_or(open);
                match direction(&flow, side) {
                    Direction::Server => ends.server = end,
                    _ => ends.client = end,
                }
            }
            self.events.push_back(CaptureEvent::Closed {
                connection: flow.id,
                ends,
            });
            return;
        }
        let kind = match flow.state {
            // A TLS flow whose plaintext never came (or was empty) is listed as TLS.
            State::Other(FlowKind::Empty) | State::Undecided(_) if flow.tls.is_some() => {
                FlowKind::Tls
            }
            State::Other(k) => k,
            _ => FlowKind::Empty,
        };
        let (client, by) = flow.client.unwrap_or_else(|| guess_client(&flow));
        self.totals.other_flows += 1;
        self.events.push_back(CaptureEvent::OtherFlow(OtherFlow {
            id: flow.id,
            client: flow.addr[client],
            server: flow.addr[1 - client],
            client_by: by,
            kind,
            client_bytes: flow.bytes[client],
            server_bytes: flow.bytes[1 - client],
            packets: flow.packets,
            time: flow.time,
            tls,
        }));
    }
}

/// A delivery with its bytes owned (the reassembler lends them only for the call).
enum Owned {
    Data(Vec<u8>),
    Gap(u64),
    Note(&'static str, String),
}

/// `d` made owned, its bytes copied into a buffer from `buffers`.
fn owned(d: Delivery, buffers: &mut Pool) -> Owned {
    match d {
        Delivery::Data(b) => Owned::Data(buffers.copy(b)),
        Delivery::Gap(n) => Owned::Gap(n),
        Delivery::CapHit { cap } => Owned::Note(
            "reassembly-limit",
            format!(
                "more than {cap} bytes arrived ahead of a missing segment, so the missing bytes were declared lost; this is our limit (CaptureConfig::max_out_of_order), not the peer's fault."
            ),
        ),
        Delivery::OverlapDiffers { offset, len } => Owned::Note(
            "overlap-differs",
            format!(
                "{len} bytes at offset {offset} were sent again with different contents; the first copy was kept."
            ),
        ),
    }
}

/// The session direction of `side`, for a flow whose client is `client`.
fn dir(client: usize, side: usize) -> Direction {
    if side == client {
        Direction::Client
    } else {
        Direction::Server
    }
}

fn direction(flow: &Flow, side: usize) -> Direction {
    let client = flow.client.unwrap_or_else(|| guess_client(flow)).0;
    dir(client, side)
}

fn guess_client(flow: &Flow) -> (usize, ClientBy) {
    match flow.syn_client {
        Some(c) => (c, ClientBy::Syn),
        None if flow.tls.as_ref().and_then(|t| t.client()).is_some() => {
            let c = flow.tls.as_ref().and_then(|t| t.client()).expect("checked");
            (c, ClientBy::ClientHello)
        }
        None => (
            usize::from(flow.addr[1].port() > flow.addr[0].port()),
            ClientBy::Port,
        ),
    }
}

/// What the first bytes say. `force`: the flow ended, decide with what there is.
fn verdict(held: &[Held], syn_client: Option<usize>, max_head: usize, force: bool) -> Verdict {
    // Both directions' held bytes are bounded: past two heads' worth, decide with what there is.
    let total: usize = held
        .iter()
        .map(|h| match h {
            Held::Data(_, b, _) => b.len(),
            Held::Gap(..) => 0,
        })
        .sum();
    let force = force || total > 2 * max_head;
    let Some(first) = held.iter().find_map(|h| match h {
        Held::Data(side, ..) => Some(*side),
        Held::Gap(..) => None,
    }) else {
        return if force {
            let kind = if held.is_empty() {
                FlowKind::Empty
            } else {
                FlowKind::Other
            };
            Verdict::Other(kind, None)
        } else {
            Verdict::Wait
        };
    };
    // That side's bytes up to its first gap (at most a head's worth).
    let mut p = Vec::new();
    for h in held {
        match h {
            Held::Data(side, b, _) if *side == first => p.extend_from_slice(b),
            Held::Gap(side, ..) if *side == first && !p.is_empty() => break,
            _ => {}
        }
        if p.len() > max_head {
            break;
        }
    }
    if p.len() < 2 {
        return if force {
            Verdict::Other(FlowKind::Other, None)
        } else {
            Verdict::Wait
        };
    }
    let by_syn = syn_client.map(|c| (c, ClientBy::Syn));
    // A handshake record, or (a capture that began mid-connection) a ChangeCipherSpec, alert
    // or application data record: none of these bytes can start a WebSocket frame.
    if (0x14..=0x17).contains(&p[0]) && p[1] == 0x03 {
        return Verdict::Other(FlowKind::Tls, by_syn);
    }
    if starts_like_request(&p) {
        let client = by_syn.unwrap_or((first, ClientBy::Request));
        let head_end = p.windows(4).position(|w| w == b"\r\n\r\n");
        if head_end.is_none() && p.len() <= max_head && !force {
            return Verdict::Wait;
        }
        let head = &p[..head_end.map_or(p.len(), |e| e + 4)];
        return if has_websocket_upgrade(head) {
            Verdict::WebSocket(client.0, client.1)
        } else {
            Verdict::Other(FlowKind::Http, Some(client))
        };
    }
    if p.starts_with(b"HTTP/") {
        let client = by_syn.unwrap_or((1 - first, ClientBy::Request));
        return Verdict::Other(FlowKind::Http, Some(client));
    }
    let opcode = p[0] & 0x0f;
    if p[0] & 0x30 == 0 && matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10) {
        let masked = p[1] & 0x80 != 0;
        let (c, by) = by_syn.unwrap_or((if masked { first } else { 1 - first }, ClientBy::Mask));
        return Verdict::WebSocket(c, by);
    }
    Verdict::Other(FlowKind::Other, by_syn)
}

/// A TLS flow's plaintext starts at the start of its application data: it is WebSocket only
/// when it starts with the client's HTTP request (the frame-start guess is for captures joined
/// mid-connection), and never with ALPN h2 (HTTP/2, whose frames are not WebSocket frames).
fn plaintext_verdict(v: Verdict, tls: &TlsConn, held: &[Held]) -> Verdict {
    let first = held.iter().find_map(|h| match h {
        Held::Data(side, b, _) => Some((*side, b)),
        Held::Gap(..) => None,
    });
    match v {
        Verdict::WebSocket(..) | Verdict::Other(..) if tls.alpn() == Some("h2") => Verdict::Other(
            FlowKind::Http,
            tls.client().map(|c| (c, ClientBy::ClientHello)),
        ),
        Verdict::WebSocket(c, by) if !first.is_some_and(|(_, b)| starts_like_request(b)) => {
            Verdict::Other(FlowKind::Other, Some((c, by)))
        }
        v => v,
    }
}

/// `METHOD SP`: an upper-case token and a space.
fn starts_like_request(p: &[u8]) -> bool {
    let n = p.iter().take_while(|b| b.is_ascii_uppercase()).count();
    (3..=16).contains(&n) && p.get(n) == Some(&b' ')
}

/// An `Upgrade` header field whose value names `websocket`.
fn has_websocket_upgrade(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n').any(|line| {
        line.get(..8)
            .is_some_and(|n| n.eq_ignore_ascii_case(b"upgrade:"))
            && line
                .windows(9)
                .any(|w| w.eq_ignore_ascii_case(b"websocket"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(side: usize, b: &[u8]) -> Held {
        Held::Data(side, b.to_vec(), None)
    }

    #[test]
    fn first_bytes_decide() {
        let v = |h: &[Held], syn, force| match verdict(h, syn, 1000, force) {
            Verdict::Wait => "wait".to_string(),
            Verdict::WebSocket(c, by) => format!("ws {c} {by:?}"),
            Verdict::Other(k, _) => format!("{k:?}"),
        };
        assert_eq!(v(&[data(1, b"\x16\x03\x01")], None, false), "Tls");
        assert_eq!(v(&[data(1, b"\x17\x03\x03")], None, false), "Tls");
        assert_eq!(
            v(&[data(0, b"GET / HTTP/1.1\r\nHost: a\r\n")], None, false),
            "wait"
        );
        let up = b"GET / HTTP/1.1\r\nUpgrade: WebSocket\r\n\r\n";
        assert_eq!(v(&[data(1, up)], None, false), "ws 1 Request");
        assert_eq!(v(&[data(1, up)], Some(0), false), "ws 0 Syn");
        assert_eq!(
            v(
                &[data(0, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")],
                None,
                false
            ),
            "Http"
        );
        assert_eq!(v(&[data(0, b"\x81\x85abcd")], None, false), "ws 0 Mask");
        assert_eq!(v(&[data(0, b"\x82\x05hello")], None, false), "ws 1 Mask");
        assert_eq!(v(&[data(0, b"220 smtp ready\r\n")], None, false), "Other");
        assert_eq!(v(&[data(0, b"\x81")], None, false), "wait");
        assert_eq!(v(&[], None, true), "Empty");
        // A head that never ends, and the other side talking meanwhile: decided, not held.
        let long = [data(0, b"GET / HTTP/1.1\r\nX: "), data(1, &[b'a'; 2000])];
        assert_eq!(v(&long, None, false), "Http");
    }

    /// Segments of one connection: (from the client?, seq, flags "S", "A", "F", "R", payload, time).
    fn ends_of(segments: &[(bool, u32, &str, &[u8], u64)]) -> TcpEnds {
        let c: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let s: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let mut cap = Capture::new(CaptureConfig::default());
        for &(client, seq, flags, payload, t) in segments {
            let (src, dst) = if client { (c, s) } else { (s, c) };
            let seg = Segment {
                src,
                dst,
                seq,
                ack_number: 0,
                syn: flags.contains('S'),
                ack: false,
                fin: flags.contains('F'),
                rst: flags.contains('R'),
                payload,
            };
            cap.segment(&seg, Some(Timestamp(t)));
        }
        // No file was read (the segments went in directly): the file reader says so; the flows end.
        let _ = cap.finish();
        let mut found = None;
        while let Some(e) = cap.poll_event() {
            if let CaptureEvent::Closed { ends, .. } = e {
                found = Some(ends);
            }
        }
        found.expect("a WebSocket connection closed")
    }

    #[test]
    fn closed_says_who_sent_fin_or_rst_and_what_stayed_open() {
        let req = b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n";
        let res = b"HTTP/1.1 101 Switching Protocols\r\n\r\n";
        let n = req.len() as u32;
        let m = res.len() as u32;
        let open = [
            (true, 99, "S", &b""[..], 1),
            (false, 499, "S", &b""[..], 2),
            (true, 100, "", &req[..], 3),
            (false, 500, "", &res[..], 4),
        ];
        // The server resets: it sent the RST, the client's direction ended by it.
        let mut segs = open.to_vec();
        segs.push((false, 500 + m, "R", b"", 9));
        let e = ends_of(&segs);
        assert_eq!(
            (e.server.how, e.server.time),
            (EndHow::Rst, Some(Timestamp(9)))
        );
        assert_eq!(
            (e.client.how, e.client.time),
            (EndHow::PeerRst, Some(Timestamp(9)))
        );
        // The client sends FIN; the server's direction is still open when the capture ends.
        let mut segs = open.to_vec();
        segs.push((true, 100 + n, "F", b"", 7));
        segs.push((false, 500 + m, "", b"\x81\x01x", 8));
        let e = ends_of(&segs);
        assert_eq!(
            (e.client.how, e.client.time),
            (EndHow::Fin, Some(Timestamp(7)))
        );
        assert_eq!(
            (e.server.how, e.server.time),
            (EndHow::Open, Some(Timestamp(8)))
        );
    }
}
