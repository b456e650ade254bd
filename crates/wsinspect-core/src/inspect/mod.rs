//! One call for anything a user can paste or drop: [`inspect`].
//!
//! The input may be frame bytes in any notation ([`crate::notation`]), a handshake as text, or a
//! whole captured stream: a request or response followed by frames. A handshake is analysed
//! ([`crate::handshake`]); the bytes after it are decoded as frames from the side that sent the
//! handshake message they follow, with the permessage-deflate parameters the response
//! negotiated. Without a handshake, the bytes are frames from the direction the caller chose.
//!
//! The web page and the CLI both go through here, so they read input the same way.

use serde::Serialize;

use crate::common::Direction;
use crate::ext::extensions::parse_extensions;
use crate::handshake::{self, Fields as _, HandshakeReport};
use crate::stream::{DecodeConfig, Decoder, StreamReport, DEFAULT_MAX_INFLATED};
use notation::{parse_input, Format, Notation, NotationError, Parsed};

pub mod notation;
pub mod packet;

/// How to read and decode the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InspectOptions {
    /// The notation of the input, or [`Format::Auto`] to detect it.
    pub format: Format,
    /// Who sent the frames when no handshake says so.
    pub direction: Direction,
    /// A `Sec-WebSocket-Extensions` response value to decode with, overriding the handshake's.
    pub extensions: Option<String>,
    /// The most bytes one message may inflate to.
    pub max_inflated: usize,
    /// Whether handshake text (notation raw) has the line endings it had on the wire; false for
    /// text typed into a page, where a textarea turns CRLF into LF. Hex, base64 and dumps are
    /// exact bytes whatever this says.
    pub line_endings_known: bool,
}

impl Default for InspectOptions {
    fn default() -> Self {
        InspectOptions {
            format: Format::Auto,
            direction: Direction::Unknown,
            extensions: None,
            max_inflated: DEFAULT_MAX_INFLATED,
            line_endings_known: true,
        }
    }
}

/// Everything found in one input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// How the input was read ("raw" for handshake text).
    pub notation: Notation,
    /// Another notation the text is also valid in, when detection had a choice.
    pub notation_also: Option<Notation>,
    /// How many bytes the input held once read.
    pub len: usize,
    /// The opening handshake, when the input starts with one.
    pub handshake: Option<HandshakeReport>,
    /// Where the frame bytes start in the input's bytes (0 without a handshake).
    pub frames_offset: usize,
    /// The frames, when there are frame bytes. Their offsets are the input's.
    pub frames: Option<StreamReport>,
    /// Why the negotiated extensions could not configure the decoder (it then decodes as if
    /// none were negotiated).
    pub extensions_error: Option<String>,
    /// An extension the frames were decoded with although no response in the input accepted
    /// it: the request offered permessage-deflate and the response is not in the input.
    pub assumed_extensions: Option<String>,
    /// The bytes after a response that refused the upgrade: its HTTP body, not frames.
    pub http_body: Option<core::ops::Range<usize>>,
    /// The input's bytes.
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

/// Why an input could not be inspected at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum InspectError {
    /// The text is not in any notation the inspector reads.
    Notation(NotationError),
    /// The caller's extensions value is not one the decoder understands.
    Extensions {
        /// What is wrong with it.
        message: String,
    },
}

impl core::fmt::Display for InspectError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            InspectError::Notation(e) => write!(f, "the input could not be read: {e}"),
            InspectError::Extensions { message } => {
                write!(f, "the extensions value could not be used: {message}")
            }
        }
    }
}

impl std::error::Error for InspectError {}

pub use crate::handshake::detect::starts_like_handshake;

/// The bytes of a handshake given in any notation: HTTP text as it is, or hex, base64 or a dump
/// of it (a capture copied from a tool), with the notation that was read. With
/// [`Format::Auto`], text that is neither HTTP nor a notation of HTTP is taken as it is, so that
/// the handshake checks can say what it lacks.
pub fn handshake_bytes(input: &[u8], format: Format) -> Result<(Vec<u8>, Notation), InspectError> {
    match format {
        Format::Raw => Ok((input.to_vec(), Notation::Raw)),
        Format::Auto if starts_like_handshake(input) => Ok((input.to_vec(), Notation::Raw)),
        Format::Auto => match parse_input(input, format) {
            Ok(p) if p.notation != Notation::Raw && starts_like_handshake(&p.bytes) => {
                Ok((p.bytes, p.notation))
            }
            _ => Ok((input.to_vec(), Notation::Raw)),
        },
        _ => {
            let p = parse_input(input, format).map_err(InspectError::Notation)?;
            Ok((p.bytes, p.notation))
        }
    }
}

/// Read `input` and decode everything in it.
///
/// ```
/// use wsinspect_core::inspect::{inspect, InspectOptions};
/// // RFC 6455 §5.7: a masked "Hello" from a client, pasted as hex.
/// let i = inspect(b"81 85 37 fa 21 3d 7f 9f 4d 51 58", &InspectOptions::default()).unwrap();
/// let frames = i.frames.unwrap();
/// assert_eq!(frames.frames[0].text(), Some("Hello"));
/// assert!(i.handshake.is_none());
/// ```
pub fn inspect(input: &[u8], opts: &InspectOptions) -> Result<Inspection, InspectError> {
    let mut job = Job::new(input, opts)?;
    while !job.step(usize::MAX) {}
    Ok(job.finish())
}

/// An inspection done in steps, so a page can decode a large input a slice at a time (yielding
/// to the user between slices and showing progress). [`inspect`] is `new`, `step` until done,
/// `finish`: the result is the same however the steps are sized.
pub struct Job {
    out: Inspection,
    notes: Vec<String>,
    frames: core::ops::Range<usize>,
    fed: usize,
    decoder: Option<Decoder>,
}

impl Job {
    /// Read the notation and the handshake (done at once), ready to decode the frames.
    pub fn new(input: &[u8], opts: &InspectOptions) -> Result<Job, InspectError> {
        prepare(input, opts)
    }

    /// Decode up to `budget` more frame bytes; true when every byte has been decoded.
    pub fn step(&mut self, budget: usize) -> bool {
        if let Some(d) = &mut self.decoder {
            let end = self.frames.end.min(self.fed.saturating_add(budget));
            d.feed(&self.out.bytes[self.fed..end]);
            self.fed = end;
        }
        self.decoder.is_none() || self.fed == self.frames.end
    }

    /// Frame bytes decoded so far and in all.
    pub fn progress(&self) -> (usize, usize) {
        (
            self.fed - self.frames.start,
            self.frames.end - self.frames.start,
        )
    }

    /// Frames completed so far.
    pub fn frames_done(&self) -> usize {
        self.decoder.as_ref().map_or(0, |d| d.frames().len())
    }

    /// The result (decoding whatever `step` has not, first).
    pub fn finish(mut self) -> Inspection {
        while !self.step(usize::MAX) {}
        if let Some(d) = self.decoder.take() {
            let mut r = d.finish();
            r.input_notes = std::mem::take(&mut self.notes);
            self.out.frames = Some(r);
        }
        self.out
    }
}

/// How the bytes of an input are decoded: the handshake they start with, where the frames
/// are, from whom, and with which extensions. [`inspect`] makes one and decodes; a caller that
/// streams a large input makes one from its start and feeds the rest to a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The opening handshake, when the input starts with one.
    pub handshake: Option<HandshakeReport>,
    /// The frame bytes: `frames.start..frames.end` of the input's bytes.
    pub frames: core::ops::Range<usize>,
    /// Who sent the frames.
    pub direction: Direction,
    /// What to decode them with.
    pub config: DecodeConfig,
    /// Why the negotiated extensions could not be used.
    pub extensions_error: Option<String>,
    /// An extension assumed because the request offered it and no response is in the input.
    pub assumed_extensions: Option<String>,
    /// The bytes after a response that refused the upgrade (status other than 101): its HTTP
    /// body, which is not frames and is not decoded as frames.
    pub http_body: Option<core::ops::Range<usize>>,
    /// Where an option and the handshake disagreed, which one was used; what was assumed.
    pub notes: Vec<String>,
}

impl Plan {
    /// Whether there is anything to decode as frames (a handshake alone has nothing).
    pub fn decodes(&self) -> bool {
        !self.frames.is_empty() || self.handshake.is_none()
    }
}

/// Plan the decoding of `bytes` (already read from their notation).
pub fn plan(bytes: &[u8], opts: &InspectOptions) -> Result<Plan, InspectError> {
    let forced = match &opts.extensions {
        Some(v) => {
            Some(
                DecodeConfig::from_extensions(v).map_err(|e| InspectError::Extensions {
                    message: e.to_string(),
                })?,
            )
        }
        None => None,
    };
    let mut p = Plan {
        handshake: None,
        frames: 0..bytes.len(),
        direction: opts.direction,
        config: DecodeConfig::default(),
        extensions_error: None,
        assumed_extensions: None,
        http_body: None,
        notes: Vec::new(),
    };
    if starts_like_handshake(bytes) {
        let report = handshake::analyze_with(
            bytes,
            handshake::AnalyzeOptions {
                line_endings_known: opts.line_endings_known,
            },
        );
        if let Some(value) = &report.extensions_header {
            match DecodeConfig::from_extensions(value) {
                Ok(c) => p.config = c,
                Err(e) => p.extensions_error = Some(e.to_string()),
            }
        }
        // A request alone: its frames were sent under whatever the (absent) response accepted.
        // If permessage-deflate was offered, decoding with it is the reading that can explain
        // RSV1 frames; say that it was assumed.
        let offered_deflate = report.response.is_none()
            && report.request.as_ref().is_some_and(|r| {
                r.combined("Sec-WebSocket-Extensions").is_some_and(|v| {
                    parse_extensions(&v)
                        .iter()
                        .any(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
                })
            });
        if offered_deflate && opts.extensions.is_none() {
            p.notes.push(
                "permessage-deflate was assumed: the request offered it and the response is not in the input".into(),
            );
        }
        if offered_deflate {
            p.assumed_extensions = Some("permessage-deflate".into());
            p.config = DecodeConfig::from_extensions("permessage-deflate")
                .expect("the plain permessage-deflate value is valid");
        }
        let refused = report.response.as_ref().is_some_and(|r| r.status != 101);
        match report.split.frames {
            // After a refusal the server's bytes are the body of its HTTP answer.
            Some(f) if refused && f.direction == Direction::Server => {
                p.http_body = Some(f.offset..f.offset + f.len);
                p.frames = f.offset..f.offset;
            }
            Some(f) => {
                p.frames = f.offset..f.offset + f.len;
                if opts.direction != Direction::Unknown && opts.direction != f.direction {
                    p.notes.push(format!(
                        "the frames were read as the {}'s, as the handshake says (they follow its {}); --from {} was not used",
                        f.direction,
                        if f.direction == Direction::Server { "response" } else { "request" },
                        opts.direction
                    ));
                }
                p.direction = f.direction;
            }
            None => p.frames = bytes.len()..bytes.len(),
        }
        p.handshake = Some(report);
    }
    if let (Some(c), Some(h)) = (&forced, &p.handshake) {
        let negotiated = h.extensions_header.as_deref().unwrap_or("no extension");
        if c.deflate != p.config.deflate {
            p.notes.push(format!(
                "the frames were decoded with --extensions {:?}, not with what the handshake negotiated ({negotiated})",
                opts.extensions.as_deref().unwrap_or_default()
            ));
        }
    }
    if let Some(c) = forced {
        p.config = c;
        p.extensions_error = None;
        p.assumed_extensions = None;
    }
    p.config.max_inflated = opts.max_inflated;
    Ok(p)
}

/// Read `input` from its notation (the part of a [`Job`] that needs the whole text at once):
/// a page can do this elsewhere (in a worker) and start the job from its bytes with
/// [`Job::from_read`].
pub fn read_input(input: &[u8], opts: &InspectOptions) -> Result<Parsed, InspectError> {
    if let Some(v) = &opts.extensions {
        // A bad override is an error before the notation is even read.
        DecodeConfig::from_extensions(v).map_err(|e| InspectError::Extensions {
            message: e.to_string(),
        })?;
    }
    if opts.format == Format::Auto && starts_like_handshake(input) {
        Ok(Parsed {
            bytes: input.to_vec(),
            notation: Notation::Raw,
            also: None,
        })
    } else {
        parse_input(input, opts.format).map_err(InspectError::Notation)
    }
}

fn prepare(input: &[u8], opts: &InspectOptions) -> Result<Job, InspectError> {
    Job::from_read(read_input(input, opts)?, opts)
}

impl Job {
    /// A job over input already read by [`read_input`] with the same `opts`: plans (the
    /// handshake, where the frames are) and is ready to decode.
    pub fn from_read(read: Parsed, opts: &InspectOptions) -> Result<Job, InspectError> {
        let Parsed {
            bytes,
            notation,
            also: notation_also,
        } = read;
        // Only text can have lost its CRs; decoded notations are the bytes themselves.
        let p = if notation == Notation::Raw || opts.line_endings_known {
            plan(&bytes, opts)?
        } else {
            plan(
                &bytes,
                &InspectOptions {
                    line_endings_known: true,
                    ..opts.clone()
                },
            )?
        };
        // Frame offsets are the input's, handshake included.
        let decoder = p.decodes().then(|| {
            Decoder::new(p.direction, p.config.clone()).starting_at(p.frames.start as u64)
        });
        let out = Inspection {
            notation,
            notation_also,
            len: bytes.len(),
            handshake: p.handshake,
            frames_offset: p.frames.start,
            frames: None,
            extensions_error: p.extensions_error,
            assumed_extensions: p.assumed_extensions,
            http_body: p.http_body,
            bytes,
        };
        Ok(Job {
            out,
            notes: p.notes,
            frames: p.frames.clone(),
            fed: p.frames.start,
            decoder,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_line_endings_apply_to_text_only() {
        use crate::handshake::{CheckId, Status};
        let text = "GET /chat HTTP/1.1\nHost: a\n\n";
        let opts = InspectOptions {
            line_endings_known: false,
            ..Default::default()
        };
        let status = |input: &[u8]| {
            let i = inspect(input, &opts).unwrap();
            i.handshake
                .unwrap()
                .check(CheckId::ReqLineEndings)
                .unwrap()
                .status
        };
        assert_eq!(status(text.as_bytes()), Status::Unknown);
        let hex: String = text.bytes().map(|b| format!("{b:02x} ")).collect();
        assert_eq!(status(hex.as_bytes()), Status::Warn);
    }

    #[test]
    fn recognises_handshake_text_and_not_hex() {
        assert!(starts_like_handshake(b"GET /chat HTTP/1.1\r\nHost: x\r\n"));
        assert!(starts_like_handshake(
            b"\n  HTTP/1.1 101 Switching Protocols\r\n"
        ));
        assert!(starts_like_handshake(
            b":method: CONNECT\n:protocol: websocket\n"
        ));
        assert!(!starts_like_handshake(b"81 05 48 65 6c 6c 6f"));
        assert!(!starts_like_handshake(b"GET"));
        assert!(!starts_like_handshake(b"ABCD EF HTTP"));
    }

    #[test]
    fn a_response_then_compressed_server_frames_is_inflated_with_the_negotiated_parameters() {
        // RFC 7692 §7.2.3.1's compressed "Hello" after a response that negotiated it.
        let mut input = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
            Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
            Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
            .to_vec();
        let head_len = input.len();
        input.extend_from_slice(&[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        let i = inspect(&input, &InspectOptions::default()).unwrap();
        assert_eq!(i.notation, Notation::Raw);
        assert!(i.handshake.is_some());
        assert_eq!(i.frames_offset, head_len);
        let frames = i.frames.unwrap();
        assert_eq!(frames.direction, Direction::Server);
        assert_eq!(
            frames.message_text(&frames.messages[0]).as_deref(),
            Some("Hello")
        );
        assert!(frames.findings().next().is_none(), "{frames:?}");
    }

    #[test]
    fn a_whole_stream_pasted_as_hex_is_split_too() {
        let text: String = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
            .iter()
            .chain(&[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ])
            .map(|b| format!("{b:02x} "))
            .collect();
        let i = inspect(text.as_bytes(), &InspectOptions::default()).unwrap();
        assert_eq!(i.notation, Notation::Hex);
        let frames = i.frames.unwrap();
        assert_eq!(frames.direction, Direction::Client);
        assert_eq!(frames.frames[0].text(), Some("Hello"));
    }

    #[test]
    fn client_frames_after_a_request_that_offered_deflate_are_inflated_and_the_assumption_said() {
        // Recorded from Node `ws` talking to Python `websockets` on loopback.
        let input = include_bytes!(
            "../../../../tests/data/handshake/real-node-client_py-server.client.bin"
        );
        let i = inspect(input, &InspectOptions::default()).unwrap();
        assert_eq!(i.assumed_extensions.as_deref(), Some("permessage-deflate"));
        let frames = i.frames.unwrap();
        assert_eq!(frames.direction, Direction::Client);
        assert!(
            frames.findings().next().is_none(),
            "{:?}",
            frames.findings().collect::<Vec<_>>()
        );
        assert!(frames.messages[0].compressed);
        assert!(frames.message_text(&frames.messages[0]).is_some());
    }

    #[test]
    fn a_job_in_small_steps_equals_one_call() {
        let input = include_bytes!(
            "../../../../tests/data/handshake/real-node-client_py-server.server.bin"
        );
        let whole = inspect(input, &InspectOptions::default()).unwrap();
        let mut job = Job::new(input, &InspectOptions::default()).unwrap();
        let mut steps = 0;
        while !job.step(7) {
            steps += 1;
            let (done, all) = job.progress();
            assert!(done < all);
        }
        assert!(steps > 1 && job.frames_done() > 0);
        assert_eq!(job.finish(), whole);
    }

    #[test]
    fn a_job_from_input_read_elsewhere_equals_one_call() {
        let hex =
            "47 45 54 20 2f 20 48 54 54 50 2f 31 2e 31 0d 0a 48 6f 73 74 3a 20 61 0d 0a 0d 0a \
                   81 85 37 fa 21 3d 7f 9f 4d 51 58";
        let opts = InspectOptions::default();
        for input in [hex.as_bytes(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\x81\x00"] {
            let read = read_input(input, &opts).unwrap();
            let job = Job::from_read(read, &opts).unwrap();
            assert_eq!(job.finish(), inspect(input, &opts).unwrap());
        }
        let bad = InspectOptions {
            extensions: Some("permessage-deflate; server_max_window_bits=3".into()),
            ..Default::default()
        };
        assert!(matches!(
            read_input(b"81 00", &bad),
            Err(InspectError::Extensions { .. })
        ));
    }

    #[test]
    fn a_handshake_alone_has_no_frames() {
        let i = inspect(
            b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\n\r\n",
            &InspectOptions::default(),
        )
        .unwrap();
        assert!(i.handshake.is_some() && i.frames.is_none());
    }

    #[test]
    fn unreadable_input_names_its_place() {
        let err = inspect(b"81 05\n48 zz", &InspectOptions::default()).unwrap_err();
        let InspectError::Notation(e) = err else {
            panic!("{err:?}")
        };
        assert_eq!(e.line, 2);
    }

    #[test]
    fn a_bad_extensions_override_is_an_error_not_ignored() {
        let opts = InspectOptions {
            extensions: Some("permessage-deflate; client_max_window_bits=99".into()),
            ..InspectOptions::default()
        };
        assert!(matches!(
            inspect(b"81 00", &opts),
            Err(InspectError::Extensions { .. })
        ));
    }
}
