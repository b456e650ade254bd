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
    use core::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
