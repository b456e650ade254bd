//! permessage-deflate (RFC 7692): negotiated parameters and the per-direction inflater.

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
use serde::Serialize;

/// The permessage-deflate parameters agreed in the handshake response (RFC 7692 §7.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeflateParams {
    /// The server resets its compression context after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message.
    pub client_no_context_takeover: bool,
    /// The server's LZ77 window size in bits (8-15), if limited.
    pub server_max_window_bits: Option<u8>,
    /// The client's LZ77 window size in bits (8-15), if limited.
    pub client_max_window_bits: Option<u8>,
}

/// Why a `Sec-WebSocket-Extensions` response value could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExtensionError {
    /// What was wrong, in one sentence.
    pub message: String,
}

impl core::fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExtensionError {}

fn err(message: String) -> ExtensionError {
    ExtensionError { message }
}

/// Parse a `Sec-WebSocket-Extensions` response value. `Ok(None)` when no extension is in use.
pub fn parse_extensions(value: &str) -> Result<Option<DeflateParams>, ExtensionError> {
    let mut found: Option<DeflateParams> = None;
    for ext in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let mut parts = ext.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        if !name.eq_ignore_ascii_case("permessage-deflate") {
            return Err(err(format!(
                "unsupported extension {name:?}: only permessage-deflate can be decoded"
            )));
        }
        if found.is_some() {
            return Err(err(
                "permessage-deflate appears twice in a response (RFC 7692 §7)".into(),
            ));
        }
        let mut p = DeflateParams::default();
        let mut seen: Vec<String> = Vec::new();
        for param in parts {
            if param.is_empty() {
                continue;
            }
            let (key, val) = match param.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim().trim_matches('"'))),
                None => (param, None),
            };
            let key_l = key.to_ascii_lowercase();
            if seen.contains(&key_l) {
                return Err(err(format!(
                    "parameter {key} appears twice (RFC 7692 §7.1)"
                )));
            }
            seen.push(key_l.clone());
            let bits = |v: Option<&str>| -> Result<u8, ExtensionError> {
                let v = v.ok_or_else(|| {
                    err(format!(
                        "{key} needs a value 8-15 in a response (RFC 7692 §7.1.2)"
                    ))
                })?;
                match v.parse::<u8>() {
                    Ok(b @ 8..=15) if !v.starts_with('0') => Ok(b),
                    _ => Err(err(format!(
                        "{key}={v} is not a window size 8-15 (RFC 7692 §7.1.2)"
                    ))),
                }
            };
            let flag = |v: Option<&str>| -> Result<bool, ExtensionError> {
                match v {
                    None => Ok(true),
                    Some(_) => Err(err(format!("{key} takes no value (RFC 7692 §7.1.1)"))),
                }
            };
            match key_l.as_str() {
                "server_no_context_takeover" => p.server_no_context_takeover = flag(val)?,
                "client_no_context_takeover" => p.client_no_context_takeover = flag(val)?,
                "server_max_window_bits" => p.server_max_window_bits = Some(bits(val)?),
                "client_max_window_bits" => p.client_max_window_bits = Some(bits(val)?),
                _ => {
                    return Err(err(format!(
                        "unknown permessage-deflate parameter {key:?} (RFC 7692 §7.1)"
                    )))
                }
            }
        }
        found = Some(p);
    }
    Ok(found)
}

/// How one call to [`Inflater::inflate`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateOutcome {
    /// All input was consumed.
    Ok,
    /// The data is not valid DEFLATE.
    Failed,
    /// The output would exceed the limit; output was cut at the limit.
    LimitReached,
    /// A final block (BFINAL) ended the DEFLATE stream; later input is ignored.
    StreamEnd,
}

/// One inflate context for one direction. A 32 KiB window is a superset of every window size
/// 8-15, so inflating with it is correct whatever was negotiated.
pub struct Inflater {
    state: Box<InflateState>,
    ended: bool,
}

impl Default for Inflater {
    fn default() -> Self {
        Inflater {
            state: InflateState::new_boxed(DataFormat::Raw),
            ended: false,
        }
    }
}

impl core::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Inflater")
            .field("ended", &self.ended)
            .finish()
    }
}

impl Inflater {
    /// Forget the window (no context takeover, or after an error).
    pub fn reset(&mut self) {
        *self = Inflater::default();
    }

    /// Inflate `input`, appending to `out` but never letting `out` grow beyond `limit` bytes.
    pub fn inflate(&mut self, mut input: &[u8], out: &mut Vec<u8>, limit: usize) -> InflateOutcome {
        if self.ended {
            return InflateOutcome::StreamEnd;
        }
        let mut buf = [0u8; 8192];
        loop {
            let r = inflate(&mut self.state, input, &mut buf, MZFlush::None);
            input = &input[r.bytes_consumed..];
            let room = limit.saturating_sub(out.len());
            if r.bytes_written > room {
                out.extend_from_slice(&buf[..room]);
                return InflateOutcome::LimitReached;
            }
            out.extend_from_slice(&buf[..r.bytes_written]);
            match r.status {
                Ok(MZStatus::StreamEnd) => {
                    self.ended = true;
                    return InflateOutcome::StreamEnd;
                }
                Ok(_) => {
                    if input.is_empty() && r.bytes_written < buf.len() {
                        return InflateOutcome::Ok;
                    }
                    if r.bytes_consumed == 0 && r.bytes_written == 0 {
                        return InflateOutcome::Ok;
                    }
                }
                Err(MZError::Buf) => {
                    if input.is_empty() || (r.bytes_consumed == 0 && r.bytes_written == 0) {
                        return InflateOutcome::Ok;
                    }
                }
                Err(_) => return InflateOutcome::Failed,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_typical_response() {
        let p = parse_extensions(
            "permessage-deflate; client_max_window_bits=10; server_no_context_takeover",
        )
        .unwrap()
        .unwrap();
        assert_eq!(p.client_max_window_bits, Some(10));
        assert!(p.server_no_context_takeover && !p.client_no_context_takeover);
        assert_eq!(parse_extensions("").unwrap(), None);
        assert_eq!(
            parse_extensions("permessage-deflate; server_max_window_bits=\"8\"")
                .unwrap()
                .unwrap()
                .server_max_window_bits,
            Some(8)
        );
    }

    #[test]
    fn rejects_bad_responses() {
        for bad in [
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate, permessage-deflate",
            "x-webkit-deflate-frame",
        ] {
            assert!(parse_extensions(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc7692_7_2_3_1_hello_inflates() {
        let mut i = Inflater::default();
        let mut out = Vec::new();
        let o = i.inflate(
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0, 0, 0xff, 0xff],
            &mut out,
            100,
        );
        assert_eq!((o, out.as_slice()), (InflateOutcome::Ok, &b"Hello"[..]));
    }

    #[test]
    fn limit_cuts_output() {
        // 000ffff0 is a stored block of 65535 bytes? Use a repeated-zero bomb from a tiny input:
        // compress "aaaa..." by hand is hard, so use a stored block and a small limit.
        let mut data = vec![0x00, 0x05, 0x00, 0xfa, 0xff];
        data.extend_from_slice(b"Hello");
        let mut out = Vec::new();
        let o = Inflater::default().inflate(&data, &mut out, 3);
        assert_eq!(
            (o, out.as_slice()),
            (InflateOutcome::LimitReached, &b"Hel"[..])
        );
    }
}
