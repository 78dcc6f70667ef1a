//! `locate-neighbourhood` on national-size boundaries: the generator's 44 forces × 80
//! neighbourhoods (`GenerateOptions::national`), read back through the importer's KML parser,
//! indexed, and queried in-process. With `--import`, also times importing the generated
//! boundaries and force/neighbourhood pages into a fresh embedded PostgreSQL and loading them
//! into a snapshot.
//!
//! `cargo run --release -p police-benches --bin locate-bench [-- --import]`

use std::path::{Path, PathBuf};
use std::time::Instant;

use police_benches::{points_inside_boundaries, QueryPointRng};
use police_generate::{generate, GenerateOptions};
use police_index::neighbourhoods::{Boundary, BoundaryIndex};
use police_index::reference::FORCES;
use police_store::embedded::{EmbeddedOptions, EmbeddedPostgres};
use police_store::import::kml::parse_kml;
use police_store::import::{import_paths, FileStatus, ImportOptions, Silent};
use police_store::snapshot::Snapshot;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Every `boundaries/<force>/<id>.kml`, in `/api/forces` order, then by file name.
fn kml_files(archive: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for force in FORCES {
        let dir = archive.join("boundaries").join(force.id);
        let mut names: Vec<PathBuf> =
            std::fs::read_dir(&dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
        names.sort();
        files.extend(names);
    }
    Ok(files)
}

/// Times `lookups` queries at the given points; returns sorted per-lookup microseconds and
/// how many found a neighbourhood.
fn time_lookups(index: &BoundaryIndex, points: &[(f64, f64)]) -> (Vec<f64>, usize) {
    let mut micros = Vec::with_capacity(points.len());
    let mut found = 0;
    for &(lat, lng) in points {
        let started = Instant::now();
        let hit = index.locate(lat, lng);
        micros.push(started.elapsed().as_secs_f64() * 1e6);
        found += usize::from(std::hint::black_box(hit).is_some());
    }
    micros.sort_by(f64::total_cmp);
    (micros, found)
}

fn main() -> anyhow::Result<()> {
    let with_import = std::env::args().any(|a| a == "--import");
    println!("machine: {}", police_benches::machine_description());
    let scratch = tempfile::tempdir()?;
    let archive = scratch.path().join("archive");
    // Boundaries and pages only: no months of crimes, a token number of snap points.
    let options = GenerateOptions {
        months: 0,
        crimes_per_month: 0,
        snap_points: 44,
        ..GenerateOptions::national(1)
    };
    let started = Instant::now();
    let generated = generate(&options, &archive)?;
    println!(
        "generated {} neighbourhood boundaries and their pages ({} files, {:.1} MB) in {:.2} s",
        generated.neighbourhoods,
        generated.files,
        generated.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let files = kml_files(&archive)?;
    let mut boundaries: Vec<Boundary> = Vec::with_capacity(files.len());
    for file in &files {
        let parsed = parse_kml(&std::fs::read(file)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        boundaries.push(parsed.boundary);
    }
    let parse_seconds = started.elapsed().as_secs_f64();
    let parts: usize = boundaries.iter().map(|b| b.parts.len()).sum();
    let holes: usize = boundaries.iter().flat_map(|b| &b.parts).map(|p| p.len() - 1).sum();
    let vertices: usize = boundaries.iter().flat_map(|b| &b.parts).flatten().map(Vec::len).sum();
    let (mut min_lat, mut min_lng, mut max_lat, mut max_lng) =
        (90.0f64, 180.0f64, -90.0f64, -180.0f64);
    for b in &boundaries {
        if let Some((a, b, c, d)) = b.bounding_box() {
            (min_lat, min_lng, max_lat, max_lng) =
                (min_lat.min(a), min_lng.min(b), max_lat.max(c), max_lng.max(d));
        }
    }
    let started = Instant::now();
    let index = BoundaryIndex::new(boundaries);
    let build_ms = started.elapsed().as_secs_f64() * 1e3;
    println!(
        "{} boundaries, {parts} parts, {holes} holes, {vertices} vertices; KML parse {parse_seconds:.2} s, \
         R-tree build {build_ms:.1} ms",
        index.len()
    );

    // Uniform points over the boundaries' bounding box (land and sea, hits and misses), and
    // points known to be inside a boundary (a random point of a random boundary's box, kept
    // when a brute-force test finds it inside).
    let mut rng = QueryPointRng::new(0x9e37_79b9_7f4a_7c15);
    let uniform: Vec<(f64, f64)> = (0..1_000_000)
        .map(|_| {
            (min_lat + (max_lat - min_lat) * rng.unit(), min_lng + (max_lng - min_lng) * rng.unit())
        })
        .collect();
    let inside = points_inside_boundaries(&index, 200_000, &mut rng);

    // Correctness on a sample, and the brute force's speed for comparison.
    let sample = &uniform[..2_000];
    let started = Instant::now();
    let brute: Vec<Option<usize>> =
        sample.iter().map(|&(lat, lng)| index.locate_brute_force(lat, lng)).collect();
    let brute_micros = started.elapsed().as_secs_f64() * 1e6 / sample.len() as f64;
    for (&(lat, lng), expected) in sample.iter().zip(&brute) {
        anyhow::ensure!(
            index.locate(lat, lng) == *expected,
            "index and brute force differ at {lat},{lng}"
        );
    }

    for (name, points) in
        [("uniform over the bounding box", &uniform), ("inside a boundary", &inside)]
    {
        let _warm = time_lookups(&index, &points[..points.len() / 10]);
        let started = Instant::now();
        let (micros, found) = time_lookups(&index, points);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{name}: {} lookups, {:.1}% found; p50 {:.2} µs, p99 {:.2} µs, max {:.1} µs; {:.0} lookups/s on one thread",
            points.len(),
            100.0 * found as f64 / points.len() as f64,
            percentile(&micros, 0.5),
            percentile(&micros, 0.99),
            micros.last().copied().unwrap_or_default(),
            points.len() as f64 / seconds,
        );
    }
    println!("brute force over every boundary: {brute_micros:.0} µs per lookup (2,000 lookups)");

    if with_import {
        let cluster = EmbeddedPostgres::start(EmbeddedOptions {
            data_dir: scratch.path().join("data"),
            durable: true,
        })?;
        let url = cluster.database_url();
        police_store::db::run_migrations(&mut police_store::db::connect(&url)?)?;
        let started = Instant::now();
        let summary =
            import_paths(&url, std::slice::from_ref(&archive), &ImportOptions::default(), &Silent)?;
        let import_seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(summary.problems() == 0, "the generated pages did not import cleanly");
        let imported = summary.reference_count(|s| matches!(s, FileStatus::Imported { .. }));
        let started = Instant::now();
        let again =
            import_paths(&url, std::slice::from_ref(&archive), &ImportOptions::default(), &Silent)?;
        let again_seconds = started.elapsed().as_secs_f64();
        anyhow::ensure!(again.reference_count(|s| *s == FileStatus::Unchanged) == imported);
        let started = Instant::now();
        let snapshot = Snapshot::load(&url)?;
        let load_seconds = started.elapsed().as_secs_f64();
        println!(
            "import of {imported} force and neighbourhood files (default --jobs {}): \
             {import_seconds:.2} s ({:.0} files/s); unchanged re-import {again_seconds:.2} s; \
             snapshot load {load_seconds:.2} s ({} neighbourhoods, {} boundaries)",
            ImportOptions::default().workers,
            imported as f64 / import_seconds,
            snapshot.neighbourhoods.neighbourhood_count(),
            snapshot.neighbourhoods.boundaries().len(),
        );
    }
    Ok(())
}
