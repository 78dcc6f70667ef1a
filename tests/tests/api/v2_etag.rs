//! Conditional requests on `/api/v2/` over real HTTP: every v2 operation the OpenAPI test
//! lists answers with an `ETag` and `Cache-Control: no-cache`; `If-None-Match` with that tag
//! (alone, in a list, weak or strong, or `*`) gets a 304 without a body; another query,
//! another `Accept` or another POST body gets another tag; a POST whose tag matches gets a 412;
//! an import changes every tag and the old one gets a 200 again; police.uk's routes carry no
//! tag and ignore `If-None-Match`.

use std::io::Read;

use police_generate::{generate, GenerateOptions};
use police_index::Month;
use police_tests::fixtures::{crime, import_cleanly, street_file, Place};
use police_tests::http::{agent, TestServer};
use police_tests::{test_database, TestDatabase};

use crate::openapi::EXPECTED_OPERATIONS;

/// An answer with the headers this test looks at.
#[derive(Debug)]
struct Answer {
    status: u16,
    etag: Option<String>,
    cache_control: Option<String>,
    body: Vec<u8>,
}

/// `method path` with extra headers and, for a POST, a body.
fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let url = format!("{}{path}", server.base_url());
    let agent = agent();
    let mut response = match method {
        "GET" => {
            let mut request = agent.get(&url);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request.call()
        }
        "HEAD" => {
            let mut request = agent.head(&url);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request.call()
        }
        "POST" => {
            let mut request = agent.post(&url).header("Content-Type", "application/geo+json");
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            request.send(body)
        }
        other => panic!("{other}"),
    }
    .unwrap();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (etag, cache_control) = (header("etag"), header("cache-control"));
    let mut bytes = Vec::new();
    if method != "HEAD" {
        response.body_mut().as_reader().read_to_end(&mut bytes).unwrap();
    }
    Answer { status: response.status().as_u16(), etag, cache_control, body: bytes }
}

/// A GeoJSON area for the v2 POST routes.
const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[-1.2,52.5],[-1.0,52.5],[-1.0,52.7],[-1.2,52.7],[-1.2,52.5]]]}"#;

/// What the sample request of a v2 operation sends: path (parameters filled in) and query.
/// A new route that needs parameters to answer 2xx gets its line here.
fn sample(template: &str, neighbourhood: &str) -> String {
    let path =
        template.replace("{force}", "leicestershire").replace("{neighbourhood}", neighbourhood);
    let query = match path.as_str() {
        "/api/v2/crimes/compare" => "area=force:leicestershire&area=national",
        "/api/v2/places" => "q=street",
        _ => "",
    };
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}

fn generated_store() -> (TestDatabase, tempfile::TempDir) {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        forces: vec!["leicestershire".into()],
        first_month: Month::new(2024, 1).unwrap(),
        months: 2,
        crimes_per_month: 2000,
        snap_points: 1000,
        neighbourhoods_per_force: 6,
        ..GenerateOptions::demo()
    };
    generate(&options, dir.path()).unwrap();
    import_cleanly(&db, &[dir.path().to_owned()]);
    (db, dir)
}

fn v2_operations() -> Vec<(&'static str, &'static str)> {
    let operations: Vec<_> = EXPECTED_OPERATIONS
        .iter()
        .map(|op| op.split_once(' ').unwrap())
        .filter(|(_, path)| path.starts_with("/api/v2/"))
        .collect();
    assert!(operations.len() >= 12, "{operations:?}");
    operations
}

#[test]
fn every_v2_operation_answers_with_a_tag_and_304s_a_matching_if_none_match() {
    let (db, _dir) = generated_store();
    let server = TestServer::start(&db);
    let neighbourhoods = server.get("/api/leicestershire/neighbourhoods").json();
    let neighbourhood = neighbourhoods[0]["id"].as_str().unwrap().to_owned();

    for (method, template) in v2_operations() {
        let path = sample(template, &neighbourhood);
        let what = format!("{method} {path}");
        let first = send(&server, method, &path, &[], SQUARE.as_bytes());
        assert!((200..300).contains(&first.status), "{what}: {first:?}");
        let tag = first.etag.clone().unwrap_or_else(|| panic!("{what}: no ETag"));
        assert!(tag.starts_with("W/\"") && tag.ends_with('"') && tag.len() > 20, "{what}: {tag}");
        assert_eq!(first.cache_control.as_deref(), Some("no-cache"), "{what}");
        // The same request on the same data: the same tag.
        let again = send(&server, method, &path, &[], SQUARE.as_bytes());
        assert_eq!(again.etag.as_deref(), Some(tag.as_str()), "{what}");

        if method == "POST" {
            // RFC 9110 §13.1.2: a matching tag on a method other than GET/HEAD is a 412.
            let matched =
                send(&server, method, &path, &[("If-None-Match", &tag)], SQUARE.as_bytes());
            assert_eq!(matched.status, 412, "{what}");
            assert_eq!(matched.etag, None, "{what}");
            let other_body = SQUARE.replace("-1.0,", "-1.01,");
            let other = send(&server, method, &path, &[], other_body.as_bytes());
            assert_eq!(other.status, 200, "{what}");
            assert_ne!(other.etag.as_deref(), Some(tag.as_str()), "{what}: another body");
            let stale =
                send(&server, method, &path, &[("If-None-Match", &tag)], other_body.as_bytes());
            assert_eq!((stale.status, stale.etag), (200, other.etag), "{what}");
            continue;
        }

        let strong = tag.trim_start_matches("W/").to_owned();
        let list = format!("\"nothing\", {tag}");
        for condition in [tag.as_str(), strong.as_str(), list.as_str(), "*"] {
            let answer = send(&server, method, &path, &[("If-None-Match", condition)], b"");
            assert_eq!(answer.status, 304, "{what} with If-None-Match: {condition}");
            assert!(answer.body.is_empty(), "{what}: a 304 has no body");
            assert_eq!(answer.etag.as_deref(), Some(tag.as_str()), "{what}");
            assert_eq!(answer.cache_control.as_deref(), Some("no-cache"), "{what}");
        }
        let stale = send(&server, method, &path, &[("If-None-Match", "W/\"0123\"")], b"");
        assert_eq!((stale.status, stale.body), (first.status, first.body.clone()), "{what}");

        // Another query string, another tag.
        let separator = if path.contains('?') { '&' } else { '?' };
        let other_path = format!("{path}{separator}unused=1");
        let other = send(&server, method, &other_path, &[], b"");
        if (200..300).contains(&other.status) {
            assert_ne!(other.etag.as_deref(), Some(tag.as_str()), "{what}: another query");
        }
        // Another Accept, another tag (the list routes negotiate their format by it).
        let accept = send(&server, method, &path, &[("Accept", "application/json")], b"");
        assert_ne!(accept.etag.as_deref(), Some(tag.as_str()), "{what}: another Accept");
    }
}

#[test]
fn errors_carry_no_tag_and_ignore_if_none_match() {
    let (db, _dir) = generated_store();
    let server = TestServer::start(&db);
    let bad =
        send(&server, "GET", "/api/v2/crimes/counts?from=2024-13", &[("If-None-Match", "*")], b"");
    assert_eq!((bad.status, bad.etag, bad.cache_control), (400, None, None));
    let missing =
        send(&server, "GET", "/api/v2/forces/nowhere/neighbourhoods/boundaries", &[], b"");
    assert_eq!((missing.status, missing.etag), (404, None));
    // HEAD: where a route answers it, the GET's tag; where none does, no 304 either.
    let path = "/api/v2/crime-category-groups";
    let get = send(&server, "GET", path, &[], b"");
    let tag = get.etag.unwrap();
    let head = send(&server, "HEAD", path, &[("If-None-Match", &tag)], b"");
    match head.status {
        304 => assert_eq!(head.etag, Some(tag)),
        status => assert!(!(200..400).contains(&status) && head.etag.is_none(), "{head:?}"),
    }
}

#[test]
fn compressed_and_plain_answers_share_the_weak_tag() {
    let (db, _dir) = generated_store();
    let server = TestServer::start(&db);
    let path = "/api/v2/crimes/counts?force=leicestershire";
    let plain =
        server.raw(&format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
    let gzip = server.raw(&format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    ));
    let etag = |head: &str| {
        head.lines().find_map(|l| l.strip_prefix("etag: ")).map(str::to_owned).unwrap()
    };
    assert!(gzip.0.contains("content-encoding: gzip"), "{}", gzip.0);
    assert!(!plain.0.contains("content-encoding"), "{}", plain.0);
    assert!(etag(&plain.0).starts_with("w/\""), "{}", plain.0);
    assert_eq!(etag(&plain.0), etag(&gzip.0));
    // And the gzip client's revalidation is a 304 (the head came lower-cased: `w/` is read
    // as no prefix, which the weak comparison does not need).
    let gzip_tag = etag(&gzip.0);
    let tag = gzip_tag.trim_start_matches("w/");
    let revalidated = server.raw(&format!(
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nIf-None-Match: {tag}\r\nConnection: close\r\n\r\n"
    ));
    assert!(revalidated.0.starts_with("http/1.1 304"), "{}", revalidated.0);
    assert!(revalidated.1.is_empty());
}

#[test]
fn an_import_changes_every_tag() {
    let (db, dir) = generated_store();
    let server = TestServer::start(&db);
    let paths = [
        "/api/v2/crimes/counts?force=leicestershire",
        "/api/v2/crime-category-groups",
        "/api/v2/forces/leicestershire/neighbourhoods/boundaries",
    ];
    let before: Vec<String> =
        paths.iter().map(|p| send(&server, "GET", p, &[], b"").etag.unwrap()).collect();
    let version = server.state.current().version.clone();

    // A month more of crimes.
    let file = street_file(
        dir.path(),
        "2024-03",
        "leicestershire",
        &[crime(
            1,
            Place { lat: "52.629700", lng: "-1.131600", name: "On or near High Street" },
            "Burglary",
            "",
        )],
    );
    import_cleanly(&db, &[file]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.state.current().version == version {
        assert!(std::time::Instant::now() < deadline, "the server never refreshed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    for (path, old) in paths.iter().zip(&before) {
        let answer = send(&server, "GET", path, &[("If-None-Match", old)], b"");
        assert_eq!(answer.status, 200, "{path}: the old tag must not match after an import");
        assert!(!answer.body.is_empty());
        let new = answer.etag.unwrap();
        assert_ne!(&new, old, "{path}");
        assert_eq!(send(&server, "GET", path, &[("If-None-Match", &new)], b"").status, 304);
    }
}

#[test]
fn police_uk_routes_carry_no_tag_and_ignore_if_none_match() {
    let (db, _dir) = generated_store();
    let server = TestServer::start(&db);
    let paths = [
        "/api/forces",
        "/api/crime-categories",
        "/api/crimes-street-dates",
        "/api/crimes-street/all-crime?lat=52.6297&lng=-1.1316&date=2024-01",
        "/api/leicestershire/neighbourhoods",
        "/api/openapi.json",
    ];
    for path in paths {
        let head = server.raw_head(path);
        assert!(head.starts_with("http/1.1 200"), "{path}: {head}");
        assert!(!head.contains("etag") && !head.contains("cache-control"), "{path}: {head}");
        let plain = send(&server, "GET", path, &[], b"");
        let conditional = send(&server, "GET", path, &[("If-None-Match", "*")], b"");
        assert_eq!((conditional.status, conditional.etag), (200, None), "{path}");
        assert_eq!(conditional.body, plain.body, "{path}");
    }
}
