//! Route handlers, one module per area of the police.uk API plus `v2` (this server's own
//! routes under `/api/v2/`), and their registration.
//!
//! A route module depends on `params` (reading requests), `render` (writing answers),
//! `state` and `error` only, never on another route module.

pub mod availability;
pub mod body_errors;
pub mod crimes;
pub mod forces;
pub mod health;
pub mod methods;
pub mod metrics;
pub mod neighbourhoods;
pub mod outcomes;
pub mod stops;
pub mod v2;

use crate::error::ApiError;
use methods::MethodScope;

/// Registers every route of the API on `config`: the server and the OpenAPI document are
/// both built from this one list. Each scope is a [`MethodScope`], so a method its routes do
/// not take answers 405 with `Allow`, and OPTIONS answers (a CORS preflight too).
pub fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    // For load balancers and operators, outside `/api` (not police.uk's).
    config.service(
        MethodScope::new(utoipa_actix_web::scope("/healthz")).service(health::healthz).finish(),
    );
    config.service(
        MethodScope::new(utoipa_actix_web::scope("/readyz")).service(health::readyz).finish(),
    );
    config.service(
        MethodScope::new(utoipa_actix_web::scope("/metrics")).service(metrics::metrics).finish(),
    );
    // Before `/api`: a scope whose prefix matches answers the request even when none of its
    // routes does, so `/api` would take `/api/v2/…` to its 404.
    config.service(
        MethodScope::new(
            utoipa_actix_web::scope("/api/v2")
                // ETag and If-None-Match on every v2 answer (police.uk's routes stay as they
                // are).
                .wrap(actix_web::middleware::from_fn(crate::etag::conditional))
                .wrap(actix_web::middleware::from_fn(body_errors::readable_body_errors)),
        )
        .service(v2::neighbourhood_boundaries_geojson)
        .service(v2::neighbourhood_boundary_geojson)
        .service(v2::crime_counts)
        .service(v2::crime_compare)
        .service(v2::crime_category_groups)
        .service(v2::stop_counts)
        .service(v2::outcome_counts)
        .service(v2::crime_hotspots)
        .service(v2::crime_list)
        .service(v2::outcome_list)
        .service(v2::stop_list)
        .service(v2::custom_download)
        .service(v2::find_places)
        .finish(),
    );
    config.service(
        MethodScope::new(
            utoipa_actix_web::scope("/api")
                .wrap(actix_web::middleware::from_fn(body_errors::readable_body_errors)),
        )
        .service(forces::list_forces)
        .service(forces::force_detail)
        .service(forces::force_people)
        .service(availability::crimes_street_dates)
        .service(availability::crime_last_updated)
        .service(crimes::crimes_street)
        .service(crimes::crimes_at_location)
        .service(crimes::crimes_no_location)
        .service(crimes::crime_categories)
        .service(outcomes::outcomes_at_location)
        .service(outcomes::outcomes_for_crime)
        .service(stops::stops_street)
        .service(stops::stops_at_location)
        .service(stops::stops_no_location)
        .service(stops::stops_force)
        .service(neighbourhoods::locate_neighbourhood)
        .service(crate::docs::openapi_json)
        // `/{force}/…` matches any two- or three-segment path: actix tries resources in
        // the order they are registered, so these must stay after every fixed route.
        .service(neighbourhoods::neighbourhoods)
        .service(neighbourhoods::neighbourhood_detail)
        .service(neighbourhoods::neighbourhood_boundary)
        .service(neighbourhoods::neighbourhood_people)
        .service(neighbourhoods::neighbourhood_events)
        .service(neighbourhoods::neighbourhood_priorities)
        .finish(),
    );
}

/// Unknown paths: police.uk's plain `Not Found`.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}
