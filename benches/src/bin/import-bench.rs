//! Import speed on a generated national-size month.
//!
//! `cargo run --release -p police-benches --bin import-bench [-- --months N]`
//!
//! Generates the national preset (every force, 500,000 crimes a month over 750,000 snap
//! points) into a scratch folder, starts a durable embedded PostgreSQL in another, imports
//! the archive through the same path as `police-api import`, imports it again (nothing to
//! do), and prints a Markdown table for `benches/RESULTS.md`.

use std::time::Instant;

use police_generate::{generate, GenerateOptions};
use police_store::embedded::{EmbeddedOptions, EmbeddedPostgres};
use police_store::import::{import_paths, FileKind, FileStatus, ImportOptions, Silent};

fn main() -> anyhow::Result<()> {
    let months = police_benches::months_arg()?;
    let scratch = tempfile::tempdir()?;
    let archive = scratch.path().join("archive");
    let options = GenerateOptions::national(months);
    let started = Instant::now();
    let generated = generate(&options, &archive)?;
    let generate_seconds = started.elapsed().as_secs_f64();

    let cluster = EmbeddedPostgres::start(EmbeddedOptions {
        data_dir: scratch.path().join("data"),
        durable: true,
    })?;
    let mut conn = police_store::db::connect(&cluster.database_url())?;
    police_store::db::run_migrations(&mut conn)?;

    let first = import_paths(
        &cluster.database_url(),
        std::slice::from_ref(&archive),
        &ImportOptions::default(),
        &Silent,
    )?;
    anyhow::ensure!(first.problems() == 0, "the generated archive did not import cleanly");
    let again =
        import_paths(&cluster.database_url(), &[archive], &ImportOptions::default(), &Silent)?;
    anyhow::ensure!(again.imported() == 0, "a second import wrote rows");

    let rows_of = |kind: FileKind| -> (u64, f64) {
        first
            .files
            .iter()
            .filter(|f| f.kind == kind && matches!(f.status, FileStatus::Imported { .. }))
            .fold((0, 0.0), |(rows, secs), f| (rows + f.rows_read, secs + f.elapsed.as_secs_f64()))
    };
    println!("Machine: {}", police_benches::machine_description());
    println!(
        "Archive: {months} month(s), {} street + {} outcome + {} stop rows, {} files, {:.0} MB, generated in {generate_seconds:.1} s\n",
        generated.street_rows,
        generated.outcome_rows,
        generated.stop_rows,
        generated.files,
        generated.bytes as f64 / 1e6
    );
    println!(
        "Workers: {} (files of different forces import in parallel; per-kind times below are \
         summed over workers)\n",
        ImportOptions::default().workers
    );
    println!("| what | rows | seconds | rows/s |");
    println!("|---|---:|---:|---:|");
    for kind in FileKind::ALL {
        let (rows, secs) = rows_of(kind);
        println!(
            "| import, {kind} files (worker-seconds) | {rows} | {secs:.2} | {:.0} per worker |",
            rows as f64 / secs
        );
    }
    let csv_seconds = first.elapsed.saturating_sub(first.reference_elapsed).as_secs_f64();
    println!(
        "| import, monthly CSV files (wall) | {} | {csv_seconds:.2} | {:.0} |",
        first.rows_read(),
        first.rows_per_second()
    );
    println!(
        "| import, {} force and neighbourhood files (wall, after the CSVs) | — | {:.2} | — |",
        first.reference.len(),
        first.reference_elapsed.as_secs_f64()
    );
    println!(
        "| re-import, unchanged (checksums only) | {} | {:.2} | — |",
        again.rows_read(),
        again.elapsed.as_secs_f64()
    );
    drop(conn);
    cluster.stop()?;
    Ok(())
}
