//! Building a [`CrimeIndex`] from plain values.
//!
//! The builder only stages what it is given; [`IndexBuilder::build`] then places the crimes
//! with counting sorts (by month, then snap point) rather than comparison sorts, and joins
//! outcomes to crimes by merging two lists sorted by Crime ID. Builders filled apart (say
//! one per `COPY` stream, on threads of their own) are combined with
//! [`IndexBuilder::append`].

use std::collections::HashMap;

use super::compact::{PointGroups, PointIds, PositionMap, RankedBits};
use super::lsoa::Lsoas;
use super::select::ForceSet;
use super::{CrimeIndex, CrimeRecord, MonthCrimes, MonthOutcomes, SnapPoint, CATEGORY_COUNT};
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
const NO_CRIME: u32 = u32::MAX;

/// Flags of staged crimes and outcomes.
const HEX_ID: u8 = 1;
/// A Crime ID that is not 64 hex digits: in the builder's `other_ids`.
const OTHER_ID: u8 = 2;
const LOCATED: u8 = 4;
/// A crime whose context is not `""`: in the builder's `crime_contexts`.
const HAS_CONTEXT: u8 = 8;

/// A crime as given, with its text interned (52 bytes).
#[derive(Clone, Copy)]
struct StagedCrime {
    hex_id: [u8; 32],
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

/// An outcome as given (40 bytes).
#[derive(Clone, Copy)]
struct StagedOutcome {
    hex_id: [u8; 32],
    /// `locations.id`, when [`LOCATED`].
    location_id: i32,
    /// `Month::index()`.
    month: u16,
    code: u8,
    flags: u8,
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
            crime_contexts: Vec::new(),
            crime_other_ids: Vec::new(),
            outcomes: Vec::new(),
            outcome_other_ids: Vec::new(),
        }
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
        let mut staged = StagedCrime {
            hex_id: [0; 32],
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
                    staged.hex_id = bytes;
                    staged.flags |= HEX_ID;
                }
                None => {
                    staged.flags |= OTHER_ID;
                    self.crime_other_ids.push((staged_position, text.into()));
                }
            },
        }
        self.crimes.push(staged);
        Ok(())
    }

    /// Stages an outcome. Its crime and location are looked up in [`IndexBuilder::build`].
    pub fn add_outcome(&mut self, outcome: OutcomeInput<'_>) -> anyhow::Result<()> {
        let staged_position = u32::try_from(self.outcomes.len())
            .map_err(|_| anyhow::anyhow!("too many outcomes for the index"))?;
        let mut staged = StagedOutcome {
            hex_id: [0; 32],
            location_id: outcome.location_id.unwrap_or(0),
            month: Self::month(outcome.month)?,
            code: outcome.code,
            flags: if outcome.location_id.is_some() { LOCATED } else { 0 },
        };
        match decode_hex_id(outcome.persistent_id) {
            Some(bytes) => {
                staged.hex_id = bytes;
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
        self.crimes.extend(other.crimes.into_iter().map(|mut crime| {
            crime.force = forces[crime.force as usize];
            crime.last_outcome = outcome_names[crime.last_outcome as usize];
            crime.lsoa = lsoas[crime.lsoa as usize];
            crime
        }));
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
        self.outcomes.extend(other.outcomes);
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
        let IndexBuilder {
            points,
            forces,
            contexts,
            outcome_names,
            lsoas,
            lsoa_names,
            crimes,
            crime_contexts,
            crime_other_ids,
            outcomes,
            outcome_other_ids,
        } = self;
        let spatial = SpatialIndex::new(
            &points.iter().map(|p| (p.latitude, p.longitude)).collect::<Vec<_>>(),
        );
        let point_by_id = PointIds::new(points.iter().map(|p| p.id));
        let mut index = CrimeIndex {
            spatial,
            forces: forces.texts,
            contexts: contexts.texts,
            outcome_names: outcome_names.texts,
            lsoas: Lsoas::new(lsoas.texts, lsoa_names),
            ..CrimeIndex::default()
        };

        let crime_points =
            points_of(&point_by_id, crimes.iter().map(|c| (c.flags, c.location_id)))?;
        let force_ranks = name_ranks(&index.forces);
        let order =
            place_crimes(&crimes, &crime_points, points.len(), &force_ranks, &mut index.months);
        drop(crime_points);
        let staged = StagedSides { contexts: &crime_contexts, other_ids: &crime_other_ids };
        let (mut records, hex_ids, hex_positions) =
            write_records(&mut index, crimes, order, staged);
        let by_id = persistent_id_order(&hex_ids);

        let outcome_crimes = join_outcomes(
            &index,
            &outcomes,
            &outcome_other_ids,
            PersistentIds { hex_ids: &hex_ids, by_id: &by_id, positions: hex_positions },
        );
        index.hex_id_order = by_id.into_iter().map(|(_, k)| k).collect();
        index.hex_ids = hex_ids;

        let outcome_points =
            points_of(&point_by_id, outcomes.iter().map(|o| (o.flags, o.location_id)))?;
        index.orphan_outcomes = outcome_crimes.iter().filter(|&&c| c == NO_CRIME).count() as u64;
        place_outcomes(&mut index, &outcomes, &outcome_crimes, &outcome_points, points.len());
        drop(outcome_points);

        set_outcome_months(&mut index, &mut records, &outcomes, &outcome_crimes);
        index.records = records;
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

/// The records' 64-hex-digit Crime IDs: the ids in record order, their order by id, and the
/// record position of each.
struct PersistentIds<'a> {
    hex_ids: &'a [[u8; 32]],
    /// `(id_prefix, entry of hex_ids)` sorted by (Crime ID, record order).
    by_id: &'a [(u64, u32)],
    /// Record position of each entry of `hex_ids`.
    positions: Vec<u32>,
}

/// Writes the crimes' records in `order` (staged positions) and fills the index's side
/// tables for them; returns the records, their 64-hex-digit Crime IDs in record order and
/// the record position of each of those.
fn write_records(
    index: &mut CrimeIndex,
    crimes: Vec<StagedCrime>,
    order: Vec<u32>,
    staged: StagedSides<'_>,
) -> (Vec<CrimeRecord>, Vec<[u8; 32]>, Vec<u32>) {
    let mut records = Vec::with_capacity(order.len());
    let mut hex_words = RankedBits::empty_words(order.len());
    let hex_count = crimes.iter().filter(|c| c.flags & HEX_ID != 0).count();
    let mut hex_ids = Vec::with_capacity(hex_count);
    // Record position of each entry of `hex_ids`, until the outcomes are joined.
    let mut hex_positions = Vec::with_capacity(hex_count);
    let mut record_contexts = Vec::new();
    let mut other_ids = Vec::new();
    let mut rare_last_outcomes = Vec::new();
    let mut record_lsoas = Vec::with_capacity(order.len());
    for (position, &staged_position) in order.iter().enumerate() {
        let crime = &crimes[staged_position as usize];
        let position = position as u32;
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
                rare_last_outcomes.push((position, u32::from(crime.last_outcome)));
            }
        }
        if crime.flags & HAS_CONTEXT != 0 {
            record.flags |= CrimeRecord::HAS_CONTEXT;
            record_contexts.push((position, *side_entry(staged.contexts, staged_position)));
        }
        if crime.flags & HEX_ID != 0 {
            hex_words[position as usize / 64] |= 1 << (position % 64);
            hex_ids.push(crime.hex_id);
            hex_positions.push(position);
        }
        if crime.flags & OTHER_ID != 0 {
            record.flags |= CrimeRecord::OTHER_ID;
            let id = side_entry(staged.other_ids, staged_position).clone();
            index.other_persistent_index.insert(id.clone(), position);
            other_ids.push((position, id));
        }
        records.push(record);
        record_lsoas.push(crime.lsoa);
    }
    index.lsoas.set_record_lsoas(record_lsoas);
    drop(crimes);
    drop(order);
    index.hex_id_records = RankedBits::new(hex_words);
    index.record_contexts = PositionMap::new(record_contexts);
    index.other_persistent_ids = PositionMap::new(other_ids);
    index.rare_last_outcomes = PositionMap::new(rare_last_outcomes);
    (records, hex_ids, hex_positions)
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

/// Each outcome's crime: the first record (in record order) with its Crime ID, [`NO_CRIME`]
/// when there is none.
fn join_outcomes(
    index: &CrimeIndex,
    outcomes: &[StagedOutcome],
    outcome_other_ids: &[(u32, Box<str>)],
    crimes: PersistentIds<'_>,
) -> Vec<u32> {
    let PersistentIds { hex_ids, by_id, positions } = crimes;
    let mut outcome_crimes = vec![NO_CRIME; outcomes.len()];
    let mut outcomes_by_id: Vec<(u64, u32)> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.flags & HEX_ID != 0)
        .map(|(i, o)| (id_prefix(&o.hex_id), i as u32))
        .collect();
    sort_pairs(&mut outcomes_by_id);
    let mut next_crime = 0;
    for &(prefix, outcome) in &outcomes_by_id {
        while next_crime < by_id.len() && by_id[next_crime].0 < prefix {
            next_crime += 1;
        }
        let wanted = &outcomes[outcome as usize].hex_id;
        outcome_crimes[outcome as usize] = by_id[next_crime..]
            .iter()
            .take_while(|(p, _)| *p == prefix)
            .find(|(_, k)| hex_ids[*k as usize] == *wanted)
            .map_or(NO_CRIME, |(_, k)| positions[*k as usize]);
    }
    drop(outcomes_by_id);
    for (outcome, id) in outcome_other_ids {
        if let Some(&position) = index.other_persistent_index.get(id) {
            outcome_crimes[*outcome as usize] = position;
        }
    }
    outcome_crimes
}

/// Stores in each record the month of its crime's latest outcome, relative to the crime's
/// own month (in the index's side table when too far or before it).
fn set_outcome_months(
    index: &mut CrimeIndex,
    records: &mut [CrimeRecord],
    outcomes: &[StagedOutcome],
    outcome_crimes: &[u32],
) {
    // `Month::index()` + 1 of the latest outcome of each crime; 0 when it has none.
    let mut latest = vec![0u32; records.len()];
    for (outcome, &crime) in outcome_crimes.iter().enumerate() {
        if crime != NO_CRIME {
            let slot = &mut latest[crime as usize];
            *slot = (*slot).max(u32::from(outcomes[outcome].month) + 1);
        }
    }
    let mut distant_outcome_months = Vec::new();
    for month in &index.months {
        let crime_month = month.month.index();
        for position in month.start..month.end {
            let delta = match latest[position as usize] {
                0 => 0,
                stored => {
                    let outcome_month = stored - 1;
                    match outcome_month.checked_sub(crime_month) {
                        Some(delta) if delta < u32::from(CrimeRecord::OUTCOME_MONTH_ELSEWHERE) => {
                            delta as u8
                        }
                        _ => {
                            let month = u16::try_from(outcome_month).expect("staged as u16");
                            distant_outcome_months.push((position, month));
                            CrimeRecord::OUTCOME_MONTH_ELSEWHERE
                        }
                    }
                }
            };
            records[position as usize].flags |= delta << CrimeRecord::OUTCOME_MONTH_SHIFT;
        }
    }
    index.distant_outcome_months = PositionMap::new(distant_outcome_months);
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
            groups: PointGroups::from_starts(&by_point.starts[..=point_count]),
        });
    }
    order
}

/// Fills the index's outcome arrays: by month recorded, then snap point (those without one
/// last in their month), then crime. Outcomes without a crime are left out.
fn place_outcomes(
    index: &mut CrimeIndex,
    outcomes: &[StagedOutcome],
    outcome_crimes: &[u32],
    outcome_points: &[u32],
    point_count: usize,
) {
    let kept: Vec<u32> =
        (0..outcomes.len() as u32).filter(|&o| outcome_crimes[o as usize] != NO_CRIME).collect();
    let Some(first_month) = kept.iter().map(|&o| outcomes[o as usize].month).min() else {
        return;
    };
    let last_month = kept.iter().map(|&o| outcomes[o as usize].month).max().unwrap_or(first_month);
    let month_count = usize::from(last_month - first_month) + 1;
    let mut by_month = Grouping::default();
    by_month.group(kept.len(), month_count, |i| {
        usize::from(outcomes[kept[i] as usize].month - first_month)
    });
    let mut by_point = Grouping::default();
    let point_slot = |point: u32| if point == NO_POINT { point_count } else { point as usize };
    index.outcome_crimes.reserve_exact(kept.len());
    index.outcome_codes.reserve_exact(kept.len());
    let mut members: Vec<(u32, u8)> = Vec::new();
    for slot in 0..month_count {
        let month_outcomes = by_month.members(slot);
        if month_outcomes.is_empty() {
            continue;
        }
        let outcome = |i: u32| kept[month_outcomes[i as usize] as usize] as usize;
        by_point.group(month_outcomes.len(), point_count + 1, |i| {
            point_slot(outcome_points[outcome(i as u32)])
        });
        let start = index.outcome_crimes.len() as u32;
        for point in 0..=point_count {
            members.clear();
            members.extend(by_point.members(point).iter().map(|&i| {
                let o = outcome(i);
                (outcome_crimes[o], outcomes[o].code)
            }));
            members.sort_unstable();
            for &(crime, code) in &members {
                index.outcome_crimes.push(crime);
                index.outcome_codes.push(code);
            }
        }
        index.outcome_months.push(MonthOutcomes {
            month: Month::from_index(u32::from(first_month) + slot as u32)
                .expect("staged from a Month"),
            start,
            end: index.outcome_crimes.len() as u32,
            groups: PointGroups::from_starts(&by_point.starts[..=point_count]),
        });
    }

    // By crime, then month, then code.
    let mut by_crime: Vec<(u64, u32)> = index
        .outcome_months
        .iter()
        .flat_map(|month| {
            let month_index = u64::from(month.month.index());
            let crimes = &index.outcome_crimes;
            let codes = &index.outcome_codes;
            (month.start..month.end).map(move |o| {
                let key = u64::from(crimes[o as usize]) << 32
                    | month_index << 8
                    | u64::from(codes[o as usize]);
                (key, o)
            })
        })
        .collect();
    sort_pairs(&mut by_crime);
    index.outcomes_by_crime = by_crime.into_iter().map(|(_, o)| o).collect();
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::{decode_hex_id, sort_pairs};
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
