//! A declared length is never trusted for memory: a frame that claims 2^63 - 1 payload bytes
//! costs what its input costs. Measured with a counting allocator, per thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use wsinspect_core::inspect::notation::Format;
use wsinspect_core::inspect::{inspect, InspectOptions};

struct Counting;

thread_local! {
    static NOW: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are plain
// thread-local cells that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = NOW.try_with(|n| {
            n.set(n.get() + layout.size());
            let _ = PEAK.try_with(|p| p.set(p.get().max(n.get())));
        });
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = NOW.try_with(|n| n.set(n.get().saturating_sub(layout.size())));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The most bytes held at once (above what was held before) while `f` runs on this thread.
fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = NOW.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let out = f();
    (PEAK.with(Cell::get) - base, out)
}

/// A binary frame header declaring 2^63 - 1 payload bytes (`7f ff .. ff`), then 1000 of them.
fn huge_claim() -> Vec<u8> {
    let mut b = vec![0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    b.extend(std::iter::repeat_n(0x41, 1000));
    b
}

#[test]
fn a_declared_length_of_2_pow_63_minus_1_allocates_nothing_beyond_the_input() {
    let raw = huge_claim();
    let mut handshake = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
        .to_vec();
    handshake.extend(&raw);
    let mut compressed = raw.clone();
    compressed[0] |= 0x40; // RSV1: a compressed message, with deflate forced below.
    let hex: String = raw.iter().map(|b| format!("{b:02x} ")).collect();
    let cases: [(&[u8], Format, Option<&str>); 4] = [
        (&raw, Format::Raw, None),
        (&handshake, Format::Auto, None),
        (&compressed, Format::Raw, Some("permessage-deflate")),
        (hex.as_bytes(), Format::Auto, None),
    ];
    for (input, format, extensions) in cases {
        let opts = InspectOptions {
            format,
            extensions: extensions.map(String::from),
            ..InspectOptions::default()
        };
        let (peak, found) = peak_of(|| inspect(input, &opts).unwrap());
        let frames = found.frames.as_ref().unwrap();
        let incomplete = frames.incomplete.as_ref().unwrap();
        assert_eq!(incomplete.need, (1u64 << 63) - 1 - 1000, "{format:?}");
        // The input is copied a few times (read bytes, payload, report), plus the handshake
        // report; nothing near 2^63, and no inflater before the frame is complete.
        let bound = 8 * input.len() + 16 * 1024;
        assert!(peak >= input.len(), "the allocator counts: {peak}");
        assert!(
            peak < bound,
            "{format:?}: {peak} bytes at peak, bound {bound}"
        );
    }
}

/// One million small masked binary frames (2-125 byte payloads), generated a chunk at a time.
fn small_frames(seed: u64, count: usize, mut each: impl FnMut(&[u8])) {
    let mut x = seed;
    let mut chunk = Vec::with_capacity(64 << 10);
    for _ in 0..count {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = 2 + (x >> 33) as usize % 124;
        chunk.extend([0x82, 0x80 | len as u8, 1, 2, 3, 4]);
        chunk.extend(std::iter::repeat_n(0x5a, len));
        if chunk.len() > 60 << 10 {
            each(&chunk);
            chunk.clear();
        }
    }
    each(&chunk);
}

#[test]
fn the_summary_path_holds_a_bounded_amount_whatever_the_number_of_frames() {
    use wsinspect_core::session::{Session, SessionConfig, Summary};
    use wsinspect_core::stream::Retain;
    use wsinspect_core::Direction;

    let run = |frames: usize| {
        let mut session = Session::new(SessionConfig {
            handshake: false,
            retain: Retain::NOTHING,
            ..SessionConfig::default()
        });
        let mut summary = Summary::default();
        let mut chunk_buf = Vec::new();
        let (peak, ()) = peak_of(|| {
            small_frames(7, frames, |chunk| {
                chunk_buf.clear();
                chunk_buf.extend_from_slice(chunk);
                session.feed(Direction::Client, &chunk_buf, None);
                while let Some(e) = session.poll_event() {
                    summary.push(&e);
                }
            });
            session.finish(Direction::Client, None);
            while let Some(e) = session.poll_event() {
                summary.push(&e);
            }
        });
        assert_eq!(summary.directions[0].frames, frames as u64);
        assert_eq!(summary.directions[0].messages, frames as u64);
        peak
    };
    let small = run(10_000);
    let large = run(1_000_000);
    // The chunk (64 KiB), its events (one per frame in the chunk) and the reader's state: the
    // same for a million frames as for ten thousand.
    assert!(large < 4 << 20, "{large} bytes at peak for 1M frames");
    assert!(
        large <= small + (256 << 10),
        "{large} vs {small}: memory grows with the input"
    );
}
