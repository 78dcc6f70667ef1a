//! `police-api import`: loading the police.uk bulk archive into PostgreSQL.
//!
//! Each monthly file (one kind, one force, one month) is one transaction: its previous rows
//! are deleted and the new ones copied in with `COPY`, together with a row in the `imports`
//! ledger, so a reader sees the old file or the new one, never a mix, and a failure (or a
//! `kill -9`) leaves the store as it was. A file whose checksum equals the ledger's current
//! one for that (kind, force, month) is left alone.
//!
//! Force and neighbourhood files (boundary KMLs, saved API responses) are found by the same
//! discovery and imported after the monthly files, one transaction each: see [`reference`].
//!
//! Files are imported by several workers at once, each with its own connection; all files
//! of one force go to one worker, in order, so two versions of a file in one run are applied
//! in the order given, and workers rarely touch the same snap points.

pub mod archive;
mod copy;
pub mod kml;
pub mod parse;
pub mod reference;
mod stop_locations;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text};
use sha2::{Digest, Sha256};

pub use archive::{discover, ArchiveFile, Discovery, FileKind, SkippedFile};
pub use parse::{FileRefusal, Rejection};
pub use reference::{ReferenceFile, ReferenceKind, ReferenceReport};

use crate::db::IMPORT_CHANNEL;
use parse::{ParsedFile, Rows, StreetRow};

/// First key of the advisory locks that serialise imports of the same (kind, force, month)
/// across workers and processes; the second is a hash of that triple.
const IMPORT_LOCK_CLASS: i32 = 0x706f_6c69;

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Files imported at once, each on its own connection.
    pub workers: usize,
    /// Abort the `COPY` with an error after this many rows of each file.
    pub fail_after_rows: Option<u64>,
    /// Print `paused after N rows` to stderr and sleep after this many rows of each file
    /// (inside its transaction), so that a test can `kill -9` the process there.
    pub pause_after_rows: Option<u64>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            fail_after_rows: None,
            pause_after_rows: None,
        }
    }
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
    pub month: police_index::Month,
    pub status: FileStatus,
    pub rows_read: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub rejections: Vec<Rejection>,
    pub elapsed: Duration,
}

/// Hooks for progress reporting, called from the import's worker threads; every method has
/// a no-op default.
pub trait ImportObserver: Sync {
    fn discovered(&self, _files: &[ArchiveFile], _skipped: &[SkippedFile]) {}
    fn file_started(&self, _file: &ArchiveFile, _position: usize, _total: usize) {}
    fn file_finished(&self, _report: &FileReport) {}
    /// A force or neighbourhood file was imported (or not); see [`reference`].
    fn reference_finished(&self, _report: &ReferenceReport) {}
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
    /// Force and neighbourhood files (boundaries, saved API responses), imported after the
    /// monthly files. Not counted by `imported`, `unchanged` and the `rows_*` totals, which
    /// are about monthly files; counted by `problems`.
    pub reference: Vec<ReferenceReport>,
    pub elapsed: Duration,
    /// The part of `elapsed` spent on force and neighbourhood files.
    pub reference_elapsed: Duration,
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
            + self.reference_count(|s| matches!(s, FileStatus::Refused(_) | FileStatus::Failed(_)))
            + self.skipped.iter().filter(|s| s.refused).count()
    }
    /// Force and neighbourhood files whose status matches.
    pub fn reference_count(&self, pred: impl Fn(&FileStatus) -> bool) -> usize {
        self.reference.iter().filter(|f| pred(&f.status)).count()
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
    /// Rows written per second of wall time, counting only files that were imported (and
    /// only the time spent on monthly files, not on force and neighbourhood files).
    pub fn rows_per_second(&self) -> f64 {
        let written: u64 = self
            .files
            .iter()
            .filter(|f| matches!(f.status, FileStatus::Imported { .. }))
            .map(|f| f.rows_read)
            .sum();
        written as f64 / self.elapsed.saturating_sub(self.reference_elapsed).as_secs_f64().max(1e-9)
    }
}

/// Imports every monthly file found under `paths` into the database at `database_url`.
pub fn import_paths(
    database_url: &str,
    paths: &[PathBuf],
    options: &ImportOptions,
    observer: &dyn ImportObserver,
) -> anyhow::Result<ImportSummary> {
    let started = Instant::now();
    let discovery = discover(paths)?;
    observer.discovered(&discovery.files, &discovery.skipped);
    let total = discovery.files.len();

    // One unit of work per force, biggest first so the workers finish together.
    let mut units: Vec<Vec<(usize, &ArchiveFile)>> = Vec::new();
    let mut unit_of_force: HashMap<&str, usize> = HashMap::new();
    for (position, file) in discovery.files.iter().enumerate() {
        let unit = *unit_of_force.entry(file.force.id).or_insert_with(|| {
            units.push(Vec::new());
            units.len() - 1
        });
        units[unit].push((position, file));
    }
    units.sort_by_key(|unit| std::cmp::Reverse(unit.len()));

    let next_unit = AtomicUsize::new(0);
    let started_files = AtomicUsize::new(0);
    let cache = LocationCache::default();
    let reports: Mutex<Vec<(usize, FileReport)>> = Mutex::new(Vec::with_capacity(total));
    let workers = options.workers.clamp(1, units.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                let mut conn = open_import_connection(database_url);
                while let Some(unit) = units.get(next_unit.fetch_add(1, Ordering::Relaxed)) {
                    for &(position, file) in unit {
                        let ordinal = started_files.fetch_add(1, Ordering::Relaxed);
                        observer.file_started(file, ordinal, total);
                        let report = match &mut conn {
                            Ok(conn) => import_file(conn, file, options, &cache),
                            Err(error) => failed_report(file, format!("{error:#}")),
                        };
                        observer.file_finished(&report);
                        reports
                            .lock()
                            .expect("no worker panics holding it")
                            .push((position, report));
                    }
                }
            });
        }
    });
    let reference_started = Instant::now();
    let reference = reference::import_files(database_url, &discovery.reference, options, observer);
    let reference_elapsed = reference_started.elapsed();
    let mut reports = reports.into_inner().expect("no worker panicked");
    reports.sort_by_key(|(position, _)| *position);
    Ok(ImportSummary {
        files: reports.into_iter().map(|(_, report)| report).collect(),
        skipped: discovery.skipped,
        reference,
        elapsed: started.elapsed(),
        reference_elapsed,
    })
}

/// A connection for importing. Commits do not wait for the WAL to reach disk: a crash can
/// lose the last files committed (the ledger then does not list them either, so the next
/// import redoes them), never part of a file.
fn open_import_connection(database_url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = crate::db::connect(database_url)?;
    diesel::sql_query("SET synchronous_commit = off").execute(&mut conn)?;
    Ok(conn)
}

fn failed_report(file: &ArchiveFile, why: String) -> FileReport {
    FileReport {
        file: file.display_name.clone(),
        kind: file.kind,
        force_id: file.force.id,
        month: file.month,
        status: FileStatus::Failed(why),
        rows_read: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        rejections: Vec::new(),
        elapsed: Duration::ZERO,
    }
}

/// Snap point ids already known to be committed, shared by the workers of one import so
/// that most files (outcomes repeat the street file's places) need no lookup.
#[derive(Default)]
struct LocationCache {
    ids: Mutex<HashMap<(u64, u64, String), i32>>,
    /// The named snap point chosen for a stop's coordinates (see `stop_locations`).
    by_coordinates: Mutex<HashMap<(u64, u64), i32>>,
}

impl LocationCache {
    fn key(location: &parse::LocationKey) -> (u64, u64, String) {
        (location.longitude.to_bits(), location.latitude.to_bits(), location.name.clone())
    }

    fn coordinates(location: &parse::LocationKey) -> (u64, u64) {
        (location.longitude.to_bits(), location.latitude.to_bits())
    }

    /// Ids for the `keys` found in `map` (0 elsewhere), and the indexes of those not found.
    fn partition<K: std::hash::Hash + Eq>(
        map: &Mutex<HashMap<K, i32>>,
        keys: &[parse::LocationKey],
        key: impl Fn(&parse::LocationKey) -> K,
    ) -> (Vec<i32>, Vec<usize>) {
        let known = map.lock().expect("no worker panics holding it");
        let mut ids = vec![0; keys.len()];
        let mut unknown = Vec::new();
        for (index, location) in keys.iter().enumerate() {
            match known.get(&key(location)) {
                Some(&id) => ids[index] = id,
                None => unknown.push(index),
            }
        }
        (ids, unknown)
    }
}

/// Imports one file in one transaction and reports what happened; never panics on bad data.
fn import_file(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    options: &ImportOptions,
    cache: &LocationCache,
) -> FileReport {
    let started = Instant::now();
    let mut report = failed_report(file, String::new());
    let result = try_import_file(conn, file, options, cache, &mut report);
    report.status = match result {
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
    cache: &LocationCache,
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

    let (status, new_locations) = conn.transaction(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind::<Integer, _>(IMPORT_LOCK_CLASS)
            .bind::<Text, _>(format!("{} {} {}", file.kind, file.force.id, file.month))
            .execute(conn)?;
        // Checked again under the lock: another process may have imported it meanwhile.
        let previous = current_checksum(conn, file)?;
        if previous.as_deref() == Some(checksum.as_str()) {
            return Ok::<_, anyhow::Error>((FileStatus::Unchanged, Vec::new()));
        }
        let new_locations = write_file(conn, file, &parsed, &checksum, options, cache)?;
        Ok((FileStatus::Imported { replaced: previous.is_some() }, new_locations))
    })?;
    // Only now are the snap points this file added certain to exist for everyone.
    if file.kind == FileKind::StopAndSearch {
        let mut known = cache.by_coordinates.lock().expect("no worker panics holding it");
        for (index, id) in new_locations {
            known.insert(LocationCache::coordinates(&parsed.locations.keys[index]), id);
        }
        return Ok(status);
    }
    let mut known = cache.ids.lock().expect("no worker panics holding it");
    for (index, id) in new_locations {
        known.insert(LocationCache::key(&parsed.locations.keys[index]), id);
    }
    Ok(status)
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// How many files of a kind are in the store (their current versions).
pub fn imported_file_count(conn: &mut PgConnection, kind: FileKind) -> anyhow::Result<i64> {
    let row: CountRow = diesel::sql_query(
        "SELECT count(DISTINCT (force_id, month)) AS count FROM imports WHERE kind = $1",
    )
    .bind::<Text, _>(kind.as_str())
    .get_result(conn)?;
    Ok(row.count)
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

/// Writes the file's rows; returns the snap points it looked up in the database (index in
/// the file's location table, id), for the cache once committed.
fn write_file(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    parsed: &ParsedFile,
    checksum: &str,
    options: &ImportOptions,
    cache: &LocationCache,
) -> anyhow::Result<Vec<(usize, i32)>> {
    let month = file.month.first_day();
    let (location_ids, looked_up) = match file.kind {
        FileKind::StopAndSearch => {
            stop_locations::resolve_stop_locations(conn, file, parsed, cache)?
        }
        _ => resolve_locations(conn, file, parsed, cache)?,
    };
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
    Ok(looked_up)
}

#[derive(QueryableByName)]
struct LocationIdRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = BigInt)]
    ord: i64,
}

/// Store ids per entry of a file's location table, and the (index, id) pairs of those that
/// were looked up in the database.
type ResolvedLocations = (Vec<i32>, Vec<(usize, i32)>);

/// Store ids for the file's snap points, in the order of its `LocationTable`, and which of
/// them had to be looked up in the database (the rest came from the cache). New snap points
/// are inserted in a fixed order (by coordinates and name), so that concurrent imports
/// sharing places wait for each other instead of deadlocking.
fn resolve_locations(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    parsed: &ParsedFile,
    cache: &LocationCache,
) -> anyhow::Result<ResolvedLocations> {
    let keys = &parsed.locations.keys;
    let (mut ids, unknown) = LocationCache::partition(&cache.ids, keys, LocationCache::key);
    if unknown.is_empty() {
        return Ok((ids, Vec::new()));
    }
    let longitudes: Vec<f64> = unknown.iter().map(|&i| keys[i].longitude).collect();
    let latitudes: Vec<f64> = unknown.iter().map(|&i| keys[i].latitude).collect();
    let names: Vec<&str> = unknown.iter().map(|&i| keys[i].name.as_str()).collect();
    let location_type =
        if file.force.id == police_index::reference::BTP.id { "BTP" } else { "Force" };
    // New snap points come back from the insert; ones that already existed are looked up.
    let inserted: Vec<LocationIdRow> = diesel::sql_query(
        "WITH input AS ( \
             SELECT * FROM unnest($1::float8[], $2::float8[], $3::text[]) WITH ORDINALITY \
                 AS input(longitude, latitude, name, ord)), \
         inserted AS ( \
             INSERT INTO locations (longitude, latitude, name, location_type) \
             SELECT longitude, latitude, name, $4 FROM input \
             ORDER BY longitude, latitude, name ON CONFLICT DO NOTHING \
             RETURNING id, longitude, latitude, name) \
         SELECT inserted.id, input.ord FROM inserted JOIN input USING (longitude, latitude, name)",
    )
    .bind::<Array<Double>, _>(&longitudes)
    .bind::<Array<Double>, _>(&latitudes)
    .bind::<Array<Text>, _>(&names)
    .bind::<Text, _>(location_type)
    .load(conn)?;
    let mut rows = inserted;
    if rows.len() < unknown.len() {
        rows = diesel::sql_query(
            "SELECT l.id, input.ord \
             FROM unnest($1::float8[], $2::float8[], $3::text[]) WITH ORDINALITY \
                  AS input(longitude, latitude, name, ord) \
             JOIN locations l USING (longitude, latitude, name)",
        )
        .bind::<Array<Double>, _>(&longitudes)
        .bind::<Array<Double>, _>(&latitudes)
        .bind::<Array<Text>, _>(&names)
        .load(conn)?;
    }
    anyhow::ensure!(rows.len() == unknown.len(), "could not resolve every snap point of the file");
    let mut looked_up = Vec::with_capacity(rows.len());
    for row in &rows {
        let index = unknown[(row.ord - 1) as usize];
        ids[index] = row.id;
        looked_up.push((index, row.id));
    }
    Ok((ids, looked_up))
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
        let fresh: Vec<IdRow> = diesel::sql_query(
            "SELECT nextval('crime_id_seq') AS id FROM generate_series(1, $1) ORDER BY 1",
        )
        .bind::<BigInt, _>(fresh_needed)
        .load(conn)?;
        for (fresh, id) in fresh.iter().zip(ids.iter_mut().filter(|id| id.is_none())) {
            *id = Some(fresh.id);
        }
    }
    Ok(ids.into_iter().map(|id| id.unwrap_or_default()).collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
