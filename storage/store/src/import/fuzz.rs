//! Fuzzing the readers of untrusted files with proptest (cargo-fuzz needs a nightly
//! toolchain, CI has none): police.uk's CSV rows (`parse::parse_file`) and boundary KMLs
//! (`kml::parse_kml`), fed arbitrary bytes and valid files with random damage. Neither may
//! panic; a rejected row names its line and a reason, a refused file says why, in words.
//!
//! Each target runs `POLICE_FUZZ_CASES` cases (default [`DEFAULT_CASES`], a few seconds in
//! a debug build); run longer locally with e.g.
//! `POLICE_FUZZ_CASES=1000000 cargo test -p police-store --release fuzz`.

use proptest::prelude::*;
use proptest::test_runner::Config;

use super::kml::parse_kml;
use super::parse::{parse_file, ParsedFile};
use super::types::{ArchiveFile, FileKind, Source};
use police_index::reference::force_by_id;
use police_index::Month;

/// Cases per target when `POLICE_FUZZ_CASES` is not set.
const DEFAULT_CASES: u32 = 3_000;

fn config() -> Config {
    let cases = std::env::var("POLICE_FUZZ_CASES").ok().and_then(|v| v.parse().ok());
    Config { cases: cases.unwrap_or(DEFAULT_CASES), failure_persistence: None, ..Config::default() }
}

/// Text that Rust's `Debug` formatting of an error would leave in a message.
const DEBUG_TOKENS: &[&str] = &["Some(", "Custom {", "kind:", "Error {", "Utf8Error"];

/// Asserts that `message` reads as words: not empty, and no Debug text that `input` did not
/// bring in itself (messages quote the field they reject).
fn assert_readable(message: &str, input: &[u8]) {
    assert!(!message.trim().is_empty(), "an empty message");
    let input = String::from_utf8_lossy(input);
    for token in DEBUG_TOKENS {
        assert!(
            !message.contains(token) || input.contains(token),
            "Debug text {token:?} in {message:?}"
        );
    }
}

fn file(kind: FileKind) -> ArchiveFile {
    ArchiveFile {
        display_name: "fuzz.csv".into(),
        month: Month::new(2024, 3).unwrap(),
        force: force_by_id("surrey").unwrap(),
        kind,
        source: Source::Plain("fuzz.csv".into()),
    }
}

const KINDS: [FileKind; 3] = [FileKind::Street, FileKind::Outcomes, FileKind::StopAndSearch];

/// A valid row of each kind, for the file's month (2024-03).
fn valid_row(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Street => {
            "abc123,2024-03,Surrey Police,Surrey Police,-0.1,51.5,On or near Here,E01000001,\
             Somewhere 001A,Burglary,Under investigation,"
        }
        FileKind::Outcomes => {
            "abc123,2024-03,Surrey Police,Surrey Police,-0.1,51.5,On or near Here,E01000001,\
             Somewhere 001A,Investigation complete; no suspect identified"
        }
        FileKind::StopAndSearch => {
            "Person search,2024-03-02T10:00:00+00:00,False,,51.5,-0.1,Male,18-24,,White,,\
             Controlled drugs,Arrest,,"
        }
    }
}

/// Checks what `parse_file` says of `bytes`.
fn check_parse(kind: FileKind, bytes: &[u8]) {
    match parse_file(&file(kind), bytes) {
        Ok(ParsedFile { rows, rejections, rows_read, .. }) => {
            assert_eq!(rows.len() as u64 + rejections.len() as u64, rows_read);
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            for rejection in &rejections {
                assert!(
                    (2..=lines).contains(&rejection.line),
                    "line {} of a {lines}-line file: {}",
                    rejection.line,
                    rejection.reason
                );
                assert_readable(&rejection.reason, bytes);
            }
        }
        Err(refusal) => assert_readable(&refusal.to_string(), bytes),
    }
}

/// Line ends LF or CRLF (the csv crate places a CRLF file's records one line early), empty
/// lines between rows, a BOM.
#[test]
fn a_rejected_row_is_reported_on_its_own_line() {
    for kind in KINDS {
        for (end, bom) in [("\n", ""), ("\r\n", ""), ("\r\n", "\u{feff}"), ("\n\r\n", "")] {
            for second_row_bad in [false, true] {
                let bad = format!("\0{}", valid_row(kind));
                let rows = if second_row_bad {
                    format!("{}{end}{bad}{end}", valid_row(kind))
                } else {
                    format!("{bad}{end}{}{end}", valid_row(kind))
                };
                let bytes = format!("{bom}{}{end}{rows}", kind.header());
                let line_of_bad = bytes.lines().position(|l| l.starts_with('\0')).unwrap() + 1;
                let parsed = parse_file(&file(kind), bytes.as_bytes()).unwrap();
                let lines: Vec<u64> = parsed.rejections.iter().map(|r| r.line).collect();
                assert_eq!(lines, [line_of_bad as u64], "{kind:?} {bytes:?}");
            }
        }
    }
}

/// Bytes that break CSV and text: quotes, separators, line ends, NUL, broken UTF-8.
fn nasty_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        Just(b'"'),
        Just(b','),
        Just(b'\n'),
        Just(b'\r'),
        Just(0u8),
        Just(0xFF),
        Just(0xC3),
        Just(b'-'),
        Just(b'.'),
        b'0'..=b'9',
        any::<u8>(),
    ]
}

/// Random damage: at each (position, byte, what) insert, replace or delete.
fn damage(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(at, byte, what) in edits {
        if bytes.is_empty() {
            bytes.push(byte);
            continue;
        }
        let at = at % bytes.len();
        match what % 3 {
            0 => bytes.insert(at, byte),
            1 => bytes[at] = byte,
            _ => {
                bytes.remove(at);
            }
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    prop::collection::vec((any::<usize>(), nasty_byte(), any::<u8>()), 1..12)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn csv_rows_of_arbitrary_bytes(kind in 0..3usize, body in prop::collection::vec(any::<u8>(), 0..600)) {
        let kind = KINDS[kind];
        let mut bytes = format!("{}\r\n", kind.header()).into_bytes();
        bytes.extend_from_slice(&body);
        check_parse(kind, &bytes);
        check_parse(kind, &body);
    }

    #[test]
    fn damaged_csv_files(kind in 0..3usize, rows in 1..6usize, edits in edits(), crlf: bool) {
        let kind = KINDS[kind];
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("{}{end}", kind.header());
        for _ in 0..rows {
            text.push_str(valid_row(kind));
            text.push_str(end);
        }
        let undamaged = parse_file(&file(kind), text.as_bytes()).unwrap();
        prop_assert_eq!(undamaged.rows.len(), rows);
        prop_assert!(undamaged.rejections.is_empty(), "{:?}", undamaged.rejections);
        // Damage after the header, which decides whether the file is read at all.
        let header = kind.header().len() + end.len();
        let mut bytes = text.into_bytes();
        let tail = damage(bytes.split_off(header), &edits);
        bytes.extend_from_slice(&tail);
        check_parse(kind, &bytes);
    }

    #[test]
    fn kml_of_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_kml(&bytes);
        let mut document = b"<kml><Polygon><outerBoundaryIs><LinearRing><coordinates>".to_vec();
        document.extend_from_slice(&bytes);
        check_kml(&document);
    }

    #[test]
    fn kml_with_random_coordinates(tuples in prop::collection::vec("[-+0-9.eE, \n]{0,24}", 0..12)) {
        let coordinates = tuples.join(" ");
        let document = format!(
            "<kml><Document><Placemark><MultiGeometry><Polygon><outerBoundaryIs><LinearRing>\
             <coordinates>{coordinates}</coordinates></LinearRing></outerBoundaryIs>\
             <innerBoundaryIs><LinearRing><coordinates>{coordinates}</coordinates>\
             </LinearRing></innerBoundaryIs></Polygon></MultiGeometry></Placemark></Document></kml>"
        );
        check_kml(document.as_bytes());
    }

    #[test]
    fn damaged_kml_files(edits in edits()) {
        let square = "-1.0,52.0,0 0.0,52.0,0 0.0,53.0,0 -1.0,53.0,0 -1.0,52.0,0";
        let document = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\
             <Document><Placemark><name>X &amp; Y</name><Polygon><outerBoundaryIs><LinearRing>\
             <coordinates>{square}</coordinates></LinearRing></outerBoundaryIs></Polygon>\
             </Placemark></Document></kml>"
        );
        prop_assert_eq!(parse_kml(document.as_bytes()).unwrap().boundary.parts.len(), 1);
        check_kml(&damage(document.into_bytes(), &edits));
    }
}

/// Checks what `parse_kml` says of `bytes`.
fn check_kml(bytes: &[u8]) {
    match parse_kml(bytes) {
        Ok(parsed) => {
            let parts = parsed.boundary.parts.len() as u64;
            assert!(parts >= 1, "a KML read without a part");
            assert_eq!(parts + parsed.rejections.len() as u64, parsed.polygons_read);
            for rejection in &parsed.rejections {
                assert!((1..=parsed.polygons_read).contains(&rejection.line));
                assert_readable(&rejection.reason, bytes);
            }
        }
        Err(error) => assert_readable(&error.to_string(), bytes),
    }
}
