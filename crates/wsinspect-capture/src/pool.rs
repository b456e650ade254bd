//! Byte buffers kept for reuse: the capture's reassembled bytes go through one, so a capture's
//! steady state allocates no buffer per segment. A pool keeps at most `max` buffers of at most
//! `max_bytes` each: bounded whatever the file.

/// Buffers given back, for the next bytes.
#[derive(Debug)]
pub(crate) struct Pool {
    kept: Vec<Vec<u8>>,
    max: usize,
    max_bytes: usize,
}

impl Pool {
    /// A pool of at most `max` buffers, each at most `max_bytes` long.
    pub(crate) const fn new(max: usize, max_bytes: usize) -> Pool {
        Pool {
            kept: Vec::new(),
            max,
            max_bytes,
        }
    }

    /// `bytes` copied into a kept buffer (or a new one). A kept buffer too short grows rather
    /// than going back, so the pool never holds more buffers than were in use at once.
    pub(crate) fn copy(&mut self, bytes: &[u8]) -> Vec<u8> {
        match self.kept.pop() {
            Some(mut v) => {
                v.extend_from_slice(bytes);
                v
            }
            None => bytes.to_vec(),
        }
    }

    /// A buffer whose bytes were used, kept for later when there is room for it.
    pub(crate) fn give_back(&mut self, mut v: Vec<u8>) {
        if self.kept.len() < self.max && v.capacity() <= self.max_bytes {
            v.clear();
            self.kept.push(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_reuses_what_it_keeps_and_keeps_no_more_than_its_bounds() {
        let mut p = Pool::new(2, 64);
        let a = p.copy(b"abc");
        let ptr = a.as_ptr();
        p.give_back(a);
        let b = p.copy(b"xy");
        assert_eq!(
            (b.as_slice(), b.as_ptr()),
            (&b"xy"[..], ptr),
            "the kept buffer, cleared"
        );
        p.give_back(b);
        p.give_back(vec![0; 8]);
        p.give_back(vec![0; 8]);
        assert_eq!(p.kept.len(), 2, "at most `max` buffers");
        p.give_back(Vec::with_capacity(65));
        assert_eq!(p.kept.len(), 2);
        let mut q = Pool::new(4, 64);
        q.give_back(Vec::with_capacity(65));
        assert!(q.kept.is_empty(), "none longer than `max_bytes`");
    }
}
