//! `police-api sync`'s first half: getting police.uk's archive zip onto disk, whole and sound,
//! before the import (`crate::import`) takes only its new or changed files.
//!
//! * A URL (`https://`, `http://`) is downloaded into `<downloads>/<name>.part`. A download
//!   that stops half way (the connection dropped, the process killed) is resumed by the next
//!   attempt with `Range: bytes=<size of the .part>-` and `If-Range` (the `ETag`, or else the
//!   `Last-Modified`, of the first attempt), so a file changed on the server in between is
//!   fetched again from its start rather than spliced. The size received must equal
//!   `Content-Length` (or the total of `Content-Range`).
//! * The zip is then verified: its central directory reads and every member decompresses
//!   with the CRC-32 the directory records. A file that fails is deleted (a resumed download
//!   would keep the damage) and nothing is imported.
//! * Once imported, the validator of the archive is remembered (`<name>.imported`) and sent
//!   next time as `If-None-Match` / `If-Modified-Since`: a `304` means there is nothing new
//!   (a daily sync of a monthly archive downloads it once a month). The downloaded zip is
//!   removed after the import: the `imports` ledger remembers what it held.
//! * A local path (or `file://` URL) to a zip is verified where it is; a folder is imported
//!   as it is (its files are checked one by one by the import).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context};

/// police.uk's newest bulk archive: every force, the latest 36 months.
pub const LATEST_ARCHIVE_URL: &str = "https://data.police.uk/data/archive/latest.zip";

/// A read that brings nothing for this long fails the download (resumable).
const READ_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where an archive comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An `http://` or `https://` URL.
    Url(String),
    /// A zip or a folder on this machine (also given as a `file://` URL).
    Path(PathBuf),
}

impl Source {
    /// `http(s)://…` is a URL, `file:///path` and anything else a path.
    pub fn parse(text: &str) -> Source {
        if let Some(path) = text.strip_prefix("file://") {
            Source::Path(PathBuf::from(path))
        } else if text.starts_with("http://") || text.starts_with("https://") {
            Source::Url(text.to_owned())
        } else {
            Source::Path(PathBuf::from(text))
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Url(url) => f.write_str(url),
            Source::Path(path) => write!(f, "{}", path.display()),
        }
    }
}

/// What [`fetch`] got.
#[derive(Debug)]
pub struct Fetched {
    /// The archive to import; `None` when the server answered that it has not changed since
    /// the last archive imported from it (`304 Not Modified`).
    pub archive: Option<PathBuf>,
    /// The archive's size in bytes (0 for a folder or when not modified).
    pub bytes: u64,
    /// Bytes received by this attempt.
    pub downloaded: u64,
    /// Bytes an interrupted earlier attempt had already received (resumed with `Range`).
    pub resumed_from: u64,
    /// Zip members verified (0 for a folder).
    pub members: usize,
    /// A downloaded file: removed by [`Fetched::finish`], with the validator to remember.
    download: Option<Download>,
}

#[derive(Debug)]
struct Download {
    remembered: PathBuf,
    validator: Option<Validator>,
    /// The `flock` that keeps a second sync out of the download folder until this one ends.
    _lock: File,
}

impl Fetched {
    /// After the import: removes a downloaded archive and, when `imported` (every file was
    /// imported or unchanged), remembers its validator so that the next sync asks the server
    /// whether it changed. A failed import remembers nothing: the next sync fetches again.
    pub fn finish(self, imported: bool) -> anyhow::Result<()> {
        let Some(download) = self.download else { return Ok(()) };
        if let Some(archive) = &self.archive {
            remove_if_present(archive)?;
        }
        match download.validator.filter(|_| imported) {
            Some(validator) => fs::write(&download.remembered, validator.to_line())
                .with_context(|| format!("cannot write {}", download.remembered.display())),
            None => remove_if_present(&download.remembered),
        }
    }
}

/// Gets the archive of `source` (downloading a URL into `downloads`, resuming an interrupted
/// download) and verifies it. `progress` is told the bytes on disk and the total when known,
/// as the download goes.
pub fn fetch(
    source: &Source,
    downloads: &Path,
    progress: &dyn Fn(u64, Option<u64>),
) -> anyhow::Result<Fetched> {
    match source {
        Source::Path(path) => {
            let metadata = fs::metadata(path)
                .with_context(|| format!("cannot read the archive {}", path.display()))?;
            let members = if metadata.is_dir() { 0 } else { verify_zip(path)? };
            Ok(Fetched {
                archive: Some(path.clone()),
                bytes: if metadata.is_dir() { 0 } else { metadata.len() },
                downloaded: 0,
                resumed_from: 0,
                members,
                download: None,
            })
        }
        Source::Url(url) => download(url, downloads, progress),
    }
}

/// How the server identifies a version of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Validator {
    ETag(String),
    LastModified(String),
}

impl Validator {
    fn of(headers: &ureq::http::HeaderMap) -> Option<Validator> {
        let header =
            |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        header("etag")
            .map(Validator::ETag)
            .or_else(|| header("last-modified").map(Validator::LastModified))
    }

    fn to_line(&self) -> String {
        match self {
            Validator::ETag(tag) => format!("etag {tag}\n"),
            Validator::LastModified(date) => format!("last-modified {date}\n"),
        }
    }

    fn read(path: &Path) -> Option<Validator> {
        let text = fs::read_to_string(path).ok()?;
        let (kind, value) = text.trim_end().split_once(' ')?;
        match kind {
            "etag" => Some(Validator::ETag(value.to_owned())),
            "last-modified" => Some(Validator::LastModified(value.to_owned())),
            _ => None,
        }
    }

    /// The `If-Range` value: a strong ETag or a date (a weak ETag cannot be used).
    fn if_range(&self) -> Option<&str> {
        match self {
            Validator::ETag(tag) if tag.starts_with("W/") => None,
            Validator::ETag(tag) | Validator::LastModified(tag) => Some(tag),
        }
    }

    /// The header asking whether the archive changed since this version.
    fn if_changed(&self) -> (&'static str, &str) {
        match self {
            Validator::ETag(tag) => ("If-None-Match", tag),
            Validator::LastModified(date) => ("If-Modified-Since", date),
        }
    }
}

/// The file name the URL's last path segment gives (`latest.zip`), kept to safe characters.
fn archive_name(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or("");
    let name: String = last
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    if name.trim_matches('.').is_empty() {
        "archive.zip".to_owned()
    } else {
        name
    }
}

fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        .user_agent(format!("police-api/{} (sync)", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::new_with_config(config)
}

/// `Content-Range: bytes START-END/TOTAL` (or `bytes */TOTAL`): START (if given) and TOTAL.
fn content_range(headers: &ureq::http::HeaderMap) -> Option<(Option<u64>, u64)> {
    let value = headers.get("content-range")?.to_str().ok()?;
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let total = total.trim().parse().ok()?;
    let start = match range.trim() {
        "*" => None,
        range => Some(range.split_once('-')?.0.parse().ok()?),
    };
    Some((start, total))
}

fn download(
    url: &str,
    downloads: &Path,
    progress: &dyn Fn(u64, Option<u64>),
) -> anyhow::Result<Fetched> {
    fs::create_dir_all(downloads)
        .with_context(|| format!("cannot create the download folder {}", downloads.display()))?;
    let name = archive_name(url);
    let archive = downloads.join(&name);
    let part = downloads.join(format!("{name}.part"));
    let part_validator = downloads.join(format!("{name}.part.validator"));
    let remembered = downloads.join(format!("{name}.imported"));
    let lock_path = downloads.join(format!("{name}.lock"));
    let lock = File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => bail!(
            "another sync is downloading or importing {name} in {}; try again once it has finished",
            downloads.display()
        ),
        Err(fs::TryLockError::Error(error)) => {
            return Err(error).with_context(|| format!("cannot lock {}", lock_path.display()))
        }
    }
    // Left by a sync stopped during its import: fetched again (or found unchanged) below.
    remove_if_present(&archive)?;
    let agent = agent();
    // A second round only when the partial file turned out unusable (416, or not resumable).
    for _round in 0..2 {
        let have = fs::metadata(&part).map_or(0, |m| m.len());
        let mut request = agent.get(url).header("Accept-Encoding", "identity");
        if have > 0 {
            request = request.header("Range", format!("bytes={have}-"));
            if let Some(validator) = Validator::read(&part_validator) {
                if let Some(value) = validator.if_range() {
                    request = request.header("If-Range", value);
                }
            }
        } else if let Some(validator) = Validator::read(&remembered) {
            let (header, value) = validator.if_changed();
            request = request.header(header, value);
        }
        let mut response = request.call().with_context(|| format!("cannot fetch {url}"))?;
        let status = response.status();
        let headers = response.headers().clone();
        let (offset, total) = match status.as_u16() {
            304 => {
                return Ok(Fetched {
                    archive: None,
                    bytes: 0,
                    downloaded: 0,
                    resumed_from: 0,
                    members: 0,
                    download: None,
                });
            }
            200 => (0, response.body().content_length()),
            206 => match content_range(&headers) {
                Some((Some(start), total)) if start == have => (have, Some(total)),
                _ => {
                    // Not the part asked for: start over.
                    remove_if_present(&part)?;
                    continue;
                }
            },
            416 if have > 0 => match content_range(&headers) {
                // The partial file is already whole.
                Some((None, total)) if total == have => (have, Some(total)),
                _ => {
                    remove_if_present(&part)?;
                    continue;
                }
            },
            _ => bail!("{url} answered {status}"),
        };
        let mut file = if offset == 0 {
            match Validator::of(&headers) {
                Some(validator) => fs::write(&part_validator, validator.to_line())?,
                None => remove_if_present(&part_validator)?,
            }
            File::create(&part)
        } else {
            OpenOptions::new().append(true).open(&part)
        }
        .with_context(|| format!("cannot write {}", part.display()))?;
        let mut written = offset;
        if status.as_u16() != 416 {
            let mut body = response.body_mut().as_reader();
            let mut buffer = vec![0u8; 256 << 10];
            progress(written, total);
            loop {
                let read = match body.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(read) => read,
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => {
                        file.sync_all()?;
                        bail!(
                            "the download of {url} stopped after {written} of {} bytes ({error}); \
                             the next sync resumes it from there",
                            total.map_or("?".to_owned(), |t| t.to_string())
                        );
                    }
                };
                file.write_all(&buffer[..read])
                    .with_context(|| format!("cannot write {}", part.display()))?;
                written += read as u64;
                progress(written, total);
            }
        }
        file.sync_all()?;
        drop(file);
        if let Some(total) = total {
            if written != total {
                remove_if_present(&part)?;
                bail!(
                    "the download of {url} is {written} bytes long where the server announced \
                     {total}; deleted it"
                );
            }
        }
        let members = match verify_zip(&part) {
            Ok(members) => members,
            Err(error) => {
                remove_if_present(&part)?;
                remove_if_present(&part_validator)?;
                return Err(error.context(format!(
                    "refusing the archive downloaded from {url}; deleted it, nothing was imported"
                )));
            }
        };
        let validator = Validator::read(&part_validator);
        fs::rename(&part, &archive)
            .with_context(|| format!("cannot move the download to {}", archive.display()))?;
        remove_if_present(&part_validator)?;
        return Ok(Fetched {
            archive: Some(archive),
            bytes: written,
            downloaded: written - offset,
            resumed_from: offset,
            members,
            download: Some(Download { remembered, validator, _lock: lock }),
        });
    }
    bail!("{url} did not answer the byte range asked for twice; giving up for now")
}

/// Checks that `path` is a sound zip: its central directory reads, and every member
/// decompresses to the size and CRC-32 recorded there. Returns the number of members.
pub fn verify_zip(path: &Path) -> anyhow::Result<usize> {
    let file =
        File::open(path).with_context(|| format!("cannot read the archive {}", path.display()))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|error| anyhow!("{} is not a readable zip archive: {error}", path.display()))?;
    for index in 0..archive.len() {
        let mut member = archive.by_index(index).map_err(|error| {
            anyhow!("member {index} of the zip archive {} is unreadable: {error}", path.display())
        })?;
        let name = member.name().map_or_else(|_| format!("member {index}"), |n| n.into_owned());
        io::copy(&mut member, &mut io::sink()).map_err(|error| {
            anyhow!("{name} in the zip archive {} is damaged: {error}", path.display())
        })?;
    }
    ensure!(!archive.is_empty(), "the zip archive {} is empty", path.display());
    Ok(archive.len())
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("cannot remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_names() {
        assert_eq!(Source::parse("https://x/a.zip"), Source::Url("https://x/a.zip".into()));
        assert_eq!(Source::parse("file:///tmp/a.zip"), Source::Path("/tmp/a.zip".into()));
        assert_eq!(Source::parse("a.zip"), Source::Path("a.zip".into()));
        assert_eq!(archive_name(LATEST_ARCHIVE_URL), "latest.zip");
        assert_eq!(archive_name("http://h/x/../2024-01.zip?y=1"), "2024-01.zip");
        assert_eq!(archive_name("http://h/"), "archive.zip");
        assert_eq!(archive_name("http://h/.."), "archive.zip");
    }

    #[test]
    fn a_damaged_member_fails_verification() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        {
            let mut writer = zip::ZipWriter::new(File::create(&path).unwrap());
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            writer.start_file("2024-01/a.csv", options).unwrap();
            writer.write_all(&[b'x'; 4096]).unwrap();
            writer.finish().unwrap();
        }
        assert_eq!(verify_zip(&path).unwrap(), 1);
        let mut bytes = fs::read(&path).unwrap();
        // A byte of the stored member's data (after its 30 + name-length header).
        bytes[30 + "2024-01/a.csv".len() + 100] = b'y';
        fs::write(&path, &bytes).unwrap();
        let error = format!("{:#}", verify_zip(&path).unwrap_err());
        assert!(error.contains("2024-01/a.csv") && error.contains("damaged"), "{error}");
        fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let error = format!("{:#}", verify_zip(&path).unwrap_err());
        assert!(error.contains("not a readable zip archive"), "{error}");
    }
}
