//! `/api/v2/places` over real HTTP: the street places and neighbourhoods found for a query
//! equal a brute-force scan of the same data (every snap point as `/api/v2/crimes` lists
//! them, grouped by name and linked pairwise within a kilometre by this crate's own
//! haversine; every neighbourhood of `/api/{force}/neighbourhoods`), in the same order; a
//! chain of points links into one place; bad input is a 400 with a message.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use police_generate::rng::Rng;
use police_tests::fixtures::{force_name, import, write, write_file, STREET_HEADER};
use police_tests::geometry::{haversine_m, inside_polygon};
use police_tests::http::{assert_error, get_json, TestServer};
use police_tests::test_database;
use serde_json::{json, Value};

use crate::neighbourhoods::{kml, polygon, rect};

const STREETS: [&str; 7] = [
    "High Street",
    "High Road",
    "Highfield Avenue",
    "Church Lane",
    "St. John's Road",
    "Market Place",
    "Upper High Street",
];
const TOWNS: [(&str, f64, f64); 2] =
    [("leicestershire", 52.6297, -1.1316), ("nottinghamshire", 52.9536, -1.1505)];

/// Writes a month of street crimes in two towns: 150 snap points per town with names drawn
/// from [`STREETS`], scattered over about 4 km by 4 km (so points of one name link into
/// several places), one to three crimes each; and a chain on "Chain Road": three points
/// about 800 m apart in a row (one place), and a fourth 1.2 km past the last (another).
/// Leicestershire's neighbourhoods: "City Centre" (with a boundary), "Highfields", "High
/// Fields North" and "Belgrave"; Nottinghamshire's "Highbury Vale".
fn write_archive(dir: &Path) {
    let mut rng = Rng::new(14);
    let mut id = 0;
    for (force, lat0, lng0) in TOWNS {
        let by = force_name(force);
        let mut text = format!("{STREET_HEADER}\n");
        let mut row = |lat: f64, lng: f64, name: &str, text: &mut String| {
            id += 1;
            text.push_str(&format!(
                ",2024-05,{by},{by},{lng:.6},{lat:.6},On or near {name},E01013000,Leicester 001A,Burglary,,\n"
            ));
        };
        for _ in 0..150 {
            let (lat, lng) = (lat0 + rng.range(-0.018, 0.018), lng0 + rng.range(-0.03, 0.03));
            let name = STREETS[rng.index(STREETS.len())];
            for _ in 0..=rng.index(3) {
                row(lat, lng, name, &mut text);
            }
        }
        if force == "leicestershire" {
            // 0.0072° of latitude is about 800 m; the fourth point is 1.2 km past the third.
            for step in [0.0, 0.0072, 0.0144, 0.0252] {
                row(52.70 + step, -1.20, "Chain Road", &mut text);
            }
        }
        write_file(dir, "2024-05", force, "street", text);
    }
    write(
        dir,
        "api/leicestershire/neighbourhoods.json",
        r#"[{"id":"NC04","name":"City Centre"},{"id":"NC10","name":"Highfields"},{"id":"NC11","name":"High Fields North"},{"id":"NC70","name":"Belgrave"}]"#,
    );
    write(
        dir,
        "api/nottinghamshire/neighbourhoods.json",
        r#"[{"id":"N7","name":"Highbury Vale"}]"#,
    );
    write(
        dir,
        "boundaries/2024-05/leicestershire/NC10.kml",
        kml("NC10", &polygon(&rect(52.62, -1.14, 52.64, -1.11), &[])),
    );
}

/// A snap point as `/api/v2/crimes` shows it.
#[derive(Debug, Clone)]
struct Point {
    id: i64,
    lat: f64,
    lng: f64,
    name: String,
}

/// Words as the route reads them: lower-cased runs of letters and digits, a leading
/// "on or near" left out.
fn words(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut all: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect();
    if all.len() >= 3 && all[..3] == ["on", "or", "near"] {
        all.drain(..3);
    }
    all
}

/// 0 exact, 1 the name starts with the query, 2 the words match, `None` otherwise.
fn quality(name: &str, query: &[String]) -> Option<u8> {
    let name = words(name);
    if !query.iter().all(|q| name.iter().any(|w| w.starts_with(q.as_str()))) {
        return None;
    }
    let (name, query) = (name.join(" "), query.join(" "));
    Some(if name == query {
        0
    } else if name.starts_with(&query) {
        1
    } else {
        2
    })
}

const MATCH: [&str; 3] = ["exact", "start", "words"];

/// Every place: the points of each name, linked pairwise within 1,000 m (union-find over all
/// pairs), with centre, bounding box, count and lowest id.
fn places(points: &[Point]) -> Vec<Value> {
    let mut by_name: BTreeMap<&str, Vec<&Point>> = BTreeMap::new();
    for point in points {
        by_name.entry(&point.name).or_default().push(point);
    }
    let mut out = Vec::new();
    for (name, members) in by_name {
        let mut group: Vec<usize> = (0..members.len()).collect();
        fn root(group: &mut [usize], mut i: usize) -> usize {
            while group[i] != i {
                i = group[i];
            }
            i
        }
        for i in 0..members.len() {
            for j in 0..members.len() {
                let (a, b) = (members[i], members[j]);
                if haversine_m(a.lat, a.lng, b.lat, b.lng) <= 1000.0 {
                    let (ra, rb) = (root(&mut group, i), root(&mut group, j));
                    group[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        let mut sets: BTreeMap<usize, Vec<&Point>> = BTreeMap::new();
        for (i, &member) in members.iter().enumerate() {
            sets.entry(root(&mut group, i)).or_default().push(member);
        }
        for set in sets.into_values() {
            let n = set.len() as f64;
            let fold = |f: fn(f64, f64) -> f64, init: f64, get: fn(&Point) -> f64| {
                set.iter().map(|p| get(p)).fold(init, f)
            };
            out.push(json!({
                "street": name,
                "snap_points": set.len(),
                "location_id": set.iter().map(|p| p.id).min(),
                "latitude": set.iter().map(|p| p.lat).sum::<f64>() / n,
                "longitude": set.iter().map(|p| p.lng).sum::<f64>() / n,
                "south": fold(f64::min, f64::INFINITY, |p| p.lat),
                "west": fold(f64::min, f64::INFINITY, |p| p.lng),
                "north": fold(f64::max, f64::NEG_INFINITY, |p| p.lat),
                "east": fold(f64::max, f64::NEG_INFINITY, |p| p.lng),
            }));
        }
    }
    out
}

/// A neighbourhood with a boundary: force id and name, id and name (names as the API gives
/// them), and its boundary's `(lat, lng)` vertices.
type Holder = (String, Value, String, Value, Vec<(f64, f64)>);

/// The answer a brute-force scan gives for `q` and `limit`.
fn expected(
    q: &str,
    limit: usize,
    all_places: &[Value],
    neighbourhoods: &[(String, String, String, String, Value)],
) -> Value {
    let query = words(q);
    let mut streets: Vec<(u8, Value)> = all_places
        .iter()
        .filter_map(|p| quality(p["street"].as_str().unwrap(), &query).map(|m| (m, p.clone())))
        .collect();
    streets.sort_by(|(ma, a), (mb, b)| {
        let key = |m: &u8, v: &Value| {
            (
                *m,
                std::cmp::Reverse(v["snap_points"].as_u64().unwrap()),
                v["street"].as_str().unwrap().to_owned(),
                v["location_id"].as_i64().unwrap(),
            )
        };
        key(ma, a).cmp(&key(mb, b))
    });
    let streets_matched = streets.len();
    let streets: Vec<Value> = streets
        .into_iter()
        .take(limit)
        .map(|(m, mut v)| {
            v["match"] = json!(MATCH[m as usize]);
            v
        })
        .collect();
    let mut found: Vec<(u8, usize, Value)> = neighbourhoods
        .iter()
        .enumerate()
        .filter_map(|(order, (force, force_name, id, name, bounds))| {
            quality(name, &query).map(|m| {
                (m, order, json!({"force": force, "force_name": force_name, "id": id, "name": name, "match": MATCH[m as usize], "bounds": bounds}))
            })
        })
        .collect();
    found.sort_by_key(|(m, order, _)| (*m, *order));
    json!({
        "q": q,
        "words": query,
        "limit": limit,
        "streets_matched": streets_matched,
        "streets": streets,
        "neighbourhoods_matched": found.len(),
        "neighbourhoods": found.into_iter().take(limit).map(|(_, _, v)| v).collect::<Vec<_>>(),
    })
}

/// Compares two answers, numbers to within 1e-9 (the means are sums in another order).
#[track_caller]
fn assert_close(got: &Value, want: &Value, at: &str) {
    match (got, want) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() <= 1e-9, "{at}: {a} != {b}");
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: {got} != {want}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_close(x, y, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let keys =
                |o: &serde_json::Map<String, Value>| o.keys().cloned().collect::<BTreeSet<_>>();
            assert_eq!(keys(a), keys(b), "{at}");
            for (key, x) in a {
                assert_close(x, &b[key], &format!("{at}.{key}"));
            }
        }
        _ => assert_eq!(got, want, "{at}"),
    }
}

#[test]
fn places_equal_a_brute_force_scan_of_the_same_points_and_neighbourhoods() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    write_archive(dir.path());
    let summary = import(&db, &[dir.path().to_owned()]);
    assert_eq!(summary.problems(), 0, "{:?}", summary.reference);
    let server = TestServer::start(&db);

    // Every snap point, as the API lists the crimes at them.
    let crimes = get_json(&server, "/api/v2/crimes?from=2024-05&to=2024-05&limit=all");
    let mut points: BTreeMap<i64, Point> = BTreeMap::new();
    for crime in crimes["crimes"].as_array().unwrap() {
        let location = &crime["location"];
        let id = location["street"]["id"].as_i64().unwrap();
        points.entry(id).or_insert_with(|| Point {
            id,
            lat: location["latitude"].as_str().unwrap().parse().unwrap(),
            lng: location["longitude"].as_str().unwrap().parse().unwrap(),
            name: location["street"]["name"].as_str().unwrap().to_owned(),
        });
    }
    let points: Vec<Point> = points.into_values().collect();
    assert!(points.len() > 250, "{} snap points", points.len());
    let mut all_places = places(&points);

    let mut neighbourhoods = Vec::new();
    // Every boundary in the order locate-neighbourhood tries them, with its polygon.
    let mut boundaries: Vec<Holder> = Vec::new();
    for force in get_json(&server, "/api/forces").as_array().unwrap() {
        let id = force["id"].as_str().unwrap();
        let list = server.get(&format!("/api/{id}/neighbourhoods"));
        if list.status != 200 {
            continue;
        }
        for n in list.json().as_array().unwrap() {
            let nid = n["id"].as_str().unwrap();
            let boundary = get_json(&server, &format!("/api/{id}/{nid}/boundary"));
            let (lats, lngs): (Vec<f64>, Vec<f64>) = boundary
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["latitude"].as_str().unwrap().parse::<f64>().unwrap(),
                        p["longitude"].as_str().unwrap().parse::<f64>().unwrap(),
                    )
                })
                .unzip();
            if !lats.is_empty() {
                let polygon = lats.iter().copied().zip(lngs.iter().copied()).collect();
                boundaries.push((
                    id.to_owned(),
                    force["name"].clone(),
                    nid.to_owned(),
                    n["name"].clone(),
                    polygon,
                ));
            }
            let bounds = if lats.is_empty() {
                Value::Null
            } else {
                let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
                let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                json!([min(&lats), min(&lngs), max(&lats), max(&lngs)])
            };
            neighbourhoods.push((
                id.to_owned(),
                force["name"].as_str().unwrap().to_owned(),
                nid.to_owned(),
                n["name"].as_str().unwrap().to_owned(),
                bounds,
            ));
        }
    }
    assert_eq!(neighbourhoods.len(), 5, "{neighbourhoods:?}");
    // Each place's force and neighbourhood: the first boundary holding its mean point.
    let mut placed = 0;
    for place in &mut all_places {
        let (lat, lng) =
            (place["latitude"].as_f64().unwrap(), place["longitude"].as_f64().unwrap());
        let holder = boundaries.iter().find(|(.., polygon)| inside_polygon(polygon, lat, lng));
        placed += usize::from(holder.is_some());
        let (force, force_name, id, name) = match holder {
            Some((force, force_name, id, name, _)) => {
                (json!(force), force_name.clone(), json!(id), name.clone())
            }
            None => (Value::Null, Value::Null, Value::Null, Value::Null),
        };
        place["force"] = force;
        place["force_name"] = force_name;
        place["neighbourhood"] = id;
        place["neighbourhood_name"] = name;
    }
    assert!(
        placed > 0 && placed < all_places.len(),
        "{placed} of {} places in a boundary",
        all_places.len()
    );

    let asks = [
        ("high street", 10),
        ("High St", 10),
        ("HIGH", 50),
        ("high", 3),
        ("street", 10),
        ("on or near high", 10),
        ("st john", 10),
        ("john's", 10),
        ("market place", 1),
        ("chain road", 10),
        ("church lane", 50),
        ("highfields", 10),
        ("nowhere road", 10),
    ];
    let mut found_any = 0;
    for (q, limit) in asks {
        let path = format!(
            "/api/v2/places?q={}&limit={limit}",
            q.replace(' ', "%20").replace('\'', "%27")
        );
        let got = get_json(&server, &path);
        let want = expected(q, limit, &all_places, &neighbourhoods);
        assert_close(&got, &want, &path);
        found_any += got["streets"].as_array().unwrap().len();
    }
    assert!(found_any > 50, "the queries found only {found_any} places");

    // The chain: three points ~800 m apart are one place, the fourth (1.2 km on) another.
    let chain = get_json(&server, "/api/v2/places?q=chain%20road");
    let counts: Vec<u64> = chain["streets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["snap_points"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [3, 1], "{chain}");
    assert_eq!(chain["streets"][0]["match"], "exact");

    // "high" finds High Street before Highfield Avenue's places only by size, never the
    // reverse of what the brute force says; neighbourhoods by word starts, in list order.
    let high = get_json(&server, "/api/v2/places?q=high");
    let names: Vec<&str> = high["neighbourhoods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Highfields", "High Fields North", "Highbury Vale"], "{high}");
    assert_eq!(high["neighbourhoods"][0]["bounds"], json!([52.62, -1.14, 52.64, -1.11]));
    assert_eq!(high["neighbourhoods"][1]["bounds"], Value::Null);
}

#[test]
fn bad_place_queries_are_400_with_a_message() {
    let db = test_database();
    let server = TestServer::start(&db);
    let long = "a".repeat(101);
    for path in [
        "/api/v2/places".to_owned(),
        "/api/v2/places?q=".to_owned(),
        "/api/v2/places?q=a".to_owned(),
        "/api/v2/places?q=on%20or%20near%20x".to_owned(),
        "/api/v2/places?q=%2C%2C%2C".to_owned(),
        format!("/api/v2/places?q={long}"),
        "/api/v2/places?q=a%20b%20c%20d%20e%20f%20g%20h%20i".to_owned(),
        "/api/v2/places?q=high&limit=0".to_owned(),
        "/api/v2/places?q=high&limit=51".to_owned(),
        "/api/v2/places?q=high&limit=ten".to_owned(),
    ] {
        let response = server.get(&path);
        assert_error(&response, 400);
        assert!(
            response.body.contains("q ") || response.body.contains("limit"),
            "{path}: {}",
            response.body
        );
    }
    // Well-formed on an empty store: nothing found, not an error.
    let empty = get_json(&server, "/api/v2/places?q=high%20street&limit=50");
    assert_eq!(empty["streets"], json!([]));
    assert_eq!(empty["streets_matched"], 0);
    assert_eq!(empty["neighbourhoods"], json!([]));
}
