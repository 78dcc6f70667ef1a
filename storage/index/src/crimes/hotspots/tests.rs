//! Hot spots and grid cells against brute force over the rows of the crimes' tests' data
//! sets: every crime of the scope, period and categories tallied by snap point, or placed in
//! the answer's cells by their bounds alone.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::subsequence;

use super::super::tests::{build, random_data, scope_spec, Data, ScopeSpec};
use super::*;
use crate::spatial::{haversine_m, Area};
use crate::testing::{check, log_range};

/// Four months of crimes (2024-01 to 2024-04) with the third left out: a month the index
/// does not hold; Kent's data is missing in 2024-02 and btp's in 2024-04.
fn data_with_a_gap() -> (Data, CrimeIndex) {
    let mut data = random_data(7);
    let gap = Month::new(2024, 3).unwrap();
    data.crimes.retain(|c| {
        c.1 != gap
            && (c.1, c.4) != (Month::new(2024, 2).unwrap(), "kent")
            && (c.1, c.4) != (Month::new(2024, 4).unwrap(), "btp")
    });
    data.outcomes.clear();
    let index = build(&data);
    (data, index)
}

/// A crime of the data as the brute force sees it: month, snap point (index into the
/// data's points) and category.
struct Scoped {
    month: Month,
    point: Option<usize>,
    category: u8,
}

/// The crimes of `spec`, `categories` and the period `from..=to`, straight from the rows.
fn scoped(
    data: &Data,
    spec: &ScopeSpec,
    area: &Option<Area>,
    categories: &[u8],
    from: Month,
    to: Month,
) -> Vec<Scoped> {
    data.crimes
        .iter()
        .filter(|(id, month, point, category, force, _)| {
            spec.holds(area, data, *id, force, *point)
                && (from..=to).contains(month)
                && categories.contains(category)
        })
        .map(|&(_, month, point, category, ..)| Scoped { month, point, category })
        .collect()
}

/// The summary: the months missing exactly as counts has them (tested against brute force
/// there), and the crimes counted.
fn expected_summary(
    index: &CrimeIndex,
    scope: CountScope<'_>,
    crimes: &[Scoped],
    from: Month,
    to: Month,
) -> HotSpotSummary {
    HotSpotSummary {
        months: index
            .crime_counts(from, to, scope)
            .into_iter()
            .map(|counts| PeriodMonth {
                month: counts.month,
                held: counts.counts.is_some(),
                missing_forces: counts.missing_forces,
            })
            .collect(),
        located: crimes.iter().filter(|c| c.point.is_some()).count() as u64,
        unlocated: crimes.iter().filter(|c| c.point.is_none()).count() as u64,
    }
}

/// Periods from 2023-12 to 2024-05: before, inside, across the gap and after the data.
fn period() -> impl Strategy<Value = (Month, Month)> {
    (0..6i32, 0..6i32).prop_map(|(a, b)| {
        let first = Month::new(2023, 12).unwrap();
        let (a, b) = (a.min(b), a.max(b));
        (first.plus(a).unwrap(), first.plus(b).unwrap())
    })
}

fn categories() -> impl Strategy<Value = Vec<u8>> {
    subsequence((0..CATEGORY_COUNT as u8).collect::<Vec<_>>(), 1..=CATEGORY_COUNT)
}

#[test]
fn hot_spots_equal_brute_force_over_the_rows() {
    let (data, index) = data_with_a_gap();
    let cases = (scope_spec(), period(), categories(), 1..60usize);
    check(300, cases, |(spec, (from, to), categories, limit)| {
        let area = spec.area(&data);
        let crimes = scoped(&data, &spec, &area, &categories, from, to);
        let months: Vec<Month> = Month::range(from, to).collect();
        // Per snap point (by store id): monthly counts and category counts.
        let mut by_point: BTreeMap<i32, (usize, Vec<u64>, CategoryCounts)> = BTreeMap::new();
        for crime in &crimes {
            let Some(point) = crime.point else { continue };
            let entry = by_point
                .entry(data.points[point].id)
                .or_insert_with(|| (point, vec![0; months.len()], [0; CATEGORY_COUNT]));
            let position = months.iter().position(|m| *m == crime.month).unwrap();
            entry.1[position] += 1;
            entry.2[usize::from(crime.category)] += 1;
        }
        let mut spots: Vec<(i32, HotSpot)> = by_point
            .iter()
            .map(|(&id, (_, monthly, categories))| {
                let spot = HotSpot {
                    point: index.point_by_id(id).unwrap(),
                    total: monthly.iter().sum(),
                    months_with_crime: monthly.iter().filter(|&&n| n > 0).count() as u32,
                    monthly: monthly.clone(),
                    categories: *categories,
                };
                (id, spot)
            })
            .collect();
        spots.sort_by(|(a_id, a), (b_id, b)| b.total.cmp(&a.total).then(a_id.cmp(b_id)));
        spots.truncate(limit);
        let scope = spec.scope(&area);
        let expected = HotSpots {
            summary: expected_summary(&index, scope, &crimes, from, to),
            points_with_crime: by_point.len() as u64,
            spots: spots.into_iter().map(|(_, spot)| spot).collect(),
        };
        let got = index.crime_hotspots(from, to, scope, &categories, limit);
        prop_assert_eq!(got, expected, "{:?} {} {} {:?} {}", spec, from, to, categories, limit);
        Ok(())
    });
}

#[test]
fn grid_cells_hold_exactly_the_crimes_inside_their_bounds() {
    let (data, index) = data_with_a_gap();
    let cases = (scope_spec(), period(), categories(), log_range(50.0, 5000.0), 1..400usize);
    check(200, cases, |(spec, (from, to), categories, size_m, cap)| {
        let area = spec.area(&data);
        let crimes = scoped(&data, &spec, &area, &categories, from, to);
        let grid = Grid::new(size_m);
        let scope = spec.scope(&area);
        let got = index.crime_grid(from, to, scope, &categories, grid, usize::MAX).unwrap();
        prop_assert_eq!(&got.summary, &expected_summary(&index, scope, &crimes, from, to));

        // Each located crime lies in exactly one cell of the answer, by the cells' bounds.
        let bounds: Vec<CellBounds> = got.cells.iter().map(|c| grid.bounds(c.cell)).collect();
        let months: Vec<Month> = Month::range(from, to).collect();
        let mut monthly = vec![vec![0u64; months.len()]; got.cells.len()];
        for crime in &crimes {
            let Some(point) = crime.point else { continue };
            let (lat, lng) = (data.points[point].latitude, data.points[point].longitude);
            let holding: Vec<usize> = (0..bounds.len())
                .filter(|&i| {
                    let b = bounds[i];
                    b.south <= lat && lat < b.north && b.west <= lng && lng < b.east
                })
                .collect();
            prop_assert_eq!(holding.len(), 1, "{} {} in {:?}", lat, lng, holding);
            let position = months.iter().position(|m| *m == crime.month).unwrap();
            monthly[holding[0]][position] += 1;
        }
        for ((cell, b), monthly) in got.cells.iter().zip(&bounds).zip(&monthly) {
            prop_assert_eq!(cell.total, monthly.iter().sum::<u64>());
            prop_assert!(cell.total > 0);
            let months_with_crime = monthly.iter().filter(|&&n| n > 0).count() as u32;
            prop_assert_eq!(cell.months_with_crime, months_with_crime);
            // Square, `size_m` on a side: along a meridian, and along the middle latitude.
            let middle = (b.south + b.north) / 2.0;
            let height = haversine_m(b.south, b.west, b.north, b.west);
            let width = haversine_m(middle, b.west, middle, b.east);
            prop_assert!((height / size_m - 1.0).abs() < 1e-6, "{} {}", height, size_m);
            prop_assert!((width / size_m - 1.0).abs() < 1e-3, "{} {}", width, size_m);
        }
        // Most crimes first, then south to north and west to east.
        for pair in got.cells.windows(2) {
            let key = |c: &GridCount| (std::cmp::Reverse(c.total), c.cell);
            prop_assert!(key(&pair[0]) < key(&pair[1]), "{:?}", pair);
        }

        // With a cap: the same answer when it fits, else refused.
        let capped = index.crime_grid(from, to, scope, &categories, grid, cap);
        if got.cells.len() <= cap {
            prop_assert_eq!(capped, Ok(got));
        } else {
            prop_assert_eq!(capped, Err(TooManyCells { cap }));
        }
        Ok(())
    });
}

#[test]
fn a_point_lies_within_the_bounds_of_its_cell_even_on_an_edge() {
    let cases = (log_range(1.0, 10_000.0), -80.0..80.0f64, -180.0..180.0f64, -3..3i32);
    check(2000, cases, |(size_m, lat, lng, shift)| {
        let grid = Grid::new(size_m);
        // The point drawn, and points exactly on the south-west corner of its cell and of
        // nearby cells.
        let near = grid.cell(lat, lng);
        let corner = grid.bounds(GridCell { row: near.row + shift, column: near.column - shift });
        for (lat, lng) in [(lat, lng), (corner.south, corner.west), (corner.south, lng)] {
            let b = grid.bounds(grid.cell(lat, lng));
            prop_assert!(b.south <= lat && lat < b.north, "{} in {:?}", lat, b);
            prop_assert!(b.west <= lng && lng < b.east, "{} in {:?}", lng, b);
        }
        prop_assert_eq!(grid.cell(corner.south, corner.west).row, near.row + shift);
        Ok(())
    });
}
