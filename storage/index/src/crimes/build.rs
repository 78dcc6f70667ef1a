//! Building a [`CrimeIndex`] from plain values.
//!
//! The builder only stages what it is given; [`IndexBuilder::build`] then places the crimes
//! with counting sorts (by month, then snap point) rather than comparison sorts, and joins
//! outcomes to crimes by merging two lists sorted by Crime ID. Builders filled apart (say
//! one per `COPY` stream, on threads of their own) are combined with
//! [`IndexBuilder::append`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use super::compact::{PointGroups, PointIds, RankedBits, Segments};
use super::select::ForceSet;
use super::{
    CrimeIndex, CrimeRecord, MonthCrimes, MonthIds, MonthOutcomes, SnapPoint, CATEGORY_COUNT,
};
use crate::spatial::SpatialIndex;
use crate::Month;

/// A crime to add: what the `crimes` table holds.
#[derive(Debug, Clone, Copy)]
pub struct CrimeInput<'a> {
    pub id: i64,
    pub month: Month,
    pub force_id: &'a str,
    pub persistent_id: Option<&'a str>,
    pub location_id: Option<i32>,
    /// Position in [`crate::reference::CRIME_CATEGORIES`].
    pub category: u8,
    /// The published name of the last outcome.
    pub last_outcome: Option<&'a str>,
    pub context: &'a str,
    /// The LSOA code of the CSV row (`E01…`, `W01…`), if any.
    pub lsoa_code: Option<&'a str>,
    /// Its LSOA name (the first name given with a code is the one kept).
    pub lsoa_name: Option<&'a str>,
}

/// An outcome to add: what the `outcomes` table holds.
#[derive(Debug, Clone, Copy)]
pub struct OutcomeInput<'a> {
    /// The month the outcome was recorded.
    pub month: Month,
    pub persistent_id: &'a str,
    pub location_id: Option<i32>,
    /// Position in [`crate::reference::OUTCOME_CATEGORIES`].
    pub code: u8,
}

const NO_POINT: u32 = u32::MAX;
/// A crime's latest outcome month while an update works it out: it had outcomes, and none
/// is left.
const NO_OUTCOME_LEFT: u16 = u16::MAX;
const NO_CRIME: u32 = u32::MAX;

/// Flags of staged crimes and outcomes.
const HEX_ID: u8 = 1;
/// A Crime ID that is not 64 hex digits: in the builder's `other_ids`.
const OTHER_ID: u8 = 2;
const LOCATED: u8 = 4;
/// A crime whose context is not `""`: in the builder's `crime_contexts`.
const HAS_CONTEXT: u8 = 8;

/// A crime as given, with its text interned (20 bytes; its Crime ID, when [`HEX_ID`], is in
/// the builder's `crime_hex_ids`).
#[derive(Clone, Copy)]
struct StagedCrime {
    id: u32,
    /// Index into the LSOA code pool; 0 is "none".
    lsoa: u32,
    /// `locations.id`, when [`LOCATED`].
    location_id: i32,
    /// Index into the outcome name pool; 0 is "no outcome".
    last_outcome: u16,
    /// `Month::index()`.
    month: u16,
    category: u8,
    force: u8,
    flags: u8,
}

/// An outcome as given (28 bytes).
#[derive(Clone, Copy)]
struct StagedOutcome {
    /// When [`HEX_ID`]: its Crime ID's first four bytes, by which outcomes are merged with
    /// the crimes' IDs (in that order), and a 128-bit digest of the whole ID, by which they
    /// are told apart (see [`id_digest`]).
    id_start: u32,
    id_digest: [u32; 4],
    /// `locations.id`, when [`LOCATED`].
    location_id: i32,
    /// `Month::index()`.
    month: u16,
    code: u8,
    flags: u8,
}

/// What an outcome's Crime ID is joined to its crime's by, with its first four bytes: 128
/// bits, half of what staging the whole ID would hold at the peak of a whole load. Two IDs
/// that differ in one of their four 8-byte words always differ here (each lane is a
/// bijection of each word); others share a digest by chance with a probability of 2^-128
/// a pair, about 10^-24 for every outcome against every crime at national scale.
fn id_digest(id: &[u8; 32]) -> [u32; 4] {
    let (mut a, mut b) = (0x243F_6A88_85A3_08D3u64, 0x1319_8A2E_0370_7344u64);
    for word in id.chunks_exact(8) {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        a = (a ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
        b = (b ^ word).wrapping_mul(0xC2B2_AE3D_27D4_EB4F).rotate_left(31);
    }
    let (a, b) = (a ^ a >> 32, b ^ b >> 29);
    [a as u32, (a >> 32) as u32, b as u32, (b >> 32) as u32]
}

/// A Crime ID's first four bytes, as a number that sorts like them.
fn id_start(id: &[u8; 32]) -> u32 {
    u32::from_be_bytes([id[0], id[1], id[2], id[3]])
}

/// Distinct strings, numbered in the order first seen.
struct Pool<T> {
    texts: Vec<Box<str>>,
    ids: HashMap<Box<str>, T>,
    /// The id of the string interned last: rows often repeat the previous row's value (a
    /// file is one force's).
    recent: Option<T>,
}

impl<T: Copy + TryFrom<usize> + Into<u64>> Pool<T> {
    /// A pool whose entry 0 is `first`.
    fn starting_with(first: &str) -> Self {
        let mut pool = Pool::default();
        pool.intern(first).unwrap_or_else(|_| unreachable!("an empty pool has room"));
        pool
    }

    fn intern(&mut self, text: &str) -> anyhow::Result<T> {
        if let Some(id) = self.recent {
            if *self.texts[id.into() as usize] == *text {
                return Ok(id);
            }
        }
        let id = match self.ids.get(text) {
            Some(&id) => id,
            None => {
                let id = T::try_from(self.texts.len()).map_err(|_| {
                    anyhow::anyhow!("too many distinct values for the index's text pool")
                })?;
                self.texts.push(text.into());
                self.ids.insert(text.into(), id);
                id
            }
        };
        self.recent = Some(id);
        Ok(id)
    }
    /// A pool holding `texts` numbered as they are, or starting with `first` when `texts`
    /// is empty.
    fn continuing(texts: &[Box<str>], first: Option<&str>) -> anyhow::Result<Self> {
        let mut pool = Pool::default();
        if texts.is_empty() {
            if let Some(first) = first {
                pool.intern(first)?;
            }
        }
        for text in texts {
            let id = T::try_from(pool.texts.len()).map_err(|_| {
                anyhow::anyhow!("too many distinct values for the index's text pool")
            })?;
            pool.texts.push(text.clone());
            pool.ids.entry(text.clone()).or_insert(id);
        }
        Ok(pool)
    }

    /// Interns every entry of `other`: the new id of each of its ids.
    fn merge(&mut self, other: Pool<T>) -> anyhow::Result<Vec<T>> {
        other.texts.iter().map(|text| self.intern(text)).collect()
    }
}

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool { texts: Vec::new(), ids: HashMap::new(), recent: None }
    }
}

/// Collects snap points, crimes and outcomes, then builds the index in one pass.
pub struct IndexBuilder {
    points: Vec<SnapPoint>,
    forces: Pool<u8>,
    contexts: Pool<u32>,
    /// Entry 0 is "no outcome".
    outcome_names: Pool<u16>,
    /// LSOA codes; entry 0 is "none".
    lsoas: Pool<u32>,
    /// The name of each entry of `lsoas`.
    lsoa_names: Vec<Box<str>>,
    crimes: Vec<StagedCrime>,
    /// The Crime ID of each of `crimes` with [`HEX_ID`], zeros for the others: apart from
    /// the crimes, so that [`write_records`] can put them in record order where they are.
    crime_hex_ids: Vec<[u8; 32]>,
    /// (position in `crimes`, context pool index) of the crimes with [`HAS_CONTEXT`], in
    /// order.
    crime_contexts: Vec<(u32, u32)>,
    /// (position in `crimes`, Crime ID) of the crimes with [`OTHER_ID`], in order.
    crime_other_ids: Vec<(u32, Box<str>)>,
    outcomes: Vec<StagedOutcome>,
    /// (position in `outcomes`, Crime ID) of the outcomes with [`OTHER_ID`], in order.
    outcome_other_ids: Vec<(u32, Box<str>)>,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        IndexBuilder::new()
    }
}

/// The value of each lowercase hex digit, [`NOT_HEX`] for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut values = [NOT_HEX; 256];
    let mut digit = 0;
    while digit < 16 {
        values[b"0123456789abcdef"[digit] as usize] = digit as u8;
        digit += 1;
    }
    values
};
const NOT_HEX: u8 = 0x80;

/// 64 lowercase hex digits as 32 bytes; `None` for anything else (upper case included:
/// police.uk answers 404 to an upper-cased id).
pub(super) fn decode_hex_id(text: &str) -> Option<[u8; 32]> {
    let bytes: &[u8; 64] = text.as_bytes().try_into().ok()?;
    let mut out = [0u8; 32];
    let mut seen = 0u8;
    for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (high, low) = (HEX_VALUES[pair[0] as usize], HEX_VALUES[pair[1] as usize]);
        seen |= high | low;
        *byte = high << 4 | low;
    }
    (seen & NOT_HEX == 0).then_some(out)
}

/// The first 8 bytes of a Crime ID, as a number that sorts like the bytes.
fn id_prefix(bytes: &[u8; 32]) -> u64 {
    u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"))
}

/// Sorts `(key, value)` pairs. Fast for keys spread evenly over their range (Crime IDs,
/// record positions): one counting pass on the keys' top bits, then each bucket sorted.
fn sort_pairs(pairs: &mut Vec<(u64, u32)>) {
    const BUCKET_BITS: u32 = 16;
    let (Some(min), Some(max)) = (pairs.iter().map(|p| p.0).min(), pairs.iter().map(|p| p.0).max())
    else {
        return;
    };
    let span_bits = u64::BITS - (max - min).leading_zeros();
    if pairs.len() < 1 << BUCKET_BITS || span_bits <= 1 {
        pairs.sort_unstable();
        return;
    }
    let shift = span_bits.saturating_sub(BUCKET_BITS);
    let bucket = |key: u64| ((key - min) >> shift) as usize;
    let mut starts = vec![0usize; (1 << BUCKET_BITS) + 1];
    for pair in pairs.iter() {
        starts[bucket(pair.0) + 1] += 1;
    }
    for b in 0..1 << BUCKET_BITS {
        starts[b + 1] += starts[b];
    }
    let mut sorted = vec![(0u64, 0u32); pairs.len()];
    let mut next = starts.clone();
    for &pair in pairs.iter() {
        let b = bucket(pair.0);
        sorted[next[b]] = pair;
        next[b] += 1;
    }
    for b in 0..1 << BUCKET_BITS {
        sorted[starts[b]..starts[b + 1]].sort_unstable();
    }
    *pairs = sorted;
}

/// A counting sort's buffers, kept from one use to the next (fewer, larger allocations).
#[derive(Default)]
struct Grouping {
    /// The items, grouped by key, in their order within a key.
    grouped: Vec<u32>,
    /// Where each key's group starts in `grouped`, then the end.
    starts: Vec<u32>,
    next: Vec<u32>,
}

impl Grouping {
    /// Groups the items `0..count` by a key below `key_count`.
    fn group(&mut self, count: usize, key_count: usize, key: impl Fn(usize) -> usize) {
        self.starts.clear();
        self.starts.resize(key_count + 1, 0);
        for i in 0..count {
            self.starts[key(i) + 1] += 1;
        }
        for k in 0..key_count {
            self.starts[k + 1] += self.starts[k];
        }
        self.next.clear();
        self.next.extend_from_slice(&self.starts);
        self.grouped.clear();
        self.grouped.resize(count, 0);
        for i in 0..count {
            let k = key(i);
            self.grouped[self.next[k] as usize] = i as u32;
            self.next[k] += 1;
        }
    }

    /// The items with a key, given it has been grouped.
    fn members(&self, key: usize) -> &[u32] {
        &self.grouped[self.starts[key] as usize..self.starts[key + 1] as usize]
    }
}

/// `list` followed by `more`: `more` itself when `list` is empty, so that appending a
/// builder's staged rows to an empty one (as a whole load does) does not copy them.
fn extend_or_take<T>(list: &mut Vec<T>, more: Vec<T>) {
    if list.is_empty() {
        *list = more;
    } else {
        list.extend(more);
    }
}

/// Position of `key` in a list of side entries sorted by it.
fn side_entry<T>(entries: &[(u32, T)], key: u32) -> &T {
    let i = entries.binary_search_by_key(&key, |(k, _)| *k).expect("staged with the flag");
    &entries[i].1
}

impl IndexBuilder {
    pub fn new() -> Self {
        IndexBuilder {
            points: Vec::new(),
            forces: Pool::default(),
            // Index 0 of both pools means "empty" / "none".
            contexts: Pool::starting_with(""),
            outcome_names: Pool::starting_with(""),
            lsoas: Pool::starting_with(""),
            lsoa_names: vec!["".into()],
            crimes: Vec::new(),
            crime_hex_ids: Vec::new(),
            crime_contexts: Vec::new(),
            crime_other_ids: Vec::new(),
            outcomes: Vec::new(),
            outcome_other_ids: Vec::new(),
        }
    }

    /// A builder for additions to `index` (see [`CrimeIndex::updated`]): it numbers texts
    /// (forces, contexts, outcome names, LSOAs) as `index` does, new ones after. Give it only
    /// the snap points `index` does not hold.
    pub fn continuing(index: &CrimeIndex) -> anyhow::Result<Self> {
        let (lsoa_codes, lsoa_names) = (index.lsoas.codes(), index.lsoas.names());
        Ok(IndexBuilder {
            forces: Pool::continuing(&index.forces, None)?,
            contexts: Pool::continuing(&index.contexts, Some(""))?,
            outcome_names: Pool::continuing(&index.outcome_names, Some(""))?,
            lsoas: Pool::continuing(lsoa_codes, Some(""))?,
            lsoa_names: if lsoa_names.is_empty() { vec!["".into()] } else { lsoa_names.to_vec() },
            ..IndexBuilder::new()
        })
    }

    /// Adds a snap point; crimes and outcomes refer to it by `point.id` (the last point added
    /// with an id is the one they refer to).
    pub fn add_point(&mut self, point: SnapPoint) {
        self.points.push(point);
    }

    fn month(month: Month) -> anyhow::Result<u16> {
        u16::try_from(month.index()).map_err(|_| anyhow::anyhow!("month {month} out of range"))
    }

    /// Stages a crime. Its location is looked up in [`IndexBuilder::build`], so it may be
    /// added before its snap point.
    pub fn add_crime(&mut self, crime: CrimeInput<'_>) -> anyhow::Result<()> {
        let id = u32::try_from(crime.id)
            .map_err(|_| anyhow::anyhow!("crime id {} does not fit the index", crime.id))?;
        let staged_position = u32::try_from(self.crimes.len())
            .map_err(|_| anyhow::anyhow!("too many crimes for the index"))?;
        let lsoa = match crime.lsoa_code.filter(|code| !code.is_empty()) {
            Some(code) => {
                let lsoa = self.lsoas.intern(code)?;
                if lsoa as usize == self.lsoa_names.len() {
                    self.lsoa_names.push(crime.lsoa_name.unwrap_or_default().into());
                }
                lsoa
            }
            None => 0,
        };
        let mut hex_id = [0; 32];
        let mut staged = StagedCrime {
            id,
            lsoa,
            location_id: crime.location_id.unwrap_or(0),
            last_outcome: match crime.last_outcome {
                Some(name) => self.outcome_names.intern(name)?,
                None => 0,
            },
            month: Self::month(crime.month)?,
            category: crime.category,
            force: self.forces.intern(crime.force_id)?,
            flags: if crime.location_id.is_some() { LOCATED } else { 0 },
        };
        if !crime.context.is_empty() {
            staged.flags |= HAS_CONTEXT;
            self.crime_contexts.push((staged_position, self.contexts.intern(crime.context)?));
        }
        match crime.persistent_id.filter(|p| !p.is_empty()) {
            None => {}
            Some(text) => match decode_hex_id(text) {
                Some(bytes) => {
                    hex_id = bytes;
                    staged.flags |= HEX_ID;
                }
                None => {
                    staged.flags |= OTHER_ID;
                    self.crime_other_ids.push((staged_position, text.into()));
                }
            },
        }
        self.crimes.push(staged);
        self.crime_hex_ids.push(hex_id);
        Ok(())
    }

    /// Stages an outcome. Its crime and location are looked up in [`IndexBuilder::build`].
    pub fn add_outcome(&mut self, outcome: OutcomeInput<'_>) -> anyhow::Result<()> {
        let staged_position = u32::try_from(self.outcomes.len())
            .map_err(|_| anyhow::anyhow!("too many outcomes for the index"))?;
        let mut staged = StagedOutcome {
            id_start: 0,
            id_digest: [0; 4],
            location_id: outcome.location_id.unwrap_or(0),
            month: Self::month(outcome.month)?,
            code: outcome.code,
            flags: if outcome.location_id.is_some() { LOCATED } else { 0 },
        };
        match decode_hex_id(outcome.persistent_id) {
            Some(bytes) => {
                staged.id_start = id_start(&bytes);
                staged.id_digest = id_digest(&bytes);
                staged.flags |= HEX_ID;
            }
            None => {
                staged.flags |= OTHER_ID;
                self.outcome_other_ids.push((staged_position, outcome.persistent_id.into()));
            }
        }
        self.outcomes.push(staged);
        Ok(())
    }

    /// Adds everything `other` was given, after what this builder was given: the same as
    /// having given it all to this builder in that order.
    pub fn append(&mut self, other: IndexBuilder) -> anyhow::Result<()> {
        self.points.extend(other.points);
        let forces = self.forces.merge(other.forces)?;
        let contexts = self.contexts.merge(other.contexts)?;
        let outcome_names = self.outcome_names.merge(other.outcome_names)?;
        let other_lsoa_names = other.lsoa_names;
        let lsoas = self.lsoas.merge(other.lsoas)?;
        for (old, &new) in lsoas.iter().enumerate() {
            if new as usize == self.lsoa_names.len() {
                self.lsoa_names.push(other_lsoa_names[old].clone());
            }
        }
        let crime_offset = u32::try_from(self.crimes.len() + other.crimes.len())
            .map(|_| self.crimes.len() as u32)
            .map_err(|_| anyhow::anyhow!("too many crimes for the index"))?;
        let mut added_crimes = other.crimes;
        for crime in &mut added_crimes {
            crime.force = forces[crime.force as usize];
            crime.last_outcome = outcome_names[crime.last_outcome as usize];
            crime.lsoa = lsoas[crime.lsoa as usize];
        }
        extend_or_take(&mut self.crimes, added_crimes);
        extend_or_take(&mut self.crime_hex_ids, other.crime_hex_ids);
        self.crime_contexts.extend(
            other
                .crime_contexts
                .into_iter()
                .map(|(position, context)| (position + crime_offset, contexts[context as usize])),
        );
        self.crime_other_ids.extend(
            other.crime_other_ids.into_iter().map(|(position, id)| (position + crime_offset, id)),
        );
        let outcome_offset = u32::try_from(self.outcomes.len() + other.outcomes.len())
            .map(|_| self.outcomes.len() as u32)
            .map_err(|_| anyhow::anyhow!("too many outcomes for the index"))?;
        extend_or_take(&mut self.outcomes, other.outcomes);
        self.outcome_other_ids.extend(
            other
                .outcome_other_ids
                .into_iter()
                .map(|(position, id)| (position + outcome_offset, id)),
        );
        Ok(())
    }

    /// Builds the index: places the crimes, writes their records, joins the outcomes to
    /// them and places the outcomes.
    pub fn build(self) -> anyhow::Result<CrimeIndex> {
        CrimeIndex::default().updated(self, |_| true)
    }
}

impl CrimeIndex {
    /// This index with `additions` added (from a builder made by
    /// [`IndexBuilder::continuing`] for this index) and, of this index's months, only those
    /// `keep` says: a month's publication and a retention window's oldest month going. Only
    /// the added months are built; every other month's records, Crime IDs, groups and
    /// outcomes are shared with this index (outcomes, and the records of crimes that have a
    /// new outcome, are copied when they change), so the update costs about what the added
    /// months cost, not the whole index. What is summarised over all months (counts by snap
    /// point, outcomes by crime, LSOAs' snap points) is worked out again.
    ///
    /// The answers are those of an index built from the same rows at once. Refused (build
    /// afresh instead) when the additions have crimes of a month not newer than every month
    /// this index holds, or outcomes of a month not newer than its outcome months, or when
    /// the LSOAs outgrow the narrow numbering.
    pub fn updated(
        &self,
        additions: IndexBuilder,
        keep: impl Fn(Month) -> bool,
    ) -> anyhow::Result<CrimeIndex> {
        let IndexBuilder {
            points: added_points,
            forces,
            contexts,
            outcome_names,
            lsoas,
            lsoa_names,
            crimes,
            crime_hex_ids,
            crime_contexts,
            crime_other_ids,
            outcomes,
            outcome_other_ids,
        } = additions;
        anyhow::ensure!(
            forces.texts.starts_with(&self.forces)
                && contexts.texts.starts_with(&self.contexts)
                && outcome_names.texts.starts_with(&self.outcome_names)
                && lsoas.texts.starts_with(self.lsoas.codes()),
            "the additions do not number texts as the index does (see IndexBuilder::continuing)"
        );
        let newest_outcome_month =
            self.outcome_months.iter().filter(|m| keep(m.month)).map(|m| m.month.index()).max();
        let newest_month = self
            .months
            .iter()
            .filter(|m| keep(m.month))
            .map(|m| m.month.index())
            .max()
            .max(newest_outcome_month);
        if let Some(newest) = newest_month {
            anyhow::ensure!(
                crimes.iter().all(|c| u32::from(c.month) > newest),
                "the additions have crimes of a month not newer than every month held"
            );
        }
        if let Some(newest) = newest_outcome_month {
            anyhow::ensure!(
                outcomes.iter().all(|o| u32::from(o.month) > newest),
                "the additions have outcomes of a month not newer than every outcome month held"
            );
        }

        let (points, point_by_id, spatial) = if added_points.is_empty() {
            (self.points.clone(), self.point_by_id.clone(), self.spatial.clone())
        } else {
            if let Some(point) = added_points.iter().find(|p| self.point_by_id.get(p.id).is_some())
            {
                anyhow::bail!("snap point {} is held already", point.id);
            }
            let mut points = self.points.clone();
            points.extend(added_points);
            let spatial = SpatialIndex::new(
                &points.iter().map(|p| (p.latitude, p.longitude)).collect::<Vec<_>>(),
            );
            let point_by_id = PointIds::new(points.iter().map(|p| p.id));
            (points, point_by_id, spatial)
        };
        let mut index = CrimeIndex {
            spatial,
            forces: forces.texts,
            contexts: contexts.texts,
            outcome_names: outcome_names.texts,
            lsoas: self.lsoas.continued(lsoas.texts, lsoa_names)?,
            ..CrimeIndex::default()
        };
        let removed: Vec<Range<u32>> =
            self.months.iter().filter(|m| !keep(m.month)).map(|m| m.start..m.end).collect();
        let is_removed = |position: u32| {
            let i = removed.partition_point(|r| r.end <= position);
            removed.get(i).is_some_and(|r| r.contains(&position))
        };
        let kept_months: Vec<&MonthCrimes> = self.months.iter().filter(|m| keep(m.month)).collect();

        // The added crimes, numbered from 0 until they are placed after this index's.
        let crime_points =
            points_of(&point_by_id, crimes.iter().map(|c| (c.flags, c.location_id)))?;
        let force_ranks = name_ranks(&index.forces);
        let mut added_months = Vec::new();
        let order =
            place_crimes(&crimes, &crime_points, points.len(), &force_ranks, &mut added_months);
        drop(crime_points);
        let staged = StagedSides { contexts: &crime_contexts, other_ids: &crime_other_ids };
        let written = write_records(crimes, crime_hex_ids, order, staged);
        drop(crime_contexts);
        drop(crime_other_ids);
        let base = self.records.end();
        anyhow::ensure!(
            u32::try_from(base as usize + written.records.len()).is_ok(),
            "too many crimes for the index"
        );
        let mut added_ids = month_ids(&added_months, written.hex_ids, &written.has_hex_id);
        for month in &mut added_months {
            month.start += base;
            month.located_end += base;
            month.end += base;
        }
        index.months = kept_months.iter().map(|m| (*m).clone()).collect();
        for (month, ids) in added_months.iter_mut().zip(added_ids.drain(..)) {
            month.ids = Arc::new(ids);
        }
        index.months.extend(added_months.iter().cloned());

        let kept = |position: &u32| !is_removed(*position);
        index.other_persistent_ids = self.other_persistent_ids.retained_then(
            kept,
            written.other_ids.into_iter().map(|(position, id)| (position + base, id)),
        );
        for (position, id) in index.other_persistent_ids.entries() {
            index.other_persistent_index.insert(id.clone(), *position);
        }
        index.record_contexts = self.record_contexts.retained_then(
            kept,
            written.contexts.into_iter().map(|(position, context)| (position + base, context)),
        );
        index.rare_last_outcomes = self.rare_last_outcomes.retained_then(
            kept,
            written.rare_last_outcomes.into_iter().map(|(position, name)| (position + base, name)),
        );

        // The added outcomes: joined to the crimes of every month now held, then placed
        // after this index's.
        let outcome_crimes = join_outcomes(&index, &outcomes, &outcome_other_ids);
        drop(outcome_other_ids);
        // Each outcome's snap point is looked up as it is placed, not held (22 million of
        // them at national scale); this checks first that every one is there.
        let outcome_point = |outcome: usize| {
            let staged = &outcomes[outcome];
            match staged.flags & LOCATED {
                0 => Some(NO_POINT),
                _ => point_by_id.get(staged.location_id),
            }
        };
        if let Some(missing) = (0..outcomes.len()).find(|&o| outcome_point(o).is_none()) {
            let location_id = outcomes[missing].location_id;
            anyhow::bail!("location {location_id} is referenced but not loaded");
        }
        let outcome_base = self.outcome_crimes.end();
        let placed = place_outcomes(
            &outcomes,
            &outcome_crimes,
            |outcome| outcome_point(outcome).unwrap_or(NO_POINT),
            points.len(),
        );
        anyhow::ensure!(
            u32::try_from(outcome_base as usize + placed.crimes.len()).is_ok(),
            "too many outcomes for the index"
        );
        for month in self.outcome_months.iter().filter(|m| keep(m.month)) {
            let crimes = &self.outcome_crimes[month.start as usize..month.end as usize];
            let codes = &self.outcome_codes[month.start as usize..month.end as usize];
            let shared =
                self.outcome_crimes.run_at(month.start).zip(self.outcome_codes.run_at(month.start));
            match (removed.is_empty() || !crimes.iter().any(|&c| is_removed(c)), shared) {
                (true, Some((crimes, codes))) => {
                    index.outcome_crimes.push_run(month.start, Arc::clone(crimes));
                    index.outcome_codes.push_run(month.start, Arc::clone(codes));
                    index.outcome_months.push(month.clone());
                }
                _ => {
                    let (filtered, kept_crimes, kept_codes) =
                        without_crimes(month, crimes, codes, &is_removed, points.len());
                    index.outcome_crimes.push_run(month.start, kept_crimes.into());
                    index.outcome_codes.push_run(month.start, kept_codes.into());
                    index.outcome_months.push(filtered);
                }
            }
        }
        for mut month in placed.months {
            let range = month.start as usize..month.end as usize;
            month.start += outcome_base;
            month.end += outcome_base;
            index.outcome_crimes.push_run(month.start, placed.crimes[range.clone()].into());
            index.outcome_codes.push_run(month.start, placed.codes[range].into());
            index.outcome_months.push(month);
        }
        drop(placed.crimes);
        drop(placed.codes);

        // Each crime's latest outcome month (`Month::index() + 1`), for the crimes whose
        // outcomes changed: those that lost one with a month dropped (worked out again from
        // the outcomes kept) and those with an added one (whose months are the newest held,
        // so theirs is the latest). 0: unchanged.
        let first_position = index.months.first().map_or(0, |m| m.start);
        let end_position = index.months.last().map_or(0, |m| m.end);
        let mut latest = vec![0u16; (end_position - first_position) as usize];
        for month in self.outcome_months.iter().filter(|m| !keep(m.month)) {
            for &crime in &self.outcome_crimes[month.start as usize..month.end as usize] {
                if !is_removed(crime) {
                    latest[(crime - first_position) as usize] = NO_OUTCOME_LEFT;
                }
            }
        }
        for (offset, slot) in latest.iter_mut().enumerate() {
            if *slot == NO_OUTCOME_LEFT {
                let crime = first_position + offset as u32;
                let kept_latest =
                    self.outcomes_of(crime).map(|(month, _)| month).filter(|&m| keep(m)).max();
                if let Some(month) = kept_latest {
                    *slot = month.index() as u16 + 1;
                }
            }
        }
        for (outcome, &crime) in outcome_crimes.iter().enumerate() {
            if crime != NO_CRIME {
                let slot = &mut latest[(crime - first_position) as usize];
                let month = outcomes[outcome].month + 1;
                *slot = if *slot == NO_OUTCOME_LEFT { month } else { (*slot).max(month) };
            }
        }
        drop(outcome_crimes);
        drop(outcomes);
        let mut distant = Vec::new();
        let mut records = written.records;
        for (i, month) in index.months.iter_mut().enumerate() {
            let range =
                (month.start - first_position) as usize..(month.end - first_position) as usize;
            let month_latest = &latest[range];
            let is_added = i >= kept_months.len();
            if !is_added && month_latest.iter().all(|&l| l == 0) {
                let run = self.records.run_at(month.start).expect("a held month has records");
                month.records = Arc::clone(run);
                index.records.push_run(month.start, Arc::clone(run));
                continue;
            }
            let mut run = if is_added {
                records[(month.start - base) as usize..(month.end - base) as usize].to_vec()
            } else {
                self.records[month.start as usize..month.end as usize].to_vec()
            };
            let crime_month = month.month.index();
            for (offset, (record, &latest)) in run.iter_mut().zip(month_latest).enumerate() {
                let delta = match latest {
                    0 => continue,
                    NO_OUTCOME_LEFT => 0,
                    _ => match (u32::from(latest) - 1).checked_sub(crime_month) {
                        Some(delta) if delta < u32::from(CrimeRecord::OUTCOME_MONTH_ELSEWHERE) => {
                            delta as u8
                        }
                        _ => {
                            distant.push((month.start + offset as u32, latest - 1));
                            CrimeRecord::OUTCOME_MONTH_ELSEWHERE
                        }
                    },
                };
                record.flags = record.flags & !(u8::MAX << CrimeRecord::OUTCOME_MONTH_SHIFT)
                    | delta << CrimeRecord::OUTCOME_MONTH_SHIFT;
            }
            month.records = run.into();
            index.records.push_run(month.start, Arc::clone(&month.records));
        }
        records.clear();
        records.shrink_to_fit();
        let has_new_latest = |position: &u32| latest[(*position - first_position) as usize] != 0;
        index.distant_outcome_months = self
            .distant_outcome_months
            .retained_then(|position| kept(position) && !has_new_latest(position), [])
            .merged(distant);
        drop(latest);

        for month in &kept_months {
            self.lsoas.share_run(&mut index.lsoas, month.start);
        }
        for month in &added_months {
            let range = (month.start - base) as usize..(month.end - base) as usize;
            index.lsoas.push_run(month.start, &written.record_lsoas[range]);
        }
        drop(written.record_lsoas);

        let mut outcome_months = std::mem::take(&mut index.outcome_months);
        index.outcomes_by_crime =
            outcomes_by_crime(&outcome_months, &index.outcome_crimes, &index.outcome_codes);
        index.orphan_outcomes = outcome_months.iter().map(|m| m.orphans).sum();
        outcome_months.shrink_to_fit();
        index.outcome_months = outcome_months;
        index.point_counts =
            super::point_counts::PointCounts::new(&index.months, &index.records, points.len());
        index.lsoas.place_points(&index.months, &index.records);
        index.points = points;
        index.points.shrink_to_fit();
        index.point_by_id = point_by_id;
        Ok(index)
    }
}

/// The snap point (position in `points`) of each staged `(flags, location_id)`, [`NO_POINT`]
/// for those not [`LOCATED`].
fn points_of(
    point_by_id: &PointIds,
    staged: impl Iterator<Item = (u8, i32)>,
) -> anyhow::Result<Vec<u32>> {
    staged
        .map(|(flags, location_id)| {
            if flags & LOCATED == 0 {
                return Ok(NO_POINT);
            }
            point_by_id.get(location_id).ok_or_else(|| {
                anyhow::anyhow!("location {location_id} is referenced but not loaded")
            })
        })
        .collect()
}

/// The builder's side entries of the staged crimes, by staged position.
#[derive(Clone, Copy)]
struct StagedSides<'a> {
    contexts: &'a [(u32, u32)],
    other_ids: &'a [(u32, Box<str>)],
}

/// Crimes written as records, numbered from 0 in the order they were placed in.
struct Written {
    records: Vec<CrimeRecord>,
    /// The 64-hex-digit Crime IDs, in record order.
    hex_ids: Vec<[u8; 32]>,
    /// Which records have one of them (a bit per record position).
    has_hex_id: Vec<u64>,
    /// (position, Crime ID) of the records with another form of Crime ID.
    other_ids: Vec<(u32, Box<str>)>,
    /// (position, context pool index) of the records with a context.
    contexts: Vec<(u32, u32)>,
    /// (position, outcome name pool index) of the records whose index does not fit a byte.
    rare_last_outcomes: Vec<(u32, u32)>,
    /// Each record's LSOA number.
    record_lsoas: Vec<u32>,
}

/// Staged rows given back to the allocator at a time while records are written.
const SHRINK_EVERY: usize = 1 << 20;

/// Writes the crimes' records in `order` (staged positions), with their side entries. The
/// staged crimes and their Crime IDs are put in record order in place; the records are then
/// written from the last, the staged rows and `order` shrinking as the records grow, so the
/// staged and the written crimes are not both held whole (at national scale, 200 MB less at
/// the peak of a whole load).
fn write_records(
    mut crimes: Vec<StagedCrime>,
    mut hex_ids: Vec<[u8; 32]>,
    mut order: Vec<u32>,
    staged: StagedSides<'_>,
) -> Written {
    let count = order.len();
    let mut has_hex_id = RankedBits::empty_words(count);
    for (position, &staged_position) in order.iter().enumerate() {
        if crimes[staged_position as usize].flags & HEX_ID != 0 {
            RankedBits::set_in(&mut has_hex_id, position);
        }
    }
    permute_in_place(&mut hex_ids, &order);
    let hex_ids = keep_where(hex_ids, &has_hex_id);
    permute_in_place(&mut crimes, &order);
    let mut written = Written {
        records: Vec::new(),
        hex_ids,
        has_hex_id,
        other_ids: Vec::new(),
        contexts: Vec::new(),
        rare_last_outcomes: Vec::new(),
        record_lsoas: Vec::new(),
    };
    while let (Some(crime), Some(staged_position)) = (crimes.pop(), order.pop()) {
        let position = crimes.len() as u32;
        let mut record = CrimeRecord {
            id: crime.id,
            category: crime.category,
            force: crime.force,
            last_outcome: 0,
            flags: 0,
        };
        match u8::try_from(crime.last_outcome) {
            Ok(inline) if inline != CrimeRecord::LAST_OUTCOME_ELSEWHERE => {
                record.last_outcome = inline;
            }
            _ => {
                record.last_outcome = CrimeRecord::LAST_OUTCOME_ELSEWHERE;
                written.rare_last_outcomes.push((position, u32::from(crime.last_outcome)));
            }
        }
        if crime.flags & HAS_CONTEXT != 0 {
            record.flags |= CrimeRecord::HAS_CONTEXT;
            written.contexts.push((position, *side_entry(staged.contexts, staged_position)));
        }
        if crime.flags & OTHER_ID != 0 {
            record.flags |= CrimeRecord::OTHER_ID;
            written
                .other_ids
                .push((position, side_entry(staged.other_ids, staged_position).clone()));
        }
        written.records.push(record);
        written.record_lsoas.push(crime.lsoa);
        if crimes.len().is_multiple_of(SHRINK_EVERY) {
            crimes.shrink_to_fit();
            order.shrink_to_fit();
        }
    }
    written.records.reverse();
    written.record_lsoas.reverse();
    written.rare_last_outcomes.reverse();
    written.contexts.reverse();
    written.other_ids.reverse();
    debug_assert_eq!(written.records.len(), count);
    written
}

/// Puts `items` in `order` in place: `order[i]` is the position the `i`th item comes from,
/// each position once.
fn permute_in_place<T: Copy>(items: &mut [T], order: &[u32]) {
    debug_assert_eq!(items.len(), order.len());
    let mut placed = RankedBits::empty_words(items.len());
    for cycle_start in 0..items.len() {
        if RankedBits::is_set_in(&placed, cycle_start) {
            continue;
        }
        // Follow the cycle: each slot takes the item `order` names, the last the first's.
        let first = items[cycle_start];
        let mut slot = cycle_start;
        loop {
            RankedBits::set_in(&mut placed, slot);
            let from = order[slot] as usize;
            if from == cycle_start {
                items[slot] = first;
                break;
            }
            items[slot] = items[from];
            slot = from;
        }
    }
}

/// The items whose bit is set in `kept` (a bit per position), in place.
fn keep_where<T: Copy>(mut items: Vec<T>, kept: &[u64]) -> Vec<T> {
    let mut count = 0;
    for i in 0..items.len() {
        if RankedBits::is_set_in(kept, i) {
            items[count] = items[i];
            count += 1;
        }
    }
    items.truncate(count);
    items.shrink_to_fit();
    items
}

/// Each placed month's Crime IDs (`months` numbered as the bits of `has_hex_id`, which say
/// which records have one). The months are split off the end of `hex_ids` one at a time,
/// so they are not all held twice.
fn month_ids(
    months: &[MonthCrimes],
    mut hex_ids: Vec<[u8; 32]>,
    has_hex_id: &[u64],
) -> Vec<MonthIds> {
    let mut ids_by_month: Vec<MonthIds> = months
        .iter()
        .rev()
        .map(|month| {
            let mut words = RankedBits::empty_words((month.end - month.start) as usize);
            let mut count = 0;
            for position in month.start..month.end {
                if RankedBits::is_set_in(has_hex_id, position as usize) {
                    let local = (position - month.start) as usize;
                    RankedBits::set_in(&mut words, local);
                    count += 1;
                }
            }
            let first = hex_ids.len() - count;
            let ids = hex_ids[first..].to_vec();
            hex_ids.truncate(first);
            hex_ids.shrink_to_fit();
            let order = persistent_id_order(&ids).into_iter().map(|(_, k)| k).collect();
            MonthIds { records: RankedBits::new(words), ids, order }
        })
        .collect();
    ids_by_month.reverse();
    ids_by_month
}

/// The persistent-id index: `hex_ids` entries by (Crime ID, record order), each with its
/// id's first 8 bytes.
fn persistent_id_order(hex_ids: &[[u8; 32]]) -> Vec<(u64, u32)> {
    let mut by_id: Vec<(u64, u32)> =
        hex_ids.iter().enumerate().map(|(k, id)| (id_prefix(id), k as u32)).collect();
    sort_pairs(&mut by_id);
    for run in by_id.chunk_by_mut(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        run.sort_unstable_by(|a, b| {
            hex_ids[a.1 as usize].cmp(&hex_ids[b.1 as usize]).then(a.1.cmp(&b.1))
        });
    }
    by_id
}

/// The first position at or after `from` in `sorted` not below `key`: a search that costs
/// the log of the distance moved, so a month's Crime IDs walk the outcomes' sorted IDs in
/// one pass however few they are.
fn gallop(sorted: &[u64], from: usize, key: u64) -> usize {
    let mut low = from;
    let mut step = 1;
    while low + step < sorted.len() && sorted[low + step] < key {
        low += step;
        step *= 2;
    }
    let high = (low + step + 1).min(sorted.len());
    low + sorted[low.min(high)..high].partition_point(|&p| p < key)
}

/// Each outcome's crime: the first record (in record order, so the oldest month first)
/// with its Crime ID among `index`'s months, [`NO_CRIME`] when there is none.
fn join_outcomes(
    index: &CrimeIndex,
    outcomes: &[StagedOutcome],
    outcome_other_ids: &[(u32, Box<str>)],
) -> Vec<u32> {
    let mut outcome_crimes = vec![NO_CRIME; outcomes.len()];
    // The outcomes by their Crime ID's first four bytes, each as (those bytes << 32 |
    // outcome), sorted in place: 8 bytes an outcome (equal starts are told apart by the IDs'
    // digests below).
    let mut outcomes_by_id: Vec<u64> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.flags & HEX_ID != 0)
        .map(|(i, o)| u64::from(o.id_start) << 32 | i as u64)
        .collect();
    outcomes_by_id.sort_unstable();
    if !outcomes_by_id.is_empty() {
        for month in &index.months {
            let ids = &month.ids;
            let mut next = 0;
            for &k in &ids.order {
                let id = &ids.ids[k as usize];
                let key = u64::from(id_start(id));
                next = gallop(&outcomes_by_id, next, key << 32);
                if next == outcomes_by_id.len() {
                    break;
                }
                let mut digest = None;
                for &entry in outcomes_by_id[next..].iter().take_while(|&&e| e >> 32 == key) {
                    let outcome = (entry & u64::from(u32::MAX)) as usize;
                    let slot = &mut outcome_crimes[outcome];
                    let digest = *digest.get_or_insert_with(|| id_digest(id));
                    if *slot == NO_CRIME && outcomes[outcome].id_digest == digest {
                        *slot = month.start + ids.records.select(k);
                    }
                }
            }
        }
    }
    drop(outcomes_by_id);
    for (outcome, id) in outcome_other_ids {
        if let Some(&position) = index.other_persistent_index.get(id) {
            outcome_crimes[*outcome as usize] = position;
        }
    }
    outcome_crimes
}

/// Each name's rank among `names` in text order (ties: the earlier first).
fn name_ranks(names: &[Box<str>]) -> Vec<u8> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by_key(|&i| &names[i]);
    let mut ranks = vec![0u8; names.len()];
    for (rank, i) in order.into_iter().enumerate() {
        ranks[i] = u8::try_from(rank).unwrap_or(u8::MAX);
    }
    ranks
}

/// Orders the crimes by (month, snap point, force id, crime id), those without a point last
/// in their month, and describes each month in `months`: the staged positions in that order.
/// The order depends on the rows only, not on the order they were added in (forces are
/// numbered as first seen, so they are ordered by `force_ranks`, their ids' text order):
/// `/api/v2/crimes`'s cursors rely on it.
fn place_crimes(
    crimes: &[StagedCrime],
    crime_points: &[u32],
    point_count: usize,
    force_ranks: &[u8],
    months: &mut Vec<MonthCrimes>,
) -> Vec<u32> {
    let Some(first_month) = crimes.iter().map(|c| c.month).min() else { return Vec::new() };
    let last_month = crimes.iter().map(|c| c.month).max().unwrap_or(first_month);
    let month_count = usize::from(last_month - first_month) + 1;
    let mut by_month = Grouping::default();
    by_month.group(crimes.len(), month_count, |i| usize::from(crimes[i].month - first_month));
    let mut by_point = Grouping::default();
    let point_slot = |point: u32| if point == NO_POINT { point_count } else { point as usize };
    let mut order = Vec::with_capacity(crimes.len());
    for slot in 0..month_count {
        let month_crimes = by_month.members(slot);
        if month_crimes.is_empty() {
            continue;
        }
        by_point.group(month_crimes.len(), point_count + 1, |i| {
            point_slot(crime_points[month_crimes[i] as usize])
        });
        let start = order.len() as u32;
        for point in 0..=point_count {
            let group_start = order.len();
            order.extend(by_point.members(point).iter().map(|&i| month_crimes[i as usize]));
            if order.len() - group_start > 1 {
                order[group_start..].sort_unstable_by_key(|&c| {
                    let crime = &crimes[c as usize];
                    (force_ranks.get(usize::from(crime.force)).copied(), crime.id)
                });
            }
        }
        let located = by_point.starts[point_count];
        let mut forces = ForceSet::default();
        let mut force_counts: Vec<(u8, [u32; CATEGORY_COUNT])> = Vec::new();
        for &c in &order[start as usize..] {
            let crime = &crimes[c as usize];
            forces.insert(crime.force);
            let slot = match force_counts.binary_search_by_key(&crime.force, |(f, _)| *f) {
                Ok(slot) => slot,
                Err(slot) => {
                    force_counts.insert(slot, (crime.force, [0; CATEGORY_COUNT]));
                    slot
                }
            };
            if let Some(count) = force_counts[slot].1.get_mut(usize::from(crime.category)) {
                *count += 1;
            }
        }
        force_counts.shrink_to_fit();
        months.push(MonthCrimes {
            forces,
            force_counts,
            month: Month::from_index(u32::from(first_month) + slot as u32)
                .expect("staged from a Month"),
            start,
            located_end: start + located,
            end: order.len() as u32,
            groups: Arc::new(PointGroups::from_starts(&by_point.starts[..=point_count])),
            ids: Arc::default(),
            // Set once the month's records are written.
            records: Arc::from(Vec::new()),
        });
    }
    order
}

/// Outcomes placed in the index's order, numbered from 0.
struct PlacedOutcomes {
    months: Vec<MonthOutcomes>,
    crimes: Vec<u32>,
    codes: Vec<u8>,
}

/// Places outcomes: by month recorded, then snap point (those without one last in their
/// month), then crime. Outcomes without a crime are left out (counted in their month's
/// `orphans`).
fn place_outcomes(
    outcomes: &[StagedOutcome],
    outcome_crimes: &[u32],
    outcome_point: impl Fn(usize) -> u32,
    point_count: usize,
) -> PlacedOutcomes {
    let mut placed = PlacedOutcomes { months: Vec::new(), crimes: Vec::new(), codes: Vec::new() };
    let (Some(first_month), Some(last_month)) =
        (outcomes.iter().map(|o| o.month).min(), outcomes.iter().map(|o| o.month).max())
    else {
        return placed;
    };
    let month_count = usize::from(last_month - first_month) + 1;
    let mut orphans = vec![0u64; month_count];
    for (outcome, &crime) in outcomes.iter().zip(outcome_crimes) {
        if crime == NO_CRIME {
            orphans[usize::from(outcome.month - first_month)] += 1;
        }
    }
    // By month, the outcomes without a crime in a last group of their own (left out).
    let mut by_month = Grouping::default();
    by_month.group(outcomes.len(), month_count + 1, |o| match outcome_crimes[o] {
        NO_CRIME => month_count,
        _ => usize::from(outcomes[o].month - first_month),
    });
    let kept = by_month.starts[month_count] as usize;
    let mut by_point = Grouping::default();
    let point_slot = |point: u32| if point == NO_POINT { point_count } else { point as usize };
    placed.crimes.reserve_exact(kept);
    placed.codes.reserve_exact(kept);
    let mut members: Vec<(u32, u8)> = Vec::new();
    for (slot, &month_orphans) in orphans.iter().enumerate() {
        let month_outcomes = by_month.members(slot);
        if month_outcomes.is_empty() {
            // A month whose outcomes all lack their crime still counts them.
            if month_orphans > 0 {
                let month = Month::from_index(u32::from(first_month) + slot as u32)
                    .expect("staged from a Month");
                let at = placed.crimes.len() as u32;
                placed.months.push(MonthOutcomes {
                    month,
                    start: at,
                    end: at,
                    groups: Arc::default(),
                    orphans: month_orphans,
                });
            }
            continue;
        }
        let outcome = |i: u32| month_outcomes[i as usize] as usize;
        by_point.group(month_outcomes.len(), point_count + 1, |i| {
            point_slot(outcome_point(outcome(i as u32)))
        });
        let start = placed.crimes.len() as u32;
        for point in 0..=point_count {
            members.clear();
            members.extend(by_point.members(point).iter().map(|&i| {
                let o = outcome(i);
                (outcome_crimes[o], outcomes[o].code)
            }));
            members.sort_unstable();
            for &(crime, code) in &members {
                placed.crimes.push(crime);
                placed.codes.push(code);
            }
        }
        placed.months.push(MonthOutcomes {
            month: Month::from_index(u32::from(first_month) + slot as u32)
                .expect("staged from a Month"),
            start,
            end: placed.crimes.len() as u32,
            groups: Arc::new(PointGroups::from_starts(&by_point.starts[..=point_count])),
            orphans: month_orphans,
        });
    }
    placed
}

/// A month of outcomes (`crimes` and `codes` its entries) without those whose crime is
/// `removed`: they become orphans, as they are in an index built without those crimes.
fn without_crimes(
    month: &MonthOutcomes,
    crimes: &[u32],
    codes: &[u8],
    removed: &impl Fn(u32) -> bool,
    point_count: usize,
) -> (MonthOutcomes, Vec<u32>, Vec<u8>) {
    let mut kept_crimes = Vec::with_capacity(crimes.len());
    let mut kept_codes = Vec::with_capacity(crimes.len());
    let mut starts = vec![0u32; point_count + 1];
    let mut keep = |entry: u32| {
        let crime = crimes[entry as usize];
        let kept = !removed(crime);
        if kept {
            kept_crimes.push(crime);
            kept_codes.push(codes[entry as usize]);
        }
        kept
    };
    for (point, group) in month.groups.iter() {
        starts[point as usize + 1] = group.filter(|&entry| keep(entry)).count() as u32;
    }
    for p in 0..point_count {
        starts[p + 1] += starts[p];
    }
    let unlocated = month.groups.end()..(month.end - month.start);
    let unlocated_kept = unlocated.filter(|&entry| keep(entry)).count();
    let located = starts[point_count] as usize;
    debug_assert_eq!(located + unlocated_kept, kept_crimes.len());
    let orphans = month.orphans + (crimes.len() - kept_crimes.len()) as u64;
    kept_crimes.shrink_to_fit();
    kept_codes.shrink_to_fit();
    let filtered = MonthOutcomes {
        month: month.month,
        start: month.start,
        end: month.start + kept_crimes.len() as u32,
        groups: Arc::new(PointGroups::from_starts(&starts)),
        orphans,
    };
    (filtered, kept_crimes, kept_codes)
}

/// Outcome positions, sorted by (crime, month, code).
fn outcomes_by_crime(
    months: &[MonthOutcomes],
    crimes: &Segments<u32>,
    codes: &Segments<u8>,
) -> Vec<u32> {
    let mut by_crime: Vec<(u64, u32)> = months
        .iter()
        .flat_map(|month| {
            let month_index = u64::from(month.month.index());
            (month.start..month.end).map(move |o| {
                let key = u64::from(crimes[o as usize]) << 32
                    | month_index << 8
                    | u64::from(codes[o as usize]);
                (key, o)
            })
        })
        .collect();
    sort_pairs(&mut by_crime);
    by_crime.into_iter().map(|(_, o)| o).collect()
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::{
        decode_hex_id, id_digest, keep_where, permute_in_place, sort_pairs, StagedCrime,
        StagedOutcome,
    };
    use crate::crimes::compact::RankedBits;
    use crate::testing::check;

    #[test]
    fn only_64_lowercase_hex_digits_decode() {
        let id = "00ff10a0".repeat(8);
        let bytes = decode_hex_id(&id).unwrap();
        assert_eq!(bytes[..4], [0x00, 0xff, 0x10, 0xa0]);
        assert!(decode_hex_id(&id.to_uppercase()).is_none());
        assert!(decode_hex_id(&id[1..]).is_none());
        assert!(decode_hex_id(&format!("{}g", &id[1..])).is_none());
        assert!(decode_hex_id(&format!("{}é", &id[2..])).is_none());
    }

    #[test]
    fn crime_ids_differing_in_one_word_have_different_digests() {
        let cases = (any::<[u8; 32]>(), 0..4usize, any::<u64>());
        check(256, cases, |(id, word, value)| {
            let mut other = id;
            other[word * 8..word * 8 + 8].copy_from_slice(&value.to_le_bytes());
            prop_assert_eq!(id_digest(&id) == id_digest(&other), id == other);
            Ok(())
        });
    }

    #[test]
    fn staged_rows_stay_small() {
        // A whole load holds every crime and outcome staged at once.
        assert_eq!(std::mem::size_of::<StagedCrime>(), 20);
        assert_eq!(std::mem::size_of::<StagedOutcome>(), 28);
    }

    #[test]
    fn permuting_and_keeping_equals_picking_in_order() {
        let lists = (0..300usize).prop_flat_map(|len| {
            (Just((0..len as u32).collect::<Vec<u32>>()).prop_shuffle(), vec(any::<bool>(), len))
        });
        check(48, lists, |(order, kept)| {
            let items: Vec<u64> = (0..order.len() as u64).map(|i| i * 1000 + 7).collect();
            let expected: Vec<u64> = order
                .iter()
                .zip(&kept)
                .filter(|(_, &keep)| keep)
                .map(|(&from, _)| items[from as usize])
                .collect();
            let mut bits = RankedBits::empty_words(kept.len());
            for (i, _) in kept.iter().enumerate().filter(|(_, &keep)| keep) {
                RankedBits::set_in(&mut bits, i);
            }
            let mut permuted = items;
            permute_in_place(&mut permuted, &order);
            prop_assert_eq!(keep_where(permuted, &bits), expected);
            Ok(())
        });
    }

    #[test]
    fn sort_pairs_equals_a_plain_sort() {
        // Short lists take the plain sort, long ones (2^16 and more) the bucket sort; keys
        // below a spread of 1 (all equal), 1000 (many repeats) or up to 2^64.
        let lengths = prop_oneof![0..100usize, (1usize << 16)..(1 << 16) + 5_000];
        let spreads = prop_oneof![Just(u64::MAX), Just(1000), Just(1), any::<u64>()];
        let keys = (lengths, spreads).prop_flat_map(|(len, spread)| vec(0..spread.max(1), len));
        check(24, keys, |keys| {
            let mut pairs: Vec<(u64, u32)> =
                keys.into_iter().enumerate().map(|(i, key)| (key, i as u32)).collect();
            let mut expected = pairs.clone();
            expected.sort_unstable();
            sort_pairs(&mut pairs);
            prop_assert_eq!(pairs, expected);
            Ok(())
        });
    }
}
