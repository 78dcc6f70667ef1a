//! Fuzzing the parameter parsers with proptest (cargo-fuzz needs a nightly toolchain, CI has
//! none): every parser that reads request text without the data (areas and polygons, points,
//! months and periods, categories, forces, list limits and cursors, stop groupings, the
//! download's selection, `compare`'s areas, GeoJSON and multipart bodies) is fed arbitrary
//! text and near-valid text. None may panic; every error is a 4xx whose message is words,
//! not Rust Debug text.
//!
//! Each target runs `POLICE_FUZZ_CASES` cases (default [`DEFAULT_CASES`]); run longer with
//! e.g. `POLICE_FUZZ_CASES=1000000 cargo test -p police-api --release params::fuzz`.

use actix_web::ResponseError;
use police_index::Month;
use proptest::prelude::*;
use proptest::test_runner::Config;

use super::*;

/// Cases per target when `POLICE_FUZZ_CASES` is not set.
const DEFAULT_CASES: u32 = 3_000;

fn config() -> Config {
    let cases = std::env::var("POLICE_FUZZ_CASES").ok().and_then(|v| v.parse().ok());
    Config { cases: cases.unwrap_or(DEFAULT_CASES), failure_persistence: None, ..Config::default() }
}

/// Text that Rust's `Debug` formatting of an error would leave in a message.
const DEBUG_TOKENS: &[&str] = &["Some(", "None", "Custom {", "kind:", "Error {", "Utf8Error"];

/// Asserts that a parser's error is a 4xx with a message in words (Debug text only where the
/// input itself held it: messages quote the value they reject).
fn assert_readable(error: &ApiError, input: &str) {
    let status = error.status_code();
    assert!(status.is_client_error(), "{status} for {input:?}: {error}");
    let message = error.to_string();
    assert!(!message.trim().is_empty(), "an empty message for {input:?}");
    for token in DEBUG_TOKENS {
        assert!(
            !message.contains(token) || input.contains(token),
            "Debug text {token:?} in {message:?}"
        );
    }
}

/// Runs `result`'s error, if any, through [`assert_readable`].
fn check<T>(result: Result<T, ApiError>, input: &str) {
    if let Err(error) = result {
        assert_readable(&error, input);
    }
}

/// A number as clients write them, and as they get them wrong.
fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| v.to_string()),
        (-200.0..200.0f64).prop_map(|v| format!("{v:.6}")),
        "[-+]?[0-9]{0,4}(\\.[0-9]{0,14})?([eE][-+]?[0-9]{1,4})?",
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
        Just("-0".to_owned()),
        Just(" 52.5 ".to_owned()),
    ]
}

/// `lat,lng:lat,lng:…` with numbers, empty or broken vertices.
fn poly_text() -> impl Strategy<Value = String> {
    let vertex = prop_oneof![
        (number_text(), number_text()).prop_map(|(lat, lng)| format!("{lat},{lng}")),
        (50.0..56.0f64, -5.0..2.0f64).prop_map(|(lat, lng)| format!("{lat},{lng}")),
        "[-0-9.,: ]{0,12}",
    ];
    prop::collection::vec(vertex, 0..40).prop_map(|vertices| vertices.join(":"))
}

/// `YYYY-MM` and near misses.
fn month_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0..10_000u32, 0..14u32).prop_map(|(y, m)| format!("{y:04}-{m:02}")),
        "[0-9]{0,6}-?[0-9]{0,3}",
        "[0-9-]{0,10}",
    ]
}

/// A parameter value: arbitrary text, or near-valid text of every kind the parsers read.
fn value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        number_text(),
        poly_text(),
        month_text(),
        "[a-z-]{0,20}(,[a-z-]{0,20}){0,4}",
        "(force|lsoa|poly|circle|neighbourhood|national)(:[-a-zA-Z0-9.,:/]{0,30})?",
        "[A-Za-z0-9_-]{0,60}",
        Just(String::new()),
    ]
}

const KEYS: &[&str] = &[
    "lat",
    "lng",
    "poly",
    "q",
    "date",
    "from",
    "to",
    "baseline_from",
    "baseline_to",
    "category",
    "force",
    "forces",
    "kinds",
    "radius",
    "limit",
    "format",
    "cursor",
    "by",
    "last_outcome",
    "last_outcomes",
    "has_crime_id",
    "location_id",
    "lsoa",
    "neighbourhood",
    "area",
];

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((prop::sample::select(KEYS).prop_map(str::to_owned), value_text()), 0..8)
}

/// Every snapshot-free parser over `params`.
fn parse_everything(params: &Params, input: &str) {
    let latest = Month::new(2024, 6);
    check(AreaQuery::from_params(params).area(), input);
    check(NearestQuery::from_params(params).point(), input);
    if let Some(q) = params.get("q") {
        let _ = parse_q(q);
        check(LocateQuery::from_params(params).point(), input);
    }
    for key in ["date", "from", "to", "baseline_from", "baseline_to"] {
        check(month_param(params.get(key), key), input);
    }
    for latest in [latest, None] {
        check(PeriodQuery::from_params(params).period(latest), input);
        check(StopPeriodQuery::from_params(params).period(latest), input);
        check(DownloadQuery::from_params(params).selection(latest), input);
    }
    check(BaselineQuery::from_params(params).baseline(), input);
    check(CategoriesQuery::from_params(params).categories(), input);
    let month = Month::new(2024, 1).expect("a valid month");
    let _ = CategoryQuery::from_params(params).filter(month);
    let _ =
        CategoryPath { category: params.get("category").unwrap_or("").to_owned() }.filter(month);
    check(LastOutcomesQuery::from_params(params).wanted(), input);
    let force = ForceQuery::from_params(params);
    check(force.known_force(), input);
    check(force.stop_force(), input);
    let list = ListQuery::from_params(params);
    check(list.limit(), input);
    check(list.cursor(), input);
    let filter = CrimeFilterQuery::from_params(params);
    check(filter.last_outcomes(), input);
    check(filter.has_crime_id(), input);
    check(StopGroupingQuery::from_params(params).dimensions(), input);
    for spec in params.all("area") {
        if let Ok(area) = compared_area_params(spec) {
            check(AreaQuery::from_params(&area).area(), input);
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn query_parameters(pairs in pairs()) {
        let input = format!("{pairs:?}");
        parse_everything(&Params { pairs }, &input);
    }

    #[test]
    fn query_strings(query in prop_oneof![any::<String>(), "([a-z_]{1,12}=[-a-z0-9.,:%+&=]{0,30}&?){0,6}"]) {
        if let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(&query) {
            parse_everything(&Params { pairs }, &query);
        }
    }

    #[test]
    fn cursors(text in any::<String>(), edits in prop::collection::vec((any::<usize>(), any::<char>()), 0..4), position: u32, fingerprint: u64) {
        check(Cursor::decode(&text), &text);
        let cursor = Cursor {
            version: "4.2.0.0".into(),
            fingerprint,
            at: police_index::crimes::WalkPosition { month: Month::new(2024, 1).unwrap(), position },
        };
        let encoded = cursor.encode();
        prop_assert_eq!(Cursor::decode(&encoded), Ok(cursor));
        let mut damaged: Vec<char> = encoded.chars().collect();
        for (at, c) in edits {
            let at = at % damaged.len();
            damaged[at] = c;
        }
        let damaged: String = damaged.into_iter().collect();
        check(Cursor::decode(&damaged), &damaged);
        check(Cursor::decode(&encoded[..encoded.len() / 2]), &encoded);
    }

    #[test]
    fn geojson_bodies(body in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        geojson_text().prop_map(String::into_bytes),
    ]) {
        let input = String::from_utf8_lossy(&body).into_owned();
        check(geojson_area(&body), &input);
    }

    #[test]
    fn multipart_bodies(boundary in "[a-zA-Z0-9'()+_,-./:=? ]{0,20}", body in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "(--[a-z]{0,4}(\r\n)?(Content-Disposition: form-data; name=\"?[a-z]{0,5}\"?)?(\r\n\r\n)?[a-z0-9=]{0,8}(\r\n)?){0,4}(--)?"
            .prop_map(String::into_bytes),
    ]) {
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let input = format!("{content_type} {}", String::from_utf8_lossy(&body));
        check(multipart_fields(&content_type, &body), &input);
    }
}

/// GeoJSON near what the v2 routes take: polygons whose rings have random positions.
fn geojson_text() -> impl Strategy<Value = String> {
    let position = prop_oneof![
        (number_text(), number_text()).prop_map(|(lng, lat)| format!("[{lng},{lat}]")),
        (-5.0..2.0f64, 50.0..56.0f64).prop_map(|(lng, lat)| format!("[{lng},{lat}]")),
        Just("[]".to_owned()),
        Just("[1]".to_owned()),
        Just("null".to_owned()),
        Just("\"x\"".to_owned()),
    ];
    let ring = prop::collection::vec(position, 0..8).prop_map(|p| format!("[{}]", p.join(",")));
    let polygon = prop::collection::vec(ring, 0..3).prop_map(|r| format!("[{}]", r.join(",")));
    (
        prop::sample::select(&["Polygon", "MultiPolygon", "Feature", "Point", ""][..]),
        prop::collection::vec(polygon, 0..3),
    )
        .prop_map(|(kind, polygons)| match kind {
            "MultiPolygon" => {
                format!(r#"{{"type":"MultiPolygon","coordinates":[{}]}}"#, polygons.join(","))
            }
            "Feature" => format!(
                r#"{{"type":"Feature","geometry":{{"type":"Polygon","coordinates":{}}}}}"#,
                polygons.first().map_or("[]", String::as_str)
            ),
            other => format!(
                r#"{{"type":"{other}","coordinates":{}}}"#,
                polygons.first().map_or("null", String::as_str)
            ),
        })
}
