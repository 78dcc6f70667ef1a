//! The in-memory index on a generated national month: snapshot build time from
//! PostgreSQL, resident memory per crime, and the latency of dense one-mile queries.
//!
//! `cargo run --release -p police-benches --bin index-bench [-- --months N] [--keep DIR]`
//!
//! With `--keep DIR` the generated months are imported into an embedded PostgreSQL under
//! `DIR` and kept there: a later run with the same `DIR` (and the same `--months`) measures
//! the snapshot again without generating and importing anew.

use std::path::PathBuf;
use std::time::Instant;

use police_benches::{
    one_mile_centres_by_density, one_mile_circle, process_status_bytes, ImportedNationalArchive,
};
use police_store::snapshot::Snapshot;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The value of `--keep DIR`, if given.
fn keep_arg() -> anyhow::Result<Option<PathBuf>> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--keep") {
        None => Ok(None),
        Some(i) => {
            let value = args.get(i + 1).ok_or_else(|| anyhow::anyhow!("--keep needs a value"))?;
            Ok(Some(PathBuf::from(value)))
        }
    }
}

fn main() -> anyhow::Result<()> {
    let months = police_benches::months_arg()?;
    let keep = keep_arg()?;
    let archive = ImportedNationalArchive::create_in(months, keep.as_deref())?;
    let url = archive.database_url.clone();

    let rss_before = process_status_bytes("VmRSS");
    police_benches::reset_peak_memory()?;
    let started = Instant::now();
    let snapshot = Snapshot::load(&url)?;
    let build_seconds = started.elapsed().as_secs_f64();
    let build_peak = process_status_bytes("VmHWM");
    // What the server prepares from a snapshot, in the same measure.
    let locations = police_api::json_writer::PointLocations::new(&snapshot.index);
    let rss_after = process_status_bytes("VmRSS");
    let index = &snapshot.index;
    let crimes = index.crime_count();
    let month = snapshot.latest_crime_month.expect("data was imported");

    // Dense centres: the snap points with the most crimes within a mile, found by sampling.
    let candidates = one_mile_centres_by_density(index, month, 97);
    let dense: Vec<u32> = candidates.iter().take(50).map(|(_, p)| *p).collect();
    let rural: Vec<u32> =
        candidates.iter().rev().filter(|(n, _)| *n > 0).take(50).map(|(_, p)| *p).collect();

    let measure = |points: &[u32]| -> (Vec<f64>, Vec<f64>, usize, usize) {
        let (mut query_us, mut total_us, mut results, mut bytes) = (Vec::new(), Vec::new(), 0, 0);
        for round in 0..20 {
            for &p in points {
                let area = one_mile_circle(index, p);
                let started = Instant::now();
                let found = index.crimes_in_area(month, &area, None, None).expect("no cap");
                let queried = started.elapsed();
                let json = police_api::render::crimes_json(&found, &locations);
                let rendered = started.elapsed();
                if round > 0 {
                    query_us.push(queried.as_secs_f64() * 1e6);
                    total_us.push(rendered.as_secs_f64() * 1e6);
                    results += found.len();
                    bytes += json.len();
                }
            }
        }
        query_us.sort_by(f64::total_cmp);
        total_us.sort_by(f64::total_cmp);
        (query_us, total_us, results, bytes)
    };

    println!("Machine: {}", police_benches::machine_description());
    println!(
        "Data: {months} generated national month(s): {crimes} crimes, {} snap points, {} outcomes\n",
        index.point_count(),
        index.outcome_count()
    );
    println!("| measure | value |");
    println!("|---|---:|");
    println!("| snapshot build from PostgreSQL (COPY, index build) | {build_seconds:.2} s |");
    println!(
        "| resident memory added by the snapshot | {:.0} MiB ({:.0} bytes per crime, outcomes and snap points included) |",
        (rss_after.saturating_sub(rss_before)) as f64 / 1048576.0,
        (rss_after.saturating_sub(rss_before)) as f64 / crimes as f64
    );
    let resident = process_status_bytes("VmRSS");
    println!(
        "| peak resident memory during the build, against resident after it | {:.0} MiB, {:.2}x the {:.0} MiB after |",
        build_peak as f64 / 1048576.0,
        build_peak as f64 / resident as f64,
        resident as f64 / 1048576.0
    );
    let memory = index.memory_report();
    for (component, bytes) in &memory.components {
        println!(
            "| crime index: {component} | {:.1} MiB ({:.1} bytes per crime) |",
            *bytes as f64 / 1048576.0,
            *bytes as f64 / crimes as f64
        );
    }
    println!(
        "| crime index: total heap | {:.1} MiB ({:.1} bytes per crime) |",
        memory.total() as f64 / 1048576.0,
        memory.total() as f64 / crimes as f64
    );
    for (label, points) in [("dense (city centre)", &dense), ("countryside", &rural)] {
        let (query, total, results, bytes) = measure(points);
        let n = query.len();
        println!("| 1-mile query, {label}: crimes per answer | {:.0} |", results as f64 / n as f64);
        println!(
            "| 1-mile query, {label}: index only p50 / p99 | {:.0} µs / {:.0} µs |",
            percentile(&query, 0.5),
            percentile(&query, 0.99)
        );
        println!(
            "| 1-mile query, {label}: index + JSON p50 / p99 | {:.0} µs / {:.0} µs ({:.0} KB per answer) |",
            percentile(&total, 0.5),
            percentile(&total, 0.99),
            bytes as f64 / n as f64 / 1000.0
        );
    }
    drop(snapshot);
    archive.stop()?;
    Ok(())
}
