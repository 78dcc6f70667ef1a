//! The outcomes of a [`Selection`]: what `/api/v2/outcomes/counts` walks month by month and
//! `/api/v2/outcomes` lists, the outcome-side twin of [`CrimeIndex::visit_selected`] and
//! [`CrimeIndex::walk_selected`].
//!
//! Within a month, a selection's outcomes are visited in increasing outcome position: the
//! month's outcomes are grouped by snap point in point order (each group by crime position,
//! then code), an area's points are sorted, and the outcomes without a location follow the
//! located ones. Crime positions and snap point numbers do not depend on the load order, so
//! neither do outcome positions: a walk stops anywhere and resumes from a position.

use std::ops::{ControlFlow, Range};

use super::{Selection, SelectionKind};
use crate::crimes::{CrimeIndex, CrimeRecord, MonthOutcomes, OutcomeRef, SnapPoint, WalkPosition};
use crate::Month;

/// An outcome met by [`CrimeIndex::walk_selected_outcomes`].
#[derive(Debug, Clone, Copy)]
pub struct SelectedOutcome<'a> {
    /// Its position among the month's outcomes (what a cursor resumes from).
    pub position: u32,
    /// The snap point the outcome was mapped to (`None` without a location): the one an area
    /// selects it by, which may differ from its crime's.
    pub point: Option<&'a SnapPoint>,
    /// The outcome with its crime (located where the crime was mapped).
    pub outcome: OutcomeRef<'a>,
}

impl CrimeIndex {
    /// The outcomes recorded in `month`, if any were.
    pub(in crate::crimes) fn outcome_month_data(&self, month: Month) -> Option<&MonthOutcomes> {
        let found = self.outcome_months.binary_search_by_key(&month, |m| m.month).ok()?;
        Some(&self.outcome_months[found])
    }

    /// The outcome positions of `month`; `None` when the index holds no outcomes for it.
    pub fn outcome_month_positions(&self, month: Month) -> Option<Range<u32>> {
        self.outcome_month_data(month).map(|data| data.start..data.end)
    }

    /// Calls `visit` with every outcome recorded in `month` (the month of the outcome, not
    /// of its crime) that `selection` takes: for a circle or polygon, the outcomes mapped to a
    /// snap point inside (as `outcomes-at-location` lists them); for a force, the outcomes of
    /// its crimes, located or not; for an LSOA, the outcomes of its crimes, wherever mapped;
    /// nationally, every outcome. `visit` gets the outcome's snap
    /// point (`None` without a location), its code (position in
    /// [`crate::reference::OUTCOME_CATEGORIES`]) and its crime's record. Returns `false`,
    /// visiting nothing, when the index holds no outcomes at all for the month.
    pub fn visit_selected_outcomes<'a>(
        &'a self,
        month: Month,
        selection: &Selection,
        mut visit: impl FnMut(Option<u32>, u8, &'a CrimeRecord),
    ) -> bool {
        let Some(positions) = self.outcome_month_positions(month) else { return false };
        self.visit_selected_outcomes_from(
            month,
            selection,
            positions.start,
            |position, point, crime| {
                visit(point, self.outcome_codes[position as usize], &self.records[crime as usize]);
                ControlFlow::Continue(())
            },
        );
        true
    }

    /// Calls `visit` with the position, snap point (`None` without a location) and crime
    /// (its record position) of every selected outcome of `month` (see
    /// [`CrimeIndex::visit_selected_outcomes`]) at or after outcome position `from`, in
    /// increasing position, until `visit` breaks. Returns the position of the outcome `visit`
    /// broke at (not taken: resume from there), or `None` once the month is done (or not
    /// held).
    pub fn visit_selected_outcomes_from(
        &self,
        month: Month,
        selection: &Selection,
        from: u32,
        mut visit: impl FnMut(u32, Option<u32>, u32) -> ControlFlow<()>,
    ) -> Option<u32> {
        let data = self.outcome_month_data(month)?;
        let from = from.max(data.start);
        if from >= data.end {
            return None;
        }
        let located_end = data.start + data.groups.end();
        let entry = from - data.start;
        let group_range = |group: Range<u32>| data.start + group.start..data.start + group.end;
        // Visits the outcomes of `range` from `from` on whose crime `keep` keeps.
        let mut visit_range =
            |range: Range<u32>, point: Option<u32>, keep: &dyn Fn(u32) -> bool| {
                for position in range.start.max(from)..range.end {
                    let crime = self.outcome_crimes[position as usize];
                    if keep(crime) && visit(position, point, crime).is_break() {
                        return ControlFlow::Break(position);
                    }
                }
                ControlFlow::Continue(())
            };
        let keep: Box<dyn Fn(u32) -> bool + '_> = match &selection.kind {
            SelectionKind::Force(None) | SelectionKind::Nothing => return None,
            SelectionKind::Points(points) => {
                let first_point =
                    if from < located_end { data.groups.point_of(entry) } else { return None };
                for &point in &points[points.partition_point(|&p| p < first_point)..] {
                    let range = group_range(data.groups.range(point));
                    if let ControlFlow::Break(at) = visit_range(range, Some(point), &|_| true) {
                        return Some(at);
                    }
                }
                return None;
            }
            SelectionKind::All => Box::new(|_| true),
            &SelectionKind::Force(Some(force)) => {
                Box::new(move |crime| self.records[crime as usize].force == force)
            }
            // The outcomes of the LSOA's crimes, wherever each outcome was mapped.
            &SelectionKind::Lsoa(lsoa) => {
                Box::new(move |crime| self.lsoas.of_record(crime) == lsoa)
            }
        };
        // Located outcomes come first, grouped by point; those without a location follow.
        if from < located_end {
            for (point, group) in data.groups.iter_from(entry) {
                if let ControlFlow::Break(at) = visit_range(group_range(group), Some(point), &*keep)
                {
                    return Some(at);
                }
            }
        }
        visit_range(located_end..data.end, None, &*keep).break_value()
    }

    /// Walks the selected outcomes of the months from `at.month` to `to`, from `at.position`
    /// on, month by month (see [`CrimeIndex::visit_selected_outcomes_from`]), until `visit`
    /// breaks. Returns where to resume (the outcome `visit` broke at), or `None` when the
    /// period is done.
    pub fn walk_selected_outcomes<'a>(
        &'a self,
        at: WalkPosition,
        to: Month,
        selection: &Selection,
        mut visit: impl FnMut(SelectedOutcome<'a>) -> ControlFlow<()>,
    ) -> Option<WalkPosition> {
        let mut offset = at.position;
        for month in Month::range(at.month, to) {
            let start = self.outcome_month_positions(month).map_or(0, |positions| positions.start);
            let stopped = self.visit_selected_outcomes_from(
                month,
                selection,
                start.saturating_add(offset),
                |position, point, crime| {
                    visit(SelectedOutcome {
                        position,
                        point: point.map(|p| &self.points[p as usize]),
                        outcome: OutcomeRef {
                            month,
                            code: self.outcome_codes[position as usize],
                            crime: self.locate(crime),
                        },
                    })
                },
            );
            if let Some(stopped) = stopped {
                return Some(WalkPosition { month, position: stopped - start });
            }
            offset = 0;
        }
        None
    }
}

#[cfg(test)]
mod tests;
