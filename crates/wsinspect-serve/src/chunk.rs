//! Where one direction's reads land, and the chunks they become. A large read is handed to the
//! decoder and the recorder as it is (a shared, reference-counted slice of the read buffer:
//! no copy of the bytes the relay forwards); a small one is copied out, so a few bytes never
//! hold a whole buffer. The buffer is reused once every chunk cut from it is gone, as a fixed
//! buffer would be; while the decoder still holds some, reads go on in its unused tail, then in
//! one of a few spare buffers that the decoder is done with. Reading into memory written a
//! moment ago (still in the CPU's cache) costs a fraction of reading into fresh memory: with a
//! new buffer each time, the kernel's copy into it cost more than the copy this saves.
//!
//! What a chunk holds is what the decoder's queue charges for it ([`Chunk::held`]): a shared
//! chunk may keep a whole buffer alive, so it is charged a whole buffer, and the queue's bound
//! in bytes stays a bound on the memory it holds.

use bytes::{Bytes, BytesMut};

/// The size of one read buffer (and of the largest read).
pub const BUFFER: usize = 64 << 10;

/// A read smaller than this is copied out; a larger one is shared.
pub const SHARE_FROM: usize = 16 << 10;

/// Below this much room left in the buffer, the next read goes into another one (a read is
/// never made smaller than this by the buffer's tail).
const MIN_ROOM: usize = 16 << 10;

/// Buffers kept for reuse besides the current one, per direction (while the traffic comes in
/// large reads; small ones let them go).
const SPARES: usize = 2;

/// Bytes relayed in one piece, cheap to clone.
#[derive(Clone, Debug)]
pub struct Chunk {
    bytes: Bytes,
    /// It shares a read buffer (rather than owning a copy of its bytes).
    shared: bool,
}

impl Chunk {
    /// A chunk that owns its bytes (a head, an injected frame, a test's bytes).
    pub fn owned(bytes: impl Into<Bytes>) -> Chunk {
        Chunk {
            bytes: bytes.into(),
            shared: false,
        }
    }

    /// The bytes.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// How many bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes of `range`, sharing this chunk's memory (and charged as it is).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Chunk {
        Chunk {
            bytes: self.bytes.slice(range),
            shared: self.shared,
        }
    }

    /// The memory it may keep alive: its own length, or for a shared chunk the whole buffer
    /// it was cut from.
    pub fn held(&self) -> usize {
        if self.shared {
            BUFFER.max(self.bytes.len())
        } else {
            self.bytes.len()
        }
    }
}

/// One direction's read buffer.
pub struct ReadBuf {
    buf: BytesMut,
    /// Earlier buffers that chunks still used when they were left, to reuse once those are
    /// gone (at most [`SPARES`]).
    spare: Vec<BytesMut>,
}

impl Default for ReadBuf {
    fn default() -> Self {
        ReadBuf {
            buf: BytesMut::with_capacity(BUFFER),
            spare: Vec::new(),
        }
    }
}

impl ReadBuf {
    /// The buffer to read into (empty, with at least 16 KiB of room): the whole
    /// buffer again when no chunk of it is alive any more, else its tail, else a spare one
    /// that is free again, else a new one.
    pub fn prepare(&mut self) -> &mut BytesMut {
        debug_assert!(self.buf.is_empty());
        if self.buf.capacity() < BUFFER
            && !self.buf.try_reclaim(BUFFER)
            && self.buf.capacity() < MIN_ROOM
        {
            // A spare whose chunks are all gone reads from its start again.
            let next = match self.spare.iter_mut().position(|b| b.try_reclaim(BUFFER)) {
                Some(i) => self.spare.swap_remove(i),
                None => BytesMut::with_capacity(BUFFER),
            };
            let old = std::mem::replace(&mut self.buf, next);
            if self.spare.len() < SPARES {
                self.spare.push(old);
            }
        }
        &mut self.buf
    }

    /// What the last read put in the buffer, as a chunk; the buffer is empty after.
    pub fn take(&mut self) -> Chunk {
        if self.buf.len() < SHARE_FROM {
            // Not bulk traffic (now): no spares needed.
            self.spare.clear();
            let chunk = Chunk::owned(Bytes::copy_from_slice(&self.buf));
            self.buf.clear();
            chunk
        } else {
            Chunk {
                bytes: self.buf.split().freeze(),
                shared: true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut as _;

    fn read(b: &mut ReadBuf, n: usize, fill: u8) -> Chunk {
        let buf = b.prepare();
        assert!(buf.capacity() >= MIN_ROOM);
        buf.put_bytes(fill, n);
        b.take()
    }

    #[test]
    fn small_reads_are_copied_and_large_ones_shared_and_charged_a_whole_buffer() {
        let mut b = ReadBuf::default();
        let small = read(&mut b, 100, 1);
        assert_eq!(small.bytes().as_ref(), &[1; 100][..]);
        assert_eq!(small.held(), 100);
        let large = read(&mut b, 40 << 10, 2);
        assert_eq!(large.bytes().as_ref(), &vec![2; 40 << 10][..]);
        assert_eq!(large.held(), BUFFER);
        assert_eq!(large.slice(0..10).held(), BUFFER);
        // The copied chunk did not move the buffer: the large read started at its front.
        assert_eq!(b.buf.capacity(), BUFFER - (40 << 10));
    }

    #[test]
    fn the_buffer_is_reused_when_its_chunks_are_gone_and_replaced_while_they_live() {
        let mut b = ReadBuf::default();
        let first = read(&mut b, BUFFER, 3);
        let at = first.bytes().as_ptr();
        drop(first);
        // Nothing of it is alive: the same memory again.
        let again = read(&mut b, 20 << 10, 4);
        assert_eq!(again.bytes().as_ptr(), at);
        // Alive: the next read goes into the tail (44 KiB of room)...
        let tail = read(&mut b, 30 << 10, 5);
        assert_eq!(tail.bytes().as_ptr(), at.wrapping_add(20 << 10));
        // ...and with 14 KiB left, into a fresh buffer; the old chunks are untouched.
        let fresh = read(&mut b, 20 << 10, 6);
        assert!(fresh.bytes().as_ptr() < at || fresh.bytes().as_ptr() >= at.wrapping_add(BUFFER));
        assert!(again.bytes().iter().all(|&x| x == 4));
        assert!(tail.bytes().iter().all(|&x| x == 5));
        assert!(fresh.bytes().iter().all(|&x| x == 6));
        // Once the first buffer's chunks are gone, it is read into again when the new one
        // runs out, rather than a third.
        drop((again, tail));
        let more = read(&mut b, 30 << 10, 7);
        let reused = read(&mut b, 20 << 10, 8);
        assert_eq!(reused.bytes().as_ptr(), at);
        assert!(fresh.bytes().iter().all(|&x| x == 6));
        assert!(more.bytes().iter().all(|&x| x == 7));
        assert!(reused.bytes().iter().all(|&x| x == 8));
        // Small reads need no spares.
        assert_eq!(b.spare.len(), 1);
        read(&mut b, 10, 9);
        assert!(b.spare.is_empty());
    }
}
