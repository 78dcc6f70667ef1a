//! What `/metrics` shows, in Prometheus' text exposition format (0.0.4), rendered from
//! memory only: requests counted by [`crate::access`] into [`RequestMetrics`] (atomics,
//! one slot per route template fixed when the server is built), the store as the snapshot
//! refresher last saw it ([`StoreMetrics`], in [`crate::state::AppState`]), and the snapshot
//! being served.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use police_store::ledger::LedgerTotals;

use crate::state::{unix_seconds, AppState};

/// Upper bounds of the latency histogram's buckets, in microseconds (0.5 ms to 10 s).
const LATENCY_BUCKETS_MICROS: [u64; 14] = [
    500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000,
    2_500_000, 5_000_000, 10_000_000,
];

/// Statuses counted one by one: 100 to 599.
const FIRST_STATUS: u16 = 100;
const STATUSES: usize = 500;

/// The label of requests no route matched (police.uk's bare 404 and the request-line 414).
pub const UNMATCHED_ROUTE: &str = "(unmatched)";
/// The label of requests matched by a route missing from the table (none is expected).
pub const OTHER_ROUTE: &str = "(other)";

/// Routes registered outside [`crate::routes::configure`] (so not in the OpenAPI document):
/// the docs page and the web front end, as `crate::server` and `crate::frontend` register them.
const UNDOCUMENTED_ROUTES: [&str; 6] =
    ["/", "/assets/{name}", "/dashboard", "/docs", "/docs/", "/docs/{asset}"];

/// One route template's counters.
struct RouteCounters {
    /// Answers by status, `status - 100`.
    statuses: Box<[AtomicU64]>,
    /// Answers by latency bucket (not cumulative: the last is beyond every bound).
    latency: [AtomicU64; LATENCY_BUCKETS_MICROS.len() + 1],
    latency_micros_sum: AtomicU64,
    bytes: AtomicU64,
}

impl RouteCounters {
    fn new() -> Self {
        RouteCounters {
            statuses: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            latency: std::array::from_fn(|_| AtomicU64::new(0)),
            latency_micros_sum: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }
}

/// Requests answered, per route template and status, their latency and the bytes sent:
/// counters only (relaxed atomics), so that counting costs a request a few adds.
pub struct RequestMetrics {
    /// Route templates, sorted; `routes[i]` is counted in `counters[i]`, then come
    /// [`OTHER_ROUTE`] and [`UNMATCHED_ROUTE`].
    routes: Vec<String>,
    counters: Box<[RouteCounters]>,
    /// This process's prefix of request ids.
    id_prefix: u32,
    next_id: AtomicU64,
    started: SystemTime,
}

/// Which slot of [`RequestMetrics`] a request is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteSlot(usize);

impl RequestMetrics {
    /// Counters for every route of [`crate::routes::configure`] (as the OpenAPI document lists
    /// them) and the server's other pages.
    pub fn for_server() -> Self {
        let document = crate::openapi::openapi_document();
        let routes = document.paths.paths.keys().map(String::as_str).chain(UNDOCUMENTED_ROUTES);
        Self::new(routes)
    }

    /// Counters for `routes` (actix match patterns, e.g. `/api/crimes-street/{category}`).
    pub fn new<'a>(routes: impl IntoIterator<Item = &'a str>) -> Self {
        let mut routes: Vec<String> = routes.into_iter().map(str::to_owned).collect();
        routes.sort();
        routes.dedup();
        routes.push(OTHER_ROUTE.to_owned());
        routes.push(UNMATCHED_ROUTE.to_owned());
        let counters = routes.iter().map(|_| RouteCounters::new()).collect();
        // Random per process (std's hasher keys are), so ids from replicas rarely collide.
        let id_prefix = {
            use std::hash::{BuildHasher, Hasher};
            std::collections::hash_map::RandomState::new().build_hasher().finish() as u32
        };
        RequestMetrics {
            routes,
            counters,
            id_prefix,
            next_id: AtomicU64::new(0),
            started: SystemTime::now(),
        }
    }

    /// The slot of a match pattern (`None`: no route matched).
    pub fn slot(&self, pattern: Option<&str>) -> RouteSlot {
        let known = self.routes.len() - 2;
        match pattern {
            None => RouteSlot(known + 1),
            Some(pattern) => RouteSlot(
                self.routes[..known]
                    .binary_search_by(|route| route.as_str().cmp(pattern))
                    .unwrap_or(known),
            ),
        }
    }

    /// The route template counted in `slot` (or [`OTHER_ROUTE`], [`UNMATCHED_ROUTE`]).
    pub fn route(&self, slot: RouteSlot) -> &str {
        &self.routes[slot.0]
    }

    /// A new request id: this process's prefix and a count, 16 hex digits or more.
    pub fn next_request_id(&self) -> String {
        let count = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("{:08x}{count:08x}", self.id_prefix)
    }

    /// Counts an answer of `slot` with `status`, `bytes` of body sent, after `duration`.
    pub fn record(&self, slot: RouteSlot, status: u16, bytes: u64, duration: Duration) {
        let counters = &self.counters[slot.0];
        if let Some(count) = usize::from(status)
            .checked_sub(usize::from(FIRST_STATUS))
            .and_then(|index| counters.statuses.get(index))
        {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS_MICROS
            .iter()
            .position(|&bound| micros <= bound)
            .unwrap_or(LATENCY_BUCKETS_MICROS.len());
        counters.latency[bucket].fetch_add(1, Ordering::Relaxed);
        counters.latency_micros_sum.fetch_add(micros, Ordering::Relaxed);
        counters.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// When the snapshot was last reloaded, and whether that worked.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Refresh {
    at: i64,
    succeeded: bool,
    seconds: f64,
}

/// The store as the snapshot refresher last saw it: its reloads and the import ledgers'
/// totals. Written a few times an hour at most, so behind mutexes.
#[derive(Debug, Default)]
pub struct StoreMetrics {
    reloads_succeeded: AtomicU64,
    reloads_failed: AtomicU64,
    /// Successful reloads by how the crime index was built: whole, updated, shared.
    builds: [AtomicU64; 3],
    last_reload: Mutex<Option<Refresh>>,
    ledger: Mutex<Option<LedgerTotals>>,
    syncs_succeeded: AtomicU64,
    syncs_failed: AtomicU64,
    last_sync: Mutex<Option<SyncRun>>,
    last_successful_sync: Mutex<Option<i64>>,
}

/// The last `serve --sync-every` run: when it ended, whether it worked, how long it took, and
/// what it did (zeros after a failure).
#[derive(Debug, Clone, Copy, PartialEq)]
struct SyncRun {
    at: i64,
    succeeded: bool,
    seconds: f64,
    imported: usize,
    unchanged: usize,
    problems: usize,
    months_removed: usize,
    downloaded: u64,
}

impl StoreMetrics {
    /// A reloaded snapshot's crime index was built as `build` says.
    pub fn record_build(&self, build: &police_store::snapshot::SnapshotBuild) {
        use police_store::snapshot::SnapshotBuild;
        let slot = match build {
            SnapshotBuild::Whole | SnapshotBuild::WholeBecause(_) => 0,
            SnapshotBuild::Updated { .. } => 1,
            SnapshotBuild::Shared => 2,
        };
        self.builds[slot].fetch_add(1, Ordering::Relaxed);
    }

    /// A snapshot reload that took `took` ended: `succeeded` or not.
    pub fn record_reload(&self, succeeded: bool, took: Duration) {
        let count = if succeeded { &self.reloads_succeeded } else { &self.reloads_failed };
        count.fetch_add(1, Ordering::Relaxed);
        let reload =
            Refresh { at: unix_seconds(SystemTime::now()), succeeded, seconds: took.as_secs_f64() };
        *self.last_reload.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(reload);
    }

    /// A background sync that took `took` ended: its report, or `Err` when it failed (and
    /// changed nothing).
    pub fn record_sync(&self, result: Result<&crate::sync::SyncReport, ()>, took: Duration) {
        let at = unix_seconds(SystemTime::now());
        let mut run = SyncRun {
            at,
            succeeded: result.is_ok(),
            seconds: took.as_secs_f64(),
            imported: 0,
            unchanged: 0,
            problems: 0,
            months_removed: 0,
            downloaded: 0,
        };
        if let Ok(report) = result {
            if let Some(summary) = &report.summary {
                run.imported = summary.imported();
                run.unchanged = summary.unchanged();
                run.problems = summary.problems();
            }
            run.months_removed = report.retention.as_ref().map_or(0, |r| r.months_removed.len());
            run.downloaded = report.downloaded;
            *self.last_successful_sync.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some(at);
        }
        let count = if run.succeeded { &self.syncs_succeeded } else { &self.syncs_failed };
        count.fetch_add(1, Ordering::Relaxed);
        *self.last_sync.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(run);
    }

    /// The import ledgers as just read.
    pub fn record_ledger(&self, totals: LedgerTotals) {
        *self.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(totals);
    }
}

/// Escapes a label value (backslash, double quote, line feed).
fn label(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Writes a metric's `# HELP` and `# TYPE` lines.
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A metric with one sample and no labels.
fn single(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    header(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

/// Resident memory of this process, in bytes (`VmRSS` of `/proc/self/status`), if known.
fn resident_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The exposition text: requests, the snapshot served, the store's reloads and ledgers, and
/// the process.
pub fn render(requests: &RequestMetrics, state: &AppState) -> String {
    let mut out = String::with_capacity(16 * 1024);
    render_requests(&mut out, requests);
    render_snapshot(&mut out, state);
    render_store(&mut out, state.store_metrics());
    if let Some(bytes) = resident_memory() {
        single(
            &mut out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            bytes,
        );
    }
    single(
        &mut out,
        "police_api_log_lines_dropped_total",
        "counter",
        "Log lines dropped because stderr was not read fast enough (the queue to it was full).",
        crate::logging::dropped_lines(),
    );
    single(
        &mut out,
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since unix epoch in seconds.",
        unix_seconds(requests.started),
    );
    out
}

fn render_requests(out: &mut String, requests: &RequestMetrics) {
    let used: Vec<(&str, &RouteCounters)> = requests
        .routes
        .iter()
        .zip(requests.counters.iter())
        .filter(|(_, counters)| counters.latency.iter().any(|n| n.load(Ordering::Relaxed) > 0))
        .map(|(route, counters)| (route.as_str(), counters))
        .collect();

    header(
        out,
        "police_api_http_requests_total",
        "counter",
        "Requests answered, by route template and status.",
    );
    for (route, counters) in &used {
        let route = label(route);
        for (index, count) in counters.statuses.iter().enumerate() {
            let count = count.load(Ordering::Relaxed);
            if count > 0 {
                let status = index + usize::from(FIRST_STATUS);
                let _ = writeln!(
                    out,
                    "police_api_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}"
                );
            }
        }
    }

    header(
        out,
        "police_api_http_request_duration_seconds",
        "histogram",
        "Time from a request's arrival to the last byte of its answer handed to the \
         connection, by route template.",
    );
    for (route, counters) in &used {
        let route = label(route);
        let mut cumulative = 0;
        for (index, count) in counters.latency.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let bound = match LATENCY_BUCKETS_MICROS.get(index) {
                Some(&micros) => (micros as f64 / 1e6).to_string(),
                None => "+Inf".to_owned(),
            };
            let _ = writeln!(
                out,
                "police_api_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let sum = counters.latency_micros_sum.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "police_api_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}\n\
             police_api_http_request_duration_seconds_count{{route=\"{route}\"}} {cumulative}"
        );
    }

    header(
        out,
        "police_api_http_response_bytes_total",
        "counter",
        "Bytes of answer bodies sent (after compression; headers and chunk framing not \
         counted), by route template.",
    );
    for (route, counters) in &used {
        let _ = writeln!(
            out,
            "police_api_http_response_bytes_total{{route=\"{}\"}} {}",
            label(route),
            counters.bytes.load(Ordering::Relaxed)
        );
    }
}

fn render_snapshot(out: &mut String, state: &AppState) {
    let served = state.current();
    header(
        out,
        "police_api_snapshot_info",
        "gauge",
        "The snapshot being served: its version (as in cursors and ETags) and newest month.",
    );
    let latest = served.latest_crime_month.map_or(String::new(), |month| month.to_string());
    let _ = writeln!(
        out,
        "police_api_snapshot_info{{version=\"{}\",latest_month=\"{latest}\"}} 1",
        label(&served.version)
    );
    let loaded = unix_seconds(served.served_since);
    single(
        out,
        "police_api_snapshot_loaded_timestamp_seconds",
        "gauge",
        "When this process started serving the snapshot (seconds since 1970).",
        loaded,
    );
    let age = SystemTime::now().duration_since(served.served_since).unwrap_or_default();
    single(
        out,
        "police_api_snapshot_age_seconds",
        "gauge",
        "Seconds since this process started serving the snapshot.",
        age.as_secs_f64(),
    );
    single(
        out,
        "police_api_snapshot_load_duration_seconds",
        "gauge",
        "How long loading the snapshot from the store took.",
        served.load_time.as_secs_f64(),
    );
    single(
        out,
        "police_api_snapshot_crimes",
        "gauge",
        "Street crimes in the snapshot.",
        served.index.crime_count(),
    );
    single(
        out,
        "police_api_snapshot_stops",
        "gauge",
        "Stop and search records in the snapshot.",
        served.stops.stop_count(),
    );
    single(
        out,
        "police_api_snapshot_months",
        "gauge",
        "Months with street crime or stop and search in the snapshot.",
        served.months.len(),
    );
}

fn render_store(out: &mut String, store: &StoreMetrics) {
    header(
        out,
        "police_api_snapshot_reloads_total",
        "counter",
        "Snapshot reloads after imports, by outcome.",
    );
    for (outcome, count) in
        [("success", &store.reloads_succeeded), ("failure", &store.reloads_failed)]
    {
        let _ = writeln!(
            out,
            "police_api_snapshot_reloads_total{{outcome=\"{outcome}\"}} {}",
            count.load(Ordering::Relaxed)
        );
    }
    header(
        out,
        "police_api_snapshot_builds_total",
        "counter",
        "Successful snapshot reloads by how the crime index was built: whole (every row read), \
         updated (only new months read, the others shared) or shared (no crime changed).",
    );
    for (build, count) in ["whole", "updated", "shared"].iter().zip(&store.builds) {
        let _ = writeln!(
            out,
            "police_api_snapshot_builds_total{{build=\"{build}\"}} {}",
            count.load(Ordering::Relaxed)
        );
    }
    let last_reload = *store.last_reload.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(reload) = last_reload {
        single(
            out,
            "police_api_snapshot_last_reload_timestamp_seconds",
            "gauge",
            "When the last snapshot reload ended (seconds since 1970).",
            reload.at,
        );
        single(
            out,
            "police_api_snapshot_last_reload_success",
            "gauge",
            "1 if the last snapshot reload succeeded, 0 if it failed (the previous snapshot \
             is still served).",
            u8::from(reload.succeeded),
        );
        single(
            out,
            "police_api_snapshot_last_reload_duration_seconds",
            "gauge",
            "How long the last snapshot reload took.",
            reload.seconds,
        );
    }
    render_sync(out, store);
    let ledger = store.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let Some(ledger) = ledger else { return };
    if let Some(at) = ledger.last_import {
        single(
            out,
            "police_api_store_last_import_timestamp_seconds",
            "gauge",
            "When the store's newest import committed (seconds since 1970), from its ledger.",
            at,
        );
    }
    let kinds = [
        ("police_api_store_files", "Files in the store, by kind (its import ledger).", 0),
        ("police_api_store_rows_imported", "Rows imported into the store, by kind.", 1),
        (
            "police_api_store_rows_rejected",
            "Rows of the store's files rejected at import (each listed with its line and \
             reason in import_rejections), by kind.",
            2,
        ),
    ];
    for (name, help, column) in kinds {
        header(out, name, "gauge", help);
        for kind in &ledger.kinds {
            let value = [kind.files, kind.rows_accepted, kind.rows_rejected][column];
            let _ = writeln!(out, "{name}{{kind=\"{}\"}} {value}", label(&kind.kind));
        }
    }
}

/// The background sync's metrics, once it has run (`serve --sync-every`).
fn render_sync(out: &mut String, store: &StoreMetrics) {
    let last = *store.last_sync.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(last) = last else { return };
    header(
        out,
        "police_api_sync_runs_total",
        "counter",
        "Background syncs (serve --sync-every), by outcome; a failed one changed nothing.",
    );
    for (outcome, count) in [("success", &store.syncs_succeeded), ("failure", &store.syncs_failed)]
    {
        let _ = writeln!(
            out,
            "police_api_sync_runs_total{{outcome=\"{outcome}\"}} {}",
            count.load(Ordering::Relaxed)
        );
    }
    single(
        out,
        "police_api_sync_last_run_timestamp_seconds",
        "gauge",
        "When the last background sync ended (seconds since 1970).",
        last.at,
    );
    single(
        out,
        "police_api_sync_last_success",
        "gauge",
        "1 if the last background sync succeeded, 0 if it failed.",
        u8::from(last.succeeded),
    );
    single(
        out,
        "police_api_sync_last_duration_seconds",
        "gauge",
        "How long the last background sync took.",
        last.seconds,
    );
    let last_success =
        *store.last_successful_sync.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(at) = last_success {
        single(
            out,
            "police_api_sync_last_success_timestamp_seconds",
            "gauge",
            "When the last successful background sync ended (seconds since 1970).",
            at,
        );
    }
    header(
        out,
        "police_api_sync_last_files",
        "gauge",
        "Monthly files of the last background sync's archive, by what the import did with \
         them (problem: refused or failed).",
    );
    for (status, files) in
        [("imported", last.imported), ("unchanged", last.unchanged), ("problem", last.problems)]
    {
        let _ = writeln!(out, "police_api_sync_last_files{{status=\"{status}\"}} {files}");
    }
    single(
        out,
        "police_api_sync_last_months_removed",
        "gauge",
        "Months the last background sync's retention window removed.",
        last.months_removed,
    );
    single(
        out,
        "police_api_sync_last_downloaded_bytes",
        "gauge",
        "Bytes the last background sync downloaded.",
        last.downloaded,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_found_by_pattern_and_the_rest_go_to_two_slots() {
        let metrics = RequestMetrics::new(["/b/{x}", "/a", "/c"]);
        for route in ["/a", "/b/{x}", "/c"] {
            assert_eq!(metrics.route(metrics.slot(Some(route))), route);
        }
        assert_eq!(metrics.route(metrics.slot(Some("/d"))), OTHER_ROUTE);
        assert_eq!(metrics.route(metrics.slot(None)), UNMATCHED_ROUTE);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn request_ids_are_distinct_and_share_a_prefix() {
        let metrics = RequestMetrics::new([]);
        let (first, second) = (metrics.next_request_id(), metrics.next_request_id());
        assert_ne!(first, second);
        assert_eq!(first.len(), 16);
        assert_eq!(first[..8], second[..8]);
    }
}
