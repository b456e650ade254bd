//! `wsinspect pcap` on a HAR file (told apart by its content: a JSON object; see
//! `wsinspect_capture::har`): the WebSocket entries' handshakes, messages and findings, in the
//! same three output modes as a capture. docs/pcap.md describes the output.

use std::io;

use anyhow::Result;
use serde::Serialize;
use wsinspect_capture::har::{self, HarCapture, HarConnection, HarFinding, HarMessage};
use wsinspect_core::common::escape_controls;
use wsinspect_core::diagnose::{Conformance, Diagnosis};
use wsinspect_core::handshake::{CheckResult, Kind, Status, Summary};
use wsinspect_core::Direction;
use wsinspect_view::diagnose::render_report;

/// The output mode.
pub enum Mode {
    Summary,
    Json,
    Jsonl,
}

/// `--json`.
#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    creator: Option<&'a str>,
    entries: usize,
    connections: Vec<ConnectionDoc<'a>>,
}

#[derive(Serialize)]
struct ConnectionDoc<'a> {
    id: u64,
    entry: usize,
    url: &'a str,
    started: Option<&'a str>,
    status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure: Option<&'a str>,
    handshake: HandshakeDoc<'a>,
    messages: &'a [HarMessage],
    findings: &'a [HarFinding],
    notes: &'a [&'static str],
    /// What applies without TCP and frame headers: the handshake's diagnoses (docs/diagnose.md).
    diagnoses: Vec<Diagnosis>,
    /// Each peer's conformance, from the whole messages.
    conformance: Conformance,
}

/// The handshake report's summary: its form, counts and checks (the rebuilt heads too).
#[derive(Serialize)]
struct HandshakeDoc<'a> {
    kind: Kind,
    summary: Summary,
    checks: &'a [CheckResult],
    request_head: &'a str,
    response_head: Option<&'a str>,
}

/// One `--jsonl` line, in the shape of a capture's non-session lines:
/// `{"connection", "event", "data"}`.
#[derive(Serialize)]
struct Line<'a, T: Serialize> {
    connection: u64,
    event: &'static str,
    data: &'a T,
}

/// The connection line of `--jsonl`: the connection's document without its messages and
/// findings (they follow, a line each).
#[derive(Serialize)]
struct Opened<'a> {
    #[serde(flatten)]
    doc: &'a ConnectionDoc<'a>,
}

/// `ids`: the connections to show (`--connection`); empty: all.
pub fn run(bytes: &[u8], mode: Mode, ids: &[u64], out: &mut impl io::Write) -> Result<()> {
    let mut capture = har::read(bytes)?;
    if !ids.is_empty() {
        capture.connections.retain(|c| ids.contains(&c.id));
    }
    match mode {
        Mode::Summary => text(out, &summary_text(&capture)),
        Mode::Jsonl => {
            for c in &capture.connections {
                jsonl_connection(c, out)?;
            }
            Ok(())
        }
        Mode::Json => {
            let doc = Document {
                format: "har",
                creator: capture.creator.as_deref(),
                entries: capture.entries,
                connections: capture.connections.iter().map(connection_doc).collect(),
            };
            quiet(
                serde_json::to_writer_pretty(&mut *out, &doc)
                    .map_err(io::Error::from)
                    .and_then(|()| out.write_all(b"\n")),
            )
        }
    }
}

/// A connection as `--jsonl` lines: `connection` (the handshake and notes), each `message`
/// and `finding` in order, then `closed`.
fn jsonl_connection(c: &HarConnection, out: &mut impl io::Write) -> Result<()> {
    let mut doc = connection_doc(c);
    doc.messages = &[];
    doc.findings = &[];
    line(out, c.id, "connection", &Opened { doc: &doc })?;
    for m in &c.messages {
        line(out, c.id, "message", m)?;
    }
    for f in &c.findings {
        line(out, c.id, "finding", f)?;
    }
    line(out, c.id, "closed", &())
}

fn line<T: Serialize>(
    out: &mut impl io::Write,
    id: u64,
    event: &'static str,
    data: &T,
) -> Result<()> {
    let l = Line {
        connection: id,
        event,
        data,
    };
    quiet(
        serde_json::to_writer(&mut *out, &l)
            .map_err(io::Error::from)
            .and_then(|()| out.write_all(b"\n")),
    )
}

fn connection_doc(c: &HarConnection) -> ConnectionDoc<'_> {
    let report = har::diagnose(c);
    ConnectionDoc {
        diagnoses: report.diagnoses,
        conformance: report.conformance,
        id: c.id,
        entry: c.entry,
        url: &c.url,
        started: c.started.as_deref(),
        status: c.status,
        failure: c.failure.as_deref(),
        handshake: HandshakeDoc {
            kind: c.handshake.kind,
            summary: c.handshake.summary,
            checks: &c.handshake.checks,
            request_head: &c.request_head,
            response_head: c.response_head.as_deref(),
        },
        messages: &c.messages,
        findings: &c.findings,
        notes: &c.notes,
    }
}

fn summary_text(capture: &HarCapture) -> String {
    let mut s = String::new();
    let mut total = 0;
    for c in &capture.connections {
        s.push_str(&format!(
            "connection {}: {} (HAR entry {})\n",
            c.id,
            escape_controls(&c.url),
            c.entry
        ));
        s.push_str(&render_report(&har::diagnose(c), None, "  "));
        match c.status {
            Some(status) => s.push_str(&format!("  upgrade: HTTP {status}\n")),
            None => s.push_str("  upgrade: no response recorded\n"),
        }
        if let Some(failure) = &c.failure {
            s.push_str(&format!("  failure: {}\n", escape_controls(failure)));
        }
        let h = &c.handshake.summary;
        s.push_str(&format!(
            "  handshake: {} check(s) passed, {} failed, {} warned, {} not knowable from a HAR\n",
            h.pass, h.fail, h.warn, h.unknown
        ));
        for check in c
            .handshake
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
        {
            s.push_str(&format!(
                "    fail {}: {}\n",
                check.id,
                escape_controls(&check.message)
            ));
        }
        for (direction, name) in [(Direction::Client, "client"), (Direction::Server, "server")] {
            let mine = c.messages.iter().filter(|m| m.direction == direction);
            let bytes: usize = mine.clone().map(|m| m.payload.len()).sum();
            s.push_str(&format!(
                "  {name}: {} message(s), {bytes} bytes\n",
                mine.count()
            ));
        }
        let unknown = c
            .messages
            .iter()
            .filter(|m| m.direction == Direction::Unknown)
            .count();
        if unknown > 0 {
            s.push_str(&format!(
                "  {unknown} message(s) of an unknown type (neither send nor receive)\n"
            ));
        }
        s.push_str(&format!("  {} finding(s)\n", c.findings.len()));
        for f in &c.findings {
            s.push_str(&format!(
                "    message {} ({}): {}: {}\n",
                f.index,
                f.direction,
                f.finding.rule,
                escape_controls(&f.finding.message)
            ));
        }
        for n in &c.notes {
            s.push_str(&format!("  note: {n}\n"));
        }
        total += c.messages.len();
    }
    s.push_str(&format!(
        "totals: HAR{}: {} entr{}, {} WebSocket connection(s), {} message(s)\n",
        capture
            .creator
            .as_deref()
            .map(|c| format!(" from {}", escape_controls(c)))
            .unwrap_or_default(),
        capture.entries,
        if capture.entries == 1 { "y" } else { "ies" },
        capture.connections.len(),
        total
    ));
    s
}

fn text(out: &mut impl io::Write, s: &str) -> Result<()> {
    quiet(out.write_all(s.as_bytes()))
}

fn quiet(r: io::Result<()>) -> Result<()> {
    crate::output::quiet_on_closed_pipe(r)
}
