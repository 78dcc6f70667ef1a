//! The answers of `/api/v2/crimes`, `/api/v2/outcomes` and `/api/v2/stops` as JSON: a page of records in
//! police.uk's shape and the URL of the next page. (As GeoJSON it is a `FeatureCollection`
//! with the same `next` member; as CSV, police.uk's bulk street, outcomes or stop-and-search columns, the next
//! page in the `Link` header only.)

use serde::Serialize;
use utoipa::ToSchema;

use crate::{Crime, Stop, StreetOutcome};

/// A page of `/api/v2/crimes`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CrimeList<'a> {
    /// The crimes, in police.uk's shape (as `crimes-street` gives them), by month, then snap
    /// point, then force and id; crimes without a location last in their month.
    pub crimes: Vec<Crime<'a>>,
    /// The next page's URL (this path and these parameters with `cursor`), also sent as
    /// `Link: <…>; rel="next"`; `null` on the last page and with `limit=all`.
    #[schema(
        example = "/api/v2/crimes?force=city-of-london&from=2024-01&to=2024-03&cursor=AQc0LjIuMC4w…"
    )]
    pub next: Option<String>,
}

/// A page of `/api/v2/outcomes`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutcomeList<'a> {
    /// The outcomes, in police.uk's shape (as `outcomes-at-location` gives them), by month,
    /// then the snap point each was mapped to, then crime and outcome; outcomes without a
    /// location last in their month.
    pub outcomes: Vec<StreetOutcome<'a>>,
    /// The next page's URL (this path and these parameters with `cursor`), also sent as
    /// `Link: <…>; rel="next"`; `null` on the last page and with `limit=all`.
    #[schema(
        example = "/api/v2/outcomes?force=city-of-london&from=2016-01&to=2016-06&cursor=AQc0LjIuMC4w…"
    )]
    pub next: Option<String>,
}

/// A page of `/api/v2/stops`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StopList<'a> {
    /// The stops, in police.uk's shape (as `stops-street` gives them), by month, then snap
    /// point, then force, time and the other fields; stops without a location last in their
    /// month.
    pub stops: Vec<Stop<'a>>,
    /// The next page's URL (this path and these parameters with `cursor`), also sent as
    /// `Link: <…>; rel="next"`; `null` on the last page and with `limit=all`.
    #[schema(
        example = "/api/v2/stops?force=city-of-london&from=2024-01&to=2024-06&cursor=AQc0LjIuMC4w…"
    )]
    pub next: Option<String>,
}
