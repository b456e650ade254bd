//! The obsolete draft-76 (hixie-76) handshake, recognised and explained: Key1/Key2 hide two
//! numbers, 8 key bytes follow the request, and the server answers with the MD5 of them
//! (draft-ietf-hybi-thewebsocketprotocol-00 §5.2). Non-goal: checking it item by item; it is
//! one failed check, because no current peer speaks it.

use super::context::Ctx;
use super::http::{Fields, Request, Response};
use super::{CheckId, Draft76, Split, Status};

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// Key1/Key2 of draft-76: the digits as a number divided by the number of spaces.
fn draft76_number(key: &str) -> Option<u32> {
    let digits: String = key.chars().filter(char::is_ascii_digit).collect();
    let spaces = key.chars().filter(|&c| c == ' ').count() as u64;
    let n: u64 = digits.parse().ok()?;
    (spaces > 0 && n % spaces == 0)
        .then(|| u32::try_from(n / spaces).ok())
        .flatten()
}

pub(super) fn draft76_checks(
    ctx: &mut Ctx,
    input: &[u8],
    split: &Split,
    req: Option<&Request>,
    res: Option<&Response>,
) -> Draft76 {
    let k = |name: &str| {
        req.and_then(|r| r.values(name).next())
            .and_then(draft76_number)
    };
    let (key1, key2) = (k("Sec-WebSocket-Key1"), k("Sec-WebSocket-Key2"));
    // Draft 76 (and 75 before it) echoes the subprotocol the server chose, as the RFC does.
    let chosen = res.and_then(|r| {
        r.values("Sec-WebSocket-Protocol")
            .next()
            .or_else(|| r.values("WebSocket-Protocol").next())
    });
    if let Some(p) = chosen {
        ctx.negotiated.subprotocol = Some(p.to_string());
    }
    let key3 = split
        .draft76_key3
        .clone()
        .filter(|r| r.len() == 8)
        .map(|r| &input[r]);
    let expected = match (key1, key2, key3) {
        (Some(a), Some(b), Some(c)) => {
            use md5::Digest as _;
            let mut m = md5::Md5::new();
            m.update(a.to_be_bytes());
            m.update(b.to_be_bytes());
            m.update(c);
            Some(hex(&m.finalize()))
        }
        _ => None,
    };
    let received = split.draft76_answer.clone().map(|r| hex(&input[r]));
    let verdict = match (&expected, &received) {
        (Some(e), Some(r)) if e == r => {
            " The server's 16-byte answer matches MD5(key1 ‖ key2 ‖ key3).".to_string()
        }
        (Some(e), Some(r)) => {
            format!(" The server's 16-byte answer {r} differs from the expected MD5 {e}.")
        }
        (Some(e), None) => format!(" The server must answer with the 16 bytes {e}."),
        _ => String::new(),
    };
    ctx.push(
        CheckId::Draft76,
        Status::Fail,
        req.or(None).map(|r| r.head.first_line).or(res.map(|r| r.head.first_line)),
        format!(
            "this is the obsolete draft-76 (hixie-76) handshake: Sec-WebSocket-Key1/Key2 hide two numbers (digits divided by spaces), 8 key bytes follow the request and the server answers with MD5 of them, not with Sec-WebSocket-Accept. Browsers replaced it with RFC 6455 (Sec-WebSocket-Key, version 13) in 2011-2012.{verdict}"
        ),
    );
    Draft76 {
        key1,
        key2,
        key3: key3.map(hex),
        expected,
        received,
    }
}
