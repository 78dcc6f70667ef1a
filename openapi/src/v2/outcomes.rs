//! The answer of `/api/v2/outcomes/counts`, and what `/api/v2/crimes/counts` adds with
//! `last_outcomes=true`. Outcome categories are keyed by police.uk's outcome codes (as
//! `outcomes-for-crime` gives them, e.g. `under-investigation`); a crime's last outcome may
//! also be `none` (no outcome given) or `other` (a name that is none of police.uk's).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use super::{AreaEcho, SlugCounts};

/// Fractions by slug, written as a JSON object whose keys keep the order given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SlugShares(pub Vec<(&'static str, f64)>);

impl Serialize for SlugShares {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (slug, share) in &self.0 {
            map.serialize_entry(slug, share)?;
        }
        map.end()
    }
}

/// One month of [`OutcomeCounts`]: the outcomes recorded in that month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MonthOutcomeCounts {
    /// The month the outcomes were recorded, `YYYY-MM`.
    #[schema(example = "2016-03")]
    pub month: String,
    /// `true` when this server holds no outcome data at all for the month: `counts` and
    /// `total` are then absent (not zeros).
    pub missing: bool,
    /// Outcomes per outcome category, keyed by outcome code in police.uk's order; categories
    /// without outcomes are left out. Absent when `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, u64>>, example = json!({"no-further-action": 40, "charged": 9}))]
    pub counts: Option<SlugCounts>,
    /// The sum of `counts`; absent when `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 49)]
    pub total: Option<u64>,
}

/// The last outcomes of some crimes: how many reached each one, and which share of the
/// crimes that is.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LastOutcomeShares {
    /// The crimes counted.
    #[schema(example = 120)]
    pub crimes: u64,
    /// Crimes per last outcome: outcome codes in police.uk's order, then `none` (no outcome
    /// given, as for anti-social behaviour) and `other` (a name police.uk does not list); those
    /// no crime reached are left out.
    #[schema(value_type = BTreeMap<String, u64>, example = json!({"no-further-action": 80, "charged": 10, "none": 30}))]
    pub counts: SlugCounts,
    /// `counts` divided by `crimes` (0 to 1), with the same keys.
    #[schema(value_type = BTreeMap<String, f64>, example = json!({"no-further-action": 0.6666666666666666, "charged": 0.08333333333333333, "none": 0.25}))]
    pub shares: SlugShares,
}

/// The last outcomes of one crime category's crimes: `category`, then `crimes`, `counts` and
/// `shares`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CategoryLastOutcomes {
    /// The crime category's slug.
    #[schema(example = "burglary")]
    pub category: &'static str,
    /// Its crimes' last outcomes.
    #[serde(flatten)]
    pub last_outcomes: LastOutcomeShares,
}

/// The last outcomes of the crimes of a period, by crime month.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PeriodLastOutcomes {
    /// The months of the period this server holds no crime data for (their crimes are not
    /// counted), oldest first.
    #[schema(example = json!(["2017-10", "2017-11"]))]
    pub missing_months: Vec<String>,
    /// Every asked-for category together.
    pub all: LastOutcomeShares,
    /// Each asked-for category, in police.uk's order.
    pub by_category: Vec<CategoryLastOutcomes>,
}

/// `/api/v2/outcomes/counts`: the outcomes recorded per month in an area over a period, and
/// the last outcomes of the period's crimes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutcomeCounts {
    /// The area counted, as asked for.
    pub area: AreaEcho,
    /// First month of the period, `YYYY-MM`.
    #[schema(example = "2016-01")]
    pub from: String,
    /// Last month of the period (inclusive), `YYYY-MM`.
    #[schema(example = "2016-12")]
    pub to: String,
    /// The crime categories whose crimes and outcomes are counted, as slugs in police.uk's
    /// order.
    #[schema(example = json!(["burglary", "drugs"]))]
    pub categories: Vec<&'static str>,
    /// Every month of the period, oldest first: the outcomes recorded in it (whatever the
    /// month of their crime).
    pub months: Vec<MonthOutcomeCounts>,
    /// Outcomes per outcome category over the months held, keyed by outcome code in
    /// police.uk's order; categories without outcomes are left out.
    #[schema(value_type = BTreeMap<String, u64>, example = json!({"no-further-action": 480, "charged": 101}))]
    pub totals: SlugCounts,
    /// The sum of `totals`.
    #[schema(example = 581)]
    pub total: u64,
    /// The crimes of the period (by the month of the crime) and their last outcomes.
    pub last_outcomes: PeriodLastOutcomes,
}
