//! The "paste anything" front door: every notation and direction, with and without
//! permessage-deflate. Invariants: no panic; what is read is no larger than the input; inflated
//! messages stay under the configured limit; reports serialise; decoding in steps of any size
//! (as the page does) gives what decoding at once gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect_core::inspect::notation::Format;
use wsinspect_core::inspect::{inspect, InspectOptions, Job};
use wsinspect_core::Direction;

const FORMATS: [Format; 4] = [Format::Auto, Format::Hex, Format::Base64, Format::Raw];

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, input)) = data.split_first() else {
        return;
    };
    let opts = InspectOptions {
        format: FORMATS[usize::from(knobs & 3)],
        direction: [Direction::Client, Direction::Server, Direction::Unknown][usize::from(knobs >> 2 & 3) % 3],
        extensions: (knobs & 0x10 != 0).then(|| "permessage-deflate; server_max_window_bits=9".into()),
        max_inflated: 1 << 16,
        ..InspectOptions::default()
    };
    let Ok(whole) = inspect(input, &opts) else {
        return;
    };
    assert!(whole.bytes.len() <= input.len());
    let json = |i: &wsinspect_core::inspect::Inspection| {
        i.frames.as_ref().map(|f| serde_json::to_string(f).unwrap())
    };
    if let Some(f) = &whole.frames {
        assert!(f.frames.len() <= input.len());
        for m in &f.messages {
            assert!(m.inflated.as_ref().map_or(0, Vec::len) <= opts.max_inflated);
        }
    }
    if let Some(h) = &whole.handshake {
        let _ = h.to_text();
    }
    // The page's path: the same job in small steps.
    let step = 1 + usize::from(knobs >> 5) * 7;
    let mut job = Job::new(input, &opts).expect("Job::new agrees with inspect");
    while !job.step(step) {}
    let stepped = job.finish();
    assert_eq!(json(&stepped), json(&whole), "steps of {step}");
});
