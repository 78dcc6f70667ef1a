//! Neighbourhoods: `/api/{force}/neighbourhoods`, `/api/{force}/{neighbourhood}` and its
//! `boundary`, `people`, `events` and `priorities`, and `/api/locate-neighbourhood`. Every
//! answer but the boundary is pre-rendered in the snapshot; the boundary is written from its
//! polygons.
//!
//! The `/{force}/…` patterns match any path of two or three segments, so they are registered
//! after every fixed route (see `routes::configure`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use police_index::neighbourhoods::{ForceResources, NeighbourhoodResources};
use police_openapi::{
    BoundaryPoint, LocatedNeighbourhood, NeighbourhoodDetail, NeighbourhoodEvent,
    NeighbourhoodPriority, NeighbourhoodSummary, Person,
};
use police_store::snapshot::Snapshot;

use crate::error::ApiError;
use crate::params::{ForcePath, LocateQuery, NeighbourhoodPath, Params};
use crate::render::{json_body, json_bytes};
use crate::state::AppState;

fn force<'a>(snapshot: &'a Snapshot, id: &str) -> Result<&'a ForceResources, ApiError> {
    snapshot.neighbourhoods.force(id).ok_or(ApiError::RouteNotFound)
}

fn neighbourhood<'a>(
    snapshot: &'a Snapshot,
    path: &NeighbourhoodPath,
) -> Result<&'a NeighbourhoodResources, ApiError> {
    force(snapshot, &path.force)?.neighbourhood(&path.neighbourhood).ok_or(ApiError::RouteNotFound)
}

/// Neighbourhoods of a force.
///
/// Every neighbourhood of the force: those of the imported list in its order, then any known
/// only from a boundary or a detail file, by id (named by their id until a list or detail
/// file names them).
#[utoipa::path(
    tag = "neighbourhoods",
    params(ForcePath),
    responses(
        (status = 200, description = "The force's neighbourhoods", body = [NeighbourhoodSummary]),
        (status = 404, description = "Unknown force: `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/{force}/neighbourhoods")]
pub async fn neighbourhoods(
    state: web::Data<AppState>,
    path: web::Path<ForcePath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    Ok(json_bytes(&force(&snapshot, &path.force)?.neighbourhood_list))
}

/// Specific neighbourhood.
///
/// Ids are case-sensitive. `centre` is the imported one, or else the middle of the
/// boundary's bounding box (`null` without either); `welcome_message` appears only when
/// imported.
#[utoipa::path(
    tag = "neighbourhoods",
    params(NeighbourhoodPath),
    responses(
        (status = 200, description = "The neighbourhood", body = NeighbourhoodDetail),
        (status = 404, description = "Unknown force or neighbourhood: `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/{force}/{neighbourhood}")]
pub async fn neighbourhood_detail(
    state: web::Data<AppState>,
    path: web::Path<NeighbourhoodPath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    Ok(json_bytes(&neighbourhood(&snapshot, &path)?.detail))
}

/// Neighbourhood boundary.
///
/// The boundary as one ring of `{latitude, longitude}` strings with 10 decimals, the first
/// vertex repeated last. A boundary with holes or several parts is one "keyhole" ring: each
/// ring closed in turn, then back along the same connecting segments, so that under the
/// even-odd rule (that of `poly`) it covers exactly the neighbourhood. `[]` when no boundary
/// was imported.
#[utoipa::path(
    tag = "neighbourhoods",
    params(NeighbourhoodPath),
    responses(
        (status = 200, description = "The boundary's vertices", body = [BoundaryPoint]),
        (status = 404, description = "Unknown force or neighbourhood: `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/{force}/{neighbourhood}/boundary")]
pub async fn neighbourhood_boundary(
    state: web::Data<AppState>,
    path: web::Path<NeighbourhoodPath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let body = snapshot.neighbourhoods.boundary_json(neighbourhood(&snapshot, &path)?);
    Ok(json_body(body))
}

/// Neighbourhood team.
#[utoipa::path(
    tag = "neighbourhoods",
    params(NeighbourhoodPath),
    responses(
        (status = 200, description = "The team; `[]` when none was imported", body = [Person]),
        (status = 404, description = "Unknown force or neighbourhood: `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/{force}/{neighbourhood}/people")]
pub async fn neighbourhood_people(
    state: web::Data<AppState>,
    path: web::Path<NeighbourhoodPath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    Ok(json_bytes(&neighbourhood(&snapshot, &path)?.people))
}

/// Neighbourhood events.
///
/// As imported (police.uk lists upcoming events only, by start date).
#[utoipa::path(
    tag = "neighbourhoods",
    params(NeighbourhoodPath),
    responses(
        (status = 200, description = "Events; `[]` when none were imported", body = [NeighbourhoodEvent]),
        (status = 404, description = "Unknown force or neighbourhood: `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/{force}/{neighbourhood}/events")]
pub async fn neighbourhood_events(
    state: web::Data<AppState>,
    path: web::Path<NeighbourhoodPath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    Ok(json_bytes(&neighbourhood(&snapshot, &path)?.events))
}

/// Neighbourhood priorities.
#[utoipa::path(
    tag = "neighbourhoods",
    params(NeighbourhoodPath),
    responses(
        (status = 200, description = "Priorities; `[]` when none were imported", body = [NeighbourhoodPriority]),
        (status = 404, description = "Unknown force or neighbourhood: `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/{force}/{neighbourhood}/priorities")]
pub async fn neighbourhood_priorities(
    state: web::Data<AppState>,
    path: web::Path<NeighbourhoodPath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    Ok(json_bytes(&neighbourhood(&snapshot, &path)?.priorities))
}

/// Locate a neighbourhood.
///
/// The force and neighbourhood whose boundary holds the point `q=lat,lng` (boundaries
/// inclusive, holes excluded). Where boundaries overlap, the neighbourhood listed first wins
/// (forces in `/api/forces` order, then each force's list order).
#[utoipa::path(
    tag = "neighbourhoods",
    params(LocateQuery),
    responses(
        (status = 200, description = "The neighbourhood", body = LocatedNeighbourhood),
        (status = 404, description = "Outside every boundary, or a malformed `q`: `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/locate-neighbourhood")]
pub async fn locate_neighbourhood(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let params = Params::from_query(&request).map_err(|_| ApiError::RouteNotFound)?;
    let (lat, lng) = LocateQuery::from_params(&params).point()?;
    let snapshot = state.current();
    let located = snapshot.neighbourhoods.locate(lat, lng).ok_or(ApiError::RouteNotFound)?;
    Ok(json_bytes(located))
}
