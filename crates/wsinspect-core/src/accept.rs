//! Sec-WebSocket-Accept (RFC 6455 §1.3 and §4.2.2 step 5.4): base64(SHA-1(key + GUID)).

use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The GUID every server appends to the client's key (RFC 6455 §1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The Sec-WebSocket-Accept value a server must send for `key`, the Sec-WebSocket-Key header
/// value as received (surrounding whitespace is not part of the key, RFC 6455 §4.2.2).
///
/// ```
/// // RFC 6455 §1.3
/// assert_eq!(
///     wsinspect_core::accept::accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/// );
/// ```
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.trim().as_bytes());
    sha.update(GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_section_1_3_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn tutorial_000_example() {
        // ../shared/seeds/000: the `ws` tutorial's worked example.
        assert_eq!(
            accept_key("IHfMdf8a0aQXbwQO1pkGdA=="),
            "aWAY+V/uyz5ILZEoWuWdxjnlb7E="
        );
    }
}
