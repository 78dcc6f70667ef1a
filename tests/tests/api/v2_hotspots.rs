//! `/api/v2/crimes/hotspots` over real HTTP: the busiest snap points and the grid cells of
//! circles, polygons, forces and the whole country equal a brute-force tally of the CSV rows
//! (written here, and the real police.uk files where present), with this crate's own
//! haversine and point-in-polygon; ordering, `limit`, the grid's bounds and cap, and the
//! error table.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use police_generate::rng::Rng;
use police_index::reference::{crime_category, crime_category_code_for_csv_name};
use police_tests::fixtures::{
    csv_records, force_name, hex_id, import, import_cleanly, write_file, STREET_HEADER,
};
use police_tests::geometry::{haversine_m, inside_polygon, poly_param, within_a_mile};
use police_tests::http::{assert_error, assert_json, get_json, TestServer};
use police_tests::{skip_without_shared_data, test_database};
use serde_json::{json, Value};

const LEICESTER: (f64, f64) = (52.6297, -1.1316);
const NOTTINGHAM: (f64, f64) = (52.9536, -1.1505);
const CRIME_TYPES: [&str; 6] =
    ["Anti-social behaviour", "Burglary", "Drugs", "Shoplifting", "Vehicle crime", "Other crime"];

/// A snap point as a CSV row gives it: latitude and longitude with 6 decimals, and name.
type Place = (String, String, String);

/// One street row: month, force, place (none for "No Location"), category slug.
#[derive(Debug, Clone)]
struct Row {
    month: String,
    force: String,
    place: Option<Place>,
    slug: &'static str,
}

impl Row {
    fn lat_lng(&self) -> Option<(f64, f64)> {
        self.place.as_ref().map(|(lat, lng, _)| (lat.parse().unwrap(), lng.parse().unwrap()))
    }
}

/// Writes and imports Leicestershire in 2024-01 and 2024-04, Nottinghamshire in 2024-01,
/// 2024-02 and 2024-04, nothing in 2024-03: 40 places per town, some much busier than
/// others, one row in ten without a location.
fn generated(db: &police_tests::TestDatabase) -> (tempfile::TempDir, Vec<Row>) {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(7);
    let places = |centre: (f64, f64), rng: &mut Rng| -> Vec<(f64, f64)> {
        (0..40)
            .map(|_| (centre.0 + rng.range(-0.02, 0.02), centre.1 + rng.range(-0.03, 0.03)))
            .collect()
    };
    let leicester = places(LEICESTER, &mut rng);
    let nottingham = places(NOTTINGHAM, &mut rng);
    let files = [
        ("2024-01", "leicestershire", 300),
        ("2024-01", "nottinghamshire", 100),
        ("2024-02", "nottinghamshire", 80),
        ("2024-04", "leicestershire", 200),
        ("2024-04", "nottinghamshire", 50),
    ];
    let mut rows = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut id = 0;
    for (month, force, count) in files {
        let town = if force == "leicestershire" { &leicester } else { &nottingham };
        let by = force_name(force);
        let mut text = format!("{STREET_HEADER}\n");
        for _ in 0..count {
            id += 1;
            let crime_type = CRIME_TYPES[rng.index(CRIME_TYPES.len())];
            // The lower of two draws: low-numbered places are hot spots.
            let place = (!rng.chance(0.1))
                .then(|| town[rng.index(town.len()).min(rng.index(town.len()))])
                .map(|(lat, lng)| {
                    let (lat, lng) = (format!("{lat:.6}"), format!("{lng:.6}"));
                    let name = format!("On or near {lat} Street");
                    (lat, lng, name)
                });
            let crime_id =
                if crime_type == "Anti-social behaviour" { String::new() } else { hex_id(id) };
            let (lng, lat, name) = match &place {
                Some((lat, lng, name)) => (lng.clone(), lat.clone(), name.clone()),
                None => (String::new(), String::new(), "No Location".to_owned()),
            };
            text.push_str(&format!(
                "{crime_id},{month},{by},{by},{lng},{lat},{name},E01013000,Leicester 001A,{crime_type},,\n"
            ));
            let slug = crime_category(crime_category_code_for_csv_name(crime_type).unwrap()).slug;
            rows.push(Row { month: month.into(), force: force.into(), place, slug });
        }
        paths.push(write_file(dir.path(), month, force, "street", text));
    }
    import_cleanly(db, &paths);
    (dir, rows)
}

/// What a request is about, for the brute force: the period's months, the categories, and
/// which rows the area holds.
struct Ask<'a> {
    months: Vec<String>,
    categories: Vec<&'a str>,
    inside: Box<dyn Fn(&Row) -> bool + 'a>,
}

impl Ask<'_> {
    fn counts(&self, row: &Row) -> bool {
        self.months.contains(&row.month)
            && self.categories.contains(&row.slug)
            && (self.inside)(row)
    }

    /// The answer's `months`: a month is missing when no row has it, or none of the forces
    /// of the rows the area holds over the period (whatever their category); those forces
    /// without rows in a held month are listed.
    fn months_echo(&self, rows: &[Row]) -> Value {
        let held: BTreeSet<&str> = rows.iter().map(|r| r.month.as_str()).collect();
        let scope_forces: BTreeSet<&str> = rows
            .iter()
            .filter(|r| self.months.contains(&r.month) && (self.inside)(r))
            .map(|r| r.force.as_str())
            .collect();
        let months: Vec<Value> = self
            .months
            .iter()
            .map(|month| {
                if !held.contains(month.as_str()) {
                    return json!({"month": month, "missing": true});
                }
                let forces: BTreeSet<&str> =
                    rows.iter().filter(|r| &r.month == month).map(|r| r.force.as_str()).collect();
                // Listed also when they are all missing, and the month with them.
                let missing: Vec<&str> = scope_forces.difference(&forces).copied().collect();
                let all = !scope_forces.is_empty() && missing.len() == scope_forces.len();
                let mut answer = json!({"month": month, "missing": all});
                if !missing.is_empty() {
                    answer["missing_forces"] = json!(missing);
                }
                answer
            })
            .collect();
        Value::Array(months)
    }
}

/// The brute force's tally of one place.
#[derive(Debug, Default)]
struct Tally {
    monthly: Vec<u64>,
    counts: BTreeMap<&'static str, u64>,
}

/// Checks a snap point answer against the rows: the summary, every hot spot's numbers, the
/// order (most first, ties by location id), and that the totals are the `limit` largest.
#[track_caller]
fn check_points(answer: &Value, rows: &[Row], ask: &Ask<'_>, limit: usize) {
    let months = ask.months_echo(rows);
    assert_eq!(answer["months"], months);
    assert_eq!(answer["categories"], json!(ask.categories));
    assert_eq!(answer["limit"], limit);
    let mut places: HashMap<&Place, Tally> = HashMap::new();
    let (mut located, mut unlocated) = (0u64, 0u64);
    for row in rows.iter().filter(|r| ask.counts(r)) {
        let Some(place) = &row.place else {
            unlocated += 1;
            continue;
        };
        located += 1;
        let tally = places.entry(place).or_default();
        tally.monthly.resize(ask.months.len(), 0);
        tally.monthly[ask.months.iter().position(|m| *m == row.month).unwrap()] += 1;
        *tally.counts.entry(row.slug).or_default() += 1;
    }
    assert_eq!(answer["located"], located);
    assert_eq!(answer["unlocated"], unlocated);
    assert_eq!(answer["points_with_crime"], places.len());

    let hotspots = answer["hotspots"].as_array().unwrap();
    assert_eq!(hotspots.len(), places.len().min(limit));
    let mut seen = BTreeSet::new();
    for spot in hotspots {
        let place = (
            format!("{:.6}", spot["latitude"].as_f64().unwrap()),
            format!("{:.6}", spot["longitude"].as_f64().unwrap()),
            spot["street"].as_str().unwrap().to_owned(),
        );
        assert!(seen.insert(place.clone()), "{place:?} twice");
        let tally = &places[&place];
        let monthly: Vec<Value> = tally
            .monthly
            .iter()
            .zip(months.as_array().unwrap())
            .map(|(n, month)| if month["missing"] == true { Value::Null } else { json!(n) })
            .collect();
        let counts: serde_json::Map<String, Value> = ask
            .categories
            .iter()
            .map(|slug| (slug.to_string(), json!(tally.counts.get(slug).copied().unwrap_or(0))))
            .collect();
        let total: u64 = tally.monthly.iter().sum();
        assert_eq!(
            spot,
            &json!({
                "location_id": spot["location_id"],
                "street": place.2,
                "latitude": spot["latitude"],
                "longitude": spot["longitude"],
                "total": total,
                "months_with_crime": tally.monthly.iter().filter(|&&n| n > 0).count(),
                "monthly": monthly,
                "counts": counts,
            })
        );
        assert!(spot["location_id"].as_i64().unwrap() > 0);
    }
    for pair in hotspots.windows(2) {
        let key = |s: &Value| (-s["total"].as_i64().unwrap(), s["location_id"].as_i64().unwrap());
        assert!(key(&pair[0]) < key(&pair[1]), "order: {pair:?}");
    }
    let mut totals: Vec<u64> = places.values().map(|t| t.monthly.iter().sum()).collect();
    totals.sort_unstable_by(|a, b| b.cmp(a));
    totals.truncate(limit);
    let got: Vec<u64> = hotspots.iter().map(|s| s["total"].as_u64().unwrap()).collect();
    assert_eq!(got, totals, "the largest totals");
}

/// Checks a grid answer against the rows: every counted row lies in exactly one cell by the
/// cells' bounds, the cells' numbers are those rows', each cell is `cell` metres square
/// with its centre in the middle, and the order is most crimes first, then south to north
/// and west to east.
#[track_caller]
fn check_grid(answer: &Value, rows: &[Row], ask: &Ask<'_>, cell_m: f64) {
    assert_eq!(answer["months"], ask.months_echo(rows));
    assert_eq!(answer["cell"], cell_m);
    let cells = answer["cells"].as_array().unwrap();
    let edges: Vec<[f64; 4]> = cells
        .iter()
        .map(|c| ["south", "west", "north", "east"].map(|k| c[k].as_f64().unwrap()))
        .collect();
    let mut monthly = vec![vec![0u64; ask.months.len()]; cells.len()];
    let (mut located, mut unlocated) = (0u64, 0u64);
    for row in rows.iter().filter(|r| ask.counts(r)) {
        let Some((lat, lng)) = row.lat_lng() else {
            unlocated += 1;
            continue;
        };
        located += 1;
        let holding: Vec<usize> = (0..cells.len())
            .filter(|&i| {
                let [south, west, north, east] = edges[i];
                south <= lat && lat < north && west <= lng && lng < east
            })
            .collect();
        assert_eq!(holding.len(), 1, "{lat},{lng} lies in cells {holding:?}");
        monthly[holding[0]][ask.months.iter().position(|m| *m == row.month).unwrap()] += 1;
    }
    assert_eq!(answer["located"], located);
    assert_eq!(answer["unlocated"], unlocated);
    for ((cell, [south, west, north, east]), monthly) in cells.iter().zip(&edges).zip(&monthly) {
        assert_eq!(cell["total"], monthly.iter().sum::<u64>(), "{cell}");
        assert!(cell["total"].as_u64().unwrap() > 0, "{cell}");
        assert_eq!(cell["months_with_crime"], monthly.iter().filter(|&&n| n > 0).count());
        // serde_json reads a number to within a unit in the last place.
        let centre = |key: &str| cell[key].as_f64().unwrap();
        assert!((centre("latitude") - (south + north) / 2.0).abs() < 1e-12, "{cell}");
        assert!((centre("longitude") - (west + east) / 2.0).abs() < 1e-12, "{cell}");
        let middle = (south + north) / 2.0;
        let height = haversine_m(*south, *west, *north, *west);
        let width = haversine_m(middle, *west, middle, *east);
        assert!((height - cell_m).abs() < 0.01, "height {height} of {cell}");
        assert!((width - cell_m).abs() < cell_m * 1e-3, "width {width} of {cell}");
    }
    for pair in cells.windows(2) {
        let key = |c: &Value| {
            (-c["total"].as_i64().unwrap(), c["row"].as_i64().unwrap(), c["column"].as_i64())
        };
        assert!(key(&pair[0]) < key(&pair[1]), "order: {pair:?}");
    }
}

fn get(server: &TestServer, path: &str) -> Value {
    let response = server.get(path);
    let answer = assert_json(&response);
    assert!(response.body.starts_with("{\"area\":{\"type\":"), "{}", response.body);
    answer
}

fn months(list: &[&str]) -> Vec<String> {
    list.iter().map(|m| m.to_string()).collect()
}

fn every_slug() -> Vec<&'static str> {
    police_index::reference::CRIME_CATEGORIES.iter().map(|c| c.slug).collect()
}

#[test]
fn hot_spots_equal_a_brute_force_tally_of_the_rows() {
    let db = test_database();
    let (_dir, rows) = generated(&db);
    let server = TestServer::start(&db);
    let period = months(&["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]);

    // A 3 km circle over Leicester, all categories, every place: 2024-02 is held
    // (Nottinghamshire) but not for Leicestershire, the only force of the circle: missing.
    let (lat, lng) = LEICESTER;
    let query = format!("lat={lat}&lng={lng}&radius=3000&from=2023-12&to=2024-05");
    let answer = get(&server, &format!("/api/v2/crimes/hotspots?{query}&limit=100"));
    let circle = |r: &Row| r.lat_lng().is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= 3000.0);
    let ask = Ask { months: period.clone(), categories: every_slug(), inside: Box::new(circle) };
    check_points(&answer, &rows, &ask, 100);
    assert_eq!(answer["area"], json!({"type": "circle", "lat": lat, "lng": lng, "radius": 3000.0}));
    assert_eq!(
        answer["months"][2],
        json!({"month": "2024-02", "missing": true, "missing_forces": ["leicestershire"]})
    );
    assert_eq!(answer["hotspots"][0]["monthly"][2], Value::Null);
    assert!(answer["hotspots"][0]["months_with_crime"] == 2, "{}", answer["hotspots"][0]);

    // The default limit (10) is the start of that list; so is any limit.
    let first_ten = get(&server, &format!("/api/v2/crimes/hotspots?{query}"));
    assert_eq!(first_ten["limit"], 10);
    let all = answer["hotspots"].as_array().unwrap();
    assert_eq!(first_ten["hotspots"].as_array().unwrap()[..], all[..10]);
    let three = get(&server, &format!("/api/v2/crimes/hotspots?{query}&limit=3"));
    assert_eq!(three["hotspots"].as_array().unwrap()[..], all[..3]);

    // A hot spot's location_id is the snap point's: crimes-at-location lists its crimes.
    let top = &answer["hotspots"][0];
    let at = get_json(
        &server,
        &format!("/api/crimes-at-location?location_id={}&date=2024-01", top["location_id"]),
    );
    assert_eq!(at.as_array().unwrap().len() as u64, top["monthly"][1].as_u64().unwrap());
    assert_eq!(at[0]["location"]["street"]["name"], top["street"]);

    // Two categories, the default period (the year to 2024-04).
    let answer = get(
        &server,
        &format!("/api/v2/crimes/hotspots?lat={lat}&lng={lng}&category=drugs,burglary&limit=7"),
    );
    let year: Vec<String> = (5..=16)
        .map(|m| if m <= 12 { format!("2023-{m:02}") } else { format!("2024-{:02}", m - 12) })
        .collect();
    let mile = move |r: &Row| r.lat_lng().is_some_and(|(a, b)| within_a_mile((lat, lng), a, b));
    let ask = Ask { months: year, categories: vec!["burglary", "drugs"], inside: Box::new(mile) };
    check_points(&answer, &rows, &ask, 7);

    // A concave polygon over part of Leicester.
    let polygon = [(52.60, -1.20), (52.68, -1.20), (52.68, -1.05), (52.64, -1.12), (52.60, -1.05)];
    let poly = poly_param(&polygon);
    let answer = get(
        &server,
        &format!("/api/v2/crimes/hotspots?poly={poly}&from=2024-01&to=2024-04&limit=100"),
    );
    let inside = move |r: &Row| r.lat_lng().is_some_and(|(a, b)| inside_polygon(&polygon, a, b));
    let ask =
        Ask { months: period[1..5].to_vec(), categories: every_slug(), inside: Box::new(inside) };
    check_points(&answer, &rows, &ask, 100);
    assert!(answer["located"].as_u64().unwrap() > 0);

    // The same polygon as a GeoJSON body: the same answer.
    let ring: Vec<[f64; 2]> =
        polygon.iter().chain(&polygon[..1]).map(|&(lat, lng)| [lng, lat]).collect();
    let geojson = json!({"type": "Polygon", "coordinates": [ring]}).to_string();
    let response = server.post(
        "/api/v2/crimes/hotspots?from=2024-01&to=2024-04&limit=100",
        "application/geo+json",
        geojson.as_bytes(),
    );
    let mut posted = assert_json(&response);
    assert_eq!(posted["area"], json!({"type": "geojson"}));
    posted["area"] = answer["area"].clone();
    assert_eq!(posted, answer);

    // A force: its crimes without a location are counted apart; 2024-02 is missing for it.
    let answer = get(
        &server,
        "/api/v2/crimes/hotspots?force=leicestershire&from=2024-01&to=2024-04&category=shoplifting&limit=20",
    );
    let ask = Ask {
        months: period[1..5].to_vec(),
        categories: vec!["shoplifting"],
        inside: Box::new(|r: &Row| r.force == "leicestershire"),
    };
    check_points(&answer, &rows, &ask, 20);
    assert!(answer["unlocated"].as_u64().unwrap() > 0);

    // The whole country: Leicestershire's 2024-02 is missing, so that month is partial.
    let answer = get(
        &server,
        "/api/v2/crimes/hotspots?from=2024-01&to=2024-04&limit=100&category=all-crime",
    );
    let ask =
        Ask { months: period[1..5].to_vec(), categories: every_slug(), inside: Box::new(|_| true) };
    check_points(&answer, &rows, &ask, 100);
    assert_eq!(
        answer["months"][1],
        json!({"month": "2024-02", "missing": false, "missing_forces": ["leicestershire"]})
    );
    let rows_counted = answer["located"].as_u64().unwrap() + answer["unlocated"].as_u64().unwrap();
    assert_eq!(rows_counted, rows.len() as u64);
}

#[test]
fn grid_cells_equal_a_brute_force_tally_of_the_rows() {
    let db = test_database();
    let (_dir, rows) = generated(&db);
    let server = TestServer::start(&db);
    let period = months(&["2024-01", "2024-02", "2024-03", "2024-04"]);
    let (lat, lng) = LEICESTER;

    let answer = get(
        &server,
        &format!("/api/v2/crimes/hotspots?lat={lat}&lng={lng}&radius=3000&from=2024-01&to=2024-04&cell=250"),
    );
    let circle =
        move |r: &Row| r.lat_lng().is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= 3000.0);
    let ask = Ask { months: period.clone(), categories: every_slug(), inside: Box::new(circle) };
    check_grid(&answer, &rows, &ask, 250.0);
    assert!(answer["cells"].as_array().unwrap().len() > 5, "{answer}");
    assert!(answer.get("hotspots").is_none());

    // Larger cells over the country, then a force with a category and cells of 5 km.
    let answer = get(&server, "/api/v2/crimes/hotspots?from=2024-01&to=2024-04&cell=1000");
    let ask = Ask { months: period.clone(), categories: every_slug(), inside: Box::new(|_| true) };
    check_grid(&answer, &rows, &ask, 1000.0);
    let answer = get(
        &server,
        "/api/v2/crimes/hotspots?force=nottinghamshire&from=2024-01&to=2024-04&cell=5000&category=drugs",
    );
    let ask = Ask {
        months: period,
        categories: vec!["drugs"],
        inside: Box::new(|r: &Row| r.force == "nottinghamshire"),
    };
    check_grid(&answer, &rows, &ask, 5000.0);

    // The grid is fixed: a cell of one answer is the same cell in another area's answer.
    let small = get(
        &server,
        &format!("/api/v2/crimes/hotspots?lat={lat}&lng={lng}&radius=500&from=2024-01&to=2024-04&cell=1000"),
    );
    let large = get(&server, "/api/v2/crimes/hotspots?from=2024-01&to=2024-04&cell=1000");
    let key = |c: &Value| (c["row"].clone(), c["column"].clone());
    let large_cells: HashMap<(Value, Value), &Value> =
        large["cells"].as_array().unwrap().iter().map(|c| (key(c), c)).collect();
    for cell in small["cells"].as_array().unwrap() {
        let same = large_cells[&key(cell)];
        for edge in ["south", "west", "north", "east"] {
            assert_eq!(cell[edge], same[edge]);
        }
    }
}

#[test]
fn hotspots_errors_name_the_parameter() {
    let db = test_database();
    let (_dir, _rows) = generated(&db);
    let server = TestServer::start(&db);
    let cases: &[(&str, &str)] = &[
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("limit=-1", "limit"),
        ("limit=2.5", "limit"),
        ("cell=49", "cell"),
        ("cell=5001", "cell"),
        ("cell=wide", "cell"),
        ("cell=NaN", "cell"),
        ("cell=500&limit=5", "limit or cell"),
        ("poly=52.6,-1.2:52.7,-1.2&cell=500", "poly"),
        ("radius=500", "radius"),
        ("from=2024-04&to=2024-01", "from (2024-04) is after to (2024-01)"),
        ("category=nonsense", "category"),
    ];
    for (query, names) in cases {
        let response = server.get(&format!("/api/v2/crimes/hotspots?{query}"));
        assert_error(&response, 400);
        assert!(response.body.contains(names), "{query}: {}", response.body);
    }
    let response = server.get("/api/v2/crimes/hotspots?force=atlantis");
    assert_error(&response, 404);
    // The bounds themselves are allowed.
    for query in ["limit=1", "limit=100", "cell=50", "cell=5000", "cell=123.5"] {
        get(&server, &format!("/api/v2/crimes/hotspots?{query}"));
    }
}

#[test]
fn a_grid_of_more_than_ten_thousand_cells_is_refused() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    // 101 × 100 places about 220 m apart north to south and 135 m east to west: as many
    // 50 m cells, and a few 5 km ones.
    let mut text = format!("{STREET_HEADER}\n");
    for i in 0..101 {
        for j in 0..100 {
            let (lat, lng) = (52.5 + 0.002 * f64::from(i), -1.3 + 0.002 * f64::from(j));
            text.push_str(&format!(
                ",2024-01,Leicestershire Police,Leicestershire Police,{lng:.6},{lat:.6},On or near {i} {j},E01013000,Leicester 001A,Anti-social behaviour,,\n"
            ));
        }
    }
    import_cleanly(&db, &[write_file(dir.path(), "2024-01", "leicestershire", "street", text)]);
    let server = TestServer::start(&db);
    let response = server.get("/api/v2/crimes/hotspots?cell=50");
    assert_error(&response, 400);
    assert!(response.body.contains("more than 10000 cells"), "{}", response.body);
    assert!(response.body.contains("cell"), "{}", response.body);
    let answer = get(&server, "/api/v2/crimes/hotspots?cell=5000");
    let total: u64 =
        answer["cells"].as_array().unwrap().iter().map(|c| c["total"].as_u64().unwrap()).sum();
    assert_eq!(total, 10_100);
    let answer = get(&server, "/api/v2/crimes/hotspots?limit=100");
    assert_eq!(answer["points_with_crime"], 10_100);
    assert_eq!(answer["hotspots"].as_array().unwrap().len(), 100);
}

/// The real street files of the City of London and Surrey, as rows; `None` (test skipped)
/// without the data.
fn real_rows() -> Option<(police_tests::TestDatabase, Vec<Row>)> {
    let data = skip_without_shared_data!(None);
    let mut files = Vec::new();
    let mut rows = Vec::new();
    for month in std::fs::read_dir(&data).unwrap() {
        let month = month.unwrap().path();
        let name = month.file_name().unwrap().to_string_lossy().into_owned();
        for force in ["city-of-london", "surrey"] {
            let street = month.join(format!("{name}-{force}-street.csv"));
            if !street.exists() {
                continue;
            }
            for record in csv_records(&street) {
                let Some(code) = crime_category_code_for_csv_name(&record[9]) else { continue };
                let place = (!record[4].is_empty()).then(|| {
                    let (lng, lat): (f64, f64) =
                        (record[4].parse().unwrap(), record[5].parse().unwrap());
                    (format!("{lat:.6}"), format!("{lng:.6}"), record[6].to_owned())
                });
                rows.push(Row {
                    month: name.clone(),
                    force: force.into(),
                    place,
                    slug: crime_category(code).slug,
                });
            }
            files.push(street);
        }
    }
    let db = test_database();
    let summary = import(&db, &files);
    assert_eq!(summary.problems(), 0);
    Some((db, rows))
}

#[test]
fn hot_spots_of_the_real_street_files_equal_a_brute_force_tally() {
    let Some((db, rows)) = real_rows() else { return };
    let server = TestServer::start(&db);
    let span = |from: &str, to: &str| -> Vec<String> {
        let held: BTreeSet<&str> = rows.iter().map(|r| r.month.as_str()).collect();
        let (from, to) = (from.to_owned(), to.to_owned());
        let mut months: Vec<String> = Vec::new();
        let (mut year, mut month): (u32, u32) =
            (from[..4].parse().unwrap(), from[5..].parse().unwrap());
        loop {
            let text = format!("{year}-{month:02}");
            months.push(text.clone());
            if text == to {
                break;
            }
            (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        }
        assert!(months.iter().any(|m| held.contains(m.as_str())));
        months
    };

    // One mile around Bank, over two years of the City's data.
    let bank = (51.513, -0.0889);
    let answer = get(
        &server,
        &format!(
            "/api/v2/crimes/hotspots?lat={}&lng={}&from=2023-01&to=2024-12&limit=100",
            bank.0, bank.1
        ),
    );
    let mile = move |r: &Row| r.lat_lng().is_some_and(|(a, b)| within_a_mile(bank, a, b));
    let ask = Ask {
        months: span("2023-01", "2024-12"),
        categories: every_slug(),
        inside: Box::new(mile),
    };
    check_points(&answer, &rows, &ask, 100);
    assert!(answer["hotspots"][0]["months_with_crime"].as_u64().unwrap() > 12, "{answer}");
    let answer = get(
        &server,
        &format!(
            "/api/v2/crimes/hotspots?lat={}&lng={}&from=2023-01&to=2024-12&cell=200",
            bank.0, bank.1
        ),
    );
    check_grid(&answer, &rows, &ask, 200.0);

    // A concave polygon around the Barbican and Liverpool Street, shoplifting and theft.
    let city_l: [(f64, f64); 6] = [
        (51.5121234, -0.1000123),
        (51.5221234, -0.1000123),
        (51.5221234, -0.0750123),
        (51.5161234, -0.0750123),
        (51.5161234, -0.0900123),
        (51.5121234, -0.0900123),
    ];
    let poly = poly_param(&city_l);
    let answer = get(
        &server,
        &format!("/api/v2/crimes/hotspots?poly={poly}&from=2019-06&to=2021-05&category=shoplifting,other-theft&limit=25"),
    );
    let inside = move |r: &Row| r.lat_lng().is_some_and(|(a, b)| inside_polygon(&city_l, a, b));
    let ask = Ask {
        months: span("2019-06", "2021-05"),
        categories: vec!["other-theft", "shoplifting"],
        inside: Box::new(inside),
    };
    check_points(&answer, &rows, &ask, 25);

    // Surrey over its thirteen months, and as a grid of 2 km.
    for query in ["limit=100", "cell=2000"] {
        let answer = get(
            &server,
            &format!("/api/v2/crimes/hotspots?force=surrey&from=2023-01&to=2024-01&{query}"),
        );
        let ask = Ask {
            months: span("2023-01", "2024-01"),
            categories: every_slug(),
            inside: Box::new(|r: &Row| r.force == "surrey"),
        };
        if query.starts_with("limit") {
            check_points(&answer, &rows, &ask, 100);
        } else {
            check_grid(&answer, &rows, &ask, 2000.0);
        }
        assert!(answer["located"].as_u64().unwrap() > 50_000, "{}", answer["located"]);
    }
}
