//! The NSS key log format (what `SSLKEYLOGFILE` makes browsers, curl, Node's `--tls-keylog` and
//! Python's `keylog_filename` write, and what a pcapng Decryption Secrets Block of type `TLSK`
//! holds): one `LABEL CLIENT_RANDOM SECRET` line per secret, both values in hex, `#` comments.
//!
//! Read: `CLIENT_RANDOM` (the TLS 1.2 master secret, 48 bytes),
//! `CLIENT_HANDSHAKE_TRAFFIC_SECRET`, `SERVER_HANDSHAKE_TRAFFIC_SECRET`,
//! `CLIENT_TRAFFIC_SECRET_0` and `SERVER_TRAFFIC_SECRET_0` (TLS 1.3). Other labels
//! (`EXPORTER_SECRET`, `EARLY_EXPORTER_SECRET`, `CLIENT_EARLY_TRAFFIC_SECRET`, `RSA`) are
//! skipped: they do not decrypt what we read. A malformed line is an error naming it.

use std::collections::HashMap;

/// A TLS client random: the key of every secret.
pub type ClientRandom = [u8; 32];

/// The secrets logged for one client random.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    /// TLS 1.2: the master secret.
    pub master: Option<Vec<u8>>,
    /// TLS 1.3: the client's handshake traffic secret.
    pub client_handshake: Option<Vec<u8>>,
    /// TLS 1.3: the server's handshake traffic secret.
    pub server_handshake: Option<Vec<u8>>,
    /// TLS 1.3: the client's first application traffic secret.
    pub client_traffic: Option<Vec<u8>>,
    /// TLS 1.3: the server's first application traffic secret.
    pub server_traffic: Option<Vec<u8>>,
}

/// Every secret read so far, by client random.
#[derive(Clone, Debug, Default)]
pub struct KeyLog {
    secrets: HashMap<ClientRandom, Secrets>,
}

/// A key log line that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLogError {
    /// Its line number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub what: String,
}

impl core::fmt::Display for KeyLogError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "key log line {}: {}", self.line, self.what)
    }
}

impl core::error::Error for KeyLogError {}

impl KeyLog {
    /// An empty key log.
    pub fn new() -> KeyLog {
        KeyLog::default()
    }

    /// Read a whole key log (a file's bytes, or a Decryption Secrets Block's) and add its
    /// secrets; returns how many secrets it held. On an error nothing of `text` is added.
    ///
    /// ```
    /// use wsinspect_capture::tls::KeyLog;
    /// let mut log = KeyLog::new();
    /// let line = format!("CLIENT_RANDOM {} {}\n", "ab".repeat(32), "cd".repeat(48));
    /// assert_eq!(log.add(line.as_bytes()), Ok(1));
    /// assert!(log.get(&[0xab; 32]).unwrap().master.is_some());
    /// let err = log.add(b"# comment\nCLIENT_RANDOM zz 00\n").unwrap_err();
    /// assert_eq!(err.line, 2);
    /// ```
    pub fn add(&mut self, text: &[u8]) -> Result<usize, KeyLogError> {
        let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        let mut read = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match line_secret(line) {
                Ok(Some(s)) => read.push(s),
                Ok(None) => {}
                // The last line without its newline: still being written, not wrong.
                Err(_) if i + 1 == lines.len() => {}
                Err(what) => return Err(KeyLogError { line: i + 1, what }),
            }
        }
        let n = read.len();
        for (random, slot, secret) in read {
            *slot.of_mut(self.secrets.entry(random).or_default()) = Some(secret);
        }
        Ok(n)
    }

    /// The secrets logged for a client random.
    pub fn get(&self, random: &ClientRandom) -> Option<&Secrets> {
        self.secrets.get(random)
    }

    /// How many client randoms have secrets.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    /// No secrets at all.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Master,
    ClientHandshake,
    ServerHandshake,
    ClientTraffic,
    ServerTraffic,
}

impl Slot {
    fn of(label: &str) -> Option<Slot> {
        Some(match label {
            "CLIENT_RANDOM" => Slot::Master,
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => Slot::ClientHandshake,
            "SERVER_HANDSHAKE_TRAFFIC_SECRET" => Slot::ServerHandshake,
            "CLIENT_TRAFFIC_SECRET_0" => Slot::ClientTraffic,
            "SERVER_TRAFFIC_SECRET_0" => Slot::ServerTraffic,
            _ => return None,
        })
    }

    fn of_mut(self, s: &mut Secrets) -> &mut Option<Vec<u8>> {
        match self {
            Slot::Master => &mut s.master,
            Slot::ClientHandshake => &mut s.client_handshake,
            Slot::ServerHandshake => &mut s.server_handshake,
            Slot::ClientTraffic => &mut s.client_traffic,
            Slot::ServerTraffic => &mut s.server_traffic,
        }
    }
}

/// One line's secret: `None` for a comment, a blank line or a label we do not use.
fn line_secret(line: &[u8]) -> Result<Option<(ClientRandom, Slot, Vec<u8>)>, String> {
    let line = core::str::from_utf8(line)
        .map_err(|_| "not UTF-8 text".to_string())?
        .trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut parts = line.split_ascii_whitespace();
    let (Some(label), Some(random), Some(secret), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!(
            "expected `LABEL CLIENT_RANDOM SECRET`, found {} field(s)",
            line.split_ascii_whitespace().count()
        ));
    };
    let Some(slot) = Slot::of(label) else {
        return Ok(None);
    };
    let random: ClientRandom = hex(random)
        .and_then(|r| r.try_into().ok())
        .ok_or_else(|| format!("the client random of {label} is not 32 bytes of hex"))?;
    let secret = hex(secret)
        .filter(|s| !s.is_empty() && s.len() <= 64)
        .ok_or_else(|| format!("the secret of {label} is not hex (1 to 64 bytes)"))?;
    if slot == Slot::Master && secret.len() != 48 {
        return Err(format!(
            "a CLIENT_RANDOM master secret has 48 bytes, not {}",
            secret.len()
        ));
    }
    Ok(Some((random, slot, secret)))
}

/// Hex digits (either case) to bytes; `None` for an odd count or a non-digit.
fn hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|p| {
            let d = |c: u8| (c as char).to_digit(16);
            Some((d(p[0])? * 16 + d(p[1])?) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_tls13_labels_and_skips_others() {
        let r = "01".repeat(32);
        let text = format!(
            "# TLS secrets log file\n\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {r} {a}\r\nSERVER_HANDSHAKE_TRAFFIC_SECRET {r} {b}\nEXPORTER_SECRET {r} {a}\nCLIENT_TRAFFIC_SECRET_0 {r} {a}\nSERVER_TRAFFIC_SECRET_0 {R} {b}\n",
            a = "aa".repeat(32),
            b = "BB".repeat(48),
            R = r.to_uppercase()
        );
        let mut log = KeyLog::new();
        assert_eq!(log.add(text.as_bytes()), Ok(4));
        let s = log.get(&[1; 32]).unwrap();
        assert_eq!(s.client_handshake.as_deref(), Some(&[0xaa; 32][..]));
        assert_eq!(s.server_traffic.as_deref(), Some(&[0xbb; 48][..]));
        assert_eq!(s.master, None);
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let line = format!(
            "\u{feff}CLIENT_RANDOM {} {}\n",
            "02".repeat(32),
            "03".repeat(48)
        );
        let mut log = KeyLog::new();
        assert_eq!(log.add(line.as_bytes()), Ok(1));
    }

    #[test]
    fn errors_name_the_line_and_add_nothing() {
        let good = format!("CLIENT_RANDOM {} {}\n", "02".repeat(32), "03".repeat(48));
        let cases = [
            ("CLIENT_RANDOM 0102\n", "expected"),
            (
                &*format!("CLIENT_RANDOM {} 0g\n", "02".repeat(32)),
                "not hex",
            ),
            (
                &*format!("CLIENT_RANDOM {} 0102\n", "02".repeat(32)),
                "48 bytes",
            ),
            (
                &*format!("CLIENT_RANDOM {} 01\n", "02".repeat(31)),
                "32 bytes",
            ),
        ];
        for (bad, why) in cases {
            // Unfinished (no newline) at the end, the bad line is skipped, not an error.
            let mut log = KeyLog::new();
            assert_eq!(
                log.add(format!("{good}{}", bad.trim_end()).as_bytes()),
                Ok(1)
            );
            let mut log = KeyLog::new();
            let err = log.add(format!("{good}{bad}").as_bytes()).unwrap_err();
            assert_eq!(err.line, 2, "{bad}");
            assert!(err.to_string().contains(why), "{err}");
            assert!(log.is_empty());
        }
    }
}
