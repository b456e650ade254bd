//! `wsinspect decode`: read bytes in any notation, decode one direction, print a table, JSON,
//! one event per line, or counts.
//!
//! `--json` and the table of a small input need the whole report; `--jsonl`, `--summary` and the
//! table of a large raw input run the session engine over the input a chunk at a time, so their
//! memory does not grow with the input.

use std::io::{self, Read};
use std::ops::Range;

use anyhow::{Context as _, Result};
use clap::Args;
use wsinspect_core::diagnose::{diagnose_stream, Diagnoser, TcpEnds};
use wsinspect_core::handshake::HandshakeReport;
use wsinspect_core::inspect::notation::{
    looks_like_follow, packet_dumps, parse_follow, parse_input, Format, Notation,
};
use wsinspect_core::inspect::packet::{tcp_pieces, tcp_segment, Piece};
use wsinspect_core::inspect::{inspect, plan, starts_like_handshake, InspectOptions, Plan};
use wsinspect_core::session::{ConnectionCollector, Event, Session, SessionConfig, Summary};
use wsinspect_core::stream::{decode_all, DecodeConfig, Keep, Retain, DEFAULT_INFLATE_BUDGET};
use wsinspect_core::Direction;
use wsinspect_view::diagnose::render_diagnoses;
use wsinspect_view::render::{render_summary, StreamText};

use crate::output::Output;

/// Raw inputs larger than this are decoded as a stream, a chunk at a time.
const FIRST_CHUNK: usize = 1 << 20;
/// The size of the later chunks.
const CHUNK: usize = 64 << 10;

/// Arguments of `wsinspect decode`.
#[derive(Args)]
pub struct DecodeArgs {
    /// The input file; `-` or nothing reads standard input.
    file: Option<String>,
    /// Which peer sent the bytes: client (frames must be masked), server, or unknown.
    #[arg(long, default_value = "unknown")]
    from: Direction,
    /// The input notation: auto, hex (any spelling), base64 or raw.
    #[arg(long, default_value = "auto")]
    format: Format,
    /// The negotiated Sec-WebSocket-Extensions response value, e.g. "permessage-deflate".
    #[arg(long, default_value = "")]
    extensions: String,
    /// Stop inflating a message beyond this many bytes.
    #[arg(long, default_value_t = wsinspect_core::stream::DEFAULT_MAX_INFLATED)]
    max_inflated: usize,
    /// Stop inflating altogether once this many bytes were inflated in all (so that many small
    /// decompression bombs cannot get around --max-inflated).
    #[arg(long, default_value_t = DEFAULT_INFLATE_BUDGET)]
    inflate_budget: u64,
    /// Print one JSON document instead of the table (with --summary: the counts as JSON).
    #[arg(long, conflicts_with = "jsonl")]
    json: bool,
    /// Print one JSON event per line as it happens (frames, messages, findings, the end).
    #[arg(long, conflicts_with = "summary")]
    jsonl: bool,
    /// Print counts per direction: frames, messages, bytes, findings by code.
    #[arg(long)]
    summary: bool,
    /// With --jsonl: keep at most this many payload bytes in each event (default: all).
    #[arg(long, requires = "jsonl")]
    keep: Option<usize>,
    #[command(flatten)]
    payload: crate::payload::PayloadArgs,
}

pub fn run(args: DecodeArgs) -> Result<()> {
    let mut input = open(args.file.as_deref())?;
    let (first, eof) = read_up_to(&mut input, FIRST_CHUNK)?;
    let raw = args.format == Format::Raw
        || (args.format == Format::Auto
            && (starts_like_handshake(&first)
                || std::str::from_utf8(trim_cut_char(&first)).is_err()));
    if !raw && matches!(args.format, Format::Auto | Format::Hex) {
        let mut all = first;
        input.read_to_end(&mut all).context("reading the input")?;
        let text = String::from_utf8_lossy(&all);
        if looks_like_follow(&text) {
            let segments = parse_follow(&text)?;
            eprintln!(
                "wsinspect: the input is a Follow TCP Stream dump of both directions ({} segments; indented lines are the server's): decoded as one connection",
                segments.len()
            );
            let pieces = segments.into_iter().map(|(d, b)| Piece::Data(d, b));
            return connection(&args, pieces.collect());
        }
        if let Some(packets) =
            packet_dumps(&text).filter(|p| p.iter().any(|b| tcp_segment(b).is_some()))
        {
            let Some((pieces, layers)) = tcp_pieces(&packets) else {
                anyhow::bail!(
                    "the input is {} whole packets, and they are not all TCP segments of one connection: copy the packets of one connection (in Wireshark: Follow TCP Stream), or give the capture file to `wsinspect pcap`",
                    packets.len()
                );
            };
            eprintln!(
                "wsinspect: the input is {} whole packet(s) ({layers}): their headers were taken off and the TCP payloads decoded as one connection",
                packets.len()
            );
            return connection(&args, pieces);
        }
        return text_input(&args, all);
    }
    let streamed = args.jsonl || args.summary || (!args.json && raw && !eof);
    if !streamed {
        let mut all = first;
        input.read_to_end(&mut all).context("reading the input")?;
        return whole(&args, &options(&args), &all);
    }
    // Raw bytes stream, a chunk at a time.
    stream_input(&args, first, (!eof).then_some(input))
}

/// A text input (a notation of bytes), read whole.
fn text_input(args: &DecodeArgs, all: Vec<u8>) -> Result<()> {
    if !(args.jsonl || args.summary) {
        return whole(args, &options(args), &all);
    }
    let parsed = parse_input(&all, args.format)?;
    decode_stream(args, parsed.bytes, parsed.notation, None)
}

/// A raw input: `head` is its start, `rest` the rest of it, if any.
fn stream_input(args: &DecodeArgs, head: Vec<u8>, rest: Option<Box<dyn Read>>) -> Result<()> {
    decode_stream(args, head, Notation::Raw, rest)
}

fn options(args: &DecodeArgs) -> InspectOptions {
    InspectOptions {
        format: args.format,
        direction: args.from,
        extensions: (!args.extensions.is_empty()).then(|| args.extensions.clone()),
        max_inflated: args.max_inflated,
        line_endings_known: true,
    }
}

/// Plan from the input's start, then run the session over the rest.
fn decode_stream(
    args: &DecodeArgs,
    head: Vec<u8>,
    notation: Notation,
    rest: Option<Box<dyn Read>>,
) -> Result<()> {
    let opts = options(args);
    let p = plan(&head, &opts)?;
    notices(&Notices {
        handshake: p.handshake.as_ref(),
        frames: p.frames.clone(),
        more: rest.is_some(),
        http_body: p.http_body.clone(),
        assumed_extensions: p.assumed_extensions.as_deref(),
        extensions_error: p.extensions_error.as_deref(),
    });
    stream(args, p, &head, notation, rest)
}

/// Both directions of one connection (a "Follow TCP Stream" dump, pasted packets): the session
/// engine reads them in the order they came, handshake first.
fn connection(args: &DecodeArgs, pieces: Vec<Piece>) -> Result<()> {
    let mut decode = DecodeConfig {
        max_inflated: args.max_inflated,
        inflate_budget: args.inflate_budget,
        ..DecodeConfig::default()
    };
    let forced = !args.extensions.is_empty();
    if forced {
        decode.deflate = DecodeConfig::from_extensions(&args.extensions)
            .map_err(|e| anyhow::anyhow!("the extensions value could not be used: {e}"))?
            .deflate;
    }
    let keep = match (args.summary, args.keep) {
        (true, _) => Keep::Nothing,
        (false, Some(n)) => Keep::Prefix(n),
        (false, None) => Keep::All,
    };
    // --jsonl and --summary decode the payloads as they come (the upgrade names the subprotocol).
    let mut payloads = match args.jsonl || args.summary {
        true => crate::payload::single(&args.payload, None)?,
        false => None,
    };
    let mut counts = crate::payload::DecodedCounts::default();
    let mut session = Session::new(SessionConfig {
        decode,
        handshake: true,
        force_extensions: forced,
        retain: Retain {
            frames: keep,
            // --summary keeps messages whole for the decoders only; --jsonl
            // prints what it keeps (with --keep N, longer messages are not decoded).
            messages: if payloads.is_some() && args.summary {
                Keep::All
            } else {
                keep
            },
        },
        ..SessionConfig::default()
    });
    let mut out = Output::stdout();
    let mut summary = Summary::default();
    let mut report = ConnectionCollector::default();
    let mut diagnoser = Diagnoser::new();
    let mut take = |session: &mut Session, out: &mut Output| -> Result<()> {
        while let Some(e) = session.poll_event() {
            diagnoser.push(&e);
            if args.jsonl {
                match payloads.as_mut() {
                    Some(p) => out.json_line(&p.annotate(0, e))?,
                    None => out.json_line(&e)?,
                }
            } else if args.summary {
                summary.push(&e);
                if let Some(p) = payloads.as_mut() {
                    let d = e.direction;
                    if let (_, Some(decoded)) = p.annotate(0, e).into_parts() {
                        counts.push(d, decoded.as_ref());
                    }
                }
            } else {
                report.push(e);
            }
        }
        Ok(())
    };
    for piece in &pieces {
        match piece {
            Piece::Data(d, bytes) => session.feed(*d, bytes, None),
            Piece::Gap(d, len) => session.gap(*d, *len, None),
        }
        take(&mut session, &mut out)?;
    }
    session.finish(Direction::Client, None);
    session.finish(Direction::Server, None);
    take(&mut session, &mut out)?;
    let decoding = payloads.is_some();
    if args.summary && args.json {
        out.json_pretty(&summary_json(&summary, decoding.then_some(&counts))?)?;
    } else if args.summary {
        out.text(&render_summary(&summary))?;
        out.text(&counts.text())?;
    } else if args.json {
        out.json_pretty(&crate::payload::connection_json(
            &args.payload,
            &report.finish(),
        )?)?;
    } else if !args.jsonl {
        out.text(&crate::payload::connection_text(
            &args.payload,
            &report.finish(),
        )?)?;
        let d = diagnoser.finish(&TcpEnds::UNKNOWN);
        out.text(&render_diagnoses(&d.diagnoses, None, ""))?;
    }
    out.done()
}

/// The table or JSON document of an input read whole.
fn whole(args: &DecodeArgs, opts: &InspectOptions, input: &[u8]) -> Result<()> {
    let found = inspect(input, opts)?;
    if args.json && found.notation_also.is_some() {
        eprintln!(
            "wsinspect: the input was read as {}{}",
            found.notation.as_str(),
            also(found.notation_also)
        );
    }
    notices(&Notices {
        handshake: found.handshake.as_ref(),
        frames: found.frames_offset
            ..found.frames_offset
                + found
                    .frames
                    .as_ref()
                    .map_or(0, |_| found.len - found.frames_offset),
        more: false,
        http_body: found.http_body.clone(),
        assumed_extensions: found.assumed_extensions.as_deref(),
        extensions_error: found.extensions_error.as_deref(),
    });
    let report = found
        .frames
        .unwrap_or_else(|| decode_all(&[], args.from, &DecodeConfig::default()));
    let sub = found
        .handshake
        .as_ref()
        .and_then(|h| h.subprotocol.as_deref());
    let mut out = Output::stdout();
    if args.json {
        out.json_pretty(&crate::payload::report_json(&args.payload, &report, sub)?)?;
    } else {
        out.text(&format!(
            "input: {} bytes read as {}{}\n",
            found.len,
            found.notation.as_str(),
            also(found.notation_also)
        ))?;
        for n in &report.input_notes {
            out.text(&format!("note: {n}\n"))?;
        }
        out.text(&crate::payload::report_text(&args.payload, &report, sub)?)?;
        let d = diagnose_stream(found.handshake.as_ref(), Some(&report));
        out.text(&render_diagnoses(&d.diagnoses, None, ""))?;
    }
    out.done()
}

/// The other reading detection passed over, said so a wrong guess can be seen.
fn also(other: Option<Notation>) -> String {
    match other {
        Some(n) => format!(
            " (it is also valid {}: --format {} reads it that way)",
            n.as_str(),
            match n {
                Notation::Base64 => "base64",
                _ => "hex",
            }
        ),
        None => String::new(),
    }
}

/// What the input turned out to hold, for the notices on standard error.
struct Notices<'a> {
    handshake: Option<&'a HandshakeReport>,
    /// The frame bytes of the input.
    frames: Range<usize>,
    /// The input goes on past what was looked at (a raw input read as a stream).
    more: bool,
    http_body: Option<Range<usize>>,
    assumed_extensions: Option<&'a str>,
    extensions_error: Option<&'a str>,
}

/// Say on standard error what was read as what, and what was not decoded.
fn notices(n: &Notices<'_>) {
    if let Some(h) = n.handshake {
        let heads = [
            h.request.as_ref().map(|r| ("request", &r.head)),
            h.response.as_ref().map(|r| ("response", &r.head)),
        ];
        let cut = heads.iter().flatten().find(|(_, head)| !head.complete);
        let refused = h.response.as_ref().filter(|r| r.status != 101);
        match (cut, &n.http_body, refused) {
            (Some((what, head)), _, _) => eprintln!(
                "wsinspect: the input is an HTTP {what} head cut short ({} bytes: no blank line ends it), so there are no frames to decode (`wsinspect handshake` checks what is there)",
                head.end - head.start
            ),
            (None, Some(body), Some(r)) => eprintln!(
                "wsinspect: the response refused the upgrade (HTTP {}): the {} bytes after it are its HTTP body, not frames, and are not decoded",
                r.status,
                body.len()
            ),
            _ if n.frames.is_empty() && !n.more => eprintln!(
                "wsinspect: the input is a handshake ({} bytes) with no frames after it (`wsinspect handshake` checks it)",
                n.frames.start
            ),
            _ => eprintln!(
                "wsinspect: the input starts with a handshake ({} bytes); decoding the {} after it (`wsinspect handshake` checks the handshake itself)",
                n.frames.start,
                if n.more {
                    "bytes".to_string()
                } else {
                    format!("{} bytes", n.frames.len())
                }
            ),
        }
    }
    if let Some(e) = n.assumed_extensions {
        eprintln!("wsinspect: assuming the server accepted {e}: the request offered it and the response is not in the input");
    }
    if let Some(e) = n.extensions_error {
        eprintln!(
            "wsinspect: the negotiated extensions could not be used ({e}); decoding without them"
        );
    }
}

/// Run the session over the frames: the plan's part of `head`, then the rest of the input.
fn stream(
    args: &DecodeArgs,
    p: Plan,
    head: &[u8],
    notation: Notation,
    rest: Option<Box<dyn Read>>,
) -> Result<()> {
    let keep = match (args.jsonl, args.keep) {
        (true, Some(n)) => Keep::Prefix(n),
        (true, None) => Keep::All,
        (false, _) if args.summary => Keep::Nothing,
        // The table shows every frame's bytes, and each message's start.
        (false, _) => Keep::Prefix(4096),
    };
    // --jsonl and --summary decode the payloads as they come: messages are kept whole then.
    let sub = p.handshake.as_ref().and_then(|h| h.subprotocol.as_deref());
    let payloads = match args.jsonl || args.summary {
        true => crate::payload::single(&args.payload, sub)?,
        false => None,
    };
    let retain = Retain {
        frames: if args.jsonl || args.summary {
            keep
        } else {
            Keep::All
        },
        // --summary keeps messages whole for the decoders only; --jsonl
        // prints what it keeps (with --keep N, longer messages are not decoded).
        messages: if payloads.is_some() && args.summary {
            Keep::All
        } else {
            keep
        },
    };
    let mut config = p.config.clone();
    config.inflate_budget = args.inflate_budget;
    let mut session = Session::new(SessionConfig {
        decode: config,
        handshake: false,
        force_extensions: true,
        retain,
        ..SessionConfig::default()
    });
    let mut sink = Sink::new(args, p.direction, payloads);
    let d = p.direction;
    sink.start(notation, head.len(), rest.is_some())?;
    for n in &p.notes {
        eprintln!("wsinspect: {n}");
    }
    let frames_to_end = p.frames.end == head.len();
    // Offsets are the input's: the handshake before the frames counts.
    session.skip(d, p.frames.start as u64);
    session.feed(d, &head[p.frames.clone()], None);
    sink.drain(&mut session)?;
    if let Some(mut r) = rest {
        if !frames_to_end {
            eprintln!("wsinspect: the input's start holds no frames to continue; the rest of it is not decoded");
        } else {
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = match r.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e).context("reading the input"),
                };
                session.feed(d, &buf[..n], None);
                sink.drain(&mut session)?;
            }
        }
    }
    session.finish(d, None);
    sink.drain(&mut session)?;
    sink.finish()
}

/// Where the events go, by output mode.
enum Mode {
    Jsonl,
    Summary { json: bool, summary: Box<Summary> },
    Text(Box<StreamText>),
}

struct Sink {
    out: Output,
    mode: Mode,
    /// The payload decoders (`None` with `--payload none`), and what they read (`--summary`).
    payloads: Option<crate::payload::Connections>,
    counts: crate::payload::DecodedCounts,
}

/// `--summary --json`: the counts, with the decoded payloads' counts when they were decoded.
fn summary_json(
    summary: &Summary,
    decoded: Option<&crate::payload::DecodedCounts>,
) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(summary)?;
    if let (Some(d), serde_json::Value::Object(o)) = (decoded, &mut v) {
        o.insert("decoded".into(), serde_json::to_value(d)?);
    }
    Ok(v)
}

impl Sink {
    fn new(
        args: &DecodeArgs,
        direction: Direction,
        payloads: Option<crate::payload::Connections>,
    ) -> Sink {
        let mode = if args.jsonl {
            Mode::Jsonl
        } else if args.summary {
            Mode::Summary {
                json: args.json,
                summary: Box::default(),
            }
        } else {
            Mode::Text(Box::new(StreamText::new(direction)))
        };
        Sink {
            out: Output::stdout(),
            mode,
            payloads,
            counts: crate::payload::DecodedCounts::default(),
        }
    }

    fn start(&mut self, notation: Notation, len: usize, more: bool) -> Result<()> {
        if let Mode::Text(_) = self.mode {
            let size = if more {
                format!("more than {} bytes", FIRST_CHUNK)
            } else {
                format!("{len} bytes")
            };
            self.out.text(&format!(
                "input: {size} read as {}, decoded as a stream (frames as they are read, each message after its last frame, the totals at the end)\n",
                notation.as_str()
            ))?;
        }
        Ok(())
    }

    fn drain(&mut self, session: &mut Session) -> Result<()> {
        while let Some(e) = session.poll_event() {
            self.event(e)?;
        }
        Ok(())
    }

    fn event(&mut self, e: Event) -> Result<()> {
        match &mut self.mode {
            Mode::Jsonl => match self.payloads.as_mut() {
                Some(p) => self.out.json_line(&p.annotate(0, e))?,
                None => self.out.json_line(&e)?,
            },
            Mode::Summary { summary, .. } => {
                summary.push(&e);
                if let Some(p) = self.payloads.as_mut() {
                    let d = e.direction;
                    if let (_, Some(decoded)) = p.annotate(0, e).into_parts() {
                        self.counts.push(d, decoded.as_ref());
                    }
                }
            }
            Mode::Text(t) => {
                let text = t.event(e.kind);
                self.out.text(&text)?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        match &self.mode {
            Mode::Jsonl => {}
            Mode::Summary {
                json: true,
                summary,
            } => {
                let counts = self.payloads.is_some().then_some(&self.counts);
                self.out.json_pretty(&summary_json(summary, counts)?)?;
            }
            Mode::Summary {
                json: false,
                summary,
            } => {
                let text = render_summary(summary);
                self.out.text(&text)?;
                self.out.text(&self.counts.text())?;
            }
            Mode::Text(t) => {
                let text = t.totals();
                self.out.text(&text)?;
            }
        }
        self.out.done()
    }
}

/// The input file, or standard input for `-` or no path.
fn open(path: Option<&str>) -> Result<Box<dyn Read>> {
    Ok(match path {
        None | Some("-") => Box::new(io::stdin()),
        Some(p) => Box::new(std::fs::File::open(p).with_context(|| format!("reading {p}"))?),
    })
}

/// Read up to `n` bytes; true when the input ended within them.
fn read_up_to(r: &mut dyn Read, n: usize) -> Result<(Vec<u8>, bool)> {
    let mut buf = Vec::new();
    r.take(n as u64 + 1)
        .read_to_end(&mut buf)
        .context("reading the input")?;
    // One byte past `n` tells that more is coming; it stays in the first chunk.
    let eof = buf.len() <= n;
    Ok((buf, eof))
}

/// The bytes without a UTF-8 character cut off at the end (the chunk may end inside one).
fn trim_cut_char(b: &[u8]) -> &[u8] {
    match std::str::from_utf8(b) {
        Err(e) if e.error_len().is_none() => &b[..e.valid_up_to()],
        _ => b,
    }
}
