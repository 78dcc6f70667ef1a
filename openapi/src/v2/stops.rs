//! The answer of `/api/v2/stops/counts`: stop-and-search counts by group, with the shares
//! disproportionality monitoring reads (outcome linked to the object of search, arrest).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use utoipa::ToSchema;

use super::AreaEcho;

/// A group's key: each dimension asked for (in the order of `by`) and the group's value of
/// it, `null` where the stops have none; written as a JSON object in that order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopGroupKey(pub Vec<(&'static str, Option<String>)>);

impl Serialize for StopGroupKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (dimension, value) in &self.0 {
            map.serialize_entry(dimension, value)?;
        }
        map.end()
    }
}

/// What is counted of a group of stops (or of all of them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct StopTallies {
    /// Stops.
    #[schema(example = 240)]
    pub count: u64,
    /// Stops whose outcome was recorded as linked to the object of search.
    #[schema(example = 30)]
    pub linked: u64,
    /// Stops for which the link between outcome and object of search was recorded at all
    /// (`true` or `false`; many forces and years leave it empty).
    #[schema(example = 120)]
    pub linked_recorded: u64,
    /// `linked / linked_recorded`, from 0 to 1; `null` when nothing was recorded.
    #[schema(example = 0.25)]
    pub linked_share: Option<f64>,
    /// Stops ending in arrest: outcome `Arrest`, or its historic name `Suspect arrested`.
    #[schema(example = 36)]
    pub arrests: u64,
    /// `arrests / count`, from 0 to 1; `null` when `count` is 0.
    #[schema(example = 0.15)]
    pub arrest_share: Option<f64>,
}

impl StopTallies {
    /// The tallies with their shares: `linked` of `linked_recorded`, `arrests` of `count`.
    pub fn new(count: u64, linked: u64, linked_recorded: u64, arrests: u64) -> Self {
        let share = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64);
        StopTallies {
            count,
            linked,
            linked_recorded,
            linked_share: share(linked, linked_recorded),
            arrests,
            arrest_share: share(arrests, count),
        }
    }
}

/// One group of [`StopCounts`]: its key and tallies.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StopGroupCounts {
    /// The group's value of each dimension of `by`, in that order; `null` where the stops
    /// have no value (e.g. no self-defined ethnicity given).
    #[schema(
        value_type = BTreeMap<String, Option<String>>,
        example = json!({"month": "2024-01", "officer_defined_ethnicity": "Black"})
    )]
    pub key: StopGroupKey,
    /// What was counted of the group.
    #[serde(flatten)]
    pub tallies: StopTallies,
}

/// `/api/v2/stops/counts`: stop-and-search counts in an area over a period, grouped.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StopCounts {
    /// The area counted, as asked for.
    pub area: AreaEcho,
    /// First month of the period, `YYYY-MM`.
    #[schema(example = "2023-02")]
    pub from: String,
    /// Last month of the period (inclusive), `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub to: String,
    /// The dimensions grouped by, in the order asked for (the keys of every group's `key`).
    #[schema(example = json!(["month", "officer_defined_ethnicity"]))]
    pub by: Vec<&'static str>,
    /// The months of the period this server holds no stop-and-search data at all for: they
    /// count nothing and have no groups (a month held with no stops in the area has no
    /// groups either, but is not listed here).
    #[schema(example = json!(["2023-07"]))]
    pub missing_months: Vec<String>,
    /// The groups with at least one stop, sorted by key: months oldest first, other values
    /// with `null` first, then in byte order of their text.
    pub groups: Vec<StopGroupCounts>,
    /// Every stop counted, over the months held.
    pub total: StopTallies,
}
