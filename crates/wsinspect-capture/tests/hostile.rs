//! No panic on damaged or arbitrary input: the real captures with bytes flipped, cut or
//! repeated, and random bytes after a valid header, in random chunks. Deterministic (a small
//! xorshift generator), so a failure reproduces.

use std::path::PathBuf;

use wsinspect_capture::{Capture, CaptureConfig, CaptureError};

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

/// `file` with the length field at `at` (of the record or block at `offset`) made huge: the
/// error (any chunking), and how many packets were read before it.
fn damaged_length(file: &[u8], offset: usize, at: usize, chunk: usize) -> (CaptureError, u64) {
    let mut file = file.to_vec();
    file[offset + at..offset + at + 4].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let mut c = Capture::new(CaptureConfig::default());
    for part in file.chunks(chunk) {
        if let Err(e) = c.feed(part) {
            return (e, c.totals().packets);
        }
    }
    panic!("no error: {:?}", c.finish());
}

#[test]
fn a_damaged_record_length_is_our_limit_at_its_offset_not_a_file_cut_short() {
    // echo.pcap: the 24-byte file header, then records of a 16-byte header and the packet; the
    // 11th record's captured length (bytes 8..12 of its header) is damaged.
    let pcap = fixture("echo.pcap");
    let mut offset = 24;
    for _ in 0..10 {
        let len = u32::from_le_bytes(pcap[offset + 8..offset + 12].try_into().unwrap());
        offset += 16 + len as usize;
    }
    // echo.pcapng: the section header and interface blocks, then packet blocks; the 11th
    // packet block's total length (bytes 4..8) is damaged.
    let ng = fixture("echo.pcapng");
    let mut ng_offset = 0;
    for _ in 0..12 {
        let len = u32::from_le_bytes(ng[ng_offset + 4..ng_offset + 8].try_into().unwrap());
        ng_offset += len as usize;
    }
    for chunk in [7, 1000, 1 << 20] {
        for (file, at, field, claimed) in [
            (&pcap, offset, 8, 0x7fff_fff0 + 16),
            (&ng, ng_offset, 4, 0x7fff_fff0),
        ] {
            let (e, packets) = damaged_length(file, at, field, chunk);
            assert_eq!(
                e,
                CaptureError::BlockTooLarge {
                    offset: at as u64,
                    claimed: Some(claimed)
                },
                "chunks of {chunk}"
            );
            assert_eq!(packets, 10, "the packets before it were read");
            assert!(e
                .to_string()
                .contains(&format!("the record at byte {at} claims")));
        }
    }
}
