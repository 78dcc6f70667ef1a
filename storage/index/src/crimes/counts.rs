//! Crime counts per month and category (`/api/v2/crimes/counts`), counted in place: no list of
//! crimes is ever built: each month's selected crimes (see [`super::select`]) are tallied.

use super::{CrimeIndex, CrimeRecord};
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
        let selection = self.select(scope);
        Month::range(from, to)
            .map(|month| {
                let mut counts = [0; CATEGORY_COUNT];
                let held = self
                    .visit_selected(month, &selection, |_, crime| tally(&mut counts, crime.record));
                MonthCounts { month, counts: held.then_some(counts) }
            })
            .collect()
    }
}

/// Counts `record` in its category (a code outside [`CRIME_CATEGORIES`], which the store
/// never writes, is not counted).
fn tally(counts: &mut CategoryCounts, record: &CrimeRecord) {
    if let Some(count) = counts.get_mut(record.category as usize) {
        *count += 1;
    }
}
