//! The one place where an error becomes an HTTP status. Bodies are short, readable
//! `text/plain` messages (police.uk sends empty bodies; see COMPATIBILITY.md), except the
//! bare `Not Found` police.uk gives for paths it does not know and the empty 500.

use actix_web::error::PayloadError;
use actix_web::http::header::{ALLOW, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// Everything the server can answer besides success: route handlers, the docs page and the
/// middleware all answer their errors through this type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A missing or unusable parameter (police.uk: 400).
    #[error("{0}")]
    BadRequest(String),
    /// A malformed or out-of-range date, an unknown id (police.uk: 404).
    #[error("{0}")]
    NotFound(String),
    /// police.uk's bare 404, body `Not Found`: no route matches the path, or the force,
    /// neighbourhood, point or docs asset the path names does not exist (police.uk does not
    /// tell those apart from an unknown route).
    #[error("Not Found")]
    RouteNotFound,
    /// A method the path's routes do not take, e.g. PUT or DELETE (405); `allow` is the
    /// `Allow` header (see `routes::methods`).
    #[error("{method} is not a method of this route; it answers {allow}")]
    MethodNotAllowed { method: String, allow: String },
    /// A request body larger than the server reads (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A request body of unknown length where one is needed (411).
    #[error("{0}")]
    LengthRequired(String),
    /// A cursor made before the data changed (410).
    #[error("{0}")]
    Gone(String),
    /// An `Accept` header that accepts none of a route's formats (406).
    #[error("{0}")]
    NotAcceptable(String),
    /// More results than the configured cap (police.uk: 503 above 10,000).
    #[error(
        "this area holds at least {found} results, more than this server returns at once \
         ({cap}); ask for a smaller area"
    )]
    TooManyResults { found: usize, cap: usize },
    /// A request line (`METHOD target HTTP/1.1`) longer than the configured limit (414).
    #[error(
        "Request line is too large ({length} > {limit} bytes): send long polygons with POST \
         as a form body (poly=…&date=…)"
    )]
    UriTooLong { length: usize, limit: usize },
    /// A request body that did not arrive whole within the body timeout (408).
    #[error(
        "the request body did not arrive within {seconds} s (--body-timeout); send it \
         whole, or send less"
    )]
    BodyTimeout { seconds: u64 },
    /// A POST whose `If-None-Match` matches the answer's entity tag (RFC 9110 §13.1.2: 412
    /// for methods other than GET and HEAD).
    #[error(
        "If-None-Match matches the current answer to this POST: it is not answered again \
         (RFC 9110 13.1.2); send it without If-None-Match to get the answer"
    )]
    PreconditionFailed,
    /// Every download slot is taken (`--max-downloads`): 503 with `Retry-After`.
    #[error(
        "{running} downloads are running, as many as this server runs at once; try again in \
         {retry_after} seconds"
    )]
    DownloadsBusy { running: usize, retry_after: u32 },
    /// Answers waiting for their clients already hold as much memory as the server gives
    /// them (`--max-mib-in-flight`): 503 with `Retry-After`.
    #[error(
        "this server is holding as many answers for clients as it can (--max-mib-in-flight); \
         try again in {retry_after} seconds"
    )]
    AnswersBusy { retry_after: u32 },
    /// A missing, unknown, expired or revoked API key where the server requires one
    /// (`--require-keys`): 401 with `WWW-Authenticate` naming where a key goes.
    #[error("{0}")]
    Unauthorized(String),
    /// More requests than the client's leaky bucket lets through (`--rate-limit`): 429 with
    /// `Retry-After`, as police.uk answers beyond its limit.
    #[error("{message}; try again in {retry_after} seconds")]
    RateLimited { message: String, retry_after: u32 },
    /// A response that could not be rendered: 500 with an empty body and no content type.
    #[error("the response could not be rendered")]
    Internal,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::LengthRequired(_) => StatusCode::LENGTH_REQUIRED,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::TooManyResults { .. }
            | ApiError::DownloadsBusy { .. }
            | ApiError::AnswersBusy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::UriTooLong { .. } => StatusCode::URI_TOO_LONG,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal => HttpResponse::build(self.status_code()).finish(),
            ApiError::DownloadsBusy { retry_after, .. }
            | ApiError::AnswersBusy { retry_after }
            | ApiError::RateLimited { retry_after, .. } => HttpResponse::build(self.status_code())
                .content_type("text/plain")
                .insert_header((RETRY_AFTER, retry_after.to_string()))
                .body(self.to_string()),
            ApiError::Unauthorized(_) => HttpResponse::build(self.status_code())
                .content_type("text/plain")
                .insert_header((WWW_AUTHENTICATE, r#"ApiKey header="X-Api-Key", query="key""#))
                .body(self.to_string()),
            ApiError::MethodNotAllowed { allow, .. } => HttpResponse::build(self.status_code())
                .content_type("text/plain")
                .insert_header((ALLOW, allow.as_str()))
                .body(self.to_string()),
            _ => HttpResponse::build(self.status_code())
                .content_type("text/plain")
                .body(self.to_string()),
        }
    }
}

impl From<&PayloadError> for ApiError {
    /// A request body that could not be read, in a sentence (actix's own message of a broken
    /// chunked body is Rust Debug text: `… Some(Custom { kind: InvalidInput, … })`).
    fn from(error: &PayloadError) -> Self {
        match error {
            PayloadError::Incomplete(None) => ApiError::BadRequest(
                "the request body is incomplete: it ended before its Content-Length, or its \
                 chunked encoding is broken"
                    .into(),
            ),
            PayloadError::Incomplete(Some(cause)) | PayloadError::Io(cause) => {
                ApiError::BadRequest(format!(
                    "the request body could not be read: {}",
                    lower_first(&cause.to_string())
                ))
            }
            PayloadError::EncodingCorrupted => ApiError::BadRequest(
                "the request body could not be decoded as its Content-Encoding says".into(),
            ),
            PayloadError::Overflow => ApiError::PayloadTooLarge(
                "the request body is larger than this server reads: send a smaller area or \
                 fewer parameters"
                    .into(),
            ),
            PayloadError::UnknownLength => ApiError::LengthRequired(
                "the request body has no length: send Content-Length or a chunked body".into(),
            ),
            _ => ApiError::BadRequest("the request body could not be read".into()),
        }
    }
}

/// `text` with its first letter in lower case, to continue a sentence.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl From<police_index::crimes::TooManyResults> for ApiError {
    fn from(error: police_index::crimes::TooManyResults) -> Self {
        ApiError::TooManyResults { found: error.found, cap: error.cap }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::MessageBody;
    use actix_web::http::header::CONTENT_TYPE;

    use super::*;

    /// Status, `Content-Type` (if any) and body of `error`'s response.
    fn answer(error: ApiError) -> (u16, Option<String>, String) {
        let response = error.error_response();
        let status = response.status().as_u16();
        let content_type =
            response.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
        let body = response.into_body().try_into_bytes().unwrap();
        (status, content_type, String::from_utf8(body.to_vec()).unwrap())
    }

    fn text(status: u16, body: &str) -> (u16, Option<String>, String) {
        (status, Some("text/plain".to_owned()), body.to_owned())
    }

    #[test]
    fn bad_request_is_400_with_its_message() {
        let error = ApiError::BadRequest("missing force, e.g. force=leicestershire".into());
        assert_eq!(answer(error), text(400, "missing force, e.g. force=leicestershire"));
    }

    #[test]
    fn not_found_is_404_with_its_message() {
        let error = ApiError::NotFound("Not Found: no crime data has been imported yet".into());
        assert_eq!(answer(error), text(404, "Not Found: no crime data has been imported yet"));
    }

    #[test]
    fn route_not_found_is_police_uk_s_bare_404() {
        assert_eq!(answer(ApiError::RouteNotFound), text(404, "Not Found"));
    }

    #[test]
    fn too_many_results_is_503_naming_the_cap() {
        assert_eq!(
            answer(ApiError::TooManyResults { found: 10_001, cap: 10_000 }),
            text(
                503,
                "this area holds at least 10001 results, more than this server returns at once \
                 (10000); ask for a smaller area"
            )
        );
    }

    #[test]
    fn uri_too_long_is_414_suggesting_post() {
        assert_eq!(
            answer(ApiError::UriTooLong { length: 70_000, limit: 65_536 }),
            text(
                414,
                "Request line is too large (70000 > 65536 bytes): send long polygons with \
                 POST as a form body (poly=…&date=…)"
            )
        );
    }

    #[test]
    fn busy_downloads_are_503_with_retry_after() {
        let response = ApiError::DownloadsBusy { running: 2, retry_after: 30 }.error_response();
        assert_eq!(response.headers().get(RETRY_AFTER).unwrap(), "30");
        assert_eq!(
            answer(ApiError::DownloadsBusy { running: 2, retry_after: 30 }),
            text(
                503,
                "2 downloads are running, as many as this server runs at once; try again in 30 \
                 seconds"
            )
        );
    }

    #[test]
    fn method_not_allowed_is_405_with_allow() {
        let error =
            ApiError::MethodNotAllowed { method: "PUT".into(), allow: "GET, HEAD, OPTIONS".into() };
        assert_eq!(error.error_response().headers().get(ALLOW).unwrap(), "GET, HEAD, OPTIONS");
        assert_eq!(
            answer(error),
            text(405, "PUT is not a method of this route; it answers GET, HEAD, OPTIONS")
        );
    }

    #[test]
    fn unreadable_bodies_are_sentences_without_debug_text() {
        let chunk = std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "Invalid chunk size line: Invalid size first-byte",
        );
        assert_eq!(
            answer(ApiError::from(&PayloadError::Incomplete(Some(chunk)))),
            text(
                400,
                "the request body could not be read: invalid chunk size line: Invalid size \
                 first-byte"
            )
        );
        for error in [
            PayloadError::Incomplete(None),
            PayloadError::EncodingCorrupted,
            PayloadError::Overflow,
            PayloadError::UnknownLength,
        ] {
            let (status, _, body) = answer(ApiError::from(&error));
            assert!(matches!(status, 400 | 411 | 413), "{error:?}");
            assert!(!body.contains("Some(") && !body.contains("None"), "{body}");
        }
    }

    #[test]
    fn internal_is_an_empty_500_without_content_type() {
        assert_eq!(answer(ApiError::Internal), (500, None, String::new()));
    }
}
