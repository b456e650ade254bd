//! Running the real `wsinspect` binary from end-to-end tests.
//!
//! Binaries of another package are not built for this package's tests, so the first call builds
//! `wsinspect` with the same cargo that runs the tests, then every test runs that file.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A fixture under tests/data.
pub fn data(name: &str) -> PathBuf {
    root().join("tests/data").join(name)
}

/// The path of a freshly built `wsinspect` binary.
pub fn wsinspect_bin() -> &'static PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "--bin",
                "wsinspect",
                "--message-format=short",
            ])
            .current_dir(root())
            .stderr(Stdio::inherit())
            .status()
            .expect("run cargo build");
        assert!(out.success(), "cargo build --bin wsinspect failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("target"));
        target.join("debug").join("wsinspect")
    })
}

/// Run `wsinspect ARGS` with `stdin` as standard input.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(wsinspect_bin())
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
