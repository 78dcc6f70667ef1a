//! The parameters of the v2 list routes (`/api/v2/crimes`, `/api/v2/outcomes`, …): how many records (`limit`), from
//! where (`cursor`), in which format (`format`, else `Accept`), and the crime filters
//! (`last_outcome`, `has_crime_id`).
//!
//! A cursor is opaque to clients: base64url (no padding) of a version byte, the snapshot's
//! version, a fingerprint of the route and query it was made for, the month and the record position to
//! resume from, and a checksum of those. A cursor of another snapshot is answered 410 (its
//! positions mean other crimes now); one of another query, or damaged, 400.

use actix_web::http::header::ACCEPT;
use actix_web::HttpRequest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use police_index::crimes::{last_outcome_slug, WalkPosition, LAST_OUTCOME_KINDS};
use police_index::Month;
use utoipa::IntoParams;

use super::Params;
use crate::error::ApiError;

/// Records in a page when `limit` is not given.
pub const DEFAULT_LIST_LIMIT: usize = 1_000;

/// The largest `limit` of a page (`limit=all` streams everything instead).
pub const MAX_LIST_LIMIT: usize = 10_000;

/// `limit`, `cursor` and `format` of a v2 list route.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Records per page, 1 to 10000 (default 1000); or `all`: every record in one streamed answer, no paging
    #[param(value_type = Option<String>, example = "500")]
    limit: Option<String>,
    /// Where to go on from: the `cursor` of the previous answer's `next` URL (opaque). A cursor made before the data changed answers 410; one made for other parameters, or damaged, 400
    cursor: Option<String>,
    /// `json` (default), `geojson` (a FeatureCollection of Point features, police.uk's fields as properties) or `csv` (police.uk's bulk street columns); without it, the `Accept` header chooses (`application/json`, `application/geo+json`, `text/csv`)
    #[param(example = "geojson")]
    format: Option<String>,
}

/// How many records an answer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListLimit {
    /// A page of at most this many, with a cursor for the rest.
    Page(usize),
    /// Everything, streamed.
    All,
}

/// The format of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    /// `{"crimes": […], "next": …}`, records in police.uk's JSON.
    Json,
    /// A GeoJSON `FeatureCollection` with a `next` member.
    GeoJson,
    /// police.uk's bulk CSV.
    Csv,
}

impl ListFormat {
    /// The `Content-Type` of the answer.
    pub fn content_type(self) -> &'static str {
        match self {
            ListFormat::Json => "application/json",
            ListFormat::GeoJson => "application/geo+json",
            ListFormat::Csv => "text/csv; charset=utf-8",
        }
    }
}

impl ListQuery {
    /// `limit`, `cursor` and `format` among `params`.
    pub fn from_params(params: &Params) -> Self {
        ListQuery {
            limit: params.text("limit"),
            cursor: params.text("cursor"),
            format: params.text("format"),
        }
    }

    /// The limit asked for: 400 unless `all` or a whole number from 1 to [`MAX_LIST_LIMIT`].
    pub fn limit(&self) -> Result<ListLimit, ApiError> {
        match self.limit.as_deref() {
            None | Some("") => Ok(ListLimit::Page(DEFAULT_LIST_LIMIT)),
            Some("all") => Ok(ListLimit::All),
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                .map(ListLimit::Page)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "limit must be a whole number from 1 to {MAX_LIST_LIMIT}, or all; got {text:?}"
                    ))
                }),
        }
    }

    /// The format: `format` when given (400 when unknown), else the best of `Accept` (406
    /// when it accepts none of the three), else JSON.
    pub fn format(&self, request: &HttpRequest) -> Result<ListFormat, ApiError> {
        match self.format.as_deref() {
            Some("json") => return Ok(ListFormat::Json),
            Some("geojson") => return Ok(ListFormat::GeoJson),
            Some("csv") => return Ok(ListFormat::Csv),
            Some(text) if !text.is_empty() => {
                return Err(ApiError::BadRequest(format!(
                    "format must be json, geojson or csv; got {text:?}"
                )))
            }
            _ => {}
        }
        let accept = request
            .headers()
            .get_all(ACCEPT)
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        negotiate(&accept)
    }

    /// The cursor given, decoded (not yet checked against the snapshot and query).
    pub fn cursor(&self) -> Result<Option<Cursor>, ApiError> {
        match self.cursor.as_deref() {
            None | Some("") => Ok(None),
            Some(text) => Cursor::decode(text).map(Some),
        }
    }
}

/// The format an `Accept` header prefers: the media range of highest `q` that names one
/// (`*/*` and `application/*`: JSON; `text/*`: CSV), the earlier on a tie. No header: JSON.
fn negotiate(accept: &str) -> Result<ListFormat, ApiError> {
    if accept.trim().is_empty() {
        return Ok(ListFormat::Json);
    }
    let mut best: Option<(f32, ListFormat)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let format = match media.as_str() {
            "application/json" | "application/*" | "*/*" => ListFormat::Json,
            "application/geo+json" => ListFormat::GeoJson,
            "text/csv" | "text/*" => ListFormat::Csv,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, format));
        }
    }
    best.map(|(_, format)| format).ok_or_else(|| {
        ApiError::NotAcceptable(format!(
            "this route answers application/json, application/geo+json or text/csv (or use \
             format=json|geojson|csv); Accept was {accept:?}"
        ))
    })
}

/// `last_outcome` and `has_crime_id` of `/api/v2/crimes`.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrimeFilterQuery {
    /// Only crimes whose last outcome is one of these, comma-separated: police.uk's outcome codes as `/api/v2/outcomes/counts` gives them (the outcome status categories of the crimes' `outcome_status.category`, e.g. `under-investigation`, `no-further-action`), `none` (no outcome status, as anti-social behaviour) or `other` (a name police.uk does not list); default every crime
    #[param(example = "under-investigation,none")]
    last_outcome: Option<String>,
    /// `true`: only crimes with a Crime ID (`persistent_id`); `false`: only those without (anti-social behaviour); default both
    #[param(value_type = Option<bool>, example = true)]
    has_crime_id: Option<String>,
}

impl CrimeFilterQuery {
    /// `last_outcome` and `has_crime_id` among `params`.
    pub fn from_params(params: &Params) -> Self {
        CrimeFilterQuery {
            last_outcome: params.text("last_outcome"),
            has_crime_id: params.text("has_crime_id"),
        }
    }

    /// The last-outcome kinds asked for (see [`police_index::crimes::LAST_OUTCOME_KINDS`]);
    /// `None`: any. 400 for an unknown slug.
    pub fn last_outcomes(&self) -> Result<Option<Vec<usize>>, ApiError> {
        let text = match self.last_outcome.as_deref() {
            None | Some("") => return Ok(None),
            Some(text) => text,
        };
        let mut kinds = Vec::new();
        for slug in text.split(',').map(str::trim) {
            let kind = (0..LAST_OUTCOME_KINDS).find(|&k| last_outcome_slug(k) == slug).ok_or_else(
                || {
                    ApiError::BadRequest(format!(
                        "last_outcome: unknown outcome {slug:?}; use outcome codes such as \
                         under-investigation or no-further-action, none or other, comma-separated"
                    ))
                },
            )?;
            kinds.push(kind);
        }
        Ok(Some(kinds))
    }

    /// `true`, `false` or `None` (absent or empty); 400 for anything else.
    pub fn has_crime_id(&self) -> Result<Option<bool>, ApiError> {
        match self.has_crime_id.as_deref() {
            None | Some("") => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(text) => Err(ApiError::BadRequest(format!(
                "has_crime_id must be true or false, got {text:?}"
            ))),
        }
    }
}

/// Where a paged list goes on, for one snapshot and one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The snapshot's version ([`police_store::snapshot::Snapshot::version`]).
    pub version: String,
    /// The query's fingerprint ([`query_fingerprint`]).
    pub fingerprint: u64,
    /// The record to go on from (included).
    pub at: WalkPosition,
}

/// The first byte of a cursor: its layout. Layout 2 counts the position from the month's
/// first record (layout 1, before snapshots were updated month by month, from the index's).
const CURSOR_LAYOUT: u8 = 2;
/// The layout of cursors made before: refused as made for other data (410).
const EARLIER_CURSOR_LAYOUT: u8 = 1;

fn damaged() -> ApiError {
    ApiError::BadRequest(
        "cursor is damaged: use the cursor of the previous answer's next URL as it was given"
            .into(),
    )
}

impl Cursor {
    /// The cursor as clients see it.
    pub fn encode(&self) -> String {
        let mut bytes = vec![CURSOR_LAYOUT, self.version.len().min(255) as u8];
        bytes.extend_from_slice(&self.version.as_bytes()[..self.version.len().min(255)]);
        bytes.extend_from_slice(&self.fingerprint.to_le_bytes());
        bytes.extend_from_slice(&self.at.month.index().to_le_bytes());
        bytes.extend_from_slice(&self.at.position.to_le_bytes());
        let check = fnv1a(FNV_OFFSET, &bytes) as u32;
        bytes.extend_from_slice(&check.to_le_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A cursor from its text; 400 when it is not one this server made.
    pub fn decode(text: &str) -> Result<Cursor, ApiError> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| damaged())?;
        let (payload, check) = bytes.split_last_chunk::<4>().ok_or_else(damaged)?;
        if fnv1a(FNV_OFFSET, payload) as u32 != u32::from_le_bytes(*check) {
            return Err(damaged());
        }
        let [layout, version_len, rest @ ..] = payload else { return Err(damaged()) };
        if *layout == EARLIER_CURSOR_LAYOUT {
            return Err(ApiError::Gone(
                "this cursor was made by an earlier version of the server, whose positions \
                 differ; start again without cursor"
                    .into(),
            ));
        }
        if *layout != CURSOR_LAYOUT || rest.len() != usize::from(*version_len) + 16 {
            return Err(damaged());
        }
        let (version, numbers) = rest.split_at(usize::from(*version_len));
        let version = std::str::from_utf8(version).map_err(|_| damaged())?.to_owned();
        let word = |range: std::ops::Range<usize>| numbers.get(range).ok_or_else(damaged);
        let fingerprint = u64::from_le_bytes(word(0..8)?.try_into().map_err(|_| damaged())?);
        let month = u32::from_le_bytes(word(8..12)?.try_into().map_err(|_| damaged())?);
        let position = u32::from_le_bytes(word(12..16)?.try_into().map_err(|_| damaged())?);
        let month = Month::from_index(month).ok_or_else(damaged)?;
        Ok(Cursor { version, fingerprint, at: WalkPosition { month, position } })
    }

    /// Where to go on from, when the cursor was made for `version` of the data and this
    /// query (`fingerprint`) in the period `from`..=`to`: 410 for another version, 400 for
    /// another query.
    pub fn resume(
        &self,
        version: &str,
        fingerprint: u64,
        (from, to): (Month, Month),
    ) -> Result<WalkPosition, ApiError> {
        if self.version != version {
            return Err(ApiError::Gone(
                "the data changed since this cursor was made (a new import): its positions \
                 name other crimes now; start again without cursor"
                    .into(),
            ));
        }
        if self.fingerprint != fingerprint || self.at.month < from || self.at.month > to {
            return Err(ApiError::BadRequest(
                "cursor was made for other parameters: send the next URL as given (only limit \
                 and format may change)"
                    .into(),
            ));
        }
        Ok(self.at)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over `bytes`, from `hash`: stable across builds and machines (replicas agree).
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The parameters that do not change which records a list holds or their order: paging,
/// and the API key (`key`, which a client may also send as the `X-Api-Key` header instead).
const PAGING_PARAMETERS: [&str; 4] = ["cursor", "limit", "format", "key"];

/// A fingerprint of what a list request selects: the list route (`crimes`, `outcomes`, …),
/// its parameters but `cursor`, `limit`, `format` and `key`, in any order, and its body (a
/// POST's GeoJSON area).
pub fn query_fingerprint(route: &str, params: &Params, body: &[u8]) -> u64 {
    let mut pairs: Vec<&(String, String)> =
        params.pairs.iter().filter(|(k, _)| !PAGING_PARAMETERS.contains(&k.as_str())).collect();
    pairs.sort();
    let mut hash = fnv1a(FNV_OFFSET, route.as_bytes());
    hash = fnv1a(hash, &[0]);
    for (key, value) in pairs {
        hash = fnv1a(hash, key.as_bytes());
        hash = fnv1a(hash, &[0]);
        hash = fnv1a(hash, value.as_bytes());
        hash = fnv1a(hash, &[0]);
    }
    hash = fnv1a(hash, &[1]);
    fnv1a(hash, body)
}

/// The URL of the next page: the request's path and query with `cursor` set to `cursor`.
pub fn next_url(request: &HttpRequest, cursor: &str) -> String {
    let mut url = request.path().to_owned();
    url.push('?');
    for part in request.query_string().split('&').filter(|part| !part.is_empty()) {
        let key = part.split('=').next().unwrap_or("");
        if key != "cursor" {
            url.push_str(part);
            url.push('&');
        }
    }
    url.push_str("cursor=");
    url.push_str(cursor);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_ignores_paging_and_the_api_key_only() {
        let fingerprint = |pairs: &[(&str, &str)]| {
            let params = Params {
                pairs: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            };
            query_fingerprint("crimes", &params, b"")
        };
        let base = fingerprint(&[("force", "kent"), ("from", "2024-01")]);
        assert_eq!(base, fingerprint(&[("from", "2024-01"), ("force", "kent")]));
        assert_eq!(
            base,
            fingerprint(&[
                ("force", "kent"),
                ("key", "pak_1"),
                ("from", "2024-01"),
                ("limit", "5")
            ])
        );
        assert_ne!(base, fingerprint(&[("force", "kent"), ("from", "2024-02")]));
        assert_ne!(base, fingerprint(&[("force", "kent"), ("from", "2024-01"), ("category", "x")]));
    }

    #[test]
    fn cursors_round_trip_and_damage_is_noticed() {
        let cursor = Cursor {
            version: "12.40.3.3".into(),
            fingerprint: 0x0123_4567_89ab_cdef,
            at: WalkPosition { month: Month::new(2024, 2).unwrap(), position: 123_456 },
        };
        let text = cursor.encode();
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Cursor::decode(&text).unwrap(), cursor);
        // Any one character changed is noticed.
        for i in 0..text.len() {
            let mut bytes = text.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert!(Cursor::decode(&tampered).is_err(), "{tampered}");
        }
        assert!(Cursor::decode("").is_err());
        assert!(Cursor::decode("not a cursor!").is_err());
        assert!(Cursor::decode(&text[..text.len() - 2]).is_err());
        let period = (Month::new(2024, 1).unwrap(), Month::new(2024, 3).unwrap());
        assert_eq!(cursor.resume("12.40.3.3", cursor.fingerprint, period), Ok(cursor.at));
        assert!(matches!(
            cursor.resume("13.41.3.3", cursor.fingerprint, period),
            Err(ApiError::Gone(_))
        ));
        assert!(matches!(cursor.resume("12.40.3.3", 7, period), Err(ApiError::BadRequest(_))));
        // A cursor of the earlier layout (positions counted another way) is gone, not used.
        let mut earlier = URL_SAFE_NO_PAD.decode(&text).unwrap();
        earlier[0] = EARLIER_CURSOR_LAYOUT;
        let payload = earlier.len() - 4;
        let check = (fnv1a(FNV_OFFSET, &earlier[..payload]) as u32).to_le_bytes();
        earlier[payload..].copy_from_slice(&check);
        let earlier = URL_SAFE_NO_PAD.encode(earlier);
        assert!(matches!(Cursor::decode(&earlier), Err(ApiError::Gone(_))));
    }

    #[test]
    fn accept_headers_choose_the_format() {
        assert_eq!(negotiate(""), Ok(ListFormat::Json));
        assert_eq!(negotiate("*/*"), Ok(ListFormat::Json));
        assert_eq!(negotiate("text/csv"), Ok(ListFormat::Csv));
        assert_eq!(
            negotiate("application/geo+json, application/json;q=0.9"),
            Ok(ListFormat::GeoJson)
        );
        assert_eq!(negotiate("application/json;q=0.5, text/csv"), Ok(ListFormat::Csv));
        assert_eq!(negotiate("text/html, text/*;q=0.1"), Ok(ListFormat::Csv));
        assert!(matches!(negotiate("text/html"), Err(ApiError::NotAcceptable(_))));
        assert!(matches!(negotiate("text/csv;q=0"), Err(ApiError::NotAcceptable(_))));
    }
}
