//! Memory does not grow with the file: a capture of 300 connections one after another holds
//! what a capture of 60 holds, when payloads are not kept (what `wsinspect pcap --summary` does).
//! Measured with a counting allocator, per thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;

use wsinspect_capture::file::FileReader;
use wsinspect_capture::link::tcp_segment;
use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent};
use wsinspect_core::session::SessionConfig;
use wsinspect_core::stream::Retain;

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

/// `copies` copies of echo.pcapng's five flows, one after another, each copy's client ports
/// moved by 50, as classic pcap.
fn many(copies: u16) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/pcap/echo.pcapng");
    let mut packets = Vec::new();
    FileReader::new()
        .feed(&std::fs::read(p).unwrap(), &mut packets)
        .unwrap();
    let mut f = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    f.extend(262_144u32.to_le_bytes());
    f.extend(1u32.to_le_bytes());
    for k in 0..copies {
        for pk in &packets {
            let s = tcp_segment(pk.link, &pk.data).unwrap();
            let mut d = pk.data.clone();
            // After Ethernet and IPv4 (20 bytes) or IPv6 (40) without options or extensions.
            let ip = if d[12..14] == [0x86, 0xdd] { 40 } else { 20 };
            // The client's port: the one that is not the servers' (47420, 47421).
            let server_sent = matches!(s.src.port(), 47420 | 47421);
            let at = 14 + ip + if server_sent { 2 } else { 0 };
            let port = u16::from_be_bytes([d[at], d[at + 1]]) + 50 * k;
            d[at..at + 2].copy_from_slice(&port.to_be_bytes());
            let t = pk.time.unwrap().0 + u64::from(k) * 1_000_000_000;
            f.extend(((t / 1_000_000_000) as u32).to_le_bytes());
            f.extend((((t % 1_000_000_000) / 1000) as u32).to_le_bytes());
            f.extend((d.len() as u32).to_le_bytes());
            f.extend((d.len() as u32).to_le_bytes());
            f.extend(&d);
        }
    }
    f
}

/// Read `file` 64 KiB at a time, dropping events as they come: peak bytes, connections.
fn read(file: &[u8]) -> (usize, u64) {
    peak_of(|| {
        let mut c = Capture::new(CaptureConfig {
            session: SessionConfig {
                retain: Retain::NOTHING,
                ..SessionConfig::default()
            },
            ..CaptureConfig::default()
        });
        let mut messages = 0u64;
        let mut count = |c: &mut Capture| {
            while let Some(e) = c.poll_event() {
                if let CaptureEvent::Event { event, .. } = e {
                    messages += u64::from(matches!(
                        event.kind,
                        wsinspect_core::session::EventKind::Message(_)
                    ));
                }
            }
        };
        for chunk in file.chunks(64 << 10) {
            c.feed(chunk).unwrap();
            count(&mut c);
        }
        c.finish().unwrap();
        count(&mut c);
        assert_eq!(messages, 12 * c.totals().connections);
        c.totals().connections
    })
}

#[test]
fn reading_300_connections_holds_what_reading_60_holds() {
    let (small_file, big_file) = (many(20), many(100));
    let (small, n) = read(&small_file);
    assert_eq!(n, 60);
    let (big, n) = read(&big_file);
    assert_eq!(n, 300);
    assert!(big_file.len() > 2_000_000);
    // The engine's own buffers (a 64 KiB chunk, a record, two flows' sessions and their inflate
    // windows): the same few hundred KiB for 2.4 MB as for 120 KB.
    eprintln!("peak: 20 copies {small} bytes, 100 copies {big} bytes");
    assert!(
        big < small + small / 4,
        "5 copies: {small} bytes, 100 copies: {big} bytes"
    );
    assert!(big < 1 << 20, "{big}");
}
