//! The handshake report as text for a terminal (what `wsinspect handshake` prints).

use core::fmt::Write as _;

use super::{HandshakeReport, Kind, Status};

impl HandshakeReport {
    /// The report as text for a terminal.
    pub fn to_text(&self) -> String {
        let mut o = String::new();
        self.write_heads(&mut o);
        self.write_checks(&mut o);
        if let Some(a) = &self.accept {
            o.push_str("\nSec-WebSocket-Accept:\n");
            for l in a.to_text().lines() {
                let _ = writeln!(o, "  {l}");
            }
        }
        if self.response.is_some() {
            self.write_negotiated(&mut o);
        }
        if let Some(f) = &self.split.frames {
            let who = f.direction.as_str();
            let _ = writeln!(
                o,
                "\n{} bytes after the handshake at offset {}, sent by the {who}",
                f.len, f.offset
            );
        }
        // The heads, values and messages quote the input: never let it reach the terminal raw.
        crate::common::escape_controls(&o)
    }

    /// Which handshake, and one line per head.
    fn write_heads(&self, o: &mut String) {
        let kind = match self.kind {
            Kind::Rfc6455 => "RFC 6455 handshake",
            Kind::Draft76 => "draft-76 handshake (obsolete)",
            Kind::Http2 => "HTTP/2 extended CONNECT (RFC 8441)",
        };
        let _ = writeln!(o, "{kind}");
        if let Some(r) = &self.request {
            let _ = writeln!(
                o,
                "request  (line {}): {} {} {}, {} headers, {} line endings",
                r.head.first_line,
                r.method,
                r.target,
                r.version,
                r.headers.len(),
                r.head.line_endings
            );
        }
        if let Some(r) = &self.response {
            let _ = writeln!(
                o,
                "response (line {}): {} {} {}, {} headers, {} line endings",
                r.head.first_line,
                r.version,
                r.status,
                r.reason,
                r.headers.len(),
                r.head.line_endings
            );
        }
    }

    /// One line per check, then the counts.
    fn write_checks(&self, o: &mut String) {
        o.push_str("\nchecks:\n");
        for c in &self.checks {
            let s = match c.status {
                Status::Pass => "pass",
                Status::Fail => "FAIL",
                Status::Warn => "warn",
                Status::Unknown => "unknown",
            };
            let _ = writeln!(o, "  {s}  {:<18} {:<24} {}", c.id, c.rfc, c.message);
        }
        let warn = self.summary.warn;
        let _ = writeln!(
            o,
            "  {} passed, {} failed, {warn} warning{}",
            self.summary.pass,
            self.summary.fail,
            if warn == 1 { "" } else { "s" }
        );
    }

    /// The subprotocol, the extensions and permessage-deflate per direction.
    fn write_negotiated(&self, o: &mut String) {
        o.push_str("\nnegotiated:\n");
        let _ = writeln!(
            o,
            "  subprotocol: {}",
            self.subprotocol.as_deref().unwrap_or("(none)")
        );
        let _ = writeln!(
            o,
            "  extensions:  {}",
            self.extensions_header.as_deref().unwrap_or("(none)")
        );
        if let Some(d) = &self.permessage_deflate {
            for (who, p) in [("client", d.client), ("server", d.server)] {
                let _ = writeln!(
                    o,
                    "  permessage-deflate, {who} sends: window {} bits, {}",
                    p.max_window_bits,
                    if p.no_context_takeover {
                        "no context takeover"
                    } else {
                        "context takeover"
                    }
                );
            }
        }
    }
}
