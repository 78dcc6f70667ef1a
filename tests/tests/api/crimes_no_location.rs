//! `crimes-no-location`: a force's crimes without a snap point.

use police_tests::fixtures::pid;
use police_tests::http::{assert_error, assert_json, get_json, TestServer};
use police_tests::test_database;
use serde_json::Value;

use super::crime_fixture::*;

#[test]
fn crimes_no_location_are_the_forces_unmapped_crimes() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let response =
        server.get("/api/crimes-no-location?force=leicestershire&category=all-crime&date=2024-01");
    let crimes = assert_json(&response);
    let unmapped_asb = ids(
        &db,
        "SELECT id FROM crimes WHERE location_id IS NULL AND persistent_id IS NULL \
         AND force_id = 'leicestershire'",
    );
    assert_eq!(unmapped_asb.len(), 1);
    let records = [
        crime_json("anti-social-behaviour", "", unmapped_asb[0], None, "", "2024-01", None),
        crime_json(
            "burglary",
            &pid(BURGLARY_UNMAPPED),
            crime_id(&db, BURGLARY_UNMAPPED),
            None,
            "",
            "2024-01",
            Some(("Under investigation", "2024-01")),
        ),
        crime_json(
            "other-theft",
            &pid(THEFT_ZEROED),
            crime_id(&db, THEFT_ZEROED),
            None,
            "",
            "2024-01",
            Some(("Under investigation", "2024-01")),
        ),
    ];
    assert_eq!(response.body, format!("[{}]", records.join(",")));
    for crime in crimes.as_array().unwrap() {
        assert_eq!(crime["location"], Value::Null);
        assert_eq!(crime["location_type"], Value::Null);
        assert_eq!(crime["location_subtype"], "");
    }
    // The category defaults to all crime.
    let default = server.get("/api/crimes-no-location?force=leicestershire&date=2024-01");
    assert_eq!(default.body, response.body);
    // Another force's.
    let notts = get_json(&server, "/api/crimes-no-location?force=nottinghamshire&date=2024-01");
    assert_eq!(summary(&notts), vec![expected(&db, "burglary", NOTTS_UNMAPPED)]);
    // None in December.
    let december = server.get("/api/crimes-no-location?force=leicestershire&date=2023-12");
    assert_eq!(december.body, "[]");
}

#[test]
fn crimes_no_location_category_filters() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let burglary = get_json(
        &server,
        "/api/crimes-no-location?force=leicestershire&category=burglary&date=2024-01",
    );
    assert_eq!(summary(&burglary), vec![expected(&db, "burglary", BURGLARY_UNMAPPED)]);
    let theft = get_json(
        &server,
        "/api/crimes-no-location?force=leicestershire&category=other-theft&date=2024-01",
    );
    assert_eq!(summary(&theft), vec![expected(&db, "other-theft", THEFT_ZEROED)]);
    let drugs =
        server.get("/api/crimes-no-location?force=leicestershire&category=drugs&date=2024-01");
    assert_json(&drugs);
    assert_eq!(drugs.body, "[]");
    // An unknown category means all crime, as on crimes-street.
    let all = server.get("/api/crimes-no-location?force=leicestershire&category=all-crime");
    let nonsense = server.get("/api/crimes-no-location?force=leicestershire&category=nonsense");
    assert_json(&nonsense);
    assert_eq!(nonsense.body, all.body);
    assert_eq!(all.json().as_array().unwrap().len(), 3);
}

#[test]
fn crimes_no_location_for_an_unknown_force_is_404_not_police_uks_502() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let response = server.get("/api/crimes-no-location?force=nowhere&date=2024-01");
    assert_error(&response, 404);
}

#[test]
fn crimes_no_location_for_btp_is_an_empty_list() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let response = server.get("/api/crimes-no-location?force=btp&date=2024-01");
    assert_json(&response);
    assert_eq!(response.body, "[]");
}

#[test]
fn crimes_no_location_without_a_force_is_400() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    for query in ["", "?date=2024-01", "?category=burglary"] {
        assert_error(&server.get(&format!("/api/crimes-no-location{query}")), 400);
    }
}

// =======================================================================================
