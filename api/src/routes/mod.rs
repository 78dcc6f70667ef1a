//! Route handlers, one module per area of the police.uk API.

pub mod availability;
pub mod crimes;
pub mod forces;
pub mod neighbourhoods;
pub mod outcomes;
pub mod stops;

use crate::error::ApiError;

/// Unknown paths: police.uk's plain `Not Found`.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}
