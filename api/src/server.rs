//! The HTTP server: middleware, route registration, and ways to run it.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServerHandle};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress, DefaultHeaders, Next};
use actix_web::{web, App, HttpResponse, HttpServer};
use arc_swap::ArcSwap;
use police_store::snapshot::Snapshot;
use utoipa_actix_web::AppExt;

use crate::json_writer::PointLocations;
use crate::routes;

/// What every request handler can reach: the current snapshot, swapped atomically when the
/// store changes. A handler takes one `Arc` at its start and answers from it alone.
pub struct AppState {
    snapshot: ArcSwap<Served>,
    limits: Limits,
}

/// A snapshot as served: the store's snapshot (reached through `Deref`), and what the API
/// prepares from it once rather than per request.
pub struct Served {
    pub snapshot: Snapshot,
    /// Every snap point's `location` object, pre-rendered.
    pub locations: PointLocations,
}

impl Served {
    pub fn new(snapshot: Snapshot) -> Self {
        let locations = PointLocations::new(&snapshot.index);
        Served { snapshot, locations }
    }
}

impl std::ops::Deref for Served {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        &self.snapshot
    }
}

/// Limits on what one request may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most results an area route returns; more answer 503. `None`: no cap.
    pub max_results: Option<usize>,
    /// Longest request line (`GET /api/…?… HTTP/1.1`) accepted, in bytes.
    pub max_request_line: usize,
}

impl Default for Limits {
    /// police.uk's cap of 10,000 results; request lines up to 64 KiB (police.uk: 4,094 bytes).
    fn default() -> Self {
        Limits { max_results: Some(10_000), max_request_line: 65_536 }
    }
}

impl AppState {
    pub fn new(snapshot: Snapshot, limits: Limits) -> Self {
        AppState { snapshot: ArcSwap::from_pointee(Served::new(snapshot)), limits }
    }

    /// The cap on results of area routes.
    pub fn max_results(&self) -> Option<usize> {
        self.limits.max_results
    }

    /// The snapshot to answer the current request from.
    pub fn current(&self) -> Arc<Served> {
        self.snapshot.load_full()
    }

    /// Makes `snapshot` the one new requests see.
    pub fn replace(&self, snapshot: Snapshot) {
        self.snapshot.store(Arc::new(Served::new(snapshot)));
    }
}

/// Server settings that are not about data.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Worker threads; `None` means one per CPU.
    pub workers: Option<usize>,
}

/// Registers every route of the API on `config`.
pub fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig<'_>) {
    config.service(
        utoipa_actix_web::scope("/api")
            .service(routes::forces::list_forces)
            .service(routes::forces::force_detail)
            .service(routes::forces::force_people)
            .service(routes::availability::crimes_street_dates)
            .service(routes::availability::crime_last_updated)
            .service(routes::crimes::crimes_street)
            .service(routes::crimes::crimes_at_location)
            .service(routes::crimes::crimes_no_location)
            .service(routes::crimes::crime_categories)
            .service(routes::outcomes::outcomes_at_location)
            .service(routes::outcomes::outcomes_for_crime)
            .service(routes::stops::stops_street)
            .service(routes::stops::stops_at_location)
            .service(routes::stops::stops_no_location)
            .service(routes::stops::stops_force)
            .service(routes::neighbourhoods::locate_neighbourhood)
            .service(crate::docs::openapi_json)
            // `/{force}/…` matches any two- or three-segment path: actix tries resources in
            // the order they are registered, so these must stay after every fixed route.
            .service(routes::neighbourhoods::neighbourhoods)
            .service(routes::neighbourhoods::neighbourhood_detail)
            .service(routes::neighbourhoods::neighbourhood_boundary)
            .service(routes::neighbourhoods::neighbourhood_people)
            .service(routes::neighbourhoods::neighbourhood_events)
            .service(routes::neighbourhoods::neighbourhood_priorities),
    );
}

/// The OpenAPI document: the base from `police-openapi` and every route registered by
/// [`configure`], collected from the handlers' `#[utoipa::path]` annotations.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_app, mut document) = App::new()
        .into_utoipa_app()
        .openapi(police_openapi::base_document())
        .configure(configure)
        .split_for_parts();
    split_form_posts(&mut document);
    document
}

/// The area routes take GET and a form POST through one handler, so utoipa describes both
/// with one operation. Make them two: GET without a request body, POST with its own
/// operation id (operation ids must be unique).
fn split_form_posts(document: &mut utoipa::openapi::OpenApi) {
    for item in document.paths.paths.values_mut() {
        let (Some(get), Some(post)) = (item.get.as_mut(), item.post.as_mut()) else { continue };
        get.request_body = None;
        if let Some(id) = &post.operation_id {
            post.operation_id = Some(format!("{id}_form"));
        }
        if let Some(summary) = &post.summary {
            post.summary = Some(format!("{} (form POST)", summary.trim_end_matches('.')));
        }
    }
}

/// [`openapi_document`] as the pretty-printed JSON committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut json = openapi_document().to_pretty_json().expect("the document serialises");
    json.push('\n');
    json
}

/// Builds the server on an already bound listener (port 0 works: tests use it).
pub fn build(
    listener: TcpListener,
    state: Arc<AppState>,
    options: &ServerOptions,
) -> std::io::Result<Server> {
    let data = web::Data::from(state);
    let document = web::Data::new(crate::docs::OpenApiJson(openapi_json()));
    let mut server = HttpServer::new(move || {
        let (app, _openapi) = App::new()
            .app_data(data.clone())
            .app_data(document.clone())
            .wrap(from_fn(limit_request_line))
            .wrap(Compress::default())
            .wrap(DefaultHeaders::new().add(("Access-Control-Allow-Origin", "*")))
            .into_utoipa_app()
            .configure(configure)
            .split_for_parts();
        app.route("/docs", web::get().to(crate::docs::page))
            .route("/docs/", web::get().to(crate::docs::page))
            .route("/docs/{asset}", web::get().to(crate::docs::asset))
            .default_service(web::to(routes::not_found))
    })
    // Signals are handled by the process (see `store::Store::open`), which stops the
    // embedded PostgreSQL in order.
    .disable_signals()
    .listen(listener)?;
    if let Some(workers) = options.workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// Refuses request lines longer than the configured limit with 414 and a hint to POST.
async fn limit_request_line(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = request
        .app_data::<web::Data<AppState>>()
        .map_or(Limits::default().max_request_line, |state| state.limits.max_request_line);
    // `METHOD SP request-target SP HTTP/1.1`
    let length = request.method().as_str().len() + request.uri().to_string().len() + 10;
    if length > limit {
        let response = HttpResponse::UriTooLong().content_type("text/plain").body(format!(
            "Request line is too large ({length} > {limit} bytes): send long polygons with POST \
             as a form body (poly=…&date=…)"
        ));
        return Ok(request.into_response(response));
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// A server running on its own thread, for tests and embedding.
pub struct BackgroundServer {
    pub address: std::net::SocketAddr,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl BackgroundServer {
    /// Starts the server on `127.0.0.1:0`.
    pub fn start(state: Arc<AppState>, options: &ServerOptions) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let server = build(listener, state, options)?;
        let handle = server.handle();
        let thread = std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
        Ok(BackgroundServer { address, handle, thread: Some(thread) })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        let stopping = self.handle.stop(false);
        actix_web::rt::System::new().block_on(stopping);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The JSON response police.uk gives: compact, `application/json`.
pub fn json_response<T: serde::Serialize>(value: &T) -> HttpResponse {
    match serde_json::to_vec(value) {
        Ok(body) => crate::render::json_body(body),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
