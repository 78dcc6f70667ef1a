//! Route handlers, one module per area of the police.uk API.

pub mod availability;
pub mod crimes;
pub mod forces;
pub mod neighbourhoods;
pub mod outcomes;
pub mod stops;

use actix_web::HttpResponse;

/// Unknown paths: police.uk's plain `Not Found`.
pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().content_type("text/plain").body("Not Found")
}
