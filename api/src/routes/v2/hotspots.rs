//! `/api/v2/crimes/hotspots`: the snap points, or the cells of a fixed grid, with the most
//! crimes in an area over a period.

use actix_web::{route, web, HttpRequest, HttpResponse};
use police_index::crimes::{CategoryCounts, Grid, HotSpotSummary, TooManyCells};
use police_index::reference::crime_category;
use police_openapi::{
    CrimeHotSpotGrid, CrimeHotSpots, HotSpotCell, HotSpotPoint, HotSpotsAnswer, PeriodMonthEcho,
    SlugCounts,
};
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::params::{self, CategoriesQuery, CrimeQuestion, Params, PeriodQuery, V2AreaQuery};
use crate::render;
use crate::state::AppState;

/// Hot spots: the snap points listed when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 10;
/// The most snap points one answer lists.
pub const MAX_LIMIT: u32 = 100;
/// The smallest and largest grid cell, in metres.
pub const CELL_RANGE_M: (f64, f64) = (50.0, 5_000.0);
/// The most grid cells one answer lists.
pub const MAX_CELLS: usize = 10_000;

/// What to answer with: the busiest snap points, or grid cells.
#[derive(Debug, Clone, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotSpotsQuery {
    /// How many snap points to answer, from 1 to 100; default 10. Not with `cell`
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 10)]
    limit: Option<String>,
    /// Answer the cells of a fixed grid instead of snap points: the cells' side in metres, from 50 to 5000. Rows are `cell` metres tall counted from the equator; each row's columns, counted from the prime meridian, are `cell` metres wide at the row's middle latitude (sphere of radius 6,371,008.8 m). At most 10,000 non-empty cells: more is a 400
    #[param(value_type = Option<f64>, minimum = 50, maximum = 5000, example = 500)]
    cell: Option<String>,
}

/// The form of the answer asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HotSpotsKind {
    /// The `limit` busiest snap points.
    Points { limit: u32 },
    /// The non-empty cells of a grid.
    Grid(Grid),
}

impl HotSpotsQuery {
    /// `limit` and `cell` among `params`; an empty value counts as not given.
    pub fn from_params(params: &Params) -> Self {
        let text = |key| params.get(key).filter(|v| !v.is_empty()).map(str::to_owned);
        HotSpotsQuery { limit: text("limit"), cell: text("cell") }
    }

    /// Snap points or a grid: 400 for a `limit` or `cell` out of range or not a number, and
    /// for both at once.
    pub fn kind(&self) -> Result<HotSpotsKind, ApiError> {
        let Some(cell) = &self.cell else {
            let limit = params::limit_from(
                self.limit.as_deref(),
                DEFAULT_LIMIT as usize,
                MAX_LIMIT as usize,
            )? as u32;
            return Ok(HotSpotsKind::Points { limit });
        };
        if self.limit.is_some() {
            return Err(ApiError::BadRequest(
                "give limit or cell, not both: a grid (cell) answers every cell with crimes".into(),
            ));
        }
        let (smallest, largest) = CELL_RANGE_M;
        let size_m = cell
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|size| (smallest..=largest).contains(size))
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "cell must be a number of metres from {smallest} to {largest}, got {cell:?}"
                ))
            })?;
        Ok(HotSpotsKind::Grid(Grid::new(size_m)))
    }
}

/// Crime hot spots.
///
/// The places with the most crimes in an area over a period: by default the `limit` snap
/// points (the anonymised map points crimes are published at) with the most crimes, each
/// with its street name, coordinates, total, crimes per month, number of months with at
/// least one crime (repeat locations) and crimes per category; ties go to the lower
/// `location_id`. With `cell`, the cells of a fixed grid of that size in metres instead,
/// each non-empty cell with its edges, centre, total and months with crime, for heat maps.
///
/// The area (including POST with a GeoJSON body), period and categories are read as by
/// `/api/v2/crimes/counts`, and mean the same crimes. Crimes without a location (a force's, or the whole country's) are in no
/// hot spot: `unlocated` counts them. A month of the period this server holds no data for
/// is `"missing": true`, and its per-month counts are `null`.
#[utoipa::path(
    tag = "v2",
    params(V2AreaQuery, PeriodQuery, CategoriesQuery, HotSpotsQuery),
    request_body(
        content = Object,
        content_type = "application/geo+json",
        description = "For POST: the area as a GeoJSON Polygon or MultiPolygon (or a Feature of one), positions [longitude, latitude], at most 10,000 vertices; no other area parameter then",
        example = json!({"type": "Polygon", "coordinates": [[[-1.14, 52.62], [-1.12, 52.62], [-1.12, 52.64], [-1.14, 52.64], [-1.14, 52.62]]]}),
    ),
    responses(
        (status = 200, description = "The busiest snap points, or without `limit` and with `cell` the grid cells with crimes", body = HotSpotsAnswer),
        (status = 400, description = "A malformed area (or GeoJSON body), period or category (as for counts); a limit outside 1 to 100; a cell outside 50 to 5000 metres; limit and cell together; more than 10,000 cells with crimes", content_type = "text/plain"),
        (status = 404, description = "Unknown force, neighbourhood or LSOA code, or no crime data at all and no `to`", content_type = "text/plain"),
    )
)]
#[route("/crimes/hotspots", method = "GET", method = "POST")]
pub async fn crime_hotspots(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request)?;
    let snapshot = state.current();
    let CrimeQuestion { area, from, to, categories } =
        CrimeQuestion::read(&params, &request, &body, &snapshot)?;
    let index = &snapshot.index;
    let kind = HotSpotsQuery::from_params(&params).kind()?;

    let slugs: Vec<&'static str> = categories.iter().map(|&c| crime_category(c).slug).collect();
    let answer = match kind {
        HotSpotsKind::Points { limit } => {
            let found = index.crime_hotspots(from, to, area.scope(), &categories, limit as usize);
            let held: Vec<bool> = found.summary.months.iter().map(|m| m.held).collect();
            let hotspots = found
                .spots
                .iter()
                .map(|spot| {
                    let point = index.point(spot.point);
                    HotSpotPoint {
                        location_id: point.id,
                        street: point.name.to_string(),
                        latitude: point.latitude,
                        longitude: point.longitude,
                        total: spot.total,
                        months_with_crime: spot.months_with_crime,
                        monthly: spot
                            .monthly
                            .iter()
                            .zip(&held)
                            .map(|(&count, &held)| held.then_some(count))
                            .collect(),
                        counts: slug_counts(&categories, &spot.categories),
                    }
                })
                .collect();
            HotSpotsAnswer::Points(CrimeHotSpots {
                area: area.echo(),
                from: from.to_string(),
                to: to.to_string(),
                categories: slugs,
                months: months(&found.summary),
                located: found.summary.located,
                unlocated: found.summary.unlocated,
                points_with_crime: found.points_with_crime,
                limit: limit as usize,
                hotspots,
            })
        }
        HotSpotsKind::Grid(grid) => {
            let found = index
                .crime_grid(from, to, area.scope(), &categories, grid, MAX_CELLS)
                .map_err(|TooManyCells { cap }| {
                    ApiError::BadRequest(format!(
                        "cell: more than {cap} cells of {} m have crimes in this area and \
                         period; give a bigger cell or a smaller area",
                        grid.size_m()
                    ))
                })?;
            let cells = found
                .cells
                .iter()
                .map(|count| {
                    let bounds = grid.bounds(count.cell);
                    HotSpotCell {
                        row: count.cell.row,
                        column: count.cell.column,
                        south: bounds.south,
                        west: bounds.west,
                        north: bounds.north,
                        east: bounds.east,
                        latitude: (bounds.south + bounds.north) / 2.0,
                        longitude: (bounds.west + bounds.east) / 2.0,
                        total: count.total,
                        months_with_crime: count.months_with_crime,
                    }
                })
                .collect();
            HotSpotsAnswer::Grid(CrimeHotSpotGrid {
                area: area.echo(),
                from: from.to_string(),
                to: to.to_string(),
                categories: slugs,
                months: months(&found.summary),
                located: found.summary.located,
                unlocated: found.summary.unlocated,
                cell: grid.size_m(),
                cells,
            })
        }
    };
    render::json_response(&answer)
}

/// The asked-for categories' counts, by slug.
fn slug_counts(categories: &[u8], counts: &CategoryCounts) -> SlugCounts {
    SlugCounts(
        categories.iter().map(|&c| (crime_category(c).slug, counts[usize::from(c)])).collect(),
    )
}

/// The period's months, with the missing ones marked.
fn months(summary: &HotSpotSummary) -> Vec<PeriodMonthEcho> {
    summary
        .months
        .iter()
        .map(|month| PeriodMonthEcho {
            month: month.month.to_string(),
            missing: !month.held,
            missing_forces: month.missing_forces.iter().map(|f| f.to_string()).collect(),
        })
        .collect()
}
