//! Open wire enums: [`OpCode`] and [`CloseCode`] are newtypes over the wire value with named
//! constants, each generated with its registered name from one table, and a fallback for every
//! other value (nothing a peer sends is unrepresentable).

use serde::Serialize;

macro_rules! open_enum {
    (
        $(#[$m:meta])* $name:ident($repr:ty) {
            $( $(#[$cm:meta])* $konst:ident = $val:expr, $label:expr; )*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub $repr);

        impl $name {
            $( $(#[$cm])* pub const $konst: $name = $name($val); )*

            /// Every registered value with its name: the one table the constants come from.
            pub const REGISTERED: &'static [($name, &'static str)] = &[ $( ($name($val), $label), )* ];

            /// The registered name, or `None` for an unregistered value.
            pub fn name(self) -> Option<&'static str> {
                Self::REGISTERED.iter().find(|(c, _)| *c == self).map(|(_, n)| *n)
            }
        }
    };
}

open_enum! {
    /// A frame opcode (RFC 6455 §5.2, §11.8); only the low 4 bits exist on the wire.
    OpCode(u8) {
        /// 0x0: continues the current fragmented message.
        CONTINUATION = 0x0, "continuation";
        /// 0x1: the first frame of a UTF-8 text message.
        TEXT = 0x1, "text";
        /// 0x2: the first frame of a binary message.
        BINARY = 0x2, "binary";
        /// 0x8: Close.
        CLOSE = 0x8, "close";
        /// 0x9: Ping.
        PING = 0x9, "ping";
        /// 0xA: Pong.
        PONG = 0xA, "pong";
    }
}

impl OpCode {
    /// Control frames have the high bit of the opcode set (0x8-0xF).
    pub fn is_control(self) -> bool {
        self.0 & 0x8 != 0
    }
    /// Text or binary: the opcodes that start a data message.
    pub fn starts_message(self) -> bool {
        self == Self::TEXT || self == Self::BINARY
    }
    /// Not registered (0x3-0x7 and 0xB-0xF).
    pub fn is_reserved(self) -> bool {
        self.name().is_none()
    }
    /// The name, or `"reserved"`.
    pub fn label(self) -> &'static str {
        self.name().unwrap_or("reserved")
    }
}

impl core::str::FromStr for OpCode {
    type Err = crate::wire::ParseError;

    /// A registered name in any case (`text`, `Ping`), or a number 0-15 in decimal (`9`) or
    /// hex (`0x9`, `0xA`): reserved opcodes are accepted, since the encoder builds wrong frames
    /// on purpose.
    ///
    /// ```
    /// use wsinspect_core::wire::codes::OpCode;
    /// assert_eq!("pong".parse(), Ok(OpCode::PONG));
    /// assert_eq!("0xA".parse(), Ok(OpCode::PONG));
    /// assert_eq!("3".parse(), Ok(OpCode(3)));
    /// assert!("16".parse::<OpCode>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some((op, _)) = Self::REGISTERED
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(s))
        {
            return Ok(*op);
        }
        let n = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
            Some(hex) => u8::from_str_radix(hex, 16),
            None => s.parse::<u8>(),
        };
        match n {
            Ok(n @ 0..=15) => Ok(OpCode(n)),
            _ => Err(crate::wire::ParseError::OpCode { text: s.into() }),
        }
    }
}

open_enum! {
    /// A Close frame status code (RFC 6455 §7.4, IANA "WebSocket Close Code Number Registry").
    CloseCode(u16) {
        /// The purpose of the connection has been fulfilled.
        NORMAL = 1000, "normal closure";
        /// The endpoint is going away (server shutdown, page navigation).
        GOING_AWAY = 1001, "going away";
        /// The peer broke the protocol.
        PROTOCOL_ERROR = 1002, "protocol error";
        /// The endpoint cannot accept this type of data.
        UNSUPPORTED_DATA = 1003, "unsupported data";
        /// Reserved; must not be sent.
        RESERVED = 1004, "reserved";
        /// No status code was present; must not be sent.
        NO_STATUS_RECEIVED = 1005, "no status received";
        /// The connection closed without a Close frame; must not be sent.
        ABNORMAL_CLOSURE = 1006, "abnormal closure";
        /// The message data did not match its type (e.g. invalid UTF-8 in text).
        INVALID_PAYLOAD = 1007, "invalid frame payload data";
        /// A message violated the endpoint's policy.
        POLICY_VIOLATION = 1008, "policy violation";
        /// A message was too big to process.
        MESSAGE_TOO_BIG = 1009, "message too big";
        /// The client expected the server to negotiate an extension.
        MANDATORY_EXTENSION = 1010, "mandatory extension";
        /// The server hit an unexpected condition.
        INTERNAL_ERROR = 1011, "internal error";
        /// The service is restarting.
        SERVICE_RESTART = 1012, "service restart";
        /// Temporary condition: try again later.
        TRY_AGAIN_LATER = 1013, "try again later";
        /// A gateway received an invalid response upstream.
        BAD_GATEWAY = 1014, "bad gateway";
        /// The TLS handshake failed; must not be sent.
        TLS_HANDSHAKE = 1015, "TLS handshake";
    }
}

/// Whether a close code may appear in a Close frame (RFC 6455 §7.4.1, §7.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseCodeUse {
    /// May be sent.
    Valid,
    /// Registered, but only for reporting locally: must not be sent (1004, 1005, 1006, 1015).
    MustNotBeSent,
    /// Not a code that can appear on the wire (0-999, 1016-2999, 5000+).
    Invalid,
}

impl CloseCode {
    /// The registered name, or a description of the range the code falls in.
    pub fn describe(self) -> &'static str {
        if let Some(n) = self.name() {
            return n;
        }
        match self.0 {
            3000..=3999 => "registered for libraries/frameworks (IANA)",
            4000..=4999 => "private use",
            1016..=2999 => "reserved for the protocol (unassigned)",
            _ => "invalid",
        }
    }

    /// Whether this code may be sent in a Close frame.
    pub fn usage(self) -> CloseCodeUse {
        match self.0 {
            1004 | 1005 | 1006 | 1015 => CloseCodeUse::MustNotBeSent,
            1000..=1014 | 3000..=4999 => CloseCodeUse::Valid,
            _ => CloseCodeUse::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_iana_code_1000_to_1015_is_named() {
        for c in 1000..=1015 {
            assert!(CloseCode(c).name().is_some(), "{c}");
        }
        assert_eq!(CloseCode(1016).name(), None);
        assert_eq!(CloseCode::NORMAL.describe(), "normal closure");
        assert_eq!(
            CloseCode(3001).describe(),
            "registered for libraries/frameworks (IANA)"
        );
        assert_eq!(CloseCode(4999).describe(), "private use");
    }

    #[test]
    fn close_code_usage_follows_rfc6455_7_4() {
        assert_eq!(CloseCode(999).usage(), CloseCodeUse::Invalid);
        assert_eq!(CloseCode(1000).usage(), CloseCodeUse::Valid);
        for c in [1004, 1005, 1006, 1015] {
            assert_eq!(CloseCode(c).usage(), CloseCodeUse::MustNotBeSent);
        }
        assert_eq!(CloseCode(1016).usage(), CloseCodeUse::Invalid);
        assert_eq!(CloseCode(2999).usage(), CloseCodeUse::Invalid);
        assert_eq!(CloseCode(3000).usage(), CloseCodeUse::Valid);
        assert_eq!(CloseCode(4999).usage(), CloseCodeUse::Valid);
        assert_eq!(CloseCode(5000).usage(), CloseCodeUse::Invalid);
    }

    #[test]
    fn opcodes_read_from_names_and_numbers() {
        for (text, op) in [
            ("continuation", OpCode::CONTINUATION),
            ("TEXT", OpCode::TEXT),
            ("binary", OpCode::BINARY),
            ("close", OpCode::CLOSE),
            ("ping", OpCode::PING),
            ("pong", OpCode::PONG),
            ("1", OpCode::TEXT),
            ("0x1", OpCode::TEXT),
            ("0XF", OpCode(15)),
            ("10", OpCode::PONG),
        ] {
            assert_eq!(text.parse(), Ok(op), "{text}");
        }
        for bad in ["", "txt", "16", "0x10", "-1", "0x"] {
            let e = bad.parse::<OpCode>().unwrap_err();
            assert!(e.to_string().contains("0-15"), "{bad}: {e}");
        }
    }

    #[test]
    fn opcodes() {
        assert_eq!(OpCode::TEXT.name(), Some("text"));
        assert!(OpCode(0xB).is_reserved() && OpCode(0xB).is_control());
        assert!(OpCode(3).is_reserved() && !OpCode(3).is_control());
    }
}
