//! Reading masked client frames, and unmasking alone, against tungstenite and memcpy.
//!
//! - `small_frames/*`, `large_frames/*`: the same client stream (payloads of 2-125 bytes, or of
//!   64 KiB) read by wsinspect's decoder (`decode_all`: frames, messages, UTF-8 checks, findings)
//!   and by tungstenite, twice: `tungstenite_frames` is its frame parser (`FrameHeader::parse`
//!   over the buffer, the payload copied out and unmasked the way tungstenite unmasks),
//!   `tungstenite_ws` is a server-role `WebSocket` reading messages (its own codec and
//!   unmasking, UTF-8 validation of text). Throughput: input bytes.
//! - `unmask_*/*`: `apply_mask` against a plain copy of the same size.

use std::hint::black_box;
use std::io::{Cursor, Read, Write};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use std::collections::VecDeque;
use tungstenite::protocol::frame::FrameHeader;
use tungstenite::protocol::{Role, WebSocket};

use wsinspect_bench::api::{
    apply_mask, decode_all, Budget, DecodeConfig, Direction, Reader, Retain,
};
use wsinspect_bench::{masked_client_frames, measuring};

/// tungstenite's unmasking (`protocol::frame::mask::apply_mask_fast32`, private there): 32-bit
/// words XORed with the key, here without its `align_to_mut`, which safe code cannot do.
fn tungstenite_unmask(buf: &mut [u8], key: [u8; 4]) {
    let word = u32::from_ne_bytes(key);
    let mut chunks = buf.chunks_exact_mut(4);
    for c in &mut chunks {
        let w = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]) ^ word;
        c.copy_from_slice(&w.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i];
    }
}

/// Every frame through tungstenite's header parser, each payload copied out and unmasked;
/// returns the payload bytes seen.
fn tungstenite_frames(bytes: &[u8]) -> usize {
    let mut cursor = Cursor::new(bytes);
    let mut seen = 0;
    while let Some((header, len)) = FrameHeader::parse(&mut cursor).expect("valid frames") {
        let at = cursor.position() as usize;
        let mut payload = bytes[at..at + len as usize].to_vec();
        if let Some(key) = header.mask {
            tungstenite_unmask(&mut payload, key);
        }
        seen += black_box(payload).len();
        cursor.set_position((at + len as usize) as u64);
    }
    seen
}

/// A byte stream for a `WebSocket`: reads come from the buffer, writes go nowhere.
struct Replay<'a>(&'a [u8]);

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every message through a server-role tungstenite `WebSocket`; returns how many.
fn tungstenite_ws(bytes: &[u8]) -> usize {
    let mut ws = WebSocket::from_raw_socket(Replay(bytes), Role::Server, None);
    let mut n = 0;
    // The stream ends without a Close frame: that read is the error that stops the loop.
    while let Ok(m) = ws.read() {
        black_box(m);
        n += 1;
    }
    n
}

/// Read `bytes` in 64 KiB chunks with the session engine's reader, dropping each chunk's events
/// as a consumer that has used them would; returns how many there were.
fn reader(bytes: &[u8], retain: Retain) -> usize {
    let mut r = Reader::new(Direction::Client, DecodeConfig::default(), retain);
    let mut budget = Budget::new(u64::MAX);
    let mut events = VecDeque::new();
    let mut n = 0;
    for chunk in bytes.chunks(64 << 10) {
        r.feed(chunk, &mut budget, &mut events);
        n += events.len();
        events.clear();
    }
    r.finish(&mut events);
    n + events.len()
}

fn frame_pair(g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>, bytes: &[u8]) {
    let frames = tungstenite_ws(bytes);
    assert_eq!(
        decode_all(bytes, Direction::Client, &DecodeConfig::default())
            .frames
            .len(),
        frames
    );
    assert_eq!(reader(bytes, Retain::NOTHING), 2 * frames + 1);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    // The session engine's reader as --summary runs it: frames and messages with their findings,
    // no payload kept (text frames are still unmasked, a piece at a time, for the UTF-8 check).
    g.bench_function("wsinspect", |b| {
        b.iter(|| reader(black_box(bytes), Retain::NOTHING))
    });
    // The same reader keeping every payload byte, unmasked, as --jsonl does.
    g.bench_function("wsinspect_keep_all", |b| {
        b.iter(|| reader(black_box(bytes), Retain::default()))
    });
    // The whole report that decode --json and the page show (every field with its text).
    g.bench_function("wsinspect_report", |b| {
        b.iter(|| {
            decode_all(
                black_box(bytes),
                Direction::Client,
                &DecodeConfig::default(),
            )
        })
    });
    g.bench_function("tungstenite_frames", |b| {
        b.iter(|| tungstenite_frames(black_box(bytes)))
    });
    g.bench_function("tungstenite_ws", |b| {
        b.iter(|| tungstenite_ws(black_box(bytes)))
    });
}

fn frames(c: &mut Criterion) {
    let total = if measuring() { 4 << 20 } else { 64 << 10 };
    let small = masked_client_frames(total, 2..=125, 1);
    frame_pair(&mut c.benchmark_group("small_frames"), &small);
    let large = masked_client_frames(total, 65536..=65536, 2);
    frame_pair(&mut c.benchmark_group("large_frames"), &large);
}

fn unmask(c: &mut Criterion) {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    for (name, size) in [
        ("unmask_1KiB", 1 << 10),
        ("unmask_64KiB", 64 << 10),
        ("unmask_1MiB", 1 << 20),
    ] {
        let mut src = vec![0u8; size];
        wsinspect_bench::Rng::new(3).fill(&mut src);
        let mut buf = src.clone();
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(size as u64));
        g.bench_function("wsinspect", |b| {
            b.iter(|| apply_mask(black_box(&mut buf), key, 0))
        });
        g.bench_function("memcpy", |b| {
            b.iter(|| black_box(&mut buf).copy_from_slice(black_box(&src)))
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
    targets = frames, unmask
}
criterion_main!(benches);
