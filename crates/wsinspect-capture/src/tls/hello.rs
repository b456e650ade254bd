//! The handshake messages read, as far as decryption and the report need them (RFC 8446 §4.1.2,
//! §4.1.3, §4.2, §4.3.1; RFC 5246 §7.4.1; RFC 6066 §3 for SNI; RFC 7301 for ALPN): the
//! client's random, SNI and offered ALPN; the server's random, suite, version (from
//! `supported_versions` in TLS 1.3) and chosen ALPN (in the ServerHello up to 1.2, in
//! EncryptedExtensions in 1.3). Everything else in them is skipped.

/// Handshake message types read.
pub const CLIENT_HELLO: u8 = 1;
/// ServerHello (and TLS 1.3's HelloRetryRequest).
pub const SERVER_HELLO: u8 = 2;
/// NewSessionTicket.
pub const NEW_SESSION_TICKET: u8 = 4;
/// TLS 1.3 EncryptedExtensions.
pub const ENCRYPTED_EXTENSIONS: u8 = 8;
/// Finished.
pub const FINISHED: u8 = 20;
/// TLS 1.3 KeyUpdate.
pub const KEY_UPDATE: u8 = 24;

/// A ServerHello whose random is this is a HelloRetryRequest (RFC 8446 §4.1.3).
pub const HELLO_RETRY_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// What a ClientHello says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// Its random.
    pub random: [u8; 32],
    /// The server name asked for.
    pub sni: Option<String>,
    /// The protocols offered.
    pub alpn: Vec<String>,
}

/// What a ServerHello says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerHello {
    /// Its random.
    pub random: [u8; 32],
    /// The suite chosen.
    pub suite: u16,
    /// The version chosen: `supported_versions` if there, else `legacy_version`.
    pub version: u16,
    /// The protocol chosen (up to TLS 1.2).
    pub alpn: Option<String>,
}

/// A cursor over a message body; every read is checked.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.b.len() < n {
            return None;
        }
        let (h, t) = self.b.split_at(n);
        self.b = t;
        Some(h)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(n.into())
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n.into())
    }
    fn random(&mut self) -> Option<[u8; 32]> {
        self.take(32).map(|b| b.try_into().expect("32 bytes"))
    }
}

/// Each extension: (type, data).
fn extensions(b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut r = Reader { b };
    core::iter::from_fn(move || {
        let t = r.u16()?;
        let d = r.vec16()?;
        Some((t, d))
    })
}

const SNI: u16 = 0;
const ALPN: u16 = 16;
const SUPPORTED_VERSIONS: u16 = 43;

/// A ClientHello's body; `None` when it is cut short.
pub fn client_hello(body: &[u8]) -> Option<ClientHello> {
    let mut r = Reader { b: body };
    r.u16()?;
    let random = r.random()?;
    r.vec8()?;
    r.vec16()?;
    r.vec8()?;
    let mut hello = ClientHello {
        random,
        ..ClientHello::default()
    };
    let exts = if r.b.is_empty() { &[][..] } else { r.vec16()? };
    for (t, d) in extensions(exts) {
        match t {
            SNI => hello.sni = sni(d),
            ALPN => hello.alpn = alpn_list(d),
            _ => {}
        }
    }
    Some(hello)
}

/// A ServerHello's body; `None` when it is cut short.
pub fn server_hello(body: &[u8]) -> Option<ServerHello> {
    let mut r = Reader { b: body };
    let mut version = r.u16()?;
    let random = r.random()?;
    r.vec8()?;
    let suite = r.u16()?;
    r.u8()?;
    let exts = if r.b.is_empty() { &[][..] } else { r.vec16()? };
    let mut alpn = None;
    for (t, d) in extensions(exts) {
        match t {
            SUPPORTED_VERSIONS if d.len() == 2 => version = u16::from_be_bytes([d[0], d[1]]),
            ALPN => alpn = alpn_list(d).into_iter().next(),
            _ => {}
        }
    }
    Some(ServerHello {
        random,
        suite,
        version,
        alpn,
    })
}

/// TLS 1.3 EncryptedExtensions: the chosen ALPN protocol, if any.
pub fn encrypted_extensions_alpn(body: &[u8]) -> Option<String> {
    let mut r = Reader { b: body };
    let exts = r.vec16()?;
    extensions(exts)
        .find(|(t, _)| *t == ALPN)
        .and_then(|(_, d)| alpn_list(d).into_iter().next())
}

fn sni(d: &[u8]) -> Option<String> {
    let mut r = Reader { b: d };
    let mut list = Reader { b: r.vec16()? };
    while !list.b.is_empty() {
        let kind = list.u8()?;
        let name = list.vec16()?;
        if kind == 0 {
            return Some(String::from_utf8_lossy(name).into_owned());
        }
    }
    None
}

fn alpn_list(d: &[u8]) -> Vec<String> {
    let mut r = Reader { b: d };
    let Some(list) = r.vec16() else {
        return Vec::new();
    };
    let mut list = Reader { b: list };
    let mut out = Vec::new();
    while let Some(p) = list.vec8() {
        out.push(String::from_utf8_lossy(p).into_owned());
    }
    out
}

/// The name of an alert description (RFC 8446 §6, RFC 5246 §7.2).
pub fn alert_name(code: u8) -> &'static str {
    match code {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        22 => "record_overflow",
        40 => "handshake_failure",
        42 => "bad_certificate",
        43 => "unsupported_certificate",
        44 => "certificate_revoked",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        49 => "access_denied",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        90 => "user_canceled",
        100 => "no_renegotiation",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        113 => "bad_certificate_status_response",
        115 => "unknown_psk_identity",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown",
    }
}

/// The name of a TLS version number.
pub fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".into(),
        0x0301 => "TLS 1.0".into(),
        0x0302 => "TLS 1.1".into(),
        0x0303 => "TLS 1.2".into(),
        0x0304 => "TLS 1.3".into(),
        _ => format!("0x{v:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex with any whitespace between the digits.
    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        wsinspect_core::common::unhex(&s).expect("hex")
    }

    /// RFC 8448 §3: the ClientHello (SNI "server") and the ServerHello (TLS 1.3,
    /// TLS_AES_128_GCM_SHA256), their 4-byte headers off.
    #[test]
    fn rfc8448_hellos() {
        let ch = unhex(include_str!("rfc8448-client-hello.hex"));
        let c = client_hello(&ch[4..]).unwrap();
        assert_eq!(&c.random[..4], &[0xcb, 0x34, 0xec, 0xb1]);
        assert_eq!(c.sni.as_deref(), Some("server"));
        assert!(c.alpn.is_empty());
        let sh = unhex(
            "02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c 8a c5 cb 14 34 da c1
             55 77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24 00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76
             2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04",
        );
        let s = server_hello(&sh[4..]).unwrap();
        assert_eq!((s.suite, s.version), (0x1301, 0x0304));
        assert_eq!(&s.random[..2], &[0xa6, 0xaf]);
        // Cut anywhere: None, never a panic.
        for n in 0..sh.len() - 4 {
            let _ = server_hello(&sh[4..4 + n]);
        }
        for n in 0..ch.len() - 4 {
            let _ = client_hello(&ch[4..4 + n]);
        }
    }

    #[test]
    fn alpn_lists() {
        let d = unhex("00 0c 02 68 32 08 68 74 74 70 2f 31 2e 31");
        assert_eq!(alpn_list(&d), ["h2", "http/1.1"]);
        let ee = unhex("00 09 00 10 00 05 00 03 02 68 32");
        assert_eq!(encrypted_extensions_alpn(&ee).as_deref(), Some("h2"));
    }
}
