//! `/api/forces` and, in time, the force detail routes.

use actix_web::{get, web, HttpResponse};
use police_openapi::ForceSummary;

use crate::server::{json_response, AppState};

/// List of forces.
///
/// All 43 territorial forces of England and Wales plus the Police Service of Northern
/// Ireland, in police.uk's order. British Transport Police is not listed (as on police.uk).
#[utoipa::path(
    tag = "forces",
    responses((status = 200, description = "Every force", body = [ForceSummary]))
)]
#[get("/forces")]
pub async fn list_forces(state: web::Data<AppState>) -> HttpResponse {
    let snapshot = state.current();
    let forces: Vec<ForceSummary> = snapshot
        .forces
        .iter()
        .map(|f| ForceSummary { id: f.id.clone(), name: f.name.clone() })
        .collect();
    json_response(&forces)
}
