//! Outcomes: `outcomes-at-location` and `outcomes-for-crime/{persistent_id}`.

use actix_web::{get, route, web, HttpRequest, HttpResponse};
use police_index::crimes::OutcomeRef;
use police_index::spatial::Area;
use police_openapi::{AreaForm, CrimeWithOutcomes, StreetOutcome};

use crate::error::ApiError;
use crate::params::{AreaQuery, DateQuery, LocationIdQuery, MonthChoice, Params, PersistentIdPath};
use crate::render;
use crate::render::list::police::{self, HeldOutcomes};
use crate::state::AppState;

/// Street-level outcomes.
///
/// Outcomes recorded in a month (`date`) at one snap point (`location_id`), within one mile
/// of `lat`,`lng`, or inside `poly`; the crimes can be from that or earlier months. POST
/// with a form body works as for `crimes-street`. More outcomes than the server's cap
/// answer 503. Outcomes whose crime month was not imported are not listed.
#[utoipa::path(
    request_body(
        content = AreaForm,
        content_type = "application/x-www-form-urlencoded",
        description = "For POST: the parameters as a form (multipart/form-data works too); JSON is refused",
    ),
    tag = "outcomes",
    params(LocationIdQuery, AreaQuery, DateQuery),
    responses(
        (status = 200, description = "Outcomes in the area", body = [StreetOutcome<'_>]),
        (status = 400, description = "No location, a non-numeric lat/lng, a malformed poly, or a JSON body", content_type = "text/plain"),
        (status = 404, description = "Unknown location_id, or a malformed or too early date", content_type = "text/plain"),
        (status = 503, description = "More outcomes than the server's cap", content_type = "text/plain"),
    )
)]
#[route("/outcomes-at-location", method = "GET", method = "POST")]
pub async fn outcomes_at_location(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_request(&request, &body)?;
    let snapshot = state.current();
    enum Place {
        Point(u32),
        Area(Area),
    }
    // `location_id` wins; the area is not read at all when it is given.
    let place = match LocationIdQuery::from_params(&params).snap_point(&snapshot)? {
        Some(point) => Place::Point(point),
        None => Place::Area(AreaQuery::from_params(&params).area()?),
    };
    let MonthChoice::Month(month) = DateQuery::from_params(&params).month(&snapshot)? else {
        return Ok(render::street_outcomes(&[]));
    };
    let cap = state.max_results();
    police::answer(snapshot, &request, move |served| {
        let outcomes = match place {
            Place::Point(point) => served.index.outcomes_at_point(month, point),
            Place::Area(area) => served.index.outcomes_in_area(month, &area, cap)?,
        };
        Ok(HeldOutcomes(outcomes.iter().map(OutcomeRef::key).collect()))
    })
    .await
}

/// Outcomes for a specific crime.
///
/// A crime (by its 64-hex police.uk id, lower case) and every outcome recorded for it,
/// oldest first.
#[utoipa::path(
    tag = "outcomes",
    params(PersistentIdPath),
    responses(
        (status = 200, description = "The crime and its outcomes", body = CrimeWithOutcomes<'_>),
        (status = 404, description = "No crime with that id (ids are lower case)", content_type = "text/plain"),
    )
)]
#[get("/outcomes-for-crime/{persistent_id}")]
pub async fn outcomes_for_crime(
    state: web::Data<AppState>,
    path: web::Path<PersistentIdPath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let persistent_id = path.persistent_id.as_str();
    let crime = snapshot
        .index
        .crime_by_persistent_id(persistent_id)
        .ok_or_else(|| ApiError::NotFound(format!("no crime with id {persistent_id:?}")))?;
    Ok(render::crime_with_outcomes(&crime))
}
