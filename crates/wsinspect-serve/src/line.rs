//! One feed line: a JSON object, no newline, cheap to clone. Most lines are text from the
//! start. A frame's or a message's line keeps its payload's bytes beside the rest of its JSON
//! and writes their hex only when someone reads the line, so the lines nobody reads (the
//! backlog while no page is subscribed: a bulk transfer's frames) cost no hex at all. Its
//! length is known before (two hex digits a byte), so the backlog and the queues count the
//! same bytes either way, and its text is the same bytes the whole event's serialisation
//! gives (`event::tests` checks it). The text is kept as the WebSocket library's UTF-8 bytes,
//! so a subscriber's socket sends it without another copy.

use std::fmt::{self, Write as _};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use tokio_tungstenite::tungstenite::Utf8Bytes;
use wsinspect_core::common::HexDisplay;

/// A feed line.
#[derive(Clone)]
pub struct Line(Arc<Repr>);

enum Repr {
    Text(Utf8Bytes),
    Hex(HexLine),
}

/// `json` with the lower-case hex of `bytes` put in at byte `at` (inside an empty JSON string).
struct HexLine {
    json: String,
    at: usize,
    bytes: Vec<u8>,
    /// The text, once read.
    text: OnceLock<Utf8Bytes>,
}

impl HexLine {
    fn render(&self) -> Utf8Bytes {
        // `at` is on a character boundary (`Line::with_hex` checks it).
        let (before, after) = self
            .json
            .split_at_checked(self.at)
            .unwrap_or((&self.json, ""));
        let mut v = Vec::with_capacity(self.json.len() + 2 * self.bytes.len());
        v.extend_from_slice(before.as_bytes());
        push_hex(&mut v, &self.bytes);
        v.extend_from_slice(after.as_bytes());
        match String::from_utf8(v) {
            Ok(s) => s.into(),
            // Cannot happen (UTF-8 around ASCII digits); the slow way, which cannot fail.
            Err(_) => {
                let mut s = String::new();
                let _ = write!(s, "{before}{}{after}", HexDisplay(&self.bytes));
                s.into()
            }
        }
    }
}

/// `bytes` as lower-case hex digits, as the core's `HexDisplay` writes them (the test below
/// checks the two agree), two at a time from a table rather than through a formatter.
fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    const PAIRS: [[u8; 2]; 256] = {
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [DIGITS[i >> 4], DIGITS[i & 15]];
            i += 1;
        }
        t
    };
    let start = out.len();
    out.resize(start + 2 * bytes.len(), 0);
    for (pair, &b) in out[start..].chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&PAIRS[usize::from(b)]);
    }
}

impl Line {
    /// The line `json` with the hex of `bytes` at byte `at`, written when first read. `at`
    /// must be inside a JSON string of `json` (where hex digits need no escaping); `Err` gives
    /// both back when it is not a character boundary of `json`.
    pub fn with_hex(json: String, at: usize, bytes: Vec<u8>) -> Result<Line, (String, Vec<u8>)> {
        if !json.is_char_boundary(at) {
            return Err((json, bytes));
        }
        if bytes.is_empty() {
            return Ok(json.into());
        }
        Ok(Line(Arc::new(Repr::Hex(HexLine {
            json,
            at,
            bytes,
            text: OnceLock::new(),
        }))))
    }

    /// Its length in bytes (known without writing the hex).
    pub fn len(&self) -> usize {
        match &*self.0 {
            Repr::Text(s) => s.len(),
            Repr::Hex(h) => h.json.len() + 2 * h.bytes.len(),
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text (for a line with a payload: written now, once, and kept with the bytes).
    pub fn as_str(&self) -> &str {
        self.utf8_ref().as_str()
    }

    /// The text as a WebSocket message's payload (shared, not copied).
    pub fn utf8(&self) -> Utf8Bytes {
        self.utf8_ref().clone()
    }

    fn utf8_ref(&self) -> &Utf8Bytes {
        match &*self.0 {
            Repr::Text(s) => s,
            Repr::Hex(h) => h.text.get_or_init(|| h.render()),
        }
    }

    /// The same line as text only, the payload's bytes let go: what is kept when the text
    /// is needed anyway (a subscriber, a recording), so nothing is held twice.
    pub fn into_text(self) -> Line {
        match &*self.0 {
            Repr::Text(_) => self,
            Repr::Hex(h) => {
                let text = match h.text.get() {
                    Some(t) => t.clone(),
                    None => h.render(),
                };
                Line(Arc::new(Repr::Text(text)))
            }
        }
    }

    /// Whether its payload's hex is still unwritten.
    pub fn is_deferred(&self) -> bool {
        matches!(&*self.0, Repr::Hex(h) if h.text.get().is_none())
    }
}

impl Deref for Line {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Line {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Line {
    fn from(s: String) -> Line {
        Line(Arc::new(Repr::Text(s.into())))
    }
}

impl From<&str> for Line {
    fn from(s: &str) -> Line {
        Line(Arc::new(Repr::Text(s.into())))
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hex_goes_in_where_it_was_left_out_and_the_length_is_known_before() {
        let json = r#"{"payload":{"len":3,"kept":""},"x":"é"}"#.to_string();
        let at = json.find(r#""kept":""#).unwrap() + r#""kept":""#.len();
        let line = Line::with_hex(json, at, vec![0x00, 0xab, 0x7f]).unwrap();
        assert!(line.is_deferred());
        assert_eq!(line.len(), 46);
        let text = line.clone().into_text();
        assert!(!text.is_deferred());
        assert_eq!(&*text, r#"{"payload":{"len":3,"kept":"00ab7f"},"x":"é"}"#);
        assert_eq!(text.len(), 46);
        // Read in place: written once and kept.
        assert_eq!(line.as_str(), &*text);
        assert!(!line.is_deferred());
        assert!(Line::with_hex("é".into(), 1, vec![1]).is_err());
        assert!(!Line::with_hex("{}".into(), 1, vec![])
            .unwrap()
            .is_deferred());
    }

    #[test]
    fn the_hex_is_the_cores() {
        let all: Vec<u8> = (0..=255).rev().chain(0..=255).collect();
        let mut ours = Vec::new();
        push_hex(&mut ours, &all);
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            HexDisplay(&all).to_string()
        );
    }
}
