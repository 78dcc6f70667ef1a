//! Answer buffers used again.
//!
//! A point query's answer (~330 KB) is written into a buffer of its own. A fresh buffer of
//! that size is mapped by the allocator on its own (allocations from 64 KiB are, see
//! [`crate::allocator`]); the kernel faults in and zeroes each of its pages as the answer is
//! written, and unmaps them when the answer has been sent. Measured under the load
//! benchmark's point queries: ~45 page faults per answer, nearly all of them while writing
//! the answer, a cost of the order of a tenth of the server's time. Buffers given back here are
//! kept instead (their pages stay mapped) and taken by the next answers. At most
//! [`KEPT_BUFFERS`] are kept, of at most [`KEPT_CAPACITY`] bytes each and
//! [`KEPT_BYTES`] together, so what a burst of large answers leaves with the process stays
//! bounded (16 MiB; `docs/RELIABILITY.md`).

use std::sync::{Mutex, MutexGuard, PoisonError};

use actix_web::web::Bytes;

/// The most buffers kept.
pub const KEPT_BUFFERS: usize = 16;

/// Buffers from this capacity are kept: the allocator maps those on their own; smaller ones
/// come from its free lists.
pub const KEPT_FROM: usize = crate::allocator::MMAP_THRESHOLD_BYTES;

/// Buffers above this capacity are not kept: a whole crime list's buffer is sized from its
/// count (420 bytes a crime: ~380 KiB for a typical point answer, 4 MiB for police.uk's cap
/// of 10,000 crimes).
pub const KEPT_CAPACITY: usize = 4 * 1024 * 1024 + 128 * 1024;

/// The most bytes kept in all.
pub const KEPT_BYTES: usize = 16 * 1024 * 1024;

/// Buffers kept, empty, their capacity within [`KEPT_FROM`]..=[`KEPT_CAPACITY`].
pub struct KeptBuffers {
    buffers: Mutex<Vec<Vec<u8>>>,
}

/// The process's kept buffers.
static KEPT: KeptBuffers = KeptBuffers::new();

fn keepable(capacity: usize) -> bool {
    (KEPT_FROM..=KEPT_CAPACITY).contains(&capacity)
}

impl KeptBuffers {
    /// None kept yet.
    pub const fn new() -> Self {
        KeptBuffers { buffers: Mutex::new(Vec::new()) }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Vec<u8>>> {
        // A panic while the lock was held cannot leave the list inconsistent.
        self.buffers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many buffers are kept now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is kept now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An empty buffer with room for at least `capacity` bytes: for a capacity of the kept
    /// sizes, the smallest kept buffer that has it; otherwise, or when none has, a new one.
    pub fn take(&self, capacity: usize) -> Vec<u8> {
        if keepable(capacity) {
            let mut kept = self.lock();
            let best = (kept.iter().enumerate())
                .filter(|(_, buffer)| buffer.capacity() >= capacity)
                .min_by_key(|(_, buffer)| buffer.capacity())
                .map(|(at, _)| at);
            if let Some(at) = best {
                return kept.swap_remove(at);
            }
        }
        Vec::with_capacity(capacity)
    }

    /// Keeps `buffer` for a later [`take`](Self::take) when its size is kept and there is
    /// room ([`KEPT_BUFFERS`], [`KEPT_BYTES`]): when there is none, smaller kept buffers are
    /// given up for it, smallest first, so that the large answers find theirs; frees what is
    /// not kept outside the lock.
    pub fn give_back(&self, mut buffer: Vec<u8>) {
        if !keepable(buffer.capacity()) {
            return;
        }
        buffer.clear();
        let mut kept = self.lock();
        let room = |count: usize, bytes: usize| {
            count < KEPT_BUFFERS && bytes + buffer.capacity() <= KEPT_BYTES
        };
        // Smallest first: those are the ones given up for a larger buffer.
        kept.sort_unstable_by_key(Vec::capacity);
        let mut bytes: usize = kept.iter().map(Vec::capacity).sum();
        let mut given_up = 0;
        while !room(kept.len() - given_up, bytes)
            && kept.get(given_up).is_some_and(|smaller| smaller.capacity() < buffer.capacity())
        {
            bytes -= kept[given_up].capacity();
            given_up += 1;
        }
        if !room(kept.len() - given_up, bytes) {
            drop(kept);
            return;
        }
        let freed: Vec<Vec<u8>> = kept.drain(..given_up).collect();
        kept.push(buffer);
        drop(kept);
        drop(freed);
    }

    /// `buffer`'s bytes for the HTTP layer, the buffer given back here when the last of
    /// them is sent.
    pub fn into_bytes(&'static self, buffer: Vec<u8>) -> Bytes {
        if keepable(buffer.capacity()) {
            Bytes::from_owner(GivenBackWhenSent { buffer, kept: self })
        } else {
            Bytes::from(buffer)
        }
    }
}

impl Default for KeptBuffers {
    fn default() -> Self {
        Self::new()
    }
}

/// [`KeptBuffers::take`] from the process's kept buffers.
pub fn take(capacity: usize) -> Vec<u8> {
    KEPT.take(capacity)
}

/// [`KeptBuffers::give_back`] to the process's kept buffers.
pub fn give_back(buffer: Vec<u8>) {
    KEPT.give_back(buffer);
}

/// [`KeptBuffers::into_bytes`], given back to the process's kept buffers.
pub fn into_bytes(buffer: Vec<u8>) -> Bytes {
    KEPT.into_bytes(buffer)
}

/// A buffer that goes back to its kept buffers when dropped.
struct GivenBackWhenSent {
    buffer: Vec<u8>,
    kept: &'static KeptBuffers,
}

impl AsRef<[u8]> for GivenBackWhenSent {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for GivenBackWhenSent {
    fn drop(&mut self) {
        self.kept.give_back(std::mem::take(&mut self.buffer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each test has kept buffers of its own: other tests of this crate, run at the same
    // time, write answers through the process's.

    #[test]
    fn a_sent_answer_gives_its_buffer_to_the_next() {
        static KEPT: KeptBuffers = KeptBuffers::new();
        let mut buffer = KEPT.take(300_000);
        buffer.extend_from_slice(b"[{\"category\":\"burglary\"}]");
        let address = buffer.as_ptr();
        let bytes = KEPT.into_bytes(buffer);
        assert_eq!(&bytes[..], b"[{\"category\":\"burglary\"}]");
        let mut pieces = bytes.clone();
        let first = pieces.split_to(5);
        drop(bytes);
        assert!(KEPT.is_empty(), "given back while pieces of it are still held");
        assert_eq!(&first[..], b"[{\"ca");
        drop((first, pieces));
        assert_eq!(KEPT.len(), 1);
        let again = KEPT.take(200_000);
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty() && again.capacity() >= 300_000);
        let small = KEPT.into_bytes(b"[]".to_vec());
        drop(small);
        assert!(KEPT.is_empty(), "a small buffer is freed, not kept");
    }

    #[test]
    fn only_buffers_of_the_kept_sizes_are_kept_and_never_more_than_the_most() {
        let kept = KeptBuffers::new();
        kept.give_back(Vec::with_capacity(KEPT_FROM - 1));
        kept.give_back(Vec::with_capacity(KEPT_CAPACITY + 1));
        assert!(kept.is_empty());
        for _ in 0..KEPT_BUFFERS + 3 {
            kept.give_back(Vec::with_capacity(KEPT_FROM));
        }
        assert_eq!(kept.len(), KEPT_BUFFERS);
        kept.give_back(Vec::with_capacity(KEPT_CAPACITY));
        assert_eq!(kept.len(), KEPT_BUFFERS);
        assert_eq!(
            kept.take(KEPT_FROM + 1).capacity(),
            KEPT_CAPACITY,
            "the larger one replaced one"
        );
        assert_eq!(kept.len(), KEPT_BUFFERS - 1);
        assert_eq!(kept.take(KEPT_FROM + 1).capacity(), KEPT_FROM + 1, "none left large enough");
        assert_eq!(kept.take(10).capacity(), 10, "small buffers come from the allocator");
        assert_eq!(kept.take(KEPT_FROM).capacity(), KEPT_FROM, "the smallest that fits");
        assert_eq!(kept.len(), KEPT_BUFFERS - 2);
        let mut written = kept.take(KEPT_FROM);
        written.extend_from_slice(b"answer");
        kept.give_back(written);
        assert!(kept.take(KEPT_FROM).is_empty(), "kept buffers are given out empty");
    }

    #[test]
    fn the_bytes_kept_stay_within_their_bound() {
        let kept = KeptBuffers::new();
        let held = |kept: &KeptBuffers| kept.lock().iter().map(Vec::capacity).sum::<usize>();
        let large = 4 * 1024 * 1024;
        for _ in 0..3 {
            kept.give_back(Vec::with_capacity(KEPT_FROM));
        }
        for _ in 0..KEPT_BYTES / large {
            kept.give_back(Vec::with_capacity(large));
            assert!(held(&kept) <= KEPT_BYTES, "{} bytes kept", held(&kept));
        }
        assert_eq!(kept.len(), KEPT_BYTES / large, "the small ones gave way to the large ones");
        kept.give_back(Vec::with_capacity(large));
        kept.give_back(Vec::with_capacity(KEPT_FROM));
        assert_eq!(held(&kept), KEPT_BYTES, "no room, and nothing smaller to give up");
        assert_eq!(kept.take(large).capacity(), large);
        kept.give_back(Vec::with_capacity(KEPT_FROM));
        assert_eq!(held(&kept), KEPT_BYTES - large + KEPT_FROM, "room again");
    }
}
