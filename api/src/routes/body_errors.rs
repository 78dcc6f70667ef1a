//! Extractor errors in readable sentences: a request body that actix could not read (a broken
//! chunked encoding, a body cut short, one too large) fails before the route runs, and
//! actix's own message for it can be Rust Debug text. This middleware, on both scopes of
//! `routes::configure`, answers such failures with [`ApiError`]'s sentence for them instead;
//! every other response passes through untouched.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::ResponseError;

use crate::error::ApiError;

/// Replaces the answer to an unreadable request body with a readable one (see the module
/// documentation).
pub async fn readable_body_errors(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(request).await?.map_into_boxed_body();
    let readable = response
        .response()
        .error()
        .and_then(|error| error.as_error::<PayloadError>())
        .map(ApiError::from);
    match readable {
        Some(error) => {
            let (request, _) = response.into_parts();
            Ok(ServiceResponse::new(request, error.error_response()))
        }
        None => Ok(response),
    }
}
