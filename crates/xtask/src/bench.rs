//! `cargo xtask bench [FILTER...]`: run the criterion benchmarks of crates/wsinspect-bench, then
//! print each result next to the baselines measured in the same run, as wsinspect's time over
//! the baseline's (below 1: wsinspect is faster). Times are criterion's median per iteration:
//! on a machine shared with builds, a burst of load moves the mean more than the median.
//!
//! Criterion leaves one `new/estimates.json` (and `new/benchmark.json`) per benchmark under
//! `target/criterion/`; only those written by this run are read, so a filtered run shows only
//! what it measured. The two files are read by plain string search: no JSON dependency.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::util::{self, fail, run, Result};

/// What the contenders' names start with in every benchmark group; the other members are
/// baselines.
const OURS: &str = "wsinspect";

struct Estimate {
    group: String,
    function: String,
    /// Median time per iteration, in nanoseconds.
    median_ns: f64,
    /// Bytes per iteration, when the benchmark declares a throughput in bytes.
    bytes: Option<u64>,
}

pub fn bench(filters: &[String]) -> Result<()> {
    let root = util::root();
    let started = SystemTime::now();
    let mut cmd = Command::new("cargo");
    cmd.current_dir(&root)
        .args(["bench", "--package", "wsinspect-bench", "--"])
        .args(filters);
    run(&mut cmd)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mut found = Vec::new();
    collect(&target.join("criterion"), started, &mut found);
    if found.is_empty() {
        return fail(format!(
            "no criterion results written by this run under {}",
            target.join("criterion").display()
        ));
    }
    found.sort_by(|a, b| (&a.group, &a.function).cmp(&(&b.group, &b.function)));
    println!("\n| group | benchmark | median | MiB/s |");
    println!("| --- | --- | ---: | ---: |");
    for e in &found {
        let mib_s = e
            .bytes
            .map(|b| format!("{:.0}", b as f64 / e.median_ns * 1e9 / (1 << 20) as f64))
            .unwrap_or_default();
        println!(
            "| {} | {} | {} | {mib_s} |",
            e.group,
            e.function,
            human(e.median_ns)
        );
    }
    // Every wsinspect variant against every baseline of its group.
    println!("\n| group | wsinspect | baseline | wsinspect time / baseline time |");
    println!("| --- | --- | --- | ---: |");
    for ours in found.iter().filter(|e| e.function.starts_with(OURS)) {
        for base in found
            .iter()
            .filter(|e| e.group == ours.group && !e.function.starts_with(OURS))
        {
            println!(
                "| {} | {} | {} | {:.2} |",
                ours.group,
                ours.function,
                base.function,
                ours.median_ns / base.median_ns
            );
        }
    }
    println!("\n(median of criterion's samples; a ratio below 1 means wsinspect is faster)");
    Ok(())
}

/// Every `new/estimates.json` below `dir` modified since `since`, with its `benchmark.json`.
fn collect(dir: &Path, since: SystemTime, found: &mut Vec<Estimate>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            if let Some(e) = read_estimate(&path, since) {
                found.push(e);
            }
        } else {
            collect(&path, since, found);
        }
    }
}

fn read_estimate(new: &Path, since: SystemTime) -> Option<Estimate> {
    let est_path = new.join("estimates.json");
    let modified = std::fs::metadata(&est_path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let est = std::fs::read_to_string(&est_path).ok()?;
    let meta = std::fs::read_to_string(new.join("benchmark.json")).ok()?;
    let median = &est[est.find("\"median\":")?..];
    Some(Estimate {
        group: string_field(&meta, "group_id")?,
        function: string_field(&meta, "function_id").unwrap_or_default(),
        median_ns: number_field(median, "point_estimate")?,
        bytes: number_field(&meta, "Bytes").map(|b| b as u64),
    })
}

/// The value of the first `"key":"value"` in `json` (values without escapes).
fn string_field(json: &str, key: &str) -> Option<String> {
    let pat = format!("\"{key}\":\"");
    let start = json.find(&pat)? + pat.len();
    let len = json[start..].find('"')?;
    Some(json[start..start + len].to_string())
}

/// The value of the first `"key":number` in `json`.
fn number_field(json: &str, key: &str) -> Option<f64> {
    let pat = format!("\"{key}\":");
    let start = json.find(&pat)? + pat.len();
    let len = json[start..]
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(json.len() - start);
    json[start..start + len].parse().ok()
}

fn human(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.2} s", n / 1e9),
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.2} µs", n / 1e3),
        n => format!("{n:.1} ns"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_fields() {
        let est = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.5,"upper_bound":2.5},"point_estimate":62140813.31,"standard_error":1.0},"median":{"confidence_interval":{"lower_bound":6.5},"point_estimate":7e3}}"#;
        assert_eq!(number_field(est, "point_estimate"), Some(62140813.31));
        let median = &est[est.find("\"median\":").unwrap()..];
        assert_eq!(number_field(median, "point_estimate"), Some(7000.0));
        let meta = r#"{"group_id":"inflate_w09","function_id":"wsinspect","value_str":null,"throughput":{"Bytes":2097646}}"#;
        assert_eq!(
            string_field(meta, "function_id").as_deref(),
            Some("wsinspect")
        );
        assert_eq!(number_field(meta, "Bytes"), Some(2097646.0));
        assert_eq!(human(1500.0), "1.50 µs");
    }
}
