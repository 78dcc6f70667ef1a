//! `/api/v2/forces/{force}/neighbourhoods/{neighbourhood}/boundary` and `…/boundaries` over
//! real HTTP: boundaries imported from KMLs (holes, several parts, rings given either way
//! round) come back as GeoJSON that is valid RFC 7946 ([`police_tests::geojson::validate`]),
//! that GDAL's `ogrinfo` reads with the right feature count, geometry type and fields, and
//! whose rings are, vertex for vertex, the rings the import stored (compared ring by ring
//! with what the store's `neighbourhoods.boundary` holds, and with what GDAL parsed).

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;
use police_generate::{generate, GenerateOptions};
use police_index::Month;
use police_tests::fixtures::{import, import_cleanly, write};
use police_tests::geojson::{assert_valid, ogr_read, ring_area};
use police_tests::http::{Response, TestServer};
use police_tests::{test_database, TestDatabase};
use serde_json::Value;

use crate::neighbourhoods::{kml, polygon, rect};

const GEOJSON: &str = "application/geo+json";

/// NC04: a box whose outer ring the KML gives clockwise, with a hole given counter-clockwise;
/// NC66: two parts, the second with two holes; NC67: a triangle; NC70: listed, no boundary.
/// Nottinghamshire's N1: known only from its KML.
fn write_archive(dir: &Path) {
    write(
        dir,
        "api/leicestershire/neighbourhoods.json",
        r#"[{"id":"NC67","name":"Riverside"},{"id":"NC04","name":"City Centre"},{"id":"NC70","name":"Belgrave"},{"id":"NC66","name":"Cultural Quarter"}]"#,
    );
    let boundaries = "boundaries/2024-05";
    let clockwise: Vec<(f64, f64)> = rect(52.60, -1.16, 52.66, -1.10).into_iter().rev().collect();
    write(
        dir,
        &format!("{boundaries}/leicestershire/NC04.kml"),
        kml("NC04", &polygon(&clockwise, &[rect(52.62, -1.14, 52.64, -1.12)])),
    );
    let parts = format!(
        "<MultiGeometry>{}{}</MultiGeometry>",
        polygon(&rect(52.70, -1.16, 52.72, -1.14), &[]),
        polygon(
            &rect(52.80, -1.00, 52.90, -0.90),
            &[rect(52.81, -0.99, 52.82, -0.98), rect(52.85, -0.95, 52.86, -0.91)]
        )
    );
    write(dir, &format!("{boundaries}/leicestershire/NC66.kml"), kml("NC66", &parts));
    write(
        dir,
        &format!("{boundaries}/leicestershire/NC67.kml"),
        kml("NC67", &polygon(&[(52.50, -1.20), (52.52, -1.19), (52.50, -1.18)], &[])),
    );
    write(
        dir,
        &format!("{boundaries}/nottinghamshire/N1.kml"),
        kml("N1", &polygon(&rect(52.71, -1.15, 52.73, -1.13), &[])),
    );
}

fn imported() -> (TestDatabase, TestServer) {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    write_archive(dir.path());
    let summary = import(&db, &[dir.path().to_owned()]);
    assert_eq!(summary.problems(), 0, "{:?}", summary.reference);
    let server = TestServer::start(&db);
    (db, server)
}

/// A GeoJSON answer: 200, `application/geo+json`, valid RFC 7946.
#[track_caller]
fn geojson(server: &TestServer, path: &str) -> (Value, String) {
    let response = server.get(path);
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    assert_eq!(response.content_type, GEOJSON, "{path}");
    let value = response.json();
    assert_valid(&value);
    (value, response.body)
}

/// Polygons (parts) of rings of two coordinates.
type Polygons = Vec<Vec<Vec<[f64; 2]>>>;

/// Rings as the store holds them: `[[[[lat, lng], …], …hole], …part]` per neighbourhood.
fn stored_boundaries(db: &TestDatabase, force: &str) -> Vec<(String, Option<Polygons>)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        boundary: Option<String>,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, boundary::text AS boundary FROM neighbourhoods WHERE force_id = $1 ORDER BY id",
    )
    .bind::<Text, _>(force)
    .load(&mut db.connect())
    .unwrap();
    rows.into_iter()
        .map(|row| (row.id, row.boundary.map(|b| serde_json::from_str(&b).unwrap())))
        .collect()
}

/// A GeoJSON geometry's polygons, as rings of `[lng, lat]`.
fn polygons(geometry: &Value) -> Polygons {
    let ring = |ring: &Value| -> Vec<[f64; 2]> {
        ring.as_array()
            .unwrap()
            .iter()
            .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
            .collect()
    };
    let polygon = |rings: &Value| rings.as_array().unwrap().iter().map(ring).collect();
    let coordinates = &geometry["coordinates"];
    match geometry["type"].as_str().unwrap() {
        "Polygon" => vec![polygon(coordinates)],
        "MultiPolygon" => coordinates.as_array().unwrap().iter().map(polygon).collect(),
        other => panic!("not a polygon: {other}"),
    }
}

/// Whether a closed `[lng, lat]` ring has exactly the stored unclosed `[lat, lng]` ring's
/// vertices in cyclic order, one way round or the other.
fn same_ring(stored: &[[f64; 2]], served: &[[f64; 2]]) -> bool {
    if served.first() != served.last() || served.len() != stored.len() + 1 {
        return false;
    }
    let served: Vec<[f64; 2]> = served[1..].iter().map(|&[lng, lat]| [lat, lng]).collect();
    let n = stored.len();
    let reversed: Vec<[f64; 2]> = served.iter().rev().copied().collect();
    (0..n).any(|shift| {
        (0..n).all(|i| stored[i] == served[(i + shift) % n])
            || (0..n).all(|i| stored[i] == reversed[(i + shift) % n])
    })
}

/// The served polygons are the stored parts ring for ring, exteriors counter-clockwise and
/// holes clockwise.
#[track_caller]
fn assert_same_boundary(stored: &[Vec<Vec<[f64; 2]>>], served: &[Vec<Vec<[f64; 2]>>], what: &str) {
    assert_eq!(stored.len(), served.len(), "{what}: parts");
    for (part, (stored, served)) in stored.iter().zip(served).enumerate() {
        assert_eq!(stored.len(), served.len(), "{what}: rings of part {part}");
        for (k, (stored, served)) in stored.iter().zip(served).enumerate() {
            assert!(
                same_ring(stored, served),
                "{what}: part {part} ring {k}: {served:?} is not {stored:?}"
            );
            assert_eq!(
                ring_area(served) > 0.0,
                k == 0,
                "{what}: part {part} ring {k} winds the wrong way"
            );
        }
    }
}

/// GDAL parsed the same coordinates the JSON holds (it prints 15 significant digits).
#[track_caller]
fn assert_gdal_read(gdal: &[Vec<Vec<[f64; 2]>>], served: &[Vec<Vec<[f64; 2]>>], what: &str) {
    assert_eq!(gdal.len(), served.len(), "{what}: GDAL's parts");
    for (gdal, served) in gdal.iter().flatten().zip(served.iter().flatten()) {
        assert_eq!(gdal.len(), served.len(), "{what}: GDAL's ring");
        for (a, b) in gdal.iter().zip(served) {
            assert!(
                (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9,
                "{what}: {a:?} vs {b:?}"
            );
        }
    }
}

#[test]
fn each_boundary_is_a_feature_with_the_stored_rings_that_gdal_reads() {
    let (db, server) = imported();
    let stored = stored_boundaries(&db, "leicestershire");
    let with_boundary: Vec<_> = stored.iter().filter(|(_, b)| b.is_some()).collect();
    assert_eq!(with_boundary.len(), 3, "{stored:?}");
    for (id, boundary) in with_boundary {
        let boundary = boundary.as_ref().unwrap();
        let path = format!("/api/v2/forces/leicestershire/neighbourhoods/{id}/boundary");
        let (feature, body) = geojson(&server, &path);
        assert_eq!(feature["type"], "Feature");
        let name = match id.as_str() {
            "NC04" => "City Centre",
            "NC66" => "Cultural Quarter",
            _ => "Riverside",
        };
        assert_eq!(
            feature["properties"],
            serde_json::json!({"force": "leicestershire", "id": id, "name": name})
        );
        let expected_type = if boundary.len() == 1 { "Polygon" } else { "MultiPolygon" };
        assert_eq!(feature["geometry"]["type"], expected_type, "{id}");
        let served = polygons(&feature["geometry"]);
        assert_same_boundary(boundary, &served, id);

        let Some(layer) = ogr_read(&body) else { continue };
        assert_eq!(layer.feature_count, 1, "{id}");
        let gdal_type = if boundary.len() == 1 { "Polygon" } else { "Multi Polygon" };
        assert_eq!(layer.geometry, gdal_type, "{id}");
        assert_eq!(layer.fields, ["force: String (0.0)", "id: String (0.0)", "name: String (0.0)"]);
        assert_eq!(layer.features[0].attributes[1], format!("id (String) = {id}"));
        assert_gdal_read(&layer.features[0].polygons, &served, id);
    }
    // The hole and the second part's two holes are there (not merely rings in some order).
    let (nc66, _) = geojson(&server, "/api/v2/forces/leicestershire/neighbourhoods/NC66/boundary");
    let rings: Vec<usize> = polygons(&nc66["geometry"]).iter().map(Vec::len).collect();
    assert_eq!(rings, [1, 3]);
    let (nc04, _) = geojson(&server, "/api/v2/forces/leicestershire/neighbourhoods/NC04/boundary");
    assert_eq!(
        nc04["geometry"]["coordinates"][1],
        serde_json::json!([
            [-1.14, 52.62],
            [-1.14, 52.64],
            [-1.12, 52.64],
            [-1.12, 52.62],
            [-1.14, 52.62]
        ])
    );
}

#[test]
fn a_force_s_boundaries_are_one_feature_collection_in_list_order() {
    let (db, server) = imported();
    let (collection, body) =
        geojson(&server, "/api/v2/forces/leicestershire/neighbourhoods/boundaries");
    assert_eq!(collection["type"], "FeatureCollection");
    let features = collection["features"].as_array().unwrap();
    let ids: Vec<&str> = features.iter().map(|f| f["properties"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["NC67", "NC04", "NC70", "NC66"]);
    assert_eq!(features[2]["geometry"], Value::Null);
    assert_eq!(features[2]["properties"]["name"], "Belgrave");
    let stored = stored_boundaries(&db, "leicestershire");
    for feature in features {
        let id = feature["properties"]["id"].as_str().unwrap();
        let (_, boundary) = stored.iter().find(|(stored_id, _)| stored_id == id).unwrap();
        match boundary {
            Some(boundary) => assert_same_boundary(boundary, &polygons(&feature["geometry"]), id),
            None => assert_eq!(feature["geometry"], Value::Null, "{id}"),
        }
        // The same feature as the single route gives.
        if boundary.is_some() {
            let path = format!("/api/v2/forces/leicestershire/neighbourhoods/{id}/boundary");
            assert_eq!(&geojson(&server, &path).0, feature);
        }
    }
    if let Some(layer) = ogr_read(&body) {
        assert_eq!(layer.feature_count, 4);
        // Polygons and a MultiPolygon together: GDAL calls the layer's type "any".
        assert_eq!(layer.geometry, "Unknown (any)");
        let types: Vec<&str> = layer.features.iter().map(|f| f.geometry_type.as_str()).collect();
        assert_eq!(types, ["POLYGON", "POLYGON", "", "MULTIPOLYGON"]);
        for (gdal, feature) in layer.features.iter().zip(features) {
            if !feature["geometry"].is_null() {
                assert_gdal_read(&gdal.polygons, &polygons(&feature["geometry"]), "collection");
            }
        }
    }
    // A force known only from a KML, and one listed without neighbourhoods.
    let (nottinghamshire, _) =
        geojson(&server, "/api/v2/forces/nottinghamshire/neighbourhoods/boundaries");
    assert_eq!(nottinghamshire["features"].as_array().unwrap().len(), 1);
    let (surrey, _) = geojson(&server, "/api/v2/forces/surrey/neighbourhoods/boundaries");
    assert_eq!(surrey["features"], serde_json::json!([]));
}

#[track_caller]
fn assert_bare_not_found(response: &Response, what: &str) {
    assert_eq!(
        (response.status, response.content_type.as_str(), response.body.as_str()),
        (404, "text/plain", "Not Found"),
        "{what}"
    );
}

#[test]
fn unknown_forces_and_neighbourhoods_are_not_found_and_a_missing_boundary_says_so() {
    let (_db, server) = imported();
    let base = "/api/v2/forces";
    assert_bare_not_found(
        &server.get(&format!("{base}/nowhere/neighbourhoods/boundaries")),
        "force",
    );
    assert_bare_not_found(
        &server.get(&format!("{base}/nowhere/neighbourhoods/NC04/boundary")),
        "force",
    );
    assert_bare_not_found(
        &server.get(&format!("{base}/leicestershire/neighbourhoods/NC05/boundary")),
        "neighbourhood",
    );
    // Ids are case-sensitive, as police.uk's.
    assert_bare_not_found(
        &server.get(&format!("{base}/leicestershire/neighbourhoods/nc04/boundary")),
        "lower case",
    );
    let missing = server.get(&format!("{base}/leicestershire/neighbourhoods/NC70/boundary"));
    assert_eq!((missing.status, missing.content_type.as_str()), (404, "text/plain"));
    assert!(
        missing.body.contains("no boundary") && missing.body.contains("NC70"),
        "{}",
        missing.body
    );
}

#[test]
fn a_generated_force_s_boundaries_all_come_back() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        forces: vec!["leicestershire".into(), "surrey".into()],
        first_month: Month::new(2024, 1).unwrap(),
        months: 1,
        crimes_per_month: 200,
        snap_points: 200,
        neighbourhoods_per_force: 12,
        ..GenerateOptions::demo()
    };
    generate(&options, dir.path()).unwrap();
    import_cleanly(&db, &[dir.path().to_owned()]);
    let server = TestServer::start(&db);
    for force in ["leicestershire", "surrey"] {
        let listed = server.get(&format!("/api/{force}/neighbourhoods")).json();
        let listed: Vec<&str> =
            listed.as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
        assert_eq!(listed.len(), 12);
        let (collection, body) =
            geojson(&server, &format!("/api/v2/forces/{force}/neighbourhoods/boundaries"));
        let features = collection["features"].as_array().unwrap();
        let ids: Vec<&str> =
            features.iter().map(|f| f["properties"]["id"].as_str().unwrap()).collect();
        assert_eq!(ids, listed, "{force}");
        let stored = stored_boundaries(&db, force);
        for feature in features {
            let id = feature["properties"]["id"].as_str().unwrap();
            let boundary = stored.iter().find(|(s, _)| s == id).and_then(|(_, b)| b.as_ref());
            let boundary = boundary.unwrap_or_else(|| panic!("{force}/{id}: no stored boundary"));
            assert_same_boundary(boundary, &polygons(&feature["geometry"]), id);
        }
        if let Some(layer) = ogr_read(&body) {
            assert_eq!(layer.feature_count, 12, "{force}");
            assert!(layer.features.iter().all(|f| !f.geometry_type.is_empty()), "{force}");
        }
    }
}
