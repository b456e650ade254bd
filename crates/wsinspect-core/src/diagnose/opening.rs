//! The diagnoses the opening handshake allows: a refusal (and a proxy that dropped the upgrade),
//! a wrong Accept with its mistake, an unechoed subprotocol, bare LF lines. Built from the
//! handshake analysis' checks, so each rule stays where it is checked.

use super::{Diagnosis, DiagnosisId, Evidence, HopRequest};
use crate::common::Direction;
use crate::handshake::{accept::Mistake, CheckId, HandshakeReport, Status};
use crate::session::Timestamp;

/// The diagnoses a handshake allows: a refusal (with its HTTP body when known: how many bytes,
/// and the first of them), the Accept, the subprotocol, the line endings. `start` and `time`
/// place the response.
pub fn handshake_diagnoses(
    report: &HandshakeReport,
    start: u64,
    time: Option<Timestamp>,
    body: Option<(u64, &[u8])>,
) -> Vec<Diagnosis> {
    let ev = |d: Direction, what: String| Evidence {
        direction: d,
        frame: None,
        offset: Some(if d == Direction::Server { start } else { 0 }),
        time: if d == Direction::Server { time } else { None },
        what,
        connection: None,
    };
    let mut out = Vec::new();
    let Some(res) = &report.response else {
        return out;
    };
    if res.status != 101 && report.request.is_some() {
        let line = crate::common::escape_controls(&format!(
            "{} {} {}",
            res.version, res.status, res.reason
        ));
        let mut evidence = vec![ev(
            Direction::Server,
            match body {
                Some((n, text)) => format!(
                    "the response `{line}`, then {n} byte(s) of HTTP body{}",
                    body_quote(n, text)
                ),
                None => format!("the response `{line}`"),
            },
        )];
        if matches!(res.status, 400 | 426 | 505) {
            evidence.insert(
                0,
                ev(
                    Direction::Client,
                    "the request asks for Upgrade: websocket with Connection: Upgrade".into(),
                ),
            );
            let by = proxy_named(&res.headers)
                .map_or(String::new(), |p| format!(" (the answer comes from {p})"));
            out.push(Diagnosis::new(
                DiagnosisId::ProxyDroppedUpgrade,
                format!(
                    "The upgrade was answered {} although the client asked for it: a proxy in between does not forward WebSocket{}; {PROXY_REMEDY}.",
                    res.status,
                    crate::common::escape_controls(&by)
                ),
                evidence.clone(),
            ));
        }
        out.push(Diagnosis::new(
            DiagnosisId::UpgradeRefused,
            format!(
                "The server answered the upgrade with `{line}` instead of 101 Switching Protocols, so no WebSocket was opened; fix what the status names (the path, credentials, allowed Origins, or the proxy in between)."
            ),
            evidence,
        ));
        return out;
    }
    if res.status != 101 {
        return out;
    }
    if let Some(a) = report.accept.as_ref().filter(|a| a.matches == Some(false)) {
        let named = match &a.diagnosis {
            Some(d) if d.mistake != Mistake::Unknown => format!(" ({}: {})", d.mistake, d.message),
            _ => String::new(),
        };
        let received = crate::common::escape_controls(a.received.as_deref().unwrap_or(""));
        out.push(Diagnosis::new(
            DiagnosisId::AcceptMismatch,
            format!(
                "The server's Sec-WebSocket-Accept is {received} but this key needs {}{named}, so clients close right after the 101; compute base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)) or let a WebSocket library do the handshake.",
                a.expected
            ),
            vec![ev(
                Direction::Server,
                format!("Sec-WebSocket-Accept: {received} (expected {})", a.expected),
            )],
        ));
    }
    let offered = report.request.as_ref().and_then(|r| {
        r.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("Sec-WebSocket-Protocol"))
            .map(|(_, v)| crate::common::escape_controls(v))
    });
    if let (Some(o), None) = (
        offered.filter(|o| !o.trim().is_empty()),
        &report.subprotocol,
    ) {
        out.push(Diagnosis::new(
            DiagnosisId::SubprotocolNotEchoed,
            format!(
                "The client offered the subprotocols `{o}` and the server selected none, so browsers and ws fail the connection; make the server answer Sec-WebSocket-Protocol with one of them, or stop offering them."
            ),
            vec![
                ev(Direction::Client, format!("Sec-WebSocket-Protocol: {o}")),
                ev(Direction::Server, "the 101 has no Sec-WebSocket-Protocol".into()),
            ],
        ));
    }
    let bare = report.checks.iter().find(|c| {
        c.id == CheckId::ResLineEndings && matches!(c.status, Status::Warn | Status::Fail)
    });
    if let Some(c) = bare {
        out.push(Diagnosis::new(
            DiagnosisId::BareLf,
            "The server's response lines end in a bare LF, which strict clients (ws, websockets) reject; end every line and the blank line with CR LF.".into(),
            vec![ev(Direction::Server, c.message.to_string())],
        ));
    }
    out
}

/// The body's first bytes as inert one-line text: `: "<html>..."` (controls and line breaks
/// escaped, at most what the session kept), or nothing without a body.
fn body_quote(body: u64, text: &[u8]) -> String {
    if text.is_empty() {
        return String::new();
    }
    let shown = crate::common::escape_controls(&String::from_utf8_lossy(text)).replace('\n', "\\n");
    let more = if (text.len() as u64) < body {
        "…"
    } else {
        ""
    };
    format!(": \"{}{more}\"", shown.trim_end_matches("\\n"))
}

/// The remedy for a proxy that does not forward the upgrade (nginx's directives as the example).
const PROXY_REMEDY: &str = "make it pass the Upgrade and Connection headers on over HTTP/1.1 (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection \"upgrade\")";

/// Link a refused upgrade (answered `status`) to the proxy's request to the backend, `hop`:
/// `proxy-dropped-upgrade` names the other connection and what its request lacked (made when
/// the status alone did not say it), with that request as evidence.
pub(super) fn link_hop(out: &mut Vec<Diagnosis>, status: u16, hop: &HopRequest) {
    let dropped = hop.dropped();
    let message = format!(
        "The upgrade was answered {status} because the proxy in between sent the request on to the backend {dropped} (connection {}: `{}`), so the backend never saw a WebSocket upgrade; {PROXY_REMEDY}.",
        hop.connection, hop.line
    );
    let ev = Evidence {
        direction: Direction::Client,
        frame: None,
        offset: None,
        time: hop.time,
        what: format!(
            "connection {}, the proxy's request to the backend: `{}`, {dropped}",
            hop.connection, hop.line
        ),
        connection: Some(hop.connection),
    };
    match out
        .iter_mut()
        .find(|d| d.id == DiagnosisId::ProxyDroppedUpgrade)
    {
        Some(d) => {
            d.message = message;
            d.evidence.push(ev);
        }
        None => {
            let mut evidence = out
                .iter()
                .find(|d| d.id == DiagnosisId::UpgradeRefused)
                .map_or_else(Vec::new, |d| d.evidence.clone());
            evidence.push(ev);
            out.insert(
                0,
                Diagnosis::new(DiagnosisId::ProxyDroppedUpgrade, message, evidence),
            );
        }
    }
}

/// A Server or Via header that names a proxy, if any.
fn proxy_named(headers: &[(String, String)]) -> Option<String> {
    const PROXIES: &[&str] = &[
        "nginx",
        "envoy",
        "haproxy",
        "cloudflare",
        "awselb",
        "traefik",
        "caddy",
        "apache",
        "squid",
        "varnish",
    ];
    headers.iter().find_map(|(n, v)| {
        let via = n.eq_ignore_ascii_case("via");
        let server = n.eq_ignore_ascii_case("server")
            && PROXIES.iter().any(|p| v.to_ascii_lowercase().contains(p));
        (via || server).then(|| format!("{n}: {v}"))
    })
}
