//! The answers of this server's own routes under `/api/v2/`, which police.uk does not have.
//! Same conventions as police.uk's answers: compact JSON, months `YYYY-MM`, category slugs
//! as in `crime-categories`.

mod boundaries;
mod compare;
mod download;
mod hotspots;
mod list;
mod outcomes;
mod places;
mod stops;

pub use boundaries::{
    BoundaryGeometry, FeatureCollectionType, FeatureType, NeighbourhoodFeature,
    NeighbourhoodFeatureCollection, NeighbourhoodProperties,
};
pub use compare::{ComparedArea, CrimeComparison, DensityBand};
pub use download::ZipArchive;
pub use hotspots::{
    CrimeHotSpotGrid, CrimeHotSpots, HotSpotCell, HotSpotPoint, HotSpotsAnswer, PeriodMonthEcho,
};
pub use list::{CrimeList, OutcomeList, StopList};
pub use outcomes::{
    CategoryLastOutcomes, LastOutcomeShares, MonthOutcomeCounts, OutcomeCounts, PeriodLastOutcomes,
    SlugShares,
};
pub use places::{NeighbourhoodPlace, PlaceSearch, StreetPlaceAnswer};
pub use stops::{StopCounts, StopGroupCounts, StopGroupKey, StopTallies};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

/// Counts by category slug, written as a JSON object whose keys keep the order given (police.uk's
/// category order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlugCounts(pub Vec<(&'static str, u64)>);

impl Serialize for SlugCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (slug, count) in &self.0 {
            map.serialize_entry(slug, count)?;
        }
        map.end()
    }
}

/// The area a v2 answer is about, as the request gave it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum AreaEcho {
    /// A circle: `lat`, `lng` and `radius`.
    Circle {
        /// Latitude of the centre, in degrees.
        #[schema(example = 52.629729)]
        lat: f64,
        /// Longitude of the centre, in degrees.
        #[schema(example = -1.131592)]
        lng: f64,
        /// Radius in metres (1609.344, one mile, unless `radius` was given).
        #[schema(example = 1609.344)]
        radius: f64,
    },
    /// A polygon: `poly` as sent.
    Polygon {
        /// The `poly` parameter, `lat,lng:lat,lng:…`.
        #[schema(example = "52.268,0.543:52.794,0.238:52.130,0.478")]
        poly: String,
    },
    /// One force's crimes, with or without a location.
    Force {
        /// The force id.
        #[schema(example = "leicestershire")]
        force: String,
    },
    /// The crimes mapped inside a neighbourhood's boundary.
    Neighbourhood {
        /// The force id.
        #[schema(example = "leicestershire")]
        force: String,
        /// The neighbourhood id.
        #[schema(example = "NC04")]
        neighbourhood: String,
    },
    /// The crimes of one LSOA, with or without a location.
    Lsoa {
        /// The LSOA code.
        #[schema(example = "E01000001")]
        lsoa: String,
        /// The LSOA name as the bulk CSVs give it.
        #[schema(example = "City of London 001A")]
        name: String,
    },
    /// The GeoJSON `Polygon` or `MultiPolygon` sent as the body.
    Geojson,
    /// Every crime of England, Wales and Northern Ireland, with or without a location.
    National,
}

/// One month of [`CrimeCounts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthCrimeCounts {
    /// The month, `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub month: String,
    /// `true` when this server holds no crime data for the month, or none of the area's
    /// forces (see `missing_forces`): `counts` and `total` are then absent (not zeros). A
    /// month held with no crimes in the area has zeros.
    pub missing: bool,
    /// The area's forces (the force asked for, else the forces of the crimes counted in the
    /// period) whose data for the month this server does not hold: when some are listed and
    /// `missing` is `false`, the counts are partial. Absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["city-of-london"]))]
    pub missing_forces: Vec<String>,
    /// Crimes per asked-for category, keyed by slug in police.uk's category order; absent
    /// when `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, u64>>, example = json!({"burglary": 12, "drugs": 3}))]
    pub counts: Option<SlugCounts>,
    /// The sum of `counts`; absent when `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 15)]
    pub total: Option<u64>,
    /// With `last_outcomes=true`: the month's crimes (of the asked-for categories) per last
    /// outcome, keyed by outcome code in police.uk's order, then `none` and `other`; those no
    /// crime reached are left out. Absent when `missing` or not asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, u64>>, example = json!({"no-further-action": 9, "none": 6}))]
    pub last_outcomes: Option<SlugCounts>,
}

/// `/api/v2/crimes/counts`: crimes per month and category in an area over a period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CrimeCounts {
    /// The area counted, as asked for.
    pub area: AreaEcho,
    /// First month of the period, `YYYY-MM`.
    #[schema(example = "2023-02")]
    pub from: String,
    /// Last month of the period (inclusive), `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub to: String,
    /// The categories counted, as slugs in police.uk's order.
    #[schema(example = json!(["burglary", "drugs"]))]
    pub categories: Vec<&'static str>,
    /// Every month of the period, oldest first.
    pub months: Vec<MonthCrimeCounts>,
    /// Crimes per category over the months held (missing months count nothing), keyed by
    /// slug in police.uk's order.
    #[schema(value_type = BTreeMap<String, u64>, example = json!({"burglary": 140, "drugs": 41}))]
    pub totals: SlugCounts,
    /// The sum of `totals`.
    #[schema(example = 181)]
    pub total: u64,
    /// With `last_outcomes=true`: the crimes of the months held per last outcome, as in each
    /// month; absent when not asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, u64>>, example = json!({"no-further-action": 120, "charged": 11, "none": 50}))]
    pub last_outcomes: Option<SlugCounts>,
    /// The period against a baseline period, when `baseline_from` and `baseline_to` are given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
}

/// The mean monthly count of one category (or of all asked together) in the baseline and in
/// the period, and the change.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MeanChange {
    /// Category slug; `all` for the asked categories together.
    #[schema(example = "burglary")]
    pub category: &'static str,
    /// Mean crimes per month over the baseline's months held; `null` when none is held.
    #[schema(example = 14.25)]
    pub baseline_mean: Option<f64>,
    /// Mean crimes per month over the period's months held; `null` when none is held.
    #[schema(example = 11.5)]
    pub period_mean: Option<f64>,
    /// `(period_mean - baseline_mean) / baseline_mean × 100`, rounded to 0.1; `null` when
    /// either mean is `null` or the baseline mean is 0.
    #[schema(example = -19.3)]
    pub change_percent: Option<f64>,
}

/// A period against a baseline period, as the London crime dashboard reports "down 18 %
/// against the baseline": per category, mean crimes per month in each, and the change.
/// Means are over the months held (a missing month counts in neither); a month with partial
/// data (`missing_forces`) counts as held.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BaselineComparison {
    /// First month of the baseline, `YYYY-MM`.
    #[schema(example = "2019-01")]
    pub from: String,
    /// Last month of the baseline (inclusive), `YYYY-MM`.
    #[schema(example = "2019-12")]
    pub to: String,
    /// Months of the baseline held (not missing).
    #[schema(example = 12)]
    pub months_held: u32,
    /// Months of the period held (not missing).
    #[schema(example = 12)]
    pub period_months_held: u32,
    /// One entry per asked category, in police.uk's order, then `all`.
    pub categories: Vec<MeanChange>,
}

/// One of `/api/v2/crime-category-groups`: a name the v2 routes' `category` takes for
/// several categories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CategoryGroupAnswer {
    /// What `category` takes, e.g. `category=neighbourhood-crime`.
    #[schema(example = "violence")]
    pub id: &'static str,
    /// Display name.
    #[schema(example = "Violence")]
    pub name: &'static str,
    /// The category slugs it stands for, in police.uk's order.
    #[schema(example = json!(["robbery", "violent-crime"]))]
    pub categories: Vec<&'static str>,
    /// How the group maps to police.uk's categories, and where it can only approximate.
    pub notes: &'static str,
}
