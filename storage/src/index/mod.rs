//! The in-memory index the API answers from: snap points in an R-tree, and for every month
//! the crimes grouped by snap point in flat arrays (CSR: per-point offsets into one record
//! array), outcomes likewise, and a persistent-id lookup. No database types here: it is
//! built from plain values (see [`IndexBuilder`]), so it can be tested and benchmarked alone.

mod build;
pub mod stops;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub use build::{CrimeInput, IndexBuilder, OutcomeInput};
pub use stops::{StopIndex, StopIndexBuilder, StopInput, StopRef, UNNAMED_LOCATION};

use crate::reference::{crime_category, outcome_category};
use crate::spatial::{Area, SpatialIndex};
use crate::Month;

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
    /// "On or near …".
    pub name: Box<str>,
    pub location_type: LocationType,
    pub subtype: Box<str>,
}

/// One crime, compactly. Its month, snap point and position follow from where it sits in
/// the index; text lives in the index's pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrimeRecord {
    /// The police.uk Crime ID as 32 bytes (64 hex digits), when [`CrimeRecord::HEX_ID`].
    persistent_id: [u8; 32],
    pub id: u32,
    /// Index into the context pool; 0 is `""`.
    context: u32,
    /// Index into the outcome name pool; 0 is "no outcome".
    last_outcome: u16,
    /// `Month::index()` of the latest recorded outcome; 0 when no outcome was imported.
    outcome_month: u16,
    pub category: u8,
    pub force: u8,
    flags: u8,
}

impl CrimeRecord {
    /// The record has a Crime ID stored as 32 bytes.
    const HEX_ID: u8 = 1;
    /// The record has a Crime ID that is not 64 hex digits (kept in a side table).
    const OTHER_ID: u8 = 2;
}

/// A crime as read from the index, with everything needed to render it.
#[derive(Debug, Clone, Copy)]
pub struct CrimeRef<'a> {
    index: &'a CrimeIndex,
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

    /// The Crime ID, `""` for anti-social behaviour; written into `buffer` when hex.
    pub fn persistent_id<'b>(&self, buffer: &'b mut [u8; 64]) -> &'b str
    where
        'a: 'b,
    {
        let flags = self.record.flags;
        if flags & CrimeRecord::HEX_ID != 0 {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for (i, byte) in self.record.persistent_id.iter().enumerate() {
                buffer[2 * i] = HEX[(byte >> 4) as usize];
                buffer[2 * i + 1] = HEX[(byte & 15) as usize];
            }
            std::str::from_utf8(&buffer[..]).expect("hex digits are ASCII")
        } else if flags & CrimeRecord::OTHER_ID != 0 {
            self.index.other_persistent_ids.get(&self.position).map_or("", |id| id)
        } else {
            ""
        }
    }

    pub fn context(&self) -> &'a str {
        &self.index.contexts[self.record.context as usize]
    }

    pub fn force_id(&self) -> &'a str {
        &self.index.forces[self.record.force as usize]
    }

    /// `outcome_status`: the last outcome's display name and month, when the crime has one.
    /// The month is that of the latest outcome in the imported outcomes data, or the crime's
    /// own month when none was imported (see COMPATIBILITY.md).
    pub fn outcome_status(&self) -> Option<(&'a str, Month)> {
        if self.record.last_outcome == 0 {
            return None;
        }
        let name = &self.index.outcome_names[self.record.last_outcome as usize];
        let month = match self.record.outcome_month {
            0 => self.month,
            index => Month::from_index(index as u32).unwrap_or(self.month),
        };
        Some((name, month))
    }

    /// The outcomes recorded for this crime, oldest first.
    pub fn outcomes(&self) -> impl Iterator<Item = (Month, u8)> + 'a {
        let all = &self.index.outcomes_by_crime;
        let position = self.position;
        let start = all.partition_point(|o| o.crime < position);
        all[start..]
            .iter()
            .take_while(move |o| o.crime == position)
            .map(|o| (Month::from_index(o.month as u32).expect("valid month"), o.code))
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
    pub found: usize,
    pub cap: usize,
}

/// One month of crimes: records `start..located_end` are grouped by snap point through
/// `offsets`; `located_end..end` have no location, sorted by force.
#[derive(Debug, Clone)]
struct MonthCrimes {
    month: Month,
    start: u32,
    located_end: u32,
    end: u32,
    /// `offsets[p]..offsets[p + 1]` (relative to `start`) are the crimes at snap point `p`;
    /// empty when the month has no located crimes.
    offsets: Vec<u32>,
}

/// An outcome, grouped by month and snap point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OutcomeRecord {
    crime: u32,
    code: u8,
}

/// One month of outcomes with a location, grouped by snap point.
#[derive(Debug, Clone)]
struct MonthOutcomes {
    month: Month,
    records: Vec<OutcomeRecord>,
    offsets: Vec<u32>,
}

/// An outcome of a crime, for `outcomes-for-crime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CrimeOutcome {
    crime: u32,
    month: u16,
    code: u8,
}

/// The whole index. Immutable once built.
#[derive(Debug, Default)]
pub struct CrimeIndex {
    points: Vec<SnapPoint>,
    point_by_id: HashMap<i32, u32>,
    spatial: SpatialIndex,
    forces: Vec<Box<str>>,
    records: Vec<CrimeRecord>,
    /// Sorted by month.
    months: Vec<MonthCrimes>,
    /// (first 8 bytes of the Crime ID, record position), sorted.
    persistent_index: Vec<(u64, u32)>,
    other_persistent_ids: HashMap<u32, Box<str>>,
    other_persistent_index: HashMap<Box<str>, u32>,
    contexts: Vec<Box<str>>,
    outcome_names: Vec<Box<str>>,
    /// Sorted by month.
    outcomes: Vec<MonthOutcomes>,
    /// Sorted by (crime, month).
    outcomes_by_crime: Vec<CrimeOutcome>,
    /// Outcomes whose crime is not in the index (their crime month was not imported).
    pub orphan_outcomes: u64,
}

impl CrimeIndex {
    /// Number of crimes.
    pub fn crime_count(&self) -> usize {
        self.records.len()
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
        self.point_by_id.get(&id).copied()
    }

    pub fn point(&self, point: u32) -> &SnapPoint {
        &self.points[point as usize]
    }

    /// The snap point nearest to a place, and its distance in metres.
    pub fn nearest_point(&self, latitude: f64, longitude: f64) -> Option<(u32, f64)> {
        self.spatial.nearest(latitude, longitude)
    }

    fn month(&self, month: Month) -> Option<&MonthCrimes> {
        self.months.binary_search_by_key(&month, |m| m.month).ok().map(|i| &self.months[i])
    }

    fn crime_ref(&self, position: u32, month: Month, point: Option<u32>) -> CrimeRef<'_> {
        CrimeRef {
            index: self,
            position,
            record: &self.records[position as usize],
            month,
            point: point.map(|p| &self.points[p as usize]),
        }
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
        if data.offsets.is_empty() {
            return Ok(Vec::new());
        }
        let matches = |r: &CrimeRecord| category.is_none_or(|c| r.category == c);
        let range = |p: u32| {
            let p = p as usize;
            (data.start + data.offsets[p])..(data.start + data.offsets[p + 1])
        };
        let found: usize = points
            .iter()
            .map(|&p| {
                self.records[range(p).start as usize..range(p).end as usize]
                    .iter()
                    .filter(|r| matches(r))
                    .count()
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
            for position in range(p) {
                let record = &self.records[position as usize];
                if matches(record) {
                    let key = (u64::from(record.category) << 32) | u64::from(record.id);
                    keyed.push((key, position, p));
                }
            }
        }
        keyed.sort_unstable_by_key(|&(key, _, _)| key);
        Ok(keyed
            .into_iter()
            .map(|(_, position, p)| self.crime_ref(position, month, Some(p)))
            .collect())
    }

    /// Crimes of a month inside an area (`crimes-street`), at most `cap` (else an error).
    pub fn crimes_in_area(
        &self,
        month: Month,
        area: &Area,
        category: Option<u8>,
        cap: Option<usize>,
    ) -> Result<Vec<CrimeRef<'_>>, TooManyResults> {
        let points = self.spatial.query(area);
        self.crimes_at_points(month, &points, category, cap)
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
                let r = &self.records[p as usize];
                r.force as usize == force && category.is_none_or(|c| r.category == c)
            })
            .map(|p| self.crime_ref(p, month, None))
            .collect();
        crimes.sort_unstable_by_key(|c| (c.record.category, c.record.id));
        crimes
    }

    /// The crime with a police.uk Crime ID (exact, case-sensitive).
    pub fn crime_by_persistent_id(&self, persistent_id: &str) -> Option<CrimeRef<'_>> {
        let position = match build::decode_hex_id(persistent_id) {
            Some(bytes) => {
                let prefix = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
                let start = self.persistent_index.partition_point(|(p, _)| *p < prefix);
                self.persistent_index[start..]
                    .iter()
                    .take_while(|(p, _)| *p == prefix)
                    .map(|(_, position)| *position)
                    .find(|&position| {
                        let r = &self.records[position as usize];
                        r.flags & CrimeRecord::HEX_ID != 0 && r.persistent_id == bytes
                    })?
            }
            None => *self.other_persistent_index.get(persistent_id)?,
        };
        Some(self.locate(position))
    }

    /// A crime by its position, with its month and snap point worked out.
    fn locate(&self, position: u32) -> CrimeRef<'_> {
        let m = self.months.partition_point(|m| m.end <= position);
        let data = &self.months[m];
        let point = (position < data.located_end).then(|| {
            let relative = position - data.start;
            (data.offsets.partition_point(|&o| o <= relative) - 1) as u32
        });
        self.crime_ref(position, data.month, point)
    }

    /// Outcomes recorded in a month at the given snap points, oldest crime first.
    fn outcomes_at_points(
        &self,
        month: Month,
        points: &[u32],
        cap: Option<usize>,
    ) -> Result<Vec<OutcomeRef<'_>>, TooManyResults> {
        let Some(data) =
            self.outcomes.binary_search_by_key(&month, |m| m.month).ok().map(|i| &self.outcomes[i])
        else {
            return Ok(Vec::new());
        };
        if data.offsets.is_empty() {
            return Ok(Vec::new());
        }
        let range =
            |p: u32| data.offsets[p as usize] as usize..data.offsets[p as usize + 1] as usize;
        let found: usize = points.iter().map(|&p| range(p).len()).sum();
        if let Some(cap) = cap {
            if found > cap {
                return Err(TooManyResults { found, cap });
            }
        }
        let mut outcomes = Vec::with_capacity(found);
        for &p in points {
            for record in &data.records[range(p)] {
                outcomes.push(OutcomeRef {
                    month,
                    code: record.code,
                    crime: self.locate(record.crime),
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
        let points = self.spatial.query(area);
        self.outcomes_at_points(month, &points, cap)
    }

    /// Outcomes recorded in a month at one snap point.
    pub fn outcomes_at_point(&self, month: Month, point: u32) -> Vec<OutcomeRef<'_>> {
        self.outcomes_at_points(month, &[point], None).unwrap_or_default()
    }
}
