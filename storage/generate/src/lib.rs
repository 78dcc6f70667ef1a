//! A seeded generator of a realistic synthetic police.uk bulk archive: monthly street,
//! outcomes and stop-and-search CSVs per force, plus neighbourhood boundary KMLs, laid out
//! exactly as the real archive unzips, and force and neighbourhood pages as police.uk's API
//! answers them (`api/…`, see `reference_json`).
//!
//! Realism comes from approximate real geography (force territories and the local authority
//! districts inside them, see `places`), snap points clustered around towns with dense
//! centres, crimes drawn onto points with a heavy skew and category-specific affinities
//! (shoplifting at supermarkets, vehicle crime in car parks), plausible category and outcome
//! mixes, and police.uk's own quirks (empty ASB ids, "No Location" rows, UTC stop times that
//! spill into the previous month during summer time, PSNI publishing no outcomes).
//!
//! The same options always produce byte-identical output: every force-month draws from its
//! own PRNG stream keyed by seed, force and month, whichever thread writes it.

mod geo;
mod places;
mod records;
mod reference_json;
pub mod rng;
mod snap;
mod text;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Context as _;

use police_index::reference::{self, Force};
use police_index::Month;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub seed: u64,
    /// Force ids from `reference::FORCES` (or `btp`).
    pub forces: Vec<String>,
    pub first_month: Month,
    /// Consecutive months starting at `first_month`.
    pub months: u32,
    /// Street rows per month, summed over all forces.
    pub crimes_per_month: u64,
    /// Distinct snap points, summed over all forces.
    pub snap_points: u64,
    pub neighbourhoods_per_force: u32,
}

impl GenerateOptions {
    /// Four forces of very different sizes over the twelve months of 2024: 240,000 street rows.
    pub fn demo() -> Self {
        GenerateOptions {
            seed: 2024,
            forces: ["leicestershire", "city-of-london", "surrey", "west-yorkshire"]
                .map(String::from)
                .to_vec(),
            first_month: Month::new(2024, 1).expect("valid month"),
            months: 12,
            crimes_per_month: 20_000,
            snap_points: 40_000,
            neighbourhoods_per_force: 40,
        }
    }

    /// All 44 forces at roughly real national volume, for `months` months ending 2024-12.
    pub fn national(months: u32) -> Self {
        let last = Month::new(2024, 12).expect("valid month");
        let back = i32::try_from(months.max(1) - 1).unwrap_or(i32::MAX);
        GenerateOptions {
            seed: 2024,
            forces: reference::FORCES.iter().map(|f| f.id.to_owned()).collect(),
            first_month: last.plus(-back).unwrap_or(last),
            months,
            crimes_per_month: 500_000,
            snap_points: 750_000,
            neighbourhoods_per_force: 80,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub files: u64,
    pub street_rows: u64,
    pub outcome_rows: u64,
    pub stop_rows: u64,
    pub snap_points: u64,
    pub neighbourhoods: u64,
    pub bytes: u64,
}

impl GenerateSummary {
    fn add(&mut self, other: &GenerateSummary) {
        self.files += other.files;
        self.street_rows += other.street_rows;
        self.outcome_rows += other.outcome_rows;
        self.stop_rows += other.stop_rows;
        self.snap_points += other.snap_points;
        self.neighbourhoods += other.neighbourhoods;
        self.bytes += other.bytes;
    }
}

const TAG_SPLIT: u64 = 0x7370_6c69;

/// One force's share of the work.
#[derive(Debug)]
struct ForcePlan {
    force: Force,
    place: &'static places::Place,
    /// Position in `reference::FORCES` (44 for BTP): part of every PRNG key and crime id.
    number: u64,
    crimes: Vec<u64>,
    points: u64,
}

/// Splits `total` in proportion to `weights`, summing exactly (largest remainder).
fn split(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let quotas: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    let fraction = |i: usize, parts: &[u64]| quotas[i] - parts[i] as f64;
    order.sort_by(|&a, &b| fraction(b, &parts).total_cmp(&fraction(a, &parts)).then(a.cmp(&b)));
    let mut assigned: u64 = parts.iter().sum();
    for &i in order.iter().cycle().take(weights.len() * 2) {
        if assigned >= total {
            break;
        }
        parts[i] += 1;
        assigned += 1;
    }
    for &i in order.iter().rev().cycle().take(weights.len() * 2) {
        if assigned <= total {
            break;
        }
        if parts[i] > 0 {
            parts[i] -= 1;
            assigned -= 1;
        }
    }
    parts
}

fn plan(options: &GenerateOptions) -> anyhow::Result<Vec<ForcePlan>> {
    anyhow::ensure!(!options.forces.is_empty(), "no forces to generate");
    let months: Vec<Month> = (0..options.months)
        .map(|k| {
            i32::try_from(k)
                .ok()
                .and_then(|k| options.first_month.plus(k))
                .context("month range runs past year 9999")
        })
        .collect::<anyhow::Result<_>>()?;
    let mut forces = Vec::with_capacity(options.forces.len());
    for id in &options.forces {
        let force =
            reference::force_by_id(id).with_context(|| format!("unknown force id {id:?}"))?;
        anyhow::ensure!(
            !forces.iter().any(|f: &ForcePlan| f.force.id == force.id),
            "force {id:?} listed twice"
        );
        let place = places::place(id).with_context(|| format!("no geography for force {id:?}"))?;
        let number = reference::FORCES
            .iter()
            .position(|f| f.id == force.id)
            .unwrap_or(reference::FORCES.len()) as u64;
        forces.push(ForcePlan { force, place, number, crimes: Vec::new(), points: 0 });
    }
    for month in &months {
        let weights: Vec<f64> = forces
            .iter()
            .map(|f| {
                let h = rng::hash(&[options.seed, f.number, u64::from(month.index()), TAG_SPLIT]);
                f.place.crimes * (0.95 + 0.1 * rng::unit(h))
            })
            .collect();
        for (force, crimes) in forces.iter_mut().zip(split(options.crimes_per_month, &weights)) {
            force.crimes.push(crimes);
        }
    }
    // Snap points follow both crime volume and territory size.
    let total_crimes: f64 = forces.iter().map(|f| f.place.crimes).sum();
    let total_area: f64 = forces.iter().map(|f| f.place.rx_km * f.place.ry_km).sum();
    let weights: Vec<f64> = forces
        .iter()
        .map(|f| {
            0.6 * f.place.crimes / total_crimes + 0.4 * f.place.rx_km * f.place.ry_km / total_area
        })
        .collect();
    for (force, points) in forces.iter_mut().zip(split(options.snap_points, &weights)) {
        force.points = points.max(1);
    }
    Ok(forces)
}

/// Generates the archive into `out_dir` (created if missing; existing files of the same
/// names are overwritten).
pub fn generate(options: &GenerateOptions, out_dir: &Path) -> anyhow::Result<GenerateSummary> {
    let forces = plan(options)?;
    let months: Vec<Month> = (0..options.months)
        .filter_map(|k| options.first_month.plus(i32::try_from(k).ok()?))
        .collect();
    for month in &months {
        let dir = out_dir.join(month.to_string());
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let rivals = geo::land_territories(options.seed);
    // Biggest forces first so that the threads finish together.
    let mut order: Vec<usize> = (0..forces.len()).collect();
    order.sort_by_key(|&k| {
        std::cmp::Reverse(forces[k].crimes.iter().sum::<u64>() + forces[k].points)
    });
    let next = AtomicUsize::new(0);
    let threads =
        std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, forces.len());
    let total = Mutex::new(GenerateSummary::default());
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&index) = order.get(k) else {
                            return Ok(());
                        };
                        let force = &forces[index];
                        let summary = generate_force(options, force, &months, &rivals, out_dir)
                            .with_context(|| format!("generating {}", force.force.id))?;
                        total.lock().map_err(|_| anyhow::anyhow!("poisoned lock"))?.add(&summary);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().map_err(|_| anyhow::anyhow!("a generator thread panicked"))??;
        }
        Ok(())
    })?;
    total.into_inner().map_err(|_| anyhow::anyhow!("poisoned lock"))
}

fn generate_force(
    options: &GenerateOptions,
    plan: &ForcePlan,
    months: &[Month],
    rivals: &[geo::Territory],
    out_dir: &Path,
) -> anyhow::Result<GenerateSummary> {
    let mut summary = GenerateSummary::default();
    let area = geo::ForceArea::build(
        plan.place,
        plan.number,
        options.seed,
        options.neighbourhoods_per_force,
        rivals,
    )?;
    if !area.neighbourhoods.is_empty() {
        let dir = out_dir.join("boundaries").join(plan.force.id);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for boundary in &area.neighbourhoods {
            let kml = geo::kml(boundary);
            let path = dir.join(format!("{}.kml", boundary.id));
            std::fs::write(&path, &kml).with_context(|| format!("writing {}", path.display()))?;
            summary.files += 1;
            summary.bytes += kml.len() as u64;
        }
        summary.neighbourhoods = area.neighbourhoods.len() as u64;
    }
    // Force and neighbourhood pages as police.uk's API gives them (BTP has none).
    if plan.force.id != reference::BTP.id {
        let written = reference_json::write_force(
            options.seed,
            plan.force,
            plan.number,
            plan.place,
            &area.neighbourhoods,
            out_dir,
        )?;
        summary.files += written.files;
        summary.bytes += written.bytes;
    }
    let points = snap::generate(plan.place, plan.number, options.seed, plan.points, &area.grid);
    summary.snap_points = points.points.len() as u64;
    drop(area);

    let mut writer =
        records::ForceWriter::new(plan.force, plan.number, options.seed, &points, months.len());
    for (pos, (&month, &crimes)) in months.iter().zip(&plan.crimes).enumerate() {
        let dir = out_dir.join(month.to_string());
        let counts = writer.write_month(pos, month, crimes, &dir)?;
        summary.files += counts.files;
        summary.street_rows += counts.street_rows;
        summary.outcome_rows += counts.outcome_rows;
        summary.stop_rows += counts.stop_rows;
        summary.bytes += counts.bytes;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};
    use std::path::PathBuf;

    use sha2::{Digest, Sha256};

    use super::*;

    fn small() -> GenerateOptions {
        GenerateOptions {
            seed: 7,
            forces: [
                "leicestershire",
                "city-of-london",
                "dorset",
                "northern-ireland",
                "btp",
                "kent",
            ]
            .map(String::from)
            .to_vec(),
            first_month: Month::new(2024, 2).unwrap(),
            months: 3,
            crimes_per_month: 9_000,
            snap_points: 5_000,
            neighbourhoods_per_force: 16,
        }
    }

    /// Relative path → file bytes, for every file under `dir`.
    fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    let rel = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(dir, dir, &mut out);
        out
    }

    fn generated(options: &GenerateOptions) -> (tempfile::TempDir, GenerateSummary) {
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(options, dir.path()).unwrap();
        (dir, summary)
    }

    fn rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = csv::Reader::from_reader(bytes);
        let header = reader.headers().unwrap().iter().map(String::from).collect();
        let rows =
            reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
        (header, rows)
    }

    fn hashes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        files(dir).into_iter().map(|(k, v)| (k, Sha256::digest(&v).to_vec())).collect()
    }

    #[test]
    fn same_seed_same_bytes() {
        let options = small();
        let (a, summary_a) = generated(&options);
        let (b, summary_b) = generated(&options);
        assert_eq!(summary_a, summary_b);
        let (ha, hb) = (hashes(a.path()), hashes(b.path()));
        assert_eq!(ha.len() as u64, summary_a.files);
        assert_eq!(ha, hb);
        let total: u64 = files(a.path()).values().map(|v| v.len() as u64).sum();
        assert_eq!(total, summary_a.bytes);

        let (c, _) = generated(&GenerateOptions { seed: 8, ..options });
        assert_ne!(hashes(c.path()), ha);
    }

    #[test]
    fn archive_has_police_uk_shape() {
        let options = small();
        let (dir, summary) = generated(&options);
        let all = files(dir.path());
        let mut street_ids: HashSet<String> = HashSet::new();
        let mut no_location = 0u64;
        let mut street_rows = 0u64;
        let mut outcome_rows = 0u64;
        let mut stop_rows = 0u64;
        let mut spill_into_previous_month = 0;
        for k in 0..options.months {
            let month = options.first_month.plus(k as i32).unwrap().to_string();
            let mut month_rows = 0u64;
            let mut month_ids = HashSet::new();
            // Street files first: outcomes refer to them.
            let mut month_files: Vec<_> =
                all.range(format!("{month}/")..format!("{month}/~")).collect();
            month_files.sort_by_key(|(path, _)| !path.ends_with("-street.csv"));
            for (path, bytes) in month_files {
                assert!(!bytes.starts_with(b"\xef\xbb\xbf"));
                assert!(!bytes.contains(&b'\r'));
                let (header, records) = rows(bytes);
                if path.ends_with("-street.csv") {
                    assert_eq!(header.join(","), records::STREET_HEADER);
                    month_rows += records.len() as u64;
                    for r in &records {
                        assert_eq!(r.len(), 12);
                        assert_eq!(r[1], month);
                        assert_eq!(r[2], r[3]);
                        assert_eq!(r[11], "");
                        if r[9] == "Anti-social behaviour" {
                            assert_eq!(r[0], "", "{path}");
                            assert_eq!(r[10], "");
                            assert!(!path.contains("btp"));
                        } else {
                            assert_eq!(r[0].len(), 64);
                            assert!(r[0]
                                .bytes()
                                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
                            assert!(!r[10].is_empty());
                            assert!(month_ids.insert(r[0].clone()), "duplicate id {}", r[0]);
                        }
                        if r[4].is_empty() {
                            no_location += 1;
                            assert_eq!(
                                (r[5].as_str(), r[6].as_str(), r[7].as_str()),
                                ("", "No Location", "")
                            );
                        } else {
                            assert!(r[6].starts_with("On or near "));
                            assert_eq!(r[7].is_empty(), path.contains("northern-ireland"));
                        }
                    }
                } else if path.ends_with("-outcomes.csv") {
                    assert_eq!(header.join(","), records::OUTCOMES_HEADER);
                    assert!(!path.contains("northern-ireland") && !path.contains("btp"));
                    outcome_rows += records.len() as u64;
                    for r in &records {
                        assert_eq!(r.len(), 10);
                        assert_eq!(r[1], month);
                        assert!(
                            month_ids.contains(&r[0]) || street_ids.contains(&r[0]),
                            "outcome for unknown crime {}",
                            r[0]
                        );
                        assert!(reference::outcome_code_for_csv_name(&r[9]).is_some());
                        if r[4].is_empty() {
                            assert_eq!(r[6], "No location");
                        }
                    }
                } else {
                    assert!(path.ends_with("-stop-and-search.csv"), "{path}");
                    assert_eq!(header.join(","), records::STOPS_HEADER);
                    assert!(!path.contains("northern-ireland"));
                    stop_rows += records.len() as u64;
                    for r in &records {
                        assert_eq!(r.len(), 15);
                        assert_eq!(r[1].len(), 25);
                        assert!(r[1].ends_with("+00:00"));
                        if !r[1].starts_with(&month) {
                            spill_into_previous_month += 1;
                            assert!(r[1][11..].starts_with("23:"), "{}", r[1]);
                        }
                    }
                }
            }
            assert_eq!(month_rows, options.crimes_per_month, "{month}");
            street_rows += month_rows;
            // Crime ids are unique across the whole archive.
            for id in month_ids {
                assert!(street_ids.insert(id));
            }
        }
        assert_eq!(summary.street_rows, street_rows);
        assert_eq!(summary.outcome_rows, outcome_rows);
        assert_eq!(summary.stop_rows, stop_rows);
        assert!(outcome_rows > street_rows / 2);
        assert!(stop_rows > street_rows / 25 && stop_rows < street_rows / 8, "{stop_rows}");
        // April is in summer time: searches just after local midnight on the 1st are dated
        // the 31st of March in UTC.
        assert!(spill_into_previous_month > 0);
        let share = no_location as f64 / street_rows as f64;
        assert!((0.01..0.03).contains(&share), "no-location share {share}");
        // Dorset's LSOA names contain a comma and come quoted.
        let dorset = &all["2024-02/2024-02-dorset-street.csv"];
        assert!(
            String::from_utf8_lossy(dorset).contains(",\"Bournemouth, Christchurch and Poole 0")
        );
    }

    #[test]
    fn categories_are_plausibly_mixed() {
        let options = GenerateOptions { months: 1, crimes_per_month: 30_000, ..small() };
        let (dir, _) = generated(&options);
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        let mut per_point: BTreeMap<(String, String), u64> = BTreeMap::new();
        for (path, bytes) in files(dir.path()) {
            if path.ends_with("-street.csv") {
                for r in rows(&bytes).1 {
                    *counts.entry(r[9].clone()).or_default() += 1;
                    *per_point.entry((r[4].clone(), r[5].clone())).or_default() += 1;
                }
            }
        }
        let share = |name: &str| counts[name] as f64 / 30_000.0;
        assert!((0.22..0.36).contains(&share("Violence and sexual offences")));
        assert!((0.13..0.25).contains(&share("Anti-social behaviour")));
        assert!((0.04..0.1).contains(&share("Shoplifting")));
        assert!(share("Robbery") < 0.02);
        // Busy points: the top point alone holds far more than an average one.
        let max = per_point.values().max().unwrap();
        let mean = 30_000.0 / per_point.len() as f64;
        assert!(*max as f64 > 20.0 * mean, "max {max} mean {mean}");
    }

    /// Polygons, each a list of rings (outer first), each unclosed.
    type Polygons = Vec<Vec<Vec<[i64; 2]>>>;

    /// Parses a KML file into polygons, checking that tags nest properly.
    fn parse_kml(text: &str) -> Polygons {
        let mut stack: Vec<String> = Vec::new();
        let mut polygons: Polygons = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find('<') {
            let content = &rest[..start];
            let end = rest[start..].find('>').expect("tag closes") + start;
            let tag = &rest[start + 1..end];
            if stack.last().map(String::as_str) == Some("coordinates") {
                let mut ring: Vec<[i64; 2]> = content
                    .split_whitespace()
                    .map(|pair| {
                        let (lng, lat) = pair.split_once(',').unwrap();
                        let micro = |t: &str| (t.parse::<f64>().unwrap() * 1e6).round() as i64;
                        [micro(lng), micro(lat)]
                    })
                    .collect();
                assert!(ring.len() >= 4 && ring.first() == ring.last(), "ring not closed");
                ring.pop();
                polygons.last_mut().unwrap().push(ring);
            }
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name));
            } else if !tag.starts_with('?') && !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap().to_owned();
                if name == "Polygon" {
                    polygons.push(Vec::new());
                }
                stack.push(name);
            }
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty());
        polygons
    }

    fn contains(polygons: &Polygons, p: [i64; 2]) -> bool {
        polygons.iter().any(|rings| {
            geo::point_in_ring(p, &rings[0]) && !rings[1..].iter().any(|h| geo::point_in_ring(p, h))
        })
    }

    #[test]
    fn boundaries_tile_and_cover_the_snap_points() {
        let options = GenerateOptions { months: 1, ..small() };
        let (dir, summary) = generated(&options);
        assert_eq!(summary.neighbourhoods, 16 * options.forces.len() as u64);
        let all = files(dir.path());
        let mut multi = 0;
        let mut holes = 0;
        for force in &options.forces {
            let boundaries: Vec<(PathBuf, Polygons)> = all
                .range(format!("boundaries/{force}/")..format!("boundaries/{force}/~"))
                .map(|(path, bytes)| {
                    (PathBuf::from(path), parse_kml(std::str::from_utf8(bytes).unwrap()))
                })
                .collect();
            assert_eq!(boundaries.len(), 16, "{force}");
            multi += boundaries.iter().filter(|(_, p)| p.len() > 1).count();
            holes +=
                boundaries.iter().filter(|(_, p)| p.iter().any(|rings| rings.len() > 1)).count();
            if force == "kent" {
                assert!(boundaries.iter().all(|(path, _)| {
                    path.file_stem().unwrap().to_str().unwrap().bytes().all(|b| b.is_ascii_digit())
                }));
            }
            let street = &all[&format!("2024-02/2024-02-{force}-street.csv")];
            let (_, records) = rows(street);
            for r in records.iter().step_by(5).filter(|r| !r[4].is_empty()) {
                let micro = |t: &str| (t.parse::<f64>().unwrap() * 1e6).round() as i64;
                let p = [micro(&r[4]), micro(&r[5])];
                let n = boundaries.iter().filter(|(_, polygons)| contains(polygons, p)).count();
                assert_eq!(n, 1, "{force}: point {p:?} in {n} neighbourhoods");
            }
        }
        assert!(multi > 0, "no multi-part neighbourhoods");
        assert!(holes > 0, "no neighbourhoods with holes");
    }

    #[test]
    fn splits_sum_exactly() {
        assert_eq!(split(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        let parts = split(500_000, &[95.0, 0.7, 13.3, 29.0, 8.0]);
        assert_eq!(parts.iter().sum::<u64>(), 500_000);
        assert_eq!(split(0, &[1.0]), vec![0]);
        let demo = plan(&GenerateOptions::demo()).unwrap();
        assert!(demo.iter().all(|f| f.crimes.len() == 12));
        for m in 0..12 {
            assert_eq!(demo.iter().map(|f| f.crimes[m]).sum::<u64>(), 20_000);
        }
        let national = GenerateOptions::national(36);
        assert_eq!(national.forces.len(), 44);
        assert_eq!(national.first_month.to_string(), "2022-01");
        assert!(plan(&GenerateOptions { forces: vec!["atlantis".into()], ..small() }).is_err());
    }

    /// `cargo test --release -p police-generate -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn timing() {
        for (name, options) in
            [("demo", GenerateOptions::demo()), ("national(1)", GenerateOptions::national(1))]
        {
            let dir = tempfile::tempdir().unwrap();
            let start = std::time::Instant::now();
            let summary = generate(&options, dir.path()).unwrap();
            println!("{name}: {:.2} s, {summary:?}", start.elapsed().as_secs_f64());
        }
    }
}
