//! The outermost middleware: gives each request an id (`X-Request-Id`, taken from the
//! request when it carries a sane one), and when its answer's body is done (sent whole, or
//! dropped with the connection) counts it in [`RequestMetrics`] and writes one access-log
//! line: method, route template (never the raw path or query), status, body bytes sent,
//! duration and request id.
//!
//! Outermost, it sees answers as they go to the connection: after compression, so the
//! bytes counted are the body's bytes on the wire (headers and chunk framing aside).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};

use crate::metrics::{RequestMetrics, RouteSlot};

/// The request id's header, on requests (kept when sane) and on every answer.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a request.
const MAX_REQUEST_ID: usize = 64;

/// Whether a client's (or a proxy's) request id can be used as ours: 1 to 64 letters,
/// digits, `-`, `_`, `.` or `:`, so that it can go in a header and a log line as it is.
fn sane_request_id(id: &str) -> bool {
    (1..=MAX_REQUEST_ID).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Counts and logs each request (see the module's documentation).
pub async fn observe<B: MessageBody + 'static>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<Observed<B>>, actix_web::Error> {
    let started = Instant::now();
    let Some(metrics) = request.app_data::<web::Data<RequestMetrics>>().cloned() else {
        return Ok(next.call(request).await?.map_body(|_, body| Observed { body, record: None }));
    };
    let method = request.method().clone();
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| sane_request_id(id))
        .map_or_else(|| metrics.next_request_id(), str::to_owned);
    match next.call(request).await {
        Ok(mut response) => {
            let slot = metrics.slot(response.request().match_pattern().as_deref());
            let status = response.status().as_u16();
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(REQUEST_ID, value);
            }
            Ok(response.map_body(|_, body| {
                // Nothing to send (HEAD, 204, 304): done already; the body is not polled.
                let done = method == Method::HEAD
                    || matches!(body.size(), BodySize::None | BodySize::Sized(0));
                let record = Record { metrics, slot, status, method, id, started, bytes: 0, done };
                Observed { body, record: Some(record) }
            }))
        }
        Err(error) => {
            // Turned into an answer further out, by the HTTP layer: counted here, unrouted.
            let status = error.as_response_error().status_code().as_u16();
            let slot = metrics.slot(None);
            drop(Record { metrics, slot, status, method, id, started, bytes: 0, done: true });
            Err(error)
        }
    }
}

/// What is known of a request until its answer's body is done; counted and logged when
/// dropped.
struct Record {
    metrics: web::Data<RequestMetrics>,
    slot: RouteSlot,
    status: u16,
    method: Method,
    id: String,
    started: Instant,
    bytes: u64,
    /// The body ended (rather than being dropped part way, e.g. by a client gone).
    done: bool,
}

/// Whether each request gets a log line (`--access-log`).
static ACCESS_LOG: AtomicBool = AtomicBool::new(true);

/// Writes (`true`, the default) or leaves out the access log line of each request.
pub fn log_requests(on: bool) {
    ACCESS_LOG.store(on, Ordering::Relaxed);
}

impl Drop for Record {
    fn drop(&mut self) {
        let duration = self.started.elapsed();
        self.metrics.record(self.slot, self.status, self.bytes, duration);
        if !ACCESS_LOG.load(Ordering::Relaxed) {
            return;
        }
        tracing::info!(
            target: "police_api::access",
            method = %self.method,
            route = %self.metrics.route(self.slot),
            status = self.status,
            bytes = self.bytes,
            duration_ms = milliseconds(duration),
            request_id = %self.id,
            complete = self.done,
            "request"
        );
    }
}

/// Milliseconds with microseconds as decimals.
fn milliseconds(duration: Duration) -> f64 {
    duration.as_micros() as f64 / 1000.0
}

pin_project_lite::pin_project! {
    /// An answer's body, counting the bytes it gives; its request is counted and logged
    /// when it is dropped.
    pub struct Observed<B> {
        #[pin]
        body: B,
        record: Option<Record>,
    }
}

impl<B: MessageBody> MessageBody for Observed<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.project();
        let polled = this.body.poll_next(cx);
        if let Some(record) = this.record.as_mut() {
            match &polled {
                Poll::Ready(Some(Ok(chunk))) => record.bytes += chunk.len() as u64,
                Poll::Ready(None) => record.done = true,
                _ => {}
            }
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sane_request_ids_are_taken() {
        for id in ["a", "0af3-9c:1.x_y", &"7".repeat(64)] {
            assert!(sane_request_id(id), "{id}");
        }
        for id in ["", "a b", "a\"b", "é", &"7".repeat(65), "a\r\nx-evil: 1"] {
            assert!(!sane_request_id(id), "{id}");
        }
    }
}
