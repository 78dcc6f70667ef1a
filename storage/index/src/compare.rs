//! Comparing areas: each neighbourhood of a force as a set of snap points with a size, and
//! the bands (High … Low) of crime density among a force's neighbourhoods.
//!
//! A band is a quintile of crimes per km² over a period among all the neighbourhoods of the
//! force that have a boundary: sorted by density, the lowest fifth are Low, the next Below
//! average, then Average, Above average, and the highest fifth High. A neighbourhood's place
//! is the number of neighbourhoods with a strictly lower density, so equal densities share a
//! band: with `n` neighbourhoods, `k` of them lower, the band is quintile `⌊5k / n⌋`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::crimes::{CrimeIndex, Selection};
use crate::neighbourhoods::NeighbourhoodData;
use crate::Month;

/// A density band among comparable areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    Low,
    BelowAverage,
    Average,
    AboveAverage,
    High,
}

impl Band {
    /// The band's name as CrimeMapper showed it.
    pub fn name(self) -> &'static str {
        match self {
            Band::Low => "Low",
            Band::BelowAverage => "Below average",
            Band::Average => "Average",
            Band::AboveAverage => "Above average",
            Band::High => "High",
        }
    }

    /// The band of an area `lower` of whose `count` comparable areas (itself included) have a
    /// strictly lower density.
    pub fn of_place(lower: usize, count: usize) -> Band {
        match (5 * lower).checked_div(count).unwrap_or(0) {
            0 => Band::Low,
            1 => Band::BelowAverage,
            2 => Band::Average,
            3 => Band::AboveAverage,
            _ => Band::High,
        }
    }
}

/// Each density's band among all of them, and its rank (1 for the highest; equal densities
/// share the best rank).
pub fn bands(densities: &[f64]) -> Vec<(Band, usize)> {
    let mut sorted: Vec<f64> = densities.to_vec();
    sorted.sort_by(f64::total_cmp);
    densities
        .iter()
        .map(|&density| {
            let lower = sorted.partition_point(|d| d.total_cmp(&density).is_lt());
            let higher = sorted.len() - sorted.partition_point(|d| d.total_cmp(&density).is_le());
            (Band::of_place(lower, sorted.len()), higher + 1)
        })
        .collect()
}

/// A neighbourhood as the bands see it.
#[derive(Debug, Clone)]
pub struct NeighbourhoodArea {
    pub id: String,
    /// Its boundary's size.
    pub km2: f64,
    /// The snap points inside its boundary.
    pub selection: Selection,
}

/// The neighbourhoods of each force as [`NeighbourhoodArea`]s, worked out on first use and
/// kept for the life of the snapshot (finding a force's snap points inside each boundary
/// costs milliseconds; counting them again is cheap).
#[derive(Debug, Default)]
pub struct NeighbourhoodAreas {
    forces: Mutex<HashMap<String, Arc<Vec<NeighbourhoodArea>>>>,
}

impl NeighbourhoodAreas {
    /// The neighbourhoods with a boundary of a force, by id; empty for a force without any.
    pub fn of_force(
        &self,
        index: &CrimeIndex,
        data: &NeighbourhoodData,
        force: &str,
    ) -> Arc<Vec<NeighbourhoodArea>> {
        if let Some(known) = self.lock().get(force) {
            return Arc::clone(known);
        }
        // Worked out without the lock: another request for the same force may do it too,
        // and the first to finish is kept.
        let areas: Vec<NeighbourhoodArea> = data
            .force(force)
            .map(|resources| resources.neighbourhoods())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|neighbourhood| {
                let area = data.area(neighbourhood)?;
                Some(NeighbourhoodArea {
                    id: neighbourhood.id.clone(),
                    km2: area.km2(),
                    selection: index.select(crate::crimes::CountScope::Area(&area)),
                })
            })
            .collect();
        let mut forces = self.lock();
        Arc::clone(forces.entry(force.to_owned()).or_insert_with(|| Arc::new(areas)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Vec<NeighbourhoodArea>>>> {
        // A panic while holding the lock cannot leave the map half-written (inserts are
        // whole), so a poisoned lock is still good.
        self.forces.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The crimes of the categories `keep` accepts in `selection` from `from` to `to`.
pub fn count_selected(
    index: &CrimeIndex,
    selection: &Selection,
    from: Month,
    to: Month,
    keep: &[bool],
) -> u64 {
    let mut total = 0;
    for month in Month::range(from, to) {
        index.visit_selected(month, selection, |_, crime| {
            if keep.get(usize::from(crime.record.category)).copied().unwrap_or(false) {
                total += 1;
            }
        });
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_quintiles_of_density_ties_shared() {
        let names = |densities: &[f64]| -> Vec<(&str, usize)> {
            bands(densities).into_iter().map(|(band, rank)| (band.name(), rank)).collect()
        };
        // Ten areas, two to a band; rank 1 is the densest.
        let ten: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(
            names(&ten),
            vec![
                ("Low", 10),
                ("Low", 9),
                ("Below average", 8),
                ("Below average", 7),
                ("Average", 6),
                ("Average", 5),
                ("Above average", 4),
                ("Above average", 3),
                ("High", 2),
                ("High", 1),
            ]
        );
        // Equal densities share the band of the first of them and the best rank.
        assert_eq!(
            names(&[5.0, 1.0, 5.0, 5.0, 9.0]),
            vec![
                ("Below average", 2),
                ("Low", 5),
                ("Below average", 2),
                ("Below average", 2),
                ("High", 1)
            ]
        );
        // One area alone is Low (nothing is below it); none gives none.
        assert_eq!(names(&[3.0]), vec![("Low", 1)]);
        assert!(bands(&[]).is_empty());
        // Three areas: places 0, 1, 2 of 3 → quintiles 0, 1, 3.
        assert_eq!(
            names(&[0.5, 0.1, 0.9]),
            vec![("Below average", 2), ("Low", 3), ("Above average", 1)]
        );
    }
}
