//! The one place where an error becomes an HTTP status. Bodies are short, readable
//! `text/plain` messages (police.uk sends empty bodies; see COMPATIBILITY.md).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// Everything a route can answer besides success.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A missing or unusable parameter (police.uk: 400).
    #[error("{0}")]
    BadRequest(String),
    /// A malformed or out-of-range date, an unknown id (police.uk: 404).
    #[error("{0}")]
    NotFound(String),
    /// More results than the configured cap (police.uk: 503 above 10,000).
    #[error(
        "this area holds {found} results, more than this server returns at once ({cap}); \
         ask for a smaller area"
    )]
    TooManyResults { found: usize, cap: usize },
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooManyResults { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).content_type("text/plain").body(self.to_string())
    }
}

impl From<police_index::crimes::TooManyResults> for ApiError {
    fn from(error: police_index::crimes::TooManyResults) -> Self {
        ApiError::TooManyResults { found: error.found, cap: error.cap }
    }
}
