//! `/api/v2/outcomes/counts`: outcomes per month and the last outcomes of crimes in an area
//! over a period; and the `last_outcomes=true` breakdown of `/api/v2/crimes/counts`
//! ([`add_last_outcomes`]).
//!
//! A crime's last outcome is the street CSV's `Last outcome category`, counted under its
//! police.uk outcome code (as `outcomes-for-crime` gives them; published variants of a name
//! count as the name), `none` when the column is empty, or `other` for a name police.uk does
//! not list.

use actix_web::{route, web, HttpRequest, HttpResponse};
use police_index::crimes::{
    last_outcome_slug, CountScope, CrimeIndex, LastOutcomeCounts, CATEGORY_COUNT,
    LAST_OUTCOME_KINDS, OUTCOME_CATEGORY_COUNT,
};
use police_index::reference::{crime_category, OUTCOME_CATEGORIES};
use police_index::Month;
use police_openapi::{
    CategoryLastOutcomes, CrimeCounts, LastOutcomeShares, MonthOutcomeCounts, OutcomeCounts,
    PeriodLastOutcomes, SlugCounts, SlugShares,
};

use crate::error::ApiError;
use crate::params::{CategoriesQuery, CrimeQuestion, Params, PeriodQuery, V2AreaQuery};
use crate::render;
use crate::state::AppState;

/// Outcomes per month, and the share of crimes reaching each outcome.
///
/// Two views of police.uk's outcomes for an area and a period, over the crimes of the asked-for
/// categories. `months`: the outcomes recorded in each month of the period (the outcomes
/// data, by the month of the outcome, whatever the month of its crime), per outcome
/// category; a month this server holds no outcome data for is `"missing": true`.
/// `last_outcomes`: the crimes of the period (by the month of the crime; months without
/// crime data listed in `missing_months`) by their last outcome as the street data gives
/// it, with the share of the crimes of each category reaching each one. Outcome categories
/// are police.uk's outcome codes (as in `outcomes-for-crime`); a crime without a last outcome
/// (anti-social behaviour always) counts as `none`, one whose last outcome is a name police.uk
/// does not list as `other`. Outcome categories nothing reached are left out of each object.
///
/// The area is one of: `lat`+`lng` with an optional `radius` (metres, default one mile, at
/// most 20,000), a polygon `poly`, a `force` (with an optional `neighbourhood`), an `lsoa`,
/// or with POST a GeoJSON body; with none of them, all of England, Wales and Northern
/// Ireland. A circle, polygon or boundary takes the outcomes mapped inside (as
/// `outcomes-at-location`) and the crimes mapped inside (as `crimes-street`); a force or an
/// LSOA, the outcomes of its crimes and its crimes, with or without a location. `from` and `to`
/// (`YYYY-MM`, inclusive) default to the year up to the latest month with crime data.
/// `category` takes slugs, comma-separated (default `all-crime`); an unknown slug, or any
/// malformed parameter, is a 400 naming it.
#[utoipa::path(
    tag = "v2",
    params(V2AreaQuery, PeriodQuery, CategoriesQuery),
    request_body(
        content = Object,
        content_type = "application/geo+json",
        description = "For POST: the area as a GeoJSON Polygon or MultiPolygon (or a Feature of one), positions [longitude, latitude], at most 10,000 vertices; no other area parameter then",
    ),
    responses(
        (status = 200, description = "Outcomes per month and last outcomes of the period's crimes", body = OutcomeCounts),
        (status = 400, description = "More than one area, radius without lat/lng or out of range, a non-numeric lat/lng, a malformed poly, a malformed from/to or from after to, an unknown category", content_type = "text/plain"),
        (status = 404, description = "Unknown force, or no crime data at all and no `to`", content_type = "text/plain"),
    )
)]
#[route("/outcomes/counts", method = "GET", method = "POST")]
pub async fn outcome_counts(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let CrimeQuestion { area, from, to, categories } =
        CrimeQuestion::read(&params, &request, &body, &snapshot)?;
    let index = &snapshot.index;

    let mut totals = [0u64; OUTCOME_CATEGORY_COUNT];
    let months = index
        .outcome_counts(from, to, area.scope(), &categories)
        .into_iter()
        .map(|month| {
            let counts = month.counts.map(|counts| {
                for (total, count) in totals.iter_mut().zip(counts) {
                    *total += count;
                }
                outcome_slugs(&counts)
            });
            MonthOutcomeCounts {
                month: month.month.to_string(),
                missing: counts.is_none(),
                total: counts.as_ref().map(sum),
                counts,
            }
        })
        .collect();
    let totals = outcome_slugs(&totals);

    let mut missing_months = Vec::new();
    let mut by_category = [[0u64; LAST_OUTCOME_KINDS]; CATEGORY_COUNT];
    for month in index.last_outcome_counts(from, to, area.scope()) {
        let Some(counts) = month.counts else {
            missing_months.push(month.month.to_string());
            continue;
        };
        for (total, counts) in by_category.iter_mut().zip(counts.iter()) {
            add(total, counts);
        }
    }
    let mut all = [0u64; LAST_OUTCOME_KINDS];
    for &category in &categories {
        add(&mut all, &by_category[usize::from(category)]);
    }
    let last_outcomes = PeriodLastOutcomes {
        missing_months,
        all: shares(&all),
        by_category: categories
            .iter()
            .map(|&category| CategoryLastOutcomes {
                category: crime_category(category).slug,
                last_outcomes: shares(&by_category[usize::from(category)]),
            })
            .collect(),
    };

    let answer = OutcomeCounts {
        area: area.echo(),
        from: from.to_string(),
        to: to.to_string(),
        categories: categories.iter().map(|&c| crime_category(c).slug).collect(),
        months,
        total: sum(&totals),
        totals,
        last_outcomes,
    };
    render::json_response(&answer)
}

/// The `last_outcomes` of a `/api/v2/crimes/counts` answer: per month and over the period,
/// the crimes of the asked-for categories per last outcome.
pub(super) struct LastOutcomesByMonth {
    /// Each month of the period, oldest first; `None` for a month without crime data.
    months: Vec<Option<SlugCounts>>,
    totals: SlugCounts,
}

impl LastOutcomesByMonth {
    /// Counts the crimes of `categories` in `scope` from `from` to `to` per last outcome.
    pub(super) fn count(
        index: &CrimeIndex,
        (from, to): (Month, Month),
        scope: CountScope<'_>,
        categories: &[u8],
    ) -> Self {
        let mut totals = [0u64; LAST_OUTCOME_KINDS];
        let months = index
            .last_outcome_counts(from, to, scope)
            .into_iter()
            .map(|month| {
                let counts = month.counts?;
                let mut of_month = [0u64; LAST_OUTCOME_KINDS];
                for &category in categories {
                    add(&mut of_month, &counts[usize::from(category)]);
                }
                add(&mut totals, &of_month);
                Some(last_outcome_slugs(&of_month))
            })
            .collect();
        LastOutcomesByMonth { months, totals: last_outcome_slugs(&totals) }
    }

    /// Puts the counts into `answer`, whose months are the same period's.
    pub(super) fn fill(self, answer: &mut CrimeCounts) {
        for (month, counts) in answer.months.iter_mut().zip(self.months) {
            // A month missing for the area's forces has no counts of any kind.
            month.last_outcomes = counts.filter(|_| !month.missing);
        }
        answer.last_outcomes = Some(self.totals);
    }
}

fn add(total: &mut LastOutcomeCounts, counts: &LastOutcomeCounts) {
    for (total, count) in total.iter_mut().zip(counts) {
        *total += count;
    }
}

fn sum(counts: &SlugCounts) -> u64 {
    counts.0.iter().map(|(_, n)| n).sum()
}

/// The outcome categories with outcomes, keyed by code in police.uk's order.
fn outcome_slugs(counts: &[u64; OUTCOME_CATEGORY_COUNT]) -> SlugCounts {
    SlugCounts(
        OUTCOME_CATEGORIES
            .iter()
            .zip(counts)
            .filter(|(_, &count)| count > 0)
            .map(|(category, &count)| (category.code, count))
            .collect(),
    )
}

/// The last outcomes some crime reached, keyed by slug: outcome codes, `none`, `other`.
fn last_outcome_slugs(counts: &LastOutcomeCounts) -> SlugCounts {
    SlugCounts(
        counts
            .iter()
            .enumerate()
            .filter(|(_, &count)| count > 0)
            .map(|(kind, &count)| (last_outcome_slug(kind), count))
            .collect(),
    )
}

fn shares(counts: &LastOutcomeCounts) -> LastOutcomeShares {
    let crimes: u64 = counts.iter().sum();
    let counts = last_outcome_slugs(counts);
    let shares = SlugShares(
        counts.0.iter().map(|&(slug, count)| (slug, count as f64 / crimes as f64)).collect(),
    );
    LastOutcomeShares { crimes, counts, shares }
}
