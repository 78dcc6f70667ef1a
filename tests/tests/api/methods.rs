//! Methods other than a route's own, over raw HTTP: for every path of the OpenAPI document,
//! 405 with `Allow` for a method it does not take, OPTIONS as a CORS preflight or plain,
//! and unknown paths still police.uk's bare 404 whatever the method.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use police_generate::{generate, GenerateOptions};
use police_index::Month;
use police_tests::fixtures::import;
use police_tests::http::TestServer;
use police_tests::test_database;

const COMMITTED: &str = include_str!("../../../openapi/openapi.json");

/// A response read off the socket: status, headers (names lower case, values as sent), body.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Sends `method path` with `extra` header lines (each ending in CRLF) and no body.
fn send(server: &TestServer, method: &str, path: &str, extra: &str) -> Raw {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(server.address()).unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\
         Content-Length: 0\r\n{extra}\r\n"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete head");
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Raw { status, headers, body: body.to_owned() }
}

/// Each documented path with the methods the document gives it (upper case).
fn documented_paths() -> BTreeMap<String, BTreeSet<String>> {
    let document: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods = item.as_object().unwrap().keys().map(|m| m.to_uppercase()).collect();
            (path.clone(), methods)
        })
        .collect()
}

fn small_archive(dir: &Path) {
    let options = GenerateOptions {
        forces: vec!["leicestershire".into()],
        first_month: Month::new(2024, 1).unwrap(),
        months: 1,
        crimes_per_month: 500,
        snap_points: 300,
        neighbourhoods_per_force: 2,
        ..GenerateOptions::demo()
    };
    generate(&options, dir).unwrap();
}

#[test]
fn other_methods_are_405_with_allow_and_options_answers_as_a_cors_preflight() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    small_archive(dir.path());
    assert_eq!(import(&db, &[dir.path().to_owned()]).problems(), 0);
    let server = TestServer::start(&db);

    // Real identifiers for the path parameters.
    let crimes = server.get("/api/crimes-street/all-crime?lat=52.6297&lng=-1.1316").json();
    let crime = crimes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["persistent_id"] != "")
        .expect("the generated archive has crimes with an id in Leicester");
    let persistent_id = crime["persistent_id"].as_str().unwrap().to_owned();
    let neighbourhoods = server.get("/api/leicestershire/neighbourhoods").json();
    let neighbourhood = neighbourhoods[0]["id"].as_str().unwrap().to_owned();

    let paths = documented_paths();
    assert!(paths.len() >= 30, "{paths:?}");
    for (template, methods) in &paths {
        let path = template
            .replace("{category}", "all-crime")
            .replace("{id}", "leicestershire")
            .replace("{force}", "leicestershire")
            .replace("{neighbourhood}", &neighbourhood)
            .replace("{persistent_id}", &persistent_id);
        assert!(!path.contains('{'), "{template} has a parameter this test does not fill");
        let takes_post = methods.contains("POST");
        let cors_methods = if takes_post { "GET, HEAD, POST" } else { "GET, HEAD" };
        assert!(methods.contains("GET"), "{template}: {methods:?}");
        let allow = format!("{cors_methods}, OPTIONS");

        let mut refused = vec!["PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "PROPFIND"];
        if !takes_post {
            refused.push("POST");
        }
        for method in refused {
            let answer = send(&server, method, &path, "");
            assert_eq!(answer.status, 405, "{method} {path}: {}", answer.body);
            assert_eq!(answer.header("allow"), Some(allow.as_str()), "{method} {path}");
            assert_eq!(answer.header("content-type"), Some("text/plain"), "{method} {path}");
            assert_eq!(
                answer.body,
                format!("{method} is not a method of this route; it answers {allow}"),
            );
        }

        let preflight = send(
            &server,
            "OPTIONS",
            &path,
            "Origin: https://example.org\r\nAccess-Control-Request-Method: GET\r\n\
             Access-Control-Request-Headers: If-None-Match, content-type\r\n",
        );
        assert_eq!(preflight.status, 204, "OPTIONS {path}: {}", preflight.body);
        assert_eq!(preflight.body, "");
        assert_eq!(preflight.header("allow"), Some(allow.as_str()), "{path}");
        assert_eq!(preflight.header("access-control-allow-origin"), Some("*"), "{path}");
        assert_eq!(preflight.header("access-control-allow-methods"), Some(cors_methods), "{path}");
        assert_eq!(
            preflight.header("access-control-allow-headers"),
            Some("if-none-match, content-type"),
            "{path}"
        );
        assert_eq!(preflight.header("access-control-max-age"), Some("86400"), "{path}");
        let origins = preflight.headers.iter().filter(|(n, _)| n == "access-control-allow-origin");
        assert_eq!(origins.count(), 1, "{path}");

        let plain = send(&server, "OPTIONS", &path, "");
        assert_eq!(plain.status, 204, "OPTIONS {path}: {}", plain.body);
        assert_eq!(plain.header("allow"), Some(allow.as_str()), "{path}");
        assert_eq!(plain.header("access-control-allow-methods"), None, "{path}");

        // The route's own methods still reach it.
        assert_ne!(send(&server, "GET", &path, "").status, 405, "GET {path}");
    }
}

#[test]
fn unknown_paths_are_police_uk_s_bare_404_whatever_the_method() {
    let db = test_database();
    let server = TestServer::start(&db);
    for path in
        ["/api/no-such-thing", "/nothing", "/api/v2/no-such-thing", "/api/a/b/c/d", "/api/forces/"]
    {
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "TRACE", "OPTIONS"] {
            let answer = send(&server, method, path, "Access-Control-Request-Method: GET\r\n");
            assert_eq!(
                (answer.status, answer.header("content-type"), answer.body.as_str()),
                (404, Some("text/plain"), "Not Found"),
                "{method} {path}"
            );
            assert_eq!(answer.header("allow"), None, "{method} {path}");
        }
    }
}
