//! A pasted input's whole path, as the page runs it: the notation read (in the page's worker),
//! the plan and the frames decoded in steps (`Job`), then what the page builds from the result
//! at once (the summary, the diagnoses, the first row, the selected frame's payload view, the
//! share link). Two inputs, each at two sizes ten times apart: one line of hex (a single
//! frame of "A"s, as the hostile browser test pastes) and many small masked frames, one per
//! line. `cargo bench -p wsinspect-bench --bench paste` (or `cargo xtask bench`) measures 1 MB
//! against 10 MB of text and fails if the larger took more than 15 times as long: work that
//! is quadratic in the input would take about 100 times. Under `cargo test` it runs once on
//! small inputs, without the check (timings of a debug build say nothing).

use std::hint::black_box;
use std::time::{Duration, Instant};

use wsinspect_bench::{measuring, selected};
use wsinspect_core::inspect::{read_input, InspectOptions, Job};
use wsinspect_core::Direction;
use wsinspect_view::share::{self, Shared};
use wsinspect_view::{diagnose, view};

/// An input's name and how to make one of about so many characters.
type Input = (&'static str, fn(usize) -> String);

/// The largest time ratio allowed for an input ten times larger.
const MAX_RATIO: f64 = 15.0;

/// About `chars` of hex on one line: one unmasked text frame with a 64-bit length.
fn long_line(chars: usize) -> String {
    let n = (chars - 20) / 2;
    let mut s = format!("817f{n:016x}");
    s.push_str(&"41".repeat(n));
    s
}

/// About `chars` of hex: masked client frames "#12345", one per line.
fn many_frames(chars: usize) -> String {
    let key = [0x11u8, 0x22, 0x33, 0x44];
    let mut s = String::with_capacity(chars + 32);
    let mut i = 0u32;
    while s.len() < chars {
        let body = format!("#{:05}", i % 100_000);
        let mut frame = vec![0x81, 0x80 | body.len() as u8];
        frame.extend_from_slice(&key);
        frame.extend(body.bytes().enumerate().map(|(j, b)| b ^ key[j % 4]));
        for b in frame {
            s.push_str(&format!("{b:02x}"));
        }
        s.push('\n');
        i += 1;
    }
    s
}

/// The phases of [`paste`], timed: where the time of a larger input went.
fn phases(text: &str) -> String {
    let opts = InspectOptions::default();
    let t = Instant::now();
    let read = read_input(text.as_bytes(), &opts).expect("the input reads");
    let t_read = t.elapsed();
    let t = Instant::now();
    let mut job = Job::from_read(read, &opts).expect("the input plans");
    while !job.step(16 << 10) {}
    let i = job.finish();
    let t_decode = t.elapsed();
    let t = Instant::now();
    black_box(view::summary(&i));
    black_box(diagnose::pasted_diagnoses(&i));
    let r = i.frames.as_ref().expect("frames");
    black_box(view::payload_view(r, 0, 4096));
    black_box(view::first_finding_row(r));
    let t_view = t.elapsed();
    let t = Instant::now();
    black_box(share::link(&shared(text)));
    let t_link = t.elapsed();
    format!("read {t_read:?}, decode {t_decode:?}, views {t_view:?}, link {t_link:?}")
}

fn shared(text: &str) -> Shared {
    Shared {
        input: text.to_string(),
        format: InspectOptions::default().format,
        direction: Direction::Unknown,
        extensions: String::new(),
        max_inflated: InspectOptions::default().max_inflated,
    }
}

/// Everything the page does with `text` before it shows it; returns a value that depends on
/// all of it.
fn paste(text: &str) -> usize {
    let opts = InspectOptions::default();
    let read = read_input(text.as_bytes(), &opts).expect("the input reads");
    let mut job = Job::from_read(read, &opts).expect("the input plans");
    while !job.step(16 << 10) {}
    let i = job.finish();
    let r = i.frames.as_ref().expect("frames");
    let payload = view::payload_view(r, 0, 4096);
    let link = share::link(&shared(text));
    view::summary(&i).len()
        + diagnose::pasted_diagnoses(&i).len()
        + view::first_finding_row(r)
        + view::frame_row(r, 0).len.len()
        + black_box(payload).len
        + link.0.map_or(0, |l| l.len())
}

/// The best of three runs.
fn best(text: &str) -> Duration {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            black_box(paste(black_box(text)));
            t.elapsed()
        })
        .min()
        .expect("three runs")
}

fn main() {
    if !selected("paste") {
        return;
    }
    let (small, large) = if measuring() {
        (1 << 20, 10 << 20)
    } else {
        (4 << 10, 40 << 10)
    };
    let inputs: [Input; 2] = [
        ("one line of hex", long_line),
        ("small frames", many_frames),
    ];
    let mut failed = Vec::new();
    for (name, make) in inputs {
        let (a, b) = (make(small), make(large));
        let (ta, tb) = (best(&a), best(&b));
        let ratio = tb.as_secs_f64() / ta.as_secs_f64();
        println!(
            "paste/{name}: {} chars {ta:?}, {} chars {tb:?}: {ratio:.1}x the time for {:.1}x the input",
            a.len(),
            b.len(),
            b.len() as f64 / a.len() as f64
        );
        println!("  {}: {}", a.len(), phases(&a));
        println!("  {}: {}", b.len(), phases(&b));
        if measuring() && ratio > MAX_RATIO {
            failed.push(format!("{name}: {ratio:.1}x"));
        }
    }
    assert!(
        failed.is_empty(),
        "not linear (over {MAX_RATIO}x the time for 10x the input): {failed:?}"
    );
}
