//! Finding the files of a police.uk bulk archive: a `.zip` as downloaded, a folder of
//! `YYYY-MM/YYYY-MM-<force>-<kind>.csv` (optionally `.csv.gz`), or single files.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::identify::{identify, Identity};
use super::types::{ArchiveFile, FileKind, ReferenceFile, SkippedFile, Source};
use police_index::reference::{force_by_id, Force};
use police_index::Month;

/// Everything found under the paths given to `import`.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Monthly CSVs in import order: by month, then force, then kind.
    pub files: Vec<ArchiveFile>,
    pub skipped: Vec<SkippedFile>,
    /// Force and neighbourhood files (boundary KMLs, saved API responses), see
    /// [`super::reference`].
    pub reference: Vec<ReferenceFile>,
}

/// Walks `paths` (zips, folders, files) and classifies every file found.
pub fn discover(paths: &[PathBuf]) -> anyhow::Result<Discovery> {
    let mut discovery = Discovery::default();
    for path in paths {
        let metadata =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if metadata.is_dir() {
            walk_dir(path, &mut discovery)?;
        } else {
            add_file(path, true, &mut discovery)?;
        }
    }
    discovery.files.sort_by(|a, b| {
        (a.month, a.force.id, a.kind, &a.display_name).cmp(&(
            b.month,
            b.force.id,
            b.kind,
            &b.display_name,
        ))
    });
    Ok(discovery)
}

fn walk_dir(dir: &Path, discovery: &mut Discovery) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk_dir(&path, discovery)?;
        } else {
            add_file(&path, false, discovery)?;
        }
    }
    Ok(())
}

/// `explicit`: the user named this file (rather than a folder holding it), so a CSV that is
/// not named like a police.uk file is an error, not just something else in the folder.
fn add_file(path: &Path, explicit: bool, discovery: &mut Discovery) -> anyhow::Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let display_name = path.display().to_string();
    if name.ends_with(".zip") {
        // An unreadable zip is reported and the rest imported: one bad download must not
        // stop a folder of good ones.
        if let Err(error) = add_zip(path, discovery) {
            let reason = format!("{error:#}");
            discovery.skipped.push(SkippedFile { display_name, reason, refused: true });
        }
        return Ok(());
    }
    let components: Vec<String> =
        path.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let source = Source::Plain(path.to_owned());
    let Some(source) = add_reference(&components, &display_name, source, discovery) else {
        return Ok(());
    };
    let (source, csv_name) = if let Some(stem) = name.strip_suffix(".gz") {
        (Source::Gzip(path.to_owned()), stem)
    } else {
        (source, name.as_str())
    };
    classify(display_name, csv_name, source, explicit, discovery);
    Ok(())
}

fn add_zip(path: &Path, discovery: &mut Discovery) -> anyhow::Result<()> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut zip =
        zip::ZipArchive::new(file).with_context(|| format!("reading zip {}", path.display()))?;
    for index in 0..zip.len() {
        let entry = zip.by_index(index)?;
        if entry.is_dir() {
            continue;
        }
        let inner = entry
            .name()
            .with_context(|| format!("reading entry {index} of zip {}", path.display()))?
            .into_owned();
        let base = inner.rsplit('/').next().unwrap_or(&inner).to_owned();
        let display_name = format!("{}:{inner}", path.display());
        let source = Source::ZipEntry { archive: path.to_owned(), index };
        let components: Vec<String> = inner.split('/').map(str::to_owned).collect();
        let Some(source) = add_reference(&components, &display_name, source, discovery) else {
            continue;
        };
        classify(display_name, &base, source, false, discovery);
    }
    Ok(())
}

/// Takes a force or neighbourhood file (or skips one that looks like it but is not imported);
/// gives the source back when the path is neither.
fn add_reference(
    components: &[String],
    display_name: &str,
    source: Source,
    discovery: &mut Discovery,
) -> Option<Source> {
    let components: Vec<&str> = components.iter().map(String::as_str).collect();
    match identify(&components) {
        Identity::Reference { kind, force, neighbourhood } => {
            let display_name = display_name.to_owned();
            discovery.reference.push(ReferenceFile {
                display_name,
                kind,
                force,
                neighbourhood,
                source,
            });
            None
        }
        Identity::Skip(reason) => {
            let display_name = display_name.to_owned();
            discovery.skipped.push(SkippedFile { display_name, reason, refused: false });
            None
        }
        Identity::Other => Some(source),
    }
}

fn classify(
    display_name: String,
    file_name: &str,
    source: Source,
    explicit: bool,
    discovery: &mut Discovery,
) {
    if !file_name.ends_with(".csv") {
        discovery.skipped.push(SkippedFile {
            display_name,
            reason: "not a monthly CSV".into(),
            refused: false,
        });
        return;
    }
    match parse_file_name(file_name) {
        Ok((month, force, kind)) => {
            discovery.files.push(ArchiveFile { display_name, month, force, kind, source })
        }
        Err(NameError::NotArchiveName) => discovery.skipped.push(SkippedFile {
            display_name,
            reason: NameError::NotArchiveName.to_string(),
            refused: explicit,
        }),
        Err(error) => discovery.skipped.push(SkippedFile {
            display_name,
            reason: error.to_string(),
            refused: true,
        }),
    }
}

/// Why a file name is not one of a police.uk archive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("not a police.uk archive file name (expected YYYY-MM-<force>-<street|outcomes|stop-and-search>.csv)")]
    NotArchiveName,
    #[error("unknown force {0:?} in the file name")]
    UnknownForce(String),
}

/// Splits `YYYY-MM-<force>-<kind>.csv` into its parts.
pub fn parse_file_name(file_name: &str) -> Result<(Month, Force, FileKind), NameError> {
    let expected = NameError::NotArchiveName;
    let stem = file_name.strip_suffix(".csv").ok_or(expected.clone())?;
    let month: Month = stem.get(..7).and_then(|m| m.parse().ok()).ok_or(expected.clone())?;
    let rest = stem.get(7..).and_then(|r| r.strip_prefix('-')).ok_or(expected.clone())?;
    let (force_id, kind) = FileKind::ALL
        .iter()
        .find_map(|kind| {
            rest.strip_suffix(kind.as_str())
                .and_then(|f| f.strip_suffix('-'))
                .map(|force| (force, *kind))
        })
        .ok_or(expected)?;
    let force =
        force_by_id(force_id).ok_or_else(|| NameError::UnknownForce(force_id.to_owned()))?;
    Ok((month, force, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_archive_file_names() {
        let (month, force, kind) = parse_file_name("2024-01-city-of-london-street.csv").unwrap();
        assert_eq!(
            (month.to_string().as_str(), force.id, kind),
            ("2024-01", "city-of-london", FileKind::Street)
        );
        let (_, force, kind) = parse_file_name("2018-07-metropolitan-stop-and-search.csv").unwrap();
        assert_eq!((force.id, kind), ("metropolitan", FileKind::StopAndSearch));
        let (_, force, kind) = parse_file_name("2016-03-btp-outcomes.csv").unwrap();
        assert_eq!((force.id, kind), ("btp", FileKind::Outcomes));
        assert_eq!(
            parse_file_name("2024-01-atlantis-street.csv"),
            Err(NameError::UnknownForce("atlantis".into()))
        );
        assert!(parse_file_name("crimes.csv").is_err());
        assert!(parse_file_name("2024-13-surrey-street.csv").is_err());
        assert!(parse_file_name("2024-01-surrey-arrests.csv").is_err());
    }

    #[test]
    fn field_counts_match_headers() {
        assert_eq!(FileKind::Street.field_count(), 12);
        assert_eq!(FileKind::Outcomes.field_count(), 10);
        assert_eq!(FileKind::StopAndSearch.field_count(), 15);
    }
}
