//! `wsinspect decode` on the dumps and arrays that real tools print (issue #9).

use crate::support::run;
use serde_json::Value;

/// Decode `input` from a client's point of view of a server frame; the text of its one message.
fn first_text(input: &str) -> String {
    let out = run(&["decode", "--json", "--from", "server"], input.as_bytes());
    assert!(out.status.success(), "{input}\n{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v["frames"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn hexdump_c_with_brackets_and_escapes_in_the_ascii_column() {
    // printf '\x81\x05Hel[o' | hexdump -C
    let dump = "00000000  81 05 48 65 6c 5b 6f                              |..Hel[o|\n00000007\n";
    assert_eq!(first_text(dump), "Hel[o");
    // A Wireshark dump whose ASCII column holds `{` and `\x`.
    let dump = "0000  81 05 7b 5c 78 38 31                              ..{\\x81\n";
    assert_eq!(first_text(dump), "{\\x81");
}

#[test]
fn notations_of_xxd_od_python_wireshark_c_arrays_and_a_bom() {
    for input in [
        "00000000: 8105 4865 6c6c 6f                        ..Hello\n",
        "unsigned char stdin[] = {\n  0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f\n};\nunsigned int stdin_len = 7;\n",
        "b'\\x81\\x05Hello'",
        "{0x81, /* FIN + text */ 0x05, // length 5\n 0x48, 0x65, 0x6c, 0x6c, 0x6f}",
        "/* Packet 4 */\nstatic const unsigned char pkt4[2] = {\n0x81, 0x05 /* .. */\n};\n\n/* Packet 5 */\nstatic const unsigned char pkt5[5] = {\n0x48, 0x65, 0x6c, 0x6c, 0x6f /* Hello */\n};\n",
        "\u{feff}81 05 48 65 6c 6c 6f",
        " 81 05 48 65 6c 6c 6f\n",
        "0000000 81 05 48 65 6c 6c 6f\n0000007\n",
    ] {
        assert_eq!(first_text(input), "Hello", "{input}");
    }
}

#[test]
fn hexdump_star_line_repeats_the_line_before() {
    let dump = "00000000  82 7e 00 30 00 00 00 00  00 00 00 00 00 00 00 00  |.~.0............|\n00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n*\n00000030  00 00 00 00                                       |....|\n00000034\n";
    let out = run(&["decode", "--json", "--from", "server"], dump.as_bytes());
    assert!(out.status.success(), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["frames"][0]["payload_len"], 48);
    assert_eq!(v["frames"].as_array().unwrap().len(), 1);
}

#[test]
fn od_x_words_are_refused_with_the_command_to_use() {
    for input in [
        "0000000 0581 6548 6c6c 006f\n0000007\n",
        " 0581 6548 6c6c 006f\n",
    ] {
        let out = run(&["decode", "--from", "server"], input.as_bytes());
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("od -An -tx1"),
            "{out:?}"
        );
    }
}
