//! Capture files (pcap, pcapng) through IP defragmentation, TCP reassembly and the sessions.
//! Invariants: no panic; the events are the same whatever the chunk size the file is fed in.
//! (Bounded memory is checked by the capture crate's tests with a counting allocator; here
//! libFuzzer's -rss_limit_mb catches growth.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent};

fn read(file: &[u8], chunk: usize) -> (Vec<CaptureEvent>, Option<String>) {
    let mut c = Capture::new(CaptureConfig {
        max_out_of_order: 1 << 16,
        max_fragment_bytes: 1 << 16,
        ..CaptureConfig::default()
    });
    let mut out = Vec::new();
    for part in file.chunks(chunk) {
        if let Err(e) = c.feed(part) {
            out.extend(std::iter::from_fn(|| c.poll_event()));
            return (out, Some(format!("{e:?}")));
        }
        out.extend(std::iter::from_fn(|| c.poll_event()));
    }
    let end = c.finish().err().map(|e| format!("{e:?}"));
    out.extend(std::iter::from_fn(|| c.poll_event()));
    (out, end)
}

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, file)) = data.split_first() else {
        return;
    };
    let whole = read(file, usize::MAX);
    let chunked = read(file, 1 + usize::from(chunk));
    let at = whole.0.iter().zip(&chunked.0).position(|(a, b)| a != b);
    assert!(
        whole == chunked,
        "chunks of {} changed the result at {at:?}: {:?} vs {:?}; {} vs {} events; ends {:?} vs {:?}",
        1 + chunk,
        at.map(|i| &whole.0[i]),
        at.map(|i| &chunked.0[i]),
        whole.0.len(),
        chunked.0.len(),
        whole.1,
        chunked.1
    );
});
