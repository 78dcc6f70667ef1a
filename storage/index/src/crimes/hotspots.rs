//! Hot spots (`/api/v2/crimes/hotspots`): the snap points, or the cells of a fixed grid, with
//! the most crimes in an area over a period. Crimes are walked through a [`Selection`] (see
//! [`super::select`]), so an area means the same crimes as for counts; crimes without a
//! location have no place and are only counted (`unlocated`).
//!
//! Snap points take two walks of the period: the first keeps, per snap point touched, its
//! total and the number of months it had a crime (a small hash map); the best `limit` are
//! picked, and the second walk fills in their counts per month and per category. Memory is
//! the points touched plus `limit` × months, whatever the area. Grid cells take one walk and
//! stop counting new cells beyond a cap.

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::counts::{CategoryCounts, CountScope, CATEGORY_COUNT};
use super::{CrimeIndex, ForceSet, Selection};
use crate::spatial::EARTH_RADIUS_M;
use crate::Month;

/// Metres per degree of latitude (and of longitude at the equator) on the sphere every
/// distance here uses.
const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// A month of the period asked for, and whether its data is held, as
/// [`CrimeIndex::crime_counts`] decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodMonth {
    /// The month.
    pub month: Month,
    /// `false` when the month's data is missing for the scope: the index holds no crimes at
    /// all for the month, or none of any of the scope's forces.
    pub held: bool,
    /// The scope's forces without any crime this month, by id, when the month is held: its
    /// counts are partial when there are some.
    pub missing_forces: Vec<Box<str>>,
}

/// What the hot spots of a period were found among.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotSpotSummary {
    /// Every month of the period, oldest first.
    pub months: Vec<PeriodMonth>,
    /// Crimes of the asked categories with a location in the area over the period.
    pub located: u64,
    /// Crimes of the asked categories in the scope without a location (only a force or the
    /// whole country has them): they have no place, so are in no hot spot.
    pub unlocated: u64,
}

/// One snap point among the hot spots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotSpot {
    /// The snap point (see [`CrimeIndex::point`]).
    pub point: u32,
    /// Crimes at the point over the period.
    pub total: u64,
    /// Months of the period with at least one crime at the point.
    pub months_with_crime: u32,
    /// Crimes per month of the period, in the order of [`HotSpotSummary::months`]; 0 for a
    /// month not held.
    pub monthly: Vec<u64>,
    /// Crimes per category over the period, indexed by category code.
    pub categories: CategoryCounts,
}

/// The snap points with the most crimes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotSpots {
    /// The period and the crimes counted.
    pub summary: HotSpotSummary,
    /// Snap points with at least one crime over the period.
    pub points_with_crime: u64,
    /// The busiest points, most crimes first (ties: the lower store id first).
    pub spots: Vec<HotSpot>,
}

/// A fixed grid of cells about `size_m` metres square, the same for every request with that
/// size: rows of equal height in latitude (`size_m` along a meridian) counted from the
/// equator; each row split into columns counted from the prime meridian, as wide in
/// longitude as makes `size_m` metres along the row's middle latitude. Distances are on the
/// sphere of radius [`EARTH_RADIUS_M`]. A cell spans `south <= latitude < north` and
/// `west <= longitude < east`; columns of neighbouring rows do not line up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    size_m: f64,
    row_height_deg: f64,
}

/// A cell of a [`Grid`]: its row (from the equator, northwards) and column (from the prime
/// meridian, eastwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GridCell {
    /// Rows north of the equator (negative south of it).
    pub row: i32,
    /// Columns east of the prime meridian (negative west of it).
    pub column: i32,
}

/// The edges of a grid cell, in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellBounds {
    /// Southern edge (included).
    pub south: f64,
    /// Western edge (included).
    pub west: f64,
    /// Northern edge (excluded).
    pub north: f64,
    /// Eastern edge (excluded).
    pub east: f64,
}

impl Grid {
    /// The grid of cells `size_m` metres on a side (a positive, finite size).
    pub fn new(size_m: f64) -> Grid {
        Grid { size_m, row_height_deg: size_m / METRES_PER_DEGREE }
    }

    /// The cells' side in metres.
    pub fn size_m(&self) -> f64 {
        self.size_m
    }

    /// The width in degrees of longitude of the columns of `row`.
    fn column_width_deg(&self, row: i32) -> f64 {
        let middle = (f64::from(row) + 0.5) * self.row_height_deg;
        self.size_m / (METRES_PER_DEGREE * middle.to_radians().cos())
    }

    /// The cell holding a point, consistent with [`Grid::bounds`] to the last bit: the
    /// point lies within the bounds computed for its cell.
    pub fn cell(&self, latitude: f64, longitude: f64) -> GridCell {
        let row = floor_step(latitude, self.row_height_deg);
        let column = floor_step(longitude, self.column_width_deg(row));
        GridCell { row, column }
    }

    /// The edges of a cell.
    pub fn bounds(&self, cell: GridCell) -> CellBounds {
        let width = self.column_width_deg(cell.row);
        CellBounds {
            south: f64::from(cell.row) * self.row_height_deg,
            north: f64::from(cell.row + 1) * self.row_height_deg,
            west: f64::from(cell.column) * width,
            east: f64::from(cell.column + 1) * width,
        }
    }
}

/// `k` with `k * step <= value < (k + 1) * step`, computed with the same products as
/// [`Grid::bounds`] so that rounding never puts a point outside its cell.
fn floor_step(value: f64, step: f64) -> i32 {
    let mut k = (value / step).floor() as i32;
    if value < f64::from(k) * step {
        k -= 1;
    } else if value >= f64::from(k + 1) * step {
        k += 1;
    }
    k
}

/// One non-empty cell of a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridCount {
    /// The cell.
    pub cell: GridCell,
    /// Crimes in the cell over the period.
    pub total: u64,
    /// Months of the period with at least one crime in the cell.
    pub months_with_crime: u32,
}

/// The non-empty cells of a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GridCounts {
    /// The period and the crimes counted.
    pub summary: HotSpotSummary,
    /// Every cell with a crime, most crimes first (ties: south to north, then west to east).
    pub cells: Vec<GridCount>,
}

/// The area has more non-empty cells than the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyCells {
    /// The most cells an answer may have.
    pub cap: usize,
}

/// Per place (snap point or cell) over the first walk: its crimes, how many months had
/// some, and the last such month (as a position in the period, so a month is counted once).
#[derive(Debug, Clone, Copy)]
struct Tally<K> {
    key: K,
    total: u64,
    months_with_crime: u32,
    last_month: usize,
}

impl<K> Tally<K> {
    fn new(key: K) -> Self {
        Tally { key, total: 0, months_with_crime: 0, last_month: usize::MAX }
    }

    fn add(&mut self, month: usize) {
        self.total += 1;
        if self.last_month != month {
            self.last_month = month;
            self.months_with_crime += 1;
        }
    }
}

/// Places seen so far, each with its [`Tally`]: a hash map from the place to its position in
/// a vector.
#[derive(Debug)]
struct Tallies<K> {
    slots: HashMap<K, u32, BuildHasherDefault<IntHasher>>,
    tallies: Vec<Tally<K>>,
}

impl<K: std::hash::Hash + Eq + Copy> Tallies<K> {
    fn new() -> Self {
        Tallies { slots: HashMap::default(), tallies: Vec::new() }
    }

    fn len(&self) -> usize {
        self.tallies.len()
    }

    fn contains(&self, key: &K) -> bool {
        self.slots.contains_key(key)
    }

    fn add(&mut self, key: K, month: usize) {
        let next = self.tallies.len() as u32;
        let slot = *self.slots.entry(key).or_insert(next);
        if slot == next {
            self.tallies.push(Tally::new(key));
        }
        self.tallies[slot as usize].add(month);
    }
}

/// A fast hash for the small integer keys here (snap point positions, packed cells): a
/// multiplication, its high half folded into the low one. Not for keys an attacker picks
/// freely: these come from the index.
#[derive(Debug, Default, Clone, Copy)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_i32(&mut self, n: i32) {
        self.write_u32(n as u32);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Which category codes count.
fn category_mask(categories: &[u8]) -> [bool; CATEGORY_COUNT] {
    let mut mask = [false; CATEGORY_COUNT];
    for &code in categories {
        if let Some(counted) = mask.get_mut(usize::from(code)) {
            *counted = true;
        }
    }
    mask
}

impl CrimeIndex {
    /// The `limit` snap points with the most crimes of `categories` (codes) in `scope` from
    /// `from` to `to` (inclusive), most first, ties broken by the lower store id.
    pub fn crime_hotspots(
        &self,
        from: Month,
        to: Month,
        scope: CountScope<'_>,
        categories: &[u8],
        limit: usize,
    ) -> HotSpots {
        let selection = self.select(scope);
        let counted = category_mask(categories);
        let counts = |category: u8| counted.get(usize::from(category)).copied().unwrap_or(false);
        let mut points = Tallies::new();
        let (summary, _) = self.walk(from, to, &selection, &counts, |month, point| {
            points.add(point, month);
            true
        });

        let mut best = points.tallies;
        let order = |a: &Tally<u32>, b: &Tally<u32>| {
            b.total.cmp(&a.total).then_with(|| self.point(a.key).id.cmp(&self.point(b.key).id))
        };
        if best.len() > limit {
            best.select_nth_unstable_by(limit, order);
            best.truncate(limit);
        }
        best.sort_unstable_by(order);

        let months = summary.months.len();
        let mut spots: Vec<HotSpot> = best
            .iter()
            .map(|tally| HotSpot {
                point: tally.key,
                total: tally.total,
                months_with_crime: tally.months_with_crime,
                monthly: vec![0; months],
                categories: [0; CATEGORY_COUNT],
            })
            .collect();
        let slots: HashMap<u32, usize, BuildHasherDefault<IntHasher>> =
            spots.iter().enumerate().map(|(slot, spot)| (spot.point, slot)).collect();
        for (position, period_month) in summary.months.iter().enumerate() {
            if !period_month.held {
                continue;
            }
            self.visit_selected(period_month.month, &selection, |point, crime| {
                let category = crime.record.category;
                let Some(&slot) = point.and_then(|point| slots.get(&point)) else { return };
                if counts(category) {
                    spots[slot].monthly[position] += 1;
                    spots[slot].categories[usize::from(category)] += 1;
                }
            });
        }
        HotSpots { summary, points_with_crime: points.slots.len() as u64, spots }
    }

    /// The cells of `grid` holding crimes of `categories` (codes) in `scope` from `from` to
    /// `to` (inclusive), most first; [`TooManyCells`] when more than `max_cells` would be.
    pub fn crime_grid(
        &self,
        from: Month,
        to: Month,
        scope: CountScope<'_>,
        categories: &[u8],
        grid: Grid,
        max_cells: usize,
    ) -> Result<GridCounts, TooManyCells> {
        let selection = self.select(scope);
        let counted = category_mask(categories);
        let counts = |category: u8| counted.get(usize::from(category)).copied().unwrap_or(false);
        let mut cells = Tallies::new();
        // Crimes come grouped by snap point: the cell of the last point is reused.
        let mut last: Option<(u32, GridCell)> = None;
        let (summary, complete) = self.walk(from, to, &selection, &counts, |month, point| {
            let cell = match last {
                Some((seen, cell)) if seen == point => cell,
                _ => {
                    let place = self.point(point);
                    let cell = grid.cell(place.latitude, place.longitude);
                    last = Some((point, cell));
                    cell
                }
            };
            if cells.len() == max_cells && !cells.contains(&cell) {
                return false;
            }
            cells.add(cell, month);
            true
        });
        if !complete {
            return Err(TooManyCells { cap: max_cells });
        }
        let mut counts: Vec<GridCount> = cells
            .tallies
            .into_iter()
            .map(|tally| GridCount {
                cell: tally.key,
                total: tally.total,
                months_with_crime: tally.months_with_crime,
            })
            .collect();
        counts.sort_unstable_by(|a, b| b.total.cmp(&a.total).then(a.cell.cmp(&b.cell)));
        Ok(GridCounts { summary, cells: counts })
    }

    /// Walks the selected crimes of `counts`' categories month by month, calling `place` with
    /// the month's position in the period and the snap point of every located one; counts
    /// the unlocated ones. When `place` answers `false` the walk stops, and the second value
    /// returned is `false`.
    fn walk(
        &self,
        from: Month,
        to: Month,
        selection: &Selection,
        counts: &impl Fn(u8) -> bool,
        mut place: impl FnMut(usize, u32) -> bool,
    ) -> (HotSpotSummary, bool) {
        let mut summary = HotSpotSummary { months: Vec::new(), located: 0, unlocated: 0 };
        let mut complete = true;
        // The scope's forces, as for counts: a force scope's force, else the forces of the
        // crimes selected over the period, whatever their category.
        let mut seen = ForceSet::default();
        if let Some(force) = selection.force() {
            seen.insert(force);
        }
        let mut held_months = Vec::new();
        for (position, month) in Month::range(from, to).enumerate() {
            let held = self.visit_selected(month, selection, |point, crime| {
                seen.insert(crime.record.force);
                if !complete || !counts(crime.record.category) {
                    return;
                }
                match point {
                    Some(point) => {
                        complete = place(position, point);
                        summary.located += u64::from(complete);
                    }
                    None => summary.unlocated += 1,
                }
            });
            if !complete {
                return (summary, false);
            }
            held_months.push((month, held));
        }
        summary.months = held_months
            .into_iter()
            .map(|(month, held)| {
                let (missing_forces, all_missing) =
                    self.missing_forces(month, &seen).filter(|_| held).unwrap_or_default();
                PeriodMonth { month, held: held && !all_missing, missing_forces }
            })
            .collect();
        (summary, true)
    }
}
