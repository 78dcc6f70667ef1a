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
//!
//! Every file's commit is synchronous, so a file reported imported is durable, even if the
//! server crashes right after (as PostgreSQL does when its disk fills up). At the first
//! failure caused by a full disk the import stops: no further file is started, files in
//! flight roll back, and the disk-full message is said once (see `disk_full`).
//!
//! Modules, each depending only on those listed before it: `types` (what they all share),
//! `identify` (recognising force and neighbourhood files by path), [`archive`] (discovery),
//! [`parse`] and [`kml`] (reading files), `worker` (the per-force worker pool), `disk_full`
//! (stopping at a full disk), `locations`
//! and `stop_locations` (snap point ids), `copy` (`COPY` writers), [`reference`] (writing
//! force and neighbourhood files), and this module (writing monthly files).

mod types;

pub mod archive;
mod copy;
mod disk_full;
#[cfg(test)]
mod fuzz;
mod identify;
pub mod kml;
mod locations;
pub mod parse;
pub mod reference;
mod stop_locations;
mod worker;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use sha2::{Digest, Sha256};

pub use archive::{discover, Discovery};
pub use parse::FileRefusal;
pub use types::{
    ArchiveFile, FileKind, FileReport, FileStatus, ImportObserver, ImportOptions, ReferenceFile,
    ReferenceKind, ReferenceReport, Rejection, Silent, SkippedFile, DEFAULT_MAX_REJECTED_SHARE,
};

use crate::db::IMPORT_CHANNEL;
use locations::LocationCache;
use parse::{ParsedFile, Rows, StreetRow};

/// First key of the advisory locks that serialise imports of the same (kind, force, month)
/// across workers and processes; the second is a hash of that triple.
const IMPORT_LOCK_CLASS: i32 = 0x706f_6c69;

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
    /// Files (monthly, force and neighbourhood) not started because the import stopped at a
    /// full disk; they are in neither `files` nor `reference`.
    pub not_started: usize,
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
    let mut discovery = discover(paths)?;
    if options.keep_months > 0 {
        leave_out_old_months(database_url, &mut discovery, options.keep_months)?;
    }
    observer.discovered(&discovery.files, &discovery.skipped);
    let total = discovery.files.len();

    let started_files = AtomicUsize::new(0);
    let cache = LocationCache::default();
    let watch = disk_full::DiskWatch::new(options.data_dir.as_deref());
    let files = worker::for_each_by_force(
        database_url,
        &discovery.files,
        |file| file.force.id,
        options.workers,
        |conn, file| {
            if watch.stopped() {
                return None;
            }
            let ordinal = started_files.fetch_add(1, Ordering::Relaxed);
            observer.file_started(file, ordinal, total);
            let mut report = match conn {
                Ok(conn) => import_file(conn, file, options, &cache, &watch),
                Err(error) => failed_report(file, format!("{error:#}")),
            };
            watch.review(&mut report.status);
            observer.file_finished(&report);
            Some(report)
        },
    );
    let reference_started = Instant::now();
    let reference =
        reference::import_files(database_url, &discovery.reference, options, observer, &watch);
    let reference_elapsed = reference_started.elapsed();
    let not_started = files.iter().filter(|report| report.is_none()).count()
        + reference.iter().filter(|report| report.is_none()).count();
    Ok(ImportSummary {
        files: files.into_iter().flatten().collect(),
        skipped: discovery.skipped,
        reference: reference.into_iter().flatten().collect(),
        elapsed: started.elapsed(),
        reference_elapsed,
        not_started,
    })
}

/// Moves the monthly files older than the newest `keep` months (of the store and the files
/// found, together) from the files to import to the skipped ones: a retention window would
/// drop them right after.
fn leave_out_old_months(
    database_url: &str,
    discovery: &mut Discovery,
    keep: u32,
) -> anyhow::Result<()> {
    let stored = crate::retention::newest_month(&mut crate::db::connect(database_url)?)?;
    let found = discovery.files.iter().map(|file| file.month).max();
    let Some(first_kept) =
        stored.max(found).and_then(|newest| crate::retention::first_kept_month(newest, keep))
    else {
        return Ok(());
    };
    let (kept, old): (Vec<_>, Vec<_>) =
        std::mem::take(&mut discovery.files).into_iter().partition(|f| f.month >= first_kept);
    discovery.files = kept;
    discovery.skipped.extend(old.into_iter().map(|file| SkippedFile {
        display_name: file.display_name,
        reason: format!("before {first_kept}, outside the newest {keep} months kept"),
        refused: false,
    }));
    Ok(())
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

/// Imports one file in one transaction and reports what happened; never panics on bad data.
fn import_file(
    conn: &mut PgConnection,
    file: &ArchiveFile,
    options: &ImportOptions,
    cache: &LocationCache,
    watch: &disk_full::DiskWatch,
) -> FileReport {
    let started = Instant::now();
    let mut report = failed_report(file, String::new());
    let result = try_import_file(conn, file, options, cache, watch, &mut report);
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
    watch: &disk_full::DiskWatch,
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
        if let Some(damage) = previous.as_ref().and_then(|_| damage(&parsed, options)) {
            let why = format!("not replacing the version already imported: {damage}");
            return Ok((FileStatus::Refused(why), Vec::new()));
        }
        let new_locations = write_file(conn, file, &parsed, &checksum, options, cache)?;
        // Another file filled the disk meanwhile: this one rolls back rather than commit.
        anyhow::ensure!(!watch.stopped(), disk_full::STOPPED_IN_FLIGHT);
        Ok((FileStatus::Imported { replaced: previous.is_some() }, new_locations))
    })?;
    // Only now are the snap points this file added certain to exist for everyone.
    cache.remember(file.kind, &parsed.locations.keys, new_locations);
    Ok(status)
}

/// Why a parsed file looks damaged rather than merely imperfect, if it does: rows the CSV
/// reader could not read (a stray quote swallows the rest of a file into one field), or more
/// rows rejected than [`ImportOptions::max_rejected_share`] of those read.
fn damage(parsed: &parse::ParsedFile, options: &ImportOptions) -> Option<String> {
    let rejected = parsed.rejections.len() as u64;
    let unreadable = parsed.rejections.iter().find(|r| r.reason.starts_with("unreadable CSV"));
    if let Some(rejection) = unreadable {
        return Some(format!(
            "line {} is unreadable as CSV ({})",
            rejection.line, rejection.reason
        ));
    }
    let share = rejected as f64 / parsed.rows_read.max(1) as f64;
    (share > options.max_rejected_share).then(|| {
        format!(
            "{rejected} of {} rows rejected ({:.1} %, more than the {:.1} % allowed: \
             --max-rejected-share)",
            parsed.rows_read,
            share * 100.0,
            options.max_rejected_share * 100.0
        )
    })
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
        _ => locations::resolve_locations(conn, file, parsed, cache)?,
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
