//! Crime counts per month and category (`/api/v2/crimes/counts`), counted in place: no list of
//! crimes is ever built: each month's selected crimes (see [`super::select`]) are tallied,
//! or for a force or the whole country, the month's per-force counts are added up.

use super::select::Summarised;
use super::{CrimeIndex, CrimeRecord, ForceSet, Selection};
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
    /// The crimes whose CSV row gave this LSOA code (exact, e.g. `E01000001`), located or not.
    Lsoa(&'a str),
}

/// The counts of one month of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthCounts {
    /// The month.
    pub month: Month,
    /// Crimes per category; `None` when the month's data is missing for the scope: the index
    /// holds no crimes at all for the month, or none of any of the scope's forces (as opposed
    /// to a month held with no crimes in the scope: zeros).
    pub counts: Option<CategoryCounts>,
    /// The scope's forces (see [`CrimeIndex::crime_counts`]) without any crime this month,
    /// by id, alphabetically: the counts are partial when some are, and `None` when all are.
    pub missing_forces: Vec<Box<str>>,
}

impl CrimeIndex {
    /// Crimes per category for every month from `from` to `to` (inclusive; empty when
    /// `from > to`), oldest first, in `scope`.
    ///
    /// The scope's forces are the force of a force scope, otherwise the forces of the crimes
    /// counted over the period. A month the index holds no crimes for, or no crimes of any of
    /// the scope's forces, has `counts: None` (missing); a month where only some of them have
    /// no crimes lists those in `missing_forces` (the counts are partial). An unknown force
    /// counts zero in the months held.
    pub fn crime_counts(&self, from: Month, to: Month, scope: CountScope<'_>) -> Vec<MonthCounts> {
        let selection = self.select(scope);
        let mut seen = ForceSet::default();
        if let Some(force) = selection.force() {
            seen.insert(force);
        }
        let counted: Vec<(Month, Option<CategoryCounts>)> = match selection.points() {
            Some(points) if self.point_counts.is_built() => {
                self.count_points(from, to, points, &mut seen)
            }
            _ => Month::range(from, to)
                .map(|month| (month, self.count_month(month, &selection, &mut seen)))
                .collect(),
        };
        counted
            .into_iter()
            .map(|(month, counts)| {
                let (missing_forces, all_missing) =
                    self.missing_forces(month, &seen).unwrap_or_default();
                MonthCounts { month, counts: counts.filter(|_| !all_missing), missing_forces }
            })
            .collect()
    }

    /// Crimes per category of `selection` in `month`, adding their forces to `seen`; `None`
    /// when the index holds no crimes for the month.
    fn count_month(
        &self,
        month: Month,
        selection: &Selection,
        seen: &mut ForceSet,
    ) -> Option<CategoryCounts> {
        let mut counts = [0; CATEGORY_COUNT];
        if let Some(summary) = selection.summarised() {
            // A force or the country: the month's per-force counts, not its records.
            let data = self.month(month)?;
            for (force, force_counts) in &data.force_counts {
                let wanted = match summary {
                    Summarised::All => true,
                    Summarised::Force(wanted) => *force == wanted,
                    Summarised::Nothing => false,
                };
                if wanted {
                    seen.insert(*force);
                    for (count, n) in counts.iter_mut().zip(force_counts) {
                        *count += u64::from(*n);
                    }
                }
            }
        } else if let Some(points) = selection.points() {
            // An area: its points' records, read straight from the month's groups (the hot
            // path of circle and polygon counts).
            let data = self.month(month)?;
            for &point in points {
                for record in data.group_records(data.groups.range(point)) {
                    tally(&mut counts, record);
                    seen.insert(record.force);
                }
            }
        } else {
            let held = self.visit_selected(month, selection, |_, crime| {
                tally(&mut counts, crime.record);
                seen.insert(crime.record.force);
            });
            if !held {
                return None;
            }
        }
        Some(counts)
    }

    /// Crimes per category at `points` for each month from `from` to `to`, from the
    /// per-point summary: each point read once for the whole period. Adds the crimes' forces
    /// to `seen`; `None` for months the index holds no crimes for.
    fn count_points(
        &self,
        from: Month,
        to: Month,
        points: &[u32],
        seen: &mut ForceSet,
    ) -> Vec<(Month, Option<CategoryCounts>)> {
        let mut counted: Vec<(Month, Option<CategoryCounts>)> = Month::range(from, to)
            .map(|month| (month, self.month(month).map(|_| [0; CATEGORY_COUNT])))
            .collect();
        let (first, last) = (from.index(), to.index());
        for &point in points {
            for entry in self.point_counts.of_point(point) {
                if entry.month > last {
                    break;
                }
                let Some(month) = entry.month.checked_sub(first) else { continue };
                if let Some((_, Some(counts))) = counted.get_mut(month as usize) {
                    if let Some(count) = counts.get_mut(usize::from(entry.category)) {
                        *count += u64::from(entry.count);
                    }
                    seen.insert(entry.force);
                }
            }
        }
        counted
    }

    /// The forces of `seen` (a scope's forces) without any crime in `month`, by id
    /// alphabetically, and whether that is every one of them (the month is then missing for
    /// the scope); `None` when the index holds no crimes for the month.
    pub(super) fn missing_forces(
        &self,
        month: Month,
        seen: &ForceSet,
    ) -> Option<(Vec<Box<str>>, bool)> {
        let missing = seen.without(&self.month_forces(month)?);
        let mut names: Vec<Box<str>> =
            missing.iter().map(|force| self.force_name(force).into()).collect();
        names.sort_unstable();
        Some((names, !seen.is_empty() && missing == *seen))
    }
}

/// Counts `record` in its category (a code outside [`CRIME_CATEGORIES`], which the store
/// never writes, is not counted).
fn tally(counts: &mut CategoryCounts, record: &CrimeRecord) {
    if let Some(count) = counts.get_mut(record.category as usize) {
        *count += 1;
    }
}
