//! Request parameters as police.uk reads them: from the query string, or for the area
//! routes' POST form also from the body; turned into domain values, or into the status
//! police.uk gives for that mistake.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::Method;
use actix_web::HttpRequest;
use police_storage::reference::{crime_category_code_for_slug, ALL_CRIME};
use police_storage::snapshot::Snapshot;
use police_storage::spatial::{parse_poly, Area, ONE_MILE_M};
use police_storage::Month;

use crate::error::ApiError;

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

/// Which month a request asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthChoice {
    /// A month within the data this server holds.
    Month(Month),
    /// A month after the latest one (police.uk answers `[]`), or a store without data.
    Nothing,
}

/// `date`: `YYYY-MM`, defaulting to the latest month with crime data. Malformed, or before
/// the earliest month held: 404 (as police.uk, for dates before its 36-month window).
pub fn month(params: &Params, snapshot: &Snapshot) -> Result<MonthChoice, ApiError> {
    let Some(latest) = snapshot.latest_crime_month else { return Ok(MonthChoice::Nothing) };
    let text = match params.get("date") {
        None | Some("") => return Ok(MonthChoice::Month(latest)),
        Some(text) => text,
    };
    let month: Month = text.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "date must be a month written YYYY-MM, e.g. {latest}; got {text:?}"
        ))
    })?;
    let earliest = snapshot.months.last().map_or(latest, |m| m.month);
    if month < earliest {
        return Err(ApiError::NotFound(format!(
            "no data before {earliest}: this server holds {earliest} to {latest}"
        )));
    }
    Ok(if month > latest { MonthChoice::Nothing } else { MonthChoice::Month(month) })
}

fn coordinate(params: &Params, key: &str, limit: f64) -> Result<f64, ApiError> {
    let text = params
        .get(key)
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

/// The snap point a `location_id` names, if it is a number this snapshot knows.
pub fn snap_point(location_id: &str, snapshot: &Snapshot) -> Option<u32> {
    location_id.trim().parse().ok().and_then(|id| snapshot.index.point_by_id(id))
}

/// [`snap_point`], or the 404 that crimes and outcomes answer for an unknown `location_id`.
pub fn known_snap_point(location_id: &str, snapshot: &Snapshot) -> Result<u32, ApiError> {
    snap_point(location_id, snapshot)
        .ok_or_else(|| ApiError::NotFound(format!("no location with id {location_id:?}")))
}

/// A point from `lat` and `lng` (400 when either is missing or not a number).
pub fn point(params: &Params) -> Result<(f64, f64), ApiError> {
    Ok((coordinate(params, "lat", 90.0)?, coordinate(params, "lng", 180.0)?))
}

/// The area of an area route: `poly`, else a one-mile circle around `lat`,`lng`.
pub fn area(params: &Params) -> Result<Area, ApiError> {
    if let Some(poly) = params.get("poly") {
        return parse_poly(poly)
            .map(Area::Polygon)
            .map_err(|e| ApiError::BadRequest(e.to_string()));
    }
    if params.get("lat").is_none() && params.get("lng").is_none() {
        return Err(ApiError::BadRequest(
            "no location given: use lat and lng (a one-mile radius) or poly=lat,lng:lat,lng:lat,lng".into(),
        ));
    }
    let (lat, lng) = point(params)?;
    Ok(Area::Circle { lat, lng, radius_m: ONE_MILE_M })
}

/// A category slug as a filter: `None` for `all-crime` and, as on police.uk, for slugs it
/// does not know (they silently mean all crime).
pub fn category_filter(slug: &str) -> Option<u8> {
    if slug == ALL_CRIME.slug {
        return None;
    }
    crime_category_code_for_slug(slug)
}
