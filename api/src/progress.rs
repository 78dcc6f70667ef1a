//! Import progress: a progress bar on a terminal, plain log lines otherwise, and the
//! closing summary.

use std::io::IsTerminal;

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
        Progress { bar }
    }

    fn line(&self, text: String) {
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
        if let Some(bar) = &self.bar {
            bar.set_message(file.display_name.clone());
        }
    }

    fn file_finished(&self, report: &FileReport) {
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
