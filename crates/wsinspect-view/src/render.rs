//! The readable text view of a decoded stream (the CLI's default output), rendered from
//! [`wsinspect_core::wire::field::FIELDS`] and the decoder's reports.

use core::fmt::Write as _;

use wsinspect_core::common::escape_controls;
use wsinspect_core::session::{ConnectionReport, EventKind, Summary};
use wsinspect_core::stream::{FrameReport, MessageEvent, MessageReport, StreamReport};
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::wire::encode::spaced_hex;
use wsinspect_core::wire::field::FieldId;
use wsinspect_core::Direction;

/// Render a report as a readable table: one block per frame (every header field with its value
/// and byte span, the payload, findings), then the messages.
pub fn render_text(r: &StreamReport) -> String {
    render_text_with(r, &|_| String::new())
}

/// [`render_text`] with `under(message)`'s lines printed under each message (the CLI puts the
/// decoded payload there).
pub fn render_text_with(r: &StreamReport, under: &dyn Fn(&MessageReport) -> String) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} frame(s), {} message(s), direction: {}",
        r.frames.len(),
        r.messages.len(),
        r.direction
    );
    for f in &r.frames {
        write_frame(&mut s, f);
    }
    if !r.messages.is_empty() {
        let _ = writeln!(s, "\nmessages");
    }
    for m in &r.messages {
        let payload = r.message_payload(m);
        let frames: Vec<String> = m.frames.iter().map(|i| i.to_string()).collect();
        let _ = write!(
            s,
            "  message {}: {} from frame(s) {}, {} bytes{}{}",
            m.index,
            m.opcode.label(),
            frames.join(", "),
            payload.len(),
            if m.compressed { ", compressed" } else { "" },
            if m.complete { "" } else { ", INCOMPLETE" }
        );
        let text = (m.opcode == OpCode::TEXT)
            .then(|| core::str::from_utf8(&payload).ok())
            .flatten();
        let _ = writeln!(s, ": {}", shown(&payload, text, payload.len() as u64));
        s.push_str(&under(m));
    }
    if let Some(i) = &r.incomplete {
        let _ = writeln!(
            s,
            "\nincomplete frame at byte {}: have {} bytes, need {} more",
            i.offset, i.have, i.need
        );
        write_findings(&mut s, &i.findings);
    }
    let n = r.findings().count();
    let _ = writeln!(s, "\n{n} finding(s)");
    s
}

/// One frame's block: every header field with its value and byte span, the payload, findings.
pub fn write_frame(s: &mut String, f: &FrameReport) {
    let range = f.range();
    let _ = writeln!(
        s,
        "\nframe {}  bytes {}..{}  {} ({})",
        f.index,
        range.start,
        range.end,
        f.opcode().label(),
        f.header.opcode
    );
    for v in &f.fields {
        let def = v.key.def().name;
        let start = f.offset + v.bytes.start as u64;
        let at = if v.bytes.len() == 1 {
            format!("byte {start}")
        } else {
            format!("bytes {start}..{}", f.offset + v.bytes.end as u64)
        };
        let mut shown = v.text.clone();
        if v.key == FieldId::Opcode {
            shown = format!("{shown} ({})", f.opcode().label());
        }
        let _ = writeln!(
            s,
            "  {def:<34} {shown:<18} {at}, bits {}-{}",
            v.bits.start,
            v.bits.end - 1
        );
    }
    let pr = f.payload_range();
    let _ = writeln!(
        s,
        "  {:<34} {} bytes at {}..{}{}",
        "Payload",
        f.payload.len(),
        pr.start,
        pr.end,
        if f.header.masked {
            " (unmasked below)"
        } else {
            ""
        }
    );
    if let Some(c) = &f.close {
        match c.code {
            Some(code) => {
                let _ = writeln!(s, "  close code {code} ({})", c.name.unwrap_or("unknown"));
            }
            None => {
                let _ = writeln!(s, "  close: no status code");
            }
        }
    }
    match f.text() {
        Some(t) => {
            let _ = writeln!(
                s,
                "  text: {}",
                shown(t.as_bytes(), Some(t), t.len() as u64)
            );
        }
        None if !f.payload.is_empty() => {
            let label = if f.compressed { "compressed" } else { "hex" };
            let n = f.payload.len() as u64;
            let _ = writeln!(s, "  {label}: {}", shown(&f.payload, None, n));
        }
        None => {}
    }
    write_findings(s, &f.findings);
}

/// One line per finding: `  severity[code] message (RFC section)`.
pub fn write_findings(s: &mut String, findings: &[wsinspect_core::finding::Finding]) {
    for x in findings {
        let _ = writeln!(
            s,
            "  {}[{}] {} ({})",
            x.severity.as_str(),
            x.rule,
            x.message,
            x.rfc
        );
    }
}

/// The table of a stream decoded as it is read: each frame's block as it completes, each
/// message's line after its last frame, the totals at the end.
#[derive(Debug)]
pub struct StreamText {
    direction: Direction,
    frames: u64,
    messages: u64,
    findings: u64,
}

impl StreamText {
    /// A table for frames from `direction`.
    pub fn new(direction: Direction) -> StreamText {
        StreamText {
            direction,
            frames: 0,
            messages: 0,
            findings: 0,
        }
    }

    /// The text for one event (empty for events the table does not show).
    pub fn event(&mut self, e: EventKind) -> String {
        let mut s = String::new();
        match e {
            EventKind::Frame(f) => {
                self.frames += 1;
                self.findings += f.findings.len() as u64;
                write_frame(&mut s, &FrameReport::from(f));
            }
            EventKind::Message(m) => {
                self.messages += 1;
                write_message(&mut s, &m);
            }
            EventKind::Finding(f) => {
                self.findings += 1;
                write_findings(&mut s, &[f]);
            }
            EventKind::Gap { len } => {
                let _ = writeln!(s, "\n{len} bytes lost");
            }
            EventKind::End {
                incomplete: Some(i),
            } => {
                self.findings += i.findings.len() as u64;
                let _ = writeln!(
                    s,
                    "\nincomplete frame at byte {}: have {} bytes, need {} more",
                    i.offset, i.have, i.need
                );
                write_findings(&mut s, &i.findings);
            }
            _ => {}
        }
        s
    }

    /// The closing lines.
    pub fn totals(&self) -> String {
        format!(
            "\n{} frame(s), {} message(s), direction: {}\n{} finding(s)\n",
            self.frames, self.messages, self.direction, self.findings
        )
    }
}

/// A message's line, as far as its payload was kept.
fn write_message(s: &mut String, m: &MessageEvent) {
    let kept = &m.payload.kept.0;
    let frames = match m.frames {
        1 => format!("frame {}", m.first_frame),
        n => format!("{n} frames from frame {}", m.first_frame),
    };
    let _ = write!(
        s,
        "\nmessage {}: {} in {frames}, {} bytes{}{}",
        m.index,
        OpCode(m.opcode).label(),
        m.payload.len,
        if m.compressed { ", compressed" } else { "" },
        if m.complete { "" } else { ", INCOMPLETE" }
    );
    let text = (m.opcode == OpCode::TEXT.0)
        .then(|| match core::str::from_utf8(kept) {
            Ok(t) => Some(t),
            Err(e) if e.error_len().is_none() && !m.payload.is_whole() => {
                core::str::from_utf8(&kept[..e.valid_up_to()]).ok()
            }
            Err(_) => None,
        })
        .flatten();
    let _ = write!(s, ": {}", shown(kept, text, m.payload.len));
    s.push('\n');
}

/// The most payload bytes the table shows of one frame or message.
pub const SHOWN_BYTES: usize = 64 << 10;

/// A payload as the table shows it: quoted text when it is text, else spaced hex; at most
/// [`SHOWN_BYTES`] of it, and how many bytes of its `len` are not shown.
fn shown(bytes: &[u8], text: Option<&str>, len: u64) -> String {
    let (mut out, n) = match text {
        Some(t) => {
            let mut end = t.len().min(SHOWN_BYTES);
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            (format!("{:?}", &t[..end]), end)
        }
        None => {
            let end = bytes.len().min(SHOWN_BYTES);
            (spaced_hex(&bytes[..end]), end)
        }
    };
    if len > n as u64 {
        out.push_str(&format!(" ... ({} more bytes not shown)", len - n as u64));
    }
    out
}

/// A whole connection: the handshake in a few lines, then each direction's table.
pub fn render_connection(c: &ConnectionReport) -> String {
    render_connection_with(c, &|_, _| String::new())
}

/// [`render_connection`] with `under(direction, message)`'s lines under each message.
pub fn render_connection_with(
    c: &ConnectionReport,
    under: &dyn Fn(Direction, &MessageReport) -> String,
) -> String {
    let mut s = String::new();
    for (what, head) in [("request", &c.request), ("response", &c.response)] {
        if let Some(h) = head {
            let _ = writeln!(s, "{what}: {}", escape_controls(&h.start_line()));
        }
    }
    match &c.upgrade {
        Some(u) if u.accepted => {
            let _ = writeln!(
                s,
                "upgrade: {}, subprotocol {}, extensions {}",
                if u.assumed {
                    "assumed (no response)".to_string()
                } else {
                    format!("accepted ({})", u.status)
                },
                u.subprotocol
                    .as_deref()
                    .map_or("(none)".into(), escape_controls),
                u.extensions
                    .as_deref()
                    .map_or("(none)".into(), escape_controls),
            );
        }
        Some(u) => {
            let _ = writeln!(
                s,
                "upgrade: refused ({}); what follows is an HTTP body of {} bytes, not frames",
                u.status, c.body[1]
            );
        }
        None => {
            let _ = writeln!(s, "upgrade: no handshake in the input");
        }
    }
    if let Some(u) = &c.upgrade {
        let _ = writeln!(
            s,
            "handshake checks: {} passed, {} failed, {} warnings (`wsinspect handshake` explains each)",
            u.checks.pass, u.checks.fail, u.checks.warn
        );
    }
    for (title, r) in [
        ("client -> server", &c.client),
        ("server -> client", &c.server),
    ] {
        let _ = writeln!(s, "\n== {title} ==");
        s.push_str(&render_text_with(r, &|m| under(r.direction, m)));
    }
    s
}

/// Counts per direction, as a table.
pub fn render_summary(sum: &Summary) -> String {
    let mut s = String::new();
    render_summary_into(&mut s, sum, "");
    s
}

/// [`render_summary`] written into `s`, each line after `indent`.
pub fn render_summary_into(s: &mut String, sum: &Summary, indent: &str) {
    if let Some(status) = sum.upgrade_status {
        let _ = writeln!(s, "{indent}upgrade: HTTP {status}");
    }
    for d in &sum.directions {
        let name = d.direction.map_or("unknown", |d| d.as_str());
        let _ = writeln!(
            s,
            "{indent}{name}: {} frame(s) ({} control), {} message(s), {} bytes read, {} payload bytes, {} message bytes",
            d.frames, d.control_frames, d.messages, d.bytes, d.payload_bytes, d.message_bytes
        );
        if d.lost_bytes > 0 {
            let _ = writeln!(s, "{indent}  {} bytes lost", d.lost_bytes);
        }
        if d.incomplete {
            let _ = writeln!(s, "{indent}  the input ends inside a frame");
        }
        let total: u64 = d.findings.values().sum();
        let _ = writeln!(s, "{indent}  {total} finding(s)");
        for (code, n) in &d.findings {
            let _ = writeln!(s, "{indent}    {n:>8}  {code}");
        }
    }
    if sum.directions.is_empty() {
        let _ = writeln!(s, "{indent}no frames");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::stream::{decode_all, DecodeConfig};
    use wsinspect_core::Direction;

    #[test]
    fn renders_fields_payload_findings_and_messages() {
        let r = decode_all(
            &[0x81, 0x05, b'H', b'e', b'l', b'l', b'o'],
            Direction::Client,
            &DecodeConfig::default(),
        );
        let t = render_text(&r);
        assert!(t.contains("FIN"), "{t}");
        assert!(t.contains("Opcode"), "{t}");
        assert!(t.contains("1 (text)"), "{t}");
        assert!(t.contains("text: \"Hello\""), "{t}");
        assert!(t.contains("error[unmasked-client-frame]"), "{t}");
        assert!(t.contains("RFC 6455 §5.1"), "{t}");
        assert!(
            t.contains("message 0: text from frame(s) 0, 5 bytes: \"Hello\""),
            "{t}"
        );
    }
}
