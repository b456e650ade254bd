//! The page's examples menu: RFC 6455 §5.7 and RFC 7692 §7.2.3 frames, handshakes that pass and
//! fail, one frame per finding code, and the worked examples and buggy handshakes of the
//! tutorials our users learn from (../shared/seeds). Each example is input exactly as a user
//! would paste it, with the direction, extensions and inflate limit to decode it with.

use wsinspect_core::finding::Rule;
use wsinspect_core::stream::DEFAULT_MAX_INFLATED;
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::wire::encode::{close_payload, encode, spaced_hex, FrameSpec, LengthForm};
use wsinspect_core::Direction;

/// One entry of the examples menu.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    /// Stable id (the `<option value>`).
    pub id: &'static str,
    /// The menu group.
    pub group: &'static str,
    /// The menu label.
    pub title: &'static str,
    /// The input text.
    pub input: fn() -> String,
    /// Who sent the frames (when no handshake says so).
    pub direction: Direction,
    /// A `Sec-WebSocket-Extensions` value to decode with (empty: none).
    pub extensions: &'static str,
    /// The rule whose finding the example shows, if it is a finding example.
    pub finding: Option<Rule>,
    /// The inflate limit to decode with, when not [`DEFAULT_MAX_INFLATED`].
    pub max_inflated: Option<usize>,
}

impl Example {
    /// The most bytes one message may inflate to when decoding this example: its own limit, or
    /// the default (so choosing an example without one resets a limit another example set).
    pub fn inflate_limit(&self) -> usize {
        self.max_inflated.unwrap_or(DEFAULT_MAX_INFLATED)
    }
}

macro_rules! ex {
    ($id:literal, $group:expr, $title:literal, $dir:ident, $ext:literal, $finding:expr, $input:expr) => {
        ex!($id, $group, $title, $dir, $ext, $finding, None, $input)
    };
    ($id:literal, $group:expr, $title:literal, $dir:ident, $ext:literal, $finding:expr, $limit:expr, $input:expr) => {
        Example {
            id: $id,
            group: $group,
            title: $title,
            input: $input,
            direction: Direction::$dir,
            extensions: $ext,
            finding: $finding,
            max_inflated: $limit,
        }
    };
}

/// The inflate-limit example: how much its message inflates to, and the limit it is decoded with.
const BOMB_INFLATED: usize = 1 << 20;
const BOMB_LIMIT: usize = 64 << 10;

const RFC: &str = "RFC examples";
const HS: &str = "Handshakes";
const TUT: &str = "From WebSocket tutorials (handshakes to check)";
const FIND: &str = "Protocol mistakes, one per finding";

fn s(text: &'static str) -> String {
    text.to_string()
}

fn hex_of(bytes: &[u8]) -> String {
    crate::view::hex_lines(bytes)
}

/// Every example, in menu order.
pub static EXAMPLES: &[Example] = &[
    ex!(
        "rfc6455-unmasked-hello",
        RFC,
        "RFC 6455 §5.7: unmasked text \"Hello\" (server)",
        Server,
        "",
        None,
        || s("81 05 48 65 6c 6c 6f")
    ),
    ex!(
        "rfc6455-masked-hello",
        RFC,
        "RFC 6455 §5.7: masked text \"Hello\" (client)",
        Client,
        "",
        None,
        || s("81 85 37 fa 21 3d 7f 9f 4d 51 58")
    ),
    ex!(
        "rfc6455-fragmented",
        RFC,
        "RFC 6455 §5.7: fragmented \"Hel\" + \"lo\"",
        Server,
        "",
        None,
        || s("01 03 48 65 6c\n80 02 6c 6f")
    ),
    ex!(
        "rfc6455-ping-pong",
        RFC,
        "RFC 6455 §5.7: ping, then masked pong",
        Unknown,
        "",
        None,
        || s("89 05 48 65 6c 6c 6f\n8a 85 37 fa 21 3d 7f 9f 4d 51 58")
    ),
    ex!(
        "rfc6455-256-binary",
        RFC,
        "RFC 6455 §5.7: 256 bytes binary (16-bit length)",
        Server,
        "",
        None,
        || {
            hex_of(&encode(&FrameSpec::new(
                OpCode::BINARY,
                (0..=255u8).collect::<Vec<_>>(),
            )))
        }
    ),
    ex!(
        "rfc6455-64k-binary",
        RFC,
        "RFC 6455 §5.7: 64 KiB binary (64-bit length)",
        Server,
        "",
        None,
        || { hex_of(&encode(&FrameSpec::new(OpCode::BINARY, vec![0x2a; 65536]))) }
    ),
    ex!(
        "rfc7692-hello",
        RFC,
        "RFC 7692 §7.2.3.1: compressed \"Hello\"",
        Server,
        "permessage-deflate",
        None,
        || s("c1 07 f2 48 cd c9 c9 07 00")
    ),
    ex!(
        "rfc7692-fragmented",
        RFC,
        "RFC 7692 §7.2.3.1: compressed \"Hello\" in two fragments",
        Server,
        "permessage-deflate",
        None,
        || s("41 03 f2 48 cd\n80 04 c9 c9 07 00")
    ),
    ex!(
        "rfc7692-shared-window",
        RFC,
        "RFC 7692 §7.2.3.2: two messages sharing the LZ77 window",
        Server,
        "permessage-deflate",
        None,
        || s("0000  c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00   ...H.........")
    ),
    ex!(
        "rfc7692-stored",
        RFC,
        "RFC 7692 §7.2.3.3: DEFLATE block with no compression",
        Server,
        "permessage-deflate",
        None,
        || s("c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00")
    ),
    ex!(
        "rfc7692-bfinal",
        RFC,
        "RFC 7692 §7.2.3.4: DEFLATE block with BFINAL set",
        Server,
        "permessage-deflate",
        None,
        || s("c1 08 f3 48 cd c9 c9 07 00 00")
    ),
    ex!(
        "rfc7692-two-blocks",
        RFC,
        "RFC 7692 §7.2.3.5: two DEFLATE blocks in one message",
        Server,
        "permessage-deflate",
        None,
        || s("c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00")
    ),
    ex!(
        "fragmented-with-ping",
        RFC,
        "Fragmented message with a ping inside",
        Server,
        "",
        None,
        || s("01 03 48 65 6c\n89 04 70 69 6e 67\n80 02 6c 6f")
    ),
    ex!(
        "close-going-away",
        RFC,
        "Close frame: 1001 going away",
        Server,
        "",
        None,
        || {
            hex_of(&encode(&FrameSpec::new(
                OpCode::CLOSE,
                close_payload(1001, b"server restarting"),
            )))
        }
    ),
    ex!(
        "json-message",
        RFC,
        "Text message carrying JSON",
        Server,
        "",
        None,
        || {
            hex_of(&encode(&FrameSpec::new(
                OpCode::TEXT,
                &br#"{"type":"chat","user":{"id":42,"name":"Ada"},"text":"hi","tags":["a","b"]}"#[..],
            )))
        }
    ),
    ex!(
        "handshake-rfc6455",
        HS,
        "RFC 6455 §1.2 handshake (passes)",
        Unknown,
        "",
        None,
        || s(include_str!("../fixtures/rfc6455.txt"))
    ),
    ex!(
        "handshake-misspelled-guid",
        HS,
        "Misspelled GUID and bare LF (tutorial 003)",
        Unknown,
        "",
        None,
        || s(include_str!("../fixtures/tutorial-003.txt"))
    ),
    ex!(
        "capture-node-client",
        HS,
        "Real capture: Node ws client, compressed frames (hex)",
        Unknown,
        "",
        None,
        || {
            hex_of(include_bytes!(
                "../fixtures/real-node-client_py-server.client.bin"
            ))
        }
    ),
    ex!(
        "tutorial-000",
        TUT,
        "000: ws echo server handshake (key IHfMdf8a…)",
        Unknown,
        "",
        None,
        || s(include_str!("../fixtures/tutorial-000.txt"))
    ),
    ex!(
        "tutorial-001",
        TUT,
        "001: the request/response sketch with placeholder key",
        Unknown,
        "",
        None,
        || {
            s("GET ws://localhost:3000/ws/chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nOrigin: http://localhost:3000\r\nSec-WebSocket-Key: client-random-string\r\nSec-WebSocket-Version: 13\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: server-random-string\r\n\r\n")
        }
    ),
    ex!(
        "tutorial-002",
        TUT,
        "002: RFC request answered by the Tornado response",
        Unknown,
        "",
        None,
        || {
            s("GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com \r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nContent-Length: 0\r\nUpgrade: websocket\r\nSec-Websocket-Accept: ZEs+c+VBk8Aj01+wJGN7Y15796g=\r\nServer: TornadoServer/4.5.1\r\nConnection: Upgrade\r\nDate: Wed, 21 Jun 2017 03:29:14 GMT\r\n\r\n")
        }
    ),
    ex!(
        "tutorial-004",
        TUT,
        "004: handshaking.js response with draft-76 headers",
        Unknown,
        "",
        None,
        || s(include_str!("../fixtures/tutorial-004.txt"))
    ),
    ex!(
        "tutorial-004-close",
        TUT,
        "004: socket.close(1000, \"closing normally\") from the browser",
        Client,
        "",
        None,
        || {
            hex_of(&encode(
                &FrameSpec::new(OpCode::CLOSE, close_payload(1000, b"closing normally"))
                    .masked([0x12, 0x34, 0x56, 0x78]),
            ))
        }
    ),
    ex!(
        "finding-unmasked-client-frame",
        FIND,
        "Client frame sent without a mask (unmasked-client-frame)",
        Client,
        "",
        Some(Rule::UnmaskedClientFrame),
        || s("81 05 48 65 6c 6c 6f")
    ),
    ex!(
        "finding-masked-server-frame",
        FIND,
        "Server frame sent with a mask (masked-server-frame)",
        Server,
        "",
        Some(Rule::MaskedServerFrame),
        || s("81 85 37 fa 21 3d 7f 9f 4d 51 58")
    ),
    ex!(
        "finding-reserved-bits",
        FIND,
        "RSV bit set with no extension agreed (reserved-bits)",
        Server,
        "",
        Some(Rule::ReservedBits),
        || s("a1 00")
    ),
    ex!(
        "finding-reserved-opcode",
        FIND,
        "Opcode that RFC 6455 reserves (reserved-opcode)",
        Server,
        "",
        Some(Rule::ReservedOpcode),
        || s("83 00")
    ),
    ex!(
        "finding-fragmented-control",
        FIND,
        "Ping without FIN: control frames cannot be split (fragmented-control)",
        Server,
        "",
        Some(Rule::FragmentedControl),
        || s("09 00")
    ),
    ex!(
        "finding-control-too-long",
        FIND,
        "Ping with more than 125 bytes (control-too-long)",
        Server,
        "",
        Some(Rule::ControlTooLong),
        || { hex_of(&encode(&FrameSpec::new(OpCode::PING, vec![0u8; 126]))) }
    ),
    ex!(
        "finding-unexpected-continuation",
        FIND,
        "Continuation frame with no message to continue (unexpected-continuation)",
        Server,
        "",
        Some(Rule::UnexpectedContinuation),
        || s("80 00")
    ),
    ex!(
        "finding-expected-continuation",
        FIND,
        "New message before the last one finished (expected-continuation)",
        Server,
        "",
        Some(Rule::ExpectedContinuation),
        || s("01 00 81 00")
    ),
    ex!(
        "finding-invalid-utf8",
        FIND,
        "Text message that is not valid UTF-8 (invalid-utf8)",
        Server,
        "",
        Some(Rule::InvalidUtf8),
        || s("81 02 c3 28")
    ),
    ex!(
        "finding-invalid-close-code",
        FIND,
        "Close frame with a code never sent on the wire (invalid-close-code)",
        Server,
        "",
        Some(Rule::InvalidCloseCode),
        || s("88 02 03 ed")
    ),
    ex!(
        "finding-close-payload-too-short",
        FIND,
        "Close frame with a 1-byte body (close-payload-too-short)",
        Server,
        "",
        Some(Rule::ClosePayloadTooShort),
        || s("88 01 03")
    ),
    ex!(
        "finding-frame-after-close",
        FIND,
        "Frame sent after the Close frame (frame-after-close)",
        Server,
        "",
        Some(Rule::FrameAfterClose),
        || s("88 00 81 00")
    ),
    ex!(
        "finding-length-not-minimal",
        FIND,
        "Length written in more bytes than needed (length-not-minimal)",
        Server,
        "",
        Some(Rule::LengthNotMinimal),
        || {
            hex_of(&encode(&FrameSpec {
                length_form: LengthForm::Bits16,
                ..FrameSpec::new(OpCode::BINARY, vec![1u8])
            }))
        }
    ),
    ex!(
        "finding-length-msb-set",
        FIND,
        "64-bit length with its top bit set (length-msb-set)",
        Server,
        "",
        Some(Rule::LengthMsbSet),
        || s("82 7f 80 00 00 00 00 00 00 05 01 02 03 04 05")
    ),
    ex!(
        "finding-inflate-failed",
        FIND,
        "Compressed message that does not inflate (inflate-failed)",
        Server,
        "permessage-deflate",
        Some(Rule::InflateFailed),
        || s("c1 02 ff ff")
    ),
    ex!(
        "finding-inflate-limit",
        FIND,
        "Compression bomb: 1 MiB of zeros under a 64 KiB limit (inflate-limit)",
        Server,
        "permessage-deflate",
        Some(Rule::InflateLimit),
        Some(BOMB_LIMIT),
        || {
            // RFC 7692 §8.1: a small message (about 1 KiB) that inflates to 1 MiB of zeros, decoded
            // with a 64 KiB limit, so the finding appears at once without inflating megabytes.
            let z = miniz_oxide::deflate::compress_to_vec(&vec![0u8; BOMB_INFLATED], 6);
            let z = z
                .strip_suffix(&[0x00, 0x00, 0xff, 0xff])
                .unwrap_or(&z)
                .to_vec();
            spaced_hex(&encode(&FrameSpec {
                rsv1: true,
                ..FrameSpec::new(OpCode::BINARY, z)
            }))
        }
    ),
];

/// The example with this id.
pub fn example(id: &str) -> Option<&'static Example> {
    EXAMPLES.iter().find(|e| e.id == id)
}

/// The menu groups in order, each with its examples.
pub fn groups() -> Vec<(&'static str, Vec<&'static Example>)> {
    let mut out: Vec<(&'static str, Vec<&'static Example>)> = Vec::new();
    for e in EXAMPLES {
        match out.iter_mut().find(|(g, _)| *g == e.group) {
            Some((_, v)) => v.push(e),
            None => out.push((e.group, vec![e])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::inspect::{inspect, InspectOptions};

    fn run(e: &Example) -> wsinspect_core::inspect::Inspection {
        let opts = InspectOptions {
            direction: e.direction,
            extensions: (!e.extensions.is_empty()).then(|| e.extensions.to_string()),
            max_inflated: e.inflate_limit(),
            ..InspectOptions::default()
        };
        inspect((e.input)().as_bytes(), &opts).unwrap_or_else(|err| panic!("{}: {err}", e.id))
    }

    #[test]
    fn every_example_inspects_and_ids_are_unique() {
        for (i, e) in EXAMPLES.iter().enumerate() {
            assert!(EXAMPLES[i + 1..].iter().all(|o| o.id != e.id), "{}", e.id);
            let r = run(e);
            assert!(
                r.handshake.is_some()
                    || r.frames
                        .as_ref()
                        .is_some_and(|f| !f.frames.is_empty() || f.incomplete.is_some()),
                "{}",
                e.id
            );
            if e.group == RFC {
                let f = r.frames.unwrap();
                assert_eq!(
                    f.findings().count(),
                    0,
                    "{}: {:?}",
                    e.id,
                    f.findings().collect::<Vec<_>>()
                );
            }
        }
        assert_eq!(groups().len(), 4);
    }

    #[test]
    fn there_is_one_example_per_finding_code_and_it_shows_that_code() {
        // Our own limits and capture gaps are not something a pasted example can teach.
        for &rule in Rule::ALL.iter().filter(|r| r.def().is_protocol_rule()) {
            let e = EXAMPLES
                .iter()
                .find(|e| e.finding == Some(rule))
                .unwrap_or_else(|| panic!("no example for {rule}"));
            let f = run(e).frames.unwrap();
            let codes: Vec<_> = f
                .findings()
                .chain(f.incomplete.iter().flat_map(|i| &i.findings))
                .map(|x| x.rule)
                .collect();
            assert!(codes.contains(&rule), "{}: {codes:?}", e.id);
        }
    }

    #[test]
    fn the_inflate_limit_example_is_small_and_stops_at_its_own_limit() {
        let e = example("finding-inflate-limit").unwrap();
        assert_eq!(e.inflate_limit(), BOMB_LIMIT);
        let input = (e.input)();
        assert!(input.len() < 16 << 10, "{} bytes of input", input.len());
        let f = run(e).frames.unwrap();
        let m = &f.messages[0];
        let inflated = m.inflated.as_ref().map_or(0, Vec::len);
        assert!(inflated <= BOMB_LIMIT, "{inflated} bytes inflated");
        let finding = f.findings().find(|x| x.rule == Rule::InflateLimit).unwrap();
        assert!(
            finding.message.contains("65536 bytes"),
            "{}",
            finding.message
        );
        // The same message under a 1 MiB limit (exactly its size) inflates whole, with no finding.
        let whole = wsinspect_core::inspect::inspect(
            input.as_bytes(),
            &InspectOptions {
                direction: e.direction,
                extensions: Some(e.extensions.into()),
                max_inflated: BOMB_INFLATED,
                ..InspectOptions::default()
            },
        )
        .unwrap()
        .frames
        .unwrap();
        assert_eq!(
            whole.messages[0].inflated.as_ref().unwrap().len(),
            BOMB_INFLATED
        );
        assert_eq!(whole.findings().count(), 0);
        // Every other example decodes with the default limit.
        assert!(EXAMPLES
            .iter()
            .filter(|x| x.id != e.id)
            .all(|x| x.inflate_limit() == DEFAULT_MAX_INFLATED));
    }

    #[test]
    fn handshake_examples_pass_and_fail_as_the_tutorials_say() {
        let ok = run(example("handshake-rfc6455").unwrap())
            .handshake
            .unwrap();
        assert_eq!(ok.summary.fail, 0);
        assert_eq!(ok.accept.unwrap().matches, Some(true));
        let bad = run(example("handshake-misspelled-guid").unwrap())
            .handshake
            .unwrap();
        let accept = bad.accept.unwrap();
        assert_eq!(accept.matches, Some(false));
        assert_eq!(
            accept.diagnosis.unwrap().mistake,
            wsinspect_core::handshake::accept::Mistake::GuidDroppedChar
        );
        let tornado = run(example("tutorial-002").unwrap()).handshake.unwrap();
        assert_eq!(tornado.accept.unwrap().matches, Some(false));
        let t0 = run(example("tutorial-000").unwrap()).handshake.unwrap();
        assert_eq!(t0.accept.unwrap().expected, "aWAY+V/uyz5ILZEoWuWdxjnlb7E=");
    }
}
