//! The text of diagnoses, conformance verdicts and `explain` answers (the CLI prints it; the
//! page can show the same values from the serialised reports).

use std::fmt::Write as _;

use wsinspect_core::common::escape_controls;
use wsinspect_core::common::Direction;
use wsinspect_core::diagnose::explain::ExplainMatch;
use wsinspect_core::diagnose::{Class, ClassVerdict, Evidence};
use wsinspect_core::diagnose::{Conformance, DiagnoseReport, Diagnosis, PeerConformance, Verdict};
use wsinspect_core::session::Timestamp;

/// Each diagnosis: its id, severity and sentence, the evidence, what clients print. Times are
/// shown from `origin` (the connection's first packet) when given. Every line starts with
/// `indent`. Empty when there is no diagnosis.
pub fn render_diagnoses(
    diagnoses: &[Diagnosis],
    origin: Option<Timestamp>,
    indent: &str,
) -> String {
    let mut s = String::new();
    for d in diagnoses {
        let _ = writeln!(
            s,
            "{indent}diagnosis {} ({}): {}",
            d.id,
            d.severity.as_str(),
            escape_controls(&d.message)
        );
        for e in &d.evidence {
            let _ = writeln!(s, "{indent}  evidence: {}", evidence_text(e, origin));
        }
        let prints: Vec<String> = d
            .clients_print
            .iter()
            .filter(|c| !c.text.starts_with('('))
            .map(|c| format!("{}: \"{}\"", c.client, c.text))
            .collect();
        if !prints.is_empty() {
            let _ = writeln!(s, "{indent}  clients print: {}", prints.join("; "));
        }
    }
    s
}

fn evidence_text(e: &Evidence, origin: Option<Timestamp>) -> String {
    let mut where_ = vec![e.direction.as_str().to_string()];
    if let Some(f) = e.frame {
        where_.push(format!("frame {f}"));
    }
    if let Some(o) = e.offset {
        where_.push(format!("offset {o}"));
    }
    if let (Some(t), Some(o)) = (e.time, origin) {
        where_.push(format!("+{:.3} s", t.0.saturating_sub(o.0) as f64 / 1e9));
    }
    format!("[{}] {}", where_.join(", "), escape_controls(&e.what))
}

/// One line per peer: the classes it failed (first frame and rule), passed, or did not exercise.
pub fn render_conformance(c: &Conformance, indent: &str) -> String {
    let mut s = String::new();
    for (who, p) in [("client", &c.client), ("server", &c.server)] {
        let _ = writeln!(s, "{indent}conformance of the {who}: {}", peer_text(p));
    }
    s
}

fn peer_text(p: &PeerConformance) -> String {
    let mut fails = Vec::new();
    let mut pass = Vec::new();
    let mut none = Vec::new();
    for c in Class::ALL {
        let v = p.get(*c);
        match v.verdict {
            Verdict::Fail => {
                let rule = rule_name(v);
                let at = match (v.direction, v.frame) {
                    (Some(d), Some(f)) => format!(" at {d} frame {f}"),
                    _ => String::new(),
                };
                fails.push(format!("{c} FAIL ({rule}{at})"));
            }
            Verdict::Pass => pass.push(c.as_str()),
            Verdict::NotExercised => none.push(c.as_str()),
        }
    }
    let mut parts = fails;
    if !pass.is_empty() {
        parts.push(format!("pass: {}", pass.join(", ")));
    }
    if !none.is_empty() {
        parts.push(format!("not exercised: {}", none.join(", ")));
    }
    parts.join("; ")
}

/// A whole report: the diagnoses (or that there are none), then the conformance.
pub fn render_report(r: &DiagnoseReport, origin: Option<Timestamp>, indent: &str) -> String {
    let mut s = String::new();
    render_report_into(&mut s, r, origin, indent);
    s
}

/// [`render_report`] written into `s`.
pub fn render_report_into(
    s: &mut String,
    r: &DiagnoseReport,
    origin: Option<Timestamp>,
    indent: &str,
) {
    if r.diagnoses.is_empty() {
        let _ = writeln!(s, "{indent}diagnosis: nothing wrong found");
    } else {
        s.push_str(&render_diagnoses(&r.diagnoses, origin, indent));
    }
    s.push_str(&render_conformance(&r.conformance, indent));
}

/// The causes of an error text: for each, what it is, how to tell it in a capture, what to
/// change, and the client texts that matched.
pub fn render_explain(text: &str, matches: &[ExplainMatch]) -> String {
    if matches.is_empty() {
        return format!(
            "No known cause prints \"{}\". Record the connection (wsinspect pcap) and read its diagnoses.\n",
            escape_controls(text)
        );
    }
    let mut s = format!("\"{}\" can be caused by:\n", escape_controls(text));
    for (i, m) in matches.iter().enumerate() {
        let d = m.diagnosis;
        let _ = writeln!(s, "\n{}. {} ({}, match {}%)", i + 1, d.title, d.id, m.score);
        let _ = writeln!(s, "   how to tell: {}", d.tell);
        let _ = writeln!(s, "   what to change: {}", d.change);
        // Asked by id: every client's text.
        let shown: &[_] = if m.matched.is_empty() {
            d.clients
        } else {
            &m.matched
        };
        for c in shown {
            let _ = writeln!(s, "   {} prints: \"{}\" ({})", c.client, c.text, c.from);
        }
    }
    s
}

/// One evidence item as the page shows it: where, what, and where a click goes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EvidenceItem {
    /// `[server, frame 3, offset 120] ...`: the item in words.
    pub text: String,
    /// The frame row it is about (of the pasted stream, or of the capture's connection: its
    /// rows in capture order), when that frame is there.
    pub frame: Option<usize>,
    /// It is about the opening handshake (a click opens the Handshake tab).
    #[serde(default)]
    pub handshake: bool,
    /// It is about another connection of the same capture (the proxy's other hop).
    #[serde(default)]
    pub connection: Option<u64>,
}

/// One diagnosis, for the page's Diagnosis panel.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiagnosisItem {
    /// The stable id (`accept-mismatch`).
    pub id: String,
    /// `error`, `warning`, ...
    pub severity: String,
    /// The sentence: the cause and what to change.
    pub message: String,
    /// Its evidence.
    pub evidence: Vec<EvidenceItem>,
    /// What the common clients print for it (`chromium: "..."`).
    pub clients_print: Vec<String>,
}

/// The page's items of `diagnoses`: times from `origin`, each evidence's frame row by `row`
/// (its direction and frame index in that direction; `None`: not shown).
pub fn diagnosis_items(
    diagnoses: &[Diagnosis],
    origin: Option<Timestamp>,
    row: impl Fn(&Evidence) -> Option<usize>,
) -> Vec<DiagnosisItem> {
    diagnoses
        .iter()
        .map(|d| DiagnosisItem {
            id: d.id.to_string(),
            severity: d.severity.as_str().to_string(),
            message: escape_controls(&d.message),
            evidence: d
                .evidence
                .iter()
                .map(|e| EvidenceItem {
                    text: evidence_text(e, origin),
                    frame: e.frame.and_then(|_| row(e)),
                    handshake: e.frame.is_none() && e.offset.is_some() && e.connection.is_none(),
                    connection: e.connection,
                })
                .collect(),
            clients_print: d
                .clients_print
                .iter()
                .filter(|c| !c.text.starts_with('('))
                .map(|c| format!("{}: \"{}\"", c.client, c.text))
                .collect(),
        })
        .collect()
}

/// The diagnoses of a pasted input (its handshake and its frames, as `wsinspect decode` and
/// `handshake` give them): how TCP ended is unknown, so only what the bytes show.
pub fn pasted_diagnoses(i: &wsinspect_core::inspect::Inspection) -> Vec<DiagnosisItem> {
    // The page's frame rows: the complete frames, then the unfinished one the input ends in
    // (text after the 101 often is one).
    let frames = i.frames.as_ref().map_or(0, crate::view::row_count);
    let report = wsinspect_core::diagnose::diagnose_stream(i.handshake.as_ref(), i.frames.as_ref());
    diagnosis_items(&report.diagnoses, None, |e| {
        e.frame
            .and_then(|f| usize::try_from(f).ok())
            .filter(|&f| f < frames)
    })
}

/// One conformance class of a connection, for the page's compact table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConformanceRow {
    /// The class (`framing`, ...).
    pub class: String,
    /// The client's verdict, then the server's.
    pub peers: [VerdictCell; 2],
}

/// One peer's verdict for one class.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerdictCell {
    /// `pass`, `fail` or `not_exercised`.
    pub verdict: String,
    /// For a fail: the rule and where (`reserved-bits at server frame 2`), and what was wrong.
    pub text: String,
    /// For a fail: the offending frame's row, when it is shown.
    pub frame: Option<usize>,
}

/// The conformance table: one row per class, the client's and the server's verdicts; a fail's
/// frame row by `row` (its direction and frame index).
pub fn conformance_rows(
    c: &Conformance,
    row: impl Fn(Direction, u64) -> Option<usize>,
) -> Vec<ConformanceRow> {
    Class::ALL
        .iter()
        .map(|&class| {
            let cell = |p: &PeerConformance| {
                let v = p.get(class);
                let verdict = match v.verdict {
                    Verdict::Pass => "pass",
                    Verdict::Fail => "fail",
                    Verdict::NotExercised => "not_exercised",
                };
                let (text, frame) = if v.verdict == Verdict::Fail {
                    let rule = rule_name(v);
                    let at = match (v.direction, v.frame) {
                        (Some(d), Some(f)) => format!(" at {d} frame {f}"),
                        _ => String::new(),
                    };
                    let msg = v
                        .message
                        .as_deref()
                        .map_or(String::new(), |m| format!(": {}", escape_controls(m)));
                    let frame = v.direction.zip(v.frame).and_then(|(d, f)| row(d, f));
                    (format!("{rule}{at}{msg}"), frame)
                } else {
                    (String::new(), None)
                };
                VerdictCell {
                    verdict: verdict.into(),
                    text,
                    frame,
                }
            };
            ConformanceRow {
                class: class.as_str().into(),
                peers: [cell(&c.client), cell(&c.server)],
            }
        })
        .collect()
}

fn rule_name(v: &ClassVerdict) -> String {
    v.rule
        .map(|r| serde_json::to_value(r).ok())
        .and_then(|v| v.and_then(|v| v.as_str().map(str::to_string)))
        .unwrap_or_default()
}

/// One likely cause of an error text, for the page's "paste the error your client printed".
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExplainItem {
    /// The diagnosis id it points to.
    pub id: String,
    /// The cause in a few words.
    pub title: &'static str,
    /// How well the text matched, 0-100.
    pub score: u8,
    /// How to tell it apart in a capture.
    pub tell: &'static str,
    /// What to change.
    pub change: &'static str,
    /// The client texts that matched (`chromium: "..."`).
    pub matched: Vec<String>,
}

/// The likely causes of `text` (what a client printed), best first, from the core's index.
pub fn explain_items(text: &str) -> Vec<ExplainItem> {
    wsinspect_core::diagnose::explain::explain(text)
        .into_iter()
        .map(|m| ExplainItem {
            id: m.diagnosis.id.to_string(),
            title: m.diagnosis.title,
            score: m.score,
            tell: m.diagnosis.tell,
            change: m.diagnosis.change,
            matched: m
                .matched
                .iter()
                .map(|c| format!("{}: \"{}\"", c.client, c.text))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::diagnose::explain::explain;
    use wsinspect_core::diagnose::{diagnose, TcpEnds};

    #[test]
    fn the_tutorial_handshake_is_diagnosed_accept_mismatch_with_handshake_evidence() {
        let text = include_str!("../../../tests/data/handshake/tutorial-003.txt");
        let opts = wsinspect_core::inspect::InspectOptions::default();
        let i = wsinspect_core::inspect::inspect(text.as_bytes(), &opts).expect("inspects");
        let d = pasted_diagnoses(&i);
        let a = d.iter().find(|d| d.id == "accept-mismatch").expect("{d:?}");
        assert!(!a.evidence.is_empty() && a.evidence.iter().all(|e| e.frame.is_none()));
        assert!(
            a.message.contains("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
            "{}",
            a.message
        );
        let e = explain_items("Invalid frame header");
        assert_eq!(e[0].id, "http-after-upgrade");
        assert!(
            e[0].matched
                .iter()
                .any(|m| m.contains("Invalid frame header")),
            "{e:?}"
        );
        assert!(explain_items("zzz qqq").is_empty());
    }

    #[test]
    fn http_text_after_the_upgrade_points_at_its_frame() {
        let opts = wsinspect_core::inspect::InspectOptions::default();
        let i = wsinspect_core::inspect::inspect(
            b"81 02 68 69 48 54 54 50 2f 31 2e 31 20 32 30 30",
            &opts,
        )
        .expect("inspects");
        let d = pasted_diagnoses(&i);
        let h = d
            .iter()
            .find(|d| d.id == "http-after-upgrade")
            .expect("{d:?}");
        assert!(h.evidence.iter().any(|e| e.frame == Some(1)), "{h:?}");
    }

    #[test]
    fn an_empty_connection_says_nothing_wrong_and_lists_what_was_not_exercised() {
        let r = diagnose([], &TcpEnds::UNKNOWN);
        let s = render_report(&r, None, "  ");
        assert!(s.starts_with("  diagnosis: nothing wrong found\n"), "{s}");
        assert!(
            s.contains("  conformance of the client: not exercised: framing, pings, reserved-bits"),
            "{s}"
        );
    }

    #[test]
    fn explain_text_names_causes_or_says_none_is_known_with_controls_escaped() {
        let text = "Invalid frame header";
        let s = render_explain(text, &explain(text));
        assert!(s.contains("1. the server wrote HTTP or text onto the upgraded socket (http-after-upgrade, match 100%)"), "{s}");
        assert!(s.contains("what to change: After the 101"), "{s}");
        let s = render_explain("\u{1b}[31mnope", &[]);
        assert!(
            s.starts_with("No known cause prints \"\\u{1b}[31mnope\""),
            "{s}"
        );
    }
}
