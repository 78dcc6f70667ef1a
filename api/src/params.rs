//! Request parameters as police.uk reads them: from the query string, or for the area
//! routes' POST form also from the body; turned into domain values, or into the status
//! police.uk gives for that mistake.
//!
//! Each group of parameters is one struct deriving [`utoipa::IntoParams`]: the doc comment
//! and `#[param]` attributes of a field are that parameter's documentation (a route lists the
//! struct in `#[utoipa::path(params(…))]`), and the struct's methods parse it, so every
//! parameter is documented and read in one place. Routes compose the groups they take, e.g.
//! `params(CategoryPath, AreaQuery, DateQuery)`; later routes (`/api/v2/`) can reuse them
//! and add their own (ranges of months, a radius).
//!
//! Query fields hold the text as sent (`value_type` documents what it is read as): police.uk
//! reads parameters leniently and only when a route needs them, in the route's order, so the
//! first mistake decides the answer (e.g. `lat` is not looked at when `location_id` is
//! given); typed extraction by serde would reject more and in another order. The text is
//! taken from [`Params`], where the body of a POST overrides the query and the last value of
//! a repeated key counts.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::Method;
use actix_web::HttpRequest;
use police_index::crimes::{CountScope, CATEGORY_COUNT};
use police_index::reference::{
    category_group, crime_category_code_for_slug, force_by_id, ALL_CRIME,
};
use police_index::spatial::{is_valid_coordinate, parse_poly, Area, Polygon, ONE_MILE_M};
use police_index::Month;
use police_openapi::AreaEcho;
use police_store::snapshot::Snapshot;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::IntoParams;

use crate::error::ApiError;

mod download;
#[cfg(test)]
mod fuzz;
mod geojson;
mod list;
mod stops;

pub use download::DownloadQuery;
pub use geojson::geojson_area;
pub use list::{
    next_url, query_fingerprint, CrimeFilterQuery, Cursor, ListFormat, ListLimit, ListQuery,
    DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT,
};
pub use stops::{StopGroupingQuery, StopPeriodQuery};

/// The parameters of one request; when a key repeats, the last value counts.
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The parameters of a GET (its query string), or of a POST (its query string and
    /// form body, see [`Params::from_query_and_body`]).
    pub fn from_request(request: &HttpRequest, body: &[u8]) -> Result<Params, ApiError> {
        if request.method() == Method::POST {
            Params::from_query_and_body(request, body)
        } else {
            Params::from_query(request)
        }
    }

    /// The query string's parameters.
    pub fn from_query(request: &HttpRequest) -> Result<Params, ApiError> {
        let pairs = serde_urlencoded::from_str(request.query_string())
            .map_err(|e| ApiError::BadRequest(format!("unreadable query string: {e}")))?;
        Ok(Params { pairs })
    }

    /// The query string's parameters followed by the body's (which win). The body may be
    /// `application/x-www-form-urlencoded` (or untyped, read the same way) or
    /// `multipart/form-data`; a JSON body is refused, as police.uk does.
    pub fn from_query_and_body(request: &HttpRequest, body: &[u8]) -> Result<Params, ApiError> {
        let mut params = Params::from_query(request)?;
        let content_type =
            request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        // Media types are case-insensitive; the multipart boundary is not.
        let media_type = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if media_type == "application/json" {
            return Err(ApiError::BadRequest(
                "JSON bodies are not accepted: send the parameters as a form \
                 (application/x-www-form-urlencoded), e.g. poly=52.268,0.543:52.794,0.238:52.130,0.478&date=2024-01"
                    .into(),
            ));
        }
        if media_type == "multipart/form-data" {
            params.pairs.extend(multipart_fields(content_type, body)?);
        } else if !body.is_empty() {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
                .map_err(|e| ApiError::BadRequest(format!("unreadable form body: {e}")))?;
            params.pairs.extend(pairs);
        }
        Ok(params)
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in the order given.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    /// The value of `key`, if given, as an owned string.
    fn text(&self, key: &str) -> Option<String> {
        self.get(key).map(str::to_owned)
    }
}

/// The text fields of a `multipart/form-data` body.
fn multipart_fields(content_type: &str, body: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let bad = |why: &str| ApiError::BadRequest(format!("unreadable multipart body: {why}"));
    let boundary = content_type
        .split(';')
        .skip(1)
        .find_map(|part| {
            let (key, value) = part.trim().split_once('=')?;
            key.eq_ignore_ascii_case("boundary").then_some(value)
        })
        .map(|b| b.trim_matches('"'))
        .ok_or_else(|| bad("no boundary"))?;
    let body = std::str::from_utf8(body).map_err(|_| bad("not UTF-8 text"))?;
    let delimiter = format!("--{boundary}");
    let mut fields = Vec::new();
    for part in body.split(delimiter.as_str()).skip(1) {
        if part.starts_with("--") {
            break;
        }
        let part = part.strip_prefix("\r\n").unwrap_or(part);
        let (head, value) =
            part.split_once("\r\n\r\n").ok_or_else(|| bad("a part has no headers"))?;
        let name = head
            .split("\r\n")
            .filter(|line| line.to_ascii_lowercase().starts_with("content-disposition"))
            .flat_map(|line| line.split(';'))
            .find_map(|attr| attr.trim().strip_prefix("name="))
            .map(|n| n.trim_matches('"').to_owned())
            .ok_or_else(|| bad("a part has no name"))?;
        fields.push((name, value.strip_suffix("\r\n").unwrap_or(value).to_owned()));
    }
    Ok(fields)
}

// ---------------------------------------------------------------------------------------------
// Places: an area, a point, a snap point.

/// `lat`, `lng` and `poly` of the area routes (`crimes-street`, `outcomes-at-location`,
/// `stops-street`): a polygon, or a circle around a point.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AreaQuery {
    /// Latitude of the centre of a one-mile circle
    #[param(value_type = Option<f64>, example = 52.629729)]
    lat: Option<String>,
    /// Longitude of the centre of a one-mile circle
    #[param(value_type = Option<f64>, example = -1.131592)]
    lng: Option<String>,
    /// Polygon `lat,lng:lat,lng:…` (closed automatically); used instead of lat/lng
    poly: Option<String>,
}

impl AreaQuery {
    /// The area parameters among `params`.
    pub fn from_params(params: &Params) -> Self {
        AreaQuery { lat: params.text("lat"), lng: params.text("lng"), poly: params.text("poly") }
    }

    /// `poly`, else a one-mile circle around `lat`,`lng` (400 when neither is usable).
    pub fn area(&self) -> Result<Area, ApiError> {
        self.area_with_radius(ONE_MILE_M)
    }

    /// `poly`, else a circle of `radius_m` metres around `lat`,`lng`; `poly` wins when both
    /// are given. 400 for a malformed polygon, no location at all, or an unreadable point.
    pub fn area_with_radius(&self, radius_m: f64) -> Result<Area, ApiError> {
        if let Some(poly) = &self.poly {
            return limited_poly(poly).map(Area::Polygon).map_err(ApiError::BadRequest);
        }
        if self.lat.is_none() && self.lng.is_none() {
            return Err(ApiError::BadRequest(
                "no location given: use lat and lng (a one-mile radius) or poly=lat,lng:lat,lng:lat,lng".into(),
            ));
        }
        let (lat, lng) = point(self.lat.as_deref(), self.lng.as_deref())?;
        Ok(Area::Circle { lat, lng, radius_m })
    }
}

/// The most points a `poly` may have, and a GeoJSON area over all its rings. police.uk's
/// largest neighbourhood boundary has 2,079 vertices, and its request lines stop near 200; a
/// form body of this many fits in the 256 KiB body limit. The work of an area query is about
/// linear in its vertices (parsing and the edge grid: about 3 ms at this limit).
pub const MAX_AREA_VERTICES: usize = 10_000;

/// `poly` parsed ([`parse_poly`]), refused before any number is read when it has more than
/// [`MAX_AREA_VERTICES`] points. The error is the message for a 400.
fn limited_poly(text: &str) -> Result<Polygon, String> {
    let points = text.bytes().filter(|&b| b == b':').count() + 1;
    if points > MAX_AREA_VERTICES {
        return Err(format!(
            "poly has {points} points, more than the {MAX_AREA_VERTICES} this server accepts: \
             simplify the polygon (fewer points along its straighter stretches) or split it"
        ));
    }
    parse_poly(text).map_err(|e| e.to_string())
}

/// `lat` and `lng` of `crimes-at-location`: a point whose nearest snap point is meant.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearestQuery {
    /// Latitude; the nearest snap point is used
    #[param(value_type = Option<f64>)]
    lat: Option<String>,
    /// Longitude; the nearest snap point is used
    #[param(value_type = Option<f64>)]
    lng: Option<String>,
}

impl NearestQuery {
    /// The point parameters among `params`.
    pub fn from_params(params: &Params) -> Self {
        NearestQuery { lat: params.text("lat"), lng: params.text("lng") }
    }

    /// `(lat, lng)`, clamped to the globe (400 when either is missing or not a number).
    pub fn point(&self) -> Result<(f64, f64), ApiError> {
        point(self.lat.as_deref(), self.lng.as_deref())
    }
}

/// A point from `lat` and `lng` (400 when either is missing or not a number).
fn point(lat: Option<&str>, lng: Option<&str>) -> Result<(f64, f64), ApiError> {
    Ok((coordinate(lat, "lat", 90.0)?, coordinate(lng, "lng", 180.0)?))
}

fn coordinate(text: Option<&str>, key: &str, limit: f64) -> Result<f64, ApiError> {
    let text = text
        .ok_or_else(|| ApiError::BadRequest(format!("missing {key}: give lat and lng, or poly")))?;
    let value: f64 = text.trim().parse().map_err(|_| {
        ApiError::BadRequest(format!("{key} must be a number in degrees, got {text:?}"))
    })?;
    if !value.is_finite() {
        return Err(ApiError::BadRequest(format!("{key} must be a finite number, got {text:?}")));
    }
    // Out-of-range points are simply outside coverage (police.uk answers `[]`).
    Ok(value.clamp(-limit, limit))
}

/// An optional `location_id` (`crimes-at-location`, `outcomes-at-location`): a snap point
/// instead of coordinates; an unknown one is 404.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationIdQuery {
    /// Snap point id
    #[param(value_type = Option<i64>, example = 1738842)]
    location_id: Option<String>,
}

impl LocationIdQuery {
    /// `location_id` among `params`.
    pub fn from_params(params: &Params) -> Self {
        LocationIdQuery { location_id: params.text("location_id") }
    }

    /// The snap point `location_id` names; `None` when no `location_id` is given, 404 when
    /// it is not a snap point of this snapshot (with [`unknown_location_message`]).
    pub fn snap_point(&self, snapshot: &Snapshot) -> Result<Option<u32>, ApiError> {
        let Some(location_id) = &self.location_id else { return Ok(None) };
        snap_point(location_id, snapshot)
            .map(Some)
            .ok_or_else(|| ApiError::NotFound(unknown_location_message(location_id)))
    }
}

/// A `limit` parameter: `default` when absent, else a whole number from 1 to `max`; anything
/// else is a 400 saying so.
pub fn limit_from(text: Option<&str>, default: usize, max: usize) -> Result<usize, ApiError> {
    let Some(text) = text else { return Ok(default) };
    text.trim().parse::<usize>().ok().filter(|limit| (1..=max).contains(limit)).ok_or_else(|| {
        ApiError::BadRequest(format!("limit must be a whole number from 1 to {max}, got {text:?}"))
    })
}

/// Why a `location_id` names no snap point here. The usual cause is an id saved from
/// police.uk: its `street.id`s are not in the bulk files this server imports, so this
/// server numbers the snap points itself and police.uk's ids do not match them.
pub fn unknown_location_message(location_id: &str) -> String {
    let trimmed = location_id.trim();
    if trimmed.parse::<u64>().is_err() {
        return format!(
            "no location with id {location_id:?}: location_id is a snap point's number (the \
             street.id of other answers)"
        );
    }
    format!(
        "no location with id {trimmed} in this server: location ids (street.id) are this \
         server's own, numbered on import, because police.uk's ids are not in its bulk \
         files, so an id saved from data.police.uk does not match. Ask by place instead: \
         crimes-at-location?lat=<lat>&lng=<lng> answers the nearest snap point, with this \
         server's street.id"
    )
}

/// The required `location_id` of `stops-at-location`, where an unknown snap point is not an
/// error (police.uk answers `[]`).
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StopLocationQuery {
    /// Snap point id
    #[param(value_type = i64, example = 1738842)]
    location_id: Option<String>,
}

impl StopLocationQuery {
    /// `location_id` among `params`.
    pub fn from_params(params: &Params) -> Self {
        StopLocationQuery { location_id: params.text("location_id") }
    }

    /// The snap point `location_id` names, `None` when this snapshot has no such snap point;
    /// 400 when `location_id` is missing or empty.
    pub fn snap_point(&self, snapshot: &Snapshot) -> Result<Option<u32>, ApiError> {
        let location_id =
            self.location_id.as_deref().filter(|id| !id.is_empty()).ok_or_else(|| {
                ApiError::BadRequest("missing location_id, e.g. location_id=1738842".into())
            })?;
        Ok(snap_point(location_id, snapshot))
    }

    /// The `location_id` as given (`""` when missing).
    pub fn location_id(&self) -> &str {
        self.location_id.as_deref().unwrap_or_default()
    }
}

/// The snap point a `location_id` names, if it is a number this snapshot knows.
fn snap_point(location_id: &str, snapshot: &Snapshot) -> Option<u32> {
    location_id.trim().parse().ok().and_then(|id| snapshot.index.point_by_id(id))
}

/// The `q=lat,lng` of `locate-neighbourhood`.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocateQuery {
    /// `lat,lng`
    #[param(value_type = String, example = "51.500617,-0.124629")]
    q: Option<String>,
}

impl LocateQuery {
    /// `q` among `params`.
    pub fn from_params(params: &Params) -> Self {
        LocateQuery { q: params.text("q") }
    }

    /// `(lat, lng)`; police.uk's bare 404 when `q` is missing, malformed or off the globe.
    pub fn point(&self) -> Result<(f64, f64), ApiError> {
        self.q.as_deref().and_then(parse_q).ok_or(ApiError::RouteNotFound)
    }
}

/// `lat,lng` as `locate-neighbourhood` takes it.
fn parse_q(q: &str) -> Option<(f64, f64)> {
    let (lat, lng) = q.split_once(',')?;
    let number = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
    let (lat, lng) = (number(lat)?, number(lng)?);
    is_valid_coordinate(lat, lng).then_some((lat, lng))
}

// ---------------------------------------------------------------------------------------------
// Months.

/// Which month a request asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthChoice {
    /// A month within the data this server holds.
    Month(Month),
    /// A month after the latest one (police.uk answers `[]`), or a store without data.
    Nothing,
}

/// `date`: the month a route answers for.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DateQuery {
    /// Month `YYYY-MM`; default the latest month
    date: Option<String>,
}

impl DateQuery {
    /// `date` among `params`.
    pub fn from_params(params: &Params) -> Self {
        DateQuery { date: params.text("date") }
    }

    /// `YYYY-MM`, defaulting to the latest month with crime data. Malformed, or before the
    /// earliest month held: 404 (as police.uk, for dates before its 36-month window).
    pub fn month(&self, snapshot: &Snapshot) -> Result<MonthChoice, ApiError> {
        let Some(latest) = snapshot.latest_crime_month else { return Ok(MonthChoice::Nothing) };
        self.choose(snapshot, latest, latest)
    }

    /// `date` for the stop routes. As for crimes, it defaults to the latest month with crime
    /// data, a malformed date or one before the earliest month held is 404, and a month after
    /// the data is `[]`; but a month with stops and no crime data is served, and a store that
    /// holds stops but no crimes defaults to its latest month of stops (see COMPATIBILITY.md).
    pub fn stop_month(&self, snapshot: &Snapshot) -> Result<MonthChoice, ApiError> {
        let latest_stops = snapshot.stops.latest_month();
        let Some(default) = snapshot.latest_crime_month.or(latest_stops) else {
            return Ok(MonthChoice::Nothing);
        };
        let latest = latest_stops.map_or(default, |stops| stops.max(default));
        self.choose(snapshot, default, latest)
    }

    /// The month `date` names: `default` when absent or empty; 404 when malformed or before
    /// the earliest month held; [`MonthChoice::Nothing`] after `latest`.
    fn choose(
        &self,
        snapshot: &Snapshot,
        default: Month,
        latest: Month,
    ) -> Result<MonthChoice, ApiError> {
        let text = match self.date.as_deref() {
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
}

/// The `date` of `crime-categories`, which police.uk accepts and ignores.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IgnoredDateQuery {
    /// Accepted and ignored, as on police.uk
    pub date: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Forces and categories.

/// The required `force` of `crimes-no-location`, `stops-no-location` and `stops-force`.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForceQuery {
    /// Force id, e.g. `leicestershire` (`btp` works too)
    #[param(value_type = String)]
    force: Option<String>,
}

impl ForceQuery {
    /// `force` among `params`.
    pub fn from_params(params: &Params) -> Self {
        ForceQuery { force: params.text("force") }
    }

    /// A force police.uk knows (or `btp`), for the crime routes: 400 when `force` is missing,
    /// 404 when it names no force (an empty one included).
    pub fn known_force(&self) -> Result<&str, ApiError> {
        let force = self.force.as_deref().ok_or_else(|| {
            ApiError::BadRequest("missing force, e.g. force=leicestershire".into())
        })?;
        if force_by_id(force).is_none() {
            return Err(ApiError::NotFound(format!("no force with id {force:?}")));
        }
        Ok(force)
    }

    /// Any force id, for the stop routes (an unknown force has no stops: `[]`): 400 when
    /// `force` is missing or empty.
    pub fn stop_force(&self) -> Result<&str, ApiError> {
        self.force
            .as_deref()
            .filter(|force| !force.is_empty())
            .ok_or_else(|| ApiError::BadRequest("missing force, e.g. force=metropolitan".into()))
    }
}

/// The optional `category` of `crimes-no-location`.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryQuery {
    /// Category slug or `all-crime` (the default)
    category: Option<String>,
}

impl CategoryQuery {
    /// `category` among `params`.
    pub fn from_params(params: &Params) -> Self {
        CategoryQuery { category: params.text("category") }
    }

    /// The category as a filter in `month`; `None` (all crime) when absent, `all-crime` or
    /// unknown (see [`category_filter`]).
    pub fn filter(&self, month: Month) -> Option<u8> {
        self.category.as_deref().and_then(|slug| category_filter(slug, month))
    }
}

/// The `{category}` of `crimes-street/{category}`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct CategoryPath {
    /// Category slug, or `all-crime`
    #[param(example = "all-crime")]
    pub category: String,
}

impl CategoryPath {
    /// The category as a filter in `month`; `None` (all crime) for `all-crime` and unknown
    /// slugs (see [`category_filter`]).
    pub fn filter(&self, month: Month) -> Option<u8> {
        category_filter(&self.category, month)
    }
}

/// The slug of the category police.uk split into `public-order` and `possession-of-weapons`
/// in May 2013.
const PUBLIC_DISORDER_WEAPONS: &str = "public-disorder-weapons";

/// A category slug as a filter in `month`: `None` for `all-crime` and, as on police.uk, for
/// slugs it does not know (they silently mean all crime, upper-case ones included).
/// `public-disorder-weapons` is a category for the months before May 2013, when police.uk
/// filed crimes under it, and unknown from then on, as on police.uk, whose categories have
/// not included it since.
fn category_filter(slug: &str, month: Month) -> Option<u8> {
    if slug == ALL_CRIME.slug
        || (slug == PUBLIC_DISORDER_WEAPONS && (month.year(), month.month()) >= (2013, 5))
    {
        return None;
    }
    crime_category_code_for_slug(slug)
}

// ---------------------------------------------------------------------------------------------
// Path segments naming forces, neighbourhoods and crimes (taken as they are: an unknown one
// is police.uk's bare 404, decided by the route that looks it up).

/// The `{id}` of `/api/forces/{id}` and `/api/forces/{id}/people`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ForceIdPath {
    /// Force id from `/api/forces`
    #[param(example = "leicestershire")]
    pub id: String,
}

/// The `{force}` of `/api/{force}/neighbourhoods` (and of [`NeighbourhoodPath`]).
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ForcePath {
    /// Force id
    #[param(example = "leicestershire")]
    pub force: String,
}

/// `{force}/{neighbourhood}` of the five `/api/{force}/{neighbourhood}…` routes.
#[derive(Debug, Clone, Deserialize)]
pub struct NeighbourhoodPath {
    /// The force id.
    pub force: String,
    /// The neighbourhood id (case-sensitive).
    pub neighbourhood: String,
}

/// The documentation of `{neighbourhood}`; that of `{force}` is [`ForcePath`]'s.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // documentation only: NeighbourhoodPath is what is read
struct NeighbourhoodSegment {
    /// Neighbourhood id (case-sensitive)
    #[param(example = "NC04")]
    neighbourhood: String,
}

impl IntoParams for NeighbourhoodPath {
    fn into_params(parameter_in_provider: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = ForcePath::into_params(&parameter_in_provider);
        params.extend(NeighbourhoodSegment::into_params(parameter_in_provider));
        params
    }
}

/// The `{persistent_id}` of `/api/outcomes-for-crime/{persistent_id}`.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PersistentIdPath {
    /// The crime's 64-character persistent id
    pub persistent_id: String,
}

// ---------------------------------------------------------------------------------------------
// v2 (`/api/v2/…`): this server's own routes. Stricter than police.uk's: every mistake is a
// 400 (an unknown force a 404) whose message names the parameter.

/// The largest `radius` a v2 route takes, in metres.
pub const MAX_RADIUS_M: f64 = 20_000.0;

/// The area of a v2 route: exactly one of `lat`+`lng` (with an optional `radius`), `poly`,
/// `force` (with an optional `neighbourhood`) or `lsoa`; none of them means all of England,
/// Wales and Northern Ireland. A POST may send the area as a GeoJSON body instead.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct V2AreaQuery {
    /// Latitude of the centre of a circle (with `lng`)
    #[param(value_type = Option<f64>, example = 52.629729)]
    lat: Option<String>,
    /// Longitude of the centre of a circle (with `lat`)
    #[param(value_type = Option<f64>, example = -1.131592)]
    lng: Option<String>,
    /// Radius of the circle in metres, more than 0 and at most 20000; default one mile (1609.344)
    #[param(value_type = Option<f64>, example = 1000)]
    radius: Option<String>,
    /// Polygon `lat,lng:lat,lng:…` (closed automatically), instead of a circle
    poly: Option<String>,
    /// Force id, e.g. `leicestershire` (`btp` works too): that force's crimes, with or without a location
    force: Option<String>,
    /// Neighbourhood id of `force` (case-sensitive, as `/api/{force}/neighbourhoods` lists it): the crimes mapped inside its boundary, holes and every part honoured
    #[param(example = "NC04")]
    neighbourhood: Option<String>,
    /// LSOA code as the bulk CSVs give it, e.g. `E01000001`: the crimes whose row names it, with or without a location
    #[param(example = "E01000001")]
    lsoa: Option<String>,
}

/// The area a v2 route was asked about.
#[derive(Debug, Clone, PartialEq)]
pub enum V2Area {
    /// A circle of `radius_m` metres around `lat`,`lng` (`area` is that circle).
    Circle { lat: f64, lng: f64, radius_m: f64, area: Area },
    /// A polygon; `poly` is the parameter as sent.
    Polygon { poly: String, area: Area },
    /// One force's crimes, located or not.
    Force(String),
    /// The crimes mapped inside a neighbourhood's boundary (`area`).
    Neighbourhood { force: String, neighbourhood: String, area: Area },
    /// The crimes of one LSOA, located or not; `name` as the CSVs give it.
    Lsoa { code: String, name: String },
    /// A GeoJSON `Polygon` or `MultiPolygon` sent as a POST body, as a region.
    GeoJson { area: Area },
    /// Every crime held, located or not.
    National,
}

impl V2Area {
    /// Where the index counts.
    pub fn scope(&self) -> CountScope<'_> {
        match self {
            V2Area::Circle { area, .. }
            | V2Area::Polygon { area, .. }
            | V2Area::Neighbourhood { area, .. }
            | V2Area::GeoJson { area } => CountScope::Area(area),
            V2Area::Force(force) => CountScope::Force(force),
            V2Area::Lsoa { code, .. } => CountScope::Lsoa(code),
            V2Area::National => CountScope::National,
        }
    }

    /// The area as a route's answer echoes it.
    pub fn echo(&self) -> AreaEcho {
        match self {
            V2Area::Circle { lat, lng, radius_m, .. } => {
                AreaEcho::Circle { lat: *lat, lng: *lng, radius: *radius_m }
            }
            V2Area::Polygon { poly, .. } => AreaEcho::Polygon { poly: poly.clone() },
            V2Area::Force(force) => AreaEcho::Force { force: force.clone() },
            V2Area::Neighbourhood { force, neighbourhood, .. } => AreaEcho::Neighbourhood {
                force: force.clone(),
                neighbourhood: neighbourhood.clone(),
            },
            V2Area::Lsoa { code, name } => {
                AreaEcho::Lsoa { lsoa: code.clone(), name: name.clone() }
            }
            V2Area::GeoJson { .. } => AreaEcho::Geojson,
            V2Area::National => AreaEcho::National,
        }
    }
}

/// The longest `lsoa` code taken (real ones have 9 characters).
const MAX_LSOA_LEN: usize = 16;

impl V2AreaQuery {
    /// The area parameters among `params`.
    pub fn from_params(params: &Params) -> Self {
        V2AreaQuery {
            lat: params.text("lat"),
            lng: params.text("lng"),
            radius: params.text("radius"),
            poly: params.text("poly"),
            force: params.text("force"),
            neighbourhood: params.text("neighbourhood"),
            lsoa: params.text("lsoa"),
        }
    }

    /// The kinds of area given, by name.
    fn given(&self) -> Vec<&'static str> {
        let circle = self.lat.is_some() || self.lng.is_some() || self.radius.is_some();
        [
            (circle, "lat/lng"),
            (self.poly.is_some(), "poly"),
            (self.force.is_some() || self.neighbourhood.is_some(), "force"),
            (self.lsoa.is_some(), "lsoa"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect()
    }

    /// The area asked for: 400 when more than one kind of area is given, `radius` without a
    /// point, `neighbourhood` without `force`, an unreadable point, radius, polygon or LSOA
    /// code; 404 for an unknown force, a neighbourhood the force does not have (or without a
    /// boundary), an LSOA code no crime held has.
    pub fn area(&self, snapshot: &Snapshot) -> Result<V2Area, ApiError> {
        let given = self.given();
        if given.len() > 1 {
            return Err(ApiError::BadRequest(format!(
                "give one area, not {}: lat and lng (with an optional radius), poly, force \
                 (with an optional neighbourhood), or lsoa",
                given.join(" and ")
            )));
        }
        if let Some(poly) = &self.poly {
            let polygon =
                limited_poly(poly).map_err(|e| ApiError::BadRequest(format!("poly: {e}")))?;
            return Ok(V2Area::Polygon { poly: poly.clone(), area: Area::Polygon(polygon) });
        }
        if let Some(neighbourhood) = &self.neighbourhood {
            return neighbourhood_area(snapshot, self.force.as_deref(), neighbourhood);
        }
        if self.force.is_some() {
            let force = ForceQuery { force: self.force.clone() };
            return Ok(V2Area::Force(force.known_force()?.to_owned()));
        }
        if let Some(code) = &self.lsoa {
            return lsoa_area(snapshot, code);
        }
        if given.is_empty() {
            return Ok(V2Area::National);
        }
        if self.lat.is_none() && self.lng.is_none() {
            return Err(ApiError::BadRequest(
                "radius needs a centre: give lat and lng with it".into(),
            ));
        }
        let (lat, lng) = point(self.lat.as_deref(), self.lng.as_deref())?;
        let radius_m = match self.radius.as_deref() {
            None => ONE_MILE_M,
            Some(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|r| *r > 0.0 && *r <= MAX_RADIUS_M)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "radius must be a number of metres more than 0 and at most \
                         {MAX_RADIUS_M}, got {text:?}"
                    ))
                })?,
        };
        Ok(V2Area::Circle { lat, lng, radius_m, area: Area::Circle { lat, lng, radius_m } })
    }

    /// The area of a request: for a POST its GeoJSON body ([`V2AreaQuery::area_with_body`]),
    /// otherwise its parameters ([`V2AreaQuery::area`]).
    pub fn area_of_request(
        &self,
        request: &HttpRequest,
        body: &[u8],
        snapshot: &Snapshot,
    ) -> Result<V2Area, ApiError> {
        if request.method() == Method::POST {
            self.area_with_body(body)
        } else {
            self.area(snapshot)
        }
    }

    /// The area of a POST: its GeoJSON body (see [`geojson_area`]), which takes the place of
    /// the area parameters: 400 when any is given too.
    pub fn area_with_body(&self, body: &[u8]) -> Result<V2Area, ApiError> {
        let given = self.given();
        if !given.is_empty() {
            return Err(ApiError::BadRequest(format!(
                "the GeoJSON body is the area: do not give {} as well",
                given.join(" or ")
            )));
        }
        Ok(V2Area::GeoJson { area: geojson_area(body)? })
    }
}

/// The most areas `/api/v2/crimes/compare` takes.
pub const MAX_COMPARED_AREAS: usize = 20;

/// The areas of `/api/v2/crimes/compare`: `area` repeated, each `kind:value`.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// An area to compare, 1 to 20 of them (repeat the parameter): `force:ID`, `neighbourhood:FORCE/ID`, `lsoa:CODE`, `circle:LAT,LNG` or `circle:LAT,LNG,RADIUS` (metres), `poly:LAT,LNG:LAT,LNG:…`, or `national`
    #[param(example = json!(["neighbourhood:leicestershire/NC04", "force:leicestershire"]))]
    area: Vec<String>,
}

impl CompareQuery {
    /// The `area` values among `params`.
    pub fn from_params(params: &Params) -> Self {
        CompareQuery { area: params.all("area").into_iter().map(str::to_owned).collect() }
    }

    /// The areas, in order: 400 for none, more than [`MAX_COMPARED_AREAS`], or one that is
    /// malformed, 404 for one that names nothing held; the message says which.
    pub fn areas(&self, snapshot: &Snapshot) -> Result<Vec<V2Area>, ApiError> {
        if self.area.is_empty() || self.area.len() > MAX_COMPARED_AREAS {
            return Err(ApiError::BadRequest(format!(
                "area: give 1 to {MAX_COMPARED_AREAS} areas (got {}), e.g. \
                 area=neighbourhood:leicestershire/NC04&area=force:leicestershire",
                self.area.len()
            )));
        }
        self.area
            .iter()
            .enumerate()
            .map(|(k, spec)| {
                let about = |message: String| format!("area {} ({spec:?}): {message}", k + 1);
                compared_area_params(spec)
                    .map_err(|message| ApiError::BadRequest(about(message)))
                    .and_then(|params| V2AreaQuery::from_params(&params).area(snapshot))
                    .map_err(|error| match error {
                        ApiError::BadRequest(m) if m.starts_with("area ") => {
                            ApiError::BadRequest(m)
                        }
                        ApiError::BadRequest(m) => ApiError::BadRequest(about(m)),
                        ApiError::NotFound(m) => ApiError::NotFound(about(m)),
                        other => other,
                    })
            })
            .collect()
    }
}

/// One `area` of `compare` as the parameters `V2AreaQuery` reads.
fn compared_area_params(spec: &str) -> Result<Params, String> {
    let (kind, value) = spec.split_once(':').unwrap_or((spec, ""));
    let pair = |key: &str, value: &str| (key.to_owned(), value.to_owned());
    let pairs = match kind {
        "national" if value.is_empty() => Vec::new(),
        "force" => vec![pair("force", value)],
        "lsoa" => vec![pair("lsoa", value)],
        "poly" => vec![pair("poly", value)],
        "neighbourhood" => {
            let (force, id) = value
                .split_once('/')
                .ok_or("a neighbourhood is FORCE/ID, e.g. neighbourhood:leicestershire/NC04")?;
            vec![pair("force", force), pair("neighbourhood", id)]
        }
        "circle" => match value.split(',').collect::<Vec<_>>().as_slice() {
            [lat, lng] => vec![pair("lat", lat), pair("lng", lng)],
            [lat, lng, radius] => vec![pair("lat", lat), pair("lng", lng), pair("radius", radius)],
            _ => return Err("a circle is LAT,LNG or LAT,LNG,RADIUS".into()),
        },
        _ => {
            return Err("start with force:, neighbourhood:, lsoa:, circle: or poly:, or be \
                        national"
                .into())
        }
    };
    Ok(Params { pairs })
}

/// `force` + `neighbourhood`: the neighbourhood's boundary.
fn neighbourhood_area(
    snapshot: &Snapshot,
    force: Option<&str>,
    neighbourhood: &str,
) -> Result<V2Area, ApiError> {
    let force = force.ok_or_else(|| {
        ApiError::BadRequest(
            "neighbourhood needs its force: give force as well, e.g. \
             force=leicestershire&neighbourhood=NC04"
                .into(),
        )
    })?;
    let forces = &snapshot.neighbourhoods;
    let resources = forces
        .force(force)
        .ok_or_else(|| {
            ApiError::NotFound(format!("no force with neighbourhoods has id {force:?}"))
        })?
        .neighbourhood(neighbourhood)
        .ok_or_else(|| {
            ApiError::NotFound(format!("force {force:?} has no neighbourhood {neighbourhood:?}"))
        })?;
    let area = forces.area(resources).ok_or_else(|| {
        ApiError::NotFound(format!(
            "neighbourhood {neighbourhood:?} of {force:?} has no boundary in this store"
        ))
    })?;
    Ok(V2Area::Neighbourhood {
        force: force.to_owned(),
        neighbourhood: neighbourhood.to_owned(),
        area,
    })
}

/// `lsoa`: a code like `E01000001` (letters and digits, any case), which some crime held has.
fn lsoa_area(snapshot: &Snapshot, code: &str) -> Result<V2Area, ApiError> {
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty()
        || code.len() > MAX_LSOA_LEN
        || !code.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(ApiError::BadRequest(format!(
            "lsoa must be an LSOA code of letters and digits, e.g. E01000001, got {code:?}"
        )));
    }
    let name = snapshot
        .index
        .lsoa_name(&code)
        .ok_or_else(|| ApiError::NotFound(format!("no crime held has LSOA code {code:?}")))?
        .to_owned();
    Ok(V2Area::Lsoa { code, name })
}

/// `baseline_from` and `baseline_to` of a v2 route: a period to compare the asked one with.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BaselineQuery {
    /// First month `YYYY-MM` of a baseline period to compare with (with `baseline_to`)
    #[param(example = "2019-01")]
    baseline_from: Option<String>,
    /// Last month `YYYY-MM` of the baseline period, inclusive (with `baseline_from`)
    #[param(example = "2019-12")]
    baseline_to: Option<String>,
}

impl BaselineQuery {
    /// `baseline_from` and `baseline_to` among `params`.
    pub fn from_params(params: &Params) -> Self {
        BaselineQuery {
            baseline_from: params.text("baseline_from"),
            baseline_to: params.text("baseline_to"),
        }
    }

    /// The baseline period, if asked for: 400 when only one end is given, a month is
    /// malformed, `baseline_from` is after `baseline_to`, or it is longer than
    /// [`MAX_PERIOD_MONTHS`].
    pub fn baseline(&self) -> Result<Option<(Month, Month)>, ApiError> {
        let from = month_param(self.baseline_from.as_deref(), "baseline_from")?;
        let to = month_param(self.baseline_to.as_deref(), "baseline_to")?;
        let (from, to) = match (from, to) {
            (None, None) => return Ok(None),
            (Some(from), Some(to)) => (from, to),
            _ => {
                return Err(ApiError::BadRequest(
                    "give both baseline_from and baseline_to (YYYY-MM), or neither".into(),
                ))
            }
        };
        if from > to {
            return Err(ApiError::BadRequest(format!(
                "baseline_from ({from}) is after baseline_to ({to})"
            )));
        }
        let months = to.index() - from.index() + 1;
        if months > MAX_PERIOD_MONTHS {
            return Err(ApiError::BadRequest(format!(
                "baseline_from {from} to baseline_to {to} is {months} months; a period is at \
                 most {MAX_PERIOD_MONTHS}"
            )));
        }
        Ok(Some((from, to)))
    }
}

/// `from` and `to` of a v2 route: a period of whole months.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First month `YYYY-MM`; default 11 months before `to` (a year in all)
    #[param(example = "2023-02")]
    from: Option<String>,
    /// Last month `YYYY-MM`, inclusive; default the latest month with crime data; the period is at most 600 months
    #[param(example = "2024-01")]
    to: Option<String>,
}

impl PeriodQuery {
    /// `from` and `to` among `params`.
    pub fn from_params(params: &Params) -> Self {
        PeriodQuery { from: params.text("from"), to: params.text("to") }
    }

    /// `(from, to)`, inclusive, at most [`MAX_PERIOD_MONTHS`] long. `to` defaults to `latest` (404 when there is no
    /// data and no `to`), `from` to 11 months before `to`. 400 for a malformed month or
    /// `from` after `to`.
    pub fn period(&self, latest: Option<Month>) -> Result<(Month, Month), ApiError> {
        let to = match month_param(self.to.as_deref(), "to")? {
            Some(to) => to,
            None => latest.ok_or_else(|| {
                ApiError::NotFound(
                    "no crime data has been imported yet: give from and to to see the months \
                     as missing"
                        .into(),
                )
            })?,
        };
        let from = match month_param(self.from.as_deref(), "from")? {
            Some(from) => from,
            None => to.plus(-11).unwrap_or(to),
        };
        if from > to {
            return Err(ApiError::BadRequest(format!("from ({from}) is after to ({to})")));
        }
        let months = to.index() - from.index() + 1;
        if months > MAX_PERIOD_MONTHS {
            return Err(ApiError::BadRequest(format!(
                "from {from} to {to} is {months} months; a period is at most {MAX_PERIOD_MONTHS}"
            )));
        }
        Ok((from, to))
    }
}

/// The longest period a v2 route answers for, in months (police.uk's data starts in
/// December 2010): it bounds the size of an answer, which lists every month.
pub const MAX_PERIOD_MONTHS: u32 = 600;

/// A `YYYY-MM` parameter; `None` when absent or empty, 400 naming `key` when malformed.
fn month_param(text: Option<&str>, key: &str) -> Result<Option<Month>, ApiError> {
    match text {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            ApiError::BadRequest(format!(
                "{key} must be a month written YYYY-MM, e.g. 2024-01; got {text:?}"
            ))
        }),
    }
}

/// `category` of a v2 route: one or more category slugs, strictly.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoriesQuery {
    /// Category slugs from `crime-categories` and group ids from `/api/v2/crime-category-groups`, comma-separated, or `all-crime` (the default: every category, the historic `public-disorder-weapons` included); an unknown name is a 400
    #[param(example = "burglary,drugs")]
    category: Option<String>,
}

/// What the v2 crime routes (counts, hot spots, outcomes, the lists) read first, and read the
/// same way: the area (its parameters, or a POST's GeoJSON body), the period (by default the
/// 12 months to the latest month with crimes) and the categories.
pub struct CrimeQuestion {
    /// The area.
    pub area: V2Area,
    /// First month of the period.
    pub from: Month,
    /// Last month of the period (inclusive).
    pub to: Month,
    /// Category codes, groups expanded.
    pub categories: Vec<u8>,
}

impl CrimeQuestion {
    /// Reads the area, period and categories of a request (`params` its query string, `body`
    /// its POST body), answering 400 (or 404 for an unknown force, neighbourhood or LSOA)
    /// for the first mistake.
    pub fn read(
        params: &Params,
        request: &HttpRequest,
        body: &[u8],
        snapshot: &Snapshot,
    ) -> Result<Self, ApiError> {
        let area = V2AreaQuery::from_params(params).area_of_request(request, body, snapshot)?;
        let latest = snapshot.index.crime_months().last();
        let (from, to) = PeriodQuery::from_params(params).period(latest)?;
        let categories = CategoriesQuery::from_params(params).categories()?;
        Ok(CrimeQuestion { area, from, to, categories })
    }
}

impl CategoriesQuery {
    /// `category` among `params`.
    pub fn from_params(params: &Params) -> Self {
        CategoriesQuery { category: params.text("category") }
    }

    /// The category codes asked for, groups expanded, in police.uk's order without repeats;
    /// every category when absent, empty or `all-crime` (also within a list). 400 for an
    /// unknown or empty name.
    pub fn categories(&self) -> Result<Vec<u8>, ApiError> {
        let all = || (0..CATEGORY_COUNT as u8).collect();
        let text = match self.category.as_deref() {
            None | Some("") => return Ok(all()),
            Some(text) => text,
        };
        let mut codes = Vec::new();
        for slug in text.split(',').map(str::trim) {
            if slug == ALL_CRIME.slug {
                return Ok(all());
            }
            if let Some(group) = category_group(slug) {
                codes.extend(
                    group.categories.iter().filter_map(|s| crime_category_code_for_slug(s)),
                );
                continue;
            }
            let code = crime_category_code_for_slug(slug).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "category: unknown slug {slug:?}; use slugs from /api/crime-categories or \
                     groups from /api/v2/crime-category-groups, comma-separated, or all-crime"
                ))
            })?;
            codes.push(code);
        }
        codes.sort_unstable();
        codes.dedup();
        Ok(codes)
    }
}

/// `last_outcomes` of `/api/v2/crimes/counts`: whether to count crimes by last outcome too.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LastOutcomesQuery {
    /// `true`: also count each month's crimes (of the asked-for categories) by their last outcome category (`none` without one, `other` for a name police.uk does not list); default `false`
    #[param(value_type = Option<bool>, example = true)]
    last_outcomes: Option<String>,
}

impl LastOutcomesQuery {
    /// `last_outcomes` among `params`.
    pub fn from_params(params: &Params) -> Self {
        LastOutcomesQuery { last_outcomes: params.text("last_outcomes") }
    }

    /// Whether last outcomes are asked for: `true` or `false` (absent or empty: `false`);
    /// 400 for anything else.
    pub fn wanted(&self) -> Result<bool, ApiError> {
        match self.last_outcomes.as_deref() {
            None | Some("" | "false") => Ok(false),
            Some("true") => Ok(true),
            Some(text) => Err(ApiError::BadRequest(format!(
                "last_outcomes must be true or false, got {text:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params { pairs: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }

    #[test]
    fn q_is_lat_comma_lng() {
        assert_eq!(parse_q("51.500617,-0.124629"), Some((51.500617, -0.124629)));
        assert_eq!(parse_q(" 51.5 , -0.12 "), Some((51.5, -0.12)));
        for bad in ["", "51.5", "51.5,", "a,b", "51.5,-0.1,3", "91,0", "0,181", "NaN,0", "inf,0"] {
            assert_eq!(parse_q(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_last_value_of_a_repeated_key_counts() {
        let query = AreaQuery::from_params(&params(&[("lat", "1"), ("lng", "2"), ("lat", "3")]));
        assert_eq!(query.area(), Ok(Area::Circle { lat: 3.0, lng: 2.0, radius_m: ONE_MILE_M }));
    }

    #[test]
    fn coordinates_are_trimmed_and_clamped() {
        let query = NearestQuery::from_params(&params(&[("lat", " 95 "), ("lng", "-200")]));
        assert_eq!(query.point(), Ok((90.0, -180.0)));
    }

    #[test]
    fn area_errors_are_400_in_police_uk_s_order() {
        let bad = |pairs: &[(&str, &str)]| AreaQuery::from_params(&params(pairs)).area();
        assert!(matches!(bad(&[]), Err(ApiError::BadRequest(m)) if m.starts_with("no location")));
        assert_eq!(
            bad(&[("lng", "1")]),
            Err(ApiError::BadRequest("missing lat: give lat and lng, or poly".into()))
        );
        assert_eq!(
            bad(&[("lat", "x"), ("lng", "y")]),
            Err(ApiError::BadRequest("lat must be a number in degrees, got \"x\"".into()))
        );
        assert_eq!(
            bad(&[("lat", "NaN"), ("lng", "1")]),
            Err(ApiError::BadRequest("lat must be a finite number, got \"NaN\"".into()))
        );
    }

    #[test]
    fn unknown_category_slugs_mean_all_crime() {
        let month = Month::new(2024, 1).unwrap();
        let path = |slug: &str| CategoryPath { category: slug.into() };
        assert_eq!(path("all-crime").filter(month), None);
        assert_eq!(path("no-such-thing").filter(month), None);
        assert_eq!(path("BURGLARY").filter(month), None);
        assert!(path("burglary").filter(month).is_some());
        assert_eq!(CategoryQuery::from_params(&params(&[])).filter(month), None);
        // Split in May 2013: a category before, unknown (all crime) from then on.
        let disorder = path("public-disorder-weapons");
        assert!(disorder.filter(Month::new(2013, 4).unwrap()).is_some());
        assert_eq!(disorder.filter(Month::new(2013, 5).unwrap()), None);
    }

    #[test]
    fn force_parameters_answer_as_police_uk() {
        let force = |pairs: &[(&str, &str)]| ForceQuery::from_params(&params(pairs));
        assert_eq!(
            force(&[]).known_force(),
            Err(ApiError::BadRequest("missing force, e.g. force=leicestershire".into()))
        );
        assert_eq!(
            force(&[("force", "")]).known_force(),
            Err(ApiError::NotFound("no force with id \"\"".into()))
        );
        assert_eq!(force(&[("force", "btp")]).known_force(), Ok("btp"));
        assert_eq!(
            force(&[("force", "")]).stop_force(),
            Err(ApiError::BadRequest("missing force, e.g. force=metropolitan".into()))
        );
        assert_eq!(force(&[("force", "nowhere")]).stop_force(), Ok("nowhere"));
    }

    #[test]
    fn neighbourhood_paths_document_force_then_neighbourhood() {
        let names: Vec<String> =
            NeighbourhoodPath::into_params(|| None).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["force", "neighbourhood"]);
    }

    #[test]
    fn v2_area_is_exactly_one_of_circle_poly_force_or_national() {
        let snapshot = Snapshot::default();
        let area =
            |pairs: &[(&str, &str)]| V2AreaQuery::from_params(&params(pairs)).area(&snapshot);
        assert_eq!(area(&[]), Ok(V2Area::National));
        assert_eq!(
            area(&[("lat", "52"), ("lng", "-1")]),
            Ok(V2Area::Circle {
                lat: 52.0,
                lng: -1.0,
                radius_m: ONE_MILE_M,
                area: Area::Circle { lat: 52.0, lng: -1.0, radius_m: ONE_MILE_M }
            })
        );
        assert!(matches!(
            area(&[("lat", "52"), ("lng", "-1"), ("radius", "20000")]),
            Ok(V2Area::Circle { radius_m, .. }) if radius_m == 20_000.0
        ));
        assert_eq!(area(&[("force", "btp")]), Ok(V2Area::Force("btp".into())));
        assert!(matches!(area(&[("poly", "52,0:53,0:53,1")]), Ok(V2Area::Polygon { .. })));
        let bad_request = |pairs: &[(&str, &str)], names: &str| match area(pairs) {
            Err(ApiError::BadRequest(message)) => {
                assert!(message.contains(names), "{pairs:?}: {message}")
            }
            other => panic!("{pairs:?}: {other:?}"),
        };
        bad_request(&[("poly", "52,0:53,0:53,1"), ("force", "kent")], "poly and force");
        bad_request(&[("lat", "52"), ("lng", "-1"), ("force", "kent")], "lat/lng and force");
        bad_request(&[("radius", "100")], "radius");
        bad_request(&[("lat", "52")], "lng");
        for radius in ["0", "-5", "20000.5", "wide", "NaN", "inf"] {
            bad_request(&[("lat", "52"), ("lng", "-1"), ("radius", radius)], "radius");
        }
        bad_request(&[("poly", "52,0:53,0")], "poly");
        assert!(matches!(area(&[("force", "nowhere")]), Err(ApiError::NotFound(_))));
        bad_request(&[("lsoa", "E01000001"), ("force", "kent")], "force and lsoa");
        bad_request(&[("lsoa", "E01000001"), ("poly", "52,0:53,0:53,1")], "poly and lsoa");
        bad_request(&[("neighbourhood", "NC04")], "neighbourhood needs its force");
        for code in ["", "E01 000001", "E01000001;DROP", "E0100000100000000001"] {
            bad_request(&[("lsoa", code)], "lsoa must be");
        }
        // Well-formed, but no crime of this (empty) store has it; nor has it the force.
        assert!(
            matches!(area(&[("lsoa", "e01000001")]), Err(ApiError::NotFound(m)) if m.contains("E01000001"))
        );
        assert!(matches!(
            area(&[("force", "kent"), ("neighbourhood", "NC04")]),
            Err(ApiError::NotFound(_))
        ));
    }

    #[test]
    fn geojson_polygons_and_multipolygons_are_regions_with_holes() {
        let region = |json: &str| match geojson_area(json.as_bytes()) {
            Ok(Area::Region(boundary)) => boundary,
            other => panic!("{json}: {other:?}"),
        };
        // A square with a square hole: positions are [lng, lat].
        let square = r#"[[-1.0,52.0],[-0.9,52.0],[-0.9,52.1],[-1.0,52.1],[-1.0,52.0]]"#;
        let hole = r#"[[-0.97,52.03],[-0.93,52.03],[-0.93,52.07],[-0.97,52.07],[-0.97,52.03]]"#;
        let polygon = format!(r#"{{"type":"Polygon","coordinates":[{square},{hole}]}}"#);
        let with_hole = region(&polygon);
        assert!(with_hole.contains(52.01, -0.99));
        assert!(!with_hole.contains(52.05, -0.95), "inside the hole");
        assert!(!with_hole.contains(-0.99, 52.01), "lat and lng swapped");
        let feature = format!(r#"{{"type":"Feature","properties":{{}},"geometry":{polygon}}}"#);
        assert_eq!(region(&feature), with_hole);
        let far = r#"[[0.0,51.0],[0.1,51.0],[0.1,51.1],[0.0,51.0]]"#;
        let multi =
            format!(r#"{{"type":"MultiPolygon","coordinates":[[{square},{hole}],[{far}]]}}"#);
        let two_parts = region(&multi);
        assert!(two_parts.contains(51.01, 0.05) && two_parts.contains(52.01, -0.99));
        assert!(!two_parts.contains(52.05, -0.95));

        let bad = |json: &str, says: &str| match geojson_area(json.as_bytes()) {
            Err(ApiError::BadRequest(m)) => {
                assert!(m.starts_with("GeoJSON body") && m.contains(says), "{json}: {m}")
            }
            other => panic!("{json}: {other:?}"),
        };
        bad("", "empty");
        bad("{", "not JSON");
        bad(r#"{"type":"Point","coordinates":[0,51]}"#, "Point");
        bad(r#"{"coordinates":[]}"#, "no \"type\"");
        bad(r#"{"type":"Polygon"}"#, "no polygon");
        bad(r#"{"type":"Polygon","coordinates":[]}"#, "non-empty array of rings");
        bad(r#"{"type":"Polygon","coordinates":[[[0,51],[1,51]]]}"#, "distinct vertices");
        bad(r#"{"type":"Polygon","coordinates":[[[0,51],["a",51],[1,52]]]}"#, "string \"a\"");
        bad(r#"{"type":"Polygon","coordinates":[[[0,51],[1,"b"],[1,52]]]}"#, "latitude");
        bad(r#"{"type":"Polygon","coordinates":[[[0,51],7,[1,52]]]}"#, "must be arrays");
        bad(r#"{"type":"Polygon","coordinates":[[0,51]]}"#, "ring must be an array");
        bad(r#"{"type":"MultiPolygon","coordinates":[0,51]}"#, "array of polygons");
        bad(r#"{"type":"Feature","geometry":null}"#, "without geometry");
        bad(r#"[1,2]"#, "GeoJSON object");
        bad(r#"{"type":"Polygon","coordinates":[[[0],[1,51],[1,52]]]}"#, "[longitude, latitude]");
        bad(r#"{"type":"Polygon","coordinates":[[[0,95],[1,51],[1,52]]]}"#, "not a valid");
        let many: Vec<String> =
            (0..=MAX_AREA_VERTICES).map(|k| format!("[0,{}]", k % 80)).collect();
        bad(&format!(r#"{{"type":"Polygon","coordinates":[[{}]]}}"#, many.join(",")), "vertices");

        let query = V2AreaQuery::from_params(&params(&[("lat", "52"), ("lng", "-1")]));
        assert!(matches!(
            query.area_with_body(polygon.as_bytes()),
            Err(ApiError::BadRequest(m)) if m.contains("lat/lng")
        ));
        assert!(matches!(
            V2AreaQuery::default().area_with_body(polygon.as_bytes()),
            Ok(V2Area::GeoJson { .. })
        ));
    }

    #[test]
    fn v2_baseline_is_both_months_or_neither() {
        let baseline =
            |pairs: &[(&str, &str)]| BaselineQuery::from_params(&params(pairs)).baseline();
        let month = |m: &str| m.parse::<Month>().unwrap();
        assert_eq!(baseline(&[]), Ok(None));
        assert_eq!(
            baseline(&[("baseline_from", "2019-01"), ("baseline_to", "2019-12")]),
            Ok(Some((month("2019-01"), month("2019-12"))))
        );
        for (pairs, says) in [
            (&[("baseline_from", "2019-01")][..], "both"),
            (&[("baseline_to", "2019-01")][..], "both"),
            (&[("baseline_from", "2019-1"), ("baseline_to", "2019-12")][..], "baseline_from"),
            (&[("baseline_from", "2019-01"), ("baseline_to", "2019")][..], "baseline_to"),
            (&[("baseline_from", "2019-02"), ("baseline_to", "2019-01")][..], "is after"),
            (&[("baseline_from", "1900-01"), ("baseline_to", "2019-01")][..], "at most"),
        ] {
            match baseline(pairs) {
                Err(ApiError::BadRequest(message)) => assert!(message.contains(says), "{message}"),
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn v2_period_defaults_to_the_year_to_the_latest_month() {
        let period = |pairs: &[(&str, &str)], latest: Option<&str>| {
            PeriodQuery::from_params(&params(pairs)).period(latest.map(|m| m.parse().unwrap()))
        };
        let month = |m: &str| m.parse::<Month>().unwrap();
        assert_eq!(period(&[], Some("2024-01")), Ok((month("2023-02"), month("2024-01"))));
        assert_eq!(
            period(&[("from", "2020-05"), ("to", "")], Some("2024-01")),
            Ok((month("2020-05"), month("2024-01")))
        );
        assert_eq!(
            period(&[("from", "2030-01"), ("to", "2030-01")], None),
            Ok((month("2030-01"), month("2030-01")))
        );
        assert!(matches!(period(&[], None), Err(ApiError::NotFound(_))));
        for (pairs, key) in [
            (&[("from", "2024-1")][..], "from"),
            (&[("to", "2024-13")][..], "to"),
            (&[("from", "2024-02"), ("to", "2024-01")][..], "from (2024-02) is after to"),
        ] {
            match period(pairs, Some("2024-01")) {
                Err(ApiError::BadRequest(message)) => assert!(message.contains(key), "{message}"),
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn v2_categories_are_strict_slugs_in_police_uk_order() {
        let categories =
            |text: &str| CategoriesQuery::from_params(&params(&[("category", text)])).categories();
        let every: Vec<u8> = (0..CATEGORY_COUNT as u8).collect();
        assert_eq!(CategoriesQuery::default().categories(), Ok(every.clone()));
        assert_eq!(categories("all-crime"), Ok(every.clone()));
        assert_eq!(categories("drugs,all-crime"), Ok(every));
        let code = |slug| crime_category_code_for_slug(slug).unwrap();
        assert_eq!(categories("drugs, burglary,drugs"), Ok(vec![code("burglary"), code("drugs")]));
        assert_eq!(
            categories("violence,drugs"),
            Ok(vec![code("drugs"), code("robbery"), code("violent-crime")])
        );
        for bad in ["nonsense", "burglary,", "burglary,,drugs"] {
            assert!(
                matches!(categories(bad), Err(ApiError::BadRequest(m)) if m.starts_with("category")),
                "{bad}"
            );
        }
    }
}
