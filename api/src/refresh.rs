//! Keeping a running server's snapshot current: `LISTEN police_api_import`, and after an
//! import commits (the importer sends `NOTIFY`), build a new snapshot off the request path
//! and swap it in. Requests in flight keep the snapshot they started with.
//!
//! With a read replica (`--snapshot-database-url`), the notifications still come from the
//! primary (a standby cannot `LISTEN`), and snapshots are loaded from the replica once it has
//! replayed what the primary had written when they arrived.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use police_store::db::ImportListener;
use police_store::snapshot::{Snapshot, SnapshotBuild};

use crate::state::AppState;

/// How often the listening connection is polled.
const POLL: Duration = Duration::from_millis(200);
/// An import sends one notification per file; rebuild once they pause for this long.
const QUIET: Duration = Duration::from_millis(500);
/// Wait before reconnecting after the database went away.
const RECONNECT: Duration = Duration::from_secs(2);
/// How long a read replica may lag behind an import before the snapshot is loaded anyway
/// (and the next notification loads it again).
const REPLAY_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the refresher listens and where it loads snapshots from.
#[derive(Debug, Clone)]
struct Urls {
    /// The primary: `LISTEN` and the import ledger.
    database: String,
    /// Snapshots: the primary, or a read replica of it.
    snapshot: String,
}

/// The listener thread; stops when dropped.
pub struct Refresher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Refresher {
    /// Refreshes `state` whenever `listener` hears of an import. Connect the listener
    /// before loading the first snapshot, so that no import falls between the two.
    pub fn start(
        listener: ImportListener,
        database_url: String,
        state: Arc<AppState>,
    ) -> Refresher {
        Refresher::start_reading_from(listener, database_url.clone(), database_url, state)
    }

    /// As [`Refresher::start`], loading the snapshots from `snapshot_url` (a read replica of
    /// `database_url`, on which `listener` listens) once it has replayed each import.
    pub fn start_reading_from(
        listener: ImportListener,
        database_url: String,
        snapshot_url: String,
        state: Arc<AppState>,
    ) -> Refresher {
        let urls = Urls { database: database_url, snapshot: snapshot_url };
        let stop = Arc::new(AtomicBool::new(false));
        state.database().watch();
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("snapshot-refresh".into())
                .spawn(move || listen(listener, &urls, &state, &stop))
                .expect("spawning a thread")
        };
        Refresher { stop, thread: Some(thread) }
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads the import ledgers' totals into the store's metrics; a failure is logged and the
/// totals last read stay.
fn read_ledger(database_url: &str, state: &AppState) {
    let totals = police_store::db::connect(database_url)
        .and_then(|mut conn| police_store::ledger::totals(&mut conn));
    match totals {
        Ok(totals) => state.store_metrics().record_ledger(totals),
        Err(error) => tracing::warn!("could not read the import ledger for /metrics: {error:#}"),
    }
}

fn listen(listener: ImportListener, urls: &Urls, state: &AppState, stop: &AtomicBool) {
    let database_url = urls.database.as_str();
    read_ledger(database_url, state);
    let mut listener = Some(listener);
    while !stop.load(Ordering::Relaxed) {
        let result = match listener.take() {
            Some(listener) => listen_on(listener, false, urls, state, stop),
            None => match ImportListener::connect(database_url) {
                Ok(listener) => {
                    // Said once when the database is back, not at every retry.
                    if state.database().reachable() {
                        tracing::info!(
                            "snapshot refresh: the database is back; reloading the snapshot"
                        );
                    }
                    // Imports may have committed while nobody listened, so reload.
                    listen_on(listener, true, urls, state, stop)
                }
                Err(error) => Err(error),
            },
        };
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Err(error) = result {
            // Said once when the database goes away, not at every retry.
            if state.database().lost(format!("{error:#}")) {
                tracing::warn!(
                    "snapshot refresh: lost the database ({error:#}); answering from the snapshot \
                     in memory and reconnecting every {} s",
                    RECONNECT.as_secs()
                );
            }
            let until = std::time::Instant::now() + RECONNECT;
            while std::time::Instant::now() < until && !stop.load(Ordering::Relaxed) {
                std::thread::sleep(POLL);
            }
        }
    }
}

fn listen_on(
    mut listener: ImportListener,
    mut pending: bool,
    urls: &Urls,
    state: &AppState,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    while !stop.load(Ordering::Relaxed) {
        if !listener.received()?.is_empty() {
            pending = true;
            std::thread::sleep(QUIET);
            continue;
        }
        if pending {
            let started = std::time::Instant::now();
            if urls.snapshot != urls.database
                && !police_store::db::wait_for_replay(
                    &urls.database,
                    &urls.snapshot,
                    REPLAY_TIMEOUT,
                )?
            {
                tracing::warn!(
                    "snapshot refresh: the read replica has not replayed the import after {} s; \
                     loading what it holds",
                    REPLAY_TIMEOUT.as_secs()
                );
            }
            let previous = state.current();
            let loaded = Snapshot::load_after(&urls.snapshot, Some(&previous));
            drop(previous);
            state.store_metrics().record_reload(loaded.is_ok(), started.elapsed());
            let snapshot = loaded?;
            tracing::info!(
                version = %snapshot.version,
                build = %describe_build(&snapshot.build),
                "snapshot refreshed in {:.2} s: {} crimes, latest month {}",
                snapshot.load_time.as_secs_f64(),
                snapshot.index.crime_count(),
                snapshot.latest_crime_month.map_or("none".into(), |m| m.to_string())
            );
            state.store_metrics().record_build(&snapshot.build);
            state.replace(snapshot);
            read_ledger(&urls.database, state);
            pending = false;
        }
        std::thread::sleep(POLL);
    }
    Ok(())
}

/// How a refreshed snapshot's crime index was built, for the log.
fn describe_build(build: &SnapshotBuild) -> String {
    let months = |months: &[police_index::Month]| {
        months.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
    };
    match build {
        SnapshotBuild::Whole => "whole".into(),
        SnapshotBuild::Shared => "shared (no crime, outcome or snap point changed)".into(),
        SnapshotBuild::Updated { added, removed } => {
            format!("updated: added [{}], removed [{}]", months(added), months(removed))
        }
        SnapshotBuild::WholeBecause(reason) => format!("whole, because {reason}"),
    }
}
