//! `/api/v2/crimes/compare`: up to 20 areas side by side, with sizes, densities, and a
//! neighbourhood's band among its force's neighbourhoods.

use std::collections::HashMap;

use actix_web::{get, web, HttpRequest, HttpResponse};
use police_index::compare::{bands, count_selected};
use police_index::crimes::CATEGORY_COUNT;
use police_index::Month;
use police_openapi::{ComparedArea, CrimeComparison, DensityBand};
use police_store::snapshot::Snapshot;

use super::counts::{counts_answer, round_to};
use crate::error::ApiError;
use crate::params::{CategoriesQuery, CompareQuery, Params, PeriodQuery, V2Area};
use crate::render;
use crate::state::AppState;

/// Compare areas.
///
/// Up to 20 areas side by side over one period and set of categories: each area's monthly
/// counts (as `/api/v2/crimes/counts` gives them), its size in km² where this server holds
/// its boundary, its crimes per km², and for a neighbourhood its band among all the
/// neighbourhoods of its force: quintiles of crimes per km² over the period (High, Above
/// average, Average, Below average, Low; see `DensityBand`). Areas are given as repeated
/// `area` parameters, e.g. `area=neighbourhood:leicestershire/NC04&area=force:leicestershire`.
#[utoipa::path(
    tag = "v2",
    params(CompareQuery, PeriodQuery, CategoriesQuery),
    responses(
        (status = 200, description = "The areas side by side", body = CrimeComparison),
        (status = 400, description = "No area, more than 20, or a malformed one (the message names it); a malformed from/to or category", content_type = "text/plain"),
        (status = 404, description = "An area naming an unknown force, neighbourhood or LSOA, or no crime data at all and no `to`", content_type = "text/plain"),
    )
)]
#[get("/crimes/compare")]
pub async fn crime_compare(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let areas = CompareQuery::from_params(&params).areas(&snapshot)?;
    let latest = snapshot.index.crime_months().last();
    let (from, to) = PeriodQuery::from_params(&params).period(latest)?;
    let categories = CategoriesQuery::from_params(&params).categories()?;

    let mut force_bands = ForceBands::default();
    let compared = areas
        .iter()
        .map(|area| {
            let months = snapshot.index.crime_counts(from, to, area.scope());
            let counts = counts_answer(area, &months, &categories, None);
            let km2 = area_km2(&snapshot, area);
            let band = match area {
                V2Area::Neighbourhood { force, neighbourhood, .. } => force_bands
                    .of(&snapshot, force, (from, to), &categories)
                    .get(neighbourhood.as_str())
                    .cloned(),
                _ => None,
            };
            ComparedArea {
                area: counts.area,
                km2: km2.map(|k| round_to(k, 3)),
                per_km2: km2.filter(|k| *k > 0.0).map(|k| round_to(counts.total as f64 / k, 2)),
                band,
                months: counts.months,
                totals: counts.totals,
                total: counts.total,
            }
        })
        .collect();
    let categories =
        categories.iter().map(|&c| police_index::reference::crime_category(c).slug).collect();
    render::json_response(&CrimeComparison {
        from: from.to_string(),
        to: to.to_string(),
        categories,
        areas: compared,
    })
}

/// An area's size in km², where this server holds its boundary.
fn area_km2(snapshot: &Snapshot, area: &V2Area) -> Option<f64> {
    match area {
        V2Area::Circle { area, .. }
        | V2Area::Polygon { area, .. }
        | V2Area::Neighbourhood { area, .. }
        | V2Area::GeoJson { area } => Some(area.km2()),
        V2Area::Force(force) => {
            let neighbourhoods = snapshot.neighbourhood_areas.of_force(
                &snapshot.index,
                &snapshot.neighbourhoods,
                force,
            );
            (!neighbourhoods.is_empty()).then(|| neighbourhoods.iter().map(|n| n.km2).sum())
        }
        V2Area::Lsoa { .. } | V2Area::National => None,
    }
}

/// The bands of each force's neighbourhoods, worked out once per request and force.
#[derive(Default)]
struct ForceBands {
    forces: HashMap<String, HashMap<String, DensityBand>>,
}

impl ForceBands {
    /// Every neighbourhood (with a boundary of non-zero size) of `force` by id, with its band
    /// over the period in the categories.
    fn of(
        &mut self,
        snapshot: &Snapshot,
        force: &str,
        (from, to): (Month, Month),
        categories: &[u8],
    ) -> &HashMap<String, DensityBand> {
        self.forces.entry(force.to_owned()).or_insert_with(|| {
            let mut keep = [false; CATEGORY_COUNT];
            for &c in categories {
                keep[usize::from(c)] = true;
            }
            let neighbourhoods = snapshot.neighbourhood_areas.of_force(
                &snapshot.index,
                &snapshot.neighbourhoods,
                force,
            );
            let sized: Vec<_> = neighbourhoods.iter().filter(|n| n.km2 > 0.0).collect();
            let densities: Vec<f64> = sized
                .iter()
                .map(|n| {
                    count_selected(&snapshot.index, &n.selection, from, to, &keep) as f64 / n.km2
                })
                .collect();
            let of = sized.len();
            sized
                .iter()
                .zip(bands(&densities))
                .map(|(n, (band, rank))| {
                    (n.id.clone(), DensityBand { band: band.name(), rank, of })
                })
                .collect()
        })
    }
}
