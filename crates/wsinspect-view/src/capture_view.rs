//! The page's capture files, sans-IO: the page's Web Worker feeds a file's slices to a
//! [`Loader`] and answers the page's questions from its [`Index`]; the page turns the answers
//! into views. Everything crossing between the two is one of the serde types here (sent as
//! JSON), so both halves share one definition and the logic is tested natively.
//!
//! - The format is told from the content: a pcap or pcapng magic number goes to
//!   [`wsinspect_capture::Capture`] a slice at a time; a JSON object is a HAR (read whole: it is
//!   one JSON document); anything else is a Follow-TCP-Stream dump or pasted stream, read whole
//!   by the core's `inspect` as one connection (hex, base64 or raw).
//! - Memory: per frame, its header, findings and kept payload (at most [`MAX_KEPT`] payload
//!   bytes in all: beyond, payloads are dropped and the detail says so) and an 88-byte
//!   row (side, time, offset); per message, its rows and, when compressed, its inflated length
//!   and the start its preview reads (its text is inflated again when asked for: [`again`]).
//!   The page's [`FrameRow`]s, previews and search are made from that index when asked.

use foldhash::HashMap;
use smallvec::SmallVec;
use std::cell::RefCell;
use std::net::SocketAddr;

mod again;
mod diagnosis;
mod export;
mod frame_link;
mod rates;
pub use diagnosis::ConnDiagnosis;
pub use export::{export_refused, PcapngExport};
pub use frame_link::{frame_link, FrameLink, MAX_FRAME_LINK};
pub use rates::{round_width, RateBin, Rates};

use serde::{Deserialize, Serialize};
use wsinspect_capture::har::{self, HarCapture};
use wsinspect_capture::tls::{ProblemKind, TlsReport};
use wsinspect_capture::{
    Capture, CaptureConfig, CaptureError, CaptureEvent, Connection, FlowKind, OtherFlow,
};
use wsinspect_core::diagnose::HopLog;
use wsinspect_core::finding::{Finding, Rule, Severity};
use wsinspect_core::inspect::notation::Notation;
use wsinspect_core::inspect::{inspect, InspectOptions, Inspection};
use wsinspect_core::session::{Event, EventKind};
use wsinspect_core::stream::{decode_all, DecodeConfig, MessageReport};
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::wire::header::Header;
use wsinspect_core::wire::mask::apply_mask;
use wsinspect_core::Direction;

use crate::capture_decoded::{ConnPayloads, PayloadSetup, Stored};

/// The most payload bytes the index keeps (for details, search and export) over all frames.
pub const MAX_KEPT: u64 = 768 << 20;
/// A dump or HAR read whole is refused beyond this size.
pub const MAX_WHOLE: usize = 256 << 20;
/// Characters of payload in a row's preview.
pub const PREVIEW: usize = 60;
/// The most connections a progress message lists, and an answer to [`Ask::Connections`] holds.
pub const MAX_LISTED: usize = 200;
/// The most frame bytes one detail carries.
pub const DETAIL_BYTES: usize = 1 << 20;

/// Which side sent a frame, as the page names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Client to server.
    Client,
    /// Server to client (also where an unknown direction goes).
    Server,
}

impl Side {
    fn of(d: Direction) -> Side {
        match d {
            Direction::Client => Side::Client,
            _ => Side::Server,
        }
    }
    fn i(self) -> usize {
        self as usize
    }
    /// The core's direction.
    pub fn direction(self) -> Direction {
        match self {
            Side::Client => Direction::Client,
            Side::Server => Direction::Server,
        }
    }
}

/// One connection in the connections list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnSummary {
    /// Its id in the capture.
    pub id: u64,
    /// The client's `ip:port` (or the URL of a HAR connection).
    pub client: String,
    /// The server's `ip:port`.
    pub server: String,
    /// The first packet's time (seconds since the epoch).
    pub start: Option<f64>,
    /// The last event's time.
    pub end: Option<f64>,
    /// Frames per side (client, server).
    pub frames: [u64; 2],
    /// Data messages per side.
    pub messages: [u64; 2],
    /// Stream bytes per side.
    pub bytes: [u64; 2],
    /// Findings by severity: errors, warnings, notes.
    pub findings: [u64; 3],
    /// The negotiated subprotocol.
    pub subprotocol: Option<String>,
    /// The response's Sec-WebSocket-Extensions.
    pub extensions: Option<String>,
    /// The upgrade's outcome: `101`, `refused 400`, `no response`, `joined after handshake`.
    pub upgrade: String,
    /// Whether the connection has ended.
    pub closed: bool,
    /// Whether it comes from a HAR (messages, no frame bytes).
    pub har: bool,
    /// A wss connection's TLS (known when it ends).
    #[serde(default)]
    pub tls: Option<TlsSummary>,
    /// Its diagnoses' ids, causes first (known when it ends; docs/diagnose.md).
    #[serde(default)]
    pub diagnoses: Vec<String>,
}

impl ConnSummary {
    /// Why the Frame tab has no frame to show for this connection, when it has none: a refused
    /// upgrade is the common case, and its handshake is what the user wants next.
    pub fn no_frames(&self) -> Option<String> {
        if self.frames != [0, 0] {
            return None;
        }
        let what = if self.har { "messages" } else { "frames" };
        let why = match self.upgrade.as_str() {
            u if u.starts_with("refused") || u.starts_with("failed") => {
                format!("its upgrade was {u}")
            }
            "101" if self.closed => "it ended before either side sent one".to_string(),
            "101" => "none was read".to_string(),
            u => format!("its upgrade: {u}"),
        };
        Some(format!(
            "Connection {} has no {what}: {why}. The Handshake tab shows its handshake.",
            self.id
        ))
    }
}

/// What a TLS flow was and how far it was decrypted, as the page shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsSummary {
    /// `TLS 1.3`, `TLS 1.2`, ...
    pub version: Option<String>,
    /// The suite the server chose.
    pub suite: Option<String>,
    /// The server name the client asked for.
    pub sni: Option<String>,
    /// The application protocol the server chose.
    pub alpn: Option<String>,
    /// Whether the key log had its secrets (`None`: no encrypted record came).
    pub secrets_found: Option<bool>,
    /// Records decrypted per side (client, server).
    pub records: [u64; 2],
    /// Whether its application data was decrypted (records came out and nothing stopped them).
    pub decrypted: bool,
    /// Why something was not decrypted, and other facts, in words.
    pub problems: Vec<String>,
    /// Whether a key log (or a better one) is what it lacks.
    pub needs_keylog: bool,
}

impl TlsSummary {
    fn of(r: &TlsReport) -> TlsSummary {
        let stops = |k: ProblemKind| {
            matches!(
                k,
                ProblemKind::NoSecrets
                    | ProblemKind::MissingSecret
                    | ProblemKind::NotAuthentic
                    | ProblemKind::UnsupportedSuite
                    | ProblemKind::UnsupportedVersion
                    | ProblemKind::NoHandshake
            )
        };
        let records = [r.client_records, r.server_records];
        TlsSummary {
            version: r.version.clone(),
            suite: r.suite.clone(),
            sni: r.sni.clone(),
            alpn: r.alpn.clone(),
            secrets_found: r.secrets_found,
            records,
            decrypted: records.iter().sum::<u64>() > 0 && !r.problems.iter().any(|p| stops(p.kind)),
            problems: r.problems.iter().map(|p| p.message.clone()).collect(),
            needs_keylog: r
                .problems
                .iter()
                .any(|p| matches!(p.kind, ProblemKind::NoSecrets | ProblemKind::MissingSecret)),
        }
    }

    /// One line for the list: `TLS 1.3, SNI localhost: decrypted` or why not.
    pub fn line(&self) -> String {
        let mut head = vec![self.version.clone().unwrap_or_else(|| "TLS".into())];
        if let Some(s) = &self.sni {
            head.push(format!("SNI {s}"));
        }
        if let Some(a) = &self.alpn {
            head.push(format!("ALPN {a}"));
        }
        // Decrypted: and what else happened (an alert, say); not: why.
        let state = match (self.decrypted, self.problems.is_empty()) {
            (true, true) => "decrypted".to_string(),
            (true, false) => format!("decrypted; {}", self.problems.join("; ")),
            (false, true) => "not decrypted".into(),
            (false, false) => self.problems.join("; "),
        };
        format!("{}: {state}", head.join(", "))
    }
}

/// A TLS flow that is not (or could not be read as) a WebSocket connection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TlsFlow {
    /// Its id in the capture.
    pub id: u64,
    /// The client's `ip:port`.
    pub client: String,
    /// The server's `ip:port`.
    pub server: String,
    /// What it is: `tls`, or `http` for decrypted HTTP without an upgrade.
    pub kind: String,
    /// Its TLS.
    pub tls: TlsSummary,
}

/// Counts for the progress bar and the list's footer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Bytes of the file read.
    pub read: u64,
    /// The file's size.
    pub total: u64,
    /// `pcap`, `pcapng`, `har` or the notation of a dump.
    pub format: Option<String>,
    /// Frames so far (both sides, every connection).
    pub frames: u64,
    /// TCP flows that are not WebSocket.
    pub other_flows: u64,
    /// Packets read.
    pub packets: u64,
    /// The connections so far (the first [`MAX_LISTED`]).
    pub connections: Vec<ConnSummary>,
    /// How many connections there are in all.
    pub connection_count: u64,
    /// The list is the one sent last (`connections` is then empty: the page keeps its list).
    #[serde(default)]
    pub unchanged: bool,
    /// The TLS flows among the other flows (the first [`MAX_LISTED`]), with their reports.
    #[serde(default)]
    pub tls_flows: Vec<TlsFlow>,
    /// The TLS list is the one sent last (`tls_flows` is then empty: the page keeps its list).
    #[serde(default)]
    pub tls_unchanged: bool,
    /// How many TLS flows there are among the other flows.
    #[serde(default)]
    pub tls_flow_count: u64,
    /// TLS secrets read from the key log(s) given and from the file itself.
    #[serde(default)]
    pub secrets: u64,
    /// Why a key log could not be read, if one could not.
    #[serde(default)]
    pub keylog_error: Option<String>,
}

/// One row of a connection's timeline (a frame, or a HAR message).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameRow {
    /// Its position in the connection's rows (both sides, in capture order).
    pub row: u32,
    /// Who sent it.
    pub side: Side,
    /// Its index among its side's frames.
    pub index: u64,
    /// Opcode.
    pub opcode: u8,
    /// FIN.
    pub fin: bool,
    /// RSV1-3 as bits 2, 1, 0.
    pub rsv: u8,
    /// MASK.
    pub masked: bool,
    /// Payload length.
    pub len: u64,
    /// Seconds since the connection's first packet.
    pub time: Option<f64>,
    /// Where the frame starts in its side's stream.
    pub offset: u64,
    /// The data message it belongs to (index among its side's messages).
    pub message: Option<u64>,
    /// The codes of its findings.
    pub findings: Vec<String>,
    /// The worst of them: `error`, `warning`, `note`.
    pub severity: Option<String>,
    /// A short preview of the payload.
    pub preview: String,
    /// Where the search matched in the preview (char offsets), if it did.
    pub hit: Option<(u32, u32)>,
    /// What the payload decoder read in its message (`EVENT "chat message"`, `PUBLISH
    /// sensors/t1`), on the message's first frame (capture_decoded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
    /// The fragmented message whose span this row is in, per lane (client, server): set in
    /// the rows of a window (`Ask::Window`), so the timeline draws each such message as one
    /// band on its lane.
    #[serde(default, skip_serializing_if = "no_groups")]
    pub groups: [Option<GroupMark>; 2],
}

fn no_groups(g: &[Option<GroupMark>; 2]) -> bool {
    g.iter().all(Option::is_none)
}

/// What a row is to the fragmented message whose span (its first to its last frame, in the
/// connection's rows) it is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRole {
    /// Its first frame.
    Start,
    /// One of its later frames.
    Fragment,
    /// A control frame of the same side between its fragments (RFC 6455 §5.4 allows them).
    Inside,
    /// A frame of the other side, sent while it was in progress.
    Across,
}

/// A fragmented message, as one row of its span sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMark {
    /// The message's index among its side's messages.
    pub message: u64,
    /// Its data frames (so far, while it is open).
    pub frames: u32,
    /// Its payload length (inflated when compressed and read whole).
    pub len: u64,
    /// Its first row.
    pub first: u32,
    /// Its last row (so far).
    pub last: u32,
    /// Whether its last frame (FIN) came.
    pub complete: bool,
    /// What this row is to it.
    pub role: GroupRole,
}

/// Which opcodes a view shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpFilter {
    /// Every frame.
    #[default]
    All,
    /// Text, binary and continuation.
    Data,
    /// Close, ping, pong (and reserved control opcodes).
    Control,
    /// Text frames and their continuations.
    Text,
    /// Binary frames and their continuations.
    Binary,
    /// Close.
    Close,
    /// Ping.
    Ping,
    /// Pong.
    Pong,
}

impl OpFilter {
    /// Every filter with its label, for the select.
    pub const ALL: [(OpFilter, &'static str, &'static str); 8] = [
        (OpFilter::All, "all", "all opcodes"),
        (OpFilter::Data, "data", "data frames"),
        (OpFilter::Control, "control", "control frames"),
        (OpFilter::Text, "text", "text"),
        (OpFilter::Binary, "binary", "binary"),
        (OpFilter::Close, "close", "close"),
        (OpFilter::Ping, "ping", "ping"),
        (OpFilter::Pong, "pong", "pong"),
    ];

    /// The filter a select value names.
    pub fn parse(s: &str) -> OpFilter {
        Self::ALL
            .iter()
            .find(|(_, v, _)| *v == s)
            .map_or(OpFilter::All, |(f, ..)| *f)
    }

    fn keeps(self, opcode: u8, message_opcode: Option<u8>) -> bool {
        let data_kind = message_opcode.unwrap_or(opcode);
        match self {
            OpFilter::All => true,
            OpFilter::Data => opcode < 8,
            OpFilter::Control => opcode >= 8,
            OpFilter::Text => opcode < 8 && data_kind == 1,
            OpFilter::Binary => opcode < 8 && data_kind == 2,
            OpFilter::Close => opcode == 8,
            OpFilter::Ping => opcode == 9,
            OpFilter::Pong => opcode == 10,
        }
    }
}

/// How the search box reads its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Plain text, any case.
    #[default]
    Plain,
    /// Plain text, case as typed.
    Case,
    /// A regular expression (Rust `regex` syntax).
    Regex,
}

/// What a connection's view shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Filter {
    /// Only this side's frames.
    pub side: Option<Side>,
    /// Only these opcodes.
    pub opcode: OpFilter,
    /// Only frames with findings.
    pub findings: bool,
    /// Only frames whose message (or control payload) matches; empty: no search.
    pub query: String,
    /// How to read `query`.
    pub mode: SearchMode,
}

/// What the page asks the worker (the file itself goes as a `Blob`, not as one of these).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case")]
pub enum Ask {
    /// Rows `start..start + count` of a connection's filtered view.
    Window {
        /// Answers carry it back, so late answers can be told from current ones.
        seq: u64,
        /// The connection.
        conn: u64,
        /// The view.
        filter: Filter,
        /// First row (in the filtered view).
        start: u32,
        /// How many.
        count: u32,
    },
    /// One row's detail.
    Detail {
        /// See `Window`.
        seq: u64,
        /// The connection.
        conn: u64,
        /// The row (in the connection's rows, unfiltered).
        row: u32,
    },
    /// Connections `start..start + count` of the list (every connection, in the order the
    /// capture found them, as the progress messages list them): the page's list past the first
    /// [`MAX_LISTED`] that the progress messages carry.
    Connections {
        /// See `Window`.
        seq: u64,
        /// The first (its position in the list).
        start: u32,
        /// How many (at most [`MAX_LISTED`] are sent).
        count: u32,
    },
    /// Stop reading the file (what was read stays, and answers go on).
    Stop,
    /// A key log (NSS format) to decrypt TLS with: sent before the file.
    KeyLog {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A connection's message sizes over time (for the plot).
    Plot {
        /// The connection.
        conn: u64,
    },
    /// A connection's diagnoses and conformance.
    Diagnosis {
        /// The connection.
        conn: u64,
    },
    /// A connection's messages as `jsonl` or `csv`, or its decode as `json` (the document
    /// `wsinspect pcap --json --connection ID` prints).
    Export {
        /// The connection.
        conn: u64,
        /// `jsonl`, `csv` or `json`.
        format: String,
    },
    /// A connection as a pcapng file: the worker posts the file (a `File`, not JSON), then
    /// [`Tell::Exported`] (see [`Index::pcapng`]).
    Pcapng {
        /// The connection.
        conn: u64,
    },
    /// A row's message decoded with another decoder choice (the detail has `auto`'s).
    Decoded {
        /// The connection.
        conn: u64,
        /// The row.
        row: u32,
        /// `auto`, `none` or a decoder's name.
        choice: String,
    },
    /// The user's `.proto` files (none: forget them) and the message type binary messages are:
    /// every message is decoded again with them (the timeline's labels too).
    Proto {
        /// (file name, text).
        files: Vec<(String, String)>,
        /// The message type (full name); `None`: the only one the files define.
        message: Option<String>,
    },
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tell {
    /// Reading goes on.
    Progress(Progress),
    /// The file is read (or could not be: `error`).
    Done {
        /// The final counts.
        progress: Progress,
        /// Why reading stopped early, if it did.
        error: Option<String>,
        /// Milliseconds from the file's arrival to the end.
        ms: f64,
        /// The worker's wasm memory at the end, in bytes (the index and its buffers).
        #[serde(default)]
        memory: u64,
    },
    /// Some of the connections list (the answer to [`Ask::Connections`]).
    Connections {
        /// The ask's `seq`.
        seq: u64,
        /// The first one's position in the list.
        start: u32,
        /// How many connections there are.
        total: u64,
        /// The connections.
        rows: Vec<ConnSummary>,
    },
    /// Rows of a view.
    Window {
        /// The ask's `seq`.
        seq: u64,
        /// The connection.
        conn: u64,
        /// Rows in the filtered view.
        total: u32,
        /// Messages (and control frames) the search matched; 0 without a search.
        matches: u32,
        /// The first row's position in the view.
        start: u32,
        /// The rows.
        rows: Vec<FrameRow>,
        /// Why the search could not run (a bad regular expression).
        error: Option<String>,
    },
    /// A row's detail.
    Detail(Box<Detail>),
    /// A connection's message sizes over time.
    Plot {
        /// The connection.
        conn: u64,
        /// At most [`MAX_POINTS`] points, in time order.
        points: Vec<PlotPoint>,
        /// How many messages there are (more than the points when thinned).
        messages: u32,
        /// Messages and bytes per second per side, binned over time (every message).
        #[serde(default)]
        rates: Rates,
    },
    /// A connection's diagnoses and conformance.
    Diagnosis(Box<ConnDiagnosis>),
    /// An export.
    Export {
        /// A file name.
        name: String,
        /// The text.
        text: String,
    },
    /// What a binary export (the pcapng, posted as a `File` just before) holds, or why there
    /// is none.
    Exported {
        /// The connection.
        conn: u64,
        /// The file's name (none when it could not be made).
        name: Option<String>,
        /// Its size in bytes.
        size: u64,
        /// Frames written.
        frames: u64,
        /// What it lacks, or why it could not be made, in words.
        note: Option<String>,
    },
    /// A row's message decoded with a choice (the answer to [`Ask::Decoded`]).
    Decoded {
        /// The connection.
        conn: u64,
        /// The row.
        row: u32,
        /// The choice asked for.
        choice: String,
        /// The message decoded, if a decoder read it.
        decoded: Option<wsinspect_payload::Decoded>,
    },
    /// The `.proto` was taken (every message decoded again), or why not.
    Proto {
        /// Where the files are wrong (file:line:column: what).
        error: Option<String>,
    },
}

/// Everything the page needs to show one frame with its usual detail views.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    /// The ask's `seq`.
    pub seq: u64,
    /// The connection.
    pub conn: u64,
    /// The row.
    pub row: FrameRow,
    /// The frame's bytes as sent (header, then the masked payload), when kept.
    pub bytes: Option<Vec<u8>>,
    /// Its findings (from the whole connection's decode, so they are true in context).
    pub findings: Vec<WireFinding>,
    /// Its message's whole payload (inflated when compressed), when kept.
    pub message: Option<Vec<u8>>,
    /// Its message's opcode and frame count.
    pub message_shape: Option<(u8, u32, bool)>,
    /// The handshake's request and response bytes, joined.
    pub handshake: Option<Vec<u8>>,
    /// A HAR message: its payload only (a HAR has no frames).
    pub har_payload: Option<Vec<u8>>,
    /// What was not kept, if anything.
    pub note: Option<String>,
    /// Its message decoded in the connection's context (capture_decoded), if a decoder read it.
    #[serde(default)]
    pub decoded: Option<wsinspect_payload::Decoded>,
}

/// The most points a plot carries: more messages are thinned evenly.
pub const MAX_POINTS: usize = 2000;

/// One message in the size plot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlotPoint {
    /// Its first frame's row (selecting the point selects it).
    pub row: u32,
    /// Who sent it.
    pub side: Side,
    /// Seconds since the connection's first packet (its last frame's time).
    pub time: f64,
    /// Its payload length (inflated when compressed).
    pub len: u64,
    /// Text (1) or binary (2).
    pub opcode: u8,
}

/// A finding, as it crosses to the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireFinding {
    /// Its rule's code.
    pub code: String,
    /// How bad.
    pub severity: Severity,
    /// Its sentence.
    pub message: String,
}

impl WireFinding {
    pub(crate) fn of(f: &Finding) -> WireFinding {
        WireFinding {
            code: f.rule.as_str().to_string(),
            severity: f.severity,
            message: f.message.clone(),
        }
    }

    /// The core's finding back (`None` for a code this build does not know).
    pub fn finding(&self) -> Option<Finding> {
        let rule: Rule = self.code.parse().ok()?;
        Some(
            Finding::new(rule, 0)
                .with_message(self.message.clone())
                .with_severity(self.severity),
        )
    }
}

/// A row as the index keeps it: only what its frame's header and findings ([`StoredFrame`]) do
/// not say. The page's [`FrameRow`] is made from both when asked for ([`Conn::row`]): a
/// `FrameRow` a frame (240 bytes, five of them strings or lists) was a tenth of the index.
struct RowAt {
    side: Side,
    /// Its index among its side's frames.
    index: u64,
    /// Seconds since the connection's first packet.
    time: Option<f64>,
    /// Where the frame starts in its side's stream.
    offset: u64,
    /// The data message it belongs to (index among its side's messages).
    message: Option<u64>,
    /// Its preview when made as it was read ([`Preview::Made`]); empty otherwise.
    preview: Box<str>,
    /// What the payload decoder read in its message, on the message's first row.
    decoded: Option<Box<str>>,
}

struct StoredFrame {
    header: Header,
    payload: Vec<u8>,
    findings: Vec<Finding>,
    /// Index into the connection's messages.
    msg: Option<u32>,
    preview: Preview,
}

/// Where a row's preview comes from. A capture's rows are made when the page asks for them
/// ([`Conn::row`]): a preview for each of a big file's frames, most never shown, was a tenth of
/// the loader's time.
#[derive(Clone, Copy)]
enum Preview {
    /// The row holds it (made as the frame was read: the frame's bytes were not all kept, or
    /// the input was small).
    Made,
    /// From the stored payload ([`frame_preview`]), or the message's inflated bytes on a
    /// compressed message's first row.
    Payload { is_text: bool, compressed: bool },
}

struct StoredMsg {
    opcode: u8,
    /// Its frames' rows: inline for up to two (nearly every message), not an allocation each.
    rows: SmallVec<[u32; 2]>,
    /// The inflated payload of a compressed message, when kept as it was read: in pasted input,
    /// and on a side whose frames were not all kept whole ([`Conn::cut_at`]). Otherwise it is
    /// inflated again when asked for ([`again`]); an uncompressed one joins its frames.
    inflated: Option<Vec<u8>>,
    /// A compressed message's inflated length (as read), whether or not `inflated` keeps it.
    inflated_len: Option<u64>,
    /// The start of a compressed message's inflated bytes when `inflated` does not keep them:
    /// as much as its first row's preview reads ([`PREVIEW_HEAD`]).
    head: Option<Box<[u8]>>,
    index: u64,
}

#[derive(Default)]
struct Conn {
    summary: ConnSummary,
    rows: Vec<RowAt>,
    frames: Vec<StoredFrame>,
    msgs: Vec<StoredMsg>,
    /// The open message per side (index into `msgs`).
    open: [Option<u32>; 2],
    /// Per side, the row from which it is cut: a frame whose payload was not kept whole (past
    /// [`MAX_KEPT`]); both sides: bytes lost in the capture, or an upgrade assumed without its
    /// response. Its compressed messages from then on cannot be inflated again from the kept
    /// frames ([`again`]), so they keep their inflated bytes as read (within [`MAX_KEPT`]).
    cut_at: [Option<u32>; 2],
    /// The messages of more than one frame per side (indexes into msgs, in row order).
    fragmented: [Vec<u32>; 2],
    request: Option<Vec<u8>>,
    response: Option<Vec<u8>>,
    /// Where the request and the response came among the rows (the row count then) and when.
    heads_at: [Option<(u32, Option<u64>)>; 2],
    /// The capture's flow (endpoints, first packet), when read from a pcap or pcapng file.
    origin: Option<Connection>,
    /// A wss connection's TLS, as the capture reported it (the JSON export carries it whole).
    tls: Option<Box<TlsReport>>,
    start_ns: Option<u64>,
    /// Its messages decoded by the payload decoders (labels, checkpoints).
    payloads: ConnPayloads,
}

/// A view's rows (indexes into the connection's rows) and search matches, or why not.
type ViewResult = Result<(Vec<u32>, u32), String>;

/// Everything read so far, and the answers to the page's questions.
#[derive(Default)]
pub struct Index {
    conns: Vec<Conn>,
    by_id: HashMap<u64, usize>,
    kept: u64,
    frames: u64,
    cache: Option<(u64, Filter, usize, ViewResult)>,
    tls_flows: Vec<TlsFlow>,
    tls_flow_count: u64,
    diagnoses: diagnosis::Diagnoses,
    /// How payloads are decoded (the user's .proto).
    payload: PayloadSetup,
    /// The payload bytes kept in all, when not [`MAX_KEPT`] (the tests' smaller caps).
    max_kept: Option<u64>,
    /// The last connection whose compressed messages were inflated again ([`again`]).
    again: RefCell<again::Again>,
}

fn addr(a: &SocketAddr) -> String {
    a.to_string()
}

fn severity_rank(s: Severity) -> usize {
    match s {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Note => 2,
    }
}

fn severity_name(i: usize) -> &'static str {
    ["error", "warning", "note"][i]
}

impl Index {
    fn conn(&mut self, id: u64) -> Option<&mut Conn> {
        let i = *self.by_id.get(&id)?;
        self.conns.get_mut(i)
    }

    fn add_conn(&mut self, summary: ConnSummary, start_ns: Option<u64>) -> &mut Conn {
        self.by_id.insert(summary.id, self.conns.len());
        self.conns.push(Conn {
            summary,
            start_ns,
            payloads: ConnPayloads::new(self.payload.clone()),
            ..Conn::default()
        });
        self.conns.last_mut().expect("just pushed")
    }

    /// The connections list (the first [`MAX_LISTED`]).
    pub fn summaries(&self) -> Vec<ConnSummary> {
        self.summaries_from(0, MAX_LISTED)
    }

    /// Connections `start..start + count` of the list (at most [`MAX_LISTED`]).
    pub fn summaries_from(&self, start: usize, count: usize) -> Vec<ConnSummary> {
        self.conns
            .iter()
            .skip(start)
            .take(count.min(MAX_LISTED))
            .map(|c| c.summary.clone())
            .collect()
    }

    /// How many connections there are.
    pub fn count(&self) -> u64 {
        self.conns.len() as u64
    }

    /// Frames (and HAR messages) so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Take one capture event.
    pub fn push(&mut self, e: CaptureEvent) {
        self.push_linked(e, None);
    }

    /// [`Index::push`], with the capture's recent requests (to link a refused upgrade to the
    /// proxy's other hop).
    pub fn push_linked(&mut self, e: CaptureEvent, hops: Option<&HopLog>) {
        self.track_diagnoses(&e, hops);
        match e {
            CaptureEvent::Connection(c) => self.connection(&c),
            CaptureEvent::Event { connection, event } => self.event(connection, event),
            CaptureEvent::Closed { connection, .. } => {
                if let Some(c) = self.conn(connection) {
                    c.summary.closed = true;
                }
            }
            CaptureEvent::Tls { connection, tls } => {
                if let Some(c) = self.conn(connection) {
                    c.summary.tls = Some(TlsSummary::of(&tls));
                    c.tls = Some(tls);
                }
            }
            CaptureEvent::OtherFlow(f) => self.other_flow(&f),
            // `Input`: only from a capture whose sessions run outside it; the page's run inside.
            CaptureEvent::Note(_) | CaptureEvent::Input { .. } => {}
        }
    }

    fn other_flow(&mut self, f: &OtherFlow) {
        let Some(tls) = &f.tls else { return };
        self.tls_flow_count += 1;
        if self.tls_flows.len() < MAX_LISTED {
            self.tls_flows.push(TlsFlow {
                id: f.id,
                client: addr(&f.client),
                server: addr(&f.server),
                kind: match f.kind {
                    FlowKind::Http => "http",
                    FlowKind::Tls => "tls",
                    _ => "other",
                }
                .into(),
                tls: TlsSummary::of(tls),
            });
        }
    }

    fn connection(&mut self, c: &Connection) {
        let start = c.time.map(|t| t.0);
        let conn = self.add_conn(
            ConnSummary {
                id: c.id,
                client: addr(&c.client),
                server: addr(&c.server),
                start: c.time.map(|t| t.as_secs_f64()),
                upgrade: "no handshake seen".into(),
                ..ConnSummary::default()
            },
            start,
        );
        conn.origin = Some(c.clone());
    }

    fn event(&mut self, id: u64, e: Event) {
        let kept_before = self.kept;
        let max_kept = self.max_kept.unwrap_or(MAX_KEPT);
        let Some(c) = self.conn(id) else { return };
        let side = Side::of(e.direction);
        let s = side.i();
        c.summary.bytes[s] = c.summary.bytes[s].max(e.end);
        if let Some(t) = e.time {
            c.summary.end = Some(t.as_secs_f64());
            if c.start_ns.is_none() {
                c.start_ns = Some(t.0);
                c.summary.start = Some(t.as_secs_f64());
            }
        }
        let count = |c: &mut Conn, fs: &[Finding]| {
            for f in fs {
                c.summary.findings[severity_rank(f.severity)] += 1;
            }
        };
        let mut kept_add = 0u64;
        let mut frame_added = false;
        match e.kind {
            EventKind::Request(h) => {
                c.heads_at[0] = Some((c.rows.len() as u32, f_time(&e.time)));
                c.request = Some(h.raw.0);
            }
            EventKind::Response(h) => {
                c.heads_at[1] = Some((c.rows.len() as u32, f_time(&e.time)));
                c.response = Some(h.raw.0);
            }
            EventKind::Upgrade(u) => {
                c.summary.upgrade = match (u.accepted, u.assumed, u.status) {
                    (_, true, _) => "no response (assumed)".into(),
                    (true, _, s) => s.to_string(),
                    (false, _, s) => format!("refused {s}"),
                };
                // An upgrade assumed without the response: not replayed either.
                if u.assumed {
                    c.cut_from_here(None);
                }
                c.payloads.upgraded(u.subprotocol.as_deref());
                c.summary.subprotocol = u.subprotocol;
                c.summary.extensions = u.extensions;
            }
            EventKind::Frame(f) => {
                let row = c.rows.len() as u32;
                if c.summary.upgrade == "no handshake seen" && c.request.is_none() {
                    c.summary.upgrade = "joined after the handshake".into();
                }
                c.summary.frames[s] += 1;
                count(c, &f.findings);
                let opcode = f.header.opcode;
                // A data frame belongs to its side's open message (a new one at text/binary).
                let msg = if opcode < 8 {
                    if opcode != 0 || c.open[s].is_none() {
                        let m = c.msgs.len() as u32;
                        let index = f.message.unwrap_or(u64::MAX);
                        c.msgs.push(StoredMsg {
                            opcode,
                            rows: SmallVec::new(),
                            inflated: None,
                            inflated_len: None,
                            head: None,
                            index,
                        });
                        c.open[s] = Some(m);
                    }
                    let m = c.open[s].expect("set above");
                    c.msgs[m as usize].rows.push(row);
                    if c.msgs[m as usize].rows.len() == 2 {
                        c.fragmented[s].push(m);
                    }
                    Some(m)
                } else {
                    None
                };
                let time = match (f_time(&e.time), c.start_ns) {
                    (Some(t), Some(s0)) => Some(t.saturating_sub(s0) as f64 / 1e9),
                    _ => None,
                };
                let payload = f.payload.kept.0;
                kept_add = payload.len() as u64;
                let (payload, preview, from) = if kept_before + kept_add > max_kept {
                    kept_add = 0;
                    let p = frame_preview(&f.header, &payload, f.is_text, f.compressed);
                    (Vec::new(), p, Preview::Made)
                } else {
                    let from = Preview::Payload {
                        is_text: f.is_text,
                        compressed: f.compressed,
                    };
                    // Kept until the file is closed: without the room it grew into over the
                    // frame's segments (a quarter of the bytes in the benchmark capture).
                    let mut payload = payload;
                    payload.shrink_to_fit();
                    (payload, String::new(), from)
                };
                if payload.len() as u64 != f.header.payload_len {
                    c.cut_from_here(Some(side));
                }
                c.rows.push(RowAt {
                    side,
                    index: f.index,
                    time,
                    offset: f.offset,
                    message: f.message,
                    preview: preview.into_boxed_str(),
                    decoded: None,
                });
                c.frames.push(StoredFrame {
                    header: f.header,
                    payload,
                    findings: f.findings,
                    msg,
                    preview: from,
                });
                frame_added = true;
            }
            EventKind::Message(m) => {
                c.summary.messages[s] += 1;
                // The message that ends is its side's open one: the reader tells a message's
                // end before the frame that starts the next.
                let open = c.open[s].take().filter(|&i| {
                    let at = c.msgs[i as usize].index;
                    at == m.index || at == u64::MAX
                });
                if let Some(i) = open {
                    let whole = m.payload.is_whole().then_some(&m.payload.kept.0[..]);
                    let label = c.payloads.message(i, side, m.opcode, whole);
                    c.label(i, label);
                    let stored = &mut c.msgs[i as usize];
                    stored.index = m.index;
                    if m.compressed {
                        let inflated = m.payload.kept.0;
                        stored.inflated_len = Some(inflated.len() as u64);
                        let first = stored.rows.first().map(|&r| r as usize);
                        let replayable =
                            c.cut_at[s].is_none() && c.request.is_some() && c.response.is_some();
                        let keep = !replayable && kept_before + m.payload.len <= max_kept;
                        // The timeline previews what the message says, not its deflate bytes:
                        // from its start, kept here; made now on a first row whose preview
                        // was made already (its frame's bytes passed the cap).
                        match first {
                            Some(f) if matches!(c.frames[f].preview, Preview::Made) => {
                                c.rows[f].preview = inflated_preview(&inflated, m.opcode == 1);
                            }
                            Some(_) if !keep => {
                                let head = &inflated[..inflated.len().min(PREVIEW_HEAD)];
                                stored.head = Some(head.into());
                            }
                            _ => {}
                        }
                        if keep {
                            kept_add = inflated.len() as u64;
                            stored.inflated = Some(inflated);
                        }
                    }
                }
            }
            EventKind::Finding(f) => count(c, std::slice::from_ref(&f)),
            EventKind::End { incomplete } => {
                if let Some(i) = incomplete {
                    count(c, &i.findings);
                }
            }
            // Lost bytes: the session's reading from then on (of either side: the upgrade may
            // be decided by what the other side sent) cannot be replayed from the kept frames.
            EventKind::Gap { .. } => c.cut_from_here(None),
            EventKind::Body { .. } => {}
        }
        self.kept += kept_add;
        self.frames += u64::from(frame_added);
    }

    /// Take a whole HAR.
    pub fn push_har(&mut self, har: HarCapture) {
        for hc in har.connections {
            let id = hc.id;
            let report = wsinspect_capture::har::diagnose(&hc);
            let start_ns = hc.messages.iter().find_map(|m| m.time).map(secs_ns);
            let mut head = hc.request_head.clone().into_bytes();
            if let Some(r) = &hc.response_head {
                head.extend_from_slice(r.as_bytes());
            }
            let summary = ConnSummary {
                id: hc.id,
                client: hc.url.clone(),
                server: hc.url.clone(),
                start: start_ns.map(|n| n as f64 / 1e9),
                upgrade: match (hc.status, &hc.failure) {
                    (Some(101), _) => "101".into(),
                    (Some(s), _) => format!("refused {s}"),
                    (None, Some(f)) => format!("failed: {f}"),
                    (None, None) => "no response".into(),
                },
                har: true,
                ..ConnSummary::default()
            };
            let c = self.add_conn(summary, start_ns);
            c.payloads.upgraded(
                wsinspect_core::handshake::analyze(&head)
                    .subprotocol
                    .as_deref(),
            );
            c.request = Some(head);
            let mut counts = [0u64; 2];
            let (mut kept, mut frames) = (0u64, 0u64);
            for m in hc.messages {
                let side = Side::of(m.direction);
                let s = side.i();
                let row = c.rows.len() as u32;
                let findings: Vec<Finding> = hc
                    .findings
                    .iter()
                    .filter(|f| f.index == m.index)
                    .map(|f| f.finding.clone())
                    .collect();
                for f in &findings {
                    c.summary.findings[severity_rank(f.severity)] += 1;
                }
                let time = match (m.time.map(secs_ns), start_ns) {
                    (Some(t), Some(s0)) => Some(t.saturating_sub(s0) as f64 / 1e9),
                    _ => None,
                };
                c.summary.end = m.time.or(c.summary.end);
                c.summary.frames[s] += 1;
                let data = m.opcode.0 < 8;
                if data {
                    c.summary.messages[s] += 1;
                }
                c.summary.bytes[s] += m.payload.len() as u64;
                let msg = data.then(|| {
                    let i = c.msgs.len() as u32;
                    c.msgs.push(StoredMsg {
                        opcode: m.opcode.0,
                        rows: smallvec::smallvec![row],
                        inflated: None,
                        inflated_len: None,
                        head: None,
                        index: counts[s],
                    });
                    i
                });
                c.rows.push(RowAt {
                    side,
                    index: counts[s],
                    time,
                    offset: 0,
                    message: data.then_some(counts[s]),
                    preview: crate::view::preview_bytes(&m.payload, m.opcode.0 == 1, PREVIEW)
                        .into_boxed_str(),
                    decoded: None,
                });
                counts[s] += 1;
                kept += m.payload.len() as u64;
                if let Some(mi) = msg {
                    let label = c.payloads.message(mi, side, m.opcode.0, Some(&m.payload));
                    c.label(mi, label);
                }
                c.frames.push(StoredFrame {
                    header: har_header(m.opcode.0, m.payload.len() as u64),
                    payload: m.payload,
                    findings,
                    msg,
                    preview: Preview::Made,
                });
                frames += 1;
            }
            c.summary.closed = true;
            self.kept += kept;
            self.frames += frames;
            self.keep_diagnoses(id, report, None);
        }
    }

    /// A dump or pasted stream read by the core's `inspect`: one connection from one side.
    pub fn push_inspection(&mut self, i: &Inspection) {
        let report = i.frames.as_ref();
        let side = Side::of(report.map_or(Direction::Unknown, |r| r.direction));
        let s = side.i();
        let c = self.add_conn(
            ConnSummary {
                id: 1,
                client: "(pasted stream)".into(),
                server: String::new(),
                upgrade: match &i.handshake {
                    Some(h) => h
                        .response
                        .as_ref()
                        .map_or("no response".into(), |r| r.status.to_string()),
                    None => "no handshake in the input".into(),
                },
                closed: true,
                ..ConnSummary::default()
            },
            None,
        );
        c.request = i
            .handshake
            .as_ref()
            .map(|_| i.bytes[..i.frames_offset].to_vec());
        c.summary.bytes[s] = i.bytes.len() as u64;
        let Some(report) = report else { return };
        let mut msg_of = HashMap::default();
        for m in &report.messages {
            if m.frames.len() > 1 {
                c.fragmented[s].push(c.msgs.len() as u32);
            }
            msg_of.insert(m.index, c.msgs.len() as u32);
            c.msgs.push(StoredMsg {
                opcode: m.opcode.0,
                rows: m.frames.iter().map(|&f| f as u32).collect(),
                inflated: m.inflated.clone(),
                inflated_len: m.inflated.as_ref().map(|b| b.len() as u64),
                head: None,
                index: m.index as u64,
            });
        }
        for f in &report.frames {
            c.summary.frames[s] += 1;
            for x in &f.findings {
                c.summary.findings[severity_rank(x.severity)] += 1;
            }
            c.rows.push(RowAt {
                side,
                index: f.index as u64,
                time: None,
                offset: f.offset,
                message: f.message.map(|m| m as u64),
                preview: crate::view::preview(f, PREVIEW).into_boxed_str(),
                decoded: None,
            });
            c.frames.push(StoredFrame {
                header: f.header.clone(),
                payload: f.payload.clone(),
                findings: f.findings.clone(),
                msg: f.message.and_then(|m| msg_of.get(&m).copied()),
                preview: Preview::Made,
            });
        }
        c.summary.messages[s] = report.messages.len() as u64;
        let sub = i.handshake.as_ref().and_then(|h| h.subprotocol.as_deref());
        c.payloads.upgraded(sub);
        for m in &report.messages {
            if let Some(&mi) = msg_of.get(&m.index) {
                let whole = m.complete.then(|| report.message_payload(m));
                let label = c.payloads.message(mi, side, m.opcode.0, whole.as_deref());
                c.label(mi, label);
            }
        }
        self.frames += report.frames.len() as u64;
        self.diagnose_inspection(1, i);
    }

    /// Answer the page.
    pub fn answer(&mut self, ask: Ask) -> Option<Tell> {
        match ask {
            Ask::Window {
                seq,
                conn,
                filter,
                start,
                count,
            } => Some(self.window(seq, conn, &filter, start, count)),
            Ask::Detail { seq, conn, row } => self
                .detail(seq, conn, row)
                .map(|d| Tell::Detail(Box::new(d))),
            Ask::Connections { seq, start, count } => Some(Tell::Connections {
                seq,
                start,
                total: self.count(),
                rows: self.summaries_from(start as usize, count as usize),
            }),
            Ask::Export { conn, format } => self.export(conn, &format),
            Ask::Plot { conn } => self.plot(conn),
            Ask::Diagnosis { conn } => self.diagnosis(conn).map(|d| Tell::Diagnosis(Box::new(d))),
            Ask::Decoded { conn, row, choice } => self.decoded(conn, row, choice),
            Ask::Proto { files, message } => Some(self.proto(files, message)),
            // The reader's business (the worker's loop), not the index's.
            Ask::Stop | Ask::KeyLog { .. } => None,
            // The worker's: the bytes go as a `File` (`Index::pcapng`), not in JSON.
            Ask::Pcapng { .. } => None,
        }
    }

    fn window(&mut self, seq: u64, conn: u64, filter: &Filter, start: u32, count: u32) -> Tell {
        let (view, matches, error) = match self.view(conn, filter) {
            Ok((rows, matches)) => (rows, matches, None),
            Err(e) => (Vec::new(), 0, Some(e)),
        };
        let matcher = Matcher::new(filter).ok().flatten();
        let c = self.by_id.get(&conn).map(|&i| &self.conns[i]);
        let rows = c.map_or_else(Vec::new, |c| {
            view.iter()
                .skip(start as usize)
                .take(count.min(500) as usize)
                .filter_map(|&r| {
                    let mut row = c.row(r as usize)?;
                    row.hit = matcher.as_ref().and_then(|m| m.find(&row.preview));
                    row.groups = [c.group_at(r, Side::Client), c.group_at(r, Side::Server)];
                    Some(row)
                })
                .collect()
        });
        Tell::Window {
            seq,
            conn,
            total: view.len() as u32,
            matches,
            start,
            rows,
            error,
        }
    }

    /// The rows of `conn` that `filter` keeps, and how many messages the search matched.
    pub fn view(&mut self, conn: u64, filter: &Filter) -> ViewResult {
        let Some(&ci) = self.by_id.get(&conn) else {
            return Ok((Vec::new(), 0));
        };
        let n = self.conns[ci].rows.len();
        if let Some((cc, cf, cn, r)) = &self.cache {
            if *cc == conn && cf == filter && *cn == n {
                return r.clone();
            }
        }
        let r = if filter.query.is_empty() {
            compute_view(&self.conns[ci], filter, &again::Inflated::default())
        } else {
            compute_view(&self.conns[ci], filter, &self.reinflated(ci, usize::MAX))
        };
        self.cache = Some((conn, filter.clone(), n, r.clone()));
        r
    }

    fn detail(&self, seq: u64, conn: u64, row: u32) -> Option<Detail> {
        let ci = *self.by_id.get(&conn)?;
        let c = &self.conns[ci];
        let r = c.row(row as usize)?;
        let f = &c.frames[row as usize];
        let whole = f.payload.len() as u64 == f.header.payload_len;
        let msg = f.msg.map(|m| &c.msgs[m as usize]);
        let message = f.msg.and_then(|m| {
            // Fed up to the message's last frame: a detail early in a big connection does not
            // wait for the rest to be inflated again.
            let upto = c.msgs[m as usize]
                .rows
                .last()
                .map_or(0, |&r| r as usize + 1);
            message_payload(c, m, &self.reinflated(ci, upto))
        });
        let mut handshake = c.request.clone();
        if let (Some(h), Some(resp)) = (&mut handshake, &c.response) {
            h.extend_from_slice(resp);
        }
        let mut note = None;
        let (bytes, har_payload) = if c.summary.har {
            (None, Some(f.payload.clone()))
        } else if !whole {
            note = Some(format!(
                "the payload was not kept ({} bytes): the page keeps at most {} MiB of payloads",
                f.header.payload_len,
                MAX_KEPT >> 20
            ));
            (None, None)
        } else {
            let mut b = f.header.to_bytes()[..f.header.header_len].to_vec();
            let start = b.len();
            let take = f.payload.len().min(DETAIL_BYTES);
            b.extend_from_slice(&f.payload[..take]);
            if let Some(key) = f.header.mask_key {
                apply_mask(&mut b[start..], key, 0);
            }
            if take < f.payload.len() {
                note = Some(format!(
                    "the detail shows the first {take} of {} payload bytes",
                    f.payload.len()
                ));
            }
            (Some(b), None)
        };
        Some(Detail {
            seq,
            conn,
            row: r,
            bytes,
            findings: f.findings.iter().map(WireFinding::of).collect(),
            message,
            message_shape: msg.map(|m| {
                (
                    m.opcode,
                    m.rows.len() as u32,
                    m.inflated.is_some() || f.header.rsv1,
                )
            }),
            handshake,
            har_payload,
            note,
            decoded: f
                .msg
                .and_then(|m| self.decode_msg(c, m, wsinspect_payload::Choice::Auto)),
        })
    }

    fn plot(&self, conn: u64) -> Option<Tell> {
        let c = &self.conns[*self.by_id.get(&conn)?];
        let step = c.msgs.len().div_ceil(MAX_POINTS).max(1);
        let points = c
            .msgs
            .iter()
            .step_by(step)
            .filter_map(|m| {
                let row = *m.rows.first()?;
                let first = &c.rows[row as usize];
                let last = &c.rows[*m.rows.last()? as usize];
                let len = message_len(c, m);
                Some(PlotPoint {
                    row,
                    side: first.side,
                    time: last.time.or(first.time)?,
                    len,
                    opcode: m.opcode,
                })
            })
            .collect();
        Some(Tell::Plot {
            conn,
            points,
            messages: c.msgs.len() as u32,
            rates: rates::rates(c),
        })
    }

    fn export(&self, conn: u64, format: &str) -> Option<Tell> {
        if format == "json" {
            return Some(self.connection_json(conn));
        }
        let ci = *self.by_id.get(&conn)?;
        let c = &self.conns[ci];
        let again = self.reinflated(ci, usize::MAX);
        let mut text = String::new();
        if format == "csv" {
            text.push_str("time,direction,opcode,length,text,base64\n");
        }
        for (mi, m) in c.msgs.iter().enumerate() {
            let first = &c.rows[*m.rows.first()? as usize];
            let last = &c.rows[*m.rows.last()? as usize];
            let payload = message_payload(c, mi as u32, &again).unwrap_or_default();
            let txt = (m.opcode == 1)
                .then(|| core::str::from_utf8(&payload).ok())
                .flatten();
            let b64 = txt.is_none().then(|| crate::view::base64(&payload));
            let time = last.time.or(first.time);
            if format == "csv" {
                text.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    time.map_or(String::new(), |t| format!("{t:.6}")),
                    side_name(first.side),
                    OpCode(m.opcode).label(),
                    payload.len(),
                    csv_field(txt.unwrap_or("")),
                    b64.unwrap_or_default()
                ));
            } else {
                let line = serde_json::json!({
                    "time": time,
                    "direction": side_name(first.side),
                    "opcode": OpCode(m.opcode).label(),
                    "length": payload.len(),
                    "text": txt,
                    "base64": b64,
                    "decoded": first.decoded,
                });
                text.push_str(&line.to_string());
                text.push('\n');
            }
        }
        Some(Tell::Export {
            name: format!("wsinspect-connection-{conn}.{format}"),
            text,
        })
    }
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn f_time(t: &Option<wsinspect_core::session::Timestamp>) -> Option<u64> {
    t.map(|t| t.0)
}

fn secs_ns(s: f64) -> u64 {
    (s * 1e9) as u64
}

fn har_header(opcode: u8, len: u64) -> Header {
    Header {
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode,
        masked: false,
        len7: len.min(125) as u8,
        payload_len: len,
        mask_key: None,
        header_len: 2,
    }
}

/// A frame's finding rules and its worst severity's name, as a row carries them.
pub(crate) fn codes(fs: &[Finding]) -> (Vec<String>, Option<String>) {
    let worst = fs.iter().map(|f| severity_rank(f.severity)).min();
    (
        fs.iter().map(|f| f.rule.as_str().to_string()).collect(),
        worst.map(|w| severity_name(w).to_string()),
    )
}

/// A row's preview: a close frame's code and reason, a compressed frame said so, else the
/// payload's start.
pub(crate) fn frame_preview(h: &Header, payload: &[u8], is_text: bool, compressed: bool) -> String {
    if h.opcode == 8 && payload.len() >= 2 {
        let code = u16::from_be_bytes([payload[0], payload[1]]);
        let reason = String::from_utf8_lossy(&payload[2..]);
        return if reason.is_empty() {
            code.to_string()
        } else {
            format!("{code} {reason:?}")
        };
    }
    if compressed && h.opcode < 8 {
        return format!("(compressed, {} bytes)", h.payload_len);
    }
    crate::view::preview_bytes(payload, is_text, PREVIEW)
}

/// The bytes of an inflated message [`inflated_preview`] reads: its preview from them is the
/// one from the whole message (`preview_bytes` reads 4 bytes a character, and says "…" when
/// there were more).
const PREVIEW_HEAD: usize = (PREVIEW - 10) * 4 + 1;

/// A compressed message's preview: what it says, not its deflate bytes.
fn inflated_preview(inflated: &[u8], is_text: bool) -> Box<str> {
    const SAID: &str = " (inflated)";
    let text = crate::view::preview_bytes(inflated, is_text, PREVIEW - 10);
    let mut s = String::with_capacity(text.len() + SAID.len());
    s.push_str(&text);
    s.push_str(SAID);
    s.into_boxed_str()
}

/// A message's payload length (inflated when compressed), from its rows' lengths.
fn message_len(c: &Conn, m: &StoredMsg) -> u64 {
    match m.inflated_len {
        Some(n) => n,
        None => m
            .rows
            .iter()
            .map(|&r| c.frames[r as usize].header.payload_len)
            .sum(),
    }
}

/// Message `mi`'s payload: inflated when compressed (kept as read, or inflated again: `again`,
/// the connection's [`again::Inflated`]; `None` when neither has it: its bytes were past
/// [`MAX_KEPT`]), else its frames' joined.
fn message_payload(c: &Conn, mi: u32, again: &again::Inflated) -> Option<Vec<u8>> {
    let m = &c.msgs[mi as usize];
    if m.inflated_len.is_some() {
        let side = c.rows[*m.rows.first()? as usize].side;
        let inflated = m.inflated.as_ref().or_else(|| again.get(&(side, m.index)));
        return inflated.cloned();
    }
    Some(
        m.rows
            .iter()
            .flat_map(|&r| c.frames[r as usize].payload.iter().copied())
            .collect(),
    )
}

/// The search, compiled.
enum Matcher {
    Plain(String),
    Case(String),
    Regex(regex::Regex),
}

impl Matcher {
    fn new(f: &Filter) -> Result<Option<Matcher>, String> {
        if f.query.is_empty() {
            return Ok(None);
        }
        Ok(Some(match f.mode {
            SearchMode::Plain => Matcher::Plain(f.query.to_lowercase()),
            SearchMode::Case => Matcher::Case(f.query.clone()),
            SearchMode::Regex => Matcher::Regex(
                regex::RegexBuilder::new(&f.query)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| format!("not a regular expression: {e}"))?,
            ),
        }))
    }

    /// The first match in `text`, as char offsets.
    fn find(&self, text: &str) -> Option<(u32, u32)> {
        let (a, b) = match self {
            Matcher::Plain(q) => {
                // Lower-casing can change lengths: search char by char on a lowered copy
                // only when it does not.
                let low = text.to_lowercase();
                if low.len() != text.len() {
                    return None;
                }
                let a = low.find(q.as_str())?;
                (a, a + q.len())
            }
            Matcher::Case(q) => {
                let a = text.find(q.as_str())?;
                (a, a + q.len())
            }
            Matcher::Regex(r) => {
                let m = r.find(text)?;
                (m.start(), m.end())
            }
        };
        let ca = text[..a].chars().count() as u32;
        let cb = ca + text[a..b].chars().count() as u32;
        Some((ca, cb))
    }

    fn is_match(&self, text: &str) -> bool {
        match self {
            Matcher::Plain(q) => text.to_lowercase().contains(q.as_str()),
            Matcher::Case(q) => text.contains(q.as_str()),
            Matcher::Regex(r) => r.is_match(text),
        }
    }
}

/// `again`: the connection's [`again`], read by the search.
fn compute_view(c: &Conn, filter: &Filter, again: &again::Inflated) -> ViewResult {
    let matcher = Matcher::new(filter)?;
    // Which messages (by index into msgs) match, computed once per message.
    let mut msg_hit: Vec<Option<bool>> = vec![None; c.msgs.len()];
    let mut matches = 0u32;
    let mut rows = Vec::new();
    for (i, r) in c.rows.iter().enumerate() {
        let f = &c.frames[i];
        if filter.side.is_some_and(|s| s != r.side)
            || (filter.findings && f.findings.is_empty())
            || !filter
                .opcode
                .keeps(f.header.opcode, f.msg.map(|m| c.msgs[m as usize].opcode))
        {
            continue;
        }
        if let Some(m) = &matcher {
            let hit = match f.msg {
                Some(mi) => {
                    let slot = &mut msg_hit[mi as usize];
                    match *slot {
                        Some(h) => h,
                        None => {
                            let payload = message_payload(c, mi, again).unwrap_or_default();
                            // The decoded label counts too (`PUBLISH`, an event's name).
                            let msg = &c.msgs[mi as usize];
                            let label = msg
                                .rows
                                .first()
                                .and_then(|&r| c.rows[r as usize].decoded.as_deref());
                            let h = m.is_match(&String::from_utf8_lossy(&payload))
                                || label.is_some_and(|l| m.is_match(l));
                            *slot = Some(h);
                            matches += u32::from(h);
                            h
                        }
                    }
                }
                None => {
                    let h = m.is_match(&String::from_utf8_lossy(&f.payload));
                    matches += u32::from(h);
                    h
                }
            };
            if !hit {
                continue;
            }
        }
        rows.push(i as u32);
    }
    Ok((rows, matches))
}

/// The detail as an [`Inspection`] of the frame's bytes, so the page's frame detail shows it
/// as it shows a pasted frame; its findings and message are the connection's (true in
/// context), not those of the frame read alone.
pub fn detail_inspection(d: &Detail) -> Option<Inspection> {
    let bytes = d.bytes.clone()?;
    let mut report = decode_all(&bytes, d.row.side.direction(), &DecodeConfig::default());
    let f = report.frames.first_mut()?;
    f.findings = d.findings.iter().filter_map(WireFinding::finding).collect();
    f.index = d.row.index as usize;
    let (opcode, frames, compressed) = d.message_shape.unwrap_or((f.header.opcode, 1, false));
    f.compressed = compressed;
    f.is_text = opcode == 1 && f.header.opcode < 8;
    report.incomplete = None;
    report.notes.clear();
    report.messages = match (&d.message, d.row.message) {
        (Some(m), Some(index)) if f.header.opcode < 8 => {
            f.message = Some(0);
            vec![MessageReport {
                index: index as usize,
                opcode: OpCode(opcode),
                frames: (0..frames as usize).collect(),
                compressed,
                complete: true,
                inflated: Some(m.clone()),
            }]
        }
        _ => {
            f.message = None;
            Vec::new()
        }
    };
    // Frame indexes past 0 in the message point nowhere here: keep only this frame.
    if let Some(m) = report.messages.first_mut() {
        m.frames = vec![0];
    }
    report.frames.truncate(1);
    Some(Inspection {
        notation: Notation::Raw,
        notation_also: None,
        len: bytes.len(),
        handshake: d
            .handshake
            .as_deref()
            .map(wsinspect_core::handshake::analyze),
        frames_offset: 0,
        frames: Some(report),
        extensions_error: None,
        assumed_extensions: None,
        http_body: None,
        bytes,
    })
}

/// The handshake of a detail, analysed (for the Handshake tab).
pub fn detail_handshake(d: &Detail) -> Option<wsinspect_core::handshake::HandshakeReport> {
    d.handshake
        .as_deref()
        .map(wsinspect_core::handshake::analyze)
}

/// A capture time (seconds since the epoch) as `2026-11-28 12:21:03.123 UTC`.
pub fn clock(secs: f64) -> String {
    let ms = (secs * 1000.0).round() as i64;
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    // Days to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03} UTC",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// A count with thousands separators (the view's one rule for it).
pub use crate::view::grouped;

/// A duration in seconds, readable: `850 µs`, `12.3 ms`, `4.56 s`.
pub fn duration(secs: f64) -> String {
    match secs {
        s if s < 1e-3 => format!("{:.0} µs", s * 1e6),
        s if s < 1.0 => format!("{:.1} ms", s * 1e3),
        s => format!("{s:.2} s"),
    }
}

/// A file being read: its format decided by its first bytes.
pub struct Loader {
    state: LoadState,
    /// The index of what was read.
    pub index: Index,
    read: u64,
    total: u64,
    format: Option<String>,
    other: u64,
    packets: u64,
    /// Key logs given before the capture started (added to it when it does).
    keylogs: Vec<Vec<u8>>,
    /// Secrets read from them.
    keylog_secrets: u64,
    keylog_error: Option<String>,
    embedded: u64,
}

enum LoadState {
    Start,
    Capture(Box<Capture>),
    Whole(Vec<u8>, WholeKind),
    Done,
}

#[derive(Clone, Copy)]
enum WholeKind {
    Har,
    Dump,
}

impl Loader {
    /// A loader for a file of `total` bytes.
    pub fn new(total: u64) -> Loader {
        Loader {
            state: LoadState::Start,
            index: Index::default(),
            read: 0,
            total,
            format: None,
            other: 0,
            packets: 0,
            keylogs: Vec::new(),
            keylog_secrets: 0,
            keylog_error: None,
            embedded: 0,
        }
    }

    /// A key log (NSS format) to decrypt the capture's TLS flows with: before the file or
    /// while it is read (it is used for the flows whose encrypted records come after). Returns
    /// how many secrets it held; a bad key log is an error naming its line, and is kept as
    /// [`Progress::keylog_error`].
    pub fn add_keylog(&mut self, bytes: &[u8]) -> Result<usize, String> {
        // Checked now (so the error comes at once), added to the capture when there is one.
        let mut check = wsinspect_capture::tls::KeyLog::new();
        let r = check.add(bytes).map_err(|e| e.to_string());
        match &r {
            Ok(n) => {
                self.keylog_secrets += *n as u64;
                match &mut self.state {
                    LoadState::Capture(c) => {
                        let _ = c.add_keylog(bytes);
                    }
                    _ => self.keylogs.push(bytes.to_vec()),
                }
            }
            Err(e) => self.keylog_error = Some(format!("the key log could not be read: {e}")),
        }
        r
    }

    /// The next slice of the file.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.read += bytes.len() as u64;
        if let LoadState::Start = self.state {
            self.state = start_state(bytes);
            if let LoadState::Capture(c) = &mut self.state {
                for k in self.keylogs.drain(..) {
                    let _ = c.add_keylog(&k);
                }
            }
            self.format = match &self.state {
                LoadState::Whole(_, WholeKind::Har) => Some("har".into()),
                _ => None,
            };
        }
        match &mut self.state {
            LoadState::Capture(c) => {
                let r = c.feed(bytes);
                self.format = c.totals().format.map(str::to_string);
                while let Some(e) = c.poll_event() {
                    self.index.push_linked(e, Some(c.hops()));
                }
                r.map_err(|e| e.to_string())
            }
            LoadState::Whole(buf, _) => {
                if buf.len() + bytes.len() > MAX_WHOLE {
                    return Err(format!(
                        "a HAR or stream dump is read whole, and this one is over {} MiB",
                        MAX_WHOLE >> 20
                    ));
                }
                buf.extend_from_slice(bytes);
                Ok(())
            }
            LoadState::Start | LoadState::Done => Ok(()),
        }
    }

    /// The file ended.
    pub fn finish(&mut self) -> Result<(), String> {
        match std::mem::replace(&mut self.state, LoadState::Done) {
            LoadState::Capture(mut c) => {
                let r = c.finish();
                while let Some(e) = c.poll_event() {
                    self.index.push_linked(e, Some(c.hops()));
                }
                self.other = c.totals().other_flows;
                self.packets = c.totals().packets;
                self.embedded = c.totals().embedded_secrets;
                r.map_err(|e| e.to_string())
            }
            LoadState::Whole(buf, WholeKind::Har) => {
                let har = har::read(&buf).map_err(|e| e.to_string())?;
                self.index.push_har(har);
                Ok(())
            }
            LoadState::Whole(buf, WholeKind::Dump) => {
                let i = inspect(&buf, &InspectOptions::default()).map_err(|e| {
                    format!("not a pcap, pcapng or HAR file, nor a stream dump: {e}")
                })?;
                self.format = Some(format!("stream ({})", notation_name(i.notation)));
                self.index.push_inspection(&i);
                Ok(())
            }
            LoadState::Start => Err(CaptureError::Empty.to_string()),
            LoadState::Done => Ok(()),
        }
    }

    /// Counts so far, with the connections list.
    pub fn progress(&self) -> Progress {
        let (other, packets, embedded) = match &self.state {
            LoadState::Capture(c) => (
                c.totals().other_flows,
                c.totals().packets,
                c.totals().embedded_secrets,
            ),
            _ => (self.other, self.packets, self.embedded),
        };
        Progress {
            read: self.read,
            total: self.total,
            format: self.format.clone(),
            frames: self.index.frames(),
            other_flows: other,
            packets,
            connections: self.index.summaries(),
            connection_count: self.index.count(),
            unchanged: false,
            tls_flows: self.index.tls_flows.clone(),
            tls_unchanged: false,
            tls_flow_count: self.index.tls_flow_count,
            secrets: self.keylog_secrets + embedded,
            keylog_error: self.keylog_error.clone(),
        }
    }
}

/// The labels of an NSS key log's lines.
const KEYLOG_LABELS: [&str; 10] = [
    "CLIENT_RANDOM",
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_",
    "SERVER_TRAFFIC_SECRET_",
    "EXPORTER_SECRET",
    "CLIENT_EARLY_TRAFFIC_SECRET",
    "EARLY_EXPORTER_SECRET",
    "RSA ",
    "SERVER_RANDOM",
];

/// Whether a file's first bytes read as an NSS key log (`SSLKEYLOGFILE`): its first line that
/// is not blank or a `#` comment starts with a key log label (told by content, not by name).
/// A file of comments only is one when they speak of secrets (Python's and OpenSSL's
/// `# TLS secrets log file`): a stream dump may start with a comment too.
pub fn looks_like_keylog(first: &[u8]) -> bool {
    let text = first.strip_prefix(b"\xef\xbb\xbf").unwrap_or(first);
    let mut lines = text.split(|&b| b == b'\n').peekable();
    let mut secret_comment = false;
    while let Some(line) = lines.next() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let cut_short = lines.peek().is_none();
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if line.starts_with(b"#") {
            secret_comment |= line.to_ascii_lowercase().windows(6).any(|w| w == b"secret");
            continue;
        }
        return KEYLOG_LABELS.iter().any(|l| {
            let l = l.as_bytes();
            // The last line may be cut by the slice: a prefix of a label counts.
            line.starts_with(l) || (cut_short && l.starts_with(line))
        });
    }
    secret_comment
}

fn notation_name(n: Notation) -> &'static str {
    match n {
        Notation::Raw => "raw",
        _ => "text notation",
    }
}

fn start_state(first: &[u8]) -> LoadState {
    const MAGICS: [[u8; 4]; 5] = [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0xa1, 0xb2, 0x3c, 0x4d],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    if first.len() >= 4 && MAGICS.iter().any(|m| first[..4] == m[..]) {
        // The default keeps every payload byte: the index serves them to the page.
        LoadState::Capture(Box::new(Capture::new(CaptureConfig::default())))
    } else if har::looks_like_json(first) {
        LoadState::Whole(Vec::new(), WholeKind::Har)
    } else {
        LoadState::Whole(Vec::new(), WholeKind::Dump)
    }
}

impl Conn {
    /// Row `i` as the page gets it, its preview made if the index did not keep one.
    fn row(&self, i: usize) -> Option<FrameRow> {
        let at = self.rows.get(i)?;
        let f = &self.frames[i];
        let h = &f.header;
        let (findings, severity) = codes(&f.findings);
        let mut row = FrameRow {
            row: i as u32,
            side: at.side,
            index: at.index,
            opcode: h.opcode,
            fin: h.fin,
            rsv: (u8::from(h.rsv1) << 2) | (u8::from(h.rsv2) << 1) | u8::from(h.rsv3),
            masked: h.masked,
            len: h.payload_len,
            time: at.time,
            offset: at.offset,
            message: at.message,
            findings,
            severity,
            preview: at.preview.to_string(),
            hit: None,
            decoded: at.decoded.as_deref().map(str::to_string),
            groups: [None, None],
        };
        let Preview::Payload {
            is_text,
            compressed,
        } = f.preview
        else {
            return Some(row);
        };
        // A compressed message's first row shows its inflated bytes, once they are in.
        let inflated = f
            .msg
            .map(|m| &self.msgs[m as usize])
            .filter(|m| compressed && m.rows.first() == Some(&(i as u32)))
            .and_then(|m| {
                let bytes = m.inflated.as_deref().or(m.head.as_deref())?;
                Some((bytes, m.opcode == 1))
            });
        row.preview = match inflated {
            Some((bytes, text)) => inflated_preview(bytes, text).into(),
            None => frame_preview(&f.header, &f.payload, is_text, compressed),
        };
        Some(row)
    }

    /// The fragmented message of `lane`'s side whose span holds `row`, if one does (a side's
    /// messages never overlap: a binary search over its fragmented ones).
    fn group_at(&self, row: u32, lane: Side) -> Option<GroupMark> {
        let list = &self.fragmented[lane.i()];
        let k = list.partition_point(|&m| self.msgs[m as usize].rows[0] <= row);
        let m = *list.get(k.checked_sub(1)?)?;
        let msg = &self.msgs[m as usize];
        let (first, last) = (msg.rows[0], *msg.rows.last()?);
        if row > last {
            return None;
        }
        let role = match self.frames.get(row as usize) {
            _ if row == first => GroupRole::Start,
            Some(f) if f.msg == Some(m) => GroupRole::Fragment,
            _ if self.rows[row as usize].side == lane => GroupRole::Inside,
            _ => GroupRole::Across,
        };
        Some(GroupMark {
            message: self.rows[first as usize].message.unwrap_or(msg.index),
            frames: msg.rows.len() as u32,
            len: message_len(self, msg),
            first,
            last,
            complete: self.open[lane.i()] != Some(m),
            role,
        })
    }

    /// Puts a message's decoded label on its first row.
    fn label(&mut self, msg: u32, label: Option<String>) {
        let first = self.msgs.get(msg as usize).and_then(|m| m.rows.first());
        if let Some(row) = first.and_then(|&r| self.rows.get_mut(r as usize)) {
            row.decoded = label.map(String::into_boxed_str);
        }
    }

    /// A message as the payload replay needs it: side, opcode, and its payload when kept whole.
    fn stored(&self, msg: u32, again: &again::Inflated) -> Option<Stored> {
        let m = self.msgs.get(msg as usize)?;
        let first = self.rows.get(*m.rows.first()? as usize)?;
        let whole = m.inflated.is_some()
            || m.rows.iter().all(|&r| {
                let f = &self.frames[r as usize];
                f.payload.len() as u64 == f.header.payload_len
            });
        Some((
            first.side,
            m.opcode,
            whole.then(|| message_payload(self, msg, again)).flatten(),
        ))
    }
}

/// The payload decoders' side of the index (capture_decoded): a message decoded in context, and
/// the user's .proto.
impl Index {
    fn decode_msg(
        &self,
        c: &Conn,
        msg: u32,
        choice: wsinspect_payload::Choice,
    ) -> Option<wsinspect_payload::Decoded> {
        // A decoder reads the messages before this one (its context), not those after.
        let upto = c.msgs.get(msg as usize).and_then(|m| m.rows.last());
        let upto = upto.map_or(0, |&r| r as usize + 1);
        let again = self.reinflated(self.by_id[&c.summary.id], upto);
        c.payloads.decode(msg, choice, |m| c.stored(m, &again))
    }

    /// A row's message decoded with `choice` (`auto`, `none`, a decoder's name).
    fn decoded(&self, conn: u64, row: u32, choice: String) -> Option<Tell> {
        let c = &self.conns[*self.by_id.get(&conn)?];
        let msg = c.frames.get(row as usize)?.msg;
        let decoded = match choice.parse() {
            Ok(ch) => msg.and_then(|m| self.decode_msg(c, m, ch)),
            Err(_) => None,
        };
        Some(Tell::Decoded {
            conn,
            row,
            choice,
            decoded,
        })
    }

    /// Decode with `setup` from now on, and every message read so far again (its labels too).
    pub fn set_payload(&mut self, setup: PayloadSetup) {
        self.payload = setup.clone();
        for c in &mut self.conns {
            let order = c.payloads.order().to_vec();
            let again = again::Again::whole(c);
            c.payloads.restart(setup.clone());
            for m in order {
                let label = match c.stored(m, &again) {
                    Some((side, opcode, payload)) => {
                        c.payloads.message(m, side, opcode, payload.as_deref())
                    }
                    None => None,
                };
                c.label(m, label);
            }
        }
    }

    /// The user's .proto files (none: forget them) and message type, compiled and used for
    /// every message; the answer says which types the files define, or where they are wrong.
    fn proto(&mut self, files: Vec<(String, String)>, message: Option<String>) -> Tell {
        let r = if files.is_empty() {
            Ok(PayloadSetup::default())
        } else {
            PayloadSetup::compile(&files, message.as_deref())
        };
        let error = match r {
            Ok(setup) => {
                self.set_payload(setup);
                None
            }
            Err(e) => Some(e),
        };
        Tell::Proto { error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/");
        std::fs::read(format!("{root}{path}")).unwrap()
    }

    #[test]
    fn a_connection_without_frames_says_why_and_points_to_its_handshake() {
        let refused = load(&fixture("diagnose/proxy-dropped-upgrade.pcapng"), 4096);
        let conns = refused.index.summaries_from(0, 10);
        assert_eq!(conns.len(), 3);
        for c in &conns {
            assert_eq!(
                c.no_frames().as_deref(),
                Some(format!("Connection {} has no frames: its upgrade was refused 505. The Handshake tab shows its handshake.", c.id).as_str())
            );
        }
        let healthy = load(&fixture("pcap/echo.pcapng"), 4096);
        assert!(healthy
            .index
            .summaries_from(0, 10)
            .iter()
            .all(|c| c.no_frames().is_none()));
        let quiet = ConnSummary {
            id: 4,
            upgrade: "101".into(),
            closed: true,
            ..ConnSummary::default()
        };
        assert_eq!(
            quiet.no_frames().as_deref(),
            Some("Connection 4 has no frames: it ended before either side sent one. The Handshake tab shows its handshake.")
        );
    }

    /// Load `bytes` in slices of `slice` bytes, as the worker does.
    fn load(bytes: &[u8], slice: usize) -> Loader {
        let mut l = Loader::new(bytes.len() as u64);
        for chunk in bytes.chunks(slice) {
            l.feed(chunk).unwrap();
        }
        l.finish().unwrap();
        l
    }

    /// The counts the CLI's `pcap --summary` prints, from the capture crate directly.
    fn cli_counts(bytes: &[u8]) -> Vec<(u64, [u64; 2], [u64; 2])> {
        cli_counts_with(bytes, None)
    }

    /// The same with a key log (`pcap --keylog`).
    fn cli_counts_with(bytes: &[u8], keylog: Option<&[u8]>) -> Vec<(u64, [u64; 2], [u64; 2])> {
        let mut c = Capture::new(CaptureConfig::default());
        if let Some(k) = keylog {
            c.add_keylog(k).unwrap();
        }
        let mut out: Vec<(u64, [u64; 2], [u64; 2])> = Vec::new();
        let take = |c: &mut Capture, out: &mut Vec<_>| {
            while let Some(e) = c.poll_event() {
                match e {
                    CaptureEvent::Connection(k) => out.push((k.id, [0; 2], [0; 2])),
                    CaptureEvent::Event { connection, event } => {
                        let o = out.iter_mut().find(|o| o.0 == connection).unwrap();
                        let s = Side::of(event.direction).i();
                        match event.kind {
                            EventKind::Frame(_) => o.1[s] += 1,
                            EventKind::Message(_) => o.2[s] += 1,
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        };
        c.feed(bytes).unwrap();
        take(&mut c, &mut out);
        c.finish().unwrap();
        take(&mut c, &mut out);
        out
    }

    /// Every capture fixture's compressed messages as the capture read them:
    /// (connection, side, message index) -> inflated payload.
    fn compressed_as_read(bytes: &[u8]) -> HashMap<(u64, Side, u64), Vec<u8>> {
        let mut c = Capture::new(CaptureConfig::default());
        let mut out = HashMap::default();
        let take = |c: &mut Capture, out: &mut HashMap<_, _>| {
            while let Some(e) = c.poll_event() {
                if let CaptureEvent::Event { connection, event } = e {
                    if let EventKind::Message(m) = event.kind {
                        if m.compressed {
                            let key = (connection, Side::of(event.direction), m.index);
                            out.insert(key, m.payload.kept.0);
                        }
                    }
                }
            }
        };
        c.feed(bytes).unwrap();
        take(&mut c, &mut out);
        c.finish().unwrap();
        take(&mut c, &mut out);
        out
    }

    #[test]
    fn compressed_messages_inflated_again_from_the_kept_frames_are_the_ones_read() {
        // With and without context takeover, small windows, fragmented compressed messages
        // (Python `websockets`, Node `ws`, Chromium), decrypted wss, and a lost segment.
        let files = [
            "pcap/echo.pcap",
            "pcap/echo-ns.pcap",
            "pcap/cases.pcapng",
            "pcap/fragmented.pcap",
            "pcap/lost-segment.pcapng",
            "tls/chromium-embedded.pcapng",
            "tls/embedded.pcapng",
            "payload/socketio.pcapng",
        ];
        let (mut again_n, mut kept_n) = (0, 0);
        for path in files {
            let n = inflated_again_as_read(&fixture(path), path);
            again_n += n.0;
            kept_n += n.1;
        }
        assert!(again_n > 150, "{again_n} inflated again");
        assert_eq!(kept_n, 0, "nothing was lost");
    }

    #[test]
    fn after_a_lost_segment_a_side_keeps_its_compressed_messages_as_read() {
        // echo.pcap without one of its packets, for each of its packets in turn.
        let bytes = fixture("pcap/echo.pcap");
        let mut records = Vec::new();
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
            records.push(at..at + 16 + len);
            at += 16 + len;
        }
        assert_eq!(at, bytes.len(), "a little-endian pcap");
        let (mut again_n, mut kept_n) = (0, 0);
        for (k, gone) in records.iter().enumerate() {
            let mut cut = bytes[..gone.start].to_vec();
            cut.extend_from_slice(&bytes[gone.end..]);
            let n = inflated_again_as_read(&cut, &format!("echo.pcap without packet {k}"));
            again_n += n.0;
            kept_n += n.1;
        }
        assert!(
            again_n > 1000 && kept_n > 20,
            "{again_n} inflated again, {kept_n} kept"
        );
    }

    /// Checks that each compressed message of `bytes` is, as the page gives it, what the
    /// capture read; (inflated again, kept as read).
    fn inflated_again_as_read(bytes: &[u8], path: &str) -> (usize, usize) {
        let (mut again_n, mut kept_n) = (0, 0);
        {
            let read = compressed_as_read(bytes);
            let l = load(bytes, 4096);
            let mut seen = 0;
            for c in &l.index.conns {
                let again = again::Again::whole(c);
                for (mi, m) in c.msgs.iter().enumerate() {
                    let side = c.rows[m.rows[0] as usize].side;
                    let again = again.get(&(side, m.index));
                    if m.inflated_len.is_none() {
                        assert!(again.is_none(), "{path}: only compressed messages");
                        continue;
                    }
                    seen += 1;
                    let want = &read[&(c.summary.id, side, m.index)];
                    let got = match (&m.inflated, again) {
                        (Some(kept), None) => {
                            kept_n += 1;
                            kept
                        }
                        (None, Some(got)) => {
                            again_n += 1;
                            got
                        }
                        other => panic!("{path}: message {mi} of {}: {other:?}", c.summary.id),
                    };
                    assert!(
                        got == want,
                        "{path}: connection {} message {mi}",
                        c.summary.id
                    );
                    assert_eq!(message_len(c, m), want.len() as u64);
                    // Its first row previews the whole inflated message, from what is kept.
                    let row = c.row(m.rows[0] as usize).unwrap();
                    assert_eq!(
                        row.preview,
                        &*inflated_preview(want, m.opcode == 1),
                        "{path}"
                    );
                }
            }
            assert_eq!(seen, read.len(), "{path}: every compressed message");
        }
        (again_n, kept_n)
    }

    #[test]
    fn the_connections_list_is_answered_in_windows_past_the_progress_messages_list() {
        let bytes = fixture("pcap/echo.pcapng");
        let mut l = load(&bytes, 1000);
        let ids = |t: Option<Tell>| match t {
            Some(Tell::Connections {
                seq,
                start,
                total,
                rows,
            }) => (
                seq,
                start,
                total,
                rows.iter().map(|c| c.id).collect::<Vec<_>>(),
            ),
            t => panic!("{t:?}"),
        };
        let mut ask =
            |seq, start, count| ids(l.index.answer(Ask::Connections { seq, start, count }));
        // Connections keep the capture's flow ids: 1, 2 and 5 here.
        assert_eq!(ask(1, 0, 50), (1, 0, 3, vec![1, 2, 5]));
        assert_eq!(ask(2, 1, 1), (2, 1, 3, vec![2]));
        assert_eq!(ask(3, 2, 9), (3, 2, 3, vec![5]));
        assert_eq!(ask(4, 3, 9), (4, 3, 3, vec![]));
        assert_eq!(ask(5, u32::MAX, u32::MAX), (5, u32::MAX, 3, vec![]));
        // What a window holds is what the progress message lists.
        let Some(Tell::Connections { rows, .. }) = l.index.answer(Ask::Connections {
            seq: 0,
            start: 0,
            count: 3,
        }) else {
            unreachable!()
        };
        assert_eq!(rows, l.progress().connections);
    }

    #[test]
    fn a_pcapng_in_small_slices_gives_the_clis_connections_and_counts() {
        let bytes = fixture("pcap/echo.pcapng");
        let l = load(&bytes, 1000);
        let p = l.progress();
        assert_eq!(p.format.as_deref(), Some("pcapng"));
        assert_eq!(p.other_flows, 2);
        let got: Vec<_> = p
            .connections
            .iter()
            .map(|c| (c.id, c.frames, c.messages))
            .collect();
        assert_eq!(got, cli_counts(&bytes));
        assert_eq!(got.len(), 3);
        let first = &p.connections[0];
        assert_eq!(first.upgrade, "101");
        assert!(first
            .extensions
            .as_deref()
            .unwrap()
            .contains("permessage-deflate"));
        assert!(first.closed && first.start.is_some() && first.end >= first.start);
    }

    #[test]
    fn the_format_is_told_by_content_and_bad_files_say_why() {
        let mut l = Loader::new(4);
        l.feed(b"\x00\x01\x02\x03").unwrap();
        let e = l.finish().unwrap_err();
        assert!(e.contains("not a pcap, pcapng or HAR file"), "{e}");
        // A hex dump of one frame is a stream.
        let l = load(b"81 05 48 65 6c 6c 6f", 3);
        let p = l.progress();
        assert_eq!(p.connections.len(), 1);
        assert_eq!(p.frames, 1);
        assert!(p.format.unwrap().starts_with("stream"));
    }

    #[test]
    fn a_har_is_read_whole_with_its_messages_as_rows() {
        let bytes = fixture("har/echo.har");
        let mut l = load(&bytes, 512);
        let p = l.progress();
        assert_eq!(p.format.as_deref(), Some("har"));
        let c = &p.connections[0];
        assert!(c.har && c.frames[0] > 0 && c.frames[1] > 0);
        let Some(Tell::Window { rows, .. }) = l.index.answer(Ask::Window {
            seq: 1,
            conn: c.id,
            filter: Filter::default(),
            start: 0,
            count: 10,
        }) else {
            panic!()
        };
        assert_eq!(rows[0].side, Side::Client);
        let Some(Tell::Detail(d)) = l.index.answer(Ask::Detail {
            seq: 2,
            conn: c.id,
            row: 0,
        }) else {
            panic!()
        };
        assert!(d.bytes.is_none() && d.har_payload.is_some() && d.handshake.is_some());
    }

    fn window(l: &mut Loader, conn: u64, filter: Filter) -> (u32, u32, Vec<FrameRow>) {
        match l.index.answer(Ask::Window {
            seq: 0,
            conn,
            filter,
            start: 0,
            count: 100,
        }) {
            Some(Tell::Window {
                total,
                matches,
                rows,
                error: None,
                ..
            }) => (total, matches, rows),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_frames_detail_inflates_again_only_up_to_its_message_and_in_any_order() {
        let bytes = fixture("pcap/echo.pcapng");
        let read = compressed_as_read(&bytes);
        for backwards in [false, true] {
            let l = load(&bytes, 4096);
            let ci = l.index.by_id[&1];
            let c = &l.index.conns[ci];
            let mut rows: Vec<u32> = (0..c.rows.len() as u32).collect();
            if backwards {
                rows.reverse();
            }
            let mut seen = 0;
            for row in rows {
                let d = l.index.detail(0, 1, row).unwrap();
                let Some(mi) = c.frames[row as usize].msg else {
                    continue;
                };
                let m = &c.msgs[mi as usize];
                if m.inflated_len.is_none() {
                    continue;
                }
                let want = &read[&(1, c.rows[row as usize].side, m.index)];
                assert_eq!(d.message.as_ref(), Some(want), "row {row}");
                let fed = l.index.again.borrow().fed;
                let last = *m.rows.last().unwrap() as usize;
                // Forwards, fed just past the message; backwards, all from the first ask on.
                if backwards {
                    assert_eq!(fed, c.rows.len().min(fed.max(last + 1)));
                } else {
                    assert_eq!(fed, last + 1, "row {row}");
                }
                seen += 1;
            }
            assert!(seen > 5);
        }
    }

    #[test]
    fn a_search_while_the_file_loads_finds_what_a_search_after_it_finds() {
        // Connection 1 is compressed with context takeover: asked about between slices, its
        // messages are inflated again a few frames at a time, from where the last ask left.
        let bytes = fixture("pcap/echo.pcapng");
        let greeting = Filter {
            query: "greeting".into(),
            ..Filter::default()
        };
        let mut l = Loader::new(bytes.len() as u64);
        let mut asked = 0;
        for slice in bytes.chunks(512) {
            l.feed(slice).unwrap();
            if l.index.by_id.contains_key(&1) {
                l.index.view(1, &greeting).unwrap();
                asked += 1;
            }
        }
        l.finish().unwrap();
        let mut after = load(&bytes, 1 << 20);
        assert!(asked > 20, "{asked} asks while loading");
        assert!(
            after.index.conns[0].wants_again(),
            "connection 1 is inflated again"
        );
        // Every compressed message was inflated again, the ones read before the first ask too.
        let ci = l.index.by_id[&1];
        let compressed = l.index.conns[ci]
            .msgs
            .iter()
            .filter(|m| m.inflated_len.is_some())
            .count();
        assert!(compressed > 5);
        assert_eq!(l.index.reinflated(ci, usize::MAX).len(), compressed);
        for conn in [1, 2, 5] {
            let got = l.index.view(conn, &greeting);
            assert_eq!(got, after.index.view(conn, &greeting), "connection {conn}");
            assert!(got.unwrap().1 > 0, "connection {conn} has greetings");
        }
    }

    #[test]
    fn filters_and_search_find_the_messages_of_the_capture() {
        let mut l = load(&fixture("pcap/echo.pcapng"), 4096);
        // Connection 1 is compressed: the search reads the inflated text.
        for conn in [1, 2, 5] {
            let (total, _, rows) = window(&mut l, conn, Filter::default());
            assert_eq!(total, 14);
            assert_eq!(rows.iter().filter(|r| r.side == Side::Client).count(), 7);
            let f = Filter {
                query: r#"greeting"\s*,\s*"n":1"#.into(),
                mode: SearchMode::Regex,
                ..Filter::default()
            };
            let (total, matches, rows) = window(&mut l, conn, f);
            assert_eq!((total, matches), (2, 2), "connection {conn}");
            assert!(rows.iter().any(|r| r.side == Side::Client));
            let (total, ..) = window(
                &mut l,
                conn,
                Filter {
                    side: Some(Side::Server),
                    opcode: OpFilter::Control,
                    ..Filter::default()
                },
            );
            assert_eq!(total, 1);
        }
        // Case modes, and a bad pattern is an error, not a panic.
        let plain = |q: &str, mode| Filter {
            query: q.into(),
            mode,
            ..Filter::default()
        };
        assert_eq!(
            window(&mut l, 2, plain("HELLO, WS", SearchMode::Plain)).1,
            2
        );
        assert_eq!(window(&mut l, 2, plain("HELLO, WS", SearchMode::Case)).1, 0);
        let bad = l.index.answer(Ask::Window {
            seq: 0,
            conn: 2,
            filter: plain("(", SearchMode::Regex),
            start: 0,
            count: 1,
        });
        assert!(matches!(bad, Some(Tell::Window { error: Some(_), .. })));
    }

    #[test]
    fn a_detail_rebuilds_the_frame_as_sent_with_its_handshake() {
        let mut l = load(&fixture("pcap/echo.pcapng"), 4096);
        let (_, _, rows) = window(&mut l, 2, Filter::default());
        for r in &rows {
            let Some(Tell::Detail(d)) = l.index.answer(Ask::Detail {
                seq: 0,
                conn: 2,
                row: r.row,
            }) else {
                panic!()
            };
            let i = detail_inspection(&d).unwrap();
            let report = i.frames.as_ref().unwrap();
            let f = &report.frames[0];
            assert_eq!(f.header.opcode, r.opcode);
            assert_eq!(f.header.masked, r.side == Side::Client);
            assert_eq!(f.header.payload_len, r.len);
            assert!(f.findings.is_empty());
            assert_eq!(
                i.handshake
                    .as_ref()
                    .unwrap()
                    .response
                    .as_ref()
                    .unwrap()
                    .status,
                101
            );
        }
        // A compressed message's detail carries the inflated text.
        let (_, _, rows) = window(&mut l, 1, Filter::default());
        let Some(Tell::Detail(d)) = l.index.answer(Ask::Detail {
            seq: 0,
            conn: 1,
            row: rows[0].row,
        }) else {
            panic!()
        };
        let i = detail_inspection(&d).unwrap();
        let report = i.frames.as_ref().unwrap();
        let text = report.message_text(&report.messages[0]).unwrap();
        assert_eq!(text, "Hello, wsinspect!");
    }

    /// `WSINSPECT_BIG=file.pcap cargo test --release -p wsinspect-view -- --ignored load_speed`
    #[test]
    #[ignore = "a measurement: needs WSINSPECT_BIG"]
    fn load_speed() {
        let bytes = std::fs::read(std::env::var("WSINSPECT_BIG").unwrap()).unwrap();
        let t = std::time::Instant::now();
        let l = load(&bytes, 1 << 20);
        let s = t.elapsed().as_secs_f64();
        let mut c = Capture::new(CaptureConfig::default());
        let t = std::time::Instant::now();
        c.feed(&bytes).unwrap();
        while c.poll_event().is_some() {}
        c.finish().unwrap();
        let bare = t.elapsed().as_secs_f64();
        let mb = bytes.len() as f64 / 1e6;
        println!(
            "{mb:.1} MB: loader {:.0} MB/s ({} frames), bare capture {:.0} MB/s",
            mb / s,
            l.index.frames(),
            mb / bare
        );
    }

    #[test]
    fn times_read_well() {
        assert_eq!(clock(0.0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(clock(1_795_868_463.123_4), "2026-11-28 12:21:03.123 UTC");
        assert_eq!(clock(951_782_400.0), "2000-02-29 00:00:00.000 UTC");
        assert_eq!(duration(0.0004), "400 µs");
        assert_eq!(
            (grouped(0), grouped(999), grouped(1_234_567)),
            ("0".into(), "999".into(), "1,234,567".into())
        );
        assert_eq!(duration(0.0123), "12.3 ms");
        assert_eq!(duration(4.561), "4.56 s");
    }

    #[test]
    fn a_rows_preview_is_the_same_whether_its_bytes_were_kept_or_not() {
        let bytes = fixture("pcap/echo.pcapng");
        let rows = |cap: Option<u64>| {
            let mut l = Loader::new(bytes.len() as u64);
            l.index.max_kept = cap;
            l.feed(&bytes).unwrap();
            l.finish().unwrap();
            let kept = l.index.kept;
            let ids: Vec<u64> = l.index.summaries().iter().map(|s| s.id).collect();
            let previews: Vec<Vec<String>> = ids
                .iter()
                .map(|&id| {
                    let (_, _, r) = window(&mut l, id, Filter::default());
                    r.into_iter().map(|r| r.preview).collect()
                })
                .collect();
            (kept, previews)
        };
        let (all, made_on_demand) = rows(None);
        assert!(
            made_on_demand
                .concat()
                .iter()
                .any(|p| p.ends_with(" (inflated)")),
            "a compressed message among them"
        );
        // Caps that drop every payload, some of them (a compressed message's frames, or its
        // inflated bytes, or both), and none.
        for cap in [0, 20, 60, 200, 600, all / 2, all] {
            let (kept, made) = rows(Some(cap));
            assert!(kept <= cap, "{kept} bytes kept under a cap of {cap}");
            assert_eq!(made, made_on_demand, "cap {cap}");
        }
    }

    #[test]
    fn under_a_cap_a_compressed_messages_text_is_what_was_read_or_said_not_kept() {
        // Caps that cut the kept bytes in the middle of a context-takeover stream: what comes
        // after a dropped frame cannot be inflated again from the frames left, and is not made
        // up from them.
        let bytes = fixture("pcap/echo.pcapng");
        let read = compressed_as_read(&bytes);
        let (mut same, mut none) = (0, 0);
        for cap in [0, 20, 60, 200, 600, 2000, 4000, 8000, u64::MAX] {
            let mut l = Loader::new(bytes.len() as u64);
            l.index.max_kept = Some(cap);
            l.feed(&bytes).unwrap();
            l.finish().unwrap();
            for c in &l.index.conns {
                for m in c.msgs.iter().filter(|m| m.inflated_len.is_some()) {
                    let row = m.rows[0];
                    let side = c.rows[row as usize].side;
                    let d = l.index.detail(0, c.summary.id, row).unwrap();
                    // Every frame of its side up to its end kept whole: it is inflated again.
                    let last = *m.rows.last().unwrap() as usize;
                    let all_kept = (0..=last).all(|r| {
                        let f = &c.frames[r];
                        c.rows[r].side != side || f.payload.len() as u64 == f.header.payload_len
                    });
                    match d.message {
                        Some(got) => {
                            assert_eq!(&got, &read[&(c.summary.id, side, m.index)], "cap {cap}");
                            same += 1;
                        }
                        None => {
                            assert!(!all_kept, "cap {cap}: row {row} could be inflated again");
                            none += 1;
                        }
                    }
                }
            }
        }
        assert!(same > 20 && none > 20, "{same} read, {none} not kept");
    }

    #[test]
    fn a_frame_dropped_at_the_cap_ends_the_replay_of_its_side_and_what_follows_is_kept_as_read() {
        // Connection 1 (context takeover): its third client data frame meets a full index, the
        // frames after it fit again. Inflating again past that hole would read the next frame's
        // bytes as its payload.
        let bytes = fixture("pcap/echo.pcapng");
        let read = compressed_as_read(&bytes);
        let mut cap = Capture::new(CaptureConfig::default());
        cap.feed(&bytes).unwrap();
        cap.finish().unwrap();
        let mut index = Index {
            max_kept: Some(1 << 20),
            ..Index::default()
        };
        let mut client_data = 0;
        while let Some(e) = cap.poll_event() {
            let hole = match &e {
                CaptureEvent::Event {
                    connection: 1,
                    event,
                } => {
                    let data = matches!(&event.kind, EventKind::Frame(f) if f.header.opcode < 8);
                    client_data += u32::from(data && event.direction == Direction::Client);
                    data && event.direction == Direction::Client && client_data == 3
                }
                _ => false,
            };
            let kept = index.kept;
            if hole {
                index.kept = 1 << 20;
            }
            index.push(e);
            if hole {
                index.kept = kept;
            }
        }
        let c = &index.conns[index.by_id[&1]];
        let dropped = c.frames.iter().filter(|f| f.payload.is_empty()).count();
        assert_eq!(dropped, 1, "one frame dropped");
        let mut checked = 0;
        for m in c.msgs.iter().filter(|m| m.inflated_len.is_some()) {
            let row = m.rows[0];
            let side = c.rows[row as usize].side;
            let got = index.detail(0, 1, row).unwrap().message;
            assert_eq!(got.as_ref(), Some(&read[&(1, side, m.index)]), "row {row}");
            checked += 1;
        }
        assert_eq!(checked, 12);
    }

    #[test]
    fn the_plot_has_a_point_per_message_with_its_inflated_size() {
        let mut l = load(&fixture("pcap/echo.pcapng"), 4096);
        let Some(Tell::Plot {
            points, messages, ..
        }) = l.index.answer(Ask::Plot { conn: 1 })
        else {
            panic!()
        };
        assert_eq!((points.len(), messages), (12, 12));
        // Connection 1 is compressed: the points are the inflated sizes ("Hello, wsinspect!").
        assert_eq!(points[0].len, 17);
        let (_, _, rows) = window(&mut l, 1, Filter::default());
        assert_eq!(rows[0].preview, "Hello, wsinspect! (inflated)");
        assert!(points.windows(2).all(|w| w[0].time <= w[1].time));
        assert_eq!(points.iter().filter(|p| p.side == Side::Client).count(), 6);
    }

    #[test]
    fn fragmented_messages_are_grouped_with_the_pings_between_their_fragments_inside() {
        let want: serde_json::Value = serde_json::from_slice(&fixture("pcap/cases.json")).unwrap();
        let mut l = load(&fixture("pcap/cases.pcapng"), 4096);
        for conn in [1u64, 3] {
            let (_, _, rows) = window(&mut l, conn, Filter::default());
            // Per (lane, first row): the roles its rows have.
            let mut groups: HashMap<(usize, u32), Vec<(u32, GroupRole)>> = HashMap::default();
            for r in &rows {
                for (lane, g) in r.groups.iter().enumerate() {
                    let Some(g) = g else { continue };
                    assert!(g.first <= r.row && r.row <= g.last && g.complete);
                    let mine = r.side.i() == lane;
                    let expected = match () {
                        _ if r.row == g.first => GroupRole::Start,
                        _ if !mine => GroupRole::Across,
                        _ if r.opcode >= 8 => GroupRole::Inside,
                        _ => GroupRole::Fragment,
                    };
                    assert_eq!(g.role, expected, "row {} lane {lane}", r.row);
                    groups
                        .entry((lane, g.first))
                        .or_default()
                        .push((r.row, g.role));
                }
                // A row outside every span of its own lane is a whole message or a control frame.
                if r.groups[r.side.i()].is_none() {
                    assert!(r.fin, "row {}", r.row);
                }
            }
            for side in [Side::Client, Side::Server] {
                let sent: Vec<u64> = want
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|m| m["connection"] == conn && m["direction"] == side_name(side))
                    .map(|m| m["fragments"].as_u64().unwrap())
                    .filter(|&f| f > 1)
                    .collect();
                let mine: Vec<_> = groups.iter().filter(|((l, _), _)| *l == side.i()).collect();
                assert_eq!(mine.len(), sent.len(), "connection {conn} {side:?}");
                for ((_, first), members) in mine {
                    let g = rows[*first as usize].groups[side.i()].clone().unwrap();
                    let frames = members
                        .iter()
                        .filter(|(_, r)| matches!(r, GroupRole::Start | GroupRole::Fragment))
                        .count();
                    assert_eq!(frames as u32, g.frames);
                    assert!(sent.contains(&u64::from(g.frames)));
                    // Every row of the span is in the group, on this lane.
                    assert_eq!(members.len() as u32, g.last - g.first + 1);
                    // The pings the client sent between its fragments are inside its messages.
                    let inside = members
                        .iter()
                        .filter(|(_, r)| *r == GroupRole::Inside)
                        .count();
                    if side == Side::Client {
                        assert_eq!(
                            inside as u32,
                            g.frames - 1,
                            "a ping after each fragment but the last"
                        );
                    }
                }
            }
            // The marks stay on a filtered view's rows: the pings alone still say whose message
            // they are inside.
            let (_, _, pings) = window(
                &mut l,
                conn,
                Filter {
                    opcode: OpFilter::Ping,
                    ..Filter::default()
                },
            );
            assert!(pings.iter().any(|r| r.groups[0]
                .as_ref()
                .is_some_and(|g| g.role == GroupRole::Inside)));
        }
        // An unfragmented capture has no groups at all.
        let mut l = load(&fixture("pcap/echo.pcapng"), 4096);
        let (_, _, rows) = window(&mut l, 2, Filter::default());
        assert!(rows.iter().all(|r| r.groups == [None, None]));
    }

    #[test]
    fn the_rates_count_every_message_and_byte_once_per_side() {
        for (file, conn) in [
            ("pcap/echo.pcapng", 1),
            ("pcap/echo.pcapng", 2),
            ("pcap/cases.pcapng", 3),
        ] {
            let mut l = load(&fixture(file), 4096);
            let Some(Tell::Plot { points, rates, .. }) = l.index.answer(Ask::Plot { conn }) else {
                panic!()
            };
            let Rates { bin, bins } = &rates;
            assert!(*bin >= 1e-3 && round_width(*bin) == *bin, "{bin}");
            assert!(!bins.is_empty() && bins.len() <= 4 * rates::BINS);
            let last = points.iter().map(|p| p.time).fold(0.0f64, f64::max);
            // The bins cover the connection's messages, and no more than a bin beyond.
            assert!(bins.len() as f64 * bin > last && (bins.len() - 1) as f64 * bin <= last);
            for side in [Side::Client, Side::Server] {
                let s = side.i();
                let mine: Vec<_> = points.iter().filter(|p| p.side == side).collect();
                let count: f64 = bins.iter().map(|b| b.messages[s] * bin).sum();
                let bytes: f64 = bins.iter().map(|b| b.bytes[s] * bin).sum();
                assert!(
                    (count - mine.len() as f64).abs() < 1e-6,
                    "{file} {conn} {side:?}"
                );
                let want: u64 = mine.iter().map(|p| p.len).sum();
                assert!((bytes - want as f64).abs() < 1e-3 * want as f64 + 1e-6);
                // Each bin's row is the first message of that side in it.
                for (i, b) in bins.iter().enumerate() {
                    let first = mine
                        .iter()
                        .find(|p| ((p.time / bin).floor() as usize).min(bins.len() - 1) == i)
                        .map(|p| p.row);
                    assert_eq!(b.row[s], first, "bin {i}");
                }
            }
            let (m, b) = rates.peaks();
            assert!(m > 0.0 && b >= m);
        }
    }

    #[test]
    fn exports_hold_every_message() {
        let mut l = load(&fixture("pcap/echo.pcapng"), 4096);
        let Some(Tell::Export { text, .. }) = l.index.answer(Ask::Export {
            conn: 2,
            format: "jsonl".into(),
        }) else {
            panic!()
        };
        assert_eq!(text.lines().count(), 12);
        assert!(text.lines().next().unwrap().contains("Hello, wsinspect!"));
        let Some(Tell::Export { text, .. }) = l.index.answer(Ask::Export {
            conn: 2,
            format: "csv".into(),
        }) else {
            panic!()
        };
        assert_eq!(text.lines().count(), 13);
    }

    fn counts(p: &Progress) -> Vec<(u64, [u64; 2], [u64; 2])> {
        p.connections
            .iter()
            .map(|c| (c.id, c.frames, c.messages))
            .collect()
    }

    /// The messages `tests/data/tls/messages.json` lists for a client (texts, and hex binaries).
    fn sent(name: &str) -> Vec<String> {
        let all: serde_json::Value = serde_json::from_slice(&fixture("tls/messages.json")).unwrap();
        let entry = all
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap();
        entry["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["text"].as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn with_the_key_log_wss_connections_are_read_like_the_clis() {
        let bytes = fixture("tls/capture.pcapng");
        let keylog = fixture("tls/keylog.txt");
        for before in [true, false] {
            let mut l = Loader::new(bytes.len() as u64);
            if before {
                assert!(l.add_keylog(&keylog).unwrap() > 0);
            }
            let mut chunks = bytes.chunks(700);
            // The key log may come after the file began (before the encrypted records).
            l.feed(chunks.next().unwrap()).unwrap();
            if !before {
                l.add_keylog(&keylog).unwrap();
            }
            for c in chunks {
                l.feed(c).unwrap();
            }
            l.finish().unwrap();
            let p = l.progress();
            let want = cli_counts_with(&bytes, Some(&keylog));
            assert_eq!(counts(&p), want);
            // Connections 1-7 had their secrets logged; 8 had not, 9 and 10 never upgraded.
            assert_eq!(p.connections.len(), 7, "{:?}", p.tls_flows);
            assert!(p.secrets > 0 && p.keylog_error.is_none());
            for c in &p.connections {
                let t = c.tls.as_ref().expect("a wss connection has its TLS report");
                assert!(t.decrypted, "{c:?}");
                assert_eq!(t.sni.as_deref(), Some("localhost"));
                assert!(c.messages[0] > 0 && c.messages[1] > 0);
                assert!(t.line().ends_with(": decrypted"), "{}", t.line());
            }
            let versions: Vec<_> = p
                .connections
                .iter()
                .map(|c| c.tls.as_ref().unwrap().version.clone().unwrap())
                .collect();
            assert!(versions.contains(&"TLS 1.2".into()) && versions.contains(&"TLS 1.3".into()));
            // The one without secrets is a TLS flow that says why.
            assert_eq!(p.tls_flow_count, 3);
            let nokeys: Vec<_> = p.tls_flows.iter().filter(|f| f.tls.needs_keylog).collect();
            assert_eq!(nokeys.len(), 1);
            assert!(!nokeys[0].tls.decrypted && nokeys[0].tls.secrets_found == Some(false));
            // The clients that refused the certificate: the alert is said, decrypted or not.
            let alerts: Vec<_> = p
                .tls_flows
                .iter()
                .filter(|f| f.tls.line().contains("unknown_ca"))
                .collect();
            assert_eq!(alerts.len(), 2, "{:?}", p.tls_flows);
            assert!(alerts
                .iter()
                .any(|f| f.tls.decrypted && f.tls.line().contains(": decrypted; ")));
        }
        // The search finds a sent text in the decrypted (and inflated) messages.
        let mut l = Loader::new(bytes.len() as u64);
        l.add_keylog(&keylog).unwrap();
        l.feed(&bytes).unwrap();
        l.finish().unwrap();
        let text = sent("py13-aes256").into_iter().next().unwrap();
        let (_, matches, rows) = window(
            &mut l,
            1,
            Filter {
                query: text.clone(),
                ..Filter::default()
            },
        );
        assert_eq!(matches, 2, "sent and echoed: {text}");
        assert!(rows[0].preview.contains(&text));
    }

    #[test]
    fn without_a_key_log_tls_flows_are_listed_not_read() {
        let bytes = fixture("tls/capture.pcapng");
        let l = load(&bytes, 4096);
        let p = l.progress();
        assert!(p.connections.is_empty());
        assert_eq!(p.tls_flow_count, 10);
        assert_eq!(p.tls_flows.len(), 10);
        assert_eq!(p.secrets, 0);
        let needs = p.tls_flows.iter().filter(|f| f.tls.needs_keylog).count();
        assert_eq!(needs, 9, "all but the one alerting in the clear");
        assert!(p
            .tls_flows
            .iter()
            .all(|f| f.tls.sni.as_deref() == Some("localhost")));
        assert!(p.tls_flows.iter().all(|f| !f.tls.decrypted));
    }

    #[test]
    fn the_embedded_secrets_decrypt_without_a_key_log() {
        for name in ["tls/embedded.pcapng", "tls/chromium-embedded.pcapng"] {
            let bytes = fixture(name);
            let l = load(&bytes, 1000);
            let p = l.progress();
            assert!(p.secrets > 0, "{name}");
            assert!(!p.connections.is_empty(), "{name}");
            assert_eq!(counts(&p), cli_counts(&bytes), "{name}");
            assert!(p
                .connections
                .iter()
                .all(|c| c.tls.as_ref().is_some_and(|t| t.decrypted)));
        }
    }

    #[test]
    fn a_bad_key_log_names_its_line_and_a_key_log_is_told_by_content() {
        let mut l = Loader::new(0);
        let e = l.add_keylog(b"CLIENT_RANDOM 00 11\n# more\n").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
        assert!(l.progress().keylog_error.unwrap().contains("line 1"));
        assert!(looks_like_keylog(&fixture("tls/keylog.txt")));
        assert!(looks_like_keylog(&fixture("tls/chromium-keylog.txt")));
        assert!(looks_like_keylog(b"\r\nCLIENT_RANDOM 0011"));
        assert!(looks_like_keylog(b"# SSL/TLS secrets log file\n"));
        assert!(!looks_like_keylog(&fixture("tls/capture.pcapng")[..4096]));
        assert!(!looks_like_keylog(b"# a dump\n81 05 48 65 6c 6c 6f"));
        assert!(!looks_like_keylog(b"{\"log\":{}}"));
        assert!(!looks_like_keylog(b""));
    }

    #[test]
    fn http2_over_tls_is_a_tls_flow_that_says_its_websocket_streams_are_not_read() {
        let bytes = fixture("tls/h2.pcapng");
        let mut l = Loader::new(bytes.len() as u64);
        l.add_keylog(&fixture("tls/h2-keylog.txt")).unwrap();
        for c in bytes.chunks(2000) {
            l.feed(c).unwrap();
        }
        l.finish().unwrap();
        let p = l.progress();
        assert!(p.connections.is_empty());
        assert_eq!(p.tls_flow_count, 3);
        for f in &p.tls_flows {
            assert_eq!(f.kind, "http");
            assert_eq!(f.tls.alpn.as_deref(), Some("h2"));
            assert!(!f.tls.needs_keylog && f.tls.secrets_found == Some(true));
            assert!(f.tls.line().contains("HTTP/2"), "{}", f.tls.line());
        }
        assert!(p
            .tls_flows
            .iter()
            .any(|f| f.tls.line().contains("RFC 8441")));
    }
}
