//! Findings: what is wrong with a stream, from one table of rules.
//!
//! The decoder never refuses input; it attaches a [`Finding`] to the frame where a violation
//! became certain and keeps going. Every finding comes from a [`Rule`] in [`RULES`].

use serde::Serialize;

use crate::wire::codes::CloseCode;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A violation: a conforming peer would fail the connection.
    Error,
    /// Suspicious or discouraged, but a peer may carry on.
    Warning,
    /// Worth knowing.
    Note,
}

impl Severity {
    /// `error`, `warning` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One rule: a stable code and everything said about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable identifier (used in JSON, tests and docs).
    pub code: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// The RFC section the rule comes from.
    pub rfc: &'static str,
    /// One sentence for a learner.
    pub message: &'static str,
    /// The status code a conforming peer would close the connection with, if it would.
    pub close_code: Option<CloseCode>,
}

macro_rules! rules {
    ($( $code:literal, $sev:ident, $rfc:expr, $close:expr, $msg:literal; )*) => {
        /// Every rule the decoder checks.
        pub static RULES: &[Rule] = &[ $( Rule {
            code: $code, severity: Severity::$sev, rfc: $rfc, message: $msg, close_code: $close,
        }, )* ];
    };
}

const PE: Option<CloseCode> = Some(CloseCode::PROTOCOL_ERROR);
/// The section of the rules that are limits of this tool, not of the protocol.
const OURS: &str = "a limit of wsinspect, not a protocol rule";

rules! {
    "reserved-bits", Error, "RFC 6455 §5.2", PE,
        "An RSV bit is set that no negotiated extension allows here, so the receiver must fail the connection.";
    "reserved-opcode", Error, "RFC 6455 §5.2", PE,
        "This opcode is reserved for future use; a receiver must fail the connection when it sees one.";
    "fragmented-control", Error, "RFC 6455 §5.5", PE,
        "Control frames (close, ping, pong) must not be fragmented, so FIN must be 1.";
    "control-too-long", Error, "RFC 6455 §5.5", PE,
        "Control frames must have a payload of 125 bytes or less.";
    "unexpected-continuation", Error, "RFC 6455 §5.4", PE,
        "A continuation frame arrived but no fragmented message was in progress.";
    "expected-continuation", Error, "RFC 6455 §5.4", PE,
        "A new text or binary message started before the previous fragmented message was finished; only continuation (and control) frames may come until FIN.";
    "invalid-utf8", Error, "RFC 6455 §5.6, §8.1", Some(CloseCode::INVALID_PAYLOAD),
        "Text messages and close reasons must be valid UTF-8, and these bytes cannot be.";
    "invalid-close-code", Error, "RFC 6455 §7.4.1, §7.4.2", PE,
        "This close status code must not be sent in a Close frame.";
    "close-payload-too-short", Error, "RFC 6455 §5.5.1", PE,
        "A Close frame body is either empty or starts with a 2-byte status code; 1 byte is neither.";
    "unmasked-client-frame", Error, "RFC 6455 §5.1, §5.3", PE,
        "A client must mask every frame it sends to the server, and this one is not masked.";
    "masked-server-frame", Error, "RFC 6455 §5.1", PE,
        "A server must not mask the frames it sends to the client, and this one is masked.";
    "frame-after-close", Error, "RFC 6455 §5.5.1", PE,
        "This side already sent a Close frame, after which it must not send any more data frames.";
    "length-not-minimal", Error, "RFC 6455 §5.2", PE,
        "The payload length must be encoded in the fewest bytes possible, and a shorter length form would fit.";
    "length-msb-set", Error, "RFC 6455 §5.2", PE,
        "The most significant bit of a 64-bit payload length must be 0.";
    "inflate-failed", Error, "RFC 7692 §6.2", Some(CloseCode::INVALID_PAYLOAD),
        "The compressed message could not be decompressed as raw DEFLATE data.";
    "inflate-limit", Error, "RFC 7692 §8.1", Some(CloseCode::MESSAGE_TOO_BIG),
        "The decompressed message grew beyond the configured limit, so decompression stopped (a possible decompression bomb).";
    "inflate-budget", Note, OURS, None,
        "The inflate budget for this connection is spent, so this and later compressed messages are not decompressed; raise the budget to see them (this is our limit, not the sender's fault).";
    "message-limit", Note, OURS, None,
        "A message or frame is larger than the most we hold of one message, so only its start is kept, or (for a compressed or control frame) it was not decompressed or parsed; raise the limit to see it.";
    "no-handshake", Note, "the capture, not a protocol rule", None,
        "This direction does not start with an HTTP handshake (the capture began after it), so its frames are read with no extension negotiated unless one was given.";
    "handshake-limit", Note, OURS, None,
        "The HTTP head (or the bytes waiting for the answer to it) grew beyond what we hold, so what follows is counted, not decoded.";
    "bytes-lost", Note, "the capture, not a protocol rule", None,
        "Bytes of this direction were not captured, so what they held cannot be checked.";
}

impl Rule {
    /// Whether the rule is the protocol's (an RFC section), not a limit of ours or of the
    /// capture.
    pub fn is_protocol_rule(&self) -> bool {
        self.rfc.starts_with("RFC")
    }
}

/// The rule with this code.
pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code == code)
}

/// A violation found in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's code.
    pub code: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// The RFC section.
    pub rfc: &'static str,
    /// One sentence for a learner.
    pub message: String,
    /// The index of the frame where the violation became certain.
    #[serde(skip)]
    pub frame: usize,
}

impl Finding {
    /// A finding for rule `code` at frame `frame`, with the rule's own message.
    ///
    /// # Panics
    /// If `code` is not in [`RULES`] (a bug in this crate, caught by its tests).
    pub fn new(code: &'static str, frame: usize) -> Finding {
        let r = rule(code).unwrap_or_else(|| panic!("no rule {code}"));
        Finding {
            code: r.code,
            severity: r.severity,
            rfc: r.rfc,
            message: r.message.to_string(),
            frame,
        }
    }

    /// Replace the message with a more specific sentence.
    pub fn with_message(mut self, message: impl Into<String>) -> Finding {
        self.message = message.into();
        self
    }

    /// Override the rule's severity.
    pub fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_the_issue_list_is_complete() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert_ne!(a.code, b.code);
            }
        }
        for code in [
            "reserved-bits",
            "reserved-opcode",
            "fragmented-control",
            "control-too-long",
            "unexpected-continuation",
            "expected-continuation",
            "invalid-utf8",
            "invalid-close-code",
            "close-payload-too-short",
            "unmasked-client-frame",
            "masked-server-frame",
            "frame-after-close",
            "length-not-minimal",
            "length-msb-set",
            "inflate-failed",
            "inflate-limit",
            "inflate-budget",
            "message-limit",
            "bytes-lost",
            "no-handshake",
            "handshake-limit",
        ] {
            assert!(rule(code).is_some(), "{code}");
        }
        assert_eq!(RULES.len(), 21);
    }

    #[test]
    fn messages_are_one_sentence() {
        for r in RULES {
            assert!(r.message.ends_with('.'), "{}", r.code);
            assert_eq!(r.message.matches(". ").count(), 0, "{}", r.code);
        }
    }
}
