//! Counts of a connection's events per direction, in memory that does not grow with the input:
//! what `wsinspect decode --summary` prints.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Event, EventKind};
use crate::common::Direction;
use crate::finding::Finding;

/// One direction's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DirectionSummary {
    /// Which direction.
    pub direction: Option<Direction>,
    /// Complete frames.
    pub frames: u64,
    /// Data messages (complete or not).
    pub messages: u64,
    /// Control frames among the frames.
    pub control_frames: u64,
    /// Bytes of the stream read (handshake, frames and body).
    pub bytes: u64,
    /// Payload bytes of the frames (as sent: compressed where compressed).
    pub payload_bytes: u64,
    /// Payload bytes of the messages (inflated where compressed, as far as inflated).
    pub message_bytes: u64,
    /// Bytes the caller reported lost.
    pub lost_bytes: u64,
    /// Findings by code.
    pub findings: BTreeMap<&'static str, u64>,
    /// Whether the stream ended inside a frame.
    pub incomplete: bool,
}

/// The counts of a whole connection, fed one event at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Per direction, in the order they first appeared.
    pub directions: Vec<DirectionSummary>,
    /// The upgrade's status, when a response was seen.
    pub upgrade_status: Option<u16>,
}

impl Summary {
    /// Count one event.
    pub fn push(&mut self, e: &Event) {
        if let EventKind::Upgrade(u) = &e.kind {
            self.upgrade_status = (u.status != 0).then_some(u.status);
        }
        let d = self.direction(e.direction);
        d.bytes = d.bytes.max(e.end);
        let mut count = |f: &Finding| *d.findings.entry(f.rule.as_str()).or_default() += 1;
        match &e.kind {
            EventKind::Frame(f) => {
                d.frames += 1;
                d.payload_bytes += f.payload.len;
                if f.header.opcode >= 8 {
                    d.control_frames += 1;
                }
                f.findings.iter().for_each(&mut count);
            }
            EventKind::Message(m) => {
                d.messages += 1;
                d.message_bytes += m.payload.len;
            }
            EventKind::Finding(f) => count(f),
            EventKind::Gap { len } => d.lost_bytes += len,
            EventKind::End { incomplete } => {
                if let Some(i) = incomplete {
                    d.incomplete = true;
                    i.findings.iter().for_each(count);
                }
            }
            EventKind::Request(_)
            | EventKind::Response(_)
            | EventKind::Upgrade(_)
            | EventKind::Body { .. } => {}
        }
    }

    fn direction(&mut self, direction: Direction) -> &mut DirectionSummary {
        let i = match self
            .directions
            .iter()
            .position(|d| d.direction == Some(direction))
        {
            Some(i) => i,
            None => {
                self.directions.push(DirectionSummary {
                    direction: Some(direction),
                    ..DirectionSummary::default()
                });
                self.directions.len() - 1
            }
        };
        &mut self.directions[i]
    }
}
