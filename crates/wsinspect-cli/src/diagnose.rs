//! The diagnoses of `wsinspect pcap` (one [`Diagnoser`] per open connection, fed as the events
//! come, so a large capture costs the same memory as a small one).

use crate::ids::IdMap;

use wsinspect_capture::CaptureEvent;
use wsinspect_core::diagnose::{DiagnoseReport, Diagnoser, HopLog};
use wsinspect_core::session::Timestamp;

/// One diagnoser per open connection.
#[derive(Default)]
pub struct Diagnosers {
    open: IdMap<(Diagnoser, Option<Timestamp>)>,
}

impl Diagnosers {
    /// Take an event of the capture; when a connection closes, its report (a refused upgrade
    /// linked to the proxy's other hop, when `hops` holds it).
    pub fn track(&mut self, e: &CaptureEvent, hops: &HopLog) -> Option<DiagnoseReport> {
        match e {
            CaptureEvent::Connection(c) => {
                self.open.insert(c.id, (Diagnoser::new(), c.time));
            }
            CaptureEvent::Event { connection, event } => {
                if let Some((d, _)) = self.open.get_mut(connection) {
                    d.push(event);
                }
            }
            CaptureEvent::Closed { connection, ends } => {
                let (d, _) = self.open.remove(connection)?;
                return Some(d.finish_linked(ends, *connection, hops));
            }
            // `Input`: a session's host makes its events before they come here.
            CaptureEvent::Note(_)
            | CaptureEvent::OtherFlow(_)
            | CaptureEvent::Tls { .. }
            | CaptureEvent::Input { .. } => {}
        }
        None
    }
}
