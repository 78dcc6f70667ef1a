//! Import progress: a progress bar on a terminal, plain log lines otherwise, and the
//! closing summary.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use police_store::import::{
    ArchiveFile, FileReport, FileStatus, ImportObserver, ImportSummary, ReferenceReport,
    SkippedFile,
};

/// How many rejected rows of a file are printed; all of them are kept in the store
/// (`import_rejections`).
const REJECTIONS_SHOWN: usize = 10;

/// Reports an import on stderr.
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Monthly files started, finished (whatever the outcome), and committed as imported.
    started: AtomicUsize,
    finished: AtomicUsize,
    committed: AtomicUsize,
    /// Set by [`Progress::interrupted`]: nothing more is printed.
    silenced: AtomicBool,
}

impl Progress {
    /// A progress bar when stderr is a terminal, plain lines otherwise.
    pub fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} files {wide_msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        Progress {
            bar,
            started: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            committed: AtomicUsize::new(0),
            silenced: AtomicBool::new(false),
        }
    }

    /// Clears the bar and says what an interrupted import leaves: the files committed stay,
    /// the ones in progress are rolled back (their transactions never commit), and a rerun
    /// continues (committed files are then unchanged).
    pub fn interrupted(&self) {
        if self.silenced.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{}", interrupted_text(self.committed(), self.in_progress()));
    }

    /// Monthly files imported (committed) so far.
    pub fn committed(&self) -> usize {
        self.committed.load(Ordering::SeqCst)
    }

    /// Monthly files being imported now.
    pub fn in_progress(&self) -> usize {
        self.started.load(Ordering::SeqCst).saturating_sub(self.finished.load(Ordering::SeqCst))
    }

    fn line(&self, text: String) {
        if self.silenced.load(Ordering::SeqCst) {
            return;
        }
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl ImportObserver for Progress {
    fn reference_finished(&self, report: &ReferenceReport) {
        self.reference_line(report);
    }

    fn discovered(&self, files: &[ArchiveFile], skipped: &[SkippedFile]) {
        for skip in skipped.iter().filter(|s| s.refused) {
            self.line(format!("refused: {}: {}", skip.display_name, skip.reason));
        }
        // Other files (boundaries, notes, saved responses) are summarised per reason.
        let mut by_reason: Vec<(&str, Vec<&str>)> = Vec::new();
        for skip in skipped.iter().filter(|s| !s.refused) {
            match by_reason.iter_mut().find(|(reason, _)| *reason == skip.reason) {
                Some((_, names)) => names.push(&skip.display_name),
                None => by_reason.push((&skip.reason, vec![&skip.display_name])),
            }
        }
        for (reason, names) in by_reason {
            let more = match names.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            self.line(format!("skipped ({reason}): {}{more}", names[0]));
        }
        match &self.bar {
            Some(bar) => bar.set_length(files.len() as u64),
            None => eprintln!("found {} monthly files", files.len()),
        }
    }

    fn file_started(&self, file: &ArchiveFile, _position: usize, _total: usize) {
        self.started.fetch_add(1, Ordering::SeqCst);
        if let Some(bar) = &self.bar {
            bar.set_message(file.display_name.clone());
        }
    }

    fn file_finished(&self, report: &FileReport) {
        if matches!(report.status, FileStatus::Imported { .. }) {
            self.committed.fetch_add(1, Ordering::SeqCst);
        }
        self.finished.fetch_add(1, Ordering::SeqCst);
        let counts = format!(
            "{} rows read, {} accepted, {} rejected",
            report.rows_read, report.rows_accepted, report.rows_rejected
        );
        let text = match &report.status {
            FileStatus::Imported { replaced: false } => {
                format!("imported {}: {counts} in {:.2?}", report.file, report.elapsed)
            }
            FileStatus::Imported { replaced: true } => format!(
                "imported {} (replacing the earlier version): {counts} in {:.2?}",
                report.file, report.elapsed
            ),
            FileStatus::Unchanged => format!("unchanged {}: already imported", report.file),
            FileStatus::Refused(why) => format!("refused {}: {why}", report.file),
            FileStatus::Failed(why) => {
                format!("FAILED {}: {why} (rolled back, the store is unchanged)", report.file)
            }
        };
        let mut lines = vec![text];
        if matches!(report.status, FileStatus::Imported { .. }) {
            for rejection in report.rejections.iter().take(REJECTIONS_SHOWN) {
                lines.push(format!(
                    "  rejected {} line {}: {}",
                    report.file, rejection.line, rejection.reason
                ));
            }
            if report.rejections.len() > REJECTIONS_SHOWN {
                lines.push(format!(
                    "  … and {} more rejected rows (all listed in the import_rejections table)",
                    report.rejections.len() - REJECTIONS_SHOWN
                ));
            }
        }
        let show = self.bar.is_none() || !matches!(report.status, FileStatus::Unchanged);
        if show {
            for line in lines {
                self.line(line);
            }
        }
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

impl Progress {
    /// Force and neighbourhood files are many and small: only problems and rejected records
    /// get a line of their own; the closing summary counts the rest.
    fn reference_line(&self, report: &ReferenceReport) {
        let text = match &report.status {
            FileStatus::Refused(why) => format!("refused {}: {why}", report.file),
            FileStatus::Failed(why) => {
                format!("FAILED {}: {why} (rolled back, the store is unchanged)", report.file)
            }
            _ => {
                for rejection in report.rejections.iter().take(REJECTIONS_SHOWN) {
                    self.line(format!(
                        "  rejected {} record {}: {}",
                        report.file, rejection.line, rejection.reason
                    ));
                }
                return;
            }
        };
        self.line(text);
    }

    /// Clears the bar and prints the closing summary.
    pub fn finish(&self, summary: &ImportSummary) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        eprintln!("{}", summary_text(summary));
    }
}

/// What an import stopped by a signal says.
pub fn interrupted_text(committed: usize, in_progress: usize) -> String {
    let files = |n: usize| if n == 1 { "1 file".to_owned() } else { format!("{n} files") };
    let rolled_back = match in_progress {
        0 => String::new(),
        n => format!("; the {} in progress rolled back", files(n)),
    };
    format!(
        "interrupted: {} committed{rolled_back}. Rerun the same command to continue: the files \
         already committed are skipped as unchanged.",
        files(committed)
    )
}

/// The closing summary of an import run.
pub fn summary_text(summary: &ImportSummary) -> String {
    let reference_problems =
        summary.reference_count(|s| matches!(s, FileStatus::Refused(_) | FileStatus::Failed(_)));
    // Monthly files here; force and neighbourhood files in their own clause.
    let problems = summary.problems() - reference_problems;
    let reference = if summary.reference.is_empty() {
        String::new()
    } else {
        let records: u64 = summary.reference.iter().map(|r| r.records_read).sum();
        let rejected: u64 = summary.reference.iter().map(|r| r.records_rejected).sum();
        format!(
            "; {} force and neighbourhood files ({} imported, {} unchanged, {} refused or \
             failed; {records} records read, {rejected} rejected)",
            summary.reference.len(),
            summary.reference_count(|s| matches!(s, FileStatus::Imported { .. })),
            summary.reference_count(|s| *s == FileStatus::Unchanged),
            reference_problems,
        )
    };
    let stopped = match summary.not_started {
        0 => String::new(),
        n => format!("; stopped at a full disk, {n} files not started"),
    };
    format!(
        "import finished: {} files ({} imported, {} unchanged, {} refused or failed); \
         {} rows read = {} accepted + {} rejected{reference}{stopped}; {:.1} s, {:.0} rows/s",
        summary.files.len() + summary.skipped.iter().filter(|s| s.refused).count(),
        summary.imported(),
        summary.unchanged(),
        problems,
        summary.rows_read(),
        summary.rows_accepted(),
        summary.rows_rejected(),
        summary.elapsed.as_secs_f64(),
        summary.rows_per_second(),
    )
}
