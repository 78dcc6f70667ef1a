//! The in-memory index the API answers from: snap points in an R-tree, and for every month
//! the crimes grouped by snap point in flat arrays (CSR: offsets into one record array for
//! the snap points that have crimes that month), outcomes likewise, and a persistent-id
//! lookup. Built for national scale: about 60 bytes per crime, outcomes and snap points
//! included (see [`CrimeIndex::memory_report`]). No database types here: it is
//! built from plain values (see [`IndexBuilder`]), so it can be tested and benchmarked alone.

mod build;
mod compact;
mod counts;
mod hotspots;
mod lsoa;
mod memory;
mod outcome_counts;
mod page;
mod point_counts;
mod select;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub use build::{CrimeInput, IndexBuilder, OutcomeInput};
pub use counts::{CategoryCounts, CountScope, MonthCounts, CATEGORY_COUNT};
pub use hotspots::{
    CellBounds, Grid, GridCell, GridCount, GridCounts, HotSpot, HotSpotSummary, HotSpots,
    PeriodMonth, TooManyCells,
};
pub use memory::MemoryReport;
pub use outcome_counts::{
    last_outcome_slug, CategoryLastOutcomes, LastOutcomeCounts, MonthLastOutcomes,
    MonthOutcomeCounts, OutcomeCategoryCounts, LAST_OUTCOME_KINDS, NO_LAST_OUTCOME,
    OTHER_LAST_OUTCOME, OUTCOME_CATEGORY_COUNT,
};
pub use page::{CrimeFilter, WalkPosition};
pub use select::{ForceSet, SelectedOutcome, Selection};

use compact::{PointGroups, PointIds, PositionMap, RankedBits, Segments};

use crate::reference::{crime_category, outcome_category};
use crate::spatial::{is_valid_coordinate, Area, PreparedArea, QueryStop, SpatialIndex};
use crate::Month;

/// Rough relative costs of the two ways to a category's crimes in an area (see
/// [`CrimeIndex::crimes_in_area`]), from `huge_polygon` in `benches/benches/national.rs`.
mod search_cost {
    /// Looking at one snap point of the area's bounding box: its membership, its crimes.
    pub const CANDIDATE_POINT: usize = 100;
    /// Reading one record in a scan of the month's crimes.
    pub const RECORD_SCANNED: usize = 1;
    /// Placing one crime of the category: its snap point, the exact area test.
    pub const CRIME_PLACED: usize = 250;
}

/// police.uk's `location_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationType {
    Force,
    Btp,
}

impl LocationType {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationType::Force => "Force",
            LocationType::Btp => "BTP",
        }
    }
}

/// An anonymised map point ("snap point").
#[derive(Debug, Clone, PartialEq)]
pub struct SnapPoint {
    /// The store's stable id: `location.street.id` in responses.
    pub id: i32,
    pub latitude: f64,
    pub longitude: f64,
    /// "On or near …". Shared among the points with the same name (a few thousand names
    /// serve hundreds of thousands of points).
    pub name: Arc<str>,
    pub location_type: LocationType,
    pub subtype: Box<str>,
}

/// One crime, compactly (8 bytes). Its month, snap point and position follow from where it
/// sits in the index; its Crime ID, and text, live in the index's side arrays and pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrimeRecord {
    pub id: u32,
    pub category: u8,
    pub force: u8,
    /// Index into the outcome name pool; 0 is "no outcome", [`CrimeRecord::LAST_OUTCOME_ELSEWHERE`]
    /// says the index is in the index's side table.
    last_outcome: u8,
    /// [`CrimeRecord::OTHER_ID`], [`CrimeRecord::HAS_CONTEXT`], and above
    /// [`CrimeRecord::OUTCOME_MONTH_SHIFT`] the months from the crime's month to its latest
    /// recorded outcome (0 also when none was imported), or
    /// [`CrimeRecord::OUTCOME_MONTH_ELSEWHERE`].
    flags: u8,
}

impl CrimeRecord {
    /// The record has a Crime ID that is not 64 hex digits (kept in a side table).
    const OTHER_ID: u8 = 1;
    /// The record's context is not `""` (its pool index is in a side table).
    const HAS_CONTEXT: u8 = 2;
    const OUTCOME_MONTH_SHIFT: u8 = 2;
    /// The latest outcome's month is not 0 to 62 months after the crime's: it is in a side
    /// table.
    const OUTCOME_MONTH_ELSEWHERE: u8 = 63;
    /// The last outcome's pool index does not fit a byte: it is in a side table.
    const LAST_OUTCOME_ELSEWHERE: u8 = u8::MAX;

    fn outcome_month_delta(&self) -> u8 {
        self.flags >> Self::OUTCOME_MONTH_SHIFT
    }
}

/// A crime as read from the index, with everything needed to render it.
#[derive(Debug, Clone, Copy)]
pub struct CrimeRef<'a> {
    index: &'a CrimeIndex,
    /// Its month's crimes.
    data: &'a MonthCrimes,
    /// Position in the global record array.
    pub position: u32,
    pub record: &'a CrimeRecord,
    pub month: Month,
    pub point: Option<&'a SnapPoint>,
}

impl<'a> CrimeRef<'a> {
    /// The position of the crime's snap point among the index's points (see
    /// [`CrimeIndex::point`]), for callers keeping per-point data of their own.
    pub fn point_index(&self) -> Option<u32> {
        // `point` always refers into `index.points` (`CrimeIndex::crime_ref` makes every
        // CrimeRef), so its offset from the start is its position.
        self.point.map(|point| {
            let offset = std::ptr::from_ref(point).addr() - self.index.points.as_ptr().addr();
            let position = offset / std::mem::size_of::<SnapPoint>();
            debug_assert!(std::ptr::eq(point, &self.index.points[position]));
            position as u32
        })
    }

    pub fn category_slug(&self) -> &'static str {
        crime_category(self.record.category).slug
    }

    /// The Crime ID as its 32 bytes, when it is 64 lowercase hex digits (nearly all are);
    /// `None` for anti-social behaviour and other forms (see [`CrimeRef::persistent_id`]).
    pub fn hex_persistent_id(&self) -> Option<&'a [u8; 32]> {
        self.data.ids.get(self.position - self.data.start)
    }

    /// The Crime ID, `""` for anti-social behaviour; written into `buffer` when hex.
    pub fn persistent_id<'b>(&self, buffer: &'b mut [u8; 64]) -> &'b str
    where
        'a: 'b,
    {
        if let Some(bytes) = self.hex_persistent_id() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for (i, byte) in bytes.iter().enumerate() {
                buffer[2 * i] = HEX[(byte >> 4) as usize];
                buffer[2 * i + 1] = HEX[(byte & 15) as usize];
            }
            std::str::from_utf8(&buffer[..]).expect("hex digits are ASCII")
        } else if self.record.flags & CrimeRecord::OTHER_ID != 0 {
            self.index.other_persistent_ids.get(self.position).map_or("", |id| id)
        } else {
            ""
        }
    }

    pub fn context(&self) -> &'a str {
        if self.record.flags & CrimeRecord::HAS_CONTEXT == 0 {
            return "";
        }
        let pool_index = self.index.record_contexts.get(self.position).copied().unwrap_or(0);
        &self.index.contexts[pool_index as usize]
    }

    pub fn force_id(&self) -> &'a str {
        &self.index.forces[self.record.force as usize]
    }

    /// The LSOA code of the crime's CSV row, `""` when it had none.
    pub fn lsoa_code(&self) -> &'a str {
        self.index.lsoas.code(self.position)
    }

    /// `outcome_status`: the last outcome's display name and month, when the crime has one.
    /// The month is that of the latest outcome in the imported outcomes data, or the crime's
    /// own month when none was imported (see COMPATIBILITY.md).
    pub fn outcome_status(&self) -> Option<(&'a str, Month)> {
        let pool_index = self.last_outcome_pool_index()?;
        let name = &self.index.outcome_names[pool_index as usize];
        let month = match self.record.outcome_month_delta() {
            CrimeRecord::OUTCOME_MONTH_ELSEWHERE => self
                .index
                .distant_outcome_months
                .get(self.position)
                .and_then(|&index| Month::from_index(u32::from(index)))
                .unwrap_or(self.month),
            delta => self.month.plus(i32::from(delta)).unwrap_or(self.month),
        };
        Some((name, month))
    }

    /// The last outcome's index in the index's outcome name pool; `None` when it has none.
    fn last_outcome_pool_index(&self) -> Option<u32> {
        match self.record.last_outcome {
            0 => None,
            CrimeRecord::LAST_OUTCOME_ELSEWHERE => {
                Some(*self.index.rare_last_outcomes.get(self.position).expect("kept at build"))
            }
            inline => Some(u32::from(inline)),
        }
    }

    /// The outcomes recorded for this crime, oldest first.
    pub fn outcomes(&self) -> impl Iterator<Item = (Month, u8)> + 'a {
        self.index.outcomes_of(self.position)
    }
}

/// A crime as a list holds it between chunks of its answer: what [`CrimeIndex::crime`]
/// needs to read it again. A [`CrimeRef`] borrows the index; a key does not, so an answer
/// can keep its crimes, in its order, while it waits for its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrimeKey {
    position: u32,
    month: Month,
    point: Option<u32>,
}

impl CrimeRef<'_> {
    /// This crime's [`CrimeKey`].
    pub fn key(&self) -> CrimeKey {
        CrimeKey { position: self.position, month: self.month, point: self.point_index() }
    }
}

/// An outcome as a list holds it between chunks (see [`CrimeKey`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeKey {
    month: Month,
    code: u8,
    crime: CrimeKey,
}

impl OutcomeRef<'_> {
    /// This outcome's [`OutcomeKey`].
    pub fn key(&self) -> OutcomeKey {
        OutcomeKey { month: self.month, code: self.code, crime: self.crime.key() }
    }
}

/// An outcome as read from the index.
#[derive(Debug, Clone, Copy)]
pub struct OutcomeRef<'a> {
    /// The month the outcome was recorded.
    pub month: Month,
    /// Position in [`crate::reference::OUTCOME_CATEGORIES`].
    pub code: u8,
    pub crime: CrimeRef<'a>,
}

impl OutcomeRef<'_> {
    pub fn category(&self) -> crate::reference::OutcomeCategory {
        outcome_category(self.code)
    }
}

/// More results than the configured cap (police.uk's 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyResults {
    /// Results counted when the search stopped: more than `cap`, at most the area's total
    /// (an area search stops counting as soon as the cap is passed).
    pub found: usize,
    pub cap: usize,
}

/// One month of crimes: records `start..located_end` are grouped by snap point through
/// `groups` (entries relative to `start`); `located_end..end` have no location, by force.
#[derive(Debug, Clone)]
struct MonthCrimes {
    month: Month,
    /// The forces with crimes this month.
    forces: select::ForceSet,
    /// Crimes per category of each force with crimes this month, by force number: a force's
    /// or the country's counts without walking the records.
    force_counts: Vec<(u8, [u32; CATEGORY_COUNT])>,
    start: u32,
    located_end: u32,
    end: u32,
    groups: Arc<PointGroups>,
    /// The month's 64-hex-digit Crime IDs.
    ids: Arc<MonthIds>,
    /// Records `start..end` (the run the index's `records` holds for the month): a month's
    /// crimes read without finding their run.
    records: Arc<[CrimeRecord]>,
}

/// A month's Crime IDs of 64 hex digits, by record position from the month's start.
#[derive(Debug, Default)]
struct MonthIds {
    /// Which records have one.
    records: RankedBits,
    /// Those Crime IDs as 32 bytes, in record order.
    ids: Vec<[u8; 32]>,
    /// Indexes into `ids`, sorted by the Crime ID (then record order).
    order: Vec<u32>,
}

impl MonthCrimes {
    /// The month's record at index position `position`.
    fn record(&self, position: u32) -> &CrimeRecord {
        &self.records[(position - self.start) as usize]
    }

    /// The month's records in a group (`groups` entries, numbered from the month's start).
    fn group_records(&self, group: std::ops::Range<u32>) -> &[CrimeRecord] {
        &self.records[group.start as usize..group.end as usize]
    }
}

impl MonthIds {
    /// The Crime ID of the month's record `local`.
    fn get(&self, local: u32) -> Option<&[u8; 32]> {
        self.records.get(local).then(|| &self.ids[self.records.rank(local) as usize])
    }

    /// The first of the month's records (position from the month's start) with a Crime ID.
    fn find(&self, id: &[u8; 32]) -> Option<u32> {
        let first = self.order.partition_point(|&k| self.ids[k as usize] < *id);
        let k = *self.order.get(first)?;
        (self.ids[k as usize] == *id).then(|| self.records.select(k))
    }

    fn heap_bytes(&self) -> (usize, usize) {
        use memory::vec_bytes;
        (self.records.heap_bytes() + vec_bytes(&self.ids), vec_bytes(&self.order))
    }
}

/// One month of outcomes (the month they were recorded): outcomes `start..end` of the
/// index's outcome arrays; those with a location first, grouped by snap point through
/// `groups` (entries relative to `start`), each group by crime.
#[derive(Debug, Clone)]
struct MonthOutcomes {
    month: Month,
    start: u32,
    end: u32,
    groups: Arc<PointGroups>,
    /// Outcomes of the month whose crime is not in the index (not counted in `start..end`).
    orphans: u64,
}

/// The whole index. Immutable once built.
#[derive(Debug, Default)]
pub struct CrimeIndex {
    points: Vec<SnapPoint>,
    point_by_id: PointIds,
    pub(crate) spatial: SpatialIndex,
    forces: Vec<Box<str>>,
    /// One run a month, in month order (so positions grow with months).
    records: Segments<CrimeRecord>,
    /// Sorted by month (and so by position).
    months: Vec<MonthCrimes>,
    other_persistent_ids: PositionMap<Box<str>>,
    other_persistent_index: HashMap<Box<str>, u32>,
    contexts: Vec<Box<str>>,
    /// Context pool indexes of the records with [`CrimeRecord::HAS_CONTEXT`].
    record_contexts: PositionMap<u32>,
    outcome_names: Vec<Box<str>>,
    /// Outcome name pool indexes that do not fit [`CrimeRecord`]'s byte.
    rare_last_outcomes: PositionMap<u32>,
    /// `Month::index()` of the latest outcome, where [`CrimeRecord::OUTCOME_MONTH_ELSEWHERE`].
    distant_outcome_months: PositionMap<u16>,
    /// Sorted by month; they cover the outcome arrays in order.
    outcome_months: Vec<MonthOutcomes>,
    /// Each outcome's crime (its record position) …
    outcome_crimes: Segments<u32>,
    /// … and its position in [`crate::reference::OUTCOME_CATEGORIES`].
    outcome_codes: Segments<u8>,
    /// Outcome positions, sorted by (crime, month, code).
    outcomes_by_crime: Vec<u32>,
    /// Outcomes whose crime is not in the index (their crime month was not imported, or is
    /// no longer held).
    pub orphan_outcomes: u64,
    lsoas: lsoa::Lsoas,
    /// Each snap point's crimes per month, force and category (area counts' fast path).
    point_counts: point_counts::PointCounts,
}

impl CrimeIndex {
    /// Number of crimes.
    pub fn crime_count(&self) -> usize {
        self.records.len()
    }

    /// Number of distinct LSOA codes among the crimes.
    pub fn lsoa_count(&self) -> usize {
        self.lsoas.len()
    }

    /// The LSOA name given with a code (exact, e.g. `E01000001`); `None` when no crime held
    /// has that code.
    pub fn lsoa_name(&self, code: &str) -> Option<&str> {
        self.lsoas.name(code)
    }

    /// Heap bytes of the index by component.
    pub fn memory_report(&self) -> MemoryReport {
        use memory::{allocation_bytes, hash_map_bytes, str_bytes, str_pool_bytes, vec_bytes};
        let mut report = MemoryReport::default();
        report.add("crime records", self.records.heap_bytes());
        let (lsoa_per_record, lsoa_lookup) = self.lsoas.heap_bytes();
        report.add("LSOA per crime", lsoa_per_record);
        report.add("LSOA codes, names and snap points", lsoa_lookup);
        report.add("crime counts by snap point and month", self.point_counts.heap_bytes());
        report.add(
            "crimes by month and snap point",
            vec_bytes(&self.months)
                + self
                    .months
                    .iter()
                    .map(|m| m.groups.heap_bytes() + vec_bytes(&m.force_counts))
                    .sum::<usize>(),
        );
        let (ids, id_orders) = self.months.iter().fold((0, 0), |(ids, orders), month| {
            let (month_ids, month_order) = month.ids.heap_bytes();
            (ids + month_ids, orders + month_order)
        });
        report.add("Crime IDs (32 bytes each, and which records have one)", ids);
        report.add(
            "persistent-id index",
            id_orders
                + self.other_persistent_ids.heap_bytes()
                + hash_map_bytes(&self.other_persistent_index)
                + 2 * self.other_persistent_ids.values().map(|id| str_bytes(id)).sum::<usize>(),
        );
        report.add(
            "contexts, rare last outcomes and outcome months",
            self.record_contexts.heap_bytes()
                + self.rare_last_outcomes.heap_bytes()
                + self.distant_outcome_months.heap_bytes(),
        );
        report.add(
            "outcomes by month and snap point",
            self.outcome_crimes.heap_bytes()
                + self.outcome_codes.heap_bytes()
                + vec_bytes(&self.outcome_months)
                + self.outcome_months.iter().map(|m| m.groups.heap_bytes()).sum::<usize>(),
        );
        report.add("outcomes by crime", vec_bytes(&self.outcomes_by_crime));
        let mut names = HashSet::new();
        report.add(
            "snap points",
            vec_bytes(&self.points)
                + self
                    .points
                    .iter()
                    .map(|p| {
                        // An `Arc<str>` allocation: two counts, then the text.
                        let name = if names.insert(Arc::as_ptr(&p.name)) {
                            allocation_bytes(2 * std::mem::size_of::<usize>() + p.name.len())
                        } else {
                            0
                        };
                        name + str_bytes(&p.subtype)
                    })
                    .sum::<usize>(),
        );
        report.add("snap point ids", self.point_by_id.heap_bytes());
        report.add("R-tree over snap points", self.spatial.heap_bytes());
        report.add(
            "text pools (forces, contexts, outcome names)",
            str_pool_bytes(&self.forces)
                + str_pool_bytes(&self.contexts)
                + str_pool_bytes(&self.outcome_names),
        );
        report
    }

    /// Number of outcomes whose crime is in the index.
    pub fn outcome_count(&self) -> usize {
        self.outcome_crimes.len()
    }

    /// Number of snap points.
    pub fn point_count(&self) -> usize {
        self.points.len()
    }

    /// Months with crimes, oldest first.
    pub fn crime_months(&self) -> impl Iterator<Item = Month> + '_ {
        self.months.iter().map(|m| m.month)
    }

    /// The snap point with a store id.
    pub fn point_by_id(&self, id: i32) -> Option<u32> {
        self.point_by_id.get(id)
    }

    pub fn point(&self, point: u32) -> &SnapPoint {
        &self.points[point as usize]
    }

    /// The snap point nearest to a place, and its distance in metres. Of points at the same
    /// coordinates, a named one (the lowest-id) rather than one made for stop and search.
    pub fn nearest_point(&self, latitude: f64, longitude: f64) -> Option<(u32, f64)> {
        let (nearest, distance) = self.spatial.nearest(latitude, longitude)?;
        let point = &self.points[nearest as usize];
        if &*point.name != crate::stops::UNNAMED_LOCATION {
            return Some((nearest, distance));
        }
        let here = Area::Circle { lat: point.latitude, lng: point.longitude, radius_m: 0.5 };
        let named = self.spatial.query(&here).into_iter().filter(|&p| {
            let other = &self.points[p as usize];
            other.latitude == point.latitude
                && other.longitude == point.longitude
                && &*other.name != crate::stops::UNNAMED_LOCATION
        });
        Some((named.min_by_key(|&p| self.points[p as usize].id).unwrap_or(nearest), distance))
    }

    fn month(&self, month: Month) -> Option<&MonthCrimes> {
        self.months.binary_search_by_key(&month, |m| m.month).ok().map(|i| &self.months[i])
    }

    /// The outcomes recorded for the crime at `position` (month, code), oldest first.
    fn outcomes_of(&self, position: u32) -> impl Iterator<Item = (Month, u8)> + '_ {
        let by_crime = &self.outcomes_by_crime;
        let start = by_crime.partition_point(|&o| self.outcome_crimes[o as usize] < position);
        by_crime[start..]
            .iter()
            .take_while(move |&&o| self.outcome_crimes[o as usize] == position)
            .map(move |&o| (self.outcome_month(o), self.outcome_codes[o as usize]))
    }

    /// The month an outcome (by position) was recorded.
    fn outcome_month(&self, outcome: u32) -> Month {
        self.outcome_months[self.outcome_months.partition_point(|m| m.end <= outcome)].month
    }

    fn crime_ref<'a>(
        &'a self,
        data: &'a MonthCrimes,
        position: u32,
        point: Option<u32>,
    ) -> CrimeRef<'a> {
        CrimeRef {
            index: self,
            data,
            position,
            record: data.record(position),
            month: data.month,
            point: point.map(|p| &self.points[p as usize]),
        }
    }

    /// The crime a [`CrimeKey`] (made from this index) stands for.
    pub fn crime(&self, key: CrimeKey) -> CrimeRef<'_> {
        let data = self.month(key.month).expect("a key names a month of the index that made it");
        self.crime_ref(data, key.position, key.point)
    }

    /// The outcome an [`OutcomeKey`] (made from this index) stands for.
    pub fn outcome(&self, key: OutcomeKey) -> OutcomeRef<'_> {
        OutcomeRef { month: key.month, code: key.code, crime: self.crime(key.crime) }
    }

    /// The crimes at the given snap points in a month, in category order then id.
    fn crimes_at_points(
        &self,
        month: Month,
        points: &[u32],
        category: Option<u8>,
        cap: Option<usize>,
    ) -> Result<Vec<CrimeRef<'_>>, TooManyResults> {
        let Some(data) = self.month(month) else { return Ok(Vec::new()) };
        let matches = |r: &CrimeRecord| category.is_none_or(|c| r.category == c);
        let found: usize = points
            .iter()
            .map(|&p| {
                data.group_records(data.groups.range(p)).iter().filter(|r| matches(r)).count()
            })
            .sum();
        if let Some(cap) = cap {
            if found > cap {
                return Err(TooManyResults { found, cap });
            }
        }
        // Sorted as compact (category, id) keys first: cheaper than sorting the references,
        // whose keys sit behind a pointer.
        let mut keyed = Vec::with_capacity(found);
        for &p in points {
            let group = data.groups.range(p);
            for (record, local) in data.group_records(group.clone()).iter().zip(group) {
                if matches(record) {
                    let key = (u64::from(record.category) << 32) | u64::from(record.id);
                    keyed.push((key, data.start + local, p));
                }
            }
        }
        keyed.sort_unstable_by_key(|&(key, _, _)| key);
        Ok(keyed
            .into_iter()
            .map(|(_, position, p)| self.crime_ref(data, position, Some(p)))
            .collect())
    }

    /// Crimes of a month inside an area (`crimes-street`), at most `cap` (else an error).
    ///
    /// The area's snap points are looked at one by one, unless a category is asked for and
    /// the area's bounding box holds so many points that scanning the month's crimes of that
    /// category costs less (a rare category over a county or the country): the search then
    /// stops early and [`CrimeIndex::crimes_of_category_in_area`] answers instead, so that a
    /// request costs at most about twice the cheaper of the two.
    pub fn crimes_in_area(
        &self,
        month: Month,
        area: &Area,
        category: Option<u8>,
        cap: Option<usize>,
    ) -> Result<Vec<CrimeRef<'_>>, TooManyResults> {
        let Some(data) = self.month(month) else { return Ok(Vec::new()) };
        let prepared = PreparedArea::new(area);
        let max_candidates = category.map_or(usize::MAX, |c| {
            self.category_scan_cost(data, c) / search_cost::CANDIDATE_POINT
        });
        // The crimes at each point, counted as the points are found: an area over the cap is
        // refused as soon as that is certain (`found` is then a lower bound).
        let crimes_at = |p: u32| {
            if cap.is_none() {
                return 0;
            }
            data.group_records(data.groups.range(p))
                .iter()
                .filter(|r| category.is_none_or(|c| r.category == c))
                .count()
        };
        let limit = cap.unwrap_or(usize::MAX);
        match (self.spatial.query_within(&prepared, limit, crimes_at, max_candidates), category) {
            (Ok(points), _) => self.crimes_at_points(month, &points, category, cap),
            (Err(QueryStop::OverCap(found)), _) => Err(TooManyResults { found, cap: limit }),
            (Err(QueryStop::TooManyCandidates), Some(c)) => {
                self.crimes_of_category_in_area(data, &prepared, c, cap)
            }
            (Err(QueryStop::TooManyCandidates), None) => {
                unreachable!("candidates are limited only for a category")
            }
        }
    }

    /// What [`CrimeIndex::crimes_of_category_in_area`] costs for a month and category, in
    /// [`search_cost`] units.
    fn category_scan_cost(&self, data: &MonthCrimes, category: u8) -> usize {
        let of_category: usize = data
            .force_counts
            .iter()
            .map(|(_, counts)| counts.get(usize::from(category)).map_or(0, |&n| n as usize))
            .sum();
        (data.located_end - data.start) as usize * search_cost::RECORD_SCANNED
            + of_category * search_cost::CRIME_PLACED
    }

    /// As [`CrimeIndex::crimes_in_area`] for one category, from the other end: every located
    /// crime of the month is read, and those of the category are placed at their snap point
    /// and tested against the area.
    fn crimes_of_category_in_area<'a>(
        &'a self,
        data: &'a MonthCrimes,
        area: &PreparedArea<'_>,
        category: u8,
        cap: Option<usize>,
    ) -> Result<Vec<CrimeRef<'a>>, TooManyResults> {
        let mut keyed = Vec::new();
        for position in data.start..data.located_end {
            let record = data.record(position);
            if record.category != category {
                continue;
            }
            let p = data.groups.point_of(position - data.start);
            let point = &self.points[p as usize];
            if !is_valid_coordinate(point.latitude, point.longitude)
                || !area.contains(point.latitude, point.longitude)
            {
                continue;
            }
            keyed.push((record.id, position, p));
            if let Some(cap) = cap.filter(|&cap| keyed.len() > cap) {
                return Err(TooManyResults { found: keyed.len(), cap });
            }
        }
        // The order of `crimes_at_points`: category (here one), then id.
        keyed.sort_unstable_by_key(|&(id, _, _)| id);
        Ok(keyed
            .into_iter()
            .map(|(_, position, p)| self.crime_ref(data, position, Some(p)))
            .collect())
    }

    /// Crimes of a month at one snap point (`crimes-at-location`).
    pub fn crimes_at_point(
        &self,
        month: Month,
        point: u32,
        category: Option<u8>,
    ) -> Vec<CrimeRef<'_>> {
        self.crimes_at_points(month, &[point], category, None).unwrap_or_default()
    }

    /// Crimes of a month that could not be placed, for one force (`crimes-no-location`).
    pub fn crimes_without_location(
        &self,
        month: Month,
        force_id: &str,
        category: Option<u8>,
    ) -> Vec<CrimeRef<'_>> {
        let Some(data) = self.month(month) else { return Vec::new() };
        let Some(force) = self.forces.iter().position(|f| &**f == force_id) else {
            return Vec::new();
        };
        let mut crimes: Vec<CrimeRef<'_>> = (data.located_end..data.end)
            .filter(|&p| {
                let r = data.record(p);
                r.force as usize == force && category.is_none_or(|c| r.category == c)
            })
            .map(|p| self.crime_ref(data, p, None))
            .collect();
        crimes.sort_unstable_by_key(|c| (c.record.category, c.record.id));
        crimes
    }

    /// The crime with a police.uk Crime ID (exact, case-sensitive).
    pub fn crime_by_persistent_id(&self, persistent_id: &str) -> Option<CrimeRef<'_>> {
        let position = match build::decode_hex_id(persistent_id) {
            // The first record with it, in record order, as outcomes are joined.
            Some(bytes) => self.months.iter().find_map(|m| Some(m.start + m.ids.find(&bytes)?))?,
            None => *self.other_persistent_index.get(persistent_id)?,
        };
        Some(self.locate(position))
    }

    /// A crime by its position, with its month and snap point worked out.
    fn locate(&self, position: u32) -> CrimeRef<'_> {
        let m = self.months.partition_point(|m| m.end <= position);
        let data = &self.months[m];
        let point =
            (position < data.located_end).then(|| data.groups.point_of(position - data.start));
        self.crime_ref(data, position, point)
    }

    /// Outcomes recorded in a month (`data`) at the given snap points, oldest crime first.
    fn outcomes_at_points(
        &self,
        data: &MonthOutcomes,
        points: &[u32],
        cap: Option<usize>,
    ) -> Result<Vec<OutcomeRef<'_>>, TooManyResults> {
        let month = data.month;
        let range = |p: u32| {
            let group = data.groups.range(p);
            (data.start + group.start) as usize..(data.start + group.end) as usize
        };
        let found: usize = points.iter().map(|&p| range(p).len()).sum();
        if let Some(cap) = cap {
            if found > cap {
                return Err(TooManyResults { found, cap });
            }
        }
        let mut outcomes = Vec::with_capacity(found);
        for &p in points {
            for o in range(p) {
                outcomes.push(OutcomeRef {
                    month,
                    code: self.outcome_codes[o],
                    crime: self.locate(self.outcome_crimes[o]),
                });
            }
        }
        outcomes.sort_unstable_by_key(|o| (o.crime.month, o.crime.record.id, o.code));
        Ok(outcomes)
    }

    /// Outcomes recorded in a month inside an area (`outcomes-at-location`).
    pub fn outcomes_in_area(
        &self,
        month: Month,
        area: &Area,
        cap: Option<usize>,
    ) -> Result<Vec<OutcomeRef<'_>>, TooManyResults> {
        let Some(data) = self.outcome_month_data(month) else { return Ok(Vec::new()) };
        let points = match cap {
            None => self.spatial.query(area),
            // Refused as soon as the outcomes found pass the cap (`found` a lower bound).
            Some(cap) => self
                .spatial
                .query_capped(area, cap, |p| data.groups.range(p).len())
                .map_err(|found| TooManyResults { found, cap })?,
        };
        self.outcomes_at_points(data, &points, cap)
    }

    /// Outcomes recorded in a month at one snap point.
    pub fn outcomes_at_point(&self, month: Month, point: u32) -> Vec<OutcomeRef<'_>> {
        self.outcome_month_data(month)
            .map(|data| self.outcomes_at_points(data, &[point], None).unwrap_or_default())
            .unwrap_or_default()
    }
}
