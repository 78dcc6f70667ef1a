//! `/metrics`: Prometheus' text exposition format, for operators, off the police.uk surface.

use actix_web::{get, web, HttpResponse};

use crate::metrics::{render, RequestMetrics};
use crate::state::AppState;

/// Prometheus metrics (text exposition format 0.0.4).
///
/// Rendered from memory: requests by route template and status, their latency (histograms)
/// and body bytes sent; the snapshot served (version, age, crimes); its reloads and the
/// store's import ledger (last import, rows imported and rejected by kind); the process's
/// resident memory.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Metrics in Prometheus' text format", content_type = "text/plain; version=0.0.4", body = String,
               example = "police_api_http_requests_total{route=\"/api/forces\",status=\"200\"} 12")),
)]
#[get("")]
pub async fn metrics(
    state: web::Data<AppState>,
    requests: web::Data<RequestMetrics>,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(render(&requests, &state))
}
