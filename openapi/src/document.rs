//! The base of the OpenAPI document: what the routes themselves do not say. The paths and
//! schemas are collected from the handlers when the app is built (utoipa-actix-web), so
//! nothing is listed twice.

use utoipa::OpenApi;

/// Title, description, licence and tags of the document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "police-api",
        description = "A self-hostable, police.uk-compatible REST API: the paths, parameters, \
JSON and errors of https://data.police.uk/api/, served from your own copy of the police.uk \
bulk data. Coordinates are strings with 6 decimals; months are `YYYY-MM`; without `date` a \
route answers for the latest month with crime data. Area routes take `lat` and `lng` (a \
one-mile radius) or `poly` (`lat,lng:lat,lng:…`), by GET or as a POST form, and answer 503 \
above the server's result cap (10,000 by default, as police.uk). Errors are short \
`text/plain` messages with police.uk's status codes; the deliberate differences from \
police.uk are listed in docs/COMPATIBILITY.md.",
        license(name = "MIT OR Apache-2.0 (code); police.uk data: Open Government Licence v3.0"),
    ),
    tags(
        (name = "forces", description = "Police forces and their senior officers"),
        (name = "crimes", description = "Street-level crimes and the months available"),
        (name = "outcomes", description = "Outcomes of crimes"),
        (name = "neighbourhoods", description = "Neighbourhood policing teams and their areas"),
        (name = "stops", description = "Stop and search records"),
        (name = "v2", description = "Beyond police.uk: this server's own routes under `/api/v2/` \
(statistics over many months from the same data). Stricter than police.uk's routes: an unknown \
category or a malformed parameter is a 400 naming the parameter."),
        (name = "docs", description = "This document"),
        (name = "operations", description = "For load balancers and operators: liveness \
(`/healthz`), readiness (`/readyz`) and Prometheus metrics (`/metrics`), outside `/api`; not \
police.uk's"),
    )
)]
pub struct ApiDoc;

/// The base document, versioned like the crate.
pub fn base_document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    document
}
