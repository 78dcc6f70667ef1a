//! Shared pieces of the benchmarks: the generated national archive built into the in-memory
//! index in process ([`InProcessIndex`], no database) or imported into a throwaway PostgreSQL
//! ([`ImportedNationalArchive`]), picking query centres and points, and describing the machine
//! a figure was measured on.

pub mod in_process;

pub use in_process::InProcessIndex;

use std::path::Path;
use std::process::Command;

use anyhow::Context;
use police_generate::{generate, GenerateOptions};
use police_index::crimes::CrimeIndex;
use police_index::neighbourhoods::BoundaryIndex;
use police_index::spatial::{Area, ONE_MILE_M};
use police_index::Month;
use police_store::embedded::{EmbeddedOptions, EmbeddedPostgres};
use police_store::import::{import_paths, ImportOptions, ImportSummary, Silent};

/// `GenerateOptions::national(months)` generated and imported into a fresh embedded
/// PostgreSQL in a temporary directory (or one kept, see
/// [`ImportedNationalArchive::create_in`]); the archive itself is deleted once imported.
/// Dropping this stops the server and removes a temporary directory.
pub struct ImportedNationalArchive {
    /// The libpq URL of the imported database.
    pub database_url: String,
    /// What the import did; `None` when an import kept from an earlier run was reused.
    pub summary: Option<ImportSummary>,
    // Declared before `scratch` so the server stops before its data directory is removed.
    cluster: EmbeddedPostgres,
    /// The temporary directory, unless the data is kept in a directory given.
    scratch: Option<tempfile::TempDir>,
}

impl ImportedNationalArchive {
    /// Generates, starts PostgreSQL and imports: about half a minute per month. Fails with a
    /// clear message when PostgreSQL's server binaries (`initdb`, `postgres`) cannot be found.
    pub fn create(months: u32) -> anyhow::Result<ImportedNationalArchive> {
        Self::create_in(months, None)
    }

    /// Like [`ImportedNationalArchive::create`], but with `keep`, in that directory and kept
    /// there: a later call with the same directory (and months) starts the server on the
    /// import already made instead of generating and importing anew.
    pub fn create_in(months: u32, keep: Option<&Path>) -> anyhow::Result<ImportedNationalArchive> {
        let scratch = match keep {
            None => Some(tempfile::tempdir()?),
            Some(_) => None,
        };
        let dir = match (&scratch, keep) {
            (Some(temporary), _) => temporary.path().to_owned(),
            (None, Some(kept)) => kept.to_owned(),
            (None, None) => unreachable!("a temporary directory is made when none is kept"),
        };
        // Written once the import has finished, with the number of months imported.
        let imported_marker = dir.join("imported-months");
        let already_imported = std::fs::read_to_string(&imported_marker).ok();
        if let Some(imported) = &already_imported {
            anyhow::ensure!(
                imported.trim() == months.to_string(),
                "{} holds {} imported month(s), not {months}",
                dir.display(),
                imported.trim()
            );
        }
        let cluster =
            EmbeddedPostgres::start(EmbeddedOptions { data_dir: dir.join("data"), durable: true })
                .context(
                    "the benchmarks import into a throwaway PostgreSQL and need its server \
                     binaries (initdb, postgres) on PATH or under /usr/lib/postgresql/*/bin",
                )?;
        let database_url = cluster.database_url();
        let mut summary = None;
        if already_imported.is_none() {
            let archive = dir.join("archive");
            generate(&GenerateOptions::national(months), &archive)
                .context("generating the national archive")?;
            police_store::db::run_migrations(&mut police_store::db::connect(&database_url)?)?;
            let imported = import_paths(
                &database_url,
                std::slice::from_ref(&archive),
                &ImportOptions::default(),
                &Silent,
            )?;
            anyhow::ensure!(
                imported.problems() == 0,
                "the generated archive did not import cleanly"
            );
            std::fs::remove_dir_all(&archive)?;
            std::fs::write(&imported_marker, months.to_string())?;
            summary = Some(imported);
        }
        Ok(ImportedNationalArchive { database_url, summary, cluster, scratch })
    }

    /// Stops the server, reporting a failure to do so, and removes a temporary directory.
    pub fn stop(self) -> anyhow::Result<()> {
        let ImportedNationalArchive { cluster, scratch, .. } = self;
        cluster.stop()?;
        drop(scratch);
        Ok(())
    }
}

/// A one-mile circle (what `lat`/`lng` ask for) around snap point `point`.
pub fn one_mile_circle(index: &CrimeIndex, point: u32) -> Area {
    let centre = index.point(point);
    Area::Circle { lat: centre.latitude, lng: centre.longitude, radius_m: ONE_MILE_M }
}

/// Every `stride`-th snap point with the number of `month`'s crimes within a mile of it,
/// densest first (ties by point number, highest first).
pub fn one_mile_centres_by_density(
    index: &CrimeIndex,
    month: Month,
    stride: usize,
) -> Vec<(usize, u32)> {
    let mut centres: Vec<(usize, u32)> = (0..index.point_count() as u32)
        .step_by(stride)
        .map(|p| {
            let area = one_mile_circle(index, p);
            (index.crimes_in_area(month, &area, None, None).map_or(0, |c| c.len()), p)
        })
        .collect();
    centres.sort_unstable_by(|a, b| b.cmp(a));
    centres
}

/// A regular polygon in police.uk's `poly` syntax (`lat,lng:lat,lng:…`) with `vertices`
/// corners `radius_m` metres from the centre (a flat-earth approximation, fine at this size).
pub fn regular_poly(lat: f64, lng: f64, radius_m: f64, vertices: usize) -> String {
    const METRES_PER_DEGREE_OF_LATITUDE: f64 = 111_320.0;
    let d_lat = radius_m / METRES_PER_DEGREE_OF_LATITUDE;
    let d_lng = d_lat / lat.to_radians().cos();
    (0..vertices)
        .map(|i| {
            let angle = std::f64::consts::TAU * i as f64 / vertices as f64;
            format!("{:.6},{:.6}", lat + d_lat * angle.sin(), lng + d_lng * angle.cos())
        })
        .collect::<Vec<_>>()
        .join(":")
}

/// xorshift64*: a small, seeded, reproducible source of query points.
#[derive(Debug, Clone)]
pub struct QueryPointRng(u64);

impl QueryPointRng {
    /// A generator seeded with `seed` (must not be zero).
    pub fn new(seed: u64) -> QueryPointRng {
        assert_ne!(seed, 0, "xorshift needs a non-zero seed");
        QueryPointRng(seed)
    }

    /// A uniform number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `count` points known to be inside a neighbourhood: a random point of a random boundary's
/// bounding box, kept when the boundary contains it.
pub fn points_inside_boundaries(
    index: &BoundaryIndex,
    count: usize,
    rng: &mut QueryPointRng,
) -> Vec<(f64, f64)> {
    assert!(!index.is_empty(), "no boundaries to pick points inside");
    let mut inside = Vec::with_capacity(count);
    while inside.len() < count {
        let number = (rng.unit() * index.len() as f64) as usize;
        let boundary = index.boundary(number).expect("in range");
        let Some((a, b, c, d)) = boundary.bounding_box() else { continue };
        let (lat, lng) = (a + (c - a) * rng.unit(), b + (d - b) * rng.unit());
        if boundary.contains(lat, lng) {
            inside.push((lat, lng));
        }
    }
    inside
}

/// The value of `--months N` on the command line (default 1).
pub fn months_arg() -> anyhow::Result<u32> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--months") {
        None => Ok(1),
        Some(i) => {
            let value = args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--months needs a value"))?;
            Ok(value.parse()?)
        }
    }
}

/// One line naming the machine: CPU model, core count, memory, kernel.
pub fn machine_description() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':'])))
        .unwrap_or("unknown CPU")
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    let kernel = Command::new("uname")
        .arg("-r")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{model}, {cores} cores, {memory_gib:.0} GiB RAM, Linux {kernel}")
}

/// Starts a new peak: this process's `VmHWM` becomes its present resident size.
pub fn reset_peak_memory() -> anyhow::Result<()> {
    std::fs::write("/proc/self/clear_refs", "5")?;
    Ok(())
}

/// A memory field of this process's `/proc/self/status` in bytes (`VmRSS`, `VmHWM`); 0 when
/// it cannot be read.
pub fn process_status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}
