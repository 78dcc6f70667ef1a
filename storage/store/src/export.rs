//! The custom download: a zip laid out like police.uk's bulk archive
//! (`YYYY-MM/YYYY-MM-<force>-<kind>.csv`), rebuilt from the store for a choice of forces,
//! months and kinds, and written to any [`Write`] as it is produced.
//!
//! One file per (kind, force, month) the `imports` ledger holds in the selection, in the
//! order force, month, kind; each with police.uk's header and columns, written by
//! [`police_index::csv`] as the list routes' CSV is (no BOM, CRLF line ends, a field quoted
//! only when it holds `,`, `"`, CR or LF). Rows come out in the order of their
//! file (`line`, the line each row stood on when imported). Everything is read in one
//! repeatable-read transaction: the ledger on its own connection, each kind's rows with
//! `COPY (SELECT …) TO STDOUT` on a connection that shares its database snapshot, so the
//! archive is one consistent state of the store however long the download takes. The
//! three `COPY` streams are read side by side, a row at a time, so memory stays flat (the
//! sorting is PostgreSQL's, within its `work_mem`).
//!
//! What the store does not keep, the archive cannot give back; `docs/COMPATIBILITY.md`
//! lists it (rejected rows, coordinates of `0,0`, other time zones of stop dates, …).

use std::io::{BufRead, Write};

use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use police_index::csv;
use police_index::reference::{crime_category_code_for_slug, crime_type_csv_name};
use police_index::Month;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::db::copy_query_target;
use crate::import::FileKind;
use crate::schema::{crimes, outcomes, stops};
use crate::snapshot::{copy_connection, split_fields};

/// What to put in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveSelection {
    /// Force ids; empty means every force.
    pub forces: Vec<String>,
    /// First month, inclusive.
    pub from: Month,
    /// Last month, inclusive.
    pub to: Month,
    /// The kinds of file wanted (duplicates are ignored).
    pub kinds: Vec<FileKind>,
}

/// One file of the archive, as the ledger lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    pub kind: FileKind,
    pub force_id: String,
    pub month: Month,
    /// Its rows in the store.
    pub rows: u64,
}

impl ArchiveEntry {
    /// Its path in the archive, e.g. `2024-01/2024-01-leicestershire-street.csv`.
    pub fn path(&self) -> String {
        format!("{0}/{0}-{1}-{2}.csv", self.month, self.force_id, self.kind)
    }
}

/// What [`write_archive`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveSummary {
    pub files: usize,
    pub rows: u64,
    /// Bytes of CSV before compression.
    pub csv_bytes: u64,
}

/// Deflate level of the entries: zlib's 1 compresses these CSVs to about a sixth (zlib's
/// default, 6, to about an eighth) at several times the speed, so a download is not held
/// back by the compressor.
pub const COMPRESSION_LEVEL: i64 = 1;

/// Rows are gathered into chunks of this size before they go to the compressor.
const CHUNK: usize = 64 * 1024;

/// Writes the archive of `selection` to `out`. `listed` is called with the files once the
/// ledger has been read and before anything is written: an error from it stops the
/// download there (a server answers an empty selection or a busy store before it starts
/// streaming). An error of `out` (a client gone) ends the work and is returned.
pub fn write_archive<W: Write>(
    database_url: &str,
    selection: &ArchiveSelection,
    out: W,
    listed: impl FnOnce(&[ArchiveEntry]) -> anyhow::Result<()>,
) -> anyhow::Result<ArchiveSummary> {
    let mut conn = crate::db::connect(database_url)?;
    conn.build_transaction().read_only().repeatable_read().run(|conn| {
        let shared = diesel::sql_query("SELECT pg_export_snapshot() AS value")
            .get_result::<TextValue>(conn)?
            .value;
        let entries = list_entries(conn, selection)?;
        listed(&entries)?;
        write_entries(database_url, &shared, selection, &entries, out)
    })
}

#[derive(QueryableByName)]
struct TextValue {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct LedgerRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    force_id: String,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    rows_accepted: i64,
}

/// The files of the selection the store holds (the newest import of each), in archive
/// order: force, month, kind. Forces are ordered by the database's collation, as the rows'
/// `COPY`s order them.
fn list_entries(
    conn: &mut PgConnection,
    selection: &ArchiveSelection,
) -> anyhow::Result<Vec<ArchiveEntry>> {
    let kinds: Vec<&str> = selection.kinds.iter().map(|k| k.as_str()).collect();
    let rows: Vec<LedgerRow> = diesel::sql_query(
        "SELECT kind, force_id, to_char(month, 'YYYY-MM') AS month, rows_accepted FROM ( \
             SELECT DISTINCT ON (kind, force_id, month) kind, force_id, month, rows_accepted \
             FROM imports \
             WHERE month BETWEEN $1::date AND $2::date AND kind = ANY ($3) \
               AND (cardinality($4) = 0 OR force_id = ANY ($4)) \
             ORDER BY kind, force_id, month, id DESC) current \
         ORDER BY force_id, month, kind",
    )
    .bind::<Text, _>(selection.from.first_day())
    .bind::<Text, _>(selection.to.first_day())
    .bind::<Array<Text>, _>(&kinds)
    .bind::<Array<Text>, _>(&selection.forces)
    .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let kind = FileKind::ALL
                .into_iter()
                .find(|k| k.as_str() == row.kind)
                .ok_or_else(|| anyhow::anyhow!("unknown kind {:?} in the ledger", row.kind))?;
            Ok(ArchiveEntry {
                kind,
                force_id: row.force_id,
                month: row.month.parse()?,
                rows: u64::try_from(row.rows_accepted)?,
            })
        })
        .collect()
}

// The `COPY` of one kind's rows: the file's month (`YYYY-MM`) and force first, then the
// columns its CSV is written from; the selection is read from settings of the session
// (see [`select_rows`]).
copy_query_target!(
    StreetRows,
    crimes::table,
    "SELECT to_char(c.month, 'YYYY-MM'), c.force_id, c.persistent_id, c.reported_by, \
            c.falls_within, l.longitude, l.latitude, l.name, c.lsoa_code, c.lsoa_name, \
            c.category, c.last_outcome, c.context \
     FROM crimes c LEFT JOIN locations l ON l.id = c.location_id \
     WHERE c.force_id = ANY (string_to_array(current_setting('police_export.forces'), ',')) \
       AND c.month BETWEEN current_setting('police_export.from')::date \
                       AND current_setting('police_export.to')::date \
     ORDER BY c.force_id, c.month, c.line, c.id"
);

copy_query_target!(
    OutcomeRows,
    outcomes::table,
    "SELECT to_char(o.month, 'YYYY-MM'), o.force_id, o.persistent_id, o.reported_by, \
            o.falls_within, l.longitude, l.latitude, l.name, o.lsoa_code, o.lsoa_name, \
            o.outcome_name \
     FROM outcomes o LEFT JOIN locations l ON l.id = o.location_id \
     WHERE o.force_id = ANY (string_to_array(current_setting('police_export.forces'), ',')) \
       AND o.month BETWEEN current_setting('police_export.from')::date \
                       AND current_setting('police_export.to')::date \
     ORDER BY o.force_id, o.month, o.line"
);

copy_query_target!(
    StopRows,
    stops::table,
    "SELECT to_char(s.month, 'YYYY-MM'), s.force_id, s.type, s.datetime, s.operation, \
            s.operation_name, s.latitude, s.longitude, s.gender, s.age_range, \
            s.self_defined_ethnicity, s.officer_defined_ethnicity, s.legislation, \
            s.object_of_search, s.outcome, s.outcome_linked_to_object_of_search, \
            s.removal_of_more_than_outer_clothing \
     FROM stops s \
     WHERE s.force_id = ANY (string_to_array(current_setting('police_export.forces'), ',')) \
       AND s.month BETWEEN current_setting('police_export.from')::date \
                       AND current_setting('police_export.to')::date \
     ORDER BY s.force_id, s.month, s.line"
);

/// Fields of a `COPY` row of each kind.
const STREET_FIELDS: usize = 13;
const OUTCOME_FIELDS: usize = 11;
const STOP_FIELDS: usize = 17;

/// Sets the session's selection, and the output formats the rows are written from: dates
/// in UTC and ISO, floats in their shortest exact form.
fn select_rows(
    conn: &mut PgConnection,
    forces: &str,
    selection: &ArchiveSelection,
) -> anyhow::Result<()> {
    diesel::sql_query("SET TIME ZONE 'UTC'").execute(conn)?;
    diesel::sql_query("SET DateStyle = 'ISO, YMD'").execute(conn)?;
    diesel::sql_query("SET extra_float_digits = 1").execute(conn)?;
    diesel::sql_query(
        "SELECT set_config('police_export.forces', $1, false), \
                set_config('police_export.from', $2, false), \
                set_config('police_export.to', $3, false)",
    )
    .bind::<Text, _>(forces)
    .bind::<Text, _>(selection.from.first_day())
    .bind::<Text, _>(selection.to.first_day())
    .execute(conn)?;
    Ok(())
}

/// The rows of one `COPY … TO STDOUT` (text format), read one at a time.
struct CopyRows<'a, const N: usize> {
    reader: Box<dyn BufRead + 'a>,
    line: Vec<u8>,
    fields: [Option<(usize, usize)>; N],
    /// Whether `line` holds a row not yet written.
    loaded: bool,
}

impl<'a, const N: usize> CopyRows<'a, N> {
    fn new(reader: Box<dyn BufRead + 'a>) -> anyhow::Result<Self> {
        let mut rows = CopyRows { reader, line: Vec::new(), fields: [None; N], loaded: false };
        rows.advance()?;
        Ok(rows)
    }

    /// Loads the next row, if any.
    fn advance(&mut self) -> anyhow::Result<()> {
        self.line.clear();
        self.loaded = self.reader.read_until(b'\n', &mut self.line)? > 0;
        if self.loaded {
            if self.line.last() == Some(&b'\n') {
                self.line.pop();
            }
            self.fields = split_fields::<N>(&mut self.line).ok_or_else(|| {
                anyhow::anyhow!("unexpected COPY row {:?}", String::from_utf8_lossy(&self.line))
            })?;
        }
        Ok(())
    }

    /// Field `i` of the loaded row; `None` for NULL.
    fn field(&self, i: usize) -> Option<&[u8]> {
        self.fields[i].map(|(start, end)| &self.line[start..end])
    }

    /// Whether the loaded row belongs to `entry`'s file.
    fn belongs_to(&self, month: &[u8], force_id: &[u8]) -> bool {
        self.loaded && self.field(0) == Some(month) && self.field(1) == Some(force_id)
    }
}

fn write_entries<W: Write>(
    database_url: &str,
    shared: &str,
    selection: &ArchiveSelection,
    entries: &[ArchiveEntry],
    out: W,
) -> anyhow::Result<ArchiveSummary> {
    let mut forces: Vec<&str> = entries.iter().map(|e| e.force_id.as_str()).collect();
    forces.sort_unstable();
    forces.dedup();
    let forces = forces.join(",");
    let wanted = |kind: FileKind| entries.iter().any(|e| e.kind == kind);
    // A connection per kind, each holding one COPY: diesel cannot run anything on a
    // connection after `copy_to`, and the three streams are read side by side.
    let connect = |kind: FileKind| -> anyhow::Result<Option<PgConnection>> {
        if !wanted(kind) {
            return Ok(None);
        }
        let mut conn = copy_connection(database_url, shared)?;
        select_rows(&mut conn, &forces, selection)?;
        Ok(Some(conn))
    };
    let mut street_conn = connect(FileKind::Street)?;
    let mut outcome_conn = connect(FileKind::Outcomes)?;
    let mut stop_conn = connect(FileKind::StopAndSearch)?;
    let mut street = match street_conn.as_mut() {
        Some(conn) => Some(CopyRows::<STREET_FIELDS>::new(Box::new(
            diesel::copy_to(StreetRows).with_format(CopyFormat::Text).load_raw(conn)?,
        ))?),
        None => None,
    };
    let mut outcome = match outcome_conn.as_mut() {
        Some(conn) => Some(CopyRows::<OUTCOME_FIELDS>::new(Box::new(
            diesel::copy_to(OutcomeRows).with_format(CopyFormat::Text).load_raw(conn)?,
        ))?),
        None => None,
    };
    let mut stop = match stop_conn.as_mut() {
        Some(conn) => Some(CopyRows::<STOP_FIELDS>::new(Box::new(
            diesel::copy_to(StopRows).with_format(CopyFormat::Text).load_raw(conn)?,
        ))?),
        None => None,
    };

    let mut zip = ZipWriter::new_stream(out);
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(COMPRESSION_LEVEL));
    let mut summary = ArchiveSummary::default();
    let mut buffer = Vec::with_capacity(CHUNK + 4096);
    for entry in entries {
        zip.start_file(entry.path(), options)?;
        buffer.clear();
        csv::record(entry.kind.header().split(','), &mut buffer);
        let month = entry.month.to_string();
        let key = (month.as_bytes(), entry.force_id.as_bytes());
        let mut sink = EntrySink { zip: &mut zip, buffer: &mut buffer, rows: 0, bytes: 0 };
        match entry.kind {
            FileKind::Street => {
                let rows = street.as_mut().ok_or_else(missing_stream)?;
                while rows.belongs_to(key.0, key.1) {
                    street_row(sink.buffer, rows, entry.month)?;
                    sink.row_written()?;
                    rows.advance()?;
                }
            }
            FileKind::Outcomes => {
                let rows = outcome.as_mut().ok_or_else(missing_stream)?;
                while rows.belongs_to(key.0, key.1) {
                    outcome_row(sink.buffer, rows)?;
                    sink.row_written()?;
                    rows.advance()?;
                }
            }
            FileKind::StopAndSearch => {
                let rows = stop.as_mut().ok_or_else(missing_stream)?;
                while rows.belongs_to(key.0, key.1) {
                    stop_row(sink.buffer, rows)?;
                    sink.row_written()?;
                    rows.advance()?;
                }
            }
        }
        let (rows, bytes) = sink.finish()?;
        anyhow::ensure!(
            rows == entry.rows,
            "{} has {rows} rows in the store but {} in the ledger",
            entry.path(),
            entry.rows
        );
        summary.files += 1;
        summary.rows += rows;
        summary.csv_bytes += bytes;
    }
    let stray = street.as_ref().is_some_and(|r| r.loaded)
        || outcome.as_ref().is_some_and(|r| r.loaded)
        || stop.as_ref().is_some_and(|r| r.loaded);
    anyhow::ensure!(!stray, "the store holds rows no imported file accounts for");
    zip.finish()?.into_inner().flush()?;
    Ok(summary)
}

fn missing_stream() -> anyhow::Error {
    anyhow::anyhow!("no rows were read for a kind the ledger lists")
}

/// Passes a file's rows to the zip a chunk at a time, counting them.
struct EntrySink<'z, W: Write> {
    zip: &'z mut ZipWriter<zip::write::StreamWriter<W>>,
    buffer: &'z mut Vec<u8>,
    rows: u64,
    bytes: u64,
}

impl<W: Write> EntrySink<'_, W> {
    fn row_written(&mut self) -> std::io::Result<()> {
        self.rows += 1;
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.zip.write_all(self.buffer)?;
        self.bytes += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }

    /// Rows and CSV bytes of the file.
    fn finish(mut self) -> std::io::Result<(u64, u64)> {
        self.flush()?;
        Ok((self.rows, self.bytes))
    }
}

/// `Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA
/// name,Crime type,Last outcome category,Context`.
fn street_row(
    out: &mut Vec<u8>,
    row: &CopyRows<'_, STREET_FIELDS>,
    month: Month,
) -> anyhow::Result<()> {
    place_fields(out, |i| row.field(i), b"No Location")?;
    let slug = std::str::from_utf8(row.field(10).unwrap_or_default())?;
    let code = crime_category_code_for_slug(slug)
        .ok_or_else(|| anyhow::anyhow!("unknown category {slug:?} in the store"))?;
    csv::field(crime_type_csv_name(code, month), out);
    out.push(b',');
    csv::field(row.field(11).unwrap_or_default(), out);
    out.push(b',');
    csv::field(row.field(12).unwrap_or_default(), out);
    csv::end_record(out);
    Ok(())
}

/// `Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA
/// name,Outcome type`.
fn outcome_row(out: &mut Vec<u8>, row: &CopyRows<'_, OUTCOME_FIELDS>) -> anyhow::Result<()> {
    place_fields(out, |i| row.field(i), b"No location")?;
    csv::field(row.field(10).unwrap_or_default(), out);
    csv::end_record(out);
    Ok(())
}

/// The first nine fields street and outcome files share, with the comma after them, from
/// `COPY` fields 0 (month) and 2–9; `no_location` is what police.uk writes in `Location` for
/// a row without coordinates (the two kinds spell it differently).
fn place_fields<'r>(
    out: &mut Vec<u8>,
    field_of: impl Fn(usize) -> Option<&'r [u8]>,
    no_location: &[u8],
) -> anyhow::Result<()> {
    let text = |i: usize| field_of(i).unwrap_or_default();
    for (i, copy_field) in [2, 0, 3, 4].into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv::field(text(copy_field), out);
    }
    out.push(b',');
    match (field_of(5), field_of(6)) {
        (Some(longitude), Some(latitude)) => {
            coordinate(out, longitude)?;
            out.push(b',');
            coordinate(out, latitude)?;
            out.push(b',');
            csv::field(text(7), out);
        }
        _ => {
            out.extend_from_slice(b",,");
            out.extend_from_slice(no_location);
        }
    }
    out.push(b',');
    csv::field(text(8), out);
    out.push(b',');
    csv::field(text(9), out);
    out.push(b',');
    Ok(())
}

/// `Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age
/// range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of
/// search,Outcome,Outcome linked to object of search,Removal of more than just outer
/// clothing`: `COPY` fields 2 to 16, in order.
fn stop_row(out: &mut Vec<u8>, row: &CopyRows<'_, STOP_FIELDS>) -> anyhow::Result<()> {
    for i in 2..STOP_FIELDS {
        if i > 2 {
            out.push(b',');
        }
        match (i, row.field(i)) {
            (_, None) => {}
            (3, Some(datetime)) => stop_datetime(out, datetime)?,
            (4 | 15 | 16, Some(flag)) => out.extend_from_slice(match flag {
                b"t" => b"True".as_slice(),
                _ => b"False",
            }),
            (6 | 7, Some(value)) => coordinate(out, value)?,
            (_, Some(text)) => csv::field(text, out),
        }
    }
    csv::end_record(out);
    Ok(())
}

/// A coordinate as police.uk writes them, with six decimals (`-0.077596`), when six
/// decimals give back the stored value; otherwise every digit it needs (never an exponent).
fn coordinate(out: &mut Vec<u8>, stored: &[u8]) -> anyhow::Result<()> {
    let text = std::str::from_utf8(stored)?;
    let value: f64 =
        text.parse().map_err(|_| anyhow::anyhow!("coordinate {text:?} in the store"))?;
    let six = format!("{value:.6}");
    if six.parse::<f64>() == Ok(value) {
        out.extend_from_slice(six.as_bytes());
    } else {
        write!(out, "{value}")?;
    }
    Ok(())
}

/// A `timestamptz` as PostgreSQL writes it in UTC with the ISO style
/// (`2018-03-01 12:30:00+00`, fractions of a second when there are any) written as
/// police.uk does (`2018-03-01T12:30:00+00:00`).
fn stop_datetime(out: &mut Vec<u8>, stored: &[u8]) -> anyhow::Result<()> {
    let invalid =
        || anyhow::anyhow!("stop date {:?} in the store", String::from_utf8_lossy(stored));
    let local = stored.strip_suffix(b"+00").ok_or_else(invalid)?;
    if local.len() < 19 || local[10] != b' ' {
        return Err(invalid());
    }
    out.extend_from_slice(&local[..10]);
    out.push(b'T');
    out.extend_from_slice(&local[11..]);
    out.extend_from_slice(b"+00:00");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn coordinates_have_six_decimals_unless_more_are_needed() {
        assert_eq!(written(|o| coordinate(o, b"-0.077596").unwrap()), "-0.077596");
        assert_eq!(written(|o| coordinate(o, b"51.5").unwrap()), "51.500000");
        assert_eq!(written(|o| coordinate(o, b"-1.1248191").unwrap()), "-1.1248191");
        assert_eq!(written(|o| coordinate(o, b"1e-07").unwrap()), "0.0000001");
        assert!(coordinate(&mut Vec::new(), b"north").is_err());
    }

    #[test]
    fn stop_dates_are_written_as_police_uk_does() {
        let date = |s: &[u8]| written(|o| stop_datetime(o, s).unwrap());
        assert_eq!(date(b"2018-03-01 12:30:00+00"), "2018-03-01T12:30:00+00:00");
        assert_eq!(date(b"2018-03-01 12:30:00.25+00"), "2018-03-01T12:30:00.25+00:00");
        assert!(stop_datetime(&mut Vec::new(), b"2018-03-01 12:30:00+01").is_err());
        assert!(stop_datetime(&mut Vec::new(), b"yesterday").is_err());
    }

    #[test]
    fn paths_follow_the_archive() {
        let entry = ArchiveEntry {
            kind: FileKind::StopAndSearch,
            force_id: "city-of-london".into(),
            month: "2016-01".parse().unwrap(),
            rows: 0,
        };
        assert_eq!(entry.path(), "2016-01/2016-01-city-of-london-stop-and-search.csv");
    }

    fn month(text: &str) -> Month {
        text.parse().unwrap()
    }

    fn copy_rows<const N: usize>(text: &'static str) -> CopyRows<'static, N> {
        CopyRows::new(Box::new(text.as_bytes())).unwrap()
    }

    #[test]
    fn street_rows_follow_police_uk() {
        let located = copy_rows::<STREET_FIELDS>(
            "2016-01\tcity-of-london\tabc\tCity of London Police\tCity of London Police\t\
             -0.111497\t51.518226\tOn or near Star Yard\tE01000914\tCamden 028B\t\
             violent-crime\tUnder investigation\t\n",
        );
        assert_eq!(
            written(|o| street_row(o, &located, month("2016-01")).unwrap()),
            "abc,2016-01,City of London Police,City of London Police,-0.111497,51.518226,\
             On or near Star Yard,E01000914,Camden 028B,Violence and sexual offences,\
             Under investigation,\r\n"
        );
        assert!(written(|o| street_row(o, &located, month("2013-04")).unwrap())
            .contains(",Violent crime,"));
        let unlocated = copy_rows::<STREET_FIELDS>(
            "2016-01\tcity-of-london\t\\N\tA\tB\t\\N\t\\N\t\\N\t\\N\t\\N\t\
             anti-social-behaviour\t\\N\tsaid \"so\", then\n",
        );
        assert_eq!(
            written(|o| street_row(o, &unlocated, month("2016-01")).unwrap()),
            ",2016-01,A,B,,,No Location,,,Anti-social behaviour,,\"said \"\"so\"\", then\"\r\n"
        );
    }

    #[test]
    fn outcome_and_stop_rows_follow_police_uk() {
        let outcome = copy_rows::<OUTCOME_FIELDS>(
            "2016-01\tcity-of-london\tabc\tA\tB\t\\N\t\\N\t\\N\t\\N\t\\N\t\
             Offender given a caution\n",
        );
        assert_eq!(
            written(|o| outcome_row(o, &outcome).unwrap()),
            "abc,2016-01,A,B,,,No location,,,Offender given a caution\r\n"
        );
        let stop = copy_rows::<STOP_FIELDS>(
            "2016-01\tcity-of-london\tPerson search\t2016-01-02 16:45:00+00\t\\N\t\\N\t\
             51.5\t-0.1\tMale\tover 34\t\\N\tWhite\tPACE\tStolen goods\tArrest\tt\tf\n",
        );
        assert_eq!(
            written(|o| stop_row(o, &stop).unwrap()),
            "Person search,2016-01-02T16:45:00+00:00,,,51.500000,-0.100000,Male,over 34,,\
             White,PACE,Stolen goods,Arrest,True,False\r\n"
        );
    }
}
