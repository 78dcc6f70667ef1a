//! The crime routes over the real police.uk files in `../shared/data/police-uk/` (City of
//! London street and outcomes, Surrey street): for polygons and one-mile circles, the crimes
//! the API returns are exactly the CSV rows that fall inside, counted here from the CSVs
//! with this file's own geometry.

// An `unwrap` fails the test, as meant; clippy.toml's `allow-unwrap-in-tests` does not cover
// the helpers outside `#[test]` functions.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use police_api::server::Limits;
use police_index::reference::{crime_category, crime_category_code_for_csv_name};
use police_tests::fixtures::{csv_records, import};
use police_tests::geometry::{inside_polygon, poly_param, within_a_mile};
use police_tests::http::TestServer;
use police_tests::{skip_without_shared_data, test_database};
use serde_json::{json, Value};

/// One street CSV row with coordinates, as the API should show it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Row {
    category: String,
    persistent_id: String,
    latitude: String,
    longitude: String,
    street: String,
}

fn located_street_rows(path: &Path) -> Vec<(f64, f64, Row)> {
    csv_records(path)
        .into_iter()
        .filter(|r| !r[4].is_empty())
        .map(|r| {
            let (lng, lat): (f64, f64) = (r[4].parse().unwrap(), r[5].parse().unwrap());
            let category = crime_category(crime_category_code_for_csv_name(&r[9]).unwrap()).slug;
            let row = Row {
                category: category.to_owned(),
                persistent_id: r[0].to_owned(),
                latitude: format!("{lat:.6}"),
                longitude: format!("{lng:.6}"),
                street: r[6].to_owned(),
            };
            (lat, lng, row)
        })
        .collect()
}

fn api_rows(body: &serde_json::Value) -> Vec<Row> {
    let mut rows: Vec<Row> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Row {
            category: c["category"].as_str().unwrap().to_owned(),
            persistent_id: c["persistent_id"].as_str().unwrap().to_owned(),
            latitude: c["location"]["latitude"].as_str().unwrap().to_owned(),
            longitude: c["location"]["longitude"].as_str().unwrap().to_owned(),
            street: c["location"]["street"]["name"].as_str().unwrap().to_owned(),
        })
        .collect();
    rows.sort();
    rows
}

/// The City of London and Surrey files, imported; `None` (test skipped) without the data.
fn import_real_files() -> Option<(police_tests::TestDatabase, PathBuf)> {
    let data = skip_without_shared_data!(None);
    let mut files = Vec::new();
    for month in std::fs::read_dir(&data).unwrap() {
        let month = month.unwrap().path();
        if !month.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&month).unwrap() {
            let file = file.unwrap().path();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with("-city-of-london-street.csv")
                || name.ends_with("-city-of-london-outcomes.csv")
                || name.ends_with("-surrey-street.csv")
            {
                files.push(file);
            }
        }
    }
    let db = test_database();
    let summary = import(&db, &files);
    assert_eq!(summary.problems(), 0);
    assert_eq!(summary.imported(), files.len());
    Some((db, data))
}

// Vertices with 7 decimals: no 6-decimal snap point lies on an edge.
const BANK: [(f64, f64); 4] = [
    (51.5101234, -0.0950123),
    (51.5181234, -0.0950123),
    (51.5181234, -0.0800123),
    (51.5101234, -0.0800123),
];
/// Concave: an L around the Barbican and Liverpool Street.
const CITY_L: [(f64, f64); 6] = [
    (51.5121234, -0.1000123),
    (51.5221234, -0.1000123),
    (51.5221234, -0.0750123),
    (51.5161234, -0.0750123),
    (51.5161234, -0.0900123),
    (51.5121234, -0.0900123),
];
const WHOLE_CITY: [(f64, f64); 4] = [
    (51.5001234, -0.1200123),
    (51.5301234, -0.1200123),
    (51.5301234, -0.0650123),
    (51.5001234, -0.0650123),
];
const GUILDFORD: [(f64, f64); 5] = [
    (51.2201234, -0.6100123),
    (51.2551234, -0.6000123),
    (51.2501234, -0.5400123),
    (51.2251234, -0.5300123),
    (51.2351234, -0.5750123),
];

/// Whether a latitude and longitude are inside an area.
type Inside = Box<dyn Fn(f64, f64) -> bool>;

/// (month, force, polygons, centre of a one-mile circle).
type Case<'a> = (&'a str, &'a str, Vec<&'a [(f64, f64)]>, (f64, f64));

#[test]
fn crimes_street_returns_exactly_the_csv_rows_inside_polygons_and_circles() {
    let Some((db, data)) = import_real_files() else { return };
    let server = TestServer::with_limits(&db, Limits { max_results: None, ..Limits::default() });
    let cases: Vec<Case<'_>> = vec![
        ("2016-03", "city-of-london", vec![&BANK, &CITY_L, &WHOLE_CITY], (51.5134, -0.0890)),
        ("2019-07", "city-of-london", vec![&BANK, &CITY_L], (51.5155, -0.0922)),
        ("2024-10", "city-of-london", vec![&CITY_L, &WHOLE_CITY], (51.5134, -0.0890)),
        ("2023-06", "surrey", vec![&GUILDFORD], (51.2362, -0.5704)),
        ("2024-01", "surrey", vec![&GUILDFORD], (51.3190, -0.5580)),
    ];
    for (month, force, polygons, centre) in cases {
        let rows =
            located_street_rows(&data.join(month).join(format!("{month}-{force}-street.csv")));
        for polygon in polygons {
            let mut expected: Vec<Row> = rows
                .iter()
                .filter(|(lat, lng, _)| inside_polygon(polygon, *lat, *lng))
                .map(|(_, _, row)| row.clone())
                .collect();
            expected.sort();
            assert!(!expected.is_empty(), "{month} {force}: the polygon holds data");
            let response = server.get(&format!(
                "/api/crimes-street/all-crime?poly={}&date={month}",
                poly_param(polygon)
            ));
            assert_eq!(response.status, 200, "{}", response.body);
            assert_eq!(api_rows(&response.json()), expected, "{month} {force} polygon {polygon:?}");
        }
        let mut expected: Vec<Row> = rows
            .iter()
            .filter(|(lat, lng, _)| within_a_mile(centre, *lat, *lng))
            .map(|(_, _, row)| row.clone())
            .collect();
        expected.sort();
        assert!(!expected.is_empty(), "{month} {force}: the circle holds data");
        let response = server.get(&format!(
            "/api/crimes-street/all-crime?lat={}&lng={}&date={month}",
            centre.0, centre.1
        ));
        assert_eq!(api_rows(&response.json()), expected, "{month} {force} circle at {centre:?}");

        // One category: burglary only.
        let burglaries: Vec<Row> =
            expected.iter().filter(|r| r.category == "burglary").cloned().collect();
        let response = server.get(&format!(
            "/api/crimes-street/burglary?lat={}&lng={}&date={month}",
            centre.0, centre.1
        ));
        assert_eq!(api_rows(&response.json()), burglaries, "{month} burglary");
    }
}

#[test]
fn crimes_without_location_match_the_csv_rows_without_coordinates() {
    let Some((db, data)) = import_real_files() else { return };
    let server = TestServer::start(&db);
    for (month, force) in
        [("2016-03", "city-of-london"), ("2024-10", "city-of-london"), ("2023-06", "surrey")]
    {
        let records = csv_records(&data.join(month).join(format!("{month}-{force}-street.csv")));
        let mut expected: Vec<String> =
            records.iter().filter(|r| r[4].is_empty()).map(|r| r[0].to_owned()).collect();
        expected.sort();
        let response = server.get(&format!("/api/crimes-no-location?force={force}&date={month}"));
        assert_eq!(response.status, 200);
        let body = response.json();
        let mut got: Vec<String> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                assert!(c["location"].is_null() && c["location_type"].is_null());
                c["persistent_id"].as_str().unwrap().to_owned()
            })
            .collect();
        got.sort();
        assert_eq!(got, expected, "{month} {force}");
    }
}

#[test]
fn outcomes_at_location_match_the_outcome_csv_rows_inside_the_area() {
    let Some((db, data)) = import_real_files() else { return };
    let server = TestServer::with_limits(&db, Limits { max_results: None, ..Limits::default() });
    // Crimes the store holds: every City of London street file imported.
    let mut crime_ids = HashSet::new();
    for month in std::fs::read_dir(&data).unwrap() {
        let month = month.unwrap().path();
        let name = month.file_name().unwrap().to_string_lossy().into_owned();
        let street = month.join(format!("{name}-city-of-london-street.csv"));
        if street.exists() {
            crime_ids.extend(csv_records(&street).into_iter().map(|r| r[0].to_owned()));
        }
    }
    for month in ["2016-06", "2017-03"] {
        let records =
            csv_records(&data.join(month).join(format!("{month}-city-of-london-outcomes.csv")));
        for polygon in [&BANK[..], &WHOLE_CITY[..]] {
            let mut expected: BTreeMap<String, usize> = BTreeMap::new();
            for r in records.iter().filter(|r| !r[4].is_empty() && crime_ids.contains(&r[0])) {
                let (lng, lat): (f64, f64) = (r[4].parse().unwrap(), r[5].parse().unwrap());
                if inside_polygon(polygon, lat, lng) {
                    *expected.entry(format!("{} {}", &r[0], &r[9])).or_default() += 1;
                }
            }
            assert!(!expected.is_empty());
            let response = server.get(&format!(
                "/api/outcomes-at-location?poly={}&date={month}",
                poly_param(polygon)
            ));
            assert_eq!(response.status, 200, "{}", response.body);
            let mut got: BTreeMap<String, usize> = BTreeMap::new();
            for outcome in response.json().as_array().unwrap() {
                assert_eq!(outcome["date"], month);
                let key = format!(
                    "{} {}",
                    outcome["crime"]["persistent_id"].as_str().unwrap(),
                    outcome["category"]["name"].as_str().unwrap()
                );
                *got.entry(key).or_default() += 1;
            }
            // Names are compared through the published variants, e.g. "Offender given
            // penalty notice" is served with its canonical name.
            let canonical = |map: BTreeMap<String, usize>| -> BTreeMap<String, usize> {
                map.into_iter()
                    .map(|(k, v)| {
                        (
                            k.replace(
                                "Offender given penalty notice",
                                "Offender given a penalty notice",
                            ),
                            v,
                        )
                    })
                    .collect()
            };
            assert_eq!(canonical(got), canonical(expected), "{month} polygon {polygon:?}");
        }
    }
}

#[test]
fn v2_counts_of_a_force_equal_its_street_csv_rows_per_month_and_category() {
    let Some((db, data)) = import_real_files() else { return };
    let server = TestServer::start(&db);
    // (force, month) → category slug → rows, counted as the importer accepts them: every row
    // whose crime type names a category.
    let mut expected: BTreeMap<(&str, String), BTreeMap<&str, u64>> = BTreeMap::new();
    for month in std::fs::read_dir(&data).unwrap() {
        let month = month.unwrap().path();
        let name = month.file_name().unwrap().to_string_lossy().into_owned();
        for force in ["city-of-london", "surrey"] {
            let street = month.join(format!("{name}-{force}-street.csv"));
            if !street.exists() {
                continue;
            }
            let counts = expected.entry((force, name.clone())).or_default();
            for record in csv_records(&street) {
                if let Some(code) = crime_category_code_for_csv_name(&record[9]) {
                    *counts.entry(crime_category(code).slug).or_default() += 1;
                }
            }
        }
    }
    let held: std::collections::BTreeSet<&str> =
        expected.keys().map(|(_, month)| month.as_str()).collect();
    let (first, last) = (*held.first().unwrap(), *held.last().unwrap());
    for force in ["city-of-london", "surrey"] {
        let response =
            server.get(&format!("/api/v2/crimes/counts?force={force}&from={first}&to={last}"));
        assert_eq!(response.status, 200, "{}", response.body);
        let body = response.json();
        let months = body["months"].as_array().unwrap();
        let mut total = 0;
        for answer in months {
            let month = answer["month"].as_str().unwrap();
            // A month is missing where the store lacks this force's data (the City of London
            // has gaps), even where it holds the other force's; it then names the force.
            let force_held = expected.contains_key(&(force, month.to_owned()));
            assert_eq!(answer["missing"], !force_held, "{force} {month}");
            if !force_held {
                let named = if held.contains(month) { json!([force]) } else { Value::Null };
                assert_eq!(answer["missing_forces"], named, "{force} {month}");
                continue;
            }
            let want = expected.get(&(force, month.to_owned())).cloned().unwrap_or_default();
            let got: BTreeMap<&str, u64> = answer["counts"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, n)| n.as_u64() != Some(0))
                .map(|(slug, n)| (slug.as_str(), n.as_u64().unwrap()))
                .collect();
            assert_eq!(got, want, "{force} {month}");
            total += want.values().sum::<u64>();
        }
        assert!(total > 0, "{force} has crimes");
        assert_eq!(body["total"], total, "{force}");
    }

    // Circles and polygons over the whole span, across the City of London's gaps: each
    // month's located rows inside, of every street file; a month is missing where none of
    // the area's forces (those of the rows counted) has a file.
    let mut located: BTreeMap<String, Vec<(f64, f64, &str)>> = BTreeMap::new();
    for (force, month) in expected.keys() {
        let path = data.join(month).join(format!("{month}-{force}-street.csv"));
        let rows = located.entry(month.clone()).or_default();
        rows.extend(located_street_rows(&path).into_iter().map(|(lat, lng, _)| (lat, lng, *force)));
    }
    let centre = (51.5134, -0.0890);
    let areas: Vec<(String, Inside)> = vec![
        (
            format!("lat={}&lng={}", centre.0, centre.1),
            Box::new(move |lat, lng| within_a_mile(centre, lat, lng)),
        ),
        (
            format!("poly={}", poly_param(&CITY_L)),
            Box::new(|lat, lng| inside_polygon(&CITY_L, lat, lng)),
        ),
        (
            format!("poly={}", poly_param(&GUILDFORD)),
            Box::new(|lat, lng| inside_polygon(&GUILDFORD, lat, lng)),
        ),
    ];
    for (query, inside) in &areas {
        let area_forces: std::collections::BTreeSet<&str> = located
            .values()
            .flatten()
            .filter(|(lat, lng, _)| inside(*lat, *lng))
            .map(|(_, _, force)| *force)
            .collect();
        assert!(!area_forces.is_empty(), "{query} holds crimes");
        let response = server.get(&format!("/api/v2/crimes/counts?{query}&from={first}&to={last}"));
        assert_eq!(response.status, 200, "{query}: {}", response.body);
        let body = response.json();
        let mut total = 0;
        for answer in body["months"].as_array().unwrap() {
            let month = answer["month"].as_str().unwrap();
            let month_forces: std::collections::BTreeSet<&str> =
                expected.keys().filter(|(_, m)| m == month).map(|(force, _)| *force).collect();
            let missing_forces: Vec<&str> =
                area_forces.difference(&month_forces).copied().collect();
            let all_missing = month_forces.is_empty() || missing_forces.len() == area_forces.len();
            assert_eq!(answer["missing"], all_missing, "{query} {month}");
            if month_forces.is_empty() {
                assert_eq!(answer["missing_forces"], Value::Null, "{query} {month}");
                continue;
            }
            if missing_forces.is_empty() {
                assert_eq!(answer["missing_forces"], Value::Null, "{query} {month}");
            } else {
                assert_eq!(answer["missing_forces"], json!(missing_forces), "{query} {month}");
            }
            if all_missing {
                continue;
            }
            let want = located
                .get(month)
                .map_or(0, |rows| rows.iter().filter(|(lat, lng, _)| inside(*lat, *lng)).count());
            assert_eq!(answer["total"], want, "{query} {month}");
            total += want;
        }
        assert!(total > 0);
        assert_eq!(body["total"], total, "{query}");
    }

    // LSOAs: the rows naming each, located or not, over the whole span. The busiest LSOAs of
    // each force, and one with few rows.
    let mut by_lsoa: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for month in std::fs::read_dir(&data).unwrap() {
        let month = month.unwrap().path();
        let name = month.file_name().unwrap().to_string_lossy().into_owned();
        for force in ["city-of-london", "surrey"] {
            let street = month.join(format!("{name}-{force}-street.csv"));
            if !street.exists() {
                continue;
            }
            for record in csv_records(&street) {
                if record[7].is_empty() || crime_category_code_for_csv_name(&record[9]).is_none() {
                    continue;
                }
                *by_lsoa
                    .entry(record[7].to_owned())
                    .or_default()
                    .entry(name.clone())
                    .or_default() += 1;
            }
        }
    }
    let mut busiest: Vec<(&String, u64)> =
        by_lsoa.iter().map(|(code, months)| (code, months.values().sum())).collect();
    busiest.sort_by_key(|&(code, n)| (std::cmp::Reverse(n), code.clone()));
    let mut chosen: Vec<&String> = busiest.iter().take(3).map(|(code, _)| *code).collect();
    chosen.extend(busiest.iter().rev().take(2).map(|(code, _)| *code));
    for code in chosen {
        let response =
            server.get(&format!("/api/v2/crimes/counts?lsoa={code}&from={first}&to={last}"));
        assert_eq!(response.status, 200, "{code}: {}", response.body);
        let body = response.json();
        let want = &by_lsoa[code];
        for answer in body["months"].as_array().unwrap() {
            let month = answer["month"].as_str().unwrap();
            if answer["missing"] == true {
                assert!(!want.contains_key(month), "{code} {month} has rows but is missing");
                continue;
            }
            assert_eq!(answer["total"], want.get(month).copied().unwrap_or(0), "{code} {month}");
        }
        assert_eq!(body["total"], want.values().sum::<u64>(), "{code}");
    }
}
