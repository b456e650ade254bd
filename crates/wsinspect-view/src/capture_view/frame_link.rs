//! A capture's frame as a share link: a 100 MB capture cannot travel in a link, one frame can.
//! The link holds the frame's bytes as sent (plain hex), its sender, and the connection's negotiated
//! extensions, so the page it opens decodes the frame as the capture did; what one frame alone
//! cannot show (the rest of a fragmented message, the window of the messages before a
//! compressed one) is said, not left to look like the peer's mistake.

use wsinspect_core::inspect::notation::Format;
use wsinspect_core::inspect::{inspect, InspectOptions};

use super::Detail;
use crate::paste_job::PasteAsk;
use crate::share::{self, Shared};

/// A frame's share link, or why there is none, with what it leaves out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrameLink {
    /// The fragment (without `#`), when the frame's bytes were kept and fit a link.
    pub fragment: Option<String>,
    /// What the link's page will not show as the capture did, and the link's own limits.
    pub notes: Vec<String>,
}

/// The most frame bytes put in a link: a limit of wsinspect's (its hex is compressed into the
/// link on the page's thread, and a share link holds at most [`share::MAX_LINK`] anyway).
pub const MAX_FRAME_LINK: usize = 1 << 20;

/// The link for the frame of `d`, read in a connection that negotiated `extensions` (its
/// response's Sec-WebSocket-Extensions).
pub fn frame_link(d: &Detail, extensions: Option<&str>) -> FrameLink {
    let Some(bytes) = &d.bytes else {
        return FrameLink {
            fragment: None,
            notes: vec![d.note.clone().unwrap_or_else(|| {
                "This frame's bytes were not kept, so there is no link for it.".into()
            })],
        };
    };
    if bytes.len() > MAX_FRAME_LINK {
        return FrameLink {
            fragment: None,
            notes: vec![format!(
                "This frame is {} bytes; wsinspect puts at most {} in a link (a limit of ours): export the connection as pcapng to share it.",
                bytes.len(),
                MAX_FRAME_LINK
            )],
        };
    }
    let shared = Shared {
        input: wsinspect_core::common::hex(bytes),
        format: Format::Hex,
        direction: d.row.side.direction(),
        extensions: extensions.unwrap_or_default().to_string(),
        max_inflated: wsinspect_core::stream::DEFAULT_MAX_INFLATED,
    };
    let mut notes = alone(d, &shared);
    let (fragment, note) = share::link(&shared);
    notes.extend(note);
    FrameLink { fragment, notes }
}

/// What the frame alone does not show as it was in its connection.
fn alone(d: &Detail, shared: &Shared) -> Vec<String> {
    let Some((_, frames, compressed)) = d.message_shape else {
        return Vec::new();
    };
    if frames > 1 {
        return vec![format!(
            "This frame is one of the {frames} frames of its message: the link holds this frame alone, so its page shows the message unfinished."
        )];
    }
    if !compressed {
        return Vec::new();
    }
    if shared.extensions.trim().is_empty() {
        return vec!["Its connection's extensions are not known (its handshake was not captured): the link's page reads the frame without permessage-deflate.".into()];
    }
    let inflated = inspect(shared.input.as_bytes(), &link_options(shared))
        .ok()
        .and_then(|i| i.frames)
        .and_then(|r| r.messages.into_iter().next())
        .and_then(|m| m.inflated);
    if inflated.is_some() && inflated == d.message {
        return Vec::new();
    }
    vec!["Its message was compressed with the window of the messages before it (context takeover): alone, the link's page cannot inflate it, and says it refers back to bytes never sent.".into()]
}

/// The options the link's page reads its input with: a pasted input's, not typed.
fn link_options(shared: &Shared) -> InspectOptions {
    PasteAsk {
        seq: 0,
        format: shared.format,
        direction: shared.direction,
        extensions: shared.extensions.clone(),
        max_inflated: shared.max_inflated,
        typed: false,
    }
    .options()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture_view::{Ask, Filter, Loader, Tell};

    fn load(path: &str) -> Loader {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/");
        let bytes = std::fs::read(format!("{root}{path}")).unwrap();
        let mut l = Loader::new(bytes.len() as u64);
        l.feed(&bytes).unwrap();
        l.finish().unwrap();
        l
    }

    /// Each frame of each connection of `path`: its detail and its connection's extensions.
    fn details(path: &str) -> Vec<(Detail, Option<String>)> {
        let mut l = load(path);
        let mut out = Vec::new();
        for c in l.index.summaries_from(0, 100) {
            let Some(Tell::Window { total, .. }) = l.index.answer(Ask::Window {
                seq: 0,
                conn: c.id,
                filter: Filter::default(),
                start: 0,
                count: 1,
            }) else {
                panic!("no window for {}", c.id)
            };
            for row in 0..total {
                let Some(Tell::Detail(d)) = l.index.answer(Ask::Detail {
                    seq: 1,
                    conn: c.id,
                    row,
                }) else {
                    panic!("no detail for row {row} of {}", c.id)
                };
                out.push((*d, c.extensions.clone()));
            }
        }
        out
    }

    /// What the link's page decodes: the frame's header and its message's payload.
    fn opened(fragment: &str) -> (wsinspect_core::wire::header::Header, Option<Vec<u8>>) {
        let shared = share::decode(fragment).unwrap().unwrap();
        let report = inspect(shared.input.as_bytes(), &link_options(&shared))
            .unwrap()
            .frames
            .unwrap();
        assert_eq!(report.frames.len(), 1);
        // A compressed message's inflated bytes; an uncompressed one's are its frame's (unmasked).
        let f = &report.frames[0];
        let message = match report.messages.first() {
            Some(m) if m.compressed => m.inflated.clone(),
            Some(_) => Some(f.payload.clone()),
            None => None,
        };
        (f.header.clone(), message)
    }

    #[test]
    fn a_frames_link_opens_on_the_same_frame_and_says_what_it_alone_cannot_show() {
        let (mut whole, mut fragments, mut context) = (0, 0, 0);
        for path in [
            "pcap/echo.pcapng",
            "pcap/cases.pcapng",
            "pcap/fragmented.pcap",
        ] {
            for (d, extensions) in details(path) {
                let link = frame_link(&d, extensions.as_deref());
                let fragment = link.fragment.as_deref().expect("a small frame fits a link");
                let (header, message) = opened(fragment);
                // The same bits, from the same sender.
                let bytes = d.bytes.as_ref().unwrap();
                assert_eq!(header.opcode, d.row.opcode, "{path} {d:?}");
                assert_eq!((header.fin, header.masked), (d.row.fin, d.row.masked));
                assert_eq!(header.payload_len, d.row.len);
                assert!(bytes.len() as u64 >= d.row.len);
                match d.message_shape {
                    Some((_, n, _)) if n > 1 => {
                        fragments += 1;
                        assert!(link.notes[0].contains(&format!("one of the {n} frames")));
                    }
                    Some((_, _, true)) if link.notes.is_empty() => {
                        whole += 1;
                        assert_eq!(message, d.message, "{path} row {}", d.row.row);
                    }
                    Some((_, _, true)) => {
                        context += 1;
                        assert!(link.notes[0].contains("context takeover"));
                        assert_ne!(message, d.message);
                    }
                    _ => {
                        assert!(link.notes.is_empty(), "{:?}", link.notes);
                        if d.row.opcode < 8 {
                            whole += 1;
                            assert_eq!(message, d.message, "{path} row {}", d.row.row);
                        }
                    }
                }
            }
        }
        eprintln!("whole {whole}, fragments {fragments}, context {context}");
        assert!(whole > 20 && fragments > 20);
    }

    #[test]
    fn a_compressed_frame_that_needs_the_messages_before_it_says_so() {
        // Node `ws` to Python `websockets` with context takeover (tests/data/real): the client's
        // single-frame compressed messages, each as its own frame's detail.
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/real/");
        let stream = std::fs::read(format!("{root}ctx.client.bin")).unwrap();
        let options = InspectOptions {
            format: Format::Raw,
            direction: wsinspect_core::Direction::Client,
            extensions: Some("permessage-deflate".into()),
            ..InspectOptions::default()
        };
        let report = inspect(&stream, &options).unwrap();
        let frames = report.frames.unwrap();
        let (template, _) = details("pcap/echo.pcapng").remove(1);
        let (mut alone, mut context) = (0, 0);
        for m in frames
            .messages
            .iter()
            .filter(|m| m.frames.len() == 1 && m.compressed)
        {
            let f = &frames.frames[m.frames[0]];
            let at = f.offset as usize;
            let mut d = template.clone();
            d.row.side = crate::capture_view::Side::Client;
            d.bytes =
                Some(stream[at..at + f.header.header_len + f.header.payload_len as usize].to_vec());
            d.message = m.inflated.clone();
            d.message_shape = Some((m.opcode.0, 1, true));
            let link = frame_link(&d, Some("permessage-deflate"));
            let (_, opened_message) = opened(link.fragment.as_deref().unwrap());
            if link.notes.is_empty() {
                alone += 1;
                assert_eq!(opened_message, d.message);
            } else {
                context += 1;
                assert!(
                    link.notes[0].contains("context takeover"),
                    "{:?}",
                    link.notes
                );
                assert_ne!(opened_message, d.message);
            }
        }
        // The first message has no window before it; later ones refer back to it.
        assert!(
            alone >= 1 && context >= 1,
            "alone {alone}, context {context}"
        );
        // Without the connection's extensions (no handshake captured), the link cannot inflate.
        let m = &frames.messages[0];
        let f = &frames.frames[m.frames[0]];
        let mut d = template.clone();
        let at = f.offset as usize;
        d.bytes =
            Some(stream[at..at + f.header.header_len + f.header.payload_len as usize].to_vec());
        d.message_shape = Some((m.opcode.0, 1, true));
        let link = frame_link(&d, None);
        assert!(
            link.notes[0].contains("extensions are not known"),
            "{:?}",
            link.notes
        );
    }

    #[test]
    fn a_frame_not_kept_or_too_big_has_no_link_and_says_why() {
        let (mut d, _) = details("pcap/echo.pcapng").remove(0);
        d.bytes = None;
        d.note = Some("the payload past 1 MiB was not kept".into());
        let link = frame_link(&d, None);
        assert_eq!(link.fragment, None);
        assert_eq!(link.notes, ["the payload past 1 MiB was not kept"]);
        let (mut big, _) = details("pcap/echo.pcapng").remove(0);
        big.bytes = Some(vec![0; MAX_FRAME_LINK + 1]);
        let link = frame_link(&big, None);
        assert_eq!(link.fragment, None);
        assert!(
            link.notes[0].contains("a limit of ours"),
            "{:?}",
            link.notes
        );
    }
}
