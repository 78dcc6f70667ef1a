//! The server under test on a real port, and plain HTTP requests to it.

use std::sync::Arc;

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

impl TestServer {
    /// Starts the server with police.uk's default limits.
    pub fn start(db: &TestDatabase) -> TestServer {
        TestServer::with_limits(db, Limits::default())
    }

    pub fn with_limits(db: &TestDatabase, limits: Limits) -> TestServer {
        let listener = ImportListener::connect(&db.url).expect("listening for imports");
        let snapshot = Snapshot::load(&db.url).expect("snapshot loads");
        let state = Arc::new(AppState::new(snapshot, limits));
        let refresher = Refresher::start(listener, db.url.clone(), state.clone());
        let server = BackgroundServer::start(state.clone(), &ServerOptions { workers: Some(2) })
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
        let agent = ureq::AgentBuilder::new().build();
        respond(agent.get(&format!("{}{path}", self.base_url())).call())
    }

    /// `POST path` with a body and content type.
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Response {
        let agent = ureq::AgentBuilder::new().build();
        respond(
            agent
                .post(&format!("{}{path}", self.base_url()))
                .set("Content-Type", content_type)
                .send_bytes(body),
        )
    }

    /// `POST path` with an `application/x-www-form-urlencoded` body.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let agent = ureq::AgentBuilder::new().build();
        respond(agent.post(&format!("{}{path}", self.base_url())).send_form(fields))
    }
}

fn respond(result: Result<ureq::Response, ureq::Error>) -> Response {
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed: {error}"),
    };
    Response {
        status: response.status(),
        content_type: response.header("content-type").unwrap_or_default().to_owned(),
        body: response.into_string().expect("a text body"),
    }
}
