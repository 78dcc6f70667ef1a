//! Outcomes: `outcomes-at-location` and `outcomes-for-crime/{persistent_id}`.

use actix_web::{get, route, web, HttpRequest, HttpResponse};
use police_index::spatial::{Area, ONE_MILE_M};
use police_openapi::{AreaForm, CrimeWithOutcomes, StreetOutcome};

use crate::error::ApiError;
use crate::params::{self, MonthChoice};
use crate::render;
use crate::routes::crimes::request_params;
use crate::server::AppState;

/// Street-level outcomes.
///
/// Outcomes recorded in a month (`date`) at one snap point (`location_id`), within one mile
/// of `lat`,`lng`, or inside `poly`; the crimes can be from that or earlier months. POST
/// with a form body works as for `crimes-street`. More outcomes than the server's cap
/// answer 503. Outcomes whose crime month was not imported are not listed.
#[utoipa::path(
    method(get, post),
    request_body(
        content = AreaForm,
        content_type = "application/x-www-form-urlencoded",
        description = "For POST: the parameters as a form (multipart/form-data works too); JSON is refused",
    ),
    tag = "outcomes",
    params(
        ("location_id" = Option<i64>, Query, description = "Snap point id"),
        ("lat" = Option<f64>, Query, description = "Latitude of the centre of a one-mile circle"),
        ("lng" = Option<f64>, Query, description = "Longitude of the centre of a one-mile circle"),
        ("poly" = Option<String>, Query, description = "Polygon `lat,lng:lat,lng:…`"),
        ("date" = Option<String>, Query, description = "Month the outcomes were recorded, `YYYY-MM`; default the latest month"),
    ),
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
    let params = request_params(&request, &body)?;
    let snapshot = state.current();
    enum Place {
        Point(u32),
        Area(Area),
    }
    let place = match params.get("location_id") {
        Some(text) => Place::Point(params::known_snap_point(text, &snapshot)?),
        None if params.get("poly").is_some() => Place::Area(params::area(&params)?),
        None => {
            let (lat, lng) = params::area(&params).and_then(|_| params::point(&params))?;
            Place::Area(Area::Circle { lat, lng, radius_m: ONE_MILE_M })
        }
    };
    let MonthChoice::Month(month) = params::month(&params, &snapshot)? else {
        return Ok(render::street_outcomes(&[]));
    };
    let outcomes = match place {
        Place::Point(point) => snapshot.index.outcomes_at_point(month, point),
        Place::Area(area) => snapshot.index.outcomes_in_area(month, &area, state.max_results())?,
    };
    Ok(render::street_outcomes(&outcomes))
}

/// Outcomes for a specific crime.
///
/// A crime (by its 64-hex police.uk id, lower case) and every outcome recorded for it,
/// oldest first.
#[utoipa::path(
    tag = "outcomes",
    params(("persistent_id" = String, Path, description = "The crime's 64-character persistent id")),
    responses(
        (status = 200, description = "The crime and its outcomes", body = CrimeWithOutcomes<'_>),
        (status = 404, description = "No crime with that id (ids are lower case)", content_type = "text/plain"),
    )
)]
#[get("/outcomes-for-crime/{persistent_id}")]
pub async fn outcomes_for_crime(
    state: web::Data<AppState>,
    persistent_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let crime = snapshot.index.crime_by_persistent_id(&persistent_id).ok_or_else(|| {
        ApiError::NotFound(format!("no crime with id {:?}", persistent_id.as_str()))
    })?;
    Ok(render::crime_with_outcomes(&crime))
}
