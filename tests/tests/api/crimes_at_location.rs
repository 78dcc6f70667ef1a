//! `crimes-at-location`: by snap point id, and by the snap point nearest a point.

use police_tests::fixtures::pid;
use police_tests::http::{assert_error, assert_json, get_json, TestServer};
use police_tests::{test_database, TestDatabase};

use super::crime_fixture::*;

/// January's crimes at A as rendered, in order.
fn january_at_a(db: &TestDatabase) -> String {
    let a = rendered_a(db);
    let records = [
        crime_json(
            "anti-social-behaviour",
            "",
            asb_ids(db, A, "2024-01")[0],
            Some(&a),
            "",
            "2024-01",
            None,
        ),
        crime_json(
            "bicycle-theft",
            &pid(BICYCLE_A),
            crime_id(db, BICYCLE_A),
            Some(&a),
            "Bike taken from rack",
            "2024-01",
            None,
        ),
        crime_json(
            "burglary",
            &pid(BURGLARY_A),
            crime_id(db, BURGLARY_A),
            Some(&a),
            "",
            "2024-01",
            Some(("Under investigation", "2024-01")),
        ),
        crime_json(
            "violent-crime",
            &pid(VIOLENT_A),
            crime_id(db, VIOLENT_A),
            Some(&a),
            "",
            "2024-01",
            Some(("Under investigation", "2024-01")),
        ),
    ];
    format!("[{}]", records.join(","))
}

#[test]
fn crimes_at_location_id_are_the_crimes_at_that_snap_point() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let a = street_id(&db, A);
    let response = server.get(&format!("/api/crimes-at-location?location_id={a}&date=2024-01"));
    assert_json(&response);
    assert_eq!(response.body, january_at_a(&db));
    let latest = server.get(&format!("/api/crimes-at-location?location_id={a}"));
    assert_eq!(latest.body, response.body);
    let december =
        get_json(&server, &format!("/api/crimes-at-location?location_id={a}&date=2023-12"));
    assert_eq!(
        summary(&december),
        vec![
            expected(&db, "burglary", DEC_BURGLARY_A),
            expected(&db, "criminal-damage-arson", DEC_DAMAGE_A)
        ]
    );
    let n_in = street_id(&db, N_IN);
    let north =
        get_json(&server, &format!("/api/crimes-at-location?location_id={n_in}&date=2024-01"));
    assert_eq!(summary(&north), vec![expected(&db, "burglary", BURGLARY_N_IN)]);
}

#[test]
fn crimes_at_an_unknown_or_non_numeric_location_id_are_404() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let unknown = street_id(&db, NOTTS) + 1000;
    for id in [unknown.to_string(), "abc".into(), "-1".into()] {
        let response =
            server.get(&format!("/api/crimes-at-location?location_id={id}&date=2024-01"));
        assert_error(&response, 404);
    }
}

#[test]
fn crimes_at_a_lat_lng_are_those_at_the_nearest_snap_point() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    // 2.3 m from A, 1.58 km from anything else.
    assert!(metres_between(A, "52.630020", "-1.132010") < 3.0);
    let response = server.get("/api/crimes-at-location?lat=52.630020&lng=-1.132010&date=2024-01");
    assert_json(&response);
    assert_eq!(response.body, january_at_a(&db));

    // 18.9 km due south of SW_IN, 20.1 km from A: SW_IN is the nearest, within 20 km.
    assert!(metres_between(SW_IN, "52.449500", "-1.148438") < 19_000.0);
    assert!(metres_between(A, "52.449500", "-1.148438") > 20_000.0);
    let far = get_json(&server, "/api/crimes-at-location?lat=52.4495&lng=-1.148438&date=2024-01");
    assert_eq!(summary(&far), vec![expected(&db, "criminal-damage-arson", DAMAGE_SW_IN)]);
}

#[test]
fn crimes_at_a_lat_lng_more_than_20_km_from_any_snap_point_are_empty() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    // 21.1 km due south of SW_IN, the nearest snap point.
    for place in [A, N_IN, N_OUT, E_IN, E_OUT, SW_IN, W_FAR, NOTTS] {
        assert!(metres_between(place, "52.429700", "-1.148438") > 21_000.0, "{}", place.name);
    }
    for query in ["lat=52.4297&lng=-1.148438", "lat=48.8566&lng=2.3522"] {
        let response = server.get(&format!("/api/crimes-at-location?{query}&date=2024-01"));
        assert_json(&response);
        assert_eq!(response.body, "[]", "{query}");
    }
}

#[test]
fn crimes_at_location_without_a_location_is_400() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    for query in ["", "?date=2024-01", "?lat=52.63&date=2024-01", "?lat=abc&lng=-1.13"] {
        let response = server.get(&format!("/api/crimes-at-location{query}"));
        assert_error(&response, 400);
    }
}
