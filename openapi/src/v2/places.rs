//! The answer of `/api/v2/places`.

use serde::Serialize;
use utoipa::ToSchema;

/// `/api/v2/places`: streets and neighbourhoods whose names match a query.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlaceSearch {
    /// The query, as given.
    #[schema(example = "high st")]
    pub q: String,
    /// The words matched: lower-cased letters and digits, a leading "on or near" left out.
    #[schema(example = json!(["high", "st"]))]
    pub words: Vec<String>,
    /// The most places of each kind answered.
    #[schema(example = 10)]
    pub limit: usize,
    /// Street places matching, in all (`streets` holds the first `limit`).
    #[schema(example = 37)]
    pub streets_matched: usize,
    /// The best street places, best first.
    pub streets: Vec<StreetPlaceAnswer>,
    /// Neighbourhoods matching, in all (`neighbourhoods` holds the first `limit`).
    #[schema(example = 1)]
    pub neighbourhoods_matched: usize,
    /// The best neighbourhoods, best first.
    pub neighbourhoods: Vec<NeighbourhoodPlace>,
}

/// One street place: the snap points of one name within a kilometre of each other (directly
/// or through other points of that name).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StreetPlaceAnswer {
    /// The snap points' name (police.uk's `location.street.name`).
    #[schema(example = "On or near High Street")]
    pub street: String,
    /// `exact` (the name's words are the query's), `start` (the name starts with the query)
    /// or `words` (every query word starts a word of the name).
    #[schema(example = "start")]
    pub r#match: &'static str,
    /// Number of snap points in the place.
    #[schema(example = 6)]
    pub snap_points: u32,
    /// The lowest snap point id among them (`location_id` of `crimes-at-location`).
    #[schema(example = 883498)]
    pub location_id: i32,
    /// The mean latitude of its points, in degrees.
    #[schema(example = 52.6356)]
    pub latitude: f64,
    /// The mean longitude of its points, in degrees.
    #[schema(example = -1.1319)]
    pub longitude: f64,
    /// Southern edge of its points' bounding box.
    pub south: f64,
    /// Western edge of its points' bounding box.
    pub west: f64,
    /// Northern edge of its points' bounding box.
    pub north: f64,
    /// Eastern edge of its points' bounding box.
    pub east: f64,
    /// The force whose neighbourhood boundary holds the place's mean point (as
    /// `locate-neighbourhood` finds it), to tell apart streets of the same name; `null` when
    /// no imported boundary holds it.
    #[schema(example = "leicestershire")]
    pub force: Option<String>,
    /// That force's name.
    #[schema(example = "Leicestershire Police")]
    pub force_name: Option<String>,
    /// That neighbourhood's id.
    #[schema(example = "NC04")]
    pub neighbourhood: Option<String>,
    /// That neighbourhood's name.
    #[schema(example = "City Centre")]
    pub neighbourhood_name: Option<String>,
}

/// One neighbourhood whose name matches.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NeighbourhoodPlace {
    /// The force's id.
    #[schema(example = "leicestershire")]
    pub force: String,
    /// The force's name.
    #[schema(example = "Leicestershire Police")]
    pub force_name: String,
    /// The neighbourhood's id.
    #[schema(example = "NC04")]
    pub id: String,
    /// The neighbourhood's name.
    #[schema(example = "City Centre")]
    pub name: String,
    /// `exact`, `start` or `words`, as for streets.
    #[schema(example = "exact")]
    pub r#match: &'static str,
    /// Its boundary's bounding box `[south, west, north, east]`; `null` without a boundary.
    #[schema(example = json!([52.62, -1.15, 52.65, -1.11]))]
    pub bounds: Option<[f64; 4]>,
}
