//! A cap on the memory that answers hold while they wait for their clients.
//!
//! An answer rendered whole (police.uk's lists: 12.6 MB for a large force's month of stops)
//! stays in memory until its client has read it. Each such answer reserves its size from
//! one counter shared by all connections; one that would take the counter beyond
//! [`crate::state::Limits::max_bytes_in_flight`] is dropped and answered 503 with
//! `Retry-After`. The reservation ends when the answer is sent, or when its connection is
//! dropped (the send timeout drops clients that stop reading). Answers are handed to the
//! HTTP layer in [`PIECE_BYTES`] pieces of the one buffer, so that the HTTP layer's own
//! write buffer never holds a second copy. Streamed answers (`/api/v2/` lists, downloads)
//! hold a chunk at a time and are not counted.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::ResponseError;

use crate::error::ApiError;

/// Answers smaller than this are not counted.
pub const COUNTED_FROM: u64 = 64 * 1024;

/// The size of the pieces an answer is handed to the HTTP layer in.
pub const PIECE_BYTES: usize = 64 * 1024;

/// Seconds a client refused for lack of room is asked to wait.
const RETRY_AFTER_SECONDS: u32 = 5;

/// Bytes of answers held in memory, not yet sent, and the most there may be.
#[derive(Debug)]
pub struct InFlight {
    bytes: Arc<AtomicUsize>,
    cap: Option<usize>,
}

impl InFlight {
    /// No answers held yet; at most `cap` bytes of them (`None`: no cap).
    pub fn new(cap: Option<usize>) -> Self {
        InFlight { bytes: Arc::new(AtomicUsize::new(0)), cap }
    }

    /// Bytes held now.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Reserves `size` bytes, or `None` if that would go beyond the cap.
    pub fn reserve(&self, size: usize) -> Option<Reservation> {
        let cap = self.cap.unwrap_or(usize::MAX);
        self.bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(size).filter(|total| *total <= cap)
            })
            .ok()?;
        Some(Reservation { bytes: Arc::clone(&self.bytes), size })
    }
}

/// Bytes reserved for one answer, given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    bytes: Arc<AtomicUsize>,
    size: usize,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.bytes.fetch_sub(self.size, Ordering::AcqRel);
    }
}

/// Middleware: reserves room for every answer of a known size from [`COUNTED_FROM`] bytes,
/// or answers 503 when there is none.
pub async fn bound(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let in_flight = request.app_data::<web::Data<InFlight>>().cloned();
    let response = next.call(request).await?.map_into_boxed_body();
    let Some(in_flight) = in_flight else { return Ok(response) };
    let size = match response.response().body().size() {
        BodySize::Sized(size) if size >= COUNTED_FROM => size,
        _ => return Ok(response),
    };
    match in_flight.reserve(usize::try_from(size).unwrap_or(usize::MAX)) {
        Some(reservation) => Ok(response.map_body(|_, body| {
            BoxBody::new(ReservedBody { body, piece: Bytes::new(), _reservation: reservation })
        })),
        None => {
            let (request, _) = response.into_parts();
            let refused = ApiError::AnswersBusy { retry_after: RETRY_AFTER_SECONDS };
            Ok(ServiceResponse::new(request, refused.error_response()))
        }
    }
}

/// An answer holding its reservation, handed on in pieces.
struct ReservedBody<B> {
    body: B,
    /// What is left of the chunk the body last gave.
    piece: Bytes,
    _reservation: Reservation,
}

impl<B: MessageBody + Unpin> MessageBody for ReservedBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        if this.piece.is_empty() {
            match Pin::new(&mut this.body).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.piece = chunk,
                other => return other,
            }
        }
        let take = this.piece.len().min(PIECE_BYTES);
        Poll::Ready(Some(Ok(this.piece.split_to(take))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_stop_at_the_cap_and_end_when_dropped() {
        let in_flight = InFlight::new(Some(100));
        let first = in_flight.reserve(60).unwrap();
        assert!(in_flight.reserve(41).is_none());
        let second = in_flight.reserve(40).unwrap();
        assert_eq!(in_flight.bytes(), 100);
        drop(first);
        assert_eq!(in_flight.bytes(), 40);
        drop(second);
        assert_eq!(in_flight.bytes(), 0);
        assert!(InFlight::new(None).reserve(usize::MAX / 2).is_some());
    }
}
