//! Stopping an import when the store's disk is full.
//!
//! PostgreSQL reports a full disk in several ways: an error whose message says so (`could
//! not extend file …: No space left on device`, SQLSTATE 53100), or, when writing its WAL
//! fails, a PANIC that restarts the server and drops every connection, so that the other
//! workers only see "server closed the connection unexpectedly". [`DiskWatch`] recognises
//! both: the first file that fails that way carries the one message the user sees ("no space
//! left on device (data dir …)", or for `DATABASE_URL`, whose disk we cannot see, "the
//! database server ran out of disk space"); from then on no file is started, files in flight
//! roll back, and their reports say only that the import stopped.
//!
//! A lost connection counts as a full disk when the evidence says so: for the embedded
//! cluster, its log since the import started names `No space left on device`, or its data
//! dir has almost no space left (`statvfs`); for `DATABASE_URL`, another worker has just
//! seen an explicit disk-full error (waited for briefly, as that worker may still be
//! reporting it).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::embedded::EmbeddedPostgres;

use super::types::FileStatus;

/// The status of a file in flight when the import stopped (the first failure carries why).
pub const STOPPED_IN_FLIGHT: &str = "the import stopped (see the first failure above)";

/// Error messages (or parts of them) by which PostgreSQL, or the operating system through
/// it, says the disk is full. Compared in lower case.
const DISK_FULL_SIGNS: [&str; 5] = [
    "no space left on device",
    "could not extend file",
    "could not write",
    "disk full",
    "quota exceeded",
];

/// Messages of a connection lost, or of a server that crashed or is recovering.
const CONNECTION_LOST_SIGNS: [&str; 9] = [
    "server closed the connection unexpectedly",
    "terminating connection because of crash of another server process",
    "no connection to the server",
    "could not receive data from server",
    "could not send data to server",
    "the database system is in recovery mode",
    "the database system is starting up",
    "the database system is shutting down",
    "connection to server",
];

/// Less free space than this in the embedded cluster's data dir, with the connection lost,
/// is a full disk: PostgreSQL needs 16 MiB to start a new WAL segment.
const NEARLY_FULL_BYTES: u64 = 32 << 20;

/// How long a worker whose connection to `DATABASE_URL` was lost waits for another worker to
/// report the disk-full error that may have caused it.
const EXTERNAL_WAIT: Duration = Duration::from_secs(2);

/// Watches an import's failures for a full disk, and stops the import at the first.
#[derive(Debug)]
pub(crate) struct DiskWatch {
    /// The embedded cluster's data dir; None for `DATABASE_URL`.
    data_dir: Option<PathBuf>,
    /// The server log's length when the import started: only what follows is evidence.
    log_start: u64,
    stopped: AtomicBool,
}

impl DiskWatch {
    /// A watch for an import into the embedded cluster under `data_dir`, or (None) into a
    /// server whose disk this machine cannot see.
    pub(crate) fn new(data_dir: Option<&Path>) -> Self {
        let log_start = data_dir
            .and_then(|dir| std::fs::metadata(EmbeddedPostgres::log_file_in(dir)).ok())
            .map_or(0, |meta| meta.len());
        DiskWatch {
            data_dir: data_dir.map(Path::to_path_buf),
            log_start,
            stopped: AtomicBool::new(false),
        }
    }

    /// True once the import has stopped: no further file is to be started, and a file in
    /// flight is to roll back rather than commit.
    pub(crate) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Looks at a finished file's status: a failure caused by a full disk stops the import.
    /// The first such failure's status becomes the disk-full message; any failure after the
    /// stop becomes [`STOPPED_IN_FLIGHT`], so the message is said once.
    pub(crate) fn review(&self, status: &mut FileStatus) {
        let FileStatus::Failed(why) = status else {
            return;
        };
        if self.stopped() {
            *status = FileStatus::Failed(STOPPED_IN_FLIGHT.to_owned());
            return;
        }
        let lower = why.to_lowercase();
        let disk_full = if DISK_FULL_SIGNS.iter().any(|sign| lower.contains(sign)) {
            true
        } else if CONNECTION_LOST_SIGNS.iter().any(|sign| lower.contains(sign)) {
            match &self.data_dir {
                Some(dir) => self.log_says_disk_full(dir) || nearly_full(dir),
                None => {
                    if self.wait_for_stop(EXTERNAL_WAIT) {
                        *status = FileStatus::Failed(STOPPED_IN_FLIGHT.to_owned());
                        return;
                    }
                    false
                }
            }
        } else {
            false
        };
        if !disk_full {
            return;
        }
        // The first to stop the import says why; the others were in flight.
        *status = if self.stopped.swap(true, Ordering::SeqCst) {
            FileStatus::Failed(STOPPED_IN_FLIGHT.to_owned())
        } else {
            FileStatus::Failed(self.message(why))
        };
    }

    /// What the user is told, once.
    fn message(&self, postgresql_said: &str) -> String {
        const AFTER: &str = "the import stopped here; free some space, then run the same \
                             import again (files already imported stay and are skipped)";
        match &self.data_dir {
            Some(dir) => format!("no space left on device (data dir {}): {AFTER}", dir.display()),
            None => format!(
                "the database server ran out of disk space ({}): {AFTER}",
                first_line(postgresql_said)
            ),
        }
    }

    /// True when the server log, since the import started, reports a full disk.
    fn log_says_disk_full(&self, data_dir: &Path) -> bool {
        let Ok(mut log) = File::open(EmbeddedPostgres::log_file_in(data_dir)) else {
            return false;
        };
        let length = log.metadata().map_or(0, |meta| meta.len());
        // A shorter log was restarted since: all of it is new.
        let start = if length >= self.log_start { self.log_start } else { 0 };
        let mut text = Vec::new();
        if log.seek(SeekFrom::Start(start)).is_err() || log.read_to_end(&mut text).is_err() {
            return false;
        }
        String::from_utf8_lossy(&text).to_lowercase().contains(DISK_FULL_SIGNS[0])
    }

    /// Waits up to `timeout` for another worker to stop the import; true if one did.
    fn wait_for_stop(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.stopped() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }
}

/// True when the file system holding `dir` has less than [`NEARLY_FULL_BYTES`] available.
fn nearly_full(dir: &Path) -> bool {
    nix::sys::statvfs::statvfs(dir).is_ok_and(|stats| {
        stats.blocks_available().saturating_mul(stats.fragment_size()) < NEARLY_FULL_BYTES
    })
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reviewed(watch: &DiskWatch, why: &str) -> FileStatus {
        let mut status = FileStatus::Failed(why.to_owned());
        watch.review(&mut status);
        status
    }

    #[test]
    fn the_first_disk_full_error_is_said_once_then_files_in_flight_say_they_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let watch = DiskWatch::new(Some(dir.path()));
        // An ordinary failure is left as it is and stops nothing.
        assert_eq!(
            reviewed(&watch, "duplicate key value violates unique constraint"),
            FileStatus::Failed("duplicate key value violates unique constraint".into())
        );
        assert!(!watch.stopped());
        let first =
            reviewed(&watch, "could not extend file \"base/16384/16400\": No space left on device");
        let FileStatus::Failed(first) = first else { panic!("{first:?}") };
        assert!(
            first.starts_with(&format!(
                "no space left on device (data dir {})",
                dir.path().display()
            )),
            "{first}"
        );
        assert!(watch.stopped());
        assert_eq!(
            reviewed(&watch, "server closed the connection unexpectedly"),
            FileStatus::Failed(STOPPED_IN_FLIGHT.into())
        );
        // Successes stay successes.
        let mut imported = FileStatus::Imported { replaced: false };
        watch.review(&mut imported);
        assert_eq!(imported, FileStatus::Imported { replaced: false });
    }

    #[test]
    fn a_lost_connection_is_a_full_disk_only_when_the_log_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let log = EmbeddedPostgres::log_file_in(dir.path());
        std::fs::write(
            &log,
            "PANIC: could not write to file \"pg_wal/xlogtemp.1\": No space left on device\n",
        )
        .unwrap();
        // Written before the import started: not evidence.
        let watch = DiskWatch::new(Some(dir.path()));
        let lost = "server closed the connection unexpectedly\n\tThis probably means …";
        assert_eq!(reviewed(&watch, lost), FileStatus::Failed(lost.into()));
        assert!(!watch.stopped());
        let mut text = std::fs::read_to_string(&log).unwrap();
        text.push_str(
            "PANIC: could not write to file \"pg_wal/xlogtemp.2\": No space left on device\n",
        );
        std::fs::write(&log, text).unwrap();
        let FileStatus::Failed(why) = reviewed(&watch, lost) else { panic!() };
        assert!(why.starts_with("no space left on device (data dir"), "{why}");
    }

    #[test]
    fn an_external_server_is_named_as_such() {
        let watch = DiskWatch::new(None);
        let FileStatus::Failed(why) =
            reviewed(&watch, "could not extend file \"base/1/2\": No space left on device")
        else {
            panic!()
        };
        assert!(
            why.starts_with("the database server ran out of disk space (could not extend"),
            "{why}"
        );
    }
}
