//! `/api/v2/outcomes` and `/api/v2/stops` over real HTTP, as `v2_crimes` tests
//! `/api/v2/crimes`: paging in pages of random sizes gives exactly the unpaged answer, which
//! equals a brute-force filter of the CSV rows this test wrote; cursors after a snapshot swap
//! (410) or made by another list route (400); GeoJSON and CSV read back and compared with the
//! JSON record by record; and the real police.uk CSVs over a gap in their months.

use std::collections::{BTreeMap, BTreeSet};

use police_generate::rng::Rng;
use police_index::reference::{
    crime_category_code_for_csv_name, outcome_code_for_csv_name, CRIME_CATEGORIES,
    OUTCOME_CATEGORIES,
};
use police_tests::fixtures::{
    force_name, hex_id, import_cleanly, stops_file, write_file, OUTCOMES_HEADER, STOPS_HEADER,
    STREET_HEADER,
};
use police_tests::geometry::{haversine_m, inside_polygon, poly_param};
use police_tests::http::{assert_error, TestServer};
use police_tests::{skip_without_shared_data, test_database, TestDatabase};
use serde_json::Value;

use crate::list_answers::{assert_cursor_gone_after_import, get, Answer};

const LEICESTER: (f64, f64) = (52.6297, -1.1316);
const CRIME_TYPES: [&str; 5] = ["Burglary", "Drugs", "Robbery", "Vehicle crime", "Other theft"];
const OUTCOME_TYPES: [&str; 5] = [
    "Under investigation",
    "Investigation complete; no suspect identified",
    "Offender given a caution",
    "Suspect charged",
    "Unable to prosecute suspect",
];
const LSOAS: [(&str, &str); 3] = [
    ("E01013000", "Leicester 001A"),
    ("E01013001", "Leicester 001B, \"North\""),
    ("E01025000", "Nottingham 002C"),
];

/// Every record of `route?query` (`member`: the JSON member holding them), fetched page by
/// page with the given page sizes (cycled, changing `limit` between pages): the records in
/// order.
fn paged(
    server: &TestServer,
    route: &str,
    member: &str,
    query: &str,
    sizes: &[usize],
) -> Vec<Value> {
    let mut records = Vec::new();
    let mut path = format!("{route}?{query}&limit={}", sizes[0]);
    let mut pages = 0;
    loop {
        let answer = get(server, &path, None);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert_eq!(answer.content_type, "application/json");
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        let page = body[member].as_array().unwrap();
        pages += 1;
        let size = sizes[(pages - 1) % sizes.len()];
        assert!(page.len() <= size);
        records.extend(page.iter().cloned());
        match body["next"].as_str() {
            None => {
                assert_eq!(answer.link, None);
                return records;
            }
            Some(next) => {
                assert_eq!(page.len(), size, "only the last page is short");
                assert_eq!(
                    answer.link.as_deref(),
                    Some(format!("<{next}>; rel=\"next\"").as_str())
                );
                let next_size = sizes[pages % sizes.len()];
                path = next.replace(&format!("limit={size}"), &format!("limit={next_size}"));
            }
        }
    }
}

/// The whole answer at once (`limit=all`).
fn unpaged(server: &TestServer, route: &str, member: &str, query: &str) -> Vec<Value> {
    let answer = get(server, &format!("{route}?{query}&limit=all"), None);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(body["next"], Value::Null);
    body[member].as_array().unwrap().clone()
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

/// The `from` and `to` of a query string.
fn period_of(query: &str) -> (&str, &str) {
    let from = &query[query.find("from=").unwrap() + 5..][..7];
    let to = &query[query.find("to=").unwrap() + 3..][..7];
    (from, to)
}

/// CSV text as rows of fields, the header left out.
fn csv_rows(body: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

/// A GeoJSON answer is valid RFC 7946, GDAL reads it, and its features hold the JSON records
/// as properties, each at `position`'s place (`None`: a `null` geometry).
fn assert_features_hold(
    answer: &Answer,
    records: &[Value],
    position: impl Fn(usize) -> Option<(f64, f64)>,
) {
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "application/geo+json");
    let collection: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(collection["type"], "FeatureCollection");
    assert_eq!(collection["next"], Value::Null);
    let features = collection["features"].as_array().unwrap();
    assert_eq!(features.len(), records.len());
    // Valid RFC 7946, and read by GDAL: every record a feature, points where located.
    police_tests::geojson::assert_valid(&collection);
    if let Some(layer) = police_tests::geojson::ogr_read(&answer.body) {
        assert_eq!(layer.feature_count, records.len());
        assert_eq!(layer.geometry, "Point");
    }
    for (i, (feature, record)) in features.iter().zip(records).enumerate() {
        assert_eq!(feature["type"], "Feature");
        assert_eq!(&feature["properties"], record);
        match position(i) {
            None => assert_eq!(feature["geometry"], Value::Null),
            Some((lng, lat)) => {
                assert_eq!(feature["geometry"]["type"], "Point");
                let coordinates = feature["geometry"]["coordinates"].as_array().unwrap();
                assert_eq!(coordinates[0].as_f64().unwrap(), lng);
                assert_eq!(coordinates[1].as_f64().unwrap(), lat);
            }
        }
    }
}

/// One outcome row as written, with the crime it is about.
#[derive(Debug, Clone)]
struct OutcomeRow {
    /// The 10 fields of the outcomes CSV.
    fields: Vec<String>,
    /// The crime's month, category slug, force name and LSOA code.
    crime_month: String,
    crime_slug: &'static str,
    crime_force: &'static str,
    crime_lsoa: String,
}

impl OutcomeRow {
    fn month(&self) -> &str {
        &self.fields[1]
    }
    fn place(&self) -> Option<(f64, f64)> {
        let (lng, lat) = (&self.fields[4], &self.fields[5]);
        (!lat.is_empty()).then(|| (lat.parse().unwrap(), lng.parse().unwrap()))
    }
    /// Outcome month, outcome code, Crime ID, crime month, category: what identifies an
    /// outcome in the rows and in the JSON.
    fn key(&self) -> String {
        let code = outcome_code_for_csv_name(&self.fields[9]).unwrap();
        let f = &self.fields;
        let outcome = OUTCOME_CATEGORIES[code as usize].code;
        format!("{}|{}|{}|{}|{}", f[1], outcome, f[0], self.crime_month, self.crime_slug)
    }
}

fn outcome_key(outcome: &Value) -> String {
    let crime = &outcome["crime"];
    format!(
        "{}|{}|{}|{}|{}",
        outcome["date"].as_str().unwrap(),
        outcome["category"]["code"].as_str().unwrap(),
        crime["persistent_id"].as_str().unwrap(),
        crime["month"].as_str().unwrap(),
        crime["category"].as_str().unwrap()
    )
}

/// Writes and imports Leicestershire and Nottinghamshire crimes in 2023-12, 2024-01 and
/// 2024-02, and outcomes of them recorded in 2024-01, 2024-02 and 2024-04 (none in 2024-03):
/// most at their crime's place, some elsewhere or without a location, LSOA names that need
/// quoting in CSV.
fn generated_outcomes(db: &TestDatabase) -> (tempfile::TempDir, Vec<OutcomeRow>) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(91);
    let places: Vec<(f64, f64)> = (0..80)
        .map(|_| {
            let lat = LEICESTER.0 + rng.range(-0.05, 0.05);
            let lng = LEICESTER.1 + rng.range(-0.08, 0.08);
            ((lat * 1e6).round() / 1e6, (lng * 1e6).round() / 1e6)
        })
        .collect();
    let place_fields = |place: Option<(f64, f64)>| match place {
        Some((lat, lng)) => {
            (format!("{lng:.6}"), format!("{lat:.6}"), format!("On or near {lat:.4}"))
        }
        None => (String::new(), String::new(), "No Location".to_owned()),
    };
    let crime_files = [
        ("2023-12", "leicestershire", 120),
        ("2024-01", "leicestershire", 150),
        ("2024-01", "nottinghamshire", 60),
        ("2024-02", "leicestershire", 100),
    ];
    let outcome_months = ["2024-01", "2024-02", "2024-04"];
    let mut outcomes: BTreeMap<(&str, &str), String> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut id = 0;
    for (month, force, count) in crime_files {
        let by = force_name(force);
        let mut text = format!("{STREET_HEADER}\n");
        for _ in 0..count {
            id += 1;
            let crime_type = CRIME_TYPES[rng.index(CRIME_TYPES.len())];
            let crime_id = hex_id(id);
            let place = (!rng.chance(0.1)).then(|| places[rng.index(places.len())]);
            let (lng, lat, name) = place_fields(place);
            let (lsoa, lsoa_name) = if place.is_some() { LSOAS[rng.index(3)] } else { ("", "") };
            let fields =
                [&crime_id, month, by, by, &lng, &lat, &name, lsoa, lsoa_name, crime_type, "", ""];
            let mut line = Vec::new();
            police_index::csv::record(fields.iter().copied(), &mut line);
            text.push_str(std::str::from_utf8(&line).unwrap());
            // Up to two outcomes, in the crime's month or later.
            for _ in 0..rng.index(3) {
                let Some(&outcome_month) =
                    outcome_months.iter().filter(|m| **m >= month).nth(rng.index(2))
                else {
                    continue;
                };
                let outcome_place = if rng.chance(0.8) {
                    place
                } else {
                    (!rng.chance(0.3)).then(|| places[rng.index(places.len())])
                };
                let (lng, lat, mut name) = place_fields(outcome_place);
                if outcome_place.is_none() {
                    // As police.uk's outcomes files write it (the street files: `No Location`).
                    name = "No location".to_owned();
                }
                let outcome_type = OUTCOME_TYPES[rng.index(OUTCOME_TYPES.len())];
                let fields: Vec<String> = [
                    &crime_id,
                    outcome_month,
                    by,
                    by,
                    &lng,
                    &lat,
                    &name,
                    lsoa,
                    lsoa_name,
                    outcome_type,
                ]
                .iter()
                .map(|s| s.to_string())
                .collect();
                let mut line = Vec::new();
                police_index::csv::record(fields.iter().map(String::as_str), &mut line);
                let file = outcomes
                    .entry((outcome_month, force))
                    .or_insert_with(|| format!("{OUTCOMES_HEADER}\n"));
                file.push_str(std::str::from_utf8(&line).unwrap());
                let slug = crime_category_code_for_csv_name(crime_type).unwrap();
                rows.push(OutcomeRow {
                    fields,
                    crime_month: month.to_owned(),
                    crime_slug: CRIME_CATEGORIES[slug as usize].slug,
                    crime_force: by,
                    crime_lsoa: lsoa.to_owned(),
                });
            }
        }
        write_file(dir.path(), month, force, "street", text);
    }
    for ((month, force), text) in outcomes {
        write_file(dir.path(), month, force, "outcomes", text);
    }
    import_cleanly(db, &[dir.path().to_owned()]);
    (dir, rows)
}

#[test]
fn outcome_pages_of_random_sizes_equal_the_unpaged_answer_and_brute_force() {
    let db = test_database();
    let (_dir, rows) = generated_outcomes(&db);
    let server = TestServer::start(&db);
    let (lat, lng) = LEICESTER;
    let square = [(52.60, -1.16), (52.60, -1.10), (52.66, -1.10), (52.66, -1.16)];
    type Inside = Box<dyn Fn(&OutcomeRow) -> bool>;
    let cases: Vec<(String, Inside)> = vec![
        (
            format!("lat={lat}&lng={lng}&radius=3000&from=2023-11&to=2024-05"),
            Box::new(move |r: &OutcomeRow| {
                r.place().is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= 3000.0)
            }),
        ),
        (
            "force=leicestershire&from=2024-01&to=2024-04".into(),
            Box::new(|r: &OutcomeRow| r.crime_force == force_name("leicestershire")),
        ),
        ("from=2024-01&to=2024-04".into(), Box::new(|_: &OutcomeRow| true)),
        ("from=2024-02&to=2024-04".into(), Box::new(|_: &OutcomeRow| true)),
        (
            "lsoa=E01013001&from=2024-01&to=2024-04".into(),
            Box::new(|r: &OutcomeRow| r.crime_lsoa == "E01013001"),
        ),
        (
            format!("poly={}&from=2024-01&to=2024-04&category=burglary,drugs", poly_param(&square)),
            Box::new(move |r: &OutcomeRow| {
                matches!(r.crime_slug, "burglary" | "drugs")
                    && r.place().is_some_and(|(a, b)| inside_polygon(&square, a, b))
            }),
        ),
    ];
    let mut rng = Rng::new(6);
    for (query, inside) in &cases {
        let (from, to) = period_of(query);
        let whole = unpaged(&server, "/api/v2/outcomes", "outcomes", query);
        let brute: Vec<String> = rows
            .iter()
            .filter(|r| from <= r.month() && r.month() <= to && inside(r))
            .map(OutcomeRow::key)
            .collect();
        assert!(!brute.is_empty(), "{query}: the case should hold outcomes");
        assert_eq!(
            sorted(whole.iter().map(outcome_key).collect()),
            sorted(brute),
            "{query}: the answer equals the rows"
        );
        let months: Vec<&str> = whole.iter().map(|o| o["date"].as_str().unwrap()).collect();
        assert!(months.windows(2).all(|m| m[0] <= m[1]), "{query}");
        for _ in 0..3 {
            let sizes: Vec<usize> = (0..4).map(|_| 1 + rng.index(whole.len().min(60))).collect();
            let pages = paged(&server, "/api/v2/outcomes", "outcomes", query, &sizes);
            assert_eq!(pages, whole, "{query} in pages of {sizes:?}");
        }
    }
    // The same records as outcomes-at-location, month by month, for a circle (in the months
    // with crimes: police.uk's route answers nothing past the latest of them).
    let circle = format!("lat={lat}&lng={lng}");
    for month in ["2024-01", "2024-02"] {
        let v1 = server.get(&format!("/api/outcomes-at-location?{circle}&date={month}")).json();
        let v2 = unpaged(
            &server,
            "/api/v2/outcomes",
            "outcomes",
            &format!("{circle}&from={month}&to={month}"),
        );
        let keys =
            |records: &[Value]| sorted(records.iter().map(|r| r.to_string()).collect::<Vec<_>>());
        assert_eq!(keys(v1.as_array().unwrap()), keys(&v2), "{month}");
    }
    for bad in ["0", "10001", "ten"] {
        assert_error(&server.get(&format!("/api/v2/outcomes?limit={bad}")), 400);
    }
    assert_error(&server.get("/api/v2/outcomes?category=burglary,nothing"), 400);
    assert_error(&server.get("/api/v2/outcomes?force=atlantis"), 404);
    assert_error(&server.get("/api/v2/outcomes?format=xml"), 400);
}

#[test]
fn outcome_cursors_are_checked_against_the_snapshot_and_the_route() {
    let db = test_database();
    let (dir, _rows) = generated_outcomes(&db);
    let server = TestServer::start(&db);
    let query = "?force=leicestershire&from=2024-01&to=2024-04&limit=20";
    let first: Value =
        serde_json::from_str(&get(&server, &format!("/api/v2/outcomes{query}"), None).body)
            .unwrap();
    let next = first["next"].as_str().unwrap().to_owned();
    assert!(next.starts_with("/api/v2/outcomes?"), "{next}");
    assert_eq!(get(&server, &next, None).status, 200);
    // A cursor of /api/v2/outcomes means nothing to /api/v2/crimes, and the other way round.
    assert_error(&server.get(&next.replace("/api/v2/outcomes", "/api/v2/crimes")), 400);
    let crimes: Value =
        serde_json::from_str(&get(&server, &format!("/api/v2/crimes{query}"), None).body).unwrap();
    let crimes_next = crimes["next"].as_str().unwrap();
    assert_error(&server.get(&crimes_next.replace("/api/v2/crimes", "/api/v2/outcomes")), 400);
    assert_error(&server.get(&next.replace("force=leicestershire", "force=nottinghamshire")), 400);

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
fn outcome_geojson_and_csv_hold_the_json_records() {
    let db = test_database();
    let (_dir, rows) = generated_outcomes(&db);
    let server = TestServer::start(&db);
    let query = "/api/v2/outcomes?from=2024-01&to=2024-04&limit=all";
    let json: Value = serde_json::from_str(&get(&server, query, None).body).unwrap();
    let outcomes = json["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), rows.len());

    // CSV, by format and by Accept: police.uk's outcomes columns, read back field by field;
    // every record is one of the rows written with the same key.
    let by_key: BTreeMap<String, Vec<&OutcomeRow>> =
        rows.iter().fold(BTreeMap::new(), |mut map, row| {
            map.entry(row.key()).or_default().push(row);
            map
        });
    let mut csv_records = Vec::new();
    for (path, accept) in
        [(format!("{query}&format=csv"), None), (query.to_owned(), Some("text/csv"))]
    {
        let answer = get(&server, &path, accept);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type, "text/csv; charset=utf-8");
        assert!(answer.body.starts_with(&format!("{OUTCOMES_HEADER}\r\n")), "no BOM, CRLF");
        let records = csv_rows(&answer.body);
        assert_eq!(records.len(), outcomes.len());
        for (fields, outcome) in records.iter().zip(outcomes) {
            assert_eq!(fields.len(), 10);
            assert_eq!(fields[0], outcome["crime"]["persistent_id"].as_str().unwrap());
            assert_eq!(fields[1], outcome["date"].as_str().unwrap());
            assert_eq!(fields[9], outcome["category"]["name"].as_str().unwrap());
            let candidates = &by_key[&outcome_key(outcome)];
            assert!(
                candidates.iter().any(|row| &row.fields == fields),
                "{fields:?} is none of {candidates:?}"
            );
        }
        csv_records = records;
    }
    // Every row written comes back once.
    assert_eq!(
        sorted(csv_records.clone()),
        sorted(rows.iter().map(|r| r.fields.clone()).collect())
    );

    // GeoJSON, by format and by Accept: the JSON records as properties, at the outcome's own
    // place (the CSV's longitude and latitude).
    let position = |i: usize| {
        let fields = &csv_records[i];
        (!fields[4].is_empty()).then(|| (fields[4].parse().unwrap(), fields[5].parse().unwrap()))
    };
    for (path, accept) in [
        (format!("{query}&format=geojson"), None),
        (query.to_owned(), Some("application/geo+json")),
    ] {
        assert_features_hold(&get(&server, &path, accept), outcomes, position);
    }
    // Some outcome was mapped apart from its crime, and the geometry follows the outcome.
    let apart = rows.iter().filter(|r| {
        let crime_place = outcomes
            .iter()
            .find(|o| outcome_key(o) == r.key())
            .map(|o| o["crime"]["location"]["latitude"].as_str().unwrap_or("").to_owned());
        crime_place.is_some_and(|lat| lat != r.fields[5])
    });
    assert!(apart.count() > 0);

    let refused = get(&server, "/api/v2/outcomes?from=2024-01&to=2024-01", Some("text/html"));
    assert_eq!(refused.status, 406, "{}", refused.body);
    let page = get(&server, "/api/v2/outcomes?from=2024-01&to=2024-04&format=csv&limit=10", None);
    assert_eq!(page.body.lines().count(), 11);
    assert!(page.link.unwrap().contains("format=csv&limit=10&cursor="));
}

/// The real City of London outcomes from 2016-01 to 2016-06 without 2016-03 (left out: a
/// month the store holds no outcomes for), with the street files of their crimes: the CSV
/// answer for 2015-12 to 2016-07 holds exactly the files' rows whose crime was imported (as
/// multisets of all 10 fields, published variants of an outcome name written as police.uk's
/// list names it), in pages or whole.
#[test]
fn real_outcomes_across_a_gap_equal_the_files() {
    let shared = skip_without_shared_data!();
    let outcome_months = ["2016-01", "2016-02", "2016-04", "2016-05", "2016-06"];
    let outcome_files: Vec<_> = outcome_months
        .iter()
        .map(|m| shared.join(m).join(format!("{m}-city-of-london-outcomes.csv")))
        .collect();
    if let Some(missing) = outcome_files.iter().find(|path| !path.exists()) {
        police_tests::report_skip(&format!("{} not found", missing.display()));
        return;
    }
    // The crimes: every City of London street file up to 2016-06.
    let street_files: Vec<_> = std::fs::read_dir(&shared)
        .unwrap()
        .filter_map(|entry| {
            let month = entry.unwrap().file_name().to_string_lossy().into_owned();
            let path = shared.join(&month).join(format!("{month}-city-of-london-street.csv"));
            (month.as_str() <= "2016-06" && path.exists()).then_some(path)
        })
        .collect();
    assert!(street_files.len() >= 3, "{street_files:?}");
    let db = test_database();
    let files: Vec<_> = street_files.iter().chain(&outcome_files).cloned().collect();
    import_cleanly(&db, &files);
    let server = TestServer::start(&db);

    let mut crime_ids = BTreeSet::new();
    for file in &street_files {
        let mut reader = csv::Reader::from_path(file).unwrap();
        crime_ids.extend(reader.records().map(|r| r.unwrap()[0].to_owned()));
    }
    let mut expected: Vec<Vec<String>> = Vec::new();
    for file in &outcome_files {
        let mut reader = csv::Reader::from_path(file).unwrap();
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>().join(","), OUTCOMES_HEADER);
        for record in reader.records() {
            let mut fields: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
            if !crime_ids.contains(&fields[0]) {
                continue;
            }
            let code = outcome_code_for_csv_name(&fields[9]).unwrap();
            fields[9] = OUTCOME_CATEGORIES[code as usize].name.to_owned();
            expected.push(fields);
        }
    }
    assert!(expected.len() > 1000, "{} outcomes", expected.len());
    let query = "/api/v2/outcomes?force=city-of-london&from=2015-12&to=2016-07&format=csv";
    let whole = get(&server, &format!("{query}&limit=all"), None);
    assert_eq!(whole.status, 200);
    let got = csv_rows(&whole.body);
    assert_multisets_equal(&got, &expected);
    // Paged, following the Link header.
    let mut path = format!("{query}&limit=997");
    let mut paged = Vec::new();
    loop {
        let page = get(&server, &path, None);
        assert_eq!(page.status, 200);
        paged.extend(csv_rows(&page.body));
        match page.link {
            Some(link) => path = link.trim_start_matches('<').split('>').next().unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(paged, got);
}

/// `got` and `expected` hold the same rows as often; on failure, the rows that differ.
fn assert_multisets_equal(got: &[Vec<String>], expected: &[Vec<String>]) {
    let mut counts: BTreeMap<&Vec<String>, i64> = BTreeMap::new();
    for row in got {
        *counts.entry(row).or_default() += 1;
    }
    for row in expected {
        *counts.entry(row).or_default() -= 1;
    }
    let differing: Vec<_> = counts.iter().filter(|(_, &n)| n != 0).take(10).collect();
    assert!(differing.is_empty(), "rows answered (+) or expected (-) more often: {differing:?}");
    assert_eq!(got.len(), expected.len());
}

/// One stop row as written: its month, force and the 15 fields of the stop-and-search CSV.
#[derive(Debug, Clone)]
struct StopRow {
    month: &'static str,
    force: &'static str,
    fields: Vec<String>,
}

impl StopRow {
    fn place(&self) -> Option<(f64, f64)> {
        let (lat, lng) = (&self.fields[4], &self.fields[5]);
        (!lat.is_empty()).then(|| (lat.parse().unwrap(), lng.parse().unwrap()))
    }
}

/// A stop as its CSV row, from the JSON record (police.uk's `stops-street` shape).
fn stop_fields(stop: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let flag = |v: &Value| match v.as_bool() {
        Some(true) => "True".to_owned(),
        Some(false) => "False".to_owned(),
        None => String::new(),
    };
    let location = &stop["location"];
    vec![
        text(&stop["type"]),
        text(&stop["datetime"]),
        flag(&stop["operation"]),
        text(&stop["operation_name"]),
        text(&location["latitude"]),
        text(&location["longitude"]),
        text(&stop["gender"]),
        text(&stop["age_range"]),
        text(&stop["self_defined_ethnicity"]),
        text(&stop["officer_defined_ethnicity"]),
        text(&stop["legislation"]),
        text(&stop["object_of_search"]),
        text(&stop["outcome"]),
        flag(&stop["outcome_linked_to_object_of_search"]),
        flag(&stop["removal_of_more_than_outer_clothing"]),
    ]
}

/// Writes and imports Leicestershire and Nottinghamshire stops in 2024-01, 2024-02 and
/// 2024-04 (none in 2024-03): most at one of 60 places, some without a location, times that
/// repeat (exact ties), text that needs quoting in CSV.
fn generated_stops(db: &TestDatabase) -> (tempfile::TempDir, Vec<StopRow>) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(17);
    let places: Vec<(f64, f64)> = (0..60)
        .map(|_| {
            let lat = LEICESTER.0 + rng.range(-0.05, 0.05);
            let lng = LEICESTER.1 + rng.range(-0.08, 0.08);
            ((lat * 1e6).round() / 1e6, (lng * 1e6).round() / 1e6)
        })
        .collect();
    let pick = |rng: &mut Rng, values: &[&str]| values[rng.index(values.len())].to_owned();
    let flag = |rng: &mut Rng| pick(rng, &["True", "False", ""]);
    let files = [
        ("2024-01", "leicestershire", 140),
        ("2024-01", "nottinghamshire", 50),
        ("2024-02", "leicestershire", 90),
        ("2024-04", "leicestershire", 70),
        ("2024-04", "nottinghamshire", 40),
    ];
    let mut rows = Vec::new();
    for (month, force, count) in files {
        let mut lines = Vec::new();
        for _ in 0..count {
            let place = (!rng.chance(0.15)).then(|| places[rng.index(places.len())]);
            let (lat, lng) = place.map_or((String::new(), String::new()), |(a, b)| {
                (format!("{a:.6}"), format!("{b:.6}"))
            });
            let fields = vec![
                pick(&mut rng, &["Person search", "Vehicle search", "Person and Vehicle search"]),
                format!(
                    "{month}-{:02}T{:02}:{:02}:00+00:00",
                    1 + rng.index(3),
                    rng.index(3),
                    10 * rng.index(2)
                ),
                flag(&mut rng),
                pick(&mut rng, &["", "Op \"Hook\", Leicester"]),
                lat,
                lng,
                pick(&mut rng, &["Male", "Female", ""]),
                pick(&mut rng, &["18-24", "25-34", "over 34"]),
                pick(
                    &mut rng,
                    &[
                        "White - English/Welsh/Scottish/Northern Irish/British",
                        "Asian/Asian British - Indian",
                        "",
                    ],
                ),
                pick(&mut rng, &["White", "Asian", ""]),
                pick(
                    &mut rng,
                    &[
                        "Misuse of Drugs Act 1971 (section 23)",
                        "Police and Criminal Evidence Act 1984 (section 1)",
                    ],
                ),
                pick(&mut rng, &["Controlled drugs", "Offensive weapons"]),
                pick(&mut rng, &["A no further action disposal", "Arrest", "Community resolution"]),
                flag(&mut rng),
                flag(&mut rng),
            ];
            let mut line = Vec::new();
            police_index::csv::record(fields.iter().map(String::as_str), &mut line);
            lines.push(String::from_utf8(line).unwrap().trim_end().to_owned());
            rows.push(StopRow { month, force, fields });
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        stops_file(dir.path(), month, force, &lines);
    }
    import_cleanly(db, &[dir.path().to_owned()]);
    (dir, rows)
}

#[test]
fn stop_pages_of_random_sizes_equal_the_unpaged_answer_and_brute_force() {
    let db = test_database();
    let (dir, rows) = generated_stops(&db);
    let server = TestServer::start(&db);
    let (lat, lng) = LEICESTER;
    let square = [(52.60, -1.16), (52.60, -1.10), (52.66, -1.10), (52.66, -1.16)];
    type Inside = Box<dyn Fn(&StopRow) -> bool>;
    let cases: Vec<(String, Inside)> = vec![
        (
            format!("lat={lat}&lng={lng}&radius=3000&from=2023-11&to=2024-05"),
            Box::new(move |r: &StopRow| {
                r.place().is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= 3000.0)
            }),
        ),
        (
            "force=leicestershire&from=2024-01&to=2024-04".into(),
            Box::new(|r: &StopRow| r.force == "leicestershire"),
        ),
        (
            "force=nottinghamshire&from=2024-02&to=2024-04".into(),
            Box::new(|r: &StopRow| r.force == "nottinghamshire"),
        ),
        ("from=2024-01&to=2024-04".into(), Box::new(|_: &StopRow| true)),
        (
            format!("poly={}&from=2024-01&to=2024-04", poly_param(&square)),
            Box::new(move |r: &StopRow| {
                r.place().is_some_and(|(a, b)| inside_polygon(&square, a, b))
            }),
        ),
    ];
    let mut rng = Rng::new(8);
    for (query, inside) in &cases {
        let (from, to) = period_of(query);
        let whole = unpaged(&server, "/api/v2/stops", "stops", query);
        let brute: Vec<Vec<String>> = rows
            .iter()
            .filter(|r| from <= r.month && r.month <= to && inside(r))
            .map(|r| r.fields.clone())
            .collect();
        assert!(!brute.is_empty(), "{query}: the case should hold stops");
        assert_multisets_equal(&whole.iter().map(stop_fields).collect::<Vec<_>>(), &brute);
        for _ in 0..3 {
            let sizes: Vec<usize> = (0..4).map(|_| 1 + rng.index(whole.len().min(60))).collect();
            let pages = paged(&server, "/api/v2/stops", "stops", query, &sizes);
            assert_eq!(pages, whole, "{query} in pages of {sizes:?}");
        }
    }
    // The same records as police.uk's stop routes, month by month.
    for month in ["2024-01", "2024-02", "2024-04"] {
        let keys =
            |records: &[Value]| sorted(records.iter().map(|r| r.to_string()).collect::<Vec<_>>());
        let v1 = server.get(&format!("/api/stops-force?force=leicestershire&date={month}")).json();
        let v2 = unpaged(
            &server,
            "/api/v2/stops",
            "stops",
            &format!("force=leicestershire&from={month}&to={month}"),
        );
        assert_eq!(keys(v1.as_array().unwrap()), keys(&v2), "{month}");
        let v1 = server.get(&format!("/api/stops-street?lat={lat}&lng={lng}&date={month}")).json();
        let v2 = unpaged(
            &server,
            "/api/v2/stops",
            "stops",
            &format!("lat={lat}&lng={lng}&from={month}&to={month}"),
        );
        assert_eq!(keys(v1.as_array().unwrap()), keys(&v2), "{month}");
    }
    // With no period: the year up to the latest month of stop data.
    let default = unpaged(&server, "/api/v2/stops", "stops", "force=leicestershire");
    assert_eq!(default.len(), rows.iter().filter(|r| r.force == "leicestershire").count());
    assert_error(&server.get("/api/v2/stops?lsoa=E01013000"), 400);
    for bad in ["0", "10001", "ten"] {
        assert_error(&server.get(&format!("/api/v2/stops?limit={bad}")), 400);
    }
    assert_error(&server.get("/api/v2/stops?force=atlantis"), 404);
    assert_error(&server.get("/api/v2/stops?format=xml"), 400);

    // Cursors: only for their own route and query; after a new import, 410.
    let query = "?force=leicestershire&from=2024-01&to=2024-04&limit=20";
    let first: Value =
        serde_json::from_str(&get(&server, &format!("/api/v2/stops{query}"), None).body).unwrap();
    let next = first["next"].as_str().unwrap().to_owned();
    assert!(next.starts_with("/api/v2/stops?"), "{next}");
    assert_eq!(get(&server, &next, None).status, 200);
    assert_error(&server.get(&next.replace("/api/v2/stops", "/api/v2/crimes")), 400);
    assert_error(&server.get(&next.replace("/api/v2/stops", "/api/v2/outcomes")), 400);
    assert_error(&server.get(&next.replace("force=leicestershire", "force=nottinghamshire")), 400);
    stops_file(
        dir.path(),
        "2024-05",
        "leicestershire",
        &["Person search,2024-05-01T10:00:00+00:00,,,,,Male,18-24,,,,,,,"],
    );
    let probe = "/api/v2/stops?from=2024-05&to=2024-05";
    assert_cursor_gone_after_import(
        &server,
        &db,
        dir.path(),
        &next,
        probe,
        "2024-05-01T10:00:00+00:00",
    );
}

#[test]
fn stop_geojson_and_csv_hold_the_json_records() {
    let db = test_database();
    let (_dir, rows) = generated_stops(&db);
    let server = TestServer::start(&db);
    let query = "/api/v2/stops?from=2024-01&to=2024-04&limit=all";
    let json: Value = serde_json::from_str(&get(&server, query, None).body).unwrap();
    let stops = json["stops"].as_array().unwrap();
    assert_eq!(stops.len(), rows.len());

    // CSV, by format and by Accept: police.uk's stop-and-search columns, read back field by
    // field, record by record as the JSON.
    let mut csv_records = Vec::new();
    for (path, accept) in
        [(format!("{query}&format=csv"), None), (query.to_owned(), Some("text/csv"))]
    {
        let answer = get(&server, &path, accept);
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type, "text/csv; charset=utf-8");
        assert!(answer.body.starts_with(&format!("{STOPS_HEADER}\r\n")), "no BOM, CRLF");
        let records = csv_rows(&answer.body);
        assert_eq!(records.len(), stops.len());
        for (fields, stop) in records.iter().zip(stops) {
            assert_eq!(fields.len(), 15);
            assert_eq!(fields, &stop_fields(stop));
        }
        csv_records = records;
    }
    assert_multisets_equal(
        &csv_records,
        &rows.iter().map(|r| r.fields.clone()).collect::<Vec<_>>(),
    );

    // GeoJSON, by format and by Accept: the JSON records as properties, at the stop's place.
    let position = |i: usize| {
        let fields = &csv_records[i];
        (!fields[4].is_empty()).then(|| (fields[5].parse().unwrap(), fields[4].parse().unwrap()))
    };
    for (path, accept) in [
        (format!("{query}&format=geojson"), None),
        (query.to_owned(), Some("application/geo+json")),
    ] {
        assert_features_hold(&get(&server, &path, accept), stops, position);
    }
    let page = get(&server, "/api/v2/stops?from=2024-01&to=2024-04&format=csv&limit=10", None);
    assert_eq!(page.body.lines().count(), 11);
    assert!(page.link.unwrap().contains("format=csv&limit=10&cursor="));
}

/// The real Metropolitan and City of London stops from 2015-12 to 2018-01 (the Met's files
/// skip 2016-02 to 2017-11): the CSV answer holds exactly the files' rows (as multisets of
/// all 15 fields), whole or in pages.
#[test]
fn real_stops_across_a_gap_equal_the_files() {
    let shared = skip_without_shared_data!();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&shared).unwrap() {
        let month = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !("2015-12"..="2018-01").contains(&month.as_str()) {
            continue;
        }
        for force in ["metropolitan", "city-of-london"] {
            let path = shared.join(&month).join(format!("{month}-{force}-stop-and-search.csv"));
            if path.exists() {
                files.push(path);
            }
        }
    }
    let met = files.iter().filter(|f| f.to_string_lossy().contains("metropolitan")).count();
    if met < 2 {
        police_tests::report_skip("fewer than two Metropolitan stop files from 2015-12 to 2018-01");
        return;
    }
    let db = test_database();
    import_cleanly(&db, &files);
    let server = TestServer::start(&db);
    let mut expected: Vec<Vec<String>> = Vec::new();
    for file in &files {
        let mut reader = csv::Reader::from_path(file).unwrap();
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>().join(","), STOPS_HEADER);
        expected.extend(reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()));
    }
    assert!(expected.len() > 10_000, "{} stops", expected.len());
    let query = "/api/v2/stops?from=2015-11&to=2018-02&format=csv";
    let whole = get(&server, &format!("{query}&limit=all"), None);
    assert_eq!(whole.status, 200);
    let got = csv_rows(&whole.body);
    assert_multisets_equal(&got, &expected);
    let mut path = format!("{query}&limit=9973");
    let mut paged = Vec::new();
    loop {
        let page = get(&server, &path, None);
        assert_eq!(page.status, 200);
        paged.extend(csv_rows(&page.body));
        match page.link {
            Some(link) => path = link.trim_start_matches('<').split('>').next().unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(paged, got);
}
