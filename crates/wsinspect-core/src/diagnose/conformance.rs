//! Each peer's conformance, grouped like Autobahn's case classes: for every class, pass, fail
//! (the first offending frame and its rule) or not exercised (the peer sent nothing that class
//! is about). The one table is [`Class::of`]: every finding rule maps to a class, or to none
//! (our limits and facts about the capture).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::{Diagnosis, DiagnosisId, FrameFacts};
use crate::common::{ids, Direction};
use crate::finding::{Finding, Rule};

ids! {
    /// A class of rules, after Autobahn's test case groups.
    pub enum Class("conformance class") {
        /// Frame layout: masking, length encoding (Autobahn 1).
        Framing = "framing",
        /// Pings and pongs: control payloads, answering pings (Autobahn 2).
        Pings = "pings",
        /// Reserved bits (Autobahn 3).
        ReservedBits = "reserved-bits",
        /// Opcodes (Autobahn 4).
        Opcodes = "opcodes",
        /// Fragmentation (Autobahn 5).
        Fragmentation = "fragmentation",
        /// UTF-8 of text messages and close reasons (Autobahn 6).
        Utf8 = "utf8",
        /// The closing handshake (Autobahn 7).
        Close = "close",
        /// permessage-deflate (Autobahn 12, 13).
        Compression = "compression",
    }
}

impl Class {
    /// The class a finding rule belongs to; `None` for our limits and the capture's facts.
    pub fn of(rule: Rule) -> Option<Class> {
        Some(match rule {
            Rule::UnmaskedClientFrame
            | Rule::MaskedServerFrame
            | Rule::LengthNotMinimal
            | Rule::LengthMsbSet => Class::Framing,
            Rule::ControlTooLong => Class::Pings,
            Rule::ReservedBits => Class::ReservedBits,
            Rule::ReservedOpcode => Class::Opcodes,
            Rule::FragmentedControl | Rule::UnexpectedContinuation | Rule::ExpectedContinuation => {
                Class::Fragmentation
            }
            Rule::InvalidUtf8 => Class::Utf8,
            Rule::InvalidCloseCode | Rule::ClosePayloadTooShort | Rule::FrameAfterClose => {
                Class::Close
            }
            Rule::InflateFailed | Rule::InflateLimit => Class::Compression,
            Rule::InflateBudget
            | Rule::MessageLimit
            | Rule::NoHandshake
            | Rule::HandshakeLimit
            | Rule::BytesLost => return None,
        })
    }

    /// The class a diagnosis about a peer's behaviour fails, if any.
    fn of_diagnosis(id: DiagnosisId) -> Option<Class> {
        match id {
            DiagnosisId::PingUnanswered => Some(Class::Pings),
            DiagnosisId::CloseNotAnswered => Some(Class::Close),
            _ => None,
        }
    }
}

/// Pass, fail or not exercised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Exercised, and nothing broke the class's rules.
    Pass,
    /// A rule of the class was broken.
    Fail,
    /// The peer sent nothing this class is about.
    NotExercised,
}

/// What failed a class: a finding rule, or a diagnosis about the peer's behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Because {
    /// A finding rule.
    Rule(Rule),
    /// A diagnosis.
    Diagnosis(DiagnosisId),
}

/// One class's verdict for one peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClassVerdict {
    /// Pass, fail or not exercised.
    pub verdict: Verdict,
    /// For a fail: the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<Because>,
    /// For a fail: the first offending frame (in the direction of `direction`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u64>,
    /// For a fail: whose frame it is (a ping the peer did not answer is the other side's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// For a fail: the byte offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// For a fail: what was wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ClassVerdict {
    /// A verdict with nothing to point at (a pass, or not exercised).
    pub fn of(verdict: Verdict) -> ClassVerdict {
        ClassVerdict {
            verdict,
            rule: None,
            frame: None,
            direction: None,
            offset: None,
            message: None,
        }
    }
}

/// One peer's verdicts, one per [`Class`] (serialised as a map from class to verdict).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConformance {
    /// In [`Class::ALL`] order.
    pub classes: Vec<ClassVerdict>,
}

impl PeerConformance {
    /// The verdict for one class.
    pub fn get(&self, class: Class) -> &ClassVerdict {
        &self.classes[class as usize]
    }
}

impl Serialize for PeerConformance {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.classes.len()))?;
        for (c, v) in Class::ALL.iter().zip(&self.classes) {
            m.serialize_entry(c.as_str(), v)?;
        }
        m.end()
    }
}

/// Both peers' verdicts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conformance {
    /// The client's frames.
    pub client: PeerConformance,
    /// The server's frames.
    pub server: PeerConformance,
}

const N: usize = Class::ALL.len();

/// One peer's running state: what it exercised, the first fail per class.
#[derive(Default)]
struct Peer {
    exercised: [bool; N],
    fail: [Option<ClassVerdict>; N],
}

impl Peer {
    fn finding(&mut self, f: &Finding, d: Direction, frame: Option<u64>, offset: u64) {
        let Some(c) = Class::of(f.rule) else { return };
        let i = c as usize;
        self.exercised[i] = true;
        if self.fail[i].is_none() {
            self.fail[i] = Some(ClassVerdict {
                verdict: Verdict::Fail,
                rule: Some(Because::Rule(f.rule)),
                frame,
                direction: Some(d),
                offset: Some(offset),
                message: Some(f.message.clone()),
            });
        }
    }

    fn exercise(&mut self, c: Class) {
        self.exercised[c as usize] = true;
    }

    fn finish(self) -> PeerConformance {
        let classes = self
            .fail
            .into_iter()
            .zip(self.exercised)
            .map(|(fail, ex)| {
                fail.unwrap_or_else(|| {
                    ClassVerdict::of(if ex {
                        Verdict::Pass
                    } else {
                        Verdict::NotExercised
                    })
                })
            })
            .collect();
        PeerConformance { classes }
    }
}

/// Builds [`Conformance`] from the events, bounded: a few flags per class and peer.
#[derive(Default)]
pub(crate) struct Tracker {
    client: Peer,
    server: Peer,
}

impl Tracker {
    fn peer(&mut self, d: Direction) -> &mut Peer {
        match d {
            Direction::Server => &mut self.server,
            _ => &mut self.client,
        }
    }

    pub(crate) fn frame(&mut self, d: Direction, f: &FrameFacts<'_>) {
        let p = self.peer(d);
        for c in [Class::Framing, Class::ReservedBits, Class::Opcodes] {
            p.exercise(c);
        }
        match f.header.opcode {
            0 => p.exercise(Class::Fragmentation),
            8 => {
                p.exercise(Class::Close);
                if f.close
                    .is_some_and(|c| c.reason.as_ref().is_some_and(|r| !r.is_empty()))
                {
                    p.exercise(Class::Utf8);
                }
            }
            9 | 10 => p.exercise(Class::Pings),
            _ => {}
        }
        for x in f.findings {
            p.finding(x, d, Some(f.at.index), f.at.offset);
        }
    }

    pub(crate) fn message(&mut self, d: Direction, opcode: u8, frames: u64, compressed: bool) {
        let p = self.peer(d);
        if frames > 1 {
            p.exercise(Class::Fragmentation);
        }
        if opcode == 1 {
            p.exercise(Class::Utf8);
        }
        if compressed {
            p.exercise(Class::Compression);
        }
    }

    pub(crate) fn finding(&mut self, d: Direction, f: &Finding, frame: Option<u64>, offset: u64) {
        self.peer(d).finding(f, d, frame, offset);
    }

    /// The verdicts, with the diagnoses that fail a class of the peer that misbehaved.
    pub(crate) fn finish(mut self, diagnoses: &[Diagnosis]) -> Conformance {
        for dg in diagnoses {
            let Some(c) = Class::of_diagnosis(dg.id) else {
                continue;
            };
            let Some(ev) = dg.evidence.first() else {
                continue;
            };
            // The evidence is the unanswered frame; the peer at fault is the other side.
            let at_fault = match ev.direction {
                Direction::Server => Direction::Client,
                _ => Direction::Server,
            };
            let p = self.peer(at_fault);
            p.exercise(c);
            if p.fail[c as usize].is_none() {
                p.fail[c as usize] = Some(ClassVerdict {
                    verdict: Verdict::Fail,
                    rule: Some(Because::Diagnosis(dg.id)),
                    frame: ev.frame,
                    direction: Some(ev.direction),
                    offset: ev.offset,
                    message: Some(dg.message.clone()),
                });
            }
        }
        Conformance {
            client: self.client.finish(),
            server: self.server.finish(),
        }
    }
}
