//! Turning the records of a monthly CSV into validated rows, or into rejections that say
//! which line was refused and why. Nothing here touches the database.

use std::collections::HashMap;

use super::types::{ArchiveFile, FileKind, Rejection};
use police_index::reference::{
    crime_category, crime_category_code_for_csv_name, outcome_category, outcome_code_for_csv_name,
};

/// A snap point as written in street and outcome files.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationKey {
    pub longitude: f64,
    pub latitude: f64,
    pub name: String,
}

/// The distinct snap points of one file; rows refer to them by index. Stop-and-search files
/// give coordinates only: their keys have an empty `name`, and the importer picks the snap
/// point with those coordinates.
#[derive(Debug, Default)]
pub struct LocationTable {
    pub keys: Vec<LocationKey>,
    index: HashMap<(u64, u64, String), u32>,
}

impl LocationTable {
    fn intern(&mut self, longitude: f64, latitude: f64, name: &str) -> u32 {
        let key = (longitude.to_bits(), latitude.to_bits(), name.to_owned());
        let next = self.keys.len() as u32;
        *self.index.entry(key).or_insert_with(|| {
            self.keys.push(LocationKey { longitude, latitude, name: name.to_owned() });
            next
        })
    }
}

/// One accepted row of a street file.
#[derive(Debug, Clone)]
pub struct StreetRow {
    pub line: u64,
    pub persistent_id: Option<String>,
    pub reported_by: String,
    pub falls_within: String,
    /// Index into the file's [`LocationTable`]; `None` for rows without coordinates.
    pub location: Option<u32>,
    pub lsoa_code: Option<String>,
    pub lsoa_name: Option<String>,
    pub category_slug: &'static str,
    pub last_outcome: Option<String>,
    pub context: String,
}

/// One accepted row of an outcomes file.
#[derive(Debug, Clone)]
pub struct OutcomeRow {
    pub line: u64,
    pub persistent_id: String,
    pub reported_by: String,
    pub falls_within: String,
    pub location: Option<u32>,
    pub lsoa_code: Option<String>,
    pub lsoa_name: Option<String>,
    pub outcome_code: &'static str,
    pub outcome_name: String,
}

/// One accepted row of a stop-and-search file.
#[derive(Debug, Clone)]
pub struct StopRow {
    pub line: u64,
    pub stop_type: Option<String>,
    /// ISO 8601 with an explicit offset, ready for a `timestamptz` column.
    pub datetime: String,
    pub operation: Option<bool>,
    pub operation_name: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Index into the file's [`LocationTable`] (coordinates only); `None` without coordinates.
    pub location: Option<u32>,
    pub gender: Option<String>,
    pub age_range: Option<String>,
    pub self_defined_ethnicity: Option<String>,
    pub officer_defined_ethnicity: Option<String>,
    pub legislation: Option<String>,
    pub object_of_search: Option<String>,
    pub outcome: Option<String>,
    pub outcome_linked_to_object_of_search: Option<bool>,
    pub removal_of_more_than_outer_clothing: Option<bool>,
}

/// The accepted rows of a file, by kind.
#[derive(Debug)]
pub enum Rows {
    Street(Vec<StreetRow>),
    Outcomes(Vec<OutcomeRow>),
    Stops(Vec<StopRow>),
}

impl Rows {
    pub fn len(&self) -> usize {
        match self {
            Rows::Street(rows) => rows.len(),
            Rows::Outcomes(rows) => rows.len(),
            Rows::Stops(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A whole file, parsed: accepted rows, the snap points they use, and rejections.
#[derive(Debug)]
pub struct ParsedFile {
    pub rows: Rows,
    pub locations: LocationTable,
    pub rejections: Vec<Rejection>,
    pub rows_read: u64,
}

/// Why a file is refused whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileRefusal {
    #[error("the file is empty")]
    Empty,
    #[error("the header is not a police.uk {kind} header: expected {expected:?}, found {found:?}")]
    Header { kind: FileKind, expected: &'static str, found: String },
}

/// Parses a file's bytes (BOM or not, CRLF or LF).
pub fn parse_file(file: &ArchiveFile, bytes: &[u8]) -> Result<ParsedFile, FileRefusal> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    let header_line = String::from_utf8_lossy(&bytes[..header_end]);
    let header_line = header_line.trim_end_matches('\r');
    if header_line.is_empty() {
        return Err(FileRefusal::Empty);
    }
    let expected = file.kind.header();
    if header_line != expected {
        return Err(FileRefusal::Header {
            kind: file.kind,
            expected,
            found: header_line.chars().take(300).collect(),
        });
    }

    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(bytes);
    let mut parser = RowParser::new(file);
    let mut record = csv::ByteRecord::new();
    let mut rows_read = 0;
    let mut lines = LineCounter::new(bytes);
    loop {
        let next = reader.position().byte();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                rows_read += 1;
                let line = lines.line_at(record.position().map_or(next, |p| p.byte()));
                if let Err(reason) = parser.accept(line, &record) {
                    parser.rejections.push(Rejection { line, reason });
                }
            }
            Err(error) => {
                rows_read += 1;
                let line = lines.line_at(error.position().map_or(next, |p| p.byte()));
                parser
                    .rejections
                    .push(Rejection { line, reason: format!("unreadable CSV: {error}") });
            }
        }
    }
    Ok(ParsedFile {
        rows: parser.rows,
        locations: parser.locations,
        rejections: parser.rejections,
        rows_read,
    })
}

/// Line numbers of records from their byte offsets. The csv crate's own line count places
/// every record of a CRLF file one line early (a record's position is taken before the `\n`
/// of the line end before it is read), so lines are counted here.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Bytes up to here are counted...
    counted_to: usize,
    /// ...and this is the line at `counted_to` (1-based).
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, counted_to: 0, line: 1 }
    }

    /// The line of the record whose position is `byte`: of its first byte after any line
    /// ends (empty lines are skipped). Positions come in file order, so the count goes on
    /// from the previous one.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.counted_to {
            *self = LineCounter::new(self.bytes);
        }
        let newlines = self.bytes[self.counted_to..start].iter().filter(|&&b| b == b'\n').count();
        self.line += newlines as u64;
        self.counted_to = start;
        self.line
    }
}

struct RowParser<'a> {
    file: &'a ArchiveFile,
    month: String,
    rows: Rows,
    locations: LocationTable,
    rejections: Vec<Rejection>,
}

impl<'a> RowParser<'a> {
    fn new(file: &'a ArchiveFile) -> Self {
        let rows = match file.kind {
            FileKind::Street => Rows::Street(Vec::new()),
            FileKind::Outcomes => Rows::Outcomes(Vec::new()),
            FileKind::StopAndSearch => Rows::Stops(Vec::new()),
        };
        RowParser {
            file,
            month: file.month.to_string(),
            rows,
            locations: LocationTable::default(),
            rejections: Vec::new(),
        }
    }

    fn accept(&mut self, line: u64, record: &csv::ByteRecord) -> Result<(), String> {
        let expected = self.file.kind.field_count();
        if record.len() != expected {
            return Err(format!("expected {expected} fields, found {}", record.len()));
        }
        let mut fields = Vec::with_capacity(expected);
        for (i, raw) in record.iter().enumerate() {
            let name = self.file.kind.header().split(',').nth(i).unwrap_or("");
            let text = std::str::from_utf8(raw)
                .map_err(|_| format!("field {name:?} is not valid UTF-8"))?;
            check_storable(name, text)?;
            fields.push(text);
        }
        match &mut self.rows {
            Rows::Street(rows) => {
                let row = street_row(line, &fields, &self.month, &mut self.locations)?;
                rows.push(row);
            }
            Rows::Outcomes(rows) => {
                let row = outcome_row(line, &fields, &self.month, &mut self.locations)?;
                rows.push(row);
            }
            Rows::Stops(rows) => rows.push(stop_row(line, &fields, &mut self.locations)?),
        }
        Ok(())
    }
}

/// Longest field accepted, in bytes: far beyond any police.uk field (the longest are
/// outcome and legislation names of ~100 bytes), so a longer one is damage, not data.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Longest `Location` and `Crime ID` accepted, in bytes: both are in index keys, whose
/// entries PostgreSQL limits to ~2.7 KB.
pub const MAX_KEY_FIELD_BYTES: usize = 1024;

/// What PostgreSQL would refuse, refused here with a reason, so that such a row is a
/// rejection with its line rather than a failed file: a NUL byte (text cannot hold one) and
/// over-long fields.
fn check_storable(name: &str, text: &str) -> Result<(), String> {
    if text.contains('\0') {
        return Err(format!("field {name:?} contains a NUL byte, which text cannot hold"));
    }
    let limit = match name {
        "Location" | "Crime ID" => MAX_KEY_FIELD_BYTES,
        _ => MAX_FIELD_BYTES,
    };
    if text.len() > limit {
        return Err(format!(
            "field {name:?} is {} bytes long; at most {limit} are accepted",
            text.len()
        ));
    }
    Ok(())
}

fn non_empty(field: &str) -> Option<String> {
    (!field.is_empty()).then(|| field.to_owned())
}

fn check_month(field: &str, file_month: &str) -> Result<(), String> {
    if field == file_month {
        Ok(())
    } else {
        Err(format!("Month {field:?} does not match the file's month {file_month}"))
    }
}

/// `(longitude, latitude)` from the two coordinate fields; `None` when both are empty or
/// both are zero (police.uk zeroes crimes with no map point within 20 km).
pub fn parse_coordinates(longitude: &str, latitude: &str) -> Result<Option<(f64, f64)>, String> {
    if longitude.is_empty() && latitude.is_empty() {
        return Ok(None);
    }
    let parse = |name: &str, text: &str, limit: f64| -> Result<f64, String> {
        let value: f64 = text.trim().parse().map_err(|_| format!("unparseable {name} {text:?}"))?;
        if value.is_finite() && value.abs() <= limit {
            Ok(value)
        } else {
            Err(format!("{name} {text:?} is out of range"))
        }
    };
    let lng = parse("longitude", longitude, 180.0)?;
    let lat = parse("latitude", latitude, 90.0)?;
    Ok(if lng == 0.0 && lat == 0.0 { None } else { Some((lng, lat)) })
}

fn location_of(fields: &[&str], locations: &mut LocationTable) -> Result<Option<u32>, String> {
    Ok(parse_coordinates(fields[4], fields[5])?
        .map(|(lng, lat)| locations.intern(lng, lat, fields[6])))
}

fn street_row(
    line: u64,
    fields: &[&str],
    month: &str,
    locations: &mut LocationTable,
) -> Result<StreetRow, String> {
    check_month(fields[1], month)?;
    let category = crime_category_code_for_csv_name(fields[9])
        .ok_or_else(|| format!("unknown crime type {:?}", fields[9]))?;
    let location = location_of(fields, locations)?;
    Ok(StreetRow {
        line,
        persistent_id: non_empty(fields[0]),
        reported_by: fields[2].to_owned(),
        falls_within: fields[3].to_owned(),
        location,
        lsoa_code: non_empty(fields[7]),
        lsoa_name: non_empty(fields[8]),
        category_slug: crime_category(category).slug,
        last_outcome: non_empty(fields[10]),
        context: fields[11].to_owned(),
    })
}

fn outcome_row(
    line: u64,
    fields: &[&str],
    month: &str,
    locations: &mut LocationTable,
) -> Result<OutcomeRow, String> {
    check_month(fields[1], month)?;
    if fields[0].is_empty() {
        return Err("outcome without a Crime ID".into());
    }
    let outcome = outcome_code_for_csv_name(fields[9])
        .ok_or_else(|| format!("unknown outcome type {:?}", fields[9]))?;
    let location = location_of(fields, locations)?;
    Ok(OutcomeRow {
        line,
        persistent_id: fields[0].to_owned(),
        reported_by: fields[2].to_owned(),
        falls_within: fields[3].to_owned(),
        location,
        lsoa_code: non_empty(fields[7]),
        lsoa_name: non_empty(fields[8]),
        outcome_code: outcome_category(outcome).code,
        outcome_name: fields[9].to_owned(),
    })
}

fn parse_bool(name: &str, field: &str) -> Result<Option<bool>, String> {
    match field {
        "" => Ok(None),
        "True" | "true" | "TRUE" => Ok(Some(true)),
        "False" | "false" | "FALSE" => Ok(Some(false)),
        other => Err(format!("{name} {other:?} is not True, False or empty")),
    }
}

fn stop_row(line: u64, fields: &[&str], locations: &mut LocationTable) -> Result<StopRow, String> {
    let datetime =
        normalise_datetime(fields[1]).ok_or_else(|| format!("unparseable Date {:?}", fields[1]))?;
    // Latitude comes before Longitude in this file.
    let coordinates = parse_coordinates(fields[5], fields[4])?;
    Ok(StopRow {
        line,
        stop_type: non_empty(fields[0]),
        datetime,
        operation: parse_bool("Part of a policing operation", fields[2])?,
        operation_name: non_empty(fields[3]),
        latitude: coordinates.map(|(_, lat)| lat),
        longitude: coordinates.map(|(lng, _)| lng),
        location: coordinates.map(|(lng, lat)| locations.intern(lng, lat, "")),
        gender: non_empty(fields[6]),
        age_range: non_empty(fields[7]),
        self_defined_ethnicity: non_empty(fields[8]),
        officer_defined_ethnicity: non_empty(fields[9]),
        legislation: non_empty(fields[10]),
        object_of_search: non_empty(fields[11]),
        outcome: non_empty(fields[12]),
        outcome_linked_to_object_of_search: parse_bool(
            "Outcome linked to object of search",
            fields[13],
        )?,
        removal_of_more_than_outer_clothing: parse_bool(
            "Removal of more than just outer clothing",
            fields[14],
        )?,
    })
}

/// Validates a stop-and-search `Date` (`YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]`,
/// optionally `Z` or `±HH:MM`) and returns it with an explicit offset; police.uk's
/// timestamps are UTC, so a missing offset means `+00:00`.
pub fn normalise_datetime(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let year = digits(0..4)?;
    let month = digits(5..7)?;
    let day = digits(8..10)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || year < 1900 {
        return None;
    }
    let days = police_index::Month::new(year as u16, month as u8)?.days() as u32;
    if day == 0 || day > days {
        return None;
    }
    if b.len() == 10 {
        return Some(format!("{text}T00:00:00+00:00"));
    }
    if !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let hour = digits(11..13)?;
    let minute = digits(14..16)?;
    if b.get(13) != Some(&b':') || hour > 23 || minute > 59 {
        return None;
    }
    let mut pos = 16;
    if b.get(pos) == Some(&b':') {
        let second = digits(17..19)?;
        if second > 60 {
            return None;
        }
        pos = 19;
        if b.get(pos) == Some(&b'.') {
            pos += 1;
            let start = pos;
            while b.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            if pos == start {
                return None;
            }
        }
    }
    let zone = &text[pos..];
    let valid_zone = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':'
            && zone[1..3].bytes().chain(zone[4..6].bytes()).all(|c| c.is_ascii_digit()));
    if !valid_zone {
        return None;
    }
    let base = &text[..pos];
    Some(match zone {
        "" | "Z" => format!("{base}+00:00"),
        offset => format!("{base}{offset}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_parse_or_explain() {
        assert_eq!(parse_coordinates("-1.1", "52.6"), Ok(Some((-1.1, 52.6))));
        assert_eq!(parse_coordinates("", ""), Ok(None));
        assert_eq!(parse_coordinates("0", "0.0"), Ok(None));
        assert!(parse_coordinates("-1.1", "").unwrap_err().contains("latitude"));
        assert!(parse_coordinates("west", "52.6").unwrap_err().contains("unparseable longitude"));
        assert!(parse_coordinates("-1.1", "95").unwrap_err().contains("out of range"));
    }

    #[test]
    fn stop_datetimes_are_validated_and_given_an_offset() {
        assert_eq!(
            normalise_datetime("2024-03-01T09:58:14+00:00").as_deref(),
            Some("2024-03-01T09:58:14+00:00")
        );
        assert_eq!(normalise_datetime("2024-03-01").as_deref(), Some("2024-03-01T00:00:00+00:00"));
        assert_eq!(
            normalise_datetime("2024-03-01T09:58:14.25Z").as_deref(),
            Some("2024-03-01T09:58:14.25+00:00")
        );
        assert_eq!(
            normalise_datetime("2024-03-01T09:58").as_deref(),
            Some("2024-03-01T09:58+00:00")
        );
        for bad in
            ["2024-02-30T00:00:00", "yesterday", "2024-03-01T25:00:00", "2024-03-01T09:58:14+0", ""]
        {
            assert_eq!(normalise_datetime(bad), None, "{bad}");
        }
    }
}
