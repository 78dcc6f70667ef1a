//! `crimes-street` over real HTTP: one-mile circles and polygons (GET, form and multipart
//! POST), the crime record byte for byte, the error table (spec §0.4), the result cap, the
//! request-line limit, CORS, and the snapshot refresh after an import.

use police_api::server::Limits;
use police_store::import::FileStatus;
use police_tests::fixtures::{crime, import_cleanly, pid, street_file};
use police_tests::geometry::ONE_MILE_M;
use police_tests::http::{assert_error, assert_json, get_json, poll, TestServer};
use police_tests::test_database;
use serde_json::Value;

use super::crime_fixture::*;
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

/// Posts [`BOX_POLY`] and January as multipart form data with `boundary`; asserts the
/// answer is the GET's, byte for byte.
fn assert_multipart_post_is_the_get(boundary: &str) {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let get = server.get(&format!("/api/crimes-street/all-crime?poly={BOX_POLY}&date=2024-01"));
    let post = server.post(
        "/api/crimes-street/all-crime",
        &format!("multipart/form-data; boundary={boundary}"),
        &multipart(boundary, &[("poly", BOX_POLY), ("date", "2024-01")]),
    );
    assert_json(&post);
    assert_eq!(post.body, get.body);
}

#[test]
fn poly_posted_as_multipart_form_data_gives_the_same_body_as_get() {
    // curl's style of boundary.
    assert_multipart_post_is_the_get("------------------------d74496d66958873e");
}

#[test]
fn poly_posted_as_multipart_with_a_mixed_case_boundary_gives_the_same_body_as_get() {
    // What browsers send (FormData): boundaries are case-sensitive (RFC 2046).
    assert_multipart_post_is_the_get("----WebKitFormBoundary7MA4YWxkTrZu0gW");
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
// =======================================================================================
// 12. CORS
// =======================================================================================

#[test]
fn crimes_street_is_open_to_any_origin() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let head = server.raw_head(&format!("/api/crimes-street/all-crime?{CENTRE}&date=2024-01"));
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("\r\ncontent-type: application/json"), "{head}");
    assert!(head.contains("\r\naccess-control-allow-origin: *"), "{head}");
}

#[test]
fn crimes_street_errors_are_open_to_any_origin_too() {
    let db = test_database();
    let _data = leicester(&db);
    let server = TestServer::start(&db);
    let head = server.raw_head("/api/crimes-street/all-crime?date=2024-01");
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
    import_cleanly(&db, std::slice::from_ref(&first));
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
    let summary_of_import = import_cleanly(&db, std::slice::from_ref(&first));
    assert_eq!(summary_of_import.files[0].status, FileStatus::Imported { replaced: true });
    let after = poll(&server, &path, |r| r.body.contains(&pid(0x13)));
    assert_eq!(
        summary(&assert_json(&after)),
        vec![expected(&db, "drugs", 0x12), expected(&db, "robbery", 0x13)]
    );
    assert_eq!(crime_id(&db, 0x12), kept_id);
    assert_error(&server.get(&format!("/api/outcomes-for-crime/{}", pid(0x11))), 404);
}
