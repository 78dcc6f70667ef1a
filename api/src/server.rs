//! The HTTP server: middleware, the app around [`routes::configure`], and ways to run it.
//!
//! State lives in [`crate::state`], the OpenAPI document in [`crate::openapi`]; both are
//! re-exported here under the paths earlier versions used.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServerHandle};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Compress, DefaultHeaders, Next};
use actix_web::{web, App, HttpServer, ResponseError};
use utoipa_actix_web::AppExt;

pub use crate::openapi::{openapi_document, openapi_json};
pub use crate::state::{AppState, Limits, Served};

use crate::error::ApiError;
use crate::{docs, frontend, routes};

/// Server settings that are not about data.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Worker threads; `None` means one per CPU.
    pub workers: Option<usize>,
}

/// Builds the server on an already bound listener (port 0 works: tests use it).
pub fn build(
    listener: TcpListener,
    state: Arc<AppState>,
    options: &ServerOptions,
) -> std::io::Result<Server> {
    let data = web::Data::from(state);
    let document = web::Data::new(docs::OpenApiJson(openapi_json()));
    let mut server = HttpServer::new(move || {
        let (app, _openapi) = App::new()
            .app_data(data.clone())
            .app_data(document.clone())
            .wrap(from_fn(limit_request_line))
            .wrap(from_fn(head_as_get))
            .wrap(Compress::default())
            .wrap(DefaultHeaders::new().add(("Access-Control-Allow-Origin", "*")))
            .into_utoipa_app()
            .configure(routes::configure)
            .split_for_parts();
        app.route("/docs", web::get().to(docs::page))
            .route("/docs/", web::get().to(docs::page))
            .route("/docs/{asset}", web::get().to(docs::asset))
            .configure(frontend::configure)
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

/// Answers HEAD as GET (RFC 9110 §9.3.2): the request is routed as a GET, and the HTTP layer,
/// which saw a HEAD, sends the GET's status and headers without its body.
async fn head_as_get(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if request.method() == Method::HEAD {
        request.head_mut().method = Method::GET;
    }
    next.call(request).await
}

/// Refuses request lines longer than the configured limit with 414 and a hint to POST.
async fn limit_request_line(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = request
        .app_data::<web::Data<AppState>>()
        .map_or(Limits::default().max_request_line, |state| state.limits().max_request_line);
    // `METHOD SP request-target SP HTTP/1.1`
    let length = request.method().as_str().len() + request.uri().to_string().len() + 10;
    if length > limit {
        let response = ApiError::UriTooLong { length, limit }.error_response();
        return Ok(request.into_response(response));
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// A server running on its own thread, for tests and embedding.
pub struct BackgroundServer {
    /// The address the server listens on.
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
