//! Running the real `wsinspect` binary from end-to-end tests.
//!
//! These are integration tests of the package that owns the binary, so Cargo builds `wsinspect`
//! before running them and names its path in `CARGO_BIN_EXE_wsinspect`: no nested build, no
//! guessing of the target directory or profile.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// A fixture under tests/data at the repository root (this package is crates/wsinspect-cli).
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(name)
}

/// Run `wsinspect ARGS` with `stdin` as standard input.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsinspect");
    let mut input = child.stdin.take().expect("stdin");
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let out = child.wait_with_output().expect("wait for wsinspect");
    writer.join().expect("stdin writer");
    out
}
