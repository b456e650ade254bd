//! The project's task runner. Two commands are promised in the README:
//!
//! - `cargo xtask serve [--port N]`: install what the page needs and is missing (the wasm32
//!   target, Trunk, wasm-bindgen-cli), build the page, serve it (with any other flag, such as
//!   `--proxy`, through `wsinspect serve`: live capture).
//! - `cargo xtask test`: install what is missing (the page's tools, and Chromium, Node.js and
//!   the npm package for the browser tests), then every check CI runs.
//!
//! Tools are installed once into a cache outside the checkout (`$WSINSPECT_TOOLS`, else
//! `$XDG_CACHE_HOME/wsinspect/tools`, else `~/.cache/wsinspect/tools`), one directory per tool
//! and version, and reused by every clone. `cargo xtask setup` does only the installing.

mod bench;
mod fuzz;
mod setup;
mod util;

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use setup::{Apt, Browser, Page};
use util::{fail, run, Result};

const USAGE: &str = "\
usage: cargo xtask <command>

  serve [--port N]   build the inspector and serve it on http://127.0.0.1:N (default 8080)
  serve [--port N] --proxy LISTEN=ws://HOST:PORT [...]
                     the same, with live capture: `wsinspect serve` serves the built page, the
                     live feed and the relays (any `wsinspect serve` flag passes through)
  test               fmt, clippy, unit and CLI tests, wasm build, Trunk build, browser tests
  test browser [F..] only the Trunk build and the browser tests (quick UI iteration); with
                     file names (e.g. capture.test.mjs), only those test files
  setup [page]       only install the tools the two commands above need (page: serve's only)
  bench [FILTER...]  criterion benchmarks against tungstenite, flate2 and memcpy, then ratios
  fuzz [--seconds N] [TARGET...]
                     the cargo-fuzz targets of fuzz/, N seconds each (600 by default)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("serve") => serve(&args[1..]),
        Some("test") => match &args[1..] {
            [] => test(false, &[]),
            [only, files @ ..] if only == "browser" => test(true, files),
            other => fail(format!("usage: cargo xtask test [browser], not {other:?}")),
        },
        Some("setup") => setup(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("fuzz") => fuzz::fuzz(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn setup(args: &[String]) -> Result<()> {
    let mut apt = Apt::default();
    match args {
        [] => {
            Page::ensure(&mut apt)?;
            Browser::ensure(&mut apt)?;
        }
        [only] if only == "page" => {
            Page::ensure(&mut apt)?;
        }
        other => return fail(format!("usage: cargo xtask setup [page], not {other:?}")),
    }
    Ok(())
}

fn serve(args: &[String]) -> Result<()> {
    let (port, live) = serve_args(args)?;
    let page = Page::ensure(&mut Apt::default())?;
    let root = util::root();
    trunk_build(&page, &root)?;
    if !live.is_empty() {
        // Live capture asked for (--proxy, --record, --pcap, ...): `wsinspect serve` serves the
        // page just built, the live feed and the relays (docs/live.md).
        let mut cmd = Command::new("cargo");
        cmd.current_dir(&root)
            .args([
                "run",
                "--quiet",
                "--package",
                "wsinspect-cli",
                "--",
                "serve",
            ])
            .arg("--dist")
            .arg(root.join("dist"))
            .args(["--port", &port.to_string()])
            .args(&live);
        return run(&mut cmd);
    }
    println!("wsinspect: serving the inspector on http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    let mut cmd = page.trunk(&root);
    cmd.args(["serve", "--release", "--offline", "--no-autoreload"])
        .args(["--address", "127.0.0.1", "--port", &port.to_string()]);
    run(&mut cmd)
}

/// `--port N` (default 8080), and the rest: flags for `wsinspect serve`.
fn serve_args(args: &[String]) -> Result<(u16, Vec<String>)> {
    let mut port = 8080;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--port" {
            let n = it.next().map(String::as_str).unwrap_or_default();
            port = n
                .parse::<u16>()
                .map_err(|_| format!("--port takes a number from 1 to 65535, not {n:?}"))?;
        } else {
            rest.push(a.clone());
        }
    }
    Ok((port, rest))
}

fn trunk_build(page: &Page, root: &Path) -> Result<()> {
    let mut cmd = page.trunk(root);
    cmd.args(["build", "--release", "--offline"]);
    run(&mut cmd)
}

fn test(browser_only: bool, files: &[String]) -> Result<()> {
    let started = Instant::now();
    let mut apt = Apt::default();
    let page = Page::ensure(&mut apt)?;
    let browser = Browser::ensure(&mut apt)?;
    setup::ensure_tshark(&mut apt)?;
    setup::ensure_nginx(&mut apt)?;
    setup::ensure_python_websockets()?;
    let root = util::root();
    let mut steps: Vec<(&str, f64)> = Vec::new();
    let mut step = |name: &'static str, cmd: &mut Command| -> Result<()> {
        println!("\n==> {name}");
        let t = Instant::now();
        run(cmd.current_dir(&root))?;
        steps.push((name, t.elapsed().as_secs_f64()));
        Ok(())
    };
    if !browser_only {
        step(
            "cargo fmt --check",
            Command::new("cargo").args(["fmt", "--all", "--", "--check"]),
        )?;
        step(
            "cargo clippy (all targets, warnings denied)",
            Command::new("cargo").args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
        step(
            "cargo test --workspace",
            Command::new("cargo").args(["test", "--workspace"]),
        )?;
        step(
            "wsinspect-core built for wasm32-unknown-unknown",
            page.wasm_cargo(&root).args([
                "build",
                "--package",
                "wsinspect-core",
                "--target",
                "wasm32-unknown-unknown",
            ]),
        )?;
    }
    step(
        "trunk build --release (the page)",
        page.trunk(&root).args(["build", "--release", "--offline"]),
    )?;
    step(
        "browser tests in headless Chromium",
        browser
            .tests(&root)
            .args(files.iter().map(|f| root.join("tests/browser").join(f))),
    )?;
    if !browser_only {
        println!("\n==> fuzz targets: build, and a few seconds each on the seeds");
        let t = Instant::now();
        if fuzz::smoke(&root)? {
            steps.push((
                "fuzz smoke (every target, 5 s each)",
                t.elapsed().as_secs_f64(),
            ));
        } else {
            println!("xtask: fuzz smoke skipped: no nightly toolchain on this machine");
        }
    }
    println!("\nxtask test: every step passed");
    for (name, secs) in &steps {
        println!("  {secs:>7.1}s  {name}");
    }
    println!(
        "  {:>7.1}s  in all (tool set-up included)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
