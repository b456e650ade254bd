//! Where the parts of a captured stream are: the request head, the response head, draft-76's
//! key and answer bytes, and the frames that follow (with who sent them).

use core::ops::Range;

use super::h2::h2_blocks;
use super::http::{head_end, Side};
use super::{Direction, FrameBytes, Kind, Split};

fn skip_blank(input: &[u8], mut at: usize) -> usize {
    while at < input.len() && matches!(input[at], b' ' | b'\t' | b'\r' | b'\n') {
        at += 1;
    }
    at
}

fn head_has(input: &[u8], r: &Range<usize>, name: &str) -> bool {
    input[r.clone()].split(|&b| b == b'\n').any(|l| {
        l.len() > name.len()
            && l[..name.len()].eq_ignore_ascii_case(name.as_bytes())
            && l[name.len()] == b':'
    })
}

/// Find where the request and/or response end and where frame bytes begin.
///
/// ```
/// use wsinspect_core::handshake::{split_stream, Direction};
/// let s = split_stream(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi");
/// assert_eq!(s.response, Some(0..56));
/// let f = s.frames.unwrap();
/// assert_eq!((f.offset, f.len, f.direction), (56, 4, Direction::Server));
/// ```
pub fn split_stream(input: &[u8]) -> Split {
    let mut s = Split {
        kind: Kind::Rfc6455,
        request: None,
        response: None,
        draft76_key3: None,
        draft76_answer: None,
        frames: None,
        trailing_whitespace: 0,
    };
    let mut at = skip_blank(input, 0);
    if input.get(at) == Some(&b':') {
        s.kind = Kind::Http2;
        let (req, res) = h2_blocks(input, at);
        s.request = req;
        s.response = res;
        let end = s
            .response
            .as_ref()
            .or(s.request.as_ref())
            .map_or(at, |r| r.end);
        s.trailing_whitespace = input.len() - end;
        return s;
    }
    let mut last = None;
    if at < input.len() && !input[at..].starts_with(b"HTTP/") {
        let r = at..head_end(input, at, Side::Request);
        at = r.end;
        if head_has(input, &r, "Sec-WebSocket-Key1") && !head_has(input, &r, "Sec-WebSocket-Key") {
            s.kind = Kind::Draft76;
            let k = at..(at + 8).min(input.len());
            at = k.end;
            s.draft76_key3 = Some(k);
        }
        s.request = Some(r);
        last = Some(Direction::Client);
    }
    let next = skip_blank(input, at);
    if input[next..].starts_with(b"HTTP/") {
        let r = next..head_end(input, next, Side::Response);
        at = r.end;
        let legacy_alone = s.request.is_none()
            && head_has(input, &r, "Sec-WebSocket-Location")
            && !head_has(input, &r, "Sec-WebSocket-Accept");
        if s.kind == Kind::Draft76 || legacy_alone {
            s.kind = Kind::Draft76;
            let a = at..(at + 16).min(input.len());
            at = a.end;
            s.draft76_answer = Some(a);
        }
        s.response = Some(r);
        last = Some(Direction::Server);
    }
    if skip_blank(input, at) == input.len() {
        s.trailing_whitespace = input.len() - at;
    } else if let Some(direction) = last {
        s.frames = Some(FrameBytes {
            offset: at,
            len: input.len() - at,
            direction,
        });
    }
    s
}
