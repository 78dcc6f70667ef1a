//! `outcomes-for-crime` and `outcomes-at-location`.

use police_tests::fixtures::pid;
use police_tests::http::{assert_error, assert_json, get_json, TestServer};
use police_tests::{test_database, TestDatabase};
use serde_json::Value;

use super::crime_fixture::*;

#[test]
fn outcomes_for_crime_are_the_crime_and_its_outcomes_oldest_first() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let response = server.get(&format!("/api/outcomes-for-crime/{}", pid(DEC_BURGLARY_A)));
    assert_json(&response);
    let crime = outcome_crime_json(
        "burglary",
        &pid(DEC_BURGLARY_A),
        crime_id(&db, DEC_BURGLARY_A),
        &rendered_a(&db),
        "2023-12",
    );
    let outcomes = [
        outcome_json("under-investigation", "Under investigation", "2023-12", None),
        outcome_json("unable-to-prosecute", "Unable to prosecute suspect", "2024-01", None),
    ];
    assert_eq!(
        response.body,
        format!(r#"{{"crime":{crime},"outcomes":[{}]}}"#, outcomes.join(","))
    );

    // A crime with no outcome rows has an empty list.
    let quiet = get_json(&server, &format!("/api/outcomes-for-crime/{}", pid(DEC_DAMAGE_A)));
    assert_eq!(quiet["outcomes"], Value::Array(vec![]));
    assert_eq!(quiet["crime"]["persistent_id"], pid(DEC_DAMAGE_A));
}

#[test]
fn outcomes_for_an_upper_cased_or_unknown_crime_are_404() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    for id in [pid(DEC_BURGLARY_A).to_uppercase(), pid(0x42), pid(ORPHAN), "abc".into()] {
        assert_error(&server.get(&format!("/api/outcomes-for-crime/{id}")), 404);
    }
}

// =======================================================================================
// 11. outcomes-at-location
// =======================================================================================

/// The `(persistent_id, outcome code, crime id)` of each outcome of a response, in order.
fn outcome_summary(outcomes: &Value) -> Vec<(String, String, i64)> {
    outcomes
        .as_array()
        .expect("an array")
        .iter()
        .map(|o| {
            assert_eq!(o["person_id"], Value::Null);
            assert!(o["crime"].get("outcome_status").is_none(), "{o}");
            (
                o["crime"]["persistent_id"].as_str().unwrap().to_owned(),
                o["category"]["code"].as_str().unwrap().to_owned(),
                o["crime"]["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Outcomes in police-api's order: crime month, then crime id.
fn expected_outcomes(db: &TestDatabase, rows: &[(u8, &str)]) -> Vec<(String, String, i64)> {
    let mut out: Vec<(String, String, i64)> =
        rows.iter().map(|(n, code)| (pid(*n), (*code).to_owned(), crime_id(db, *n))).collect();
    // December's crime comes first; January's by id.
    out.sort_by_key(|(p, _, id)| (*p != pid(DEC_BURGLARY_A), *id));
    out
}

#[test]
fn outcomes_at_a_location_id_are_the_months_outcomes_there_with_their_crimes() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let a = rendered_a(&db);
    let response =
        server.get(&format!("/api/outcomes-at-location?location_id={}&date=2024-01", a.id));
    assert_json(&response);
    // The orphan outcome (its crime's month was never imported) is not listed.
    let december = outcome_crime_json(
        "burglary",
        &pid(DEC_BURGLARY_A),
        crime_id(&db, DEC_BURGLARY_A),
        &a,
        "2023-12",
    );
    let january =
        outcome_crime_json("burglary", &pid(BURGLARY_A), crime_id(&db, BURGLARY_A), &a, "2024-01");
    let expected = [
        outcome_json(
            "unable-to-prosecute",
            "Unable to prosecute suspect",
            "2024-01",
            Some(&december),
        ),
        outcome_json("under-investigation", "Under investigation", "2024-01", Some(&january)),
    ];
    assert_eq!(response.body, format!("[{}]", expected.join(",")));

    let earlier =
        server.get(&format!("/api/outcomes-at-location?location_id={}&date=2023-12", a.id));
    let expected =
        outcome_json("under-investigation", "Under investigation", "2023-12", Some(&december));
    assert_eq!(earlier.body, format!("[{expected}]"));
}

#[test]
fn outcomes_within_one_mile_of_a_point() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let outcomes = get_json(&server, &format!("/api/outcomes-at-location?{CENTRE}&date=2024-01"));
    assert_eq!(
        outcome_summary(&outcomes),
        expected_outcomes(
            &db,
            &[
                (DEC_BURGLARY_A, "unable-to-prosecute"),
                (BURGLARY_A, "under-investigation"),
                (SHOPLIFTING_E_IN, "local-resolution"),
            ]
        )
    );
    assert!(outcomes.as_array().unwrap().iter().all(|o| o["date"] == "2024-01"));
}

#[test]
fn outcomes_inside_a_poly_by_get_and_post() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let get = server.get(&format!("/api/outcomes-at-location?poly={BOX_POLY}&date=2024-01"));
    assert_eq!(
        outcome_summary(&assert_json(&get)),
        expected_outcomes(
            &db,
            &[
                (DEC_BURGLARY_A, "unable-to-prosecute"),
                (BURGLARY_A, "under-investigation"),
                (SHOPLIFTING_E_IN, "local-resolution"),
                (DRUGS_E_OUT, "cautioned"),
            ]
        )
    );
    let post =
        server.post_form("/api/outcomes-at-location", &[("poly", BOX_POLY), ("date", "2024-01")]);
    assert_json(&post);
    assert_eq!(post.body, get.body);
}

#[test]
fn more_outcomes_than_the_cap_is_503() {
    let db = test_database();
    let _data = crowded(&db);
    let server = TestServer::with_limits(&db, limits(Some(5)));
    for query in [CENTRE.to_owned(), format!("poly={A_POLY}")] {
        let response = server.get(&format!("/api/outcomes-at-location?{query}&date=2024-01"));
        assert_error(&response, 503);
        assert!(response.body.contains('5'), "should name the cap: {}", response.body);
    }
}

#[test]
fn outcomes_at_an_unknown_location_id_are_404() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let unknown = street_id(&db, NOTTS) + 1000;
    for id in [unknown.to_string(), "abc".into()] {
        let response =
            server.get(&format!("/api/outcomes-at-location?location_id={id}&date=2024-01"));
        assert_error(&response, 404);
    }
}

#[test]
fn outcomes_at_location_errors_follow_crimes_street() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    assert_error(&server.get("/api/outcomes-at-location?date=2024-01"), 400);
    assert_error(&server.get("/api/outcomes-at-location?lat=abc&lng=-1.13&date=2024-01"), 400);
    assert_error(&server.get(&format!("/api/outcomes-at-location?{CENTRE}&date=2026-13")), 404);
    assert_error(&server.get(&format!("/api/outcomes-at-location?{CENTRE}&date=2023-11")), 404);
    let later = server.get(&format!("/api/outcomes-at-location?{CENTRE}&date=2024-02"));
    assert_json(&later);
    assert_eq!(later.body, "[]");
}
