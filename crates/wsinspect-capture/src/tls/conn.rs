//! One TLS connection: both directions' byte streams in (as the TCP reassembly delivers them),
//! records split out, the handshake read, each record decrypted with the keys of its moment,
//! the application data out.
//!
//! Which records are encrypted: in TLS 1.3 every record of outer type `application_data` (23)
//! (the handshake ones too: the inner type says), none of the others (the ClientHello,
//! ServerHello, the compatibility ChangeCipherSpec); in TLS 1.2 every record after that
//! direction's ChangeCipherSpec. Which keys: TLS 1.3 uses a direction's handshake traffic
//! secret until its Finished, then its application traffic secret, replaced at each KeyUpdate;
//! TLS 1.2 the key block's half of that direction.
//!
//! Memory per direction: the bytes of at most one record (a record is at most 2^14 + 2048
//! bytes, larger ones are malformed) and one handshake message we read (at most
//! [`MAX_MESSAGE`]; larger ones, like certificate chains, are skipped as they pass).

use wsinspect_core::Direction;

use super::cipher::{self, expand_label, RecordKey, Suite};
use super::hello::{self, ClientHello, ServerHello};
use super::keylog::KeyLog;
use super::{ProblemKind, TlsProblem, TlsReport};

/// The largest record body accepted (RFC 5246 §6.2.3: 2^14 + 2048).
pub const MAX_RECORD: usize = (1 << 14) + 2048;
/// The largest handshake message kept to read (the ones we read are small).
pub const MAX_MESSAGE: usize = 1 << 16;

const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;

/// What the connection hands on, for side 0 or 1 (the caller's numbering).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsOut {
    /// Decrypted application data.
    Data(usize, Vec<u8>),
    /// The TCP stream lost `len` bytes; nothing more comes from this side.
    Gap(usize, u64),
}

/// One TLS connection being read (sans-IO). Sides are the caller's 0 and 1; the client is
/// the side whose first handshake message is a ClientHello.
///
/// Call order: [`TlsConn::feed`] and [`TlsConn::gap`] with each side's bytes in stream order
/// (the key log as it is by then), [`TlsConn::finish`] at each side's end, then
/// [`TlsConn::report`].
#[derive(Default)]
pub struct TlsConn {
    sides: [Side; 2],
    client: Option<usize>,
    client_hello: Option<ClientHello>,
    server_hello: Option<ServerHello>,
    /// The suite, once the ServerHello named one we decrypt.
    suite: Option<&'static Suite>,
    tls13: bool,
    alpn: Option<String>,
    secrets_found: Option<bool>,
    key_updates: u64,
    /// HTTP/2: the server's first frame was looked at; it allows extended CONNECT.
    h2_checked: bool,
    h2_connect: bool,
    problems: Vec<TlsProblem>,
    /// Nothing more is decrypted on either side (no secrets, an unsupported suite...); records
    /// are still followed, for the alerts in the clear.
    stopped: bool,
}

#[derive(Default)]
struct Side {
    /// Bytes of the record being gathered, from stream offset `at`.
    buf: Vec<u8>,
    at: u64,
    hs: Messages,
    /// TLS 1.2: a ChangeCipherSpec was seen, the records after it are encrypted.
    encrypted: bool,
    /// This side's handshake is over (its Finished was read).
    finished: bool,
    key: Option<RecordKey>,
    /// TLS 1.3: the current application traffic secret (for KeyUpdate).
    secret: Option<Vec<u8>>,
    stopped: bool,
    records: u64,
    plaintext: u64,
}

/// Handshake messages gathered from records' bytes.
#[derive(Default)]
struct Messages {
    head: Vec<u8>,
    kind: u8,
    left: usize,
    keep: bool,
    body: Vec<u8>,
}

impl Messages {
    /// Take `data`; complete messages we read go to `out` as (type, body).
    fn push(&mut self, mut data: &[u8], out: &mut Vec<(u8, Vec<u8>)>) {
        while !data.is_empty() {
            if self.head.len() < 4 {
                let n = (4 - self.head.len()).min(data.len());
                self.head.extend_from_slice(&data[..n]);
                data = &data[n..];
                if self.head.len() < 4 {
                    return;
                }
                self.kind = self.head[0];
                self.left = usize::from(self.head[1]) << 16
                    | usize::from(self.head[2]) << 8
                    | usize::from(self.head[3]);
                self.keep = self.left <= MAX_MESSAGE
                    && matches!(
                        self.kind,
                        hello::CLIENT_HELLO
                            | hello::SERVER_HELLO
                            | hello::ENCRYPTED_EXTENSIONS
                            | hello::FINISHED
                            | hello::KEY_UPDATE
                            | 0
                    );
                self.body.clear();
            }
            let n = self.left.min(data.len());
            if self.keep {
                self.body.extend_from_slice(&data[..n]);
            }
            self.left -= n;
            data = &data[n..];
            if self.left == 0 {
                out.push((self.kind, std::mem::take(&mut self.body)));
                self.head.clear();
            }
        }
    }
}

impl TlsConn {
    /// A connection before its first byte.
    pub fn new() -> TlsConn {
        TlsConn::default()
    }

    /// The side that sent the ClientHello, once seen.
    pub fn client(&self) -> Option<usize> {
        self.client
    }

    /// The next bytes of `side`'s stream.
    pub fn feed(&mut self, side: usize, bytes: &[u8], keys: &KeyLog, out: &mut Vec<TlsOut>) {
        if self.sides[side].stopped {
            return;
        }
        let mut buf = std::mem::take(&mut self.sides[side].buf);
        buf.extend_from_slice(bytes);
        let mut used = 0;
        while buf.len() - used >= 5 {
            let at = self.sides[side].at + used as u64;
            let header: [u8; 5] = buf[used..used + 5].try_into().expect("5 bytes");
            let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
            if !(CHANGE_CIPHER_SPEC..=24).contains(&header[0]) || header[1] != 3 || len > MAX_RECORD
            {
                let what = format!(
                    "bytes {:02x} {:02x} {:02x} {:02x} {:02x} are not a TLS record header",
                    header[0], header[1], header[2], header[3], header[4]
                );
                self.stop_side(side, ProblemKind::Malformed, Some(at), what);
                return;
            }
            if buf.len() - used < 5 + len {
                break;
            }
            self.record(side, at, &header, &buf[used + 5..used + 5 + len], keys, out);
            used += 5 + len;
            if self.sides[side].stopped {
                return;
            }
        }
        buf.drain(..used);
        let s = &mut self.sides[side];
        s.at += used as u64;
        s.buf = buf;
    }

    /// `side`'s stream lost `len` bytes: records cannot be followed past them.
    pub fn gap(&mut self, side: usize, len: u64, out: &mut Vec<TlsOut>) {
        if self.sides[side].stopped {
            return;
        }
        if self.stopped {
            // Nothing was being decrypted: the gap only ends the following of records.
            self.sides[side].stopped = true;
            return;
        }
        let at = self.sides[side].at + self.sides[side].buf.len() as u64;
        let what = format!(
            "{len} bytes at offset {at} were not captured; the records after them cannot be followed"
        );
        self.stop_side(side, ProblemKind::Gap, Some(at), what);
        out.push(TlsOut::Gap(side, len));
    }

    /// `side`'s stream ended.
    pub fn finish(&mut self, side: usize) {
        let s = &self.sides[side];
        if !self.stopped && !s.stopped && !s.buf.is_empty() {
            let (at, n) = (s.at, s.buf.len());
            let what =
                format!("the stream ends inside the record at offset {at} ({n} bytes of it)");
            self.stop_side(side, ProblemKind::Truncated, Some(at), what);
        }
    }

    /// What was found.
    pub fn report(&self) -> TlsReport {
        let (c, s) = match self.client {
            Some(c) => (&self.sides[c], &self.sides[1 - c]),
            None => (&self.sides[0], &self.sides[1]),
        };
        let sh = self.server_hello.as_ref();
        TlsReport {
            version: sh.map(|h| hello::version_name(h.version)),
            suite: sh.map(|h| cipher::name(h.suite)),
            sni: self.client_hello.as_ref().and_then(|h| h.sni.clone()),
            alpn: self.alpn.clone(),
            alpn_offered: self
                .client_hello
                .as_ref()
                .map(|h| h.alpn.clone())
                .unwrap_or_default(),
            client_random: self.client_hello.as_ref().map(|h| hex(&h.random)),
            secrets_found: self.secrets_found,
            client_records: c.records,
            server_records: s.records,
            client_plaintext: c.plaintext,
            server_plaintext: s.plaintext,
            key_updates: self.key_updates,
            problems: self
                .problems
                .iter()
                .cloned()
                .chain(self.h2_problem())
                .collect(),
        }
    }

    fn direction(&self, side: usize) -> Direction {
        match self.client {
            Some(c) if c == side => Direction::Client,
            Some(_) => Direction::Server,
            None => Direction::Unknown,
        }
    }

    fn problem(
        &mut self,
        kind: ProblemKind,
        side: Option<usize>,
        offset: Option<u64>,
        message: String,
    ) {
        let direction = side.map(|s| self.direction(s));
        self.problems.push(TlsProblem {
            kind,
            direction,
            offset,
            message,
        });
    }

    fn stop_side(&mut self, side: usize, kind: ProblemKind, at: Option<u64>, what: String) {
        self.problem(kind, Some(side), at, what);
        let s = &mut self.sides[side];
        s.stopped = true;
        s.buf = Vec::new();
    }

    fn stop_all(&mut self, kind: ProblemKind, what: String) {
        self.problem(kind, None, None, what);
        self.stopped = true;
    }

    fn record(
        &mut self,
        side: usize,
        at: u64,
        header: &[u8; 5],
        body: &[u8],
        keys: &KeyLog,
        out: &mut Vec<TlsOut>,
    ) {
        let known = self.server_hello.is_some();
        let encrypted = if self.tls13 && known {
            header[0] == APPLICATION_DATA
        } else {
            self.sides[side].encrypted || (header[0] == APPLICATION_DATA)
        };
        if !encrypted {
            match header[0] {
                HANDSHAKE => self.handshake(side, at, body),
                CHANGE_CIPHER_SPEC if known && !self.tls13 => {
                    let s = &mut self.sides[side];
                    s.encrypted = true;
                    s.key = None;
                }
                ALERT => self.alert(side, at, body),
                _ => {}
            }
            return;
        }
        if self.stopped {
            return;
        }
        if self.client_hello.is_none() {
            let what = "the capture began after the handshake: without the ClientHello there is no client random to find the secrets by".to_string();
            self.stop_all(ProblemKind::NoHandshake, what);
            return;
        }
        if !known {
            let what =
                "application data before the ServerHello (0-RTT early data?) is not decrypted"
                    .into();
            if !self
                .problems
                .iter()
                .any(|p| p.kind == ProblemKind::EarlyData)
            {
                self.problem(ProblemKind::EarlyData, Some(side), Some(at), what);
            }
            return;
        }
        if self.sides[side].key.is_none() {
            match self.key(side, keys) {
                Some(k) => self.sides[side].key = Some(k),
                None => return,
            }
        }
        let key = self.sides[side].key.as_mut().expect("set above");
        let Some(opened) = key.open(header, body) else {
            let what = format!(
                "the record at offset {at} ({} bytes) does not authenticate: the secrets are not this connection's, or the bytes were changed",
                body.len()
            );
            self.stop_side(side, ProblemKind::NotAuthentic, Some(at), what);
            return;
        };
        self.sides[side].records += 1;
        match opened.content_type {
            APPLICATION_DATA if !opened.data.is_empty() => {
                self.h2_settings(side, &opened.data);
                self.sides[side].plaintext += opened.data.len() as u64;
                out.push(TlsOut::Data(side, opened.data));
            }
            HANDSHAKE => self.handshake(side, at, &opened.data),
            ALERT => self.alert(side, at, &opened.data),
            _ => {}
        }
    }

    /// An alert other than close_notify is a reason the connection ended (RFC 8446 §6).
    fn alert(&mut self, side: usize, at: u64, body: &[u8]) {
        let [level, code, ..] = *body else {
            return;
        };
        if code == 0 {
            return;
        }
        let who = self.direction(side);
        let level = if level == 2 { "fatal" } else { "warning" };
        let what = format!(
            "the {who} sent a {level} alert: {} ({code})",
            hello::alert_name(code)
        );
        self.problem(ProblemKind::Alert, Some(side), Some(at), what);
    }

    /// The keys `side` uses now, derived from the key log; `None` (and the reason recorded,
    /// decryption stopped) when they cannot be.
    fn key(&mut self, side: usize, keys: &KeyLog) -> Option<RecordKey> {
        let (Some(ch), Some(sh)) = (&self.client_hello, &self.server_hello) else {
            let what = "encrypted records without a ClientHello (the capture began mid-connection): no client random to find the secrets by".to_string();
            self.stop_all(ProblemKind::NoSecrets, what);
            return None;
        };
        let suite = self.suite?;
        let Some(secrets) = keys.get(&ch.random) else {
            self.secrets_found = Some(false);
            let what = if keys.is_empty() {
                "no key log was given (or it was empty), so this connection is not decrypted"
                    .to_string()
            } else {
                format!(
                    "the key log has no secrets for client random {}",
                    hex(&ch.random)
                )
            };
            self.stop_all(ProblemKind::NoSecrets, what);
            return None;
        };
        self.secrets_found = Some(true);
        let client = Some(side) == self.client;
        if !self.tls13 {
            let Some(master) = &secrets.master else {
                let what = "the key log has TLS 1.3 secrets for this client random but no CLIENT_RANDOM line (the TLS 1.2 master secret)".to_string();
                self.stop_all(ProblemKind::MissingSecret, what);
                return None;
            };
            return Some(RecordKey::tls12(
                suite, master, &ch.random, &sh.random, client,
            ));
        }
        let finished = self.sides[side].finished;
        let (secret, label) = match (client, finished) {
            (true, false) => (&secrets.client_handshake, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
            (false, false) => (&secrets.server_handshake, "SERVER_HANDSHAKE_TRAFFIC_SECRET"),
            (true, true) => (&secrets.client_traffic, "CLIENT_TRAFFIC_SECRET_0"),
            (false, true) => (&secrets.server_traffic, "SERVER_TRAFFIC_SECRET_0"),
        };
        let Some(secret) = secret.clone() else {
            let what = format!("the key log has no {label} for this client random");
            self.stop_side(side, ProblemKind::MissingSecret, None, what);
            return None;
        };
        if finished {
            self.sides[side].secret = Some(secret.clone());
        }
        Some(RecordKey::tls13(suite, &secret))
    }

    fn handshake(&mut self, side: usize, at: u64, data: &[u8]) {
        let mut msgs = Vec::new();
        self.sides[side].hs.push(data, &mut msgs);
        for (kind, body) in msgs {
            self.message(side, at, kind, &body);
            if self.stopped || self.sides[side].stopped {
                return;
            }
        }
    }

    fn message(&mut self, side: usize, at: u64, kind: u8, body: &[u8]) {
        let after = self.sides[side].finished;
        match kind {
            0 | hello::CLIENT_HELLO | hello::SERVER_HELLO if after && !self.tls13 => {
                let what =
                    "a renegotiation (a new handshake inside the connection) is not followed"
                        .into();
                self.stop_side(side, ProblemKind::Renegotiation, Some(at), what);
            }
            hello::CLIENT_HELLO => {
                let Some(h) = hello::client_hello(body) else {
                    self.stop_all(
                        ProblemKind::Malformed,
                        format!("the ClientHello in the record at offset {at} is cut short"),
                    );
                    return;
                };
                self.client.get_or_insert(side);
                // After a HelloRetryRequest the second ClientHello keeps the random.
                self.client_hello.get_or_insert(h);
            }
            hello::SERVER_HELLO => {
                let Some(h) = hello::server_hello(body) else {
                    self.stop_all(
                        ProblemKind::Malformed,
                        format!("the ServerHello in the record at offset {at} is cut short"),
                    );
                    return;
                };
                if self.client.is_none() {
                    self.client = Some(1 - side);
                }
                // A HelloRetryRequest is followed by the real ServerHello; a second one after
                // that is not a handshake we follow.
                if h.random == hello::HELLO_RETRY_RANDOM || self.server_hello.is_some() {
                    return;
                }
                self.server_hello(h);
            }
            hello::ENCRYPTED_EXTENSIONS => {
                if let Some(p) = hello::encrypted_extensions_alpn(body) {
                    self.set_alpn(p);
                }
            }
            hello::FINISHED => {
                let s = &mut self.sides[side];
                s.finished = true;
                if self.tls13 {
                    // The next record uses the application traffic secret.
                    s.key = None;
                }
            }
            hello::KEY_UPDATE if self.tls13 && after => {
                let (Some(suite), Some(old)) = (self.suite, self.sides[side].secret.take()) else {
                    return;
                };
                let next = expand_label(suite.hash, &old, b"traffic upd", suite.hash.output_len());
                let s = &mut self.sides[side];
                s.key = Some(RecordKey::tls13(suite, &next));
                s.secret = Some(next);
                self.key_updates += 1;
            }
            _ => {}
        }
    }

    fn server_hello(&mut self, h: ServerHello) {
        self.tls13 = h.version == 0x0304;
        let version = h.version;
        let suite = h.suite;
        if let Some(p) = h.alpn.clone() {
            self.set_alpn(p);
        }
        self.server_hello = Some(h);
        if !matches!(version, 0x0303 | 0x0304) {
            let what = format!(
                "{} is not decrypted (only TLS 1.2 and 1.3)",
                hello::version_name(version)
            );
            self.stop_all(ProblemKind::UnsupportedVersion, what);
            return;
        }
        match cipher::find(suite) {
            Some(s) if s.tls13 == self.tls13 => self.suite = Some(s),
            _ => {
                let what = format!(
                    "the suite {} is not one we decrypt (TLS 1.3: AES-GCM, ChaCha20-Poly1305; TLS 1.2: the AES-GCM and ChaCha20-Poly1305 suites)",
                    cipher::name(suite)
                );
                self.stop_all(ProblemKind::UnsupportedSuite, what);
            }
        }
    }

    fn set_alpn(&mut self, p: String) {
        self.alpn = Some(p);
    }

    /// The application protocol the server chose, once known.
    pub fn alpn(&self) -> Option<&str> {
        self.alpn.as_deref()
    }

    /// HTTP/2: whether the server's first frame (its SETTINGS, RFC 9113 §3.4) allows extended
    /// CONNECT, by which WebSocket runs over HTTP/2 (RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL,
    /// 0x8, set to 1).
    fn h2_settings(&mut self, side: usize, data: &[u8]) {
        if self.alpn.as_deref() != Some("h2") || Some(side) == self.client || self.h2_checked {
            return;
        }
        self.h2_checked = true;
        let Some(head) = data.get(..9) else {
            return;
        };
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        if head[3] != 4 || head[5..9] != [0; 4] {
            return;
        }
        let body = &data[9..(9 + len).min(data.len())];
        self.h2_connect = body
            .chunks_exact(6)
            .any(|e| e[..2] == [0, 8] && e[2..] == [0, 0, 0, 1]);
    }

    /// The HTTP/2 note, when ALPN chose h2.
    fn h2_problem(&self) -> Option<TlsProblem> {
        (self.alpn.as_deref() == Some("h2")).then(|| TlsProblem {
            kind: ProblemKind::Http2,
            direction: None,
            offset: None,
            message: if self.h2_connect {
                "ALPN h2: the connection carries HTTP/2, and the server allows WebSocket over HTTP/2 (RFC 8441: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1); HTTP/2 and its WebSocket streams are not decoded".into()
            } else {
                "ALPN h2: the connection carries HTTP/2, which is not decoded (its server did not offer WebSocket over HTTP/2, RFC 8441, in what was decrypted)".into()
            },
        })
    }
}

/// Bytes as lower-case hex.
fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    //! A TLS 1.3 connection made here (records sealed with RustCrypto's AES-GCM under keys from
    //! `expand_label`): what no real fixture has, a KeyUpdate, and the problems of a gap and of
    //! bytes that are not records.
    use aes_gcm::aead::{Aead, KeyInit, Payload};
    use aes_gcm::Aes128Gcm;

    use super::*;
    use crate::tls::cipher::Hash;

    const RANDOM: [u8; 32] = [7; 32];

    fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![kind, 0, (body.len() >> 8) as u8, body.len() as u8];
        m.extend_from_slice(body);
        m
    }

    fn record(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, 3, 3, (body.len() >> 8) as u8, body.len() as u8];
        r.extend_from_slice(body);
        r
    }

    fn client_hello() -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&RANDOM);
        b.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
        // Extensions: SNI "example.com", supported_versions [1.3].
        let mut ext = vec![0, 0, 0, 16, 0, 14, 0, 0, 11];
        ext.extend_from_slice(b"example.com");
        ext.extend_from_slice(&[0, 43, 0, 3, 2, 3, 4]);
        b.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        b.extend_from_slice(&ext);
        record(HANDSHAKE, &handshake(hello::CLIENT_HELLO, &b))
    }

    fn server_hello() -> Vec<u8> {
        let mut b = vec![3, 3];
        b.extend_from_slice(&[9; 32]);
        b.extend_from_slice(&[0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4]);
        record(HANDSHAKE, &handshake(hello::SERVER_HELLO, &b))
    }

    /// A TLS 1.3 record: `inner` of type `kind` sealed under `secret` at sequence `seq`.
    fn sealed(secret: &[u8], seq: u64, kind: u8, inner: &[u8]) -> Vec<u8> {
        sealed_padded(secret, seq, kind, inner, 0)
    }

    /// The same with `pad` zeros after the content type (RFC 8446 §5.4).
    fn sealed_padded(secret: &[u8], seq: u64, kind: u8, inner: &[u8], pad: usize) -> Vec<u8> {
        let key = expand_label(Hash::Sha256, secret, b"key", 16);
        let mut nonce: [u8; 12] = expand_label(Hash::Sha256, secret, b"iv", 12)
            .try_into()
            .unwrap();
        for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        let mut msg = inner.to_vec();
        msg.push(kind);
        msg.resize(msg.len() + pad, 0);
        let len = (msg.len() + 16) as u16;
        let header = [APPLICATION_DATA, 3, 3, (len >> 8) as u8, len as u8];
        let aead = Aes128Gcm::new_from_slice(&key).unwrap();
        let ct = aead
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: &msg,
                    aad: &header,
                },
            )
            .unwrap();
        record(APPLICATION_DATA, &ct)
    }

    fn keylog(hs: &[u8], app: &[u8]) -> KeyLog {
        let h = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let r = h(&RANDOM);
        let text = format!(
            "SERVER_HANDSHAKE_TRAFFIC_SECRET {r} {}\nSERVER_TRAFFIC_SECRET_0 {r} {}\n",
            h(hs),
            h(app)
        );
        let mut log = KeyLog::new();
        log.add(text.as_bytes()).unwrap();
        log
    }

    fn data(out: &[TlsOut]) -> Vec<Vec<u8>> {
        out.iter()
            .filter_map(|o| match o {
                TlsOut::Data(1, d) => Some(d.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn follows_a_key_update() {
        let (hs, app) = ([1u8; 32], [2u8; 32]);
        let next = expand_label(Hash::Sha256, &app, b"traffic upd", 32);
        let mut alpn = vec![0, 9, 0, 16, 0, 5, 0, 3, 2];
        alpn.extend_from_slice(b"h2");
        let mut flight = handshake(hello::ENCRYPTED_EXTENSIONS, &alpn);
        flight.extend_from_slice(&handshake(hello::FINISHED, &[0; 32]));
        let mut server = server_hello();
        server.extend_from_slice(&record(CHANGE_CIPHER_SPEC, &[1]));
        server.extend_from_slice(&sealed(&hs, 0, HANDSHAKE, &flight));
        server.extend_from_slice(&sealed(&app, 0, APPLICATION_DATA, b"before"));
        server.extend_from_slice(&sealed(
            &app,
            1,
            HANDSHAKE,
            &handshake(hello::KEY_UPDATE, &[0]),
        ));
        // Padding after the content: the real type is the last non-zero byte.
        server.extend_from_slice(&sealed_padded(&next, 0, APPLICATION_DATA, b"after", 3));
        server.extend_from_slice(&sealed(&next, 1, APPLICATION_DATA, b"again"));
        let keys = keylog(&hs, &app);
        // Whole, and a byte at a time: the same.
        for step in [server.len(), 1] {
            let mut c = TlsConn::new();
            let mut out = Vec::new();
            c.feed(0, &client_hello(), &keys, &mut out);
            for part in server.chunks(step) {
                c.feed(1, part, &keys, &mut out);
            }
            c.finish(1);
            assert_eq!(data(&out), [&b"before"[..], b"after", b"again"]);
            let r = c.report();
            assert_eq!(r.key_updates, 1);
            assert_eq!(r.sni.as_deref(), Some("example.com"));
            assert_eq!(r.alpn.as_deref(), Some("h2"));
            assert_eq!(r.server_records, 5);
            let kinds: Vec<_> = r.problems.iter().map(|p| p.kind).collect();
            assert_eq!(kinds, [ProblemKind::Http2]);
        }
        // Without following the update, the record after it would not authenticate: a stale
        // key is caught, not decoded.
        let mut stale = server_hello();
        stale.extend_from_slice(&sealed(&hs, 0, HANDSHAKE, &flight));
        stale.extend_from_slice(&sealed(&app, 0, APPLICATION_DATA, b"before"));
        stale.extend_from_slice(&sealed(&next, 0, APPLICATION_DATA, b"after"));
        let mut c = TlsConn::new();
        let mut out = Vec::new();
        c.feed(0, &client_hello(), &keys, &mut out);
        c.feed(1, &stale, &keys, &mut out);
        assert_eq!(data(&out), [b"before"]);
        let problems = c.report().problems;
        let p = problems
            .iter()
            .find(|p| p.kind != ProblemKind::Http2)
            .unwrap();
        assert_eq!(p.kind, ProblemKind::NotAuthentic);
        assert_eq!(p.direction, Some(Direction::Server));
        let at = stale.len() - sealed(&next, 0, APPLICATION_DATA, b"after").len();
        assert_eq!(p.offset, Some(at as u64));
    }

    #[test]
    fn alerts_are_reasons() {
        let keys = KeyLog::new();
        let mut c = TlsConn::new();
        let mut out = Vec::new();
        c.feed(0, &client_hello(), &keys, &mut out);
        c.feed(1, &record(ALERT, &[2, 40]), &keys, &mut out);
        c.feed(0, &record(ALERT, &[1, 0]), &keys, &mut out);
        let r = c.report();
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].kind, ProblemKind::Alert);
        assert_eq!(r.problems[0].offset, Some(0));
        assert_eq!(
            r.problems[0].message,
            "the server sent a fatal alert: handshake_failure (40)"
        );
    }

    #[test]
    fn a_capture_begun_after_the_handshake_says_so() {
        let mut c = TlsConn::new();
        let mut out = Vec::new();
        let keys = keylog(&[1; 32], &[2; 32]);
        c.feed(
            1,
            &sealed(&[2; 32], 5, APPLICATION_DATA, b"x"),
            &keys,
            &mut out,
        );
        assert!(out.is_empty());
        let r = c.report();
        assert_eq!(r.problems[0].kind, ProblemKind::NoHandshake);
        assert_eq!(r.version, None);
    }

    #[test]
    fn a_gap_and_bytes_that_are_not_records_stop_their_direction() {
        let keys = KeyLog::new();
        let mut c = TlsConn::new();
        let mut out = Vec::new();
        c.feed(0, &client_hello(), &keys, &mut out);
        c.feed(1, &server_hello(), &keys, &mut out);
        c.gap(1, 100, &mut out);
        c.feed(1, &[0x17, 3, 3, 0, 1, 0], &keys, &mut out);
        assert_eq!(out, [TlsOut::Gap(1, 100)]);
        c.feed(0, b"GET / HTTP/1.1\r\n", &keys, &mut out);
        let r = c.report();
        let kinds: Vec<_> = r
            .problems
            .iter()
            .map(|p| (p.kind, p.direction, p.offset))
            .collect();
        let hello_len = client_hello().len() as u64;
        assert_eq!(
            kinds,
            [
                (
                    ProblemKind::Gap,
                    Some(Direction::Server),
                    Some(server_hello().len() as u64)
                ),
                (
                    ProblemKind::Malformed,
                    Some(Direction::Client),
                    Some(hello_len)
                ),
            ]
        );
        assert_eq!(r.version.as_deref(), Some("TLS 1.3"));
        assert_eq!(r.suite.as_deref(), Some("TLS_AES_128_GCM_SHA256"));
    }
}
