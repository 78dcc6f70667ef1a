//! The answers of this server's own routes under `/api/v2/`, which police.uk does not have.
//! Same conventions as police.uk's answers: compact JSON, months `YYYY-MM`, category slugs
//! as in `crime-categories`.

mod outcomes;

pub use outcomes::{
    CategoryLastOutcomes, LastOutcomeShares, MonthOutcomeCounts, OutcomeCounts, PeriodLastOutcomes,
    SlugShares,
};

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
    /// Every crime of England, Wales and Northern Ireland, with or without a location.
    National,
}

/// One month of [`CrimeCounts`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthCrimeCounts {
    /// The month, `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub month: String,
    /// `true` when this server holds no crime data at all for the month: `counts` and `total`
    /// are then absent (not zeros). A month held with no crimes in the area has zeros.
    pub missing: bool,
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
}
