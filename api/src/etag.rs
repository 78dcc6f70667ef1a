//! Conditional requests on `/api/v2/` (RFC 9110 §8.8.3, §13.1.2): every successful answer
//! carries an `ETag` and `Cache-Control: no-cache`, and a request whose `If-None-Match` names
//! the current tag is answered `304 Not Modified` without computing the answer. police.uk's
//! own routes (`/api/…`) are left as they are: this middleware wraps the `/api/v2` scope only.
//!
//! # The tag
//!
//! The tag is a hash of everything the answer depends on: the data (the served snapshot's
//! `version`, which every import changes), this server's version (a new release may write
//! answers differently), its limits, and the request: method, path, query string, `Accept`
//! (for routes that negotiate a format) and, for a POST, the body. So the same request on the
//! same data gets the same tag, on every replica over the same store, and any import changes
//! every tag. Nothing is stored per tag.
//!
//! The tag is weak (`W/"…"`). The compression middleware wraps this one and encodes an answer
//! (gzip, brotli, zstd, deflate) according to the client's `Accept-Encoding`, and it flushes a
//! streamed answer whenever the producer pauses, so a coded answer's bytes are not fixed by
//! the request and the data alone; a strong tag promises identical bytes (RFC 9110 §8.8.1),
//! a weak one equivalent content, which is what every coding of one answer has. `If-None-Match`
//! uses the weak comparison anyway (§13.1.2), so revalidation works the same; only `If-Range`
//! and `If-Match` need strong tags, and these read-only routes serve neither ranges nor
//! writes.
//!
//! # Evaluation
//!
//! - GET and HEAD: a listed tag equal to the current one (weak comparison: `W/` ignored) is
//!   answered 304 with the tag and no body, before the route runs: a tag is only ever given
//!   with a 2xx, so a match proves the answer would be one. `*` matches any current
//!   representation: the route runs, and a 2xx becomes a 304.
//! - POST (the v2 routes take a GeoJSON area as the body): the body is hashed while the route
//!   reads it (no second copy, within the route's own size limit), so the tag is known only
//!   once the answer is; a match (or `*`) turns the 2xx into `412 Precondition Failed`, as RFC
//!   9110 asks of methods other than GET and HEAD.
//! - Only 2xx answers get a tag; errors pass through untouched. A snapshot swapped in while
//!   the route ran leaves the answer without a tag (the route may have read either snapshot).
//!
//! `Cache-Control: no-cache` lets clients and caches keep an answer but makes them revalidate
//! before each use: the data changes whenever an import lands, which no expiry time can
//! predict, and revalidation costs a hash.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{HeaderValue, ACCEPT, CACHE_CONTROL, ETAG, IF_NONE_MATCH};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::{AppState, Served};

/// What revalidation asks of clients and caches (see the module documentation).
pub const CACHE_CONTROL_VALUE: &str = "no-cache";

/// The middleware of the `/api/v2` scope (see the module documentation).
pub async fn conditional(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<Data<AppState>>().cloned() else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let method = request.method().clone();
    let safe = method == Method::GET || method == Method::HEAD;
    if !safe && method != Method::POST {
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let served = state.current();
    let key = RequestKey::new(&served, &state, &request);
    let condition = IfNoneMatch::parse(&request);

    if safe {
        let tag = key.tag(None);
        if method == Method::GET && condition.as_ref().is_some_and(|c| c.names(&tag)) {
            return Ok(request.into_response(not_modified(&tag)));
        }
        let response = next.call(request).await?.map_into_boxed_body();
        if !response.status().is_success() || !same_snapshot(&served, &state) {
            return Ok(response);
        }
        if condition.is_some_and(|c| c.matches(&tag)) {
            let (request, _) = response.into_parts();
            return Ok(ServiceResponse::new(request, not_modified(&tag)));
        }
        return Ok(labelled(response, &tag));
    }

    let body = Rc::new(RefCell::new(BodyHash::default()));
    let payload = HashingPayload { inner: request.take_payload(), hash: Rc::clone(&body) };
    request.set_payload(Payload::Stream { payload: Box::pin(payload) });
    let response = next.call(request).await?.map_into_boxed_body();
    let digest = body.borrow_mut().digest();
    let Some(digest) = digest else { return Ok(response) };
    if !response.status().is_success() || !same_snapshot(&served, &state) {
        return Ok(response);
    }
    let tag = key.tag(Some(&digest));
    if condition.is_some_and(|c| c.matches(&tag)) {
        let (request, _) = response.into_parts();
        return Ok(ServiceResponse::new(request, ApiError::PreconditionFailed.error_response()));
    }
    Ok(labelled(response, &tag))
}

/// Whether `served` is still the snapshot being served: then the route answered from it.
/// (`served` is held, so a snapshot swapped in later cannot share its address.)
fn same_snapshot(served: &Arc<Served>, state: &AppState) -> bool {
    Arc::ptr_eq(served, &state.current())
}

/// `W/"tag"`.
fn header_value(tag: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("W/\"{tag}\"")).unwrap_or(HeaderValue::from_static("W/\"\""))
}

fn not_modified(tag: &str) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((ETAG, header_value(tag)))
        .insert_header((CACHE_CONTROL, CACHE_CONTROL_VALUE))
        .finish()
}

fn labelled(mut response: ServiceResponse<BoxBody>, tag: &str) -> ServiceResponse<BoxBody> {
    let headers = response.headers_mut();
    headers.insert(ETAG, header_value(tag));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_VALUE));
    response
}

/// The hash of what an answer depends on, but for a POST's body.
struct RequestKey(Sha256);

impl RequestKey {
    fn new(served: &Served, state: &AppState, request: &ServiceRequest) -> RequestKey {
        let mut hasher = Sha256::new();
        let mut field = |bytes: &[u8]| {
            // Length-prefixed, so that no two different field lists hash the same bytes.
            hasher.update((bytes.len() as u64).to_le_bytes());
            hasher.update(bytes);
        };
        field(b"police-api v2 etag 1");
        field(env!("CARGO_PKG_VERSION").as_bytes());
        field(served.version.as_bytes());
        // Of the limits, only the result cap changes an answer (a 503 instead of a list).
        let result_cap = state.limits().max_results.map_or(u64::MAX, |cap| cap as u64);
        field(&result_cap.to_le_bytes());
        // A HEAD answer is the GET answer without its content: the same representation.
        let method = request.method();
        field(if method == Method::HEAD { b"GET" } else { method.as_str().as_bytes() });
        field(request.path().as_bytes());
        field(request.query_string().as_bytes());
        for accept in request.headers().get_all(ACCEPT) {
            field(accept.as_bytes());
        }
        RequestKey(hasher)
    }

    /// The opaque tag: 128 bits of the hash, in hex.
    fn tag(self, body: Option<&[u8]>) -> String {
        let mut hasher = self.0;
        if let Some(body) = body {
            hasher.update(b"body");
            hasher.update(body);
        }
        hasher.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A request's `If-None-Match` (every field line of it, as one list).
#[derive(Debug, Clone, PartialEq, Eq)]
enum IfNoneMatch {
    /// `*`: any current representation.
    Any,
    /// The listed entity tags' opaque parts (`W/` dropped: the weak comparison ignores it).
    Tags(Vec<String>),
}

impl IfNoneMatch {
    fn parse(request: &ServiceRequest) -> Option<IfNoneMatch> {
        let mut tags = Vec::new();
        let mut present = false;
        for value in request.headers().get_all(IF_NONE_MATCH) {
            present = true;
            let Ok(text) = value.to_str() else { continue };
            if text.trim() == "*" {
                return Some(IfNoneMatch::Any);
            }
            tags.extend(entity_tags(text));
        }
        present.then_some(IfNoneMatch::Tags(tags))
    }

    /// Whether it lists `tag` itself (not `*`).
    fn names(&self, tag: &str) -> bool {
        matches!(self, IfNoneMatch::Tags(tags) if tags.iter().any(|t| t == tag))
    }

    /// Whether it matches a current representation tagged `tag`.
    fn matches(&self, tag: &str) -> bool {
        matches!(self, IfNoneMatch::Any) || self.names(tag)
    }
}

/// The opaque tags of a comma-separated list of entity tags (`"x"`, `W/"x"`), in order; the
/// list is read up to its first malformed member.
fn entity_tags(list: &str) -> Vec<String> {
    let mut tags = Vec::new();
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return tags;
        }
        rest = rest.strip_prefix("W/").unwrap_or(rest);
        let Some(quoted) = rest.strip_prefix('"') else { return tags };
        let Some(end) = quoted.find('"') else { return tags };
        let after = &quoted[end + 1..];
        if !(after.is_empty() || after.starts_with([' ', '\t', ','])) {
            return tags;
        }
        tags.push(quoted[..end].to_owned());
        rest = after;
    }
}

/// A POST body's hash, built while the route reads the body.
#[derive(Default)]
struct BodyHash {
    hasher: Sha256,
    /// The body was read to its end without an error.
    complete: bool,
    failed: bool,
}

impl BodyHash {
    /// The body's hash; `None` unless the route read all of it.
    fn digest(&mut self) -> Option<Vec<u8>> {
        (self.complete && !self.failed)
            .then(|| std::mem::take(&mut self.hasher).finalize().to_vec())
    }
}

/// The request's payload, feeding every chunk the route reads into a [`BodyHash`].
struct HashingPayload {
    inner: Payload,
    hash: Rc<RefCell<BodyHash>>,
}

impl futures_core::Stream for HashingPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = Pin::new(&mut self.inner).poll_next(cx);
        let mut hash = self.hash.borrow_mut();
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => hash.hasher.update(chunk),
            Poll::Ready(Some(Err(_))) => hash.failed = true,
            Poll::Ready(None) => hash.complete = true,
            Poll::Pending => {}
        }
        drop(hash);
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_tag_lists_are_read_as_rfc_9110_writes_them() {
        assert_eq!(entity_tags(r#""a""#), ["a"]);
        assert_eq!(entity_tags(r#"W/"a", "b",W/"c""#), ["a", "b", "c"]);
        assert_eq!(entity_tags(r#" ,"a" ,, "b" "#), ["a", "b"]);
        // Commas may sit inside a tag; an empty tag is a tag.
        assert_eq!(entity_tags(r#""a,b", """#), ["a,b", ""]);
        // Malformed members end the list.
        assert_eq!(entity_tags(r#""a", b, "c""#), ["a"]);
        assert_eq!(entity_tags(r#""b", "a"x, "c""#), ["b"]);
        assert_eq!(entity_tags(r#""a"#), Vec::<String>::new());
        assert_eq!(entity_tags("w/\"a\""), Vec::<String>::new());
    }

    #[test]
    fn star_matches_any_representation_but_names_none() {
        let tags = IfNoneMatch::Tags(vec!["a".into(), "b".into()]);
        assert!(tags.names("b") && tags.matches("b"));
        assert!(!tags.names("c") && !tags.matches("c"));
        assert!(IfNoneMatch::Any.matches("c"));
        assert!(!IfNoneMatch::Any.names("c"));
    }
}
