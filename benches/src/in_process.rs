//! The in-memory index of a generated archive built in process, without any database: what
//! `Snapshot::load` would build from a fresh store into which the archive had been imported,
//! as far as the benchmarks see it (snap points, crimes, outcomes, neighbourhood boundaries).
//!
//! The archive's files are found and read by police-store's own discovery and pure parsers
//! (`import::discover`, `import::parse::parse_file`, `import::kml::parse_kml`), so the CSV
//! validation rules are the importer's. What the store would add is mirrored here, for an
//! import into an empty store with one worker (`ImportOptions { workers: 1, .. }`):
//!
//! * files are taken in the order that worker takes them: grouped by force (forces in order
//!   of first file), forces with the most files first, each force's files in discovery order
//!   (month, then kind);
//! * snap point ids: one per distinct (longitude, latitude, name), numbered from 1; each
//!   street or outcome file's new points are numbered in (longitude, latitude, name) order,
//!   as its `INSERT … ORDER BY` does. Stop-and-search coordinates map to the lowest-id named
//!   point there, else to an [`UNNAMED_LOCATION`] point, created (in coordinate order) on
//!   first need: those are points of the index too;
//! * crime ids: from 1, in the order the street rows are written (`crime_id_seq`);
//! * the snapshot's order: points by id, then the crimes, then
//!   the outcomes; boundaries by force in `/api/forces` order, then by the force's
//!   `neighbourhoods.json` list, then by neighbourhood id.
//!
//! An import with several workers numbers points and crimes in an order that depends on
//! timing, so its index differs from this one only by those numbers (and what they order).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use police_generate::{generate, GenerateOptions};
use police_index::crimes::{
    CrimeIndex, CrimeInput, IndexBuilder, LocationType, OutcomeInput, SnapPoint,
};
use police_index::neighbourhoods::{Boundary, BoundaryIndex};
use police_index::reference::{crime_category_code_for_slug, BTP, FORCES, OUTCOME_CATEGORIES};
use police_index::stops::UNNAMED_LOCATION;
use police_index::Month;
use police_store::import::kml::parse_kml;
use police_store::import::parse::{parse_file, LocationKey, ParsedFile, Rows};
use police_store::import::{discover, ArchiveFile, ReferenceFile, ReferenceKind};

/// The index of a generated archive, built without a database.
#[derive(Debug)]
pub struct InProcessIndex {
    /// Snap points, crimes and outcomes, as `Snapshot::index`.
    pub index: CrimeIndex,
    /// The neighbourhood boundaries, as `Snapshot::neighbourhoods.boundaries()`.
    pub boundaries: BoundaryIndex,
    /// The newest month with a street file, as `Snapshot::latest_crime_month`.
    pub latest_crime_month: Option<Month>,
}

impl InProcessIndex {
    /// `GenerateOptions::national(months)` generated into a temporary directory (deleted
    /// afterwards) and built: about half a minute per month.
    pub fn national(months: u32) -> anyhow::Result<InProcessIndex> {
        InProcessIndex::generated(&GenerateOptions::national(months))
    }

    /// An archive generated with `options` into a temporary directory, then built.
    pub fn generated(options: &GenerateOptions) -> anyhow::Result<InProcessIndex> {
        let scratch = tempfile::tempdir()?;
        let archive = scratch.path().join("archive");
        generate(options, &archive).context("generating the archive")?;
        InProcessIndex::from_archive(&archive)
    }

    /// Builds the index of the archive at `path` (a folder, zip or file, as `import` takes).
    /// Fails on any file the importer would refuse or reject rows of, and on two versions of
    /// one file (an import would keep the last): the result would not be what the store holds.
    pub fn from_archive(path: &Path) -> anyhow::Result<InProcessIndex> {
        let discovery = discover(&[path.to_owned()])?;
        if let Some(refused) = discovery.skipped.iter().find(|s| s.refused) {
            anyhow::bail!("{} would be refused: {}", refused.display_name, refused.reason);
        }
        let mut seen = std::collections::HashSet::new();
        for file in &discovery.files {
            anyhow::ensure!(
                seen.insert((file.kind, file.force.id, file.month)),
                "{} is a second version of a file",
                file.display_name
            );
        }

        let mut points = Points::default();
        let mut crimes = IndexBuilder::new();
        let mut outcomes = IndexBuilder::new();
        let mut next_crime_id: i64 = 1;
        let mut latest_crime_month = None;
        for file in single_worker_order(&discovery.files) {
            let bytes = file.read()?;
            let parsed = parse_file(file, &bytes)
                .map_err(|refusal| anyhow::anyhow!("{}: {refusal}", file.display_name))?;
            if let Some(rejection) = parsed.rejections.first() {
                anyhow::bail!(
                    "{} line {}: {}",
                    file.display_name,
                    rejection.line,
                    rejection.reason
                );
            }
            let location_type =
                if file.force.id == BTP.id { LocationType::Btp } else { LocationType::Force };
            match &parsed.rows {
                Rows::Street(rows) => {
                    let ids = points.resolve_named(&parsed.locations.keys, location_type);
                    latest_crime_month = latest_crime_month.max(Some(file.month));
                    for row in rows {
                        crimes.add_crime(CrimeInput {
                            id: next_crime_id,
                            month: file.month,
                            force_id: file.force.id,
                            persistent_id: row.persistent_id.as_deref(),
                            location_id: row.location.map(|l| ids[l as usize]),
                            category: crime_category_code_for_slug(row.category_slug).ok_or_else(
                                || anyhow::anyhow!("no category {}", row.category_slug),
                            )?,
                            last_outcome: row.last_outcome.as_deref(),
                            context: &row.context,
                            lsoa_code: row.lsoa_code.as_deref(),
                            lsoa_name: row.lsoa_name.as_deref(),
                        })?;
                        next_crime_id += 1;
                    }
                }
                Rows::Outcomes(rows) => {
                    let ids = points.resolve_named(&parsed.locations.keys, location_type);
                    for row in rows {
                        outcomes.add_outcome(OutcomeInput {
                            month: file.month,
                            persistent_id: &row.persistent_id,
                            location_id: row.location.map(|l| ids[l as usize]),
                            code: outcome_code(row.outcome_code)?,
                        })?;
                    }
                }
                Rows::Stops(_) => points.resolve_stops(&parsed, location_type),
            }
        }

        let mut builder = points.into_builder();
        builder.append(crimes)?;
        builder.append(outcomes)?;
        let index = builder.build()?;
        let boundaries = boundaries(&discovery.reference)?;
        Ok(InProcessIndex { index, boundaries, latest_crime_month })
    }
}

/// The position of an outcome code in [`OUTCOME_CATEGORIES`].
fn outcome_code(code: &str) -> anyhow::Result<u8> {
    OUTCOME_CATEGORIES
        .iter()
        .position(|o| o.code == code)
        .map(|p| p as u8)
        .ok_or_else(|| anyhow::anyhow!("unknown outcome code {code:?}"))
}

/// The files in the order one import worker takes them (`import::worker`): one unit per
/// force in order of its first file, units with the most files first (a stable sort).
fn single_worker_order(files: &[ArchiveFile]) -> Vec<&ArchiveFile> {
    let mut units: Vec<Vec<&ArchiveFile>> = Vec::new();
    let mut unit_of_force: HashMap<&str, usize> = HashMap::new();
    for file in files {
        let unit = *unit_of_force.entry(file.force.id).or_insert_with(|| {
            units.push(Vec::new());
            units.len() - 1
        });
        units[unit].push(file);
    }
    units.sort_by_key(|unit| std::cmp::Reverse(unit.len()));
    units.into_iter().flatten().collect()
}

/// The `locations` table as the import fills it.
#[derive(Default)]
struct Points {
    /// Row `id - 1`.
    rows: Vec<(LocationKey, LocationType)>,
    by_key: HashMap<(u64, u64, String), i32>,
    /// The lowest id of a named point at these coordinates, and of the unnamed one.
    named_at: HashMap<(u64, u64), i32>,
    unnamed_at: HashMap<(u64, u64), i32>,
}

fn coordinates(key: &LocationKey) -> (u64, u64) {
    (key.longitude.to_bits(), key.latitude.to_bits())
}

/// PostgreSQL's order of `float8` values (no NaN here).
fn float_order(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

impl Points {
    fn insert(&mut self, key: LocationKey, location_type: LocationType) -> i32 {
        let id = self.rows.len() as i32 + 1;
        if key.name == UNNAMED_LOCATION {
            self.unnamed_at.entry(coordinates(&key)).or_insert(id);
        } else {
            self.named_at.entry(coordinates(&key)).or_insert(id);
        }
        self.by_key.insert((key.longitude.to_bits(), key.latitude.to_bits(), key.name.clone()), id);
        self.rows.push((key, location_type));
        id
    }

    /// Ids for a street or outcome file's snap points, inserting the new ones in
    /// (longitude, latitude, name) order, as `import::locations` does.
    fn resolve_named(&mut self, keys: &[LocationKey], location_type: LocationType) -> Vec<i32> {
        let key_of =
            |k: &LocationKey| (k.longitude.to_bits(), k.latitude.to_bits(), k.name.clone());
        let mut new: Vec<&LocationKey> =
            keys.iter().filter(|k| !self.by_key.contains_key(&key_of(k))).collect();
        new.sort_by(|a, b| {
            float_order(a.longitude, b.longitude)
                .then(float_order(a.latitude, b.latitude))
                .then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()))
        });
        for key in new {
            self.insert(key.clone(), location_type);
        }
        keys.iter().map(|k| self.by_key[&key_of(k)]).collect()
    }

    /// A stop-and-search file's coordinates that no named point has get an unnamed point,
    /// inserted in coordinate order, as `import::stop_locations` does. (Stops themselves are
    /// not part of the crime index.)
    fn resolve_stops(&mut self, parsed: &ParsedFile, location_type: LocationType) {
        let mut missing: Vec<&LocationKey> = parsed
            .locations
            .keys
            .iter()
            .filter(|k| {
                let at = coordinates(k);
                !self.named_at.contains_key(&at) && !self.unnamed_at.contains_key(&at)
            })
            .collect();
        missing.sort_by(|a, b| {
            float_order(a.longitude, b.longitude).then(float_order(a.latitude, b.latitude))
        });
        for key in missing {
            let unnamed = LocationKey {
                longitude: key.longitude,
                latitude: key.latitude,
                name: UNNAMED_LOCATION.to_owned(),
            };
            self.insert(unnamed, location_type);
        }
    }

    /// A builder with the points added as `Snapshot::load` adds them: by id, one
    /// allocation per distinct name.
    fn into_builder(self) -> IndexBuilder {
        let mut builder = IndexBuilder::new();
        let mut names: HashMap<String, Arc<str>> = HashMap::new();
        for (position, (key, location_type)) in self.rows.into_iter().enumerate() {
            let name = Arc::clone(names.entry(key.name).or_insert_with_key(|n| n.as_str().into()));
            let point = SnapPoint {
                id: position as i32 + 1,
                latitude: key.latitude,
                longitude: key.longitude,
                name,
                location_type,
                subtype: "".into(),
            };
            builder.add_point(point);
        }
        builder
    }
}

/// The boundaries of the archive's neighbourhood KMLs, in the snapshot's order.
fn boundaries(files: &[ReferenceFile]) -> anyhow::Result<BoundaryIndex> {
    let mut lists: HashMap<&str, Vec<String>> = HashMap::new();
    let mut kmls: HashMap<&str, Vec<(String, Boundary)>> = HashMap::new();
    for file in files {
        match file.kind {
            ReferenceKind::NeighbourhoodList => {
                let list: Vec<serde_json::Value> = serde_json::from_slice(&file.read()?)
                    .with_context(|| format!("reading {}", file.display_name))?;
                let ids = list.iter().filter_map(|n| n["id"].as_str().map(str::to_owned));
                lists.insert(file.force.id, ids.collect());
            }
            ReferenceKind::BoundaryKml => {
                let kml = parse_kml(&file.read()?)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display_name))?;
                let id = file.neighbourhood.clone().unwrap_or_default();
                kmls.entry(file.force.id).or_default().push((id, kml.boundary));
            }
            ReferenceKind::BoundaryJson => {
                anyhow::bail!("{}: boundary.json files are not supported here", file.display_name)
            }
            _ => {}
        }
    }
    let mut ordered = Vec::new();
    // The forces `/api/forces` lists, in its order; BTP's neighbourhoods are not served.
    for force in FORCES {
        let Some(mut neighbourhoods) = kmls.remove(force.id) else { continue };
        let list = lists.get(force.id).map(Vec::as_slice).unwrap_or_default();
        let position = |id: &str| list.iter().position(|l| l == id).unwrap_or(usize::MAX);
        neighbourhoods.sort_by(|(a, _), (b, _)| (position(a), a).cmp(&(position(b), b)));
        ordered.extend(neighbourhoods.into_iter().map(|(_, boundary)| boundary));
    }
    ordered.retain(|boundary| !boundary.is_empty());
    Ok(BoundaryIndex::new(ordered))
}
