//! Stop and search: `stops-street`, `stops-at-location`, `stops-no-location`, `stops-force`.
//!
//! Stops are answered from the snapshot's stop index, placed on the same snap points as
//! crimes. Unlike the crime routes, an unknown force or location answers `[]` (as police.uk
//! does for `stops-force` and `stops-at-location`), and `stops-street` has no result cap
//! (police.uk documents none).

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{get, route, web, HttpRequest, HttpResponse};
use police_index::stops::StopRef;
use police_openapi::{AreaForm, Stop};

use crate::error::ApiError;
use crate::params::{
    unknown_location_message, AreaQuery, DateQuery, ForceQuery, MonthChoice, Params,
    StopLocationQuery,
};
use crate::render;
use crate::render::list::police::{self, HeldStops};
use crate::state::AppState;

/// Stop and searches by area.
///
/// Stops within one mile of `lat`,`lng`, or inside the polygon `poly`, in one month, by
/// date and time. Long polygons can be sent with POST as a form
/// (`application/x-www-form-urlencoded` or `multipart/form-data`) with the same parameters.
/// There is no cap on the number of results (police.uk documents none).
#[utoipa::path(
    request_body(
        content = AreaForm,
        content_type = "application/x-www-form-urlencoded",
        description = "For POST: the parameters as a form (multipart/form-data works too); JSON is refused",
    ),
    tag = "stops",
    params(AreaQuery, DateQuery),
    responses(
        (status = 200, description = "Stops in the area, by date and time", body = [Stop<'_>]),
        (status = 400, description = "No location, a non-numeric lat/lng, a malformed poly, or a JSON body", content_type = "text/plain"),
        (status = 404, description = "Malformed date, or a date before the data this server holds", content_type = "text/plain"),
    )
)]
#[route("/stops-street", method = "GET", method = "POST")]
pub async fn stops_street(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_request(&request, &body)?;
    let area = AreaQuery::from_params(&params).area()?;
    let snapshot = state.current();
    let MonthChoice::Month(month) = DateQuery::from_params(&params).stop_month(&snapshot)? else {
        return Ok(render::stops(&[]));
    };
    police::answer(snapshot, &request, move |served| {
        Ok(held(&served.stops.stops_in_area(&served.index, month, &area)))
    })
    .await
}

/// Stops as a police.uk list holds them.
fn held(stops: &[StopRef<'_>]) -> HeldStops {
    HeldStops(stops.iter().map(StopRef::key).collect())
}

/// Stop and searches at a location.
///
/// The stops mapped to one snap point (`location_id`, the `street.id` of other responses)
/// in a month, by date and time. An unknown location answers `[]`, as on police.uk, with an
/// `X-Police-Api-Note` header saying why (ids saved from police.uk are not this server's).
#[utoipa::path(
    tag = "stops",
    params(StopLocationQuery, DateQuery),
    responses(
        (status = 200, description = "Stops at the snap point (`[]` for an unknown one)", body = [Stop<'_>]),
        (status = 400, description = "No location_id", content_type = "text/plain"),
        (status = 404, description = "Malformed date, or a date before the data this server holds", content_type = "text/plain"),
    )
)]
#[get("/stops-at-location")]
pub async fn stops_at_location(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let location = StopLocationQuery::from_params(&params);
    let point = location.snap_point(&snapshot)?;
    let month = DateQuery::from_params(&params).stop_month(&snapshot)?;
    let Some(point) = point else {
        return Ok(unknown_location(location.location_id()));
    };
    let MonthChoice::Month(month) = month else {
        return Ok(render::stops(&[]));
    };
    Ok(render::stops(&snapshot.stops.stops_at_point(&snapshot.index, month, point)))
}

/// The header that says why `stops-at-location` answered `[]` for a `location_id` this
/// server does not hold (the body stays police.uk's `[]`).
pub const LOCATION_NOTE_HEADER: &str = "x-police-api-note";

/// police.uk's `[]` for an unknown location, with [`LOCATION_NOTE_HEADER`] saying why.
fn unknown_location(location_id: &str) -> HttpResponse {
    let mut response = render::stops(&[]);
    // A header value cannot hold every character a query can: the id is shown only when it
    // is a number (the usual case: an id saved from police.uk).
    let note = match location_id.trim().parse::<u64>() {
        Ok(_) => unknown_location_message(location_id),
        Err(_) => unknown_location_message("?"),
    };
    if let Ok(value) = HeaderValue::from_str(&note) {
        response.headers_mut().insert(HeaderName::from_static(LOCATION_NOTE_HEADER), value);
    }
    response
}

/// Stop and searches with no location.
///
/// The stops of one force in a month that could not be mapped (`location` is `null`), by
/// date and time. A force that published no stops answers `[]`.
#[utoipa::path(
    tag = "stops",
    params(ForceQuery, DateQuery),
    responses(
        (status = 200, description = "Stops without a location", body = [Stop<'_>]),
        (status = 400, description = "No force given", content_type = "text/plain"),
        (status = 404, description = "Malformed date, or a date before the data this server holds", content_type = "text/plain"),
    )
)]
#[get("/stops-no-location")]
pub async fn stops_no_location(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let force = ForceQuery::from_params(&params);
    let force = force.stop_force()?.to_owned();
    let snapshot = state.current();
    let MonthChoice::Month(month) = DateQuery::from_params(&params).stop_month(&snapshot)? else {
        return Ok(render::stops(&[]));
    };
    police::answer(snapshot, &request, move |served| {
        Ok(held(&served.stops.stops_without_location(&served.index, month, &force)))
    })
    .await
}

/// Stop and searches by force.
///
/// Every stop one force reported for a month, with or without a location, by date and
/// time. An unknown force, or one that published no stops that month, answers `[]`.
#[utoipa::path(
    tag = "stops",
    params(ForceQuery, DateQuery),
    responses(
        (status = 200, description = "The force's stops", body = [Stop<'_>]),
        (status = 400, description = "No force given", content_type = "text/plain"),
        (status = 404, description = "Malformed date, or a date before the data this server holds", content_type = "text/plain"),
    )
)]
#[get("/stops-force")]
pub async fn stops_force(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let force = ForceQuery::from_params(&params);
    let force = force.stop_force()?.to_owned();
    let snapshot = state.current();
    let MonthChoice::Month(month) = DateQuery::from_params(&params).stop_month(&snapshot)? else {
        return Ok(render::stops(&[]));
    };
    police::answer(snapshot, &request, move |served| {
        Ok(held(&served.stops.stops_of_force(&served.index, month, &force)))
    })
    .await
}
