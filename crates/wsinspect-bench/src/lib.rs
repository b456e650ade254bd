//! The data the benchmarks in `benches/` run on, and the one place that names wsinspect-core's
//! items ([`api`]).
//!
//! Every input is made here from a fixed seed, so each run measures the same bytes and a
//! baseline and wsinspect always get identical input. `cargo xtask bench` runs the benchmarks and
//! prints wsinspect's time over each baseline's; docs/benchmarks.md has the numbers.

/// Everything the benchmarks use from wsinspect-core: when a path moves, this is the only place
/// to change.
pub mod api {
    pub use wsinspect_core::ext::deflate::{InflateOutcome, Inflater};
    pub use wsinspect_core::stream::{Budget, Keep, Reader, Retain};
    pub use wsinspect_core::wire::mask::apply_mask;
    pub use wsinspect_core::{decode_all, DecodeConfig, Direction};
}

/// Whether the benchmark binary was started by `cargo bench` (criterion's `--bench` flag).
/// Under `cargo test` it runs each benchmark once as a smoke test, on small inputs.
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Whether the benchmark filter given on the command line (`cargo bench -- FILTER`), if any,
/// selects `name`: what criterion does for its own benchmarks, for the ones without its harness.
pub fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// A small seeded generator (SplitMix64): the same sequence on every machine and run.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// Fill `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let r = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }
}

/// A client stream of final, masked text and binary frames (about half each) whose payload
/// lengths are drawn from `lens`, until the stream is at least `total` bytes long. Text
/// payloads are printable ASCII (valid UTF-8), binary payloads random bytes, keys random.
pub fn masked_client_frames(
    total: usize,
    lens: std::ops::RangeInclusive<usize>,
    seed: u64,
) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(total + lens.end() + 14);
    while out.len() < total {
        let len = rng.range(*lens.start(), *lens.end());
        let text = rng.next_u64() & 1 == 0;
        out.push(0x80 | if text { 0x1 } else { 0x2 });
        match len {
            0..=125 => out.push(0x80 | len as u8),
            126..=0xffff => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                out.push(0x80 | 127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        let key = (rng.next_u64() as u32).to_be_bytes();
        out.extend_from_slice(&key);
        let at = out.len();
        out.resize(at + len, 0);
        rng.fill(&mut out[at..]);
        if text {
            for b in &mut out[at..] {
                *b = b' ' + *b % 95;
            }
        }
        api::apply_mask(&mut out[at..], key, 0);
    }
    out
}

/// Text messages shaped like a chatty JSON API (`{"id":…,"user":…,"event":…,"items":[…]}`), from
/// about 200 bytes to a few KiB each, until they add up to at least `total` bytes: repetitive
/// within and across messages, as permessage-deflate traffic usually is.
pub fn json_messages(total: usize, seed: u64) -> Vec<Vec<u8>> {
    const USERS: [&str; 6] = ["ada", "grace", "linus", "barbara", "ken", "margaret"];
    const EVENTS: [&str; 5] = ["update", "insert", "delete", "presence", "typing"];
    const WORDS: [&str; 12] = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliett", "kilo", "lima",
    ];
    let mut rng = Rng::new(seed);
    let mut msgs = Vec::new();
    let mut sum = 0;
    let mut id = 1000u64;
    while sum < total {
        id += rng.range(1, 9) as u64;
        let mut m = format!(
            "{{\"id\":{id},\"user\":\"{}\",\"event\":\"{}\",\"ts\":{},\"items\":[",
            USERS[rng.range(0, 5)],
            EVENTS[rng.range(0, 4)],
            1_700_000_000_000u64 + rng.next_u64() % 1_000_000_000
        );
        for i in 0..rng.range(2, 40) {
            if i > 0 {
                m.push(',');
            }
            m.push_str(&format!(
                "{{\"sku\":\"{}-{:04}\",\"qty\":{},\"price\":{}.{:02},\"note\":\"{} {}\"}}",
                WORDS[rng.range(0, 11)],
                rng.range(0, 9999),
                rng.range(1, 20),
                rng.range(1, 500),
                rng.range(0, 99),
                WORDS[rng.range(0, 11)],
                WORDS[rng.range(0, 11)]
            ));
        }
        m.push_str("]}");
        sum += m.len();
        msgs.push(m.into_bytes());
    }
    msgs
}

#[cfg(test)]
mod tests {
    use super::api::*;
    use super::*;

    #[test]
    fn generated_frames_decode_cleanly() {
        for (lens, total) in [(2..=125, 1 << 16), (65536..=65536, 1 << 18)] {
            let bytes = masked_client_frames(total, lens.clone(), 7);
            let r = decode_all(&bytes, Direction::Client, &DecodeConfig::default());
            assert!(r.incomplete.is_none());
            assert_eq!(r.findings().count(), 0, "{:?}", r.findings().next());
            let payload: usize = r.frames.iter().map(|f| f.payload.len()).sum();
            let header = if *lens.end() <= 125 { 6 } else { 14 };
            assert_eq!(bytes.len(), payload + header * r.frames.len());
        }
    }

    #[test]
    fn json_messages_are_deterministic_and_sized() {
        let a = json_messages(50_000, 1);
        assert_eq!(a, json_messages(50_000, 1));
        let total: usize = a.iter().map(Vec::len).sum();
        assert!(total >= 50_000 && a.len() > 10);
        assert!(a.iter().all(|m| std::str::from_utf8(m).is_ok()));
    }
}
