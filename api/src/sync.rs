//! Keeping the store current from police.uk's archive: `police-api sync` (a command, for
//! cron or a systemd timer) and `serve --sync-every` (a thread of the serving process).
//!
//! One sync: fetch and verify the archive (`police_store::sync`: download with resume, size
//! and zip checks), import it through the ordinary import (the ledger leaves files it already
//! holds alone, so only new or changed months are written), then apply the retention window
//! (`police_store::retention`). A failure at any step changes nothing it has not committed:
//! a damaged archive imports nothing, a file that fails rolls back alone, and the retention
//! window is applied only after an import without problems. Running servers see the result
//! through the import notifications they listen for.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use police_store::import::{import_paths, ImportOptions, ImportSummary, Silent};
use police_store::retention::{keep_newest_months, RetentionReport};
use police_store::sync::{fetch, Source};

use crate::state::AppState;

/// police.uk's API keeps the newest 36 months: `sync`'s default retention window.
pub const DEFAULT_KEEP_MONTHS: u32 = 36;

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The archive: a URL or a local zip or folder.
    pub source: Source,
    /// Where downloads (and their `.part` files) go: `<data dir>/downloads`.
    pub downloads: PathBuf,
    /// The import's options; `keep_months` is the retention window (0: keep everything).
    pub import: ImportOptions,
}

/// What one sync did.
#[derive(Debug)]
pub struct SyncReport {
    /// The archive's size, bytes received now and earlier (resumed), zip members verified.
    pub bytes: u64,
    pub downloaded: u64,
    pub resumed_from: u64,
    pub members: usize,
    /// The server answered that the archive has not changed since the last sync.
    pub not_modified: bool,
    /// The import; `None` when not modified (or before the import).
    pub summary: Option<ImportSummary>,
    /// The retention window applied; `None` with `keep_months` 0 or after import problems.
    pub retention: Option<RetentionReport>,
}

impl SyncReport {
    /// Files refused or failed (the import's problems).
    pub fn problems(&self) -> usize {
        self.summary.as_ref().map_or(0, ImportSummary::problems)
    }

    /// One line on the archive: where it came from and what was checked.
    pub fn archive_text(&self, source: &Source) -> String {
        if self.not_modified {
            return format!(
                "sync: {source} has not changed since the last sync: nothing to import"
            );
        }
        let resumed = match self.resumed_from {
            0 => String::new(),
            bytes => format!(", resuming an interrupted download at byte {bytes}"),
        };
        match (self.members, self.downloaded + self.resumed_from) {
            (0, _) => format!("sync: importing the folder {source}"),
            (members, 0) => {
                format!("sync: {source}: {} bytes, a sound zip of {members} members", self.bytes)
            }
            (members, _) => format!(
                "sync: downloaded {source} ({} bytes{resumed}): a sound zip of {members} members",
                self.bytes
            ),
        }
    }

    /// One line on the retention window, if one was applied.
    pub fn retention_text(&self, keep_months: u32) -> Option<String> {
        retention_text(self.retention.as_ref()?, keep_months)
    }
}

/// One line on what a retention window of `keep_months` removed (`None` for an empty store).
pub fn retention_text(retention: &RetentionReport, keep_months: u32) -> Option<String> {
    let first = retention.first_kept?;
    Some(match (retention.months_removed.first(), retention.months_removed.last()) {
        (Some(oldest), Some(newest)) => format!(
            "retention: keeping the newest {keep_months} months (from {first}): removed \
             {oldest}..{newest} ({} months, {} files, {} rows) in one transaction",
            retention.months_removed.len(),
            retention.files_removed,
            retention.rows_deleted
        ),
        _ => format!(
            "retention: keeping the newest {keep_months} months (from {first}): nothing older \
             to remove"
        ),
    })
}

/// Runs one sync against the store at `database_url`. `import` imports the archive, told what
/// was fetched (the command prints that and wraps the import in its progress bars);
/// `progress` follows the download.
pub fn run(
    database_url: &str,
    options: &SyncOptions,
    progress: &dyn Fn(u64, Option<u64>),
    import: impl FnOnce(&Path, &SyncReport) -> anyhow::Result<ImportSummary>,
) -> anyhow::Result<SyncReport> {
    let fetched = fetch(&options.source, &options.downloads, progress)?;
    let mut report = SyncReport {
        bytes: fetched.bytes,
        downloaded: fetched.downloaded,
        resumed_from: fetched.resumed_from,
        members: fetched.members,
        not_modified: fetched.archive.is_none(),
        summary: None,
        retention: None,
    };
    let Some(archive) = fetched.archive.clone() else { return Ok(report) };
    let summary = match import(&archive, &report) {
        Ok(summary) => summary,
        Err(error) => {
            fetched.finish(false)?;
            return Err(error);
        }
    };
    if summary.files.is_empty() && summary.reference.is_empty() {
        fetched.finish(false)?;
        anyhow::bail!(
            "{} holds no police.uk files (YYYY-MM/YYYY-MM-<force>-street.csv, …): nothing imported",
            options.source
        );
    }
    let clean = summary.problems() == 0 && summary.not_started == 0;
    if clean && options.import.keep_months > 0 {
        let mut conn = police_store::db::connect(database_url)?;
        report.retention = Some(keep_newest_months(&mut conn, options.import.keep_months)?);
    }
    fetched.finish(clean)?;
    report.summary = Some(summary);
    Ok(report)
}

/// A byte progress bar for the download on a terminal (nothing otherwise); cleared by
/// [`DownloadBar::done`].
pub struct DownloadBar {
    bar: Option<indicatif::ProgressBar>,
}

impl DownloadBar {
    /// A bar when stderr is a terminal.
    pub fn new() -> Self {
        use std::io::IsTerminal;
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(0);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40} {bytes}/{total_bytes} {bytes_per_sec} downloading",
            ) {
                bar.set_style(style);
            }
            bar
        });
        DownloadBar { bar }
    }

    /// `done` bytes on disk of `total`.
    pub fn update(&self, done: u64, total: Option<u64>) {
        if let Some(bar) = &self.bar {
            if let Some(total) = total {
                bar.set_length(total);
            }
            bar.set_position(done);
        }
    }

    /// Clears the bar.
    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Default for DownloadBar {
    fn default() -> Self {
        Self::new()
    }
}

/// Parses `--sync-every`: a whole number and a unit, `s`, `m`, `h` or `d` (`30s`, `24h`);
/// a bare number is seconds. At least one second.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds_per = match unit.trim() {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("expected a duration like 30s, 15m, 24h or 7d, got {text:?}")),
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n.saturating_mul(seconds_per))),
        _ => Err(format!("expected a duration of at least 1s like 30s, 24h or 7d, got {text:?}")),
    }
}

/// `serve --sync-every`: a thread that syncs at start and then every interval, logging each
/// run and counting it in `/metrics`; stops when dropped (a sync in progress is abandoned:
/// its file in flight rolls back).
pub struct Syncer {
    stop: Arc<AtomicBool>,
    busy: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How often the sleeping thread checks for a stop.
const POLL: Duration = Duration::from_millis(200);

impl Syncer {
    /// Starts syncing `options` into `database_url` every `every`, recording into `state`.
    pub fn start(
        every: Duration,
        options: SyncOptions,
        database_url: String,
        state: Arc<AppState>,
    ) -> anyhow::Result<Syncer> {
        let stop = Arc::new(AtomicBool::new(false));
        let busy = Arc::new(AtomicBool::new(false));
        tracing::info!(
            source = %options.source,
            keep_months = options.import.keep_months,
            "syncing every {} s from {}",
            every.as_secs(),
            options.source
        );
        let thread = {
            let (stop, busy) = (Arc::clone(&stop), Arc::clone(&busy));
            std::thread::Builder::new().name("sync".into()).spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    busy.store(true, Ordering::SeqCst);
                    sync_once(&database_url, &options, &state);
                    busy.store(false, Ordering::SeqCst);
                    let until = Instant::now() + every;
                    while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(POLL.min(until - Instant::now()));
                    }
                }
            })?
        };
        Ok(Syncer { stop, busy, thread: Some(thread) })
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if self.busy.load(Ordering::SeqCst) {
            tracing::warn!("stopping during a sync: its files in progress roll back");
            return;
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One background sync: logged, and recorded for `/metrics`.
fn sync_once(database_url: &str, options: &SyncOptions, state: &AppState) {
    let started = Instant::now();
    let result = run(database_url, options, &|_, _| {}, |archive, fetched| {
        tracing::info!("{}", fetched.archive_text(&options.source));
        import_paths(database_url, &[archive.to_path_buf()], &options.import, &Silent)
    });
    let took = started.elapsed();
    match &result {
        Ok(report) => {
            if report.not_modified {
                tracing::info!("{}", report.archive_text(&options.source));
            }
            if let Some(summary) = &report.summary {
                let text = crate::progress::summary_text(summary);
                if report.problems() > 0 {
                    tracing::warn!("sync: {text}; the problem files are left as they were");
                } else {
                    tracing::info!("sync: {text}");
                }
            }
            if let Some(text) = report.retention_text(options.import.keep_months) {
                tracing::info!("{text}");
            }
        }
        Err(error) => tracing::error!(
            "sync from {} failed, the store is as it was: {error:#}",
            options.source
        ),
    }
    state.store_metrics().record_sync(result.as_ref().map_err(|_| ()), took);
}

#[cfg(test)]
mod tests {
    use super::parse_interval;
    use std::time::Duration;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_interval("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_interval("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_interval("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_interval("7d"), Ok(Duration::from_secs(604_800)));
        for bad in ["", "0s", "h", "1.5h", "-1s", "10 parsecs", "1w"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
    }
}
