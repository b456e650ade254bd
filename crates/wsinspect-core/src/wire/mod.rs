//! One frame, with no state across frames (RFC 6455 §5.2): opcodes and close codes, the
//! declarative header field table, the payload-length rule, header decoding with exact spans,
//! unmasking and the encoder; opcodes and masking keys read from text for the encoder's users.

pub mod codes;
pub mod encode;
pub mod field;
pub mod header;
pub mod length;
pub mod mask;

/// Why a text does not name a wire value (an opcode, a masking key): what the encoder's users
/// type into the CLI or the composer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// Neither an opcode name nor a number 0-15.
    OpCode {
        /// The text given.
        text: String,
    },
    /// A masking key character that is neither a hex digit nor a separator.
    MaskKeyChar {
        /// Its 1-based column.
        column: usize,
        /// The character.
        found: char,
    },
    /// A masking key byte written with one hex digit.
    MaskKeyLoneDigit {
        /// The digit's 1-based column.
        column: usize,
    },
    /// A masking key that is not 4 bytes long.
    MaskKeyLength {
        /// How many bytes it has.
        bytes: usize,
    },
}

impl core::fmt::Display for ParseError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ParseError::OpCode { text } => write!(
                f,
                "{text:?} is not an opcode: expected text, binary, close, ping, pong, continuation or a number 0-15 (decimal or 0x hex)"
            ),
            ParseError::MaskKeyChar { column, found } => {
                write!(f, "column {column}: {found:?} is not a hex digit")
            }
            ParseError::MaskKeyLoneDigit { column } => write!(
                f,
                "column {column}: a lone hex digit: every byte needs two digits"
            ),
            ParseError::MaskKeyLength { bytes } => write!(
                f,
                "a masking key is exactly 4 bytes (8 hex digits), not {bytes}"
            ),
        }
    }
}

impl core::error::Error for ParseError {}
