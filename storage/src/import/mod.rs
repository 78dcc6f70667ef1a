//! `police-api import`: loading the police.uk bulk archive into PostgreSQL.
//!
//! Each monthly file (one kind, one force, one month) is one transaction: its previous rows
//! are deleted and the new ones copied in with `COPY`, together with a row in the `imports`
//! ledger, so a reader sees the old file or the new one, never a mix, and a failure (or a
//! `kill -9`) leaves the store as it was. A file whose checksum equals the ledger's current
//! one for that (kind, force, month) is left alone.

pub mod archive;
mod copy;
pub mod parse;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};
use sha2::{Digest, Sha256};

pub use archive::{discover, ArchiveFile, Discovery, FileKind, SkippedFile};
pub use parse::{FileRefusal, Rejection};

use crate::db::IMPORT_CHANNEL;
use parse::{ParsedFile, Rows, StreetRow};

/// Key of the advisory lock that serialises imports across processes: snap point and crime
/// id allocation assume a single writer.
const IMPORT_LOCK_KEY: i64 = 0x706f_6c69_6365;

/// Knobs for tests that need to interrupt an import in the middle of a file.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Abort the `COPY` with an error after this many rows of each file.
    pub fail_after_rows: Option<u64>,
    /// Print `paused after N rows` to stderr and sleep after this many rows of each file
    /// (inside its transaction), so that a test can `kill -9` the process there.
    pub pause_after_rows: Option<u64>,
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileStatus {
    /// Rows were written; `replaced` when an earlier version of the file was in the store.
    Imported { replaced: bool },
    /// The same content (checksum) is already the current version.
    Unchanged,
    /// The file is not a police.uk file of its kind; nothing was written.
    Refused(String),
    /// Something went wrong while writing; the transaction was rolled back.
    Failed(String),
}

/// The outcome of importing one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: String,
    pub kind: FileKind,
    pub force_id: &'static str,
    pub month: crate::Month,
    pub status: FileStatus,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub rejections: Vec<Rejection>,
    pub elapsed: Duration,
}

/// Hooks for progress reporting; every method has a no-op default.
pub trait ImportObserver {
    fn discovered(&self, _files: &[ArchiveFile], _skipped: &[SkippedFile]) {}
    fn file_started(&self, _file: &ArchiveFile, _position: usize, _total: usize) {}
    fn file_finished(&self, _report: &FileReport) {}
}

/// An observer that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;
impl ImportObserver for Silent {}

/// The outcome of an import run.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub files: Vec<FileReport>,
    pub skipped: Vec<SkippedFile>,
    pub elapsed: Duration,
}

impl ImportSummary {
    pub fn count(&self, pred: impl Fn(&FileStatus) -> bool) -> usize {
        self.files.iter().filter(|f| pred(&f.status)).count()
    }
    pub fn imported(&self) -> usize {
        self.count(|s| matches!(s, FileStatus::Imported { .. }))
    }
    pub fn unchanged(&self) -> usize {
        self.count(|s| *s == FileStatus::Unchanged)
    }
    /// Files refused or failed, plus files found that look like police.uk data but could
    /// not be identified.
    pub fn problems(&self) -> usize {
        self.count(|s| matches!(s, FileStatus::Refused(_) | FileStatus::Failed(_)))
            + self.skipped.iter().filter(|s| s.refused).count()
    }
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows_read).sum()
    }
    pub fn rows_accepted(&self) -> u64 {
        self.files.iter().map(|f| f.rows_accepted).sum()
    }
    pub fn rows_rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rows_rejected).sum()
    }
    /// Rows written per second of wall time, counting only files that were imported.
    pub fn rows_per_second(&self) -> f64 {
        let written: u64 = self
            .files
            .iter()
            .filter(|f| matches!(f.status, FileStatus::Imported { .. }))
            .map(|f| f.rows_read)
            .sum();
        written as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Imports every monthly file found under `paths`.
pub fn import_paths(
    conn: &mut PgConnection,
    paths: &[PathBuf],
    options: &ImportOptions,
    observer: &dyn ImportObserver,
) -> anyhow::Result<ImportSummary> {
    let started = Instant::now();
    let discovery = discover(paths)?;
    observer.discovered(&discovery.files, &discovery.skipped);
    let total = discovery.files.len();
    let mut summary = ImportSummary { skipped: discovery.skipped, ..Default::default() };
    for (position, file) in discovery.files.iter().enumerate() {
        observer.file_started(file, position, total);
        let report = import_file(conn, file, options);
        observer.file_finished(&report);
        summary.files.push(report);
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Imports one file in one transaction and reports what happened; never panics on bad data.
pub fn import_file(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    options: &ImportOptions,
) -> FileReport {
    let started = Instant::now();
    let mut report = FileReport {
        file: file.display_name.clone(),
        kind: file.kind,
        force_id: file.force.id,
        month: file.month,
        status: FileStatus::Unchanged,
        rows_read: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        rejections: Vec::new(),
        elapsed: Duration::ZERO,
    };
    report.status = match try_import_file(conn, file, options, &mut report) {
        Ok(status) => status,
        Err(error) => FileStatus::Failed(format!("{error:#}")),
    };
    report.elapsed = started.elapsed();
    report
}

fn try_import_file(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    options: &ImportOptions,
    report: &mut FileReport,
) -> anyhow::Result<FileStatus> {
    let bytes = file.read()?;
    let checksum = hex(&Sha256::digest(&bytes));
    if current_checksum(conn, file)?.as_deref() == Some(checksum.as_str()) {
        return Ok(FileStatus::Unchanged);
    }
    let parsed = match parse::parse_file(file, &bytes) {
        Ok(parsed) => parsed,
        Err(refusal) => return Ok(FileStatus::Refused(refusal.to_string())),
    };
    drop(bytes);
    report.rows_read = parsed.rows_read;
    report.rows_accepted = parsed.rows.len() as u64;
    report.rows_rejected = parsed.rejections.len() as u64;
    report.rejections = parsed.rejections.clone();

    conn.transaction(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(IMPORT_LOCK_KEY)
            .execute(conn)?;
        // Checked again under the lock: another process may have imported it meanwhile.
        let previous = current_checksum(conn, file)?;
        if previous.as_deref() == Some(checksum.as_str()) {
            return Ok(FileStatus::Unchanged);
        }
        write_file(conn, file, &parsed, &checksum, options)?;
        Ok(FileStatus::Imported { replaced: previous.is_some() })
    })
}

#[derive(QueryableByName)]
struct ChecksumRow {
    #[diesel(sql_type = Text)]
    checksum: String,
}

fn current_checksum(conn: &mut PgConnection, file: &ArchiveFile) -> anyhow::Result<Option<String>> {
    let row: Option<ChecksumRow> = diesel::sql_query(
        "SELECT checksum FROM imports WHERE kind = $1 AND force_id = $2 AND month = $3::date \
         ORDER BY id DESC LIMIT 1",
    )
    .bind::<Text, _>(file.kind.as_str())
    .bind::<Text, _>(file.force.id)
    .bind::<Text, _>(file.month.first_day())
    .get_result(conn)
    .optional()?;
    Ok(row.map(|r| r.checksum))
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn write_file(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    parsed: &ParsedFile,
    checksum: &str,
    options: &ImportOptions,
) -> anyhow::Result<()> {
    let month = file.month.first_day();
    let location_ids = resolve_locations(conn, file, parsed)?;
    let import_id = diesel::sql_query(
        "INSERT INTO imports (file, kind, force_id, month, rows_read, rows_accepted, \
         rows_rejected, checksum) VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8) RETURNING id",
    )
    .bind::<Text, _>(&file.display_name)
    .bind::<Text, _>(file.kind.as_str())
    .bind::<Text, _>(file.force.id)
    .bind::<Text, _>(&month)
    .bind::<BigInt, _>(parsed.rows_read as i64)
    .bind::<BigInt, _>(parsed.rows.len() as i64)
    .bind::<BigInt, _>(parsed.rejections.len() as i64)
    .bind::<Text, _>(checksum)
    .get_result::<IdRow>(conn)?
    .id;

    let table = match file.kind {
        FileKind::Street => "crimes",
        FileKind::Outcomes => "outcomes",
        FileKind::StopAndSearch => "stops",
    };
    let crime_ids = match &parsed.rows {
        Rows::Street(rows) => crime_ids(conn, file, rows, &location_ids)?,
        _ => Vec::new(),
    };
    diesel::sql_query(format!("DELETE FROM {table} WHERE force_id = $1 AND month = $2::date"))
        .bind::<Text, _>(file.force.id)
        .bind::<Text, _>(&month)
        .execute(conn)?;

    let context = copy::CopyContext {
        import_id,
        month: &month,
        force_id: file.force.id,
        location_ids: &location_ids,
        crime_ids: &crime_ids,
        options,
    };
    copy::copy_rows(conn, &parsed.rows, &context)?;
    copy::copy_rejections(conn, import_id, &parsed.rejections)?;
    diesel::sql_query("SELECT pg_notify($1, $2)")
        .bind::<Text, _>(IMPORT_CHANNEL)
        .bind::<Text, _>(format!("{} {} {}", file.kind, file.force.id, file.month))
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct LocationIdRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = BigInt)]
    ord: i64,
}

/// Store ids for the file's snap points, in the order of its `LocationTable`; new snap
/// points are added, in file order, so ids are deterministic.
fn resolve_locations(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    parsed: &ParsedFile,
) -> anyhow::Result<Vec<i32>> {
    let keys = &parsed.locations.keys;
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let longitudes: Vec<f64> = keys.iter().map(|k| k.longitude).collect();
    let latitudes: Vec<f64> = keys.iter().map(|k| k.latitude).collect();
    let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
    let location_type = if file.force.id == crate::reference::BTP.id { "BTP" } else { "Force" };
    diesel::sql_query(
        "INSERT INTO locations (longitude, latitude, name, location_type) \
         SELECT longitude, latitude, name, $4 \
         FROM unnest($1::float8[], $2::float8[], $3::text[]) WITH ORDINALITY \
              AS input(longitude, latitude, name, ord) \
         ORDER BY ord ON CONFLICT DO NOTHING",
    )
    .bind::<Array<Double>, _>(&longitudes)
    .bind::<Array<Double>, _>(&latitudes)
    .bind::<Array<Text>, _>(&names)
    .bind::<Text, _>(location_type)
    .execute(conn)?;
    let rows: Vec<LocationIdRow> = diesel::sql_query(
        "SELECT l.id, input.ord \
         FROM unnest($1::float8[], $2::float8[], $3::text[]) WITH ORDINALITY \
              AS input(longitude, latitude, name, ord) \
         JOIN locations l USING (longitude, latitude, name)",
    )
    .bind::<Array<Double>, _>(&longitudes)
    .bind::<Array<Double>, _>(&latitudes)
    .bind::<Array<Text>, _>(&names)
    .load(conn)?;
    let mut ids = vec![0; keys.len()];
    for row in &rows {
        ids[(row.ord - 1) as usize] = row.id;
    }
    anyhow::ensure!(rows.len() == keys.len(), "could not resolve every snap point of the file");
    Ok(ids)
}

/// What identifies a crime across vintages of the same month's file: its police.uk Crime ID,
/// or, for anti-social behaviour (which has none), everything the row says about it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum CrimeKey {
    Persistent(String),
    Anonymous {
        location_id: Option<i32>,
        lsoa_code: Option<String>,
        category: String,
        context: String,
    },
}

#[derive(QueryableByName)]
struct PreviousCrime {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    persistent_id: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    location_id: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    lsoa_code: Option<String>,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Text)]
    context: String,
}

/// Numeric ids for the file's crimes: a crime that was in the previous version of this file
/// keeps its id; new crimes get fresh ones from `crime_id_seq`.
fn crime_ids(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    rows: &[StreetRow],
    location_ids: &[i32],
) -> anyhow::Result<Vec<i64>> {
    let previous: Vec<PreviousCrime> = diesel::sql_query(
        "SELECT id, persistent_id, location_id, lsoa_code, category, context FROM crimes \
         WHERE force_id = $1 AND month = $2::date ORDER BY id",
    )
    .bind::<Text, _>(file.force.id)
    .bind::<Text, _>(file.month.first_day())
    .load(conn)?;
    let mut available: HashMap<CrimeKey, std::collections::VecDeque<i64>> = HashMap::new();
    for crime in previous {
        let key = match crime.persistent_id {
            Some(id) => CrimeKey::Persistent(id),
            None => CrimeKey::Anonymous {
                location_id: crime.location_id,
                lsoa_code: crime.lsoa_code,
                category: crime.category,
                context: crime.context,
            },
        };
        available.entry(key).or_default().push_back(crime.id);
    }
    let mut ids: Vec<Option<i64>> = rows
        .iter()
        .map(|row| {
            let key = match &row.persistent_id {
                Some(id) => CrimeKey::Persistent(id.clone()),
                None => CrimeKey::Anonymous {
                    location_id: row.location.map(|l| location_ids[l as usize]),
                    lsoa_code: row.lsoa_code.clone(),
                    category: row.category_slug.to_owned(),
                    context: row.context.clone(),
                },
            };
            available.get_mut(&key).and_then(|ids| ids.pop_front())
        })
        .collect();
    let fresh_needed = ids.iter().filter(|id| id.is_none()).count() as i64;
    if fresh_needed > 0 {
        // Safe without a race: the import lock is held, and only imports use the sequence.
        let last = diesel::sql_query(
            "SELECT setval('crime_id_seq', nextval('crime_id_seq') + $1 - 1) AS id",
        )
        .bind::<BigInt, _>(fresh_needed)
        .get_result::<IdRow>(conn)?
        .id;
        let fresh = (last - fresh_needed + 1)..;
        for (fresh_id, id) in fresh.zip(ids.iter_mut().filter(|id| id.is_none())) {
            *id = Some(fresh_id);
        }
    }
    Ok(ids.into_iter().map(|id| id.unwrap_or_default()).collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
