//! The answer of `/api/v2/crimes/compare`.

use serde::Serialize;
use utoipa::ToSchema;

use super::{AreaEcho, MonthCrimeCounts, SlugCounts};

/// `/api/v2/crimes/compare`: several areas side by side over one period and set of categories.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CrimeComparison {
    /// First month of the period, `YYYY-MM`.
    #[schema(example = "2023-02")]
    pub from: String,
    /// Last month of the period (inclusive), `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub to: String,
    /// The categories counted, as slugs in police.uk's order.
    #[schema(example = json!(["burglary", "robbery"]))]
    pub categories: Vec<&'static str>,
    /// The areas, in the order asked.
    pub areas: Vec<ComparedArea>,
}

/// One area of a [`CrimeComparison`].
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ComparedArea {
    /// The area, as asked for.
    pub area: AreaEcho,
    /// Its size in km² (rounded to 0.001): a circle's exactly, a polygon's or boundary's on a
    /// local projection, a force's as the sum of its neighbourhoods' boundaries; `null` where
    /// this server holds no boundary (an LSOA, a force without neighbourhood boundaries, the
    /// whole country).
    #[schema(example = 2.317)]
    pub km2: Option<f64>,
    /// `total` per km², rounded to 0.01; `null` without `km2`.
    #[schema(example = 146.3)]
    pub per_km2: Option<f64>,
    /// For a neighbourhood: its crime density band among all its force's neighbourhoods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub band: Option<DensityBand>,
    /// Every month of the period, oldest first, as `/api/v2/crimes/counts` gives them.
    pub months: Vec<MonthCrimeCounts>,
    /// Crimes per category over the months held, keyed by slug in police.uk's order.
    #[schema(value_type = BTreeMap<String, u64>, example = json!({"burglary": 140, "robbery": 41}))]
    pub totals: SlugCounts,
    /// The sum of `totals`.
    #[schema(example = 181)]
    pub total: u64,
}

/// A neighbourhood's band among the neighbourhoods of its force: quintiles of crimes (of the
/// asked categories, over the period) per km² of boundary. Sorted by density, the lowest
/// fifth are Low, then Below average, Average, Above average, and the highest fifth High;
/// a neighbourhood with `k` of the `n` strictly below it is in quintile ⌊5k/n⌋, so equal
/// densities share a band.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DensityBand {
    /// `High`, `Above average`, `Average`, `Below average` or `Low`.
    #[schema(example = "Above average")]
    pub band: &'static str,
    /// 1 for the densest of the force's neighbourhoods; equal densities share a rank.
    #[schema(example = 12)]
    pub rank: usize,
    /// The force's neighbourhoods with a boundary, which the band is among.
    #[schema(example = 58)]
    pub of: usize,
}
