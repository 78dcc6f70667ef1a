//! `/api/v2/stops/counts`: stop-and-search counts in an area over a period, grouped by any
//! of month and the stops' fields, with the shares disproportionality monitoring reads.

use actix_web::{route, web, HttpRequest, HttpResponse};
use police_index::stops::{
    StopCountsError, StopKeyValue, StopTally, MAX_STOP_DIMENSIONS, MAX_STOP_GROUPS,
};
use police_index::Month;
use police_openapi::{AreaEcho, StopCounts, StopGroupCounts, StopGroupKey, StopTallies};
use police_store::snapshot::Snapshot;

use crate::error::ApiError;
use crate::params::{Params, StopGroupingQuery, StopPeriodQuery, V2Area, V2AreaQuery};
use crate::render;
use crate::state::AppState;

/// Stop-and-search counts by group.
///
/// How many stops an area had over a period, grouped by `by`: any of `month`,
/// `self_defined_ethnicity`, `officer_defined_ethnicity`, `age_range`, `gender`,
/// `object_of_search`, `outcome`, `legislation` and `type` (at most 3, comma-separated; none:
/// one group of every stop). Each group gives its key (the values as police.uk publishes
/// them, `null` where the stops have none), the number of stops, how many had an outcome
/// linked to the object of search (of those where the link was recorded) and how many ended
/// in arrest (outcome `Arrest`, or the historic `Suspect arrested`), with both shares; then
/// the same over every stop. Groups are sorted by key.
///
/// The area is one of: `lat`+`lng` with an optional `radius` (metres, default one mile, at most
/// 20,000), a polygon `poly`, a `force` and its `neighbourhood`, or with POST a GeoJSON body,
/// counting the stops mapped inside (as `stops-street` lists them); a `force`, counting its
/// stops with or without a location; or none of them, every stop held. `lsoa` is a 400:
/// police.uk's stop-and-search files give no LSOA. `from` and `to` (`YYYY-MM`, inclusive) default to the year up to the latest
/// month with stop-and-search data. Months of the period this server holds no stop data for
/// are listed in `missing_months` and count nothing. The number of groups the dimensions
/// could give (the months of the period, or the distinct values held of a field, `null`
/// included, multiplied together) is at most 10,000; more is a 400.
#[utoipa::path(
    tag = "v2",
    params(V2AreaQuery, StopPeriodQuery, StopGroupingQuery),
    request_body(
        content = Object,
        content_type = "application/geo+json",
        description = "For POST: the area as a GeoJSON Polygon or MultiPolygon (or a Feature of one), positions [longitude, latitude], at most 10,000 vertices; no other area parameter then",
    ),
    responses(
        (status = 200, description = "Stops per group, with linked and arrest shares", body = StopCounts),
        (status = 400, description = "More than one area, radius without lat/lng or out of range, a non-numeric lat/lng, a malformed poly, a malformed from/to or from after to, an unknown dimension in by, more than 3 dimensions, or more than 10,000 possible groups", content_type = "text/plain"),
        (status = 404, description = "Unknown force, or no stop-and-search data at all and no `to`", content_type = "text/plain"),
    )
)]
#[route("/stops/counts", method = "GET", method = "POST")]
pub async fn stop_counts(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let StopQuestion { area, echo, from, to } =
        StopQuestion::read(&params, &request, &body, &snapshot)?;
    let by = StopGroupingQuery::from_params(&params).dimensions()?;

    let counts = snapshot.stops.stop_counts(&snapshot.index, from, to, area.scope(), &by).map_err(
        |error| match error {
            StopCountsError::TooManyDimensions(n) => ApiError::BadRequest(format!(
                "by: at most {MAX_STOP_DIMENSIONS} dimensions, got {n}"
            )),
            StopCountsError::NoLsoa => ApiError::BadRequest(LSOA_REFUSED.into()),
            StopCountsError::TooManyGroups(possible) => ApiError::BadRequest(format!(
                "by: {} could give {possible} groups from {from} to {to} (the months of the \
                 period and the values held of each field, multiplied); at most \
                 {MAX_STOP_GROUPS}: group by fewer dimensions or give a shorter period",
                by.iter().map(|d| d.name()).collect::<Vec<_>>().join(",")
            )),
        },
    )?;
    let groups = counts
        .groups
        .iter()
        .map(|group| StopGroupCounts {
            key: StopGroupKey(
                by.iter()
                    .zip(&group.key)
                    .map(|(dimension, value)| {
                        let value = match value {
                            StopKeyValue::Month(month) => Some(month.to_string()),
                            StopKeyValue::Text(text) => text.map(str::to_owned),
                        };
                        (dimension.name(), value)
                    })
                    .collect(),
            ),
            tallies: tallies(&group.tally),
        })
        .collect();
    let answer = StopCounts {
        area: echo,
        from: from.to_string(),
        to: to.to_string(),
        by: by.iter().map(|d| d.name()).collect(),
        missing_months: counts.missing_months.iter().map(ToString::to_string).collect(),
        groups,
        total: tallies(&counts.total),
    };
    render::json_response(&answer)
}

fn tallies(tally: &StopTally) -> StopTallies {
    StopTallies::new(tally.stops, tally.linked, tally.linked_recorded, tally.arrests)
}

/// The area as the answer echoes it, or a 400 for an area stops cannot be counted in. Any
/// area made of places counts the stops mapped inside, as a circle or polygon does (a
/// neighbourhood's boundary too); an area police.uk's stop-and-search files say nothing of
/// (an LSOA: they give none) is a 400 naming the parameter, before anything is counted.
/// What the v2 stop routes (counts, the list) read first, and read the same way: the area
/// (its parameters, or a POST's GeoJSON body; never an LSOA) and the period (by default the
/// 12 months to the latest month with stops).
pub(super) struct StopQuestion {
    pub area: V2Area,
    pub echo: AreaEcho,
    pub from: Month,
    pub to: Month,
}

impl StopQuestion {
    /// Reads the area and period of a request (`params` its query string, `body` its POST
    /// body), answering 400 (or 404 for an unknown force or neighbourhood, or no stops held
    /// and no `to`) for the first mistake.
    pub fn read(
        params: &Params,
        request: &HttpRequest,
        body: &[u8],
        snapshot: &Snapshot,
    ) -> Result<StopQuestion, ApiError> {
        if params.get("lsoa").is_some() {
            // Refused before the code is looked up among the crimes.
            return Err(ApiError::BadRequest(LSOA_REFUSED.into()));
        }
        let area = V2AreaQuery::from_params(params).area_of_request(request, body, snapshot)?;
        let echo = stop_area(&area)?;
        let (from, to) =
            StopPeriodQuery::from_params(params).period(snapshot.stops.latest_month())?;
        Ok(StopQuestion { area, echo, from, to })
    }
}

fn stop_area(area: &V2Area) -> Result<AreaEcho, ApiError> {
    match area {
        V2Area::Lsoa { .. } => Err(ApiError::BadRequest(LSOA_REFUSED.into())),
        V2Area::Circle { .. }
        | V2Area::Polygon { .. }
        | V2Area::Force(_)
        | V2Area::Neighbourhood { .. }
        | V2Area::GeoJson { .. }
        | V2Area::National => Ok(area.echo()),
    }
}

/// Why an LSOA is no area for stops.
pub(super) const LSOA_REFUSED: &str =
    "lsoa: police.uk's stop-and-search files give no LSOA; give a circle, poly, force or \
     neighbourhood";
