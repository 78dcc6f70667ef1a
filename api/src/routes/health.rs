//! `/healthz` and `/readyz`: for load balancers and operators, off the police.uk surface.

use actix_web::{get, web, HttpResponse};

use police_openapi::{DatabaseReadiness, Readiness, SnapshotReadiness, UtcDateTime};

use crate::error::ApiError;
use crate::render;
use crate::state::{unix_seconds, AppState};

/// Whether the process is up: `ok` whenever it answers at all.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is up", content_type = "text/plain", body = String, example = "ok")),
)]
#[get("")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok")
}

/// Whether this replica answers from a loaded snapshot (always, once it serves), and what
/// the snapshot refresher last saw of the store: `degraded` (still 200: answers come from
/// memory and stay right) while PostgreSQL cannot be reached, when imports are not seen.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "`ready`, or `degraded` while the store cannot be reached", body = Readiness)),
)]
#[get("")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let served = state.current();
    let loaded = unix_seconds(served.served_since);
    let now = unix_seconds(std::time::SystemTime::now());
    let health = state.database();
    let lost = health.lost_since();
    let database = match (&lost, health.is_watched()) {
        (Some(lost), _) => DatabaseReadiness {
            status: "unreachable",
            unreachable_since: Some(UtcDateTime(lost.since).to_string()),
            error: Some(lost.error.clone()),
        },
        (None, true) => {
            DatabaseReadiness { status: "reachable", unreachable_since: None, error: None }
        }
        (None, false) => {
            DatabaseReadiness { status: "unwatched", unreachable_since: None, error: None }
        }
    };
    render::json_response(&Readiness {
        status: if lost.is_some() { "degraded" } else { "ready" },
        snapshot: SnapshotReadiness {
            version: served.version.clone(),
            loaded_at: UtcDateTime(loaded).to_string(),
            age_seconds: u64::try_from(now - loaded).unwrap_or(0),
            crimes: served.index.crime_count(),
            latest_month: served.latest_crime_month.map(|m| m.to_string()),
        },
        database,
    })
}
