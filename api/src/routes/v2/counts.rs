//! `/api/v2/crimes/counts`: crimes per month and category in an area over a period.

use actix_web::{get, web, HttpRequest, HttpResponse};
use police_index::crimes::CATEGORY_COUNT;
use police_index::reference::crime_category;
use police_openapi::{AreaEcho, CrimeCounts, MonthCrimeCounts, SlugCounts};

use super::outcomes::LastOutcomesByMonth;
use crate::error::ApiError;
use crate::params::{CategoriesQuery, LastOutcomesQuery, Params, PeriodQuery, V2Area, V2AreaQuery};
use crate::render;
use crate::state::AppState;

/// Crime counts per month and category.
///
/// How many crimes of each category an area had in each month of a period. The area is one
/// of: `lat`+`lng` with an optional `radius` (metres, default one mile, at most 20,000), a
/// polygon `poly`, or a `force` (its crimes with or without a location); with none of them,
/// all of England, Wales and Northern Ireland (every crime, with or without a location).
/// Circles and polygons count the crimes mapped inside, as `crimes-street` lists them.
/// `from` and `to` (`YYYY-MM`, inclusive, any span) default to the year up to the latest
/// month with crime data. A month of the period this server holds no crime data for is
/// `"missing": true` with no counts; a month held with no crimes in the area counts zeros.
/// `category` takes one slug or several, comma-separated (default `all-crime`). Unlike
/// police.uk's routes, which read an unknown category as all crime, this route answers 400
/// to an unknown slug, and to any malformed parameter, naming it. With `last_outcomes=true`,
/// each month held and the period also count the crimes of those categories by last outcome
/// (as `/api/v2/outcomes/counts` does).
#[utoipa::path(
    tag = "v2",
    params(V2AreaQuery, PeriodQuery, CategoriesQuery, LastOutcomesQuery),
    responses(
        (status = 200, description = "Crimes per month and category", body = CrimeCounts),
        (status = 400, description = "More than one area, radius without lat/lng or out of range, a non-numeric lat/lng, a malformed poly, a malformed from/to or from after to, an unknown category, last_outcomes neither true nor false", content_type = "text/plain"),
        (status = 404, description = "Unknown force, or no crime data at all and no `to`", content_type = "text/plain"),
    )
)]
#[get("/crimes/counts")]
pub async fn crime_counts(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let area = V2AreaQuery::from_params(&params).area()?;
    let snapshot = state.current();
    let latest = snapshot.index.crime_months().last();
    let (from, to) = PeriodQuery::from_params(&params).period(latest)?;
    let categories = CategoriesQuery::from_params(&params).categories()?;
    let last_outcomes = LastOutcomesQuery::from_params(&params).wanted()?.then(|| {
        LastOutcomesByMonth::count(&snapshot.index, (from, to), area.scope(), &categories)
    });

    let slugs = |counts: &[u64; CATEGORY_COUNT]| {
        SlugCounts(
            categories.iter().map(|&c| (crime_category(c).slug, counts[usize::from(c)])).collect(),
        )
    };
    let mut totals = [0u64; CATEGORY_COUNT];
    let months = snapshot
        .index
        .crime_counts(from, to, area.scope())
        .into_iter()
        .map(|month| {
            let counts = month.counts.map(|counts| {
                for (total, count) in totals.iter_mut().zip(counts) {
                    *total += count;
                }
                slugs(&counts)
            });
            let total = counts.as_ref().map(|c| c.0.iter().map(|(_, n)| n).sum());
            MonthCrimeCounts {
                month: month.month.to_string(),
                missing: counts.is_none(),
                counts,
                total,
                last_outcomes: None,
            }
        })
        .collect();
    let totals = slugs(&totals);
    let mut answer = CrimeCounts {
        area: match area {
            V2Area::Circle { lat, lng, radius_m, .. } => {
                AreaEcho::Circle { lat, lng, radius: radius_m }
            }
            V2Area::Polygon { poly, .. } => AreaEcho::Polygon { poly },
            V2Area::Force(force) => AreaEcho::Force { force },
            V2Area::National => AreaEcho::National,
        },
        from: from.to_string(),
        to: to.to_string(),
        categories: categories.iter().map(|&c| crime_category(c).slug).collect(),
        months,
        total: totals.0.iter().map(|(_, n)| n).sum(),
        totals,
        last_outcomes: None,
    };
    if let Some(last_outcomes) = last_outcomes {
        last_outcomes.fill(&mut answer);
    }
    render::json_response(&answer)
}
