//! Crime counts per month and category (`/api/v2/crimes/counts`), counted in place: no list of
//! crimes is ever built. For a circle or polygon the R-tree is asked once for the snap points
//! inside, then each month's groups of those points are counted; for a force or the whole
//! country each month's records are scanned (crimes without a location included, since they
//! have a force).

use super::{CrimeIndex, CrimeRecord, MonthCrimes};
use crate::reference::CRIME_CATEGORIES;
use crate::spatial::Area;
use crate::Month;

/// Number of crime categories a record can carry (current and historic): the length of a
/// [`CategoryCounts`] array, indexed by category code.
pub const CATEGORY_COUNT: usize = CRIME_CATEGORIES.len();

/// Crimes per category, indexed by category code (position in [`CRIME_CATEGORIES`]).
pub type CategoryCounts = [u64; CATEGORY_COUNT];

/// Where to count crimes.
#[derive(Debug, Clone, Copy)]
pub enum CountScope<'a> {
    /// Every crime, with or without a location.
    National,
    /// The crimes of one force (by id, e.g. `leicestershire`), with or without a location.
    Force(&'a str),
    /// The crimes mapped to a snap point inside the area (as `crimes-street`).
    Area(&'a Area),
}

/// The counts of one month of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCounts {
    /// The month.
    pub month: Month,
    /// Crimes per category; `None` when the index holds no crimes at all for the month
    /// (its data is missing), as opposed to a month held with no crimes in the scope (zeros).
    pub counts: Option<CategoryCounts>,
}

impl CrimeIndex {
    /// Crimes per category for every month from `from` to `to` (inclusive; empty when
    /// `from > to`), oldest first, in `scope`. Months the index holds no crimes for have
    /// `counts: None`. An unknown force counts zero in the months held.
    pub fn crime_counts(&self, from: Month, to: Month, scope: CountScope<'_>) -> Vec<MonthCounts> {
        let points = match scope {
            CountScope::Area(area) => self.spatial.query(area),
            CountScope::National | CountScope::Force(_) => Vec::new(),
        };
        // `None` inside: a force with no crimes in the index (it counts zero).
        let force = match scope {
            CountScope::Force(id) => Some(self.forces.iter().position(|f| &**f == id)),
            CountScope::National | CountScope::Area(_) => None,
        };
        let mut answer = Vec::new();
        let mut month = Some(from);
        while let Some(current) = month.filter(|m| *m <= to) {
            let counts = self.month(current).map(|data| match scope {
                CountScope::National => self.count_records(data.start..data.end, |_| true),
                CountScope::Force(_) => match force.flatten() {
                    Some(f) => self.count_records(data.start..data.end, |r| r.force as usize == f),
                    None => [0; CATEGORY_COUNT],
                },
                CountScope::Area(_) => self.count_at_points(data, &points),
            });
            answer.push(MonthCounts { month: current, counts });
            month = current.plus(1);
        }
        answer
    }

    /// Per-category counts of the records in `range` that `keep` accepts.
    fn count_records(
        &self,
        range: std::ops::Range<u32>,
        keep: impl Fn(&CrimeRecord) -> bool,
    ) -> CategoryCounts {
        let mut counts = [0; CATEGORY_COUNT];
        for record in &self.records[range.start as usize..range.end as usize] {
            if keep(record) {
                tally(&mut counts, record);
            }
        }
        counts
    }

    /// Per-category counts of a month's records at the given snap points.
    fn count_at_points(&self, data: &MonthCrimes, points: &[u32]) -> CategoryCounts {
        let mut counts = [0; CATEGORY_COUNT];
        for &point in points {
            let group = data.groups.range(point);
            let records = &self.records
                [(data.start + group.start) as usize..(data.start + group.end) as usize];
            for record in records {
                tally(&mut counts, record);
            }
        }
        counts
    }
}

/// Counts `record` in its category (a code outside [`CRIME_CATEGORIES`], which the store
/// never writes, is not counted).
fn tally(counts: &mut CategoryCounts, record: &CrimeRecord) {
    if let Some(count) = counts.get_mut(record.category as usize) {
        *count += 1;
    }
}
