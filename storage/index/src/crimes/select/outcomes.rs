//! The outcomes of a [`Selection`]: what `/api/v2/outcomes/counts` walks month by month, the
//! outcome-side twin of [`CrimeIndex::visit_selected`].

use super::{Selection, SelectionKind};
use crate::crimes::{CrimeIndex, CrimeRecord};
use crate::Month;

impl CrimeIndex {
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
        let Ok(found) = self.outcome_months.binary_search_by_key(&month, |m| m.month) else {
            return false;
        };
        let data = &self.outcome_months[found];
        let outcome = |point: Option<u32>, position: u32| {
            let position = position as usize;
            let crime = &self.records[self.outcome_crimes[position] as usize];
            (crime, self.outcome_codes[position], point)
        };
        // Which outcomes a walk of the whole month keeps, by their crime's position.
        let keep: Box<dyn Fn(u32) -> bool + '_> = match &selection.kind {
            SelectionKind::All => Box::new(|_| true),
            SelectionKind::Force(None) | SelectionKind::Nothing => return true,
            &SelectionKind::Force(Some(force)) => {
                Box::new(move |crime| self.records[crime as usize].force == force)
            }
            // The outcomes of the LSOA's crimes, wherever each outcome was mapped.
            &SelectionKind::Lsoa(lsoa) => {
                Box::new(move |crime| self.lsoas.of_record(crime) == lsoa)
            }
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
        // Located outcomes come first, grouped by point; those without a location follow.
        let mut located_end = data.start;
        for (point, group) in data.groups.iter() {
            for position in data.start + group.start..data.start + group.end {
                if keep(self.outcome_crimes[position as usize]) {
                    let (crime, code, point) = outcome(Some(point), position);
                    visit(point, code, crime);
                }
            }
            located_end = data.start + group.end;
        }
        for position in located_end..data.end {
            if keep(self.outcome_crimes[position as usize]) {
                let (crime, code, point) = outcome(None, position);
                visit(point, code, crime);
            }
        }
        true
    }
}
