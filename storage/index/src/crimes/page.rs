//! Lists of crimes that page: a walk over a [`Selection`] that stops anywhere and resumes
//! from a record position, for `/api/v2/crimes` (its cursors, and its streamed answers).
//!
//! Within a month, a selection's crimes are visited in increasing record position: records
//! are grouped by snap point in point order, an area's and an LSOA's points are sorted, and
//! the crimes without a location follow the located ones. So "the crimes from position `p`
//! on" is well defined, and a walk resumes there in O(log n): a binary search of the month's
//! groups (a force's or the country's walk) or of the selection's sorted points, never a
//! re-walk of what came before. Positions are the same for the same rows, whatever order the
//! store hands them over in (see `build.rs`'s `place_crimes`).

use std::ops::{ControlFlow, Range};

use super::outcome_counts::last_outcome_kind;
use super::select::SelectionKind;
use super::{CrimeIndex, CrimeRecord, CrimeRef, MonthCrimes, Selection, CATEGORY_COUNT};
use crate::Month;

/// Where a walk over a period stands: the month, and the record to go on from (that record
/// included) by its position from the month's first record, so that indexes holding the
/// same rows agree on it however they were built (whole, or updated month by month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct WalkPosition {
    pub month: Month,
    pub position: u32,
}

impl WalkPosition {
    /// The start of `month`.
    pub fn start_of(month: Month) -> WalkPosition {
        WalkPosition { month, position: 0 }
    }
}

/// Which of a selection's crimes a list keeps: categories, last outcomes and whether the
/// crime has a Crime ID. Made once per request by [`CrimeIndex::crime_filter`].
#[derive(Debug, Clone)]
pub struct CrimeFilter {
    categories: [bool; CATEGORY_COUNT],
    /// Per entry of the index's outcome name pool (0: no last outcome), whether it is kept;
    /// `None`: every last outcome.
    last_outcomes: Option<Vec<bool>>,
    has_crime_id: Option<bool>,
}

impl CrimeFilter {
    /// Whether `crime` is kept.
    pub fn matches(&self, crime: &CrimeRef<'_>) -> bool {
        self.categories.get(usize::from(crime.record.category)).copied().unwrap_or(false)
            && self.has_crime_id.is_none_or(|wanted| crime.has_persistent_id() == wanted)
            && self.last_outcomes.as_ref().is_none_or(|kept| {
                let pool_index = crime.last_outcome_pool_index().unwrap_or(0);
                kept.get(pool_index as usize).copied().unwrap_or(false)
            })
    }
}

impl CrimeRef<'_> {
    /// Whether the crime has a Crime ID (anti-social behaviour has none).
    pub fn has_persistent_id(&self) -> bool {
        self.record.flags & CrimeRecord::OTHER_ID != 0 || self.hex_persistent_id().is_some()
    }

    /// The LSOA name of the crime's CSV row, `""` when it had none.
    pub fn lsoa_name(&self) -> &str {
        self.index.lsoas.name_of_record(self.position)
    }
}

impl CrimeIndex {
    /// A filter keeping the crimes of `categories` (codes) whose last-outcome kind (see
    /// [`super::LAST_OUTCOME_KINDS`]: an outcome code, [`super::NO_LAST_OUTCOME`] or
    /// [`super::OTHER_LAST_OUTCOME`]) is among `last_outcome_kinds` (`None`: any), with or
    /// without a Crime ID as `has_crime_id` says (`None`: either).
    pub fn crime_filter(
        &self,
        categories: &[u8],
        last_outcome_kinds: Option<&[usize]>,
        has_crime_id: Option<bool>,
    ) -> CrimeFilter {
        let mut category_set = [false; CATEGORY_COUNT];
        for &code in categories {
            if let Some(kept) = category_set.get_mut(usize::from(code)) {
                *kept = true;
            }
        }
        let last_outcomes = last_outcome_kinds.map(|kinds| {
            self.outcome_names
                .iter()
                .enumerate()
                .map(|(index, name)| {
                    let name = (index != 0).then_some(&**name);
                    kinds.contains(&last_outcome_kind(name))
                })
                .collect()
        });
        CrimeFilter { categories: category_set, last_outcomes, has_crime_id }
    }

    /// The record positions of `month`; `None` when the index holds no crimes for it.
    pub fn month_positions(&self, month: Month) -> Option<Range<u32>> {
        self.month(month).map(|data| data.start..data.end)
    }

    /// Calls `visit` with the position, snap point (`None` without a location) and crime of
    /// every selected crime of `month` at or after record position `from`, in increasing
    /// position, until `visit` breaks. Returns the position of the crime `visit` broke at
    /// (not taken: resume from there), or `None` once the month is done (or not held).
    pub fn visit_selected_from<'a>(
        &'a self,
        month: Month,
        selection: &Selection,
        from: u32,
        mut visit: impl FnMut(u32, Option<u32>, CrimeRef<'a>) -> ControlFlow<()>,
    ) -> Option<u32> {
        let data = self.month(month)?;
        let from = from.max(data.start);
        if from >= data.end {
            return None;
        }
        let located = from < data.located_end;
        let entry = from - data.start;
        let group_range = |group: Range<u32>| data.start + group.start..data.start + group.end;
        // The first snap point to visit, for a selection of sorted points.
        let first_point = if located { data.groups.point_of(entry) } else { u32::MAX };
        let mut walk = || -> ControlFlow<u32> {
            match &selection.kind {
                SelectionKind::Force(None) | SelectionKind::Nothing => {}
                SelectionKind::Points(points) => {
                    for &point in &points[points.partition_point(|&p| p < first_point)..] {
                        let range = group_range(data.groups.range(point));
                        self.visit_positions(data, range, from, Some(point), |_| true, &mut visit)?;
                    }
                }
                &SelectionKind::Lsoa(lsoa) => {
                    let keep = |position| self.lsoas.of_record(position) == lsoa;
                    let points = self.lsoas.points(lsoa);
                    for &point in &points[points.partition_point(|&p| p < first_point)..] {
                        let range = group_range(data.groups.range(point));
                        self.visit_positions(data, range, from, Some(point), keep, &mut visit)?;
                    }
                    self.visit_positions(
                        data,
                        data.located_end..data.end,
                        from,
                        None,
                        keep,
                        &mut visit,
                    )?;
                }
                SelectionKind::All | SelectionKind::Force(Some(_)) => {
                    let force = selection.force();
                    let keep =
                        |position: u32| force.is_none_or(|f| data.record(position).force == f);
                    if located {
                        for (point, group) in data.groups.iter_from(entry) {
                            let range = group_range(group);
                            self.visit_positions(data, range, from, Some(point), keep, &mut visit)?;
                        }
                    }
                    self.visit_positions(
                        data,
                        data.located_end..data.end,
                        from,
                        None,
                        keep,
                        &mut visit,
                    )?;
                }
            }
            ControlFlow::Continue(())
        };
        walk().break_value()
    }

    /// Visits the positions of `range` from `from` on that `keep` keeps, at `point`; breaks
    /// with the position `visit` broke at.
    fn visit_positions<'a>(
        &'a self,
        data: &'a MonthCrimes,
        range: Range<u32>,
        from: u32,
        point: Option<u32>,
        keep: impl Fn(u32) -> bool,
        visit: &mut impl FnMut(u32, Option<u32>, CrimeRef<'a>) -> ControlFlow<()>,
    ) -> ControlFlow<u32> {
        for position in range.start.max(from)..range.end {
            if keep(position)
                && visit(position, point, self.crime_ref(data, position, point)).is_break()
            {
                return ControlFlow::Break(position);
            }
        }
        ControlFlow::Continue(())
    }

    /// Walks the selected crimes of the months from `at.month` to `to`, from `at.position`
    /// on, month by month (see [`CrimeIndex::visit_selected_from`]), until `visit` breaks.
    /// Returns where to resume (the crime `visit` broke at), or `None` when the period is
    /// done.
    pub fn walk_selected<'a>(
        &'a self,
        at: WalkPosition,
        to: Month,
        selection: &Selection,
        mut visit: impl FnMut(CrimeRef<'a>) -> ControlFlow<()>,
    ) -> Option<WalkPosition> {
        let mut offset = at.position;
        for month in Month::range(at.month, to) {
            let start = self.month_positions(month).map_or(0, |positions| positions.start);
            let from = start.saturating_add(offset);
            if let Some(stopped) =
                self.visit_selected_from(month, selection, from, |_, _, crime| visit(crime))
            {
                return Some(WalkPosition { month, position: stopped - start });
            }
            offset = 0;
        }
        None
    }
}

#[cfg(test)]
mod tests;
