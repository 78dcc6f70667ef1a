//! Methods a route does not take: `405 Method Not Allowed` with `Allow`, and `OPTIONS`
//! (a CORS preflight, or a plain question about the methods).
//!
//! The route macros (`#[get]`, `#[route(…, method = …)]`) guard whole resources, so a request
//! whose method no route takes falls through to the scope's default service, as an unknown
//! path does. [`MethodScope`] registers a scope's routes and records, for each, its path
//! pattern and methods as `utoipa` reads them from the same macro; its default service matches
//! the path against those patterns, in the scope that actix routed the request to: a match is
//! a known path asked with another method, no match is police.uk's bare 404 as before. No list
//! of methods is kept by hand.

use std::sync::Arc;

use actix_web::dev::{HttpServiceFactory, ResourceDef, ServiceFactory, ServiceRequest};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::openapi::path::HttpMethod;
use utoipa_actix_web::scope::Scope;
use utoipa_actix_web::OpenApiFactory;

use crate::error::ApiError;

/// How long a browser may cache a preflight answer, in seconds (browsers cap it lower:
/// Chromium at 2 hours).
pub const PREFLIGHT_MAX_AGE_SECONDS: u32 = 86_400;

/// At most this many header names are echoed in `Access-Control-Allow-Headers`.
const MAX_ALLOWED_HEADERS: usize = 32;

/// A method named in a 405 message is cut to this many characters.
const MAX_METHOD_SHOWN: usize = 24;

/// A `utoipa_actix_web` scope whose routes' methods are recorded as they are registered, so
/// that its default service can answer 405 and OPTIONS for them (see the module docs).
pub struct MethodScope<T> {
    scope: Scope<T>,
    routes: Vec<RouteMethods>,
}

/// One route: its path pattern within the scope and the methods it takes.
#[derive(Debug)]
struct RouteMethods {
    pattern: ResourceDef,
    takes_get: bool,
    takes_post: bool,
}

impl<T> MethodScope<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    /// Starts recording the routes of `scope` (its middleware already added).
    pub fn new(scope: Scope<T>) -> Self {
        MethodScope { scope, routes: Vec::new() }
    }

    /// Registers `route` on the scope, as `Scope::service` does, and records its path and
    /// methods.
    pub fn service<F>(mut self, route: F) -> Self
    where
        F: HttpServiceFactory + OpenApiFactory + utoipa::Path + 'static,
    {
        let methods = F::methods();
        self.routes.push(RouteMethods {
            pattern: ResourceDef::new(F::path()),
            takes_get: methods.contains(&HttpMethod::Get),
            takes_post: methods.contains(&HttpMethod::Post),
        });
        self.scope = self.scope.service(route);
        self
    }

    /// The scope, with the default service that answers 405, OPTIONS, and 404 for paths
    /// none of its routes match.
    pub fn finish(self) -> Scope<T> {
        let routes: Arc<[RouteMethods]> = self.routes.into();
        self.scope.default_service(web::to(move |request: HttpRequest| {
            let routes = Arc::clone(&routes);
            async move { answer_unrouted(&request, &routes) }
        }))
    }
}

/// The methods a path is answered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Allowed {
    get: bool,
    post: bool,
}

impl Allowed {
    /// The union of the methods of every route whose pattern matches `path`; `None` when
    /// none does.
    fn for_path(routes: &[RouteMethods], path: &str) -> Option<Allowed> {
        routes.iter().filter(|route| route.pattern.is_match(path)).fold(None, |allowed, route| {
            let Allowed { get, post } = allowed.unwrap_or_default();
            Some(Allowed { get: get || route.takes_get, post: post || route.takes_post })
        })
    }

    fn takes(self, method: &Method) -> bool {
        (self.get && (method == Method::GET || method == Method::HEAD))
            || (self.post && method == Method::POST)
            || method == Method::OPTIONS
    }

    /// The methods as `Access-Control-Allow-Methods` lists them (HEAD with GET, as the server
    /// answers HEAD as GET).
    fn cors_methods(self) -> String {
        let mut methods = Vec::new();
        if self.get {
            methods.extend(["GET", "HEAD"]);
        }
        if self.post {
            methods.push("POST");
        }
        methods.join(", ")
    }

    /// The `Allow` header: the route's methods and OPTIONS.
    fn allow_header(self) -> String {
        let cors = self.cors_methods();
        if cors.is_empty() {
            "OPTIONS".to_owned()
        } else {
            format!("{cors}, OPTIONS")
        }
    }
}

/// Answers a request that no route of a scope took; the path is the part after the scope's
/// prefix.
fn answer_unrouted(
    request: &HttpRequest,
    routes: &[RouteMethods],
) -> Result<HttpResponse, ApiError> {
    let path = request.match_info().unprocessed();
    let Some(allowed) = Allowed::for_path(routes, path) else {
        return Err(ApiError::RouteNotFound);
    };
    let method = request.method();
    if method == Method::OPTIONS {
        return Ok(options(request, allowed));
    }
    if allowed.takes(method) {
        // A method some route of this path takes, yet no route took the request: not a
        // method question, so the answer of an unknown path, as before.
        return Err(ApiError::RouteNotFound);
    }
    Err(ApiError::MethodNotAllowed { method: shown_method(method), allow: allowed.allow_header() })
}

/// `OPTIONS`: 204 with `Allow`; a CORS preflight (`Access-Control-Request-Method`) also gets
/// the methods, the request headers it asked for, and how long to cache the answer.
fn options(request: &HttpRequest, allowed: Allowed) -> HttpResponse {
    let mut response = HttpResponse::NoContent();
    response.insert_header((header::ALLOW, allowed.allow_header()));
    let headers = request.headers();
    if headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        response
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, allowed.cors_methods()))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE_SECONDS))
            .insert_header((header::VARY, "Access-Control-Request-Headers"));
        if let Some(names) = requested_headers(headers) {
            response.insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, names));
        }
    }
    response.finish()
}

/// The header names of `Access-Control-Request-Headers` that are well-formed tokens, lower
/// case, at most [`MAX_ALLOWED_HEADERS`] of them; `None` when there are none. Every request
/// header is allowed: answers never depend on a header a browser would hide.
fn requested_headers(headers: &header::HeaderMap) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for value in headers.get_all(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        let Ok(text) = value.to_str() else { continue };
        for name in text.split(',').map(str::trim) {
            let name = name.to_ascii_lowercase();
            if names.len() < MAX_ALLOWED_HEADERS
                && header::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && !names.contains(&name)
            {
                names.push(name);
            }
        }
    }
    let joined = names.join(", ");
    (!joined.is_empty() && HeaderValue::from_str(&joined).is_ok()).then_some(joined)
}

/// The method as a 405 message names it, cut short if a client sent a long one.
fn shown_method(method: &Method) -> String {
    let name = method.as_str();
    match name.char_indices().nth(MAX_METHOD_SHOWN) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderMap;

    use super::*;

    fn route(path: &str, takes_get: bool, takes_post: bool) -> RouteMethods {
        RouteMethods { pattern: ResourceDef::new(path), takes_get, takes_post }
    }

    #[test]
    fn a_path_takes_the_methods_of_every_route_it_matches() {
        let routes = [
            route("/forces/{id}", true, false),
            route("/crimes-street/{category}", true, true),
            route("/{force}/{neighbourhood}", true, false),
        ];
        let get_only = Allowed { get: true, post: false };
        assert_eq!(Allowed::for_path(&routes, "/forces/surrey"), Some(get_only));
        assert_eq!(
            Allowed::for_path(&routes, "/crimes-street/all-crime"),
            Some(Allowed { get: true, post: true })
        );
        assert_eq!(Allowed::for_path(&routes, "/crimes-street"), None);
        assert_eq!(Allowed::for_path(&routes, "/a/b/c"), None);
        assert_eq!(get_only.allow_header(), "GET, HEAD, OPTIONS");
        assert_eq!(Allowed { get: true, post: true }.cors_methods(), "GET, HEAD, POST");
    }

    #[test]
    fn requested_headers_are_echoed_as_tokens_within_bounds() {
        let mut headers = HeaderMap::new();
        let request = |value: &str| HeaderValue::from_str(value).unwrap();
        headers.append(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            request("If-None-Match, content-type,,bad header"),
        );
        headers.append(header::ACCESS_CONTROL_REQUEST_HEADERS, request("x-one, X-ONE"));
        assert_eq!(
            requested_headers(&headers).as_deref(),
            Some("if-none-match, content-type, x-one")
        );
        let many = (0..100).map(|i| format!("x-{i}")).collect::<Vec<_>>().join(",");
        headers.insert(header::ACCESS_CONTROL_REQUEST_HEADERS, request(&many));
        assert_eq!(requested_headers(&headers).unwrap().split(", ").count(), MAX_ALLOWED_HEADERS);
        assert_eq!(requested_headers(&HeaderMap::new()), None);
    }

    #[test]
    fn long_methods_are_cut_in_messages() {
        assert_eq!(shown_method(&Method::PUT), "PUT");
        let long = Method::from_bytes("X".repeat(100).as_bytes()).unwrap();
        assert_eq!(shown_method(&long), format!("{}…", "X".repeat(MAX_METHOD_SHOWN)));
    }
}
