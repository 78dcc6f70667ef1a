//! Compact building blocks of the index: a bit vector that counts (rank) and finds (select)
//! its set bits, entries grouped by snap point over only the points that have any, and a
//! side table of rare values keyed by record position.

use std::collections::HashMap;
use std::ops::{Index, Range};
use std::sync::Arc;

use super::memory::{hash_map_bytes, vec_bytes};

/// A fixed bit vector with a directory of set-bit counts, one `u32` per 64 bits.
#[derive(Debug, Clone, Default)]
pub(super) struct RankedBits {
    words: Vec<u64>,
    /// Set bits in the words before each word.
    ranks: Vec<u32>,
}

impl RankedBits {
    /// From the bit vector's words: bit `i` is bit `i % 64` of `words[i / 64]`.
    pub(super) fn new(mut words: Vec<u64>) -> RankedBits {
        words.shrink_to_fit();
        let mut ranks = Vec::with_capacity(words.len());
        let mut count = 0u32;
        for word in &words {
            ranks.push(count);
            count += word.count_ones();
        }
        RankedBits { words, ranks }
    }

    /// The words needed for `len` bits, all clear.
    pub(super) fn empty_words(len: usize) -> Vec<u64> {
        vec![0; len.div_ceil(64)]
    }

    /// Sets bit `i` of `words` (as [`RankedBits::new`] numbers them).
    pub(super) fn set_in(words: &mut [u64], i: usize) {
        words[i / 64] |= 1 << (i % 64);
    }

    /// Whether bit `i` of `words` is set (as [`RankedBits::new`] numbers them).
    pub(super) fn is_set_in(words: &[u64], i: usize) -> bool {
        words[i / 64] >> (i % 64) & 1 != 0
    }

    pub(super) fn get(&self, bit: u32) -> bool {
        self.words.get(bit as usize / 64).is_some_and(|word| word >> (bit % 64) & 1 != 0)
    }

    /// Set bits before `bit`.
    pub(super) fn rank(&self, bit: u32) -> u32 {
        let word = bit as usize / 64;
        let below = (1u64 << (bit % 64)) - 1;
        self.ranks[word] + (self.words[word] & below).count_ones()
    }

    /// The position of the set bit with `rank` set bits before it.
    pub(super) fn select(&self, rank: u32) -> u32 {
        let word = self.ranks.partition_point(|&r| r <= rank) - 1;
        let mut bits = self.words[word];
        for _ in 0..rank - self.ranks[word] {
            bits &= bits - 1;
        }
        (word * 64) as u32 + bits.trailing_zeros()
    }

    /// The set bits, in increasing order.
    pub(super) fn ones(&self) -> impl Iterator<Item = u32> + '_ {
        self.ones_from(0)
    }

    /// The set bits from `first` on, in increasing order.
    pub(super) fn ones_from(&self, first: u32) -> impl Iterator<Item = u32> + '_ {
        let first_word = first as usize / 64;
        let skipped = (1u64 << (first % 64)) - 1;
        self.words.iter().enumerate().skip(first_word).flat_map(move |(w, &word)| {
            let mut bits = if w == first_word { word & !skipped } else { word };
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let bit = bits.trailing_zeros();
                    bits &= bits - 1;
                    (w * 64) as u32 + bit
                })
            })
        })
    }

    pub(super) fn heap_bytes(&self) -> usize {
        vec_bytes(&self.words) + vec_bytes(&self.ranks)
    }
}

/// Entries (one month's crimes or outcomes, numbered from 0) grouped by snap point, in point
/// order. Only the points that have entries take space: a bit per snap point says which do,
/// and each of those has one offset.
#[derive(Debug, Clone, Default)]
pub(super) struct PointGroups {
    occupied: RankedBits,
    /// The entries at the `i`-th occupied point are `offsets[i]..offsets[i + 1]`.
    offsets: Vec<u32>,
}

impl PointGroups {
    /// From where each snap point's entries start, and where the last one's end: entries
    /// `starts[p]..starts[p + 1]` are at point `p`.
    pub(super) fn from_starts(starts: &[u32]) -> PointGroups {
        let point_count = starts.len().saturating_sub(1);
        let occupied_count = starts.windows(2).filter(|b| b[1] > b[0]).count();
        if occupied_count == 0 {
            return PointGroups::default();
        }
        let mut words = RankedBits::empty_words(point_count);
        let mut offsets = Vec::with_capacity(occupied_count + 1);
        offsets.push(starts[0]);
        for (point, bounds) in starts.windows(2).enumerate() {
            if bounds[1] > bounds[0] {
                words[point / 64] |= 1 << (point % 64);
                offsets.push(bounds[1]);
            }
        }
        PointGroups { occupied: RankedBits::new(words), offsets }
    }

    /// The entries at a snap point; empty when it has none.
    pub(super) fn range(&self, point: u32) -> Range<u32> {
        if !self.occupied.get(point) {
            return 0..0;
        }
        let i = self.occupied.rank(point) as usize;
        self.offsets[i]..self.offsets[i + 1]
    }

    /// Every occupied snap point with its entries, in point order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, Range<u32>)> + '_ {
        self.occupied.ones().zip(self.offsets.windows(2)).map(|(point, b)| (point, b[0]..b[1]))
    }

    /// The occupied snap points with their entries, in point order, from the group holding
    /// `entry` on (nothing when `entry` is past the last group): a walk resumed in O(log n).
    pub(super) fn iter_from(&self, entry: u32) -> impl Iterator<Item = (u32, Range<u32>)> + '_ {
        let group = self.offsets.partition_point(|&o| o <= entry).saturating_sub(1);
        let past_end = self.offsets.last().is_none_or(|&end| entry >= end);
        let (first_point, offsets) = if past_end {
            (0, &self.offsets[..0])
        } else {
            (self.occupied.select(group as u32), &self.offsets[group..])
        };
        self.occupied
            .ones_from(first_point)
            .zip(offsets.windows(2))
            .map(|(point, b)| (point, b[0]..b[1]))
    }

    /// Where the last group's entries end: the entries grouped by a point are `0..end()`.
    pub(super) fn end(&self) -> u32 {
        self.offsets.last().copied().unwrap_or(0)
    }

    /// The snap point of an entry.
    pub(super) fn point_of(&self, entry: u32) -> u32 {
        let i = self.offsets.partition_point(|&o| o <= entry) - 1;
        self.occupied.select(i as u32)
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.occupied.heap_bytes() + vec_bytes(&self.offsets)
    }
}

/// Snap point positions by store id: a table indexed by id when the ids are dense (as the
/// store's sequence makes them), else a hash map. The last position given an id wins.
#[derive(Debug, Clone)]
pub(super) enum PointIds {
    /// `positions[id - first]`, [`PointIds::ABSENT`] for ids no point has.
    Dense {
        first: i32,
        positions: Vec<u32>,
    },
    Sparse(HashMap<i32, u32>),
}

impl Default for PointIds {
    fn default() -> Self {
        PointIds::Sparse(HashMap::new())
    }
}

impl PointIds {
    const ABSENT: u32 = u32::MAX;

    /// From the store ids of the points, in position order.
    pub(super) fn new(ids: impl ExactSizeIterator<Item = i32> + Clone) -> PointIds {
        let count = ids.len();
        let (Some(first), Some(last)) = (ids.clone().min(), ids.clone().max()) else {
            return PointIds::default();
        };
        let span = (i64::from(last) - i64::from(first) + 1) as u64;
        // A table at most twice the points' count (plus a little) is smaller than the map.
        if span <= 2 * count as u64 + 1024 {
            let mut positions = vec![Self::ABSENT; span as usize];
            for (position, id) in ids.enumerate() {
                positions[(i64::from(id) - i64::from(first)) as usize] = position as u32;
            }
            PointIds::Dense { first, positions }
        } else {
            PointIds::Sparse(ids.enumerate().map(|(position, id)| (id, position as u32)).collect())
        }
    }

    pub(super) fn get(&self, id: i32) -> Option<u32> {
        match self {
            PointIds::Dense { first, positions } => {
                let slot = usize::try_from(i64::from(id) - i64::from(*first)).ok()?;
                positions.get(slot).copied().filter(|&p| p != Self::ABSENT)
            }
            PointIds::Sparse(map) => map.get(&id).copied(),
        }
    }

    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            PointIds::Dense { positions, .. } => vec_bytes(positions),
            PointIds::Sparse(map) => hash_map_bytes(map),
        }
    }
}

/// A sequence indexed by position (a record's, an outcome's) and held as runs, one per
/// month, each shared between the indexes that hold that month: an index updated with a new
/// month shares every other month's runs with the one it was made from (see
/// [`super::CrimeIndex::updated`]). Positions only grow from run to run; between runs there
/// may be gaps (the positions of a month no longer held).
#[derive(Debug)]
pub(super) struct Segments<T> {
    /// `(first position, items)`, sorted by position; runs do not overlap.
    runs: Vec<(u32, Arc<[T]>)>,
    len: usize,
}

impl<T> Clone for Segments<T> {
    fn clone(&self) -> Self {
        Segments { runs: self.runs.clone(), len: self.len }
    }
}

impl<T> Default for Segments<T> {
    fn default() -> Self {
        Segments { runs: Vec::new(), len: 0 }
    }
}

impl<T> Segments<T> {
    /// Adds a run whose first position is `start`, after every run already held.
    pub(super) fn push_run(&mut self, start: u32, items: Arc<[T]>) {
        debug_assert!(self.end() <= start, "runs are added in position order");
        if items.is_empty() {
            return;
        }
        self.len += items.len();
        self.runs.push((start, items));
    }

    /// The position after the last run's last item (0 when there is none).
    pub(super) fn end(&self) -> u32 {
        self.runs.last().map_or(0, |(start, items)| start + items.len() as u32)
    }

    /// Items held, over all runs.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The run holding `position`, with its first position.
    fn run(&self, position: u32) -> (u32, &[T]) {
        let i = self.runs.partition_point(|(start, _)| *start <= position);
        match i.checked_sub(1).map(|i| &self.runs[i]) {
            Some((start, items)) => (*start, items),
            None => (0, &[]),
        }
    }

    /// The run starting at `start` (as given to [`Segments::push_run`]).
    pub(super) fn run_at(&self, start: u32) -> Option<&Arc<[T]>> {
        let i = self.runs.binary_search_by_key(&start, |(s, _)| *s).ok()?;
        Some(&self.runs[i].1)
    }

    /// Every item, in position order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.runs.iter().flat_map(|(_, items)| items.iter())
    }

    pub(super) fn heap_bytes(&self) -> usize {
        vec_bytes(&self.runs)
            + self.runs.iter().map(|(_, items)| arc_slice_bytes(items)).sum::<usize>()
    }
}

/// Bytes of an `Arc<[T]>`'s allocation: two counts, then the items.
fn arc_slice_bytes<T>(items: &Arc<[T]>) -> usize {
    2 * std::mem::size_of::<usize>() + std::mem::size_of_val(&**items)
}

impl<T> Index<usize> for Segments<T> {
    type Output = T;

    fn index(&self, position: usize) -> &T {
        let (start, items) = self.run(position as u32);
        &items[position - start as usize]
    }
}

impl<T> Index<Range<usize>> for Segments<T> {
    type Output = [T];

    /// Items of one run (a range across runs is a bug, as an index past a slice's end is).
    fn index(&self, range: Range<usize>) -> &[T] {
        // An empty range may lie past a run's end, in a gap between runs.
        if range.is_empty() {
            return &[];
        }
        let (start, items) = self.run(range.start as u32);
        let start = start as usize;
        &items[range.start - start..range.end - start]
    }
}

/// Values for a few record positions, sorted by position.
#[derive(Debug, Clone)]
pub(super) struct PositionMap<T> {
    entries: Vec<(u32, T)>,
}

impl<T> Default for PositionMap<T> {
    fn default() -> Self {
        PositionMap { entries: Vec::new() }
    }
}

impl<T> PositionMap<T> {
    /// From entries in any order; each position at most once.
    pub(super) fn new(mut entries: Vec<(u32, T)>) -> PositionMap<T> {
        entries.sort_unstable_by_key(|(position, _)| *position);
        entries.shrink_to_fit();
        PositionMap { entries }
    }

    pub(super) fn get(&self, position: u32) -> Option<&T> {
        let i = self.entries.binary_search_by_key(&position, |(p, _)| *p).ok()?;
        Some(&self.entries[i].1)
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|(_, value)| value)
    }

    /// `(position, value)`, sorted by position.
    pub(super) fn entries(&self) -> &[(u32, T)] {
        &self.entries
    }

    /// The entries whose position `keep` says, then `after`'s (positions beyond them all,
    /// in order).
    pub(super) fn retained_then(
        &self,
        keep: impl Fn(&u32) -> bool,
        after: impl IntoIterator<Item = (u32, T)>,
    ) -> PositionMap<T>
    where
        T: Clone,
    {
        let mut entries: Vec<(u32, T)> =
            self.entries.iter().filter(|(position, _)| keep(position)).cloned().collect();
        let kept = entries.len();
        entries.extend(after);
        debug_assert!(entries[kept.saturating_sub(1)..].windows(2).all(|w| w[0].0 < w[1].0));
        entries.shrink_to_fit();
        PositionMap { entries }
    }

    /// These entries and `more` (positions not among these), in position order.
    pub(super) fn merged(mut self, more: Vec<(u32, T)>) -> PositionMap<T> {
        if more.is_empty() {
            return self;
        }
        self.entries.extend(more);
        PositionMap::new(self.entries)
    }

    pub(super) fn heap_bytes(&self) -> usize {
        vec_bytes(&self.entries)
    }
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::testing::check;

    /// Runs with gaps between them read as the one array they stand for: items by
    /// position, ranges within a run, empty ranges anywhere (a gap included), every item in
    /// order.
    #[test]
    fn segments_read_as_one_array_with_gaps() {
        let mut segments: Segments<u32> = Segments::default();
        segments.push_run(3, vec![30, 31, 32].into());
        segments.push_run(6, Vec::new().into());
        segments.push_run(10, vec![100, 101].into());
        assert_eq!(segments.len(), 5);
        assert_eq!(segments.end(), 12);
        assert_eq!((segments[3], segments[5], segments[10], segments[11]), (30, 32, 100, 101));
        assert_eq!(&segments[4..6], &[31, 32]);
        assert_eq!(&segments[10..12], &[100, 101]);
        assert!(
            segments[8..8].is_empty() && segments[6..6].is_empty() && segments[0..0].is_empty()
        );
        assert_eq!(segments.iter().copied().collect::<Vec<_>>(), vec![30, 31, 32, 100, 101]);
        assert!(segments.run_at(10).is_some() && segments.run_at(4).is_none());
        let shared = segments.clone();
        assert!(std::ptr::eq(&shared[10], &segments[10]), "a clone shares the runs");
    }

    #[test]
    fn rank_and_select_equal_counting() {
        // Empty, sparse, half full and full bit vectors, of up to 1,500 bits.
        let bits = prop_oneof![
            vec(Just(false), 1..1500),
            vec(prop::bool::weighted(0.01), 1..1500),
            vec(any::<bool>(), 1..1500),
            vec(Just(true), 1..1500),
        ];
        check(64, bits, |bits| {
            let len = bits.len();
            let mut words = RankedBits::empty_words(len);
            for (i, _) in bits.iter().enumerate().filter(|(_, &set)| set) {
                words[i / 64] |= 1 << (i % 64);
            }
            let ranked = RankedBits::new(words);
            let mut rank = 0;
            for (i, &set) in bits.iter().enumerate() {
                prop_assert_eq!(ranked.get(i as u32), set);
                prop_assert_eq!(ranked.rank(i as u32), rank);
                if set {
                    prop_assert_eq!(ranked.select(rank), i as u32);
                    rank += 1;
                }
            }
            prop_assert!(!ranked.get(len as u32 + 100));
            Ok(())
        });
    }

    #[test]
    fn point_groups_equal_dense_offsets() {
        // Snap points with no entry (60 %) or one to five.
        let counts = vec(prop_oneof![3 => Just(0u32), 2 => 1..=5u32], 0..1000);
        check(64, counts, |counts| {
            let starts: Vec<u32> = std::iter::once(0)
                .chain(counts.iter().scan(0, |end, &count| {
                    *end += count;
                    Some(*end)
                }))
                .collect();
            let groups = PointGroups::from_starts(&starts);
            let mut start = 0;
            for (point, &count) in counts.iter().enumerate() {
                let range = groups.range(point as u32);
                if count == 0 {
                    prop_assert!(range.is_empty());
                } else {
                    prop_assert_eq!(range, start..start + count);
                }
                for entry in start..start + count {
                    prop_assert_eq!(groups.point_of(entry), point as u32);
                }
                start += count;
            }
            prop_assert!(groups.range(5000).is_empty());
            Ok(())
        });
    }

    #[test]
    fn point_ids_find_the_last_point_with_an_id_dense_or_not() {
        for ids in [vec![5, 7, 6, 9, 7], vec![5, 1_000_000, -3, 7, 1_000_000]] {
            let lookup = PointIds::new(ids.iter().copied());
            assert_eq!(matches!(lookup, PointIds::Dense { .. }), ids[1] == 7);
            for (position, &id) in ids.iter().enumerate() {
                let last = ids.iter().rposition(|&other| other == id).unwrap();
                assert_eq!(lookup.get(id), Some(last as u32), "{id} at {position}");
            }
            for absent in [4, 8, 10, i32::MIN, i32::MAX] {
                assert_eq!(lookup.get(absent), None);
            }
        }
        assert_eq!(PointIds::new(std::iter::empty()).get(1), None);
    }

    #[test]
    fn position_map_finds_what_it_was_given() {
        let map = PositionMap::new(vec![(9, "nine"), (2, "two"), (40, "forty")]);
        assert_eq!(map.get(2), Some(&"two"));
        assert_eq!(map.get(40), Some(&"forty"));
        assert_eq!(map.get(3), None);
    }
}
