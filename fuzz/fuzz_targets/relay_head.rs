//! The relay's request-head reading (`wsinspect-serve`'s `http` module) and its Host rewrite,
//! on arbitrary bytes cut into arbitrary pieces.
//! Invariants: no panic; where the head ends does not depend on how the bytes arrived; a head
//! is never longer than the limit and ends at its first empty line; the rewritten head differs
//! from the client's only in the Host value (or one added Host line), and parses with that Host.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect_serve::http::{self, HeadReader, HeadScan};
use wsinspect_serve::proxy::rewrite_host;

const HOST: &str = "127.0.0.1:8765";

fuzz_target!(|data: &[u8]| {
    // Byte 0: the limit (in units of 64 bytes); byte 1: the chunking seed; then the bytes.
    let [limit, seed, input @ ..] = data else {
        return;
    };
    let limit = 1 + usize::from(*limit) * 64;
    let whole = scan(input, limit, &mut std::iter::once(input.len()));
    let mut cuts = chunk_sizes(*seed);
    let pieces = scan(input, limit, &mut cuts);
    assert_eq!(whole, pieces, "the answer depends on how the bytes were cut");
    let HeadScan::Complete(len) = whole else {
        return;
    };
    assert!(len <= limit && len <= input.len());
    let head = &input[..len];
    assert!(head.ends_with(b"\n\n") || head.ends_with(b"\n\r\n"));
    assert_eq!(http::head_end(&head[..len - 1], 0), None, "an earlier empty line");
    let _ = http::header(head, "host");
    let _ = http::request_line(head);
    check_rewrite(head);
});

/// Push `input` in pieces of the sizes `cuts` gives (cycling), stopping at the first answer
/// that is not `More`.
fn scan(input: &[u8], limit: usize, cuts: &mut dyn Iterator<Item = usize>) -> HeadScan {
    let mut reader = HeadReader::new(limit);
    let mut at = 0;
    while at < input.len() {
        let n = cuts.next().unwrap_or(input.len()).clamp(1, input.len() - at);
        match reader.push(&input[at..at + n]) {
            HeadScan::More => at += n,
            done => return done,
        }
    }
    HeadScan::More
}

fn chunk_sizes(seed: u8) -> impl Iterator<Item = usize> {
    let mut state = u32::from(seed) | 1;
    std::iter::from_fn(move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        Some(1 + (state % 97) as usize)
    })
}

fn check_rewrite(head: &[u8]) {
    let (out, event) = rewrite_host(head, HOST);
    let Some(_) = event else {
        assert_eq!(out, head, "a head was changed without saying so");
        return;
    };
    let (before, after) = (parse(head), parse(&out));
    let host = after.1.iter().find(|(n, _)| n.eq_ignore_ascii_case("host"));
    assert_eq!(host.map(|(_, v)| &v[..]), Some(HOST.as_bytes()));
    assert_eq!(before.0, after.0, "the request line changed");
    let others = |h: &[(String, Vec<u8>)]| -> Vec<(String, Vec<u8>)> {
        h.iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("host"))
            .cloned()
            .collect()
    };
    assert_eq!(others(&before.1), others(&after.1), "another header changed");
}

type Parsed = ((String, String, u8), Vec<(String, Vec<u8>)>);

fn parse(head: &[u8]) -> Parsed {
    // One more than the relay reads: a head of MAX_HEADERS lines with no Host gains one.
    let mut headers = [httparse::EMPTY_HEADER; http::MAX_HEADERS + 1];
    let mut req = httparse::Request::new(&mut headers);
    assert!(matches!(req.parse(head), Ok(httparse::Status::Complete(_))));
    let line = (
        req.method.unwrap_or_default().to_string(),
        req.path.unwrap_or_default().to_string(),
        req.version.unwrap_or_default(),
    );
    let headers = req
        .headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    (line, headers)
}
