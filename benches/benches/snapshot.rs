//! Criterion benchmark of loading the snapshot out of PostgreSQL:
//!
//! * `snapshot/load_national_month`: `Snapshot::load` (`COPY … TO STDOUT` out of the store,
//!   then the index build) on one generated national month (`GenerateOptions::national(1)`)
//!   imported into a throwaway embedded PostgreSQL (`ImportedNationalArchive`, set up once per
//!   run, about half a minute).
//!
//! It needs PostgreSQL's server binaries (`initdb`, `postgres`, on PATH or under
//! `/usr/lib/postgresql/*/bin`); without them it says so and exits successfully without
//! measuring anything. The other criterion benchmarks (`national`) need no database.
//!
//! `cargo bench -p police-benches --bench snapshot`

use std::time::Duration;

use criterion::{Criterion, SamplingMode};
use police_benches::ImportedNationalArchive;
use police_store::embedded::server_binaries_dir;
use police_store::snapshot::Snapshot;

fn main() -> anyhow::Result<()> {
    let mut criterion = Criterion::default().configure_from_args();
    if let Err(missing) = server_binaries_dir() {
        eprintln!(
            "snapshot/load_national_month skipped: it loads from a throwaway PostgreSQL, and \
             {missing:#}"
        );
        return Ok(());
    }
    eprintln!("machine: {}", police_benches::machine_description());
    eprintln!("setting up: generating and importing a national month (about half a minute)");
    let archive = ImportedNationalArchive::create(1)?;
    let mut group = criterion.benchmark_group("snapshot");
    // One to two seconds per load: ten loads, each its own sample.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(25));
    group.bench_function("load_national_month", |b| {
        b.iter_with_large_drop(|| Snapshot::load(&archive.database_url).expect("loads"))
    });
    group.finish();
    criterion.final_summary();
    archive.stop()
}
