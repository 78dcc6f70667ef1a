//! The outcomes of a [`Selection`]: what `/api/v2/outcomes/counts` walks month by month, the
//! outcome-side twin of [`CrimeIndex::visit_selected`].

use super::{Selection, SelectionKind};
use crate::crimes::{CrimeIndex, CrimeRecord};
use crate::Month;

impl CrimeIndex {
    /// Calls `visit` with every outcome recorded in `month` (the month of the outcome, not
    /// of its crime) that `selection` takes: for a circle or polygon, the outcomes mapped to a
    /// snap point inside (as `outcomes-at-location` lists them); for a force, the outcomes of
    /// its crimes, located or not; nationally, every outcome. `visit` gets the outcome's snap
    /// point (`None` without a location), its code (position in
    /// [`crate::reference::OUTCOME_CATEGORIES`]) and its crime's record. Returns `false`,
    /// visiting nothing, when the index holds no outcomes at all for the month.
    pub fn visit_selected_outcomes<'a>(
        &'a self,
        month: Month,
        selection: &Selection,
        mut visit: impl FnMut(Option<u32>, u8, &'a CrimeRecord),
    ) -> bool {
        let Ok(found) = self.outcome_months.binary_search_by_key(&month, |m| m.month) else {
            return false;
        };
        let data = &self.outcome_months[found];
        let outcome = |point: Option<u32>, position: u32| {
            let position = position as usize;
            let crime = &self.records[self.outcome_crimes[position] as usize];
            (crime, self.outcome_codes[position], point)
        };
        let force = match &selection.kind {
            SelectionKind::All => None,
            SelectionKind::Force(None) => return true,
            SelectionKind::Force(Some(force)) => Some(*force),
            SelectionKind::Points(points) => {
                for &point in points {
                    let group = data.groups.range(point);
                    for position in data.start + group.start..data.start + group.end {
                        let (crime, code, point) = outcome(Some(point), position);
                        visit(point, code, crime);
                    }
                }
                return true;
            }
        };
        let keep = |crime: &CrimeRecord| force.is_none_or(|f| crime.force == f);
        // Located outcomes come first, grouped by point; those without a location follow.
        let mut located_end = data.start;
        for (point, group) in data.groups.iter() {
            for position in data.start + group.start..data.start + group.end {
                let (crime, code, point) = outcome(Some(point), position);
                if keep(crime) {
                    visit(point, code, crime);
                }
            }
            located_end = data.start + group.end;
        }
        for position in located_end..data.end {
            let (crime, code, point) = outcome(None, position);
            if keep(crime) {
                visit(point, code, crime);
            }
        }
        true
    }
}
