//! Forces and neighbourhoods over real HTTP, from data imported by the real importer: boundary
//! KMLs (a hole, several parts, a broken file) and saved police.uk responses, written to a
//! temporary folder in police.uk's layouts.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use police_store::import::{FileStatus, ImportSummary, ReferenceKind};
use police_tests::fixtures::{import, write};
use police_tests::http::{poll, Response, TestServer};
use police_tests::{skip_without_shared_data, test_database, TestDatabase};
use serde_json::{json, Value};

/// `(lat, lng)` corners → KML coordinates `lng,lat,0 …`, closed.
fn ring(points: &[(f64, f64)]) -> String {
    points
        .iter()
        .chain(points.first())
        .map(|(lat, lng)| format!("{lng},{lat},0"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn rect(lat0: f64, lng0: f64, lat1: f64, lng1: f64) -> Vec<(f64, f64)> {
    vec![(lat0, lng0), (lat0, lng1), (lat1, lng1), (lat1, lng0)]
}

pub(crate) fn polygon(outer: &[(f64, f64)], holes: &[Vec<(f64, f64)>]) -> String {
    let mut out = format!(
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs>",
        ring(outer)
    );
    for hole in holes {
        out.push_str(&format!(
            "<innerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></innerBoundaryIs>",
            ring(hole)
        ));
    }
    out + "</Polygon>"
}

pub(crate) fn kml(name: &str, geometry: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n\
         <Document>\n<Placemark>\n<name>{name}</name>\n{geometry}\n</Placemark>\n</Document>\n</kml>\n"
    )
}

const FORCE: &str = r#"{
  "id": "leicestershire",
  "name": "Leicestershire Police",
  "telephone": "101",
  "url": "http://www.leics.police.uk/",
  "description": null,
  "engagement_methods": [
    {"title": "facebook", "type": "facebook", "url": "https://www.facebook.com/leicspolice", "description": null},
    {"title": "twitter", "description": "Follow us", "url": "http://twitter.com/leicspolice", "type": "twitter", "extra": 1}
  ]
}"#;

const FORCE_BYTES: &str = r#"{"description":null,"url":"http://www.leics.police.uk/","engagement_methods":[{"url":"https://www.facebook.com/leicspolice","type":"facebook","description":null,"title":"facebook"},{"url":"http://twitter.com/leicspolice","type":"twitter","description":"Follow us","title":"twitter"}],"telephone":"101","id":"leicestershire","name":"Leicestershire Police"}"#;

const OFFICERS: &str = r#"[{"bio":"Roger joined Lincolnshire Police in 1988…","contact_details":{"twitter":"http://www.twitter.com/ACCCLeicsPolice"},"name":"Roger Bannister","rank":"Assistant Chief Officer (Crime)"}]"#;

const LIST: &str = r#"[{"id":"NC04","name":"City Centre"},{"id":"NC66","name":"Cultural Quarter"},{"id":"NC67","name":"Riverside"}]"#;

/// police.uk's documented example, keys reordered and pretty-printed as a saved file might be.
const DETAIL: &str = r#"{
  "id": "NC04",
  "name": "City Centre",
  "description": "<p>The Castle neighbourhood is …</p>",
  "population": "0",
  "url_force": "http://www.leics.police.uk/local-policing/city-centre",
  "centre": {"latitude": "52.6389", "longitude": "-1.13619"},
  "contact_details": {
    "twitter": "http://www.twitter.com/centralleicsNPA",
    "facebook": "http://www.facebook.com/leicspolice",
    "telephone": "101",
    "email": "centralleicester.npa@leicestershire.pnn.police.uk"
  },
  "links": [{"url": "http://www.leicester.gov.uk/", "description": null, "title": "Leicester City Council"}],
  "locations": [{"name": "Mansfield House", "longitude": null, "postcode": "LE1 3GG", "address": "74 Belgrave Gate\n, Leicester", "latitude": null, "type": "station", "description": null}]
}"#;

/// In police.uk's captured key order; `contact_details` in the documented key order.
const DETAIL_BYTES: &str = r#"{"url_force":"http://www.leics.police.uk/local-policing/city-centre","contact_details":{"email":"centralleicester.npa@leicestershire.pnn.police.uk","telephone":"101","facebook":"http://www.facebook.com/leicspolice","twitter":"http://www.twitter.com/centralleicsNPA"},"name":"City Centre","links":[{"url":"http://www.leicester.gov.uk/","description":null,"title":"Leicester City Council"}],"centre":{"latitude":"52.6389","longitude":"-1.13619"},"locations":[{"name":"Mansfield House","longitude":null,"postcode":"LE1 3GG","address":"74 Belgrave Gate\n, Leicester","latitude":null,"type":"station","description":null}],"description":"<p>The Castle neighbourhood is …</p>","id":"NC04","population":"0"}"#;

const TEAM: &str = r#"[{"bio":null,"contact_details":{},"name":"Jane Smith","rank":"PC 1234"},{"name":"Sam Jones","rank":"Sgt","contact_details":{"email":"sam.jones@leicestershire.pnn.police.uk"},"bio":"<p>Sam.</p>"}]"#;
const TEAM_BYTES: &str = r#"[{"bio":null,"contact_details":{},"name":"Jane Smith","rank":"PC 1234"},{"bio":"<p>Sam.</p>","contact_details":{"email":"sam.jones@leicestershire.pnn.police.uk"},"name":"Sam Jones","rank":"Sgt"}]"#;
const EVENTS: &str = r#"[{"contact_details":{},"description":null,"title":"Drop In Beat Surgery","address":"Nagarjuna Buddhist Centre, 17 Guildhall Lane","type":"meeting","start_date":"2016-09-17T12:00:00","end_date":"2016-09-17T14:00:00"}]"#;
const PRIORITIES: &str = r#"[{"action":null,"issue-date":"2016-04-14T00:00:00","action-date":null,"issue":"<p>To reduce the amount of Anti-social Behaviour Humberstone Gate, Leicester.</p>"}]"#;

/// NC04: a square with a square hole; NC67 fills the hole's southern half; NC66: two parts,
/// the first overlapped by Nottinghamshire's N1; NC99: known only from its boundary;
/// XX99: a broken KML.
fn write_archive(dir: &Path) {
    write(dir, "api/forces/leicestershire.json", FORCE);
    write(dir, "api/forces/leicestershire/people.json", OFFICERS);
    write(dir, "api/leicestershire/neighbourhoods.json", LIST);
    write(dir, "api/leicestershire/NC04.json", DETAIL);
    write(dir, "api/leicestershire/NC04/people.json", TEAM);
    write(dir, "api/leicestershire/NC04/events.json", EVENTS);
    write(dir, "api/leicestershire/NC04/priorities.json", PRIORITIES);
    let boundaries = "boundaries/2024-05";
    write(
        dir,
        &format!("{boundaries}/leicestershire/NC04.kml"),
        kml(
            "NC04",
            &polygon(&rect(52.60, -1.16, 52.66, -1.10), &[rect(52.62, -1.14, 52.64, -1.12)]),
        ),
    );
    write(
        dir,
        &format!("{boundaries}/leicestershire/NC67.kml"),
        kml("NC67", &polygon(&rect(52.62, -1.14, 52.63, -1.12), &[])),
    );
    let parts = format!(
        "<MultiGeometry>{}{}</MultiGeometry>",
        polygon(&rect(52.70, -1.16, 52.72, -1.14), &[]),
        polygon(&rect(52.80, -1.00, 52.82, -0.98), &[])
    );
    write(dir, &format!("{boundaries}/leicestershire/NC66.kml"), kml("NC66", &parts));
    write(
        dir,
        &format!("{boundaries}/leicestershire/NC99.kml"),
        kml("NC99", &polygon(&[(52.50, -1.20), (52.50, -1.18), (52.52, -1.19)], &[])),
    );
    let broken = kml("XX99", &polygon(&rect(52.9, -1.2, 52.95, -1.1), &[]));
    write(dir, &format!("{boundaries}/leicestershire/XX99.kml"), &broken[..broken.len() / 2]);
    write(
        dir,
        &format!("{boundaries}/nottinghamshire/N1.kml"),
        kml("N1", &polygon(&rect(52.71, -1.15, 52.73, -1.13), &[])),
    );
}

fn imported_archive() -> (TestDatabase, tempfile::TempDir, ImportSummary) {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    write_archive(dir.path());
    let summary = import(&db, &[dir.path().to_owned()]);
    (db, dir, summary)
}

fn not_found(response: &Response, what: &str) {
    assert_eq!(
        (response.status, response.content_type.as_str(), response.body.as_str()),
        (404, "text/plain", "Not Found"),
        "{what}"
    );
}

fn ok(server: &TestServer, path: &str) -> Response {
    let response = server.get(path);
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    assert_eq!(response.content_type, "application/json", "{path}");
    response
}

fn located(server: &TestServer, lat: f64, lng: f64) -> Option<Value> {
    let response = server.get(&format!("/api/locate-neighbourhood?q={lat},{lng}"));
    match response.status {
        200 => Some(response.json()),
        _ => {
            not_found(&response, &format!("locate {lat},{lng}"));
            None
        }
    }
}

#[test]
fn imports_are_reported_file_by_file_and_a_broken_kml_is_skipped() {
    let (db, dir, summary) = imported_archive();
    assert!(summary.files.is_empty());
    assert_eq!(summary.reference.len(), 13, "{:#?}", summary.reference);
    let broken: Vec<_> =
        summary.reference.iter().filter(|r| matches!(r.status, FileStatus::Refused(_))).collect();
    assert_eq!(broken.len(), 1, "{:#?}", summary.reference);
    assert!(broken[0].file.ends_with("leicestershire/XX99.kml"), "{}", broken[0].file);
    let FileStatus::Refused(why) = &broken[0].status else { unreachable!() };
    assert!(why.contains("XML") || why.contains("ends inside"), "{why}");
    assert_eq!(summary.problems(), 1);
    for report in &summary.reference {
        assert_eq!(report.records_read, report.records_accepted + report.records_rejected);
        if report.file.ends_with("XX99.kml") {
            continue;
        }
        assert_eq!(report.status, FileStatus::Imported { replaced: false }, "{}", report.file);
    }
    let nc66 = summary.reference.iter().find(|r| r.file.ends_with("NC66.kml")).unwrap();
    assert_eq!(
        (nc66.kind, nc66.records_read, nc66.records_accepted),
        (ReferenceKind::BoundaryKml, 2, 2)
    );
    let list =
        summary.reference.iter().find(|r| r.kind == ReferenceKind::NeighbourhoodList).unwrap();
    assert_eq!(list.records_accepted, 3);

    // A second run changes nothing; the broken file is reported again.
    let again = import(&db, &[dir.path().to_owned()]);
    assert_eq!(again.reference_count(|s| *s == FileStatus::Unchanged), 12);
    assert_eq!(again.problems(), 1);
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let ledger = diesel::sql_query("SELECT count(*) AS n FROM reference_imports")
        .get_result::<N>(&mut db.connect())
        .unwrap();
    assert_eq!(ledger.n, 12);
}

#[test]
fn forces_and_neighbourhoods_answer_police_uk_json() {
    let (db, _dir, _) = imported_archive();
    let server = TestServer::start(&db);

    assert_eq!(ok(&server, "/api/forces/leicestershire").body, FORCE_BYTES);
    assert_eq!(ok(&server, "/api/forces/leicestershire/people").body, OFFICERS);
    // Known forces without imported pages still answer.
    assert_eq!(
        ok(&server, "/api/forces/surrey").body,
        r#"{"description":null,"url":null,"engagement_methods":[],"telephone":null,"id":"surrey","name":"Surrey Police"}"#
    );
    assert_eq!(ok(&server, "/api/forces/surrey/people").body, "[]");
    assert_eq!(ok(&server, "/api/surrey/neighbourhoods").body, "[]");
    assert_eq!(ok(&server, "/api/forces").json().as_array().unwrap().len(), 44);

    // The list's order, then the neighbourhood known only from its boundary, named by its id.
    assert_eq!(
        ok(&server, "/api/leicestershire/neighbourhoods").body,
        r#"[{"id":"NC04","name":"City Centre"},{"id":"NC66","name":"Cultural Quarter"},{"id":"NC67","name":"Riverside"},{"id":"NC99","name":"NC99"}]"#
    );
    assert_eq!(ok(&server, "/api/leicestershire/NC04").body, DETAIL_BYTES);
    assert_eq!(ok(&server, "/api/leicestershire/NC04/people").body, TEAM_BYTES);
    assert_eq!(ok(&server, "/api/leicestershire/NC04/events").body, EVENTS);
    assert_eq!(ok(&server, "/api/leicestershire/NC04/priorities").body, PRIORITIES);
    for sub in ["people", "events", "priorities"] {
        assert_eq!(ok(&server, &format!("/api/leicestershire/NC66/{sub}")).body, "[]");
    }
    // Without a detail file: the list's name, the middle of the boundary as centre.
    assert_eq!(
        ok(&server, "/api/leicestershire/NC66").json(),
        json!({"url_force": null, "contact_details": {}, "name": "Cultural Quarter", "links": [],
               "centre": {"latitude": "52.760000", "longitude": "-1.070000"}, "locations": [],
               "description": null, "id": "NC66", "population": null})
    );
    assert_eq!(
        ok(&server, "/api/nottinghamshire/neighbourhoods").body,
        r#"[{"id":"N1","name":"N1"}]"#
    );
}

fn vertices(body: &Value) -> Vec<(f64, f64)> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let (lat, lng) = (v["latitude"].as_str().unwrap(), v["longitude"].as_str().unwrap());
            assert_eq!(lat.split('.').nth(1).unwrap().len(), 10, "{lat}");
            assert_eq!(lng.split('.').nth(1).unwrap().len(), 10, "{lng}");
            (lat.parse().unwrap(), lng.parse().unwrap())
        })
        .collect()
}

#[test]
fn boundaries_are_one_closed_ring_with_ten_decimals() {
    let (db, _dir, _) = imported_archive();
    let server = TestServer::start(&db);
    let nc67 = ok(&server, "/api/leicestershire/NC67/boundary");
    assert_eq!(
        nc67.body,
        r#"[{"latitude":"52.6200000000","longitude":"-1.1400000000"},{"latitude":"52.6200000000","longitude":"-1.1200000000"},{"latitude":"52.6300000000","longitude":"-1.1200000000"},{"latitude":"52.6300000000","longitude":"-1.1400000000"},{"latitude":"52.6200000000","longitude":"-1.1400000000"}]"#
    );
    // With a hole: outer ring closed, hole closed, back to the start.
    let nc04 = vertices(&ok(&server, "/api/leicestershire/NC04/boundary").json());
    assert_eq!(nc04.len(), 11);
    assert_eq!(nc04[0], (52.60, -1.16));
    assert_eq!(nc04[4], nc04[0]);
    assert_eq!(nc04[5], (52.62, -1.14));
    assert_eq!(nc04[9], nc04[5]);
    assert_eq!(nc04[10], nc04[0]);
    // Two parts the same way.
    let nc66 = vertices(&ok(&server, "/api/leicestershire/NC66/boundary").json());
    assert_eq!((nc66.len(), nc66[5], nc66[10]), (11, (52.80, -1.00), (52.70, -1.16)));
    // The ring works as a poly: a crime query over it is accepted.
    let poly: Vec<String> = nc04.iter().map(|(lat, lng)| format!("{lat},{lng}")).collect();
    let crimes = server.get(&format!("/api/crimes-street/all-crime?poly={}", poly.join(":")));
    assert_ne!(crimes.status, 400, "{}", crimes.body);
}

#[test]
fn locate_neighbourhood_respects_holes_parts_and_overlaps() {
    let (db, _dir, _) = imported_archive();
    let server = TestServer::start(&db);
    let at = |force: &str, id: &str| Some(json!({"force": force, "neighbourhood": id}));
    assert_eq!(located(&server, 52.61, -1.15), at("leicestershire", "NC04"));
    // Inside NC04's hole: not NC04. The hole's southern half is NC67, its northern half no one's.
    assert_eq!(located(&server, 52.625, -1.13), at("leicestershire", "NC67"));
    assert_eq!(located(&server, 52.635, -1.13), None);
    // Both parts of NC66.
    assert_eq!(located(&server, 52.705, -1.155), at("leicestershire", "NC66"));
    assert_eq!(located(&server, 52.81, -0.99), at("leicestershire", "NC66"));
    // Where NC66 and Nottinghamshire's N1 overlap, the force listed first (Leicestershire) wins.
    assert_eq!(located(&server, 52.715, -1.145), at("leicestershire", "NC66"));
    assert_eq!(located(&server, 52.725, -1.135), at("nottinghamshire", "N1"));
    assert_eq!(located(&server, 52.505, -1.19), at("leicestershire", "NC99"));
    // Outside everything, out of range, or malformed.
    for q in ["0,0", "52.925,-1.15", "95,0", "52.61", "52.61,", "abc,def", "52.61,-1.15,3", ""] {
        not_found(&server.get(&format!("/api/locate-neighbourhood?q={q}")), q);
    }
    not_found(&server.get("/api/locate-neighbourhood"), "no q");
    assert_eq!(
        ok(&server, "/api/locate-neighbourhood?q=52.61,-1.15").body,
        r#"{"force":"leicestershire","neighbourhood":"NC04"}"#
    );
}

#[test]
fn unknown_forces_and_neighbourhoods_are_not_found() {
    let (db, _dir, _) = imported_archive();
    let server = TestServer::start(&db);
    for path in [
        "/api/forces/atlantis",
        "/api/forces/btp",
        "/api/forces/atlantis/people",
        "/api/forces/btp/people",
        "/api/forces/Leicestershire",
        "/api/atlantis/neighbourhoods",
        "/api/btp/neighbourhoods",
        "/api/atlantis/NC04",
        "/api/leicestershire/nc04",
        "/api/leicestershire/NC05",
        "/api/leicestershire/XX99",
        "/api/leicestershire/nc04/boundary",
        "/api/leicestershire/nc04/people",
        "/api/leicestershire/nc04/events",
        "/api/leicestershire/nc04/priorities",
        "/api/leicestershire/NC05/boundary",
        "/api/leicestershire/NC04/unknown",
    ] {
        not_found(&server.get(path), path);
    }
    // Fixed routes are not shadowed by `/{force}/{neighbourhood}`.
    let crimes = server.get("/api/crimes-street/all-crime?lat=52.63&lng=-1.13");
    assert_eq!((crimes.status, crimes.content_type.as_str()), (200, "application/json"));
    assert_eq!(ok(&server, "/api/crime-categories").json()[0]["url"], "all-crime");
}

#[test]
fn a_running_server_picks_up_imported_neighbourhoods() {
    let db = test_database();
    let server = TestServer::start(&db);
    assert_eq!(ok(&server, "/api/leicestershire/neighbourhoods").body, "[]");
    not_found(&server.get("/api/leicestershire/NC04"), "before the import");
    let dir = tempfile::tempdir().unwrap();
    write_archive(dir.path());
    import(&db, &[dir.path().to_owned()]);
    let response = poll(&server, "/api/leicestershire/NC04", |r| r.status == 200);
    assert_eq!(response.status, 200, "the server never refreshed");
    assert_eq!(response.body, DETAIL_BYTES);
    assert_eq!(located(&server, 52.61, -1.15).unwrap()["neighbourhood"], "NC04");
}

#[test]
fn a_later_list_or_boundary_replaces_the_earlier_one() {
    let (db, dir, _) = imported_archive();
    // A new list renames and reorders; NC66, no longer listed, follows it.
    write(
        dir.path(),
        "api/leicestershire/neighbourhoods.json",
        r#"[{"id":"NC67","name":"Riverside and Castle"},{"id":"NC04","name":"City Centre"}]"#,
    );
    // A boundary.json replaces NC67's KML boundary (both are "the boundary").
    write(
        dir.path(),
        "api/leicestershire/NC67/boundary.json",
        r#"[{"latitude":"52.3","longitude":"-1.3"},{"latitude":"52.3","longitude":"-1.2"},{"latitude":"52.4","longitude":"-1.2"},{"latitude":"52.3","longitude":"-1.3"}]"#,
    );
    let summary = import(&db, &[dir.path().join("api")]);
    assert_eq!(
        summary.reference_count(|s| matches!(s, FileStatus::Imported { replaced: true })),
        2
    );
    let server = TestServer::start(&db);
    assert_eq!(
        ok(&server, "/api/leicestershire/neighbourhoods").body,
        r#"[{"id":"NC67","name":"Riverside and Castle"},{"id":"NC04","name":"City Centre"},{"id":"NC66","name":"Cultural Quarter"},{"id":"NC99","name":"NC99"}]"#
    );
    assert_eq!(vertices(&ok(&server, "/api/leicestershire/NC67/boundary").json()).len(), 4);
    assert_eq!(located(&server, 52.625, -1.13), None);
    assert_eq!(located(&server, 52.32, -1.21).unwrap()["neighbourhood"], "NC67");
}

#[test]
fn files_of_the_wrong_shape_are_refused_and_bad_records_rejected() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "forces/surrey.json", r#"{"id":"kent","name":"Kent Police"}"#);
    write(dir.path(), "forces/kent.json", "[1, 2]");
    write(
        dir.path(),
        "surrey/neighbourhoods.json",
        r#"[{"id":"A1","name":"One"},{"name":"no id"},{"id":"A1","name":"again"},{"id":179,"name":"Numeric"}]"#,
    );
    write(dir.path(), "surrey/A1/people.json", "{not json");
    let summary = import(&db, &[dir.path().to_owned()]);
    let status =
        |suffix: &str| summary.reference.iter().find(|r| r.file.ends_with(suffix)).unwrap().clone();
    assert!(
        matches!(status("forces/surrey.json").status, FileStatus::Refused(why) if why.contains("\"kent\""))
    );
    assert!(
        matches!(status("forces/kent.json").status, FileStatus::Refused(why) if why.contains("object"))
    );
    assert!(
        matches!(status("A1/people.json").status, FileStatus::Refused(why) if why.contains("not JSON"))
    );
    let list = status("surrey/neighbourhoods.json");
    assert_eq!(list.status, FileStatus::Imported { replaced: false });
    assert_eq!((list.records_read, list.records_accepted, list.records_rejected), (4, 2, 2));
    assert_eq!(list.rejections.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(summary.problems(), 3);
    let server = TestServer::start(&db);
    assert_eq!(
        ok(&server, "/api/surrey/neighbourhoods").body,
        r#"[{"id":"A1","name":"One"},{"id":"179","name":"Numeric"}]"#
    );
    assert_eq!(ok(&server, "/api/forces/surrey").json()["url"], Value::Null);
}

#[test]
fn real_police_uk_responses_import_as_they_are_and_come_back_equal() {
    let data = skip_without_shared_data!();
    let force = data.join("api/forces/city-of-london.json");
    let list = data.join("api/city-of-london/neighbourhoods.json");
    if !force.is_file() || !list.is_file() {
        police_tests::report_skip(&format!(
            "the saved city-of-london responses are not in {}",
            data.display()
        ));
        return;
    }
    let db = test_database();
    let summary = import(&db, &[force.clone(), list.clone()]);
    assert_eq!(summary.problems(), 0, "{:#?}", summary.reference);
    assert_eq!(summary.reference_count(|s| matches!(s, FileStatus::Imported { .. })), 2);
    let server = TestServer::start(&db);
    let saved =
        |path: &Path| -> Value { serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap() };
    assert_eq!(ok(&server, "/api/forces/city-of-london").json(), saved(&force));
    assert_eq!(ok(&server, "/api/city-of-london/neighbourhoods").json(), saved(&list));
    // Every listed neighbourhood answers, with nothing more known than its name.
    for n in saved(&list).as_array().unwrap() {
        let id = n["id"].as_str().unwrap();
        let detail = ok(&server, &format!("/api/city-of-london/{id}")).json();
        assert_eq!(detail["name"], n["name"]);
        assert_eq!(ok(&server, &format!("/api/city-of-london/{id}/boundary")).body, "[]");
    }
}

#[test]
fn a_generated_archive_answers_every_endpoint() {
    use police_generate::{generate, GenerateOptions};
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    let options = GenerateOptions {
        forces: vec!["city-of-london".into(), "surrey".into()],
        months: 1,
        crimes_per_month: 2_000,
        snap_points: 1_000,
        neighbourhoods_per_force: 10,
        ..GenerateOptions::demo()
    };
    generate(&options, dir.path()).unwrap();
    let summary = import(&db, &[dir.path().to_owned()]);
    assert_eq!(summary.problems(), 0, "{:#?}", summary.reference);
    let server = TestServer::start(&db);
    for force in ["city-of-london", "surrey"] {
        let detail = ok(&server, &format!("/api/forces/{force}")).json();
        assert!(detail["url"].as_str().unwrap().starts_with("https://"));
        ok(&server, &format!("/api/forces/{force}/people"));
        let list = ok(&server, &format!("/api/{force}/neighbourhoods")).json();
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 10);
        for n in list {
            let id = n["id"].as_str().unwrap();
            let detail = ok(&server, &format!("/api/{force}/{id}")).json();
            assert_eq!(detail["name"], n["name"]);
            let team = ok(&server, &format!("/api/{force}/{id}/people")).json();
            assert!(!team.as_array().unwrap().is_empty());
            ok(&server, &format!("/api/{force}/{id}/events"));
            ok(&server, &format!("/api/{force}/{id}/priorities"));
            let boundary = vertices(&ok(&server, &format!("/api/{force}/{id}/boundary")).json());
            assert!(boundary.len() >= 4 && boundary.first() == boundary.last());
        }
    }
    // A generated crime's snap point lies in a neighbourhood of its force.
    let street =
        std::fs::read_to_string(dir.path().join("2024-01/2024-01-surrey-street.csv")).unwrap();
    let fields: Vec<&str> = street
        .lines()
        .skip(1)
        .map(|row| row.split(',').collect::<Vec<_>>())
        .find(|fields| !fields[4].is_empty())
        .unwrap();
    let found = located(&server, fields[5].parse().unwrap(), fields[4].parse().unwrap()).unwrap();
    assert_eq!(found["force"], "surrey");
}
