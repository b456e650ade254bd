//! The capture view's state: what the worker told, which connection and rows are shown, the
//! filter, the selected frame and its detail. Pure reducers; the worker is app.rs's.

use std::rc::Rc;

use wsinspect_core::handshake::HandshakeReport;
use wsinspect_core::inspect::Inspection;
use wsinspect_payload::Decoded;
use wsinspect_view::capture_view::{
    detail_handshake, detail_inspection, ConnDiagnosis, ConnSummary, Detail, Filter, FrameRow,
    PlotPoint, Progress, Rates, Tell,
};
use yew::prelude::*;

/// The rows of the view the worker sent last.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Window {
    pub seq: u64,
    pub start: u32,
    pub total: u32,
    pub matches: u32,
    pub rows: Rc<Vec<FrameRow>>,
    pub error: Option<Rc<str>>,
}

/// Connections of the list past the ones the progress messages carry, as the worker sent them
/// last ([`Tell::Connections`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConnWindow {
    pub seq: u64,
    /// The first one's position in the list.
    pub start: usize,
    pub rows: Rc<Vec<ConnSummary>>,
}

impl ConnWindow {
    /// The connection at position `i` of the list, if this window holds it.
    pub fn at(&self, i: usize) -> Option<&ConnSummary> {
        self.rows.get(i.checked_sub(self.start)?)
    }
}

/// A selected frame's detail, ready for the usual components.
#[derive(Clone, Debug, PartialEq)]
pub struct Shown {
    pub detail: Rc<Detail>,
    pub inspection: Option<Rc<Inspection>>,
    pub handshake: Option<Rc<HandshakeReport>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaptureState {
    /// The file's name (only shown: the format comes from its content).
    pub name: Option<Rc<str>>,
    pub loading: bool,
    pub progress: Rc<Progress>,
    pub error: Option<Rc<str>>,
    /// Milliseconds the worker took to read the whole file.
    pub ms: Option<f64>,
    /// The worker's memory then (bytes).
    pub memory: u64,
    pub conn: Option<u64>,
    /// The connections list past the progress messages' (at the list's scroll position).
    pub conns: ConnWindow,
    /// The selected connection's summary as last seen in a list (it may be out of both now).
    pub picked: Option<Rc<ConnSummary>>,
    pub filter: Filter,
    pub window: Window,
    /// The last ask's number: answers with another are late and dropped.
    pub seq: u64,
    pub scroll_top: f64,
    /// The selected row (the connection's row number) and its detail once it came.
    pub selected: Option<u32>,
    pub shown: Option<Shown>,
    /// The selected connection's message sizes over time, and its message count.
    pub plot: Option<(Rc<Vec<PlotPoint>>, u32)>,
    /// Its messages and bytes per second per side, binned over time.
    pub rates: Option<Rc<Rates>>,
    /// The key logs given (they stay for the next capture), or why the last could not be read.
    pub keylog: KeyLogStatus,
    /// The selected connection's diagnoses and conformance, with its handshake analysed.
    pub diagnosis: Option<(Rc<ConnDiagnosis>, Option<Rc<HandshakeReport>>)>,
    /// The payload decoding of the selected message (capture_decoded).
    pub payload: PayloadChoice,
    /// What the last binary export of the selected connection holds, or why there is none.
    pub exported: Option<Rc<Exported>>,
}

/// The worker's [`Tell::Exported`].
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    pub name: Option<String>,
    pub size: u64,
    pub frames: u64,
    pub note: Option<String>,
}

/// The decoder chosen for a capture's Decoded view, and the worker's answers for it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PayloadChoice {
    /// `auto` (the detail carries its decoding), `none` or a decoder's name.
    pub choice: Option<Rc<str>>,
    /// The worker's answer for another choice.
    pub forced: Option<Rc<Forced>>,
    /// Counts the worker's re-decodings (a .proto given): views are asked for again.
    pub epoch: u64,
}

/// The worker's answer to `Ask::Decoded`.
#[derive(Clone, Debug, PartialEq)]
pub struct Forced {
    pub conn: u64,
    pub row: u32,
    pub choice: String,
    pub decoded: Option<Decoded>,
}

impl PayloadChoice {
    /// The choice, `auto` unless another was made.
    pub fn choice(&self) -> &str {
        self.choice.as_deref().unwrap_or("auto")
    }
}

/// The key logs the user gave, as the page says it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyLogStatus {
    /// Their names and secrets.
    pub given: Vec<(Rc<str>, usize)>,
    /// Why the last one could not be read.
    pub error: Option<Rc<str>>,
}

impl KeyLogStatus {
    /// One line for the header, if there is anything to say.
    pub fn line(&self) -> Option<String> {
        if let Some(e) = &self.error {
            return Some(e.to_string());
        }
        let names: Vec<&str> = self.given.iter().map(|(n, _)| &**n).collect();
        let secrets: usize = self.given.iter().map(|(_, n)| n).sum();
        (!names.is_empty()).then(|| format!("key log {}: {secrets} secret(s)", names.join(", ")))
    }
}

pub enum CaptureAction {
    /// A file was chosen or dropped.
    Open(String),
    /// The user stopped the reading.
    Cancel,
    /// Back to the paste input.
    Close,
    Told(Tell),
    SelectConn(u64),
    SetFilter(Filter),
    Scroll(f64),
    Select(u32),
    /// A window was asked for with this number.
    Asked(u64),
    /// A key log was given: its name and secrets, or why it could not be read.
    KeyLog(String, Result<usize, String>),
    /// The Decoded view's decoder choice.
    Choose(String),
}

impl CaptureState {
    pub fn active(&self) -> bool {
        self.name.is_some()
    }

    /// The handshake the Handshake tab shows: the selected frame's connection's, or (no frame
    /// selected, or none at all: a refused upgrade) the selected connection's.
    pub fn handshake(&self) -> Option<Rc<HandshakeReport>> {
        self.shown
            .as_ref()
            .and_then(|s| s.handshake.clone())
            .or_else(|| self.diagnosis.as_ref().and_then(|(_, h)| h.clone()))
    }

    /// The selected connection's summary: from the progress message's list, the window of the
    /// list past it, or as it was when last seen there.
    pub fn conn_summary(&self) -> Option<&ConnSummary> {
        let id = self.conn?;
        self.find(id)
            .or_else(|| self.picked.as_deref().filter(|c| c.id == id))
    }

    /// Connection `id` in the lists the page holds.
    fn find(&self, id: u64) -> Option<&ConnSummary> {
        fn in_list(l: &[ConnSummary], id: u64) -> Option<&ConnSummary> {
            l.iter().find(|c| c.id == id)
        }
        in_list(&self.progress.connections, id).or_else(|| in_list(&self.conns.rows, id))
    }

    /// Keep the selected connection's summary if a list holds it now.
    fn keep_picked(&mut self) {
        let Some(id) = self.conn else { return };
        if let Some(c) = self.find(id) {
            if self.picked.as_deref() != Some(c) {
                self.picked = Some(Rc::new(c.clone()));
            }
        }
    }

    /// Whether the selected connection has ended (its diagnoses are known then).
    pub fn conn_closed(&self) -> bool {
        self.conn_summary().is_some_and(|c| c.closed)
    }

    /// The selected message decoded with the choice made (the detail's own for `auto`; for
    /// another, the worker's answer once it came).
    pub fn decoded(&self) -> Option<Decoded> {
        let d = &self.shown.as_ref()?.detail;
        let c = self.payload.choice();
        match &self.payload.forced {
            Some(f)
                if c != "auto" && (f.conn, f.row, f.choice.as_str()) == (d.conn, d.row.row, c) =>
            {
                f.decoded.clone()
            }
            _ => d.decoded.clone(),
        }
    }

    /// Frames the selected connection has so far (changes while loading: asks again).
    pub fn conn_frames(&self) -> u64 {
        self.conn_summary().map_or(0, |c| c.frames[0] + c.frames[1])
    }
}

impl Reducible for CaptureState {
    type Action = CaptureAction;

    fn reduce(self: Rc<Self>, action: CaptureAction) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            CaptureAction::Open(name) => {
                s = CaptureState {
                    name: Some(name.into()),
                    loading: true,
                    seq: self.seq,
                    keylog: self.keylog.clone(),
                    ..CaptureState::default()
                };
            }
            // The worker stops between two slices and says where (its Done follows).
            CaptureAction::KeyLog(name, r) => match r {
                Ok(n) => {
                    s.keylog.given.push((name.into(), n));
                    s.keylog.error = None;
                }
                Err(e) => {
                    s.keylog.error = Some(format!("{name} is not a usable key log: {e}").into());
                }
            },
            CaptureAction::Cancel => {
                s.loading = false;
                s.error = Some("Stopping…".into());
            }
            CaptureAction::Close => {
                s = CaptureState {
                    seq: self.seq,
                    keylog: self.keylog.clone(),
                    ..CaptureState::default()
                }
            }
            CaptureAction::Told(t) => match t {
                Tell::Progress(mut p) => {
                    if !s.loading {
                        return self;
                    }
                    if p.unchanged {
                        p.connections = s.progress.connections.clone();
                    }
                    if p.tls_unchanged {
                        p.tls_flows = s.progress.tls_flows.clone();
                    }
                    s.progress = Rc::new(p);
                    s.pick_first();
                }
                Tell::Done {
                    progress,
                    error,
                    ms,
                    memory,
                } => {
                    s.memory = memory;
                    s.loading = false;
                    s.progress = Rc::new(progress);
                    s.error = error.map(Into::into);
                    s.ms = Some(ms);
                    s.pick_first();
                }
                Tell::Connections {
                    seq, start, rows, ..
                } => {
                    if seq < s.conns.seq {
                        return self;
                    }
                    s.conns = ConnWindow {
                        seq,
                        start: start as usize,
                        rows: Rc::new(rows),
                    };
                }
                Tell::Window {
                    seq,
                    conn,
                    total,
                    matches,
                    start,
                    rows,
                    error,
                } => {
                    if seq != s.seq || Some(conn) != s.conn {
                        return self;
                    }
                    s.window = Window {
                        seq,
                        start,
                        total,
                        matches,
                        rows: Rc::new(rows),
                        error: error.map(Into::into),
                    };
                }
                Tell::Detail(d) => {
                    if Some(d.conn) != s.conn || Some(d.row.row) != s.selected {
                        return self;
                    }
                    s.shown = Some(Shown {
                        inspection: detail_inspection(&d).map(Rc::new),
                        handshake: detail_handshake(&d).map(Rc::new),
                        detail: Rc::new(*d),
                    });
                }
                Tell::Plot {
                    conn,
                    points,
                    messages,
                    rates,
                } => {
                    if Some(conn) != s.conn {
                        return self;
                    }
                    s.plot = Some((Rc::new(points), messages));
                    s.rates = Some(Rc::new(rates));
                }
                Tell::Diagnosis(d) => {
                    if Some(d.conn) != s.conn {
                        return self;
                    }
                    let h = d
                        .handshake
                        .as_deref()
                        .map(|h| Rc::new(wsinspect_core::handshake::analyze(h)));
                    s.diagnosis = Some((Rc::new(*d), h));
                }
                Tell::Export { .. } => return self,
                Tell::Decoded {
                    conn,
                    row,
                    choice,
                    decoded,
                } => {
                    if Some(conn) != s.conn || Some(row) != s.selected {
                        return self;
                    }
                    s.payload.forced = Some(Rc::new(Forced {
                        conn,
                        row,
                        choice,
                        decoded,
                    }));
                }
                Tell::Proto { .. } => s.payload.epoch += 1,
                Tell::Exported {
                    conn,
                    name,
                    size,
                    frames,
                    note,
                } => {
                    if Some(conn) != s.conn {
                        return self;
                    }
                    s.exported = Some(Rc::new(Exported {
                        name,
                        size,
                        frames,
                        note,
                    }));
                }
            },
            CaptureAction::SelectConn(id) => {
                if s.conn == Some(id) {
                    return self;
                }
                s.conn = Some(id);
                s.picked = None;
                s.window = Window::default();
                s.scroll_top = 0.0;
                s.selected = None;
                s.shown = None;
                s.plot = None;
                s.rates = None;
                s.diagnosis = None;
                s.exported = None;
            }
            CaptureAction::SetFilter(f) => {
                s.filter = f;
                s.scroll_top = 0.0;
            }
            CaptureAction::Scroll(top) => s.scroll_top = top,
            CaptureAction::Select(row) => {
                if s.selected == Some(row) {
                    return self;
                }
                s.selected = Some(row);
            }
            CaptureAction::Asked(seq) => s.seq = seq,
            CaptureAction::Choose(c) => s.payload.choice = Some(c.into()),
        }
        s.keep_picked();
        if s == *self {
            self
        } else {
            Rc::new(s)
        }
    }
}

impl CaptureState {
    /// Open the first connection as soon as there is one.
    fn pick_first(&mut self) {
        if self.conn.is_none() {
            self.conn = self.progress.connections.first().map(|c| c.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_view::capture_view::{Ask, ConnSummary, Loader, TlsFlow};

    fn loaded() -> (Loader, Rc<CaptureState>) {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/pcap/echo.pcapng"
        ))
        .unwrap();
        let mut l = Loader::new(bytes.len() as u64);
        l.feed(&bytes).unwrap();
        l.finish().unwrap();
        let s = Rc::new(CaptureState::default())
            .reduce(CaptureAction::Open("echo.pcapng".into()))
            .reduce(CaptureAction::Told(Tell::Done {
                progress: l.progress(),
                error: None,
                ms: 1.0,
                memory: 0,
            }));
        (l, s)
    }

    #[test]
    fn a_loaded_file_opens_its_first_connection_and_late_answers_are_dropped() {
        let (mut l, s) = loaded();
        assert!(s.active() && !s.loading);
        assert_eq!(s.conn, Some(1));
        assert_eq!(s.conn_frames(), 14);
        let s = s.reduce(CaptureAction::Asked(7));
        let ask = |seq| Ask::Window {
            seq,
            conn: 1,
            filter: Filter::default(),
            start: 0,
            count: 50,
        };
        let late = l.index.answer(ask(6)).unwrap();
        let same = s.clone().reduce(CaptureAction::Told(late));
        assert!(Rc::ptr_eq(&s, &same));
        let s = s.reduce(CaptureAction::Told(l.index.answer(ask(7)).unwrap()));
        assert_eq!(s.window.total, 14);
        // A detail for the selected row becomes an inspection with the handshake.
        let s = s.reduce(CaptureAction::Select(3));
        let d = l
            .index
            .answer(Ask::Detail {
                seq: 0,
                conn: 1,
                row: 3,
            })
            .unwrap();
        let s = s.reduce(CaptureAction::Told(d));
        let shown = s.shown.as_ref().unwrap();
        assert!(shown.inspection.is_some() && shown.handshake.is_some());
        // Another connection forgets the selection.
        let s = s.reduce(CaptureAction::SelectConn(2));
        assert!(s.shown.is_none() && s.selected.is_none());
        assert!(!s.reduce(CaptureAction::Close).active());
    }

    #[test]
    fn a_connection_past_the_progress_list_is_found_in_the_window_and_kept_when_scrolled_away() {
        let (mut l, s) = loaded();
        // As if the progress message listed only the first connection.
        let mut p = (*s.progress).clone();
        let all = std::mem::take(&mut p.connections);
        p.connections.push(all[0].clone());
        let mut s = (*s).clone();
        s.progress = Rc::new(p);
        let s = Rc::new(s);
        let mut window = |seq, start, count| {
            CaptureAction::Told(
                l.index
                    .answer(Ask::Connections { seq, start, count })
                    .unwrap(),
            )
        };
        let last = all[2].clone();
        assert!(s
            .clone()
            .reduce(CaptureAction::SelectConn(last.id))
            .conn_summary()
            .is_none());
        let s = s.reduce(window(2, 1, 2));
        assert_eq!(s.conns.at(2), Some(&last));
        assert_eq!(s.conns.at(0), None);
        let s = s.reduce(CaptureAction::SelectConn(last.id));
        assert_eq!(s.conn_summary(), Some(&last));
        assert_eq!(s.conn_frames(), last.frames[0] + last.frames[1]);
        // An older answer is dropped; the list scrolled elsewhere keeps the summary as seen.
        let same = s.clone().reduce(window(1, 0, 1));
        assert!(Rc::ptr_eq(&s, &same));
        let s = s.reduce(window(3, 1, 1));
        assert_eq!(s.conns.at(2), None);
        assert_eq!(s.conn_summary(), Some(&last));
    }

    #[test]
    fn the_plots_rates_and_an_exports_note_belong_to_their_connection() {
        let (mut l, s) = loaded();
        let plot = l.index.answer(Ask::Plot { conn: 1 }).unwrap();
        let s = s.reduce(CaptureAction::Told(plot));
        assert!(!s.rates.as_ref().unwrap().bins.is_empty());
        let told = |conn| {
            CaptureAction::Told(match l.index.pcapng(conn) {
                Ok(e) => e.tell(),
                Err(e) => panic!("{e}"),
            })
        };
        // Another connection's note (a late answer) is dropped; this one's is kept.
        let same = s.clone().reduce(told(2));
        assert!(Rc::ptr_eq(&s, &same));
        let s = s.reduce(told(1));
        let e = s.exported.clone().unwrap();
        assert_eq!(e.name.as_deref(), Some("wsinspect-connection-1.pcapng"));
        assert!(e.frames == 14 && e.size > 0 && e.note.is_none());
        // Choosing another connection forgets both.
        let s = s.reduce(CaptureAction::SelectConn(2));
        assert!(s.exported.is_none() && s.rates.is_none() && s.plot.is_none());
    }

    #[test]
    fn a_refused_connections_diagnosis_gives_the_handshake_tab_its_handshake() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/diagnose/proxy-dropped-upgrade.pcapng"
        ))
        .unwrap();
        let mut l = Loader::new(bytes.len() as u64);
        l.feed(&bytes).unwrap();
        l.finish().unwrap();
        let s = Rc::new(CaptureState::default())
            .reduce(CaptureAction::Open("proxy.pcapng".into()))
            .reduce(CaptureAction::Told(Tell::Done {
                progress: l.progress(),
                error: None,
                ms: 1.0,
                memory: 0,
            }));
        let conn = s.conn.unwrap();
        assert!(s.conn_closed() && s.handshake().is_none());
        // An answer for another connection is dropped.
        let other = l.index.answer(Ask::Diagnosis { conn: conn + 2 }).unwrap();
        let same = s.clone().reduce(CaptureAction::Told(other));
        assert!(Rc::ptr_eq(&s, &same));
        let d = l.index.answer(Ask::Diagnosis { conn }).unwrap();
        let s = s.reduce(CaptureAction::Told(d));
        let (d, _) = s.diagnosis.as_ref().unwrap();
        assert_eq!(d.diagnoses[0].id, "proxy-dropped-upgrade");
        // No frame to select: the Handshake tab shows the refused handshake.
        let h = s.handshake().expect("the connection's handshake");
        assert_eq!(h.response.as_ref().unwrap().status, 505);
        let s = s.reduce(CaptureAction::SelectConn(conn + 2));
        assert!(s.diagnosis.is_none() && s.handshake().is_none());
    }

    #[test]
    fn another_decoder_choice_shows_the_workers_answer_and_a_proto_asks_again() {
        let (mut l, s) = loaded();
        let s = s.reduce(CaptureAction::Select(3));
        let d = l.index.answer(Ask::Detail {
            seq: 0,
            conn: 1,
            row: 3,
        });
        let s = s.reduce(CaptureAction::Told(d.unwrap()));
        let auto = s.decoded();
        assert!(auto.is_some(), "the echo fixture's text is decoded");
        let s = s.reduce(CaptureAction::Choose("none".into()));
        // Until the answer comes, the detail's own; then the answer.
        assert_eq!(s.decoded(), auto);
        let t = l.index.answer(Ask::Decoded {
            conn: 1,
            row: 3,
            choice: "none".into(),
        });
        let s = s.reduce(CaptureAction::Told(t.unwrap()));
        assert_eq!(s.decoded(), None);
        // An answer for another row is late and dropped.
        let late = l.index.answer(Ask::Decoded {
            conn: 1,
            row: 4,
            choice: "json".into(),
        });
        let same = s.clone().reduce(CaptureAction::Told(late.unwrap()));
        assert!(Rc::ptr_eq(&s, &same));
        let epoch = s.payload.epoch;
        let p = l.index.answer(Ask::Proto {
            files: Vec::new(),
            message: None,
        });
        let s = s.reduce(CaptureAction::Told(p.unwrap()));
        assert_eq!(s.payload.epoch, epoch + 1);
    }

    #[test]
    fn an_unchanged_list_keeps_the_one_shown() {
        let listed = Progress {
            connections: vec![ConnSummary {
                id: 4,
                ..ConnSummary::default()
            }],
            connection_count: 1,
            tls_flows: vec![TlsFlow {
                id: 7,
                ..TlsFlow::default()
            }],
            tls_flow_count: 1,
            ..Progress::default()
        };
        let s = Rc::new(CaptureState::default())
            .reduce(CaptureAction::Open("a.pcap".into()))
            .reduce(CaptureAction::Told(Tell::Progress(listed)))
            .reduce(CaptureAction::Told(Tell::Progress(Progress {
                read: 10,
                connection_count: 1,
                unchanged: true,
                tls_flow_count: 1,
                tls_unchanged: true,
                ..Progress::default()
            })));
        assert_eq!((s.progress.read, s.progress.connections.len()), (10, 1));
        assert_eq!(s.progress.tls_flows[0].id, 7);
        assert_eq!(s.conn, Some(4));
    }

    #[test]
    fn progress_after_a_cancel_is_ignored() {
        let s = Rc::new(CaptureState::default())
            .reduce(CaptureAction::Open("big.pcap".into()))
            .reduce(CaptureAction::Cancel);
        let p = Progress {
            connections: vec![ConnSummary::default()],
            ..Progress::default()
        };
        let same = s.clone().reduce(CaptureAction::Told(Tell::Progress(p)));
        assert!(Rc::ptr_eq(&s, &same));
        assert!(s.error.is_some() && !s.loading);
    }

    #[test]
    fn key_logs_stay_across_captures_and_a_bad_one_says_why() {
        let s = Rc::new(CaptureState::default())
            .reduce(CaptureAction::KeyLog("keys.log".into(), Ok(12)))
            .reduce(CaptureAction::Open("wss.pcapng".into()));
        assert_eq!(s.keylog.line().unwrap(), "key log keys.log: 12 secret(s)");
        let s = s
            .reduce(CaptureAction::Close)
            .reduce(CaptureAction::KeyLog("more.log".into(), Ok(3)));
        assert_eq!(
            s.keylog.line().unwrap(),
            "key log keys.log, more.log: 15 secret(s)"
        );
        let s = s.reduce(CaptureAction::KeyLog(
            "x.txt".into(),
            Err("key log line 1: bad".into()),
        ));
        assert!(s
            .keylog
            .line()
            .unwrap()
            .contains("x.txt is not a usable key log"));
        assert_eq!(s.keylog.given.len(), 2);
        assert_eq!(
            CaptureState::default().keylog.line(),
            None,
            "nothing said before a key log"
        );
    }
}
