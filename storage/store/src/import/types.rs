//! The types the import's modules share: kinds of files, where a file's bytes come from,
//! what happened to a file, the options and the observer. Depends on nothing else in
//! `import/`, so every other module can use it.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use flate2::read::GzDecoder;

use police_index::reference::Force;
use police_index::Month;

/// The three kinds of monthly CSV police.uk publishes per force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    Street,
    Outcomes,
    StopAndSearch,
}

impl FileKind {
    pub const ALL: [FileKind; 3] = [FileKind::Street, FileKind::Outcomes, FileKind::StopAndSearch];

    /// The suffix in file names and the `kind` column of the `imports` ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Street => "street",
            FileKind::Outcomes => "outcomes",
            FileKind::StopAndSearch => "stop-and-search",
        }
    }

    /// The exact header police.uk writes for this kind.
    pub fn header(self) -> &'static str {
        match self {
            FileKind::Street => "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context",
            FileKind::Outcomes => "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type",
            FileKind::StopAndSearch => "Type,Date,Part of a policing operation,Policing operation,Latitude,Longitude,Gender,Age range,Self-defined ethnicity,Officer-defined ethnicity,Legislation,Object of search,Outcome,Outcome linked to object of search,Removal of more than just outer clothing",
        }
    }

    /// The number of fields in every record of this kind.
    pub fn field_count(self) -> usize {
        self.header().split(',').count()
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a file's bytes come from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Plain(PathBuf),
    Gzip(PathBuf),
    ZipEntry { archive: PathBuf, index: usize },
}

/// One monthly file of the archive, identified by its name.
#[derive(Debug, Clone)]
pub struct ArchiveFile {
    /// Where it was found, for messages: a path, or `archive.zip:inner/path.csv`.
    pub display_name: String,
    pub month: Month,
    pub force: Force,
    pub kind: FileKind,
    pub(crate) source: Source,
}

impl ArchiveFile {
    /// The file's content, decompressed.
    pub fn read(&self) -> anyhow::Result<Vec<u8>> {
        self.source.read(&self.display_name)
    }
}

/// Largest file read, once decompressed: police.uk's largest monthly CSVs are a few tens of
/// MB, so anything beyond this is a mistake or a decompression bomb, refused before it can
/// take the machine's memory.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

impl Source {
    /// The content, decompressed; `display_name` names it in errors. More than
    /// [`MAX_FILE_BYTES`] is an error, found without reading further.
    pub(crate) fn read(&self, display_name: &str) -> anyhow::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        let limit = MAX_FILE_BYTES + 1;
        match self {
            Source::Plain(path) => {
                File::open(path)
                    .and_then(|f| f.take(limit).read_to_end(&mut bytes))
                    .with_context(|| format!("reading {}", path.display()))?;
            }
            Source::Gzip(path) => {
                File::open(path)
                    .and_then(|f| GzDecoder::new(f).take(limit).read_to_end(&mut bytes))
                    .with_context(|| format!("decompressing {}", path.display()))?;
            }
            Source::ZipEntry { archive, index } => {
                let file = File::open(archive)
                    .with_context(|| format!("opening {}", archive.display()))?;
                let mut zip = zip::ZipArchive::new(file)
                    .with_context(|| format!("reading zip {}", archive.display()))?;
                let entry = zip.by_index(*index)?;
                entry
                    .take(limit)
                    .read_to_end(&mut bytes)
                    .with_context(|| format!("extracting {display_name}"))?;
            }
        }
        anyhow::ensure!(
            bytes.len() as u64 <= MAX_FILE_BYTES,
            "{display_name} is larger than {} MiB (decompressed): refused, as no police.uk \
             file is near that size",
            MAX_FILE_BYTES >> 20
        );
        Ok(bytes)
    }
}

/// A file found under the given paths that will not be imported as monthly CSV, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub display_name: String,
    pub reason: String,
    /// True when the file looked like police.uk data but cannot be accepted (an error for
    /// the user); false for files that are simply not monthly CSVs (boundaries, JSON).
    pub refused: bool,
}

/// A row that was not accepted, with its 1-based line number in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub line: u64,
    pub reason: String,
}

/// What a force or neighbourhood file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReferenceKind {
    /// `forces/<force>.json`
    Force,
    /// `forces/<force>/people.json`
    ForcePeople,
    /// `<force>/neighbourhoods.json`
    NeighbourhoodList,
    /// `<force>/<neighbourhood>.json`
    Neighbourhood,
    /// `<force>/<neighbourhood>/people.json`
    NeighbourhoodPeople,
    /// `<force>/<neighbourhood>/events.json`
    NeighbourhoodEvents,
    /// `<force>/<neighbourhood>/priorities.json`
    NeighbourhoodPriorities,
    /// `<force>/<neighbourhood>/boundary.json`
    BoundaryJson,
    /// `<force>/<neighbourhood>.kml`
    BoundaryKml,
}

impl ReferenceKind {
    /// A name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Force => "force",
            ReferenceKind::ForcePeople => "force-people",
            ReferenceKind::NeighbourhoodList => "neighbourhoods",
            ReferenceKind::Neighbourhood => "neighbourhood",
            ReferenceKind::NeighbourhoodPeople => "neighbourhood-people",
            ReferenceKind::NeighbourhoodEvents => "neighbourhood-events",
            ReferenceKind::NeighbourhoodPriorities => "neighbourhood-priorities",
            ReferenceKind::BoundaryJson => "boundary-json",
            ReferenceKind::BoundaryKml => "boundary-kml",
        }
    }

    /// The `kind` of the ledger: both boundary formats write the same boundary.
    pub(crate) fn ledger_kind(self) -> &'static str {
        match self {
            ReferenceKind::BoundaryJson | ReferenceKind::BoundaryKml => "boundary",
            other => other.as_str(),
        }
    }
}

impl fmt::Display for ReferenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A force or neighbourhood file found by [`super::discover`].
#[derive(Debug, Clone)]
pub struct ReferenceFile {
    /// Where it was found: a path, or `archive.zip:inner/path`.
    pub display_name: String,
    pub kind: ReferenceKind,
    pub force: Force,
    /// The neighbourhood id, for the neighbourhood kinds.
    pub neighbourhood: Option<String>,
    pub(crate) source: Source,
}

impl ReferenceFile {
    /// The file's content.
    pub fn read(&self) -> anyhow::Result<Vec<u8>> {
        self.source.read(&self.display_name)
    }
}

/// The outcome of importing one force or neighbourhood file.
#[derive(Debug, Clone)]
pub struct ReferenceReport {
    pub file: String,
    pub kind: ReferenceKind,
    pub force_id: &'static str,
    pub neighbourhood: Option<String>,
    pub status: FileStatus,
    /// Records (array elements, 1 for an object) or, for a KML, polygons.
    pub records_read: u64,
    pub records_accepted: u64,
    pub records_rejected: u64,
    /// `line` is the record's (or polygon's) number in the file, from 1.
    pub rejections: Vec<Rejection>,
    pub elapsed: Duration,
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
    pub month: Month,
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
    /// A force or neighbourhood file was imported (or not); see [`super::reference`].
    fn reference_finished(&self, _report: &ReferenceReport) {}
}

/// An observer that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;
impl ImportObserver for Silent {}

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
    /// A new version of a file already imported replaces it only if at most this share of
    /// its rows (0 to 1) is rejected, and every row could be read as CSV: otherwise it is
    /// refused as damaged and the imported version stays.
    pub max_rejected_share: f64,
    /// The embedded cluster's data dir, when the store is one: named when its disk fills up,
    /// and checked (the server's log, free space) when the connection is lost. None for a
    /// `DATABASE_URL`, whose disk this machine cannot see.
    pub data_dir: Option<PathBuf>,
    /// The retention window (`--keep-months`): monthly files older than the newest this many
    /// months (of the store and the files given, together) are left out, reported as skipped;
    /// `crate::retention::keep_newest_months` then drops such months from the store. 0: every
    /// month is imported.
    pub keep_months: u32,
}

/// The default [`ImportOptions::max_rejected_share`]: 1 %.
pub const DEFAULT_MAX_REJECTED_SHARE: f64 = 0.01;

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            fail_after_rows: None,
            pause_after_rows: None,
            max_rejected_share: DEFAULT_MAX_REJECTED_SHARE,
            data_dir: None,
            keep_months: 0,
        }
    }
}
