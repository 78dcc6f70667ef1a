//! A month's publication reaching a running server: the next snapshot built on the one it
//! serves (the new month read, the oldest dropped, every other month shared) against the
//! same snapshot loaded whole, on N generated national months.
//!
//! `cargo run --release -p police-benches --bin update-bench [-- --months N]`
//!
//! Generates and imports months 1..N into a throwaway PostgreSQL, loads the snapshot, then
//! imports month N+1 (generated with the year before it, so its outcomes refer to their
//! crimes) with
//! a retention window of N months, as `police-api sync` does, and builds the next snapshot
//! on the first, as `serve` does on the import's notification. Then it drops both and loads
//! the same store whole. For each step: the time, the process's peak resident memory during
//! it (`VmHWM`, reset before the step through `/proc/self/clear_refs`) and its resident
//! memory after.

use std::time::Instant;

use police_benches::{
    months_arg, process_status_bytes, reset_peak_memory, ImportedNationalArchive,
};
use police_generate::{generate, GenerateOptions};
use police_store::import::{import_paths, ImportOptions, Silent};
use police_store::snapshot::{Snapshot, SnapshotBuild};

fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / 1048576.0)
}

/// Time, peak and resident memory of one step.
struct Step {
    seconds: f64,
    peak: u64,
    after: u64,
}

fn measure<T>(work: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, Step)> {
    reset_peak_memory()?;
    let started = Instant::now();
    let value = work()?;
    let seconds = started.elapsed().as_secs_f64();
    Ok((
        value,
        Step { seconds, peak: process_status_bytes("VmHWM"), after: process_status_bytes("VmRSS") },
    ))
}

fn main() -> anyhow::Result<()> {
    let months = months_arg()?;
    eprintln!("update-bench: generating and importing {months} national months");
    let archive = ImportedNationalArchive::create(months)?;
    eprintln!("update-bench: imported; measuring (keep the machine quiet)");
    let url = archive.database_url.clone();
    let before_any = process_status_bytes("VmRSS");

    let (first, loaded) = measure(|| Snapshot::load(&url))?;
    let crimes_before = first.index.crime_count();

    // Month N+1, generated with up to 12 months before it so that its outcomes refer to
    // their crimes (each month comes from its own seeded stream, so those months are the
    // ones imported; the generator's outcomes follow their crime within a year).
    eprintln!("update-bench: generating month {} and the months before it", months + 1);
    let generated = tempfile::tempdir()?;
    let base = GenerateOptions::national(months);
    let next_month = base.first_month.plus(i32::try_from(months)?).expect("a valid month");
    let window = months.min(12);
    let window_start = next_month.plus(-i32::try_from(window)?).expect("a valid month");
    let next = GenerateOptions { first_month: window_start, months: window + 1, ..base };
    generate(&next, generated.path())?;
    let next_folder = generated.path().join(next_month.to_string());
    let import_started = Instant::now();
    let options = ImportOptions { keep_months: months, ..ImportOptions::default() };
    let imported = import_paths(&url, std::slice::from_ref(&next_folder), &options, &Silent)?;
    anyhow::ensure!(imported.problems() == 0, "month {next_month} did not import cleanly");
    let mut conn = police_store::db::connect(&url)?;
    let retention = police_store::retention::keep_newest_months(&mut conn, months)?;
    let import_seconds = import_started.elapsed().as_secs_f64();
    drop(generated);

    eprintln!("update-bench: month {next_month} imported; measuring (keep the machine quiet)");
    let (updated, update) = measure(|| Snapshot::load_after(&url, Some(&first)))?;
    let SnapshotBuild::Updated { added, removed } = &updated.build else {
        anyhow::bail!("the snapshot was not updated: {:?}", updated.build);
    };
    let (added, removed) = (added.clone(), removed.clone());
    let crimes_after = updated.index.crime_count();
    let updated_heap = updated.index.memory_report().total() as u64;
    drop(first);
    let only_updated = process_status_bytes("VmRSS");
    drop(updated);

    let (whole, whole_step) = measure(|| Snapshot::load(&url))?;
    anyhow::ensure!(whole.index.crime_count() == crimes_after, "the two snapshots differ");
    let whole_heap = whole.index.memory_report().total() as u64;
    drop(whole);

    println!("Machine: {}", police_benches::machine_description());
    println!(
        "Data: {months} generated national months ({crimes_before} crimes), then month \
         {next_month} imported in {import_seconds:.1} s with --keep-months {months} \
         ({} rows; retention dropped {} rows): {crimes_after} crimes. The update read {:?} \
         and dropped {:?}.\n",
        imported.rows_accepted(),
        retention.rows_deleted,
        added.iter().map(ToString::to_string).collect::<Vec<_>>(),
        removed.iter().map(ToString::to_string).collect::<Vec<_>>(),
    );
    println!("| step | time | peak resident memory | resident after |");
    println!("|---|---:|---:|---:|");
    println!("| process before any snapshot | | | {} |", mib(before_any));
    println!(
        "| first snapshot, loaded whole | {:.2} s | {} | {} |",
        loaded.seconds,
        mib(loaded.peak),
        mib(loaded.after)
    );
    println!(
        "| next snapshot, built on the first (both held, as while serving) | {:.2} s | {} | {} |",
        update.seconds,
        mib(update.peak),
        mib(update.after)
    );
    println!("| the first dropped: only the updated snapshot held | | | {} |", mib(only_updated));
    println!(
        "| the same store loaded whole (nothing else held) | {:.2} s | {} | {} |",
        whole_step.seconds,
        mib(whole_step.peak),
        mib(whole_step.after)
    );
    println!(
        "\nThe crime index's own heap (`memory_report`): {} updated, {} loaded whole.",
        mib(updated_heap),
        mib(whole_heap)
    );
    archive.stop()
}
