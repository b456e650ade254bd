//! Where the frame boundaries of one direction are, as bytes pass: what a relay needs to put a
//! new frame between whole frames (never inside one) and a new data message between whole
//! messages (never between the fragments of one: RFC 6455 §5.4 lets only control frames come
//! between them). Bytes in, positions out; memory is one header (at most 14 bytes) or, before
//! the frames, an HTTP head of at most [`MAX_HEAD`] bytes.

use crate::wire::header::{decode_header, Progress};

/// The longest HTTP head looked through before the frames.
pub const MAX_HEAD: usize = 64 << 10;

/// What may be put in at a boundary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Insert {
    /// A control frame: between any two frames.
    Control,
    /// A data message: between whole messages.
    Message,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    /// In the HTTP head (its bytes so far, the last four for the end), and whether it must be
    /// a `101` response.
    Head {
        seen: usize,
        tail: [u8; 4],
        first_line: Vec<u8>,
        response: bool,
    },
    /// In a frame header (its bytes so far).
    Header { have: [u8; 14], len: usize },
    /// In a payload: bytes left.
    Payload(u64),
    /// Not WebSocket frames (a refused upgrade, a head too long): never at a boundary.
    NotFrames(&'static str),
}

/// One direction's frame boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Boundaries {
    state: State,
    /// A fragmented data message is open (a data frame with FIN clear was the last one).
    in_message: bool,
    /// The frame being read: whether it is a data frame, and its FIN.
    current: (bool, bool),
}

const NEW_HEADER: State = State::Header {
    have: [0; 14],
    len: 0,
};

impl Boundaries {
    /// A direction whose bytes are frames from the start.
    pub fn frames() -> Boundaries {
        Boundaries {
            state: NEW_HEADER,
            in_message: false,
            current: (false, true),
        }
    }

    /// A direction that begins with an HTTP head: a request (`response` false), or a response,
    /// which must be `101` for frames to follow.
    pub fn after_head(response: bool) -> Boundaries {
        Boundaries {
            state: State::Head {
                seen: 0,
                tail: [0; 4],
                first_line: Vec::new(),
                response,
            },
            ..Boundaries::frames()
        }
    }

    /// Why this direction will never have a boundary, if it will not.
    pub fn not_frames(&self) -> Option<&'static str> {
        match self.state {
            State::NotFrames(why) => Some(why),
            _ => None,
        }
    }

    /// Whether the frames have begun (the head, if any, is over and they are frames).
    pub fn started(&self) -> bool {
        !matches!(self.state, State::Head { .. } | State::NotFrames(_))
    }

    /// Whether `what` may be put in now, before the next byte.
    pub fn at(&self, what: Insert) -> bool {
        let between = self.state == NEW_HEADER;
        between && (what == Insert::Control || !self.in_message)
    }

    /// Take `bytes` up to the first place where `what` may be put in, and return how many were
    /// taken (0: here, before the first byte). All of them when there is no such place before
    /// the end (there may be one at the end: ask [`Boundaries::at`]).
    pub fn advance(&mut self, bytes: &[u8], what: Insert) -> usize {
        let mut i = 0;
        while i < bytes.len() && !self.at(what) {
            i += self.step(&bytes[i..]);
        }
        i
    }

    /// Take every byte of `bytes`.
    pub fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = self.step(bytes);
            bytes = &bytes[n..];
        }
    }

    fn frame_ended(&mut self) {
        let (data, fin) = self.current;
        if data {
            self.in_message = !fin;
        }
        self.state = NEW_HEADER;
    }

    /// Take some of `bytes` (at least one), up to the end of the current part.
    fn step(&mut self, bytes: &[u8]) -> usize {
        match &mut self.state {
            State::NotFrames(_) => bytes.len(),
            State::Payload(left) => {
                let n = (*left).min(bytes.len() as u64) as usize;
                *left -= n as u64;
                if *left == 0 {
                    self.frame_ended();
                }
                n
            }
            State::Head {
                seen,
                tail,
                first_line,
                response,
            } => {
                for (k, &b) in bytes.iter().enumerate() {
                    *seen += 1;
                    tail.rotate_left(1);
                    tail[3] = b;
                    if first_line.len() < 16 {
                        first_line.push(b);
                    }
                    if tail == b"\r\n\r\n" {
                        let ok = !*response
                            || first_line.starts_with(b"HTTP/1.1 101")
                            || first_line.starts_with(b"HTTP/1.0 101");
                        self.state = if ok {
                            NEW_HEADER
                        } else {
                            State::NotFrames("the upgrade was refused: no frames follow")
                        };
                        return k + 1;
                    }
                    if *seen > MAX_HEAD {
                        self.state = State::NotFrames("the HTTP head is too long to follow");
                        return k + 1;
                    }
                }
                bytes.len()
            }
            State::Header { have, len } => {
                // A byte at a time: a header is at most 14 bytes.
                have[*len] = bytes[0];
                *len += 1;
                match decode_header(&have[..*len]) {
                    Progress::NeedMore { .. } if *len < 14 => {}
                    Progress::NeedMore { .. } => {
                        self.state = State::NotFrames("a frame header could not be read");
                    }
                    Progress::Done(h) => {
                        self.current = (h.opcode < 8, h.fin);
                        self.state = State::Payload(h.payload_len);
                        if h.payload_len == 0 {
                            self.frame_ended();
                        }
                    }
                }
                1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::codes::OpCode;
    use crate::wire::encode::{encode, FrameSpec};

    fn frame(op: u8, fin: bool, len: usize, masked: bool) -> Vec<u8> {
        let mut s = FrameSpec::new(OpCode(op), vec![7u8; len]);
        s.fin = fin;
        if masked {
            s = s.masked([1, 2, 3, 4]);
        }
        encode(&s)
    }

    /// Every place, byte by byte, where `what` may go in.
    fn places(b: &mut Boundaries, bytes: &[u8], what: Insert) -> Vec<usize> {
        let mut out = Vec::new();
        if b.at(what) {
            out.push(0);
        }
        for (i, byte) in bytes.iter().enumerate() {
            b.feed(std::slice::from_ref(byte));
            if b.at(what) {
                out.push(i + 1);
            }
        }
        out
    }

    #[test]
    fn boundaries_are_between_whole_frames_and_messages_only() {
        // A fragmented text message with a ping between its fragments, then a 300-byte binary
        // (16-bit length), masked, then a 70000-byte one (64-bit length).
        let parts = [
            frame(1, false, 3, true),
            frame(9, true, 2, true),
            frame(0, true, 4, true),
            frame(2, true, 300, true),
            frame(2, true, 70_000, false),
        ];
        let ends: Vec<usize> = parts
            .iter()
            .scan(0, |at, p| {
                *at += p.len();
                Some(*at)
            })
            .collect();
        let all = parts.concat();
        let control = places(&mut Boundaries::frames(), &all, Insert::Control);
        assert_eq!(control, [0, ends[0], ends[1], ends[2], ends[3], ends[4]]);
        let message = places(&mut Boundaries::frames(), &all, Insert::Message);
        assert_eq!(message, [0, ends[2], ends[3], ends[4]]);
        // advance() stops at the same places, whatever the chunking.
        let mut b = Boundaries::frames();
        let mut at = 0;
        let mut got = Vec::new();
        for chunk in all.chunks(1000) {
            let mut rest = chunk;
            loop {
                let n = b.advance(rest, Insert::Message);
                at += n;
                rest = &rest[n..];
                if b.at(Insert::Message) && got.last() != Some(&at) {
                    got.push(at);
                }
                if rest.is_empty() {
                    break;
                }
                // Step past the boundary into the next frame.
                b.feed(&rest[..1]);
                at += 1;
                rest = &rest[1..];
            }
        }
        assert_eq!(got, [0, ends[2], ends[3], ends[4]]);
    }

    #[test]
    fn the_head_comes_first_and_a_refusal_has_no_frames() {
        let head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
        let mut bytes = head.to_vec();
        bytes.extend(frame(1, true, 5, false));
        let mut b = Boundaries::after_head(true);
        assert!(!b.started());
        let p = places(&mut b, &bytes, Insert::Message);
        assert_eq!(p, [head.len(), bytes.len()]);
        assert!(b.started());
        let mut refused = Boundaries::after_head(true);
        refused.feed(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n\x81\x00");
        assert!(!refused.at(Insert::Control));
        assert!(refused.not_frames().is_some());
        let mut long = Boundaries::after_head(false);
        long.feed(&vec![b'a'; MAX_HEAD + 10]);
        assert!(long.not_frames().is_some());
    }
}
