//! What the v2 list tests (`v2_crimes`, `v2_lists`) share: a GET with its headers, and the
//! check that a cursor taken before an import answers 410 after it.

use std::path::Path;

use police_tests::fixtures::import_cleanly;
use police_tests::http::{agent, poll, TestServer};
use police_tests::TestDatabase;

/// A response with its headers.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub link: Option<String>,
    pub body: String,
}

/// GETs `path`, with `Accept` when given; any status.
pub fn get(server: &TestServer, path: &str, accept: Option<&str>) -> Answer {
    let mut request = agent().get(&format!("{}{path}", server.base_url()));
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let mut response = request.call().unwrap();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (content_type, link) = (header("content-type").unwrap_or_default(), header("link"));
    let body = response.body_mut().with_config().limit(1 << 30).read_to_string().unwrap();
    Answer { status: response.status().as_u16(), content_type, link, body }
}

/// Imports the archive in `dir` (the caller has just added a month to it), waits until
/// `probe` answers with `marker` in its body (the new snapshot is served), then checks that
/// the cursor URL `next`, taken before, answers 410 with a message saying to start again.
pub fn assert_cursor_gone_after_import(
    server: &TestServer,
    db: &TestDatabase,
    dir: &Path,
    next: &str,
    probe: &str,
    marker: &str,
) {
    import_cleanly(db, &[dir.to_owned()]);
    let swapped = poll(server, probe, |r| r.body.contains(marker));
    assert_eq!(swapped.status, 200, "{}", swapped.body);
    let gone = get(server, next, None);
    assert_eq!(gone.status, 410, "{}", gone.body);
    assert_eq!(gone.content_type, "text/plain");
    assert!(gone.body.contains("start again"), "{}", gone.body);
}
