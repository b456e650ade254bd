//! One frame, with no state across frames (RFC 6455 §5.2): opcodes and close codes, the
//! declarative header field table, the payload-length rule, header decoding with exact spans,
//! unmasking and the encoder.

pub mod codes;
pub mod encode;
pub mod field;
pub mod header;
pub mod length;
pub mod mask;
