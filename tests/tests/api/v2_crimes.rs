//! `/api/v2/crimes` over real HTTP: paging through an area in pages of random sizes gives
//! exactly the unpaged answer, which equals a brute-force filter of the CSV rows this test
//! wrote; cursors after a snapshot swap (410), tampered (400) or used with other parameters
//! (400); GeoJSON and CSV read back and compared with the JSON record by record; the
//! formats and their errors; and the real police.uk CSVs over a gap in their months.

use std::collections::BTreeMap;

use police_generate::rng::Rng;
use police_index::reference::{crime_category_code_for_csv_name, CRIME_CATEGORIES};
use police_tests::fixtures::{force_name, hex_id, import_cleanly, write_file, STREET_HEADER};
use police_tests::geometry::{haversine_m, inside_polygon, poly_param};
use police_tests::http::{assert_error, TestServer};
use police_tests::{skip_without_shared_data, test_database, TestDatabase};
use serde_json::Value;

use crate::list_answers::{assert_cursor_gone_after_import, get};

const LEICESTER: (f64, f64) = (52.6297, -1.1316);
const CRIME_TYPES: [&str; 6] =
    ["Anti-social behaviour", "Burglary", "Drugs", "Robbery", "Vehicle crime", "Other theft"];
const OUTCOMES: [&str; 4] = [
    "Under investigation",
    "Investigation complete; no suspect identified",
    "Offender given a caution",
    "Unable to prosecute suspect",
];
const LSOAS: [(&str, &str); 3] = [
    ("E01013000", "Leicester 001A"),
    ("E01013001", "Leicester 001B, \"North\""),
    ("E01025000", "Nottingham 002C"),
];

/// One street row as written: its 12 CSV fields.
#[derive(Debug, Clone)]
struct Row {
    fields: Vec<String>,
}

impl Row {
    fn month(&self) -> &str {
        &self.fields[1]
    }
    fn force_name(&self) -> &str {
        &self.fields[2]
    }
    fn place(&self) -> Option<(f64, f64)> {
        let (lng, lat) = (&self.fields[4], &self.fields[5]);
        (!lat.is_empty()).then(|| (lat.parse().unwrap(), lng.parse().unwrap()))
    }
    fn slug(&self) -> &'static str {
        CRIME_CATEGORIES[crime_category_code_for_csv_name(&self.fields[9]).unwrap() as usize].slug
    }
}

/// Writes and imports Leicestershire and Nottinghamshire crimes in 2024-01, 2024-02 and
/// 2024-04 (nothing in 2024-03): shared places, one row in ten without a location, anti-social
/// behaviour without a Crime ID or outcome, other crimes with one of a few last outcomes,
/// LSOA names that need quoting in CSV.
fn generated(db: &TestDatabase) -> (tempfile::TempDir, Vec<Row>) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(77);
    let places: Vec<(f64, f64)> = (0..120)
        .map(|_| {
            let lat = LEICESTER.0 + rng.range(-0.05, 0.05);
            let lng = LEICESTER.1 + rng.range(-0.08, 0.08);
            ((lat * 1e6).round() / 1e6, (lng * 1e6).round() / 1e6)
        })
        .collect();
    let files = [
        ("2024-01", "leicestershire", 300),
        ("2024-01", "nottinghamshire", 90),
        ("2024-02", "leicestershire", 150),
        ("2024-04", "leicestershire", 200),
        ("2024-04", "nottinghamshire", 60),
    ];
    let mut rows = Vec::new();
    let mut id = 0;
    for (month, force, count) in files {
        let by = force_name(force);
        let mut text = format!("{STREET_HEADER}\n");
        for _ in 0..count {
            id += 1;
            let crime_type = CRIME_TYPES[rng.index(CRIME_TYPES.len())];
            let asb = crime_type == "Anti-social behaviour";
            let crime_id = if asb { String::new() } else { hex_id(id) };
            let outcome = if asb { "" } else { OUTCOMES[rng.index(OUTCOMES.len())] };
            let place = (!rng.chance(0.1)).then(|| places[rng.index(places.len())]);
            let (lng, lat, name) = match place {
                Some((lat, lng)) => {
                    (format!("{lng:.6}"), format!("{lat:.6}"), format!("On or near {lat:.4}"))
                }
                None => (String::new(), String::new(), "No Location".to_owned()),
            };
            let (lsoa, lsoa_name) = if place.is_some() { LSOAS[rng.index(3)] } else { ("", "") };
            let fields: Vec<String> = [
                &crime_id, month, by, by, &lng, &lat, &name, lsoa, lsoa_name, crime_type, outcome,
                "",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let mut line = Vec::new();
            police_index::csv::record(fields.iter().map(String::as_str), &mut line);
            text.push_str(std::str::from_utf8(&line).unwrap());
            rows.push(Row { fields });
        }
        write_file(dir.path(), month, force, "street", text);
    }
    import_cleanly(db, &[dir.path().to_owned()]);
    (dir, rows)
}

/// Every crime of `query`, fetched page by page with the given page sizes (cycled): the
/// crimes in order, and the number of pages.
fn paged(server: &TestServer, query: &str, sizes: &[usize]) -> (Vec<Value>, usize) {
    let mut crimes = Vec::new();
    let mut path = format!("/api/v2/crimes?{query}&limit={}", sizes[0]);
    let mut pages = 0;
    loop {
        let answer = get(server, &path, None);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert_eq!(answer.content_type, "application/json");
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        let page = body["crimes"].as_array().unwrap();
        pages += 1;
        let size = sizes[(pages - 1) % sizes.len()];
        assert!(page.len() <= size);
        crimes.extend(page.iter().cloned());
        match body["next"].as_str() {
            None => {
                assert_eq!(answer.link, None);
                return (crimes, pages);
            }
            Some(next) => {
                assert_eq!(page.len(), size, "only the last page is short");
                assert_eq!(
                    answer.link.as_deref(),
                    Some(format!("<{next}>; rel=\"next\"").as_str())
                );
                // Another page size for the next page: limit may change between pages.
                let next_size = sizes[pages % sizes.len()];
                path = next.replace(&format!("limit={size}"), &format!("limit={next_size}"));
            }
        }
    }
}

/// The whole answer at once (`limit=all`).
fn unpaged(server: &TestServer, query: &str) -> Vec<Value> {
    let answer = get(server, &format!("/api/v2/crimes?{query}&limit=all"), None);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["next"], Value::Null);
    body["crimes"].as_array().unwrap().clone()
}

/// What identifies a row in both the CSV rows and the JSON crimes: month, category slug,
/// Crime ID, coordinates, last outcome.
fn row_key(row: &Row) -> String {
    let f = &row.fields;
    format!("{}|{}|{}|{}|{}|{}", f[1], row.slug(), f[0], f[5], f[4], f[10])
}

fn crime_key(crime: &Value) -> String {
    let (lat, lng) = match &crime["location"] {
        Value::Null => (String::new(), String::new()),
        location => (
            location["latitude"].as_str().unwrap().to_owned(),
            location["longitude"].as_str().unwrap().to_owned(),
        ),
    };
    let outcome = crime["outcome_status"]["category"].as_str().unwrap_or("");
    format!(
        "{}|{}|{}|{}|{}|{}",
        crime["month"].as_str().unwrap(),
        crime["category"].as_str().unwrap(),
        crime["persistent_id"].as_str().unwrap(),
        lat,
        lng,
        outcome
    )
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

#[test]
fn pages_of_random_sizes_equal_the_unpaged_answer_and_brute_force() {
    let db = test_database();
    let (_dir, rows) = generated(&db);
    let server = TestServer::start(&db);
    let (lat, lng) = LEICESTER;
    let square = [(52.60, -1.16), (52.60, -1.10), (52.66, -1.10), (52.66, -1.16)];
    let in_period = |r: &Row, from: &str, to: &str| from <= r.month() && r.month() <= to;
    type Inside = Box<dyn Fn(&Row) -> bool>;
    let cases: Vec<(String, Inside)> = vec![
        (
            format!("lat={lat}&lng={lng}&radius=3000&from=2023-12&to=2024-05"),
            Box::new(move |r: &Row| {
                r.place().is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= 3000.0)
            }),
        ),
        (
            "force=leicestershire&from=2024-01&to=2024-04".into(),
            Box::new(|r: &Row| r.force_name() == force_name("leicestershire")),
        ),
        ("from=2024-01&to=2024-04".into(), Box::new(|_: &Row| true)),
        (
            "lsoa=E01013001&from=2024-02&to=2024-04".into(),
            Box::new(|r: &Row| r.fields[7] == "E01013001"),
        ),
        (
            format!(
                "poly={}&from=2024-01&to=2024-04&category=burglary,anti-social-behaviour",
                poly_param(&square)
            ),
            Box::new(move |r: &Row| {
                matches!(r.slug(), "burglary" | "anti-social-behaviour")
                    && r.place().is_some_and(|(a, b)| inside_polygon(&square, a, b))
            }),
        ),
        (
            "from=2024-01&to=2024-04&last_outcome=under-investigation,none".into(),
            Box::new(|r: &Row| matches!(r.fields[10].as_str(), "Under investigation" | "")),
        ),
        (
            "force=nottinghamshire&from=2024-01&to=2024-04&has_crime_id=false".into(),
            Box::new(|r: &Row| {
                r.force_name() == force_name("nottinghamshire") && r.fields[0].is_empty()
            }),
        ),
        (
            "from=2024-01&to=2024-04&has_crime_id=true&category=drugs".into(),
            Box::new(|r: &Row| !r.fields[0].is_empty() && r.slug() == "drugs"),
        ),
    ];
    let mut rng = Rng::new(5);
    for (query, inside) in &cases {
        let from = &query[query.find("from=").unwrap() + 5..][..7];
        let to = &query[query.find("to=").unwrap() + 3..][..7];
        let whole = unpaged(&server, query);
        let brute: Vec<String> =
            rows.iter().filter(|r| in_period(r, from, to) && inside(r)).map(row_key).collect();
        assert!(!brute.is_empty(), "{query}: the case should hold crimes");
        assert_eq!(
            sorted(whole.iter().map(crime_key).collect()),
            sorted(brute),
            "{query}: the answer equals the rows"
        );
        // Months ascending.
        let months: Vec<&str> = whole.iter().map(|c| c["month"].as_str().unwrap()).collect();
        assert!(months.windows(2).all(|m| m[0] <= m[1]), "{query}");
        for _ in 0..3 {
            let sizes: Vec<usize> = (0..4).map(|_| 1 + rng.index(whole.len().min(60))).collect();
            let (pages, count) = paged(&server, query, &sizes);
            assert!(count > 1 || whole.len() <= sizes[0]);
            assert_eq!(pages, whole, "{query} in pages of {sizes:?}");
        }
    }
    // The default limit is 1,000, the largest 10,000.
    let answer = get(&server, "/api/v2/crimes?from=2024-01&to=2024-04", None);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["crimes"].as_array().unwrap().len(), rows.len().min(1000));
    for bad in ["0", "10001", "-1", "ten", "1.5"] {
        assert_error(&server.get(&format!("/api/v2/crimes?limit={bad}")), 400);
    }
    assert_error(&server.get("/api/v2/crimes?has_crime_id=yes"), 400);
    assert_error(&server.get("/api/v2/crimes?last_outcome=arrested-by-aliens"), 400);
    assert_error(&server.get("/api/v2/crimes?category=burglary,nothing"), 400);
}

#[test]
fn cursors_are_checked_against_the_snapshot_and_the_query() {
    let db = test_database();
    let (dir, _rows) = generated(&db);
    let server = TestServer::start(&db);
    let query = "/api/v2/crimes?force=leicestershire&from=2024-01&to=2024-04&limit=50";
    let first: Value = serde_json::from_str(&get(&server, query, None).body).unwrap();
    let next = first["next"].as_str().unwrap().to_owned();
    let cursor = next.split("cursor=").nth(1).unwrap().to_owned();
    assert_eq!(get(&server, &next, None).status, 200);

    // Tampered: every single character changed is a 400.
    for i in (0..cursor.len()).step_by(3) {
        let mut bytes = cursor.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let tampered = next.replace(&cursor, std::str::from_utf8(&bytes).unwrap());
        assert_error(&server.get(&tampered), 400);
    }
    assert_error(&server.get(&format!("{query}&cursor=bm90IGEgY3Vyc29y")), 400);
    // Used with other parameters: 400; limit and format may change.
    let other = next.replace("force=leicestershire", "force=nottinghamshire");
    assert_error(&server.get(&other), 400);
    assert_error(&server.get(&next.replace("to=2024-04", "to=2024-02")), 400);
    assert_eq!(get(&server, &next.replace("limit=50", "limit=7"), None).status, 200);
    assert_eq!(get(&server, &format!("{next}&format=csv"), None).status, 200);

    // A new import swaps the snapshot: the old cursor answers 410 with a message.
    let mut text = format!("{STREET_HEADER}\n");
    text.push_str(",2024-05,Leicestershire Police,Leicestershire Police,,,No Location,,,Anti-social behaviour,,\n");
    write_file(dir.path(), "2024-05", "leicestershire", "street", text);
    let probe = "/api/v2/crimes?from=2024-05&to=2024-05";
    assert_cursor_gone_after_import(
        &server,
        &db,
        dir.path(),
        &next,
        probe,
        "\"month\":\"2024-05\"",
    );
}

#[test]
fn geojson_and_csv_hold_the_json_records() {
    let db = test_database();
    let (_dir, rows) = generated(&db);
    let server = TestServer::start(&db);
    let query = "/api/v2/crimes?from=2024-01&to=2024-04&limit=all";
    let json: Value = serde_json::from_str(&get(&server, query, None).body).unwrap();
    let crimes = json["crimes"].as_array().unwrap();
    assert_eq!(crimes.len(), rows.len());

    // GeoJSON, by format and by Accept.
    for (path, accept) in [
        (format!("{query}&format=geojson"), None),
        (query.to_owned(), Some("application/geo+json")),
    ] {
        let answer = get(&server, &path, accept);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type, "application/geo+json");
        let collection: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(collection["type"], "FeatureCollection");
        assert_eq!(collection["next"], Value::Null);
        let features = collection["features"].as_array().unwrap();
        assert_eq!(features.len(), crimes.len());
        // Valid RFC 7946, and read by GDAL: every crime a feature, points where located.
        police_tests::geojson::assert_valid(&collection);
        if let Some(layer) = police_tests::geojson::ogr_read(&answer.body) {
            assert_eq!(layer.feature_count, crimes.len());
            assert_eq!(layer.geometry, "Point");
        }
        for (feature, crime) in features.iter().zip(crimes) {
            assert_eq!(feature["type"], "Feature");
            assert_eq!(&feature["properties"], crime);
            match &crime["location"] {
                Value::Null => assert_eq!(feature["geometry"], Value::Null),
                location => {
                    assert_eq!(feature["geometry"]["type"], "Point");
                    let position = feature["geometry"]["coordinates"].as_array().unwrap();
                    let number = |v: &Value| v.as_f64().unwrap();
                    let text = |v: &Value| v.as_str().unwrap().parse::<f64>().unwrap();
                    assert_eq!(number(&position[0]), text(&location["longitude"]));
                    assert_eq!(number(&position[1]), text(&location["latitude"]));
                }
            }
        }
    }

    // CSV, by format and by Accept: police.uk's columns, read back field by field.
    let by_key: BTreeMap<String, Vec<&Row>> = rows.iter().fold(BTreeMap::new(), |mut map, row| {
        map.entry(row_key(row)).or_default().push(row);
        map
    });
    for (path, accept) in
        [(format!("{query}&format=csv"), None), (query.to_owned(), Some("text/csv"))]
    {
        let answer = get(&server, &path, accept);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type, "text/csv; charset=utf-8");
        assert!(answer.body.starts_with(&format!("{STREET_HEADER}\r\n")), "no BOM, CRLF");
        let mut reader = csv::Reader::from_reader(answer.body.as_bytes());
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), crimes.len());
        for (record, crime) in records.iter().zip(crimes) {
            let fields: Vec<&str> = record.iter().collect();
            assert_eq!(fields.len(), 12);
            assert_eq!(fields[0], crime["persistent_id"].as_str().unwrap());
            assert_eq!(fields[1], crime["month"].as_str().unwrap());
            match &crime["location"] {
                Value::Null => {
                    assert_eq!((fields[4], fields[5], fields[6]), ("", "", "No Location"))
                }
                location => {
                    assert_eq!(fields[4], location["longitude"].as_str().unwrap());
                    assert_eq!(fields[5], location["latitude"].as_str().unwrap());
                    assert_eq!(fields[6], location["street"]["name"].as_str().unwrap());
                }
            }
            assert_eq!(fields[10], crime["outcome_status"]["category"].as_str().unwrap_or(""));
            // Every field equals one of the rows written with the same key.
            let key = crime_key(crime);
            let candidates = &by_key[&key];
            assert!(
                candidates.iter().any(|row| row.fields == fields),
                "{fields:?} is none of {candidates:?}"
            );
        }
    }

    // Formats and their errors.
    assert_error(&server.get("/api/v2/crimes?format=xml"), 400);
    let refused = get(&server, "/api/v2/crimes?from=2024-01&to=2024-01", Some("text/html"));
    assert_eq!(refused.status, 406, "{}", refused.body);
    let chosen =
        get(&server, "/api/v2/crimes?from=2024-01&to=2024-01&format=json", Some("text/html"));
    assert_eq!((chosen.status, chosen.content_type.as_str()), (200, "application/json"));
    // A page as CSV: the next page in the Link header.
    let page = get(&server, "/api/v2/crimes?from=2024-01&to=2024-04&format=csv&limit=10", None);
    assert_eq!(page.body.lines().count(), 11);
    assert!(page.link.unwrap().contains("format=csv&limit=10&cursor="));
}

/// The real City of London street files from 2017-08 to 2018-01, which lack 2017-10 and
/// 2017-11: the CSV answer holds exactly the files' rows (as multisets of all 12 fields), in
/// pages or whole.
#[test]
fn real_data_across_a_gap_equals_the_files() {
    let shared = skip_without_shared_data!();
    let months = ["2017-08", "2017-09", "2017-10", "2017-11", "2017-12", "2018-01"];
    let files: Vec<_> = months
        .iter()
        .map(|m| shared.join(m).join(format!("{m}-city-of-london-street.csv")))
        .filter(|path| path.exists())
        .collect();
    assert!(files.len() >= 3 && files.len() < months.len(), "the data has a gap: {files:?}");
    let db = test_database();
    import_cleanly(&db, &files);
    let server = TestServer::start(&db);

    let mut expected: Vec<Vec<String>> = Vec::new();
    for file in &files {
        let mut reader = csv::Reader::from_path(file).unwrap();
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>().join(","), STREET_HEADER);
        expected.extend(reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()));
    }
    let read = |body: &str| -> Vec<Vec<String>> {
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
    };
    let query = "/api/v2/crimes?force=city-of-london&from=2017-08&to=2018-01&format=csv";
    let whole = get(&server, &format!("{query}&limit=all"), None);
    assert_eq!(whole.status, 200);
    let got = read(&whole.body);
    assert_eq!(got.len(), expected.len());
    assert_eq!(sorted(got.clone()), sorted(expected));
    // Paged, following the Link header.
    let mut path = format!("{query}&limit=997");
    let mut paged = Vec::new();
    loop {
        let page = get(&server, &path, None);
        assert_eq!(page.status, 200);
        paged.extend(read(&page.body));
        match page.link {
            Some(link) => path = link.trim_start_matches('<').split('>').next().unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(paged, got);
}
