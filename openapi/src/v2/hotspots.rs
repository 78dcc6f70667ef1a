//! `/api/v2/crimes/hotspots`: the snap points, or the cells of a grid, with the most crimes.

use serde::Serialize;
use utoipa::ToSchema;

use super::{AreaEcho, SlugCounts};

/// A month of a hot spots answer's period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PeriodMonthEcho {
    /// The month, `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub month: String,
    /// `true` when this server holds no crime data for the month in this area (none at all,
    /// or none of any force whose crimes the area has): its counts are `null`, not zeros.
    pub missing: bool,
    /// Forces whose crimes the area has but whose data for the month is not held (their
    /// crimes are missing from the counts); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["kent"]))]
    pub missing_forces: Vec<String>,
}

/// One snap point among the hot spots.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HotSpotPoint {
    /// The snap point's id: police.uk's `location.street.id`, and `location_id` of
    /// `crimes-at-location`.
    #[schema(example = 883498)]
    pub location_id: i32,
    /// The snap point's name (police.uk's `location.street.name`).
    #[schema(example = "On or near Gallowtree Gate")]
    pub street: String,
    /// Latitude of the snap point, in degrees.
    #[schema(example = 52.635614)]
    pub latitude: f64,
    /// Longitude of the snap point, in degrees.
    #[schema(example = -1.131901)]
    pub longitude: f64,
    /// Crimes at the point over the period.
    #[schema(example = 41)]
    pub total: u64,
    /// Months of the period with at least one crime at the point (repeat locations have
    /// many).
    #[schema(example = 3)]
    pub months_with_crime: u32,
    /// Crimes at the point per month: one number per entry of the answer's `months`, in
    /// that order; `null` for a missing month.
    #[schema(value_type = Vec<Option<u64>>, example = json!([12, 0, null, 29]))]
    pub monthly: Vec<Option<u64>>,
    /// Crimes at the point per asked-for category over the period, keyed by slug in
    /// police.uk's category order.
    #[schema(value_type = BTreeMap<String, u64>, example = json!({"burglary": 2, "shoplifting": 39}))]
    pub counts: SlugCounts,
}

/// `/api/v2/crimes/hotspots` without `cell`: the snap points with the most crimes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CrimeHotSpots {
    /// The area searched, as asked for.
    pub area: AreaEcho,
    /// First month of the period, `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub from: String,
    /// Last month of the period (inclusive), `YYYY-MM`.
    #[schema(example = "2024-04")]
    pub to: String,
    /// The categories counted, as slugs in police.uk's order.
    #[schema(example = json!(["burglary", "shoplifting"]))]
    pub categories: Vec<&'static str>,
    /// Every month of the period, oldest first.
    pub months: Vec<PeriodMonthEcho>,
    /// Crimes of those categories with a location in the area over the period.
    #[schema(example = 1830)]
    pub located: u64,
    /// Crimes of those categories without a location (a force or the whole country has some):
    /// they are in no hot spot.
    #[schema(example = 0)]
    pub unlocated: u64,
    /// Snap points with at least one of the located crimes.
    #[schema(example = 402)]
    pub points_with_crime: u64,
    /// The most hot spots asked for (`limit`).
    #[schema(example = 10)]
    pub limit: usize,
    /// The `limit` snap points with the most crimes, most first; ties go to the lower
    /// `location_id`.
    pub hotspots: Vec<HotSpotPoint>,
}

/// One non-empty cell of a hot spot grid.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HotSpotCell {
    /// The cell's row: rows of `cell` metres counted northwards from the equator.
    #[schema(example = 58531)]
    pub row: i32,
    /// The cell's column within its row: counted eastwards from the prime meridian.
    #[schema(example = -318)]
    pub column: i32,
    /// Southern edge, in degrees (a crime on it is in this cell).
    #[schema(example = 52.6324)]
    pub south: f64,
    /// Western edge, in degrees (a crime on it is in this cell).
    #[schema(example = -1.1337)]
    pub west: f64,
    /// Northern edge, in degrees (a crime on it is in the cell above).
    #[schema(example = 52.6369)]
    pub north: f64,
    /// Eastern edge, in degrees (a crime on it is in the next cell).
    #[schema(example = -1.1263)]
    pub east: f64,
    /// Latitude of the cell's centre, in degrees.
    #[schema(example = 52.6347)]
    pub latitude: f64,
    /// Longitude of the cell's centre, in degrees.
    #[schema(example = -1.13)]
    pub longitude: f64,
    /// Crimes in the cell over the period.
    #[schema(example = 96)]
    pub total: u64,
    /// Months of the period with at least one crime in the cell.
    #[schema(example = 4)]
    pub months_with_crime: u32,
}

/// `/api/v2/crimes/hotspots` with `cell`: every grid cell holding crimes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CrimeHotSpotGrid {
    /// The area searched, as asked for.
    pub area: AreaEcho,
    /// First month of the period, `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub from: String,
    /// Last month of the period (inclusive), `YYYY-MM`.
    #[schema(example = "2024-04")]
    pub to: String,
    /// The categories counted, as slugs in police.uk's order.
    #[schema(example = json!(["burglary", "shoplifting"]))]
    pub categories: Vec<&'static str>,
    /// Every month of the period, oldest first.
    pub months: Vec<PeriodMonthEcho>,
    /// Crimes of those categories with a location in the area over the period.
    #[schema(example = 1830)]
    pub located: u64,
    /// Crimes of those categories without a location: they are in no cell.
    #[schema(example = 0)]
    pub unlocated: u64,
    /// The cells' side in metres (`cell`).
    #[schema(example = 500)]
    pub cell: f64,
    /// Every cell with at least one crime, most crimes first, then south to north and west
    /// to east.
    pub cells: Vec<HotSpotCell>,
}

/// The answer of `/api/v2/crimes/hotspots`: snap points, or grid cells when `cell` is given.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum HotSpotsAnswer {
    /// Without `cell`: the busiest snap points.
    Points(CrimeHotSpots),
    /// With `cell`: the non-empty cells of the grid.
    Grid(CrimeHotSpotGrid),
}
