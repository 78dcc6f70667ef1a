//! The stop-and-search routes over real HTTP, with data put in through the real importer:
//! `stops-street` (GET and form POST), `stops-at-location`, `stops-no-location`,
//! `stops-force`; their errors and dates; how stop coordinates become snap points; and, over
//! the real Metropolitan and City of London files in `../shared/data/police-uk/`, that the
//! API lists exactly the CSV rows.
//!
//! Expected values come from the fixture and from the database (ids), never from the
//! server's own types: JSON is compared as text, written out here by hand.

// An `unwrap` fails the test, as meant; clippy.toml's `allow-unwrap-in-tests` does not cover
// the helpers outside `#[test]` functions.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use police_api::server::Limits;
use police_store::import::{FileStatus, ImportSummary};
use police_tests::fixtures::{
    csv_records, hex_id, import_cleanly, stops_file, street_file, Crime, Place,
};
use police_tests::geometry::inside_polygon;
use police_tests::http::{
    agent, assert_error, assert_json, content_type, get_json, poll, TestServer,
};
use police_tests::{skip_without_shared_data, test_database, TestDatabase};
use serde_json::Value;

const UNNAMED: &str = "On or near Unnamed Location";

// ---------------------------------------------------------------------------------------
// The places of the fixture (Leicester, around the docs' example point)
// ---------------------------------------------------------------------------------------

const CENTRE: &str = "lat=52.629729&lng=-1.131592";
/// 41 m from the centre; named by two street files ("Campbell Street" first).
const A: (&str, &str) = ("52.63", "-1.132");
const A_NAME: &str = "On or near Campbell Street";
const A_OTHER_NAME: &str = "On or near Campbell Street Car Park";
/// 250 m from the centre; no street file names it.
const U: (&str, &str) = ("52.6312", "-1.1291");
/// Due north of the centre, 1608.33 m (inside the mile) and 1610.44 m (outside).
const N_IN: (&str, &str) = ("52.644193", "-1.131592");
const N_OUT: (&str, &str) = ("52.644212", "-1.131592");
/// 4.6 km west of the centre.
const FAR: (&str, &str) = ("52.629729", "-1.2");
/// Nottingham.
const NOTTS: (&str, &str) = ("52.9548", "-1.1581");
/// A triangle holding A and U, but not N_IN.
const AU_POLY: &str = "52.628,-1.134:52.634,-1.134:52.631,-1.126";

// ---------------------------------------------------------------------------------------
// The stops of the fixture: CSV rows (Latitude before Longitude)
// ---------------------------------------------------------------------------------------

/// The 2024 docs' example stop, at A.
const S_FULL: &str = "Person search,2024-01-07T01:37:39+00:00,False,,52.63,-1.132,Male,10-17,White - English/Welsh/Scottish/Northern Irish/British,White,Police and Criminal Evidence Act 1984 (section 1),Article for use in theft,A no further action disposal,,False";
/// A vehicle search with a date only, part of an operation, at U.
const S_VEHICLE: &str = "Vehicle search,2024-01-03,True,Operation Nightjar,52.6312,-1.1291,,,,,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Arrest,True,";
/// A historic outcome name, just inside the mile.
const S_N_IN: &str = "Person and Vehicle search,2024-01-10T12:00:00+00:00,,,52.644193,-1.131592,Female,over 34,\"Asian/Asian British - Indian\",Asian,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Offender given drugs possession warning,False,False";
/// The same time, just outside the mile.
const S_N_OUT: &str = "Person search,2024-01-10T12:00:00+00:00,,,52.644212,-1.131592,Male,18-24,,Black,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Suspect arrested,,";
const S_FAR: &str = "Person search,2024-01-05T10:00:00+00:00,,,52.629729,-1.2,Male,25-34,,White,Criminal Justice and Public Order Act 1994 (section 60),Offensive weapons,Summons / charged by post,,";
/// No coordinates, no outcome.
const S_UNPLACED_LATE: &str = "Person search,2024-01-20T08:00:00+00:00,,,,,Other,,,,,,,,";
/// Zeroed coordinates (no location), dated the evening before the file's month in UTC.
const S_ZEROED: &str = "Person search,2023-12-31T23:30:00+00:00,False,,0,0,Male,18-24,White - Irish,White,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Caution (simple or conditional),False,True";
const S_UNPLACED_MID: &str = "Person search,2024-01-15T14:05:00+00:00,,,,,Male,over 34,,,Firearms Act 1968 (section 47),Firearms,Penalty Notice for Disorder,,";

const NOTTS_PLACED: &str = "Person search,2024-01-08T09:00:00+00:00,,,52.9548,-1.1581,Male,18-24,,,Police and Criminal Evidence Act 1984 (section 1),Stolen goods,Community resolution,,";
const NOTTS_UNPLACED: &str = "Person search,2024-01-09T09:00:00+00:00,,,,,Female,25-34,,,Police and Criminal Evidence Act 1984 (section 1),Stolen goods,Khat or Cannabis warning,,";
const BTP_AT_U: &str = "Person search,2024-01-04T18:45:00+00:00,False,,52.6312,-1.1291,Male,18-24,,White,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Article found - Detailed outcome unavailable,,";
const DECEMBER_AT_A: &str = "Person search,2023-12-15T11:00:00+00:00,,,52.63,-1.132,Male,18-24,,,Misuse of Drugs Act 1971 (section 23),Controlled drugs,A no further action disposal,,";
const FEBRUARY_AT_A: &str = "Person search,2024-02-02T11:00:00+00:00,,,52.63,-1.132,Male,18-24,,,Misuse of Drugs Act 1971 (section 23),Controlled drugs,A no further action disposal,,";

// ---------------------------------------------------------------------------------------
// Writing and importing police.uk CSVs
// ---------------------------------------------------------------------------------------

/// A burglary at `(lat, lng)` called `name`, with Crime ID [`hex_id`]`(n)`.
fn burglary_at(
    n: u32,
    (lat, lng): (&'static str, &'static str),
    name: &'static str,
) -> Crime<'static> {
    (hex_id(n), Place { lat, lng, name }, "Burglary", "Under investigation", "")
}

/// Writes and imports the stop files of the fixture into `dir`.
fn import_stops(db: &TestDatabase, dir: &Path) -> ImportSummary {
    let files = [
        stops_file(
            dir,
            "2024-01",
            "leicestershire",
            &[S_FULL, S_VEHICLE, S_N_IN, S_N_OUT, S_FAR, S_UNPLACED_LATE, S_ZEROED, S_UNPLACED_MID],
        ),
        stops_file(dir, "2024-01", "nottinghamshire", &[NOTTS_UNPLACED, NOTTS_PLACED]),
        stops_file(dir, "2024-01", "btp", &[BTP_AT_U]),
        stops_file(dir, "2023-12", "leicestershire", &[DECEMBER_AT_A]),
        stops_file(dir, "2024-02", "leicestershire", &[FEBRUARY_AT_A]),
    ];
    let summary = import_cleanly(db, &files);
    assert_eq!(summary.imported(), files.len());
    summary
}

/// The main fixture: street files naming A (twice, "Campbell Street" first, so it has the
/// lower id) for 2023-12 and 2024-01, then stops for 2023-12, 2024-01 and 2024-02.
fn leicester(db: &TestDatabase) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let january = street_file(d, "2024-01", "leicestershire", &[burglary_at(1, A, A_NAME)]);
    import_cleanly(db, &[january]);
    let december =
        street_file(d, "2023-12", "leicestershire", &[burglary_at(100, A, A_OTHER_NAME)]);
    import_cleanly(db, &[december]);
    import_stops(db, &d.join("stops"));
    dir
}

// ---------------------------------------------------------------------------------------
// Reading the database (the oracle for ids)
// ---------------------------------------------------------------------------------------

#[derive(QueryableByName, Debug, Clone, PartialEq)]
struct LocationRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
}

/// The snap points at `(lat, lng)`, by id.
fn locations_at(db: &TestDatabase, (lat, lng): (&str, &str)) -> Vec<LocationRow> {
    let mut conn = db.connect();
    diesel::sql_query(
        "SELECT id::bigint AS id, name FROM locations \
         WHERE latitude = $1::float8 AND longitude = $2::float8 ORDER BY id",
    )
    .bind::<Text, _>(lat)
    .bind::<Text, _>(lng)
    .load(&mut conn)
    .unwrap()
}

/// The one snap point called `name` at `place`.
fn location_id(db: &TestDatabase, place: (&str, &str), name: &str) -> i64 {
    let found: Vec<LocationRow> =
        locations_at(db, place).into_iter().filter(|l| l.name == name).collect();
    assert_eq!(found.len(), 1, "{name} at {place:?}: {found:?}");
    found[0].id
}

#[derive(QueryableByName, Debug, Clone, PartialEq)]
struct StopLocationRow {
    #[diesel(sql_type = Text)]
    force_id: String,
    #[diesel(sql_type = Nullable<Double>)]
    latitude: Option<f64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    location_id: Option<i64>,
}

/// Every stop's force, latitude and `location_id`, in a fixed order.
fn stop_locations(db: &TestDatabase) -> Vec<StopLocationRow> {
    let mut conn = db.connect();
    diesel::sql_query(
        "SELECT force_id, latitude, location_id::bigint AS location_id FROM stops \
         ORDER BY datetime, force_id, latitude NULLS FIRST",
    )
    .load(&mut conn)
    .unwrap()
}

// ---------------------------------------------------------------------------------------
// Expected JSON, written out by hand
// ---------------------------------------------------------------------------------------

fn location_json(lat: &str, lng: &str, id: i64, name: &str) -> String {
    format!(r#"{{"latitude":"{lat}","street":{{"id":{id},"name":"{name}"}},"longitude":"{lng}"}}"#)
}

fn full_stop_json(a: i64) -> String {
    format!(
        r#"{{"age_range":"10-17","officer_defined_ethnicity":"White","involved_person":true,"self_defined_ethnicity":"White - English/Welsh/Scottish/Northern Irish/British","gender":"Male","legislation":"Police and Criminal Evidence Act 1984 (section 1)","outcome_linked_to_object_of_search":null,"datetime":"2024-01-07T01:37:39+00:00","outcome_object":{{"id":"bu-no-further-action","name":"A no further action disposal"}},"location":{},"object_of_search":"Article for use in theft","operation":false,"outcome":"A no further action disposal","type":"Person search","operation_name":null,"removal_of_more_than_outer_clothing":false}}"#,
        location_json("52.630000", "-1.132000", a, A_NAME)
    )
}

fn vehicle_stop_json(u: i64) -> String {
    format!(
        r#"{{"age_range":null,"officer_defined_ethnicity":null,"involved_person":false,"self_defined_ethnicity":null,"gender":null,"legislation":"Misuse of Drugs Act 1971 (section 23)","outcome_linked_to_object_of_search":true,"datetime":"2024-01-03T00:00:00+00:00","outcome_object":{{"id":"bu-arrest","name":"Arrest"}},"location":{},"object_of_search":"Controlled drugs","operation":true,"outcome":"Arrest","type":"Vehicle search","operation_name":"Operation Nightjar","removal_of_more_than_outer_clothing":null}}"#,
        location_json("52.631200", "-1.129100", u, UNNAMED)
    )
}

/// Leicestershire's January stops without a location, by time.
const UNPLACED_JSON: [&str; 3] = [
    r#"{"age_range":"18-24","officer_defined_ethnicity":"White","involved_person":true,"self_defined_ethnicity":"White - Irish","gender":"Male","legislation":"Misuse of Drugs Act 1971 (section 23)","outcome_linked_to_object_of_search":false,"datetime":"2023-12-31T23:30:00+00:00","outcome_object":{"id":"bu-caution","name":"Caution (simple or conditional)"},"location":null,"object_of_search":"Controlled drugs","operation":false,"outcome":"Caution (simple or conditional)","type":"Person search","operation_name":null,"removal_of_more_than_outer_clothing":true}"#,
    r#"{"age_range":"over 34","officer_defined_ethnicity":null,"involved_person":true,"self_defined_ethnicity":null,"gender":"Male","legislation":"Firearms Act 1968 (section 47)","outcome_linked_to_object_of_search":null,"datetime":"2024-01-15T14:05:00+00:00","outcome_object":{"id":"bu-penalty-notice","name":"Penalty Notice for Disorder"},"location":null,"object_of_search":"Firearms","operation":null,"outcome":"Penalty Notice for Disorder","type":"Person search","operation_name":null,"removal_of_more_than_outer_clothing":null}"#,
    r#"{"age_range":null,"officer_defined_ethnicity":null,"involved_person":true,"self_defined_ethnicity":null,"gender":"Other","legislation":null,"outcome_linked_to_object_of_search":null,"datetime":"2024-01-20T08:00:00+00:00","outcome_object":{"id":"","name":""},"location":null,"object_of_search":null,"operation":null,"outcome":"","type":"Person search","operation_name":null,"removal_of_more_than_outer_clothing":null}"#,
];

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/// `(datetime, street name or "-")` of each stop of a response, in order.
fn summary(stops: &Value) -> Vec<(String, String)> {
    stops
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let place = s["location"]["street"]["name"].as_str().unwrap_or("-");
            (s["datetime"].as_str().unwrap().to_owned(), place.to_owned())
        })
        .collect()
}

fn rows(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(t, p)| (t.to_string(), p.to_string())).collect()
}

// =======================================================================================
// 1. Records
// =======================================================================================

#[test]
fn a_stop_is_compact_json_in_police_uk_key_order() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    let a = location_id(&db, A, A_NAME);
    let response = server.get(&format!("/api/stops-at-location?location_id={a}&date=2024-01"));
    assert_json(&response);
    assert_eq!(response.body, format!("[{}]", full_stop_json(a)));
}

#[test]
fn stops_without_a_location_or_outcome_have_nulls_and_an_empty_outcome() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    let response = server.get("/api/stops-no-location?force=leicestershire&date=2024-01");
    assert_json(&response);
    assert_eq!(response.body, format!("[{}]", UNPLACED_JSON.join(",")));
}

#[test]
fn a_vehicle_search_involves_no_person_and_a_date_alone_is_midnight() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    let u = location_id(&db, U, UNNAMED);
    let response = server.get(&format!("/api/stops-at-location?location_id={u}&date=2024-01"));
    let body = assert_json(&response);
    // Leicestershire's vehicle search, then BTP's stop at the same place.
    assert!(response.body.starts_with(&format!("[{},", vehicle_stop_json(u))), "{}", response.body);
    assert_eq!(
        summary(&body),
        rows(&[("2024-01-03T00:00:00+00:00", UNNAMED), ("2024-01-04T18:45:00+00:00", UNNAMED)])
    );
    assert_eq!(
        body[1]["outcome_object"],
        serde_json::json!({"id": "bu-article-found-detailed-outcome-unavailable",
                           "name": "Article found - Detailed outcome unavailable"})
    );
}

// =======================================================================================
// 2. stops-street
// =======================================================================================

/// January's stops within a mile of the centre, by time.
fn january_within_a_mile() -> Vec<(String, String)> {
    rows(&[
        ("2024-01-03T00:00:00+00:00", UNNAMED),
        ("2024-01-04T18:45:00+00:00", UNNAMED),
        ("2024-01-07T01:37:39+00:00", A_NAME),
        ("2024-01-10T12:00:00+00:00", UNNAMED),
    ])
}

#[test]
fn stops_street_are_the_stops_within_one_mile_of_the_point() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    let body = get_json(&server, &format!("/api/stops-street?{CENTRE}&date=2024-01"));
    assert_eq!(summary(&body), january_within_a_mile());
    // The one at 12:00 is N_IN (a historic outcome name), not N_OUT at the same time.
    assert_eq!(body[3]["location"]["latitude"], "52.644193");
    assert_eq!(
        body[3]["outcome_object"],
        serde_json::json!({"id": "bu-khat-or-cannabis-warning",
                           "name": "Offender given drugs possession warning"})
    );
    assert_eq!(body[3]["self_defined_ethnicity"], "Asian/Asian British - Indian");
    assert_eq!(body[3]["involved_person"], true);
}

#[test]
fn stops_street_poly_is_the_stops_inside_the_polygon_and_post_gives_the_same() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    let get = server.get(&format!("/api/stops-street?poly={AU_POLY}&date=2024-01"));
    assert_eq!(
        summary(&assert_json(&get)),
        rows(&[
            ("2024-01-03T00:00:00+00:00", UNNAMED),
            ("2024-01-04T18:45:00+00:00", UNNAMED),
            ("2024-01-07T01:37:39+00:00", A_NAME),
        ])
    );
    let posted = server.post_form("/api/stops-street", &[("poly", AU_POLY), ("date", "2024-01")]);
    assert_json(&posted);
    assert_eq!(posted.body, get.body);
    // The body's fields override the query string's.
    let mixed = server.post_form(
        "/api/stops-street?poly=1,1:1,2:2,2&date=2023-12",
        &[("poly", AU_POLY), ("date", "2024-01")],
    );
    assert_eq!(mixed.body, get.body);
    let circle = server.post_form(
        "/api/stops-street",
        &[("lat", "52.629729"), ("lng", "-1.131592"), ("date", "2024-01")],
    );
    assert_eq!(summary(&assert_json(&circle)), january_within_a_mile());
    let json = server.post(
        "/api/stops-street",
        "application/json",
        format!(r#"{{"poly":"{AU_POLY}","date":"2024-01"}}"#).as_bytes(),
    );
    assert_error(&json, 400);
}

#[test]
fn stops_street_rejects_unusable_parameters_like_the_crime_routes() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    assert_error(&server.get("/api/stops-street?date=2024-01"), 400);
    assert_error(&server.get("/api/stops-street?lat=abc&lng=-1.13"), 400);
    assert_error(&server.get("/api/stops-street?lat=52.6"), 400);
    assert_error(&server.get("/api/stops-street?poly=52.1,0.1:garbage"), 400);
    assert_error(&server.get("/api/stops-street?poly=52.1,0.1:52.2,0.2"), 400);
    for date in ["2024-13", "July2024", "2024-01-15"] {
        assert_error(&server.get(&format!("/api/stops-street?{CENTRE}&date={date}")), 404);
    }
    assert_error(&server.get(&format!("/api/stops-street?{CENTRE}&date=2023-11")), 404);
    assert_eq!(
        get_json(&server, &format!("/api/stops-street?{CENTRE}&date=2024-03")),
        Value::Array(vec![])
    );
    assert_eq!(
        get_json(&server, "/api/stops-street?lat=48.85&lng=2.35&date=2024-01"),
        Value::Array(vec![])
    );
}

// =======================================================================================
// 3. stops-at-location
// =======================================================================================

#[test]
fn stops_at_location_are_the_stops_at_that_snap_point_in_the_month() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    let a = location_id(&db, A, A_NAME);
    for (date, expected) in [
        ("2023-12", "2023-12-15T11:00:00+00:00"),
        ("2024-01", "2024-01-07T01:37:39+00:00"),
        ("2024-02", "2024-02-02T11:00:00+00:00"),
    ] {
        let body =
            get_json(&server, &format!("/api/stops-at-location?location_id={a}&date={date}"));
        assert_eq!(summary(&body), rows(&[(expected, A_NAME)]), "{date}");
    }
    // The other name at A's coordinates has no stops: they went to the lowest id.
    let other = location_id(&db, A, A_OTHER_NAME);
    assert!(other > a);
    let body =
        get_json(&server, &format!("/api/stops-at-location?location_id={other}&date=2024-01"));
    assert_eq!(body, Value::Array(vec![]));
}

#[test]
fn stops_at_an_unknown_or_non_numeric_location_are_an_empty_list_and_none_is_400() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    for id in ["999999999", "abc", "-1"] {
        let response = server.get(&format!("/api/stops-at-location?location_id={id}&date=2024-01"));
        assert_json(&response);
        assert_eq!(response.body, "[]", "{id}");
    }
    assert_error(&server.get("/api/stops-at-location?date=2024-01"), 400);
    assert_error(&server.get("/api/stops-at-location?location_id=&date=2024-01"), 400);
    let a = location_id(&db, A, A_NAME);
    assert_error(&server.get(&format!("/api/stops-at-location?location_id={a}&date=2024-1")), 404);
}

// =======================================================================================
// 4. stops-no-location and stops-force
// =======================================================================================

#[test]
fn stops_no_location_are_each_forces_unplaced_stops() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    let notts = get_json(&server, "/api/stops-no-location?force=nottinghamshire&date=2024-01");
    assert_eq!(summary(&notts), rows(&[("2024-01-09T09:00:00+00:00", "-")]));
    assert_eq!(notts[0]["outcome_object"]["id"], "bu-khat-or-cannabis-warning");
    // BTP's only stop has a location; a force without stops and an unknown one list nothing.
    for force in ["btp", "kent", "atlantis"] {
        let response = server.get(&format!("/api/stops-no-location?force={force}&date=2024-01"));
        assert_json(&response);
        assert_eq!(response.body, "[]", "{force}");
    }
    assert_error(&server.get("/api/stops-no-location?date=2024-01"), 400);
    assert_error(&server.get("/api/stops-no-location?force=&date=2024-01"), 400);
    assert_error(&server.get("/api/stops-no-location?force=leicestershire&date=2023-11"), 404);
}

#[test]
fn stops_force_lists_placed_and_unplaced_stops_by_time() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    let a = location_id(&db, A, A_NAME);
    let u = location_id(&db, U, UNNAMED);
    let response = server.get("/api/stops-force?force=leicestershire&date=2024-01");
    let body = assert_json(&response);
    assert_eq!(
        summary(&body),
        rows(&[
            ("2023-12-31T23:30:00+00:00", "-"),
            ("2024-01-03T00:00:00+00:00", UNNAMED),
            ("2024-01-05T10:00:00+00:00", UNNAMED),
            ("2024-01-07T01:37:39+00:00", A_NAME),
            ("2024-01-10T12:00:00+00:00", UNNAMED),
            ("2024-01-10T12:00:00+00:00", UNNAMED),
            ("2024-01-15T14:05:00+00:00", "-"),
            ("2024-01-20T08:00:00+00:00", "-"),
        ])
    );
    // Byte for byte where the fixture fixes every field; equal times keep file order.
    let expected_start = format!("[{},{},", UNPLACED_JSON[0], vehicle_stop_json(u));
    assert!(response.body.starts_with(&expected_start), "{}", response.body);
    assert!(response.body.contains(&full_stop_json(a)));
    assert!(response.body.ends_with(&format!("{},{}]", UNPLACED_JSON[1], UNPLACED_JSON[2])));
    assert_eq!(body[4]["location"]["latitude"], "52.644193");
    assert_eq!(body[5]["location"]["latitude"], "52.644212");
    assert_eq!(body[5]["outcome_object"]["id"], "bu-arrest");
    assert_eq!(body[5]["outcome"], "Suspect arrested");
    assert_eq!(body[2]["outcome_object"]["id"], "bu-summons");

    let btp = get_json(&server, "/api/stops-force?force=btp&date=2024-01");
    assert_eq!(summary(&btp), rows(&[("2024-01-04T18:45:00+00:00", UNNAMED)]));
    let notts = get_json(&server, "/api/stops-force?force=nottinghamshire&date=2024-01");
    assert_eq!(
        summary(&notts),
        rows(&[("2024-01-08T09:00:00+00:00", UNNAMED), ("2024-01-09T09:00:00+00:00", "-")])
    );
    assert_eq!(notts[0]["outcome_object"]["id"], "bu-community-resolution");
    for force in ["kent", "atlantis", "LEICESTERSHIRE"] {
        let response = server.get(&format!("/api/stops-force?force={force}&date=2024-01"));
        assert_json(&response);
        assert_eq!(response.body, "[]", "{force}");
    }
    assert_error(&server.get("/api/stops-force?date=2024-01"), 400);
}

#[test]
fn stops_force_before_the_data_is_404_not_police_uks_502() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    assert_error(&server.get("/api/stops-force?force=leicestershire&date=2023-11"), 404);
    assert_error(&server.get("/api/stops-force?force=leicestershire&date=2023-13"), 404);
    let after = server.get("/api/stops-force?force=leicestershire&date=2024-03");
    assert_json(&after);
    assert_eq!(after.body, "[]");
}

// =======================================================================================
// 5. The month
// =======================================================================================

#[test]
fn the_default_month_is_the_latest_with_crimes_and_later_stop_months_are_served() {
    let db = test_database();
    let _dir = leicester(&db);
    let server = TestServer::start(&db);
    // Crimes go up to 2024-01; stops up to 2024-02.
    assert_eq!(server.get("/api/crime-last-updated").body, r#"{"date":"2024-01-01"}"#);
    for path in [
        "/api/stops-force?force=leicestershire",
        "/api/stops-force?force=leicestershire&date=",
        "/api/stops-force?force=leicestershire&dte=2024-02",
    ] {
        let body = get_json(&server, path);
        assert_eq!(body.as_array().unwrap().len(), 8, "{path}");
    }
    let default = server.get(&format!("/api/stops-street?{CENTRE}"));
    assert_eq!(summary(&assert_json(&default)), january_within_a_mile());
    let february = get_json(&server, "/api/stops-force?force=leicestershire&date=2024-02");
    assert_eq!(summary(&february), rows(&[("2024-02-02T11:00:00+00:00", A_NAME)]));
    let street = get_json(&server, &format!("/api/stops-street?{CENTRE}&date=2024-02"));
    assert_eq!(summary(&street), rows(&[("2024-02-02T11:00:00+00:00", A_NAME)]));
}

#[test]
fn without_crime_data_the_default_month_is_the_latest_month_of_stops() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    import_stops(&db, dir.path());
    let server = TestServer::start(&db);
    assert_error(&server.get("/api/crime-last-updated"), 404);
    let body = get_json(&server, "/api/stops-force?force=leicestershire");
    assert_eq!(summary(&body), rows(&[("2024-02-02T11:00:00+00:00", UNNAMED)]));
    let january = get_json(&server, "/api/stops-force?force=leicestershire&date=2024-01");
    assert_eq!(january.as_array().unwrap().len(), 8);
    assert_error(&server.get("/api/stops-force?force=leicestershire&date=2023-11"), 404);
    assert_error(&server.get("/api/stops-force?force=leicestershire&date=soon"), 404);
}

#[test]
fn an_empty_store_answers_empty_lists() {
    let db = test_database();
    let server = TestServer::start(&db);
    for path in [
        format!("/api/stops-street?{CENTRE}"),
        "/api/stops-at-location?location_id=1".to_owned(),
        "/api/stops-no-location?force=leicestershire".to_owned(),
        "/api/stops-force?force=leicestershire".to_owned(),
    ] {
        let response = server.get(&path);
        assert_json(&response);
        assert_eq!(response.body, "[]", "{path}");
    }
}

// =======================================================================================
// 6. Snap points for stop coordinates
// =======================================================================================

#[test]
fn stop_coordinates_map_to_the_lowest_id_named_snap_point_else_one_unnamed_point() {
    let db = test_database();
    let _dir = leicester(&db);
    let a = location_id(&db, A, A_NAME);
    assert!(a < location_id(&db, A, A_OTHER_NAME));
    // One unnamed point at U, shared by Leicestershire's and BTP's stops; none at A.
    let at_u = locations_at(&db, U);
    assert_eq!(at_u.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), [UNNAMED]);
    assert!(locations_at(&db, A).iter().all(|l| l.name != UNNAMED));
    let u = at_u[0].id;
    // Each stop's coordinates: the snap point expected for them.
    let expected: Vec<((&str, &str), i64)> = vec![
        (A, a),
        (U, u),
        (N_IN, location_id(&db, N_IN, UNNAMED)),
        (N_OUT, location_id(&db, N_OUT, UNNAMED)),
        (FAR, location_id(&db, FAR, UNNAMED)),
        (NOTTS, location_id(&db, NOTTS, UNNAMED)),
    ];
    let rows = stop_locations(&db);
    assert_eq!(rows.len(), 13);
    let mut per_place: BTreeMap<i64, usize> = BTreeMap::new();
    for row in &rows {
        match row.latitude {
            None => assert_eq!(row.location_id, None, "{row:?}"),
            Some(latitude) => {
                let (_, id) = expected
                    .iter()
                    .find(|((lat, _), _)| lat.parse::<f64>().unwrap() == latitude)
                    .unwrap_or_else(|| panic!("unexpected stop {row:?}"));
                assert_eq!(row.location_id, Some(*id), "{row:?}");
                *per_place.entry(*id).or_default() += 1;
            }
        }
    }
    // A: December, January, February; U: Leicestershire's and BTP's.
    assert_eq!(per_place[&a], 3);
    assert_eq!(per_place[&u], 2);
    assert_eq!(rows.iter().filter(|r| r.location_id.is_none()).count(), 4);
    assert!(rows.iter().any(|r| r.force_id == "btp" && r.location_id == Some(u)));
}

#[test]
fn a_stop_at_an_unnamed_point_is_shown_at_a_named_point_a_later_street_file_brings() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = stops_file(d, "2024-01", "leicestershire", &[S_VEHICLE]);
    import_cleanly(&db, std::slice::from_ref(&first));
    let unnamed = location_id(&db, U, UNNAMED);
    {
        let server = TestServer::start(&db);
        let body = get_json(&server, "/api/stops-force?force=leicestershire&date=2024-01");
        assert_eq!(body[0]["location"]["street"]["id"], unnamed);
    }

    // A street file names the place: the snapshot shows the stop there at once.
    import_cleanly(
        &db,
        &[street_file(
            d,
            "2024-01",
            "leicestershire",
            &[burglary_at(7, U, "On or near Belgrave Gate")],
        )],
    );
    let named = location_id(&db, U, "On or near Belgrave Gate");
    let server = TestServer::start(&db);
    let body = get_json(&server, "/api/stops-force?force=leicestershire&date=2024-01");
    assert_eq!(body[0]["location"]["street"]["id"], named);
    assert_eq!(body[0]["location"]["street"]["name"], "On or near Belgrave Gate");
    let at_named =
        get_json(&server, &format!("/api/stops-at-location?location_id={named}&date=2024-01"));
    assert_eq!(at_named.as_array().unwrap().len(), 1);
    let at_unnamed =
        get_json(&server, &format!("/api/stops-at-location?location_id={unnamed}&date=2024-01"));
    assert_eq!(at_unnamed, Value::Array(vec![]));
    assert_eq!(stop_locations(&db)[0].location_id, Some(unnamed));
    // The nearest snap point to U's coordinates is the named one, which has the crime.
    let crimes =
        get_json(&server, &format!("/api/crimes-at-location?lat={}&lng={}&date=2024-01", U.0, U.1));
    assert_eq!(crimes.as_array().unwrap().len(), 1, "{crimes}");
    assert_eq!(crimes[0]["location"]["street"]["id"], named);

    // A new vintage of the stop file is mapped to the named point when imported.
    stops_file(d, "2024-01", "leicestershire", &[S_VEHICLE, S_UNPLACED_LATE]);
    let summary = import_cleanly(&db, std::slice::from_ref(&first));
    assert_eq!(summary.files[0].status, FileStatus::Imported { replaced: true });
    assert_eq!(stop_locations(&db)[0].location_id, Some(named));
}

#[test]
fn the_migration_maps_stops_imported_before_it_to_snap_points() {
    let db = test_database();
    let _dir = leicester(&db);
    let before = stop_locations(&db);
    let mut conn = db.connect();
    let down =
        include_str!("../../../storage/store/migrations/2024-01-02-000000_stop_locations/down.sql");
    let up =
        include_str!("../../../storage/store/migrations/2024-01-02-000000_stop_locations/up.sql");
    conn.batch_execute(down).unwrap();
    // As if the stops had been imported before unnamed points existed.
    diesel::sql_query(format!("DELETE FROM locations WHERE name = '{UNNAMED}'"))
        .execute(&mut conn)
        .unwrap();
    conn.batch_execute(up).unwrap();
    let after = stop_locations(&db);
    assert_eq!(after.len(), before.len());
    let a = location_id(&db, A, A_NAME);
    for (old, new) in before.iter().zip(&after) {
        assert_eq!((&old.force_id, old.latitude), (&new.force_id, new.latitude));
        match old.location_id {
            Some(id) if id == a => assert_eq!(new.location_id, Some(a)),
            Some(_) => {
                let id = new.location_id.expect("a new unnamed point");
                let mut conn = db.connect();
                let name: Vec<LocationRow> = diesel::sql_query(format!(
                    "SELECT id::bigint AS id, name FROM locations WHERE id = {id}"
                ))
                .load(&mut conn)
                .unwrap();
                assert_eq!(name[0].name, UNNAMED);
            }
            None => assert_eq!(new.location_id, None),
        }
    }
    assert_eq!(locations_at(&db, U).len(), 1);
    // And the server answers from the migrated store as before.
    let server = TestServer::start(&db);
    let body = get_json(&server, &format!("/api/stops-street?{CENTRE}&date=2024-01"));
    assert_eq!(summary(&body), january_within_a_mile());
}

#[test]
fn stops_imported_into_a_running_server_show_up_without_a_restart() {
    let db = test_database();
    let server = TestServer::start(&db);
    let path = "/api/stops-force?force=btp&date=2024-01";
    assert_eq!(server.get(path).body, "[]");
    let dir = tempfile::tempdir().unwrap();
    import_cleanly(&db, &[stops_file(dir.path(), "2024-01", "btp", &[BTP_AT_U])]);
    let response = poll(&server, path, |r| r.body != "[]");
    assert_eq!(summary(&assert_json(&response)), rows(&[("2024-01-04T18:45:00+00:00", UNNAMED)]));
    let dates = get_json(&server, "/api/crimes-street-dates");
    assert_eq!(dates, serde_json::json!([{"date": "2024-01", "stop-and-search": ["btp"]}]));
}

// =======================================================================================
// 7. The real Metropolitan and City of London stop-and-search files
// =======================================================================================

/// `GET path` as JSON, for bodies larger than `TestServer::get` reads (10 MB).
fn get_large_json(server: &TestServer, path: &str) -> Value {
    let mut response = agent().get(&format!("{}{path}", server.base_url())).call().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "application/json");
    let body = response.body_mut().with_config().limit(u64::MAX).read_to_string().unwrap();
    serde_json::from_str(&body).unwrap()
}

/// Every stop-and-search file of the Met and the City of London: (month, force, path).
fn real_stop_files(data: &Path) -> Vec<(String, &'static str, PathBuf)> {
    let mut files = Vec::new();
    for month in std::fs::read_dir(data).unwrap() {
        let month = month.unwrap().path();
        let name = month.file_name().unwrap().to_string_lossy().into_owned();
        for force in ["metropolitan", "city-of-london"] {
            let path = month.join(format!("{name}-{force}-stop-and-search.csv"));
            if path.exists() {
                files.push((name.clone(), force, path));
            }
        }
    }
    files.sort();
    files
}

/// What a CSV row and an API stop must agree on.
fn csv_key(r: &csv::StringRecord) -> String {
    let coordinate = |text: &str| {
        let value: f64 = text.parse().unwrap();
        format!("{value:.6}")
    };
    let place = if r[4].is_empty() {
        "-".to_owned()
    } else {
        format!("{},{}", coordinate(&r[4]), coordinate(&r[5]))
    };
    let bool_text = |text: &str| match text {
        "True" => "true",
        "False" => "false",
        _ => "null",
    };
    [
        r[1].to_owned(),
        r[0].to_owned(),
        bool_text(&r[2]).to_owned(),
        r[3].to_owned(),
        place,
        r[6].to_owned(),
        r[7].to_owned(),
        r[8].to_owned(),
        r[9].to_owned(),
        r[10].to_owned(),
        r[11].to_owned(),
        r[12].to_owned(),
        bool_text(&r[13]).to_owned(),
        bool_text(&r[14]).to_owned(),
    ]
    .join("|")
}

fn api_key(s: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let flag = |v: &Value| match v.as_bool() {
        Some(true) => "true".to_owned(),
        Some(false) => "false".to_owned(),
        None => "null".to_owned(),
    };
    let place = if s["location"].is_null() {
        "-".to_owned()
    } else {
        format!("{},{}", text(&s["location"]["latitude"]), text(&s["location"]["longitude"]))
    };
    [
        text(&s["datetime"]),
        text(&s["type"]),
        flag(&s["operation"]),
        text(&s["operation_name"]),
        place,
        text(&s["gender"]),
        text(&s["age_range"]),
        text(&s["self_defined_ethnicity"]),
        text(&s["officer_defined_ethnicity"]),
        text(&s["legislation"]),
        text(&s["object_of_search"]),
        text(&s["outcome"]),
        flag(&s["outcome_linked_to_object_of_search"]),
        flag(&s["removal_of_more_than_outer_clothing"]),
    ]
    .join("|")
}

fn multiset(keys: impl Iterator<Item = String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// Across the City's edge: Bank to Liverpool Street and into Shoreditch and Whitechapel.
/// Vertices with 7 decimals, so that no 6-decimal snap point lies on an edge.
const CITY_EAST: [(f64, f64); 5] = [
    (51.5051234, -0.0950123),
    (51.5281234, -0.0950123),
    (51.5281234, -0.0600123),
    (51.5151234, -0.0550123),
    (51.5051234, -0.0700123),
];

#[test]
fn real_stop_files_are_listed_whole_by_stops_force_and_stops_no_location() {
    let data = skip_without_shared_data!();
    let files = real_stop_files(&data);
    assert!(files.len() >= 80, "{}", files.len());
    let db = test_database();
    let paths: Vec<PathBuf> = files.iter().map(|(_, _, p)| p.clone()).collect();
    let summary = import_cleanly(&db, &paths);
    assert_eq!(summary.imported(), files.len());
    let server = TestServer::with_limits(&db, Limits { max_results: None, ..Limits::default() });

    let mut polygon_checked = 0;
    for (month, force, path) in &files {
        let records = csv_records(path);
        let body = get_large_json(&server, &format!("/api/stops-force?force={force}&date={month}"));
        let stops = body.as_array().unwrap();
        assert_eq!(stops.len(), records.len(), "{month} {force}: stops-force count");
        assert_eq!(
            multiset(stops.iter().map(api_key)),
            multiset(records.iter().map(csv_key)),
            "{month} {force}: stops-force content"
        );
        let times: Vec<&str> = stops.iter().map(|s| s["datetime"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{month} {force}: by time");

        let unplaced = records.iter().filter(|r| r[4].is_empty()).count();
        let body =
            get_large_json(&server, &format!("/api/stops-no-location?force={force}&date={month}"));
        let listed = body.as_array().unwrap();
        assert_eq!(listed.len(), unplaced, "{month} {force}: stops-no-location count");
        assert!(listed.iter().all(|s| s["location"].is_null()));

        // stops-street: both forces' rows inside the polygon (both files, when both exist).
        if *force == "city-of-london" && unplaced < records.len() {
            let mut expected = Vec::new();
            for (_, _, other) in files.iter().filter(|(m, _, _)| m == month) {
                for r in csv_records(other).iter().filter(|r| !r[4].is_empty()) {
                    let (lat, lng): (f64, f64) = (r[4].parse().unwrap(), r[5].parse().unwrap());
                    if inside_polygon(&CITY_EAST, lat, lng) {
                        expected.push(csv_key(r));
                    }
                }
            }
            let poly: Vec<String> = CITY_EAST.iter().map(|(a, b)| format!("{a},{b}")).collect();
            let response = server.post_form(
                "/api/stops-street",
                &[("poly", &poly.join(":")), ("date", month.as_str())],
            );
            let body = assert_json(&response);
            let got = body.as_array().unwrap();
            assert!(!expected.is_empty(), "{month}: the polygon holds stops");
            assert_eq!(
                multiset(got.iter().map(api_key)),
                multiset(expected.into_iter()),
                "{month}: stops-street polygon"
            );
            polygon_checked += 1;
        }
    }
    assert!(polygon_checked >= 20, "{polygon_checked}");
}
