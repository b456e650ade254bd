//! Inflating permessage-deflate messages: wsinspect's `Inflater` against flate2 (zlib) and
//! against miniz_oxide, the engine the `Inflater` drives.
//!
//! One stream of JSON-like text messages is compressed per window size with zlib (through
//! flate2) at that window, with context takeover: each message ends with a sync flush whose
//! `00 00 ff ff` is cut off, as RFC 7692 §7.2.1 sends it. Every contender inflates all messages
//! in order, appending the tail again to each (§7.2.2). Throughput: inflated bytes.
//!
//! - `inflate_wNN/wsinspect`: `Inflater::new(NN, false)`, which also checks every distance
//!   against the NN-bit window.
//! - `inflate_wNN/flate2`: `Decompress::new_with_window_bits(false, NN)` (zlib), which rejects
//!   distances beyond its window too.
//! - `inflate_wNN/miniz_oxide`: its streaming `InflateState` (always a 32 KiB window, so no
//!   window check): the cost of the engine alone.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZFlush, MZStatus};
use wsinspect_bench::api::{InflateOutcome, Inflater};
use wsinspect_bench::{json_messages, measuring};

const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Each message compressed in turn by one compressor with an LZ77 window of `bits`, its
/// trailing `00 00 ff ff` removed.
fn compress(msgs: &[Vec<u8>], bits: u8) -> Vec<Vec<u8>> {
    let mut c = Compress::new_with_window_bits(Compression::default(), false, bits);
    msgs.iter()
        .map(|m| {
            let mut out = Vec::with_capacity(m.len() + 64);
            let before = c.total_in();
            loop {
                let used = (c.total_in() - before) as usize;
                out.reserve(256);
                c.compress_vec(&m[used..], &mut out, FlushCompress::Sync)
                    .expect("compress");
                if (c.total_in() - before) as usize == m.len() && out.ends_with(&TAIL) {
                    break;
                }
            }
            out.truncate(out.len() - TAIL.len());
            out
        })
        .collect()
}

fn wsinspect(parts: &[Vec<u8>], bits: u8, out: &mut Vec<u8>) -> usize {
    let mut inf = Inflater::new(bits, false);
    let mut total = 0;
    for p in parts {
        out.clear();
        assert_eq!(inf.inflate(p, out, usize::MAX), InflateOutcome::Ok);
        assert_eq!(inf.inflate(&TAIL, out, usize::MAX), InflateOutcome::Ok);
        inf.end_message();
        total += black_box(&out).len();
    }
    total
}

fn flate2(parts: &[Vec<u8>], bits: u8, out: &mut Vec<u8>) -> usize {
    let mut d = Decompress::new_with_window_bits(false, bits);
    let mut total = 0;
    for p in parts {
        out.clear();
        for input in [p.as_slice(), &TAIL] {
            let before = d.total_in();
            loop {
                let used = (d.total_in() - before) as usize;
                if out.capacity() - out.len() < 4096 {
                    out.reserve(out.capacity().max(4096));
                }
                let s = d
                    .decompress_vec(&input[used..], out, FlushDecompress::Sync)
                    .expect("inflate");
                assert_eq!(s, Status::Ok);
                // Done when all input is in and the output had room to spare.
                if (d.total_in() - before) as usize == input.len() && out.len() < out.capacity() {
                    break;
                }
            }
        }
        total += black_box(&out).len();
    }
    total
}

fn miniz(parts: &[Vec<u8>], out: &mut Vec<u8>) -> usize {
    let mut st = InflateState::new_boxed(DataFormat::Raw);
    let mut buf = [0u8; 32 << 10];
    let mut total = 0;
    for p in parts {
        out.clear();
        for mut input in [p.as_slice(), &TAIL] {
            loop {
                let r = inflate(&mut st, input, &mut buf, MZFlush::Sync);
                out.extend_from_slice(&buf[..r.bytes_written]);
                input = &input[r.bytes_consumed..];
                match r.status {
                    Ok(MZStatus::Ok) if input.is_empty() && r.bytes_written < buf.len() => break,
                    Ok(MZStatus::Ok) => {}
                    // Nothing left to do for this input.
                    Err(miniz_oxide::MZError::Buf) if input.is_empty() => break,
                    other => panic!("miniz_oxide: {other:?}"),
                }
            }
        }
        total += black_box(&out).len();
    }
    total
}

fn inflate_windows(c: &mut Criterion) {
    let total = if measuring() { 2 << 20 } else { 64 << 10 };
    let msgs = json_messages(total, 4);
    let plain: usize = msgs.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(64 << 10);
    for bits in [15u8, 12, 10, 9] {
        let parts = compress(&msgs, bits);
        assert_eq!(wsinspect(&parts, bits, &mut out), plain);
        assert_eq!(flate2(&parts, bits, &mut out), plain);
        assert_eq!(miniz(&parts, &mut out), plain);
        let mut g = c.benchmark_group(format!("inflate_w{bits:02}"));
        g.throughput(Throughput::Bytes(plain as u64));
        g.bench_function("wsinspect", |b| {
            b.iter(|| wsinspect(black_box(&parts), bits, &mut out))
        });
        g.bench_function("flate2", |b| {
            b.iter(|| flate2(black_box(&parts), bits, &mut out))
        });
        g.bench_function("miniz_oxide", |b| {
            b.iter(|| miniz(black_box(&parts), &mut out))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(20);
    targets = inflate_windows
}
criterion_main!(benches);
