//! Writing police.uk files for the tests to import, and importing them.
//!
//! Files go where police.uk's archives put them (`<month>/<month>-<force>-<kind>.csv`) under a
//! folder the test owns (usually a [`tempfile::TempDir`]). Rows are written as text, never
//! from the importer's own types, so that a test states the bytes police.uk would publish.

use std::path::{Path, PathBuf};

use police_store::import::{import_paths, ImportOptions, ImportSummary, Silent};

use crate::TestDatabase;

/// The header of a street-level crime file.
pub const STREET_HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context";
/// The header of an outcomes file.
pub const OUTCOMES_HEADER: &str = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type";
/// The header of a stop-and-search file.
pub const STOPS_HEADER: &str = "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,Outcome linked to object of search,Removal of more than just outer clothing";

/// Writes `bytes` to `dir/relative`, creating the folders on the way; returns the path.
pub fn write(dir: &Path, relative: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Writes `text` as police.uk's `<month>/<month>-<force>-<kind>.csv` under `dir`.
pub fn write_file(
    dir: &Path,
    month: &str,
    force: &str,
    kind: &str,
    text: impl AsRef<[u8]>,
) -> PathBuf {
    write(dir, &format!("{month}/{month}-{force}-{kind}.csv"), text)
}

/// The force's name as its files write it in "Reported by" (panics for an unknown id).
pub fn force_name(force: &str) -> &'static str {
    police_index::reference::force_by_id(force).unwrap_or_else(|| panic!("no force {force}")).name
}

/// A 64-hex persistent id: the byte `n` 32 times.
pub fn pid(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

/// A 64-hex persistent id: `n` in hexadecimal, zero-padded.
pub fn hex_id(n: u32) -> String {
    format!("{n:064x}")
}

/// A snap point as the CSVs write it (coordinates as text, possibly empty).
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub lat: &'static str,
    pub lng: &'static str,
    pub name: &'static str,
}

/// A street row: (Crime ID, place, Crime type, Last outcome category, Context).
pub type Crime<'a> = (String, Place, &'a str, &'a str, &'a str);
/// An outcomes row: (Crime ID, place, Outcome type).
pub type Outcome<'a> = (String, Place, &'a str);

/// A crime with persistent id [`pid`]`(id)` and no context.
pub fn crime<'a>(id: u8, place: Place, crime_type: &'a str, outcome: &'a str) -> Crime<'a> {
    (pid(id), place, crime_type, outcome, "")
}

/// Anti-social behaviour: no Crime ID, no outcome.
pub fn asb(place: Place) -> Crime<'static> {
    (String::new(), place, "Anti-social behaviour", "", "")
}

/// An outcome of the crime with persistent id [`pid`]`(id)`.
pub fn outcome(id: u8, place: Place, outcome_type: &str) -> Outcome<'_> {
    (pid(id), place, outcome_type)
}

/// A street file of `rows` (LSOA E01013000, Leicester 001A), "\n" line ends.
pub fn street_file(dir: &Path, month: &str, force: &str, rows: &[Crime<'_>]) -> PathBuf {
    let by = force_name(force);
    let mut text = format!("{STREET_HEADER}\n");
    for (id, place, crime_type, last_outcome, context) in rows {
        let (lng, lat, name) = (place.lng, place.lat, place.name);
        text.push_str(&format!(
            "{id},{month},{by},{by},{lng},{lat},{name},E01013000,Leicester 001A,{crime_type},{last_outcome},{context}\n"
        ));
    }
    write_file(dir, month, force, "street", text)
}

/// An outcomes file of `rows` (LSOA E01013000, Leicester 001A), "\n" line ends.
pub fn outcomes_file(dir: &Path, month: &str, force: &str, rows: &[Outcome<'_>]) -> PathBuf {
    let by = force_name(force);
    let mut text = format!("{OUTCOMES_HEADER}\n");
    for (id, place, outcome_type) in rows {
        let (lng, lat, name) = (place.lng, place.lat, place.name);
        text.push_str(&format!(
            "{id},{month},{by},{by},{lng},{lat},{name},E01013000,Leicester 001A,{outcome_type}\n"
        ));
    }
    write_file(dir, month, force, "outcomes", text)
}

/// A stop-and-search file of CSV `rows` as written, "\r\n" line ends as police.uk's.
pub fn stops_file(dir: &Path, month: &str, force: &str, rows: &[&str]) -> PathBuf {
    let mut text = format!("{STOPS_HEADER}\r\n");
    for row in rows {
        text.push_str(row);
        text.push_str("\r\n");
    }
    write_file(dir, month, force, "stop-and-search", text)
}

/// The records of a CSV file (a leading byte-order mark dropped); panics on a bad record.
pub fn csv_records(path: &Path) -> Vec<csv::StringRecord> {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    csv::Reader::from_reader(text.as_bytes()).records().map(|r| r.unwrap()).collect()
}

/// Imports `paths` with the default options and returns the summary, whatever it says;
/// panics only when the import cannot run at all.
pub fn import(db: &TestDatabase, paths: &[PathBuf]) -> ImportSummary {
    import_paths(&db.url, paths, &ImportOptions::default(), &Silent).expect("import runs")
}

/// [`import`], asserting that every file was accepted whole (or already current) and that
/// no row was rejected.
#[track_caller]
pub fn import_cleanly(db: &TestDatabase, paths: &[PathBuf]) -> ImportSummary {
    let summary = import(db, paths);
    assert_eq!(summary.problems(), 0, "{:?} {:?}", summary.files, summary.skipped);
    for file in &summary.files {
        assert_eq!(file.rows_rejected, 0, "{}: {:?}", file.file, file.rejections);
    }
    summary
}
