//! Installing, once per machine, what building and testing the page needs.
//!
//! Two sets, so `cargo xtask serve` installs only the first:
//!
//! - [`Page`], what building and serving the page needs:
//!   - a wasm32 standard library. Where `rustup target add wasm32-unknown-unknown` works (an
//!     ordinary machine), that is used. Where it cannot download (machines without internet
//!     access to the Rust dist server), Debian's `rustc-web` with its library source builds std
//!     from source (`-Z build-std`), linked by `wasm-ld-19`. The choice is made once and
//!     remembered in `<tools>/wasm-toolchain`; see ../shared/toolchain.md for what was tried.
//!   - Trunk at [`TRUNK_VERSION`] and wasm-bindgen-cli at exactly the `wasm-bindgen` crate pin
//!     of the root Cargo.toml, each installed with `cargo install --root` into a directory of
//!     its own version (`<tools>/trunk/0.21.14/bin/trunk`), so changing a pin never reuses a
//!     binary of another version and going back to an older pin finds it still there.
//! - [`Browser`], what the browser tests add: Chromium (a Debian package) and Node.js, and the
//!   tests' one npm dependency (playwright-core, driving the system's Chromium) installed from
//!   the lock file, again whenever the lock file changes.
//!
//! Debian packages are installed with apt-get directly only when running as root (saying what
//! and why in one line). Otherwise xtask prints the `sudo apt-get` command and runs it only when
//! standard input is a terminal and the user says yes.

use std::collections::HashSet;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::util::{fail, output, root, run, run_with_time_limit, Result};

/// The Trunk release the page is built with (0.22 needs a newer rustc than most machines have).
pub const TRUNK_VERSION: &str = "0.21.14";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const DEBIAN_WASM_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld-19"];

/// How the wasm32 target is built on this machine.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Wasm {
    /// rustup's own wasm32-unknown-unknown standard library.
    Rustup,
    /// Debian's rustc-web, building std from source.
    DebianBuildStd,
}

impl Wasm {
    fn name(self) -> &'static str {
        match self {
            Wasm::Rustup => "rustup",
            Wasm::DebianBuildStd => "debian-build-std",
        }
    }

    fn usable(self) -> bool {
        match self {
            Wasm::Rustup => output(Command::new("rustup").args(["target", "list", "--installed"]))
                .is_some_and(|s| s.lines().any(|l| l.trim() == WASM_TARGET)),
            Wasm::DebianBuildStd => {
                Path::new("/usr/bin/rustc").exists()
                    && Path::new("/usr/bin/cargo").exists()
                    && Path::new("/usr/lib/rustlib/src/rust/library/std").exists()
                    && output(Command::new("wasm-ld-19").arg("--version")).is_some()
            }
        }
    }
}

/// What building and serving the page needs, installed and ready to use.
pub struct Page {
    wasm: Wasm,
    trunk: PathBuf,
    /// The directory holding the pinned `wasm-bindgen`, put first on Trunk's PATH.
    wasm_bindgen_dir: PathBuf,
}

impl Page {
    /// Install whatever the page needs and is missing, then say in a line what is used.
    pub fn ensure(apt: &mut Apt) -> Result<Page> {
        let home = tools_home();
        std::fs::create_dir_all(&home)
            .map_err(|e| format!("cannot create {}: {e}", home.display()))?;
        let wasm = ensure_wasm(&home, apt)?;
        let bindgen_version = wasm_bindgen_pin()?;
        let trunk = CargoTool {
            krate: "trunk",
            bin: "trunk",
            companions: &[],
            version: TRUNK_VERSION,
            locked: true,
        }
        .ensure(&home)?;
        let wasm_bindgen = CargoTool {
            krate: "wasm-bindgen-cli",
            bin: "wasm-bindgen",
            companions: &["wasm-bindgen-test-runner", "wasm2es6js"],
            version: &bindgen_version,
            // Its lock file names a webpki-roots version the registry does not serve.
            locked: false,
        }
        .ensure(&home)?;
        println!(
            "xtask: page tools: {} and {}",
            trunk.display(),
            wasm_bindgen.display()
        );
        let wasm_bindgen_dir = wasm_bindgen
            .parent()
            .expect("a tool path has a directory")
            .to_path_buf();
        Ok(Page {
            wasm,
            trunk,
            wasm_bindgen_dir,
        })
    }

    /// Set the environment the wasm build needs on this machine.
    fn wasm_env(&self, cmd: &mut Command, root: &Path) {
        cmd.current_dir(root)
            .env("CARGO_TARGET_DIR", root.join("target").join("wasm"));
        let mut path = vec![self.wasm_bindgen_dir.clone()];
        if self.wasm == Wasm::DebianBuildStd {
            // Debian's cargo and rustc must come before rustup's proxies.
            path.push(PathBuf::from("/usr/bin"));
            cmd.env("RUSTC", "/usr/bin/rustc")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
                .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", "wasm-ld-19")
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("CARGO");
        }
        if let Some(rest) = std::env::var_os("PATH") {
            path.extend(std::env::split_paths(&rest));
        }
        cmd.env(
            "PATH",
            std::env::join_paths(path).expect("PATH entries are valid"),
        );
    }

    /// `cargo` set up to build for wasm32 on this machine.
    pub fn wasm_cargo(&self, root: &Path) -> Command {
        let program = match self.wasm {
            Wasm::Rustup => "cargo",
            Wasm::DebianBuildStd => "/usr/bin/cargo",
        };
        let mut cmd = Command::new(program);
        self.wasm_env(&mut cmd, root);
        cmd
    }

    /// The pinned `trunk` with the wasm environment and the pinned wasm-bindgen first on PATH.
    pub fn trunk(&self, root: &Path) -> Command {
        let mut cmd = Command::new(&self.trunk);
        self.wasm_env(&mut cmd, root);
        cmd
    }
}

/// What the browser tests add to [`Page`], installed and ready to use.
pub struct Browser {
    chromium: PathBuf,
}

impl Browser {
    /// Install whatever the browser tests need and is missing.
    pub fn ensure(apt: &mut Apt) -> Result<Browser> {
        let chromium = ensure_chromium(apt)?;
        ensure_node(apt)?;
        println!("xtask: browser tests: {} and Node.js", chromium.display());
        Ok(Browser { chromium })
    }

    /// The browser end-to-end tests: Node's test runner over tests/browser, against dist/.
    pub fn tests(&self, root: &Path) -> Command {
        let mut cmd = Command::new("node");
        cmd.current_dir(root.join("tests/browser"))
            .args(["--test", "--test-reporter=spec"])
            .env("WSINSPECT_DIST", root.join("dist"))
            .env("WSINSPECT_CHROMIUM", &self.chromium)
            .env(
                "WSINSPECT_SCREENSHOTS",
                root.join("tests/browser/screenshots"),
            );
        cmd
    }
}

fn tools_home() -> PathBuf {
    if let Some(dir) = std::env::var_os("WSINSPECT_TOOLS") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| root().join("target"));
    cache.join("wsinspect").join("tools")
}

/// The version of the `wasm-bindgen = "=X"` pin in the root Cargo.toml, checked against
/// Trunk.toml so the two can never disagree.
fn wasm_bindgen_pin() -> Result<String> {
    let read = |name: &str| {
        std::fs::read_to_string(root().join(name)).map_err(|e| format!("reading {name}: {e}"))
    };
    let pin_in = |text: &str, key: &str| {
        text.lines().find_map(|l| {
            let rest = l.trim().strip_prefix(key)?.trim_start().strip_prefix('=')?;
            Some(
                rest.trim()
                    .trim_matches('"')
                    .trim_start_matches('=')
                    .to_owned(),
            )
        })
    };
    let cargo = read("Cargo.toml")?;
    let Some(version) = pin_in(&cargo, "wasm-bindgen") else {
        return fail("the root Cargo.toml has no `wasm-bindgen = \"=X\"` pin");
    };
    let trunk = read("Trunk.toml")?;
    match pin_in(&trunk, "wasm_bindgen") {
        Some(v) if v == version => Ok(version),
        other => fail(format!(
            "Trunk.toml's [tools] wasm_bindgen is {other:?} but Cargo.toml pins wasm-bindgen ={version}: make them equal"
        )),
    }
}

fn ensure_wasm(home: &Path, apt: &mut Apt) -> Result<Wasm> {
    const WHY: &str = "to build the wasm32 standard library from source with Debian's rustc-web";
    let memo = home.join("wasm-toolchain");
    // WSINSPECT_WASM_TOOLCHAIN=rustup|debian-build-std forces a path (to test the other one).
    if let Ok(name) = std::env::var("WSINSPECT_WASM_TOOLCHAIN") {
        let w = match name.as_str() {
            "rustup" => Wasm::Rustup,
            "debian-build-std" => Wasm::DebianBuildStd,
            other => {
                return fail(format!(
                    "WSINSPECT_WASM_TOOLCHAIN is rustup or debian-build-std, not {other:?}"
                ))
            }
        };
        if w == Wasm::DebianBuildStd && !w.usable() {
            apt.install(DEBIAN_WASM_PACKAGES, WHY)?;
        }
        if !w.usable() {
            return fail(format!(
                "WSINSPECT_WASM_TOOLCHAIN={name}, but that toolchain is not usable here"
            ));
        }
        println!("xtask: wasm32 via {name} (forced by WSINSPECT_WASM_TOOLCHAIN)");
        return Ok(w);
    }
    let remembered = match std::fs::read_to_string(&memo)
        .ok()
        .as_deref()
        .map(str::trim)
    {
        Some("rustup") => Some(Wasm::Rustup),
        Some("debian-build-std") => Some(Wasm::DebianBuildStd),
        _ => None,
    };
    if let Some(w) = remembered.filter(|w| w.usable()) {
        println!(
            "xtask: wasm32 via {} (decided earlier, remembered in {})",
            w.name(),
            memo.display()
        );
        return Ok(w);
    }
    let wasm = if Wasm::Rustup.usable() {
        println!("xtask: wasm32 via rustup: the target is already installed");
        Wasm::Rustup
    } else if remembered != Some(Wasm::DebianBuildStd)
        && output(Command::new("rustup").arg("--version")).is_some()
        && {
            println!("xtask: trying `rustup target add {WASM_TARGET}` (at most 120 s)");
            run_with_time_limit(
                Command::new("rustup").args(["target", "add", WASM_TARGET]),
                Duration::from_secs(120),
            )
        }
        && Wasm::Rustup.usable()
    {
        println!("xtask: wasm32 via rustup: `rustup target add` worked");
        Wasm::Rustup
    } else {
        if !Wasm::DebianBuildStd.usable() {
            apt.install(
                DEBIAN_WASM_PACKAGES,
                &format!("{WHY} (rustup could not add the target)"),
            )?;
        }
        if !Wasm::DebianBuildStd.usable() {
            return fail("neither rustup's wasm32 target nor Debian's rustc-web could be set up");
        }
        println!(
            "xtask: wasm32 via Debian's rustc-web building std from source (rustup could not add the target)"
        );
        Wasm::DebianBuildStd
    };
    std::fs::write(&memo, wasm.name()).map_err(|e| format!("writing {}: {e}", memo.display()))?;
    Ok(wasm)
}

/// A tool installed with `cargo install` into `<tools>/<bin>/<version>`.
struct CargoTool<'a> {
    krate: &'a str,
    /// The binary xtask runs; also the name of the tool's directory under `<tools>`.
    bin: &'a str,
    /// Other binaries the same crate installs, moved along with `bin` from the old layout.
    companions: &'a [&'a str],
    version: &'a str,
    locked: bool,
}

impl CargoTool<'_> {
    /// The path of the binary at the pinned version, installed unless it is already there.
    fn ensure(&self, home: &Path) -> Result<PathBuf> {
        let dir = home.join(self.bin).join(self.version);
        let path = dir.join("bin").join(self.bin);
        if self.is_pinned(&path) {
            return Ok(path);
        }
        // Another xtask (of this or an older checkout) may be building this very tool: wait for
        // it rather than build it twice at once, then use its result.
        for root in [home, dir.as_path()] {
            if let Some(pid) = running_install(root, self.krate, self.version) {
                println!(
                    "xtask: `cargo install {}` into {} is already running (pid {pid}); waiting for it",
                    self.krate,
                    root.display()
                );
                while alive(pid) {
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
        }
        if self.is_pinned(&path) || self.adopt_old_layout(home, &path) {
            return Ok(path);
        }
        println!(
            "xtask: installing {} {} into {} (once per machine and version)",
            self.krate,
            self.version,
            dir.display()
        );
        let mut cmd = Command::new("cargo");
        cmd.args(["install", "--root"]).arg(&dir).args([
            self.krate,
            "--version",
            self.version,
            "--force",
        ]);
        if self.locked {
            cmd.arg("--locked");
        }
        run(&mut cmd)?;
        if !self.is_pinned(&path) {
            return fail(format!(
                "{} was installed but `{} --version` does not say {} {}",
                self.krate,
                path.display(),
                self.bin,
                self.version
            ));
        }
        Ok(path)
    }

    /// Whether `path --version` names this tool at exactly the pinned version.
    fn is_pinned(&self, path: &Path) -> bool {
        output(Command::new(path).arg("--version")).is_some_and(|v| {
            let mut words = v.split_whitespace();
            words.next() == Some(self.bin) && words.next() == Some(self.version)
        })
    }

    /// Earlier xtask installed every tool into `<tools>/bin`, one version at a time. When that
    /// binary is exactly the pinned version, move it (and its companions) to `new` rather than
    /// build it again, and leave a link behind for checkouts whose xtask still looks there.
    fn adopt_old_layout(&self, home: &Path, new: &Path) -> bool {
        let old_bin = home.join("bin");
        let old = old_bin.join(self.bin);
        let is_file = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file());
        if !is_file(&old) || !self.is_pinned(&old) {
            return false;
        }
        let new_bin = new.parent().expect("a tool path has a directory");
        if std::fs::create_dir_all(new_bin).is_err() {
            return false;
        }
        println!(
            "xtask: moving {} {} from {} to {} (no rebuild)",
            self.bin,
            self.version,
            old.display(),
            new.display()
        );
        for name in std::iter::once(self.bin).chain(self.companions.iter().copied()) {
            let (from, to) = (old_bin.join(name), new_bin.join(name));
            if is_file(&from) && std::fs::rename(&from, &to).is_ok() {
                #[cfg(unix)]
                let _ = std::os::unix::fs::symlink(&to, &from);
            }
        }
        self.is_pinned(new)
    }
}

/// The id of a running `cargo install ... --root ROOT ... KRATE ... VERSION`, if there is one
/// (Linux only: read from /proc; elsewhere never found).
fn running_install(root: &Path, krate: &str, version: &str) -> Option<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        if pid == me {
            return None;
        }
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
        let has = |want: &str| args.contains(&want.as_bytes());
        let root_arg = args
            .windows(2)
            .find(|w| w[0] == b"--root")
            .map(|w| Path::new(std::str::from_utf8(w[1]).unwrap_or_default()))?;
        (has("install")
            && root_arg == root
            && args
                .iter()
                .any(|a| *a == krate.as_bytes() || a.starts_with(format!("{krate}@").as_bytes()))
            && args
                .iter()
                .any(|a| a.windows(version.len()).any(|w| w == version.as_bytes())))
        .then_some(pid)
    })
}

/// Whether process `pid` is still running (not gone, and not a zombie waiting to be reaped).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // "PID (COMMAND) STATE ...", where COMMAND may itself hold spaces and parentheses.
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

/// Wireshark's `tshark`, which the capture tests ask for a second opinion on every frame.
pub fn ensure_tshark(apt: &mut Apt) -> Result<()> {
    let ok = || output(Command::new("tshark").arg("--version")).is_some();
    if !ok() {
        apt.install(
            &["tshark"],
            "the capture tests compare every frame with Wireshark's dissector",
        )?;
    }
    Ok(())
}

/// nginx, the reverse proxy tests/data/diagnose/capture.sh records failures through (the tests
/// read its committed captures; this makes the script runnable on a fresh machine).
pub fn ensure_nginx(apt: &mut Apt) -> Result<()> {
    let ok = || {
        ["nginx", "/usr/sbin/nginx"]
            .iter()
            .any(|n| output(Command::new(n).arg("-v")).is_some())
    };
    if !ok() {
        apt.install(
            &["nginx-light"],
            "tests/data/diagnose/capture.sh records a proxy's refusals and idle timeouts with it",
        )?;
    }
    Ok(())
}

fn ensure_chromium(apt: &mut Apt) -> Result<PathBuf> {
    let find = || {
        ["chromium", "chromium-browser"]
            .iter()
            .find_map(|name| output(Command::new("which").arg(name)))
            .map(|p| PathBuf::from(p.trim()))
    };
    if let Some(path) = find() {
        return Ok(path);
    }
    apt.install(
        &["chromium"],
        "the browser tests drive Chromium (through playwright-core)",
    )?;
    find().ok_or_else(|| "chromium was installed but is not on PATH".into())
}

fn ensure_node(apt: &mut Apt) -> Result<()> {
    let major = |v: String| {
        v.trim()
            .trim_start_matches('v')
            .split('.')
            .next()?
            .parse::<u32>()
            .ok()
    };
    let ok = || {
        output(Command::new("node").arg("--version")).and_then(major) >= Some(20)
            && output(Command::new("npm").arg("--version")).is_some()
    };
    if !ok() {
        apt.install(
            &["nodejs", "npm"],
            "the browser tests run on Node.js with playwright-core from npm",
        )?;
        if !ok() {
            return fail(
                "the browser tests need Node.js 20 or later and npm (playwright-core requires it)",
            );
        }
    }
    let dir = root().join("tests/browser");
    let lock = dir.join("package-lock.json");
    let lock = std::fs::read(&lock).map_err(|e| format!("reading {}: {e}", lock.display()))?;
    let hash = format!("{:016x}\n", fnv1a64(&lock));
    // Written after a successful `npm ci`; a different lock file means a different install.
    let stamp = dir.join("node_modules/.wsinspect-lock-hash");
    let installed = dir
        .join("node_modules/playwright-core/package.json")
        .exists();
    let reason = match std::fs::read_to_string(&stamp) {
        _ if !installed => "not installed yet",
        Ok(s) if s == hash => return Ok(()),
        Ok(_) => "package-lock.json changed since the last install",
        Err(_) => "no record of the lock file it was installed from",
    };
    println!("xtask: installing the browser tests' npm dependencies (npm ci: {reason})");
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir))?;
    std::fs::write(&stamp, hash).map_err(|e| format!("writing {}: {e}", stamp.display()))
}

/// 64-bit FNV-1a: a stable, dependency-free change detector for the npm lock file.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Debian packages, with `apt-get update` run at most once per xtask run.
#[derive(Default)]
pub struct Apt {
    updated: bool,
    installed: HashSet<String>,
}

impl Apt {
    /// Install `packages`, needed `why` (a phrase that completes "xtask needs these: ...").
    /// As root with apt-get directly; otherwise only through `sudo` after asking on a terminal,
    /// and never without printing the command first.
    fn install(&mut self, packages: &[&str], why: &str) -> Result<()> {
        let wanted: Vec<&str> = packages
            .iter()
            .copied()
            .filter(|p| !self.installed.contains(*p))
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let list = wanted.join(" ");
        if output(Command::new("apt-get").arg("--version")).is_none() {
            return fail(format!(
                "please install {list} with your system's package manager ({why}; no apt-get here)"
            ));
        }
        let root = output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0");
        let update_args = ["update", "-q"];
        let install_args = ["install", "-y", "-q", "--no-install-recommends"];
        if root {
            println!(
                "xtask: installing the Debian package(s) {list} with apt-get (as root): {why}"
            );
        } else {
            let command = format!(
                "sudo apt-get {} && sudo apt-get {} {list}",
                update_args.join(" "),
                install_args.join(" ")
            );
            println!(
                "xtask: the Debian package(s) {list} are missing ({why}); installing them needs root:\n    {command}"
            );
            let again = "then run this xtask command again";
            if output(Command::new("sudo").arg("--version")).is_none() {
                return fail(format!(
                    "there is no sudo here: as root, run `{}`, {again}",
                    command.replace("sudo ", "")
                ));
            }
            if !std::io::stdin().is_terminal() {
                return fail(format!(
                    "not running sudo without asking (standard input is not a terminal): run `{command}`, {again}"
                ));
            }
            if !confirm("xtask: run it now? [y/N] ") {
                return fail(format!("{list} not installed: run `{command}`, {again}"));
            }
        }
        let apt = |args: &[&str]| {
            let mut cmd = if root {
                Command::new("apt-get")
            } else {
                let mut c = Command::new("sudo");
                c.arg("apt-get");
                c
            };
            cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            cmd
        };
        if !self.updated {
            run(&mut apt(&update_args))?;
            self.updated = true;
        }
        let mut args = install_args.to_vec();
        args.extend(&wanted);
        run(&mut apt(&args))?;
        self.installed.extend(wanted.iter().map(|p| p.to_string()));
        Ok(())
    }
}

/// Ask a yes/no question on the terminal; anything but "y" or "yes" is no.
fn confirm(question: &str) -> bool {
    print!("{question}");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok()
        && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// What `cargo xtask fuzz` and the fuzz smoke step of `test` need: cargo-fuzz at its pin and a
/// nightly toolchain (libFuzzer's instrumentation needs it).
pub struct Fuzz {
    pub cargo_fuzz: PathBuf,
}

pub const CARGO_FUZZ_VERSION: &str = "0.13.1";

impl Fuzz {
    /// cargo-fuzz installed if missing; `Ok(None)`, with the reason printed, when rustup has no
    /// nightly toolchain here (it is tried once, with a time limit).
    pub fn ensure() -> Result<Option<Fuzz>> {
        let nightly =
            || output(Command::new("rustup").args(["run", "nightly", "rustc", "--version"]));
        if nightly().is_none() {
            println!("xtask: no nightly toolchain; trying `rustup toolchain install nightly --profile minimal`");
            let mut install = Command::new("rustup");
            install.args(["toolchain", "install", "nightly", "--profile", "minimal"]);
            if !run_with_time_limit(&mut install, Duration::from_secs(300)) || nightly().is_none() {
                println!("xtask: fuzzing needs a nightly toolchain, which rustup cannot install here: skipped");
                return Ok(None);
            }
        }
        let home = tools_home();
        let cargo_fuzz = CargoTool {
            krate: "cargo-fuzz",
            bin: "cargo-fuzz",
            companions: &[],
            version: CARGO_FUZZ_VERSION,
            locked: true,
        }
        .ensure(&home)?;
        Ok(Some(Fuzz { cargo_fuzz }))
    }

    /// `cargo fuzz ARGS` with nightly, in fuzz/.
    pub fn cargo_fuzz(&self, root: &Path) -> Command {
        let mut cmd = Command::new(&self.cargo_fuzz);
        cmd.arg("fuzz")
            .env("RUSTUP_TOOLCHAIN", "nightly")
            .current_dir(root.join("fuzz"));
        cmd
    }
}

/// Python's `websockets` (13 or later: its asyncio API), the live-capture tests' second real
/// peer (permessage-deflate on and off through the relay); installed with pip for the user.
pub fn ensure_python_websockets() -> Result<()> {
    let probe = || {
        Command::new("python3")
            .args(["-c", "import websockets.asyncio.server"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if probe() {
        return Ok(());
    }
    println!("xtask: installing Python's websockets (the live-capture tests' peer) with pip");
    let mut pip = Command::new("python3");
    pip.args(["-m", "pip", "install", "--user", "websockets>=13"]);
    if output(&mut pip).is_none() || !probe() {
        println!("xtask: python3 -m pip install websockets failed: those tests will skip");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fnv1a64;

    #[test]
    fn fnv1a64_matches_the_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
