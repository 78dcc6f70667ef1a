//! The server under test on a real port, and plain HTTP requests to it.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use police_api::refresh::Refresher;
use police_api::server::{AppState, BackgroundServer, Limits, ServerOptions};
use police_store::db::ImportListener;
use police_store::snapshot::Snapshot;

use crate::TestDatabase;

/// A running server over a test database, refreshed on imports like `police-api serve`.
pub struct TestServer {
    pub state: Arc<AppState>,
    // Dropped before the server: stops listening first.
    _refresher: Refresher,
    server: BackgroundServer,
}

/// A response: status, `Content-Type`, body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Response {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {}", &self.body[..self.body.len().min(500)])
        })
    }
}

/// Custom downloads a test server runs at once (the default of `police-api serve`).
pub const DOWNLOADS_AT_ONCE: usize = 2;

impl TestServer {
    /// Starts the server with police.uk's default limits.
    pub fn start(db: &TestDatabase) -> TestServer {
        TestServer::with_limits(db, Limits::default())
    }

    pub fn with_limits(db: &TestDatabase, limits: Limits) -> TestServer {
        let listener = ImportListener::connect(&db.url).expect("listening for imports");
        let snapshot = Snapshot::load(&db.url).expect("snapshot loads");
        let state =
            Arc::new(AppState::new(snapshot, limits).with_store(db.url.clone(), DOWNLOADS_AT_ONCE));
        let refresher = Refresher::start(listener, db.url.clone(), state.clone());
        let server = BackgroundServer::start(
            state.clone(),
            &ServerOptions { workers: Some(2), shutdown_timeout: None, blocking_threads: None },
        )
        .expect("server starts");
        TestServer { state, _refresher: refresher, server }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn address(&self) -> std::net::SocketAddr {
        self.server.address
    }

    /// `GET path` (path includes the query string).
    pub fn get(&self, path: &str) -> Response {
        respond(agent().get(&format!("{}{path}", self.base_url())).call())
    }

    /// `GET path` with a body that need not be text, whole: status, headers (names
    /// lower-cased) and the bytes.
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let mut response = agent()
            .get(&format!("{}{path}", self.base_url()))
            .call()
            .unwrap_or_else(|error| panic!("request failed: {error}"));
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let body =
            response.body_mut().with_config().limit(u64::MAX).read_to_vec().expect("a whole body");
        (response.status().as_u16(), headers, body)
    }

    /// `POST path` with a body and content type.
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Response {
        respond(
            agent()
                .post(&format!("{}{path}", self.base_url()))
                .header("Content-Type", content_type)
                .send(body),
        )
    }

    /// `POST path` with an `application/x-www-form-urlencoded` body.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        respond(
            agent().post(&format!("{}{path}", self.base_url())).send_form(fields.iter().copied()),
        )
    }

    /// Sends `request` (a whole HTTP/1.1 request, which should say `Connection: close`) as
    /// bytes over a new connection; returns the response head, lower-cased, and the raw body
    /// (still chunked or compressed if the server sent it so).
    pub fn raw(&self, request: &str) -> (String, Vec<u8>) {
        let mut stream = std::net::TcpStream::connect(self.address()).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
        let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
        (head, raw[split + 4..].to_vec())
    }

    /// The lower-cased head of a plain `GET path` sent by [`TestServer::raw`].
    pub fn raw_head(&self, path: &str) -> String {
        self.raw(&format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")).0
    }
}

/// Asserts a JSON success (200, `application/json`) and returns the parsed body.
#[track_caller]
pub fn assert_json(response: &Response) -> serde_json::Value {
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.content_type, "application/json");
    response.json()
}

/// `GET path`, asserted to be a JSON success ([`assert_json`]).
#[track_caller]
pub fn get_json(server: &TestServer, path: &str) -> serde_json::Value {
    assert_json(&server.get(path))
}

/// Asserts an error as police-api gives them: the status, `text/plain`, and a non-empty
/// message.
#[track_caller]
pub fn assert_error(response: &Response, status: u16) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.content_type, "text/plain", "{}", response.body);
    assert!(!response.body.trim().is_empty(), "an error should say what is wrong");
}

/// Polls `GET path` every 100 ms for up to 20 s until `done` holds, e.g. until the server
/// has refreshed its snapshot after an import; returns the last response either way, so the
/// caller asserts on it.
pub fn poll(server: &TestServer, path: &str, done: impl Fn(&Response) -> bool) -> Response {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = server.get(path);
        if done(&response) || Instant::now() > deadline {
            return response;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An HTTP client that hands back 4xx and 5xx answers as responses, not errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// A response's `Content-Type` header, or `""`.
pub fn content_type<B>(response: &ureq::http::Response<B>) -> &str {
    response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// Reads a response whose body is text of at most 10 MB (ureq's default limit).
fn respond(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Response {
    let mut response = result.unwrap_or_else(|error| panic!("request failed: {error}"));
    Response {
        status: response.status().as_u16(),
        content_type: content_type(&response).to_owned(),
        body: response.body_mut().read_to_string().expect("a text body"),
    }
}
