//! Each crime's LSOA (the Lower Layer Super Output Area code of its CSV row), for counting
//! by LSOA: two bytes per crime while the index holds at most 65,536 distinct codes (England
//! and Wales have about 35,000), four beyond; and, per LSOA, the snap points where its crimes
//! lie, so an LSOA is counted by visiting those points only.

use std::collections::HashMap;

use std::sync::Arc;

use super::compact::Segments;
use super::memory::{hash_map_bytes, str_bytes, str_pool_bytes, vec_bytes};
use super::{CrimeRecord, MonthCrimes};

/// The LSOA number of each record, by position (0: the row had none), one run a month.
#[derive(Debug, Clone)]
enum RecordLsoas {
    Narrow(Segments<u16>),
    Wide(Segments<u32>),
}

impl Default for RecordLsoas {
    fn default() -> Self {
        RecordLsoas::Narrow(Segments::default())
    }
}

/// The LSOAs of the crimes in the index.
#[derive(Debug, Clone, Default)]
pub(super) struct Lsoas {
    /// Codes by number; number 0 is "" (no LSOA).
    codes: Vec<Box<str>>,
    /// The name of each code.
    names: Vec<Box<str>>,
    by_code: HashMap<Box<str>, u32>,
    records: RecordLsoas,
    /// The snap points of LSOA `n` are `points[point_starts[n]..point_starts[n + 1]]`, sorted.
    point_starts: Vec<u32>,
    points: Vec<u32>,
}

impl Lsoas {
    /// From the LSOA code pool (entry 0 is "") and the names of its entries.
    pub(super) fn new(codes: Vec<Box<str>>, names: Vec<Box<str>>) -> Lsoas {
        let by_code =
            codes.iter().enumerate().skip(1).map(|(n, c)| (c.clone(), n as u32)).collect();
        Lsoas { codes, names, by_code, ..Lsoas::default() }
    }

    /// Lsoas numbered as these, with the codes and names given (these ones first, new ones
    /// after) and no records yet; records are numbered narrowly when the codes fit two
    /// bytes. Refused when these were narrow and the codes no longer fit.
    pub(super) fn continued(
        &self,
        codes: Vec<Box<str>>,
        names: Vec<Box<str>>,
    ) -> anyhow::Result<Lsoas> {
        let lsoas = Lsoas::new(codes, names);
        let narrow = lsoas.codes.len() <= usize::from(u16::MAX) + 1;
        let held_wide = self.record_count() > 0 && matches!(self.records, RecordLsoas::Wide(_));
        let held_narrow = self.record_count() > 0 && !held_wide;
        anyhow::ensure!(narrow || !held_narrow, "the LSOA codes no longer fit two bytes");
        let records = if narrow && !held_wide {
            RecordLsoas::Narrow(Segments::default())
        } else {
            RecordLsoas::Wide(Segments::default())
        };
        Ok(Lsoas { records, ..lsoas })
    }

    /// The codes by number (number 0 is "").
    pub(super) fn codes(&self) -> &[Box<str>] {
        &self.codes
    }

    /// The name of each code.
    pub(super) fn names(&self) -> &[Box<str>] {
        &self.names
    }

    /// Gives `other` (numbered as these) the run of record LSOAs starting at `start`.
    pub(super) fn share_run(&self, other: &mut Lsoas, start: u32) {
        match (&self.records, &mut other.records) {
            (RecordLsoas::Narrow(mine), RecordLsoas::Narrow(theirs)) => {
                if let Some(run) = mine.run_at(start) {
                    theirs.push_run(start, Arc::clone(run));
                }
            }
            (RecordLsoas::Wide(mine), RecordLsoas::Wide(theirs)) => {
                if let Some(run) = mine.run_at(start) {
                    theirs.push_run(start, Arc::clone(run));
                }
            }
            _ => unreachable!("Lsoas::continued keeps the width"),
        }
    }

    /// Adds the LSOA numbers of a month's records, from position `start`.
    pub(super) fn push_run(&mut self, start: u32, numbers: &[u32]) {
        match &mut self.records {
            RecordLsoas::Narrow(runs) => {
                runs.push_run(start, numbers.iter().map(|&n| n as u16).collect())
            }
            RecordLsoas::Wide(runs) => runs.push_run(start, numbers.into()),
        }
    }

    /// Works out each LSOA's snap points from the placed records.
    pub(super) fn place_points(&mut self, months: &[MonthCrimes], records: &Segments<CrimeRecord>) {
        debug_assert_eq!(self.record_count(), records.len());
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        // Nearly every crime at a point has the point's LSOA: remember the last one seen per
        // point so only changes are collected.
        let mut last_seen: HashMap<u32, u32> = HashMap::new();
        for month in months {
            for (point, group) in month.groups.iter() {
                for position in month.start + group.start..month.start + group.end {
                    let lsoa = self.of_record(position);
                    if lsoa != 0 && last_seen.insert(point, lsoa) != Some(lsoa) {
                        pairs.push((lsoa, point));
                    }
                }
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut starts = vec![0u32; self.codes.len() + 1];
        for &(lsoa, _) in &pairs {
            starts[lsoa as usize + 1] += 1;
        }
        for n in 0..self.codes.len() {
            starts[n + 1] += starts[n];
        }
        self.point_starts = starts;
        self.points = pairs.into_iter().map(|(_, point)| point).collect();
    }

    fn record_count(&self) -> usize {
        match &self.records {
            RecordLsoas::Narrow(numbers) => numbers.len(),
            RecordLsoas::Wide(numbers) => numbers.len(),
        }
    }

    /// The LSOA number of the record at `position` (0: none).
    pub(super) fn of_record(&self, position: u32) -> u32 {
        match &self.records {
            RecordLsoas::Narrow(numbers) => u32::from(numbers[position as usize]),
            RecordLsoas::Wide(numbers) => numbers[position as usize],
        }
    }

    /// The LSOA code of the record at `position` (`""`: none).
    pub(super) fn code(&self, position: u32) -> &str {
        &self.codes[self.of_record(position) as usize]
    }

    /// The LSOA name of the record at `position` (`""`: none).
    pub(super) fn name_of_record(&self, position: u32) -> &str {
        self.names.get(self.of_record(position) as usize).map_or("", |name| name)
    }

    /// The number of an LSOA code (exact); `None` when no crime has it.
    pub(super) fn number(&self, code: &str) -> Option<u32> {
        self.by_code.get(code).copied()
    }

    /// The snap points where crimes of LSOA `number` lie.
    pub(super) fn points(&self, number: u32) -> &[u32] {
        let n = number as usize;
        match (self.point_starts.get(n), self.point_starts.get(n + 1)) {
            (Some(&start), Some(&end)) => &self.points[start as usize..end as usize],
            _ => &[],
        }
    }

    /// The name given with an LSOA code, when a crime has it.
    pub(super) fn name(&self, code: &str) -> Option<&str> {
        self.number(code).map(|n| &*self.names[n as usize])
    }

    /// Number of distinct LSOA codes.
    pub(super) fn len(&self) -> usize {
        self.codes.len().saturating_sub(1)
    }

    pub(super) fn heap_bytes(&self) -> (usize, usize) {
        let per_record = match &self.records {
            RecordLsoas::Narrow(numbers) => numbers.heap_bytes(),
            RecordLsoas::Wide(numbers) => numbers.heap_bytes(),
        };
        let lookup = str_pool_bytes(&self.codes)
            + str_pool_bytes(&self.names)
            + hash_map_bytes(&self.by_code)
            + self.by_code.keys().map(|k| str_bytes(k)).sum::<usize>()
            + vec_bytes(&self.point_starts)
            + vec_bytes(&self.points);
        (per_record, lookup)
    }
}
