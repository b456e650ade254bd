//! Telling handshake text from frame bytes by their first line.

/// True when `bytes` begin (after blank space) like an HTTP/1 request or response line, or
/// HTTP/2 pseudo-header text: input to read as handshake text rather than as a byte notation.
pub fn starts_like_handshake(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    if rest.starts_with(b"HTTP/") || rest.starts_with(b":method") || rest.starts_with(b":status") {
        return true;
    }
    // METHOD SP target SP HTTP/x.y: an upper-case token, then " HTTP/" later on the line.
    let method_len = line.iter().take_while(|b| b.is_ascii_uppercase()).count();
    method_len > 0 && line.get(method_len) == Some(&b' ') && line.windows(6).any(|w| w == b" HTTP/")
}
