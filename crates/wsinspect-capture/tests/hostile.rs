//! No panic on damaged or arbitrary input: the real captures with bytes flipped, cut or
//! repeated, and random bytes after a valid header, in random chunks. Deterministic (a small
//! xorshift generator), so a failure reproduces.

use std::path::PathBuf;

use wsinspect_capture::{Capture, CaptureConfig};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/pcap")
        .join(name);
    std::fs::read(p).unwrap()
}

/// Feed `input` in random chunks; errors are fine, panics are not.
fn survive(input: &[u8], rng: &mut Rng) {
    let mut c = Capture::new(CaptureConfig {
        max_out_of_order: 1 + rng.below(4096),
        ..CaptureConfig::default()
    });
    let mut rest = input;
    while !rest.is_empty() {
        let n = 1 + rng.below(3000).min(rest.len() - 1);
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let r = c.feed(chunk);
        while c.poll_event().is_some() {}
        if r.is_err() {
            return;
        }
    }
    let _ = c.finish();
    while c.poll_event().is_some() {}
}

#[test]
fn damaged_captures_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for name in ["echo.pcapng", "echo.pcap", "lost-segment.pcapng"] {
        let original = fixture(name);
        for round in 0..150 {
            let mut f = original.clone();
            match round % 3 {
                0 => {
                    // Flip some bytes anywhere after the file header.
                    for _ in 0..1 + rng.below(20) {
                        let i = 24 + rng.below(f.len() - 24);
                        f[i] ^= 1 << rng.below(8);
                    }
                }
                1 => {
                    // Set a run of bytes to 0xff (lengths, flags and ports go wild).
                    let i = 24 + rng.below(f.len() - 40);
                    f[i..i + 4].fill(0xff);
                }
                _ => {
                    // Cut the file and repeat a slice of it.
                    let a = rng.below(f.len());
                    let b = a + rng.below(f.len() - a);
                    let slice = f[a..b].to_vec();
                    f.truncate(b);
                    f.extend(slice);
                }
            }
            survive(&f, &mut rng);
        }
    }
}

#[test]
fn random_bytes_after_a_valid_header_never_panic() {
    let mut rng = Rng(42);
    let pcap = fixture("echo.pcap")[..24].to_vec();
    let pcapng = fixture("echo.pcapng")[..28].to_vec();
    for round in 0..300 {
        let mut f = if round % 2 == 0 {
            pcap.clone()
        } else {
            pcapng.clone()
        };
        for _ in 0..rng.below(5000) {
            f.push(rng.next() as u8);
        }
        survive(&f, &mut rng);
    }
}
