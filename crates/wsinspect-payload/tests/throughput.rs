//! How fast the decoders read large messages (run with
//! `cargo test --release -p wsinspect-payload --test throughput -- --ignored --nocapture`).
//! Ignored by default: a measurement, not a check (docs/payload.md quotes its numbers).

use std::time::Instant;

use wsinspect_payload::{decode, Choice, Decoder, MessageKind};

fn measure(name: &str, d: Decoder, kind: MessageKind, bytes: &[u8]) {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed().as_millis() < 500 {
        let out = decode(Choice::Force(d), None, kind, bytes).unwrap();
        assert!(out.findings.is_empty(), "{name}: {:?}", out.findings);
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64() / f64::from(n);
    println!(
        "{name}: {} bytes in {:.2} ms = {:.0} MB/s",
        bytes.len(),
        secs * 1e3,
        bytes.len() as f64 / secs / 1e6
    );
}

#[test]
#[ignore]
fn large_messages() {
    // 10 000 records like a trading feed's.
    let mut json = String::from("[");
    let mut mp = vec![0xdd, 0, 0, 0x27, 0x10];
    let mut pb = Vec::new();
    for i in 0..10_000u32 {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            r#"{{"sym":"ABC{i}","price":{}.25,"qty":{i},"side":"buy"}}"#,
            100 + i % 50
        ));
        mp.extend([
            0x84,
            0xa3,
            b's',
            b'y',
            b'm',
            0xa6,
            b'A',
            b'B',
            b'C',
            b'0' + (i % 10) as u8,
            b'0',
            b'0',
        ]);
        mp.extend([0xa5, b'p', b'r', b'i', b'c', b'e', 0xcb]);
        mp.extend(100.25f64.to_bits().to_be_bytes());
        mp.extend([
            0xa3,
            b'q',
            b't',
            b'y',
            0xcd,
            (i >> 8) as u8,
            i as u8,
            0xa4,
            b's',
            b'i',
            b'd',
            b'e',
            0xa3,
            b'b',
            b'u',
            b'y',
        ]);
        // field 1 { 1: "ABC", 2: double, 3: varint }
        pb.extend([0x0a, 0x13, 0x0a, 0x03, b'A', b'B', b'C', 0x11]);
        pb.extend(100.25f64.to_bits().to_le_bytes());
        pb.extend([0x18, 0x80 | (i & 0x7f) as u8, ((i >> 7) & 0x7f) as u8]);
    }
    json.push(']');
    measure("json", Decoder::Json, MessageKind::Text, json.as_bytes());
    measure("msgpack", Decoder::MsgPack, MessageKind::Binary, &mp);
    measure(
        "protobuf (no schema)",
        Decoder::Protobuf,
        MessageKind::Binary,
        &pb,
    );
}
