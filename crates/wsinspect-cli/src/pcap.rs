//! `wsinspect pcap`: read a pcap or pcapng file (or a pipe) a chunk at a time and print every
//! WebSocket connection in it: counts (`--summary`, the default), the session events one per
//! line (`--jsonl`), or one JSON document (`--json`). The reading of the file format, the TCP
//! reassembly and the decoding are wsinspect-capture's and the core's; docs/pcap.md describes
//! the output. A HAR file (a JSON object, told apart by its first byte) goes to `crate::har`.

use crate::ids::{IdMap, IdSet};
use std::fmt::Write as _;
use std::io::{self, Read, Write as _};

use anyhow::{Context as _, Result};
use clap::Args;
use serde::Serialize;
use wsinspect_capture::capture::DEFAULT_MAX_OUT_OF_ORDER;
use wsinspect_capture::select::{Select, Term};
use wsinspect_capture::tls::TlsReport;
use wsinspect_capture::{
    Capture, CaptureConfig, CaptureEvent, Connection, Note, OtherFlow, SessionHost, Sessions,
};
use wsinspect_core::diagnose::{Conformance, DiagnoseReport, Diagnosis};
use wsinspect_core::session::{SessionConfig, Summary, Timestamp};
use wsinspect_core::stream::{Keep, Retain};
use wsinspect_view::capture_view;
use wsinspect_view::connection_doc::{CaptureFields, ConnectionDoc};
use wsinspect_view::diagnose::render_report_into;
use wsinspect_view::render::render_summary_into;

use crate::tls::tls_text;

mod shards;

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
    /// With the summary: how many threads decode the connections, 1 to 8 (the machine's cores,
    /// at most 8, by default; 1 decodes on the reading thread alone). The text is the same
    /// either way. Each thread keeps its own buffers: 8 threads peak at under 50 MB.
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u16).range(1..=8),
        conflicts_with_all = ["json", "jsonl"]
    )]
    threads: Option<u16>,
    /// Out-of-order bytes held per direction before a missing segment is declared lost.
    #[arg(long, default_value_t = DEFAULT_MAX_OUT_OF_ORDER)]
    max_out_of_order: usize,
    /// Show only the connection (or other flow) with this id; may be given more than once.
    #[arg(long = "connection", value_name = "ID")]
    connections: Vec<u64>,
    /// Show only flows that match: port=PORT, host=ADDR, client=ADDR[:PORT], server=ADDR[:PORT];
    /// may be given more than once (all must match).
    #[arg(long = "filter", value_name = "TERM")]
    filters: Vec<Term>,
    #[command(flatten)]
    payload: crate::payload::PayloadArgs,
    /// A TLS key log (SSLKEYLOGFILE's NSS format) to decrypt wss connections with; secrets
    /// embedded in a pcapng (Decryption Secrets Blocks) are used without it.
    #[arg(long, value_name = "KEYLOGFILE")]
    keylog: Option<String>,
}

pub fn run(args: PcapArgs) -> Result<()> {
    let keep = match args.keep {
        // A prefix lets a diagnosis quote text written where frames belong.
        _ if !(args.json || args.jsonl) => Keep::Prefix(64),
        Some(n) => Keep::Prefix(n),
        None => Keep::All,
    };
    let summary = !(args.json || args.jsonl);
    // Other threads for the summary (see `shards`).
    let others = match args.threads {
        _ if !summary => 0,
        Some(n) => usize::from(n) - 1,
        None => std::thread::available_parallelism().map_or(1, |n| n.get().min(8)) - 1,
    };
    let config = CaptureConfig {
        // The sessions run beside the capture (`SessionHost`), on the summary's threads
        // (`shards`) or the decoding thread: their events go straight to where they are shown,
        // not through the capture's queue (one thread's peak on the 100 MB benchmark file: 18
        // -> 14 MB; the same instructions within 0.3 %).
        sessions: Sessions::Outside,
        session: SessionConfig {
            retain: Retain {
                frames: keep,
                messages: keep,
            },
            ..SessionConfig::default()
        },
        max_out_of_order: args.max_out_of_order,
        ..CaptureConfig::default()
    };
    // The sessions' configuration, for the threads that run them.
    let session = config.session.clone();
    let mut capture = Capture::new(config);
    if let Some(p) = &args.keylog {
        let text = std::fs::read(p).with_context(|| format!("reading {p}"))?;
        capture
            .add_keylog(&text)
            .with_context(|| format!("reading {p}"))?;
    }
    let mut shown = Shown::new(Select {
        ids: args.connections.clone(),
        terms: args.filters.clone(),
    });
    // A bad --proto is an error in every output mode, not only where payloads are shown.
    args.payload.setup()?;
    let mut sink = if args.jsonl {
        Sink::Jsonl(crate::payload::Connections::new(&args.payload)?)
    } else if args.json {
        Sink::Json(
            Box::default(),
            crate::payload::Connections::new(&args.payload)?,
        )
    } else {
        Sink::Summary(IdMap::default())
    };
    let mut out = io::BufWriter::with_capacity(CHUNK, io::stdout());
    let (mut input, size): (Box<dyn Read + Send>, Option<u64>) = match args.file.as_deref() {
        None | Some("-") => (Box::new(io::stdin()), None),
        Some(p) => {
            let f = std::fs::File::open(p).with_context(|| format!("reading {p}"))?;
            let size = f.metadata().ok().map(|m| m.len());
            (Box::new(f), size)
        }
    };
    let mut progress = Progress::new(size);
    let mut buf = vec![0u8; CHUNK];
    let n = read_chunk(&mut input, &mut buf)?;
    if wsinspect_capture::har::looks_like_json(&buf[..n]) {
        // A HAR is one JSON document: read it whole.
        let mut all = buf[..n].to_vec();
        input
            .read_to_end(&mut all)
            .context("reading the HAR file")?;
        if !shown.select.terms.is_empty() {
            anyhow::bail!(
                "--filter applies to pcap and pcapng files (a HAR has no endpoints); --connection ID works"
            );
        }
        let mode = match () {
            _ if args.jsonl => crate::har::Mode::Jsonl,
            _ if args.json => crate::har::Mode::Json,
            _ => crate::har::Mode::Summary,
        };
        crate::har::run(&all, mode, &shown.select.ids, &mut out)?;
        return quiet(out.flush());
    }
    let source = (&mut input, buf, n);
    let flows = (&mut capture, &mut shown);
    if summary {
        shards::summary(source, flows, &mut progress, (others, session), &mut out)?;
    } else {
        // Two threads: one reads, decodes and diagnoses, this one serialises and writes a batch
        // of events per chunk behind it (a few batches at most, so memory stays bounded). The
        // output is one thread's: one channel keeps the events' order. JSON is most of the work
        // there (`--jsonl` of a 20 MB capture: 0.38 s -> 0.25 s). (The summary's text is too
        // little to pay for handing every event to another thread: its threads share the
        // connections out instead, in `shards`.)
        let (tx, rx) = std::sync::mpsc::sync_channel::<(Batch, Idle)>(4);
        std::thread::scope(|scope| {
            let progress = &mut progress;
            // `tx` moves into the decoder, so the channel closes when it ends.
            let decoder = scope.spawn(move || {
                decode(source, flows, progress, session, move |b, idle| {
                    tx.send((std::mem::take(b), idle)).is_ok()
                })
            });
            let written = rx.iter().try_for_each(|(batch, idle)| {
                for (e, report) in batch {
                    sink.take(e, report, &mut out)?;
                }
                flush_if(idle, &mut out)
            });
            // Stop the decoder too when writing failed (its next send fails once `rx` is gone).
            drop(rx);
            let decoded = decoder
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the decoding thread panicked")));
            written.and(decoded)
        })?;
    }
    progress.done();
    sink.finish(&capture, &mut out)?;
    quiet(out.flush())?;
    if let Some(e) = &capture.totals().embedded_secrets_error {
        eprintln!("wsinspect: the key log embedded in the capture: {e}");
    }
    if let Some(at) = capture.totals().cut_short_at {
        eprintln!("wsinspect: the capture file ends inside the record at byte {at} (cut short?)");
    }
    Ok(())
}

/// The input, its buffer, and how many bytes of its first chunk are in it.
type Source<'a> = (&'a mut Box<dyn Read + Send>, Vec<u8>, usize);

/// Whether the input had no more bytes ready when a chunk was read (a short read: a pipe whose
/// writer is still capturing, `tcpdump -U -w - | wsinspect pcap -`): what is decoded so far is
/// written out then, not held until the output buffer fills or the input ends.
type Idle = bool;

/// Flush `out` when the input is idle.
fn flush_if(idle: Idle, out: &mut impl io::Write) -> Result<()> {
    match idle {
        true => quiet(out.flush()),
        false => Ok(()),
    }
}

/// The events of one chunk, each with its connection's diagnosis when it closes.
type Batch = Vec<(CaptureEvent, Option<DiagnoseReport>)>;

/// Read, decode and diagnose the file from its first chunk (`buf[..n]`) on, handing the shown
/// events to `sink` a chunk at a time, to empty (it returns false when it can take no more: reading stops,
/// and its error is the one reported); then end the capture's open flows and hand over their
/// last events. Events decoded before a read or decode error are handed over before it is
/// returned.
fn decode(
    source: Source<'_>,
    (capture, shown): (&mut Capture, &mut Shown),
    progress: &mut Progress,
    session: SessionConfig,
    mut sink: impl FnMut(&mut Batch, Idle) -> bool,
) -> Result<()> {
    let mut host = SessionHost::new(session);
    let mut diag = crate::diagnose::Diagnosers::default();
    // One batch, emptied by the sink each time (or taken, to go to another thread).
    let mut batch = Vec::new();
    read_capture(source, capture, progress, |capture, idle| {
        while let Some(e) = capture.poll_event() {
            if shown.admit(&e) {
                let hops = capture.hops();
                let spent = host.take(e, &mut |e| {
                    let report = diag.track(&e, hops);
                    batch.push((e, report));
                });
                if let Some(b) = spent {
                    capture.recycle(b);
                }
            }
        }
        sink(&mut batch, idle)
    })
}

/// Feed the file to `capture` from its first chunk (`buf[..n]`) on, calling `chunk` after each
/// to take the capture's events (it returns false to stop reading; [`Idle`] when the chunk was
/// short), then end the capture's open flows and call it a last time. Events decoded before a
/// read or decode error are taken before it is returned.
fn read_capture(
    (input, mut buf, mut n): Source<'_>,
    capture: &mut Capture,
    progress: &mut Progress,
    mut chunk: impl FnMut(&mut Capture, Idle) -> bool,
) -> Result<()> {
    while n > 0 {
        let fed = capture.feed(&buf[..n]);
        if !chunk(capture, n < buf.len()) {
            return Ok(());
        }
        fed?;
        progress.read(n as u64, capture.totals());
        n = read_chunk(input, &mut buf)?;
    }
    let finished = capture.finish();
    chunk(capture, true);
    Ok(finished?)
}

/// The next chunk of the input into `buf`: its length, 0 at the end.
fn read_chunk(input: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r.context("reading the capture"),
        }
    }
}

/// The flows `--connection` and `--filter` let through.
struct Shown {
    select: Select,
    /// The connections shown that are still open.
    open: IdSet,
}

impl Shown {
    fn new(select: Select) -> Shown {
        Shown {
            select,
            open: IdSet::default(),
        }
    }

    /// Whether this event is shown.
    fn admit(&mut self, e: &CaptureEvent) -> bool {
        match e {
            CaptureEvent::Connection(c) => {
                let yes = self.select.matches(c.id, c.client, c.server);
                if yes {
                    self.open.insert(c.id);
                }
                yes
            }
            // Every event follows its connection's start: with no selection, it was shown.
            CaptureEvent::Event { connection, .. } | CaptureEvent::Input { connection, .. } => {
                self.select.is_all() || self.open.contains(connection)
            }
            CaptureEvent::Note(n) => self.open.contains(&n.connection),
            CaptureEvent::Tls { connection, .. } => self.open.contains(connection),
            CaptureEvent::Closed { connection, .. } => self.open.remove(connection),
            CaptureEvent::OtherFlow(f) => self.select.matches(f.id, f.client, f.server),
        }
    }
}

/// Progress on standard error while a large file is read, when standard error is a terminal.
struct Progress {
    /// The file's size, when it is worth reporting on.
    size: Option<u64>,
    read: u64,
    last: std::time::Instant,
}

/// Files smaller than this are read without a progress line.
const PROGRESS_FROM: u64 = 50_000_000;

impl Progress {
    fn new(size: Option<u64>) -> Progress {
        use std::io::IsTerminal as _;
        let size = size.filter(|&s| s > PROGRESS_FROM && io::stderr().is_terminal());
        Progress {
            size,
            read: 0,
            last: std::time::Instant::now(),
        }
    }

    fn read(&mut self, n: u64, totals: &wsinspect_capture::Totals) {
        self.read += n;
        let Some(size) = self.size else { return };
        if self.last.elapsed() < std::time::Duration::from_millis(250) {
            return;
        }
        self.last = std::time::Instant::now();
        eprint!(
            "\rwsinspect: {} of {} MB read ({}%), {} packets, {} WebSocket connection(s)\x1b[K",
            self.read / 1_000_000,
            size / 1_000_000,
            self.read * 100 / size.max(1),
            totals.packets,
            totals.connections
        );
    }

    /// Clear the line.
    fn done(&self) {
        if self.size.is_some() {
            eprint!("\r\x1b[K");
        }
    }
}

/// Where the events go, by output mode.
enum Sink {
    Jsonl(crate::payload::Connections),
    Json(Box<Document>, crate::payload::Connections),
    /// The open connections' counts, printed when each one closes.
    Summary(IdMap<Counts>),
}

/// `--json`.
#[derive(Default, Serialize)]
struct Document {
    /// Each connection's document, once it has ended.
    connections: Vec<serde_json::Value>,
    other_flows: Vec<OtherFlow>,
    totals: Option<wsinspect_capture::Totals>,
    #[serde(skip)]
    open: IdMap<Open>,
}

/// A connection being collected for `--json`.
struct Open {
    connection: Connection,
    /// Each message's decoded payload, in the order of its messages.
    decoded: Vec<Option<wsinspect_payload::Decoded>>,
    notes: Vec<Note>,
    doc: ConnectionDoc,
    tls: Option<Box<TlsReport>>,
    /// Why it failed, if it did (docs/diagnose.md).
    diagnoses: Vec<Diagnosis>,
    /// Each peer's conformance per class.
    conformance: Option<Conformance>,
}

struct Counts {
    connection: Connection,
    /// The time of its last event, for its duration.
    last: Option<Timestamp>,
    summary: Summary,
    notes: Vec<Note>,
    tls: Option<Box<TlsReport>>,
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
    /// Write (or keep, for `--json`) one shown event. (A session's `Input` comes only from a
    /// capture whose sessions run outside it, and their host has made its events by then.)
    fn take(
        &mut self,
        e: CaptureEvent,
        report: Option<DiagnoseReport>,
        out: &mut impl io::Write,
    ) -> Result<()> {
        match self {
            Sink::Jsonl(payloads) => match e {
                CaptureEvent::Connection(c) => json_line(out, &other(c.id, "connection", &c))?,
                CaptureEvent::Event { connection, event } => json_line(
                    out,
                    &Line {
                        connection,
                        inner: &payloads.annotate(connection, event),
                    },
                )?,
                CaptureEvent::Note(n) => json_line(out, &other(n.connection, "capture_note", &n))?,
                CaptureEvent::Closed { connection, .. } => {
                    payloads.closed(connection);
                    if let Some(r) = &report {
                        json_line(out, &other(connection, "diagnosis", r))?
                    }
                    json_line(out, &other(connection, "closed", &()))?
                }
                CaptureEvent::Input { .. } => {}
                CaptureEvent::OtherFlow(f) => json_line(out, &other(f.id, "other_flow", &f))?,
                CaptureEvent::Tls { connection, tls } => {
                    json_line(out, &other(connection, "tls", &tls))?
                }
            },
            Sink::Json(doc, payloads) => match e {
                CaptureEvent::Connection(connection) => {
                    let open = Open {
                        connection,
                        decoded: Vec::new(),
                        notes: Vec::new(),
                        doc: ConnectionDoc::default(),
                        tls: None,
                        diagnoses: Vec::new(),
                        conformance: None,
                    };
                    doc.open.insert(open.connection.id, open);
                }
                CaptureEvent::Event { connection, event } => {
                    if let Some(c) = doc.open.get_mut(&connection) {
                        let (event, decoded) = payloads.annotate(connection, event).into_parts();
                        if let Some(d) = decoded {
                            c.decoded.push(d);
                        }
                        c.doc.push(event);
                    }
                }
                CaptureEvent::Note(n) => {
                    if let Some(c) = doc.open.get_mut(&n.connection) {
                        c.notes.push(n);
                    }
                }
                CaptureEvent::Closed { connection, .. } => {
                    payloads.closed(connection);
                    if let Some(mut c) = doc.open.remove(&connection) {
                        if let Some(r) = report {
                            c.diagnoses = r.diagnoses;
                            c.conformance = Some(r.conformance);
                        }
                        doc.connections.push(c.finish());
                    }
                }
                CaptureEvent::Input { .. } => {}
                CaptureEvent::OtherFlow(f) => doc.other_flows.push(f),
                CaptureEvent::Tls { connection, tls } => {
                    if let Some(c) = doc.open.get_mut(&connection) {
                        c.tls = Some(tls);
                    }
                }
            },
            Sink::Summary(open) => match e {
                CaptureEvent::Connection(connection) => {
                    let id = connection.id;
                    let counts = Counts {
                        connection,
                        last: None,
                        summary: Summary::default(),
                        notes: Vec::new(),
                        tls: None,
                    };
                    open.insert(id, counts);
                }
                CaptureEvent::Event { connection, event } => {
                    if let Some(c) = open.get_mut(&connection) {
                        c.last = event.time.or(c.last);
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
                        text(out, &connection_text(&c, report.as_ref()))?;
                    }
                }
                CaptureEvent::Input { .. } => {}
                CaptureEvent::OtherFlow(f) => text(out, &other_flow_text(&f))?,
                CaptureEvent::Tls { connection, tls } => {
                    if let Some(c) = open.get_mut(&connection) {
                        c.tls = Some(tls);
                    }
                }
            },
        }
        Ok(())
    }

    fn finish(self, capture: &Capture, out: &mut impl io::Write) -> Result<()> {
        let totals = capture.totals();
        match self {
            Sink::Jsonl(_) => json_line(out, &other(0, "totals", totals)),
            Sink::Json(mut doc, _) => {
                doc.totals = Some(totals.clone());
                doc.connections
                    .sort_by_key(|c| c.get("id").and_then(serde_json::Value::as_u64));
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

impl Open {
    /// The connection's document: its endpoints and capture notes, then the decode.
    fn finish(self) -> serde_json::Value {
        let fields = CaptureFields {
            connection: Some(&self.connection),
            notes: &self.notes,
            tls: self.tls.as_deref(),
            diagnoses: &self.diagnoses,
            conformance: self.conformance.as_ref(),
            export_note: None,
        };
        self.doc.finish_capture(fields, self.decoded)
    }
}

fn other<'a, T: Serialize>(connection: u64, event: &'static str, data: &'a T) -> Other<'a, T> {
    Other {
        connection,
        event,
        data,
    }
}

/// A connection's summary: its first line, its diagnoses (when diagnosed), its TLS, its counts
/// and its capture notes.
fn connection_text(c: &Counts, report: Option<&DiagnoseReport>) -> String {
    let k = &c.connection;
    let mut s = String::with_capacity(1024);
    let _ = writeln!(
        s,
        "connection {}: client {} -> server {} (client by {}){}",
        k.id,
        k.client,
        k.server,
        serde_json::to_value(k.client_by).map_or_else(
            |_| String::new(),
            |v| v.as_str().unwrap_or_default().to_string()
        ),
        when(k.time, c.last)
    );
    if let Some(r) = report {
        render_report_into(&mut s, r, k.time, "  ");
    }
    if let Some(t) = &c.tls {
        s.push_str(&tls_text(t));
    }
    render_summary_into(&mut s, &c.summary, "  ");
    for n in &c.notes {
        let _ = writeln!(
            s,
            "  capture note ({}, {}): {}",
            n.code,
            n.direction.as_str(),
            n.message
        );
    }
    s
}

/// `, from 2026-11-28 12:21:03.123 UTC for 12.3 ms`: when a connection began and how long it
/// lasted, as far as the capture has times.
fn when(start: Option<Timestamp>, last: Option<Timestamp>) -> String {
    let Some(start) = start else {
        return String::new();
    };
    let secs = last.map_or(0, |l| l.0.saturating_sub(start.0)) as f64 / 1e9;
    format!(
        ", from {} for {}",
        capture_view::clock(start.as_secs_f64()),
        capture_view::duration(secs)
    )
}

fn other_flow_text(f: &OtherFlow) -> String {
    let kind = serde_json::to_value(f.kind).map_or_else(
        |_| String::new(),
        |v| v.as_str().unwrap_or_default().to_string(),
    );
    let mut s = format!(
        "other flow {}: {} {} -> {}: {} byte(s) from the client, {} from the server, {} packet(s)\n",
        f.id, kind, f.client, f.server, f.client_bytes, f.server_bytes, f.packets
    );
    if let Some(t) = &f.tls {
        s.push_str(&tls_text(t));
    }
    s
}

fn skipped_text(t: &wsinspect_capture::Totals) -> String {
    let mut parts = Vec::new();
    if t.embedded_secrets > 0 {
        parts.push(format!(
            "  {} TLS secret(s) read from the file's Decryption Secrets Blocks\n",
            t.embedded_secrets
        ));
    }
    for (n, what) in [
        (t.skipped_link_type, "of a link type not read"),
        (t.not_tcp, "not TCP"),
        (
            t.ip_fragments.reassembled,
            "IP datagram(s) put back from fragments",
        ),
        (
            t.ip_fragments.incomplete,
            "IP datagram(s) whose fragments never all arrived (their bytes are gaps)",
        ),
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
