//! `wsinspect pcap`: read a pcap or pcapng file (or a pipe) a chunk at a time and print every
//! WebSocket connection in it: counts (`--summary`, the default), the session events one per
//! line (`--jsonl`), or one JSON document (`--json`). The reading of the file format, the TCP
//! reassembly and the decoding are wsinspect-capture's and the core's; docs/pcap.md describes
//! the output. A HAR file (a JSON object, told apart by its first byte) goes to `crate::har`.

use std::collections::HashMap;
use std::io::{self, Read, Write as _};

use anyhow::{Context as _, Result};
use clap::Args;
use serde::Serialize;
use wsinspect_capture::capture::DEFAULT_MAX_OUT_OF_ORDER;
use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent, Connection, Note, OtherFlow};
use wsinspect_core::diagnose::{Conformance, Diagnosis};
use wsinspect_core::session::{Event, SessionConfig, Summary};
use wsinspect_core::stream::{Keep, Retain};
use wsinspect_view::render::render_summary;

/// The size of the chunks read from the file.
const CHUNK: usize = 64 << 10;

/// Arguments of `wsinspect pcap`.
#[derive(Args)]
pub struct PcapArgs {
    /// The capture file (pcap or pcapng, or a HAR file: told apart by content); `-` or nothing
    /// reads standard input.
    file: Option<String>,
    /// Print one JSON document: every connection with its events, and the other flows.
    #[arg(long, conflicts_with_all = ["jsonl", "summary"])]
    json: bool,
    /// Print one JSON line per event as it happens, each with its "connection" id.
    #[arg(long, conflicts_with = "summary")]
    jsonl: bool,
    /// Print counts per connection and direction, the other flows and totals (the default).
    #[arg(long)]
    summary: bool,
    /// With --json or --jsonl: keep at most this many payload bytes in each event.
    #[arg(long)]
    keep: Option<usize>,
    /// Out-of-order bytes held per direction before a missing segment is declared lost.
    #[arg(long, default_value_t = DEFAULT_MAX_OUT_OF_ORDER)]
    max_out_of_order: usize,
}

pub fn run(args: PcapArgs) -> Result<()> {
    let keep = match args.keep {
        // A prefix lets a diagnosis quote text written where frames belong.
        _ if !(args.json || args.jsonl) => Keep::Prefix(64),
        Some(n) => Keep::Prefix(n),
        None => Keep::All,
    };
    let config = CaptureConfig {
        session: SessionConfig {
            retain: Retain {
                frames: keep,
                messages: keep,
            },
            ..SessionConfig::default()
        },
        max_out_of_order: args.max_out_of_order,
    };
    let mut capture = Capture::new(config);
    let mut sink = if args.jsonl {
        Sink::Jsonl
    } else if args.json {
        Sink::Json(Box::default())
    } else {
        Sink::Summary(HashMap::new())
    };
    let mut out = io::BufWriter::with_capacity(CHUNK, io::stdout());
    let mut input: Box<dyn Read> = match args.file.as_deref() {
        None | Some("-") => Box::new(io::stdin()),
        Some(p) => Box::new(std::fs::File::open(p).with_context(|| format!("reading {p}"))?),
    };
    let mut buf = vec![0u8; CHUNK];
    let mut first = true;
    let mut diag = crate::diagnose::Diagnosers::default();
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).context("reading the capture"),
        };
        if std::mem::take(&mut first) && wsinspect_capture::har::looks_like_json(&buf[..n]) {
            // A HAR is one JSON document: read it whole.
            let mut all = buf[..n].to_vec();
            input
                .read_to_end(&mut all)
                .context("reading the HAR file")?;
            let mode = match () {
                _ if args.jsonl => crate::har::Mode::Jsonl,
                _ if args.json => crate::har::Mode::Json,
                _ => crate::har::Mode::Summary,
            };
            crate::har::run(&all, mode, &mut out)?;
            return quiet(out.flush());
        }
        let fed = capture.feed(&buf[..n]);
        sink.drain(&mut capture, &mut diag, &mut out)?;
        fed?;
    }
    capture.finish()?;
    sink.drain(&mut capture, &mut diag, &mut out)?;
    sink.finish(&capture, &mut out)?;
    quiet(out.flush())?;
    if let Some(at) = capture.totals().cut_short_at {
        eprintln!("wsinspect: the capture file ends inside the record at byte {at} (cut short?)");
    }
    Ok(())
}

/// Where the events go, by output mode.
enum Sink {
    Jsonl,
    Json(Box<Document>),
    /// The open connections' counts, printed when each one closes.
    Summary(HashMap<u64, Counts>),
}

/// `--json`.
#[derive(Default, Serialize)]
struct Document {
    connections: Vec<ConnectionDoc>,
    other_flows: Vec<OtherFlow>,
    totals: Option<wsinspect_capture::Totals>,
}

#[derive(Serialize)]
struct ConnectionDoc {
    #[serde(flatten)]
    connection: Connection,
    events: Vec<Event>,
    notes: Vec<Note>,
    /// Why it failed, if it did (docs/diagnose.md).
    diagnoses: Vec<Diagnosis>,
    /// Each peer's conformance per class.
    conformance: Option<Conformance>,
}

struct Counts {
    connection: Connection,
    summary: Summary,
    notes: Vec<Note>,
}

/// One `--jsonl` line: the connection's id, then the event's own fields.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    connection: u64,
    #[serde(flatten)]
    inner: &'a T,
}

/// A `--jsonl` line that is not a session event: `{"connection", "event", "data"}`.
#[derive(Serialize)]
struct Other<'a, T: Serialize> {
    connection: u64,
    event: &'static str,
    data: &'a T,
}

impl Sink {
    fn drain(
        &mut self,
        capture: &mut Capture,
        diag: &mut crate::diagnose::Diagnosers,
        out: &mut impl io::Write,
    ) -> Result<()> {
        while let Some(e) = capture.poll_event() {
            let report = diag.track(&e);
            match self {
                Sink::Jsonl => match &e {
                    CaptureEvent::Connection(c) => json_line(out, &other(c.id, "connection", c))?,
                    CaptureEvent::Event { connection, event } => json_line(
                        out,
                        &Line {
                            connection: *connection,
                            inner: event.as_ref(),
                        },
                    )?,
                    CaptureEvent::Note(n) => {
                        json_line(out, &other(n.connection, "capture_note", n))?
                    }
                    CaptureEvent::Closed { connection, .. } => {
                        if let Some(r) = &report {
                            json_line(out, &other(*connection, "diagnosis", r))?
                        }
                        json_line(out, &other(*connection, "closed", &()))?
                    }
                    CaptureEvent::OtherFlow(f) => json_line(out, &other(f.id, "other_flow", f))?,
                },
                Sink::Json(doc) => match e {
                    CaptureEvent::Connection(connection) => doc.connections.push(ConnectionDoc {
                        connection,
                        events: Vec::new(),
                        notes: Vec::new(),
                        diagnoses: Vec::new(),
                        conformance: None,
                    }),
                    CaptureEvent::Event { connection, event } => {
                        if let Some(c) = doc.find(connection) {
                            c.events.push(*event);
                        }
                    }
                    CaptureEvent::Note(n) => {
                        if let Some(c) = doc.find(n.connection) {
                            c.notes.push(n);
                        }
                    }
                    CaptureEvent::Closed { connection, .. } => {
                        if let (Some(c), Some(r)) = (doc.find(connection), report) {
                            c.diagnoses = r.diagnoses;
                            c.conformance = Some(r.conformance);
                        }
                    }
                    CaptureEvent::OtherFlow(f) => doc.other_flows.push(f),
                },
                Sink::Summary(open) => match e {
                    CaptureEvent::Connection(connection) => {
                        let id = connection.id;
                        let counts = Counts {
                            connection,
                            summary: Summary::default(),
                            notes: Vec::new(),
                        };
                        open.insert(id, counts);
                    }
                    CaptureEvent::Event { connection, event } => {
                        if let Some(c) = open.get_mut(&connection) {
                            c.summary.push(&event);
                        }
                    }
                    CaptureEvent::Note(n) => {
                        if let Some(c) = open.get_mut(&n.connection) {
                            // At most one of each kind per direction is kept.
                            if !c
                                .notes
                                .iter()
                                .any(|m| m.code == n.code && m.direction == n.direction)
                            {
                                c.notes.push(n);
                            }
                        }
                    }
                    CaptureEvent::Closed { connection, .. } => {
                        if let Some(c) = open.remove(&connection) {
                            let t = connection_text(&c);
                            let t = match &report {
                                Some(r) => {
                                    crate::diagnose::with_diagnoses(&t, r, c.connection.time)
                                }
                                None => t,
                            };
                            text(out, &t)?;
                        }
                    }
                    CaptureEvent::OtherFlow(f) => text(out, &other_flow_text(&f))?,
                },
            }
        }
        Ok(())
    }

    fn finish(self, capture: &Capture, out: &mut impl io::Write) -> Result<()> {
        let totals = capture.totals();
        match self {
            Sink::Jsonl => json_line(out, &other(0, "totals", totals)),
            Sink::Json(mut doc) => {
                doc.totals = Some(totals.clone());
                quiet(
                    serde_json::to_writer_pretty(&mut *out, &doc)
                        .map_err(io::Error::from)
                        .and_then(|()| out.write_all(b"\n")),
                )
            }
            Sink::Summary(_) => {
                let t = totals;
                text(
                    out,
                    &format!(
                        "totals: {} packet(s) ({} TCP), {} WebSocket connection(s), {} other flow(s)\n{}",
                        t.packets,
                        t.tcp_segments,
                        t.connections,
                        t.other_flows,
                        skipped_text(t)
                    ),
                )
            }
        }
    }
}

impl Document {
    fn find(&mut self, id: u64) -> Option<&mut ConnectionDoc> {
        self.connections
            .iter_mut()
            .rev()
            .find(|c| c.connection.id == id)
    }
}

fn other<'a, T: Serialize>(connection: u64, event: &'static str, data: &'a T) -> Other<'a, T> {
    Other {
        connection,
        event,
        data,
    }
}

fn connection_text(c: &Counts) -> String {
    let k = &c.connection;
    let mut s = format!(
        "connection {}: client {} -> server {} (client by {})\n",
        k.id,
        k.client,
        k.server,
        serde_json::to_value(k.client_by).map_or_else(
            |_| String::new(),
            |v| v.as_str().unwrap_or_default().to_string()
        )
    );
    for line in render_summary(&c.summary).lines() {
        s.push_str("  ");
        s.push_str(line);
        s.push('\n');
    }
    for n in &c.notes {
        s.push_str(&format!(
            "  capture note ({}, {}): {}\n",
            n.code,
            n.direction.as_str(),
            n.message
        ));
    }
    s
}

fn other_flow_text(f: &OtherFlow) -> String {
    let kind = serde_json::to_value(f.kind).map_or_else(
        |_| String::new(),
        |v| v.as_str().unwrap_or_default().to_string(),
    );
    format!(
        "other flow {}: {} {} -> {}: {} byte(s) from the client, {} from the server, {} packet(s)\n",
        f.id, kind, f.client, f.server, f.client_bytes, f.server_bytes, f.packets
    )
}

fn skipped_text(t: &wsinspect_capture::Totals) -> String {
    let mut parts = Vec::new();
    for (n, what) in [
        (t.skipped_link_type, "of a link type not read"),
        (t.not_tcp, "not TCP"),
        (t.ip_fragments, "IP fragments (not reassembled)"),
        (t.malformed, "malformed"),
        (t.truncated_packets, "captured shorter than sent"),
        (
            t.duplicate_bytes,
            "retransmitted or overlapping byte(s) dropped",
        ),
    ] {
        if n > 0 {
            parts.push(format!("  {n} {what}\n"));
        }
    }
    parts.concat()
}

fn text(out: &mut impl io::Write, s: &str) -> Result<()> {
    quiet(out.write_all(s.as_bytes()))
}

fn json_line<T: Serialize>(out: &mut impl io::Write, v: &T) -> Result<()> {
    quiet(
        serde_json::to_writer(&mut *out, v)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n")),
    )
}

/// A reader that went away (`| head`) ends the program quietly.
fn quiet(r: io::Result<()>) -> Result<()> {
    crate::output::quiet_on_closed_pipe(r)
}
