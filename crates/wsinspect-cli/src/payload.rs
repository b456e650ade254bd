//! `--payload auto|none|<decoder>`: the messages' payloads decoded by wsinspect-payload, added
//! to the output: `"decoded": null | {"decoder", "summary", "tree", "findings"}` on each message
//! of the JSON, and the tree indented under each message of the text. docs/payload.md says what
//! each decoder shows.

use crate::ids::IdMap;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use serde::Serialize;
use serde_json::Value;
use wsinspect_core::session::{ConnectionReport, Event, EventKind};
use wsinspect_core::stream::{MessageReport, StreamReport};
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::Direction;
use wsinspect_payload::protobuf::Schema;
use wsinspect_payload::{Choice, Decoded, MessageDescriptor, MessageKind, PayloadSession};

/// The `--payload` options of `decode` and `pcap`.
#[derive(Args, Clone)]
pub struct PayloadArgs {
    /// Decode each message's payload: auto (by the negotiated subprotocol, then by content),
    /// none, or a decoder: json, socketio, sockjs, signalr, stomp, mqtt, wamp, graphql,
    /// actioncable, msgpack, cbor, protobuf, gzip, zlib, zstd.
    #[arg(long = "payload", default_value = "auto", value_name = "DECODER")]
    pub choice: Choice,
    /// A .proto file for Protobuf messages (repeat for the files it imports; the well-known
    /// google/protobuf types are built in).
    #[arg(long = "proto", value_name = "FILE")]
    pub proto: Vec<PathBuf>,
    /// The message type binary messages are (e.g. chat.Message); optional when the .proto
    /// files define only one.
    #[arg(long = "message", value_name = "TYPE", requires = "proto")]
    pub message: Option<String>,
    /// The subprotocol to decode as when the input has no handshake that names one (e.g. mqtt,
    /// v12.stomp, wamp.2.msgpack).
    #[arg(long = "subprotocol", value_name = "NAME")]
    pub subprotocol: Option<String>,
}

/// The options made ready: the choice and the user's message type, compiled once.
#[derive(Clone)]
pub struct Setup {
    choice: Choice,
    proto: Option<MessageDescriptor>,
    subprotocol: Option<String>,
}

impl PayloadArgs {
    /// Reads and compiles the .proto files, if any, and finds the message type.
    pub fn setup(&self) -> Result<Setup> {
        let proto = if self.proto.is_empty() {
            None
        } else {
            let mut files = Vec::new();
            for p in &self.proto {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                let name = p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                files.push((name, text));
            }
            let schema = Schema::compile(&files)
                .map_err(|e| anyhow::anyhow!("compiling the .proto files: {e}"))?;
            let name = match &self.message {
                Some(m) => m.clone(),
                None => schema
                    .only_message()
                    .map_err(|e| anyhow::anyhow!("{e}: name one with --message"))?,
            };
            Some(schema.message(&name).map_err(|e| anyhow::anyhow!(e))?)
        };
        Ok(Setup {
            choice: self.choice,
            proto,
            subprotocol: self.subprotocol.clone(),
        })
    }
}

/// The decoded messages of one connection: a session per direction, sharing what they learn.
pub struct Payloads {
    setup: Setup,
    subprotocol: Option<String>,
    client: PayloadSession,
    server: PayloadSession,
}

impl Payloads {
    /// Both directions' sessions, with the subprotocol the server selected.
    pub fn new(setup: &Setup, subprotocol: Option<&str>) -> Self {
        let subprotocol = subprotocol.or(setup.subprotocol.as_deref());
        let session = || {
            let s = PayloadSession::new(setup.choice, subprotocol);
            match &setup.proto {
                Some(m) => s.with_proto(m.clone()),
                None => s,
            }
        };
        Payloads {
            setup: setup.clone(),
            subprotocol: subprotocol.map(str::to_string),
            client: session(),
            server: session(),
        }
    }

    /// The server selected a subprotocol (an upgrade seen after the sessions began).
    fn upgraded(&mut self, subprotocol: Option<&str>) {
        if self.subprotocol.as_deref() != subprotocol {
            *self = Payloads::new(&self.setup.clone(), subprotocol);
        }
    }

    /// The next message of `direction` (unknown counts as the client's).
    pub fn message(&mut self, direction: Direction, opcode: u8, payload: &[u8]) -> Option<Decoded> {
        let kind = match opcode {
            1 => MessageKind::Text,
            _ => MessageKind::Binary,
        };
        let (this, other) = match direction {
            Direction::Server => (&mut self.server, &mut self.client),
            _ => (&mut self.client, &mut self.server),
        };
        let d = this.message(kind, payload);
        other.learn(this);
        this.learn(other);
        d
    }
}

/// Each message of a report decoded, in order.
fn decode_report(p: &mut Payloads, r: &StreamReport) -> Vec<Option<Decoded>> {
    r.messages
        .iter()
        .map(|m| {
            let opcode = if m.opcode == OpCode::TEXT { 1 } else { 2 };
            p.message(r.direction, opcode, &r.message_payload(m))
        })
        .collect()
}

/// `decode --json` of one direction: the report with `"decoded"` on each message.
pub fn report_json(
    args: &PayloadArgs,
    r: &StreamReport,
    subprotocol: Option<&str>,
) -> Result<Value> {
    let decoded = decode_report(&mut Payloads::new(&args.setup()?, subprotocol), r);
    let mut v = serde_json::to_value(r)?;
    add(&mut v, &decoded);
    Ok(v)
}

/// The text of one direction with each message's tree under it.
pub fn report_text(
    args: &PayloadArgs,
    r: &StreamReport,
    subprotocol: Option<&str>,
) -> Result<String> {
    let decoded = decode_report(&mut Payloads::new(&args.setup()?, subprotocol), r);
    Ok(wsinspect_view::render::render_text_with(r, &|m| {
        under(&decoded, m)
    }))
}

/// Both directions of a connection. The report does not say how the two directions' messages
/// interleave, so a first pass finds what each side settles on (a Socket.IO server's OPEN, the
/// MQTT level in the client's CONNECT) and the second pass starts both sides knowing it.
fn decode_connection(
    args: &PayloadArgs,
    c: &ConnectionReport,
) -> Result<[Vec<Option<Decoded>>; 2]> {
    let setup = args.setup()?;
    let sub = c.upgrade.as_ref().and_then(|u| u.subprotocol.as_deref());
    let mut first = Payloads::new(&setup, sub);
    decode_report(&mut first, &c.client);
    decode_report(&mut first, &c.server);
    let mut p = Payloads::new(&setup, sub);
    for side in [&mut p.client, &mut p.server] {
        side.learn(&first.client);
        side.learn(&first.server);
    }
    Ok([
        decode_report(&mut p, &c.client),
        decode_report(&mut p, &c.server),
    ])
}

/// `decode --json` of a connection: both directions' messages with `"decoded"`.
pub fn connection_json(args: &PayloadArgs, c: &ConnectionReport) -> Result<Value> {
    let [client, server] = decode_connection(args, c)?;
    let mut v = serde_json::to_value(c)?;
    if let Some(side) = v.get_mut("client") {
        add(side, &client);
    }
    if let Some(side) = v.get_mut("server") {
        add(side, &server);
    }
    Ok(v)
}

/// The text of a connection with each message's tree under it.
pub fn connection_text(args: &PayloadArgs, c: &ConnectionReport) -> Result<String> {
    let [client, server] = decode_connection(args, c)?;
    Ok(wsinspect_view::render::render_connection_with(
        c,
        &|d, m| match d {
            Direction::Server => under(&server, m),
            _ => under(&client, m),
        },
    ))
}

fn add(report: &mut Value, decoded: &[Option<Decoded>]) {
    let Some(Value::Array(msgs)) = report.get_mut("messages") else {
        return;
    };
    for (m, d) in msgs.iter_mut().zip(decoded) {
        if let Value::Object(o) = m {
            o.insert(
                "decoded".into(),
                serde_json::to_value(d).unwrap_or(Value::Null),
            );
        }
    }
}

/// The lines under a message: the decoder, its summary, the tree, the findings.
fn under(decoded: &[Option<Decoded>], m: &MessageReport) -> String {
    match decoded.get(m.index).and_then(Option::as_ref) {
        Some(d) => text(d, 4),
        None => String::new(),
    }
}

/// A decoded message as indented text.
pub fn text(d: &Decoded, indent: usize) -> String {
    let mut s = format!("{:indent$}decoded ({}): {}\n", "", d.decoder, d.summary);
    d.tree.render(indent + 2, &mut s);
    for f in &d.findings {
        s.push_str(&format!(
            "{:indent$}  finding {} [{}..{}]: {}\n",
            "",
            serde_json::to_value(f.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            f.span[0],
            f.span[1],
            f.message
        ));
    }
    s
}

/// A session event with the decoded payload beside a message's data (`pcap --json`):
/// `"decoded"` is there on message events only.
#[derive(Serialize)]
pub struct Annotated {
    #[serde(flatten)]
    event: Event,
    #[serde(skip_serializing_if = "Option::is_none")]
    decoded: Option<Option<Decoded>>,
}

impl Annotated {
    /// The event, and for a message its decoded payload (`Some(None)`: nothing applies).
    pub fn into_parts(self) -> (Event, Option<Option<Decoded>>) {
        (self.event, self.decoded)
    }
}

/// `decode --jsonl` and `--summary`: the one connection's sessions (id 0 for
/// [`Connections::annotate`]), starting with the subprotocol the input's handshake selected;
/// `None` with `--payload none`.
pub fn single(args: &PayloadArgs, subprotocol: Option<&str>) -> Result<Option<Connections>> {
    if args.choice == Choice::None {
        return Ok(None);
    }
    let mut c = Connections::new(args)?;
    let p = Payloads::new(&c.setup, subprotocol);
    c.open.insert(0, p);
    Ok(Some(c))
}

/// The most kinds `decode --summary` counts per direction; the rest are counted as `other`.
const MAX_KINDS: usize = 32;

/// Decoded messages of one kind (`socketio EVENT`), with the first one's summary.
#[derive(Serialize)]
struct KindCount {
    decoder: String,
    kind: String,
    count: u64,
    first: String,
}

/// What `decode --summary` adds: per direction, the decoded messages counted by decoder and
/// kind (the summary's first word: `EVENT`, `PUBLISH`, `SEND`; a short all-lowercase summary
/// whole: `part of a packet`), each with its first one-line
/// summary; and the messages no decoder read. At most [`MAX_KINDS`] kinds per direction.
#[derive(Default, Serialize)]
pub struct DecodedCounts {
    client: Vec<KindCount>,
    server: Vec<KindCount>,
    /// Messages no decoder read (client, server).
    undecoded: [u64; 2],
}

impl DecodedCounts {
    /// A message of `direction` (unknown counts as the client's), decoded or not.
    pub fn push(&mut self, direction: Direction, d: Option<&Decoded>) {
        let (kinds, i) = match direction {
            Direction::Server => (&mut self.server, 1),
            _ => (&mut self.client, 0),
        };
        let Some(d) = d else {
            self.undecoded[i] += 1;
            return;
        };
        let decoder = d.decoder.as_str();
        // The first word (`EVENT`, `PUBLISH`), or a short phrase of lowercase words whole
        // (`part of a packet`, `connection_init`).
        let phrase = d.summary.len() <= 24
            && d.summary
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == ' ' || c == '_');
        let word = match phrase {
            true => d.summary.as_str(),
            false => d.summary.split_whitespace().next().unwrap_or(""),
        };
        let (decoder, kind) = match kinds.iter().any(|k| k.decoder == decoder && k.kind == word) {
            false if kinds.len() >= MAX_KINDS => ("*", "other"),
            _ => (decoder, word),
        };
        match kinds
            .iter_mut()
            .find(|k| k.decoder == decoder && k.kind == kind)
        {
            Some(k) => k.count += 1,
            None => kinds.push(KindCount {
                decoder: decoder.into(),
                kind: kind.into(),
                count: 1,
                first: wsinspect_payload::tree::clip(&d.summary, 120),
            }),
        }
    }

    /// The lines after the summary's counts.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (name, kinds, i) in [("client", &self.client, 0), ("server", &self.server, 1)] {
            if kinds.is_empty() && self.undecoded[i] == 0 {
                continue;
            }
            s.push_str(&format!(
                "decoded payloads ({name}):
"
            ));
            for k in kinds {
                s.push_str(&format!(
                    "  {:<12} {:<20} {:>6}  first: {}\n",
                    k.decoder, k.kind, k.count, k.first
                ));
            }
            if self.undecoded[i] > 0 {
                s.push_str(&format!("  not decoded {:>27}\n", self.undecoded[i]));
            }
        }
        s
    }
}

/// The connections of a capture, each with its sessions (`pcap`).
pub struct Connections {
    setup: Setup,
    open: IdMap<Payloads>,
}

impl Connections {
    /// No connection yet.
    pub fn new(args: &PayloadArgs) -> Result<Self> {
        Ok(Connections {
            setup: args.setup()?,
            open: IdMap::default(),
        })
    }

    /// An event of connection `id`, with its message decoded.
    pub fn annotate(&mut self, id: u64, event: Event) -> Annotated {
        let p = self
            .open
            .entry(id)
            .or_insert_with(|| Payloads::new(&self.setup, None));
        let decoded = match &event.kind {
            EventKind::Upgrade(u) => {
                p.upgraded(u.subprotocol.as_deref());
                None
            }
            EventKind::Message(m) => Some(if m.payload.is_whole() {
                p.message(event.direction, m.opcode, &m.payload.kept.0)
            } else {
                None
            }),
            _ => None,
        };
        Annotated { event, decoded }
    }

    /// The connection ended: its state goes.
    pub fn closed(&mut self, id: u64) {
        self.open.remove(&id);
    }
}
