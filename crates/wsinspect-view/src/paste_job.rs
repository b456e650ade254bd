//! A pasted input read off the page's main thread. The page sends the text and how to read it
//! ([`PasteAsk`]) to its worker, which reads the notation (the one part of a decode that needs
//! the whole text in one go: 10 MB of hex is 20 MB of text) and makes the share link
//! ([`read`]); it answers with a [`PasteRead`] and the bytes. The page then starts the core's
//! `Job` from those bytes ([`PasteRead::job`]), plans, and decodes the frames in slices bounded
//! in time, so the same decode (and every view built on it) runs whatever the input's size.
//! Every message carries the page's `seq`: an answer to an older input is dropped.

use serde::{Deserialize, Serialize};
use wsinspect_core::inspect::notation::{Format, Notation, Parsed};
use wsinspect_core::inspect::{read_input, InspectError, InspectOptions, Job};
use wsinspect_core::Direction;

use crate::share::{self, Shared};
use crate::view;

/// How the page wants a pasted text read: everything its decode and its share link depend on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasteAsk {
    /// The page's number for this input; the answer carries it back.
    pub seq: u64,
    /// The notation chosen (or auto).
    pub format: Format,
    /// The sender chosen.
    pub direction: Direction,
    /// The extensions override (empty for none).
    pub extensions: String,
    /// The most bytes one message may inflate to.
    pub max_inflated: usize,
    /// Typed or pasted into the box (its line endings are not known), not an example or link.
    pub typed: bool,
}

impl PasteAsk {
    /// The core's options for this input.
    pub fn options(&self) -> InspectOptions {
        let x = self.extensions.trim();
        InspectOptions {
            format: self.format,
            direction: self.direction,
            extensions: (!x.is_empty()).then(|| x.to_string()),
            max_inflated: self.max_inflated,
            line_endings_known: !self.typed,
        }
    }

    /// What the share link of `input` read this way carries.
    pub fn shared(&self, input: &str) -> Shared {
        Shared {
            input: input.to_string(),
            format: self.format,
            direction: self.direction,
            extensions: self.extensions.clone(),
            max_inflated: self.max_inflated,
        }
    }
}

/// The worker's answer to a [`PasteAsk`] (the bytes read travel beside it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasteRead {
    /// The ask's `seq`.
    pub seq: u64,
    /// The notation read and another the text is also valid in, or the page's message for an
    /// input that cannot be read (naming the line and column).
    pub read: Result<(Notation, Option<Notation>), String>,
    /// The share link's fragment, when a browser can hold it.
    pub link: Option<String>,
    /// What to say about the link's length, if anything.
    pub link_note: Option<String>,
}

/// Read `input` as `ask` says: the answer and the bytes (empty on an error).
pub fn read(ask: &PasteAsk, input: &str) -> (PasteRead, Vec<u8>) {
    let (read, bytes) = match read_input(input.as_bytes(), &ask.options()) {
        Ok(p) => (Ok((p.notation, p.also)), p.bytes),
        Err(e) => (Err(view::input_error(&e, input)), Vec::new()),
    };
    let (link, link_note) = share::link(&ask.shared(input));
    let answer = PasteRead {
        seq: ask.seq,
        read,
        link,
        link_note,
    };
    (answer, bytes)
}

impl PasteRead {
    /// The decode of `bytes` (as read by the worker for `ask`), ready to step; `input` is the
    /// text, for the message of an error.
    pub fn job(&self, ask: &PasteAsk, bytes: Vec<u8>, input: &str) -> Result<Job, String> {
        let (notation, also) = self.read.clone()?;
        let parsed = Parsed {
            bytes,
            notation,
            also,
        };
        Job::from_read(parsed, &ask.options())
            .map_err(|e: InspectError| view::input_error(&e, input))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::inspect::inspect;

    fn ask(typed: bool) -> PasteAsk {
        PasteAsk {
            seq: 7,
            format: Format::Auto,
            direction: Direction::Unknown,
            extensions: String::new(),
            max_inflated: wsinspect_core::stream::DEFAULT_MAX_INFLATED,
            typed,
        }
    }

    /// Through JSON both ways, as the page and the worker send them.
    fn wire<T: Serialize + for<'a> Deserialize<'a>>(t: &T) -> T {
        serde_json::from_str(&serde_json::to_string(t).unwrap()).unwrap()
    }

    #[test]
    fn read_in_the_worker_then_decoded_equals_one_inspect() {
        let inputs = [
            // RFC 6455 §5.7 masked "Hello", as hex, base64 and a handshake typed with bare LFs.
            "81 85 37 fa 21 3d 7f 9f 4d 51 58",
            "gYU3+iE9f59NUVg=",
            "GET /chat HTTP/1.1\nHost: a\nUpgrade: websocket\n\n",
        ];
        for typed in [false, true] {
            let a = wire(&ask(typed));
            for input in inputs {
                let (answer, bytes) = read(&a, input);
                let answer = wire(&answer);
                assert_eq!(answer.seq, 7);
                let job = answer.job(&a, bytes, input).unwrap();
                assert_eq!(
                    job.finish(),
                    inspect(input.as_bytes(), &a.options()).unwrap()
                );
                let restored = share::decode(answer.link.as_deref().unwrap()).unwrap();
                assert_eq!(restored.unwrap().input, input);
            }
        }
    }

    #[test]
    fn an_unreadable_input_gets_the_pages_message() {
        let a = ask(true);
        let (answer, bytes) = read(&a, "81 05\n48 zz");
        assert!(bytes.is_empty());
        let e = answer.read.clone().unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        assert_eq!(answer.job(&a, bytes, "81 05\n48 zz").err(), Some(e));
        let (answer, _) = read(&a, "hello world again");
        assert!(answer.read.unwrap_err().contains("Composer"));
        let bad = PasteAsk {
            extensions: "permessage-deflate; server_max_window_bits=3".into(),
            ..a
        };
        assert!(read(&bad, "81 00")
            .0
            .read
            .unwrap_err()
            .contains("extensions"));
    }
}
