//! The answer of `/api/v2/crimes` as JSON: a page of crimes in police.uk's shape and the URL
//! of the next page. (As GeoJSON it is a `FeatureCollection` with the same `next` member; as
//! CSV, police.uk's bulk street columns, the next page in the `Link` header only.)

use serde::Serialize;
use utoipa::ToSchema;

use crate::Crime;

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
