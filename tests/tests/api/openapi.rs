//! The OpenAPI document: generated from the code, committed, served, and covering exactly
//! the routes the server answers; the docs page works without any other host.

// An `unwrap` fails the test, as meant; clippy.toml's `allow-unwrap-in-tests` does not cover
// the helpers outside `#[test]` functions.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use police_generate::{generate, GenerateOptions};
use police_index::Month;
use police_tests::fixtures::import;
use police_tests::http::TestServer;
use police_tests::test_database;

const COMMITTED: &str = include_str!("../../../openapi/openapi.json");

#[test]
fn the_committed_document_is_the_one_the_code_generates() {
    let generated = police_api::server::openapi_json();
    assert!(
        generated == COMMITTED,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
    let document: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
}

/// police.uk's routes (spec §1–§5) plus our own: the v2 routes (`/api/v2/…`) and this
/// server's document.
pub(crate) const EXPECTED_OPERATIONS: &[&str] = &[
    "GET /api/crime-categories",
    "GET /api/crime-last-updated",
    "GET /api/crimes-at-location",
    "GET /api/crimes-no-location",
    "GET /api/crimes-street-dates",
    "GET /api/crimes-street/{category}",
    "POST /api/crimes-street/{category}",
    "GET /api/forces",
    "GET /api/forces/{id}",
    "GET /api/forces/{id}/people",
    "GET /api/locate-neighbourhood",
    "GET /api/openapi.json",
    "GET /api/outcomes-at-location",
    "POST /api/outcomes-at-location",
    "GET /api/outcomes-for-crime/{persistent_id}",
    "GET /api/stops-at-location",
    "GET /api/stops-force",
    "GET /api/stops-no-location",
    "GET /api/stops-street",
    "POST /api/stops-street",
    "GET /api/v2/crime-category-groups",
    "GET /api/v2/crimes/compare",
    "GET /api/v2/crimes/counts",
    "GET /api/v2/forces/{force}/neighbourhoods/boundaries",
    "GET /api/v2/forces/{force}/neighbourhoods/{neighbourhood}/boundary",
    "POST /api/v2/crimes/counts",
    "GET /api/v2/crimes/hotspots",
    "POST /api/v2/crimes/hotspots",
    "GET /api/v2/stops/counts",
    "POST /api/v2/stops/counts",
    "GET /api/v2/outcomes/counts",
    "POST /api/v2/outcomes/counts",
    "GET /api/v2/crimes",
    "POST /api/v2/crimes",
    "GET /api/v2/download",
    "GET /api/v2/places",
    "GET /api/v2/outcomes",
    "POST /api/v2/outcomes",
    "GET /api/v2/stops",
    "POST /api/v2/stops",
    "GET /api/{force}/neighbourhoods",
    "GET /api/{force}/{neighbourhood}",
    "GET /api/{force}/{neighbourhood}/boundary",
    "GET /api/{force}/{neighbourhood}/events",
    "GET /api/{force}/{neighbourhood}/people",
    "GET /api/{force}/{neighbourhood}/priorities",
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
];

fn documented_operations(document: &serde_json::Value) -> BTreeSet<String> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_uppercase()))
        })
        .collect()
}

fn small_archive(dir: &Path) {
    let options = GenerateOptions {
        forces: vec!["leicestershire".into()],
        first_month: Month::new(2024, 1).unwrap(),
        months: 2,
        crimes_per_month: 3000,
        snap_points: 2000,
        neighbourhoods_per_force: 6,
        ..GenerateOptions::demo()
    };
    generate(&options, dir).unwrap();
}

#[test]
fn every_documented_operation_is_served_and_every_route_is_documented() {
    let document: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    let expected: BTreeSet<String> = EXPECTED_OPERATIONS.iter().map(|s| s.to_string()).collect();
    assert_eq!(documented_operations(&document), expected);

    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    small_archive(dir.path());
    let summary = import(&db, &[dir.path().to_owned()]);
    assert_eq!(summary.problems(), 0);
    let server = TestServer::start(&db);

    // Real identifiers to fill the operations' parameters with.
    let crimes = server.get("/api/crimes-street/all-crime?lat=52.6297&lng=-1.1316").json();
    let crime = crimes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["persistent_id"] != "" && !c["location"].is_null())
        .expect("the generated archive has crimes in Leicester")
        .clone();
    let (lat, lng) = (
        crime["location"]["latitude"].as_str().unwrap().to_owned(),
        crime["location"]["longitude"].as_str().unwrap().to_owned(),
    );
    let location_id = crime["location"]["street"]["id"].to_string();
    let persistent_id = crime["persistent_id"].as_str().unwrap().to_owned();
    let neighbourhoods = server.get("/api/leicestershire/neighbourhoods").json();
    let neighbourhood = neighbourhoods[0]["id"].as_str().unwrap().to_owned();

    for operation in EXPECTED_OPERATIONS {
        let (method, template) = operation.split_once(' ').unwrap();
        let path = template
            .replace("{category}", "all-crime")
            .replace("{id}", "leicestershire")
            .replace("{force}", "leicestershire")
            .replace("{neighbourhood}", &neighbourhood)
            .replace("{persistent_id}", &persistent_id);
        if path == "/api/v2/download" {
            // A zip, not JSON (tested in v2_download).
            let (status, headers, body) = server.get_bytes(&path);
            assert_eq!(status, 200, "{operation}: {}", String::from_utf8_lossy(&body));
            assert!(headers.contains(&("content-type".into(), "application/zip".into())));
            continue;
        }
        let query = match path.as_str() {
            "/api/crimes-street/all-crime" | "/api/outcomes-at-location" | "/api/stops-street" => {
                format!("lat={lat}&lng={lng}")
            }
            "/api/crimes-at-location" | "/api/stops-at-location" => {
                format!("location_id={location_id}")
            }
            "/api/crimes-no-location" | "/api/stops-force" | "/api/stops-no-location" => {
                "force=leicestershire".to_owned()
            }
            "/api/locate-neighbourhood" => format!("q={lat},{lng}"),
            "/api/v2/crimes/compare" => "area=force:leicestershire&area=national".to_owned(),
            "/api/v2/places" => "q=street".to_owned(),
            _ => String::new(),
        };
        let response = if method == "POST" && path.starts_with("/api/v2/") {
            // The v2 routes take POST for a GeoJSON area.
            let square = format!(
                r#"{{"type":"Polygon","coordinates":[[[{lng0},{lat0}],[{lng1},{lat0}],[{lng1},{lat1}],[{lng0},{lat0}]]]}}"#,
                lng0 = -1.2,
                lng1 = -1.0,
                lat0 = 52.5,
                lat1 = 52.7
            );
            server.post(&path, "application/geo+json", square.as_bytes())
        } else if method == "POST" {
            server.post(&path, "application/x-www-form-urlencoded", query.as_bytes())
        } else if query.is_empty() {
            server.get(&path)
        } else {
            server.get(&format!("{path}?{query}"))
        };
        assert_eq!(response.status, 200, "{operation}: {}", response.body);
        if path == "/healthz" {
            assert_eq!(
                (response.content_type.as_str(), response.body.as_str()),
                ("text/plain; charset=utf-8", "ok")
            );
            continue;
        }
        if path == "/metrics" {
            assert_eq!(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
            assert!(response.body.contains("police_api_snapshot_crimes "), "{}", response.body);
            continue;
        }
        let content_type = if path.starts_with("/api/v2/forces/") {
            "application/geo+json"
        } else {
            "application/json"
        };
        assert_eq!(response.content_type, content_type, "{operation}");
        response.json();
    }
}

#[test]
fn the_document_and_the_docs_page_are_served_from_this_server_alone() {
    let db = test_database();
    let server = TestServer::start(&db);
    let served = server.get("/api/openapi.json");
    assert_eq!((served.status, served.content_type.as_str()), (200, "application/json"));
    assert_eq!(served.body, COMMITTED);

    let page = server.get("/docs");
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    let mut assets = Vec::new();
    for tag in page.body.split(['"', '\'']).filter(|s| s.starts_with("/docs/")) {
        assets.push(tag.to_owned());
    }
    assert_eq!(assets.len(), 3, "{assets:?}");
    for asset in &assets {
        let response = server.get(asset);
        assert_eq!(response.status, 200, "{asset}");
        assert!(!response.body.is_empty());
    }
    // Nothing on the page or in its own script points at another host.
    let script = server.get("/docs/docs.js").body;
    for text in [&page.body, &script] {
        assert!(!text.contains("http://") && !text.contains("https://"), "{text}");
    }
    assert!(script.contains("\"/api/openapi.json\""));
    assert_eq!(server.get("/docs/nothing.js").status, 404);
}
