//! Findings: what is wrong with a stream, from one table of rules.
//!
//! The decoder never refuses input; it attaches a [`Finding`] to the frame where a violation
//! became certain and keeps going. Every finding comes from a [`Rule`], whose name, severity,
//! RFC section, sentence and close code are written once, in [`RULES`].

use serde::Serialize;

use crate::common::ids;
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

/// Everything said about one [`Rule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RuleDef {
    /// The rule (its name is the stable code used in JSON, tests and docs).
    pub rule: Rule,
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
    ($( $var:ident = $code:literal, $sev:ident, $rfc:expr, $close:expr, $msg:literal; )*) => {
        ids! {
            /// What a finding is about: one rule of [`RULES`], named by its stable code.
            pub enum Rule("rule") {
                $( #[doc = $msg] $var = $code, )*
            }
        }

        /// Every rule the decoder checks, in [`Rule`] order.
        pub static RULES: &[RuleDef] = &[ $( RuleDef {
            rule: Rule::$var, severity: Severity::$sev, rfc: $rfc, message: $msg, close_code: $close,
        }, )* ];
    };
}

const PE: Option<CloseCode> = Some(CloseCode::PROTOCOL_ERROR);
/// The section of the rules that are limits of this tool, not of the protocol.
const OURS: &str = "a limit of wsinspect, not a protocol rule";
/// The section of the rules that are facts about a capture, not about the peers.
const CAPTURE: &str = "the capture, not a protocol rule";

rules! {
    ReservedBits = "reserved-bits", Error, "RFC 6455 §5.2", PE,
        "An RSV bit is set that no negotiated extension allows here, so the receiver must fail the connection.";
    ReservedOpcode = "reserved-opcode", Error, "RFC 6455 §5.2", PE,
        "This opcode is reserved for future use; a receiver must fail the connection when it sees one.";
    FragmentedControl = "fragmented-control", Error, "RFC 6455 §5.5", PE,
        "Control frames (close, ping, pong) must not be fragmented, so FIN must be 1.";
    ControlTooLong = "control-too-long", Error, "RFC 6455 §5.5", PE,
        "Control frames must have a payload of 125 bytes or less.";
    UnexpectedContinuation = "unexpected-continuation", Error, "RFC 6455 §5.4", PE,
        "A continuation frame arrived but no fragmented message was in progress.";
    ExpectedContinuation = "expected-continuation", Error, "RFC 6455 §5.4", PE,
        "A new text or binary message started before the previous fragmented message was finished; only continuation (and control) frames may come until FIN.";
    InvalidUtf8 = "invalid-utf8", Error, "RFC 6455 §5.6, §8.1", Some(CloseCode::INVALID_PAYLOAD),
        "Text messages and close reasons must be valid UTF-8, and these bytes cannot be.";
    InvalidCloseCode = "invalid-close-code", Error, "RFC 6455 §7.4.1, §7.4.2", PE,
        "This close status code must not be sent in a Close frame.";
    ClosePayloadTooShort = "close-payload-too-short", Error, "RFC 6455 §5.5.1", PE,
        "A Close frame body is either empty or starts with a 2-byte status code; 1 byte is neither.";
    UnmaskedClientFrame = "unmasked-client-frame", Error, "RFC 6455 §5.1, §5.3", PE,
        "A client must mask every frame it sends to the server, and this one is not masked.";
    MaskedServerFrame = "masked-server-frame", Error, "RFC 6455 §5.1", PE,
        "A server must not mask the frames it sends to the client, and this one is masked.";
    FrameAfterClose = "frame-after-close", Error, "RFC 6455 §5.5.1", PE,
        "This side already sent a Close frame, after which it must not send any more data frames.";
    LengthNotMinimal = "length-not-minimal", Error, "RFC 6455 §5.2", PE,
        "The payload length must be encoded in the fewest bytes possible, and a shorter length form would fit.";
    LengthMsbSet = "length-msb-set", Error, "RFC 6455 §5.2", PE,
        "The most significant bit of a 64-bit payload length must be 0.";
    InflateFailed = "inflate-failed", Error, "RFC 7692 §6.2", Some(CloseCode::INVALID_PAYLOAD),
        "The compressed message could not be decompressed as raw DEFLATE data.";
    InflateLimit = "inflate-limit", Error, "RFC 7692 §8.1", Some(CloseCode::MESSAGE_TOO_BIG),
        "The decompressed message grew beyond the configured limit, so decompression stopped (a possible decompression bomb).";
    InflateBudget = "inflate-budget", Note, OURS, None,
        "The inflate budget for this connection is spent, so this and later compressed messages are not decompressed; raise the budget to see them (this is our limit, not the sender's fault).";
    MessageLimit = "message-limit", Note, OURS, None,
        "A message or frame is larger than the most we hold of one message, so only its start is kept, or (for a compressed or control frame) it was not decompressed or parsed; raise the limit to see it.";
    NoHandshake = "no-handshake", Note, CAPTURE, None,
        "This direction does not start with an HTTP handshake (the capture began after it), so its frames are read with no extension negotiated unless one was given.";
    HandshakeLimit = "handshake-limit", Note, OURS, None,
        "The HTTP head (or the bytes waiting for the answer to it) grew beyond what we hold, so what follows is counted, not decoded.";
    BytesLost = "bytes-lost", Note, CAPTURE, None,
        "Bytes of this direction were not captured, so what they held cannot be checked.";
}

impl Rule {
    /// Everything said about this rule: its row of [`RULES`].
    pub fn def(self) -> &'static RuleDef {
        &RULES[self as usize]
    }
}

impl RuleDef {
    /// Whether the rule is the protocol's (an RFC section), not a limit of ours or a fact
    /// about the capture.
    pub fn is_protocol_rule(&self) -> bool {
        self.rfc.starts_with("RFC")
    }
}

/// A violation found in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule (serialised as its code).
    #[serde(rename = "code")]
    pub rule: Rule,
    /// How bad it is.
    pub severity: Severity,
    /// The RFC section.
    pub rfc: &'static str,
    /// One sentence for a learner.
    pub message: String,
    /// The index of the frame (in its direction) where the violation became certain: the frame
    /// it is about, or for a finding of no frame, the number of frames before it. Serialised, so
    /// that events read back as they were written.
    pub frame: usize,
}

impl Finding {
    /// A finding for `rule` at frame `frame`, with the rule's own severity and message.
    pub fn new(rule: Rule, frame: usize) -> Finding {
        let r = rule.def();
        Finding {
            rule,
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
    fn every_rule_has_its_row_and_the_issue_list_is_complete() {
        assert_eq!(RULES.len(), Rule::ALL.len());
        for (i, r) in Rule::ALL.iter().enumerate() {
            assert_eq!(RULES[i].rule, *r);
            assert_eq!(r.def().rule, *r);
        }
        let codes: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            codes,
            [
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
                "no-handshake",
                "handshake-limit",
                "bytes-lost",
            ]
        );
        assert_eq!("inflate-limit".parse(), Ok(Rule::InflateLimit));
        assert!("inflate-limits".parse::<Rule>().is_err());
    }

    #[test]
    fn messages_are_one_sentence() {
        for r in RULES {
            assert!(r.message.ends_with('.'), "{}", r.rule);
            assert_eq!(r.message.matches(". ").count(), 0, "{}", r.rule);
        }
    }

    #[test]
    fn a_finding_serialises_its_rule_as_the_code() {
        let f = Finding::new(Rule::LengthMsbSet, 3);
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["code"], "length-msb-set");
        assert_eq!(v["rfc"], "RFC 6455 §5.2");
        assert_eq!(f.severity, Severity::Error);
    }
}
