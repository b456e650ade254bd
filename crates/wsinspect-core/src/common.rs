//! Leaf types every layer shares, depending on nothing else in the crate.

use serde::{Deserialize, Serialize};

/// Which peer sent the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Client to server: every frame must be masked.
    Client,
    /// Server to client: no frame may be masked.
    Server,
    /// Not known: masking is not checked.
    Unknown,
}

impl Direction {
    /// `client`, `server` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Client => "client",
            Direction::Server => "server",
            Direction::Unknown => "unknown",
        }
    }
}

impl core::fmt::Display for Direction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::str::FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "client" => Ok(Direction::Client),
            "server" => Ok(Direction::Server),
            "unknown" => Ok(Direction::Unknown),
            _ => Err(format!(
                "unknown direction {s:?}: expected client, server or unknown"
            )),
        }
    }
}

/// Lower-case hex without separators.
pub fn hex(bytes: &[u8]) -> String {
    HexDisplay(bytes).to_string()
}

/// Bytes shown as lower-case hex without separators, written straight into a formatter (so a
/// large payload is never first built as one string).
pub struct HexDisplay<'a>(pub &'a [u8]);

impl core::fmt::Display for HexDisplay<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 512];
        for chunk in self.0.chunks(buf.len() / 2) {
            for (i, b) in chunk.iter().enumerate() {
                buf[2 * i] = DIGITS[usize::from(b >> 4)];
                buf[2 * i + 1] = DIGITS[usize::from(b & 15)];
            }
            let text =
                core::str::from_utf8(&buf[..2 * chunk.len()]).map_err(|_| core::fmt::Error)?;
            f.write_str(text)?;
        }
        Ok(())
    }
}

/// Hex digits (no separators, either case) back to bytes; `None` for an odd count or a
/// non-digit.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    if b.len() % 2 != 0 {
        return None;
    }
    b.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_across_chunk_boundaries() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let h = hex(&bytes);
        assert_eq!(&h[..8], "00010203");
        assert_eq!(h.len(), 2000);
        assert_eq!(unhex(&h), Some(bytes));
        assert_eq!(unhex("ABcd"), Some(vec![0xab, 0xcd]));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
