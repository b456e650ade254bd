//! Injection (`wsinspect serve --allow-inject`): a new message sent into a live relayed
//! connection. The page sends the command on its feed socket (so it is Host- and
//! Origin-checked like the feed); the frame is built here (client to server masked with a fresh
//! random key, server to client unmasked; uncompressed, RSV bits clear, FIN set) and handed to
//! the relay's pump for that direction, which puts it in only between whole frames (a data
//! message only between whole messages), following each direction's frame boundaries
//! (`wsinspect_core::stream::boundary`). The feed says `injected` before the frame's own lines,
//! and the frame's line carries `"injected": true`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use wsinspect_core::common::Direction;
use wsinspect_core::stream::boundary::Insert;
use wsinspect_core::wire::codes::OpCode;
use wsinspect_core::wire::encode::{encode, FrameSpec};

use crate::event::ConnId;

/// The largest payload injected.
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Injections waiting per direction for a boundary.
pub const QUEUE: usize = 16;

/// What an injected message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Text (the payload must be UTF-8).
    Text,
    /// Binary.
    Binary,
    /// A ping (at most 125 bytes).
    Ping,
}

/// The page's command (the same JSON as `wsinspect_view::live::Inject`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Command {
    /// The connection's feed id.
    pub connection: u64,
    /// Sent as the client (to the server) or as the server (to the client).
    pub direction: Direction,
    /// What it is.
    pub kind: Kind,
    /// The payload, hex.
    pub payload: String,
}

/// One frame waiting for its place.
#[derive(Debug)]
pub struct Injection {
    /// The frame's bytes.
    pub bytes: Vec<u8>,
    /// Where it may go.
    pub insert: Insert,
    /// What it is (for the feed).
    pub kind: Kind,
}

/// A relayed connection's ends for injection.
struct Ctl {
    tx: [mpsc::Sender<Injection>; 2],
    /// The server's 101 has passed: frames flow both ways.
    upgraded: Arc<AtomicBool>,
    /// Why no frames will ever flow (a refused upgrade), once known.
    refused: Arc<Mutex<Option<&'static str>>>,
}

/// The relay's side of one connection's injections.
pub struct Ends {
    /// Per direction (client, server): what to put in.
    pub rx: [mpsc::Receiver<Injection>; 2],
    /// Set when the server's 101 has passed.
    pub upgraded: Arc<AtomicBool>,
    /// Set when the server's answer was not 101.
    pub refused: Arc<Mutex<Option<&'static str>>>,
}

/// The open connections that take injections.
#[derive(Default)]
pub struct Registry {
    conns: Mutex<HashMap<ConnId, Ctl>>,
}

fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    let s: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if s.len() % 2 != 0 {
        return Err("the payload's hex has an odd number of digits".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&s[i..i + 2], 16)
                .map_err(|_| format!("the payload's hex is not hex at digit {}", i + 1))
        })
        .collect()
}

/// The frame for `cmd`, checked: a fresh random mask key from the client, none from the server.
pub fn frame(cmd: &Command) -> Result<Injection, String> {
    let payload = hex_bytes(&cmd.payload)?;
    if payload.len() > MAX_PAYLOAD {
        return Err(format!(
            "{} payload bytes: at most {MAX_PAYLOAD} are injected",
            payload.len()
        ));
    }
    let (opcode, insert) = match cmd.kind {
        Kind::Text => {
            std::str::from_utf8(&payload)
                .map_err(|e| format!("a text message must be UTF-8: {e}"))?;
            (OpCode::TEXT, Insert::Message)
        }
        Kind::Binary => (OpCode::BINARY, Insert::Message),
        Kind::Ping if payload.len() > 125 => {
            return Err(format!(
                "a ping carries at most 125 bytes (RFC 6455 §5.5), not {}",
                payload.len()
            ))
        }
        Kind::Ping => (OpCode::PING, Insert::Control),
    };
    let mut spec = FrameSpec::new(opcode, payload);
    if cmd.direction == Direction::Client {
        let mut key = [0u8; 4];
        getrandom::fill(&mut key).map_err(|e| format!("no random mask key: {e}"))?;
        spec = spec.masked(key);
    }
    Ok(Injection {
        bytes: encode(&spec),
        insert,
        kind: cmd.kind,
    })
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConnId, Ctl>> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Take injections for `id` until [`Registry::remove`].
    pub fn add(&self, id: ConnId) -> Ends {
        let (c_tx, c_rx) = mpsc::channel(QUEUE);
        let (s_tx, s_rx) = mpsc::channel(QUEUE);
        let upgraded = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(Mutex::new(None));
        self.lock().insert(
            id,
            Ctl {
                tx: [c_tx, s_tx],
                upgraded: upgraded.clone(),
                refused: refused.clone(),
            },
        );
        Ends {
            rx: [c_rx, s_rx],
            upgraded,
            refused,
        }
    }

    /// `id` ended.
    pub fn remove(&self, id: ConnId) {
        self.lock().remove(&id);
    }

    /// Queue `cmd`'s frame for its connection, or say why not.
    pub fn send(&self, cmd: &Command) -> Result<(), String> {
        let conns = self.lock();
        let id = ConnId(cmd.connection);
        let ctl = conns.get(&id).ok_or_else(|| {
            format!(
                "connection {} is not an open relayed connection",
                cmd.connection
            )
        })?;
        if let Some(why) = *ctl.refused.lock().unwrap_or_else(PoisonError::into_inner) {
            return Err(format!("connection {}: {why}", cmd.connection));
        }
        if !ctl.upgraded.load(Ordering::Acquire) {
            return Err(format!(
                "connection {}: the upgrade has not completed yet",
                cmd.connection
            ));
        }
        let injection = frame(cmd)?;
        let i = usize::from(cmd.direction != Direction::Client);
        ctl.tx[i].try_send(injection).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => format!(
                "connection {}: {QUEUE} injections already wait for a frame boundary",
                cmd.connection
            ),
            mpsc::error::TrySendError::Closed(_) => {
                format!("connection {} has ended", cmd.connection)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect_core::stream::decode_all;
    use wsinspect_core::stream::DecodeConfig;

    fn cmd(direction: Direction, kind: Kind, payload: &[u8]) -> Command {
        Command {
            connection: 1,
            direction,
            kind,
            payload: wsinspect_core::common::hex(payload),
        }
    }

    #[test]
    fn frames_are_masked_from_the_client_only_with_fresh_keys() {
        let a = frame(&cmd(Direction::Client, Kind::Text, b"hi")).unwrap();
        let b = frame(&cmd(Direction::Client, Kind::Text, b"hi")).unwrap();
        let r = decode_all(&a.bytes, Direction::Client, &DecodeConfig::default());
        let f = &r.frames[0];
        assert!(f.header.masked && f.header.fin && f.header.opcode == 1);
        assert!(!f.header.rsv1 && !f.header.rsv2 && !f.header.rsv3);
        assert_eq!(f.payload, b"hi");
        assert!(f.findings.is_empty(), "{:?}", f.findings);
        assert_ne!(a.bytes[2..6], b.bytes[2..6], "a fresh key each time");
        let s = frame(&cmd(Direction::Server, Kind::Binary, &[0, 255])).unwrap();
        assert_eq!(s.bytes, [0x82, 0x02, 0x00, 0xff]);
        assert_eq!(s.insert, Insert::Message);
        let p = frame(&cmd(Direction::Server, Kind::Ping, b"x")).unwrap();
        assert_eq!((p.bytes[0], p.insert), (0x89, Insert::Control));
    }

    #[test]
    fn bad_commands_say_why() {
        assert!(frame(&cmd(Direction::Client, Kind::Text, &[0xff]))
            .unwrap_err()
            .contains("UTF-8"));
        assert!(frame(&cmd(Direction::Client, Kind::Ping, &[0; 126]))
            .unwrap_err()
            .contains("125"));
        let mut odd = cmd(Direction::Client, Kind::Binary, b"");
        odd.payload = "abc".into();
        assert!(frame(&odd).unwrap_err().contains("odd"));
        let reg = Registry::default();
        assert!(reg
            .send(&cmd(Direction::Client, Kind::Text, b"x"))
            .unwrap_err()
            .contains("not an open"));
        let ends = reg.add(ConnId(1));
        assert!(reg
            .send(&cmd(Direction::Client, Kind::Text, b"x"))
            .unwrap_err()
            .contains("not completed"));
        ends.upgraded.store(true, Ordering::Release);
        reg.send(&cmd(Direction::Client, Kind::Text, b"x")).unwrap();
    }
}
