//! Compressed answers decode to exactly the bytes of the uncompressed ones, whatever coding
//! the client asks for (zstd, br, gzip) and however the answer is made: held whole, streamed
//! from a blocking thread (police.uk's lists), or rendered page by page (the v2 lists).

use std::io::Read;

use police_api::server::Limits;
use police_generate::{generate, GenerateOptions};
use police_index::Month;
use police_tests::fixtures::import_cleanly;
use police_tests::http::TestServer;
use police_tests::{test_database, TestDatabase};

use crate::http::dechunk;

/// An answer off the socket ([`TestServer::raw`]): status, headers (lower case), body as
/// sent (dechunked).
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn send(server: &TestServer, method: &str, path: &str, accept_encoding: Option<&str>) -> Raw {
    let accept_encoding =
        accept_encoding.map(|value| format!("Accept-Encoding: {value}\r\n")).unwrap_or_default();
    let (head, mut body) = server.raw(&format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{accept_encoding}\r\n"
    ));
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    if headers.iter().any(|(n, v)| n == "transfer-encoding" && v == "chunked") {
        body = dechunk(&body);
    }
    Raw { status, headers, body }
}

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out),
        "zstd" => zstd::stream::read::Decoder::new(body).unwrap().read_to_end(&mut out),
        other => panic!("unexpected coding {other}"),
    }
    .unwrap_or_else(|error| panic!("{coding} did not decode: {error}"));
    out
}

/// A polygon around the generated force's crimes.
const BOX_OVER_THE_FORCE: &str = "52.2,-1.8:52.2,-0.5:53.0,-0.5:53.0,-1.8";

/// A server over one force's generated month (3,000 crimes), and its database (dropped
/// after the server, as the fields are declared).
struct Served {
    server: TestServer,
    _db: TestDatabase,
}

fn served() -> Served {
    served_with(3000, Limits::default())
}

/// [`served`] over `crimes` crimes in the month, the server with `limits`.
fn served_with(crimes: u64, limits: Limits) -> Served {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        forces: vec!["leicestershire".into()],
        first_month: Month::new(2024, 1).unwrap(),
        months: 1,
        crimes_per_month: crimes,
        snap_points: 400,
        neighbourhoods_per_force: 2,
        ..GenerateOptions::demo()
    };
    generate(&options, dir.path()).unwrap();
    import_cleanly(&db, &[dir.path().to_owned()]);
    Served { server: TestServer::with_limits(&db, limits), _db: db }
}

/// `crimes-at-location` at the snap point with the most crimes in 2024-01 (over 1 KiB).
fn busiest_point(server: &TestServer) -> String {
    let crimes = server
        .get(&format!("/api/crimes-street/all-crime?poly={BOX_OVER_THE_FORCE}&date=2024-01"))
        .json();
    let mut counts = std::collections::HashMap::new();
    for crime in crimes.as_array().unwrap() {
        *counts.entry(crime["location"]["street"]["id"].as_i64().unwrap()).or_insert(0) += 1;
    }
    let (id, _) = counts.into_iter().max_by_key(|&(id, count)| (count, id)).unwrap();
    format!("/api/crimes-at-location?location_id={id}&date=2024-01")
}

/// What each `Accept-Encoding` must be answered with.
const NEGOTIATIONS: [(&str, &str); 6] = [
    ("gzip", "gzip"),
    ("br", "br"),
    ("zstd", "zstd"),
    // Chromium's and Firefox's list: all equal, zstd preferred.
    ("gzip, deflate, br, zstd", "zstd"),
    // Safari's.
    ("gzip, deflate, br", "br"),
    ("zstd;q=0.5, gzip", "gzip"),
];

#[test]
fn every_coding_decodes_to_the_uncompressed_bytes() {
    let served = served();
    let server = &served.server;
    let paths = [
        // police.uk's lists, streamed from a blocking thread when large; crime lists are
        // gzipped from the repeats their writer marks (`deflate.rs`), chunk by chunk.
        format!("/api/crimes-street/all-crime?poly={BOX_OVER_THE_FORCE}&date=2024-01"),
        format!("/api/crimes-street/burglary?poly={BOX_OVER_THE_FORCE}&date=2024-01"),
        "/api/crimes-no-location?force=leicestershire&date=2024-01".to_owned(),
        // A crime list held whole (gzipped from its marks too).
        busiest_point(server),
        "/api/stops-force?force=leicestershire&date=2024-01".to_owned(),
        format!("/api/outcomes-at-location?poly={BOX_OVER_THE_FORCE}&date=2024-01"),
        // Small answers held whole.
        "/api/forces".to_owned(),
        // v2 lists, rendered page by page, in each format.
        "/api/v2/crimes?force=leicestershire&from=2024-01&limit=2000".to_owned(),
        "/api/v2/crimes?force=leicestershire&from=2024-01&limit=2000&format=csv".to_owned(),
        "/api/v2/crimes?force=leicestershire&from=2024-01&limit=2000&format=geojson".to_owned(),
        "/api/v2/crimes/counts?force=leicestershire&from=2024-01".to_owned(),
        // The documents and the front end.
        "/api/openapi.json".to_owned(),
        "/".to_owned(),
    ];
    let mut streamed = 0;
    for path in &paths {
        let plain = send(server, "GET", path, None);
        assert_eq!(plain.status, 200, "{path}: {}", String::from_utf8_lossy(&plain.body));
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        assert!(plain.body.len() > 1024, "{path}: only {} bytes", plain.body.len());
        assert_eq!(plain.header("vary"), Some("accept-encoding"), "{path}");
        for (accept, coding) in NEGOTIATIONS {
            let coded = send(server, "GET", path, Some(accept));
            assert_eq!(coded.status, 200, "{path} {accept}");
            assert_eq!(coded.header("content-encoding"), Some(coding), "{path} {accept}");
            assert_eq!(coded.header("vary"), Some("accept-encoding"), "{path} {accept}");
            assert!(
                coded.body.len() < plain.body.len() / 2,
                "{path} {accept}: {} of {} bytes",
                coded.body.len(),
                plain.body.len()
            );
            assert!(
                decode(coding, &coded.body) == plain.body,
                "{path} {accept}: decoded bytes differ from the plain answer's"
            );
            if coded.header("transfer-encoding") == Some("chunked") {
                streamed += 1;
            }
        }
    }
    // Some of these went through the streaming encoder, some were compressed whole.
    assert!(streamed > 0 && streamed < paths.len() * NEGOTIATIONS.len(), "{streamed} streamed");
}

#[test]
fn small_answers_errors_head_and_identity_go_out_uncompressed() {
    let served = served();
    let server = &served.server;
    let everything = "gzip, deflate, br, zstd";
    // Under 1 KiB: as it is, but still marked as varying.
    let small = send(server, "GET", "/api/forces/leicestershire", Some(everything));
    assert_eq!(small.status, 200);
    assert!(small.body.len() < 1024, "{} bytes", small.body.len());
    assert_eq!(small.header("content-encoding"), None);
    assert_eq!(small.header("vary"), Some("accept-encoding"));
    assert!(String::from_utf8(small.body).unwrap().starts_with("{\"description\""));
    // So is a crime list under 1 KiB, though gzip is written by its writer; and an empty one.
    for path in [
        "/api/crimes-street/all-crime?lat=51.0&lng=0.5&date=2024-01",
        "/api/crimes-no-location?force=leicestershire&category=drugs&date=2024-01",
    ] {
        let plain = send(server, "GET", path, None);
        let small = send(server, "GET", path, Some("gzip"));
        assert_eq!(small.status, 200, "{path}");
        assert!(small.body.len() < 1024, "{path}: {} bytes", small.body.len());
        assert_eq!(small.header("content-encoding"), None, "{path}");
        assert_eq!(small.header("vary"), Some("accept-encoding"), "{path}");
        assert_eq!(small.body, plain.body, "{path}");
    }
    // Errors are short text, left alone.
    let error = send(server, "GET", "/api/crimes-street/all-crime?lat=abc&lng=0", Some(everything));
    assert_eq!(error.status, 400);
    assert_eq!(error.header("content-encoding"), None);
    // HEAD: the GET's headers without the coding, and no body.
    let head = send(server, "HEAD", "/api/forces", Some(everything));
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-encoding"), None);
    assert!(head.body.is_empty());
    // A client that accepts none of ours, or refuses them: identity.
    for accept in ["identity", "deflate", "gzip;q=0, br;q=0, zstd;q=0", "*;q=0"] {
        let plain = send(server, "GET", "/api/forces", Some(accept));
        assert_eq!(plain.header("content-encoding"), None, "{accept}");
        assert!(plain.body.starts_with(b"[{\"id\":\"avon-and-somerset\""), "{accept}");
    }
}

/// A police.uk crime list of at most 10,000 crimes (police.uk's cap) is written whole and
/// sent with its `Content-Length`, plain or gzipped; a longer one (the cap lifted) is
/// streamed chunked from the start (a reader that stalls holds one 64 KiB chunk of it).
#[test]
fn short_crime_lists_go_out_whole_and_long_ones_streamed() {
    let served = served_with(12_000, Limits { max_results: None, ..Limits::default() });
    let server = &served.server;
    // A category whose list is long (streamed in chunks before lists within the cap went
    // whole: those had at most 1,200 crimes), yet within the cap.
    let short = ["anti-social-behaviour", "violent-crime", "other-theft", "criminal-damage-arson"]
        .iter()
        .map(|category| {
            format!("/api/crimes-street/{category}?poly={BOX_OVER_THE_FORCE}&date=2024-01")
        })
        .find(|path| {
            let body = server.get(path).body;
            let crimes = serde_json::from_str::<Vec<serde_json::Value>>(&body).unwrap().len();
            crimes > 2_000 && crimes <= 10_000
        })
        .expect("a category with 2,000 to 10,000 crimes");
    let long = format!("/api/crimes-street/all-crime?poly={BOX_OVER_THE_FORCE}&date=2024-01");
    for (path, whole) in [(&short, true), (&long, false)] {
        let crimes = server.get(path).json().as_array().unwrap().len();
        assert_eq!(crimes <= 10_000, whole, "{path}: {crimes} crimes");
        for accept in [None, Some("gzip")] {
            let answer = send(server, "GET", path, accept);
            assert_eq!(answer.status, 200, "{path} {accept:?}");
            assert!(answer.body.len() > 1024, "{path} {accept:?}: {} bytes", answer.body.len());
            let chunked = answer.header("transfer-encoding") == Some("chunked");
            assert_eq!(!chunked, whole, "{path} {accept:?}");
            if whole {
                let length: usize = answer.header("content-length").unwrap().parse().unwrap();
                assert_eq!(length, answer.body.len(), "{path} {accept:?}");
            }
        }
    }
}
