//! `/api/v2/stops/counts` over real HTTP: a small hand-counted fixture (answers written out
//! as text, so key order and number format are checked too), the error table, and over the
//! real Metropolitan and City of London stop-and-search files in `../shared/data/police-uk/`,
//! groups, counts and shares equal to a count of the CSV rows made here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use police_tests::fixtures::{csv_records, hex_id, import_cleanly, stops_file, street_file, Place};
use police_tests::geometry::{haversine_m, inside_polygon, poly_param};
use police_tests::http::{assert_error, assert_json, TestServer};
use police_tests::{skip_without_shared_data, test_database, TestDatabase};
use serde_json::Value;

// At A (41 m from the centre of the circles below, inside the triangle).
const L1: &str = "Person search,2024-01-07T01:37:39+00:00,False,,52.63,-1.132,Male,18-24,White - Irish,White,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Arrest,True,False";
const L2: &str = "Person search,2024-01-08T10:00:00+00:00,,,52.63,-1.132,Female,18-24,,Black,Police and Criminal Evidence Act 1984 (section 1),Stolen goods,A no further action disposal,False,";
// No location; the historic name of an arrest.
const L3: &str = "Person and Vehicle search,2024-01-09T10:00:00+00:00,,,,,Male,over 34,,Black,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Suspect arrested,,";
// 4.6 km west: outside the circles; no person, no ethnicity.
const L4: &str = "Vehicle search,2024-01-10T10:00:00+00:00,,,52.629729,-1.2,,,,,Misuse of Drugs Act 1971 (section 23),Controlled drugs,Arrest,,";
const L5: &str = "Person search,2024-03-02T10:00:00+00:00,,,52.63,-1.132,Male,25-34,,Black,Police and Criminal Evidence Act 1984 (section 1),Offensive weapons,Community resolution,True,";
// Nottingham.
const N1: &str = "Person search,2024-03-05T10:00:00+00:00,,,52.9548,-1.1581,Male,18-24,,White,Police and Criminal Evidence Act 1984 (section 1),Stolen goods,Arrest,False,";

const CENTRE: &str = "lat=52.629729&lng=-1.131592";
const TRIANGLE: &str = "52.628,-1.134:52.634,-1.134:52.631,-1.126";

/// Stops for 2024-01 and 2024-03 (none for 2024-02), and a street file for 2024-06: crime
/// data later than the stops, which must not move the default period.
fn fixture(db: &TestDatabase) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = [
        stops_file(d, "2024-01", "leicestershire", &[L1, L2, L3, L4]),
        stops_file(d, "2024-03", "leicestershire", &[L5]),
        stops_file(d, "2024-03", "nottinghamshire", &[N1]),
        street_file(
            d,
            "2024-06",
            "leicestershire",
            &[(
                hex_id(1),
                Place { lat: "52.63", lng: "-1.132", name: "On or near Campbell Street" },
                "Burglary",
                "Under investigation",
                "",
            )],
        ),
    ];
    import_cleanly(db, &files);
    dir
}

/// `GET /api/v2/stops/counts?query`, asserted to be a JSON success; the body as sent.
fn body(server: &TestServer, query: &str) -> String {
    let response = server.get(&format!("/api/v2/stops/counts?{query}"));
    assert_json(&response);
    response.body
}

/// One group or total as the wire writes it.
fn tally(
    count: u64,
    linked: u64,
    recorded: u64,
    linked_share: &str,
    arrests: u64,
    arrest_share: &str,
) -> String {
    format!(
        "\"count\":{count},\"linked\":{linked},\"linked_recorded\":{recorded},\
         \"linked_share\":{linked_share},\"arrests\":{arrests},\"arrest_share\":{arrest_share}"
    )
}

#[test]
fn a_force_by_month_and_officer_defined_ethnicity() {
    let db = test_database();
    let _dir = fixture(&db);
    let server = TestServer::start(&db);
    let got = body(
        &server,
        "force=leicestershire&from=2024-01&to=2024-04&by=month,officer_defined_ethnicity",
    );
    let want = format!(
        "{{\"area\":{{\"type\":\"force\",\"force\":\"leicestershire\"}},\"from\":\"2024-01\",\
         \"to\":\"2024-04\",\"by\":[\"month\",\"officer_defined_ethnicity\"],\
         \"missing_months\":[\"2024-02\",\"2024-04\"],\"groups\":[\
         {{\"key\":{{\"month\":\"2024-01\",\"officer_defined_ethnicity\":null}},{}}},\
         {{\"key\":{{\"month\":\"2024-01\",\"officer_defined_ethnicity\":\"Black\"}},{}}},\
         {{\"key\":{{\"month\":\"2024-01\",\"officer_defined_ethnicity\":\"White\"}},{}}},\
         {{\"key\":{{\"month\":\"2024-03\",\"officer_defined_ethnicity\":\"Black\"}},{}}}],\
         \"total\":{{{}}}}}",
        tally(1, 0, 0, "null", 1, "1.0"),
        tally(2, 0, 1, "0.0", 1, "0.5"),
        tally(1, 1, 1, "1.0", 1, "1.0"),
        tally(1, 1, 1, "1.0", 0, "0.0"),
        tally(5, 2, 3, "0.6666666666666666", 3, "0.6"),
    );
    assert_eq!(got, want);
}

#[test]
fn circles_and_polygons_count_the_stops_mapped_inside() {
    let db = test_database();
    let _dir = fixture(&db);
    let server = TestServer::start(&db);
    let got = body(&server, &format!("{CENTRE}&radius=1000&from=2024-01&to=2024-03&by=outcome"));
    let want = format!(
        "{{\"area\":{{\"type\":\"circle\",\"lat\":52.629729,\"lng\":-1.131592,\"radius\":1000.0}},\
         \"from\":\"2024-01\",\"to\":\"2024-03\",\"by\":[\"outcome\"],\
         \"missing_months\":[\"2024-02\"],\"groups\":[\
         {{\"key\":{{\"outcome\":\"A no further action disposal\"}},{}}},\
         {{\"key\":{{\"outcome\":\"Arrest\"}},{}}},\
         {{\"key\":{{\"outcome\":\"Community resolution\"}},{}}}],\"total\":{{{}}}}}",
        tally(1, 0, 1, "0.0", 0, "0.0"),
        tally(1, 1, 1, "1.0", 1, "1.0"),
        tally(1, 1, 1, "1.0", 0, "0.0"),
        tally(3, 2, 3, "0.6666666666666666", 1, "0.3333333333333333"),
    );
    assert_eq!(got, want);

    // The triangle holds A only; two dimensions, in the order asked for.
    let got = body(&server, &format!("poly={TRIANGLE}&from=2024-01&to=2024-03&by=type,gender"));
    let want = format!(
        "{{\"area\":{{\"type\":\"polygon\",\"poly\":\"{TRIANGLE}\"}},\
         \"from\":\"2024-01\",\"to\":\"2024-03\",\"by\":[\"type\",\"gender\"],\
         \"missing_months\":[\"2024-02\"],\"groups\":[\
         {{\"key\":{{\"type\":\"Person search\",\"gender\":\"Female\"}},{}}},\
         {{\"key\":{{\"type\":\"Person search\",\"gender\":\"Male\"}},{}}}],\"total\":{{{}}}}}",
        tally(1, 0, 1, "0.0", 0, "0.0"),
        tally(2, 2, 2, "1.0", 1, "0.5"),
        tally(3, 2, 3, "0.6666666666666666", 1, "0.3333333333333333"),
    );
    assert_eq!(got, want);

    // The same triangle as a GeoJSON body: the same groups.
    let ring: Vec<String> = TRIANGLE
        .split(':')
        .chain(TRIANGLE.split(':').take(1))
        .map(|pair| {
            let (lat, lng) = pair.split_once(',').unwrap();
            format!("[{lng},{lat}]")
        })
        .collect();
    let geojson = format!(r#"{{"type":"Polygon","coordinates":[[{}]]}}"#, ring.join(","));
    let response = server.post(
        "/api/v2/stops/counts?from=2024-01&to=2024-03&by=type,gender",
        "application/geo+json",
        geojson.as_bytes(),
    );
    assert_json(&response);
    let polygon_echo = format!("{{\"type\":\"polygon\",\"poly\":\"{TRIANGLE}\"}}");
    assert_eq!(response.body, want.replace(&polygon_echo, "{\"type\":\"geojson\"}"));
}

#[test]
fn the_default_is_every_stop_in_the_year_to_the_latest_stop_month() {
    let db = test_database();
    let _dir = fixture(&db);
    let server = TestServer::start(&db);
    // Stops end in 2024-03 (crimes in 2024-06): the period is 2023-04 to 2024-03.
    let got = body(&server, "");
    let missing: Vec<String> =
        (4..=12).map(|m| format!("\"2023-{m:02}\"")).chain(["\"2024-02\"".to_owned()]).collect();
    let all = tally(6, 2, 4, "0.5", 4, "0.6666666666666666");
    let want = format!(
        "{{\"area\":{{\"type\":\"national\"}},\"from\":\"2023-04\",\"to\":\"2024-03\",\
         \"by\":[],\"missing_months\":[{}],\"groups\":[{{\"key\":{{}},{all}}}],\
         \"total\":{{{all}}}}}",
        missing.join(",")
    );
    assert_eq!(got, want);

    // A force without stops: no groups, zeros, no shares.
    let got = body(&server, "force=kent&by=gender&from=2024-01&to=2024-01");
    let want = format!(
        "{{\"area\":{{\"type\":\"force\",\"force\":\"kent\"}},\"from\":\"2024-01\",\
         \"to\":\"2024-01\",\"by\":[\"gender\"],\"missing_months\":[],\"groups\":[],\
         \"total\":{{{}}}}}",
        tally(0, 0, 0, "null", 0, "null")
    );
    assert_eq!(got, want);
}

#[test]
fn stop_counts_errors_name_the_parameter() {
    let db = test_database();
    let _dir = fixture(&db);
    let server = TestServer::start(&db);
    let cases: &[(&str, &str)] = &[
        ("by=ethnicity", "by: unknown dimension \"ethnicity\"; use one or more of month, self_defined_ethnicity, officer_defined_ethnicity, age_range, gender, object_of_search, outcome, legislation, type"),
        ("by=month,,gender", "by: unknown dimension \"\""),
        ("by=month,gender,type,outcome", "by: at most 3 dimensions, got 4"),
        // 600 months × 5 outcomes (null included) × 4 objects of search.
        (
            "by=month,outcome,object_of_search&from=1990-01&to=2039-12",
            "by: month,outcome,object_of_search could give 12000 groups from 1990-01 to 2039-12",
        ),
        ("poly=52.6,-1.2:52.7,-1.2:52.7,-1.1&force=leicestershire", "poly and force"),
        ("lat=52.6", "lng"),
        ("radius=500", "radius"),
        ("lat=52.6&lng=-1.1&radius=20001", "radius"),
        ("from=2024-1", "from"),
        ("from=2024-04&to=2024-01", "from (2024-04) is after to (2024-01)"),
        ("lsoa=E01000001", "lsoa: police.uk's stop-and-search files give no LSOA"),
    ];
    for (query, message) in cases {
        let response = server.get(&format!("/api/v2/stops/counts?{query}"));
        assert_error(&response, 400);
        assert!(response.body.contains(message), "{query}: {}", response.body);
    }
    // Fewer possible groups pass: 600 × 5 × 3 (legislation, null included).
    body(&server, "by=month,outcome,legislation&from=1990-01&to=2039-12");
    let response = server.get("/api/v2/stops/counts?force=atlantis");
    assert_error(&response, 404);
    assert!(response.body.contains("atlantis"), "{}", response.body);
}

#[test]
fn without_stop_data_the_period_must_be_given() {
    let db = test_database();
    let server = TestServer::start(&db);
    let response = server.get("/api/v2/stops/counts?by=month");
    assert_error(&response, 404);
    assert!(response.body.contains("no stop-and-search data"), "{}", response.body);
    let got = body(&server, "from=2024-01&to=2024-02&by=month");
    assert!(got.contains("\"missing_months\":[\"2024-01\",\"2024-02\"],\"groups\":[]"), "{got}");
}

// ---------------------------------------------------------------------------------------
// The real Metropolitan and City of London files
// ---------------------------------------------------------------------------------------

/// A stop as counted here from a CSV row.
struct Row {
    month: String,
    place: Option<(f64, f64)>,
    /// The text fields by dimension name; `None` for an empty field.
    fields: BTreeMap<&'static str, Option<String>>,
    linked: Option<bool>,
    arrest: bool,
}

fn real_rows(files: &[(String, PathBuf)]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (month, path) in files {
        for r in csv_records(path) {
            let text = |i: usize| (!r[i].is_empty()).then(|| r[i].to_owned());
            let place = (!r[4].is_empty())
                .then(|| (r[4].parse::<f64>().unwrap(), r[5].parse::<f64>().unwrap()))
                .filter(|&(lat, lng)| lat != 0.0 || lng != 0.0);
            let fields = BTreeMap::from([
                ("type", text(0)),
                ("gender", text(6)),
                ("age_range", text(7)),
                ("self_defined_ethnicity", text(8)),
                ("officer_defined_ethnicity", text(9)),
                ("legislation", text(10)),
                ("object_of_search", text(11)),
                ("outcome", text(12)),
            ]);
            let linked = match &r[13] {
                "True" => Some(true),
                "False" => Some(false),
                "" => None,
                other => panic!("{other:?}"),
            };
            let arrest = matches!(&r[12], "Arrest" | "Suspect arrested");
            rows.push(Row { month: month.clone(), place, fields, linked, arrest });
        }
    }
    rows
}

/// (count, linked, linked_recorded, arrests).
type Counted = [u64; 4];

/// The groups of `rows` kept by `inside`, keyed by the values of `by`.
fn expected_groups(
    rows: &[Row],
    by: &[&'static str],
    inside: &dyn Fn(&Row) -> bool,
) -> BTreeMap<Vec<Option<String>>, Counted> {
    let mut groups: BTreeMap<Vec<Option<String>>, Counted> = BTreeMap::new();
    for row in rows.iter().filter(|r| inside(r)) {
        let key = by
            .iter()
            .map(|d| if *d == "month" { Some(row.month.clone()) } else { row.fields[d].clone() })
            .collect();
        let counted = groups.entry(key).or_default();
        counted[0] += 1;
        counted[1] += u64::from(row.linked == Some(true));
        counted[2] += u64::from(row.linked.is_some());
        counted[3] += u64::from(row.arrest);
    }
    groups
}

/// The groups of an answer, checked for order and for shares that follow from the counts.
fn answer_groups(answer: &Value, by: &[&str]) -> BTreeMap<Vec<Option<String>>, Counted> {
    // serde_json reads a float to within an ulp of what was written (its exact reading is a
    // feature this crate does not turn on); the text itself is checked by the fixture tests.
    let assert_share = |value: &Value, part: u64, whole: u64| {
        if whole == 0 {
            assert!(value.is_null(), "{value}");
        } else {
            let want = part as f64 / whole as f64;
            let got = value.as_f64().unwrap();
            assert!((got - want).abs() <= 1e-15, "{got} != {part}/{whole}");
        }
    };
    let mut keys = Vec::new();
    let mut groups = BTreeMap::new();
    for group in answer["groups"].as_array().unwrap() {
        let key: Vec<Option<String>> =
            by.iter().map(|d| group["key"][d].as_str().map(str::to_owned)).collect();
        assert_eq!(group["key"].as_object().unwrap().len(), by.len());
        let n = |name: &str| group[name].as_u64().unwrap();
        let counted = [n("count"), n("linked"), n("linked_recorded"), n("arrests")];
        assert!(counted[0] > 0);
        assert_share(&group["linked_share"], counted[1], counted[2]);
        assert_share(&group["arrest_share"], counted[3], counted[0]);
        keys.push(key.clone());
        groups.insert(key, counted);
    }
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "groups sorted by key");
    groups
}

#[test]
fn real_stop_files_counted_by_group_equal_a_count_of_the_csv_rows() {
    let data = skip_without_shared_data!();
    let mut files: Vec<(String, &str, PathBuf)> = Vec::new();
    for month in std::fs::read_dir(&data).unwrap() {
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
    assert!(files.len() >= 80, "{}", files.len());
    let db = test_database();
    let paths: Vec<PathBuf> = files.iter().map(|(_, _, p)| p.clone()).collect();
    import_cleanly(&db, &paths);
    let server = TestServer::start(&db);

    let rows_of = |force: Option<&str>| {
        let kept: Vec<(String, PathBuf)> = files
            .iter()
            .filter(|(_, f, _)| force.is_none_or(|want| *f == want))
            .map(|(m, _, p)| (m.clone(), p.clone()))
            .collect();
        real_rows(&kept)
    };
    let all = rows_of(None);
    let held: BTreeSet<&str> = files.iter().map(|(m, _, _)| m.as_str()).collect();
    let (first, last) = (*held.first().unwrap(), *held.last().unwrap());

    // Brixton to the City: a 3 km circle (vertices and centre with 7 decimals, so no 6-decimal
    // snap point lies on the edge), and a polygon across the City's edge.
    let (lat, lng) = (51.5001234, -0.1000123);
    let polygon = [
        (51.5051234, -0.0950123),
        (51.5281234, -0.0950123),
        (51.5281234, -0.0600123),
        (51.5151234, -0.0550123),
        (51.5051234, -0.0700123),
    ];
    let poly = poly_param(&polygon);
    type Inside = Box<dyn Fn(&Row) -> bool>;
    let areas: Vec<(String, Option<&str>, Inside)> = vec![
        ("".into(), None, Box::new(|_| true)),
        ("force=metropolitan".into(), Some("metropolitan"), Box::new(|_| true)),
        ("force=city-of-london".into(), Some("city-of-london"), Box::new(|_| true)),
        (
            format!("lat={lat}&lng={lng}&radius=3000"),
            None,
            Box::new(move |r: &Row| {
                r.place.is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= 3000.0)
            }),
        ),
        (
            format!("poly={poly}"),
            None,
            Box::new(move |r: &Row| r.place.is_some_and(|(a, b)| inside_polygon(&polygon, a, b))),
        ),
    ];
    let groupings: [&[&'static str]; 5] = [
        &[],
        &["month", "officer_defined_ethnicity"],
        &["self_defined_ethnicity", "outcome"],
        &["object_of_search", "legislation", "type"],
        &["age_range", "gender", "month"],
    ];
    // The default period: the year to the latest month of stops.
    let answer = assert_json(&server.get("/api/v2/stops/counts?force=city-of-london"));
    let latest: police_index::Month = last.parse().unwrap();
    assert_eq!(answer["to"], last);
    assert_eq!(answer["from"], latest.plus(-11).unwrap().to_string());

    for (area, force, inside) in &areas {
        let rows = if force.is_some() { rows_of(*force) } else { Vec::new() };
        let rows = if force.is_some() { &rows } else { &all };
        let mut area_total = 0;
        for by in groupings {
            let query = format!("{area}&from={first}&to={last}&by={}", by.join(","));
            let response = server.get(&format!("/api/v2/stops/counts?{query}"));
            let answer = assert_json(&response);
            let want = expected_groups(rows, by, inside.as_ref());
            let got = answer_groups(&answer, by);
            assert_eq!(got.len(), want.len(), "{query}: number of groups");
            assert_eq!(got, want, "{query}");
            let mut total = [0u64; 4];
            for counted in want.values() {
                for (t, n) in total.iter_mut().zip(counted) {
                    *t += n;
                }
            }
            let t = &answer["total"];
            let got_total = [&t["count"], &t["linked"], &t["linked_recorded"], &t["arrests"]]
                .map(|v| v.as_u64().unwrap());
            assert_eq!(got_total, total, "{query}: total");
            let missing: Vec<String> =
                police_index::Month::range(first.parse().unwrap(), last.parse().unwrap())
                    .map(|m| m.to_string())
                    .filter(|m| !held.contains(m.as_str()))
                    .collect();
            assert_eq!(answer["missing_months"], serde_json::json!(missing), "{query}");
            area_total = total[0];
        }
        assert!(area_total > 100, "{area}: {area_total} stops");
    }
}
