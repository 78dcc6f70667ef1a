//! Answers police.uk itself gave, replayed: the crimes of a recorded response are rebuilt as
//! the street rows police.uk's bulk files would hold (from the recordings' own fields),
//! imported, and asked for the way the recorded request asked. The recordings live in
//! `../shared/data/police-uk/api/` (see its `SOURCES.md`); without them the tests skip.
//! `docs/COMPATIBILITY.md` ("The one-mile circle") gives the measurements behind them.

use std::path::{Path, PathBuf};

use police_index::reference::{crime_category, crime_category_code_for_slug, force_by_id};
use police_tests::fixtures::{
    crime, import_cleanly, outcome, outcomes_file, stops_file, street_file, write_file, Place,
    STREET_HEADER,
};
use police_tests::geometry::haversine_m;
use police_tests::http::{assert_error, get_json, TestServer};
use police_tests::{skip_without_shared_data, test_database};
use serde_json::Value;

/// The recorded point query: `crimes-street/all-crime?lat=51.5017355&lng=0.0055388&date=2014-08`
/// (MozFest 2014, Greenwich peninsula), as the recording's source names it.
const GREENWICH: (f64, f64) = (51.5017355, 0.0055388);

/// A centre that explains the second Greenwich recording with the same one-mile rule: it
/// lies 12 m from [`GREENWICH`], inside the small region of centres (about 2 × 4 m) from
/// which exactly that recording's crimes are within a mile (measured, see the module docs).
const SECOND_RECORDING_CENTRE: (f64, f64) = (51.501686, 0.005379);

/// A crime as both police.uk's answer and ours show it, ids aside (police.uk's `id` and
/// `street.id` are its own, not in the bulk files).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    category: String,
    persistent_id: String,
    latitude: String,
    longitude: String,
    street: String,
    location_type: String,
    outcome: String,
}

fn seen(crime: &Value) -> Seen {
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    Seen {
        category: text(&crime["category"]),
        persistent_id: text(&crime["persistent_id"]),
        latitude: text(&crime["location"]["latitude"]),
        longitude: text(&crime["location"]["longitude"]),
        street: text(&crime["location"]["street"]["name"]),
        location_type: text(&crime["location_type"]),
        outcome: crime["outcome_status"]["category"].as_str().unwrap_or_default().to_owned(),
    }
}

fn seen_all(answer: &Value) -> Vec<Seen> {
    let mut all: Vec<Seen> = answer.as_array().unwrap().iter().map(seen).collect();
    all.sort();
    all
}

fn recording(data: &Path, name: &str) -> Vec<Value> {
    let path = data.join("api/crimes-street").join(name);
    serde_json::from_slice::<Value>(&std::fs::read(&path).unwrap())
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Writes the recorded crimes (each police.uk `id` once) as the month's street files of the
/// Metropolitan Police (`location_type` `Force`) and British Transport Police (`BTP`).
fn street_files(dir: &Path, month: &str, crimes: &[Value]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (force, location_type) in [("metropolitan", "Force"), ("btp", "BTP")] {
        let name = force_by_id(force).unwrap().name;
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(STREET_HEADER.split(',')).unwrap();
        for crime in crimes.iter().filter(|c| c["location_type"] == location_type) {
            let location = &crime["location"];
            let slug = crime["category"].as_str().unwrap();
            let crime_type = crime_category(crime_category_code_for_slug(slug).unwrap()).name;
            let outcome = crime["outcome_status"]["category"].as_str().unwrap_or_default();
            csv.write_record([
                crime["persistent_id"].as_str().unwrap(),
                month,
                name,
                name,
                location["longitude"].as_str().unwrap(),
                location["latitude"].as_str().unwrap(),
                location["street"]["name"].as_str().unwrap(),
                "",
                "",
                crime_type,
                outcome,
                crime["context"].as_str().unwrap(),
            ])
            .unwrap();
        }
        files.push(write_file(dir, month, force, "street", csv.into_inner().unwrap()));
    }
    files
}

/// The two recordings of the Greenwich query disagree at the circle's edge: the first has
/// two crimes 1,600.0 m away (Murdock Close) and not four 1,612.4–1,614.5 m away (Parking
/// Area, Aspen Way); the second the other way round, with the 372 crimes they share equal
/// field for field. No rule of distance from one centre gives both, so the first is the
/// answer to the recorded point and ours must be exactly it; the second is exactly our
/// answer one mile around a point 12 m away.
#[test]
fn greenwich_recordings_are_our_one_mile_circles() {
    let data = skip_without_shared_data!();
    let first = recording(&data, "all-crime_lat51.5017355_lng0.0055388_2014-08.json");
    let second = recording(&data, "all-crime_lat51.5017355_lng0.0055388_2014-08_snapshot2.json");
    assert_eq!((first.len(), second.len()), (374, 376));

    let mut union = first.clone();
    let first_ids: Vec<&Value> = first.iter().map(|c| &c["id"]).collect();
    union.extend(second.iter().filter(|c| !first_ids.contains(&&c["id"])).cloned());
    assert_eq!(union.len(), 378, "the recordings share 372 crimes");

    // The crimes each recording has and the other lacks, by our distance from the point.
    let distance = |c: &Value| {
        let location = &c["location"];
        let coordinate = |key: &str| location[key].as_str().unwrap().parse::<f64>().unwrap();
        haversine_m(GREENWICH.0, GREENWICH.1, coordinate("latitude"), coordinate("longitude"))
    };
    let only = |of: &[Value], not_in: &[Value]| -> Vec<f64> {
        of.iter().filter(|c| !not_in.iter().any(|o| o["id"] == c["id"])).map(distance).collect()
    };
    let only_first = only(&first, &second);
    let only_second = only(&second, &first);
    assert_eq!(only_first.len(), 2);
    assert!(only_first.iter().all(|d| (1599.0..1601.0).contains(d)), "{only_first:?}");
    assert_eq!(only_second.len(), 4);
    assert!(only_second.iter().all(|d| (1612.0..1615.0).contains(d)), "{only_second:?}");

    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    import_cleanly(&db, &street_files(dir.path(), "2014-08", &union));
    let server = TestServer::start(&db);
    let ask = |(lat, lng): (f64, f64)| {
        seen_all(&get_json(
            &server,
            &format!("/api/crimes-street/all-crime?lat={lat}&lng={lng}&date=2014-08"),
        ))
    };
    let recorded = |crimes: &[Value]| {
        let mut all: Vec<Seen> = crimes.iter().map(seen).collect();
        all.sort();
        all
    };
    assert_eq!(ask(GREENWICH), recorded(&first));
    assert_eq!(ask(SECOND_RECORDING_CENTRE), recorded(&second));

    // police.uk's `location_subtype` of BTP places is not in the bulk files: ours is "".
    let subtypes = |crimes: &[Value]| {
        let mut all: Vec<(String, String)> = crimes
            .iter()
            .map(|c| (text(&c["location_type"]), text(&c["location_subtype"])))
            .filter(|(location_type, _)| location_type == "BTP")
            .collect();
        all.sort();
        all.dedup_by(|a, b| a == b);
        (crimes.iter().filter(|c| c["location_type"] == "BTP").count(), all)
    };
    let ours =
        get_json(&server, "/api/crimes-street/all-crime?lat=51.5017355&lng=0.0055388&date=2014-08");
    let btp = |subtype: &str| vec![("BTP".to_owned(), subtype.to_owned())];
    assert_eq!(subtypes(&first), (19, btp("LU STATION")));
    assert_eq!(subtypes(ours.as_array().unwrap()), (19, btp("")));
}

fn text(value: &Value) -> String {
    value.as_str().unwrap().to_owned()
}

/// A snap point of the small fixtures below (Leicester).
const MARKET: Place =
    Place { lat: "52.634770", lng: "-1.129407", name: "On or near Market Street" };

/// A police.uk `street.id` (recorded: "On or near Marsh Wall", Greenwich) that no store of
/// ours numbers that way.
const POLICE_UK_ID: &str = "954369";

/// A store of one crime, its outcome and one stop at [`MARKET`] in 2024-01, and a server on
/// it, with this server's `street.id` of the place.
fn one_place() -> (police_tests::TestDatabase, tempfile::TempDir, TestServer, i64) {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    let files = [
        street_file(dir.path(), "2024-01", "leicestershire", &[crime(1, MARKET, "Burglary", "")]),
        outcomes_file(dir.path(), "2024-01", "leicestershire", &[outcome(1, MARKET, "Under investigation")]),
        stops_file(
            dir.path(),
            "2024-01",
            "leicestershire",
            &["Person search,2024-01-07T01:37:39+00:00,False,,52.634770,-1.129407,Male,18-24,,White,,Controlled drugs,A no further action disposal,,False"],
        ),
    ];
    import_cleanly(&db, &files);
    let server = TestServer::start(&db);
    let nearest = get_json(&server, "/api/crimes-at-location?lat=52.6348&lng=-1.1294&date=2024-01");
    let id = nearest[0]["location"]["street"]["id"].as_i64().unwrap();
    (db, dir, server, id)
}

/// police.uk's location ids are not in the bulk files, so an app that kept one gets
/// police.uk's own status for an unknown id (404, or `[]` on `stops-at-location`) and,
/// here, the reason and the way round it; ids this server holds answer as before.
#[test]
fn a_location_id_we_do_not_hold_is_answered_with_why() {
    let (_db, _dir, server, held) = one_place();
    assert_ne!(held.to_string(), POLICE_UK_ID);

    for route in ["crimes-at-location", "outcomes-at-location"] {
        let response = server.get(&format!("/api/{route}?location_id={POLICE_UK_ID}&date=2024-01"));
        assert_error(&response, 404);
        for says in
            [POLICE_UK_ID, "police.uk's ids are not in its bulk files", "lat=<lat>&lng=<lng>"]
        {
            assert!(response.body.contains(says), "{route}: {}", response.body);
        }
        let not_a_number = server.get(&format!("/api/{route}?location_id=abc&date=2024-01"));
        assert_error(&not_a_number, 404);
        assert!(not_a_number.body.contains("snap point's number"), "{}", not_a_number.body);

        let answer = get_json(&server, &format!("/api/{route}?location_id={held}&date=2024-01"));
        assert_eq!(answer.as_array().unwrap().len(), 1, "{route}: {answer}");
    }

    let note = |path: &str| {
        let (status, headers, body) = server.get_bytes(path);
        let note = headers.iter().find(|(name, _)| name == "x-police-api-note");
        (status, String::from_utf8(body).unwrap(), note.map(|(_, value)| value.clone()))
    };
    let (status, body, unknown) =
        note(&format!("/api/stops-at-location?location_id={POLICE_UK_ID}&date=2024-01"));
    assert_eq!((status, body.as_str()), (200, "[]"));
    let unknown = unknown.expect("a note saying why");
    assert!(
        unknown.contains(POLICE_UK_ID) && unknown.contains("not in its bulk files"),
        "{unknown}"
    );
    let (status, body, none) =
        note(&format!("/api/stops-at-location?location_id={held}&date=2024-01"));
    assert_eq!((status, none), (200, None));
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap().as_array().unwrap().len(), 1);
    // A held place without stops in the month asked for: `[]`, and nothing to explain.
    let (status, body, none) =
        note(&format!("/api/stops-at-location?location_id={held}&date=2030-01"));
    assert_eq!((status, body.as_str(), none), (200, "[]", None));
}

/// The small differences issue 17 lists, answered as `docs/COMPATIBILITY.md` ("Paths, methods
/// and slugs") decides: police.uk's bare 404 for a trailing slash, `/crimes-street` without a
/// category and an upper-case force id; HEAD as GET without the body and OPTIONS 204; an
/// upper-case category slug is one police.uk does not know, so all crime;
/// `public-disorder-weapons` is the category of the crimes filed under it before May 2013,
/// and from then on unknown (all crime), as on police.uk.
#[test]
fn paths_methods_and_slugs_answer_as_documented() {
    let db = test_database();
    let dir = tempfile::tempdir().unwrap();
    let files = [
        street_file(
            dir.path(),
            "2024-01",
            "leicestershire",
            &[crime(1, MARKET, "Burglary", ""), crime(2, MARKET, "Drugs", "")],
        ),
        street_file(
            dir.path(),
            "2013-04",
            "leicestershire",
            &[crime(3, MARKET, "Public disorder and weapons", "")],
        ),
    ];
    import_cleanly(&db, &files);
    let server = TestServer::start(&db);
    let near = "lat=52.6348&lng=-1.1294&date=2024-01";

    for path in [
        "/api/forces/".to_owned(),
        "/api/crime-categories/".to_owned(),
        format!("/api/crimes-street/all-crime/?{near}"),
        format!("/api/crimes-street?{near}"),
        format!("/api/crimes-street/?{near}"),
        "/api/forces/METROPOLITAN".to_owned(),
        "/api/forces/Metropolitan/people".to_owned(),
    ] {
        let response = server.get(&path);
        assert_eq!((response.status, response.body.as_str()), (404, "Not Found"), "{path}");
    }
    assert_eq!(server.get("/api/forces/metropolitan").status, 200);

    let (head, body) =
        server.raw("HEAD /api/forces HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(body.is_empty());
    let (head, _) =
        server.raw("OPTIONS /api/forces HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assert!(
        head.starts_with("http/1.1 204") && head.contains("allow: get, head, options"),
        "{head}"
    );

    let categories = |category: &str| {
        let answer = get_json(&server, &format!("/api/crimes-street/{category}?{near}"));
        let mut seen: Vec<String> = answer
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["category"].as_str().unwrap().to_owned())
            .collect();
        seen.sort();
        seen
    };
    assert_eq!(categories("burglary"), ["burglary"]);
    assert_eq!(categories("BURGLARY"), ["burglary", "drugs"]);
    assert_eq!(categories("Burglary"), categories("all-crime"));
    assert_eq!(categories("public-disorder-weapons"), categories("all-crime"));
    let before_2013_05 = get_json(
        &server,
        "/api/crimes-street/public-disorder-weapons?lat=52.6348&lng=-1.1294&date=2013-04",
    );
    assert_eq!(before_2013_05.as_array().unwrap().len(), 1, "{before_2013_05}");
    assert_eq!(before_2013_05[0]["category"], "public-disorder-weapons");
}
