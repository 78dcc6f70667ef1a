//! Answer buffers used again.
//!
//! A point query's answer (~330 KB) is written into a buffer of its own. A fresh buffer of
//! that size is mapped by the allocator on its own (allocations from 64 KiB are, see
//! [`crate::allocator`]); the kernel faults in and zeroes each of its pages as the answer is
//! written, and unmaps them when the answer has been sent. Measured under the load
//! benchmark's point queries: ~45 page faults per answer, nearly all of them while writing
//! the answer, a cost of the order of a tenth of the server's time. Buffers given back here are
//! kept instead (their pages stay mapped) and taken by the next answers. At most
//! [`KEPT_BUFFERS`] are kept, of at most [`KEPT_CAPACITY`] bytes each, so what a burst of
//! large answers leaves with the process stays bounded (a few MB; `docs/RELIABILITY.md`).

use std::sync::{Mutex, MutexGuard, PoisonError};

use actix_web::web::Bytes;

/// The most buffers kept.
pub const KEPT_BUFFERS: usize = 16;

/// Buffers from this capacity are kept (smaller ones come from the allocator's own free
/// lists without a mapping of their own).
pub const KEPT_FROM: usize = 64 * 1024;

/// Buffers above this capacity are not kept (a whole point answer's buffer is 516 KiB).
pub const KEPT_CAPACITY: usize = 1024 * 1024;

/// The buffers kept, empty, their capacity within [`KEPT_FROM`]..=[`KEPT_CAPACITY`].
static KEPT: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

fn kept() -> MutexGuard<'static, Vec<Vec<u8>>> {
    // A panic while the lock was held cannot leave the list inconsistent.
    KEPT.lock().unwrap_or_else(PoisonError::into_inner)
}

fn keepable(capacity: usize) -> bool {
    (KEPT_FROM..=KEPT_CAPACITY).contains(&capacity)
}

/// An empty buffer with room for at least `capacity` bytes: for a capacity of the kept
/// sizes, the smallest kept buffer that has it; otherwise, or when none has, a new one.
pub fn take(capacity: usize) -> Vec<u8> {
    if keepable(capacity) {
        let mut kept = kept();
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

/// Keeps `buffer` for a later [`take`] when its size is kept and there is room (a full list
/// gives up its smallest buffer for a larger one, so that whole answers find room); frees
/// it otherwise.
pub fn give_back(mut buffer: Vec<u8>) {
    if !keepable(buffer.capacity()) {
        return;
    }
    buffer.clear();
    let mut kept = kept();
    if kept.len() < KEPT_BUFFERS {
        kept.push(buffer);
        return;
    }
    let smallest = (kept.iter().enumerate())
        .min_by_key(|(_, kept)| kept.capacity())
        .map(|(at, kept)| (at, kept.capacity()));
    if let Some((at, capacity)) = smallest {
        if capacity < buffer.capacity() {
            let freed = std::mem::replace(&mut kept[at], buffer);
            drop(kept);
            drop(freed);
        }
    }
}

/// `buffer`'s bytes for the HTTP layer, the buffer given back when the last of them is sent.
pub fn into_bytes(buffer: Vec<u8>) -> Bytes {
    if keepable(buffer.capacity()) {
        Bytes::from_owner(GivenBackWhenSent(buffer))
    } else {
        Bytes::from(buffer)
    }
}

/// A buffer that goes back to the kept ones when dropped.
struct GivenBackWhenSent(Vec<u8>);

impl AsRef<[u8]> for GivenBackWhenSent {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for GivenBackWhenSent {
    fn drop(&mut self) {
        give_back(std::mem::take(&mut self.0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests share the one list: each runs under this lock and empties it first.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn emptied() -> MutexGuard<'static, ()> {
        let guard = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        kept().clear();
        guard
    }

    #[test]
    fn a_sent_answer_gives_its_buffer_to_the_next() {
        let _serial = emptied();
        let mut buffer = take(300_000);
        buffer.extend_from_slice(b"[{\"category\":\"burglary\"}]");
        let address = buffer.as_ptr();
        let bytes = into_bytes(buffer);
        assert_eq!(&bytes[..], b"[{\"category\":\"burglary\"}]");
        let mut pieces = bytes.clone();
        let first = pieces.split_to(5);
        drop(bytes);
        assert!(kept().is_empty(), "given back while pieces of it are still held");
        assert_eq!(&first[..], b"[{\"ca");
        drop((first, pieces));
        let again = take(200_000);
        assert_eq!(again.as_ptr(), address);
        assert!(again.is_empty() && again.capacity() >= 300_000);
    }

    #[test]
    fn only_buffers_of_the_kept_sizes_are_kept_and_never_more_than_the_most() {
        let _serial = emptied();
        give_back(Vec::with_capacity(KEPT_FROM - 1));
        give_back(Vec::with_capacity(KEPT_CAPACITY + 1));
        assert!(kept().is_empty());
        for _ in 0..KEPT_BUFFERS + 3 {
            give_back(Vec::with_capacity(KEPT_FROM));
        }
        assert_eq!(kept().len(), KEPT_BUFFERS);
        give_back(Vec::with_capacity(KEPT_CAPACITY));
        assert_eq!(kept().len(), KEPT_BUFFERS);
        assert_eq!(take(KEPT_FROM + 1).capacity(), KEPT_CAPACITY, "the larger one replaced one");
        assert_eq!(kept().len(), KEPT_BUFFERS - 1);
        assert_eq!(take(KEPT_FROM + 1).capacity(), KEPT_FROM + 1, "none left large enough");
        assert_eq!(take(10).capacity(), 10, "small buffers come from the allocator");
        assert_eq!(take(KEPT_FROM).capacity(), KEPT_FROM, "the smallest that fits");
        assert_eq!(kept().len(), KEPT_BUFFERS - 2);
    }
}
