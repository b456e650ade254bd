//! STOMP 1.0, 1.1 and 1.2 frames (stomp.github.io): a command line, header lines (`name:value`,
//! with the 1.1+ escapes `\r \n \c \\` except in CONNECT and CONNECTED), a blank line, a body
//! of `content-length` bytes or up to the NUL, the NUL, then optional end-of-lines (which are
//! also what a heart-beat is). A message may hold several frames.

use crate::tree::{quote, text_or_hex, Code, Finding, Kind, Node};
use crate::Out;

const COMMANDS: &[&str] = &[
    "CONNECT",
    "STOMP",
    "CONNECTED",
    "SEND",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "ACK",
    "NACK",
    "BEGIN",
    "COMMIT",
    "ABORT",
    "DISCONNECT",
    "MESSAGE",
    "RECEIPT",
    "ERROR",
];

/// The headers that give a frame its summary, by command.
const KEY_HEADER: &[(&str, &str)] = &[
    ("SEND", "destination"),
    ("SUBSCRIBE", "destination"),
    ("MESSAGE", "destination"),
    ("UNSUBSCRIBE", "id"),
    ("CONNECTED", "version"),
    ("CONNECT", "accept-version"),
    ("STOMP", "accept-version"),
    ("RECEIPT", "receipt-id"),
    ("ERROR", "message"),
];

/// The longest command line: `UNSUBSCRIBE` and its CR LF.
const LONGEST_LINE: usize = 13;

/// Whether `b` starts with a STOMP command line. Only the first bytes are looked at: a line
/// longer than any command's is none (every text message is asked, most of them not STOMP).
pub fn looks_like(b: &[u8]) -> bool {
    let head = &b[..b.len().min(LONGEST_LINE)];
    let Some(line_end) = head.iter().position(|&c| c == b'\n') else {
        return false;
    };
    let line = head[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&head[..line_end]);
    COMMANDS.iter().any(|c| c.as_bytes() == line)
}

/// Decodes the frames of one message; returns the summary.
pub fn decode(b: &[u8], out: &mut Out) -> String {
    let mut pos = 0;
    let mut summaries = Vec::new();
    while pos < b.len() {
        let eols = b[pos..]
            .iter()
            .take_while(|&&c| c == b'\n' || c == b'\r')
            .count();
        if eols > 0 {
            out.nodes.push(Node::value(
                "heart-beat",
                Kind::Field,
                format!("{eols} EOL byte(s)"),
                [pos, pos + eols],
            ));
            if summaries.is_empty() && pos + eols == b.len() {
                summaries.push("heart-beat".to_string());
            }
            pos += eols;
            continue;
        }
        match frame(b, pos, out) {
            Some((node, summary, end)) => {
                out.nodes.push(node);
                summaries.push(summary);
                pos = end;
            }
            None => break,
        }
    }
    summaries.join("; ")
}

/// One frame from `start`: its node, summary and end; `None` when it cannot go on.
fn frame(b: &[u8], start: usize, out: &mut Out) -> Option<(Node, String, usize)> {
    let (cmd_end, next) = line(b, start)?;
    let command = String::from_utf8_lossy(&b[start..cmd_end]).into_owned();
    let mut kids = vec![Node::value(
        "command",
        Kind::Field,
        command.clone(),
        [start, cmd_end],
    )];
    if !COMMANDS.contains(&command.as_str()) {
        out.finding(Finding::new(
            Code::Unknown,
            format!(
                "unknown STOMP command {} at offset {start}",
                quote(&command)
            ),
            [start, cmd_end],
        ));
    }
    // CONNECT and CONNECTED headers are not escaped (1.2 §Value Encoding), for 1.0 compatibility.
    let escaped = !matches!(command.as_str(), "CONNECT" | "CONNECTED");
    let mut pos = match next {
        Some(p) => p,
        None => {
            out.finding(Finding::new(
                Code::Truncated,
                "the frame ends after its command line",
                [cmd_end, b.len()],
            ));
            return Some((
                Node::parent(command.clone(), Kind::Packet, [start, b.len()], kids),
                command,
                b.len(),
            ));
        }
    };
    let mut headers = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut length = None;
    let mut key_value = None;
    let key_name = KEY_HEADER
        .iter()
        .find(|(c, _)| *c == command)
        .map(|(_, h)| *h);
    let hstart = pos;
    while let Some((end, next)) = line(b, pos) {
        if end == pos {
            pos = next.unwrap_or(b.len());
            break;
        }
        let raw = &b[pos..end];
        let Some(colon) = raw.iter().position(|&c| c == b':') else {
            out.finding(Finding::new(
                Code::Syntax,
                format!("a header line without ':' at offset {pos}"),
                [pos, end],
            ));
            pos = next.unwrap_or(b.len());
            continue;
        };
        let name = unescape(&raw[..colon], pos, escaped, out);
        let value = unescape(&raw[colon + 1..], pos + colon + 1, escaped, out);
        let mut h = Node::value(name.clone(), Kind::Header, quote(&value), [pos, end]);
        // The first of repeated headers counts (1.2 §Repeated Header Entries).
        if seen.insert(name.clone()) {
            if name == "content-length" {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => out.finding(Finding::new(
                        Code::BadValue,
                        format!("content-length {} is not a number", quote(&value)),
                        [pos, end],
                    )),
                }
            }
            if Some(name.as_str()) == key_name {
                key_value = Some(value.clone());
            }
        } else {
            h.value = Some(format!(
                "{} (repeated: the first one counts)",
                quote(&value)
            ));
        }
        headers.push(h);
        match next {
            Some(n) => pos = n,
            None => {
                out.finding(Finding::new(
                    Code::Truncated,
                    "the frame ends inside its headers",
                    [end, end],
                ));
                pos = b.len();
                break;
            }
        }
    }
    kids.push(Node::parent(
        "headers",
        Kind::Object,
        [hstart, pos.max(hstart)],
        headers,
    ));
    let body_start = pos.min(b.len());
    let (body_end, end) = match length {
        Some(n) if body_start + n < b.len() && b[body_start + n] == 0 => {
            (body_start + n, body_start + n + 1)
        }
        Some(n) => {
            out.finding(Finding::new(
                Code::Truncated,
                format!("content-length {n}: the body from offset {body_start} is not followed by NUL at offset {}", body_start + n),
                [body_start, b.len()],
            ));
            let e = (body_start + n).min(b.len());
            (e, e)
        }
        None => match b[body_start..].iter().position(|&c| c == 0) {
            Some(p) => (body_start + p, body_start + p + 1),
            None => {
                out.finding(Finding::new(
                    Code::Truncated,
                    "the frame has no NUL at its end",
                    [b.len(), b.len()],
                ));
                (b.len(), b.len())
            }
        },
    };
    if body_end > body_start {
        let body = &b[body_start..body_end];
        let (k, v) = text_or_hex(body);
        let mut node = Node::value("body", k, v, [body_start, body_end]);
        if let Some((d, nodes, findings)) = crate::nested(body, body_start, 0) {
            node.children.extend(nodes.into_iter().map(|mut n| {
                n.name = d.as_str().to_string();
                n
            }));
            out.findings.extend(findings);
        }
        kids.push(node);
    }
    let summary = match key_value {
        Some(v) => format!("{command} {v}"),
        None => command.clone(),
    };
    Some((
        Node::parent(command, Kind::Packet, [start, end], kids),
        summary,
        end,
    ))
}

/// The line at `pos`: where its text ends (before `\r\n` or `\n`) and where the next starts
/// (`None` at the end of the input without an end-of-line).
fn line(b: &[u8], pos: usize) -> Option<(usize, Option<usize>)> {
    if pos >= b.len() {
        return None;
    }
    match b[pos..].iter().position(|&c| c == b'\n') {
        Some(p) => {
            let nl = pos + p;
            let end = if nl > pos && b[nl - 1] == b'\r' {
                nl - 1
            } else {
                nl
            };
            Some((end, Some(nl + 1)))
        }
        None => Some((b.len(), None)),
    }
}

/// A header name or value with its escapes undone; an undefined escape is a finding.
fn unescape(raw: &[u8], at: usize, escaped: bool, out: &mut Out) -> String {
    if !escaped {
        return String::from_utf8_lossy(raw).into_owned();
    }
    let mut v = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' {
            let c = match raw.get(i + 1) {
                Some(b'r') => b'\r',
                Some(b'n') => b'\n',
                Some(b'c') => b':',
                Some(b'\\') => b'\\',
                _ => {
                    out.finding(Finding::new(
                        Code::Syntax,
                        format!("undefined escape in a header at offset {}", at + i),
                        [at + i, (at + i + 2).min(at + raw.len())],
                    ));
                    v.push(b'\\');
                    i += 1;
                    continue;
                }
            };
            v.push(c);
            i += 2;
        } else {
            v.push(raw[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&v).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Choice, Decoder, MessageKind, PayloadSession};

    fn stomp(m: &[u8]) -> crate::Decoded {
        PayloadSession::new(Choice::Auto, Some("v12.stomp"))
            .message(MessageKind::Text, m)
            .unwrap()
    }

    #[test]
    fn every_command_line_is_told_within_the_bytes_looked_at() {
        for c in COMMANDS {
            for eol in ["\n", "\r\n"] {
                let frame = format!("{c}{eol}a:b\n\n\0");
                assert!(looks_like(frame.as_bytes()), "{c}{eol:?}");
                // Not a command: one letter more, or no end of line.
                assert!(!looks_like(format!("{c}X{eol}").as_bytes()), "{c}X");
            }
            assert!(!looks_like(c.as_bytes()), "{c} without an end of line");
        }
        assert!(!looks_like(&[b'a'; 5000]));
    }

    #[test]
    fn send_with_escapes_and_length() {
        let m = b"SEND\ndestination:/queue/a\\cb\ncontent-length:5\n\nhe\0lo\0\n";
        let d = stomp(m);
        assert_eq!(d.decoder, Decoder::Stomp);
        assert_eq!(d.summary, "SEND /queue/a:b");
        assert!(d.findings.is_empty(), "{:?}", d.findings);
        let f = &d.tree.children[0];
        let body = f.children.iter().find(|c| c.name == "body").unwrap();
        assert_eq!(&m[body.span[0]..body.span[1]], b"he\0lo");
        assert_eq!(f.span, [0, m.len() - 1]);
    }

    #[test]
    fn connected_is_not_unescaped_and_heartbeats() {
        let d = stomp(b"CONNECTED\r\nversion:1.2\r\nheart-beat:0,0\r\nserver:a\\b\r\n\r\n\0");
        assert_eq!(d.summary, "CONNECTED 1.2");
        assert!(d.findings.is_empty());
        assert_eq!(stomp(b"\n").summary, "heart-beat");
    }

    #[test]
    fn errors_have_positions() {
        let d = stomp(b"SEND\ndestination:/a\\tb\n\nx");
        let codes: Vec<_> = d.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::Syntax, Code::Truncated]);
        assert_eq!(d.findings[0].span, [19, 21]);
    }
}
