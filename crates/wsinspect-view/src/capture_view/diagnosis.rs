//! Each connection's diagnoses and conformance in the page's capture index: the same
//! [`Diagnoser`] as `wsinspect pcap`, fed the connection's events as they come and finished with
//! how each TCP direction ended; HAR connections (`wsinspect_capture::har::diagnose`) and dumps as the CLI diagnoses them. What is
//! kept per connection is bounded: the open ones' diagnosers (a few facts each), then the
//! diagnoses found (usually none) and one verdict per class and peer, with the first fail's
//! detail only for the classes that failed. [`Ask::Diagnosis`] is answered with
//! [`ConnDiagnosis`]: the items with each evidence's frame resolved to the connection's row.

use foldhash::HashMap;

use serde::{Deserialize, Serialize};
use wsinspect_capture::CaptureEvent;
use wsinspect_core::diagnose::{
    Class, ClassVerdict, Conformance, DiagnoseReport, Diagnoser, Diagnosis, HopLog,
    PeerConformance, Verdict,
};
use wsinspect_core::inspect::Inspection;
use wsinspect_core::session::Timestamp;
use wsinspect_core::Direction;

use super::{Conn, Index, Side};
use crate::diagnose::{conformance_rows, diagnosis_items, ConformanceRow, DiagnosisItem};

/// A connection's diagnoses and conformance, as the page shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnDiagnosis {
    /// The connection.
    pub conn: u64,
    /// Whether it has ended (before, nothing is known yet: the diagnoses need its end).
    pub known: bool,
    /// Its diagnoses, causes first; each evidence's `frame` is a row of the connection.
    pub diagnoses: Vec<DiagnosisItem>,
    /// One row per conformance class: the client's and the server's verdicts.
    pub conformance: Vec<ConformanceRow>,
    /// The handshake's request and response bytes, joined (a header evidence opens them).
    pub handshake: Option<Vec<u8>>,
}

/// One peer's verdicts, kept small: the verdict per class, the detail of the failed ones.
#[derive(Debug)]
struct Kept {
    diagnoses: Vec<Diagnosis>,
    verdicts: [Vec<Verdict>; 2],
    fails: Vec<(usize, Class, ClassVerdict)>,
    origin: Option<Timestamp>,
}

impl Kept {
    fn of(r: DiagnoseReport, origin: Option<Timestamp>) -> Kept {
        let mut fails = Vec::new();
        let mut verdicts = [Vec::new(), Vec::new()];
        for (i, p) in [r.conformance.client, r.conformance.server]
            .into_iter()
            .enumerate()
        {
            for (c, v) in Class::ALL.iter().zip(p.classes) {
                verdicts[i].push(v.verdict);
                if v.verdict == Verdict::Fail {
                    fails.push((i, *c, v));
                }
            }
        }
        Kept {
            diagnoses: r.diagnoses,
            verdicts,
            fails,
            origin,
        }
    }

    fn conformance(&self) -> Conformance {
        let peer = |i: usize| PeerConformance {
            classes: Class::ALL
                .iter()
                .zip(&self.verdicts[i])
                .map(|(c, v)| {
                    self.fails
                        .iter()
                        .find(|(p, fc, _)| *p == i && fc == c)
                        .map_or_else(|| ClassVerdict::of(*v), |(.., f)| f.clone())
                })
                .collect(),
        };
        Conformance {
            client: peer(0),
            server: peer(1),
        }
    }
}

/// The diagnosers of the open connections and what the ended ones gave.
#[derive(Default)]
pub(super) struct Diagnoses {
    open: HashMap<u64, (Diagnoser, Option<Timestamp>)>,
    done: HashMap<u64, Kept>,
}

impl Index {
    /// Feed the connection's diagnoser; when it ends, keep what it found (`hops`: the capture's
    /// recent requests, to find the other hop of a proxy) and put the ids in its summary.
    pub(super) fn track_diagnoses(&mut self, e: &CaptureEvent, hops: Option<&HopLog>) {
        let d = &mut self.diagnoses;
        match e {
            CaptureEvent::Connection(c) => {
                d.open.insert(c.id, (Diagnoser::new(), c.time));
            }
            CaptureEvent::Event { connection, event } => {
                if let Some((dg, _)) = d.open.get_mut(connection) {
                    dg.push(event);
                }
            }
            CaptureEvent::Closed { connection, ends } => {
                if let Some((dg, origin)) = d.open.remove(connection) {
                    let r = match hops {
                        Some(h) => dg.finish_linked(ends, *connection, h),
                        None => dg.finish(ends),
                    };
                    self.keep_diagnoses(*connection, r, origin);
                }
            }
            // `Input`: only from a capture whose sessions run outside it; the page's run inside.
            CaptureEvent::Note(_)
            | CaptureEvent::OtherFlow(_)
            | CaptureEvent::Tls { .. }
            | CaptureEvent::Input { .. } => {}
        }
    }

    /// A dump's (one connection from one side, how TCP ended unknown).
    pub(super) fn diagnose_inspection(&mut self, id: u64, i: &Inspection) {
        let r = wsinspect_core::diagnose::diagnose_stream(i.handshake.as_ref(), i.frames.as_ref());
        self.keep_diagnoses(id, r, None);
    }

    pub(super) fn keep_diagnoses(&mut self, id: u64, r: DiagnoseReport, origin: Option<Timestamp>) {
        if let Some(c) = self.conn(id) {
            c.summary.diagnoses = r.diagnoses.iter().map(|d| d.id.to_string()).collect();
        }
        self.diagnoses.done.insert(id, Kept::of(r, origin));
    }

    /// A connection's diagnoses and conformance as the core gave them (what `wsinspect pcap
    /// --json` prints), once it has ended.
    pub(super) fn report(&self, conn: u64) -> Option<(Vec<Diagnosis>, Conformance)> {
        let k = self.diagnoses.done.get(&conn)?;
        Some((k.diagnoses.clone(), k.conformance()))
    }

    /// The answer to [`super::Ask::Diagnosis`].
    pub(super) fn diagnosis(&self, conn: u64) -> Option<ConnDiagnosis> {
        let c = &self.conns[*self.by_id.get(&conn)?];
        let mut handshake = c.request.clone();
        if let (Some(h), Some(resp)) = (&mut handshake, &c.response) {
            h.extend_from_slice(resp);
        }
        let Some(k) = self.diagnoses.done.get(&conn) else {
            return Some(ConnDiagnosis {
                conn,
                known: false,
                diagnoses: Vec::new(),
                conformance: Vec::new(),
                handshake,
            });
        };
        let row = |d: Direction, f: u64| row_of(c, d, f);
        let mut diagnoses = diagnosis_items(&k.diagnoses, k.origin, |e| {
            e.frame.and_then(|f| row(e.direction, f))
        });
        // Another connection is a link only when the list has it (a plain HTTP hop is an other
        // flow: named in the text, not selectable).
        for e in diagnoses.iter_mut().flat_map(|d| d.evidence.iter_mut()) {
            e.connection = e.connection.filter(|id| self.by_id.contains_key(id));
        }
        Some(ConnDiagnosis {
            conn,
            known: true,
            diagnoses,
            conformance: conformance_rows(&k.conformance(), row),
            handshake,
        })
    }
}

/// The row of the `index`th frame the `d` side sent, if the connection has it.
fn row_of(c: &Conn, d: Direction, index: u64) -> Option<usize> {
    let side = Side::of(d);
    c.rows
        .iter()
        .position(|r| r.side == side && r.index == index)
}

#[cfg(test)]
mod tests {
    use super::super::{Ask, Loader, Tell};
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn loaded(path: &str) -> Loader {
        let bytes = fixture(path);
        let mut l = Loader::new(bytes.len() as u64);
        for chunk in bytes.chunks(1000) {
            l.feed(chunk).unwrap();
        }
        l.finish().unwrap();
        l
    }

    fn diagnosis(l: &mut Loader, conn: u64) -> ConnDiagnosis {
        match l.index.answer(Ask::Diagnosis { conn }) {
            Some(Tell::Diagnosis(d)) => *d,
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn a_frame_mistake_is_diagnosed_with_its_evidence_on_the_frames_row() {
        let mut l = loaded("tests/data/diagnose/rsv1-on-ping.pcapng");
        let listed = l.index.summaries();
        assert!(!listed.is_empty());
        for s in &listed {
            assert_eq!(s.diagnoses, ["rsv1-on-control-frame"], "{s:?}");
            let d = diagnosis(&mut l, s.id);
            assert!(d.known);
            let dg = &d.diagnoses[0];
            assert_eq!(dg.id, "rsv1-on-control-frame");
            // The evidence points at the ping's row: a server ping with RSV1 set.
            let row = dg.evidence[0].frame.expect("a frame row") as u32;
            let w = l.index.answer(Ask::Detail {
                seq: 0,
                conn: s.id,
                row,
            });
            let Some(Tell::Detail(detail)) = w else {
                panic!("{w:?}")
            };
            assert_eq!((detail.row.opcode, detail.row.side), (9, Side::Server));
            assert_eq!(detail.row.rsv & 4, 4);
            // The server fails reserved-bits at that frame; the client passes it.
            let rb = d
                .conformance
                .iter()
                .find(|r| r.class == "reserved-bits")
                .unwrap();
            assert_eq!(rb.peers[1].verdict, "fail", "{rb:?}");
            assert_eq!(rb.peers[1].frame, Some(row as usize));
            assert!(rb.peers[1]
                .text
                .starts_with("reserved-bits at server frame"));
            assert_eq!(rb.peers[0].verdict, "pass");
            assert_eq!(d.conformance.len(), Class::ALL.len());
        }
    }

    #[test]
    fn a_refusal_links_its_evidence_to_the_handshake() {
        let mut l = loaded("tests/data/diagnose/proxy-dropped-upgrade.pcapng");
        let s = &l.index.summaries()[0];
        assert_eq!(
            s.diagnoses[..2],
            ["proxy-dropped-upgrade", "upgrade-refused"]
        );
        let d = diagnosis(&mut l, s.id);
        assert!(d.handshake.is_some());
        let e = &d.diagnoses[1].evidence;
        assert!(e.iter().all(|e| e.handshake && e.frame.is_none()), "{e:?}");
        // The proxy's request to the backend is an HTTP flow: named, not a link.
        let hop = d.diagnoses[0].evidence.last().unwrap();
        assert!(hop
            .text
            .contains("the proxy's request to the backend: `GET / HTTP/1.0`"));
        assert!(!hop.handshake && hop.frame.is_none() && hop.connection.is_none());
        assert!(d
            .conformance
            .iter()
            .all(|r| r.peers.iter().all(|p| p.verdict == "not_exercised")));
    }

    #[test]
    fn har_entries_and_dumps_are_diagnosed_as_the_cli_does() {
        // mitmproxy's HAR: the echo (nothing wrong, its text messages pass utf8), then a 403.
        let mut l = loaded("tests/data/har/mitmproxy.har");
        let s = l.index.summaries();
        assert_eq!(
            (s[0].diagnoses.len(), &s[1].diagnoses[..]),
            (0, &["upgrade-refused".to_string()][..])
        );
        let d = diagnosis(&mut l, s[0].id);
        let utf8 = d.conformance.iter().find(|r| r.class == "utf8").unwrap();
        assert_eq!(
            (&*utf8.peers[0].verdict, &*utf8.peers[1].verdict),
            ("pass", "pass")
        );
        let d = diagnosis(&mut l, s[1].id);
        assert!(d.diagnoses[0].message.contains("403 Forbidden"));
        assert!(d.diagnoses[0].evidence.iter().all(|e| e.handshake));
        // A pasted stream read as a dump: HTTP text after a frame, its evidence on its row.
        let dump = b"81 02 68 69 48 54 54 50 2f 31 2e 31 20 32 30 30";
        let mut l = Loader::new(dump.len() as u64);
        l.feed(dump).unwrap();
        l.finish().unwrap();
        let d = diagnosis(&mut l, 1);
        assert_eq!(d.diagnoses[0].id, "http-after-upgrade");
        assert_eq!(l.index.summaries()[0].diagnoses, ["http-after-upgrade"]);
    }

    #[test]
    fn healthy_captures_have_no_diagnosis_and_pass_what_they_exercise() {
        for path in [
            "tests/data/pcap/echo.pcapng",
            "tests/data/pcap/fragmented.pcap",
        ] {
            let mut l = loaded(path);
            for s in l.index.summaries() {
                assert!(s.diagnoses.is_empty(), "{path} {s:?}");
                let d = diagnosis(&mut l, s.id);
                assert!(d.known && d.diagnoses.is_empty());
                assert!(d
                    .conformance
                    .iter()
                    .all(|r| r.peers.iter().all(|p| p.verdict != "fail")));
                assert!(d.conformance.iter().any(|r| r.peers[0].verdict == "pass"));
            }
        }
    }
}
