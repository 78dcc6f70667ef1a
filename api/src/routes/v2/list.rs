//! `/api/v2/crimes`: the crimes of an area over a period as a list without police.uk's
//! limits: any number of months, paged by an opaque cursor (or streamed whole with
//! `limit=all`), as police.uk's JSON, GeoJSON or police.uk's bulk CSV.

use actix_web::{route, web, HttpRequest, HttpResponse};
use police_index::crimes::WalkPosition;

use crate::error::ApiError;
use crate::params::{
    next_url, query_fingerprint, CategoriesQuery, CrimeFilterQuery, Cursor, ListLimit, ListQuery,
    Params, PeriodQuery, V2AreaQuery,
};
use crate::render::list::{page, stream, CrimeListWalk};
use crate::state::AppState;

/// Crimes as a list: paged, GeoJSON, CSV.
///
/// The crimes of an area over a period (the same area, `from`/`to` and `category`
/// parameters as `/api/v2/crimes/counts`, so an area means the same crimes), in police.uk's
/// shape, without police.uk's limits of one month and 10,000 crimes. Ordered by month, then
/// snap point, then force and id, crimes without a location last in their month; a month
/// the server does not hold simply has none.
///
/// Filters: `last_outcome` (outcome codes, `none`, `other`) and `has_crime_id`. Pages hold
/// `limit` crimes (default 1000, at most 10000); the next page's URL is the answer's `next`
/// (JSON and GeoJSON) and its `Link: <…>; rel="next"` header (every format), `null` / absent
/// on the last page. With POST (a GeoJSON area in the body), POST the same body to the next
/// URL. A cursor made before the data changed answers 410: start again. `limit=all` streams
/// every crime in one chunked answer, no paging.
///
/// Formats (`format`, else `Accept`): `json` `{"crimes": [crime, …], "next": url|null}`;
/// `geojson`, a `FeatureCollection` of `Point` features (`[longitude, latitude]` as numbers,
/// `null` geometry without a location) with police.uk's crime object as `properties` and a
/// top-level `next`; `csv`, police.uk's bulk street columns (`Crime ID,Month,Reported by,Falls
/// within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome
/// category,Context`; see COMPATIBILITY.md for what differs).
#[utoipa::path(
    method(get, post),
    tag = "v2",
    params(V2AreaQuery, PeriodQuery, CategoriesQuery, CrimeFilterQuery, ListQuery),
    request_body(
        content = Object,
        content_type = "application/geo+json",
        description = "For POST: the area as a GeoJSON Polygon or MultiPolygon (or a Feature of one), positions [longitude, latitude], at most 100,000 vertices; no other area parameter then. Send the same body to the next page's URL",
        example = json!({"type": "Polygon", "coordinates": [[[-1.14, 52.62], [-1.12, 52.62], [-1.12, 52.64], [-1.14, 52.64], [-1.14, 52.62]]]}),
    ),
    responses(
        (status = 200, description = "A page of crimes (or all of them with limit=all); the next page's URL in `Link: <…>; rel=\"next\"`",
            content(
                (police_openapi::CrimeList<'_> = "application/json"),
                (Object = "application/geo+json", example = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-0.111497, 51.518226]}, "properties": {"category": "anti-social-behaviour", "persistent_id": "", "location_subtype": "", "id": 116208998, "location": {"latitude": "51.518226", "street": {"id": 1738423, "name": "On or near Pedestrian Subway"}, "longitude": "-0.111497"}, "context": "", "month": "2016-01", "location_type": "Force", "outcome_status": null}}], "next": null})),
                (String = "text/csv", example = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\r\n,2016-01,City of London Police,City of London Police,-0.111497,51.518226,On or near Pedestrian Subway,E01000914,Camden 028B,Anti-social behaviour,,\r\n"),
            )
        ),
        (status = 400, description = "A malformed or conflicting area, period, category, last_outcome, has_crime_id, limit or format; a damaged cursor, or one made for other parameters", content_type = "text/plain"),
        (status = 404, description = "Unknown force, neighbourhood or LSOA code, or no crime data at all and no `to`", content_type = "text/plain"),
        (status = 406, description = "No format given and `Accept` accepts none of application/json, application/geo+json, text/csv", content_type = "text/plain"),
        (status = 410, description = "The cursor was made before the data changed (a new import): start again without it", content_type = "text/plain"),
    )
)]
#[route("/crimes", method = "GET", method = "POST")]
pub async fn crime_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let list = ListQuery::from_params(&params);
    let format = list.format(&request)?;
    let limit = list.limit()?;
    let cursor = list.cursor()?;
    let area = V2AreaQuery::from_params(&params).area_of_request(&request, &body, &snapshot)?;
    let latest = snapshot.index.crime_months().last();
    let (from, to) = PeriodQuery::from_params(&params).period(latest)?;
    let categories = CategoriesQuery::from_params(&params).categories()?;
    let filters = CrimeFilterQuery::from_params(&params);
    let (last_outcomes, has_crime_id) = (filters.last_outcomes()?, filters.has_crime_id()?);

    let fingerprint = query_fingerprint(&params, &body);
    let at = match &cursor {
        Some(cursor) => cursor.resume(&snapshot.version, fingerprint, (from, to))?,
        None => WalkPosition::start_of(from),
    };
    let index = &snapshot.index;
    let walk = CrimeListWalk {
        selection: index.select(area.scope()),
        filter: index.crime_filter(&categories, last_outcomes.as_deref(), has_crime_id),
        to,
    };
    Ok(match limit {
        ListLimit::All => stream(snapshot.clone(), walk, format, at),
        ListLimit::Page(limit) => page(&snapshot, &walk, format, at, limit, |next| {
            let cursor = Cursor { version: snapshot.version.clone(), fingerprint, at: next };
            next_url(&request, &cursor.encode())
        }),
    })
}
