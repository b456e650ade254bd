//! The little HTTP/1.1 both listeners need: read one request head, bounded in size and time,
//! keeping every byte as sent; find a header; write a short response and close.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

/// The default bound on a request head (the relay's and the page's): 16 KiB, as nginx's
/// default for a request line plus headers is of that order.
pub const DEFAULT_MAX_HEAD: usize = 16 << 10;

/// How many headers a head may have for us to read it (a head with more is still relayed as
/// it is, but its Host is not rewritten and the page refuses it).
pub const MAX_HEADERS: usize = 128;

/// How long a client may take to send its head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// A request head as read: its exact bytes, and whatever followed it in the same reads.
#[derive(Debug)]
pub struct Head {
    /// Everything read: the head (up to `len`), then any bytes after it.
    pub buf: Vec<u8>,
    /// The head's length, its blank line included.
    pub len: usize,
}

impl Head {
    /// The head's bytes.
    pub fn head(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The bytes the client sent after its head (pipelined frames), already read.
    pub fn rest(&self) -> &[u8] {
        &self.buf[self.len..]
    }
}

/// Why no head was read.
#[derive(Debug)]
pub enum HeadError {
    /// More than the limit without the blank line that ends a head.
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The client sent nothing more for [`HEAD_TIMEOUT`].
    Timeout,
    /// The client closed before its head ended.
    Closed {
        /// How many bytes it sent.
        len: usize,
    },
    /// A socket error.
    Io(std::io::Error),
}

impl std::fmt::Display for HeadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeadError::TooLarge { limit } => {
                write!(f, "the request head is longer than {limit} bytes")
            }
            HeadError::Timeout => write!(
                f,
                "no complete request head within {} s",
                HEAD_TIMEOUT.as_secs()
            ),
            HeadError::Closed { len } => write!(
                f,
                "the client closed after {len} bytes, before its request head ended"
            ),
            HeadError::Io(e) => write!(f, "reading the request head: {e}"),
        }
    }
}

/// Where a head ends: just after the first empty line (`\r\n\r\n`, or a bare `\n\n`, which
/// lenient servers accept too), searching from `from` (bytes before it were searched already).
pub fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    let mut i = start;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf[i + 1..].starts_with(b"\n") {
                return Some(i + 2);
            }
            if buf[i + 1..].starts_with(b"\r\n") {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

/// The sans-IO part of reading a request head: bytes go in as they arrive, in any pieces; the
/// answer is the same however they were cut.
#[derive(Debug)]
pub struct HeadReader {
    buf: Vec<u8>,
    limit: usize,
}

/// What a [`HeadReader`] knows after a push.
#[derive(Debug, PartialEq, Eq)]
pub enum HeadScan {
    /// No empty line yet, and still within the limit.
    More,
    /// The head is the first this many bytes of what was pushed (its empty line included).
    Complete(usize),
    /// The limit was passed before the head ended.
    TooLarge,
}

impl HeadReader {
    /// A reader that refuses heads longer than `limit` bytes.
    pub fn new(limit: usize) -> HeadReader {
        HeadReader {
            buf: Vec::with_capacity(1024.min(limit + 1)),
            limit,
        }
    }

    /// Add the next bytes. Once the answer is `Complete` or `TooLarge`, push no more.
    pub fn push(&mut self, bytes: &[u8]) -> HeadScan {
        let searched = self.buf.len();
        self.buf.extend_from_slice(bytes);
        match head_end(&self.buf, searched) {
            Some(len) if len <= self.limit => HeadScan::Complete(len),
            Some(_) => HeadScan::TooLarge,
            None if self.buf.len() > self.limit => HeadScan::TooLarge,
            None => HeadScan::More,
        }
    }

    /// How many bytes were pushed.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Everything pushed, as a [`Head`] of `len` bytes (from [`HeadScan::Complete`]).
    pub fn into_head(self, len: usize) -> Head {
        Head { buf: self.buf, len }
    }
}

/// Read one request head of at most `limit` bytes.
pub async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    limit: usize,
    timeout: Duration,
) -> Result<Head, HeadError> {
    let mut reader = HeadReader::new(limit);
    let mut chunk = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(timeout, stream.read(&mut chunk)).await;
        let n = match read {
            Err(_) => return Err(HeadError::Timeout),
            Ok(Err(e)) => return Err(HeadError::Io(e)),
            Ok(Ok(0)) => return Err(HeadError::Closed { len: reader.len() }),
            Ok(Ok(n)) => n,
        };
        match reader.push(&chunk[..n]) {
            HeadScan::More => {}
            HeadScan::Complete(len) => return Ok(reader.into_head(len)),
            HeadScan::TooLarge => return Err(HeadError::TooLarge { limit }),
        }
    }
}

/// The value of the first header called `name` (any case), trimmed, if the head parses.
pub fn header<'a>(head: &'a [u8], name: &str) -> Option<&'a str> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    req.parse(head).ok()?;
    req.headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .map(str::trim)
}

/// The method and path of a head that parses as HTTP/1.x.
pub fn request_line(head: &[u8]) -> Option<(String, String)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => Some((req.method?.to_string(), req.path?.to_string())),
        _ => None,
    }
}

/// A response's bytes: status line, the given headers, a length, `Connection: close`, body.
pub fn response(status: u16, reason: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Send a plain-text error response and close the connection (errors ignored: the client may
/// be gone already).
pub async fn reply_text<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    reason: &str,
    text: &str,
) {
    let body = format!("{text}\n");
    let bytes = response(
        status,
        reason,
        &[("Content-Type", "text/plain; charset=utf-8")],
        body.as_bytes(),
    );
    let _ = stream.write_all(&bytes).await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_ends_at_the_first_empty_line_across_reads() {
        let all = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n\x81\x00";
        assert_eq!(head_end(all, 0), Some(all.len() - 2));
        for split in 1..all.len() {
            let first = head_end(&all[..split], 0);
            let found = first.or_else(|| head_end(all, split));
            assert_eq!(found, Some(all.len() - 2), "split at {split}");
        }
        assert_eq!(head_end(b"GET / HTTP/1.1\nHost: a\n\nxx", 0), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: a\r\n", 0), None);
    }

    #[tokio::test]
    async fn a_head_over_the_limit_is_refused_and_one_under_it_is_read_with_what_follows() {
        let mut long = b"GET / HTTP/1.1\r\nX: ".to_vec();
        long.extend(std::iter::repeat_n(b'a', 100));
        long.extend_from_slice(b"\r\n\r\n");
        let mut s = &long[..];
        let e = read_head(&mut s, 64, HEAD_TIMEOUT).await.unwrap_err();
        assert!(matches!(e, HeadError::TooLarge { limit: 64 }));
        let mut ok = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest".to_vec();
        let mut s = &ok[..];
        let head = read_head(&mut s, 64, HEAD_TIMEOUT).await.unwrap();
        assert_eq!(head.rest(), b"rest");
        assert_eq!(header(head.head(), "host"), Some("a"));
        ok.truncate(10);
        let mut s = &ok[..];
        let e = read_head(&mut s, 64, HEAD_TIMEOUT).await.unwrap_err();
        assert!(matches!(e, HeadError::Closed { len: 10 }));
    }
}
