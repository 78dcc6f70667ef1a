//! The web front end (`/`, `/dashboard`, `/assets/…`): served from the binary with the
//! right content types, compressed when asked, the tile setting on the page, unknown assets
//! 404, and police.uk's surface unchanged around it. Its behaviour in a browser is
//! `tests/browser/web.test.mjs`.

use std::io::Read;
use std::sync::Arc;

use police_api::frontend::{Tiles, OPENSTREETMAP_TILES};
use police_api::server::{AppState, BackgroundServer, Limits, ServerOptions};
use police_store::snapshot::Snapshot;
use police_tests::http::TestServer;
use police_tests::test_database;

use crate::http::dechunk;

/// The committed asset behind each `/assets/` name the pages load.
const ASSETS: &[(&str, &str)] = &[
    ("/assets/web.css", include_str!("../../../api/assets/web/web.css")),
    ("/assets/common.js", include_str!("../../../api/assets/web/common.js")),
    ("/assets/map.js", include_str!("../../../api/assets/web/map.js")),
    ("/assets/dashboard.js", include_str!("../../../api/assets/web/dashboard.js")),
    ("/assets/leaflet.js", include_str!("../../../api/assets/web/leaflet/leaflet.js")),
    ("/assets/leaflet.css", include_str!("../../../api/assets/web/leaflet/leaflet.css")),
    ("/assets/uPlot.iife.min.js", include_str!("../../../api/assets/web/uplot/uPlot.iife.min.js")),
    ("/assets/uPlot.min.css", include_str!("../../../api/assets/web/uplot/uPlot.min.css")),
];

/// The `/assets/…` paths a page's `src` and `href` attributes name.
fn assets_of(page: &str) -> Vec<String> {
    page.split(['"', '\'']).filter(|s| s.starts_with("/assets/")).map(str::to_owned).collect()
}

fn expected_content_type(path: &str) -> &'static str {
    if path.ends_with(".js") {
        "text/javascript; charset=utf-8"
    } else if path.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        panic!("no content type expected for {path}")
    }
}

#[test]
fn the_pages_and_every_asset_they_load_are_served_from_the_binary() {
    let db = test_database();
    let server = TestServer::start(&db);
    let mut loaded = Vec::new();
    for page in ["/", "/dashboard"] {
        let response = server.get(page);
        assert_eq!(response.status, 200, "{page}: {}", response.body);
        assert_eq!(response.content_type, "text/html; charset=utf-8", "{page}");
        assert!(response.body.starts_with("<!doctype html>"), "{page}");
        // The pages name no other host but the tile server: everything else is this server's.
        let tiles = format!(r#"<meta name="police-tiles" content="{OPENSTREETMAP_TILES}">"#);
        let rest = response.body.replace(&tiles, "");
        assert!(!rest.contains("http://") && !rest.contains("https://"), "{page}: {rest}");
        let assets = assets_of(&response.body);
        assert!(assets.contains(&"/assets/common.js".to_owned()), "{page}: {assets:?}");
        loaded.extend(assets);
    }
    loaded.sort();
    loaded.dedup();
    let mut listed: Vec<String> = ASSETS.iter().map(|(path, _)| path.to_string()).collect();
    listed.sort();
    assert_eq!(loaded, listed, "the pages load exactly the assets this test knows");
    for (path, committed) in ASSETS {
        let response = server.get(path);
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(response.content_type, expected_content_type(path), "{path}");
        assert!(response.body == *committed, "{path} is not the committed file");
    }
}

#[test]
fn the_page_and_assets_are_gzipped_when_asked() {
    let db = test_database();
    let server = TestServer::start(&db);
    for (path, committed) in [("/assets/leaflet.js", ASSETS[4].1), ("/assets/web.css", ASSETS[0].1)]
    {
        let (head, mut body) = server.raw(&format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
        ));
        assert!(head.starts_with("http/1.1 200"), "{path}: {head}");
        assert!(head.contains("content-encoding: gzip"), "{path}: {head}");
        assert!(head.contains("cache-control: public, max-age=3600"), "{path}: {head}");
        if head.contains("transfer-encoding: chunked") {
            body = dechunk(&body);
        }
        assert!(body.len() < committed.len(), "{path}: {} bytes gzipped", body.len());
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(body.as_slice()).read_to_string(&mut decoded).unwrap();
        assert!(decoded == committed, "{path} decompresses to something else");
    }
    let (head, body) = server.raw(
        "GET / HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("http/1.1 200") && head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("content-type: text/html; charset=utf-8"), "{head}");
    assert!(!body.windows(5).any(|w| w == b"<html"), "sent uncompressed");
    // Without Accept-Encoding, plain.
    let head = server.raw_head("/assets/map.js");
    assert!(head.starts_with("http/1.1 200") && !head.contains("content-encoding"), "{head}");
}

#[test]
fn unknown_assets_and_pages_are_404_and_police_uk_paths_unchanged() {
    let db = test_database();
    let server = TestServer::start(&db);
    for path in [
        "/assets/nothing.js",
        "/assets/leaflet.js.map",
        "/assets/",
        "/assets/map.js/more",
        "/assets/..%2Fweb.css",
        "/dashboard/leicestershire",
        "/index.html",
        "/api/no-such-thing",
        "/api/",
    ] {
        let response = server.get(path);
        assert_eq!(
            (response.status, response.content_type.as_str(), response.body.as_str()),
            (404, "text/plain", "Not Found"),
            "{path}"
        );
    }
    // police.uk's own routes answer as before, the front end's paths taking none of theirs.
    let forces = server.get("/api/forces");
    assert_eq!((forces.status, forces.content_type.as_str()), (200, "application/json"));
    assert!(forces.body.starts_with(r#"[{"id":"avon-and-somerset""#));
    let head = server.raw_head("/");
    assert!(head.starts_with("http/1.1 200"), "HEAD / as GET: {head}");
}

#[test]
fn the_tile_setting_reaches_the_page() {
    let db = test_database();
    // Default: OpenStreetMap's tiles.
    let server = TestServer::start(&db);
    let page = server.get("/").body;
    assert!(
        page.contains(
            r#"<meta name="police-tiles" content="https://tile.openstreetmap.org/{z}/{x}/{y}.png">"#
        ),
        "{page}"
    );
    drop(server);

    for (tiles, meta) in [
        (Tiles::None, r#"content="none""#),
        (
            Tiles::Url("http://tiles.example/{z}/{x}/{y}.png?a=1&b=2".into()),
            r#"content="http://tiles.example/{z}/{x}/{y}.png?a=1&amp;b=2""#,
        ),
    ] {
        let snapshot = Snapshot::load(&db.url).unwrap();
        let state = Arc::new(AppState::new(snapshot, Limits::default()).with_tiles(tiles));
        let server = BackgroundServer::start(
            state,
            &ServerOptions { workers: Some(1), shutdown_timeout: None, blocking_threads: None },
        )
        .unwrap();
        let page = police_tests::http::agent()
            .get(&format!("{}/", server.base_url()))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        assert!(page.contains(meta), "{meta}: {page}");
        assert!(!page.contains("{{TILES}}"));
    }
}
