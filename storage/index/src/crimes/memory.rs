//! Accounting of the index's heap memory by component, to explain its resident size.

use std::collections::HashMap;
use std::mem::size_of;

/// Heap bytes held by each component of an index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryReport {
    /// (component, bytes), in the order the index lists them.
    pub components: Vec<(&'static str, usize)>,
}

impl MemoryReport {
    pub(super) fn add(&mut self, component: &'static str, bytes: usize) {
        self.components.push((component, bytes));
    }

    /// Bytes of all components together.
    pub fn total(&self) -> usize {
        self.components.iter().map(|(_, bytes)| bytes).sum()
    }
}

/// Bytes of a vector's buffer, at its capacity.
pub(super) fn vec_bytes<T>(items: &Vec<T>) -> usize {
    items.capacity() * size_of::<T>()
}

/// Bytes the allocator sets aside for a request of `requested` bytes, as glibc's malloc does
/// on 64-bit Linux: 8 bytes of header, rounded up to 16, at least 32. Matters for the many
/// small strings (snap point names); large buffers are counted at their requested size.
pub(super) fn allocation_bytes(requested: usize) -> usize {
    if requested == 0 {
        0
    } else {
        (requested + 8).next_multiple_of(16).max(32)
    }
}

/// Bytes of a boxed string's allocation.
pub(super) fn str_bytes(text: &str) -> usize {
    allocation_bytes(text.len())
}

/// Bytes of a pool of boxed strings: the pool's buffer and every string.
pub(super) fn str_pool_bytes(pool: &Vec<Box<str>>) -> usize {
    vec_bytes(pool) + pool.iter().map(|text| str_bytes(text)).sum::<usize>()
}

/// Bytes of a hash map's table (hashbrown: a power-of-two number of buckets, one control
/// byte each plus a group's worth), not counting what keys or values own.
pub(super) fn hash_map_bytes<K, V>(map: &HashMap<K, V>) -> usize {
    if map.capacity() == 0 {
        return 0;
    }
    let buckets = (map.capacity() * 8 / 7).next_power_of_two();
    buckets * size_of::<(K, V)>() + buckets + 16
}
