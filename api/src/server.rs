//! The HTTP server: middleware, the app around [`routes::configure`], and ways to run it.
//!
//! State lives in [`crate::state`], the OpenAPI document in [`crate::openapi`]; both are
//! re-exported here under the paths earlier versions used.

use std::cell::Cell;
use std::future::Future;
use std::net::TcpListener;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_http::error::DispatchError;
use actix_http::{ConnectionType, HttpService};
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{AppConfig, Payload, Server, ServerHandle};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::http::Method;
use actix_web::middleware::{from_fn, Condition, DefaultHeaders, Next};
use actix_web::web::Bytes;
use actix_web::HttpMessage;
use actix_web::{web, App, ResponseError};
use tokio::net::TcpStream;
use utoipa_actix_web::AppExt;

pub use crate::openapi::{openapi_document, openapi_json};
pub use crate::state::{AppState, Limits, Served};

use crate::connection::{self, ClientCounts, ConnectionLimits};
use crate::error::ApiError;
use crate::in_flight::{self, InFlight};
use crate::{compress, docs, frontend, routes};

/// Server settings that are not about data.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Worker threads; `None` means one per CPU.
    pub workers: Option<usize>,
    /// How long a graceful stop lets the requests in flight finish; `None`: actix's 30 s.
    pub shutdown_timeout: Option<std::time::Duration>,
    /// Threads each worker may run blocking work on (searches, the download's zip) at once;
    /// `None`: actix's 512 shared out over the CPUs.
    pub blocking_threads: Option<usize>,
}

/// Builds the server on an already bound listener (port 0 works: tests use it).
///
/// Every accepted connection goes through [`connection::accept`] (connections per client
/// address, send timeout, request lines actix-http could not parse) before actix-http reads
/// it; the process's open-file limit is raised to its hard limit first.
pub fn build(
    listener: TcpListener,
    state: Arc<AppState>,
    options: &ServerOptions,
) -> std::io::Result<Server> {
    raise_open_file_limit();
    let limits = state.limits();
    let connection_limits = ConnectionLimits {
        max_request_line: limits.max_request_line,
        send_timeout: limits.send_timeout,
        max_connections_per_client: limits.max_connections_per_client,
    };
    let counts = Arc::new(ClientCounts::default());
    let local_address = listener.local_addr()?;
    let data = web::Data::from(state);
    let document = web::Data::new(docs::OpenApiJson(openapi_json()));
    let in_flight = web::Data::new(InFlight::new(limits.max_bytes_in_flight));
    let requests = web::Data::new(crate::metrics::RequestMetrics::for_server());
    let guarded = data.access_control().is_some();
    // Signals are handled by the process (see `crate::signals`): a graceful stop of this
    // server, then the embedded PostgreSQL in order.
    let mut builder = actix_web::dev::Server::build().disable_signals();
    if let Some(workers) = options.workers {
        builder = builder.workers(workers);
    }
    if let Some(threads) = options.blocking_threads {
        builder = builder.worker_max_blocking_threads(threads);
    }
    if let Some(timeout) = options.shutdown_timeout {
        builder = builder.shutdown_timeout(timeout.as_secs());
    }
    let shutdown = builder.graceful_shutdown_signal();
    let server = builder.listen("police-api", listener, move || {
        let (app, _openapi) = App::new()
            .app_data(data.clone())
            .app_data(document.clone())
            .app_data(in_flight.clone())
            .app_data(requests.clone())
            // Innermost: compresses answers as rendered, so that what `in_flight` reserves
            // room for is what is held until sent.
            .wrap(from_fn(compress::compress))
            .wrap(from_fn(in_flight::bound))
            .wrap(from_fn(limit_request_line))
            .wrap(from_fn(body_deadline))
            .wrap(from_fn(head_as_get))
            .wrap(DefaultHeaders::new().add(("Access-Control-Allow-Origin", "*")))
            // API keys and the rate limit, only when on: refusals are still counted and logged.
            .wrap(Condition::new(guarded, from_fn(crate::access_control::guard)))
            // Outermost: counts and logs answers as they go to the connection.
            .wrap(from_fn(crate::access::observe))
            .into_utoipa_app()
            .configure(routes::configure)
            .split_for_parts();
        let app = app
            .route("/docs", web::get().to(docs::page))
            .route("/docs/", web::get().to(docs::page))
            .route("/docs/{asset}", web::get().to(docs::asset))
            .configure(frontend::configure)
            .default_service(web::to(routes::not_found));
        let app = app.into_factory().map_err(|error| error.error_response());
        let shutdown = shutdown.clone();
        let http = HttpService::build()
            // Idle keep-alive connections close when a graceful stop begins, as with
            // actix-web's `HttpServer`.
            .graceful_shutdown_signal(move || {
                let shutdown = shutdown.clone();
                async move { shutdown.notified().await }
            })
            // As actix-web's `HttpServer` sets it.
            .client_disconnect_timeout(std::time::Duration::from_secs(1))
            .local_addr(local_address)
            .h1(map_config(app, |_| AppConfig::default()));
        let counts = counts.clone();
        fn_service(move |stream: TcpStream| {
            let counts = counts.clone();
            async move {
                connection::accept(stream, connection_limits, &counts).await.ok_or_else(|| {
                    DispatchError::Io(std::io::Error::other("refused: too many connections"))
                })
            }
        })
        .and_then(http)
    })?;
    Ok(server.run())
}

/// Raises the soft limit on open files to the hard limit: each connection is a file, and the
/// usual soft limit (1,024) is reached by a thousand idle clients.
fn raise_open_file_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_err() {
            tracing::warn!("could not raise the open-file limit from {soft} to {hard}");
        }
    }
}

/// Gives a request's body [`Limits::body_timeout`] to arrive whole; a body still incomplete
/// then fails the read, and the answer is 408 with a message, the connection closed.
async fn body_deadline(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let has_body = request.headers().contains_key(CONTENT_LENGTH)
        || request.headers().contains_key(TRANSFER_ENCODING);
    if !has_body {
        return Ok(next.call(request).await?.map_into_boxed_body());
    }
    let timeout = request
        .app_data::<web::Data<AppState>>()
        .map_or(Limits::default().body_timeout, |state| state.limits().body_timeout);
    let expired = Rc::new(Cell::new(false));
    let payload = DeadlinePayload {
        inner: request.take_payload(),
        deadline: Box::pin(actix_web::rt::time::sleep(timeout)),
        expired: Rc::clone(&expired),
    };
    request.set_payload(Payload::Stream { payload: Box::pin(payload) });
    let answered = next.call(request).await;
    if !expired.get() {
        return Ok(answered?.map_into_boxed_body());
    }
    let timed_out = ApiError::BodyTimeout { seconds: timeout.as_secs() };
    // An error from further in is answered as the timeout (the HTTP layer closes a
    // connection whose body was not read whole).
    let (request, _) = answered.map_err(|_| timed_out.clone())?.into_parts();
    let mut response = timed_out.error_response();
    response.head_mut().set_connection_type(ConnectionType::Close);
    Ok(ServiceResponse::new(request, response))
}

/// A request's payload that fails once its deadline passes.
struct DeadlinePayload {
    inner: Payload,
    deadline: Pin<Box<actix_web::rt::time::Sleep>>,
    expired: Rc<Cell<bool>>,
}

impl futures_core::Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(chunk) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(chunk);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired.set(true);
            let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "body timeout");
            return Poll::Ready(Some(Err(PayloadError::Io(timed_out))));
        }
        Poll::Pending
    }
}

/// Answers HEAD as GET (RFC 9110 §9.3.2): the request is routed as a GET, and the HTTP layer,
/// which saw a HEAD, sends the GET's status and headers without its body.
async fn head_as_get(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if request.method() == Method::HEAD {
        request.head_mut().method = Method::GET;
        // No body goes out: nothing to compress.
        request.extensions_mut().insert(compress::AnsweringHead);
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
    // A line too long for actix-http, replaced by `connection::GuardedStream`.
    let replaced = request.path().strip_prefix(connection::TOO_LONG_PATH);
    // `METHOD SP request-target SP HTTP/1.1`
    let length = match replaced.and_then(|length| length.parse().ok()) {
        Some(length) => length,
        None => request.method().as_str().len() + request.uri().to_string().len() + 10,
    };
    if length > limit {
        let mut response = ApiError::UriTooLong { length, limit }.error_response();
        response.head_mut().set_connection_type(ConnectionType::Close);
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
