//! Stop and search in the in-memory index, laid out like the crimes: one array of compact
//! records, month after month; within a month the stops with a location grouped by snap
//! point (CSR), then those without one, sorted by force. Stops use the crime index's snap
//! points and R-tree (a stop's location is a snap point), so queries take the
//! [`CrimeIndex`] they were built against.
//!
//! Unlike crimes, the per-month CSR is sparse (the snap points with stops, and their
//! offsets): a month has far fewer stops than the country has snap points, and a dense
//! offset array per month would outweigh the records. Text fields are interned per field in
//! small pools (legislation, ethnicities, outcomes … have a handful of values each).
//!
//! `walk` walks an area's stops from a position, for `/api/v2/stops` (its cursors), and
//! `counts` groups and counts them in place for `/api/v2/stops/counts`
//! ([`StopIndex::stop_counts`]).

use std::collections::HashMap;

mod counts;
mod walk;

pub use counts::{
    StopCounts, StopCountsError, StopDimension, StopGroup, StopKeyValue, StopTally,
    MAX_STOP_DIMENSIONS, MAX_STOP_GROUPS,
};
pub use walk::StopSelection;

use crate::crimes::{CrimeIndex, SnapPoint};
use crate::spatial::Area;
use crate::Month;

/// The name of the snap points created for stop coordinates that no street or outcome file
/// has named (the bulk stop-and-search files give coordinates only).
pub const UNNAMED_LOCATION: &str = "On or near Unnamed Location";

/// The text fields of a stop kept in `u16` pools, in [`StopRecord::text`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Type = 0,
    Gender,
    AgeRange,
    SelfDefinedEthnicity,
    OfficerDefinedEthnicity,
    Legislation,
    ObjectOfSearch,
    Outcome,
    OperationName,
}

const FIELDS: usize = 9;

/// One stop, compactly (32 bytes). Its month and snap point follow from where it sits in
/// the index; text lives in the index's pools, where 0 means `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopRecord {
    /// Seconds since 1970-01-01T00:00:00Z.
    datetime: i64,
    /// Position in the order police.uk's stop routes list stops in: by month, date and time,
    /// force id, then the order the store returned the rows in (file order for a file
    /// imported whole). The v2 list's order is the layout's, which does not depend on that.
    rank: u32,
    /// Indexes into the pools of the [`Field`]s.
    text: [u16; FIELDS],
    force: u8,
    /// Three tri-state booleans (0 `null`, 1 false, 2 true), two bits each: operation,
    /// outcome linked to object of search, removal of more than outer clothing.
    flags: u8,
}

const OPERATION_SHIFT: u8 = 0;
const LINKED_SHIFT: u8 = 2;
const REMOVAL_SHIFT: u8 = 4;

fn encode_flag(value: Option<bool>, shift: u8) -> u8 {
    (match value {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    }) << shift
}

fn decode_flag(flags: u8, shift: u8) -> Option<bool> {
    match (flags >> shift) & 3 {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    }
}

/// A stop to add: what the `stops` table holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct StopInput<'a> {
    /// The month police.uk files the stop under (the file's month).
    pub month: Option<Month>,
    pub force_id: &'a str,
    pub stop_type: Option<&'a str>,
    /// Seconds since 1970-01-01T00:00:00Z.
    pub datetime: i64,
    pub operation: Option<bool>,
    pub operation_name: Option<&'a str>,
    /// The snap point (`locations.id`); `None` for stops without coordinates.
    pub location_id: Option<i32>,
    pub gender: Option<&'a str>,
    pub age_range: Option<&'a str>,
    pub self_defined_ethnicity: Option<&'a str>,
    pub officer_defined_ethnicity: Option<&'a str>,
    pub legislation: Option<&'a str>,
    pub object_of_search: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub outcome_linked_to_object_of_search: Option<bool>,
    pub removal_of_more_than_outer_clothing: Option<bool>,
}

/// The `outcome_object.id` for a published stop-and-search outcome name. police.uk's ids
/// `bu-no-further-action`, `bu-arrest`, `bu-summons` and `bu-community-resolution` are
/// known; the others are this server's choice (see docs/COMPATIBILITY.md): `bu-caution`,
/// `bu-penalty-notice`, `bu-khat-or-cannabis-warning`, and for any other name `bu-` and the
/// name in lower case with runs of other characters turned into `-`. Historic names map to
/// the id of their current equivalent.
pub fn stop_outcome_id(name: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("A no further action disposal", "bu-no-further-action"),
        ("Nothing found - no further action", "bu-no-further-action"),
        ("Arrest", "bu-arrest"),
        ("Suspect arrested", "bu-arrest"),
        ("Summons / charged by post", "bu-summons"),
        ("Suspect summonsed to court", "bu-summons"),
        ("Community resolution", "bu-community-resolution"),
        ("Local resolution", "bu-community-resolution"),
        ("Caution (simple or conditional)", "bu-caution"),
        ("Offender cautioned", "bu-caution"),
        ("Penalty Notice for Disorder", "bu-penalty-notice"),
        ("Offender given penalty notice", "bu-penalty-notice"),
        ("Khat or Cannabis warning", "bu-khat-or-cannabis-warning"),
        ("Offender given drugs possession warning", "bu-khat-or-cannabis-warning"),
    ];
    let name = name.trim();
    if let Some((_, id)) = KNOWN.iter().find(|(known, _)| known.eq_ignore_ascii_case(name)) {
        return (*id).to_owned();
    }
    let mut id = String::from("bu");
    for word in name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        id.push('-');
        id.push_str(&word.to_ascii_lowercase());
    }
    id
}

/// A stop as read from the index, with everything needed to render it.
#[derive(Debug, Clone, Copy)]
pub struct StopRef<'a> {
    index: &'a StopIndex,
    /// Position in the index's record array.
    pub position: u32,
    pub record: &'a StopRecord,
    pub month: Month,
    pub point: Option<&'a SnapPoint>,
}

impl<'a> StopRef<'a> {
    fn text(&self, field: Field) -> Option<&'a str> {
        match self.record.text[field as usize] {
            0 => None,
            i => Some(&self.index.pools[field as usize][i as usize]),
        }
    }

    pub fn stop_type(&self) -> Option<&'a str> {
        self.text(Field::Type)
    }

    /// police.uk's `involved_person`: a person was searched, i.e. anything but a vehicle
    /// search.
    pub fn involved_person(&self) -> bool {
        self.stop_type() != Some("Vehicle search")
    }

    pub fn gender(&self) -> Option<&'a str> {
        self.text(Field::Gender)
    }

    pub fn age_range(&self) -> Option<&'a str> {
        self.text(Field::AgeRange)
    }

    pub fn self_defined_ethnicity(&self) -> Option<&'a str> {
        self.text(Field::SelfDefinedEthnicity)
    }

    pub fn officer_defined_ethnicity(&self) -> Option<&'a str> {
        self.text(Field::OfficerDefinedEthnicity)
    }

    pub fn legislation(&self) -> Option<&'a str> {
        self.text(Field::Legislation)
    }

    pub fn object_of_search(&self) -> Option<&'a str> {
        self.text(Field::ObjectOfSearch)
    }

    /// The outcome as published and its `outcome_object.id`, when one was given.
    pub fn outcome(&self) -> Option<(&'a str, &'a str)> {
        let i = self.record.text[Field::Outcome as usize] as usize;
        (i != 0)
            .then(|| (&*self.index.pools[Field::Outcome as usize][i], &*self.index.outcome_ids[i]))
    }

    pub fn operation(&self) -> Option<bool> {
        decode_flag(self.record.flags, OPERATION_SHIFT)
    }

    pub fn operation_name(&self) -> Option<&'a str> {
        self.text(Field::OperationName)
    }

    pub fn outcome_linked_to_object_of_search(&self) -> Option<bool> {
        decode_flag(self.record.flags, LINKED_SHIFT)
    }

    pub fn removal_of_more_than_outer_clothing(&self) -> Option<bool> {
        decode_flag(self.record.flags, REMOVAL_SHIFT)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn datetime(&self) -> i64 {
        self.record.datetime
    }

    pub fn force_id(&self) -> &'a str {
        &self.index.forces[self.record.force as usize]
    }
}

/// A stop as a list holds it between chunks of its answer: what [`StopIndex::stop`] needs
/// to read it again (a [`StopRef`] borrows the index; a key does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopKey {
    position: u32,
    month: Month,
}

impl StopRef<'_> {
    /// This stop's [`StopKey`].
    pub fn key(&self) -> StopKey {
        StopKey { position: self.position, month: self.month }
    }
}

/// One month of stops: records `start..located_end` grouped by snap point, then
/// `located_end..end` without a location; each group by force id, then time and the other
/// fields (not rank: see [`StopIndexBuilder::build`]).
#[derive(Debug, Clone)]
struct MonthStops {
    month: Month,
    start: u32,
    located_end: u32,
    end: u32,
    /// The snap points with stops this month, ascending; the stops at `points[i]` are
    /// `offsets[i]..offsets[i + 1]` (relative to `start`), in rank order.
    points: Vec<u32>,
    offsets: Vec<u32>,
    /// Every stop of the month (positions), by force number, then position: a force's
    /// stops in position order, so a walk over a force resumes by binary search.
    by_force: Vec<u32>,
}

impl MonthStops {
    /// The snap point of the stop at `position` (of this month); `None` without one.
    fn point_of(&self, position: u32) -> Option<u32> {
        (position < self.located_end).then(|| {
            let relative = position - self.start;
            self.points[self.offsets.partition_point(|&o| o <= relative) - 1]
        })
    }
}

/// Every stop, grouped by month and snap point. Immutable once built.
#[derive(Debug, Default)]
pub struct StopIndex {
    records: Vec<StopRecord>,
    /// Sorted by month.
    months: Vec<MonthStops>,
    forces: Vec<Box<str>>,
    /// The place of each force (by number) among the force ids sorted.
    force_order: Vec<u8>,
    /// One pool per [`Field`]; entry 0 of each is unused (`null`).
    pools: [Vec<Box<str>>; FIELDS],
    /// `outcome_object.id` per entry of the outcome pool.
    outcome_ids: Vec<Box<str>>,
}

impl StopIndex {
    /// Number of stops.
    pub fn stop_count(&self) -> usize {
        self.records.len()
    }

    /// Months with stops, oldest first.
    pub fn months(&self) -> impl Iterator<Item = Month> + '_ {
        self.months.iter().map(|m| m.month)
    }

    /// The newest month with stops.
    pub fn latest_month(&self) -> Option<Month> {
        self.months.last().map(|m| m.month)
    }

    fn month(&self, month: Month) -> Option<&MonthStops> {
        self.months.binary_search_by_key(&month, |m| m.month).ok().map(|i| &self.months[i])
    }

    fn stop_ref<'a>(
        &'a self,
        points: &'a CrimeIndex,
        position: u32,
        month: Month,
        point: Option<u32>,
    ) -> StopRef<'a> {
        StopRef {
            index: self,
            position,
            record: &self.records[position as usize],
            month,
            point: point.map(|p| points.point(p)),
        }
    }

    /// The stop a [`StopKey`] (made from this index, built against `points`) stands for.
    pub fn stop<'a>(&'a self, points: &'a CrimeIndex, key: StopKey) -> StopRef<'a> {
        let point = self.month(key.month).and_then(|data| data.point_of(key.position));
        self.stop_ref(points, key.position, key.month, point)
    }

    /// The stops of a month at the given snap points (ascending), in rank order.
    fn stops_at_points<'a>(
        &'a self,
        points: &'a CrimeIndex,
        month: Month,
        wanted: &[u32],
    ) -> Vec<StopRef<'a>> {
        let Some(data) = self.month(month) else { return Vec::new() };
        let mut stops = Vec::new();
        let mut from = 0;
        for &point in wanted {
            // Both lists ascend: search only what is left of the month's points.
            from += data.points[from..].partition_point(|&p| p < point);
            if data.points.get(from) != Some(&point) {
                continue;
            }
            let (start, end) = (data.offsets[from], data.offsets[from + 1]);
            for position in (data.start + start)..(data.start + end) {
                stops.push(self.stop_ref(points, position, month, Some(point)));
            }
        }
        stops.sort_unstable_by_key(|s| s.record.rank);
        stops
    }

    /// Stops of a month inside an area (`stops-street`), by time (see [`StopRecord`]).
    pub fn stops_in_area<'a>(
        &'a self,
        points: &'a CrimeIndex,
        month: Month,
        area: &Area,
    ) -> Vec<StopRef<'a>> {
        if self.month(month).is_none() {
            return Vec::new();
        }
        self.stops_at_points(points, month, &points.spatial.query(area))
    }

    /// Stops of a month at one snap point (`stops-at-location`), by time.
    pub fn stops_at_point<'a>(
        &'a self,
        points: &'a CrimeIndex,
        month: Month,
        point: u32,
    ) -> Vec<StopRef<'a>> {
        self.stops_at_points(points, month, &[point])
    }

    /// Stops of a month without a location, for one force (`stops-no-location`), by time.
    pub fn stops_without_location<'a>(
        &'a self,
        points: &'a CrimeIndex,
        month: Month,
        force_id: &str,
    ) -> Vec<StopRef<'a>> {
        let Some(data) = self.month(month) else { return Vec::new() };
        let Some(force) = self.force(force_id) else { return Vec::new() };
        let unplaced = &self.records[data.located_end as usize..data.end as usize];
        let order = self.force_order[force as usize];
        let start = unplaced.partition_point(|r| self.force_order[r.force as usize] < order);
        let end = unplaced.partition_point(|r| self.force_order[r.force as usize] <= order);
        let mut stops: Vec<StopRef<'a>> = (start..end)
            .map(|i| self.stop_ref(points, data.located_end + i as u32, month, None))
            .collect();
        stops.sort_unstable_by_key(|s| s.record.rank);
        stops
    }

    /// Every stop of a force in a month, with or without a location (`stops-force`), by
    /// time.
    pub fn stops_of_force<'a>(
        &'a self,
        points: &'a CrimeIndex,
        month: Month,
        force_id: &str,
    ) -> Vec<StopRef<'a>> {
        let Some(data) = self.month(month) else { return Vec::new() };
        let Some(force) = self.force(force_id) else { return Vec::new() };
        let force_of = |p: &u32| self.records[*p as usize].force;
        let start = data.by_force.partition_point(|p| force_of(p) < force);
        let end = data.by_force.partition_point(|p| force_of(p) <= force);
        let mut stops: Vec<StopRef<'a>> = data.by_force[start..end]
            .iter()
            .map(|&position| self.stop_ref(points, position, month, data.point_of(position)))
            .collect();
        stops.sort_unstable_by_key(|s| s.record.rank);
        stops
    }

    fn force(&self, force_id: &str) -> Option<u8> {
        self.forces.iter().position(|f| &**f == force_id).map(|f| f as u8)
    }
}

const NO_POINT: u32 = u32::MAX;

struct StagedStop {
    month: u16,
    location_id: Option<i32>,
    point: u32,
    record: StopRecord,
}

/// Collects stops, then builds the index against the crime index's snap points.
#[derive(Default)]
pub struct StopIndexBuilder {
    forces: Vec<Box<str>>,
    force_ids: HashMap<Box<str>, u8>,
    pools: [Vec<Box<str>>; FIELDS],
    pool_ids: [HashMap<Box<str>, u16>; FIELDS],
    stops: Vec<StagedStop>,
}

fn intern<T: Copy + TryFrom<usize>>(
    pool: &mut Vec<Box<str>>,
    ids: &mut HashMap<Box<str>, T>,
    text: &str,
    what: &str,
) -> anyhow::Result<T> {
    if let Some(&id) = ids.get(text) {
        return Ok(id);
    }
    let id = T::try_from(pool.len())
        .map_err(|_| anyhow::anyhow!("too many distinct {what} values for the stop index"))?;
    pool.push(text.into());
    ids.insert(text.into(), id);
    Ok(id)
}

impl StopIndexBuilder {
    pub fn new() -> Self {
        let mut builder = StopIndexBuilder::default();
        for pool in &mut builder.pools {
            pool.push("".into());
        }
        builder
    }

    pub fn add_stop(&mut self, stop: StopInput<'_>) -> anyhow::Result<()> {
        let month = stop.month.ok_or_else(|| anyhow::anyhow!("a stop has no month"))?;
        let month = u16::try_from(month.index())
            .map_err(|_| anyhow::anyhow!("month {month} out of range"))?;
        let force = intern(&mut self.forces, &mut self.force_ids, stop.force_id, "force")?;
        let values = [
            (Field::Type, stop.stop_type),
            (Field::Gender, stop.gender),
            (Field::AgeRange, stop.age_range),
            (Field::SelfDefinedEthnicity, stop.self_defined_ethnicity),
            (Field::OfficerDefinedEthnicity, stop.officer_defined_ethnicity),
            (Field::Legislation, stop.legislation),
            (Field::ObjectOfSearch, stop.object_of_search),
            (Field::Outcome, stop.outcome),
            (Field::OperationName, stop.operation_name),
        ];
        let mut text = [0u16; FIELDS];
        for (field, value) in values {
            if let Some(value) = value {
                let f = field as usize;
                text[f] = intern(&mut self.pools[f], &mut self.pool_ids[f], value, "text")?;
            }
        }
        let flags = encode_flag(stop.operation, OPERATION_SHIFT)
            | encode_flag(stop.outcome_linked_to_object_of_search, LINKED_SHIFT)
            | encode_flag(stop.removal_of_more_than_outer_clothing, REMOVAL_SHIFT);
        self.stops.push(StagedStop {
            month,
            location_id: stop.location_id,
            point: NO_POINT,
            record: StopRecord { datetime: stop.datetime, rank: 0, text, force, flags },
        });
        Ok(())
    }

    /// Builds the index. Every `location_id` must be a snap point of `points`. A stop at a
    /// [`UNNAMED_LOCATION`] point is placed at the lowest-id named point with the same
    /// coordinates, when there is one (a street or outcome file named the place after the
    /// stop file was imported).
    pub fn build(mut self, points: &CrimeIndex) -> anyhow::Result<StopIndex> {
        let mut unnamed: HashMap<(u64, u64), Option<u32>> = HashMap::new();
        for stop in &mut self.stops {
            let Some(id) = stop.location_id else { continue };
            let point = points
                .point_by_id(id)
                .ok_or_else(|| anyhow::anyhow!("location {id} is referenced but not loaded"))?;
            let snap = points.point(point);
            if &*snap.name == UNNAMED_LOCATION {
                unnamed.insert((snap.latitude.to_bits(), snap.longitude.to_bits()), None);
            }
            stop.point = point;
        }
        if !unnamed.is_empty() {
            for p in 0..points.point_count() as u32 {
                let snap = points.point(p);
                if &*snap.name == UNNAMED_LOCATION {
                    continue;
                }
                let key = (snap.latitude.to_bits(), snap.longitude.to_bits());
                if let Some(best) = unnamed.get_mut(&key) {
                    if best.is_none_or(|b| points.point(b).id > snap.id) {
                        *best = Some(p);
                    }
                }
            }
            for stop in &mut self.stops {
                if stop.point == NO_POINT {
                    continue;
                }
                let snap = points.point(stop.point);
                if &*snap.name == UNNAMED_LOCATION {
                    let key = (snap.latitude.to_bits(), snap.longitude.to_bits());
                    if let Some(Some(named)) = unnamed.get(&key) {
                        stop.point = *named;
                    }
                }
            }
        }

        // The response order (stable: ties keep the order the rows were added in).
        let mut force_rank: Vec<u8> = (0..self.forces.len() as u8).collect();
        force_rank.sort_by_key(|&f| &self.forces[f as usize]);
        let mut force_order = vec![0u8; force_rank.len()];
        for (order, &f) in force_rank.iter().enumerate() {
            force_order[f as usize] = order as u8;
        }
        self.stops
            .sort_by_key(|s| (s.month, s.record.datetime, force_order[s.record.force as usize]));
        anyhow::ensure!(u32::try_from(self.stops.len()).is_ok(), "too many stops for the index");
        for (rank, stop) in self.stops.iter_mut().enumerate() {
            stop.record.rank = rank as u32;
        }
        // The layout, which cursors point into: by month, snap point (unplaced last), force
        // id, time, then every text field (as text) and flag, so positions follow from the
        // rows alone, whatever order the store handed them over in. Stops equal in all of
        // that are indistinguishable in any answer.
        let text_order: Vec<Vec<u16>> = self.pools.iter().map(|pool| text_order(pool)).collect();
        self.stops.sort_unstable_by_key(|s| {
            let r = &s.record;
            let text: [u16; FIELDS] = std::array::from_fn(|f| text_order[f][r.text[f] as usize]);
            (s.month, s.point, force_order[r.force as usize], r.datetime, text, r.flags)
        });
        let outcome_ids =
            self.pools[Field::Outcome as usize].iter().map(|n| stop_outcome_id(n).into()).collect();
        let mut index = StopIndex {
            forces: self.forces,
            force_order,
            pools: self.pools,
            outcome_ids,
            ..StopIndex::default()
        };
        index.records.reserve_exact(self.stops.len());
        let mut staged = self.stops.into_iter().peekable();
        while let Some(first) = staged.peek() {
            let month_index = first.month;
            let start = index.records.len() as u32;
            let mut month_points: Vec<u32> = Vec::new();
            let mut offsets: Vec<u32> = Vec::new();
            let mut located_end = start;
            while let Some(stop) = staged.next_if(|s| s.month == month_index) {
                let position = index.records.len() as u32;
                if stop.point != NO_POINT {
                    if month_points.last() != Some(&stop.point) {
                        month_points.push(stop.point);
                        offsets.push(position - start);
                    }
                    located_end = position + 1;
                }
                index.records.push(stop.record);
            }
            offsets.push(located_end - start);
            let end = index.records.len() as u32;
            let mut by_force: Vec<u32> = (start..end).collect();
            by_force.sort_unstable_by_key(|&p| (index.records[p as usize].force, p));
            index.months.push(MonthStops {
                month: Month::from_index(month_index as u32).expect("stored from a Month"),
                start,
                located_end,
                end,
                points: month_points,
                offsets,
                by_force,
            });
        }
        Ok(index)
    }
}

/// The place of each entry of a text pool in the pool sorted by text, `null` (entry 0)
/// first.
fn text_order(pool: &[Box<str>]) -> Vec<u16> {
    let mut sorted: Vec<usize> = (0..pool.len()).collect();
    sorted.sort_unstable_by_key(|&i| (i != 0, &pool[i]));
    let mut order = vec![0u16; pool.len()];
    for (place, &i) in sorted.iter().enumerate() {
        // Pools hold at most u16::MAX + 1 entries (their ids are u16).
        order[i] = place as u16;
    }
    order
}

/// Seconds since 1970-01-01T00:00:00Z of a PostgreSQL `timestamptz` in text form
/// (`YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM[:SS]]`, DateStyle ISO); fractions of a second are
/// dropped.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut pos = 19;
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        while b.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
    }
    let offset = match text.get(pos..)? {
        "" | "Z" => 0,
        zone => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let mut parts = zone[1..].split(':');
            let mut seconds = 0;
            for unit in [3600, 60, 1] {
                if let Some(part) = parts.next() {
                    if part.len() != 2 || !part.bytes().all(|c| c.is_ascii_digit()) {
                        return None;
                    }
                    seconds += unit * part.parse::<i64>().ok()?;
                }
            }
            if parts.next().is_some() {
                return None;
            }
            sign * seconds
        }
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseResult;

    use super::*;
    use crate::crimes::{IndexBuilder, LocationType};
    use crate::spatial::ONE_MILE_M;
    use crate::testing::check;

    #[test]
    fn timestamps_parse_to_unix_seconds() {
        assert_eq!(parse_timestamp("1970-01-01 00:00:00+00"), Some(0));
        assert_eq!(parse_timestamp("2024-01-07 01:37:39+00"), Some(1_704_591_459));
        assert_eq!(parse_timestamp("2024-01-07T01:37:39+00:00"), Some(1_704_591_459));
        assert_eq!(parse_timestamp("2024-01-07 02:37:39.25+01"), Some(1_704_591_459));
        assert_eq!(parse_timestamp("2024-02-29 00:00:00-05:30"), Some(1_709_184_600));
        assert_eq!(parse_timestamp("1969-12-31 23:59:59+00"), Some(-1));
        for bad in ["2024-01-07", "2024-13-01 00:00:00+00", "yesterday", "2024-01-07 01:37:39+0x"] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn outcome_ids_cover_current_and_historic_names() {
        for (name, id) in [
            ("A no further action disposal", "bu-no-further-action"),
            ("Nothing found - no further action", "bu-no-further-action"),
            ("Arrest", "bu-arrest"),
            ("Suspect arrested", "bu-arrest"),
            ("Summons / charged by post", "bu-summons"),
            ("Community resolution", "bu-community-resolution"),
            ("Caution (simple or conditional)", "bu-caution"),
            ("Penalty Notice for Disorder", "bu-penalty-notice"),
            ("Khat or Cannabis warning", "bu-khat-or-cannabis-warning"),
            ("Offender given drugs possession warning", "bu-khat-or-cannabis-warning"),
            (
                "Article found - Detailed outcome unavailable",
                "bu-article-found-detailed-outcome-unavailable",
            ),
        ] {
            assert_eq!(stop_outcome_id(name), id, "{name}");
        }
    }

    fn point(id: i32, latitude: f64, longitude: f64, name: &str) -> SnapPoint {
        SnapPoint {
            id,
            latitude,
            longitude,
            name: name.into(),
            location_type: LocationType::Force,
            subtype: "".into(),
        }
    }

    fn stop<'a>(month: Month, force: &'a str, time: i64, location: Option<i32>) -> StopInput<'a> {
        StopInput {
            month: Some(month),
            force_id: force,
            datetime: time,
            location_id: location,
            stop_type: Some("Person search"),
            ..StopInput::default()
        }
    }

    /// (month, force, time, point index or None)
    type InputStop = (Month, &'static str, i64, Option<usize>);

    #[test]
    fn queries_match_a_scan_of_the_input() {
        use police_generate::rng::Rng;
        let mut rng = Rng::new(7);
        let mut builder = IndexBuilder::new();
        let points: Vec<(i32, f64, f64)> = (0..500)
            .map(|i| (10 + 2 * i, 51.5 + rng.normal() * 0.02, -0.1 + rng.normal() * 0.03))
            .collect();
        for &(id, lat, lng) in &points {
            builder.add_point(point(id, lat, lng, &format!("On or near Street {id}")));
        }
        let crimes = builder.build().unwrap();
        let months = [Month::new(2024, 1).unwrap(), Month::new(2024, 2).unwrap()];
        let forces = ["metropolitan", "city-of-london", "btp"];
        // 4,000 to 5,000 stops: (month, force, minute of 400, point or none); times repeat,
        // to exercise ties.
        let stop_inputs = vec(
            (0..2usize, 0..3usize, 0..400i64, proptest::option::weighted(0.7, 0..points.len())),
            4_000..5_000,
        );
        check(16, stop_inputs, |stop_inputs| {
            let mut stops = StopIndexBuilder::new();
            let mut input: Vec<InputStop> = Vec::new();
            for (month, force, minute, at) in stop_inputs {
                let (month, force, time) =
                    (months[month], forces[force], 1_700_000_000 + minute * 60);
                stops.add_stop(stop(month, force, time, at.map(|p| points[p].0))).unwrap();
                input.push((month, force, time, at));
            }
            queries_match(&crimes, &points, &months, &forces, stops, &input)
        });
    }

    /// The body of [`queries_match_a_scan_of_the_input`] for one input.
    fn queries_match(
        crimes: &CrimeIndex,
        points: &[(i32, f64, f64)],
        months: &[Month; 2],
        forces: &[&'static str; 3],
        stops: StopIndexBuilder,
        input: &[InputStop],
    ) -> TestCaseResult {
        let (months, forces) = (*months, *forces);
        let index = stops.build(crimes).unwrap();
        prop_assert_eq!(index.stop_count(), input.len());
        // Expected order: time, force id, then input order.
        let expect = |keep: &dyn Fn(&InputStop) -> bool| {
            let mut rows: Vec<(i64, &str, usize)> = input
                .iter()
                .enumerate()
                .filter(|(_, s)| keep(s))
                .map(|(i, s)| (s.2, s.1, i))
                .collect();
            rows.sort();
            rows.into_iter()
                .map(|(_, _, i)| (input[i].1, input[i].2, input[i].3.map(|p| points[p].0)))
                .collect::<Vec<_>>()
        };
        let got = |stops: Vec<StopRef<'_>>| {
            stops
                .iter()
                .map(|s| {
                    let force = forces.iter().find(|f| **f == s.force_id()).unwrap();
                    (*force, s.datetime(), s.point.map(|p| p.id))
                })
                .collect::<Vec<_>>()
        };
        let area = Area::Circle { lat: 51.5, lng: -0.1, radius_m: ONE_MILE_M };
        for month in months {
            for force in forces {
                prop_assert_eq!(
                    got(index.stops_without_location(crimes, month, force)),
                    expect(&|s| s.0 == month && s.1 == force && s.3.is_none())
                );
                prop_assert_eq!(
                    got(index.stops_of_force(crimes, month, force)),
                    expect(&|s| s.0 == month && s.1 == force)
                );
            }
            let inside =
                |p: Option<usize>| p.is_some_and(|p| area.contains(points[p].1, points[p].2));
            let expected = expect(&|s| s.0 == month && inside(s.3));
            prop_assert!(expected.len() > 100);
            prop_assert_eq!(got(index.stops_in_area(crimes, month, &area)), expected);
            let p = crimes.point_by_id(points[7].0).unwrap();
            prop_assert_eq!(
                got(index.stops_at_point(crimes, month, p)),
                expect(&|s| s.0 == month && s.3 == Some(7))
            );
        }
        let unknown_month = Month::new(2023, 1).unwrap();
        prop_assert!(index.stops_of_force(crimes, unknown_month, "btp").is_empty());
        prop_assert!(index.stops_of_force(crimes, months[0], "kent").is_empty());
        prop_assert!(index.stops_in_area(crimes, unknown_month, &area).is_empty());
        Ok(())
    }

    #[test]
    fn stops_at_an_unnamed_point_move_to_a_named_point_with_its_coordinates() {
        let mut builder = IndexBuilder::new();
        builder.add_point(point(5, 51.5, -0.1, UNNAMED_LOCATION));
        builder.add_point(point(9, 51.5, -0.1, "On or near High Street"));
        builder.add_point(point(7, 51.5, -0.1, "On or near Low Street"));
        builder.add_point(point(6, 51.6, -0.1, UNNAMED_LOCATION));
        let crimes = builder.build().unwrap();
        let month = Month::new(2024, 1).unwrap();
        let mut stops = StopIndexBuilder::new();
        stops.add_stop(stop(month, "metropolitan", 1, Some(5))).unwrap();
        stops.add_stop(stop(month, "metropolitan", 2, Some(6))).unwrap();
        let index = stops.build(&crimes).unwrap();
        let placed: Vec<i32> = index
            .stops_of_force(&crimes, month, "metropolitan")
            .iter()
            .map(|s| s.point.unwrap().id)
            .collect();
        assert_eq!(placed, [7, 6]);
        assert!(index.stops_at_point(&crimes, month, crimes.point_by_id(5).unwrap()).is_empty());
    }

    #[test]
    fn fields_round_trip() {
        let mut builder = IndexBuilder::new();
        builder.add_point(point(1, 51.5, -0.1, "On or near Bank"));
        let crimes = builder.build().unwrap();
        let month = Month::new(2024, 1).unwrap();
        let mut stops = StopIndexBuilder::new();
        stops
            .add_stop(StopInput {
                month: Some(month),
                force_id: "btp",
                stop_type: Some("Vehicle search"),
                datetime: 42,
                operation: Some(true),
                operation_name: Some("Op Hook"),
                location_id: Some(1),
                gender: Some("Female"),
                age_range: Some("18-24"),
                self_defined_ethnicity: Some("White - Irish"),
                officer_defined_ethnicity: Some("White"),
                legislation: Some("Misuse of Drugs Act 1971 (section 23)"),
                object_of_search: Some("Controlled drugs"),
                outcome: Some("Arrest"),
                outcome_linked_to_object_of_search: Some(false),
                removal_of_more_than_outer_clothing: None,
            })
            .unwrap();
        stops.add_stop(StopInput { stop_type: None, ..stop(month, "btp", 41, None) }).unwrap();
        let index = stops.build(&crimes).unwrap();
        let all = index.stops_of_force(&crimes, month, "btp");
        let (empty, full) = (all[0], all[1]);
        assert_eq!(full.stop_type(), Some("Vehicle search"));
        assert!(!full.involved_person());
        assert_eq!(full.operation(), Some(true));
        assert_eq!(full.operation_name(), Some("Op Hook"));
        assert_eq!(full.gender(), Some("Female"));
        assert_eq!(full.age_range(), Some("18-24"));
        assert_eq!(full.self_defined_ethnicity(), Some("White - Irish"));
        assert_eq!(full.officer_defined_ethnicity(), Some("White"));
        assert_eq!(full.legislation(), Some("Misuse of Drugs Act 1971 (section 23)"));
        assert_eq!(full.object_of_search(), Some("Controlled drugs"));
        assert_eq!(full.outcome(), Some(("Arrest", "bu-arrest")));
        assert_eq!(full.outcome_linked_to_object_of_search(), Some(false));
        assert_eq!(full.removal_of_more_than_outer_clothing(), None);
        assert_eq!(full.point.map(|p| p.id), Some(1));
        assert_eq!(full.datetime(), 42);
        assert!(empty.involved_person());
        assert_eq!((empty.stop_type(), empty.outcome(), empty.operation()), (None, None, None));
        assert_eq!(empty.operation_name(), None);
        assert_eq!(std::mem::size_of::<StopRecord>(), 32);
    }
}
