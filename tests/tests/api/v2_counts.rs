//! `/api/v2/crimes/counts` over real HTTP: the answer for circles, polygons, forces and the
//! whole country equals a brute-force count of the CSV rows this test wrote (with this
//! crate's own haversine and point-in-polygon), a month without data is `missing`, a month
//! held without crimes in the area counts zeros; and the error table.

use std::collections::BTreeSet;

use police_generate::rng::Rng;
use police_index::reference::{crime_category_code_for_csv_name, CRIME_CATEGORIES};
use police_tests::fixtures::{
    force_name, hex_id, import_cleanly, write, write_file, STREET_HEADER,
};
use police_tests::geometry::{haversine_m, inside_polygon, poly_param, ONE_MILE_M};
use police_tests::http::{assert_error, assert_json, TestServer};
use police_tests::test_database;
use serde_json::{json, Map, Value};

const LEICESTER: (f64, f64) = (52.6297, -1.1316);
const NOTTINGHAM: (f64, f64) = (52.9536, -1.1505);
/// Crime types as the CSVs write them, police.uk's current categories.
const CRIME_TYPES: [&str; 14] = [
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
    "Other crime",
];

/// One street row as written: month, force, coordinates (none for "No Location"), slug.
#[derive(Debug, Clone)]
struct Row {
    month: &'static str,
    force: &'static str,
    place: Option<(f64, f64)>,
    slug: &'static str,
    lsoa: &'static str,
}

/// LSOA codes and names the rows are given: several per snap point.
const LSOAS: [(&str, &str); 3] = [
    ("E01013000", "Leicester 001A"),
    ("E01013001", "Leicester 001B"),
    ("E01025000", "Nottingham 002C"),
];

/// Neighbourhood NC04 of Leicestershire: a box with a box-shaped hole, and a second part.
/// Edges have 7 decimals, so that no 6-decimal crime place lies on one.
const NC04_OUTER: [(f64, f64); 4] = [
    (52.6000005, -1.1600005),
    (52.6000005, -1.1000005),
    (52.6600005, -1.1000005),
    (52.6600005, -1.1600005),
];
const NC04_HOLE: [(f64, f64); 4] = [
    (52.6200005, -1.1400005),
    (52.6200005, -1.1200005),
    (52.6400005, -1.1200005),
    (52.6400005, -1.1400005),
];
const NC04_PART: [(f64, f64); 4] = [
    (52.6700005, -1.1000005),
    (52.6700005, -1.0500005),
    (52.6800005, -1.0500005),
    (52.6800005, -1.1000005),
];

fn in_nc04(lat: f64, lng: f64) -> bool {
    (inside_polygon(&NC04_OUTER, lat, lng) && !inside_polygon(&NC04_HOLE, lat, lng))
        || inside_polygon(&NC04_PART, lat, lng)
}

/// `(lat, lng)` corners → GeoJSON or KML positions, closed.
fn positions(ring: &[(f64, f64)], format: impl Fn(f64, f64) -> String) -> Vec<String> {
    ring.iter().chain(ring.first()).map(|&(lat, lng)| format(lat, lng)).collect()
}

fn nc04_kml() -> String {
    let ring = |r: &[(f64, f64)]| {
        format!(
            "<LinearRing><coordinates>{}</coordinates></LinearRing>",
            positions(r, |lat, lng| format!("{lng},{lat},0")).join(" ")
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n\
         <Document>\n<Placemark>\n<name>NC04</name>\n<MultiGeometry>\
         <Polygon><outerBoundaryIs>{}</outerBoundaryIs><innerBoundaryIs>{}</innerBoundaryIs></Polygon>\
         <Polygon><outerBoundaryIs>{}</outerBoundaryIs></Polygon>\
         </MultiGeometry>\n</Placemark>\n</Document>\n</kml>\n",
        ring(&NC04_OUTER),
        ring(&NC04_HOLE),
        ring(&NC04_PART)
    )
}

/// Four more neighbourhoods of Leicestershire: boxes around Leicester, of several sizes.
fn boxes() -> Vec<(&'static str, [(f64, f64); 4])> {
    let corners = |lat0: f64, lng0: f64, lat1: f64, lng1: f64| {
        [(lat0, lng0), (lat0, lng1), (lat1, lng1), (lat1, lng0)]
    };
    vec![
        ("NC10", corners(52.5800005, -1.2100005, 52.6000005, -1.1600005)),
        ("NC11", corners(52.6000005, -1.2100005, 52.6600005, -1.1600005)),
        ("NC12", corners(52.6600005, -1.2100005, 52.6800005, -1.1000005)),
        ("NC13", corners(52.5800005, -1.1600005, 52.6000005, -1.0500005)),
    ]
}

fn box_kml(id: &str, ring: &[(f64, f64)]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n\
         <Document>\n<Placemark>\n<name>{id}</name>\n<Polygon><outerBoundaryIs><LinearRing><coordinates>{}\
         </coordinates></LinearRing></outerBoundaryIs></Polygon>\n</Placemark>\n</Document>\n</kml>\n",
        positions(ring, |lat, lng| format!("{lng},{lat},0")).join(" ")
    )
}

/// A box's size in km², as the test reckons it: its sides on a sphere of the server's radius.
fn box_km2(ring: &[(f64, f64); 4]) -> f64 {
    let degree_km = 6_371_008.8 * std::f64::consts::PI / 180.0 / 1000.0;
    let (lat0, lng0, lat1, lng1) = (ring[0].0, ring[0].1, ring[2].0, ring[2].1);
    (lat1 - lat0) * degree_km * (lng1 - lng0) * degree_km * ((lat0 + lat1) / 2.0).to_radians().cos()
}

fn nc04_geojson() -> String {
    let ring = |r: &[(f64, f64)]| {
        format!("[{}]", positions(r, |lat, lng| format!("[{lng},{lat}]")).join(","))
    };
    format!(
        r#"{{"type":"MultiPolygon","coordinates":[[{},{}],[{}]]}}"#,
        ring(&NC04_OUTER),
        ring(&NC04_HOLE),
        ring(&NC04_PART)
    )
}

/// Writes and imports the data: Leicestershire in 2024-01 and 2024-04, Nottinghamshire in
/// 2024-01, 2024-02 and 2024-04, nothing in 2024-03; and the boundary of Leicestershire's
/// neighbourhood NC04. Places are shared by several rows (snap points), coordinates have 6
/// decimals, one row in ten has no location, LSOAs vary within a place.
fn generated(db: &police_tests::TestDatabase) -> (tempfile::TempDir, Vec<Row>) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(2024);
    let places = |centre: (f64, f64), rng: &mut Rng| -> Vec<(f64, f64)> {
        (0..150)
            .map(|_| {
                let lat = centre.0 + rng.range(-0.05, 0.05);
                let lng = centre.1 + rng.range(-0.08, 0.08);
                ((lat * 1e6).round() / 1e6, (lng * 1e6).round() / 1e6)
            })
            .collect()
    };
    let leicester = places(LEICESTER, &mut rng);
    let nottingham = places(NOTTINGHAM, &mut rng);
    let files: [(&'static str, &'static str, usize); 5] = [
        ("2024-01", "leicestershire", 400),
        ("2024-01", "nottinghamshire", 120),
        ("2024-02", "nottinghamshire", 80),
        ("2024-04", "leicestershire", 250),
        ("2024-04", "nottinghamshire", 60),
    ];
    let mut rows = Vec::new();
    let mut id = 0;
    for (month, force, count) in files {
        let towns = if force == "leicestershire" { &leicester } else { &nottingham };
        let by = force_name(force);
        let mut text = format!("{STREET_HEADER}\n");
        for _ in 0..count {
            id += 1;
            let crime_type = CRIME_TYPES[rng.index(CRIME_TYPES.len())];
            let place = (!rng.chance(0.1)).then(|| towns[rng.index(towns.len())]);
            let crime_id =
                if crime_type == "Anti-social behaviour" { String::new() } else { hex_id(id) };
            let (lng, lat, name) = match place {
                Some((lat, lng)) => {
                    (format!("{lng:.6}"), format!("{lat:.6}"), format!("On or near {lat:.6}"))
                }
                None => (String::new(), String::new(), "No Location".to_owned()),
            };
            let (lsoa, lsoa_name) = LSOAS[rng.index(LSOAS.len())];
            text.push_str(&format!(
                "{crime_id},{month},{by},{by},{lng},{lat},{name},{lsoa},{lsoa_name},{crime_type},,\n"
            ));
            let code = crime_category_code_for_csv_name(crime_type).unwrap();
            let slug = CRIME_CATEGORIES[code as usize].slug;
            rows.push(Row { month, force, place, slug, lsoa });
        }
        write_file(dir.path(), month, force, "street", text);
    }
    write(dir.path(), "boundaries/2024-05/leicestershire/NC04.kml", nc04_kml());
    for (id, ring) in boxes() {
        write(
            dir.path(),
            &format!("boundaries/2024-05/leicestershire/{id}.kml"),
            box_kml(id, &ring),
        );
    }
    import_cleanly(db, &[dir.path().to_owned()]);
    (dir, rows)
}

/// The answer the route should give, counted from `rows`: `months` is the period, `inside`
/// says which rows the area holds. The area's forces are those of the rows counted in the
/// period; a month with none of their data is missing, one with some of it lists the others.
fn expected(
    rows: &[Row],
    area: Value,
    months: &[&str],
    categories: &[&str],
    inside: impl Fn(&Row) -> bool,
) -> Value {
    let area_forces: BTreeSet<&str> =
        rows.iter().filter(|r| months.contains(&r.month) && inside(r)).map(|r| r.force).collect();
    expected_with_forces(rows, area, months, categories, inside, area_forces)
}

/// [`expected`] for an area whose forces are given.
fn expected_with_forces(
    rows: &[Row],
    area: Value,
    months: &[&str],
    categories: &[&str],
    inside: impl Fn(&Row) -> bool,
    area_forces: BTreeSet<&str>,
) -> Value {
    let held: BTreeSet<&str> = rows.iter().map(|r| r.month).collect();
    let mut totals = vec![0u64; categories.len()];
    let month_answers: Vec<Value> = months
        .iter()
        .map(|&month| {
            if !held.contains(month) {
                return json!({"month": month, "missing": true});
            }
            let month_forces: BTreeSet<&str> =
                rows.iter().filter(|r| r.month == month).map(|r| r.force).collect();
            let missing_forces: Vec<&str> =
                area_forces.difference(&month_forces).copied().collect();
            if !area_forces.is_empty() && missing_forces.len() == area_forces.len() {
                return json!({"month": month, "missing": true, "missing_forces": missing_forces});
            }
            let counts: Vec<u64> = categories
                .iter()
                .map(|slug| {
                    rows.iter().filter(|r| r.month == month && r.slug == *slug && inside(r)).count()
                        as u64
                })
                .collect();
            for (total, n) in totals.iter_mut().zip(&counts) {
                *total += n;
            }
            let mut answer = json!({"month": month, "missing": false});
            if !missing_forces.is_empty() {
                answer["missing_forces"] = json!(missing_forces);
            }
            answer["counts"] = by_slug(categories, &counts);
            answer["total"] = json!(counts.iter().sum::<u64>());
            answer
        })
        .collect();
    json!({
        "area": area,
        "from": months[0],
        "to": months[months.len() - 1],
        "categories": categories,
        "months": month_answers,
        "totals": by_slug(categories, &totals),
        "total": totals.iter().sum::<u64>(),
    })
}

fn by_slug(categories: &[&str], counts: &[u64]) -> Value {
    let map: Map<String, Value> =
        categories.iter().zip(counts).map(|(slug, n)| (slug.to_string(), json!(n))).collect();
    Value::Object(map)
}

fn every_slug() -> Vec<&'static str> {
    CRIME_CATEGORIES.iter().map(|c| c.slug).collect()
}

/// `GET path` as JSON, checked to be compact with police.uk's category order in `counts`.
fn counts(server: &TestServer, path: &str) -> Value {
    let response = server.get(path);
    let answer = assert_json(&response);
    assert!(response.body.starts_with("{\"area\":{\"type\":"), "{}", response.body);
    assert!(!response.body.contains(": ") && !response.body.contains(", "), "{}", response.body);
    // Key order on the wire: the slugs of each month's counts in the order of `categories`.
    let categories: Vec<&str> =
        answer["categories"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for (counts_at, _) in response.body.match_indices("\"counts\":{") {
        let counts = &response.body[counts_at + 10..];
        let counts = &counts[..counts.find('}').unwrap()];
        let keys: Vec<&str> = counts
            .split(',')
            .map(|pair| pair.split(':').next().unwrap().trim_matches('"'))
            .collect();
        assert_eq!(keys, categories, "counts in the order of categories");
    }
    answer
}

#[test]
fn counts_equal_a_brute_force_count_of_the_rows() {
    let db = test_database();
    let (_dir, rows) = generated(&db);
    let server = TestServer::start(&db);
    let all = every_slug();

    // A 3 km circle, from a month before the data to one after it: 2023-12, 2024-03 and
    // 2024-05 are missing; 2024-02 is held (Nottinghamshire) but not for Leicestershire,
    // the circle's force: missing too.
    let (lat, lng) = LEICESTER;
    let months = ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05"];
    let got = counts(
        &server,
        &format!("/api/v2/crimes/counts?lat={lat}&lng={lng}&radius=3000&from=2023-12&to=2024-05"),
    );
    let within = |r: &Row| r.place.is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= 3000.0);
    let want = expected(
        &rows,
        json!({"type": "circle", "lat": lat, "lng": lng, "radius": 3000.0}),
        &months,
        &all,
        within,
    );
    assert_eq!(got, want);
    assert!(got["total"].as_u64().unwrap() > 0);
    assert_eq!(
        got["months"][2],
        json!({"month": "2024-02", "missing": true, "missing_forces": ["leicestershire"]}),
        "2024-02 is held, but not for Leicestershire"
    );
    assert_eq!(got["months"][3], json!({"month": "2024-03", "missing": true}));

    // Default period (the year to 2024-04) and radius (one mile), two categories given out of
    // order and repeated.
    let period: Vec<String> = (5..=16)
        .map(|m| if m <= 12 { format!("2023-{m:02}") } else { format!("2024-{:02}", m - 12) })
        .collect();
    let period: Vec<&str> = period.iter().map(String::as_str).collect();
    let got = counts(
        &server,
        &format!("/api/v2/crimes/counts?lat={lat}&lng={lng}&category=drugs,burglary,drugs"),
    );
    let mile = |r: &Row| r.place.is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= ONE_MILE_M);
    let want = expected(
        &rows,
        json!({"type": "circle", "lat": lat, "lng": lng, "radius": ONE_MILE_M}),
        &period,
        &["burglary", "drugs"],
        mile,
    );
    assert_eq!(got, want);

    // A concave polygon over part of Leicester.
    let polygon = [(52.60, -1.20), (52.68, -1.20), (52.68, -1.05), (52.64, -1.12), (52.60, -1.05)];
    let poly = poly_param(&polygon);
    let got = counts(
        &server,
        &format!("/api/v2/crimes/counts?poly={poly}&from=2024-01&to=2024-04&category=all-crime"),
    );
    let want = expected(
        &rows,
        json!({"type": "polygon", "poly": poly}),
        &months[1..5],
        &all,
        |r: &Row| r.place.is_some_and(|(a, b)| inside_polygon(&polygon, a, b)),
    );
    assert_eq!(got, want);
    assert!(got["total"].as_u64().unwrap() > 0);

    // Forces count their crimes without a location too; a force without data counts zeros.
    for (force, category) in [
        ("leicestershire", None),
        ("nottinghamshire", Some("anti-social-behaviour")),
        ("kent", None),
    ] {
        let query = category.map(|c| format!("&category={c}")).unwrap_or_default();
        let got = counts(
            &server,
            &format!("/api/v2/crimes/counts?force={force}&from=2024-01&to=2024-04{query}"),
        );
        let categories = category.map_or(all.clone(), |c| vec![c]);
        // A force's months are missing where it has no data, though other forces have some.
        let forces = rows.iter().map(|r| r.force).filter(|f| *f == force).take(1).collect();
        let want = expected_with_forces(
            &rows,
            json!({"type": "force", "force": force}),
            &months[1..5],
            &categories,
            |r: &Row| r.force == force,
            forces,
        );
        assert_eq!(got, want, "{force}");
    }
    let leicestershire: u64 = rows.iter().filter(|r| r.force == "leicestershire").count() as u64;
    let got = counts(&server, "/api/v2/crimes/counts?force=leicestershire&from=2024-01&to=2024-04");
    assert_eq!(got["total"], leicestershire, "located or not");

    // The whole country: every row.
    let got = counts(&server, "/api/v2/crimes/counts?from=2024-01&to=2024-04");
    let want = expected(&rows, json!({"type": "national"}), &months[1..5], &all, |_| true);
    assert_eq!(got, want);
    assert_eq!(got["total"], rows.len() as u64);
}

#[test]
fn counts_errors_name_the_parameter() {
    let db = test_database();
    let (_dir, _rows) = generated(&db);
    let server = TestServer::start(&db);
    let cases: &[(&str, &str)] = &[
        ("poly=52.6,-1.2:52.7,-1.2:52.7,-1.1&force=leicestershire", "poly and force"),
        ("lat=52.6&lng=-1.1&poly=52.6,-1.2:52.7,-1.2:52.7,-1.1", "lat/lng and poly"),
        ("lat=52.6", "lng"),
        ("lat=north&lng=-1.1", "lat"),
        ("radius=500", "radius"),
        ("lat=52.6&lng=-1.1&radius=0", "radius"),
        ("lat=52.6&lng=-1.1&radius=20001", "radius"),
        ("lat=52.6&lng=-1.1&radius=far", "radius"),
        ("poly=52.6,-1.2:52.7,-1.2", "poly"),
        ("from=2024-1", "from"),
        ("to=January", "to"),
        ("from=2024-04&to=2024-01", "from (2024-04) is after to (2024-01)"),
        (
            "from=1990-01&to=2040-01",
            "from 1990-01 to 2040-01 is 601 months; a period is at most 600",
        ),
        ("category=nonsense", "category"),
        ("category=burglary,,drugs", "category"),
    ];
    for (query, names) in cases {
        let response = server.get(&format!("/api/v2/crimes/counts?{query}"));
        assert_error(&response, 400);
        assert!(response.body.contains(names), "{query}: {}", response.body);
    }
    let response = server.get("/api/v2/crimes/counts?force=atlantis");
    assert_error(&response, 404);
    assert!(response.body.contains("atlantis"), "{}", response.body);
    // A radius of exactly 20 km is allowed.
    let response = server.get("/api/v2/crimes/counts?lat=52.6&lng=-1.1&radius=20000");
    assert_json(&response);
}

#[test]
fn lsoas_neighbourhoods_and_geojson_bodies_count_their_crimes() {
    let db = test_database();
    let (_dir, rows) = generated(&db);
    let server = TestServer::start(&db);
    let all = every_slug();
    let months = ["2024-01", "2024-02", "2024-03", "2024-04"];

    // An LSOA counts its rows, located or not, whichever snap point they are at; the code is
    // read in any case.
    for (code, name) in LSOAS {
        let got = counts(
            &server,
            &format!("/api/v2/crimes/counts?lsoa={}&from=2024-01&to=2024-04", code.to_lowercase()),
        );
        let want = expected(
            &rows,
            json!({"type": "lsoa", "lsoa": code, "name": name}),
            &months,
            &all,
            |r: &Row| r.lsoa == code,
        );
        assert_eq!(got, want, "{code}");
        assert!(got["total"].as_u64().unwrap() > 0);
    }
    let response = server.get("/api/v2/crimes/counts?lsoa=E01999999");
    assert_error(&response, 404);

    // A neighbourhood counts the crimes mapped inside its boundary: not in its hole, in
    // both of its parts.
    let got = counts(
        &server,
        "/api/v2/crimes/counts?force=leicestershire&neighbourhood=NC04&from=2024-01&to=2024-04",
    );
    let inside = |r: &Row| r.place.is_some_and(|(lat, lng)| in_nc04(lat, lng));
    let want = expected(
        &rows,
        json!({"type": "neighbourhood", "force": "leicestershire", "neighbourhood": "NC04"}),
        &months,
        &all,
        inside,
    );
    assert_eq!(got, want);
    let in_hole =
        rows.iter().filter(|r| r.place.is_some_and(|(a, b)| inside_polygon(&NC04_HOLE, a, b)));
    assert!(in_hole.count() > 0, "the hole has crimes, left out");
    assert!(got["total"].as_u64().unwrap() > 0);
    for (query, status) in [
        ("force=leicestershire&neighbourhood=NC99", 404),
        ("force=kent&neighbourhood=NC04", 404),
        ("neighbourhood=NC04", 400),
    ] {
        let response = server.get(&format!("/api/v2/crimes/counts?{query}"));
        assert_error(&response, status);
        assert!(response.body.contains("neighbourhood"), "{query}: {}", response.body);
    }

    // The same region as a GeoJSON body.
    let response = server.post(
        "/api/v2/crimes/counts?from=2024-01&to=2024-04",
        "application/geo+json",
        nc04_geojson().as_bytes(),
    );
    let mut got = assert_json(&response);
    assert_eq!(got["area"], json!({"type": "geojson"}));
    got["area"] = want["area"].clone();
    assert_eq!(got, want);
    let response = server.post(
        "/api/v2/crimes/counts?force=kent",
        "application/json",
        nc04_geojson().as_bytes(),
    );
    assert_error(&response, 400);
    assert!(response.body.contains("force"), "{}", response.body);
    let response =
        server.post("/api/v2/crimes/counts", "application/json", b"{\"type\":\"Point\"}");
    assert_error(&response, 400);
    assert!(response.body.contains("GeoJSON body"), "{}", response.body);
}

#[test]
fn baselines_compare_monthly_means_and_groups_expand() {
    let db = test_database();
    let (_dir, rows) = generated(&db);
    let server = TestServer::start(&db);

    // Nottinghamshire's 2024-04 against 2024-01 to 2024-03, of which 2024-03 is missing.
    let got = counts(
        &server,
        "/api/v2/crimes/counts?force=nottinghamshire&from=2024-04&to=2024-04\
         &baseline_from=2024-01&baseline_to=2024-03&category=violence",
    );
    assert_eq!(got["categories"], json!(["robbery", "violent-crime"]));
    let count = |month: &str, slug: &str| {
        rows.iter()
            .filter(|r| r.force == "nottinghamshire" && r.month == month && r.slug == slug)
            .count() as f64
    };
    let round = |x: f64, places: i32| (x * 10f64.powi(places)).round() / 10f64.powi(places);
    let mut expected_entries = Vec::new();
    let mut sums = (0.0, 0.0);
    for slug in ["robbery", "violent-crime"] {
        let before = (count("2024-01", slug) + count("2024-02", slug)) / 2.0;
        let after = count("2024-04", slug);
        sums = (sums.0 + before, sums.1 + after);
        expected_entries.push((slug, before, after));
    }
    expected_entries.push(("all", sums.0, sums.1));
    let entries: Vec<Value> = expected_entries
        .iter()
        .map(|&(slug, before, after)| {
            let change = if before > 0.0 {
                json!(round(100.0 * (after - before) / before, 1))
            } else {
                Value::Null
            };
            json!({
                "category": slug,
                "baseline_mean": round(before, 2),
                "period_mean": round(after, 2),
                "change_percent": change,
            })
        })
        .collect();
    assert_eq!(
        got["baseline"],
        json!({
            "from": "2024-01",
            "to": "2024-03",
            "months_held": 2,
            "period_months_held": 1,
            "categories": entries,
        })
    );
    let response = server.get("/api/v2/crimes/counts?baseline_from=2024-01");
    assert_error(&response, 400);
    assert!(response.body.contains("baseline_to"), "{}", response.body);

    // The groups, listed; and each one expands to its categories.
    let groups = assert_json(&server.get("/api/v2/crime-category-groups"));
    let listed: Vec<Value> = police_index::reference::CATEGORY_GROUPS
        .iter()
        .map(|g| json!({"id": g.id, "name": g.name, "categories": g.categories, "notes": g.notes}))
        .collect();
    assert_eq!(groups, Value::Array(listed));
    for group in groups.as_array().unwrap() {
        let id = group["id"].as_str().unwrap();
        let got = counts(
            &server,
            &format!("/api/v2/crimes/counts?category={id}&from=2024-01&to=2024-04"),
        );
        assert_eq!(got["categories"], group["categories"], "{id}");
    }
}

#[test]
fn compare_puts_areas_side_by_side_with_density_bands() {
    let db = test_database();
    let (_dir, rows) = generated(&db);
    let server = TestServer::start(&db);
    let (lat, lng) = LEICESTER;
    let period = "from=2024-01&to=2024-04&category=burglary,robbery,violent-crime";
    let got = assert_json(&server.get(&format!(
        "/api/v2/crimes/compare?area=neighbourhood:leicestershire/NC04&area=force:leicestershire\
         &area=lsoa:E01013001&area=circle:{lat},{lng},2000&area=neighbourhood:leicestershire/NC12\
         &area=national&{period}"
    )));
    assert_eq!(got["categories"], json!(["burglary", "robbery", "violent-crime"]));
    let areas = got["areas"].as_array().unwrap();
    assert_eq!(areas.len(), 6);
    // Each area's months and totals are what /counts answers for it.
    for (k, query) in [
        "force=leicestershire&neighbourhood=NC04",
        "force=leicestershire",
        "lsoa=E01013001",
        &format!("lat={lat}&lng={lng}&radius=2000"),
        "force=leicestershire&neighbourhood=NC12",
        "",
    ]
    .iter()
    .enumerate()
    {
        let counted = counts(&server, &format!("/api/v2/crimes/counts?{query}&{period}"));
        for field in ["area", "months", "totals", "total"] {
            assert_eq!(areas[k][field], counted[field], "{query} {field}");
        }
    }
    // Sizes: the circle's π r², NC04's boxes less its hole; none for an LSOA or the country.
    let close = |got: &Value, want: f64| {
        let got = got.as_f64().unwrap();
        assert!((got - want).abs() <= 0.002 + want * 1e-3, "{got} vs {want}");
    };
    close(&areas[3]["km2"], std::f64::consts::PI * 4.0);
    let nc04_km2 = box_km2(&NC04_OUTER) - box_km2(&NC04_HOLE) + box_km2(&NC04_PART);
    close(&areas[0]["km2"], nc04_km2);
    let all_km2 = nc04_km2 + boxes().iter().map(|(_, ring)| box_km2(ring)).sum::<f64>();
    close(&areas[1]["km2"], all_km2);
    assert_eq!(areas[2]["km2"], Value::Null);
    assert_eq!(areas[2]["per_km2"], Value::Null);
    assert_eq!(areas[5]["km2"], Value::Null);
    let per_km2 = areas[0]["total"].as_f64().unwrap() / areas[0]["km2"].as_f64().unwrap();
    close(&areas[0]["per_km2"], per_km2);

    // Bands among Leicestershire's five neighbourhoods, from a brute-force count.
    let slugs = ["burglary", "robbery", "violent-crime"];
    let counted = |inside: &dyn Fn(f64, f64) -> bool| {
        rows.iter()
            .filter(|r| slugs.contains(&r.slug))
            .filter(|r| r.place.is_some_and(|(a, b)| inside(a, b)))
            .count() as f64
    };
    let mut densities: Vec<(&str, f64)> = vec![("NC04", counted(&in_nc04) / nc04_km2)];
    for (id, ring) in boxes() {
        let inside = move |a: f64, b: f64| inside_polygon(&ring, a, b);
        densities.push((id, counted(&inside) / box_km2(&ring)));
    }
    let band_of = |id: &str| {
        let mine = densities.iter().find(|(n, _)| *n == id).unwrap().1;
        let lower = densities.iter().filter(|(_, d)| *d < mine).count();
        let higher = densities.iter().filter(|(_, d)| *d > mine).count();
        let names = ["Low", "Below average", "Average", "Above average", "High"];
        json!({"band": names[5 * lower / densities.len()], "rank": higher + 1, "of": 5})
    };
    assert_eq!(areas[0]["band"], band_of("NC04"));
    assert_eq!(areas[4]["band"], band_of("NC12"));
    assert!(areas[1].get("band").is_none(), "only neighbourhoods have a band");
    let bands: BTreeSet<String> = ["NC04", "NC10", "NC11", "NC12", "NC13"]
        .iter()
        .map(|id| band_of(id)["band"].to_string())
        .collect();
    assert!(bands.len() >= 3, "the data spreads the neighbourhoods over bands: {bands:?}");

    // Errors name the area.
    let many = vec!["area=national"; 21].join("&");
    for (query, status, says) in [
        ("", 400, "1 to 20"),
        (many.as_str(), 400, "1 to 20"),
        ("area=national&area=town:leicester", 400, "area 2"),
        ("area=neighbourhood:leicestershire", 400, "FORCE/ID"),
        ("area=circle:52.6", 400, "LAT,LNG"),
        ("area=circle:52.6,-1.1,99999", 400, "radius"),
        ("area=force:atlantis", 404, "area 1"),
        ("area=neighbourhood:leicestershire/NC99", 404, "NC99"),
        ("area=lsoa:E01999999", 404, "E01999999"),
        ("area=national&category=nonsense", 400, "category"),
    ] {
        let response = server.get(&format!("/api/v2/crimes/compare?{query}"));
        assert_error(&response, status);
        assert!(response.body.contains(says), "{query}: {}", response.body);
    }
}
