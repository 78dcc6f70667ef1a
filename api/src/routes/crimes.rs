//! Street-level crimes: `crimes-street/{category}`, `crimes-at-location`,
//! `crimes-no-location`, `crime-categories`.

use actix_web::{get, route, web, HttpRequest, HttpResponse};
use police_index::crimes::CrimeRef;
use police_index::reference::{ALL_CRIME, CRIME_CATEGORIES, CURRENT_CRIME_CATEGORY_COUNT};
use police_openapi::{AreaForm, Crime, CrimeCategory};

use crate::error::ApiError;
use crate::params::{
    AreaQuery, CategoryPath, CategoryQuery, DateQuery, ForceQuery, IgnoredDateQuery,
    LocationIdQuery, MonthChoice, NearestQuery, Params,
};
use crate::render;
use crate::render::list::police::{self, HeldCrimes};
use crate::state::AppState;

/// Snap points further than this from the asked-for place are not "nearest" (police.uk
/// zeroes crimes with no map point within 20 km).
const NEAREST_POINT_LIMIT_M: f64 = 20_000.0;

/// Street-level crimes.
///
/// Crimes within one mile of `lat`,`lng`, or inside the polygon `poly`, in one month.
/// `{category}` is a slug from `crime-categories`, or `all-crime`; an unknown slug means all
/// crime (as on police.uk). Long polygons can be sent with POST as a form
/// (`application/x-www-form-urlencoded` or `multipart/form-data`) with the same parameters.
/// More results than the server's cap (10,000 by default, as police.uk) answer 503.
#[utoipa::path(
    request_body(
        content = AreaForm,
        content_type = "application/x-www-form-urlencoded",
        description = "For POST: the parameters as a form (multipart/form-data works too); JSON is refused",
    ),
    tag = "crimes",
    params(CategoryPath, AreaQuery, DateQuery),
    responses(
        (status = 200, description = "Crimes in the area, grouped by category", body = [Crime<'_>]),
        (status = 400, description = "No location, a non-numeric lat/lng, a malformed poly, or a JSON body", content_type = "text/plain"),
        (status = 404, description = "Malformed date, or a date before the data this server holds", content_type = "text/plain"),
        (status = 503, description = "More crimes than the server's cap", content_type = "text/plain"),
    )
)]
#[route("/crimes-street/{category}", method = "GET", method = "POST")]
pub async fn crimes_street(
    state: web::Data<AppState>,
    request: HttpRequest,
    category: web::Path<CategoryPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_request(&request, &body)?;
    let area = AreaQuery::from_params(&params).area()?;
    let snapshot = state.current();
    let MonthChoice::Month(month) = DateQuery::from_params(&params).month(&snapshot)? else {
        return Ok(render::crimes(&[], &snapshot.locations));
    };
    let filter = category.filter(month);
    let cap = state.max_results();
    police::answer(snapshot, &request, move |served| {
        let crimes = served.index.crimes_in_area(month, &area, filter, cap)?;
        Ok(HeldCrimes(crimes.iter().map(CrimeRef::key).collect()))
    })
    .await
}

/// Crimes at a location.
///
/// The crimes mapped to one snap point in a month: `location_id` (the `street.id` of other
/// responses), or the snap point nearest to `lat`,`lng` (none further than 20 km away).
#[utoipa::path(
    tag = "crimes",
    params(LocationIdQuery, NearestQuery, DateQuery),
    responses(
        (status = 200, description = "Crimes at the snap point", body = [Crime<'_>]),
        (status = 400, description = "Neither location_id nor lat/lng, or a non-numeric lat/lng", content_type = "text/plain"),
        (status = 404, description = "Unknown location_id, or a malformed or too early date", content_type = "text/plain"),
    )
)]
#[get("/crimes-at-location")]
pub async fn crimes_at_location(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let point = match LocationIdQuery::from_params(&params).snap_point(&snapshot)? {
        Some(point) => Some(point),
        None => {
            let (lat, lng) = NearestQuery::from_params(&params).point()?;
            snapshot
                .index
                .nearest_point(lat, lng)
                .filter(|(_, distance)| *distance <= NEAREST_POINT_LIMIT_M)
                .map(|(point, _)| point)
        }
    };
    let MonthChoice::Month(month) = DateQuery::from_params(&params).month(&snapshot)? else {
        return Ok(render::crimes(&[], &snapshot.locations));
    };
    let crimes = match point {
        Some(point) => snapshot.index.crimes_at_point(month, point, None),
        None => Vec::new(),
    };
    Ok(render::crimes_for(&request, &crimes, &snapshot.locations))
}

/// Crimes with no location.
///
/// The crimes of one force in a month that could not be mapped (`location` is `null`).
#[utoipa::path(
    tag = "crimes",
    params(ForceQuery, CategoryQuery, DateQuery),
    responses(
        (status = 200, description = "Crimes without a location", body = [Crime<'_>]),
        (status = 400, description = "No force given", content_type = "text/plain"),
        (status = 404, description = "Unknown force, or a malformed or too early date", content_type = "text/plain"),
    )
)]
#[get("/crimes-no-location")]
pub async fn crimes_no_location(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let force = ForceQuery::from_params(&params);
    let force = force.known_force()?.to_owned();
    let snapshot = state.current();
    let MonthChoice::Month(month) = DateQuery::from_params(&params).month(&snapshot)? else {
        return Ok(render::crimes(&[], &snapshot.locations));
    };
    let filter = CategoryQuery::from_params(&params).filter(month);
    police::answer(snapshot, &request, move |served| {
        let crimes = served.index.crimes_without_location(month, &force, filter);
        Ok(HeldCrimes(crimes.iter().map(CrimeRef::key).collect()))
    })
    .await
}

/// Crime categories.
///
/// The categories police.uk publishes today, with `all-crime` first. The list does not
/// depend on `date` (as on police.uk).
#[utoipa::path(
    tag = "crimes",
    params(IgnoredDateQuery),
    responses((status = 200, description = "Every category", body = [CrimeCategory<'_>]))
)]
#[get("/crime-categories")]
pub async fn crime_categories() -> Result<HttpResponse, ApiError> {
    let categories: Vec<CrimeCategory<'_>> = std::iter::once(ALL_CRIME)
        .chain(CRIME_CATEGORIES[..CURRENT_CRIME_CATEGORY_COUNT].iter().copied())
        .map(|c| CrimeCategory { url: c.slug, name: c.name })
        .collect();
    render::json_response(&categories)
}
