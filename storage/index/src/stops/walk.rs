//! Lists of stops that page: a walk over the stops an area names that stops anywhere and
//! resumes from a position, for `/api/v2/stops` (its cursors and streamed answers), and the
//! loop `/api/v2/stops/counts` counts with.
//!
//! Within a month, a selection's stops are visited in increasing position: the month's
//! stops are grouped by snap point in point order (those without a location last), an
//! area's points are sorted, and a force's stops are listed by position. Positions follow
//! from the rows alone (see [`super::StopIndexBuilder::build`]), so a cursor means the same
//! stop for the same rows, and a walk resumes in O(log n) (a binary search of the force's
//! list or of the area's points), never re-walking what came before.

use std::ops::{ControlFlow, Range};

use super::{MonthStops, StopIndex, StopRef};
use crate::crimes::{CountScope, CrimeIndex, WalkPosition};
use crate::Month;

/// The stops a scope names, resolved against one stop index (made by
/// [`StopIndex::select`]): for a circle or polygon (or any area of places) the stops mapped
/// to a snap point inside, as `stops-street` lists them; for a force its stops with or
/// without a location; nationally every stop.
#[derive(Debug, Clone)]
pub struct StopSelection {
    kind: SelectionKind,
}

#[derive(Debug, Clone)]
enum SelectionKind {
    All,
    /// One force's stops; `None`: a force without stops in the index.
    Force(Option<u8>),
    /// The stops at these snap points (ascending).
    Points(Vec<u32>),
}

impl StopIndex {
    /// The stops `scope` names; `None` for an LSOA (police.uk's stop-and-search files give
    /// none). `points` is the crime index the stop index was built against.
    pub fn select(&self, points: &CrimeIndex, scope: CountScope<'_>) -> Option<StopSelection> {
        let kind = match scope {
            CountScope::National => SelectionKind::All,
            CountScope::Force(id) => SelectionKind::Force(self.force(id)),
            CountScope::Area(area) => SelectionKind::Points(points.spatial.query(area)),
            CountScope::Lsoa(_) => return None,
        };
        Some(StopSelection { kind })
    }

    /// The stop positions of `month`; `None` when the index holds no stops for it.
    pub fn month_positions(&self, month: Month) -> Option<Range<u32>> {
        self.month(month).map(|data| data.start..data.end)
    }

    /// Calls `visit` with the position of every stop of the month `data` that `selection`
    /// takes, at or after position `from`, in increasing position, until `visit` breaks.
    /// Returns the position `visit` broke at (not taken: resume there), or `None` once the
    /// month is done.
    pub(super) fn visit_positions_from(
        &self,
        data: &MonthStops,
        selection: &StopSelection,
        from: u32,
        mut visit: impl FnMut(u32) -> ControlFlow<()>,
    ) -> Option<u32> {
        let from = from.max(data.start);
        if from >= data.end {
            return None;
        }
        let visit_range = |range: Range<u32>, visit: &mut dyn FnMut(u32) -> ControlFlow<()>| {
            for position in range.start.max(from)..range.end {
                if visit(position).is_break() {
                    return ControlFlow::Break(position);
                }
            }
            ControlFlow::Continue(())
        };
        match &selection.kind {
            SelectionKind::All => visit_range(from..data.end, &mut visit).break_value(),
            SelectionKind::Force(None) => None,
            &SelectionKind::Force(Some(force)) => {
                let force_of = |p: u32| self.records[p as usize].force;
                let start = data.by_force.partition_point(|&p| (force_of(p), p) < (force, from));
                for &position in &data.by_force[start..] {
                    if force_of(position) != force {
                        break;
                    }
                    if visit(position).is_break() {
                        return Some(position);
                    }
                }
                None
            }
            SelectionKind::Points(wanted) => {
                let first_point = data.point_of(from)?;
                let wanted = &wanted[wanted.partition_point(|&p| p < first_point)..];
                let mut at = data.points.partition_point(|&p| p < first_point);
                for &point in wanted {
                    // Both lists ascend: search only what is left of the month's points.
                    at += data.points[at..].partition_point(|&p| p < point);
                    if data.points.get(at) != Some(&point) {
                        continue;
                    }
                    let (start, end) = (data.offsets[at], data.offsets[at + 1]);
                    if let ControlFlow::Break(stopped) =
                        visit_range(data.start + start..data.start + end, &mut visit)
                    {
                        return Some(stopped);
                    }
                }
                None
            }
        }
    }

    /// Calls `visit` with every stop of `month` that `selection` takes, at or after position
    /// `from`, in increasing position, until `visit` breaks. Returns the position `visit`
    /// broke at (not taken: resume from there), or `None` once the month is done (or not
    /// held).
    pub fn visit_selected_from<'a>(
        &'a self,
        points: &'a CrimeIndex,
        month: Month,
        selection: &StopSelection,
        from: u32,
        mut visit: impl FnMut(StopRef<'a>) -> ControlFlow<()>,
    ) -> Option<u32> {
        let data = self.month(month)?;
        self.visit_positions_from(data, selection, from, |position| {
            visit(self.stop_ref(points, position, month, data.point_of(position)))
        })
    }

    /// Walks the selected stops of the months from `at.month` to `to`, from `at.position`
    /// on, month by month (see [`StopIndex::visit_selected_from`]), until `visit` breaks.
    /// Returns where to resume (the stop `visit` broke at), or `None` when the period is
    /// done.
    pub fn walk_selected<'a>(
        &'a self,
        points: &'a CrimeIndex,
        at: WalkPosition,
        to: Month,
        selection: &StopSelection,
        mut visit: impl FnMut(StopRef<'a>) -> ControlFlow<()>,
    ) -> Option<WalkPosition> {
        let mut position = at.position;
        for month in Month::range(at.month, to) {
            if let Some(stopped) =
                self.visit_selected_from(points, month, selection, position, &mut visit)
            {
                return Some(WalkPosition { month, position: stopped });
            }
            position = 0;
        }
        None
    }
}

#[cfg(test)]
mod tests;
