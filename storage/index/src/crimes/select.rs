//! Which crimes a v2 route is about. A [`Selection`] is made once per request from a
//! [`CountScope`] (for a circle or polygon: one R-tree query for the snap points inside), then
//! walked month by month with [`CrimeIndex::visit_selected`]. Counts, hot spots and outcome
//! breakdowns all read crimes this way, so an area means the same crimes everywhere.

mod outcomes;

use super::{CountScope, CrimeIndex, CrimeRef};
use crate::Month;

/// The crimes of a [`CountScope`], resolved against one index.
#[derive(Debug, Clone)]
pub struct Selection {
    kind: SelectionKind,
}

#[derive(Debug, Clone)]
enum SelectionKind {
    /// Every crime, located or not.
    All,
    /// The crimes of one force, located or not; `None`: a force without crimes in the index.
    Force(Option<u8>),
    /// The crimes mapped to these snap points (sorted).
    Points(Vec<u32>),
}

impl CrimeIndex {
    /// The crimes `scope` names.
    pub fn select(&self, scope: CountScope<'_>) -> Selection {
        let kind = match scope {
            CountScope::National => SelectionKind::All,
            CountScope::Force(id) => SelectionKind::Force(
                self.forces.iter().position(|f| &**f == id).and_then(|f| u8::try_from(f).ok()),
            ),
            CountScope::Area(area) => SelectionKind::Points(self.spatial.query(area)),
        };
        Selection { kind }
    }

    /// Calls `visit` with every selected crime of `month` and its snap point (`None` for a
    /// crime without a location), located crimes in snap-point order first. Returns `false`,
    /// visiting nothing, when the index holds no crimes at all for the month.
    pub fn visit_selected<'a>(
        &'a self,
        month: Month,
        selection: &Selection,
        mut visit: impl FnMut(Option<u32>, CrimeRef<'a>),
    ) -> bool {
        let Some(data) = self.month(month) else { return false };
        let force = match &selection.kind {
            SelectionKind::All => None,
            SelectionKind::Force(None) => return true,
            SelectionKind::Force(Some(force)) => Some(*force),
            SelectionKind::Points(points) => {
                for &point in points {
                    let group = data.groups.range(point);
                    for position in data.start + group.start..data.start + group.end {
                        visit(Some(point), self.crime_ref(position, month, Some(point)));
                    }
                }
                return true;
            }
        };
        let keep = |position: u32| force.is_none_or(|f| self.records[position as usize].force == f);
        for (point, group) in data.groups.iter() {
            for position in data.start + group.start..data.start + group.end {
                if keep(position) {
                    visit(Some(point), self.crime_ref(position, month, Some(point)));
                }
            }
        }
        for position in data.located_end..data.end {
            if keep(position) {
                visit(None, self.crime_ref(position, month, None));
            }
        }
        true
    }
}
