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

/// A coordinate, written as police.uk does: a string with six decimals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinate(pub f64);

impl Serialize for Coordinate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:.6}", self.0))
    }
}

/// A month, written `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearMonth {
    pub year: u16,
    pub month: u8,
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:04}-{:02}", self.year, self.month))
    }
}

/// The anonymised street a record is mapped to.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Street<'a> {
    /// Id of the snap point (use as `location_id`).
    #[schema(example = 1738842)]
    pub id: i64,
    /// Its name, e.g. `On or near Campbell Street`.
    #[schema(example = "On or near Campbell Street")]
    pub name: &'a str,
}

/// Where a record is mapped: an anonymised snap point.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Location<'a> {
    /// Latitude, a string with 6 decimals.
    #[schema(value_type = String, example = "52.632805")]
    pub latitude: Coordinate,
    pub street: Street<'a>,
    /// Longitude, a string with 6 decimals.
    #[schema(value_type = String, example = "-1.124819")]
    pub longitude: Coordinate,
}

/// The latest outcome of a crime.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutcomeStatus<'a> {
    /// The outcome's display name (not its code).
    #[schema(example = "Investigation complete; no suspect identified")]
    pub category: &'a str,
    /// Month of the outcome, `YYYY-MM`.
    #[schema(value_type = String, example = "2024-01")]
    pub date: YearMonth,
}

/// A street-level crime (`crimes-street`, `crimes-at-location`, `crimes-no-location`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Crime<'a> {
    /// Category slug, e.g. `burglary` (see `crime-categories`).
    #[schema(example = "bicycle-theft")]
    pub category: &'a str,
    /// 64-hex police.uk crime id; `""` for anti-social behaviour.
    #[schema(example = "fef00968b9b066ad38660e64f6e746eb1dfc27b22af4a023924daebfcea2ad39")]
    pub persistent_id: &'a str,
    /// Type of place for BTP locations; otherwise usually `""`.
    pub location_subtype: &'a str,
    /// This server's numeric id of the crime; stable across re-imports (not a police identifier).
    #[schema(example = 116201252)]
    pub id: i64,
    /// `null` for crimes that could not be mapped.
    pub location: Option<Location<'a>>,
    /// Extra information from the force, usually `""`.
    pub context: &'a str,
    /// Month of the crime, `YYYY-MM`.
    #[schema(value_type = String, example = "2024-01")]
    pub month: YearMonth,
    /// `Force` or `BTP`; `null` for crimes that could not be mapped.
    #[schema(example = "Force")]
    pub location_type: Option<&'a str>,
    /// `null` for anti-social behaviour and crimes without an outcome.
    pub outcome_status: Option<OutcomeStatus<'a>>,
}

/// A crime as nested in outcome records: no `outcome_status`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutcomeCrime<'a> {
    #[schema(example = "public-order")]
    pub category: &'a str,
    pub persistent_id: &'a str,
    pub location_subtype: &'a str,
    #[schema(example = "Force")]
    pub location_type: Option<&'a str>,
    pub location: Option<Location<'a>>,
    pub context: &'a str,
    #[schema(value_type = String, example = "2024-01")]
    pub month: YearMonth,
    pub id: i64,
}

/// An outcome category: code and display name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutcomeCategory<'a> {
    #[schema(example = "local-resolution")]
    pub code: &'a str,
    #[schema(example = "Local resolution")]
    pub name: &'a str,
}

/// An outcome at a place (`outcomes-at-location`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StreetOutcome<'a> {
    pub category: OutcomeCategory<'a>,
    /// Month the outcome was recorded, `YYYY-MM`.
    #[schema(value_type = String, example = "2024-01")]
    pub date: YearMonth,
    /// Always `null` (police.uk publishes no person identifiers).
    #[schema(value_type = Option<String>)]
    pub person_id: Option<&'a str>,
    pub crime: OutcomeCrime<'a>,
}

/// One outcome of a crime (`outcomes-for-crime`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CrimeOutcome<'a> {
    pub category: OutcomeCategory<'a>,
    #[schema(value_type = String, example = "2024-01")]
    pub date: YearMonth,
    #[schema(value_type = Option<String>)]
    pub person_id: Option<&'a str>,
}

/// `outcomes-for-crime`: a crime and its outcomes, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CrimeWithOutcomes<'a> {
    pub crime: OutcomeCrime<'a>,
    pub outcomes: Vec<CrimeOutcome<'a>>,
}

/// A crime category (`crime-categories`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CrimeCategory<'a> {
    /// The slug, for `crimes-street/{category}`.
    #[schema(example = "burglary")]
    pub url: &'a str,
    #[schema(example = "Burglary")]
    pub name: &'a str,
}

/// The form body of a POST to an area route (`crimes-street`, `outcomes-at-location`,
/// `stops-street`): the same parameters as the query string, which they override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AreaForm {
    /// Polygon `lat,lng:lat,lng:…`, closed automatically.
    #[schema(example = "52.268,0.543:52.794,0.238:52.130,0.478")]
    pub poly: Option<String>,
    /// Latitude of the centre of a one-mile circle (instead of `poly`).
    pub lat: Option<String>,
    /// Longitude of the centre of a one-mile circle (instead of `poly`).
    pub lng: Option<String>,
    /// Month `YYYY-MM`.
    #[schema(example = "2024-01")]
    pub date: Option<String>,
}
