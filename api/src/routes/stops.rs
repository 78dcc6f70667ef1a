//! Stop and search: `stops-street`, `stops-at-location`, `stops-no-location`, `stops-force`.
//!
//! Stops are answered from the snapshot's stop index, placed on the same snap points as
//! crimes. Unlike the crime routes, an unknown force or location answers `[]` (as police.uk
//! does for `stops-force` and `stops-at-location`), and `stops-street` has no result cap
//! (police.uk documents none).

use actix_web::{get, route, web, HttpRequest, HttpResponse};
use police_index::Month;
use police_openapi::{AreaForm, Stop};
use police_store::snapshot::Snapshot;

use crate::error::ApiError;
use crate::params::{self, MonthChoice, Params};
use crate::render;
use crate::routes::crimes::request_params;
use crate::server::AppState;

/// `date` for the stop routes. As for crimes, it defaults to the latest month with crime
/// data, a malformed date or one before the earliest month held is 404, and a month after
/// the data is `[]`; but a month with stops and no crime data is served, and a store that
/// holds stops but no crimes defaults to its latest month of stops (see COMPATIBILITY.md).
fn month(params: &Params, snapshot: &Snapshot) -> Result<MonthChoice, ApiError> {
    let latest_stops = snapshot.stops.latest_month();
    let Some(default) = snapshot.latest_crime_month.or(latest_stops) else {
        return Ok(MonthChoice::Nothing);
    };
    let latest = latest_stops.map_or(default, |stops| stops.max(default));
    let text = match params.get("date") {
        None | Some("") => return Ok(MonthChoice::Month(default)),
        Some(text) => text,
    };
    let month: Month = text.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "date must be a month written YYYY-MM, e.g. {default}; got {text:?}"
        ))
    })?;
    let earliest = snapshot.months.last().map_or(default, |m| m.month);
    if month < earliest {
        return Err(ApiError::NotFound(format!(
            "no data before {earliest}: this server holds {earliest} to {latest}"
        )));
    }
    Ok(if month > latest { MonthChoice::Nothing } else { MonthChoice::Month(month) })
}

/// The `force` parameter (400 when missing or empty).
fn force(params: &Params) -> Result<&str, ApiError> {
    params
        .get("force")
        .filter(|force| !force.is_empty())
        .ok_or_else(|| ApiError::BadRequest("missing force, e.g. force=metropolitan".into()))
}

/// Stop and searches by area.
///
/// Stops within one mile of `lat`,`lng`, or inside the polygon `poly`, in one month, by
/// date and time. Long polygons can be sent with POST as a form
/// (`application/x-www-form-urlencoded` or `multipart/form-data`) with the same parameters.
/// There is no cap on the number of results (police.uk documents none).
#[utoipa::path(
    method(get, post),
    request_body(
        content = AreaForm,
        content_type = "application/x-www-form-urlencoded",
        description = "For POST: the parameters as a form (multipart/form-data works too); JSON is refused",
    ),
    tag = "stops",
    params(
        ("lat" = Option<f64>, Query, description = "Latitude of the centre of a one-mile circle", example = 52.629729),
        ("lng" = Option<f64>, Query, description = "Longitude of the centre of a one-mile circle", example = -1.131592),
        ("poly" = Option<String>, Query, description = "Polygon `lat,lng:lat,lng:…` (closed automatically); used instead of lat/lng"),
        ("date" = Option<String>, Query, description = "Month `YYYY-MM`; default the latest month"),
    ),
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
    let params = request_params(&request, &body)?;
    let area = params::area(&params)?;
    let snapshot = state.current();
    let MonthChoice::Month(month) = month(&params, &snapshot)? else {
        return Ok(render::stops(&[]));
    };
    Ok(render::stops(&snapshot.stops.stops_in_area(&snapshot.index, month, &area)))
}

/// Stop and searches at a location.
///
/// The stops mapped to one snap point (`location_id`, the `street.id` of other responses)
/// in a month, by date and time. An unknown location answers `[]`, as on police.uk.
#[utoipa::path(
    tag = "stops",
    params(
        ("location_id" = i64, Query, description = "Snap point id", example = 1738842),
        ("date" = Option<String>, Query, description = "Month `YYYY-MM`; default the latest month"),
    ),
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
    let location_id = params.get("location_id").filter(|id| !id.is_empty()).ok_or_else(|| {
        ApiError::BadRequest("missing location_id, e.g. location_id=1738842".into())
    })?;
    let snapshot = state.current();
    let MonthChoice::Month(month) = month(&params, &snapshot)? else {
        return Ok(render::stops(&[]));
    };
    let stops = params::snap_point(location_id, &snapshot)
        .map(|point| snapshot.stops.stops_at_point(&snapshot.index, month, point))
        .unwrap_or_default();
    Ok(render::stops(&stops))
}

/// Stop and searches with no location.
///
/// The stops of one force in a month that could not be mapped (`location` is `null`), by
/// date and time. A force that published no stops answers `[]`.
#[utoipa::path(
    tag = "stops",
    params(
        ("force" = String, Query, description = "Force id, e.g. `metropolitan` (`btp` works too)"),
        ("date" = Option<String>, Query, description = "Month `YYYY-MM`; default the latest month"),
    ),
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
    let force = force(&params)?;
    let snapshot = state.current();
    let MonthChoice::Month(month) = month(&params, &snapshot)? else {
        return Ok(render::stops(&[]));
    };
    Ok(render::stops(&snapshot.stops.stops_without_location(&snapshot.index, month, force)))
}

/// Stop and searches by force.
///
/// Every stop one force reported for a month, with or without a location, by date and
/// time. An unknown force, or one that published no stops that month, answers `[]`.
#[utoipa::path(
    tag = "stops",
    params(
        ("force" = String, Query, description = "Force id, e.g. `metropolitan` (`btp` works too)"),
        ("date" = Option<String>, Query, description = "Month `YYYY-MM`; default the latest month"),
    ),
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
    let force = force(&params)?;
    let snapshot = state.current();
    let MonthChoice::Month(month) = month(&params, &snapshot)? else {
        return Ok(render::stops(&[]));
    };
    Ok(render::stops(&snapshot.stops.stops_of_force(&snapshot.index, month, force)))
}
