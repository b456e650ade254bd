//! HAR import: arbitrary bytes and JSON. Invariants: no panic; every message of every connection
//! serialises; errors carry a position.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(capture) = wsinspect_capture::har::read(data) {
        for c in &capture.connections {
            serde_json::to_string(&c.messages).unwrap();
            serde_json::to_string(&c.findings).unwrap();
            let _ = c.handshake.to_text();
        }
    }
});
