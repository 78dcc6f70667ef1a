//! Importing forces and neighbourhoods: police.uk's neighbourhood boundary KMLs and saved
//! responses of its force and neighbourhood routes.
//!
//! Files are recognised (by the `identify` module, during discovery) by where they lie,
//! mirroring the API's paths (anywhere in the tree given to `import`; `<force>` must be one
//! of the 44 forces of `/api/forces`):
//!
//! | path ends with | imported as |
//! |---|---|
//! | `<force>/<neighbourhood>.kml` | the neighbourhood's boundary (police.uk's boundary download layout) |
//! | `forces/<force>.json` | `/api/forces/<force>` |
//! | `forces/<force>/people.json` | `/api/forces/<force>/people` |
//! | `<force>/neighbourhoods.json` | `/api/<force>/neighbourhoods` |
//! | `<force>/<neighbourhood>.json` | `/api/<force>/<neighbourhood>` |
//! | `<force>/<neighbourhood>/people.json`, `events.json`, `priorities.json`, `boundary.json` | those routes |
//!
//! Each file is one transaction with a row in the `reference_imports` ledger (keyed by kind,
//! force and neighbourhood; a `boundary.json` and a KML share the key `boundary`), skipped
//! when its checksum equals the current one, and a `NOTIFY police_api_import` so running
//! servers reload. A JSON array's records, or a KML's polygons, are counted like CSV rows:
//! each is accepted or rejected with a reason, `records read = accepted + rejected`. A file
//! that is not JSON/KML of the expected shape is refused whole and changes nothing.
//!
//! A neighbourhood first met in a boundary, or in one of its own files, gets its id as its
//! name until a list or detail file names it. A neighbourhood list sets the names and the
//! order of `/api/{force}/neighbourhoods`; neighbourhoods it does not name lose their place in
//! the order (they are listed after it, by id) but keep everything else. Nothing here deletes a
//! neighbourhood.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use police_openapi::{
    BoundaryPoint, ForceDetail, NeighbourhoodDetail, NeighbourhoodEvent, NeighbourhoodPriority,
    NeighbourhoodSummary, Person,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::disk_full::DiskWatch;
use super::types::{
    FileStatus, ImportObserver, ImportOptions, ReferenceFile, ReferenceKind, ReferenceReport,
    Rejection,
};
use super::{kml, worker};
use crate::db::IMPORT_CHANNEL;
use police_index::neighbourhoods::Boundary;
use police_index::reference::FORCES;

/// First key of the advisory locks that serialise imports of the same reference resource.
const REFERENCE_LOCK_CLASS: i32 = 0x6e62_6864;

/// Imports force and neighbourhood files: all files of one force on one worker, in a fixed
/// order (force, people, list, details, team resources, then boundaries), forces in parallel.
/// Reports come back in that order; None for a file not started because the import stopped
/// at a full disk (`watch`).
pub(crate) fn import_files(
    database_url: &str,
    files: &[ReferenceFile],
    options: &ImportOptions,
    observer: &dyn ImportObserver,
    watch: &DiskWatch,
) -> Vec<Option<ReferenceReport>> {
    let mut order: Vec<&ReferenceFile> = files.iter().collect();
    order.sort_by(|a, b| {
        (a.force.id, a.kind, &a.neighbourhood, &a.display_name).cmp(&(
            b.force.id,
            b.kind,
            &b.neighbourhood,
            &b.display_name,
        ))
    });
    if order.is_empty() {
        return Vec::new();
    }
    // Without it every file is checked in its transaction, which is only slower.
    let known = load_ledger(database_url).unwrap_or_default();
    // Files are tiny: waiting on PostgreSQL dominates, so four connections per worker (at
    // most 16) import them about twice as fast as one (see benches/RESULTS.md).
    let workers = (options.workers * 4).clamp(1, 16);
    worker::for_each_by_force(
        database_url,
        &order,
        |file| file.force.id,
        workers,
        |conn, file| {
            if watch.stopped() {
                return None;
            }
            let mut report = match conn {
                Ok(conn) => import_file(conn, file, &known),
                Err(error) => {
                    let mut report = blank_report(file);
                    report.status = FileStatus::Failed(format!("{error:#}"));
                    report
                }
            };
            watch.review(&mut report.status);
            observer.reference_finished(&report);
            Some(report)
        },
    )
}

fn blank_report(file: &ReferenceFile) -> ReferenceReport {
    ReferenceReport {
        file: file.display_name.clone(),
        kind: file.kind,
        force_id: file.force.id,
        neighbourhood: file.neighbourhood.clone(),
        status: FileStatus::Failed(String::new()),
        records_read: 0,
        records_accepted: 0,
        records_rejected: 0,
        rejections: Vec::new(),
        elapsed: Duration::ZERO,
    }
}

fn import_file(conn: &mut PgConnection, file: &ReferenceFile, known: &Ledger) -> ReferenceReport {
    let started = Instant::now();
    let mut report = blank_report(file);
    report.status = match try_import_file(conn, file, known, &mut report) {
        Ok(status) => status,
        Err(error) => FileStatus::Failed(format!("{error:#}")),
    };
    report.elapsed = started.elapsed();
    report
}

/// The ledger key of a file: (kind, force, neighbourhood or "").
fn ledger_key(file: &ReferenceFile) -> (&'static str, &'static str, &str) {
    (file.kind.ledger_kind(), file.force.id, file.neighbourhood.as_deref().unwrap_or(""))
}

fn try_import_file(
    conn: &mut PgConnection,
    file: &ReferenceFile,
    known: &Ledger,
    report: &mut ReferenceReport,
) -> anyhow::Result<FileStatus> {
    let bytes = file.read()?;
    let checksum: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    let (kind, force, neighbourhood) = ledger_key(file);
    let key = (kind, force, neighbourhood.to_owned());
    if known.get(&key).map(String::as_str) == Some(checksum.as_str()) {
        return Ok(FileStatus::Unchanged);
    }
    let parsed = match parse(file, &bytes) {
        Ok(parsed) => parsed,
        Err(reason) => return Ok(FileStatus::Refused(reason)),
    };
    report.records_read = parsed.records_read;
    report.records_rejected = parsed.rejections.len() as u64;
    report.records_accepted = parsed.records_read - report.records_rejected;
    report.rejections = parsed.rejections.clone();
    conn.transaction(|conn| {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind::<Integer, _>(REFERENCE_LOCK_CLASS)
            .bind::<Text, _>(format!("{kind} {force} {neighbourhood}"))
            .execute(conn)?;
        // Checked under the lock: another import may have written it since the run began.
        let previous = current_checksum(conn, file)?;
        if previous.as_deref() == Some(checksum.as_str()) {
            return Ok(FileStatus::Unchanged);
        }
        let ledger = LedgerRow {
            file: &file.display_name,
            kind,
            force,
            neighbourhood,
            read: report.records_read as i64,
            accepted: report.records_accepted as i64,
            rejected: report.records_rejected as i64,
            checksum: &checksum,
            notification: format!(
                "{} {force} {}",
                file.kind,
                if neighbourhood.is_empty() { "-" } else { neighbourhood }
            ),
        };
        write(conn, &ledger, &parsed.payload)?;
        Ok::<_, anyhow::Error>(FileStatus::Imported { replaced: previous.is_some() })
    })
}

/// The current checksum of every ledger key, read once per run so that unchanged files cost
/// no query (the check is repeated under the lock before anything is written).
type Ledger = HashMap<(&'static str, &'static str, String), String>;

#[derive(QueryableByName)]
struct LedgerEntry {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    force_id: String,
    #[diesel(sql_type = Text)]
    neighbourhood_id: String,
    #[diesel(sql_type = Text)]
    checksum: String,
}

fn load_ledger(database_url: &str) -> anyhow::Result<Ledger> {
    let mut conn = crate::db::connect(database_url)?;
    let rows: Vec<LedgerEntry> = diesel::sql_query(
        "SELECT DISTINCT ON (kind, force_id, neighbourhood_id) \
                kind, force_id, neighbourhood_id, checksum \
         FROM reference_imports ORDER BY kind, force_id, neighbourhood_id, id DESC",
    )
    .load(&mut conn)?;
    const KINDS: [ReferenceKind; 8] = [
        ReferenceKind::Force,
        ReferenceKind::ForcePeople,
        ReferenceKind::NeighbourhoodList,
        ReferenceKind::Neighbourhood,
        ReferenceKind::NeighbourhoodPeople,
        ReferenceKind::NeighbourhoodEvents,
        ReferenceKind::NeighbourhoodPriorities,
        ReferenceKind::BoundaryKml,
    ];
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let kind = KINDS.iter().map(|k| k.ledger_kind()).find(|k| *k == row.kind)?;
            let force = FORCES.iter().find(|f| f.id == row.force_id)?.id;
            Some(((kind, force, row.neighbourhood_id), row.checksum))
        })
        .collect())
}

#[derive(QueryableByName)]
struct ChecksumRow {
    #[diesel(sql_type = Text)]
    checksum: String,
}

fn current_checksum(
    conn: &mut PgConnection,
    file: &ReferenceFile,
) -> anyhow::Result<Option<String>> {
    let (kind, force, neighbourhood) = ledger_key(file);
    let row: Option<ChecksumRow> = diesel::sql_query(
        "SELECT checksum FROM reference_imports \
         WHERE kind = $1 AND force_id = $2 AND neighbourhood_id = $3 ORDER BY id DESC LIMIT 1",
    )
    .bind::<Text, _>(kind)
    .bind::<Text, _>(force)
    .bind::<Text, _>(neighbourhood)
    .get_result(conn)
    .optional()?;
    Ok(row.map(|r| r.checksum))
}

/// What a file says, ready to write.
#[derive(Debug)]
enum Payload {
    Force(ForceDetail),
    ForcePeople(Vec<Person>),
    List(Vec<NeighbourhoodSummary>),
    Neighbourhood(Box<NeighbourhoodDetail>),
    /// A JSON column of the neighbourhood (`people`, `events`, `priorities`, `boundary`).
    Column(&'static str, String),
}

#[derive(Debug)]
struct Parsed {
    records_read: u64,
    rejections: Vec<Rejection>,
    payload: Payload,
}

/// Reads a file; `Err` is why it is refused whole.
fn parse(file: &ReferenceFile, bytes: &[u8]) -> Result<Parsed, String> {
    if file.kind == ReferenceKind::BoundaryKml {
        let kml = kml::parse_kml(bytes).map_err(|e| e.to_string())?;
        let boundary = serde_json::to_string(&kml.boundary).map_err(|e| e.to_string())?;
        return Ok(Parsed {
            records_read: kml.polygons_read,
            rejections: kml.rejections,
            payload: Payload::Column("boundary", boundary),
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let neighbourhood = file.neighbourhood.as_deref().unwrap_or_default();
    let one = |payload| Parsed { records_read: 1, rejections: Vec::new(), payload };
    match file.kind {
        ReferenceKind::Force => {
            let detail: ForceDetail = object(value, "a force")?;
            if detail.id != file.force.id {
                return Err(format!(
                    "the file describes force {:?}, but its name says {:?}",
                    detail.id, file.force.id
                ));
            }
            Ok(one(Payload::Force(detail)))
        }
        ReferenceKind::Neighbourhood => {
            let detail: NeighbourhoodDetail = object(value, "a neighbourhood")?;
            if detail.id != neighbourhood {
                return Err(format!(
                    "the file describes neighbourhood {:?}, but its name says {neighbourhood:?}",
                    detail.id
                ));
            }
            Ok(one(Payload::Neighbourhood(Box::new(detail))))
        }
        ReferenceKind::ForcePeople => {
            let (people, read, rejections) = records::<Person>(value, |_| Ok(()))?;
            Ok(Parsed { records_read: read, rejections, payload: Payload::ForcePeople(people) })
        }
        ReferenceKind::NeighbourhoodList => {
            let mut seen = HashSet::new();
            let (list, read, rejections) = records::<NeighbourhoodSummary>(value, |n| {
                if n.id.is_empty() {
                    Err("the id is empty".into())
                } else if !seen.insert(n.id.clone()) {
                    Err(format!("neighbourhood {:?} is listed twice", n.id))
                } else {
                    Ok(())
                }
            })?;
            Ok(Parsed { records_read: read, rejections, payload: Payload::List(list) })
        }
        ReferenceKind::NeighbourhoodPeople => column::<Person>(value, "people"),
        ReferenceKind::NeighbourhoodEvents => column::<NeighbourhoodEvent>(value, "events"),
        ReferenceKind::NeighbourhoodPriorities => {
            column::<NeighbourhoodPriority>(value, "priorities")
        }
        ReferenceKind::BoundaryJson => {
            let mut ring = Vec::new();
            let (_, read, rejections) = records::<BoundaryPoint>(value, |p| {
                let number = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
                match (number(&p.latitude), number(&p.longitude)) {
                    (Some(lat), Some(lng)) => {
                        ring.push([lat, lng]);
                        Ok(())
                    }
                    _ => Err(format!("{:?},{:?} is not a coordinate", p.latitude, p.longitude)),
                }
            })?;
            let boundary = Boundary::new(vec![vec![ring]])
                .map_err(|e| format!("the boundary is unusable: {e}"))?;
            let boundary = serde_json::to_string(&boundary).map_err(|e| e.to_string())?;
            Ok(Parsed {
                records_read: read,
                rejections,
                payload: Payload::Column("boundary", boundary),
            })
        }
        ReferenceKind::BoundaryKml => unreachable!("handled above"),
    }
}

fn object<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, String> {
    if !value.is_object() {
        return Err(format!("expected {what} (a JSON object), found {}", json_type(&value)));
    }
    serde_json::from_value(value).map_err(|e| format!("not {what} as police.uk gives it: {e}"))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The records of a JSON array: those that read as `T` and pass `check`, how many there
/// were, and the rejected ones.
fn records<T: DeserializeOwned>(
    value: Value,
    mut check: impl FnMut(&T) -> Result<(), String>,
) -> Result<(Vec<T>, u64, Vec<Rejection>), String> {
    let Value::Array(items) = value else {
        return Err(format!("expected a JSON array, found {}", json_type(&value)));
    };
    let read = items.len() as u64;
    let mut accepted = Vec::with_capacity(items.len());
    let mut rejections = Vec::new();
    for (k, item) in items.into_iter().enumerate() {
        let line = k as u64 + 1;
        match serde_json::from_value::<T>(item) {
            Ok(record) => match check(&record) {
                Ok(()) => accepted.push(record),
                Err(reason) => rejections.push(Rejection { line, reason }),
            },
            Err(e) => rejections.push(Rejection { line, reason: e.to_string() }),
        }
    }
    Ok((accepted, read, rejections))
}

fn column<T: DeserializeOwned + serde::Serialize>(
    value: Value,
    column: &'static str,
) -> Result<Parsed, String> {
    let (items, read, rejections) = records::<T>(value, |_| Ok(()))?;
    let json = serde_json::to_string(&items).map_err(|e| e.to_string())?;
    Ok(Parsed { records_read: read, rejections, payload: Payload::Column(column, json) })
}

fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string(value)?)
}

/// The ledger row of a file being written, and its notification.
struct LedgerRow<'a> {
    file: &'a str,
    kind: &'static str,
    force: &'static str,
    neighbourhood: &'a str,
    read: i64,
    accepted: i64,
    rejected: i64,
    checksum: &'a str,
    notification: String,
}

/// The ledger insert and the notification around the statement that writes the data, in one
/// round trip: `WITH ledger AS (INSERT …), applied AS (<write>) SELECT pg_notify(…)`. The
/// ledger takes `$1`–`$8` and the notification `$9`, `$10`; the write's parameters start at
/// `$11`.
fn ledger_statement(write: &str) -> String {
    let write = if write.is_empty() { String::new() } else { format!(", applied AS ({write})") };
    format!(
        "WITH ledger AS (INSERT INTO reference_imports (file, kind, force_id, neighbourhood_id, \
             rows_read, rows_accepted, rows_rejected, checksum) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id){write} \
         SELECT pg_notify($9, $10) FROM ledger"
    )
}

macro_rules! with_ledger {
    ($write:expr, $ledger:expr) => {
        diesel::sql_query(ledger_statement($write))
            .bind::<Text, _>($ledger.file)
            .bind::<Text, _>($ledger.kind)
            .bind::<Text, _>($ledger.force)
            .bind::<Text, _>($ledger.neighbourhood)
            .bind::<BigInt, _>($ledger.read)
            .bind::<BigInt, _>($ledger.accepted)
            .bind::<BigInt, _>($ledger.rejected)
            .bind::<Text, _>($ledger.checksum)
            .bind::<Text, _>(IMPORT_CHANNEL)
            .bind::<Text, _>(&$ledger.notification)
    };
}

/// Writes a file's ledger row, its payload and the notification (inside its transaction).
fn write(conn: &mut PgConnection, ledger: &LedgerRow<'_>, payload: &Payload) -> anyhow::Result<()> {
    let (force, neighbourhood) = (ledger.force, ledger.neighbourhood);
    match payload {
        Payload::Force(detail) => {
            with_ledger!(
                "UPDATE forces SET name = $12, description = $13, url = $14, telephone = $15, \
                 engagement_methods = $16::jsonb WHERE id = $11",
                ledger
            )
            .bind::<Text, _>(force)
            .bind::<Text, _>(&detail.name)
            .bind::<Nullable<Text>, _>(&detail.description)
            .bind::<Nullable<Text>, _>(&detail.url)
            .bind::<Nullable<Text>, _>(&detail.telephone)
            .bind::<Text, _>(json(&detail.engagement_methods)?)
            .execute(conn)?;
        }
        Payload::ForcePeople(people) => {
            with_ledger!("UPDATE forces SET people = $12::jsonb WHERE id = $11", ledger)
                .bind::<Text, _>(force)
                .bind::<Text, _>(json(people)?)
                .execute(conn)?;
        }
        Payload::List(list) => {
            // Two writes to the same rows: separate statements.
            with_ledger!("", ledger).execute(conn)?;
            diesel::sql_query("UPDATE neighbourhoods SET list_position = NULL WHERE force_id = $1")
                .bind::<Text, _>(force)
                .execute(conn)?;
            let ids: Vec<&str> = list.iter().map(|n| n.id.as_str()).collect();
            let names: Vec<&str> = list.iter().map(|n| n.name.as_str()).collect();
            diesel::sql_query(
                "INSERT INTO neighbourhoods (force_id, id, name, list_position) \
                 SELECT $1, id, name, ord - 1 \
                 FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS input(id, name, ord) \
                 ON CONFLICT (force_id, id) DO UPDATE \
                 SET name = excluded.name, list_position = excluded.list_position",
            )
            .bind::<Text, _>(force)
            .bind::<Array<Text>, _>(&ids)
            .bind::<Array<Text>, _>(&names)
            .execute(conn)?;
        }
        Payload::Neighbourhood(detail) => {
            let (latitude, longitude) = match &detail.centre {
                Some(centre) => (Some(centre.latitude.as_str()), Some(centre.longitude.as_str())),
                None => (None, None),
            };
            with_ledger!(
                "INSERT INTO neighbourhoods (force_id, id, name, description, url_force, \
                     welcome_message, population, contact_details, centre_latitude, \
                     centre_longitude, links, locations) \
                 VALUES ($11, $12, $13, $14, $15, $16, $17, $18::jsonb, $19, $20, $21::jsonb, \
                     $22::jsonb) \
                 ON CONFLICT (force_id, id) DO UPDATE SET name = excluded.name, \
                     description = excluded.description, url_force = excluded.url_force, \
                     welcome_message = excluded.welcome_message, population = excluded.population, \
                     contact_details = excluded.contact_details, \
                     centre_latitude = excluded.centre_latitude, \
                     centre_longitude = excluded.centre_longitude, links = excluded.links, \
                     locations = excluded.locations",
                ledger
            )
            .bind::<Text, _>(force)
            .bind::<Text, _>(neighbourhood)
            .bind::<Text, _>(&detail.name)
            .bind::<Nullable<Text>, _>(&detail.description)
            .bind::<Nullable<Text>, _>(&detail.url_force)
            .bind::<Nullable<Text>, _>(&detail.welcome_message)
            .bind::<Nullable<Text>, _>(&detail.population)
            .bind::<Text, _>(json(&detail.contact_details)?)
            .bind::<Nullable<Text>, _>(latitude)
            .bind::<Nullable<Text>, _>(longitude)
            .bind::<Text, _>(json(&detail.links)?)
            .bind::<Text, _>(json(&detail.locations)?)
            .execute(conn)?;
        }
        Payload::Column(column, value) => {
            // `column` is one of four fixed names, never input.
            let write = format!(
                "INSERT INTO neighbourhoods (force_id, id, name, {column}) \
                 VALUES ($11, $12, $12, $13::jsonb) \
                 ON CONFLICT (force_id, id) DO UPDATE SET {column} = excluded.{column}"
            );
            with_ledger!(&write, ledger)
                .bind::<Text, _>(force)
                .bind::<Text, _>(neighbourhood)
                .bind::<Text, _>(value)
                .execute(conn)?;
        }
    }
    Ok(())
}
