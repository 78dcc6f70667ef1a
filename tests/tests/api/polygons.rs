//! Huge polygons (issue 13, point 10): a `poly` of more than `MAX_AREA_VERTICES` points is a
//! 400 that names the limit, on police.uk's routes and ours; one just under the limit is
//! answered exactly (the grid behind the point-in-polygon test gives the every-edge test's
//! answers), and the result cap still refuses an area over it. A GeoJSON area (the v2 routes'
//! POST body) has the same limit over all its rings.

use police_api::params::MAX_AREA_VERTICES;
use police_tests::http::{assert_error, assert_json, TestServer};
use police_tests::test_database;

use super::crime_fixture::*;

/// A ring of `points` vertices tracing [`BOX_POLY`]'s rectangle (lat 52.62..52.64, lng
/// -1.14..-1.10) with its sides cut into equal steps: the same area as the four-vertex box.
fn dense_box(points: usize) -> String {
    assert_eq!(points % 4, 0, "a whole number of points per side");
    let per_side = points / 4;
    let (lat0, lat1, lng0, lng1) = (52.62, 52.64, -1.14, -1.10);
    let mut ring = Vec::with_capacity(points);
    for k in 0..per_side {
        let t = k as f64 / per_side as f64;
        ring.push((lat0 + (lat1 - lat0) * t, lng0));
    }
    for k in 0..per_side {
        let t = k as f64 / per_side as f64;
        ring.push((lat1, lng0 + (lng1 - lng0) * t));
    }
    for k in 0..per_side {
        let t = k as f64 / per_side as f64;
        ring.push((lat1 - (lat1 - lat0) * t, lng1));
    }
    for k in 0..per_side {
        let t = k as f64 / per_side as f64;
        ring.push((lat0, lng1 - (lng1 - lng0) * t));
    }
    ring.iter().map(|(lat, lng)| format!("{lat:.7},{lng:.7}")).collect::<Vec<_>>().join(":")
}

/// A `poly` of `points` points: the dense box, with the last point repeated to make up a count
/// that is not a multiple of four.
fn poly_of(points: usize) -> String {
    let whole = points - points % 4;
    let mut poly = dense_box(whole);
    let last = poly.rsplit(':').next().unwrap().to_owned();
    for _ in whole..points {
        poly.push(':');
        poly.push_str(&last);
    }
    assert_eq!(poly.split(':').count(), points);
    poly
}

#[test]
fn a_poly_over_the_vertex_limit_is_400_naming_the_limit() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let over = poly_of(MAX_AREA_VERTICES + 1);
    for path in ["/api/crimes-street/all-crime", "/api/outcomes-at-location", "/api/stops-street"] {
        let response = server.post_form(path, &[("poly", &over), ("date", "2024-01")]);
        assert_error(&response, 400);
        let (count, limit) = (MAX_AREA_VERTICES + 1, MAX_AREA_VERTICES);
        assert!(
            response.body.contains(&format!("poly has {count} points, more than the {limit}")),
            "{path}: {}",
            response.body
        );
    }
    // Over GET too: 10,001 points of four bytes fit in the default 64 KiB request line.
    // (A v2 POST takes a GeoJSON body, not a form: its `poly` is read from the query.)
    let tiny: Vec<&str> = std::iter::repeat_n("1,1", MAX_AREA_VERTICES + 1).collect();
    for path in ["/api/crimes-street/all-crime", "/api/v2/crimes/counts"] {
        let response = server.get(&format!("{path}?poly={}", tiny.join(":")));
        assert_error(&response, 400);
        assert!(response.body.contains(&MAX_AREA_VERTICES.to_string()), "{}", response.body);
    }
}

#[test]
fn a_poly_just_under_the_vertex_limit_is_answered_as_its_four_corners_are() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let corners = server.get(&format!("/api/crimes-street/all-crime?poly={BOX_POLY}&date=2024-01"));
    let corners_body = assert_json(&corners);
    assert_eq!(summary(&corners_body), january_in_box(&db));
    for points in [MAX_AREA_VERTICES, MAX_AREA_VERTICES - 1] {
        let dense = poly_of(points);
        let response = server
            .post_form("/api/crimes-street/all-crime", &[("poly", &dense), ("date", "2024-01")]);
        assert_json(&response);
        assert_eq!(response.body, corners.body, "{points} points");
        let outcomes =
            server.post_form("/api/outcomes-at-location", &[("poly", &dense), ("date", "2024-01")]);
        let by_corners =
            server.get(&format!("/api/outcomes-at-location?poly={BOX_POLY}&date=2024-01"));
        assert_json(&outcomes);
        assert_eq!(outcomes.body, by_corners.body, "{points} points");
    }
}

#[test]
fn a_dense_poly_over_the_result_cap_is_503_and_at_the_cap_is_answered() {
    let db = test_database();
    let _data = crowded(&db);
    // Six crimes at A, inside the box.
    let dense = poly_of(MAX_AREA_VERTICES);
    for (cap, status) in [(5, 503), (6, 200)] {
        let server = TestServer::with_limits(&db, limits(Some(cap)));
        let response = server
            .post_form("/api/crimes-street/all-crime", &[("poly", &dense), ("date", "2024-01")]);
        if status == 503 {
            assert_error(&response, 503);
            assert!(response.body.contains("(5)"), "names the cap: {}", response.body);
        } else {
            assert_eq!(assert_json(&response).as_array().unwrap().len(), 6);
        }
    }
}

/// [`poly_of`]'s ring as a GeoJSON Polygon body (positions `[lng, lat]`), closed by repeating
/// its first position, which counts as a vertex.
fn geojson_of(points: usize) -> String {
    let poly = poly_of(points - 1);
    let mut positions: Vec<String> = poly
        .split(':')
        .map(|point| {
            let (lat, lng) = point.split_once(',').unwrap();
            format!("[{lng},{lat}]")
        })
        .collect();
    positions.push(positions[0].clone());
    format!(r#"{{"type":"Polygon","coordinates":[[{}]]}}"#, positions.join(","))
}

#[test]
fn a_geojson_area_has_the_same_vertex_limit_over_all_its_rings() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let path = "/api/v2/crimes/counts?from=2024-01&to=2024-01";
    let corners = assert_json(&server.get(&format!("{path}&poly={BOX_POLY}")));
    let at_limit =
        server.post(path, "application/geo+json", geojson_of(MAX_AREA_VERTICES).as_bytes());
    let mut answered = assert_json(&at_limit);
    assert_eq!(answered["area"]["type"], "geojson");
    answered["area"] = corners["area"].clone();
    assert_eq!(answered, corners, "the dense ring holds what its corners do");
    assert!(corners["total"].as_u64().unwrap() > 0);

    let over =
        server.post(path, "application/geo+json", geojson_of(MAX_AREA_VERTICES + 1).as_bytes());
    assert_error(&over, 400);
    assert!(
        over.body.contains(&format!("more than {MAX_AREA_VERTICES} vertices")),
        "{}",
        over.body
    );
    // Two rings (an outer ring and a hole) count together.
    let outer = geojson_of(MAX_AREA_VERTICES / 2 + 1);
    let ring =
        |body: &str| body.split_once("[[").unwrap().1.rsplit_once("]]").unwrap().0.to_owned();
    let two_rings =
        format!(r#"{{"type":"Polygon","coordinates":[[{}],[{}]]}}"#, ring(&outer), ring(&outer));
    let response = server.post(path, "application/geo+json", two_rings.as_bytes());
    assert_error(&response, 400);
    assert!(response.body.contains("vertices"), "{}", response.body);
}
