//! The police.uk wire contract: the JSON shapes police.uk answers with, as serde types that
//! also describe themselves to OpenAPI (utoipa). Field order here is the order on the wire.
//! The answers of this server's own `/api/v2/` routes are in [`v2`].

#![deny(missing_docs)]

pub mod document;
pub mod health;
pub mod v2;

pub use document::{base_document, ApiDoc};
pub use health::{DatabaseReadiness, Readiness, SnapshotReadiness};
pub use v2::ZipArchive;
pub use v2::{
    AreaEcho, BaselineComparison, CategoryGroupAnswer, ComparedArea, CrimeComparison, CrimeCounts,
    DensityBand, MeanChange, MonthCrimeCounts, SlugCounts,
};
pub use v2::{
    BoundaryGeometry, FeatureCollectionType, FeatureType, NeighbourhoodFeature,
    NeighbourhoodFeatureCollection, NeighbourhoodProperties,
};
pub use v2::{
    CategoryLastOutcomes, LastOutcomeShares, MonthOutcomeCounts, OutcomeCounts, PeriodLastOutcomes,
    SlugShares,
};
pub use v2::{
    CrimeHotSpotGrid, CrimeHotSpots, HotSpotCell, HotSpotPoint, HotSpotsAnswer, PeriodMonthEcho,
};
pub use v2::{CrimeList, OutcomeList, StopList};
pub use v2::{NeighbourhoodPlace, PlaceSearch, StreetPlaceAnswer};
pub use v2::{StopCounts, StopGroupCounts, StopGroupKey, StopTallies};

use serde::{Deserialize, Serialize};
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
    /// The year, e.g. `2024`; written with four digits.
    pub year: u16,
    /// The month of the year, 1 to 12; written with two digits.
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
    /// The snap point's id and name.
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
    /// Crime category slug, e.g. `public-order` (see `crime-categories`).
    #[schema(example = "public-order")]
    pub category: &'a str,
    /// 64 lower-case hex characters: police.uk's id of the crime, as `outcomes-for-crime` takes it.
    pub persistent_id: &'a str,
    /// Type of place for BTP locations; otherwise usually `""`.
    pub location_subtype: &'a str,
    /// `Force` or `BTP`; `null` for crimes that could not be mapped.
    #[schema(example = "Force")]
    pub location_type: Option<&'a str>,
    /// `null` for crimes that could not be mapped.
    pub location: Option<Location<'a>>,
    /// Extra information from the force, usually `""`.
    pub context: &'a str,
    /// Month of the crime, `YYYY-MM`; can be earlier than the month of the outcome.
    #[schema(value_type = String, example = "2024-01")]
    pub month: YearMonth,
    /// This server's numeric id of the crime; stable across re-imports (not a police identifier).
    pub id: i64,
}

/// An outcome category: code and display name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutcomeCategory<'a> {
    /// Outcome code, e.g. `local-resolution`.
    #[schema(example = "local-resolution")]
    pub code: &'a str,
    /// Display name, e.g. `Local resolution`; the text a crime's `outcome_status.category` carries.
    #[schema(example = "Local resolution")]
    pub name: &'a str,
}

/// An outcome at a place (`outcomes-at-location`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StreetOutcome<'a> {
    /// The outcome: its code and display name.
    pub category: OutcomeCategory<'a>,
    /// Month the outcome was recorded, `YYYY-MM`.
    #[schema(value_type = String, example = "2024-01")]
    pub date: YearMonth,
    /// Always `null` (police.uk publishes no person identifiers).
    #[schema(value_type = Option<String>)]
    pub person_id: Option<&'a str>,
    /// The crime the outcome belongs to (no `outcome_status`); it may be from an earlier month.
    pub crime: OutcomeCrime<'a>,
}

/// One outcome of a crime (`outcomes-for-crime`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CrimeOutcome<'a> {
    /// The outcome: its code and display name.
    pub category: OutcomeCategory<'a>,
    /// Month the outcome was recorded, `YYYY-MM`.
    #[schema(value_type = String, example = "2024-01")]
    pub date: YearMonth,
    /// Always `null` (police.uk publishes no person identifiers).
    #[schema(value_type = Option<String>)]
    pub person_id: Option<&'a str>,
}

/// `outcomes-for-crime`: a crime and its outcomes, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CrimeWithOutcomes<'a> {
    /// The crime (no `outcome_status`).
    pub crime: OutcomeCrime<'a>,
    /// Every outcome recorded for the crime, oldest first; `[]` when none is recorded.
    pub outcomes: Vec<CrimeOutcome<'a>>,
}

/// A crime category (`crime-categories`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CrimeCategory<'a> {
    /// The slug, for `crimes-street/{category}`.
    #[schema(example = "burglary")]
    pub url: &'a str,
    /// Display name, e.g. `Burglary`.
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

// ---------------------------------------------------------------------------------------------
// Forces and neighbourhoods. These types are read as well as written: `police-api import`
// reads saved police.uk responses with them, so deserialising is lenient (unknown keys are
// ignored; ids, populations and coordinates may be JSON numbers; optional keys may be absent).

/// Lenient readers for police.uk's loosely typed fields.
mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    fn text(value: Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A string, or a number or boolean written as one.
    pub fn string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        let value = Value::deserialize(deserializer)?;
        let shown = value.to_string();
        text(value)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a string, found {shown}")))
    }

    /// Like [`string`], with `null` (or an absent key, with `#[serde(default)]`) as `None`.
    pub fn optional_string<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if value.is_null() {
            return Ok(None);
        }
        let shown = value.to_string();
        text(value)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected a string, found {shown}")))
    }
}

/// The keys of a `contact_details` object in the order police.uk documents them; any other
/// key follows, alphabetically.
pub const CONTACT_DETAIL_KEYS: [&str; 17] = [
    "email",
    "telephone",
    "mobile",
    "fax",
    "web",
    "address",
    "facebook",
    "twitter",
    "youtube",
    "myspace",
    "bebo",
    "flickr",
    "google-plus",
    "forum",
    "e-messaging",
    "blog",
    "rss",
];

/// A `contact_details` object: string values under keys present only when set (`{}` when
/// none). Written in [`CONTACT_DETAIL_KEYS`] order, other keys after them alphabetically;
/// read from any object (values that are not strings or numbers are dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactDetails(Vec<(String, String)>);

impl ContactDetails {
    /// Contact details from pairs, put in the canonical order (the last value of a repeated
    /// key wins).
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut map: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
        for (key, value) in pairs {
            map.insert(key, value);
        }
        let mut pairs: Vec<(String, String)> = map.into_iter().collect();
        let rank = |key: &str| {
            CONTACT_DETAIL_KEYS.iter().position(|k| *k == key).unwrap_or(CONTACT_DETAIL_KEYS.len())
        };
        pairs.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0)));
        ContactDetails(pairs)
    }

    /// The pairs, in wire order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// Whether no contact detail is set (written as `{}`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for ContactDetails {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ContactDetails {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::Null => Ok(ContactDetails::default()),
            serde_json::Value::Object(map) => {
                Ok(ContactDetails::new(map.into_iter().filter_map(|(key, value)| match value {
                    serde_json::Value::String(s) => Some((key, s)),
                    serde_json::Value::Number(n) => Some((key, n.to_string())),
                    _ => None,
                })))
            }
            other => Err(serde::de::Error::custom(format!(
                "contact_details must be an object, found {other}"
            ))),
        }
    }
}

/// A way to keep informed about a force (`engagement_methods` of `/api/forces/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EngagementMethod {
    /// Link, may be `""`.
    #[serde(default, deserialize_with = "lenient::string")]
    #[schema(example = "https://www.facebook.com/leicspolice")]
    pub url: String,
    /// Kind of channel, e.g. `facebook`, `twitter`, `youtube`, `rss`; `null` when unknown.
    #[serde(rename = "type", default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "facebook")]
    pub method_type: Option<String>,
    /// Description (HTML possible); often `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub description: Option<String>,
    /// Title, e.g. `facebook`.
    #[serde(default, deserialize_with = "lenient::string")]
    #[schema(example = "facebook")]
    pub title: String,
}

/// `/api/forces/{id}`: a force's details. Key order as in the captured police.uk response
/// the reference specification quotes (§2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ForceDetail {
    /// Description "with formatting" (HTML); often `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub description: Option<String>,
    /// The force's website.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "http://www.leics.police.uk/")]
    pub url: Option<String>,
    /// Ways to keep informed.
    #[serde(default)]
    pub engagement_methods: Vec<EngagementMethod>,
    /// Telephone number, e.g. `101`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "101")]
    pub telephone: Option<String>,
    /// Unique force identifier, e.g. `leicestershire`.
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "leicestershire")]
    pub id: String,
    /// Force name, e.g. `Leicestershire Police`.
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "Leicestershire Police")]
    pub name: String,
}

/// A senior officer (`/api/forces/{id}/people`) or a member of a neighbourhood team
/// (`/api/{force}/{neighbourhood}/people`). Key order as police.uk's documentation gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Person {
    /// Biography (HTML possible); often `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub bio: Option<String>,
    /// Only the keys that are set; may be `{}`.
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"twitter": "http://www.twitter.com/ACCCLeicsPolice"}))]
    pub contact_details: ContactDetails,
    /// Full name, e.g. `Roger Bannister`.
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "Roger Bannister")]
    pub name: String,
    /// Rank, free text, may include a collar number.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "Assistant Chief Officer (Crime)")]
    pub rank: Option<String>,
}

/// A neighbourhood as listed by `/api/{force}/neighbourhoods`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NeighbourhoodSummary {
    /// Force-specific, case-sensitive id.
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "NC04")]
    pub id: String,
    /// Neighbourhood name; may contain HTML entities (`Leake &amp; Keyworth`).
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "City Centre")]
    pub name: String,
}

/// A point given as two strings (`centre` of a neighbourhood, a boundary vertex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LatLng {
    /// Latitude in degrees, a string; precision varies (police.uk's are short, e.g. `52.6389`).
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "52.6389")]
    pub latitude: String,
    /// Longitude in degrees, a string; precision varies (police.uk's are short, e.g. `-1.13619`).
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "-1.13619")]
    pub longitude: String,
}

/// A link on a neighbourhood page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NeighbourhoodLink {
    /// The link's address; may be `""`.
    #[serde(default, deserialize_with = "lenient::string")]
    #[schema(example = "http://www.leicester.gov.uk/")]
    pub url: String,
    /// Description of the link; often `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub description: Option<String>,
    /// Title of the link, e.g. `Leicester City Council`.
    #[serde(default, deserialize_with = "lenient::string")]
    #[schema(example = "Leicester City Council")]
    pub title: String,
}

/// A place of a neighbourhood team (police station etc.).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NeighbourhoodLocation {
    /// Name of the place, e.g. `Mansfield House`; `null` when not given.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "Mansfield House")]
    pub name: Option<String>,
    /// A string, or `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub longitude: Option<String>,
    /// Postcode, e.g. `LE1 3GG`; `null` when not given.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "LE1 3GG")]
    pub postcode: Option<String>,
    /// Postal address, free text (may contain line breaks); `null` when not given.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "74 Belgrave Gate\n, Leicester")]
    pub address: Option<String>,
    /// A string, or `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub latitude: Option<String>,
    /// e.g. `station`, or `null`.
    #[serde(rename = "type", default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "station")]
    pub location_type: Option<String>,
    /// Description (HTML possible); often `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub description: Option<String>,
    /// Listed by police.uk's documentation; written only when known.
    #[serde(
        default,
        deserialize_with = "lenient::optional_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub telephone: Option<String>,
}

/// `/api/{force}/{neighbourhood}`: a neighbourhood's details, in the key order of the
/// captured police.uk response the reference specification quotes (§4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NeighbourhoodDetail {
    /// The team's page on the force's website.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub url_force: Option<String>,
    /// How to contact the team: only the keys that are set; may be `{}`.
    #[serde(default)]
    #[schema(value_type = Object, example = json!({"telephone": "101"}))]
    pub contact_details: ContactDetails,
    /// May contain HTML entities (`Leake &amp; Keyworth`).
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "City Centre")]
    pub name: String,
    /// Links to related websites (e.g. the local council); often `[]`.
    #[serde(default)]
    pub links: Vec<NeighbourhoodLink>,
    /// Roughly the centre ("may not be exactly in the centre"); `null` when unknown.
    #[serde(default)]
    pub centre: Option<LatLng>,
    /// Places of the team, such as police stations; may be `[]`.
    #[serde(default)]
    pub locations: Vec<NeighbourhoodLocation>,
    /// HTML, or `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub description: Option<String>,
    /// Written only when known (police.uk documents it; no capture shows it).
    #[serde(
        default,
        deserialize_with = "lenient::optional_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub welcome_message: Option<String>,
    /// Force-specific, case-sensitive neighbourhood id, e.g. `NC04`.
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "NC04")]
    pub id: String,
    /// A string (`"0"` is common for city centres), or `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "27000")]
    pub population: Option<String>,
}

/// A vertex of `/api/{force}/{neighbourhood}/boundary`: strings with 10 decimals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BoundaryPoint {
    /// Latitude in degrees, a string with 10 decimals.
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "52.6394052587")]
    pub latitude: String,
    /// Longitude in degrees, a string with 10 decimals.
    #[serde(deserialize_with = "lenient::string")]
    #[schema(example = "-1.1458618876")]
    pub longitude: String,
}

/// An upcoming event of a neighbourhood team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NeighbourhoodEvent {
    /// Contact details for the event: only the keys that are set; may be `{}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub contact_details: ContactDetails,
    /// HTML, or `null`.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub description: Option<String>,
    /// Title of the event; `null` when not given.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "Drop In Beat Surgery")]
    pub title: Option<String>,
    /// Where the event takes place, free text; `null` when not given.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "Nagarjuna Buddhist Centre, 17 Guildhall Lane")]
    pub address: Option<String>,
    /// e.g. `meeting`.
    #[serde(rename = "type", default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "meeting")]
    pub event_type: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SS`, no zone.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "2016-09-17T12:00:00")]
    pub start_date: Option<String>,
    /// When the event ends, `YYYY-MM-DDTHH:MM:SS`, no zone; `null` when not given.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "2016-09-17T14:00:00")]
    pub end_date: Option<String>,
}

/// A priority of a neighbourhood team (note police.uk's hyphenated keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NeighbourhoodPriority {
    /// HTML, or `null` when no action was recorded.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub action: Option<String>,
    /// `YYYY-MM-DDTHH:MM:SS`.
    #[serde(rename = "issue-date", default, deserialize_with = "lenient::optional_string")]
    #[schema(example = "2016-04-14T00:00:00")]
    pub issue_date: Option<String>,
    /// When the action was taken, `YYYY-MM-DDTHH:MM:SS`; `null` when no action was recorded.
    #[serde(rename = "action-date", default, deserialize_with = "lenient::optional_string")]
    pub action_date: Option<String>,
    /// HTML.
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub issue: Option<String>,
}

/// `/api/locate-neighbourhood`: the neighbourhood policing a point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LocatedNeighbourhood {
    /// Force id, as in `/api/forces`, e.g. `metropolitan`.
    #[schema(example = "metropolitan")]
    pub force: String,
    /// Neighbourhood id within that force (case-sensitive), e.g. `00BKX6`.
    #[schema(example = "00BKX6")]
    pub neighbourhood: String,
}

/// A moment in time, written as police.uk writes stop-and-search times: ISO 8601 in UTC
/// with an explicit `+00:00`, e.g. `2024-01-07T01:37:39+00:00`. Holds seconds since
/// 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcDateTime(pub i64);

impl UtcDateTime {
    /// `(year, month, day, hour, minute, second)` in UTC (proleptic Gregorian calendar).
    pub fn parts(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86_400);
        let seconds = self.0.rem_euclid(86_400) as u32;
        // H. Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day, seconds / 3600, seconds / 60 % 60, seconds % 60)
    }
}

impl std::fmt::Display for UtcDateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (year, month, day, hour, minute, second) = self.parts();
        write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}+00:00")
    }
}

impl Serialize for UtcDateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The outcome of a stop as an object: `{"id":"","name":""}` when none was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StopOutcomeObject<'a> {
    /// `bu-no-further-action`, `bu-arrest`, `bu-summons`, `bu-community-resolution`,
    /// `bu-caution`, `bu-penalty-notice`, `bu-khat-or-cannabis-warning`, or `bu-` and the
    /// name in lower-case words joined by `-` for any other outcome.
    #[schema(example = "bu-no-further-action")]
    pub id: &'a str,
    /// The outcome as published, e.g. `A no further action disposal`.
    #[schema(example = "A no further action disposal")]
    pub name: &'a str,
}

/// A stop and search (`stops-street`, `stops-at-location`, `stops-no-location`,
/// `stops-force`). Fields the force did not provide are `null`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stop<'a> {
    /// `under 10`, `10-17`, `18-24`, `25-34` or `over 34`.
    #[schema(example = "18-24")]
    pub age_range: Option<&'a str>,
    /// The officer's view: `White`, `Black`, `Asian`, `Mixed` or `Other`.
    #[schema(example = "White")]
    pub officer_defined_ethnicity: Option<&'a str>,
    /// Whether a person was searched: `false` only for vehicle searches.
    pub involved_person: bool,
    /// The person's own description, e.g. `White - English/Welsh/Scottish/Northern Irish/British`.
    #[schema(example = "White - English/Welsh/Scottish/Northern Irish/British")]
    pub self_defined_ethnicity: Option<&'a str>,
    /// `Male`, `Female` or `Other`.
    #[schema(example = "Male")]
    pub gender: Option<&'a str>,
    /// The power used, e.g. `Misuse of Drugs Act 1971 (section 23)`.
    #[schema(example = "Misuse of Drugs Act 1971 (section 23)")]
    pub legislation: Option<&'a str>,
    /// Whether the outcome was linked to the object of the search.
    pub outcome_linked_to_object_of_search: Option<bool>,
    /// When the stop took place, in UTC, e.g. `2024-01-07T01:37:39+00:00` (midnight when
    /// the force gives dates only).
    #[schema(value_type = String, example = "2024-01-07T01:37:39+00:00")]
    pub datetime: UtcDateTime,
    /// The outcome as id and name; both `""` when none was recorded.
    pub outcome_object: StopOutcomeObject<'a>,
    /// The snap point of the stop; `null` when it could not be mapped.
    pub location: Option<Location<'a>>,
    /// What was searched for, e.g. `Controlled drugs`.
    #[schema(example = "Controlled drugs")]
    pub object_of_search: Option<&'a str>,
    /// Whether the stop was part of a policing operation.
    pub operation: Option<bool>,
    /// The outcome as published; `""` when none was recorded.
    #[schema(example = "A no further action disposal")]
    pub outcome: &'a str,
    /// `Person search`, `Vehicle search` or `Person and Vehicle search`.
    #[serde(rename = "type")]
    #[schema(example = "Person search")]
    pub stop_type: Option<&'a str>,
    /// The name of the policing operation, if any.
    pub operation_name: Option<&'a str>,
    /// Whether more than outer clothing was removed.
    pub removal_of_more_than_outer_clothing: Option<bool>,
}

#[cfg(test)]
mod stop_tests {
    use super::UtcDateTime;

    #[test]
    fn utc_date_times_are_written_like_police_uk() {
        assert_eq!(UtcDateTime(0).to_string(), "1970-01-01T00:00:00+00:00");
        assert_eq!(UtcDateTime(1_704_591_459).to_string(), "2024-01-07T01:37:39+00:00");
        assert_eq!(UtcDateTime(1_709_164_799).to_string(), "2024-02-28T23:59:59+00:00");
        assert_eq!(UtcDateTime(1_709_164_800).to_string(), "2024-02-29T00:00:00+00:00");
        assert_eq!(UtcDateTime(951_782_400).to_string(), "2000-02-29T00:00:00+00:00");
        assert_eq!(UtcDateTime(-1).to_string(), "1969-12-31T23:59:59+00:00");
        assert_eq!(UtcDateTime(-2_208_988_800).to_string(), "1900-01-01T00:00:00+00:00");
    }
}
