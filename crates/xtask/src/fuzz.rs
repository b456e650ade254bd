//! `cargo xtask fuzz [--seconds N] [TARGET...]`: run the cargo-fuzz targets of fuzz/ (each for
//! N seconds, 600 by default), growing their corpora in fuzz/target/corpus from the committed
//! seeds in fuzz/corpus. `cargo xtask test` runs [`smoke`]: every target for a few seconds on
//! the seeds, so a target that no longer builds, or crashes at once, fails the run.

use std::path::Path;

use crate::setup::Fuzz;
use crate::util::{fail, run, Result};

/// The targets, in fuzz/Cargo.toml's order.
pub const TARGETS: &[&str] = &[
    "notation",
    "session",
    "handshake",
    "capture",
    "har",
    "payload",
    "relay_head",
    "boundary",
];

/// libFuzzer's limits for every run: memory (MB), and seconds for one input before it counts as
/// a hang (time linear in the input: a quadratic path on a large input is caught here).
const LIMITS: [&str; 2] = ["-rss_limit_mb=2048", "-timeout=10"];

pub fn fuzz(args: &[String]) -> Result<()> {
    let mut seconds = 600u64;
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                let n = it.next().ok_or("--seconds takes a number")?;
                seconds = n
                    .parse()
                    .map_err(|_| format!("--seconds takes a number, not {n:?}"))?;
            }
            t if TARGETS.contains(&t) => targets.push(t),
            other => {
                return fail(format!(
                    "usage: cargo xtask fuzz [--seconds N] [TARGET...]; targets: {}; not {other:?}",
                    TARGETS.join(", ")
                ))
            }
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    let Some(fuzz) = Fuzz::ensure()? else {
        return fail("no nightly toolchain: cannot fuzz here");
    };
    let root = crate::util::root();
    for t in targets {
        println!("\n==> fuzzing {t} for {seconds} s");
        let work = root.join("fuzz/target/corpus").join(t);
        std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
        run_target(
            &fuzz,
            &root,
            t,
            &work,
            &format!("-max_total_time={seconds}"),
        )?;
    }
    Ok(())
}

/// Build every target, then run each for a few seconds on its seeds (nothing is written to the
/// committed corpus). `Ok(false)` when this machine has no nightly toolchain.
pub fn smoke(root: &Path) -> Result<bool> {
    let Some(fuzz) = Fuzz::ensure()? else {
        return Ok(false);
    };
    run(fuzz.cargo_fuzz(root).args(["build", "-O"]))?;
    for t in TARGETS {
        let work = root.join("fuzz/target/smoke").join(t);
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).map_err(|e| format!("{}: {e}", work.display()))?;
        run_target(&fuzz, root, t, &work, "-max_total_time=5")?;
    }
    Ok(true)
}

fn run_target(fuzz: &Fuzz, root: &Path, target: &str, work: &Path, time: &str) -> Result<()> {
    let seeds = root.join("fuzz/corpus").join(target);
    run(fuzz
        .cargo_fuzz(root)
        .args(["run", "-O", target])
        .arg(work)
        .arg(&seeds)
        .arg("--")
        .arg(time)
        .args(LIMITS))
}
