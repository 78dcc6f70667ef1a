//! Building a [`CrimeIndex`] from plain values.

use std::collections::HashMap;

use super::{
    CrimeIndex, CrimeOutcome, CrimeRecord, MonthCrimes, MonthOutcomes, OutcomeRecord, SnapPoint,
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
const NO_OTHER_ID: u32 = u32::MAX;

struct StagedCrime {
    month: u16,
    point: u32,
    /// Index into `other_ids` for a Crime ID that is not 64 hex digits.
    other_id: u32,
    record: CrimeRecord,
}

enum CrimeKey {
    Hex([u8; 32]),
    Other(Box<str>),
}

struct StagedOutcome {
    month: u16,
    point: u32,
    code: u8,
    crime: CrimeKey,
}

/// Collects snap points, crimes and outcomes, then builds the index in one pass.
#[derive(Default)]
pub struct IndexBuilder {
    points: Vec<SnapPoint>,
    point_by_id: HashMap<i32, u32>,
    forces: Vec<Box<str>>,
    force_ids: HashMap<Box<str>, u8>,
    contexts: Vec<Box<str>>,
    context_ids: HashMap<Box<str>, u32>,
    outcome_names: Vec<Box<str>>,
    outcome_name_ids: HashMap<Box<str>, u16>,
    other_ids: Vec<Box<str>>,
    crimes: Vec<StagedCrime>,
    outcomes: Vec<StagedOutcome>,
}

/// 64 lowercase hex digits as 32 bytes; `None` for anything else (upper case included:
/// police.uk answers 404 to an upper-cased id).
pub(super) fn decode_hex_id(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

fn intern<T: Copy + TryFrom<usize>>(
    pool: &mut Vec<Box<str>>,
    ids: &mut HashMap<Box<str>, T>,
    text: &str,
) -> anyhow::Result<T> {
    if let Some(&id) = ids.get(text) {
        return Ok(id);
    }
    let id = T::try_from(pool.len())
        .map_err(|_| anyhow::anyhow!("too many distinct values for the index's text pool"))?;
    pool.push(text.into());
    ids.insert(text.into(), id);
    Ok(id)
}

impl IndexBuilder {
    pub fn new() -> Self {
        let mut builder = IndexBuilder::default();
        // Index 0 of both pools means "empty" / "none".
        builder.contexts.push("".into());
        builder.context_ids.insert("".into(), 0);
        builder.outcome_names.push("".into());
        builder
    }

    /// Adds a snap point; crimes and outcomes refer to it by `point.id`.
    pub fn add_point(&mut self, point: SnapPoint) {
        self.point_by_id.insert(point.id, self.points.len() as u32);
        self.points.push(point);
    }

    fn point(&self, location_id: Option<i32>) -> anyhow::Result<u32> {
        match location_id {
            None => Ok(NO_POINT),
            Some(id) => self
                .point_by_id
                .get(&id)
                .copied()
                .ok_or_else(|| anyhow::anyhow!("location {id} is referenced but not loaded")),
        }
    }

    fn month(month: Month) -> anyhow::Result<u16> {
        u16::try_from(month.index()).map_err(|_| anyhow::anyhow!("month {month} out of range"))
    }

    pub fn add_crime(&mut self, crime: CrimeInput<'_>) -> anyhow::Result<()> {
        let id = u32::try_from(crime.id)
            .map_err(|_| anyhow::anyhow!("crime id {} does not fit the index", crime.id))?;
        let force = intern(&mut self.forces, &mut self.force_ids, crime.force_id)?;
        let context = intern(&mut self.contexts, &mut self.context_ids, crime.context)?;
        let last_outcome = match crime.last_outcome {
            Some(name) => intern(&mut self.outcome_names, &mut self.outcome_name_ids, name)?,
            None => 0,
        };
        let mut record = CrimeRecord {
            persistent_id: [0; 32],
            id,
            context,
            last_outcome,
            outcome_month: 0,
            category: crime.category,
            force,
            flags: 0,
        };
        let mut other_id = NO_OTHER_ID;
        match crime.persistent_id.filter(|p| !p.is_empty()) {
            None => {}
            Some(text) => match decode_hex_id(text) {
                Some(bytes) => {
                    record.persistent_id = bytes;
                    record.flags |= CrimeRecord::HEX_ID;
                }
                None => {
                    record.flags |= CrimeRecord::OTHER_ID;
                    other_id = self.other_ids.len() as u32;
                    self.other_ids.push(text.into());
                }
            },
        }
        let staged = StagedCrime {
            month: Self::month(crime.month)?,
            point: self.point(crime.location_id)?,
            other_id,
            record,
        };
        self.crimes.push(staged);
        Ok(())
    }

    pub fn add_outcome(&mut self, outcome: OutcomeInput<'_>) -> anyhow::Result<()> {
        let crime = match decode_hex_id(outcome.persistent_id) {
            Some(bytes) => CrimeKey::Hex(bytes),
            None => CrimeKey::Other(outcome.persistent_id.into()),
        };
        let staged = StagedOutcome {
            month: Self::month(outcome.month)?,
            point: self.point(outcome.location_id)?,
            code: outcome.code,
            crime,
        };
        self.outcomes.push(staged);
        Ok(())
    }

    pub fn build(mut self) -> CrimeIndex {
        let spatial = SpatialIndex::new(
            &self.points.iter().map(|p| (p.latitude, p.longitude)).collect::<Vec<_>>(),
        );
        self.crimes.sort_unstable_by_key(|c| (c.month, c.point, c.record.force, c.record.id));

        let mut index = CrimeIndex {
            spatial,
            forces: self.forces,
            contexts: self.contexts,
            outcome_names: self.outcome_names,
            ..CrimeIndex::default()
        };
        index.records.reserve_exact(self.crimes.len());
        let other_ids = self.other_ids;
        let point_count = self.points.len();
        let mut staged = self.crimes.into_iter().peekable();
        while let Some(first) = staged.peek() {
            let month_index = first.month;
            let start = index.records.len() as u32;
            let mut offsets: Vec<u32> = Vec::new();
            let mut located_end = start;
            while let Some(crime) = staged.next_if(|c| c.month == month_index) {
                let position = index.records.len() as u32;
                if crime.point != NO_POINT {
                    if offsets.is_empty() {
                        offsets = vec![0; point_count + 1];
                    }
                    offsets[crime.point as usize + 1] += 1;
                    located_end = position + 1;
                }
                if crime.other_id != NO_OTHER_ID {
                    let id = other_ids[crime.other_id as usize].clone();
                    index.other_persistent_index.insert(id.clone(), position);
                    index.other_persistent_ids.insert(position, id);
                }
                index.records.push(crime.record);
            }
            for p in 0..point_count.min(offsets.len().saturating_sub(1)) {
                offsets[p + 1] += offsets[p];
            }
            index.months.push(MonthCrimes {
                month: Month::from_index(month_index as u32).expect("stored from a Month"),
                start,
                located_end,
                end: index.records.len() as u32,
                offsets,
            });
        }

        index.persistent_index = index
            .records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.flags & CrimeRecord::HEX_ID != 0)
            .map(|(position, r)| {
                (
                    u64::from_be_bytes(r.persistent_id[..8].try_into().expect("8 bytes")),
                    position as u32,
                )
            })
            .collect();
        index.persistent_index.sort_unstable();

        // Outcomes point at their crime's position; outcomes of crimes that are not in the
        // index cannot be rendered (the outcomes file has no category or crime month).
        let mut by_month: Vec<(u16, u32, OutcomeRecord)> = Vec::with_capacity(self.outcomes.len());
        for outcome in &self.outcomes {
            let position = match &outcome.crime {
                CrimeKey::Hex(bytes) => {
                    let prefix = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
                    let start = index.persistent_index.partition_point(|(p, _)| *p < prefix);
                    index.persistent_index[start..]
                        .iter()
                        .take_while(|(p, _)| *p == prefix)
                        .map(|(_, position)| *position)
                        .find(|&position| index.records[position as usize].persistent_id == *bytes)
                }
                CrimeKey::Other(text) => index.other_persistent_index.get(text).copied(),
            };
            let Some(crime) = position else {
                index.orphan_outcomes += 1;
                continue;
            };
            index.outcomes_by_crime.push(CrimeOutcome {
                crime,
                month: outcome.month,
                code: outcome.code,
            });
            let record = &mut index.records[crime as usize];
            record.outcome_month = record.outcome_month.max(outcome.month);
            if outcome.point != NO_POINT {
                by_month.push((
                    outcome.month,
                    outcome.point,
                    OutcomeRecord { crime, code: outcome.code },
                ));
            }
        }
        index.outcomes_by_crime.sort_unstable_by_key(|o| (o.crime, o.month, o.code));
        by_month.sort_unstable_by_key(|(month, point, record)| (*month, *point, record.crime));
        let mut by_month = by_month.into_iter().peekable();
        while let Some(&(month_index, _, _)) = by_month.peek() {
            let mut offsets = vec![0u32; point_count + 1];
            let mut records = Vec::new();
            while let Some((_, point, record)) = by_month.next_if(|(m, _, _)| *m == month_index) {
                offsets[point as usize + 1] += 1;
                records.push(record);
            }
            for p in 0..point_count {
                offsets[p + 1] += offsets[p];
            }
            index.outcomes.push(MonthOutcomes {
                month: Month::from_index(month_index as u32).expect("stored from a Month"),
                records,
                offsets,
            });
        }

        index.points = self.points;
        index.point_by_id = self.point_by_id;
        index
    }
}
