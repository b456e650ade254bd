//! Leaf types every layer shares, depending on nothing else in the crate: [`Direction`], hex
//! formatting, and the `ids!` macro behind every closed set of stable names (finding rules,
//! checklist items, header fields, Accept mistakes).

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

/// Text for a terminal: every control character (C0 such as ESC, BEL and CR, DEL, and C1 such
/// as CSI) escaped as Rust's `{:?}` does (`\u{1b}`, `\r`), so input can never drive the
/// terminal; line feeds, which the text itself is made of, are kept.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
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
    fn escape_controls_keeps_line_feeds_and_escapes_the_rest() {
        assert_eq!(
            escape_controls("a\u{1b}]0;x\u{7}\r\n\u{9b}b\tc"),
            "a\\u{1b}]0;x\\u{7}\\r\n\\u{9b}b\\tc"
        );
        assert_eq!(escape_controls("plain\n"), "plain\n");
    }

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

/// A name that is not one of a closed set of ids (a rule, a check, a field, a mistake).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownId {
    /// What kind of id was expected (`rule`, `check`, ...).
    pub what: &'static str,
    /// The name given.
    pub name: String,
}

impl core::fmt::Display for UnknownId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "unknown {} {:?}", self.what, self.name)
    }
}

impl core::error::Error for UnknownId {}

/// A closed set of stable ids: a fieldless enum whose variants each have one name, used in JSON,
/// the CLI and the page's `data-` hooks. Generates `ALL` (declaration order), `as_str`,
/// `Display` (honouring width and alignment), `FromStr` (exact names, else [`UnknownId`]) and a
/// `Serialize` that writes the name. A misspelt id is then a compile error, and the name of
/// each id is written once (see the tests below for a use).
macro_rules! ids {
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident($what:literal) {
            $( $(#[$vm:meta])* $var:ident = $key:literal, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vm])* $var, )*
        }

        impl $name {
            /// Every id, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),*];

            /// The stable name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$var => $key,)*
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl core::str::FromStr for $name {
            type Err = $crate::common::UnknownId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($key => Ok($name::$var),)*
                    _ => Err($crate::common::UnknownId { what: $what, name: s.into() }),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use ids;

#[cfg(test)]
mod hex_tests {
    ids! {
        /// A test set.
        enum Colour("colour") {
            /// Red.
            Red = "red",
            /// Dark blue.
            DarkBlue = "dark-blue",
        }
    }

    #[test]
    fn ids_round_trip_through_their_names() {
        for c in Colour::ALL {
            assert_eq!(c.as_str().parse::<Colour>(), Ok(*c));
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!(format!("[{:<10}]", Colour::Red), "[red       ]");
        let e = "Red".parse::<Colour>().unwrap_err();
        assert_eq!(e.to_string(), "unknown colour \"Red\"");
    }
}
