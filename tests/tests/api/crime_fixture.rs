//! The crime fixture shared by the crime and outcome route modules: places around the docs'
//! example point in Leicester, the persistent ids of its crimes, the files that put them in
//! (through the real importer), the database as the oracle for ids, and the expected JSON
//! written out by hand.
//!
//! Expected values come from the fixture and from the database (ids), never from the
//! server's own types: JSON is compared as text.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use police_api::server::Limits;
use police_tests::fixtures::{
    asb, crime, import_cleanly, outcome, outcomes_file, pid, street_file, Place,
};
use police_tests::geometry::haversine_m;
use police_tests::TestDatabase;
use serde_json::Value;

/// `/api/crime-categories` as spec §3.5 lists it, in its order.
pub const CATEGORIES: [(&str, &str); 15] = [
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

/// Centre of the point queries: the docs' example point in Leicester.
pub const CENTRE_LAT: &str = "52.629729";
pub const CENTRE_LNG: &str = "-1.131592";
pub const CENTRE: &str = "lat=52.629729&lng=-1.131592";

/// 41 m from the centre. Written with fewer decimals than police.uk uses, to see them padded.
pub const A: Place = Place { lat: "52.63", lng: "-1.132", name: "On or near Campbell Street" };
/// Due north of the centre, 1608.33 m (inside the mile) and 1610.44 m (outside).
pub const N_IN: Place =
    Place { lat: "52.644193", lng: "-1.131592", name: "On or near North Inside Road" };
pub const N_OUT: Place =
    Place { lat: "52.644212", lng: "-1.131592", name: "On or near North Outside Road" };
/// Due east of the centre, 1608.32 m (inside) and 1610.41 m (outside).
pub const E_IN: Place =
    Place { lat: "52.629729", lng: "-1.107762", name: "On or near East Inside Road" };
pub const E_OUT: Place =
    Place { lat: "52.629729", lng: "-1.107731", name: "On or near East Outside Road" };
/// South-west of the centre, 1608.32 m (inside).
pub const SW_IN: Place =
    Place { lat: "52.619500", lng: "-1.148438", name: "On or near South West Inside Road" };
/// 4.6 km west of the centre.
pub const W_FAR: Place = Place { lat: "52.629729", lng: "-1.2", name: "On or near Far West Lane" };
/// Nottingham.
pub const NOTTS: Place =
    Place { lat: "52.954800", lng: "-1.158100", name: "On or near Market Square" };
/// No coordinates at all, and the zeroed coordinates police.uk gives crimes it cannot map.
pub const NOWHERE: Place = Place { lat: "", lng: "", name: "No Location" };
pub const ZEROED: Place = Place { lat: "0", lng: "0", name: "No Location" };

/// A box (lat 52.62..52.64, lng -1.14..-1.10) holding A, E_IN and E_OUT but none of the
/// north points, SW_IN or W_FAR.
pub const BOX_POLY: &str = "52.62,-1.14:52.64,-1.14:52.64,-1.10:52.62,-1.10";
/// A small triangle around A only.
pub const A_POLY: &str = "52.629,-1.133:52.631,-1.133:52.630,-1.131";

pub fn metres_between(place: Place, lat: &str, lng: &str) -> f64 {
    let f = |s: &str| s.parse::<f64>().unwrap();
    haversine_m(f(place.lat), f(place.lng), f(lat), f(lng))
}

// ---------------------------------------------------------------------------------------
// Persistent ids of the fixture's crimes
// ---------------------------------------------------------------------------------------
// 2024-01, Leicestershire.
pub const BURGLARY_A: u8 = 0xa1;
pub const VIOLENT_A: u8 = 0xa2;
pub const BICYCLE_A: u8 = 0xa3;
pub const BURGLARY_N_IN: u8 = 0xa4;
pub const BURGLARY_N_OUT: u8 = 0xa5;
pub const SHOPLIFTING_E_IN: u8 = 0xa6;
pub const DRUGS_E_OUT: u8 = 0xa7;
pub const ROBBERY_W_FAR: u8 = 0xa8;
pub const BURGLARY_UNMAPPED: u8 = 0xa9;
pub const THEFT_ZEROED: u8 = 0xaa;
pub const DAMAGE_SW_IN: u8 = 0xac;
// 2024-01, Nottinghamshire.
pub const NOTTS_UNMAPPED: u8 = 0xab;
pub const NOTTS_MAPPED: u8 = 0xad;
// 2023-12, Leicestershire.
pub const DEC_BURGLARY_A: u8 = 0xc0;
pub const DEC_DAMAGE_A: u8 = 0xc1;
/// An outcome whose crime (of a month never imported) is not in the store.
pub const ORPHAN: u8 = 0xff;

/// The main fixture: two months of Leicestershire crimes and outcomes around the centre,
/// and one month of Nottinghamshire.
pub fn leicester(db: &TestDatabase) -> tempfile::TempDir {
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
    import_cleanly(db, std::slice::from_ref(&january_outcomes));
    let summary = import_cleanly(db, &[d.to_owned()]);
    assert_eq!(summary.imported(), 4, "{:?}", summary.files);
    dir
}

// ---------------------------------------------------------------------------------------
// Reading the database (the oracle for ids)
// ---------------------------------------------------------------------------------------

#[derive(QueryableByName)]
pub struct IdRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
}

pub fn ids(db: &TestDatabase, sql: &str) -> Vec<i64> {
    let mut conn = db.connect();
    diesel::sql_query(sql).load::<IdRow>(&mut conn).expect(sql).into_iter().map(|r| r.id).collect()
}

/// The store's id of the crime with persistent id `pid(n)`.
pub fn crime_id(db: &TestDatabase, n: u8) -> i64 {
    let found = ids(db, &format!("SELECT id FROM crimes WHERE persistent_id = '{}'", pid(n)));
    assert_eq!(found.len(), 1, "crime {}", pid(n));
    found[0]
}

/// The store's ids of the anti-social behaviour at `place` in `month`.
pub fn asb_ids(db: &TestDatabase, place: Place, month: &str) -> Vec<i64> {
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
pub fn street_id(db: &TestDatabase, place: Place) -> i64 {
    let found =
        ids(db, &format!("SELECT id::bigint AS id FROM locations WHERE name = '{}'", place.name));
    assert_eq!(found.len(), 1, "location {}", place.name);
    found[0]
}

// ---------------------------------------------------------------------------------------
// Expected JSON, written out by hand
// ---------------------------------------------------------------------------------------

/// A snap point as rendered: coordinates with six decimals, the store's id, the name.
pub struct Rendered {
    pub lat: &'static str,
    pub lng: &'static str,
    pub id: i64,
    pub name: &'static str,
}

pub fn location_json(location: Option<&Rendered>) -> String {
    match location {
        Some(l) => format!(
            r#"{{"latitude":"{}","street":{{"id":{},"name":"{}"}},"longitude":"{}"}}"#,
            l.lat, l.id, l.name, l.lng
        ),
        None => "null".into(),
    }
}

/// A crime record of `crimes-street` and friends (spec §3.1, 2024 docs key order).
pub fn crime_json(
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
pub fn outcome_crime_json(
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

pub fn outcome_json(code: &str, name: &str, date: &str, crime: Option<&str>) -> String {
    let head = format!(
        r#"{{"category":{{"code":"{code}","name":"{name}"}},"date":"{date}","person_id":null"#
    );
    match crime {
        Some(crime) => format!(r#"{head},"crime":{crime}}}"#),
        None => format!("{head}}}"),
    }
}

pub fn rendered_a(db: &TestDatabase) -> Rendered {
    Rendered { lat: "52.630000", lng: "-1.132000", id: street_id(db, A), name: A.name }
}

/// `(category, persistent_id, id)` of each crime of a response, in order.
pub fn summary(crimes: &Value) -> Vec<(String, String, i64)> {
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

pub fn category_position(slug: &str) -> usize {
    CATEGORIES.iter().position(|(s, _)| *s == slug).unwrap_or_else(|| panic!("category {slug}"))
}

/// `(category, persistent_id, id)` in the order police.uk gives: category, then id.
pub fn sorted(mut crimes: Vec<(String, String, i64)>) -> Vec<(String, String, i64)> {
    crimes.sort_by_key(|(category, _, id)| (category_position(category), *id));
    crimes
}

pub fn expected(db: &TestDatabase, category: &str, n: u8) -> (String, String, i64) {
    (category.to_owned(), pid(n), crime_id(db, n))
}

pub fn expected_asb(db: &TestDatabase, place: Place, month: &str) -> Vec<(String, String, i64)> {
    asb_ids(db, place, month)
        .into_iter()
        .map(|id| ("anti-social-behaviour".to_owned(), String::new(), id))
        .collect()
}

/// January's crimes `(category, n)`, A's (three, and its ASB) and E_IN's ASB, sorted.
fn january_with_a_and_e_in(db: &TestDatabase, others: &[(&str, u8)]) -> Vec<(String, String, i64)> {
    let a = [("burglary", BURGLARY_A), ("violent-crime", VIOLENT_A), ("bicycle-theft", BICYCLE_A)];
    let mut crimes: Vec<_> =
        a.iter().chain(others).map(|(category, n)| expected(db, category, *n)).collect();
    crimes.extend(expected_asb(db, A, "2024-01"));
    crimes.extend(expected_asb(db, E_IN, "2024-01"));
    sorted(crimes)
}

/// The crimes of January within a mile of the centre.
pub fn january_within_a_mile(db: &TestDatabase) -> Vec<(String, String, i64)> {
    january_with_a_and_e_in(
        db,
        &[
            ("burglary", BURGLARY_N_IN),
            ("shoplifting", SHOPLIFTING_E_IN),
            ("criminal-damage-arson", DAMAGE_SW_IN),
        ],
    )
}

/// The crimes of January inside [`BOX_POLY`].
pub fn january_in_box(db: &TestDatabase) -> Vec<(String, String, i64)> {
    january_with_a_and_e_in(db, &[("shoplifting", SHOPLIFTING_E_IN), ("drugs", DRUGS_E_OUT)])
}

/// Six crimes (two ASB, three burglaries, one drugs) and six outcomes at A, January 2024.
pub fn crowded(db: &TestDatabase) -> tempfile::TempDir {
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
    import_cleanly(db, &[d.to_owned()]);
    dir
}

pub fn limits(max_results: Option<usize>) -> Limits {
    Limits { max_results, ..Limits::default() }
}
