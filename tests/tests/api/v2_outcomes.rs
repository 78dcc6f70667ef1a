//! `/api/v2/outcomes/counts` and `last_outcomes=true` of `/api/v2/crimes/counts` over real
//! HTTP: the answers for circles, polygons, forces and the whole country equal a brute-force
//! count of the street and outcomes rows this test wrote (with this crate's own geometry, and
//! its own table of outcome names); months without data are `missing`; and the errors.

use std::collections::BTreeSet;
use std::path::PathBuf;

use police_generate::rng::Rng;
use police_index::reference::{
    crime_category_code_for_csv_name, CRIME_CATEGORIES, OUTCOME_CATEGORIES,
};
use police_tests::fixtures::{
    force_name, hex_id, import_cleanly, write_file, OUTCOMES_HEADER, STREET_HEADER,
};
use police_tests::geometry::{haversine_m, inside_polygon, poly_param};
use police_tests::http::{assert_error, assert_json, TestServer};
use police_tests::test_database;
use serde_json::{json, Map, Value};

const LEICESTER: (f64, f64) = (52.6297, -1.1316);
const NOTTINGHAM: (f64, f64) = (52.9536, -1.1505);
const CRIME_TYPES: [&str; 6] = [
    "Anti-social behaviour",
    "Burglary",
    "Drugs",
    "Shoplifting",
    "Vehicle crime",
    "Violence and sexual offences",
];
/// Last outcomes as street files write them (never for anti-social behaviour), and the slug
/// each is counted under: a published variant, and a name police.uk does not have (`other`).
const LAST_OUTCOMES: [(&str, &str); 9] = [
    ("", "none"),
    ("Under investigation", "under-investigation"),
    ("Investigation complete; no suspect identified", "no-further-action"),
    ("Unable to prosecute suspect", "unable-to-prosecute"),
    ("Offender given penalty notice", "penalty-notice-issued"),
    ("Suspect charged", "charged"),
    ("Status update unavailable", "status-update-unavailable"),
    ("Awaiting court outcome", "awaiting-court-result"),
    ("Abducted by aliens", "other"),
];
/// Outcome types as outcomes files write them, and their codes.
const OUTCOME_TYPES: [(&str, &str); 6] = [
    ("Investigation complete; no suspect identified", "no-further-action"),
    ("Suspect charged", "charged"),
    ("Offender given penalty notice", "penalty-notice-issued"),
    ("Offender given a caution", "cautioned"),
    ("Unable to prosecute suspect", "unable-to-prosecute"),
    ("Offender sent to prison", "imprisoned"),
];
/// The order of outcome slugs on the wire: police.uk's outcome order, then `none` and `other`.
fn slug_order() -> Vec<&'static str> {
    OUTCOME_CATEGORIES.iter().map(|c| c.code).chain(["none", "other"]).collect()
}

/// A street row as written.
#[derive(Debug, Clone)]
struct Crime {
    month: &'static str,
    force: &'static str,
    place: Option<(f64, f64)>,
    category: &'static str,
    last_outcome: &'static str,
}

/// An outcomes row as written.
#[derive(Debug, Clone)]
struct Outcome {
    month: &'static str,
    crime: usize,
    place: Option<(f64, f64)>,
    code: &'static str,
}

struct Data {
    _dir: tempfile::TempDir,
    crimes: Vec<Crime>,
    outcomes: Vec<Outcome>,
}

const MONTHS: [&str; 6] = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"];

/// Crimes: Leicestershire in 2024-01 and 2024-04, Nottinghamshire in 2024-01, 2024-02 and
/// 2024-04 (none in 2024-03). Outcomes: for most crimes with an ID, one or two in the crime's
/// month or the next, none recorded in 2024-03; most at the crime's place, some elsewhere
/// in town or without a location.
fn generated(db: &police_tests::TestDatabase) -> Data {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(77);
    let places = |centre: (f64, f64), rng: &mut Rng| -> Vec<(f64, f64)> {
        (0..120)
            .map(|_| {
                let lat = centre.0 + rng.range(-0.05, 0.05);
                let lng = centre.1 + rng.range(-0.08, 0.08);
                ((lat * 1e6).round() / 1e6, (lng * 1e6).round() / 1e6)
            })
            .collect()
    };
    let leicester = places(LEICESTER, &mut rng);
    let nottingham = places(NOTTINGHAM, &mut rng);
    let town = |force: &str| if force == "leicestershire" { &leicester } else { &nottingham };
    let files: [(&'static str, &'static str, usize); 5] = [
        ("2024-01", "leicestershire", 300),
        ("2024-01", "nottinghamshire", 100),
        ("2024-02", "nottinghamshire", 80),
        ("2024-04", "leicestershire", 200),
        ("2024-04", "nottinghamshire", 60),
    ];
    let columns = |place: Option<(f64, f64)>| match place {
        Some((lat, lng)) => (format!("{lng:.6}"), format!("{lat:.6}"), format!("On or near {lat}")),
        None => (String::new(), String::new(), "No Location".to_owned()),
    };
    let mut crimes = Vec::new();
    type Row = (&'static str, usize, Option<(f64, f64)>, (&'static str, &'static str));
    let mut outcomes: Vec<Row> = Vec::new();
    let mut paths: Vec<PathBuf> = Vec::new();
    for (month, force, count) in files {
        let by = force_name(force);
        let mut text = format!("{STREET_HEADER}\n");
        for _ in 0..count {
            let crime_type = CRIME_TYPES[rng.index(CRIME_TYPES.len())];
            let asb = crime_type == "Anti-social behaviour";
            let place = (!rng.chance(0.1)).then(|| town(force)[rng.index(town(force).len())]);
            let (last_name, last_outcome) =
                if asb { LAST_OUTCOMES[0] } else { LAST_OUTCOMES[rng.index(LAST_OUTCOMES.len())] };
            let id = crimes.len() + 1;
            let crime_id = if asb { String::new() } else { hex_id(id as u32) };
            let (lng, lat, name) = columns(place);
            text.push_str(&format!(
                "{crime_id},{month},{by},{by},{lng},{lat},{name},E01013000,Leicester 001A,{crime_type},{last_name},\n"
            ));
            let code = crime_category_code_for_csv_name(crime_type).unwrap();
            let category = CRIME_CATEGORIES[code as usize].slug;
            crimes.push(Crime { month, force, place, category, last_outcome });
            if asb || rng.chance(0.3) {
                continue;
            }
            let first = MONTHS.iter().position(|m| *m == month).unwrap();
            for _ in 0..1 + rng.index(2) {
                let outcome_month = MONTHS[first + rng.index(2)];
                if outcome_month == "2024-03" {
                    continue;
                }
                let place = match rng.index(10) {
                    0 => None,
                    1 => Some(town(force)[rng.index(town(force).len())]),
                    _ => place,
                };
                let code = OUTCOME_TYPES[rng.index(OUTCOME_TYPES.len())];
                let crime = crimes.len() - 1;
                // Two identical rows would be one outcome twice; police.uk has none.
                if !outcomes.iter().any(|o| (o.0, o.1, o.3) == (outcome_month, crime, code)) {
                    outcomes.push((outcome_month, crime, place, code));
                }
            }
        }
        paths.push(write_file(dir.path(), month, force, "street", text));
    }
    for month in MONTHS {
        for force in ["leicestershire", "nottinghamshire"] {
            let by = force_name(force);
            let rows: Vec<String> = outcomes
                .iter()
                .filter(|(m, crime, ..)| *m == month && crimes[*crime].force == force)
                .map(|&(_, crime, place, (name, _))| {
                    let (lng, lat, location) = columns(place);
                    let id = hex_id(crime as u32 + 1);
                    format!("{id},{month},{by},{by},{lng},{lat},{location},E01013000,Leicester 001A,{name}\n")
                })
                .collect();
            if !rows.is_empty() {
                let text = format!("{OUTCOMES_HEADER}\n{}", rows.concat());
                paths.push(write_file(dir.path(), month, force, "outcomes", text));
            }
        }
    }
    import_cleanly(db, &paths);
    let outcomes = outcomes
        .into_iter()
        .map(|(month, crime, place, (_, code))| Outcome { month, crime, place, code })
        .collect();
    Data { _dir: dir, crimes, outcomes }
}

/// Counts by slug in wire order, zeros left out.
fn by_slug<'a>(slugs: impl Iterator<Item = &'a str>) -> Map<String, Value> {
    let slugs: Vec<&str> = slugs.collect();
    slug_order()
        .into_iter()
        .map(|slug| (slug, slugs.iter().filter(|s| **s == slug).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(slug, n)| (slug.to_string(), json!(n)))
        .collect()
}

fn total(counts: &Map<String, Value>) -> u64 {
    counts.values().map(|n| n.as_u64().unwrap()).sum()
}

/// The last outcomes of `crimes` with their shares, as the route writes them.
fn shares(crimes: &[&Crime]) -> Value {
    let counts = by_slug(crimes.iter().map(|c| c.last_outcome));
    let shares: Map<String, Value> = counts
        .iter()
        .map(|(slug, n)| (slug.clone(), json!(n.as_f64().unwrap() / crimes.len() as f64)))
        .collect();
    json!({"crimes": crimes.len(), "counts": counts, "shares": shares})
}

/// What `/api/v2/outcomes/counts` should answer, counted from the rows: `months` is the
/// period; `crime_inside` and `outcome_inside` say which crimes and outcomes the area holds.
fn expected(
    data: &Data,
    area: Value,
    months: &[&str],
    categories: &[&str],
    crime_inside: impl Fn(&Crime) -> bool,
    outcome_inside: impl Fn(&Outcome) -> bool,
) -> Value {
    let outcome_months: BTreeSet<&str> = data.outcomes.iter().map(|o| o.month).collect();
    let crime_months: BTreeSet<&str> = data.crimes.iter().map(|c| c.month).collect();
    let counted =
        |o: &&Outcome| categories.contains(&data.crimes[o.crime].category) && outcome_inside(o);
    let month_answers: Vec<Value> = months
        .iter()
        .map(|&month| {
            if !outcome_months.contains(month) {
                return json!({"month": month, "missing": true});
            }
            let counts = by_slug(
                data.outcomes.iter().filter(|o| o.month == month).filter(counted).map(|o| o.code),
            );
            json!({"month": month, "missing": false, "total": total(&counts), "counts": counts})
        })
        .collect();
    let totals = by_slug(
        data.outcomes.iter().filter(|o| months.contains(&o.month)).filter(counted).map(|o| o.code),
    );
    let period: Vec<&Crime> = data
        .crimes
        .iter()
        .filter(|c| {
            months.contains(&c.month) && categories.contains(&c.category) && crime_inside(c)
        })
        .collect();
    let by_category: Vec<Value> = categories
        .iter()
        .map(|&category| {
            let crimes: Vec<&Crime> =
                period.iter().copied().filter(|c| c.category == category).collect();
            let mut entry = shares(&crimes);
            entry["category"] = json!(category);
            entry
        })
        .collect();
    json!({
        "area": area,
        "from": months[0],
        "to": months[months.len() - 1],
        "categories": categories,
        "months": month_answers,
        "total": total(&totals),
        "totals": totals,
        "last_outcomes": {
            "missing_months": months.iter().filter(|m| !crime_months.contains(*m)).collect::<Vec<_>>(),
            "all": shares(&period),
            "by_category": by_category,
        },
    })
}

/// Asserts `got == want`, numbers that are not integers equal to 1e-12 (a share is written
/// with the shortest digits that read back as it, which serde_json reads to within an ulp).
#[track_caller]
fn assert_same(got: &Value, want: &Value, path: &str) {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) if !a.is_u64() || !b.is_u64() => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-12, "{path}: {a} != {b}");
        }
        (Value::Object(a), Value::Object(b)) => {
            let keys = |m: &Map<String, Value>| m.keys().cloned().collect::<BTreeSet<_>>();
            assert_eq!(keys(a), keys(b), "{path}");
            for (key, value) in a {
                assert_same(value, &b[key], &format!("{path}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}");
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                assert_same(a, b, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(got, want, "{path}"),
    }
}

/// `GET path` as JSON, checked to write outcome slugs in police.uk's order, then `none` and
/// `other`, in every object keyed by them.
fn get(server: &TestServer, path: &str) -> Value {
    let response = server.get(path);
    let answer = assert_json(&response);
    let order = slug_order();
    for key in ["\"counts\":{", "\"shares\":{", "\"totals\":{", "\"last_outcomes\":{"] {
        for (at, _) in response.body.match_indices(key) {
            let object = &response.body[at + key.len()..];
            let object = &object[..object.find('}').unwrap()];
            if object.is_empty() || !object.starts_with('"') || object.contains('{') {
                continue;
            }
            let positions: Vec<usize> = object
                .split(',')
                .map(|pair| pair.split(':').next().unwrap().trim_matches('"'))
                .filter_map(|slug| order.iter().position(|s| *s == slug))
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{key} {object}");
        }
    }
    answer
}

#[test]
fn outcome_counts_equal_a_brute_force_count_of_the_rows() {
    let db = test_database();
    let data = generated(&db);
    let server = TestServer::start(&db);
    let all: Vec<&str> = CRIME_CATEGORIES.iter().map(|c| c.slug).collect();
    let (lat, lng) = LEICESTER;
    let near = |place: Option<(f64, f64)>| {
        place.is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= 3000.0)
    };

    // A 3 km circle over every month and a month before and after: outcomes of 2023-12,
    // 2024-03 and 2024-07 missing; crimes of 2023-12, 2024-03, 2024-05 onwards missing.
    let months =
        ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07"];
    let got = get(
        &server,
        &format!("/api/v2/outcomes/counts?lat={lat}&lng={lng}&radius=3000&from=2023-12&to=2024-07"),
    );
    let want = expected(
        &data,
        json!({"type": "circle", "lat": lat, "lng": lng, "radius": 3000.0}),
        &months,
        &all,
        |c| near(c.place),
        |o| near(o.place),
    );
    assert_same(&got, &want, "circle");
    assert!(got["total"].as_u64().unwrap() > 0);
    assert_eq!(got["months"][3], json!({"month": "2024-03", "missing": true}));
    assert_eq!(
        got["last_outcomes"]["missing_months"],
        json!(["2023-12", "2024-03", "2024-05", "2024-06", "2024-07"])
    );
    // Shares of a category with crimes add up to 1.
    for entry in got["last_outcomes"]["by_category"].as_array().unwrap() {
        let sum: f64 =
            entry["shares"].as_object().unwrap().values().map(|s| s.as_f64().unwrap()).sum();
        let crimes = entry["crimes"].as_u64().unwrap();
        assert!(crimes == 0 || (sum - 1.0).abs() < 1e-9, "{entry}");
    }
    let all_counts = got["last_outcomes"]["all"]["counts"].as_object().unwrap();
    assert!(all_counts.contains_key("none") && all_counts.contains_key("other"), "{all_counts:?}");

    // A concave polygon, two categories given out of order.
    let polygon = [(52.60, -1.20), (52.68, -1.20), (52.68, -1.05), (52.64, -1.12), (52.60, -1.05)];
    let poly = poly_param(&polygon);
    let in_poly =
        |place: Option<(f64, f64)>| place.is_some_and(|(a, b)| inside_polygon(&polygon, a, b));
    let got = get(
        &server,
        &format!("/api/v2/outcomes/counts?poly={poly}&from=2024-01&to=2024-05&category=vehicle-crime,burglary"),
    );
    let want = expected(
        &data,
        json!({"type": "polygon", "poly": poly}),
        &months[1..6],
        &["burglary", "vehicle-crime"],
        |c| in_poly(c.place),
        |o| in_poly(o.place),
    );
    assert_same(&got, &want, "polygon");
    assert!(got["total"].as_u64().unwrap() > 0);

    // Forces: their crimes and their crimes' outcomes, located or not; a force without
    // data counts zeros.
    for force in ["leicestershire", "nottinghamshire", "kent"] {
        let got =
            get(&server, &format!("/api/v2/outcomes/counts?force={force}&from=2024-01&to=2024-06"));
        let want = expected(
            &data,
            json!({"type": "force", "force": force}),
            &months[1..7],
            &all,
            |c| c.force == force,
            |o| data.crimes[o.crime].force == force,
        );
        assert_same(&got, &want, force);
    }

    // The whole country: every row.
    let got = get(&server, "/api/v2/outcomes/counts?from=2024-01&to=2024-06");
    let want =
        expected(&data, json!({"type": "national"}), &months[1..7], &all, |_| true, |_| true);
    assert_same(&got, &want, "national");
    assert_eq!(got["total"], data.outcomes.len() as u64);
    assert_eq!(got["last_outcomes"]["all"]["crimes"], data.crimes.len() as u64);

    // The default period: the year to the latest month with crimes (2024-04).
    let got = get(&server, "/api/v2/outcomes/counts?category=drugs");
    assert_eq!((got["from"].as_str(), got["to"].as_str()), (Some("2023-05"), Some("2024-04")));
}

#[test]
fn crime_counts_break_down_by_last_outcome_on_request() {
    let db = test_database();
    let data = generated(&db);
    let server = TestServer::start(&db);
    let (lat, lng) = NOTTINGHAM;
    let months = ["2024-01", "2024-02", "2024-03", "2024-04"];
    for (query, categories, inside) in [
        (
            format!("lat={lat}&lng={lng}&radius=2500"),
            vec!["burglary", "drugs", "shoplifting", "vehicle-crime", "violent-crime"],
            Box::new(|c: &Crime| {
                c.place.is_some_and(|(a, b)| haversine_m(lat, lng, a, b) <= 2500.0)
            }) as Box<dyn Fn(&Crime) -> bool>,
        ),
        (
            "force=leicestershire".to_owned(),
            vec!["anti-social-behaviour", "drugs"],
            Box::new(|c: &Crime| c.force == "leicestershire"),
        ),
        ("".to_owned(), vec!["violent-crime"], Box::new(|_: &Crime| true)),
    ] {
        let path = format!(
            "/api/v2/crimes/counts?{query}&from=2024-01&to=2024-04&category={}&last_outcomes=true",
            categories.join(",")
        );
        let got = get(&server, &path);
        let counted = |c: &&Crime| categories.contains(&c.category) && inside(c);
        for (answer, month) in got["months"].as_array().unwrap().iter().zip(months) {
            if month == "2024-03" {
                assert_eq!(answer, &json!({"month": month, "missing": true}), "{path}");
                continue;
            }
            if answer["missing"] == true {
                // Held, but not for the area's forces: no counts of any kind.
                assert!(answer.get("last_outcomes").is_none(), "{path} {month}");
                assert!(!data.crimes.iter().any(|c| c.month == month && inside(c)), "{path}");
                continue;
            }
            let want = by_slug(
                data.crimes
                    .iter()
                    .filter(|c| c.month == month)
                    .filter(counted)
                    .map(|c| c.last_outcome),
            );
            assert_eq!(answer["last_outcomes"], Value::Object(want.clone()), "{path} {month}");
            assert_eq!(total(&want), answer["total"], "{path} {month}");
        }
        let want = by_slug(data.crimes.iter().filter(counted).map(|c| c.last_outcome));
        assert_eq!(got["last_outcomes"], Value::Object(want.clone()), "{path}");
        assert_eq!(total(&want), got["total"], "{path}");
        assert!(total(&want) > 0, "{path}");

        // Without it, or with false, the answer has no last outcomes.
        for off in ["", "&last_outcomes=false"] {
            let path = path.replace("&last_outcomes=true", off);
            let response = server.get(&path);
            assert_json(&response);
            assert!(!response.body.contains("last_outcomes"), "{path}: {}", response.body);
        }
    }
    // Anti-social behaviour has no outcomes: all `none`.
    let got = get(&server, "/api/v2/crimes/counts?category=anti-social-behaviour&last_outcomes=true&from=2024-01&to=2024-04");
    let asb = data.crimes.iter().filter(|c| c.category == "anti-social-behaviour").count();
    assert_eq!(got["last_outcomes"], json!({"none": asb}));
}

#[test]
fn outcome_count_errors_name_the_parameter() {
    let db = test_database();
    let _data = generated(&db);
    let server = TestServer::start(&db);
    let cases: &[(&str, &str, &str)] = &[
        ("outcomes", "poly=52.6,-1.2:52.7,-1.2:52.7,-1.1&force=leicestershire", "poly and force"),
        ("outcomes", "lat=52.6", "lng"),
        ("outcomes", "lat=52.6&lng=-1.1&radius=20001", "radius"),
        ("outcomes", "from=2024-13", "from"),
        ("outcomes", "from=2024-04&to=2024-01", "from (2024-04) is after to (2024-01)"),
        ("outcomes", "category=nonsense", "category"),
        ("crimes", "last_outcomes=yes", "last_outcomes"),
        ("crimes", "last_outcomes=TRUE", "last_outcomes"),
    ];
    for (route, query, names) in cases {
        let response = server.get(&format!("/api/v2/{route}/counts?{query}"));
        assert_error(&response, 400);
        assert!(response.body.contains(names), "{route} {query}: {}", response.body);
    }
    let response = server.get("/api/v2/outcomes/counts?force=atlantis");
    assert_error(&response, 404);
    assert!(response.body.contains("atlantis"), "{}", response.body);
}

/// The City of London's street files of 2016-01 to 2017-09 and its outcomes files (2016-01
/// to 2017-06), imported; `None` (test skipped) without the shared data.
fn import_city_of_london() -> Option<(police_tests::TestDatabase, PathBuf)> {
    let data = police_tests::skip_without_shared_data!(None);
    let mut files = Vec::new();
    for month in std::fs::read_dir(&data).unwrap() {
        let month = month.unwrap().path();
        let name = month.file_name().unwrap().to_string_lossy().into_owned();
        if !(("2016-01"..="2017-09").contains(&name.as_str())) {
            continue;
        }
        for kind in ["street", "outcomes"] {
            let file = month.join(format!("{name}-city-of-london-{kind}.csv"));
            if file.exists() {
                files.push(file);
            }
        }
    }
    let db = test_database();
    import_cleanly(&db, &files);
    Some((db, data))
}

/// The slug a street file's `Last outcome category` is counted under, by police.uk's
/// outcome names (the importer's table for outcome types).
fn real_last_outcome(name: &str) -> &'static str {
    use police_index::reference::{outcome_category, outcome_code_for_csv_name};
    match name {
        "" => "none",
        name => outcome_code_for_csv_name(name).map_or("other", |code| outcome_category(code).code),
    }
}

#[test]
fn outcome_counts_equal_the_real_csv_rows_of_a_force_and_a_circle() {
    use police_index::reference::{crime_category, outcome_category, outcome_code_for_csv_name};
    use police_tests::fixtures::csv_records;
    use std::collections::{BTreeMap, HashMap};

    let Some((db, data)) = import_city_of_london() else { return };
    let server = TestServer::start(&db);
    let (from, to) = ("2016-01", "2017-06");
    // Street rows: (month, coordinates, category slug, last outcome slug).
    type Street = (String, Option<(f64, f64)>, &'static str, &'static str);
    let mut crimes: Vec<Street> = Vec::new();
    let mut crime_categories: HashMap<String, &'static str> = HashMap::new();
    // Outcome rows whose crime is held: (month, coordinates, outcome code, crime category).
    type OutcomeRow = (String, Option<(f64, f64)>, &'static str, &'static str);
    let mut outcomes: Vec<OutcomeRow> = Vec::new();
    let coordinates = |r: &csv::StringRecord| {
        (!r[4].is_empty()).then(|| (r[5].parse::<f64>().unwrap(), r[4].parse::<f64>().unwrap()))
    };
    let mut months: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .map(|m| m.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|m| ("2016-01"..="2017-09").contains(&m.as_str()))
        .collect();
    months.sort();
    for month in &months {
        let street = data.join(month).join(format!("{month}-city-of-london-street.csv"));
        if !street.exists() {
            continue;
        }
        for r in csv_records(&street) {
            let category = crime_category(crime_category_code_for_csv_name(&r[9]).unwrap()).slug;
            crimes.push((month.clone(), coordinates(&r), category, real_last_outcome(&r[10])));
            crime_categories.entry(r[0].to_owned()).or_insert(category);
        }
    }
    for month in &months {
        let file = data.join(month).join(format!("{month}-city-of-london-outcomes.csv"));
        if file.exists() {
            for r in csv_records(&file) {
                let Some(&category) = crime_categories.get(&r[0]) else { continue };
                let code = outcome_category(outcome_code_for_csv_name(&r[9]).unwrap()).code;
                outcomes.push((month.clone(), coordinates(&r), code, category));
            }
        }
    }
    let in_period = |month: &str| (from..=to).contains(&month);

    let bank = (51.5134, -0.0890);
    let near = |place: Option<(f64, f64)>| {
        place.is_some_and(|(lat, lng)| haversine_m(bank.0, bank.1, lat, lng) <= 800.0)
    };
    for (query, categories, inside) in [
        (
            "force=city-of-london".to_owned(),
            vec![],
            Box::new(|_: Option<(f64, f64)>| true) as Box<dyn Fn(Option<(f64, f64)>) -> bool>,
        ),
        (
            format!("lat={}&lng={}&radius=800", bank.0, bank.1),
            vec!["other-theft", "theft-from-the-person"],
            Box::new(near),
        ),
    ] {
        let wanted = |slug: &str| categories.is_empty() || categories.contains(&slug);
        let category = if categories.is_empty() {
            String::new()
        } else {
            format!("&category={}", categories.join(","))
        };
        let got =
            get(&server, &format!("/api/v2/outcomes/counts?{query}&from={from}&to={to}{category}"));
        // Outcomes per month: the outcome's month and place, its crime's category.
        let mut total = 0;
        for answer in got["months"].as_array().unwrap() {
            let month = answer["month"].as_str().unwrap();
            assert_eq!(answer["missing"], false, "{query} {month}");
            let want = by_slug(
                outcomes.iter().filter(|o| o.0 == month && inside(o.1) && wanted(o.3)).map(|o| o.2),
            );
            assert_eq!(answer["counts"], Value::Object(want.clone()), "{query} {month}");
            total += self::total(&want);
        }
        assert!(total > 0, "{query}");
        assert_eq!(got["total"], total, "{query}");
        // Last outcomes of the period's crimes, per category.
        let period: Vec<&Street> =
            crimes.iter().filter(|c| in_period(&c.0) && wanted(c.2) && inside(c.1)).collect();
        assert_eq!(got["last_outcomes"]["all"]["crimes"], period.len() as u64, "{query}");
        assert_eq!(
            got["last_outcomes"]["all"]["counts"],
            Value::Object(by_slug(period.iter().map(|c| c.3))),
            "{query}"
        );
        for entry in got["last_outcomes"]["by_category"].as_array().unwrap() {
            let slug = entry["category"].as_str().unwrap();
            let of_category: Vec<&&Street> = period.iter().filter(|c| c.2 == slug).collect();
            let want = by_slug(of_category.iter().map(|c| c.3));
            assert_eq!(entry["counts"], Value::Object(want.clone()), "{query} {slug}");
            for (key, n) in &want {
                let share = n.as_f64().unwrap() / of_category.len() as f64;
                assert!((entry["shares"][key].as_f64().unwrap() - share).abs() < 1e-12);
            }
        }
        assert!(period.len() > 100, "{query}: {}", period.len());

        // crimes/counts with last_outcomes: per crime month.
        let got = get(
            &server,
            &format!(
                "/api/v2/crimes/counts?{query}&from={from}&to=2017-09{category}&last_outcomes=true"
            ),
        );
        for answer in got["months"].as_array().unwrap() {
            let month = answer["month"].as_str().unwrap();
            let held = crimes.iter().any(|c| c.0 == month);
            assert_eq!(answer["missing"], !held, "{query} {month}");
            if held {
                let want = by_slug(
                    crimes
                        .iter()
                        .filter(|c| c.0 == month && wanted(c.2) && inside(c.1))
                        .map(|c| c.3),
                );
                assert_eq!(answer["last_outcomes"], Value::Object(want), "{query} {month}");
            }
        }
    }
    // Every last outcome name of these files is one of police.uk's, or none.
    let named: BTreeMap<&str, usize> = crimes.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(c.3).or_default() += 1;
        m
    });
    assert!(!named.contains_key("other"), "{named:?}");
    assert!(named.contains_key("none"), "{named:?}");
}
