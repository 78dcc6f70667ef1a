//! `/api/v2/crimes`, `/api/v2/outcomes` and `/api/v2/stops`: the crimes, outcomes or stops of an area over a period
//! as a list without police.uk's limits: any number of months, paged by an opaque cursor (or
//! streamed whole with `limit=all`), as police.uk's JSON, GeoJSON or police.uk's bulk CSV.

use std::sync::Arc;

use actix_web::{route, web, HttpRequest, HttpResponse};
use police_index::crimes::WalkPosition;
use police_index::Month;

use super::stops::StopQuestion;
use crate::error::ApiError;
use crate::params::{
    next_url, query_fingerprint, CategoriesQuery, CrimeFilterQuery, CrimeQuestion, Cursor,
    ListFormat, ListLimit, ListQuery, Params, PeriodQuery, StopPeriodQuery, V2AreaQuery,
};
use crate::render::list::{page, stream, CrimeListWalk, ListWalk, OutcomeListWalk, StopListWalk};
use crate::state::{AppState, Served};

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
    tag = "v2",
    params(V2AreaQuery, PeriodQuery, CategoriesQuery, CrimeFilterQuery, ListQuery),
    request_body(
        content = Object,
        content_type = "application/geo+json",
        description = "For POST: the area as a GeoJSON Polygon or MultiPolygon (or a Feature of one), positions [longitude, latitude], at most 10,000 vertices; no other area parameter then. Send the same body to the next page's URL",
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
    let options = ListOptions::of_request("crimes", &params, &request, &body)?;
    let CrimeQuestion { area, from, to, categories } =
        CrimeQuestion::read(&params, &request, &body, &snapshot)?;
    let filters = CrimeFilterQuery::from_params(&params);
    let (last_outcomes, has_crime_id) = (filters.last_outcomes()?, filters.has_crime_id()?);

    let index = &snapshot.index;
    let walk = CrimeListWalk {
        selection: index.select(area.scope()),
        filter: index.crime_filter(&categories, last_outcomes.as_deref(), has_crime_id),
        to,
    };
    options.answer(&snapshot, &request, (from, to), walk)
}

/// Outcomes as a list: paged, GeoJSON, CSV.
///
/// The outcomes recorded in an area over a period (by the month of the outcome, whatever
/// the month of its crime), with the same area, `from`/`to` and `category` parameters as
/// `/api/v2/outcomes/counts`, so an area means the same outcomes: a circle, polygon or
/// boundary takes the outcomes mapped inside (as `outcomes-at-location`), a force or an LSOA
/// the outcomes of its crimes, with or without a location; `category` keeps the outcomes of
/// crimes of those categories. Each outcome is police.uk's `outcomes-at-location` record
/// (`category`, `date`, `person_id`, `crime`). Ordered by month, then the snap point the
/// outcome was mapped to, then crime and outcome; outcomes without a location last in their
/// month; a month the server holds no outcomes for simply has none.
///
/// Paging, `limit=all`, cursors (410 after a new import) and formats as `/api/v2/crimes`:
/// `json` `{"outcomes": [outcome, …], "next": url|null}`; `geojson`, a `FeatureCollection`
/// of `Point` features at the outcome's own location (`null` geometry without one) with the
/// outcome record as `properties`; `csv`, police.uk's bulk outcomes columns (`Crime
/// ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome
/// type`; see COMPATIBILITY.md for what differs).
#[utoipa::path(
    tag = "v2",
    params(V2AreaQuery, PeriodQuery, CategoriesQuery, ListQuery),
    request_body(
        content = Object,
        content_type = "application/geo+json",
        description = "For POST: the area as a GeoJSON Polygon or MultiPolygon (or a Feature of one), positions [longitude, latitude], at most 10,000 vertices; no other area parameter then. Send the same body to the next page's URL",
        example = json!({"type": "Polygon", "coordinates": [[[-1.14, 52.62], [-1.12, 52.62], [-1.12, 52.64], [-1.14, 52.64], [-1.14, 52.62]]]}),
    ),
    responses(
        (status = 200, description = "A page of outcomes (or all of them with limit=all); the next page's URL in `Link: <…>; rel=\"next\"`",
            content(
                (police_openapi::OutcomeList<'_> = "application/json"),
                (Object = "application/geo+json", example = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-0.077596, 51.515849]}, "properties": {"category": {"code": "cautioned", "name": "Offender given a caution"}, "date": "2016-01", "person_id": null, "crime": {"category": "violent-crime", "persistent_id": "9a0874c4253249e9b19acf901553a1b2b283306a7d4e8e12ad5970d6d51a1812", "location_subtype": "", "location_type": "Force", "location": {"latitude": "51.515849", "street": {"id": 1738421, "name": "On or near Artizan Street"}, "longitude": "-0.077596"}, "context": "", "month": "2015-12", "id": 46452011}}}], "next": null})),
                (String = "text/csv", example = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type\r\n9a0874c4253249e9b19acf901553a1b2b283306a7d4e8e12ad5970d6d51a1812,2016-01,City of London Police,City of London Police,-0.077596,51.515849,On or near Artizan Street,E01000005,City of London 001E,Offender given a caution\r\n"),
            )
        ),
        (status = 400, description = "A malformed or conflicting area, period, category, limit or format; a damaged cursor, or one made for other parameters", content_type = "text/plain"),
        (status = 404, description = "Unknown force, neighbourhood or LSOA code, or no crime data at all and no `to`", content_type = "text/plain"),
        (status = 406, description = "No format given and `Accept` accepts none of application/json, application/geo+json, text/csv", content_type = "text/plain"),
        (status = 410, description = "The cursor was made before the data changed (a new import): start again without it", content_type = "text/plain"),
    )
)]
#[route("/outcomes", method = "GET", method = "POST")]
pub async fn outcome_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let options = ListOptions::of_request("outcomes", &params, &request, &body)?;
    let CrimeQuestion { area, from, to, categories } =
        CrimeQuestion::read(&params, &request, &body, &snapshot)?;

    let index = &snapshot.index;
    let walk = OutcomeListWalk {
        selection: index.select(area.scope()),
        filter: index.crime_filter(&categories, None, None),
        to,
    };
    options.answer(&snapshot, &request, (from, to), walk)
}

/// Stop and search as a list: paged, GeoJSON, CSV.
///
/// The stops and searches of an area over a period, with the same area and `from`/`to`
/// parameters as `/api/v2/stops/counts`, so an area means the same stops: a circle, polygon
/// or boundary takes the stops mapped inside (as `stops-street`), a force its stops with or
/// without a location, no area every stop held; `lsoa` is a 400 (police.uk's
/// stop-and-search files give no LSOA). `from` and `to` default to the year up to the latest
/// month with stop-and-search data. Each stop is police.uk's `stops-street` record. Ordered
/// by month, then snap point, then force, time and the other fields; stops without a
/// location last in their month; a month the server holds no stops for simply has none.
///
/// Paging, `limit=all`, cursors (410 after a new import) and formats as `/api/v2/crimes`:
/// `json` `{"stops": [stop, …], "next": url|null}`; `geojson`, a `FeatureCollection` of
/// `Point` features at the stop's location (`null` geometry without one) with the stop
/// record as `properties`; `csv`, police.uk's bulk stop-and-search columns (`Type,Date,Part
/// of a policing operation,Policing operation,Latitude,Longitude,Gender,Age
/// range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of
/// search,Outcome,Outcome linked to object of search,Removal of more than just outer
/// clothing`, booleans `True`/`False`/empty; see COMPATIBILITY.md for what differs).
#[utoipa::path(
    tag = "v2",
    params(V2AreaQuery, StopPeriodQuery, ListQuery),
    request_body(
        content = Object,
        content_type = "application/geo+json",
        description = "For POST: the area as a GeoJSON Polygon or MultiPolygon (or a Feature of one), positions [longitude, latitude], at most 10,000 vertices; no other area parameter then. Send the same body to the next page's URL",
        example = json!({"type": "Polygon", "coordinates": [[[-0.10, 51.51], [-0.08, 51.51], [-0.08, 51.52], [-0.10, 51.52], [-0.10, 51.51]]]}),
    ),
    responses(
        (status = 200, description = "A page of stops (or all of them with limit=all); the next page's URL in `Link: <…>; rel=\"next\"`",
            content(
                (police_openapi::StopList<'_> = "application/json"),
                (Object = "application/geo+json", example = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [-0.086667, 51.513519]}, "properties": {"age_range": "18-24", "officer_defined_ethnicity": "White", "involved_person": true, "self_defined_ethnicity": "White - English/Welsh/Scottish/Northern Irish/British", "gender": "Male", "legislation": "Misuse of Drugs Act 1971 (section 23)", "outcome_linked_to_object_of_search": false, "datetime": "2024-01-07T01:37:39+00:00", "outcome_object": {"id": "bu-no-further-action", "name": "A no further action disposal"}, "location": {"latitude": "51.513519", "street": {"id": 1738489, "name": "On or near Nightclub"}, "longitude": "-0.086667"}, "object_of_search": "Controlled drugs", "operation": false, "outcome": "A no further action disposal", "type": "Person search", "operation_name": null, "removal_of_more_than_outer_clothing": false}}], "next": null})),
                (String = "text/csv", example = "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,Outcome linked to object of search,Removal of more than just outer clothing\r\nPerson search,2024-01-07T01:37:39+00:00,False,,51.513519,-0.086667,Male,18-24,White - English/Welsh/Scottish/Northern Irish/British,White,Misuse of Drugs Act 1971 (section 23),Controlled drugs,A no further action disposal,False,False\r\n"),
            )
        ),
        (status = 400, description = "A malformed or conflicting area, `lsoa`, a malformed period, limit or format; a damaged cursor, or one made for other parameters", content_type = "text/plain"),
        (status = 404, description = "Unknown force or neighbourhood, or no stop-and-search data at all and no `to`", content_type = "text/plain"),
        (status = 406, description = "No format given and `Accept` accepts none of application/json, application/geo+json, text/csv", content_type = "text/plain"),
        (status = 410, description = "The cursor was made before the data changed (a new import): start again without it", content_type = "text/plain"),
    )
)]
#[route("/stops", method = "GET", method = "POST")]
pub async fn stop_list(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let StopQuestion { area, from, to, .. } =
        StopQuestion::read(&params, &request, &body, &snapshot)?;
    let options = ListOptions::of_request("stops", &params, &request, &body)?;
    let selection = snapshot
        .stops
        .select(&snapshot.index, area.scope())
        .ok_or_else(|| ApiError::BadRequest(super::stops::LSOA_REFUSED.into()))?;
    options.answer(&snapshot, &request, (from, to), StopListWalk { selection, to })
}

/// What every list route reads the same way: the format, the limit, the cursor and the
/// query's fingerprint.
struct ListOptions {
    format: ListFormat,
    limit: ListLimit,
    cursor: Option<Cursor>,
    fingerprint: u64,
}

impl ListOptions {
    /// `format` (else `Accept`), `limit` and `cursor` of a request to list route `route`
    /// (`crimes`, …: a cursor is only good for the route it was made by).
    fn of_request(
        route: &str,
        params: &Params,
        request: &HttpRequest,
        body: &[u8],
    ) -> Result<ListOptions, ApiError> {
        let list = ListQuery::from_params(params);
        Ok(ListOptions {
            format: list.format(request)?,
            limit: list.limit()?,
            cursor: list.cursor()?,
            fingerprint: query_fingerprint(route, params, body),
        })
    }

    /// The answer: `walk`'s records from the cursor's position (checked against this
    /// snapshot, query and `period`) or from the start of the period, as a page or streamed.
    fn answer<W: ListWalk<Position = WalkPosition> + Unpin>(
        self,
        snapshot: &Arc<Served>,
        request: &HttpRequest,
        period: (Month, Month),
        walk: W,
    ) -> Result<HttpResponse, ApiError> {
        let fingerprint = self.fingerprint;
        let at = match &self.cursor {
            Some(cursor) => cursor.resume(&snapshot.version, fingerprint, period)?,
            None => WalkPosition::start_of(period.0),
        };
        Ok(match self.limit {
            ListLimit::All => stream(snapshot.clone(), walk, self.format, at),
            ListLimit::Page(limit) => page(snapshot, &walk, self.format, at, limit, |next| {
                let cursor = Cursor { version: snapshot.version.clone(), fingerprint, at: next };
                next_url(request, &cursor.encode())
            }),
        })
    }
}
