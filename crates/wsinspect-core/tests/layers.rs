//! The core's modules are layers (ARCHITECTURE.md): each may use only the layers below it, so
//! no module imports one that imports it. Read from the source, so a new `use` that points up
//! fails here.

use std::path::Path;

/// The layers, lowest first.
const LAYERS: &[&str] = &[
    "common",
    "wire",
    "finding",
    "ext",
    "stream",
    "handshake",
    "session",
    "diagnose",
    "inspect",
];

fn layer_of(name: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == name)
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut checked = 0;
    for path in all {
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel
            .iter()
            .next()
            .unwrap()
            .to_str()
            .unwrap()
            .trim_end_matches(".rs");
        let Some(own) = layer_of(top) else {
            assert_eq!(
                top,
                "lib",
                "{} is in no layer: add it to LAYERS",
                rel.display()
            );
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + 7..];
                // `crate::a::..` or `crate::{a::.., b}`.
                let names: Vec<String> = match rest.strip_prefix('{') {
                    Some(group) => group
                        .split([',', '}'])
                        .map(|n| n.trim().split("::").next().unwrap_or("").to_string())
                        .collect(),
                    None => vec![rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect()],
                };
                for used in names {
                    if let Some(l) = layer_of(&used) {
                        checked += 1;
                        assert!(
                            l <= own,
                            "{}:{}: `{top}` uses `{used}`, a layer above it",
                            rel.display(),
                            n + 1
                        );
                    }
                }
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} uses found: is the scan broken?"
    );
}
