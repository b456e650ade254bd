//! One direction of a WebSocket connection (RFC 6455 §5, §7.4; RFC 7692): the [`Reader`]
//! state machine that turns bytes into frame and message events, and the [`Collector`] that
//! builds a whole [`StreamReport`] (what `wsinspect decode --json` prints) from those events.
//!
//! Feed chunks of any size: every decision is taken when a header or a frame is complete, so
//! the events are the same whatever the chunking. The reader's memory is bounded per direction
//! (see [`reader`]); what the events keep of the payloads is the consumer's choice ([`Keep`]).

use serde::{Deserialize, Serialize};

use crate::ext::deflate::deflate_for_decoding;
pub use crate::ext::deflate::ExtensionError;
use crate::ext::Deflate;
use crate::finding::{Finding, Rule};
use crate::wire::codes::{CloseCode, CloseCodeUse};

pub mod boundary;
pub mod event;
pub mod reader;
pub mod report;
pub mod utf8;

pub use crate::common::hex;
pub use event::{
    CloseInfo, FrameEvent, Incomplete, Inflate, Keep, MessageEvent, Payload, StreamEvent,
};
pub use reader::{Budget, Reader, Retain};
pub use report::{decode_all, Collector, Decoder, FrameReport, MessageReport, StreamReport};

/// The default bound on one inflated message: 64 MiB.
pub const DEFAULT_MAX_INFLATED: usize = 64 << 20;

/// The default bound on what the reader holds of one message or frame that it must see whole
/// (a compressed frame's data, a control frame's body): 64 MiB.
pub const DEFAULT_MAX_MESSAGE: usize = 64 << 20;

/// The default inflate budget of a session: 128 MiB, twice the per-message limit.
pub const DEFAULT_INFLATE_BUDGET: u64 = 128 << 20;

/// What the handshake negotiated, and limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodeConfig {
    /// permessage-deflate parameters per direction, when negotiated.
    pub deflate: Option<Deflate>,
    /// The most bytes one message may inflate to before decompression stops with a finding.
    pub max_inflated: usize,
    /// The most bytes held of one frame that must be read whole (see [`DEFAULT_MAX_MESSAGE`]).
    pub max_message: usize,
    /// The most bytes a whole session (both directions) may inflate to, so that many small
    /// bombs cannot get around `max_inflated` (see [`DEFAULT_INFLATE_BUDGET`]).
    pub inflate_budget: u64,
}

impl Default for DecodeConfig {
    fn default() -> Self {
        DecodeConfig {
            deflate: None,
            max_inflated: DEFAULT_MAX_INFLATED,
            max_message: DEFAULT_MAX_MESSAGE,
            inflate_budget: DEFAULT_INFLATE_BUDGET,
        }
    }
}

impl DecodeConfig {
    /// The configuration for a `Sec-WebSocket-Extensions` *response* value (`""` = none).
    ///
    /// ```
    /// use wsinspect_core::stream::DecodeConfig;
    /// let c = DecodeConfig::from_extensions("permessage-deflate; server_no_context_takeover").unwrap();
    /// assert!(c.deflate.unwrap().server.no_context_takeover);
    /// ```
    pub fn from_extensions(value: &str) -> Result<DecodeConfig, ExtensionError> {
        Ok(DecodeConfig {
            deflate: deflate_for_decoding(value)?,
            ..DecodeConfig::default()
        })
    }
}

/// Parse a Close body (RFC 6455 §5.5.1, §7.4).
pub(crate) fn close_body(payload: &[u8], index: usize, findings: &mut Vec<Finding>) -> CloseInfo {
    match payload {
        [] => CloseInfo {
            code: None,
            name: None,
            reason: None,
        },
        [_] => {
            findings.push(Finding::new(Rule::ClosePayloadTooShort, index));
            CloseInfo {
                code: None,
                name: None,
                reason: None,
            }
        }
        [a, b, rest @ ..] => {
            let code = CloseCode(u16::from_be_bytes([*a, *b]));
            match code.usage() {
                CloseCodeUse::Valid => {}
                CloseCodeUse::MustNotBeSent => {
                    findings.push(Finding::new(Rule::InvalidCloseCode, index).with_message(format!(
                        "Close code {} ({}) is only for reporting locally and must not be sent in a Close frame.",
                        code.0,
                        code.describe()
                    )))
                }
                CloseCodeUse::Invalid => {
                    findings.push(Finding::new(Rule::InvalidCloseCode, index).with_message(format!(
                        "Close code {} is not in a range that may be sent (1000-1003, 1007-1014, 3000-4999).",
                        code.0
                    )))
                }
            }
            let reason = match core::str::from_utf8(rest) {
                Ok(s) => Some(s.to_string()),
                Err(_) => {
                    findings.push(Finding::new(Rule::InvalidUtf8, index).with_message(
                        "The close reason must be valid UTF-8, and these bytes are not.",
                    ));
                    None
                }
            };
            CloseInfo {
                code: Some(code.0),
                name: Some(code.describe()),
                reason,
            }
        }
    }
}
