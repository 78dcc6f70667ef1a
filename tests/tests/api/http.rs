//! The HTTP surface over real requests: `/api/forces`, `/api/crimes-street-dates`,
//! `/api/crime-last-updated`, and the behaviour every response shares.

use std::io::Read;
use std::path::Path;

use police_tests::fixtures::{import, write_file, STOPS_HEADER, STREET_HEADER};
use police_tests::http::TestServer;
use police_tests::test_database;

fn get(server: &TestServer, path: &str) -> (u16, String, String) {
    let response = server.get(path);
    (response.status, response.content_type, response.body)
}

/// A file of one row (ASB in London, or an arrest) and then `body`.
fn write_month(dir: &Path, month: &str, force: &str, kind: &str, body: &str) {
    let (header, row) = match kind {
        "street" => (
            STREET_HEADER,
            format!(",{month},X,X,-0.1,51.5,On or near Here,E01000001,Somewhere 001A,Anti-social behaviour,,"),
        ),
        _ => (
            STOPS_HEADER,
            format!("Person search,{month}-02T10:00:00+00:00,False,,51.5,-0.1,Male,18-24,,White,,Controlled drugs,Arrest,,"),
        ),
    };
    write_file(dir, month, force, kind, format!("{header}\n{row}\n{body}"));
}

#[test]
fn forces_are_the_44_of_police_uk_in_its_order_as_compact_json() {
    let db = test_database();
    let server = TestServer::start(&db);
    let (status, content_type, body) = get(&server, "/api/forces");
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/json");
    let forces: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(forces.len(), 44);
    assert!(body.starts_with(r#"[{"id":"avon-and-somerset","name":"Avon and Somerset Constabulary"},{"id":"bedfordshire""#));
    // police.uk lists dyfed-powys after hampshire, and never btp.
    let ids: Vec<&str> = forces.iter().map(|f| f["id"].as_str().unwrap()).collect();
    let position = |id| ids.iter().position(|x| *x == id);
    assert_eq!(position("dyfed-powys"), Some(position("hampshire").unwrap() + 1));
    assert_eq!(position("btp"), None);
    assert_eq!(ids.last(), Some(&"wiltshire"));
    assert!(!body.contains(": ") && !body.contains(", "), "compact JSON");
}

#[test]
fn availability_lists_months_newest_first_with_stop_and_search_forces() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    write_month(dir.path(), "2024-01", "surrey", "street", "");
    write_month(dir.path(), "2024-02", "surrey", "street", "");
    write_month(dir.path(), "2024-02", "surrey", "stop-and-search", "");
    write_month(dir.path(), "2024-02", "city-of-london", "stop-and-search", "");
    write_month(dir.path(), "2024-03", "btp", "stop-and-search", "");
    let summary = import(&db, &[dir.path().to_owned()]);
    assert_eq!(summary.imported(), 5);
    let server = TestServer::start(&db);

    let (status, content_type, body) = get(&server, "/api/crimes-street-dates");
    assert_eq!((status, content_type.as_str()), (200, "application/json"));
    assert_eq!(
        body,
        r#"[{"date":"2024-03","stop-and-search":["btp"]},{"date":"2024-02","stop-and-search":["city-of-london","surrey"]},{"date":"2024-01","stop-and-search":[]}]"#
    );
    let (status, _, body) = get(&server, "/api/crime-last-updated");
    assert_eq!((status, body.as_str()), (200, r#"{"date":"2024-02-01"}"#));
}

#[test]
fn last_updated_is_404_with_a_message_while_the_store_is_empty() {
    let db = test_database();
    let server = TestServer::start(&db);
    let (status, content_type, body) = get(&server, "/api/crime-last-updated");
    assert_eq!(status, 404);
    assert_eq!(content_type, "text/plain");
    assert!(body.contains("no crime data"), "{body}");
    assert_eq!(get(&server, "/api/crimes-street-dates").2, "[]");
}

#[test]
fn unknown_paths_are_plain_not_found() {
    let db = test_database();
    let server = TestServer::start(&db);
    assert_eq!(get(&server, "/api/no-such-thing"), (404, "text/plain".into(), "Not Found".into()));
}

#[test]
fn responses_are_gzipped_when_accepted_and_open_to_any_origin() {
    let db = test_database();
    let server = TestServer::start(&db);
    let (head, mut body) = server.raw(
        "GET /api/forces HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("access-control-allow-origin: *"), "{head}");
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(body.as_slice()).read_to_string(&mut decoded).unwrap();
    assert!(decoded.starts_with(r#"[{"id":"avon-and-somerset""#), "{decoded}");
    assert_eq!(serde_json::from_str::<Vec<serde_json::Value>>(&decoded).unwrap().len(), 44);
}

/// The payload of an HTTP/1.1 chunked body.
pub(crate) fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&body[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        let start = line_end + 2;
        out.extend_from_slice(&body[start..start + size]);
        body = &body[start + size + 2..];
    }
}

#[test]
fn head_is_answered_as_get_without_the_body() {
    let db = test_database();
    let server = TestServer::start(&db);
    for path in ["/api/forces", "/api/v2/crime-category-groups", "/api/no-such-thing"] {
        let request = |method: &str| {
            format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        };
        let (get_head, get_body) = server.raw(&request("GET"));
        let (head_head, head_body) = server.raw(&request("HEAD"));
        let status = |head: &str| head.lines().next().unwrap().to_owned();
        assert_eq!(status(&head_head), status(&get_head), "{path}");
        assert!(head_body.is_empty(), "{path}: HEAD sent a body");
        let header =
            |head: &str, name: &str| head.lines().find(|l| l.starts_with(name)).map(str::to_owned);
        assert_eq!(header(&head_head, "content-type:"), header(&get_head, "content-type:"));
        assert_eq!(
            header(&head_head, "content-length:"),
            Some(format!("content-length: {}", get_body.len())),
            "{path}: {head_head}"
        );
    }
}
