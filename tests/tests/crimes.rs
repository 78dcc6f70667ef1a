//! The crime and outcome routes over real HTTP, with data put in through the real importer:
//! `crimes-street`, `crimes-at-location`, `crimes-no-location`, `crime-categories`,
//! `outcomes-for-crime`, `outcomes-at-location`; their errors (spec §0.4), the result cap,
//! the request-line limit, CORS, and the snapshot refresh after an import.
//!
//! Expected values come from the fixture and from the database (ids), never from the
//! server's own types: JSON is compared as text, written out here by hand.

// An `unwrap` fails the test, as meant; clippy.toml's `allow-unwrap-in-tests` does not cover
// the helpers outside `#[test]` functions.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use police_api::server::Limits;
use police_store::import::{import_paths, FileStatus, ImportOptions, ImportSummary, Silent};
use police_tests::http::{Response, TestServer};
use police_tests::{test_database, TestDatabase};
use serde_json::Value;

const STREET_HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";
const OUTCOMES_HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type";

/// `/api/crime-categories` as spec §3.5 lists it, in its order.
const CATEGORIES: [(&str, &str); 15] = [
    ("all-crime", "All crime"),
    ("anti-social-behaviour", "Anti-social behaviour"),
    ("bicycle-theft", "Bicycle theft"),
    ("burglary", "Burglary"),
    ("criminal-damage-arson", "Criminal damage and arson"),
    ("drugs", "Drugs"),
    ("other-theft", "Other theft"),
    ("possession-of-weapons", "Possession of weapons"),
    ("public-order", "Public order"),
    ("robbery", "Robbery"),
    ("shoplifting", "Shoplifting"),
    ("theft-from-the-person", "Theft from the person"),
    ("vehicle-crime", "Vehicle crime"),
    ("violent-crime", "Violence and sexual offences"),
    ("other-crime", "Other crime"),
];

// ---------------------------------------------------------------------------------------
// The places of the fixture
// ---------------------------------------------------------------------------------------

/// A snap point as the CSVs write it (coordinates as text), and as the API must render it.
#[derive(Debug, Clone, Copy)]
struct Place {
    lat: &'static str,
    lng: &'static str,
    name: &'static str,
}

/// Centre of the point queries: the docs' example point in Leicester.
const CENTRE_LAT: &str = "52.629729";
const CENTRE_LNG: &str = "-1.131592";
const CENTRE: &str = "lat=52.629729&lng=-1.131592";

/// 41 m from the centre. Written with fewer decimals than police.uk uses, to see them padded.
const A: Place = Place { lat: "52.63", lng: "-1.132", name: "On or near Campbell Street" };
/// Due north of the centre, 1608.33 m (inside the mile) and 1610.44 m (outside).
const N_IN: Place =
    Place { lat: "52.644193", lng: "-1.131592", name: "On or near North Inside Road" };
const N_OUT: Place =
    Place { lat: "52.644212", lng: "-1.131592", name: "On or near North Outside Road" };
/// Due east of the centre, 1608.32 m (inside) and 1610.41 m (outside).
const E_IN: Place =
    Place { lat: "52.629729", lng: "-1.107762", name: "On or near East Inside Road" };
const E_OUT: Place =
    Place { lat: "52.629729", lng: "-1.107731", name: "On or near East Outside Road" };
/// South-west of the centre, 1608.32 m (inside).
const SW_IN: Place =
    Place { lat: "52.619500", lng: "-1.148438", name: "On or near South West Inside Road" };
/// 4.6 km west of the centre.
const W_FAR: Place = Place { lat: "52.629729", lng: "-1.2", name: "On or near Far West Lane" };
/// Nottingham.
const NOTTS: Place = Place { lat: "52.954800", lng: "-1.158100", name: "On or near Market Square" };
/// No coordinates at all, and the zeroed coordinates police.uk gives crimes it cannot map.
const NOWHERE: Place = Place { lat: "", lng: "", name: "No Location" };
const ZEROED: Place = Place { lat: "0", lng: "0", name: "No Location" };

/// A box (lat 52.62..52.64, lng -1.14..-1.10) holding A, E_IN and E_OUT but none of the
/// north points, SW_IN or W_FAR.
const BOX_POLY: &str = "52.62,-1.14:52.64,-1.14:52.64,-1.10:52.62,-1.10";
/// A small triangle around A only.
const A_POLY: &str = "52.629,-1.133:52.631,-1.133:52.630,-1.131";

const EARTH_RADIUS_M: f64 = 6_371_008.8;
const ONE_MILE_M: f64 = 1609.344;

fn haversine_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (p2 - p1) / 2.0;
    let dl = (lng2 - lng1).to_radians() / 2.0;
    let h = dp.sin().powi(2) + p1.cos() * p2.cos() * dl.sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

fn metres_between(place: Place, lat: &str, lng: &str) -> f64 {
    let f = |s: &str| s.parse::<f64>().unwrap();
    haversine_m(f(place.lat), f(place.lng), f(lat), f(lng))
}

// ---------------------------------------------------------------------------------------
// Persistent ids of the fixture's crimes
// ---------------------------------------------------------------------------------------

/// A 64-hex persistent id: the byte `n` 32 times.
fn pid(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

// 2024-01, Leicestershire.
const BURGLARY_A: u8 = 0xa1;
const VIOLENT_A: u8 = 0xa2;
const BICYCLE_A: u8 = 0xa3;
const BURGLARY_N_IN: u8 = 0xa4;
const BURGLARY_N_OUT: u8 = 0xa5;
const SHOPLIFTING_E_IN: u8 = 0xa6;
const DRUGS_E_OUT: u8 = 0xa7;
const ROBBERY_W_FAR: u8 = 0xa8;
const BURGLARY_UNMAPPED: u8 = 0xa9;
const THEFT_ZEROED: u8 = 0xaa;
const DAMAGE_SW_IN: u8 = 0xac;
// 2024-01, Nottinghamshire.
const NOTTS_UNMAPPED: u8 = 0xab;
const NOTTS_MAPPED: u8 = 0xad;
// 2023-12, Leicestershire.
const DEC_BURGLARY_A: u8 = 0xc0;
const DEC_DAMAGE_A: u8 = 0xc1;
/// An outcome whose crime (of a month never imported) is not in the store.
const ORPHAN: u8 = 0xff;

// ---------------------------------------------------------------------------------------
// Writing and importing police.uk CSVs
// ---------------------------------------------------------------------------------------

/// A street row: (Crime ID, place, Crime type, Last outcome category, Context).
type Crime<'a> = (String, Place, &'a str, &'a str, &'a str);
/// An outcomes row: (Crime ID, place, Outcome type).
type Outcome<'a> = (String, Place, &'a str);

fn crime<'a>(id: u8, place: Place, crime_type: &'a str, outcome: &'a str) -> Crime<'a> {
    (pid(id), place, crime_type, outcome, "")
}

fn asb(place: Place) -> Crime<'static> {
    (String::new(), place, "Anti-social behaviour", "", "")
}

fn outcome(id: u8, place: Place, outcome_type: &str) -> Outcome<'_> {
    (pid(id), place, outcome_type)
}

fn force_name(force: &str) -> &'static str {
    match force {
        "leicestershire" => "Leicestershire Police",
        "nottinghamshire" => "Nottinghamshire Police",
        other => panic!("no name for {other}"),
    }
}

fn write_file(dir: &Path, month: &str, force: &str, kind: &str, text: String) -> PathBuf {
    let path = dir.join(month).join(format!("{month}-{force}-{kind}.csv"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn street_file(dir: &Path, month: &str, force: &str, rows: &[Crime<'_>]) -> PathBuf {
    let by = force_name(force);
    let mut text = format!("{STREET_HEADER}\n");
    for (id, place, crime_type, last_outcome, context) in rows {
        let (lng, lat, name) = (place.lng, place.lat, place.name);
        text.push_str(&format!(
            "{id},{month},{by},{by},{lng},{lat},{name},E01013000,Leicester 001A,{crime_type},{last_outcome},{context}\n"
        ));
    }
    write_file(dir, month, force, "street", text)
}

fn outcomes_file(dir: &Path, month: &str, force: &str, rows: &[Outcome<'_>]) -> PathBuf {
    let by = force_name(force);
    let mut text = format!("{OUTCOMES_HEADER}\n");
    for (id, place, outcome_type) in rows {
        let (lng, lat, name) = (place.lng, place.lat, place.name);
        text.push_str(&format!(
            "{id},{month},{by},{by},{lng},{lat},{name},E01013000,Leicester 001A,{outcome_type}\n"
        ));
    }
    write_file(dir, month, force, "outcomes", text)
}

/// Imports `paths`; every file must be accepted whole (or already be current).
fn import(db: &TestDatabase, paths: &[PathBuf]) -> ImportSummary {
    let summary =
        import_paths(&db.url, paths, &ImportOptions::default(), &Silent).expect("import runs");
    assert_eq!(summary.problems(), 0, "{:?} {:?}", summary.files, summary.skipped);
    for file in &summary.files {
        assert_eq!(file.rows_rejected, 0, "{}: {:?}", file.file, file.rejections);
    }
    summary
}

/// The main fixture: two months of Leicestershire crimes and outcomes around the centre,
/// and one month of Nottinghamshire.
fn leicester(db: &TestDatabase) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Rows deliberately out of category order; ids are allocated in row order.
    street_file(
        d,
        "2024-01",
        "leicestershire",
        &[
            crime(VIOLENT_A, A, "Violence and sexual offences", "Under investigation"),
            crime(BURGLARY_N_IN, N_IN, "Burglary", "Under investigation"),
            crime(BURGLARY_N_OUT, N_OUT, "Burglary", "Under investigation"),
            crime(SHOPLIFTING_E_IN, E_IN, "Shoplifting", "Local resolution"),
            crime(BURGLARY_A, A, "Burglary", "Under investigation"),
            (pid(BICYCLE_A), A, "Bicycle theft", "", "Bike taken from rack"),
            crime(DRUGS_E_OUT, E_OUT, "Drugs", "Offender given a caution"),
            crime(ROBBERY_W_FAR, W_FAR, "Robbery", "Under investigation"),
            crime(DAMAGE_SW_IN, SW_IN, "Criminal damage and arson", "Under investigation"),
            crime(BURGLARY_UNMAPPED, NOWHERE, "Burglary", "Under investigation"),
            crime(THEFT_ZEROED, ZEROED, "Other theft", "Under investigation"),
            asb(NOWHERE),
            asb(E_IN),
            asb(A),
        ],
    );
    street_file(
        d,
        "2024-01",
        "nottinghamshire",
        &[
            crime(NOTTS_UNMAPPED, NOWHERE, "Burglary", "Under investigation"),
            crime(NOTTS_MAPPED, NOTTS, "Burglary", "Under investigation"),
        ],
    );
    street_file(
        d,
        "2023-12",
        "leicestershire",
        &[
            crime(DEC_BURGLARY_A, A, "Burglary", "Unable to prosecute suspect"),
            crime(
                DEC_DAMAGE_A,
                A,
                "Criminal damage and arson",
                "Investigation complete; no suspect identified",
            ),
        ],
    );
    outcomes_file(
        d,
        "2023-12",
        "leicestershire",
        &[outcome(DEC_BURGLARY_A, A, "Under investigation")],
    );
    let january_outcomes = outcomes_file(
        d,
        "2024-01",
        "leicestershire",
        &[
            outcome(ORPHAN, A, "Under investigation"),
            outcome(BURGLARY_A, A, "Under investigation"),
            outcome(DEC_BURGLARY_A, A, "Unable to prosecute suspect"),
            outcome(SHOPLIFTING_E_IN, E_IN, "Local resolution"),
            outcome(BURGLARY_N_OUT, N_OUT, "Under investigation"),
            outcome(DRUGS_E_OUT, E_OUT, "Offender given a caution"),
        ],
    );
    // The newer outcomes go in first, so that "oldest first" is not just insertion order.
    import(db, std::slice::from_ref(&january_outcomes));
    let summary = import(db, &[d.to_owned()]);
    assert_eq!(summary.imported(), 4, "{:?}", summary.files);
    dir
}

// ---------------------------------------------------------------------------------------
// Reading the database (the oracle for ids)
// ---------------------------------------------------------------------------------------

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn ids(db: &TestDatabase, sql: &str) -> Vec<i64> {
    let mut conn = db.connect();
    diesel::sql_query(sql).load::<IdRow>(&mut conn).expect(sql).into_iter().map(|r| r.id).collect()
}

/// The store's id of the crime with persistent id `pid(n)`.
fn crime_id(db: &TestDatabase, n: u8) -> i64 {
    let found = ids(db, &format!("SELECT id FROM crimes WHERE persistent_id = '{}'", pid(n)));
    assert_eq!(found.len(), 1, "crime {}", pid(n));
    found[0]
}

/// The store's ids of the anti-social behaviour at `place` in `month`.
fn asb_ids(db: &TestDatabase, place: Place, month: &str) -> Vec<i64> {
    ids(
        db,
        &format!(
            "SELECT c.id FROM crimes c JOIN locations l ON l.id = c.location_id \
             WHERE l.name = '{}' AND c.persistent_id IS NULL AND c.month = '{month}-01' \
             ORDER BY c.id",
            place.name
        ),
    )
}

/// The store's id of a snap point (its `street.id`).
fn street_id(db: &TestDatabase, place: Place) -> i64 {
    let found =
        ids(db, &format!("SELECT id::bigint AS id FROM locations WHERE name = '{}'", place.name));
    assert_eq!(found.len(), 1, "location {}", place.name);
    found[0]
}

// ---------------------------------------------------------------------------------------
// Expected JSON, written out by hand
// ---------------------------------------------------------------------------------------

/// A snap point as rendered: coordinates with six decimals, the store's id, the name.
struct Rendered {
    lat: &'static str,
    lng: &'static str,
    id: i64,
    name: &'static str,
}

fn location_json(location: Option<&Rendered>) -> String {
    match location {
        Some(l) => format!(
            r#"{{"latitude":"{}","street":{{"id":{},"name":"{}"}},"longitude":"{}"}}"#,
            l.lat, l.id, l.name, l.lng
        ),
        None => "null".into(),
    }
}

/// A crime record of `crimes-street` and friends (spec §3.1, 2024 docs key order).
fn crime_json(
    category: &str,
    persistent_id: &str,
    id: i64,
    location: Option<&Rendered>,
    context: &str,
    month: &str,
    outcome_status: Option<(&str, &str)>,
) -> String {
    let location_type = if location.is_some() { r#""Force""# } else { "null" };
    let status = match outcome_status {
        Some((name, date)) => format!(r#"{{"category":"{name}","date":"{date}"}}"#),
        None => "null".into(),
    };
    format!(
        r#"{{"category":"{category}","persistent_id":"{persistent_id}","location_subtype":"","id":{id},"location":{},"context":"{context}","month":"{month}","location_type":{location_type},"outcome_status":{status}}}"#,
        location_json(location)
    )
}

/// A crime as nested in outcome records: no outcome_status, its own key order.
fn outcome_crime_json(
    category: &str,
    persistent_id: &str,
    id: i64,
    location: &Rendered,
    month: &str,
) -> String {
    format!(
        r#"{{"category":"{category}","persistent_id":"{persistent_id}","location_subtype":"","location_type":"Force","location":{},"context":"","month":"{month}","id":{id}}}"#,
        location_json(Some(location))
    )
}

fn outcome_json(code: &str, name: &str, date: &str, crime: Option<&str>) -> String {
    let head = format!(
        r#"{{"category":{{"code":"{code}","name":"{name}"}},"date":"{date}","person_id":null"#
    );
    match crime {
        Some(crime) => format!(r#"{head},"crime":{crime}}}"#),
        None => format!("{head}}}"),
    }
}

fn rendered_a(db: &TestDatabase) -> Rendered {
    Rendered { lat: "52.630000", lng: "-1.132000", id: street_id(db, A), name: A.name }
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

#[track_caller]
fn assert_json(response: &Response) -> Value {
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.content_type, "application/json");
    response.json()
}

#[track_caller]
fn get_json(server: &TestServer, path: &str) -> Value {
    assert_json(&server.get(path))
}

/// An error: the status, `text/plain`, and a non-empty message.
#[track_caller]
fn assert_error(response: &Response, status: u16) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.content_type, "text/plain", "{}", response.body);
    assert!(!response.body.trim().is_empty(), "an error should say what is wrong");
}

/// `(category, persistent_id, id)` of each crime of a response, in order.
fn summary(crimes: &Value) -> Vec<(String, String, i64)> {
    crimes
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| {
            (
                c["category"].as_str().unwrap().to_owned(),
                c["persistent_id"].as_str().unwrap().to_owned(),
                c["id"].as_i64().expect("a numeric id"),
            )
        })
        .collect()
}

fn category_position(slug: &str) -> usize {
    CATEGORIES.iter().position(|(s, _)| *s == slug).unwrap_or_else(|| panic!("category {slug}"))
}

/// `(category, persistent_id, id)` in the order police.uk gives: category, then id.
fn sorted(mut crimes: Vec<(String, String, i64)>) -> Vec<(String, String, i64)> {
    crimes.sort_by_key(|(category, _, id)| (category_position(category), *id));
    crimes
}

fn expected(db: &TestDatabase, category: &str, n: u8) -> (String, String, i64) {
    (category.to_owned(), pid(n), crime_id(db, n))
}

fn expected_asb(db: &TestDatabase, place: Place, month: &str) -> Vec<(String, String, i64)> {
    asb_ids(db, place, month)
        .into_iter()
        .map(|id| ("anti-social-behaviour".to_owned(), String::new(), id))
        .collect()
}

/// The crimes of January within a mile of the centre.
fn january_within_a_mile(db: &TestDatabase) -> Vec<(String, String, i64)> {
    let mut crimes = vec![
        expected(db, "burglary", BURGLARY_A),
        expected(db, "violent-crime", VIOLENT_A),
        expected(db, "bicycle-theft", BICYCLE_A),
        expected(db, "burglary", BURGLARY_N_IN),
        expected(db, "shoplifting", SHOPLIFTING_E_IN),
        expected(db, "criminal-damage-arson", DAMAGE_SW_IN),
    ];
    crimes.extend(expected_asb(db, A, "2024-01"));
    crimes.extend(expected_asb(db, E_IN, "2024-01"));
    sorted(crimes)
}

/// The crimes of January inside [`BOX_POLY`].
fn january_in_box(db: &TestDatabase) -> Vec<(String, String, i64)> {
    let mut crimes = vec![
        expected(db, "burglary", BURGLARY_A),
        expected(db, "violent-crime", VIOLENT_A),
        expected(db, "bicycle-theft", BICYCLE_A),
        expected(db, "shoplifting", SHOPLIFTING_E_IN),
        expected(db, "drugs", DRUGS_E_OUT),
    ];
    crimes.extend(expected_asb(db, A, "2024-01"));
    crimes.extend(expected_asb(db, E_IN, "2024-01"));
    sorted(crimes)
}

/// Polls `path` for up to 10 s until `done` holds; returns the last response.
fn poll(server: &TestServer, path: &str, done: impl Fn(&Response) -> bool) -> Response {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = server.get(path);
        if done(&response) || Instant::now() > deadline {
            return response;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// =======================================================================================
// 1. crimes-street around a point
// =======================================================================================

#[test]
fn fixture_points_sit_just_inside_and_just_outside_one_mile() {
    // The fixture itself, checked against an independent haversine.
    for (place, inside) in
        [(A, true), (N_IN, true), (E_IN, true), (SW_IN, true), (N_OUT, false), (E_OUT, false)]
    {
        let d = metres_between(place, CENTRE_LAT, CENTRE_LNG);
        assert_eq!(d <= ONE_MILE_M, inside, "{} is {d} m away", place.name);
        if place.name != A.name {
            assert!((d - ONE_MILE_M).abs() < 1.5, "{} is {d} m away", place.name);
        }
    }
}

#[test]
fn street_crimes_are_exactly_those_within_one_mile_of_the_point() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let crimes = get_json(&server, &format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"));
    assert_eq!(summary(&crimes), january_within_a_mile(&db));
    let body = crimes.to_string();
    for outside in [BURGLARY_N_OUT, DRUGS_E_OUT, ROBBERY_W_FAR, BURGLARY_UNMAPPED, NOTTS_MAPPED] {
        assert!(!body.contains(&pid(outside)), "{} is not within a mile", pid(outside));
    }
}

#[test]
fn street_category_slug_filters_the_crimes() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let burglaries =
        get_json(&server, &format!("/api/crimes-street/burglary?{CENTRE}&date=2024-01"));
    assert_eq!(
        summary(&burglaries),
        sorted(vec![
            expected(&db, "burglary", BURGLARY_A),
            expected(&db, "burglary", BURGLARY_N_IN)
        ])
    );
    let asb = get_json(
        &server,
        &format!("/api/crimes-street/anti-social-behaviour?{CENTRE}&date=2024-01"),
    );
    let mut expected_asb_crimes = expected_asb(&db, A, "2024-01");
    expected_asb_crimes.extend(expected_asb(&db, E_IN, "2024-01"));
    assert_eq!(summary(&asb), sorted(expected_asb_crimes));
    let none = server.get(&format!("/api/crimes-street/robbery?{CENTRE}&date=2024-01"));
    assert_eq!(assert_json(&none), Value::Array(vec![]));
    assert_eq!(none.body, "[]");
}

#[test]
fn street_all_crime_and_unknown_slugs_return_every_category() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let all = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"));
    assert_eq!(summary(&assert_json(&all)), january_within_a_mile(&db));
    // police.uk answers an unknown slug with all crime, silently.
    let nonsense = server.get(&format!("/api/crimes-street/nonsense?{CENTRE}&date=2024-01"));
    assert_json(&nonsense);
    assert_eq!(nonsense.body, all.body);
}

#[test]
fn street_date_defaults_to_the_latest_month_with_crimes() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let january = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"));
    let latest = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}"));
    assert_json(&latest);
    assert_eq!(latest.body, january.body);
    let empty_date = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}&date="));
    assert_eq!(empty_date.body, january.body);

    let december =
        get_json(&server, &format!("/api/crimes-street/all-crime?{CENTRE}&date=2023-12"));
    assert_eq!(
        summary(&december),
        vec![
            expected(&db, "burglary", DEC_BURGLARY_A),
            expected(&db, "criminal-damage-arson", DEC_DAMAGE_A)
        ]
    );
    assert!(december.as_array().unwrap().iter().all(|c| c["month"] == "2023-12"));
}

#[test]
fn street_crimes_are_ordered_by_category_then_id() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let crimes = summary(&get_json(&server, &format!("/api/crimes-street/all-crime?{CENTRE}")));
    // The fixture's rows were written violent-crime first and ASB last.
    let categories: Vec<&str> = crimes.iter().map(|(c, _, _)| c.as_str()).collect();
    assert_eq!(
        categories,
        [
            "anti-social-behaviour",
            "anti-social-behaviour",
            "bicycle-theft",
            "burglary",
            "burglary",
            "criminal-damage-arson",
            "shoplifting",
            "violent-crime",
        ]
    );
    for pair in crimes.windows(2) {
        let key = |(c, _, id): &(String, String, i64)| (category_position(c), *id);
        assert!(key(&pair[0]) < key(&pair[1]), "{:?} before {:?}", pair[0], pair[1]);
    }
    // Burglary at N_IN was allocated its id before the one at A: id order, not place order.
    assert_eq!(crimes[3].1, pid(BURGLARY_N_IN));
    assert_eq!(crimes[4].1, pid(BURGLARY_A));
}

// =======================================================================================
// 2. The crime record, byte for byte
// =======================================================================================

#[test]
fn a_crime_is_compact_json_in_police_uk_key_order() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let response = server.get(&format!("/api/crimes-street/burglary?poly={A_POLY}&date=2024-01"));
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type, "application/json");
    let expected = crime_json(
        "burglary",
        &pid(BURGLARY_A),
        crime_id(&db, BURGLARY_A),
        Some(&rendered_a(&db)),
        "",
        "2024-01",
        Some(("Under investigation", "2024-01")),
    );
    assert_eq!(response.body, format!("[{expected}]"));
}

#[test]
fn anti_social_behaviour_has_an_empty_persistent_id_and_no_outcome() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let response =
        server.get(&format!("/api/crimes-street/anti-social-behaviour?poly={A_POLY}&date=2024-01"));
    assert_json(&response);
    let id = asb_ids(&db, A, "2024-01")[0];
    let expected =
        crime_json("anti-social-behaviour", "", id, Some(&rendered_a(&db)), "", "2024-01", None);
    assert_eq!(response.body, format!("[{expected}]"));
}

#[test]
fn a_crime_without_a_last_outcome_has_null_outcome_status_and_keeps_its_context() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let response =
        server.get(&format!("/api/crimes-street/bicycle-theft?poly={A_POLY}&date=2024-01"));
    assert_json(&response);
    let expected = crime_json(
        "bicycle-theft",
        &pid(BICYCLE_A),
        crime_id(&db, BICYCLE_A),
        Some(&rendered_a(&db)),
        "Bike taken from rack",
        "2024-01",
        None,
    );
    assert_eq!(response.body, format!("[{expected}]"));
}

#[test]
fn outcome_status_date_is_the_latest_imported_outcome_month_else_the_crime_month() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let response = server.get(&format!("/api/crimes-street/all-crime?poly={A_POLY}&date=2023-12"));
    assert_json(&response);
    let a = rendered_a(&db);
    // December's burglary has outcomes in 2023-12 and 2024-01: the status is dated 2024-01.
    let burglary = crime_json(
        "burglary",
        &pid(DEC_BURGLARY_A),
        crime_id(&db, DEC_BURGLARY_A),
        Some(&a),
        "",
        "2023-12",
        Some(("Unable to prosecute suspect", "2024-01")),
    );
    // The criminal damage has no outcome rows at all: its own month.
    let damage = crime_json(
        "criminal-damage-arson",
        &pid(DEC_DAMAGE_A),
        crime_id(&db, DEC_DAMAGE_A),
        Some(&a),
        "",
        "2023-12",
        Some(("Investigation complete; no suspect identified", "2023-12")),
    );
    assert_eq!(response.body, format!("[{burglary},{damage}]"));
}

// =======================================================================================
// 3. poly, GET and POST
// =======================================================================================

#[test]
fn poly_returns_exactly_the_crimes_inside_the_polygon() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let crimes =
        get_json(&server, &format!("/api/crimes-street/all-crime?poly={BOX_POLY}&date=2024-01"));
    assert_eq!(summary(&crimes), january_in_box(&db));
}

#[test]
fn poly_posted_as_a_form_gives_the_same_body_as_get() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let get = server.get(&format!("/api/crimes-street/all-crime?poly={BOX_POLY}&date=2024-01"));
    assert_json(&get);
    let post = server
        .post_form("/api/crimes-street/all-crime", &[("poly", BOX_POLY), ("date", "2024-01")]);
    assert_json(&post);
    assert_eq!(post.body, get.body);
}

fn multipart(boundary: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    body.into_bytes()
}

#[test]
fn poly_posted_as_multipart_form_data_gives_the_same_body_as_get() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let get = server.get(&format!("/api/crimes-street/all-crime?poly={BOX_POLY}&date=2024-01"));
    // curl's style of boundary.
    let boundary = "------------------------d74496d66958873e";
    let post = server.post(
        "/api/crimes-street/all-crime",
        &format!("multipart/form-data; boundary={boundary}"),
        &multipart(boundary, &[("poly", BOX_POLY), ("date", "2024-01")]),
    );
    assert_json(&post);
    assert_eq!(post.body, get.body);
}

#[test]
fn poly_posted_as_multipart_with_a_mixed_case_boundary_gives_the_same_body_as_get() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let get = server.get(&format!("/api/crimes-street/all-crime?poly={BOX_POLY}&date=2024-01"));
    // What browsers send (FormData): boundaries are case-sensitive (RFC 2046).
    let boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
    let post = server.post(
        "/api/crimes-street/all-crime",
        &format!("multipart/form-data; boundary={boundary}"),
        &multipart(boundary, &[("poly", BOX_POLY), ("date", "2024-01")]),
    );
    assert_json(&post);
    assert_eq!(post.body, get.body);
}

#[test]
fn post_with_a_json_body_is_400_with_a_readable_message() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let body = format!(r#"{{"poly":"{BOX_POLY}","date":"2024-01"}}"#);
    let response = server.post("/api/crimes-street/all-crime", "application/json", body.as_bytes());
    assert_error(&response, 400);
    assert!(response.body.to_lowercase().contains("json"), "{}", response.body);
}

#[test]
fn post_with_query_string_parameters_and_an_empty_body_works() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let path = format!("/api/crimes-street/all-crime?poly={BOX_POLY}&date=2024-01");
    let get = server.get(&path);
    let post = server.post(&path, "application/x-www-form-urlencoded", b"");
    assert_json(&post);
    assert_eq!(post.body, get.body);
    assert_eq!(summary(&post.json()), january_in_box(&db));
}

// =======================================================================================
// 4. The error table (spec §0.4)
// =======================================================================================

#[test]
fn malformed_dates_are_404_text() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    for date in ["2026-13", "July2026", "2026-07-15", "2024-1", "2024-00"] {
        let response = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}&date={date}"));
        assert_error(&response, 404);
    }
}

#[test]
fn a_date_before_the_earliest_month_held_is_404() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    for date in ["2023-11", "2010-12"] {
        let response = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}&date={date}"));
        assert_error(&response, 404);
    }
}

#[test]
fn a_date_after_the_latest_month_is_an_empty_list() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    for date in ["2024-02", "2030-01"] {
        let response = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}&date={date}"));
        assert_json(&response);
        assert_eq!(response.body, "[]");
    }
}

#[test]
fn unusable_location_parameters_are_400_text() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    for query in [
        "lat=abc&lng=-1.131592&date=2024-01",
        "lat=52.629729&lng=west&date=2024-01",
        "lat=52.629729&date=2024-01",
        "lng=-1.131592&date=2024-01",
        "date=2024-01",
        "",
    ] {
        let response = server.get(&format!("/api/crimes-street/all-crime?{query}"));
        assert_error(&response, 400);
    }
}

#[test]
fn a_two_vertex_poly_is_400_not_police_uks_502() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let response =
        server.get("/api/crimes-street/all-crime?poly=52.62,-1.14:52.64,-1.10&date=2024-01");
    assert_error(&response, 400);
}

#[test]
fn a_malformed_poly_is_400_not_police_uks_404() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    for poly in ["52.1,0.1:garbage", "52.1,0.1:52.2:52.3,0.3", "52.1,0.1::52.2,0.2:52.3,0.1"] {
        let response = server.get(&format!("/api/crimes-street/all-crime?poly={poly}"));
        assert_error(&response, 400);
    }
}

#[test]
fn points_outside_coverage_are_empty_lists() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    for query in [
        "lat=48.8566&lng=2.3522",
        "lat=999&lng=-1.131592",
        "lat=-999&lng=-1.131592",
        "lat=52.629729&lng=999",
        "poly=48.85,2.34:48.87,2.34:48.86,2.36",
    ] {
        let response = server.get(&format!("/api/crimes-street/all-crime?{query}&date=2024-01"));
        assert_json(&response);
        assert_eq!(response.body, "[]", "{query}");
    }
}

#[test]
fn a_misspelled_date_key_means_the_latest_month() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let january = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"));
    let misspelled = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}&dte=2023-12"));
    assert_json(&misspelled);
    assert_eq!(misspelled.body, january.body);
}

#[test]
fn unknown_query_parameters_are_ignored() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let plain = server.get(&format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"));
    let noisy = server.get(&format!(
        "/api/crimes-street/all-crime?foo=bar&{CENTRE}&key=abc&date=2024-01&flag&page=2"
    ));
    assert_json(&noisy);
    assert_eq!(noisy.body, plain.body);
}

// =======================================================================================
// 5. The cap on results
// =======================================================================================

/// Six crimes (two ASB, three burglaries, one drugs) and six outcomes at A, January 2024.
fn crowded(db: &TestDatabase) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    street_file(
        d,
        "2024-01",
        "leicestershire",
        &[
            asb(A),
            asb(A),
            crime(0x01, A, "Burglary", "Under investigation"),
            crime(0x02, A, "Burglary", "Under investigation"),
            crime(0x03, A, "Burglary", "Local resolution"),
            crime(0x04, A, "Drugs", "Offender given a caution"),
        ],
    );
    outcomes_file(
        d,
        "2024-01",
        "leicestershire",
        &[
            outcome(0x01, A, "Under investigation"),
            outcome(0x02, A, "Under investigation"),
            outcome(0x03, A, "Under investigation"),
            outcome(0x03, A, "Local resolution"),
            outcome(0x04, A, "Under investigation"),
            outcome(0x04, A, "Offender given a caution"),
        ],
    );
    import(db, &[d.to_owned()]);
    dir
}

fn limits(max_results: Option<usize>) -> Limits {
    Limits { max_results, ..Limits::default() }
}

#[test]
fn more_crimes_than_the_cap_is_503_text_naming_the_cap() {
    let db = test_database();
    let _data = crowded(&db);
    let server = TestServer::with_limits(&db, limits(Some(5)));
    for query in [CENTRE.to_owned(), format!("poly={A_POLY}")] {
        let response = server.get(&format!("/api/crimes-street/all-crime?{query}&date=2024-01"));
        assert_error(&response, 503);
        assert!(response.body.contains('5'), "should name the cap: {}", response.body);
    }
    // The cap counts what would be returned: three burglaries are fine.
    let burglaries =
        get_json(&server, &format!("/api/crimes-street/burglary?{CENTRE}&date=2024-01"));
    assert_eq!(burglaries.as_array().unwrap().len(), 3);
}

#[test]
fn without_a_cap_every_crime_is_returned() {
    let db = test_database();
    let _data = crowded(&db);
    let server = TestServer::with_limits(&db, limits(None));
    let crimes = get_json(&server, &format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"));
    assert_eq!(crimes.as_array().unwrap().len(), 6);
}

#[test]
fn exactly_as_many_crimes_as_the_cap_is_fine() {
    let db = test_database();
    let _data = crowded(&db);
    let server = TestServer::with_limits(&db, limits(Some(6)));
    let crimes = get_json(&server, &format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"));
    assert_eq!(crimes.as_array().unwrap().len(), 6);
    let outcomes = get_json(&server, &format!("/api/outcomes-at-location?{CENTRE}&date=2024-01"));
    assert_eq!(outcomes.as_array().unwrap().len(), 6);
}

// =======================================================================================
// 6. The request line
// =======================================================================================

/// A 300-vertex circle of radius 0.004° around A, with police.uk's six decimals.
fn big_poly() -> String {
    (0..300)
        .map(|i| {
            let angle = f64::from(i) * std::f64::consts::TAU / 300.0;
            format!("{:.6},{:.6}", 52.63 + 0.004 * angle.sin(), -1.132 + 0.004 * angle.cos())
        })
        .collect::<Vec<_>>()
        .join(":")
}

#[test]
fn a_request_line_longer_than_police_uks_4094_bytes_is_accepted_by_default() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let path = format!("/api/crimes-street/all-crime?poly={}&date=2024-01", big_poly());
    assert!(path.len() > 5_500, "request line of {} bytes", path.len());
    let crimes = get_json(&server, &path);
    let a_only =
        get_json(&server, &format!("/api/crimes-street/all-crime?poly={A_POLY}&date=2024-01"));
    assert_eq!(crimes, a_only);
    assert_eq!(crimes.as_array().unwrap().len(), 4);
}

#[test]
fn a_request_line_over_the_configured_limit_is_414_suggesting_post() {
    let db = test_database();
    let _data = leicester(&db);
    let server =
        TestServer::with_limits(&db, Limits { max_request_line: 1000, ..Limits::default() });
    let poly = big_poly();
    let response = server.get(&format!("/api/crimes-street/all-crime?poly={poly}&date=2024-01"));
    assert_error(&response, 414);
    assert!(response.body.contains("POST"), "{}", response.body);

    let short =
        get_json(&server, &format!("/api/crimes-street/all-crime?poly={A_POLY}&date=2024-01"));
    let posted =
        server.post_form("/api/crimes-street/all-crime", &[("poly", &poly), ("date", "2024-01")]);
    assert_eq!(assert_json(&posted), short);
    assert_eq!(short.as_array().unwrap().len(), 4);
}

// =======================================================================================
// 7. crimes-at-location
// =======================================================================================

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

// =======================================================================================
// 8. crimes-no-location
// =======================================================================================

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
// 9. crime-categories
// =======================================================================================

#[test]
fn crime_categories_are_police_uks_15_for_any_date() {
    let db = test_database();
    let server = TestServer::start(&db);
    let expected = format!(
        "[{}]",
        CATEGORIES
            .iter()
            .map(|(url, name)| format!(r#"{{"url":"{url}","name":"{name}"}}"#))
            .collect::<Vec<_>>()
            .join(",")
    );
    for query in ["", "?date=2024-01", "?date=2011-01", "?date=garbage"] {
        let response = server.get(&format!("/api/crime-categories{query}"));
        assert_json(&response);
        assert_eq!(response.body, expected, "{query}");
    }
    assert!(expected.starts_with(r#"[{"url":"all-crime","name":"All crime"},"#));
}

// =======================================================================================
// 10. outcomes-for-crime
// =======================================================================================

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

// =======================================================================================
// 12. CORS
// =======================================================================================

/// The lower-cased head of a raw HTTP/1.1 GET.
fn raw_head(server: &TestServer, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(server.address()).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete head");
    String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase()
}

#[test]
fn crimes_street_is_open_to_any_origin() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let head = raw_head(&server, &format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"));
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("\r\ncontent-type: application/json"), "{head}");
    assert!(head.contains("\r\naccess-control-allow-origin: *"), "{head}");
}

#[test]
fn crimes_street_errors_are_open_to_any_origin_too() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let head = raw_head(&server, "/api/crimes-street/all-crime?date=2024-01");
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(head.contains("\r\naccess-control-allow-origin: *"), "{head}");
}

// =======================================================================================
// 13. Snapshot refresh without a restart
// =======================================================================================

#[test]
fn an_import_into_a_running_server_shows_up_without_a_restart() {
    let db = test_database();
    let server = TestServer::start(&db);
    assert_error(&server.get("/api/crime-last-updated"), 404);
    let path = format!("/api/crimes-street/all-crime?{CENTRE}");
    assert_eq!(server.get(&path).body, "[]");

    let dir = tempfile::tempdir().unwrap();
    let first = street_file(
        dir.path(),
        "2024-01",
        "leicestershire",
        &[crime(0x11, A, "Burglary", "Under investigation"), crime(0x12, A, "Drugs", "")],
    );
    import(&db, std::slice::from_ref(&first));
    let updated = poll(&server, "/api/crime-last-updated", |r| r.status == 200);
    assert_json(&updated);
    assert_eq!(updated.body, r#"{"date":"2024-01-01"}"#);
    let before = summary(&get_json(&server, &path));
    assert_eq!(before, vec![expected(&db, "burglary", 0x11), expected(&db, "drugs", 0x12)]);

    // A new vintage of the same file: 0x11 withdrawn, 0x13 added, 0x12 kept (with its id).
    let kept_id = crime_id(&db, 0x12);
    street_file(
        dir.path(),
        "2024-01",
        "leicestershire",
        &[crime(0x12, A, "Drugs", ""), crime(0x13, A, "Robbery", "Under investigation")],
    );
    let summary_of_import = import(&db, std::slice::from_ref(&first));
    assert_eq!(summary_of_import.files[0].status, FileStatus::Imported { replaced: true });
    let after = poll(&server, &path, |r| r.body.contains(&pid(0x13)));
    assert_eq!(
        summary(&assert_json(&after)),
        vec![expected(&db, "drugs", 0x12), expected(&db, "robbery", 0x13)]
    );
    assert_eq!(crime_id(&db, 0x12), kept_id);
    assert_error(&server.get(&format!("/api/outcomes-for-crime/{}", pid(0x11))), 404);
}
