//! The handshake analysis on arbitrary bytes (after a few starts that reach deep into it).
//! Invariants: no panic; the text and JSON forms build; the frames it finds after the heads lie
//! inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect_core::handshake::analyze;

const PREFIXES: &[&str] = &[
    "",
    "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n",
    ":method: CONNECT\n:protocol: websocket\n",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut input = PREFIXES[usize::from(which) % PREFIXES.len()].as_bytes().to_vec();
    input.extend_from_slice(rest);
    let r = analyze(&input);
    let _ = r.to_text();
    serde_json::to_string(&r).unwrap();
    if let Some(f) = &r.split.frames {
        assert!(f.offset + f.len <= input.len());
    }
});
