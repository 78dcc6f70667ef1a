//! `/api/forces`, `/api/forces/{id}` and `/api/forces/{id}/people`.

use actix_web::{get, web, HttpResponse};
use police_openapi::{ForceDetail, ForceSummary, Person};

use crate::error::ApiError;
use crate::params::ForceIdPath;
use crate::render::{json_bytes, json_response};
use crate::state::AppState;

/// List of forces.
///
/// All 43 territorial forces of England and Wales plus the Police Service of Northern
/// Ireland, in police.uk's order. British Transport Police is not listed (as on police.uk).
#[utoipa::path(
    tag = "forces",
    responses((status = 200, description = "Every force", body = [ForceSummary]))
)]
#[get("/forces")]
pub async fn list_forces(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let forces: Vec<ForceSummary> = snapshot
        .forces
        .iter()
        .map(|f| ForceSummary { id: f.id.clone(), name: f.name.clone() })
        .collect();
    json_response(&forces)
}

/// Specific force.
///
/// A force's description, website, telephone number and ways to keep informed, as imported
/// from a saved police.uk response (`forces/<id>.json`); fields not imported are `null`.
/// British Transport Police (`btp`) is not a force here, as on police.uk.
#[utoipa::path(
    tag = "forces",
    params(ForceIdPath),
    responses(
        (status = 200, description = "The force", body = ForceDetail),
        (status = 404, description = "Unknown force (or `btp`): `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/forces/{id}")]
pub async fn force_detail(
    state: web::Data<AppState>,
    path: web::Path<ForceIdPath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let resources = snapshot.neighbourhoods.force(&path.id).ok_or(ApiError::RouteNotFound)?;
    Ok(json_bytes(&resources.detail))
}

/// Senior officers.
///
/// A force's senior officers as imported (`forces/<id>/people.json`); `[]` when none were.
#[utoipa::path(
    tag = "forces",
    params(ForceIdPath),
    responses(
        (status = 200, description = "Senior officers", body = [Person]),
        (status = 404, description = "Unknown force (or `btp`): `Not Found`", content_type = "text/plain"),
    )
)]
#[get("/forces/{id}/people")]
pub async fn force_people(
    state: web::Data<AppState>,
    path: web::Path<ForceIdPath>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let resources = snapshot.neighbourhoods.force(&path.id).ok_or(ApiError::RouteNotFound)?;
    Ok(json_bytes(&resources.people))
}
