//! `wsinspect decode` and `wsinspect encode` as a new user runs them.

use crate::support::{data, run};
use serde_json::{json, Value};

fn decode_json(args: &[&str], stdin: &str) -> Value {
    let mut all = vec!["decode", "--json"];
    all.extend_from_slice(args);
    let out = run(&all, stdin.as_bytes());
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn first_finding(v: &Value) -> Value {
    v["frames"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().clone())
        .next()
        .map(|f| f["code"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn decode_json_rfc6455_5_7_masked_hello_has_the_documented_schema() {
    let v = decode_json(&["--from", "client"], "81 85 37 fa 21 3d 7f 9f 4d 51 58");
    assert_eq!(
        v,
        json!({
            "direction": "client",
            "frames": [{
                "index": 0, "offset": 0, "header_len": 6, "fin": true,
                "rsv1": false, "rsv2": false, "rsv3": false,
                "opcode": 1, "opcode_name": "text", "masked": true, "mask_key": "37fa213d",
                "payload_len": 5, "length_form": 7, "payload": "48656c6c6f", "text": "Hello",
                "close": null, "findings": []
            }],
            "messages": [{
                "index": 0, "opcode": 1, "frames": [0], "compressed": false,
                "payload": "48656c6c6f", "text": "Hello", "complete": true,
                "decoded": null
            }],
            "incomplete": null
        })
    );
}

#[test]
fn decode_raw_file_argument() {
    let path = data("rfc6455-5.7-masked-hello.bin");
    let out = run(
        &[
            "decode",
            "--json",
            "--from",
            "client",
            path.to_str().unwrap(),
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["messages"][0]["text"], "Hello");
}

#[test]
fn decode_rfc7692_wireshark_dump_with_extensions() {
    let text = std::fs::read_to_string(data("rfc7692-7.2.3.2-dump.txt")).unwrap();
    let v = decode_json(
        &["--from", "server", "--extensions", "permessage-deflate"],
        &text,
    );
    assert_eq!(v["messages"][0]["text"], "Hello");
    assert_eq!(v["messages"][1]["text"], "Hello");
    assert_eq!(v["frames"][1]["payload"], "f200110000");
    assert_eq!(first_finding(&v), Value::Null);
}

#[test]
fn decode_first_finding_for_each_rule() {
    for (input, from, ext, code) in [
        (
            "81 05 48 65 6c 6c 6f",
            "client",
            "",
            "unmasked-client-frame",
        ),
        (
            "81 85 37 fa 21 3d 7f 9f 4d 51 58",
            "server",
            "",
            "masked-server-frame",
        ),
        ("a1 00", "server", "", "reserved-bits"),
        ("c9 00", "server", "permessage-deflate", "reserved-bits"),
        ("83 00", "server", "", "reserved-opcode"),
        ("09 00", "server", "", "fragmented-control"),
        ("80 00", "server", "", "unexpected-continuation"),
        ("01 00 81 00", "server", "", "expected-continuation"),
        ("81 02 c3 28", "server", "", "invalid-utf8"),
        ("88 02 03 ed", "server", "", "invalid-close-code"),
        ("88 01 03", "server", "", "close-payload-too-short"),
        ("88 00 81 00", "server", "", "frame-after-close"),
        ("82 7e 00 01 00", "server", "", "length-not-minimal"),
        (
            "c1 02 ff ff",
            "server",
            "permessage-deflate",
            "inflate-failed",
        ),
    ] {
        let v = decode_json(&["--from", from, "--extensions", ext], input);
        assert_eq!(first_finding(&v), code, "{input}");
        let f = v["frames"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| !f["findings"].as_array().unwrap().is_empty())
            .unwrap();
        let x = &f["findings"][0];
        assert!(x["rfc"].as_str().unwrap().starts_with("RFC "));
        assert!(["error", "warning", "note"].contains(&x["severity"].as_str().unwrap()));
        assert!(x["message"].as_str().unwrap().ends_with('.'));
    }
}

#[test]
fn decode_control_too_long_and_inflate_limit() {
    let mut long = String::from("89 7e 00 7e");
    long.push_str(&" 00".repeat(126));
    assert_eq!(
        first_finding(&decode_json(&["--from", "server"], &long)),
        "control-too-long"
    );
    let v = decode_json(
        &[
            "--from",
            "server",
            "--extensions",
            "permessage-deflate",
            "--max-inflated",
            "3",
        ],
        "c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00",
    );
    assert_eq!(first_finding(&v), "inflate-limit");
}

#[test]
fn decode_incomplete_frame_is_reported_not_an_error() {
    let v = decode_json(&[], "82 7f 7f ff ff ff ff ff ff ff");
    let i = &v["incomplete"];
    assert_eq!(
        (&i["offset"], &i["have"], &i["need"]),
        (&json!(0), &json!(10), &json!(9223372036854775807u64))
    );
    // The header arrived whole: it is given, and no payload byte came.
    assert_eq!(i["header"]["payload_len"], json!(9223372036854775807u64));
    assert!(i.get("first_bytes").is_none());
}

#[test]
fn decode_base64_and_c_array_inputs() {
    let v = decode_json(&["--format", "base64"], "gQVIZWxsbw==");
    assert_eq!(v["messages"][0]["text"], "Hello");
    let v = decode_json(
        &[],
        "unsigned char f[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};",
    );
    assert_eq!(v["messages"][0]["text"], "Hello");
}

#[test]
fn decode_table_is_the_default_output() {
    let out = run(&["decode", "--from", "client"], b"81 05 48 65 6c 6c 6f");
    assert!(out.status.success());
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(
        t.contains("Opcode") && t.contains("1 (text)") && t.contains("text: \"Hello\""),
        "{t}"
    );
    assert!(
        t.contains("error[unmasked-client-frame]") && t.contains("RFC 6455 §5.1"),
        "{t}"
    );
}

#[test]
fn decode_unusable_input_fails_with_line_and_column() {
    let out = run(&["decode", "--format", "hex"], b"81 05\n48 6g");
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("line 2, column 5") && e.contains("\"g\""), "{e}");
    let out = run(
        &[
            "decode",
            "--extensions",
            "permessage-deflate; server_max_window_bits=7",
        ],
        b"81 00",
    );
    assert!(!out.status.success());
}

#[test]
fn encode_prints_rfc6455_5_7_masked_hello_and_round_trips() {
    let out = run(
        &[
            "encode",
            "--opcode",
            "text",
            "--payload",
            "Hello",
            "--mask",
            "37fa213d",
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let hex = String::from_utf8(out.stdout).unwrap();
    assert_eq!(hex.trim(), "81 85 37 fa 21 3d 7f 9f 4d 51 58");
    let v = decode_json(&["--from", "client"], &hex);
    assert_eq!(v["messages"][0]["text"], "Hello");
}

#[test]
fn encode_deliberately_wrong_frames() {
    let out = run(
        &[
            "encode",
            "--opcode",
            "close",
            "--close-code",
            "1005",
            "--rsv2",
            "--length-form",
            "16",
            "--no-fin",
        ],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    let hex = String::from_utf8(out.stdout).unwrap();
    assert_eq!(hex.trim(), "28 7e 00 02 03 ed");
    let v = decode_json(&["--from", "server"], &hex);
    let codes: Vec<_> = v["frames"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "reserved-bits",
            "fragmented-control",
            "length-not-minimal",
            "invalid-close-code"
        ]
    );
}

#[test]
fn encode_reads_opcodes_and_keys_in_every_spelling_and_names_bad_ones() {
    let out = run(
        &["encode", "--opcode", "0xA", "--mask", "0x37 0xfa 0x21 0x3d"],
        b"",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "8a 80 37 fa 21 3d"
    );
    let err = |args: &[&str]| {
        let out = run(args, b"");
        assert!(!out.status.success());
        String::from_utf8(out.stderr).unwrap()
    };
    let e = err(&["encode", "--opcode", "txt"]);
    assert!(e.contains("--opcode") && e.contains("0-15"), "{e}");
    let e = err(&["encode", "--opcode", "text", "--mask", "37fa"]);
    assert!(
        e.contains("--mask") && e.contains("4 bytes (8 hex digits)"),
        "{e}"
    );
}

#[test]
fn decode_length_msb_set_is_reported_on_the_incomplete_frame() {
    let v = decode_json(&["--from", "server"], "82 7f 80 00 00 00 00 00 00 00");
    assert_eq!(v["incomplete"]["findings"][0]["code"], "length-msb-set");
}

#[test]
fn encode_length_form_too_short_fin_flags_payload_file_and_exit_codes() {
    // A 16-bit length cannot announce 70,000 bytes: a value error (exit 1), not the 64-bit form.
    let out = run(
        &[
            "encode",
            "--opcode",
            "binary",
            "--payload-file",
            "-",
            "--length-form",
            "16",
        ],
        &[0u8; 70_000],
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--length-form 16"));
    // --fin and --no-fin both work; the last one wins.
    let first_byte = |args: &[&str]| {
        let mut all = vec!["encode", "--opcode", "text", "--payload", "a"];
        all.extend_from_slice(args);
        let out = run(&all, b"");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout)[..2].to_string()
    };
    assert_eq!(first_byte(&[]), "81");
    assert_eq!(first_byte(&["--fin"]), "81");
    assert_eq!(first_byte(&["--no-fin"]), "01");
    assert_eq!(first_byte(&["--fin", "--no-fin"]), "01");
    assert_eq!(first_byte(&["--no-fin", "--fin"]), "81");
    // --payload-file takes the bytes of a file (here standard input).
    let out = run(
        &["encode", "--opcode", "binary", "--payload-file", "-"],
        b"\x00\xffHi",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "82 04 00 ff 48 69"
    );
    // An argument error (clap) is 2.
    let out = run(
        &[
            "encode",
            "--opcode",
            "text",
            "--payload",
            "a",
            "--payload-hex",
            "61",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
