//! Sec-WebSocket-Accept (RFC 6455 §1.3 and §4.2.2 step 5.4): base64(SHA-1(key + GUID)), every
//! step exposed, and, when a server sent something else, the known mistake that reproduces it.
//!
//! The diagnosis works backwards from the received value: it is read in every encoding a server
//! might have used by mistake (base64, base64 without padding, base64url, hex, base64 of hex),
//! giving a few candidate digests; then every known wrong input (a GUID with one character
//! dropped, changed or lower-cased, an untrimmed or decoded key, ...) is hashed with SHA-1,
//! SHA-256 and MD5 and compared with them. That is a few thousand short hashes: about a
//! millisecond, fast enough to run on every keystroke in the web page.

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::Serialize;
use sha1::{Digest, Sha1};

use crate::common::ids;

/// The GUID every server appends to the client's key (RFC 6455 §1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Keys from well-known examples. A server that answers with the Accept of one of these has
/// copied a response instead of computing it.
pub const EXAMPLE_KEYS: &[(&str, &str)] = &[
    ("dGhlIHNhbXBsZSBub25jZQ==", "the RFC 6455 §1.3 example key"),
    ("x3JJHMbDL1EzLkh9GBhXDw==", "the RFC 6455 §4.1 example key"),
    (
        "IHfMdf8a0aQXbwQO1pkGdA==",
        "a widely copied tutorial's example key",
    ),
];

/// The Sec-WebSocket-Accept value a server must send for `key`, the Sec-WebSocket-Key header
/// value as received (surrounding whitespace is not part of the key, RFC 6455 §4.2.2).
///
/// ```
/// // RFC 6455 §1.3
/// assert_eq!(
///     wsinspect_core::handshake::accept::accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/// );
/// ```
pub fn accept_key(key: &str) -> String {
    STANDARD.encode(sha1_of(trim_ows(key).as_bytes(), GUID.as_bytes()))
}

/// The Accept computation, step by step, and the comparison with what the server sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AcceptSteps {
    /// The Sec-WebSocket-Key value as received.
    pub key: String,
    /// The key without surrounding spaces and tabs: what is hashed.
    pub trimmed: String,
    /// Whether the trimmed key is base64 of exactly 16 bytes, as RFC 6455 §4.1 requires.
    pub key_valid: bool,
    /// The trimmed key followed by the GUID.
    pub concatenated: String,
    /// The SHA-1 digest of the concatenation: 20 bytes in hex, separated by spaces.
    pub sha1: String,
    /// The base64 of the digest: the value the server must send.
    pub expected: String,
    /// The Sec-WebSocket-Accept value the server sent, if known.
    pub received: Option<String>,
    /// Whether `received` equals `expected` (`None` without a received value).
    pub matches: Option<bool>,
    /// When they differ: the mistake that reproduces the received value, or that none does.
    pub diagnosis: Option<Diagnosis>,
}

ids! {
    /// A server's mistake in computing Sec-WebSocket-Accept, as the diagnosis names it.
    pub enum Mistake("Accept mistake") {
        /// It hashed the key with surrounding whitespace (or a stray CR).
        KeyNotTrimmed = "key-not-trimmed",
        /// It base64-decoded the key and hashed the 16 raw bytes.
        KeyDecoded = "key-decoded",
        /// It hashed the key alone, without the GUID.
        GuidMissing = "guid-missing",
        /// Its GUID is all lower case.
        GuidLowercase = "guid-lowercase",
        /// It put the GUID before the key.
        GuidPrepended = "guid-prepended",
        /// It appended the GUID twice.
        GuidTwice = "guid-twice",
        /// It put a space between the key and the GUID.
        GuidSeparated = "guid-separated",
        /// Its GUID lacks one character.
        GuidDroppedChar = "guid-dropped-char",
        /// Its GUID has one letter in lower case.
        GuidLowercaseChar = "guid-lowercase-char",
        /// Its GUID has one character changed.
        GuidChangedChar = "guid-changed-char",
        /// It answered for another key (a copied example response).
        DifferentKey = "different-key",
        /// It hashed with SHA-256 instead of SHA-1.
        Sha256 = "sha256",
        /// It hashed with MD5 instead of SHA-1.
        Md5 = "md5",
        /// It sent the digest as hex.
        DigestHex = "digest-hex",
        /// It sent base64 of the digest's hex text.
        DigestHexBase64 = "digest-hex-base64",
        /// It used base64url.
        Base64url = "base64url",
        /// It left out the base64 padding.
        Base64NoPadding = "base64-no-padding",
        /// Nothing: the received value is the right digest.
        Nothing = "none",
        /// No known mistake reproduces the received value.
        Unknown = "unknown",
    }
}

/// What went wrong in a server's Accept computation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// The mistake (serialised as its name: `guid-dropped-char`, `digest-hex`, ..., `unknown`).
    pub mistake: Mistake,
    /// Whether a known mistake reproduces the received value exactly.
    pub reproduced: bool,
    /// One or two sentences naming the mistake.
    pub message: String,
    /// What the mistaken server hashed (as text, lossily for binary input), when reproduced.
    pub hashed: Option<String>,
    /// The hash function it used, when reproduced.
    pub hash: Option<&'static str>,
    /// How it encoded the digest, when reproduced.
    pub encoding: Option<&'static str>,
}

/// Compute every step for `key` and, with `received`, compare and diagnose.
///
/// ```
/// use wsinspect_core::handshake::accept::{explain, Mistake};
/// let s = explain("dGhlIHNhbXBsZSBub25jZQ==", Some("KN2CsFkOBHmr0YG6dJaSCImFV4Y="));
/// assert_eq!(s.matches, Some(false));
/// assert_eq!(s.diagnosis.unwrap().mistake, Mistake::GuidDroppedChar);
/// ```
pub fn explain(key: &str, received: Option<&str>) -> AcceptSteps {
    let trimmed = trim_ows(key).to_string();
    let digest = sha1_of(trimmed.as_bytes(), GUID.as_bytes());
    let steps = AcceptSteps {
        key: key.to_string(),
        key_valid: key_is_valid(&trimmed),
        concatenated: format!("{trimmed}{GUID}"),
        sha1: hex_spaced(&digest),
        trimmed,
        expected: STANDARD.encode(digest),
        received: None,
        matches: None,
        diagnosis: None,
    };
    match received {
        Some(r) => steps.with_received(r),
        None => steps,
    }
}

impl AcceptSteps {
    /// These steps compared with the value the server sent, and diagnosed when it differs
    /// (what [`explain`] does given `received`).
    pub fn with_received(mut self, received: &str) -> AcceptSteps {
        let matches = trim_ows(received) == self.expected;
        self.diagnosis = (!matches).then(|| diagnose(&self.key, received));
        self.received = Some(received.to_string());
        self.matches = Some(matches);
        self
    }
}

/// Whether `key` (already trimmed) is base64 of exactly 16 bytes (RFC 6455 §4.1 item 7).
pub fn key_is_valid(key: &str) -> bool {
    key.len() == 24 && STANDARD.decode(key).is_ok_and(|b| b.len() == 16)
}

/// Find the known mistake that turns `key` into `received`. Call it when `received` is not the
/// correct value; if it is, the answer is the `correct` "mistake".
pub fn diagnose(key: &str, received: &str) -> Diagnosis {
    let received = trim_ows(received);
    let readings = readings(received);
    let trimmed = trim_ows(key);
    if trimmed.len() > MAX_DIAGNOSED_KEY {
        return Diagnosis {
            mistake: Mistake::Unknown,
            reproduced: false,
            message: format!(
                "Not diagnosed: the key is {} bytes long (a real one is 24), and wsinspect looks for known mistakes only with keys up to {} KiB (a limit of wsinspect).",
                trimmed.len(),
                MAX_DIAGNOSED_KEY / 1024
            ),
            hashed: None,
            hash: None,
            encoding: None,
        };
    }
    for cand in candidates(key) {
        for hash in HASHES {
            let digest = (hash.run)(&cand.input);
            if let Some(r) = readings.iter().find(|r| r.bytes == digest) {
                return found(&cand, hash, r, trimmed);
            }
        }
    }
    unknown(received, &readings)
}

/// The longest key (trimmed, in bytes) the diagnosis hashes its few thousand variants of; a
/// real key has 24 characters. A limit of wsinspect, so a huge key costs no more than a few
/// copies of itself.
pub const MAX_DIAGNOSED_KEY: usize = 4096;

/// What a candidate's mistake is called: built only for the one that matches.
type What<'a> = Box<dyn Fn() -> String + 'a>;

/// One wrong (or right) input a server might have hashed.
struct Candidate<'a> {
    /// `None` for the right input.
    mistake: Option<Mistake>,
    what: What<'a>,
    input: Vec<u8>,
}

/// One way of reading the received text back into digest bytes.
struct Reading {
    encoding: &'static str,
    bytes: Vec<u8>,
}

struct Hash {
    name: &'static str,
    run: fn(&[u8]) -> Vec<u8>,
}

const HASHES: &[Hash] = &[
    Hash {
        name: "SHA-1",
        run: |b| Sha1::digest(b).to_vec(),
    },
    Hash {
        name: "SHA-256",
        run: |b| sha2::Sha256::digest(b).to_vec(),
    },
    Hash {
        name: "MD5",
        run: |b| md5::Md5::digest(b).to_vec(),
    },
];

fn found(cand: &Candidate, hash: &Hash, r: &Reading, key: &str) -> Diagnosis {
    let mut wrong = Vec::new();
    if cand.mistake.is_some() {
        wrong.push((cand.what)());
    }
    if hash.name != "SHA-1" {
        wrong.push(format!(
            "it hashed with {} instead of SHA-1 ({} bytes instead of 20)",
            hash.name,
            r.bytes.len()
        ));
    }
    if r.encoding != "base64" {
        wrong.push(format!(
            "it encoded the digest as {} instead of standard base64 with padding",
            r.encoding
        ));
    }
    let mistake = if let Some(m) = cand.mistake {
        m
    } else if hash.name == "SHA-256" {
        Mistake::Sha256
    } else if hash.name == "MD5" {
        Mistake::Md5
    } else {
        encoding_mistake(r.encoding)
    };
    let message = if wrong.is_empty() {
        // The received value is the right one, read in base64: nothing wrong.
        "The received value is correct.".to_string()
    } else {
        let mut m = format!("Reproduced: {}.", wrong.join("; and "));
        if cand.mistake == Some(Mistake::DifferentKey) {
            m.push_str(&format!(" The client's key was {key}."));
        }
        m
    };
    Diagnosis {
        mistake: if wrong.is_empty() {
            Mistake::Nothing
        } else {
            mistake
        },
        reproduced: true,
        message,
        hashed: Some(String::from_utf8_lossy(&cand.input).into_owned()),
        hash: Some(hash.name),
        encoding: Some(r.encoding),
    }
}

fn encoding_mistake(encoding: &str) -> Mistake {
    match encoding {
        "hex (lower case)" | "hex (upper case)" => Mistake::DigestHex,
        "base64 of the hex text" => Mistake::DigestHexBase64,
        "base64url" | "base64url without padding" => Mistake::Base64url,
        _ => Mistake::Base64NoPadding,
    }
}

fn unknown(received: &str, readings: &[Reading]) -> Diagnosis {
    let shape = if readings
        .iter()
        .any(|r| r.encoding == "base64" && r.bytes.len() == 20)
    {
        "It is well-formed (base64 of 20 bytes, like a SHA-1 digest), so the server most likely \
         hashed a different key (from another connection, or a cached response) or made more than \
         one mistake."
            .to_string()
    } else if received.is_empty() {
        "It is empty.".to_string()
    } else {
        match readings.first() {
            Some(r) => format!(
                "It reads as {} of {} bytes; a SHA-1 digest has 20.",
                r.encoding,
                r.bytes.len()
            ),
            None => "It is not base64 or hex at all.".to_string(),
        }
    };
    Diagnosis {
        mistake: Mistake::Unknown,
        reproduced: false,
        message: format!("No known mistake reproduces the received value. {shape}"),
        hashed: None,
        hash: None,
        encoding: None,
    }
}

/// Every digest the received text could stand for.
fn readings(received: &str) -> Vec<Reading> {
    let mut out: Vec<Reading> = Vec::new();
    let mut add = |encoding, bytes: Option<Vec<u8>>| {
        if let Some(bytes) = bytes {
            if !out.iter().any(|r| r.bytes == bytes) {
                out.push(Reading { encoding, bytes });
            }
        }
    };
    let b = received.as_bytes();
    add("base64", STANDARD.decode(b).ok());
    add("base64 without padding", STANDARD_NO_PAD.decode(b).ok());
    add("base64url", URL_SAFE.decode(b).ok());
    add("base64url without padding", URL_SAFE_NO_PAD.decode(b).ok());
    if received.bytes().all(|c| c.is_ascii_hexdigit()) {
        let case = if received.bytes().any(|c| c.is_ascii_uppercase()) {
            "hex (upper case)"
        } else {
            "hex (lower case)"
        };
        add(case, hex_decode(received));
    }
    let hex_text = STANDARD
        .decode(b)
        .ok()
        .and_then(|t| String::from_utf8(t).ok())
        .and_then(|t| hex_decode(&t));
    add("base64 of the hex text", hex_text);
    out
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || s.is_empty() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The inputs a server might have hashed, most plausible first.
fn candidates(key: &str) -> Vec<Candidate<'_>> {
    let t = trim_ows(key);
    let mut out = Vec::with_capacity(900);
    out.push(Candidate {
        mistake: None,
        what: Box::new(String::new),
        input: with(t.as_bytes(), GUID),
    });
    key_mistakes(key, t, &mut out);
    guid_mistakes(t, &mut out);
    guid_char_mistakes(t, &mut out);
    for (k, what) in EXAMPLE_KEYS.iter().filter(|(k, _)| *k != t) {
        out.push(Candidate::new(
            Mistake::DifferentKey,
            move || {
                format!(
                "the server answered for a different key, {k} ({what}): it sent a copied response \
                 instead of computing one from this client's key"
            )
            },
            with(k.as_bytes(), GUID),
        ));
    }
    out
}

impl<'a> Candidate<'a> {
    fn new(mistake: Mistake, what: impl Fn() -> String + 'a, input: Vec<u8>) -> Candidate<'a> {
        Candidate {
            mistake: Some(mistake),
            what: Box::new(what),
            input,
        }
    }
}

/// `k` followed by the GUID `g`.
fn with(k: &[u8], g: &str) -> Vec<u8> {
    [k, g.as_bytes()].concat()
}

/// The key hashed wrongly: untrimmed (`key` as received, or what a naive `split(':')` or
/// `split('\n')` leaves around the trimmed `t`), or base64-decoded.
fn key_mistakes<'a>(key: &str, t: &'a str, out: &mut Vec<Candidate<'a>>) {
    let mut untrimmed = vec![key.to_string()];
    for v in [
        format!(" {t}"),
        format!("{t}\r"),
        format!(" {t}\r"),
        format!("{t} "),
    ] {
        if !untrimmed.contains(&v) {
            untrimmed.push(v);
        }
    }
    for v in untrimmed.into_iter().filter(|v| v != t) {
        let input = with(v.as_bytes(), GUID);
        out.push(Candidate::new(
            Mistake::KeyNotTrimmed,
            move || {
                format!(
                    "the server hashed the key with surrounding whitespace ({:?} instead of {:?})",
                    v, t
                )
            },
            input,
        ));
    }
    if let Ok(raw) = STANDARD.decode(t) {
        out.push(Candidate::new(
            Mistake::KeyDecoded,
            || {
                "the server base64-decoded the key and hashed its 16 raw bytes; the key must be \
                 hashed as the 24-character text it is"
                    .into()
            },
            with(&raw, GUID),
        ));
    }
}

/// The GUID used wrongly as a whole: left out, lower-cased, put first, twice, or after a space.
fn guid_mistakes(t: &str, out: &mut Vec<Candidate<'_>>) {
    let lower = GUID.to_ascii_lowercase();
    let lower_input = with(t.as_bytes(), &lower);
    out.extend([
        Candidate::new(
            Mistake::GuidMissing,
            || "the server hashed the key alone, without appending the GUID".into(),
            t.as_bytes().to_vec(),
        ),
        Candidate::new(
            Mistake::GuidLowercase,
            move || {
                format!(
                    "the server's GUID is in lower case: it used {lower} (the GUID is upper case)"
                )
            },
            lower_input,
        ),
        Candidate::new(
            Mistake::GuidPrepended,
            || "the server put the GUID before the key instead of after it".into(),
            [GUID.as_bytes(), t.as_bytes()].concat(),
        ),
        Candidate::new(
            Mistake::GuidTwice,
            || "the server appended the GUID twice".into(),
            [t.as_bytes(), GUID.as_bytes(), GUID.as_bytes()].concat(),
        ),
        Candidate::new(
            Mistake::GuidSeparated,
            || "the server put a space between the key and the GUID".into(),
            [t.as_bytes(), b" ", GUID.as_bytes()].concat(),
        ),
    ]);
}

/// The GUID with one character dropped, lower-cased or changed (a typo when copying it).
fn guid_char_mistakes(t: &str, out: &mut Vec<Candidate<'_>>) {
    let g = GUID.as_bytes();
    for i in 0..g.len() {
        // Deleting either of two equal neighbours gives the same GUID: report the first.
        if i > 0 && g[i] == g[i - 1] {
            continue;
        }
        let used = format!("{}{}", &GUID[..i], &GUID[i + 1..]);
        let input = with(t.as_bytes(), &used);
        out.push(Candidate::new(
            Mistake::GuidDroppedChar,
            move || {
                format!(
                "the server's GUID is missing the '{}' at offset {i} (character {} of 36, after \
                 \"{}\"): it used {used} (dropped character)",
                g[i] as char,
                i + 1,
                &GUID[..i]
            )
            },
            input,
        ));
    }
    const ALPHABET: &[u8] = b"0123456789ABCDEFabcdef-";
    for (i, &orig) in g.iter().enumerate() {
        for &c in ALPHABET.iter().filter(|&&c| c != orig) {
            let mut used = g.to_vec();
            used[i] = c;
            let used = String::from_utf8_lossy(&used).into_owned();
            let input = with(t.as_bytes(), &used);
            let (mistake, how) = if c == orig.to_ascii_lowercase() {
                (Mistake::GuidLowercaseChar, "in lower case")
            } else {
                (Mistake::GuidChangedChar, "changed")
            };
            out.push(Candidate::new(
                mistake,
                move || {
                    format!(
                    "the server's GUID has '{}' instead of '{}' at offset {i} (character {} of \
                     36): it used {used} ({how})",
                    c as char,
                    orig as char,
                    i + 1
                )
                },
                input,
            ));
        }
    }
}

fn sha1_of(a: &[u8], b: &[u8]) -> [u8; 20] {
    let mut sha = Sha1::new();
    sha.update(a);
    sha.update(b);
    sha.finalize().into()
}

/// Bytes as lower-case hex pairs separated by spaces.
pub fn hex_spaced(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Trim the optional whitespace HTTP allows around a field value (SP and HTAB), plus stray CR/LF.
pub(crate) fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

impl AcceptSteps {
    /// The steps as text for a terminal, one per line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut line = |s: String| {
            out.push_str(&s);
            out.push('\n');
        };
        line(format!("1. key as received:  {:?}", self.key));
        line(format!("2. trimmed:          {}", self.trimmed));
        if !self.key_valid {
            line(
                "   warning: the key is not base64 of exactly 16 bytes (RFC 6455 §4.1); the Accept is \
                 still computed from its text"
                    .into(),
            );
        }
        line(format!("3. key + GUID:       {}", self.concatenated));
        line(format!("4. SHA-1 (20 bytes): {}", self.sha1));
        line(format!(
            "5. base64 -> expected Sec-WebSocket-Accept: {}",
            self.expected
        ));
        if let Some(r) = &self.received {
            line(format!("   received:         {r}"));
            if self.matches == Some(true) {
                line("Accept matches.".into());
            } else {
                line("Accept mismatch.".into());
            }
        }
        if let Some(d) = &self.diagnosis {
            line(format!("Diagnosis ({}): {}", d.mistake, d.message));
        }
        // The key and the received value are the input: never let it reach the terminal raw.
        crate::common::escape_controls(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    #[test]
    fn rfc6455_section_1_3_example() {
        assert_eq!(accept_key(RFC_KEY), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        let s = explain(RFC_KEY, Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        assert_eq!(
            s.sha1,
            "b3 7a 4f 2c c0 62 4f 16 90 f6 46 06 cf 38 59 45 b2 be c4 ea"
        );
        assert_eq!(s.concatenated, format!("{RFC_KEY}{GUID}"));
        assert_eq!((s.matches, s.diagnosis), (Some(true), None));
        assert!(s.key_valid);
    }

    #[test]
    fn tutorial_000_example() {
        // ../shared/seeds/000: the `ws` tutorial's worked example.
        assert_eq!(
            accept_key("IHfMdf8a0aQXbwQO1pkGdA=="),
            "aWAY+V/uyz5ILZEoWuWdxjnlb7E="
        );
    }

    #[test]
    fn whitespace_around_the_key_is_not_hashed() {
        let s = explain("  dGhlIHNhbXBsZSBub25jZQ==\t", None);
        assert_eq!(s.trimmed, RFC_KEY);
        assert_eq!(s.expected, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(s.matches, None);
    }

    fn b64(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    fn sha1(s: &[u8]) -> Vec<u8> {
        Sha1::digest(s).to_vec()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn mistake(received: &str) -> Diagnosis {
        let s = explain(RFC_KEY, Some(received));
        assert_eq!(s.matches, Some(false));
        s.diagnosis.expect("a diagnosis on mismatch")
    }

    #[test]
    fn every_known_mistake_is_reproduced_and_named() {
        let k = RFC_KEY;
        let raw = STANDARD.decode(k).unwrap();
        let cases: Vec<(String, Mistake, &str)> = vec![
            (
                b64(&sha1(
                    format!("{k}258EAF5-E914-47DA-95CA-C5AB0DC85B11").as_bytes(),
                )),
                Mistake::GuidDroppedChar,
                "missing the 'A' at offset 6",
            ),
            (
                b64(&sha1(
                    format!("{k}258EAFA5-E914-47DA-95CA-C5AB0DC85B1").as_bytes(),
                )),
                Mistake::GuidDroppedChar,
                "missing the '1' at offset 34",
            ),
            (
                b64(&sha1(
                    format!("{k}258EAFA5-E914-47DA-95CA-C5AB0DC85B12").as_bytes(),
                )),
                Mistake::GuidChangedChar,
                "'2' instead of '1' at offset 35",
            ),
            (
                b64(&sha1(
                    format!("{k}258EAFA5-E914-47DA-95CA-C5AB0DC85b11").as_bytes(),
                )),
                Mistake::GuidLowercaseChar,
                "'b' instead of 'B' at offset 33",
            ),
            (
                b64(&sha1(format!("{k}{}", GUID.to_lowercase()).as_bytes())),
                Mistake::GuidLowercase,
                "lower case",
            ),
            (
                b64(&sha1(format!(" {k}{GUID}").as_bytes())),
                Mistake::KeyNotTrimmed,
                "surrounding whitespace",
            ),
            (
                b64(&sha1(format!("{k}\r{GUID}").as_bytes())),
                Mistake::KeyNotTrimmed,
                "\\r",
            ),
            (
                b64(&sha1(&[&raw[..], GUID.as_bytes()].concat())),
                Mistake::KeyDecoded,
                "base64-decoded the key",
            ),
            (
                hex(&sha1(format!("{k}{GUID}").as_bytes())),
                Mistake::DigestHex,
                "hex (lower case)",
            ),
            (
                hex(&sha1(format!("{k}{GUID}").as_bytes())).to_uppercase(),
                Mistake::DigestHex,
                "hex (upper case)",
            ),
            (
                b64(hex(&sha1(format!("{k}{GUID}").as_bytes())).as_bytes()),
                Mistake::DigestHexBase64,
                "base64 of the hex text",
            ),
            (
                b64(&sha2::Sha256::digest(format!("{k}{GUID}").as_bytes())),
                Mistake::Sha256,
                "SHA-256 instead of SHA-1",
            ),
            (
                b64(&md5::Md5::digest(format!("{k}{GUID}").as_bytes())),
                Mistake::Md5,
                "MD5 instead of SHA-1",
            ),
            (
                "s3pPLMBiTxaQ9kYGzzhZRbK+xOo".into(),
                Mistake::Base64NoPadding,
                "without padding",
            ),
            (
                URL_SAFE.encode(sha1(format!("{k}{GUID}").as_bytes())),
                Mistake::Base64url,
                "base64url",
            ),
            (
                b64(&sha1(format!("{k}{GUID}{GUID}").as_bytes())),
                Mistake::GuidTwice,
                "twice",
            ),
            (
                b64(&sha1(format!("{GUID}{k}").as_bytes())),
                Mistake::GuidPrepended,
                "before the key",
            ),
            (
                b64(&sha1(k.as_bytes())),
                Mistake::GuidMissing,
                "without appending",
            ),
            (
                "aWAY+V/uyz5ILZEoWuWdxjnlb7E=".into(),
                Mistake::DifferentKey,
                "IHfMdf8a0aQXbwQO1pkGdA==",
            ),
        ];
        for (received, id, words) in cases {
            let d = mistake(&received);
            assert_eq!(d.mistake, id, "{received}: {d:?}");
            assert!(d.reproduced);
            assert!(d.message.contains(words), "{id}: {}", d.message);
        }
    }

    #[test]
    fn url_safe_only_matters_when_it_differs() {
        // The RFC digest has a '+', so its base64url differs from its base64.
        let d = mistake("s3pPLMBiTxaQ9kYGzzhZRbK-xOo=");
        assert_eq!(d.mistake, Mistake::Base64url);
    }

    #[test]
    fn combined_mistakes_are_named_together() {
        let v = hex(&sha1(
            format!("{RFC_KEY}258EAF5-E914-47DA-95CA-C5AB0DC85B11").as_bytes(),
        ));
        let d = mistake(&v);
        assert_eq!(d.mistake, Mistake::GuidDroppedChar);
        assert!(d.message.contains("hex"), "{}", d.message);
    }

    #[test]
    fn unknown_values_are_said_to_be_unknown() {
        let d = mistake("AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        assert_eq!((d.mistake, d.reproduced), (Mistake::Unknown, false));
        assert!(d.message.contains("well-formed"), "{}", d.message);
        assert_eq!(mistake("not base64!").mistake, Mistake::Unknown);
        assert!(mistake("").message.contains("empty"));
        assert!(mistake("AAAA").message.contains("3 bytes"));
    }

    #[test]
    fn received_value_is_compared_after_trimming() {
        let s = explain(RFC_KEY, Some(" s3pPLMBiTxaQ9kYGzzhZRbK+xOo= "));
        assert_eq!(s.matches, Some(true));
    }

    #[test]
    fn invalid_keys_still_compute() {
        let s = explain("short", None);
        assert!(!s.key_valid);
        assert_eq!(s.expected.len(), 28);
        assert!(!key_is_valid("dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!key_is_valid("dGhlIHNhbXBsZSBub25jZXg="));
    }

    #[test]
    fn diagnosis_is_fast_enough_for_a_live_ui() {
        let start = std::time::Instant::now();
        let d = mistake("AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        assert_eq!(d.mistake, Mistake::Unknown);
        // The worst case (no match: every candidate tried). Generous for debug builds.
        assert!(start.elapsed() < std::time::Duration::from_millis(500));
    }
}
