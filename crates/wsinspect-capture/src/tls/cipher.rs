//! The cipher suites we decrypt, their keys and one record's decryption.
//!
//! - TLS 1.3 (RFC 8446 §5.2, §5.3, §7.1-7.3): keys and IVs from a traffic secret by
//!   HKDF-Expand-Label; the nonce is the IV XOR the record's sequence number; the additional
//!   data is the record header; the plaintext ends with its real content type and zero padding.
//!   KeyUpdate's next secret is HKDF-Expand-Label(secret, "traffic upd").
//! - TLS 1.2 (RFC 5246 §5, §6.3; RFC 5288 for AES-GCM, RFC 7905 for ChaCha20-Poly1305): the key
//!   block is PRF(master secret, "key expansion", server random + client random) with the
//!   suite's hash; AES-GCM's nonce is the 4-byte implicit IV and the record's 8-byte explicit
//!   nonce, ChaCha20's the 12-byte IV XOR the sequence number; the additional data is sequence
//!   number, type, version and plaintext length.
//!
//! The ciphers, HKDF and HMAC are RustCrypto's (`aes-gcm`, `chacha20poly1305`, `hkdf`, `hmac`,
//! `sha2`); nothing here is a hand-written cipher.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};

/// The AEAD of a suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cipher {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM.
    Aes256Gcm,
    /// ChaCha20-Poly1305.
    ChaCha20Poly1305,
}

/// The hash of a suite's key schedule (HKDF in 1.3, the PRF in 1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

/// A cipher suite we can decrypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suite {
    /// Its IANA number.
    pub id: u16,
    /// Its IANA name.
    pub name: &'static str,
    /// A TLS 1.3 suite (else 1.2).
    pub tls13: bool,
    /// Its AEAD.
    pub cipher: Cipher,
    /// Its hash.
    pub hash: Hash,
}

const fn suite(id: u16, name: &'static str, tls13: bool, cipher: Cipher, hash: Hash) -> Suite {
    Suite {
        id,
        name,
        tls13,
        cipher,
        hash,
    }
}

use Cipher::*;
use Hash::*;

/// Every suite we decrypt. In TLS 1.2 the key exchange does not matter: the key log gives the
/// master secret.
pub static SUITES: &[Suite] = &[
    suite(0x1301, "TLS_AES_128_GCM_SHA256", true, Aes128Gcm, Sha256),
    suite(0x1302, "TLS_AES_256_GCM_SHA384", true, Aes256Gcm, Sha384),
    suite(
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        true,
        ChaCha20Poly1305,
        Sha256,
    ),
    suite(
        0xc02b,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        false,
        Aes128Gcm,
        Sha256,
    ),
    suite(
        0xc02c,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        false,
        Aes256Gcm,
        Sha384,
    ),
    suite(
        0xc02f,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        false,
        Aes128Gcm,
        Sha256,
    ),
    suite(
        0xc030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        false,
        Aes256Gcm,
        Sha384,
    ),
    suite(
        0xcca8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        false,
        ChaCha20Poly1305,
        Sha256,
    ),
    suite(
        0xcca9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        false,
        ChaCha20Poly1305,
        Sha256,
    ),
    suite(
        0xccaa,
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        false,
        ChaCha20Poly1305,
        Sha256,
    ),
    suite(
        0x009c,
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        false,
        Aes128Gcm,
        Sha256,
    ),
    suite(
        0x009d,
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        false,
        Aes256Gcm,
        Sha384,
    ),
    suite(
        0x009e,
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        false,
        Aes128Gcm,
        Sha256,
    ),
    suite(
        0x009f,
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        false,
        Aes256Gcm,
        Sha384,
    ),
];

/// The suite numbered `id`, if we decrypt it.
pub fn find(id: u16) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.id == id)
}

/// The name of suite `id`: IANA's for ours and a few common others, else its number in hex.
pub fn name(id: u16) -> String {
    let known = match id {
        0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        0x1304 => "TLS_AES_128_CCM_SHA256",
        0x1305 => "TLS_AES_128_CCM_8_SHA256",
        _ => return find(id).map_or_else(|| format!("0x{id:04x}"), |s| s.name.to_string()),
    };
    known.to_string()
}

impl Cipher {
    fn key_len(self) -> usize {
        match self {
            Aes128Gcm => 16,
            Aes256Gcm | ChaCha20Poly1305 => 32,
        }
    }
}

impl Hash {
    /// Its output length.
    pub fn output_len(self) -> usize {
        match self {
            Sha256 => 32,
            Sha384 => 48,
        }
    }
}

enum Aead_ {
    Aes128(Box<Aes128Gcm>),
    Aes256(Box<Aes256Gcm>),
    ChaCha(Box<ChaCha20Poly1305>),
}

impl Aead_ {
    fn new(cipher: Cipher, key: &[u8]) -> Aead_ {
        // The key lengths come from `Cipher::key_len`, so `new_from_slice` cannot fail.
        match cipher {
            Aes128Gcm => Aead_::Aes128(Box::new(Aes128Gcm::new_from_slice(key).expect("16 bytes"))),
            Aes256Gcm => Aead_::Aes256(Box::new(Aes256Gcm::new_from_slice(key).expect("32 bytes"))),
            ChaCha20Poly1305 => Aead_::ChaCha(Box::new(
                ChaCha20Poly1305::new_from_slice(key).expect("32 bytes"),
            )),
        }
    }

    fn open(&self, nonce: &[u8; 12], msg: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
        let p = Payload { msg, aad };
        match self {
            Aead_::Aes128(a) => a.decrypt(nonce.into(), p),
            Aead_::Aes256(a) => a.decrypt(nonce.into(), p),
            Aead_::ChaCha(a) => a.decrypt(nonce.into(), p),
        }
        .ok()
    }
}

/// The AEAD tag length of every suite here.
pub const TAG: usize = 16;

/// One direction's record protection: key, IV and the next sequence number.
pub struct RecordKey {
    aead: Aead_,
    iv: [u8; 12],
    /// TLS 1.2 AES-GCM: only the first 4 bytes of `iv` are set; the rest come from the record.
    explicit_nonce: bool,
    tls13: bool,
    seq: u64,
}

/// What one decrypted record holds.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    /// The content type (TLS 1.3: the inner one).
    pub content_type: u8,
    /// The plaintext.
    pub data: Vec<u8>,
}

impl RecordKey {
    /// TLS 1.3: the keys of a traffic secret.
    pub fn tls13(suite: &Suite, secret: &[u8]) -> RecordKey {
        let key = expand_label(suite.hash, secret, b"key", suite.cipher.key_len());
        let iv = expand_label(suite.hash, secret, b"iv", 12);
        RecordKey {
            aead: Aead_::new(suite.cipher, &key),
            iv: iv.try_into().expect("12 bytes"),
            explicit_nonce: false,
            tls13: true,
            seq: 0,
        }
    }

    /// TLS 1.2: the client's (`client`) or the server's keys from the master secret.
    pub fn tls12(
        suite: &Suite,
        master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
        client: bool,
    ) -> RecordKey {
        let k = suite.cipher.key_len();
        let iv_len = if suite.cipher == ChaCha20Poly1305 {
            12
        } else {
            4
        };
        let mut seed = server_random.to_vec();
        seed.extend_from_slice(client_random);
        let block = prf(
            suite.hash,
            master,
            b"key expansion",
            &seed,
            2 * (k + iv_len),
        );
        let (ck, rest) = block.split_at(k);
        let (sk, rest) = rest.split_at(k);
        let (civ, siv) = rest.split_at(iv_len);
        let (key, iv_part) = if client { (ck, civ) } else { (sk, siv) };
        let mut iv = [0u8; 12];
        iv[..iv_len].copy_from_slice(iv_part);
        RecordKey {
            aead: Aead_::new(suite.cipher, key),
            iv,
            explicit_nonce: iv_len == 4,
            tls13: false,
            seq: 0,
        }
    }

    /// Decrypt the record with header `header` (type, version, length) and body `body`;
    /// `None` when it does not authenticate (or is too short to hold a tag). The sequence
    /// number moves on only on success.
    pub fn open(&mut self, header: &[u8; 5], body: &[u8]) -> Option<Opened> {
        let seq = self.seq.to_be_bytes();
        let mut nonce = self.iv;
        let (nonce, msg) = if self.explicit_nonce {
            let explicit = body.get(..8)?;
            nonce[4..].copy_from_slice(explicit);
            (nonce, &body[8..])
        } else {
            for (n, s) in nonce[4..].iter_mut().zip(seq) {
                *n ^= s;
            }
            (nonce, body)
        };
        let plain_len = msg.len().checked_sub(TAG)?;
        let aad: Vec<u8> = if self.tls13 {
            header.to_vec()
        } else {
            let mut a = seq.to_vec();
            a.extend_from_slice(&header[..3]);
            a.extend_from_slice(&(plain_len as u16).to_be_bytes());
            a
        };
        let mut data = self.aead.open(&nonce, msg, &aad)?;
        self.seq += 1;
        let content_type = if self.tls13 {
            // The real type is the last non-zero byte; the zeros after it are padding.
            let end = data.iter().rposition(|&b| b != 0)?;
            let t = data[end];
            data.truncate(end);
            t
        } else {
            header[0]
        };
        Some(Opened { content_type, data })
    }
}

/// TLS 1.3's HKDF-Expand-Label with an empty context (RFC 8446 §7.1).
pub fn expand_label(hash: Hash, secret: &[u8], label: &[u8], len: usize) -> Vec<u8> {
    let mut info = Vec::with_capacity(10 + label.len());
    info.extend_from_slice(&(len as u16).to_be_bytes());
    info.push((6 + label.len()) as u8);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(0);
    let mut out = vec![0u8; len];
    // A secret shorter than the hash cannot come from this suite's key schedule; HKDF refuses
    // it and we return zeros, which then fail to authenticate (the caller reports that).
    let ok = match hash {
        Sha256 => hkdf::Hkdf::<Sha256>::from_prk(secret)
            .ok()
            .and_then(|h| h.expand(&info, &mut out).ok()),
        Sha384 => hkdf::Hkdf::<Sha384>::from_prk(secret)
            .ok()
            .and_then(|h| h.expand(&info, &mut out).ok()),
    };
    if ok.is_none() {
        out.fill(0);
    }
    out
}

/// The TLS 1.2 PRF, P_hash(secret, label + seed) cut to `len` bytes (RFC 5246 §5).
pub fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut label_seed = label.to_vec();
    label_seed.extend_from_slice(seed);
    match hash {
        Sha256 => p_hash::<Hmac<Sha256>>(secret, &label_seed, len),
        Sha384 => p_hash::<Hmac<Sha384>>(secret, &label_seed, len),
    }
}

fn p_hash<M: Mac + KeyInit>(secret: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let hmac = |parts: &[&[u8]]| {
        let mut m = <M as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().to_vec()
    };
    let mut out = Vec::with_capacity(len);
    let mut a = hmac(&[seed]);
    while out.len() < len {
        out.extend_from_slice(&hmac(&[&a, seed]));
        a = hmac(&[&a]);
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex with any whitespace between the digits.
    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        wsinspect_core::common::unhex(&s).expect("hex")
    }

    /// RFC 8448 §3 (a simple 1-RTT handshake): the server's handshake traffic secret and the
    /// key and IV derived from it.
    #[test]
    fn rfc8448_server_handshake_keys() {
        let secret = unhex(
            "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38",
        );
        assert_eq!(
            expand_label(Sha256, &secret, b"key", 16),
            unhex("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc")
        );
        assert_eq!(
            expand_label(Sha256, &secret, b"iv", 12),
            unhex("5d 31 3e b2 67 12 76 ee 13 00 0b 30")
        );
    }

    /// RFC 8448 §3: the server's first encrypted record (EncryptedExtensions onwards) opens
    /// with those keys; one changed byte does not authenticate.
    #[test]
    fn rfc8448_first_server_record_opens() {
        let secret = unhex(
            "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38",
        );
        let record = unhex(include_str!("rfc8448-server-record.hex"));
        let suite = find(0x1301).unwrap();
        let header: [u8; 5] = record[..5].try_into().unwrap();
        let mut key = RecordKey::tls13(suite, &secret);
        let opened = key.open(&header, &record[5..]).unwrap();
        assert_eq!(opened.content_type, 22);
        // EncryptedExtensions (8), then Certificate (11) ...
        assert_eq!(&opened.data[..4], &[8, 0, 0, 0x24]);
        let mut bad = record[5..].to_vec();
        bad[40] ^= 1;
        let mut key = RecordKey::tls13(suite, &secret);
        assert_eq!(key.open(&header, &bad), None);
    }

    /// The TLS 1.2 PRF with SHA-256: the test vector the IETF TLS list circulated for RFC 5246
    /// (as in Go's crypto/tls prf_test.go).
    #[test]
    fn tls12_prf_sha256_vector() {
        let secret = unhex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35");
        let seed = unhex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c");
        let out = prf(Sha256, &secret, b"test label", &seed, 100);
        assert_eq!(
            out,
            unhex(
                "e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53 c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a
                 6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af 0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab
                 4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01
                 87 34 7b 66"
            )
        );
        // With SHA-384 (same source; its first 40 bytes).
        let secret = unhex("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df");
        let seed = unhex("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65");
        assert_eq!(
            prf(Sha384, &secret, b"test label", &seed, 40),
            unhex(
                "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe3"
            )
        );
    }
}
