//! The police.uk wire contract: the JSON shapes police.uk answers with, as serde types that
//! also describe themselves to OpenAPI (utoipa). Field order here is the order on the wire.

use serde::Serialize;
use utoipa::ToSchema;

/// A force as listed by `/api/forces`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ForceSummary {
    /// Unique force identifier, e.g. `leicestershire`.
    #[schema(example = "leicestershire")]
    pub id: String,
    /// Force name, e.g. `Leicestershire Police`.
    #[schema(example = "Leicestershire Police")]
    pub name: String,
}

/// One published month in `/api/crimes-street-dates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CrimeDate {
    /// The month, `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub date: String,
    /// Ids of the forces that published stop-and-search data for the month, alphabetical.
    #[serde(rename = "stop-and-search")]
    #[schema(example = json!(["bedfordshire", "city-of-london"]))]
    pub stop_and_search: Vec<String>,
}

/// `/api/crime-last-updated`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LastUpdated {
    /// The first day of the latest month of crime data, `YYYY-MM-DD` ("the day is irrelevant").
    #[schema(example = "2024-01-01")]
    pub date: String,
}
