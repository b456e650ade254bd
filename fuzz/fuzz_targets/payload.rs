//! The payload decoders: a choice (auto or one decoder forced), a subprotocol, and a run of
//! messages split from the input. Invariants: no panic; every node's span lies inside the
//! message and inside its parent (below an `inflated` node, inside the inflated bytes); every
//! finding inside the message; the result serialises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect_payload::{Choice, Decoded, Decoder, Kind, MessageKind, Node, PayloadSession};

const SUBPROTOCOLS: &[Option<&str>] = &[
    None,
    Some("mqtt"),
    Some("v12.stomp"),
    Some("wamp.2.json"),
    Some("wamp.2.msgpack"),
    Some("wamp.2.cbor"),
    Some("graphql-transport-ws"),
    Some("actioncable-v1-json"),
];

fn check(n: &Node, lo: usize, hi: usize) {
    assert!(n.span[0] <= n.span[1] && lo <= n.span[0] && n.span[1] <= hi, "{} {:?} outside {lo}..{hi}", n.name, n.span);
    let (clo, chi) = if n.kind == Kind::Inflated {
        let len = n
            .value
            .as_deref()
            .and_then(|v| v.split(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(usize::MAX);
        (0, len)
    } else {
        (n.span[0], n.span[1])
    };
    for c in &n.children {
        check(c, clo, chi);
    }
}

fn check_decoded(d: &Decoded, len: usize) {
    check(&d.tree, 0, len);
    for f in &d.findings {
        assert!(f.span[0] <= f.span[1] && f.span[1] <= len, "finding {f:?} outside 0..{len}");
    }
    serde_json::to_string(d).unwrap();
}

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else {
        return;
    };
    let choice = match usize::from(knobs & 31) {
        0 => Choice::Auto,
        n => match Decoder::ALL.get(n - 1) {
            Some(d) => Choice::Force(*d),
            None => Choice::Auto,
        },
    };
    let sub = SUBPROTOCOLS[usize::from(knobs >> 5)];
    let mut session = PayloadSession::new(choice, sub);
    // Messages separated by 0xfe 0xfd; the first byte of each says text or binary.
    for piece in rest.split(|&b| b == 0xfe) {
        let Some((&k, payload)) = piece.split_first() else {
            continue;
        };
        let kind = if k & 1 == 0 { MessageKind::Text } else { MessageKind::Binary };
        if let Some(d) = session.message(kind, payload) {
            check_decoded(&d, payload.len());
        }
    }
});
