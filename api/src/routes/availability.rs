//! `/api/crimes-street-dates` and `/api/crime-last-updated`.

use actix_web::{get, web, HttpResponse};
use police_openapi::{CrimeDate, LastUpdated};

use crate::error::ApiError;
use crate::render::json_response;
use crate::state::AppState;

/// Availability: the months with data.
///
/// Every month with street-level crime or stop-and-search data in this server, newest
/// first, each with the forces that published stop and search for it. Without a `date`,
/// the other routes answer for the first (newest) month with crime data.
#[utoipa::path(
    tag = "crimes",
    responses((status = 200, description = "Months with data, newest first", body = [CrimeDate]))
)]
#[get("/crimes-street-dates")]
pub async fn crimes_street_dates(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = state.current();
    let dates: Vec<CrimeDate> = snapshot
        .months
        .iter()
        .map(|m| CrimeDate {
            date: m.month.to_string(),
            stop_and_search: m.stop_and_search_forces.clone(),
        })
        .collect();
    json_response(&dates)
}

/// Last updated: the latest month of crime data.
///
/// The first day of the newest month of street-level crime data, `YYYY-MM-DD`. Answers 404
/// while no crime data has been imported.
#[utoipa::path(
    tag = "crimes",
    responses(
        (status = 200, description = "The latest month of crime data", body = LastUpdated),
        (status = 404, description = "No crime data has been imported yet", content_type = "text/plain"),
    )
)]
#[get("/crime-last-updated")]
pub async fn crime_last_updated(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.current().latest_crime_month {
        Some(month) => json_response(&LastUpdated { date: month.first_day() }),
        None => Err(ApiError::NotFound("Not Found: no crime data has been imported yet".into())),
    }
}
