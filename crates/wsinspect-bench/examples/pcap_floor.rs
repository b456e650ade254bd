//! The floor under issue 10's "within 2x of reading the file" target: what any decoder that
//! checks a capture's compressed messages must spend inflating them, against reading the file
//! into memory, both measured in this run (median of five).
//!
//! ```text
//! python3 crates/wsinspect-bench/scripts/big_pcap.py tests/data/pcap/echo.pcap /tmp/big.pcap 100000000
//! cargo run --release -p wsinspect-bench --example pcap_floor -- /tmp/big.pcap
//! ```
//!
//! - read: `std::fs::read` of the file (from the page cache after the first of five).
//! - zlib: flate2's zlib inflating every permessage-deflate message of the file (found by
//!   wsinspect-capture, outside the timing), one inflater per connection direction as context
//!   takeover needs, each text message's UTF-8 checked, as a summary's findings need.
//! - plain UTF-8: checking the uncompressed text frames.
/// Each connection direction's compressed messages: the raw DEFLATE data (with the sync
/// flush's tail put back) and whether it is text.
type Messages = std::collections::HashMap<(u64, u8), Vec<(Vec<u8>, bool)>>;

fn main() {
    use std::collections::HashMap;
    use std::time::Instant;
    use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent};
    use wsinspect_core::session::EventKind;
    let path = std::env::args().nth(1).expect("FILE");
    let mut reads = vec![];
    let mut data = vec![];
    for _ in 0..5 {
        let t = Instant::now();
        data = std::fs::read(&path).unwrap();
        reads.push(t.elapsed().as_secs_f64());
    }
    // Collect compressed messages per (connection, direction), and plain text.
    let mut cap = Capture::new(CaptureConfig::default());
    let mut msgs = Messages::new();
    let mut open: HashMap<(u64, u8), Vec<u8>> = HashMap::new();
    let mut plain: Vec<Vec<u8>> = vec![];
    let mut take = |cap: &mut Capture| {
        while let Some(e) = cap.poll_event() {
            if let CaptureEvent::Event { connection, event } = e {
                let key = (connection, event.direction as u8);
                if let EventKind::Frame(f) = &event.kind {
                    if f.compressed {
                        open.entry(key)
                            .or_default()
                            .extend_from_slice(&f.payload.kept.0);
                        if f.header.fin {
                            let mut m = open.remove(&key).unwrap();
                            m.extend_from_slice(&[0, 0, 0xff, 0xff]);
                            msgs.entry(key).or_default().push((m, f.is_text));
                        }
                    } else if f.is_text {
                        plain.push(f.payload.kept.0.clone());
                    }
                }
            }
        }
    };
    for c in data.chunks(1 << 20) {
        cap.feed(c).unwrap();
        take(&mut cap);
    }
    cap.finish().unwrap();
    take(&mut cap);
    let mut dirs: Vec<_> = msgs.into_values().collect();
    dirs.sort_by_key(|d| d.len());
    let n: usize = dirs.iter().map(Vec::len).sum();
    let mut infl = vec![];
    let mut out_total = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let mut out = vec![0u8; 1 << 20];
        let mut total = 0usize;
        for d in &dirs {
            let mut z = flate2::Decompress::new(false);
            for (m, text) in d {
                let before = z.total_out();
                z.decompress(m, &mut out, flate2::FlushDecompress::Sync)
                    .unwrap();
                let got = (z.total_out() - before) as usize;
                assert!(!text || std::str::from_utf8(&out[..got]).is_ok());
                total += got;
            }
        }
        infl.push(t.elapsed().as_secs_f64());
        out_total = total;
    }
    let mut utf = vec![];
    for _ in 0..5 {
        let t = Instant::now();
        let ok = plain.iter().all(|p| std::str::from_utf8(p).is_ok());
        assert!(ok);
        utf.push(t.elapsed().as_secs_f64());
    }
    // The median of five.
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (r, i, u) = (med(&mut reads), med(&mut infl), med(&mut utf));
    println!("file {} bytes; {} compressed messages in {} directions, {} bytes inflated; {} plain text frames", data.len(), n, dirs.len(), out_total, plain.len());
    println!(
        "read {r:.3} s; zlib inflate+utf8 {i:.3} s ({:.2}x read); plain utf8 {u:.3} s",
        i / r
    );
}
