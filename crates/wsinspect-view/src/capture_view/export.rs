//! A connection of the index out again, as files other tools read:
//!
//! - [`Index::pcapng`]: the bytes each side sent, rebuilt from what the index keeps (the
//!   request and response heads, each frame's header and payload, masked again as sent) at
//!   their capture times, in the order they were read, wrapped by `wsinspect_capture::write`
//!   in synthetic Ethernet/IP/TCP (a three-way handshake, consistent sequence numbers, FINs
//!   when the connection ended) between the capture's own endpoints: Wireshark, `tshark` and
//!   `wsinspect pcap` read the same frames from it. What the index did not keep (payloads past
//!   [`MAX_KEPT`], bytes lost in gaps, an HTTP body after a refusal) is not in it, and the
//!   answer says so.
//! - [`Index::connection_json`]: that pcapng read back by the same capture reader and
//!   [`ConnectionDoc`] as the CLI, with the connection's id, its diagnoses and conformance (from
//!   the whole capture) and each message's decoded payload: the document
//!   `wsinspect pcap --json --connection ID` prints, for this one connection.

use wsinspect_capture::write::{file_header_ns, Flow};
use wsinspect_capture::{Capture, CaptureConfig, CaptureEvent};
use wsinspect_core::session::{EventKind, Timestamp};
use wsinspect_core::wire::mask::apply_mask;
use wsinspect_core::Direction;
use wsinspect_payload::Choice;

use super::{Conn, Index, Side, StoredFrame, Tell, MAX_KEPT};
use crate::connection_doc::{CaptureFields, ConnectionDoc};

/// A connection as a pcapng file.
#[derive(Clone, Debug, PartialEq)]
pub struct PcapngExport {
    /// The connection.
    pub conn: u64,
    /// The file's name.
    pub name: String,
    /// The file.
    pub bytes: Vec<u8>,
    /// Frames written (both sides).
    pub frames: u64,
    /// What the file lacks, in words, if anything.
    pub note: Option<String>,
}

impl PcapngExport {
    /// What the page is told beside the file.
    pub fn tell(&self) -> Tell {
        Tell::Exported {
            conn: self.conn,
            name: Some(self.name.clone()),
            size: self.bytes.len() as u64,
            frames: self.frames,
            note: self.note.clone(),
        }
    }
}

/// What the page is told when an export could not be made.
pub fn export_refused(conn: u64, why: String) -> Tell {
    Tell::Exported {
        conn,
        name: None,
        size: 0,
        frames: 0,
        note: Some(why),
    }
}

/// A row's time back in nanoseconds since the epoch: its seconds since the connection's start
/// are an f64 that holds any whole count of nanoseconds under 2^53 (104 days) exactly, so the
/// capture's own nanoseconds come back (the index keeps no second copy of each frame's time).
fn absolute_ns(start: Option<u64>, secs: Option<f64>) -> Option<u64> {
    Some(start? + (secs? * 1e9).round() as u64)
}

/// A frame's bytes as sent: its header, then its payload masked again with its key.
pub(super) fn frame_bytes(f: &StoredFrame) -> Vec<u8> {
    let mut b = f.header.to_bytes()[..f.header.header_len].to_vec();
    let start = b.len();
    b.extend_from_slice(&f.payload);
    if let Some(key) = f.header.mask_key {
        apply_mask(&mut b[start..], key, 0);
    }
    b
}

fn side_word(s: Side) -> &'static str {
    match s {
        Side::Client => "client",
        Side::Server => "server",
    }
}

impl Index {
    /// Connection `conn` as a pcapng file (see the module), or why it cannot be one.
    pub fn pcapng(&self, conn: u64) -> Result<PcapngExport, String> {
        let c = self
            .by_id
            .get(&conn)
            .map(|&i| &self.conns[i])
            .ok_or_else(|| format!("there is no connection {conn}"))?;
        let Some(origin) = &c.origin else {
            return Err(if c.summary.har {
                "a HAR holds messages, not the frames' bytes: it cannot be written as pcapng (the JSONL and CSV exports hold its messages)".into()
            } else {
                "a pasted stream or dump has no endpoints or times: only connections read from a pcap or pcapng file can be written as pcapng".into()
            });
        };
        let mut out = file_header_ns();
        let mut flow = Flow::new(origin.client, origin.server).nanoseconds();
        let first = c.start_ns.or(origin.time.map(|t| t.0)).unwrap_or(0);
        let mut last = first;
        flow.open(Timestamp(first), &mut out);
        let mut sent = [0u64; 2];
        let mut left_out = Vec::new();
        let heads = [
            (Side::Client, c.heads_at[0], c.request.as_deref()),
            (Side::Server, c.heads_at[1], c.response.as_deref()),
        ];
        let mut put = |side: Side, bytes: &[u8], time: Option<u64>, out: &mut Vec<u8>| {
            last = time.unwrap_or(last).max(first);
            flow.data(side.direction(), bytes, Timestamp(last), out);
            sent[side.i()] += bytes.len() as u64;
        };
        for row in 0..=c.rows.len() {
            for (side, at, bytes) in heads {
                if let (Some((r, time)), Some(bytes)) = (at, bytes) {
                    if r as usize == row {
                        put(side, bytes, time, &mut out);
                    }
                }
            }
            let Some(f) = c.frames.get(row) else { break };
            if f.payload.len() as u64 != f.header.payload_len {
                left_out.push(row);
                continue;
            }
            let r = &c.rows[row];
            put(
                r.side,
                &frame_bytes(f),
                absolute_ns(c.start_ns, r.time),
                &mut out,
            );
        }
        let frames = (c.rows.len() - left_out.len()) as u64;
        if c.summary.closed {
            let end = Timestamp(last);
            flow.fin(Direction::Client, end, &mut out);
            flow.fin(Direction::Server, end, &mut out);
        }
        Ok(PcapngExport {
            conn,
            name: format!("wsinspect-connection-{conn}.pcapng"),
            bytes: out,
            frames,
            note: pcapng_note(c, &left_out, sent),
        })
    }

    /// Connection `conn` as `wsinspect pcap --json --connection ID` shows it: `{"connections":
    /// [its document]}` (the answer to `Ask::Export` with `json`).
    pub fn connection_json(&self, conn: u64) -> Tell {
        match self.connection_doc(conn) {
            Ok(doc) => {
                let all = serde_json::json!({ "connections": [doc] });
                Tell::Export {
                    name: format!("wsinspect-connection-{conn}.json"),
                    text: serde_json::to_string_pretty(&all).unwrap_or_default() + "\n",
                }
            }
            Err(why) => export_refused(conn, why),
        }
    }

    fn connection_doc(&self, conn: u64) -> Result<serde_json::Value, String> {
        let export = self.pcapng(conn)?;
        let c = &self.conns[self.by_id[&conn]];
        // The default keeps every payload byte, as `pcap --json` does.
        let mut capture = Capture::new(CaptureConfig::default());
        let mut doc = ConnectionDoc::default();
        let mut flow = None;
        let mut notes = Vec::new();
        let mut decoded = Vec::new();
        let mut pair = self
            .payload
            .pair(Choice::Auto, c.summary.subprotocol.as_deref());
        let mut take = |capture: &mut Capture| {
            while let Some(e) = capture.poll_event() {
                match e {
                    CaptureEvent::Connection(mut k) => {
                        k.id = conn;
                        flow = Some(k);
                    }
                    CaptureEvent::Event { event, .. } => {
                        if let EventKind::Message(m) = &event.kind {
                            let side = Side::of(event.direction);
                            decoded.push(
                                m.payload
                                    .is_whole()
                                    .then(|| pair.message(side, m.opcode, &m.payload.kept.0))
                                    .flatten(),
                            );
                        }
                        doc.push(event);
                    }
                    CaptureEvent::Note(n) => notes.push(n),
                    _ => {}
                }
            }
        };
        let read = capture.feed(&export.bytes).and_then(|()| capture.finish());
        take(&mut capture);
        read.map_err(|e| format!("the connection's pcapng could not be read back: {e}"))?;
        let (diagnoses, conformance) = self.report(conn).unzip();
        // The pcapng holds a wss connection decrypted: its TLS comes from the index, where the
        // CLI's document has it.
        let fields = CaptureFields {
            connection: flow.as_ref(),
            notes: &notes,
            tls: c.tls.as_deref(),
            diagnoses: diagnoses.as_deref().unwrap_or_default(),
            conformance: conformance.as_ref(),
            export_note: export.note.as_deref(),
        };
        let doc = doc.finish_capture(fields, decoded);
        Ok(doc)
    }
}

/// What a connection's pcapng lacks: frames whose payload is not all there, stream bytes not
/// rebuilt, TLS (written decrypted).
fn pcapng_note(c: &Conn, left_out: &[usize], sent: [u64; 2]) -> Option<String> {
    let mut says = Vec::new();
    if let Some(first) = left_out.first() {
        says.push(format!(
            "{} of {} frames left out (the first at row {first}): their payloads were cut by a gap in the capture, or not kept (the page keeps at most {} MiB of payloads; `wsinspect pcap --connection {} --json` reads the whole file)",
            left_out.len(),
            c.rows.len(),
            MAX_KEPT >> 20,
            c.summary.id
        ));
    }
    for side in [Side::Client, Side::Server] {
        let (got, had) = (sent[side.i()], c.summary.bytes[side.i()]);
        if got < had {
            says.push(format!(
                "the {}'s stream has {got} of its {had} bytes (bytes lost in gaps, frames left out and an HTTP body after a refusal are not in it)",
                side_word(side)
            ));
        }
    }
    if c.summary.tls.is_some() {
        says.push(format!(
            "the TLS connection is written decrypted, as plain TCP on the same ports (in Wireshark: Decode As… HTTP for port {})",
            c.origin.as_ref().map_or(0, |o| o.server.port())
        ));
    }
    (!says.is_empty()).then(|| says.join("; "))
}

#[cfg(test)]
mod tests {
    use super::super::Loader;
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/");
        std::fs::read(format!("{root}{path}")).unwrap()
    }

    /// The TLS fixture read with its key log by the page's loader, and by the capture reader as
    /// `wsinspect pcap --keylog` reads it (its events to poll).
    fn tls_loaded() -> (Loader, Capture) {
        let bytes = fixture("tls/capture.pcapng");
        let keylog = fixture("tls/keylog.txt");
        let mut l = Loader::new(bytes.len() as u64);
        l.add_keylog(&keylog).unwrap();
        l.feed(&bytes).unwrap();
        l.finish().unwrap();
        let mut c = Capture::new(CaptureConfig::default());
        c.add_keylog(&keylog).unwrap();
        c.feed(&bytes).unwrap();
        c.finish().unwrap();
        (l, c)
    }

    fn load(bytes: &[u8]) -> Loader {
        let mut l = Loader::new(bytes.len() as u64);
        for chunk in bytes.chunks(3000) {
            l.feed(chunk).unwrap();
        }
        l.finish().unwrap();
        l
    }

    /// One frame or message as a reader gives it: side, opcode, fin, payload (unmasked), time.
    type Item = (Direction, u8, bool, Vec<u8>, Option<Timestamp>);

    /// A connection's frames and messages, and whether it upgraded, read by the capture crate
    /// as `wsinspect pcap` reads a file (`conn`: its id there).
    fn read(bytes: &[u8], conn: u64) -> (Vec<Item>, Vec<Item>, bool) {
        let mut c = Capture::new(CaptureConfig::default());
        c.feed(bytes).unwrap();
        c.finish().unwrap();
        let (mut frames, mut messages, mut upgraded) = (Vec::new(), Vec::new(), false);
        while let Some(e) = c.poll_event() {
            let CaptureEvent::Event { connection, event } = e else {
                continue;
            };
            if connection != conn {
                continue;
            }
            let d = event.direction;
            match event.kind {
                EventKind::Upgrade(u) => upgraded = u.accepted,
                EventKind::Frame(f) => frames.push((
                    d,
                    f.header.opcode,
                    f.header.fin,
                    f.payload.kept.0,
                    event.time,
                )),
                EventKind::Message(m) => {
                    messages.push((d, m.opcode, true, m.payload.kept.0, event.time))
                }
                _ => {}
            }
        }
        (frames, messages, upgraded)
    }

    #[test]
    fn a_connection_exported_as_pcapng_reads_back_with_the_same_frames() {
        // echo: compressed (1), plain in 500-byte segments (2), IPv6 from Node `ws` (5);
        // cases: fragmented compressed messages with pings between fragments (1, 2, 3), a
        // refused upgrade with a body (4), Chromium's client (5).
        for (file, conns) in [
            ("pcap/echo.pcapng", &[1u64, 2, 5][..]),
            ("pcap/cases.pcapng", &[1, 2, 3, 5][..]),
        ] {
            let bytes = fixture(file);
            let l = load(&bytes);
            for &conn in conns {
                let e = l.index.pcapng(conn).unwrap();
                let (want_frames, want_messages, upgraded) = read(&bytes, conn);
                // The export holds one flow: id 1.
                let (frames, messages, again) = read(&e.bytes, 1);
                assert!(upgraded && again, "{file} {conn}");
                assert!(!want_frames.is_empty());
                assert_eq!(frames, want_frames, "{file} connection {conn}");
                assert_eq!(messages, want_messages, "{file} connection {conn}");
                assert_eq!(e.frames as usize, frames.len());
                assert_eq!(e.note, None, "{file} {conn}");
                assert_eq!(e.tell().clone(), {
                    Tell::Exported {
                        conn,
                        name: Some(format!("wsinspect-connection-{conn}.pcapng")),
                        size: e.bytes.len() as u64,
                        frames: e.frames,
                        note: None,
                    }
                });
            }
        }
    }

    #[test]
    fn a_decrypted_wss_connection_exports_as_its_plaintext_and_says_so() {
        let (l, mut c) = tls_loaded();
        let e = l.index.pcapng(1).unwrap();
        assert!(
            e.note.as_deref().unwrap().contains("decrypted"),
            "{:?}",
            e.note
        );
        // The CLI's reading of the original with the key log: the same frames and messages.
        let mut want = Vec::new();
        while let Some(ev) = c.poll_event() {
            if let CaptureEvent::Event {
                connection: 1,
                event,
            } = ev
            {
                if let EventKind::Message(m) = event.kind {
                    want.push((event.direction, m.payload.kept.0));
                }
            }
        }
        let (_, messages, upgraded) = read(&e.bytes, 1);
        let got: Vec<_> = messages.into_iter().map(|m| (m.0, m.3)).collect();
        assert!(upgraded && !want.is_empty());
        assert_eq!(got, want);
    }

    #[test]
    fn a_rows_seconds_give_back_the_capture_nanoseconds() {
        let start = 1_795_864_648_265_725_780u64;
        // The index stores `(t - start) as f64 / 1e9`; up to 2^53 ns later, t comes back.
        let mut n = 1u64;
        while n < 1 << 53 {
            for d in [n - 1, n, n + 7, n * 3 + 1] {
                let secs = d as f64 / 1e9;
                assert_eq!(absolute_ns(Some(start), Some(secs)), Some(start + d), "{d}");
            }
            n = n * 5 / 2 + 1;
        }
        assert_eq!(absolute_ns(None, Some(1.0)), None);
    }

    #[test]
    fn what_the_index_lacks_is_said_not_invented() {
        // A lost segment inside connection 2's message: the stream is shorter than it was.
        let l = load(&fixture("pcap/lost-segment.pcapng"));
        let e = l.index.pcapng(2).unwrap();
        let note = e.note.unwrap();
        assert!(note.contains("1 of 14 frames left out"), "{note}");
        assert!(note.contains("the client's stream has"), "{note}");
        assert_eq!(e.frames, 13);
        assert!(read(&e.bytes, 1).2);
        // A refused upgrade: the heads are there, the body is not (and it is said).
        let l = load(&fixture("pcap/cases.pcapng"));
        let e = l.index.pcapng(4).unwrap();
        assert_eq!(e.frames, 0);
        assert!(e.note.unwrap().contains("HTTP body"));
        // A HAR has no frame bytes: refused, with the reason.
        let l = load(&fixture("har/echo.har"));
        let id = l.progress().connections[0].id;
        assert!(l.index.pcapng(id).unwrap_err().contains("HAR"));
        assert!(matches!(
            l.index.connection_json(id),
            Tell::Exported {
                name: None,
                note: Some(_),
                ..
            }
        ));
        assert!(l.index.pcapng(999).is_err());
    }

    #[test]
    fn a_wss_connections_json_export_carries_its_tls_as_the_cli_does() {
        let (l, mut c) = tls_loaded();
        // What `wsinspect pcap --json --keylog` puts under "tls": the capture's report.
        let mut reports = Vec::new();
        while let Some(e) = c.poll_event() {
            if let CaptureEvent::Tls { connection, tls } = e {
                reports.push((connection, serde_json::json!(tls)));
            }
        }
        assert_eq!(reports.len(), 7);
        for (conn, want) in reports {
            let Tell::Export { text, .. } = l.index.connection_json(conn) else {
                panic!("connection {conn}")
            };
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let doc = &v["connections"][0];
            assert_eq!(doc["tls"], want, "connection {conn}");
            assert!(
                doc["tls"]["sni"] == "localhost" && !doc["messages"].as_array().unwrap().is_empty()
            );
        }
        // A cleartext connection has none.
        let l = load(&fixture("pcap/echo.pcapng"));
        let Tell::Export { text, .. } = l.index.connection_json(1) else {
            panic!()
        };
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(v["connections"][0].get("tls").is_none());
    }

    #[test]
    fn the_json_export_is_the_clis_document_for_the_connection() {
        let bytes = fixture("pcap/echo.pcapng");
        let l = load(&bytes);
        let Tell::Export { name, text } = l.index.connection_json(1) else {
            panic!()
        };
        assert_eq!(name, "wsinspect-connection-1.json");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let c = &v["connections"][0];
        assert_eq!(c["id"], 1, "{}", &text[..text.len().min(600)]);
        assert_eq!(c["handshake"]["accept"]["matches"], true);
        let (frames, messages, _) = read(&bytes, 1);
        let fs = c["frames"].as_array().unwrap();
        let ms = c["messages"].as_array().unwrap();
        assert_eq!((fs.len(), ms.len()), (frames.len(), messages.len()));
        for (f, want) in fs.iter().zip(&frames) {
            assert_eq!(f["direction"], want.0.as_str());
            assert_eq!(f["opcode"], want.1);
        }
        // Compressed: the message's text is the inflated one, and it was decoded (JSON).
        assert_eq!(ms[0]["direction"], "client");
        assert!(ms[0]["text"]
            .as_str()
            .unwrap()
            .contains("Hello, wsinspect!"));
        assert!(ms.iter().any(|m| !m["decoded"].is_null()));
        assert!(c["conformance"].is_object() && c["diagnoses"].is_array());
    }
}
