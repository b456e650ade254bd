//! Differential check against real peers: permessage-deflate conversations between Node `ws`
//! (client) and Python `websockets` (server), recorded on loopback (tests/data/real/README.md).
//! wsinspect must read back exactly the messages the peers sent, with no findings.

use crate::support::{data, run};

fn json(args: &[&str]) -> serde_json::Value {
    let out = run(args, b"");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn path(name: &str) -> String {
    data(&format!("real/{name}")).to_string_lossy().into_owned()
}

fn sent() -> Vec<String> {
    let text = std::fs::read_to_string(data("real/messages.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn real_deflate_conversations_decode_to_the_messages_sent_without_findings() {
    let sent = sent();
    for conv in ["ctx", "nct"] {
        for side in ["client", "server"] {
            let name = format!("{conv}.{side}.bin");
            let doc = json(&["handshake", "--json", &path(&name)]);
            let frames = &doc["frames"];
            assert_eq!(frames["direction"], side, "{name}");
            let findings: Vec<&serde_json::Value> = frames["frames"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|f| f["findings"].as_array().unwrap())
                .collect();
            assert!(findings.is_empty(), "{name}: {findings:?}");
            let messages = frames["messages"].as_array().unwrap();
            let texts: Vec<&str> = messages
                .iter()
                .map(|m| m["text"].as_str().expect("a text message"))
                .collect();
            assert_eq!(texts, sent, "{name}");
            assert!(messages.iter().all(|m| m["compressed"] == true), "{name}");
            // The large message went in fragments.
            assert!(
                messages[2]["frames"].as_array().unwrap().len() > 1,
                "{name}"
            );
        }
    }
    let nct = json(&["handshake", "--json", &path("nct.server.bin")]);
    let h = nct["extensions_header"].as_str().unwrap();
    assert!(h.contains("server_no_context_takeover"), "{h}");
}

#[test]
fn the_context_takeover_capture_really_takes_over_context() {
    // Decoded as if the server had promised not to, the real stream's second message (which
    // refers back into the first) is the violation the decoder must name.
    let out = run(
        &[
            "decode",
            "--json",
            "--extensions",
            "permessage-deflate; server_no_context_takeover",
            &path("ctx.server.bin"),
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings: Vec<(u64, &str)> = doc["frames"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| {
            f["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| (f["index"].as_u64().unwrap(), x["code"].as_str().unwrap()))
        })
        .collect();
    assert_eq!(findings, [(1, "inflate-failed")]);
}
