//! Which crimes a v2 route is about. A [`Selection`] is made once per request from a
//! [`CountScope`] (for a circle or polygon: one R-tree query for the snap points inside), then
//! walked month by month with [`CrimeIndex::visit_selected`]. Counts, hot spots and outcome
//! breakdowns all read crimes this way, so an area means the same crimes everywhere.

mod outcomes;

pub use outcomes::SelectedOutcome;

use super::{CountScope, CrimeIndex, CrimeRef};
use crate::Month;

/// A set of forces, by their number in the index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForceSet([u64; 4]);

impl ForceSet {
    pub fn insert(&mut self, force: u8) {
        self.0[usize::from(force / 64)] |= 1 << (force % 64);
    }

    pub fn contains(&self, force: u8) -> bool {
        self.0[usize::from(force / 64)] >> (force % 64) & 1 != 0
    }

    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// The forces in this set and not in `other`.
    pub fn without(&self, other: &ForceSet) -> ForceSet {
        ForceSet(std::array::from_fn(|w| self.0[w] & !other.0[w]))
    }

    /// The forces, in increasing number.
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=u8::MAX).filter(|&force| self.contains(force))
    }
}

/// The crimes of a [`CountScope`], resolved against one index.
#[derive(Debug, Clone)]
pub struct Selection {
    pub(super) kind: SelectionKind,
}

#[derive(Debug, Clone)]
pub(super) enum SelectionKind {
    /// Every crime, located or not.
    All,
    /// The crimes of one force, located or not; `None`: a force without crimes in the index.
    Force(Option<u8>),
    /// The crimes mapped to these snap points (sorted).
    Points(Vec<u32>),
    /// The crimes of one LSOA (by number), located or not.
    Lsoa(u32),
    /// No crime (an LSOA code no crime has).
    Nothing,
}

/// A selection that a month's per-force counts answer without walking its crimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Summarised {
    /// Every force's crimes.
    All,
    /// One force's crimes.
    Force(u8),
    /// No crime.
    Nothing,
}

impl Selection {
    /// How per-force counts answer this selection; `None` when only a walk can (an area, an
    /// LSOA).
    pub(super) fn summarised(&self) -> Option<Summarised> {
        match self.kind {
            SelectionKind::All => Some(Summarised::All),
            SelectionKind::Force(Some(force)) => Some(Summarised::Force(force)),
            SelectionKind::Force(None) | SelectionKind::Nothing => Some(Summarised::Nothing),
            SelectionKind::Points(_) | SelectionKind::Lsoa(_) => None,
        }
    }

    /// The snap points of an area selection.
    pub(super) fn points(&self) -> Option<&[u32]> {
        match &self.kind {
            SelectionKind::Points(points) => Some(points),
            _ => None,
        }
    }

    /// The force a force selection is about, when the index has crimes of it.
    pub fn force(&self) -> Option<u8> {
        match self.kind {
            SelectionKind::Force(force) => force,
            _ => None,
        }
    }
}

impl CrimeIndex {
    /// The forces with crimes in `month`; `None` when the index holds no crimes for it.
    pub fn month_forces(&self, month: Month) -> Option<ForceSet> {
        self.month(month).map(|data| data.forces)
    }

    /// A force's id by its number in the index (as in [`super::CrimeRecord::force`]).
    pub fn force_name(&self, force: u8) -> &str {
        self.forces.get(usize::from(force)).map_or("", |id| id)
    }

    /// The crimes `scope` names.
    pub fn select(&self, scope: CountScope<'_>) -> Selection {
        let kind = match scope {
            CountScope::National => SelectionKind::All,
            CountScope::Force(id) => SelectionKind::Force(
                self.forces.iter().position(|f| &**f == id).and_then(|f| u8::try_from(f).ok()),
            ),
            CountScope::Area(area) => SelectionKind::Points(self.spatial.query(area)),
            CountScope::Lsoa(code) => {
                self.lsoas.number(code).map_or(SelectionKind::Nothing, SelectionKind::Lsoa)
            }
        };
        Selection { kind }
    }

    /// Calls `visit` with every selected crime of `month` and its snap point (`None` for a
    /// crime without a location), in increasing record position: located crimes in
    /// snap-point order first. Returns `false`, visiting nothing, when the index holds no
    /// crimes at all for the month.
    pub fn visit_selected<'a>(
        &'a self,
        month: Month,
        selection: &Selection,
        mut visit: impl FnMut(Option<u32>, CrimeRef<'a>),
    ) -> bool {
        let Some(positions) = self.month_positions(month) else { return false };
        self.visit_selected_from(month, selection, positions.start, |_, point, crime| {
            visit(point, crime);
            std::ops::ControlFlow::Continue(())
        });
        true
    }
}
