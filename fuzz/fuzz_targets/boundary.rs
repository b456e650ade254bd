//! The relay's frame-boundary tracker (`wsinspect_core::stream::boundary`, where `wsinspect
//! serve --allow-inject` may put a new frame) on arbitrary bytes cut into arbitrary pieces.
//! Invariants: no panic; the boundaries found do not depend on how the bytes arrived
//! (`advance` over pieces equals a byte-by-byte walk, and the end states are equal); every
//! message boundary is a frame boundary; on bare frames, every frame the core decoder reads
//! whole ends at a frame boundary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect_core::stream::boundary::{Boundaries, Insert};
use wsinspect_core::{decode_all, DecodeConfig, Direction};

fuzz_target!(|data: &[u8]| {
    // Byte 0: frames from the start, after a request head, or after a response head.
    // Byte 1: the chunking seed. Then the bytes.
    let [mode, seed, input @ ..] = data else {
        return;
    };
    let start = || match mode % 3 {
        0 => Boundaries::frames(),
        1 => Boundaries::after_head(false),
        _ => Boundaries::after_head(true),
    };
    for what in [Insert::Control, Insert::Message] {
        let (walked, walked_end) = byte_by_byte(start(), input, what);
        let (advanced, advanced_end) = by_advance(start(), input, what, *seed);
        assert_eq!(walked, advanced, "{what:?} boundaries depend on the pieces");
        assert_eq!(walked_end, advanced_end);
    }
    let control = byte_by_byte(start(), input, Insert::Control).0;
    let message = byte_by_byte(start(), input, Insert::Message).0;
    assert!(message.iter().all(|m| control.binary_search(m).is_ok()));
    if mode % 3 == 0 {
        frame_ends_are_boundaries(input, &control);
    }
});

/// Where `what` may go, looking before each byte and after the last.
fn byte_by_byte(mut b: Boundaries, input: &[u8], what: Insert) -> (Vec<usize>, Boundaries) {
    let mut at = Vec::new();
    for i in 0..input.len() {
        if b.at(what) {
            at.push(i);
        }
        b.feed(&input[i..i + 1]);
    }
    if b.at(what) {
        at.push(input.len());
    }
    (at, b)
}

/// The same, found with `advance` over pieces of seeded sizes.
fn by_advance(mut b: Boundaries, input: &[u8], what: Insert, seed: u8) -> (Vec<usize>, Boundaries) {
    let mut at = Vec::new();
    let mut state = u32::from(seed) | 1;
    let mut pos = 0;
    while pos < input.len() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let end = (pos + 1 + (state % 61) as usize).min(input.len());
        let mut piece = &input[pos..end];
        while !piece.is_empty() {
            let n = b.advance(piece, what);
            if b.at(what) && at.last() != Some(&(pos + n)) {
                at.push(pos + n);
            }
            // Past a boundary: one byte on, as a relay forwards what comes after it.
            let step = if n == 0 { 1 } else { n };
            if n == 0 {
                b.feed(&piece[..1]);
            }
            piece = &piece[step..];
            pos += step;
        }
    }
    if b.at(what) && at.last() != Some(&input.len()) {
        at.push(input.len());
    }
    (at, b)
}

/// Each frame the decoder reads whole, in a row from the start, ends at a frame boundary.
fn frame_ends_are_boundaries(input: &[u8], control: &[usize]) {
    let report = decode_all(input, Direction::Client, &DecodeConfig::default());
    let mut expected = 0u64;
    for f in &report.frames {
        if f.offset != expected {
            break;
        }
        assert!(
            control.binary_search(&(f.offset as usize)).is_ok(),
            "frame {} starts off a boundary",
            f.index
        );
        let end = f.offset + f.header.header_len as u64 + f.header.payload_len;
        if end > input.len() as u64 {
            break;
        }
        assert!(
            control.binary_search(&(end as usize)).is_ok(),
            "frame {} ends off a boundary",
            f.index
        );
        expected = end;
    }
}
