//! No panic, no hang and output bounded by the input, whatever is pasted: property tests of the
//! entry points the CLI and the page call with untrusted input.

use proptest::prelude::*;
use wsinspect_core::handshake::analyze;
use wsinspect_core::inspect::notation::{parse_input, Format};
use wsinspect_core::inspect::{inspect, InspectOptions};
use wsinspect_core::Direction;

const FORMATS: [Format; 4] = [Format::Auto, Format::Hex, Format::Base64, Format::Raw];

/// Starts that steer the input into each reader: handshake text, HTTP/2 pseudo-headers, hex.
const PREFIXES: &[&str] = &[
    "",
    "GET / HTTP/1.1\r\n",
    "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=8; server_no_context_takeover\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Extensions: ",
    ":method: CONNECT\n:protocol: websocket\n",
    "0x",
    "81 ",
    "base64:",
];

fn options(format: usize, dir: usize, deflate: bool) -> InspectOptions {
    InspectOptions {
        format: FORMATS[format % 4],
        direction: [Direction::Client, Direction::Server, Direction::Unknown][dir % 3],
        extensions: deflate.then(|| "permessage-deflate; server_max_window_bits=9".into()),
        ..InspectOptions::default()
    }
}

/// What one inspection holds is bounded by its input: bytes read, frames and inflated output
/// (the inflated output is bounded by `max_inflated`, set low here).
fn check_inspect(input: &[u8], opts: &InspectOptions) -> Result<(), TestCaseError> {
    if let Ok(i) = inspect(input, opts) {
        prop_assert!(i.bytes.len() <= input.len());
        if let Some(f) = &i.frames {
            prop_assert!(f.frames.len() <= input.len());
            for m in &f.messages {
                prop_assert!(m.inflated.as_ref().map_or(0, Vec::len) <= opts.max_inflated);
            }
            // Reports serialise, as the CLI and the page do.
            serde_json::to_string(f).unwrap();
        }
        if let Some(h) = &i.handshake {
            let _ = h.to_text();
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn inspect_never_panics_on_arbitrary_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        format in 0usize..4, dir in 0usize..3, deflate in any::<bool>(),
    ) {
        let mut opts = options(format, dir, deflate);
        opts.max_inflated = 4096;
        check_inspect(&bytes, &opts)?;
    }

    #[test]
    fn inspect_never_panics_on_http_looking_text(
        prefix in 0..PREFIXES.len(),
        tail in "[ -~\r\n\t\u{80}-\u{10ffff}]{0,300}",
        format in 0usize..4, dir in 0usize..3,
    ) {
        let mut opts = options(format, dir, false);
        opts.max_inflated = 4096;
        let input = format!("{}{tail}", PREFIXES[prefix]);
        check_inspect(input.as_bytes(), &opts)?;
    }

    #[test]
    fn inspect_never_panics_on_hex_ish_text(
        prefix in 0..PREFIXES.len(),
        tail in "([0-9a-fA-F]{1,2}|0x|\\\\x|[ ,:;|\n\r\t]|[g-zG-Z=+/]){0,300}",
        format in 0usize..4, deflate in any::<bool>(),
    ) {
        let mut opts = options(format, 2, deflate);
        opts.max_inflated = 4096;
        let input = format!("{}{tail}", PREFIXES[prefix]);
        check_inspect(input.as_bytes(), &opts)?;
    }

    #[test]
    fn analyze_never_panics_on_arbitrary_bytes(
        prefix in 0..PREFIXES.len(),
        bytes in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut input = PREFIXES[prefix].as_bytes().to_vec();
        input.extend(bytes);
        let r = analyze(&input);
        let _ = r.to_text();
        serde_json::to_string(&r).unwrap();
        if let Some(f) = &r.split.frames {
            prop_assert!(f.offset + f.len <= input.len());
        }
    }

    #[test]
    fn parse_input_never_panics_in_any_format(
        prefix in 0..PREFIXES.len(),
        tail in "[ -~\r\n\t\u{80}-\u{2000}]{0,300}",
        raw in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let mut input = format!("{}{tail}", PREFIXES[prefix]).into_bytes();
        input.extend(raw);
        for f in FORMATS {
            if let Ok(p) = parse_input(&input, f) {
                prop_assert!(p.bytes.len() <= input.len());
            }
        }
    }
}
