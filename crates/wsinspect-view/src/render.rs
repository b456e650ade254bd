//! The readable text view of a decoded stream (the CLI's default output), rendered from
//! [`wsinspect_core::wire::field::FIELDS`] and the decoder's reports.

use core::fmt::Write as _;

use wsinspect_core::stream::StreamReport;
use wsinspect_core::wire::encode::spaced_hex;
use wsinspect_core::wire::field::FieldId;

/// Render a report as a readable table: one block per frame (every header field with its value
/// and byte span, the payload, findings), then the messages.
pub fn render_text(r: &StreamReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} frame(s), {} message(s), direction: {}",
        r.frames.len(),
        r.messages.len(),
        r.direction
    );
    for f in &r.frames {
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
                let _ = writeln!(s, "  text: {t:?}");
            }
            None if !f.payload.is_empty() => {
                let label = if f.compressed { "compressed" } else { "hex" };
                let _ = writeln!(s, "  {label}: {}", spaced_hex(&f.payload));
            }
            None => {}
        }
        write_findings(&mut s, &f.findings);
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
        match r.message_text(m) {
            Some(t) => {
                let _ = writeln!(s, ": {t:?}");
            }
            None => {
                let _ = writeln!(s, ": {}", spaced_hex(&payload));
            }
        }
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

/// One line per finding: `  severity[code] message (RFC section)`.
fn write_findings(s: &mut String, findings: &[wsinspect_core::finding::Finding]) {
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
